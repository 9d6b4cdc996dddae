"""The cost of one evaluation without HTTP, split by stage, cold and warm validation cache.

The HTTP numbers say whether targets are met; these say where the time goes. "Cold" clears
the validation cache before every evaluation (a chart never seen before: every decisive
resource is validated with fhir.resources), "warm" keeps it (the same chart opened again).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from datetime import date
from typing import Callable

import orjson

from cds_service.fhir import validation
from cds_service.fhir.prefetch import pool_prefetch
from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.runtime import load_runtime
from cds_service.settings import Settings

from .requests import Scenario, card_codes


@dataclass(frozen=True)
class StageTimes:
    """Median milliseconds per stage for one scenario."""

    parse_ms: float  # orjson.loads of the body
    pool_ms: float  # parse_hook_request + pool_prefetch
    cold_ms: float  # the pipeline (pool, facts, rules, cards), validation cache cleared each time
    warm_ms: float  # the pipeline, validation cache warm
    validated: int  # resources fully validated per evaluation (size of the cold cache)


def _median_ms(fn: Callable[[], object], budget_s: float, max_n: int, before: Callable[[], None] | None = None) -> float:
    """Median wall time of `fn` over up to `max_n` calls or `budget_s` seconds (>= 5 calls)."""
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < max_n and (len(samples) < 5 or time.perf_counter() < deadline):
        if before:
            before()
        t = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - t) / 1e6)
    return statistics.median(samples)


def measure(scenarios: list[Scenario], evaluation_date: str, budget_s: float = 1.0) -> dict[str, StageTimes]:
    """Time each stage of each scenario in this process (single-threaded, no event loop)."""
    runtime = load_runtime(Settings(evaluation_date=date.fromisoformat(evaluation_date)))
    keys = list(runtime.templates)
    today = runtime.today()
    out: dict[str, StageTimes] = {}
    for s in scenarios:
        data = orjson.loads(s.body)
        req = parse_hook_request(data, "patient-view")

        def evaluate() -> list[dict]:
            return answer_local(req, runtime, today=today).cards

        validation._CACHE.clear()
        codes = card_codes({"cards": evaluate()})
        if codes != s.expected_cards:
            raise SystemExit(f"{s.name}: in-process cards {codes} != expected {s.expected_cards}")
        validated = len(validation._CACHE)
        out[s.name] = StageTimes(
            parse_ms=_median_ms(lambda: orjson.loads(s.body), budget_s / 4, 2000),
            pool_ms=_median_ms(lambda: pool_prefetch(parse_hook_request(data, "patient-view").prefetch, keys, req.patient_id),
                               budget_s / 4, 2000),
            cold_ms=_median_ms(evaluate, budget_s, 500, before=validation._CACHE.clear),
            warm_ms=_median_ms(evaluate, budget_s, 2000),
            validated=validated,
        )
    return out
