"""Where a history word's statement ends, when a name in capitals is wrapped, and a history never silent.

Chart as in test_culture_text_unread: CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each with a
blood culture that day; IgG 3.5 g/L on 2026-01-05; evaluated 2026-01-10: two verified bacterial infections make the
card "Ig may be started (general criteria)", none "Ig start not recommended" (guideline §4.3).
"""

from __future__ import annotations

import pytest

from .test_culture_bounds import culture_notes, noted_cards
from .test_culture_components import part
from .test_culture_negation_scope import MET, NOT_MET, verdict
from .test_culture_text_unread import cards

# -- capitals: a genus over a line that begins a name of its own is two statements, as in small letters
CAPITALS_NAME_BELOW = ["SVAMPE: INGEN VÆKST AF CANDIDA\nESCHERICHIA COLI",
                       "INGEN VÆKST AF STAPHYLOCOCCUS AUREUS\nPSEUDOMONAS AERUGINOSA",
                       "INGEN VÆKST AF CANDIDA\nKLEBSIELLA PNEUMONIAE",
                       # a yeast's genus over a bacterium's: no genus and its species, whatever follows
                       "INGEN VÆKST AF CANDIDA\nKLEBSIELLA", "SVAMPE: INGEN VÆKST AF CANDIDA\nENTEROCOCCUS"]
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


# -- capitals: a word that is no name's first word over a line about the fungi is no genus over its species
OVER_THE_FUNGI_GREW = ["POSITIV EFTER 14 TIMER\nSVAMPE: INGEN VÆKST", "VÆKST AF AEROCOCCUS URINAE\nSVAMPE: INGEN VÆKST",
                       "VÆKST I 1 AF 2 FLASKER\nSVAMPE: INGEN VÆKST", "VÆKST I 1 AF 2 FLASKER\nSVAMPE INGEN VÆKST",
                       "INGEN VÆKST AF STAPHYLOCOCCUS AUREUS\nENTEROCOCCUS"]
OVER_THE_FUNGI_UNREAD = ["VÆKST: SE KOMMENTAR\nSVAMPE: INGEN VÆKST", "DYRKET 5 DØGN\nSVAMPE: INGEN VÆKST",
                         "AEROCOCCUS URINAE\nSVAMPE: INGEN VÆKST", "POSITIV KONTROL\nSVAMPE: INGEN VÆKST"]


@pytest.mark.parametrize("text", OVER_THE_FUNGI_GREW)
def test_a_growth_in_capitals_over_a_line_about_the_fungi_still_grows(text: str) -> None:
    """Before: 'none' (the last word of the line, "TIMER" or "URINAE", read as a genus over the species "SVAMPE", so
    the fungi's no growth reached the growth above). In small letters it grew, as on the rules before capitals."""
    assert verdict(valueString=text) != "none"
    assert verdict(valueString=text.capitalize()) != "none"


