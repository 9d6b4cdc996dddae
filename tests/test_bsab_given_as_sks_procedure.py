"""A bispecific given, registered as its Danish SKS treatment code (a Procedure).

Danish hospitals register the drugs given as SKS treatment codes in the national patient registry:
blinatumomab as BOHJ19K1, a Procedure. The bispecific value set has carried that code from the
start, but a Procedure was read only for a CAR-T infusion, so an adult with B-ALL on blinatumomab
recorded this way got no card at all, although the code is one the service knows. A completed
procedure is a dose given that day, as a MedicationAdministration of the drug is (clinical rules §5).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .test_therapy_known_by_name import SUBJECT, chart

RUNTIME = load_runtime(Settings())


def blinatumomab(day: str, rid: str = "blina-1", status: str = "completed") -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": rid, "status": status, "subject": SUBJECT,
            "performedDateTime": f"{day}T09:00:00+01:00",
            "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4", "code": "BOHJ19K1",
                                 "display": "Behandling med blinatumomab"}]}}


def test_a_bispecific_registered_as_a_procedure_opens_the_window():
    """Blinatumomab from 2025-11-03 (SKS procedures), IgG 3.0 g/L on 2026-01-05: the special start criterion."""
    b = chart(blinatumomab("2025-11-03"), blinatumomab("2025-11-17", "blina-2"))
    [card] = replay(RUNTIME, b, at=date(2026, 1, 10)).cards
    assert card["source"]["topic"]["code"] == "start-substitution"
    assert "2025-11-03" in card["summary"] and "2026-05-03" in card["summary"]


@pytest.mark.parametrize("status", ["not-done", "preparation", "entered-in-error"])
def test_a_procedure_that_did_not_happen_opens_nothing(status):
    assert replay(RUNTIME, chart(blinatumomab("2025-11-03", status=status)), at=date(2026, 1, 10)).cards == []


def test_the_order_hooks_judge_an_ig_order_on_that_window():
    draft = {"resourceType": "MedicationRequest", "id": "ivig-draft", "status": "draft", "intent": "order",
             "subject": SUBJECT, "authoredOn": "2026-01-10",
             "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]}}
    [card] = replay(RUNTIME, chart(blinatumomab("2025-11-03")), hook="order-sign", drafts=[draft],
                    at=date(2026, 1, 10)).cards
    assert card["source"]["topic"]["code"] == "order-meets-criteria" and "2026-05-03" in card["summary"]
