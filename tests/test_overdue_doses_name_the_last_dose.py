"""An overdue stop of substitution recorded as doses only names the last dose given.

SCIG given weekly from 2025-04-22, the last dose on 2025-09-30, after a CAR-T on 2025-04-01 (stop date 2025-10-01).
A course of doses counts as running for `ig_administration_course_days` after its last dose, so from 2025-10-02 the
stop is overdue. The card used to say the substitution "is still active after its stop date": with doses only, that
is the course's span, and a stop made on time (no dose since the stop date) looks the same for those weeks. The card
now gives the last dose, so a clinician can tell a stop already made from a course that went on (§4.2).
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

RUNTIME = load_runtime(Settings())
SUBJECT = {"reference": "Patient/pt-doses"}


def chart(last: str) -> dict[str, Any]:
    doses, day = [], date(2025, 4, 22)
    while day <= date.fromisoformat(last):
        doses.append(day)
        day += timedelta(days=7)
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "pt-doses", "birthDate": "1955-01-01"},
        {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2023-01-01",
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C83.3"}]}},
        {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
         "performedDateTime": "2025-04-01", "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]}},
        {"resourceType": "Observation", "id": "igg", "status": "final", "subject": SUBJECT,
         "effectiveDateTime": "2025-04-15", "code": {"coding": [{"system": "http://loinc.org", "code": "2465-3"}]},
         "valueQuantity": {"value": 3.3, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}},
    ] + [{"resourceType": "MedicationAdministration", "id": f"scig-{i}", "status": "completed", "subject": SUBJECT,
          "effectiveDateTime": d.isoformat(),
          "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA01"}]}}
         for i, d in enumerate(doses)]
    return json.loads(json.dumps({"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r}
                                            for r in resources]}))


@pytest.mark.parametrize("last, at, words", [
    ("2025-09-30", date(2025, 10, 2), "last dose 2025-09-30, give no more"),
    ("2025-10-14", date(2025, 10, 20), "last dose 2025-10-14, give no more"),
])
def test_the_overdue_card_of_a_course_of_doses_names_the_last_dose(last, at, words):
    [card] = replay(RUNTIME, chart(last), at=at).cards
    assert card["source"]["topic"]["code"] == "stop-overdue"
    assert card["indicator"] == "warning"
    assert words in card["summary"]
    assert "still active" not in card["detail"]
    assert "if none was given since, the stop is made" in card["detail"]


def test_in_danish():
    [card] = replay(RUNTIME, chart("2025-09-30"), at=date(2025, 10, 2), lang="da").cards
    assert "sidste dosis 2025-09-30, giv ikke flere" in card["summary"]
    assert "findes kun som doser; et forløb regnes som løbende 35 dage efter sidste dosis (2025-09-30)" \
        in card["detail"]


def test_the_due_card_before_the_stop_date_is_unchanged():
    [card] = replay(RUNTIME, chart("2025-09-30"), at=date(2025, 9, 30)).cards
    assert card["source"]["topic"]["code"] == "stop-due-soon"
    assert "last dose" not in card["summary"]
