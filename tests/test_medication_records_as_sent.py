"""Medication records in the shapes EHRs send them: each read for what it says, never dropped in silence.

An order of several dosage lines (a loading dose with its own dates beside an open maintenance line; a bispecific's
step-up doses as planned dose days beside the maintenance line), a Medication that names its drug through another
Medication (`ingredient.itemReference`), immunoglobulin named in Danish compounds and short forms, and the specific
immunoglobulins (tetanus, rabies, anti-D) that are no substitution.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import ATC, SUBJECT, car_t, chart, igg, rid

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)
IN_WINDOW = (car_t("2025-11-18"), igg("2026-01-13", 3.2))  # IgG 3.2 in the window: a start, unless already on Ig


def answer(bundle: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    got = replay(RUNTIME, bundle, at=AT)
    return list(got.cards), [n.kind for n in got.notes]


def code(card: dict[str, Any]) -> str:
    return str(card["source"]["topic"]["code"])


def labels(card: dict[str, Any]) -> list[str]:
    return [s["label"] for s in card.get("suggestions", [])]


def ig_order(*dosages: dict[str, Any], concept: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": rid("mr"), "status": "active", "intent": "order",
            "subject": SUBJECT, "authoredOn": "2025-12-01", "dosageInstruction": list(dosages),
            **({"medicationCodeableConcept": concept} if concept is not None else {}), **more}


IVIG = {"coding": [{"system": ATC, "code": "J06BA02"}], "text": "Privigen"}
LOADING = {"sequence": 1, "timing": {"repeat": {"boundsPeriod": {"start": "2025-12-01", "end": "2025-12-02"}}}}


def test_a_loading_dose_with_its_own_end_does_not_end_an_open_maintenance_line() -> None:
    """Loading 1-2 December, then "every 4 weeks" with no end: the order runs on, so the stop is planned. Before, the
    loading dose's end was read as the order's end: "Ig restart not recommended", and order-select warned."""
    maintenance = {"sequence": 2, "timing": {"repeat": {"frequency": 1, "period": 4, "periodUnit": "wk"}}}
    [card] = answer(chart(*IN_WINDOW, ig_order(LOADING, maintenance, concept=IVIG)))[0]
    assert code(card) == "stop-planned", card["summary"]
    assert "plan the stop attempt on 2026-05-18" in card["summary"]


def test_a_maintenance_line_of_a_length_ends_the_order_at_its_end_not_the_loading_doses() -> None:
    """Loading 1-2 December, then maintenance for 5 months: the order ends 1 May (the latest end of its lines)."""
    maintenance = {"sequence": 2, "timing": {"repeat": {"boundsDuration": {"value": 5, "unit": "mo", "code": "mo",
                                                                            "system": "http://unitsofmeasure.org"},
                                                         "frequency": 1, "period": 4, "periodUnit": "wk"}}}
    [card] = answer(chart(*IN_WINDOW, ig_order(LOADING, maintenance, concept=IVIG)))[0]
    assert code(card) == "stop-planned" and "the order ends 2026-05-01" in card["summary"], card["summary"]


def test_step_up_doses_on_a_line_of_their_own_date_a_bispecifics_start() -> None:
    """Teclistamab ordered with its step-up doses as planned dose days (18 and 20 November) and the maintenance line
    dated from 22 November: T0 is the first step-up dose, so the stop attempt is 18 May, not 22 May."""
    tec = {"resourceType": "MedicationRequest", "id": rid("mr"), "status": "active", "intent": "order",
           "subject": SUBJECT, "authoredOn": "2025-11-10",
           "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01FX24"}], "text": "Tecvayli"},
           "dosageInstruction": [{"sequence": 1, "timing": {"event": ["2025-11-18", "2025-11-20"]}},
                                 {"sequence": 2, "timing": {"repeat": {"boundsPeriod": {"start": "2025-11-22"},
                                                                       "frequency": 1, "period": 1, "periodUnit": "wk"}}}]}
    [card] = answer(chart(igg("2026-01-13", 3.2), tec))[0]
    assert code(card) == "start-substitution"
    assert "after bsAb 2025-11-18" in card["summary"] and "stop attempt 2026-05-18" in card["summary"], card["summary"]
    assert labels(card) == ["Order IVIG ending 2026-05-18", "Order SCIG ending 2026-05-18"]


def medication(mid: str, **body: Any) -> dict[str, Any]:
    return {"resourceType": "Medication", "id": mid, **body}


@pytest.mark.parametrize("contained", [False, True])
def test_a_medication_naming_its_drug_through_another_medication_is_read_as_that_drug(contained: bool) -> None:
    """A product Medication whose ingredient is a reference to the Medication coded J06BA02 (sent beside it, or
    contained in it): the patient on it gets the stop planned. Before, the order was no drug: "Ig may be started",
    with "Order IVIG" offered to a patient on IVIG."""
    inner = medication("sub" if contained else "med-sub", code={"coding": [{"system": ATC, "code": "J06BA02"}],
                                                                "text": "Privigen 100 mg/ml"})
    product = medication("med-ig", ingredient=[{"itemReference": {"reference": "#sub" if contained
                                                                  else "Medication/med-sub"}}],
                         **({"contained": [inner]} if contained else {}))
    order = ig_order({"timing": {"repeat": {"boundsPeriod": {"start": "2025-12-01"}}}},
                     medicationReference={"reference": "Medication/med-ig"})
    sent = [product, order] if contained else [product, inner, order]
    [card] = answer(chart(*IN_WINDOW, *sent))[0]
    assert code(card) == "stop-planned", card["summary"]


def text_order(text: str) -> dict[str, Any]:
    return ig_order({"timing": {"repeat": {"boundsPeriod": {"start": "2025-12-01"}}}}, concept={"text": text})


@pytest.mark.parametrize("text", ["IV-IG", "SC-IG", "Ig-substitution", "IgG-substitution", "Ig-behandling",
                                  "Yimmugo 100 mg/ml", "Qivigy", "Alyglo", "Bivigam", "Sandoglobulin"])
def test_immunoglobulin_written_in_short_forms_and_other_brands_may_be_what_the_patient_is_on(text: str) -> None:
    """An active order known only by such a name: the start card says the patient may already be on Ig and offers no
    Ig order. Before: "Ig may be started", "Order IVIG" offered, and no note at all."""
    [card] = answer(chart(*IN_WINDOW, text_order(text)))[0]
    assert code(card) == "start-substitution" and labels(card) == []
    assert f"“{text}”" in card["detail"] and "may be Ig the patient is on" in card["detail"], card["detail"]


@pytest.mark.parametrize("text", ["Tetanusimmunglobulin", "Stivkrampeimmunglobulin", "Rabiesimmunglobulin",
                                  "Hundegalskabsimmunglobulin", "Rh(D)-immunglobulin"])
def test_specific_immunoglobulins_named_in_danish_compounds_are_no_substitution(text: str) -> None:
    """A specific immunoglobulin (tetanus, rabies, anti-D) is no substitution: the start card stands with its order
    suggestions, and the record is named as what it is. Before, "Tetanusimmunglobulin" was read as Ig the patient
    may be on, and the order suggestions were withheld."""
    [card], notes = answer(chart(*IN_WINDOW, text_order(text)))
    assert code(card) == "start-substitution" and labels(card) == ["Order IVIG ending 2026-05-18",
                                                                    "Order SCIG ending 2026-05-18"]
    assert "may be Ig" not in card["detail"] and notes == ["ig-specific"]


def test_a_specific_immunoglobulins_code_is_not_named_as_a_code_to_add() -> None:
    """ATC J06BB04 named "Zutectra (hepatitis B-immunglobulin)": rightly coded, so its note says it is a specific
    immunoglobulin, not that a site should add its code (which would count it as substitution)."""
    zutectra = ig_order({"timing": {"repeat": {"boundsPeriod": {"start": "2025-12-01"}}}},
                        concept={"coding": [{"system": ATC, "code": "J06BB04"}],
                                 "text": "Zutectra (hepatitis B-immunglobulin)"})
    got = replay(RUNTIME, chart(*IN_WINDOW, zutectra), at=AT)
    [note] = got.notes
    assert note.kind == "ig-specific" and "CDS_VALUESET_DIR" not in note.message


def test_a_specific_immunoglobulins_code_beside_a_substitution_products_name_keeps_its_note() -> None:
    """J06BB04 named "Privigen": the code and the name disagree; the record stays named as not recognised."""
    odd = ig_order({"timing": {"repeat": {"boundsPeriod": {"start": "2025-12-01"}}}},
                   concept={"coding": [{"system": ATC, "code": "J06BB04"}], "text": "Privigen"})
    assert answer(chart(*IN_WINDOW, odd))[1] == ["unrecognised-code"]


@pytest.mark.parametrize("maintenance, ends", [
    ({"timing": {"repeat": {"count": 6, "frequency": 1, "period": 4, "periodUnit": "wk"}}}, "2026-04-20"),
    ({"timing": {"event": ["2025-12-29", "2026-01-26", "2026-02-23"]}}, "2026-02-23")])
def test_a_loading_dose_beside_a_counted_or_dated_maintenance_ends_with_the_maintenance(
        maintenance: dict[str, Any], ends: str) -> None:
    """Loading 1-2 December beside "6 doses every 4 weeks" (the last on 20 April) or three planned doses (the last 23
    February): the order ends with its last maintenance dose, not the loading dose's end."""
    [card] = answer(chart(*IN_WINDOW, ig_order(LOADING, maintenance, concept=IVIG)))[0]
    assert code(card) == "stop-planned" and f"the order ends {ends}" in card["summary"], card["summary"]


