"""All configuration, in one place: environment variables and the files they name.

This is the only module that reads `os.environ` or a configuration file. Everything else
receives a `Settings` (or the part of it it needs) as an argument, as Starlette's
middlewares do, so a test or a tool builds exactly the configuration it wants.

| variable | default | meaning |
|---|---|---|
| `CDS_TIMEZONE` | `Europe/Copenhagen` | calendar days ("today", result dates) are counted in this zone |
| `CDS_RULESET` | `medicinraadet-2025` | the rule set the service uses (`cds-service compare-rulesets` lists them) |
| `CDS_POLICY_FILE` | (none) | JSON file overriding rule parameters (`cql_like_rules/parameters.py`) |
| `CDS_VALUESET_DIR` | (none) | extra value-set files with a hospital's local codes |
| `CDS_EVALUATION_DATE` | (none) | testers only: evaluate as of this date (YYYY-MM-DD) instead of today |
| `CDS_DATA_DIR` | `data` | where the embedded SQLite database lives |
| `DATABASE_URL` | (none) | a SQLAlchemy URL (PostgreSQL) instead of the SQLite file; shared by instances |
| `CDS_MAX_BODY_BYTES` | `5242880` | larger request bodies are refused with 413 (counted while streaming) |
| `CDS_MAX_RESOURCES` | `5000` | more resources in one request are refused with 413 |
| `CDS_MAX_JSON_DEPTH` | `200` | JSON nested deeper is refused with 400 (requests) or 412 (FHIR server answers); at most 240 |
| `CDS_BODY_TIMEOUT` | `10` | seconds a client may take to send the request body (then 408) |
| `CDS_MAX_HEADER_BYTES` | `32768` | request headers larger than this (names and values) are refused with 431 |
| `CDS_LOG_PATIENT_ID` | `hash` | the request log shows `context.patientId` as `plain`, `hash` (salted) or `off` |
| `CDS_LOG_SALT` | (random per process) | salt of the patient-id hash; set it to correlate logs across restarts |
| `CDS_DISABLED_ADVICE_FILE` | (none) | kill switch: JSON list of advice codes never shown (re-read on change) |
| `CDS_KEEPALIVE_TIMEOUT` | `5` | seconds an idle keep-alive connection stays open (uvicorn) |
| `CDS_SHUTDOWN_TIMEOUT` | `10` | seconds in-flight requests get to finish on shutdown (uvicorn) |
| `CDS_PUBLIC_BASE_URL` | (the request's) | the URL clients call the service at (JWT `aud`, links in cards) |
| `CDS_CORS_ORIGINS` | (none) | browser origins allowed to call (comma-separated, or `*`); with `CDS_AUTH` off, loopback origins are allowed too |
| `CDS_AUTH` | `off` | `on`: every call must carry a JWT from a trusted issuer |
| `CDS_TRUSTED_ISSUERS_FILE` | (none) | with `CDS_AUTH=on`: JSON file of trusted issuers and their keys |
| `CDS_AUTH_LEEWAY_SECONDS` | `60` | clock skew allowed on `exp`, `iat`, `nbf` |
| `CDS_AUTH_MAX_TOKEN_SECONDS` | `3600` | longest token lifetime accepted (`exp` - now, plus the leeway) |
| `CDS_JWKS_TIMEOUT_SECONDS` | `2` | time allowed to fetch a client's JWK Set |
| `CDS_JWKS_CACHE_SECONDS` | `3600` | how long a fetched JWK Set is trusted |
| `CDS_FHIR_CONNECT_TIMEOUT` | `0.5` | seconds per connection attempt to the EHR's FHIR server (one retry when no connection was made) |
| `CDS_FHIR_TOTAL_TIMEOUT` | `2` | seconds for all fetches of one request together; past it the answer is a 412 naming the key and this setting |
| `CDS_FHIR_MAX_PAGES` | `10` | Bundle `next` links followed per prefetch key |
| `CDS_FHIR_MAX_BYTES` | `8388608` | bytes (decoded) all FHIR server answers of one request may hold together; more is a 412 |
| `CDS_FHIR_ALLOWED_SERVERS` | (any https) | comma-separated base URLs the service may fetch from |
| `CDS_LINK_SECRET` | (random per process; required with `CDS_AUTH=on` unless retention is 0) | key (>= 32 characters) signing the cards' "Why?" links; the same on every instance |
| `CDS_LINK_TTL_SECONDS` | `3600` | [policy] seconds a card's "Why?" link stays valid |
| `CDS_EXPLAIN_RETENTION_DAYS` | `7` | days an explanation snapshot is kept; `0`: none stored, cards carry no link |
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date
from ipaddress import ip_address
from pathlib import Path
from typing import Mapping
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import ConfigError

SQLITE_FILE = "cds.sqlite3"
# The highest CDS_MAX_JSON_DEPTH allowed. orjson.dumps refuses JSON deeper than 254 levels,
# and the service dumps what it accepted (validation cache keys, cards quoting a draft or
# prefetched order, which sits about 2 levels deeper in the answer than in the request):
# with every request at most 240 deep, no dump can fail.
MAX_JSON_DEPTH = 240
MIN_LINK_SECRET = 32  # characters: a guessable key would let anyone mint links to explanation pages


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
    """Trusting CDS clients: everything the token verifier needs, checked once at start-up."""

    enabled: bool = False
    issuers: Mapping[str, IssuerConfig] = field(default_factory=dict)
    leeway_seconds: float = 60.0
    max_token_seconds: float = 3600.0  # exp - now must not exceed this (+ leeway): bounds the replay record
    jwks_timeout_seconds: float = 2.0
    jwks_cache_seconds: float = 3600.0
    jwks_refetch_interval_seconds: float = 30.0
    replay_cache_size: int = 65_536


@dataclass(frozen=True)
class FetchSettings:
    """Fetching missing prefetch data from the EHR's FHIR server."""

    # Fetching is the fallback when the EHR did not prefetch: the CDS Hooks spec's "on the order of 500 ms" is an
    # answer with the prefetch sent, and a fetch that runs out answers 412, i.e. no card at all. A real FHIR server
    # (TLS set-up, a search of a patient's observations, paging) often takes a second; the test server takes ~180 ms.
    # So a late card is preferred to none, within a budget still well under the several seconds an EHR commonly
    # waits for a CDS service before it shows the chart without it. A site that needs less sets it lower.
    connect_timeout: float = 0.5  # seconds, per connection attempt (one retry when no connection was made)
    total_timeout: float = 2.0  # seconds, all fetches of one request together (connect, wait, read, every page)
    max_pages: int = 10  # Bundle next links followed per key
    allowed_base_urls: tuple[str, ...] = ()  # empty = any https server
    development: bool = False  # allows http://, but only to loopback hosts
    max_bytes: int = 8 * 1024 * 1024  # decoded answer bytes per CDS request, all keys and pages together


