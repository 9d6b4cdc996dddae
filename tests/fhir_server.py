"""Start a real FHIR R4 server (sekmet-fhir, from PyPI) on 127.0.0.1 for end-to-end tests.

The server runs in a child process so its global settings, logging setup and SQLite store
cannot leak into the test process, and so stopping it is a plain terminate().
The listening socket is bound here and handed to uvicorn with ``--fd``: the port is known
before the server starts and no other process can grab it in between.
"""
from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx

from cds_service.tools.ndjson import patient_of

from .servers import serve_in_thread, stop_process

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
    resources: list[dict], bearer_token: str | None = None, in_one_transaction: bool = False
) -> Iterator[str]:
    """Yield the base URL (``http://127.0.0.1:<port>/fhir``) of a fresh server holding ``resources``.

    Every resource is stored with ``PUT {base}/{type}/{id}`` so tests choose the ids.
    With ``bearer_token`` the server refuses requests without ``Authorization: Bearer <token>``.
    With ``in_one_transaction`` they are stored by one transaction Bundle of those PUTs instead.
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
                if in_one_transaction and resources:  # one commit, not one per resource: many charts load in seconds
                    entries = [{"resource": r, "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"}}
                               for r in resources]
                    response = client.post("", json={"resourceType": "Bundle", "type": "transaction", "entry": entries},
                                           headers={"Content-Type": "application/fhir+json"}, timeout=120.0)
                    if response.status_code != 200:
                        raise RuntimeError(f"loading the transaction failed: {response.status_code} {response.text[:500]}")
                    resources = []
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


# -- a FHIR server that answers searches the ways real servers do ---------------------------------------------------

HANG_SECONDS = 1.7  # a search that "never answers": past a 1.5 s fetch deadline, and little wait at shutdown


@dataclass
class Shape:
    """How `ShapedFhirServer` answers a search (FHIR R4 §Search allows each; real servers differ).

    page_size: entries per page, `next` links to the rest (absolute, or relative with `relative_next`);
    total: give `Bundle.total`; full_url: "absolute", "relative" (`Type/id`) or None (no fullUrl);
    include_patient: add the Patient as a `search.mode` include entry; outcome: add an informational
    OperationOutcome as a `search.mode` outcome entry; meta: give each resource `meta.versionId`/`lastUpdated`;
    failing: resource type -> HTTP status that search answers; hanging: resource types whose search answers only
    after `HANG_SECONDS` (past the fetch deadline of the tests that use it).
    """

    page_size: int = 1000
    relative_next: bool = False
    total: bool = True
    full_url: str | None = "absolute"
    include_patient: bool = False
    outcome: bool = False
    meta: bool = False
    failing: dict[str, int] = field(default_factory=dict)
    hanging: frozenset[str] = frozenset()


class ShapedFhirServer:
    """An ASGI FHIR R4 server over resources held in memory: reads, and searches by `patient` (every other
    parameter is passed over, as servers do with parameters they do not support: the CDS service filters
    itself), each answered as its `shape` says. `requests` lists what was asked for (path and query), in order."""

    def __init__(self, resources: list[dict], shape: Shape | None = None) -> None:
        self.resources = resources
        self.shape = shape or Shape()
        self.requests: list[str] = []
        self.base = ""  # set by `running_shaped_fhir_server`

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        path = scope["path"].removeprefix("/fhir").strip("/")
        query = parse_qs(scope["query_string"].decode())
        self.requests.append(path + (f"?{scope['query_string'].decode()}" if scope["query_string"] else ""))
        kind = path.split("/")[0]
        if kind in self.shape.hanging:
            await asyncio.sleep(HANG_SECONDS)
        status, body = self.shape.failing.get(kind), None
        if status is None:
            status, body = self._answer(path, query)
        payload = json.dumps(body if body is not None else {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": "exception", "diagnostics": "internal error"}]}).encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/fhir+json")]})
        await send({"type": "http.response.body", "body": payload})

    def _answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict | None]:
        parts = path.split("/")
        if len(parts) == 2:
            found = next((r for r in self.resources if r["resourceType"] == parts[0] and r["id"] == parts[1]), None)
            return (200, self._resource(found)) if found else (404, None)
        patient = (query.get("patient") or [""])[0].removeprefix("Patient/")
        matches = [r for r in self.resources if r["resourceType"] == parts[0] and patient_of(r) == patient]
        if "_include" in query:  # the Medications the matches name
            named = {str(v.get("reference")) for r in matches for k, v in r.items()
                     if k == "medicationReference" and isinstance(v, dict)}
            matches += [r for r in self.resources if r["resourceType"] == "Medication"
                        and f"Medication/{r['id']}" in named]
        offset = int((query.get("_offset") or ["0"])[0])
        page = matches[offset:offset + self.shape.page_size]
        entries = [self._entry(r, "include" if r["resourceType"] == "Medication" else "match") for r in page]
        if self.shape.include_patient and offset == 0:
            entries += [self._entry(r, "include") for r in self.resources
                        if r["resourceType"] == "Patient" and r["id"] == patient]
        if self.shape.outcome and offset == 0:
            entries.append({"resource": {"resourceType": "OperationOutcome", "issue": [
                {"severity": "information", "code": "informational", "diagnostics": "searched"}]},
                "search": {"mode": "outcome"}})
        bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "entry": entries}
        if self.shape.total:
            bundle["total"] = len(matches)
        if offset + self.shape.page_size < len(matches):
            rest = {**{k: v[0] for k, v in query.items()}, "_offset": str(offset + self.shape.page_size)}
            next_url = f"{parts[0]}?{urlencode(rest)}"
            bundle["link"] = [{"relation": "next",
                               "url": next_url if self.shape.relative_next else f"{self.base}/{next_url}"}]
        return 200, bundle

    def _resource(self, resource: dict) -> dict:
        if not self.shape.meta:
            return resource
        return {**resource, "meta": {"versionId": "3", "lastUpdated": "2026-01-02T03:04:05.678+01:00"}}

    def _entry(self, resource: dict, mode: str) -> dict:
        entry: dict[str, Any] = {"resource": self._resource(resource), "search": {"mode": mode}}
        where = f"{resource['resourceType']}/{resource['id']}"
        if self.shape.full_url == "absolute":
            entry["fullUrl"] = f"{self.base}/{where}"
        elif self.shape.full_url == "relative":
            entry["fullUrl"] = where
        return entry


@contextmanager
def running_shaped_fhir_server(resources: list[dict], shape: Shape | None = None) -> Iterator[ShapedFhirServer]:
    """A `ShapedFhirServer` under uvicorn on 127.0.0.1; its `base` is `http://127.0.0.1:<port>/fhir`."""
    server = ShapedFhirServer(resources, shape)
    with serve_in_thread(server, timeout_graceful_shutdown=1) as base:
        server.base = f"{base}/fhir"
        yield server
