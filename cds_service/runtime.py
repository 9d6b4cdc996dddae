"""What the service loads once at start-up and shares across requests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable
from zoneinfo import ZoneInfo

from cql_like_rules import Parameters, load_parameters, ruleset_version
from cql_like_rules.valuesets import Terminology, ValueSetError, load_terminology

from .errors import ConfigError
from .settings import Settings

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    terminology: Terminology
    params: Parameters
    ruleset: str
    tz: ZoneInfo
    clock: Clock

    def today(self) -> date:
        """The evaluation day: a fixed date for testers, else today in the configured zone.

        "now" is the end of that day, so everything dated on it counts.
        """
        if self.settings.evaluation_date is not None:
            return self.settings.evaluation_date
        return self.clock().astimezone(self.tz).date()


def load_runtime(settings: Settings, clock: Clock | None = None) -> Runtime:
    try:
        terminology = load_terminology(settings.valueset_dir)
        params = load_parameters(settings.policy_file)
    except (ValueSetError, ValueError, OSError) as exc:
        raise ConfigError(str(exc)) from None
    tz = settings.tz
    return Runtime(settings, terminology, params, ruleset_version(params), tz, clock or (lambda: datetime.now(tz)))
