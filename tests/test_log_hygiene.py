"""Client-chosen strings reach the log only bounded and sanitised.

Every place a request-derived string can reach a log line: the 401 reasons (path, jti,
kid, alg, iss, ...), the request line's `error` (messages that quote the client's hook or
service id), `hookInstance` and a plain `patientId`. Control characters, line separators
and bidi overrides could split, recolour or visually reorder a line in whatever shows the
log; long values could bloat it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import date

import httpx
import pytest

from cds_service.http.app import create_app
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.http.logs import sanitise
from cds_service.settings import Settings, load_settings
from cds_service.tools.replay import load_bundle, request_from_bundle

from .fixtures import FIXTURES
from .servers import ROOT
from .test_replay_record import sandbox_token

UNSAFE = ["\x00", "\x07", "\x1b", "\r", "\n", "\x85", "\u2028", "\u2029", "\u202e", "\u2066", "\ufeff"]
HOSTILE = "\x1b[31m\u202eevil\u2066\r\nfake line\x00" + "z" * 5000


def assert_clean(text: str, limit: int) -> None:
    assert not any(c in text for c in UNSAFE), repr(text[:200])
    assert len(text) <= limit, len(text)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def test_sanitise_replaces_unsafe_characters_and_bounds_length() -> None:
    assert sanitise("plain-id-123") == "plain-id-123"
    assert sanitise("a\x1b[2Jb\u202ec\r\nd") == "a?[2Jb?c??d"
    assert sanitise("é ü 日本 😀") == "é ü 日本 😀"  # only what could change how a line is shown
    assert sanitise("x" * 1000, 10) == "x" * 9 + "…"
    assert sanitise(ValueError("a\nb")) == "a?b"  # anything, by its str()
    assert_clean(sanitise(HOSTILE, 300), 300)


async def post(app, path: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        return await client.post(path, **kwargs)


@pytest.mark.anyio
async def test_the_request_line_shows_client_strings_sanitised(tmp_path, capsys) -> None:
    app = create_app(dataclasses.replace(Settings(), data_dir=str(tmp_path), log_patient_id="plain"), record_cards=False)
    body = request_from_bundle(load_bundle(FIXTURES / "cart-in-window-igg-low.json"))
    wrong_hook = {**body, "hook": HOSTILE, "hookInstance": HOSTILE}
    assert (await post(app, f"/cds-services/{PATIENT_VIEW_ID}", json=wrong_hook)).status_code == 400
    odd_patient = {**body, "hookInstance": HOSTILE, "context": {**body["context"], "patientId": "p\u202e\x1b1"},
                   "prefetch": {**body["prefetch"], "patient": None}}  # (another id's Patient would be a 412)
    assert (await post(app, f"/cds-services/{PATIENT_VIEW_ID}", json=odd_patient)).status_code == 200
    assert (await post(app, "/cds-services/" + "%E2%80%AE%1B" * 300, json=body)).status_code == 404  # decoded by the server
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if '"event":"request"' in line]
    assert len(lines) == 3
    for line in lines:
        for field in ("hookInstance", "error", "patientId"):
            if field in line:
                assert_clean(line[field], 256)
    assert lines[0]["error"].startswith("this service answers the 'patient-view' hook, not '?[31m?evil")


@pytest.mark.anyio
async def test_401_reasons_show_client_strings_sanitised(tmp_path, caplog) -> None:
    env = {"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(ROOT / "config" / "sandbox-trusted-issuers.json"),
           "CDS_DATA_DIR": str(tmp_path), "CDS_LINK_SECRET": "l" * 32}
    app = create_app(dataclasses.replace(load_settings(env), evaluation_date=date(2026, 1, 20)), record_cards=False)
    caplog.set_level(logging.INFO, logger="cds_service")
    url = "http://test/cds-services"
    jti = "\u202e\x1b[2J" + "j" * 250
    token = sandbox_token(url, jti)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.get("/cds-services", headers={"Authorization": f"Bearer {token}"})).status_code == 200
        replayed = await client.get("/cds-services", headers={"Authorization": f"Bearer {token}"})
        wrong_kid = await client.get("/cds-services", headers={"Authorization": f"Bearer {sandbox_token(url, 'k', kid=HOSTILE)}"})
        odd_path = await client.get("/cds-services/%1B%5B31m%E2%80%AE" + "p" * 3000)
    assert (replayed.status_code, wrong_kid.status_code, odd_path.status_code) == (401, 401, 401)
    messages = [r.getMessage() for r in caplog.records if r.name == "cds_service.http.auth" and r.getMessage().startswith("401")]
    assert len(messages) == 3
    for message in messages:
        assert_clean(message, 700)
    assert "replayed" in messages[0] and "kid" in messages[1]
