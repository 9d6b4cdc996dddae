"""`cds-service store-stats`: how big the card store is and what it holds, for an operator.

Per table: rows, and bytes on disk with its indexes (SQLite: the `dbstat` table, where the
SQLite library has it; PostgreSQL: `pg_total_relation_size`, with TOAST); the database's
whole size; the oldest and newest issued card and explanation snapshot, how many snapshots
are past their retention and not yet purged, and the explanation parts with their last use.
Read-only: a SQLite file is opened read-only (and never created), a PostgreSQL session is
read-only. The database is the server's (`DATABASE_URL`, else `$CDS_DATA_DIR/cds.sqlite3`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ..errors import ConfigError
from ..settings import Settings
from .store import UTCDateTime, explanation, explanation_part, issued_card, make_engine

TABLES = ("issued_card", "card_suggestion", "card_feedback", "explanation", "explanation_part", "jwt_seen")


@dataclass
class StoreStats:
    where: str
    revision: str | None
    database_bytes: int | None
    tables: list[tuple[str, int, int | None]] = field(default_factory=list)  # (name, rows, bytes with its indexes)
    cards: tuple[datetime | None, datetime | None] = (None, None)  # oldest, newest issued
    snapshots: tuple[datetime | None, datetime | None] = (None, None)  # oldest, newest created
    expired: int = 0  # snapshots past `expires`, not purged yet
    parts: list[tuple[str, date | None, int]] = field(default_factory=list)  # (digest, last used, snapshots naming it)


def read_only_engine(url: str) -> Engine | None:
    """An engine that cannot write; None when a SQLite file does not exist (nothing stored yet)."""
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() == "sqlite":
        path = Path(parsed.database or "")
        if not parsed.database or parsed.database == ":memory:" or not path.is_file():
            return None
        return sa.create_engine(f"sqlite:///file:{path.resolve()}?mode=ro&uri=true")
    engine = make_engine(parsed)

    @sa.event.listens_for(engine, "connect")
    def _read_only(dbapi_connection: Any, _: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.close()
        dbapi_connection.commit()

    return engine


def collect(engine: Engine, where: str, now: datetime) -> StoreStats:
    with engine.connect() as connection:
        present = set(sa.inspect(connection).get_table_names())
        revision = None
        if "alembic_version" in present:
            revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
        sizes, whole = _sizes(connection, where)
        stats = StoreStats(where, revision, whole)
        for name in TABLES:
            if name in present:
                rows = connection.execute(sa.text(f"SELECT count(*) FROM {name}")).scalar_one()  # names from TABLES
                stats.tables.append((name, rows, sizes.get(name)))
        if "issued_card" in present:
            stats.cards = _span(connection, issued_card.c.issued_at)
        if "explanation" in present:
            stats.snapshots = _span(connection, explanation.c.created)
            stats.expired = connection.execute(sa.select(sa.func.count()).select_from(explanation).where(
                explanation.c.expires <= now)).scalar_one()
        if "explanation_part" in present:
            stats.parts = _parts(connection, "last_used" in {c["name"] for c in sa.inspect(connection).get_columns("explanation_part")})
    return stats


def _span(connection: Connection, column: sa.Column[Any]) -> tuple[datetime | None, datetime | None]:
    oldest, newest = connection.execute(sa.select(sa.func.min(column), sa.func.max(column))).one()
    convert = UTCDateTime().process_result_value
    if isinstance(oldest, str):  # SQLite hands aggregates back as text
        oldest, newest = datetime.fromisoformat(oldest), datetime.fromisoformat(newest)
    return convert(oldest, None), convert(newest, None)


def _parts(connection: Connection, has_last_used: bool) -> list[tuple[str, date | None, int]]:
    columns = [explanation_part.c.digest] + ([explanation_part.c.last_used] if has_last_used else [])
    named = explanation.c.payload.like(sa.literal('%"part":"') + explanation_part.c.digest + sa.literal('"%'))
    count = sa.select(sa.func.count()).select_from(explanation).where(named).scalar_subquery()
    found = []
    for row in connection.execute(sa.select(*columns, count).order_by(explanation_part.c.digest)):
        last_used = row[1] if has_last_used else None
        if isinstance(last_used, str):
            last_used = date.fromisoformat(last_used)
        found.append((row[0], last_used, row[-1]))
    return found


def _sizes(connection: Connection, where: str) -> tuple[dict[str, int], int | None]:
    """Bytes per table with its indexes, and of the whole database (None where the database does not say)."""
    sizes: dict[str, int] = {}
    if connection.dialect.name == "postgresql":
        for name in TABLES:
            size = connection.execute(sa.text("SELECT pg_total_relation_size(to_regclass(:t))"), {"t": name}).scalar()
            if size is not None:
                sizes[name] = int(size)
        return sizes, int(connection.execute(sa.text("SELECT pg_database_size(current_database())")).scalar_one())
    if connection.dialect.name != "sqlite":
        return sizes, None
    try:
        owner = {name: table for name, table in connection.execute(sa.text("SELECT name, tbl_name FROM sqlite_master"))}
        for name, size in connection.execute(sa.text("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")):
            table = owner.get(name, name)
            sizes[table] = sizes.get(table, 0) + int(size)
    except sa.exc.OperationalError:  # a SQLite built without the dbstat table
        sizes = {}
    path = connection.engine.url.database or ""
    path = path.removeprefix("file:").split("?")[0]
    files = [p for p in (path, path + "-wal") if os.path.isfile(p)]
    return sizes, sum(os.path.getsize(p) for p in files) if files else None


def store_stats(settings: Settings, *, as_json: bool = False, now: datetime | None = None) -> str:
    """The statistics of the database the server uses, as text (or JSON)."""
    url = settings.store_url(create_dir=False)
    where = sa.engine.make_url(url).render_as_string(hide_password=True)
    engine = read_only_engine(url)
    if engine is None:
        stats = StoreStats(where, None, None)
    else:
        try:
            stats = collect(engine, where, (now or datetime.now(timezone.utc)).astimezone(timezone.utc))
        except sa.exc.SQLAlchemyError as exc:
            why = " ".join(str(getattr(exc, "orig", None) or exc).split())
            raise ConfigError(f"cannot read the card store {where}: {why}") from None
        finally:
            engine.dispose()
    return render_json(stats) if as_json else render_text(stats)


def _size(value: int | None) -> str:
    if value is None:
        return "-"
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if value >= scale:
            return f"{value / scale:.1f} {unit}"
    return f"{value} B"


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "-"


def render_text(stats: StoreStats) -> str:
    lines = [f"database: {stats.where}"]
    if stats.revision is None and not stats.tables:
        lines.append("no card store here yet (the server creates it at its first start)")
        return "\n".join(lines) + "\n"
    lines.append(f"schema revision: {stats.revision or '-'}; size on disk: {_size(stats.database_bytes)}")
    width = max(len(name) for name, _, _ in stats.tables) if stats.tables else 5
    lines.append(f"{'table':<{width}}  {'rows':>10}  {'bytes':>10}")
    for name, rows, size in stats.tables:
        lines.append(f"{name:<{width}}  {rows:>10}  {_size(size):>10}")
    lines.append(f"issued cards: oldest {_when(stats.cards[0])}, newest {_when(stats.cards[1])}")
    lines.append(f"explanation snapshots: oldest {_when(stats.snapshots[0])}, newest {_when(stats.snapshots[1])}; "
                 f"{stats.expired} past their retention, deleted at the next purge")
    for digest, last_used, named in stats.parts:
        lines.append(f"explanation part {digest[:12]}: last used {last_used or '-'}, named by {named} snapshot(s)")
    return "\n".join(lines) + "\n"


def render_json(stats: StoreStats) -> str:
    return orjson.dumps({
        "database": stats.where, "revision": stats.revision, "bytes": stats.database_bytes,
        "tables": {name: {"rows": rows, "bytes": size} for name, rows, size in stats.tables},
        "issued_cards": {"oldest": stats.cards[0], "newest": stats.cards[1]},
        "snapshots": {"oldest": stats.snapshots[0], "newest": stats.snapshots[1], "expired": stats.expired},
        "parts": [{"digest": d, "last_used": u, "snapshots": n} for d, u, n in stats.parts],
    }, option=orjson.OPT_INDENT_2).decode() + "\n"
