"""A course whose order lapsed between doses is not headed "restart not recommended" while a new order continues it.

SCIG after CAR-T, the order completed 2026-02-18. Until 2026-02-25 a new order continues the course: the order screen
judges such a draft as a continuation held to the stop date, and the card against a restart said so in a note. Its
summary, the line a clinician reads first, said the opposite ("Ig restart not recommended"), and so did its fact line
("a restart (Ig given since T0 ended 2026-02-18)") and its to-do ("do not start on IgG alone"). While a new order still
continues the course, the summary leads with that day, the fact line says from when a new order is a restart, and the
to-do says what keeps the course going; from the day after, the card is the restart card it was.
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cds_service.tools.timeline import build_timeline, patient_data, reasons_text

from .reading_charts import car_t, chart, draft, given, igg, order

RUNTIME = load_runtime(Settings())
ENDED = order("J06BA01", "2025-12-01", status="completed", end="2026-02-18")


def _chart(*courses: dict) -> dict:
    return chart(car_t("2025-11-04"), igg("2025-11-25", 2.5), *courses)


def _card(bundle: dict, at: date, lang: str = "en") -> dict:
    [card] = replay(RUNTIME, bundle, at=at, lang=lang).cards
    assert card["source"]["topic"]["code"] == "no-start-without-infections", card["summary"]
    return card


@pytest.mark.parametrize("lang, summary, fact, todo", [
    ("en", "Ig resumed by 2026-02-25 continues the course; after that, no restart without severe/recurrent verified "
     "bacterial infection",
     "Ig given since T0 ended 2026-02-18: a restart after 2026-02-25, general criteria",
     "To continue the course, resume Ig by 2026-02-25; after that, do not restart on IgG alone."),
    ("da", "Ig genoptaget senest 2026-02-25 fortsætter forløbet; derefter ingen genopstart uden svær/tilbagevendende "
     "verificeret bakteriel infektion",
     "Ig siden T0 sluttede 2026-02-18: genopstart efter 2026-02-25, generelle kriterier",
     "Skal forløbet fortsætte, så genoptag Ig senest 2026-02-25; derefter genopstartes ikke på IgG alene."),
])
def test_while_a_new_order_continues_the_course_the_card_leads_with_that_day(lang: str, summary: str, fact: str,
                                                                           todo: str) -> None:
    for at in (date(2026, 2, 19), date(2026, 2, 25)):
        card = _card(_chart(ENDED), at, lang)
        assert card["summary"].startswith(summary), card["summary"]
        assert len(card["summary"]) < 140
        assert fact in card["detail"]
        assert todo in card["detail"]
        assert "a restart (Ig given since T0" not in card["detail"] and "genopstart (Ig siden T0" not in card["detail"]


def test_the_order_screen_agrees_on_the_day_named_and_the_day_after() -> None:
    at = date(2026, 2, 20)
    codes = {}
    for start in ("2026-02-25", "2026-02-26"):
        [card] = replay(RUNTIME, _chart(ENDED), hook="order-select", drafts=[draft(start)], at=at).cards
        codes[start] = card["source"]["topic"]["code"]
    assert codes == {"2026-02-25": "order-meets-criteria", "2026-02-26": "order-does-not-meet-criteria"}


def test_from_the_day_after_it_is_the_restart_card_it_was() -> None:
    card = _card(_chart(ENDED), date(2026, 2, 26))
    assert "restart not recommended" in card["summary"] and not card["summary"].startswith("Ig resumed by")
    assert "a restart (Ig given since T0 ended 2026-02-18): general criteria" in card["detail"]


def test_doses_without_an_order_name_their_last_dose_on_the_fact_line() -> None:
    doses = given("J06BA02", "2025-12-01", "2025-12-29", "2026-01-20")  # the course runs to 2026-02-24
    card = _card(_chart(doses), date(2026, 2, 26))
    assert card["summary"].startswith("Ig resumed by 2026-03-03 continues the course"), card["summary"]
    assert "Ig since T0, last dose 2026-01-20: a restart after 2026-03-03, general criteria" in card["detail"]


def test_the_timeline_says_a_therapy_order_booked_ahead_is_booked_not_written_after_its_start() -> None:
    """A teclistamab order written 2025-07-07 to begin 2025-07-14 (it moves the stop of Ig begun for the CAR-T from the
    day it is written) was listed as "therapy order written (its start earlier)", the reason of an order written
    after its start."""
    teclistamab = order("L01FX24", "2025-07-14", authored="2025-07-07")
    bundle = chart(car_t("2025-03-10"), igg("2025-03-24", 3.0), order("J06BA02", "2025-03-31"), teclistamab)
    timeline = build_timeline(patient_data(bundle, RUNTIME), RUNTIME, start=date(2025, 7, 1), end=date(2025, 7, 20),
                              today=date(2025, 7, 20))
    assert "therapy order booked ahead (its start later)" in reasons_text(timeline, date(2025, 7, 7), "en")
    assert "behandlingsordination bestilt på forhånd (start senere)" in reasons_text(timeline, date(2025, 7, 7), "da")
    assert "its start earlier" not in reasons_text(timeline, date(2025, 7, 7), "en")


def test_a_card_with_an_igg_taken_on_ig_keeps_that_note_in_both_languages() -> None:
    """The IgG shown was taken on Ig (§3.4: every card using such a value says so): the longer lines of the first
    version of this card pushed that note out ("1 note not shown here"), and the summary no longer named the IgG."""
    bundle = chart(car_t("2025-11-04"), igg("2026-02-10", 3.2), ENDED)
    for lang, words in (("en", "This IgG was taken on Ig or in its washout"),
                        ("da", "Denne IgG er taget under Ig eller i udvaskningen")):
        card = _card(bundle, date(2026, 2, 20), lang)
        assert card["summary"].startswith(("Ig resumed by 2026-02-25", "Ig genoptaget senest 2026-02-25"))
        assert words in card["detail"], card["detail"]
        assert "not shown here" not in card["detail"] and "ikke vist her" not in card["detail"]


def test_a_tuberculosis_code_before_a_pneumonia_code_does_not_hide_the_pneumonia() -> None:
    """One Condition coded [DA150, DJ189]: the value sets read a concept by its first matching coding, so the
    tuberculosis code, now a kind named and not counted, hid the pneumonia a positive blood culture proves."""
    from .reading_charts import culture, infection

    def episode(onset: str) -> dict:
        found = infection(onset, "DA150")
        found["code"]["coding"].append({"system": found["code"]["coding"][0]["system"], "code": "DJ189"})
        return found

    bundle = chart(car_t("2025-06-02"), igg("2026-05-12", 3.0), episode("2026-02-01"), episode("2026-04-15"),
                   culture("2026-02-02", "Streptococcus pneumoniae påvist"),
                   culture("2026-04-16", "Streptococcus pneumoniae påvist"))
    [card] = replay(RUNTIME, bundle, at=date(2026, 5, 20)).cards
    assert card["source"]["topic"]["code"] == "start-meets-general-criteria", card["summary"]


@pytest.mark.parametrize("lang, line, words", [
    ("en", "Ig on hold since its last dose 2026-01-20: a restart after 2026-03-03, general criteria",
     "This IgG was taken on Ig or in its washout"),
    ("da", "Ig i bero siden sidste dosis 2026-01-20: genopstart efter 2026-03-03, generelle kriterier",
     "Denne IgG er taget under Ig eller i udvaskningen"),
])
def test_a_course_on_hold_says_so_on_its_window_line_and_keeps_the_note_on_its_igg(lang: str, line: str,
                                                                                  words: str) -> None:
    """An order on hold, last dose 2026-01-20, an IgG taken on Ig a week later: the card said the day four times (its
    summary, a note of its own, the window line, the to-do) and had no room left for the note an IgG taken on Ig must
    carry (§3.4). The window line says the course is on hold; no note repeats the day."""
    bundle = chart(car_t("2025-11-04"), igg("2025-11-25", 2.5), order("J06BA02", "2025-12-01", status="on-hold"),
                   given("J06BA02", "2025-12-01", "2025-12-29", "2026-01-20"), igg("2026-01-27", 3.4))
    card = _card(bundle, date(2026, 3, 2), lang)
    assert line in card["detail"] and words in card["detail"], card["detail"]
    assert "not shown here" not in card["detail"] and "ikke vist her" not in card["detail"]


def test_the_window_line_names_the_later_course_not_an_earlier_ones_last_dose() -> None:
    """IVIG doses to 2026-01-19, then SCIG ordered 2026-01-25 to 2026-02-10: the IVIG doses reach furthest (the day is
    2026-02-23), but "Ig since T0, last dose 2026-01-19" hid the SCIG given after it."""
    bundle = _chart(order("J06BA02", "2025-12-01", status="completed", end="2026-01-20"),
                    given("J06BA02", "2025-12-01", "2025-12-29", "2026-01-19"),
                    order("J06BA01", "2026-01-25", status="completed", end="2026-02-10"))
    card = _card(bundle, date(2026, 2, 23))
    assert card["summary"].startswith("Ig resumed by 2026-02-23"), card["summary"]
    assert "Ig given since T0 ended 2026-02-10: a restart after 2026-02-23, general criteria" in card["detail"]


# The order ended 2026-04-15, 19 days before the stop date 2026-05-04: a new order begun by 2026-04-22 continues the
# course. From 2026-04-20 the stop date is due (14 days): a course resumed then would run days to its stop, so the card
# invites no resumption; the lapse is the stop attempt.
ENDED_NEAR_STOP = order("J06BA01", "2025-12-01", status="completed", end="2026-04-15")


@pytest.mark.parametrize("lang, summary, todo", [
    ("en", "Ig lapsed before the stop date 2026-05-04: let that be the stop; no restart without severe/recurrent "
     "verified bacterial infection",
     "Leave Ig off: the lapse is the stop attempt."),
    ("da", "Ig ophørt før seponeringsdato 2026-05-04: regn det som seponering; genopstart kun ved "
     "svær/tilbagevendende verificeret bakteriel infektion",
     "Lad Ig være: ophøret er seponeringsforsøget."),
])
def test_with_the_stop_date_due_the_card_invites_no_resumption(lang: str, summary: str, todo: str) -> None:
    """a48, r46: on the eve of the stop date the card said "Ig resumed by <the day before> continues the course"."""
    before = _card(_chart(ENDED_NEAR_STOP), date(2026, 4, 19), lang)
    assert before["summary"].startswith("Ig resumed by 2026-04-22" if lang == "en" else "Ig genoptaget senest 2026-04-22")
    for at in (date(2026, 4, 20), date(2026, 4, 22)):
        card = _card(_chart(ENDED_NEAR_STOP), at, lang)
        assert card["summary"] == summary and len(summary) < 140
        assert todo in card["detail"], card["detail"]
        assert "2026-04-22" not in card["summary"]
        assert not card.get("suggestions"), card.get("suggestions")
    after = _card(_chart(ENDED_NEAR_STOP), date(2026, 4, 23), lang)
    assert after["summary"] != summary and "2026-04-22" not in after["summary"]


def test_with_the_stop_date_due_the_order_screen_still_judges_a_new_order_a_continuation_to_it() -> None:
    at = date(2026, 4, 21)
    codes = {}
    for start in ("2026-04-22", "2026-04-23"):
        [card] = replay(RUNTIME, _chart(ENDED_NEAR_STOP), hook="order-select", drafts=[draft(start)], at=at).cards
        codes[start] = (card["source"]["topic"]["code"], "2026-05-04" in card["summary"])
    # begun by 2026-04-22 it continues the course up to the stop date the summary names; after, a restart
    assert codes == {"2026-04-22": ("order-meets-criteria", True), "2026-04-23": ("order-does-not-meet-criteria", False)}


def test_the_timeline_evaluates_the_day_the_stop_date_falls_due() -> None:
    timeline = build_timeline(patient_data(_chart(ENDED_NEAR_STOP), RUNTIME), RUNTIME, start=date(2026, 4, 10),
                              end=date(2026, 4, 30), today=date(2026, 4, 30))
    assert reasons_text(timeline, date(2026, 4, 20), "en"), "2026-04-20 is not evaluated"


def test_an_order_on_hold_with_the_stop_date_due_is_read_from_its_start() -> None:
    """An order on hold runs on no day FHIR dates; its course began in the window without infections: held to the stop
    date like an order that ended."""
    on_hold = chart(car_t("2025-11-04"), igg("2025-11-25", 2.5), order("J06BA02", "2025-12-01", status="on-hold"),
                    given("J06BA02", "2025-12-01", "2025-12-29", "2026-01-26", "2026-02-23", "2026-03-23"))
    assert _card(on_hold, date(2026, 4, 19))["summary"].startswith("Ig resumed by")
    assert _card(on_hold, date(2026, 4, 20))["summary"].startswith("Ig lapsed before the stop date 2026-05-04")


@pytest.mark.parametrize("why, bundle", [
    # Ig before the CAR-T, paused for the infusion: the general stop criteria apply (§4.2), never the stop date
    ("paused for the infusion", chart(car_t("2025-11-04"), igg("2025-11-20", 2.5),
                                      order("J06BA02", "2025-06-01", status="completed", end="2025-10-25"),
                                      ENDED_NEAR_STOP)),
    # teclistamab booked to begin before the stop date: once begun, the general stop criteria apply
    ("a bsAb booked before the stop date", chart(car_t("2025-11-04"), igg("2025-11-20", 2.5), ENDED_NEAR_STOP,
                                                  order("L01FX24", "2026-04-28", authored="2026-04-15"))),
])
def test_a_course_not_held_to_the_stop_date_is_not_told_the_lapse_is_its_stop(why: str, bundle: dict) -> None:
    """r47: a course under the general stop criteria was told "let that be the stop ... a new order would run only to
    2026-05-04", while the order screen the same day judged a new order a continuation under the general criteria."""
    card = _card(bundle, date(2026, 4, 21))
    assert card["summary"].startswith("Ig resumed by 2026-04-22 continues the course"), (why, card["summary"])
    assert "2026-05-04" not in card["summary"]


def test_the_lapse_asks_for_an_igg_from_the_day_one_counts() -> None:
    card = _card(_chart(ENDED_NEAR_STOP), date(2026, 4, 21))
    assert "Measure IgG off substitution from 2026-05-14" in card["detail"], card["detail"]


@pytest.mark.parametrize("lang, said", [("en", "This IgG was taken on Ig or in its washout"),
                                        ("da", "Denne IgG er taget under Ig eller i udvaskningen")])
def test_the_lapse_card_keeps_the_note_on_an_igg_taken_in_the_washout(lang: str, said: str) -> None:
    """r48: the lapse card's longer to-do pushed out the note the specification requires on an IgG taken on Ig or in
    its washout (Danish, beside one data note: a pneumonia not counted)."""
    from .reading_charts import infection
    bundle = chart(car_t("2025-11-04"), igg("2025-11-25", 2.5), ENDED_NEAR_STOP, igg("2026-04-21", 3.4),
                   infection("2026-03-01", "DJ189"))
    card = _card(bundle, date(2026, 4, 21), lang)
    assert card["summary"].startswith("Ig lapsed" if lang == "en" else "Ig ophørt"), card["summary"]
    assert said in card["detail"], card["detail"]
