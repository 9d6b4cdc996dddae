"""Closing the loop: what a card offers to do, applied to the chart, and the cards that follow (§4.1-§4.3).

A clinician reads the card, presses its suggestion (or gives an override reason), the EHR applies it to the chart
(a created order signed: status active; an updated order replaced by the card's copy), and the hook is called again
the same day, a week later, at the stop date and after it. What each card should say was written down from
Medicinrådet 2025 §4 before the charts were run:

- §4.1: inside the window [T0, T0 + 6 months) IgG < 4 g/L is enough to start; the order the card proposes runs
  from the evaluation day to the stop date (T0 + 6 months). Once it is signed, the patient is on substitution: no
  "Ig may be started" again, but the stop plan (days left), then the stop attempt from 14 days before the stop date
  ([policy]); the order proposed already ends on the stop date, so the stop card asks for no further change.
- §4.2: an open-ended order is offered an end on the stop date before it, and a pause (on-hold) from the stop date
  on; a short extension for a community risk of bacterial infection is an override reason of a stop card, never of
  a start card. Substitution begun on the general criteria (after the window, or a restart, §4.3) is proposed with
  no end and no promise of the stop date; its review 6 months after the start is due on that day, with a pause.
- §4.3: after a pause (on-hold), the patient is off substitution: a new start follows the general criteria (IgG
  < 4 g/L and severe or recurrent verified bacterial infections), even inside the window.
- §3.4: IgG is measured when no usable value exists; the lab order proposed is total serum IgG (LOINC 2465-3,
  NPU19814), the codes the service reads back. While that IgG is pending (the laboratory registered it, no result yet), the
  right card asks for no second IgG order: alert fatigue (clinical rules §3); [policy] one registered more than 14
  days ago is taken as lost.
- §4 (children): one information card; no suggestion decides for the clinician.

Stories: a start in the window (IgG 3.2 g/L, CAR-T 2 months ago), the stop attempt at T0 + 6 months on IVIG, the
general criteria after the window (IgG 3.5 g/L, two verified infections), a restart after a pause, myeloma on
teclistamab, a child; English and Danish. Every proposed resource is valid FHIR R4 (fhir.resources), for this
patient, coded so the service recognises it when it comes back as a draft (order-select) or as the chart's order.
The HTTP part runs the real server: feedback `accepted` (the suggestion's uuid) and `overridden` (an offered reason)
answer 200, a malformed feedback a 4xx naming the field.
"""

from __future__ import annotations

import copy
import uuid
from datetime import date
from typing import Any, Iterator

import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class

from cds_service.http.app import create_app
from cds_service.http.discovery import ORDER_SIGN_ID, PATIENT_VIEW_ID
from cds_service.tools.replay import replay, request_from_bundle
from cds_service.tools.timeline import build_timeline, patient_data
from cds_service.tools.worklist import evaluate_patient_resources

from .environment import tmp_settings
from .servers import SettableClock, serve_in_thread
from .test_acceptance_stop import (ATC, ICD10, PATIENT, RUNTIME, bsab, car_t, diagnosis, ig_doses, ig_order, igg,
                                   infection, patient)

Resource = dict[str, Any]
Card = dict[str, Any]
T0 = "2025-11-18"  # CAR-T infusion
STOP = "2026-05-18"  # T0 + 6 calendar months
TECLISTAMAB = "L01FX24"
IG_CODES = {"J06BA01", "J06BA02"}
IGG_CODES = {("http://loinc.org", "2465-3"), ("http://npu-terminology.org", "NPU19814")}
OUR_REASONS = "urn:igsub-cds:override-reason"


# ---- the chart, the hooks, applying a suggestion ------------------------------------------------------------------

def chart_of(*resources: Resource, born: str = "1958-03-14", dx: str = "DC833") -> list[Resource]:
    return [{**patient(), "birthDate": born}, diagnosis(dx), *resources]


def bundle_of(chart: list[Resource]) -> Resource:
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in chart]}


def ask(chart: list[Resource], at: str, lang: str = "en", hook: str = "patient-view",
        drafts: list[Resource] | None = None) -> list[Card]:
    return replay(RUNTIME, bundle_of(chart), lang=lang, hook=hook, drafts=drafts, at=date.fromisoformat(at)).cards


def codes(cards: list[Card]) -> list[tuple[str, str]]:
    return [(c["source"]["topic"]["code"], c["indicator"]) for c in cards]


def text(card: Card) -> str:
    return card["summary"] + "\n" + card.get("detail", "")


def offered(card: Card) -> set[str]:
    return {r["code"] for r in card.get("overrideReasons", [])}


