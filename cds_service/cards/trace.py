"""The full reasoning behind a card, machine-readable: the `dk.igsub-cds.trace` extension.

Each definition the decision used — name, value as JSON, the FHIR references behind it —
in evaluation order. Long lists are cut to their last `LIST_LIMIT` items with a count, so a
patient with years of results does not make every card large; the explanation page shows
them whole.

Each step's value is rendered once per answer (kept on the step): every card of the answer
and every explanation snapshot show the same JSON objects, so they must not be changed in place.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Iterable, Sequence

from cql_like_rules.advice import Advice
from cql_like_rules.engine import TraceStep
from cql_like_rules.facts import JsonValue

TRACE_EXTENSION = "dk.igsub-cds.trace"
LIST_LIMIT = 20
REFERENCE_LIMIT = 50

_SCALARS = frozenset({type(None), bool, int, float, str})
_COLLECTIONS = (tuple, list, set, frozenset)


def value_json(value: object, limit: int | None = LIST_LIMIT) -> JsonValue:
    """A definition's value as JSON: dates ISO, records as objects, advice as its code."""
    return _json(value, limit, [])


def _json(value: object, limit: int | None, cut: list[int]) -> JsonValue:
    """`value_json`, noting in `cut` each list it shortened (so that an uncut value serves both limits)."""
    kind = type(value)
    if kind in _SCALARS:  # most values: the exact types first, then what subclasses them
        return value  # type: ignore[return-value]
    if kind is date:
        return value.isoformat()  # type: ignore[attr-defined, no-any-return]
    names = _FIELDS.get(kind, _UNKNOWN)
    if names is not _UNKNOWN and names is not None:  # a record seen before
        out: dict[str, JsonValue] = {"type": kind.__name__}
        for name in names:  # type: ignore[attr-defined]
            field = getattr(value, name)
            field_kind = type(field)
            out[name] = (field if field_kind in _SCALARS else field.isoformat() if field_kind is date
                         else _json(field, limit, cut))
        if kind in _IF_SET:
            _drop_empty(out, _IF_SET[kind])
        return out
    if isinstance(value, _COLLECTIONS):  # before the checks below: no scalar, date or advice is a collection
        items = value if kind is tuple or kind is list else list(value)
        if limit is not None and len(items) > limit:
            cut.append(len(items))
            return {"count": len(items), "last": [_json(v, limit, cut) for v in items[-limit:]]}  # type: ignore[index]
        return [_json(v, limit, cut) for v in items]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Advice):
        return {"code": value.code, "variant": value.variant, "indicator": value.indicator}
    names = _field_names(kind)
    if names is not None:
        out = {"type": kind.__name__}
        for name in names:
            out[name] = _json(getattr(value, name), limit, cut)
        if kind in _IF_SET:
            _drop_empty(out, _IF_SET[kind])
        return out
    return str(value)


def _drop_empty(out: dict[str, JsonValue], names: tuple[str, ...]) -> None:
    """Leave out the fields traced only when set (facts.TRACED_IF_SET) that are empty."""
    for name in names:
        if out.get(name) == "":
            del out[name]


_FIELDS: dict[type, tuple[str, ...] | None] = {}
_IF_SET: dict[type, tuple[str, ...]] = {}  # fields traced only when not empty (facts.TRACED_IF_SET)
_UNKNOWN = object()


def _field_names(kind: type) -> tuple[str, ...] | None:
    """A dataclass type's field names (None for any other type), looked up once per type.

    Every card renders the whole trace, most of it records: `dataclasses.fields` per value
    was a third of that.
    """
    try:
        return _FIELDS[kind]
    except KeyError:
        names = tuple(f.name for f in dataclasses.fields(kind) if f.metadata.get("trace", True)) \
            if dataclasses.is_dataclass(kind) else None  # a field the page alone shows is not traced (facts.PAGE_ONLY)
        if names is not None:
            if_set = tuple(f.name for f in dataclasses.fields(kind) if f.metadata.get("trace") == "if-set")
            if if_set:
                _IF_SET[kind] = if_set
        _FIELDS[kind] = names
        return names


