"""Second reader of the unreadable-date and local-time readings: what must say the right thing, and what must not
change. A date no reader can take a day from ("18-11-2025", "2025-13-18") is not a date "with no day": the
clinician sees a day in it (or a day that does not exist), so the card says it cannot be read as a day. On the order
hooks a therapy with no drug name is named by its kind (CAR-T), never by the immunoglobulin being ordered."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.tools.replay import replay
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
    assert "(not readable); child (13 y)" in en["summary"] and "no day" not in text(en), text(en)
    assert "(kan ikke læses); barn (13 år)" in da["summary"] and "ingen dag" not in text(da), text(da)


def test_a_month_with_no_day_still_says_no_day() -> None:
    [en] = cards(bundle(car_t(performedDateTime="2025-11"), LOW, IVIG))
    assert "“2025-11”, with no day" in text(en), text(en)


def test_beside_a_dated_index_event_the_note_says_cannot_be_read() -> None:
    b = bundle(CART, bsab_dose("tec-1", effectiveDateTime="2025-13-18"), LOW, IVIG)
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == "stop-planned"
    assert "“teclistamab, 2025-13-18” has a date that cannot be read as a day" in text(en), text(en)
    assert "har en dato, der ikke kan læses som en dag" in text(da), text(da)


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
    {**car_t(performedDateTime="18-11-2025"), "status": "stopped",
     "statusReason": {"text": "Infusion afbrudt, ingen celler givet"}},
    {**car_t_given(effectiveDateTime="2025-13-18"), "status": "not-done"},
    {**bsab_dose("tec-1", effectiveDateTime="2025-11-31"), "status": "entered-in-error"},
    {**bsab_dose("tec-1", effectiveDateTime="2025-11-31"), "status": "stopped"},
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


@pytest.mark.parametrize("field", ["issued", "effectiveInstant"])
@pytest.mark.parametrize("written", ["2025-12-10T08:15:00", "2025-12-10T08:15+01:00"])
def test_an_instant_without_its_zone_or_seconds_is_still_not_used(field: str, written: str) -> None:
    [card] = cards(bundle(CART, igg("igg", 2.5, **{field: written})))
    assert code(card) == "measure-igg", text(card)
