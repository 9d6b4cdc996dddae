"""What a crowded card keeps (`render.KEEPS`): a data note on a record the advice rests on before an explanatory
caveat; the vaccination and antibiotic reminder on a card against a start before a caveat; a caveat cut is counted."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.answers import of_patient
from cds_service.tools.replay import load_bundle, load_drafts, replay, request_from_bundle
from cql_like_rules.catalogue import REMINDER

FIXTURES = Path(__file__).resolve().parent.parent / "fhir_fixtures"
COPIED = "ivig-order-copied-active-and-stopped-check-which-is-valid"  # an IVIG order sent active and stopped
NO_START = "after-window-provisional-refuted-and-close-pneumonias-no-start"
ALSO_STOPPED = {"en": "was also sent as stopped", "da": "også sendt som"}
CUT = {"en": "1 note not shown here.", "da": "1 note ikke vist her."}
NOTE_COUNTED = {"en": "data note not shown here", "da": "datanote ikke vist her"}
TECLISTAMAB_CAVEAT = {"en": "would open a new high-risk window", "da": "nyt højrisikovindue"}


@lru_cache(maxsize=None)
def answer(chart: str, day: date, lang: str) -> Any:
    bundle = load_bundle(str(FIXTURES / f"{chart}.json"))
    patient = request_from_bundle(bundle)["context"]["patientId"]
    drafts = [of_patient(d, patient) for d in load_drafts([str(FIXTURES / "drafts" / "orders-pt-dk-0001.draft.json")])]
    return replay(load_runtime(Settings()), bundle, hook="order-select", drafts=drafts, lang=lang, at=day)


def not_met(chart: str, day: date, lang: str) -> tuple[dict, object]:
    found = answer(chart, day, lang)
    return next((c, a) for c, a in zip(found.cards, found.advice) if a.code == "order-does-not-meet-criteria")


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_note_on_the_order_the_advice_rests_on_is_spelled_out_not_counted(lang: str) -> None:
    card, advice = not_met(COPIED, date(2026, 2, 5), lang)
    assert "MedicationRequest/mr-ivig-0127" in advice.evidence  # "IVIG since 2025-09-15" rests on it
    assert ALSO_STOPPED[lang] in card["detail"]
    assert NOTE_COUNTED[lang] not in card["detail"]
    assert len(card["detail"]) <= 700


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_caveat_cut_for_it_is_counted_and_stays_on_the_advice(lang: str) -> None:
    card, advice = not_met(COPIED, date(2026, 2, 5), lang)
    assert TECLISTAMAB_CAVEAT[lang] not in card["detail"]
    assert CUT[lang] in card["detail"]
    assert "therapy-drafted-with-it" in advice.caveats  # the explanation (page, trace) still has it


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_card_against_a_start_keeps_the_vaccination_reminder(lang: str) -> None:
    card, _ = not_met(NO_START, date(2024, 9, 2), lang)
    assert REMINDER(lang) in card["detail"]
    assert len(card["detail"]) <= 700


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_spare_caveat_added_where_there_is_room_is_no_caveat_cut(lang: str) -> None:
    """A baseline IgG drafted with elranatamab: the card has room for "An IgG lab order ... is among the draft
    orders", which is added, not counted as cut; it said "-1 more note on the explanation page"."""
    bundle = load_bundle(str(FIXTURES / "rituximab-only-no-index-event.json"))
    drafts = load_drafts([str(FIXTURES / "drafts" / f"{name}.draft.json")
                          for name in ("elranatamab-pt-dk-0022", "igg-lab-pt-dk-0022")])
    found = replay(load_runtime(Settings()), bundle, hook="order-sign", drafts=drafts, lang=lang, at=date(2026, 6, 1))
    [card] = found.cards
    assert {"en": "An IgG lab order (2026-06-01)", "da": "En IgG-rekvisition (2026-06-01)"}[lang] in card["detail"]
    assert not re.search(r"\d+ (more )?(note|noter) (not|ikke|mere|on)", card["detail"])  # nothing cut, none counted
    assert len(card["detail"]) <= 700


def test_the_danish_card_against_a_start_keeps_the_caveat_the_english_keeps() -> None:
    """An SCIG drafted on the last day of a teclistamab window, the IgG taken after an Ig order now on hold from an
    unrecorded day: the English card has room for the caveat and the vaccination reminder; the Danish, whose words are
    longer, kept the reminder and cut the caveat ("1 note ikke vist her"): it keeps the caveat, as the English."""
    bundle = load_bundle(str(FIXTURES / "teclistamab-ig-on-hold-in-window.json"))
    patient = request_from_bundle(bundle)["context"]["patientId"]
    drafts = [of_patient(d, patient) for d in load_drafts([str(FIXTURES / "drafts" / "scig-switch-pt-dk-0113.draft.json")])]
    cards = {}
    for lang in ("en", "da"):
        found = replay(load_runtime(Settings()), bundle, hook="order-sign", drafts=drafts, lang=lang,
                       at=date(2026, 3, 31))
        cards[lang] = next(c for c, a in zip(found.cards, found.advice) if a.code == "order-does-not-meet-criteria")
    assert "it may still show infused immunoglobulin (§3.4)" in cards["en"]["detail"]
    assert REMINDER("en") in cards["en"]["detail"]
    assert "den kan stadig vise tilført immunglobulin (§3.4)" in cards["da"]["detail"]
    assert "ikke vist her" not in cards["da"]["detail"] and len(cards["da"]["detail"]) <= 700
