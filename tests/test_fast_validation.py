"""The fast accept says "valid" only where the fhir.resources models find nothing wrong.

`plainly_valid` lets a resource skip the R4B model when it can prove the model would accept
it; a wrong "valid" would let the rules use a resource the models reject (or would hide a
malformed field from the data notes). So its answer is compared with the models' on every
decisive resource of every fixture, of the test data and of generated charts, and on
systematic mutations of each distinct shape of them (every element deleted, set to null,
empty, blank, padded, to numbers, booleans, lists, objects, malformed and edge-case dates,
ids and codes; an unknown key, an extension, a `_field` companion, a second choice element
added at every level). Where the fast path answers, the answer must be the models' `VALID`;
and it must answer for the common resources, or the speed-up would be silently off.
"""

from __future__ import annotations

import json
import random
import typing
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest
from fhir.resources.R4B import get_fhir_model_class

from bench.patients import KINDS, cohort
from cds_service.fhir import fast_validation
from cds_service.fhir.fast_validation import plainly_valid
from cds_service.fhir.validation import VALID, Validity, full_validity, validity

from .fixtures import FIXTURES
from .random_resources import Generator, as_received

DATA = Path(__file__).resolve().parent / "data"
KINDS_DECIDING = set(fast_validation._RESOURCES)


def _resources_in(value: Any) -> Iterator[dict[str, Any]]:
    """Every resource of a decisive type anywhere in a document (bundles, prefetch, contained)."""
    if isinstance(value, dict):
        if value.get("resourceType") in KINDS_DECIDING:
            yield value
        for v in value.values():
            yield from _resources_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from _resources_in(v)


def _corpus() -> dict[str, list[dict[str, Any]]]:
    """Decisive resources by source: the fixtures (drafts too), the test data, each generated kind."""
    out: dict[str, list[dict[str, Any]]] = {"fixtures": [], "tests/data": []}
    for source, root in (("fixtures", FIXTURES), ("tests/data", DATA)):
        for path in sorted(root.rglob("*.json")):
            out[source].extend(_resources_in(json.loads(path.read_text())))
    for kind in KINDS:
        out[kind] = [r for chart in cohort(kind, 4) for r in _resources_in(orjson.loads(chart.sendable("7")))]
    return out


CORPUS = _corpus()


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, path + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, path + (i,))


def _shape(resource: dict[str, Any]) -> tuple[Any, ...]:
    """Which elements a resource has and their JSON types, list positions folded together."""
    return tuple(sorted({(tuple("*" if isinstance(p, int) else p for p in path), type(v).__name__)
                         for path, v in _leaves(resource)}))


def _distinct_shapes() -> list[dict[str, Any]]:
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for resources in CORPUS.values():
        for r in resources:
            seen.setdefault(_shape(r), r)
    return list(seen.values())


DATES = ["2025", "2025-01", "2025-13", "2025-00", "2025-01-01", "2025-13-01", "2025-00-10", "2025-02-30",
         "2024-02-29", "2025-02-29", "2025-04-31", "0000", "0001-01-01", "1799-12-31", "1800-01-01", "2999-12-31",
         "3000-01-01", "2025-01-01T10:00:00Z", "2025-01-01T10:00:00+01:00", "2025-01-01T10:00:00.123+01:00", "2025-01-01T10:00:00.123456Z",
         "2025-01-01T10:00:00.1234567Z", "2025-01-01T25:00:00Z", "2025-01-01T24:00:00Z", "2025-01-01T10:60:00Z",
         "2025-01-01T10:00:61Z", "2025-01-01T23:59:60Z", "2025-01-01T10:00:00", "2025-01-01T10:00Z",
         "2025-01-01T10:00:00+14:00", "2025-01-01T10:00:00+14:30", "2025-01-01T10:00:00+15:00",
         "2025-01-01T10:00:00-13:59", "2025-01-01T10:00:00-00:00", "2025-01-01T10:00:00+00:00", "2025-01-01T10:00:00+01:60", "2025-01-01T10:00:00+0100",
         "2025-01-01 10:00:00Z", "2025-01-01T10:00:00z", "2025-01T10:00:00Z", "2025T10:00:00Z", "20250101",
         "2025-1-1", "2025-01-01T10:00:00.Z", " 2025-01-01", "2025-01-01 ", "２０２５-01-01"]
TEXTS = ["", " ", "  ", "\t", "\n", " x", "x ", "a  b", "a b", "x", "x\ny", "x\ty", "\u00a0x", "x\u00a0", "\u2003",
         "x\u200b", "\x00", "Kné—µ×10⁹/L", "x" * 64, "x" * 65, "x" * 256, "a_b", "a/b", "-", ".", "a:b",
         "http://example.org/x", "urn:oid:1.2.208", "http://x y", "Patient/1", "#contained", "final", "male",
         "<", "L", "10*9/L", "1", "1.0", "true", "null", "Patient", "Observation", "Condition", "Medication", "Bundle"]
