"""What the service loads once at start-up and shares across requests: value sets, the rule set, the clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Callable
from zoneinfo import ZoneInfo

from cql_like_rules import Parameters, RuleSet, RulesError, load_ruleset
from cql_like_rules.valuesets import Terminology, load_terminology

from .errors import ConfigError
from .fhir.prefetch import prefetch_templates
from .killswitch import KillSwitch
from .settings import Settings

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    terminology: Terminology
    ruleset: RuleSet
    tz: ZoneInfo
    clock: Clock
    templates: dict[str, str]  # prefetch templates (discovery, FHIR fetch, pooling)
    kill_switch: KillSwitch | None = None

    @property
    def params(self) -> Parameters:
        return self.ruleset.parameters

    def today(self) -> date:
        """The evaluation day: a fixed date for testers, else today in the configured zone.

        "now" is the end of that day, so everything dated on it counts.
        """
        if self.settings.evaluation_date is not None:
            return self.settings.evaluation_date
        return self.clock().astimezone(self.tz).date()


def load_runtime(settings: Settings, clock: Clock | None = None,
                 on_kill_switch_error: Callable[[], None] = lambda: None) -> Runtime:
    """Value sets, the configured rule set and the kill switch; a ConfigError names what is unusable."""
    try:
        terminology = load_terminology(settings.valueset_dir)
        ruleset = load_ruleset(settings.ruleset, settings.policy_file)
    except RulesError as exc:
        raise ConfigError(str(exc)) from None
    tz = settings.tz
    kill_switch = KillSwitch(settings.disabled_advice_file, on_kill_switch_error) if settings.disabled_advice_file else None
    return Runtime(settings, terminology, ruleset, tz, clock or (lambda: datetime.now(tz)),
                   prefetch_templates(terminology), kill_switch)
