"""IgG 4 to < 6 g/L inside the window: the card says what a later IgG would change.

"No start on this advice; assess by the general SID criteria" left out that inside the window an IgG below 4 g/L
before the stop date meets the special start criterion (§4.1) whatever the infections: the card now says so where it
has room. After the window (or for a restart) the general criteria alone apply, and it does not.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())


def _card(name: str, lang: str = "en") -> dict[str, object]:
    at = date.fromisoformat(json.loads((FIXTURES / f"{name}.expect.json").read_text())["at"])
    [card] = replay(RUNTIME, json.loads((FIXTURES / f"{name}.json").read_text()), lang=lang, at=at).cards
    assert card["source"]["topic"]["code"] == "general-criteria-igg-under-6"
    return card


@pytest.mark.parametrize("lang, words", [
    ("en", "An IgG below 4 g/L before 2026-05-26 would meet the start criterion."),
    ("da", "En IgG under 4 g/L før 2026-05-26 ville opfylde startkriteriet.")])
def test_in_the_window_the_card_says_a_later_low_igg_would_meet_the_criterion(lang: str, words: str) -> None:
    assert words in str(_card("glofitamab-in-window-igg-4-8-fresh", lang)["detail"])  # glofitamab 2025-11-26


def test_after_the_window_it_does_not() -> None:
    assert "would meet the start criterion" not in str(
        _card("after-special-stop-igg-4-8-off-substitution-general-under-6")["detail"])
