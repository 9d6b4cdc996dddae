"""The stop attempt at T0 + 6 months as a clinician reads it: what is named, which orders a suggestion
updates when more than one immunoglobulin order is on record (a switch, a booked course), and when a
new course after it is a restart."""

from __future__ import annotations

import json
from datetime import date, timedelta

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cql_like_rules import evaluate_patient
from cql_like_rules.facts import CarTInfusion, Diagnosis, Facts, IgAdministration, IgCourse, IgGResult, Infection, Patient

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
PATIENT = "pt-dk-0011"  # CAR-T 2025-10-14, IVIG since 2025-10-24 for IgG alone: stop date 2026-04-14


def _fixture(name: str) -> tuple[dict, date]:
    expect = json.loads((FIXTURES / f"{name}.expect.json").read_text())
    return json.loads((FIXTURES / f"{name}.json").read_text()), date.fromisoformat(expect["at"])


def _ivig_ends(bundle: dict, end: str) -> None:
    order = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "mr-ivig-0011")
    order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = end


def _scig_order(rid: str, start: str, authored: str) -> dict:
    """An active SCIG order (a switch of route), open-ended."""
    resource = {"resourceType": "MedicationRequest", "id": rid, "status": "active", "intent": "order",
                "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA01"}]},
                "subject": {"reference": f"Patient/{PATIENT}"}, "authoredOn": authored,
                "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": start}}}}]}
    return {"fullUrl": f"urn:uuid:{rid}", "resource": resource}


def _updates(card: dict) -> dict[str, dict]:
    """What each suggested update does, by order id: the resource as it would be written."""
    return {a["resource"]["id"]: a["resource"] for s in card.get("suggestions", []) for a in s["actions"]
            if a["type"] == "update"}


