"""Card feedback end to end: a real uvicorn server, a real SQLite file, cards from the real service."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from cds_service.http.app import create_app
from cds_service.tools.cli import main as cli_main
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.http.feedback import parse_timestamp
from cds_service.tools.replay import load_bundle, request_from_bundle
from cds_service.settings import Settings
from cds_service.records.store import CardStore, Feedback, utc_now

from .servers import free_port, serve_in_thread, serve_subprocess

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ROOT / "fhir_fixtures" / "cart-in-window-igg-low.json"  # as of 2026-01-20: one start-substitution card
AT = date(2026, 1, 20)
OUR_REASONS = "urn:igsub-cds:override-reason"
EHR_REASONS = "https://ehr.example.org/fhir/CodeSystem/cds-override"
WHEN = "2026-01-20T10:05:31Z"


class Clock:
    """The service's clock, set by the test: issue times never depend on today's date."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextmanager
def service(data_dir: Path, clock: Clock | None = None) -> Iterator[tuple[str, Any]]:
    settings = replace(Settings(), evaluation_date=AT, data_dir=str(data_dir))
    app = create_app(settings, clock=clock or Clock(datetime(2026, 1, 20, 9, 0, tzinfo=timezone.utc)))
    with serve_in_thread(app) as base:
        yield base, app


def issue(base: str, client: httpx.Client | None = None) -> dict:
    """One card from the real patient-view service."""
    body = request_from_bundle(load_bundle(BUNDLE))
    response = (client or httpx).post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=body, timeout=10)
    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    return card


def accepted(card: dict, when: str = WHEN, suggestion: int = 0) -> dict:
    return {"card": card["uuid"], "outcome": "accepted", "outcomeTimestamp": when,
            "acceptedSuggestions": [{"id": card["suggestions"][suggestion]["uuid"]}]}


