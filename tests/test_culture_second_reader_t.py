"""A second reading of the culture readings of test_culture_second_readers: the charts that must NOT change.

Chart as in test_culture_second_readers: CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each with a
blood culture that day; IgG 3.5 g/L on 2026-01-05; evaluated 2026-01-10 (after the high-risk window: the general
criteria decide). Guideline §4.3: only a VERIFIED bacterial infection counts; spec §7: a result the rules cannot read
is named, never counted.
"""

from __future__ import annotations

import pytest

from typing import Any

from .test_culture_components import GROWTH, POS, component_cards, part
from .test_culture_negation_scope import NOT_MET, verdict
from .test_culture_second_readers import assert_named_not_met
from .test_culture_text_unread import NOTE, cards, notes_of

# -- a no-growth phrase wrapped over two lines, its first line no word of its own, is still one phrase
WRAPPED = ["Ikke\npåvist", "Ikke\nvækst", "Ej\nvækst", "No\ngrowth", "Not\ndetected", "Bakterier: Ikke\npåvist",
           "Ingen\nvækst af Escherichia coli", "Bloddyrkning: Ingen\nvækst af Staphylococcus aureus",
           "Ingen vækst\nefter 5 døgn", "Ingen vækst efter\n5 døgn", "Ingen\nvækst"]


