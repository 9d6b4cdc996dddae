"""The service with no prefetch fetches from a real FHIR server, as a real EHR connection would."""

from __future__ import annotations

import json
import uuid
from datetime import date

import httpx
import pytest

from cds_service.http.app import create_app
from cds_service.settings import FetchSettings
from cds_service.tools.replay import request_for
from cds_service.http.discovery import ORDER_SIGN_ID, PATIENT_VIEW_ID

from .environment import tmp_settings
from .fhir_server import running_fhir_server
from .fixtures import load_fixtures
from .servers import ROOT, SettableClock, serve_in_thread

# These tests are about what is fetched, not how fast: a loaded machine must not time the test FHIR server out.
UNHURRIED = FetchSettings(development=True, connect_timeout=2.0, total_timeout=10.0)

TOKEN = "e2e-" + uuid.uuid4().hex
CASES = ["cart-in-window-igg-low", "cart-ig-active-stop-overdue", "wrong-patient-observation-dropped",
         "us-loinc-mgdl-cart-in-window", "teclistamab-ig-on-hold-in-window",
         "cart-home-scig-medication-statement-general-stop-review",
         "pneumonia-unspecified-culture-reported-as-diagnostic-report-only"]
FIXTURES = {f.name: f for f in load_fixtures()}


@pytest.fixture(scope="module")
def service():
    clock = SettableClock()
    with serve_in_thread(create_app(tmp_settings(fetch=UNHURRIED), clock=clock, record_cards=False)) as base:
        yield base, clock


AUTHORIZATION = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300, "scope": "patient/*.read",
                 "subject": "igsub-cds"}


def hook_request(fhir: str, patient_id: str, authorized: bool = True) -> dict:
    """A patient-view call with no prefetch: the service fetches everything from `fhir`."""
    return {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "fhirServer": fhir,
            **({"fhirAuthorization": dict(AUTHORIZATION)} if authorized else {}),
            "context": {"userId": "Practitioner/x", "patientId": patient_id}}


def fixture_chart(service, name: str) -> tuple[str, list[dict], dict]:
    """The service's base URL with its clock on the fixture's day, the fixture's resources and its Patient."""
    fixture = FIXTURES[name]
    resources = [e["resource"] for e in fixture.bundle["entry"]]
    base, clock = service
    clock.set(fixture.at)
    return base, resources, next(r for r in resources if r["resourceType"] == "Patient")


@pytest.mark.parametrize("name", CASES)
def test_absent_prefetch_is_fetched_from_the_fhir_server(service, name):
    fixture = FIXTURES[name]
    base, resources, patient = fixture_chart(service, name)
    with running_fhir_server(resources, bearer_token=TOKEN) as fhir:
        request = hook_request(fhir, patient["id"])
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=request, timeout=20)
        assert response.status_code == 200, response.text
        assert sorted(c["source"]["topic"]["code"] for c in response.json()["cards"]) == sorted(fixture.expected)
        # a wrong token: the FHIR server answers 401, and the service answers 412 naming it, never partial cards
        request["fhirAuthorization"]["access_token"] = "wrong"
        refused = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=request, timeout=20)
        assert refused.status_code == 412
        message = refused.json()["issue"][0]["diagnostics"]
        assert "401" in message and "wrong" not in message and TOKEN not in message


def call_without_prefetch(base: str, fhir_server: str) -> httpx.Response:
    request = {"hook": "patient-view", "hookInstance": str(uuid.uuid4()), "fhirServer": fhir_server,
               "context": {"userId": "Practitioner/x", "patientId": "p"}}
    return httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=request, timeout=20)


def test_unreachable_fhir_server_is_412(service):
    base, _ = service
    response = call_without_prefetch(base, "http://127.0.0.1:9/fhir")
    assert response.status_code == 412 and "patient" in response.json()["issue"][0]["diagnostics"]


def test_non_loopback_http_server_is_refused_without_contact(service):
    base, _ = service
    response = call_without_prefetch(base, "http://ehr.invalid/fhir")
    assert response.status_code == 412 and "refused" in response.json()["issue"][0]["diagnostics"]


