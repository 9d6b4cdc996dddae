"""`cds-service replay` and `cds-service serve` as a tester runs them: real processes."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx

from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.tools.replay import request_from_bundle

from .fixtures import FIXTURES
from .servers import ROOT, serve_subprocess

LOW = FIXTURES / "cart-in-window-igg-low.json"


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cds_service.tools.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=env)


def test_replay_json_prints_exactly_one_response_document():
    result = cli("replay", str(LOW), "--at", "2026-01-20", "--json")
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)  # the whole stdout is one JSON document
    assert [c["source"]["topic"]["code"] for c in body["cards"]] == ["start-substitution"]


def test_replay_readable_and_danish():
    result = cli("replay", str(LOW), "--at", "2026-01-20", "--lang", "da")
    assert result.returncode == 0
    assert "[INFO] start-substitution" in result.stdout and "kan startes" in result.stdout


def test_replay_at_changes_the_answer():
    early = cli("replay", str(LOW), "--at", "2025-11-17", "--json")
    assert json.loads(early.stdout) == {"cards": []}  # before the infusion


def test_bad_bundles_exit_2_with_a_clear_message(tmp_path):
    cases = {
        "missing.json": None,
        "notjson.json": "{oops",
        "notbundle.json": json.dumps({"resourceType": "Patient", "id": "x"}),
        "badtype.json": json.dumps({"resourceType": "Bundle", "type": "document"}),
        "twopatients.json": json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [
            {"resource": {"resourceType": "Patient", "id": "a"}}, {"resource": {"resourceType": "Patient", "id": "b"}}]}),
    }
    expected = {"missing.json": "cannot read", "notjson.json": "not valid JSON", "notbundle.json": "not a FHIR Bundle",
                "badtype.json": "Bundle.type", "twopatients.json": "exactly one Patient"}
    for name, content in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_text(content)
        result = cli("replay", str(path), "--at", "2026-01-20", "--json")
        assert result.returncode == 2, name
        assert result.stdout == ""
        assert expected[name] in result.stderr, (name, result.stderr)


def test_bad_date_exits_2():
    result = cli("replay", str(LOW), "--at", "20-01-2026")
    assert result.returncode == 2 and "YYYY-MM-DD" in result.stderr


def test_serve_answers_over_http(tmp_path):
    env = {"CDS_EVALUATION_DATE": "2026-01-20", "CDS_DATA_DIR": str(tmp_path)}
    with serve_subprocess(env) as base:
        bundle = json.loads(LOW.read_text())
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=request_from_bundle(bundle), timeout=10)
        assert response.status_code == 200
        assert [c["source"]["topic"]["code"] for c in response.json()["cards"]] == ["start-substitution"]


def test_serve_refuses_a_bad_configuration(tmp_path):
    import os
    result = cli("serve", "--port", "1", env={**os.environ, "CDS_TIMEZONE": "Mars/Olympus"})
    assert result.returncode == 78 and "CDS_TIMEZONE" in result.stderr  # EXIT_CONFIG
