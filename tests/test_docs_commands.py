"""Every `cds-service ...` command that README.md, docs/**/*.md and the value sets' README show in a code block
still works as shown.

Each is run as a real process in a temporary directory that has the repository's
`fhir_fixtures/` and `config/`, an empty `docs/safety/`, an NDJSON export named `EXPORT_DIR` and a card store with
issued cards; files a command writes land there. `serve` is started on 127.0.0.1 at a free
port, checked to answer and stopped. A PostgreSQL `DATABASE_URL` on another host is
replaced by a throwaway cluster on 127.0.0.1.

Marks, as HTML comments on the lines right before a block:
- the exit code must be 0 unless the block is marked `<!-- exit: N -->`;
- in a block with `$ ` prompts, the lines shown after a command are its output: each one
  (but `...` and blank lines) must appear, in that order, in what the command printed
  (stdout, then stderr; `text ...` and `... text` elide a line's end or start), unless the
  block is marked `<!-- output not checked: reason -->`;
- `<!-- not run: reason -->` skips the block (synopses with placeholders, examples that
  need a hospital's files).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from bench.make_export import make_export
from cds_service.http.app import create_app
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.settings import is_loopback
from cds_service.tools.replay import request_from_bundle

from .environment import tmp_settings
from .fixtures import FIXTURES
from .pg_server import required_postgres
from .servers import ROOT, free_port, stop_process

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md")),
             ROOT / "cql_like_rules" / "valuesets" / "README.md"]
FENCE = re.compile(r"^(```|~~~)")
MARK = re.compile(r"<!--\s*(not run|exit|output not checked)\s*:\s*(.*?)\s*-->")
MAX_NOT_RUN = 6  # marking an example as not run is the exception


@dataclass(frozen=True)
class Example:
    where: str  # "docs/tools.md:24"
    command: str  # as shown, continuation lines joined
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)  # after `cds-service`
    stdout_file: str | None = None  # `> file`
    exit_code: int = 0
    not_run: str | None = None
    output: tuple[str, ...] = ()  # the lines shown after a `$ ` command, to be found in what it prints


def logical_lines(lines: list[str]) -> Iterator[tuple[int, str]]:
    """(index of first line, line) with `\\`-continued lines joined."""
    start, parts = 0, []
    for i, line in enumerate(lines):
        if not parts:
            start = i
        if line.rstrip().endswith("\\"):
            parts.append(line.rstrip()[:-1])
            continue
        parts.append(line)
        yield start, " ".join(p.strip() for p in parts)
        parts = []
    if parts:
        yield start, " ".join(p.strip() for p in parts)


def parse_command(text: str) -> tuple[dict[str, str], list[str], str | None] | None:
    """(environment, arguments after cds-service, stdout file) of a shell line, or None if it runs something else."""
    tokens = shlex.split(text, comments=True)
    env: dict[str, str] = {}
    while tokens and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", tokens[0]):
        name, _, value = tokens.pop(0).partition("=")
        env[name] = value
    if not tokens or not (tokens[0] == "cds-service" or tokens[0].endswith("/cds-service")):
        return None
    args, stdout_file = tokens[1:], None
    if ">" in args:
        at = args.index(">")
        args, stdout_file = args[:at], args[at + 1]
    if any(t in ("|", "&&", ";", "<", ">>", "2>") for t in args):
        raise ValueError(f"unsupported shell syntax in a documented command: {text!r}")
    return env, args, stdout_file


def marks_before(lines: list[str], fence_at: int) -> dict[str, str]:
    """The `<!-- name: value -->` comments on the lines right above a fence (blank lines between allowed)."""
    marks: dict[str, str] = {}
    for j in range(fence_at - 1, -1, -1):
        if not lines[j].strip():
            continue
        found = MARK.search(lines[j])
        if found is None:
            break
        marks[found.group(1)] = found.group(2)
    return marks


def extract(markdown: str, name: str) -> list[Example]:
    """The `cds-service` commands in the code blocks of one Markdown document."""
    lines = markdown.splitlines()
    examples: list[Example] = []
    i = 0
    while i < len(lines):
        if not FENCE.match(lines[i]):
            i += 1
            continue
        fence, start = lines[i][:3], i
        end = next((j for j in range(i + 1, len(lines)) if lines[j].startswith(fence)), len(lines))
        block = lines[start + 1:end]
        i = end + 1
        marks = marks_before(lines, start)
        exit_code = int(marks.get("exit", "0"))
        check_output = "output not checked" not in marks
        prompted = any(line.startswith("$ ") for line in block)
        entries = list(logical_lines(block))
        for n, (offset, text) in enumerate(entries):
            output: tuple[str, ...] = ()
            if prompted:
                if not text.startswith("$ "):
                    continue  # shown output, taken with its command below
                text = text[2:]
                shown = []
                for following_at, following in entries[n + 1:]:
                    if following.startswith("$ "):
                        break
                    shown.append(block[following_at])  # as printed: indentation kept
                output = tuple(shown) if check_output else ()
            if "cds-service" not in text:
                continue
            parsed = parse_command(text)
            if parsed is None:
                continue
            env, args, stdout_file = parsed
            examples.append(Example(f"{name}:{start + 2 + offset}", text, env, args, stdout_file, exit_code,
                                    marks.get("not run"), output))
    return examples


def missing_output(shown: tuple[str, ...], printed: str) -> list[str]:
    """The shown lines (but `...` and blank ones) not found, in order, among the printed lines.

    A shown line ending in `...` stands for any printed line that begins with what precedes it,
    one starting with `... ` for any printed line that ends with what follows (elided counts).
    """
    actual = [line.rstrip() for line in printed.splitlines()]
    missing, position = [], 0
    for line in (line.rstrip() for line in shown):
        if not line.strip() or line.strip() == "...":
            continue
        found = next((i for i in range(position, len(actual)) if _shows(line, actual[i])), None)
        if found is None:
            missing.append(line)
        else:
            position = found + 1
    return missing


def _shows(shown: str, printed: str) -> bool:
    """Whether a printed line is the shown one (`text ...` elides its end, `... text` its start)."""
    if shown.endswith("..."):
        return printed.startswith(shown[:-3].rstrip())
    if shown.startswith("... "):
        return printed.endswith(shown[4:])
    return printed == shown


def documented() -> list[Example]:
    found: list[Example] = []
    for path in DOCUMENTS:
        found += extract(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    return found


EXAMPLES = documented()
RUN = [e for e in EXAMPLES if e.not_run is None]


# -- the extraction itself ---------------------------------------------------------------------


def test_extraction_of_commands_from_markdown() -> None:
    text = "\n".join([
        "Intro.", "```sh", ".venv/bin/cds-service replay a.json --at 2026-01-20   # a comment",
        "CDS_AUTH=on X_Y=1 \\", "  cds-service serve \\", "    --port 8092", "make test", "```",
        "<!-- exit: 78 -->", "```", "$ DATABASE_URL=postgresql://h/x cds-service serve", "output cds-service line",
        "$ cds-service --version", "cds-service 1.0", "```",
        "<!-- not run: synopsis -->", "", "```", "cds-service timeline BUNDLE.json [--from DATE]", "```",
        "<!-- exit: 1 -->", "<!-- output not checked: timing -->", "```", "$ cds-service feedback-report --csv > out.csv",
        "12 s", "```",
    ])
    found = extract(text, "x.md")
    assert [(e.args, e.env, e.exit_code, e.not_run, e.stdout_file, e.output) for e in found] == [
        (["replay", "a.json", "--at", "2026-01-20"], {}, 0, None, None, ()),
        (["serve", "--port", "8092"], {"CDS_AUTH": "on", "X_Y": "1"}, 0, None, None, ()),
        (["serve"], {"DATABASE_URL": "postgresql://h/x"}, 78, None, None, ("output cds-service line",)),
        (["--version"], {}, 78, None, None, ("cds-service 1.0",)),
        (["timeline", "BUNDLE.json", "[--from", "DATE]"], {}, 0, "synopsis", None, ()),
        (["feedback-report", "--csv"], {}, 1, None, "out.csv", ()),
    ]
    assert [e.where for e in found] == ["x.md:3", "x.md:4", "x.md:11", "x.md:13", "x.md:19", "x.md:24"]


def test_shown_output_is_found_in_order() -> None:
    printed = "a\nb  \nc\nd\n"
    assert missing_output(("a", "...", "c", "", "d"), printed) == []
    assert missing_output(("c", "b"), printed) == ["b"]  # out of order
    assert missing_output(("x",), printed) == ["x"]
    assert missing_output(("b ...",), "b, c, d\n") == []  # an elided end
    assert missing_output(("... 0 failed",), "51 passed, 0 failed\n") == []  # an elided start
    assert missing_output(("... 0 failed",), "51 passed, 1 failed\n") == ["... 0 failed"]


def test_the_docs_show_commands_and_rarely_skip_one() -> None:
    commands = {e.args[0] for e in RUN if e.args}
    assert {"serve", "replay", "timeline", "worklist", "feedback-report"} <= commands, commands
    assert len(RUN) >= 15
    skipped = [e for e in EXAMPLES if e.not_run is not None]
    assert all(e.not_run for e in skipped) and len({e.where.rsplit(":", 1)[0] + e.not_run for e in skipped}) <= MAX_NOT_RUN


# -- running them ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What the documented commands expect to find: fixtures, config, an export, a card store with cards."""
    root = tmp_path_factory.mktemp("docs-commands")
    for name in ("fhir_fixtures", "config"):
        (root / name).symlink_to(ROOT / name, target_is_directory=True)
    (root / "docs" / "safety").mkdir(parents=True)  # where the safety file's generated documents are written
    make_export(40, root / "EXPORT_DIR", seed=3, at=date(2026, 1, 20))
    settings = tmp_settings(data_dir=str(root / "cds-data"), evaluation_date=date(2026, 1, 20))
    app = create_app(settings)

    async def issue_cards() -> None:  # as an EHR would: the service records the cards it answers with
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://docs") as client:
            for bundle in ("cart-in-window-igg-low.json", "cart-ig-active-stop-overdue.json"):
                request = request_from_bundle(json.loads((FIXTURES / bundle).read_text()))
                assert (await client.post(f"/cds-services/{PATIENT_VIEW_ID}", json=request)).status_code == 200

    asyncio.run(issue_cards())
    app.state.store.flush()
    app.state.store.close()
    failing = root / "my-cases"  # a bundle set whose expectation no longer holds (docs/tools.md)
    failing.mkdir()
    case = "cart-ig-active-stop-due-14-days"
    (failing / f"{case}.json").write_bytes((FIXTURES / f"{case}.json").read_bytes())
    expect = json.loads((FIXTURES / f"{case}.expect.json").read_text())
    (failing / f"{case}.expect.json").write_text(json.dumps({**expect, "expected": ["stop-planned"]}))
    return root


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with required_postgres() as url:
        yield url


