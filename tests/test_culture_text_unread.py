"""A culture's text that the service cannot read verifies no infection, and the card says so (guideline §4.3: a
VERIFIED bacterial infection; spec §7: data seen and not used is named).

Before, any culture text without a no-growth word was read as a growth: with no organism known, a growth of an
unknown bacterium. So "Svar ved afdelingen", "Se journal", "Prøven hæmolyseret", "Materiale: blod", "1", a date or
"Dyrket 5 døgn" as the result of a blood culture beside a pneumonia coded without its organism (J18.9) made it a
severe verified bacterial infection (a bacteraemia): after the CAR-T high-risk window with IgG 3.5 g/L, two such
pneumonias made the card say 'Ig may be started (general criteria)', and nothing on it said that the culture's
answer had not been understood. Now such a text is not read: it verifies nothing, and the card names the culture
(its name and day) with a data note asking the clinician to read the result.

A text that names a bacterium the value sets know, or says that something grew ("Vækst af ..."), still verifies;
"Ingen vækst" is still no growth. A binomial name no list knows with no word that it grew ("Dolosigranulum pigrum")
is not read either: the reading that does not verify, named.

Chart: CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each with a blood culture that day; IgG
3.5 g/L on 2026-01-05; evaluated 2026-01-10.
"""

from __future__ import annotations

import html
import json
import re
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cds_service.fhir.facts import FactBuilder
from cds_service.fhir.request import parse_hook_request
from cds_service.http.explain_page import W
from cds_service.pipeline import answer_local
from cds_service.settings import Settings
from cds_service.tools.replay import replay, request_from_bundle
from cds_service.tools.timeline import build_timeline, patient_data
from cds_service.tools.worklist import run_worklist

from .test_culture_contaminant_by_name import CAR_T
from .test_culture_negation_scope import MET, NOT_MET, RUNTIME, episodes, verdict
from .test_therapy_known_by_name import chart
from . import pages

DAYS = ("2025-10-01", "2025-12-01")
AT = date(2026, 1, 10)
UNREAD = ["Svar ved afdelingen", "Se journal", "Prøven hæmolyseret", "Afventer identifikation", "Materiale: blod",
          "1", "2025-11-28", "Dyrket 5 døgn", "Dolosigranulum pigrum", "ESBL"]
NOTE = {"en": "a result the rules cannot read", "da": "har et svar, reglerne ikke kan læse"}
READ_IT = {"en": "read the result", "da": "læs selv svar"}


def bundle(text: str) -> dict[str, Any]:
    b = chart(CAR_T, *episodes(text, *DAYS))
    for entry in b["entry"]:
        if entry["resource"]["id"] == "igg":
            entry["resource"]["valueQuantity"]["value"] = 3.5
    return b


def cards(text: str, lang: str = "en") -> list[dict[str, Any]]:
    return replay(RUNTIME, bundle(text), at=AT, lang=lang).cards  # type: ignore[no-any-return]


def notes_of(found: dict[str, Any]) -> str:
    return json.dumps(found, ensure_ascii=False)


@pytest.mark.parametrize("text", UNREAD)
def test_an_unread_culture_text_is_no_growth(text: str) -> None:
    assert verdict(valueString=text) == "none"


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("text", UNREAD)
def test_two_pneumonias_beside_unread_cultures_do_not_meet_the_general_criteria(text: str, lang: str) -> None:
    """Before: 'start-meets-general-criteria', 'Ig may be started (general criteria)', on two cultures whose answer
    the service had not understood."""
    [found] = cards(text, lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"] and MET[lang][0] not in found["summary"]
    shown = notes_of(found)
    assert NOTE[lang] in shown and READ_IT[lang] in shown


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_note_names_the_culture_and_its_text_escaped(lang: str) -> None:
    b = chart(CAR_T, *episodes("Svar *ved* afdelingen", "2025-12-01"))
    [found] = replay(RUNTIME, b, at=AT, lang=lang).cards
    detail = found["detail"]
    assert NOTE[lang] in detail and "2025-12-01" in detail
    assert "B-Bacterium\\+fungus" in detail  # the EHR text escaped (markdown)
    if lang == "en":  # the Danish no-start card keeps the vaccination reminder and shows the culture's name only
        assert "Svar \\*ved\\* afdelingen" in detail


def test_the_note_is_in_the_facts_with_the_cultures_name() -> None:
    culture = {**episodes("Prøven hæmolyseret", "2025-12-01")[1], "subject": {"reference": "Patient/p"},
               "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "NPU17191"}],
                        "text": "Bloddyrkning"}}
    built = FactBuilder(RUNTIME.terminology, ZoneInfo("Europe/Copenhagen")).build([culture])
    [note] = [n for n in built.facts.notes if n.kind == "culture-text-unread"]
    assert note.display == "Bloddyrkning: Prøven hæmolyseret" and note.day == date(2025, 12, 1)
    [culture_fact] = built.facts.cultures
    assert not culture_fact.positive and not culture_fact.bacterial


@pytest.mark.parametrize("text", ["Vækst af Escherichia coli", "Escherichia coli", "Staphylococcus lugdunensis",
                                  "Achromobacter xylosoxidans", "Vækst af Dolosigranulum pigrum",
                                  "Dolosigranulum pigrum isoleret", "Positiv"])
