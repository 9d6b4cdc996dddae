"""Start a real FHIR R4 server (sekmet-fhir, from PyPI) on 127.0.0.1 for end-to-end tests.

The server runs in a child process so its global settings, logging setup and SQLite store
cannot leak into the test process, and so stopping it is a plain terminate().
The listening socket is bound here and handed to uvicorn with ``--fd``: the port is known
before the server starts and no other process can grab it in between.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from .servers import stop_process

STARTUP_TIMEOUT = 20.0  # seconds; it normally answers within about a second


def _settings_yaml(base_url: str, data_dir: Path, bearer_token: str | None) -> str:
    """A minimal sekmet config: no simulator side effects, no traffic log, strict validation."""
    auth = (
        {"types": ["bearer"], "tokens": [bearer_token]} if bearer_token else {"types": ["none"]}
    )
    config = {
        "base_url": base_url,
        "host": "127.0.0.1",
        "data_dir": str(data_dir),
        "db_path": str(data_dir / "fhir.db"),
        "server_auth": auth,
        "simulator": {"enabled": False, "auto": []},
        "log_inbound": False,
        "own_private_key_path": str(data_dir / "key.pem"),
    }
    return json.dumps(config)  # JSON is valid YAML


def _wait_until_up(
    base_url: str, process: subprocess.Popen[bytes], headers: dict[str, str], log: Path
) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"FHIR test server exited with code {process.returncode}:\n{log.read_text()[-2000:]}"
            )
        try:
            if httpx.get(f"{base_url}/metadata", headers=headers, timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"FHIR test server did not answer within {STARTUP_TIMEOUT} s")


@contextmanager
def running_fhir_server(
    resources: list[dict], bearer_token: str | None = None
) -> Iterator[str]:
    """Yield the base URL (``http://127.0.0.1:<port>/fhir``) of a fresh server holding ``resources``.

    Every resource is stored with ``PUT {base}/{type}/{id}`` so tests choose the ids.
    With ``bearer_token`` the server refuses requests without ``Authorization: Bearer <token>``.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    port = sock.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/fhir"
    headers = {"Authorization": f"Bearer {bearer_token}"} if bearer_token else {}
    with tempfile.TemporaryDirectory(prefix="fhir-test-server-") as tmp:
        data_dir = Path(tmp)
        config = data_dir / "settings.yaml"
        config.write_text(_settings_yaml(base_url, data_dir, bearer_token))
        env = {**os.environ, "SEKMET_CONFIG": str(config)}
        for name in ("SEKMET_BASE_URL", "SEKMET_DB", "SEKMET_PUBLIC_URL", "SEKMET_PORT"):
            env.pop(name, None)
        log = data_dir / "server.log"  # a file, not a pipe: a full pipe would block the server
        log_file = log.open("wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "sekmet.main:app_factory", "--factory",
             "--fd", str(sock.fileno()), "--log-level", "warning"],
            cwd=tmp, env=env, pass_fds=(sock.fileno(),),
            stdout=log_file, stderr=subprocess.STDOUT,
        )
        sock.close()  # the child holds its own copy
        try:
            _wait_until_up(base_url, process, headers, log)
            with httpx.Client(base_url=base_url, headers=headers, timeout=10.0) as client:
                for resource in resources:
                    path = f"/{resource['resourceType']}/{resource['id']}"
                    response = client.put(
                        path, json=resource, headers={"Content-Type": "application/fhir+json"}
                    )
                    if response.status_code not in (200, 201):
                        raise RuntimeError(
                            f"loading {path} failed: {response.status_code} {response.text[:500]}"
                        )
            yield base_url
        finally:
            stop_process(process)
            log_file.close()
