"""A card against a restart says when a course on hold can still be resumed as the same course.

IVIG after CAR-T, last dose 2026-01-26, the order put on hold around an admission. patient-view said "Ig restart not
recommended", while an order resuming it by 2026-03-09 (its last dose, the 35 course days and the 7-day continuity
gap) was judged on the order screen as continuing the course ("end the order on the stop date 2026-05-04"): two
answers the same day. The card now says that a resumption by that day continues the course, no restart; the order
hooks judge a resumption on that day and the day after as the card says.
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import car_t, chart, draft, given, igg, order

RUNTIME = load_runtime(Settings())


def _chart(stop_attempt_near: bool = False) -> dict:
    doses = ("2025-12-01", "2025-12-29", "2026-01-26") + (("2026-03-30",) if stop_attempt_near else ())
    return chart(car_t("2025-11-04"), igg("2025-11-25", 2.5), order("J06BA02", "2025-12-01", status="on-hold"),
                 given("J06BA02", *doses))


def _card(at: date, lang: str = "en", bundle: dict | None = None) -> dict:
    [card] = replay(RUNTIME, bundle or _chart(), at=at, lang=lang).cards
    assert card["source"]["topic"]["code"] == "no-start-without-infections", card["summary"]
    return card


# what the card says in each language: its summary begins with the day, its window line says the course is on hold
ON_HOLD_SAID = {"en": ("Ig resumed by 2026-03-09 continues the course",
                       "Ig on hold since its last dose 2026-01-26: a restart after 2026-03-09, general criteria"),
                "da": ("Ig genoptaget senest 2026-03-09 fortsætter forløbet",
                       "Ig i bero siden sidste dosis 2026-01-26: genopstart efter 2026-03-09, generelle kriterier")}


@pytest.mark.parametrize("at", [date(2026, 2, 12), date(2026, 3, 9)])
def test_a_course_on_hold_names_the_last_day_it_resumes_as_the_same_course(at: date) -> None:
    for lang, (said, line) in ON_HOLD_SAID.items():
        card = _card(at, lang)
        assert card["summary"].startswith(said), card["summary"]
        assert line in card["detail"], card["detail"]


def test_the_day_after_a_resumption_is_a_restart_and_the_card_says_nothing_of_it() -> None:
    assert "on hold" not in _card(date(2026, 3, 10))["detail"]


@pytest.mark.parametrize("start, code", [("2026-03-09", "order-meets-criteria"),
                                         ("2026-03-10", "order-does-not-meet-criteria")])
def test_the_order_screen_judges_a_resumption_as_the_card_says(start: str, code: str) -> None:
    [card] = replay(RUNTIME, _chart(), hook="order-select", drafts=[draft(start)], at=date(2026, 3, 2)).cards
    assert card["source"]["topic"]["code"] == code, card["summary"]


def test_no_resumption_is_offered_past_the_stop_date() -> None:
    # last dose 2026-03-30: 42 days reach past the stop date 2026-05-04; from then on a new order is a restart after
    # the stop attempt (§4.3), so the last day named is the day before the stop date ...
    card = _card(date(2026, 4, 19), bundle=_chart(stop_attempt_near=True))
    assert card["summary"].startswith("Ig resumed by 2026-05-03 continues the course"), card["summary"]
    # ... and from the day the stop date is due (14 days before it) no resumption is invited: the lapse is the stop
    card = _card(date(2026, 4, 20), bundle=_chart(stop_attempt_near=True))
    assert card["summary"].startswith("Ig lapsed before the stop date 2026-05-04"), card["summary"]


def test_no_resumption_is_named_where_the_course_on_hold_is_not_the_last() -> None:
    # a SCIG order begun after the last IVIG dose and ended 2026-02-18: a new order joins that course (its end and
    # the continuity gap), not the paused one's last dose, so the card names no day from the paused one
    bundle = chart(car_t("2025-11-04"), igg("2025-11-25", 2.5), order("J06BA02", "2025-12-01", status="on-hold"),
                   given("J06BA02", "2025-12-01", "2026-01-10"),
                   order("J06BA01", "2026-01-20", status="completed", end="2026-02-18"))
    assert "on hold" not in _card(date(2026, 2, 20), bundle=bundle)["detail"]
