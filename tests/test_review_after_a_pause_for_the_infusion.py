"""Immunoglobulin paused for the CAR-T infusion and resumed after it is the substitution the patient was in before T0
(§4.2: "i behandling med immunglobuliner forud for CAR-T"): its stop is attempted 6-12 months after Ig began, reviewed
every 6 months, as for Ig never paused. The review was counted from the resumption: a pause of a month moved the first
review past the window's end (2026-03-20, not 2026-03-01) and the warning with it."""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import MYELOMA, car_t, chart, given, igg, infection, order

RUNTIME = load_runtime(Settings())
SCIG = "J06BA01"


def bsab(start: str) -> dict:
    """Teclistamab given from `start`: its first dose."""
    return given("L01FX24", start, text="Tecvayli", prefix="tec")[0]


def _paused() -> dict:
    return chart(car_t("2025-09-01"), igg("2025-02-20", 3.1),
                 order(SCIG, "2025-03-01", status="stopped", end="2025-08-20"), order(SCIG, "2025-09-20"))


def _never_paused() -> dict:
    return chart(car_t("2025-09-01"), igg("2025-02-20", 3.1), order(SCIG, "2025-03-01"))


@pytest.mark.parametrize("chart_of", [_paused, _never_paused])
@pytest.mark.parametrize("at, indicator, words", [
    ("2026-02-25", "info", "next stop review 2026-03-01"),
    ("2026-03-10", "warning", "stop attempt due since 2026-03-01"),
    ("2026-04-02", "info", "next stop review 2026-09-01"),
])
def test_the_review_counts_from_when_ig_began(chart_of, at: str, indicator: str, words: str) -> None:
    [card] = replay(RUNTIME, chart_of(), at=date.fromisoformat(at)).cards
    assert card["source"]["topic"]["code"] == "general-stop-review"
    assert card["indicator"] == indicator and words in card["summary"], card["summary"]


def test_a_resumption_after_the_window_is_reviewed_from_its_own_start() -> None:
    """Resumed only after the stop date: a new course under the general criteria, reviewed 6 months after it began,
    never "due since" a day before it began."""
    late = chart(car_t("2025-09-01"), igg("2026-03-10", 3.1), infection("2025-12-01", "DJ13", severe=True),
                 infection("2026-02-01", "DJ13", severe=True),
                 order(SCIG, "2025-03-01", status="stopped", end="2025-08-20"), order(SCIG, "2026-03-15"))
    [card] = replay(RUNTIME, late, at=date(2026, 3, 16)).cards
    assert card["indicator"] == "info" and "next stop review 2026-09-15" in card["summary"], card["summary"]


def test_ig_of_an_earlier_window_that_ran_on_counts_from_its_start() -> None:
    """SCIG begun after a CAR-T in 2023 and given for years (myeloma), paused for a bispecific in 2025 and resumed:
    the Ig the patient was in before the bispecific, reviewed as for Ig never paused."""
    resumed = chart(car_t("2023-01-10"), igg("2023-01-25", 3.0), bsab("2025-09-01"),
                    order(SCIG, "2023-02-01", status="stopped", end="2025-08-20"), order(SCIG, "2025-09-20"),
                    dx=MYELOMA)
    [card] = replay(RUNTIME, resumed, at=date(2026, 3, 5)).cards
    assert card["indicator"] == "warning" and "due since 2026-03-01" in card["summary"], card["summary"]


def test_ig_of_an_earlier_window_stopped_at_its_stop_is_no_pause() -> None:
    """IVIG given in a CAR-T's window and stopped at its stop date, then a bispecific at relapse and Ig begun again:
    a new start, reviewed 6 months after it began (the review is not moved to the new window's end)."""
    again = chart(car_t("2025-03-01"), igg("2025-03-20", 3.0), order("J06BA02", "2025-04-01", status="completed",
                                                                   end="2025-09-01"),
                  bsab("2025-11-03"), igg("2025-11-20", 2.7), order("J06BA02", "2025-12-01"))
    [card] = replay(RUNTIME, again, at=date(2025, 12, 10)).cards
    assert "next stop review 2026-06-01" in card["summary"], card["summary"]


def test_a_course_of_doses_paused_close_to_the_infusion_counts_from_its_start() -> None:
    """Doses to 27 days before T0, then a pause and a new order after it: the same substitution (§4.2)."""
    doses = chart(car_t("2025-09-01"), igg("2025-02-20", 3.1),
                  given(SCIG, "2025-03-01", "2025-04-01", "2025-05-01", "2025-06-01", "2025-07-01", "2025-08-05"),
                  order(SCIG, "2025-09-20"))
    [card] = replay(RUNTIME, doses, at=date(2026, 3, 5)).cards
    assert card["indicator"] == "warning" and "due since 2026-03-01" in card["summary"], card["summary"]


def test_ig_that_ran_across_t0_and_was_stopped_in_the_window_is_no_pause() -> None:
    """IVIG from before CAR-T, run on across it and stopped inside the window, then begun again for a sepsis: a
    restart, reviewed 6 months after it began (2025-12-10), not from the IVIG before T0."""
    restart = chart(car_t("2025-02-03"), igg("2025-06-05", 3.0), infection("2025-06-01", "DA419", severe=True),
                    order("J06BA02", "2024-10-01", status="completed", end="2025-04-30"), order("J06BA02", "2025-06-10"))
    [card] = replay(RUNTIME, restart, at=date(2025, 8, 3)).cards
    assert card["indicator"] == "info" and "next stop review 2025-12-10" in card["summary"], card["summary"]
