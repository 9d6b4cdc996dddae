"""A card's snapshot waits for the writer without the request's chart, and says the same.

The card store queues `Answer.for_snapshot()`: the answer without the parsed request's
prefetch and the resources behind the facts, so a 235 KB chart is freed when its request
ends. The snapshot made from it must be byte for byte the one the whole answer gives.
"""

from __future__ import annotations

import gc
from datetime import date
from typing import Any, Iterator

import orjson
import pytest

from bench.patients import EVALUATION_DATE, cohort
from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import Answer, answer_local
from cds_service.records.snapshot import payload
from cds_service.runtime import Runtime, load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import request_from_bundle

from .fixtures import load_fixtures


def answers() -> Iterator[tuple[str, Runtime, Answer]]:
    runtimes: dict[date, Runtime] = {}
    for fixture in load_fixtures():
        runtime = runtimes.setdefault(fixture.at, load_runtime(Settings(evaluation_date=fixture.at)))
        request = parse_hook_request(request_from_bundle(fixture.bundle), "patient-view")
        yield fixture.name, runtime, answer_local(request, runtime)
    runtime = load_runtime(Settings(evaluation_date=EVALUATION_DATE))
    for chart in cohort("in-scope-200-igg", 3) + cohort("in-scope", 5):
        request = parse_hook_request(orjson.loads(chart.sendable("1")), "patient-view")
        yield chart.patient_id, runtime, answer_local(request, runtime)


def reachable(root: Any) -> set[int]:
    """Ids of the containers and project objects reachable from `root` (not classes or modules)."""
    seen: set[int] = set()
    todo = [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen:
            continue
        if not isinstance(obj, (dict, list, tuple, set, frozenset)) and not type(obj).__module__.startswith(
                ("cds_service", "cql_like_rules")):
            continue
        if isinstance(obj, type):
            continue
        seen.add(id(obj))
        todo.extend(gc.get_referents(obj))
    return seen


def test_every_snapshot_from_the_kept_answer_is_the_same() -> None:
    compared = 0
    for name, runtime, answer in answers():
        kept = answer.for_snapshot()
        for index in range(len(answer.cards)):
            whole = orjson.dumps(payload(answer, index, runtime.ruleset))
            assert orjson.dumps(payload(kept, index, runtime.ruleset)) == whole, name
            compared += 1
    assert compared >= 20


@pytest.mark.parametrize("kind", ["in-scope-200-igg", "in-scope"])
def test_the_kept_answer_holds_none_of_the_chart(kind: str) -> None:
    runtime = load_runtime(Settings(evaluation_date=EVALUATION_DATE))
    request = parse_hook_request(orjson.loads(cohort(kind, 1)[0].sendable("1")), "patient-view")
    answer = answer_local(request, runtime)
    assert answer.cards
    chart = {id(entry["resource"]) for bundle in request.prefetch.values() if isinstance(bundle, dict)
             for entry in bundle.get("entry", ())} | {id(request.prefetch)}
    assert chart & reachable(answer), "the whole answer holds the chart (else this test proves nothing)"
    assert not chart & reachable(answer.for_snapshot())
