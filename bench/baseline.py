"""The floor the service is measured against: same framework, the body parsed, no work.

FastAPI + uvicorn started the way `cds-service serve` starts the service (`uvicorn.run`,
default loop/http, log level info, so access logging costs the same), the body read and
parsed with the standard library's `json` (`--parser orjson` for the parser the service uses),
and one fixed card returned. Whatever the service costs above this is the cost of the service's
own work.

Run: python bench/baseline.py --port 8001   (or `uvicorn --factory bench.baseline:create_app`)
"""

from __future__ import annotations

import argparse
import json
import os

import orjson
from fastapi import FastAPI, Request
from starlette.responses import Response

CARD = orjson.dumps({"cards": [{
    "uuid": "00000000-0000-4000-8000-000000000000",
    "summary": "Fixed card from the benchmark baseline",
    "indicator": "info",
    "source": {"label": "baseline", "topic": {"code": "baseline"}},
}]})


def create_app(parser: str | None = None) -> FastAPI:
    """The baseline app: discovery for the start-up probe, and a hook endpoint that only parses.

    `parser`: "json" (the standard library; default) or "orjson"; None reads $BENCH_BASELINE_PARSER
    (so `uvicorn --factory bench.baseline:create_app` can choose too).
    """
    parser = parser or os.environ.get("BENCH_BASELINE_PARSER", "json")
    loads = orjson.loads if parser == "orjson" else json.loads
    app = FastAPI(title="benchmark baseline")

    @app.get("/cds-services")
    async def discovery() -> Response:
        return Response(b'{"services":[]}', media_type="application/json")

    @app.post("/cds-services/{service_id}")
    async def call_service(service_id: str, request: Request) -> Response:
        data = loads(await request.body())
        if not isinstance(data, dict):
            return Response(b'{"error":"not an object"}', status_code=400, media_type="application/json")
        return Response(CARD, media_type="application/json")

    return app


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--parser", choices=("json", "orjson"), default=None,
                        help="body parser: json (standard library, default) or orjson")
    args = parser.parse_args()
    uvicorn.run(create_app(args.parser), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
