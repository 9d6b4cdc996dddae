"""A result the rules have no use for, judged by its code once, says what the full reading of it says.

The results under a code in no value set whose code and name say nothing the rules read (an albumin, a blood count)
are judged once per code (`fhir.plain_results`); before, every one of them went through the whole reading, and a
chart of 300 such results took 12 ms. Here charts carrying many kinds of result a reader could mistake for plain
ones (names of IgG, an IgG subclass, an M-protein, a culture; codes in an unknown or the wrong system; the IgG set's
excluded codes; other categories, statuses, value types, partial dates, withdrawn records, hostile fields) are
answered with the memo cold, with it warm, and with every result read in full: the cards (but their uuids), advice,
notes and facts must be equal. And the notes of a lab-heavy chart still name every result seen and not used.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cds_service.fhir import results
from cds_service.runtime import Runtime, load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES
from .test_answer_equivalence import without_uuids

RUNTIME = load_runtime(Settings())
# CAR-T 2025-11-18 (T0), IgG 3.2 g/L on 2026-01-13: start-substitution on 2026-01-20
BUNDLE = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
AT = date(2026, 1, 20)
NPU, LOINC, SNOMED, ICD10 = ("http://npu-terminology.org", "http://loinc.org", "http://snomed.info/sct",
                             "http://hl7.org/fhir/sid/icd-10")
LOCAL = "http://hospital.example/lab-codes"
LAB = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}]
VITAL = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}]


def concept(system: str | None, code: str | None, display: str | None = None, text: str | None = None,
            **extra: Any) -> dict[str, Any]:
    coding = {k: v for k, v in (("system", system), ("code", code), ("display", display)) if v is not None}
    out: dict[str, Any] = {"coding": [{**coding, **extra}]}
    if text is not None:
        out["text"] = text
    return out


# Codes and names a result may carry: plain ones, and ones that must never be taken for plain
CONCEPTS = [
    concept(NPU, "NPU19673", "P—Albumin; massek. = ? g/L", "P—Albumin; massek. = ? g/L"),
    concept(NPU, "NPU02319", "B—Hæmoglobin; stofk. = ? mmol/L"),
    concept(NPU, "NPU18016"),  # a known system, no name
    concept(LOINC, "2160-0", "Creatinine [Mass/volume] in Serum or Plasma"),
    concept(LOCAL, "ALB-1", text="P-Albumin"),  # a local code with a name
    concept(LOCAL, "XK-77"),  # a local code, no name: code-system-unknown
    concept(LOCAL, "IGG-1", text="P-Immunglobulin G"),  # a total IgG by its name
    concept(LOCAL, "IGG-2", text="S-IgG"),
    concept(LOCAL, "IGG-3", text="P-Immunglobulin G1"),  # a subclass by its name
    concept(LOCAL, "IGG-4", text="IgG subklasse 2"),
    concept(LOCAL, "CSF-1", text="Csv-Immunglobulin G"),
    concept(NPU, "NPU19817", "P-Immunglobulin G1 (subclass)"),  # the IgG set's excluded code
    concept(LOCAL, "MP-1", text="P-M-komponent"),
    concept(LOCAL, "MP-2", text="P-Immunglobulin G(kappa; monoklonalt)"),
    concept(LOCAL, "BC-1", text="Bloddyrkning"),
    concept(LOCAL, "UC-1", text="Urindyrkning"),
    concept(SNOMED, "J15.1"),  # an ICD-10 code sent under SNOMED CT: the wrong system
    concept(ICD10, "A41.9", text="Sepsis"),
    concept(NPU, "NPU19673", "P—Albumin; massek. = ? g/L", version="2025"),
    concept(NPU, "NPU19673", "P—Albumin", userSelected=True),  # a field no key holds: read in full
    {"coding": [{"system": NPU, "code": "NPU19673"}, {"system": LOINC, "code": "2465-3"}]},  # albumin and IgG
    {"coding": [{"system": NPU, "code": "NPU19673"}], "text": ["not", "a", "string"]},
    {"coding": [{"system": NPU, "code": "NPU19673", "display": "x" * 600}]},
    {"coding": "NPU19673"},
    {"text": "P-Albumin"},
]
VALUES: list[dict[str, Any]] = [
    {"valueQuantity": {"value": 38.0, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}},
    {"valueString": "Hæmolyse"},
    {"valueCodeableConcept": {"text": "Positiv"}},
    {"valueBoolean": True},
    {},
]
SHAPES: list[dict[str, Any]] = [
    {"status": "final", "category": LAB},
    {"status": "final"},
    {"status": "amended", "category": VITAL},
    {"status": "preliminary", "category": LAB},
    {"status": "entered-in-error"},
    {"status": "Final"},
    {},
    {"status": "final", "verificationStatus": {"coding": [{"code": "refuted"}]}},
    {"status": "final", "component": [{"code": concept(NPU, "NPU19814"), "valueQuantity": {"value": 3.1,
                                                                                          "unit": "g/L"}}]},
]
DAYS = ["2026-01-05T08:00:00+01:00", "2025-11", "2026-01-11", "not a date", None]


def lab_heavy(seed: int) -> dict[str, Any]:
    """The fixture's chart with results under every concept, value, shape and day above, twice under each code."""
    bundle = copy.deepcopy(BUNDLE)
    n = 0
    for i, code in enumerate(CONCEPTS):
        for repeat in range(2):
            value = VALUES[(i + repeat + seed) % len(VALUES)]
            shape = SHAPES[(i * 3 + repeat + seed) % len(SHAPES)]
            day = DAYS[(i + 2 * repeat + seed) % len(DAYS)]
            resource = {"resourceType": "Observation", "id": f"lab-{n:03d}", "subject": {"reference": "Patient/pt-dk-0001"},
                        "code": copy.deepcopy(code), **copy.deepcopy(value), **copy.deepcopy(shape)}
            if day is not None:
                resource["effectiveDateTime"] = day
            bundle["entry"].append({"fullUrl": f"urn:uuid:00000000-0000-4000-8000-{n:012d}", "resource": resource})
            n += 1
    return bundle