def needs_postgres(example: Example) -> bool:
    """A PostgreSQL URL naming a host of the reader's (not an example of an unreachable one)."""
    url = example.env.get("DATABASE_URL", "")
    return url.startswith("postgres") and example.exit_code == 0 and not is_loopback(urlsplit(url).hostname)


def environment(example: Example, workdir: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    env = {**os.environ, "CDS_DATA_DIR": str(workdir / "cds-data"), **example.env}
    if needs_postgres(example):
        env["DATABASE_URL"] = request.getfixturevalue("postgres_url")
    return env


def run_serve(example: Example, env: dict[str, str], workdir: Path) -> str:
    """Start it on 127.0.0.1 at a free port; documented exit 0: it must answer, then stop on SIGTERM."""
    args = list(example.args)
    for option in ("--host", "--port"):
        if option in args:
            at = args.index(option)
            del args[at:at + 2]
    port = free_port()
    log = workdir / f"serve-{port}.log"
    with log.open("wb") as err:
        process = subprocess.Popen([sys.executable, "-m", "cds_service", *args, "--host", "127.0.0.1", "--port", str(port)],
                                   cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=err)
        try:
            deadline = time.monotonic() + 60
            while process.poll() is None and time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            if process.poll() is not None:
                assert process.returncode == example.exit_code, f"{example.where}: exited {process.returncode}\n{log.read_text()}"
                return log.read_text()
            assert example.exit_code == 0, f"{example.where}: started, but the docs say it exits {example.exit_code}"
            assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200, log.read_text()
        finally:
            if process.poll() is None:
                stop_process(process)
    return log.read_text()


def remote_urls(example: Example) -> list[str]:
    """URLs the command is told to contact (its arguments) on a host off this machine: tests send nothing there.

    (Settings such as CDS_CORS_ORIGINS name hosts without contacting them; a remote DATABASE_URL
    is replaced by a local cluster.)
    """
    return [w for w in example.args if re.match(r"[a-z][a-z0-9+.-]*://", w) and not is_loopback(urlsplit(w).hostname)]


@pytest.mark.parametrize("example", RUN, ids=[f"{e.where} {' '.join(e.args[:1])}" for e in RUN])
def test_documented_command_works_as_shown(example: Example, workdir: Path, request: pytest.FixtureRequest) -> None:
    assert not remote_urls(example), (f"{example.where} would reach {remote_urls(example)}: mark the block "
                                      "<!-- not run: reason --> or use a local address")
    env = environment(example, workdir, request)
    if example.args[:1] == ["serve"]:
        printed = run_serve(example, env, workdir)
        assert not missing_output(example.output, printed), (example.where, missing_output(example.output, printed))
        return
    out = (workdir / example.stdout_file).open("w") if example.stdout_file else None
    try:
        done = subprocess.run([sys.executable, "-m", "cds_service", *example.args], cwd=workdir, env=env,
                              stdout=out or subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    finally:
        if out is not None:
            out.close()
    assert done.returncode == example.exit_code, (
        f"{example.where}: `{example.command}` exited {done.returncode}, the docs say {example.exit_code}\n"
        f"{(done.stdout or '')[-1500:]}{done.stderr[-1500:]}")
    missing = missing_output(example.output, (done.stdout or "") + done.stderr)
    assert not missing, f"{example.where}: shown but not printed by `{example.command}`:\n" + "\n".join(missing)
