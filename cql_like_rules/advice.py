"""Advice: what the rules conclude, before any wording or CDS Hooks shape.

An `Advice` names its advice code (the public contract) and variant (the situation, which
picks the wording in `catalogue.py`), the rule that produced it, the values a card must
show, the FHIR references of its evidence, the caveats that apply and the kinds of
suggestion an EHR could act on. Section, indicator and whether it is information only come
from the catalogue. Text lives in the catalogue and the card layer; thresholds and dates
live here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Mapping, Union

from .catalogue import ADVICE_CODES, CATALOGUE

# What an advice value can be: no `Any` (a card formats each kind in its own way).
Value = Union[str, int, float, bool, date, None, tuple[str, ...]]


@dataclass(frozen=True)
class Advice:
    code: str
    variant: str
    indicator: str  # "info" | "warning"
    rule: str
    section: str
    information_only: bool = False
    values: Mapping[str, Value] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()
    caveats: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()  # "order-igg" | "order-ig-until-stop" | "order-ig" | "hold-ig" | "hold-booked-ig" | "set-ig-end" | "set-order-end"
    override_reasons: tuple[str, ...] = ()
    targets: tuple[str, ...] = ()  # active IG orders that update suggestions act on

    def label(self) -> str:
        return f"{self.code}{':' + self.variant if self.variant else ''} ({self.indicator})"


def advice(code: str, variant: str, rule: str, **fields: object) -> Advice:
    """An Advice whose section, indicator and information-only flag come from the catalogue."""
    kind = CATALOGUE[code]
    return Advice(code=code, variant=variant, indicator=kind.indicator_of(variant), rule=rule,
                  section=kind.section_of(variant), information_only=kind.information_only_of(variant),
                  **fields)  # type: ignore[arg-type]


__all__ = ["ADVICE_CODES", "Advice", "Value", "advice"]
