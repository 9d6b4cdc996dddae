"""What a real `cds-service` process writes on stderr: `serve` one JSON object per line, uvicorn's
lines included and nothing twice; the tools only what concerns the command."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx

from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.tools.replay import request_from_bundle

from .fixtures import FIXTURES
from .servers import ROOT, free_port, stop_process

LOW = FIXTURES / "cart-in-window-igg-low.json"
CLI = [sys.executable, "-m", "cds_service"]


def serve_and_stop(tmp_path: Path, env: dict[str, str], calls) -> tuple[int, str, str]:
    """Start `serve`, run `calls(base)`, stop it with SIGTERM; (exit code, stdout, stderr)."""
    port = free_port()
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"  # files: a full pipe would block the server
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen([*CLI, "serve", "--port", str(port)], cwd=tmp_path, stdout=stdout, stderr=stderr,
                                   env={**os.environ, **env})
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 30
            while True:
                assert process.poll() is None, err.read_text()
                try:
                    if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "serve did not start in 30 s"
                time.sleep(0.05)
            calls(base)
        finally:
            stop_process(process)  # SIGTERM, as a service manager stops it
    return process.returncode, out.read_text(), err.read_text()


def test_serve_writes_one_json_object_per_line_and_each_warning_once(tmp_path: Path) -> None:
    def calls(base: str) -> None:
        url = f"{base}/cds-services/{PATIENT_VIEW_ID}"
        assert httpx.get(f"{base}/cds-services").status_code == 200
        assert httpx.post(url, json=request_from_bundle(json.loads(LOW.read_text())), timeout=10).status_code == 200
        assert httpx.post(url, content=b"{not json", headers={"content-type": "application/json"}, timeout=10).status_code == 400
        assert httpx.post(f"{base}/cds-services/no-such-service", json={}, timeout=10).status_code == 404

    code, stdout, stderr = serve_and_stop(tmp_path, {"CDS_EVALUATION_DATE": "2026-01-20"}, calls)
    assert code in (0, -signal.SIGTERM) and stdout == ""  # uvicorn re-raises SIGTERM once shut down
    lines = [json.loads(line) for line in stderr.splitlines()]  # every line is JSON, or this fails
    assert all(isinstance(line, dict) and line["ts"] and line["level"] and line["logger"] for line in lines)

    uvicorn = [line["message"] for line in lines if line["logger"].startswith("uvicorn")]
    assert any("Started server process" in m for m in uvicorn) and any("Application startup complete" in m for m in uvicorn)
    assert any("Finished server process" in m for m in uvicorn)
    assert not any(line["logger"] == "uvicorn.access" for line in lines)  # the service writes its own request line

    requests = [line for line in lines if line.get("event") == "request"]
    assert sorted(r["status"] for r in requests if r["endpoint"] != "healthz") == [200, 200, 400, 404]
    assert [r["error"] for r in requests if r["status"] == 400][0].startswith("the request body is not valid JSON")

    warnings = Counter(line["message"] for line in lines if line["level"] == "warning")
    assert all(count == 1 for count in warnings.values()), warnings
    assert any(m.startswith("CDS_AUTH is off: DEVELOPMENT MODE") for m in warnings)
    assert any(m.startswith("CDS_LOG_SALT is not set") for m in warnings)
    assert any(m.startswith("CDS_EVALUATION_DATE=2026-01-20") for m in warnings)
    assert len(lines) == len(set(stderr.splitlines()))  # no line written twice


def test_serve_with_a_salt_does_not_warn_about_it(tmp_path: Path) -> None:
    _, _, stderr = serve_and_stop(tmp_path, {"CDS_LOG_SALT": "per-deployment-secret"}, lambda base: None)
    messages = [json.loads(line).get("message", "") for line in stderr.splitlines()]
    assert not any("CDS_LOG_SALT" in m for m in messages)
    assert any("DEVELOPMENT MODE" in m for m in messages)


def tool(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_tools_write_nothing_on_stderr_that_does_not_concern_the_command(tmp_path: Path) -> None:
    """No salt warning, no development-mode warning, no request lines: a replay is not a served call."""
    replayed = tool(tmp_path, "replay", str(LOW), "--at", "2026-01-20", "--json")
    assert replayed.returncode == 0 and replayed.stderr == ""
    assert json.loads(replayed.stdout)["cards"]
    timeline = tool(tmp_path, "timeline", str(LOW))
    assert timeline.returncode == 0 and timeline.stderr == ""
    report = tool(tmp_path, "feedback-report")
    assert report.returncode == 0 and report.stderr == ""


def test_a_tool_warning_is_one_plain_line(tmp_path: Path) -> None:
    """A warning that concerns the command (here: a kill-switch file naming an unknown code) reads as text."""
    disabled = tmp_path / "disabled.json"
    disabled.write_text('["no-such-advice"]')
    done = subprocess.run([*CLI, "replay", str(LOW), "--at", "2026-01-20"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120, env={**os.environ, "CDS_DISABLED_ADVICE_FILE": str(disabled)})
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines and all(line.startswith("cds-service: warning: ") for line in lines), lines
    assert any("unknown advice codes (typo?): no-such-advice" in line for line in lines)


def test_the_package_runs_from_the_repository_too() -> None:
    """`python -m cds_service` from the checkout is the same program (`make run` uses the entry point)."""
    done = subprocess.run([*CLI, "--version"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("cds-service ")
