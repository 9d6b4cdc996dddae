"""Records an EHR sends that say something other than what their main fields seem to say, never read as the plain case.

Each of these made a wrong card with no word of why, before:
- an IgG whose comparator is not one of <, <=, >, >= ("ca", "ad") was read as the exact figure; "≥" or an XML-escaped
  "&gt;" lost its sign, so ">3.0 g/L" started substitution as "IgG 3.0 g/L < 4 g/L";
- an order with doNotPerform ("do not give teclistamab") was read as an order: it set T0 and moved the stop date;
- a concept coded both as a thing and as one its value set excludes (total IgG and IgG1, IVIG and anti-D, a CAR-T
  infusion and a cell harvest) was read as the thing.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
# CAR-T 2025-11-18 (T0, stop date 2026-05-18), IgG 3.2 g/L on 2026-01-13: start-substitution on 2026-01-20
BUNDLE = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
AT = date(2026, 1, 20)


def _resource(bundle: dict[str, Any], rid: str) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == rid)


def _answer(bundle: dict[str, Any], at: date = AT) -> tuple[list[dict[str, Any]], str]:
    found = replay(RUNTIME, bundle, at=at)
    notes = " ".join(f"{n.source}: {n.message}" for n in found.notes)
    return found.cards, notes


def _with_comparator(sign: str) -> dict[str, Any]:
    bundle = copy.deepcopy(BUNDLE)
    _resource(bundle, "obs-igg-0001-b")["valueQuantity"]["comparator"] = sign
    return bundle


@pytest.mark.parametrize("sign, read", [("≥", ">="), ("&gt;", ">"), ("≤", "<="), ("&lt;", "<")])
def test_a_comparator_written_another_way_is_read_as_its_sign(sign: str, read: str) -> None:
    [card], _ = _answer(_with_comparator(sign))
    expected = "start-substitution" if read.startswith("<") else "measure-igg"
    assert card["source"]["topic"]["code"] == expected
    assert f"{read}3.2 g/L" in card["summary"] or f"{read}3.2 g/L" in card["detail"]


@pytest.mark.parametrize("sign", ["ad", "ca", "approx"])
def test_a_comparator_that_is_no_sign_leaves_the_igg_unused_and_named(sign: str) -> None:
    [card], notes = _answer(_with_comparator(sign))
    assert card["source"]["topic"]["code"] == "measure-igg"  # not a start on "3.2 g/L"
    assert "IgG 3.2 g/L" not in card["summary"]
    assert f"Observation/obs-igg-0001-b: valueQuantity.comparator '{sign}' is not <, <=, > or >=" in notes


def _teclistamab_not_to_give(day: str) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "mr-tec-dnp", "status": "active", "intent": "order",
            "doNotPerform": True, "subject": {"reference": "Patient/pt-dk-0001"}, "authoredOn": day,
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX24"}],
                                          "text": "Tecvayli"},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": day}}}}]}


def test_an_order_not_to_give_a_bsab_sets_no_t0_and_is_named() -> None:
    bundle = copy.deepcopy(BUNDLE)
    bundle["entry"].append({"resource": _teclistamab_not_to_give("2025-12-20")})
    [card], notes = _answer(bundle)
    assert card["source"]["topic"]["code"] == "start-substitution"
    assert "2026-05-18" in card["summary"]  # the CAR-T's stop date, not 2026-06-20 from the prohibition
    assert "“Tecvayli” (2025-12-20) is ordered NOT to be given (doNotPerform): not read as an order" in card["detail"]
    assert "MedicationRequest/mr-tec-dnp: doNotPerform is true" in notes


def test_a_draft_not_to_give_ivig_gets_no_card_that_approves_it() -> None:
    draft = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
    draft["doNotPerform"] = True
    found = replay(RUNTIME, copy.deepcopy(BUNDLE), at=AT, hook="order-sign", drafts=[draft])
    assert not [c for c in found.cards if c["source"]["topic"]["code"] == "order-meets-criteria"]
    draft.pop("doNotPerform")
    found = replay(RUNTIME, copy.deepcopy(BUNDLE), at=AT, hook="order-sign", drafts=[draft])
    assert [c["source"]["topic"]["code"] for c in found.cards] == ["order-meets-criteria"]  # the same draft, plain


def test_an_igg_coded_also_as_a_subclass_is_not_read_as_total_igg() -> None:
    bundle = copy.deepcopy(BUNDLE)
    _resource(bundle, "obs-igg-0001-b")["code"]["coding"].append(
        {"system": "http://npu-terminology.org", "code": "NPU19817", "display": "P-Immunglobulin G1; massek."})
    [card], notes = _answer(bundle)
    assert card["source"]["topic"]["code"] == "measure-igg"
    assert "Observation/obs-igg-0001-b" in notes


def test_an_ivig_order_coded_also_as_anti_d_is_read_as_ivig_and_named() -> None:
    # silence would hide an overdue stop: the order is read by its substitution code, and the card says to check it
    bundle = json.loads((FIXTURES / "cart-ig-active-stop-due-on-stop-date.json").read_text())
    expect = json.loads((FIXTURES / "cart-ig-active-stop-due-on-stop-date.expect.json").read_text())
    at = date.fromisoformat(expect["at"])
    _resource(bundle, "mr-ivig-0011")["medicationCodeableConcept"]["coding"].insert(
        0, {"system": "http://www.whocc.no/atc", "code": "J06BB01", "display": "anti-D (rh) immunoglobulin"})
    cards, notes = _answer(bundle, at)
    assert [c["source"]["topic"]["code"] for c in cards] == expect["expected"]
    assert "MedicationRequest/mr-ivig-0011: its codes disagree: one is immunoglobulin substitution" in notes
    assert "carries codes that disagree (substitution and a specific immunoglobulin): read as substitution" \
        in cards[0]["detail"]


def test_a_codes_list_with_a_less_specific_exclusion_still_counts_the_bacterial_code() -> None:
    # J15.9 bacterial pneumonia beside J18.9 (no organism): the latter is only vaguer, not another illness
    concept = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J15.9"},
                          {"system": "http://hl7.org/fhir/sid/icd-10", "code": "J18.9"}]}
    assert "bacterial-infection" in RUNTIME.terminology.sets_of(concept)
    total_and_subclass = {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"},
                                     {"system": "http://npu-terminology.org", "code": "NPU19817"}]}
    assert "igg-serum" not in RUNTIME.terminology.sets_of(total_and_subclass)


def test_one_record_sent_twice_with_other_content_is_named() -> None:
    # the CAR-T procedure under one id, dated 2025-11-18 and 2025-12-18, no meta to say which is the later
    bundle = copy.deepcopy(BUNDLE)
    later = copy.deepcopy(_resource(bundle, "proc-cart-0001"))
    later["performedDateTime"] = "2025-12-18"
    later.pop("performedPeriod", None)
    bundle["entry"].append({"resource": later})
    cards, notes = _answer(bundle)
    assert "Procedure/proc-cart-0001: sent 2 times with different content and no meta saying which is the later" \
        in notes
    assert any("was sent twice with different content" in c["detail"] for c in cards)


def test_the_same_record_sent_twice_alike_or_ordered_by_meta_is_not_named() -> None:
    bundle = copy.deepcopy(BUNDLE)
    bundle["entry"].append({"resource": copy.deepcopy(_resource(bundle, "obs-igg-0001-b"))})  # the same, twice
    _, notes = _answer(bundle)
    assert "different content" not in notes
    bundle = copy.deepcopy(BUNDLE)
    first = _resource(bundle, "obs-igg-0001-b")
    first["meta"] = {"versionId": "1"}
    second = copy.deepcopy(first)
    second["meta"] = {"versionId": "2"}
    second["valueQuantity"]["value"] = 3.4  # a later version, as a FHIR server numbers them
    bundle["entry"].append({"resource": second})
    [card], notes = _answer(bundle)
    assert "different content" not in notes
    assert "3.4 g/L" in card["summary"]


@pytest.mark.parametrize("status", ["Final", " final", None])
def test_an_igg_whose_status_is_no_status_is_named_not_dropped(status: str | None) -> None:
    bundle = copy.deepcopy(BUNDLE)
    igg = _resource(bundle, "obs-igg-0001-b")
    if status is None:
        igg.pop("status")
    else:
        igg["status"] = status
    [card], notes = _answer(bundle)
    assert card["source"]["topic"]["code"] == "measure-igg"
    said = "it has no status" if status is None else f"status {status!r} is not an Observation status"
    assert f"Observation/obs-igg-0001-b: {said}" in notes


def test_a_withdrawn_igg_stays_unnamed() -> None:
    bundle = copy.deepcopy(BUNDLE)
    _resource(bundle, "obs-igg-0001-b")["status"] = "entered-in-error"
    _, notes = _answer(bundle)
    assert "obs-igg-0001-b" not in notes


def test_an_igg_with_a_value_and_a_data_absent_reason_is_not_used() -> None:
    bundle = copy.deepcopy(BUNDLE)
    _resource(bundle, "obs-igg-0001-b")["dataAbsentReason"] = {"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/data-absent-reason", "code": "error"}],
        "text": "Hæmolyseret prøve"}
    [card], notes = _answer(bundle)
    assert card["source"]["topic"]["code"] == "measure-igg"
    assert "it has a value and a dataAbsentReason ('error')" in notes


def test_an_igg_whose_unit_and_unit_code_disagree_is_not_used() -> None:
    bundle = copy.deepcopy(BUNDLE)
    _resource(bundle, "obs-igg-0001-b")["valueQuantity"].update(unit="g/L", code="mg/dL")
    [card], notes = _answer(bundle)
    assert card["source"]["topic"]["code"] == "measure-igg"
    assert "its unit 'g/L' and unit code 'mg/dL' disagree" in notes


def test_a_tiny_igg_is_shown_with_its_figure_not_as_zero() -> None:
    bundle = copy.deepcopy(BUNDLE)
    _resource(bundle, "obs-igg-0001-b")["valueQuantity"].update(value=3.2, unit="mg/dL", code="mg/dL")
    [card], _ = _answer(bundle)
    assert "IgG 0.03 g/L" in card["summary"] and "0.0 g/L" not in card["summary"]


def test_an_igg_held_inside_its_report_is_named() -> None:
    bundle = copy.deepcopy(BUNDLE)
    igg = _resource(bundle, "obs-igg-0001-b")
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"] is not igg]
    inner = {k: v for k, v in igg.items() if k != "subject"}
    inner["id"] = "igg1"
    bundle["entry"].append({"resource": {
        "resourceType": "DiagnosticReport", "id": "dr-igg", "status": "final", "subject": igg["subject"],
        "code": {"text": "Immunglobuliner"}, "effectiveDateTime": igg["effectiveDateTime"], "contained": [inner],
        "result": [{"reference": "#igg1"}]}})
    [card], notes = _answer(bundle)
    assert card["source"]["topic"]["code"] == "measure-igg"
    assert "DiagnosticReport/dr-igg: holds the result" in notes
    assert "inside itself, not as a result of its own: not read" in card["detail"]


def test_a_bundle_whose_entry_is_one_object_is_refused_by_name() -> None:
    from cds_service.errors import BadRequest
    from cds_service.fhir.request import parse_hook_request
    from cds_service.pipeline import answer_local
    from cds_service.tools.replay import request_from_bundle

    request = request_from_bundle(copy.deepcopy(BUNDLE))
    observations = request["prefetch"]["observations"]
    observations["entry"] = observations["entry"][0]
    with pytest.raises(BadRequest, match=r"prefetch\.observations: Bundle\.entry must be a list of entries, not one "
                                         r"object"):
        answer_local(parse_hook_request(request, "patient-view"), RUNTIME, today=AT)


def test_an_active_ivig_order_also_coded_as_anti_d_is_the_course_the_patient_is_on() -> None:
    # not "Ig may be started" beside it, with IVIG offered: the patient is on a course, whose stop is planned
    bundle = copy.deepcopy(BUNDLE)
    ivig = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
    ivig.update(id="mr-ivig", status="active", authoredOn="2026-01-15")
    ivig["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": "2026-01-15"}
    ivig["medicationCodeableConcept"]["coding"].append(
        {"system": "http://www.whocc.no/atc", "code": "J06BB01", "display": "anti-D (rh) immunoglobulin"})
    bundle["entry"].append({"resource": ivig})
    [card] = replay(RUNTIME, bundle, at=AT).cards
    assert card["source"]["topic"]["code"] == "stop-planned"
    assert "“Privigen 100 mg/ml” (2026-01-15) carries codes that disagree" in card["detail"]


def test_a_draft_coded_ivig_and_anti_d_is_judged_as_ivig() -> None:
    draft = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
    draft["medicationCodeableConcept"]["coding"].append({"system": "http://www.whocc.no/atc", "code": "J06BB01"})
    found = replay(RUNTIME, copy.deepcopy(BUNDLE), at=AT, hook="order-sign", drafts=[draft])
    assert [c["source"]["topic"]["code"] for c in found.cards] == ["order-meets-criteria"]
    assert "carries codes that disagree (substitution and a specific immunoglobulin): read as substitution" \
        in found.cards[0]["detail"]  # at signing, where a wrong product can still be caught


def test_copies_differing_in_a_date_the_rules_read_are_named() -> None:
    bundle = copy.deepcopy(BUNDLE)
    first = _resource(bundle, "cond-dlbcl-0001")
    second = copy.deepcopy(first)
    second["recordedDate"] = "2015-01-01"
    bundle["entry"].append({"resource": second})
    _, notes = _answer(bundle)
    assert "Condition/cond-dlbcl-0001: sent 2 times with different content" in notes


def test_an_igg_lab_draft_not_to_be_done_is_no_igg_on_its_way() -> None:
    bundle = copy.deepcopy(BUNDLE)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["id"] != "obs-igg-0001-b"]  # no IgG since T0
    ivig = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
    lab = {"resourceType": "ServiceRequest", "id": "sr-igg", "status": "draft", "intent": "order",
           "doNotPerform": True, "subject": {"reference": "Patient/pt-dk-0001"},
           "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]}}
    found = replay(RUNTIME, bundle, at=AT, hook="order-sign", drafts=[ivig, lab])
    [card] = found.cards
    assert "An IgG lab order" not in card["detail"]
    assert any("IgG" in s["label"] for s in card.get("suggestions", []))


def test_do_not_perform_on_a_record_that_is_no_request_means_nothing() -> None:
    bundle = copy.deepcopy(BUNDLE)
    _resource(bundle, "proc-cart-0001")["doNotPerform"] = True  # no element of a Procedure: ignored
    [card], notes = _answer(bundle)
    assert card["source"]["topic"]["code"] == "start-substitution"
    assert "doNotPerform is true" not in notes and "ordered NOT" not in card["detail"]


def test_copies_differing_only_where_the_rules_do_not_read_are_not_named() -> None:
    bundle = copy.deepcopy(BUNDLE)
    copy_ = copy.deepcopy(_resource(bundle, "obs-igg-0001-b"))
    copy_["issued"] = "2026-01-13T12:00:00Z"
    copy_["note"] = [{"text": "printed twice"}]
    bundle["entry"].append({"resource": copy_})
    _, notes = _answer(bundle)
    assert "different content" not in notes


def test_an_igg_with_no_status_is_named_as_the_igg_it_is() -> None:
    bundle = copy.deepcopy(BUNDLE)
    _resource(bundle, "obs-igg-0001-b").pop("status")
    [card], _ = _answer(bundle)
    assert "IgG “3.2 g/L” (2026-01-13) is sent with a status, qualifier or flag that makes it no plain result" \
        in card["detail"]


def test_a_car_t_product_draft_coded_also_with_an_excluded_product_gets_a_card_saying_it_was_not_checked() -> None:
    # axicabtagene (L01XL03) beside L01XL01 (a cell therapy the CAR-T set excludes): which is drafted is not known
    draft = {"resourceType": "MedicationRequest", "id": "draft-cart", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/pt-dk-0001"}, "authoredOn": "2026-01-20",
             "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01XL03"},
                                                      {"system": "http://www.whocc.no/atc", "code": "L01XL01"}],
                                           "text": "Yescarta"}}
    found = replay(RUNTIME, copy.deepcopy(BUNDLE), at=AT, hook="order-sign", drafts=[draft])
    assert [c["source"]["topic"]["code"] for c in found.cards] == ["order-not-recognised"]


@pytest.mark.parametrize("system, code, display", [
    ("http://loinc.org", "2458-8", "IgA [Mass/volume] in Serum or Plasma"),
    ("http://loinc.org", "2472-9", "IgM [Mass/volume] in Serum or Plasma"),
    ("http://npu-terminology.org", "NPU19795", "P-Immunglobulin A; massek. = ? g/L"),
])
def test_an_igg_coded_also_as_iga_or_igm_is_not_read_as_total_igg(system: str, code: str, display: str) -> None:
    # IgA is 0.7-4 g/L in health: read as IgG, an IgA of 2.1 g/L would start substitution
    bundle = copy.deepcopy(BUNDLE)
    _resource(bundle, "obs-igg-0001-b")["code"]["coding"].append({"system": system, "code": code, "display": display})
    [card], notes = _answer(bundle)
    assert card["source"]["topic"]["code"] == "measure-igg"
    assert "Observation/obs-igg-0001-b: its codes disagree: one is in 'igg-serum'" in notes
    assert "(2026-01-13) carries codes that disagree" in card["detail"]  # the clinician sees why no IgG counts


@pytest.mark.parametrize("with_order", [False, True])
def test_a_car_t_infusion_coded_also_as_the_harvest_gets_a_card_that_says_so(with_order: bool) -> None:
    # not read as the infusion (it says two things), but not silence either: with no other CAR-T record there was no
    # card at all; beside the product order the card said no infusion was recorded, which one is
    bundle = copy.deepcopy(BUNDLE)
    _resource(bundle, "proc-cart-0001")["code"]["coding"].insert(
        0, {"system": "http://www.ama-assn.org/go/cpt", "code": "38225", "display": "CAR-T therapy; harvesting"})
    if not with_order:
        bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "MedicationRequest"]
    [card], notes = _answer(bundle)
    assert card["source"]["topic"]["code"] == "therapy-not-recognised"
    assert card["summary"].startswith("Not checked: ") and "(BOQX1), 2025-11-18, carries codes that disagree" \
        in card["summary"]  # the CAR-T code, not the harvest's
    assert "Have the record's coding corrected" in card["detail"] and "no infusion recorded" not in card["detail"]
    assert "Procedure/proc-cart-0001: its codes disagree: one is in 'car-t-procedure'" in notes



@pytest.mark.parametrize("infusion_coded", ["by-name", "disagreeing"])
def test_a_harvest_whose_codes_disagree_never_dates_the_card_over_the_infusion(infusion_coded: str) -> None:
    # the harvest (BOQX1 + CPT 38225) 20 days before the infusion: grouped with it as one treatment, it named the
    # harvest's day, and a clinician checking the criteria from it would end the window weeks early
    bundle = copy.deepcopy(BUNDLE)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "MedicationRequest"]
    infusion = _resource(bundle, "proc-cart-0001")
    harvest = copy.deepcopy(infusion)
    harvest["id"], harvest["performedDateTime"] = "proc-harvest-0001", "2025-10-29T09:00:00+01:00"
    harvest["code"] = {"coding": [{"system": "urn:oid:1.2.208.176.2.4", "code": "BOQX1"},
                                  {"system": "http://www.ama-assn.org/go/cpt", "code": "38225"}],
                       "text": "Leukaferese til CAR-T"}
    bundle["entry"].append({"resource": harvest})
    if infusion_coded == "by-name":
        infusion["code"] = {"coding": [{"system": "urn:local", "code": "LOC123"}], "text": "CAR-T-celle infusion"}
    else:
        infusion["code"]["coding"].append({"system": "http://www.ama-assn.org/go/cpt", "code": "38227"})
    [card], _ = _answer(bundle)
    assert card["source"]["topic"]["code"] == "therapy-not-recognised"
    assert "2025-11-18" in card["summary"] and "2025-10-29" not in card["summary"], card["summary"]
    assert "Leukaferese" not in card["summary"]


@pytest.mark.parametrize("coding, note", [
    ([{"system": "urn:local:drugs", "code": "TEC-1"}], "none of its codes is in that value set"),
    ([{"system": "http://www.whocc.no/atc", "code": "L01FX24"}, {"system": "http://www.whocc.no/atc", "code": "L01FX33"}],
     "its codes disagree: one is in 'bispecific-b-pc'"),
])
@pytest.mark.parametrize("intent", ["proposal", "plan", "option"])
def test_a_bsab_proposal_known_by_its_name_or_by_codes_that_disagree_gets_no_card(
        coding: list[dict[str, str]], note: str, intent: str) -> None:
    # a proposal is no order: the same request rightly coded gets no card, and this one got "therapy not checked"
    bundle = json.loads((FIXTURES / "teclistamab-in-window-only-pre-t0-igg.json").read_text())
    order = _resource(bundle, "mr-teclistamab-0002")
    order["medicationCodeableConcept"]["coding"], order["intent"] = coding, intent
    cards, notes = _answer(bundle)
    assert cards == [] and "MedicationRequest/mr-teclistamab-0002: " in notes and note in notes, (cards, notes)
    order["intent"] = "order"  # the same record ordered: the card says it was not checked
    cards, _ = _answer(bundle)
    assert [c["source"]["topic"]["code"] for c in cards] == ["therapy-not-recognised"]


@pytest.mark.parametrize("birth, variant", [(None, "codes-disagree-no-date"), ("2012-05-05", "codes-disagree-no-date-child")])
def test_an_undated_car_t_infusion_coded_also_as_the_harvest_gets_a_card_that_asks_for_both(
        birth: str | None, variant: str) -> None:
    # codes that disagree and no date: it was named by its note only, and a post-CAR-T chart got no card at all
    bundle = copy.deepcopy(BUNDLE)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "MedicationRequest"]
    infusion = _resource(bundle, "proc-cart-0001")
    infusion["code"]["coding"].insert(0, {"system": "http://www.ama-assn.org/go/cpt", "code": "38225",
                                          "display": "CAR-T therapy; harvesting"})
    del infusion["performedDateTime"]
    if birth:
        _resource(bundle, "pt-dk-0001")["birthDate"] = birth
    found = replay(RUNTIME, bundle, at=AT)
    [card] = found.cards
    assert (card["source"]["topic"]["code"], found.advice[0].variant) == ("therapy-undated", variant)
    assert "(BOQX1)" in card["summary"] or birth, card["summary"]  # the CAR-T code, never the harvest's
    assert "38225" not in card["summary"] and "codes that disagree" in card["summary"]
    assert "coding corrected and its day added" in card["detail"]