def resources(suggestion: dict) -> list[Resource]:
    return [a["resource"] for a in suggestion["actions"]]


def apply(chart: list[Resource], suggestion: dict, signed: str = "active") -> list[Resource]:
    """The chart after the EHR applied the suggestion: a created resource signed (status `signed`), an updated one
    replaced by the card's copy."""
    out = [copy.deepcopy(r) for r in chart]
    for action in suggestion["actions"]:
        resource = copy.deepcopy(action["resource"])
        if action["type"] == "create":
            resource["status"] = signed
            out.append(resource)
        else:
            assert action["type"] == "update", action
            [at] = [k for k, r in enumerate(out) if (r["resourceType"], r["id"]) ==
                    (resource["resourceType"], resource["id"])]  # it names an order of this chart, by its id
            out[at] = resource
    return out


def valid_fhir(resource: Resource) -> None:
    get_fhir_model_class(resource["resourceType"]).model_validate(resource)


def bounds(order: Resource) -> dict[str, str]:
    [dosage] = order["dosageInstruction"]
    return dosage["timing"]["repeat"]["boundsPeriod"]


def check_ig_order(order: Resource, start: str, end: str | None, lang: str) -> None:
    """A proposed Ig order a clinician would accept as a draft: valid FHIR R4, this patient's, coded IVIG/SCIG (ATC),
    from `start` to `end` (none: no end), never ending before it starts, with a dose text in the card's language."""
    valid_fhir(order)
    assert order["resourceType"] == "MedicationRequest" and order["status"] == "draft" and order["intent"] == "order"
    assert order["subject"] == {"reference": f"Patient/{PATIENT}"}
    assert {(c["system"], c["code"]) for c in order["medicationCodeableConcept"]["coding"]} & \
        {(ATC, code) for code in IG_CODES}
    period = bounds(order)
    assert period.get("start") == start and period.get("end") == end, period
    assert end is None or end >= start
    dose = order["dosageInstruction"][0]["text"]
    assert dose and ("efter" in dose or "Dosis" in dose if lang == "da" else "Dose" in dose), dose
    if end is not None:
        assert end in dose  # the stop date the order carries is said in its text too
    else:
        assert STOP not in dose


def check_igg_order(order: Resource, lang: str) -> None:
    valid_fhir(order)
    assert order["resourceType"] == "ServiceRequest" and order["status"] == "draft"
    assert order["subject"] == {"reference": f"Patient/{PATIENT}"}
    assert IGG_CODES <= {(c["system"], c["code"]) for c in order["code"]["coding"]}
    # the text a lab orders by: the NPU name on a Danish card ("P-Immunglobulin G; ..."), else "IgG, serum/plasma"
    assert ("Immunglobulin G" if lang == "da" else "IgG") in order["code"]["text"], order["code"]["text"]


def agree(chart: list[Resource], at: str, cards: list[Card]) -> None:
    """The worklist row and the timeline day say what patient-view says."""
    day = date.fromisoformat(at)
    assert [r.code for r in evaluate_patient_resources(chart, day, RUNTIME)] == [c for c, _ in codes(cards)]
    data = patient_data(bundle_of(chart), RUNTIME)
    timeline = build_timeline(data, RUNTIME, end=day, today=day)
    [state] = [s for s in timeline.changes if s.day <= day][-1:]
    assert state.codes == [c for c, _ in codes(cards)], state.day


# ---- story 1: a start in the window, the order it proposes, and the days that follow ------------------------------

