"""Explanation parts are deleted once no snapshot names them, and never from under a snapshot a process writes.

A part (what every snapshot of one rule set shares, ~9.5 KB) is written once per process per day and only named
otherwise; the purge deletes it when no snapshot names it and it was last used more than the retention plus a
day ago (`cds_service/records/store.py`, "Explanation parts"). Real processes (spawned, so each has only the parts
it made itself), on a real SQLite file and on PostgreSQL: a writer that keeps running, purges and readers apart
from it, and over HTTP a hook-answering instance, a page-serving instance that never made a part, and a purging
process racing them across many day changes.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
import sqlalchemy as sa

from cds_service.records.store import CardStore, make_engine

from .pg_server import required_postgres

SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter: no part made by the test's own process
DAY0 = datetime(2026, 1, 20, 12, 0, tzinfo=timezone.utc)
RETENTION = 7
BUNDLE = Path(__file__).resolve().parents[1] / "fhir_fixtures" / "cart-in-window-igg-low.json"
SECRET = "s" * 32


def at(days: float) -> float:
    return (DAY0 + timedelta(days=days)).timestamp()


# -- in the child processes ----------------------------------------------------------------------------------

_WRITER: dict[str, Any] = {}


def _writer_start(url: str) -> None:
    """A long-running worker: one card store for the life of the process, its clock set by each call."""
    from cds_service.records.snapshot import payload
    from cds_service.runtime import load_runtime
    from cds_service.settings import Settings

    runtime = load_runtime(Settings(evaluation_date=date(2026, 1, 20)))
    _WRITER["now"] = DAY0
    _WRITER["runtime"] = runtime
    _WRITER["store"] = CardStore(url, clock=lambda: _WRITER["now"], explain_days=RETENTION, purge_interval=3600,
                                 serialise=lambda a, i: payload(a, i, runtime.ruleset))
    _WRITER["store"].open()


def _writer_write(when: float) -> list[str]:
    """Issue a patient-view answer's cards at `when` and write them (with their snapshots); their uuids."""
    from cds_service.fhir.request import parse_hook_request
    from cds_service.pipeline import answer_local
    from cds_service.tools.replay import load_bundle, request_from_bundle

    _WRITER["now"] = datetime.fromtimestamp(when, timezone.utc)
    answer = answer_local(parse_hook_request(request_from_bundle(load_bundle(BUNDLE)), "patient-view"), _WRITER["runtime"])
    store: CardStore = _WRITER["store"]
    store.record_cards("igsub-patient-view", "pt", f"h-{when}", answer.cards, answer)
    store.flush()
    return [card["uuid"] for card in answer.cards]


def _writer_stop() -> None:
    _WRITER["store"].close()


def _purge(url: str, when: float) -> int:
    """A purge by another process (its store's writer does the same once a minute)."""
    store = CardStore(url, clock=lambda: datetime.fromtimestamp(when, timezone.utc), explain_days=RETENTION)
    try:
        return store.purge_expired()
    finally:
        store.close()


def _read(url: str, when: float, card_uuids: list[str]) -> list[tuple[bool, bool]]:
    """For each card, in a process that made no part: (its snapshot was read whole, this process knew its part)."""
    from cds_service.records.snapshot import known_part

    store = CardStore(url, clock=lambda: datetime.fromtimestamp(when, timezone.utc), explain_days=RETENTION)
    found = []
    try:
        for card_uuid in card_uuids:
            shown = store.snapshot(card_uuid)
            whole = shown is not None and bool(shown.payload["ruleset"]["parameters"]) and all(
                "comment" in step for step in shown.payload["trace"])
            with store.engine.connect() as connection:
                row = connection.execute(sa.text("SELECT payload FROM explanation WHERE card_uuid = :u"),
                                         {"u": card_uuid}).scalar()
            digest = orjson.loads(row)["part"] if row is not None else ""
            found.append((whole, known_part(digest) is not None))
    finally:
        store.close()
    return found


def apart(function: Any, *args: Any) -> Any:
    """Call `function(*args)` in a fresh process."""
    with ProcessPoolExecutor(max_workers=1, mp_context=SPAWN) as pool:
        return pool.submit(function, *args).result(timeout=120)


def _serve(url: str, clock: Any, ports: Any, stop: Any) -> None:
    """An instance of the service (real uvicorn) whose clock is the shared value `clock` (Unix seconds)."""
    from cds_service.http.app import create_app
    from cds_service.settings import Settings

    from .servers import serve_in_thread

    settings = Settings(evaluation_date=date(2026, 1, 20), database_url=url, link_secret=SECRET,
                        explain_retention_days=RETENTION)
    app = create_app(settings, clock=lambda: datetime.fromtimestamp(clock.value, timezone.utc))
    with serve_in_thread(app) as base:
        ports.put(base)
        stop.wait(600)


