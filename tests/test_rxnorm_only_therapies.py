"""A bispecific or CAR-T product sent with an RxNorm code alone dates the window.

An EHR in the United States codes medication by RxNorm and often sends nothing else. The value sets knew the RxNorm
concepts of blinatumomab and one of lisocabtagene maraleucel only, so teclistamab ordered as RxNorm 2619438 got the
"Not checked: has a code this service does not know" card and no advice. The RxNorm concepts that openFDA's NDC
records list for each product are now in the value sets (their sources there).
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import MYELOMA, SUBJECT, chart, igg, rid

RUNTIME = load_runtime(Settings())
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
AT = date(2026, 2, 10)


def _given(code: str, text: str) -> dict[str, object]:
    return {"resourceType": "MedicationAdministration", "id": rid("ma"), "status": "completed", "subject": SUBJECT,
            "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code}], "text": text},
            "effectiveDateTime": "2025-12-01"}


@pytest.mark.parametrize("code, text, myeloma", [
    ("2619438", "teclistamab-cqyv (TECVAYLI)", True),
    ("2637405", "epcoritamab-bysp (EPKINLY)", False),
    ("2639792", "glofitamab (COLUMVI)", False),
    ("2729436", "mosunetuzumab (LUNSUMIO VELO)", False),
    ("1987407", "axicabtagene ciloleucel (YESCARTA)", False),
    ("2387352", "brexucabtagene autoleucel (TECARTUS)", False),
    ("2479145", "lisocabtagene maraleucel (BREYANZI)", False),
    ("2594780", "ciltacabtagene autoleucel (CARVYKTI)", True),
    ("2700173", "obecabtagene autoleucel (AUCATZYL)", False),
])
def test_the_rxnorm_code_alone_dates_the_window(code: str, text: str, myeloma: bool) -> None:
    records = (_given(code, text), igg("2026-02-01", 3.1))
    bundle = chart(*records, dx=MYELOMA) if myeloma else chart(*records)
    [card] = replay(RUNTIME, bundle, at=AT, lang="en").cards
    assert card["source"]["topic"]["code"] == "start-substitution", card["summary"]
    assert "2025-12-01" in card["summary"] and "2026-06-01" in card["summary"], card["summary"]


def test_an_rxnorm_code_in_no_value_set_is_still_not_checked() -> None:
    [card] = replay(RUNTIME, chart(_given("9999999", "teclistamab (TECVAYLI)"), igg("2026-02-01", 3.1), dx=MYELOMA),
                    at=AT, lang="en").cards
    assert card["source"]["topic"]["code"] == "therapy-not-recognised"
