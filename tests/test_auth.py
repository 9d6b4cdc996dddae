"""Tests for cds_service.http.auth: Trusting CDS Clients (CDS Hooks 2.0 JWT bearer tokens).

Key servers are real HTTP servers on 127.0.0.1 (no other network); the app is
driven over httpx.ASGITransport. The clock is fixed so exp/iat checks are exact.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware

from cds_service.errors import ConfigError, Unauthorized, error_body
from cds_service.http.auth import (
    DEV_MODE_WARNING,
    AuthMiddleware,
    ReplayCache,
    TokenVerifier,
    cors_middleware_options,
    jku_allowed,
)
from cds_service.settings import AuthSettings, load_settings

UNAUTHORIZED = error_body(401, "unauthorized")


def auth_settings_from_env(env: dict[str, str]) -> AuthSettings:
    return load_settings({"CDS_LINK_SECRET": "l" * 32, **env}).auth  # CDS_AUTH=on needs a link secret too


def cors_origins_from_env(env: dict[str, str]) -> list[str]:
    return list(load_settings(env).cors_origins)


pytestmark = pytest.mark.anyio

REPO = Path(__file__).resolve().parents[1]
SANDBOX_DATA = Path(__file__).resolve().parent / "data"  # copied from the CDS Hooks Sandbox (data/README.md)
SANDBOX_ISS = "https://sandbox.cds-hooks.org"
SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"
SANDBOX_JKU = "https://sandbox.cds-hooks.org/.well-known/jwks.json"

BASE = "http://127.0.0.1:8092"
SERVICE_URL = f"{BASE}/cds-services/igsub"
DISCOVERY_URL = f"{BASE}/cds-services"
ISS = "https://ehr.example.org"
NOW = 1_800_000_000.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    """A settable clock so tests decide what 'now' is."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


# ------------------------------------------------------------------------ keys & tokens

EC_A = ec.generate_private_key(ec.SECP384R1())
EC_B = ec.generate_private_key(ec.SECP384R1())
RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(private_key: Any, kid: str) -> dict[str, Any]:
    if isinstance(private_key, rsa.RSAPrivateKey):
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        jwk["alg"] = "RS384"
    else:
        jwk = jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
        jwk["alg"] = "ES384"
    return {**jwk, "kid": kid, "use": "sig"}


def jwks(*pairs: tuple[Any, str]) -> dict[str, Any]:
    return {"keys": [public_jwk(key, kid) for key, kid in pairs]}


def claims(**overrides: Any) -> dict[str, Any]:
    base = {"iss": ISS, "aud": SERVICE_URL, "iat": int(NOW), "exp": int(NOW) + 300, "jti": str(uuid.uuid4())}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(
    payload: dict[str, Any] | None = None,
    *,
    key: Any = EC_A,
    kid: str | None = "a",
    alg: str | None = None,
    headers: dict[str, Any] | None = None,
) -> str:
    alg = alg or ("RS384" if isinstance(key, rsa.RSAPrivateKey) else "ES384")
    extra = {"typ": "JWT", **({"kid": kid} if kid is not None else {}), **(headers or {})}
    return jwt.encode(payload if payload is not None else claims(), key, algorithm=alg, headers=extra)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade(header: dict[str, Any], payload: dict[str, Any], signature: bytes = b"") -> str:
    """A token assembled by hand, for forms a careful library refuses to produce."""
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}.{b64(signature)}"


def bearer(token: str) -> str:
    return f"Bearer {token}"


# ------------------------------------------------------------------- JWKS HTTP server


