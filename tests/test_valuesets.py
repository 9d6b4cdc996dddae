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
