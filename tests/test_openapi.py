"""The OpenAPI document describes what the service really answers.

Every fixture's response and every error case is validated (jsonschema, draft 2020-12)
against the schema the document gives for that path, method and status.
"""

from __future__ import annotations

import dataclasses

import json
from datetime import date
from pathlib import Path

import httpx
import orjson
import pytest
from fastapi.routing import APIRoute
from jsonschema import Draft202012Validator

from cds_service.http.app import create_app
from cds_service.tools.replay import load_bundle, request_from_bundle
from cds_service.settings import Settings, load_settings

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = sorted(p for p in (ROOT / "fhir_fixtures").glob("*.json") if not p.name.endswith(".expect.json"))
PV = "/cds-services/igsub-patient-view"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data = tmp_path_factory.mktemp("openapi")
    return create_app(dataclasses.replace(load_settings({"CDS_FHIR_ALLOWED_SERVERS": "https://fhir.invalid"}),
                                          data_dir=str(data), max_resources=200, max_body_bytes=200_000))


@pytest.fixture(scope="module")
def doc(app) -> dict:
    schema = app.openapi()
    json.dumps(schema)  # serialisable as served
    return schema


def validator(doc: dict, path: str, method: str, status: int) -> Draft202012Validator:
    response = doc["paths"][path][method]["responses"][str(status)]
    schema = response["content"]["application/json"]["schema"]
    return Draft202012Validator({**schema, "components": doc["components"]})


def check(doc: dict, path: str, method: str, response: httpx.Response) -> None:
    """The status is documented for the operation and the body matches its schema."""
    documented = doc["paths"][path][method]["responses"]
    assert str(response.status_code) in documented, (path, response.status_code, response.text[:200])
    assert response.headers["content-type"].startswith("application/json")
    errors = list(validator(doc, path, method, response.status_code).iter_errors(response.json()))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


