"""Immunoglobulin given under US codes is read as the ATC-coded course is.

A US EHR records an IVIG infusion with an NDC and the HCPCS J-code it bills (J1459 for Privigen), and orders by
RxNorm; neither was in the value set, so a course given under them got "Ig start not recommended" where its stop
was overdue. The J-codes of the products a stored source describes, and the RxNorm concepts a source ties to normal
immunoglobulin products, are now read; a hepatitis B immunoglobulin's J-code is not substitution.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
# CAR-T 2025-10-14, IVIG only as monthly administrations from 2025-11-10 (ATC J06BA02): stop planned 2026-04-14
CHART = json.loads((FIXTURES / "ivig-given-as-administrations-only-stop-planned.json").read_text())
AT = date(2026, 1, 20)
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NDC = "http://hl7.org/fhir/sid/ndc"


def _recoded(codings: list[dict[str, str]], text: str) -> dict[str, Any]:
    chart = copy.deepcopy(CHART)
    for entry in chart["entry"]:
        if entry["resource"]["resourceType"] == "MedicationAdministration":
            entry["resource"]["medicationCodeableConcept"] = {"coding": codings, "text": text}
    return chart


def _cards(chart: dict[str, Any]) -> list[tuple[str, str]]:
    return [(c["source"]["topic"]["code"], c["summary"]) for c in replay(RUNTIME, chart, at=AT).cards]


def test_the_atc_coded_course_plans_its_stop() -> None:  # the reading every recoded chart below must give
    [(code, summary)] = _cards(CHART)
    assert code == "stop-planned" and "2026-04-14" in summary


@pytest.mark.parametrize("codings", [
    [{"system": NDC, "code": "44206-439-40", "display": "Privigen 40 g/400 mL"},
     {"system": HCPCS, "code": "J1459", "display": "Injection, immune globulin (Privigen), 500 mg"}],
    [{"system": HCPCS, "code": "J1568"}],
    [{"system": RXNORM, "code": "1809671"}],
], ids=["ndc-and-j1459", "j1568-alone", "rxnorm-gammagard-liquid"])
def test_a_course_under_us_codes_gets_the_same_card(codings: list[dict[str, str]]) -> None:
    # a name the service does not read as immunoglobulin, so the code alone decides
    assert _cards(_recoded(codings, "infusion 40 g")) == _cards(CHART)


def test_a_subcutaneous_product_is_named_scig() -> None:
    chart = _recoded([{"system": HCPCS, "code": "J1559"}], "infusion 10 g")
    detail = replay(RUNTIME, chart, at=AT).cards[0]["detail"]
    assert "SCIG since 2025-11-10" in detail


def test_a_hepatitis_b_immunoglobulin_is_no_substitution_course() -> None:
    chart = _recoded([{"system": HCPCS, "code": "J1573"}], "infusion 5 mL")
    assert "stop-planned" not in [code for code, _ in _cards(chart)]


def _procedure(code: str) -> dict[str, Any]:
    chart = copy.deepcopy(CHART)
    patient = next(e["resource"]["id"] for e in chart["entry"] if e["resource"]["resourceType"] == "Patient")
    chart["entry"].append({"resource": {"resourceType": "Procedure", "id": "billed", "status": "completed",
                                        "subject": {"reference": f"Patient/{patient}"},
                                        "code": {"coding": [{"system": HCPCS, "code": code}], "text": "infusion"},
                                        "performedDateTime": "2025-12-08"}})
    return chart


@pytest.mark.parametrize("code", ["J1573", "J1551"])
@pytest.mark.parametrize("carried_on", ["medication", "procedure"])
def test_a_j_code_is_not_named_as_an_icd10_pneumonia_under_the_wrong_system(code: str, carried_on: str) -> None:
    # J15 is bacterial pneumonia in ICD-10: a medication record's or a procedure's HCPCS code was named as "held only
    # under another code system", telling the site its EHR sent the wrong system
    chart = _recoded([{"system": HCPCS, "code": code}], "infusion 5 mL") if carried_on == "medication" else \
        _procedure(code)
    answer = replay(RUNTIME, chart, at=AT)
    assert [n.kind for n in answer.notes if n.kind.endswith("wrong-system")] == []
    assert not any("another code system" in c["detail"] for c in answer.cards)
