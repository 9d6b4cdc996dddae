"""Step-up doses of a bsAb drafted apart, the first of them resuming the chart's course of the same drug.

The chart holds a teclistamab course whose last day is 2025-10-24; on 2026-01-20 two doses are drafted, on
2026-01-21 (89 days after it: within `bsab_course_gap_days`, a resumption) and 2026-01-23 (91 days after it, but
2 days after the first draft). Both doses are one course that resumes the old one (§4.2: a resumption opens no new
window), so there is one card, the old course's, and an immunoglobulin order drafted with them is not told of a
new window.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .order_charts import IVIG, TECLISTAMAB, chart, draft, order

RUNTIME = load_runtime(Settings())


def cards(igg: float, *extra: dict[str, Any]) -> list[dict[str, Any]]:
    resources = chart("su1", car_t_on=None, iggs=(("2026-01-10", igg),),
                      orders=(order("su1", "tec-old", TECLISTAMAB, "2025-06-01", end="2025-10-24",
                                    status="completed"),))
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources]}
    drafts = [draft("su1", "tec-1", TECLISTAMAB, "2026-01-21"), draft("su1", "tec-2", TECLISTAMAB, "2026-01-23"),
              *extra]
    return replay(RUNTIME, bundle, hook="order-sign", drafts=drafts, at=date(2026, 1, 20)).cards  # type: ignore[no-any-return]


def test_a_dose_drafted_after_one_that_resumes_the_course_resumes_it_too():
    [card] = cards(7.0)
    assert card["source"]["topic"]["code"] == "plan-igg-monitoring"
    assert "2025-06-01" in card["summary"]
    assert "2026-07-21" not in card["summary"] + card["detail"]  # no window from the first draft


def test_an_ig_order_drafted_with_them_is_told_of_no_new_window():
    found = cards(3.0, draft("su1", "ivig", IVIG, "2026-01-20"))
    [ig] = [c for c in found if c["source"]["topic"]["code"].startswith("order-")]
    assert "2026-01-23" not in ig["detail"] and "2026-01-21" not in ig["detail"]
    assert len(found) == 2
