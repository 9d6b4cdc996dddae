"""An Ig draft planned to start later is judged on the course as it will stand at its start, not on today's.

CAR-T 2025-11-18 (stop date 2026-05-18), IgG 3.2 g/L 2026-01-13. Two ways today's course misleads:
- IVIG runs 2026-01-20 to 2026-03-31. A draft written 2026-03-01 to start 2026-05-10 was judged a continuation
  ("the patient is on substitution today"), while patient-view, once it is signed, reads a new course from 2026-05-10:
  the order ends 40 days before it, and nothing joins the two. It is a restart in the window (§4.3).
- IVIG is booked to start 2026-02-01. A draft from 2026-02-10 was judged a new course beside it, while patient-view
  reads one course from 2026-02-01.
The card is judged on the chart as it stands the day it is read (nothing recorded later is seen), and its countdowns
are said from that day."""

from __future__ import annotations

import copy
import json
from datetime import date

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES
from .test_order_late_renewal import IVIG, _chart as renewal_chart

RUNTIME = load_runtime(Settings())


def _chart(start: str = "2026-01-20", end: str | None = "2026-03-31", authored: str = "2026-01-20",
           doses: tuple[str, ...] = ()) -> dict:
    """The renewal tests' chart, its IVIG order active over the period given."""
    bundle = renewal_chart("active", doses)
    order = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "mr-ivig-first")
    order["authoredOn"] = authored
    order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": start, **({"end": end} if end else {})}
    return bundle


def _draft(start: str, written: str, end: str | None = "2026-05-18") -> dict:
    draft = copy.deepcopy(json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text()))
    draft["authoredOn"] = written
    draft["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": start, **({"end": end} if end else {})}
    return draft


def _answer(bundle: dict, draft: dict, at: date, hook: str = "order-sign", lang: str = "en"):
    return replay(RUNTIME, bundle, lang=lang, hook=hook, drafts=[draft], at=at)


def _trace(card: dict) -> dict:
    return {step["name"]: step.get("value") for step in card["extension"]["dk.igsub-cds.trace"]}


def test_a_draft_starting_after_todays_course_has_ended_is_a_restart():
    [card] = _answer(_chart(), _draft("2026-05-10", "2026-03-01"), date(2026, 3, 1)).cards
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria", card["summary"]
    assert "no severe/recurrent verified bacterial infection" in card["summary"], card["summary"]
    detail = card["detail"]
    # the course ends after the day the card is read: "ends", not "ended"
    assert "a restart (Ig given since T0 ends 2026-03-31): general criteria" in detail, detail
    assert "A new course from 2026-05-10: today's substitution (since 2026-01-20) will have ended by then" in detail, \
        detail
    # the countdown is the clinician's, from the day the card is read: 2026-03-01 to 2026-05-18
    assert "High-risk window 2025-11-18 to 2026-05-18 (78 days left)" in detail, detail


def test_the_restart_is_what_patient_view_reads_once_the_draft_is_signed():
    bundle = _chart()
    draft = {**_draft("2026-05-10", "2026-03-01"), "status": "active", "id": "signed"}
    bundle["entry"].append({"resource": draft})
    advice = replay(RUNTIME, bundle, at=date(2026, 5, 11)).advice
    assert [a.values.get("episode_start") for a in advice if a.values.get("episode_start")] == [date(2026, 5, 10)]


def test_the_same_draft_while_todays_course_still_runs_at_its_start_continues_it():
    # The order runs to 2026-05-31: the draft from 2026-05-10 joins it; judged today, as ever (no step of the start).
    [card] = _answer(_chart(end="2026-05-31"), _draft("2026-05-10", "2026-03-01"), date(2026, 3, 1)).cards
    assert card["source"]["topic"]["code"] == "order-meets-criteria", card["summary"]
    assert card["summary"].startswith("Ig continuation after CAR-T 2025-11-18"), card["summary"]
    assert "Order Judged At Start" not in _trace(card)


def test_a_draft_starting_after_a_booked_course_has_begun_continues_it():
    bundle = _chart(start="2026-02-01", end=None, authored="2026-01-14")
    [card] = _answer(bundle, _draft("2026-02-10", "2026-01-14"), date(2026, 1, 14)).cards
    assert card["source"]["topic"]["code"] == "order-meets-criteria", card["summary"]
    assert card["summary"].startswith("Ig continuation after CAR-T 2025-11-18: end the order on the stop date "
                                      "2026-05-18 (124 days left)"), card["summary"]
    assert "IVIG booked from 2026-02-01" in card["detail"], card["detail"]
    assert "A new course from" not in card["detail"]


def test_the_booked_course_in_danish():
    bundle = _chart(start="2026-02-01", end=None, authored="2026-01-14")
    [card] = _answer(bundle, _draft("2026-02-10", "2026-01-14"), date(2026, 1, 14), lang="da").cards
    assert "IVIG planlagt fra 2026-02-01" in card["detail"], card["detail"]


