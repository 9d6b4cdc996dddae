"""Bacterial infections as Danish and international EHRs code them (clinical rules §5, §7).

ICD-10 titles that name a bacterial sepsis (Listeria, Salmonella ...), a meningococcal infection or
Legionnaires' disease are bacterial infection codes; an infection whose code is in no value set
is named, with its date, in the card's data notes instead of being dropped silently; an order
whose name mentions an infection is not a diagnosis.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)
FIXTURE = "cart-after-window-no-infections-old-igg"  # after the window, IgG < 4, no infection: no start


def _with(*resources: dict) -> dict:
    bundle = json.loads((FIXTURES / f"{FIXTURE}.json").read_text())
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    for resource in resources:
        resource["subject"] = {"reference": f"Patient/{patient['id']}"}
        bundle["entry"].append({"resource": resource})
    return bundle


def _condition(cid: str, system: str, code: str, text: str, onset: str) -> dict:
    return {"resourceType": "Condition", "id": cid, "onsetDateTime": onset,
            "code": {"coding": [{"system": system, "code": code, "display": text}], "text": text},
            "verificationStatus": {"coding": [{"code": "confirmed"}]}}


@pytest.mark.parametrize(("system", "code", "text"), [
    ("urn:oid:1.2.208.176.2.4.12", "DA327", "Listeriasepsis"),
    ("http://hl7.org/fhir/sid/icd-10", "A02.1", "Salmonella sepsis"),
    ("http://hl7.org/fhir/sid/icd-10", "A39.0", "Meningococcal meningitis"),
    ("http://hl7.org/fhir/sid/icd-10-cm", "A48.3", "Toxic shock syndrome"),
    ("http://hl7.org/fhir/sid/icd-10-cm", "R78.81", "Bacteremia"),
])
def test_a_bacterial_sepsis_or_meningococcal_code_is_a_severe_bacterial_infection(system: str, code: str,
                                                                                 text: str) -> None:
    answered = replay(RUNTIME, _with(_condition("sepsis", system, code, text, "2025-12-01")), at=AT)
    assert [a.code for a in answered.advice] == ["measure-igg"]  # severe infection, IgG too old: measure it
    assert "Severe bacterial infection 2025-12-01" in answered.cards[0]["detail"]


def test_two_legionella_pneumonias_are_recurrent_bacterial_infections() -> None:
    answered = replay(RUNTIME, _with(_condition("l1", "urn:oid:1.2.208.176.2.4.12", "DA481", "Legionærsygdom", "2025-10-01"),
                                     _condition("l2", "urn:oid:1.2.208.176.2.4.12", "DA481", "Legionærsygdom", "2025-12-01")),
                      at=AT)
    assert [a.code for a in answered.advice] == ["measure-igg"]
    assert "Recurrent bacterial infections 2025-10-01, 2025-12-01" in answered.cards[0]["detail"]


def test_an_infection_with_a_code_in_no_value_set_is_named_with_its_date_on_the_card() -> None:
    uncoded = _condition("bfrag", "http://snomed.info/sct", "1234567008", "Infection caused by Bacteroides fragilis",
                         "2025-12-01")
    answered = replay(RUNTIME, _with(uncoded), at=AT)
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]
    assert "Infection caused by Bacteroides" in answered.cards[0]["detail"]
    assert "(2025-12-01) was not recognised by its code" in answered.cards[0]["detail"]
    danish = replay(RUNTIME, _with(_condition("bfrag", "http://snomed.info/sct", "1234567008",
                                              "Urinvejsinfektion med Bacteroides", "2025-12-01")), at=AT, lang="da")
    assert "(2025-12-01) blev ikke genkendt på sin kode" in danish.cards[0]["detail"]


def test_an_order_whose_name_mentions_an_infection_is_not_named_as_a_diagnosis() -> None:
    order = {"resourceType": "MedicationRequest", "id": "cipro", "status": "active", "intent": "order",
             "authoredOn": "2025-12-01",
             "medicationCodeableConcept": {"coding": [{"system": "urn:local", "code": "77"}],
                                           "text": "Ciprofloxacin 500 mg mod pneumoni"}}
    answered = replay(RUNTIME, _with(order), at=AT)
    assert [n for n in answered.notes if n.source == "MedicationRequest/cipro"] == []
