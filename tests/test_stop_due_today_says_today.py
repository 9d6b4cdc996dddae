"""On the stop date itself the stop-due card says "pause substitution today", not "then" beside "(today)"."""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import car_t, chart, igg, order

RUNTIME = load_runtime(Settings())
CHART = chart(car_t("2025-09-01"), igg("2025-09-25", 3.0), order("J06BA02", "2025-10-01"))


@pytest.mark.parametrize("at, lang, words", [
    ("2026-02-28", "en", "(1 day left), 6 months after CAR-T 2025-09-01: pause substitution then"),
    ("2026-03-01", "en", "(today), 6 months after CAR-T 2025-09-01: pause substitution today"),
    ("2026-02-28", "da", "(1 dag tilbage), 6 måneder efter CAR-T 2025-09-01: pausér substitution den dag"),
    ("2026-03-01", "da", "(i dag), 6 måneder efter CAR-T 2025-09-01: pausér substitution i dag"),
])
def test_the_day_of_the_stop_is_said_as_today(at: str, lang: str, words: str) -> None:
    [card] = replay(RUNTIME, CHART, lang=lang, at=date.fromisoformat(at)).cards
    assert card["source"]["topic"]["code"] == "stop-due-soon" and words in card["summary"], card["summary"]
