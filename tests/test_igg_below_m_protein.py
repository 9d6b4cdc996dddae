""""IgG Below Its M-Protein" on a chart without M-protein results: answered without a search per IgG result.

The definition searched the M-protein results nearest each of a chart's IgG results (200 of
them on a long history) even when there were none. Here every fixture and generated charts
(with and without M-protein results) are evaluated with that search for every chart
(`igg_below_m_protein_searched`) and with the definition as it is: the same advice, notes and
trace, step by step and in the same order.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, Iterator

import orjson

from bench.patients import EVALUATION_DATE, cohort
from cds_service import pipeline
from cds_service.fhir.request import parse_hook_request
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import request_from_bundle
from cql_like_rules.library import LIBRARY, igg_below_m_protein_searched

from .fixtures import load_fixtures
from .test_answer_equivalence import explained

NAME = "IgG Below Its M-Protein"


def requests() -> Iterator[tuple[date, Any]]:
    for fixture in load_fixtures():
        yield fixture.at, parse_hook_request(request_from_bundle(fixture.bundle), "patient-view")
    for kind, n in (("in-scope-200-igg", 4), ("in-scope", 60), ("out-of-scope", 30)):
        for chart in cohort(kind, n):
            yield EVALUATION_DATE, parse_hook_request(orjson.loads(chart.sendable("1")), "patient-view")


def test_the_same_evaluation_with_and_without_the_search(monkeypatch) -> None:
    runtimes: dict[date, Any] = {}
    current = LIBRARY.definitions[NAME]
    with_m_protein = without = 0
    for at, request in requests():
        runtime = runtimes.setdefault(at, load_runtime(Settings(evaluation_date=at)))
        answers = []
        for function in (current.function, igg_below_m_protein_searched):
            monkeypatch.setitem(LIBRARY.definitions, NAME, dataclasses.replace(current, function=function))
            answer = pipeline.answer_local(request, runtime, today=at)
            answers.append((explained(answer.evaluation), answer.notes, answer.facts))
        assert answers[0] == answers[1], request.patient_id
        facts = answers[0][2]
        with_m_protein += bool(facts.m_protein)
        without += bool(facts.igg) and not facts.m_protein
    assert with_m_protein >= 3 and without >= 50