def test_a_growth_or_a_known_bacterium_still_verifies(text: str) -> None:
    [found] = cards(text)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert NOTE["en"] not in notes_of(found)


@pytest.mark.parametrize("text", ["Ingen vækst", "Se kommentar", "Ikke udført", "Undersøgt for MRSA"])
def test_no_growth_defers_and_no_result_stay_no_growth_without_the_note(text: str) -> None:
    [found] = cards(text)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOTE["en"] not in notes_of(found)


def test_a_coded_organism_with_a_text_the_reader_does_not_know_still_counts() -> None:
    """The code says what grew: a local abbreviation as its text is no 'not grown'."""
    coded = {"coding": [{"system": "http://snomed.info/sct", "code": "112283007"}], "text": "E.col"}
    assert verdict(valueCodeableConcept=coded) == "bacterial"


@pytest.mark.parametrize(("interpretation", "expected"), [("POS", "bacterial"), ("NEG", "none")])
def test_a_coded_interpretation_decides_beside_an_unread_text(interpretation: str, expected: str) -> None:
    coded = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                          "code": interpretation}]}]
    assert verdict(valueString="Svar ved afdelingen", interpretation=coded) == expected


def test_a_diagnostic_report_conclusion_is_read_the_same() -> None:
    report = {"resourceType": "DiagnosticReport", "id": "dr", "status": "final",
              "subject": {"reference": "Patient/pt-named"}, "effectiveDateTime": "2025-12-01",
              "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "NPU17191"}]},
              "conclusion": "Se journal"}
    b = chart(CAR_T, *[e for e in episodes("x", "2025-12-01") if e["resourceType"] == "Condition"], report)
    [found] = replay(RUNTIME, b, at=AT).cards
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOTE["en"] in notes_of(found)


# -- every entrance agrees: the worklist and the timeline read the same pipeline
def write_export(b: dict[str, Any], where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[str]] = {}
    for entry in b["entry"]:
        files.setdefault(entry["resource"]["resourceType"], []).append(json.dumps(entry["resource"]))
    for kind, lines in files.items():
        (where / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return where


@pytest.mark.parametrize(("text", "code"), [("Svar ved afdelingen", "no-start-without-infections"),
                                            ("Vækst af Escherichia coli", "start-meets-general-criteria")])
def test_the_worklist_and_the_timeline_agree_with_patient_view(tmp_path: Path, text: str, code: str) -> None:
    [found] = cards(text)
    assert found["source"]["topic"]["code"] == code
    result = run_worklist(write_export(bundle(text), tmp_path / "export"), AT, Settings(), jobs=1)
    assert set(result.codes) == {code}
    timeline = build_timeline(patient_data(bundle(text), RUNTIME), RUNTIME, today=AT)
    assert timeline.changes[-1].codes == [code]


@pytest.mark.parametrize(("stain", "expected"), [("Gram negative rods", "bacterial"),
                                                 ("Gram positive cocci", "contaminant")])
def test_a_gram_stain_beside_a_coded_contaminant(stain: str, expected: str) -> None:
    """A coded S. epidermidis (SNOMED CT 60875001) is Gram-positive: Gram-negative rods beside it are a second
    organism, a bacterium grown (before: 'contaminant', the coded contaminant had no Gram attribute); Gram-positive
    cocci beside it may be the same organism."""
    epidermidis = {"coding": [{"system": "http://snomed.info/sct", "code": "60875001"}]}
    assert verdict(valueString=stain, component=[{"valueCodeableConcept": epidermidis}]) == expected


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_explanation_page_says_the_culture_was_not_read(lang: str) -> None:
    """The page lists the note (not read, read the result) and counts no infection verified by the culture."""
    answer = answer_local(parse_hook_request(request_from_bundle(bundle("Svar ved afdelingen")), "patient-view"),
                          RUNTIME, lang=lang, today=AT)
    data = pages.stored(answer, RUNTIME)
    now = datetime(2026, 1, 10, 11, 30, tzinfo=timezone.utc)
    page = pages.rendered(data, lang, RUNTIME, now)
    [notes] = re.findall(r'<table id="notes">(.*?)</table>', page, re.S)
    assert NOTE[lang] in html.unescape(notes) and READ_IT[lang] in html.unescape(notes)
    assert html.escape(W["counted"](lang)) not in page and W["verified-by"](lang).split("{")[0] not in page


@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_unread_culture_is_spelled_out_before_notes_that_cannot_change_the_decision(lang: str) -> None:
    """A card spells out two kinds of notes and counts the rest; an unread culture can decide whether an infection
    is verified, so it goes before a partial date or an undated infection, not into '+2 more'."""
    from cds_service.cards.notes import brief
    from cql_like_rules.facts import DataNote

    unread = DataNote("culture-text-unread", "Observation/c1", "not read", "Bloddyrkning: Se journal",
                      date(2025, 10, 1))
    others = [DataNote("date-partial", "Observation/x", "partial", "2025-10", None),
              DataNote("infection-undated", "Condition/y", "undated", "Pneumoni", None),
              DataNote("culture-contaminant", "Observation/z", "contaminant", "S. epidermidis", date(2025, 9, 1))]
    line = brief([*others, unread], lang)
    assert "Se journal" in line, line
