"""Laboratory results to facts: IgG, M-protein and immunofixation (Observation).

Where an IgG is read: `_observation` takes every Observation, files an IgG or M-protein by its
code (a panel by its components), hands a culture to `infections`, and names a result it
cannot use. An IgG not final yet is kept as pending; results sharing a day get the instant
each was taken (`_timed`), which orders them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any, Mapping

from cql_like_rules.facts import (
    DataNote,
    IgGPending,
    IgGResult,
    IgGSubclass,
    Immunofixation,
    MProteinResult,
    MProteinUnread,
    RecordText,
)
from cql_like_rules.record_words import (
    names_a_bacterial_culture,
)
from cql_like_rules.valuesets import Entry, Terminology

from ..errors import Contradiction, DataError
from .culture_text import growth_in
from .dates import local_day
from .reading import (
    CODE_READ_ON, NOT_FINAL_STATUSES, PERIOD_EFFECTIVE, Produced, RESULT_STATUSES, WITHDRAWN_STATUSES, _codings,
    _component_texts, _components_interpretation, _concept_text, _first, _first_code, _interpretation, _list, _str,
    _texts, _when, is_lab_result, reference_of, withdrawn_by_verification,
)
from .plain_results import PlainCode, plain_code
from .unread import _unknown_code_in, _unrecognised, _wrong_code_in, code_read, codes_disagree, name_in
from .infections import _culture, _culture_not_final, _culture_result_parts, culture_by_name

if TYPE_CHECKING:
    from .facts import FactBuilder


IGG_ON_ITS_WAY = {"registered", "preliminary"}  # an IgG Observation ordered or sampled, its result not final yet

COMPARATORS = {"<", "<=", ">", ">="}

_INFINITE = (float("inf"), float("-inf"))

_IGG_FIELDS = ("value_g_l", "date", "source", "comparator", "reported", "taken", "component", "panel")
assert tuple(IgGResult.__dataclass_fields__) == _IGG_FIELDS and not hasattr(IgGResult, "__post_init__") \
    and not hasattr(IgGResult, "__slots__"), "_igg_result must make what IgGResult(...) makes"
_new = object.__new__
# characters of an M-protein's text kept on the fact: more than a card quotes (40), so that the card cuts a longer
# text with "…" where it cuts it, not mid-word with no sign ("M-komponent påvist, men ikke kvantificer")
M_PROTEIN_KEPT = 80
COMPONENT_NAME = 60  # characters of a panel's or its component's name kept on the fact (the explanation page names both)
_set = object.__setattr__


def _igg_result(value_g_l: float, day: date, source: str, comparator: str, reported: str) -> IgGResult:
    """`IgGResult(value_g_l, day, source, comparator, reported)`, made in one step.

    A frozen dataclass's `__init__` sets each of its six fields through `object.__setattr__`,
    ~1.1 us a result against ~0.6 us for its `__dict__` at once: a chart with 200 IgG results
    makes 200. The same object (fields in order, so also the same JSON, repr, equality and hash:
    tests/test_facts_from_fhir.py); the assertion above stops the import if the class changes.
    """
    result: IgGResult = _new(IgGResult)
    _set(result, "__dict__", {"value_g_l": value_g_l, "date": day, "source": source, "comparator": comparator,
                              "reported": reported, "taken": "", "component": "", "panel": ""})
    return result


def isotype_of(t: Terminology, text: str) -> str:
    """The M-protein's heavy chain named in a text ("IgG kappa" -> "IgG"); "light-chain"; or "" (m-protein words)."""
    named = {str(m.get("isotype")) for m in t.words_in(text, "m-protein") if m.get("isotype")}
    heavy = named - {"light-chain"}
    if len(heavy) == 1:
        return heavy.pop()
    if not heavy and named:
        return "light-chain"
    return ""


def names_heavy_chain(t: Terminology, text: str) -> bool:
    return any(m.get("isotype") not in (None, "light-chain") for m in t.words_in(text, "m-protein"))


def light_chain_found(t: Terminology, text: str) -> bool:
    """A statement of the text (up to a semicolon, a full stop or a new line) names a light chain and no negative
    word: "Frie kappa lette kæder (Bence Jones kappa); ingen komplet M-komponent" found a light-chain M-protein (a
    light-chain myeloma: not IgG), though its other statement says no complete one; "Ingen M-komponent, ingen frie
    kappa" found none."""
    return any(isotype_of(t, part) == "light-chain" and not says_negative(t, part) for part in re.split(r"[;.\n]", text))


def says_negative(t: Terminology, text: str) -> bool:
    """A result text with a no-growth / not-found word ("Negativ", "Ikke påvist")."""
    return any(m.get("result") == "negative" for m in t.words_in(text, "result-interpretation"))


ISOTYPES = {"IgG", "IgA", "IgM", "IgD", "IgE", "light-chain"}


