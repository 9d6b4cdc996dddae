"""A tiny CQL-like evaluator: named, memoised, side-effect-free definitions with a trace.

A `Library` is the `library X version 'Y'` of CQL: its definitions are registered with
`@library.define("Name", "one-line comment")`. Inside a definition, `c["Other Name"]`
evaluates another definition once per evaluation. Every evaluated definition is recorded
with its value and the FHIR references of the facts it returned, so a card can say exactly
which definitions fired with which facts. Libraries are objects, not a global registry, so
one process can hold several rule sets (`ruleset.py`).

Definitions are patient-level (evaluated once per patient and day) or order-level
(`scope="order"`: they read `c.order`, the draft order being judged). An order context
shares its patient context's memo for patient-level definitions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Literal, TypeVar

from .facts import Facts
from .parameters import Parameters

Definition = Callable[["Context"], Any]
Scope = Literal["patient", "order"]
T = TypeVar("T")


@dataclass(frozen=True)
class DefinitionInfo:
    name: str
    comment: str
    function: Definition
    decisive: bool = False  # its facts decide advice: the service validates their resources
    scope: Scope = "patient"


@dataclass
class Library:
    """Named, versioned definitions (the `library` of CQL)."""

    id: str
    version: str
    definitions: dict[str, DefinitionInfo] = field(default_factory=dict)

    def define(self, name: str, comment: str, *, decisive: bool = False,
               scope: Scope = "patient") -> Callable[[Definition], Definition]:
        """Register a named definition (the `define "Name":` of CQL)."""

        def register(function: Definition) -> Definition:
            if name in self.definitions:
                raise ValueError(f"definition {name!r} defined twice in library {self.id}")
            self.definitions[name] = DefinitionInfo(name, comment, function, decisive, scope)
            return function

        return register

    _decisive: tuple[int, frozenset[str]] = field(default=(-1, frozenset()), init=False, repr=False, compare=False)

    @property
    def decisive(self) -> frozenset[str]:
        """The decisive definitions' names, worked out again only when the library has grown: every hook call
        asks, and definitions are only ever added (`define`), so the set is the same from one call to the next."""
        count, names = self._decisive
        if count != len(self.definitions):
            names = frozenset(name for name, info in self.definitions.items() if info.decisive)
            self._decisive = (len(self.definitions), names)
        return names


class TraceStep:
    """One evaluated definition: its name, its value, and the FHIR references of its evidence.

    Rendering is deferred: most evaluations end without a card, and the trace is read
    only for the cards (and for the resources that must be validated).
    """

    __slots__ = ("name", "comment", "raw", "_sources", "shown")

    def __init__(self, name: str, comment: str, raw: Any) -> None:
        self.name, self.comment, self.raw = name, comment, raw
        self._sources: tuple[str, ...] | None = None
        # The card layer's JSON of the value, kept here so that every card and explanation
        # snapshot of one answer renders a step once (cds_service/cards/trace.py).
        self.shown: Any = None

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


_UNSET = object()  # no value yet (`Context`): a definition's value may be None


class Context:
    """The facts, "today" and the parameters of one evaluation, plus its memo and trace."""

    def __init__(self, facts: Facts, today: date, params: Parameters, library: Library,
                 order: Any = None, parent: "Context | None" = None, known_on: date | None = None,
                 drafts: tuple[Any, ...] = (), read_on: date | None = None) -> None:
        self.facts = facts
        self.today = today
        # The day the card is read, when the definitions are evaluated on a later one (a draft judged on its planned
        # start): what "the window still runs" means to the clinician reading it
        self.read_on = read_on if read_on is not None else today
        # The day the chart was read (a timeline evaluates a chart of `known_on` on other days): an order's status,
        # which FHIR does not date, is what it was on that day, so a stopped order's end that had passed by then is
        # its end on every earlier day too, and a stopped order whose end was still ahead then was stopped early, on
        # a day up to `known_on`, also on the later days a timeline projects (its planned end passing says nothing).
        self.known_on = known_on if known_on is not None else today
        self.params = params
        self.library = library
        self.order = order
        self.drafts = drafts  # every draft order of the session, when `order` is one of them
        self.parent = parent
        self._values: dict[str, Any] = {}
        self._helpers: dict[Callable[..., Any], Any] = {}
        self.trace: list[TraceStep] = []

    def for_order(self, order: Any, drafts: tuple[Any, ...] = ()) -> "Context":
        """A context judging one draft order among the session's `drafts`; patient-level definitions come from this
        one."""
        return Context(self.facts, self.today, self.params, self.library, order, self, self.known_on, drafts,
                       self.read_on)

    def __getitem__(self, name: str) -> Any:
        # a sentinel, not KeyError: half the look-ups of an evaluation are a definition's first (raising costs more)
        value = self._values.get(name, _UNSET)
        if value is not _UNSET:
            return value
        info = self.library.definitions[name]
        if self.parent is not None and info.scope == "patient":
            value = self.parent[name]
        else:
            if info.scope == "order" and self.order is None:
                raise LookupError(f"definition {name!r} needs a draft order")
            value = info.function(self)
            self.trace.append(TraceStep(name, info.comment, value))
        self._values[name] = value
        return value

    def once(self, helper: Callable[["Context"], T]) -> T:
        """A patient-level helper that several definitions build on, evaluated once per evaluation like a
        definition (an order context asks its patient context), but not a step of the trace."""
        if self.parent is not None:
            return self.parent.once(helper)
        value = self._helpers.get(helper, _UNSET)
        if value is _UNSET:
            value = self._helpers[helper] = helper(self)
        return value  # type: ignore[no-any-return]

    def full_trace(self) -> list[TraceStep]:
        """This context's trace after its parent's (an order context shows both)."""
        return (self.parent.full_trace() if self.parent is not None else []) + self.trace


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
        return str(value.isoformat())
    if hasattr(kind, "__dataclass_fields__"):
        label = getattr(value, "label", None)
        if callable(label):
            return str(label())
        source = getattr(value, "source", "")
        return f"{kind.__name__}({source})" if source else kind.__name__
    return str(value)