class JwksServer:
    """A real tiny key server on 127.0.0.1 that records every request it gets."""

    def __init__(self) -> None:
        self.documents: dict[str, Any] = {}
        self.redirects: dict[str, str] = {}
        self.requests: list[str] = []
        self.delay = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                outer.requests.append(self.path)
                if outer.delay:
                    time.sleep(outer.delay)
                if self.path in outer.redirects:
                    self.send_response(302)
                    self.send_header("Location", outer.redirects[self.path])
                    self.end_headers()
                    return
                document = outer.documents.get(self.path)
                body = document if isinstance(document, bytes) else json.dumps(document).encode()
                self.send_response(200 if document is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return self.base + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def keyserver() -> Iterator[JwksServer]:
    server = JwksServer()
    server.documents["/jwks.json"] = jwks((EC_A, "a"), (RSA_KEY, "r"))
    yield server
    server.close()


def dead_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/jwks.json"


# --------------------------------------------------------------------------- settings


def write_issuers(tmp_path: Path, issuers: dict[str, Any]) -> Path:
    path = tmp_path / "issuers.json"
    path.write_text(json.dumps({"issuers": issuers}))
    return path


def make_settings(tmp_path: Path, issuer: dict[str, Any] | None = None, **env: str) -> AuthSettings:
    if issuer is None:
        (tmp_path / "jwks.json").write_text(json.dumps(jwks((EC_A, "a"), (RSA_KEY, "r"))))
        issuer = {"jwks_file": "jwks.json"}
    path = write_issuers(tmp_path, {ISS: issuer})
    return auth_settings_from_env(
        {"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(path), "CDS_PUBLIC_BASE_URL": BASE, **env}
    )


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def verifier(tmp_path: Path, clock: Clock) -> TokenVerifier:
    return TokenVerifier(make_settings(tmp_path), clock=clock)


async def rejected(verifier: TokenVerifier, header: str | None, url: str = SERVICE_URL) -> str:
    with pytest.raises(Unauthorized) as info:
        await verifier.verify(header, url)
    return info.value.reason


# ----------------------------------------------------------------------------- happy paths


async def test_es384_token_accepted(verifier: TokenVerifier) -> None:
    token_claims = claims()
    assert await verifier.verify(bearer(sign(token_claims)), SERVICE_URL) == token_claims


async def test_rs384_token_accepted(verifier: TokenVerifier) -> None:
    assert (await verifier.verify(bearer(sign(key=RSA_KEY, kid="r")), SERVICE_URL))["iss"] == ISS


async def test_extra_claims_tolerated(verifier: TokenVerifier) -> None:
    token = sign(claims(sub="client-123", nbf=int(NOW) - 10, scope="x", whatever={"a": 1}))
    assert (await verifier.verify(bearer(token), SERVICE_URL))["sub"] == "client-123"


async def test_aud_as_array(verifier: TokenVerifier) -> None:
    token = sign(claims(aud=["https://other.example/x", SERVICE_URL]))
    await verifier.verify(bearer(token), SERVICE_URL)


async def test_typ_may_be_absent_and_scheme_is_case_insensitive(verifier: TokenVerifier) -> None:
    token = jwt.encode(claims(), EC_A, algorithm="ES384", headers={"kid": "a"})
    header = jwt.get_unverified_header(token)
    header.pop("typ", None)
    token = jwt.encode(claims(), EC_A, algorithm="ES384", headers=header)
    await verifier.verify(f"bearer  {token}", SERVICE_URL)


async def test_exp_within_leeway_accepted(verifier: TokenVerifier, clock: Clock) -> None:
    clock.now = NOW + 300 + 59  # 59 s past exp, leeway 60
    await verifier.verify(bearer(sign()), SERVICE_URL)


async def test_iat_slightly_in_future_within_leeway_accepted(verifier: TokenVerifier) -> None:
    await verifier.verify(bearer(sign(claims(iat=int(NOW) + 30))), SERVICE_URL)


# ---------------------------------------------------------------------- rejections


async def test_no_header(verifier: TokenVerifier) -> None:
    assert "no Authorization" in await rejected(verifier, None)
    assert "no Authorization" in await rejected(verifier, "")


async def test_not_bearer(verifier: TokenVerifier) -> None:
    assert "not Bearer" in await rejected(verifier, "Basic dXNlcjpwYXNz")
    assert "not Bearer" in await rejected(verifier, sign())  # token without scheme


async def test_empty_bearer(verifier: TokenVerifier) -> None:
    await rejected(verifier, "Bearer ")


@pytest.mark.parametrize("garbage", ["garbage", "a.b.c", "....", "eyJ.eyJ.sig", "x" * 20_000])
async def test_garbage_token(verifier: TokenVerifier, garbage: str) -> None:
    await rejected(verifier, bearer(garbage))


async def test_payload_not_an_object(verifier: TokenVerifier) -> None:
    token = jwt.api_jws.encode(b"[1, 2]", EC_A, algorithm="ES384", headers={"kid": "a"})
    await rejected(verifier, bearer(token))


async def test_alg_none(verifier: TokenVerifier) -> None:
    token = handmade({"alg": "none", "typ": "JWT", "kid": "a"}, claims())
    assert "alg 'none'" in await rejected(verifier, bearer(token))
    token = jwt.encode(claims(), None, algorithm="none", headers={"kid": "a"})
    await rejected(verifier, bearer(token))


async def test_hs256_rejected(verifier: TokenVerifier) -> None:
    token = jwt.encode(claims(), "a-shared-secret-that-is-long-enough-for-hs256", algorithm="HS256", headers={"kid": "a"})
    assert "alg 'HS256'" in await rejected(verifier, bearer(token))


@pytest.mark.parametrize("alg", ["HS256", "HS384"])
async def test_hmac_signed_with_public_key_confusion_attack(verifier: TokenVerifier, alg: str) -> None:
    """The classic attack: HMAC keyed with the issuer's *public* key, which anyone has."""
    header = {"alg": alg, "typ": "JWT", "kid": "a"}
    payload = claims()
    pem = EC_A.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}".encode()
    digest = hashlib.sha256 if alg == "HS256" else hashlib.sha384
    token = signing_input.decode() + "." + b64(hmac.new(pem, signing_input, digest).digest())
    assert "not allowed" in await rejected(verifier, bearer(token))
    jwk_json = json.dumps(public_jwk(EC_A, "a")).encode()
    token = signing_input.decode() + "." + b64(hmac.new(jwk_json, signing_input, digest).digest())
    await rejected(verifier, bearer(token))


@pytest.mark.parametrize("alg", ["ES256", "RS256", "PS384", "ES512", "EdDSA"])
async def test_other_asymmetric_algs_rejected(verifier: TokenVerifier, alg: str) -> None:
    await rejected(verifier, bearer(handmade({"alg": alg, "typ": "JWT", "kid": "a"}, claims(), b"x" * 96)))


async def test_es384_header_on_rsa_key_rejected(verifier: TokenVerifier) -> None:
    """A kid names an RSA key but the header says ES384: the key's bound alg wins."""
    token = sign(kid="r")  # signed by EC_A, pointing at the RSA key
    assert "signature check failed" in await rejected(verifier, bearer(token))


async def test_kid_missing(verifier: TokenVerifier) -> None:
    assert "no kid" in await rejected(verifier, bearer(sign(kid=None)))


async def test_typ_not_jwt(verifier: TokenVerifier) -> None:
    assert "typ" in await rejected(verifier, bearer(sign(headers={"typ": "at+jwt"})))


async def test_wrong_signature_key(verifier: TokenVerifier) -> None:
    assert "signature" in await rejected(verifier, bearer(sign(key=EC_B, kid="a")))


async def test_wrong_iss(verifier: TokenVerifier) -> None:
    assert "not a trusted issuer" in await rejected(verifier, bearer(sign(claims(iss="https://evil.example"))))
    await rejected(verifier, bearer(sign(claims(iss=ISS + "/"))))
    await rejected(verifier, bearer(sign(claims(iss=None))))


@pytest.mark.parametrize(
    "aud",
    [
        f"{BASE}/cds-services/other-service",  # other path
        "http://127.0.0.1:9999/cds-services/igsub",  # other port
        "https://cds.evil.example/cds-services/igsub",  # other host
        DISCOVERY_URL,  # discovery aud used on the service
        f"{SERVICE_URL}/feedback",  # feedback aud used on the service
        f"{SERVICE_URL}/",  # trailing slash
        f"{SERVICE_URL}?x=1",
        ["https://other.example/x"],
        [],
        None,
        42,
    ],
)
async def test_aud_mismatch(verifier: TokenVerifier, aud: Any) -> None:
    payload = claims(aud=aud) if aud is not None else {k: v for k, v in claims().items() if k != "aud"}
    await rejected(verifier, bearer(sign(payload)))


async def test_expired(verifier: TokenVerifier, clock: Clock) -> None:
    clock.now = NOW + 300 + 60
    assert "expired" in await rejected(verifier, bearer(sign()))


async def test_expired_with_zero_leeway(tmp_path: Path, clock: Clock) -> None:
    verifier = TokenVerifier(make_settings(tmp_path, CDS_AUTH_LEEWAY_SECONDS="0"), clock=clock)
    clock.now = NOW + 301
    await rejected(verifier, bearer(sign()))


@pytest.mark.parametrize("exp", [None, "1800000300", True, 10**400])
async def test_exp_missing_or_not_a_number(verifier: TokenVerifier, exp: Any) -> None:
    payload = claims(exp=exp) if exp is not None else {k: v for k, v in claims().items() if k != "exp"}
    assert "exp" in await rejected(verifier, bearer(sign(payload)))


async def test_iat_missing(verifier: TokenVerifier) -> None:
    payload = {k: v for k, v in claims().items() if k != "iat"}
    assert "iat missing" in await rejected(verifier, bearer(sign(payload)))


async def test_iat_in_future(verifier: TokenVerifier) -> None:
    assert "future" in await rejected(verifier, bearer(sign(claims(iat=int(NOW) + 61))))


async def test_nbf_in_future(verifier: TokenVerifier) -> None:
    assert "nbf" in await rejected(verifier, bearer(sign(claims(nbf=int(NOW) + 120))))


@pytest.mark.parametrize("jti", [None, "", 12345])
async def test_jti_missing(verifier: TokenVerifier, jti: Any) -> None:
    payload = claims(jti=jti) if jti is not None else {k: v for k, v in claims().items() if k != "jti"}
    assert "jti" in await rejected(verifier, bearer(sign(payload)))


async def test_jti_replay(verifier: TokenVerifier) -> None:
    token = sign()
    await verifier.verify(bearer(token), SERVICE_URL)
    assert "replayed" in await rejected(verifier, bearer(token))
    # Same jti in a freshly signed token is still a replay.
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    assert "replayed" in await rejected(verifier, bearer(sign(claims(jti=jti, iat=int(NOW) + 1))))


async def test_rejected_token_does_not_spend_jti(verifier: TokenVerifier) -> None:
    """A forged token must not burn a legitimate client's jti."""
    payload = claims()
    await rejected(verifier, bearer(sign(payload, key=EC_B)))
    await verifier.verify(bearer(sign(payload)), SERVICE_URL)


async def test_tenant(tmp_path: Path, clock: Clock) -> None:
    (tmp_path / "jwks.json").write_text(json.dumps(jwks((EC_A, "a"))))
    settings = make_settings(tmp_path, {"jwks_file": "jwks.json", "tenant": "rh-hematology"})
    verifier = TokenVerifier(settings, clock=clock)
    await verifier.verify(bearer(sign(claims(tenant="rh-hematology"))), SERVICE_URL)
    assert "tenant" in await rejected(verifier, bearer(sign(claims(tenant="other-tenant"))))
    assert "tenant" in await rejected(verifier, bearer(sign()))


async def test_unknown_kid_in_static_jwks(verifier: TokenVerifier) -> None:
    assert "kid" in await rejected(verifier, bearer(sign(key=EC_B, kid="b")))


# ------------------------------------------------------------------- JWKS URL, rotation


async def test_jwks_url(tmp_path: Path, clock: Clock, keyserver: JwksServer) -> None:
    verifier = TokenVerifier(make_settings(tmp_path, {"jwks_url": keyserver.url("/jwks.json")}), clock=clock)
    await verifier.verify(bearer(sign()), SERVICE_URL)
    await verifier.verify(bearer(sign(key=RSA_KEY, kid="r")), SERVICE_URL)
    assert keyserver.requests == ["/jwks.json"]  # cached
    await verifier.aclose()


async def test_jwks_cache_ttl(tmp_path: Path, clock: Clock, keyserver: JwksServer) -> None:
    settings = make_settings(tmp_path, {"jwks_url": keyserver.url("/jwks.json")}, CDS_JWKS_CACHE_SECONDS="600")
    verifier = TokenVerifier(settings, clock=clock)
    await verifier.verify(bearer(sign()), SERVICE_URL)
    clock.now += 599
    await verifier.verify(bearer(sign(claims(iat=int(clock.now), exp=int(clock.now) + 300))), SERVICE_URL)
    assert len(keyserver.requests) == 1
    clock.now += 2
    await verifier.verify(bearer(sign(claims(iat=int(clock.now), exp=int(clock.now) + 300))), SERVICE_URL)
    assert len(keyserver.requests) == 2


async def test_key_rotation_refetch(tmp_path: Path, clock: Clock, keyserver: JwksServer) -> None:
    verifier = TokenVerifier(make_settings(tmp_path, {"jwks_url": keyserver.url("/jwks.json")}), clock=clock)
    await verifier.verify(bearer(sign()), SERVICE_URL)  # loads set with key A
    assert len(keyserver.requests) == 1

    keyserver.documents["/jwks.json"] = jwks((EC_A, "a"), (EC_B, "b"))  # client rotates in key B
    await verifier.verify(bearer(sign(key=EC_B, kid="b")), SERVICE_URL)
    assert len(keyserver.requests) == 2  # one refetch

    clock.now += 10  # a second unknown kid within 30 s: no refetch storm
    token = sign(claims(iat=int(clock.now), exp=int(clock.now) + 300), key=EC_B, kid="c")
    assert "rate-limited" in await rejected(verifier, bearer(token))
    assert "rate-limited" in await rejected(verifier, bearer(token))
    assert len(keyserver.requests) == 2

    clock.now += 21  # 31 s after the refetch: one more is allowed
    keyserver.documents["/jwks.json"] = jwks((EC_B, "b"), (EC_A, "c"))
    await verifier.verify(bearer(sign(claims(iat=int(clock.now), exp=int(clock.now) + 300), key=EC_A, kid="c")), SERVICE_URL)
    assert len(keyserver.requests) == 3


async def test_unknown_kid_refetches_once_then_rejects(tmp_path: Path, clock: Clock, keyserver: JwksServer) -> None:
    verifier = TokenVerifier(make_settings(tmp_path, {"jwks_url": keyserver.url("/jwks.json")}), clock=clock)
    await verifier.verify(bearer(sign()), SERVICE_URL)
    for _ in range(5):
        await rejected(verifier, bearer(sign(key=EC_B, kid="zzz")))
    assert len(keyserver.requests) == 2  # initial load + exactly one refetch
    await verifier.verify(bearer(sign()), SERVICE_URL)  # known keys still work
    assert len(keyserver.requests) == 2


async def test_unknown_kid_on_first_load_does_not_fetch_twice(tmp_path: Path, clock: Clock, keyserver: JwksServer) -> None:
    verifier = TokenVerifier(make_settings(tmp_path, {"jwks_url": keyserver.url("/jwks.json")}), clock=clock)
    await rejected(verifier, bearer(sign(key=EC_B, kid="zzz")))
    assert len(keyserver.requests) == 1


async def test_jwks_server_down(tmp_path: Path, clock: Clock) -> None:
    verifier = TokenVerifier(make_settings(tmp_path, {"jwks_url": dead_url()}), clock=clock)
    assert "fetch failed" in await rejected(verifier, bearer(sign()))
    # While it is down, further calls fail fast instead of each waiting on the network.
    assert "rate-limited" in await rejected(verifier, bearer(sign()))


async def test_jwks_server_timeout(tmp_path: Path, clock: Clock, keyserver: JwksServer) -> None:
    keyserver.delay = 1.0
    settings = make_settings(tmp_path, {"jwks_url": keyserver.url("/jwks.json")}, CDS_JWKS_TIMEOUT_SECONDS="0.2")
    verifier = TokenVerifier(settings, clock=clock)
    started = time.monotonic()
    assert "timed out" in await rejected(verifier, bearer(sign()))
    assert time.monotonic() - started < 0.9


@pytest.mark.parametrize("document", [None, {"keys": "nope"}, {"keys": []}, b"{not json", b"x" * 70_000])
async def test_jwks_server_bad_answer(tmp_path: Path, clock: Clock, keyserver: JwksServer, document: Any) -> None:
    keyserver.documents["/jwks.json"] = document  # None -> 404; bytes sent raw
    verifier = TokenVerifier(make_settings(tmp_path, {"jwks_url": keyserver.url("/jwks.json")}), clock=clock)
    await rejected(verifier, bearer(sign()))


async def test_jwks_redirect_not_followed(tmp_path: Path, clock: Clock, keyserver: JwksServer) -> None:
    keyserver.redirects["/jwks.json"] = "/evil.json"
    keyserver.documents["/evil.json"] = jwks((EC_A, "a"))
    verifier = TokenVerifier(make_settings(tmp_path, {"jwks_url": keyserver.url("/jwks.json")}), clock=clock)
    await rejected(verifier, bearer(sign()))
    assert keyserver.requests == ["/jwks.json"]


# ------------------------------------------------------------------------------ jku


@pytest.fixture
def jku_verifier(tmp_path: Path, clock: Clock, keyserver: JwksServer) -> TokenVerifier:
    keyserver.documents["/trusted/jwks.json"] = jwks((EC_A, "a"))
    keyserver.documents["/evil/jwks.json"] = jwks((EC_B, "b"))
    return TokenVerifier(make_settings(tmp_path, {"jku_prefixes": [keyserver.url("/trusted/")]}), clock=clock)


async def test_jku_in_allow_list_fetched(jku_verifier: TokenVerifier, keyserver: JwksServer) -> None:
    await jku_verifier.verify(bearer(sign(headers={"jku": keyserver.url("/trusted/jwks.json")})), SERVICE_URL)
    assert keyserver.requests == ["/trusted/jwks.json"]


@pytest.mark.parametrize(
    "jku",
    [
        "{base}/evil/jwks.json",
        "{base}/trusted/../evil/jwks.json",
        "{base}/trusted/%2e%2e/evil/jwks.json",
        "{base}/trusted\\..\\evil/jwks.json",
        "http://user@127.0.0.1/trusted/jwks.json",
        "https://sandbox.cds-hooks.org/.well-known/jwks.json",
        "file:///etc/passwd",
    ],
)
async def test_jku_not_in_allow_list_never_fetched(jku_verifier: TokenVerifier, keyserver: JwksServer, jku: str) -> None:
    token = sign(key=EC_B, kid="b", headers={"jku": jku.format(base=keyserver.base)})
    assert "jku" in await rejected(jku_verifier, bearer(token))
    assert keyserver.requests == []


async def test_jku_prefix_needs_host_boundary() -> None:
    assert jku_allowed("https://a.org/keys/jwks.json", ("https://a.org/",))
    assert not jku_allowed("https://a.org.evil.com/keys/jwks.json", ("https://a.org/",))
    assert not jku_allowed("https://a.org@evil.com/keys", ("https://a.org",))


PREFIXES = ("https://a.org/keys/",)


@pytest.mark.parametrize("jku", [
    "https://a.org/keys/%2e%2e/evil.json", "https://a.org/keys/%2E%2E/evil.json", "https://a.org/keys/.%2e/evil.json",
    "https://a.org/keys/%2f..%2fevil.json", "https://a.org/keys/..%2F..%2Fevil.json", "https://a.org/keys/%2Fevil.json",
    "https://a.org/keys/..%5c..%5cevil.json", "https://a.org/keys/..%5C..%5Cevil.json", "https://a.org/keys/%5cevil.json",
    "https://a.org/keys/%252e%252e/evil.json", "https://a.org/keys/%25252e%25252e/evil.json", "https://a.org/keys/%25",
    "https://a.org/keys/%2e%2E%2f%2F%5c%5C", "https://a.org/keys/j%77ks.json",  # even a harmless escape: no % at all
    "https://a.org/keys/..\\evil.json", "https://a.org/keys\\..\\evil.json", "https://a.org/keys/../evil.json",
    "https://a.org/keys/./jwks.json", "https://a.org/keys/..;/evil.json", "https://a.org/keys/jwks.json;x=1",
    "https://a.org/keys/.\t./evil.json", "https://a.org/keys/\n../evil.json", "https://a.org/keys/ ../evil.json",
    "https://a.org/keys/\x00", "https://a.org/keys/\uff0e\uff0e/evil.json", "https://a.org/keys/j\u0301wks.json",
    "https://a.org/keys/jwks.json#frag", "https://a.org@evil.com/keys/jwks.json", "https://user:pw@a.org/keys/jwks.json",
    "https://a.org:8443/keys/jwks.json", "http://a.org/keys/jwks.json", "https://a.org.evil.com/keys/jwks.json",
    "https://a.org/keysX/jwks.json", "https://a.org/KEYS/jwks.json", "https://a.org:notaport/keys/jwks.json",
    "//a.org/keys/jwks.json", "a.org/keys/jwks.json", "",
])
def test_jku_path_tricks_are_refused(jku: str) -> None:
    assert not jku_allowed(jku, PREFIXES)


@pytest.mark.parametrize(("jku", "fetched"), [
    ("https://a.org/keys/jwks.json", "https://a.org/keys/jwks.json"),
    ("HTTPS://A.ORG/keys/jwks.json", "https://a.org/keys/jwks.json"),  # scheme and host compare case-blind
    ("https://a.org:443/keys/jwks.json", "https://a.org/keys/jwks.json"),  # the default port, spelt out
    ("https://a.org/keys/sub/jwks.json?v=2", "https://a.org/keys/sub/jwks.json?v=2"),
])
def test_jku_is_compared_and_fetched_in_canonical_form(jku: str, fetched: str) -> None:
    from cds_service.http.auth import allowed_jku

    assert allowed_jku(jku, PREFIXES) == fetched
    assert allowed_jku("http://[::1]:8080/k/j.json", ("http://[::1]:8080/k/",)) == "http://[::1]:8080/k/j.json"


async def test_an_encoded_jku_is_refused_before_any_fetch(jku_verifier: TokenVerifier, keyserver: JwksServer) -> None:
    token = sign(key=EC_B, kid="b", headers={"jku": keyserver.url("/trusted/..%2fevil/jwks.json")})
    assert "jku" in await rejected(jku_verifier, bearer(token))
    assert keyserver.requests == []


async def test_jku_issuer_requires_jku(jku_verifier: TokenVerifier, keyserver: JwksServer) -> None:
    assert "no jku" in await rejected(jku_verifier, bearer(sign()))
    assert keyserver.requests == []


async def test_jku_not_a_string(jku_verifier: TokenVerifier, keyserver: JwksServer) -> None:
    await rejected(jku_verifier, bearer(sign(headers={"jku": ["x"]})))
    assert keyserver.requests == []


async def test_jwks_url_plus_jku_prefixes(tmp_path: Path, clock: Clock, keyserver: JwksServer) -> None:
    keyserver.documents["/trusted/jwks2.json"] = jwks((EC_B, "b"))
    issuer = {"jwks_url": keyserver.url("/jwks.json"), "jku_prefixes": [keyserver.url("/trusted/")]}
    verifier = TokenVerifier(make_settings(tmp_path, issuer), clock=clock)
    await verifier.verify(bearer(sign()), SERVICE_URL)  # no jku -> jwks_url
    await verifier.verify(bearer(sign(key=EC_B, kid="b", headers={"jku": keyserver.url("/trusted/jwks2.json")})), SERVICE_URL)
    await rejected(verifier, bearer(sign(headers={"jku": keyserver.url("/other.json")})))
    assert keyserver.requests == ["/jwks.json", "/trusted/jwks2.json"]


async def test_static_jwks_ignores_jku(verifier: TokenVerifier, keyserver: JwksServer) -> None:
    """Keys exchanged out of band win; a jku header cannot make us fetch anything."""
    await verifier.verify(bearer(sign(headers={"jku": keyserver.url("/jwks.json")})), SERVICE_URL)
    await rejected(verifier, bearer(sign(key=EC_B, kid="b", headers={"jku": keyserver.url("/jwks.json")})))
    assert keyserver.requests == []


# ------------------------------------------------------------------------------ HTTP


def make_app(verifier: TokenVerifier, public_base_url: str | None = BASE, cors: list[str] | None = None) -> FastAPI:
    app = FastAPI()

    @app.get("/cds-services")
    async def discovery() -> dict[str, Any]:
        return {"services": []}

    @app.post("/cds-services/{service_id}")
    async def service(service_id: str, request: Request) -> dict[str, Any]:
        return {"cards": [], "iss": request.state.cds_auth_claims["iss"]}

    @app.post("/cds-services/{service_id}/feedback")
    async def feedback(service_id: str) -> dict[str, Any]:
        return {}

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(AuthMiddleware, verifier=verifier, public_base_url=public_base_url)
    if cors is not None:
        app.add_middleware(CORSMiddleware, **cors_middleware_options(cors))
    return app


def client(app: FastAPI, base_url: str = BASE) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)


