"""`Terminology.words_in` finds exactly what the one large regex of every word found, in time linear in the text.

The value sets' `text_words` used to be found by one alternation of every word (`reference_pattern` below, kept here
only as the reference), run with `finditer`: it tried every word at every place of the text, 34 ms a kilobyte, so a
request with a 1 MB culture text held a worker for half a minute. The search now tries, at each place a word may start,
only the words with that first character. These tests compare the two on every word of every value set in many
spellings and surroundings, the culture phrasings, every text of the fixtures, and thousands of generated texts
(Unicode case equivalences included: the Kelvin sign, a long s, a dotless i, a kappa symbol): the same WordMatch
tuples, in the same order.
"""

from __future__ import annotations

import json
import random
import re
from functools import cache
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest

from cds_service.fhir.culture_text import CULTURE_WORDS
from cql_like_rules.valuesets import WordMatch, _word_owners, _word_regex, load_terminology

from .test_culture_negation_scope import PHRASINGS

T = load_terminology()
ROOT = Path(__file__).resolve().parent.parent
WITH_WORDS = tuple(vs for vs in sorted(T.words) if T.words[vs])
# Every tuple of value sets the service searches, and all of them together (words of different sets side by side).
SEARCHED = [(vs,) for vs in WITH_WORDS] + [CULTURE_WORDS, WITH_WORDS]


def reference_pattern(words: Mapping[str, Mapping[str, Mapping[str, Any]]],
                      valueset_ids: tuple[str, ...]) -> tuple[re.Pattern[str], tuple[tuple[str, str], ...]] | None:
    """The search as it was: one regex for the words of some value sets, each word a group, longest first."""
    owners = [(vs, word) for vs in valueset_ids for word in words.get(vs, {})]
    if not owners:
        return None
    owners.sort(key=lambda o: len(o[1].rstrip("*")), reverse=True)
    return re.compile("|".join(f"({_word_regex(w)})" for _, w in owners), re.IGNORECASE), tuple(owners)


@cache
def _reference(valueset_ids: tuple[str, ...]) -> tuple[re.Pattern[str], tuple[tuple[str, str], ...]] | None:
    return reference_pattern(T.words, valueset_ids)


def reference(text: str, *valueset_ids: str) -> tuple[WordMatch, ...]:
    compiled = _reference(valueset_ids)
    if compiled is None or not text:
        return ()
    pattern, owners = compiled
    found = []
    for m in pattern.finditer(text):
        if m.lastindex is not None:
            vs, word = owners[m.lastindex - 1]
            found.append(WordMatch(m.start(), m.end(), vs, word, T.words[vs][word]))
    return tuple(found)


def assert_same(text: str, valueset_ids: tuple[str, ...]) -> None:
    T._words_of.clear()  # the search itself, not a cached answer
    assert T.words_in(text, *valueset_ids) == reference(text, *valueset_ids), (text[:200], valueset_ids)


def test_the_reference_orders_words_as_the_search_does():
    for ids in SEARCHED:
        compiled = _reference(ids)
        assert compiled is not None and compiled[1] == _word_owners(T.words, ids)


# How a word is written in a text: its case, its spaces, its open end.
def spellings(word: str) -> list[str]:
    bare = word.replace("*", "")
    out = {bare, bare.upper(), bare.title(), bare.capitalize(), bare.replace(" ", ""), bare.replace(" ", "-"),
           bare.replace(" ", ", "), bare.replace(" ", "  \n"), bare.replace(" ", " - ")}
    if word.endswith("*"):
        out |= {bare + "aemia", bare.upper() + "ER", bare + "-9", word.replace("*", "æ")}
    else:
        out |= {bare + "s", bare[:-1]}
    return sorted(out)


SURROUNDINGS = ["{}", "x{}", "{}x", "Vækst af {}, ikke påvist", "({})", "{}-negativ", "ESBL-{}", "{}.", "1{}", "_{}",
                "ikke {} isoleret; {}", "{} {}"]


@pytest.mark.parametrize("valueset", WITH_WORDS)
def test_every_word_in_many_spellings_and_surroundings(valueset):
    for word in T.words[valueset]:
        text = " ; ".join(s.format(v, v) for v in spellings(word) for s in SURROUNDINGS)
        assert_same(text, (valueset,))  # words of other sets side by side: the fixtures' and generated texts
        for piece in (s.format(v, v) for v in spellings(word)[:4] for s in SURROUNDINGS[:6]):
            assert_same(piece, (valueset,))


def test_the_culture_phrasings():
    for text, *_ in PHRASINGS:
        for ids in SEARCHED:
            assert_same(text, ids)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def test_every_text_of_the_fixtures():
    texts = sorted({s for path in sorted((ROOT / "fhir_fixtures").glob("*.json"))
                    for s in _strings(json.loads(path.read_text(encoding="utf-8"))) if any(c.isalpha() for c in s)})
    assert len(texts) > 500
    for ids in (CULTURE_WORDS, WITH_WORDS):
        for text in texts:
            assert_same(text, ids)


# Characters a text may hold beside the words: Danish letters, Unicode case equivalents of ASCII letters (the Kelvin
# sign, a long s, a dotless i, a dotted capital I, a kappa symbol, Greek capitals), spacing and punctuation.
ODD = ["K", "ſ", "ı", "İ", "ϰ", "Κ", "Λ", "κ", "λ", "ß", "æ", "ø", "å", "Æ", "\u00a0", "\t", "\n", "-", ",", ".", ";",
       "(", ")", "*", "_", "0", "9", "é", "ﬆ"]
FILLER = ["af", "vækst", "ikke", "blod", "og", "eller", "stave", "spp", "aeruginosa", "albicans", "pneumoniae", "sp"]


def _generated(rnd: random.Random, words: list[str]) -> str:
    pieces = []
    for _ in range(rnd.randint(1, 8)):
        roll = rnd.random()
        if roll < 0.45:
            piece = rnd.choice(spellings(rnd.choice(words)))
            if rnd.random() < 0.3:  # a case equivalent in place of a letter
                piece = piece.replace("k", "K").replace("s", "ſ").replace("i", "ı").replace("κ", "ϰ")
        elif roll < 0.7:
            piece = rnd.choice(FILLER)
        else:
            piece = "".join(rnd.choices(ODD, k=rnd.randint(1, 3)))
        pieces.append(piece)
        pieces.append(rnd.choice(["", " ", "  ", ", ", "-", "\n", " - "]))
    return "".join(pieces)


def test_thousands_of_generated_texts():
    rnd = random.Random(20261201)
    words = sorted(w for vs in WITH_WORDS for w in T.words[vs])
    for _ in range(2000):
        text = _generated(rnd, words)
        for ids in (CULTURE_WORDS, WITH_WORDS, (rnd.choice(WITH_WORDS),)):
            assert_same(text, ids)


def test_a_case_equivalent_first_letter_is_found_as_before():
    """"Klebsiella" with a Kelvin sign, "ſtaphylococcus" with a long s: the old regex found them, so does the search."""
    for text in ("Klebsiella pneumoniae", "ſtaphylococcus epidermidis", "Κ-lette kæder", "ϰ", "İngen vækst"):
        assert T.words_in(text, *WITH_WORDS) == reference(text, *WITH_WORDS) != ()
