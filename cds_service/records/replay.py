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

The statement is blocking; the verifier runs it in a worker thread, not on the event loop.
"""

from __future__ import annotations

import logging
import math
import threading
from typing import TYPE_CHECKING

import sqlalchemy as sa

from .store import UPSERT

if TYPE_CHECKING:
    from .store import CardStore

log = logging.getLogger("cds_service.records.replay")

PURGE_EVERY = 1000  # checks between two purges of expired rows, per process

# What the queries see; migration 0003 creates the same table.
metadata = sa.MetaData()
jwt_seen = sa.Table(
    "jwt_seen", metadata,
    sa.Column("iss", sa.String(1024), primary_key=True),
    sa.Column("jti", sa.String(256), primary_key=True),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
)


class DatabaseReplayRecord:
    """`(iss, jti)` spent until `expires_at`, in the card store's database (blocking calls)."""

    blocking = True

    def __init__(self, store: "CardStore", *, purge_every: int = PURGE_EVERY) -> None:
        self._store = store
        self._engine = store.writer_engine
        self._purge_every = purge_every
        self._checks = 0
        self._lock = threading.Lock()
        self._opened = False
        dialect = self._engine.dialect.name
        if dialect not in UPSERT:
            raise ValueError(f"the replay record needs INSERT ... ON CONFLICT (SQLite or PostgreSQL), not {dialect}")
        insert = UPSERT[dialect](jwt_seen)
        self._statement = insert.on_conflict_do_update(
            index_elements=["iss", "jti"],
            set_={"expires_at": insert.excluded.expires_at},
            where=jwt_seen.c.expires_at <= sa.bindparam("now"),  # a spent key whose time is up may be used again
        ).returning(jwt_seen.c.jti)  # a row back: inserted or taken over (rowcount is -1 with psycopg here)

    def first_use(self, iss: str, jti: str, expires_at: float, now: float) -> bool:
        """Record the token; True if no live record of `(iss, jti)` existed (the token may pass)."""
        if not self._opened:
            self._store.open()  # migrations (idempotent), for apps used without a lifespan
            self._opened = True
        with self._engine.begin() as connection:
            changed = connection.execute(
                self._statement, {"iss": iss, "jti": jti, "expires_at": math.ceil(expires_at), "now": math.floor(now)}
            ).first() is not None
        with self._lock:
            self._checks += 1
            due = self._checks % self._purge_every == 1
        if due:
            self.purge(now)
        return changed

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