def test_a_booked_switch_past_the_stop_date_is_not_hidden_behind_the_current_orders_end():
    """IVIG ends 2026-04-05, SCIG is booked from 2026-04-06 with no end: substitution goes on past the stop
    date, so no card may say the stop is attempted when the IVIG order ends; the booked order is ended on the
    stop date, while the stop is planned and while it is due (the pause is set for the day, not applied early)."""
    for at, code in (("2026-03-05", "stop-planned"), ("2026-04-02", "stop-due-soon")):
        for lang, wrong in (("en", "the order ends 2026-04-05"), ("da", "ordinationen slutter 2026-04-05")):
            bundle, _ = _fixture("cart-ig-active-stop-planned-40-days")
            _ivig_ends(bundle, "2026-04-05")
            bundle["entry"].append(_scig_order("mr-scig-booked", "2026-04-06", "2026-03-01"))
            [card] = replay(RUNTIME, bundle, lang=lang, at=date.fromisoformat(at)).cards
            assert card["source"]["topic"]["code"] == code
            assert wrong not in card["summary"] and "2026-04-14" in card["summary"], card["summary"]
            updates = _updates(card)
            assert "mr-scig-booked" in updates, (at, lang)
            booked = updates["mr-scig-booked"]
            assert booked["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] == "2026-04-14"
            assert booked["status"] == "active"


def test_ending_the_orders_on_the_stop_date_never_lengthens_one_that_ends_before_it():
    """IVIG ends 2026-03-20, SCIG runs since 2026-03-01 with no end: the suggestion ends the SCIG on the stop
    date and leaves the IVIG's earlier end alone."""
    bundle, at = _fixture("cart-ig-active-stop-planned-40-days")
    _ivig_ends(bundle, "2026-03-20")
    bundle["entry"].append(_scig_order("mr-scig-0011", "2026-03-01", "2026-03-01"))
    [card] = replay(RUNTIME, bundle, at=at).cards
    assert card["source"]["topic"]["code"] == "stop-planned"
    updates = _updates(card)
    assert updates["mr-scig-0011"]["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] == "2026-04-14"
    assert "mr-ivig-0011" not in updates  # its end 2026-03-20 would have become 2026-04-14


def _pneumonia(rid: str, onset: str) -> dict:
    resource = {"resourceType": "Condition", "id": rid, "subject": {"reference": f"Patient/{PATIENT}"},
                "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                                   "code": "confirmed"}]},
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J13"}]},
                "onsetDateTime": onset}
    return {"fullUrl": f"urn:uuid:{rid}", "resource": resource}


def test_the_stop_card_names_the_dates_of_the_infections_it_asks_to_weigh_in_both_languages():
    """The stop attempt weighs the infection tendency (§4.3): a card that says infections are recorded names
    when, also when the Danish detail is too long for every fact line."""
    for name, code in (("cart-ig-active-stop-due-14-days", "stop-due-soon"), ("cart-ig-active-stop-overdue", "stop-overdue")):
        bundle, at = _fixture(name)
        bundle["entry"] += [_pneumonia("pn-1", "2025-12-01"), _pneumonia("pn-2", "2026-02-01")]
        for lang in ("en", "da"):
            [card] = replay(RUNTIME, bundle, lang=lang, at=at).cards
            assert card["source"]["topic"]["code"] == code
            assert "infection-tendency" in [r["code"] for r in card["overrideReasons"]]
            assert "2025-12-01" in card["detail"] and "2026-02-01" in card["detail"], (name, lang, card["detail"])
            assert len(card["detail"]) <= 700


def test_a_new_order_after_the_stop_attempt_is_a_restart_even_within_a_dosing_interval_of_the_last_dose():
    """The order ended on the stop date, as the card advised (last dose that day); infections returned and a new
    order starts 24 days later, inside the 35-day dosing interval: a restart after the stop attempt, which follows
    the general criteria (§4.3), not an overdue stop of the first course."""
    day = date.fromisoformat
    first = IgCourse(day("2025-10-15"), "completed", "MedicationRequest/first", day("2026-04-01"), "IVIG")
    doses = tuple(IgAdministration(day("2025-10-15") + timedelta(days=28 * i), f"MedicationAdministration/d{i}", "IVIG")
                  for i in range(7))  # every 4 weeks, the last on 2026-04-01
    again = IgCourse(day("2026-04-25"), "active", "MedicationRequest/again", None, "IVIG", authored=day("2026-04-20"))
    f = Facts(patient=Patient("Patient/p", day("1960-05-01")), diagnoses=(Diagnosis("C833", "Condition/dx"),),
              car_t=(CarTInfusion(day("2025-10-01"), "Procedure/cart"),),  # stop date 2026-04-01
              igg=(IgGResult(2.5, day("2025-10-10"), "Observation/igg"),),
              infections=(Infection(day("2026-04-10"), True, "Condition/sepsis"),),
              ig_courses=(first, again), ig_administrations=doses)
    [found] = evaluate_patient(f, day("2026-05-10")).advice
    assert (found.code, found.values["episode_start"]) == ("general-stop-review", day("2026-04-25"))


def test_a_due_stop_holds_only_the_order_booked_for_the_stop_date_not_the_one_ending_before_it():
    """IVIG ends 2026-04-13, SCIG is booked from the stop date 2026-04-14: on 2026-03-31 the SCIG (not begun) is put
    on hold; the IVIG was put on hold too, pausing it two weeks before the stop date the card names, although it
    ends in time. On the stop date itself the pause applies to what is active."""
    bundle, _ = _fixture("cart-ig-active-stop-due-14-days")
    _ivig_ends(bundle, "2026-04-13")
    bundle["entry"].append(_scig_order("mr-scig-booked", "2026-04-14", "2026-03-20"))
    [card] = replay(RUNTIME, bundle, at=date(2026, 3, 31)).cards
    assert card["source"]["topic"]["code"] == "stop-due-soon"
    updates = _updates(card)
    assert list(updates) == ["mr-scig-booked"] and updates["mr-scig-booked"]["status"] == "on-hold"
    [card] = replay(RUNTIME, bundle, at=date(2026, 4, 14)).cards
    assert _updates(card)["mr-scig-booked"]["status"] == "on-hold"


def test_a_due_stop_ends_the_running_order_and_holds_the_one_booked_after_the_stop_date():
    """IVIG runs with no end, SCIG is booked from 2026-04-20, after the stop date 2026-04-14: on 2026-03-31 one
    card ends the IVIG on the stop date and holds the SCIG (an end before its start is no end); both were
    put on hold, pausing the IVIG two weeks early. On the stop date both go on hold."""
    bundle, _ = _fixture("cart-ig-active-stop-due-14-days")
    bundle["entry"].append(_scig_order("mr-scig-booked", "2026-04-20", "2026-03-20"))
    for lang in ("en", "da"):
        [card] = replay(RUNTIME, bundle, lang=lang, at=date(2026, 3, 31)).cards
        updates = _updates(card)
        ivig = updates["mr-ivig-0011"]
        assert ivig["status"] == "active"
        assert ivig["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] == "2026-04-14"
        assert updates["mr-scig-booked"]["status"] == "on-hold"
        assert "end" not in updates["mr-scig-booked"]["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]
    [card] = replay(RUNTIME, bundle, at=date(2026, 4, 14)).cards
    assert {k: v["status"] for k, v in _updates(card).items()} == {"mr-ivig-0011": "on-hold", "mr-scig-booked": "on-hold"}


def test_a_switch_booked_after_the_stop_date_is_put_on_hold_and_the_order_ending_in_time_is_left_alone():
    """IVIG ends 2026-04-10, before the stop date 2026-04-14; SCIG is booked from 2026-04-16, after it, with no
    end. Substitution would go on past the stop date, and the booked order cannot end on a day before it starts:
    it is put on hold, while the stop is planned (the card had no suggestion) and while it is due. The IVIG order,
    which ends in time, is never put on hold before the stop date (it was, four days early)."""
    for at, code in (("2026-03-05", "stop-planned"), ("2026-04-06", "stop-due-soon")):
        for lang, todo in (("en", "booked to begin on 2026-04-16 on hold, so substitution pauses from 2026-04-14"),
                           ("da", "planlagt at begynde 2026-04-16, i bero, så substitutionen pauseres fra 2026-04-14")):
            bundle, _ = _fixture("cart-ig-active-stop-planned-40-days")
            _ivig_ends(bundle, "2026-04-10")
            bundle["entry"].append(_scig_order("mr-scig-after", "2026-04-16", "2026-03-01"))
            [card] = replay(RUNTIME, bundle, lang=lang, at=date.fromisoformat(at)).cards
            assert card["source"]["topic"]["code"] == code
            updates = _updates(card)
            assert set(updates) == {"mr-scig-after"}, (at, lang, set(updates))
            assert updates["mr-scig-after"]["status"] == "on-hold"
            if code == "stop-planned":
                assert todo in card["detail"], card["detail"]


def test_an_open_order_is_ended_on_the_stop_date_and_one_booked_after_it_put_on_hold_on_the_same_card():
    """IVIG open-ended, SCIG booked from 2026-04-16, after the stop date 2026-04-14. Before the stop date the IVIG
    is set to end on it (it was put on hold a week early once due, and the booked SCIG was left out while the stop
    was planned) and the SCIG is put on hold; on the stop date both are put on hold."""
    end_of = lambda r: r["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"].get("end")  # noqa: E731
    for at in ("2026-03-05", "2026-04-06", "2026-04-14"):
        bundle, _ = _fixture("cart-ig-active-stop-planned-40-days")
        bundle["entry"].append(_scig_order("mr-scig-after", "2026-04-16", "2026-03-01"))
        [card] = replay(RUNTIME, bundle, at=date.fromisoformat(at)).cards
        updates = _updates(card)
        assert set(updates) == {"mr-ivig-0011", "mr-scig-after"}, (at, set(updates))
        assert updates["mr-scig-after"]["status"] == "on-hold" and end_of(updates["mr-scig-after"]) is None
        if at < "2026-04-14":
            assert updates["mr-ivig-0011"]["status"] == "active", at
            assert end_of(updates["mr-ivig-0011"]) == "2026-04-14", at
        else:
            assert updates["mr-ivig-0011"]["status"] == "on-hold"
