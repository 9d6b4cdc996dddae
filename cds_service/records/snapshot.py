"""Explanation snapshots: the evaluation behind one card, as the "Why?" page shows it.

A clinician should be able to check in one click what a piece of advice rests on (the
facts with their dates and sources, the rules that fired, the guideline text) without the
service storing whole charts. So each card with a link gets one snapshot, built from the
pipeline's `Answer` in the card store's writer thread (never on the hook's path), kept for
`CDS_EXPLAIN_RETENTION_DAYS` and then deleted. What is in it is listed in
docs/explanation.md; the patient's identifiers (the CPR number) are not.

Stored compactly (version 2): what every snapshot of one rule set repeats (the rule set
with its parameters, the rule library's comment of each definition) is one shared *part*,
stored once under the digest of its bytes (`explanation_part`), and the card is stored
without its trace extension, which is the snapshot's whole trace cut as the card cuts it, and
without its data-notes extension, which is the snapshot's notes (stored as null: ~1.2 KB of a
card with a few notes). `read_payload` puts them back: the page reads version 1 and version 2 rows alike, in the
layout of version 1.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable, Iterable

import orjson

from cql_like_rules import RuleSet
from cql_like_rules.facts import BsAbExposure, Facts, JsonValue, to_json
from cql_like_rules.library import DoseCourse

from ..cards.notes import NOTES_EXTENSION, note_json
from ..cards.trace import TRACE_EXTENSION, card_trace, whole_trace_json

if TYPE_CHECKING:
    from ..pipeline import Answer

VERSION = 2  # the payload's layout; `read_payload` reads this version and version 1


@dataclass(frozen=True)
class Snapshot:
    """One stored snapshot, as the page reads it (`payload` in the layout of version 1: `read_payload`)."""

    card_uuid: str
    created: datetime
    expires: datetime
    language: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Part:
    """What every snapshot of one rule set shares, stored once: its bytes and their digest."""

    digest: str  # SHA-256 of `body`, hexadecimal
    body: str  # {"ruleset": {...}, "comments": {definition name: the library's comment}}
    comments: dict[str, str]


def stored_facts(facts: Facts) -> Facts:
    """The facts without what the explanation does not need: identifiers, and the notes (kept apart)."""
    patient = facts.patient
    if patient is not None and patient.identifiers:
        patient = dataclasses.replace(patient, identifiers=())
    return dataclasses.replace(facts, patient=patient, notes=())


def stored_facts_json(facts: Facts, courses: list[dict[str, Any]] | None = None) -> bytes:
    """`orjson.dumps(stored_facts(facts))`, without making the copy (a frozen dataclass of 17 fields and its
    patient, ~7 us a card in the writer): orjson writes a dataclass as its fields in order, as it writes
    these dicts of the same fields in the same order (tests/test_fast_encodings.py compares the bytes).
    `courses` (`dose_courses_json`), when given, follows as `dose_courses`."""
    patient = facts.patient
    shown: dict[str, Any] = {**vars(facts), "notes": ()}
    if patient is not None and patient.identifiers:
        shown["patient"] = {**vars(patient), "identifiers": ()}
    if courses is not None:
        shown[DOSE_COURSES] = courses
    return orjson.dumps(shown)


DOSE_COURSES = "dose_courses"  # the facts section's key of the rules' courses of doses (absent in older snapshots)


def dose_courses_json(facts: Facts, courses: Iterable[DoseCourse]) -> list[dict[str, Any]]:
    """The courses of two or more doses the rules made, as the page shows them: per course its fact kind, drug ("":
    not one named), the first and last dose's day, the number of doses and the indices of their facts in the stored
    facts' list of that kind (`with`: of the orders the rules counted in the same bsAb course, when any). A few
    dozen bytes a course; a dose the rules did not group (one alone, or within an Ig order's period) is not in one."""
    found: list[dict[str, Any]] = []
    indices: dict[str, dict[int, int]] = {}
    for course in courses:
        facts_of_kind = getattr(facts, course.kind, ())
        at = indices.get(course.kind)
        if at is None:
            at = indices[course.kind] = {id(f): i for i, f in enumerate(facts_of_kind)}
        doses = [f for f in course.facts if not isinstance(f, BsAbExposure) or f.administered]
        if len(doses) < 2 or any(id(f) not in at for f in course.facts):
            continue
        first, last = (d.start if isinstance(d, BsAbExposure) else d.date for d in (doses[0], doses[-1]))
        shown: dict[str, Any] = {"kind": course.kind, "drug": course.drug, "first": first.isoformat(),
                                 "last": last.isoformat(), "doses": len(doses), "facts": [at[id(d)] for d in doses]}
        orders = [at[id(f)] for f in course.facts if isinstance(f, BsAbExposure) and not f.administered]
        if orders:
            shown["with"] = orders
        found.append(shown)
    return found


def payload(answer: "Answer", index: int, ruleset: RuleSet) -> dict[str, Any]:
    """The snapshot of the `index`-th card of an answer (cards are made in the order of `answer.advice`).

    For `orjson.dumps` (the card store's writer): the facts are already serialised
    (`orjson.Fragment`) by orjson's own dataclass encoding, which gives the bytes `to_json`
    would (tests/test_fast_encodings.py). The rule set and the comments are the shared part's
    (`"part"`, its digest; `ruleset_part`); a step whose comment is not the part's keeps its own.
    The card's trace extension is stored as null: `read_payload` cuts it from `trace`, as
    `card_trace` does, when the card's trace is that cut (always, for the cards `render` makes). So is
    its data-notes extension when it is the snapshot's `notes` (always, for the cards `render` makes).
    """
    card, advice = answer.cards[index], answer.advice[index]
    steps = answer.evaluation.trace_for(advice)
    part = ruleset_part(ruleset)
    comments = part.comments
    extension = card.get("extension")
    shown = extension.get(TRACE_EXTENSION) if isinstance(extension, dict) else None
    trace, cut = whole_trace_json(steps, shown)
    for at, step in enumerate(steps):
        if comments.get(step.name) != step.comment:  # its own comment, on a copy (the step may be the card's)
            trace[at] = {**trace[at], "comment": step.comment}  # type: ignore[dict-item]
    if cut and isinstance(extension, dict):  # the card's trace is `trace` cut: stored as null, cut again when read
        card = {**card, "extension": {**extension, TRACE_EXTENSION: None}}
    notes = [note_json(n) for n in answer.notes]
    extension = card.get("extension")
    if isinstance(extension, dict) and extension.get(NOTES_EXTENSION) == notes:  # stored once, as "notes"
        card = {**card, "extension": {**extension, NOTES_EXTENSION: None}}
    return {
        "version": VERSION,
        "card": card,
        "hook": answer.request.hook,
        "part": part.digest,
        "evaluation_date": answer.today.isoformat(),
        "facts": orjson.Fragment(stored_facts_json(answer.facts, dose_courses_json(
            answer.facts, answer.evaluation.dose_courses()))),
        "trace": trace,
        "notes": notes,
        "advice": {"code": advice.code, "variant": advice.variant, "indicator": advice.indicator,
                   "rule": advice.rule, "section": advice.section, "information_only": advice.information_only,
                   "values": {k: to_json(v) for k, v in advice.values.items()},
                   "evidence": list(advice.evidence), "caveats": list(advice.caveats)},
    }


def read_payload(data: dict[str, Any], part_body: Callable[[str], str | None] | None = None) -> dict[str, Any] | None:
    """A stored payload in the layout of version 1, as the page reads it (a version-1 payload as it is).

    `part_body` finds a part's bytes by digest (the card store reads its table); by default the
    parts this process made. None when the part cannot be found.
    """
    if data.get("version") != 2:
        return data
    found = (part_body or _known_part)(str(data.get("part")))
    if found is None:
        return None
    part = orjson.loads(found)
    comments: dict[str, str] = part.get("comments") or {}
    trace = data.get("trace") or []
    card = data.get("card") or {}
    extension = card.get("extension")
    if isinstance(extension, dict) and TRACE_EXTENSION in extension and extension[TRACE_EXTENSION] is None:
        card = {**card, "extension": {**extension, TRACE_EXTENSION: card_trace(trace)}}
    if isinstance(extension, dict) and NOTES_EXTENSION in extension and extension[NOTES_EXTENSION] is None:
        card = {**card, "extension": {**card["extension"], NOTES_EXTENSION: data.get("notes")}}
    for step in trace:
        if isinstance(step, dict) and "comment" not in step:
            step["comment"] = comments.get(str(step.get("name")), "")
    return {"version": data["version"], "card": card, "hook": data.get("hook"), "ruleset": part.get("ruleset"),
            "evaluation_date": data.get("evaluation_date"), "facts": data.get("facts"), "trace": trace,
            "notes": data.get("notes"), "advice": data.get("advice")}


_RULESETS: dict[int, tuple[RuleSet, Part]] = {}
_PARTS: dict[str, str] = {}  # digest -> body, every part this process made (one per rule set in use)
_LOCK = threading.Lock()


def ruleset_json(ruleset: RuleSet) -> dict[str, JsonValue]:
    """The rule set as every snapshot shows it."""
    return {"id": ruleset.id, "version": ruleset.version, "label": ruleset.label, "guideline": ruleset.guideline,
            "guideline_url": ruleset.guideline_url, "parameters": dataclasses.asdict(ruleset.parameters)}


def ruleset_part(ruleset: RuleSet) -> Part:
    """The rule set's part of every snapshot (the rule set, the library's comments), made once per rule set."""
    held = _RULESETS.get(id(ruleset))
    if held is None or held[0] is not ruleset:
        comments = {name: info.comment for name, info in ruleset.library.definitions.items()}
        body = orjson.dumps({"ruleset": ruleset_json(ruleset), "comments": comments}).decode()
        part = Part(hashlib.sha256(body.encode()).hexdigest(), body, comments)
        with _LOCK:
            if len(_RULESETS) > 16:
                _RULESETS.clear()
            held = _RULESETS[id(ruleset)] = (ruleset, part)
            _PARTS.setdefault(part.digest, body)
    return held[1]


def known_part(digest: str) -> str | None:
    """The body of a part this process made (for the card store's writer)."""
    return _PARTS.get(digest)


_known_part = known_part