def answered(runtime: Runtime, bundle: dict[str, Any]) -> tuple[Any, ...]:
    found = replay(runtime, bundle, at=AT)
    return without_uuids(found.cards), found.advice, found.notes, found.facts


@pytest.mark.parametrize("seed", range(len(SHAPES)))
def test_results_judged_by_their_code_once_say_what_a_full_reading_says(seed: int,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    bundle = lab_heavy(seed)
    cold = answered(load_runtime(Settings()), bundle)  # a terminology of its own: nothing judged yet
    warm = answered(RUNTIME, bundle)
    warm_again = answered(RUNTIME, bundle)
    monkeypatch.setattr(results, "plain_code", lambda b, concept, judge: None)  # every result read in full
    full = answered(RUNTIME, bundle)
    assert cold == warm == warm_again == full
    kinds = {n.kind for n in full[2]}
    assert "result-not-used" in kinds  # the plain results were there, and named
    assert kinds & {"unrecognised-code", "igg-subclass", "code-system-unknown", "code-wrong-system"}  # and the others


def test_a_lab_heavy_chart_names_every_result_not_used_by_its_code() -> None:
    bundle = copy.deepcopy(BUNDLE)
    for i in range(300):
        code = CONCEPTS[i % 3]
        bundle["entry"].append({"resource": {
            "resourceType": "Observation", "id": f"lab-{i:03d}", "status": "final", "category": LAB,
            "subject": {"reference": "Patient/pt-dk-0001"}, "code": code,
            "effectiveDateTime": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T08:00:00+01:00",
            "valueQuantity": {"value": float(i), "unit": "g/L"}}})
    found = replay(RUNTIME, bundle, at=AT)
    assert [c["source"]["topic"]["code"] for c in found.cards] == ["start-substitution"]  # the advice stands
    named = [n for n in found.notes if n.kind == "result-not-used"]
    assert len(named) == 3  # one note per code and name, not 300
    assert sorted(n.count for n in named) == [100, 100, 100]
    assert {n.display.split(":")[0] for n in named} == {"P—Albumin; massek. = ? g/L (NPU19673)",
                                                        "B—Hæmoglobin; stofk. = ? mmol/L (NPU02319)", "NPU18016"}


def test_a_site_that_reads_a_code_is_not_told_it_is_plain_by_another_site(tmp_path: Path) -> None:
    """The verdicts are kept per terminology: a site whose value set holds a local code reads results under it, however
    often another site's runtime judged that code plain."""
    bundle = copy.deepcopy(BUNDLE)
    igg = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "obs-igg-0001-b")
    igg["code"] = concept(NPU, "DNK05432", text="Lab 17")  # a laboratory's own code in the NPU system
    plain_site = replay(RUNTIME, bundle, at=AT)
    assert [c["source"]["topic"]["code"] for c in plain_site.cards] != ["start-substitution"]
    assert any(n.kind == "result-not-used" and n.source == "Observation/obs-igg-0001-b" for n in plain_site.notes)
    site = tmp_path / "valuesets"
    site.mkdir()
    (site / "igg-serum.json").write_text(json.dumps({"id": "igg-serum", "include": [
        {"system": "NPU", "code": "DNK05432", "display": "P-Immunglobulin G (local)", "source": "the site's laboratory"}]}))
    reading_site = replay(load_runtime(Settings(valueset_dir=str(site))), bundle, at=AT)
    assert [c["source"]["topic"]["code"] for c in reading_site.cards] == ["start-substitution"]
    assert not any(n.source == "Observation/obs-igg-0001-b" for n in reading_site.notes)


def test_what_the_memo_keeps_never_grows_with_the_request(monkeypatch: pytest.MonkeyPatch) -> None:
    """A code of a million empty codings counts no characters: kept, its key held a million items for the life of the
    process, request after request. A concept of more than four codings is judged each time instead."""
    from cds_service.fhir import plain_results

    runtime = load_runtime(Settings())
    bundle = copy.deepcopy(BUNDLE)
    for i, codings in enumerate(([{}] * 5000, [{"code": None}] * 7, [{}] * 4)):
        bundle["entry"].append({"resource": {
            "resourceType": "Observation", "id": f"odd-{i}", "status": "final", "category": LAB,
            "subject": {"reference": "Patient/pt-dk-0001"}, "code": {"coding": codings},
            "effectiveDateTime": "2026-01-05", "valueQuantity": {"value": 1.0, "unit": "g/L"}}})
    kept = answered(runtime, bundle)
    known = plain_results._judged[runtime.terminology]
    assert known and max(len(key) for key in known) <= 1 + 4 * len(plain_results._CODING_FIELDS)
    monkeypatch.setattr(results, "plain_code", lambda b, concept, judge: None)
    assert kept == answered(runtime, bundle)
