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


def test_an_sks_diagnosis_sent_under_an_icd10_system_is_read_as_its_icd10_code():
    """Danish EHRs send SKS codes ("DC833", "DA419") under the ICD-10 system too; the WHO ICD-10 OID is ICD-10."""
    t = load_terminology()
    icd10 = "http://hl7.org/fhir/sid/icd-10"
    assert t.lookup("haematological-malignancy", icd10, "DC833")
    assert t.lookup("haematological-malignancy", icd10, "DC90.0")
    assert t.lookup("bacterial-infection", icd10, "DA419")
    assert t.lookup("haematological-malignancy", "urn:oid:2.16.840.1.113883.6.3", "C83.3")
    # a real ICD-10 code that starts with D keeps it: D80.1 (hypogammaglobulinaemia) is not C80.1 or A80.1
    assert t.lookup("haematological-malignancy", icd10, "D80.1") is None
    assert t.lookup("haematological-malignancy", icd10, "D47.2") is None  # a D4x code is not C4x


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


def test_a_snomed_descendant_counts_with_its_own_attributes():
    t = load_terminology()
    pneumococcal = t.lookup("bacterial-infection", SCT, "233607000")  # Pneumococcal pneumonia
    assert pneumococcal is not None and pneumococcal.ecl.startswith("<< 87628006 |Bacterial infectious disease| MINUS")
    assert pneumococcal.get("severe") is False and "Pneumococcal" in pneumococcal.display
    meningitis = t.lookup("bacterial-infection", SCT, "51169003")  # Pneumococcal meningitis: severe by its own flag
    assert meningitis is not None and meningitis.get("severe") is True
    assert t.lookup("bacterial-infection", SCT, "87628006") is not None  # << includes the focus


def test_dlbcl_and_igg_myeloma_are_haematological_malignancies():
    t = load_terminology()
    dlbcl = t.lookup("haematological-malignancy", SCT, "109969005")
    assert dlbcl is not None and dlbcl.get("myeloma") is False
    igg_myeloma = t.sets_of({"coding": [{"system": SCT, "code": "285421005"}]})["haematological-malignancy"]
    assert igg_myeloma.get("myeloma") is True and igg_myeloma.get("isotype") == "IgG"


def test_sepsis_codes_are_severe_bacterial_and_unspecified_pneumonia_is_not():
    t = load_terminology()
    for system, code in [(ICD10, "A41.9"), ("urn:oid:1.2.208.176.2.4.12", "DR572"), (SCT, "91302008"), (SCT, "76571007")]:
        entry = t.lookup("bacterial-infection", system, code)
        assert entry is not None and entry.get("severe") is True, code
    staph = t.lookup("bacterial-infection", SCT, "448417001")
    assert "Staphylococcus aureus" in staph.display and t.lookup("bacterial-infection", SCT, "448418006") is not None
    pneumonia = t.sets_of({"coding": [{"system": "urn:oid:1.2.208.176.2.4.12", "code": "DJ189"}]})
    assert list(pneumonia) == ["infection-other"] and pneumonia["infection-other"].get("organism") == "unspecified"
    assert t.lookup("infection-other", SCT, "840539006").get("organism") == "other"  # COVID-19


def test_cultures_organisms_and_interpretations_carry_what_the_rules_need():
    t = load_terminology()
    assert t.lookup("culture", "http://npu-terminology.org", "NPU17191").get("specimen") == "blood"
    assert t.lookup("culture", "http://loinc.org", "580-1").get("fungal_only") is True
    for faecalis in ("78065002", "1187454003"):
        assert t.lookup("organism", SCT, faecalis).get("kind") == "bacterial"
    assert t.lookup("organism", SCT, "60875001").get("contaminant_often") is True  # S. epidermidis
    assert t.lookup("organism", SCT, "3092008").get("contaminant_often") is False  # S. aureus
    assert t.lookup("organism", SCT, "53326005").get("kind") == "other"  # Candida albicans
    yeast = t.lookup("organism", SCT, "58296003")  # Saccharomyces cerevisiae: a yeast, filed under Fungi
    assert yeast.get("kind") == "other" and "bacterial" not in yeast.get("hierarchy_source", "")
    interpretation = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
    assert t.lookup("result-interpretation", interpretation, "POS").get("result") == "positive"
    assert t.lookup("result-interpretation", interpretation, "A").get("result") == "indeterminate"
    assert t.lookup("result-interpretation", SCT, "260415000").get("result") == "negative"