async def test_http_all_three_endpoints(verifier: TokenVerifier) -> None:
    async with client(make_app(verifier)) as http:
        r = await http.get("/cds-services", headers={"Authorization": bearer(sign(claims(aud=DISCOVERY_URL)))})
        assert r.status_code == 200
        r = await http.post("/cds-services/igsub", json={}, headers={"Authorization": bearer(sign())})
        assert r.status_code == 200 and r.json()["iss"] == ISS
        feedback = sign(claims(aud=f"{SERVICE_URL}/feedback"))
        r = await http.post("/cds-services/igsub/feedback", json={}, headers={"Authorization": bearer(feedback)})
        assert r.status_code == 200


async def test_http_query_string_not_part_of_aud(verifier: TokenVerifier) -> None:
    async with client(make_app(verifier)) as http:
        r = await http.post("/cds-services/igsub?debug=1", json={}, headers={"Authorization": bearer(sign())})
        assert r.status_code == 200


async def test_http_401_shape_and_log(verifier: TokenVerifier, caplog: pytest.LogCaptureFixture) -> None:
    token = sign(claims(aud=DISCOVERY_URL))  # discovery token used on a service
    caplog.set_level(logging.WARNING, logger="cds_service.http.auth")
    async with client(make_app(verifier)) as http:
        r = await http.post("/cds-services/igsub", json={}, headers={"Authorization": bearer(token)})
    assert r.status_code == 401
    assert r.json() == UNAUTHORIZED
    assert r.headers["www-authenticate"] == "Bearer"
    assert "aud" not in r.text
    records = [rec for rec in caplog.records if rec.name == "cds_service.http.auth"]
    assert records and all(rec.levelno == logging.WARNING for rec in records)
    assert "aud" in records[0].getMessage()
    for part in token.split("."):
        assert part not in caplog.text  # never log the token


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/cds-services"), ("POST", "/cds-services/igsub"), ("POST", "/cds-services/igsub/feedback"), ("GET", "/cds-services/")],
)
async def test_http_no_token_401(verifier: TokenVerifier, method: str, path: str) -> None:
    async with client(make_app(verifier)) as http:
        r = await http.request(method, path, json={} if method == "POST" else None)
    assert r.status_code == 401 and r.json() == UNAUTHORIZED


