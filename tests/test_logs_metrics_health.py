"""Request log lines (fields, privacy), Prometheus metrics, kill switch, liveness/readiness."""

from __future__ import annotations

import dataclasses

import json
import os
from pathlib import Path
from types import SimpleNamespace

import httpx
import orjson
import pytest
import respx

from cds_service.http import app as app_module
from cds_service.http.app import create_app
from cds_service.killswitch import KillSwitch
from cds_service.http.logs import PatientIds
from cds_service.http.metrics import Metrics
from cql_like_rules.advice import Advice, advice
from cql_like_rules.catalogue import CATALOGUE
from cds_service.tools.replay import load_bundle, request_from_bundle
from cds_service.settings import load_settings

pytestmark = pytest.mark.anyio

FIXTURE = Path(__file__).resolve().parent.parent / "fhir_fixtures" / "cart-in-window-igg-low.json"
PATH = "/cds-services/igsub-patient-view"
TOKEN = "secret-access-token-7f3a"
SECRET = "".join(["1704", "611457"])


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def make_app(tmp_path: Path, env: dict | None = None, **settings):
    settings.setdefault("evaluation_date", __import__("datetime").date(2026, 1, 20))
    return create_app(dataclasses.replace(load_settings(env or {}), data_dir=str(tmp_path / "data"), **settings))


async def call(app, method: str, path: str, body=None, headers=None) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        content = body if body is None or isinstance(body, bytes) else orjson.dumps(body)
        if content is not None:  # a body is sent as JSON (CDS Hooks), unless the test says otherwise
            headers = {"content-type": "application/json", **(headers or {})}
        return await client.request(method, path, content=content, headers=headers)


def request_body() -> dict:
    return request_from_bundle(load_bundle(FIXTURE))


def request_lines(captured: str) -> list[dict]:
    lines = [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
    return [line for line in lines if line.get("event") == "request"]


def metric(app, name: str, **labels) -> float:
    value = app.state.metrics.registry.get_sample_value(name, labels)
    return value or 0.0


# -- logs -------------------------------------------------------------------------------------
async def test_one_json_line_per_request_with_the_fields(tmp_path: Path, capsys) -> None:
    app = make_app(tmp_path, log_salt="s1")
    body = request_body()
    capsys.readouterr()
    r = await call(app, "POST", PATH, body)
    assert r.status_code == 200
    [line] = request_lines(capsys.readouterr().err)
    assert line["hookInstance"] == body["hookInstance"]
    assert line["service"] == "igsub-patient-view" and line["status"] == 200
    assert line["advice"] == ["start-substitution"]
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert "patientId" not in line and len(line["patientHash"]) == 16  # default: hashed


@pytest.mark.parametrize("mode", ["plain", "hash", "off"])
async def test_patient_id_modes(tmp_path: Path, capsys, mode: str) -> None:
    body = request_body()
    patient_id = body["context"]["patientId"]
    app = make_app(tmp_path, log_patient_id=mode, log_salt="salt-a")
    capsys.readouterr()
    await call(app, "POST", PATH, body)
    err = capsys.readouterr().err
    [line] = request_lines(err)
    if mode == "plain":
        assert line["patientId"] == patient_id
    else:
        assert patient_id not in err
        assert ("patientHash" in line) == (mode == "hash")


@pytest.mark.parametrize("mode", ["hash", "off"])
async def test_an_error_naming_the_patient_is_logged_without_the_id(tmp_path: Path, capsys, mode: str) -> None:
    """A draft about another patient is refused with a 400 that names the patient, as the client sent it; the log
    line's `error` says the same with the patient's id left out, as CDS_LOG_PATIENT_ID asks."""
    body = request_body()
    patient_id = body["context"]["patientId"]
    draft = {"resourceType": "MedicationRequest", "id": "draft-ivig-1", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/someone-else-77"},
             "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]}}
    body = {**body, "hook": "order-sign",
            "context": {**body["context"], "draftOrders": {"resourceType": "Bundle", "type": "collection",
                                                           "entry": [{"resource": draft}]}}}
    app = make_app(tmp_path, log_patient_id=mode, log_salt="salt-a")
    capsys.readouterr()
    r = await call(app, "POST", "/cds-services/igsub-order-sign", body)
    assert r.status_code == 400 and patient_id in r.text, r.text  # the client is told which patient
    err = capsys.readouterr().err
    [line] = request_lines(err)
    assert line["status"] == 400 and "Patient/…" in line["error"], line
    assert patient_id not in err


def test_patient_hash_is_salted_and_stable() -> None:
    a, b, c = PatientIds("hash", "salt-a"), PatientIds("hash", "salt-a"), PatientIds("hash", "salt-b")
    assert a.field("pt-1") == b.field("pt-1") != c.field("pt-1")
    assert a.field("pt-1") != a.field("pt-2")


async def test_never_a_token_resource_content_or_other_identifier(tmp_path: Path, capsys) -> None:
    body = request_body()
    patient = body["prefetch"]["patient"]
    body["fhirServer"] = "https://elsewhere.example/fhir"  # refused: not the allow-list
    body["fhirAuthorization"] = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300, "scope": "x", "subject": "y"}
    del body["prefetch"]["conditions"]
    app = make_app(tmp_path, env={"CDS_FHIR_ALLOWED_SERVERS": "https://fhir.invalid"})
    capsys.readouterr()
    r = await call(app, "POST", PATH, body)
    assert r.status_code == 412
    ok = await call(app, "POST", PATH, request_body())
    assert ok.status_code == 200
    err = capsys.readouterr().err
    for secret in (TOKEN, patient["identifier"][0]["value"], patient["name"][0]["family"], patient["birthDate"],
                   patient["id"], "elsewhere.example", "Observation/obs-igg"):
        assert secret not in err, secret
    first, second = request_lines(err)
    assert first["status"] == 412 and "error" in first and first["hookInstance"] == body["hookInstance"]


async def test_unexpected_errors_are_logged_without_their_message(tmp_path: Path, capsys, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise ValueError("resource content " + SECRET)  # not a literal: tracebacks show source lines

    monkeypatch.setattr(app_module, "answer", boom)
    app = make_app(tmp_path)
    capsys.readouterr()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False), base_url="http://t") as c:
        r = await c.post(PATH, content=orjson.dumps(request_body()), headers={"content-type": "application/json"})
    assert r.status_code == 500 and r.json()["resourceType"] == "OperationOutcome"
    err = capsys.readouterr().err
    assert SECRET not in err
    [line] = request_lines(err)
    assert line["status"] == 500 and line["error"] == "ValueError"
    assert metric(app, "cds_requests_total", endpoint="service", service="igsub-patient-view", status="500") == 1


