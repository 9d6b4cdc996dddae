"""When a name in capitals is wrapped over two lines.

Chart as in test_culture_text_unread: CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each with a
blood culture that day; IgG 3.5 g/L on 2026-01-05; evaluated 2026-01-10: two verified bacterial infections make the
card "Ig may be started (general criteria)", none "Ig start not recommended" (guideline §4.3).
"""

from __future__ import annotations

import pytest

from .test_culture_negation_scope import MET, verdict
from .test_culture_text_unread import cards

# -- capitals: a genus over a line that begins a name of its own is two statements, as in small letters
CAPITALS_NAME_BELOW = ["SVAMPE: INGEN VÆKST AF CANDIDA\nESCHERICHIA COLI",
                       "INGEN VÆKST AF STAPHYLOCOCCUS AUREUS\nPSEUDOMONAS AERUGINOSA",
                       "INGEN VÆKST AF CANDIDA\nKLEBSIELLA PNEUMONIAE"]
# a species wrapped below its genus, the statement going on after it: one name, no growth
CAPITALS_SPECIES_BELOW = ["INGEN VÆKST AF STAPHYLOCOCCUS\nAUREUS ELLER ESCHERICHIA COLI",
                          "INGEN VÆKST AF STAPHYLOCOCCUS\nAUREUS, ESCHERICHIA COLI",
                          "INGEN VÆKST AF STAPHYLOCOCCUS\nAUREUS (MRSA)", "STAPHYLOCOCCUS\nAUREUS IKKE PÅVIST",
                          "INGEN VÆKST AF ESCHERICHIA\nCOLI."]


@pytest.mark.parametrize("text", CAPITALS_NAME_BELOW)
def test_a_name_below_a_genus_in_capitals_is_a_name_of_its_own(text: str) -> None:
    """Before: 'none' (the next line's first word, a genus the lists know, read as the species of the name above, so
    the no growth above reached the bacterium below). The same text in small letters grew it."""
    assert verdict(valueString=text) == "bacterial"
    assert verdict(valueString=text.title()) == "bacterial"


@pytest.mark.parametrize("text", CAPITALS_SPECIES_BELOW)
def test_a_species_wrapped_in_capitals_with_more_of_the_statement_after_it_is_one_name(text: str) -> None:
    assert verdict(valueString=text) == "none"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_grew_e_coli_below_a_candida_line_in_capitals_meet_the_general_criteria(
        lang: str) -> None:
    """"SVAMPE: INGEN VÆKST AF CANDIDA" over "ESCHERICHIA COLI". Before: 'Ig start not recommended', nothing named."""
    [found] = cards("SVAMPE: INGEN VÆKST AF CANDIDA\nESCHERICHIA COLI", lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"]

