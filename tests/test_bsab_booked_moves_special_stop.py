"""A new bispecific course already signed and booked to begin before the special stop date, named on the stop card.

Immunoglobulin held to the special stop (CAR-T 2025-10-14, IVIG since 2025-10-24 on IgG alone: stop 2026-04-14),
and teclistamab signed on 2026-03-01 to begin 2026-03-20. Once it has begun, the IVIG, begun before it, follows the
general stop criteria (§4.2), first reviewed at the end of the new window (2026-09-20), as the card on the
teclistamab order said. Until then patient-view said "plan the stop attempt on 2026-04-14" and offered to end the
IVIG order on that day: a stop three weeks into the new high-risk window. A drafted course was named; a booked one
was not.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cds_service.tools.timeline import build_timeline, patient_data

from .fixtures import FIXTURES, with_entries

RUNTIME = load_runtime(Settings())
CHART = json.loads((FIXTURES / "cart-ig-active-stop-planned-40-days.json").read_text())
AT = date(2026, 3, 5)
TECLISTAMAB = {"system": "http://www.whocc.no/atc", "code": "L01FX24", "display": "teclistamab"}


def _patient() -> str:
    return next(e["resource"]["id"] for e in CHART["entry"] if e["resource"]["resourceType"] == "Patient")


def _order(start: str, status: str = "active", oid: str = "tec-booked", code: dict[str, str] = TECLISTAMAB,
           authored: str = "2026-03-01") -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": oid, "status": status, "intent": "order",
            "subject": {"reference": f"Patient/{_patient()}"}, "authoredOn": authored,
            "medicationCodeableConcept": {"coding": [code], "text": "Tecvayli"},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": start}}}}]}


def _dose(day: str) -> dict[str, Any]:
    return {"resourceType": "MedicationAdministration", "id": "tec-dose-1", "status": "completed",
            "subject": {"reference": f"Patient/{_patient()}"},
            "medicationCodeableConcept": {"coding": [TECLISTAMAB]}, "effectiveDateTime": day}


def _card(bundle: dict[str, Any], at: date = AT, lang: str = "en") -> dict[str, Any]:
    [card] = replay(RUNTIME, bundle, lang=lang, at=at).cards
    return card


def _todo(card: dict[str, Any]) -> str:
    return next(line for line in card["detail"].splitlines() if line.startswith("**"))


@pytest.mark.parametrize("lang, todo, note", [
    ("en", "**To do:** Keep the stop on 2026-04-14 only if teclistamab (booked from 2026-03-20) has not begun by then; "
           "once it has, review a stop on 2026-09-20.",
     "*Note:* Teclistamab is booked from 2026-03-20: once it has begun, this substitution follows the general stop "
     "criteria, not the stop date."),
    ("da", "**Gør:** Behold seponeringen 2026-04-14, kun hvis teclistamab (planlagt fra 2026-03-20) ikke er begyndt "
           "inden da; er den begyndt, så vurdér seponering 2026-09-20.",
     # the Danish card, longer, keeps the required note on the IgG taken on substitution, and counts this one
     "*1 note ikke vist her.*")])
def test_the_stop_card_names_the_course_booked_before_the_stop(lang: str, todo: str, note: str) -> None:
    card = _card(with_entries(CHART, _order("2026-03-20")), lang=lang)
    assert card["source"]["topic"]["code"] == "stop-planned"
    assert _todo(card) == todo  # the to-do alone says what to do, and when
    assert note in card["detail"].splitlines()
    assert not card.get("suggestions")  # no end on a stop date that will not hold once it has begun


def test_once_the_course_has_begun_patient_view_reviews_on_the_day_the_stop_card_named() -> None:
    card = _card(with_entries(CHART, _order("2026-03-20"), _dose("2026-03-20")), at=date(2026, 3, 20))
    assert card["source"]["topic"]["code"] == "general-stop-review"
    assert "2026-09-20" in card["summary"]


def test_the_stop_due_soon_card_names_it_too() -> None:
    card = _card(with_entries(CHART, _order("2026-04-10")), at=date(2026, 4, 1))
    assert card["source"]["topic"]["code"] == "stop-due-soon"
    assert "Teclistamab is booked from 2026-04-10" in card["detail"]


@pytest.mark.parametrize("why, resources", [
    ("booked to begin after the stop date", [_order("2026-05-01")]),
    ("the order is not active (stopped)", [_order("2026-03-20", status="stopped")]),
    ("written after the day read", [_order("2026-03-20", authored="2026-03-10")]),
])
def test_the_stop_stands_where_no_new_course_is_booked_before_it(why: str, resources: list[dict[str, Any]]) -> None:
    card = _card(with_entries(CHART, *resources))
    assert card["source"]["topic"]["code"] == "stop-planned", why
    assert "is booked from" not in card["detail"], why
    assert "plan the stop attempt on 2026-04-14" in card["summary"], why
    assert _todo(card) == "**To do:** Let the order end on 2026-04-14. Then measure IgG off substitution.", why


IVIG = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())


def _ivig_draft(start: str) -> dict[str, Any]:
    draft = json.loads(json.dumps(IVIG))
    draft["subject"]["reference"] = f"Patient/{_patient()}"
    draft["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": start}
    return draft


@pytest.mark.parametrize("lang, summary, note", [
    ("en", "Ig continuation under the general SID criteria: next stop review 2026-09-20",
     "*Note:* Teclistamab, booked from 2026-03-20, begins after this substitution: once it has begun, the general "
     "stop criteria apply, not the stop date 2026-04-14."),
    ("da", "Fortsat Ig efter de generelle SID-kriterier: næste seponeringsvurdering 2026-09-20",
     "*Bemærk:* Teclistamab planlagt fra 2026-03-20 begynder efter denne substitution: når den er begyndt, gælder de "
     "generelle seponeringskriterier, ikke seponeringsdatoen 2026-04-14.")])
def test_an_ig_order_renewed_beside_the_booked_course_is_judged_as_beside_a_drafted_one(lang: str, summary: str,
                                                                                       note: str) -> None:
    """The renewal said "end the order on the stop date 2026-04-14", as the stop card did; a bsAb drafted with it
    moved that stop, one signed a few days before did not."""
    cards = replay(RUNTIME, with_entries(CHART, _order("2026-03-20")), lang=lang, hook="order-sign",
                   drafts=[_ivig_draft("2026-03-05")], at=AT).cards
    [card] = [c for c in cards if c["source"]["topic"]["code"] == "order-meets-criteria"]
    assert card["summary"] == summary
    assert note in card["detail"].splitlines()
    assert not card.get("suggestions")  # no end on the stop date


def test_a_course_booked_on_the_stop_date_itself_gets_the_same_advice_on_both_hooks() -> None:
    """Teclistamab booked from 2026-04-14, the stop date: once it has begun that day, the IVIG begun before it follows
    the general criteria (patient-view then reviews on 2026-10-14). The IVIG renewal said "end it on 2026-04-14"."""
    chart = with_entries(CHART, _order("2026-04-14"))
    assert "review a stop on 2026-10-14" in _todo(_card(chart))
    cards = replay(RUNTIME, chart, hook="order-sign", drafts=[_ivig_draft("2026-03-05")], at=AT).cards
    [card] = [c for c in cards if c["source"]["topic"]["code"] == "order-meets-criteria"]
    assert card["summary"].endswith("next stop review 2026-10-14"), card["summary"]
    begun = with_entries(chart, _dose("2026-04-14"))
    assert "2026-10-14" in _card(begun, at=date(2026, 4, 14))["summary"]


# CAR-T 2025-11-18, no Ig, IgG 3.2 g/L on 2026-01-13: a start under the special criterion, stop 2026-05-18
IN_WINDOW = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())


def test_a_start_card_beside_a_course_booked_before_the_stop_offers_no_order_ending_on_it() -> None:
    """Elranatamab booked from 2026-03-01: Ig begun now is begun before it, and follows the general stop criteria
    once it has begun, as the card on an Ig order drafted that day says; the card offered "Order IVIG ending
    2026-05-18"."""
    patient = next(e["resource"]["id"] for e in IN_WINDOW["entry"] if e["resource"]["resourceType"] == "Patient")
    order = {**_order("2026-03-01", authored="2026-01-15"), "subject": {"reference": f"Patient/{patient}"}}
    for lang, says in (("en", "because substitution begun now comes before teclistamab, booked from 2026-03-01, "
                              "the general stop criteria apply"),
                       ("da", "da substitution begyndt nu kommer før teclistamab, som er planlagt fra 2026-03-01, "
                              "gælder generelle seponeringskriterier")):
        card = _card(with_entries(IN_WINDOW, order), at=date(2026, 1, 20), lang=lang)
        assert card["source"]["topic"]["code"] == "start-substitution"
        assert says in card["detail"]
        assert all("2026-05-18" not in s["label"] for s in card.get("suggestions", ())), card["suggestions"]
    alone = _card(IN_WINDOW, at=date(2026, 1, 20))
    assert any("2026-05-18" in s["label"] for s in alone["suggestions"])


