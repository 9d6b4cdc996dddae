"""The suite runs hermetically: a clean configuration, temporary data, and a check that it stayed so.

- The developer's `CDS_*` and `DATABASE_URL` variables are removed for the run (a shell
  with `DATABASE_URL` set must not get test cards in its database), and `CDS_DATA_DIR`
  points at a temporary directory: for the whole session (module-level code and
  module-scoped servers) and, per test, at that test's own `tmp_path`. Subprocesses
  (`cds-service serve`, `replay`, `feedback-report`) inherit it.
- Every card made in process is checked against what every card keeps (`broken_promises`: summary and detail
  length, each required caveat said); the test that made a card breaking it fails.
- At the end the session fails if the working tree changed: `git status --porcelain
  --ignored` (tool caches aside) and the contents of `data/` must be as they were.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest

ROOT = Path(__file__).resolve().parents[1]
KEPT_VARIABLES = frozenset({"CDS_FUZZ_CASES"})  # test knobs, not service configuration
TOOL_CACHES = (".pytest_cache/", ".hypothesis/", ".venv/", "__pycache__/", ".egg-info/", ".ruff_cache/", ".mypy_cache/")

_saved_environment: dict[str, str] = {}
_session_data_dir: str | None = None
_tree_before: tuple[list[str], list[tuple[str, int, int]]] | None = None


def pytest_configure(config: pytest.Config) -> None:
    """Before collection, so module-level code already sees the clean configuration."""
    global _session_data_dir
    for name in list(os.environ):
        if (name.startswith("CDS_") or name == "DATABASE_URL") and name not in KEPT_VARIABLES:
            _saved_environment[name] = os.environ.pop(name)
    _session_data_dir = tempfile.mkdtemp(prefix="cds-tests-data-")
    os.environ["CDS_DATA_DIR"] = _session_data_dir
    # Removed at exit, after the card stores' own exit handlers (registered later, run first) wrote.
    atexit.register(shutil.rmtree, _session_data_dir, True)
    _watch_cards()


# -- every card the suite makes keeps the card's promises -------------------------------------


_broken_promises: list[str] = []


def _watch_cards() -> None:
    """Check every card made in this process, whichever test made it (`broken_promises`). Tests assert what one card
    says; this asserts what every card keeps, so a crowd of notes no test foresaw cannot cut a required caveat unseen.
    (Cards made by a server in a subprocess are checked by their own tests.)"""
    from cds_service.cards import render
    from cds_service.cards.values import placeholder_pair

    made = render.card

    def checked(advice, evaluation, ctx):  # type: ignore[no-untyped-def]
        out = made(advice, evaluation, ctx)
        _, escaped = placeholder_pair(advice, ctx.ruleset.parameters, ctx.lang)
        broken = broken_promises(advice, ctx.lang, escaped, out["summary"], out["detail"])
        if broken:
            _broken_promises.append(f"{advice.code}:{advice.variant} ({ctx.lang}): {'; '.join(broken)}\n"
                                    f"{out['summary']}\n{out['detail']}")
        return out

    checked.watched = True  # type: ignore[attr-defined]
    render.card = checked


def broken_promises(advice: Any, lang: str, escaped: Mapping[str, str], summary: str, detail: str) -> list[str]:
    """What a card (its `summary` and `detail`, from `advice` with the detail's placeholders `escaped`) breaks of what
    every card keeps, whatever crowds it (clinical rules §6-§8): a summary under 140 characters, a detail of at most
    700, and each caveat the specification requires on it said (`catalogue.REQUIRED_CAVEATS`), whole or in its
    briefer form (`catalogue.BRIEFER_CAVEATS`)."""
    from cds_service.cards import render
    from cql_like_rules.catalogue import REQUIRED_CAVEATS

    broken = []
    if len(summary) >= render.SUMMARY_LIMIT:
        broken.append(f"summary of {len(summary)} characters")
    if len(detail) > render.DETAIL_LIMIT:
        broken.append(f"detail of {len(detail)} characters")
    broken += [f"required caveat {c!r} not said" for c in render.said_caveats(advice)
               if c in REQUIRED_CAVEATS and not render.says(detail, c, lang, escaped)]
    return broken


@pytest.fixture(autouse=True)
def _cards_keep_their_promises() -> Iterator[None]:
    """Fails the test that made a card breaking `_watch_cards`'s promises."""
    _broken_promises.clear()
    yield
    broken, _broken_promises[:] = list(_broken_promises), []
    assert not broken, "a card this test made broke a card's promise:\n\n" + "\n\n".join(broken)


def pytest_unconfigure(config: pytest.Config) -> None:
    os.environ.pop("CDS_DATA_DIR", None)
    os.environ.update(_saved_environment)


@pytest.fixture(autouse=True)
def _data_dir_per_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's card store (and any subprocess's) lives in its own temporary directory."""
    monkeypatch.setenv("CDS_DATA_DIR", str(tmp_path / "cds-data"))


# -- the working tree is left as it was ---------------------------------------------------


def tree_state(root: Path) -> tuple[list[str], list[tuple[str, int, int]]]:
    """(`git status` lines other than tool caches, (path, size, mtime) of every file under data/)."""
    try:
        done = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=root, capture_output=True,
                              text=True, timeout=60)
        status = done.stdout.splitlines() if done.returncode == 0 else []
    except (OSError, subprocess.TimeoutExpired):  # not a git checkout (an unpacked sdist): data/ still counts
        status = []
    status = [line for line in status if not any(cache in line for cache in TOOL_CACHES)]
    data = root / "data"
    files = sorted((str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns)
                   for p in data.rglob("*") if p.is_file()) if data.is_dir() else []
    return status, files


def describe_change(before: tuple[list[str], list], after: tuple[list[str], list]) -> list[str]:
    lines = [f"  git status now: {line}" for line in after[0] if line not in before[0]]
    lines += [f"  git status before: {line}" for line in before[0] if line not in after[0]]
    if before[1] != after[1]:
        lines.append(f"  data/ changed: {len(before[1])} file(s) before, {len(after[1])} after")
    return lines


def pytest_sessionstart(session: pytest.Session) -> None:
    global _tree_before
    _tree_before = tree_state(ROOT)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _tree_before is None:
        return
    changes = describe_change(_tree_before, tree_state(ROOT))
    if not changes:
        return
    message = "\n".join(["", "The test run changed the working tree (tests must write only under temporary directories):",
                         *changes])
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(message, red=True)
    else:
        print(message, file=sys.stderr)
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
