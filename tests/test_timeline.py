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
from cds_service.tools.timeline import (build_timeline, change_days, default_range, patient_data, state_on,
                                        timeline_from_facts)
from cds_service.tools.timeline_html import CODE_COLOURS, code_title, igg_runs, tick_labels
from cql_like_rules import Parameters
from cql_like_rules.facts import (BsAbExposure, CarTInfusion, Diagnosis, Facts, IgAdministration, IgCourse, IgGResult,
                                  Infection, Patient)
from cql_like_rules.timeline import candidate_dates, candidates, first_day_outside

from . import browser
from .environment import require_system
from .fixtures import FIXTURES
from .reading_charts import car_t, chart, given, igg

ROOT = Path(__file__).resolve().parents[1]
BUNDLES = sorted(p for p in FIXTURES.glob("*.json") if not p.name.endswith(".expect.json"))
RUNTIME = load_runtime(Settings())


def at_of(path: Path) -> date:
    """The fixture's evaluation date: the default range reaches past "today", so tests fix it."""
    return date.fromisoformat(json.loads(path.with_name(path.stem + ".expect.json").read_text())["at"])


def brute_force_changes(data, runtime, start: date, end: date, known_on: date | None = None) -> list[date]:
    """Every single day evaluated (the chart as read on `known_on`, the timeline's day): the reference the candidate
    dates must reproduce."""
    days, day = [], start
    while day <= end:
        days.append(state_on(data, runtime, day, known_on=known_on))
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
    timeline = build_timeline(data, RUNTIME, today=at_of(path))
    assert [s.day for s in timeline.changes] == brute_force_changes(data, RUNTIME, timeline.start, timeline.end,
                                                                    at_of(path))
    span = (timeline.end - timeline.start).days + 1
    # The default range frames the window (a month before T0 to two months past the stop date
    # or today), not a year past the last fact, so candidate days lie denser in it than they
    # did: a fifth of the days still shows that the candidate list, not the calendar, decides.
    assert timeline.evaluated < span / 5, "the timeline must not evaluate every day"


@pytest.mark.parametrize("name", ["scig-before-t0-general-stop-review", "cart-ig-started-after-sepsis-general-stop-review",
                                  "cart-after-window-recurrent-pneumonia-fresh-igg"])
def test_several_review_cycles_and_infections_leaving_the_lookback(name):
    data = patient_data(load_bundle(FIXTURES / f"{name}.json"), RUNTIME)
    start, end = date(2024, 6, 1), date(2028, 6, 1)
    timeline = build_timeline(data, RUNTIME, start, end, today=end)
    assert [s.day for s in timeline.changes] == brute_force_changes(data, RUNTIME, start, end, end)


@pytest.mark.parametrize("name", ["cart-ig-active-stop-overdue", "cart-in-window-igg-low-stale",
                                  "cart-ig-started-after-sepsis-general-stop-review", "epcoritamab-resumption-keeps-t0"])
def test_candidates_follow_a_site_policy(tmp_path, name):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"window_months": 4, "stale_days_in_window": 12, "stale_days_after_window": 45,
                                  "stop_due_soon_days": 21, "general_review_due_days": 10, "bsab_course_gap_days": 30}))
    runtime = load_runtime(Settings(policy_file=str(policy)))
    data = patient_data(load_bundle(FIXTURES / f"{name}.json"), runtime)
    at = at_of(FIXTURES / f"{name}.json")
    timeline = build_timeline(data, runtime, today=at)
    assert [s.day for s in timeline.changes] == brute_force_changes(data, runtime, timeline.start, timeline.end, at)


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
    assert cli.main(["timeline", str(path), "--lang", "da", "--at", "2026-01-20"]) == 0
    out = capsys.readouterr().out
    # A month before the CAR-T infusion (2025-09-23) to two months after its stop date (2026-03-23),
    # which is later than --at.
    assert out.startswith("Tidslinje for Patient/pt-dk-0004, 2025-08-23 til 2026-05-23")
    assert "Ig kan startes" in out and "IgG-svar" in out


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
            f"cli.main(['timeline', {str(BUNDLES[0])!r}, '--at', '2026-01-20']); print('matplotlib' in sys.modules)")
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
    assert "Advice on 2026-04-20" in text and "stop-overdue" in text and "passed 6 days ago" in text
    # Seven rows: the default range starts a month before T0 (2025-10-14), so its first day
    # (2025-09-14, no advice yet) is a row of its own before the six changes from T0 on.
    assert text.count('<td class="date">') == 7