def test_a_draft_naming_a_medication_only_the_fhir_server_holds_is_judged_with_it(service):
    """order-sign without prefetch: the chart and the Medication the draft names are read from the server."""
    fixture = FIXTURES["cart-in-window-igg-low"]
    resources = [e["resource"] for e in fixture.bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    medication = {"resourceType": "Medication", "id": "m-ivig",
                  "code": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]}}
    draft = json.loads((ROOT / "fhir_fixtures" / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
    draft.pop("medicationCodeableConcept", None)
    base, clock = service
    clock.set(date(2026, 1, 20))
    with running_fhir_server([*resources, medication], bearer_token=TOKEN) as fhir:
        def sign(reference: str) -> httpx.Response:
            order = {**draft, "medicationReference": {"reference": reference}}
            request = {"hook": "order-sign", "hookInstance": str(uuid.uuid4()), "fhirServer": fhir,
                       "fhirAuthorization": {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300,
                                             "scope": "patient/*.read", "subject": "igsub-cds"},
                       "context": {"userId": "Practitioner/x", "patientId": patient["id"],
                                   "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                                   "entry": [{"resource": order}]}}}
            return httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=20)

        response = sign("Medication/m-ivig")
        assert response.status_code == 200, response.text
        assert [c["source"]["topic"]["code"] for c in response.json()["cards"]] == ["order-meets-criteria"]
        missing = sign("Medication/m-nowhere")  # the server answers 404: the draft cannot be judged
        assert missing.status_code == 412, missing.text
        said = missing.json()["issue"][0]["diagnostics"]
        assert "Medication/m-nowhere" in said and "404" in said and TOKEN not in said


def test_each_medication_read_stands_alone_and_a_deleted_one_is_told_from_one_never_there(service):
    """order-sign without prefetch, the real FHIR server holding the IVIG's Medication and a paracetamol's one that
    was deleted (the server answers its read 410 Gone): the IVIG is judged, its card naming the paracetamol whose drug
    record was deleted; one naming a Medication never stored (404) is named as not found. Alone, the IVIG naming the
    deleted record is a 412 saying so. Before, one failed read failed all: 412 and no card, 404 and 410 alike."""
    fixture = FIXTURES["cart-in-window-igg-low"]
    resources = [e["resource"] for e in fixture.bundle["entry"]]
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    atc = "http://www.whocc.no/atc"
    medications = [{"resourceType": "Medication", "id": "m-ivig", "code": {"coding": [{"system": atc, "code": "J06BA02"}]}},
                   {"resourceType": "Medication", "id": "m-para", "code": {"coding": [{"system": atc, "code": "N02BE01"}]}},
                   {"resourceType": "Medication", "id": "m-gone", "code": {"coding": [{"system": atc, "code": "J06BA02"}]}}]
    ivig = json.loads((ROOT / "fhir_fixtures" / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
    para = json.loads((ROOT / "fhir_fixtures" / "drafts" / "paracetamol-pt-dk-0001.draft.json").read_text())
    for draft in (ivig, para):
        draft.pop("medicationCodeableConcept", None)
    base, clock = service
    clock.set(date(2026, 1, 20))
    with running_fhir_server([*resources, *medications], bearer_token=TOKEN) as fhir:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        for gone in ("m-para", "m-gone"):
            assert httpx.delete(f"{fhir}/Medication/{gone}", headers=auth, timeout=10).status_code in (200, 204)
        assert httpx.get(f"{fhir}/Medication/m-para", headers=auth, timeout=10).status_code == 410

        def sign(*orders: tuple[dict, str], lang: str = "en") -> httpx.Response:
            entries = [{"resource": {**order, "medicationReference": {"reference": ref}}} for order, ref in orders]
            request = {"hook": "order-sign", "hookInstance": str(uuid.uuid4()), "fhirServer": fhir,
                       "fhirAuthorization": {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300,
                                             "scope": "patient/*.read", "subject": "igsub-cds"},
                       "context": {"userId": "Practitioner/x", "patientId": patient["id"],
                                   "draftOrders": {"resourceType": "Bundle", "type": "collection", "entry": entries}}}
            return httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=20,
                              headers={"Accept-Language": lang})

        for reference, en, da in (
                ("Medication/m-para", "The drug record an order names has been deleted in the EHR",
                 "Lægemiddelregistreringen, som en ordination henviser til, er slettet i journalen"),
                ("Medication/m-nowhere", "The drug record an order names was not found in the EHR",
                 "Lægemiddelregistreringen, som en ordination henviser til, blev ikke fundet i journalen")):
            for lang, words in (("en", en), ("da", da)):
                response = sign((ivig, "Medication/m-ivig"), (para, reference), lang=lang)
                assert response.status_code == 200, response.text
                [card] = response.json()["cards"]
                assert card["source"]["topic"]["code"] == "order-meets-criteria" and words in card["detail"], card
        alone = sign((ivig, "Medication/m-gone"))
        assert alone.status_code == 412, alone.text
        said = alone.json()["issue"][0]["diagnostics"]
        assert "410 Gone: Medication/m-gone was deleted there" in said and TOKEN not in said


def test_a_patient_the_fhir_server_does_not_hold_is_412_not_an_empty_answer(service):
    """An id that is not the patient's FHIR id (an MRN, say), or a prefetch sent for another patient beside a
    fhirServer: the Patient read answers 404, every search is empty or another's, and an answer of no cards would
    say nothing of why. The 412 names the id."""
    base, resources, patient = fixture_chart(service, "cart-in-window-igg-low")
    with running_fhir_server(resources, bearer_token=TOKEN) as fhir:
        request = hook_request(fhir, "mrn-0101601234")
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=request, timeout=20)
        assert response.status_code == 412, response.text
        message = response.json()["issue"][0]["diagnostics"]
        assert "no Patient/mrn-0101601234 (404 or 410)" in message and "context.patientId" in message
        # the prefetch of the patient the server holds, sent under the wrong id: the same 412, not another's data
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json={**request, "prefetch": {"patient": patient}},
                              timeout=20)
        assert response.status_code == 412 and "no Patient/mrn-0101601234" in response.text


def test_a_412_says_what_the_fhir_servers_answers_point_at(service):
    """A server that wants a token the request did not carry (401), and a fhirServer that is not the FHIR base
    (every search 404): the 412 says what to change, not only which keys failed."""
    base, resources, patient = fixture_chart(service, "cart-in-window-igg-low")
    with running_fhir_server(resources, bearer_token=TOKEN) as fhir:
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}",
                              json=hook_request(fhir, patient["id"], authorized=False), timeout=20)
        assert response.status_code == 412 and "answered 401" in response.text
        assert "The request carried no fhirAuthorization" in response.text
        root = fhir.rsplit("/", 1)[0] + "/"  # the server's root, not its FHIR base
        assert root != fhir + "/"
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=hook_request(root, patient["id"]),
                              timeout=20)
        assert response.status_code == 412, response.text
        assert "check that fhirServer is the FHIR base URL" in response.text


def test_a_patient_the_fhir_server_does_not_hold_beside_a_prefetch_of_their_records_is_read(service):
    """Every key but `patient` sent in prefetch, and a FHIR server (a facade, or one that hides the Patient from this
    token) that answers the Patient read 404: the records are the patient's, so they are read, as with `patient:
    null` (the card says the age and death were not checked), not refused."""
    base, resources, patient = fixture_chart(service, "cart-in-window-igg-low")
    sent = request_for(patient["id"], [{"resource": r} for r in resources])["prefetch"]
    del sent["patient"]
    with running_fhir_server([], bearer_token=TOKEN) as fhir:
        request = {**hook_request(fhir, patient["id"]), "prefetch": sent}
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=request, timeout=20)
    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    assert card["source"]["topic"]["code"] == "start-substitution" and "No patient record" in card["detail"]

