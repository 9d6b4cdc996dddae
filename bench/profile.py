"""Profile the service's request path in process with pyinstrument (no sockets, no wrk).

Calls the ASGI app directly (one `http` scope per request, body delivered in one message),
so the profile holds routing, body parsing, prefetch pooling, facts, rules and cards and
nothing of an HTTP client. That is where the service's cost above the baseline lives.

    python bench/profile.py in-scope-20 -n 2000          # warm validation cache
    python bench/profile.py in-scope-200-igg --cold      # every request validates afresh
    python bench/profile.py out-of-scope --html out.html

For the server under real load instead: `py-spy top --pid <server pid>` or
`py-spy record --pid <pid> -d 10 -o profile.svg` while `wrk` runs (pip install py-spy).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # `bench/requests.py` must not shadow the `requests` distribution

from bench.requests import EVALUATION_DATE, SERVICE_PATH, build  # noqa: E402


async def call(app, body: bytes) -> int:
    """One POST through the ASGI app; returns the status."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": SERVICE_PATH, "raw_path": SERVICE_PATH.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"content-type", b"application/json"), (b"accept-language", b"en"),
                    (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    sent = False
    status = 0

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def loop(app, body: bytes, n: int, cold: bool) -> None:
    from cds_service.fhir import validation

    for _ in range(n):
        if cold:
            validation._CACHE.clear()
        status = await call(app, body)
        if status != 200:
            raise SystemExit(f"status {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=[s.name for s in build()])
    parser.add_argument("-n", type=int, default=1000, help="requests to profile (default 1000)")
    parser.add_argument("--cold", action="store_true", help="clear the validation cache before every request")
    parser.add_argument("--interval", type=float, default=0.0002, help="sampling interval, seconds")
    parser.add_argument("--html", type=Path, help="write pyinstrument's HTML report here too")
    args = parser.parse_args()
    os.environ.setdefault("CDS_EVALUATION_DATE", EVALUATION_DATE)
    from pyinstrument import Profiler

    from cds_service.http.app import create_app

    app = create_app()
    body = next(s.body for s in build() if s.name == args.scenario)
    asyncio.run(loop(app, body, 50, args.cold))  # warm-up: imports, model classes, caches
    profiler = Profiler(interval=args.interval, async_mode="disabled")
    t = time.perf_counter()
    profiler.start()
    asyncio.run(loop(app, body, args.n, args.cold))
    profiler.stop()
    per = (time.perf_counter() - t) / args.n * 1000
    print(f"{args.scenario}: {per:.3f} ms/request in process, profiler included ({'cold' if args.cold else 'warm'} cache)")
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    if args.html:
        args.html.write_text(profiler.output_html())


if __name__ == "__main__":
    main()
