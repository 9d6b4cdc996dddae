"""Bacterial infections recorded but not confirmed, named where confirming them would change the card.

The criteria count only verified infections (§4.1), so a sepsis whose Condition carries no verificationStatus
"confirmed" (none sent, as registry diagnoses often are, or provisional) is not counted. The card that then says
"no severe/recurrent verified bacterial infection: Ig start not recommended" named that sepsis only as a data note
at its foot, like any record not used. It is the one record that would turn the card into a start under the general
criteria: the card now says so, above its data notes, on every card an infection not counted could change.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES, condition, with_entries

RUNTIME = load_runtime(Settings())
# CAR-T 2025-03-04, window over 2025-09-04; IgG 3.1 g/L on 2025-09-22, no infections: no start on 2026-02-20
BUNDLE = json.loads((FIXTURES / "cart-after-window-no-infections-old-igg.json").read_text())
AT = date(2026, 2, 20)
NAMED = {"en": "“Sepsis UNS” (2025-12-01) is not recorded as confirmed, so not counted; confirmed, it could change "
               "this decision.",
         "da": "“Sepsis UNS” (2025-12-01) er ikke registreret som bekræftet og tælles ikke; bekræftet kan den ændre "
               "vurderingen."}


def _condition(cid: str, onset: str, code: str, display: str, status: str | None) -> dict[str, Any]:
    return condition(cid, onset, code, display, status)


def _with(*conditions: dict[str, Any]) -> dict[str, Any]:
    return with_entries(BUNDLE, *conditions)


def _card(bundle: dict[str, Any], lang: str = "en", at: date = AT) -> dict[str, Any]:
    [card] = replay(RUNTIME, bundle, lang=lang, at=at).cards
    return card


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("status", [None, "provisional", "differential", "unconfirmed"])
def test_a_sepsis_not_confirmed_is_named_as_what_would_change_the_card(lang: str, status: str | None) -> None:
    card = _card(_with(_condition("cond-sepsis", "2025-12-01", "DA419", "Sepsis UNS", status)), lang)
    assert card["source"]["topic"]["code"] == "no-start-without-infections"  # still not counted
    assert NAMED[lang] in card["detail"]
    # said once: the record's data note is not repeated on the card
    assert card["detail"].count("Sepsis UNS") == 1


def test_confirmed_the_same_sepsis_changes_the_card() -> None:
    # with a severe infection, the 5-month-old IgG is too old to decide a start: a new one is asked for
    card = _card(_with(_condition("cond-sepsis", "2025-12-01", "DA419", "Sepsis UNS", "confirmed")))
    assert card["source"]["topic"]["code"] == "measure-igg"


def test_two_unconfirmed_pneumonias_that_would_be_recurrent_are_counted_on_the_card() -> None:
    card = _card(_with(_condition("cond-p1", "2025-08-01", "DJ159", "Bakteriel pneumoni", None),
                       _condition("cond-p2", "2025-11-10", "DJ159", "Bakteriel pneumoni", None)))
    assert "“Bakteriel pneumoni” (2025-11-10) and 1 more are not recorded as confirmed, so not counted; confirmed, " \
        "they could change this decision." in card["detail"]


@pytest.mark.parametrize("why, conditions", [
    ("one pneumonia, not severe: confirmed it would still not be severe or recurrent",
     [_condition("cond-p1", "2025-11-10", "DJ159", "Bakteriel pneumoni", None)]),
    ("a sepsis before the 12-month look-back",
     [_condition("cond-sepsis", "2025-02-10", "DA419", "Sepsis UNS", None)]),
    ("a pneumonia with no organism and no culture: not bacterial even if confirmed",
     [_condition("cond-j18", "2025-12-01", "DJ189", "Pneumoni UNS", None),
      _condition("cond-j18b", "2026-01-20", "DJ189", "Pneumoni UNS", None)]),
])
def test_no_word_where_confirming_would_change_nothing(why: str, conditions: list[dict[str, Any]]) -> None:
    card = _card(_with(*conditions))
    assert card["source"]["topic"]["code"] == "no-start-without-infections", why
    assert "could change this decision" not in card["detail"], why


def test_not_named_as_deciding_once_a_confirmed_infection_already_meets_the_criteria() -> None:
    card = _card(_with(_condition("cond-sepsis", "2025-12-01", "DA419", "Sepsis UNS", None),
                       _condition("cond-sepsis-2", "2026-01-10", "DA419", "Sepsis UNS", "confirmed")))
    assert card["source"]["topic"]["code"] == "measure-igg"
    assert "could change this decision" not in card["detail"]


def test_the_order_card_that_finds_no_infection_names_it_too() -> None:
    order = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0007.draft.json").read_text())
    result = replay(RUNTIME, _with(_condition("cond-sepsis", "2025-12-01", "DA419", "Sepsis UNS", None)),
                    at=AT, hook="order-sign", drafts=[order])
    [card] = [c for c in result.cards if c["source"]["topic"]["code"] == "order-does-not-meet-criteria"]
    assert NAMED["en"] in card["detail"]


def test_replayed_before_its_onset_it_is_not_named() -> None:
    card = _card(_with(_condition("cond-sepsis", "2025-12-01", "DA419", "Sepsis UNS", None)), at=date(2025, 11, 30))
    assert "Sepsis UNS" not in card["detail"]


# CAR-T 2025-10-14, IVIG from 2025-10-24 in the window, no infections: the special stop, due on 2026-03-31
DUE = json.loads((FIXTURES / "cart-ig-active-stop-due-14-days.json").read_text())


def _sepsis_for(bundle: dict[str, Any], day: str, status: str | None) -> dict[str, Any]:
    bundle = copy.deepcopy(bundle)
    patient = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    sepsis = _condition("cond-sepsis", day, "DA419", "Sepsis UNS", status)
    sepsis["subject"] = {"reference": f"Patient/{patient}"}
    bundle["entry"].append({"resource": sepsis})
    return bundle


def test_a_special_stop_card_names_an_unconfirmed_sepsis_before_the_course() -> None:
    # confirmed, a sepsis five days before the IVIG began puts the course under the general stop criteria (§4.2)
    [card] = replay(RUNTIME, _sepsis_for(DUE, "2025-10-19", "provisional"), at=date(2026, 3, 31)).cards
    assert card["source"]["topic"]["code"] == "stop-due-soon"
    assert "“Sepsis UNS” (2025-10-19) is not recorded as confirmed, so not counted; confirmed, it could change this " \
           "decision." in card["detail"]
    [card] = replay(RUNTIME, _sepsis_for(DUE, "2025-10-19", "confirmed"), at=date(2026, 3, 31)).cards
    assert card["source"]["topic"]["code"] == "general-stop-review"


def test_a_special_stop_card_does_not_name_a_sepsis_after_the_course_began() -> None:
    # after the start it does not decide which stop applies (§4.2: infections before the start)
    [card] = replay(RUNTIME, _sepsis_for(DUE, "2026-01-05", None), at=date(2026, 3, 31)).cards
    assert card["source"]["topic"]["code"] == "stop-due-soon"
    assert "could change this decision" not in card["detail"]


def test_an_order_failing_on_its_igg_too_does_not_name_the_unconfirmed_sepsis() -> None:
    # IgG 5.0 g/L after the window: the order fails on its IgG whatever the infections, so the sepsis decides nothing
    bundle = _with(_condition("cond-sepsis", "2025-12-01", "DA419", "Sepsis UNS", None))
    igg = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    igg["valueQuantity"]["value"] = 5.0
    igg["effectiveDateTime"] = "2026-02-10T08:00:00+01:00"
    order = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0007.draft.json").read_text())
    found = replay(RUNTIME, bundle, at=AT, hook="order-sign", drafts=[order])
    [card] = [c for c in found.cards if c["source"]["topic"]["code"] == "order-does-not-meet-criteria"]
    assert "could change this decision" not in card["detail"]


def test_a_draft_held_to_the_special_stop_names_an_unconfirmed_sepsis_since_t0() -> None:
    # CAR-T 2025-11-18, IgG 3.2 g/L: an IVIG draft meets the special criterion, to end on the stop date; confirmed,
    # a sepsis on 2025-12-20 would put it under the general stop criteria instead (§4.2)
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    draft = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
    for status, named in ((None, True), ("confirmed", False)):
        sepsis = _condition("cond-sepsis", "2025-12-20", "DA419", "Sepsis UNS", status)
        sepsis["subject"] = {"reference": "Patient/pt-dk-0001"}
        chart = copy.deepcopy(bundle)
        chart["entry"].append({"resource": sepsis})
        [card] = replay(RUNTIME, chart, at=date(2026, 1, 20), hook="order-sign", drafts=[draft]).cards
        assert card["source"]["topic"]["code"] == "order-meets-criteria"
        assert ("is not recorded as confirmed, so not counted; confirmed, it could change this decision"
                in card["detail"]) is named, status


def test_an_overdue_special_stop_names_an_unconfirmed_sepsis_before_the_course() -> None:
    # past the stop date the window is over, but the stop is still the special one the sepsis would change
    for status, code in (("provisional", "stop-overdue"), ("confirmed", "general-stop-review")):
        [card] = replay(RUNTIME, _sepsis_for(DUE, "2025-10-19", status), at=date(2026, 4, 20)).cards
        assert card["source"]["topic"]["code"] == code
        assert ("is not recorded as confirmed, so not counted; confirmed, it could change this decision"
                in card["detail"]) is (status == "provisional")


def test_a_review_of_a_course_begun_without_the_criteria_names_an_unconfirmed_sepsis_before_it() -> None:
    # IVIG begun after the window with no infection counted: its review says it met no criterion; confirmed, the
    # sepsis a month before it would have met them
    order = {"resourceType": "MedicationRequest", "id": "mr-ivig", "status": "active", "intent": "order",
             "subject": {"reference": "Patient/pt-dk-0007"}, "authoredOn": "2025-10-01",
             "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]},
             "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-10-01"}}}}]}
    for status in ("provisional", "confirmed"):
        [card] = replay(RUNTIME, _with(order, _condition("cond-sepsis", "2025-09-01", "DA419", "Sepsis UNS", status)),
                        at=date(2026, 4, 10)).cards
        named = "is not recorded as confirmed, so not counted; confirmed, it could change this decision" in card["detail"]
        assert named is (status == "provisional"), card["detail"]