START_CHART = chart_of(car_t(T0), igg("igg-jan", "2026-01-10", 3.2))


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("route", [0, 1], ids=["ivig", "scig"])
def test_a_start_in_the_window_proposes_an_order_to_the_stop_date_and_the_chart_then_gets_its_stop(lang: str,
                                                                                                 route: int) -> None:
    """IgG 3.2 g/L 10 days ago, CAR-T 2 months ago: 'Ig may be started; stop attempt 2026-05-18'; IVIG and SCIG
    orders from today to the stop date. Signed: the stop plan (no new start), due from 2026-05-04 (warning, the order
    ends then: nothing to change, a short extension as override), and from the day after nothing to stop."""
    [start] = ask(START_CHART, "2026-01-20", lang)
    assert codes([start]) == [("start-substitution", "info")]
    assert STOP in start["summary"]
    assert len(start["suggestions"]) == 2 and start["selectionBehavior"] == "at-most-one"
    assert "community-infection-risk" not in offered(start)  # an extension is a stop card's reason, not a start's
    suggestion = start["suggestions"][route]
    assert STOP in suggestion["label"]
    [order] = resources(suggestion)
    check_ig_order(order, "2026-01-20", STOP, lang)

    # the draft comes back on the order screen: recognised, met, nothing to change
    [sign] = ask(START_CHART, "2026-01-20", lang, "order-sign", [order])
    assert codes([sign]) == [("order-meets-criteria", "info")]
    assert "suggestions" not in sign and STOP in sign["summary"]

    chart = apply(START_CHART, suggestion)
    for at, expect, says in [
        ("2026-01-20", [("stop-planned", "info")], "118"),  # the same day: planned, days left
        ("2026-01-27", [("stop-planned", "info")], "111"),  # a week later
        ("2026-05-04", [("stop-due-soon", "warning")], "14"),
        (STOP, [("stop-due-soon", "warning")], STOP),
    ]:
        cards = ask(chart, at, lang)
        assert codes(cards) == expect, at
        [card] = cards
        assert says in card["summary"] and STOP in card["summary"], card["summary"]
        assert "suggestions" not in card, at  # the order it proposed ends on the stop date already
        if expect[0][1] == "warning":
            assert {"community-infection-risk", "specialist-decision"} <= offered(card)
        if lang == "en":
            agree(chart, at, cards)
    after = ask(chart, "2026-05-19", lang)  # the order ended on the stop date: nothing to stop, no new start
    assert [c for c, _ in codes(after)] == ["no-start-without-infections"]
    assert "suggestions" not in after[0]


def test_a_signed_order_is_never_offered_as_a_start_again_nor_counted_twice() -> None:
    """Both proposals signed (an EHR that lets the clinician press both): still one stop-plan card, no start."""
    [start] = ask(START_CHART, "2026-01-20")
    chart = apply(apply(START_CHART, start["suggestions"][0]), start["suggestions"][1])
    cards = ask(chart, "2026-02-20")
    assert codes(cards) == [("stop-planned", "info")]
    assert STOP in cards[0]["summary"]


def test_an_order_signed_with_a_later_start_is_planned_substitution_not_a_new_start() -> None:
    """The proposed order, signed to begin a week later (the infusion booked): planned substitution, so no start
    card while the clinic waits for the first dose (clinical rules §7)."""
    [start] = ask(START_CHART, "2026-01-20")
    chart = apply(START_CHART, start["suggestions"][0])
    bounds(chart[-1])["start"] = "2026-01-27"
    cards = ask(chart, "2026-01-22")
    assert "start-substitution" not in [c for c, _ in codes(cards)]


def test_a_draft_status_order_left_unsigned_does_not_count_as_substitution() -> None:
    """The proposal saved but never signed (status draft in the chart): the patient is not on substitution, and the
    start card stays (a draft is no order given)."""
    [start] = ask(START_CHART, "2026-01-20")
    chart = apply(START_CHART, start["suggestions"][0], signed="draft")
    assert [c for c, _ in codes(ask(chart, "2026-01-27"))] == ["start-substitution"]


def _signed_as(change: str) -> list[Resource]:
    """The start card's proposal (IVIG, or SCIG for the weekly doses) as an EHR stores it once signed."""
    [start] = ask(START_CHART, "2026-01-20")
    chart = apply(START_CHART, start["suggestions"][1 if change == "scig-weekly-doses" else 0])
    order = chart[-1]
    dosage = order["dosageInstruction"][0]
    if change == "own-id":  # the EHR gives the order its own id
        order["id"] = "ehr-4711"
    elif change == "dose-four-weekly":  # the clinician fills in the dose and the interval
        dosage["doseAndRate"] = [{"doseQuantity": {"value": 30, "unit": "g", "system": "http://unitsofmeasure.org",
                                                   "code": "g"}}]
        dosage["timing"]["repeat"].update({"frequency": 1, "period": 4, "periodUnit": "wk"})
    elif change == "date-times":  # the bounds stored as date-times with the Danish offset
        bounds(order).update({"start": "2026-01-20T10:15:00+01:00", "end": "2026-05-18T23:59:59+02:00"})
    elif change == "authored-date-time":
        order["authoredOn"] = "2026-01-20T10:15:00+01:00"
    elif change == "local-code-added":  # the pharmacy's product code beside the ATC code
        order["medicationCodeableConcept"]["coding"].append({"system": "urn:oid:1.2.208.176.2.1", "code": "054433",
                                                             "display": "Privigen"})
    elif change == "coding-only":  # the EHR keeps the code, drops the display and text
        order["medicationCodeableConcept"] = {"coding": [{"system": ATC, "code": "J06BA02"}]}
    elif change == "scig-weekly-doses":
        chart += ig_doses("sc", "2026-01-21", 7, "2026-05-13", atc="J06BA01")
    elif change == "ivig-doses":
        chart += ig_doses("iv", "2026-01-21", 28, "2026-05-06")
    return chart


