"""Evaluations without HTTP: raw resources -> facts -> rules -> cards.

Resources whose facts decide the advice are validated with the full FHIR models; if one
fails, it is dropped, named in the cards, and the evaluation runs again, so invalid data
can never silently change the advice while the cost stays proportional to what is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterable, Mapping

from cql_like_rules import Evaluation
from cql_like_rules.facts import DataNote, Facts
from cql_like_rules.orders import DraftOrder

from .cards.render import CardContext, cards
from .errors import BadRequest
from .fhir.facts import Extraction, FactBuilder, reference_of
from .fhir.prefetch import belongs_to
from .runtime import Runtime
from .fhir.validation import validation_error

@dataclass(frozen=True)
class Assessment:
    evaluation: Evaluation
    extraction: Extraction


def decisive_sources(evaluation: Evaluation, extraction: Extraction, decisive: frozenset[str]) -> list[str]:
    refs: list[str] = []
    if extraction.facts.patient is not None:
        refs.append(extraction.facts.patient.source)
    for step in evaluation.trace:
        if step.name in decisive:
            refs.extend(s for s in step.sources if s not in refs)
    for advice in evaluation.advice:
        refs.extend(s for s in advice.targets if s not in refs)
    return refs


def _validated(resources: list[dict], notes: Iterable[DataNote], runtime: Runtime,
               run: Callable[[Facts], Evaluation], extra: Mapping[str, dict] | None = None) -> Assessment:
    builder = FactBuilder(runtime.terminology, runtime.tz)
    notes = list(notes)
    rejected: set[str] = set()
    while True:
        usable = [r for r in resources if reference_of(r) not in rejected] if rejected else resources
        extraction = builder.build(usable, notes)
        if extra:
            extraction.resources.update(extra)
        evaluation = run(extraction.facts)
        bad = [
            (ref, error)
            for ref in decisive_sources(evaluation, extraction, runtime.ruleset.decisive)
            if ref in extraction.resources and ref not in (extra or {})
            and (error := validation_error(extraction.resources[ref])) is not None
        ]
        if not bad:
            return Assessment(evaluation, extraction)
        for ref, error in bad:
            rejected.add(ref)
            notes.append(DataNote("invalid", ref, f"not valid FHIR R4, skipped ({error})"))


def assess(resources: list[dict], notes: Iterable[DataNote], runtime: Runtime, today: date) -> Assessment:
    """patient-view: the advice for the patient today."""
    return _validated(resources, notes, runtime, lambda facts: runtime.ruleset.evaluate(facts, today))


def assess_orders(resources: list[dict], notes: Iterable[DataNote], drafts: Iterable[Mapping[str, Any]],
                  patient_id: str, runtime: Runtime, today: date) -> Assessment:
    """order-select / order-sign: the advice on each relevant draft order."""
    builder = FactBuilder(runtime.terminology, runtime.tz)
    drafts = list(drafts)
    builder.know_medications([*resources, *drafts])
    notes = list(notes)
    orders: list[DraftOrder] = []
    raw: dict[str, dict] = {}
    for resource in drafts:
        ref = reference_of(resource)
        if not belongs_to(resource, patient_id):
            notes.append(DataNote("wrong-patient", ref, f"draft order not about Patient/{patient_id}; ignored"))
            continue
        order = builder.draft_order(resource)
        if order is None or ref in raw:
            continue
        error = validation_error(resource)
        if error is not None:  # the order being signed must be judged as it is, not skipped silently
            raise BadRequest(f"context.draftOrders: {ref} is not valid FHIR R4 ({error})")
        orders.append(order)
        raw[ref] = dict(resource)
    if not orders:
        return Assessment(Evaluation((), (), today), Extraction(Facts(notes=tuple(notes))))
    return _validated(resources, notes, runtime,
                      lambda facts: runtime.ruleset.evaluate_orders(facts, orders, today), extra=raw)


def cards_for(assessment: Assessment, runtime: Runtime, patient_id: str, lang: str) -> list[dict]:
    ctx = CardContext(
        lang=lang,
        patient_id=patient_id,
        ruleset=runtime.ruleset.label,
        terminology=runtime.terminology,
        resources=assessment.extraction.resources,
        notes=assessment.extraction.facts.notes,
    )
    return cards(assessment.evaluation, ctx)
