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


@pytest.mark.parametrize(("code", "text"), [("J06BB01", "Anti-D immunglobulin"), ("J06BB04", "Immunoglobulin"),
                                           ("J06BB01", "Immunglobulin")])
def test_a_specific_immunoglobulin_is_still_not_substitution(code: str, text: str) -> None:
    """Its ATC code (under the excluded J06BB) or its name says it is a specific immunoglobulin, although the bare
    generic name alone would hint at substitution: no card about an Ig order."""
    answered = replay(RUNTIME, BUNDLE, hook="order-sign", at=AT, drafts=[_draft("http://www.whocc.no/atc", code, text)])
    assert answered.advice == ()


def test_a_specific_immunoglobulin_under_a_local_code_is_known_by_its_name() -> None:
    answered = replay(RUNTIME, BUNDLE, hook="order-sign", at=AT,
                      drafts=[_draft("urn:oid:1.2.208.176.2.1.99", "77", "Immunglobulin mod hepatitis B")])
    assert answered.advice == ()


PATIENT = {"reference": "Patient/pt-dk-0001"}


def _start_chart_with(order: dict) -> dict:
    """The start chart with `order` and two notes a card would otherwise show first: an implausible
    IgG and an unconfirmed sepsis."""
    chart = copy.deepcopy(BUNDLE)
    chart["entry"] += [{"resource": resource} for resource in (
        {"resourceType": "MedicationRequest", "status": "active", "intent": "order", "subject": PATIENT, **order},
        {"resourceType": "Observation", "id": "obs-igg-implausible", "status": "final", "subject": PATIENT,
         "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
         "effectiveDateTime": "2026-01-05", "valueQuantity": {"value": 250, "unit": "g/L"}},
        {"resourceType": "Condition", "id": "cond-provisional-sepsis", "subject": PATIENT,
         "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                            "code": "provisional"}]},
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A41.0"}], "text": "Sepsis"},
         "onsetDateTime": "2026-01-08"})]
    return chart


def test_an_immunoglobulin_order_under_a_local_code_is_named_first_on_a_start_card() -> None:
    """A patient-view start card for a patient whose active Ig order has a local code: the order may
    mean the patient is already on substitution, so its note comes before IgG and infection notes
    that a card with room for two kinds would otherwise show instead (clinical rules §7)."""
    chart = _start_chart_with({"id": "mr-local-ig", "authoredOn": "2026-01-12", "medicationCodeableConcept": {
        "coding": [{"system": "urn:oid:1.2.208.176.2.1.99", "code": "123"}], "text": "Octanorm 165 mg/ml"}})
    answered = replay(RUNTIME, chart, hook="patient-view", at=AT)
    assert [a.code for a in answered.advice] == ["start-substitution"]
    kinds = {note.kind for note in answered.notes}
    assert {"ig-by-name", "igg-implausible", "infection-unconfirmed"} <= kinds, kinds  # an order the patient may be on
    card = json.dumps(answered.cards[0], ensure_ascii=False)
    assert "“Octanorm 165 mg/ml” (ordered 2026-01-12; code not known) may be Ig the patient is on" in card


@pytest.mark.parametrize("lang, says", [("en", "check whether the patient is already on substitution"),
                                        ("da", "tjek, om patienten allerede får substitution")])
def test_an_active_immunoglobulin_order_without_a_date_is_named_first(lang: str, says: str) -> None:
    """An active IVIG order with neither authoredOn nor a dosage period cannot be placed in time, so the
    rules do not count it; the start card then names it first, as the order the patient may be on,
    not as "unusable data" behind other notes."""
    chart = _start_chart_with({"id": "mr-ivig-undated", "medicationCodeableConcept": {
        "coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}], "text": "Privigen"}})
    answered = replay(RUNTIME, chart, hook="patient-view", at=AT, lang=lang)
    assert [a.code for a in answered.advice] == ["start-substitution"]
    undated = [n for n in answered.notes if n.source == "MedicationRequest/mr-ivig-undated"]
    assert [n.kind for n in undated] == ["ig-order-undated"] and "no start date" in undated[0].message
    card = json.dumps(answered.cards[0], ensure_ascii=False)
    assert "Privigen" in card and says in card


def test_an_undated_immunoglobulin_order_with_a_code_only_is_named_by_its_code() -> None:
    chart = _start_chart_with({"id": "mr-ivig-undated", "medicationCodeableConcept": {
        "coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]}})
    card = json.dumps(replay(RUNTIME, chart, hook="patient-view", at=AT).cards[0], ensure_ascii=False)
    assert "order J06BA02 has no usable date" in card and "“”" not in card
