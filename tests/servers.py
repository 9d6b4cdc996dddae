"""Real HTTP servers for tests: uvicorn on 127.0.0.1, started and stopped by the test."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, time as dtime
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SettableClock:
    """A clock the test moves: "now" is the end of the chosen day in Copenhagen."""

    def __init__(self, day: date = date(2026, 1, 1)) -> None:
        self.day = day

    def set(self, day: date) -> None:
        self.day = day

    def __call__(self) -> datetime:
        return datetime.combine(self.day, dtime(23, 59, 59), ZoneInfo("Europe/Copenhagen"))


@contextlib.contextmanager
def serve_in_thread(app, **config) -> Iterator[str]:
    """Run an ASGI app under a real uvicorn server on 127.0.0.1; yields its base URL.

    The socket is bound here and handed to uvicorn, so no other process can take the port.
    """
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    options = {"log_level": "warning", "lifespan": "on", "access_log": False, **config}
    server = uvicorn.Server(uvicorn.Config(app, **options))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


@contextlib.contextmanager
def serve_subprocess(env: dict[str, str] | None = None, args: list[str] | None = None) -> Iterator[str]:
    """Run `cds-service serve` as its own process, exactly as `make run` does.

    Its log goes to a temporary file, not a pipe: nobody reads a pipe while the test runs,
    and a full one (a few hundred request lines) would block the server mid-request.
    """
    port = free_port()
    full_env = {**os.environ, **(env or {})}
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cds_service.tools.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *(args or [])],
        cwd=ROOT, env=full_env, stdout=subprocess.DEVNULL, stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"server exited: {log.read().decode(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:  # not behind CDS_AUTH
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start in 20 s")
            time.sleep(0.05)
        yield base
    finally:
        stop_process(proc)
        log.close()


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM, then SIGKILL after 10 s; always reaped."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
