"""Hostile values in every field the facts read: the answer is 200 or a 4xx OperationOutcome, never 5xx.

A valid request is built from a fixture (`request_from_bundle`, as `replay` does), then one
field at a time is replaced with a hostile value: the wrong JSON type, huge or tiny
numbers, number-like strings, deep nesting, very long strings, control and bidi
characters, impossible dates, links and HTML (every card's detail is rendered with raw HTML and
GFM autolinks and must show no link or image). Fields that the fixtures lack but the facts read (deceased,
comparators, medication references, periods, ...) are added the same way. Requests go
through the real ASGI application (httpx ASGITransport, as `replay` does).

Two passes: a sweep that gives every field of four rich requests (an order-sign one with
its draft among them) a seventh of the hostile values each, rotating so that every kind
reaches every part of every resource (deterministic); and a Hypothesis property over every
fixture and both hooks with freely generated values. The full product (every field of every
fixture, both hooks, every value) took half an hour, too slow for the suite; run by hand,
it found the crashes and the slow paths pinned at the end of this file.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds_service.http.app import create_app
from cds_service.http.discovery import HOOK_OF
from cds_service.settings import Settings
from cds_service.tools.replay import load_bundle, load_drafts, request_from_bundle

from .fixtures import FIXTURES
from .test_card_text import RENDER  # CommonMark with raw HTML and GFM autolinks
from .test_fuzz import _paths  # every path in a JSON value

SERVICE_OF = {hook: sid for sid, hook in HOOK_OF.items()}
BUNDLES = sorted(p for p in FIXTURES.glob("*.json") if not p.name.endswith(".expect.json"))
SWEPT = [("cart-ig-active-stop-overdue", "patient-view"), ("glofitamab-in-window-igg-4-8-fresh", "patient-view"),
         ("cart-after-window-sepsis-igg-200-days-old", "patient-view"), ("cart-in-window-igg-low", "order-sign")]
DRAFT = FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json"


def deep(levels: int) -> Any:
    value: Any = "x"
    for i in range(levels):
        value = [value] if i % 2 else {"a": value}
    return value


# One of each kind; the sweep gives every field each of these in turn.
HOSTILE: list[Any] = [
    None, True, False, 0, -1, 1e30, -1e308, 5e-324, 2**63 - 1, -(2**63), 1.5,  # numbers orjson can read
    "", " ", "NaN", "Infinity", "-1e999", "0x1F", "１２", "4,5", "<4", "1e30",  # number-like strings
    [], [None], {}, {"value": []}, deep(40), deep(150),  # wrong containers, deep nesting
    "x" * 100_000, "\x00\x01\x1b[31m\r\n", "\u202e\u2066evil\u2069", "😀" * 1000, "\ud7ff\ue000\uffff",  # strings
    "2026-02-05T10:00:00+24:00", "2026-02-05T10:00:00-99:99", "9999-12-31T23:59:59-14:00", "0000-00-00",  # dates
    "Patient/", "Patient/../../x", "#", "#missing", "urn:uuid:", "Medication/" + "9" * 300,  # references
    "www.evil.com", "https://evil.example/x", "x@evil.dk", "<img src=x onerror=alert(1)>[a](javascript:x)",  # links
]

# Fields the facts read that fixtures may lack, per resource type (dotted; digits index arrays).
EXTRA_FIELDS = {
    "Patient": ["birthDate", "deceasedBoolean", "deceasedDateTime", "identifier.0.value", "identifier.0.system", "id"],
    "Observation": ["status", "code.coding.0.system", "code.coding.0.code", "effectiveDateTime", "effectivePeriod.start",
                    "effectiveInstant", "issued", "valueQuantity.value", "valueQuantity.unit", "valueQuantity.code",
                    "valueQuantity.system", "valueQuantity.comparator", "subject.reference", "patient.reference", "meta.lastUpdated"],
    "Procedure": ["status", "code.coding.0.code", "performedDateTime", "performedPeriod.start", "subject.reference"],
    "MedicationAdministration": ["status", "medicationCodeableConcept.coding.0.code", "medicationReference.reference",
                                 "contained", "contained.0.id", "effectiveDateTime", "effectivePeriod.start", "subject.reference"],
    "MedicationRequest": ["status", "intent", "medicationCodeableConcept.coding.0.system", "medicationReference.reference",
                          "contained", "contained.0.code", "authoredOn", "dosageInstruction", "dosageInstruction.0.timing.repeat",
                          "dosageInstruction.0.timing.repeat.boundsPeriod.start", "dosageInstruction.0.timing.repeat.boundsPeriod.end",
                          "dosageInstruction.0.timing.repeat.boundsDuration", "subject.reference"],
    "Condition": ["code.coding.0.code", "verificationStatus.coding.0.code", "clinicalStatus", "severity.coding.0.code",
                  "onsetDateTime", "onsetPeriod.start", "recordedDate", "subject.reference"],
    "Medication": ["id", "code.coding.0.code", "code.coding.0.system"],
}
BUNDLE_FIELDS = ["entry", "entry.0", "entry.0.resource", "total", "type", "link", "link.0.relation", "link.0.url", "resourceType"]


# -- building requests ------------------------------------------------------------------------
def request_for(bundle_path, hook: str = "patient-view") -> dict:
    """The fixture's request, with a Medication the orders can refer to (the fixtures send none)."""
    bundle = load_bundle(bundle_path)
    drafts = load_drafts([str(DRAFT)]) if hook != "patient-view" else None
    body = request_from_bundle(bundle, hook, drafts)
    medication = {"resourceType": "Medication", "id": "med-1",
                  "code": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]}}
    body["prefetch"]["medicationRequests"]["entry"].append({"resource": medication, "search": {"mode": "include"}})
    return body


