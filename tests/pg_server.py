"""A throwaway PostgreSQL cluster on 127.0.0.1 for tests, from Debian's `postgresql` package.

The package is installed by `scripts/install-system-packages.sh`, never by a test.

`initdb` refuses to run as root, so as root the cluster belongs to `postgres` (or `nobody`)
and its commands run through `runuser`. The cluster lives in a temporary directory with
fsync off (nothing here needs to survive a power cut) and is deleted when the test ends.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT = 30


class PostgresUnavailable(Exception):
    """PostgreSQL cannot be had on this machine; the message says why (tests skip with it)."""


def _bin_dir() -> Path | None:
    found = [Path(d) for d in glob.glob("/usr/lib/postgresql/*/bin")
             if Path(d, "initdb").is_file() and Path(d, "pg_ctl").is_file()]
    return max(found, key=lambda d: int(d.parent.name) if d.parent.name.isdigit() else 0, default=None)


def find_postgres() -> Path:
    """The directory holding initdb and pg_ctl; PostgresUnavailable (saying why) when not installed."""
    found = _bin_dir()
    if found is None:
        raise PostgresUnavailable("initdb/pg_ctl not found under /usr/lib/postgresql/*/bin "
                                  "(Debian package postgresql)")
    return found


def _owner() -> str | None:
    """Who runs the cluster: None (this user) unless we are root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise PostgresUnavailable("running as root, and neither a 'postgres' nor a 'nobody' user exists to own the cluster")


def _run(command: list[str], owner: str | None, timeout: float = START_TIMEOUT) -> None:
    if owner is not None:
        command = ["runuser", "-u", owner, "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-1500:]}{done.stderr[-1500:]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_postgres(database: str = "cds_test") -> Iterator[str]:
    """Yield a SQLAlchemy URL (`postgresql+psycopg://...`) of an empty database on a fresh cluster."""
    import psycopg

    bin_dir = find_postgres()
    owner = _owner()
    tmp = Path(tempfile.mkdtemp(prefix="cds-pg-"))
    data, log = tmp / "data", tmp / "server.log"
    if owner is not None:
        entry = pwd.getpwnam(owner)
        os.chown(tmp, entry.pw_uid, entry.pw_gid)
    started = False
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
              "--no-sync", "--no-instructions"], owner)
        for attempt in range(3):  # a free port can be taken by someone else before the server binds it
            port = _free_port()
            options = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
            try:
                _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w",
                      "-t", str(START_TIMEOUT), "start"], owner, timeout=START_TIMEOUT + 5)
                started = True
                break
            except RuntimeError:
                if attempt == 2:
                    raise RuntimeError(f"PostgreSQL did not start:\n{_tail(log)}") from None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with psycopg.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres",
                                     autocommit=True, connect_timeout=2) as connection:
                    connection.execute(f'CREATE DATABASE "{database}"')
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/{database}"
    finally:
        if started:
            try:
                _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], owner)
            except (RuntimeError, subprocess.TimeoutExpired):
                pass
        shutil.rmtree(tmp, ignore_errors=True)


def _tail(path: Path) -> str:
    try:
        return path.read_text(errors="replace")[-2000:]
    except OSError:
        return "(no server log)"


@contextmanager
def required_postgres(database: str = "cds_test") -> Iterator[str]:
    """`running_postgres`, or, without PostgreSQL, a skip saying why (a failure under CI=true)."""
    from .environment import require_system

    try:
        with running_postgres(database) as url:
            yield url
    except PostgresUnavailable as exc:
        require_system("PostgreSQL", str(exc))
