"""Explanation snapshots: the evaluation behind one card, as the "Why?" page shows it.

A clinician should be able to check in one click what a piece of advice rests on (the
facts with their dates and sources, the rules that fired, the guideline text) without the
service storing whole charts. So each card with a link gets one snapshot, built from the
pipeline's `Answer` in the card store's writer thread (never on the hook's path), kept for
`CDS_EXPLAIN_RETENTION_DAYS` and then deleted. What is in it is listed in
docs/explanation.md; the patient's identifiers (the CPR number) are not.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from cql_like_rules import RuleSet
from cql_like_rules.facts import DataNote, Facts, JsonValue, to_json

from ..cards.trace import trace_json

if TYPE_CHECKING:
    from ..pipeline import Answer

VERSION = 1  # the payload's layout; the page reads this version


@dataclass(frozen=True)
class Snapshot:
    """One stored snapshot, as the page reads it."""

    card_uuid: str
    created: datetime
    expires: datetime
    language: str
    payload: dict[str, Any]


def stored_facts(facts: Facts) -> Facts:
    """The facts without what the explanation does not need: identifiers, and the notes (kept apart)."""
    patient = facts.patient
    if patient is not None and patient.identifiers:
        patient = dataclasses.replace(patient, identifiers=())
    return dataclasses.replace(facts, patient=patient, notes=())


def note_json(note: DataNote) -> dict[str, JsonValue]:
    return {"kind": note.kind, "source": note.source, "message": note.message, "display": note.display,
            "day": note.day.isoformat() if note.day else None, "threshold": note.threshold}


def payload(answer: "Answer", index: int, ruleset: RuleSet) -> dict[str, Any]:
    """The snapshot of the `index`-th card of an answer (cards are made in the order of `answer.advice`).

    For `orjson.dumps` (the card store's writer): the rule set and the facts are already
    serialised (`orjson.Fragment`), the rule set once per rule set, the facts by orjson's own
    dataclass encoding, which gives the bytes `to_json` would (tests/test_fast_encodings.py).
    """
    card, advice = answer.cards[index], answer.advice[index]
    steps = answer.evaluation.trace_for(advice)
    trace = trace_json(steps, limit=None)
    for step, shown in zip(steps, trace):
        shown["comment"] = step.comment  # type: ignore[index]
    return {
        "version": VERSION,
        "card": card,
        "hook": answer.request.hook,
        "ruleset": ruleset_json(ruleset),
        "evaluation_date": answer.today.isoformat(),
        "facts": orjson.Fragment(orjson.dumps(stored_facts(answer.facts))),
        "trace": trace,
        "notes": [note_json(n) for n in answer.notes],
        "advice": {"code": advice.code, "variant": advice.variant, "indicator": advice.indicator,
                   "rule": advice.rule, "section": advice.section, "information_only": advice.information_only,
                   "values": {k: to_json(v) for k, v in advice.values.items()},
                   "evidence": list(advice.evidence), "caveats": list(advice.caveats)},
    }


_RULESETS: dict[int, tuple[RuleSet, orjson.Fragment]] = {}


def ruleset_json(ruleset: RuleSet) -> orjson.Fragment:
    """The rule set's part of every snapshot, serialised once per rule set (it never changes)."""
    held = _RULESETS.get(id(ruleset))
    if held is None or held[0] is not ruleset:
        if len(_RULESETS) > 16:
            _RULESETS.clear()
        held = (ruleset, orjson.Fragment(orjson.dumps({
            "id": ruleset.id, "version": ruleset.version, "label": ruleset.label, "guideline": ruleset.guideline,
            "guideline_url": ruleset.guideline_url, "parameters": dataclasses.asdict(ruleset.parameters)})))
        _RULESETS[id(ruleset)] = held
    return held[1]
