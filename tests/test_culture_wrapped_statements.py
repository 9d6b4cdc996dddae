"""A culture's statement printed over several lines is read as one statement.

Chart as in test_culture_second_readers: CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each with a
blood culture that day; IgG 3.5 g/L on 2026-01-05; evaluated 2026-01-10 (the general criteria decide). Guideline §4.3:
only a VERIFIED bacterial infection counts. Each line read as a statement of its own left the names below a
no-growth header outside its reach, so they grew: "Ikke påvist:" over "E. coli" verified an infection.
"""

from __future__ import annotations

import pytest

from .test_culture_negation_scope import MET, NOT_MET, verdict
from .test_culture_text_unread import cards

# a line that leads into the next (colon, "af"/"for"), a lone negation, a line going on from the one before, a list
# led into over lines: every name below is one the laboratory says did NOT grow
NOT_GROWN = ["Ingen vækst af\nStaphylococcus aureus", "Negativ\nfor Staphylococcus aureus",
             "Ingen\nsignifikant vækst af Escherichia coli", "Ikke påvist:\nEscherichia coli",
             "Ikke påvist:\nEscherichia coli\nKlebsiella pneumoniae", "No growth of\nStaphylococcus aureus",
             "Not detected:\nStaphylococcus aureus\nStreptococcus pneumoniae"]

# layouts whose lines are statements of their own, or a header over its own answer: the growth stays a growth
GROWN = ["Anaerob flaske:\nIngen vækst\nAerob flaske:\nVækst af Escherichia coli",
         "Ikke påvist:\nCandida albicans\nVækst af Escherichia coli", "Påvist:\nEscherichia coli\nIkke påvist:\nCandida",
         "Resultat:\nVækst af Staphylococcus aureus", "Vækst af\nEscherichia coli",
         "Ikke påvist:\nCandida\nEscherichia coli isoleret"]


@pytest.mark.parametrize("text", NOT_GROWN)
def test_a_no_growth_statement_over_several_lines_reaches_the_names_below(text: str) -> None:
    """Before: 'bacterial' for each (the names' line read alone, after a no-growth statement that named nothing)."""
    assert verdict(valueString=text) == "none"


@pytest.mark.parametrize("text", GROWN)
def test_lines_that_are_statements_of_their_own_keep_their_growth(text: str) -> None:
    assert verdict(valueString=text) == "bacterial"


