"""An overdue stop names the day the running order is planned to end, when it has one.

CAR-T 2026-01-15 (stop date 2026-07-15), IVIG ordered from 2026-02-16. A clinician extended the order to 2026-08-15
(a short extension, §4.2): for a month the card said "pause substitution now" and nothing of the end they had set.
The fact line now says it, beside the overdue stop; an order with no end is named as before.
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import car_t, chart, igg, order

RUNTIME = load_runtime(Settings())
AT = date(2026, 7, 20)


def _card(end: str | None, lang: str = "en") -> dict:
    bundle = chart(car_t("2026-01-15"), igg("2026-02-09", 3.0), order("J06BA02", "2026-02-16", end=end, rid_="mr-ivig"))
    [card] = replay(RUNTIME, bundle, at=AT, lang=lang).cards
    assert (card["source"]["topic"]["code"], card["indicator"]) == ("stop-overdue", "warning")
    return card


@pytest.mark.parametrize("lang, line", [("en", "- IVIG since 2026-02-16, ordered until 2026-08-15"),
                                        ("da", "- IVIG siden 2026-02-16, ordineret til 2026-08-15")])
def test_an_extended_order_is_named_with_its_planned_end(lang: str, line: str) -> None:
    assert line in _card("2026-08-15", lang)["detail"].splitlines()


def test_an_order_with_no_end_is_named_as_before() -> None:
    lines = _card(None)["detail"].splitlines()
    assert "- IVIG since 2026-02-16" in lines and not any("ordered until" in x for x in lines)
