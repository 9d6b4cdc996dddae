"""A bispecific dose recorded `stopped` (guideline §3.4, §4.1: the window opens at the start of a bsAb; clinical rules
§5, §7): halted part-way (CRS, say), some was given and the window opens on its day, named so that a clinician who
knows none was given can correct it; one whose reason says nothing was given is not read as given, and named with
its reason. Told through patient-view in English and Danish, the worklist row, the timeline day and order-select /
order-sign with an IVIG draft.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.test_acceptance_lifecycle import MYELOMA, code, dx, igg, ivig_draft, tec_dose, tec_order
from tests.test_records_left_over import cards, plain, timeline_codes, worklist_codes

Resource = dict[str, Any]
AT = date(2026, 1, 12)
FIRST = "2025-12-01"


def halted(day: str = FIRST, reason: str = "Afbrudt pga. CRS grad 2") -> Resource:
    return {**tec_dose(day, "stopped"), "statusReason": [{"text": reason}]}


def chart(*doses: Resource) -> tuple[Resource, ...]:
    return (dx(MYELOMA, "2023-05-02"), *doses, igg("igg", "2026-01-08", 3.1))


def test_a_bsab_dose_halted_part_way_opens_the_window_and_is_named() -> None:
    """Teclistamab's first dose halted for CRS, IgG 3.1 g/L five weeks later: in the window, start substitution,
    with the stopped dose named (before: no T0, no card, no note)."""
    resources = chart(halted())
    [card] = cards(resources, AT)
    assert code(card) == "start-substitution", code(card)
    assert "recorded as stopped before it was complete: read as given" in plain(card), plain(card)
    [da] = cards(resources, AT, lang="da")
    assert code(da) == "start-substitution"
    assert "registreret som afbrudt før afslutning: læst som givet" in plain(da), plain(da)
    assert worklist_codes(resources, AT) == ["start-substitution"]
    assert timeline_codes(resources, AT) == ["start-substitution"]


def test_a_later_completed_dose_still_dates_the_course_from_the_halted_first() -> None:
    """A first dose halted part-way and a second completed three weeks on: the course starts on the first dose, so
    the window's day one is 2025-12-01, not 2025-12-22."""
    resources = chart(halted(), {**tec_dose("2025-12-22"), "id": "tec-dose-2"})
    [card] = cards(resources, AT)
    assert code(card) == "start-substitution"
    assert "2025-12-01" in plain(card), plain(card)


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_an_ivig_draft_beside_the_halted_dose_is_judged_in_the_window(hook: str) -> None:
    [card] = cards(chart(halted()), AT, hook=hook, drafts=[ivig_draft("2026-01-12")])
    assert code(card) == "order-meets-criteria", code(card)


def test_a_bsab_dose_stopped_with_nothing_given_is_not_read_as_given_and_is_named() -> None:
    """The same dose stopped with the reason 'Ikke givet': no window from it; beside a later completed dose the
    window opens on that dose, and the stopped one is named with its reason."""
    resources = chart(halted(reason="Ikke givet"), {**tec_dose("2025-12-22"), "id": "tec-dose-2"})
    [card] = cards(resources, AT)
    assert code(card) == "start-substitution"
    assert "2025-12-22" in plain(card)
    assert "recorded as stopped with the reason “Ikke givet”: read as none given" in plain(card), plain(card)
    [da] = cards(resources, AT, lang="da")
    assert "registreret som afbrudt med årsagen “Ikke givet”: læst som intet givet" in plain(da), plain(da)


