"""An immunoglobulin order (or medication record) completed, whose end names no day ("2026-05", valid FHIR), seen
in that month: it is read as ending on the month's last day, a day still ahead, and a completed order cannot run to
a day still ahead. A patient whose IVIG course (started in the window on IgG 3.2 g/L) was completed in May got
"Ig stop date passed 2 days ago: pause substitution" and a suggestion to put the completed order on hold; the
course has ended, on a day the data does not tell (§4.2: the stop was made), and the card says so."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .order_charts import IVIG, chart, order

RUNTIME = load_runtime(Settings())


def cards(ig: dict[str, Any]) -> list[dict[str, Any]]:
    resources = [*chart("ce1", iggs=(("2026-01-13", 3.2),)), ig]
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources]}
    return replay(RUNTIME, bundle, at=date(2026, 5, 20)).cards  # type: ignore[no-any-return]


def statement(status: str, end: str) -> dict[str, Any]:
    return {"resourceType": "MedicationStatement", "id": "ivig-record", "status": status,
            "subject": {"reference": "Patient/ce1"}, "medicationCodeableConcept": IVIG,
            "effectivePeriod": {"start": "2026-01-20", "end": end}}


@pytest.mark.parametrize("ig", [order("ce1", "ivig-ce1", IVIG, "2026-01-20", end="2026-05", status="completed"),
                                statement("completed", "2026-05")], ids=["order", "medication-record"])
def test_a_completed_course_whose_end_names_no_day_has_ended(ig):
    found = cards(ig)
    codes = [c["source"]["topic"]["code"] for c in found]
    assert "stop-overdue" not in codes and "stop-due" not in codes
    assert any("ended" in c["detail"] and "“2026-05”" in c["detail"] for c in found)


def test_an_active_order_whose_end_names_no_day_still_runs_to_its_last_day():
    found = cards(order("ce1", "ivig-ce1", IVIG, "2026-01-20", end="2026-05", status="active"))
    assert [c["source"]["topic"]["code"] for c in found] == ["stop-overdue"]