async def send(app, method: str, path: str, body=None, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        content = body if body is None or isinstance(body, bytes) else orjson.dumps(body)
        if content is not None:  # a body is sent as JSON (CDS Hooks), unless the test says otherwise
            kwargs["headers"] = {"content-type": "application/json", **kwargs.get("headers", {})}
        return await client.request(method, path, content=content, **kwargs)


def request_for(path: Path, evaluation: str | None = None) -> dict:
    return request_from_bundle(load_bundle(path))


# -- the document itself ----------------------------------------------------------------------
def test_every_route_is_documented_with_its_statuses(app, doc: dict) -> None:
    documented = {(p, m.upper()) for p, item in doc["paths"].items() for m in item}
    for route in app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            for method in route.methods:
                assert (route.path, method) in documented or route.path == "/cds-services/{service_id}"
    assert {"/cds-services/igsub-patient-view", "/cds-services/igsub-order-select", "/cds-services/igsub-order-sign"} <= set(doc["paths"])
    statuses = sorted(doc["paths"][PV]["post"]["responses"])
    assert statuses == ["200", "400", "408", "412", "413", "415", "431"]  # no 401: this app runs without CDS_AUTH
    catch_all = doc["paths"]["/cds-services/{service_id}"]["post"]
    assert sorted(catch_all["responses"]) == ["404", "408", "413", "415", "431"]
    [parameter] = catch_all["parameters"]
    assert parameter["name"] == "service_id" and parameter["in"] == "path" and parameter["required"]
    assert "igsub-patient-view" in parameter["schema"]["not"]["enum"]
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status[0] == "4":
                    assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/OperationOutcome"}, (path, method, status)
            for name in (p.strip("{}") for p in path.split("/") if p.startswith("{")):
                assert any(p["name"] == name and p["in"] == "path" for p in operation.get("parameters", [])), (path, method)
    for item in doc["paths"].values():
        for operation in item.values():
            assert "422" not in operation["responses"]  # the service answers 400, never 422
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_request_models_per_hook(doc: dict) -> None:
    schemas = doc["components"]["schemas"]
    pv = schemas["PatientViewRequest"]
    assert pv["properties"]["hook"]["const"] == "patient-view"
    assert set(pv["required"]) == {"hook", "hookInstance", "context"}
    assert pv["dependentRequired"] == {"fhirAuthorization": ["fhirServer"]}
    context = schemas["PatientViewContext"]
    assert set(context["properties"]) == {"userId", "patientId", "encounterId"}
    assert set(context["required"]) == {"userId", "patientId"}
    assert set(schemas["PatientViewPrefetch"]["properties"]) == {
        "patient", "observations", "procedures", "medicationRequests", "medicationAdministrations", "conditions",
        "medicationStatements", "diagnosticReports", "encounters"}
    assert "selections" in schemas["OrderSelectContext"]["required"]
    for name in ("Card", "Suggestion", "Action", "Link", "Coding", "Source", "OperationOutcome"):
        assert schemas[name]["additionalProperties"] is False, name
    card = schemas["Card"]["properties"]
    assert card["summary"]["maxLength"] == 140
    assert {"overrideReasons", "selectionBehavior", "extension", "links", "suggestions"} <= set(card)


def test_fixture_requests_match_the_request_model(doc: dict) -> None:
    v = Draft202012Validator({"$ref": "#/components/schemas/PatientViewRequest", "components": doc["components"]})
    for path in FIXTURES:
        errors = list(v.iter_errors(request_for(path)))
        assert not errors, (path.name, errors[0].message)


# -- responses --------------------------------------------------------------------------------
@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
async def test_every_fixture_response_matches_the_schema(app, doc: dict, fixture: Path) -> None:
    expect = json.loads(fixture.with_name(fixture.stem + ".expect.json").read_text())
    at = date.fromisoformat(expect["at"])
    dated = create_app(Settings(data_dir=str(app.state.runtime.settings.data_dir), evaluation_date=at))
    for lang in ("en", "da"):
        r = await send(dated, "POST", PV, request_for(fixture), headers={"accept-language": lang})
        assert r.status_code == 200
        check(doc, PV, "post", r)
        assert sorted(c["source"]["topic"]["code"] for c in r.json()["cards"]) == sorted(expect["expected"])


def _deep() -> bytes:
    return b'{"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "p"}, "extension": ' + b"[" * 1100 + b"]" * 1100 + b"}"


def _partial() -> dict:
    body = request_for(FIXTURES[0])
    del body["prefetch"]["conditions"]
    return body


def _too_many() -> dict:
    body = request_for(FIXTURES[0])
    body["prefetch"]["conditions"]["entry"] *= 300
    return body


def _refused_server() -> dict:
    body = _partial()
    body["fhirServer"] = "https://not-allowed.example/fhir"
    return body


ERROR_CASES = {
    "not-json": (PV, b"{", 400),
    "not-an-object": (PV, b"[]", 400),
    "wrong-hook": (PV, {"hook": "order-sign", "hookInstance": "x", "context": {"patientId": "p"}}, 400),
    "no-context": (PV, {"hook": "patient-view", "hookInstance": "x"}, 400),
    "reference-as-patient-id": (PV, {"hook": "patient-view", "hookInstance": "x", "context": {"patientId": "Patient/p"}}, 400),
    "too-deep": (PV, _deep(), 400),
    "unknown-service": ("/cds-services/no-such-service", {}, 404),
    "prefetch-missing": (PV, _partial(), 412),
    "fhir-server-refused": (PV, _refused_server(), 412),
    "body-too-large": (PV, b" " * 200_001, 413),
    "too-many-resources": (PV, _too_many(), 413),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
async def test_error_responses_match_the_schema(app, doc: dict, case: str) -> None:
    path, body, status = ERROR_CASES[case]
    r = await send(app, "POST", path, body)
    assert r.status_code == status, r.text
    documented_path = path if path in doc["paths"] else "/cds-services/{service_id}"
    check(doc, documented_path, "post", r)
    assert r.json()["resourceType"] == "OperationOutcome"


async def test_401_is_documented_when_auth_is_on_and_matches_the_schema(tmp_path: Path) -> None:
    env = {"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(ROOT / "config" / "sandbox-trusted-issuers.json"),
           "CDS_PUBLIC_BASE_URL": "http://test", "CDS_LINK_SECRET": "l" * 32}
    secured = create_app(dataclasses.replace(load_settings(env), data_dir=str(tmp_path)))
    doc = secured.openapi()
    for method, path in (("GET", "/cds-services"), ("POST", PV), ("GET", PV), ("POST", "/cds-services/other")):
        r = await send(secured, method, path, {} if method == "POST" else None)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        check(doc, path if path in doc["paths"] else "/cds-services/{service_id}", method.lower(), r)
    for path, item in doc["paths"].items():
        for operation in item.values():
            assert ("401" in operation["responses"]) == path.startswith("/cds-services"), path


def concrete(path: str) -> str:
    return path.replace("{service_id}", "igsub-patient-view").replace("{card_uuid}", "00000000-0000-4000-8000-000000000000")


@pytest.mark.parametrize("method", ["GET", "PUT", "POST", "DELETE", "PATCH"])
async def test_every_405_names_the_allowed_methods_and_is_documented(app, doc: dict, method: str) -> None:
    """Each route, each method it does not serve: 405, an Allow header, the OperationOutcome, as documented."""
    seen = 0
    for route in app.routes:
        methods = getattr(route, "methods", None)
        if not methods or method in methods:
            continue  # every route, documented (the API) or not (/openapi.json, /docs)
        r = await send(app, method, concrete(route.path))
        assert r.status_code == 405, (method, route.path, r.status_code)
        allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())  # HEAD wherever GET (head.py)
        assert set(r.headers["allow"].replace(" ", "").split(",")) == allowed, (route.path, r.headers.get("allow"))
        assert r.json()["issue"][0]["code"] == "not-supported"
        documented = [p for p in doc["paths"] if p == route.path or concrete(p) == concrete(route.path)]
        for path in documented:
            check(doc, path, method.lower(), r)
            assert "Allow" in doc["paths"][path][method.lower()]["responses"]["405"]["headers"]
        seen += 1
    assert seen >= (2 if method == "GET" else 7)


async def test_413_and_431_are_documented_everywhere_and_answered_before_routing(app, doc: dict) -> None:
    for path, item in doc["paths"].items():
        for method in item:
            big_header = await send(app, method.upper(), concrete(path), headers={"x-big": "h" * 40_000})
            assert big_header.status_code == 431, (method, path)
            check(doc, path, method, big_header)
    declared = await send(app, "GET", "/healthz", headers={"content-length": "999999999"})
    assert declared.status_code == 413
    check(doc, "/healthz", "get", declared)


async def test_discovery_and_health_match_the_schema(app, doc: dict) -> None:
    for path in ("/cds-services", "/healthz", "/readyz"):
        r = await send(app, "GET", path)
        check(doc, path, "get", r)
    r = await send(app, "GET", "/metrics")
    assert r.status_code == 200 and "text/plain" in doc["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
