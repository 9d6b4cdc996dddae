"""A total-IgG result under a laboratory's local code is named on the card, never silently dropped.

Danish laboratories also report plasma IgG under local codes (ASS00918 "P-Immunglobulin G",
FAS00049, SSI00551). Such a result is not used (a name is not a code), but a card that asks to
"measure IgG" while the chart holds one must say which result it saw and did not use
(clinical rules §7); IgG subclasses, CSF and urine IgG under unknown codes are not named as IgG.
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
BUNDLE = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())


def _igg_coded(code: str, text: str) -> dict:
    """The shipped patient with only its latest IgG (3.2 g/L, 2026-01-13), under another code."""
    bundle = copy.deepcopy(BUNDLE)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "Observation"
                       or e["resource"].get("effectiveDateTime", "").startswith("2026-01-13")]
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Observation":
            entry["resource"]["code"] = {"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": code}], "text": text}
    return bundle


@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_igg_under_a_local_code_is_named_on_the_measure_igg_card(lang: str) -> None:
    answered = replay(RUNTIME, _igg_coded("ASS00918", "P-Immunglobulin G"), at=AT, lang=lang)
    assert [a.code for a in answered.advice] == ["measure-igg"]
    named = {"en": "A lab result “P-Immunglobulin G” (2026-01-13) was not recognised by its code",
             "da": "Et laboratoriesvar “P-Immunglobulin G” (2026-01-13) blev ikke genkendt på sin kode"}
    assert named[lang] in answered.cards[0]["detail"]


@pytest.mark.parametrize("text", ["P-Immunglobulin G1;massek.", "Csv-Immunglobulin G; massek. = ? mg/L",
                                  "U-Immunglobulin G", "P-Immunglobulin G(kappa)"])
def test_other_igg_results_under_local_codes_are_not_named_as_total_igg(text: str) -> None:
    answered = replay(RUNTIME, _igg_coded("DNK99999", text), at=AT)
    assert [a.code for a in answered.advice] == ["measure-igg"]
    assert not [n for n in answered.notes if n.kind == "unrecognised-code"]
