"""A culture whose result is only in `note[].text` ("Vækst af Streptococcus pneumoniae"), or only in its
interpretation (coded POS/NEG, or in words in `interpretation.text`), is read: the notes through the same culture text
reader and value sets as the value's text, the interpretation in words by the result-interpretation words. The rule
where they disagree (docs/clinical-logic.md): the laboratory's interpretation decides whether the culture grew, and
the card's data notes name the disagreement.

The chart: CAR-T 2025-03-03 (the window ended 2025-09-03), myeloma, IgG 3.0 g/L 2026-01-05, pneumonia coded without
its organism (J18.9) twice, 2025-11-01 and 2025-12-01, each with a sputum culture the same day (clinical-rules §7: an
organism-unspecified infection counts as bacterial with a positive bacterial culture within 7 days of its onset).
Two such pneumonias are recurrent verified bacterial infections: the general start criteria are met (§4.3).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .test_culture_contaminant_by_name import CAR_T, CONFIRMED, SUBJECT
from .test_therapy_known_by_name import chart

RUNTIME = load_runtime(Settings())
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
POS = {"coding": [{"system": INTERPRETATION, "code": "POS"}]}
NEG = {"coding": [{"system": INTERPRETATION, "code": "NEG"}]}
GREW = "Vækst af Streptococcus pneumoniae"
MEETS, NOT_MET = "start-meets-general-criteria", "no-start-without-infections"


def pneumonia(n: int, day: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": f"pneu{n}", "subject": SUBJECT, "verificationStatus": CONFIRMED,
            "onsetDateTime": day, "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J18.9",
                                                       "display": "Pneumonia, unspecified organism"}]}}


def sputum(n: int, day: str, result: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": f"sputum{n}", "status": "final", "subject": SUBJECT,
            "effectiveDateTime": day, "code": {"coding": [{"system": "http://loinc.org", "code": "6460-0"}]}, **result}


def card(result: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    resources = [CAR_T, pneumonia(1, "2025-11-01"), sputum(1, "2025-11-01", result),
                 pneumonia(2, "2025-12-01"), sputum(2, "2025-12-01", result)]
    [found] = replay(RUNTIME, chart(*resources), at=date(2026, 1, 10), lang=lang).cards
    return found  # type: ignore[no-any-return]


def code(found: dict[str, Any]) -> str:
    return str(found["source"]["topic"]["code"])


@pytest.mark.parametrize("lang, noted", [
    ("en", "2 cultures name a bacterium grown only in a comment: not counted; check the results"),
    ("da", "2 dyrkninger nævner kun vækst af en bakterie i en kommentar: medregnes ikke; tjek svarene"),
])
@pytest.mark.parametrize("result", [
    {"note": [{"text": GREW}]},
    {"note": [{"text": "Prøven modtaget efter 30 timer"}, {"text": GREW}]},  # a comment beside the result
    {"valueString": "Ingen vækst efter 2 døgn", "note": [{"text": f"Supplerende svar: {GREW.lower()}"}]},
    # what a laboratory or a clinician writes on a negative or pending culture: none of it is a growth
    {"note": [{"text": "Ring ved vækst af S. aureus"}]},
    {"valueString": "Ingen vækst", "note": [{"text": "Ring ved vækst af S. aureus"}]},
    {"valueString": "Negativ", "note": [{"text": "Kontrol af E. coli-bærertilstand"}]},
    {"valueString": "Ingen vækst", "note": [{"text": "Tidligere vækst af Klebsiella (2024)"}]},
], ids=["note", "note-and-comment", "later-note", "call-if-growth", "call-if-growth-beside-none", "carrier-check",
        "earlier-growth"])
def test_a_bacterium_named_only_in_a_note_is_shown_not_counted(result, lang, noted):
    """A note is a comment on the culture, not its result: "Ring ved vækst af S. aureus", "Tidligere vækst af
    Klebsiella (2024)" or "Undersøgt for MRSA" counted as a growth, and two pneumonias (J18.9) with such sputum
    cultures got "start-meets-general-criteria" on IgG 3.0 g/L: Ig started for infections not verified (§4.3).
    The note is named on the card, for the clinician to judge (a result in a note alone: the override "severe
    bacterial infection not yet coded")."""
    found = card(result, lang)
    assert code(found) == NOT_MET, found["detail"]
    assert noted in found["detail"], found["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_note_naming_what_the_culture_was_examined_for_names_no_growth(lang):
    """"Undersøgt for MRSA" says what was looked for: no growth, so it is neither counted nor named as a growth."""
    found = card({"note": [{"text": "Undersøgt for MRSA"}]}, lang)
    assert code(found) == NOT_MET, found["detail"]
    assert "grown only in a comment" not in found["detail"] and "kun vækst af en bakterie" not in found["detail"]


@pytest.mark.parametrize("lang, shown", [
    ("en", "A culture (2025-12-01) names a bacterium grown only in a comment (“&lt;b&gt;Vækst af S"),
    ("da", "En dyrkning (2025-12-01) nævner kun vækst af en bakterie i en kommentar (“&lt;b&gt;Vækst af S"),
])
def test_the_note_naming_a_growth_is_escaped_in_both_languages(lang, shown):
    [found] = replay(RUNTIME, chart(CAR_T, pneumonia(1, "2025-12-01"),
                                    sputum(1, "2025-12-01", {"note": [{"text": "<b>Vækst af S. aureus</b>"}]})),
                     at=date(2026, 1, 10), lang=lang).cards
    assert shown in found["detail"], found["detail"]
    assert "<b>" not in found["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_positive_interpretation_with_its_organism_in_a_note_meets_the_general_criteria(lang):
    found = card({"interpretation": [POS], "note": [{"text": GREW}]}, lang)
    assert code(found) == MEETS, found["detail"]
    assert ("positive airway culture 2025-12-01" if lang == "en" else "positiv luftvejsdyrkning 2025-12-01") \
        in found["detail"]


def test_a_positive_interpretation_whose_note_names_a_yeast_only_is_no_bacterial_growth():
    assert code(card({"interpretation": [POS], "note": [{"text": "Vækst af Candida albicans"}]})) == NOT_MET


@pytest.mark.parametrize("result", [{"interpretation": [POS]}, {"interpretation": [{"text": "Positiv"}]},
                                    {"interpretation": [{"coding": [{"system": "urn:oid:1.2.208.999", "code": "P",
                                                                     "display": "Positive"}]}]}],
                         ids=["coded", "in-words", "local-code-with-display"])
def test_a_culture_positive_only_by_its_interpretation_counts_as_a_bacterial_culture_growth(result):
    """No organism named: a bacterial culture the laboratory calls positive grew something, and an organism no list
    names is a bacterial culture's growth (the rule for a text naming an unknown organism; docs/clinical-logic.md)."""
    assert code(card(result)) == MEETS


@pytest.mark.parametrize("result", [{"note": [{"text": "Prøven modtaget efter 30 timer"}]},
                                    {"interpretation": [{"text": "Se kommentar"}]},
                                    {"interpretation": [{"text": "Negativ"}], "note": [{"text": "Kommentar: se svar"}]}],
                         ids=["comment-only", "interpretation-without-a-result-word", "negative-in-words"])
def test_a_note_or_interpretation_that_names_no_growth_is_none(result):
    assert code(card(result)) == NOT_MET


@pytest.mark.parametrize("lang, noted", [
    ("en", "2 cultures interpreted negative name a bacterium grown: not counted; check the results"),
    ("da", "2 dyrkninger tolket negative nævner vækst af en bakterie: medregnes ikke; tjek svarene"),
])
@pytest.mark.parametrize("result", [{"interpretation": [NEG], "note": [{"text": GREW}]},
                                    {"interpretation": [NEG], "valueString": GREW},
                                    {"interpretation": [{"text": "Negativ"}], "note": [{"text": GREW}]}],
                         ids=["coded-note", "coded-value", "in-words-note"])
def test_a_negative_interpretation_beside_a_growth_wins_and_is_named(result, lang, noted):
    found = card(result, lang)
    assert code(found) == NOT_MET
    assert noted in found["detail"], found["detail"]


def test_the_negative_interpretation_beside_a_growth_is_named_per_culture():
    answer = replay(RUNTIME, chart(CAR_T, pneumonia(1, "2025-12-01"),
                                   sputum(1, "2025-12-01", {"interpretation": [NEG], "note": [{"text": GREW}]})),
                    at=date(2026, 1, 10))
    [note] = [n for n in answer.notes if n.kind.startswith("culture-")]
    assert (note.kind, note.source, note.day) == ("culture-negative-names-growth", "Observation/sputum1",
                                                   date(2025, 12, 1))
    [shown] = replay(RUNTIME, chart(CAR_T, pneumonia(1, "2025-12-01"),
                                    sputum(1, "2025-12-01", {"interpretation": [NEG], "note": [{"text": GREW}]})),
                     at=date(2026, 1, 10)).cards
    assert "A culture (2025-12-01) is interpreted negative, but its result names a bacterium grown (“Vækst af " \
        "Streptococcus pneumoniae”): not counted; check the result" in shown["detail"], shown["detail"]


def test_a_positive_interpretation_beside_a_text_saying_nothing_grew_wins_and_is_named():
    found = card({"interpretation": [POS], "valueString": "Ingen vækst"})
    assert code(found) == MEETS
    assert "2 cultures interpreted positive say in their text that nothing grew: counted; check the results" \
        in found["detail"], found["detail"]


@pytest.mark.parametrize("result", [
    {"interpretation": [POS], "valueString": "Candida albicans"},
    {"interpretation": [POS], "valueString": "Candida albicans", "note": [{"text": "Tidligere vækst af Klebsiella"}]},
], ids=["yeast", "yeast-beside-an-earlier-finding-in-a-note"])
def test_a_positive_culture_that_grew_a_yeast_only_is_no_bacterial_growth(result):
    """The laboratory's positive is the yeast's: a note naming an earlier sample's bacterium made it a bacterial
    growth, and two pneumonias (J18.9) verified bacterial infections (§4.3)."""
    found = card(result)
    assert code(found) == NOT_MET, found["detail"]


@pytest.mark.parametrize("interpretation", ["Vækst af normal flora", "Påvist: se kommentar", "Positiv for normal flora"])
def test_a_positive_interpretation_in_words_that_says_more_is_not_read_as_positive(interpretation):
    """Before: "start-meets-general-criteria": the growth word of "Vækst af normal flora" read as the laboratory's
    positive, with no organism named a bacterial growth, and two pneumonias (J18.9) verified bacterial infections
    (§4.3). A positive in words is read only when the interpretation says nothing else ("Positiv", "Påvist")."""
    assert code(card({"interpretation": [{"text": interpretation}]})) == NOT_MET


@pytest.mark.parametrize("interpretation", ["Positiv", "POSITIV.", "Påvist", "Vækst"])
def test_a_positive_interpretation_in_words_alone_is_read(interpretation):
    assert code(card({"interpretation": [{"text": interpretation}]})) == MEETS
