"""CPU per request of each stage, in this process, on unseen charts: where the service's time goes.

The HTTP numbers say whether targets are met; these say which stage to look at. Every chart
is made unseen (a fresh revision number, as the load generator writes), so the validation
cache never answers. "snapshot" is the explanation snapshot the card store's writer thread
serialises per card: off the request path, but on the same CPU.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

import orjson

from cds_service import pipeline
from cds_service.fhir.request import parse_hook_request
from cds_service.fhir.validation import validity
from cds_service.pipeline import answer_local
from cds_service.records.snapshot import payload
from cds_service.runtime import load_runtime
from cds_service.settings import Settings

from .patients import Chart


@dataclass(frozen=True)
class StageTimes:
    """CPU milliseconds per request (mean over the cohort, best of the repeats)."""

    parse_ms: float  # orjson.loads + parse_hook_request
    pool_ms: float  # prefetch pooling (also inside `answer`)
    answer_ms: float  # pipeline.answer: pooling, facts, rules, validation, cards
    validate_ms: float  # of which FHIR validation of the decisive resources
    dump_ms: float  # the answer's JSON
    snapshot_ms: float  # explanation snapshots of its cards (writer thread)
    total_ms: float  # parse + answer + dump + snapshot


def measure(charts: list[Chart], evaluation_date: date, repeats: int = 3) -> StageTimes:
    """Each stage's CPU per request over every chart of a cohort, each made unseen for each pass."""
    runtime = load_runtime(Settings(evaluation_date=evaluation_date))
    today = runtime.today()
    keys = list(runtime.templates)
    serialise = partial(payload, ruleset=runtime.ruleset)
    spent = {"validate": 0.0}
    original = pipeline.validity

    def timed_validity(resource: Any) -> Any:
        t = time.process_time()
        try:
            return validity(resource)
        finally:
            spent["validate"] += time.process_time() - t

    best: dict[str, float] = {}
    pipeline.validity = timed_validity  # type: ignore[assignment]
    try:
        for rep in range(repeats + 1):  # the first pass warms imports and code paths
            spent["validate"] = 0.0
            sums = dict.fromkeys(("parse", "pool", "answer", "dump", "snapshot"), 0.0)
            for i, chart in enumerate(charts):
                body = chart.sendable(f"{rep}{i:07d}")
                t0 = time.process_time()
                req = parse_hook_request(orjson.loads(body), "patient-view")
                t1 = time.process_time()
                pipeline.pool_prefetch(req.prefetch, keys, req.patient_id, runtime.tz)
                t2 = time.process_time()
                answer = answer_local(req, runtime, today=today)
                t3 = time.process_time()
                orjson.dumps({"cards": answer.cards})
                t4 = time.process_time()
                for index in range(len(answer.cards)):
                    orjson.dumps(serialise(answer, index))
                t5 = time.process_time()
                codes = tuple(c["source"]["topic"]["code"] for c in answer.cards)  # type: ignore[index]
                if codes != chart.expected_cards:
                    raise SystemExit(f"{chart.patient_id}: in-process cards {codes} != expected {chart.expected_cards}")
                for key, dt in (("parse", t1 - t0), ("pool", t2 - t1), ("answer", t3 - t2), ("dump", t4 - t3),
                                ("snapshot", t5 - t4)):
                    sums[key] += dt
            sums["validate"] = spent["validate"]
            if rep:
                for key, value in sums.items():
                    best[key] = min(best.get(key, value), value)
    finally:
        pipeline.validity = original  # type: ignore[assignment]
    n = len(charts)
    ms = {k: v / n * 1000 for k, v in best.items()}
    return StageTimes(ms["parse"], ms["pool"], ms["answer"], ms["validate"], ms["dump"], ms["snapshot"],
                      ms["parse"] + ms["answer"] + ms["dump"] + ms["snapshot"])