# CAR-T 2025-11-18; home SCIG since 2025-06-02 (before T0: the general criteria), next review 2026-05-18
HOME_SCIG = json.loads((FIXTURES / "cart-home-scig-medication-statement-general-stop-review.json").read_text())


def test_a_general_review_moves_past_the_window_of_a_course_booked_before_it() -> None:
    patient = next(e["resource"]["id"] for e in HOME_SCIG["entry"] if e["resource"]["resourceType"] == "Patient")
    order = {**_order("2026-01-22", authored="2026-01-15"), "subject": {"reference": f"Patient/{patient}"}}
    assert _card(HOME_SCIG, at=date(2026, 1, 20))["summary"].endswith("next stop review 2026-05-18")
    card = _card(with_entries(HOME_SCIG, order), at=date(2026, 1, 20))
    assert card["summary"].endswith("next stop review 2026-07-22"), card["summary"]
    assert "Teclistamab is booked from 2026-01-22, and no stop is weighed inside its window; if it has not begun by " \
        "2026-05-18, weigh the stop then." in card["detail"]


def test_a_course_of_doses_is_told_the_same() -> None:
    """IVIG known only by its doses: the to-do "Book no doses after 2026-04-14" beside the note that the stop does not
    hold once teclistamab has begun."""
    doses = with_entries(CHART)  # the chart's own doses (from 2025-10-24), and three more, without their order
    given = [e["resource"] for e in doses["entry"] if e["resource"]["resourceType"] == "MedicationAdministration"]
    doses["entry"] = [e for e in doses["entry"] if e["resource"]["resourceType"] != "MedicationRequest"]
    for dose in given:
        dose.pop("request", None)
    doses = with_entries(doses, *({**given[0], "id": f"ivig-dose-{k}", "effectiveDateTime": day}
                                  for k, day in enumerate(("2025-12-19", "2026-01-16", "2026-02-13"))))
    assert "Book no doses after 2026-04-14" in _todo(_card(doses))
    card = _card(with_entries(doses, _order("2026-03-20")))
    assert _todo(card).startswith("**To do:** Keep the stop on 2026-04-14 only if teclistamab (booked from "
                                  "2026-03-20) has not begun by then"), _todo(card)


def test_a_course_of_the_same_drug_running_now_is_not_a_new_one() -> None:
    """T0 is teclistamab's own first order (2025-10-14, running): an order of it booked from 2026-03-20 is its next
    dose, which opens no window and moves no stop."""
    chart = with_entries(CHART)
    chart["entry"] = [e for e in chart["entry"] if e["resource"]["resourceType"] != "Procedure"]
    chart = with_entries(chart, _order("2025-10-14", oid="tec-running", authored="2025-10-10"), _order("2026-03-20"))
    card = _card(chart)
    assert card["source"]["topic"]["code"] == "stop-planned"
    assert "is booked from" not in card["detail"]
    assert "plan the stop attempt on 2026-04-14" in card["summary"]


def test_the_timeline_shows_the_day_the_course_is_booked() -> None:
    """From the day the order is written the stop card's to-do is another: a day of its own on the timeline."""
    chart = with_entries(CHART, _order("2026-03-20", authored="2026-03-01"))
    shown = build_timeline(patient_data(chart, RUNTIME), RUNTIME, start=date(2026, 2, 20), end=date(2026, 3, 10),
                           today=date(2026, 3, 10))
    assert date(2026, 3, 1) in [state.day for state in shown.changes]