def _shown(step: TraceStep, memo: dict[int, tuple[JsonValue, JsonValue]]) -> tuple[JsonValue, JsonValue]:
    """(the card's value, the whole value) of a step, rendered once per step; the same object twice
    when no list was long enough to cut. Steps sharing one value (`memo`, by identity) share its JSON."""
    held = step.shown
    if held is None:
        raw = step.raw
        if type(raw) in _SCALARS:
            held = (raw, raw)
        else:
            held = memo.get(id(raw))
            if held is None:
                cut: list[int] = []
                shown = _json(raw, LIST_LIMIT, cut)
                held = memo[id(raw)] = (shown, _json(raw, None, cut) if cut else shown)
        step.shown = held
    return held  # type: ignore[no-any-return]


def whole_trace_json(steps: Sequence[TraceStep], card: object) -> tuple[list[JsonValue], bool]:
    """`trace_json(steps, limit=None)`, sharing the step objects of `card` (the card's trace of the same
    steps, `trace_json(steps)`) wherever the card cut nothing: there the two are equal (the explanation
    snapshot stores the whole trace without comments, so its steps are the card's but for long lists and
    references). And whether `card` is the trace of these steps, step for step (then the card's trace is
    this one cut: `card_trace`)."""
    if not isinstance(card, list) or len(card) != len(steps):
        return trace_json(steps, limit=None), False
    memo: dict[int, tuple[JsonValue, JsonValue]] = {}
    out: list[JsonValue] = []
    matched = True
    for s, shown in zip(steps, card):
        raw = s.raw
        kind = type(raw)
        held = s.shown
        if shown.__class__ is not dict or shown.get("name") != s.name:
            matched = False
        elif (kind in _SCALARS or (kind is tuple and not raw) or kind is date  # no references, as trace_json
              or (held is not None and held[0] is held[1] and len(s.sources) <= REFERENCE_LIMIT)):
            out.append(shown)  # nothing cut: the card's step is the whole step
            continue
        if held is None:
            out.extend(trace_json((s,), limit=None))
        else:
            out.append({"name": s.name, "value": _shown(s, memo)[1], "references": list(s.sources)})
    return out, matched


def card_trace(whole: Iterable[JsonValue]) -> list[JsonValue]:
    """The card's trace from the whole one (`trace_json(steps, limit=None)`, as the explanation
    snapshot stores it): what `trace_json(steps)` gives, lists cut to their last `LIST_LIMIT`
    items with a count and references to `REFERENCE_LIMIT` (every list of a whole value is
    one of `_json`'s collections, so cutting the JSON cuts as `_json` does)."""
    return [{"name": s["name"], "value": _cut(s["value"]), "references": s["references"][:REFERENCE_LIMIT]}  # type: ignore[call-overload, index]
            for s in whole]


def _cut(value: JsonValue) -> JsonValue:
    if isinstance(value, list):
        if len(value) > LIST_LIMIT:
            return {"count": len(value), "last": [_cut(v) for v in value[-LIST_LIMIT:]]}
        return [_cut(v) for v in value]
    if isinstance(value, dict):
        return {k: _cut(v) for k, v in value.items()}
    return value


def trace_json(steps: Iterable[TraceStep], limit: int | None = LIST_LIMIT) -> list[JsonValue]:
    """The steps as the card shows them (`limit`: `LIST_LIMIT`) or whole (None, the explanation snapshot)."""
    if limit not in (LIST_LIMIT, None):
        return [{"name": s.name, "value": value_json(s.raw, limit),
                 "references": list(s.sources[:REFERENCE_LIMIT] if limit is not None else s.sources)}
                for s in steps]
    whole = limit is None
    memo: dict[int, tuple[JsonValue, JsonValue]] = {}
    out: list[JsonValue] = []
    for s in steps:
        raw = s.raw
        kind = type(raw)
        if kind in _SCALARS:  # flags, numbers, texts: no references, no rendering (sources_of agrees)
            out.append({"name": s.name, "value": raw, "references": []})
        elif kind is tuple and not raw:  # nothing found
            out.append({"name": s.name, "value": [], "references": []})
        elif kind is date:
            out.append({"name": s.name, "value": raw.isoformat(), "references": []})
        else:
            out.append({"name": s.name, "value": _shown(s, memo)[whole],
                        "references": list(s.sources if whole else s.sources[:REFERENCE_LIMIT])})
    return out