NUMBERS = [0, 1, -1, 7, 2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**53, 10**15, 10**16, 2**63, 1.0, 1.5, -0.0,
           0.1, 1e20, 1e-7, 3.14159265358979, float("nan"), float("inf"), True, False]
SHAPES: list[Any] = [None, [], {}, [None], [{}], ["x"], [1], [[]], {"x": "y"}, {"text": "x"},
                     {"coding": [{"code": "x"}]}, {"reference": "Patient/1"}, {"value": 1.5},
                     {"start": "2025-01-01"}, {"extension": [{"url": "http://x", "valueString": "y"}]},
                     {"id": "a", "text": "x"}]
VALUES: list[Any] = SHAPES + TEXTS + NUMBERS + DATES
EXTENSION = [{"url": "http://example.org/ext", "valueString": "y"}]
# Keys added to every object: unknown here, or known elsewhere (a second choice element, an
# element of another type), an extension, element ids, comments.
ADDED: list[tuple[str, Any]] = [
    ("foo", "x"), ("extension", EXTENSION), ("modifierExtension", EXTENSION), ("id", "e1"),
    ("fhir_comments", "c"), ("resource_type", "Observation"), ("text", "x"), ("text", {"status": "generated"}),
    ("value", "x"), ("code", "x"), ("status", "final"), ("subject", {"reference": "Patient/1"}),
    ("valueString", "x"), ("valueBoolean", True), ("effectivePeriod", {"start": "2025-01-01"}),
    ("effectiveInstant", "2025-01-01T10:00:00Z"), ("deceasedBoolean", False), ("onsetString", "x"),
    ("abatementString", "x"), ("performedString", "x"), ("performedPeriod", {"start": "2025-01-01"}),
    ("medicationReference", {"reference": "Medication/1"}), ("effectiveDateTime", "2025-01-01"),
    ("contained", [{"resourceType": "Medication", "id": "m"}]), ("authorString", "x"),
    ("authorReference", {"reference": "Practitioner/1"}), ("asNeededBoolean", True),
    ("asNeededCodeableConcept", {"text": "x"}), ("doseRange", {"low": {"value": 1}}),
    ("rateQuantity", {"value": 1}), ("rateRatio", {"numerator": {"value": 1}}),
    ("dataAbsentReason", {"text": "x"}), ("valueQuantity", {"value": 1}), ("onsetDateTime", "2025-01-01"),
    ("deceasedDateTime", "2025-01-01"), ("end", "1999-01-01"), ("start", "2999-01-01"),
]


def _copy(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))


