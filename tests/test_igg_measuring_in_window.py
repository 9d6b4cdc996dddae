"""IgG results inside the window that the start decision cannot use yet, read as the clinician reads the card."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

RUNTIME = load_runtime(Settings())
SUBJECT = {"reference": "Patient/pt-igg-window"}


def chart(igg_status: str) -> dict[str, Any]:
    """A lymphoma patient with a CAR-T infusion on 2026-01-05 and one IgG of 3.0 g/L on 2026-02-25."""
    resources = [
        {"resourceType": "Patient", "id": "pt-igg-window", "birthDate": "1960-05-01"},
        {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2024-01-01",
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C83.3"}]}},
        {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]}, "performedDateTime": "2026-01-05"},
        {"resourceType": "Observation", "id": "igg", "status": igg_status, "subject": SUBJECT,
         "effectiveDateTime": "2026-02-25", "code": {"coding": [{"system": "http://loinc.org", "code": "2465-3"}]},
         "valueQuantity": {"value": 3.0, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}},
    ]
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources]}


@pytest.mark.parametrize("lang, words", [("en", "IgG 3.0 g/L on 2026-02-25 is not final yet (preliminary): not used"),
                                         ("da", "IgG 3,0 g/L den 2026-02-25 er endnu ikke endelig (foreløbig): ikke brugt")])
def test_a_preliminary_igg_is_named_on_the_card_that_asks_for_an_igg(lang, words):
    """The card asks for an IgG; the clinician sees a result in the chart: the card says why it was not used."""
    [card] = replay(RUNTIME, chart("preliminary"), lang=lang, at=date(2026, 3, 2)).cards
    assert card["source"]["topic"]["code"] == "measure-igg"
    assert words in card["detail"]


def test_a_final_igg_decides_and_a_cancelled_one_is_not_named():
    [final] = replay(RUNTIME, chart("final"), at=date(2026, 3, 2)).cards
    assert final["source"]["topic"]["code"] == "start-substitution"
    [cancelled] = replay(RUNTIME, chart("cancelled"), at=date(2026, 3, 2)).cards
    assert cancelled["source"]["topic"]["code"] == "measure-igg" and "preliminary" not in cancelled["detail"]
