"""Immunoglobulin and bsAb orders on the chart whose course is given by its doses or its length.

EHRs write a fixed course as `timing.event` (the planned dose days) or `repeat.boundsDuration` /
`boundsRange` (12 weeks) instead of a boundsPeriod with an end. Read as open-ended from authoredOn,
a finished 12-week IVIG course stayed "on substitution" for ever: months after it ended, patient-view
said the stop was overdue. The chart: CAR-T 2025-11-18 (stop date 2026-05-18), IgG 3.2 g/L 2026-01-13.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
IVIG = {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]}


def chart(order: dict[str, Any]) -> dict[str, Any]:
    b = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    b["entry"].append({"fullUrl": "MedicationRequest/ivig", "resource": order})
    return b


def ivig(timing: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "ivig", "status": "active", "intent": "order",
            "subject": {"reference": "Patient/pt-dk-0001"}, "authoredOn": "2026-01-15",
            "medicationCodeableConcept": IVIG, "dosageInstruction": [{"timing": timing}]}


WEEKS_12 = {"repeat": {"boundsDuration": {"value": 12, "unit": "wk", "system": "http://unitsofmeasure.org",
                                          "code": "wk"}, "frequency": 1, "period": 4, "periodUnit": "wk"}}
DOSES = {"event": ["2026-01-16", "2026-02-13", "2026-03-13"]}


@pytest.mark.parametrize("timing, end", [(WEEKS_12, date(2026, 4, 9)), (DOSES, date(2026, 3, 13))])
def test_a_course_of_a_set_length_ends_by_itself(timing, end):
    answer = replay(RUNTIME, chart(ivig(timing)), at=date(2026, 6, 10))
    [course] = answer.facts.ig_courses
    assert course.end == end
    assert "stop-overdue" not in [c["source"]["topic"]["code"] for c in answer.cards]


def test_within_its_length_the_card_names_the_end_it_has():
    """On 2026-02-01 the 12-week course runs to 2026-04-09, before the stop date: the stop is attempted then
    (read as open-ended, the card planned it for the stop date, 2026-05-18)."""
    [card] = replay(RUNTIME, chart(ivig(WEEKS_12)), at=date(2026, 2, 1)).cards
    assert card["source"]["topic"]["code"] == "stop-planned"
    assert "attempt the stop when the order ends 2026-04-09 (stop date 2026-05-18)" in card["summary"]


@pytest.mark.parametrize("at, lang, summary, todo", [
    (date(2026, 5, 10), "en", "(8 days left), 6 months after CAR-T 2025-11-18: the order ends then",
     "Let the order end on 2026-05-18 as set"),
    (date(2026, 5, 18), "da", "(i dag), 6 måneder efter CAR-T 2025-11-18: ordinationen slutter da",
     "Lad ordinationen slutte 2026-05-18 som planlagt"),
])
def test_a_stop_due_on_an_order_that_already_ends_then_says_so(at, lang, summary, todo):
    """The order runs to the stop date, 2026-05-18: the stop-due warning said "pause substitution" with nothing
    to pause and no word that the order already ends on the day; it now says the order ends then."""
    order = ivig({"repeat": {"boundsPeriod": {"start": "2026-01-16", "end": "2026-05-18"}}})
    [card] = replay(RUNTIME, chart(order), at=at, lang=lang).cards
    assert card["source"]["topic"]["code"] == "stop-due-soon" and card["indicator"] == "warning"
    assert card["summary"].endswith(summary) and todo in card["detail"]
    assert "suggestions" not in card or card["suggestions"] == []


def test_a_dose_day_that_names_no_day_does_not_drop_an_order_its_bounds_period_dates():
    """A bsAb order dated by boundsPeriod.start 2025-12-08 also listing a dose day '2025-09' (valid FHIR, no day):
    the order was dropped as unreadable, the patient's only bsAb with it, and patient-view gave no card."""
    bundle = json.loads((FIXTURES / "teclistamab-in-window-only-pre-t0-igg.json").read_text())
    [order] = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationRequest"]
    order["dosageInstruction"][0]["timing"]["event"] = ["2025-09"]
    answer = replay(RUNTIME, bundle, at=date(2026, 1, 2))
    assert [e.start for e in answer.facts.bsab] == [date(2025, 12, 8)]
    assert [c["source"]["topic"]["code"] for c in answer.cards] == ["measure-igg"]


