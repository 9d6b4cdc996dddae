"""What typing the fact builder (mypy strict) found, each a value its type did not allow; and a date with no day
that says which element it came from, instead of being matched by its text against the order's start."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cds_service.fhir.facts import FactBuilder
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cql_like_rules.valuesets import load_terminology

TZ = ZoneInfo("Europe/Copenhagen")


def local_infection(tmp_path: Path, organism: str | None) -> FactBuilder:
    """A site's infection-other code (valuesets/README.md: `organism` is `unspecified` or `other`)."""
    local = tmp_path / "local"
    local.mkdir()
    (local / "code-systems.json").write_text(json.dumps({"aliases": {"LOCAL-DX": {"uris": ["urn:oid:1.2.208.999.7"]}}}))
    entry = {"system": "LOCAL-DX", "code": "INF42", "display": "Viral infection", "source": "local diagnosis list"}
    if organism is not None:
        entry["organism"] = organism
    (local / "infection-other.json").write_text(json.dumps({"id": "infection-other", "include": [entry]}))
    return FactBuilder(load_terminology(str(local)), TZ)


def condition() -> dict:
    return {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": "urn:oid:1.2.208.999.7", "code": "INF42"}]},
            "verificationStatus": {"coding": [{"code": "confirmed"}]}, "onsetDateTime": "2026-01-10"}


@pytest.mark.parametrize("organism, read", [("viral", "other"), ("Unspecified", "other"), ("", "other"), (None, "other"),
                                            ("other", "other"), ("unspecified", "unspecified")])
def test_an_infection_other_organism_outside_the_readme_is_never_bacterial(tmp_path, organism, read):
    """`organism` reached Infection.organism as any string, and the rules count every infection whose organism is
    neither "other" nor "unspecified" as a verified bacterial one: a site's viral code with `organism: "viral"`
    counted towards the start criteria. Anything but the two words is now read as no organism is: "other"."""
    facts = local_infection(tmp_path, organism).build([condition()]).facts
    [infection] = facts.infections
    assert infection.organism == read
    if read == "other":  # never counted, with or without a culture
        assert load_runtime(Settings()).ruleset.context(facts, date(2026, 2, 1))["Bacterial Infections"] == ()


# -- a date with no day says which element it came from (PartialDate.field) -----------------------------------------

@pytest.mark.parametrize("end, read", [("2025-10", "2025-10-31"), ("2025", "2025-12-31"), ("2026-03", "2026-03-31")])
def test_a_bispecific_end_with_no_day_is_read_as_its_last_day_and_the_window_placed(end, read):
    """A teclistamab order from 2025-10-06 whose end names no day (valid FHIR): the start is known. An end of the
    start's month ("2025-10") or year was taken for the start ("Teclistamab is dated “2025-10”, which names no day,
    so its window was not placed"); and any end with no day made the order unusable, so this patient, IgG 3.0 g/L
    in the window, got no card at all. The end is now its last day, named on the card, and the window is placed."""
    from .test_therapy_undated import bsab_order, cards, chart

    [card] = cards(chart(bsab_order("2025-10-06", end=end)))
    assert card["source"]["topic"]["code"] == "start-substitution" and "bsAb 2025-10-06" in card["summary"]
    assert f"The date “{end}” of an order names no day: read as {read}; check it." in card["detail"]


@pytest.mark.parametrize("end", ["2026-06", "2026"])
def test_an_ig_order_whose_end_names_no_day_is_still_a_course(end):
    """An active IVIG order from 2025-12-01 to "2026-06" after a CAR-T on 2025-10-06: the patient is on Ig. The
    order was unusable (an end with no day), so the card said "Ig substitution may start"; it now plans the stop."""
    from .test_therapy_undated import SUBJECT, cards, chart, procedure

    ivig = {"resourceType": "MedicationRequest", "id": "ivig", "status": "active", "intent": "order",
            "subject": SUBJECT, "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc",
                                                                          "code": "J06BA02"}], "text": "Privigen"},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-12-01", "end": end}}}}]}
    [card] = cards(chart(procedure(performedDateTime="2025-10-06"), ivig))
    assert card["source"]["topic"]["code"] == "stop-planned"
    assert "plan the stop attempt on 2026-04-06" in card["summary"] and f"“{end}”" in card["detail"]


def test_a_start_with_no_day_in_a_second_dosage_is_a_start_with_no_day():
    """The start is the earliest boundsPeriod start of all dosages: one that names no day leaves it unknown, so the
    order is an undated therapy (before, only the first dosage's start was compared, and the order was 'invalid')."""
    from .test_therapy_undated import bsab_order, cards, chart

    order = bsab_order("2025-10-06")
    order["dosageInstruction"].append({"timing": {"repeat": {"boundsPeriod": {"start": "2025-09"}}}})
    [card] = cards(chart(order))
    assert card["source"]["topic"]["code"] == "therapy-undated" and "“2025-09”" in card["summary"]


def test_a_partial_date_names_its_element():
    from cds_service.fhir.dates import PartialDate

    with pytest.raises(PartialDate) as raised:
        FactBuilder(load_terminology(), TZ)._dosage_period({"authoredOn": "2025-10"})
    assert (raised.value.value, raised.value.field) == ("2025-10", "authoredOn")


def test_dose_days_date_an_order_whose_authored_on_names_no_day():
    """A teclistamab order with its planned doses on full days and `authoredOn` "2025-10": the dose days date it
    (as they do with no authoredOn), so the window is placed from the first dose; the month-only authoredOn made it an
    undated therapy ("its window was not placed")."""
    from .test_therapy_undated import bsab_order, cards, chart

    order = bsab_order("2025-10-06")
    order["authoredOn"] = "2025-10"
    order["dosageInstruction"] = [{"timing": {"event": ["2025-10-06", "2025-10-09", "2025-10-13"]}}]
    [card] = cards(chart(order))
    assert card["source"]["topic"]["code"] == "start-substitution" and "bsAb 2025-10-06" in card["summary"]
