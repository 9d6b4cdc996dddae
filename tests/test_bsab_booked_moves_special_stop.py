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
    ("the next dose of a course running now, not a new one",
     [_order("2026-01-10", oid="tec-running", authored="2026-01-05"), _order("2026-03-20")]),
])
def test_the_stop_stands_where_no_new_course_is_booked_before_it(why: str, resources: list[dict[str, Any]]) -> None:
    card = _card(with_entries(CHART, *resources))
    assert "is booked from" not in card["detail"], why
    assert "plan the stop attempt on 2026-04-14" in card["summary"] or card["source"]["topic"]["code"] != \
        "stop-planned", why


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
