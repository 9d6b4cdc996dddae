"""An immunoglobulin order's end is "assumed" (`IgCourse.end_assumed`) only when the end read is the last day of a
date that names no day ("2026-04" as 2026-04-30): the reader of that date says so. It was guessed from any
`date-partial` note left while the order was read, so an order whose end names its day (2026-05-25) in one dosage
and whose other dosage ends "2026-04" was taken to end on a day the data does not tell; a completed order like that,
seen on 2026-05-20, was read as "ended on an unknown day" instead of running to the 25th, as the same order with
one dosage is."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cds_service.fhir.facts import FactBuilder
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cql_like_rules.valuesets import load_terminology

from .order_charts import IVIG, chart, order

TZ = ZoneInfo("Europe/Copenhagen")
RUNTIME = load_runtime(Settings())


def bounds(start: str, end: str | None = None, **repeat: Any) -> dict[str, Any]:
    period = {"start": start, **({"end": end} if end else {})}
    return {"timing": {"repeat": {"boundsPeriod": period, **repeat}}}


def ivig(*dosages: dict[str, Any], status: str = "active") -> dict[str, Any]:
    resource = order("ea1", "ivig-ea1", IVIG, "2026-01-20", status=status)
    resource["dosageInstruction"] = list(dosages)
    return resource


def course(*resources: dict[str, Any]) -> Any:
    [found] = FactBuilder(load_terminology(), TZ).build(list(resources)).facts.ig_courses
    return found


@pytest.mark.parametrize("dosages, end, assumed", [
    ([bounds("2026-01-20", "2026-04")], date(2026, 4, 30), True),
    ([bounds("2026-01-20", "2026-04"), bounds("2026-01-20", "2026-05-25")], date(2026, 5, 25), False),
    ([bounds("2026-01-20", "2026-05-25"), bounds("2026-01-20", "2026-05")], date(2026, 5, 31), True),
    ([bounds("2026-01-20", "2026-05-31"), bounds("2026-01-20", "2026-05")], date(2026, 5, 31), False),
    # one dosage open, so the course runs its planned length (3 months): an end of a length is not assumed
    ([bounds("2026-01-20", "2026-02"), bounds("2026-01-20", None, boundsDuration={"value": 3, "unit": "mo"})],
     date(2026, 4, 20), False),
], ids=["month-end", "full-end-after-a-month-end", "month-end-after-a-full-end", "same-day-named", "length"])
def test_the_end_is_assumed_only_when_the_end_read_names_no_day(dosages, end, assumed):
    found = course(ivig(*dosages))
    assert (found.end, found.end_assumed) == (end, assumed)


def test_a_date_with_no_day_on_another_record_read_before_does_not_make_the_end_assumed():
    onset = {"resourceType": "Condition", "id": "dx", "subject": {"reference": "Patient/ea1"},
             "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J18.9"}]},
             "verificationStatus": {"coding": [{"code": "confirmed"}]}, "onsetDateTime": "2026-01"}
    found = course(onset, ivig(bounds("2026-01-20", "2026-05-25")))
    assert (found.end, found.end_assumed) == (date(2026, 5, 25), False)


def test_a_completed_order_whose_later_end_names_its_day_runs_to_that_day():
    """The card is the one-dosage order's (ends 2026-05-25), not an "ended on an unknown day" one."""
    def cards(ig: dict[str, Any]) -> list[tuple[str, str]]:
        resources = [*chart("ea1", iggs=(("2026-01-13", 3.2),)), ig]
        bundle = {"resourceType": "Bundle", "type": "collection",
                  "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources]}
        return [(c["source"]["topic"]["code"], c["summary"]) for c in replay(RUNTIME, bundle, at=date(2026, 5, 20)).cards]

    two = cards(ivig(bounds("2026-01-20", "2026-04"), bounds("2026-01-20", "2026-05-25"), status="completed"))
    one = cards(ivig(bounds("2026-01-20", "2026-05-25"), status="completed"))
    assert two == one