SIGNED_AS = ["own-id", "dose-four-weekly", "date-times", "authored-date-time", "local-code-added", "coding-only",
             "scig-weekly-doses", "ivig-doses"]


@pytest.mark.parametrize("change", SIGNED_AS)
def test_the_signed_order_however_the_ehr_stores_it_is_read_back_as_the_course_it_proposed(change: str) -> None:
    """Whatever the EHR adds or reshapes on signing (its own id, a dose, date-times, a local code, doses given): the
    course runs to 2026-05-18: planned a month on, the stop due on 2026-05-10 and 2026-05-18 with nothing to change
    (the order ends then), and after it no stop card and no new start."""
    chart = _signed_as(change)
    expect = {"2026-02-20": "stop-planned", "2026-05-10": "stop-due-soon", STOP: "stop-due-soon",
              "2026-05-20": "no-start-without-infections", "2026-06-30": "no-start-without-infections"}
    for at, code in expect.items():
        cards = ask(chart, at)
        assert [c for c, _ in codes(cards)] == [code], at
        assert all("suggestions" not in c for c in cards), at


# ---- story 2: the stop attempt at T0 + 6 months on IVIG, an open-ended order ----------------------------------------

OPEN_IVIG = chart_of(car_t(T0), igg("igg-jan", "2026-01-10", 3.2), ig_order("ivig-1", "2026-01-20"))


@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_open_ended_order_is_given_the_stop_date_as_its_end_and_the_next_card_says_it_ends_then(lang: str) -> None:
    """IVIG since 2026-01-20 with no end, 28 days before the stop date: 'plan the stop attempt on 2026-05-18', with
    one update: the same order (same id, same start, still active) ending on 2026-05-18. Applied, the card at the
    due date says the order ends then and offers nothing more."""
    [plan] = ask(OPEN_IVIG, "2026-04-20", lang)
    assert codes([plan]) == [("stop-planned", "info")]
    [suggestion] = plan["suggestions"]
    [action] = suggestion["actions"]
    assert action["type"] == "update" and "ivig-1" in action["description"] and STOP in action["description"]
    order = action["resource"]
    valid_fhir(order)
    assert order["id"] == "ivig-1" and order["status"] == "active"
    assert bounds(order) == {"start": "2026-01-20", "end": STOP}
    chart = apply(OPEN_IVIG, suggestion)
    [due] = ask(chart, "2026-05-04", lang)
    assert codes([due]) == [("stop-due-soon", "warning")] and "suggestions" not in due
    assert {"community-infection-risk", "specialist-decision"} <= offered(due)
    assert [c for c, _ in codes(ask(chart, "2026-05-25", lang))] == ["no-start-without-infections"]


@pytest.mark.parametrize("at", [STOP, "2026-05-25"], ids=["due", "overdue"])
@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_stop_card_pauses_the_order_it_names_and_the_pause_is_read_back(at: str, lang: str) -> None:
    """On the stop date (due) or a week after (overdue), IVIG still active with no end: warning, 'pause substitution',
    one update putting ivig-1 on hold (nothing else changed). Applied: no stop card the next day nor a month on, and
    no 'Ig may be started' (a new start after a pause follows the general criteria, §4.3)."""
    [card] = ask(OPEN_IVIG, at, lang)
    assert codes([card]) == [("stop-due-soon" if at == STOP else "stop-overdue", "warning")]
    assert {"community-infection-risk", "specialist-decision"} <= offered(card)
    [suggestion] = card["suggestions"]
    [action] = suggestion["actions"]
    order = action["resource"]
    valid_fhir(order)
    assert action["type"] == "update" and "ivig-1" in action["description"]
    original = next(r for r in OPEN_IVIG if r["id"] == "ivig-1")
    assert order == {**original, "status": "on-hold"}
    chart = apply(OPEN_IVIG, suggestion)
    for later in ["2026-05-26", "2026-06-25"]:
        cards = ask(chart, later, lang)
        assert not {"stop-due-soon", "stop-overdue", "start-substitution"} & {c for c, _ in codes(cards)}, later
        assert all("suggestions" not in c for c in cards)
        if lang == "en":
            agree(chart, later, cards)


def test_a_pause_before_the_stop_date_is_a_pause() -> None:
    """The hold applied a month early (the clinician paused on a planned card's day): no stop card, no start card;
    IgG 3.4 off substitution a month later inside the window is a restart (§4.3): not without infections."""
    held = chart_of(car_t(T0), igg("igg-jan", "2026-01-10", 3.2), ig_order("ivig-1", "2026-01-20", status="on-hold"),
                    igg("igg-apr", "2026-04-10", 3.4))
    cards = ask(held, "2026-04-15")
    assert [c for c, _ in codes(cards)] == ["no-start-without-infections"]
    assert "suggestions" not in cards[0]