def test_m_protein_isotypes_and_heavy_light_chain_pairs():
    t = load_terminology()
    npu = "urn:oid:1.2.208.176.2.1"
    assert t.lookup("m-protein", npu, "NPU28638").get("isotype") == "IgG"
    assert t.lookup("m-protein", npu, "NPU19844").get("isotype") == ""
    assert t.lookup("m-protein", "http://loinc.org", "33358-3").get("isotype") == ""
    assert t.lookup("immunofixation", npu, "NPU02642") is not None
    assert not t.sets_of({"coding": [{"system": npu, "code": "NPU19807"}]})  # IgG(kappa) pair: neither total IgG nor M-protein


def test_danish_displays_are_exposed():
    t = load_terminology()
    igg = t.lookup("igg-serum", "http://npu-terminology.org", "NPU19814")
    assert igg.display_for("da") == "P-Immunglobulin G; massek. = ? g/L"
    myeloma = t.lookup("haematological-malignancy", ICD10, "C90.0")
    assert myeloma.display_for("da") == "Maligne plasmacelle neoplasier"
    assert myeloma.display_for("en").startswith("Multiple myeloma")
    dlbcl = t.lookup("haematological-malignancy", SCT, "109969005")
    assert dlbcl.display_for("da") == dlbcl.display  # no Danish display: the English one


def test_text_hints_name_the_value_set_of_a_word_in_the_text():
    t = load_terminology()
    assert t.hint_for("Tecvayli 10 mg/ml") == "bispecific-b-pc"
    assert t.hint_for("Ordspono (odronextamab) 80 mg") == "bispecific-b-pc"  # no confirmed code: named, by its text
    assert t.hint_for("PRIVIGEN 100 mg/ml infusionsvæske") == "immunoglobulin-substitution"
    assert t.hint_for("Myelomatose, IgG kappa") == "haematological-malignancy"
    assert t.hint_for("BLODDYRKNING(BAKTERIUM+FUNGUS),B") == "culture"
    assert t.hint_for("blood\n culture") == "culture"  # any spacing
    assert t.hint_for("Mantlecellelymfom") == "haematological-malignancy"  # Danish compounds: long hints inside words
    short = [h for hints in t.hints.values() for h in hints if len(h) < 5]
    assert short and all(t.hint_for(f"x{h}x") is None for h in short)  # short hints: whole words only
    assert t.hint_for("Paracetamol 500 mg") is None
    assert t.hint_for(None) is None
    assert "tecvayli" in t.hints["bispecific-b-pc"]


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
    ({"system": "SNOMED", "ecl": "<< 1000001 MINUS << 1000002 OR << 1000003"}, "unsupported ECL"),
    ({"system": "SNOMED", "ecl": "<< 1000001 MINUS"}, "unsupported ECL"),
    ({"system": "SNOMED", "ecl": "<< 1000001 MINUS << 1000001"}, "subtracts its own focus"),
    ({"system": "SNOMED", "ecl": "<< 1000001 MINUS (<< 1000002 OR << 1000003)",
      "expansion": {"contains": [{"code": "1000003"}]}}, "contains 1000003, which the expression subtracts"),
])
def test_a_malformed_intensional_entry_is_refused_naming_file_and_entry(tmp_path, entry, message):
    local = _local(tmp_path, {"id": "organism", "include": [{"display": "x", "source": "test", **entry}]})
    with pytest.raises(ValueSetError, match=message) as refused:
        load_terminology(local)
    assert "vs0.json: entry" in str(refused.value)
    assert "<< 1000001" in str(refused.value) or "< 1000001" in str(refused.value)


def test_broken_text_hints_refuse_to_load(tmp_path):
    with pytest.raises(ValueSetError, match="text_hints"):
        load_terminology(_local(tmp_path, {"id": "culture", "text_hints": "bloddyrkning"}))
    with pytest.raises(ValueSetError, match="already a hint of bispecific-b-pc"):
        load_terminology(_local(tmp_path, {"id": "car-t-product", "text_hints": ["Tecvayli"]}))



def test_class_hints_name_a_set_only_beside_no_drug_code_of_its_own(tmp_path):
    """`text_hints_class`: "bispecifik…" names the bispecific set on a record with no code, or an ATC group's (L01FX);
    a name with one of the set's own hints ("Tecvayli") is never named by the class alone."""
    t = load_terminology()
    assert t.named_by_class_only("bispecifikt antistof", "bispecific-b-pc")
    assert not t.named_by_class_only("Tecvayli (bispecifikt antistof)", "bispecific-b-pc")
    assert not t.named_by_class_only("lymfom", "haematological-malignancy")  # a set with no class hints
    atc = "http://www.whocc.no/atc"
    assert not t.codes_a_drug({"coding": [{"system": atc, "code": "L01FX"}], "text": "x"})
    assert not t.codes_a_drug({"text": "bispecifikt antistof"})
    assert t.codes_a_drug({"coding": [{"system": atc, "code": "L01FX18"}]})
    assert t.codes_a_drug({"coding": [{"system": "urn:local", "code": "4711"}]})
    with pytest.raises(ValueSetError, match="text_hints_class"):
        load_terminology(_local(tmp_path, {"id": "culture", "text_hints_class": "bispecific"}))


