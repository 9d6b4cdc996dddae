"""A card against a restart says when a new order still continues the course that ended, as the order screen judges.

SCIG after CAR-T, the order completed 2026-02-18. Two days later patient-view said "Ig restart not recommended",
while an order drafted to begin by 2026-02-25 (its end and the 7-day continuity gap) was judged on the order screen as
continuing the course ("end the order on the stop date"): two answers the same day, as for a course on hold
(`test_on_hold_resume_continues`). The card now names the last day a new order continues the course, for an order that
ended, for doses recorded without an order (the course days past the last dose, then the gap), and for an order whose
doses went on past its end; the order hooks judge a draft on that day and the day after as the card says. A course of
doses is joined by a booked order as by any other: a start within the gap of its last day, not one day more.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import car_t, chart, draft, given, igg, order

RUNTIME = load_runtime(Settings())
BY = re.compile(r"^Ig resumed by (\d{4}-\d\d-\d\d) continues the course")


def _chart(*courses: dict) -> dict:
    return chart(car_t("2025-11-04"), igg("2025-11-25", 2.5), *courses)


ENDED = (order("J06BA01", "2025-12-01", status="completed", end="2026-02-18"),)
DOSES = (given("J06BA02", "2025-12-01", "2025-12-29", "2026-01-20"),)  # the course runs to 2026-02-24
DOSES_PAST_END = (order("J06BA01", "2025-12-01", status="completed", end="2026-02-18"),
                  given("J06BA01", "2025-12-01", "2026-01-05", "2026-02-10"))


def _card(bundle: dict, at: date, lang: str = "en") -> dict:
    [card] = replay(RUNTIME, bundle, at=at, lang=lang).cards
    assert card["source"]["topic"]["code"] == "no-start-without-infections", card["summary"]
    return card


def _order_code(bundle: dict, start: date, at: date) -> str:
    [card] = replay(RUNTIME, bundle, hook="order-select", drafts=[draft(start.isoformat())], at=at).cards
    return str(card["source"]["topic"]["code"])


@pytest.mark.parametrize("courses, at, lang, said, line", [
    (ENDED, date(2026, 2, 20), "en", "Ig resumed by 2026-02-25 continues the course",
     "Ig given since T0 ended 2026-02-18: a restart after 2026-02-25, general criteria"),
    (ENDED, date(2026, 2, 25), "da", "Ig genoptaget senest 2026-02-25 fortsætter forløbet",
     "Ig siden T0 sluttede 2026-02-18: genopstart efter 2026-02-25, generelle kriterier"),
    # doses recorded without an order: the course days past the last dose, then the gap
    (DOSES, date(2026, 2, 25), "en", "Ig resumed by 2026-03-03 continues the course",
     "Ig since T0, last dose 2026-01-20: a restart after 2026-03-03, general criteria"),
    (DOSES, date(2026, 2, 25), "da", "Ig genoptaget senest 2026-03-03 fortsætter forløbet",
     "Ig siden T0, sidste dosis 2026-01-20: genopstart efter 2026-03-03, generelle kriterier"),
])
def test_the_card_names_the_last_day_a_new_order_continues_the_course(courses: tuple[dict, ...], at: date, lang: str,
                                                                      said: str, line: str) -> None:
    card = _card(_chart(*courses), at, lang)
    assert card["summary"].startswith(said), card["summary"]  # read first, before the facts
    assert line in card["detail"], card["detail"]


def test_doses_past_an_orders_end_carry_it_the_course_days_past_the_last_dose() -> None:
    card = _card(_chart(*DOSES_PAST_END), date(2026, 2, 25))
    assert card["summary"].startswith("Ig resumed by 2026-03-17 continues the course"), card["summary"]
    assert "Ig since T0, last dose 2026-02-10: a restart after 2026-03-17" in card["detail"]


@pytest.mark.parametrize("courses, at", [(ENDED, date(2026, 2, 20)), (DOSES, date(2026, 2, 25)),
                                         (DOSES, date(2026, 3, 1)), (DOSES_PAST_END, date(2026, 3, 1))])
def test_the_order_screen_judges_a_new_order_as_the_card_says(courses: tuple[dict, ...], at: date) -> None:
    bundle = _chart(*courses)
    match = BY.search(_card(bundle, at)["summary"])
    assert match is not None
    last = date.fromisoformat(match.group(1))
    assert _order_code(bundle, last, at) == "order-meets-criteria"  # continues the course
    assert _order_code(bundle, last + timedelta(days=1), at) == "order-does-not-meet-criteria"  # a restart


def test_past_that_day_the_card_names_no_new_order() -> None:
    card = _card(_chart(*ENDED), date(2026, 2, 26))
    assert "resumed by" not in card["summary"] and "a restart after" not in card["detail"]


def test_an_order_stopped_on_a_day_not_told_names_no_day() -> None:
    bundle = _chart(order("J06BA01", "2025-12-01", status="stopped"))
    assert "resumed by" not in _card(bundle, date(2026, 2, 20))["summary"]


def test_no_day_is_named_from_the_stop_date_on() -> None:
    # ended 2026-04-28: the gap reaches 2026-05-05, past the stop date 2026-05-04; from then on a new order is a
    # restart after the stop attempt (§4.3). With the stop date due (14 days), the card invites no resumption of a
    # few days: the lapse is the stop attempt; the order screen still judges an order begun by the day before the
    # stop date as continuing the course, up to that date (the stop date itself: a restart)
    bundle = _chart(order("J06BA01", "2025-12-01", status="completed", end="2026-04-28"))
    at = date(2026, 5, 1)
    card = _card(bundle, at)
    assert card["summary"].startswith("Ig lapsed before the stop date 2026-05-04: let that be the stop"), card
    assert "resumed by" not in card["summary"] and "resume Ig" not in card["detail"]
    assert _order_code(bundle, date(2026, 5, 3), at) == "order-meets-criteria"
    assert _order_code(bundle, date(2026, 5, 4), at) == "order-does-not-meet-criteria"


def test_no_day_is_named_where_the_course_it_joins_met_no_criterion() -> None:
    # doses 2025-12-01, then from 2026-02-25 after an 86-day break: that course was itself a restart without
    # infections, so the order screen judges every order continuing it as not meeting the criteria; a day that
    # makes an order "the same course" would change nothing there
    bundle = _chart(given("J06BA02", "2025-12-01", "2026-02-25", "2026-03-25"))
    at = date(2026, 5, 1)
    assert "resumed by" not in _card(bundle, at)["summary"]
    for start in (date(2026, 5, 3), date(2026, 5, 4)):
        assert _order_code(bundle, start, at) == "order-does-not-meet-criteria"
