"""The card store: which cards were issued, and the feedback given on them.

Recording an issued card must not slow down the hook (patient-view answers in about a
millisecond), so `record_cards` only appends to a bounded in-memory queue and a writer
thread commits what is queued every `FLUSH_INTERVAL` seconds or `BATCH_SIZE` cards, one
transaction per batch. Feedback is the other way round: it is committed before the
client is told it was received, so an acknowledged feedback item is never lost.

Only what feedback and the report need is kept: card and suggestion uuids, service id,
advice code, `Patient/<id>`, hookInstance and the time of issue; never card text or
patient data beyond the reference. The exception is the explanation snapshot of a card
with a "Why?" link (`snapshot.py`): serialised by the writer thread from the answer it is
handed (by the request itself while the writer is behind, see `SERIALISE_INLINE_AFTER`),
kept for `CDS_EXPLAIN_RETENTION_DAYS`, and deleted by the writer once expired (at most one
DELETE a minute).

Explanation parts. What every snapshot of one rule set shares is one `explanation_part` row
(`snapshot.py`), which each process writes once and then only names. A part is deleted by
the same purge, in the same transaction, when no snapshot names it AND its `last_used` day is
more than the retention plus `PART_GRACE_DAYS` (1) before today. The writer sets `last_used`
(UTC day, moved forward only) with the first snapshot naming the part it writes each day, in
that snapshot's transaction, inserting the row again should it be gone; other snapshots of that
day only name it. Why this is safe without a lock: a process that names a part without writing
it has set its `last_used` to today, by its own clock, in an earlier committed transaction, and
the purge spares a part used less than retention + 1 day ago, so the two would have to disagree
on the date by more than a day. The day's first write and the purge meet on the part's row: on
SQLite one writer at a time (BEGIN IMMEDIATE), so either the purge comes first and the write
inserts the row again, or the snapshot is there first and the row is fresh; on PostgreSQL
(READ COMMITTED) the upsert (`INSERT ... ON CONFLICT DO UPDATE`) waits for a purge that has
deleted the row and then inserts it, and a purge meeting a row the upsert has moved forward
re-reads it and leaves it. "No snapshot names it" alone would not do: a PostgreSQL purge does not
see the snapshot another transaction is committing, and a process keeps naming a part it wrote
days ago. Nor would a purge and insert in one transaction (the inserting process is not the
purging one) or a lock taken by every batch (a cost on every write for a deletion a few times a
year). `last_used` alone would do for snapshots this code writes (all expire within the
retention of their part's `last_used`); the reference check also spares a part that a row an
older release wrote, or a process whose clock is wrong, still names. It costs a scan of the
snapshots, made only while some part is past its `last_used` cutoff (after a rule-set change,
once). Parts are ~9.5 KB, one per rule set and parameter set in use.

Database: `Settings.store_url()`: `DATABASE_URL` (any SQLAlchemy URL) when set, else the
SQLite file `$CDS_DATA_DIR/cds.sqlite3`. The schema is owned by the alembic migrations in
`cds_service/records/migrations`, applied (`upgrade head`) when the store opens. The same
database keeps the spent JWT ids (`replay.py`), so every worker and instance shares them.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Sequence

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import InterfaceError, OperationalError

if TYPE_CHECKING:
    from .snapshot import Snapshot
from ..errors import ConfigError

log = logging.getLogger("cds_service.records.store")

FLUSH_INTERVAL = 0.05  # seconds: the most a just-issued card waits in memory
BATCH_SIZE = 500  # cards per transaction; a full batch is written at once
RETRY_DELAY = 1.0  # seconds between attempts while the database cannot be written
MAX_PENDING = 50_000  # cards held in memory at most (if the database is away); newer ones are dropped
# Snapshots waiting to be written hold their whole answer (the request's chart) in memory:
# beyond this many, cards are queued without one (their page answers 404).
MAX_PENDING_SNAPSHOTS = 1_000
# Past this many snapshots waiting, a card's snapshot is serialised by the request that issued
# it (~0.06 ms) rather than by the writer: under sustained load the writer, sharing the GIL with
# the request loop, fell behind, and snapshots were dropped while the answers held their charts.
SERIALISE_INLINE_AFTER = 8
PURGE_INTERVAL = 60.0  # seconds between deletions of expired snapshots
# An explanation part is deleted this many days after the retention past its last use (and only when no
# snapshot names it): the margin for clocks of processes that disagree, and a write that crosses midnight.
PART_GRACE_DAYS = 1
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK = 0x1695_CD5  # PostgreSQL advisory lock: one instance migrates at a time
CONNECT_TIMEOUT = 10  # seconds (PostgreSQL): an unreachable host stops the start-up instead of hanging it

ACCEPTED, OVERRIDDEN = "accepted", "overridden"
_ALEMBIC_LOCK = threading.Lock()
UPSERT: dict[str, Callable[[sa.Table], sqlite.Insert | postgresql.Insert]] = {
    "sqlite": sqlite.insert, "postgresql": postgresql.insert}  # backends with ON CONFLICT DO NOTHING


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Stored as naive UTC (same bytes on every backend, so the unique key compares alike)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)


# What the queries see; the migrations create the same tables.
metadata = sa.MetaData()
issued_card = sa.Table(
    "issued_card", metadata,
    sa.Column("card_uuid", sa.String(64), primary_key=True),
    sa.Column("service_id", sa.String(128), nullable=False),
    sa.Column("advice_code", sa.String(128), nullable=False),
    sa.Column("patient_ref", sa.String(300), nullable=False),
    sa.Column("hook_instance", sa.String(300), nullable=False),
    sa.Column("issued_at", UTCDateTime(), nullable=False),
)
card_suggestion = sa.Table(
    "card_suggestion", metadata,
    sa.Column("card_uuid", sa.String(64), sa.ForeignKey("issued_card.card_uuid", ondelete="CASCADE"), primary_key=True),
    sa.Column("suggestion_uuid", sa.String(64), primary_key=True),
)
explanation = sa.Table(
    "explanation", metadata,
    sa.Column("card_uuid", sa.String(64), sa.ForeignKey("issued_card.card_uuid", ondelete="CASCADE"), primary_key=True),
    sa.Column("created", UTCDateTime(), nullable=False),
    sa.Column("expires", UTCDateTime(), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
)
# What every explanation snapshot of one rule set shares (the rule set, the library's comments): stored once,
# under the SHA-256 of its bytes, which the snapshot names (`snapshot.py`). No patient data. `last_used`: the
# last UTC day a snapshot naming it was written (see "Explanation parts" above for when a part is deleted).
explanation_part = sa.Table(
    "explanation_part", metadata,
    sa.Column("digest", sa.String(64), primary_key=True),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("last_used", sa.Date, nullable=False, server_default=sa.text("CURRENT_DATE")),
)
card_feedback = sa.Table(
    "card_feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("card_uuid", sa.String(64), sa.ForeignKey("issued_card.card_uuid", ondelete="CASCADE"), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("outcome_at", UTCDateTime(), nullable=False),
    sa.Column("accepted_suggestions", sa.Text, nullable=True),
    sa.Column("reason_system", sa.Text, nullable=True),
    sa.Column("reason_code", sa.Text, nullable=True),
    sa.Column("reason_display", sa.Text, nullable=True),
    sa.Column("received_at", UTCDateTime(), nullable=False),
    sa.UniqueConstraint("card_uuid", "outcome", "outcome_at", name="uq_card_feedback_card_outcome_time"),
)


@dataclass(frozen=True)
class IssuedCard:
    card_uuid: str
    service_id: str
    suggestions: frozenset[str]


@dataclass(frozen=True)
class Feedback:
    """One validated feedback item, as stored."""

    card_uuid: str
    outcome: str
    outcome_at: datetime
    accepted_suggestions: tuple[str, ...] = ()
    reason_system: str | None = None
    reason_code: str | None = None
    reason_display: str | None = None


Clock = Callable[[], datetime]
Serialiser = Callable[[Any, int], dict[str, Any]]  # (answer, index of the card) -> its snapshot payload


class PendingSnapshot:
    """A card's snapshot before it is written: serialised once, in the writer thread."""

    __slots__ = ("answer", "index", "created", "expires", "_row", "part")

    def __init__(self, answer: Any, index: int, created: datetime, expires: datetime) -> None:
        self.answer, self.index, self.created, self.expires = answer, index, created, expires
        self._row: dict[str, Any] | None = None
        self.part: dict[str, Any] | None = None  # the explanation_part row the snapshot names, if it names one

    def row(self, card_uuid: str, serialise: Serialiser) -> dict[str, Any]:
        if self._row is None:
            data = serialise(self.answer, self.index)
            body = orjson.dumps(data).decode()
            digest = data.get("part")
            if isinstance(digest, str):
                from .snapshot import known_part

                part = known_part(digest)
                if part is None:
                    raise LookupError(f"the snapshot names a part this process did not make: {digest}")
                self.part = {"digest": digest, "body": part}
            self._row = {"card_uuid": card_uuid, "created": self.created, "expires": self.expires,
                         "language": _clean(getattr(self.answer, "lang", "en"), 8), "payload": body}
            self.answer = None  # the chart is no longer held once serialised
        return self._row


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def make_engine(url: str | sa.URL) -> Engine:
    """An engine with the settings the store relies on (SQLite: WAL, full fsync, real transactions).

    A URL that is not one, or names a database whose driver is not installed, is a
    ConfigError saying so (PostgreSQL's driver comes with `pip install '.[postgres]'` in the checkout).
    """
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise ConfigError("DATABASE_URL is not a database URL (e.g. postgresql://user@host:5432/cds)") from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")  # the driver of the [postgres] extra
    backend = parsed.get_backend_name()
    try:
        if backend == "postgresql" and "connect_timeout" not in parsed.query:
            return sa.create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": CONNECT_TIMEOUT})
        if backend != "sqlite":
            return sa.create_engine(parsed, pool_pre_ping=True)
        engine = sa.create_engine(parsed, connect_args={"timeout": 30})
    except ImportError as exc:
        # From the checkout: the project is not published on PyPI, where the name could be anyone's.
        extra = " (pip install '.[postgres]' in the igsub-cds checkout, or make install)" if backend == "postgresql" else ""
        raise ConfigError(f"the database driver for {parsed.drivername!r} is not installed: "
                          f"no module {exc.name or exc}{extra}") from None
    except sa.exc.NoSuchModuleError:
        raise ConfigError(f"DATABASE_URL names a database SQLAlchemy does not know: {parsed.drivername!r}") from None

    @sa.event.listens_for(engine, "connect")
    def _sqlite_connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        if parsed.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # a commit is on disk before the client hears of it
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _sqlite_begin(connection: Connection) -> None:
        # A writer takes the write lock up front: waiting on busy_timeout beats failing
        # with SQLITE_BUSY when a read transaction later wants to write.
        immediate = connection.get_execution_options().get("sqlite_immediate")
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def newest_revision() -> str | None:
    """The migrations' head revision, read from the scripts' `revision`/`down_revision` lines
    without importing alembic (about 10 MB that a server whose schema is current never needs);
    None when that reading is not certain (then alembic decides)."""
    revisions: dict[str, str | None] = {}
    for script in (MIGRATIONS_DIR / "versions").glob("[!_]*.py"):  # not __init__.py
        found = dict(re.findall(r'^(revision|down_revision) = (None|"[^"\n]*")$', script.read_text(), re.MULTILINE))
        if set(found) != {"revision", "down_revision"}:
            return None
        revisions[found["revision"].strip('"')] = None if found["down_revision"] == "None" else found["down_revision"].strip('"')
    heads = set(revisions) - set(revisions.values())
    return heads.pop() if len(heads) == 1 else None