def _purge_while(url: str, clock: Any, stop: Any, purged: Any, parts_deleted: Any) -> None:
    """Purge in a loop until told to stop; count the purges and the parts they deleted."""
    store = CardStore(url, clock=lambda: datetime.fromtimestamp(clock.value, timezone.utc), explain_days=RETENTION)
    try:
        while not stop.is_set():
            store.purge_expired()
            purged.value += 1
            parts_deleted.value = store.parts_deleted
            stop.wait(0.005)  # a few hundred purges a second: the two servers share the machine with it
    finally:
        store.close()


# -- the tests -------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with required_postgres() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or a database of its own on the module's PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'cds.sqlite3'}"
    import psycopg

    server = sa.make_url(request.getfixturevalue("postgres"))
    name = "parts_" + request.node.name.split("[")[0][-40:].replace("-", "_")
    with psycopg.connect(host=server.host, port=server.port, user=server.username, dbname="postgres",
                         autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')
    return server.set(database=name).render_as_string(hide_password=False)


def table(url: str, sql: str) -> list[tuple]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql))]
    finally:
        engine.dispose()


def execute(url: str, sql: str) -> None:
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(sql))
    finally:
        engine.dispose()


@pytest.fixture
def writer(url: str) -> Iterator[ProcessPoolExecutor]:
    """A worker process that keeps running (and so keeps the parts it noted as written) across the test."""
    pool = ProcessPoolExecutor(max_workers=1, mp_context=SPAWN, initializer=_writer_start, initargs=(url,))
    try:
        yield pool
    finally:
        try:
            pool.submit(_writer_stop).result(timeout=60)
        finally:
            pool.shutdown()


def write(writer: ProcessPoolExecutor, days: float) -> list[str]:
    cards: list[str] = writer.submit(_writer_write, at(days)).result(timeout=120)
    return cards


def test_the_part_goes_with_the_last_snapshot_naming_it(url: str, writer: ProcessPoolExecutor) -> None:
    """Snapshots of day 0 and day 5: at day 9 the first has expired and the part is kept (the second names it,
    and it was used 4 days ago); at day 14 both have expired and the part, last used on day 5, is deleted."""
    first, second = write(writer, 0), write(writer, 5)
    assert table(url, "SELECT count(*) FROM explanation_part") == [(1,)]
    assert apart(_purge, url, at(9)) == len(first)
    assert table(url, "SELECT count(*) FROM explanation") == [(len(second),)]
    assert [str(day) for (day,) in table(url, "SELECT last_used FROM explanation_part")] == ["2026-01-25"]
    assert apart(_read, url, at(9), second) == [(True, False)] * len(second)
    assert apart(_purge, url, at(14)) == len(second)
    assert table(url, "SELECT count(*) FROM explanation_part") == [(0,)]


def test_a_part_a_snapshot_still_names_is_kept_whatever_its_last_use(url: str, writer: ProcessPoolExecutor) -> None:
    """A row an older release wrote, or a process whose clock was wrong: the part's `last_used` says it is long
    unused, but a snapshot within its retention names it. The purge keeps it, and the page reads whole."""
    cards = write(writer, 0)
    execute(url, "UPDATE explanation_part SET last_used = '2020-01-01'")
    apart(_purge, url, at(3))
    assert table(url, "SELECT count(*) FROM explanation_part") == [(1,)]
    assert apart(_read, url, at(3), cards) == [(True, False)] * len(cards)


def test_a_worker_idle_past_the_retention_writes_its_part_again(url: str, writer: ProcessPoolExecutor) -> None:
    """The worker wrote its part on day 0 and noted it as written. Idle for 30 days, meanwhile another process's
    purge deleted the expired snapshots and the part. Its next snapshot must not name a part that is gone: the
    first write of a day asserts the part again, so a reader in a third process (which never made the part)
    reads the page whole."""
    write(writer, 0)
    apart(_purge, url, at(30))
    assert (table(url, "SELECT count(*) FROM explanation"), table(url, "SELECT count(*) FROM explanation_part")) == ([(0,)], [(0,)])
    cards = write(writer, 30.1)
    assert apart(_read, url, at(30.2), cards) == [(True, False)] * len(cards)
    assert [str(day) for (day,) in table(url, "SELECT last_used FROM explanation_part")] == ["2026-02-19"]
    more = write(writer, 30.3)  # the same day: named only, and still there
    apart(_purge, url, at(30.4))
    assert apart(_read, url, at(30.4), cards + more) == [(True, False)] * len(cards + more)


ROUNDS = 8  # day changes raced
REQUESTS = 3  # hook calls per day, at once (each page takes ~0.1-1 s to render)


