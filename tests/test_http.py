"""The HTTP contract over a real uvicorn server: discovery, errors, prefetch semantics, languages."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import httpx
import pytest

from cds_service.http.app import create_app
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.http.hook_route import HookRoute
from cds_service.tools.replay import request_from_bundle

from .environment import tmp_settings
from .fixtures import FIXTURES
from .servers import SettableClock, serve_in_thread

SANDBOX_DATA = Path(__file__).resolve().parent / "data"  # copied from the CDS Hooks Sandbox (data/README.md)
LOW = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())  # at 2026-01-20: start-substitution


@pytest.fixture(scope="module")
def server():
    clock = SettableClock()
    clock.set(__import__("datetime").date(2026, 1, 20))
    with serve_in_thread(create_app(tmp_settings(), clock=clock)) as base:
        yield base


def post(base: str, body, **kw) -> httpx.Response:
    if isinstance(body, (bytes, str)):
        kw.setdefault("headers", {"content-type": "application/json"})
        return httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", content=body, timeout=10, **kw)
    return httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=body, timeout=10, **kw)


def diagnostics(response: httpx.Response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"][0]["diagnostics"]


def test_discovery_lists_patient_view_with_prefetch(server):
    body = httpx.get(f"{server}/cds-services").json()
    assert [s["hook"] for s in body["services"]] == ["patient-view", "order-select", "order-sign"]
    service = body["services"][0]
    assert service["hook"] == "patient-view" and service["id"] == PATIENT_VIEW_ID
    assert service["description"] and service["title"]
    prefetch = service["prefetch"]
    assert set(prefetch) == {"patient", "observations", "procedures", "medicationRequests", "medicationAdministrations",
                             "conditions", "medicationStatements", "diagnosticReports", "encounters"}
    assert prefetch["medicationStatements"].startswith("MedicationStatement?patient={{context.patientId}}")
    assert "600-7" in prefetch["diagnosticReports"] and "NPU17191" in prefetch["diagnosticReports"]  # culture codes
    assert prefetch["encounters"] == "Encounter?patient={{context.patientId}}&class=IMP,ACUTE,NONAC"  # hospital stays
    assert prefetch["patient"] == "Patient/{{context.patientId}}"
    assert "http://loinc.org|2465-3" in prefetch["observations"] and "NPU19814" in prefetch["observations"]
    assert "33358-3" in prefetch["observations"]  # M-protein
    for template in prefetch.values():
        assert "{{context.patientId}}" in template and "context.draftOrders" not in template


def test_cards_for_a_valid_request(server):
    response = post(server, request_from_bundle(LOW))
    assert response.status_code == 200
    [card] = response.json()["cards"]
    assert card["source"]["topic"]["code"] == "start-substitution"


@pytest.mark.parametrize("body, status, words", [
    (b"{not json", 400, "not valid JSON"),
    (b"[]", 400, "JSON object"),
    ({"hook": "order-sign", "hookInstance": "x", "context": {"patientId": "p"}}, 400, "patient-view"),
    ({"hookInstance": "x", "context": {"patientId": "p"}}, 400, "'hook'"),
    ({"hook": "patient-view", "context": {"patientId": "p"}}, 400, "'hookInstance'"),
    ({"hook": "patient-view", "hookInstance": "x"}, 400, "'context'"),
    ({"hook": "patient-view", "hookInstance": "x", "context": {}}, 400, "'context.patientId'"),
    ({"hook": "patient-view", "hookInstance": "x", "context": {"patientId": 5}}, 400, "'context.patientId'"),
    ({"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p"}, "prefetch": []}, 400, "'prefetch'"),
    ({"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p"}, "prefetch": {"patient": 3}}, 400, "prefetch.patient"),
    ({"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p"}, "fhirAuthorization": {"access_token": "t"}}, 400, "fhirServer"),
    (b'{"a":' * 3000 + b"1" + b"}" * 3000, 400, "nested deeper than 200 levels (CDS_MAX_JSON_DEPTH)"),
])
def test_bad_requests_are_400_with_a_message(server, body, status, words):
    response = post(server, body)
    assert response.status_code == status
    assert words in diagnostics(response)


def test_unknown_service_is_404(server):
    response = httpx.post(f"{server}/cds-services/nope", json={}, timeout=10)
    assert response.status_code == 404 and "nope" in diagnostics(response)


def test_wrong_method_has_the_error_shape(server):
    response = httpx.get(f"{server}/cds-services/{PATIENT_VIEW_ID}")
    assert response.status_code == 405 and diagnostics(response)


def test_a_body_sent_in_chunks_is_read_whole(server):
    body = json.dumps(request_from_bundle(LOW)).encode()

    def chunks():
        for start in range(0, len(body), 1000):
            yield body[start:start + 1000]

    response = httpx.post(f"{server}/cds-services/{PATIENT_VIEW_ID}", content=chunks(), headers={"content-type": "application/json"}, timeout=10)
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert [c["source"]["topic"]["code"] for c in response.json()["cards"]] == ["start-substitution"]


@pytest.mark.parametrize("path", ["/cds-services/", f"/cds-services/{PATIENT_VIEW_ID}/x"])
def test_paths_beside_a_hook_are_not_hook_calls(server, path):
    """Never the framework's 307 (a client that does not follow it on POST got nothing): a 404 or 405 saying why.
    `/cds-services/{id}/` is the hook itself (tests/test_trailing_slash_and_media_type.py)."""
    response = httpx.post(f"{server}{path}", json=request_from_bundle(LOW), timeout=10)
    assert response.status_code in (404, 405) and diagnostics(response)


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_documented_route_answers_as_the_hook_route(anyio_backend):
    """HookRoute serves hook calls ahead of FastAPI; the FastAPI route (the OpenAPI one) must agree."""
    clock = SettableClock()
    clock.set(__import__("datetime").date(2026, 1, 20))
    body = json.dumps(request_from_bundle(LOW)).encode()
    answers = []
    for bypass in (False, True):
        target = create_app(tmp_settings(), clock=clock, record_cards=False)
        if bypass:  # the same application without HookRoute: FastAPI routes the call
            target.user_middleware = [m for m in target.user_middleware if m.cls is not HookRoute]
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=target), base_url="http://t") as client:
            response = await client.post(f"/cds-services/{PATIENT_VIEW_ID}", content=body, headers={"accept-language": "da",
                                                                                             "content-type": "application/json"})
        assert response.status_code == 200
        answers.append([{k: v for k, v in card.items() if k != "uuid"} for card in response.json()["cards"]])
    for cards in answers:
        for card in cards:
            for suggestion in card.get("suggestions", []):
                suggestion.pop("uuid")
                for action in suggestion["actions"]:
                    action.get("resource", {}).pop("id", None)
    assert answers[0] == answers[1] and answers[0][0]["source"]["topic"]["code"] == "start-substitution"
    assert "Medicinrådet" in answers[0][0]["detail"] and "**Gør:**" in answers[0][0]["detail"]


def test_absent_prefetch_keys_without_fhir_server_are_412_naming_them(server):
    request = request_from_bundle(LOW)
    del request["prefetch"]["observations"], request["prefetch"]["conditions"]
    response = post(server, request)
    assert response.status_code == 412
    assert "observations" in diagnostics(response) and "conditions" in diagnostics(response)


def test_no_prefetch_at_all_is_412(server):
    request = request_from_bundle(LOW)
    del request["prefetch"]
    assert post(server, request).status_code == 412


def test_null_prefetch_means_no_data(server):
    request = request_from_bundle(LOW)
    for key in request["prefetch"]:
        if key != "patient":
            request["prefetch"][key] = None
    response = post(server, request)
    assert response.status_code == 200 and response.json() == {"cards": []}


def test_operation_outcome_prefetch_is_412(server):
    request = request_from_bundle(LOW)
    request["prefetch"]["observations"] = {"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": "timeout", "diagnostics": "lab system down"}]}
    response = post(server, request)
    assert response.status_code == 412 and "lab system down" in diagnostics(response)


def test_paged_prefetch_is_never_evaluated_as_complete(server):
    request = request_from_bundle(LOW)
    request["prefetch"]["observations"]["link"] = [{"relation": "next", "url": "http://ehr.invalid/next"}]
    response = post(server, request)
    assert response.status_code == 412 and "next link" in diagnostics(response)


def test_warning_outcome_entries_are_ignored(server):
    request = request_from_bundle(LOW)
    request["prefetch"]["observations"]["entry"].append({"resource": {"resourceType": "OperationOutcome", "issue": [{"severity": "warning", "code": "informational"}]}, "search": {"mode": "outcome"}})
    assert post(server, request).status_code == 200


def test_a_prefetch_key_holding_only_other_types_is_412_naming_what_it_held(server):
    """An EHR template error: `observations` holds the Condition search. Read as it came, it was a searchset with no
    IgG, and the card said "No usable IgG: measure IgG" with no note while an IgG existed; the key was not fulfilled
    (CDS Hooks: prefetch is checked against its template), so with no fhirServer to fetch it from the answer is a
    412 naming the key and what it held. The Patient key holding an Observation likewise."""
    request = request_from_bundle(LOW)
    request["prefetch"]["observations"] = copy.deepcopy(request["prefetch"]["conditions"])
    held = len(request["prefetch"]["conditions"]["entry"])
    response = post(server, request)
    assert response.status_code == 412, response.text
    assert f"prefetch 'observations' unusable: it holds Condition ×{held} and no Observation, the type its " \
           "template asks for" in diagnostics(response)
    request = request_from_bundle(LOW)
    request["prefetch"]["patient"] = request["prefetch"]["observations"]["entry"][0]["resource"]
    response = post(server, request)
    assert response.status_code == 412
    assert "prefetch 'patient' unusable: it holds Observation ×1 and no Patient" in diagnostics(response)


def test_a_prefetch_key_with_its_own_type_and_others_is_read(server):
    """A key holding resources of its template's type is read, and a Condition beside them is pooled as the patient's
    Condition: the same card as with each in its own key."""
    request = request_from_bundle(LOW)
    request["prefetch"]["observations"]["entry"] += request["prefetch"]["conditions"]["entry"]
    response = post(server, request)
    assert response.status_code == 200
    assert response.json()["cards"][0]["source"]["topic"]["code"] == "start-substitution"


def test_a_search_holding_only_what_it_includes_is_an_empty_search(server):
    """A search may return the patient beside its matches (`_include=...:patient`): a key holding nothing else found
    nothing of its type, as an empty searchset says, not a template error."""
    request = request_from_bundle(LOW)
    request["prefetch"]["conditions"] = {"resourceType": "Bundle", "type": "searchset",
                                         "entry": [{"resource": request["prefetch"]["patient"]}]}
    response = post(server, request)
    request["prefetch"]["conditions"] = None
    empty = post(server, request)
    assert response.status_code == empty.status_code == 200
    assert [c["summary"] for c in response.json()["cards"]] == [c["summary"] for c in empty.json()["cards"]]


def test_a_patient_prefetch_of_another_patient_is_not_fulfilled(server):
    """The Patient the EHR sent is another patient's: without the right one, age (the child rule) and death
    cannot be checked, so the key is unusable (412 naming it), not dropped with adult rules applied."""
    request = request_from_bundle(LOW)
    request["prefetch"]["patient"] = {**request["prefetch"]["patient"], "id": "someone-else"}
    response = post(server, request)
    assert response.status_code == 412
    assert "prefetch 'patient' unusable: it is Patient/someone-else" in diagnostics(response)


def test_a_search_the_ehr_reports_incomplete_is_not_decided_on(server):
    """A warning of type 'incomplete' in a searchset: results were left out, so the service does not decide
    on the rest as if it were the whole chart (412 naming it, as for a Bundle with a next link)."""
    request = request_from_bundle(LOW)
    request["prefetch"]["observations"]["entry"].append({"resource": {"resourceType": "OperationOutcome", "issue": [
        {"severity": "warning", "code": "incomplete", "diagnostics": "lab archive not reached"}]},
        "search": {"mode": "outcome"}})
    response = post(server, request)
    assert response.status_code == 412 and "incomplete (lab archive not reached)" in diagnostics(response)


def test_invalid_decisive_resource_is_skipped_and_named(server):
    request = request_from_bundle(LOW)
    observations = request["prefetch"]["observations"]["entry"]
    latest = max((e["resource"] for e in observations if e["resource"]["id"] == "obs-igg-0001-b"), key=lambda r: r["id"])
    latest["valueQuantity"]["system"] = 12  # not a uri: invalid FHIR, but readable by the cheap path
    response = post(server, request)
    assert response.status_code == 200
    cards = response.json()["cards"]
    details = " ".join(c["detail"] for c in cards)
    # named by what it is (an IgG, with its day: the card that asks for an IgG says one exists), not by id
    assert "An IgG result (2026-01-13) holds unusable data and was skipped: check it in the EHR" in details, details
    assert "obs-igg-0001-b" not in details
    assert all("3.2 g/L (2026-01-13)" not in c["summary"] for c in cards)  # the invalid value was not used


def test_an_invalid_igg_is_named_as_an_igg_in_danish_too(server):
    """An IgG with a malformed `issued` (not an instant) is skipped whole; the card said "a lab result holds unusable
    data" beside "measure IgG", and a clinician re-ordered an IgG that exists."""
    request = request_from_bundle(LOW)
    for entry in request["prefetch"]["observations"]["entry"]:
        if entry["resource"]["id"] == "obs-igg-0001-b":
            entry["resource"]["issued"] = "2026-01-13 14:00"
    response = post(server, request, headers={"accept-language": "da"})
    assert response.status_code == 200
    details = " ".join(c["detail"] for c in response.json()["cards"])
    assert "Et IgG-svar (2026-01-13) har ubrugelige data og er sprunget over: tjek det i journalen" in details, details


