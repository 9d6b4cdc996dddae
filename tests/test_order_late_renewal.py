"""A renewal written a few days after the last Ig order ended continues that course; it is no restart (§4.3).

CAR-T 2025-11-18 (stop date 2026-05-18), IgG 3.2 g/L 2026-01-13, IVIG 2026-01-20 to 2026-03-31 (completed). A
renewal drafted 2026-04-06 to the stop date was judged as a restart under the general criteria, "no
severe/recurrent verified bacterial infection: does not meet the criteria", while the same draft signed on
2026-03-31 was a continuation, and patient-view read the signed renewal as one course ("IVIG since 2026-01-20").
The order hooks now read an Ig draft as signed where that makes it continue the course, as patient-view will:
whatever `Current Episode` (the rule patient-view applies) joins to an ended course: within `ig_continuity_gap_days`
(7) of its end, or within the course days of a recorded dose."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
IVIG = {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}], "text": "Privigen 100 mg/ml"}


def _chart(status: str = "completed", doses: tuple[str, ...] = ()) -> dict:
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    order = {"resourceType": "MedicationRequest", "id": "mr-ivig-first", "status": status, "intent": "order",
             "medicationCodeableConcept": IVIG, "subject": {"reference": "Patient/pt-dk-0001"},
             "authoredOn": "2026-01-20",
             "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-01-20", "end": "2026-03-31"}}}}]}
    bundle["entry"].append({"resource": order})
    for n, day in enumerate(doses):
        bundle["entry"].append({"resource": {
            "resourceType": "MedicationAdministration", "id": f"ma-ivig-{n}", "status": "completed",
            "medicationCodeableConcept": IVIG, "subject": {"reference": "Patient/pt-dk-0001"},
            "effectiveDateTime": f"{day}T10:00:00+01:00", "request": {"reference": "MedicationRequest/mr-ivig-first"}}})
    return bundle


def _draft(start: str, end: str | None = "2026-05-18") -> dict:
    draft = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
    draft = copy.deepcopy(draft)
    draft["authoredOn"] = start
    draft["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": start, **({"end": end} if end else {})}
    return draft


def _card(bundle: dict, draft: dict, at: date, hook: str = "order-sign", lang: str = "en") -> dict:
    [card] = replay(RUNTIME, bundle, lang=lang, hook=hook, drafts=[draft], at=at).cards
    return card


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
@pytest.mark.parametrize("day", ["2026-04-01", "2026-04-04", "2026-04-06", "2026-04-07"])
def test_a_renewal_days_after_the_order_ended_continues_the_course(day, hook):
    card = _card(_chart(), _draft(day), date.fromisoformat(day), hook)
    assert card["source"]["topic"]["code"] == "order-meets-criteria", card["summary"]
    assert card["summary"].startswith("Ig continuation after CAR-T 2025-11-18: end the order on the stop date "
                                      "2026-05-18"), card["summary"]
    assert "IVIG since 2026-01-20" in card["detail"] and "restart" not in card["detail"], card["detail"]


def test_the_continuation_offers_the_stop_date_as_its_end():
    # The renewal drafted without an end: the card recommends ending it on the stop date, as for any continuation.
    card = _card(_chart(), _draft("2026-04-06", None), date(2026, 4, 6))
    [suggestion] = card["suggestions"]
    assert "2026-05-18" in suggestion["label"], suggestion["label"]


def test_more_than_the_gap_after_the_end_is_a_restart():
    # 8 days after the order ended, no dose recorded: the course had stopped; a new one is a restart (§4.3) under the
    # general criteria, which no infection meets.
    card = _card(_chart(), _draft("2026-04-08"), date(2026, 4, 8))
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria", card["summary"]
    assert "a restart (Ig given since T0 ended 2026-03-31)" in card["detail"], card["detail"]


def test_a_dose_within_the_course_days_bridges_a_longer_gap():
    # Monthly IVIG, last dose 2026-03-23: a renewal from 2026-04-15 (15 days after the order's end, 23 after the
    # dose) continues the course, as the doses went on every four weeks.
    bundle = _chart(doses=("2026-01-20", "2026-02-17", "2026-03-23"))
    card = _card(bundle, _draft("2026-04-15"), date(2026, 4, 15))
    assert card["source"]["topic"]["code"] == "order-meets-criteria", card["summary"]
    assert "IVIG since 2026-01-20" in card["detail"], card["detail"]


def test_an_order_stopped_reads_as_patient_view_will_read_it():
    # The first order stopped with its end 6 days back: patient-view, once the renewal is signed, reads one course, so
    # the order card does too (the hook and patient-view must not disagree on one draft).
    card = _card(_chart(status="stopped"), _draft("2026-04-06"), date(2026, 4, 6))
    assert card["source"]["topic"]["code"] == "order-meets-criteria", card["summary"]
    assert _signed_view(_chart(status="stopped"), "2026-04-06", date(2026, 4, 7)) == "stop-planned"


def test_an_order_on_hold_reads_as_patient_view_will_read_it():
    # The first order on hold, its end on paper 6 days back: it was paused on a day the chart does not give, and no
    # dose carries it on, so the renewal is a new start after a pause, a restart (§4.3), on both hooks
    # (tests/test_new_start_after_hold.py).
    card = _card(_chart(status="on-hold"), _draft("2026-04-06"), date(2026, 4, 6))
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria", card["summary"]
    assert _signed_view(_chart(status="on-hold"), "2026-04-06", date(2026, 4, 7)) == "general-stop-review"


def _signed_view(bundle: dict, start: str, at: date) -> str:
    """The patient-view card's code on `at` with the renewal drafted from `start` signed (an active order)."""
    bundle = copy.deepcopy(bundle)
    signed = _draft(start)
    signed["status"], signed["id"] = "active", "mr-ivig-renewal"
    bundle["entry"].append({"resource": signed})
    [card] = replay(RUNTIME, bundle, at=at).cards
    return str(card["source"]["topic"]["code"])


