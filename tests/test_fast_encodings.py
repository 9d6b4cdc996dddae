"""The request path's faster encodings give exactly what the plain ones gave, on every shipped fixture.

The explanation snapshot encodes the facts with orjson's own dataclass support and the rule
set once per rule set; text hints use a case-sensitive pattern on the lower-cased text
wherever that is exact; trace values look up record fields once per type. Each must be
indistinguishable from the straightforward encoding it replaced, or a stored explanation
or a card would change.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import date

import orjson
import pytest

from cds_service.cards.trace import LIST_LIMIT, REFERENCE_LIMIT, card_trace, trace_json, value_json
from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import Answer, answer_local
from cds_service.records.snapshot import (DOSE_COURSES, dose_courses_json, payload, read_payload, stored_facts,
                                          stored_facts_json)
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import request_from_bundle
from cql_like_rules.advice import Advice
from cql_like_rules.engine import TraceStep
from cql_like_rules.facts import to_json

from .fixtures import load_fixtures

FIXTURES = load_fixtures()
RUNTIME = load_runtime(Settings())


def answered(bundle: dict, at: date) -> Answer:
    return answer_local(parse_hook_request(request_from_bundle(bundle), "patient-view"), RUNTIME, today=at)


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda f: f.name)
def test_stored_facts_are_the_bytes_to_json_gives(fixture):
    whole = answered(fixture.bundle, fixture.at).facts
    facts = stored_facts(whole)
    assert orjson.dumps(facts) == orjson.dumps(to_json(facts))
    assert stored_facts_json(whole) == orjson.dumps(to_json(facts))  # written without the copy: the same bytes


def test_stored_facts_of_generated_charts_are_the_bytes_to_json_gives():
    from bench.patients import EVALUATION_DATE, cohort
    from cds_service.fhir.request import parse_hook_request
    from cds_service.pipeline import answer_local

    for kind, n in (("in-scope", 30), ("in-scope-200-igg", 2), ("out-of-scope", 10)):
        for chart in cohort(kind, n, seed=3):
            answer = answer_local(parse_hook_request(orjson.loads(chart.sendable()), "patient-view"), RUNTIME,
                                  today=EVALUATION_DATE)
            assert answer.facts.patient is not None and answer.facts.patient.identifiers  # a CPR number to leave out
            assert stored_facts_json(answer.facts) == orjson.dumps(to_json(stored_facts(answer.facts))), chart.patient_id


def test_a_stored_snapshot_reads_back_as_the_plain_encoding():
    fixture = next(f for f in FIXTURES if f.name == "cart-in-window-igg-low")
    answer = answered(fixture.bundle, fixture.at)
    ruleset = RUNTIME.ruleset
    stored = read_payload(orjson.loads(orjson.dumps(payload(answer, 0, ruleset))))
    assert stored is not None
    courses = stored["facts"].pop(DOSE_COURSES)  # the rules' courses of doses, beside the facts
    assert stored["facts"] == to_json(stored_facts(answer.facts))
    assert courses == dose_courses_json(answer.facts, answer.evaluation.dose_courses())
    assert stored["ruleset"] == {"id": ruleset.id, "version": ruleset.version, "label": ruleset.label,
                                 "guideline": ruleset.guideline, "guideline_url": ruleset.guideline_url,
                                 "parameters": dataclasses.asdict(ruleset.parameters)}
    other = ruleset.with_parameters(dataclasses.replace(ruleset.parameters, igg_start_threshold_g_l=5.0))
    again = read_payload(orjson.loads(orjson.dumps(payload(answer, 0, other))))
    assert again is not None
    assert again["ruleset"]["parameters"]["igg_start_threshold_g_l"] == 5.0  # not the first rule set's part
    assert again["ruleset"]["label"] == other.label != ruleset.label


def _texts(value: object) -> list[str]:
    """Every "text" and "display" string in a resource."""
    if isinstance(value, dict):
        own = [v for k, v in value.items() if k in ("text", "display") and isinstance(v, str)]
        return own + [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def test_text_hints_are_found_in_any_case_as_before():
    terminology = RUNTIME.terminology
    every_hint = terminology._hint_search(())
    assert every_hint is not None
    case_insensitive = every_hint.pattern
    assert case_insensitive and case_insensitive.flags & re.IGNORECASE

    def reference(text: str) -> str | None:
        found = case_insensitive.search(text)
        if found is None:
            return None
        return next(owner for hint, owner in terminology._hint_owner.items()
                    if re.fullmatch(re.escape(hint).replace(r"\ ", r"\s+"), found.group(0), re.IGNORECASE))

    texts = {t for f in FIXTURES for e in f.bundle["entry"] for t in _texts(e["resource"])}
    texts |= {"CAR-T celle infusion", "car t-cell therapy", "Non-Hodgkin LYMFOM", "MANTLECELLELYMFOM",
              "Bloddyrkning: Koagulase-negative stafylokokker", "IVIG", "givig", "Myelomatose (IgG kappa)",
              "Waldenström", "WALDENSTRÖM makroglobulinæmi", "Kronisk lymfatisk LEUKÆMI", "plasmacytom\tsolitært",
              "Knæartrose", "Gastro-øsofageal refluks", "B—Hæmoglobin; stofk. = ? mmol/L",
              "Waldenſtröm",  # a long s matches "s" case-insensitively: such text keeps the slow pattern
              "\u212aRONISK LYMFATISK LEUKÆMI", "\u0130VIG", "\u212bRHUS myelomatose"}
    found = 0
    for text in sorted(texts):
        for variant in (text, text.upper(), text.lower(), text.title(), text.swapcase()):
            assert terminology.hint_for(variant) == reference(variant), variant
            found += reference(variant) is not None
    assert found > 20  # the texts do name things the hints know
    assert terminology.hint_for("Waldenſtröm") == "haematological-malignancy"  # was a KeyError (a 500)


@dataclasses.dataclass(frozen=True)
class Dose:
    day: date
    grams: float


@dataclasses.dataclass(frozen=True)
class Course:
    source: str
    doses: tuple[Dose, ...]
    note: str | None = None


def test_trace_values_render_records_lists_and_dates():
    course = Course("MedicationAdministration/1", tuple(Dose(date(2026, 1, d), 30.0) for d in range(1, 26)))
    shown = value_json(course)
    assert list(shown) == ["type", "source", "doses"]  # type: ignore[arg-type]  # no note: left out, not null
    assert shown["type"] == "Course"  # type: ignore[index]
    assert list(value_json(Course("x", (), "a note"))) == ["type", "source", "note"]  # type: ignore[arg-type]
    doses = shown["doses"]  # type: ignore[index]
    assert doses["count"] == 25 and len(doses["last"]) == LIST_LIMIT
    assert doses["last"][-1] == {"type": "Dose", "day": "2026-01-25", "grams": 30.0}
    assert len(value_json(course, limit=None)["doses"]) == 25  # type: ignore[index, arg-type]
    assert value_json(Course) == str(Course)  # a class is not a record


def plain_value_json(value: object, limit: int | None) -> object:
    """The trace value encoding as first written: every value walked anew, nothing kept."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Advice):
        return {"code": value.code, **({"variant": value.variant} if value.variant else {}), "indicator": value.indicator}
    if isinstance(value, (tuple, list, set, frozenset)):
        items = list(value)
        if limit is not None and len(items) > limit:
            return {"count": len(items), "last": [plain_value_json(v, limit) for v in items[-limit:]]}
        return [plain_value_json(v, limit) for v in items]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: plain_value_json(getattr(value, f.name), limit) for f in dataclasses.fields(value)
                  if f.metadata.get("trace", True)}  # a field for the page alone is not traced (facts.PAGE_ONLY)
        return {"type": type(value).__name__, **{k: v for k, v in fields.items() if not nothing(v)}}
    return str(value)


