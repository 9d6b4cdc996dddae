"""Soak test: a fixed request rate for a fixed time; errors, latency per minute, server RSS.

Open loop on purpose: requests are started on a schedule (rate x time), not when the
previous one returns, so a slow server shows up as latency and backlog instead of being
hidden by a politely waiting client. The mix is built from the fixtures with
`cds_service.tools.replay.request_from_bundle` (every fixture, all three hooks' shapes where
possible) plus a few error kinds (400, 404, 412), so error paths soak too.

    python bench/soak.py                         # starts its own server, 10 min at 100 req/s
    python bench/soak.py --duration 180 --rate 100
    python bench/soak.py --url http://127.0.0.1:8000 --pid 1234   # an already running server

Memory must be flat: RSS is sampled every minute; the report gives start, end and the
growth over the second half (after warm-up), which is what a leak shows in.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cds_service.tools.replay import load_bundle, request_from_bundle  # noqa: E402

PATIENT_VIEW = "/cds-services/igsub-patient-view"


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def request_mix() -> list[tuple[str, str, bytes, int]]:
    """(kind, path, body, expected status) for every fixture and a few error kinds."""
    mix = []
    for path in sorted((ROOT / "fhir_fixtures").glob("*.json")):
        if path.name.endswith(".expect.json"):
            continue
        body = request_from_bundle(load_bundle(path))
        mix.append(("patient-view", PATIENT_VIEW, orjson.dumps(body), 200))
    sample = orjson.loads(mix[0][2])
    partial = dict(sample, prefetch={k: v for k, v in sample["prefetch"].items() if k != "conditions"})
    errors = [
        ("bad-json", PATIENT_VIEW, b'{"hook": ', 400),
        ("unknown-service", "/cds-services/no-such-service", mix[0][2], 404),
        ("prefetch-missing", PATIENT_VIEW, orjson.dumps(partial), 412),
    ]
    return mix + errors


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams.

    Why not httpx: with thousands of scheduled requests its connection pool spends the
    client's CPU on bookkeeping, and a soak must measure the server, not the client.
    """

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        self.writer.write(head + body)
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            elif name.lower() == "connection" and value.strip().lower() == "close":
                close = True
        await self.reader.readexactly(length)
        if close:
            self.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def soak(url: str, pid: int | None, rate: float, duration: float, error_share: float, connections: int = 32) -> dict:
    mix = request_mix()
    good = [m for m in mix if m[3] == 200]
    bad = [m for m in mix if m[3] != 200]
    rng = random.Random(20260120)
    per_minute: dict[int, list[float]] = defaultdict(list)
    problems: Counter = Counter()
    kinds: Counter = Counter()
    rss: list[tuple[float, int]] = []
    host, port = url.split("//")[1].split(":")
    queue: asyncio.Queue = asyncio.Queue()

    async def worker() -> None:
        conn = Connection(host, int(port))
        while (job := await queue.get()) is not None:
            kind, path, body, expected, due = job
            try:
                status = await conn.post(path, body)
            except (OSError, ValueError, IndexError, asyncio.IncompleteReadError) as exc:
                status = type(exc).__name__
                conn.close()
            done = time.perf_counter()
            # Latency from the *scheduled* send time: queueing behind a slow server counts.
            per_minute[int((due - start) // 60)].append((done - due) * 1000)
            kinds[kind] += 1
            if status != expected:
                problems[f"{kind}: expected {expected}, got {status}"] += 1
        conn.close()

    warm = Connection(host, int(port))
    for _ in range(20):  # warm-up, not measured
        await warm.post(PATIENT_VIEW, good[0][2])
    warm.close()
    if pid:
        rss.append((0.0, rss_kib(pid)))
    start = time.perf_counter()
    workers = [asyncio.create_task(worker()) for _ in range(connections)]
    n, next_rss, backlog_max = 0, 60.0, 0
    while (at := n / rate) < duration:
        delay = start + at - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        kind, path, body, expected = rng.choice(bad if rng.random() < error_share else good)
        queue.put_nowait((kind, path, body, expected, start + at))
        backlog_max = max(backlog_max, queue.qsize())
        n += 1
        if pid and at >= next_rss:
            rss.append((at, rss_kib(pid)))
            next_rss += 60
    for _ in workers:
        queue.put_nowait(None)
    await asyncio.gather(*workers)
    elapsed = time.perf_counter() - start
    if pid:
        rss.append((elapsed, rss_kib(pid)))
    minutes = [
        {"minute": m + 1, "requests": len(v), "p50_ms": round(percentile(v, 0.5), 2), "p90_ms": round(percentile(v, 0.9), 2),
         "p99_ms": round(percentile(v, 0.99), 2), "max_ms": round(max(v), 2)}
        for m, v in sorted(per_minute.items())
    ]
    allv = [x for v in per_minute.values() for x in v]
    half = [kib for t, kib in rss if t >= duration / 2]
    return {
        "rate": rate, "duration_s": duration, "sent": n, "achieved_rate": round(n / elapsed, 1),
        "max_backlog": backlog_max, "load_average": os.getloadavg(),
        "errors": sum(problems.values()), "problems": dict(problems), "kinds": dict(kinds),
        "overall": {"p50_ms": round(percentile(allv, 0.5), 2), "p90_ms": round(percentile(allv, 0.9), 2),
                    "p99_ms": round(percentile(allv, 0.99), 2), "mean_ms": round(statistics.fmean(allv), 2)},
        "per_minute": minutes,
        "rss_kib": [{"t_s": round(t), "rss_kib": kib} for t, kib in rss],
        "rss_start_mib": round(rss[0][1] / 1024, 1) if rss else None,
        "rss_end_mib": round(rss[-1][1] / 1024, 1) if rss else None,
        "rss_second_half_growth_mib": round((half[-1] - half[0]) / 1024, 1) if len(half) > 1 else None,
    }


def start_server(env_extra: dict[str, str]) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tempfile.mkdtemp(prefix="soak-")
    env = {**os.environ, "CDS_DATA_DIR": data, "CDS_EVALUATION_DATE": "2026-01-20", "CDS_LOG_SALT": "soak", **env_extra}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "cds_service.http.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env, stderr=open(Path(data) / "server.log", "wb"),
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running service (default: start one)")
    parser.add_argument("--pid", type=int, help="server pid for RSS (with --url)")
    parser.add_argument("--rate", type=float, default=100.0, help="requests per second")
    parser.add_argument("--duration", type=float, default=600.0, help="seconds")
    parser.add_argument("--error-share", type=float, default=0.05, help="share of error requests (400/404/412)")
    parser.add_argument("--json", help="write the report here too")
    args = parser.parse_args()
    proc = None
    url, pid = args.url, args.pid
    if url is None:
        proc, url = start_server({})
        pid = proc.pid
    try:
        report = asyncio.run(soak(url, pid, args.rate, args.duration, args.error_share))
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGINT)
            proc.wait(20)
    print(f"{report['sent']} requests at {report['achieved_rate']}/s for {report['duration_s']:.0f} s; errors: {report['errors']}; "
          f"max backlog {report['max_backlog']}; load average at end {report['load_average']}")
    for k, v in report["problems"].items():
        print(f"  {v} x {k}")
    print("minute  requests   p50 ms   p90 ms   p99 ms   max ms")
    for m in report["per_minute"]:
        print(f"{m['minute']:6d} {m['requests']:9d} {m['p50_ms']:8.2f} {m['p90_ms']:8.2f} {m['p99_ms']:8.2f} {m['max_ms']:8.2f}")
    print(f"RSS start {report['rss_start_mib']} MiB, end {report['rss_end_mib']} MiB, "
          f"second-half growth {report['rss_second_half_growth_mib']} MiB; samples: "
          + ", ".join(f"{r['t_s']}s={r['rss_kib'] // 1024}M" for r in report["rss_kib"]))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