def test_a_timing_that_says_nothing_does_not_make_a_dated_order_run_on() -> None:
    """An order dated 1 December to 1 February, with a second dosage line whose timing is empty: it still ends then."""
    dated = {"timing": {"repeat": {"boundsPeriod": {"start": "2025-12-01", "end": "2026-02-01"}}}}
    [card] = answer(chart(*IN_WINDOW, ig_order(dated, {"timing": {}}, concept=IVIG)))[0]
    assert "the order ends 2026-02-01" in card["summary"], card["summary"]


def test_dose_days_on_a_line_dated_by_its_own_bounds_do_not_move_its_start() -> None:
    """Dose days written on the maintenance line itself (with its repeat and boundsPeriod from 22 November): that
    line's start stands, as before; only a line of dose days alone is read as step-up doses."""
    tec = {"resourceType": "MedicationRequest", "id": rid("mr"), "status": "active", "intent": "order",
           "subject": SUBJECT, "authoredOn": "2025-11-10",
           "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01FX24"}], "text": "Tecvayli"},
           "dosageInstruction": [{"timing": {"event": ["2025-11-18"], "repeat": {
               "boundsPeriod": {"start": "2025-11-22"}, "frequency": 1, "period": 1, "periodUnit": "wk"}}}]}
    [card] = answer(chart(igg("2026-01-13", 3.2), tec))[0]
    assert "after bsAb 2025-11-22" in card["summary"], card["summary"]


