"""A no-growth statement about one named thing (the fungi, a virus, the other bottle) says nothing against a growth
reported beside it (guideline §4.3: a positive bacterial culture verifies; spec §7: data seen and not used is named).

A blood culture "Vækst" with "Svampe: Ingen vækst" (in its value, or in two components "Vækst" and "Svampe":
"Ingen vækst"), "Positiv" with "Svampe: Negativ", or "Aerob flaske: Vækst" with "Anaerob flaske: Ingen vækst" read
as no growth, with no note: the laboratory reported a growth (of a bacterium it did not name) and said only that no
fungi, or nothing in the other bottle, grew. Two J18.9 pneumonias each with such a culture, after the CAR-T
high-risk window with IgG 3.5 g/L, said "no severe/recurrent verified bacterial infection: Ig start not
recommended". Now such a no-growth statement negates only its subject, and the growth word reads as it does alone:
a growth of an organism no list knows, a bacterial culture's growth.

Chart: CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each with a blood culture that day; IgG
3.5 g/L on 2026-01-05; evaluated 2026-01-10.
"""

from __future__ import annotations

import pytest

from .test_culture_components import GROWTH, component_cards, part
from .test_culture_negation_scope import MET, NOT_MET, verdict
from .test_culture_text_unread import NOTE, cards, notes_of

BOTTLE = {"aerobic": {"text": "Aerob flaske"}, "anaerobic": {"text": "Anaerob flaske"}}

GROWN_TEXT = {  # a growth beside a no-growth statement about something else named: each verifies
    "growth, no fungi": "Vækst\nSvampe: Ingen vækst",
    "positive, fungi negative": "Positiv\nSvampe: Negativ",
    "growth in one bottle, none in the other": "Aerob flaske: Vækst\nAnaerob flaske: Ingen vækst",
    "growth, none in 1 of 2 bottles": "Vækst\nIngen vækst i 1 af 2 flasker",
    "growth, 1 of 2 bottles none": "Positiv\n1 af 2 flasker: Ingen vækst",
    "growth, no yeast": "Vækst\nNegativ for gær",
    "growth, no virus": "Vækst\nVirus: Ikke påvist",
    "growth, no Candida": "Vækst\nCandida ikke påvist",
    "English: growth, anaerobic bottle no growth": "Growth\nAnaerobic bottle: No growth",
}
GROWN_COMPONENTS = {
    "growth, no fungi": [part("Vækst", GROWTH), part("Ingen vækst", {"text": "Svampe"})],
    "positive, fungi negative": [part("Positiv", GROWTH), part("Negativ", {"text": "Svampe"})],
    "growth in one bottle, none in the other": [part("Vækst", BOTTLE["aerobic"]), part("Ingen vækst", BOTTLE["anaerobic"])],
}
NO_GROWTH = ["Ingen vækst", "Vækst: Ingen", "Ingen vækst af bakterier eller svampe", "Vækst\nIngen vækst",
             "Vækst\nIngen vækst af bakterier eller svampe", "Svampe: Ingen vækst", "Anaerob flaske: Ingen vækst",
             "Aerob flaske: Ingen vækst\nAnaerob flaske: Ingen vækst", "Vækst\nSvampe: Ingen vækst\nIngen vækst efter 5 døgn",
             "Dyrket 5 døgn\nSvampe: Ingen vækst"]


@pytest.mark.parametrize("text", list(GROWN_TEXT.values()), ids=list(GROWN_TEXT))
def test_a_growth_beside_a_no_growth_of_something_else_named_is_a_bacterial_growth(text: str) -> None:
    """Before: 'none' (the no-growth statement negated the whole text)."""
    assert verdict(valueString=text) == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("text", list(GROWN_TEXT.values())[:3], ids=list(GROWN_TEXT)[:3])