async def test_http_two_authorization_headers(verifier: TokenVerifier) -> None:
    async with client(make_app(verifier)) as http:
        r = await http.post(
            "/cds-services/igsub",
            json={},
            headers=[("Authorization", bearer(sign())), ("Authorization", bearer(sign()))],
        )
    assert r.status_code == 401


async def test_http_other_paths_and_options_unguarded(verifier: TokenVerifier) -> None:
    async with client(make_app(verifier)) as http:
        assert (await http.get("/health")).status_code == 200
        assert (await http.options("/cds-services/igsub")).status_code != 401


async def test_http_default_base_url_is_request_host(verifier: TokenVerifier) -> None:
    app = make_app(verifier, public_base_url=None)
    async with client(app, "http://cds.internal:8000") as http:
        good = sign(claims(aud="http://cds.internal:8000/cds-services/igsub"))
        assert (await http.post("/cds-services/igsub", json={}, headers={"Authorization": bearer(good)})).status_code == 200
        assert (await http.post("/cds-services/igsub", json={}, headers={"Authorization": bearer(sign())})).status_code == 401


async def test_http_public_base_url_behind_proxy(tmp_path: Path, clock: Clock) -> None:
    settings = make_settings(tmp_path, CDS_PUBLIC_BASE_URL="https://cds.hospital.dk/igsub/")
    public_base_url = load_settings({"CDS_PUBLIC_BASE_URL": "https://cds.hospital.dk/igsub/"}).public_base_url
    assert public_base_url == "https://cds.hospital.dk/igsub"
    app = make_app(TokenVerifier(settings, clock=clock), public_base_url)
    async with client(app, "http://10.0.0.5:8000") as http:  # how the proxy reaches us
        token = sign(claims(aud="https://cds.hospital.dk/igsub/cds-services/igsub"))
        assert (await http.post("/cds-services/igsub", json={}, headers={"Authorization": bearer(token)})).status_code == 200
        token = sign(claims(aud="http://10.0.0.5:8000/cds-services/igsub"))
        assert (await http.post("/cds-services/igsub", json={}, headers={"Authorization": bearer(token)})).status_code == 401


