"""Spent JWT ids in the card store's database: one replay record for the whole deployment.

A CDS client's token is single-use (its `jti`). Kept in memory, each worker process and
each instance would accept the same token once, and a restart would forget them all; here
the record lives in the database every worker and instance already shares (SQLite for one
host, PostgreSQL for several), so a token is accepted exactly once anywhere, until its
`exp` (plus the leeway) has passed.

The check is one statement: insert `(iss, jti)`, or, when that key is already there but
its time is up, take it over, returning the row if either happened. Whoever's statement
changes the row first wins; a second insert of a live key changes nothing, returns
nothing and is refused. No read-then-write, so no race
between workers. Rows past their time are purged every `PURGE_EVERY` checks of a process
(and at its first), with one `DELETE` on an indexed column.

SQLite: group commit. SQLite has one write lock per file. With a transaction per token,
every request's worker thread queued for it behind the others' commits (each an fsync)
and the card store's batches, and SQLite's busy handler let waiters sleep in growing steps
(up to 100 ms), so under load p99 reached 0.5-1 s. Instead one thread per process holds
one connection and commits the token ids that arrived meanwhile together: one
transaction, one statement per id (so a duplicate, even within the group, is refused as
before), one fsync. A request is answered only after the transaction holding its id has
committed; if it fails, every request of the group is refused (fail closed). Nothing waits
to fill a group: a lone request is committed at once. PostgreSQL locks rows, not the
database, so there each check stays its own transaction from the pool.

`first_use` blocks; the verifier awaits `first_use_async`, which on SQLite hands the id to the
committer and awaits its answer without occupying a worker thread (PostgreSQL, and a
record whose migrations have not run yet: `first_use` in a worker thread). Nothing blocks
the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from anyio import to_thread

from .store import UPSERT

if TYPE_CHECKING:
    from .store import CardStore

log = logging.getLogger("cds_service.records.replay")

PURGE_EVERY = 1000  # checks between two purges of expired rows, per process
MAX_GROUP = 256  # token ids committed in one SQLite transaction at most

# What the queries see; migration 0003 creates the same table.
metadata = sa.MetaData()
jwt_seen = sa.Table(
    "jwt_seen", metadata,
    sa.Column("iss", sa.String(1024), primary_key=True),
    sa.Column("jti", sa.String(256), primary_key=True),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
)


class _Check:
    """One token id waiting for the group commit that decides it: a blocked thread, or a coroutine."""

    __slots__ = ("params", "first", "error", "_done", "_future")

    def __init__(self, params: tuple[Any, ...], future: "asyncio.Future[bool] | None" = None) -> None:
        self.params = params
        self.first = False
        self.error: BaseException | None = None
        self._future = future
        self._done = threading.Event() if future is None else None

    def settle(self) -> None:
        """Called by the committer once the group's transaction has committed (or failed)."""
        if self._done is not None:
            self._done.set()
            return
        assert self._future is not None
        try:
            self._future.get_loop().call_soon_threadsafe(_settle, self._future, self.first, self.error)
        except RuntimeError:  # the event loop has closed: nobody is waiting any more
            pass

    def wait(self) -> bool:
        assert self._done is not None
        self._done.wait()
        if self.error is not None:
            raise self.error
        return self.first


def _settle(future: "asyncio.Future[bool]", first: bool, error: BaseException | None) -> None:
    if future.cancelled():  # the request went away; its id is recorded all the same
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(first)


