"""Profile the service's request path in process with pyinstrument (no sockets, no wrk).

Calls the ASGI app directly (one `http` scope per request, body delivered in one message),
so the profile holds routing, body parsing, prefetch pooling, facts, rules and cards and
nothing of an HTTP client. That is where the service's cost above the baseline lives.
Requests cycle through a cohort of distinct patients (`patients.py`), each sent with a
fresh revision number, so every chart is unseen as in `make bench`.

    python bench/profile.py in-scope -n 2000
    python bench/profile.py in-scope-200-igg -n 200
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
    sys.path[0] = str(ROOT)  # the bench folder itself must not shadow installed distributions

from bench.patients import EVALUATION_DATE, KINDS, cohort  # noqa: E402

SERVICE_PATH = "/cds-services/igsub-patient-view"


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


async def loop(app, charts: list, n: int, first: int = 0) -> None:
    for i in range(first, first + n):
        status = await call(app, charts[i % len(charts)].sendable(str(i)))
        if status != 200:
            raise SystemExit(f"status {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenario", choices=list(KINDS))
    parser.add_argument("-n", type=int, default=1000, help="requests to profile (default 1000)")
    parser.add_argument("--interval", type=float, default=0.0002, help="sampling interval, seconds")
    parser.add_argument("--html", type=Path, help="write pyinstrument's HTML report here too")
    args = parser.parse_args()
    os.environ.setdefault("CDS_EVALUATION_DATE", EVALUATION_DATE.isoformat())
    from pyinstrument import Profiler

    from cds_service.http.app import create_app

    app = create_app()
    charts = cohort(args.scenario, 40 if args.scenario in ("in-scope-200-igg", "in-scope-300-results") else 400)
    asyncio.run(loop(app, charts, 50, 10**8))  # warm-up: imports, model classes
    profiler = Profiler(interval=args.interval, async_mode="disabled")
    t = time.perf_counter()
    profiler.start()
    asyncio.run(loop(app, charts, args.n))
    profiler.stop()
    per = (time.perf_counter() - t) / args.n * 1000
    print(f"{args.scenario}: {per:.3f} ms/request in process, profiler included (unseen charts)")
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    if args.html:
        args.html.write_text(profiler.output_html())


if __name__ == "__main__":
    main()