def nothing(value: object) -> bool:
    """What CDS Hooks allows as no JSON value: null, "", [] or {} (the trace leaves such a field or value out)."""
    return value is None or value == "" or value == [] or value == {}


def plain_trace_json(steps, limit: int | None = LIST_LIMIT) -> list:
    out = []
    for s in steps:
        step = {"name": s.name, "value": plain_value_json(s.raw, limit),
                "references": list(s.sources[:REFERENCE_LIMIT] if limit is not None else s.sources)}
        out.append({k: v for k, v in step.items() if not nothing(v)})
    return out


def long_trace() -> list[TraceStep]:
    """Steps with lists longer than a card shows, more references than it names, a value shared by two steps."""
    courses = tuple(Course(f"MedicationAdministration/{i}", tuple(Dose(date(2026, 1, 1 + d % 28), 1.0 + d)
                                                                    for d in range(i % 30)), None if i % 2 else "x")
                    for i in range(60))
    shared = courses[:3]
    return [TraceStep("Flag", "", True), TraceStep("Day", "", date(2026, 1, 2)), TraceStep("None", "", None),
            TraceStep("Courses", "", courses), TraceStep("Few", "", shared), TraceStep("Same few", "", shared),
            TraceStep("Set", "", frozenset({"a", "b"})), TraceStep("Text", "", "IgG"), TraceStep("Number", "", 3.5)]