def test_two_pneumonias_with_such_a_culture_meet_the_general_criteria(text: str, lang: str) -> None:
    """Before: 'no-start-without-infections', with no note about the culture."""
    [found] = cards(text, lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"] and MET[lang][1] in found["detail"]
    assert NOTE[lang] not in notes_of(found)


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("name", list(GROWN_COMPONENTS))
def test_such_a_culture_in_its_components_meets_the_general_criteria(name: str, lang: str) -> None:
    """Before: 'no-start-without-infections', with no note; a component named a bottle ("Anaerob flaske": "Ingen
    vækst") was read as a bare "Ingen vækst" about the whole culture."""
    [found] = component_cards(GROWN_COMPONENTS[name], lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"] and MET[lang][1] in found["detail"]
    assert NOTE[lang] not in notes_of(found)


@pytest.mark.parametrize("text", NO_GROWTH)
def test_a_no_growth_about_the_whole_culture_stays_no_growth(text: str) -> None:
    assert verdict(valueString=text) == "none"


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("text", ["Ingen vækst af bakterier eller svampe", "Vækst\nIngen vækst"])
def test_two_pneumonias_with_no_growth_do_not_meet_the_criteria(text: str, lang: str) -> None:
    [found] = cards(text, lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


def test_a_yeast_beside_no_bacterial_growth_is_no_bacterial_growth() -> None:
    assert verdict(valueString="Vækst af Candida\nIngen bakterievækst") == "other"
    assert verdict(valueString="Vækst\nSvampe: Påvist") == "other"  # the growth there may be the fungus: as before
    assert verdict(component=[part("Ingen vækst", BOTTLE["aerobic"]), part("Ingen vækst", BOTTLE["anaerobic"])]) == "none"


def test_an_organism_grown_in_one_bottle_is_read_as_before() -> None:
    assert verdict(valueString="Aerob flaske: Escherichia coli\nAnaerob flaske: Ingen vækst") == "bacterial"
    assert verdict(valueString="Aerob flaske: Staphylococcus epidermidis\nAnaerob flaske: Ingen vækst") == "contaminant"


# A growth word whose own clause says more, in words no list knows, beside a no-growth statement about the fungi or a
# bottle: the laboratory reported no growth (or a control, or a growth it describes elsewhere). Read as before rule 7
# (the no-growth statement negates the text), never as a bare growth of an unknown organism (second reading).
ANSWERED_NO = {
    "growth: no": "Vækst: nej\nSvampe: Ingen vækst",
    "growth after 5 days: no": "Vækst efter 5 døgn: nej\nSvampe: ingen vækst",
    "found: no": "Påvist: nej\nSvampe: ingen vækst",
    "growth: 0": "Vækst: 0\nSvampe: ingen vækst",
    "growth: -": "Vækst: -\nSvampe: ingen vækst",
    "not growth (ej)": "Ej vækst\nSvampe: Ingen vækst",
    "growth in 0 of 2 bottles": "Vækst i 0 af 2 flasker\nSvampe: ingen vækst",
    "positive control": "Positiv kontrol\nSvampe: Ingen vækst",
    "growth: no, other bottle none": "Aerob flaske: Vækst: nej\nAnaerob flaske: Ingen vækst",
    "growth: (no answer)": "Vækst:\nSvampe: Ingen vækst",
    "positive: (no answer), bottle": "Positiv: \nAnaerob flaske: Negativ",
}
GROWN_WITH_DETAIL = {  # the clause says only where or when it grew: still a growth
    "positive after 14 hours": "Positiv efter 14 timer\nSvampe: Ingen vækst",
    "growth in 1 of 2 bottles": "Vækst i 1 af 2 flasker\nSvampe: ingen vækst",
    "growth in the aerobic bottle": "Vækst i aerob flaske\nIngen vækst i anaerob flaske",
}


@pytest.mark.parametrize("text", list(ANSWERED_NO.values()), ids=list(ANSWERED_NO))
def test_a_growth_word_answered_in_words_no_list_knows_is_no_bare_growth(text: str) -> None:
    """Before this reading: 'bacterial' (rule 7 read 'Vækst' alone and dropped the rest of its clause)."""
    assert verdict(valueString=text) == "none"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_with_growth_answered_no_do_not_meet_the_criteria(lang: str) -> None:
    """Before: 'Ig may be started (general criteria)' on two cultures reporting 'Vækst: nej'."""
    [found] = cards("Vækst: nej\nSvampe: Ingen vækst", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


@pytest.mark.parametrize("text", list(GROWN_WITH_DETAIL.values()), ids=list(GROWN_WITH_DETAIL))
def test_a_growth_word_with_its_bottle_or_time_is_still_a_bare_growth(text: str) -> None:
    assert verdict(valueString=text) == "bacterial"


# The same answers alone, with no statement about the fungi: the laboratory reported no growth. Before: 'bacterial'
# ('Vækst' read alone, 'nej' and '0 af 2' being no words of the lists).
@pytest.mark.parametrize("text", ["Vækst: nej", "Vækst efter 5 døgn: nej", "Påvist: Nej", "Ej vækst",
                                  "Vækst i 0 af 2 flasker", "Growth in 0 of 2 bottles"])
def test_a_growth_field_answered_no_or_counted_none_is_no_growth(text: str) -> None:
    assert verdict(valueString=text) == "none"


@pytest.mark.parametrize(("text", "expected"), [
    ("Vækst i 1 af 2 flasker", "bacterial"), ("Vækst i 10 af 12 flasker", "bacterial"),
    ("Escherichia coli påvist\nMRSA: nej", "bacterial"), ("Vækst af E. coli. ESBL: nej", "bacterial")])
def test_a_growth_beside_a_marker_answered_no_still_verifies(text: str, expected: str) -> None:
    assert verdict(valueString=text) == expected
