"""What every card says, whatever the advice: the prevention reminder, and EHR text kept inert.

Text from the request (ids, displays, free texts, product names, codes and code systems) must
never become markup in a card: the test renders every card's detail as an EHR with raw HTML
and GFM autolinks would (bare `www.`, `https://` and e-mail text become links there) and finds
no link, image, HTML, heading, emphasis or code that the data could have put there.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date

import pytest
from markdown_it import MarkdownIt

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import load_drafts, replay
from cql_like_rules.catalogue import REMINDER

from .fixtures import FIXTURES, load_fixtures

RUNTIME = load_runtime(Settings())
WITH_CARDS = [f for f in load_fixtures() if f.expected]
# CommonMark with raw HTML, GFM tables, strikethrough and autolinks (linkify-it-py): the most
# permissive renderer an EHR is likely to use for a card's detail.
RENDER = MarkdownIt("commonmark", {"linkify": True}).enable(["linkify", "strikethrough", "table"])


@pytest.mark.parametrize("fixture", WITH_CARDS, ids=[f.name for f in WITH_CARDS])
def test_every_card_reminds_of_vaccination_and_prophylaxis(fixture):
    for lang in ("en", "da"):
        found = replay(RUNTIME, fixture.bundle, lang=lang, at=fixture.at).cards
        assert found, fixture.name
        for card in found:
            if fixture.name == "data-notes-that-could-change-the-decision-come-first" \
                    and card["source"]["topic"]["code"] == "start-substitution":
                # ten data notes and a caveat the card must keep (an Ig order the patient may be on): the reminder,
                # which ranks after them (`render.KEEPS`), is what this most crowded card leaves out
                assert {"en": "may be Ig the patient is on", "da": "kan være Ig"}[lang] in card["detail"]
                continue
            if fixture.name == "after-window-provisional-refuted-and-close-pneumonias-no-start" and lang == "da":
                # the provisional severe pneumonia that would change the decision is a caveat the card keeps, with
                # four facts; the longer Danish words leave no room for the reminder after it (`render.KEEPS`)
                assert "er ikke registreret som bekræftet og tælles ikke" in card["detail"]
                continue
            if fixture.name == "ivig-doses-ended-igg-on-infusions-restart-general-criteria" and lang == "da":
                # a restart in the window (its fact line names the last dose) beside an IgG set aside in the washout,
                # whose note says from when one counts: the longer Danish words leave no room for the reminder
                assert "tæller fra 2026-02-24" in card["detail"]
                continue
            assert REMINDER(lang) in card["detail"], (fixture.name, lang, card["source"]["topic"]["code"])


def test_the_no_start_card_names_prophylaxis_after_a_stop():
    bundle = json.loads((FIXTURES / "cart-restart-in-window-after-stopped-course.json").read_text())
    at = date(2026, 2, 23)
    [english] = replay(RUNTIME, bundle, at=at).cards
    [danish] = replay(RUNTIME, bundle, lang="da", at=at).cards
    assert english["source"]["topic"]["code"] == danish["source"]["topic"]["code"] == "no-start-without-infections"
    assert "after a stop, antibiotic prophylaxis can be tried" in english["detail"]
    assert "efter seponering, kan antibiotikaprofylakse forsøges" in danish["detail"]


HOSTILE = ("<img src=x onerror=alert(1)> [Click here](javascript:alert(1)) ![i](https://evil.example/i.png) "
           "**BOLD** _em_ `code` ~~strike~~ <script>x</script> www.evil.com https://evil.example/x mail@evil.dk evil.dk"
           "\n\n# Heading\n- item")


def _poison(value: object) -> object:
    """Every display and text in a resource replaced by hostile markup (codes untouched)."""
    if isinstance(value, dict):
        return {k: (HOSTILE if k in ("display", "text") and isinstance(v, str) else _poison(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v) for v in value]
    return value


def _active_markup(detail: str) -> list[str]:
    html = RENDER.render(detail)
    found = [tag for tag in ("<a ", "<img", "<script", "<h1", "<h2", "<code>", "<s>", "<del>", "<table")
             if tag in html]
    data_emphasis = [word for word in ("<strong>BOLD", "<em>em") if word in html]
    return found + data_emphasis


@pytest.mark.parametrize("name, at, lang", [
    ("cart-in-window-igg-low", date(2026, 1, 20), "en"),
    ("wrong-patient-observation-dropped", date(2026, 2, 23), "da"),
    ("cart-after-window-recurrent-pneumonia-fresh-igg", date(2026, 2, 3), "en"),
])
def test_ehr_text_in_every_field_stays_inert(name, at, lang):
    bundle = _poison(json.loads((FIXTURES / f"{name}.json").read_text()))
    extra = copy.deepcopy(next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"))
    extra["resource"]["id"] = "x)[y](javascript:alert(1)"  # an id is shown in data notes
    extra["resource"]["valueQuantity"] = {"value": 2.0, "unit": HOSTILE, "code": HOSTILE}  # unusable: named
    bundle["entry"].append(extra)
    unknown = {"resource": {"resourceType": "Condition", "id": "c-hostile", "subject": extra["resource"]["subject"],
                            "verificationStatus": {"coding": [{"code": "confirmed"}]}, "onsetDateTime": at.isoformat(),
                            "code": {"text": "lymfom " + HOSTILE, "coding": [{"system": "urn:local", "code": "L1"}]}}}
    bundle["entry"].append(unknown)
    answered = replay(RUNTIME, bundle, lang=lang, at=at)
    assert answered.cards, "the fixture still gives a card"
    for card in answered.cards:
        assert _active_markup(card["detail"]) == [], card["detail"]
        for field in [card["summary"], *(s["label"] for s in card.get("suggestions", [])),
                      *(r["display"] for r in card.get("overrideReasons", [])),
                      *(a["description"] for s in card.get("suggestions", []) for a in s["actions"])]:
            # plain-text fields (CDS Hooks: the summary is plain text): EHR text as sent, not escaped, but with no
            # control character or line break (no new line or block in any renderer) and no HTML tag or angle bracket
            assert not re.search(r"[\x00-\x1f\x7f]|<img|<script", field) and "\\" not in field, field


def test_a_draft_orders_texts_stay_inert_on_order_sign():
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    drafts = [_poison(d) for d in load_drafts([str(FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json")])]
    drafts[0]["note"] = [{"text": HOSTILE}]
    answered = replay(RUNTIME, bundle, hook="order-sign", drafts=drafts, at=date(2026, 1, 20))
    assert [c["source"]["topic"]["code"] for c in answered.cards] == ["order-meets-criteria"]
    for card in answered.cards:
        assert _active_markup(card["detail"]) == []
        for suggestion in card.get("suggestions", []):
            for action in suggestion["actions"]:
                assert "](" not in action["description"]


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("code, system", [("www.evil.com", "https://evil.example/x"), ("x@evil.dk", "urn:a"),
                                          ("evil.dk", "http://evil.dk/codes")])
def test_an_unknown_order_code_and_its_system_show_as_text_not_links(code, system, lang):
    """The code and system of an unrecognised draft are named in the detail, where an EHR could autolink them."""
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    draft = {"resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/pt-dk-0001"},
             "medicationCodeableConcept": {"text": "Privigen www.evil.com", "coding": [{"system": system, "code": code}]}}
    [card] = replay(RUNTIME, bundle, hook="order-sign", drafts=[draft], at=date(2026, 1, 20), lang=lang).cards
    assert card["source"]["topic"]["code"] == "order-not-recognised"
    html = RENDER.render(card["detail"])
    assert _active_markup(card["detail"]) == [], html
    assert code in html and system in html, html  # shown, as text: the clinician can pass it on
    assert code in card["summary"] and "\\" not in card["summary"]  # the summary is plain text, unescaped


def test_the_suggested_igg_order_is_named_in_the_cards_language():
    bundle = json.loads((FIXTURES / "igg-negative-value-not-used-measure-igg.json").read_text())
    danish_name = next(e.display_da for e in RUNTIME.terminology.valuesets["igg-serum"].entries
                       if e.get("orderable") and e.display_da)
    texts = {}
    for lang in ("en", "da"):
        [card] = replay(RUNTIME, bundle, lang=lang, at=date(2026, 1, 20)).cards
        [order] = [a["resource"] for s in card["suggestions"] for a in s["actions"]
                   if a["resource"]["resourceType"] == "ServiceRequest"]
        texts[lang] = order["code"]["text"]
    assert texts == {"en": "IgG, serum/plasma", "da": danish_name}


def _fixture(name: str) -> tuple[dict, date]:
    expect = json.loads((FIXTURES / f"{name}.expect.json").read_text())
    return json.loads((FIXTURES / f"{name}.json").read_text()), date.fromisoformat(expect["at"])


def test_notes_that_could_change_the_decision_are_shown_before_the_others():
    bundle, at = _fixture("data-notes-that-could-change-the-decision-come-first")
    # the Ig order coded locally and running is named first, under the decision, as Ig the patient may be on
    for lang, first, later in (("en", "“Privigen lokal kode” (code not known) may be Ig the patient is on", "other patients"),
                               ("da", "“Privigen lokal kode” (ukendt kode) kan være Ig, patienten får",
                                "andre patienter")):
        answered = replay(RUNTIME, bundle, lang=lang, at=at)
        assert {n.kind for n in answered.notes} >= {"wrong-patient", "igg-implausible", "infection-unconfirmed"}
        [card] = answered.cards
        assert first in card["detail"] and later not in card["detail"], card["detail"]


@pytest.mark.parametrize("lang, words", [
    ("en", "IgG 4.6 g/L on 2026-01-10 was taken on substitution or in its washout: not used for a start (§3.4)"),
    ("da", "IgG 4,6 g/L den 2026-01-10 er taget under substitution eller i udvaskningen: ikke brugt til start (§3.4)"),
])
def test_an_igg_taken_on_substitution_that_leaves_no_card_is_a_data_note(lang, words):
    from cds_service.cards.notes import one_line

    bundle, at = _fixture("ivig-doses-restart-igg-in-washout-named-no-card")
    answered = replay(RUNTIME, bundle, lang=lang, at=at)
    assert answered.cards == []
    [note] = [n for n in answered.notes if n.kind == "igg-during-substitution"]
    assert one_line(note.kind, lang, note.source, note.display, note.day.isoformat()) == words


@pytest.mark.parametrize("lang, summary, why", [
    ("en", "IgG reported as <6.0 g/L (2026-01-10): cannot tell whether below 4 g/L",
     "That is a bound, not a value: the IgG may lie above or below 4 g/L."),
    ("da", "IgG svaret som <6,0 g/L (2026-01-10): kan ikke afgøre, om den er under 4 g/L",
     "Det er en grænse, ikke en værdi: IgG kan ligge over eller under 4 g/L."),
])
def test_a_bound_that_cannot_decide_is_said_so_in_both_languages(lang, summary, why):
    """The summary says it cannot be told, the detail says once why; the data note on that same IgG, which repeated
    the summary, is left off this card (it stays on the explanation page and on other cards)."""
    bundle, at = _fixture("igg-reported-below-6-not-placed-in-4-6-band")
    answered = replay(RUNTIME, bundle, lang=lang, at=at)
    [card] = answered.cards
    assert card["summary"].startswith(summary) and card["detail"].startswith(why)
    assert [n.kind for n in answered.notes if n.kind == "igg-indeterminate"] == ["igg-indeterminate"]
    assert card["detail"].count("6,0" if lang == "da" else "6.0") == 1  # the bound is named once, in the fact line
    assert "4 g/L to < 6 g/L" not in card["detail"] and "start" not in [s["label"] for s in card.get("suggestions", [])]


@pytest.mark.parametrize("lang, words", [("en", "Polyclonal IgG 2.2 g/L (total 9.0) < 4 g/L"),
                                         ("da", "Polyklonal IgG 2,2 g/L (total 9,0) < 4 g/L")])
def test_a_summary_decided_on_polyclonal_igg_says_so_with_the_total(lang, words):
    bundle, at = _fixture("data-notes-that-could-change-the-decision-come-first")
    [card] = replay(RUNTIME, bundle, lang=lang, at=at).cards
    assert card["summary"].startswith(words) and len(card["summary"]) < 140


@pytest.mark.parametrize("lang, words", [
    ("en", ("M-protein 6.8 g/L of unknown type: if IgG, polyclonal IgG is 2.2 g/L", "serum immunofixation",
            "below 4 g/L")),
    ("da", ("M-komponent 6,8 g/L af ukendt type: er den IgG, er polyklonal IgG 2,2 g/L", "immunfiksation i serum",
            "under 4 g/L")),
])
def test_the_paraprotein_card_asks_for_the_isotype_in_both_languages(lang, words):
    bundle, at = _fixture("myeloma-total-igg-9-untyped-m-protein-6-8-asks-for-immunofixation")
    [card] = replay(RUNTIME, bundle, lang=lang, at=at).cards
    assert card["source"]["topic"]["code"] == "paraprotein-type-unknown" and card["indicator"] == "info"
    assert words[0] in card["summary"] and all(w in card["detail"] for w in words[1:]), card
    assert "suggestions" not in card


@pytest.mark.parametrize("name, shown", [
    ("Immune globulin, human (IVIG) 100 MG/ML Injectable Solution", "Immune globulin, human…"),  # as sent: "(IVIG)" kept whole or not at all
    ("Privigen 100 mg/ml infusionsvæske, opløsning", "Privigen 100 mg/ml…"),
])
def test_a_long_drug_name_in_a_summary_is_cut_at_a_word(name, shown):
    """A summary names the drug briefly: its tail goes, never half a word or half a dose ("IVIG 1…")."""
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    draft = {"resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/pt-dk-0001"},
             "medicationCodeableConcept": {"text": name, "coding": [{"system": "urn:local", "code": "Z9"}]}}
    [card] = replay(RUNTIME, bundle, hook="order-sign", drafts=[draft], at=date(2026, 1, 20)).cards
    assert card["source"]["topic"]["code"] == "order-not-recognised"
    assert f"“{shown}” (Z9)" in card["summary"], card["summary"]  # the record's words, quoted


@pytest.mark.parametrize("lang, summary, detail, caveat", [
    ("en", "M-protein not measured with it: polyclonal IgG may be < 4 g/L; measure the M-protein",
     "Measure the M-protein", "IgG myeloma without an M-protein measured with this IgG"),
    ("da", "M-komponent ikke målt samtidig: polyklonal IgG kan være < 4 g/L; mål M-komponenten",
     "Mål M-komponenten", "IgG-myelomatose uden M-komponent målt sammen med denne IgG"),
])
def test_an_igg_myeloma_without_a_recent_m_protein_is_not_called_of_unknown_type(lang, summary, detail, caveat):
    """Immunofixation already said IgG kappa: the card asks for the M-protein quantity, not for the isotype."""
    bundle, at = _fixture("myeloma-total-igg-7-no-m-protein-result-asks-for-immunofixation")
    fixation = {"resourceType": "Observation", "id": "ife-0059", "status": "final",
                "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU02642"}]},
                "subject": {"reference": "Patient/pt-dk-0059"}, "effectiveDateTime": "2025-11-20",
                "valueString": "IgG kappa"}
    bundle["entry"].append({"fullUrl": "Observation/ife-0059", "resource": fixation})
    [card] = replay(RUNTIME, bundle, lang=lang, at=at).cards
    assert card["source"]["topic"]["code"] == "paraprotein-type-unknown"
    assert summary in card["summary"] and detail in card["detail"], card
    assert "immunofixation" not in card["detail"] and "immunfiksation" not in card["detail"]
    assert "unknown" not in card["summary"] and "ukendt" not in card["summary"]
    for total in ("4.6", "4.4"):  # on a card that is not about the paraprotein, the same holds for its note
        igg = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "o7-0059")
        igg["valueQuantity"]["value"] = float(total)
        [other] = replay(RUNTIME, bundle, lang=lang, at=at).cards
        assert caveat in other["detail"] and "immunofixation tells" not in other["detail"], other["detail"]


def _with_igg_kappa_m_protein(total: float, m_protein: dict) -> tuple[dict, date]:
    """The IgG-7 myeloma fixture with another total, an IgG-kappa immunofixation and an M-protein the same day."""
    bundle, at = _fixture("myeloma-total-igg-7-no-m-protein-result-asks-for-immunofixation")
    igg = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "o7-0059")
    igg["valueQuantity"]["value"] = total
    subject, day = {"reference": "Patient/pt-dk-0059"}, igg["effectiveDateTime"]
    for resource in ({"resourceType": "Observation", "id": "ife-0059", "status": "final",
                      "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU02642"}]},
                      "subject": subject, "effectiveDateTime": "2025-11-20", "valueString": "IgG kappa"},
                     {"resourceType": "Observation", "id": "mp-0059", "status": "final",
                      "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19844"}]},
                      "subject": subject, "effectiveDateTime": day,
                      "valueQuantity": {"unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L",
                                        **m_protein}}):
        bundle["entry"].append({"fullUrl": f"Observation/{resource['id']}", "resource": resource})
    return bundle, at


@pytest.mark.parametrize("lang, summary", [
    ("en", "Polyclonal IgG >3.5 g/L (total 4.5 g/L, M-protein <1.0 g/L, 2026-01-10): unclear whether < 4 g/L; measure "
           "both again"),
    ("da", "Polyklonal IgG >3,5 g/L (total 4,5 g/L, M-komponent <1,0 g/L, 2026-01-10): uvist om < 4 g/L; mål begge "
           "igen"),
])
def test_an_m_protein_below_the_measuring_range_is_not_subtracted_as_if_measured(lang, summary):
    """'<1.0 g/L' is at most 1.0: polyclonal IgG lies between 3.5 and 4.5, so no start on it (it was: '3.5 < 4')."""
    bundle, at = _with_igg_kappa_m_protein(4.5, {"value": 1.0, "comparator": "<"})
    [card] = replay(RUNTIME, bundle, lang=lang, at=at).cards
    assert card["source"]["topic"]["code"] == "measure-igg" and card["summary"] == summary, card["summary"]
    assert not any("start" in s["label"].lower() for s in card.get("suggestions", []))


def test_a_total_below_the_threshold_is_low_whatever_an_m_protein_bound_takes_off():
    bundle, at = _with_igg_kappa_m_protein(3.5, {"value": 1.0, "comparator": "<"})
    [card] = replay(RUNTIME, bundle, at=at).cards
    assert card["source"]["topic"]["code"] == "start-substitution", card["summary"]
    assert card["summary"].startswith("Polyclonal IgG <=3.5 g/L (total 3.5)") and "M-protein <1.0 g/L" in card["detail"]


def _with_fixations(total: float, *fixations: tuple[str, str]) -> tuple[dict, date]:
    """The IgG-7 myeloma fixture with another total and serum immunofixations (date, result text)."""
    bundle, at = _fixture("myeloma-total-igg-7-no-m-protein-result-asks-for-immunofixation")
    igg = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "o7-0059")
    igg["valueQuantity"]["value"] = total
    for n, (day, text) in enumerate(fixations):
        bundle["entry"].append({"fullUrl": f"Observation/ife-{n}", "resource": {
            "resourceType": "Observation", "id": f"ife-{n}", "status": "final",
            "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU02642"}]},
            "subject": {"reference": "Patient/pt-dk-0059"}, "effectiveDateTime": day, "valueString": text}})
    return bundle, at


def test_a_negative_immunofixation_with_the_igg_leaves_no_unknown_type_caveat():
    """No M-protein in the serum when the IgG was taken: the total is polyclonal, nothing to ask the laboratory."""
    bundle, at = _with_fixations(4.5, ("2024-03-01", "IgG kappa"), ("2026-01-05", "Ingen M-komponent påvist"))
    [card] = replay(RUNTIME, bundle, at=at).cards
    assert card["source"]["topic"]["code"] == "general-criteria-igg-under-6"
    assert "immunofixation" not in card["detail"] and "M-protein" not in card["detail"], card["detail"]
    bundle, at = _with_fixations(7.0, ("2024-03-01", "IgG kappa"), ("2026-01-05", "Ingen M-komponent påvist"))
    assert replay(RUNTIME, bundle, at=at).cards == []


def test_a_negative_immunofixation_in_remission_does_not_erase_the_myelomas_type():
    """IgG kappa at diagnosis, negative in remission, no M-protein measured with today's IgG: still IgG myeloma."""
    bundle, at = _with_fixations(7.0, ("2024-03-01", "IgG kappa"), ("2025-06-01", "Ingen M-komponent påvist"))
    [card] = replay(RUNTIME, bundle, at=at).cards
    assert "IgG myeloma, total IgG 7.0 g/L (2026-01-10), M-protein not measured with it" in card["summary"], \
        card["summary"]


