"""The clinical safety file: the traceability matrix checked against the code, its reports."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cds_service.tools import safety
from cds_service.tools import soup as soup_module

from . import browser
from .servers import ROOT
from .test_timeline import chromium  # noqa: F401  (the suite's one headless-browser fixture)

MATRIX = ROOT / "docs" / "safety" / "traceability.toml"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cds_service.tools.cli", "safety-report", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_the_shipped_matrix_has_no_gaps():
    gaps = safety.check(safety.load_matrix(MATRIX), safety.discover())
    assert gaps == [], "\n".join(gaps)


def test_the_check_command_passes_and_says_what_it_covered():
    done = cli("--check")
    assert done.returncode == 0, done.stdout + done.stderr
    matrix = safety.load_matrix(MATRIX)
    assert f"no gaps ({len(matrix.requirements)} requirements, {len(matrix.hazards)} hazards)" in done.stdout


def copy_matrix(tmp_path: Path) -> Path:
    """The shipped matrix and the files checked beside it, in a directory of their own."""
    target = tmp_path / "traceability.toml"
    shutil.copy(MATRIX, target)
    for name in (safety.HAZARD_LOG, safety.RELEASE_NOTES, safety.SOUP, safety.SIGN_OFF):
        shutil.copy(MATRIX.with_name(name), tmp_path / name)
    return target


def edit(path: Path, pattern: str, replacement: str) -> None:
    text = path.read_text(encoding="utf-8")
    changed, count = re.subn(pattern, replacement, text, count=1, flags=re.DOTALL)
    assert count == 1, f"pattern not found in the matrix: {pattern}"
    path.write_text(changed, encoding="utf-8")


def test_a_broken_matrix_is_reported_gap_by_gap(tmp_path):
    matrix = copy_matrix(tmp_path)
    assert cli("--check", "--matrix", str(matrix)).returncode == 0  # the copy itself is complete
    # a requirement loses its only test reference
    edit(matrix, r'tests = \["tests/test_card_text.py::test_the_no_start_card_names_prophylaxis_after_a_stop"\]', "tests = []")
    # a requirement points at a test that does not exist, and at a missing fixture
    edit(matrix, r'(id = "P-STOP-DUE-SOON".*?)tests/test_rules.py::test_special_stop_phases', r"\1tests/test_rules.py::test_no_such_test")
    edit(matrix, r'(id = "P-STOP-DUE-SOON".*?)cart-ig-active-stop-due-14-days.json', r"\1no-such-bundle.json")
    # a hazard loses its verification
    edit(matrix, r'(id = "HAZ-05".*?verification = )\[\n.*?\n\]', r"\1[]")
    # a rule that the code does not define, and a parameter that falls out of the matrix
    edit(matrix, r'(id = "G-43-CHILDREN".*?rules = \[)"Is Child"', r'\1"Is Kid"')
    edit(matrix, r'parameters = \["ig_continuity_gap_days"\]', 'parameters = ["ig_continuity_gap_day"]')
    # a direct dependency without a purpose
    edit(matrix, r'\norjson = "[^"]*"', "")
    done = cli("--check", "--matrix", str(matrix))
    assert done.returncode == 1
    out = done.stdout
    for expected in (
        "requirement G-43-PROPHYLAXIS has no test",
        "requirement P-STOP-DUE-SOON: test 'tests/test_rules.py::test_no_such_test' names 'test_no_such_test', "
        "which tests/test_rules.py does not define",
        "requirement P-STOP-DUE-SOON names fixture 'no-such-bundle.json', which is not in fhir_fixtures/",
        "hazard HAZ-05 has no verification",
        "requirement G-43-CHILDREN names rule 'Is Kid', which the code does not define",
        "requirement P-IG-CONTINUITY names parameter 'ig_continuity_gap_day', which the code does not define",
        "policy parameter 'ig_continuity_gap_days' is absent from the matrix",
        "direct dependency 'orjson' has no purpose in [soup.purpose]",
        "hazard-log.md is out of date",
    ):
        assert expected in out, (expected, out)
    assert re.search(r"safety-report --check: \d+ gap\(s\)", out)


def test_a_soup_list_that_differs_from_the_lock_fails_the_check_naming_the_packages(tmp_path):
    matrix = copy_matrix(tmp_path)
    soup = tmp_path / safety.SOUP
    assert cli("--check", "--matrix", str(matrix)).returncode == 0
    edit(soup, r"\n\| tornado \| [^\n]*", "")  # a locked package the list lacks
    edit(soup, r"\| msgpack \| [0-9.]+ \|", "| msgpack | 0.9.9 |")  # a version the lock does not pin
    edit(soup, r"(\| psutil \| [^|]*\|[^|]*\|[^|]*\|)[^\n]*", r"\1 GHSA-some-thing (fixed in 99) |")  # not compared
    done = cli("--check", "--matrix", str(matrix))
    assert done.returncode == 1, done.stdout
    locked = {p.name: p.version for p in soup_module.read_lock(ROOT / "requirements.lock")}
    gap = next(line for line in done.stdout.splitlines() if "soup.md (the SOUP list) differs from the lock" in line)
    assert f"missing tornado=={locked['tornado']}" in gap
    assert f"other versions: msgpack (soup.md 0.9.9, lock {locked['msgpack']})" in gap
    assert "psutil" not in gap and "cds-service safety-report --soup >" in gap
    soup.unlink()
    assert "soup.md (the SOUP list) is missing" in cli("--check", "--matrix", str(matrix)).stdout


def test_the_sign_off_table_must_start_with_the_label_cards_carry(tmp_path):
    matrix = copy_matrix(tmp_path)
    label = safety.discover().default_ruleset  # computed: a new version or parameter changes it
    readme = tmp_path / safety.SIGN_OFF
    assert safety.sign_off_rows(readme.read_text(encoding="utf-8"))[0] == label
    old = label.rsplit("+", 1)[0] + "+000000000000"
    edit(readme, re.escape(f"| {label} |"), f"| {old} |")
    done = cli("--check", "--matrix", str(matrix))
    assert done.returncode == 1
    assert (f"the top row of the sign-off table in README.md is '{old}', the cards carry '{label}': "
            "add a row for it above the others") in done.stdout
    edit(readme, re.escape(f"| {old} |"), f"| {label} | | | |\n| {old} |")  # the new release on top
    assert cli("--check", "--matrix", str(matrix)).returncode == 0


def test_code_the_matrix_does_not_cover_is_reported():
    """What a change of the rule library does: new names are gaps until the matrix covers them."""
    matrix = safety.load_matrix(MATRIX)
    code = safety.discover()
    grown = dataclasses.replace(
        code,
        rules=(code.rules - {"Is Restart"}) | {"Deceased"},
        patient_view_codes=code.patient_view_codes | {"no-advice-deceased"},
        parameters=code.parameters | {"hypothetical_new_days"},
        ruleset="medicinraadet-2025-1.2",
        default_ruleset="medicinraadet-2025-1.2+0123456789ab",
    )
    gaps = safety.check(matrix, grown)
    assert "rule definition 'Deceased' is not implemented by any requirement" in gaps
    assert "advice code 'no-advice-deceased' is absent from the matrix" in gaps
    assert "advice code 'no-advice-deceased': no fixture in the matrix shows it" in gaps
    assert "policy parameter 'hypothetical_new_days' is absent from the matrix" in gaps
    assert "requirement G-43-RESTART names rule 'Is Restart', which the code does not define" in gaps
    assert any(g.startswith("the matrix was reviewed for rule set 'medicinraadet-2025-1.1.1'") for g in gaps)
    assert ("release-notes.md does not describe rule set medicinraadet-2025-1.2+0123456789ab "
            "(the default parameters' rule set): add its release notes") in gaps


def test_an_unusable_matrix_file_exits_2_saying_why(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[meta\nruleset = 1", encoding="utf-8")
    done = cli("--check", "--matrix", str(broken))
    assert done.returncode == 2 and "not valid TOML" in done.stderr and done.stdout == ""
    no_id = copy_matrix(tmp_path)
    edit(no_id, r'id = "HAZ-07"\n', "")
    done = cli("--matrix", str(no_id))
    assert done.returncode == 2 and "hazard #7: 'id' must be a non-empty string" in done.stderr
    done = cli("--matrix", str(tmp_path / "missing.toml"))
    assert done.returncode == 2 and "cannot read" in done.stderr
    done = cli("--html", str(tmp_path / "no-such-dir" / "matrix.html"))
    assert done.returncode == 2 and "cannot write" in done.stderr


def test_markdown_report_traces_requirements_and_hazards_both_ways():
    done = cli()
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "## Requirements → rules → verification → hazards" in out and "## Hazards → controls → verification" in out
    row = next(line for line in out.splitlines() if line.startswith("| G-41-WINDOW-START |"))
    assert "`Start Advice`" in row and "`tests/test_rules.py::test_start_advice_inside_window`" in row and "HAZ-01" in row
    hazard = next(line for line in out.splitlines() if line.startswith("| HAZ-07 |"))
    assert "M-OBSERVABILITY" in hazard and "`tests/test_logs_metrics_health.py::test_healthz_and_readyz`" in hazard
    assert out.rstrip().endswith("No gaps.")


def test_hazard_log_is_generated_from_the_matrix():
    done = cli("--hazard-log")
    assert done.returncode == 0
    assert done.stdout == MATRIX.with_name(safety.HAZARD_LOG).read_text(encoding="utf-8")
    assert "## HAZ-12" in done.stdout and "risk class" in done.stdout


@pytest.fixture(scope="module")
def html_page(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("safety") / "traceability.html"
    done = cli("--html", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_html_report_is_self_contained(html_page):
    text = html_page.read_text(encoding="utf-8")
    for needle in ("<script", "<link", 'src="http', "url(http", "@import"):
        assert needle not in text, needle
    matrix = safety.load_matrix(MATRIX)
    assert sum(text.count(f'<tr id="{k}-') for k in ("G", "P", "S")) == len(matrix.requirements)
    assert text.count('<tr id="HAZ-') == len(matrix.hazards)
    assert "<b>No gaps</b>" in text


def test_html_report_renders_in_a_real_browser(chromium, html_page):  # noqa: F811
    dom = browser.dump_dom(chromium, html_page)
    assert 'id="requirements"' in dom and 'id="hazards"' in dom and "HAZ-12" in dom
    png = browser.screenshot(chromium, html_page, html_page.with_suffix(".png"))
    width, height, bpp, rows = browser.decode_png(png.read_bytes())
    total, non_white, colours = browser.ink(rows, bpp)
    assert non_white / total > 0.05, "the page is (nearly) blank"
    assert len(colours) >= 3, "tables, status and risk badges should be drawn in colour"
