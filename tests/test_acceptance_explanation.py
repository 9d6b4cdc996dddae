"""The click behind the card: for every advice code, in English and Danish, the explanation page a card links to
says what the card says and names what it rests on (clinical-rules.md §6, §8).

A clinician who doubts a card opens "Why this advice" / "Begrundelse" and must see in a minute: the IgG (value, unit,
date, M-protein subtracted or not), the therapy and T0, the window's end, the infections counted and not counted,
what was seen and not used and why, the guideline section, the rule set, and that it is the same patient. An auditor
months later finds the same page, or a clear refusal. Real uvicorn, real SQLite, real Chromium.
"""

from __future__ import annotations

import copy
import html
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from cds_service.http.app import create_app
from cds_service.http.discovery import ORDER_SELECT_ID, ORDER_SIGN_ID, PATIENT_VIEW_ID
from cds_service.settings import Settings
from cds_service.tools.answers import of_patient
from cds_service.tools.replay import load_bundle, load_drafts, request_from_bundle
from cql_like_rules.catalogue import ADVICE_CODES

from . import browser
from .servers import ROOT, SettableClock, serve_in_thread
from .test_timeline import chromium  # noqa: F401  (the one Chromium fixture)

SECRET = "acceptance-explanation-link-secret-0123456789"
SERVICE = {"patient-view": PATIENT_VIEW_ID, "order-select": ORDER_SELECT_ID, "order-sign": ORDER_SIGN_ID}
FIXTURES = ROOT / "fhir_fixtures"

# One shipped chart per advice code: (code, bundle, evaluation day, hook, draft order or None).
CASES = [
    ("start-substitution", "cart-in-window-igg-low", "2026-01-20", "patient-view", None),
    ("measure-igg", "after-special-stop-igg-4-8-off-substitution-general-under-6", "2025-11-03", "patient-view", None),
    ("general-criteria-igg-under-6", "after-special-stop-igg-4-8-off-substitution-general-under-6", "2026-07-22",
     "patient-view", None),
    ("paraprotein-type-unknown", "myeloma-total-igg-7-no-m-protein-result-asks-for-immunofixation", "2026-01-20",
     "patient-view", None),
    ("no-start-without-infections", "after-special-stop-igg-4-8-off-substitution-general-under-6", "2026-05-04",
     "patient-view", None),
    ("start-meets-general-criteria", "after-special-stop-recurrent-pneumonias-restart-general-criteria", "2026-07-22",
     "patient-view", None),
    ("stop-planned", "cart-ig-active-stop-planned-15-days", "2026-03-30", "patient-view", None),
    ("stop-due-soon", "after-special-stop-igg-4-8-off-substitution-general-under-6", "2026-05-02", "patient-view", None),
    ("stop-overdue", "cart-ig-active-stop-due-14-days", "2026-04-15", "patient-view", None),
    ("general-stop-review", "cart-home-scig-medication-statement-general-stop-review", "2025-11-18", "patient-view",
     None),
    ("child-individual-assessment", "child-12-blinatumomab-individual-assessment", "2025-11-03", "patient-view", None),
    ("order-meets-criteria", "after-special-stop-igg-4-8-off-substitution-general-under-6", "2026-05-02",
     "order-sign", "ivig-booked-late-pt-dk-0116"),
    ("order-does-not-meet-criteria", "after-special-stop-igg-4-8-off-substitution-general-under-6", "2025-11-03",
     "order-select", "ivig-after-stop-date-pt-dk-0001"),
    ("plan-igg-monitoring", "after-special-stop-igg-4-8-off-substitution-general-under-6", "2025-10-31",
     "order-select", "elranatamab-pt-dk-0022"),
    ("therapy-not-recognised", "linvoseltamab-local-code-not-checked", "2026-01-02", "patient-view", None),
    ("malignancy-not-recognised", "cart-lymphoma-snomed-code-not-in-value-set-not-checked", "2025-10-01",
     "patient-view", None),
    ("therapy-undated", "cart-month-only-given-elsewhere", "2026-01-20", "patient-view", None),
    ("order-not-recognised", "cart-in-window-igg-low", "2026-01-20", "order-sign", "unknown-system"),
]
# An order coded only in a code system the service reads no drug in, with no name.
UNKNOWN_SYSTEM_DRAFT = {
    "resourceType": "MedicationRequest", "id": "draft-unknown-system", "status": "draft", "intent": "order",
    "medicationCodeableConcept": {"coding": [{"system": "urn:oid:1.2.208.176.99.1", "code": "X4711"}]},
    "subject": {"reference": "Patient/pt-dk-0001"}, "authoredOn": "2026-01-20",
    "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-01-21"}}}}]}

