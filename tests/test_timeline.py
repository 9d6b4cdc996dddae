"""Timeline: candidate dates are complete (checked against every day), text, HTML, browser."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from cds_service.tools import cli
from cds_service.tools.replay import load_bundle
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.timeline import build_timeline, change_days, patient_data, state_on
from cql_like_rules import Parameters
from cql_like_rules.facts import CarTInfusion, Facts, IgCourse, IgGResult, Infection, Patient
from cql_like_rules.timeline import candidate_dates, candidates, first_day_outside

from . import browser
from .environment import require_system
from .fixtures import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
BUNDLES = sorted(p for p in FIXTURES.glob("*.json") if not p.name.endswith(".expect.json"))
RUNTIME = load_runtime(Settings())


def brute_force_changes(data, runtime, start: date, end: date) -> list[date]:
    """Every single day evaluated: the reference the candidate dates must reproduce."""
    days, day = [], start
    while day <= end:
        days.append(state_on(data, runtime, day))
        day += timedelta(days=1)
    return change_days(days)


# -- the pure candidate-date function ------------------------------------------------------

def test_month_end_stop_date_and_its_neighbours_are_candidates():
    facts = Facts(car_t=(CarTInfusion(date(2025, 8, 31), "Procedure/p"),))
    days = candidate_dates(facts, Parameters(), date(2025, 1, 1), date(2026, 12, 31))
    assert {date(2025, 8, 31), date(2026, 2, 14), date(2026, 2, 28), date(2026, 3, 1)} <= set(days)


def test_staleness_dates_follow_the_parameters():
    facts = Facts(igg=(IgGResult(3.0, date(2026, 1, 1), "Observation/o"),))
    params = Parameters(stale_days_in_window=10, stale_days_after_window=20)
    assert candidate_dates(facts, params, date(2025, 1, 1), date(2027, 1, 1)) == [
        date(2026, 1, 1), date(2026, 1, 12), date(2026, 1, 22)]


def test_infection_leaves_the_lookback_on_the_exact_day_even_from_29_february():
    assert first_day_outside(date(2024, 2, 29), 12) == date(2025, 3, 1)
    assert first_day_outside(date(2025, 1, 31), 1) == date(2025, 3, 1)
    assert first_day_outside(date(2025, 6, 10), 12) == date(2026, 6, 10)


def test_review_cycles_birthday_and_range_limits():
    facts = Facts(
        patient=Patient("Patient/x", date(2008, 5, 1)),
        car_t=(CarTInfusion(date(2025, 1, 10), "Procedure/p"),),
        ig_courses=(IgCourse(date(2024, 12, 1), "active", "MedicationRequest/m"),),
        infections=(Infection(date(2025, 2, 1), True, "Condition/c"),),
    )
    found = candidates(facts, Parameters(), date(2025, 1, 1), date(2026, 12, 31))
    kinds = {(c.date, c.kind) for c in found}
    assert (date(2025, 7, 10), "review-due") in kinds  # max(IG start + 6 months, stop date)
    assert (date(2026, 1, 10), "review-due") in kinds and (date(2026, 7, 10), "review-due") in kinds
    assert (date(2025, 8, 9), "review-warning-ends") in kinds
    assert (date(2026, 5, 1), "adult-birthday") in kinds
    assert (date(2026, 2, 1), "infection-leaves-lookback") in kinds
    assert all(date(2025, 1, 1) <= c.date <= date(2026, 12, 31) for c in found)
    assert found == sorted(found)


# -- completeness: the timeline agrees with a day-by-day evaluation -------------------------

@pytest.mark.parametrize("path", BUNDLES, ids=[p.stem for p in BUNDLES])
def test_timeline_matches_day_by_day_evaluation(path):
    data = patient_data(load_bundle(path), RUNTIME)
    timeline = build_timeline(data, RUNTIME)
    assert [s.day for s in timeline.changes] == brute_force_changes(data, RUNTIME, timeline.start, timeline.end)
    span = (timeline.end - timeline.start).days + 1
    assert timeline.evaluated < span / 10, "the timeline must not evaluate every day"


@pytest.mark.parametrize("name", ["scig-before-t0-general-stop-review", "cart-ig-started-after-sepsis-general-stop-review",
                                  "cart-after-window-recurrent-pneumonia-fresh-igg"])
def test_several_review_cycles_and_infections_leaving_the_lookback(name):
    data = patient_data(load_bundle(FIXTURES / f"{name}.json"), RUNTIME)
    start, end = date(2024, 6, 1), date(2028, 6, 1)
    timeline = build_timeline(data, RUNTIME, start, end)
    assert [s.day for s in timeline.changes] == brute_force_changes(data, RUNTIME, start, end)


@pytest.mark.parametrize("name", ["cart-ig-active-stop-overdue", "cart-in-window-igg-low-stale",
                                  "cart-ig-started-after-sepsis-general-stop-review", "epcoritamab-resumption-keeps-t0"])
def test_candidates_follow_a_site_policy(tmp_path, name):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"window_months": 4, "stale_days_in_window": 12, "stale_days_after_window": 45,
                                  "stop_due_soon_days": 21, "general_review_due_days": 10, "bsab_course_gap_days": 30}))
    runtime = load_runtime(Settings(policy_file=str(policy)))
    data = patient_data(load_bundle(FIXTURES / f"{name}.json"), runtime)
    timeline = build_timeline(data, runtime)
    assert [s.day for s in timeline.changes] == brute_force_changes(data, runtime, timeline.start, timeline.end)


# -- the command ---------------------------------------------------------------------------

def test_cli_prints_one_line_per_change(capsys):
    path = FIXTURES / "cart-ig-active-stop-overdue.json"
    assert cli.main(["timeline", str(path), "--from", "2025-10-01", "--to", "2026-06-30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("Timeline for Patient/pt-dk-0011, 2025-10-01 to 2026-06-30: 7 change(s)")
    assert [line.split()[:2] for line in lines[1:]] == [
        ["2025-10-01", "-"], ["2025-10-14", "measure-igg"], ["2025-10-21", "start-substitution"],
        ["2025-10-23", "-"],  # the IVIG order is written for the next day: substitution is planned, no start card
        ["2025-10-24", "stop-planned"], ["2026-03-31", "stop-due-soon"], ["2026-04-15", "stop-overdue"]]
    assert "[Ig order written]" in lines[4]
    assert "2026-04-14" in lines[-1] and "[day after the stop date]" in lines[-1]


def test_cli_default_range_and_danish(capsys):
    path = FIXTURES / "cart-in-window-igg-low-stale.json"
    assert cli.main(["timeline", str(path), "--lang", "da"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Tidslinje for Patient/pt-dk-0004")
    assert "Ig-substitution kan startes" in out and "IgG-svar" in out


def test_cli_rejects_bad_dates_and_bundles(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["timeline", str(BUNDLES[0]), "--from", "yesterday"])
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert cli.main(["timeline", str(bad)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
    assert cli.main(["timeline", str(BUNDLES[0]), "--from", "2026-01-02", "--to", "2026-01-01"]) == 2


def test_text_timeline_does_not_import_matplotlib():
    code = ("import sys; from cds_service.tools import cli; "
            f"cli.main(['timeline', {str(BUNDLES[0])!r}]); print('matplotlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("False")


# -- HTML ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def html_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("timeline") / "timeline.html"
    mp = pytest.MonkeyPatch()
    mp.setenv("CDS_EVALUATION_DATE", "2026-04-20")  # the "today" marker, fixed
    try:
        assert cli.main(["timeline", str(FIXTURES / "cart-ig-active-stop-overdue.json"), "--html", str(out)]) == 0
    finally:
        mp.undo()
    return out


def test_html_is_self_contained(html_page):
    text = html_page.read_text(encoding="utf-8")
    assert text.count("<svg") == 1 and '<table id="changes">' in text
    for needle in ('src="http', "src='http", 'href="http', "url(http", "<script", "<link"):
        assert needle not in text, needle
    assert "Advice on 2026-04-20" in text and "stop-overdue" in text and "(6 days)" in text
    assert text.count('<td class="date">') == 6


@pytest.fixture(scope="module")
def chromium():
    path, why = browser.find_chromium()
    if path is None:
        require_system("Chromium", why)
    return path


def test_page_loads_in_a_real_browser(chromium, html_page):
    dom = browser.dump_dom(chromium, html_page)
    assert "<svg" in dom and 'id="changes"' in dom
    assert dom.count('<td class="date">') == 6
    assert "stop-due-soon" in dom and "2026-04-14" in dom


def test_screenshot_shows_a_plot(chromium, html_page):
    png = browser.screenshot(chromium, html_page, html_page.with_suffix(".png"))
    width, height, bpp, rows = browser.decode_png(png.read_bytes())
    assert (width, height) == (1280, 1100)
    total, non_white, colours = browser.ink(rows, bpp)
    assert non_white / total > 0.08, "the page is (nearly) blank"
    assert len(colours) >= 8, "the plot should be in colour (window, thresholds, bars, markers)"
