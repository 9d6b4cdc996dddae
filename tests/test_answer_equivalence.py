"""Answering without validating what cannot matter gives the same answer as validating everything.

On a chart with no CAR-T or bsAb fact the facts, rules, data notes and validation wait until the notes are read, and
text hints are searched once per distinct text. Here every fixture (patient-view, and each
draft order as order-select and order-sign), generated benchmark patients in and out of
scope, and out-of-scope charts with a broken, malformed or deceased Patient are answered
both ways: the cards (but their uuids), advice, notes, facts and evaluation must be equal.
And the trace, rendered once per answer for its cards and explanation snapshots, must give
every card and snapshot byte for byte as the plain encoding does.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any, Iterator

import orjson
import pytest

from bench.patients import EVALUATION_DATE, cohort
from cds_service import pipeline
from cds_service.cards import render
from cds_service.cards.render import CardContext, cards
from cds_service.errors import ServiceError
from cds_service.fhir.request import HookRequest, parse_hook_request
from cds_service.records import snapshot
from cds_service.records.snapshot import payload
from cds_service.runtime import Runtime, load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import load_drafts, request_from_bundle
from cql_like_rules import Evaluation, valuesets

from .fixtures import FIXTURES, load_fixtures
from .test_fast_encodings import plain_trace_json

DRAFTS = load_drafts([str(p) for p in sorted((FIXTURES / "drafts").glob("*.draft.json"))])


def without_uuids(value: Any, new_id: bool = False) -> Any:
    """Cards without what is new in every answer: uuids, and the ids of the resources suggested."""
    if isinstance(value, dict):
        return {k: without_uuids(v, k == "resource") for k, v in value.items()
                if k != "uuid" and not (new_id and k == "id")}
    if isinstance(value, list):
        return [without_uuids(v) for v in value]
    return value


def steps(trace: Any) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(step.name, step.value, step.sources) for step in trace]


def explained(evaluation: Evaluation) -> tuple[Any, ...]:
    """An evaluation as its cards and trace show it (trace steps compare by what they say)."""
    return (evaluation.advice, evaluation.today, evaluation.notes, steps(evaluation.trace),
            [(ref, steps(trace)) for ref, trace in evaluation.order_traces])


def validated_first(request: HookRequest, runtime: Runtime, today: date) -> dict[str, Any]:
    """The answer with every decisive resource, the Patient included, validated before anything
    else, and every text searched for hints anew."""
    pooled = pipeline.run_without_loop(pipeline.gather(request, runtime, None))
    evaluation, extraction, notes = pipeline.evaluate(pooled, request.patient_id, runtime, today,
                                                      pipeline._drafts(request))
    context = CardContext("en", request.patient_id, runtime.ruleset, runtime.terminology, extraction.resources,
                          notes, None)
    return {"cards": without_uuids(cards(evaluation, context)), "advice": [a.code for a in evaluation.advice],
            "notes": notes, "facts": extraction.facts, "evaluation": explained(evaluation),
            "resources": sorted(extraction.resources)}


def as_answered(request: HookRequest, runtime: Runtime, today: date) -> dict[str, Any]:
    answer = pipeline.answer_local(request, runtime, today=today)
    shown = without_uuids(answer.cards)  # taken before the notes are asked for, as the HTTP route does
    return {"cards": shown, "advice": [a.code for a in answer.advice], "notes": answer.notes, "facts": answer.facts,
            "evaluation": explained(answer.evaluation), "resources": sorted(answer.resources)}


def outcome(compute: Any, *args: Any) -> Any:
    try:
        return compute(*args)
    except ServiceError as exc:  # an invalid draft order: refused the same way
        return (type(exc).__name__, str(exc))


def requests() -> Iterator[tuple[str, HookRequest, date]]:
    for fixture in load_fixtures():
        yield fixture.name, parse_hook_request(request_from_bundle(fixture.bundle), "patient-view"), fixture.at
        for draft in DRAFTS:
            for hook in ("order-select", "order-sign"):
                body = request_from_bundle(fixture.bundle, hook, [draft])
                yield f"{fixture.name}+{draft['id']}/{hook}", parse_hook_request(body, hook), fixture.at
    for kind in ("in-scope", "out-of-scope"):
        for chart in cohort(kind, 100, seed=7):
            yield chart.patient_id, parse_hook_request(orjson.loads(chart.sendable()), "patient-view"), EVALUATION_DATE


def with_patient(kind: str, change: dict[str, Any]) -> HookRequest:
    body = orjson.loads(cohort(kind, 1, seed=11)[0].sendable())
    body["prefetch"]["patient"] = {**copy.deepcopy(body["prefetch"]["patient"]), **change}
    return parse_hook_request(body, "patient-view")


@pytest.fixture(scope="module")
def runtimes() -> tuple[Runtime, Runtime]:
    return load_runtime(Settings()), load_runtime(Settings())  # each with its own value-set caches


def test_every_fixture_draft_and_generated_chart_gets_the_same_answer(runtimes, monkeypatch) -> None:
    fast, reference = runtimes
    answered = {name: (request, today, outcome(as_answered, request, fast, today))
                for name, request, today in requests()}
    assert len(answered) > 1000
    monkeypatch.setattr(valuesets, "HINT_CACHE_SIZE", 0)  # the reference searches every text
    differ = [name for name, (request, today, got) in answered.items()
              if got != outcome(validated_first, request, reference, today)]
    assert differ == []
    # Again, now that every cache is warm: a chart answered a second time gets the same answer.
    again = [name for name, (request, today, got) in list(answered.items())[::7]
             if got != outcome(as_answered, request, fast, today)]
    assert again == []


def test_the_shortcut_finds_an_index_event_exactly_where_the_facts_hold_one(runtimes) -> None:
    """`_has_index_event` reads only orders, doses and procedures: it must agree with the whole
    chart's facts on every fixture and generated chart, and on charts with a resource broken. A therapy
    known only by its name counts (it gets `therapy-not-recognised`), and so does a recognised one whose date
    names no day (`therapy-undated`)."""
    fast, _ = runtimes
    charts = [(name, request) for name, request, _ in requests() if request.hook == "patient-view"]
    charts += [(name, request) for seed in (13, 14) for name, request in with_broken_resources(seed)]
    found = {}
    for name, request in charts:
        pooled = pipeline.run_without_loop(pipeline.gather(request, fast, None))
        facts = pipeline.evaluate(pooled, request.patient_id, fast, EVALUATION_DATE)[1].facts
        found[name] = (pipeline._has_index_event(pooled, fast),
                       bool(facts.car_t or facts.bsab or facts.unrecognised_therapies or facts.undated_therapies))
    assert [name for name, (shortcut, whole) in found.items() if shortcut != whole] == []
    assert {shortcut for shortcut, _ in found.values()} == {True, False}


@pytest.mark.parametrize(("change", "named"), [
    ({"identifier": [{"system": 17, "value": "0101701234"}]}, {"invalid"}),  # a field the rules read: dropped
    ({"name": "Jensen"}, {"malformed-field"}),  # a field they do not read: named, and the Patient used
    ({"deceasedBoolean": True, "identifier": [{"system": 17, "value": "x"}]}, {"invalid"}),  # the rules' notes return
    ({"deceasedBoolean": True}, set()),
], ids=["invalid", "malformed-unused-field", "invalid-deceased", "deceased"])
@pytest.mark.parametrize("kind", ["out-of-scope", "in-scope"])
def test_a_patient_that_is_not_valid_is_named_as_before(runtimes, kind, change, named) -> None:
    fast, reference = runtimes
    request = with_patient(kind, change)
    got = as_answered(request, fast, EVALUATION_DATE)
    assert got == validated_first(request, reference, EVALUATION_DATE)
    alive = not change.get("deceasedBoolean") or "invalid" in named
    assert got["advice"] == (["start-substitution"] if kind == "in-scope" and alive else [])
    assert {n.kind for n in got["notes"] if n.source.startswith("Patient/")} == named
    assert (got["facts"].patient is None) == ("invalid" in named)


def with_broken_resources(seed: int) -> Iterator[tuple[str, HookRequest]]:
    """An out-of-scope chart without its Patient, and once per resource and damage: a field the
    rules read (`status`, `code`, `valueQuantity`) or one they do not (`language`) not valid FHIR."""
    body = orjson.loads(cohort("out-of-scope", 1, seed=seed)[0].sendable())
    yield "no Patient", parse_hook_request({**body, "prefetch": {**body["prefetch"], "patient": None}}, "patient-view")
    for key, value in body["prefetch"].items():
        entries = value.get("entry", []) if value.get("resourceType") == "Bundle" else [{"resource": value}]
        for index in range(len(entries)):
            for change in ({"status": 17}, {"code": {"coding": 17}}, {"valueQuantity": {"value": "x"}},
                           {"language": 17}):
                broken = copy.deepcopy(body)
                value = broken["prefetch"][key]
                resource = value["entry"][index]["resource"] if value.get("resourceType") == "Bundle" else value
                resource.update(change)
                yield f"{key}[{index}]+{next(iter(change))}", parse_hook_request(broken, "patient-view")


def test_out_of_scope_charts_with_a_broken_resource_are_named_as_before(runtimes) -> None:
    """The deferred data notes and validation, with every resource of a chart broken in turn."""
    fast, reference = runtimes
    named: set[tuple[str, str]] = set()
    for seed in (13, 14, 15):
        for name, request in with_broken_resources(seed):
            got = as_answered(request, fast, EVALUATION_DATE)
            assert got == validated_first(request, reference, EVALUATION_DATE), name
            assert got["cards"] == [] and got["advice"] == []
            named |= {(n.kind, n.source.split("/")[0]) for n in got["notes"]
                      if n.kind in ("invalid", "malformed-field", "igg-unreadable")}
    # an IgG whose value cannot be read is named as an IgG ("igg-unreadable"), other results as unusable data
    assert {("malformed-field", "Patient"), ("igg-unreadable", "Observation")} <= named


def cards_and_snapshots(request: HookRequest, runtime: Runtime, today: date) -> Any:
    """An answer's cards and their explanation snapshots as JSON bytes (uuids and suggested ids left out)."""
    try:
        answer = pipeline.answer_local(request, runtime, today=today)
    except ServiceError as exc:
        return (type(exc).__name__, str(exc))
    return [orjson.dumps(without_uuids(answer.cards))] + [
        orjson.dumps(without_uuids(payload(answer, index, runtime.ruleset))) for index in range(len(answer.cards))]


def plain_whole_trace(steps: Any, card: Any) -> tuple[list, bool]:
    """The snapshot's whole trace as first written (every step rendered anew, no step shared with the card), and
    whether the card's trace is of the same steps."""
    same = isinstance(card, list) and [s.get("name") for s in card] == [s.name for s in steps]
    return plain_trace_json(steps, limit=None), same


def test_cards_and_snapshots_are_the_bytes_the_plain_trace_encoding_gives(runtimes, monkeypatch) -> None:
    """The trace rendered once per answer and shared by its cards and snapshots: every card and
    snapshot, byte for byte, as when each walks every value anew (the encoding as first written)."""
    fast, reference = runtimes
    answered = [(name, request, today, cards_and_snapshots(request, fast, today)) for name, request, today in requests()]
    assert sum(len(got) - 1 for *_, got in answered if isinstance(got, list)) > 150  # snapshots compared
    monkeypatch.setattr(render, "trace_json", plain_trace_json)
    monkeypatch.setattr(snapshot, "whole_trace_json", plain_whole_trace)
    differ = [name for name, request, today, got in answered if got != cards_and_snapshots(request, reference, today)]
    assert differ == []
