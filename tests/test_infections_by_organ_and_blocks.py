"""Bacterial infections coded the way a Danish hospital codes them, beyond sepsis, meningitis and pneumonia.

After the window, IgG 3.0 g/L and two episodes of erysipelas (SKS DA46) or staphylococcal arthritis (DM000) got "no
severe/recurrent verified bacterial infection: Ig start not recommended", with not a word about them, while the same
infections coded in SNOMED CT (under << 87628006 |Bacterial infectious disease|) counted. ICD-10's codes that are
bacterial by definition and infections of the kind the general criteria mean (enteric, zoonotic, streptococcal and
staphylococcal, respiratory, skin and joint: not tuberculosis, sexually transmitted or vector-borne infections, nor
C. difficile), pyogenic arthritis M00, bacterial bronchitis J20.0-J20.2,
streptococcal throat J02.0/J03.0, impetigo L01, bacterial meningoencephalitis G04.2) now count as SNOMED's do. Those
that name no organism (infective endocarditis I33.0, peritonitis K65.0, pyelonephritis N10, cellulitis L03, abscesses,
osteomyelitis M86, an infected vascular device T82.7) count, as an unspecified pneumonia does, with a positive culture
near their onset, and are named as not counted without one (clinical rules §7: seen and not counted is named).
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import SKS_D, car_t, chart, culture, igg, infection

SNOMED = "http://snomed.info/sct"

RUNTIME = load_runtime(Settings())
AT = date(2026, 5, 20)  # T0 2025-06-02: the window ended 2025-12-02


def _card(*infections: dict, lang: str = "en") -> dict:
    bundle = chart(car_t("2025-06-02"), igg("2026-05-12", 3.0), *infections)
    [card] = replay(RUNTIME, bundle, at=AT, lang=lang).cards
    return card


def _code(card: dict) -> str:
    return str(card["source"]["topic"]["code"])


@pytest.mark.parametrize("code, named, named_da", [
    ("DA46", "erysipelas", "rosen"),
    ("DM000", "septic arthritis", "septisk artritis"),
    ("DA045", "", ""),  # Campylobacter enteritis: bacterial, no name of its own on the card
    ("DJ201", "respiratory tract infection", "luftvejsinfektion"),
])
def test_two_episodes_coded_bacterial_by_definition_meet_the_general_criteria(code: str, named: str,
                                                                             named_da: str) -> None:
    episodes = (infection("2026-02-01", code), infection("2026-04-15", code))
    card = _card(*episodes)
    assert _code(card) == "start-meets-general-criteria", card["summary"]
    assert "Recurrent bacterial infections 2026-02-01, 2026-04-15" in card["detail"]
    assert f"2026-04-15: {named} (2 episodes)" in card["detail"] if named else "2026-04-15 (2 episodes)" in card["detail"]
    if named_da:
        assert f": {named_da} (2 episoder)" in _card(*episodes, lang="da")["detail"]


@pytest.mark.parametrize("code", [
    "DA160",  # lung tuberculosis, bacteriologically and histologically negative: by definition not verified
    "DA150", "DA310",  # tuberculosis, other mycobacteria: no infection immunoglobulin substitution answers
    "DA540", "DA560",  # gonococcal, chlamydial: sexually transmitted
    "DA692", "DA78",  # Lyme disease, Q fever: vector-borne, rickettsial
    "DA047",  # Clostridioides difficile enterocolitis: antibiotic-associated; its relapses would read as recurrence
])
def test_bacterial_infections_the_general_criteria_do_not_mean_are_not_counted_and_are_named(code: str) -> None:
    card = _card(infection("2026-02-01", code), infection("2026-04-15", code))
    assert _code(card) == "no-start-without-infections", card["summary"]
    # seen and not counted is named (clinical rules §7), as bacterial: the clinician judges it
    assert ("2 bacterial infections of kinds not counted (such as tuberculosis or C. difficile): judge them "
            "yourself") in card["detail"]
    danish = _card(infection("2026-02-01", code), infection("2026-04-15", code), lang="da")
    assert "2 bakterielle infektioner af arter, der ikke medregnes" in danish["detail"]


def test_one_such_infection_is_named_with_its_day() -> None:
    card = _card(infection("2026-04-15", "DA150"))
    assert _code(card) == "no-start-without-infections"
    assert "Infection DA150 (2026-04-15) is bacterial, of a kind not counted" in card["detail"]


@pytest.mark.parametrize("icd10, snomed", [("DA047", "186431008"), ("DA150", "56717001"), ("DA51", "76272004")])
def test_such_an_infection_coded_in_snomed_ct_is_read_as_its_icd10_code_is(icd10: str, snomed: str) -> None:
    """C. difficile infection (186431008) counted as a bacterial infection while DA047 did not: one infection, two
    answers by the way it was coded. Both are named and not counted now."""
    for code, system in ((icd10, SKS_D), (snomed, SNOMED)):
        card = _card(infection("2026-02-01", code, system), infection("2026-04-15", code, system))
        assert _code(card) == "no-start-without-infections", (code, card["summary"])
        assert "2 bacterial infections of kinds not counted" in card["detail"], code


def test_a_bacterial_code_beside_one_of_those_counts_and_is_not_called_viral() -> None:
    both = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A46"},
                       {"system": "http://hl7.org/fhir/sid/icd-10", "code": "A15.0"}], "text": "Rosen"}
    episodes = [infection(onset, "DA46") for onset in ("2026-02-01", "2026-04-15")]
    for episode in episodes:
        episode["code"] = both
    card = _card(*episodes)
    assert _code(card) == "start-meets-general-criteria", card["summary"]
    assert "viral or fungal" not in card["detail"]


def test_one_episode_is_not_severe_by_its_code_but_salmonella_sepsis_still_is() -> None:
    assert _code(_card(infection("2026-04-15", "DA020"))) == "no-start-without-infections"  # salmonella enteritis
    assert _code(_card(infection("2026-04-15", "DA021"))) == "start-meets-general-criteria"  # salmonella sepsis


@pytest.mark.parametrize("code", ["DI330", "DK650", "DN10", "DL031", "DM860", "DT827"])
def test_an_infection_that_names_no_organism_is_named_not_counted_without_a_culture(code: str) -> None:
    card = _card(infection("2026-02-01", code), infection("2026-04-15", code))
    assert _code(card) == "no-start-without-infections", card["summary"]
    assert "2 infections without a bacterial code or matching positive culture were not counted" in card["detail"]


def test_endocarditis_with_a_positive_blood_culture_at_its_onset_counts() -> None:
    card = _card(infection("2026-02-01", "DI330"), culture("2026-02-01", "Staphylococcus aureus påvist"),
                 infection("2026-04-15", "DI330"), culture("2026-04-16", "Staphylococcus aureus påvist"))
    assert _code(card) == "start-meets-general-criteria", card["summary"]
    assert "endocarditis (2 episodes)" in card["detail"]


def test_a_pneumonia_coded_below_snomed_pneumonia_is_one_coded_without_its_organism() -> None:
    """Clinical rules §7: a SNOMED CT entry matches every descendant. A ventilator-acquired pneumonia (429271009, below
    233604007 |Pneumonia|) with a positive culture two days later was read as no infection at all."""
    vap = infection("2025-12-01", "429271009", SNOMED, severe=True)
    card = _card(vap, culture("2025-12-03", "Pseudomonas aeruginosa påvist"))
    assert _code(card) == "start-meets-general-criteria", card["summary"]
    assert "Severe bacterial infection 2025-12-01: pneumonia" in card["detail"]
    alone = _card(infection("2025-12-01", "429271009", SNOMED, severe=True))
    assert _code(alone) == "no-start-without-infections"
    assert "Infection 429271009 (2025-12-01) has no bacterial code or matching positive culture" in alone["detail"]
    viral = _card(infection("2025-12-01", "75570004", SNOMED, severe=True), culture("2025-12-03", "Pseudomonas aeruginosa påvist"))
    assert _code(viral) == "no-start-without-infections"  # a viral pneumonia stays one, culture or not


def test_a_salmonella_bacteraemia_coded_in_snomed_ct_is_severe() -> None:
    """a49: 440219001 |Bacteremia caused by Salmonella| was outside the shipped expansion of << 87628006: the card
    said it could change the decision, where one episode of it is a severe verified bacterial infection."""
    card = _card(infection("2025-12-20", "440219001", SNOMED))
    assert _code(card) == "start-meets-general-criteria", card["summary"]
    assert "Severe bacterial infection 2025-12-20: bacteraemia" in card["detail"]
