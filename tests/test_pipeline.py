"""The one pipeline: validation of what decides, tolerant reading of what does not, the kill switch on advice."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from datetime import date

import pytest

from cds_service.errors import BadRequest
from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import load_drafts, replay, request_from_bundle

from .fixtures import FIXTURES

AT = date(2026, 2, 23)
RUNTIME = load_runtime(Settings())


def bundle_of(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def test_the_untreated_igg_a_start_decision_uses_is_validated():
    # The newest IgG lies in the washout after substitution, so the decision uses the older one:
    # that one must be validated too, or an invalid result could decide the advice.
    bundle = bundle_of("cart-restart-in-window-after-stopped-course")
    assert [a.values["igg_source"] for a in replay(RUNTIME, bundle, at=AT).advice] == ["Observation/obs-igg-0018-a"]
    for entry in bundle["entry"]:
        if entry["resource"]["id"] == "obs-igg-0018-a":
            entry["resource"]["valueQuantity"]["system"] = 12  # readable by the cheap path, invalid FHIR in a used field
    result = replay(RUNTIME, bundle, at=AT)
    assert all(a.values.get("igg_source") != "Observation/obs-igg-0018-a" for a in result.advice)
    assert any(n.source == "Observation/obs-igg-0018-a" and n.kind == "igg-invalid" for n in result.notes)


def test_a_malformed_field_the_rules_do_not_read_is_named_not_fatal():
    bundle = bundle_of("cart-in-window-igg-low")
    for entry in bundle["entry"]:
        if entry["resource"]["id"] == "obs-igg-0001-b":
            entry["resource"]["category"] = {"text": "an object where R4 wants an array"}
            entry["resource"]["note"] = "not an array either"
    result = replay(RUNTIME, bundle, at=date(2026, 1, 20))
    assert [a.code for a in result.advice] == ["start-substitution"]
    assert result.advice[0].values["igg_source"] == "Observation/obs-igg-0001-b"
    [note] = [n for n in result.notes if n.kind == "malformed-field"]
    assert note.source == "Observation/obs-igg-0001-b" and "category" in note.message and "note" in note.message
    assert "malformed field" in result.cards[0]["detail"]


def test_a_draft_order_with_a_malformed_unused_field_is_judged():
    """The CDS Hooks Sandbox sends MedicationRequest.category as an object: the order is still judged."""
    bundle = bundle_of("cart-in-window-igg-low")
    draft = copy.deepcopy(load_drafts([str(FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json")])[0])
    draft["category"] = {"coding": [{"code": "outpatient"}]}
    result = replay(RUNTIME, bundle, hook="order-sign", drafts=[draft], at=date(2026, 1, 20))
    assert [a.code for a in result.advice] == ["order-meets-criteria"]
    assert any(n.kind == "malformed-field" and "category" in n.message for n in result.notes)
    draft["status"] = 7  # a field the rules read: the order cannot be judged as sent
    with pytest.raises(BadRequest, match="status"):
        replay(RUNTIME, bundle, hook="order-sign", drafts=[draft], at=date(2026, 1, 20))


def test_a_whole_number_igg_is_printed_with_its_decimal():
    """An EHR may send `"value": 3`; the card must read as it does for 3.2 (and in Danish with a comma)."""
    bundle = bundle_of("cart-in-window-igg-low")
    for entry in bundle["entry"]:
        if entry["resource"]["id"] == "obs-igg-0001-b":
            entry["resource"]["valueQuantity"]["value"] = 3
    [card] = replay(RUNTIME, bundle, at=date(2026, 1, 20)).cards
    assert "IgG 3.0 g/L" in card["summary"] and "3.0 g/L" in card["detail"]
    [card] = replay(RUNTIME, bundle, lang="da", at=date(2026, 1, 20)).cards
    assert "IgG 3,0 g/L" in card["summary"]


def test_the_kill_switch_removes_advice_before_cards_are_made(tmp_path):
    disabled = tmp_path / "disabled.json"
    disabled.write_text('["start-substitution"]')
    runtime = load_runtime(replace(Settings(), disabled_advice_file=str(disabled)))
    result = replay(runtime, bundle_of("cart-in-window-igg-low"), at=date(2026, 1, 20))
    assert result.cards == [] and result.advice == () and result.suppressed == ("start-substitution",)
    assert [a.code for a in result.evaluation.advice] == ["start-substitution"]  # still evaluated, and explained


def test_answer_local_is_the_same_path_as_a_parsed_request():
    request = parse_hook_request(request_from_bundle(bundle_of("cart-in-window-igg-low")), "patient-view")
    direct = answer_local(request, RUNTIME, today=date(2026, 1, 20))
    assert [c["summary"] for c in direct.cards] == [c["summary"] for c in replay(
        RUNTIME, bundle_of("cart-in-window-igg-low"), at=date(2026, 1, 20)).cards]


def test_an_m_protein_that_sets_an_igg_aside_is_validated():
    # Total IgG 9.0 and an IgG M-protein 9.5 the same day: the IgG is set aside, so the M-protein
    # decides as much as the IgG would. Invalid, it is named and dropped, and the IgG is used.
    bundle = bundle_of("myeloma-igg-kappa-m-protein-above-total-igg-not-used")
    at = date(2026, 1, 20)
    assert [a.code for a in replay(RUNTIME, bundle, at=at).advice] == ["measure-igg"]
    for entry in bundle["entry"]:
        if entry["resource"]["id"] == "o11-0060":
            entry["resource"]["valueQuantity"]["system"] = 12  # readable by the cheap path, invalid FHIR in a used field
    result = replay(RUNTIME, bundle, at=at)
    assert any(n.source == "Observation/o11-0060" and n.kind == "invalid" for n in result.notes)
    assert not any(n.kind == "igg-below-m-protein" for n in result.notes)
    [latest] = [s.raw for s in result.evaluation.trace if s.name == "Latest IgG"]
    assert latest.result.source == "Observation/o10-0060"  # total 9.0 used
    # an IgG myeloma (immunofixation IgG kappa) with no M-protein figure read: the total cannot say where polyclonal
    # IgG lies, so the card asks for the M-protein
    assert [(a.code, a.variant) for a in result.advice] == [("paraprotein-type-unknown", "igg-no-m-protein")]