async def test_http_jwks_down_is_401_not_500(tmp_path: Path, clock: Clock) -> None:
    verifier = TokenVerifier(make_settings(tmp_path, {"jwks_url": dead_url()}), clock=clock)
    async with client(make_app(verifier)) as http:
        r = await http.post("/cds-services/igsub", json={}, headers={"Authorization": bearer(sign())})
    assert r.status_code == 401 and r.json() == UNAUTHORIZED


async def test_http_verifier_crash_fails_closed(verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch) -> None:
    async def boom(*args: Any) -> dict[str, Any]:
        raise RuntimeError("bug")

    monkeypatch.setattr(verifier, "verify", boom)
    async with client(make_app(verifier)) as http:
        r = await http.post("/cds-services/igsub", json={}, headers={"Authorization": bearer(sign())})
    assert r.status_code == 401


async def test_http_cors_preflight_and_401_carry_cors_headers(verifier: TokenVerifier) -> None:
    origin = "https://sandbox.cds-hooks.org"
    app = make_app(verifier, cors=[origin])
    async with client(app) as http:
        r = await http.options(
            "/cds-services/igsub",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization,content-type",
            },
        )
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == origin
        assert "access-control-allow-credentials" not in r.headers
        r = await http.post("/cds-services/igsub", json={}, headers={"Origin": origin})
        assert r.status_code == 401
        assert r.headers["access-control-allow-origin"] == origin  # browser can read the 401