# Words of the English page that a Danish page must not show (section titles and fixed wording).
ENGLISH = ("Decision", "Facts (", "Reasoning (", ">Guideline<", ">Timeline<", "Data not used", "Rule set<",
           ">The card<", "Evaluated as of", "kept until", "Advice code", "Guideline section",
           "Values behind the card", ">Kind<", ">Details<", ">Source<", "Technical detail", "issued ",
           "day only", "counted as", "verified by", "doses ", "component of", ">yes<", ">no<", "warning<")
DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
G_L = re.compile(r"[<>≤≥]?\d+(?:[.,]\d+)? g/L")


def test_every_advice_code_has_its_chart_here():
    """A code added to the catalogue without a chart here would have its page unchecked."""
    assert sorted(c[0] for c in CASES) == sorted(ADVICE_CODES)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SettableClock]]:
    """One service for the module; the test moves its clock (the evaluation day is the clock's day)."""
    clock = SettableClock()
    settings = replace(Settings(), data_dir=str(tmp_path_factory.mktemp("store")), link_secret=SECRET)
    with serve_in_thread(create_app(settings, clock=clock)) as base:
        yield base, clock


def request(bundle: dict, hook: str, draft: str | None) -> dict:
    patient = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    drafts = None
    if draft == "unknown-system":
        drafts = [of_patient(UNKNOWN_SYSTEM_DRAFT, patient)]
    elif draft is not None:
        drafts = [of_patient(d, patient) for d in load_drafts([str(FIXTURES / "drafts" / f"{draft}.draft.json")])]
    return request_from_bundle(bundle, hook, drafts)


def cards_of(base: str, body: dict, hook: str, lang: str) -> list[dict]:
    response = httpx.post(f"{base}/cds-services/{SERVICE[hook]}", json=body, headers={"accept-language": lang},
                          timeout=30)
    assert response.status_code == 200, response.text
    return list(response.json()["cards"])


def code_of(card: dict) -> str:
    return str(card["source"]["topic"]["code"])


def page_of(card: dict) -> str:
    [link] = card["links"]
    response = httpx.get(link["url"], timeout=60)
    assert response.status_code == 200, response.text
    return response.text


def trace_of(card: dict) -> list[dict[str, Any]]:
    return list(card["extension"]["dk.igsub-cds.trace"])


def section(page: str, table_id: str) -> str:
    """One table of the page (facts, notes, reasoning, decision), as HTML."""
    return page.split(f'<table id="{table_id}">', 1)[1].split("</table>", 1)[0]


def outside_card(page: str) -> str:
    """The page without the card's own text (summary and detail): what the page adds to it."""
    head, _, rest = page.partition('<div class="card"')
    return head.split("<title>")[0] + rest.split("<h2>", 1)[1]


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def issued(server: tuple[str, SettableClock], code: str, bundle_name: str, day: str, hook: str, draft: str | None,
           lang: str, bundle: dict | None = None) -> dict:
    base, clock = server
    clock.set(date.fromisoformat(day))
    body = request(bundle or load_bundle(FIXTURES / f"{bundle_name}.json"), hook, draft)
    found = [c for c in cards_of(base, body, hook, lang) if code_of(c) == code]
    assert len(found) == 1, [code_of(c) for c in cards_of(base, body, hook, lang)]
    return found[0]


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("code, bundle, day, hook, draft", CASES, ids=[c[0] for c in CASES])
def test_the_page_says_what_the_card_says_and_names_what_it_rests_on(server, code, bundle, day, hook, draft, lang):
    """Every advice code, both languages: the page shows the card as sent; its decision is the card's code and
    indicator; every date and concentration the card names is found again in the basis below it (the facts, the
    decision's values, the notes); every resource the card's machine-readable trace names is on the page; every data
    note is named; the evaluation day is the card's; a Danish page is Danish throughout."""
    card = issued(server, code, bundle, day, hook, draft, lang)
    page = page_of(card)
    assert f'<html lang="{lang}">' in page
    assert html.escape(card["summary"]) in page
    decision = text_of(section(page, "decision"))
    assert code in decision
    indicator = {"en": {"info": "info", "warning": "warning"}, "da": {"info": "info", "warning": "advarsel"}}[lang]
    assert indicator[card["indicator"]] in decision
    assert day in text_of(page.split("<h2>", 1)[0])  # "Evaluated as of" the card's day
    basis = text_of(outside_card(page))
    card_text = card["summary"] + "\n" + card["detail"]
    for when in set(DATE.findall(card_text)):
        assert when in basis, f"{when} is on the card but nowhere in the basis of the page"
    for amount in set(G_L.findall(card_text)):
        number = amount.lstrip("<>≤≥").split()[0]
        assert number in basis, f"{amount} is on the card but nowhere in the basis of the page"
    shown = text_of(page)
    for step in trace_of(card):
        for reference in step.get("references") or []:
            assert reference in shown, f"{step['name']}: {reference} is in the card's trace, not on the page"
    notes = next((s.get("value") for s in trace_of(card) if s["name"] == "Data Notes"), None) or []
    listed = text_of(section(page, "notes")) if notes else ""
    for note in notes:
        assert note["source"] in listed, note
    # the page's reasoning holds every definition the card's trace holds, with the same value where not cut
    reasoning = text_of(section(page, "reasoning"))
    for step in trace_of(card):
        assert step["name"] in reasoning, step["name"]
    if lang == "da":  # (the rule library's definition names and comments are its own, in English)
        own = page.replace(section(page, "reasoning"), "")
        for word in ENGLISH:
            assert word not in own, word


