"""`replay` over many bundles: sidecar expectations, errors as lines, summary, exit codes."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from cds_service.tools import cli
from cds_service.tools.bundle_sets import Progress, find_bundles

from .fixtures import FIXTURES

N_FIXTURES = len(list(FIXTURES.glob("*.expect.json")))
STOP_DUE = "cart-ig-active-stop-due-14-days"


def copy_fixture(name: str, where: Path, expectation: dict | None = None) -> Path:
    target = where / f"{name}.json"
    shutil.copy(FIXTURES / f"{name}.json", target)
    if expectation is not None:
        (where / f"{name}.expect.json").write_text(json.dumps(expectation))
    return target


def test_every_shipped_fixture_passes(capsys):
    assert cli.main(["replay", str(FIXTURES), "--expect"]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith(("PASS", "FAIL", "ERROR"))]
    assert len(lines) == N_FIXTURES and all(line.startswith("PASS") for line in lines)
    assert f"{N_FIXTURES} bundle(s), {N_FIXTURES} passed, 0 failed, 0 error(s)" in out
    assert "advice code" in out and "stop-due-soon" in out


def test_a_wrong_sidecar_fails_with_exit_code_1(tmp_path, capsys):
    copy_fixture(STOP_DUE, tmp_path, {"at": "2026-03-31", "expected": ["stop-planned"]})
    assert cli.main(["replay", str(tmp_path), "--expect"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("FAIL")
    assert "expected [stop-planned], got [stop-due-soon]" in out
    assert "1 bundle(s), 0 passed, 1 failed, 0 error(s)" in out


def test_text_mismatches_are_reported(tmp_path, capsys):
    copy_fixture(STOP_DUE, tmp_path, {"at": "2026-03-31", "expected": ["stop-due-soon"],
                                      "summary_contains": {"stop-due-soon": ["2099-01-01"]},
                                      "detail_contains": {"stop-due-soon": ["Pause substitution"]},
                                      "evidence": {"stop-due-soon": ["Procedure/proc-cart-0011", "Condition/nope"]}})
    assert cli.main(["replay", str(tmp_path), "--expect"]) == 1
    out = capsys.readouterr().out
    assert "stop-due-soon summary lacks '2099-01-01'" in out
    assert "detail lacks" not in out
    assert "stop-due-soon does not name Condition/nope" in out and "proc-cart-0011" not in out


def test_sidecar_date_wins_over_at(tmp_path, capsys):
    path = copy_fixture(STOP_DUE, tmp_path, {"at": "2026-03-31", "expected": ["stop-due-soon"]})
    assert cli.main(["replay", str(path), "--expect", "--at", "2025-12-01"]) == 0
    assert "at 2026-03-31" in capsys.readouterr().out


def test_unreadable_bundles_are_error_lines_not_crashes(tmp_path, capsys):
    copy_fixture(STOP_DUE, tmp_path, {"at": "2026-03-31", "expected": ["stop-due-soon"]})
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "not-a-bundle.json").write_text(json.dumps({"resourceType": "Patient", "id": "x"}))
    (tmp_path / "two-patients.json").write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": []}))
    assert cli.main(["replay", str(tmp_path), "--expect"]) == 1
    out = capsys.readouterr().out
    assert sum(line.startswith("ERROR") for line in out.splitlines()) == 3
    assert "not valid JSON" in out and "not a FHIR Bundle" in out and "exactly one Patient" in out
    assert "PASS" in out and "4 bundle(s), 1 passed, 0 failed, 3 error(s)" in out


def test_sidecars_are_never_bundles(tmp_path):
    copy_fixture(STOP_DUE, tmp_path, {"at": "2026-03-31", "expected": ["stop-due-soon"]})
    sub = tmp_path / "more"
    sub.mkdir()
    copy_fixture("cart-in-window-igg-low", sub)
    assert [p.name for p in find_bundles([tmp_path, tmp_path / f"{STOP_DUE}.expect.json"])] == [f"{STOP_DUE}.json"]
    found = find_bundles([tmp_path, sub, sub / "cart-in-window-igg-low.json"])
    assert [p.name for p in found] == [f"{STOP_DUE}.json", "cart-in-window-igg-low.json"]


def test_several_files_without_expect(capsys):
    files = [str(FIXTURES / f"{n}.json") for n in (STOP_DUE, "rituximab-only-no-index-event")]
    assert cli.main(["replay", *files, "--at", "2026-03-31"]) == 0
    out = capsys.readouterr().out
    assert "at 2026-03-31  stop-due-soon  Ig stop attempt due 2026-04-14" in out
    assert "(no cards)" in out and "2 bundle(s), 0 error(s)" in out


def test_set_json_report(tmp_path, capsys):
    copy_fixture(STOP_DUE, tmp_path, {"at": "2026-03-31", "expected": ["stop-due-soon"]})
    assert cli.main(["replay", str(tmp_path), "--expect", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"] == {"pass": 1}
    assert report["results"][0]["codes"] == ["stop-due-soon"]


def test_single_bundle_behaviour_is_unchanged(capsys):
    path = str(FIXTURES / f"{STOP_DUE}.json")
    assert cli.main(["replay", path, "--at", "2026-03-31", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)  # exactly one JSON document
    assert list(body) == ["cards"] and body["cards"][0]["source"]["topic"]["code"] == "stop-due-soon"
    assert cli.main(["replay", path, "--at", "2026-03-31"]) == 0
    assert capsys.readouterr().out.startswith("1 card(s) as of 2026-03-31:\n\n[WARNING] stop-due-soon")
    missing = str(FIXTURES / "does-not-exist.json")
    assert cli.main(["replay", missing]) == 2


def test_progress_only_on_a_terminal(capsys):
    cli.main(["replay", str(FIXTURES), "--expect"])
    assert "[#" not in capsys.readouterr().err

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    bar = Progress(4, "replay ", stream)
    bar.advance(note="a.json")
    bar.advance(note="b.json")
    assert "[" + "#" * 15 + "-" * 15 + "] 2/4 b.json" in stream.getvalue()
    quiet = io.StringIO()
    Progress(4, "", quiet).advance()
    assert quiet.getvalue() == ""


@pytest.mark.parametrize("sidecar", ["{", '{"at": "31-03-2026", "expected": []}', '{"at": "2026-03-31", "expected": "x"}'])
def test_a_broken_sidecar_is_an_error(tmp_path, capsys, sidecar):
    copy_fixture(STOP_DUE, tmp_path)
    (tmp_path / f"{STOP_DUE}.expect.json").write_text(sidecar)
    assert cli.main(["replay", str(tmp_path), "--expect"]) == 1
    assert capsys.readouterr().out.startswith("ERROR")
