"""The errors an integrator meets on a first day name what is wrong and what to do: a wrong URL or
method, a misspelt service id, a sandbox request whose prefetch keys are not this service's, a
bad explanation link, a setting that cannot work, a signed replay call the service refuses."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import httpx
import pytest

from cds_service.errors import ConfigError
from cds_service.http.app import create_app
from cds_service.http.discovery import HOOK_OF, PATIENT_VIEW_ID
from cds_service.settings import load_settings
from cds_service.tools import cli

from .environment import tmp_settings
from .fixtures import FIXTURES
from .servers import ROOT, SettableClock, serve_in_thread

SANDBOX_DATA = ROOT / "tests" / "data"
SANDBOX_REQUEST = json.loads((SANDBOX_DATA / "cds-hooks-sandbox-request-example.json").read_text())
SANDBOX = {"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(ROOT / "config" / "sandbox-trusted-issuers.json"),
           "CDS_LINK_SECRET": "integrator-errors-test-secret-0123456789"}
LOW = str(FIXTURES / "cart-in-window-igg-low.json")


@pytest.fixture(scope="module")
def server():
    clock = SettableClock()
    clock.set(date(2026, 1, 20))
    with serve_in_thread(create_app(tmp_settings(), clock=clock)) as base:
        yield base


def diagnostics(response: httpx.Response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"][0]["diagnostics"]


def test_a_misspelt_service_id_names_the_services_there_are(server):
    for path in ("/cds-services/igsub-patient-vie", "/cds-services/igsub-patient-vie/feedback"):
        response = httpx.post(server + path, json={"feedback": []}, timeout=10)
        assert response.status_code == 404
        message = diagnostics(response)
        assert "'igsub-patient-vie'" in message and "GET /cds-services" in message
        assert all(service_id in message for service_id in HOOK_OF)


def test_a_wrong_path_or_method_names_the_endpoints(server):
    nowhere = httpx.post(f"{server}/cds-service/{PATIENT_VIEW_ID}", json={}, timeout=10)  # 'service', singular
    assert nowhere.status_code == 404
    assert "GET /cds-services" in diagnostics(nowhere) and "POST /cds-services/{id}" in diagnostics(nowhere)
    wrong_method = httpx.get(f"{server}/cds-services/{PATIENT_VIEW_ID}", timeout=10)
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"
    assert "(it answers POST)" in diagnostics(wrong_method) and "POST /cds-services/{id}" in diagnostics(wrong_method)


def test_the_sandbox_request_is_told_which_keys_to_send_and_which_it_sent_are_not_used(server):
    """The captured sandbox call sends its own `labs` key and a fhirServer; without the fhirServer
    the 412 names the keys to send, that the two 1.1.1 keys may be left out, and the unused key."""
    body = {k: v for k, v in SANDBOX_REQUEST["body"].items() if k != "fhirServer"}
    response = httpx.post(f"{server}/cds-services/{PATIENT_VIEW_ID}", json=body, timeout=10)
    assert response.status_code == 412
    message = diagnostics(response)
    assert "prefetch missing for: observations, procedures, medicationRequests, medicationAdministrations, " \
           "conditions (also medicationStatements, diagnosticReports, encounters, which may be left out)" in message
    assert "the request has no fhirServer" in message and "Send every prefetch key GET /cds-services lists" in message
    assert "null when the EHR holds no such data" in message
    assert message.endswith("prefetch keys this service does not use, ignored: 'labs'")


def test_a_fhir_server_that_cannot_be_reached_is_told_what_to_send_instead(server):
    body = {**SANDBOX_REQUEST["body"], "fhirServer": "http://127.0.0.1:1/fhir"}  # nothing listens on port 1
    response = httpx.post(f"{server}/cds-services/{PATIENT_VIEW_ID}", json=body, timeout=10)
    assert response.status_code == 412
    message = diagnostics(response)
    assert message.startswith("could not fetch required data from fhirServer: observations: could not connect")
    assert "Send these keys in prefetch, or a fhirServer the service can reach" in message
    assert message.endswith("ignored: 'labs'")


def test_a_bad_explanation_link_names_the_likely_cause(server):
    response = httpx.get(f"{server}/explain/2f0c6e3a-8d3e-4b57-9a0c-0123456789ab?t=1.AAAA", timeout=10)
    assert response.status_code == 403
    assert "CDS_LINK_SECRET" in diagnostics(response) and "open it from the card" in diagnostics(response)


def test_an_allowed_fhir_server_that_is_not_a_url_stops_start_up():
    """It used to start and then refuse every fhirServer as 'not in the allowed list'."""
    with pytest.raises(ConfigError, match=r"CDS_FHIR_ALLOWED_SERVERS entry 'ehr\.hospital\.dk/fhir' is not a FHIR base "
                                          r"URL like https://"):
        load_settings({"CDS_FHIR_ALLOWED_SERVERS": "https://a.example/fhir, ehr.hospital.dk/fhir"})
    allowed = load_settings({"CDS_FHIR_ALLOWED_SERVERS": "https://a.example/fhir/, http://127.0.0.1:8091"})
    assert allowed.fetch.allowed_base_urls == ("https://a.example/fhir", "http://127.0.0.1:8091")


def test_auth_on_without_a_link_secret_says_how_to_make_one(tmp_path):
    from cds_service.http.explain import link_signer

    settings = dataclasses.replace(load_settings({**SANDBOX, "CDS_LINK_SECRET": ""}), data_dir=str(tmp_path))
    with pytest.raises(ConfigError) as refused:
        link_signer(settings, lambda: 0.0)
    assert "token_urlsafe" in str(refused.value) and "CDS_EXPLAIN_RETENTION_DAYS=0" in str(refused.value)


def test_replay_url_refuses_at_since_the_service_evaluates_as_of_its_own_day(capsys):
    """The heading said 'as of 2026-01-20' over cards the service made for its own today."""
    assert cli.main(["replay", LOW, "--url", "http://127.0.0.1:9", "--at", "2026-01-20"]) == 2
    err = capsys.readouterr().err
    assert "--at cannot be sent with --url" in err and "CDS_EVALUATION_DATE" in err


@pytest.fixture(scope="module")
def secured_server(tmp_path_factory):
    settings = dataclasses.replace(load_settings(SANDBOX), evaluation_date=date(2026, 1, 20),
                                   data_dir=str(tmp_path_factory.mktemp("integrator-auth")))
    with serve_in_thread(create_app(settings)) as base:
        yield base


def test_replay_refused_with_401_names_what_to_check(secured_server, capsys):
    key = str(SANDBOX_DATA / "cds-hooks-sandbox-ec-private-key.pem")
    assert cli.main(["replay", LOW, "--url", secured_server]) == 2
    assert "sign the call with --sign-key PEM --iss ISS --kid KID" in capsys.readouterr().err
    # Without --kid the token names the key's thumbprint, which the sandbox's JWK Set does not use.
    assert cli.main(["replay", LOW, "--url", secured_server, "--sign-key", key,
                     "--iss", "https://sandbox.cds-hooks.org"]) == 2
    err = capsys.readouterr().err
    assert "answered 401: unauthorized" in err and "iss 'https://sandbox.cds-hooks.org'" in err
    assert "kid '" in err and "(--kid;" in err and f"aud '{secured_server}/cds-services/{PATIENT_VIEW_ID}'" in err
    assert cli.main(["replay", LOW, "--url", secured_server, "--sign-key", key, "--iss", "https://sandbox.cds-hooks.org",
                     "--kid", "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f", "--json"]) == 0
    [card] = json.loads(capsys.readouterr().out)["cards"]
    assert card["source"]["topic"]["code"] == "start-substitution"


def test_a_body_not_sent_as_json_is_refused_saying_how_to_send_it(server):
    """curl -d sends a form; a web page can send text/plain without a CORS preflight. Both were evaluated
    (and their cards recorded) as if JSON; now 415 names the header to send. A body with no Content-Type at all
    (which a page can send without a preflight too) is refused the same way, on both routes. JSON types pass."""
    request = json.loads(json.dumps(SANDBOX_REQUEST["body"]))
    body = json.dumps(request).encode()
    for path in (f"/cds-services/{PATIENT_VIEW_ID}", f"/cds-services/{PATIENT_VIEW_ID}/feedback"):
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            response = httpx.post(server + path, content=body, headers={"content-type": content_type}, timeout=10)
            assert response.status_code == 415, (path, content_type)
            assert diagnostics(response) == (f"Content-Type '{content_type}' is not JSON: send the body with "
                                             "Content-Type: application/json (curl: -H 'Content-Type: application/json')")
        response = httpx.post(server + path, content=body, timeout=10)  # no Content-Type header at all
        assert response.status_code == 415, path
        assert diagnostics(response) == ("the request has no Content-Type header: send the body with Content-Type: "
                                         "application/json (curl: -H 'Content-Type: application/json')")
    for content_type in ("application/json; charset=utf-8", "application/fhir+json", "Application/JSON",
                         "application/json+fhir", "text/json"):
        headers = {"content-type": content_type} if content_type else {}
        response = httpx.post(f"{server}/cds-services/{PATIENT_VIEW_ID}", content=body, headers=headers, timeout=10)
        assert response.status_code == 412, content_type  # read as JSON: the sandbox's own keys are not ours


def test_a_local_browser_client_may_ask_for_danish_cards(server):
    """docs/authentication.md, CORS: besides Authorization and Content-Type, Accept-Language passes a preflight."""
    response = httpx.options(f"{server}/cds-services/{PATIENT_VIEW_ID}", headers={
        "Origin": "http://localhost:3000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "accept-language, authorization, content-type"}, timeout=10)
    assert response.status_code == 200 and response.headers["access-control-allow-origin"] == "http://localhost:3000"
    allowed = {h.strip().lower() for h in response.headers["access-control-allow-headers"].split(",")}
    assert {"accept-language", "authorization", "content-type"} <= allowed
    assert "access-control-allow-credentials" not in response.headers


def test_a_policy_file_typo_names_the_file_and_the_parameter_meant(tmp_path):
    from cql_like_rules.errors import RulesError
    from cql_like_rules.parameters import load_parameters

    typo = tmp_path / "policy.json"
    typo.write_text('{"stale_days": 45}')
    with pytest.raises(RulesError) as refused:
        load_parameters(str(typo))
    assert str(refused.value) == (f"policy file {typo}: unknown policy parameter(s): 'stale_days' (did you mean "
                                  "'stale_days_in_window'?); the parameters and their defaults are in "
                                  "cql_like_rules/parameters.py")
    typo.write_text('{"stale_days_in_window": "45"}')
    with pytest.raises(RulesError, match=r"'stale_days_in_window' must be int, not str \(\"45\"\)"):
        load_parameters(str(typo))


def test_a_hook_sent_to_another_hooks_service_is_told_where_the_list_is(server):
    body = {**SANDBOX_REQUEST["body"], "hook": "order-sign"}
    response = httpx.post(f"{server}/cds-services/{PATIENT_VIEW_ID}", json=body, timeout=10)
    assert response.status_code == 400
    assert diagnostics(response) == ("this service answers the 'patient-view' hook, not 'order-sign' "
                                     "(GET /cds-services lists each service's hook)")


@pytest.mark.parametrize(("entry", "auth"), [("http://ehr.hospital.dk/fhir", False), ("http://127.0.0.1:8091", True),
                                             ("https://ehr.hospital.dk:44x/fhir", False)])
def test_an_allowed_fhir_server_the_fetcher_would_never_call_stops_start_up(entry, auth):
    """An http entry (the fetcher calls only https, and http only to loopback with CDS_AUTH off) or a bad port: it
    started, then answered every call with a 412 ('fhirServer must use https' / 'is not in the allowed list')."""
    env = {**SANDBOX, "CDS_FHIR_ALLOWED_SERVERS": entry} if auth else {"CDS_FHIR_ALLOWED_SERVERS": entry}
    with pytest.raises(ConfigError, match=r"CDS_FHIR_ALLOWED_SERVERS entry"):
        load_settings(env)


@pytest.mark.parametrize("fhir_server", ["https://EHR.Hospital.dk/fhir", "https://ehr.hospital.dk:443/fhir/",
                                         "HTTPS://ehr.hospital.dk/fhir"])
def test_an_allowed_fhir_server_matches_in_any_case_and_with_its_default_port(fhir_server):
    """A host name is case-insensitive and :443 is https's port: the same server was refused as not in the list."""
    from cds_service.fhir.fetch import check_server_allowed

    allowed = load_settings({"CDS_FHIR_ALLOWED_SERVERS": "https://ehr.hospital.dk/fhir"}).fetch
    assert check_server_allowed(fhir_server, allowed) is None
    assert check_server_allowed("https://ehr.hospital.dk/FHIR", allowed) is not None  # a path is as written
    assert check_server_allowed("https://ehr.hospital.dk:8443/fhir", allowed) is not None
