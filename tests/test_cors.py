"""CORS as a browser sees it: in development mode a CDS Hooks Sandbox on this machine may call
with no configuration; with CDS_AUTH=on only the configured origins."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest

from cds_service.http.app import create_app
from cds_service.settings import load_settings

from .environment import tmp_settings
from .servers import ROOT, serve_in_thread

SERVICE = "/cds-services/igsub-patient-view"
AUTH_ENV = {"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(ROOT / "config" / "sandbox-trusted-issuers.json")}


def preflight(base: str, origin: str) -> httpx.Response:
    return httpx.options(f"{base}{SERVICE}", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"}, timeout=10)


@pytest.fixture(scope="module")
def development() -> Iterator[str]:
    with serve_in_thread(create_app(tmp_settings(), record_cards=False)) as base:
        yield base


@pytest.fixture(scope="module")
def secured() -> Iterator[str]:
    settings = dataclasses.replace(load_settings({**AUTH_ENV, "CDS_CORS_ORIGINS": "https://sandbox.cds-hooks.org"}),
                                   data_dir=tmp_settings().data_dir)
    with serve_in_thread(create_app(settings, record_cards=False)) as base:
        yield base


@pytest.mark.parametrize("origin", ["http://127.0.0.1:3000", "http://localhost:8080", "https://localhost",
                                    "http://[::1]:5173"])
def test_development_mode_allows_loopback_origins(development: str, origin: str) -> None:
    response = preflight(development, origin)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers
    simple = httpx.get(f"{development}/cds-services", headers={"Origin": origin}, timeout=10)
    assert simple.status_code == 200 and simple.headers["access-control-allow-origin"] == origin


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1.evil.example", "http://localhost.evil.example:80",
                                    "http://10.0.0.1:3000", "null"])
def test_development_mode_refuses_other_origins(development: str, origin: str) -> None:
    response = preflight(development, origin)
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
    simple = httpx.get(f"{development}/cds-services", headers={"Origin": origin}, timeout=10)
    assert "access-control-allow-origin" not in simple.headers


@pytest.mark.parametrize("origin", ["http://127.0.0.1:3000", "http://localhost:8080"])
def test_with_auth_loopback_is_not_allowed_unless_configured(secured: str, origin: str) -> None:
    response = preflight(secured, origin)
    assert response.status_code == 400 and "access-control-allow-origin" not in response.headers


def test_with_auth_the_configured_origin_is_allowed(secured: str) -> None:
    response = preflight(secured, "https://sandbox.cds-hooks.org")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"
    denied = httpx.post(f"{secured}{SERVICE}", json={}, headers={"Origin": "https://sandbox.cds-hooks.org"}, timeout=10)
    assert denied.status_code == 401  # no token; the browser may still read why
    assert denied.headers["access-control-allow-origin"] == "https://sandbox.cds-hooks.org"


def test_with_auth_loopback_can_be_configured() -> None:
    settings = dataclasses.replace(load_settings({**AUTH_ENV, "CDS_CORS_ORIGINS": "http://localhost:8080"}),
                                   data_dir=tmp_settings().data_dir)
    with serve_in_thread(create_app(settings, record_cards=False)) as base:
        assert preflight(base, "http://localhost:8080").headers["access-control-allow-origin"] == "http://localhost:8080"
        assert "access-control-allow-origin" not in preflight(base, "http://localhost:3000").headers


@pytest.mark.parametrize("which, origin, allowed", [("development", "http://localhost:3000", True),
                                                    ("secured", "https://sandbox.cds-hooks.org", True),
                                                    ("secured", "https://evil.example", False)])
def test_a_private_network_preflight_is_answered_for_an_allowed_origin_only(request: pytest.FixtureRequest, which: str,
                                                                            origin: str, allowed: bool) -> None:
    """Chrome's Private Network Access: a public page calling an intranet service sends
    `Access-Control-Request-Private-Network: true` in its preflight. It was refused (400) even from an allowed origin."""
    base = request.getfixturevalue(which)
    response = httpx.options(f"{base}{SERVICE}", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type",
        "Access-Control-Request-Private-Network": "true"}, timeout=10)
    assert (response.status_code == 200) == allowed, response.text
    assert ("access-control-allow-origin" in response.headers) == allowed  # without it a browser sends nothing
    if allowed:
        assert response.headers["access-control-allow-private-network"] == "true"