def test_a_local_directory_adds_an_intensional_entry_and_hints(tmp_path):
    local = _local(tmp_path, {"id": "haematological-malignancy", "text_hints": ["Storcellet lymfom"], "include": [
        {"system": "SNOMED", "ecl": "<< 1000021", "display": "local parent", "display_da": "lokal", "source": "Hospital X",
         "myeloma": False, "expansion": {"edition": "http://snomed.info/sct/554471000005108", "expanded": "2026-01-01",
                                         "source": "https://tx.example.org/fhir",
                                         "contains": [{"code": "1000022", "display": "local child", "myeloma": True}]}}]})
    t = load_terminology(local)
    assert t.lookup("haematological-malignancy", SCT, "1000022").get("myeloma") is True
    assert t.lookup("haematological-malignancy", SCT, "1000021").display_for("da") == "lokal"
    assert t.lookup("haematological-malignancy", SCT, "109969005") is not None  # shipped expansion stays
    assert t.hint_for("storcellet  LYMFOM i remission") == "haematological-malignancy"
    assert "storcellet lymfom" in t.hints["haematological-malignancy"]


def test_sources_name_public_material_only():
    for path in SHIPPED_DIR.glob("*.json"):
        text = path.read_text(encoding="utf-8")
        assert "/work/" not in text and "terminology.md" not in text, path.name


def test_an_entry_may_subtract_hierarchies_with_minus(tmp_path):
    local = _local(tmp_path, {"id": "bacterial-infection", "include": [
        {"system": "SNOMED", "ecl": "<< 1000031 |parent| minus (<< 1000032 |viral| OR < 1000033)", "display": "parent",
         "source": "test", "severe": True, "expansion": {"contains": [{"code": "1000034", "display": "bacterial child"},
                                                                       {"code": "1000033", "display": "kept: '<' subtracts only below it"}]}}]})
    t = load_terminology(local)
    assert t.lookup("bacterial-infection", SCT, "1000031").get("severe") is True
    assert t.lookup("bacterial-infection", SCT, "1000034").ecl.startswith("<< 1000031")
    assert t.lookup("bacterial-infection", SCT, "1000033") is not None
    assert t.lookup("bacterial-infection", SCT, "1000032") is None


def test_sepsis_is_intensional_and_viral_or_fungal_sepsis_is_not_bacterial():
    t = load_terminology()
    sepsis = t.lookup("bacterial-infection", SCT, "91302008")
    assert sepsis.ecl is not None and sepsis.ecl.startswith("<< 91302008") and "MINUS" in sepsis.ecl
    for code in ("91302008", "10001005", "448417001", "448421008", "449082003", "721104000"):
        entry = t.lookup("bacterial-infection", SCT, code)
        assert entry is not None and entry.get("severe") is True and entry.ecl == sepsis.ecl, code
    for code in ("770349000", "700054008"):  # sepsis caused by a virus / a fungus
        assert t.lookup("bacterial-infection", SCT, code) is None
        assert t.lookup("infection-other", SCT, code).get("organism") == "other"
    assert t.lookup("bacterial-infection", SCT, "76571007").get("severe") is True  # septic shock, explicit


def test_burkitt_lymphoma_is_a_malignant_lymphoma():
    burkitt = load_terminology().lookup("haematological-malignancy", SCT, "118617000")
    assert burkitt is not None and burkitt.ecl == "<< 118600007" and burkitt.get("myeloma") is False


@pytest.mark.parametrize("embeds, message", [
    ({"M": "ATC"}, "'M' needs an 'alias' and a 'pattern'"),
    ({"M": {"alias": "ATC", "pattern": "(["}}, "is not a regular expression"),
    ({"M": {"alias": "NO-SUCH", "pattern": "^[A-Z]"}}, "names unknown alias"),
])
def test_a_code_system_embedding_another_is_declared_whole(tmp_path, embeds, message):
    """`embeds` (SKS's main group M is ATC) names the embedded system's alias and the shape of its codes; a site's
    declaration missing either, or naming no known system, refuses to load rather than reading codes wrongly."""
    systems = {"aliases": {"LOCAL-SKS": {"uris": ["urn:oid:1.2.208.999.4"], "embeds": embeds}}}
    with pytest.raises(ValueSetError, match=message):
        load_terminology(_local(tmp_path, code_systems=systems))


def test_class_codes_are_a_list_of_entries(tmp_path):
    with pytest.raises(ValueSetError, match="'class_codes' must be a list"):
        load_terminology(_local(tmp_path, {"id": "bispecific-b-pc", "class_codes": "BOHJ19K"}))