@dataclass(frozen=True)
class Settings:
    timezone: str = "Europe/Copenhagen"
    ruleset: str = "medicinraadet-2025"
    policy_file: str | None = None
    valueset_dir: str | None = None
    evaluation_date: date | None = None
    data_dir: str = "data"
    database_url: str | None = None
    max_body_bytes: int = 5 * 1024 * 1024
    max_resources: int = 5000
    max_json_depth: int = 200  # requests and FHIR server answers; at most MAX_JSON_DEPTH
    body_timeout: float = 10.0
    max_header_bytes: int = 32 * 1024
    log_patient_id: str = "hash"  # plain | hash | off
    log_salt: str | None = None
    disabled_advice_file: str | None = None
    keepalive_timeout: float = 5.0
    shutdown_timeout: float = 10.0
    public_base_url: str | None = None
    link_secret: str | None = None  # None: a random key per process (development mode only)
    link_ttl_seconds: int = 3600
    explain_retention_days: int = 7
    cors_origins: tuple[str, ...] = ()
    auth: AuthSettings = field(default_factory=AuthSettings)
    fetch: FetchSettings = field(default_factory=lambda: FetchSettings(development=True))

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def store_url(self, *, create_dir: bool = True) -> str:
        """`database_url` when set, else the SQLite file in the data directory (created if absent)."""
        if self.database_url:
            return self.database_url
        directory = Path(self.data_dir).expanduser().resolve()
        if create_dir:
            try:
                directory.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(f"CDS_DATA_DIR={self.data_dir!r}: cannot create the directory "
                                  f"({exc.strerror or exc})") from None
        return f"sqlite:///{directory / SQLITE_FILE}"