def _scalar(value: Any) -> str:
    """A JSON scalar as sent ("3.2", "true"), "" for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (str, int, float)) else ""


def _quantity_as_sent(qty: Any) -> str:
    """A Quantity as sent ("<4.0 g/L", "true g/L" for a value that is no number), "" when it holds nothing."""
    if not isinstance(qty, dict):
        return ""
    parts = [_scalar(qty.get("comparator")), _scalar(qty.get("value")), _scalar(qty.get("unit") or qty.get("code"))]
    sent = " ".join(p for p in parts if p)
    if "< " not in sent and "> " not in sent and "= " not in sent:
        return sent  # the usual case: nothing to close up
    return sent.replace("< ", "<").replace("> ", ">").replace("<= ", "<=").replace(">= ", ">=")


def _value_as_sent(r: Mapping[str, Any]) -> str:
    """A result's value as the laboratory sent it, for a note, whatever its type: "3,2", "2 furlongs", "true" (a
    valueBoolean, or a valueQuantity whose value is no number: "true g/L"), a coded value's text or code, a range
    "2–3 g/L", a ratio "3 g/L / 1 L", a period "2026-01-01–"; else why there is none ("Hæmolyse", or "—")."""
    if isinstance(r.get("valueString"), str):
        return str(r["valueString"])
    for key in ("valueBoolean", "valueInteger", "valueDateTime", "valueTime"):
        scalar = _scalar(r[key]) if key in r else ""
        if scalar:
            return scalar
    if isinstance(r.get("valueQuantity"), dict):
        return _quantity_as_sent(r["valueQuantity"]) or "—"
    coded = r.get("valueCodeableConcept")
    if isinstance(coded, dict):
        return _concept_text(coded) or _first_code(coded) or "—"
    ranged = r.get("valueRange")
    if isinstance(ranged, dict):
        low, high = _quantity_as_sent(ranged.get("low")), _quantity_as_sent(ranged.get("high"))
        return f"{low}–{high}" if low and high else f">={low}" if low else f"<={high}" if high else "—"
    ratio = r.get("valueRatio")
    if isinstance(ratio, dict):
        top, bottom = _quantity_as_sent(ratio.get("numerator")), _quantity_as_sent(ratio.get("denominator"))
        return f"{top or '?'} / {bottom or '?'}" if top or bottom else "—"
    period = r.get("valuePeriod")
    if isinstance(period, dict):
        start, end = _scalar(period.get("start"))[:25], _scalar(period.get("end"))[:25]
        return f"{start}–{end}" if start or end else "—"
    return _concept_text(r.get("dataAbsentReason")) or "—"  # why the laboratory gave no value ("Hæmolyse")


def _sent_in_words(r: Mapping[str, Any]) -> bool:
    """Whether `_value_as_sent` gives the record's own words (quoted in a note): not "—" (no value, our sign) and not
    the code of a coded value that carries no text or display ("260385009")."""
    sent, coded = _value_as_sent(r), r.get("valueCodeableConcept")
    return sent != "—" and not (isinstance(coded, dict) and not _concept_text(coded) and sent == _first_code(coded))


# A result sent as text ("3,5 g/L", "<2,0 g/L", "<1 g/L") is read only in the strict form a valueQuantity has: an
# optional comparator, a number with a comma or a dot as its decimal mark and no thousands separator, then its unit
# (which converts as a valueQuantity's does). Anything else is not read: a number is never guessed from words.
_TEXT_QUANTITY = re.compile(r"\s*(<=|>=|<|>)?\s*(\d+)(?:[.,](\d+))?\s*((?:[^\W\d_]|µ)\S*)?\s*")
TEXT_QUANTITY_FORM = '"3,5 g/L", "<2,0 g/L"'
# An M-protein sent as words (Danish laboratories): found but too small to quantify ("spor", "Spor af M-komponent",
# "påvist, ikke kvantificerbar", with the analyte named as "none found" may be: "M-komponent påvist, ikke
# kvantificerbar"), or none found ("Ikke påvist"). A laboratory writes the analyte as a heading ("M-komponent: påvist,
# ikke kvantificerbar", "M-protein - not detected") and the two words with a comma, a semicolon, a dash or a
# parenthesis between them ("Påvist - ikke kvantificerbar", "påvist (ikke kvantificerbar)"), in any case, with a
# full stop or not: each is the same finding. Only the whole text counts: "IgG kappa ikke påvist" or "spor? se
# kommentar" is neither, and is named as not read.
_ANALYTE = r"(?:m-?\s*komponent|m-?\s*protein)"
_HEADING = rf"(?:{_ANALYTE}\s*(?::|\s-|\s–|\s)\s*)?"  # "M-komponent: ", "M-komponent - ", "M-komponent "
_BETWEEN = r"(?:\s*[,;:]\s*|\s+[-–]\s+|\s*\(\s*|\s+)"  # "påvist, ikke", "påvist - ikke", "påvist (ikke"
_M_PROTEIN_HEADING = re.compile(rf"^\s*{_ANALYTE}\s*:", re.IGNORECASE)  # "M-komponent: 7,2 g/L": the figure is "7,2 g/L"
_M_PROTEIN_TRACE = re.compile(rf"\s*(?:{_HEADING}spor(?:\s+af\s+m-?\s*komponent)?|{_HEADING}trace(?:\s+m-?\s*protein)?"
                              rf"|{_HEADING}påvist{_BETWEEN}(?:men\s+)?ikke\s+kvantificer(?:bar|et)\)?"
                              rf"|{_HEADING}(?:detected|present){_BETWEEN}(?:but\s+)?not\s+quantifi(?:able|ed)\)?)"
                              r"\s*\.?\s*", re.IGNORECASE)
_M_PROTEIN_NONE = re.compile(rf"\s*(?:{_HEADING}ikke\s+påvist|ingen\s+m-?\s*komponent(?:\s+påvist)?"
                             rf"|{_HEADING}negativ|{_HEADING}not\s+detected|no\s+m-?\s*protein(?:\s+detected)?"
                             rf"|{_HEADING}negative)\s*\.?\s*", re.IGNORECASE)


def quantity_of_text(text: str) -> dict[str, Any]:
    """The valueQuantity a result sent as text stands for ("<2,0 g/L" -> comparator "<", value 2.0, unit "g/L"), to be
    read as that valueQuantity is; a DataError saying why a text is not read (`_TEXT_QUANTITY`). A number whose
    separator could be a thousands separator ("1.200", "2,500": a Danish "1.200 mg/L" is 1200) is not read."""
    found = _TEXT_QUANTITY.fullmatch(text)
    if found is None:
        raise DataError(f"the text is not a number with a unit ({TEXT_QUANTITY_FORM})")
    comparator, whole, decimals, unit = found.groups()
    if decimals is not None and len(decimals) == 3 and whole != "0":
        raise DataError("the number's separator may be a thousands separator or a decimal mark: not read")
    quantity: dict[str, Any] = {"value": float(f"{whole}.{decimals}" if decimals is not None else whole)}
    if comparator:
        quantity["comparator"] = comparator
    if unit:
        quantity["unit"] = unit
    return quantity


def m_protein_words(text: str) -> str:
    """'trace' (an M-protein found, not quantified), 'none' (no M-protein found) or '' for an M-protein sent as
    words (`_M_PROTEIN_TRACE`, `_M_PROTEIN_NONE`)."""
    if _M_PROTEIN_TRACE.fullmatch(text):
        return "trace"
    return "none" if _M_PROTEIN_NONE.fullmatch(text) else ""


def _isotype(value: Any) -> str:
    """A value set's isotype attribute; anything but a known type ("unknown") means not stated."""
    return value if value in ISOTYPES else ""


