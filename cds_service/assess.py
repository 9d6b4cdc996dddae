"""One patient-view evaluation without HTTP: raw resources -> facts -> rules -> cards.

Resources whose facts decide the advice are validated with the full FHIR models; if one
fails, it is dropped, named in the cards, and the evaluation runs again, so invalid data
can never silently change the advice while the cost stays proportional to what is used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Iterable

from cql_like_rules import Evaluation, evaluate_patient
from cql_like_rules.facts import DataNote

from .cards import CardContext, cards
from .facts_from_fhir import Extraction, FactBuilder, reference_of
from .runtime import Runtime
from .validation import validation_error

# The definitions whose facts decide the advice: their resources are fully validated.
DECISIVE = (
    "Index Event",
    "Malignancy Diagnoses",
    "Latest IgG",
    "Current Episode",
    "Recent Severe Or Recurrent Infections",
    "Infections Before Substitution",
)


@dataclass(frozen=True)
class Assessment:
    evaluation: Evaluation
    extraction: Extraction


def decisive_sources(evaluation: Evaluation, extraction: Extraction) -> list[str]:
    refs: list[str] = []
    if extraction.facts.patient is not None:
        refs.append(extraction.facts.patient.source)
    for step in evaluation.trace:
        if step.name in DECISIVE:
            refs.extend(s for s in step.sources if s not in refs)
    return refs


def assess(resources: list[dict], notes: Iterable[DataNote], runtime: Runtime, today: date) -> Assessment:
    builder = FactBuilder(runtime.terminology, runtime.tz)
    notes = list(notes)
    rejected: set[str] = set()
    while True:
        usable = [r for r in resources if reference_of(r) not in rejected] if rejected else resources
        extraction = builder.build(usable, notes)
        evaluation = evaluate_patient(extraction.facts, today, runtime.params)
        bad = [
            (ref, error)
            for ref in decisive_sources(evaluation, extraction)
            if (error := validation_error(extraction.resources[ref])) is not None
        ]
        if not bad:
            return Assessment(evaluation, extraction)
        for ref, error in bad:
            rejected.add(ref)
            notes.append(DataNote("invalid", ref, f"not valid FHIR R4, skipped ({error})"))


def cards_for(assessment: Assessment, runtime: Runtime, patient_id: str, lang: str) -> list[dict]:
    ctx = CardContext(
        lang=lang,
        patient_id=patient_id,
        ruleset=runtime.ruleset,
        terminology=runtime.terminology,
        resources=assessment.extraction.resources,
        notes=assessment.extraction.facts.notes,
    )
    return cards(assessment.evaluation, ctx)