def load_settings(env: Mapping[str, str] | None = None, *, local: bool = False) -> Settings:
    """The settings from the environment (`os.environ` when `env` is None); ConfigError if unusable.

    `local` is for the tools run on a workstation or in a pipeline (replay, timeline, worklist,
    compare-rulesets, feedback-report, valuesets expand): they answer no EHR and sign no links,
    so the server's authentication (CDS_AUTH, CDS_TRUSTED_ISSUERS_FILE, ...) and link key
    (CDS_LINK_SECRET) are not read — a shell holding the server's environment can run them.
    """
    env = os.environ if env is None else env
    tz = _text(env, "CDS_TIMEZONE") or Settings.timezone
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"CDS_TIMEZONE={tz!r} is not a known time zone (an IANA name such as Europe/Copenhagen)") from None
    when = _text(env, "CDS_EVALUATION_DATE")
    try:
        evaluation_date = date.fromisoformat(when) if when else None
    except ValueError:
        raise ConfigError(f"CDS_EVALUATION_DATE={when!r} is not a date (YYYY-MM-DD)") from None
    log_patient_id = (_text(env, "CDS_LOG_PATIENT_ID") or "hash").lower()
    if log_patient_id not in ("plain", "hash", "off"):
        raise ConfigError(f"CDS_LOG_PATIENT_ID={log_patient_id!r} must be plain, hash or off")
    auth = AuthSettings(enabled=False) if local else auth_settings(env)
    retention_days = int(_number(env, "CDS_EXPLAIN_RETENTION_DAYS", Settings.explain_retention_days, int, minimum=0))
    return Settings(
        timezone=tz,
        ruleset=_text(env, "CDS_RULESET") or Settings.ruleset,
        policy_file=_text(env, "CDS_POLICY_FILE"),
        valueset_dir=_text(env, "CDS_VALUESET_DIR"),
        evaluation_date=evaluation_date,
        data_dir=_text(env, "CDS_DATA_DIR") or Settings.data_dir,
        database_url=_database_url(_text(env, "DATABASE_URL")),
        max_body_bytes=int(_positive(env, "CDS_MAX_BODY_BYTES", Settings.max_body_bytes, int)),
        max_resources=int(_positive(env, "CDS_MAX_RESOURCES", Settings.max_resources, int)),
        max_json_depth=_json_depth(env),
        body_timeout=_positive(env, "CDS_BODY_TIMEOUT", Settings.body_timeout, float),
        max_header_bytes=int(_positive(env, "CDS_MAX_HEADER_BYTES", Settings.max_header_bytes, int)),
        log_patient_id=log_patient_id,
        log_salt=_text(env, "CDS_LOG_SALT"),
        disabled_advice_file=_text(env, "CDS_DISABLED_ADVICE_FILE"),
        keepalive_timeout=_positive(env, "CDS_KEEPALIVE_TIMEOUT", Settings.keepalive_timeout, float),
        shutdown_timeout=_positive(env, "CDS_SHUTDOWN_TIMEOUT", Settings.shutdown_timeout, float),
        public_base_url=_public_base_url(_text(env, "CDS_PUBLIC_BASE_URL") or ""),
        link_secret=None if local else link_secret(_text(env, "CDS_LINK_SECRET")),
        link_ttl_seconds=int(_positive(env, "CDS_LINK_TTL_SECONDS", Settings.link_ttl_seconds, int)),
        explain_retention_days=retention_days,
        cors_origins=cors_origins(_text(env, "CDS_CORS_ORIGINS") or ""),
        auth=auth,
        fetch=fetch_settings(env, development=not auth.enabled),  # CDS_AUTH is read once, by auth_settings
    )


# -- small parsers ---------------------------------------------------------------------------


def _text(env: Mapping[str, str], name: str) -> str | None:
    """A variable's value, stripped; None when unset or empty."""
    value = (env.get(name) or "").strip()
    return value or None


def _positive(env: Mapping[str, str], name: str, default: float, kind: type[int] | type[float]) -> float:
    """A limit or timeout: a typo must stop the service, not silently disable the limit."""
    return _number(env, name, default, kind, minimum=0.0, inclusive=False)


def _number(env: Mapping[str, str], name: str, default: float, kind: type[int] | type[float] = float, *,
            minimum: float, inclusive: bool = True) -> float:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a {'whole number' if kind is int else 'number'}") from None
    if not math.isfinite(value) or value < minimum or (value == minimum and not inclusive):
        relation = ">=" if inclusive else ">"
        raise ConfigError(f"{name}={raw!r} must be a finite number {relation} {minimum:g}")
    return value


def _json_depth(env: Mapping[str, str]) -> int:
    depth = int(_positive(env, "CDS_MAX_JSON_DEPTH", Settings.max_json_depth, int))
    if depth > MAX_JSON_DEPTH:
        raise ConfigError(f"CDS_MAX_JSON_DEPTH={depth} is above {MAX_JSON_DEPTH}, the deepest JSON the service "
                          "can write back (orjson stops at 254 levels)")
    return depth


