"""Cards that read oddly or lost a fact, and the FHIR fetch deadline an integrator's first day must survive."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import date
from typing import Any

import httpx
import pytest
import respx

from cds_service.cards.notes import NOTE_TEXT, ON_SUBSTITUTION_TEXT
from fastapi.testclient import TestClient

from cds_service.fhir.fetch import FhirFetcher
from cds_service.fhir.request import parse_hook_request
from cds_service.http.app import create_app
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.pipeline import answer_local
from cds_service.runtime import load_runtime
from cds_service.settings import FetchSettings, Settings, fetch_settings
from cds_service.tools.replay import replay, request_from_bundle

from . import test_acceptance_lifecycle as lc
from . import test_acceptance_reading as reading
from .reading_charts import car_t, chart, igg, infection, order
from .servers import SettableClock
from . import pages


def ivig_order(start: str, **kw: Any) -> dict[str, Any]:
    return order("J06BA02", start, text="Privigen", **kw)

BASE = "https://ehr.example.org/fhir"
CONTEXT = {"patientId": "p1", "userId": "Practitioner/dr1"}


# -- the FHIR fetch deadline -------------------------------------------------------------------------------------------


def test_the_default_fetch_deadline_allows_a_real_servers_paged_search() -> None:
    """A fetch is the fallback when the EHR did not prefetch; running out is a 412 and no card. The default was
    0.3 s for all of a request's searches (the test server alone takes ~180 ms): a FHIR server answering each page
    in 0.35 s, a search of two pages, got a 412. Now 2 s, connect 0.5 s."""
    assert fetch_settings({}) == FetchSettings()
    assert FetchSettings().total_timeout == 2.0 and FetchSettings().connect_timeout == 0.5

    async def run() -> dict[str, object]:
        async def page(request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(0.35)
            if request.url.path.endswith("/Patient/p1"):
                return httpx.Response(200, json={"resourceType": "Patient", "id": "p1"})
            second = "page=2" in str(request.url)
            links = [] if second else [{"relation": "next", "url": f"{BASE}/Observation?patient=p1&page=2"}]
            entry = {"resource": {"resourceType": "Observation", "id": "o2" if second else "o1", "status": "final"}}
            return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset", "link": links,
                                             "entry": [entry]})

        with respx.mock(assert_all_mocked=True) as mock:
            mock.get(url__startswith=BASE).mock(side_effect=page)
            fetcher = FhirFetcher(FetchSettings())
            try:
                return await fetcher.fetch({"patient": "Patient/{{context.patientId}}",
                                            "observations": "Observation?patient={{context.patientId}}"},
                                           CONTEXT, BASE, "token")
            finally:
                await fetcher.aclose()

    result = asyncio.run(run())
    assert [e["resource"]["id"] for e in result["observations"]["entry"]] == ["o1", "o2"]  # type: ignore[index]


def test_a_real_fhir_server_that_hangs_is_a_412_naming_the_default_deadline_not_a_hung_request(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The defaults as shipped (only development mode, for the loopback server): a FHIR server whose Condition search
    never answers in time. The answer is a 412 that names the key, the 2 s deadline and its setting, when the
    deadline passes (not a 500, not a request held until the EHR gives up). The timing bound is generous: what is
    asserted is the answer, not the clock."""
    import time

    from . import fhir_server as server
    from . import test_acceptance_fetch as acceptance
    from .environment import tmp_settings
    from .servers import serve_in_thread

    hang = FetchSettings().total_timeout + 2.5  # past the default deadline by far more than any scheduling delay
    monkeypatch.setattr(server, "HANG_SECONDS", hang)
    clock = SettableClock()
    app = create_app(tmp_settings(fetch=FetchSettings(development=True)), clock=clock, record_cards=False)
    fixture, patient, _, stored = acceptance.chart("cart-in-window-igg-low")
    clock.set(fixture.at)
    with serve_in_thread(app, timeout_graceful_shutdown=1) as base, \
            server.running_shaped_fhir_server(stored, server.Shape(hanging=frozenset({"Condition"}))) as fhir:
        started = time.perf_counter()
        response = acceptance.call(base, "patient-view", patient, None, fhir.base)
        took = time.perf_counter() - started
    assert response.status_code == 412, response.text
    message = response.json()["issue"][0]["diagnostics"]
    assert "conditions: FHIR server did not answer within 2000 ms (CDS_FHIR_TOTAL_TIMEOUT)" in message, message
    assert took < hang, took  # answered at the deadline, not when the server finally answers