def test_an_empty_field_over_a_field_of_its_own_is_not_joined_to_it() -> None:
    """"Vækst:" over "Svampe: Ingen vækst": the empty answer is not read (named), not "Vækst: Svampe: Ingen vækst"."""
    assert verdict(valueString="Vækst:\nSvampe: Ingen vækst") == "none"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_list_what_was_not_found_do_not_meet_the_general_criteria(lang: str) -> None:
    """Before: 'Ig may be started (general criteria)' on two cultures the laboratory said grew no E. coli."""
    [found] = cards("Ikke påvist:\nEscherichia coli\nKlebsiella pneumoniae", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_grew_below_a_bottle_header_meet_the_general_criteria(lang: str) -> None:
    [found] = cards("Anaerob flaske:\nIngen vækst\nAerob flaske:\nVækst af Escherichia coli", lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"]


# A list below a header goes on only through lines of names only, of one sort: a name below a line that is a statement
# of its own is the next finding, a bacterium below a list of fungi is no fungus, and a marker's list ("MRSA", "ESBL")
# never leads to an organism (as on one line: "Staphylococcus aureus, MRSA ikke påvist" grew S. aureus).
STILL_GROWN = ["Mikroskopi:\nIngen bakterier set\nEscherichia coli", "Anaerob flaske:\nIngen vækst\nEscherichia coli",
               "Resultat:\nIngen vækst\nEscherichia coli", "Gramfarvning:\nIkke påvist\nEscherichia coli",
               "Aerob flaske:\nIngen vækst efter 5 døgn\nStaphylococcus aureus", "Svampe:\nIngen vækst\nEscherichia coli",
               "Ingen vækst i 1 af\n2 flasker\nEscherichia coli", "Svampe: Ingen vækst af\nCandida\nEscherichia coli",
               "Gær: Ingen vækst af\nCandida albicans\nStaphylococcus aureus",
               "Svampe ikke påvist:\nCandida\nEscherichia coli", "Negativ for:\nMRSA\nStaphylococcus aureus",
               "Ikke påvist:\nESBL\nEscherichia coli", "Ikke påvist:\nCandida\nBakterier: Escherichia coli",
               "Blodkultur 1: Ingen vækst af\nCandida\nBlodkultur 2: Escherichia coli"]

# ...and a list of names only of one sort still reaches its last line
STILL_NOT_GROWN = ["Ikke påvist:\nEscherichia coli\nKlebsiella pneumoniae\nStaphylococcus aureus",
                   "Ikke påvist:\nMRSA\nVRE", "Ingen vækst af\nStaphylococcus aureus eller Escherichia coli\nKlebsiella"]


@pytest.mark.parametrize("text", STILL_GROWN)
def test_a_name_below_a_statement_of_its_own_or_a_list_of_another_sort_grew(text: str) -> None:
    """Before: 'none' (or a fungus grown) for each: the list below the header was carried on through a line that was
    no list of names ('Ingen bakterier set', '2 flasker'), from fungi to a bacterium, or from a marker to an organism,
    so the bacterium the laboratory reports was read as not grown and the infection as not verified (§4.3)."""
    assert verdict(valueString=text) == "bacterial"


@pytest.mark.parametrize("text", STILL_NOT_GROWN)
def test_a_list_of_names_of_one_sort_below_a_header_is_not_grown(text: str) -> None:
    assert verdict(valueString=text) == "none"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_bacterium_below_a_microscopy_without_bacteria_verifies_the_infections(lang: str) -> None:
    """Before: 'no start without infections' on two cultures that grew E. coli below 'Mikroskopi:' over 'Ingen
    bakterier set'."""
    [found] = cards("Mikroskopi:\nIngen bakterier set\nEscherichia coli", lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"]


# A name wrapped between its genus and its species, and a list wrapped after its conjunction, are one statement with
# the no-growth words before them: read line by line, the species alone ("aureus", "coli") or the names after the
# conjunction grew.
WRAPPED_NOT_GROWN = ["Ingen vækst af Staphylococcus\naureus", "Ingen vækst af Escherichia\ncoli",
                     "Ingen vækst af Escherichia\ncoli og Klebsiella", "Ikke påvist:\nEscherichia\ncoli",
                     "Ingen vækst af Staphylococcus aureus eller\nEscherichia coli",
                     "No growth of Staphylococcus aureus or\nEscherichia coli", "Escherichia coli og\nCandida ikke påvist",
                     "Ingen vækst af Klebsiella\npneumoniae og Escherichia coli"]

# ...while a growth so wrapped stays a growth, and a name below a statement that ends in a word of its own is read alone
WRAPPED_GROWN = ["Vækst af Escherichia\ncoli", "Vækst af Staphylococcus\naureus\nIngen vækst af Candida",
                 "Vækst af Escherichia coli og\nKlebsiella pneumoniae", "Ingen vækst af Candida og\nVækst af Escherichia coli",
                 "Svampe: Ingen vækst\ncoli", "Escherichia coli,\nCandida ikke påvist",
                 "Ingen vækst i anaerob flaske\nescherichia coli i aerob"]


@pytest.mark.parametrize("text", WRAPPED_NOT_GROWN)
def test_a_name_or_list_wrapped_inside_a_no_growth_statement_is_not_grown(text: str) -> None:
    """Before: 'bacterial' for each (the wrapped half read as a line of its own)."""
    assert verdict(valueString=text) == "none"


@pytest.mark.parametrize("text", WRAPPED_GROWN)
def test_a_growth_wrapped_over_lines_stays_a_growth(text: str) -> None:
    assert verdict(valueString=text) == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_wrap_the_name_not_grown_do_not_meet_the_general_criteria(lang: str) -> None:
    """Before: 'Ig may be started (general criteria)' on cultures that grew no S. aureus ('Staphylococcus' over
    'aureus')."""
    [found] = cards("Ingen vækst af Staphylococcus\naureus", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]
