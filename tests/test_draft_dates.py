"""A draft immunoglobulin order whose planned dates cannot be read (an end before its start) is judged as
starting on the day it is signed; the card must say so, in both languages, or the clinician reads "IVIG from"
today's date without knowing why their own start date was set aside (clinical-rules §7, §8: data notes)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

RUNTIME = load_runtime(Settings())
PATIENT = "pt-draft-dates"
SUBJECT = {"reference": f"Patient/{PATIENT}"}


def chart() -> dict[str, Any]:
    resources = [
        {"resourceType": "Patient", "id": PATIENT, "birthDate": "1960-05-01"},
        {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2024-01-01",
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C83.3"}]}},
        {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]},
         "performedDateTime": "2026-01-10"},
        {"resourceType": "Observation", "id": "igg", "status": "final", "subject": SUBJECT,
         "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
         "effectiveDateTime": "2026-01-20",
         "valueQuantity": {"value": 2.8, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}},
    ]
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources]}


def draft(bounds: dict[str, str]) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "draft-ivig", "status": "draft", "intent": "order",
            "subject": SUBJECT, "authoredOn": "2026-02-01",
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": bounds}}}]}


@pytest.mark.parametrize("lang, said", [
    ("en", "The planned dates of an order could not be read (an end before its start)"),
    ("da", "De planlagte datoer i en ordination kunne ikke læses (slut før start)"),
])
def test_a_draft_ending_before_it_starts_is_named_on_its_card(lang, said):
    answer = replay(RUNTIME, chart(), lang=lang, hook="order-sign", at=date(2026, 2, 1),
                    drafts=[draft({"start": "2026-02-10", "end": "2026-02-05"})])
    [card] = answer.cards
    assert card["source"]["topic"]["code"] == "order-meets-criteria"
    assert said in card["detail"], card["detail"]


def test_a_draft_with_readable_dates_or_none_gets_no_such_note():
    for bounds in ({"start": "2026-02-10", "end": "2026-05-01"}, {}):
        [card] = replay(RUNTIME, chart(), hook="order-sign", at=date(2026, 2, 1), drafts=[draft(bounds)]).cards
        assert "could not be read" not in card["detail"], card["detail"]
