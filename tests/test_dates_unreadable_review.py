"""Second reader of the unreadable-date and local-time readings: what must say the right thing, and what must not
change. A date no reader can take a day from ("18-11-2025", "2025-13-18") is not a date "with no day": the
clinician sees a day in it (or a day that does not exist), so the card says it cannot be read as a day. On the order
hooks a therapy with no drug name is named by its kind (CAR-T), never by the immunoglobulin being ordered."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.errors import BadRequest
from cds_service.tools.replay import replay
from cds_service.tools.timeline import build_timeline, patient_data
from cds_service.tools.worklist import evaluate_patient_resources
from tests.test_acceptance_dates import (CART, LOW, IVIG, RUNTIME, SUBJECT, bounds, bsab_dose, bsab_order, bundle,
                                         car_t, car_t_given, code, ig_order, igg, patient, text)

AT = date(2026, 1, 20)


def cards(b: dict[str, Any], lang: str = "en", **kw: Any) -> list[dict[str, Any]]:
    return list(replay(RUNTIME, b, lang=lang, at=AT, **kw).cards)


@pytest.mark.parametrize("written", ["18-11-2025", "2025-13-18", "2025-11-31"])
def test_an_unreadable_date_is_not_called_a_date_with_no_day(written: str) -> None:
    b = bundle(car_t(performedDateTime=written), LOW, IVIG)
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == code(da) == "therapy-undated"
    assert f"“{written}”, which cannot be read as a day" in text(en), text(en)
    assert "with no day" not in text(en) and "dated only" not in text(en), text(en)
    assert f"“{written}”, som ikke kan læses som en dag" in text(da), text(da)
    assert "uden dag" not in text(da) and "kun dateret" not in text(da), text(da)


def test_an_unreadable_date_in_a_child_is_not_called_no_day() -> None:
    b = bundle(car_t_given(effectiveDateTime="18-11-2025"), LOW, pt=patient(birth="2012-03-14"))
    [en], [da] = cards(b), cards(b, "da")
    assert en["summary"].startswith("Child (13 y): individual assessment") and "(not readable)" in en["summary"]
    assert "no day" not in text(en), text(en)
    assert da["summary"].startswith("Barn (13 år): individuel vurdering") and "(kan ikke læses)" in da["summary"]
    assert "ingen dag" not in text(da), text(da)


def test_a_long_name_cuts_the_child_summary_after_what_to_do() -> None:
    """A long product name and date could cut the summary at 140 before "individual assessment" ("…individual
    assess…"): the child and what to do now come first, and only the name and date can be shortened."""
    long_name = {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01XL03"}],
                 "text": "Yescarta (axicabtagen ciloleucel) infusionsvæske, dispersion, 0,4-2 x 10^8 celler"}
    b = bundle(car_t_given(effectiveDateTime="18-11-2025", medicationCodeableConcept=long_name),
               LOW, pt=patient(birth="2012-03-14"))
    for lang, lead in (("en", "Child (13 y): individual assessment"), ("da", "Barn (13 år): individuel vurdering")):
        [card] = cards(b, lang)
        assert card["summary"].startswith(lead) and len(card["summary"]) <= 140, card["summary"]


def test_a_month_with_no_day_still_says_no_day() -> None:
    [en] = cards(bundle(car_t(performedDateTime="2025-11"), LOW, IVIG))
    assert "“2025-11”, with no day" in text(en), text(en)


@pytest.mark.parametrize("written", ["2025-13-18", "05-12-2025"])
def test_beside_a_dated_index_event_the_note_says_cannot_be_read_and_the_stop_date_may_move(written: str) -> None:
    """A bsAb written "05-12-2025" beside a CAR-T on 2025-11-18: T0 and the stop date are the CAR-T's, but the
    bsAb may be (here is) the later therapy, which would move them: the card says so, not only 'record the day'."""
    b = bundle(CART, bsab_dose("tec-1", effectiveDateTime=written), LOW, IVIG)
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == "stop-planned" and "2026-05-18" in en["summary"]
    # the service's INN plain, the date as written beside it (markdown-escaped parentheses)
    assert f"The therapy teclistamab \\({written}\\) has a date that cannot be read as a day" in text(en), text(en)
    assert "if it was given after T0, the window and the stop date move" in text(en), text(en)
    assert "har en dato, der ikke kan læses som en dag" in text(da), text(da)
    assert "er den givet efter T0, flyttes perioden og seponeringsdatoen" in text(da), text(da)


@pytest.mark.parametrize("written", ["2025-11", "18-11-2025"])
def test_order_sign_names_a_car_t_procedure_not_the_immunoglobulin_ordered(written: str) -> None:
    draft = ig_order("draft-ivig", status="draft", authoredOn="2026-01-20", dosageInstruction=bounds("2026-01-20"))
    b = bundle(car_t(performedDateTime=written), LOW)
    [en] = cards(b, hook="order-sign", drafts=[draft])
    [da] = cards(b, "da", hook="order-sign", drafts=[draft])
    assert code(en) == "therapy-undated"
    assert en["summary"].startswith(f"Not checked: CAR-T is dated “{written}”"), en["summary"]
    assert da["summary"].startswith(f"Ikke vurderet: CAR-T er dateret “{written}”"), da["summary"]


# ---- what must not change: records that say nothing was given, or are not this patient's ----------------------

NOT_GIVEN = [
    {**car_t(performedDateTime="18-11-2025"), "status": "not-done"},
    {**car_t(performedDateTime="18-11-2025"), "status": "entered-in-error"},
    {**car_t_given(effectiveDateTime="2025-13-18"), "status": "not-done"},
    {**bsab_dose("tec-1", effectiveDateTime="2025-11-31"), "status": "entered-in-error"},
    bsab_order("tec", status="draft", authoredOn="18-11-2025"),
    bsab_order("tec", status="cancelled", authoredOn="18-11-2025"),
    {"resourceType": "MedicationStatement", "id": "cs", "status": "intended", "subject": SUBJECT,
     "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01XL03"}]},
     "effectiveDateTime": "18/11/2025"},
    {**car_t(performedDateTime="18-11-2025"), "subject": {"reference": "Patient/someone-else"}},
]


