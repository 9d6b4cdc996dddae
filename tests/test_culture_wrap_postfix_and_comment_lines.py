"""A species in capitals with words after it, a history's organisms each with its own growth word, and a comment's
lines that name nothing.

Chart as in test_culture_text_unread: CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each with a
blood culture that day; IgG 3.5 g/L on 2026-01-05; evaluated 2026-01-10: two verified bacterial infections make the
card "Ig may be started (general criteria)", none "Ig start not recommended" (guideline §4.3).
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.tools.replay import replay

from .test_culture_bounds import culture_notes
from .test_culture_contaminant_by_name import CAR_T, PNEUMONIA, blood_culture
from .test_culture_negation_scope import MET, NOT_MET, RUNTIME, verdict
from .test_culture_text_unread import AT, bundle, cards
from .test_therapy_known_by_name import chart

# -- capitals: a species the lists know as a whole word, wrapped below its genus, with where or when after it
SPECIES_THEN_MORE = ["INGEN VÆKST AF STAPHYLOCOCCUS\nAUREUS EFTER 5 DØGN", "INGEN VÆKST AF STAPHYLOCOCCUS\nAUREUS I BLODKULTUR",
                     "IKKE PÅVIST: STAPHYLOCOCCUS\nAUREUS FRA CVK", "INGEN VÆKST AF ESCHERICHIA\nCOLI I URIN"]
# a genus below a genus begins a name of its own, whatever follows it: a growth, as in small letters
NAME_BELOW = ["INGEN VÆKST AF STREPTOCOCCUS\nESCHERICHIA COLI", "INGEN VÆKST AF STREPTOCOCCUS\nKLEBSIELLA PNEUMONIAE",
              "INGEN VÆKST AF STREPTOCOCCUS\nPSEUDOMONAS AERUGINOSA"]


@pytest.mark.parametrize("text", SPECIES_THEN_MORE)
def test_a_species_wrapped_in_capitals_with_where_or_when_after_it_is_one_name(text: str) -> None:
    """Before: 'bacterial' (a word after the species other than a conjunction or a growth word made the species line
    a name of its own, and "AUREUS" alone grew S. aureus). In small letters it was no growth, and so it is."""
    assert verdict(valueString=text) == "none"
    assert verdict(valueString="Ingen vækst af Staphylococcus\naureus efter 5 døgn") == "none"  # in small letters


@pytest.mark.parametrize("text", NAME_BELOW)
def test_a_genus_below_a_genus_in_capitals_is_still_a_name_of_its_own(text: str) -> None:
    assert verdict(valueString=text) == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_say_no_s_aureus_in_capitals_after_5_days_do_not_meet_the_general_criteria(
        lang: str) -> None:
    """"INGEN VÆKST AF STAPHYLOCOCCUS" over "AUREUS EFTER 5 DØGN". Before: 'Ig may be started (general criteria)' on
    two cultures that grew nothing, with nothing on the card."""
    [found] = cards("INGEN VÆKST AF STAPHYLOCOCCUS\nAUREUS EFTER 5 DØGN", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


# -- a history naming organisms each with its own growth word after it: all history
POSTFIX_HISTORY = ["Tidligere S. aureus påvist og E. coli påvist",
                   "Previously Staphylococcus aureus isolated and Escherichia coli isolated",
                   "Tidligere MRSA-positiv og E. coli påvist"]


@pytest.mark.parametrize("text", POSTFIX_HISTORY)
def test_a_history_whose_organisms_each_have_their_growth_word_stays_history(text: str) -> None:
    """Before: 'bacterial' (the growth word after S. aureus, with a name after it, was read as a new statement of
    what grew, so the earlier E. coli was this culture's)."""
    assert verdict(valueString=text) == "none"
    assert [kind for kind, _ in culture_notes({"valueString": text})] == ["culture-text-unread"]
    assert verdict(valueString="Vækst: se kommentar", note=[{"text": text}]) == "none"


def test_a_new_statement_of_what_grew_after_a_history_still_grows() -> None:
    for text in ("Tidligere S. aureus påvist, nu vækst af Escherichia coli",
                 "Tidligere vækst af S. aureus og nu vækst af Escherichia coli"):
        assert verdict(valueString=text) == "bacterial", text


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_name_only_earlier_isolates_do_not_meet_the_general_criteria(lang: str) -> None:
    """"Previously Staphylococcus aureus isolated and Escherichia coli isolated". Before: 'Ig may be started (general
    criteria)' on the earlier E. coli."""
    [found] = cards(POSTFIX_HISTORY[1], lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


# -- a history, then a word of this culture's time before the next name: what follows is this culture's
NOW_AFTER_HISTORY = ["Tidligere S. aureus isoleret og nu E. coli isoleret",
                     "Tidligere S. aureus påvist og aktuelt E. coli påvist",
                     "Previously S. aureus isolated and today E. coli isolated",
                     "Previously S. aureus isolated and currently E. coli isolated",
                     "Tidligere S. aureus og nu E. coli påvist"]


@pytest.mark.parametrize("text", NOW_AFTER_HISTORY)
def test_a_name_after_now_in_a_history_grew_in_this_culture(text: str) -> None:
    """Before: 'none', the text named unread (the growth word after S. aureus, said of it, kept the history going over
    "og nu E. coli isoleret"; the last, before this release too). "Now" begins this culture's statement."""
    assert verdict(valueString=text) == "bacterial"
    assert verdict(valueString="Vækst: se kommentar", note=[{"text": text}]) == "bacterial"


def test_a_history_then_now_and_no_growth_stays_no_growth() -> None:
    for text in ("Tidligere S. aureus isoleret og nu ingen vækst af E. coli", "Tidligere påvist S. aureus og nu ikke påvist",
                 "Tidligere S. aureus påvist og E. coli påvist"):
        assert verdict(valueString=text) == "none", text


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_grew_e_coli_now_after_an_earlier_s_aureus_meet_the_general_criteria(
        lang: str) -> None:
    """"Tidligere S. aureus isoleret og nu E. coli isoleret" on both blood cultures. Before: 'Ig start not
    recommended', with the two results only named unread."""
    [found] = cards(NOW_AFTER_HISTORY[0], lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    summary, episodes_line = MET[lang]
    assert summary in found["summary"] and episodes_line in found["detail"]


# -- a line of no word (a dash, a star, nothing) below a line that leads on: still led on
LED_OVER_NO_WORD = ["Ingen vækst af\n-\nEscherichia coli", "Ingen vækst af\n\nEscherichia coli",
                    "Ingen vækst af\n***\nEscherichia coli", "Ikke påvist:\n\nEscherichia coli", "Ingen\n\nEscherichia coli"]


@pytest.mark.parametrize("text", LED_OVER_NO_WORD)
def test_a_line_of_no_word_below_a_line_that_leads_on_ends_no_statement(text: str) -> None:
    """Before: 'bacterial', with nothing on the card (the line of no word ended the statement "Ingen vækst af" led
    into, so E. coli was read alone, a growth); sent a line a note under "Vækst: se kommentar", "-" and "***" too, as
    every line of a comment is now kept. No growth, as without the line between."""
    assert verdict(valueString=text) == "none"
    assert verdict(valueString="Vækst: se kommentar", note=[{"text": n} for n in text.split("\n")]) == "none"


def test_a_line_of_no_word_below_a_statement_of_its_own_still_ends_it() -> None:
    assert verdict(valueString="Ingen vækst\n-\nEscherichia coli") == "bacterial"
    assert verdict(valueString="Ingen vækst\n\nEscherichia coli påvist") == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_say_no_growth_of_over_a_dash_do_not_meet_the_general_criteria(lang: str) -> None:
    """"Ingen vækst af" / "-" / "Escherichia coli". Before: 'Ig may be started (general criteria)' on two cultures
    that grew nothing."""
    [found] = cards(LED_OVER_NO_WORD[0], lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


# -- a comment sent a line a note: a line that names nothing is a line of it too
COMMENT_NONE = [["Ikke", "påvist"], ["No", "growth"], ["Screening for", "Escherichia coli"]]


@pytest.mark.parametrize("lines", COMMENT_NONE, ids=" / ".join)
def test_a_comments_line_that_names_nothing_still_joins_the_next(lines: list[str]) -> None:
    """"Vækst: se kommentar", the comment a line a note. Before: 'bacterial' (the first note names nothing the lists
    know and was dropped, so "påvist" or "E. coli" was read alone, a growth). As one note, no growth: not read, and
    named."""
    value = {"valueString": "Vækst: se kommentar", "note": [{"text": n} for n in lines]}
    assert verdict(**value) == "none"
    assert [kind for kind, _ in culture_notes(value)] == ["culture-text-unread"]
    assert verdict(valueString="Vækst: se kommentar", note=[{"text": "\n".join(lines)}]) == "none"


def test_a_comments_line_that_names_nothing_ends_no_statement_it_does_not_end() -> None:
    """"Ingen vækst af" / "anaerobe bakterier." / "Escherichia coli isoleret": before, 'none' (the middle note,
    naming nothing, was dropped, and "Ingen vækst af" reached the E. coli isolated). As one note: E. coli grew."""
    lines = ["Ingen vækst af", "anaerobe bakterier.", "Escherichia coli isoleret"]
    assert verdict(valueString="Vækst: se kommentar", note=[{"text": n} for n in lines]) == "bacterial"
    assert verdict(valueString="Vækst: se kommentar", note=[{"text": "\n".join(lines)}]) == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_deferred_comment_says_not_found_over_two_notes_do_not_meet_the_criteria(
        lang: str) -> None:
    """"Vækst: se kommentar", the comment "Ikke" then "påvist". Before: 'Ig may be started (general criteria)' on
    two cultures that grew nothing."""
    b = bundle("Vækst: se kommentar")
    for entry in b["entry"]:
        if entry["resource"]["id"].startswith("bc"):
            entry["resource"]["note"] = [{"text": "Ikke"}, {"text": "påvist"}]
    [found] = replay(RUNTIME, b, at=AT, lang=lang).cards
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


def test_a_result_of_two_isolates_in_one_field_still_grows_them() -> None:
    [found] = replay(RUNTIME, chart(CAR_T, PNEUMONIA, blood_culture({"component": [
        {"code": {"text": "Mikroorganisme"}, "valueString": "Ingen vækst"},
        {"code": {"text": "Mikroorganisme"}, "valueString": "Escherichia coli"}]})), at=date(2026, 1, 10)).cards
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"


# -- an organism named by a marker right after a name: no species of it, its result its own
MARKER_AFTER_NAME = ["Staphylococcus aureus MRSA negativ", "Vækst af Staphylococcus aureus MRSA ikke påvist",
                     "Growth of Staphylococcus aureus MRSA not detected", "Enterococcus faecium VRE negativ",
                     "Staphylococcus aureus MRSA-negativ"]


@pytest.mark.parametrize("text", MARKER_AFTER_NAME)
def test_a_marker_negative_after_the_name_it_marks_leaves_the_name_grown(text: str) -> None:
    """Before: 'none', with nothing on the card ("MRSA" after "Staphylococcus aureus" was read as a word of its name,
    and "negativ" negated both), as with a comma ("Staphylococcus aureus, MRSA negativ") the bacterium grew."""
    assert verdict(valueString=text) == "bacterial"


def test_a_list_of_a_name_and_a_marker_not_found_still_grew_nothing() -> None:
    for text in ("Staphylococcus aureus og MRSA ikke påvist", "MRSA VRE ikke påvist", "Ikke påvist: S. aureus MRSA",
                 "Ingen vækst af Staphylococcus aureus MRSA"):
        assert verdict(valueString=text) == "none", text


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_s_aureus_bacteraemias_not_mrsa_meet_the_general_criteria(lang: str) -> None:
    """"Staphylococcus aureus MRSA negativ" on both blood cultures. Before: 'Ig start not recommended', with nothing
    on the card."""
    [found] = cards(MARKER_AFTER_NAME[0], lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    summary, episodes_line = MET[lang]
    assert summary in found["summary"] and episodes_line in found["detail"]


# -- the marked organism's full name, then no growth with no growth said of it: the organism not found
MARKED_NOT_FOUND = ["Staphylococcus aureus MRSA ikke påvist", "Ingen vækst. Staphylococcus aureus MRSA ikke påvist",
                    "Staphylococcus aureus MRSA not detected", "Enterococcus faecium VRE ikke påvist"]


@pytest.mark.parametrize("text", MARKED_NOT_FOUND)
def test_a_marked_organism_not_found_with_no_growth_said_grew_nothing(text: str) -> None:
    """Only a marker's result ("MRSA negativ") or a growth said of the name ("Vækst af S. aureus MRSA ikke påvist")
    leaves the name grown; "Staphylococcus aureus MRSA ikke påvist" says the MRSA strain of S. aureus was not found."""
    assert verdict(valueString=text) == "none"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_found_no_mrsa_do_not_meet_the_general_criteria(lang: str) -> None:
    """"Ingen vækst. Staphylococcus aureus MRSA ikke påvist" on both blood cultures: 'Ig may be started (general
    criteria)' on cultures that grew nothing; now 'Ig start not recommended'."""
    [found] = cards(MARKED_NOT_FOUND[1], lang)
    assert NOT_MET[lang] in found["summary"]
