"""Service settings, from environment variables (the only configuration surface).

| variable | default | meaning |
|---|---|---|
| `CDS_TIMEZONE` | `Europe/Copenhagen` | calendar days ("today", result dates) are counted in this zone |
| `CDS_POLICY_FILE` | (none) | JSON file overriding rule parameters (see `cql_like_rules/parameters.py`) |
| `CDS_VALUESET_DIR` | (none) | extra value-set files with a hospital's local codes |
| `CDS_EVALUATION_DATE` | (none) | testers only: evaluate as of this date (YYYY-MM-DD) instead of today |
| `CDS_DATA_DIR` | `data` | where the embedded SQLite database lives |
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
    return Settings(
        timezone=tz,
        policy_file=env.get("CDS_POLICY_FILE") or None,
        valueset_dir=env.get("CDS_VALUESET_DIR") or None,
        evaluation_date=evaluation_date,
        data_dir=env.get("CDS_DATA_DIR") or "data",
    )