@pytest.mark.parametrize("record", NOT_GIVEN, ids=lambda r: f"{r['resourceType']}-{r['status']}-{r['subject']['reference']}")
def test_an_unreadable_date_on_a_therapy_not_given_gives_no_card(record: dict[str, Any]) -> None:
    assert cards(bundle(record, LOW, IVIG)) == []


@pytest.mark.parametrize("record, says", [
    ({**car_t(performedDateTime="18-11-2025"), "status": "stopped",
      "statusReason": {"text": "Infusion afbrudt, ingen celler givet"}}, "Not checked: CAR-T recorded as stopped, not given"),
    ({**bsab_dose("tec-1", effectiveDateTime="2025-11-31"), "status": "stopped"},
     "Not checked: Teclistamab is dated “2025-11-31”"),
], ids=["car-t-stopped-not-given", "bsab-dose-stopped"])
def test_an_unreadable_date_on_a_therapy_stopped_is_named_on_a_card(record: dict[str, Any], says: str) -> None:
    """A CAR-T infusion stopped with no cells given dates nothing, but the record is there and its date could not be
    read: the card says so. A bsAb dose stopped part-way was given: its unreadable date is the undated card's."""
    [card] = cards(bundle(record, LOW, IVIG))
    assert code(card) == "therapy-undated" and card["summary"].startswith(says), card["summary"]


@pytest.mark.parametrize("field", ["issued", "effectiveInstant"])
@pytest.mark.parametrize("written", ["2025-12-10T08:15:00", "2025-12-10T08:15+01:00"])
def test_an_instant_without_its_zone_or_seconds_is_still_not_used(field: str, written: str) -> None:
    [card] = cards(bundle(CART, igg("igg", 2.5, **{field: written})))
    assert code(card) == "measure-igg", text(card)


# ---- the worklist and the timeline give the same answer as patient-view ----------------------------------------

SAME_ANSWER = [
    bundle(CART, bsab_dose("tec-1", effectiveDateTime="05-12-2025"), LOW, IVIG),
    bundle(car_t(performedDateTime="2025-11-18T24:00:00"), LOW, IVIG),
    bundle(bsab_order("tec", authoredOn="2025-11-10", dosageInstruction=bounds("2025-13-18")), LOW, IVIG),
    bundle(car_t_given(effectiveDateTime="18-11-2025"), LOW, pt=patient(birth="2012-03-14")),
    *(bundle(r, LOW, IVIG) for r in NOT_GIVEN[:3]),
]


@pytest.mark.parametrize("chart", SAME_ANSWER)
def test_worklist_and_timeline_agree(chart: dict[str, Any]) -> None:
    view = [code(c) for c in cards(chart)]
    rows = evaluate_patient_resources([e["resource"] for e in chart["entry"]], AT, RUNTIME)
    assert [r.code for r in rows] == view
    timeline = build_timeline(patient_data(chart, RUNTIME), RUNTIME, end=AT, today=AT)
    states = [s for s in timeline.changes if s.day <= AT][-1:]
    assert (states[0].codes if states else []) == view


# ---- a time on a date element, and a draft whose start cannot be read ------------------------------------------

def test_a_birth_date_with_a_local_time_is_read_as_its_day() -> None:
    """A child's birthDate sent as "2012-03-14T10:00:00" (a time on a date element) is read as 14 March 2012: the
    child card, not the adult criteria with 'birth date unknown'."""
    [card] = cards(bundle(CART, LOW, IVIG, pt=patient(birth="2012-03-14T10:00:00")))
    assert code(card) == "child-individual-assessment", text(card)


def test_a_draft_bsab_order_whose_start_cannot_be_read_is_refused_naming_the_field() -> None:
    draft = bsab_order("draft-tec", status="draft", authoredOn="2026-01-20", dosageInstruction=bounds("20-01-2026"))
    with pytest.raises(BadRequest, match="boundsPeriod.start"):
        cards(bundle(LOW), hook="order-sign", drafts=[draft])
