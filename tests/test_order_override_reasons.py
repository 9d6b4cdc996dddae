"""Override reasons on a draft Ig order that does not meet the criteria: only those that could be true of it.

"Severe bacterial infection not yet coded" was offered on every such order: with IgG 7.5 g/L (no infection changes
that), or beside a sepsis already coded. "Short extension: community risk" was offered on a restart inside the window,
which extends nothing past the stop date (§4.2).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cds_service.tools.replay import replay

import pytest

from .test_acceptance_stop import ATC, RUNTIME, SUBJECT, bundle, car_t, ig_order, igg, infection

CART = car_t("2025-03-01")  # stop date 2025-09-01


def _reasons(*resources: Any, start: str, at: date) -> tuple[str, set[str]]:
    draft = {**ig_order("draft-1", start, status="draft"), "authoredOn": at.isoformat()}
    [card] = replay(RUNTIME, bundle(*resources), hook="order-sign", drafts=[draft], at=at).cards
    return card["source"]["topic"]["code"], {r["code"] for r in card.get("overrideReasons", [])}


def test_igg_4_to_6_keeps_an_uncoded_infection() -> None:
    """IgG 5.0 g/L in the window: the general criteria for IgG < 6 apply, where an infection can matter."""
    code, reasons = _reasons(CART, igg("igg", "2025-04-10", 5.0), start="2025-04-15", at=date(2025, 4, 15))
    assert code == "order-does-not-meet-criteria" and "infection-not-coded" in reasons


def test_a_coded_sepsis_with_no_fresh_igg_offers_no_uncoded_infection() -> None:
    """After the window, a severe sepsis coded, the IgG 200 days old: the order waits for an IgG, not an infection."""
    code, reasons = _reasons(CART, igg("igg", "2025-03-20", 2.9), infection("sepsis", "2025-09-20", severe=True),
                             start="2025-10-06", at=date(2025, 10, 6))
    assert code == "order-does-not-meet-criteria" and "infection-not-coded" not in reasons
    assert "specialist-decision" in reasons


def test_a_renewal_days_after_the_course_ran_to_the_stop_date_may_be_extended() -> None:
    code, reasons = _reasons(CART, igg("igg", "2025-08-04", 3.0),
                             ig_order("ivig-1", "2025-04-01", status="completed", end="2025-09-01"),
                             start="2025-09-05", at=date(2025, 9, 5))
    assert code == "order-does-not-meet-criteria"
    assert "community-infection-risk" in reasons


def test_no_infection_after_the_window_keeps_it_and_a_restart_weeks_later_has_nothing_to_extend() -> None:
    # 24 days after the course ended on the stop date: a restart (§4.3), not a short extension past it (§4.2)
    code, reasons = _reasons(CART, igg("igg", "2025-09-20", 3.0),
                             ig_order("ivig-1", "2025-04-01", status="completed", end="2025-09-01"),
                             start="2025-09-25", at=date(2025, 9, 25))
    assert code == "order-does-not-meet-criteria"
    assert "infection-not-coded" in reasons and "community-infection-risk" not in reasons


# an order on hold (as the stop cards suggest) or stopped on a day the data does not tell reaches by its doses: the
# last one recorded, 2025-08-01, and the 35 course days past it (2025-09-05)
DOSES = [{"resourceType": "MedicationAdministration", "id": f"ma-{day}", "status": "completed", "subject": SUBJECT,
          "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "J06BA02"}]}, "effectiveDateTime": day}
         for day in ("2025-04-01", "2025-05-01", "2025-06-01", "2025-07-01", "2025-08-01")]


@pytest.mark.parametrize("status", ["on-hold", "stopped"])
@pytest.mark.parametrize("start, extends", [("2025-09-10", True), ("2025-10-20", False)])
def test_a_paused_course_reaches_an_order_by_its_last_dose(status: str, start: str, extends: bool) -> None:
    code, reasons = _reasons(CART, igg("igg", "2025-03-20", 3.0), DOSES,
                             ig_order("ivig-1", "2025-04-01", status=status), start=start,
                             at=date.fromisoformat(start))
    assert code == "order-does-not-meet-criteria"
    assert ("community-infection-risk" in reasons) is extends
