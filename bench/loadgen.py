"""Fallback load generator (httpx, asyncio) for machines without `wrk`.

Runs as its own process so its CPU is not charged to the server, keeps `--concurrency`
connections busy for `--duration` seconds, and prints the same `BENCH_RESULT` line as
`cycle.lua`. It is much slower than wrk (Python per request), so at c=16 it may be the
bottleneck: `run.py` says which generator was used, and wrk is preferred.

`--tokens FILE` (auth-on runs, see `tokens.py`): one JWT a line; each request sends the
next one as `Authorization: Bearer`, like `cycle.lua` does for wrk. `--bodies FILE` (one body a
line, `patients.py`): each request sends the next, with a number unique to it in place of
every "@REV@", like `cycle.lua`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time

import httpx


class Tokens:
    """The next token of a list, from the start again when it runs out (counted as reused)."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens, self.i, self.used, self.reused = tokens, 0, 0, 0

    def next(self) -> str:
        if self.i == len(self.tokens):
            self.i = 0
        if self.used >= len(self.tokens):
            self.reused += 1
        self.used += 1
        self.i += 1
        return self.tokens[self.i - 1]


class Bodies:
    """The next body of a cohort, each with a fresh revision number (see cycle.lua)."""

    def __init__(self, bodies: list[bytes], revision: str | None = None) -> None:
        self.bodies, self.n, self.revision = bodies, 0, revision

    def next(self) -> bytes:
        self.n += 1
        return self.bodies[self.n % len(self.bodies)].replace(b"@REV@", (self.revision or str(self.n)).encode())


async def _worker(client: httpx.AsyncClient, url: str, body: bytes | Bodies, stop: float, out: list[float],
                  bad: list[int], tokens: Tokens | None = None) -> None:
    headers = {"Content-Type": "application/json", "Accept-Language": "en"}
    while time.perf_counter() < stop:
        if tokens is not None:
            headers["Authorization"] = "Bearer " + tokens.next()
        t = time.perf_counter()
        try:
            r = await client.post(url, content=body.next() if isinstance(body, Bodies) else body, headers=headers)
        except httpx.HTTPError:
            bad[0] += 1
            continue
        out.append(time.perf_counter() - t)
        if r.status_code >= 400:
            bad[1] += 1


async def run(url: str, body: bytes | Bodies, concurrency: int, duration: float, tokens: Tokens | None = None) -> dict:
    """Latencies and counts of one run, in the `cycle.lua` format."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    bad = [0, 0]
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        start = time.perf_counter()
        stop = start + duration
        await asyncio.gather(*(_worker(client, url, body, stop, latencies, bad, tokens) for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    latencies.sort()

    def pick(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1e6 if latencies else 0.0

    result = {"requests": len(latencies), "duration_us": int(elapsed * 1e6), "p50_us": pick(0.50), "p99_us": pick(0.99),
              "max_us": latencies[-1] * 1e6 if latencies else 0.0, "errors": bad[0], "non_2xx": bad[1]}
    if tokens is not None:
        result.update(tokens_used=tokens.used, tokens_reused=tokens.reused)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--body", help="file holding the request body")
    parser.add_argument("--bodies", help="file of request bodies, one a line, cycled (bench/patients.py)")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--tokens", help="file of JWTs, one a line; one per request as Authorization: Bearer")
    args = parser.parse_args()
    if args.bodies:
        with open(args.bodies, "rb") as f:
            body: bytes | Bodies = Bodies([line for line in f.read().split(b"\n") if line],
                                          os.environ.get("BENCH_REVISION"))
    elif args.body:
        with open(args.body, "rb") as f:
            body = f.read()
    else:
        parser.error("--body or --bodies is required")
    tokens = None
    if args.tokens:
        with open(args.tokens) as f:
            tokens = Tokens([line.strip() for line in f if line.strip()])
    result = asyncio.run(run(args.url, body, args.concurrency, args.duration, tokens))
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
