"""Fallback load generator (httpx, asyncio) for machines without `wrk`.

Runs as its own process so its CPU is not charged to the server, keeps `--concurrency`
connections busy for `--duration` seconds, and prints the same `BENCH_RESULT` line as
`post.lua`. It is much slower than wrk (Python per request), so at c=16 it may be the
bottleneck: `run.py` says which generator was used, and wrk is preferred.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import httpx


async def _worker(client: httpx.AsyncClient, url: str, body: bytes, stop: float, out: list[float], bad: list[int]) -> None:
    headers = {"Content-Type": "application/json", "Accept-Language": "en"}
    while time.perf_counter() < stop:
        t = time.perf_counter()
        try:
            r = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError:
            bad[0] += 1
            continue
        out.append(time.perf_counter() - t)
        if r.status_code >= 400:
            bad[1] += 1


async def run(url: str, body: bytes, concurrency: int, duration: float) -> dict:
    """Latencies and counts of one run, in the `post.lua` format."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    bad = [0, 0]
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        start = time.perf_counter()
        stop = start + duration
        await asyncio.gather(*(_worker(client, url, body, stop, latencies, bad) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e6 if latencies else 0.0
    return {"requests": len(latencies), "duration_us": int(elapsed * 1e6), "p50_us": pick(0.50), "p99_us": pick(0.99),
            "max_us": latencies[-1] * 1e6 if latencies else 0.0, "errors": bad[0], "non_2xx": bad[1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--body", required=True, help="file holding the request body")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10)
    args = parser.parse_args()
    with open(args.body, "rb") as f:
        body = f.read()
    result = asyncio.run(run(args.url, body, args.concurrency, args.duration))
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