# ---- story 3: the general criteria after the window ---------------------------------------------------------------

INFECTIONS = [infection("pn-1", "2026-06-01", "DJ159", severe=True), infection("pn-2", "2026-07-01", "J15.9", ICD10)]
GENERAL = chart_of(car_t(T0), igg("igg-jul", "2026-07-10", 3.5), *INFECTIONS)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_start_on_the_general_criteria_proposes_no_end_and_its_review_comes_six_months_on(lang: str) -> None:
    """IgG 3.5 g/L with two verified pneumonias after the window: 'Ig may be started (general criteria)'; the orders
    have no end and do not name the stop date. Signed: the general review 2027-01-15 (info), due that day (warning)
    with a pause of the order it created and 'infections persist' as a reason to continue; paused: nothing due."""
    [start] = ask(GENERAL, "2026-07-15", lang)
    assert codes([start]) == [("start-meets-general-criteria", "info")]
    assert STOP not in start["summary"]
    for suggestion in start["suggestions"]:
        [order] = resources(suggestion)
        check_ig_order(order, "2026-07-15", None, lang)
        assert STOP not in suggestion["label"]
    [sign] = ask(GENERAL, "2026-07-15", lang, "order-select", [resources(start["suggestions"][1])[0]])
    assert codes([sign]) == [("order-meets-criteria", "info")] and "suggestions" not in sign

    chart = apply(GENERAL, start["suggestions"][0])
    created = chart[-1]["id"]
    for at in ["2026-07-15", "2026-07-22"]:
        cards = ask(chart, at, lang)
        assert codes(cards) == [("general-stop-review", "info")], at
        assert "2027-01-15" in cards[0]["summary"] and STOP not in cards[0]["summary"]
        if lang == "en":
            agree(chart, at, cards)
    [review] = ask(chart, "2027-01-15", lang)
    assert codes([review]) == [("general-stop-review", "warning")]
    assert {"infections-persist", "specialist-decision"} <= offered(review)
    [pause] = review["suggestions"]
    [action] = pause["actions"]
    assert action["type"] == "update" and action["resource"]["id"] == created
    assert action["resource"]["status"] == "on-hold"
    valid_fhir(action["resource"])
    paused = apply(chart, pause)
    cards = ask(paused, "2027-01-16", lang)
    assert not {"general-stop-review", "start-substitution"} & {c for c, _ in codes(cards)}


# ---- story 4: a restart after a pause -----------------------------------------------------------------------------

PAUSED = [ig_order("ivig-1", "2026-01-20", status="on-hold"), igg("igg-mar", "2026-03-20", 3.0)]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_restart_inside_the_window_follows_the_general_criteria_and_promises_no_stop_date(lang: str) -> None:
    """Paused on 2026-03-01-ish (on-hold), IgG 3.0 g/L off substitution and two verified pneumonias in March: a
    restart (§4.3) meets the general criteria; its orders have no end, name no stop date; signed, the card is the
    general review, never the special stop on 2026-05-18."""
    infections = [infection("pn-1", "2026-02-20", "DJ159", severe=True), infection("pn-2", "2026-03-15", "DJ189")]
    chart0 = chart_of(car_t(T0), igg("igg-jan", "2026-01-10", 3.2), *PAUSED, *infections)
    [start] = ask(chart0, "2026-03-25", lang)
    assert codes([start]) == [("start-meets-general-criteria", "info")]
    assert STOP not in start["summary"]
    for suggestion in start["suggestions"]:
        check_ig_order(resources(suggestion)[0], "2026-03-25", None, lang)
    chart = apply(chart0, start["suggestions"][1])
    for at in ["2026-03-25", "2026-04-01", STOP, "2026-05-19"]:
        cards = ask(chart, at, lang)
        assert [c for c, _ in codes(cards)] == ["general-stop-review"], at
        assert all(STOP not in c["summary"] for c in cards), at
        assert all("suggestions" not in c for c in cards), at
    [due] = ask(chart, "2026-09-25", lang)
    assert codes([due]) == [("general-stop-review", "warning")] and due["suggestions"]


def test_a_restart_without_infections_offers_nothing_to_order() -> None:
    """The same pause, IgG 3.0 g/L, no infection: 'start not recommended on IgG alone' (§4.3), no order offered, and a
    reason to disagree (an infection not yet coded)."""
    chart = chart_of(car_t(T0), igg("igg-jan", "2026-01-10", 3.2), *PAUSED)
    [card] = ask(chart, "2026-03-25")
    assert codes([card]) == [("no-start-without-infections", "info")] and "suggestions" not in card
    assert "infection-not-coded" in offered(card)