@pytest.fixture(scope="module")
def chromium():
    path, why = browser.find_chromium()
    if path is None:
        require_system("Chromium", why)
    return path


def test_page_loads_in_a_real_browser(chromium, html_page):
    dom = browser.dump_dom(chromium, html_page)
    assert "<svg" in dom and 'id="changes"' in dom
    assert dom.count('<td class="date">') == 7  # the first day, a month before T0, and six changes
    assert "stop-due-soon" in dom and "2026-04-14" in dom


def test_screenshot_shows_a_plot(chromium, html_page):
    png = browser.screenshot(chromium, html_page, html_page.with_suffix(".png"))
    width, height, bpp, rows = browser.decode_png(png.read_bytes())
    assert (width, height) == (1280, 1100)
    total, non_white, colours = browser.ink(rows, bpp)
    assert non_white / total > 0.08, "the page is (nearly) blank"
    assert len(colours) >= 8, "the plot should be in colour (window, thresholds, bars, markers)"


# -- the picture: range, axis, lines, advice lane ----------------------------------------------

def test_default_range_frames_the_window_and_reaches_past_today():
    facts = Facts(car_t=(CarTInfusion(date(2025, 10, 14), "Procedure/p"),),
                  igg=(IgGResult(3.0, date(2024, 1, 5), "Observation/old"),))
    # A month before T0 to two months after the stop date (2026-04-14) ...
    assert default_range(facts, Parameters(), date(2026, 1, 20)) == (date(2025, 9, 14), date(2026, 6, 14))
    # ... or after today, when today is later.
    assert default_range(facts, Parameters(), date(2026, 9, 1)) == (date(2025, 9, 14), date(2026, 11, 1))
    assert default_range(facts, Parameters(window_months=3), date(2025, 11, 1)) == (date(2025, 9, 14), date(2026, 3, 14))
    # Without an index event: the first fact date to the last one + 12 months, as before.
    no_index = Facts(igg=(IgGResult(3.0, date(2025, 2, 1), "Observation/a"), IgGResult(3.0, date(2025, 5, 1), "Observation/b")))
    assert default_range(no_index, Parameters(), date(2026, 1, 20)) == (date(2025, 2, 1), date(2026, 5, 1))


def test_default_range_ends_after_the_window_of_the_last_course_not_of_the_last_dose():
    """Teclistamab weekly from 2025-02-03 for five months: the window runs from the first dose (2025-08-03), and the
    range ends two months after it, not after a window read from the last dose; a new line of it after more than
    the course gap (90 days) opens a window of its own, and the range reaches past that one."""
    weekly = tuple(BsAbExposure("teclistamab", date(2025, 2, 3) + timedelta(weeks=w), f"MedicationAdministration/{w}",
                                administered=True) for w in range(22))
    assert default_range(Facts(bsab=weekly), Parameters(), date(2025, 3, 1)) == (date(2025, 1, 3), date(2025, 10, 3))
    again = weekly + (BsAbExposure("teclistamab", date(2025, 11, 3), "MedicationAdministration/new", administered=True),)
    assert default_range(Facts(bsab=again), Parameters(), date(2025, 3, 1))[1] == date(2026, 7, 3)

def test_axis_labels_are_in_the_page_language_whatever_the_locale():
    days = [date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 15), date(2026, 5, 1)]
    assert tick_labels(days, "da") == ["dec\n2025", "jan\n2026", "15. feb", "maj"]
    assert tick_labels(days, "en") == ["Dec\n2025", "Jan\n2026", "Feb 15", "May"]
    assert tick_labels([date(2025, 1, 1), date(2026, 1, 1)], "da") == ["2025", "2026"]


