"""What a culture's text says grew: the words of a result reported as text, read into a growth and a verdict.

Danish laboratories report a culture's organism as text ("Escherichia coli", "Ingen vækst") in
Observation.valueString or valueCodeableConcept.text (read with the codings' displays). Whether the culture grew a bacterium decides
whether an infection beside it is a verified bacterial infection (guideline §4.3; clinical-rules §7).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any, Collection, Iterable, Mapping, Sequence

from cql_like_rules.record_words import only_defers
from cql_like_rules.valuesets import Terminology, WordMatch

# The words a culture's text names things with are value-set data (`text_words`, valuesets/README.md), so that a site
# adds a local organism name or a Danish spelling in its own file: organism (bacteria, likely contaminants, yeasts and
# moulds: `kind`, `contaminant_often` as the codes; markers such as ESBL or oxidase: `marker`) and result-interpretation
# (no-growth words "Ingen vækst", "Negativ": `result: negative`; growth words "Vækst af", "isoleret": `positive`).
CULTURE_WORDS = ("organism", "result-interpretation")


def culture_words(t: Terminology, text: str, bounds: Collection[int] = ()) -> tuple[WordMatch, ...]:
    """The culture words a text names; a word of an `upper_case` group (organism.json: "GAS", group A streptococci)
    only where the text writes it in capitals, since in lower or mixed case it is an ordinary word ("gas",
    "Gas gangrene", "luft og gas i flasken"). Each line is read alone, so a phrase of the value sets does not span a
    line break where its first line ends in a word of its own said of a name on that line: "Gær: Ingen\nVækst" is
    no yeast and a growth, not "Ingen vækst" (a layout's line is a statement). Any other phrase over a break ("Ikke\n
    påvist", "No\ngrowth", "Ingen\nvækst af E. coli") is one phrase wrapped over two lines, and read as one: its
    second half alone would be a growth, and a no growth read as a growth counts an infection not verified (§4.3).
    No phrase spans a line break in `bounds`: the end of one of a culture's texts (its value's, a component's, a
    note's: `joined`), each its own statement."""
    found = _words_by_line(t, text)
    if "\n" in text:
        found = _wrapped_phrases(text, t.words_in(text, *CULTURE_WORDS), found, bounds)
    if not any(m.get("upper_case") for m in found):
        return found
    return tuple(m for m in found if not m.get("upper_case") or _capitals_of_its_own(text, m.start, m.end))


def _words_by_line(t: Terminology, text: str) -> tuple[WordMatch, ...]:
    """The culture words of each line of a text read alone, at their places in the text."""
    found: list[WordMatch] = []  # a list, not a tuple grown line by line: that copied every word at every line
    at = 0
    for line in text.split("\n"):
        found += (m._replace(start=m.start + at, end=m.end + at) for m in t.words_in(line, *CULTURE_WORDS))
        at += len(line) + 1
    return tuple(found)


def _wrapped_phrases(text: str, whole: Iterable[WordMatch], by_line: tuple[WordMatch, ...],
                     bounds: Collection[int] = ()) -> tuple[WordMatch, ...]:
    """The words of a text by line (`by_line`), but a phrase of the whole text that spans a line break where the
    line before the break ends in no word of its own said of a name on that line ("Ikke\npåvist": "Ikke" is no
    word; "Ingen\nvækst af E. coli": "Ingen" is about no name) in place of the line words it covers."""
    wrapped, hard = [], set(bounds)
    for m in whole:
        breaks = [k for k in range(m.start, m.end) if text[k] == "\n"]
        if breaks and not any(k in hard or _said_of_a_name(text, k, by_line, m.start) for k in breaks):
            wrapped.append(m)
    if not wrapped:
        return by_line
    kept = [w for w in by_line if not any(m.start <= w.start < m.end or w.start <= m.start < w.end for m in wrapped)]
    return tuple(sorted((*kept, *wrapped), key=lambda w: (w.start, -w.end)))


def _said_of_a_name(text: str, at: int, by_line: tuple[WordMatch, ...], start: int) -> bool:
    """Whether the line ending at `at` ends in a word of its own (from `start` on) said of a name before it on that
    line ("Gær: Ingen", "Svampe: ingen"): a statement of its own, not a phrase wrapped over two lines ("Ingen" over
    "vækst af E. coli", "Bloddyrkning: Ingen" over "vækst")."""
    line_start = text.rfind("\n", 0, at) + 1
    return any(w.start >= start and w.end <= at and not text[w.end:at].strip()
               and any(v.valueset == "organism" and v.start >= line_start and v.end <= w.start for v in by_line)
               for w in by_line)


def _capitals_of_its_own(text: str, start: int, end: int) -> bool:
    """Whether a word is written in capitals where capitals set it apart: in a line with lower-case letters ("Vækst
    af GAS") or alone on its line ("GAS"). In a line written wholly in capitals ("BLODDYRKNING: GAS I FLASKEN",
    "INGEN VÆKST. GAS") every word is in capitals, so "GAS" there may be the ordinary word: not read."""
    if not text[start:end].isupper():
        return False
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start:line_end if line_end >= 0 else len(text)]
    rest = text[line_start:start] + text[end:line_end if line_end >= 0 else len(text)]
    return any(ch.islower() for ch in line) or not any(ch.isalpha() for ch in rest)


@dataclass(frozen=True)
class Growth:
    """What a culture's text says grew: `grew` when it reports a growth; `named` the attributes (kind,
    contaminant_often) of every organism it names as grown. An organism the text names only as not grown ("ingen
    vækst af Candida", "Negativ for MRSA", "Candida ikke påvist") is not among them."""

    grew: bool
    named: tuple[Mapping[str, Any], ...]
    # the text says nothing the reader knows: no organism, no word of growth or of no growth ("Svar ved afdelingen",
    # "Prøven hæmolyseret", "Dolosigranulum pigrum"): not read, so no growth and no verification (guideline §4.3)
    unread: bool = False
    # a growth said whose answer is deferred to a comment ("Vækst: se kommentar"): unread here; the comment names what
    # grew (facts.py reads the culture's notes then, as beside a positive interpretation)
    deferred: bool = False
    # the organisms the text names only in a statement about an earlier culture or a known carriage ("Tidligere
    # vækst af S. aureus (2024)", "Kendt MRSA-bærer"): not this culture's growth, kept to be shown
    earlier: tuple[Mapping[str, Any], ...] = ()
    # one of the culture's texts says nothing grew ("Vækst": "Ingen", "Ingen vækst") while another names an organism
    # grown ("Mikroorganisme": "Escherichia coli"): read as grown, each text its own statement; the caller names it
    contradicted: bool = False


def joined(parts: Iterable[str]) -> tuple[str, tuple[int, ...]]:
    """A culture's texts (its value's, each component's, its comments') as one text, a line each, and the line breaks
    between them: no statement, phrase or look at the words before a word crosses one (a component is its own
    statement: "Vækst": "Ingen" then "Mikroorganisme": "Escherichia coli" is no "Ingen ... E. coli")."""
    texts = [p for p in parts if p.strip()]
    bounds, at = [], -1
    for part in texts[:-1]:
        at += len(part) + 1
        bounds.append(at)
    return "\n".join(texts), tuple(bounds)


