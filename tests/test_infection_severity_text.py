"""An infection's severity given only in words is named, not read.

clinical-rules §5 counts an infection as severe by a coded severity (SNOMED CT 24484000) or a severe-infection
code. A pneumonia whose severity says "Svær" in text only is not read as severe, and the card that calls it
"not severe" must say why, so the clinician can use the override reason instead of trusting the line.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

RUNTIME = load_runtime(Settings())
SUBJECT = {"reference": "Patient/pt-sev"}
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}


def chart(severity: dict[str, Any]) -> dict[str, Any]:
    resources = [
        {"resourceType": "Patient", "id": "pt-sev", "birthDate": "1955-01-01"},
        {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "verificationStatus": CONFIRMED,
         "onsetDateTime": "2023-01-01", "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C83.3"}]}},
        {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
         "performedDateTime": "2025-01-10", "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]}},
        {"resourceType": "Condition", "id": "pneumonia", "subject": SUBJECT, "verificationStatus": CONFIRMED,
         "onsetDateTime": "2025-12-01", "severity": severity,
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J15.9"}]}},
        {"resourceType": "Observation", "id": "igg", "status": "final", "subject": SUBJECT,
         "effectiveDateTime": "2026-01-05", "code": {"coding": [{"system": "http://loinc.org", "code": "2465-3"}]},
         "valueQuantity": {"value": 3.0, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}},
    ]
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources]}


def card(severity: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    [found] = replay(RUNTIME, chart(severity), lang=lang, at=date(2026, 1, 10)).cards
    return found  # type: ignore[no-any-return]


@pytest.mark.parametrize("lang, words", [
    ("en", "The severity “Svær” of an infection (2025-12-01) is not coded: not read."),
    ("da", "Sværhedsgraden “Svær” af en infektion (2025-12-01) er ikke kodet: ikke læst."),
])
def test_a_severity_in_words_only_is_named_on_the_card_that_calls_the_infection_not_severe(lang, words):
    found = card({"text": "Svær"}, lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert words in found["detail"]


def test_a_coded_severity_is_read_and_needs_no_note():
    moderate = card({"coding": [{"system": "http://snomed.info/sct", "code": "6736007", "display": "Moderate"}],
                     "text": "Moderat"})
    assert moderate["source"]["topic"]["code"] == "no-start-without-infections"
    assert "not coded" not in moderate["detail"]
    severe = card({"coding": [{"system": "http://snomed.info/sct", "code": "24484000"}], "text": "Svær"})
    assert severe["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert "not coded" not in severe["detail"]


def test_an_infection_outside_the_look_back_is_not_noted():
    """The pneumonia of 2025-12-01 is more than 12 months before 2027-01-10: no decision weighs it, no note."""
    [found] = replay(RUNTIME, chart({"text": "Svær"}), at=date(2027, 1, 10)).cards
    assert "not coded" not in found["detail"]
    assert all(n.kind != "infection-severity-not-read"
               for n in replay(RUNTIME, chart({"text": "Svær"}), at=date(2027, 1, 10)).notes)
