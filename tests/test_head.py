"""HEAD is answered like GET without a body (RFC 9110 §9.3.2), over a real uvicorn server.

Monitors and proxies probe `HEAD /healthz`; a 405 there reads as "down". Every 405's `Allow`
names HEAD wherever it names GET, and OPTIONS and TRACE are answered 405 (no CORS preflight).
"""

from __future__ import annotations

import socket

import httpx
import pytest

from .test_explain import issue, link_of, service


def raw_head(base: str, path: str) -> bytes:
    """The bytes a HEAD request gets back on its own connection: the head, and nothing after it."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"HEAD {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> tuple[str, str]:
    """A real server with one issued card: (base URL, the card's explanation link)."""
    with service(tmp_path_factory.mktemp("head")) as (base, _):
        yield base, link_of(issue(base))


@pytest.mark.parametrize("path", ["/cds-services", "/healthz", "/readyz", "/metrics", "/openapi.json"])
def test_head_answers_like_get_without_a_body(served, path) -> None:
    base, _ = served
    get = httpx.get(f"{base}{path}", timeout=20)
    head = httpx.head(f"{base}{path}", timeout=20)
    assert get.status_code == head.status_code == 200
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.content == b""
    if path != "/metrics":  # the metrics change between two requests; the others are the same bytes
        assert int(head.headers["content-length"]) == len(get.content)
    raw = raw_head(base, path)
    assert raw.startswith(b"HTTP/1.1 200 ") and raw.endswith(b"\r\n\r\n")  # no body on the wire either


def test_head_of_an_explanation_page_checks_its_token_like_get(served) -> None:
    base, url = served
    page = httpx.head(url, timeout=60)
    assert page.status_code == 200 and page.content == b""
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-store"
    refused = httpx.head(url.split("?", 1)[0], timeout=20)  # no token: refused as GET is
    assert refused.status_code == 403 and refused.content == b""


@pytest.mark.parametrize("method, path, allow", [
    ("POST", "/healthz", "GET, HEAD"),
    ("DELETE", "/cds-services", "GET, HEAD"),
    ("OPTIONS", "/readyz", "GET, HEAD"),
    ("TRACE", "/metrics", "GET, HEAD"),
    ("HEAD", "/cds-services/igsub-patient-view", "POST"),  # no GET there, so no HEAD either
    ("OPTIONS", "/cds-services/igsub-patient-view", "POST"),
])
def test_a_405_names_head_wherever_get_is_allowed(served, method, path, allow) -> None:
    base, _ = served
    r = httpx.request(method, f"{base}{path}", timeout=20)
    assert r.status_code == 405
    assert r.headers["allow"] == allow
    if method != "HEAD":
        assert r.json()["issue"][0]["code"] == "not-supported"


def test_the_openapi_document_says_how_head_options_and_trace_are_answered(served) -> None:
    base, _ = served
    doc = httpx.get(f"{base}/openapi.json", timeout=20).json()
    assert "HEAD is answered wherever GET is" in doc["info"]["description"]
    assert "OPTIONS and TRACE" in doc["info"]["description"]
    not_allowed = doc["paths"]["/healthz"]["post"]
    assert not_allowed["summary"] == "Not allowed here (Allow: GET, HEAD): 405"