def test_what_the_order_hook_says_is_what_patient_view_says_once_signed():
    bundle = _chart()
    signed = _draft("2026-04-06")
    signed["status"], signed["id"] = "active", "mr-ivig-renewal"
    bundle["entry"].append({"resource": signed})
    [card] = replay(RUNTIME, bundle, at=date(2026, 4, 7)).cards
    assert card["source"]["topic"]["code"] == "stop-planned", card["summary"]
    assert "IVIG since 2026-01-20" in card["detail"], card["detail"]


def test_after_a_course_of_doses_alone_the_card_is_what_patient_view_says_once_signed():
    # Doses only (no order), the last on 2026-03-02: the course counts as running to 2026-04-06 (35 days). A draft from
    # 2026-04-13 continues it as patient-view reads it once signed (the continuity gap after the course's end); from
    # 2026-04-14 it is a restart on both.
    bundle = _chart(doses=("2026-01-20", "2026-02-17", "2026-03-02"))
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"].get("id") != "mr-ivig-first"]
    for e in bundle["entry"]:
        e["resource"].pop("request", None)
    for day, code, view in (("2026-04-13", "order-meets-criteria", "stop-planned"),
                            ("2026-04-14", "order-does-not-meet-criteria", "general-stop-review")):
        card = _card(bundle, _draft(day), date.fromisoformat(day))
        assert card["source"]["topic"]["code"] == code, (day, card["summary"])
        assert _signed_view(bundle, day, date.fromisoformat(day) + timedelta(days=1)) == view, day


def test_the_trace_shows_what_the_card_was_judged_on():
    answer = replay(RUNTIME, _chart(), hook="order-sign", drafts=[_draft("2026-04-06")], at=date(2026, 4, 6))
    [card] = answer.cards
    steps = {step["name"]: step.get("value") for step in card["extension"]["dk.igsub-cds.trace"]}
    assert steps["On Substitution"] is True and steps["Current Episode"]["start"] == "2026-01-20", steps
    assert "Is Restart" not in steps, steps["Is Restart"]  # the unsigned context's steps are not shown
    assert steps["Draft Continues Course"]["start"] == "2026-01-20"
