"""A blood culture that grew something, under a laboratory's local code and with no laboratory category, is named.

Danish laboratories report blood cultures under local codes with the text
"BLODDYRKNING(BAKTERIUM+FUNGUS),B" and the organism as text. Such a culture is not used (a name
is not a code), but it is what could make a pneumonia coded without its organism a verified
bacterial infection: a card that says "no positive culture" must also say which culture it saw
and did not use (clinical rules §7; the culture value set's text hints, valuesets/README.md).
A culture that grew nothing is not named: it changes nothing.
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
# After the window: J18.9 pneumonia with a positive blood culture the next day, IgG 3.5 -> general criteria met.
BUNDLE = json.loads((FIXTURES / "pneumonia-unspecified-positive-blood-culture-general-criteria-met.json").read_text())
TEXT = "BLODDYRKNING(BAKTERIUM+FUNGUS),B"


def _culture_coded_locally(value: str) -> dict:
    bundle = copy.deepcopy(BUNDLE)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["id"] == "obs-bloodculture-0053":
            resource["code"] = {"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "DNK05244"}], "text": TEXT}
            resource.pop("valueCodeableConcept", None)
            resource.pop("interpretation", None)
            resource["valueString"] = value
            resource.pop("category", None)  # with the laboratory category it is read as a culture by its name
    return bundle


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_positive_culture_under_a_local_code_is_named_on_the_card(lang: str) -> None:
    answered = replay(RUNTIME, _culture_coded_locally("Streptococcus pneumoniae"), at=AT, lang=lang)
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]  # not counted: a name is no code
    named = {"en": "was not recognised by its code", "da": "blev ikke genkendt på sin kode"}
    assert named[lang] in answered.cards[0]["detail"] and "BLODDYRKNING" in answered.cards[0]["detail"]
    assert [n.source for n in answered.notes if n.kind == "unrecognised-code"] == ["Observation/obs-bloodculture-0053"]


def test_a_culture_that_grew_nothing_is_not_named() -> None:
    answered = replay(RUNTIME, _culture_coded_locally("Ingen vækst efter 5 døgn"), at=AT)
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]
    assert not [n for n in answered.notes if n.kind == "unrecognised-code"]
