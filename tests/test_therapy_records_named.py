"""Therapy records the rules see but cannot use as they stand are named, never silent (clinical rules §2, §7).

A CAR-T order completed with no infusion recorded (an order is not an infusion: the card asks for the infusion
record); a CAR-T infusion recorded as stopped (FHIR: halted after some of it was done, so cells were given: it dates
T0, and the card's data notes say it was read so), an administration in progress; a blinatumomab infusion in progress (continuous
infusion: it counts); a bispecific known only by its name, named by the first day of its course.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.tools.replay import replay

from .test_acceptance_therapies import (ALL_SKS, AT, BLINA, BOQX1, DLBCL, LOCAL, LOW, MYELOMA_SCT, RUNTIME, YESCARTA, bundle,
                                        code, dx, given, ordered, patient, proc, text)


def cards(resources: tuple[Any, ...], lang: str = "en", **pt: Any) -> list[dict[str, Any]]:
    return list(replay(RUNTIME, bundle(resources, patient(**pt)), at=date.fromisoformat(AT), lang=lang).cards)


def test_a_completed_cart_order_with_no_infusion_asks_for_the_infusion() -> None:
    chart = (dx(DLBCL), ordered("mr-cart", YESCARTA, "2025-10-01", "2025-11-10", "2025-11-18", status="completed"), LOW)
    en, da = cards(chart), cards(chart, "da")
    assert [code(c) for c in en] == [code(c) for c in da] == ["therapy-undated"]
    assert "ordered for 2025-11-10" in en[0]["summary"] and "no infusion recorded: record it" in en[0]["summary"]
    assert "an order is not an infusion" in text(en[0])
    assert "ordineret til 2025-11-10" in da[0]["summary"] and "ingen infusion registreret" in da[0]["summary"]


def test_a_completed_cart_order_in_a_child_is_individual_assessment() -> None:
    chart = (dx(DLBCL), ordered("mr-cart", YESCARTA, "2025-10-01", "2025-11-10", status="completed"), LOW)
    [card] = cards(chart, birth="2010-05-01")
    assert code(card) == "therapy-undated" and "child (15 y)" in card["summary"]


@pytest.mark.parametrize("status", ["active", "stopped", "cancelled", "draft"])
def test_a_cart_order_not_completed_stays_without_a_card(status: str) -> None:
    """Booked ahead, halted or never made: nothing says the product was given."""
    assert cards((dx(DLBCL), ordered("mr-cart", YESCARTA, "2025-10-01", "2025-11-10", status=status), LOW)) == []


def test_a_completed_cart_order_beside_its_infusion_says_nothing_of_the_order() -> None:
    chart = (dx(DLBCL), ordered("mr-cart", YESCARTA, "2025-09-22", "2025-11-10", "2025-11-18", status="completed"),
             given("ma-cart", "2025-11-18", YESCARTA, request="mr-cart"), LOW)
    [card] = cards(chart)
    assert code(card) == "start-substitution" and "2025-11-18" in card["summary"] and "order" not in card["summary"]


@pytest.mark.parametrize("record", [proc("proc-cart", "2025-11-18", BOQX1, status="stopped"),
                                    given("ma-cart", "2025-11-18", YESCARTA, status="stopped")], ids=["proc", "ma"])
def test_a_cart_infusion_stopped_before_completion_dates_t0_and_is_named(record: dict[str, Any]) -> None:
    en, da = cards((dx(DLBCL), record, LOW)), cards((dx(DLBCL), record, LOW), "da")
    assert [code(c) for c in en] == [code(c) for c in da] == ["start-substitution"]
    assert "after CAR-T 2025-11-18" in en[0]["summary"]
    assert "recorded as stopped before it was complete" in en[0]["detail"]
    assert "registreret som afbrudt" in da[0]["detail"]


def test_a_cart_administration_in_progress_dates_t0() -> None:
    [card] = cards((dx(DLBCL), given("ma-cart", "2025-11-18", YESCARTA, status="in-progress"), LOW))
    assert code(card) == "start-substitution" and "after CAR-T 2025-11-18" in card["summary"]
    assert "stopped" not in card["detail"]


@pytest.mark.parametrize("status", ["preparation", "not-done", "entered-in-error"])
def test_a_cart_infusion_never_given_dates_nothing(status: str) -> None:
    assert cards((dx(DLBCL), proc("proc-cart", "2025-11-18", BOQX1, status=status), LOW)) == []


def test_a_cart_procedure_left_in_progress_dates_nothing_and_asks_whether_cells_were_given() -> None:
    """A Procedure never closed: no T0, as one on hold, and not the silence of a chart with no CAR-T at all."""
    [card] = cards((dx(DLBCL), proc("proc-cart", "2025-11-18", BOQX1, status="in-progress"), LOW))
    assert code(card) == "therapy-undated", code(card)
    assert "on 2025-11-18 is not recorded as given (in progress)" in card["summary"], card["summary"]


def test_a_cart_infusion_on_hold_dates_nothing_and_asks_whether_cells_were_given() -> None:
    """On hold is not known to be given: no T0, but not the silence of a chart with no CAR-T at all."""
    [card] = cards((dx(DLBCL), proc("proc-cart", "2025-11-18", BOQX1, status="on-hold"), LOW))
    assert code(card) == "therapy-undated", code(card)
    assert "on 2025-11-18 is not recorded as given (on hold)" in card["summary"], card["summary"]


def test_blinatumomab_in_progress_counts_from_its_start() -> None:
    """A continuous infusion runs for weeks: the record in progress is the course under way."""
    [card] = cards((dx(ALL_SKS), given("ma-blina", None, BLINA, status="in-progress",
                                       period=("2025-11-04T12:00:00+01:00", "2025-12-02T12:00:00+01:00")), LOW))
    assert code(card) == "start-substitution" and "after bsAb 2025-11-04" in card["summary"]


def test_a_therapy_known_by_name_is_named_by_its_first_day() -> None:
    chart = (dx(MYELOMA_SCT), given("ma-1", "2025-11-05", None, "Talvey (talquetamab) 0,01 mg/kg s.c."),
             given("ma-2", "2025-11-07", None, "Talvey (talquetamab) 0,06 mg/kg s.c."), LOW)
    [card] = cards(chart)
    assert code(card) == "therapy-not-recognised"
    assert "2025-11-05" in card["summary"] and "2025-11-07" not in card["summary"]


# A stopped CAR-T record whose statusReason says no cells were given is no infusion: FHIR's `stopped` alone leaves
# open whether cells were given (read as given), the reason closes it. No T0, so no start card on it.
@pytest.mark.parametrize("record", [
    proc("proc-cart", "2025-11-18", BOQX1, status="stopped", statusReason={"text": "Ikke givet - patient febril"}),
    {**given("ma-cart", "2025-11-18", YESCARTA, status="stopped"), "statusReason": [{"text": "Not administered"}]},
    proc("proc-cart", "2025-11-18", BOQX1, status="stopped",
         statusReason={"coding": [{"system": "http://snomed.info/sct", "code": "410536001",
                                   "display": "Contraindicated - not given"}]})], ids=["proc-da", "ma-en", "coded"])
def test_a_cart_infusion_stopped_with_no_cells_given_dates_nothing(record: dict[str, Any]) -> None:
    """No T0 and no start; the record is named on the card that asks to correct it if cells were given."""
    [card] = cards((dx(DLBCL), record, LOW))
    assert code(card) == "therapy-undated", card["summary"]
    assert "recorded as stopped, not given" in card["summary"] and "may be started" not in card["summary"]


def test_a_cart_infusion_stopped_for_another_reason_still_dates_t0() -> None:
    record = proc("proc-cart", "2025-11-18", BOQX1, status="stopped", statusReason={"text": "Allergisk reaktion"})
    [card] = cards((dx(DLBCL), record, LOW))
    assert code(card) == "start-substitution" and "after CAR-T 2025-11-18" in card["summary"]


@pytest.mark.parametrize("record", [proc("proc-cart", "2025-11-18", (LOCAL, "X99", "CAR-T celle infusion")),
                                    given("ma-cart", "2025-11-18", None, "Yescarta infusion")], ids=["proc", "ma"])
def test_a_completed_cart_order_beside_an_infusion_known_by_name_does_not_say_none_is_recorded(
        record: dict[str, Any]) -> None:
    """The infusion is recorded, under a code the service does not know: its own card asks to check it; a second
    card saying 'no infusion recorded: record it' would be false."""
    chart = (dx(DLBCL), ordered("mr-cart", YESCARTA, "2025-10-01", "2025-11-10", status="completed"), record, LOW)
    assert [code(c) for c in cards(chart)] == ["therapy-not-recognised"]
    assert [code(c) for c in cards(chart, "da")] == ["therapy-not-recognised"]


def test_a_therapy_known_by_name_is_named_by_its_first_record_whole() -> None:
    """The day is the first record's, so the name beside it is too (not another record's dose). The summary has no
    room for the dose with its unit: it shows none rather than '0,01…', a number whose unit was cut away."""
    chart = (dx(MYELOMA_SCT), given("ma-0", "2025-06-01", None, "Talvey (talquetamab) 0,4 mg/kg s.c."),
             given("ma-1", "2025-11-05", None, "Talvey (talquetamab) 0,01 mg/kg s.c."),
             given("ma-2", "2025-11-07", None, "Talvey (talquetamab) 0,06 mg/kg s.c."), LOW)
    [card] = cards(chart)
    assert code(card) == "therapy-not-recognised" and "2025-11-05" in card["summary"]  # June: over 90 days before
    assert "“Talvey (talquetamab)…”, 2025-11-05" in card["summary"]
    assert "0,06" not in card["summary"] and "0,4" not in card["summary"] and "0,01…" not in card["summary"]