def test_a_positive_immunofixation_nearer_the_igg_wins_over_an_earlier_negative_one():
    """Negative a week before the IgG, IgG kappa three days after it (a relapse): the caveat stays."""
    bundle, at = _with_fixations(4.5, ("2024-03-01", "IgG kappa"), ("2026-01-05", "Ingen M-komponent påvist"),
                                 ("2026-01-13", "IgG kappa"))
    igg = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "o7-0059")
    day = igg["effectiveDateTime"][:10]
    assert day == "2026-01-10", day  # the fixations are placed around it
    [card] = replay(RUNTIME, bundle, at=at).cards
    assert "without an M-protein measured with this IgG" in card["detail"], card["detail"]


def test_an_igg_without_a_unit_is_named_as_such():
    bundle, at = _fixture("myeloma-total-igg-7-no-m-protein-result-asks-for-immunofixation")
    igg = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "o7-0059")
    igg["valueQuantity"] = {"value": 3.0}
    answered = replay(RUNTIME, bundle, at=at)
    [note] = [n for n in answered.notes if n.source == "Observation/o7-0059"]
    assert note.message == "result has no unit", note


@pytest.mark.parametrize("lang, words", [
    ("en", "IgG 6.5 − &lt;1 g/L (2026-01-10), a bound: may lie above or below 6 g/L; measure again"),
    ("da", "IgG 6,5 − &lt;1 g/L (2026-01-10), en grænse: kan ligge over eller under 6 g/L; mål igen"),
])
def test_an_m_protein_bound_that_leaves_no_card_is_a_data_note(lang, words):
    """Total 6.5 less an M-protein '<1.0': polyclonal IgG lies in (5.5, 6.5], maybe below 6. No card decides on
    it, so the data notes must say so (the note is left out only when a card names both figures)."""
    bundle, at = _with_igg_kappa_m_protein(6.5, {"value": 1.0, "comparator": "<"})
    answered = replay(RUNTIME, bundle, lang=lang, at=at)
    [note] = [n for n in answered.notes if n.kind == "igg-indeterminate"]
    assert "less an IgG M-protein of <1 g/L" in note.message
    from cds_service.cards.notes import brief
    assert words in brief([note], lang), brief([note], lang)
    shown, at = _with_igg_kappa_m_protein(4.5, {"value": 1.0, "comparator": "<"})
    assert not [n for n in replay(RUNTIME, shown, at=at).notes if n.kind == "igg-indeterminate"]  # its card says it