# -- the IgG as the laboratory reported it -----------------------------------------------------------------------


def low_igg_bundle() -> dict:
    """cart-in-window-igg-low.json (CAR-T 2025-11-18, IgG 3.2 g/L on 2026-01-13, as of 2026-01-20)."""
    return load_bundle(FIXTURES / "cart-in-window-igg-low.json")


def resource(bundle: dict, rid: str) -> dict:
    return next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == rid)


@pytest.mark.parametrize("lang, taken", [
    ("en", ("taken (local time): 2026-01-13 08:12, issued 2026-01-13 14:37",
            "taken (local time): 2026-01-13 16:05, issued 2026-01-13 17:50")),
    ("da", ("taget (lokal tid): 2026-01-13 08:12, besvaret 2026-01-13 14:37",
            "taget (lokal tid): 2026-01-13 16:05, besvaret 2026-01-13 17:50"))])
def test_two_iggs_of_one_day_are_named_at_the_times_the_laboratory_report_shows(server, lang, taken):
    """Two IgG results the same day (08:12 → 3.2 g/L, and a repeat at 16:05 → 3.4 g/L, Copenhagen time): the card
    decides on the later one (§3.4: the most recent result). A clinician checks the page against the laboratory's
    report, which shows 08:12 and 16:05, answered 14:37 and 17:50; before, the page showed those instants in UTC (07:12,
    15:05), one hour off in winter and two in summer, and called a Danish result "udstedt" (issued, as a passport is)
    where a laboratory result is "besvaret"."""
    bundle = low_igg_bundle()
    repeat = copy.deepcopy(resource(bundle, "obs-igg-0001-b"))
    repeat.update(id="obs-igg-0001-c", effectiveDateTime="2026-01-13T16:05:00+01:00", issued="2026-01-13T17:50:00+01:00",
                  valueQuantity={**repeat["valueQuantity"], "value": 3.4})
    bundle["entry"].append({"resource": repeat})
    card = issued(server, "start-substitution", "", "2026-01-20", "patient-view", None, lang, bundle)
    assert {"en": "IgG 3.4 g/L", "da": "IgG 3,4 g/L"}[lang] in card["summary"], card["summary"]
    facts = text_of(section(page_of(card), "facts"))
    for words in taken:
        assert words in facts, facts
    assert "UTC" not in facts and "udstedt" not in facts


@pytest.mark.parametrize("lang, used, before, none", [
    ("en", "the IgG this advice rests on", "not used: taken before T0 2025-11-18; inside the window only results since "
     "T0 count (§4.1)", "Nothing was set aside as unreadable, unrecognised or another patient's."),
    ("da", "det IgG-svar, rådet bygger på", "ikke brugt: taget før T0 2025-11-18; i højrisikoperioden tæller kun svar "
     "fra T0 (§4.1)", "Intet blev sorteret fra som ulæseligt, ukendt eller en anden patients.")])
