"""An Ig draft that fails for want of a usable IgG says to measure it first.

Its to-do read only "Reconsider the order, or sign it with a reason", beside an IgG order offered as a suggestion: the
action that would settle it was in a button, not in the words.
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.tools.replay import replay

from .test_acceptance_stop import RUNTIME, bundle, car_t, ig_order, igg

CART = car_t("2025-03-01")
FIRST = {"en": "Measure IgG first (an IgG order is offered). ", "da": "Mål IgG først (en IgG-bestilling tilbydes). "}
THEN = {"en": "Reconsider the order, or sign it with a reason.",
        "da": "Genovervej ordinationen, eller signér med en begrundelse."}


def _card(igg_day: str, value: float, lang: str) -> dict:
    draft = {**ig_order("draft-1", "2025-05-10", status="draft"), "authoredOn": "2025-05-10"}
    [card] = replay(RUNTIME, bundle(CART, igg("igg", igg_day, value)), lang=lang, hook="order-sign", drafts=[draft],
                    at=date(2025, 5, 10)).cards
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria"
    return card


@pytest.mark.parametrize("lang", ["en", "da"])
def test_no_igg_since_t0_leads_with_measuring_it(lang: str) -> None:
    card = _card("2025-02-01", 3.0, lang)  # before T0: not used
    assert FIRST[lang] + THEN[lang] in card["detail"]
    assert card["suggestions"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_igg_that_qualifies_nothing_asks_for_no_measurement(lang: str) -> None:
    """IgG 7.5 g/L last week: there is nothing to measure first, only the order to reconsider."""
    card = _card("2025-05-03", 7.5, lang)
    assert THEN[lang] in card["detail"] and FIRST[lang] not in card["detail"]