# What a word found in a culture's text is, for the grammar below.
ORGANISM, MARKER, NO, GREW = "organism", "marker", "no", "grew"
# Where a culture's text starts a new statement ("Vækst af E. coli. Ingen vækst af Candida"): a semicolon, a line, or
# a full stop before a capital letter (not the one in "E. coli").
_STATEMENT_END = re.compile(r"[;\n]|\.\s+(?=[A-ZÆØÅ])")
# Where a statement's comma-clause ends: a comma or a bracket ("Vækst af E. coli, Candida ikke påvist",
# "Staphylococcus aureus (MRSA-negativ)").
_CLAUSE_END = re.compile(r"[,()]")
# What may stand between two names of one list ("E. coli, Klebsiella eller Candida"): the words of a species
# ("Klebsiella pneumoniae"), commas and a conjunction; and the conjunctions that make a list of what precedes them.
# Grammar, not terminology: they stay here, not in the value sets a site extends (docs/clinical-logic.md, "Facts": the culture text reader).
_LIST_GAP = re.compile(r"[\w\s.,+&/]*")
_CONJUNCTION = re.compile(r"\b(?:og|eller|samt|and|or|nor)\b|[+&/]", re.IGNORECASE)
# What a culture was examined for, not what grew: a growth word right after "for" ("Undersøgt for vækst af Salmonella,
# Shigella og Campylobacter: Negativ", "Culture for growth of ...", "screened for growth of ...").
_EXAMINED_FOR = re.compile(r"(?<!\w)for\s+$", re.IGNORECASE)
# A name right after an examination's "for" (its genus may stand between: "Undersøgt for Staphylococcus aureus"): what
# was looked for. Only after a word for looking: "Resistensbestemmelse for E. coli" reports a growth's susceptibility.
# A no-growth phrase about what else grew: "ellers"/"otherwise"/"else" right before it ("E. coli, ellers ingen vækst",
# "otherwise no growth"), or "anden"/"øvrig"/"other"/"further" in it or right after its first word ("Ingen anden vækst",
# "Ingen vækst af andre bakterier", "No other growth"). After a text it says nothing against what that text names
# (rule 6). Grammar, as the conjunctions are: here, not in the value sets.
_OTHER_BEFORE = re.compile(r"(?<!\w)(?:ellers|otherwise|else|i øvrigt)\s*[:,]?\s*$", re.IGNORECASE)
_OTHER_AFTER = re.compile(r"\s*(?:(?:af|of)\s+)?(?:anden|andet|andre|øvrig|øvrige|other|others|further|yderligere)(?!\w)",
                          re.IGNORECASE)