def _names_m_protein(t: Terminology, text: str) -> bool:
    """A result's name naming a serum M-protein ("M-komponent", "Paraprotein", "M Protein SerPl Elph-mCnc", a
    monoclonal immunoglobulin "P-Immunglobulin G(kappa; monoklonalt)": the value set's words, each at a word's start);
    not one of urine or spinal fluid, an immunofixation's type, a monoclonal antibody drug or monoclonal cells."""
    words = t.words_in(text, "m-protein")
    if any(m.get("not_serum_m_protein") for m in words):
        return False
    return any(m.get("names_m_protein") for m in words) or any(m.get("monoclonal") for m in words) \
        and any(m.get("isotype") not in (None, "light-chain") for m in words)


def _unrecognised_result(b: FactBuilder, r: Mapping[str, Any], valued: bool = True) -> Produced:
    """A lab result under a code in no value set whose name is total IgG ("P-Immunglobulin G"), an M-protein
    ("P-M-komponent", "P-Immunglobulin G(kappa; monoklonalt)"), or a culture that grew something
    ("BLODDYRKNING(BAKTERIUM+FUNGUS),B") without the laboratory category: say so. A laboratory result named a
    culture: read it as one (the culture it gives).

    Every other result of the chart passes here too, so the name is looked up in the cached hints
    first; subclasses, CSF and urine IgG are not total IgG. A result with text components and no value of its
    own (`valued` False) is looked at as a culture only.
    """
    text = _concept_text(r.get("code"))
    found = name_in(b.t, r.get("resourceType"), text) if text else None
    if found == "igg-serum" and valued and not any(m.get("not_total") for m in b.t.words_in(text, "igg-serum")):
        _unrecognised(b, r, r.get("code"))
    elif valued and text and _names_m_protein(b.t, text):
        # An M-protein under a local code could change the advice (polyclonal IgG is total IgG minus an IgG one): named
        # on the card, as a total IgG so coded is, never used
        _unrecognised(b, r, r.get("code"), "m-protein")
        _m_protein_unread(b, r, "code-unknown", isotype_of(b.t, text))
    elif found == "culture" and is_lab_result(r) and names_a_bacterial_culture(text):
        # A laboratory result named a culture ("Bloddyrkning", "Ekspektorat dyrkning") under a local code is read
        # as a culture (docs/clinical-logic.md, "A culture known by its name"): the same reading as a coded one,
        # its specimen from its name; the notes never decide growth there either.
        return _culture(b, r, culture_by_name(b.t, text))
    elif found == "culture":
        # A culture that grew something could make an organism-unspecified infection bacterial (§7): named,
        # so the card that says "no positive culture" is not read alone. "Ingen vækst" is not named.
        # A text the reader cannot read ("Se journal") may be a growth too: named the same way.
        read = growth_in(b.t, _culture_result_parts(b, r))
        if (read.grew or read.unread) and (_interpretation(b, r) or _components_interpretation(b, r)) != "negative":
            _unrecognised(b, r, r.get("code"))
    return None


# A result's name that names IgG ("IgG1", "IgG-subklasse", "P-Immunglobulin G1"): with a subclass word, an IgG subclass
# ("IgA-subklasse" is none)
_NAMES_IGG = re.compile(r"\bigg|immuno?globulin[\s-]*g(?![^\W\d_])", re.IGNORECASE)


