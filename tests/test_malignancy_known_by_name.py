"""A diagnosis named like a haematological malignancy whose code is in no value set (clinical-rules §1, §7).

The criteria need a haematological malignancy on record (policy 'require': CD19 CAR-T and teclistamab are also
given in autoimmune disease). A lymphoma coded with a SNOMED descendant that the shipped expansion lacks, or with
a local code, is not counted (a name is not a code); before, such a patient with a recognised CAR-T got no card
at all and the diagnosis was named only in replay. The clinician is now told the criteria were not applied and
which code to add, in the patient-view hook, the timeline and the worklist; a recognised diagnosis beside it, a
refuted one, the 'assume' policy or a death leave it out.
"""

from __future__ import annotations

import html
import json
from dataclasses import replace
from datetime import date
from typing import Any

import httpx
import pytest

from cds_service.http.app import create_app
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import load_bundle, replay, request_from_bundle

from .fixtures import FIXTURES
from .servers import SettableClock, serve_in_thread

RUNTIME = load_runtime(Settings())
AT = date(2026, 6, 15)
SUBJECT = {"reference": "Patient/pt-named"}
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}
FIXTURE = FIXTURES / "cart-lymphoma-snomed-code-not-in-value-set-not-checked.json"


def diagnosis(rid: str, coding: list[dict[str, str]], text: str, status: str = "confirmed") -> dict[str, Any]:
    verification = {"coding": [{"system": CONFIRMED["coding"][0]["system"], "code": status}]}
    return {"resourceType": "Condition", "id": rid, "subject": SUBJECT, "verificationStatus": verification,
            "onsetDateTime": "2024-02-01", "code": {"coding": coding, "text": text}}


def chart(*conditions: dict[str, Any], birth: str = "1959-04-04", deceased: str | None = None) -> dict[str, Any]:
    patient: dict[str, Any] = {"resourceType": "Patient", "id": "pt-named", "birthDate": birth}
    if deceased:
        patient["deceasedDateTime"] = deceased
    resources = [
        patient, *conditions,
        {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
         "performedDateTime": "2026-03-01", "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4", "code": "BOQX1"}]}},
        {"resourceType": "Observation", "id": "igg", "status": "final", "subject": SUBJECT,
         "effectiveDateTime": "2026-06-01", "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
         "valueQuantity": {"value": 2.9, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}},
    ]
    return json.loads(json.dumps({"resourceType": "Bundle", "type": "collection",
                                  "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r}
                                            for r in resources]}))


LOCAL = diagnosis("lym", [{"system": "urn:oid:1.2.208.176.2.99", "code": "LYM-DLBCL"}],
                  "Diffust storcellet B-celle lymfom <b>")


@pytest.mark.parametrize("lang, summary, action", [
    ("en", "Not checked: CAR-T 2026-03-01, but the diagnosis “Diffust storcellet B-celle…” (LYM-DLBCL) has a code",
     "ask the CDS team to add the code LYM-DLBCL (urn:oid:1.2.208.176.2.99)"),
    ("da", "Ikke vurderet: CAR-T 2026-03-01, men diagnosen “Diffust storcellet B-celle…” (LYM-DLBCL) har en kode",
     "bed CDS-teamet tilføje koden LYM-DLBCL (urn:oid:1.2.208.176.2.99)"),
])
def test_a_lymphoma_known_only_by_its_local_code_gets_a_card_naming_the_code(lang, summary, action):
    [card] = replay(RUNTIME, chart(LOCAL), lang=lang, at=AT).cards
    assert card["source"]["topic"]["code"] == "malignancy-not-recognised" and card["indicator"] == "info"
    assert card["summary"].startswith(summary) and "LYM-DLBCL" in card["summary"] and len(card["summary"]) <= 140
    assert action in card["detail"].replace("\\", "")  # markdown-escaped EHR text
    assert "<b>" not in card["detail"] and len(card["detail"]) <= 700
    assert "suggestions" not in card or not card["suggestions"]  # nothing to order: the criteria were not applied


