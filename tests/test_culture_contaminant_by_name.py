"""A blood culture that names a coagulase-negative staphylococcus in words is a likely contaminant, as its code is.

Danish laboratories report the organism a culture grew as text ("Staphylococcus hominis"). The organism value
set marks the coagulase-negative staphylococci as `contaminant_often` (S. epidermidis, haemolyticus, hominis,
capitis, warneri), but the reader's list of contaminant names knew only S. epidermidis and "coagulase-negative"
written without a space: a pneumonia coded without its organism (J18.9) beside a blood culture reporting
"Staphylococcus hominis" counted as a severe verified bacterial infection after the window ("general start
criteria met"), where the same culture coded SNOMED CT 44827007 did not count.

The words that say a culture grew nothing caught "negative" in an organism's name: "Gram negative rods" (a
bacteraemia) was read as a negative culture, and the pneumonia beside it was not verified; "Koagulase negative
stafylokokker" was read as no growth rather than as a likely contaminant.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .test_therapy_known_by_name import CONFIRMED, SUBJECT, chart

RUNTIME = load_runtime(Settings())
CAR_T = {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
         "performedDateTime": "2025-03-03", "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]}}
PNEUMONIA = {"resourceType": "Condition", "id": "pneu", "subject": SUBJECT, "verificationStatus": CONFIRMED,
             "onsetDateTime": "2025-12-01",
             "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4.12", "code": "DJ189", "display": "Pneumoni UNS"}]}}


def blood_culture(grew: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "bc", "status": "final", "subject": SUBJECT,
            "effectiveDateTime": "2025-12-01", "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "NPU17191"}]},
            **grew}


def card(grew: dict[str, Any]) -> dict[str, Any]:
    [found] = replay(RUNTIME, chart(CAR_T, PNEUMONIA, blood_culture(grew)), at=date(2026, 1, 10)).cards
    return found  # type: ignore[no-any-return]


def advice(grew: dict[str, Any]) -> str:
    return str(card(grew)["source"]["topic"]["code"])


@pytest.mark.parametrize("text", ["Staphylococcus hominis", "Staphylococcus haemolyticus", "Staphylococcus capitis",
                                  "Staphylococcus warneri", "Koagulase negative stafylokokker",
                                  "Staphylococcus, coagulase negative"])
def test_a_contaminant_named_in_words_verifies_no_infection(text):
    """Before: start-meets-general-criteria ("Severe bacterial infection 2025-12-01 (positive blood culture)")."""
    assert advice({"valueString": text}) == "no-start-without-infections"


def test_the_coded_organism_and_its_name_agree():
    coded = {"valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "44827007"}]}}
    assert advice(coded) == advice({"valueString": "Staphylococcus hominis"}) == "no-start-without-infections"


@pytest.mark.parametrize("text", ["Staphylococcus aureus", "Staphylococcus lugdunensis", "Escherichia coli"])
def test_a_pathogen_named_in_words_still_verifies_it(text):
    assert advice({"valueString": text}) == "start-meets-general-criteria"


@pytest.mark.parametrize("text", ["Gram negative rods", "Gram negative stave", "Gram-negative rods", "Gramnegative stave"])
def test_gram_negative_rods_are_a_growth_not_a_negative_culture(text):
    """Before, with a space: no-start-without-infections ("no bacterial code or positive culture: not counted")."""
    found = card({"valueString": text})
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert "positive blood culture 2025-12-01" in found["detail"]


@pytest.mark.parametrize("text", ["Koagulase negative stafylokokker", "Staphylococcus hominis"])
def test_the_card_says_the_culture_grew_a_likely_contaminant(text):
    assert "a culture (2025-12-01) grew normal flora or a likely contaminant: not counted" in card({"valueString": text})["detail"]


@pytest.mark.parametrize("text", ["Negativ", "Ingen vækst", "No growth"])
def test_a_culture_that_grew_nothing_is_still_negative(text):
    assert advice({"valueString": text}) == "no-start-without-infections"
