"""A draft order whose written start has already passed says so on its card, where that costs the card nothing.

The order hooks judge a draft from the day it is signed when its start lies in the past (`Order Start`: never before
today), and the card's fact line gave only that day ("Draft order: IVIG from 2026-03-10"), while the same card's
suggestion updates the draft as written, start 2026-01-20: a clinician signing a copied order saw two starts and no
word on which was read. The fact line now names the written start beside the day judged from, unless the card would
lose anything else for it (a note, the reminder); the explanation page names it always.
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
CHART = json.loads((FIXTURES / "teclistamab-ordered-before-first-dose-stop-planned.json").read_text())
AT = date(2026, 3, 10)


def _draft(chart: dict[str, Any], start: str, end: str | None = None) -> dict[str, Any]:
    draft = copy.deepcopy(IVIG)
    patient = next(e["resource"]["id"] for e in chart["entry"] if e["resource"]["resourceType"] == "Patient")
    draft["subject"]["reference"] = f"Patient/{patient}"
    draft["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": start, **({"end": end} if end else {})}
    return draft


def _cards(chart: dict[str, Any], start: str, at: date, lang: str = "en", end: str | None = None
           ) -> list[dict[str, Any]]:
    return replay(RUNTIME, chart, lang=lang, hook="order-sign", drafts=[_draft(chart, start, end)], at=at).cards


def _order_line(start: str, lang: str, end: str | None = None) -> str:
    [card] = [c for c in _cards(CHART, start, AT, lang, end) if c["source"]["topic"]["code"] in
              ("order-meets-criteria", "order-does-not-meet-criteria")]
    [line] = [ln for ln in card["detail"].splitlines() if ln.startswith(("- Draft order", "- Ordinationsudkast"))]
    return line


@pytest.mark.parametrize("lang, expected", [
    ("en", "- Draft order: IVIG from 2026-03-10 (the draft's start 2026-01-20 has passed)"),
    ("da", "- Ordinationsudkast: IVIG fra 2026-03-10 (udkastets start 2026-01-20 er passeret)"),
])
def test_a_start_already_past_is_named_beside_the_day_read(lang: str, expected: str) -> None:
    assert _order_line("2026-01-20", lang) == expected


def test_the_start_written_stands_beside_the_start_not_after_the_end() -> None:
    assert _order_line("2026-01-20", "en", end="2026-04-08") == \
        "- Draft order: IVIG from 2026-03-10 (the draft's start 2026-01-20 has passed) to 2026-04-08, 10 days past the " \
        "stop date"


@pytest.mark.parametrize("start", ["2026-03-10", "2026-03-14"])
def test_a_start_today_or_ahead_is_shown_as_written(start: str) -> None:
    assert _order_line(start, "en") == f"- Draft order: IVIG from {start}"


def test_the_explanation_names_the_start_written() -> None:
    answer = replay(RUNTIME, CHART, hook="order-sign", drafts=[_draft(CHART, "2026-01-20")], at=AT)
    assert [(n.kind, n.day) for n in answer.notes if n.kind == "draft-start-passed"] == \
        [("draft-start-passed", date(2026, 1, 20))]


# crowded order cards: a note, the reminder or a second sentence of the to-do was on the card of a draft starting today
CROWDED = [("cart-not-given-then-infused-after-the-infusion", date(2025, 12, 4), "da"),
           ("cart-not-given-then-infused-after-the-infusion", date(2026, 5, 31), "en"),
           ("igg-kappa-myeloma-normal-total-low-polyclonal-start", date(2026, 5, 31), "en"),
           ("after-special-stop-igg-4-8-off-substitution-general-under-6", date(2026, 7, 22), "da"),
           ("child-17-at-car-t-bispecific-at-18-general-review-due", date(2026, 5, 3), "en"),
           ("teclistamab-ordered-before-first-dose-stop-planned", date(2026, 3, 10), "da")]


@pytest.mark.parametrize("name, at, lang", CROWDED)
def test_the_start_written_costs_the_card_nothing_else(name: str, at: date, lang: str) -> None:
    chart = json.loads((FIXTURES / f"{name}.json").read_text())
    today = [c["detail"] for c in _cards(chart, at.isoformat(), at, lang)]
    past = [c["detail"] for c in _cards(chart, "2025-06-01", at, lang)]
    passed = {"en": " (the draft's start 2025-06-01 has passed)", "da": " (udkastets start 2025-06-01 er passeret)"}[lang]
    assert [d.replace(passed, "", 1) for d in past] == today
