"""Alembic environment for the card store.

The service runs migrations itself (`cds_service.records.store.migrate`) and hands over its own
connection, inside a transaction it holds a migration lock on. Run by hand
(`alembic -x url=... upgrade head` with `script_location` pointing here), it connects to
the given URL, or to the one the service would use (`DATABASE_URL` / `CDS_DATA_DIR`).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from cds_service.records.store import make_engine
from cds_service.settings import load_settings

connection = context.config.attributes.get("connection")


def _configure_and_run(conn: Connection) -> None:
    context.configure(connection=conn, render_as_batch=conn.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("the card store migrations run online only (no --sql)")
elif connection is not None:
    _configure_and_run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url") or load_settings().store_url()
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _configure_and_run(conn)
            conn.commit()
    finally:
        engine.dispose()