def overridden(card: dict, when: str = WHEN, reason: dict | None = None, comment: str | None = None) -> dict:
    item: dict[str, Any] = {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": when}
    if reason or comment:
        item["overrideReason"] = {k: v for k, v in (("reason", reason), ("userComment", comment)) if v}
    return item


def post(base: str, items: Any, service_id: str = PATIENT_VIEW_ID, client: httpx.Client | None = None) -> httpx.Response:
    body = items if not isinstance(items, list) else {"feedback": items}
    return (client or httpx).post(f"{base}/cds-services/{service_id}/feedback", json=body, timeout=20)


def rows(db: Path, card_uuid: str | None = None) -> list[tuple]:
    with sqlite3.connect(db) as connection:
        query = "SELECT card_uuid, outcome, outcome_at, accepted_suggestions, reason_system, reason_code, reason_display FROM card_feedback"
        if card_uuid is None:
            return connection.execute(query).fetchall()
        return connection.execute(query + " WHERE card_uuid = ?", (card_uuid,)).fetchall()


def diagnostics(response: httpx.Response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"][0]["diagnostics"]


@pytest.fixture(scope="module")
def svc(tmp_path_factory) -> Iterator[tuple[str, Any, Path]]:
    data = tmp_path_factory.mktemp("feedback")
    with service(data) as (base, app):
        yield base, app, data / "cds.sqlite3"


# -- accepted, overridden, duplicates ----------------------------------------------------


def test_accepted_with_suggestion_is_stored_at_once(svc):
    base, _, db = svc
    card = issue(base)  # feedback follows at once: the card may still be queued, never rejected
    response = post(base, [accepted(card, suggestion=1)])
    assert response.status_code == 200 and response.json() == {}
    assert response.headers["content-type"] == "application/json"
    assert rows(db, card["uuid"]) == [
        (card["uuid"], "accepted", "2026-01-20 10:05:31.000000", card["suggestions"][1]["uuid"], None, None, None)]


def test_overridden_with_our_coding_a_clients_coding_or_no_reason(svc):
    base, _, db = svc
    ours, theirs, bare, comment_only = (issue(base) for _ in range(4))
    ours_reason = {"system": OUR_REASONS, "code": "specialist-decision", "display": "Specialist decision documented elsewhere"}
    their_reason = {"system": EHR_REASONS, "code": "pt-declined"}  # a client's own Coding, no display
    response = post(base, [
        overridden(ours, reason=ours_reason, comment="see note"),
        overridden(theirs, "2026-01-20T11:00:00.123+01:00", reason=their_reason),
        overridden(bare),
        overridden(comment_only, comment="free text only"),
    ])
    assert response.status_code == 200, response.text
    assert rows(db, ours["uuid"])[0][1:] == ("overridden", "2026-01-20 10:05:31.000000", None, OUR_REASONS,
                                             "specialist-decision", "Specialist decision documented elsewhere")
    assert rows(db, theirs["uuid"])[0][1:] == ("overridden", "2026-01-20 10:00:00.123000", None, EHR_REASONS, "pt-declined", None)
    assert rows(db, bare["uuid"])[0][4:] == (None, None, None)
    assert rows(db, comment_only["uuid"])[0][4:] == (None, None, None)
    with sqlite3.connect(db) as connection:  # free text may hold patient details: it is not kept
        assert "free text only" not in " ".join(str(v) for row in connection.execute("SELECT * FROM card_feedback") for v in row)


def test_a_duplicate_is_accepted_and_stored_once(svc):
    base, _, db = svc
    card = issue(base)
    item = accepted(card)
    assert post(base, [item, item]).status_code == 200
    assert post(base, [item]).status_code == 200
    same_instant = {**item, "outcomeTimestamp": "2026-01-20T11:05:31+01:00"}  # the same moment, written otherwise
    assert post(base, [same_instant]).status_code == 200
    assert len(rows(db, card["uuid"])) == 1
    later = accepted(card, "2026-01-20T10:06:00Z")  # another interaction with the same card
    assert post(base, [later]).status_code == 200
    assert len(rows(db, card["uuid"])) == 2


# -- refusals -------------------------------------------------------------------------------


def _cases(card: dict, other: dict, foreign: dict) -> list[tuple[Any, str]]:
    """(bad item or body, the diagnostics it must give); item problems are at index 1."""
    good = accepted(card)
    bad = lambda **changes: [good, {**accepted(card, "2026-01-20T12:00:00Z"), **changes}]  # noqa: E731
    without = lambda name: [good, {k: v for k, v in accepted(card, "2026-01-20T12:00:00Z").items() if k != name}]  # noqa: E731
    reason = {"system": OUR_REASONS, "code": "specialist-decision"}
    return [
        ([good, {**accepted(card), "card": str(uuid.uuid4())}], "feedback[1].card is not a card issued by service"),
        ([good, {**accepted(foreign), "acceptedSuggestions": [{"id": foreign["suggestions"][0]["uuid"]}]}],
         "it was issued by 'another-service'; send its feedback to /cds-services/another-service/feedback"),
        (bad(outcome="rejected"), "feedback[1].outcome must be 'accepted' or 'overridden'"),
        (without("outcome"), "feedback[1].outcome is required"),
        (without("card"), "feedback[1].card is required"),
        (bad(card=12345), "feedback[1].card must be a non-empty string"),
        (without("outcomeTimestamp"), "feedback[1].outcomeTimestamp is required"),
        (bad(outcomeTimestamp="2026-01-20 10:05"), "feedback[1].outcomeTimestamp must be an RFC 3339 date-time"),
        (bad(outcomeTimestamp="2026-01-20T10:05:31"), "feedback[1].outcomeTimestamp must be an RFC 3339 date-time"),
        (bad(outcomeTimestamp="2026-02-30T10:05:31Z"), "feedback[1].outcomeTimestamp must be an RFC 3339 date-time"),
        (bad(outcomeTimestamp=1768903531), "feedback[1].outcomeTimestamp must be a non-empty string"),
        (without("acceptedSuggestions"), "feedback[1].acceptedSuggestions is required when the outcome is 'accepted'"),
        (bad(acceptedSuggestions=[]), "feedback[1].acceptedSuggestions must be a non-empty array"),
        (bad(acceptedSuggestions=[{"id": 7}]), "feedback[1].acceptedSuggestions[0].id must be a non-empty string"),
        (bad(acceptedSuggestions=["x"]), "feedback[1].acceptedSuggestions[0] must be an object with an id"),
        (bad(acceptedSuggestions=[{"id": card["suggestions"][0]["uuid"]}, {"id": other["suggestions"][0]["uuid"]}]),
         "feedback[1].acceptedSuggestions[1].id is not a suggestion of that card"),
        (bad(overrideReason={"reason": reason}), "feedback[1].overrideReason is only allowed when the outcome is 'overridden'"),
        ([good, {**overridden(card), "acceptedSuggestions": good["acceptedSuggestions"]}],
         "feedback[1].acceptedSuggestions is only allowed when the outcome is 'accepted'"),
        ([good, overridden(card, reason={"code": "x"})], "feedback[1].overrideReason.reason.system is required"),
        ([good, {**overridden(card), "overrideReason": {"reason": "too-busy"}}],
         "feedback[1].overrideReason.reason must be a Coding"),
        ([good, {**overridden(card), "overrideReason": {}}], "feedback[1].overrideReason must have a reason (Coding) or a userComment"),
        ([good, {**overridden(card), "overrideReason": {"userComment": 3}}], "feedback[1].overrideReason.userComment must be a string"),
        ([good, "accepted"], "feedback[1] must be an object"),
        ({"feedback": []}, "'feedback' must be a non-empty array"),
        ({"feedback": good}, "'feedback' must be a non-empty array"),
        ({"items": [good]}, "missing required field 'feedback'"),
        ([good] * 1001, "at most 1000"),
    ]


def test_every_bad_batch_is_a_400_naming_the_problem_and_nothing_of_it_is_stored(svc):
    base, app, db = svc
    card, other = issue(base), issue(base)
    foreign = {**other, "uuid": str(uuid.uuid4())}  # a card issued by another service of the same store
    app.state.store.record_cards("another-service", "p-1", str(uuid.uuid4()), [foreign])
    before = len(rows(db))
    for body, message in _cases(card, other, foreign):
        response = post(base, body)
        assert response.status_code == 400, (message, response.text)
        assert message in diagnostics(response), body
        assert response.json()["issue"][0]["code"] == "invalid"
    assert len(rows(db)) == before  # the good first item of each batch was not stored either
    assert post(base, [accepted(card)]).status_code == 200  # and is stored once the batch is right
    assert len(rows(db)) == before + 1


def test_body_that_is_not_json_is_a_400(svc):
    base, _, _ = svc
    response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}/feedback", content=b"{nope", headers={"content-type": "application/json"}, timeout=10)
    assert response.status_code == 400 and "not valid JSON" in diagnostics(response)
    response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}/feedback", json=[1], timeout=10)
    assert response.status_code == 400 and "must be a JSON object" in diagnostics(response)


def test_unknown_service_is_a_404(svc):
    base, _, _ = svc
    card = issue(base)
    response = post(base, [accepted(card)], service_id="no-such-service")
    assert response.status_code == 404
    assert diagnostics(response).startswith("no CDS service with id 'no-such-service'; the services here are igsub-patient-view, ")


# -- concurrency, crash, report ------------------------------------------------------------


def test_twenty_clients_posting_at_once_all_land(svc):
    base, _, db = svc
    with httpx.Client(timeout=10) as client:
        cards = [issue(base, client) for _ in range(20)]
    barrier = threading.Barrier(20)
    statuses: list[int] = []

    def client_posts(card: dict) -> None:
        with httpx.Client(timeout=30) as client:
            barrier.wait()
            statuses.append(post(base, [accepted(card)], client=client).status_code)
            statuses.append(post(base, [accepted(card)], client=client).status_code)  # and a retry

    threads = [threading.Thread(target=client_posts, args=(card,)) for card in cards]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 40
    stored = {row[0] for row in rows(db)}
    assert all(len(rows(db, card["uuid"])) == 1 for card in cards) and {c["uuid"] for c in cards} <= stored


@contextmanager
def serve_process(data_dir: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`cds-service serve` in its own process, to be killed as a crash would."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(CDS_DATA_DIR=str(data_dir), CDS_EVALUATION_DATE=AT.isoformat(), PYTHONPATH=str(ROOT))
    log = data_dir / f"serve-{port}.log"  # a file, not a pipe: a full pipe would block the server
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "cds_service.tools.cli", "serve", "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        # uvicorn says so only once *it* holds the port: not some other server that grabbed it first
        while f"running on http://127.0.0.1:{port}" not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "the service did not start"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}", process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def report(data_dir: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(CDS_DATA_DIR=str(data_dir), PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "cds_service.tools.cli", "feedback-report", *args],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_crash_between_two_feedback_posts_loses_nothing_acknowledged(tmp_path):
    with serve_process(tmp_path) as (base, process):
        first, second, unanswered = issue(base), issue(base), issue(base)
        assert post(base, [accepted(first)]).status_code == 200  # acknowledged: committed
        with sqlite3.connect(tmp_path / "cds.sqlite3") as connection:  # the writer commits a card without feedback too
            deadline = time.monotonic() + 5
            while not connection.execute("SELECT 1 FROM issued_card WHERE card_uuid = ?", (unanswered["uuid"],)).fetchone():
                assert time.monotonic() < deadline, "the issued card was never written"
                time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    with serve_process(tmp_path) as (base, process):
        assert post(base, [overridden(second)]).status_code == 200  # the card issued before the crash is known
        process.send_signal(signal.SIGKILL)
    assert report(tmp_path).splitlines() == [
        "advice code            issued  accepted  overridden",
        "start-substitution          3         1           1",
        "  - (no coded reason)                             1",
    ]


def test_report_counts_cards_per_advice_code_with_reasons_and_since(tmp_path, monkeypatch, capsys):
    clock = Clock(datetime(2026, 1, 10, 12, 0, tzinfo=timezone.utc))
    specialist = {"system": OUR_REASONS, "code": "specialist-decision", "display": "Specialist decision documented elsewhere"}
    declined = {"system": EHR_REASONS, "code": "pt-declined"}
    with service(tmp_path, clock) as (base, app):
        early = [issue(base) for _ in range(2)]
        app.state.store.record_cards(PATIENT_VIEW_ID, "p-2", "h-2", [{"uuid": str(uuid.uuid4()), "source": {"topic": {"code": "measure-igg"}}}])
        clock.now = datetime(2026, 1, 20, 12, 0, tzinfo=timezone.utc)
        late = [issue(base) for _ in range(3)]
        assert post(base, [
            accepted(early[0]),
            overridden(early[1], reason=specialist),
            overridden(late[0], reason=declined),
            overridden(late[0], "2026-01-20T13:00:00Z", reason=declined),  # the same card twice counts once
            accepted(late[1]), accepted(late[1], "2026-01-20T13:00:00Z", suggestion=1),
            overridden(late[2], comment="not now"),
        ]).status_code == 200
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CDS_DATA_DIR", str(tmp_path))

    def run(*args: str) -> str:
        assert cli_main(["feedback-report", *args]) == 0
        return capsys.readouterr().out

    assert run() == (
        "advice code                                   issued  accepted  overridden\n"
        "start-substitution                                 5         2           3\n"
        "  - (no coded reason)                                                    1\n"
        "  - pt-declined                                                          1\n"
        "  - Specialist decision documented elsewhere                             1\n"
        "measure-igg                                        1         0           0\n"
    )
    assert run("--since", "2026-01-15") == (
        "advice code            issued  accepted  overridden\n"
        "start-substitution          3         1           2\n"
        "  - (no coded reason)                             1\n"
        "  - pt-declined                                   1\n"
    )
    assert run("--since", "2026-01-21") == "advice code  issued  accepted  overridden\n(no cards issued since 2026-01-21)\n"
    assert run("--csv", "--since", "2026-01-15") == (
        "advice_code,override_reason,issued,accepted,overridden\n"
        "start-substitution,,3,1,2\n"
        "start-substitution,(no coded reason),,,1\n"
        "start-substitution,pt-declined,,,1\n"
    )
    assert cli_main(["feedback-report", "--since", "20.01.2026"]) == 2
    assert "not a date" in capsys.readouterr().err


def test_report_on_a_fresh_data_dir_is_empty_and_creates_nothing(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("CDS_DATA_DIR", str(tmp_path / "none"))
    assert cli_main(["feedback-report"]) == 0
    assert capsys.readouterr().out.endswith("(no cards issued)\n")
    assert not (tmp_path / "none").exists()


def test_feedback_on_unknown_cards_holds_no_worker_thread(tmp_path):
    """300 posts about cards nobody issued, all at once: /readyz (a database ping in a worker
    thread) keeps answering at once, because the wait for other instances' writers is on the
    event loop and feedback's database work has threads of its own."""
    import asyncio
    from urllib.parse import urlsplit

    from cds_service.http.feedback import OTHER_INSTANCE_GRACE

    async def flood(base: str) -> list[bytes]:
        """Raw connections, so the client costs next to nothing beside the server under test."""
        url = urlsplit(base)
        streams = [await asyncio.open_connection(url.hostname, url.port) for _ in range(300)]
        for i, (_, writer) in enumerate(streams):
            body = orjson.dumps({"feedback": [{"card": f"unknown-{i}", "outcome": "overridden", "outcomeTimestamp": WHEN}]})
            writer.write(f"POST /cds-services/{PATIENT_VIEW_ID}/feedback HTTP/1.1\r\nHost: test\r\n"
                         f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode() + body)
        answers = [await reader.read() for reader, _ in streams]
        for _, writer in streams:
            writer.close()
        return answers

    probes: list[float] = []
    done = threading.Event()

    def probe(base: str) -> None:
        with httpx.Client() as client:
            while not done.is_set():
                started = time.perf_counter()
                assert client.get(f"{base}/readyz").status_code == 200
                probes.append(time.perf_counter() - started)
                time.sleep(0.01)

    with serve_subprocess({"CDS_DATA_DIR": str(tmp_path / "data"), "CDS_LOG_SALT": "t"}) as base:
        httpx.get(f"{base}/readyz")
        prober = threading.Thread(target=probe, args=(base,))
        prober.start()
        started = time.perf_counter()
        try:
            answers = asyncio.run(flood(base))
        finally:
            done.set()
            prober.join()
        took = time.perf_counter() - started
    print(f"\n300 unknown-card posts in {took * 1000:.0f} ms; /readyz meanwhile: {len(probes)} probes, "
          f"slowest {max(probes) * 1000:.0f} ms")
    assert all(a.startswith(b"HTTP/1.1 400") for a in answers)
    # Threads sleeping out the grace made probes queue behind 300 / 40 rounds of it (~1.5 s); what
    # is left is the loop parsing 300 requests at once (~0.15 ms each; 50-540 ms seen on a machine
    # loaded six-fold). The bound sits between the two, so only the queueing fails it.
    assert max(probes) < 5 * OTHER_INSTANCE_GRACE


# -- the store on its own --------------------------------------------------------------------


def test_feedback_finds_a_card_still_queued(tmp_path):
    from cds_service.http.feedback import store_feedback

    store = CardStore(f"sqlite:///{tmp_path / 'q.sqlite3'}", flush_interval=3600)  # the writer would wait an hour
    try:
        store.open()
        store.record_cards(PATIENT_VIEW_ID, "p-1", "h-1", [{"uuid": "c-1", "suggestions": [{"uuid": "s-1"}], "source": {"topic": {"code": "x"}}}])
        assert store.pending() == 1
        item = Feedback("c-1", "accepted", datetime(2026, 1, 20, tzinfo=timezone.utc), ("s-1",))
        assert store_feedback(store, PATIENT_VIEW_ID, [item]) == 1
        assert store.pending() == 0 and store.ping()
    finally:
        store.close()


def test_close_writes_what_is_queued_and_ping_reports_an_unusable_database(tmp_path):
    path = tmp_path / "c.sqlite3"
    store = CardStore(f"sqlite:///{path}", flush_interval=3600)
    store.open()
    store.record_cards(PATIENT_VIEW_ID, "p-1", "h-1", [{"uuid": f"c-{i}", "source": {"topic": {"code": "x"}}} for i in range(3)])
    store.close()
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT card_uuid, patient_ref, hook_instance FROM issued_card ORDER BY 1").fetchall() == [
            ("c-0", "Patient/p-1", "h-1"), ("c-1", "Patient/p-1", "h-1"), ("c-2", "Patient/p-1", "h-1")]
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert CardStore(f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.sqlite3'}").ping() is False


def test_rfc3339_timestamps():
    assert parse_timestamp("1985-04-12T23:20:50.52Z") == datetime(1985, 4, 12, 23, 20, 50, 520000, timezone.utc)
    assert parse_timestamp("2026-01-20T00:30:00+01:00") == datetime(2026, 1, 19, 23, 30, tzinfo=timezone.utc)
    assert parse_timestamp("2026-01-20t10:00:00.1234567z") == datetime(2026, 1, 20, 10, 0, 0, 123456, timezone.utc)
    for bad in ("2026-01-20", "2026-01-20T10:00Z", "2026-01-20T10:00:00", "2026-01-20T24:00:00Z", "2026-01-20T10:00:00+25:00", ""):
        assert parse_timestamp(bad) is None, bad
    assert utc_now().tzinfo is timezone.utc


def test_replay_records_no_cards_and_exits_promptly(tmp_path):
    """A tester's replay is not an issued card: it must not count in the drug committee's report."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CDS_DATA_DIR")}
    env["PYTHONPATH"] = str(ROOT)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "cds_service.tools.cli", "replay", str(BUNDLE), "--at", AT.isoformat()],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - started < 30
    assert "start-substitution" in done.stdout
    assert not (tmp_path / "data").exists()


def test_issued_cards_are_stored_as_sqlalchemy_would_store_them(tmp_path: Path) -> None:
    """The writer hands batches to the driver directly; rows must read back exactly, duplicates once."""
    import sqlalchemy as sa

    from cds_service.records.store import card_suggestion, issued_card

    when = datetime(2026, 1, 20, 10, 30, 15, 250000, tzinfo=timezone.utc)
    store = CardStore(f"sqlite:///{tmp_path / 'cards.db'}", clock=lambda: when)
    cards = [{"uuid": f"card-{i}", "source": {"topic": {"code": "start-substitution"}},
              "suggestions": [{"uuid": f"s-{i}-a"}, {"uuid": f"s-{i}-b"}]} for i in range(3)]
    store.record_cards(PATIENT_VIEW_ID, "pat-1", "hook-1", cards)
    store.record_cards(PATIENT_VIEW_ID, "pat-1", "hook-1", cards[:1])  # the same card again
    store.flush()
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(issued_card).order_by(issued_card.c.card_uuid)).all()
        suggestions = connection.execute(sa.select(card_suggestion)).all()
    assert [r.card_uuid for r in rows] == ["card-0", "card-1", "card-2"]
    assert {(r.service_id, r.advice_code, r.patient_ref, r.hook_instance) for r in rows} == {
        (PATIENT_VIEW_ID, "start-substitution", "Patient/pat-1", "hook-1")}
    assert all(r.issued_at == when for r in rows)
    assert len(suggestions) == 6
    raw = sqlite3.connect(tmp_path / "cards.db").execute("SELECT DISTINCT issued_at FROM issued_card").fetchall()
    assert raw == [("2026-01-20 10:30:15.250000",)]  # SQLAlchemy's SQLite DATETIME text, naive UTC
    assert store.issued(["card-1", "nope"])["card-1"].suggestions == frozenset({"s-1-a", "s-1-b"})
    store.close()