def _not_used(b: FactBuilder, r: Mapping[str, Any]) -> None:
    """A laboratory result with a value under a code in no value set, whose name names nothing else the rules read (an
    IgA, an albumin, a free light chain): named on the explanation page, not dropped
    in silence (`result-not-used`); one named IgG with no word of another IgG ("IgG", "S-IgG") is a total IgG under a
    code not recognised, named so on the card as one named "P-Immunglobulin G" is (`unrecognised-code`); one named with
    no text and a code in an unknown or the wrong system is named so
    (`unread._name_unknown_system`). An IgG subclass (IgG1-IgG4, by its name) is named as one (`igg-subclass`) and kept
    (`IgGSubclass`): a card with no usable IgG says it saw it."""
    if _list(r.get("category")) and not is_lab_result(r):  # a vital sign, a survey: no laboratory result
        return
    _, unknown, wrong = code_read(b, r)  # kept for `_name_unknown_system`, which asks next of the same record
    if unknown is not None or wrong is not None:
        return
    concept = r.get("code")
    name, excluded = _concept_text(concept), b.t.excluded_entry("igg-serum", concept)
    names_igg = bool(name) and _NAMES_IGG.search(name) is not None
    if names_igg and excluded is None and not any(m.get("not_total") for m in b.t.words_in(name, "igg-serum")):
        _unrecognised(b, r, concept, "igg-serum")  # "IgG", "S-IgG": a total IgG by name, as "P-Immunglobulin G"
        return
    code, sent, day = _first_code(concept), _value_as_sent(r), b._day_of(r)
    if code or name:  # its note made one with those of the same code and name (`one_note_per_code`)
        b._result_codes[reference_of(r)] = (code[:40], name[:80])
    if _is_igg_subclass(b, name, excluded, names_igg):
        shown = RecordText(f"{name[:60]} {sent[:20]}") if name else f"{code[:20]} {sent[:20]}"
        b._notes.append(DataNote("igg-subclass", reference_of(r), f"IgG subclass {sent[:40]!r} under code "
                                 f"{code[:40]!r}: not total IgG, not used", shown, day))
        if day is not None:
            b._igg_subclasses.append(IgGSubclass(reference_of(r), day, RecordText(name[:80]), sent[:40], code[:20]))
        return
    _note_not_used(b, r, _not_used_words(concept), sent, day)


def _not_used_words(concept: Any) -> PlainCode:
    """What the `result-not-used` note of a result under this code says: its code and name as the note cuts them, its
    display and its message (`_not_used`, and once per code for `_plain_result`)."""
    name, code = _concept_text(concept), _first_code(concept)
    shown = f"{name[:60]} ({code[:20]})" if name and code else (name or code)[:60]
    return PlainCode(code[:40], name[:80], shown, f"code {code[:40]!r} is in none of the rules' value sets and its "
                     "name names nothing they read: not used")


def _note_not_used(b: FactBuilder, r: Mapping[str, Any], words: PlainCode, sent: str, day: date | None) -> None:
    b._notes.append(DataNote("result-not-used", reference_of(r), words.message, f"{words.shown}: {sent[:20]}", day))


def _plain_verdict(b: FactBuilder, concept: Any) -> PlainCode | None:
    """What `_observation`, `_unrecognised_result` and `_not_used` ask of a result's code and name before they name
    the result as not used, asked by the same functions: a `PlainCode` only when every answer is "nothing here" (no
    value set, codes that agree, a name naming nothing the rules read nor IgG nor an M-protein, a known system under
    the right one, no code the IgG set excludes); else None, and the full reading takes every result under it."""
    t = b.t
    conflicting = getattr(t, "conflicting_sets", None)
    if t.sets_of(concept) or (conflicting is not None and conflicting(concept)):
        return None
    name = _concept_text(concept)
    if name and (name_in(t, "Observation", name) is not None or _NAMES_IGG.search(name) is not None
                 or _names_m_protein(t, name)):
        return None
    read = (CODE_READ_ON["Observation"], concept)
    if _unknown_code_in(b, read) is not None or _wrong_code_in(b, read, "Observation") is not None \
            or t.excluded_entry("igg-serum", concept) is not None:
        return None
    return _not_used_words(concept)


def _plain_result(b: FactBuilder, r: Mapping[str, Any], plain: PlainCode) -> None:
    """A result under a plain code, left as the full reading leaves it: named `result-not-used` when it is a final
    laboratory result with a value; nothing when it has no value or is not final. What the unread notes read of its
    code is known too (`code_read`: a known system, held by no value set), so `_name_unknown_system` does not read
    it again."""
    status = r.get("status")
    if status.__class__ is not str or status not in RESULT_STATUSES \
            or (r.get("valueQuantity") is None and r.get("valueString") is None
                and r.get("valueCodeableConcept") is None):
        return
    if _list(r.get("category")) and not is_lab_result(r):  # a vital sign, a survey: no laboratory result
        b.code_read_last = (r, (None, None, None))
        return
    concept = r.get("code")
    b.code_read_last = (r, (None if withdrawn_by_verification(r) else (CODE_READ_ON["Observation"], concept), None, None))
    if plain.code or plain.name:  # its note made one with those of the same code and name (`one_note_per_code`)
        b._result_codes[reference_of(r)] = (plain.code, plain.name)
    _note_not_used(b, r, plain, _value_as_sent(r), b._day_of(r))


