"""The clinical rules, CQL-style: facts in, named definitions, advice out, with a trace."""

from __future__ import annotations

from datetime import date
from typing import Any

from .advice import ADVICE_CODES, Advice
from .engine import Context, DefinitionInfo, Library, TraceStep
from .errors import RulesError
from .facts import Facts
from .library import LIBRARY
from .parameters import Parameters, load_parameters
from .ruleset import DEFAULT_RULESET, MEDICINRAADET_2025, RULESETS, Evaluation, RuleSet, load_ruleset


def evaluate_patient(facts: Facts, today: date, params: Parameters | None = None) -> Evaluation:
    """The default rule set (with `params` when given) for one patient as of `today`."""
    return MEDICINRAADET_2025.with_parameters(params or Parameters()).evaluate(facts, today)


def evaluate(name: str, facts: Facts, today: date, params: Parameters | None = None) -> tuple[Any, list[TraceStep]]:
    """Evaluate one named definition of the default rule set; its value and the trace that led to it."""
    context = MEDICINRAADET_2025.with_parameters(params or Parameters()).context(facts, today)
    value = context[name]
    return value, context.trace


__all__ = [
    "ADVICE_CODES", "Advice", "Context", "DEFAULT_RULESET", "DefinitionInfo", "Evaluation", "Facts", "LIBRARY",
    "Library", "MEDICINRAADET_2025", "Parameters", "RULESETS", "RuleSet", "RulesError", "TraceStep",
    "evaluate", "evaluate_patient", "load_parameters", "load_ruleset",
]
