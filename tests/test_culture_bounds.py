"""Where a culture's statement ends: a component is its own statement, a history is no growth, and a name wrapped in
capitals is one name.

Chart as in test_culture_text_unread: CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each with a
blood culture that day; IgG 3.5 g/L on 2026-01-05; evaluated 2026-01-10: two verified bacterial infections make the
card "Ig may be started (general criteria)", none "Ig start not recommended" (guideline §4.3: a VERIFIED bacterial
infection counts).
"""

from __future__ import annotations

import pytest

from .test_culture_negation_scope import MET, NOT_MET, verdict
from .test_culture_text_unread import cards

# -- a name wrapped between its genus and its species in a report printed in capitals
CAPITALS_NOT_GROWN = ["INGEN VÆKST AF STAPHYLOCOCCUS\nAUREUS", "INGEN VÆKST AF ESCHERICHIA\nCOLI",
                      "IKKE PÅVIST: STAPHYLOCOCCUS\nAUREUS"]
# capitals over capitals that are no genus over its species: two lines, as before
CAPITALS_TWO_LINES = ["INGEN VÆKST\nE. COLI", "INGEN VÆKST\nMRSA", "INGEN VÆKST\nSTAPHYLOCOCCUS AUREUS",
                      "VÆKST AF STAPHYLOCOCCUS\nAUREUS", "Ingen vækst af STAPHYLOCOCCUS\naureus isoleret"]


@pytest.mark.parametrize("text", CAPITALS_NOT_GROWN)
def test_a_name_wrapped_in_capitals_is_one_name(text: str) -> None:
    """Before: 'bacterial' ("AUREUS" read on a line of its own, after a no-growth line that named nothing), where
    the same text in small letters ("Ingen vækst af Staphylococcus\\naureus") was no growth."""
    assert verdict(valueString=text) == "none"


@pytest.mark.parametrize("text", CAPITALS_TWO_LINES)
def test_capitals_that_are_no_wrapped_name_keep_their_growth(text: str) -> None:
    assert verdict(valueString=text) == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_say_no_s_aureus_in_capitals_do_not_meet_the_general_criteria(lang: str) -> None:
    """Before: 'Ig may be started (general criteria)' on two cultures that grew no S. aureus."""
    [found] = cards("INGEN VÆKST AF STAPHYLOCOCCUS\nAUREUS", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_grew_s_aureus_in_capitals_meet_the_general_criteria(lang: str) -> None:
    [found] = cards("VÆKST AF STAPHYLOCOCCUS\nAUREUS", lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"]
