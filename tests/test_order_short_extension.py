"""An Ig draft the card would end on the stop date offers the short extension §4.2 allows as an override reason.

§4.2: with a significant community risk of bacterial infections needing antibiotics, a short extension past the stop
date may be relevant. The order card is where a clinician writes it; the card recommended "End this order on
2026-05-18" and gave no reason to decline it with. Now the reasons come with that end, and only with it: a draft
that already ends by the stop date extends nothing."""

from __future__ import annotations

import json
from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES
from .test_order_late_renewal import _chart, _draft

RUNTIME = load_runtime(Settings())
REASONS = {"en": ["Short extension: significant community risk of bacterial infections",
                  "Specialist decision documented elsewhere"],
           "da": ["Kort forlængelse: betydelig smitterisiko for bakterielle infektioner i samfundet",
                  "Speciallægebeslutning dokumenteret andetsteds"]}


def _reasons(card: dict) -> list[str]:
    return [r["display"] for r in card.get("overrideReasons") or []]


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("end", ["2026-06-12", None])
def test_a_continuation_past_the_stop_date_offers_the_short_extension(lang, end):
    # IVIG since 2026-01-20 (CAR-T 2025-11-18, stop date 2026-05-18); a renewal from 2026-03-25 to 2026-06-12, or
    # with no end, while the first order still runs.
    bundle = _chart()
    [card] = replay(RUNTIME, bundle, lang=lang, hook="order-sign", drafts=[_draft("2026-03-25", end)],
                    at=date(2026, 3, 25)).cards
    assert card["source"]["topic"]["code"] == "order-meets-criteria", card["summary"]
    assert "2026-05-18" in card["suggestions"][0]["label"]
    assert _reasons(card) == REASONS[lang]


def test_a_new_course_past_the_stop_date_offers_it_too():
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    [card] = replay(RUNTIME, bundle, hook="order-select", drafts=[_draft("2026-01-20", "2026-07-01")],
                    at=date(2026, 1, 20)).cards
    assert card["source"]["topic"]["code"] == "order-meets-criteria" and card["suggestions"], card["summary"]
    assert _reasons(card) == REASONS["en"]


def test_a_draft_ending_on_the_stop_date_extends_nothing():
    [card] = replay(RUNTIME, _chart(), hook="order-sign", drafts=[_draft("2026-03-25", "2026-05-18")],
                    at=date(2026, 3, 25)).cards
    assert card["source"]["topic"]["code"] == "order-meets-criteria", card["summary"]
    assert not card.get("suggestions") and not _reasons(card)