def _with_untyped_m_protein(total: float, m_protein: dict) -> tuple[dict, date]:
    """The IgG-7 myeloma fixture (no immunofixation) with another total and an M-protein the same day."""
    bundle, at = _with_igg_kappa_m_protein(total, m_protein)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["id"] != "ife-0059"]
    return bundle, at


@pytest.mark.parametrize("total, m_protein, shown", [
    (6.5, {"value": 1.0, "comparator": "<"}, "M-protein <1.0 g/L of unknown type: if IgG, polyclonal IgG is >5.5 g/L"),
    (7.0, {"value": 2.0, "comparator": ">"}, "M-protein >2.0 g/L of unknown type: if IgG, polyclonal IgG is <5.0 g/L"),
])
def test_an_untyped_m_protein_bound_keeps_its_sign_on_the_card(total, m_protein, shown):
    """An M-protein reported as a bound is not a measured amount: the card shows it as reported and the
    polyclonal IgG it allows as a bound too (total less '<1.0' is more than total - 1.0)."""
    bundle, at = _with_untyped_m_protein(total, m_protein)
    [card] = replay(RUNTIME, bundle, at=at).cards
    assert card["source"]["topic"]["code"] == "paraprotein-type-unknown"
    assert shown in card["summary"], card["summary"]