# Notes made once per result that a chart repeats under one code (an albumin taken at every visit): one per code
ONE_PER_CODE = frozenset({"result-not-used", "igg-subclass"})
REFERENCES_NAMED = 10  # of the other results a note stands for, the references its technical detail names


def one_note_per_code(notes: list[DataNote], codes: Mapping[str, tuple[str, str]]) -> list[DataNote]:
    """The notes (`ONE_PER_CODE`) of the results under one code and name (`codes`: a result's reference -> both) as
    one, in the first one's place, naming the newest with how many there are and the earliest one's date. One note a
    result put 30 lines of albumin on the explanation page and in every card's notes, hiding the notes that matter."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i, note in enumerate(notes):
        if note.kind in ONE_PER_CODE and note.source in codes:
            groups.setdefault((note.kind, *codes[note.source]), []).append(i)
    several = {at[0]: at for at in groups.values() if len(at) > 1}
    if not several:
        return notes
    dropped = {i for at in several.values() for i in at[1:]}
    return [_as_one([notes[j] for j in several[i]]) if i in several else note
            for i, note in enumerate(notes) if i not in dropped]


def _as_one(group: list[DataNote]) -> DataNote:
    """Several notes of one code and name as one: the newest result's (of one day, the last sent), counting them all,
    with the earliest date as written; the technical detail names the other results' references."""
    dated = [(n.day, i) for i, n in enumerate(group) if n.day is not None]
    newest = group[max(dated)[1] if dated else -1]
    earliest = group[min(dated)[1]] if dated else None
    others = [n.source for n in group if n is not newest]
    named = ", ".join(others[:REFERENCES_NAMED]) + (f" and {len(others) - REFERENCES_NAMED} more"
                                                   if len(others) > REFERENCES_NAMED else "")
    first = "" if earliest is None or earliest.day is None else earliest.written or earliest.day.isoformat()
    return replace(newest, count=len(group), first=first,
                   message=f"{newest.message}; {len(group)} results under this code and name, the newest named "
                           f"(the others: {named})")


def _is_igg_subclass(b: FactBuilder, name: str, excluded: Entry | None, names_igg: bool) -> bool:
    """An IgG subclass result: by a code the IgG value set excludes as one (NPU19817, LOINC 2469-5: `excluded`, its
    exclude line), or by a name that names IgG (`names_igg`) and a subclass ("IgG1", "P-IgG-subklasse 2";
    "IgA-subklasse" is none)."""
    if excluded is not None:
        return bool(excluded.get("subclass"))
    return names_igg and any(m.get("subclass") for m in b.t.words_in(name, "igg-serum"))


def _timed(b: FactBuilder, results: list[IgGResult], used: Mapping[str, Mapping[str, Any]]) -> list[IgGResult]:
    """Results with the instant they were taken where another result shares their day: only there
    does it order them, and parsing it for every result was a tenth of a 200-IgG chart's facts."""
    per_day = Counter([r.date for r in results])  # a list is counted in C
    if len(per_day) == len(results):
        return results
    return [IgGResult(r.value_g_l, r.date, r.source, r.comparator, r.reported, _taken(b, used[r.source]),
                      r.component, r.panel)
            if per_day[r.date] > 1 else r for r in results]  # not `replace`: 5 times dearer, 25 a chart


def _taken(b: FactBuilder, r: Mapping[str, Any]) -> str:
    """When a result was taken, as a UTC instant ("" for a date alone; for a revision with a date alone its issue
    instant followed by "~", "~" alone with no `issued`), then when it was issued and "*" for a revision (amended, corrected; "~*" when it does not say when):
    the later of two results of one day is the most recent (a repeat after an unexpected value), and of two of the
    same sample time the one issued later (a corrected result beside its original: the correction is the answer).
    A revision dated by its day only stands at the instant it was issued (it corrects a sample taken before then,
    and a sample taken after it is the later word), and with no `issued` is the latest of its day (the
    laboratory's later word on a result of that day)."""
    when = r.get("effectiveDateTime")
    if when is None:
        when = _first(r, *PERIOD_EFFECTIVE, "effectiveInstant", "issued")
    # " " sorts before any instant: a result of a date alone stays before one of a time that day, whatever it was
    # issued; an amended or corrected result sent with no `issued` is taken as issued after its original, and of
    # two issued at once the amended or corrected one is the answer
    revised = _str(r.get("status")) in ("amended", "corrected")
    issued = _utc(b, r.get("issued"))
    # a revision sent with its day only: at its issue, after every sample of that day taken before it and before
    # a repeat taken after it was issued (it cannot correct a sample not yet taken); with no `issued`, "~", which
    # sorts after any instant: the day's last word (a correction of a day's result cannot precede it)
    # "~" after the issue instant marks a sample time not given ("…T09:00:00~" sorts after "…T09:00:00")
    taken = _utc(b, when) or (f"{issued}~" if revised else "")
    issued = issued or ("~" if revised else "")
    return f"{taken} {issued}{'*' if revised else ''}" if issued else taken


