"""An IgG on its way (registered or preliminary, no final result): what the card asks the clinician to do, the data
note that names it, which codes count, and the timeline's days (clinical-logic "IgG On Its Way", P-IGG-PENDING).

CAR-T 2025-11-18, no IgG since: the card asks for IgG. An IgG registered 2026-01-20 under a serum/plasma IgG result
code spares the IgG order for 14 days ([policy] igg_pending_days); the card then says to wait for it, not to measure
now, and names it once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.tools.timeline import build_timeline, patient_data, render_text

from .test_acceptance_actions import RUNTIME, T0, bundle_of, car_t, chart_of
from .test_acceptance_stop import NPU, SUBJECT, igg

Resource = dict[str, Any]


def registered(day: str = "2026-01-20", status: str = "registered", system: str = NPU,
               code: str = "NPU19814") -> Resource:
    """An IgG the laboratory registered (sample taken or ordered), no value yet."""
    return {"resourceType": "Observation", "id": "igg-on-its-way", "status": status, "subject": SUBJECT,
            "effectiveDateTime": day, "code": {"coding": [{"system": system, "code": code}]}}


def test_the_timeline_lists_the_days_the_igg_order_is_spared_and_offered_again() -> None:
    """Registered 2026-01-20: from that day the card offers no IgG order; from 2026-02-04 (14 days on) it offers the
    order again. Same advice, same summary: both days are changes the clinician sees, named as such."""
    data = patient_data(bundle_of(chart_of(car_t(T0), registered())), RUNTIME)
    timeline = build_timeline(data, RUNTIME, end=date(2026, 2, 20), today=date(2026, 2, 20))
    days = {s.day: s for s in timeline.changes}
    assert date(2026, 1, 20) in days and date(2026, 2, 4) in days, list(days)
    assert "suggestions" not in days[date(2026, 1, 20)].cards[0] and days[date(2026, 2, 4)].cards[0]["suggestions"]
    text = render_text(timeline)
    assert "IgG taken or ordered, awaiting its result" in text and "an order is offered again" in text


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_timeline_of_an_igg_registered_the_day_a_result_came_is_drawn(lang: str) -> None:
    """A preliminary IgG and the final 3.2 g/L taken the same day (the start card from that day): the timeline's
    reasons for that day named a kind it had no words for, and the timeline failed (KeyError 'igg-pending')."""
    chart = chart_of(car_t(T0), igg("igg-jan", "2026-01-20", 3.2), registered(status="preliminary"))
    data = patient_data(bundle_of(chart), RUNTIME)
    timeline = build_timeline(data, RUNTIME, lang=lang, end=date(2026, 2, 20), today=date(2026, 2, 20))
    text = render_text(timeline, lang)
    assert "2026-01-20" in text and "start-substitution" in text
