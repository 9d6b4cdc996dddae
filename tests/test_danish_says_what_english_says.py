"""Every Danish text means what its English means: the advice catalogue, the data notes, the suggestion labels, the
card's fact lines and the explanation page's words, read side by side.

Faults this holds: a drafted bispecific that "opens" (Danish) where it "would open" (English) a new window, though a
draft has not been given; the last polyclonal IgG without its "last" ("; polyklonalt 3,0 g/L"); a restart called
"genstart", "genoptager" (resumes) and "genopstart" on different cards (the guideline's words: opstart, seponering, forsøges seponeret, pauseres); an order
"on hold" called "pauseret"; a draft order's title that dropped "draft"; an English "Medication" in Danish."""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from typing import Any

import pytest

from cds_service.cards import language, notes, suggestions, values
from cds_service.http import explain_page
from cql_like_rules import catalogue
from cql_like_rules.catalogue import CAVEATS, Text

MODULES = (catalogue, notes, values, language, suggestions, explain_page)


def _walk(name: str, obj: Any, depth: int = 0) -> Iterator[tuple[str, Text]]:
    if isinstance(obj, Text):
        yield name, obj
    elif depth > 4:
        return
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from _walk(f"{name}.{key}", value, depth + 1)
    elif isinstance(obj, (tuple, list)):
        for i, value in enumerate(obj):
            yield from _walk(f"{name}[{i}]", value, depth + 1)
    elif isinstance(obj, catalogue.AdviceKind):
        yield f"{name}.title", obj.title
        for variant, v in obj.variants.items():
            for part in ("summary", "decision", "action"):
                yield f"{name}[{variant}].{part}", getattr(v, part)


def _pairs() -> dict[str, Text]:
    found: dict[str, Text] = {}
    seen: set[int] = set()
    for module in MODULES:
        for attr, obj in vars(module).items():
            if not attr.startswith("__"):
                for name, text in _walk(f"{module.__name__}.{attr}", obj):
                    if id(text) not in seen:  # a table imported by another module is read once
                        seen.add(id(text))
                        found[name] = text
    return found


PAIRS = _pairs()


def _fields(text: str) -> list[str]:
    return sorted({field for _, field, _, _ in string.Formatter().parse(text) if field is not None})


def _words(text: str) -> str:
    """The text's own words: no placeholders, no quoted EHR text."""
    return re.sub(r"“[^”]*”", "", re.sub(r"\{[^}]*\}", "", text))


def test_the_texts_are_found():
    assert len(PAIRS) > 400  # the catalogue, notes, fact lines, labels and the explanation page's words


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_every_placeholder_of_the_english_is_in_the_danish(name):
    text = PAIRS[name]
    assert _fields(text.en) == _fields(text.da), (text.en, text.da)


# English words a Danish sentence never needs ("for", "start", "at", "to", "status" are Danish too)
ENGLISH = re.compile(r"\b(the|and|of|with|without|from|was|were|is|are|not|no|order|orders|draft|window|stop|days?|"
                     r"months?|left|old|today|last|latest|Medication|record|dose|doses|restart|review|would|will|"
                     r"on|by|in)\b")


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_no_english_word_is_left_in_danish_text(name):
    text = PAIRS[name]
    if text.da == text.en:  # a name or code both languages share ("IVIG", "Medicinrådet 2025")
        return
    assert not ENGLISH.findall(_words(text.da)), text.da


# English term -> the Danish term that must stand beside it (the guideline's own words where it has them)
TERMS = [
    (r"\bstop attempt\b|\battempt the stop\b", r"seponeringsforsøg|forsøg seponering|seponering forsøges|forsøges "
                                               r"seponering"),
    (r"\bstop date\b", r"seponeringsdato"),
    (r"\brestart", r"genopstart"),
    (r"\bon hold\b", r"i bero"),
    (r"\bdraft", r"udkast"),
    (r"\b(last|latest)\b", r"seneste|sidste"),
    (r"\bguideline's\b|\bthe guideline\b", r"vejledning"),
]


# A summary with no room for the longer word: "seponeringsdato" would push it past 140 characters with long values
# (its T0 would go), so it keeps "stopdato", which the guideline's "stopkriterier" also uses.
NO_ROOM = {("cql_like_rules.catalogue.CATALOGUE.order-meets-criteria[window-ends-earlier].summary", r"\bstop date\b")}


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_a_term_of_the_english_is_said_in_the_danish_the_same_way_everywhere(name):
    text = PAIRS[name]
    for english, danish in TERMS:
        if re.search(english, _words(text.en), re.I) and (name, english) not in NO_ROOM:
            assert re.search(danish, _words(text.da), re.I), (english, text.en, text.da)


@pytest.mark.parametrize("word", [r"\bgenstart", "genoptager et forløb, der sluttede", "retningslinje",
                                  r"\bstoppet\b", r"\bMedication\b"])
def test_no_danish_text_uses_a_word_the_others_do_not(word):
    """One Danish word for one thing: genopstart (not genstart), seponeringsdato, vejledning, seponeret or ophørt."""
    used = [(name, t.da) for name, t in PAIRS.items() if re.search(word, _words(t.da))]
    assert not used, used


def test_a_drafted_therapy_would_open_a_window_in_danish_too():
    """A draft has not been given: the English says it would open a new window, the Danish must not say it opens one
    ("åbner") but that it would ("ville åbne")."""
    text = CAVEATS["therapy-drafted-with-it"]
    assert "would open" in text.en
    assert "ville åbne" in text.da and "åbner" not in text.da


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_a_conditional_in_english_is_a_conditional_in_danish(name):
    text = PAIRS[name]
    if re.search(r"\bwould\b", text.en):
        assert re.search(r"\bville\b", text.da), (text.en, text.da)