_OTHER_IN = re.compile(r"(?<!\w)(?:anden|andet|andre|øvrig|øvrige|other|further|yderligere)(?!\w)", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")
# A bottle or a part of a specimen a statement is about ("Anaerob flaske: Ingen vækst", "Ingen vækst i 1 af 2
# flasker", "Aerobic bottle: No growth"): a no-growth word about it says nothing about the other bottle (rule 7).
_BOTTLE = (r"(?:\d+\s+(?:af|of|ud\s+af|out\s+of)\s+\d+\s+(?:blod)?(?:flasker|flasken?|bottles?|kolber|kolbe)"
           r"|(?:(?:an)?aerobe?|(?:an)?aerobic|(?:an)?aerob-?|pædiatrisk|paediatric|pediatric|første|anden|first|second)"
           r"\s*(?:blod(?:kultur)?)?(?:flaske|flasken|bottle|kolbe|kolben)(?:\s*(?:nr\.?\s*)?\d+)?"
           r"|(?:blod)?(?:flaske|bottle|kolbe)\s*(?:nr\.?\s*)?\d+)")
_BOTTLE_NAME = re.compile(rf"\s*{_BOTTLE}\s*", re.IGNORECASE)
_BOTTLE_BEFORE = re.compile(rf"{_BOTTLE}\s*[:\-–]?\s*$", re.IGNORECASE)
_BOTTLE_AFTER = re.compile(rf"\s*(?:i|in|fra|from)\s+(?:den\s+|the\s+|én\s+|one\s+)?{_BOTTLE}(?!\w)", re.IGNORECASE)
# Rule 7's bare growth word: what its comma-clause may say besides it, the bottle ("Aerob flaske: Vækst", "Vækst i 1
# af 2 flasker"; not "0 af 2") and when it grew ("Positiv efter 14 timer"), and the bounds of a comma-clause.
_GROWTH_PLACE = re.compile(rf"(?:(?:i|in|fra|from)\s+(?:den\s+|the\s+|én\s+|one\s+)?)?(?!0\s)(?<!\d){_BOTTLE}(?!\w)"
                           r"|(?:efter|after)\s+\d+(?:[.,]\d+)?\s*(?:timer|time|t|døgn|dage|dag|hours?|hrs?|h|days?)(?!\w)",
                           re.IGNORECASE)
_NOTHING_ELSE = re.compile(r"[\s:.!]*")
_GROWTH_OF = re.compile(r"^[^\S\n]+(?:af|of)[^\S\n]+[^\W\d_][^:]*$", re.IGNORECASE)  # "Vækst af Aerococcus urinae"
_CLAUSE_BOUND = re.compile(r"[;\n,()]|\.\s+(?=[A-ZÆØÅ])")
# What may stand between a no-growth word and the names it is about ("Ingen vækst af Candida", "Negativ for svampe",
# "Ikke påvist: Gær"): a word between ("Ingen vækst af bakterier eller svampe") makes them not its only subject.
_SUBJECT_GAP = re.compile(r"[\s:–-]*(?:(?:af|of|for)\s+)?", re.IGNORECASE)
_NAME_EXAMINED_FOR = re.compile(r"(?<!\w)(?:undersøgt|undersøgelse|screening|screenet|screened|testet|tested|examined|"
                                r"dyrkning|dyrket|culture|cultured|kultur)\s+for\s+(?:[^\W\d_]+\.?\s+)?$",
                                re.IGNORECASE)


@dataclass(frozen=True)
class _Word:
    """A word of a culture's text: what it is (ORGANISM, MARKER, NO, GREW), and its statement and comma-clause."""

    match: WordMatch
    role: str
    statement: int
    clause: int
    # a no-growth word about what ELSE grew, after a text (rule 6): "Aerococcus urinae, ellers ingen vækst"
    other: bool = False
    # where the culture's text it is in begins (`joined`): no look back at the words before it goes further
    part: int = 0

    @property
    def name(self) -> bool:
        return self.role in (ORGANISM, MARKER)

    @property
    def marker(self) -> bool:
        """A marker (ESBL, oxidase) or an organism named by a marker (MRSA, VRE): its result is about it alone."""
        return bool(self.match.get("marker"))


def growth_in(t: Terminology, text: str | Sequence[str]) -> Growth:
    """Read a culture's text: which organisms it says grew.

    With no no-growth word a text is a growth when it names an organism the lists know or says something grew (a
    growth word: "Vækst af Dolosigranulum", "Positiv"; "dyrket"/"cultured" only beside an organism the lists know,
    since "Dyrket 5 døgn" says how long it was cultured); a text that does neither is `unread` ("Svar ved
    afdelingen", "Se journal", "Prøven hæmolyseret", "Dolosigranulum pigrum": a name no list knows, with no word that
    it grew): no growth, which the caller names, since a reading we cannot make verifies no infection (guideline
    §4.3). With a no-growth word, only the organisms no negation reaches grew. Which names a negation
    reaches is a small grammar of order, within one statement (`_STATEMENT_END`) and its comma-clauses
    (`_CLAUSE_END`); the words are value-set data (`text_words`: organisms, markers such as ESBL with `marker`,
    no-growth words `result: negative`, growth words `result: positive`):

    1. A no-growth word BEFORE a name of its comma-clause negates that name and every name after it up to the
       statement's end or a growth word: "Ingen vækst af E. coli, Klebsiella eller Candida", "No growth of S. aureus,
       E. coli or Pseudomonas", "Ikke påvist: E. coli, Klebsiella", "Negativ for MRSA". It never reaches back:
       "Vækst af E. coli og ingen Candida" grew E. coli.
    2. A no-growth word right AFTER a name of its comma-clause (or joined to it by a hyphen) negates that name ("Candida
       ikke påvist", "ESBL negativ", "MRSA-negativ"), and the list it ends when the list's last link is a
       conjunction ("E. coli, Klebsiella og Candida ikke påvist"; a marker's list holds markers only, "MRSA og VRE
       ikke påvist"). A marker's result stops there: it never negates an organism ("E. coli, ESBL negativ" and
       "Staphylococcus aureus, MRSA ikke påvist", "Staphylococcus aureus MRSA negativ", "Vækst af S. aureus MRSA
       ikke påvist" grew the bacterium; "Staphylococcus aureus MRSA ikke påvist" alone did not). An organism's reaches the statement's other
       organisms before it too unless the laboratory says they grew: "Vækst af E. coli, Candida ikke påvist" grew
       E. coli; "E. coli, Candida ikke påvist" grew nothing.
    3. A no-growth word joined by a hyphen to a word that is no name ("urease-negativ") is the result of a test the
       lists do not know: it negates nothing.
    4. Any other no-growth word ("Ingen vækst", "Negativ", "Ingen vækst efter 5 døgn") negates every organism of its
       statement that the laboratory does not say grew.
    5. A text with no growth or no-growth word whose every name is what the culture was examined for ("Undersøgt for
       MRSA", "Screening for Salmonella, Shigella og Campylobacter") grew nothing (`_only_examined_for`).
    6. A no-growth word about what ELSE grew ("ellers"/"otherwise" before it, "anden"/"øvrig"/"other" in or after it:
       "E. coli, ellers ingen vækst", "Dolosigranulum pigrum. Ingen anden vækst", "No other growth") with text before
       it negates only the names after it (rule 1), never those before: the text before it reads as it would alone.
       "E. coli, ellers ingen vækst" grew E. coli, "Vækst af Dolosigranulum, ellers ingen vækst" grew an organism no
       list knows, and "Aerococcus urinae, ellers ingen vækst" (a name no list knows, no growth word) is `unread`:
       the laboratory reports a growth the reader cannot name, which verifies nothing and is named, not dropped in
       silence as a no growth. Alone ("Ingen anden vækst") it is a no-growth word as in rule 4.
    7. A no-growth word whose only subject is named and is no bacterium (a yeast, a mould, a virus: "Svampe: Ingen
       vækst", "Negativ for gær", "Candida ikke påvist") or is a bottle ("Anaerob flaske: Ingen vækst", "Ingen vækst
       i 1 af 2 flasker") negates only that subject: a growth word of a comma-clause that names nothing ("Vækst",
       "Positiv", "Aerob flaske: Vækst") reads as it would alone, a growth of an organism no list knows (a
       bacterial culture's growth, §4.3). "Ingen vækst", "Ingen vækst af bakterier eller svampe" and "Ingen
       bakterievækst" keep negating the whole text. A bare growth word beside viruses found only ("Vækst\nRSV
       påvist") is a growth of a bacterium not named (`_beside_a_virus`): a virus is never grown in a culture.
       What else the text says reads as it would alone ("Vækst af Aerococcus urinae" grew an organism no list knows);
       what is no bare growth there ("Vækst: se kommentar", "Positiv kontrol", "Aerococcus urinae") is `unread`.

    A growth word answered by a pointer to a comment ("Vækst: se kommentar") is `unread` and `deferred`: the caller
    reads what grew from the comment.

    A statement about an earlier culture ("Tidligere vækst af S. aureus (2024)", "Kendt MRSA-bærer") is not this
    culture's (`_earlier`): its words are set apart before the rules above, its organisms kept in `earlier` to be
    shown; a text that says nothing else is `unread`.

    An organism is said to have grown when a growth word stands before it in its statement with no no-growth word
    between ("Vækst af E. coli", "Growth of"), or after it in its comma-clause ("E. coli isoleret"). A growth word
    right after a no-growth word of its comma-clause is part of it ("Ingen signifikant vækst af E. coli"); one right
    after "for" names what the culture was examined for, and says nothing grew ("Undersøgt for vækst af Salmonella,
    Shigella og Campylobacter: Negativ").

    Why the last part of rule 2 and rule 4 stay strict: "E. coli, Candida ikke påvist" may be a list of two
    organisms not found, as "Ikke påvist: E. coli, Candida" is, and a laboratory that reports a growth says so. A
    growth read as none misses a verified infection (guideline §4.3), but a none read as a growth would count an
    infection that was not verified; the reading that does not hide a growth is chosen only where the text says an
    organism grew, otherwise the text keeps the reading it had before this grammar (its whole statement negated).
    """
    if isinstance(text, str):
        bounds: tuple[int, ...] = ()
    else:  # a culture's texts, each its own statements (`joined`)
        text, bounds = joined(text)
    if not text.strip():
        return Growth(False, ())
    words, statement_ends, earlier = _words(t, text, culture_words(t, text, bounds), bounds)
    growth = _growth(t, text, words, statement_ends)
    named_earlier = tuple(w.match.attributes for w in earlier if w.role == ORGANISM)
    return replace(growth, earlier=named_earlier) if named_earlier else growth


def _growth(t: Terminology, text: str, words: list[_Word], statement_ends: list[int]) -> Growth:
    """`growth_in` of a text's words (those about this culture) and its statement ends."""
    negated: set[int] = set()
    negation = False
    subjects = set()  # the statements whose no-growth word is about a named fungus, virus or bottle only (rule 7)
    said_none: set[int] = set()  # the statements a no-growth word says nothing grew in (rule 4)
    first = 0
    for last in range(len(words)):
        if last + 1 == len(words) or words[last + 1].statement != words[first].statement:
            general, of_a_subject, whole = _negate(text, words, list(range(first, last + 1)), negated)
            negation |= general
            if whole:
                said_none.add(words[first].statement)
            if of_a_subject:
                subjects.add(words[first].statement)
            first = last + 1
    if subjects and not negation:  # rule 7: only a fungus, a virus or a bottle said not grown
        # a statement that only names what the culture was examined for ("Undersøgt for S. aureus") grew nothing,
        # as it does alone (rule 5)
        examined = {w.statement for w in words if w.statement not in subjects
                    and _only_examined_for(text, [v for v in words if v.statement == w.statement])}
        named = _beside_a_virus(text, words, tuple(w.match.attributes for i, w in enumerate(words)
                                                   if w.role == ORGANISM and i not in negated
                                                   and w.statement not in examined))
        if named or _bare_growth(text, words):
            return Growth(True, named)
        # the rest of the text, read as it would be alone: what it says that is no bare growth ("Vækst: se
        # kommentar", "Positiv kontrol", "Aerococcus urinae") is not read, and named, never a silent no growth
        bounds = [-1, *statement_ends, len(text)]
        # each statement left its own (a list of texts): what the statements between joined nothing
        alone = growth_in(t, [text[bounds[k] + 1:bounds[k + 1]] for k in range(len(bounds) - 1) if k not in subjects])
        return Growth(False, (), unread=alone.grew or alone.unread, deferred=alone.deferred)
    if not negation and _only_examined_for(text, words):
        return Growth(False, ())  # "Undersøgt for MRSA", "Screening for Salmonella": what was looked for, no result
    if not negation and not any(w.name for w in words) and _answer_deferred(text, words):
        return Growth(False, (), unread=True, deferred=True)  # "Vækst: se kommentar": what grew is in a comment
    answered = _field_answers(text, words) if not negation and not any(w.name for w in words) else ""
    if answered == "none":
        return Growth(False, ())  # "Vækst: 0", "Vækst: -", "Vækst: nul": the field answered no growth
    if answered == "unread":
        return Growth(False, (), unread=True)  # "Vækst:", "Positiv kontrol", "Vækst: ja": an answer not read
    if not negation and not any(w.role == ORGANISM or w.role == GREW and w.match.get("alone") is not False
                                for w in words):
        return Growth(False, (), unread=True)  # no organism, no growth said: a text the reader does not know
    named = tuple(w.match.attributes for i, w in enumerate(words) if w.role == ORGANISM and i not in negated)
    if not negation:
        return Growth(True, _beside_a_virus(text, words, named))
    return Growth(bool(named), named, contradicted=_texts_disagree(words, negated, said_none))


def _texts_disagree(words: list[_Word], negated: set[int], said_none: set[int]) -> bool:
    """Whether one of a culture's texts (`joined`) says nothing grew, about nothing named (rule 4: "Ingen vækst",
    "Ingen"), while another names an organism grown that is no virus (a virus is found by a test, not grown): the
    laboratory says both. Each text is its own statement, so the organism is read as grown; the caller names it."""
    grown_in = {w.part for i, w in enumerate(words) if w.role == ORGANISM and i not in negated}
    none_in = {w.part for w in words if w.statement in said_none} - grown_in
    return bool(none_in) and any(w.role == ORGANISM and i not in negated and not w.match.get("virus")
                                 for i, w in enumerate(words) if w.part not in none_in)


# What a growth word the text does not say the organism of stands for beside viruses found only (`_beside_a_virus`).
_UNNAMED_GROWTH: Mapping[str, Any] = MappingProxyType({"kind": "bacterial"})


def _beside_a_virus(text: str, words: list[_Word], named: tuple[Mapping[str, Any], ...]) -> tuple[Mapping[str, Any], ...]:
    """The organisms named as grown, and a bacterium not named when a bare growth word (rule 7) stands beside viruses
    found only ("Vækst\nRSV påvist", the components "Influenza A": "Påvist" and "Vækst"): a virus is found by a test,
    never grown in a culture's bottle, so the growth is another organism's, a bacterial culture's growth as "Vækst"
    alone is. Beside a fungus found the growth may be the fungus's ("Vækst\nSvampe: Påvist"): not added."""
    if named and all(a.get("virus") for a in named) and _bare_growth(text, words):
        return (*named, _UNNAMED_GROWTH)
    return named


def _only_examined_for(text: str, words: list[_Word]) -> bool:
    """A text with no growth or no-growth word whose every name is what the culture was examined for: the name right
    after "for", and the names listed after it ("Undersøgt for MRSA", "Screening for Salmonella, Shigella og
    Campylobacter"). It says what was looked for, not what grew: no growth. A growth word anywhere ("Positiv for
    MRSA", "MRSA påvist") keeps the reading of the rules above."""
    if not words or any(not w.name for w in words):
        return False
    examined = False
    for i, w in enumerate(words):
        if _NAME_EXAMINED_FOR.search(text, max(w.part, w.match.start - 60), w.match.start):
            examined = True
        elif not (examined and i > 0 and words[i - 1].statement == w.statement
                  and _LIST_GAP.fullmatch(text[words[i - 1].match.end:w.match.start])):
            return False
    return examined


def _words(t: Terminology, text: str, found: Iterable[WordMatch],
           bounds: Sequence[int] = ()) -> tuple[list[_Word], list[int], list[_Word]]:
    """The words of a text with their roles and places, where its statements end, and the words about an earlier
    culture (`_earlier`), set apart; a growth word that belongs to a no-growth word before it is dropped, and so is
    a no-growth word joined by a hyphen to a word that is no name (rule 3)."""
    found = tuple(found)
    starts = [w.start for w in found]

    def inside_a_word(position: int) -> bool:
        k = bisect_right(starts, position) - 1  # the last word starting at or before it (words do not overlap)
        return k >= 0 and position < found[k].end

    # the full stop of a history word's abbreviation ("Tidl. MRSA-bærer", "Tidl. Vækst af S. aureus") ends nothing
    abbreviated = {h.end() - 1 for h in _EARLIER.finditer(text) if text[h.end() - 1] == "."}

    def ends(pattern: re.Pattern[str]) -> list[int]:
        # A full stop or a comma inside a word ("S. Aureus", "Staphylococcus, coagulase negative") ends nothing; a line
        # break after an abbreviation's full stop ("Tidl." over "Vækst af E. coli") still ends its line.
        return [m.start() + m.group().find("\n") if m.start() in abbreviated else m.start()
                for m in pattern.finditer(text) if not inside_a_word(m.start())
                and (m.start() not in abbreviated or "\n" in m.group())]

    statement_ends = _joined_lines(t, text, found, ends(_STATEMENT_END), bounds)
    clause_ends = sorted(statement_ends + ends(_CLAUSE_END))
    words: list[_Word] = []
    for m in found:
        if m.valueset == "result-interpretation":
            role = {"negative": NO, "positive": GREW}.get(str(m.get("result")))
        else:
            role = ORGANISM if m.get("kind") else MARKER
        if role is None:
            continue
        statement = bisect_left(statement_ends, m.start)
        clause = bisect_left(clause_ends, m.start)
        before = words[-1] if words and words[-1].clause == clause else None
        if role == GREW and before is not None and before.role == NO:
            continue  # "Ingen signifikant vækst": part of the no-growth word
        part = bounds[k - 1] + 1 if (k := bisect_left(bounds, m.start)) else 0
        if role == GREW and _EXAMINED_FOR.search(text, max(part, m.start - 12), m.start):
            continue  # "Undersøgt for vækst af": what the culture was examined for, no growth said
        if role == NO and _hyphen_joined(text, m.start) and not (before is not None and before.name
                                                                 and before.match.end == m.start - 1):
            continue  # "urease-negativ": a test the lists do not know
        words.append(_Word(m, role, statement, clause, role == NO and _about_what_else(text, m, part), part))
    earlier = _earlier(text, words, statement_ends, clause_ends)
    apart = {id(w) for w in earlier}
    return [w for w in words if id(w) not in apart], statement_ends, earlier


# A statement about an earlier culture or a carriage known before, not this culture's result: "Tidligere vækst af S.
# aureus (2024)", "Previous growth of MRSA", "Kendt MRSA-bærer", "Known ESBL carrier". Not "som tidligere"/"as
# previously" ("Vækst af S. aureus som tidligere", "As previously: growth of E. coli"): this culture's growth, the same
# as before. Grammar, as "for" of "Undersøgt for" is: here, not in the value sets.
_EARLIER = re.compile(r"(?<!\w)(?:tidligere|tidl\.|previous|previously|prior|earlier|kendt|known)(?!\w)", re.IGNORECASE)
_AS_EARLIER = re.compile(r"(?<!\w)(?:som|as)\s+$", re.IGNORECASE)
# What may stand between a name and a growth or no-growth word said of it ("S. aureus påvist", "MRSA-positiv").
_POSTFIX_GAP = re.compile(r"[\s\-–]*")
# A word of this culture's time after what a history reached: what follows is this culture's ("Tidligere S. aureus
# isoleret og nu E. coli isoleret", "Previously S. aureus isolated and today E. coli isolated").
_NOW = re.compile(r"(?<!\w)(?:nu|aktuelt|i dag|now|currently|today)(?!\w)", re.IGNORECASE)


def _earlier(text: str, words: list[_Word], statement_ends: list[int], clause_ends: list[int]) -> list[_Word]:
    """The words a history word reaches: every word after it in its statement, up to a growth or no-growth word of a
    later comma-clause after a word it reached ("Tidligere vækst af S. aureus og E. coli", "Kendt MRSA-bærer, nu
    vækst af E. coli" grew E. coli; "Tidligere (2024): vækst af S. aureus" is history), or one after an organism it
    reached that says what grew of a name after it: a new statement of what grew
    ("Tidligere vækst af S. aureus og nu vækst af E. coli", "... - nu også vækst af E. coli" grew E. coli; "Tidligere
    S. aureus isoleret" and "Tidligere S. aureus påvist og E. coli påvist", a growth word said of the organism right
    before it, are all history). A statement about an earlier culture says nothing of this one, as one that
    names what a culture was examined for does not (rule 5); a text that says nothing else is not read, and named."""
    reached: list[_Word] = []
    marks = [(h.end(), bisect_left(statement_ends, h.start()), bisect_left(clause_ends, h.start()))
             for h in _EARLIER.finditer(text) if not _AS_EARLIER.search(text, max(0, h.start() - 8), h.start())]
    if not marks:
        return reached
    # whether a name of the same statement follows each word (read from the end: linear)
    name_after, seen = [False] * len(words), -1
    for i in range(len(words) - 1, -1, -1):
        name_after[i] = seen == words[i].statement
        if words[i].role == ORGANISM:
            seen = words[i].statement
    # the history word reaching the words, as (its statement, its clause); whether it reached a word yet, an organism
    at, active, said, named = 0, None, False, False
    for i, w in enumerate(words):  # in order, as the marks are: linear in the text
        while at < len(marks) and marks[at][0] <= w.match.start:
            active, said, named = marks[at][1:], False, False
            at += 1
        # a growth or no-growth word right after the organism it reached is said of that organism ("Tidligere S.
        # aureus påvist og E. coli påvist", "MRSA-positiv"): no new statement of what grew
        postfix = i > 0 and reached and reached[-1] is words[i - 1] and words[i - 1].role == ORGANISM \
            and _POSTFIX_GAP.fullmatch(text, words[i - 1].match.end, w.match.start) is not None
        if active is not None and said and i > 0 and _NOW.search(text, words[i - 1].match.end, w.match.start):
            active = None  # "... og nu E. coli isoleret": this culture's, whatever follows
        if active is not None and (w.statement != active[0] or w.role in (GREW, NO)
                                   and (w.clause != active[1] and said or named and name_after[i] and not postfix)):
            active = None
        if active is not None:
            reached.append(w)
            said, named = True, named or w.role == ORGANISM
    return reached


# A line that leads into the next ("Ikke påvist:", "Ingen vækst af"), a line the next goes on from ("for S. aureus"),
# and a line of a lone negation a phrase wraps after ("Ingen" over "signifikant vækst af E. coli"): one statement. A
# list wraps after its conjunction ("Ingen vækst af S. aureus eller" over "E. coli").
_LEADS_ON = re.compile(r"(?:(?<!\w)(?:af|of|for|og|eller|samt|and|or|nor)|:)\s*$", re.IGNORECASE)
_GOES_ON = re.compile(r"^\s*(?:af|of|for)(?!\w)", re.IGNORECASE)
# "Staphylococcus" over "aureus", "STAPHYLOCOCCUS" over "AUREUS": a name wrapped between its genus and its species,
# written as a name is (a capital, then small letters, over a small letter) or wholly in capitals over capitals
_GENUS_AT_END = re.compile(r"(?<!\w)[A-ZÆØÅ](?:[a-zæøå]+|[A-ZÆØÅ]+)\s*$")
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")
_LONE_NEGATION = re.compile(r"^\s*(?:ingen|ikke|ej|no|not)\s*$", re.IGNORECASE)


def _species_below(t: Terminology, line: str, next_line: str) -> bool:
    """Whether a line ends in a genus and the next begins with its species: "Staphylococcus" over "aureus" (a name's
    writing: a capital over a small letter), or, in a report printed in capitals, "STAPHYLOCOCCUS" over "AUREUS":
    capitals lose the small letter that marks a species, so there the next line's first word must be one word the
    organism lists know (a species: "AUREUS", "COLI") and the word above no growth, no-growth or marker word
    ("INGEN VÆKST" over "MRSA", "VÆKST" over "E. COLI" stay two lines). A name in capitals over a word in small
    letters, or a capitalised name over a word in capitals, is no name wrapped."""
    genus = _GENUS_AT_END.search(line)
    species = re.match(r"\s*([^\W\d_]+)", next_line)
    if genus is None or species is None:
        return False
    first, second = genus.group().strip(), species.group(1)
    if not first.isupper():
        return second[:1].islower()
    above = t.words_in(first, *CULTURE_WORDS)
    if not second.isupper() or any(m.valueset != "organism" or m.get("marker") for m in above):
        return False
    # the genus stands where a name begins: first on its line, or after "af"/"of", a colon or a growth or no-growth
    # word ("INGEN VÆKST AF STAPHYLOCOCCUS", "IKKE PÅVIST: STAPHYLOCOCCUS"); a word after a number or after another
    # name ("POSITIV EFTER 14 TIMER", "AEROCOCCUS URINAE", "STAPHYLOCOCCUS AUREUS") begins none
    lead = line[:genus.start()].rstrip()
    if lead and not _LEADS_ON.search(lead) \
            and not any(m.valueset == "result-interpretation" and not lead[m.end:].strip()
                        for m in t.words_in(lead, "result-interpretation")):
        return False
    below = [m for m in t.words_in(next_line, "organism")
             if m.start == species.start(1) and m.end == species.end(1) and not m.get("marker")]
    # a genus and its species are one organism, of one kind: "CANDIDA" (a yeast) over "KLEBSIELLA" (a bacterium) is two
    if not below or any(m.get("kind") != below[0].get("kind") for m in above):
        return False
    # the species ends the name: what follows it on its line is no word of another name ("INGEN VÆKST AF CANDIDA" over
    # "ESCHERICHIA COLI" or "PSEUDOMONAS AERUGINOSA" is a name of its own, a growth), only punctuation, a conjunction
    # or a growth or no-growth word ("AUREUS", "AUREUS, E. COLI", "AUREUS ELLER E. COLI", "AUREUS IKKE PÅVIST")
    rest = next_line[species.end(1):]
    if rest.lstrip().startswith(":"):
        return False  # a field's name ("SVAMPE: INGEN VÆKST"), no species
    if not below[0].word.endswith("*"):
        # a species the lists know as a whole word ("AUREUS", "COLI"), no genus's stem ("ESCHERICHIA*"): it begins no
        # name of its own, so what follows it says where or when ("AUREUS EFTER 5 DØGN", "COLI I URIN"), as in
        # small letters ("Ingen vækst af Staphylococcus" over "aureus efter 5 døgn")
        return True
    after = re.match(r"\s*([^\W\d_]+)", rest)
    return after is None or bool(_CONJUNCTION.fullmatch(after.group(1))) \
        or any(m.start == after.start(1) for m in t.words_in(rest, "result-interpretation"))


def _joined_lines(t: Terminology, text: str, found: tuple[WordMatch, ...], ends: list[int],
                  bounds: Collection[int] = ()) -> list[int]:
    """The statement ends of a text less the line breaks a statement runs over: after a line that leads into the
    next ("Ikke påvist:" over "E. coli", "Ingen vækst af" over "Staphylococcus aureus"), before a line that goes on
    from the one before ("Negativ" over "for S. aureus"), after a lone negation ("Ingen" over "signifikant vækst af
    E. coli"), and, in a list so led into, before each further line of names only ("Ikke påvist:\nE. coli\n
    Klebsiella"). Read as ends, each would have left its names outside the no-growth word's statement, and so grown:
    an infection counted as verified that the laboratory said was not (§4.3). A line that is a statement of its own
    ("Ingen vækst", "Svampe: Ingen vækst") still ends one."""
    kept: list[int] = []
    starts = [w.start for w in found]  # in order: words do not overlap
    hard = set(bounds)

    def on_line(start: int, end: int) -> tuple[WordMatch, ...]:
        return found[bisect_left(starts, start):bisect_left(starts, end)]

    def names_only(words: tuple[WordMatch, ...]) -> str:
        """"marker" or "organism" for a line of names only of that sort, else "": a marker's list ("ESBL", "MRSA")
        holds markers only, as on one line, and never leads to an organism ("Negativ for:\nMRSA\nS. aureus")."""
        if not words or any(w.valueset != "organism" for w in words):
            return ""
        sorts = {"marker" if w.get("marker") else "organism" for w in words}
        return sorts.pop() if len(sorts) == 1 else ""

    listing = False  # the statement was led into a list of names over lines
    of_no_bacterium = False  # the header names a fungus or a virus ("Svampe: Ingen vækst af"): its list holds such
    for at in ends:
        if text[at] != "\n" or at in hard:  # the end of one of the culture's texts ends its statement (`joined`)
            kept.append(at)
            listing = False
            continue
        line_start = text.rfind("\n", 0, at) + 1
        line = text[line_start:at]
        if listing and _LETTER_OR_DIGIT.search(line) is None:
            continue  # a line of no word where a line led on ("Ingen vækst af" over "-" or nothing): still led on
        next_end = text.find("\n", at + 1)
        next_line = text[at + 1:next_end if next_end >= 0 else len(text)]
        on_next = on_line(at + 1, at + 1 + len(next_line))
        on_this = on_line(line_start, at)
        if _species_below(t, line, next_line) \
                and (on_this and on_this[-1].valueset == "organism" and not text[on_this[-1].end:at].strip()
                     or on_next and on_next[0].valueset == "organism" and not text[at + 1:on_next[0].start].strip()):
            continue  # a name wrapped between its genus and its species ("Escherichia" over "coli"): one name
        # a next line that is a field of its own ("Vækst:" over "Svampe: Ingen vækst") is led into by nothing
        if (":" not in next_line and (_LEADS_ON.search(line) or _LONE_NEGATION.match(line))) \
                or _GOES_ON.match(next_line):
            if not listing:
                of_no_bacterium = any(w.valueset == "organism" and w.get("kind") not in (None, "bacterial")
                                      for w in on_line(line_start, at))
            listing = True
            continue
        # the list goes on only from a line of names only ("Ikke påvist:\nE. coli\nKlebsiella"): below a line that
        # is a statement of its own ("Mikroskopi:\nIngen bakterier set", "Anaerob flaske:\nIngen vækst") a name is
        # the next finding, and a bacterium below a list of fungi is no fungus not found ("Svampe: Ingen vækst af\n
        # Candida\nE. coli")
        if listing and ":" not in next_line and names_only(on_line(line_start, at)) == names_only(on_next) != "" \
                and not (of_no_bacterium and any(w.get("kind") in (None, "bacterial") for w in on_next)):
            continue
        kept.append(at)
        listing = False
    return kept


def _about_what_else(text: str, m: WordMatch, part: int = 0) -> bool:
    """A no-growth word that says nothing ELSE grew ("ellers ingen vækst", "Ingen anden vækst", "No other growth"),
    with a text before it that it is about (rule 6); the same phrase alone ("Ingen anden vækst") is a plain no growth."""
    before = _OTHER_BEFORE.search(text, max(part, m.start - 24), m.start)
    if before is not None:
        start = before.start()
    elif _OTHER_AFTER.match(text, m.end) or _OTHER_IN.search(text, m.start, m.end):
        start = m.start
    else:
        return False
    return _LETTER.search(text, 0, start) is not None


def _bare_growth(text: str, words: list[_Word]) -> bool:
    """A growth word in a comma-clause that names nothing and says nothing else ("Vækst", "Positiv", "Aerob flaske:
    Vækst", "Vækst i 1 af 2 flasker", "Positiv efter 14 timer"): a growth of something the text does not name (rule
    7). A clause with more words ("Vækst: nej", "Vækst: 0", "Ej vækst", "Vækst i 0 af 2 flasker", "Påvist: nej",
    "Positiv kontrol") may say the opposite in words no list knows: not read as a growth."""
    named_clauses = {w.clause for w in words if w.name}
    return any(w.role == GREW and w.match.get("alone") is not False and w.clause not in named_clauses
               and _says_only_growth(text, [v for v in words if v.clause == w.clause]) for w in words)


def _answer_deferred(text: str, words: list[_Word]) -> bool:
    """Whether every growth word of a text is a field answered by a pointer to a comment or a later answer ("Vækst: se
    kommentar", "Påvist: svar følger"): the laboratory says something grew and not here what (record_words.DEFERS)."""
    grew = [w for w in words if w.role == GREW and w.match.get("alone") is not False]

    def deferred(w: _Word) -> bool:
        after = _CLAUSE_BOUND.search(text, w.match.end)
        answer = text[w.match.end:after.start() if after is not None else len(text)].lstrip(" \t")
        return answer.startswith(":") and only_defers(answer[1:])
    return bool(grew) and all(deferred(w) for w in grew)


# A growth field's answer that says nothing grew in signs or a number no list knows ("Vækst: 0", "Vækst: -", "Vækst:
# nul"), and a growth word about the laboratory's control, not the sample ("Positiv kontrol", "Positive control").
_NO_GROWTH_ANSWER = re.compile(r"\s*(?:0|-|–|—|nul)\s*\.?\s*", re.IGNORECASE)
_CONTROL = re.compile(r"\s*(?:kontrol|control)", re.IGNORECASE)


def _field_answers(text: str, words: list[_Word]) -> str:
    """What a text that names nothing says with its growth words when each is a field's name or a control's: 'none'
    when every one is a field answered no growth ("Vækst: 0", "Vækst: -", "Vækst: nul"); 'unread' when each is a
    field or a control and one is answered with nothing or words no list knows ("Vækst:", "Positiv:", "Vækst: ja",
    "Positiv kontrol"): the same reading alone as beside a line about the fungi, where it is named (rule 7); ''
    when a growth word says a growth ("Vækst", "Sparsom vækst", "Vækst af Dolosigranulum")."""
    grew = [w for w in words if w.role == GREW and w.match.get("alone") is not False]
    said = set()
    for w in grew:
        after = _CLAUSE_BOUND.search(text, w.match.end)
        answer = _GROWTH_PLACE.sub(" ", text[w.match.end:after.start() if after is not None else len(text)]).strip()
        if answer.startswith(":"):
            said.add("none" if _NO_GROWTH_ANSWER.fullmatch(answer[1:]) else "unread")
        elif _CONTROL.match(answer):
            said.add("unread")
        else:
            return ""
    return "none" if said == {"none"} else "unread" if said else ""


def _says_only_growth(text: str, clause: list[_Word]) -> bool:
    """Whether a comma-clause is its growth words and, at most, the bottle it is about, when it grew, and the name
    of what grew after "af"/"of" ("Vækst af Aerococcus urinae": a growth of an organism no list knows, as alone); a
    colon after them makes them a field's name ("Vækst:"), whose answer is not they."""
    first, last = clause[0].match, clause[-1].match
    left = max((m.end() for m in _CLAUSE_BOUND.finditer(text, 0, first.start)), default=0)
    after = _CLAUSE_BOUND.search(text, last.end)
    right = after.start() if after is not None else len(text)
    rest, at = [], left
    for w in clause:
        rest.append(text[at:w.match.start])
        at = w.match.end
    rest.append(_GROWTH_OF.sub("", text[at:right]))
    said = _GROWTH_PLACE.sub(" ", " ".join(rest))
    # a colon after it makes it a field's name whose answer is missing or elsewhere ("Vækst:", "Vækst: nej")
    return _NOTHING_ELSE.fullmatch(said) is not None and ":" not in _GROWTH_PLACE.sub(" ", rest[-1])


def _not_bacterial(words: list[_Word], reached: Iterable[int]) -> bool:
    """Whether the names a no-growth word reached are all organisms that are no bacterium (a yeast, a mould, a virus),
    and there is one."""
    reached = list(reached)
    return bool(reached) and all(words[j].role == ORGANISM and words[j].match.get("kind") not in (None, "bacterial")
                                 for j in reached)


def _about_a_bottle(text: str, words: list[_Word], statement: list[int], place: int) -> bool:
    """Whether a no-growth word (at `place` of its statement) is about a bottle (rule 7): the bottle's name alone
    before it in its statement ("Anaerob flaske: Ingen vækst") or right after it ("Ingen vækst i anaerob flaske")."""
    word = words[statement[place]]
    if _BOTTLE_AFTER.match(text, word.match.end):
        return True
    if place > 0 and words[statement[place - 1]].clause == word.clause:
        return False  # another word of its clause before it: the bottle is not all it is about
    before = _BOTTLE_BEFORE.search(text, max(word.part, word.match.start - 60), word.match.start)
    if before is None:
        return False
    lead = text[word.part:before.start()].rstrip(" \t")
    return not lead or lead[-1] in ";\n.,:"


def _negate(text: str, words: list[_Word], statement: list[int], negated: set[int]) -> tuple[bool, bool, bool]:
    """Add to `negated` the words of one statement (consecutive indexes into `words`) that its no-growth words reach.
    Returns (a no-growth word about the text, a no-growth word only about a named fungus, virus or bottle: rule 7,
    a no-growth word about the whole statement: rule 4).
    Each rule's reach only grows along the statement, so each word is looked at a few times."""
    grown = _said_to_grow(words, statement)
    has_negation = of_a_subject = False
    scoped = set()  # reached by rule 1: a later no-growth word's list ends where this one's does
    kept_before = statement[0]  # rule 2 has reached the organisms before this one
    whole = False  # rule 4 has reached every organism of the statement
    for place, i in enumerate(statement):
        word = words[i]
        if word.role != NO:
            continue
        before = words[statement[place - 1]] if place > 0 else None
        after = words[statement[place + 1]] if place + 1 < len(statement) else None
        if word.other and not (after is not None and after.name and after.clause == word.clause):
            continue  # rule 6: "E. coli, ellers ingen vækst" says nothing else grew, nothing against E. coli
        reached: set[int] = set()
        subject = False  # rule 7: its subject is named, and is a fungus, a virus or a bottle only
        joined = before is not None and before.name and before.match.end == word.match.start - 1 \
            and _hyphen_joined(text, word.match.start)
        if not joined and after is not None and after.name and after.clause == word.clause:  # rule 1
            for k in range(place + 1, len(statement)):  # no slice: a copy per no-growth word made a long text quadratic
                j = statement[k]
                if words[j].role == GREW or j in scoped:
                    break
                scoped.add(j)
                reached.add(j)
            gap = _SUBJECT_GAP.match(text, word.match.end)
            subject = gap is not None and gap.end() == after.match.start and _not_bacterial(words, reached)
        elif before is not None and before.name and before.clause == word.clause:  # rule 2
            bound = statement[place - 1]
            listed = _list_ending_in(text, words, statement, place)
            reached.update(listed)
            if not words[bound].marker:
                reached.update(j for j in range(kept_before, min(listed)) if words[j].role == ORGANISM and j not in grown)
                kept_before = max(kept_before, min(listed))
            subject = _not_bacterial(words, reached)
        elif _about_a_bottle(text, words, statement, place):  # rule 7: "Anaerob flaske: Ingen vækst"
            reached.update(j for j in statement if words[j].role == ORGANISM and j not in grown)
            subject = True
        elif not whole:  # rule 4
            reached.update(j for j in statement if words[j].role == ORGANISM and j not in grown)
            whole = True
        negated.update(reached)
        if subject:
            of_a_subject = True
        else:
            has_negation = True
    return has_negation, of_a_subject, whole


_MARKER_RESULT = re.compile(r"neg(?:ativ\w*)?(?!\w)", re.IGNORECASE)


def _list_ending_in(text: str, words: list[_Word], statement: list[int], place: int) -> list[int]:
    """The name a no-growth word (at `place` of its statement) follows and the list it ends: the names before it joined by
    the words of a species only ("Klebsiella pneumoniae"), and, when the first other link back is a conjunction
    ("E. coli, Klebsiella og Candida"), the names joined by commas and conjunctions before it. A marker's list
    holds markers only."""
    bound = statement[place - 1]
    pure_marker = words[bound].role == MARKER
    listed = [bound]
    conjunction_seen = False
    # a marker's result ("MRSA negativ"), or a marker not found after a growth of the name ("Vækst af S. aureus MRSA
    # ikke påvist"); "Staphylococcus aureus MRSA ikke påvist" alone is the marked organism not found
    no = words[statement[place]].match
    marker_result = _MARKER_RESULT.match(text, no.start) is not None \
        or any(words[statement[k]].role == GREW for k in range(place))
    for k in range(place - 2, -1, -1):
        j = statement[k]
        word, head = words[j], words[listed[-1]]
        if not word.name or pure_marker and word.role != MARKER:
            break
        gap = text[word.match.end:head.match.start]
        if not _LIST_GAP.fullmatch(gap):
            break
        if marker_result and head.marker and not word.marker and not _CONJUNCTION.search(gap) and "," not in gap:
            break  # a marker is no species of the name before it ("Staphylococcus aureus MRSA negativ": S. aureus grew)
        if _CONJUNCTION.search(gap):
            conjunction_seen = True
        elif "," in gap and not conjunction_seen:
            break
        listed.append(j)
    return listed


def _said_to_grow(words: list[_Word], statement: list[int]) -> frozenset[int]:
    """The organisms of a statement the laboratory says grew: a growth word before it in its statement with no
    no-growth word between ("Vækst af E. coli, Candida ikke påvist"), or after it in its comma-clause ("E. coli
    isoleret")."""
    grown: set[int] = set()
    growing = False
    for j in statement:
        growing = words[j].role == GREW or growing and words[j].role != NO
        if growing:
            grown.add(j)
    growing, clause = False, -1
    for j in reversed(statement):
        if words[j].clause != clause:
            growing, clause = False, words[j].clause
        growing = words[j].role == GREW or growing and words[j].role != NO
        if growing:
            grown.add(j)
    return frozenset(grown)


def _hyphen_joined(text: str, start: int) -> bool:
    """A word at `start` joined by a hyphen to a word before it ("ESBL-negativ")."""
    return start >= 2 and text[start - 1] == "-" and (text[start - 2].isalnum())


# The words a culture's COMPONENT is named with (facts.py reads a culture's components with these), beside the bottle
# names above: what a component's name says it is decides whether its value is read as a finding at all.
# A comment on the result, not a finding ("Kommentar": "Ring ved vækst af S. aureus"): like a note, it never makes a
# culture grow (a growth read from a comment would count an infection not verified, §4.3). Danish names are compounds
# ("Svarkommentar", "Laboratoriebemærkning"), so a comment word anywhere in the name, a finding's name or not
# ("Resultatkommentar", "Kommentar til fund"); the request's own words (what was asked for, a suspected diagnosis)
# are no finding either ("Mistænkt mikrobiologisk diagnose", "Ønsket undersøgelse", "Bestilt analyse").
COMMENT_COMPONENT = re.compile(r"kommentar|comment|bemærkning|anmærkning|note|notat|remark"
                               r"|undersøgt for|undersøges for|rekvisition|request|mistanke|mistænkt|suspect"
                               r"|ønsket|ønskede|bestilt|ordered",
                               re.IGNORECASE)
# Words a comment's or the request's name shares with a finding's: information ("Information til afdelingen",
# "Kliniske oplysninger", "Klinisk info") and a diagnosis ("Klinisk diagnose"): no finding, unless the name is a
# finding's (below: "Resultatinformation", "Resultat info", "Mikrobiologisk diagnose"), which is read.
SHARED_WITH_A_FINDING = re.compile(r"info|oplysning|diagnos", re.IGNORECASE)
# A finding's name ("Resultat", "Fund", "Diagnostisk fund", "Konklusion", "Bakteriologisk diagnose").
FINDING_NAME = re.compile(r"fund|resultat|konklusion|mikrobiolog|bakteriolog|diagnostisk|finding|result|conclusion"
                          r"|microbiolog|bacteriolog|diagnostic", re.IGNORECASE)


# The laboratory's control, not the sample ("Intern kontrol": "Positiv", "Positive control": POS): no finding, read
# as a comment is. Not "Kontrol" alone: a follow-up culture ("Kontrolbloddyrkning") reports a finding.
CONTROL_COMPONENT = re.compile(r"(?:intern|internal|positiv|positive|negativ|negative|inhibitions?|inhibition"
                               r"|amplifikations?|amplification|ekstraktions?|extraction)[\s-]*(?:kontrol|control)",
                               re.IGNORECASE)


def names_a_comment(name: str) -> bool:
    """Whether a component's name is a comment's, the request's or a control's, not a finding's: a comment word
    (`COMMENT_COMPONENT`) or a control (`CONTROL_COMPONENT`) anywhere decides; a word it shares with a finding
    (`SHARED_WITH_A_FINDING`) only in a name that is no finding's (`FINDING_NAME`)."""
    return COMMENT_COMPONENT.search(name) is not None or CONTROL_COMPONENT.search(name) is not None \
        or (SHARED_WITH_A_FINDING.search(name) is not None and FINDING_NAME.search(name) is None)


def names_a_bottle(text: str) -> bool:
    """Whether a text is a bottle's name ("Aerob flaske", "Anaerobic bottle"): a component named so is read with its
    name before its value ("Anaerob flaske: Ingen vækst"), as a laboratory's report prints it (rule 7)."""
    return _BOTTLE_NAME.fullmatch(text) is not None


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