# ---- story 5: myeloma on teclistamab ------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "da"])
def test_myeloma_on_teclistamab_start_scig_and_stop_at_six_months_after_the_first_dose(lang: str) -> None:
    """Teclistamab from 2026-02-02, IgG 2.1 g/L on 2026-03-01: start, SCIG to 2026-08-02; signed: planned, due from
    2026-07-19, nothing to stop from 2026-08-03. Further teclistamab doses resume the course (no new window)."""
    doses = [bsab("2026-02-02", TECLISTAMAB), bsab("2026-02-09", TECLISTAMAB, "bsab-2"),
             bsab("2026-03-02", TECLISTAMAB, "bsab-3")]
    chart0 = chart_of(*doses, igg("igg-mar", "2026-03-01", 2.1), dx="DC900")
    [start] = ask(chart0, "2026-03-03", lang)
    assert codes([start]) == [("start-substitution", "info")] and "2026-08-02" in start["summary"]
    scig = start["suggestions"][1]
    [order] = resources(scig)
    check_ig_order(order, "2026-03-03", "2026-08-02", lang)
    assert order["medicationCodeableConcept"]["coding"][0]["code"] == "J06BA01"
    chart = apply(chart0, scig) + [bsab("2026-04-06", TECLISTAMAB, "bsab-4")]
    assert codes(ask(chart, "2026-04-10", lang)) == [("stop-planned", "info")]
    assert codes(ask(chart, "2026-07-20", lang)) == [("stop-due-soon", "warning")]
    assert "stop" not in " ".join(c for c, _ in codes(ask(chart, "2026-08-03", lang)))


# ---- story 6: a child --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_child_gets_one_information_card_and_no_suggestion_that_decides(lang: str) -> None:
    """13 years old at CAR-T, IgG 3.2 g/L: one information card (individual assessment), no order, no end date
    imposed on a draft, on patient-view and on the order screen."""
    child = chart_of(car_t(T0), igg("igg-jan", "2026-01-10", 3.2), born="2012-05-01")
    [card] = ask(child, "2026-01-20", lang)
    assert codes([card]) == [("child-individual-assessment", "info")] and "suggestions" not in card
    draft = {**ig_order("d-1", "2026-01-20", end="2026-12-31"), "status": "draft"}
    cards = ask(child, "2026-01-20", lang, "order-sign", [draft])
    assert [c for c, _ in codes(cards)] == ["child-individual-assessment"]
    assert all("suggestions" not in c for c in cards)
    on_ig = chart_of(car_t(T0), igg("igg-jan", "2026-01-10", 3.2), ig_order("ivig-1", "2026-01-20"), born="2012-05-01")
    cards = ask(on_ig, "2026-05-25", lang)  # a child on substitution past the stop date: no stop imposed either
    assert all("suggestions" not in c for c in cards) and "stop-overdue" not in [c for c, _ in codes(cards)]


# ---- the IgG lab order --------------------------------------------------------------------------------------------

NO_IGG = chart_of(car_t(T0))


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_igg_order_is_a_valid_lab_order_the_service_reads_back_and_its_result_decides(lang: str) -> None:
    """No IgG since CAR-T: 'measure IgG; below 4 g/L Ig may be started before 2026-05-18', with one lab order for total
    serum IgG. On the order screen beside an IVIG draft the service knows it (no second IgG order); its result (2.8
    g/L the next day) gives the start card."""
    [card] = ask(NO_IGG, "2026-01-20", lang)
    assert codes([card]) == [("measure-igg", "info")]
    [suggestion] = card["suggestions"]
    [order] = resources(suggestion)
    check_igg_order(order, lang)
    ivig = {**ig_order("d-1", "2026-01-20"), "status": "draft"}
    [sign] = ask(NO_IGG, "2026-01-20", lang, "order-sign", [order, ivig])
    assert all(s["actions"][0]["resource"]["resourceType"] != "ServiceRequest" for s in sign.get("suggestions", []))
    resulted = chart_of(car_t(T0), igg("igg-new", "2026-01-21", 2.8))
    assert codes(ask(resulted, "2026-01-22", lang)) == [("start-substitution", "info")]


