"""A restart inside the window names the course it follows.

IVIG ended 2026-01-05 and SCIG began 2026-01-20: 15 days apart, more than the continuity gap, so the SCIG is a
restart and follows the general stop criteria (§4.3). A clinician who meant a switch of route must see why the
card speaks of a restart: the card gives the previous course's end and the days between.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

RUNTIME = load_runtime(Settings())
SUBJECT = {"reference": "Patient/pt-restart"}


def order(rid: str, atc: str, start: str, end: str | None, status: str) -> dict[str, Any]:
    bounds = {"start": start, **({"end": end} if end else {})}
    return {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order", "subject": SUBJECT,
            "authoredOn": start, "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": atc}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": bounds}}}]}


def chart(scig_start: str) -> dict[str, Any]:
    confirmed = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}
    resources = [
        {"resourceType": "Patient", "id": "pt-restart", "birthDate": "1955-01-01"},
        {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "verificationStatus": confirmed,
         "onsetDateTime": "2023-01-01", "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C83.3"}]}},
        {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
         "performedDateTime": "2025-10-14", "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]}},
        {"resourceType": "Observation", "id": "igg", "status": "final", "subject": SUBJECT,
         "effectiveDateTime": "2025-10-28", "code": {"coding": [{"system": "http://loinc.org", "code": "2465-3"}]},
         "valueQuantity": {"value": 3.0, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}},
        order("ivig", "J06BA02", "2025-11-01", "2026-01-05", "completed"),
        order("scig", "J06BA01", scig_start, None, "active"),
    ]
    return json.loads(json.dumps({"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r}
                                            for r in resources]}))


@pytest.mark.parametrize("lang, words", [
    ("en", "Because it restarts a course that ended 2026-01-05, 15 days earlier, the general stop criteria apply"),
    ("da", "Da det genopstarter et forløb, der sluttede 2026-01-05, 15 dage før, gælder de generelle"),
])
def test_a_restart_says_which_course_ended_and_how_long_before(lang, words):
    [card] = replay(RUNTIME, chart("2026-01-20"), lang=lang, at=date(2026, 2, 1)).cards
    assert card["source"]["topic"]["code"] == "general-stop-review"
    assert words in card["detail"]


def test_a_switch_within_the_continuity_gap_is_no_restart():
    [card] = replay(RUNTIME, chart("2026-01-08"), at=date(2026, 2, 1)).cards
    assert card["source"]["topic"]["code"] == "stop-planned"
