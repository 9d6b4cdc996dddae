"""Prometheus metrics, one registry per application (tests build many apps in one process).

Labels are bounded on purpose: `service` is a known service id or "unknown", `endpoint`
is a fixed route name, never a raw path, so a client cannot grow the label set.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.responses import Response

from ..fhir.fetch import FetchFailed

P = ParamSpec("P")
T = TypeVar("T")

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The service's counters; `observe_request` is the only per-request call."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        r = self.registry
        self.requests = Counter("cds_requests", "HTTP requests by endpoint, service and status",
                                ["endpoint", "service", "status"], registry=r)
        self.latency = Histogram("cds_request_duration_seconds", "Time from request to the last response byte",
                                 ["endpoint", "service"], buckets=LATENCY_BUCKETS, registry=r)
        self.cards = Counter("cds_cards", "Cards returned, by service and advice code", ["service", "code"], registry=r)
        self.suppressed = Counter("cds_cards_suppressed", "Cards removed by the kill switch, by advice code",
                                  ["code"], registry=r)
        self.fetch_failures = Counter("cds_fhir_fetch_failures", "Requests whose fetch from the fhirServer failed",
                                      registry=r)
        self.killswitch_errors = Counter("cds_killswitch_reload_errors",
                                         "Kill-switch files that could not be read (the previous list stays)",
                                         registry=r)
        self._children: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._cards: dict[tuple[str, str], Any] = {}

    def observe_request(self, endpoint: str, service: str, status: int, seconds: float, codes: list[str]) -> None:
        key = (endpoint, service, str(status))
        children = self._children.get(key)
        if children is None:  # labels() takes a lock and builds a tuple: resolve once per label set
            children = self._children[key] = (self.requests.labels(*key), self.latency.labels(endpoint, service))
        children[0].inc()
        children[1].observe(seconds)
        for code in codes:
            card = self._cards.get((service, code))
            if card is None:  # codes are the service's own, a fixed set
                card = self._cards[(service, code)] = self.cards.labels(service, code)
            card.inc()

    def count_fetch_failures(self, fetch: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, Coroutine[Any, Any, T]]:
        """Wrap `FhirFetcher.fetch`: the app turns FetchFailed into a 412, the count stays here."""

        @functools.wraps(fetch)
        async def counted(*args: P.args, **kwargs: P.kwargs) -> T:
            try:
                return await fetch(*args, **kwargs)
            except FetchFailed:
                self.fetch_failures.inc()
                raise

        return counted

    def response(self) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)
