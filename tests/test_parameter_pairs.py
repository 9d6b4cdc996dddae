"""A site's policy file whose parameters contradict each other is refused when it is loaded.

Each numeric [policy] parameter was checked against its own range only: a special-criterion IgG threshold above the
general one, a stop attempt "13-12 months" after the start, a stop warning lead time as long as the window or a review
warning as long as the review interval all loaded, and every card was silently odd (no general-criteria band, a stop
card due from T0, a review warning that never ends). Each pair the rules assume (`ORDERED`) is now checked like a
range: the policy is refused, naming both parameters and their values.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cds_service.errors import EXIT_INPUT
from cql_like_rules.errors import RulesError
from cql_like_rules.parameters import load_parameters

from .test_parameter_ranges import FIXTURES, policy
from .test_startup_errors import refused, serve


@pytest.mark.parametrize("overrides, says", [
    ({"igg_start_threshold_g_l": 7.0},
     "'igg_start_threshold_g_l' (7 g/L) must be below 'igg_general_threshold_g_l' (6 g/L)"),
    ({"igg_start_threshold_g_l": 5.0, "igg_general_threshold_g_l": 5.0},
     "'igg_start_threshold_g_l' (5 g/L) must be below 'igg_general_threshold_g_l' (5 g/L)"),
    ({"general_stop_after_months": 13},
     "'general_stop_after_months' (13 months) must be at most 'general_stop_latest_months' (12 months)"),
    ({"window_months": 3, "stop_due_soon_days": 90},
     "'stop_due_soon_days' (90 days) must be shorter than 'window_months' (3 months, at least 89 days)"),
    ({"late_start_notice_days": 181},
     "'late_start_notice_days' (181 days) must be shorter than 'window_months' (6 months, at least 181 days)"),
    ({"general_review_every_months": 1},
     "'general_review_due_days' (30 days) must be shorter than 'general_review_every_months' (1 month, at least 28 days)"),
])
def test_a_pair_out_of_order_is_refused_naming_both(tmp_path: Path, overrides: dict[str, Any], says: str) -> None:
    path = policy(tmp_path, {"stale_days_in_window": 45, **overrides})
    with pytest.raises(RulesError) as refusal:
        load_parameters(str(path))
    assert str(refusal.value) == f"policy file {path}: policy parameter {says}", refusal.value


def test_the_shipped_defaults_load(tmp_path: Path) -> None:
    assert load_parameters(str(policy(tmp_path, {}))).igg_start_threshold_g_l == 4.0


def test_a_valid_override_of_each_pair_loads(tmp_path: Path) -> None:
    loaded = load_parameters(str(policy(tmp_path, {
        "igg_start_threshold_g_l": 5.0, "igg_general_threshold_g_l": 7.0, "general_stop_after_months": 9,
        "general_stop_latest_months": 9, "window_months": 3, "stop_due_soon_days": 88, "late_start_notice_days": 88,
        "general_review_every_months": 2, "general_review_due_days": 58})))
    assert (loaded.igg_start_threshold_g_l, loaded.general_stop_after_months, loaded.stop_due_soon_days,
            loaded.general_review_due_days) == (5.0, 9, 88, 58)


def test_serve_refuses_to_start_naming_both(tmp_path: Path) -> None:
    line = refused(serve(tmp_path, {"CDS_POLICY_FILE": str(policy(tmp_path, {"igg_general_threshold_g_l": 3.0}))}))
    assert "policy parameter 'igg_start_threshold_g_l' (4 g/L) must be below 'igg_general_threshold_g_l' (3 g/L)" in line


def test_replay_exits_non_zero_naming_both(tmp_path: Path) -> None:
    env = {**os.environ, "CDS_POLICY_FILE": str(policy(tmp_path, {"general_stop_latest_months": 3}))}
    done = subprocess.run([sys.executable, "-m", "cds_service", "replay", str(FIXTURES / "rituximab-only-no-index-event.json"),
                           "--at", "2026-01-20"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == EXIT_INPUT, (done.returncode, done.stderr)
    assert ("policy parameter 'general_stop_after_months' (6 months) must be at most 'general_stop_latest_months' "
            "(3 months)") in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


@pytest.mark.parametrize("overrides, needed, span", [
    ({"recurrent_min_episodes": 3, "recurrent_min_days_apart": 200}, 400, "12 months, at most 365 days"),
    ({"infection_window_months": 1, "recurrent_min_days_apart": 31}, 31, "1 month, at most 30 days"),
])
def test_recurrent_infections_that_no_look_back_can_hold_are_refused(tmp_path: Path, overrides: dict[str, Any],
                                                                    needed: int, span: str) -> None:
    """Three parameters, each in its range: N episodes at least D days apart need (N - 1) x D days between the first
    onset and the last, all inside the look-back (today included; 12 months span 365 days on 29 February); more than
    any look-back holds, and only a severe infection could ever meet the general criteria, silently."""
    path = policy(tmp_path, overrides)
    with pytest.raises(RulesError) as refusal:
        load_parameters(str(path))
    episodes = overrides.get("recurrent_min_episodes", 2)
    apart = overrides["recurrent_min_days_apart"]
    assert str(refusal.value) == (
        f"policy file {path}: policy parameters 'recurrent_min_episodes' ({episodes}) and 'recurrent_min_days_apart' "
        f"({apart} days) need {needed} days from the first episode to the last, more than any look-back of "
        f"'infection_window_months' ({span}): recurrent infections could never be found")


def test_recurrent_infections_that_fit_the_longest_look_back_load(tmp_path: Path) -> None:
    """The bound is the longest look-back: 2 episodes 365 days apart fit 12 months on 29 February only, and a site
    may mean it; 30 days fit a 1-month look-back ending on a 31st."""
    loaded = load_parameters(str(policy(tmp_path, {"infection_window_months": 1, "recurrent_min_days_apart": 30})))
    assert (loaded.recurrent_min_episodes, loaded.recurrent_min_days_apart, loaded.infection_window_months) == (2, 30, 1)
    loaded = load_parameters(str(policy(tmp_path, {"recurrent_min_days_apart": 365})))
    assert loaded.recurrent_min_days_apart == 365
