"""A CAR-T or bispecific therapy recorded under a code the service does not know.

The drug is named ("Lynozyfic (linvoseltamab)", a local code): a name is not a code, so it opens no window,
but the patient-view card says the criteria could not be applied and which code to add, instead of
showing nothing for a patient who may need immunoglobulin. Once a recognised index event exists, the
normal card comes and names the unrecognised record in its data notes.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

RUNTIME = load_runtime(Settings())
SUBJECT = {"reference": "Patient/pt-named"}
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}


def order(medication: dict[str, Any], status: str = "active", rid: str = "bsab") -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order", "subject": SUBJECT,
            "authoredOn": "2025-11-01", "medicationCodeableConcept": medication,
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-11-03"}}}}]}


def chart(*resources: dict[str, Any], myeloma: bool = True) -> dict[str, Any]:
    found = [{"resourceType": "Patient", "id": "pt-named", "birthDate": "1955-01-01"},
             {"resourceType": "Observation", "id": "igg", "status": "final", "subject": SUBJECT,
              "effectiveDateTime": "2026-01-05", "code": {"coding": [{"system": "http://loinc.org", "code": "2465-3"}]},
              "valueQuantity": {"value": 3.0, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}]
    if myeloma:
        found.append({"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "verificationStatus": CONFIRMED,
                      "onsetDateTime": "2023-01-01",
                      "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C90.0"}]}})
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in (*found, *resources)]}


def cards(b: dict[str, Any], lang: str = "en") -> list[dict[str, Any]]:
    return replay(RUNTIME, b, lang=lang, at=date(2026, 1, 10)).cards  # type: ignore[no-any-return]


LINVOSELTAMAB = {"text": "Lynozyfic (linvoseltamab) 200 mg"}
LOCAL = {"text": "Elrexfio 40 mg/ml", "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                  "code": "LOCAL-77", "display": "Elrexfio 40 mg/ml"}]}


@pytest.mark.parametrize("lang, summary, todo", [
    ("en", "Not checked: “Lynozyfic (linvoseltamab)…”, 2025-11-03, is recorded without a code this service knows",
     "ask the CDS team to record the therapy with a code the service knows"),
    ("da", "Ikke vurderet: “Lynozyfic (linvoseltamab)…”, 2025-11-03, er registreret uden en kode, tjenesten kender",
     "bed CDS-teamet registrere behandlingen med en kode, tjenesten kender"),
])
def test_a_bispecific_known_only_by_its_name_is_said_to_be_unchecked(lang, summary, todo):
    [card] = cards(chart(order(LINVOSELTAMAB)), lang)
    assert card["source"]["topic"]["code"] == "therapy-not-recognised" and card["indicator"] == "info"
    assert card["summary"] == summary and len(card["summary"]) <= 140
    assert todo in card["detail"] and len(card["detail"]) <= 700


def test_a_local_code_is_named_with_its_system_so_the_site_can_add_it():
    [card] = cards(chart(order(LOCAL)))
    assert card["source"]["topic"]["code"] == "therapy-not-recognised"
    assert "(LOCAL-77)" in card["summary"] and "add the code LOCAL-77 (RXNORM)" in card["detail"]
    assert "a bispecific antibody" in card["detail"]


def test_a_car_t_product_given_under_a_local_code_is_named_as_car_t():
    given = {"resourceType": "MedicationAdministration", "id": "cart", "status": "completed", "subject": SUBJECT,
             "effectiveDateTime": "2025-10-20", "medicationCodeableConcept": {"text": "Carvykti infusion"}}
    [card] = cards(chart(given))
    assert card["source"]["topic"]["code"] == "therapy-not-recognised" and "a CAR-T product" in card["detail"]


def test_no_card_where_a_recognised_therapy_would_get_none():
    assert cards(chart(order(LINVOSELTAMAB), myeloma=False)) == []           # no haematological malignancy
    assert cards(chart(order(LINVOSELTAMAB, status="draft"))) == []          # never happened
    assert cards(chart(order(LINVOSELTAMAB, status="cancelled"))) == []
    assert cards(chart(order({"text": "Paracetamol 500 mg"}))) == []       # a name the guideline does not cover


def test_with_a_recognised_index_event_the_normal_card_names_the_unrecognised_one():
    tecvayli = order({"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX24"}]}, rid="tec")
    [card] = cards(chart(tecvayli, order(LINVOSELTAMAB)))
    assert card["source"]["topic"]["code"] == "start-substitution"
    assert "was not recognised by its code" in card["detail"]


@pytest.mark.parametrize("lang, summary, assessed", [
    ("en", "child (13 y): individual assessment", "The criteria do not cover children"),
    ("da", "barn (13 år): individuel vurdering", "Kriterierne omfatter ikke børn"),
])
def test_a_child_is_told_to_assess_individually_not_to_apply_the_criteria(lang, summary, assessed):
    """A 13-year-old (born 2012) on a bispecific known only by its name: §4 leaves children to individual
    assessment, so the card neither sends the clinician to the adult criteria nor speaks of their window."""
    b = chart(order(LINVOSELTAMAB))
    b["entry"][0]["resource"]["birthDate"] = "2012-05-01"
    [card] = cards(b, lang)
    assert card["source"]["topic"]["code"] == "therapy-not-recognised"
    assert card["summary"].endswith(summary) and len(card["summary"]) <= 140
    assert assessed in card["detail"] and "Medicinrådet 2025 §4." in card["detail"]  # §4 on children, not §4.1
    assert "criteria yourself" not in card["detail"] and "kriterierne for immunglobulin" not in card["detail"]
    assert "window" not in card["detail"] and "højrisikoperiode" not in card["detail"]


def test_an_adult_on_the_therapy_day_is_not_a_child():
    """Born 2007-11-03: 18 on 2025-11-03, the day the therapy began: the adult variant."""
    b = chart(order(LINVOSELTAMAB))
    b["entry"][0]["resource"]["birthDate"] = "2007-11-03"
    [card] = cards(b)
    assert "child" not in card["summary"] and "criteria yourself" in card["detail"]


def test_the_card_does_not_repeat_its_own_record_as_a_data_note():
    """The card is about the Lynozyfic order's code: the data note "not recognised by its code" on that same
    order said it again (with the order's written date beside the card's start date); another record known
    only by its name is still named."""
    [card] = cards(chart(order(LINVOSELTAMAB)))
    assert "not recognised by its code" not in card["detail"]
    carvykti = {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
                "performedDateTime": "2025-06-02", "code": {"text": "Carvykti infusion"}}
    [card] = cards(chart(carvykti, order(LINVOSELTAMAB)))
    assert "“Lynozyfic (linvoseltamab)…”, 2025-11-03" in card["summary"]
    assert "“Carvykti infusion” (2025-06-02) was not recognised by its code" in card["detail"]
    assert "Lynozyfic" not in card["detail"].split("**")[-1]


def test_a_car_t_product_order_known_by_name_gets_no_card_as_a_coded_one_gets_none():
    """An order for Carvykti (ciltacabtagene autoleucel) by name only: an order never dates a CAR-T infusion (it is
    written weeks ahead and may be cancelled), so a coded one gets no card; the name-only one said a high-risk
    window had opened on the order's planned start. A Procedure named after a bispecific is a dose given, as a
    coded one (SKS BOHJ19K1) is: known only by its name, it is not checked, and the card says so."""
    coded = order({"coding": [{"system": "http://www.whocc.no/atc", "code": "L01XL05"}]}, rid="cart-order")
    assert cards(chart(coded)) == []
    assert cards(chart(order({"text": "Carvykti (ciltacabtagene autoleucel) infusion"}, rid="cart-order"))) == []
    procedure = {"resourceType": "Procedure", "id": "p", "status": "completed", "subject": SUBJECT,
                 "performedDateTime": "2025-11-03", "code": {"text": "Tecvayli (teclistamab) injection"}}
    [card] = cards(chart(procedure))
    assert card["source"]["topic"]["code"] == "therapy-not-recognised" and "a bispecific antibody" in card["detail"]


def test_the_code_to_add_is_given_whole_in_the_detail():
    """A local code of 34 characters: the summary may shorten it, the request to the CDS team may not."""
    code = "DK-REGION-H-LOCAL-LYNOZYFIC-200MG"
    local = {"text": "Lynozyfic 200 mg", "coding": [{"system": "urn:oid:1.2.208.176.2.99.7", "code": code}]}
    [card] = cards(chart(order(local)))
    assert card["source"]["topic"]["code"] == "therapy-not-recognised"
    assert f"add the code {code} (" in card["detail"].replace("\\", "")


def test_where_the_site_assumes_a_malignancy_the_card_says_so(tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"malignancy_requirement": "assume"}))
    assumed = load_runtime(Settings(data_dir=str(tmp_path), policy_file=str(policy)))
    [card] = replay(assumed, chart(order(LINVOSELTAMAB), myeloma=False), at=date(2026, 1, 10)).cards
    assert card["source"]["topic"]["code"] == "therapy-not-recognised"
    assert "this site assumes one" in card["detail"]


def ivig_draft(rid: str = "ivig-draft", start: str = "2026-01-12") -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": rid, "status": "draft", "intent": "order", "subject": SUBJECT,
            "authoredOn": "2026-01-10",
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": start}}}}]}


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
@pytest.mark.parametrize("lang, summary, todo", [
    ("en", "Not checked: “Lynozyfic (linvoseltamab)…”, 2025-11-03, is recorded without a code this service knows",
     "Check the immunoglobulin criteria yourself"),
    ("da", "Ikke vurderet: “Lynozyfic (linvoseltamab)…”, 2025-11-03, er registreret uden en kode, tjenesten kender",
     "Vurdér selv kriterierne for immunglobulin"),
])
def test_an_ig_order_for_a_patient_whose_therapy_is_known_only_by_name_says_it_was_not_checked(hook, lang, summary,
                                                                                             todo):
    """An IVIG order signed for a myeloma patient on Lynozyfic known only by its name: patient-view says the
    criteria could not be applied; the order screen said nothing at all, so a clinician signing the order
    could take silence for approval. The order gets the same card, tied to the draft."""
    answer = replay(RUNTIME, chart(order(LINVOSELTAMAB)), lang=lang, hook=hook, drafts=[ivig_draft()],
                    at=date(2026, 1, 10))
    [card] = answer.cards
    assert card["source"]["topic"]["code"] == "therapy-not-recognised" and card["indicator"] == "info"
    assert card["summary"] == summary and todo in card["detail"] and len(card["detail"]) <= 700
    [shown] = answer.advice
    assert shown.targets == ("MedicationRequest/ivig-draft",)
    assert "MedicationRequest/ivig-draft" in shown.evidence


def test_an_ig_order_gets_no_such_card_where_patient_view_gets_none():
    """No haematological malignancy, or a name the guideline does not cover: no card, as for a coded therapy."""
    for b in (chart(order(LINVOSELTAMAB), myeloma=False), chart(order({"text": "Paracetamol 500 mg"}))):
        assert replay(RUNTIME, b, hook="order-sign", drafts=[ivig_draft()], at=date(2026, 1, 10)).cards == []


def test_a_child_s_ig_order_is_left_to_individual_assessment():
    b = chart(order(LINVOSELTAMAB))
    b["entry"][0]["resource"]["birthDate"] = "2012-05-01"
    [card] = replay(RUNTIME, b, hook="order-sign", drafts=[ivig_draft()], at=date(2026, 1, 10)).cards
    assert card["source"]["topic"]["code"] == "therapy-not-recognised"
    assert card["summary"].endswith("child (13 y): individual assessment")


def test_two_ig_drafts_get_one_card():
    """The card is about the patient's therapy, not about each order: two drafts (IVIG and SCIG) give one card
    that names both."""
    scig = ivig_draft("scig-draft")
    scig["medicationCodeableConcept"] = {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA01"}]}
    answer = replay(RUNTIME, chart(order(LINVOSELTAMAB)), hook="order-sign", drafts=[ivig_draft(), scig],
                    at=date(2026, 1, 10))
    [card] = answer.cards
    assert card["source"]["topic"]["code"] == "therapy-not-recognised"
    assert answer.advice[0].targets == ("MedicationRequest/ivig-draft", "MedicationRequest/scig-draft")


def test_markup_in_the_drug_name_reads_as_sent_in_the_summary_but_for_html_tags():
    """"<b>Lynozyfic</b>" read "BLynozyfic/b", later "Lynozyfic": the summary is plain text (CDS Hooks), so the name
    reads as the EHR sent it, but for its HTML tags (against an EHR that renders the summary as HTML); the detail
    (markdown) holds no raw tag."""
    [card] = cards(chart(order({"text": "<b>Lynozyfic</b> <i>linvoseltamab</i> 200 mg"})))
    assert card["summary"].startswith("Not checked: “Lynozyfic"), card["summary"]
    assert "<" not in card["summary"] and ">" not in card["summary"], card["summary"]
    assert "<b>" not in card["detail"], card["detail"]


def test_a_bound_in_the_drug_name_keeps_its_angle_bracket_in_the_summary():
    """"Lynozyfic <5 mg" read "Lynozyfic 5 mg" in the summary, a bound read as a dose: an angle bracket before a
    number or a space starts no tag in any HTML renderer, so it stays; one that can ("<b", "</") is removed."""
    [card] = cards(chart(order({"text": "Lynozyfic <5 mg, >= 2 doser <script"})))
    assert card["summary"].startswith("Not checked: “Lynozyfic <5 mg, >= 2 doser"), card["summary"]
    assert "<script" not in card["summary"] and "<s" not in card["summary"], card["summary"]


def test_an_ig_order_known_only_by_its_name_gets_the_same_card():
    """An IVIG drafted under a local code with the name Privigen, for the same patient: the coded IVIG got the card,
    the one known by its name got nothing (silence the card exists to break); one card names both drafts."""
    by_name = ivig_draft("local-ivig")
    by_name["medicationCodeableConcept"] = {"text": "Privigen 100 mg/ml infusionsvæske",
                                            "coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "LOK-1"}]}
    answer = replay(RUNTIME, chart(order(LINVOSELTAMAB)), hook="order-sign", drafts=[by_name], at=date(2026, 1, 10))
    [card] = answer.cards
    assert card["source"]["topic"]["code"] == "therapy-not-recognised"
    assert answer.advice[0].targets == ("MedicationRequest/local-ivig",)
    both = replay(RUNTIME, chart(order(LINVOSELTAMAB)), hook="order-sign", drafts=[ivig_draft(), by_name],
                  at=date(2026, 1, 10))
    assert [c["source"]["topic"]["code"] for c in both.cards] == ["therapy-not-recognised"]
    assert both.advice[0].targets == ("MedicationRequest/ivig-draft", "MedicationRequest/local-ivig")