def _utc(b: FactBuilder, when: Any) -> str:
    """A dateTime with a time as a UTC instant "2026-01-10T13:00:00"; "" for a date alone or one not read."""
    if not isinstance(when, str) or len(when) <= 10:
        return ""
    try:
        moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=b.tz)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _observation(b: FactBuilder, r: Mapping[str, Any]) -> Produced:
    sets = b.t.sets_of(r.get("code"))
    if not sets and r.get("component"):
        part = _component_result(b, r)
        if part is not None:
            return part
    if not sets:
        plain = plain_code(b, r.get("code"), _plain_verdict) if not r.get("component") else None
        if plain is not None:  # an albumin, a blood count: its code judged once (`plain_results`)
            _plain_result(b, r, plain)
            return None
        if codes_disagree(b, r, r.get("code")):  # total IgG and IgG1 on one result: not read as either
            return None
        status = r.get("status")
        valued = r.get("valueQuantity") is not None or r.get("valueString") is not None \
            or r.get("valueCodeableConcept") is not None
        # a culture under a local code may carry its result in components only ("Mikroorganisme": "E. coli")
        if (valued or _component_texts(r)) and isinstance(status, str) and status in RESULT_STATUSES:
            named = len(b._notes)
            by_name = _unrecognised_result(b, r, valued)  # a total IgG, or a culture's organism, under a local code
            if by_name is not None:
                return by_name
            if valued and len(b._notes) == named:
                _not_used(b, r)
        return None
    status = r.get("status")
    if not isinstance(status, str) or status not in RESULT_STATUSES:
        if isinstance(status, str) and status in NOT_FINAL_STATUSES:  # a result on its way, or one its source cannot place: say so
            _not_final(b, r, sets, status)
        elif not (isinstance(status, str) and status in WITHDRAWN_STATUSES):  # "Final", none: no status of a result
            exc = Contradiction(f"status {str(status)[:20]!r} is not an Observation status (final, amended, corrected, "
                                "preliminary ...): not used" if status is not None else "it has no status: not used")
            if "igg-serum" not in sets:
                raise exc
            _igg_unreadable(b, r, exc)  # an IgG named as the IgG it is, with its value and day
        return None  # preliminary, cancelled, entered-in-error: not a result
    igg = sets.get("igg-serum")
    if igg is not None:
        if not b.t.carried("igg-serum", igg, "Observation.code"):
            # An order code (SNOMED CT 45293001 "Immunoglobulin G measurement") names no specimen: on a result it
            # may be CSF IgG in mg/L, read as a near-zero serum IgG. Only a result code counts (carried_on).
            igg = b.t.entry_on("igg-serum", r.get("code"), "Observation.code")
            if igg is None:
                raise DataError("its code is an IgG order code that names no specimen, not a serum/plasma IgG "
                                "result code: not used as total IgG")
        try:
            return _quantity(b, r, "igg", igg)
        except DataError as exc:
            _igg_unreadable(b, r, exc)
            return None
    mprot = sets.get("m-protein")
    if mprot is not None:
        try:
            return _quantity(b, r, "m_protein", mprot)
        except DataError as exc:
            # An M-protein the rules cannot read as an amount ("se kommentar", "<0,5" with no unit) is named with
            # its text; the type its code or text names still types the myeloma (an IgG kappa record read as
            # "type unknown" asked for an immunofixation the record answers).
            day = _when(b, r)
            b._notes.append(DataNote("m-protein-unreadable", reference_of(r), str(exc),
                                        display=_value_as_sent(r), day=day,
                                        record_words=_sent_in_words(r)))
            isotype = _m_protein_isotype(b, r, mprot)
            _m_protein_unread(b, r, "unreadable", isotype, _value_as_sent(r)[:M_PROTEIN_KEPT])
            return ("immunofixation", Immunofixation(day, reference_of(r), isotype,
                                                     m_protein_text=_value_as_sent(r)[:40],
                                                     m_protein_text_ours=not _sent_in_words(r))) if isotype else None
    if "immunofixation" in sets:
        text = _texts(r.get("valueCodeableConcept"), r.get("valueString"),
                      *[c.get("valueCodeableConcept") or c.get("valueString") for c in _list(r.get("component"))
                        if isinstance(c, dict)])
        negative = _interpretation(b, r) == "negative" or says_negative(b.t, text) \
            and not names_heavy_chain(b.t, text) and not light_chain_found(b.t, text)
        return "immunofixation", Immunofixation(_when(b, r), reference_of(r), "none" if negative else isotype_of(b.t, text))
    culture = sets.get("culture")
    if culture is not None:
        return _culture(b, r, culture)
    return None