def test_the_new_course_note_in_danish():
    [card] = _answer(_chart(), _draft("2026-05-10", "2026-03-01"), date(2026, 3, 1), lang="da").cards
    assert "Nyt forløb fra 2026-05-10: den nuværende substitution (siden 2026-01-20) ophører inden da" \
        in card["detail"], card["detail"]
    assert "genopstart (Ig siden T0 slutter 2026-03-31)" in card["detail"], card["detail"]


def test_the_trace_names_the_day_the_draft_was_judged_on():
    [card] = _answer(_chart(), _draft("2026-05-10", "2026-03-01"), date(2026, 3, 1)).cards
    trace = _trace(card)
    assert trace["Order Judged At Start"] == "2026-05-10"
    assert trace["On Substitution"] is False and trace["Is Restart"] is True, trace


def test_nothing_recorded_after_the_day_it_is_read_is_seen():
    # A chart replayed on an earlier day (a tester's timeline) holds a dose of 2026-04-28, which would carry the
    # course to the draft's start. On 2026-03-01 it had not been given: the draft is still a restart.
    bundle = _chart(doses=("2026-01-20", "2026-02-17", "2026-04-28"))
    [card] = _answer(bundle, _draft("2026-05-10", "2026-03-01"), date(2026, 3, 1)).cards
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria", card["summary"]
    # ... and read on the day after that dose, the same draft continues the course
    [later] = _answer(bundle, _draft("2026-05-10", "2026-04-29"), date(2026, 4, 29)).cards
    assert later["source"]["topic"]["code"] == "order-meets-criteria", later["summary"]


# -- what a second reading found: another course, a course that ends first, the session's other drafts, a pending IgG,
# -- records written after the day read, doses alone, a child

def _order(ident: str, start: str, end: str | None, written: str, drug: dict | None = None) -> dict:
    return {"resourceType": "MedicationRequest", "id": ident, "status": "active", "intent": "order",
            "medicationCodeableConcept": drug or IVIG, "subject": {"reference": "Patient/pt-dk-0001"},
            "authoredOn": written, "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {
                "start": start, **({"end": end} if end else {})}}}}]}


def _with(bundle: dict, *resources: dict) -> dict:
    return {**bundle, "entry": [*bundle["entry"], *({"resource": r} for r in resources)]}


def _patient(bundle: dict, **fields: str) -> dict:
    """The chart, its Patient given these fields (a later death, a child's birth date)."""
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Patient":
            entry["resource"].update(fields)
    return bundle


def _doses(*days: str) -> list[dict]:
    """IVIG doses given on these days, recorded with no order."""
    return [{"resourceType": "MedicationAdministration", "id": f"ma-{n}", "status": "completed",
             "medicationCodeableConcept": IVIG, "subject": {"reference": "Patient/pt-dk-0001"},
             "effectiveDateTime": f"{day}T10:00:00+01:00"} for n, day in enumerate(days)]