def test_igg_points_on_and_off_substitution_are_not_joined():
    facts = Facts(
        car_t=(CarTInfusion(date(2025, 1, 10), "Procedure/p"),),
        diagnoses=(Diagnosis("C83.3", "Condition/c"),),
        ig_courses=(IgCourse(date(2025, 3, 1), "completed", "MedicationRequest/ivig", end=date(2025, 6, 30)),),
        igg=tuple(IgGResult(v, d, f"Observation/{d}") for v, d in (
            (3.1, date(2025, 1, 20)), (2.8, date(2025, 2, 20)), (7.5, date(2025, 4, 10)), (8.0, date(2025, 5, 20)),
            (4.5, date(2025, 9, 1)))),
    )
    timeline = timeline_from_facts("x", facts, RUNTIME.ruleset, RUNTIME.terminology, "en", date(2025, 10, 1))
    assert timeline.on_substitution == {"Observation/2025-04-10", "Observation/2025-05-20"}
    assert [(on, [r.date.month for r in run]) for on, run in igg_runs(timeline)] == [
        (False, [1, 2]), (True, [4, 5]), (False, [9])]


def test_advice_lane_colours_and_names_each_code(html_page, tmp_path):
    text = html_page.read_text(encoding="utf-8")
    for code in ("measure-igg", "start-substitution", "stop-planned", "stop-due-soon", "stop-overdue"):
        assert f"fill: {CODE_COLOURS[code]}" in text, code
    assert "<!-- stop-overdue: Stop attempt overdue -->" in text and "<!-- Apr -->" in text
    danish = tmp_path / "da.html"
    assert cli.main(["timeline", str(FIXTURES / "cart-ig-active-stop-overdue.json"), "--lang", "da", "--at", "2026-04-20",
                     "--html", str(danish)]) == 0
    text = danish.read_text(encoding="utf-8")
    assert "<!-- stop-overdue: Seponeringsforsøg overskredet -->" in text and "<!-- maj -->" in text
    assert "<!-- May -->" not in text
    assert code_title("general-criteria-igg-under-6", Parameters(igg_start_threshold_g_l=3.5), "da") == (
        "IgG 3,5 g/L til < 6 g/L: generelle kriterier gælder")


def test_at_draws_the_timeline_as_of_a_past_day(tmp_path, capsys):
    out = tmp_path / "past.html"
    assert cli.main(["timeline", str(FIXTURES / "cart-ig-active-stop-overdue.json"), "--at", "2025-11-01",
                     "--html", str(out)]) == 0
    # The stop date (2026-04-14) is later than --at: the range ends two months after it.
    assert capsys.readouterr().out.startswith("Timeline for Patient/pt-dk-0011, 2025-09-14 to 2026-06-14")
    text = out.read_text(encoding="utf-8")
    assert "Advice on 2025-11-01" in text and "stop-planned</b>: " in text and "(164 days left)" in text
    assert "<!-- today -->" in text


def test_a_therapy_known_only_by_its_name_dates_its_card_on_the_timeline():
    """Linvoseltamab under a local code, 2025-12-08, IgG 2025-12-22: the therapy-not-recognised card applies from
    the therapy's day, so the timeline starts there and names the therapy, not the IgG result, as the reason."""
    path = FIXTURES / "linvoseltamab-local-code-not-checked.json"
    data = patient_data(load_bundle(path), RUNTIME)
    timeline = build_timeline(data, RUNTIME, today=at_of(path))
    assert timeline.start == date(2025, 12, 8)
    first = timeline.changes[0]
    assert first.day == date(2025, 12, 8) and first.key and "therapy-not-recognised" in str(first.key)
    assert [c.kind for c in timeline.reasons[date(2025, 12, 8)]] == ["therapy-by-name"]
    start, end = date(2025, 11, 1), date(2026, 3, 1)  # from before the therapy: the change is on its day
    assert [s.day for s in build_timeline(data, RUNTIME, start, end, today=end).changes] == \
        brute_force_changes(data, RUNTIME, start, end, end) == [start, date(2025, 12, 8)]


def test_the_washout_after_a_dose_is_named_as_such_not_as_a_course_end():
    """The day a recorded dose's course days and the IgG washout after them have passed is a candidate; its reason
    said "Ig course ended", also on days the course went on with later doses."""
    dose = date(2025, 9, 30)
    facts = Facts(ig_administrations=(IgAdministration(dose, "MedicationAdministration/d"),))
    params = Parameters()
    found = candidates(facts, params, date(2025, 1, 1), date(2026, 12, 31))
    washout_end = dose + timedelta(days=params.ig_administration_course_days + params.igg_washout_days + 1)
    assert {c.kind for c in found if c.date == washout_end} == {"ig-washout-ends"}
    assert "ig-ended" not in {c.kind for c in found}


