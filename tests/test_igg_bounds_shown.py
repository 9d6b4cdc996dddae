"""How an IgG reported as a bound is shown: in the card's machine-readable trace, on the card, and in what the
card and its notes say beside it (clinical-rules §6, §7, §8; Medicinrådet 2025 §3.4, §4.1).

Charts built here, replayed at fixed dates: a lymphoma patient after a CAR-T infusion on 2025-11-18 and a myeloma
patient after a first teclistamab dose the same day (the acceptance charts of test_acceptance_igg), and a myeloma
patient with no recognised index event (test_therapy_known_by_name).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.http.explain_page import _reasoning
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from tests.test_acceptance_igg import _q, igg, ivig, lymphoma, m_protein, m_text, myeloma
from tests.test_therapy_known_by_name import SUBJECT, chart

RUNTIME = load_runtime(Settings())
IN_WINDOW = date(2026, 1, 20)


def mp(when: str, value: float, comparator: str = "") -> dict[str, Any]:
    found = m_protein("mp", when, value)
    if comparator:
        found["valueQuantity"]["comparator"] = comparator
    return found


def text(cards: list[dict[str, Any]]) -> str:
    return "\n".join(f"{c['summary']}\n{c.get('detail', '')}" for c in cards)


def latest_igg_step(card: dict[str, Any]) -> dict[str, Any]:
    return next(s for s in card["extension"]["dk.igsub-cds.trace"] if s["name"] == "Latest IgG")


# -- 1. the trace gives the decided value with its comparator at the top level ----------------------------------------

@pytest.mark.parametrize("bundle, value, comparator", [
    (lymphoma(igg("igg", "2026-01-10", None, valueQuantity=_q(3.0, ">"))), 3.0, ">"),
    (lymphoma(igg("igg", "2026-01-10", 3.2)), 3.2, ""),
    (myeloma(igg("igg", "2026-01-10", None, valueQuantity=_q(25, ">")), mp("2026-01-10", 22)), 3.0, ">"),
    (myeloma(igg("igg", "2026-01-10", 25.0), mp("2026-01-10", 22, ">")), 3.0, "<"),
    # total "<3.5" less an M-protein "<1.0": at most 3.5 (2.5 with either sign would be false)
    (myeloma(igg("igg", "2026-01-10", None, valueQuantity=_q(3.5, "<")), mp("2026-01-10", 1.0, "<")), 3.5, "<"),
    # both lower bounds: nothing but ">0" (3.0 with ">" would be false)
    (myeloma(igg("igg", "2026-01-10", None, valueQuantity=_q(25, ">")), mp("2026-01-10", 22, ">")), 0.0, ">"),
])
def test_the_trace_gives_the_igg_decided_on_with_its_sign(bundle, value, comparator):
    [card] = replay(RUNTIME, bundle, at=IN_WINDOW).cards
    step = latest_igg_step(card)
    assert (step["value"]["value_g_l"], step["value"].get("comparator", "")) == (value, comparator)
    # the explanation page shows a bound's sign beside the value (a plain value has none: left out, not "")
    assert ('&quot;comparator&quot;' in _reasoning([step], "en")) == bool(comparator)


def test_a_page_stored_before_the_sign_was_traced_still_renders():
    [card] = replay(RUNTIME, lymphoma(igg("igg", "2026-01-10", None, valueQuantity=_q(3.0, ">"))), at=IN_WINDOW).cards
    step = latest_igg_step(card)
    old = {**step, "value": {k: v for k, v in step["value"].items() if k != "comparator"}}
    assert "value_g_l" in _reasoning([old], "en")


# -- 2. polyclonal IgG the figures put no bound on --------------------------------------------------------------------

NO_BOUND = [myeloma(igg("igg", "2026-01-10", None, valueQuantity=_q(25, ">")), mp("2026-01-10", 22, ">")),
            myeloma(igg("igg", "2026-01-10", 5.0), mp("2026-01-10", 7.0, "<"))]


@pytest.mark.parametrize("bundle", NO_BOUND)
@pytest.mark.parametrize("lang, summary, todo, fact", [
    ("en", "Polyclonal IgG cannot be told from total ", "ask for both as numbers", "Polyclonal IgG unknown on"),
    ("da", "Polyklonal IgG kan ikke udledes af total ", "bed om begge som tal", "Polyklonal IgG ukendt den"),
])
def test_polyclonal_igg_with_no_bound_is_said_to_be_unknown(bundle, lang, summary, todo, fact):
    [card] = replay(RUNTIME, bundle, lang=lang, at=IN_WINDOW).cards
    assert card["source"]["topic"]["code"] == "measure-igg" and card["summary"].startswith(summary)
    assert todo in card["detail"] and fact in card["detail"]
    assert "0.0 g/L" not in text([card]) and "0,0 g/L" not in text([card])
    assert len(card["summary"]) <= 140 and len(card["detail"]) <= 700


@pytest.mark.parametrize("lang, words", [("en", "polyclonal IgG cannot be told from total >25.0"),
                                         ("da", "polyklonal IgG kan ikke udledes af total >25,0")])
def test_an_order_on_polyclonal_igg_with_no_bound_says_so(lang, words):
    draft = ivig("draft", "2026-01-21", status="draft")
    cards = replay(RUNTIME, NO_BOUND[0], lang=lang, at=IN_WINDOW, hook="order-sign", drafts=[draft]).cards
    assert words in text(cards) and "0.0 g/L" not in text(cards) and "0,0 g/L" not in text(cards)


# -- 3. a bsAb or CAR-T product drafted under a code the service does not know ---------------------------------------

def draft(medication: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "d", "status": "draft", "intent": "order", "subject": SUBJECT,
            "authoredOn": "2026-01-10", "medicationCodeableConcept": medication,
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-01-12"}}}}]}


@pytest.mark.parametrize("medication, recognised", [
    ({"text": "Lynozyfic (linvoseltamab) 200 mg"}, {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX32"}]}),
    ({"text": "Elrexfio 40 mg/ml", "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "L-77"}]},
     {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX32"}]}),
    ({"text": "Carvykti infusion"}, {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01XL05"}]}),
])
@pytest.mark.parametrize("lang, todo", [("en", "Plan IgG monitoring yourself"), ("da", "Planlæg selv IgG-monitorering")])
def test_a_therapy_drafted_under_an_unknown_code_has_the_indicator_of_the_recognised_one(medication, recognised, lang,
                                                                                          todo):
    """Adult, myeloma, no index event: the recognised draft gets plan-igg-monitoring (information); the one known only
    by its name asks for the same monitoring, so it is no warning either."""
    [known] = replay(RUNTIME, chart(), lang=lang, at=date(2026, 1, 10), hook="order-sign",
                     drafts=[draft(recognised)]).cards
    [named] = replay(RUNTIME, chart(), lang=lang, at=date(2026, 1, 10), hook="order-sign",
                     drafts=[draft(medication)]).cards
    assert known["source"]["topic"]["code"] == "plan-igg-monitoring"
    assert named["source"]["topic"]["code"] == "order-not-recognised"
    assert named["indicator"] == known["indicator"] == "info"
    assert todo in named["detail"] and "criteria for this order yourself" not in named["detail"]


def test_an_immunoglobulin_drafted_under_an_unknown_code_stays_a_warning():
    """The order itself was not checked against the start criteria: a warning, as one that fails them."""
    bundle = lymphoma(igg("igg", "2026-01-10", 3.0))
    ig = ivig("d", "2026-01-21", status="draft")
    ig["medicationCodeableConcept"] = {"text": "Privigen 100 mg/ml"}
    [card] = replay(RUNTIME, bundle, at=IN_WINDOW, hook="order-sign", drafts=[ig]).cards
    assert card["source"]["topic"]["code"] == "order-not-recognised" and card["indicator"] == "warning"


# -- 4. the stale card does not call an IgG "the latest" when a newer one was taken on substitution --------------------

@pytest.mark.parametrize("lang, summary, detail", [
    ("en", "IgG 7.0 g/L (2025-12-01) is 50 days old", "The latest IgG taken off substitution is older than 30 days"),
    ("da", "IgG 7,0 g/L (2025-12-01) er 50 dage gammel", "Seneste IgG taget uden substitution er ældre end 30 dage"),
])
def test_the_stale_card_names_the_igg_it_means(lang, summary, detail):
    [card] = replay(RUNTIME, lymphoma(igg("igg", "2025-12-01", 7.0)), lang=lang, at=IN_WINDOW).cards
    assert card["source"]["topic"]["code"] == "measure-igg" and card["summary"].startswith(summary)
    assert detail in card["detail"] and "Last IgG" not in card["summary"]


# -- 5. a stale bound inside the window: the note names only what matters there ---------------------------------------

def test_a_stale_bound_in_the_window_has_no_note_about_6_g_l():
    answered = replay(RUNTIME, lymphoma(igg("igg", "2025-12-01", None, valueQuantity=_q(4.0, ">"))), at=IN_WINDOW)
    [card] = answered.cards
    assert card["source"]["topic"]["code"] == "measure-igg"
    assert not [n for n in answered.notes if n.kind == "igg-indeterminate"]


def test_a_fresh_bound_in_the_window_still_says_why_no_4_to_6_card():
    answered = replay(RUNTIME, lymphoma(igg("igg", "2026-01-10", None, valueQuantity=_q(4.0, ">"))), at=IN_WINDOW)
    assert answered.cards == []
    [note] = [n for n in answered.notes if n.kind == "igg-indeterminate"]
    assert "6 g/L" in note.message


# -- 6. other bounds shown ---------------------------------------------------------------------------------------------

def test_an_igg_below_its_m_protein_bound_is_noted_with_the_bound():
    """Total 25.0 with an IgG M-protein reported as ">26": the note gave "M-protein 26 g/L", a figure no one reported."""
    answered = replay(RUNTIME, myeloma(igg("igg", "2026-01-10", 25.0), mp("2026-01-10", 26, ">")), at=IN_WINDOW)
    [note] = [n for n in answered.notes if n.kind == "igg-below-m-protein"]
    assert "IgG 25 g/L is not larger than the IgG M-protein >26 g/L" in note.message


# -- second reading: bounds that must not be read as a conflict, a therapy draft beside substitution --------------------

@pytest.mark.parametrize("total", [_q(25, ">"), _q(25, ">=")])
@pytest.mark.parametrize("lang, summary", [("en", "Polyclonal IgG cannot be told from total "),
                                           ("da", "Polyklonal IgG kan ikke udledes af total ")])
def test_a_total_reported_as_a_lower_bound_is_not_smaller_than_its_m_protein(total, lang, summary):
    """Total ">25" with an IgG M-protein of 26: the total may be 30, so 'IgG >25 g/L is not larger than the IgG
    M-protein 26 g/L: one of them is wrong' is false, and the IgG was dropped ('no usable IgG'). Polyclonal IgG has no
    lower bound from these figures: both are asked for as numbers."""
    answered = replay(RUNTIME, myeloma(igg("igg", "2026-01-10", None, valueQuantity=total), mp("2026-01-10", 26)),
                      lang=lang, at=IN_WINDOW)
    assert not [n for n in answered.notes if n.kind == "igg-below-m-protein"]
    [card] = answered.cards
    assert card["source"]["topic"]["code"] == "measure-igg" and card["summary"].startswith(summary)
    step = latest_igg_step(card)
    assert step["value"]["value_g_l"] == 0.0 and step["value"].get("comparator", "") == total["comparator"]


def test_a_total_at_or_below_an_m_protein_lower_bound_is_still_a_conflict():
    answered = replay(RUNTIME, myeloma(igg("igg", "2026-01-10", None, valueQuantity=_q(25, "<")), mp("2026-01-10", 26)),
                      at=IN_WINDOW)
    assert [n for n in answered.notes if n.kind == "igg-below-m-protein"]


def _on_substitution() -> dict[str, Any]:
    """In the window of a CAR-T infusion on 2025-11-18, IVIG since 2025-11-25: no bsAb course a drafted bsAb could
    resume, so any bsAb drafted is a new therapy, begun after the IVIG."""
    return lymphoma(igg("igg", "2025-11-10", 3.0), ivig("iv", "2025-11-25"))


def _on_substitution_in_a_bsab_course() -> dict[str, Any]:
    """In the window of a teclistamab course begun 2025-11-18, IVIG since 2025-11-25."""
    return myeloma(igg("igg", "2025-11-10", 3.0), ivig("iv", "2025-11-25"))


@pytest.mark.parametrize("medication", [
    {"text": "Lynozyfic (linvoseltamab) 200 mg"},
    {"text": "Elrexfio 40 mg/ml", "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "L-77"}]},
    {"text": "Carvykti infusion"},
])
@pytest.mark.parametrize("lang, note", [
    ("en", "Immunoglobulin begun before this therapy follows the general stop criteria"),
    ("da", "Immunglobulin startet før denne behandling følger de generelle seponeringskriterier"),
])
def test_a_therapy_drafted_under_an_unknown_code_beside_substitution_says_what_its_twin_says(medication, lang, note):
    """§4.2: immunoglobulin begun before a bsAb or CAR-T is not stopped with its window. The recognised draft's
    information card says so; the one known only by its name, now an information card too, said nothing of it."""
    at = date(2026, 1, 20)
    known, named = (draft(m) for m in ({"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX32"}]},
                                       medication))
    for d in (known, named):
        d["subject"] = {"reference": "Patient/pt-igg"}
        d["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"] = "2026-01-20"
    [twin] = replay(RUNTIME, _on_substitution(), lang=lang, at=at, hook="order-sign", drafts=[known]).cards
    [card] = replay(RUNTIME, _on_substitution(), lang=lang, at=at, hook="order-sign", drafts=[named]).cards
    assert twin["source"]["topic"]["code"] == "plan-igg-monitoring" and note in twin["detail"]
    assert card["source"]["topic"]["code"] == "order-not-recognised" and card["indicator"] == "info"
    assert note in card["detail"] and len(card["detail"]) <= 700


def test_a_therapy_drafted_under_an_unknown_code_with_no_substitution_has_no_such_note():
    [card] = replay(RUNTIME, chart(), at=date(2026, 1, 10), hook="order-sign",
                    drafts=[draft({"text": "Lynozyfic (linvoseltamab) 200 mg"})]).cards
    assert card["source"]["topic"]["code"] == "order-not-recognised"
    assert "Immunoglobulin begun before this therapy" not in card["detail"]


@pytest.mark.parametrize("bundle", NO_BOUND + [
    myeloma(igg("igg", "2026-01-10", None, valueQuantity=_q(25, ">")), m_text("mp", "2026-01-10", "spor"))])
def test_the_worklist_row_of_polyclonal_igg_with_no_bound_says_unknown_not_0(bundle):
    """The card says 'Polyclonal IgG unknown'; the worklist said '>0.0 g/L', and its CSV gave igg_g_l 0.0 (no sign),
    the lowest IgG on any list sorted by it."""
    from cds_service.tools.worklist import _igg_cell, evaluate_patient_resources

    [row] = evaluate_patient_resources([e["resource"] for e in bundle["entry"]], IN_WINDOW, RUNTIME)
    assert row.code == "measure-igg" and row.igg_g_l is None
    assert _igg_cell(row) == "polyclonal unknown 2026-01-10"


def test_the_worklist_row_of_a_bounded_polyclonal_igg_keeps_its_bound():
    bundle = myeloma(igg("igg", "2026-01-10", 4.2), m_text("mp", "2026-01-10", "<0,5 g/L"))
    from cds_service.tools.worklist import _igg_cell, evaluate_patient_resources

    [row] = evaluate_patient_resources([e["resource"] for e in bundle["entry"]], IN_WINDOW, RUNTIME)
    assert row.igg_g_l == 3.7 and _igg_cell(row) == ">3.7 g/L 2026-01-10"


@pytest.mark.parametrize("medication", [{"text": "Tecvayli 10 mg/ml"},
                                        {"text": "Tecvayli 10 mg/ml", "coding": [
                                            {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "L-77"}]}])
@pytest.mark.parametrize("lang, note", [
    ("en", "Immunoglobulin begun before this therapy"), ("da", "Immunglobulin startet før denne behandling")])
def test_a_bsab_drafted_by_name_that_may_resume_the_running_course_does_not_call_the_ig_begun_before_it(medication, lang,
                                                                                                         note):
    """IVIG begun 2025-11-25 in the window of a teclistamab course begun 2025-11-18 is under the window's stop (§4.2):
    'Tecvayli' drafted under an unknown code may be that course's next dose (its recognised twin 'continues' it and
    carries no such note), so the card must not say the IVIG follows the general stop criteria."""
    at = date(2026, 1, 20)
    named = draft(medication)
    named["subject"] = {"reference": "Patient/pt-igg"}
    named["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"] = "2026-01-20"
    twin = draft({"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX24"}]})
    twin["subject"] = named["subject"]
    twin["dosageInstruction"] = named["dosageInstruction"]
    chart = _on_substitution_in_a_bsab_course()
    [known] = replay(RUNTIME, chart, lang=lang, at=at, hook="order-sign", drafts=[twin]).cards
    assert known["source"]["topic"]["code"] == "plan-igg-monitoring" and note not in known["detail"]
    [card] = replay(RUNTIME, chart, lang=lang, at=at, hook="order-sign", drafts=[named]).cards
    assert card["source"]["topic"]["code"] == "order-not-recognised" and note not in card["detail"], card["detail"]
