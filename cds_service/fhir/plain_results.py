"""Laboratory results the rules have no use for, judged by their code once per code, not once per result.

A chart may carry hundreds of results the rules never read (a blood count at every visit, a creatinine, an albumin):
an EHR whose FHIR server ignores the prefetch's `code=` sends them all. Each one is still named (`result-not-used`),
never dropped. But what its code and name say (in no value set, naming nothing the rules read, coded in a known system
under the right one, no IgG by its name) is the same for every result under that code: `plain_code` keeps the full
reading's verdict on it (`results._plain_verdict`) per code and terminology, and such a result then costs only its own
status, value, day and note (`results._plain_result`). A code or name that says anything more (a total IgG by name, an
M-protein, a culture, a subclass, an unknown or wrong code system, codes that disagree) is no plain code: the full
reading (`results._observation`) takes it, as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable
from weakref import WeakKeyDictionary

if TYPE_CHECKING:
    from .facts import FactBuilder

CODES_KEPT = 4096  # codes judged per terminology before the memo starts again (a site's lab catalogue is ~2,000)
KEY_CHARS = 400  # a concept longer than this is judged each time (a hostile request's megabyte of display)
# a concept of more codings is judged each time: a key never grows with the request (a million empty codings, "{}",
# count no characters, and would each have held four items of a key for the life of the process)
CODINGS_KEPT = 4
_CONCEPT_KEYS = frozenset({"coding", "text"})
# Every field of a coding that a reading of a code may look at (a SNOMED CT edition's `version`): a coding with any
# other field is judged each time, so a key never leaves out what a reading read.
_CODING_FIELDS = ("system", "code", "display", "version")
_CODING_KEYS = frozenset(_CODING_FIELDS)

Key = tuple[Any, ...]


@dataclass(frozen=True, slots=True)
class PlainCode:
    """A result code (with its name) that says nothing the rules read: what its `result-not-used` note says."""

    code: str  # its first code, cut as the note cuts it (40 characters)
    name: str  # its text or first display, cut to 80 characters ("" when none)
    shown: str  # the note's display before the value: "P—Albumin; massek. = ? g/L (NPU19673)"
    message: str  # the note's message


# terminology -> concept key -> its verdict (None: not plain, the full reading takes it)
_judged: WeakKeyDictionary[Any, dict[Key, PlainCode | None]] = WeakKeyDictionary()


def _key(concept: Any) -> Key | None:
    """A concept as a hashable key of every field a reading of its code looks at; None for one shaped otherwise (no
    coding, a coding that is no object, a field that is no string, an extension), which is judged each time."""
    if concept.__class__ is not dict or not concept.keys() <= _CONCEPT_KEYS:
        return None
    codings, text = concept.get("coding"), concept.get("text")
    if codings.__class__ is not list or not codings or len(codings) > CODINGS_KEPT \
            or (text is not None and text.__class__ is not str):
        return None
    key: list[Any] = [text]
    size = len(text) if text else 0
    for coding in codings:
        if coding.__class__ is not dict or not coding.keys() <= _CODING_KEYS:
            return None
        for field in _CODING_FIELDS:
            value = coding.get(field)
            if value is not None:
                if value.__class__ is not str:
                    return None
                size += len(value)
            key.append(value)
    return tuple(key) if size <= KEY_CHARS else None


def plain_code(b: FactBuilder, concept: Any, judge: Callable[[FactBuilder, Any], PlainCode | None],
               judged: WeakKeyDictionary[Any, dict[Key, PlainCode | None]] = _judged) -> PlainCode | None:
    """The verdict on a result's code that no value set holds: a `PlainCode` when its code and name say nothing the
    rules read, else None. `judge` is the full reading's verdict (`results._plain_verdict`), asked once per code and
    terminology (a terminology is loaded once and never changes). `judged`: the memo of that judge's verdicts (a
    diagnosis's code is judged by another: `unread.plain_diagnosis`)."""
    key = _key(concept)
    if key is None:
        return None
    try:
        known = judged[b.t]
    except KeyError:
        known = judged.setdefault(b.t, {})
    except TypeError:  # a terminology that cannot be referred to weakly (a test's stand-in): judged each time
        return judge(b, concept)
    if key in known:
        return known[key]
    if len(known) >= CODES_KEPT:
        known.clear()
    verdict = known[key] = judge(b, concept)
    return verdict
