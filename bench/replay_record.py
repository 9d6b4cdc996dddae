"""What the database replay record costs per request, in process, with CDS_AUTH on.

Every call with a client JWT spends its `jti`: in memory (`ReplayCache`, an app without a
card store) or in the card store's database (`DatabaseReplayRecord`: one INSERT ... ON
CONFLICT in a worker thread, one transaction). This sends the same discovery calls
(`GET /cds-services`, the cheapest authenticated endpoint, so the check stands out)
through the real application (httpx ASGITransport, no sockets) with each record, and
prints per request: CPU of this process (event loop and worker threads), CPU of the
PostgreSQL server processes, and wall time. The difference to "memory" is the check.

    python bench/replay_record.py            # 2,000 calls per record, RS384 tokens
    python bench/replay_record.py --n 5000 --alg es384
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench import tokens  # noqa: E402
from cds_service.http.app import create_app  # noqa: E402
from cds_service.settings import load_settings  # noqa: E402

AUD = "http://bench/cds-services"
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


def _cpu_of(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (those that ended are skipped)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICK


def _postgres_pids(port: int) -> list[int]:
    """The cluster listening on `port`: its postmaster and every child (backends, writers)."""
    postmaster = None
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if command and command[0].endswith(b"postgres") and str(port).encode() in command:
                postmaster = int(entry.name)
    if postmaster is None:
        return []
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == postmaster:
                children.append(int(entry.name))
    return [postmaster, *children]


def sign(signer: tokens.Signer, n: int) -> list[str]:
    tokens._init(signer.key_pem)
    return tokens._sign((signer.name, signer.iss, signer.headers, AUD, n, int(time.time())))


async def run(app, batch: list[str], warm: list[str], server: Callable[[], list[int]] = list) -> tuple[float, float, float]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client:
        for token in warm:  # migrations, connection pool, caches
            assert (await client.get("/cds-services", headers={"Authorization": f"Bearer {token}"})).status_code == 200
        server_pids = server()  # after the warm-up: the backends serving the pool's connections exist now
        cpu, server_cpu, wall = time.process_time(), _cpu_of(server_pids), time.perf_counter()
        for token in batch:
            response = await client.get("/cds-services", headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 200, response.text
        n = len(batch)
        return ((time.process_time() - cpu) / n * 1000, (_cpu_of(server_pids) - server_cpu) / n * 1000,
                (time.perf_counter() - wall) / n * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="calls per record")
    parser.add_argument("--alg", choices=["rs384", "es384"], default="rs384")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="replay-bench-") as tmp:
        signer = tokens.rs384(Path(tmp)) if args.alg == "rs384" else tokens.es384()
        base = load_settings({**signer.env(), "CDS_LOG_SALT": "bench", "CDS_LINK_SECRET": "b" * 32})
        records = {
            "memory (no store)": (dataclasses.replace(base, data_dir=f"{tmp}/memory"), False, None),
            "SQLite (WAL, synchronous=FULL)": (dataclasses.replace(base, data_dir=f"{tmp}/sqlite"), True, None),
        }
        results = {}
        logging.getLogger("cds_service.request").setLevel(logging.WARNING)  # the request line is not what is measured
        for name, (settings, store, _) in records.items():
            app = create_app(settings, record_cards=store)
            results[name] = asyncio.run(run(app, sign(signer, args.n), sign(signer, 50)))
        try:
            from tests.pg_server import PostgresUnavailable, running_postgres

            with running_postgres("replay_bench") as url:
                port = int(url.rsplit(":", 1)[1].split("/")[0])
                app = create_app(dataclasses.replace(base, database_url=url, data_dir=f"{tmp}/pg"))
                results["PostgreSQL (same host, fsync off)"] = asyncio.run(
                    run(app, sign(signer, args.n), sign(signer, 50), lambda: _postgres_pids(port)))
        except PostgresUnavailable as exc:
            print(f"(no PostgreSQL: {exc})")
    memory = results["memory (no store)"]
    print(f"\n{args.n} x GET /cds-services, {signer.name} tokens, in process; per request:\n")
    print("| replay record | CPU ms (service) | CPU ms (database server) | wall ms | check: CPU ms / wall ms |")
    print("|---|---:|---:|---:|---:|")
    for name, (cpu, server, wall) in results.items():
        extra = "—" if name == "memory (no store)" else f"+{cpu + server - memory[0]:.2f} / +{wall - memory[2]:.2f}"
        print(f"| {name} | {cpu:.2f} | {server:.2f} | {wall:.2f} | {extra} |")


if __name__ == "__main__":
    main()
