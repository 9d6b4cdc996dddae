"""An IgG result under the order code SNOMED CT 45293001 "Immunoglobulin G measurement" is not total serum IgG.

45293001 is a procedure ("measure IgG"), from an order catalogue: on a lab order it asks for IgG and the
laboratory picks the specimen, but on a result it names none, so it may be CSF IgG reported in mg/L. The IgG
value set listed it for results too: a CSF IgG of 25 mg/L after CAR-T was read as a serum IgG of 0.0 g/L and
the card said "Ig substitution may start" (clinical rules §5: CSF IgG is not total IgG). The value-set file
now says it is carried on ServiceRequest only (`carried_on`), and the result reader reads it so.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cds_service.fhir.facts import FactBuilder
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .test_therapy_known_by_name import SUBJECT, chart

RUNTIME = load_runtime(Settings())
SCT_IGG = {"system": "http://snomed.info/sct", "code": "45293001", "display": "Immunoglobulin G measurement"}
NPU_IGG = {"system": "urn:oid:1.2.208.176.2.1", "code": "NPU19814"}
CAR_T = {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
         "performedDateTime": "2025-11-03", "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]}}


def result(*codings: dict[str, str], value: float = 25, unit: str = "mg/L") -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "igg-2", "status": "final", "subject": SUBJECT,
            "effectiveDateTime": "2026-01-06", "code": {"coding": list(codings)},
            "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}


def only(*resources: dict[str, Any]) -> dict[str, Any]:
    """The usual chart (myeloma), without its IgG."""
    b = chart(*resources)
    b["entry"] = [e for e in b["entry"] if e["resource"]["id"] != "igg"]
    return b


@pytest.mark.parametrize("lang, summary, note", [
    ("en", "No usable IgG since CAR-T 2025-11-03: measure IgG", "A lab result holds unusable data and was skipped"),
    ("da", "Ingen brugbar IgG siden CAR-T 2025-11-03: mål IgG", "Et laboratoriesvar har ubrugelige data og er sprunget over"),
])
def test_a_result_under_the_order_code_does_not_start_substitution(lang, summary, note):
    """Before: "IgG 0.0 g/L < 4 g/L (2026-01-06) after CAR-T 2025-11-03: Ig substitution may start"."""
    [card] = replay(RUNTIME, only(CAR_T, result(SCT_IGG)), lang=lang, at=date(2026, 1, 10)).cards
    assert card["source"]["topic"]["code"] == "measure-igg"
    assert card["summary"].startswith(summary) and note in card["detail"]


def test_a_result_that_also_carries_a_result_code_is_read_by_it():
    facts = FactBuilder(RUNTIME.terminology, ZoneInfo("Europe/Copenhagen")).build(
        [result(SCT_IGG, NPU_IGG, value=3.1, unit="g/L")]).facts
    assert [r.value_g_l for r in facts.igg] == [3.1]


def test_a_draft_lab_order_under_the_order_code_is_still_an_igg_being_ordered():
    draft = {"resourceType": "ServiceRequest", "id": "sr", "status": "draft", "intent": "order", "subject": SUBJECT,
             "code": {"coding": [SCT_IGG]}, "authoredOn": "2026-01-10"}
    assert FactBuilder(RUNTIME.terminology, ZoneInfo("Europe/Copenhagen")).igg_order_drafted(draft) is not None