class DatabaseReplayRecord:
    """`(iss, jti)` spent until `expires_at`, in the card store's database (blocking calls)."""

    blocking = True

    def __init__(self, store: "CardStore", *, purge_every: int = PURGE_EVERY, max_group: int = MAX_GROUP) -> None:
        self._store = store
        self._engine = store.writer_engine
        self._purge_every = purge_every
        self._max_group = max_group
        self._checks = 0
        self._lock = threading.Lock()
        self._opened = False
        dialect = self._engine.dialect
        if dialect.name not in UPSERT:
            raise ValueError(f"the replay record needs INSERT ... ON CONFLICT (SQLite or PostgreSQL), not {dialect.name}")
        insert = UPSERT[dialect.name](jwt_seen)
        self._statement = insert.on_conflict_do_update(
            index_elements=["iss", "jti"],
            set_={"expires_at": insert.excluded.expires_at},
            where=jwt_seen.c.expires_at <= sa.bindparam("now"),  # a spent key whose time is up may be used again
        ).returning(jwt_seen.c.jti)  # a row back: inserted or taken over (rowcount is -1 with psycopg here)
        self._grouped = dialect.name == "sqlite"
        if self._grouped:  # the driver's own SQL and parameter order, run on the committer's connection
            compiled = self._statement.compile(dialect=dialect, column_keys=["iss", "jti", "expires_at"])
            self._sql = compiled.string
            self._order = tuple(compiled.positiontup or ())
            self._now_at = self._order.index("now")
        self._queue: list[_Check] = []
        self._wake = threading.Condition(threading.Lock())
        self._thread: threading.Thread | None = None
        self._closed = False
        self.commits = 0  # group transactions committed (SQLite), for tests and diagnostics
        store.on_close(self.close)

    def first_use(self, iss: str, jti: str, expires_at: float, now: float) -> bool:
        """Record the token; True if no live record of `(iss, jti)` existed (the token may pass)."""
        if not self._opened:
            self._store.open()  # migrations (idempotent), for apps used without a lifespan
            self._opened = True
        if self._grouped:
            check = _Check(self._params(iss, jti, expires_at, now))
            self._enqueue(check)
            return check.wait()
        values = {"iss": iss, "jti": jti, "expires_at": math.ceil(expires_at), "now": math.floor(now)}
        with self._engine.begin() as connection:
            changed = connection.execute(self._statement, values).first() is not None
        if self._count(1):
            self.purge(now)
        return changed

    def _count(self, checks: int) -> bool:
        """Count `checks` more checks; True if a purge is due (at a process's first check, then every `purge_every`)."""
        every = self._purge_every
        with self._lock:
            before, self._checks = self._checks, self._checks + checks
        return (self._checks + every - 1) // every > (before + every - 1) // every

    # -- SQLite: group commit ----------------------------------------------------------------

    async def first_use_async(self, iss: str, jti: str, expires_at: float, now: float) -> bool:
        """`first_use` for the event loop: on SQLite it awaits the group commit without holding a worker thread."""
        if not self._grouped or not self._opened:  # PostgreSQL, or migrations still to run: blocking, in a thread
            return await to_thread.run_sync(self.first_use, iss, jti, expires_at, now)
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._enqueue(_Check(self._params(iss, jti, expires_at, now), future))
        return await future

    def _params(self, iss: str, jti: str, expires_at: float, now: float) -> tuple[Any, ...]:
        values = {"iss": iss, "jti": jti, "expires_at": math.ceil(expires_at), "now": math.floor(now)}
        return tuple(values[name] for name in self._order)

    def _enqueue(self, check: _Check) -> None:
        with self._wake:
            if self._closed:
                raise RuntimeError("the replay record is closed")
            self._queue.append(check)
            if self._thread is None:
                self._thread = threading.Thread(target=self._commit_groups, name="replay-record", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _commit_groups(self) -> None:
        """The committer: take whatever is queued (up to `max_group`), decide it in one transaction, answer it."""
        connection: Any = None
        while True:
            with self._wake:
                while not self._queue and not self._closed:
                    self._wake.wait()
                if not self._queue:  # closed and nothing left
                    break
                group, self._queue[:self._max_group] = self._queue[:self._max_group], []
            try:
                if connection is None:
                    pooled = self._engine.raw_connection()  # with the engine's set-up (WAL, synchronous=FULL)
                    pooled.detach()  # this thread's own for good: closed below, never handed back to the pool
                    connection = pooled.dbapi_connection
                self._decide(connection, group)
                self.commits += 1
            except Exception as exc:  # the database failed: every request of the group is refused
                log.error("recording %d token id(s) failed (%s)", len(group), type(exc).__name__)
                for check in group:
                    check.error = exc
                _discard(connection)
                connection = None
            if self._count(len(group)):
                self.purge(max(check.params[self._now_at] for check in group))
            for check in group:
                check.settle()
        _discard(connection)

    def _decide(self, connection: Any, group: list[_Check]) -> None:
        cursor = connection.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
            try:
                for check in group:  # in arrival order: of two equal ids in one group the first wins
                    check.first = cursor.execute(self._sql, check.params).fetchone() is not None
                cursor.execute("COMMIT")
            except BaseException:
                for check in group:
                    check.first = False
                if connection.in_transaction:
                    cursor.execute("ROLLBACK")
                raise
        finally:
            cursor.close()

    def waiting(self) -> int:
        """Token ids queued for the next group commit."""
        return len(self._queue)

    def close(self) -> None:
        """Decide what is queued, stop the committer and close its connection (the card store calls it)."""
        with self._wake:
            self._closed = True
            thread = self._thread
            self._wake.notify()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=10)

    # -- both ------------------------------------------------------------------------------------

    def purge(self, now: float) -> int:
        """Delete the records whose time is up; returns how many went."""
        try:
            with self._engine.begin() as connection:
                return connection.execute(jwt_seen.delete().where(jwt_seen.c.expires_at < math.floor(now))).rowcount
        except sa.exc.DBAPIError as exc:  # a purge that fails is retried later; the check itself succeeded
            log.warning("purging expired token ids failed (%s)", type(exc).__name__)
            return 0

    def count(self) -> int:
        with self._engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(jwt_seen)).scalar_one()


def _discard(connection: Any) -> None:
    """Close a committer connection that failed or is done with (a new one is opened when needed)."""
    if connection is not None:
        try:
            connection.close()
        except Exception:  # already broken: nothing more to release
            pass
