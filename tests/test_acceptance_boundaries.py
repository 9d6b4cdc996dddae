"""Boundary cases of the guideline, replayed from FHIR as an EHR sends them: the card a clinician gets.

Each case is a small bundle built here (a patient, a haematological malignancy, the index event and
the facts that matter), replayed through the pipeline at a fixed date; the test names the advice code
the guideline asks for (Medicinrådet 2025, section 4).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

RUNTIME = load_runtime(Settings())
PATIENT = "pt-acc"
SUBJECT = {"reference": f"Patient/{PATIENT}"}


def lymphoma() -> dict[str, Any]:
    return {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2024-01-01",
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                               "code": "confirmed"}]},
            "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4.12", "code": "DC833"}]}}


def car_t(day: str) -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]}, "performedDateTime": day}


def igg(rid: str, when: str, value: float) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": SUBJECT, "effectiveDateTime": when,
            "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
            "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": PATIENT, "birthDate": "1960-05-01"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in (patient, *resources)]}


def cards(b: dict[str, Any], at: str) -> list[tuple[str, str]]:
    answer = replay(RUNTIME, b, at=date.fromisoformat(at))
    return [(str(c["source"]["topic"]["code"]), str(c["summary"])) for c in answer.cards]  # type: ignore[index]


@pytest.mark.parametrize(("first", "second", "expected"), [
    # ids sort against the clock: "z-morning" after "a-afternoon", so only the time of day can order them
    (("z-morning", "2026-01-10T08:00:00+01:00", 3.5), ("a-afternoon", "2026-01-10T14:00:00+01:00", 4.4),
     "general-criteria-igg-under-6"),
    (("z-morning", "2026-01-10T08:00:00+01:00", 4.4), ("a-afternoon", "2026-01-10T14:00:00+01:00", 3.5),
     "start-substitution"),
])
def test_two_igg_results_on_one_day_the_later_one_decides(first, second, expected) -> None:
    """§3: 'the IgG used is the most recent result': a repeat the same day replaces the morning's value."""
    b = bundle(lymphoma(), car_t("2025-11-18"), igg(*first), igg(*second))
    [(code, summary)] = cards(b, "2026-01-20")
    assert code == expected
    assert f"IgG {second[2]} g/L" in summary


def sepsis(day: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": "sepsis", "subject": SUBJECT, "onsetDateTime": day,
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                               "code": "confirmed"}]},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A41.9"}]}}


def ivig_draft(start: str) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "draft-ivig", "status": "draft", "intent": "order",
            "subject": SUBJECT, "authoredOn": start,
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": start}}}}]}


@pytest.mark.parametrize(("lang", "says"), [("en", "general SID criteria apply"), ("da", "generelle SID-kriterier gælder")])
def test_an_order_on_igg_4_to_6_names_the_general_criteria_for_igg_under_6(lang: str, says: str) -> None:
    """§4.1, last paragraph: with IgG < 6 g/L the general criteria for haematological patients with IgG < 6 g/L
    apply throughout ("gælder både i og efter højrisikoperioden"); the order card says so, as the patient-view card does (§3: "Say so")."""
    b = bundle(lymphoma(), car_t("2025-01-10"), igg("igg", "2026-01-10", 4.5), sepsis("2025-12-01"))
    answer = replay(RUNTIME, b, lang=lang, hook="order-sign", drafts=[ivig_draft("2026-01-20")],
                    at=date(2026, 1, 20))
    [card] = answer.cards
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria"  # type: ignore[index]
    assert says in str(card["summary"]) and says in str(card["detail"])
