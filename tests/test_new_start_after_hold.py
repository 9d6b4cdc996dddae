"""A new Ig order beside or after an order on hold is a new start after a pause: a restart (§4.3; spec §5, "on-hold =
paused ... resuming it is a restart").

CAR-T 2025-11-18 (stop date 2026-05-18), IgG 3.2 g/L 2026-01-13, no infection. IVIG ordered 2026-01-20 to 2026-06-30,
then put on hold. A new IVIG order from 2026-03-01 was read as continuing the course begun 2026-01-20 under the
special stop ("plan the stop attempt on 2026-05-18"), because the paused order's period on paper still ran: while the
paused order alone read as a restart. An order on hold now carries on to a later course only through a dose recorded
under it within the course days (35) before it: doses say Ig was given, its period on paper does not."""

from __future__ import annotations

from datetime import date

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .test_order_late_renewal import _draft
from .test_order_late_renewal import _chart as renewal_chart

RUNTIME = load_runtime(Settings())


def _chart(status: str = "on-hold", end: str = "2026-06-30", doses: tuple[str, ...] = ()) -> dict:
    """The renewal tests' chart, its IVIG order from 2026-01-20 to `end` with `status`, with doses linked to it."""
    bundle = renewal_chart(status, doses)
    order = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "mr-ivig-first")
    order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = end
    return bundle


def _signed(bundle: dict, start: str) -> dict:
    """The chart with an IVIG order from `start` signed (active, with no end)."""
    signed = {**_draft(start, None), "status": "active", "id": "mr-ivig-new"}
    return {**bundle, "entry": [*bundle["entry"], {"resource": signed}]}


def _view(bundle: dict, at: date) -> dict:
    [card] = replay(RUNTIME, bundle, at=at).cards
    return card


def _order_card(bundle: dict, start: str, at: date, hook: str = "order-sign") -> dict:
    [card] = replay(RUNTIME, bundle, hook=hook, drafts=[_draft(start)], at=at).cards
    return card


def _trace(card: dict) -> dict:
    return {step["name"]: step.get("value") for step in card["extension"]["dk.igsub-cds.trace"]}


def test_the_paused_order_alone_reads_as_off_substitution():
    # The state before the new order: on hold counts as paused, and a start would be a restart (general criteria).
    trace = _trace(_view(_chart(), date(2026, 3, 1)))
    assert trace["On Substitution"] is False and trace["Is Restart"] is True, trace


def test_a_new_order_beside_the_paused_one_is_a_restart_on_patient_view():
    card = _view(_signed(_chart(), "2026-03-01"), date(2026, 3, 2))
    assert card["source"]["topic"]["code"] == "general-stop-review", card["summary"]
    assert card["summary"].startswith("Ig since 2026-03-01 (CAR-T 2025-11-18) follows the general SID criteria"), \
        card["summary"]
    assert "because it is a restart" in card["detail"].lower(), card["detail"]
    assert _trace(card)["Current Episode"]["start"] == "2026-03-01"


def test_the_order_card_says_so_before_it_is_signed():
    for hook in ("order-select", "order-sign"):
        card = _order_card(_chart(), "2026-03-01", date(2026, 3, 1), hook)
        assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria", (hook, card["summary"])
        assert "no severe/recurrent verified bacterial infection" in card["summary"], card["summary"]
        assert "a restart: general criteria" in card["detail"], card["detail"]
        assert "IVIG since 2026-01-20" not in card["detail"], card["detail"]


def test_a_dose_under_the_paused_order_within_the_course_days_carries_it_on():
    # Monthly IVIG given under the order up to 2026-02-17, then put on hold: a new order from 2026-03-01 (12 days
    # after the dose) is no pause of substitution. It continues the course, on both hooks.
    bundle = _chart(doses=("2026-01-20", "2026-02-17"))
    card = _order_card(bundle, "2026-03-01", date(2026, 3, 1))
    assert card["source"]["topic"]["code"] == "order-meets-criteria", card["summary"]
    assert "IVIG since 2026-01-20" in card["detail"], card["detail"]
    view = _view(_signed(bundle, "2026-03-01"), date(2026, 3, 2))
    assert view["source"]["topic"]["code"] == "stop-planned", view["summary"]
    assert _trace(view)["Current Episode"]["start"] == "2026-01-20"


def test_a_dose_longer_ago_than_the_course_days_does_not():
    # The last dose 2026-01-20, 45 days before the new order: longer than the course days and the continuity gap
    # (42) that doses alone would carry a course on by; 41 days is within them, as for doses alone.
    bundle = _chart(doses=("2026-01-20",))
    assert _order_card(bundle, "2026-03-02", date(2026, 3, 2))["source"]["topic"]["code"] == "order-meets-criteria"
    card = _order_card(bundle, "2026-03-06", date(2026, 3, 6))
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria", card["summary"]
    assert _view(_signed(bundle, "2026-03-06"), date(2026, 3, 7))["source"]["topic"]["code"] == "general-stop-review"


def test_the_new_orders_own_first_dose_does_not_join_it_to_the_paused_one():
    # On hold with no end and no dose of its own; the new order's first dose recorded on its start day, 2026-03-01,
    # under the new order. The paused order's open period covers that day, but the dose is the new course's: a
    # restart, as with the first order stopped.
    bundle = _signed(_no_end(_chart()), "2026-03-01")
    bundle["entry"].append({"resource": {
        "resourceType": "MedicationAdministration", "id": "ma-new-1", "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]},
        "subject": {"reference": "Patient/pt-dk-0001"}, "effectiveDateTime": "2026-03-01T10:00:00+01:00",
        "request": {"reference": "MedicationRequest/mr-ivig-new"}}})
    card = _view(bundle, date(2026, 3, 2))
    assert card["source"]["topic"]["code"] == "general-stop-review", card["summary"]
    assert _trace(card)["Current Episode"]["start"] == "2026-03-01"


