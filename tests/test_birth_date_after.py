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


NOTE = {"en": ("Birth date {} is after {} ({}): not used; the adult criteria applied", "Birth date unknown"),
        "da": ("Fødselsdatoen {} ligger efter {} ({}): ikke brugt; voksenkriterierne anvendt", "Fødselsdato ukendt")}


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("birth, after", [("2031-05-01", "today"), ("2026-03-03", "t0")])
def test_a_birth_date_after_t0_or_today_reads_as_unknown_with_a_note(lang: str, birth: str, after: str) -> None:
    chart = bundle(lymphoma(), car_t(performedDateTime="2026-03-01"), igg("g", 3.0, effectiveDateTime="2026-03-05"),
                   birth=birth)
    card = _card(chart, lang)
    code = card["source"]["topic"]["code"]
    assert code != "child-individual-assessment" and "-1" not in card["summary"] + card["detail"]
    text, unknown = NOTE[lang]
    word = {"today": {"en": "today", "da": "i dag"}, "t0": {"en": "T0", "da": "T0"}}[after][lang]
    day = AT.isoformat() if after == "today" else "2026-03-01"
    assert text.format(birth, word, day) in card["detail"], card["detail"]
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
