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
    names = _field_names(type(value))
    if names is not None:
        out: dict[str, JsonValue] = {"type": type(value).__name__}
        for name in names:
            out[name] = value_json(getattr(value, name), limit)
        return out
    return str(value)


_FIELDS: dict[type, tuple[str, ...] | None] = {}


def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass type's field names (None for any other type), looked up once per type.

    Every card renders the whole trace, most of it records: `dataclasses.fields` per value
    was a third of that.
    """
    try:
        return _FIELDS[kind]
    except KeyError:
        names = tuple(f.name for f in dataclasses.fields(kind)) if dataclasses.is_dataclass(kind) else None
        _FIELDS[kind] = names
        return names


def trace_json(steps: Iterable[TraceStep], limit: int | None = LIST_LIMIT) -> list[JsonValue]:
    return [{"name": s.name, "value": value_json(s.raw, limit),
             "references": list(s.sources[:REFERENCE_LIMIT] if limit is not None else s.sources)}
            for s in steps]
