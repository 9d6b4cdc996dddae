"""Bacterial infections known only by their names, named where, coded, they could change the card.

A hospital codes a diagnosis locally, or with a SNOMED CT concept no value set holds ("Sepsis caused by Klebsiella
pneumoniae"): the criteria cannot count it (a name is no code), and the card that then said "no severe/recurrent
verified bacterial infection: Ig start not recommended" counted it among "9 data notes not shown here". It is the
record likeliest to turn that card into a start under the general criteria: the card now names it above its data
notes, as it names an infection recorded but not confirmed, wherever it could change the decision.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from cds_service.tools.replay import replay

from .fixtures import FIXTURES, condition
from .test_unconfirmed_infections_named import AT, RUNTIME, _card, _with

# the chart and day of the unconfirmed infections' tests: CAR-T 2025-03-04, window over 2025-09-04; IgG 3.1 g/L on
# 2025-09-22, no infections: no start on 2026-02-20
NAMED = {"en": "“Sepsis med Klebsiella” (2025-12-01): its code is not known, so not counted; coded as a verified "
               "bacterial infection, it could change this decision.",
         "da": "“Sepsis med Klebsiella” (2025-12-01): koden kendes ikke, så den tælles ikke; kodet som verificeret "
               "bakteriel infektion kan den ændre vurderingen."}
SNOMED = "http://snomed.info/sct"
LOCAL = "urn:oid:1.2.208.176.2.99.7"  # a hospital's own code system, which no value set uses


def _condition(cid: str, onset: str, system: str, code: str, display: str,
               status: str | None = "confirmed") -> dict[str, Any]:
    return condition(cid, onset, code, display, status, system)


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("system, code", [(SNOMED, "1234567008"), (LOCAL, "LOK-SEPSIS-KP")])
def test_a_sepsis_known_only_by_its_name_is_named_as_what_would_change_the_card(lang: str, system: str,
                                                                                 code: str) -> None:
    card = _card(_with(_condition("cond-sepsis", "2025-12-01", system, code, "Sepsis med Klebsiella")), lang)
    assert card["source"]["topic"]["code"] == "no-start-without-infections"  # still not counted
    assert NAMED[lang] in card["detail"]
    assert card["detail"].count("Sepsis med Klebsiella") == 1  # its data note is not said again on the card


def test_two_are_counted_in_one_note() -> None:
    card = _card(_with(_condition("cond-p1", "2025-08-01", SNOMED, "1234567008", "Sepsis med E. coli"),
                       _condition("cond-p2", "2025-11-10", SNOMED, "1234567009", "Sepsis med Klebsiella")))
    assert "“Sepsis med Klebsiella” (2025-11-10) and 1 more: their codes are not known, so not counted; coded as " \
        "verified bacterial infections, they could change this decision." in card["detail"]


@pytest.mark.parametrize("why, conditions", [
    ("before the 12-month look-back",
     [_condition("cond-sepsis", "2025-02-10", SNOMED, "1234567008", "Sepsis med Klebsiella")]),
    ("refuted", [_condition("cond-sepsis", "2025-12-01", SNOMED, "1234567008", "Sepsis med Klebsiella", "refuted")]),
    ("its name names no bacterial infection",
     [_condition("cond-x", "2025-12-01", SNOMED, "1234567008", "Hypertension")]),
])
def test_no_word_where_it_could_change_nothing(why: str, conditions: list[dict[str, Any]]) -> None:
    card = _card(_with(*conditions))
    assert card["source"]["topic"]["code"] == "no-start-without-infections", why
    assert "could change this decision" not in card["detail"], why


def test_not_named_as_deciding_once_a_coded_infection_already_meets_the_criteria() -> None:
    card = _card(_with(_condition("cond-named", "2025-12-01", SNOMED, "1234567008", "Sepsis med Klebsiella"),
                       _condition("cond-sepsis", "2026-01-10", "urn:oid:1.2.208.176.2.4.12", "DA419", "Sepsis UNS")))
    assert card["source"]["topic"]["code"] == "measure-igg"
    assert "could change this decision" not in card["detail"]


def test_replayed_before_its_day_it_is_not_named() -> None:
    card = _card(_with(_condition("cond-sepsis", "2025-12-01", SNOMED, "1234567008", "Sepsis med Klebsiella")),
                 at=date(2025, 11, 30))
    assert "Sepsis med Klebsiella" not in card["detail"]


def test_the_order_card_that_finds_no_infection_names_it_too() -> None:
    order = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0007.draft.json").read_text())
    result = replay(RUNTIME, _with(_condition("cond-sepsis", "2025-12-01", SNOMED, "1234567008",
                                              "Sepsis med Klebsiella")), at=AT, hook="order-sign", drafts=[order])
    [card] = [c for c in result.cards if c["source"]["topic"]["code"] == "order-does-not-meet-criteria"]
    assert NAMED["en"] in card["detail"]



@pytest.mark.parametrize("name", ["Candida-sepsis", "Sepsis forårsaget af COVID-19"])
def test_a_name_that_gives_a_fungus_or_a_virus_is_no_bacterial_infection_to_name(name: str) -> None:
    card = _card(_with(_condition("cond-x", "2025-12-01", LOCAL, "LOK-X", name)))
    assert card["source"]["topic"]["code"] == "no-start-without-infections"
    assert "could change this decision" not in card["detail"]