def taken(chart: list[Resource], order: Resource, day: str, status: str = "registered") -> list[Resource]:
    """The chart after the IgG order was signed and the sample taken on `day`: the laboratory registers the IgG (an
    Observation under the order's code, no value yet), as Danish lab feeds send an analysis ordered."""
    registered = {"resourceType": "Observation", "id": "igg-registered", "status": status,
                  "basedOn": [{"reference": f"ServiceRequest/{order['id']}"}],
                  "subject": {"reference": f"Patient/{PATIENT}"}, "effectiveDateTime": day,
                  "code": {"coding": [c for c in order["code"]["coding"] if c["code"] == "NPU19814"]}}
    return apply(chart, {"actions": [{"type": "create", "resource": order}]}) + [registered]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_no_second_igg_order_while_the_one_it_proposed_is_pending(lang: str) -> None:
    """The IgG order signed and taken 2026-01-20, registered by the laboratory, no result yet: the next day and a week
    on, the card still says IgG is needed (measure-igg) but offers no second order and says the IgG awaits its result
    (alert fatigue, clinical rules §3). Its result not come 15 days on ([policy] igg_pending_days 14): the order is
    offered again. A preliminary result is on its way too."""
    [card] = ask(NO_IGG, "2026-01-20", lang)
    [order] = resources(card["suggestions"][0])
    chart = taken(NO_IGG, order, "2026-01-20")
    for at in ["2026-01-21", "2026-01-27", "2026-02-03"]:
        [again] = ask(chart, at, lang)
        assert codes([again]) == [("measure-igg", "info")], at
        assert "suggestions" not in again, at
        assert "2026-01-20" in again["detail"] and ("afventer svar" if lang == "da" else "awaits its result") in \
            again["detail"], again["detail"]
        if lang == "en":
            agree(chart, at, [again])
    [lapsed] = ask(chart, "2026-02-04", lang)
    assert lapsed["suggestions"] and resources(lapsed["suggestions"][0])[0]["resourceType"] == "ServiceRequest"
    assert "suggestions" not in ask(taken(NO_IGG, order, "2026-01-20", "preliminary"), "2026-01-22", lang)[0]


def test_the_pending_igg_spares_the_order_screen_too_and_an_old_one_does_not() -> None:
    """On the order screen the same day, an IVIG draft with the IgG still pending: not met (no IgG since CAR-T), no
    IgG order offered. A registered IgG from before the CAR-T (a baseline never resulted) is not the IgG the card asks
    for: the order is offered."""
    [card] = ask(NO_IGG, "2026-01-20")
    [order] = resources(card["suggestions"][0])
    chart = taken(NO_IGG, order, "2026-01-20")
    ivig = {**ig_order("d-1", "2026-01-21"), "status": "draft"}
    [sign] = ask(chart, "2026-01-21", "en", "order-sign", [ivig])
    assert codes([sign]) == [("order-does-not-meet-criteria", "warning")] and "suggestions" not in sign
    baseline = taken(NO_IGG, order, "2025-11-10")
    [again] = ask(baseline, "2025-11-20")
    assert [c for c, _ in codes([again])] == ["measure-igg"] and again["suggestions"]


# ---- override reasons: each card that offers them, in both languages -----------------------------------------------

REASON_CARDS = [
    ("stop-due", OPEN_IVIG, STOP, {"community-infection-risk"}),
    ("stop-overdue", OPEN_IVIG, "2026-05-25", {"community-infection-risk"}),
    ("general-review-due", chart_of(car_t(T0), igg("igg-jul", "2026-07-10", 3.5), *INFECTIONS,
                                    ig_order("ivig-g", "2026-07-15")), "2027-01-15", {"infections-persist"}),
    ("no-start", chart_of(car_t(T0), igg("igg-jul", "2026-07-10", 3.5)), "2026-07-15", {"infection-not-coded"}),
]


@pytest.mark.parametrize("name,chart,at,must", REASON_CARDS, ids=[c[0] for c in REASON_CARDS])
def test_override_reasons_fit_the_card_in_english_and_danish(name: str, chart: list[Resource], at: str,
                                                             must: set[str]) -> None:
    """A stop card offers reasons to continue (a short extension, infections persisting); a card against a start
    offers an infection not yet coded; none offers a reason of the other kind. Both languages, same codes, own text."""
    [en] = ask(chart, at)
    [da] = ask(chart, at, "da")
    assert must <= offered(en) and offered(en) == offered(da)
    stop_side = {"community-infection-risk", "infections-persist"}
    assert not (stop_side & offered(en) and "infection-not-coded" in offered(en))
    for e, d in zip(en["overrideReasons"], da["overrideReasons"]):
        assert e["system"] == d["system"] == OUR_REASONS
        assert e["display"] and d["display"] and e["display"] != d["display"]


# ---- over HTTP: the loop with the real server, and feedback -------------------------------------------------------