def test_each_step_is_rendered_once_for_the_card_and_the_snapshot_as_before():
    """The card's trace, then the snapshot's whole one (which reuses what the card rendered), then
    the card's again: each as the plain encoding gives it, for every fixture and for long lists."""
    traces = [list(answered(f.bundle, f.at).evaluation.trace) for f in FIXTURES] + [long_trace()]
    for steps in traces:
        shown = orjson.dumps(trace_json(steps))
        assert shown == orjson.dumps(plain_trace_json(steps, LIST_LIMIT))
        assert orjson.dumps(trace_json(steps, limit=None)) == orjson.dumps(plain_trace_json(steps, None))
        assert orjson.dumps(trace_json(steps)) == shown
        assert orjson.dumps(trace_json(steps, limit=3)) == orjson.dumps(plain_trace_json(steps, 3))
    whole = trace_json(traces[-1], limit=None)[3]
    assert len(whole["value"]) == 60 and len(whole["references"]) == 60  # type: ignore[arg-type, index]
    card = trace_json(traces[-1])[3]
    assert card["value"]["count"] == 60 and len(card["references"]) == REFERENCE_LIMIT  # type: ignore[index]


def test_a_snapshot_after_its_card_holds_the_same_bytes_as_one_made_alone():
    """The snapshot reuses the values its card rendered: its bytes are those of a snapshot rendered
    from steps no card has touched."""
    for fixture in FIXTURES:
        answer = answered(fixture.bundle, fixture.at)
        for index in range(len(answer.cards)):
            kept = orjson.dumps(payload(answer, index, RUNTIME.ruleset))
            for step in answer.evaluation.trace_for(answer.advice[index]):
                step.shown = None
            assert orjson.dumps(payload(answer, index, RUNTIME.ruleset)) == kept, fixture.name


def test_placeholders_built_once_are_the_plain_and_the_escaped_ones():
    """`placeholder_pair` (one build when the request's texts read the same escaped) gives what `placeholders`
    gives plain and with `markdown`, on every fixture's advice in both languages, and on texts that escape
    differently (a product in brackets, a drug with an underscore)."""
    from cds_service.cards.values import placeholder_pair, placeholders

    params = RUNTIME.ruleset.parameters
    advice = [a for f in FIXTURES for a in answered(f.bundle, f.at).advice]
    some = next(a for a in advice if a.values.get("t0_product"))
    advice += [dataclasses.replace(some, values={**some.values, "t0_product": "Yescarta (axi-cel)",
                                                 "order_drug": "ig_sc *20%*", "igg_reported": "< 2.0"})]
    differed = 0
    for a in advice:
        for lang in ("en", "da"):
            plain, escaped = placeholder_pair(a, params, lang)
            assert plain == placeholders(a, params, lang)
            assert escaped == placeholders(a, params, lang, markdown=True)
            differed += plain != escaped
    assert differed  # the texts that escape differently were built twice


def test_a_trace_stored_before_empty_values_were_left_out_gives_back_the_card_as_issued():
    """A snapshot stored by an earlier version holds every step with its value and references, nulls and empty lists
    too; the card made again from it is the card that was issued then, not a mix of the two forms. A step stored
    without them (the current form) stays without them."""
    old = [{"name": "Is Deceased", "value": False, "references": []}, {"name": "T0", "value": None, "references": []},
           {"name": "Doses", "value": [{"type": "Dose", "note": None}] * 25, "references": ["A/1"]}]
    rebuilt = card_trace(old)
    assert rebuilt[:2] == old[:2] and rebuilt[2]["references"] == ["A/1"]
    assert rebuilt[2]["value"]["count"] == 25  # type: ignore[index, call-overload]
    assert card_trace([{"name": "T0"}, {"name": "In Scope", "value": True}]) == [{"name": "T0"},
                                                                                {"name": "In Scope", "value": True}]
