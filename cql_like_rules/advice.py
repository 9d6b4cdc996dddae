"""Advice: what the rules conclude, before any wording or CDS Hooks shape.

An `Advice` names its advice code (the public contract), the rule and guideline section
that produced it, the values a card must show, the FHIR references of its evidence, the
caveats that apply and the kinds of suggestion an EHR could act on. Text lives in the
card layer; thresholds and dates live here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

ADVICE_CODES = (
    "start-substitution",
    "measure-igg",
    "general-criteria-igg-under-6",
    "no-start-without-infections",
    "start-meets-general-criteria",
    "stop-planned",
    "stop-due-soon",
    "stop-overdue",
    "general-stop-review",
    "child-individual-assessment",
)


@dataclass(frozen=True)
class Advice:
    code: str
    indicator: str  # "info" | "warning"
    rule: str
    section: str
    information_only: bool = False
    values: Mapping[str, Any] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()  # "order-igg" | "order-ig-until-stop" | "order-ig" | "hold-ig" | "set-ig-end"
    override_reasons: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()  # active IG orders that update suggestions act on

    def label(self) -> str:
        return f"{self.code} ({self.indicator})"
