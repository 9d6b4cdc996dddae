"""The full reasoning behind a card, machine-readable: the `dk.igsub-cds.trace` extension.

Each definition the decision used — name, value as JSON, the FHIR references behind it —
in evaluation order. Long lists are cut to their last `LIST_LIMIT` items with a count, so a
patient with years of results does not make every card large; the explanation page shows
them whole.

A value, a record's field or the references that hold nothing (null, "", an empty list) are left
out, as CDS Hooks asks of every JSON value: a step with no value found none.

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
        return _record(value, kind, names, limit, cut)  # type: ignore[arg-type]
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
        return ({"code": value.code, "variant": value.variant, "indicator": value.indicator} if value.variant
                else {"code": value.code, "indicator": value.indicator})  # the default variant: none named
    names = _field_names(kind)
    if names is not None:
        return _record(value, kind, names, limit, cut)
    return str(value)


def _record(value: object, kind: type, names: tuple[str, ...], limit: int | None, cut: list[int]) -> JsonValue:
    """A record as an object of its fields, each left out when it holds nothing (None, "", an empty list): CDS Hooks
    has no JSON value null or empty, and an absent field reads as none."""
    out: dict[str, JsonValue] = {"type": kind.__name__}
    for name in names:
        field = getattr(value, name)
        field_kind = type(field)
        if field_kind in _SCALARS:
            if field is not None and field != "":
                out[name] = field
        elif field_kind is date:
            out[name] = field.isoformat()
        else:
            shown = _json(field, limit, cut)
            if not _empty(shown):
                out[name] = shown
    return out


def _empty(value: JsonValue) -> bool:
    """A JSON value CDS Hooks does not allow (null, "", [], {}); false and 0 are values."""
    return value is None or value == "" or value == [] or value == {}


_FIELDS: dict[type, tuple[str, ...] | None] = {}
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
            out.append(_step(s.name, _shown(s, memo)[1], s.sources))
    return out, matched


def card_trace(whole: Iterable[JsonValue]) -> list[JsonValue]:
    """The card's trace from the whole one (`trace_json(steps, limit=None)`, as the explanation
    snapshot stores it): what `trace_json(steps)` gives, lists cut to their last `LIST_LIMIT`
    items with a count and references to `REFERENCE_LIMIT` (every list of a whole value is
    one of `_json`'s collections, so cutting the JSON cuts as `_json` does)."""
    out: list[JsonValue] = []
    for step in whole:
        if not isinstance(step, dict):  # every step of a trace is an object (`_step`)
            continue
        references = step.get("references")
        shown = [str(r) for r in references[:REFERENCE_LIMIT]] if isinstance(references, list) else []
        if "value" in step and "references" in step:
            # as stored: a trace from before empty values were left out (a step always had both) gives back the
            # card as it was issued, nulls and all; a newer step with both holds no empty one
            out.append({"name": step.get("name"), "value": _cut(step["value"]), "references": [*shown]})
        else:
            out.append(_step(str(step.get("name")), _cut(step.get("value")), shown))
    return out


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
        return [_step(s.name, value_json(s.raw, limit), s.sources[:REFERENCE_LIMIT] if limit is not None else s.sources)
                for s in steps]
    whole = limit is None
    memo: dict[int, tuple[JsonValue, JsonValue]] = {}
    out: list[JsonValue] = []
    for s in steps:
        raw = s.raw
        kind = type(raw)
        if kind in _SCALARS:  # flags, numbers, texts: no references, no rendering (sources_of agrees)
            out.append({"name": s.name} if raw is None or raw == "" else {"name": s.name, "value": raw})
        elif kind is tuple and not raw:  # nothing found
            out.append({"name": s.name})
        elif kind is date:
            out.append({"name": s.name, "value": raw.isoformat()})
        else:
            out.append(_step(s.name, _shown(s, memo)[whole], s.sources if whole else s.sources[:REFERENCE_LIMIT]))
    return out


def _step(name: str, value: JsonValue, references: Sequence[str]) -> JsonValue:
    """One step: its name, its value and the references behind it, each left out when it holds nothing (CDS Hooks
    has no JSON value null or empty): a step with no value found none ("T0": no index event)."""
    out: dict[str, JsonValue] = {"name": name}
    if not _empty(value):
        out["value"] = value
    if references:
        out["references"] = list(references)
    return out
