"""A site's policy file with a negative day count or an IgG threshold of zero or less is refused when it is loaded.

`CDS_POLICY_FILE` overrides the [policy] parameters (`cql_like_rules/parameters.py`). Only names and types were
checked: `"culture_window_days": -1` or `"igg_start_threshold_g_l": 0` loaded, and every card was silently wrong (no
culture ever near an infection, no IgG ever below the threshold). Each numeric parameter now carries its range beside
it; an override outside it refuses start-up and every `cds-service` command, naming the parameter and the range.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from cds_service.errors import EXIT_INPUT
from cql_like_rules.errors import RulesError
from cql_like_rules.parameters import RANGE, Parameters, load_parameters

from .test_startup_errors import refused, serve

FIXTURES = Path(__file__).resolve().parent.parent / "fhir_fixtures"


def policy(tmp_path: Path, overrides: dict[str, Any]) -> Path:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(overrides), encoding="utf-8")
    return path


@pytest.mark.parametrize("name, value, says", [
    ("contaminant_separate_sets_days", -1, "from 0 to 14 days, not -1"),
    ("culture_window_days", -7, "from 0 to 60 days, not -7"),
    ("ig_administration_course_days", -35, "from 1 to 180 days, not -35"),
    ("general_review_due_days", -30, "from 0 to 365 days, not -30"),
    ("window_months", 0, "from 1 to 24 months, not 0"),
    ("igg_start_threshold_g_l", 0, "from 0.5 to 20 g/L, not 0"),
    ("igg_general_threshold_g_l", -6.0, "from 0.5 to 20 g/L, not -6.0"),
    ("igg_max_plausible_g_l", 5000, "from 20 to 200 g/L, not 5000"),
])
def test_a_value_outside_its_range_is_refused_naming_the_parameter(tmp_path: Path, name: str, value: float,
                                                                    says: str) -> None:
    with pytest.raises(RulesError) as refusal:
        load_parameters(str(policy(tmp_path, {"stale_days_in_window": 45, name: value})))
    assert f"policy parameter {name!r} must be {says}" in str(refusal.value), refusal.value


def test_a_valid_override_still_loads(tmp_path: Path) -> None:
    loaded = load_parameters(str(policy(tmp_path, {"culture_window_days": 0, "contaminant_separate_sets_days": 14,
                                                   "igg_start_threshold_g_l": 3.5, "ig_administration_course_days": 28})))
    assert (loaded.culture_window_days, loaded.contaminant_separate_sets_days, loaded.igg_start_threshold_g_l,
            loaded.ig_administration_course_days) == (0, 14, 3.5, 28)


def test_every_numeric_parameter_has_a_range_holding_its_default() -> None:
    for f in fields(Parameters):
        if f.type in ("int", "float"):
            low, high = f.metadata[RANGE]
            assert low <= getattr(Parameters(), f.name) <= high, f.name


def test_serve_refuses_to_start_naming_the_parameter(tmp_path: Path) -> None:
    line = refused(serve(tmp_path, {"CDS_POLICY_FILE": str(policy(tmp_path, {"culture_window_days": -1}))}))
    assert "policy parameter 'culture_window_days' must be from 0 to 60 days, not -1" in line, line


def test_replay_exits_non_zero_naming_the_parameter(tmp_path: Path) -> None:
    env = {**os.environ, "CDS_POLICY_FILE": str(policy(tmp_path, {"general_review_due_days": -30}))}
    done = subprocess.run([sys.executable, "-m", "cds_service", "replay", str(FIXTURES / "rituximab-only-no-index-event.json"),
                           "--at", "2026-01-20"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_INPUT, (done.returncode, done.stderr)  # as an unknown parameter
    assert "policy parameter 'general_review_due_days' must be from 0 to 365 days, not -30" in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_a_page_stored_with_a_value_since_refused_still_opens() -> None:
    """The explanation page shows the parameters its card was made with: one stored before a range refused them
    opens, naming the value it was made with."""
    from cds_service.tools.replay import replay

    from .pages import rendered, stored
    from .test_igg_seen_not_used import AT, RUNTIME, chart

    data = stored(replay(RUNTIME, chart(), at=AT), RUNTIME)
    data["ruleset"]["parameters"]["culture_window_days"] = -7
    assert "-7" in rendered(data, "en", RUNTIME)
