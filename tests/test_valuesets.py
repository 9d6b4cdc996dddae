"""Value sets are data: shipped files load, local files add codes, broken files stop start-up."""

from __future__ import annotations

import json
import shutil

import pytest

from cql_like_rules import RulesError as ValueSetError
from cql_like_rules.valuesets import SHIPPED_DIR, Terminology, load_terminology


def test_shipped_value_sets_carry_sources():
    t = load_terminology()
    for vs in t.valuesets.values():
        assert vs.entries, vs.id
        assert all(e.get("source") for e in vs.entries), vs.id


def test_icd10_and_sks_diagnosis_codes_match_by_prefix():
    t = load_terminology()
    for system, code in [("http://hl7.org/fhir/sid/icd-10", "C90.0"), ("http://hl7.org/fhir/sid/icd-10-cm", "C90.02"),
                         ("urn:oid:1.2.208.176.2.4.12", "DC900"), ("urn:oid:1.2.208.176.2.4", "DC833E")]:
        assert t.lookup("haematological-malignancy", system, code), (system, code)
    assert t.lookup("haematological-malignancy", "http://hl7.org/fhir/sid/icd-10", "C80.1") is None
    assert t.lookup("haematological-malignancy", "http://loinc.org", "C90.0") is None


def test_a_hospital_adds_a_local_igg_code(tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    (local / "code-systems.json").write_text(json.dumps({"aliases": {"LOCAL-LAB": {"uris": ["urn:oid:1.2.208.999.1"]}}}))
    (local / "igg-serum.json").write_text(json.dumps({"id": "igg-serum", "include": [
        {"system": "LOCAL-LAB", "code": "ASS00918", "display": "P-Immunglobulin G", "source": "local lab catalogue"}]}))
    t = load_terminology(str(local))
    assert t.lookup("igg-serum", "urn:oid:1.2.208.999.1", "ASS00918") is not None
    assert t.lookup("igg-serum", "http://loinc.org", "2465-3") is not None  # shipped codes stay


def test_broken_value_sets_refuse_to_load(tmp_path):
    broken = tmp_path / "vs"
    shutil.copytree(SHIPPED_DIR, broken)
    (broken / "igg-serum.json").write_text("{not json")
    with pytest.raises(ValueSetError, match="igg-serum.json"):
        Terminology([broken])
    (broken / "igg-serum.json").write_text(json.dumps({"id": "igg-serum", "include": [{"system": "NOPE", "code": "1"}]}))
    with pytest.raises(ValueSetError, match="unknown system alias"):
        Terminology([broken])
    with pytest.raises(ValueSetError, match="not found"):
        load_terminology(str(tmp_path / "missing"))


SCT = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"


def _local(tmp_path, *valuesets: dict, code_systems: dict | None = None) -> str:
    local = tmp_path / "local"
    local.mkdir(exist_ok=True)
    for i, vs in enumerate(valuesets):
        (local / f"vs{i}.json").write_text(json.dumps(vs))
    if code_systems:
        (local / "code-systems.json").write_text(json.dumps(code_systems))
    return str(local)


def test_descendants_or_self_includes_the_focus_and_descendants_only_does_not(tmp_path):
    local = _local(tmp_path, {"id": "bacterial-infection", "include": [
        {"system": "SNOMED", "ecl": "<< 1000001 |parent|", "display": "parent", "source": "test", "severe": False,
         "expansion": {"contains": [{"code": "1000002", "display": "child", "severe": True}]}},
        {"system": "SNOMED", "ecl": "< 1000011", "display": "other parent", "source": "test",
         "expansion": {"contains": [{"code": "1000012", "display": "other child"}]}}]})
    t = load_terminology(local)
    assert t.lookup("bacterial-infection", SCT, "1000001").get("severe") is False
    child = t.lookup("bacterial-infection", SCT, "1000002")
    assert child.get("severe") is True and child.get("source") == "test" and child.display == "child"
    assert t.lookup("bacterial-infection", SCT, "1000011") is None
    assert t.lookup("bacterial-infection", SCT, "1000012") is not None


def test_an_excluded_code_wins_over_an_expansion_and_an_explicit_code_over_a_concept(tmp_path):
    local = _local(tmp_path, {"id": "haematological-malignancy",
                              "include": [{"system": "SNOMED", "code": "1000003", "display": "explicit", "source": "test", "myeloma": True},
                                          {"system": "SNOMED", "ecl": "<< 1000001", "display": "parent", "source": "test",
                                           "expansion": {"contains": [{"code": "1000002"}, {"code": "1000003", "myeloma": False}]}}],
                              "exclude": [{"system": "SNOMED", "code": "1000002", "display": "not this one", "source": "test"}]})
    t = load_terminology(local)
    assert t.lookup("haematological-malignancy", SCT, "1000001") is not None
    assert t.lookup("haematological-malignancy", SCT, "1000002") is None
    assert t.lookup("haematological-malignancy", SCT, "1000003").get("myeloma") is True


@pytest.mark.parametrize("entry, message", [
    ({"system": "SNOMED", "ecl": "<<< 1000001"}, "unsupported ECL"),
    ({"system": "SNOMED", "ecl": "<< 1000001 OR << 1000002"}, "unsupported ECL"),
    ({"system": "SNOMED", "ecl": "<< 1000001 : 246075003 = 409822003"}, "unsupported ECL"),
    ({"system": "SNOMED", "ecl": ["<< 1000001"]}, "unsupported ECL"),
    ({"system": "LOINC", "ecl": "<< 1000001"}, "needs a SNOMED CT system"),
    ({"system": "SNOMED", "ecl": "<< 1000001", "code": "1000001"}, "exactly one of"),
    ({"system": "SNOMED", "ecl": "<< 1000001", "expansion": [{"code": "1000002"}]}, "'contains' list"),
    ({"system": "SNOMED", "ecl": "<< 1000001", "expansion": {"contains": [{"display": "no code"}]}}, "concept id"),
    ({"system": "SNOMED", "ecl": "<< 1000001", "expansion": {"contains": [{"code": "C90"}]}}, "concept id"),
    ({"system": "SNOMED", "ecl": "< 1000001", "expansion": {"contains": [{"code": "1000001"}]}}, "must not contain"),
])
def test_a_malformed_intensional_entry_is_refused_naming_file_and_entry(tmp_path, entry, message):
    local = _local(tmp_path, {"id": "organism", "include": [{"display": "x", "source": "test", **entry}]})
    with pytest.raises(ValueSetError, match=message) as refused:
        load_terminology(local)
    assert "vs0.json: entry" in str(refused.value)
    assert "<< 1000001" in str(refused.value) or "< 1000001" in str(refused.value)


def test_a_local_directory_adds_an_intensional_entry_and_hints(tmp_path):
    local = _local(tmp_path, {"id": "haematological-malignancy", "text_hints": ["Storcellet lymfom"], "include": [
        {"system": "SNOMED", "ecl": "<< 1000021", "display": "local parent", "display_da": "lokal", "source": "Hospital X",
         "myeloma": False, "expansion": {"edition": "http://snomed.info/sct/554471000005108", "expanded": "2026-01-01",
                                         "source": "https://tx.example.org/fhir",
                                         "contains": [{"code": "1000022", "display": "local child", "myeloma": True}]}}]})
    t = load_terminology(local)
    assert t.lookup("haematological-malignancy", SCT, "1000022").get("myeloma") is True
    assert t.lookup("haematological-malignancy", SCT, "1000021").display_for("da") == "lokal"
    assert t.hint_for("storcellet  LYMFOM i remission") == "haematological-malignancy"
    assert "storcellet lymfom" in t.hints["haematological-malignancy"]

