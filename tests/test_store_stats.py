"""`cds-service store-stats`: rows and bytes per table, the oldest card and snapshot, the parts; read-only.

A real SQLite file written by the card store (and run as a command, as an operator does), and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.records.snapshot import payload
from cds_service.records.stats import read_only_engine, store_stats
from cds_service.records.store import CardStore, Feedback
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import load_bundle, request_from_bundle

from .pg_server import required_postgres
from .servers import ROOT

RUNTIME = load_runtime(Settings(evaluation_date=date(2026, 1, 20)))
BUNDLE = ROOT / "fhir_fixtures" / "cart-in-window-igg-low.json"
DAY0 = datetime(2026, 1, 20, 9, 30, tzinfo=timezone.utc)


def fill(url: str) -> list[str]:
    """Three answers' cards with snapshots, on day 0, 3 and 9 (7-day retention), and one feedback item."""
    now = [DAY0]
    store = CardStore(url, clock=lambda: now[0], explain_days=7, serialise=lambda a, i: payload(a, i, RUNTIME.ruleset),
                      purge_interval=3600)
    # no purge while the clock is moved on: on a loaded machine the writer's first purge ran after the move to day 9
    # and deleted the day-0 snapshot (past its 7 days), which the counts below expect still there
    store._last_purge = time.monotonic()
    uuids = []
    try:
        for days in (0, 3, 9):
            now[0] = DAY0 + timedelta(days=days)
            answer = answer_local(parse_hook_request(request_from_bundle(load_bundle(BUNDLE)), "patient-view"), RUNTIME)
            store.record_cards("igsub-patient-view", "pt", f"h{days}", answer.cards, answer)
            store.flush()
            uuids += [card["uuid"] for card in answer.cards]
        store.add_feedback([Feedback(uuids[0], "overridden", DAY0)])
    finally:
        store.close()
    return uuids


def check(text: str, url: str) -> None:
    rows = {line.split()[0]: line.split()[1] for line in text.splitlines()[3:9]}
    assert rows == {"issued_card": "3", "card_suggestion": "6", "card_feedback": "1", "explanation": "3",
                    "explanation_part": "1", "jwt_seen": "0"}, text
    assert "schema revision: 0006" in text
    assert "issued cards: oldest 2026-01-20 09:30 UTC, newest 2026-01-29 09:30 UTC" in text
    # At day 9.5: the snapshot of day 0 is past its retention (the purge of a running service would delete it).
    assert "explanation snapshots: oldest 2026-01-20 09:30 UTC, newest 2026-01-29 09:30 UTC; 1 past their retention" in text
    assert "last used 2026-01-29, named by 3 snapshot(s)" in text


def test_store_stats_of_a_sqlite_file_changes_nothing(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'cds.sqlite3'}"
    fill(url)
    before = hashlib.sha256((data / "cds.sqlite3").read_bytes()).hexdigest()
    text = store_stats(Settings(data_dir=str(data)), now=DAY0 + timedelta(days=9, hours=12))
    check(text, url)
    assert hashlib.sha256((data / "cds.sqlite3").read_bytes()).hexdigest() == before
    engine = read_only_engine(url)
    assert engine is not None
    try:
        with pytest.raises(sa.exc.OperationalError, match="readonly"), engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM issued_card"))
    finally:
        engine.dispose()

    # As an operator runs it: the service's settings (CDS_DATA_DIR), text and JSON.
    env = {k: v for k, v in os.environ.items() if not k.startswith("CDS_") and k != "DATABASE_URL"}
    env["CDS_DATA_DIR"] = str(data)
    done = subprocess.run([sys.executable, "-m", "cds_service.tools.cli", "store-stats", "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["tables"]["explanation"]["rows"] == 3 and found["tables"]["explanation"]["bytes"] > 3 * 5000
    assert found["issued_cards"]["oldest"] == "2026-01-20T09:30:00+00:00" and found["revision"] == "0006"


def test_store_stats_where_nothing_is_stored_yet_creates_nothing(tmp_path: Path) -> None:
    text = store_stats(Settings(data_dir=str(tmp_path / "none")))
    assert "no card store here yet" in text and not (tmp_path / "none").exists()


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with required_postgres("stats") as url:
        yield url


def test_store_stats_of_postgresql_in_a_read_only_session(postgres: str) -> None:
    fill(postgres)
    text = store_stats(replace(Settings(), database_url=postgres), now=DAY0 + timedelta(days=9, hours=12))
    check(text, postgres)
    assert "size on disk: " in text and "size on disk: -" not in text
    engine = read_only_engine(postgres)
    assert engine is not None
    try:
        with pytest.raises(sa.exc.InternalError, match="read-only transaction"), engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM issued_card"))
    finally:
        engine.dispose()
