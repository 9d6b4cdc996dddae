"""An IgG sent as something other than a number with a unit is named by the value as sent, whatever its type.

A valueQuantity whose value is `true` was shown as “g/L” (its unit alone) and a valueBoolean, valueCodeableConcept,
valueRange, valueRatio or valuePeriod as “—”, as if nothing had been sent: the clinician could not see what the
laboratory sent to correct it. Each is now shown as sent, escaped, in both languages (the note's words are ours).
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
# J18.9 pneumonia with a positive blood culture after the window; its one IgG (3.5 g/L) made unreadable below.
BUNDLE = json.loads((FIXTURES / "pneumonia-unspecified-positive-blood-culture-general-criteria-met.json").read_text())


def _igg_valued(value: dict) -> dict:
    bundle = copy.deepcopy(BUNDLE)
    for entry in bundle["entry"]:
        if entry["resource"]["id"] == "obs-igg-0053-a":
            entry["resource"].pop("valueQuantity")
            entry["resource"].update(value)
    return bundle


@pytest.mark.parametrize(("value", "shown"), [
    ({"valueQuantity": {"value": True, "unit": "g/L"}}, "true g/L"),
    ({"valueBoolean": True}, "true"),
    ({"valueInteger": 3}, "3"),
    ({"valueCodeableConcept": {"text": "Lav <b>"}}, "Lav &lt;b&gt;"),
    ({"valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "260385009"}]}}, "260385009"),
    ({"valueRange": {"low": {"value": 2, "unit": "g/L"}, "high": {"value": 3, "unit": "g/L"}}}, "2 g/L–3 g/L"),
    ({"valueRange": {"high": {"value": 3, "unit": "g/L"}}}, "&lt;=3 g/L"),
    ({"valueRatio": {"numerator": {"value": 3, "unit": "g"}, "denominator": {"value": 1, "unit": "L"}}}, "3 g / 1 L"),
    ({"valuePeriod": {"start": "2026-01-01"}}, "2026-01-01–"),
])
@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_igg_of_another_value_type_is_named_by_its_value(value: dict, shown: str, lang: str) -> None:
    answered = replay(RUNTIME, _igg_valued(value), at=AT, lang=lang)
    assert [a.code for a in answered.advice] == ["measure-igg"]  # never read as a number
    named = shown if shown == "260385009" else f"“{shown}”"  # a code with no text is no words of the record's: plain
    said = {"en": f"IgG {named} (2026-01-12) could not be read", "da": f"IgG {named} (2026-01-12) kunne ikke læses"}
    assert said[lang] in answered.cards[0]["detail"]
