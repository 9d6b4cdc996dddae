"""A laboratory result named a culture under a laboratory's local code is read as a culture.

"Bloddyrkning", "Blood culture", "Ekspektorat dyrkning" under a code no value set holds, with the Observation category
`laboratory`, is read as the coded cultures are (its specimen from its name; the notes never decide growth): a
blood culture that grew a bacterium verifies an organism-unspecified pneumonia (J18.9) within 7 days (clinical rules
§7). A result under a local code that is no culture ("Pneumokokantigen, urin") is not, whatever organism it names; a
culture named without the laboratory category is named on the card as before, not used.
"""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)
# After the window: J18.9 pneumonia 2026-01-05 with a positive blood culture 2026-01-06, IgG 3.5 -> general criteria.
BUNDLE = json.loads((FIXTURES / "pneumonia-unspecified-positive-blood-culture-general-criteria-met.json").read_text())


def _local(text: str, value: str, category: bool = True) -> dict:
    bundle = copy.deepcopy(BUNDLE)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["id"] == "obs-bloodculture-0053":
            resource["code"] = {"coding": [{"system": "http://hospital.dk/lab", "code": "KUL123"}], "text": text}
            resource.pop("valueCodeableConcept", None)
            resource.pop("interpretation", None)
            resource["valueString"] = value
            if not category:
                resource.pop("category", None)
    return bundle


@pytest.mark.parametrize("text", ["Bloddyrkning", "Blood culture", "BLODDYRKNING(BAKTERIUM+FUNGUS),B"])
def test_a_local_coded_blood_culture_with_growth_verifies_the_pneumonia_as_severe(text: str) -> None:
    answered = replay(RUNTIME, _local(text, "Streptococcus pneumoniae"), at=AT)
    assert [a.code for a in answered.advice] == ["start-meets-general-criteria"]
    assert "Severe bacterial infection 2026-01-05: pneumonia (positive blood culture 2026-01-06)" in answered.cards[0]["detail"]
    assert not [n for n in answered.notes if n.kind == "unrecognised-code"]


def test_a_local_coded_sputum_culture_with_growth_verifies_the_pneumonia_not_as_severe() -> None:
    answered = replay(RUNTIME, _local("Ekspektorat dyrkning", "Streptococcus pneumoniae"), at=AT)
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]  # one episode, not severe
    assert "Verified bacterial infection 2026-01-05" in answered.cards[0]["detail"]
    assert "Observation/obs-bloodculture-0053" in answered.advice[0].evidence


def test_a_local_coded_culture_that_grew_nothing_verifies_nothing() -> None:
    answered = replay(RUNTIME, _local("Bloddyrkning", "Ingen vækst efter 5 døgn"), at=AT)
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]


def test_a_local_coded_result_that_is_no_culture_verifies_nothing() -> None:
    answered = replay(RUNTIME, _local("Pneumokokantigen, urin", "Streptococcus pneumoniae påvist"), at=AT)
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]


def test_a_culture_named_without_the_laboratory_category_is_named_not_used() -> None:
    answered = replay(RUNTIME, _local("Bloddyrkning", "Streptococcus pneumoniae", category=False), at=AT)
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]
    assert [n.source for n in answered.notes if n.kind == "unrecognised-code"] == ["Observation/obs-bloodculture-0053"]


# A J18.9 pneumonia is verified bacterial (§4.3), and made severe by a blood culture, only by a bacterial culture: a
# fungal, viral or cell culture, or a carriage screening (colonisation), named "dyrkning"/"culture" under a local code,
# is no such culture, whatever it grew, nor is a preliminary answer (a Gram stain); it is named on the card as unrecognised, not used.
@pytest.mark.parametrize(("text", "value"), [
    ("Dyrkning for svamp", "Vækst"), ("Svampe dyrkning, blod", "Positiv"), ("Blood culture, fungal", "Positive"),
    ("Virus dyrkning", "Influenza A påvist"), ("CMV culture, blood", "Cytomegalovirus"),
    ("MRSA-screening (dyrkning)", "Staphylococcus aureus (MRSA)"), ("Cell culture", "Positive"),
    ("Blood culture – preliminary", "Gram positive cocci"), ("Bloddyrkning, foreløbigt svar", "Gram-positive kokker")])
