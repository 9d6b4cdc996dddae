"""Service settings, from environment variables (the only configuration surface).

| variable | default | meaning |
|---|---|---|
| `CDS_TIMEZONE` | `Europe/Copenhagen` | calendar days ("today", result dates) are counted in this zone |
| `CDS_POLICY_FILE` | (none) | JSON file overriding rule parameters (see `cql_like_rules/parameters.py`) |
| `CDS_VALUESET_DIR` | (none) | extra value-set files with a hospital's local codes |
| `CDS_EVALUATION_DATE` | (none) | testers only: evaluate as of this date (YYYY-MM-DD) instead of today |
| `CDS_DATA_DIR` | `data` | where the embedded SQLite database lives |
| `CDS_MAX_BODY_BYTES` | `5242880` | larger request bodies are refused with 413 (counted while streaming) |
| `CDS_MAX_RESOURCES` | `5000` | more prefetched resources in one request are refused with 413 |
| `CDS_MAX_JSON_DEPTH` | `1024` | JSON nested deeper is refused with 400 (1024 is orjson's own limit; a lower value adds a scan of the body) |
| `CDS_BODY_TIMEOUT` | `10` | seconds a client may take to send the request body (then 408) |
| `CDS_LOG_PATIENT_ID` | `hash` | the request log shows `context.patientId` as `plain`, `hash` (salted) or `off` |
| `CDS_LOG_SALT` | (random per process) | salt of the patient-id hash; set it to correlate logs across restarts |
| `CDS_DISABLED_ADVICE_FILE` | (none) | kill switch: JSON list of advice codes never shown (re-read on change) |
| `CDS_KEEPALIVE_TIMEOUT` | `5` | seconds an idle keep-alive connection stays open (uvicorn) |
| `CDS_SHUTDOWN_TIMEOUT` | `10` | seconds in-flight requests get to finish on shutdown (uvicorn) |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class ConfigError(Exception):
    """The configuration is unusable: the service refuses to start, saying why."""


@dataclass(frozen=True)
class Settings:
    timezone: str = "Europe/Copenhagen"
    policy_file: str | None = None
    valueset_dir: str | None = None
    evaluation_date: date | None = None
    data_dir: str = "data"
    max_body_bytes: int = 5 * 1024 * 1024
    max_resources: int = 5000
    max_json_depth: int = 1024  # the JSON parser's own limit: no extra pass over the body
    body_timeout: float = 10.0
    log_patient_id: str = "hash"  # plain | hash | off
    log_salt: str | None = None
    disabled_advice_file: str | None = None
    keepalive_timeout: float = 5.0
    shutdown_timeout: float = 10.0

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def settings_from_env(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    tz = env.get("CDS_TIMEZONE") or "Europe/Copenhagen"
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"CDS_TIMEZONE={tz!r} is not a known time zone") from None
    when = env.get("CDS_EVALUATION_DATE") or None
    try:
        evaluation_date = date.fromisoformat(when) if when else None
    except ValueError:
        raise ConfigError(f"CDS_EVALUATION_DATE={when!r} is not a date (YYYY-MM-DD)") from None
    log_patient_id = (env.get("CDS_LOG_PATIENT_ID") or "hash").strip().lower()
    if log_patient_id not in ("plain", "hash", "off"):
        raise ConfigError(f"CDS_LOG_PATIENT_ID={log_patient_id!r} must be plain, hash or off")
    return Settings(
        timezone=tz,
        policy_file=env.get("CDS_POLICY_FILE") or None,
        valueset_dir=env.get("CDS_VALUESET_DIR") or None,
        evaluation_date=evaluation_date,
        data_dir=env.get("CDS_DATA_DIR") or "data",
        max_body_bytes=int(_positive(env, "CDS_MAX_BODY_BYTES", Settings.max_body_bytes, int)),
        max_resources=int(_positive(env, "CDS_MAX_RESOURCES", Settings.max_resources, int)),
        max_json_depth=int(_positive(env, "CDS_MAX_JSON_DEPTH", Settings.max_json_depth, int)),
        body_timeout=_positive(env, "CDS_BODY_TIMEOUT", Settings.body_timeout, float),
        log_patient_id=log_patient_id,
        log_salt=env.get("CDS_LOG_SALT") or None,
        disabled_advice_file=env.get("CDS_DISABLED_ADVICE_FILE") or None,
        keepalive_timeout=_positive(env, "CDS_KEEPALIVE_TIMEOUT", Settings.keepalive_timeout, float),
        shutdown_timeout=_positive(env, "CDS_SHUTDOWN_TIMEOUT", Settings.shutdown_timeout, float),
    )


def _positive(env: Mapping[str, str], name: str, default: float, kind: type[int] | type[float]) -> float:
    """A limit or timeout: a typo must stop the service, not silently disable the limit."""
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a {kind.__name__}") from None
    if not value > 0:
        raise ConfigError(f"{name}={raw!r} must be greater than 0")
    return value
