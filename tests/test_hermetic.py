"""The suite's own guards: it notices a test writing into the working tree, and a missing
system program is a skip locally but a failure under CI=true."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .environment import tmp_settings

TESTS = Path(__file__).resolve().parent


def run_suite(project: Path, test_source: str, ci: bool = False) -> subprocess.CompletedProcess:
    """Run pytest on a small project that has this suite's conftest and helpers and one test file."""
    (project / "tests").mkdir(exist_ok=True)
    for name in ("__init__.py", "conftest.py", "environment.py"):
        shutil.copy(TESTS / name, project / "tests" / name)
    (project / "tests" / "test_example.py").write_text(test_source)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci:
        env["CI"] = "true"
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=project,
                          env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A git checkout with one committed file, like a fresh clone."""
    root = tmp_path / "project"
    root.mkdir()
    (root / "README.md").write_text("x\n")
    (root / ".gitignore").write_text("data/\n__pycache__/\n")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "start"]):
        subprocess.run([*git, *command], cwd=root, check=True, capture_output=True)
    return root


def test_a_test_writing_into_data_fails_the_session(project: Path) -> None:
    done = run_suite(project, "from pathlib import Path\n\ndef test_writes():\n"
                              "    Path('data').mkdir()\n    Path('data/cds.sqlite3').write_text('x')\n")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 passed" in done.stdout  # the test itself passed: the session check failed the run
    assert "changed the working tree" in done.stdout and "data/" in done.stdout


def test_a_test_changing_a_tracked_file_fails_the_session(project: Path) -> None:
    done = run_suite(project, "from pathlib import Path\n\ndef test_edits():\n    Path('README.md').write_text('y')\n")
    assert done.returncode == 1 and "README.md" in done.stdout, done.stdout


def test_a_hermetic_test_passes_and_gets_a_temporary_data_dir(project: Path) -> None:
    done = run_suite(project, "import os\nfrom tests.environment import tmp_settings\n\ndef test_settings(tmp_path):\n"
                              "    assert tmp_settings().data_dir == os.environ['CDS_DATA_DIR']\n"
                              "    assert os.environ['CDS_DATA_DIR'].startswith(str(tmp_path))\n")
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_missing_system_program_skips_locally_and_fails_in_ci(project: Path) -> None:
    source = ("from tests.environment import require_system\n\ndef test_needs_it():\n"
              "    require_system('Frobnicator', 'not on PATH')\n")
    local = run_suite(project, source)
    assert local.returncode == 0 and "1 skipped" in local.stdout, local.stdout
    ci = run_suite(project, source, ci=True)
    assert ci.returncode == 1 and "CI=true: Frobnicator is needed and not usable: not on PATH" in ci.stdout, ci.stdout


def test_the_developers_configuration_does_not_reach_the_tests() -> None:
    assert "DATABASE_URL" not in os.environ
    assert Path(tmp_settings().data_dir).resolve() != (TESTS.parent / "data").resolve()
    assert not Path(os.environ["CDS_DATA_DIR"]).resolve().is_relative_to(TESTS.parent)


def test_no_test_reads_outside_the_repository() -> None:
    """Test data lives in tests/data (with its origin and licence), not in a folder beside the checkout."""
    for source in TESTS.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        for needle in ('"shared"', "../shared", "parents[2]", "ROOT.parent"):
            assert needle not in text or source.name == "test_hermetic.py", (source.name, needle)