def is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _database_url(raw: str | None) -> str | None:
    """`driver://...` as SQLAlchemy reads it; checked here so every command refuses a typo alike."""
    if raw is not None and not re.match(r"[A-Za-z][A-Za-z0-9+._-]*://", raw):
        raise ConfigError("DATABASE_URL is not a database URL (e.g. postgresql://user@host:5432/cds)")
    return raw


def _public_base_url(raw: str) -> str | None:
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigError(f"CDS_PUBLIC_BASE_URL must look like https://host[:port][/prefix], not {raw!r}")
    return raw.rstrip("/")


def link_secret(value: str | None) -> str | None:
    """The key for explanation links, never short. The server refuses to start without it when
    authentication is on (`cds_service.http.explain`); the local tools, which make no links, do not need it.

    Every instance of one deployment must share it (a link issued by one is opened at
    another); without it in development mode, `cds_service.http.explain` makes one per process.
    """
    if value is None:
        return None
    if len(value) < MIN_LINK_SECRET:
        raise ConfigError(f"CDS_LINK_SECRET must be at least {MIN_LINK_SECRET} characters long (it is {len(value)})")
    return value


def cors_origins(raw: str) -> tuple[str, ...]:
    """Allowed browser origins (comma-separated); `*` wins alone."""
    origins: list[str] = []
    for part in raw.split(","):
        origin = part.strip().rstrip("/")
        if not origin:
            continue
        if origin == "*":
            return ("*",)
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path or parts.query:
            raise ConfigError(f"CDS_CORS_ORIGINS entry {part.strip()!r} is not an origin like https://host[:port]")
        if origin not in origins:
            origins.append(origin)
    return tuple(origins)


def _fhir_base_url(entry: str, development: bool) -> str:
    """An allow-list entry: a base URL `fhirServer` can equal and the fetcher may call. Anything else would refuse
    every server, silently: not a URL, a bad port, or http where the fetcher calls only https (http is for a
    loopback server in development, CDS_AUTH off)."""
    parts = urlsplit(entry)
    try:
        parts.port  # noqa: B018  raises ValueError on a malformed port
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment or "@" in parts.netloc:
        raise ConfigError(f"CDS_FHIR_ALLOWED_SERVERS entry {entry!r} is not a FHIR base URL like "
                          "https://ehr.hospital.dk/fhir (comma-separated, as the EHR sends it in fhirServer)")
    if parts.scheme == "http" and not (development and is_loopback(parts.hostname)):
        raise ConfigError(f"CDS_FHIR_ALLOWED_SERVERS entry {entry!r} uses http: the service fetches only from https "
                          "servers (http only from a loopback host with CDS_AUTH off); write https://")
    return entry


def fetch_settings(env: Mapping[str, str], development: bool = False) -> FetchSettings:
    """CDS_FHIR_* variables; `development` (no CDS_AUTH) allows http to loopback servers."""
    defaults = FetchSettings()
    servers = tuple(_fhir_base_url(s.strip().rstrip("/"), development)
                    for s in (env.get("CDS_FHIR_ALLOWED_SERVERS") or "").split(",") if s.strip())
    return FetchSettings(
        connect_timeout=_positive(env, "CDS_FHIR_CONNECT_TIMEOUT", defaults.connect_timeout, float),
        total_timeout=_positive(env, "CDS_FHIR_TOTAL_TIMEOUT", defaults.total_timeout, float),
        max_pages=int(_positive(env, "CDS_FHIR_MAX_PAGES", defaults.max_pages, int)),
        allowed_base_urls=servers,
        development=development,
        max_bytes=int(_positive(env, "CDS_FHIR_MAX_BYTES", defaults.max_bytes, int)),
    )


# -- trusted issuers -------------------------------------------------------------------------

_ISSUER_KEYS = frozenset({"jwks_file", "jwks_url", "jku_prefixes", "tenant"})
MAX_ISSUER_CHARS = 1024  # the replay record's column (records/replay.py)


def auth_settings(env: Mapping[str, str]) -> AuthSettings:
    """CDS_AUTH and the trusted-issuers file, checked now so a half-configured server never starts."""
    mode = (_text(env, "CDS_AUTH") or "off").lower()
    if mode not in ("on", "off"):
        raise ConfigError(f"CDS_AUTH must be 'on' or 'off', not {mode!r}")
    numbers = AuthSettings(
        leeway_seconds=_number(env, "CDS_AUTH_LEEWAY_SECONDS", 60.0, minimum=0.0),
        max_token_seconds=_positive(env, "CDS_AUTH_MAX_TOKEN_SECONDS", AuthSettings.max_token_seconds, float),
        jwks_timeout_seconds=_number(env, "CDS_JWKS_TIMEOUT_SECONDS", 2.0, minimum=0.001),
        jwks_cache_seconds=_number(env, "CDS_JWKS_CACHE_SECONDS", 3600.0, minimum=0.0),
    )
    if mode == "off":
        return numbers
    filename = _text(env, "CDS_TRUSTED_ISSUERS_FILE")
    if not filename:
        raise ConfigError("CDS_AUTH=on but CDS_TRUSTED_ISSUERS_FILE is not set; point it at a JSON file "
                          "listing the trusted issuers (see docs/authentication.md)")
    issuers = load_issuers_file(Path(filename))
    return replace(numbers, enabled=True, issuers=issuers)


