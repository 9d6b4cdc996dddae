"""Trusting CDS Clients (CDS Hooks 2.0): verify the signed JWT on every call.

The spec lets a CDS client prove who it is only through `Authorization: Bearer <JWT>`
signed with a key from its JWK Set, so this module is the service's front door:
settings from the environment, a `TokenVerifier`, and a pure ASGI `AuthMiddleware`
that answers 401 without saying why (the reason goes to the log, the token never).
"""

from __future__ import annotations

import heapq
import json
import logging
import math
import time
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from jwt import PyJWK, PyJWS, PyJWTError
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .jwks import ALLOWED_ALGORITHMS, JwksCache, KeyUnavailable, load_jwks_file
from ..errors import error_body

__all__ = [
    "ALLOWED_ALGORITHMS",
    "DEV_MODE_WARNING",
    "AuthConfigError",
    "AuthMiddleware",
    "AuthSettings",
    "IssuerConfig",
    "TokenVerifier",
    "Unauthorized",
    "auth_settings_from_env",
    "cors_middleware_options",
    "cors_origins_from_env",
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


class AuthConfigError(Exception):
    """The auth configuration is unusable; the server must not start with it."""


class Unauthorized(Exception):
    """The call is not authenticated; `reason` is for the log, never the response."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IssuerConfig:
    """One trusted CDS client (`iss`) and where its public keys come from."""

    iss: str
    jwks_file: Path | None = None
    jwks_url: str | None = None
    jku_prefixes: tuple[str, ...] = ()
    tenant: str | None = None


@dataclass(frozen=True)
class AuthSettings:
    """Everything the verifier needs, parsed and validated once at start-up."""

    enabled: bool = False
    issuers: Mapping[str, IssuerConfig] = field(default_factory=lambda: types.MappingProxyType({}))
    public_base_url: str | None = None
    leeway_seconds: float = 60.0
    jwks_timeout_seconds: float = 2.0
    jwks_cache_seconds: float = 3600.0
    jwks_refetch_interval_seconds: float = 30.0
    replay_cache_size: int = 65_536


# --------------------------------------------------------------------------- settings


def auth_settings_from_env(env: Mapping[str, str]) -> AuthSettings:
    """Build `AuthSettings` from environment variables; raise `AuthConfigError` if unusable.

    Failing here (rather than on the first request) is what makes a half-configured
    production server refuse to start instead of silently rejecting or admitting calls.
    """
    mode = env.get("CDS_AUTH", "off").strip().lower() or "off"
    if mode not in ("on", "off"):
        raise AuthConfigError(f"CDS_AUTH must be 'on' or 'off', not {mode!r}")
    public_base_url = _public_base_url(env.get("CDS_PUBLIC_BASE_URL", ""))
    numbers = {
        "leeway_seconds": _number(env, "CDS_AUTH_LEEWAY_SECONDS", 60.0, minimum=0.0),
        "jwks_timeout_seconds": _number(env, "CDS_JWKS_TIMEOUT_SECONDS", 2.0, minimum=0.001),
        "jwks_cache_seconds": _number(env, "CDS_JWKS_CACHE_SECONDS", 3600.0, minimum=0.0),
    }
    if mode == "off":
        return AuthSettings(enabled=False, public_base_url=public_base_url, **numbers)
    filename = env.get("CDS_TRUSTED_ISSUERS_FILE", "").strip()
    if not filename:
        raise AuthConfigError(
            "CDS_AUTH=on but CDS_TRUSTED_ISSUERS_FILE is not set; "
            "point it at a JSON file listing the trusted issuers (see docs/authentication.md)"
        )
    issuers = _load_issuers_file(Path(filename))
    return AuthSettings(
        enabled=True,
        issuers=types.MappingProxyType(issuers),
        public_base_url=public_base_url,
        **numbers,
    )


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise AuthConfigError(f"{name} must be a number of seconds, not {raw!r}") from None
    if not math.isfinite(value) or value < minimum:
        raise AuthConfigError(f"{name} must be a finite number >= {minimum:g}, not {raw!r}")
    return value


def _is_loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ip_address(host).is_loopback
    except ValueError:
        return False


def _check_url(url: str, what: str, *, need_path: bool = False) -> str:
    """Validate a configured key-source URL: https, or http on loopback for local tests."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise AuthConfigError(f"{what} must be an absolute https URL, not {url!r}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise AuthConfigError(f"{what} must use https (http is allowed only on loopback): {url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise AuthConfigError(f"{what} must not carry credentials, a query or a fragment: {url!r}")
    if need_path and not parts.path.startswith("/"):
        # Without the "/" after the host, "https://a.org" would also match "https://a.org.evil.com".
        raise AuthConfigError(f"{what} must include a path, at least '/' after the host: {url!r}")
    return url


def _public_base_url(raw: str) -> str | None:
    raw = raw.strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise AuthConfigError(
            f"CDS_PUBLIC_BASE_URL must look like https://host[:port][/prefix], not {raw!r}"
        )
    return raw.rstrip("/")


def _load_issuers_file(path: Path) -> dict[str, IssuerConfig]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AuthConfigError(
            f"cannot read CDS_TRUSTED_ISSUERS_FILE {str(path)!r}: {exc.strerror or exc}"
        ) from None
    except ValueError as exc:
        raise AuthConfigError(f"CDS_TRUSTED_ISSUERS_FILE {str(path)!r} is not valid JSON: {exc}") from None
    where = f"CDS_TRUSTED_ISSUERS_FILE {str(path)!r}"
    if not isinstance(document, dict) or not isinstance(document.get("issuers"), dict):
        raise AuthConfigError(f'{where} must be an object with an "issuers" object')
    if not document["issuers"]:
        raise AuthConfigError(f'{where} lists no issuers; with CDS_AUTH=on nobody could call')
    return {
        iss: _issuer_config(iss, entry, path.parent, where)
        for iss, entry in document["issuers"].items()
    }


def _issuer_config(iss: str, entry: object, base: Path, where: str) -> IssuerConfig:
    what = f"{where}, issuer {iss!r}"
    if not iss.strip():
        raise AuthConfigError(f"{where}: an issuer name is empty")
    if not isinstance(entry, dict):
        raise AuthConfigError(f"{what} must be an object")
    unknown = sorted(k for k in entry if k not in _ISSUER_KEYS and not k.startswith("_"))
    if unknown:
        raise AuthConfigError(
            f"{what} has unknown keys {unknown}; allowed: {sorted(_ISSUER_KEYS)} (or '_comment')"
        )
    jwks_file, jwks_url = entry.get("jwks_file"), entry.get("jwks_url")
    prefixes, tenant = entry.get("jku_prefixes"), entry.get("tenant")
    for name, value in (("jwks_file", jwks_file), ("jwks_url", jwks_url), ("tenant", tenant)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise AuthConfigError(f"{what}: {name} must be a non-empty string")
    if prefixes is not None and (
        not isinstance(prefixes, list)
        or not prefixes
        or not all(isinstance(p, str) and p for p in prefixes)
    ):
        raise AuthConfigError(f"{what}: jku_prefixes must be a non-empty list of URL prefixes")
    if jwks_file is None and jwks_url is None and prefixes is None:
        raise AuthConfigError(f"{what} has no key source: give jwks_file, jwks_url or jku_prefixes")
    if jwks_file is not None and (jwks_url is not None or prefixes is not None):
        raise AuthConfigError(
            f"{what}: jwks_file cannot be combined with jwks_url or jku_prefixes "
            "(allowed: jwks_file | jwks_url | jku_prefixes | jwks_url + jku_prefixes)"
        )
    file_path = None
    if jwks_file is not None:
        file_path = (base / jwks_file).resolve()
        try:
            load_jwks_file(file_path)
        except ValueError as exc:
            raise AuthConfigError(f"{what}: {exc}") from None
    if jwks_url is not None:
        _check_url(jwks_url, f"{what}: jwks_url")
    for prefix in prefixes or ():
        _check_url(prefix, f"{what}: jku_prefixes entry", need_path=True)
    return IssuerConfig(
        iss=iss,
        jwks_file=file_path,
        jwks_url=jwks_url,
        jku_prefixes=tuple(prefixes or ()),
        tenant=tenant,
    )


# ------------------------------------------------------------------------------- CORS


def cors_origins_from_env(env: Mapping[str, str]) -> list[str]:
    """Allowed browser origins from `CDS_CORS_ORIGINS` (comma-separated); `*` wins alone."""
    origins: list[str] = []
    for raw in env.get("CDS_CORS_ORIGINS", "").split(","):
        origin = raw.strip().rstrip("/")
        if not origin:
            continue
        if origin == "*":
            return ["*"]
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
            raise AuthConfigError(
                f"CDS_CORS_ORIGINS entry {raw.strip()!r} is not an origin like https://host[:port]"
            )
        if origin not in origins:
            origins.append(origin)
    return origins


def cors_middleware_options(origins: list[str]) -> dict[str, Any]:
    """Keyword arguments for Starlette's `CORSMiddleware`.

    Credentials are never allowed: CDS clients send the JWT in an explicit
    Authorization header, which needs no cookies, and `*` with credentials would
    let any site ride on a user's session.
    """
    return {
        "allow_origins": list(origins),
        "allow_credentials": False,
        "allow_methods": ["GET", "POST", "OPTIONS"],
        "allow_headers": ["Authorization", "Content-Type"],
    }


# ----------------------------------------------------------------------- replay cache


class ReplayCache:
    """Remembers `(iss, jti)` until the token expires, so a captured token is single-use.

    Bounded: when full, the entries closest to expiry go first, since they are the
    ones whose replay window is shortest anyway.
    """

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


# --------------------------------------------------------------------------- verifier


def _show(value: object, limit: int = 100) -> str:
    """Attacker-supplied values for the log: repr (no newlines) and truncated."""
    return repr(str(value)[:limit])


def _is_number(value: object) -> bool:
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


def jku_allowed(jku: str, prefixes: tuple[str, ...]) -> bool:
    """True if `jku` starts with a configured prefix and cannot escape it.

    Dot segments, credentials and backslashes are refused outright because an HTTP
    library may normalise them after our prefix check, landing on another URL.
    """
    parts = urlsplit(jku)
    if parts.scheme not in ("https", "http") or parts.username or parts.password or parts.fragment:
        return False
    if "\\" in jku or any(seg in (".", "..") for seg in parts.path.split("/")):
        return False
    if "%2e" in jku.lower() or "%2f" in jku.lower():
        return False
    return any(jku.startswith(prefix) for prefix in prefixes)


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
                    raise AuthConfigError(f"issuer {iss!r}: {exc}") from None
        self._replay = ReplayCache(settings.replay_cache_size)
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
        claims = json.loads(verified["payload"])
        self._check_claims(claims, issuer, url)
        return claims

    async def _key(self, issuer: IssuerConfig, header: dict[str, Any], kid: str) -> PyJWK:
        """Pick the key source this issuer allows; a `jku` is followed only inside its prefixes."""
        jku = header.get("jku")
        try:
            if issuer.jku_prefixes and jku is not None:
                if not isinstance(jku, str) or not jku_allowed(jku, issuer.jku_prefixes):
                    raise Unauthorized(f"jku {_show(jku, 200)} not allowed for iss {issuer.iss!r}")
                return await self._jwks.key(issuer.iss, jku, kid)
            static = self._static_keys.get(issuer.iss)
            if static is not None:
                if kid not in static:
                    raise Unauthorized(f"kid {_show(kid)} not in configured JWK Set of iss {issuer.iss!r}")
                return static[kid]
            if issuer.jwks_url is not None:
                return await self._jwks.key(issuer.iss, issuer.jwks_url, kid)
        except KeyUnavailable as exc:
            raise Unauthorized(f"iss {issuer.iss!r}: {exc.reason}") from None
        raise Unauthorized(f"no jku in token and iss {issuer.iss!r} has only jku_prefixes")

    def _check_claims(self, claims: dict[str, Any], issuer: IssuerConfig, url: str) -> None:
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
        if self._replay.seen_before((issuer.iss, jti), exp + leeway, now):
            raise Unauthorized(f"jti {jti!r} replayed (iss {issuer.iss!r})")


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
            logger.exception("token verification crashed; rejecting %s %s", scope["method"], scope["path"])
            await self._reject(scope, receive, send)
            return
        scope.setdefault("state", {})["cds_auth_claims"] = claims
        await self.app(scope, receive, send)

    def called_url(self, scope: Scope) -> str:
        """The URL the client called, as it must appear in `aud` (no query string)."""
        if self.public_base_url is not None:
            return self.public_base_url + scope["path"]
        scheme = scope.get("scheme", "http")
        host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
        if not host and scope.get("server"):
            server_host, port = scope["server"]
            default = {"http": 80, "https": 443}.get(scheme)
            host = server_host if port in (None, default) else f"{server_host}:{port}"
        return f"{scheme}://{host}{scope['path']}"

    @staticmethod
    def _log_rejection(scope: Scope, reason: str) -> None:
        client = scope.get("client")
        logger.warning(
            "401 for %s %s from %s: %s",
            scope["method"],
            scope["path"],
            client[0] if client else "?",
            reason,
        )

    @staticmethod
    async def _reject(scope: Scope, receive: Receive, send: Send) -> None:
        response = JSONResponse(
            _UNAUTHORIZED_BODY, status_code=401, headers={"WWW-Authenticate": "Bearer"}
        )
        await response(scope, receive, send)
