"""Schemathesis against the real service: uvicorn on 127.0.0.1, generated requests over HTTP.

Every generated request must get a documented status with a body that matches the
OpenAPI schema, and never a 5xx. Generated bodies carry arbitrary `fhirServer` URLs, so
the server runs with an allow-list of one unresolvable host and every outbound attempt
(httpx `AsyncClient.send` and the event loop's `create_connection`) is recorded and
refused: the run proves the service dials nothing but what the configuration allows.

The suite runs a bounded budget (~200 cases, derandomized so CI is stable);
`make fuzz` runs `CDS_FUZZ_CASES=5000` random cases on the patient-view operation.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from cds_service.http.app import create_app
from cds_service.settings import load_settings

from .servers import serve_in_thread

ALLOWED_FHIR = "https://fhir.invalid"
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
SERVICE_OPS = ("POST /cds-services/igsub-patient-view", "POST /cds-services/igsub-order-select",
               "POST /cds-services/igsub-order-sign")
UNKNOWN_OP = "POST /cds-services/{service_id}"
# Examples per (operation, mode) in the suite: ~200 cases in all, most on patient-view.
SUITE_BUDGET = {SERVICE_OPS[0]: (60, 30), SERVICE_OPS[1]: (15, 10), SERVICE_OPS[2]: (15, 10),
                "POST /cds-services/{service_id}/feedback": (10, 10), UNKNOWN_OP: (10, 0)}
SUITE_DEFAULT = (4, 2)


def live_server(app, **config):
    """Serve `app` with uvicorn in a thread on a free 127.0.0.1 port (tests/servers.py)."""
    return serve_in_thread(app, loop="asyncio", **config)


class Outbound:
    """Records every outbound connection attempt of the server and refuses it."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.connects: list[tuple[str, int]] = []

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        async def send(client, request, *args, **kwargs):
            self.sent.append(str(request.url))
            raise httpx.ConnectError("outbound connections are refused in this test", request=request)

        original = asyncio.BaseEventLoop.create_connection

        async def create_connection(loop, protocol_factory, host=None, port=None, *args, **kwargs):
            self.connects.append((str(host), int(port or 0)))
            if host not in ("127.0.0.1", "localhost", "::1"):
                raise OSError("outbound connections are refused in this test")
            return await original(loop, protocol_factory, host, port, *args, **kwargs)

        monkeypatch.setattr(httpx.AsyncClient, "send", send)
        monkeypatch.setattr(asyncio.BaseEventLoop, "create_connection", create_connection)

    def outside(self, allowed: set[str]) -> list[str]:
        hosts = [urlsplit(u).hostname or "" for u in self.sent] + [h for h, _ in self.connects]
        return [h for h in hosts if h not in allowed]


def fuzz_env(tmp_path: Path) -> dict[str, str]:
    # Small limits so generated requests also reach the 400/413 paths.
    return {
        "CDS_FHIR_ALLOWED_SERVERS": ALLOWED_FHIR,
        "CDS_DATA_DIR": str(tmp_path / "data"),
        "CDS_MAX_RESOURCES": "40",
        "CDS_MAX_JSON_DEPTH": "24",
        "CDS_EVALUATION_DATE": "2026-01-20",
        "CDS_LOG_SALT": "fuzz",
    }