@pytest.mark.parametrize("text", ["Vigamox 5 mg/ml øjendråber", "Prednisolon, kortvarig-behandling",
                                  "Kalium, langvarig-substitution"])
def test_other_drugs_whose_names_hold_the_new_words_are_not_immunoglobulin(text: str) -> None:
    """A hint with a hyphen is read at a word's start only, and no brand is read inside another drug's name: the start
    card keeps its order suggestions."""
    [card] = answer(chart(*IN_WINDOW, text_order(text)))[0]
    assert labels(card) == ["Order IVIG ending 2026-05-18", "Order SCIG ending 2026-05-18"], card["detail"]


def test_a_normal_immunoglobulins_text_naming_the_patients_rhesus_type_stays_immunoglobulin() -> None:
    """"Normalt humant immunglobulin (pt. RhD-negativ)": the patient's blood type, not anti-D: the patient may be on
    Ig, and no Ig order is offered."""
    [card] = answer(chart(*IN_WINDOW, text_order("Normalt humant immunglobulin (pt. RhD-negativ)")))[0]
    assert labels(card) == [] and "may be Ig the patient is on" in card["detail"]


@pytest.mark.parametrize("kind, what", [("MedicationRequest", "An order (2025-12-01)"),
                                        ("MedicationAdministration", "A recorded dose (2025-12-01)")])
def test_a_medication_with_no_code_or_name_is_named_by_the_record_that_names_it(kind: str, what: str) -> None:
    """A Medication sent with nothing to tell its drug by (no code, name or ingredient): the record naming it is named,
    with its date; it was passed over in silence (a teclistamab dose so sent gave no card and no note)."""
    record: dict[str, Any] = {"resourceType": kind, "id": rid("med"), "subject": SUBJECT,
                              "medicationReference": {"reference": "Medication/med-x"}}
    if kind == "MedicationRequest":
        record.update(status="active", intent="order", authoredOn="2025-12-01")
    else:
        record.update(status="completed", effectiveDateTime="2025-12-01")
    got = replay(RUNTIME, chart(*IN_WINDOW, medication("med-x"), record), at=AT)
    [note] = got.notes
    assert note.kind == "medication-no-code" and note.source == f"{kind}/{record['id']}"
    assert f"{what} names a Medication with no code or name" in got.cards[0]["detail"], got.cards[0]["detail"]


def test_each_record_whose_medication_was_not_sent_is_named_by_itself() -> None:
    """Two records naming Medications not sent: each named with its own kind and date ("A medication record
    (2025-12-01) names a Medication that was not sent"), not as "2 medication order(s)"."""
    statement = {"resourceType": "MedicationStatement", "id": rid("ms"), "status": "active", "subject": SUBJECT,
                 "effectivePeriod": {"start": "2025-12-01"}, "medicationReference": {"reference": "Medication/gone"}}
    order = ig_order({"timing": {"repeat": {"boundsPeriod": {"start": "2025-12-05"}}}},
                     medicationReference={"reference": "Medication/gone-too"})
    got = replay(RUNTIME, chart(*IN_WINDOW, statement, order), at=AT)
    assert sorted((n.kind, n.source.split("/")[0]) for n in got.notes) == [
        ("unresolved-medication", "MedicationRequest"), ("unresolved-medication", "MedicationStatement")]