def test_a_diagnosis_named_with_no_code_asks_for_a_coded_one():
    named = diagnosis("lym", [], "Follikulært lymfom")
    [card] = replay(RUNTIME, chart(named), at=AT).cards
    assert card["source"]["topic"]["code"] == "malignancy-not-recognised"
    assert "recorded without a code" in card["summary"] and "with a diagnosis code the service knows" in card["detail"]


def test_a_child_is_left_to_individual_assessment():
    [card] = replay(RUNTIME, chart(LOCAL, birth="2010-01-01"), at=AT).cards
    assert card["source"]["topic"]["code"] == "malignancy-not-recognised"
    assert "child (16 y): individual assessment" in card["summary"]


@pytest.mark.parametrize("others, deceased", [
    ((diagnosis("dx", [{"system": "urn:oid:1.2.208.176.2.4.12", "code": "DC833"}], "DLBCL"),), None),  # recognised
    ((), "2026-06-10"),  # died: no advice
])
def test_no_such_card_where_a_recognised_diagnosis_or_a_death_decides(others, deceased):
    codes = [c["source"]["topic"]["code"] for c in replay(RUNTIME, chart(LOCAL, *others, deceased=deceased),
                                                           at=AT).cards]
    assert "malignancy-not-recognised" not in codes
    assert codes == (["start-substitution"] if others else [])


def test_a_refuted_diagnosis_is_no_reason_for_a_card():
    refuted = diagnosis("lym", LOCAL["code"]["coding"], LOCAL["code"]["text"], status="refuted")
    assert replay(RUNTIME, chart(refuted), at=AT).cards == []


def test_a_site_that_assumes_a_malignancy_gets_the_normal_card(tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"malignancy_requirement": "assume"}))
    assumed = load_runtime(Settings(data_dir=str(tmp_path), policy_file=str(policy)))
    [card] = replay(assumed, chart(LOCAL), at=AT).cards
    assert card["source"]["topic"]["code"] == "start-substitution" and "this site assumes one" in card["detail"]


def test_over_http_patient_view_gives_the_card_in_danish_and_its_page_names_the_diagnosis(tmp_path):
    at = date(2025, 12, 10)
    settings = replace(Settings(), evaluation_date=at, data_dir=str(tmp_path / "data"),
                       link_secret="named-malignancy-test-secret-0123456789")
    body = request_from_bundle(load_bundle(FIXTURE), "patient-view", [])
    with serve_in_thread(create_app(settings, clock=SettableClock(at))) as base:
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=body, timeout=20,
                              headers={"Accept-Language": "da"})
        assert response.status_code == 200, response.text
        [card] = response.json()["cards"]
        [link] = card["links"]
        page = httpx.get(link["url"], timeout=60)
    assert card["source"]["topic"]["code"] == "malignancy-not-recognised"
    assert card["summary"] == ("Ikke vurderet: CAR-T 2025-10-01, men diagnosen “B-cell lymphoma” (109979007) har en "
                               "kode, tjenesten ikke kender")
    assert "tilføje koden 109979007 (SNOMED)" in card["detail"]
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "Diagnose ikke genkendt på sin kode (hedder som en kræftsygdom, eller uden navn)" in text and "Condition/cond-bcl-0201" in text


def ig_draft(rid: str, atc: str) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": rid, "status": "draft", "intent": "order", "subject": SUBJECT,
            "authoredOn": "2026-06-15", "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc",
                                                                                "code": atc}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-06-16"}}}}]}


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_immunoglobulin_drafts_get_one_card_saying_the_diagnosis_was_not_checked(hook):
    """An IVIG and an SCIG draft for such a patient: not silence a clinician could take for approval, and not a
    card per draft: one card about the diagnosis, tied to both drafts, with nothing to sign."""
    answer = replay(RUNTIME, chart(LOCAL), hook=hook, drafts=[ig_draft("ivig", "J06BA02"), ig_draft("scig", "J06BA01")],
                    at=AT)
    [card] = answer.cards
    assert card["source"]["topic"]["code"] == "malignancy-not-recognised"
    assert not card.get("suggestions")
    assert answer.advice[0].targets == ("MedicationRequest/ivig", "MedicationRequest/scig")
