"""Fallback load generator (httpx, asyncio) for machines without `wrk`.

Runs as its own process so its CPU is not charged to the server, keeps `--concurrency`
connections busy for `--duration` seconds, and prints the same `BENCH_RESULT` line as
`post.lua`. It is much slower than wrk (Python per request), so at c=16 it may be the
bottleneck: `run.py` says which generator was used, and wrk is preferred.

`--tokens FILE` (auth-on runs, see `tokens.py`): one JWT a line; each request sends the
next one as `Authorization: Bearer`, like `auth.lua` does for wrk.
"""

from __future__ import annotations

import argparse
import asyncio
import json
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


async def _worker(client: httpx.AsyncClient, url: str, body: bytes, stop: float, out: list[float], bad: list[int],
                  tokens: Tokens | None = None) -> None:
    headers = {"Content-Type": "application/json", "Accept-Language": "en"}
    while time.perf_counter() < stop:
        if tokens is not None:
            headers["Authorization"] = "Bearer " + tokens.next()
        t = time.perf_counter()
        try:
            r = await client.post(url, content=body, headers=headers)
        except httpx.HTTPError:
            bad[0] += 1
            continue
        out.append(time.perf_counter() - t)
        if r.status_code >= 400:
            bad[1] += 1


async def run(url: str, body: bytes, concurrency: int, duration: float, tokens: Tokens | None = None) -> dict:
    """Latencies and counts of one run, in the `post.lua` format."""
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
    parser.add_argument("--body", required=True, help="file holding the request body")
    parser.add_argument("--concurrency", type=int, default=1)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--tokens", help="file of JWTs, one a line; one per request as Authorization: Bearer")
    args = parser.parse_args()
    with open(args.body, "rb") as f:
        body = f.read()
    tokens = None
    if args.tokens:
        with open(args.tokens) as f:
            tokens = Tokens([line.strip() for line in f if line.strip()])
    result = asyncio.run(run(args.url, body, args.concurrency, args.duration, tokens))
    print("BENCH_RESULT " + json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
