"""Inside the window a restart follows the general criteria (§4.3), and every card says so.

CAR-T on 2026-02-01 (stop date 2026-08-01); an IVIG course since T0 ran 2026-03-01 to 2026-04-15. On 2026-06-15,
with IgG 3.0 g/L and 47 days of the window left, a clinician expects the special criterion (IgG < 4 is enough).
It does not apply: this is a restart. The start card, the 'start not recommended' card and the order cards must
say so beside the window, naming the end of the course, or a clinician sees a window with days left, a low IgG
and a refusal without its reason.
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
SUBJECT = {"reference": "Patient/pt-rw"}
AT = date(2026, 6, 15)
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}


def condition(rid: str, system: str, code: str, onset: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": rid, "subject": SUBJECT, "verificationStatus": CONFIRMED,
            "onsetDateTime": onset, "code": {"coding": [{"system": system, "code": code}]}}


def chart(status: str = "completed", end: str | None = "2026-04-15", infections: bool = False) -> dict[str, Any]:
    bounds = {"start": "2026-03-01", **({"end": end} if end else {})}
    resources = [
        {"resourceType": "Patient", "id": "pt-rw", "birthDate": "1961-05-05"},
        condition("dx", "http://hl7.org/fhir/sid/icd-10", "C83.1", "2023-01-01"),
        {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
         "performedDateTime": "2026-02-01", "code": {"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "38228"}]}},
        {"resourceType": "MedicationRequest", "id": "ivig", "status": status, "intent": "order", "subject": SUBJECT,
         "authoredOn": "2026-03-01", "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]},
         "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": bounds}}}]},
        {"resourceType": "Observation", "id": "igg", "status": "final", "subject": SUBJECT,
         "effectiveDateTime": "2026-06-01", "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
         "valueQuantity": {"value": 3.0, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}},
    ]
    if infections:
        resources += [condition("pn", "http://snomed.info/sct", "22754005", "2026-04-25"),
                      condition("sep", "urn:oid:1.2.208.176.2.4.12", "DA400", "2026-05-20")]
    return json.loads(json.dumps({"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r}
                                            for r in resources]}))


DRAFT = {"resourceType": "MedicationRequest", "id": "draft-scig", "status": "draft", "intent": "order",
         "subject": SUBJECT, "authoredOn": "2026-06-15",
         "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA01"}]},
         "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-06-16"}}}}]}

WORDS = {"en": "2026-02-01 to 2026-08-01 (47 days left); a restart (Ig given since T0 ended 2026-04-15): general criteria",
         "da": "2026-02-01 til 2026-08-01 (47 dage tilbage); genopstart (Ig siden T0 sluttede 2026-04-15): "
               "generelle kriterier"}


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("infections, hook, code", [
    (False, "patient-view", "no-start-without-infections"),
    (True, "patient-view", "start-meets-general-criteria"),
    (False, "order-select", "order-does-not-meet-criteria"),
    (True, "order-sign", "order-meets-criteria"),
])
def test_a_restart_inside_the_window_says_why_the_special_criterion_does_not_apply(lang, infections, hook, code):
    drafts = [DRAFT] if hook != "patient-view" else None
    [card] = replay(RUNTIME, chart(infections=infections), lang=lang, hook=hook, drafts=drafts, at=AT).cards
    assert card["source"]["topic"]["code"] == code
    assert WORDS[lang] in card["detail"] and len(card["detail"]) <= 700


def test_a_course_ended_on_an_unknown_day_is_still_named_as_a_restart():
    [card] = replay(RUNTIME, chart(status="stopped", end=None), at=date(2026, 7, 16)).cards
    assert card["source"]["topic"]["code"] == "no-start-without-infections"
    assert "(16 days left); a restart: general criteria" in card["detail"]


def test_after_the_window_no_restart_note_is_needed():
    [card] = replay(RUNTIME, chart(), at=date(2026, 8, 10)).cards
    assert card["source"]["topic"]["code"] == "no-start-without-infections"
    assert "a restart (" not in card["detail"]