def at_newest_revision(engine: Engine) -> bool:
    """Whether the database's schema is already the newest (then `migrate` has nothing to do)."""
    head = newest_revision()
    if head is None:
        return False
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("alembic_version"):
                return False
            return list(connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()) == [head]
    except sa.exc.SQLAlchemyError:
        return False  # `migrate` meets the same problem and names it


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision; safe when several instances start at once."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # alembic's command API works through process-wide state (`alembic.context`): stores of
    # several databases in one process (tests, tools) must not migrate at the same moment.
    with _ALEMBIC_LOCK, engine.connect() as connection:
        connection.execution_options(sqlite_immediate=True)
        with connection.begin():
            if connection.dialect.name == "postgresql":
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")


def _migration_error(exc: Exception) -> bool:
    """An alembic error (alembic is loaded only when a migration ran)."""
    from alembic.util import CommandError

    return isinstance(exc, CommandError)


def has_schema(engine: Engine) -> bool:
    return sa.inspect(engine).has_table("card_feedback")


def _clean(value: Any, limit: int) -> str:
    """A client-supplied string made storable everywhere (PostgreSQL refuses NUL)."""
    return str(value).replace("\x00", "")[:limit]


class CardStore:
    """Issued cards (queued, written in batches) and feedback (written at once)."""

    def __init__(self, url: str, *, clock: Clock = utc_now, flush_interval: float = FLUSH_INTERVAL,
                 batch_size: int = BATCH_SIZE, max_pending: int = MAX_PENDING, explain_days: int = 0,
                 serialise: Serialiser | None = None, purge_interval: float = PURGE_INTERVAL,
                 max_pending_snapshots: int = MAX_PENDING_SNAPSHOTS) -> None:
        """`explain_days` > 0 with a `serialise` function: cards recorded with their answer get a snapshot."""
        self.engine = make_engine(url)
        self._writer_engine = self.engine.execution_options(sqlite_immediate=True)
        self._clock = clock
        self._flush_interval = flush_interval
        self._batch_size = batch_size
        self._max_pending = max_pending
        self._pending: deque[tuple[dict[str, Any], list[dict[str, Any]], PendingSnapshot | None]] = deque()
        self._dropped = 0
        self.explain_days = explain_days
        self._serialise = serialise
        self._purge_interval = purge_interval
        self._last_purge = float("-inf")
        self._max_pending_snapshots = max_pending_snapshots
        # Each counter has one writer (the request loop, the flushing thread): no lock needed.
        self._snapshots_queued = 0
        self._snapshots_taken = 0
        self._snapshots_dropped = 0
        # The explanation parts this store has written (or found written), with the UTC day it last did so.
        self._parts: dict[str, date] = {}
        self.parts_deleted = 0  # explanation parts this store's purges deleted
        self._write_lock = threading.Lock()  # one batch at a time, whoever flushes
        self._state_lock = threading.Lock()
        self._wake = threading.Event()  # something was queued
        self._full = threading.Event()  # a batch is full, or we are closing: write now
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._migrated = False
        self._closed = False
        self._on_close: list[Callable[[], None]] = []

    def __repr__(self) -> str:
        return f"CardStore({self.engine.url.render_as_string(hide_password=True)!r})"

    @property
    def writer_engine(self) -> Engine:
        """The engine for short write transactions (SQLite: BEGIN IMMEDIATE, so writers queue instead of failing)."""
        return self._writer_engine

    # -- life cycle ---------------------------------------------------------------------

    def open(self) -> None:
        """Migrate and start the writer; the app's lifespan calls it so a bad database fails the start."""
        self.prepare()
        self._start_writer()

    def prepare(self) -> None:
        """Reach the database and bring its schema up to date; ConfigError (one line) if it cannot be used.

        `cds-service serve` calls it before the server starts, so an unreachable or
        unwritable database stops the start with a message instead of a traceback.
        """
        try:
            self._ensure_migrated()
        except Exception as exc:
            if not isinstance(exc, sa.exc.SQLAlchemyError) and not _migration_error(exc):
                raise
            cause = getattr(exc, "orig", None) or exc
            why = " ".join(str(cause).split()) or type(cause).__name__
            where = self.engine.url.render_as_string(hide_password=True)
            raise ConfigError(f"cannot use the card store database {where}: {why}") from None

    def on_close(self, callback: Callable[[], None]) -> None:
        """Call `callback` when the store closes (the replay record's committer ends with it)."""
        self._on_close.append(callback)

    def close(self) -> None:
        """Stop the writer, write what is queued, release the connections."""
        with self._state_lock:
            if self._closed:
                return
            self._closed = True
            thread, self._thread = self._thread, None
        atexit.unregister(self.close)
        for callback in self._on_close:
            callback()
        self._stopping.set()
        self._full.set()
        self._wake.set()
        if thread is not None:
            thread.join(timeout=10)
        if self._pending:
            self._flush_quietly()
        if self._pending:
            log.error("card store closed with %d unwritten card(s)", len(self._pending))
        self.engine.dispose()

    def _start_writer(self) -> None:
        with self._state_lock:
            if self._thread is None and not self._closed:
                self._thread = threading.Thread(target=self._run, name="card-store-writer", daemon=True)
                self._thread.start()
                atexit.register(self.close)  # replay and scripts end without a lifespan shutdown

    def _ensure_migrated(self) -> None:
        with self._state_lock:
            if not self._migrated:
                if not at_newest_revision(self.engine):
                    migrate(self.engine)
                self._migrated = True

    # -- issued cards -------------------------------------------------------------------

    @property
    def explains(self) -> bool:
        """Whether cards get explanation snapshots (and so links to their page)."""
        return self.explain_days > 0 and self._serialise is not None

    def record_cards(self, service_id: str, patient_id: str, hook_instance: str, cards: Sequence[Mapping[str, Any]],
                     answer: Any = None) -> None:
        """Queue the cards just issued; never touches the database (this is on the hook's path).

        With `answer` (the pipeline's `Answer` whose `cards` these are) and snapshots on, each
        card is queued with its snapshot, serialised later by the writer.
        """
        if not cards or self._closed:
            return
        if self._thread is None:  # an app run without lifespan (replay, ASGI test clients)
            self._start_writer()
        issued_at = self._clock().astimezone(timezone.utc)
        expires = issued_at + timedelta(days=self.explain_days)
        explain = answer is not None and self.explains
        if explain:
            answer = answer.for_snapshot()  # what the snapshot reads, without the request's chart
        for index, card in enumerate(cards):
            uuid = card.get("uuid")
            if not isinstance(uuid, str):
                continue
            if len(self._pending) >= self._max_pending:
                self._dropped += 1
                if self._dropped in (1, 10, 100) or self._dropped % 1000 == 0:
                    log.error("card store queue full: %d issued card(s) not recorded so far", self._dropped)
                continue
            topic = (card.get("source") or {}).get("topic") or {}
            row = {
                "card_uuid": uuid,
                "service_id": service_id,
                "advice_code": _clean(topic.get("code") or "unknown", 128),
                "patient_ref": "Patient/" + _clean(patient_id, 290),
                "hook_instance": _clean(hook_instance, 300),
                "issued_at": issued_at,
            }
            suggestions = [{"card_uuid": uuid, "suggestion_uuid": s["uuid"]}
                           for s in card.get("suggestions") or () if isinstance(s.get("uuid"), str)]
            snapshot = None
            if explain:
                waiting = self._snapshots_queued - self._snapshots_taken
                if waiting < self._max_pending_snapshots:
                    snapshot = PendingSnapshot(answer, index, issued_at, expires)
                    self._snapshots_queued += 1
                    if waiting >= SERIALISE_INLINE_AFTER and self._snapshot_row((row, suggestions, snapshot)) is None:
                        snapshot = None  # could not be serialised (logged); the card is kept without it
                        self._snapshots_queued -= 1
                else:
                    self._snapshots_dropped += 1
                    if self._snapshots_dropped in (1, 10, 100) or self._snapshots_dropped % 1000 == 0:
                        log.error("card store: %d explanation snapshot(s) not kept so far (too many waiting)",
                                  self._snapshots_dropped)
            self._pending.append((row, suggestions, snapshot))
        if len(self._pending) >= self._batch_size:
            self._full.set()
        self._wake.set()

    def pending(self) -> int:
        return len(self._pending)

    def flush(self) -> None:
        """Write every card queued before this call (feedback on a just-issued card must find it).

        Only those: cards queued while it writes wait for the writer's next round. Under load a
        batch takes long enough (the writer shares the interpreter lock with the request loop) for
        more cards to arrive; taking them too made one transaction of every ~8 cards instead of
        one per `FLUSH_INTERVAL`, and each transaction costs ~0.7 ms of CPU beside its rows."""
        self._ensure_migrated()
        with self._write_lock:
            todo = len(self._pending)
            while todo > 0 and self._pending:
                batch = [self._pending.popleft() for _ in range(min(self._batch_size, len(self._pending), todo))]
                todo -= len(batch)
                self._snapshots_taken += sum(1 for item in batch if item[2] is not None)
                try:
                    self._write_cards(batch)
                except (OperationalError, InterfaceError):
                    self._pending.extendleft(reversed(batch))  # the database is away: keep them, retry later
                    self._snapshots_taken -= sum(1 for item in batch if item[2] is not None)
                    raise
                except sa.exc.DBAPIError:
                    log.exception("a batch of issued cards was refused; writing it card by card")
                    self._write_one_by_one(batch)

    def _write_cards(self, batch: list[tuple[dict[str, Any], list[dict[str, Any]], PendingSnapshot | None]]) -> None:
        snapshots = [row for item in batch if (row := self._snapshot_row(item)) is not None]
        today = self._clock().astimezone(timezone.utc).date()
        # A part is (re)asserted with the first snapshot naming it each day: see "Explanation parts" above.
        parts = {part["digest"]: {**part, "last_used": today} for _, _, snapshot in batch
                 if snapshot is not None and (part := snapshot.part) is not None and self._parts.get(part["digest"]) != today}
        with self._writer_engine.begin() as connection:
            _insert_many(connection, issued_card, [row for row, _, _ in batch], ["card_uuid"])
            suggestions = [s for _, found, _ in batch for s in found]
            if suggestions:
                _insert_many(connection, card_suggestion, suggestions, ["card_uuid", "suggestion_uuid"])
            if parts:  # before the snapshots that name them, in the same transaction
                _assert_parts(connection, list(parts.values()))
            if snapshots:
                _insert_many(connection, explanation, snapshots, ["card_uuid"])
        self._parts.update(dict.fromkeys(parts, today))  # stored, used today: not written again by this store today

    def _snapshot_row(self, item: tuple[dict[str, Any], list[dict[str, Any]], PendingSnapshot | None]) -> dict[str, Any] | None:
        """The snapshot's row (serialised here, in the writing thread); a failure loses the snapshot, not the card."""
        row, _, snapshot = item
        if snapshot is None or self._serialise is None:
            return None
        try:
            return snapshot.row(row["card_uuid"], self._serialise)
        except Exception:
            log.exception("the explanation snapshot of card %s could not be serialised", row["card_uuid"])
            return None

    def _write_one_by_one(self, batch: list[tuple[dict[str, Any], list[dict[str, Any]], PendingSnapshot | None]]) -> None:
        for item in batch:
            try:
                self._write_cards([item])
            except sa.exc.DBAPIError:
                if item[2] is not None:  # the card matters more than its explanation: once more without it
                    log.error("the explanation snapshot of card %s could not be stored", item[0]["card_uuid"])
                    self._write_one_by_one([(item[0], item[1], None)])
                else:
                    log.error("issued card %s could not be recorded", item[0]["card_uuid"])

    def _flush_quietly(self) -> bool:
        try:
            self.flush()
            return True
        except Exception:  # the writer must survive a database outage
            log.exception("writing issued cards failed; %d card(s) kept for the next attempt", len(self._pending))
            return False

    def _run(self) -> None:
        """Idle until something is queued, let a batch gather for at most the flush interval, write it.

        Between batches (and at least every purge interval while idle) expired snapshots are deleted.
        """
        while not self._stopping.is_set():
            if self._wake.wait(self._purge_interval):
                self._full.wait(self._flush_interval)
                # Cleared before writing: a card queued from here on sets them again and is not missed.
                self._wake.clear()
                self._full.clear()
                if not self._flush_quietly():
                    self._stopping.wait(RETRY_DELAY)
                    self._wake.set()
                    continue
            self._purge_if_due()
        self._flush_quietly()

    def _purge_if_due(self) -> None:
        if time.monotonic() - self._last_purge < self._purge_interval:
            return
        self._last_purge = time.monotonic()
        try:
            self.purge_expired()
        except Exception:  # the writer must survive a database outage; the next minute tries again
            log.exception("deleting expired explanation snapshots failed")

    # -- explanation snapshots --------------------------------------------------------------

    def _expired(self) -> sa.ColumnElement[bool]:
        """Past its `expires`, or older than the retention now configured (a shortened one applies to all)."""
        now = self._clock().astimezone(timezone.utc)
        return sa.or_(explanation.c.expires <= now, explanation.c.created <= now - timedelta(days=self.explain_days))

    def purge_expired(self) -> int:
        """Delete the snapshots whose retention has passed (one DELETE), then the explanation parts no snapshot
        names that were last used before `part_cutoff` (one transaction); how many snapshots were deleted."""
        self._ensure_migrated()
        with self._writer_engine.begin() as connection:
            deleted = connection.execute(explanation.delete().where(self._expired())).rowcount or 0
            self._purge_parts(connection)
            return deleted

    def part_cutoff(self) -> date:
        """Parts last used before this UTC day may be deleted (when no snapshot names them): the retention
        plus `PART_GRACE_DAYS` before today."""
        return self._clock().astimezone(timezone.utc).date() - timedelta(days=max(self.explain_days, 0) + PART_GRACE_DAYS)

    def _purge_parts(self, connection: Connection) -> int:
        cutoff = self.part_cutoff()
        old = connection.execute(sa.select(explanation_part.c.digest).where(explanation_part.c.last_used < cutoff)).scalars().all()
        if not old:  # the usual case (a few rows, one query): the snapshots are scanned only for a part gone out of use
            return 0
        named = explanation.c.payload.like(sa.literal('%"part":"') + explanation_part.c.digest + sa.literal('"%'))
        gone = connection.execute(explanation_part.delete().where(
            explanation_part.c.digest.in_(old), explanation_part.c.last_used < cutoff,
            ~sa.exists().where(named))).rowcount or 0
        if gone:
            self.parts_deleted += gone
            log.info("deleted %d explanation part(s) no snapshot names, last used before %s", gone, cutoff)
        return gone

    def snapshot(self, card_uuid: str) -> "Snapshot | None":
        """The card's snapshot while it is kept (this instance's queued cards are written first), else None."""
        from .snapshot import Snapshot, known_part, read_payload

        self.flush()  # also waits for a batch being written right now
        query = sa.select(explanation.c.created, explanation.c.expires, explanation.c.language, explanation.c.payload
                          ).where(explanation.c.card_uuid == card_uuid, sa.not_(self._expired()))

        def part_body(digest: str) -> str | None:
            body: str | None = connection.execute(
                sa.select(explanation_part.c.body).where(explanation_part.c.digest == digest)).scalar()
            if body is None and (body := known_part(digest)) is not None:
                # Its row was lost under this running store (the schema taken down and up again, a restored
                # backup): the bytes this process made under that digest are the part; written again with the
                # next batch, for the pages of every process's cards that name it.
                log.warning("explanation part %s is not in the database; written again with the next batch", digest)
                self._parts.pop(digest, None)
            return body

        with self.engine.connect() as connection:
            found = connection.execute(query).first()
            if found is None:
                return None
            data = read_payload(orjson.loads(found.payload), part_body)
        if data is None:
            log.error("the explanation snapshot of card %s names a part the database does not hold", card_uuid)
            return None
        return Snapshot(card_uuid, found.created, found.expires, found.language, data)

    def issued(self, card_uuids: Iterable[str]) -> dict[str, IssuedCard]:
        """The issued cards among `card_uuids` (flush first to see the queued ones)."""
        wanted = sorted(set(card_uuids))
        if not wanted:
            return {}
        found: dict[str, IssuedCard] = {}
        with self.engine.connect() as connection:
            for chunk in _chunks(wanted, 500):
                services = dict(connection.execute(
                    sa.select(issued_card.c.card_uuid, issued_card.c.service_id).where(issued_card.c.card_uuid.in_(chunk))
                ).all())
                suggestions: dict[str, set[str]] = {uuid: set() for uuid in services}
                # Two statements, two snapshots (PostgreSQL reads committed rows per statement): a card that
                # committed between them shows suggestions only. It was not found in this read; skip them.
                for uuid, suggestion in connection.execute(
                    sa.select(card_suggestion.c.card_uuid, card_suggestion.c.suggestion_uuid).where(card_suggestion.c.card_uuid.in_(chunk))
                ):
                    if uuid in suggestions:
                        suggestions[uuid].add(suggestion)
                for uuid, service_id in services.items():
                    found[uuid] = IssuedCard(uuid, service_id, frozenset(suggestions[uuid]))
        return found

    # -- feedback -----------------------------------------------------------------------

    def add_feedback(self, items: Sequence[Feedback]) -> int:
        """Store a batch in one transaction; a repeat of a stored item is skipped. Returns how many were new."""
        self._ensure_migrated()
        received_at = self._clock().astimezone(timezone.utc)
        rows = [{
            "card_uuid": item.card_uuid,
            "outcome": item.outcome,
            "outcome_at": item.outcome_at,
            "accepted_suggestions": " ".join(dict.fromkeys(item.accepted_suggestions)) or None,
            "reason_system": item.reason_system,
            "reason_code": item.reason_code,
            "reason_display": item.reason_display,
            "received_at": received_at,
        } for item in items]
        if not rows:
            return 0
        with self._writer_engine.begin() as connection:
            return _insert_new(connection, card_feedback, rows, ["card_uuid", "outcome", "outcome_at"], count=True)

    # -- health -------------------------------------------------------------------------

    def ping(self) -> bool:
        """Can the database be reached? (a `SELECT 1`, for a readiness probe)."""
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            return True
        except Exception as exc:
            log.warning("card store unreachable: %s", type(exc).__name__)
            return False


