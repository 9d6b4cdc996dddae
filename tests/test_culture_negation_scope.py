"""How far a negation in a culture's text reaches: the organism right before it, or the whole list after it.

Danish laboratories report a culture as text when it is not coded ("Vækst af E. coli, Candida ikke påvist"). Whether
the culture grew a bacterium decides whether an infection beside it is a verified bacterial infection (guideline
§4.3; clinical-rules §7). Any no-growth word used to negate its whole statement: "Vækst af E. coli, Candida ikke
påvist" and "E. coli, ESBL negativ" read as no growth, so two E. coli bacteraemias after the high-risk window made
the card say "Ig start not recommended" where the general start criteria were met. The grammar
(`cds_service/fhir/culture_text.py`, `growth_in`): a no-growth phrase BEFORE names negates the whole list up to the
statement's end; one AFTER a name negates that name (and a list it ends: "E. coli og Klebsiella ikke påvist"); a
marker's result (ESBL, VRE, MRSA, oxidase) never negates the organism; where the text is ambiguous, the organisms are
kept only when the laboratory says they grew ("Vækst af", "Growth of", "isoleret", "påvist").

The table gives the verdict read from one blood culture: 'bacterial', 'contaminant' (a likely contaminant only),
'other' (a yeast or mould only) or 'none' (no growth); the third column is the verdict before this grammar, so the
rows where the two differ are the ones it changes.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cds_service.fhir.facts import FactBuilder
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .test_culture_contaminant_by_name import CAR_T, PNEUMONIA, blood_culture
from .test_therapy_known_by_name import chart

RUNTIME = load_runtime(Settings())
SNOMED = "http://snomed.info/sct"
E_COLI = {"system": SNOMED, "code": "112283007", "display": "Escherichia coli"}
S_AUREUS = {"system": SNOMED, "code": "3092008", "display": "Staphylococcus aureus"}

# (text, verdict, verdict before): Danish and English, capitals, æøå, commas, brackets, semicolons, lines.
PHRASINGS = [
    # a negation after a name negates that name only: what the laboratory says grew, grew
    ("Vækst af E. coli, Candida ikke påvist", "bacterial", "none"),
    ("VÆKST AF E. COLI, CANDIDA IKKE PÅVIST", "bacterial", "none"),
    ("Vækst af E. coli (Candida ikke påvist)", "bacterial", "none"),
    ("Growth of Pseudomonas aeruginosa, Candida not detected", "bacterial", "none"),
    ("E. coli påvist, Candida ikke påvist", "bacterial", "none"),
    ("Escherichia coli isoleret, Candida ikke påvist", "bacterial", "none"),
    ("Vækst af Staphylococcus epidermidis, E. coli ikke påvist", "contaminant", "none"),
    ("Vækst af koagulase negative stafylokokker, Candida ikke påvist", "contaminant", "none"),
    ("Vækst af Candida albicans, E. coli ikke påvist", "other", "none"),
    ("Vækst af Escherichia coli; Candida albicans ikke påvist", "bacterial", "bacterial"),
    # a marker's result is about the marker, never the organism
    ("E. coli, ESBL negativ", "bacterial", "none"),
    ("Klebsiella pneumoniae, ESBL negativ", "bacterial", "none"),
    ("Escherichia coli negativ for ESBL", "bacterial", "none"),
    ("Staphylococcus aureus, MRSA ikke påvist", "bacterial", "none"),
    ("Staphylococcus aureus isolated, MRSA not detected", "bacterial", "none"),
    ("Sparsom vækst af Klebsiella pneumoniae, MRSA negativ", "bacterial", "none"),
    ("Vækst af Enterococcus faecium, VRE negativ", "bacterial", "none"),
    ("Enterococcus faecium, vancomycin negativ", "bacterial", "none"),
    ("Gramnegative stave, oxidase negativ", "bacterial", "none"),
    ("Staphylococcus aureus. MRSA ikke påvist", "bacterial", "bacterial"),
    ("Staphylococcus aureus (MRSA-negativ)", "bacterial", "bacterial"),
    ("Pseudomonas aeruginosa; oxidase positiv", "bacterial", "bacterial"),
    ("Gram-negative rods, oxidase-negative", "bacterial", "bacterial"),
    ("Klebsiella pneumoniae\nESBL negativ", "bacterial", "bacterial"),
    ("Achromobacter xylosoxidans, urease-negativ", "bacterial", "bacterial"),
    ("Vækst af MRSA", "bacterial", "bacterial"),
    # a no-growth phrase reaches only the names after it; a growth word ends it
    ("Ingen vækst af Candida, vækst af E. coli", "bacterial", "none"),
    ("Vækst af E. coli, ellers ingen vækst", "bacterial", "none"),
    ("Growth of E. coli, otherwise no growth", "bacterial", "none"),
    ("Ingen vækst af patogene bakterier, vækst af blandet hudflora", "contaminant", "none"),
    ("Ingen vækst af anaerobe bakterier. Vækst af E. coli", "bacterial", "bacterial"),
    ("Growth of E. coli; no Salmonella, Shigella or Campylobacter isolated", "bacterial", "bacterial"),
    ("Negative for MRSA. Growth of Streptococcus pneumoniae", "bacterial", "bacterial"),
    ("No growth of pathogens. Growth of mixed skin flora", "contaminant", "contaminant"),
    ("Vækst af Candida glabrata. Ingen vækst af E. coli.", "other", "other"),
    # true negatives stay negative: a list after a no-growth phrase, a list before a negation, nothing named
    ("Ingen vækst af E. coli, Klebsiella eller Candida", "none", "none"),
    ("No growth of S. aureus, E. coli or Pseudomonas", "none", "none"),
    ("Ikke påvist: E. coli, Klebsiella", "none", "none"),
    ("Ingen vækst af Escherichia coli eller Candida albicans", "none", "none"),
    ("Negativ for MRSA, VRE og CPO", "none", "none"),
    ("Ingen signifikant vækst af E. coli", "none", "none"),
    ("E. coli og Klebsiella ikke påvist", "none", "none"),
    ("Vækst af E. coli, Klebsiella og Candida ikke påvist", "none", "none"),
    ("MRSA og VRE ikke påvist", "none", "none"),
    ("Negativ", "none", "none"),
    ("Ingen vækst efter 5 døgn", "none", "none"),
    ("No growth after 48 hours", "none", "none"),
    ("Steril", "none", "none"),
    ("MRSA-screening: negativ", "none", "none"),
    ("ESBL negativ", "none", "none"),
    # ambiguous, and no organism said to have grown: kept as no growth (a list of organisms not found)
    ("E. coli, Candida ikke påvist", "none", "none"),
    ("Staphylococcus epidermidis, Candida ikke påvist", "none", "none"),
    # no-growth words the lists did not know, and a marker's result alone, which names nothing grown
    ("Salmonella not isolated", "none", "bacterial"),
    ("Candida ej påvist", "none", "other"),
    ("E. coli påvises ikke", "none", "bacterial"),
    ("Candida albicans isolated; Staphylococcus aureus not isolated", "other", "bacterial"),
    ("ESBL-negativ", "none", "bacterial"),
]


def verdict(**value: Any) -> str:
    """What one blood culture grew, as the reader sees it: 'bacterial', 'contaminant', 'other' or 'none'."""
    culture = {**blood_culture(value), "subject": {"reference": "Patient/p"}}
    facts = FactBuilder(RUNTIME.terminology, ZoneInfo("Europe/Copenhagen")).build([culture]).facts
    [read] = facts.cultures
    if not read.positive:
        return "none"
    if read.bacterial:
        return "bacterial"
    return "contaminant" if any(n.kind == "culture-contaminant" for n in facts.notes) else "other"


def test_the_table_is_long_and_changes_what_it_says() -> None:
    assert len(PHRASINGS) >= 40 and len({text for text, _, _ in PHRASINGS}) == len(PHRASINGS)
    assert sum(1 for _, now, before in PHRASINGS if now != before) >= 20


@pytest.mark.parametrize(("text", "expected", "before"), PHRASINGS, ids=[p[0] for p in PHRASINGS])
def test_a_culture_text_is_read_with_its_negations_scope(text: str, expected: str, before: str) -> None:
    assert verdict(valueString=text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Vækst af E. coli, Candida ikke påvist", "bacterial"), ("Ingen vækst af E. coli, Klebsiella eller Candida", "none")])
def test_the_text_of_a_coded_value_is_read_the_same(text: str, expected: str) -> None:
    assert verdict(valueCodeableConcept={"text": text}) == expected


@pytest.mark.parametrize(("coding", "text", "expected"), [
    (E_COLI, "E. coli, ESBL negativ", "bacterial"), (E_COLI, "Escherichia coli, Candida ikke påvist", "bacterial"),
    (S_AUREUS, "Staphylococcus aureus, MRSA ikke påvist", "bacterial"), (S_AUREUS, "No growth of S. aureus", "none")])
def test_a_coded_organism_counts_unless_its_own_text_says_it_did_not_grow(coding: dict[str, str], text: str,
                                                                        expected: str) -> None:
    """Before, 'E. coli, ESBL negativ' or 'Escherichia coli, Candida ikke påvist' as the text of a coded E. coli dropped
    the E. coli: no growth. The code is the laboratory saying which organism grew, so the ambiguous text does not
    undo it (its display is read after the text)."""
    assert verdict(valueCodeableConcept={"coding": [coding], "text": text}) == expected


# -- what a clinician sees: after the high-risk window, IgG 3.0 g/L, pneumonias without organism (J18.9) each beside a
# blood culture the same day
def episodes(text: str, *days: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for n, day in enumerate(days):
        found.append({**PNEUMONIA, "id": f"pneu{n}", "onsetDateTime": day, "code": {"coding": [
            {"system": "http://hl7.org/fhir/sid/icd-10", "code": "J18.9", "display": "Pneumonia, unspecified organism"}]}})
        found.append({**blood_culture({"valueString": text}), "id": f"bc{n}", "effectiveDateTime": day})
    return found


def card(text: str, lang: str, *days: str) -> dict[str, Any]:
    [found] = replay(RUNTIME, chart(CAR_T, *episodes(text, *days)), at=date(2026, 1, 10), lang=lang).cards
    return found  # type: ignore[no-any-return]


MET = {"en": ("with severe/recurrent bacterial infections: Ig may be started (general criteria)",
              "Severe bacterial infections 2025-10-01, 2025-12-01: pneumonia (2 episodes)"),
       "da": ("og svære/tilbagevendende bakterielle infektioner: Ig kan startes (generelle kriterier)",
              "Svære bakterielle infektioner 2025-10-01, 2025-12-01: pneumoni (2 episoder)")}
NOT_MET = {"en": "no severe/recurrent verified bacterial infection: Ig start not recommended",
           "da": "Ig-start frarådes"}


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_e_coli_bacteraemias_with_candida_not_found_meet_the_general_criteria(lang: str) -> None:
    """CAR-T on 2025-03-03, so after the window on 2026-01-10: two pneumonias, each with a blood culture "Vækst af
    E. coli, Candida ikke påvist". Before: 'IgG 3.0 g/L < 4 g/L (2026-01-05), no severe/recurrent verified bacterial
    infection: Ig start not recommended' (no-start-without-infections)."""
    found = card("Vækst af E. coli, Candida ikke påvist", lang, "2025-10-01", "2025-12-01")
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    summary, episodes_line = MET[lang]
    assert summary in found["summary"] and episodes_line in found["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("text", ["Klebsiella pneumoniae, ESBL negativ", "Vækst af Enterococcus faecium, VRE negativ"])
def test_a_bacteraemia_with_a_negative_marker_meets_the_general_criteria(text: str, lang: str) -> None:
    """Before: no-start-without-infections, the marker's 'negativ' read as the culture's."""
    found = card(text, lang, "2025-12-01")
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("text", ["Ingen vækst af E. coli, Klebsiella eller Candida", "E. coli, Candida ikke påvist",
                                  "No growth of S. aureus, E. coli or Pseudomonas"])
def test_cultures_that_grew_nothing_still_verify_nothing(text: str, lang: str) -> None:
    found = card(text, lang, "2025-10-01", "2025-12-01")
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]