def _resources(body: dict) -> Iterator[tuple[tuple, dict]]:
    for key, value in (body.get("prefetch") or {}).items():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            for i, entry in enumerate(value["entry"]):
                yield ("prefetch", key, "entry", i, "resource"), entry["resource"]
        elif isinstance(value, dict):
            yield ("prefetch", key), value
    drafts = body["context"].get("draftOrders")
    for i, entry in enumerate(drafts["entry"] if drafts else []):
        yield ("context", "draftOrders", "entry", i, "resource"), entry["resource"]


def field_paths(body: dict) -> list[tuple]:
    """Every field of every resource (and of every prefetch Bundle), plus the read fields they lack."""
    paths: dict[tuple, None] = {}
    for key, value in (body.get("prefetch") or {}).items():
        if isinstance(value, dict) and value.get("resourceType") == "Bundle":
            paths.update(dict.fromkeys(("prefetch", key, *(int(p) if p.isdigit() else p for p in f.split("."))) for f in BUNDLE_FIELDS))
    for prefix, resource in _resources(body):
        paths.update(dict.fromkeys(p for p in _paths(resource, prefix) if len(p) > len(prefix)))
        for f in EXTRA_FIELDS.get(resource.get("resourceType"), []):
            paths[prefix + tuple(int(p) if p.isdigit() else p for p in f.split("."))] = None
    return list(paths)


def replaced(body: dict, path: tuple, value: Any) -> dict:
    """A copy of `body` with `value` at `path`, creating what is missing on the way."""
    body = orjson.loads(orjson.dumps(body))  # the base request is plain JSON: a faster deep copy
    node: Any = body
    for part, following in zip(path, path[1:]):
        fresh: Any = [] if isinstance(following, int) else {}
        if isinstance(node, list):
            while len(node) <= part:
                node.append(copy.deepcopy(fresh))
            if not isinstance(node[part], (dict, list)):
                node[part] = fresh
        else:
            if not isinstance(node.get(part), (dict, list)):
                node[part] = fresh
        node = node[part]
        if isinstance(following, int) and not isinstance(node, list) or isinstance(following, str) and not isinstance(node, dict):
            return body  # the container on the way is of the other kind: nothing to replace
    last = path[-1]
    if isinstance(node, list):
        while len(node) <= last:
            node.append(None)
    node[last] = value  # sent as JSON text, never changed: no copy needed
    return body


# -- the application --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def client():
    app = create_app(Settings(evaluation_date=date(2026, 1, 20)), record_cards=False)
    loop = asyncio.new_event_loop()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://hostile")

    def post(body: dict) -> httpx.Response:
        path = f"/cds-services/{SERVICE_OF[body['hook']]}"
        content = json.dumps(body).encode()  # json, not orjson: it writes what orjson would refuse (deep nesting)
        return loop.run_until_complete(http.post(path, content=content, headers={"content-type": "application/json"}))

    yield post
    loop.run_until_complete(http.aclose())
    loop.close()


