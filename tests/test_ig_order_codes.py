"""A draft immunoglobulin order coded as real EHRs code it is judged, or said not to be checked.

ATC J06BA ("Immunoglobulins, normal human") is the group above J06BA01 (SCIG) and J06BA02
(IVIG), and holds nothing else: an order coded at that level is human normal immunoglobulin.
A Danish product or generic name under a local code ("Octanorm", "Humant normalt
immunglobulin") gets the "not checked" warning instead of no card at all (clinical rules §7:
a drug seen but not counted is named).
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
DRAFT = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())


def _draft(system: str, code: str, text: str) -> dict:
    draft = copy.deepcopy(DRAFT)
    draft["medicationCodeableConcept"] = {"coding": [{"system": system, "code": code}], "text": text}
    return draft


def test_an_order_coded_with_the_atc_group_of_normal_human_immunoglobulin_is_judged() -> None:
    answered = replay(RUNTIME, BUNDLE, hook="order-sign", at=AT,
                      drafts=[_draft("http://www.whocc.no/atc", "J06BA", "Humant normalt immunglobulin")])
    assert [a.code for a in answered.advice] == ["order-meets-criteria"]
    assert "end it on 2026-05-18" in answered.cards[0]["summary"]


@pytest.mark.parametrize("text", ["Octanorm 165 mg/ml", "Flebogamma DIF 100 mg/ml", "Humant normalt immunglobulin"])
def test_a_danish_immunoglobulin_name_under_a_local_code_is_said_not_to_be_checked(text: str) -> None:
    answered = replay(RUNTIME, BUNDLE, hook="order-sign", at=AT, drafts=[_draft("urn:oid:1.2.208.176.2.1.99", "123", text)])
    assert [a.code for a in answered.advice] == ["order-not-recognised"]
    assert answered.cards[0]["indicator"] == "warning"


def test_a_specific_immunoglobulin_is_still_not_substitution() -> None:
    answered = replay(RUNTIME, BUNDLE, hook="order-sign", at=AT,
                      drafts=[_draft("http://www.whocc.no/atc", "J06BB01", "Anti-D immunglobulin")])
    assert answered.advice == ()