def run_fuzz(base_url: str, budget, derandomize: bool) -> Counter:
    """Drive every operation, positive and negative; returns cases and statuses per operation."""
    schema = schemathesis.openapi.from_url(base_url + "/openapi.json")
    seen: Counter = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, examples in zip((GenerationMode.POSITIVE, GenerationMode.NEGATIVE), budget(operation.label)):
            if mode is GenerationMode.NEGATIVE and operation.label == UNKNOWN_OP:
                continue  # the negation of "not a known id" is a known id: that is the other operations' job


            @settings(max_examples=examples, deadline=None, database=None, derandomize=derandomize,
                      suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            def check(case) -> None:
                response = case.call_and_validate(checks=CHECKS, timeout=30)
                seen[(operation.label, "cases")] += 1
                seen[(operation.label, response.status_code)] += 1

            try:
                check()
            except Unsatisfiable:  # no parameters and no body: nothing negative to generate
                assert mode is GenerationMode.NEGATIVE, operation.label
    return seen


def test_fuzz_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = int(os.environ.get("CDS_FUZZ_CASES", "0"))
    if cases:
        def budget(label: str) -> tuple[int, int]:
            return (cases * 2 // 3, cases // 3) if label == SERVICE_OPS[0] else (100, 50)
    else:
        def budget(label: str) -> tuple[int, int]:
            return SUITE_BUDGET.get(label, SUITE_DEFAULT)

    outbound = Outbound()
    outbound.install(monkeypatch)
    app = create_app(load_settings(fuzz_env(tmp_path)))
    started = time.monotonic()
    with live_server(app) as base_url:
        seen = run_fuzz(base_url, budget, derandomize=not cases)
    elapsed = time.monotonic() - started

    total = sum(n for (op, what), n in seen.items() if what == "cases")
    print(f"\nfuzz: {total} cases in {elapsed:.1f} s")
    for (op, what), n in sorted(seen.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        print(f"  {op:45s} {what!s:6s} {n}")
    assert outbound.outside({urlsplit(ALLOWED_FHIR).hostname, "127.0.0.1"}) == []
    assert seen[(SERVICE_OPS[0], "cases")] >= (cases * 9 // 10 if cases else 60)
    assert all(what == "cases" or what < 500 for (_, what) in seen)


# -- fixture mutations: generated data deep inside realistic requests --------------------------
# Schema-generated prefetch is mostly not FHIR the rules would use, so the evaluation path is
# reached rarely; mutating the fixtures' requests puts odd values where the rules read them.
FIXTURES = sorted(p for p in (Path(__file__).resolve().parent.parent / "fhir_fixtures").glob("*.json")
                  if not p.name.endswith(".expect.json"))
json_leaf = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
             | st.text(max_size=12) | st.sampled_from(["2026-01-20", "2026", "2026-13-45T25:00", "g/L", "mg/dL", "", "Patient/x"]))
json_values = st.recursive(json_leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
                           max_leaves=8)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated_requests(draw):
    from cds_service.tools.replay import load_bundle, request_from_bundle

    body = request_from_bundle(load_bundle(draw(st.sampled_from(FIXTURES))))
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p in _paths(body) if p]
        path = draw(st.sampled_from(paths))
        parent = body
        for part in path[:-1]:
            parent = parent[part]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(json_values)
    return body


def test_fuzz_mutated_fixtures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import orjson
    import requests
    from jsonschema import Draft202012Validator

    cases = int(os.environ.get("CDS_FUZZ_CASES", "0")) // 2 or 60
    outbound = Outbound()
    outbound.install(monkeypatch)
    app = create_app(load_settings(fuzz_env(tmp_path)))
    doc = app.openapi()
    operation = doc["paths"]["/cds-services/igsub-patient-view"]["post"]
    statuses: Counter = Counter()
    with live_server(app) as base_url, requests.Session() as session:

        @settings(max_examples=cases, deadline=None, database=None, derandomize=not os.environ.get("CDS_FUZZ_CASES"),
                  suppress_health_check=list(HealthCheck))
        @given(body=mutated_requests())
        def check(body) -> None:
            r = session.post(base_url + "/cds-services/igsub-patient-view", data=orjson.dumps(body),
                             headers={"content-type": "application/json"}, timeout=30)
            statuses[r.status_code] += 1
            assert str(r.status_code) in operation["responses"], (r.status_code, r.text[:300])
            schema = operation["responses"][str(r.status_code)]["content"]["application/json"]["schema"]
            errors = list(Draft202012Validator({**schema, "components": doc["components"]}).iter_errors(r.json()))
            assert not errors, errors[0].message

        check()
    print(f"\nmutated fixtures: {sum(statuses.values())} cases, statuses {dict(statuses)}")
    assert outbound.outside({urlsplit(ALLOWED_FHIR).hostname, "127.0.0.1"}) == []
    assert statuses[200] > 0  # the evaluation path was reached


# -- the community's own description of the API ------------------------------------------------
# cds-hooks/api (tests/data/README.md) describes a generic CDS service in Swagger 2.0. Requests
# generated from it, not from our document, are sent to each of the service's ids and to the
# generated one: whatever they hold, the answer is never a server error.
API_DOCUMENT = Path(__file__).resolve().parent / "data" / "cds-hooks-api-swagger.yaml"
SERVICE_IDS = ("igsub-patient-view", "igsub-order-select", "igsub-order-sign")


def test_fuzz_with_the_cds_hooks_api_document(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cases = int(os.environ.get("CDS_FUZZ_CASES", "0")) // 4 or 40
    outbound = Outbound()
    outbound.install(monkeypatch)
    app = create_app(load_settings(fuzz_env(tmp_path)))
    statuses: Counter = Counter()
    with live_server(app) as base_url:
        schema = schemathesis.openapi.from_path(API_DOCUMENT)
        schema.config.update(base_url=base_url)
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

                @settings(max_examples=cases, deadline=None, database=None,
                          derandomize=not os.environ.get("CDS_FUZZ_CASES"), suppress_health_check=list(HealthCheck))
                @given(case=operation.as_strategy(generation_mode=mode))
                def check(case) -> None:
                    targets = [None] if "id" not in (case.path_parameters or {}) else [None, *SERVICE_IDS]
                    for service_id in targets:
                        if service_id is not None:
                            case.path_parameters["id"] = service_id
                        response = case.call(base_url=base_url, timeout=30)
                        statuses[(operation.label, response.status_code)] += 1
                        assert response.status_code < 500, (case.path_parameters, response.text[:300])
                        if response.status_code >= 400:  # refused with a reason, in FHIR's error format
                            assert response.json()["resourceType"] == "OperationOutcome", response.text[:300]

                try:
                    check()
                except Unsatisfiable:
                    assert mode is GenerationMode.NEGATIVE, operation.label
    print(f"\ncds-hooks/api fuzz: {sum(statuses.values())} requests: {dict(sorted(statuses.items(), key=str))}")
    assert statuses[("GET /cds-services", 200)] >= 1
    assert sum(n for (label, _), n in statuses.items() if label.startswith("POST")) >= 4 * cases  # every id was called
    assert outbound.outside({urlsplit(ALLOWED_FHIR).hostname, "127.0.0.1"}) == []
