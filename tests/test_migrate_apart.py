"""The server process loads nothing that serving never uses, where that is ours to decide.

A module once imported stays for the life of the process (its code alone is most of the
memory at start-up). `cds-service serve` migrates the card store's schema in a forked child,
so alembic (about 10 MB) never loads in the server: its own check then finds the schema
current by reading the migration scripts' revision lines. Nor does httpx's command-line
client (rich, pygments: 2 MB), nor fhir_core's XML and YAML support (lxml, PyYAML: 6 MB),
and FHIR validation works without them. Real SQLite files, real processes.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from cds_service.records.store import MIGRATIONS_DIR, CardStore, at_newest_revision, newest_revision


def run(code: str, cwd: Path) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_newest_revision_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert [newest_revision()] == ScriptDirectory.from_config(config).get_heads()


def test_serve_start_migrates_in_a_child_and_loads_no_module_it_never_uses(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cds.sqlite3'}"
    out = run(f"""
        import sys
        from cds_service.tools.cli import leave_out_unused, migrate_apart
        leave_out_unused()  # as `serve` does first
        from cds_service.records.store import CardStore, at_newest_revision
        store = CardStore({url!r})
        assert not at_newest_revision(store.engine)
        migrate_apart(store)
        store.prepare()
        from cds_service.http.app import create_app
        from cds_service.fhir.validation import validity
        create_app()
        valid = validity(dict(resourceType="Observation", id="o", status="final", code=dict(text="IgG")))
        loaded = [m for m in ("alembic", "mako", "rich", "pygments", "lxml", "yaml") if sys.modules.get(m) is not None]
        print(at_newest_revision(store.engine), loaded, valid.fatal)
        store.close()
    """, tmp_path)
    assert out == "True [] None"
    engine = sa.create_engine(url)
    with engine.connect() as connection:  # the schema is complete: the tables the store writes exist
        assert {"issued_card", "card_feedback", "explanation"} <= set(sa.inspect(connection).get_table_names())
    engine.dispose()


def test_an_older_schema_is_still_brought_up_to_date(tmp_path: Path) -> None:
    """Only the newest revision skips alembic: a database one revision behind is upgraded."""
    url = f"sqlite:///{tmp_path / 'cds.sqlite3'}"
    store = CardStore(url)
    store.prepare()
    head = newest_revision()
    with store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0002'"))
        connection.execute(sa.text("DROP TABLE jwt_seen"))
        connection.execute(sa.text("DROP TABLE explanation_part"))
        connection.execute(sa.text("DROP INDEX ix_explanation_created"))
    store.close()
    assert head != "0002"
    again = CardStore(url)
    assert not at_newest_revision(again.engine)
    again.prepare()
    assert at_newest_revision(again.engine)
    with again.engine.connect() as connection:
        assert sa.inspect(connection).has_table("jwt_seen") and sa.inspect(connection).has_table("explanation_part")
        assert "ix_explanation_created" in {index["name"] for index in sa.inspect(connection).get_indexes("explanation")}
    again.close()
