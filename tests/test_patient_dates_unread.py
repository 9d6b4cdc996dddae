"""A Patient whose birth date or date of death cannot be read as a day is kept, the field named.

A birth date in no date form ("1950-02-30", "ukendt") or a date of death in another format ("16-01-2026") made the
whole Patient unusable: dropped, it took a readable date of death with it, and a deceased patient was told Ig may be
started (patient-view) and that an Ig order meets the criteria (order-sign). Now the unreadable field alone is
read as unknown and named (`birth-date-unread`, `death-date-unread`); a death with no readable day is a death.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from cds_service.cards.notes import describe
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)  # the chart: CAR-T 2025-11-18, IgG 3.2 g/L on 2026-01-13 -> "Ig may be started"
BUNDLE = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
DRAFT = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
BIRTH_NOTE = {"en": "Birth date “{v}” cannot be read as a day: not used; record the date",
              "da": "Fødselsdatoen “{v}” kan ikke læses som en dag: ikke brugt; registrér datoen"}
DEATH_NOTE = {"en": "Date of death “{v}” cannot be read as a day: the patient is read as deceased",
              "da": "Dødsdatoen “{v}” kan ikke læses som en dag: patienten er læst som afdød"}


def _chart(**patient: Any) -> dict[str, Any]:
    chart = copy.deepcopy(BUNDLE)
    found = [e["resource"] for e in chart["entry"] if e["resource"]["resourceType"] == "Patient"]
    assert len(found) == 1
    found[0].update(patient)
    return chart


def test_the_chart_gives_a_start_card_with_a_readable_patient() -> None:
    """The control: the same chart, nothing changed, is a patient who may start Ig."""
    answer = replay(RUNTIME, _chart(), at=AT)
    assert [a.code for a in answer.advice] == ["start-substitution"]


@pytest.mark.parametrize("birth", ["1950-02-30", "ukendt", "30-02-1950"])
@pytest.mark.parametrize("hook", ["patient-view", "order-sign"])
def test_a_deceased_patient_with_an_unreadable_birth_date_gets_no_advice(birth: str, hook: str) -> None:
    chart = _chart(birthDate=birth, deceasedDateTime="2026-01-16T04:20:00+01:00")
    answer = replay(RUNTIME, chart, hook=hook, at=AT,
                    drafts=[copy.deepcopy(DRAFT)] if hook != "patient-view" else None)
    assert answer.cards == [] and answer.advice == ()


@pytest.mark.parametrize("death", ["16-01-2026", "januar 2026", "2026-01-32"])
@pytest.mark.parametrize("hook", ["patient-view", "order-sign"])
def test_a_date_of_death_in_no_date_form_is_still_a_death(death: str, hook: str) -> None:
    chart = _chart(deceasedDateTime=death)
    answer = replay(RUNTIME, chart, hook=hook, at=AT,
                    drafts=[copy.deepcopy(DRAFT)] if hook != "patient-view" else None)
    assert answer.cards == [] and answer.advice == ()
    [note] = [n for n in answer.notes if n.kind == "death-date-unread"]
    assert note.source == "Patient/pt-dk-0001" and note.display == death


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_unread_date_of_death_is_named_in_words(lang: str) -> None:
    answer = replay(RUNTIME, _chart(deceasedDateTime="16-01-2026"), lang=lang, at=AT)
    [note] = [n for n in answer.notes if n.kind == "death-date-unread"]
    assert DEATH_NOTE[lang].format(v="16-01-2026") in describe(note, lang)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_living_patient_with_an_unreadable_birth_date_is_read_as_an_adult_and_the_date_named(lang: str) -> None:
    """Not dropped as "no patient record" (which said death was not checked): the birth date alone is unknown."""
    answer = replay(RUNTIME, _chart(birthDate="1950-02-30"), lang=lang, at=AT)
    assert [a.code for a in answer.advice] == ["start-substitution"]
    assert "age-unknown" in answer.advice[0].caveats and "patient-unknown" not in answer.advice[0].caveats
    [note] = [n for n in answer.notes if n.kind == "birth-date-unread"]
    assert note.display == "1950-02-30" and not any(n.kind == "invalid" for n in answer.notes)
    shown = " ".join(f"{c['summary']} {c.get('detail', '')}" for c in answer.cards)
    assert BIRTH_NOTE[lang].format(v="1950-02-30") in shown


def test_a_child_with_a_readable_birth_date_is_still_a_child() -> None:
    """The reader change keeps a readable birth date: a child at T0 gets the child card, not the adult one."""
    answer = replay(RUNTIME, _chart(birthDate="2015-03-01"), at=AT)
    assert [a.code for a in answer.advice] == ["child-individual-assessment"]
    assert not any(n.kind == "birth-date-unread" for n in answer.notes)


@pytest.mark.parametrize("birth", [1950, ["1950-02-01"], {"value": "1950-02-01"}, True])
def test_a_birth_date_that_is_no_text_is_named_and_a_death_beside_it_still_counts(birth: Any) -> None:
    answer = replay(RUNTIME, _chart(birthDate=birth, deceasedDateTime="2026-01-10"), at=AT)
    assert answer.cards == [] and answer.advice == ()
    assert [n.kind for n in answer.notes if n.source == "Patient/pt-dk-0001"] == ["birth-date-unread"]


@pytest.mark.parametrize("death", [2026, ["2026-01-01"], {"value": "2026-01-10"}])
def test_a_date_of_death_that_is_no_text_is_still_a_death(death: Any) -> None:
    answer = replay(RUNTIME, _chart(deceasedDateTime=death), at=AT)
    assert answer.cards == [] and answer.advice == ()
    assert [n.kind for n in answer.notes if n.source == "Patient/pt-dk-0001"] == ["death-date-unread"]


@pytest.mark.parametrize("death", ["", "   "])
def test_an_empty_date_of_death_is_none(death: str) -> None:
    """An export writes "" for a null: a living patient keeps the advice, with nothing to name."""
    answer = replay(RUNTIME, _chart(deceasedDateTime=death), at=AT)
    assert [a.code for a in answer.advice] == ["start-substitution"]


def test_a_death_sent_both_as_a_flag_and_a_date_is_a_death() -> None:
    """deceasedBoolean beside deceasedDateTime breaks FHIR's one-of rule: the Patient was dropped, and its death."""
    answer = replay(RUNTIME, _chart(deceasedBoolean=True, deceasedDateTime="2026-01-10"), at=AT)
    assert answer.cards == [] and answer.advice == ()


@pytest.mark.parametrize("flag, dead, kind", [("true", True, "deceased-flag-true"), ("TRUE", True, "deceased-flag-true"),
                                              ("yes", True, "deceased-flag-true"), (1, True, "deceased-flag-true"),
                                              ("ukendt", False, "deceased-flag-unread"), ("false", False, None),
                                              (0, False, None)])
def test_a_deceased_flag_as_an_export_spells_it(flag: Any, dead: bool, kind: str | None) -> None:
    answer = replay(RUNTIME, _chart(deceasedBoolean=flag), at=AT)
    assert (answer.advice == ()) is dead
    assert [n.kind for n in answer.notes if n.source == "Patient/pt-dk-0001"] == ([kind] if kind else [])
