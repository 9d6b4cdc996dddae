"""A culture's growth written in its components, or written the short way, is read (guideline §4.3: a VERIFIED
bacterial infection; spec §7: an organism-unspecified pneumonia counts with a positive bacterial culture, and data
the rules saw and did not use is named).

Danish laboratory systems send a culture Observation with a `component` per organism or per finding
("Mikroorganisme": "Staphylococcus aureus", a coded SNOMED CT organism, or "Vækst" / "Ingen vækst"). A coded
organism in a component counted; a component's text was neither read nor named: a blood culture whose only result
was the component "Staphylococcus aureus" was a culture with no result, so two J18.9 pneumonias each with one, after
the CAR-T high-risk window with IgG 3.5 g/L, said "no severe/recurrent verified bacterial infection: Ig start not
recommended", and a component "Svar ved afdelingen" was dropped without the `culture-text-unread` note. Now a
component's text is read with the value's as one report (each component its own statement), and an unread one is
named. The short names laboratories write without the genus's full stop ("K pneumoniae", "S pneumoniae",
"P aeruginosa", "H influenzae") and GAS (group A streptococci, in capitals only) were not read either.

Chart: CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each with a blood culture that day; IgG
3.5 g/L on 2026-01-05; evaluated 2026-01-10.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cds_service.fhir.facts import FactBuilder
from cds_service.tools.replay import replay

from .test_culture_contaminant_by_name import CAR_T
from .test_culture_negation_scope import MET, NOT_MET, RUNTIME, episodes, verdict
from .test_culture_text_unread import AT, DAYS, NOTE, READ_IT, cards, notes_of
from .test_therapy_known_by_name import chart

ORGANISM = {"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "LOCAL-ORG"}], "text": "Mikroorganisme"}
GROWTH = {"text": "Vækst"}
SNOMED_S_AUREUS = {"coding": [{"system": "http://snomed.info/sct", "code": "3092008",
                               "display": "Staphylococcus aureus"}]}
POS = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "POS"}]}]
NEG = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "NEG"}]}]


def part(value: str | dict[str, Any], code: dict[str, Any] = ORGANISM) -> dict[str, Any]:
    """One component: a text (valueString) or a concept (valueCodeableConcept)."""
    return {"code": code, **({"valueString": value} if isinstance(value, str) else {"valueCodeableConcept": value})}


def component_bundle(components: list[dict[str, Any]], **value: Any) -> dict[str, Any]:
    """The chart of test_culture_text_unread with each blood culture's result in its components (no value)."""
    b = chart(CAR_T, *episodes("x", *DAYS))
    for entry in b["entry"]:
        resource = entry["resource"]
        if resource["id"] == "igg":
            resource["valueQuantity"]["value"] = 3.5
        elif resource["id"].startswith("bc"):
            del resource["valueString"]
            resource.update({"component": components, **value})
    return b


def component_cards(components: list[dict[str, Any]], lang: str = "en", **value: Any) -> list[dict[str, Any]]:
    return replay(RUNTIME, component_bundle(components, **value), at=AT, lang=lang).cards  # type: ignore[no-any-return]


def chart_cards(b: dict[str, Any]) -> list[dict[str, Any]]:
    return replay(RUNTIME, b, at=AT).cards  # type: ignore[no-any-return]


