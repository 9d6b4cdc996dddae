"""The clinical rules, CQL-style: facts in, named definitions, advice out, with a trace."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from . import library  # noqa: F401  (registers the definitions)
from .advice import ADVICE_CODES, Advice
from .engine import LIBRARY, Context, TraceStep, evaluate
from .facts import Facts
from .parameters import GUIDELINE, Parameters, load_parameters, ruleset_version


@dataclass(frozen=True)
class Evaluation:
    """The advice for one patient on one day, with the trace that explains it."""

    advice: tuple[Advice, ...]
    trace: tuple[TraceStep, ...]
    today: date


def evaluate_patient(facts: Facts, today: date, params: Parameters | None = None) -> Evaluation:
    """Run the whole library for one patient as of `today`."""
    context = Context(facts, today, params or Parameters())
    advice = context["Advice"]
    return Evaluation(advice, tuple(context.trace), today)


__all__ = [
    "ADVICE_CODES", "Advice", "Evaluation", "Facts", "GUIDELINE", "LIBRARY", "Parameters", "TraceStep",
    "evaluate", "evaluate_patient", "load_parameters", "ruleset_version",
]