@pytest.mark.parametrize("lang, summary, todo", [
    ("en", "Order not checked: “Privigen 100 mg/ml” is drafted without a code this service knows",
     "have the drug ordered under a code the service knows"),
    ("da", "Ordination ikke vurderet: “Privigen 100 mg/ml” er i udkast uden en kode, tjenesten kender",
     "ordineres under en kode, tjenesten kender"),
])
def test_a_draft_known_only_by_its_name_is_not_said_to_have_a_code(lang, summary, todo):
    """An IVIG drafted by its name alone read "Privigen 100 mg/ml (?) has a code this service does not know": it
    has none, and the CDS team was asked to add the code "?"."""
    draft = {"resourceType": "MedicationRequest", "id": "by-name", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/pt-dk-0001"}, "authoredOn": "2026-01-20",
             "medicationCodeableConcept": {"text": "Privigen 100 mg/ml"}}
    answer = replay(RUNTIME, chart({"resourceType": "Basic", "id": "nothing"}), hook="order-sign", drafts=[draft],
                    at=date(2026, 1, 20), lang=lang)
    [card] = answer.cards
    assert card["source"]["topic"]["code"] == "order-not-recognised"
    assert card["summary"] == summary and todo in card["detail"] and "(?)" not in card["detail"]


# -- a length in fractional months (UCUM mo, a) ----------------------------------------------------


def months(value: float, unit: str = "mo") -> dict[str, Any]:
    return {"repeat": {"boundsDuration": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org",
                                          "code": unit}, "frequency": 1, "period": 4, "periodUnit": "wk"}}


@pytest.mark.parametrize("timing, end, before", [
    (months(1.5), date(2026, 3, 2), date(2026, 2, 15)),    # a calendar month, then 0.5 x 30.4375 = 15 days
    (months(2), date(2026, 3, 15), date(2026, 3, 15)),     # whole months: calendar months, as before
    (months(0.5, "a"), date(2026, 7, 15), date(2026, 1, 15)),  # half a year: 6 months (it was cut to 0: no length)
    (months(1.25, "a"), date(2027, 4, 15), date(2027, 1, 15)),
    ({"repeat": {"boundsRange": {"low": {"value": 1, "unit": "mo"}, "high": {"value": 2.5, "unit": "mo"}}}},
     date(2026, 3, 30), date(2026, 3, 15)),                 # boundsRange.high read the same way
])
def test_a_length_in_fractional_months_is_read_whole(timing, end, before):
    """An IVIG authored 2026-01-15 for 1.5 mo ended 2026-02-15: the half month was cut off (half a year ended the
    day it began). The whole months are calendar months, the fraction UCUM's mean month of 30.4375 days, to the
    nearest day ([policy] days_per_fractional_month)."""
    answer = replay(RUNTIME, chart(ivig(timing)), at=date(2026, 1, 20))
    [course] = answer.facts.ig_courses
    assert course.end == end, f"read as ending {course.end} (before: {before})"


def test_on_the_day_after_the_cut_end_the_patient_is_still_on_substitution():
    """1.5 mo from 2026-01-15 runs to 2026-03-02. On 2026-02-20, patient-view read the course as ended on
    2026-02-15 (the last IgG then counted as off substitution); it is still running."""
    answer = replay(RUNTIME, chart(ivig(months(1.5))), at=date(2026, 2, 20))
    [course] = answer.facts.ig_courses
    assert course.start <= date(2026, 2, 20) <= course.end  # type: ignore[operator]


def test_a_site_policy_counts_the_fraction_with_its_own_month(tmp_path):
    """0.9 mo: 27 days at 30.4375 days a month (2026-02-11), 25 at a site's 28 (2026-02-09)."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"days_per_fractional_month": 28}))
    site = load_runtime(Settings(policy_file=str(policy)))
    for runtime, end in ((RUNTIME, date(2026, 2, 11)), (site, date(2026, 2, 9))):
        [course] = replay(runtime, chart(ivig(months(0.9))), at=date(2026, 1, 20)).facts.ig_courses
        assert course.end == end
