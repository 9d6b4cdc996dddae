"""A bispecific order stopped with no end date, then the same drug ordered again after more than the course gap.

The gap is counted from the first order's start (its end is not recorded), so the second order opens a new
course and a new T0 (clinical-rules §2). That may be a resumption the data cannot show: the card says so.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

RUNTIME = load_runtime(Settings())
SUBJECT = {"reference": "Patient/pt-bsab"}
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}
TECLISTAMAB = {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX24", "display": "teclistamab"}]}


def order(rid: str, start: str, status: str, end: str | None = None) -> dict[str, Any]:
    bounds = {"start": start, **({"end": end} if end else {})}
    return {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order", "subject": SUBJECT,
            "authoredOn": start, "medicationCodeableConcept": TECLISTAMAB,
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": bounds}}}]}


def chart(first: dict[str, Any]) -> dict[str, Any]:
    resources = [
        {"resourceType": "Patient", "id": "pt-bsab", "birthDate": "1950-02-02"},
        {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "verificationStatus": CONFIRMED,
         "onsetDateTime": "2022-01-01", "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C90.0"}]}},
        first, order("tec-2", "2025-12-10", "active"),
        {"resourceType": "Observation", "id": "igg", "status": "final", "subject": SUBJECT,
         "effectiveDateTime": "2026-01-05", "code": {"coding": [{"system": "http://loinc.org", "code": "2465-3"}]},
         "valueQuantity": {"value": 3.0, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}},
    ]
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources]}


@pytest.mark.parametrize("lang, words", [
    ("en", "The teclistamab order of 2025-09-01 has no end date: the next one was counted as a new course."),
    ("da", "Ordinationen på teclistamab fra 2025-09-01 har ingen slutdato: den næste er regnet som et nyt forløb."),
])
def test_a_new_course_after_an_order_with_no_end_date_says_why_t0_moved(lang, words):
    [card] = replay(RUNTIME, chart(order("tec-1", "2025-09-01", "stopped")), lang=lang, at=date(2026, 1, 10)).cards
    assert card["source"]["topic"]["code"] == "start-substitution"
    assert "2025-12-10" in card["summary"]
    assert words in card["detail"]


def test_no_note_when_the_first_order_ends_on_a_recorded_day():
    [card] = replay(RUNTIME, chart(order("tec-1", "2025-09-01", "stopped", end="2025-09-05")),
                    at=date(2026, 1, 10)).cards
    assert card["source"]["topic"]["code"] == "start-substitution" and "2025-12-10" in card["summary"]
    assert "no end date" not in card["detail"]