def test_a_lower_bound_m_protein_of_unknown_type_could_take_polyclonal_igg_below_4():
    """Total 7.0 less an M-protein '>2.0' of unknown type: polyclonal IgG below 5.0, which could be below the
    window's 4 g/L; the card names 4 g/L (before, 7.0 - 2.0 = 5.0 was taken as the lowest: only 6 g/L)."""
    bundle, at = _with_untyped_m_protein(7.0, {"value": 2.0, "comparator": ">"})
    [card] = replay(RUNTIME, bundle, at=at).cards
    assert "below 4 g/L" in card["detail"] or "under 4 g/L" in card["detail"], card["detail"]


@pytest.mark.parametrize("lang, words", [
    ("en", "polyclonal IgG >3.5 g/L (total 4.5, M-protein <1.0 g/L), unclear whether < 4 g/L"),
    ("da", "polyklonal IgG >3,5 g/L (total 4,5, M-komponent <1,0 g/L), uvist om < 4 g/L"),
])
def test_an_order_card_does_not_present_a_derived_bound_as_the_laboratorys(lang, words):
    """Total 4.5 less an M-protein '<1.0': the laboratory reported neither '>3.5' nor an IgG bound; the order card
    says which figure is derived and from what."""
    bundle, at = _with_igg_kappa_m_protein(4.5, {"value": 1.0, "comparator": "<"})
    draft = {"resourceType": "MedicationRequest", "id": "draft-ivig", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/pt-dk-0059"}, "authoredOn": at.isoformat(),
             "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]}}
    [card] = replay(RUNTIME, bundle, lang=lang, hook="order-sign", drafts=[draft], at=at).cards
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria"
    assert words in card["summary"] and "reported as" not in card["summary"] and "svaret som" not in card["summary"]


@pytest.mark.parametrize("lang, words", [
    ("en", "No haematological cancer diagnosis received; this site assumes one."),
    ("da", "Ingen hæmatologisk kræftdiagnose modtaget; hospitalets opsætning antager en."),
])
def test_a_site_that_assumes_a_malignancy_says_so_in_plain_words(tmp_path, lang, words):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"malignancy_requirement": "assume"}))
    runtime = load_runtime(Settings(data_dir=str(tmp_path), policy_file=str(policy)))
    bundle, at = _fixture("cart-in-window-igg-low")
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Condition"]
    [card] = replay(runtime, bundle, lang=lang, at=at).cards
    assert words in card["detail"], card["detail"]


