"""The full reasoning behind a card, machine-readable: the `dk.igsub-cds.trace` extension.

Each definition the decision used — name, value as JSON, the FHIR references behind it —
in evaluation order. Long lists are cut to their last `LIST_LIMIT` items with a count, so a
patient with years of results does not make every card large; the explanation page shows
them whole.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Iterable

from cql_like_rules.advice import Advice
from cql_like_rules.engine import TraceStep
from cql_like_rules.facts import JsonValue

TRACE_EXTENSION = "dk.igsub-cds.trace"
LIST_LIMIT = 20
REFERENCE_LIMIT = 50


def value_json(value: object, limit: int | None = LIST_LIMIT) -> JsonValue:
    """A definition's value as JSON: dates ISO, records as objects, advice as its code."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Advice):
        return {"code": value.code, "variant": value.variant, "indicator": value.indicator}
    if isinstance(value, (tuple, list, set, frozenset)):
        items = list(value)
        if limit is not None and len(items) > limit:
            return {"count": len(items), "last": [value_json(v, limit) for v in items[-limit:]]}
        return [value_json(v, limit) for v in items]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"type": type(value).__name__,
                **{f.name: value_json(getattr(value, f.name), limit) for f in dataclasses.fields(value)}}
    return str(value)


def trace_json(steps: Iterable[TraceStep], limit: int | None = LIST_LIMIT) -> list[JsonValue]:
    return [{"name": s.name, "value": value_json(s.raw, limit),
             "references": list(s.sources[:REFERENCE_LIMIT] if limit is not None else s.sources)}
            for s in steps]
