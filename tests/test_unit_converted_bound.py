"""An IgG bound reported in another unit is shown alike in the summary and the data note (clinical-rules §7:
a comparator is shown as reported and decided on its bound).

NPU02481 reports IgG in µmol/L: '<=26.7 µmol/L' is <=4.00233 g/L, which cannot be placed against 4 g/L. The
summary said '<=4.002 g/L' and the data note under it '<=4.00233 g/L', six digits the laboratory never reported.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

RUNTIME = load_runtime(Settings())
SUBJECT = {"reference": "Patient/pt-umol"}


def chart() -> dict[str, Any]:
    resources = [
        {"resourceType": "Patient", "id": "pt-umol", "birthDate": "1952-09-09"},
        {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2023-01-01",
         "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                            "code": "confirmed"}]},
         "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4.12", "code": "DC833"}]}},
        {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
         "performedDateTime": "2026-04-01", "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]}},
        {"resourceType": "Observation", "id": "igg", "status": "final", "subject": SUBJECT,
         "effectiveDateTime": "2026-06-10", "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU02481"}]},
         "valueQuantity": {"value": 26.7, "comparator": "<=", "unit": "umol/L", "system": "http://unitsofmeasure.org",
                           "code": "umol/L"}},
    ]
    return json.loads(json.dumps({"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r}
                                            for r in resources]}))


@pytest.mark.parametrize("lang, summary, note", [
    ("en", "IgG reported as <=4.002 g/L (2026-06-10)", "IgG &lt;=4.002 g/L (2026-06-10)"),
    ("da", "IgG svaret som <=4,002 g/L (2026-06-10)", "IgG &lt;=4,002 g/L (2026-06-10)"),
])
def test_a_converted_bound_reads_the_same_in_the_summary_and_the_note(lang, summary, note):
    from cds_service.cards.notes import brief
    answered = replay(RUNTIME, chart(), lang=lang, at=date(2026, 6, 15))
    [card] = answered.cards
    assert card["source"]["topic"]["code"] == "measure-igg"
    assert card["summary"].startswith(summary)
    assert note in brief(answered.notes, lang) and "00233" not in card["detail"]  # the note, left off this card