_DRIVER_INSERTS: dict[tuple[str, str, str], tuple[str, tuple[str, ...] | None, dict[str, Any]]] = {}


def _insert_many(connection: Connection, table: sa.Table, rows: list[dict[str, Any]], key: list[str]) -> None:
    """`_insert_new` for a batch, handed to the driver's executemany in one call.

    Why: SQLAlchemy's per-row parameter handling cost ~30 us per issued card in the writer
    thread, which shares the GIL with the request loop. The statement is compiled by
    SQLAlchemy once per dialect, and each column's own bind processor (the UTC timestamp)
    is applied, so the rows stored are the same as through `connection.execute`.
    """
    dialect = connection.dialect
    if dialect.name not in UPSERT:
        _insert_new(connection, table, rows, key)
        return
    cache_key = (dialect.name, dialect.driver, table.name)  # the driver decides the parameter style
    if cache_key not in _DRIVER_INSERTS:
        compiled = UPSERT[dialect.name](table).on_conflict_do_nothing(index_elements=key).compile(
            dialect=dialect, column_keys=list(rows[0]))
        processors = {c.key: p for c in table.columns if c.key in rows[0]
                      and (p := c.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        _DRIVER_INSERTS[cache_key] = (compiled.string, order, processors)
    sql, order, processors = _DRIVER_INSERTS[cache_key]
    if processors:
        rows = [{**row, **{k: p(row[k]) for k, p in processors.items()}} for row in rows]
    params = [tuple(row[k] for k in order) for row in rows] if order is not None else rows
    if dialect.name == "sqlite" and order is not None:
        _insert_rows_at_once(connection, sql, params)  # type: ignore[arg-type]
        return
    connection.exec_driver_sql(sql, params)


SQLITE_PARAMETERS = 900  # per statement (SQLite before 3.32 allows 999)
SQLITE_ROWS = 64  # per statement at most, in power-of-two counts (see below)


def _insert_rows_at_once(connection: Connection, sql: str, params: list[tuple[Any, ...]]) -> None:
    """SQLite: many rows in one `INSERT ... VALUES (...), (...)`, stepped once, instead of executemany.

    Why: the driver releases the GIL around every step, and a thread that wants it back
    waits while the request loop holds it (up to the switch interval). executemany steps
    once per row, so under load the writer got a few hundred rows a second: explanation
    snapshots were dropped and the answers waiting for them held their charts in memory
    (RSS 400-700 MB). ON CONFLICT DO NOTHING treats each row as the single-row statement did.
    Row counts are powers of two up to `SQLITE_ROWS`: the driver caches each statement with
    its last parameters bound, so few statement shapes keep few snapshots' text in memory.
    """
    at = sql.index(" VALUES (") + len(" VALUES ")
    end = sql.index(")", at) + 1
    head, one, tail = sql[:at], sql[at:end], sql[end:]
    most = max(1, min(SQLITE_ROWS, SQLITE_PARAMETERS // max(1, len(params[0]))))
    start = 0
    while start < len(params):
        size = 1 << (min(most, len(params) - start).bit_length() - 1)
        chunk = params[start:start + size]
        connection.exec_driver_sql(head + ", ".join([one] * size) + tail, tuple(value for row in chunk for value in row))
        start += size


def _insert_new(connection: Connection, table: sa.Table, rows: list[dict[str, Any]], key: list[str], *, count: bool = False) -> int:
    """Insert the rows whose `key` is not stored yet; the unique key decides, so racing writers agree.

    With `count`, rows go one by one so the result says how many were new; else in one executemany.
    """
    upsert = UPSERT.get(connection.dialect.name)
    if upsert is not None:
        statement = upsert(table).on_conflict_do_nothing(index_elements=key)
        if not count:
            connection.execute(statement, rows)
            return len(rows)
        return sum(connection.execute(statement, row).rowcount for row in rows)
    # Other backends: look first, in the same transaction; a concurrent duplicate then
    # fails the unique constraint, and the client's retry finds it stored.
    inserted = 0
    for row in rows:
        where = sa.and_(*(table.c[k] == row[k] for k in key))
        if connection.execute(sa.select(sa.literal(1)).select_from(table).where(where)).first() is None:
            connection.execute(table.insert(), row)
            inserted += 1
    return inserted


def _assert_parts(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert the explanation parts, or move a stored one's `last_used` forward to the rows' (never back)."""
    upsert = UPSERT.get(connection.dialect.name)
    if upsert is not None:
        statement = upsert(explanation_part)
        connection.execute(statement.on_conflict_do_update(
            index_elements=["digest"], set_={"last_used": statement.excluded.last_used},
            where=explanation_part.c.last_used < statement.excluded.last_used), rows)
        return
    for row in rows:
        updated = connection.execute(explanation_part.update().where(
            explanation_part.c.digest == row["digest"], explanation_part.c.last_used < row["last_used"]
        ).values(last_used=row["last_used"])).rowcount
        if not updated:
            _insert_new(connection, explanation_part, [row], ["digest"])


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]
