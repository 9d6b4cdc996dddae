"""A course under the general criteria because it began after the window, or as a restart, that no severe or
recurrent verified bacterial infection supported (§4.3: a restart, or a start later than six months after the therapy,
only with IgG < 4 g/L and such infections).

Before, such a course got only "follows the general SID criteria: next stop review in six months", an information
card: a special course whose order was rewritten ten days after the stop date, doses going on every four weeks, read
as a reassuring stop review six months on. Its card is now a warning (variant `criteria-not-met`): it names the course
before it and the gap ("restarted after the window, after a course that ended 2025-09-01, 10 days earlier"), says
the general start criteria were not met since the first day of the look-back, and offers to put the order on hold.
A stop review due on such a course, and an order renewing it, carry the same as a caveat (`general-start-not-met`). A
course the infections did support, or one under the general criteria for another reason (substitution before T0),
says none of it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.tools.replay import replay

from .test_acceptance_stop import RUNTIME, bundle, car_t, ig_doses, ig_order, igg, infection

CART = car_t("2025-03-01")  # stop date 2025-09-01
LOW = igg("igg-low", "2025-03-25", 2.8)
FIRST = [ig_order("ivig-1", "2025-04-01", status="completed", end="2025-09-01"),
         *ig_doses("dose-1", "2025-04-03", 28, "2025-08-21")]
AT = date(2025, 10, 5)
CAVEAT = {"en": "No severe/recurrent verified bacterial infection since {since}: this course did not meet the general "
                "start criteria; weigh stopping it.",
          "da": "Ingen svær/tilbagevendende verificeret bakteriel infektion siden {since}: forløbet opfyldte ikke de "
                "generelle opstartskriterier; overvej at seponere det."}
NOT_MET = {"en": "began without the general criteria (no severe/recurrent bacterial infection): weigh a stop",
           "da": "startet uden de generelle kriterier (ingen svær/tilbagevendende bakteriel infektion): overvej pause"}
NONE_SINCE = {"en": "a start needs IgG below 4 g/L with severe or recurrent verified bacterial infections, and "
                    "none is recorded since {since}.",
              "da": "opstart kræver IgG under 4 g/L med svære eller tilbagevendende verificerede bakterielle "
                    "infektioner, og ingen er registreret siden {since}."}
RESTARTED = {"en": "Because substitution was restarted after the window, after a course that ended 2025-09-01, "
                   "10 days earlier, the general",
             "da": "Da substitution blev genopstartet efter perioden, efter et forløb, der sluttede 2025-09-01, "
                   "10 dage før, gælder de generelle"}
HOLD = {"en": "Put the immunoglobulin order on hold", "da": "Sæt immunglobulinordinationen i bero"}


def _card(chart: dict[str, Any], lang: str = "en", at: date = AT, hook: str = "patient-view",
          drafts: list[dict[str, Any]] | None = None) -> tuple[str, dict[str, Any], str]:
    answer = replay(RUNTIME, chart, lang=lang, hook=hook, drafts=drafts, at=at)
    assert len(answer.advice) == 1 and len(answer.cards) == 1, [a.code for a in answer.advice]
    card = answer.cards[0]
    return answer.advice[0].code, card, f"{card['summary']}\n{card.get('detail', '')}"


def _rewritten(*more: dict[str, Any] | list[dict[str, Any]]) -> dict[str, Any]:
    """The special course's order ended on the stop date; a new order and dose 10 days later."""
    return bundle(CART, LOW, *FIRST, ig_order("ivig-2", "2025-09-11"), *ig_doses("dose-2", "2025-09-11", 28,
                                                                                 "2025-09-11"), *more)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_order_rewritten_after_the_stop_date_with_no_infection_is_a_stop_to_weigh(lang: str) -> None:
    code, card, text = _card(_rewritten(), lang)
    assert code == "general-stop-review" and card["indicator"] == "warning"
    assert card["summary"].endswith(NOT_MET[lang]) and "2025-09-11" in card["summary"]
    assert len(card["summary"]) <= 140
    assert RESTARTED[lang] in text
    assert NONE_SINCE[lang].format(since="2024-09-12") in text  # 12 months back from the restart, the day after
    assert [s["label"] for s in card["suggestions"]] == [HOLD[lang]]
    assert {a["resource"]["id"] for s in card["suggestions"] for a in s["actions"]} == {"ivig-2"}


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_restart_the_infections_supported_says_neither(lang: str) -> None:
    """Two verified bacterial pneumonias 2025-09-03 and 2025-09-25 (recurrent): the restart met the criteria."""
    chart = _rewritten(infection("pn-1", "2025-09-03", code="DJ159"), infection("pn-2", "2025-09-25", code="DJ159"))
    code, card, text = _card(chart, lang)
    assert code == "general-stop-review" and card["indicator"] == "info"
    assert NOT_MET[lang] not in text and CAVEAT[lang].split("{")[0] not in text
    assert RESTARTED[lang] in text  # the restart is still named, with its gap


