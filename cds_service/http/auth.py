"""Trusting CDS Clients (CDS Hooks 2.0): verify the signed JWT on every call.

The spec lets a CDS client prove who it is only through `Authorization: Bearer <JWT>`
signed with a key from its JWK Set, so this module is the service's front door:
a `TokenVerifier` (its `AuthSettings` come from `settings.py`), and a pure ASGI `AuthMiddleware`
that answers 401 without saying why (the reason goes to the log, the token never).
"""

from __future__ import annotations

import heapq
import json
import logging
import math
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeGuard, cast
from urllib.parse import urlsplit

import httpx
from anyio import to_thread
from jwt import PyJWK, PyJWS, PyJWTError
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import ConfigError, Unauthorized, UpstreamError, error_body
from ..settings import AuthSettings, IssuerConfig
from .hook_route import request_origin
from .jwks import ALLOWED_ALGORITHMS, JwksCache, load_jwks_file
from .logs import sanitise

__all__ = [
    "ALLOWED_ALGORITHMS",
    "DEV_MODE_WARNING",
    "AuthMiddleware",
    "ReplayCache",
    "ReplayRecord",
    "TokenVerifier",
    "cors_middleware_options",
]

logger = logging.getLogger("cds_service.http.auth")

DEV_MODE_WARNING = (
    "CDS_AUTH is off: DEVELOPMENT MODE. /cds-services accepts calls WITHOUT verifying "
    "the client's JWT, so anyone who can reach this port can call every service. "
    "Set CDS_AUTH=on and CDS_TRUSTED_ISSUERS_FILE before handling real patient data."
)

#: Path prefix guarded by the middleware: discovery, services and feedback.
PROTECTED_PREFIX = "/cds-services"

#: Real CDS tokens are well under 2 KB; parsing megabytes of "token" is a cheap DoS.
MAX_TOKEN_CHARS = 16 * 1024

_ISSUER_KEYS = frozenset({"jwks_file", "jwks_url", "jku_prefixes", "tenant"})
_UNAUTHORIZED_BODY = error_body(401, "unauthorized")  # the project's error shape, with no detail of why


# ------------------------------------------------------------------------------- CORS


#: Browser origins on this machine: http or https, 127.0.0.1, localhost or [::1], any port.
LOOPBACK_ORIGIN_REGEX = r"https?://(127\.0\.0\.1|localhost|\[::1\])(:\d{1,5})?"


def cors_middleware_options(origins: list[str], *, allow_loopback: bool = False) -> dict[str, Any]:
    """Keyword arguments for Starlette's `CORSMiddleware`.

    `allow_loopback` (development mode, no CDS_AUTH) also admits loopback origins, so a
    CDS Hooks Sandbox run on the same machine works with no configuration. Credentials
    are never allowed: CDS clients send the JWT in an explicit Authorization header,
    which needs no cookies, and `*` with credentials would let any site ride on a
    user's session. A private-network preflight is answered for an allowed origin only.
    """
    return {
        "allow_origins": list(origins),
        "allow_origin_regex": LOOPBACK_ORIGIN_REGEX if allow_loopback else None,
        "allow_credentials": False,
        "allow_methods": ["GET", "POST", "OPTIONS"],
        "allow_headers": ["Authorization", "Content-Type"],
        # Private Network Access: a browser page of an allowed origin on the public internet (the hosted
        # Sandbox, a web EHR) calling this service on an intranet address asks first; an allowed origin may
        "allow_private_network": True,
    }


# ----------------------------------------------------------------------- replay record


class ReplayRecord(Protocol):
    """Where spent token ids are kept: `ReplayCache` (memory, one process) or the database
    (`cds_service.records.replay.DatabaseReplayRecord`, every worker and instance).

    `first_use` records `(iss, jti)` until `expires_at` and says whether it was new; a
    `blocking` record is called in a worker thread, never on the event loop. A record may
    also offer `async first_use_async(...)` (same arguments and answer), which is awaited
    instead: the database record answers the event loop straight from its committer thread.
    """

    blocking: bool

    def first_use(self, iss: str, jti: str, expires_at: float, now: float) -> bool: ...


