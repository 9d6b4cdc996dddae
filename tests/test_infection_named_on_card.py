"""A card names what each counted infection was ("sepsis", "pneumonia"), from its code's value-set entry, beside
its date: "Severe bacterial infection 2026-05-20" alone did not tell a clinician which infection the decision rests
on. A generic code (A49.9) adds no word: the card never guesses."""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path

import pytest

from cds_service.cards.language import INFECTION_NAME
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
VALUESETS = Path(__file__).resolve().parent.parent / "cql_like_rules" / "valuesets"
SEPSIS = "sepsis-icd10-without-dot-after-window-general-criteria-met"  # sepsis 2026-05-20, IgG 3.4, after the window
AT = date(2026, 6, 15)


def _chart(*extra: tuple[str, dict]) -> dict:
    """The sepsis chart with its sepsis recoded (`extra[0]`) and further diagnoses (onset, coding) added."""
    bundle = json.loads((FIXTURES / f"{SEPSIS}.json").read_text())
    [sepsis] = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"
                and e["resource"]["code"]["coding"][0]["code"] == "A419"]
    for n, (onset, coding) in enumerate(extra):
        entry = copy.deepcopy(sepsis)
        entry["resource"]["id"] = f"{sepsis['resource']['id']}-x{n}"
        entry["resource"]["onsetDateTime"] = onset
        entry["resource"]["code"] = {"coding": [coding]}
        entry.pop("fullUrl", None)
        bundle["entry"].append(entry)
    return bundle


def _recoded(bundle: dict, coding: dict) -> dict:
    """The chart's sepsis (2026-05-20) coded as `coding` instead."""
    [sepsis] = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Condition"
                and e["resource"]["code"]["coding"][0]["code"] == "A419"]
    sepsis["resource"]["code"] = {"coding": [coding]}
    return bundle


def _fact(bundle: dict, lang: str) -> str:
    [card] = replay(RUNTIME, bundle, lang=lang, at=AT).cards
    assert card["source"]["topic"]["code"] == "start-meets-general-criteria", card["summary"]
    lines = [line for line in card["detail"].splitlines() if line.startswith("- ") and ("bakteriel" in line or "bacterial" in line)]
    assert len(lines) == 1 and len(card["detail"]) <= 700, card["detail"]
    return lines[0]


ICD10 = "http://hl7.org/fhir/sid/icd-10"


@pytest.mark.parametrize("lang, line", [
    ("en", "- Severe bacterial infection 2026-05-20: sepsis"),
    ("da", "- Svær bakteriel infektion 2026-05-20: sepsis"),
])
def test_one_sepsis_is_named(lang, line):
    assert _fact(_chart(), lang) == line


@pytest.mark.parametrize("coding, en, da", [
    ({"system": ICD10, "code": "R57.2"}, "septic shock", "septisk shock"),
    ({"system": ICD10, "code": "G00.1"}, "meningitis", "meningitis"),
    ({"system": "http://snomed.info/sct", "code": "5758002"}, "bacteraemia", "bakteriæmi"),
    ({"system": "http://snomed.info/sct", "code": "448417001"}, "sepsis", "sepsis"),  # from the SNOMED expansion
])
def test_a_severe_code_is_named_by_what_it_is(coding, en, da):
    bundle = _recoded(_chart(), coding)
    assert _fact(bundle, "en") == f"- Severe bacterial infection 2026-05-20: {en}"
    assert _fact(bundle, "da") == f"- Svær bakteriel infektion 2026-05-20: {da}"


def test_different_infections_are_named_each_with_its_date():
    # Two bacterial pneumonias (J15.9), a bacterial infection of other site (A49.8, generic) and the sepsis, months
    # apart: each of the three episodes shown named with its date; the generic one adds nothing.
    bundle = _chart(("2025-09-01", {"system": ICD10, "code": "J15.9"}), ("2025-12-01", {"system": ICD10, "code": "J15.9"}),
                    ("2026-02-01", {"system": ICD10, "code": "A49.8"}))
    line = _fact(bundle, "en")
    # names that differ go with their dates: one list "pneumonia, sepsis" after three dates read as three of either
    assert line.startswith("- Severe bacterial infection 2026-05-20 among the episodes 2025-12-01 pneumonia, "
                           "2026-02-01, 2026-05-20 sepsis (the latest 3 of 4 episodes)"), line


def test_a_generic_bacterial_code_adds_no_word():
    # The sepsis recoded as A49.9 (bacterial infection, unspecified): not severe by its code, one infection; the
    # chart then has no severe or recurrent infection, so add a second one 2 months before, also generic.
    bundle = _recoded(_chart(("2026-01-10", {"system": ICD10, "code": "A49.9"})), {"system": ICD10, "code": "A49.9"})
    line = _fact(bundle, "en")
    assert line == "- Recurrent bacterial infections 2026-01-10, 2026-05-20 (2 episodes)", line


def test_every_name_in_the_value_sets_has_words_in_both_languages():
    names = set()
    for file in ("bacterial-infection", "infection-other"):
        data = json.loads((VALUESETS / f"{file}.json").read_text())
        for entry in data["include"]:
            concepts = [entry, *(entry.get("expansion") or {}).get("contains", [])]
            names |= {c["card_name"] for c in concepts if "card_name" in c}
    assert names and names <= set(INFECTION_NAME), names - set(INFECTION_NAME)
    assert all(text.en and text.da for text in INFECTION_NAME.values())


@pytest.mark.parametrize("lang, summary", [
    ("en", "Severe/recurrent bacterial infection, no usable IgG in 90 days"),
    ("da", "Svær/tilbagevendende bakteriel infektion, ingen brugbar IgG i 90 dage"),
])
def test_one_sepsis_is_not_called_infections_in_the_summary(lang, summary):
    # After the window, one sepsis (2026-01-04) and an IgG 200 days old: the summary named the criterion in the
    # plural, as if several infections had been recorded.
    bundle = json.loads((FIXTURES / "cart-after-window-sepsis-igg-200-days-old.json").read_text())
    [card] = replay(RUNTIME, bundle, lang=lang, at=date(2026, 2, 9)).cards
    assert card["summary"].startswith(summary), card["summary"]
    assert "- " + ("Severe bacterial infection 2026-01-04: sepsis" if lang == "en"
                   else "Svær bakteriel infektion 2026-01-04: sepsis") in card["detail"], card["detail"]