def test_a_stop_review_due_on_such_a_course_carries_the_caveat() -> None:
    """The first review of the restart (2025-09-11 + 6 months) is due: the due card, with the criteria not met."""
    code, card, text = _card(_rewritten(), at=date(2026, 3, 15))
    assert code == "general-stop-review" and card["indicator"] == "warning"
    assert "stop attempt due since 2026-03-11" in card["summary"]
    assert CAVEAT["en"].format(since="2024-09-12") in text


def test_a_severe_infection_in_the_year_before_the_restart_counts() -> None:
    """A severe verified sepsis 2025-06-10, inside the first course: the restart had it within the look-back."""
    code, card, text = _card(_rewritten(infection("sepsis", "2025-06-10", severe=True)))
    assert code == "general-stop-review" and card["indicator"] == "info" and NOT_MET["en"] not in text


def test_a_first_course_begun_after_the_window_with_no_infection_is_named_too() -> None:
    """No course since T0 before it: the reason stays "began after the window", and the caveat is the same."""
    chart = bundle(CART, LOW, ig_order("ivig-late", "2025-09-20"), *ig_doses("late", "2025-09-20", 28, "2025-09-20"))
    code, _, text = _card(chart)
    assert code == "general-stop-review"
    assert "Because substitution began after the window, the general criteria apply" in text
    assert NONE_SINCE["en"].format(since="2024-09-21") in text


def test_substitution_begun_before_t0_is_not_held_to_the_start_criteria() -> None:
    """General criteria because Ig began before the CAR-T: the course was never a restart or a late start."""
    chart = bundle(CART, LOW, ig_order("ivig-before", "2024-10-01"), *ig_doses("before", "2024-10-01", 28,
                                                                               "2025-09-20"))
    code, card, text = _card(chart)
    assert code == "general-stop-review" and card["indicator"] == "info"
    assert NOT_MET["en"] not in text and CAVEAT["en"].split("{")[0] not in text


def test_a_renewal_drafted_for_such_a_course_does_not_meet_the_criteria() -> None:
    """order-sign the same day: the renewal warns as patient-view does (§6: an order that does not meet the criteria
    is a warning), not "meets the criteria" beside a note that the course did not."""
    draft = {**ig_order("draft-1", "2025-10-05", status="draft"), "authoredOn": "2025-10-05"}
    code, card, text = _card(_rewritten(), hook="order-sign", drafts=[draft])
    assert code == "order-does-not-meet-criteria" and card["indicator"] == "warning"
    assert "no severe/recurrent verified bacterial infection" in card["summary"]
    assert CAVEAT["en"].format(since="2024-09-12") in text


