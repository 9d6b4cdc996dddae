"""Known faults of the last changes, second part, each told through what a clinician sees (guideline §3.4, §4.1,
§4.3; clinical rules §2, §3, §5, §8): a restart judged on one IgG by patient-view and order-sign alike, a record dated
by its month named with that month, a copy's day as the Danish day, the worklist's mark on the record doubted, and
nothing named from after the day the chart is evaluated on. Each chart is a FHIR record as a Danish EHR sends it,
evaluated on a day given explicitly.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.tools.replay import replay
from tests.test_acceptance_lifecycle import (DLBCL, ICD10, RUNTIME, Chart, car_t, code, dx, igg, ivig_draft,
                                             ivig_order)
from tests.test_records_left_over import plain

Resource = dict[str, Any]
SEVERE = {"coding": [{"system": "http://snomed.info/sct", "code": "24484000", "display": "Severe"}]}


def hooks(resources: tuple[Resource, ...], at: date, lang: str = "en") -> tuple[dict[str, Any], dict[str, Any]]:
    """The one patient-view card and the one order-sign card on an IVIG draft to start that day."""
    bundle = Chart("c", resources, (), "").bundle()
    [view] = replay(RUNTIME, bundle, at=at, lang=lang).cards
    [sign] = replay(RUNTIME, bundle, at=at, lang=lang, hook="order-sign", drafts=[ivig_draft(at.isoformat())]).cards
    return view, sign


# ---- 1. a restart: patient-view and order-sign judge it on the same IgG, for the same reason -------------------------

def restart_chart(igg_day: str, *, car_t_day: str = "2025-11-03", course: tuple[str, str] = ("2025-11-25", "2025-12-20"),
                  infection: str | None = None) -> tuple[Resource, ...]:
    """CAR-T 2025-11-03 (stop date 2026-05-03), IgG 2.8 g/L on 2025-11-20, IVIG from 2025-11-25 stopped on
    2025-12-20 (the course since T0 ended: a new start is a restart, §4.3), IgG 3.0 g/L taken off substitution on
    `igg_day`; a severe sepsis on `infection` when given."""
    stopped = ivig_order(status="stopped", start=course[0], end=course[1])
    sepsis = (dx((ICD10, "A41.9", "Sepsis, uspecificeret"), infection, rid="sepsis", severity=SEVERE),) \
        if infection else ()
    return (dx(DLBCL, "2025-02-14"), car_t(car_t_day), igg("igg-t0", "2025-11-20", 2.8), stopped,
            igg("igg", igg_day, 3.0), *sepsis)


@pytest.mark.parametrize("igg_day, age", [("2026-02-15", 20), ("2026-02-04", 31), ("2026-01-20", 46)])
def test_a_restart_in_the_window_without_infections_is_refused_on_the_same_igg_by_both_hooks(igg_day: str,
                                                                                           age: int) -> None:
    """§4.3: a restart follows the general criteria even inside the window: IgG below 4 g/L and severe or recurrent
    verified bacterial infections. With none recorded, IgG 3.0 g/L however old leaves the criteria unmet for want of
    infections (clinical rules §3: without them the latest IgG < 4 gives 'criteria not met'), and no IgG is to be
    measured. Patient-view said so on the IgG of 46 days; order-sign, the same day, called it 'no usable IgG within
    30 days' and offered an IgG order: two reasons for one decision."""
    view, sign = hooks(restart_chart(igg_day), date(2026, 3, 7))
    assert code(view) == "no-start-without-infections", plain(view)
    assert code(sign) == "order-does-not-meet-criteria", plain(sign)
    shown = f"IgG 3.0 g/L on {igg_day}" + (f", {age} days old" if age > 30 else "")
    for card in (view, sign):
        assert shown in plain(card), plain(card)
        assert "no severe/recurrent verified bacterial infection" in card["summary"], card["summary"]
        assert "no usable IgG" not in plain(card), plain(card)
        assert not card.get("suggestions"), card.get("suggestions")
    [da] = hooks(restart_chart(igg_day), date(2026, 3, 7), lang="da")[1:]
    assert "ingen brugbar IgG" not in plain(da), plain(da)


def test_a_restart_in_the_window_with_a_severe_infection_and_an_igg_of_46_days_asks_both_hooks_for_an_igg() -> None:
    """The reverse: with a severe sepsis the IgG decides, and inside the window one older than 30 days is no recent
    result (clinical rules §3): patient-view asks for IgG, order-sign names the same want."""
    view, sign = hooks(restart_chart("2026-01-20", infection="2026-02-10"), date(2026, 3, 7))
    assert code(view) == "measure-igg", plain(view)
    assert code(sign) == "order-does-not-meet-criteria", plain(sign)
    assert "no usable IgG for 30 days" in sign["summary"], sign["summary"]
    assert "no severe/recurrent" not in sign["summary"], sign["summary"]


def test_a_restart_after_the_window_without_infections_is_refused_on_an_igg_of_102_days_by_both_hooks() -> None:
    """After the window (CAR-T 2025-05-03, stop date 2025-11-03; IVIG stopped 2025-11-03) the same holds with the
    after-window age: IgG 3.0 g/L 102 days old and no infection: criteria not met for want of infections, both
    hooks."""
    chart = restart_chart("2025-12-20", car_t_day="2025-05-03", course=("2025-06-01", "2025-11-03"))
    view, sign = hooks(chart, date(2026, 4, 1))
    assert code(view) == "no-start-without-infections", plain(view)
    assert code(sign) == "order-does-not-meet-criteria", plain(sign)
    for card in (view, sign):
        assert "IgG 3.0 g/L on 2025-12-20, 102 days old" in plain(card), plain(card)
        assert "no usable IgG" not in plain(card), plain(card)