@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, SettableClock]]:
    clock = SettableClock()
    with serve_in_thread(create_app(tmp_settings(), clock=clock)) as base:
        yield base, clock


def call(base: str, chart: list[Resource], hook: str = "patient-view", drafts: list[Resource] | None = None,
         lang: str = "en") -> list[Card]:
    body = request_from_bundle(bundle_of(chart), hook, drafts)
    service = PATIENT_VIEW_ID if hook == "patient-view" else ORDER_SIGN_ID
    response = httpx.post(f"{base}/cds-services/{service}", json=body, timeout=30, headers={"Accept-Language": lang})
    assert response.status_code == 200, response.text
    return response.json()["cards"]  # type: ignore[no-any-return]


def feedback(base: str, items: list[dict], service: str = PATIENT_VIEW_ID) -> httpx.Response:
    return httpx.post(f"{base}/cds-services/{service}/feedback", json={"feedback": items}, timeout=30)


WHEN = "2026-01-20T10:05:31Z"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_over_http_accept_apply_and_override_the_stop(server: tuple[str, SettableClock], lang: str) -> None:
    """The start card accepted (its suggestion's uuid): 200; the order applied; at the stop date the card is the stop
    attempt, overridden with the short extension it offers: 200."""
    base, clock = server
    clock.set(date(2026, 1, 20))
    [start] = call(base, START_CHART, lang=lang)
    assert start["source"]["topic"]["code"] == "start-substitution"
    chosen = start["suggestions"][0]
    ok = feedback(base, [{"card": start["uuid"], "outcome": "accepted", "outcomeTimestamp": WHEN,
                          "acceptedSuggestions": [{"id": chosen["uuid"]}]}])
    assert ok.status_code == 200, ok.text
    chart = apply(START_CHART, chosen)
    clock.set(date(2026, 1, 27))
    assert [c["source"]["topic"]["code"] for c in call(base, chart, lang=lang)] == ["stop-planned"]
    clock.set(date.fromisoformat(STOP))
    [stop] = call(base, chart, lang=lang)
    assert (stop["source"]["topic"]["code"], stop["indicator"]) == ("stop-due-soon", "warning")
    [reason] = [r for r in stop["overrideReasons"] if r["code"] == "community-infection-risk"]
    ok = feedback(base, [{"card": stop["uuid"], "outcome": "overridden", "outcomeTimestamp": "2026-05-18T09:00:00Z",
                          "overrideReason": {"reason": reason, "userComment": "RS-virus i afdelingen"}}])
    assert ok.status_code == 200, ok.text


def test_over_http_order_sign_with_the_proposed_order(server: tuple[str, SettableClock]) -> None:
    """The proposed order drafted on the order screen of the same server: met, no change offered; accepted card
    feedback on the order-sign service answers 200 too."""
    base, clock = server
    clock.set(date(2026, 1, 20))
    [start] = call(base, START_CHART)
    [order] = resources(start["suggestions"][1])
    [sign] = call(base, START_CHART, "order-sign", [order])
    assert (sign["source"]["topic"]["code"], sign["indicator"]) == ("order-meets-criteria", "info")
    assert "suggestions" not in sign
    ok = feedback(base, [{"card": sign["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN}], ORDER_SIGN_ID)
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize("broken,names", [
    ({"acceptedSuggestions": None}, "acceptedSuggestions"),
    ({"acceptedSuggestions": [{"id": "not-one-of-ours"}]}, "acceptedSuggestions[0].id"),
    ({"outcome": "dismissed"}, "outcome"),
    ({"outcomeTimestamp": "20 January 2026"}, "outcomeTimestamp"),
], ids=["accepted-without-suggestion", "unknown-suggestion", "unknown-outcome", "bad-timestamp"])
def test_over_http_malformed_feedback_is_refused_naming_the_field(server: tuple[str, SettableClock],
                                                                  broken: dict, names: str) -> None:
    base, clock = server
    clock.set(date(2026, 1, 20))
    [start] = call(base, START_CHART)
    item = {"card": start["uuid"], "outcome": "accepted", "outcomeTimestamp": WHEN,
            "acceptedSuggestions": [{"id": start["suggestions"][0]["uuid"]}]}
    item.update(broken)
    item = {k: v for k, v in item.items() if v is not None}
    response = feedback(base, [item])
    assert 400 <= response.status_code < 500, response.text
    assert names in response.text


def test_over_http_a_feedback_for_a_card_never_issued_is_refused(server: tuple[str, SettableClock]) -> None:
    base, _ = server
    response = feedback(base, [{"card": str(uuid.uuid4()), "outcome": "overridden", "outcomeTimestamp": WHEN}])
    assert 400 <= response.status_code < 500 and "card" in response.text

