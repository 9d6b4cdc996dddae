"""`cds-service answers`: the same tree gives the same file, and a changed card changes it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.answers import RANDOM_ID, all_lines, numbered_ids

from .fixtures import FIXTURES
from .servers import ROOT

RUNTIME = load_runtime(Settings())
CHARTS = ("cart-in-window-igg-low", "ivig-doses-restart-igg-in-washout-named-no-card")


def copy_charts(folder: Path, *names: str) -> list[Path]:
    """The charts with their sidecars, and two of the drafts, in a folder of their own."""
    (folder / "drafts").mkdir(parents=True)
    for draft in ("ivig-pt-dk-0001", "igg-lab-pt-dk-0007"):
        shutil.copy(FIXTURES / "drafts" / f"{draft}.draft.json", folder / "drafts")
    for name in names:
        for suffix in (".json", ".expect.json"):
            shutil.copy(FIXTURES / f"{name}{suffix}", folder / f"{name}{suffix}")
    return [folder / f"{name}.json" for name in names]


def test_two_runs_give_the_same_lines_sorted_without_random_ids(tmp_path: Path) -> None:
    copy_charts(tmp_path, *CHARTS)
    first, second = all_lines([tmp_path], RUNTIME), all_lines([tmp_path], RUNTIME)
    assert first == second and first == sorted(first)
    keys = [json.loads(line)["key"] for line in first]
    assert len(keys) == len(set(keys))
    what = {key.split("|")[2] for key in keys}
    assert what == {"patient-view", "order-select", "order-sign", "worklist", "timeline"}
    assert {key.split("|")[4] for key in keys} == {"en", "da"}
    assert not any(RANDOM_ID.search(line) for line in first)  # every card has a uuid: all numbered
    low = [json.loads(line) for line in first if line.startswith('{"key":"cart-in-window-igg-low|2026-01-20|patient-view')]
    assert [c["source"]["topic"]["code"] for c in low[0]["cards"]] == ["start-substitution"]
    assert low[0]["cards"][0]["uuid"] == "#1" and low[0]["why"] == ["expected"]
    # T0 (2025-11-18) and the days around it, and the stop date, come from the chart's facts
    days = {key.split("|")[1] for key in keys if key.startswith("cart-in-window-igg-low|")}
    assert {"2025-11-15", "2025-11-18", "2025-11-21", "2026-05-17", "2026-05-18", "2026-05-19"} <= days


def test_a_changed_card_changes_its_lines_only(tmp_path: Path) -> None:
    before = all_lines(copy_charts(tmp_path / "a", CHARTS[0]), RUNTIME, timeline=False)
    chart = copy_charts(tmp_path / "b", CHARTS[0])[0]
    bundle = json.loads(chart.read_text())
    igg = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "obs-igg-0001-b")
    igg["valueQuantity"]["value"] = 3.4  # 3.2 g/L on the card before
    chart.write_text(json.dumps(bundle))
    after = all_lines([chart], RUNTIME, timeline=False)
    assert len(before) == len(after)
    changed = [a for a, b in zip(before, after) if a != b]
    assert changed and all('"cards":[]' not in line or '"rows"' in line for line in changed)
    assert any("3.2 g/L" in line for line in changed) and any("3,2 g/L" in line for line in changed)  # en and da


def test_ids_are_numbered_by_first_appearance() -> None:
    uuid, other = "0f0e0d0c-0b0a-4908-8706-050403020100", "1f0e0d0c-0b0a-4908-8706-050403020100"
    card = {"uuid": uuid, "suggestions": [{"uuid": other, "actions": [{"resource": {"id": "igg-0123456789ab"}}]}],
            "links": [{"url": f"https://x/explain/{uuid}"}]}
    assert numbered_ids(card) == {"uuid": "#1", "suggestions": [{"uuid": "#2", "actions": [{"resource": {"id": "#3"}}]}],
                                  "links": [{"url": "https://x/explain/#1"}]}


def test_the_command_writes_the_file(tmp_path: Path) -> None:
    out = tmp_path / "answers.jsonl"
    result = subprocess.run([sys.executable, "-m", "cds_service.tools.cli", "answers", str(FIXTURES / f"{CHARTS[0]}.json"),
                             "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert result.stderr.strip().endswith(f"wrote {len(lines)} answers to {out}") and len(lines) > 100
    missing = subprocess.run([sys.executable, "-m", "cds_service.tools.cli", "answers", str(tmp_path / "nothing"),
                              "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no such file" in missing.stderr