def test_unreadable_resource_is_named(server):
    request = request_from_bundle(LOW)
    bogus = copy.deepcopy(request["prefetch"]["observations"]["entry"][0])
    bogus["resource"]["id"] = "obs-bad-unit"
    bogus["resource"]["valueQuantity"] = {"value": 2.0, "unit": "furlongs", "code": "furlongs"}
    request["prefetch"]["observations"]["entry"].append(bogus)
    response = post(server, request)
    assert response.status_code == 200
    detail = response.json()["cards"][0]["detail"]
    assert "could not be read (no number, no readable unit or no date)" in detail and "obs-bad-unit" not in detail


def test_duplicated_resources_across_keys_count_once(server):
    request = request_from_bundle(LOW)
    request["prefetch"]["conditions"]["entry"] += request["prefetch"]["observations"]["entry"]
    assert [c["source"]["topic"]["code"] for c in post(server, request).json()["cards"]] == ["start-substitution"]


def test_danish_by_accept_language(server):
    response = post(server, request_from_bundle(LOW), headers={"Accept-Language": "da-DK,da;q=0.9,en;q=0.5"})
    [card] = response.json()["cards"]
    assert "kan startes" in card["summary"] and "3,2 g/L" in card["summary"]
    english = post(server, request_from_bundle(LOW), headers={"Accept-Language": "en-GB,da;q=0.5"}).json()["cards"][0]
    assert "may be started" in english["summary"]