def check_url(url: str, what: str, *, need_path: bool = False) -> str:
    """A configured key-source URL: https, or http on loopback for local tests."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"{what} must be an absolute https URL, not {url!r}")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(f"{what} must use https (http is allowed only on loopback): {url!r}")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ConfigError(f"{what} must not carry credentials, a query or a fragment: {url!r}")
    if need_path and not parts.path.startswith("/"):
        # Without the "/" after the host, "https://a.org" would also match "https://a.org.evil.com".
        raise ConfigError(f"{what} must include a path, at least '/' after the host: {url!r}")
    return url


def read_json_file(path: Path, where: str) -> object:
    """A configuration file's JSON; a ConfigError says which file (`where`) and what is wrong."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {where}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigError(f"{where} is not valid JSON: {exc}") from None


def load_issuers_file(path: Path) -> dict[str, IssuerConfig]:
    where = f"CDS_TRUSTED_ISSUERS_FILE {str(path)!r}"
    document = read_json_file(path, where)
    if not isinstance(document, dict) or not isinstance(document.get("issuers"), dict):
        raise ConfigError(f'{where} must be an object with an "issuers" object')
    if not document["issuers"]:
        raise ConfigError(f"{where} lists no issuers; with CDS_AUTH=on nobody could call")
    return {iss: _issuer_config(iss, entry, path.parent, where) for iss, entry in document["issuers"].items()}


def _issuer_config(iss: str, entry: object, base: Path, where: str) -> IssuerConfig:
    from .http.jwks import load_jwks_file  # the key parser; imported here to keep settings light

    what = f"{where}, issuer {iss!r}"
    if not iss.strip():
        raise ConfigError(f"{where}: an issuer name is empty")
    if len(iss) > MAX_ISSUER_CHARS:
        raise ConfigError(f"{where}: an issuer name is longer than {MAX_ISSUER_CHARS} characters")
    if not isinstance(entry, dict):
        raise ConfigError(f"{what} must be an object")
    unknown = sorted(k for k in entry if k not in _ISSUER_KEYS and not k.startswith("_"))
    if unknown:
        raise ConfigError(f"{what} has unknown keys {unknown}; allowed: {sorted(_ISSUER_KEYS)} (or '_comment')")
    jwks_file, jwks_url = entry.get("jwks_file"), entry.get("jwks_url")
    prefixes, tenant = entry.get("jku_prefixes"), entry.get("tenant")
    for name, value in (("jwks_file", jwks_file), ("jwks_url", jwks_url), ("tenant", tenant)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(f"{what}: {name} must be a non-empty string")
    if prefixes is not None and (not isinstance(prefixes, list) or not prefixes
                                 or not all(isinstance(p, str) and p for p in prefixes)):
        raise ConfigError(f"{what}: jku_prefixes must be a non-empty list of URL prefixes")
    if jwks_file is None and jwks_url is None and prefixes is None:
        raise ConfigError(f"{what} has no key source: give jwks_file, jwks_url or jku_prefixes")
    if jwks_file is not None and (jwks_url is not None or prefixes is not None):
        raise ConfigError(f"{what}: jwks_file cannot be combined with jwks_url or jku_prefixes "
                          "(allowed: jwks_file | jwks_url | jku_prefixes | jwks_url + jku_prefixes)")
    file_path = None
    if jwks_file is not None:
        file_path = (base / jwks_file).resolve()
        try:
            load_jwks_file(file_path)  # checked now; the verifier loads the keys it uses
        except ValueError as exc:
            raise ConfigError(f"{what}: {exc}") from None
    if jwks_url is not None:
        check_url(jwks_url, f"{what}: jwks_url")
    for prefix in prefixes or ():
        check_url(prefix, f"{what}: jku_prefixes entry", need_path=True)
    return IssuerConfig(iss=iss, jwks_file=file_path, jwks_url=jwks_url, jku_prefixes=tuple(prefixes or ()),
                        tenant=tenant)
