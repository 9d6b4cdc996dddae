"""Immunoglobulin the patient may already be on, as the advice says it, not only its card (`cds_service.already_on`).

The caveat `ig-maybe-on` and the order it withholds were made when the card was drawn: the explanation page (its
stored advice, its reasoning) said nothing of them, where the card named the record. It is now a step of the advice
once every data note is known (the live ones made after the rules too), so the page, the card and the timeline agree;
the caveat says why the record was not read, and stands right under the decision.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cds_service.pipeline import Answer
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cql_like_rules.catalogue import ALREADY_ON, ALREADY_ON_REASON

from .pages import rendered, stored
from .test_ig_known_by_name import AT, RUNTIME, _chart, _order
from .test_acceptance_lifecycle import DLBCL, Chart, car_t, dx, igg, ivig_order

NOW = datetime(2026, 1, 20, 11, 0, tzinfo=timezone.utc)


def page(answered: Answer, lang: str) -> tuple[dict[str, Any], str]:
    """The first card's explanation snapshot as stored and read back, and its page as text."""
    data = stored(answered, RUNTIME)
    return data, html.unescape(re.sub(r"<[^>]+>", " ", rendered(data, lang, RUNTIME, NOW)))


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_explanation_page_has_the_caveat_and_the_record_it_names(lang: str) -> None:
    """acc-25: the stored advice carries `ig-maybe-on` and the record it names; the page's decision lists them with the
    advice, so an auditor sees why the card offered no Ig order."""
    answered = replay(RUNTIME, _chart(_order()), hook="patient-view", at=AT, lang=lang)
    data, text = page(answered, lang)
    advice = data["advice"]
    assert advice["caveats"][0] == "ig-maybe-on"
    assert advice["values"]["ig_maybe_on_source"] == "MedicationRequest/mr-kiovig"
    assert advice["values"]["ig_maybe_on_kind"] == "ig-by-name"
    decision = text[text.index("Decision" if lang == "en" else "Beslutning"):]
    assert "MedicationRequest/mr-kiovig" in decision and "Kiovig infusionsvæske 100 mg/ml" in decision
    assert "suggestions" not in answered.cards[0]


def test_a_record_named_by_the_pipeline_after_the_rules_is_in_the_stored_advice_too() -> None:
    """An IVIG order written "tomorrow" on a live call is named by the pipeline after the rules ran
    (`ig-order-written-later`): the stored advice names it as the card does."""
    zone = ZoneInfo("Europe/Copenhagen")
    runtime = load_runtime(Settings(), clock=lambda: datetime(2026, 1, 12, 10, 0, tzinfo=zone))
    order = {**ivig_order(start="2025-12-01"), "authoredOn": "2026-01-13T00:30:00+01:00"}
    bundle = Chart("c", (dx(DLBCL, "2025-02-14"), car_t("2025-11-03"), igg("igg", "2025-11-20", 2.8), order), (),
                   "").bundle()
    answered = replay(runtime, bundle)
    assert "may be Ig the patient is on" in answered.cards[0]["detail"]
    [advice] = answered.advice
    assert advice.caveats[0] == "ig-maybe-on" and advice.values["ig_maybe_on_kind"] == "ig-order-written-later"
    assert stored(answered, runtime)["advice"]["caveats"][0] == "ig-maybe-on"


@pytest.mark.parametrize("lang, caveat", [
    ("en", "*Note:* “Kiovig infusionsvæske 100 mg/ml” (ordered 2025-12-30; code not known) may be Ig the patient is "
           "on: check first; no Ig order offered."),
    ("da", "*Bemærk:* “Kiovig infusionsvæske 100 mg/ml” (ordineret 2025-12-30; ukendt kode) kan være Ig, "
           "patienten får: tjek først; ingen Ig-ordination tilbudt."),
])
def test_the_caveat_says_why_and_stands_right_under_the_decision(lang: str, caveat: str) -> None:
    """The caveat is read before the facts and the "To do" line, and says why the record was not read (its note may be
    cut on a crowded card)."""
    answered = replay(RUNTIME, _chart(_order()), hook="patient-view", at=AT, lang=lang)
    card = answered.cards[0]
    blocks = card["detail"].split("\n\n")
    assert blocks[1] == caveat, blocks
    assert len(card["summary"]) <= 140 and len(card["detail"]) <= 700


@pytest.mark.parametrize("lang", ["en", "da"])
def test_every_record_the_patient_may_be_on_has_a_reason_in_both_languages(lang: str) -> None:
    """Each kind of note that gives the caveat gives it a reason a clinician reads on the card."""
    assert set(ALREADY_ON_REASON) == set(ALREADY_ON)
    assert all(ALREADY_ON_REASON[kind](lang) for kind in ALREADY_ON)
