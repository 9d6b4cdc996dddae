"""A birth date after T0, or after the evaluation day, is wrong data: it read as a negative age ("child (-1 y)",
"Age at T0: -1 years"). It reads as unknown now (the adult criteria, with the caveat a missing birth date gets), and a
data note names the date."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.tools.replay import replay

from .test_ehr_dates import RUNTIME, SUBJECT, bundle, car_t, igg, lymphoma

AT = date(2026, 3, 6)


def _card(chart: dict[str, Any], lang: str, hook: str = "patient-view", drafts: list[dict[str, Any]] | None = None,
          ) -> dict[str, Any]:
    [card] = replay(RUNTIME, chart, at=AT, lang=lang, hook=hook, drafts=drafts).cards
    return card


NOTE = {"en": ("Birth date {} is after {}: not used, read as unknown", "Birth date unknown"),
        "da": ("Fødselsdatoen {} ligger efter {}: ikke brugt, læst som ukendt", "Fødselsdato ukendt")}


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("birth, after", [("2031-05-01", "today"), ("2026-03-03", "t0")])
def test_a_birth_date_after_t0_or_today_reads_as_unknown_with_a_note(lang: str, birth: str, after: str) -> None:
    chart = bundle(lymphoma(), car_t(performedDateTime="2026-03-01"), igg("g", 3.0, effectiveDateTime="2026-03-05"),
                   birth=birth)
    card = _card(chart, lang)
    code = card["source"]["topic"]["code"]
    assert code != "child-individual-assessment" and "-1" not in card["summary"] + card["detail"]
    text, unknown = NOTE[lang]
    word = {"today": {"en": "today (2026-03-06)", "da": "i dag (2026-03-06)"},
            "t0": {"en": "the CAR-T or bsAb therapy of 2026-03-01", "da": "CAR-T- eller bsAb-behandlingen den 2026-03-01"},
            }[after][lang]
    assert text.format(birth, word) in card["detail"], card["detail"]
    assert unknown in card["detail"]  # the caveat a missing birth date gets


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_birth_date_after_today_on_an_order_hook_reads_as_unknown(lang: str) -> None:
    chart = bundle(lymphoma(), car_t(performedDateTime="2026-03-01"), igg("g", 3.0, effectiveDateTime="2026-03-05"),
                   birth="2031-05-01")
    draft = {"resourceType": "MedicationRequest", "id": "draft-ivig", "status": "draft", "intent": "order",
             "subject": SUBJECT, "medicationCodeableConcept": {
                 "coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}], "text": "Privigen"}}
    card = _card(chart, lang, "order-sign", [draft])
    assert card["source"]["topic"]["code"] != "child-individual-assessment"
    assert "-1" not in card["summary"] + card["detail"]
    assert NOTE[lang][1] in card["detail"]


def test_a_birth_date_on_or_before_t0_still_gives_the_age() -> None:
    chart = bundle(lymphoma(), car_t(performedDateTime="2026-03-01"), igg("g", 3.0, effectiveDateTime="2026-03-05"),
                   birth="2016-03-01")
    card = _card(chart, "en")
    assert card["source"]["topic"]["code"] == "child-individual-assessment" and "10 years" in card["detail"]


NAMED_CAR_T = {"resourceType": "Procedure", "id": "p1", "status": "completed", "subject": SUBJECT,
               "performedDateTime": "2026-03-01",
               "code": {"text": "Kymriah CAR-T infusion", "coding": [{"system": "urn:local", "code": "X1"}]}}
ADULT = {"en": "Birth date unknown: the patient is taken to be an adult", "da": "Fødselsdato ukendt: patienten er "
         "antaget at være voksen"}


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("birth, note", [
    (None, None), ("2026-03-03", {"en": "Birth date 2026-03-03 is after the CAR-T or bsAb therapy of 2026-03-01",
                                  "da": "Fødselsdatoen 2026-03-03 ligger efter CAR-T- eller bsAb-behandlingen den "
                                        "2026-03-01"}),
    ("1960-05-01", None)])
def test_with_no_index_event_an_unknown_birth_date_is_said(lang: str, birth: str | None,
                                                            note: dict[str, str] | None) -> None:
    """A CAR-T known only by its name (no index event): the age picks the child card only. A missing birth date, or
    one after the therapy, was an adult's card with no word of it."""
    chart = bundle(lymphoma(), NAMED_CAR_T, igg("g", 3.0, effectiveDateTime="2026-03-05"), birth=birth or "")
    if birth is None:
        del chart["entry"][0]["resource"]["birthDate"]
    card = _card(chart, lang)
    assert card["source"]["topic"]["code"] == "therapy-not-recognised"
    assert (ADULT[lang] in card["detail"]) == (birth != "1960-05-01"), card["detail"]
    assert note is None or note[lang] in card["detail"], card["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_with_no_index_event_an_order_with_no_birth_date_says_so(lang: str) -> None:
    chart = bundle(lymphoma(), igg("g", 3.0, effectiveDateTime="2026-03-05"))
    del chart["entry"][0]["resource"]["birthDate"]
    draft = {"resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order", "subject": SUBJECT,
             "medicationCodeableConcept": {"coding": [{"system": "urn:local", "code": "T1"}], "text": "teclistamab"}}
    card = _card(chart, lang, "order-sign", [draft])
    assert card["source"]["topic"]["code"] == "order-not-recognised"
    assert ADULT[lang] in card["detail"], card["detail"]


@pytest.mark.parametrize("birth", ["2026", "2026-03"])
def test_a_birth_date_with_no_day_that_can_be_before_t0_is_an_infant_not_unknown(birth: str) -> None:
    """A birth date naming no day is read as its last day (2026-12-31, 2026-03-31), after T0 and today here: the
    patient may still have been born before T0 (an infant), so the child card stays, at 0 years, as it read before
    the check; only a birth date that cannot be on or before the day is not used."""
    chart = bundle(lymphoma(), car_t(performedDateTime="2026-03-01"), igg("g", 3.0, effectiveDateTime="2026-03-05"),
                   birth=birth)
    card = _card(chart, "en")
    assert card["source"]["topic"]["code"] == "child-individual-assessment", card["summary"]
    assert "0 y" in card["summary"] and "not used" not in card["detail"] and "-1" not in card["summary"]


def test_a_birth_date_with_no_day_wholly_after_today_is_still_not_used() -> None:
    chart = bundle(lymphoma(), car_t(performedDateTime="2026-03-01"), igg("g", 3.0, effectiveDateTime="2026-03-05"),
                   birth="2027")
    card = _card(chart, "en")
    assert card["source"]["topic"]["code"] != "child-individual-assessment" and "Birth date unknown" in card["detail"]


def test_with_no_index_event_a_stray_earlier_record_before_the_birth_date_does_not_make_a_child_an_adult() -> None:
    """Two CAR-Ts known only by name, one dated before the birth date (2010), the latest after it: the card takes the
    age on the latest, as T0 is the latest index event. The earliest record made the birth date "not used": a child
    of 10 got the adult card ("Birth date unknown")."""
    old = {**NAMED_CAR_T, "id": "p0", "performedDateTime": "2010-01-01"}
    chart = bundle(lymphoma(), old, NAMED_CAR_T, igg("g", 3.0, effectiveDateTime="2026-03-05"), birth="2015-05-01")
    card = _card(chart, "en")
    assert card["source"]["topic"]["code"] == "therapy-not-recognised"
    assert "child (10 y)" in card["summary"] and "Birth date unknown" not in card["detail"], card["summary"]
