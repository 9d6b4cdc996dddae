"""Authentication wired into the real service: a real server, tokens signed as the sandbox signs them."""

from __future__ import annotations

import dataclasses

import time
import uuid
from datetime import date

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from cds_service.http.app import create_app
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.tools.replay import request_from_bundle
from cds_service.errors import ConfigError
from cds_service.settings import load_settings

from .environment import tmp_settings
from .fixtures import FIXTURES
from .servers import ROOT, serve_in_thread

SANDBOX_DATA = ROOT / "tests" / "data"  # copied from the CDS Hooks Sandbox (data/README.md)
KEY = serialization.load_pem_private_key((SANDBOX_DATA / "cds-hooks-sandbox-ec-private-key.pem").read_bytes(), password=None)
ENV = {"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(ROOT / "config" / "sandbox-trusted-issuers.json"),
       "CDS_CORS_ORIGINS": "https://sandbox.cds-hooks.org", "CDS_LINK_SECRET": "l" * 32}


def token(aud: str) -> str:
    now = int(time.time())
    return jwt.encode(
        {"iss": "https://sandbox.cds-hooks.org", "aud": aud, "exp": now + 300, "iat": now, "jti": str(uuid.uuid4())},
        KEY, algorithm="ES384",
        headers={"kid": "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f", "typ": "JWT", "jku": "https://sandbox.cds-hooks.org/.well-known/jwks.json"},
    )


@pytest.fixture(scope="module")
def server():
    with serve_in_thread(create_app(dataclasses.replace(load_settings(ENV), evaluation_date=date(2026, 1, 20),
                                                         data_dir=tmp_settings().data_dir))) as base:
        yield base


def test_discovery_and_service_need_a_valid_token(server):
    assert httpx.get(f"{server}/cds-services").status_code == 401
    ok = httpx.get(f"{server}/cds-services", headers={"Authorization": f"Bearer {token(server + '/cds-services')}"})
    assert ok.status_code == 200
    url = f"{server}/cds-services/{PATIENT_VIEW_ID}"
    body = request_from_bundle(__import__("json").loads((FIXTURES / "cart-in-window-igg-low.json").read_text()))
    response = httpx.post(url, json=body, headers={"Authorization": f"Bearer {token(url)}"}, timeout=10)
    assert response.status_code == 200 and response.json()["cards"]


def test_rejection_says_nothing_of_why(server):
    url = f"{server}/cds-services/{PATIENT_VIEW_ID}"
    wrong_aud = httpx.post(url, json={}, headers={"Authorization": f"Bearer {token(server + '/cds-services')}"})
    assert wrong_aud.status_code == 401
    assert wrong_aud.json()["issue"][0]["diagnostics"] == "unauthorized"
    assert wrong_aud.headers["www-authenticate"] == "Bearer"


def test_replayed_token_is_refused(server):
    aud = server + "/cds-services"
    t = token(aud)
    assert httpx.get(aud, headers={"Authorization": f"Bearer {t}"}).status_code == 200
    assert httpx.get(aud, headers={"Authorization": f"Bearer {t}"}).status_code == 401


def test_cors_preflight_needs_no_token(server):
    response = httpx.options(f"{server}/cds-services/{PATIENT_VIEW_ID}", headers={
        "Origin": "https://sandbox.cds-hooks.org", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"
    assert "access-control-allow-credentials" not in response.headers
    denied = httpx.options(f"{server}/cds-services", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in denied.headers


def test_auth_on_without_trusted_issuers_refuses_to_start():
    with pytest.raises(ConfigError, match="CDS_TRUSTED_ISSUERS_FILE"):
        create_app(load_settings({"CDS_AUTH": "on"}))
