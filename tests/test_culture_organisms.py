"""A positive culture is bacterial evidence only when it grew a bacterium that is not a likely contaminant.

Clinical rules §7: a pneumonia coded without its organism (J18.x) counts as a verified
bacterial infection when a positive *bacterial* culture lies within 7 days of its onset. A
blood culture that grew a yeast (written "Yeast", or under the new names of Candida species)
or a skin commensal from one set (Corynebacterium, Cutibacterium) is no such evidence: the
card must not say "general start criteria met" on it.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)
FIXTURE = "pneumonia-unspecified-positive-blood-culture-general-criteria-met"


def _with_culture_text(text: str) -> dict:
    """The shipped patient (J18.9 pneumonia, blood culture the next day, IgG 3.5) with the culture's organism as text."""
    bundle = json.loads((FIXTURES / f"{FIXTURE}.json").read_text())
    culture = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "obs-bloodculture-0053")
    culture.pop("valueCodeableConcept")
    culture["valueString"] = text
    return bundle


@pytest.mark.parametrize("text", ["Yeast isolated", "Nakaseomyces glabratus", "Pichia kudriavzevii",
                                  "Fusarium solani"])
def test_a_blood_culture_that_grew_a_yeast_or_mould_is_no_bacterial_evidence(text: str) -> None:
    answered = replay(RUNTIME, _with_culture_text(text), at=AT)
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]
    assert "Pneumoni UNS" in answered.cards[0]["detail"]  # the pneumonia is named as not counted
    assert "positive blood culture" not in answered.cards[0]["detail"]


@pytest.mark.parametrize("text", ["Corynebacterium striatum", "Cutibacterium acnes", "Propionibacterium acnes",
                                  "Difteroide stave", "Bacillus species", "Blandet hudflora"])
def test_a_blood_culture_that_grew_a_skin_commensal_is_named_as_a_likely_contaminant(text: str) -> None:
    answered = replay(RUNTIME, _with_culture_text(text), at=AT)
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]
    assert [n.kind for n in answered.notes if n.source == "Observation/obs-bloodculture-0053"] == ["culture-contaminant"]
    assert "likely contaminant" in answered.cards[0]["detail"]
    danish = replay(RUNTIME, _with_culture_text(text), at=AT, lang="da")
    assert "sandsynlig kontaminant" in danish.cards[0]["detail"]


@pytest.mark.parametrize("text", ["Escherichia coli", "Klebsiella pneumoniae", "Gram-negative bacillus",
                                  "Staphylococcus aureus"])
def test_a_blood_culture_that_grew_a_pathogen_still_counts(text: str) -> None:
    answered = replay(RUNTIME, _with_culture_text(text), at=AT)
    assert [a.code for a in answered.advice] == ["start-meets-general-criteria"]
    assert "positive blood culture 2026-01-06" in answered.cards[0]["detail"]