@pytest.mark.parametrize("fixture, end, code, lang, ends, lengthens", [
    ("cart-ig-active-stop-planned-40-days", "2026-03-20", "stop-planned", "en",
     "attempt the stop when the order ends 2026-03-20 (stop date 2026-04-14)", "Let the order end on 2026-04-14"),
    ("cart-ig-active-stop-planned-40-days", "2026-03-20", "stop-planned", "da",
     "forsøg seponering, når ordinationen slutter 2026-03-20 (seponeringsdato 2026-04-14)",
     "Lad ordinationen slutte 2026-04-14"),
    ("cart-ig-active-stop-due-14-days", "2026-04-05", "stop-due-soon", "en",
     "stop attempt when the order ends 2026-04-05 (stop date 2026-04-14, ", "Pause substitution on 2026-04-14"),
    ("cart-ig-active-stop-due-14-days", "2026-04-05", "stop-due-soon", "da",
     "seponeringsforsøg, når ordinationen slutter 2026-04-05 (seponeringsdato 2026-04-14, ",
     "Pausér substitution 2026-04-14"),
])
def test_a_stop_card_does_not_lengthen_an_order_that_ends_before_the_stop_date(fixture, end, code, lang, ends,
                                                                                  lengthens):
    """The clinician ordered a shorter course: the card names its end, and weeks ahead says it may be renewed to the
    stop date, as the guideline has substitution begun in the window run to it (§4.1), and that a start after an
    earlier stop is a restart (§4.3), as the order cards do (the stop-due card stays a warning: the stop is near)."""
    bundle, at = _fixture(fixture)
    order = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "mr-ivig-0011")
    order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = end
    [card] = replay(RUNTIME, bundle, lang=lang, at=at).cards
    assert card["source"]["topic"]["code"] == code and not card.get("suggestions")
    assert ends in card["summary"] and len(card["summary"]) <= 140
    assert lengthens not in card["detail"] and f"({end})" in card["detail"]
    if code == "stop-planned":  # weeks ahead: renewing it to the stop date is said, beside what stopping earlier means
        assert {"en": "Renew it to 2026-04-14, or stop when it ends (2026-03-20); a new start more than 7 days later "
                      "is a restart (general criteria).",
                "da": "Forny den til 2026-04-14, eller seponér, når den slutter (2026-03-20); start over 7 dage "
                      "senere er genopstart (generelle kriterier)."}[lang] in card["detail"], card["detail"]