def test_the_page_says_which_igg_the_advice_rests_on_and_why_the_baseline_was_not_used(server, lang, used, before, none):
    """CAR-T 2025-11-18, IgG 6.3 g/L on 2025-10-28 (before the infusion) and 3.2 g/L on 2026-01-13: 'Ig may be
    started' on the 3.2 (§4.1: inside the window only results since T0 count). A clinician who sees the 6.3 on the
    page asks why it did not count. Before, both rows looked alike and the page said 'the service used all the data it
    was sent'; now the 3.2 is named as the IgG the advice rests on, the 6.3 as not used and why, and the page no longer
    claims every record was used."""
    card = issued(server, "start-substitution", "cart-in-window-igg-low", "2026-01-20", "patient-view", None, lang)
    page = page_of(card)
    rows = {row.split(" | ")[3].strip(): row for row in rows_of(section(page, "facts"))}
    assert used in rows["Observation/obs-igg-0001-b"] and before not in rows["Observation/obs-igg-0001-b"]
    assert before in rows["Observation/obs-igg-0001-a"] and used not in rows["Observation/obs-igg-0001-a"]
    assert none in text_of(page)


@pytest.mark.parametrize("lang, subtracted", [
    ("en", "subtracted from the total IgG (IgG-type M-protein): the advice rests on polyclonal IgG"),
    ("da", "trukket fra total-IgG (M-komponent af IgG-type): rådet bygger på polyklonal IgG")])
def test_the_page_says_the_m_protein_was_subtracted_from_the_igg(server, lang, subtracted):
    """IgG-kappa myeloma, total IgG 8.7 g/L with 6.1 g/L M-protein: polyclonal IgG 2.6 g/L, 'Ig may be started' (spec
    §7, Bilag C). The clinician who doubts it must see on the page which IgG and which M-protein, and that the
    M-protein was subtracted."""
    card = issued(server, "start-substitution", "igg-kappa-myeloma-normal-total-low-polyclonal-start", "2026-01-20",
                  "patient-view", None, lang)
    rows = {row.split(" | ")[3].strip(): row for row in rows_of(section(page_of(card), "facts"))}
    assert subtracted in rows["Observation/obs-mprotein-0055"], rows
    assert {"en": "the IgG this advice rests on", "da": "det IgG-svar, rådet bygger på"}[lang] in \
        rows["Observation/obs-igg-0055-a"], rows


def rows_of(table: str) -> list[str]:
    """A table's rows as text, cells joined by ' | '."""
    return [" | ".join(text_of(cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S))
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S) if "<td" in row]


# -- text from the EHR -------------------------------------------------------------------------------------------

SCRIPT = "<script>alert('x')</script>"
IMG = '<img src=x onerror="alert(1)">'
LONG = "Kommentar fra laboratoriet: " + "prøven er modtaget og behandlet efter gældende instruks. " * 36  # 2,000+


def hostile_bundle() -> dict:
    """cart-in-window-igg-low.json with text from the EHR that must stay text: a patient's name with a script, an
    infection named with an image tag, markdown and a javascript link, a culture whose result holds a script and a
    2,000-character comment, and a diagnosis in a code system the service does not know, named with an image tag."""
    bundle = low_igg_bundle()
    resource(bundle, "pt-dk-0001")["name"] = [{"family": SCRIPT, "given": [IMG]}]
    subject = {"reference": "Patient/pt-dk-0001"}
    bundle["entry"] += [{"resource": r} for r in (
        {"resourceType": "Condition", "id": "inf-hostile", "subject": subject, "onsetDateTime": "2026-01-05",
         "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                            "code": "confirmed"}]},
         "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4.12", "code": "DJ189"}],
                  "text": f"{IMG} **Pneumoni** [se her](javascript:alert(2)) {SCRIPT}"}},
        {"resourceType": "Observation", "id": "cult-hostile", "status": "final", "subject": subject,
         "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                   "code": "laboratory"}]}],
         "code": {"coding": [{"system": "http://loinc.org", "code": "600-7"}], "text": f"Bloddyrkning {SCRIPT}"},
         "effectiveDateTime": "2026-01-04", "valueString": f"{SCRIPT} Vækst af Staphylococcus aureus. {LONG}",
         "note": [{"text": LONG}]},
        {"resourceType": "Condition", "id": "dx-hostile", "subject": subject, "recordedDate": "2025-12-01",
         "code": {"coding": [{"system": "urn:local:hospital", "code": "L-77"}], "text": f"Lymfom {IMG}"}})]
    return bundle