def test_a_course_the_infections_began_renewed_days_after_its_order_ended_is_a_routine_renewal() -> None:
    """A severe sepsis 2025-03-05, IVIG from 2025-03-20 because of it (general criteria from the start) for a year:
    the order ends 2026-04-01, a renewal from 2026-04-10, doses every 28 days throughout. The sepsis has left the
    renewal's look-back (from 2025-04-11), yet the renewal carries a course the infections began: no stop to urge."""
    chart = bundle(CART, LOW, infection("sepsis", "2025-03-05", severe=True),
                   ig_order("ivig-1", "2025-03-20", status="completed", end="2026-04-01"),
                   *ig_doses("dose-1", "2025-03-20", 28, "2026-03-19"), ig_order("ivig-2", "2026-04-10"),
                   *ig_doses("dose-2", "2026-04-16", 28, "2026-04-16"))
    code, card, text = _card(chart, at=date(2026, 5, 5))
    assert code == "general-stop-review" and card["indicator"] == "info"
    assert NOT_MET["en"] not in text and CAVEAT["en"].split("{")[0] not in text


def test_a_special_course_switched_to_scig_days_after_its_stop_date_is_a_stop_to_weigh() -> None:
    """The special course's IVIG order ended on the stop date; SCIG from 19 days later, no infection: the stop was
    not made, whatever the route."""
    chart = bundle(CART, LOW, *FIRST, ig_order("scig-1", "2025-09-20", atc="J06BA01"))
    code, card, text = _card(chart, at=date(2025, 10, 1))
    assert code == "general-stop-review" and card["indicator"] == "warning"
    assert "restarted after the window, after a course that ended 2025-09-01, 19 days earlier" in text


def test_a_course_begun_in_the_window_within_the_course_days_of_the_last_is_no_stop_to_urge() -> None:
    """IVIG ended on paper 2025-06-01, SCIG from 2025-06-20 (19 days, more than the continuity gap): a restart by the
    rules (general stop criteria), but within the course days of the last Ig it may be a switch of route: the card
    stays the stop review it was, with no warning and no caveat."""
    chart = bundle(CART, LOW, ig_order("ivig-1", "2025-04-01", status="completed", end="2025-06-01"),
                   ig_order("scig-1", "2025-06-20", atc="J06BA01"))
    code, card, text = _card(chart, at=date(2025, 7, 1))
    assert code == "general-stop-review" and card["indicator"] == "info"
    assert "it restarts a course that ended 2025-06-01, 19 days earlier" in text
    assert NOT_MET["en"] not in text and CAVEAT["en"].split("{")[0] not in text


def test_a_restart_in_the_window_after_a_real_pause_is_a_stop_to_weigh() -> None:
    """The same SCIG from 2025-07-20, 49 days after the IVIG ended: a pause longer than the course days, then a
    restart with no infection (§4.3)."""
    chart = bundle(CART, LOW, ig_order("ivig-1", "2025-04-01", status="completed", end="2025-06-01"),
                   ig_order("scig-1", "2025-07-20", atc="J06BA01"))
    code, card, text = _card(chart, at=date(2025, 8, 1))
    assert code == "general-stop-review" and card["indicator"] == "warning"
    assert "it restarts a course that ended 2025-06-01, 49 days earlier" in text
    assert NONE_SINCE["en"].format(since="2024-07-21") in text


@pytest.mark.parametrize("resumed, at, warned", [("2025-04-01", date(2025, 5, 1), False),
                                                 ("2025-10-01", date(2025, 10, 20), True)])
def test_ig_paused_for_the_infusion_resumed_only_after_the_window_is_a_restart(resumed: str, at: date,
                                                                                warned: bool) -> None:
    """IVIG since 2024, ended 2025-02-15 for the CAR-T of 2025-03-01. Resumed inside the window, the course before T0
    goes on under the general stop criteria (§4.2). Resumed only after the window, seven months on, with no
    infection, it is a restart no criterion supported (§4.3)."""
    chart = bundle(CART, LOW, ig_order("ivig-0", "2024-01-10", status="completed", end="2025-02-15"),
                   ig_order("ivig-2", resumed))
    code, card, text = _card(chart, at=at)
    assert code == "general-stop-review"
    assert (card["indicator"] == "warning") is warned and (NOT_MET["en"] in text) is warned
