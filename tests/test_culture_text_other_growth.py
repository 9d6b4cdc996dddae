"""A culture's text that names an organism no list knows, then "nothing else grew", is named, not dropped in silence.

"Aerococcus urinae, ellers ingen vækst", "Dolosigranulum pigrum. Ingen anden vækst", "Dolosigranulum pigrum;
otherwise no growth": the laboratory reports a growth of an organism the value sets do not know, and says nothing
else grew. Before, the no-growth words read as the culture's answer (the unknown name is no word at all): no growth,
and no note, so a J18.9 pneumonia beside such a blood culture was silently not verified. Guideline §4.3 asks for a
VERIFIED bacterial infection, and spec §7 asks that data the rules saw and did not use be named: such a text now
reads as the text before "ellers ingen vækst" would alone (cds_service/fhir/culture_text.py rule 6), so it is not
read (`culture-text-unread`): no verification, and the card names it. A known organism before the phrase grew
("E. coli, ellers ingen vækst", before read as no growth); the phrase alone ("Ingen anden vækst", "No other growth",
before a growth) is no growth, with no note.

Chart (as tests/test_culture_text_unread.py): CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each
with a blood culture that day; IgG 3.5 g/L on 2026-01-05; evaluated 2026-01-10.
"""

from __future__ import annotations

import pytest

from .test_culture_negation_scope import MET, NOT_MET, RUNTIME, verdict
from .test_culture_text_unread import NOTE, READ_IT, cards, notes_of

from cds_service.fhir.culture_text import growth_in

OTHER_UNKNOWN = ["Aerococcus urinae, ellers ingen vækst", "Dolosigranulum pigrum. Ingen anden vækst",
                 "Dolosigranulum pigrum; otherwise no growth", "Dolosigranulum pigrum, ingen øvrig vækst",
                 "Dolosigranulum pigrum. No other growth"]


@pytest.mark.parametrize("text", OTHER_UNKNOWN)
def test_an_unknown_organism_then_nothing_else_grew_is_unread(text: str) -> None:
    read = growth_in(RUNTIME.terminology, text)
    assert read.unread and not read.grew and not read.named


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("text", OTHER_UNKNOWN[:3])
def test_two_such_pneumonias_do_not_meet_the_general_criteria_and_are_named(text: str, lang: str) -> None:
    """Before: 'no-start-without-infections' with no note: the cultures' reported growth had vanished."""
    [found] = cards(text, lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"] and MET[lang][0] not in found["summary"]
    shown = notes_of(found)
    assert NOTE[lang] in shown and READ_IT[lang] in shown


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("text", ["E. coli, ellers ingen vækst", "Escherichia coli; otherwise no growth",
                                  "Vækst af Dolosigranulum pigrum, ellers ingen vækst"])
def test_a_growth_before_nothing_else_grew_still_verifies(text: str, lang: str) -> None:
    """Before, "E. coli, ellers ingen vækst" and "Vækst af Dolosigranulum pigrum, ellers ingen vækst" read as no
    growth (the phrase negated its whole statement); "nothing else grew" says nothing against what is named."""
    [found] = cards(text, lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"] and NOTE[lang] not in notes_of(found)


@pytest.mark.parametrize("text", ["Ingen vækst", "Ingen anden vækst", "Ingen vækst efter 5 døgn", "No other growth",
                                  "Ingen vækst af andre bakterier"])
def test_no_growth_alone_stays_no_growth_without_the_note(text: str) -> None:
    [found] = cards(text)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOTE["en"] not in notes_of(found)


@pytest.mark.parametrize(("text", "expected"), [
    ("E. coli, ellers ingen vækst af Candida", "bacterial"),  # the phrase still negates the names after it (rule 1)
    ("Candida albicans, ellers ingen vækst", "other"),
    ("Staphylococcus epidermidis, ellers ingen vækst", "contaminant"),
    ("Ingen vækst af Candida, ellers ingen vækst", "none"),
    ("Dolosigranulum pigrum. Ingen anden vækst", "none"),
])
def test_what_else_did_not_grow_leaves_the_rest_of_the_text_as_it_reads(text: str, expected: str) -> None:
    assert verdict(valueString=text) == expected