def _at(doc: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        doc = doc[p]
    return doc


def mutations(resource: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(what was changed, the changed copy) for every element and object of a resource."""
    for path, value in list(_leaves(resource)):
        where = ".".join(map(str, path)) or "resource"
        if path:
            parent_path, last = path[:-1], path[-1]
            m = _copy(resource)
            del _at(m, parent_path)[last]
            yield f"{where} removed", m
            for v in VALUES:
                m = _copy(resource)
                _at(m, parent_path)[last] = v
                yield f"{where} = {v!r}", m
            if isinstance(value, list) and value:
                for label, v in (("first item only", value[0]), ("None appended", value + [None]),
                                 ("item repeated", value + value[:1])):
                    m = _copy(resource)
                    _at(m, parent_path)[last] = _copy(v)
                    yield f"{where}: {label}", m
            elif not isinstance(value, list):
                m = _copy(resource)
                _at(m, parent_path)[last] = [_copy(value)]
                yield f"{where} in a list", m
        if isinstance(value, dict):
            for key, v in ADDED + [(f"_{k}", {"extension": EXTENSION}) for k in value]:
                if key in value:
                    continue
                m = _copy(resource)
                _at(m, path)[key] = v
                yield f"{where}.{key} added", m


def _same(resource: dict[str, Any]) -> bool:
    """Where the fast path answers, the models answer VALID too."""
    return not plainly_valid(resource) or full_validity(resource) == VALID


def test_the_fast_path_answers_for_the_common_resources_and_the_models_agree() -> None:
    answered: Counter[tuple[str, str]] = Counter()
    total: Counter[tuple[str, str]] = Counter()
    for source, resources in CORPUS.items():
        for r in resources:
            assert _same(r), (source, r, full_validity(r))
            total[source, r["resourceType"]] += 1
            answered[source, r["resourceType"]] += plainly_valid(r)
    assert total["fixtures", "Observation"] > 50 and total["in-scope", "Procedure"] > 0  # the corpus is there
    for (source, kind), n in total.items():
        if source == "tests/data":
            continue  # a handful of sample resources: compared above, not counted
        share = answered[source, kind] / n
        assert share >= 0.95, f"the fast path answered for {answered[source, kind]} of {n} {kind} in {source}"


def test_every_mutation_the_fast_path_accepts_the_models_accept() -> None:
    wrong: list[str] = []
    counts: Counter[str] = Counter()
    for resource in _distinct_shapes():
        for what, mutated in mutations(resource):
            try:
                orjson.dumps(mutated)
            except TypeError:
                continue  # not JSON the service could have received
            counts["mutations"] += 1
            fast = plainly_valid(mutated)
            counts["answered"] += fast
            if fast:
                full = full_validity(mutated)
                if full != VALID:
                    wrong.append(f"{resource['resourceType']} {what}: {full}")
            elif counts["checked slow"] < 4000:
                counts["checked slow"] += 1
                counts["models reject"] += full_validity(mutated) != VALID
    assert not wrong, f"{len(wrong)} accepted wrongly, e.g.\n" + "\n".join(wrong[:20])
    # The mutations reach both sides: many still plainly valid, many the models reject.
    assert counts["mutations"] > 20_000 and counts["answered"] > 1_000, counts
    assert counts["models reject"] > 1_000, counts


def test_several_mutations_at_once_the_fast_path_accepts_the_models_accept() -> None:
    """Two to four of the single mutations above applied together, on random elements (seeded)."""
    rnd = random.Random(2026)
    wrong: list[str] = []
    answered = 0
    for resource in _distinct_shapes():
        for _ in range(300):
            m, what = _copy(resource), []
            for _ in range(rnd.randint(2, 4)):
                paths = [p for p, _ in _leaves(m)]
                path = rnd.choice(paths)
                target = _at(m, path)
                if isinstance(target, dict) and rnd.random() < 0.3:
                    key, v = rnd.choice(ADDED)
                    target[key] = _copy(v)
                    what.append(f"{'.'.join(map(str, path))}.{key} added")
                elif path:
                    v = rnd.choice(VALUES + [None, "__delete__"])
                    if v == "__delete__":
                        del _at(m, path[:-1])[path[-1]]
                    else:
                        _at(m, path[:-1])[path[-1]] = _copy(v)
                    what.append(f"{'.'.join(map(str, path))} = {v!r}")
            try:
                orjson.dumps(m)
            except TypeError:
                continue
            if plainly_valid(m):
                answered += 1
                full = full_validity(m)
                if full != VALID:
                    wrong.append(f"{resource['resourceType']} {'; '.join(what)}: {full}")
    assert not wrong, f"{len(wrong)} accepted wrongly, e.g.\n" + "\n".join(wrong[:20])
    assert answered > 300, answered


def test_validity_gives_the_same_answer_as_the_models_on_a_hit_and_on_a_miss() -> None:
    r = next(r for r in CORPUS["fixtures"] if r["resourceType"] == "Observation")
    assert plainly_valid(r) and validity(r) is VALID and validity(r) == full_validity(r)
    broken = _copy(r) | {"issued": "2025-01-01T10:00:00"}  # an instant without a zone
    assert not plainly_valid(broken)
    assert validity(broken) == full_validity(broken) and validity(broken).fatal is not None


def _model_element(model: Any, name: str) -> tuple[str, bool]:
    """An element's type name and whether it repeats, read from the model's annotation."""
    field = next(f for n, f in model.model_fields.items() if (f.alias or n) == name)
    many = False
    ann = field.annotation
    while True:
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        origin = typing.get_origin(ann)
        if origin is list:
            many = True
        if origin is typing.Annotated:
            return next(m.__visit_name__ for m in ann.__metadata__ if hasattr(m, "__visit_name__")), many
        if not args:
            break
        ann = args[0]
    if ann is bool:
        return "boolean", many
    assert ann.__module__ == "abc" and ann.__name__.endswith("Type"), ann
    return ann.__name__[: -len("Type")], many


def _model_groups(model: Any) -> dict[str, tuple[list[str], bool]]:
    out = {}
    for prefix, names in model.get_one_of_many_fields(model.model_construct()).items():
        extra = model.model_fields[names[0]].json_schema_extra
        out[prefix] = ([model.model_fields[n].alias or n for n in names], extra["one_of_many_required"] is True)
    return out


@pytest.mark.parametrize("kind", sorted(set(fast_validation._TYPES) | set(fast_validation._RESOURCES)))
def test_the_tables_match_the_r4b_models(kind: str) -> None:
    """Each element's type, cardinality, required elements and choice groups, as the model has them."""
    elements = fast_validation._TYPES.get(kind) or fast_validation._RESOURCES[kind]
    model = get_fhir_model_class(kind)
    for name, element in elements.items():
        if name != "resourceType":
            assert _model_element(model, name) == element, name
    instance = model.model_construct()
    required = {model.model_fields[n].alias or n for n, f in model.model_fields.items() if f.is_required()}
    required |= {model.model_fields[n].alias or n for n, _ in model.get_required_fields(instance)}
    assert required <= set(fast_validation._REQUIRED.get(kind, ())) | {"resourceType"}
    ours = fast_validation._CHOICES.get(kind, ())
    for names, needed in _model_groups(model).values():
        modelled = [n for n in names if n in elements]
        if needed or len(modelled) > 1:
            assert any(set(modelled) <= set(group) and needed == req for group, req in ours), names


def _nested_reference(levels: int) -> dict[str, Any]:
    """A Reference whose identifier's assigner is a Reference whose identifier's... `levels` deep."""
    ref: dict[str, Any] = {"display": "x"}
    for _ in range(levels):
        ref = {"identifier": {"assigner": ref}}
    return ref


def test_a_reference_nested_deeper_than_the_models_can_recurse_is_left_to_them() -> None:
    """The models recurse some 8 Python frames per nested element and raise RecursionError at ~60
    references deep; the fast path used to accept it as valid. A request can carry one (70 deep is
    ~140 JSON levels, under CDS_MAX_JSON_DEPTH): now the models' answer is used, and it names the
    problem instead of raising (a 500)."""
    r = _copy({"resourceType": "Condition", "subject": _nested_reference(70)})
    assert not plainly_valid(r)
    assert full_validity(r).fatal == "nested too deeply to validate"
    assert validity(r).fatal == "nested too deeply to validate"
    shallow = _copy({"resourceType": "Condition", "subject": _nested_reference(1)})
    assert full_validity(shallow) == VALID


def test_the_tables_have_no_cycle_so_what_they_accept_is_a_few_levels_deep() -> None:
    def depth(kind: str, path: tuple[str, ...]) -> int:
        assert kind not in path, f"a cycle: {' -> '.join(path + (kind,))}"
        elements = fast_validation._TYPES.get(kind) or fast_validation._RESOURCES[kind]
        return 1 + max((depth(t, path + (kind,)) for t, _ in elements.values() if t in fast_validation._TYPES),
                       default=0)

    assert max(depth(kind, ()) for kind in fast_validation._RESOURCES) <= 6


def test_every_printable_character_the_fast_path_takes_in_strings_and_codes_the_models_take() -> None:
    """All of Unicode that `str.isprintable` lets through (144,515 characters in Python 3.11), in a
    string, a markdown and a code with a single space: the models' patterns accept each."""
    chars = [chr(c) for c in range(0x110000) if chr(c).isprintable() and c != 0x20]
    assert len(chars) > 100_000
    for i in range(0, len(chars), 5000):
        chunk = chars[i:i + 5000]
        r = {"resourceType": "Observation", "status": "final", "note": [{"text": "".join(chunk)}],
             "code": {"coding": [{"code": f"{c}{c} {c}", "display": f"{c} {c}"} for c in chunk], "text": "".join(chunk)}}
        assert plainly_valid(r), i
        assert full_validity(r) == VALID, (i, full_validity(r))


def test_random_resources_the_fast_path_accepts_the_models_accept() -> None:
    """Resources built from scratch from the models' fields with edge and hostile values
    (`random_resources`), received through orjson or escaped JSON text (seeded, ~10 s; run by
    hand with other seeds for 400,000 resources, it found the nested references above)."""
    rnd = random.Random(20261130)
    common = {kind: {name: t for name, (t, _) in elements.items()}
              for kind, elements in (fast_validation._TYPES | fast_validation._RESOURCES).items()}
    generator = Generator(rnd, common)
    wrong: list[str] = []
    counts: Counter[str] = Counter()
    for _ in range(6000):
        for r in as_received(rnd, generator.resource()):
            counts["cases"] += 1
            if plainly_valid(r):
                counts["answered"] += 1
                try:
                    full = full_validity(r)
                except Exception as exc:  # noqa: BLE001 - a crash of the models is a disagreement too
                    full = Validity(repr(exc))
                if full != VALID:
                    wrong.append(f"{full}: {str(r)[:2000]}")
    assert not wrong, f"{len(wrong)} accepted wrongly, e.g.\n" + "\n".join(wrong[:5])
    assert counts["answered"] > counts["cases"] // 5, counts  # the generator reaches the fast path