@pytest.mark.parametrize("lang", ["en", "da"])
def test_text_from_the_ehr_stays_text_on_the_page(server, lang):
    """A clinician's page must never run or load what another record carries: every name and text from the EHR is
    shown escaped (as letters), markdown in it is not read as markup, and a 2,000-character laboratory comment does
    not become a wall of text on the card. The patient's name is not stored at all."""
    card = issued(server, "start-substitution", "", "2026-01-20", "patient-view", None, lang, hostile_bundle())
    assert len(card["detail"]) <= 700, len(card["detail"])
    assert "<img" not in card["detail"] and "<script" not in card["detail"] and "](javascript" not in card["detail"]
    page = page_of(card)
    for tag in ("<script", "<img", "<a ", "onerror=\"alert"):
        assert tag not in page, tag
    assert re.findall(r'href="[^#]', page) == []  # the timeline's SVG refers only to its own glyphs
    patient = next(row for row in rows_of(section(page, "facts")) if "Patient/pt-dk-0001" in row)
    assert "alert" not in patient and "img" not in patient  # the name is not stored
    shown = text_of(page)
    assert "inf-hostile" in shown and "dx-hostile" in shown  # named, with their references
    assert LONG not in shown  # no wall of text


# -- in a real browser, on a narrow screen -----------------------------------------------------------------------

NARROW = 360  # px: an order-entry side panel


def measured(page: str, width: int) -> str:
    """The page as a browser lays it out in a panel `width` px wide: the right edge of its widest element, written into
    the DOM by a script added here for the measurement only (the page itself has none, and its policy forbids one)."""
    probe = page.replace('<meta http-equiv="Content-Security-Policy"', '<meta name="x-policy-off"')
    probe = probe.replace("</head>", f"<style>html{{width:{width}px}}</style></head>")
    return probe.replace("</body>", "<script>var m=0,w='';document.querySelectorAll('body *').forEach(function(e){"
                         "var r=e.getBoundingClientRect().right;if(r>m){m=r;w=e.tagName+' '+(e.textContent||'')"
                         ".slice(0,80);}});document.body.setAttribute('data-right',Math.ceil(m)+'|'+w);</script></body>")


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_page_fits_an_order_entry_side_panel_and_runs_nothing(server, chromium, tmp_path, lang):  # noqa: F811
    """The page opened from an order-sign card in a 360 px side panel: nothing sticks out to the right (a table that
    needs sideways scrolling hides its last column, the FHIR references), and in the real browser no text from the
    EHR became an element."""
    card = issued(server, "start-substitution", "", "2026-01-20", "patient-view", None, lang, hostile_bundle())
    page = page_of(card)
    saved = tmp_path / "page.html"
    saved.write_text(page, encoding="utf-8")
    dom = browser.dump_dom(chromium, saved)
    assert "<script" not in dom and "<img" not in dom and "<a " not in dom
    assert "Condition/inf-hostile" in dom and "&lt;img src=x" in dom  # the EHR's text, shown as letters
    probe = tmp_path / "narrow.html"
    probe.write_text(measured(page, NARROW), encoding="utf-8")
    right, _, widest = re.search(r'data-right="([^"]*)"', browser.dump_dom(chromium, probe)).group(1).partition("|")
    assert int(right) <= NARROW, f"{right} px wide in a {NARROW} px panel: {widest}"


# -- a link tampered with, for another card, expired, or with nothing kept ---------------------------------------

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def opened(url: str, lang: str, browser_like: bool = True) -> httpx.Response:
    headers = {**(BROWSER if browser_like else {"accept": "application/json"}), "accept-language": lang}
    return httpx.get(url, headers=headers, timeout=60)


