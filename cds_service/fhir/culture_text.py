"""What a culture's text says grew: the words of a result reported as text, read into a growth and a verdict.

Danish laboratories report a culture's organism as text ("Escherichia coli", "Ingen vækst") in
Observation.valueString, valueCodeableConcept.text or a note. Whether the culture grew a bacterium decides
whether an infection beside it is a verified bacterial infection (guideline §4.3; clinical-rules §7).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from cql_like_rules.valuesets import Terminology

# The words a result's text names things with are value-set data (`text_words`, valuesets/README.md), so that a site
# adds a local organism name or a Danish spelling in its own file: organism (bacteria, likely contaminants, yeasts and
# moulds: `kind`, `contaminant_often` as the codes), result-interpretation ("Ingen vækst", "Negativ": `result`),
# m-protein (the heavy chain "IgG kappa" or a light chain: `isotype`) and igg-serum (names that are not total IgG).
CULTURE_WORDS = ("organism", "result-interpretation")
# Where a culture's text starts a new statement ("Vækst af E. coli. Ingen vækst af Candida"): a semicolon, a line, or
# a full stop before a capital letter (not the one in "E. coli").
_CLAUSE_END = re.compile(r"[;\n]|\.\s+(?=[A-ZÆØÅ])")


@dataclass(frozen=True)
class Growth:
    """What a culture's text says grew: `grew` when it reports a growth; `named` the attributes (kind,
    contaminant_often) of every organism it names as grown. A statement with a no-growth word ("ingen vækst af
    Candida", "Negativ for MRSA") grew none of the organisms it names."""

    grew: bool
    named: tuple[Mapping[str, Any], ...]


def growth_in(t: Terminology, text: str) -> Growth:
    """Read a culture's text. With no no-growth word any text is a growth (an organism the word lists do not know,
    "Achromobacter xylosoxidans", is still one); with one, only organisms named in other statements grew."""
    if not text.strip():
        return Growth(False, ())
    found = t.words_in(text, *CULTURE_WORDS)
    # A full stop inside a word ("S. Aureus") ends no statement.
    clause_ends = [m.start() for m in _CLAUSE_END.finditer(text)
                   if not any(w.start <= m.start() < w.end for w in found)]

    def clause(position: int) -> int:
        return sum(1 for end in clause_ends if end < position)

    negatives = [m for m in found if m.valueset == "result-interpretation" and m.get("result") == "negative"]
    # A no-growth word joined by a hyphen to the word before it is that word's result, not the statement's: "MRSA-
    # negativ" grew no MRSA, but "E. coli, ESBL-negativ" and "Gramnegative stave, oxidase-negative" grew the bacterium.
    joined = [m for m in negatives if _hyphen_joined(text, m.start)]
    not_grown = {o.start for m in joined for o in found if o.valueset == "organism" and o.end == m.start - 1}
    negated = {clause(m.start) for m in negatives if m not in joined}
    named = tuple(m.attributes for m in found if m.valueset == "organism" and clause(m.start) not in negated
                  and m.start not in not_grown)
    return Growth(bool(named) if negated or not_grown else True, named)


def _hyphen_joined(text: str, start: int) -> bool:
    """A word at `start` joined by a hyphen to a word before it ("ESBL-negativ")."""
    return start >= 2 and text[start - 1] == "-" and (text[start - 2].isalnum())


def bacterial_verdict(named: Iterable[Mapping[str, Any]]) -> str:
    """'bacterial' when any organism grown is a bacterium that is not a likely contaminant (guideline §4.3: the culture
    grew a bacterium, whatever grew beside it); 'contaminant' when the bacteria are all likely contaminants, or
    a Gram stain's words ("stain": a bacterium, not which one) stand beside a contaminant's name that may be the
    organism it saw (a Gram-negative stain beside Gram-positive contaminants is a second organism: 'bacterial');
    'other' when only yeasts, moulds or viruses grew; '' when no organism is known."""
    kinds = [(a.get("kind"), bool(a.get("contaminant_often")), bool(a.get("stain"))) for a in named]
    if ("bacterial", False, False) in kinds:
        return "bacterial"
    stains = [a for a in named if a.get("kind") == "bacterial" and a.get("stain")]
    if ("bacterial", True, False) in kinds:
        # a stain counts beside contaminants only when none of them can be the organism it saw: Gram-negative rods
        # beside coagulase-negative staphylococci (Gram-positive) are a second organism
        contaminants = [a for a in named if a.get("kind") == "bacterial" and a.get("contaminant_often")]
        seen_apart = any(s.get("gram") and all(c.get("gram") and c.get("gram") != s.get("gram") for c in contaminants)
                         for s in stains)
        return "bacterial" if seen_apart else "contaminant"
    if stains:
        return "bacterial"
    return "other" if kinds else ""