@pytest.mark.parametrize("text", WRAPPED)
def test_a_no_growth_phrase_wrapped_over_two_lines_is_still_no_growth(text: str) -> None:
    """Before: 'bacterial' for the first eight (each line read alone: "påvist", "vækst" a bare growth of a bacterium;
    "Ingen" alone did not reach the E. coli the next line said grew)."""
    assert verdict(valueString=text) == "none"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_with_a_wrapped_not_found_do_not_meet_the_general_criteria(lang: str) -> None:
    """Before: 'start-meets-general-criteria' ("Ig may be started") on two cultures that grew nothing."""
    [found] = cards("Ikke\npåvist", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"] and NOTE[lang] not in notes_of(found)


# -- a growth field answered no growth, nothing, or a control: the same reading alone and beside the fungi
@pytest.mark.parametrize("text", ["Vækst: 0", "Vækst: -", "Vækst: nul", "Aerob flaske: Vækst: 0"])
@pytest.mark.parametrize("fungi", ["", "\nSvampe: Ingen vækst"])
def test_a_growth_field_answered_no_growth_is_no_growth(text: str, fungi: str) -> None:
    """Before: alone 'bacterial' (the field's name read as a growth of an unknown bacterium)."""
    assert verdict(valueString=text + fungi) == "none"


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("fungi", ["", "\nSvampe: Ingen vækst"])
def test_two_pneumonias_with_growth_answered_0_do_not_meet_the_general_criteria(fungi: str, lang: str) -> None:
    """Before: alone 'Ig may be started (general criteria)'; beside the fungi a 'result the rules cannot read' note."""
    [found] = cards("Vækst: 0" + fungi, lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"] and NOTE[lang] not in notes_of(found)


@pytest.mark.parametrize("text", ["Vækst:", "Positiv:", "Positiv kontrol", "Vækst: ja"])
@pytest.mark.parametrize("fungi", ["", "\nSvampe: Ingen vækst"])
@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_growth_field_answered_with_nothing_or_a_control_is_named_alone_as_beside_the_fungi(
        text: str, fungi: str, lang: str) -> None:
    """Before: alone 'Ig may be started (general criteria)' on two cultures that reported no growth of the sample."""
    assert verdict(valueString=text + fungi) == "none"
    [found] = cards(text + fungi, lang)
    assert_named_not_met(found, lang, text.rstrip(":"))


@pytest.mark.parametrize("text", ["Vækst", "Sparsom vækst", "Positiv", "Vækst af Dolosigranulum",
                                  "Positiv efter 14 timer", "Vækst i 1 af 2 flasker", "Vækst\nSvampe: Ingen vækst"])
def test_a_growth_said_is_still_a_growth(text: str) -> None:
    assert verdict(valueString=text) == "bacterial"


# -- a finding component's coded POS decides only a text the reader cannot read; a control is no finding
def judged(value: str, code: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**(part(value, code) if code else part(value)), "interpretation": POS}


POS_BESIDE_NO_GROWTH: dict[str, list[dict[str, Any]]] = {
    "internal control positive": [part("Ingen vækst"), judged("Positiv", {"text": "Intern kontrol"})],
    "another test positive": [part("Ingen vækst"), judged("Positiv", {"text": "Luftvejs-PCR"})],
    "no growth coded positive": [judged("Ingen vækst")],
    "what was looked for, coded positive": [judged("Undersøgt for Staphylococcus aureus")],
}


@pytest.mark.parametrize("name", list(POS_BESIDE_NO_GROWTH))
def test_a_component_coded_positive_beside_a_text_that_says_nothing_grew_is_no_growth(name: str) -> None:
    """Before: 'bacterial' (the component's POS read as the Observation's: a growth of an unknown bacterium). Before
    the component reading: 'none'."""
    assert verdict(component=POS_BESIDE_NO_GROWTH[name]) == "none"


def test_a_component_coded_positive_still_decides_a_text_the_reader_cannot_read() -> None:
    assert verdict(component=[judged("Svar ved afdelingen")]) == "bacterial"
    assert verdict(component=[judged("Candida albicans")]) == "other"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_with_no_growth_beside_a_positive_control_do_not_meet_the_general_criteria(lang: str) -> None:
    """Before: 'start-meets-general-criteria' on two cultures that grew nothing."""
    [found] = component_cards(POS_BESIDE_NO_GROWTH["internal control positive"], lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_with_a_positive_control_beside_an_unread_text_are_named(lang: str) -> None:
    """A control's "Positiv" is the laboratory's check, not the sample's growth. Before (on main too):
    'start-meets-general-criteria' (the control's "Positiv" read as a bare growth of an unknown bacterium)."""
    assert verdict(component=[part("Positiv", {"text": "Intern kontrol"})]) == "none"
    [found] = component_cards([part("Svar ved afdelingen"), part("Positiv", {"text": "Intern kontrol"})], lang)
    assert_named_not_met(found, lang, "Svar ved afdelingen")


# -- a growth deferred to a comment that names only what was looked for is not read, and named
COMMENT = {"text": "Kommentar"}


def test_a_growth_deferred_to_a_comment_naming_only_what_was_looked_for_is_no_growth() -> None:
    """Before: 'bacterial' (the comment's "Undersøgt for S. aureus" read with the result, S. aureus as grown)."""
    assert verdict(component=[part("Vækst: se kommentar", GROWTH),
                              part("Undersøgt for Staphylococcus aureus", COMMENT)]) == "none"
    assert verdict(component=[part("Vækst: se kommentar", GROWTH), part("Staphylococcus aureus", COMMENT)]) \
        == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_with_a_growth_deferred_to_a_question_are_named(lang: str) -> None:
    """Before: 'start-meets-general-criteria'."""
    [found] = component_cards([part("Vækst: se kommentar", GROWTH),
                               part("Undersøgt for Staphylococcus aureus", COMMENT)], lang)
    assert_named_not_met(found, lang, "Vækst: se kommentar")


# -- what was asked for is no finding, beside a text or alone
@pytest.mark.parametrize("text", ["Undersøgt for Staphylococcus aureus\nSvampe: Ingen vækst",
                                  "Screening for Salmonella, Shigella og Campylobacter\nSvampe: Ingen vækst"])
def test_what_was_examined_for_beside_a_line_about_the_fungi_grew_nothing(text: str) -> None:
    """As alone (rule 5). Before (on main too): 'bacterial' for S. aureus (the question's name read as grown)."""
    assert verdict(valueString=text) == "none"
    assert verdict(valueString=text.split("\n")[0]) == "none"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_with_s_aureus_examined_for_beside_the_fungi_do_not_meet_the_general_criteria(
        lang: str) -> None:
    """Before: 'start-meets-general-criteria'."""
    [found] = cards("Undersøgt for Staphylococcus aureus\nSvampe: Ingen vækst", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


@pytest.mark.parametrize("name", ["Ønsket undersøgelse", "Bestilt analyse"])
def test_a_component_named_what_was_asked_for_is_no_finding(name: str) -> None:
    """Before (on main too): 'bacterial' (the request's S. aureus read as grown)."""
    assert verdict(component=[part("Ingen vækst"), part("Staphylococcus aureus", {"text": name})]) == "none"