class ReplayCache:
    """Remembers `(iss, jti)` until the token expires, in this process only.

    For unit tests and apps without a card store; the server uses the database record.
    Bounded: when full, the entries closest to expiry go first, since they are the
    ones whose replay window is shortest anyway.
    """

    blocking = False

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._expiry: dict[tuple[str, str], float] = {}
        self._heap: list[tuple[float, tuple[str, str]]] = []

    def __len__(self) -> int:
        return len(self._expiry)

    def seen_before(self, key: tuple[str, str], expires_at: float, now: float) -> bool:
        """Record `key`; True if it was already recorded and has not yet expired."""
        while self._heap and self._heap[0][0] <= now:
            self._drop_earliest()
        if key in self._expiry:
            return True
        self._expiry[key] = expires_at
        heapq.heappush(self._heap, (expires_at, key))
        while len(self._expiry) > self._max_entries:
            self._drop_earliest()
        return False

    def _drop_earliest(self) -> None:
        expires_at, key = heapq.heappop(self._heap)
        if self._expiry.get(key) == expires_at:
            del self._expiry[key]

    def first_use(self, iss: str, jti: str, expires_at: float, now: float) -> bool:
        return not self.seen_before((iss, jti), expires_at, now)


# --------------------------------------------------------------------------- verifier


def _show(value: object, limit: int = 100) -> str:
    """Attacker-supplied values for the log: bounded, unsafe characters replaced, quoted."""
    return repr(sanitise(value, limit))