def assert_refusal_page(response: httpx.Response, status: int, words: str, lang: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store" and response.headers["referrer-policy"] == "no-referrer"
    assert f'<html lang="{lang}">' in response.text and words in html.unescape(response.text), response.text
    for leak in ("3,2", "3.2", "pt-dk-0001", "Observation/", "<script"):
        assert leak not in response.text, leak


@pytest.mark.parametrize("lang, invalid, expired, gone", [
    ("en", "This explanation link is not valid for this card", "This explanation link has expired. Open the "
     "patient's chart again", "No explanation is kept for this card"),
    ("da", "Linket til begrundelsen er ikke gyldigt for dette kort", "Linket til begrundelsen er udløbet. Åbn "
     "patientens journal igen", "Der gemmes ingen begrundelse for dette kort")])
def test_a_refused_link_opened_in_a_browser_reads_as_a_page_in_its_language(tmp_path, lang, invalid, expired, gone):
    """A clinician opens a link altered in transit, one made for another patient's card, one clicked after it expired
    (an auditor months later), one whose snapshot is gone: each is refused and shows nothing of any patient. Before,
    the EHR's browser showed a JSON OperationOutcome in English to a Danish clinician; now a browser gets a short page
    in its language saying what happened and what to do, and an API client still gets the OperationOutcome."""
    clock = SettableClock(date(2026, 1, 20))
    settings = replace(Settings(), data_dir=str(tmp_path / "store"), link_secret=SECRET, explain_retention_days=7)
    with serve_in_thread(create_app(settings, clock=clock)) as base:
        mine = issued((base, clock), "start-substitution", "cart-in-window-igg-low", "2026-01-20", "patient-view",
                      None, lang)
        theirs = cards_of(base, request(load_bundle(FIXTURES / "cart-ig-active-stop-planned-15-days.json"),
                                        "patient-view", None), "patient-view", lang)[0]
        url = mine["links"][0]["url"]
        token = url.split("?t=", 1)[1]
        assert opened(url, lang).status_code == 200
        altered = url[:-3] + ("AAA" if not url.endswith("AAA") else "BBB")
        assert_refusal_page(opened(altered, lang), 403, invalid, lang)
        foreign = theirs["links"][0]["url"].split("?t=", 1)[0] + "?t=" + token  # my token on their card
        assert_refusal_page(opened(foreign, lang), 403, invalid, lang)
        refused = opened(altered, lang, browser_like=False)
        assert refused.status_code == 403 and refused.json()["resourceType"] == "OperationOutcome"
        clock.set(date(2026, 3, 20))  # two months later: the link has expired, the snapshot is past retention
        assert_refusal_page(opened(url, lang), 403, expired, lang)
    # a link kept but its snapshot gone (a valid token for a card with nothing stored)
    with serve_in_thread(create_app(replace(settings, data_dir=str(tmp_path / "empty")),
                                    clock=SettableClock(date(2026, 1, 20)))) as empty:
        path = urlsplit(url)
        assert_refusal_page(opened(f"{empty}{path.path}?{path.query}", lang), 404, gone, lang)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_with_the_store_off_the_card_promises_no_page_and_still_carries_its_reasoning(tmp_path, lang):
    """CDS_EXPLAIN_RETENTION_DAYS=0: nothing is stored, so the card carries no link and does not send the clinician to
    a page that is not there; its machine-readable reasoning (the trace, the rule set) is still on the card."""
    clock = SettableClock(date(2026, 1, 20))
    settings = replace(Settings(), data_dir=str(tmp_path / "store"), link_secret=SECRET, explain_retention_days=0)
    with serve_in_thread(create_app(settings, clock=clock)) as base:
        card = issued((base, clock), "start-substitution", "", "2026-01-20", "patient-view", None, lang,
                      hostile_bundle())
    assert "links" not in card or not card["links"]
    assert {"en": "explanation page", "da": "begrundelsessiden"}[lang] not in card["detail"]
    names = [step["name"] for step in trace_of(card)]
    assert "Latest Usable IgG" in names and "Bacterial Infections" in names
    assert card["extension"]["dk.igsub-cds.ruleset"].startswith("medicinraadet-2025-")


# -- the card's machine-readable reasoning against the page ------------------------------------------------------


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_card_names_in_machine_readable_form_every_data_note_the_page_names(server, lang):
    """data-notes-that-could-change-the-decision-come-first.json as of 2025-12-01: the card's detail names an order
    'Privigen lokal kode' whose code is not known (Ig the patient may be on), and the page lists six data notes (a sepsis dated 2025-12-10,
    after the day, is not one); an EHR or an auditor reading the card as data finds each of them, whole, in its
    `dk.igsub-cds.data-notes` extension (the trace's 'Data Notes' held only the infections not counted)."""
    card = issued(server, "measure-igg", "data-notes-that-could-change-the-decision-come-first", "2025-12-01",
                  "patient-view", None, lang)
    page_rows = [row.split(" | ") for row in rows_of(section(page_of(card), "notes"))]
    notes = card["extension"]["dk.igsub-cds.data-notes"]
    assert len(notes) == len(page_rows) == 6
    assert sorted(n["source"] for n in notes) == sorted(row[2].strip() for row in page_rows)
    assert any(n["kind"] == "ig-by-name" and n["display"] == "Privigen lokal kode" for n in notes)
    # every note names its kind, record and message; a display, day or threshold only where it has one (no null)
    assert all({"kind", "source", "message", "record_words"} <= set(n) <= {"kind", "source", "message", "display",
                                                                          "day", "threshold", "record_words"}
               and None not in n.values() and "" not in n.values() for n in notes)