async def test_a_request_leaves_only_its_log_fields_in_the_scope(tmp_path: Path) -> None:
    """The server keeps a connection's last scope until its next request: the chart must not stay with it."""
    app = make_app(tmp_path)
    body = orjson.dumps(request_body())
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": PATH, "raw_path": PATH.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/json")], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80)}
    messages = [{"type": "http.request", "body": body, "more_body": False}]
    sent = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    assert sent[0]["status"] == 200
    state = scope["state"]
    assert len(orjson.dumps(state, default=str)) < 500, state  # hookInstance, patient id, advice codes
    assert body[:200] not in orjson.dumps(state, default=str)


# -- metrics ----------------------------------------------------------------------------------
async def test_metrics_count_requests_statuses_latency_and_cards(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    await call(app, "POST", PATH, request_body())
    await call(app, "POST", PATH, b"{")
    await call(app, "POST", "/cds-services/nope", request_body())
    partial = request_body()
    del partial["prefetch"]["conditions"]
    await call(app, "POST", PATH, partial)
    await call(app, "GET", "/cds-services")
    svc = "igsub-patient-view"
    assert metric(app, "cds_requests_total", endpoint="service", service=svc, status="200") == 1
    assert metric(app, "cds_requests_total", endpoint="service", service=svc, status="400") == 1
    assert metric(app, "cds_requests_total", endpoint="service", service="unknown", status="404") == 1
    assert metric(app, "cds_requests_total", endpoint="service", service=svc, status="412") == 1
    assert metric(app, "cds_requests_total", endpoint="discovery", service="", status="200") == 1
    assert metric(app, "cds_request_duration_seconds_count", endpoint="service", service=svc) == 3
    assert metric(app, "cds_cards_total", service=svc, code="start-substitution") == 1
    r = await call(app, "GET", "/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    assert 'cds_requests_total{endpoint="service",service="unknown",status="404"} 1.0' in r.text


async def test_metrics_count_401(tmp_path: Path) -> None:
    env = {"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(Path(__file__).resolve().parent.parent / "config" / "sandbox-trusted-issuers.json"),
           "CDS_PUBLIC_BASE_URL": "http://test", "CDS_LINK_SECRET": "l" * 32}
    app = make_app(tmp_path, env=env)
    r = await call(app, "POST", PATH, request_body())
    assert r.status_code == 401
    assert metric(app, "cds_requests_total", endpoint="service", service="igsub-patient-view", status="401") == 1


@respx.mock
async def test_metrics_count_fhir_fetch_failures(tmp_path: Path) -> None:
    respx.get(url__startswith="https://fhir.invalid/").mock(return_value=httpx.Response(503))
    app = make_app(tmp_path, env={"CDS_FHIR_ALLOWED_SERVERS": "https://fhir.invalid"})
    body = request_body()
    body["fhirServer"] = "https://fhir.invalid"
    del body["prefetch"]["conditions"]
    async with app.router.lifespan_context(app):
        r = await call(app, "POST", PATH, body)
    assert r.status_code == 412
    assert metric(app, "cds_fhir_fetch_failures_total") == 1


# -- kill switch ------------------------------------------------------------------------------
class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def write(path: Path, codes, mtime: float) -> None:
    path.write_text(codes if isinstance(codes, str) else json.dumps(codes))
    os.utime(path, (mtime, mtime))


def card(code: str) -> Advice:
    return advice(code, next(iter(CATALOGUE[code].variants)), "test")


def test_kill_switch_rereads_on_mtime_change_at_most_once_a_second(tmp_path: Path) -> None:
    path, clock = tmp_path / "disabled.json", FakeClock()
    write(path, ["stop-overdue"], 1_000_000)
    ks = KillSwitch(str(path), clock=clock)
    assert ks.apply((card("stop-overdue"), card("measure-igg"))) == ((card("measure-igg"),), ["stop-overdue"])
    write(path, ["measure-igg"], 1_000_010)
    clock.now += 0.5  # within the second: not looked at yet
    assert ks.apply((card("measure-igg"),)) == ((card("measure-igg"),), [])
    clock.now += 0.6
    assert ks.apply((card("measure-igg"), card("stop-overdue"))) == ((card("stop-overdue"),), ["measure-igg"])


def test_kill_switch_keeps_the_last_good_list_on_a_bad_file_and_reenables_on_delete(tmp_path: Path) -> None:
    path, clock, metrics = tmp_path / "disabled.json", FakeClock(), Metrics()
    write(path, ["stop-overdue"], 1_000_000)
    ks = KillSwitch(str(path), metrics.killswitch_errors.inc, clock)
    write(path, '["measure-ig', 1_000_010)  # half written
    clock.now += 2
    assert ks.apply((card("stop-overdue"),)) == ((), ["stop-overdue"])
    assert metrics.registry.get_sample_value("cds_killswitch_reload_errors_total") == 1
    write(path, '{"not": "a list"}', 1_000_020)
    clock.now += 2
    assert ks.apply((card("stop-overdue"),)) == ((), ["stop-overdue"])
    path.unlink()
    clock.now += 2
    assert ks.apply((card("stop-overdue"),)) == ((card("stop-overdue"),), [])


def test_the_kill_switch_knows_every_catalogue_code(tmp_path: Path, caplog) -> None:
    path = tmp_path / "disabled.json"
    path.write_text(json.dumps(list(CATALOGUE)))
    with caplog.at_level("WARNING", logger="cds_service.killswitch"):
        KillSwitch(str(path))
    assert "unknown advice codes" not in caplog.text


async def test_kill_switch_in_the_service(tmp_path: Path, capsys) -> None:
    path = tmp_path / "disabled.json"
    path.write_text('["start-substitution"]')
    app = make_app(tmp_path, disabled_advice_file=str(path))
    capsys.readouterr()
    r = await call(app, "POST", PATH, request_body())
    assert r.status_code == 200 and r.json() == {"cards": []}
    [line] = request_lines(capsys.readouterr().err)
    assert line["advice"] == [] and line["suppressed"] == ["start-substitution"]
    assert metric(app, "cds_cards_suppressed_total", code="start-substitution") == 1
    assert metric(app, "cds_cards_total", service="igsub-patient-view", code="start-substitution") == 0


# -- health -----------------------------------------------------------------------------------
class Store:
    def __init__(self, answer) -> None:
        self.answer = answer

    def ping(self) -> bool:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


async def test_healthz_and_readyz(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    assert (await call(app, "GET", "/healthz")).json() == {"status": "ok"}
    app.state.store = Store(True)
    r = await call(app, "GET", "/readyz")
    assert r.status_code == 200 and r.json() == {"status": "ready", "checks": {"valuesets": True, "database": True}}
    for bad in (False, RuntimeError("database is locked")):
        app.state.store = Store(bad)
        r = await call(app, "GET", "/readyz")
        assert r.status_code == 503 and r.json()["checks"] == {"valuesets": True, "database": False}
        assert (await call(app, "GET", "/healthz")).status_code == 200  # alive, just not ready
    del app.state.store
    r = await call(app, "GET", "/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"valuesets": True}


async def test_readyz_without_value_sets_is_503(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    app.state.store = Store(True)
    app.state.runtime = SimpleNamespace(terminology=None)  # what a failed load would leave
    r = await call(app, "GET", "/readyz")
    assert r.status_code == 503 and r.json()["checks"]["valuesets"] is False
