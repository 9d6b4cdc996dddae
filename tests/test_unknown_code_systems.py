"""A code in a code system the rules do not know, with no text, is named on the card -- never dropped in silence.

A diagnosis, drug, procedure or lab result whose only coding is in a system no value set uses (a hospital's
http://hospital.dk/codes) and that carries no text could be anything: the card names it once ("code X in system Y
not recognised"), escaped, in English and Danish; a chart of many such lab results makes one note. The common
spelling variants of a known system (a trailing slash, https, letter case, a known OID, a bare OID) are read as
the system they spell (docs/clinical-logic.md, "Codes in a system the rules do not know").
"""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)
# After the window: J18.9 pneumonia with a positive blood culture the next day, IgG 3.5 -> general criteria met.
BUNDLE = json.loads((FIXTURES / "pneumonia-unspecified-positive-blood-culture-general-criteria-met.json").read_text())


def _chart(rid: str, concept: dict, labs: int = 0, system: str = "http://lab.dk/<codes>") -> dict:
    bundle = copy.deepcopy(BUNDLE)
    for entry in bundle["entry"]:
        if entry["resource"]["id"] == rid:
            entry["resource"]["code"] = concept
    for n in range(labs):
        bundle["entry"].append({"resource": {
            "resourceType": "Observation", "id": f"lab-{n}", "status": "final", "subject": {"reference": "Patient/pt-dk-0053"},
            "code": {"coding": [{"system": system, "code": f"L{n}"}]}, "effectiveDateTime": "2026-01-10",
            "valueQuantity": {"value": 1.0}}})
    return bundle


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_diagnosis_coded_only_in_an_unknown_system_is_named(lang: str) -> None:
    chart = _chart("cond-pneumonia-0053", {"coding": [{"system": "http://hospital.dk/codes", "code": "PNEU1"}]})
    answered = replay(RUNTIME, chart, at=AT, lang=lang)
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]  # not counted: an unknown code
    notes = [n for n in answered.notes if n.kind == "code-system-unknown"]
    assert [n.source for n in notes] == ["Condition/cond-pneumonia-0053"]
    said = {"en": "has the code PNEU1 \\(http\\://hospital\\.dk/codes\\), in a code system not recognised",
            "da": "har koden PNEU1 \\(http\\://hospital\\.dk/codes\\) i et kodesystem, der ikke genkendes"}
    assert said[lang] in answered.cards[0]["detail"]


def test_many_lab_results_in_one_unknown_system_make_one_note_after_the_diagnosis() -> None:
    chart = _chart("cond-pneumonia-0053", {"coding": [{"system": "http://hospital.dk/codes", "code": "PNEU1"}]}, labs=200)
    answered = replay(RUNTIME, chart, at=AT)
    notes = [n for n in answered.notes if n.kind == "code-system-unknown"]
    assert [n.source for n in notes] == ["Condition/cond-pneumonia-0053", "Observation/lab-0"]
    assert notes[1].message.endswith("and 199 more Observation record(s) in that system")
    detail = answered.cards[0]["detail"]
    assert "PNEU1 \\(http\\://hospital\\.dk/codes\\) and 1 more: codes in systems not recognised" in detail
    assert "<codes>" not in detail and "lab.dk" not in detail  # the second only counted (and would be escaped)


@pytest.mark.parametrize("concept", [
    {"coding": [{"system": "http://hospital.dk/codes", "code": "PNEU1"}], "text": "Hypertension"},  # judged by its text
    {"coding": [{"system": "http://hospital.dk/codes", "code": "PNEU1"},
                {"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10"}]},  # read by its known coding
])
def test_a_record_with_a_text_or_a_known_coding_is_not_named(concept: dict) -> None:
    answered = replay(RUNTIME, _chart("cond-pneumonia-0053", concept), at=AT)
    assert not [n for n in answered.notes if n.kind == "code-system-unknown"]


def test_vital_signs_in_an_unknown_system_are_not_named() -> None:
    chart = _chart("cond-dlbcl", BUNDLE["entry"][1]["resource"]["code"], labs=3)
    for entry in chart["entry"]:
        if entry["resource"]["id"].startswith("lab-"):
            entry["resource"]["category"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                                          "code": "vital-signs"}]}]
    assert not [n for n in replay(RUNTIME, chart, at=AT).notes if n.kind == "code-system-unknown"]


@pytest.mark.parametrize("system", ["urn:oid:1.2.208.176.2.4.12/", "URN:OID:1.2.208.176.2.4.12", " urn:oid:1.2.208.176.2.4 ",
                                    "1.2.208.176.2.4.12", "urn:oid:2.16.840.1.113883.6.3", "urn:oid:2.16.840.1.113883.6.90",
                                    "https://hl7.org/fhir/sid/icd-10/"])
def test_spelling_variants_of_a_diagnosis_system_are_read_as_that_system(system: str) -> None:
    chart = _chart("cond-pneumonia-0053", {"coding": [{"system": system, "code": "DJ189"}]})
    answered = replay(RUNTIME, chart, at=AT)
    assert [a.code for a in answered.advice] == ["start-meets-general-criteria"]
    assert not [n for n in answered.notes if n.kind == "code-system-unknown"]


@pytest.mark.parametrize("system", ["http://loinc.org/", "https://loinc.org", "HTTP://LOINC.ORG",
                                    "urn:oid:2.16.840.1.113883.6.1", "2.16.840.1.113883.6.1"])
def test_spelling_variants_of_loinc_are_read_as_loinc(system: str) -> None:
    chart = _chart("obs-igg-0053-a", {"coding": [{"system": system, "code": "2465-3"}]})
    assert [a.code for a in replay(RUNTIME, chart, at=AT).advice] == ["start-meets-general-criteria"]


@pytest.mark.parametrize("system", ["http://snomed.info/sct/", "https://snomed.info/sct", "urn:oid:2.16.840.1.113883.6.96"])
def test_spelling_variants_of_snomed_are_read_as_snomed(system: str) -> None:
    bundle = copy.deepcopy(BUNDLE)
    for entry in bundle["entry"]:
        if entry["resource"]["id"] == "cond-pneumonia-0053":  # pneumococcal pneumonia (SNOMED CT)
            entry["resource"]["code"] = {"coding": [{"system": system, "code": "233607000"}]}
    assert [a.code for a in replay(RUNTIME, bundle, at=AT).advice] == ["start-meets-general-criteria"]


def test_a_variant_two_systems_share_is_not_read() -> None:
    from cql_like_rules.valuesets import system_variant
    assert system_variant("https://LOINC.org/") == system_variant("http://loinc.org") == "http://loinc.org"
    assert RUNTIME.terminology.alias_for("http://snomed.info/id/233607000") is None  # a concept's URI, not a system
    # a SNOMED CT edition's URI sent as the system (it belongs in Coding.version) names SNOMED CT: its concept ids are
    # the same in every edition (the Danish edition holds the International concepts)
    assert RUNTIME.terminology.alias_for("http://snomed.info/sct/554471000005108") == ("SNOMED", None)
    assert RUNTIME.terminology.alias_for("http://snomed.info/sct/554471000005108/version/20250930") == ("SNOMED", None)
