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


@pytest.mark.parametrize("lang, todo", [
    ("en", "**To do:** Stop attempt due 2026-05-18: do not renew; measure IgG off substitution. Or sign it with a "
           "reason."),
    ("da", "**Gør:** Seponeringsforsøg 2026-05-18: forny ikke; mål IgG uden substitution. Eller signér med en "
           "begrundelse.")])
@pytest.mark.parametrize("at, start", [("2026-05-10", "2026-05-20"), ("2026-05-25", "2026-05-25")],
                         ids=["starts-after-stop-date", "past-stop-date"])
def test_a_renewal_from_the_stop_date_on_says_the_stop_attempt_is_due(at: str, start: str, lang: str,
                                                                      todo: str) -> None:
    card = _card(chart(*ON_IVIG), at, start, lang)
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria"
    assert _todo(card) == todo, card["detail"]
    assert "community-infection-risk" in _reasons(card)  # the short extension §4.2 allows for a course running


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