def check(response: httpx.Response, path: tuple, value: Any) -> None:
    where = f"{'.'.join(map(str, path))} = {repr(value)[:60]}"
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}"
    body = response.json()
    if response.status_code == 200:
        assert isinstance(body.get("cards"), list), where
        for card in body["cards"]:  # request text in a detail stays text, however the EHR renders it
            html = RENDER.render(card["detail"])
            assert "<a " not in html and "<img" not in html, f"{where}: {html}"
    else:
        assert 400 <= response.status_code < 500, where
        assert body["resourceType"] == "OperationOutcome" and body["issue"][0]["diagnostics"], where


# -- the sweep: every field, every kind of hostile value ---------------------------------------
@pytest.mark.parametrize(("name", "hook"), SWEPT)
def test_every_field_with_every_kind_of_hostile_value(client, name: str, hook: str) -> None:
    body = request_for(FIXTURES / f"{name}.json", hook)
    assert client(body).status_code == 200
    paths = field_paths(body)
    statuses: dict[int, int] = {}
    for i, path in enumerate(paths):
        # Each field gets every 7th value, starting at its own offset: all kinds reach every
        # part of every resource, at a seventh of the cost of the full product.
        for value in HOSTILE[i % 7::7]:
            response = client(replaced(body, path, value))
            check(response, path, value)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
    print(f"\n{name} ({hook}): {len(paths)} fields, {sum(statuses.values())} requests, statuses {statuses}")
    assert statuses.get(200, 0) > 0


# -- the property: any fixture, any field, any value -------------------------------------------
json_leaf = (st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False, allow_infinity=False)
             | st.text(max_size=50) | st.text(alphabet=st.characters(codec="utf-8"), max_size=20) | st.sampled_from(HOSTILE))
json_values = st.recursive(json_leaf, lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
                           max_leaves=10)
REQUESTS = {(p.stem, hook): request_for(p, hook) for p in BUNDLES for hook in ("patient-view", "order-sign")}
PATHS = {key: field_paths(body) for key, body in REQUESTS.items()}


@st.composite
def hostile_requests(draw) -> tuple[dict, tuple, Any]:
    key = draw(st.sampled_from(sorted(REQUESTS)))
    path = draw(st.sampled_from(PATHS[key]))
    value = draw(json_values)
    return replaced(REQUESTS[key], path, value), path, value


@settings(max_examples=1000, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(case=hostile_requests())
def test_any_fixture_any_field_any_value(client, case) -> None:
    body, path, value = case
    check(client(body), path, value)


# -- what the sweep found: work and memory that grew with a hostile value -----------------------
class CountingDict(dict):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lookups = 0

    def get(self, key: Any, default: Any = None) -> Any:
        self.lookups += 1
        return super().get(key, default)


def test_a_huge_code_costs_no_more_prefix_lookups_than_the_longest_prefix() -> None:
    """A 100,000-character code used to be tried at every length (one request held the loop 86 s)."""
    from cds_service.runtime import load_runtime

    terminology = load_runtime(Settings()).terminology
    malignancy = terminology.valuesets["haematological-malignancy"]
    malignancy.prefixes = CountingDict(malignancy.prefixes)
    alias = next(a for a, _ in malignancy.prefixes)  # a code system with ICD-10 style prefixes
    system = terminology.uris_of[alias][0]
    concept = {"coding": [{"system": system, "code": "C" * 100_000}]}
    assert terminology.sets_of(concept) == {}
    assert 0 < malignancy.prefixes.lookups <= malignancy.longest_prefix <= 10


def test_huge_codes_and_resources_are_not_kept_in_the_caches() -> None:
    """Each distinct megabyte 'code' or decisive resource used to stay in a cache of 20,000-100,000 entries."""
    from cds_service.fhir import validation
    from cds_service.runtime import load_runtime

    terminology = load_runtime(Settings()).terminology
    before = (len(terminology._cache), len(terminology._sets_of))
    terminology.sets_of({"coding": [{"system": "http://loinc.org", "code": "9" * 1_000_000}]})
    assert (len(terminology._cache), len(terminology._sets_of)) == before
    terminology.sets_of({"coding": [{"system": "http://loinc.org", "code": "2465-3"}]})
    assert len(terminology._sets_of) == before[1] + 1  # real codes are still cached
    huge = {"resourceType": "Observation", "id": "o", "status": "final", "code": {"text": "x" * 1_000_000}}
    size = len(validation._CACHE)
    validation.validation_error(huge)
    assert len(validation._CACHE) == size
