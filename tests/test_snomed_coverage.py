"""Diagnoses coded only in SNOMED CT reach the rules: a lymphoma concept the value sets now cover."""

from __future__ import annotations

import json
from datetime import date

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)


def _with_malignancy(code: str, display: str) -> dict:
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Condition":
            entry["resource"]["code"] = {"coding": [{"system": "http://snomed.info/sct", "code": code, "display": display}],
                                         "text": display}
    return bundle


def test_a_car_t_patient_with_burkitt_lymphoma_coded_in_snomed_is_in_scope():
    answered = replay(RUNTIME, _with_malignancy("118617000", "Burkitt's lymphoma"), at=AT)
    assert [a.code for a in answered.advice] == ["start-substitution"]
    assert not [n for n in answered.notes if n.kind == "unrecognised-code"]