# ------------------------------------------------------------------ captured sandbox call


def sandbox_example() -> dict[str, Any]:
    return json.loads((SANDBOX_DATA / "cds-hooks-sandbox-request-example.json").read_text())


def sandbox_settings(tmp_path: Path) -> AuthSettings:
    path = write_issuers(tmp_path, {SANDBOX_ISS: {"jwks_file": str(SANDBOX_DATA / "cds-hooks-sandbox-jwks.json")}})
    return auth_settings_from_env(
        {"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(path), "CDS_PUBLIC_BASE_URL": "http://127.0.0.1:8092"}
    )


async def test_captured_sandbox_request_accepted_over_http(tmp_path: Path) -> None:
    example = sandbox_example()
    payload = example["decoded_jwt"]["payload"]
    settings = sandbox_settings(tmp_path)
    verifier = TokenVerifier(settings, clock=Clock(payload["iat"] + 5))
    async with client(make_app(verifier, "http://127.0.0.1:8092"), "http://127.0.0.1:8092") as http:
        path = httpx.URL(example["url"]).path
        r = await http.post(path, json=example["body"], headers={"Authorization": example["authorization"]})
        assert r.status_code == 200
        r = await http.post(path, json=example["body"], headers={"Authorization": example["authorization"]})
        assert r.status_code == 401  # same jti again: replay


async def test_captured_sandbox_token_outside_lifetime(tmp_path: Path) -> None:
    example = sandbox_example()
    payload = example["decoded_jwt"]["payload"]
    verifier = TokenVerifier(sandbox_settings(tmp_path), clock=Clock(payload["exp"] + 61))
    assert "expired" in await rejected(verifier, example["authorization"], example["url"])
    verifier = TokenVerifier(sandbox_settings(tmp_path), clock=time.time)  # real clock: long expired
    await rejected(verifier, example["authorization"], example["url"])


async def test_captured_sandbox_discovery_token(tmp_path: Path) -> None:
    example = json.loads((SANDBOX_DATA / "cds-hooks-sandbox-discovery-example.json").read_text())
    clock = Clock(example["decoded_jwt"]["payload"]["iat"] + 1)
    verifier = TokenVerifier(sandbox_settings(tmp_path), clock=clock)
    service_url = "http://127.0.0.1:8092/cds-services/harness-patient-view"
    assert "aud" in await rejected(verifier, example["authorization"], service_url)
    await verifier.verify(example["authorization"], example["url"])


async def test_captured_sandbox_token_every_byte_changed_rejected(tmp_path: Path) -> None:
    example = sandbox_example()
    payload = example["decoded_jwt"]["payload"]
    token = example["authorization"].removeprefix("Bearer ")
    verifier = TokenVerifier(sandbox_settings(tmp_path), clock=Clock(payload["iat"] + 5))
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    parts_hit = set()
    for position, char in enumerate(token):
        replacement = alphabet[(alphabet.find(char) + 1) % len(alphabet)] if char != "." else "A"
        tampered = token[:position] + replacement + token[position + 1 :]
        with pytest.raises(Unauthorized) as info:
            await verifier.verify(bearer(tampered), example["url"])
        assert "replayed" not in info.value.reason
        parts_hit.add(token[:position].count("."))
    assert parts_hit == {0, 1, 2} and len(token) > 50
    # The untouched token still verifies: no failed attempt spent its jti.
    assert (await verifier.verify(example["authorization"], example["url"]))["jti"] == payload["jti"]


# ------------------------------------------------ fresh tokens signed as the sandbox does


def sandbox_token(now: float, aud: str) -> str:
    private_key = serialization.load_pem_private_key(
        (SANDBOX_DATA / "cds-hooks-sandbox-ec-private-key.pem").read_bytes(), password=None
    )
    payload = {"iss": SANDBOX_ISS, "aud": aud, "exp": int(now) + 300, "iat": int(now), "jti": str(uuid.uuid4())}
    return jwt.encode(payload, private_key, algorithm="ES384", headers={"typ": "JWT", "kid": SANDBOX_KID, "jku": SANDBOX_JKU})


async def test_shipped_sandbox_config_accepts_sandbox_style_tokens(keyserver: JwksServer) -> None:
    settings = auth_settings_from_env(
        {
            "CDS_AUTH": "on",
            "CDS_TRUSTED_ISSUERS_FILE": str(REPO / "config" / "sandbox-trusted-issuers.json"),
            "CDS_PUBLIC_BASE_URL": "http://localhost:8092",
        }
    )
    assert list(settings.issuers) == [SANDBOX_ISS]
    assert json.loads((REPO / "config" / "sandbox-jwks.json").read_text()) == json.loads(
        (SANDBOX_DATA / "cds-hooks-sandbox-jwks.json").read_text()
    )
    verifier = TokenVerifier(settings)  # real clock
    app = make_app(verifier, "http://localhost:8092")
    async with client(app, "http://localhost:8092") as http:
        for path in ("/cds-services", "/cds-services/igsub", "/cds-services/igsub/feedback"):
            token = sandbox_token(time.time(), "http://localhost:8092" + path)
            method = "GET" if path == "/cds-services" else "POST"
            r = await http.request(method, path, json=None if method == "GET" else {}, headers={"Authorization": bearer(token)})
            assert r.status_code == 200, path
        wrong_aud = sandbox_token(time.time(), "http://localhost:8092/cds-services")
        r = await http.post("/cds-services/igsub", json={}, headers={"Authorization": bearer(wrong_aud)})
        assert r.status_code == 401
    # Another key claiming to be the sandbox is refused.
    forged = jwt.encode(
        {"iss": SANDBOX_ISS, "aud": "http://localhost:8092/cds-services", "exp": int(time.time()) + 300, "iat": int(time.time()), "jti": "x"},
        EC_A,
        algorithm="ES384",
        headers={"kid": SANDBOX_KID, "jku": SANDBOX_JKU},
    )
    await rejected(verifier, bearer(forged), "http://localhost:8092/cds-services")


# ------------------------------------------------------------------------ configuration


def test_auth_off_by_default() -> None:
    settings = auth_settings_from_env({})
    assert settings.enabled is False and not settings.issuers
    assert auth_settings_from_env({"CDS_AUTH": "OFF"}).enabled is False
    assert "DEVELOPMENT MODE" in DEV_MODE_WARNING


def test_env_numbers(tmp_path: Path) -> None:
    settings = make_settings(
        tmp_path, CDS_AUTH_LEEWAY_SECONDS="30", CDS_JWKS_TIMEOUT_SECONDS="1.5", CDS_JWKS_CACHE_SECONDS="60"
    )
    assert (settings.leeway_seconds, settings.jwks_timeout_seconds, settings.jwks_cache_seconds) == (30, 1.5, 60)
    defaults = make_settings(tmp_path)
    assert (defaults.leeway_seconds, defaults.jwks_timeout_seconds, defaults.jwks_cache_seconds) == (60, 2, 3600)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CDS_AUTH": "on"}, "CDS_TRUSTED_ISSUERS_FILE is not set"),
        ({"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": "/nonexistent/issuers.json"}, "cannot read"),
        ({"CDS_AUTH": "yes please"}, "CDS_AUTH must be"),
        ({"CDS_AUTH_LEEWAY_SECONDS": "soon"}, "CDS_AUTH_LEEWAY_SECONDS"),
        ({"CDS_JWKS_TIMEOUT_SECONDS": "0"}, "CDS_JWKS_TIMEOUT_SECONDS"),
        ({"CDS_PUBLIC_BASE_URL": "cds.hospital.dk"}, "CDS_PUBLIC_BASE_URL"),
    ],
)
def test_env_errors(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        auth_settings_from_env(env)


def test_bad_json(tmp_path: Path) -> None:
    path = tmp_path / "issuers.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        auth_settings_from_env({"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(path)})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ({"issuers": {}}, "lists no issuers"),
        ({"iss": {}}, '"issuers" object'),
        ({"issuers": {ISS: {}}}, "no key source"),
        ({"issuers": {ISS: {"tenant": "t"}}}, "no key source"),
        ({"issuers": {ISS: "https://x"}}, "must be an object"),
        ({"issuers": {ISS: {"jwks_uri": "https://x/jwks"}}}, "unknown keys \\['jwks_uri'\\]"),
        ({"issuers": {ISS: {"jwks_file": "missing.json"}}}, "cannot read JWK Set file"),
        ({"issuers": {ISS: {"jwks_file": "empty.json"}}}, "no usable key"),
        ({"issuers": {ISS: {"jwks_file": "jwks.json", "jwks_url": "https://x/jwks"}}}, "cannot be combined"),
        ({"issuers": {ISS: {"jwks_url": "http://ehr.example.org/jwks"}}}, "must use https"),
        ({"issuers": {ISS: {"jwks_url": "ftp://x/jwks"}}}, "absolute https URL"),
        ({"issuers": {ISS: {"jku_prefixes": "https://x/"}}}, "non-empty list"),
        ({"issuers": {ISS: {"jku_prefixes": ["https://ehr.example.org"]}}}, "must include a path"),
    ],
)
def test_issuers_file_errors(tmp_path: Path, content: dict[str, Any], message: str) -> None:
    (tmp_path / "jwks.json").write_text(json.dumps(jwks((EC_A, "a"))))
    (tmp_path / "empty.json").write_text(json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0", "kid": "h"}]}))
    path = tmp_path / "issuers.json"
    path.write_text(json.dumps(content))
    with pytest.raises(ConfigError, match=message):
        auth_settings_from_env({"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(path)})


def test_issuers_file_valid_forms(tmp_path: Path) -> None:
    (tmp_path / "jwks.json").write_text(json.dumps(jwks((EC_A, "a"))))
    path = write_issuers(
        tmp_path,
        {
            "https://a": {"jwks_file": "jwks.json", "_comment": "ok"},
            "https://b": {"jwks_url": "https://b.example/jwks.json", "tenant": "t1"},
            "https://c": {"jku_prefixes": ["https://c.example/keys/"]},
            "https://d": {"jwks_url": "https://d.example/jwks.json", "jku_prefixes": ["https://d.example/"]},
        },
    )
    settings = auth_settings_from_env({"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(path)})
    assert settings.issuers["https://a"].jwks_file == (tmp_path / "jwks.json").resolve()
    assert settings.issuers["https://b"].tenant == "t1"
    assert settings.issuers["https://d"].jku_prefixes == ("https://d.example/",)


def test_fhir_fetch_development_mode_follows_the_auth_setting(tmp_path: Path) -> None:
    """http to a loopback FHIR server is allowed exactly when authentication is off (CDS_AUTH, read once)."""
    (tmp_path / "jwks.json").write_text(json.dumps(jwks((EC_A, "a"))))
    path = write_issuers(tmp_path, {"https://a": {"jwks_file": "jwks.json"}})
    on = load_settings({"CDS_LINK_SECRET": "l" * 32, "CDS_AUTH": "ON", "CDS_TRUSTED_ISSUERS_FILE": str(path)})
    assert on.auth.enabled and not on.fetch.development
    off = load_settings({"CDS_AUTH": "off"})
    assert not off.auth.enabled and off.fetch.development


def test_replay_cache_bounded_and_expiring() -> None:
    cache = ReplayCache(max_entries=3)
    assert not cache.seen_before(("i", "1"), 100, now=0)
    assert cache.seen_before(("i", "1"), 100, now=50)
    assert not cache.seen_before(("i", "1"), 200, now=100)  # expired at 100, fresh again
    for n in range(10):
        cache.seen_before(("i", f"x{n}"), 1000 + n, now=100)
    assert len(cache) == 3


def test_jwks_skips_unusable_keys(tmp_path: Path) -> None:
    from cds_service.http.jwks import keys_from_jwks

    document = jwks((EC_A, "a"), (RSA_KEY, "r"))
    document["keys"] += [
        {"kty": "oct", "k": "c2VjcmV0", "kid": "hmac"},
        {**public_jwk(EC_B, "enc"), "use": "enc"},
        {**public_jwk(RSA_KEY, "rs256"), "alg": "RS256"},
        {**public_jwk(EC_B, "nokid"), "kid": ""},
        "junk",
    ]
    assert sorted(keys_from_jwks(document)) == ["a", "r"]


# --------------------------------------------------------------------------------- CORS


def test_cors_origins_parsing() -> None:
    assert cors_origins_from_env({}) == []
    env = {"CDS_CORS_ORIGINS": " https://sandbox.cds-hooks.org/ , http://localhost:8080,,https://sandbox.cds-hooks.org"}
    assert cors_origins_from_env(env) == ["https://sandbox.cds-hooks.org", "http://localhost:8080"]
    assert cors_origins_from_env({"CDS_CORS_ORIGINS": "https://a.example, *"}) == ["*"]
    with pytest.raises(ConfigError, match="not an origin"):
        cors_origins_from_env({"CDS_CORS_ORIGINS": "https://a.example/path"})
    with pytest.raises(ConfigError):
        cors_origins_from_env({"CDS_CORS_ORIGINS": "sandbox.cds-hooks.org"})


def test_cors_star_never_with_credentials() -> None:
    options = cors_middleware_options(cors_origins_from_env({"CDS_CORS_ORIGINS": "*"}))
    assert options["allow_origins"] == ["*"] and options["allow_credentials"] is False
    assert options["allow_methods"] == ["GET", "POST", "OPTIONS"]
    assert options["allow_headers"] == ["Authorization", "Content-Type"]
    assert cors_middleware_options(["https://a.example"])["allow_credentials"] is False


async def test_cors_star_response_headers(verifier: TokenVerifier) -> None:
    async with client(make_app(verifier, cors=["*"])) as http:
        r = await http.options(
            "/cds-services",
            headers={"Origin": "https://anywhere.example", "Access-Control-Request-Method": "GET"},
        )
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
