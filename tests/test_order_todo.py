"""What an Ig order card that fails the criteria tells the clinician to do, and the reasons it offers to sign anyway.

Every such card ended "Reconsider the order, or sign it with a reason", whatever had failed:
- a renewal of substitution begun in the window, drafted from its stop date on, never said that the stop attempt was
  what was due, which patient-view says the same day (§4.2);
- IgG 4-6 g/L in the window with two verified pneumonias: the general SID criteria apply (§4.1), which weigh
  infections, yet the card named none and offered "Severe bacterial infection not yet coded" beside two coded ones.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import car_t, chart, draft, igg, infection, order

RUNTIME = load_runtime(Settings())


def _card(bundle: dict[str, Any], at: str, start: str, lang: str = "en") -> dict[str, Any]:
    [card] = replay(RUNTIME, bundle, lang=lang, at=date.fromisoformat(at), hook="order-sign",
                    drafts=[draft(start)]).cards
    return card


def _reasons(card: dict[str, Any]) -> list[str]:
    return [r["code"] for r in card.get("overrideReasons") or ()]


def _todo(card: dict[str, Any]) -> str:
    return next(line for line in card["detail"].splitlines() if line.startswith(("**To do:**", "**Gør:**")))


# --- a renewal at the stop date -------------------------------------------------------------------------------------

ON_IVIG = (car_t("2025-11-18"), igg("2025-12-10", 2.8), order("J06BA02", "2025-12-15", text="Privigen"))  # stop 05-18


@pytest.mark.parametrize("at, start, lang, todo", [
    ("2026-05-10", "2026-05-20", "en", "**To do:** Stop attempt due 2026-05-18: do not renew; measure IgG off "
                                       "substitution. Or sign it with a reason."),
    ("2026-05-10", "2026-05-20", "da", "**Gør:** Forsøg seponering 2026-05-18: forny ikke; mål IgG uden "
                                       "substitution. Eller signér med en begrundelse."),
    ("2026-05-25", "2026-05-25", "en", "**To do:** Stop attempt overdue since 2026-05-18: do not renew; measure IgG "
                                       "off substitution. Or sign it with a reason."),
    ("2026-05-25", "2026-05-25", "da", "**Gør:** Seponeringsforsøget skulle være sket 2026-05-18: forny ikke; mål "
                                       "IgG uden substitution. Eller signér med en begrundelse.")])
def test_a_renewal_from_the_stop_date_on_says_the_stop_attempt_is_due(at: str, start: str, lang: str,
                                                                      todo: str) -> None:
    card = _card(chart(*ON_IVIG), at, start, lang)
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria"
    assert _todo(card) == todo, card["detail"]
    assert "community-infection-risk" in _reasons(card)  # the short extension §4.2 allows for a course running


def test_a_renewal_at_the_stop_date_with_unconfirmed_infections_that_could_decide_does_not_say_do_not_renew() -> None:
    bundle = chart(*ON_IVIG, infection("2026-01-10", "DJ159", confirmed=False),
                   infection("2026-03-01", "DJ159", confirmed=False))
    card = _card(bundle, "2026-05-10", "2026-05-20")
    assert "could change" in card["detail"], card["detail"]
    assert _todo(card) == "**To do:** Reconsider the order, or sign it with a reason.", card["detail"]


def test_a_renewal_at_the_stop_date_with_infections_to_weigh_does_not_say_do_not_renew() -> None:
    bundle = chart(*ON_IVIG, infection("2026-01-10", "DJ159"), infection("2026-03-01", "DJ159"))
    card = _card(bundle, "2026-05-10", "2026-05-20")
    assert _todo(card) == "**To do:** Reconsider the order, or sign it with a reason.", card["detail"]
    assert "infection-tendency" in _reasons(card)


# --- IgG 4 to < 6 g/L in the window ---------------------------------------------------------------------------------

def test_igg_4_to_6_in_the_window_names_the_infections_the_general_criteria_weigh() -> None:
    bundle = chart(car_t("2025-12-15"), igg("2026-02-20", 4.6), infection("2026-01-05", "DJ159", text="Pneumoni"),
                   infection("2026-02-10", "DJ159", text="Pneumoni"))
    card = _card(bundle, "2026-03-02", "2026-03-02")
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria"
    assert "the general SID criteria apply" in card["summary"]
    assert "- Recurrent bacterial infections 2026-01-05, 2026-02-10: pneumonia (2 episodes)" in card["detail"], \
        card["detail"]
    assert _reasons(card) == ["specialist-decision"]  # both infections are coded


def test_igg_4_to_6_in_the_window_without_infections_still_offers_one_not_yet_coded() -> None:
    card = _card(chart(car_t("2025-12-15"), igg("2026-02-20", 4.6)), "2026-03-02", "2026-03-02")
    assert _reasons(card) == ["infection-not-coded", "specialist-decision"]
    assert "Recurrent bacterial infections" not in card["detail"] and "Severe" not in card["detail"], card["detail"]


# --- a loading IVIG drafted with the SCIG that follows it ----------------------------------------------------------

IN_WINDOW = (car_t("2025-12-15"), igg("2026-02-20", 3.1))  # stop date 2026-06-15


def _session(scig_start: str, lang: str = "en") -> dict[str, Any]:
    ivig = order("J06BA02", "2026-03-02", status="draft", end="2026-03-29", text="Privigen", rid_="draft-ivig",
                 authored="2026-03-02")
    scig = order("J06BA01", scig_start, status="draft", text="Hizentra", rid_="draft-scig", authored="2026-03-02")
    cards = replay(RUNTIME, chart(*IN_WINDOW), lang=lang, at=date(2026, 3, 2), hook="order-sign",
                   drafts=[ivig, scig]).cards
    return next(c for c in cards if "2026-03-29" in c["detail"])


@pytest.mark.parametrize("lang, summary, todo", [
    ("en", "Ig order meets the start criterion: IgG 3.1 g/L < 4 g/L (2026-02-20) after CAR-T 2025-12-15; then SCIG, "
           "stop 2026-06-15",
     "**To do:** SCIG, drafted with it from 2026-03-30, carries the course on: let that order end on the stop date "
     "2026-06-15."),
    ("da", "Ig-ordinationen opfylder startkriteriet: IgG 3,1 g/L < 4 g/L (2026-02-20) efter CAR-T 2025-12-15; derefter "
           "SCIG, seponering 2026-06-15",
     "**Gør:** SCIG, i samme udkast fra 2026-03-30, fører forløbet videre: lad den ordination slutte på "
     "seponeringsdatoen 2026-06-15.")])
def test_a_loading_ivig_followed_by_scig_drafted_with_it_is_one_course_to_the_stop_date(lang: str, summary: str,
                                                                                         todo: str) -> None:
    """IVIG 2026-03-02 to 03-29 and SCIG from 03-30 drafted together: the IVIG card said to attempt the stop, and
    measure IgG, when the loading phase ended, while the SCIG card beside it said to end on 2026-06-15."""
    card = _session("2026-03-30", lang)
    assert card["source"]["topic"]["code"] == "order-meets-criteria"
    assert card["summary"] == summary, card["summary"]
    assert _todo(card).startswith(todo), card["detail"]
    assert "or stop when it ends" not in card["detail"]


def test_scig_drafted_to_begin_after_the_continuity_gap_leaves_the_ivig_ending_as_it_does() -> None:
    card = _session("2026-04-06")  # 8 days after the IVIG's end: a new course, not this one carried on
    assert card["summary"].endswith("ends 2026-03-29 (stop date 2026-06-15)"), card["summary"]
    assert "Renew it to 2026-06-15, or stop when it ends (2026-03-29)" in card["detail"], card["detail"]


# --- an IgG for a draft that starts further ahead than an IgG stays usable -----------------------------------------

@pytest.mark.parametrize("lang, todo, label", [
    ("en", "**To do:** Measure IgG from 2026-04-02 (90 days before the start; an IgG order so dated is offered). "
           "Reconsider the order, or sign it with a reason.", "Order serum IgG, drawn between 2026-04-02 and 2026-07-01"),
    ("da", "**Gør:** Mål IgG fra 2026-04-02 (90 dage før start; en IgG-bestilling til det tidsrum tilbydes). Genovervej "
           "ordinationen, eller signér med en begrundelse.", "Bestil IgG i serum, tages mellem 2026-04-02 og 2026-07-01")])
def test_a_draft_starting_after_the_stop_date_offers_an_igg_order_dated_from_when_it_counts(lang: str, todo: str,
                                                                                             label: str) -> None:
    """IVIG drafted on 2026-03-02 to start 2026-07-01, after the stop date, with recurrent pneumonias: judged at its
    start, where an IgG must be at most 90 days old. The card offered an undated IgG order, and again with an IgG
    taken that day: one drawn now is 121 days old on the start day. The order offered is dated instead."""
    bundle = chart(car_t("2025-12-15"), igg("2026-03-02", 3.0), infection("2026-01-05", "DJ159"),
                   infection("2026-02-10", "DJ159"))
    card = _card(bundle, "2026-03-02", "2026-07-01", lang)
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria"
    assert _todo(card) == todo, card["detail"]
    [suggestion] = card["suggestions"]
    assert suggestion["label"] == label
    [action] = suggestion["actions"]
    assert action["resource"]["resourceType"] == "ServiceRequest"
    assert action["resource"]["occurrencePeriod"] == {"start": "2026-04-02", "end": "2026-07-01"}
    assert "2026-04-02" in action["description"] and "2026-07-01" in action["description"]
    sooner = _card(bundle, "2026-05-20", "2026-07-01")  # 42 days ahead: an IgG now counts at the start
    [plain] = sooner["suggestions"]
    assert plain["label"] == "Order serum IgG", sooner["detail"]
    assert "occurrencePeriod" not in plain["actions"][0]["resource"]


def test_an_igg_on_its_way_from_too_early_does_not_stand_in_for_the_dated_order() -> None:
    """The same draft, with an IgG the laboratory registered on 2026-03-01 and has not resulted: drawn then, it is
    122 days old at the start, so it cannot decide the order either. The card withheld the IgG order as a second
    one ("awaits its result: no second order"); it offers the dated order instead."""
    bundle = chart(car_t("2025-12-15"), igg("2026-02-20", 3.0), igg("2026-03-01", None, status="registered"),
                   infection("2026-01-05", "DJ159"), infection("2026-02-10", "DJ159"))
    card = _card(bundle, "2026-03-02", "2026-07-01")
    [suggestion] = card["suggestions"]
    assert suggestion["label"] == "Order serum IgG, drawn between 2026-04-02 and 2026-07-01", card["detail"]
    assert "awaits its result" not in card["detail"]