def _not_final(b: FactBuilder, r: Mapping[str, Any], sets: Mapping[str, Entry], status: str) -> None:
    """A result not final yet (registered, preliminary; a report partial) or whose status is unknown, of a kind
    that could change the advice, is named, not dropped in silence (clinical-rules §7): an IgG, an M-protein with a
    value, or a culture that names a bacterium grown (its final answer may verify an infection, §4.3)."""
    if "igg-serum" in sets:
        valued = r.get("valueQuantity") is not None or r.get("valueString") is not None
        # registered: no result yet (FHIR); one sent with a value anyway has a result not final, as a preliminary
        kind = "igg-status-unknown" if status == "unknown" else \
            "igg-registered" if status == "registered" and not valued else "igg-preliminary"
        value = _quantity_as_sent(r.get("valueQuantity"))[:40] if kind == "igg-preliminary" else ""
        if value:  # its value named: a preliminary 2.5 g/L is a result the clinician may act on once final (a start
            # in the window), where "an IgG not final" alone says nothing of it
            kind = "igg-preliminary-value"
        b._notes.append(DataNote(kind, reference_of(r), f"IgG with status '{status}': not a final result, not used",
                                 value, day=b._day_of(r)))
        # the IgG a card would ask for is being measured: no second order; only under a result code (an order
        # code such as SNOMED CT 45293001 names no specimen: a CSF IgG registered must not spare the serum IgG)
        if status in IGG_ON_ITS_WAY and b.t.entry_on("igg-serum", r.get("code"), "Observation.code") is not None:
            try:
                b._igg_pending.append(IgGPending(reference_of(r), _when(b, r)))
            except DataError:
                pass  # undated: nothing tells when it was ordered (a forgotten one would spare every order)
    elif "m-protein" in sets and (r.get("valueQuantity") is not None or r.get("valueString") is not None):
        b._notes.append(DataNote("m-protein-not-final", reference_of(r), f"M-protein with status '{status}': not "
                                    "a final result, not used", day=b._day_of(r)))
        _m_protein_unread(b, r, "not-final", _m_protein_isotype(b, r, sets["m-protein"]))
    elif "culture" in sets:
        _culture_not_final(b, r, sets["culture"], status)


def _m_protein_unread(b: FactBuilder, r: Mapping[str, Any], why: str, isotype: str, reported: str = "") -> None:
    """Keep an M-protein result that was not read, by its day and the type its code or name gives (`MProteinUnread`);
    one with no readable day places nothing near an IgG and is only named."""
    try:
        day = _when(b, r)
    except DataError:
        return
    b._m_protein_unread.append(MProteinUnread(reference_of(r), day, why, isotype, reported))


def _component_result(b: FactBuilder, r: Mapping[str, Any]) -> Produced:
    """A panel sent as one Observation ("Immunoglobuliner": IgG, IgA, IgM as components) under a code no value
    set holds: its total IgG component (else an M-protein one) is read as that result, with the panel's status,
    date and subject. Left unread, the IgG was dropped without a word and the card asked for an IgG. A panel that
    also carries an M-protein component (a myeloma panel: total IgG and the IgG M-protein) gives that M-protein
    too (`_panel_parts`): read alone, the total hid a polyclonal IgG below the thresholds."""
    found = [(sets, c) for c in _list(r.get("component")) if isinstance(c, dict)
             for sets in (b.t.sets_of(c.get("code")),) if "igg-serum" in sets or "m-protein" in sets]
    totals = [c for sets, c in found if "igg-serum" in sets][:1]  # the total IgG first
    parts = totals + [c for sets, c in found if "igg-serum" not in sets][:1]
    if not parts:
        return None
    panel = {key: value for key, value in r.items() if key not in ("code", "component") and not key.startswith("value")}

    def shaped(part: Mapping[str, Any]) -> dict[str, Any]:
        return {**panel, **{key: value for key, value in part.items() if key.startswith("value")},
                "code": part.get("code")}

    panel_name = (_concept_text(r.get("code")) or _first_code(r.get("code")))[:COMPONENT_NAME]

    def named(part: Mapping[str, Any], produced: Produced) -> Produced:
        """The result read from `part`, naming the component and its panel (the explanation page shows both: the
        source is the panel's, and the panel carries IgA and IgM beside it)."""
        if produced is None or not isinstance(produced[1], (IgGResult, MProteinResult)):
            return produced
        name = (_concept_text(part.get("code")) or _first_code(part.get("code")))[:COMPONENT_NAME]
        return produced[0], replace(produced[1], component=name or "?", panel=panel_name)

    for part in parts[1:]:
        try:
            extra = named(part, _observation(b, shaped(part)))
        except DataError as exc:
            b._notes.append(DataNote("invalid", reference_of(r), str(exc)))
            continue
        if extra is not None:
            b._panel_parts.append(extra)
    return named(parts[0], _observation(b, shaped(parts[0])))