GROWN = {  # a culture's growth in its components: each verifies
    "organism as text": [part("Staphylococcus aureus")],
    "organism as a concept's text": [part({"text": "Escherichia coli"})],
    "growth beside the organism": [part("Vækst", GROWTH), part("Streptococcus pneumoniae")],
    "growth and organism and no fungus": [part("Vækst", GROWTH), part("Klebsiella pneumoniae"),
                                          part("Ingen vækst", {"text": "Svampe"})],
    "organism written short": [part("K pneumoniae")],
}


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("name", list(GROWN))
def test_a_growth_in_the_components_verifies(name: str, lang: str) -> None:
    """Before: 'no-start-without-infections' (the component's text was not read), with no note."""
    [found] = component_cards(GROWN[name], lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"] and MET[lang][1] in found["detail"]
    assert NOTE[lang] not in notes_of(found)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_unread_component_text_is_named(lang: str) -> None:
    """Before: 'no-start-without-infections' with nothing on the card about the culture's answer."""
    [found] = component_cards([part("Svar ved afdelingen")], lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]
    shown = notes_of(found)
    assert NOTE[lang] in shown and READ_IT[lang] in shown and "Svar ved afdelingen" in shown


@pytest.mark.parametrize("components", [[part("Ingen vækst")], [part("Vækst", GROWTH), part("Staphylococcus epidermidis")],
                                        [part("Påvist", {"text": "Gær"})], [part("Ikke påvist", {"text": "MRSA"})]],
                         ids=["no growth", "a contaminant", "a yeast by its component's name", "no MRSA"])
def test_no_growth_a_contaminant_or_a_yeast_in_the_components_does_not_verify(components: list[dict[str, Any]]) -> None:
    [found] = component_cards(components)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOTE["en"] not in notes_of(found)


def test_the_components_read_as_one_report() -> None:
    """A component's code that names an organism is read before a value that names none: "Gær: Påvist" grew a yeast
    (not an unknown bacterium), "MRSA: Ikke påvist" is no MRSA beside the S. aureus of another component."""
    assert verdict(component=[part("Påvist", {"text": "Gær"})]) == "other"
    assert verdict(component=[part("Staphylococcus aureus"), part("Ikke påvist", {"text": "MRSA"})]) == "bacterial"
    assert verdict(component=[part("Vækst", GROWTH), part("Staphylococcus epidermidis")]) == "contaminant"
    assert verdict(component=[part("Ingen vækst", GROWTH)]) == "none"
    # a code that names no organism ("Mikroorganisme") is not read: "Påvist" alone is a growth, as in the value
    assert verdict(component=[part("Påvist")]) == "bacterial"


@pytest.mark.parametrize(("interpretation", "expected"), [(POS, "bacterial"), (NEG, "none")], ids=["POS", "NEG"])
def test_a_coded_interpretation_still_decides(interpretation: list[dict[str, Any]], expected: str) -> None:
    assert verdict(component=[part("Svar ved afdelingen")], interpretation=interpretation) == expected
    assert verdict(component=[part("Staphylococcus aureus")], interpretation=interpretation) == expected


def test_a_coded_organism_in_a_component_counts_as_before() -> None:
    assert verdict(component=[part(SNOMED_S_AUREUS)]) == "bacterial"
    assert verdict(component=[part({**SNOMED_S_AUREUS, "text": "S.aur"})]) == "bacterial"  # an unknown text: the code


def test_a_value_and_a_component_saying_the_same_are_one_culture() -> None:
    """One Observation is one culture, whatever its value and components repeat: the episodes are the infections'."""
    culture = {**episodes("Staphylococcus aureus", "2025-12-01")[1], "subject": {"reference": "Patient/p"},
               "component": [part("Staphylococcus aureus"), part(SNOMED_S_AUREUS)]}
    facts = FactBuilder(RUNTIME.terminology, ZoneInfo("Europe/Copenhagen")).build([culture]).facts
    [read] = facts.cultures
    assert read.positive and read.bacterial and read.organism == "Staphylococcus aureus"
    assert not [n for n in facts.notes if n.kind.startswith("culture")]
    b = chart(CAR_T, *episodes("Staphylococcus aureus", *DAYS))
    for entry in b["entry"]:
        if entry["resource"]["id"] == "igg":
            entry["resource"]["valueQuantity"]["value"] = 3.5
        elif entry["resource"]["id"].startswith("bc"):
            entry["resource"]["component"] = [part("Staphylococcus aureus")]
    [found] = chart_cards(b)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET["en"][1] in found["detail"]  # two episodes, not four


def test_the_unread_note_names_every_component_text() -> None:
    culture = {**episodes("x", "2025-12-01")[1], "subject": {"reference": "Patient/p"},
               "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "NPU17191"}], "text": "Bloddyrkning"},
               "component": [part("Prøven hæmolyseret"), part("Afventer identifikation")]}
    del culture["valueString"]
    facts = FactBuilder(RUNTIME.terminology, ZoneInfo("Europe/Copenhagen")).build([culture]).facts
    [note] = [n for n in facts.notes if n.kind == "culture-text-unread"]
    assert note.display == "Bloddyrkning: Prøven hæmolyseret / Afventer identifikation"
    assert note.day == date(2025, 12, 1)


def test_a_culture_under_a_local_code_with_only_components_is_read_by_its_name() -> None:
    """A laboratory result named a culture under a local code, its organism in a component: read as a culture.
    Before: not read at all (a result with no value was never looked at by its name)."""
    culture = {"resourceType": "Observation", "id": "bc", "status": "final", "subject": {"reference": "Patient/p"},
               "effectiveDateTime": "2025-12-01",
               "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                         "code": "laboratory"}]}],
               "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "LOCAL-BC"}], "text": "Bloddyrkning"},
               "component": [part("Vækst", GROWTH), part("Escherichia coli")]}
    facts = FactBuilder(RUNTIME.terminology, ZoneInfo("Europe/Copenhagen")).build([culture]).facts
    [read] = facts.cultures
    assert read.positive and read.bacterial and read.specimen == "blood"


# -- short names without the genus's full stop, and GAS
SHORT = ["K pneumoniae", "S pneumoniae", "P aeruginosa", "H influenzae", "Str pneumoniae", "E faecium", "GAS",
         "Vækst af GAS", "GAS påvist"]


@pytest.mark.parametrize("text", SHORT)
def test_a_short_name_without_its_full_stop_is_a_bacterium_grown(text: str) -> None:
    assert verdict(valueString=text) == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("text", ["K pneumoniae", "S pneumoniae", "H influenzae", "GAS"])
def test_two_pneumonias_with_a_short_named_pathogen_meet_the_general_criteria(text: str, lang: str) -> None:
    """Before: 'no-start-without-infections' and 'a culture has a result the rules cannot read' on each."""
    [found] = cards(text, lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"]
    assert NOTE[lang] not in notes_of(found)


@pytest.mark.parametrize("text", ["gas", "Gas gangrene", "Luft og gas i flasken"])
@pytest.mark.parametrize("lang", ["en", "da"])
def test_gas_not_in_capitals_is_no_organism(text: str, lang: str) -> None:
    """'gas' is an ordinary word: not read as group A streptococci, so the culture stays unread and named."""
    assert verdict(valueString=text) == "none"
    [found] = cards(text, lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOTE[lang] in notes_of(found)


@pytest.mark.parametrize("text", ["Ingen vækst af GAS", "GAS ikke påvist", "Ingen vækst af K pneumoniae",
                                  "Undersøgt for GAS"])
def test_a_short_name_not_grown_stays_no_growth(text: str) -> None:
    assert verdict(valueString=text) == "none"


# -- resistance labels: ESBL is a property of an organism, CPO (like MRSA, VRE) names the organism
@pytest.mark.parametrize(("text", "expected"), [
    ("ESBL-producerende E. coli", "bacterial"), ("ESBL-producerende E coli", "bacterial"),
    ("E. coli, ESBL-positiv", "bacterial"), ("Klebsiella pneumoniae ESBL", "bacterial"),
    ("CPO", "bacterial"), ("Vækst af CPO", "bacterial"), ("MRSA", "bacterial"), ("VRE", "bacterial"),
    ("ESBL", "none"), ("CPO ikke påvist", "none")])
def test_a_resistance_label(text: str, expected: str) -> None:
    assert verdict(valueString=text) == expected


@pytest.mark.parametrize("lang", ["en", "da"])
def test_esbl_alone_is_named_not_counted(lang: str) -> None:
    """"ESBL" alone names a property, not which organism grew, nor that one did: not read, named."""
    [found] = cards("ESBL", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOTE[lang] in notes_of(found)
    [found] = cards("ESBL-producerende E. coli", lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"


@pytest.mark.parametrize("code", [{"text": "Kommentar"}, {"text": "Comment"}, {"text": "Laboratoriets bemærkning"}])
def test_a_comment_component_never_makes_a_culture_grow(code: dict[str, Any]) -> None:
    """A comment sent as a component is read as a note is: "Ring ved vækst af S. aureus" names no growth."""
    assert verdict(component=[part("Ingen vækst"), part("Ring ved vækst af S. aureus", code)]) == "none"
    assert verdict(component=[part("Tidligere vækst af Klebsiella pneumoniae", code)]) == "none"


# -- second reading: what must NOT verify
@pytest.mark.parametrize("text", ["BLODDYRKNING: GAS I FLASKEN", "LUFT/GAS I FLASKE", "INGEN VÆKST. GAS"])
def test_gas_in_a_line_written_in_capitals_is_no_organism(text: str) -> None:
    """In a line written wholly in capitals every word is in capitals: "GAS" there may be the ordinary word.
    Before: each verified (group A streptococci grown), so two such pneumonias said "Ig may be started"."""
    assert verdict(valueString=text) == "none"
    assert verdict(component=[part(text)]) == "none"
    for written in ("GAS", "Vækst af GAS", "GAS påvist", "Ingen vækst\nGAS"):  # capitals that set it apart
        assert verdict(valueString=written) == "bacterial", written


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_blood_culture_saying_gas_in_the_bottle_in_capitals_is_named_not_counted(lang: str) -> None:
    [found] = cards("BLODDYRKNING: GAS I FLASKEN", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOTE[lang] in notes_of(found)


@pytest.mark.parametrize("text", ["Vækst af S hominis", "Vækst af S haemolyticus", "Vækst af S capitis",
                                  "Vækst af S warneri", "Vækst af S epidermidis"])
def test_a_contaminant_written_short_without_its_full_stop_stays_a_contaminant(text: str) -> None:
    """As 'K pneumoniae' is read without the full stop, so are the coagulase-negative staphylococci: before, "Vækst
    af S hominis" was a growth of an unknown organism, i.e. a verified bacterial growth."""
    assert verdict(valueString=text) == "contaminant"
    assert verdict(component=[part("Vækst", GROWTH), part(text.removeprefix("Vækst af "))]) == "contaminant"


COMMENT_NAMES = ["Svarkommentar", "Laboratoriekommentar", "Anmærkning", "Notat", "Kliniske oplysninger",
                 "Klinisk info", "Undersøgt for", "Rekvisition", "Mistanke om", "Klinisk diagnose"]


@pytest.mark.parametrize("name", COMMENT_NAMES)
def test_a_component_named_a_comment_or_the_request_never_makes_a_culture_grow(name: str) -> None:
    """A Danish comment's name is a compound ("Svarkommentar"), and the request's words (what was asked for, the
    clinical information) are no finding. Before: "Ingen vækst" beside "Svarkommentar": "Tidligere vækst af S.
    aureus" verified S. aureus. Like a note that names a bacterium grown, it is shown, not counted."""
    culture = {**episodes("x", "2025-12-01")[1], "subject": {"reference": "Patient/p"},
               "component": [part("Ingen vækst", GROWTH), part("Tidligere vækst af S. aureus", {"text": name})]}
    del culture["valueString"]
    facts = FactBuilder(RUNTIME.terminology, ZoneInfo("Europe/Copenhagen")).build([culture]).facts
    [read] = facts.cultures
    assert not read.positive and not read.bacterial
    assert [n.display for n in facts.notes if n.kind == "culture-note-names-growth"] == ["Tidligere vækst af S. aureus"]
    assert verdict(component=[part("S. aureus, GAS", {"text": name})]) == "none"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_with_no_growth_and_a_comment_naming_s_aureus_do_not_meet_the_criteria(lang: str) -> None:
    [found] = component_cards([part("Ingen vækst", GROWTH), part("Tidligere vækst af S. aureus",
                                                                 {"text": "Svarkommentar"})], lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


@pytest.mark.parametrize("components", [
    [part("Påvist", {"text": "Influenza A"})], [part("Positiv", {"text": "CMV PCR"})],
    [part("Ingen vækst", GROWTH), part("Påvist", {"text": "Influenza A"})]],
    ids=["influenza detected", "CMV PCR positive", "no growth beside influenza detected"])
def test_a_virus_found_beside_a_culture_is_no_bacterial_growth(components: list[dict[str, Any]]) -> None:
    """A virus named by its component ("Influenza A": "Påvist") is no bacterium grown (§4.3). Before: the bare
    "Påvist" was read alone, a growth of an unknown organism, i.e. a verified bacterial infection."""
    assert verdict(component=components) in ("other", "none")
    assert verdict(valueString="Influenza A påvist") == "other"
    # a bacterium beside it still verifies, and Haemophilus influenzae is no influenza virus
    assert verdict(component=[*components, part("Streptococcus pneumoniae")]) == "bacterial"
    assert verdict(valueString="Vækst af H. parainfluenzae") == verdict(valueString="H influenzae") == "bacterial"


def test_a_report_whose_coded_conclusion_names_a_virus_is_no_bacterial_growth() -> None:
    """A DiagnosticReport under a culture code whose conclusionCode display names a virus: its display is now read as
    the result's text, and was a growth of an unknown organism."""
    report = {"resourceType": "DiagnosticReport", "id": "dr", "status": "final", "subject": {"reference": "Patient/p"},
              "effectiveDateTime": "2025-12-01", "code": {"coding": [{"system": "http://loinc.org", "code": "600-7"}]},
              "conclusionCode": [{"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "V1",
                                              "display": "Influenza A virus RNA detected"}]}]}
    [read] = FactBuilder(RUNTIME.terminology, ZoneInfo("Europe/Copenhagen")).build([report]).facts.cultures
    assert not read.bacterial


# -- second reading of the comment filter: a component named the finding is read, though its name has 'diagnos'
@pytest.mark.parametrize("name", ["Diagnostisk fund", "Mikrobiologisk diagnose", "Bakteriologisk diagnose",
                                  "Resultat", "Fund", "Konklusion"])
def test_a_component_named_the_finding_is_read(name: str) -> None:
    """Before: "Diagnostisk fund": "Vækst af E. coli" was a comment (a note), so two E. coli bacteraemias said
    "Ig start not recommended" (§4.3: a positive bacterial culture verifies)."""
    assert verdict(component=[part("Vækst af Escherichia coli", {"text": name})]) == "bacterial"


@pytest.mark.parametrize("name", ["Klinisk diagnose", "Diagnose", "Mistænkt diagnose", "Mistænkt mikrobiologisk diagnose"])
def test_the_requests_diagnosis_is_still_no_finding(name: str) -> None:
    assert verdict(component=[part("S. aureus bakteriæmi", {"text": name})]) == "none"