@pytest.mark.parametrize("accepted, language", [("da-DK,da;q=0.9,en;q=0.5", "da"), ("en-GB,da;q=0.5", "en"),
                                                (None, "en"), ("fr", "en")])
def test_the_answer_names_the_language_of_its_cards(server, accepted, language):
    """The cards' language follows Accept-Language: the answer says which (Content-Language), and that a cache
    between EHR and service must not hand a Danish answer to an English client (Vary)."""
    response = post(server, request_from_bundle(LOW), headers={"Accept-Language": accepted} if accepted else {})
    assert response.status_code == 200
    assert response.headers["content-language"] == language
    assert "accept-language" in response.headers["vary"].lower()


def test_captured_sandbox_request_asks_for_the_missing_data(server):
    captured = json.loads((SANDBOX_DATA / "cds-hooks-sandbox-request-example.json").read_text())["body"]
    response = post(server, captured)
    assert response.status_code == 412  # the sandbox sent keys of another service; its FHIR server is not running
    assert "observations" in diagnostics(response)


@pytest.mark.parametrize("junk", [
    {"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p"}, "prefetch": {k: {"resourceType": "Bundle", "entry": [1, "x", None, {"resource": [1]}]} for k in ("patient", "observations", "procedures", "medicationRequests", "medicationAdministrations", "conditions")}},
    {"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p"}, "prefetch": {k: {"resourceType": "Observation", "id": "o", "subject": {"reference": "Patient/p"}, "code": {"coding": [{"system": "http://loinc.org", "code": "2465-3"}]}, "status": "final", "effectiveDateTime": "2026-13-45", "valueQuantity": {"value": True}} for k in ("patient", "observations", "procedures", "medicationRequests", "medicationAdministrations", "conditions")}},
])
def test_junk_never_gives_a_500(server, junk):
    assert post(server, junk).status_code in (200, 400, 412)
