"""A card names the bispecific the patient received, also under an ambiguous ATC code.

WHO ATC L01FX24 is teclistamab, but the German ATC-GM once gave L01FX24 to mosunetuzumab; a
dose coded so with the display "Mosunetuzumab" must not be called teclistamab on the card
(terminology: "map L01FX24 to mosunetuzumab only when the display says mosunetuzumab").
"""

from __future__ import annotations

import copy
import json
from datetime import date

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)
BUNDLE = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())


def _bsab_dose(display: str, text: str) -> dict:
    """The shipped patient (lymphoma, IgG 3.2 on 2026-01-13) with a bispecific dose instead of the CAR-T infusion."""
    bundle = copy.deepcopy(BUNDLE)
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Procedure"]
    bundle["entry"].append({"resource": {
        "resourceType": "MedicationAdministration", "id": "bsab-dose", "status": "completed",
        "subject": {"reference": f"Patient/{patient['id']}"}, "effectiveDateTime": "2025-12-01T09:00:00+01:00",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX24",
                                                  "display": display}], "text": text}}})
    return bundle


def test_l01fx24_displayed_as_mosunetuzumab_is_named_mosunetuzumab() -> None:
    answered = replay(RUNTIME, _bsab_dose("Mosunetuzumab", "Lunsumio 1 mg/ml"), at=AT)
    assert [a.code for a in answered.advice] == ["start-substitution"]
    assert "Start of mosunetuzumab (T0) 2025-12-01" in answered.cards[0]["detail"]
    assert "teclistamab" not in answered.cards[0]["detail"]
    danish = replay(RUNTIME, _bsab_dose("Mosunetuzumab", "Lunsumio 1 mg/ml"), at=AT, lang="da")
    assert "Opstart af mosunetuzumab (T0) 2025-12-01" in danish.cards[0]["detail"]


def test_l01fx24_as_who_codes_it_stays_teclistamab() -> None:
    answered = replay(RUNTIME, _bsab_dose("teclistamab", "Tecvayli 10 mg/ml"), at=AT)
    assert "Start of teclistamab (T0) 2025-12-01" in answered.cards[0]["detail"]