def test_purges_racing_writes_leave_no_page_without_its_part(url: str) -> None:
    """Two instances and a purging process share one database and one (moving) clock. Each round moves the clock
    10 days on, past the retention of every snapshot so far, and fires hook calls at instance A at once while the
    purger deletes the expired snapshots and, when no snapshot names it, the part. Every card's page, opened over
    HTTP at instance B (which answers no hook, so holds no part of its own), must open."""
    clock = SPAWN.Value("d", at(0))
    stop = SPAWN.Event()
    ports = SPAWN.Queue()
    purged, parts_deleted = SPAWN.Value("i", 0), SPAWN.Value("i", 0)
    servers = [SPAWN.Process(target=_serve, args=(url, clock, ports, stop), daemon=True) for _ in range(2)]
    purger = SPAWN.Process(target=_purge_while, args=(url, clock, stop, purged, parts_deleted), daemon=True)
    body = orjson.loads(orjson.dumps(_request()))
    opened = 0
    try:
        servers[0].start()
        hooks = ports.get(timeout=120)
        servers[1].start()
        pages = ports.get(timeout=120)
        purger.start()
        with httpx.Client(timeout=30) as client, ThreadPoolExecutor(REQUESTS) as pool:
            for round_ in range(ROUNDS):
                clock.value = at(10 * round_ + 0.01 * round_)  # another time of day each round, too
                before = purged.value
                answers = list(pool.map(lambda _: client.post(f"{hooks}/cds-services/igsub-patient-view", json=body),
                                        range(REQUESTS)))
                assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
                cards = [card for a in answers for card in a.json()["cards"]]
                _wait_written(url, [card["uuid"] for card in cards])
                for card in cards:
                    [link] = card["links"]
                    page = client.get(link["url"].replace(hooks, pages))
                    assert page.status_code == 200, (round_, page.text)
                    opened += 1
                missing = table(url, "SELECT count(*) FROM explanation WHERE NOT EXISTS (SELECT 1 FROM explanation_part "
                                     "WHERE explanation.payload LIKE '%\"part\":\"' || explanation_part.digest || '\"%')")
                assert missing == [(0,)], round_
                deadline = time.monotonic() + 30
                while purged.value < before + 2 and time.monotonic() < deadline:  # the purger ran in this round
                    time.sleep(0.01)
                assert purged.value >= before + 2
    finally:
        stop.set()
        for process in (*servers, purger):
            if process.pid is not None:
                process.join(timeout=30)
                if process.is_alive():
                    process.terminate()
                    process.join()
    assert opened >= ROUNDS * REQUESTS
    assert parts_deleted.value >= 1  # the race was run: the purger deleted the part under instance A at least once
    [(parts,)] = table(url, "SELECT count(*) FROM explanation_part")
    assert parts == 1


def _request() -> dict:
    from cds_service.tools.replay import load_bundle, request_from_bundle

    return request_from_bundle(load_bundle(BUNDLE))


def _wait_written(url: str, card_uuids: list[str], within: float = 20.0) -> None:
    """Until instance A's writer has committed the cards' snapshots (it writes within a flush interval)."""
    quoted = ", ".join(f"'{u}'" for u in card_uuids)
    deadline = time.monotonic() + within
    while table(url, f"SELECT count(*) FROM explanation WHERE card_uuid IN ({quoted})") != [(len(card_uuids),)]:
        assert time.monotonic() < deadline, "the snapshots were not written"
        time.sleep(0.02)


def _migrate_to(url: str, revision: str) -> None:
    from alembic import command
    from alembic.config import Config

    from cds_service.records.store import MIGRATIONS_DIR

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execution_options(sqlite_immediate=True)  # the write lock up front, as `migrate` takes it
            with connection.begin():
                config.attributes["connection"] = connection
                (command.downgrade if revision != "head" else command.upgrade)(config, revision)
    finally:
        engine.dispose()


def test_migration_0005_down_and_up_keeps_every_part_and_snapshot(url: str, writer: ProcessPoolExecutor) -> None:
    """Down to 0004 (the column goes, the rows stay; an older release inserts a part as it did) and up again: every
    part gets the day of the upgrade, so it is kept at least the retention past it, and the pages still read."""
    cards = write(writer, 0)
    writer.submit(_writer_stop).result(timeout=60)  # its writer thread (and its purge) gone before the schema changes
    _migrate_to(url, "0004")
    engine = make_engine(url)
    try:
        assert "last_used" not in {c["name"] for c in sa.inspect(engine).get_columns("explanation_part")}
    finally:
        engine.dispose()
    execute(url, "INSERT INTO explanation_part (digest, body) VALUES ('0000', '{}')")  # as release 0004 writes one
    _migrate_to(url, "head")
    assert table(url, "SELECT count(*) FROM explanation_part") == [(2,)]
    assert table(url, "SELECT count(*) FROM explanation_part WHERE last_used = CURRENT_DATE") == [(2,)]
    execute(url, "INSERT INTO explanation_part (digest, body) VALUES ('0001', '{}')")  # an older process still running
    assert table(url, "SELECT count(*) FROM explanation_part WHERE last_used = CURRENT_DATE") == [(3,)]
    assert apart(_read, url, at(1), cards) == [(True, False)] * len(cards)
