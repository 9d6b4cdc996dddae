"""A likely contaminant in two separate blood-culture sets is a growth; in one set, or twice in one sample, it is not.

docs/clinical-logic.md calls a skin commensal "from one culture" a likely contaminant, and the organism value set
says these organisms "need a second positive set"; yet coagulase-negative staphylococci in two separate sets beside a
pneumonia coded without its organism (J18.9) read "2 cultures grew likely contaminants: not counted". The rule now
counts the same organism in separate sets drawn on the same or consecutive days ([policy] `contaminant_separate_sets_days`),
and the card says so.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cds_service.runtime import Runtime, load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .test_culture_contaminant_by_name import CAR_T, PNEUMONIA, RUNTIME, blood_culture
from .test_therapy_known_by_name import chart

CONS = {"valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "116197008",
                                             "display": "Coagulase-negative Staphylococcus"}]}}


def culture(rid: str, day: str = "2025-12-01", **extra: Any) -> dict[str, Any]:
    return {**blood_culture(CONS), "id": rid, "effectiveDateTime": day, **extra}


def card(*cultures: dict[str, Any], lang: str = "en", runtime: Runtime = RUNTIME) -> dict[str, Any]:
    [found] = replay(runtime, chart(CAR_T, PNEUMONIA, *cultures), at=date(2026, 1, 10), lang=lang).cards
    return found  # type: ignore[no-any-return]


@pytest.mark.parametrize("lang, words", [
    ("en", "Severe bacterial infection 2025-12-01: pneumonia (the same likely contaminant in 2 separate blood culture sets "
           "2025-12-01)"),
    ("da", "Svær bakteriel infektion 2025-12-01: pneumoni (samme sandsynlige kontaminant i 2 separate bloddyrkningssæt "
           "2025-12-01)")])
def test_the_same_contaminant_in_two_sets_verifies_the_infection_and_the_card_says_so(lang, words):
    found = card(culture("bc1"), culture("bc2"), lang=lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert words in found["detail"] and "contaminant: not counted" not in found["detail"]


def test_sets_on_consecutive_days_count_and_two_days_apart_do_not():
    assert card(culture("bc1"), culture("bc2", "2025-12-02"))["source"]["topic"]["code"] == \
        "start-meets-general-criteria"
    found = card(culture("bc1"), culture("bc2", "2025-12-03"))
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert "2 cultures grew normal flora or likely contaminants: not counted" in found["detail"]


def test_one_sample_sent_twice_is_one_set():
    """Two results naming one Specimen are one sample (`reading.same_sample`): still a likely contaminant."""
    specimen = {"specimen": {"reference": "Specimen/s1"}}
    found = card(culture("bc1", **specimen), culture("bc2", **specimen))
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert "contaminants: not counted" in found["detail"]


def test_one_set_is_still_a_likely_contaminant():
    found = card(culture("bc1"))
    assert "a culture (2025-12-01) grew normal flora or a likely contaminant: not counted" in found["detail"]


def test_two_different_contaminants_are_not_two_sets():
    micrococcus = {**culture("bc2"), "valueCodeableConcept": {"text": "Micrococcus luteus"}}
    found = card(culture("bc1"), micrococcus)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert "2 cultures grew normal flora or likely contaminants: not counted" in found["detail"]


def test_a_site_counting_only_sets_drawn_the_same_day_does_not_count_consecutive_days(tmp_path: Path) -> None:
    """[policy] `contaminant_separate_sets_days` 0 in the site's policy file: sets on consecutive days stay likely
    contaminants, sets drawn the same day still count."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"contaminant_separate_sets_days": 0}), encoding="utf-8")
    runtime = load_runtime(Settings(policy_file=str(policy)))
    found = card(culture("bc1"), culture("bc2", "2025-12-02"), runtime=runtime)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert "2 cultures grew normal flora or likely contaminants: not counted" in found["detail"]
    same_day = card(culture("bc1"), culture("bc2"), runtime=runtime)
    assert "the same likely contaminant in 2 separate blood culture sets 2025-12-01" in same_day["detail"]