def test_a_bsab_dose_stopped_with_nothing_given_and_no_other_dose_gets_a_card_saying_so() -> None:
    """The only bispecific record is a first dose stopped 'Ikke givet': no window, but a card names the record and its
    reason and asks for it to be corrected if some was given (before: no card at all)."""
    resources = chart(halted(reason="Ikke givet"))
    [card] = cards(resources, AT)
    assert code(card) == "therapy-undated", code(card)
    assert "on 2025-12-01 recorded as stopped, not given" in card["summary"], card["summary"]
    assert "The bispecific dose is recorded as stopped, “Ikke givet”, read as none given" in plain(card)
    [da] = cards(resources, AT, lang="da")
    assert "den 2025-12-01 registreret som afbrudt, ikke givet" in da["summary"], da["summary"]
    assert "Den bispecifikke dosis er registreret som afbrudt, “Ikke givet”" in plain(da)
    assert worklist_codes(resources, AT) == ["therapy-undated"]
    assert timeline_codes(resources, AT) == ["therapy-undated"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_an_ivig_draft_beside_a_bsab_dose_not_given_gets_the_same_words(hook: str) -> None:
    [card] = cards(chart(halted(reason="Ikke givet")), AT, hook=hook, drafts=[ivig_draft("2026-01-12")])
    assert code(card) == "therapy-undated", code(card)
    assert "recorded as stopped, not given" in card["summary"], card["summary"]


# ---- a therapy named as a bsAb or CAR-T, under a code not read, with no date ------------------------------------------

SCT = "http://snomed.info/sct"


def named_dose(system: str, code_: str, name: str = "Tecvayli (teclistamab)") -> Resource:
    """A dose given, named as a bispecific, under a code the value sets do not read, with no effective date."""
    return {"resourceType": "MedicationAdministration", "id": "named-dose", "status": "completed",
            "subject": {"reference": "Patient/pt-lifecycle"},
            "medicationCodeableConcept": {"coding": [{"system": system, "code": code_, "display": name}], "text": name}}


def named_infusion(name: str = "Kymriah CAR-T infusion") -> Resource:
    return {"resourceType": "Procedure", "id": "named-cart", "status": "completed",
            "subject": {"reference": "Patient/pt-lifecycle"},
            "code": {"coding": [{"system": "http://hospital.example.dk/procedures", "code": "CART-77"}], "text": name}}


@pytest.mark.parametrize("record, code_, system", [
    (named_dose("http://hospital.example.dk/drugs", "TEC-1"), "TEC-1", "http://hospital.example.dk/drugs"),
    (named_dose(SCT, "L01FX24"), "L01FX24", "SNOMED"),
    (named_infusion(), "CART-77", "http://hospital.example.dk/procedures"),
], ids=["bsab-local-code", "bsab-atc-under-snomed", "car-t-local-code"])
def test_a_therapy_named_under_a_code_not_read_with_no_date_gets_a_card(record: Resource, code_: str,
                                                                        system: str) -> None:
    """Named as a bsAb or CAR-T, its code not read, no date: a card names it with its code and system and says that
    neither the code nor the date could be read (before: no card, while the same record correctly coded got one)."""
    resources = chart(record)
    [card] = cards(resources, AT)
    assert code(card) == "therapy-undated", code(card)
    assert "no date" in card["summary"] and "code" in card["summary"], card["summary"]
    said = plain(card)
    assert code_ in said and system in said, said
    assert "neither its code nor its date could be read" in said, said
    [da] = cards(resources, AT, lang="da")
    assert code(da) == "therapy-undated"
    assert "hverken koden eller datoen kunne læses" in plain(da), plain(da)
    assert worklist_codes(resources, AT) == ["therapy-undated"]
    assert timeline_codes(resources, AT) == ["therapy-undated"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_an_ivig_draft_beside_a_named_therapy_with_no_date_gets_the_same_card(hook: str) -> None:
    [card] = cards(chart(named_dose("http://hospital.example.dk/drugs", "TEC-1")), AT, hook=hook,
                   drafts=[ivig_draft("2026-01-12")])
    assert code(card) == "therapy-undated", code(card)
    assert "TEC-1" in plain(card)


def blinatumomab_procedure(status: str, reason: str | None = None) -> Resource:
    """Blinatumomab registered as its SKS treatment code (a Procedure), as Danish hospitals do."""
    return {"resourceType": "Procedure", "id": "blina", "status": status, "subject": {"reference": "Patient/pt-lifecycle"},
            "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4", "code": "BOHJ19K1",
                                 "display": "Behandling med blinatumomab"}]},
            "performedDateTime": "2025-12-01T09:00:00+01:00",
            **({"statusReason": {"text": reason}} if reason else {})}


def test_a_bsab_procedure_stopped_is_read_as_its_administration_is() -> None:
    """The same rule for a bispecific registered as a Procedure: stopped part-way opens the window, named; stopped
    'Ikke givet' dates nothing and gets the card saying so (before: both gave nothing)."""
    [card] = cards(chart(blinatumomab_procedure("stopped", "Afbrudt pga. CRS")), AT)
    assert code(card) == "start-substitution", code(card)
    assert "recorded as stopped before it was complete: read as given" in plain(card)
    [card] = cards(chart(blinatumomab_procedure("stopped", "Ikke givet")), AT)
    assert code(card) == "therapy-undated", code(card)
    assert "recorded as stopped, not given" in card["summary"]


