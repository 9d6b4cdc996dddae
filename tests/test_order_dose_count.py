"""An immunoglobulin order bounded by its dose count (`timing.repeat.count`) ends at its last planned dose.

Three IVIG doses every four weeks from 2026-01-20 end on 2026-03-17: the order card must not ask to end that draft
on the stop date (§4.1: the course is to stop by then, which it already does), and an active order of three doses
from 2025-12-01 is over by 2026-01-26: no stop-overdue warning after the stop date (§4.2).
"""

from __future__ import annotations

from datetime import date

from cds_service.tools.replay import replay

from .test_acceptance_orders import CART, IVIG, Case, cards_of, draft, low
from .test_acceptance_stop import RUNTIME, ig_order

EVERY_4_WEEKS = {"frequency": 1, "period": 4, "periodUnit": "wk"}


def test_draft_of_three_doses_is_not_given_the_stop_date_as_its_end() -> None:
    case = Case("count", "", [CART, low()], "2026-01-20",
                [draft("d1", IVIG, "2026-01-20", repeat={"count": 3, **EVERY_4_WEEKS})], [])
    [card] = cards_of(case)
    assert "ends 2026-03-17" in card["summary"], card["summary"]
    assert not card.get("suggestions")


def test_count_max_is_the_most_doses_planned() -> None:
    case = Case("count", "", [CART, low()], "2026-01-20",
                [draft("d1", IVIG, "2026-01-20", repeat={"count": 2, "countMax": 4, **EVERY_4_WEEKS})], [])
    [card] = cards_of(case)
    assert "ends 2026-04-14" in card["summary"], card["summary"]


def test_active_order_of_three_doses_has_ended_before_the_stop_date() -> None:
    order = ig_order("ivig", "2025-12-01")
    order["dosageInstruction"][0]["timing"]["repeat"].update({"count": 3, **EVERY_4_WEEKS})
    bundle = Case("count", "", [CART, low("2025-11-28", 3.0), order], "2026-05-25", [], []).bundle()
    codes = [c["source"]["topic"]["code"] for c in replay(RUNTIME, bundle, at=date(2026, 5, 25)).cards]
    assert "stop-overdue" not in codes and "stop-due" not in codes, codes
    [planned] = replay(RUNTIME, bundle, at=date(2026, 1, 20)).cards
    assert "2026-01-26" in planned["summary"], planned["summary"]


def test_period_max_is_the_longest_spacing_the_last_dose_may_have() -> None:
    """Three doses every 3 to 4 weeks from 2026-01-20 (`period` 3, `periodMax` 4): the last may fall on 2026-03-17.
    The card said 'ends 2026-03-03', two weeks before a dose the order still allows (and an active order so read
    left substitution, and the washout after it, two weeks early, §3.4)."""
    case = Case("count", "", [CART, low()], "2026-01-20",
                [draft("d1", IVIG, "2026-01-20", repeat={"count": 3, "frequency": 1, "period": 3, "periodMax": 4,
                                                         "periodUnit": "wk"})], [])
    [card] = cards_of(case)
    assert "ends 2026-03-17" in card["summary"], card["summary"]


def test_a_counted_bsab_order_ends_at_its_last_dose_so_a_new_order_after_the_course_gap_is_a_new_course() -> None:
    """Pinned (clinical-rules §2): teclistamab ordered 2025-09-01 as 4 weekly doses (last 2025-09-22), then ordered
    again from 2026-01-10, more than the 90-day course gap later: a new course, T0 2026-01-10. Before counts were
    read the first order, active with no end, ran to today and the second was a resumption (T0 2025-09-01)."""
    tec = {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX24"}], "text": "Tecvayli"}
    first = draft("tec1", tec, "2025-09-01", authored="2025-09-01", status="active",
                  repeat={"count": 4, **{"frequency": 1, "period": 1, "periodUnit": "wk"}})
    again = draft("tec2", tec, "2026-01-10", authored="2026-01-10", status="active")
    bundle = Case("count", "", [first, again, low()], "2026-02-01", [], []).bundle()
    [card] = replay(RUNTIME, bundle, at=date(2026, 2, 1)).cards
    assert "after bsAb 2026-01-10" in card["summary"], card["summary"]


def test_several_doses_a_period_end_at_the_last_dose_not_at_the_start_of_its_period() -> None:
    """Five IVIG doses, five a week, from 2026-01-20 (a 5-day course written per week): the card said 'ends
    2026-01-20', the first day, as if all five fell on it; four doses twice a week said 'ends 2026-01-27', three days
    before the fourth. Spread evenly, the last falls 4/5 and 3/2 weeks on: 2026-01-26 and 2026-01-30."""
    for repeat, end in (({"count": 5, "frequency": 5, "period": 1, "periodUnit": "wk"}, "2026-01-26"),
                        ({"count": 4, "frequency": 2, "period": 1, "periodUnit": "wk"}, "2026-01-30")):
        case = Case("count", "", [CART, low()], "2026-01-20", [draft("d1", IVIG, "2026-01-20", repeat=repeat)], [])
        [card] = cards_of(case)
        assert f"ends {end}" in card["summary"], (repeat, card["summary"])
