"""Each pneumonia coded without its organism counts only on a positive bacterial culture near its onset
(clinical-rules §7), and the card names the culture as the evidence: with two such episodes, both cultures.

Teclistamab from 2025-09-10 (window closed 2026-03-10). A pneumonia coded SNOMED 233604007 on 2026-04-10 with a
BAL culture growing Haemophilus influenzae seven days later, and an ICD-10 J18.9 pneumonia on 2026-05-20 with a
sputum culture (NPU16271) seven days before; IgG 3.0 g/L. The two episodes are recurrent: the general start
criteria are met, and the card named only the later culture, leaving the first episode's evidence unseen.
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
SUBJECT = {"reference": "Patient/pt-cult"}
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}
SCT = "http://snomed.info/sct"


def condition(rid: str, system: str, code: str, onset: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": rid, "subject": SUBJECT, "verificationStatus": CONFIRMED,
            "onsetDateTime": onset, "code": {"coding": [{"system": system, "code": code}]}}


def culture(rid: str, system: str, code: str, day: str, organism: str) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": SUBJECT,
            "effectiveDateTime": day, "code": {"coding": [{"system": system, "code": code}]},
            "valueCodeableConcept": {"coding": [{"system": SCT, "code": organism}]},
            "interpretation": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                                            "code": "POS"}]}]}


def chart() -> dict[str, Any]:
    resources = [
        {"resourceType": "Patient", "id": "pt-cult", "birthDate": "1957-02-02"},
        condition("mm", "urn:oid:1.2.208.176.2.4.12", "DC900", "2021-01-10"),
        {"resourceType": "MedicationAdministration", "id": "tec", "status": "completed", "subject": SUBJECT,
         "effectiveDateTime": "2025-09-10", "medicationCodeableConcept": {
             "coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX24"}]}},
        condition("pn1", SCT, "233604007", "2026-04-10"),
        culture("bal", "http://loinc.org", "43441-5", "2026-04-17", "44470000"),
        condition("pn2", "http://hl7.org/fhir/sid/icd-10", "J18.9", "2026-05-20"),
        culture("sputum", "http://npu-terminology.org", "NPU16271", "2026-05-13", "9861002"),
        {"resourceType": "Observation", "id": "igg", "status": "final", "subject": SUBJECT,
         "effectiveDateTime": "2026-06-02", "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
         "valueQuantity": {"value": 3.0, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}},
    ]
    return json.loads(json.dumps({"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r}
                                            for r in resources]}))


@pytest.mark.parametrize("lang, words", [
    ("en", "2026-04-10, 2026-05-20: pneumonia (2 episodes) (positive airway culture 2026-04-17, positive airway culture 2026-05-13)"),
    ("da", "2026-04-10, 2026-05-20: pneumoni (2 episoder) (positiv luftvejsdyrkning 2026-04-17, positiv luftvejsdyrkning "
           "2026-05-13)"),
])
def test_each_episode_counted_on_a_culture_names_its_culture(lang, words):
    [card] = replay(RUNTIME, chart(), lang=lang, at=date(2026, 6, 15)).cards
    assert card["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert words in card["detail"]