def test_a_culture_named_for_no_bacterium_or_a_screening_verifies_nothing(text: str, value: str) -> None:
    answered = replay(RUNTIME, _local(text, value), at=AT)
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]
    assert "Verified bacterial infection 2026-01-05" not in answered.cards[0]["detail"]
    assert not answered.facts.cultures


# A culture whose result only defers to a comment ("Se kommentar") did not say it grew: the note is a comment (the
# notes never decide growth), so the blood culture neither verifies the pneumonia nor makes it severe.
@pytest.mark.parametrize("code", ["KUL123", "600-7"])
def test_a_culture_answered_see_comment_is_no_growth(code: str) -> None:
    bundle = _local("Bloddyrkning", "Se kommentar")
    for entry in bundle["entry"]:
        if entry["resource"]["id"] == "obs-bloodculture-0053":
            entry["resource"]["note"] = [{"text": "Vækst af Staphylococcus aureus"}]
            if code == "600-7":
                entry["resource"]["code"]["coding"] = [{"system": "http://loinc.org", "code": "600-7"}]
    answered = replay(RUNTIME, bundle, at=AT)
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]
    assert [(c.positive, c.specimen) for c in answered.facts.cultures] == [(False, "blood")]


# A swab of a site with its own flora (throat, nose, faeces) names its specimen: a bacterium it grew is no evidence
# that a pneumonia is bacterial (§4.3), as a urine culture is none.
@pytest.mark.parametrize(("text", "value"), [
    ("Svælg dyrkning", "Streptococcus pyogenes"), ("Dyrkning og resistens, næse", "Staphylococcus aureus"),
    ("Fæces dyrkning", "Salmonella enteritidis"), ("Throat culture", "Streptococcus pneumoniae")])
def test_a_swab_of_a_flora_site_does_not_verify_a_pneumonia(text: str, value: str) -> None:
    answered = replay(RUNTIME, _local(text, value), at=AT)
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]
    assert "Verified bacterial infection 2026-01-05" not in answered.cards[0]["detail"]
    assert [(c.positive, c.bacterial, c.specimen) for c in answered.facts.cultures] == [(True, True, "swab")]


# A culture that gave no result ("Ikke udført", "Annulleret", "Prøve ikke modtaget") names no organism: no growth, so
# the blood culture neither verifies the pneumonia nor makes it severe (§4.3). One that names what grew still counts.
@pytest.mark.parametrize("code", ["KUL123", "600-7"])
@pytest.mark.parametrize("value", ["Ikke udført", "Annulleret", "Prøve ikke modtaget", "Sample rejected: unsuitable",
                                   "Not performed.", "Analysen er aflyst, ny prøve ønskes"])
def test_a_culture_that_gave_no_result_is_no_growth(code: str, value: str) -> None:
    bundle = _local("Bloddyrkning", value)
    for entry in bundle["entry"]:
        if code == "600-7" and entry["resource"]["id"] == "obs-bloodculture-0053":
            entry["resource"]["code"]["coding"] = [{"system": "http://loinc.org", "code": "600-7"}]
    answered = replay(RUNTIME, bundle, at=AT)
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]
    assert [(c.positive, c.specimen) for c in answered.facts.cultures] == [(False, "blood")]


def test_a_culture_that_names_what_grew_beside_a_no_result_word_still_counts() -> None:
    answered = replay(RUNTIME, _local("Bloddyrkning", "Streptococcus pneumoniae. Resistens ikke udført"), at=AT)
    assert [a.code for a in answered.advice] == ["start-meets-general-criteria"]


# A growth report whose identification or susceptibility was not done still says the culture grew: "ikke udført" or
# "annulleret" there is about the work-up, not the culture (§4.3). Only a value with no growth word reads as no result.
@pytest.mark.parametrize("value", ["Vækst. Identifikation ikke udført", "Positiv. Artsbestemmelse annulleret",
                                   "Vækst af gramnegative stave. Resistensbestemmelse ikke udført"])
def test_a_growth_whose_work_up_was_not_done_still_grew(value: str) -> None:
    answered = replay(RUNTIME, _local("Bloddyrkning", value), at=AT)
    assert [(c.positive, c.specimen) for c in answered.facts.cultures] == [(True, "blood")]
    assert [a.code for a in answered.advice] == ["start-meets-general-criteria"]