@pytest.mark.parametrize("text", OVER_THE_FUNGI_UNREAD)
def test_a_text_in_capitals_over_a_line_about_the_fungi_is_still_named_unread(text: str) -> None:
    """Before: a silent no growth; the rules could not read it, and said so, in small letters and before capitals."""
    assert [kind for kind, _ in culture_notes({"valueString": text})] == ["culture-text-unread"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_are_positive_in_capitals_beside_the_fungi_meet_the_general_criteria(
        lang: str) -> None:
    """"POSITIV EFTER 14 TIMER" over "SVAMPE: INGEN VÆKST". Before: 'Ig start not recommended', nothing named."""
    [found] = cards("POSITIV EFTER 14 TIMER\nSVAMPE: INGEN VÆKST", lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"]


# -- a history word's statement: a new statement of what grew after it is this culture's
AFTER_A_HISTORY = ["Tidligere vækst af S. aureus og nu vækst af Escherichia coli",
                   "Tidligere vækst af S. aureus - nu også vækst af Escherichia coli",
                   "Previous growth of MRSA and now growth of Escherichia coli"]
# all history, as before
ONLY_A_HISTORY = ["Tidligere S. aureus isoleret", "Tidligere vækst af S. aureus og E. coli",
                  "Tidligere MRSA og VRE påvist", "Tidligere påvist S. aureus og E. coli"]


@pytest.mark.parametrize("text", AFTER_A_HISTORY)
def test_a_growth_said_after_a_history_in_one_sentence_is_this_cultures(text: str) -> None:
    """Before: 'none' (the history word reached every word to the end of its sentence, the current E. coli too)."""
    assert verdict(valueString=text) == "bacterial"
    assert verdict(valueString="Vækst: se kommentar", note=[{"text": text}]) == "bacterial"


@pytest.mark.parametrize("text", ONLY_A_HISTORY)
def test_a_history_that_says_nothing_new_stays_history(text: str) -> None:
    assert verdict(valueString=text) == "none"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_grew_e_coli_after_a_history_meet_the_general_criteria(lang: str) -> None:
    """Before: 'Ig start not recommended' on two cultures that grew E. coli."""
    [found] = cards("Tidligere vækst af S. aureus og nu vækst af Escherichia coli", lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_deferred_comment_grew_e_coli_after_a_history_meet_the_general_criteria(
        lang: str) -> None:
    [found] = noted_cards("Vækst: se kommentar", "Tidligere vækst af S. aureus - nu også vækst af Escherichia coli",
                          lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"


# -- a bacterium the result names only in what is read as a history is named, beside anything else it reads
EARLIER_NOTE = {"en": "a culture (2025-12-01) names a bacterium only in what is read as an earlier finding",
                "da": "en dyrkning (2025-12-01) nævner kun en bakterie i det, der læses som et tidligere fund"}
EARLIER_NOTES = {"en": "2 cultures name a bacterium only in what is read as an earlier finding: not counted; check "
                       "the results",
                 "da": "2 dyrkninger nævner kun en bakterie i det, der læses som et tidligere fund: medregnes ikke; "
                       "tjek svarene"}
# a no growth read beside a statement read as a history: the history was silent
BESIDE_A_HISTORY = ["MRSA ikke påvist. Telefoneret tidligere i dag: Vækst af Staphylococcus aureus",
                    "Ingen vækst af MRSA. Previously reported: growth of Staphylococcus aureus",
                    "Ingen vækst. Tidligere vækst af S. aureus (2024)"]


@pytest.mark.parametrize("text", BESIDE_A_HISTORY)
def test_a_result_naming_a_bacterium_only_in_a_history_says_so(text: str) -> None:
    """Before: no growth and nothing named (the other statement was read, so the text was no unread one)."""
    assert verdict(valueString=text) == "none"
    assert [kind for kind, _ in culture_notes({"valueString": text})] == ["culture-result-names-earlier"]


def test_a_history_beside_this_cultures_growth_is_not_named() -> None:
    for text in ("Vækst af Escherichia coli. Tidligere vækst af S. aureus (2024)",
                 "Kendt MRSA-bærer, nu vækst af Escherichia coli"):
        assert verdict(valueString=text) == "bacterial"
        assert culture_notes({"valueString": text}) == []
    # only a history: named as unread, as before, not twice
    assert [k for k, _ in culture_notes({"valueString": "Tidligere vækst af S. aureus"})] == ["culture-text-unread"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_name_s_aureus_only_as_reported_earlier_say_so(lang: str) -> None:
    """"MRSA ikke påvist. Telefoneret tidligere i dag: Vækst af Staphylococcus aureus": the reader takes "tidligere"
    for a history and does not count the S. aureus; before, the card said 'Ig start not recommended' and nothing
    else. It still does, and now names the cultures, for the clinician to read."""
    [found] = cards(BESIDE_A_HISTORY[0], lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]
    assert EARLIER_NOTES[lang] in found["detail"]



# -- the history word's abbreviation: its full stop ends no statement
ABBREVIATED = ["Tidl. MRSA-positiv", "Tidl. Staphylococcus aureus (2024)", "Tidl. Vækst af S. aureus (2024)",
               "Pt. tidl. MRSA-bærer"]


@pytest.mark.parametrize("text", ABBREVIATED)
def test_an_abbreviated_history_before_a_capital_is_no_growth_of_this_culture(text: str) -> None:
    """Before: 'bacterial' (the full stop of "Tidl." before a capital letter ended the statement, so the history word
    reached nothing and the earlier organism was read as this culture's growth)."""
    assert verdict(valueString=text) == "none"
    assert verdict(valueString="Vækst: se kommentar", note=[{"text": text}]) == "none"


def test_a_line_or_a_text_after_an_abbreviated_history_is_its_own() -> None:
    assert verdict(valueString="Tidl.\nVækst af Escherichia coli") == "bacterial"
    assert verdict(valueString="Tidl. MRSA. Vækst af Escherichia coli") == "bacterial"
    assert verdict(component=[part("Tidl.", {"text": "Resultat"}), part("Vækst af Escherichia coli", {"text": "Resultat"})]) \
        == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_comment_names_only_an_abbreviated_history_do_not_meet_the_general_criteria(
        lang: str) -> None:
    """"Vækst: se kommentar" with the comment "Tidl. Staphylococcus aureus (2024)". Before: 'Ig may be started
    (general criteria)' on the S. aureus of 2024."""
    [found] = noted_cards("Vækst: se kommentar", "Tidl. Staphylococcus aureus (2024)", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


# -- a history whose first clause says nothing yet (a date, what it is about) reaches the growth of the next clause
DATED = ["Tidligere (2024): vækst af S. aureus", "Previous culture (2024): growth of Staphylococcus aureus",
         "Tidligere, i 2024, vækst af S. aureus"]


@pytest.mark.parametrize("text", DATED)
def test_a_history_whose_growth_follows_a_bracket_or_comma_is_no_growth_of_this_culture(text: str) -> None:
    """Before: 'bacterial' (the growth word of the clause after "(2024)" ended the history before it reached
    anything)."""
    assert verdict(valueString=text) == "none"
    assert verdict(valueString="Vækst: se kommentar", note=[{"text": text}]) == "none"


def test_a_growth_after_a_history_that_said_something_is_still_this_cultures() -> None:
    for text in ("Tidligere ingen vækst, nu vækst af Escherichia coli", "Tidligere negativ, nu vækst af Escherichia coli",
                 "Kendt MRSA-bærer, nu vækst af Escherichia coli",
                 "Tidligere vækst af S. aureus (2024), nu vækst af Escherichia coli"):
        assert verdict(valueString=text) == "bacterial", text


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_comment_names_only_a_dated_history_do_not_meet_the_general_criteria(lang: str) -> None:
    """"Vækst: se kommentar" with "Previous culture (2024): growth of Staphylococcus aureus". Before: 'Ig may be
    started (general criteria)'."""
    [found] = noted_cards("Vækst: se kommentar", "Previous culture (2024): growth of Staphylococcus aureus", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]
