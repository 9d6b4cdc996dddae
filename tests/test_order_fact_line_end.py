"""A draft's planned end on its fact line, and how far it runs past the stop date.

An IVIG draft running to 2026-08-31 for a patient whose stop date is 2026-05-18 got "Draft order: IVIG from
2026-01-20": the suggestion corrected the end, but a clinician who skipped it signed an order 105 days too long
without seeing it. The fact line now gives the end, and the days past the stop date.
"""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)  # CAR-T 2025-11-18 (stop date 2026-05-18), IgG 3.2 g/L on 2026-01-13
BUNDLE = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
DRAFT = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())


def _detail(end: str | None, lang: str) -> str:
    draft = copy.deepcopy(DRAFT)
    if end:
        draft["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = end
    [card] = replay(RUNTIME, copy.deepcopy(BUNDLE), lang=lang, hook="order-sign", drafts=[draft], at=AT).cards
    assert card["source"]["topic"]["code"] == "order-meets-criteria"
    return str(card["detail"])


@pytest.mark.parametrize("lang, line", [
    ("en", "- Draft order: IVIG from 2026-01-20 to 2026-08-31, 105 days past the stop date"),
    ("da", "- Ordinationsudkast: IVIG fra 2026-01-20 til 2026-08-31, 105 dage efter seponeringsdatoen")])
def test_a_draft_past_the_stop_date_says_by_how_much(lang: str, line: str) -> None:
    assert line in _detail("2026-08-31", lang)


@pytest.mark.parametrize("lang, line", [("en", "- Draft order: IVIG from 2026-01-20 to 2026-04-01\n"),
                                        ("da", "- Ordinationsudkast: IVIG fra 2026-01-20 til 2026-04-01\n")])
def test_a_draft_ending_before_the_stop_date_gives_its_end(lang: str, line: str) -> None:
    assert line in _detail("2026-04-01", lang)


def test_a_draft_with_no_end_gives_its_start() -> None:
    assert "- Draft order: IVIG from 2026-01-20\n" in _detail(None, "en")
