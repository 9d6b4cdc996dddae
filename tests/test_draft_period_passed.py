"""A draft order whose whole planned period has passed says so on its card, and is judged as starting the day signed.

A draft copied from an old order can keep both its old start and its old end. Signed as written it gives no dose. The
card read it from the day signed but kept the old end, so its line read "Draft order: IVIG from 2026-03-10 ... to
2026-02-20", an end before the start, and nothing said the order would give nothing. It is now judged as an undated
draft, the card carries a note with the end that has passed, and no suggestion claims to end it on the stop date
(setting an end on a period already over would change nothing).
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
IVIG = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
# teclistamab 2025-09-29 (T0), IVIG since 2025-10-27 in the window: stop 2026-03-29
CONTINUES = json.loads((FIXTURES / "teclistamab-ordered-before-first-dose-stop-planned.json").read_text())
AT = date(2026, 3, 10)
# CAR-T 2025-11-18, IgG 3.2 g/L since: a start in the window, stop 2026-05-18
STARTS = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
STARTS_AT = date(2026, 1, 20)


def _draft(chart: dict[str, Any], start: str, end: str) -> dict[str, Any]:
    draft = copy.deepcopy(IVIG)
    patient = next(e["resource"]["id"] for e in chart["entry"] if e["resource"]["resourceType"] == "Patient")
    draft["subject"]["reference"] = f"Patient/{patient}"
    draft["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": start, "end": end}
    return draft


def _card(chart: dict[str, Any], start: str, end: str, at: date, lang: str = "en", hook: str = "order-sign"
          ) -> dict[str, Any]:
    cards = replay(RUNTIME, chart, lang=lang, hook=hook, drafts=[_draft(chart, start, end)], at=at).cards
    [card] = [c for c in cards if c["source"]["topic"]["code"] in ("order-meets-criteria", "order-does-not-meet-criteria")]
    return card


def _order_line(card: dict[str, Any]) -> str:
    [line] = [ln for ln in card["detail"].splitlines() if ln.startswith(("- Draft order", "- Ordinationsudkast"))]
    return line


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
@pytest.mark.parametrize("lang, line, note", [
    ("en", "- Draft order: IVIG from 2026-03-10",
     "was planned to end 2026-02-20, a day already past: as written it gives no dose; it was judged as starting today "
     "with no end; check its dates"),
    ("da", "- Ordinationsudkast: IVIG fra 2026-03-10",
     "skulle slutte 2026-02-20, en dag der er passeret: som skrevet giver den ingen dosis; den er vurderet som "
     "startende i dag uden slut; tjek datoerne"),
])
def test_a_period_passed_is_named_and_the_line_has_no_end_before_its_start(hook: str, lang: str, line: str,
                                                                            note: str) -> None:
    card = _card(CONTINUES, "2026-01-20", "2026-02-20", AT, lang, hook)
    assert _order_line(card) == line
    assert note in card["detail"]


def test_no_suggestion_claims_to_end_an_order_whose_period_is_over() -> None:
    card = _card(CONTINUES, "2026-01-20", "2026-02-20", AT)
    assert "end the order on the stop date 2026-03-29" in card["summary"]  # the advice itself stands
    assert not card.get("suggestions")


def test_an_end_the_day_before_is_passed_and_an_end_today_is_not() -> None:
    assert "2026-03-09, a day already past" in _card(CONTINUES, "2026-01-20", "2026-03-09", AT)["detail"]
    today = _card(CONTINUES, "2026-01-20", "2026-03-10", AT)
    assert "a day already past" not in today["detail"]
    assert _order_line(today) == "- Draft order: IVIG from 2026-03-10 (the draft's start 2026-01-20 has passed) to " \
        "2026-03-10"


def test_a_start_card_of_a_passed_period_keeps_its_advice_and_names_the_dates() -> None:
    card = _card(STARTS, "2025-12-01", "2025-12-31", STARTS_AT)
    assert card["source"]["topic"]["code"] == "order-meets-criteria"
    assert _order_line(card) == "- Draft order: IVIG from 2026-01-20"
    assert "was planned to end 2025-12-31, a day already past" in card["detail"]


def test_the_explanation_names_the_period_not_only_the_start() -> None:
    answer = replay(RUNTIME, CONTINUES, hook="order-sign", drafts=[_draft(CONTINUES, "2026-01-20", "2026-02-20")],
                    at=AT)
    assert [(n.kind, n.day) for n in answer.notes if n.kind.startswith("draft-")] == \
        [("draft-period-passed", date(2026, 2, 20))]
