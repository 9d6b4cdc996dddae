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
    result = cli("replay", str(LOW), "--at", "2026-01-20", "--lang", "da", "--trace")
    assert result.returncode == 0
    assert "[INFO] start-substitution" in result.stdout and "kan startes" in result.stdout
    assert result.stdout.startswith("1 kort pr. 2026-01-20:") and "  forslag: " in result.stdout
    assert "Sådan blev det vurderet:" in result.stdout
    assert not any(word in result.stdout for word in ("card(s)", "suggestion:", "How this was decided"))


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
        # a lone surrogate: the service's parser refuses it in a request, so replay refuses it too
        "surrogate.json": LOW.read_text().replace('"resourceType": "Patient"',
                                                  '"resourceType": "Patient", "language": "x\\ud800y"', 1),
    }
    expected = {"missing.json": "cannot read", "notjson.json": "not valid JSON", "notbundle.json": "not a FHIR Bundle",
                "badtype.json": "Bundle.type", "twopatients.json": "exactly one Patient",
                "surrogate.json": "not valid JSON (no low surrogate"}
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


def test_serve_refuses_a_port_or_worker_count_it_cannot_use():
    """`--port 99999` listened on 34463 (99999 mod 65536) while the log said 99999; refused before anything starts."""
    for args, words in ((("--port", "99999"), "99999 is not a TCP port (0-65535)"), (("--port", "-1"), "-1 is not"),
                        (("--workers", "0"), "at least 1")):
        result = cli("serve", *args)
        assert result.returncode == 2 and words in result.stderr, result.stderr


def test_serve_refuses_a_bad_configuration(tmp_path):
    import os
    result = cli("serve", "--port", "1", env={**os.environ, "CDS_TIMEZONE": "Mars/Olympus"})
    assert result.returncode == 78 and "CDS_TIMEZONE" in result.stderr  # EXIT_CONFIG


def test_local_tools_run_with_the_servers_auth_setting_alone(tmp_path):
    """A shell with CDS_AUTH=on (the server's environment) but no issuers file or link key still runs the tools."""
    import os

    from .test_worklist import write_export

    env = {k: v for k, v in os.environ.items() if not k.startswith("CDS_") and k != "DATABASE_URL"}
    env.update(CDS_AUTH="on", CDS_DATA_DIR=str(tmp_path / "data"))
    export = write_export(["cart-in-window-igg-low"], tmp_path / "export")
    runs = {
        "replay": cli("replay", str(LOW), "--at", "2026-01-20", "--json", env=env),
        "replay (set)": cli("replay", str(LOW), str(LOW), "--at", "2026-01-20", env=env),
        "timeline": cli("timeline", str(LOW), "--at", "2026-01-20", env=env),
        "worklist": cli("worklist", str(export), "--at", "2026-01-20", env=env),
        "compare-rulesets": cli("compare-rulesets", str(LOW), "--at", "2026-01-20", env=env),
        "feedback-report": cli("feedback-report", env=env),
    }
    for tool, result in runs.items():
        assert result.returncode == 0, (tool, result.stderr)
        assert "CDS_TRUSTED_ISSUERS_FILE" not in result.stderr, tool
    assert [c["source"]["topic"]["code"] for c in json.loads(runs["replay"].stdout)["cards"]] == ["start-substitution"]
    assert "pt-dk-0001" in runs["worklist"].stdout
    served = cli("serve", "--port", "1", env=env)  # the server itself still refuses to start half-configured
    assert served.returncode == 78 and "CDS_TRUSTED_ISSUERS_FILE is not set" in served.stderr
