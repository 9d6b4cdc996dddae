"""A tiny CQL-like evaluator: named, memoised, side-effect-free definitions with a trace.

`@define("Name", "one-line comment")` registers a function of a `Context`. Inside a
definition, `c["Other Name"]` evaluates another definition once per evaluation. Every
evaluated definition is recorded with its value and the FHIR references of the facts it
returned, so a card can say exactly which definitions fired with which facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable

from .facts import Facts
from .parameters import Parameters

Definition = Callable[["Context"], Any]


@dataclass(frozen=True)
class DefinitionInfo:
    name: str
    comment: str
    function: Definition


LIBRARY: dict[str, DefinitionInfo] = {}


def define(name: str, comment: str) -> Callable[[Definition], Definition]:
    """Register a named definition (the `define "Name":` of CQL)."""

    def register(function: Definition) -> Definition:
        if name in LIBRARY:
            raise ValueError(f"definition {name!r} defined twice")
        LIBRARY[name] = DefinitionInfo(name, comment, function)
        return function

    return register


class TraceStep:
    """One evaluated definition: its name, a short rendering of its value, its evidence.

    Rendering is deferred: most evaluations end without a card, and the trace is read
    only for the cards (and for the resources that must be validated).
    """

    __slots__ = ("name", "comment", "raw", "_sources")

    def __init__(self, name: str, comment: str, raw: Any) -> None:
        self.name, self.comment, self.raw, self._sources = name, comment, raw, None

    @property
    def value(self) -> str:
        return render(self.raw)

    @property
    def sources(self) -> tuple[str, ...]:
        if self._sources is None:
            self._sources = tuple(sources_of(self.raw))
        return self._sources

    def __repr__(self) -> str:
        return f"TraceStep({self.name!r}, {self.value!r}, {self.sources!r})"


class Context:
    """The facts, "today" and the parameters of one evaluation, plus its memo and trace."""

    def __init__(self, facts: Facts, today: date, params: Parameters) -> None:
        self.facts = facts
        self.today = today
        self.params = params
        self._values: dict[str, Any] = {}
        self.trace: list[TraceStep] = []

    def __getitem__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            pass
        info = LIBRARY[name]
        value = info.function(self)
        self._values[name] = value
        self.trace.append(TraceStep(name, info.comment, value))
        return value


_NO_SOURCES = (type(None), bool, int, float, str, date)


def sources_of(value: Any) -> list[str]:
    """FHIR references carried by a value (a fact, a derived record, or a collection)."""
    if type(value) in _NO_SOURCES:  # most trace values: flags, dates, numbers
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        out: list[str] = []
        for item in value:
            out.extend(s for s in sources_of(item) if s not in out)
        return out
    found = []
    source = getattr(value, "source", None)
    if isinstance(source, str):
        found.append(source)
    for s in getattr(value, "sources", ()) or ():
        if s not in found:
            found.append(s)
    return found


def render(value: Any) -> str:
    """A short, stable text for the trace (dates ISO, floats one decimal)."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is float:
        return f"{value:.1f}"
    if kind is tuple or kind is list:
        if not value:
            return "[]"
        return "[" + ", ".join([render(v) for v in value[:5]]) + (", ..." if len(value) > 5 else "") + "]"
    if kind is date:
        return value.isoformat()
    if hasattr(kind, "__dataclass_fields__"):
        label = getattr(value, "label", None)
        if callable(label):
            return label()
        source = getattr(value, "source", "")
        return f"{kind.__name__}({source})" if source else kind.__name__
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return render(tuple(value))
    return str(value)


def evaluate(name: str, facts: Facts, today: date, params: Parameters | None = None) -> tuple[Any, list[TraceStep]]:
    """Evaluate one named definition; returns its value and the trace that led to it."""
    context = Context(facts, today, params or Parameters())
    value = context[name]
    return value, context.trace
