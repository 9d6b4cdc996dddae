"""Rule sets as versioned objects: a library of definitions plus the parameters it runs with.

A `RuleSet` names the guideline it implements, its own version, its library and its
[policy] parameters; its `label` (id, version and a hash of the parameters) is what every
card carries, so any advice can be traced to the exact rules that produced it. Rule sets are
plain objects: two can live in one process (`cds-service compare-rulesets` evaluates the
same patients under two of them), and which one a service uses is configuration
(`CDS_RULESET`, `CDS_POLICY_FILE`).

Adding a new guideline version: write a new library (or copy this one) with its own id and
version, register a `RuleSet` for it in `RULESETS`, and describe it in
docs/safety/release-notes.md with its `compare-rulesets` impact on the shipped fixtures.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import date
from functools import cached_property
from typing import Iterable

from . import library as _library  # registers the patient-level definitions
from . import orders as _orders  # noqa: F401  (registers the order-level definitions)
from .advice import Advice
from .engine import Context, Library, TraceStep
from .errors import RulesError
from .facts import DataNote, Facts
from .orders import DraftOrder, as_signed, first_dose_note, new_course_note, same_course_card, with_first_dose_drafted
from .parameters import Parameters, load_parameters


# Order-hook advice about the patient (a therapy or diagnosis the rules cannot use), not about the order: one card
PATIENT_LEVEL = ("therapy-not-recognised", "therapy-undated", "malignancy-not-recognised")


@dataclass(frozen=True)
class Evaluation:
    """The advice for one patient on one day, with the trace that explains it.

    `order_traces` holds, per draft order reference, the order-level definitions that
    judged it (the patient-level ones are in `trace`); for a draft judged in another patient context
    (`orders.as_signed`: read as signed, or on its planned start; in `signed_orders`) the patient-level ones it was
    judged on come first.
    """

    advice: tuple[Advice, ...]
    trace: tuple[TraceStep, ...]
    today: date
    order_traces: tuple[tuple[str, tuple[TraceStep, ...]], ...] = ()
    notes: tuple[DataNote, ...] = ()  # what the rules saw and did not use
    # The patient-level context it was computed in: what the rules derived and did not trace (`dose_courses`)
    context: Context | None = field(default=None, compare=False, repr=False)
    signed_orders: frozenset[str] = frozenset()

    def trace_for(self, advice: Advice) -> tuple[TraceStep, ...]:
        """The definitions a piece of advice rests on: the patient's, plus its order's (a draft read as signed: the
        patient's as they were with the draft signed)."""
        order = advice.values.get("order_source")
        for ref, steps in self.order_traces:
            if ref == order:
                return steps if ref in self.signed_orders else self.trace + steps
        return self.trace

    def dose_courses(self) -> tuple[_library.DoseCourse, ...]:
        """The courses of doses the rules made (`library.dose_courses`), for the explanation page: those the
        evaluation already grouped, else grouped now by the same code (asked by the snapshot writer, off the
        hook's path). Empty for an evaluation without its context (no rules ran)."""
        return _library.dose_courses(self.context) if self.context is not None else ()


@dataclass(frozen=True)
class RuleSet:
    id: str
    version: str
    guideline: str
    guideline_url: str
    library: Library
    parameters: Parameters
    guideline_title: str = "Medicinrådet 2025"  # short, for texts

    @cached_property
    def label(self) -> str:
        """`<id>-<version>+<hash of the parameters>`: names the exact rules behind a card.

        Computed once per rule set (every card carries it): the fields it hashes never change.
        """
        blob = json.dumps(asdict(self.parameters), sort_keys=True).encode()
        return f"{self.id}-{self.version}+{hashlib.sha256(blob).hexdigest()[:12]}"

    @property
    def decisive(self) -> frozenset[str]:
        """The definitions whose facts decide advice (their resources are fully validated)."""
        return self.library.decisive

    def with_parameters(self, parameters: Parameters) -> "RuleSet":
        return replace(self, parameters=parameters)

    def context(self, facts: Facts, today: date, known_on: date | None = None) -> Context:
        return Context(facts, today, self.parameters, self.library, known_on=known_on)

    def evaluate(self, facts: Facts, today: date, known_on: date | None = None) -> Evaluation:
        """patient-view: the advice for the patient as of `today`, with its trace and data notes (`known_on`: the
        day the chart was read, when it is not `today`: a timeline's other days)."""
        context = self.context(facts, today, known_on)
        found = context["Advice"]
        # before the trace is taken: the notes' definitions belong to it
        notes = _notes(context) + _library.same_day_igg_notes(context, found)
        return Evaluation(found, tuple(context.trace), today, notes=notes, context=context)

    def evaluate_orders(self, facts: Facts, orders: Iterable[DraftOrder], today: date,
                        known_on: date | None = None, beside: Iterable[DraftOrder] = ()) -> Evaluation:
        """order-select / order-sign: advice on each relevant draft order; one child card at most. `beside`: the
        session's drafts not judged (order-select: not selected), which a judged one may be told of."""
        context = self.context(facts, today, known_on)
        orders = tuple(orders)
        session = orders + tuple(beside)
        found: list[Advice] = []
        traces: list[tuple[str, tuple[TraceStep, ...]]] = []
        seen: set[str] = set()
        signed_orders: set[str] = set()
        for order in orders:
            if order.source in seen:
                continue
            seen.add(order.source)
            signed = as_signed(context, order)
            drafted = None if signed else with_first_dose_drafted(context, order)
            read = signed or drafted
            judged = (read or context).for_order(order, session)
            advice = judged["Order Advice"]
            if drafted is not None:  # judged on the window the bsAb drafted with it opens: the trace names its day
                judged["First Dose Drafted With It"]
                advice = first_dose_note(advice, drafted) if advice is not None else None
            elif signed is not None and signed.today != context.today:
                judged["Order Judged At Start"]  # evaluated for its step: the trace names the day it was judged on
                advice = new_course_note(advice, context) if advice is not None else None
            if read is not None:  # judged on other patient-level definitions (signed, on its start, or a first dose)
                signed_orders.add(order.source)
            traces.append((order.source, tuple(read.trace if read else ()) + tuple(judged.trace)))
            if advice is None:
                continue
            if advice.code == "child-individual-assessment" and any(a.code == advice.code for a in found):
                continue
            same = [i for i, a in enumerate(found) if a.code == advice.code in PATIENT_LEVEL]
            if same:  # about the patient's therapy or diagnosis, not the order: one card, naming every draft
                first = found[same[0]]
                found[same[0]] = replace(first, targets=first.targets + advice.targets,
                                         evidence=tuple(dict.fromkeys(first.evidence + advice.evidence)))
                continue
            course = next((i for i, a in enumerate(found) if same_course_card(a, advice)), None)
            if course is not None:  # drafts of one bsAb course: one card, told from the first dose, naming every draft
                kept, other = found[course], advice
                if advice.values.get("order_start") < kept.values.get("order_start"):
                    kept, other = advice, kept
                found[course] = replace(kept, targets=kept.targets + other.targets,
                                        evidence=tuple(dict.fromkeys(kept.evidence + other.evidence)))
                continue
            found.append(advice)
        notes = _notes(context) + _library.same_day_igg_notes(context, found)
        return Evaluation(tuple(found), tuple(context.trace), today, tuple(traces), notes, context,
                          frozenset(signed_orders))


def _notes(context: Context) -> tuple[DataNote, ...]:
    """The rules' data notes, when the library defines them."""
    if "Data Notes" not in context.library.definitions:
        return ()
    return context["Data Notes"]  # type: ignore[no-any-return]


MEDICINRAADET_2025 = RuleSet(
    id="medicinraadet-2025",
    version="1.1.1",
    guideline="Medicinrådet 2025: IgG-substitution ved CAR-T/bispecifikke antistoffer (tillæg), afsnit 4",
    guideline_url="https://medicinraadet.dk/",
    library=_library.LIBRARY,
    parameters=Parameters(),
)

RULESETS: dict[str, RuleSet] = {MEDICINRAADET_2025.id: MEDICINRAADET_2025}
DEFAULT_RULESET = MEDICINRAADET_2025.id


def load_ruleset(ruleset_id: str = DEFAULT_RULESET, policy_file: str | None = None) -> RuleSet:
    """A registered rule set, with its parameters overridden by a policy file when given."""
    try:
        ruleset = RULESETS[ruleset_id]
    except KeyError:
        raise RulesError(f"unknown rule set {ruleset_id!r}; known: {', '.join(sorted(RULESETS))}") from None
    return ruleset.with_parameters(load_parameters(policy_file)) if policy_file else ruleset
