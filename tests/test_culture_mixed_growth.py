"""A culture that grew a bacterium is bacterial evidence whatever grew beside it; a culture that says an organism did
not grow is no growth of it.

Guideline §4.3 counts verified bacterial infections. A pneumonia coded without its organism (J18.9) is verified by a
positive bacterial culture near its onset (clinical-rules §7). Danish laboratories report mixed growth in one text:
"E. coli og Candida albicans", "Vækst af Klebsiella pneumoniae samt Candida glabrata". Any fungal word used to win:
the culture read as not bacterial, and the card said "Ig start not recommended" on a patient whose blood grew E. coli.
The same held for a likely contaminant beside a pathogen ("S. epidermidis + E. coli": the E. coli counts) and for two
organisms coded as two codings of one value. A text that names an organism only to say it did not grow ("ingen vækst
af Candida", "Negativ for MRSA") must stay a culture that grew nothing.

Each case is read through the card a clinician sees: after the high-risk window, IgG 3.0 g/L, a pneumonia without
organism (J18.9) and a blood culture the same day, in English and Danish.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .test_culture_contaminant_by_name import CAR_T, PNEUMONIA, blood_culture
from .test_therapy_known_by_name import chart

RUNTIME = load_runtime(Settings())
SNOMED = "http://snomed.info/sct"
E_COLI = {"system": SNOMED, "code": "112283007", "display": "Escherichia coli"}
CANDIDA = {"system": SNOMED, "code": "53326005", "display": "Candida albicans"}
S_EPIDERMIDIS = {"system": SNOMED, "code": "60875001", "display": "Staphylococcus epidermidis"}
S_AUREUS = {"system": SNOMED, "code": "3092008", "display": "Staphylococcus aureus"}
PNEUMONIA_ICD10 = {**PNEUMONIA, "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J18.9",
                                                     "display": "Pneumonia, unspecified organism"}]}}
COUNTED = {"en": "(positive blood culture 2025-12-01)", "da": "(positiv bloddyrkning 2025-12-01)"}
NOT_COUNTED = {"en": "has no bacterial code or matching positive culture: not counted",
               "da": "har ingen bakteriel kode eller passende positiv dyrkning: medregnes ikke"}
CONTAMINANT = {"en": "grew normal flora or a likely contaminant", "da": "sandsynlig kontaminant"}


def card(grew: dict[str, Any], lang: str, pneumonia: dict[str, Any] = PNEUMONIA) -> dict[str, Any]:
    [found] = replay(RUNTIME, chart(CAR_T, pneumonia, blood_culture(grew)), at=date(2026, 1, 10), lang=lang).cards
    return found  # type: ignore[no-any-return]


def components(*codings: dict[str, str]) -> dict[str, Any]:
    return {"component": [{"code": {"text": "Organism"}, "valueCodeableConcept": {"coding": [c]}} for c in codings]}


MIXED_TEXT = ["E. coli og Candida albicans", "Vækst af Klebsiella pneumoniae samt Candida glabrata",
              "Escherichia coli and Candida albicans", "Candida albicans, Pseudomonas aeruginosa",
              "Gærsvampe og gramnegative stave", "Staphylococcus epidermidis og Escherichia coli",
              "S. epidermidis + E. coli", "Koagulase negative stafylokokker samt Staphylococcus aureus",
              "Vækst af E. coli. Ingen vækst af Candida."]
MIXED_CODED = {
    "two codings": {"valueCodeableConcept": {"coding": [CANDIDA, E_COLI]}},
    "contaminant and pathogen codings": {"valueCodeableConcept": {"coding": [S_EPIDERMIDIS, E_COLI]}},
    "two components": components(CANDIDA, E_COLI),
    "contaminant and pathogen components": components(S_EPIDERMIDIS, E_COLI),
    "coded fungus, text names the bacterium too": {"valueCodeableConcept": {"coding": [CANDIDA],
                                                                           "text": "Candida albicans og E. coli"}},
}


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("text", MIXED_TEXT)
def test_a_bacterium_grown_with_a_fungus_or_a_contaminant_verifies_the_infection(text: str, lang: str) -> None:
    """Before: no-start-without-infections ("Pneumoni UNS ... has no bacterial code or positive culture")."""
    found = card({"valueString": text}, lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert COUNTED[lang] in found["detail"]
    assert CONTAMINANT[lang] not in found["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("grew", MIXED_CODED.values(), ids=MIXED_CODED.keys())
def test_a_bacterium_coded_beside_another_organism_verifies_the_infection(grew: dict[str, Any], lang: str) -> None:
    """Before, for two codings of one value: the first coding alone decided (Candida: not bacterial)."""
    found = card(grew, lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert COUNTED[lang] in found["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_icd10_pneumonia_is_verified_by_a_mixed_culture_too(lang: str) -> None:
    found = card({"valueString": "E. coli og Candida albicans"}, lang, PNEUMONIA_ICD10)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("grew", [
    {"valueString": "Ingen vækst af Candida"}, {"valueString": "no growth of Staphylococcus aureus"},
    {"valueString": "Negativ for MRSA"}, {"valueString": "MRSA ikke påvist"},
    {"valueString": "Ingen vækst af Escherichia coli eller Candida albicans"},
    {"valueString": "Ingen vækst efter 5 døgn. Kontrolleret af Klinisk Mikrobiologi"},
    {"valueString": "Ingen vækst af S. Aureus"},
    {"valueCodeableConcept": {"coding": [S_AUREUS], "text": "No growth of Staphylococcus aureus"}},
], ids=lambda grew: str(grew.get("valueString") or grew["valueCodeableConcept"]["text"]))
def test_an_organism_named_as_not_grown_is_no_growth(grew: dict[str, Any], lang: str) -> None:
    found = card(grew, lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_COUNTED[lang] in found["detail"]
    assert CONTAMINANT[lang] not in found["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize(("text", "contaminant"), [
    ("Staphylococcus epidermidis og Candida albicans", True), ("Candida glabrata", False),
    ("Vækst af Candida albicans. Ingen vækst af E. coli.", False), ("Staphylococcus coagulase negative", True),
    ("Grampositive kokker i hobe, koagulase negative stafylokokker", True), ("KNS (stafylokokker)", True)])
def test_a_contaminant_or_a_fungus_without_a_pathogen_still_verifies_nothing(text: str, contaminant: bool,
                                                                             lang: str) -> None:
    """A Gram stain beside a contaminant's name describes that organism: it adds no pathogen."""
    found = card({"valueString": text}, lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert (CONTAMINANT[lang] in found["detail"]) == contaminant


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("text", ["Escherichia coli, ESBL-negativ", "Gram-negative rods, oxidase-negative",
                                  "Staphylococcus aureus (MRSA-negativ)", "Enterococcus faecium, vancomycin-negativ",
                                  "Klebsiella pneumoniae\nESBL-negativ", "E. coli, MRSA-negativ"])
def test_a_test_result_joined_by_a_hyphen_is_no_statement_that_nothing_grew(text: str, lang: str) -> None:
    """'ESBL-negativ', 'oxidase-negative' say what a test found in the organism that grew, not that nothing grew.
    Before: the whole statement read as no growth, and the card said 'Ig start not recommended' on a pneumonia whose
    blood culture grew E. coli (release 1.1 read it as a growth)."""
    found = card({"valueString": text}, lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert COUNTED[lang] in found["detail"]


@pytest.mark.parametrize("text", ["MRSA-negativ", "Candida-negativ", "Negativ for MRSA"])
def test_an_organism_joined_to_a_no_growth_word_did_not_grow(text: str) -> None:
    found = card({"valueString": text}, "da")
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_COUNTED["da"] in found["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("text", ["Gramnegative stave og koagulase negative stafylokokker",
                                  "Gram-negative rods; Staphylococcus epidermidis", "Gram negative rods, Micrococcus"])
def test_gram_negative_rods_beside_a_gram_positive_contaminant_are_a_second_organism(text: str, lang: str) -> None:
    """Coagulase-negative staphylococci, Micrococcus, Corynebacterium ... are Gram-positive: Gram-negative rods beside
    them are another bacterium, and count. Before: the contaminant was taken for the organism the stain saw, and the
    card said 'Ig start not recommended'."""
    found = card({"valueString": text}, lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert COUNTED[lang] in found["detail"]


@pytest.mark.parametrize("text", ["Grampositive stave, Corynebacterium striatum", "Gramnegative stave. Blandet hudflora"])
def test_a_stain_that_may_be_the_contaminant_beside_it_still_counts_for_nothing(text: str) -> None:
    """Gram-positive rods and Corynebacterium are one organism; mixed skin flora may hold Gram-negative bacteria."""
    found = card({"valueString": text}, "en")
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert CONTAMINANT["en"] in found["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize(("text", "contaminant"), [("Steril", False), ("Sterile", False),
                                                   ("Prøven er kontamineret", True), ("Mulig kontamination", True)])
def test_a_sterile_or_a_contaminated_culture_verifies_nothing(text: str, contaminant: bool, lang: str) -> None:
    """Before: 'Steril' (nothing grew) and 'Prøven er kontamineret' read as a growth of an organism no list knows, so
    a bacterial culture's growth, and the card said the general start criteria were met."""
    found = card({"valueString": text}, lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert (CONTAMINANT[lang] in found["detail"]) == contaminant
