"""The /cds-services paths with a trailing slash, and a body with no Content-Type, through the real app.

`POST /cds-services/{id}/` answered 307 (Starlette's slash redirect): an EHR whose HTTP client does not follow a
redirect on POST got no cards. It is now answered as `/cds-services/{id}`; so are discovery, feedback and
`POST /cds-services/` (which answers as `POST /cds-services`: a 405 naming GET). A hook call or feedback with no
Content-Type was read as JSON in every mode; CDS Hooks says application/json: 415 naming the header, on both
routes, with and without authentication."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import httpx
import pytest

from cds_service.http.app import create_app
from cds_service.http.discovery import ORDER_SIGN_ID, PATIENT_VIEW_ID
from cds_service.http.trailing_slash import without_trailing_slash
from cds_service.settings import load_settings
from cds_service.tools.replay import request_from_bundle

from .environment import tmp_settings
from .fixtures import FIXTURES
from .servers import serve_in_thread
from .test_auth_app import ENV, token

AT = date(2026, 1, 20)
JSON = {"content-type": "application/json"}


def body() -> dict:
    return request_from_bundle(json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text()))


@pytest.fixture(scope="module")
def server():
    with serve_in_thread(create_app(dataclasses.replace(tmp_settings(), evaluation_date=AT))) as base:
        yield base


def test_the_paths_with_a_trailing_slash_answer_as_the_plain_ones(server):
    plain = httpx.get(f"{server}/cds-services", timeout=10)
    slashed = httpx.get(f"{server}/cds-services/", timeout=10)  # follow_redirects is off in httpx
    assert slashed.status_code == 200 and slashed.json() == plain.json()
    for path in (f"/cds-services/{PATIENT_VIEW_ID}/", f"/cds-services/{PATIENT_VIEW_ID}//"):
        response = httpx.post(server + path, json=body(), timeout=10)
        assert response.status_code == 200, (path, response.status_code, response.text[:200])
        assert [c["source"]["topic"]["code"] for c in response.json()["cards"]] == ["start-substitution"]
        assert response.headers.get("content-language") == httpx.post(  # the hook route's own headers, as plain
            f"{server}/cds-services/{PATIENT_VIEW_ID}", json=body(), timeout=10).headers.get("content-language")
    order = httpx.post(f"{server}/cds-services/{ORDER_SIGN_ID}/", json=body(), timeout=10)
    assert order.status_code == 400 and "'order-sign' hook" in order.text  # routed to the service: its own answer
    feedback = httpx.post(f"{server}/cds-services/{PATIENT_VIEW_ID}/feedback/", json={"feedback": []}, timeout=10)
    assert feedback.status_code != 307 and feedback.status_code == httpx.post(
        f"{server}/cds-services/{PATIENT_VIEW_ID}/feedback", json={"feedback": []}, timeout=10).status_code


def test_a_post_to_discovery_is_a_405_naming_get_not_a_redirect(server):
    for path in ("/cds-services", "/cds-services/"):
        response = httpx.post(server + path, json=body(), timeout=10)
        assert response.status_code == 405, path
        assert "GET" in response.headers["allow"] and "POST /cds-services/{id}" in response.text


def test_an_unknown_service_with_a_slash_is_named_as_unknown(server):
    response = httpx.post(f"{server}/cds-services/no-such-service/", json=body(), timeout=10)
    assert response.status_code == 404 and PATIENT_VIEW_ID in response.text


def test_only_cds_services_paths_lose_their_slash():
    assert without_trailing_slash("/cds-services/") == "/cds-services"
    assert without_trailing_slash("/cds-services/x/feedback/") == "/cds-services/x/feedback"
    assert without_trailing_slash("/healthz/") == "/healthz/" and without_trailing_slash("/cds-servicesx/") == "/cds-servicesx/"
    assert without_trailing_slash("/cds-services/x") == "/cds-services/x"


def test_a_body_with_no_content_type_is_refused_naming_the_header(server):
    raw = json.dumps(body()).encode()
    for path in (f"/cds-services/{PATIENT_VIEW_ID}", f"/cds-services/{PATIENT_VIEW_ID}/feedback"):
        response = httpx.post(server + path, content=raw, timeout=10)
        assert response.status_code == 415, path
        assert "no Content-Type header" in response.text and "application/json" in response.text
    assert httpx.post(f"{server}/cds-services/{PATIENT_VIEW_ID}", content=raw, headers=JSON,
                      timeout=10).status_code == 200


def test_with_authentication_the_slash_path_is_the_one_the_token_names_and_no_content_type_is_refused(tmp_path):
    settings = dataclasses.replace(load_settings(ENV), evaluation_date=AT, data_dir=tmp_settings().data_dir)
    with serve_in_thread(create_app(settings)) as base:
        url = f"{base}/cds-services/{PATIENT_VIEW_ID}/"
        ok = httpx.post(url, json=body(), headers={"Authorization": f"Bearer {token(url)}"}, timeout=10)
        assert ok.status_code == 200 and ok.json()["cards"]
        plain = f"{base}/cds-services/{PATIENT_VIEW_ID}"
        refused = httpx.post(plain, content=json.dumps(body()).encode(),
                             headers={"Authorization": f"Bearer {token(plain)}"}, timeout=10)
        assert refused.status_code == 415 and "no Content-Type header" in refused.text
