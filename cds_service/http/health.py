"""Liveness and readiness.

`/healthz` answers 200 whenever the process serves HTTP: a failing liveness probe means
"restart me", which would not help a missing database. `/readyz` answers 200 only when
the value sets are loaded and, if the app has a store (`app.state.store.ping()`), the
database answers; 503 otherwise, so a load balancer sends no traffic to it.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

log = logging.getLogger("cds_service.http.health")

HEALTH_SCHEMA = {
    "type": "object",
    "properties": {"status": {"type": "string", "enum": ["ok"]}},
    "required": ["status"],
    "additionalProperties": False,
}
READY_SCHEMA = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["ready", "not-ready"]},
        "checks": {
            "type": "object",
            "description": "One entry per dependency: valuesets always, database when the service has a store",
            "properties": {"valuesets": {"type": "boolean"}, "database": {"type": "boolean"}},
            "required": ["valuesets"],
            "additionalProperties": False,
        },
    },
    "required": ["status", "checks"],
    "additionalProperties": False,
}
_OK = orjson.dumps({"status": "ok"})


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


async def readiness(app: FastAPI) -> dict[str, bool]:
    runtime = getattr(app.state, "runtime", None)
    terminology = getattr(runtime, "terminology", None)
    checks = {"valuesets": bool(terminology is not None and terminology.valuesets and terminology.unit_factors)}
    store = getattr(app.state, "store", None)
    if store is not None:
        try:
            checks["database"] = bool(await run_in_threadpool(store.ping))
        except Exception as exc:  # a probe answers, it never raises
            log.warning("readiness: database ping failed (%s)", type(exc).__name__)
            checks["database"] = False
    return checks


def add_health_routes(app: FastAPI) -> None:
    async def healthz() -> Response:
        return Response(_OK, media_type="application/json")

    async def readyz(request: Request) -> Response:
        checks = await readiness(request.app)
        ready = all(checks.values())
        body = {"status": "ready" if ready else "not-ready", "checks": checks}
        return Response(orjson.dumps(body), status_code=200 if ready else 503, media_type="application/json")

    app.add_api_route("/healthz", healthz, methods=["GET"], tags=["operations"], summary="Liveness",
                      responses={200: _json(HEALTH_SCHEMA, "The process serves requests")})
    app.add_api_route("/readyz", readyz, methods=["GET"], tags=["operations"], summary="Readiness",
                      responses={200: _json(READY_SCHEMA, "Value sets loaded and database reachable"),
                                 503: _json(READY_SCHEMA, "A dependency is not ready; `checks` says which")})