def test_the_safety_file_gives_the_fetch_deadlines_the_service_has() -> None:
    """The hazard log's mitigation 'bounded time' said 0.1 s / 0.3 s after the defaults became 0.5 s / 2 s."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    said = f"({FetchSettings().connect_timeout:g} s / {FetchSettings().total_timeout:g} s by default)"
    for name in ("traceability.toml", "hazard-log.md"):
        assert said in (root / "docs" / "safety" / name).read_text(encoding="utf-8"), name


# -- a data note's advice fits the card it is on -----------------------------------------------------------------------

RUNTIME = load_runtime(Settings())


def _cards(bundle: dict[str, Any], at: str, lang: str, hook: str = "patient-view",
           drafts: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    return replay(RUNTIME, bundle, lang=lang, at=date.fromisoformat(at), hook=hook, drafts=drafts).cards


def _text(card: dict[str, Any]) -> str:
    return card["summary"] + "\n" + card["detail"]


ON_SUBSTITUTION = {"en": "check whether that changes the course of substitution read here",
                   "da": "tjek, om det ændrer det substitutionsforløb, der er læst her"}
START_SIDE = {"en": "check whether the patient is already on substitution",
              "da": "tjek, om patienten allerede får substitution"}
UNUSED_ORDER = order("J06BA02", "2026-03-01", status="unknown", text="Hizentra")


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize(("name", "bundle", "at", "code"), [
    ("stop-due", chart(car_t("2025-11-18"), igg("2025-12-10", 2.8), ivig_order("2025-12-15"), UNUSED_ORDER),
     "2026-05-10", "stop-due-soon"),
    ("stop-planned", chart(car_t("2025-11-18"), igg("2025-12-10", 2.8), ivig_order("2025-12-15"), UNUSED_ORDER),
     "2026-02-01", "stop-planned"),
    ("general-stop-review", chart(car_t("2025-11-18"), infection("2025-12-01", "DA419", severe=True),
                                  igg("2025-12-10", 2.8), ivig_order("2025-12-15"), UNUSED_ORDER),
     "2026-02-01", "general-stop-review"),
], ids=["stop-due", "stop-planned", "general-stop-review"])
def test_a_note_on_a_card_that_reads_the_patient_on_substitution_does_not_ask_whether_they_are(
        name: str, bundle: dict[str, Any], at: str, code: str, lang: str) -> None:
    """An Ig order of status unknown (and every note that asks whether the patient is already on substitution) on a
    stop card said 'check whether the patient is already on substitution' beside 'Ig stop attempt due … pause
    substitution': the card already reads the patient as on it. There the note asks whether the record changes the
    course read."""
    [card] = _cards(bundle, at, lang)
    text = _text(card)
    assert code in json.dumps(card), card["summary"]
    assert START_SIDE[lang] not in text, text
    assert ON_SUBSTITUTION[lang] in text, text


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_same_note_on_a_start_card_still_asks_whether_the_patient_is_on_substitution(lang: str) -> None:
    [card] = _cards(chart(car_t("2025-11-18"), igg("2026-01-13", 3.2), UNUSED_ORDER), "2026-01-20", lang)
    assert START_SIDE[lang] in _text(card), _text(card)


def test_every_note_that_asks_whether_the_patient_is_on_substitution_has_a_wording_for_a_card_that_reads_it() -> None:
    asking = {kind for kind, pair in NOTE_TEXT.items() for t in pair for lang in ("en", "da")
              if "substitution" in t(lang) and ("already" in t(lang) or "allerede" in t(lang))}
    assert asking and asking == set(ON_SUBSTITUTION_TEXT)
    for kind in asking:
        for t in ON_SUBSTITUTION_TEXT[kind]:
            assert "already" not in t.en and "allerede" not in t.da, t


# -- a preliminary culture beside the final one of the same sample -----------------------------------------------------

def _lifecycle_cards(resources: tuple[dict[str, Any], ...], lang: str) -> list[dict[str, Any]]:
    chart_ = lc.Chart("culture", resources, lc.GENERAL, "")
    return replay(RUNTIME, chart_.bundle(), at=date.fromisoformat(chart_.at), lang=lang).cards


def _preliminary(**fields: Any) -> dict[str, Any]:
    return {**lc.blood_culture("2025-12-10", "preliminary", rid="bc-prelim"), **fields}


def _final(**fields: Any) -> dict[str, Any]:
    return {**lc.blood_culture("2025-12-10", "final"), **fields}


NOT_FINAL = {"en": "not final yet", "da": "endnu ikke endelig"}
PNEUMONIA = lc.dx(lc.PNEUMONIA, "2025-12-10", "pneu")


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize(("preliminary", "final"), [
    (_preliminary(), _final()),  # the same code and collection time
    (_preliminary(specimen={"reference": "Specimen/s-1"}, effectiveDateTime="2025-12-10"),
     _final(specimen={"reference": "Specimen/s-1"}, effectiveDateTime="2025-12-10")),
    (_preliminary(identifier=[{"system": "urn:lab:accession", "value": "MB-2025-4471"}], effectiveDateTime="2025-12-10"),
     _final(identifier=[{"system": "urn:lab:accession", "value": "MB-2025-4471"}], effectiveDateTime="2025-12-10")),
    (_preliminary(specimen={"reference": "Specimen/s-1"}),
     {**lc.culture_report("2025-12-10", "final"), "specimen": [{"reference": "Specimen/s-1"}]}),
], ids=["code-and-time", "specimen", "accession", "final-report"])
def test_a_preliminary_culture_beside_the_final_one_of_its_sample_is_not_called_not_final(
        preliminary: dict[str, Any], final: dict[str, Any], lang: str) -> None:
    """The blood culture of 2025-12-10 growing E. coli, sent preliminary and final: the card counted the final one
    ('Ig may be started (general criteria)') and named the preliminary 'not final yet … check the final result', the
    result it had just counted. The preliminary is superseded: named on the explanation page only."""
    [card] = _lifecycle_cards(lc.story_a(PNEUMONIA, preliminary, final), lang)
    assert "start-meets-general-criteria" in json.dumps(card)
    assert NOT_FINAL[lang] not in _text(card), _text(card)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_preliminary_culture_of_another_sample_is_still_named(lang: str) -> None:
    """Two blood cultures of one day taken hours apart are two samples: the final one of the morning does not answer
    the preliminary one of the evening."""
    morning = _final(effectiveDateTime="2025-12-10T08:00:00+01:00")
    [card] = _lifecycle_cards(lc.story_a(PNEUMONIA, _preliminary(), morning), lang)
    assert NOT_FINAL[lang] in _text(card), _text(card)


NO_GROWTH = {"valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "264868006",
                                                  "display": "No growth"}], "text": "Ingen vækst"}}
S_AUREUS = {"valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "3092008",
                                                 "display": "Staphylococcus aureus"}], "text": "Staphylococcus aureus"}}


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize(("preliminary", "final"), [
    (_preliminary(specimen={"reference": "Specimen/set-2"}, **S_AUREUS),
     _final(specimen={"reference": "Specimen/set-1"}, **NO_GROWTH)),
    (_preliminary(identifier=[{"system": "urn:lab:accession", "value": "MB-2025-4472"}], **S_AUREUS),
     _final(identifier=[{"system": "urn:lab:accession", "value": "MB-2025-4471"}], **NO_GROWTH)),
    (_preliminary(identifier=[{"value": "1"}], **S_AUREUS),
     _final(identifier=[{"value": "1"}], effectiveDateTime="2025-12-10T08:00:00+01:00", **NO_GROWTH)),
], ids=["two-sets-one-time", "two-accessions-one-time", "a-number-of-no-system"])
def test_a_preliminary_culture_of_another_sample_drawn_at_the_same_time_is_still_named(
        preliminary: dict[str, Any], final: dict[str, Any], lang: str) -> None:
    """Blood cultures are drawn in sets, two sites at one time: set 1 final with no growth, set 2 preliminary growing
    Staphylococcus aureus, one code and one collection time, two specimens (or two accession numbers). Matched on code
    and time alone, the preliminary was superseded by the other set's final result: 'Ig start not recommended' beside a
    pneumonia, and nothing said of the S. aureus growing. Where both name their specimen (or an accession of one
    system), that decides; an identifier of no system does not say whose number it is."""
    [card] = _lifecycle_cards(lc.story_a(PNEUMONIA, preliminary, final), lang)
    assert "no-start-without-infections" in json.dumps(card), card["summary"]
    assert NOT_FINAL[lang] in _text(card) and "Staphylococcus aureus" in _text(card), _text(card)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_one_collection_time_written_in_another_zone_is_the_same_sample(lang: str) -> None:
    """The final result sent with its collection time in UTC, the preliminary in Danish time: one instant."""
    final = _final(effectiveDateTime="2025-12-10T21:30:00Z")
    [card] = _lifecycle_cards(lc.story_a(PNEUMONIA, _preliminary(), final), lang)
    assert "start-meets-general-criteria" in json.dumps(card)
    assert NOT_FINAL[lang] not in _text(card), _text(card)


# -- a long data note never costs a fact the decision rests on, with or without a page to link ------------------------

LONG_TEXT = ("hæmolyseret prøve, kontakt laboratoriet for ny prøve; svar følger senere " * 4) + "<b>fed</b> **x**"


def _with_long_notes(name: str, how_many: int) -> tuple[Any, dict[str, Any]]:
    [c] = [c for c in reading.CHARTS if c.name == name]
    noise = [igg("2026-01-12", None, text=LONG_TEXT),
             order("LOC-4711", "2025-12-01", status="stopped", end="2025-12-20", text=LONG_TEXT, system="urn:local"),
             igg("2026-01-10", 1.0, subject={"reference": "Patient/another-patient"})][:how_many]
    bundle = {**c.bundle, "entry": [*c.bundle["entry"], *({"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r}
                                                          for r in noise)]}
    return c, bundle


def _linked_or_not(c: Any, bundle: dict[str, Any], lang: str, linked: bool) -> list[dict[str, Any]]:
    request = parse_hook_request(request_from_bundle(bundle, c.hook, [dict(d) for d in c.drafts] or None), c.hook)
    link = (lambda uuid: f"https://cds.example/explain/{uuid}") if linked else None
    return answer_local(request, RUNTIME, lang=lang, today=date.fromisoformat(c.at), link=link).cards


@pytest.mark.parametrize("linked", [False, True], ids=["replay-worklist", "http"])
@pytest.mark.parametrize("how_many", [1, 2, 3])
@pytest.mark.parametrize(("name", "lang", "fact"), [
    ("start-after-culture-proven-pneumonia", "en",
     "- Severe bacterial infection 2026-01-02: pneumonia (positive blood culture 2026-01-02)"),
    ("start-after-culture-proven-pneumonia", "da",
     "- Svær bakteriel infektion 2026-01-02: pneumoni (positiv bloddyrkning 2026-01-02)"),
    ("order-wrong-system", "en", "- Draft order: A drug with no name from 2026-01-21"),
    ("order-wrong-system", "da", "- Ordinationsudkast: Et lægemiddel uden navn fra 2026-01-21"),
    ("order-unknown-system", "da", "- Ordinationsudkast: Et lægemiddel uden navn fra 2026-01-21"),
])
def test_a_long_data_note_does_not_take_the_room_of_a_fact_the_decision_rests_on(
        name: str, lang: str, fact: str, how_many: int, linked: bool) -> None:
    """§8: a card with no explanation page to link (replay, the worklist's chart) kept its first data note spelled out
    and dropped facts for it: IgG 3.2 g/L after CAR-T with a culture-proven pneumonia first, 'general stop criteria
    apply', and an IgG whose 300-character text could not be read: the Danish card lost the infection it names; a
    draft under the wrong code system lost the draft's line. The note is counted first; the fact stays."""
    c, bundle = _with_long_notes(name, how_many)
    [card] = _linked_or_not(c, bundle, lang, linked)
    assert fact in card["detail"], card["detail"]
    assert len(card["detail"]) <= 700


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_note_on_a_draft_continuing_substitution_does_not_ask_whether_the_patient_is_on_it(lang: str) -> None:
    """order-sign: a renewal of IVIG begun in the window ('Ig continuation after CAR-T …: end the order on the stop
    date') beside an Ig order of status unknown: the card reads the patient as on substitution."""
    bundle = chart(car_t("2025-11-18"), igg("2025-12-10", 2.8), ivig_order("2025-12-15"), UNUSED_ORDER)
    drafts = [order("J06BA02", "2026-02-02", status="draft", text="Privigen", rid_="draft-1", authored="2026-02-02")]
    [card] = _cards(bundle, "2026-02-01", lang, hook="order-sign", drafts=drafts)
    assert "continuation-window" in json.dumps(card), card["summary"]
    assert START_SIDE[lang] not in _text(card) and ON_SUBSTITUTION[lang] in _text(card), _text(card)


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize(("at", "start"), [("2026-05-10", "2026-05-20"), ("2026-05-25", "2026-05-25")],
                         ids=["starts-after-stop-date", "past-stop-date"])
def test_a_note_on_a_draft_continuing_substitution_past_its_stop_date_does_not_ask_whether_the_patient_is_on_it(
        at: str, start: str, hook: str, lang: str) -> None:
    """A renewal of the IVIG begun in the window, drafted to start on or after the stop date: 'Ig order does not meet
    the criteria … on or after the stop date', its facts 'IVIG since 2025-12-15', and beside it the Ig order of status
    unknown asked 'check whether the patient is already on substitution'. The card reads the course it continues."""
    bundle = chart(car_t("2025-11-18"), igg("2025-12-10", 2.8), ivig_order("2025-12-15"), UNUSED_ORDER)
    drafts = [order("J06BA02", start, status="draft", text="Privigen", rid_="draft-1", authored=at)]
    [card] = _cards(bundle, at, lang, hook=hook, drafts=drafts)
    assert "order-does-not-meet-criteria" in json.dumps(card), card["summary"]
    assert START_SIDE[lang] not in _text(card) and ON_SUBSTITUTION[lang] in _text(card), _text(card)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_page_of_a_draft_continuing_substitution_past_its_stop_date_does_not_ask_it_either(lang: str) -> None:
    from datetime import datetime, timezone



    bundle = chart(car_t("2025-11-18"), igg("2025-12-10", 2.8), ivig_order("2025-12-15"), UNUSED_ORDER)
    drafts = [order("J06BA02", "2026-05-25", status="draft", text="Privigen", rid_="draft-1", authored="2026-05-25")]
    request = parse_hook_request(request_from_bundle(bundle, "order-sign", drafts), "order-sign")
    answer = answer_local(request, RUNTIME, lang=lang, today=date(2026, 5, 25))
    data = pages.stored(answer, RUNTIME)
    assert data["advice"]["code"] == "order-does-not-meet-criteria"
    now = datetime(2026, 5, 25, 9, tzinfo=timezone.utc)
    page = pages.rendered(data, lang, RUNTIME, now)
    assert ON_SUBSTITUTION[lang] in page and START_SIDE[lang] not in page


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_note_on_a_new_order_starting_after_the_stop_date_still_asks_whether_the_patient_is_on_substitution(
        lang: str) -> None:
    """No Ig given: a first order drafted to start after the window, no infections: not met, and the patient is
    not read as on substitution, so the note still asks."""
    bundle = chart(car_t("2025-11-18"), igg("2026-05-01", 2.8), UNUSED_ORDER)
    drafts = [order("J06BA02", "2026-05-20", status="draft", text="Privigen", rid_="draft-1", authored="2026-05-10")]
    [card] = _cards(bundle, "2026-05-10", lang, hook="order-sign", drafts=drafts)
    assert "order-does-not-meet-criteria" in json.dumps(card), card["summary"]
    assert START_SIDE[lang] in _text(card), _text(card)


@pytest.mark.parametrize("lang, fact", [
    ("en", "- Severe bacterial infection 2026-01-02: pneumonia (positive blood culture 2026-01-02)"),
    ("da", "- Svær bakteriel infektion 2026-01-02: pneumoni (positiv bloddyrkning 2026-01-02)")])
def test_over_http_the_general_stop_card_keeps_its_infection_beside_long_notes(lang: str, fact: str,
                                                                              tmp_path: Any) -> None:
    c, bundle = _with_long_notes("start-after-culture-proven-pneumonia", 3)
    clock = SettableClock()
    clock.set(date.fromisoformat(c.at))
    settings = replace(Settings(), data_dir=str(tmp_path / "data"), link_secret="s" * 40)
    with TestClient(create_app(settings, clock=clock)) as http:
        response = http.post(f"/cds-services/{PATIENT_VIEW_ID}", json=request_from_bundle(bundle, c.hook),
                             headers={"accept-language": lang})
    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    assert card["links"], card  # the card the EHR gets links to its explanation page
    assert fact in card["detail"], card["detail"]