def _quantity(b: FactBuilder, r: Mapping[str, Any], slot: str, entry: Entry) -> tuple[str, IgGResult | MProteinResult]:
    when = r.get("effectiveDateTime")  # `_when`, without the call for the usual field (200 results a chart)
    day = local_day(when, b.tz) if when.__class__ is str else _when(b, r)
    qty = r.get("valueQuantity")
    text = None
    if not isinstance(qty, dict):
        text = r.get("valueString")
        if not isinstance(text, str) or qty is not None:
            raise DataError("result has no valueQuantity")
        if slot == "m_protein":  # an M-protein found but not quantified, or none found
            said = m_protein_words(text)
            if said:
                return "m_protein", MProteinResult(0.0, day, reference_of(r), _m_protein_isotype(b, r, entry),
                                                   ">" if said == "trace" else "", reported=text.strip()[:M_PROTEIN_KEPT])
        # then read as the valueQuantity it stands for: one path for both; an M-protein's figure under the analyte
        # as a heading ("M-komponent: 7,2 g/L") is that figure
        qty = quantity_of_text(_M_PROTEIN_HEADING.sub("", text, count=1) if slot == "m_protein" else text)
    value = qty.get("value")
    if value.__class__ is not int and value.__class__ is not float:  # bool is not a number here
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise DataError("valueQuantity.value is not a number")
    if value != value or value in _INFINITE:
        raise DataError("valueQuantity.value is not a finite number")
    if r.get("dataAbsentReason") is not None:  # a value and a reason it is absent (FHIR obs-6 forbids both)
        reason = next((c.get("code") for c in _codings(r.get("dataAbsentReason")) if isinstance(c.get("code"), str)),
                      None) or _concept_text(r.get("dataAbsentReason")) or "?"
        raise Contradiction(f"it has a value and a dataAbsentReason ({str(reason)[:30]!r}): the laboratory says the "
                            "value is missing or in error; not used")
    unit = qty.get("code") or qty.get("unit")
    factor = b.t.unit_factors.get(unit) if isinstance(unit, str) else None
    if factor is None:
        raise DataError(f"unit {str(unit)[:20]!r} cannot be converted to g/L" if isinstance(unit, str) and unit
                        else "result has no unit")
    shown_unit = qty.get("unit")
    if qty.get("code") and isinstance(shown_unit, str) and shown_unit.strip() and shown_unit != qty.get("code"):
        other = b.t.unit_factors.get(shown_unit.strip())
        if other is not None and other != factor:  # "g/L" shown over the code "mg/dL": which one is meant, unknown
            raise Contradiction(f"its unit {shown_unit[:20]!r} and unit code {str(qty.get('code'))[:20]!r} "
                                "disagree: not used")
    comparator = _comparator(qty.get("comparator"))
    # as reported: a text as sent ("3,5 g/L"), a converted quantity with its unit ("350 mg/dL")
    kept = M_PROTEIN_KEPT if slot == "m_protein" else 40
    reported = text.strip()[:kept] if text is not None \
        else f"{comparator}{value:g} {_unit_shown(b, qty, str(unit), factor)}" if factor != 1 else ""
    value = round(float(value) * factor, 6)  # a float, as after a conversion: "3.0 g/L" on the card
    if slot == "igg":
        return "igg", _igg_result(value, day, reference_of(r), comparator, reported)
    return "m_protein", MProteinResult(value, day, reference_of(r), _m_protein_isotype(b, r, entry), comparator,
                                       reported=reported if text is not None else "")


def _unit_shown(b: FactBuilder, qty: Mapping[str, Any], unit: str, factor: float) -> str:
    """A converted result's unit as the laboratory's sheet shows it: the Quantity's `unit` ("µmol/L"), where it names
    the unit its code does (the same factor, or the code spelt with µ: UCUM writes "umol/L"); else the code."""
    shown = qty.get("unit")
    if not isinstance(shown, str) or not shown.strip():
        return unit
    shown = shown.strip()[:20]
    same = b.t.unit_factors.get(shown) == factor or shown.replace("µ", "u").replace("μ", "u") == unit
    return shown if same else unit


def _igg_unreadable(b: FactBuilder, r: Mapping[str, Any], exc: DataError) -> None:
    """A total IgG the rules cannot read (a value as text "3,2", no unit, a unit not convertible, no date) or that
    contradicts itself (`Contradiction`) leaves the card saying "no usable IgG": the note names that IgG, as sent,
    with its day."""
    when = _first(r, "effectiveDateTime", *PERIOD_EFFECTIVE)
    try:  # a date that names no day ("2026-01") is shown as sent, not as the month's first day
        day = b._date(when) if isinstance(when, str) else None
    except DataError:
        day = None
    shown = _value_as_sent(r) + (f", {when[:25]}" if day is None and isinstance(when, str) else "")
    b._notes.append(DataNote("igg-contradicts" if isinstance(exc, Contradiction) else "igg-unreadable",
                             reference_of(r), str(exc), display=shown, day=day, record_words=_sent_in_words(r)))


def _comparator(sent: object) -> str:
    """A valueQuantity's comparator as one of `COMPARATORS` ("" for none). The same sign written another way ("≥", an
    XML-escaped "&gt;") is that sign; any other ("ad", "ca", a word) says the figure is no plain value, yet not on which
    side of it the result lies: the result is not used, and named, rather than read as the exact figure."""
    if sent is None or sent == "":
        return ""
    sign = _SIGNS.get(sent.strip(), sent.strip()) if isinstance(sent, str) else sent
    if isinstance(sign, str) and sign in COMPARATORS:
        return sign
    raise Contradiction(f"valueQuantity.comparator {str(sent)[:12]!r} is not <, <=, > or >=: the figure cannot be "
                        "placed against a threshold")


_SIGNS = {"≥": ">=", "≤": "<=", "&gt;": ">", "&lt;": "<", "&gt;=": ">=", "&lt;=": "<=", "=>": ">=", "=<": "<="}


def _m_protein_isotype(b: FactBuilder, r: Mapping[str, Any], entry: Entry) -> str:
    """The M-protein's type its code states (NPU28638 IgG kappa), else one its code's text, its components' values
    or its notes name ("P-M-komponent (IgG kappa)"); "" when none does."""
    return _isotype(entry.get("isotype")) or isotype_of(b.t, _texts(
        r.get("code"), *[c.get("valueCodeableConcept") or c.get("valueString") for c in _list(r.get("component"))
                         if isinstance(c, dict)], *[n.get("text") for n in _list(r.get("note")) if isinstance(n, dict)]))
