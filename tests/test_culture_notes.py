"""A positive bacterial culture that counted for nothing is named for what it lacks: a bacterial infection
diagnosis. Beside a viral or fungal diagnosis the patient has an infection diagnosis, only not one the
culture can make bacterial (clinical rules §7)."""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.cards.notes import brief
from cql_like_rules import evaluate_patient
from cql_like_rules.facts import CarTInfusion, Culture, Diagnosis, Facts, IgGResult, Infection, Patient

D = date.fromisoformat


@pytest.mark.parametrize("lang, says, not_says", [
    ("en", "without a bacterial infection diagnosis", "without an infection diagnosis"),
    ("da", "uden diagnose af bakteriel infektion", "uden infektionsdiagnose"),
])
def test_a_culture_beside_a_viral_diagnosis_is_not_said_to_lack_an_infection_diagnosis(lang, says, not_says):
    cmv = Infection(D("2026-05-01"), False, "Condition/cmv", "B250", "CMV-pneumonitis", "other")
    ecoli = Culture(D("2026-05-01"), "Observation/bc", True, True, "blood", "Escherichia coli")
    f = Facts(patient=Patient("Patient/p", D("1960-05-01")), diagnoses=(Diagnosis("C833", "Condition/dx"),),
              car_t=(CarTInfusion(D("2025-10-01"), "Procedure/cart"),), infections=(cmv,), cultures=(ecoli,),
              igg=(IgGResult(3.0, D("2026-05-10"), "Observation/igg"),))
    notes = evaluate_patient(f, D("2026-05-15")).notes
    assert "culture-without-diagnosis" in [n.kind for n in notes]
    line = brief(notes, lang)
    assert says in line and not_says not in line, line
