"""`bench/compare.py`: two trees answered in turn, pass by pass, each in a process of its own.

The figures themselves are the machine's; what is checked is what a user of the tool relies on: a row per tree
with its passes' figures, the ratio to the first tree, the tree it loaded the service from, and a clear refusal of a
folder that is no service tree.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "compare.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300,
                          cwd=ROOT)


def _copy_of_the_service(into: Path) -> Path:
    """A second service tree: the checkout's code, value sets, fixtures and bench, copied."""
    for part in ("cds_service", "cql_like_rules", "bench", "fhir_fixtures"):
        shutil.copytree(ROOT / part, into / part, ignore=shutil.ignore_patterns("__pycache__"))
    return into


def test_each_tree_gets_a_row_with_its_passes_and_its_ratio_to_the_first(tmp_path: Path) -> None:
    """The checkout and a copy of it: each answered by its own code (the tool refuses a tree whose worker loaded
    another's), a row each, the first the one compared with, one cohort."""
    copy = _copy_of_the_service(tmp_path / "copy")
    done = _run("in-scope", str(ROOT), str(copy), "--charts", "2", "--passes", "2")
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.strip().splitlines()
    assert "in-scope, 2 charts, 2 passes each" in header
    assert [row.split()[0] for row in rows] == [str(ROOT)[-40:], str(copy)[-40:]]
    for row in rows:
        _, low, p25, median, ratio = row.split()
        assert 0 < float(low) <= float(p25) <= float(median)
        assert float(ratio) > 0
    assert float(rows[0].split()[-1]) == 1.0  # the first tree is the one compared with
    assert "another cohort" not in done.stdout  # the copy builds the same charts


def test_a_folder_that_is_no_service_tree_is_refused_by_name(tmp_path: Path) -> None:
    done = _run("in-scope", str(ROOT), str(tmp_path))
    assert done.returncode == 2
    assert f"not a service tree (no cds_service/pipeline.py): {tmp_path}" in done.stderr


def test_a_tree_whose_service_does_not_load_is_named(tmp_path: Path) -> None:
    """A copy whose pipeline raises on import: its worker ends, and the tool says which tree's did."""
    broken = _copy_of_the_service(tmp_path / "broken")
    (broken / "cds_service" / "pipeline.py").write_text("raise ImportError('a broken tree')\n")
    done = _run("in-scope", str(ROOT), str(broken), "--charts", "1", "--passes", "1")
    assert done.returncode != 0
    assert "ImportError: a broken tree" in done.stderr  # its own code was loaded, and failed
    assert f"the worker for {broken} ended without answering" in done.stderr