@pytest.mark.parametrize("lang, words", [("en", "The latest IgG (5.0 g/L, 2025-11-15) was taken on substitution"),
                                         ("da", "Seneste IgG (5,0 g/L, 2025-11-15) er taget under substitution")])
def test_an_igg_on_substitution_with_none_before_it_is_not_called_later(lang, words):
    """The only IgG since T0 was taken during a course that has ended: the card asking for an IgG names it as
    the latest, not as "a later IgG" (there is no earlier one it could be later than)."""
    subject = {"reference": "Patient/p"}
    confirmed = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}
    resources = [
        {"resourceType": "Patient", "id": "p", "birthDate": "1958-03-02"},
        {"resourceType": "Condition", "id": "dx", "subject": subject, "verificationStatus": confirmed,
         "onsetDateTime": "2024-01-01", "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4.12", "code": "DC833"}]}},
        {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": subject,
         "performedDateTime": "2025-09-10", "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]}},
        {"resourceType": "MedicationRequest", "id": "ivig", "status": "stopped", "intent": "order", "subject": subject,
         "authoredOn": "2025-10-01",
         "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]},
         "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-10-01", "end": "2025-12-01"}}}}]},
        {"resourceType": "Observation", "id": "igg-on", "status": "final", "subject": subject,
         "effectiveDateTime": "2025-11-15", "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
         "valueQuantity": {"value": 5.0, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}},
        {"resourceType": "Condition", "id": "sepsis", "subject": subject, "verificationStatus": confirmed,
         "onsetDateTime": "2025-12-20", "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A41.9"}]}},
    ]
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources]}
    [card] = replay(RUNTIME, bundle, lang=lang, at=date(2026, 1, 10)).cards
    assert card["source"]["topic"]["code"] == "measure-igg"
    assert words in card["detail"]
    assert "later IgG" not in card["detail"] and "senere IgG" not in card["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("code, name", [("LOC_47_11", "Privigen"), ("A*B", "Privigen A*B"),
                                        ("[x](y)", "Privigen [x](y)")])
def test_a_code_and_name_from_the_ehr_read_as_sent_in_the_summary(code, name, lang):
    """The summary is plain text (CDS Hooks): "LOC_47_11" read "LOC4711" there, its markup characters stripped; the
    detail (markdown) escapes them, and renders them as sent."""
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    draft = {"resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/pt-dk-0001"},
             "medicationCodeableConcept": {"text": name + "\n\tx", "coding": [{"system": "urn:local", "code": code}]}}
    [card] = replay(RUNTIME, bundle, hook="order-sign", drafts=[draft], at=date(2026, 1, 20), lang=lang).cards
    assert card["source"]["topic"]["code"] == "order-not-recognised"
    assert f"“{name} x” ({code})" in card["summary"] and len(card["summary"]) < 140, card["summary"]
    assert _active_markup(card["detail"]) == [] and code in RENDER.render(card["detail"])