# ---- a therapy known by its name only, recorded stopped ---------------------------------------------------------------

@pytest.mark.parametrize("record", [
    {**named_dose("http://hospital.example.dk/drugs", "TEC-1"), "status": "stopped",
     "effectiveDateTime": "2025-12-01T09:00:00+01:00", "statusReason": [{"text": "Afbrudt pga. CRS grad 2"}]},
    {**named_infusion(), "status": "stopped", "performedDateTime": "2025-12-01T10:00:00+01:00"},
], ids=["bsab-dose", "car-t-procedure"])
def test_a_therapy_known_by_its_name_recorded_stopped_gets_the_card_a_completed_one_gets(record: Resource) -> None:
    """A dose of 'Tecvayli' under a local code (or a CAR-T infusion so named) halted part-way: some was given, as for a
    coded one, which now opens the window; its card says it was not checked (before: no card at all, while the same
    record completed got one)."""
    resources = chart(record)
    [card] = cards(resources, AT)
    assert code(card) == "therapy-not-recognised", code(card)
    assert "2025-12-01" in card["summary"], card["summary"]
    [da] = cards(resources, AT, lang="da")
    assert code(da) == "therapy-not-recognised"
    assert worklist_codes(resources, AT) == ["therapy-not-recognised"]
    assert timeline_codes(resources, AT) == ["therapy-not-recognised"]


def test_a_therapy_known_by_its_name_stopped_with_none_given_is_not_taken_for_one_given() -> None:
    """The same dose stopped 'Ikke givet': nothing was given, so no card says a bispecific was (as a coded one so
    recorded dates nothing)."""
    record = {**named_dose("http://hospital.example.dk/drugs", "TEC-1"), "status": "stopped",
              "effectiveDateTime": "2025-12-01T09:00:00+01:00", "statusReason": [{"text": "Ikke givet"}]}
    assert [code(c) for c in cards(chart(record), AT)] == []


@pytest.mark.parametrize("record", [
    {**named_infusion(), "performedString": "oktober 2025"},
    {**named_dose("http://hospital.example.dk/drugs", "TEC-1"), "effectiveDateTime": "18-11-2025"},
], ids=["date-in-words", "date-not-read"])
def test_a_named_therapy_whose_date_names_no_day_is_not_said_to_have_no_date(record: Resource) -> None:
    """Named as a CAR-T or bsAb under a code not read, dated 'oktober 2025' or '18-11-2025': the card says no date on
    it could be read as a day, never that it has no date (before: 'and it has no date', which the record belies)."""
    [card] = cards(chart(record), AT)
    assert code(card) == "therapy-undated", code(card)
    said = plain(card)
    assert "has no date" not in said and not card["summary"].endswith("and no date"), said
    assert "no date on it names a day" in said, said
    [da] = cards(chart(record), AT, lang="da")
    assert "der er ingen dato" not in plain(da) and not da["summary"].endswith("og ingen dato"), plain(da)
    assert "ingen dato på den angiver en dag" in plain(da), plain(da)


# ---- a bispecific order stopped before it was started ------------------------------------------------------------------

def never_started(reason: str) -> Resource:
    return {**tec_order("stopped", end="2025-10-20"), "statusReason": {"text": reason}}


def test_a_bsab_order_stopped_as_never_started_opens_no_window() -> None:
    """A teclistamab order stopped 'Behandling ikke påbegyndt', no dose recorded: no bispecific was given, so no
    window (before: its start dated T0, and IgG 3.1 g/L gave 'Ig may be started' for a drug never given)."""
    resources = chart(never_started("Behandling ikke påbegyndt"))
    assert [code(c) for c in cards(resources, AT)] == []
    assert worklist_codes(resources, AT) == [] and timeline_codes(resources, AT) == []
    [card] = cards(chart(never_started("Behandling ikke påbegyndt"), tec_dose("2025-12-01")), AT)
    assert code(card) == "start-substitution" and "2025-12-01" in card["summary"], card["summary"]
    assert "read as never started" in plain(card), plain(card)
    [da] = cards(chart(never_started("Behandling ikke påbegyndt"), tec_dose("2025-12-01")), AT, lang="da")
    assert "læst som aldrig startet" in plain(da), plain(da)


def test_a_bsab_order_stopped_for_another_reason_still_dates_the_course() -> None:
    [card] = cards(chart(never_started("Progression")), AT)
    assert code(card) == "start-substitution" and "2025-10-06" in card["summary"], card["summary"]
