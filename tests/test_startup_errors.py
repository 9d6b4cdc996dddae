"""`cds-service serve` refuses to start, in one line and with exit code 78, when its configuration
or its database cannot be used: nothing listens, no traceback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cds_service.errors import EXIT_CONFIG, ConfigError
from cds_service.records.store import CardStore, make_engine

from .servers import free_port


def serve(tmp_path: Path, env: dict[str, str], extra_path: Path | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, **env}
    if extra_path is not None:
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(extra_path), environment.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "-m", "cds_service", "serve", "--port", str(free_port())], cwd=tmp_path,
                          env=environment, capture_output=True, text=True, timeout=60)


def refused(done: subprocess.CompletedProcess) -> str:
    """The one line a refused start writes; the process exited with EXIT_CONFIG and printed nothing else."""
    assert done.returncode == EXIT_CONFIG, done.stderr
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("cds-service serve: configuration error: ")
    assert "Traceback" not in done.stderr
    return line


def test_an_unreachable_database(tmp_path: Path) -> None:
    line = refused(serve(tmp_path, {"DATABASE_URL": "postgresql://cds:secret@127.0.0.1:1/x"}))  # nothing listens on port 1
    assert "cannot use the card store database postgresql+psycopg://cds:***@127.0.0.1:1/x" in line
    assert "secret" not in line and ("refused" in line or "failed" in line)


def test_a_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")  # even root cannot make a directory below a file
    line = refused(serve(tmp_path, {"CDS_DATA_DIR": str(tmp_path / "a-file" / "data")}))
    assert "CDS_DATA_DIR=" in line and "cannot create the directory" in line


def test_a_data_dir_where_the_database_cannot_be_written(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "cds.sqlite3").mkdir(parents=True)  # the database file's name is taken by a directory
    line = refused(serve(tmp_path, {"CDS_DATA_DIR": str(data)}))
    assert "cannot use the card store database sqlite:///" in line and "unable to open database file" in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into a read-only directory anyway")
def test_a_read_only_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir(mode=0o500)
    try:
        line = refused(serve(tmp_path, {"CDS_DATA_DIR": str(data)}))
    finally:
        data.chmod(0o700)
    assert "cannot use the card store database" in line


def test_a_bad_setting(tmp_path: Path) -> None:
    line = refused(serve(tmp_path, {"CDS_TIMEZONE": "Mars/Olympus"}))
    assert "CDS_TIMEZONE='Mars/Olympus' is not a known time zone" in line
    assert not (tmp_path / "data").exists()


def test_a_database_url_that_is_not_one(tmp_path: Path) -> None:
    assert "DATABASE_URL is not a database URL" in refused(serve(tmp_path, {"DATABASE_URL": "localhost:5432"}))


def test_postgresql_without_its_driver(tmp_path: Path) -> None:
    """A SQLite-only install (no [postgres] extra) told to use PostgreSQL says what to install."""
    hide = tmp_path / "no-psycopg"
    hide.mkdir()
    (hide / "psycopg.py").write_text("raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n")
    line = refused(serve(tmp_path, {"DATABASE_URL": "postgresql://127.0.0.1:1/x"}, extra_path=hide))
    assert "driver for 'postgresql+psycopg' is not installed" in line and "pip install '.[postgres]' in the igsub-cds checkout, or make install" in line
    assert "igsub-cds[" not in line  # not a package name on PyPI, where the name is not ours


def test_the_store_check_names_the_database_in_process(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="SQLAlchemy does not know"):
        make_engine("nosuchdb://x/y")
    blocked = tmp_path / "cds.sqlite3"
    blocked.mkdir()
    store = CardStore(f"sqlite:///{blocked}")
    with pytest.raises(ConfigError, match="unable to open database file"):
        store.prepare()
    store.close()


def test_feedback_report_on_an_unreachable_database_says_so_in_one_line(tmp_path: Path) -> None:
    for url, why in (("postgresql://127.0.0.1:1/x", "cannot read the card store: connection failed"),
                     ("not a url", "DATABASE_URL is not a database URL")):
        done = subprocess.run([sys.executable, "-m", "cds_service", "feedback-report"], cwd=tmp_path,
                              env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and done.stdout == ""
        [line] = done.stderr.splitlines()
        assert line.startswith("cds-service feedback-report: ") and why in line


def test_a_port_in_use_is_uvicorns_exit_code_3_in_json(tmp_path: Path) -> None:
    """Everything checked, then the address cannot be bound: uvicorn's own error, as a JSON line."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        done = subprocess.run([sys.executable, "-m", "cds_service", "serve", "--port", str(taken.getsockname()[1])],
                              cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 3 and done.stdout == ""
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    [error] = [line for line in lines if line["level"] == "error"]
    assert error["logger"] == "uvicorn.error" and "address already in use" in error["message"]
