"""A CAR-T infusion recorded as a Procedure under the product's HCPCS code (Q2041 Yescarta, Q2054 Breyanzi).

US EHRs code procedures in CPT, HCPCS, ICD-10-PCS or SNOMED CT (US Core's procedure codes), and the
hospital bills the product's HCPCS Q-code on the day the dose is given. The CAR-T product value set has
carried Q2041 and Q2054 from the first release, but a Procedure was read only for the car-t-procedure
value set: the code matched a value set, so it was not even named as unrecognised, and a lymphoma patient
with IgG 3.0 g/L two months after Yescarta got no card at all. A completed Procedure of the infusion is
what dates T0 (clinical rules §2, §5), whichever of the two CAR-T value sets its code is in.
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
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"


def yescarta(status: str = "completed") -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": "cart-1", "status": status, "subject": SUBJECT,
            "performedDateTime": "2025-11-03T10:00:00+01:00",
            "code": {"coding": [{"system": HCPCS, "code": "Q2041",
                                 "display": "Axicabtagene ciloleucel, up to 200 million CAR-positive T cells"}]}}


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_infusion_billed_under_the_product_code_opens_the_window(lang):
    """Before: no card. After: the special start criterion, from the infusion on 2025-11-03 to 2026-05-03."""
    [card] = replay(RUNTIME, chart(yescarta()), lang=lang, at=date(2026, 1, 10)).cards
    assert card["source"]["topic"]["code"] == "start-substitution"
    assert "2025-11-03" in card["summary"] and "2026-05-03" in card["summary"]


@pytest.mark.parametrize("status", ["preparation", "not-done", "entered-in-error"])
def test_a_procedure_not_completed_dates_nothing(status):
    assert replay(RUNTIME, chart(yescarta(status)), at=date(2026, 1, 10)).cards == []


def test_a_procedure_left_in_progress_dates_nothing_and_asks_whether_cells_were_given():
    """Never closed: no T0 (clinical rules §5 dates it from a completed one), but named, as one on hold is."""
    [card] = replay(RUNTIME, chart(yescarta("in-progress")), at=date(2026, 1, 10)).cards
    assert card["source"]["topic"]["code"] == "therapy-undated" and "(in progress)" in card["summary"]
