"""An IgG taken after immunoglobulin is judged by the last dose given, whether or not an order with an end frames the
doses (§3.4: the measurement must be made in a period without substitution).

An IVIG order running 2025-09-15 to 2025-12-02 with its doses recorded (the last 2025-11-24) ended its washout on
2025-12-30; the same doses recorded without the order ended it on 2026-01-26 (the course days past the last dose, then
the washout). An IgG of 2026-01-19, 56 days after the last dose, was decided on in one chart and set aside as taken
on substitution in the other: one patient, two answers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.tools.replay import replay

from .test_acceptance_lifecycle import DLBCL, RUNTIME, car_t, dx, igg, ivig_dose, ivig_order, patient

DOSES = ("2025-09-15", "2025-10-13", "2025-11-10", "2025-11-24")  # the last 56 days before the IgG of 2026-01-19


def chart(with_order: bool, igg_day: str) -> dict[str, Any]:
    resources = [patient(), dx(DLBCL, "2025-01-10"), car_t("2025-03-03"), igg("igg-before", "2025-08-20", 2.6),
                 *(ivig_dose(f"dose-{n}", day) for n, day in enumerate(DOSES)), igg("igg-after", igg_day, 4.5)]
    if with_order:
        resources.append(ivig_order("completed", start="2025-09-15", end="2025-12-02"))
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


@pytest.mark.parametrize("igg_day, decided_on", [("2026-01-19", False), ("2026-01-27", True)])
def test_an_order_with_an_end_judges_an_igg_by_its_last_dose_as_the_doses_alone_do(igg_day: str,
                                                                                    decided_on: bool) -> None:
    at = date(2026, 2, 2)
    answers = {with_order: replay(RUNTIME, chart(with_order, igg_day), at=at, known_on=date(2026, 6, 1))
               for with_order in (False, True)}
    said = {k: [(c["source"]["topic"]["code"], c["summary"]) for c in a.cards] for k, a in answers.items()}
    assert said[True] == said[False], said
    [(_, summary)] = said[True]
    assert (f"({igg_day})" in summary) == decided_on, summary  # 56 days after the last dose: still the infused IgG


def test_an_order_on_hold_from_an_unrecorded_day_reaches_as_far_as_its_doses() -> None:
    """IVIG ordered from 2025-09-15, now on hold from a day the chart does not tell, its doses recorded to 2025-11-24:
    an IgG of 4.5 g/L ten days after the last dose was decided on (only a note said it might show infused
    immunoglobulin)."""
    resources = [patient(), dx(DLBCL, "2025-01-10"), car_t("2025-03-03"), igg("igg-before", "2025-08-20", 2.6),
                 *(ivig_dose(f"dose-{n}", day) for n, day in enumerate(DOSES)), igg("igg-after", "2025-12-04", 4.5),
                 ivig_order("on-hold", start="2025-09-15")]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}
    [card] = replay(RUNTIME, bundle, at=date(2025, 12, 10)).cards
    assert "(2025-12-04)" not in card["summary"] and "(2025-08-20) predates substitution" in card["summary"], \
        card["summary"]