def _is_number(value: object) -> TypeGuard[int | float]:
    """A JSON number usable as a time; huge ints would overflow float arithmetic later."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _bearer_token(authorization_header: str | None) -> str:
    if not authorization_header:
        raise Unauthorized("no Authorization header")
    scheme, _, token = authorization_header.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise Unauthorized("Authorization scheme is not Bearer")
    token = token.strip()
    if not token:
        raise Unauthorized("empty Bearer token")
    if len(token) > MAX_TOKEN_CHARS:
        raise Unauthorized(f"token longer than {MAX_TOKEN_CHARS} characters")
    return token


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _canonical_url(url: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, path and query) of a plain absolute http(s) URL, or None.

    Anything a server or library might decode or rewrite later is refused instead of being
    interpreted here: any `%` (so no encoded dot, slash, backslash or percent, in any case,
    single or double), backslashes, spaces and control characters, non-ASCII, dot segments,
    `;` path parameters, user info and fragments. What is left reads the same everywhere.
    """
    if not url.isascii() or any(c in url for c in "%\\#") or any(ord(c) <= 0x20 or ord(c) == 0x7F for c in url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname or "@" in parts.netloc:
        return None
    path = parts.path or "/"
    if ";" in path or any(segment in (".", "..") for segment in path.split("/")):
        return None
    return scheme, parts.hostname, port or _DEFAULT_PORTS[scheme], path + (f"?{parts.query}" if parts.query else "")


def allowed_jku(jku: str, prefixes: tuple[str, ...]) -> str | None:
    """The URL to fetch if `jku` lies under a configured prefix, else None.

    Both sides are compared in canonical form (scheme and host lower-cased, default port
    made explicit): same scheme, host and port, and the prefix's path a prefix of the
    jku's. The URL returned is rebuilt from that form, so what is fetched is what was checked.
    """
    found = _canonical_url(jku)
    if found is None:
        return None
    scheme, host, port, path = found
    for prefix in prefixes:
        allowed = _canonical_url(prefix)
        if allowed is not None and allowed[:3] == (scheme, host, port) and path.startswith(allowed[3]):
            shown_host = f"[{host}]" if ":" in host else host  # an IPv6 address
            shown_port = "" if port == _DEFAULT_PORTS[scheme] else f":{port}"
            return f"{scheme}://{shown_host}{shown_port}{path}"
    return None


def jku_allowed(jku: str, prefixes: tuple[str, ...]) -> bool:
    """True if `jku` starts with a configured prefix and cannot escape it (see `allowed_jku`)."""
    return allowed_jku(jku, prefixes) is not None


class TokenVerifier:
    """Checks a CDS client's bearer JWT against the trusted issuers.

    Order matters: cheap header checks first, then the issuer allow-list (which also
    decides which key server we may talk to), the signature, the claims, and only
    then is the `jti` spent, so forged tokens cannot burn a legitimate client's jti.
    """

    def __init__(
        self,
        settings: AuthSettings,
        *,
        clock: Callable[[], float] = time.time,
        http: httpx.AsyncClient | None = None,
        replay: ReplayRecord | None = None,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=settings.jwks_timeout_seconds, follow_redirects=False
        )
        self._jwks = JwksCache(
            http=self._http,
            clock=clock,
            ttl=settings.jwks_cache_seconds,
            timeout=settings.jwks_timeout_seconds,
            refetch_interval=settings.jwks_refetch_interval_seconds,
        )
        self._static_keys: dict[str, dict[str, PyJWK]] = {}
        for iss, issuer in settings.issuers.items():
            if issuer.jwks_file is not None:
                try:
                    self._static_keys[iss] = load_jwks_file(issuer.jwks_file)
                except ValueError as exc:
                    raise ConfigError(f"issuer {iss!r}: {exc}") from None
        self._replay: ReplayRecord = replay if replay is not None else ReplayCache(settings.replay_cache_size)
        self._jws = PyJWS()

    async def aclose(self) -> None:
        """Close the HTTP client if we created it (call from the app's shutdown)."""
        if self._owns_http:
            await self._http.aclose()

    async def verify(self, authorization_header: str | None, url: str) -> dict[str, Any]:
        """Return the verified claims, or raise `Unauthorized(reason)`.

        `url` is the exact URL the client called (public base URL + path, no query);
        the token's `aud` must name it.
        """
        token = _bearer_token(authorization_header)
        try:
            unverified = self._jws.decode_complete(token, options={"verify_signature": False})
            header = unverified["header"]
            claims = json.loads(unverified["payload"])
        except (PyJWTError, ValueError, TypeError):
            raise Unauthorized("malformed token") from None
        if not isinstance(claims, dict):
            raise Unauthorized("token payload is not a JSON object")

        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise Unauthorized(f"alg {_show(alg, 20)} not allowed")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Unauthorized("no kid in token header")
        typ = header.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.upper() != "JWT"):
            raise Unauthorized(f"typ {_show(typ, 20)} is not JWT")
        iss = claims.get("iss")
        issuer = self._settings.issuers.get(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise Unauthorized(f"iss {_show(iss)} is not a trusted issuer")

        key = await self._key(issuer, header, kid)
        try:
            verified = self._jws.decode_complete(
                token, key=key, algorithms=[alg], options={"enforce_minimum_key_length": True}
            )
        except PyJWTError as exc:
            raise Unauthorized(f"signature check failed ({type(exc).__name__}), iss {iss!r} kid {_show(kid)}") from None
        claims = cast(dict[str, Any], json.loads(verified["payload"]))  # the bytes checked to be an object above
        now, expires_at = self._check_claims(claims, issuer, url)
        jti, record = claims["jti"], self._replay
        arguments = (issuer.iss, jti, expires_at, now)
        awaitable = getattr(record, "first_use_async", None)
        if awaitable is not None:
            first = await awaitable(*arguments)
        else:
            first = await to_thread.run_sync(record.first_use, *arguments) if record.blocking else record.first_use(*arguments)
        if not first:
            raise Unauthorized(f"jti {_show(jti)} replayed (iss {issuer.iss!r})")
        return claims

    async def _key(self, issuer: IssuerConfig, header: dict[str, Any], kid: str) -> PyJWK:
        """Pick the key source this issuer allows; a `jku` is followed only inside its prefixes."""
        jku = header.get("jku")
        try:
            if issuer.jku_prefixes and jku is not None:
                url = allowed_jku(jku, issuer.jku_prefixes) if isinstance(jku, str) else None
                if url is None:
                    raise Unauthorized(f"jku {_show(jku, 200)} not allowed for iss {issuer.iss!r}")
                return await self._jwks.key(issuer.iss, url, kid)
            static = self._static_keys.get(issuer.iss)
            if static is not None:
                if kid not in static:
                    raise Unauthorized(f"kid {_show(kid)} not in configured JWK Set of iss {issuer.iss!r}")
                return static[kid]
            if issuer.jwks_url is not None:
                return await self._jwks.key(issuer.iss, issuer.jwks_url, kid)
        except UpstreamError as exc:
            raise Unauthorized(f"iss {issuer.iss!r}: {exc.message}") from None
        raise Unauthorized(f"no jku in token and iss {issuer.iss!r} has only jku_prefixes")

    def _check_claims(self, claims: dict[str, Any], issuer: IssuerConfig, url: str) -> tuple[float, float]:
        """Every claim but the jti's novelty; returns now and until when the jti must be remembered."""
        now = self._clock()
        leeway = self._settings.leeway_seconds
        aud = claims.get("aud")
        audiences = [aud] if isinstance(aud, str) else aud
        if not isinstance(audiences, list) or url not in audiences:
            raise Unauthorized(f"aud {_show(aud, 200)} does not name {url!r}")
        exp, iat, nbf = claims.get("exp"), claims.get("iat"), claims.get("nbf")
        if not _is_number(exp):
            raise Unauthorized("exp missing or not a number")
        if now >= exp + leeway:
            raise Unauthorized(f"token expired {now - exp:.0f} s ago")
        if exp - now > self._settings.max_token_seconds + leeway:
            raise Unauthorized(f"token valid for {exp - now:.0f} s, more than CDS_AUTH_MAX_TOKEN_SECONDS "
                               f"({self._settings.max_token_seconds:g} s)")
        if not _is_number(iat):
            raise Unauthorized("iat missing or not a number")
        if iat > now + leeway:
            raise Unauthorized(f"iat {iat - now:.0f} s in the future")
        if nbf is not None and (not _is_number(nbf) or nbf > now + leeway):
            raise Unauthorized("nbf not a number or in the future")
        jti = claims.get("jti")
        if not isinstance(jti, str) or not jti or len(jti) > 256:
            raise Unauthorized("jti missing or invalid")
        if issuer.tenant is not None and claims.get("tenant") != issuer.tenant:
            raise Unauthorized(f"tenant {_show(claims.get('tenant'))} not allowed for iss {issuer.iss!r}")
        return now, exp + leeway


# ------------------------------------------------------------------------- middleware


class AuthMiddleware:
    """Pure ASGI middleware: every /cds-services request must carry a valid client JWT.

    Pure ASGI (not BaseHTTPMiddleware) so request bodies stream untouched and the
    401 is sent before the app sees anything. OPTIONS passes so CORS preflights,
    which browsers send without credentials, can be answered by CORSMiddleware.
    Verified claims are left in `request.state.cds_auth_claims`.
    """

    def __init__(self, app: ASGIApp, verifier: TokenVerifier, public_base_url: str | None) -> None:
        self.app = app
        self.verifier = verifier
        self.public_base_url = public_base_url.rstrip("/") if public_base_url else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] == "OPTIONS"
            or not scope["path"].startswith(PROTECTED_PREFIX)
        ):
            await self.app(scope, receive, send)
            return
        values = [v for k, v in scope["headers"] if k.lower() == b"authorization"]
        try:
            if len(values) > 1:
                raise Unauthorized("more than one Authorization header")
            header = values[0].decode("latin-1") if values else None
            claims = await self.verifier.verify(header, self.called_url(scope))
        except Unauthorized as exc:
            self._log_rejection(scope, exc.reason)
            await self._reject(scope, receive, send)
            return
        except Exception:  # fail closed: a bug in verification must not open the door
            logger.exception("token verification crashed; rejecting %s %s", sanitise(scope["method"], 16),
                             sanitise(scope["path"]))
            await self._reject(scope, receive, send)
            return
        scope.setdefault("state", {})["cds_auth_claims"] = claims
        await self.app(scope, receive, send)

    def called_url(self, scope: Scope) -> str:
        """The URL the client called, as it must appear in `aud` (no query string)."""
        path: str = scope["path"]
        return (self.public_base_url or request_origin(scope)) + path

    @staticmethod
    def _log_rejection(scope: Scope, reason: str) -> None:
        client = scope.get("client")
        logger.warning(
            "401 for %s %s from %s: %s",
            sanitise(scope["method"], 16),
            sanitise(scope["path"]),
            client[0] if client else "?",
            sanitise(reason, 400),  # its client values are quoted with _show already; this bounds the whole
        )

    @staticmethod
    async def _reject(scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            _UNAUTHORIZED_BODY, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
        await response(scope, receive, send)