SCIG = {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA01"}], "text": "Hizentra 200 mg/ml"}
TECLISTAMAB = {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX24"}], "text": "Tecvayli"}


def test_a_draft_joining_another_course_booked_ahead_is_judged_on_that_course():
    # On course A (to 2026-03-31); course B booked from 2026-05-08, 38 days after A (a restart); the draft from
    # 2026-05-12 joins B, not A: it is judged on B, as patient-view reads it once signed ("Ig since 2026-05-08").
    bundle = _with(_chart(), _order("mr-b", "2026-05-08", None, "2026-02-20"))
    [card] = _answer(bundle, _draft("2026-05-12", "2026-03-01", end=None), date(2026, 3, 1)).cards
    assert "IVIG booked from 2026-05-08" in card["detail"], card["detail"]
    assert _trace(card)["Order Judged At Start"] == "2026-05-12"
    assert not card["summary"].startswith("Ig continuation"), card["summary"]


def test_a_course_booked_to_end_before_the_draft_makes_it_a_restart():
    bundle = _chart(start="2026-02-01", end="2026-03-31", authored="2026-01-10")
    [card] = _answer(bundle, _draft("2026-05-10", "2026-01-14"), date(2026, 1, 14)).cards
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria", card["summary"]
    assert "a restart (Ig given since T0 ends 2026-03-31): general criteria" in card["detail"], card["detail"]


def test_the_sessions_other_drafts_keep_their_own_dates():
    scig = {**_draft("2026-03-05", "2026-03-01", end=None), "id": "draft-scig", "medicationCodeableConcept": SCIG}
    ivig = _draft("2026-05-10", "2026-03-01")
    cards = replay(RUNTIME, _chart(), hook="order-sign", drafts=[scig, ivig], at=date(2026, 3, 1)).cards
    later = next(c for c in cards if "Draft order: IVIG from 2026-05-10" in c["detail"]
                 or "2026-05-10" in c["summary"] or _trace(c).get("Order Judged At Start"))
    assert "SCIG from 2026-03-05 is drafted too" in later["detail"], later["detail"]


def test_an_igg_registered_the_day_before_is_still_on_its_way():
    # Sepsis 2026-02-15; an IgG registered 2026-02-28, no result yet. The draft from 2026-05-10 is judged on its start,
    # but the IgG is on its way on the day the card is read: no second IgG order is offered.
    sepsis = {"resourceType": "Condition", "id": "cond-sepsis",
              "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                             "code": "resolved"}]},
              "verificationStatus": {"coding": [{
                  "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
              "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A41.9"}], "text": "Sepsis"},
              "subject": {"reference": "Patient/pt-dk-0001"}, "onsetDateTime": "2026-02-15",
              "recordedDate": "2026-02-15"}
    pending = {"resourceType": "Observation", "id": "obs-igg-pending", "status": "registered",
               "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
               "subject": {"reference": "Patient/pt-dk-0001"}, "effectiveDateTime": "2026-02-28T08:00:00+01:00"}
    [card] = _answer(_with(_chart(), sepsis, pending), _draft("2026-05-10", "2026-03-01"), date(2026, 3, 1)).cards
    assert _trace(card)["Order Judged At Start"] == "2026-05-10"
    assert not [s for s in card.get("suggestions", []) if "IgG" in s["label"]], card.get("suggestions")


def test_a_bsab_dose_or_a_death_recorded_later_is_not_seen():
    tec = {"resourceType": "MedicationAdministration", "id": "ma-tec", "status": "completed",
           "medicationCodeableConcept": TECLISTAMAB, "subject": {"reference": "Patient/pt-dk-0001"},
           "effectiveDateTime": "2026-04-15T10:00:00+01:00"}
    [card] = _answer(_with(_chart(), tec), _draft("2026-05-10", "2026-03-01"), date(2026, 3, 1)).cards
    assert "CAR-T infusion (T0) 2025-11-18" in card["detail"] and "teclistamab" not in card["detail"], card["detail"]
    [card] = _answer(_patient(_chart(), deceasedDateTime="2026-04-15"), _draft("2026-05-10", "2026-03-01"), date(2026, 3, 1)).cards
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria", card["summary"]


def test_a_course_of_recorded_doses_alone_is_judged_today():
    # IVIG every 4 weeks with no order, the last dose 2026-03-17: the course reaches 35 days past it, and the next
    # dose, not yet given, carries it on. A renewal drafted from 2026-05-10 continues it, as today.
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    doses = _doses("2026-01-20", "2026-02-17", "2026-03-17")
    [card] = _answer(_with(bundle, *doses), _draft("2026-05-10", "2026-03-20"), date(2026, 3, 20)).cards
    assert card["summary"].startswith("Ig continuation after CAR-T 2025-11-18"), card["summary"]
    assert "Order Judged At Start" not in _trace(card)


def test_a_childs_card_says_why_it_is_a_new_course():
    [card] = _answer(_patient(_chart(), birthDate="2012-04-17"), _draft("2026-05-10", "2026-03-01"), date(2026, 3, 1)).cards
    assert card["source"]["topic"]["code"] == "child-individual-assessment", card["summary"]
    assert "A new course from 2026-05-10: today's substitution (since 2026-01-20)" in card["detail"], card["detail"]


def test_a_bsab_booked_with_no_date_written_stands_at_the_drafts_start():
    # Teclistamab ordered from 2026-04-01, no authoredOn: booked on the day of the call, as an Ig order would be. At the
    # draft's start (2026-05-10) its window runs: T0 2026-04-01, no restart, an IgG since T0 is needed.
    tec = _order("mr-tec", "2026-04-01", None, "", TECLISTAMAB)
    del tec["authoredOn"]
    [card] = _answer(_with(_chart(), tec), _draft("2026-05-10", "2026-03-01"), date(2026, 3, 1)).cards
    assert card["summary"].endswith("no usable IgG since bsAb 2026-04-01"), card["summary"]
    assert _trace(card)["T0"] == "2026-04-01"


def test_an_order_followed_by_doses_is_read_as_doses_alone_are():
    # IVIG ordered 2026-01-20 to 2026-03-05, then doses 03-10 and 03-17 with no order: the course ends with recorded
    # doses, so, as for doses alone, the renewal from 2026-05-10 is read as today (a continuation).
    bundle = _chart(end="2026-03-05")
    doses = _doses("2026-03-10", "2026-03-17")
    [card] = _answer(_with(bundle, *doses), _draft("2026-05-10", "2026-03-20"), date(2026, 3, 20)).cards
    assert card["summary"].startswith("Ig continuation after CAR-T 2025-11-18"), card["summary"]


def test_a_draft_joining_a_booked_course_after_doses_is_judged_on_that_course():
    # On doses alone (last 2026-03-17); IVIG booked from 2026-05-05, written 2026-03-18, joined to nothing; the draft
    # from 2026-05-10 joins the booked course, whatever doses come before: judged on it, as patient-view reads it.
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    doses = _doses("2026-01-20", "2026-02-17", "2026-03-17")
    bundle = _with(bundle, *doses, _order("mr-booked", "2026-05-05", None, "2026-03-18"))
    [card] = _answer(bundle, _draft("2026-05-10", "2026-03-20", end=None), date(2026, 3, 20)).cards
    assert "IVIG booked from 2026-05-05" in card["detail"], card["detail"]
    assert _trace(card)["Order Judged At Start"] == "2026-05-10"