def test_an_order_still_active_in_its_period_is_continued_as_before():
    # The same chart with the first order active, not on hold: the new order continues it (nothing paused).
    bundle = _chart(status="active")
    card = _order_card(bundle, "2026-03-01", date(2026, 3, 1))
    assert card["source"]["topic"]["code"] == "order-meets-criteria", card["summary"]
    assert _view(_signed(bundle, "2026-03-01"), date(2026, 3, 2))["source"]["topic"]["code"] == "stop-planned"


def test_the_danish_card_says_restart():
    [card] = replay(RUNTIME, _chart(), lang="da", hook="order-sign", drafts=[_draft("2026-03-01")],
                    at=date(2026, 3, 1)).cards
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria", card["summary"]
    assert "genopstart" in card["detail"].lower(), card["detail"]


def _no_end(bundle: dict) -> dict:
    """The chart with the first order's period open: put on hold with no end, as an EHR usually sends a paused order."""
    order = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "mr-ivig-first")
    del order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"]
    return bundle


def test_a_paused_order_with_no_end_is_carried_on_by_its_doses_too():
    # The usual shape of a paused order has no end at all: a dose under it 12 days before the new order carries it
    # on as the end on paper did not; with the last dose 45 days before, the new order is a restart.
    bundle = _no_end(_chart(doses=("2026-01-20", "2026-02-17")))
    card = _order_card(bundle, "2026-03-01", date(2026, 3, 1))
    assert card["source"]["topic"]["code"] == "order-meets-criteria", card["summary"]
    assert "IVIG since 2026-01-20" in card["detail"], card["detail"]
    assert _view(_signed(bundle, "2026-03-01"), date(2026, 3, 2))["source"]["topic"]["code"] == "stop-planned"
    bundle = _no_end(_chart(doses=("2026-01-20",)))
    assert _order_card(bundle, "2026-03-06", date(2026, 3, 6))["source"]["topic"]["code"] == \
        "order-does-not-meet-criteria"


def test_a_paused_order_is_not_said_to_have_ended_on_its_end_on_paper():
    # On hold, its end on paper 2026-02-28 passed, no dose recorded: the patient-view card of a restart names no day
    # the course ended (with doses it names the last one: below).
    card = _view(_chart(end="2026-02-28"), date(2026, 3, 20))
    assert card["source"]["topic"]["code"] == "no-start-without-infections", card["summary"]
    assert "a restart: general criteria" in card["detail"], card["detail"]
    assert "2026-02-28" not in card["detail"], card["detail"]


def test_an_igg_long_after_the_last_dose_of_a_paused_order_is_not_said_to_show_infused_ig():
    # IVIG before T0, doses 2025-09-01 and 2025-10-01, then on hold with no end: the IgG of 2026-01-13 lies 104 days
    # after the last dose, past the course days and washout. With no dose recorded, the day it paused is unknown and
    # the IgG is said possibly to show infused immunoglobulin.
    words = "may still show infused immunoglobulin"
    for doses, said in ((("2025-09-01", "2025-10-01"), False), ((), True)):
        bundle = _no_end(_chart(doses=doses))
        order = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "mr-ivig-first")
        order["authoredOn"] = "2025-09-01"
        order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"] = "2025-09-01"
        card = _view(bundle, date(2026, 1, 20))
        assert (words in card["detail"]) is said, (doses, card["detail"])


def test_a_restart_long_after_the_last_dose_of_a_paused_order_did_not_meet_the_general_criteria():
    # On hold with no end, the last dose 2026-01-20, a new order from 2026-03-06: 45 days after the last dose, a
    # restart with no infection, as after a course of doses alone. The card names the last dose, not the end on paper.
    card = _view(_signed(_no_end(_chart(doses=("2026-01-20",))), "2026-03-06"), date(2026, 3, 7))
    assert card["source"]["topic"]["code"] == "general-stop-review" and card["indicator"] == "warning", card["summary"]
    assert "began without the general criteria" in card["summary"], card["summary"]
    assert "restarts a course whose last dose was 2026-01-20, 45 days earlier" in card["detail"], card["detail"]


def test_the_in_window_restart_line_names_the_paused_orders_last_dose():
    # while a resumption by 2026-03-26 (the last dose, 35 course days, the 7-day gap) continues it, the line says when
    # a restart begins; from the day after, that it is one
    card = _view(_chart(end="2026-02-28", doses=("2026-01-20", "2026-02-12")), date(2026, 3, 20))
    assert "Ig on hold since its last dose 2026-02-12: a restart after 2026-03-26, general criteria" in card["detail"], \
        card["detail"]
    [da] = replay(RUNTIME, _chart(end="2026-02-28", doses=("2026-01-20", "2026-02-12")), lang="da",
                  at=date(2026, 3, 20)).cards
    assert "Ig i bero siden sidste dosis 2026-02-12: genopstart efter 2026-03-26, generelle kriterier" in da["detail"], \
        da["detail"]
    later = _view(_chart(end="2026-02-28", doses=("2026-01-20", "2026-02-12")), date(2026, 3, 27))
    assert "a restart (Ig since T0, last dose 2026-02-12): general criteria" in later["detail"], later["detail"]