def test_an_intended_ig_record_is_a_planned_start_on_the_timeline_not_substitution_starting():
    """A medication record of a course intended (planned) is no substitution given: the timeline calls its days a
    planned start and a plan, not "Ig substitution starts" and "Ig order written"."""
    facts = Facts(car_t=(CarTInfusion(date(2025, 11, 18), "Procedure/p"),),
                  ig_courses=(IgCourse(date(2026, 1, 16), "active", "MedicationStatement/s", authored=date(2026, 1, 10),
                                       intended=True),))
    kinds = {(c.date, c.kind) for c in candidates(facts, Parameters(), date(2025, 11, 1), date(2026, 8, 1))}
    assert (date(2026, 1, 16), "ig-planned-start") in kinds and (date(2026, 1, 10), "ig-planned") in kinds
    assert not {k for d, k in kinds if k in ("ig-start", "ig-ordered")}


def test_the_end_of_an_intended_ig_record_is_a_plan_over_not_a_course_ended():
    """An intended record's planned end is no course that ended: the day after it was labelled "Ig course ended" (and
    its end "Ig course last day") for substitution never recorded as given."""
    facts = Facts(car_t=(CarTInfusion(date(2025, 11, 18), "Procedure/p"),),
                  ig_courses=(IgCourse(date(2026, 1, 16), "active", "MedicationStatement/s", date(2026, 3, 1),
                                       intended=True),))
    kinds = {(c.date, c.kind) for c in candidates(facts, Parameters(), date(2025, 11, 1), date(2026, 8, 1))}
    assert (date(2026, 3, 2), "ig-planned-over") in kinds
    assert not {k for d, k in kinds if k in ("ig-end", "ig-ended")}


def test_the_day_a_record_past_its_orders_end_is_first_named_is_listed():
    """IVIG ordered 2025-09-01 to 2026-03-01, its medication record of the same start with no end, Ig begun before
    T0 (general review): from 2026-03-02 the review card names the record that alone keeps the course open
    (`statement-past-order-end`) while its advice stays the same. The timeline listed no change that day, so the note
    first showed on the next change day; a note a clinician sees appear is a change, and the day is listed."""
    from .test_statements_reports_other_types import IVIG, ivig_order, statement, with_resources

    record = statement("ms-ivig", IVIG, "active", effectivePeriod={"start": "2025-09-01"})
    bundle = with_resources("cart-in-window-igg-low", ivig_order("mr-ivig", "active", "2025-09-01", "2026-03-01"), record)
    timeline = build_timeline(patient_data(bundle, RUNTIME), RUNTIME, start=date(2026, 2, 1), end=date(2026, 4, 1),
                              today=date(2026, 4, 1))
    days = {s.day: s for s in timeline.changes}
    assert date(2026, 3, 2) in days, sorted(days)
    assert "end or update the record" in days[date(2026, 3, 2)].cards[0]["detail"]
    assert all("end or update the record" not in c["detail"] for s in timeline.changes if s.day < date(2026, 3, 2)
               for c in s.cards)


def test_general_reviews_of_substitution_recorded_only_as_doses_fall_on_their_day():
    """Weekly SCIG recorded only as doses since before CAR-T (the general stop criteria, no order): the timeline listed
    the reviews of order courses only, so the review due, and the end of its warning, showed on the next dose day
    (2027-02-15 for a review due 2027-02-10). Every change falls on the day a day-by-day evaluation finds it."""
    weekly = [(date(2025, 12, 1) + timedelta(weeks=k)).isoformat() for k in range(66)]
    bundle = chart(car_t("2026-02-10"), given("J06BA01", *weekly, text="Hizentra"), igg("2025-11-20", 3.0),
                   igg("2026-06-01", 6.5))
    data = patient_data(bundle, RUNTIME)
    start, end = date(2025, 11, 15), date(2027, 4, 1)
    timeline = build_timeline(data, RUNTIME, start, end, today=end)
    changes = [s.day for s in timeline.changes]
    assert changes == brute_force_changes(data, RUNTIME, start, end, end)
    assert date(2026, 8, 10) in changes  # the first review: six months after the infusion (the later day)
