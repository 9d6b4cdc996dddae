"""Substitution begun before T0 and stopped inside the window: a new start is a restart (§4.3).

IVIG since 2024-10-01 (before the CAR-T on 2025-02-03) ended on 2025-04-30, inside the window. §4.3: "Ved behov
for genopstart ... følges de samme kriterier som for øvrige patienter": IgG below 4 g/L alone no longer supports
a start; severe or recurrent verified bacterial infections are needed. A course that ended by the infusion day
(paused for it, §4.2) is not such a stop: its patient may still start on IgG alone (with the general stop criteria).
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
SUBJECT = {"reference": "Patient/pt-across-t0"}
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}


def chart(ivig_end: str, sepsis: bool = False) -> dict[str, Any]:
    resources: list[dict[str, Any]] = [
        {"resourceType": "Patient", "id": "pt-across-t0", "birthDate": "1955-01-01"},
        {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "verificationStatus": CONFIRMED,
         "onsetDateTime": "2023-01-01", "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C91.1"}]}},
        {"resourceType": "MedicationRequest", "id": "ivig", "status": "completed", "intent": "order", "subject": SUBJECT,
         "authoredOn": "2024-10-01",
         "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]},
         "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2024-10-01", "end": ivig_end}}}}]},
        {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
         "performedDateTime": "2025-02-03", "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]}},
        {"resourceType": "Observation", "id": "igg", "status": "final", "subject": SUBJECT,
         "effectiveDateTime": "2025-06-03", "code": {"coding": [{"system": "http://loinc.org", "code": "2465-3"}]},
         "valueQuantity": {"value": 3.1, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}},
    ]
    if sepsis:
        resources.append({"resourceType": "Condition", "id": "sepsis", "subject": SUBJECT, "verificationStatus": CONFIRMED,
                          "onsetDateTime": "2025-06-01",
                          "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A41.9"}]}})
    return json.loads(json.dumps({"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r}
                                            for r in resources]}))


DRAFT = {"resourceType": "MedicationRequest", "id": "draft", "status": "draft", "intent": "order", "subject": SUBJECT,
         "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]},
         "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-06-05"}}}}]}


def codes(bundle: dict[str, Any], **kw: Any) -> list[str]:
    return [c["source"]["topic"]["code"] for c in replay(RUNTIME, bundle, at=date(2025, 6, 3), **kw).cards]


def test_stopped_in_the_window_igg_alone_is_no_start():
    assert codes(chart("2025-04-30")) == ["no-start-without-infections"]


def test_stopped_in_the_window_restart_with_sepsis_meets_the_general_criteria():
    assert codes(chart("2025-04-30", sepsis=True)) == ["start-meets-general-criteria"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_the_order_hooks_hold_the_restart_to_the_general_criteria(hook):
    assert codes(chart("2025-04-30"), hook=hook, drafts=[DRAFT]) == ["order-does-not-meet-criteria"]


@pytest.mark.parametrize("end", ["2025-01-20", "2025-02-03"])
def test_paused_for_the_infusion_igg_alone_still_supports_a_start(end):
    assert codes(chart(end)) == ["start-substitution"]


def test_no_measure_igg_for_the_special_criterion_after_such_a_stop():
    bundle = chart("2025-04-30")
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["id"] != "igg"]
    assert codes(bundle) == []


def dose_chart(*days: str) -> dict[str, Any]:
    """The same patient with substitution recorded as doses only (MedicationAdministration), no order."""
    bundle = chart("2025-01-20")
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["id"] != "ivig"]
    for i, day in enumerate(days):
        dose = {"resourceType": "MedicationAdministration", "id": f"dose{i}", "status": "completed", "subject": SUBJECT,
                "effectiveDateTime": day,
                "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]}}
        bundle["entry"].append({"fullUrl": f"MedicationAdministration/dose{i}", "resource": dose})
    return bundle


@pytest.mark.parametrize("last", ["2025-01-24", "2025-02-02"])
def test_doses_that_ended_before_the_infusion_were_paused_for_it(last):
    """A course of doses counts as running for some weeks after its last dose; that span is no dose given after T0.
    Before: monthly IVIG last given on 24 January (CAR-T 3 February) was read as substitution stopped inside the
    window, and IgG 3.1 g/L gave 'no start without infections', where the same course as an order ending on
    20 January gives 'Ig may start'."""
    assert codes(dose_chart("2024-11-25", "2024-12-23", last)) == ["start-substitution"]


def test_a_dose_given_after_the_infusion_and_then_stopped_makes_a_restart():
    assert codes(dose_chart("2024-12-23", "2025-01-24", "2025-02-20")) == ["no-start-without-infections"]


def test_the_order_hook_agrees_a_dose_course_ended_before_the_infusion_is_no_stop():
    assert codes(dose_chart("2024-11-25", "2024-12-23", "2025-01-24"), hook="order-sign", drafts=[DRAFT]) == \
        ["order-meets-criteria"]


def test_the_restart_card_names_the_day_the_course_begun_before_t0_ended():
    """The window line says why the general criteria apply, with the end of the course that makes it a restart."""
    [card] = replay(RUNTIME, chart("2025-04-30"), at=date(2025, 6, 3)).cards
    assert "a restart (Ig given since T0 ended 2025-04-30): general criteria" in card["detail"], card["detail"]
