"""Immunoglobulin registered as a Danish SKS treatment code (a Procedure) is substitution given.

Danish hospitals register immunoglobulin substitution given as the SKS treatment code BOHJ10B
(BOHJ10A high-dose), a Procedure, beside or instead of a medication record. The value set has
carried these codes from the start, but a Procedure was read only for a CAR-T infusion: a patient
whose substitution was recorded this way was told "Ig substitution may start" in the window, and
was never told of the stop attempt at T0 + 6 months (§4.2). A completed procedure is a dose given
that day, as a MedicationAdministration is (clinical rules §5).
"""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
BUNDLE = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())  # CAR-T 2025-11-18, IgG 3.2 on 2026-01-13


def _with_ig_procedures(days: list[str], code: str = "BOHJ10B", status: str = "completed") -> dict:
    bundle = copy.deepcopy(BUNDLE)
    for n, day in enumerate(days):
        bundle["entry"].append({"resource": {
            "resourceType": "Procedure", "id": f"proc-ig-{n}", "status": status,
            "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4", "code": code,
                                 "display": "Behandling med immunglobulin"}]},
            "subject": {"reference": "Patient/pt-dk-0001"}, "performedDateTime": f"{day}T10:00:00+01:00"}})
    return bundle


@pytest.mark.parametrize("code", ["BOHJ10B", "BOHJ10A"])
def test_ig_registered_as_an_sks_procedure_gets_the_stop_attempt_not_a_start(code: str) -> None:
    bundle = _with_ig_procedures(["2026-01-15", "2026-02-12", "2026-03-12"], code)
    answered = replay(RUNTIME, bundle, at=date(2026, 3, 20))
    assert [a.code for a in answered.advice] == ["stop-planned"]
    assert "2026-05-18" in answered.cards[0]["summary"]


def test_the_stop_attempt_is_due_for_ig_registered_as_procedures() -> None:
    bundle = _with_ig_procedures(["2026-01-15", "2026-02-12", "2026-03-12", "2026-04-09", "2026-05-07"])
    answered = replay(RUNTIME, bundle, at=date(2026, 5, 10))
    assert [a.code for a in answered.advice] == ["stop-due-soon"]


def test_an_ig_procedure_not_done_is_no_dose() -> None:
    answered = replay(RUNTIME, _with_ig_procedures(["2026-01-15"], status="not-done"), at=date(2026, 1, 20))
    assert [a.code for a in answered.advice] == ["start-substitution"]
