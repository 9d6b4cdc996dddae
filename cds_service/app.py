"""The HTTP layer: thin. Parse, gather data, hand over to `assess`, return cards.

Nothing clinical lives here: no thresholds, no dates, no codes.
"""

from __future__ import annotations

import logging
import os
from contextlib import asynccontextmanager
from typing import Any, Mapping

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from .assess import assess, cards_for
from .discovery import PATIENT_VIEW_ID, prefetch_templates, services
from .errors import BadRequest, NotFound, PreconditionFailed, ServiceError, error_response
from .fhir_fetch import FetchFailed, FetchSettings, FhirFetcher, check_server_allowed, fetch_settings_from_env
from .hook_request import HookRequest, parse_hook_request
from .prefetch import PooledResources, pool_prefetch
from .runtime import Clock, Runtime, load_runtime
from .settings import Settings, settings_from_env
from .text import pick_language

log = logging.getLogger("cds_service")

HOOK_OF = {PATIENT_VIEW_ID: "patient-view"}


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json")


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    env: Mapping[str, str] | None = None,
    fetch_settings: FetchSettings | None = None,
) -> FastAPI:
    """Build the application; `clock` and `settings` are injectable for tests and replay."""
    env = os.environ if env is None else env
    settings = settings or settings_from_env(env)
    runtime = load_runtime(settings, clock)
    templates = prefetch_templates(runtime.terminology)
    discovery_body = orjson.dumps({"services": services(runtime.terminology)})
    development = env.get("CDS_AUTH", "off").strip().lower() != "on"
    fetcher = FhirFetcher(fetch_settings or fetch_settings_from_env(env, development=development))

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        if settings.evaluation_date is not None:
            log.warning("CDS_EVALUATION_DATE=%s: every request is evaluated as of that date (testing only)",
                        settings.evaluation_date)
        yield
        await fetcher.aclose()

    app = FastAPI(title="Immunoglobulin substitution after CAR-T / bsAb — CDS Hooks service",
                  version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime

    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> Response:
        return error_response(exc.status, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        return error_response(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> Response:
        return error_response(400, "invalid request")

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> Response:
        log.exception("unexpected error")
        return error_response(500, "internal error; the request was not evaluated")

    @app.get("/cds-services")
    async def discovery() -> Response:
        return Response(discovery_body, media_type="application/json")

    @app.post("/cds-services/{service_id}")
    async def call_service(service_id: str, request: Request) -> Response:
        hook = HOOK_OF.get(service_id)
        if hook is None:
            raise NotFound(f"no CDS service with id '{service_id}'")
        body = await request.body()
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"the request body is not valid JSON ({exc.msg})") from None
        req = parse_hook_request(data, hook)
        pooled = await gather(req, templates, fetcher)
        assessment = assess(pooled.resources, pooled.notes, runtime, runtime.today())
        lang = pick_language(request.headers.get("accept-language"))
        return _json({"cards": cards_for(assessment, runtime, req.patient_id, lang)})

    return app


async def gather(req: HookRequest, templates: Mapping[str, str], fetcher: FhirFetcher) -> PooledResources:
    """The patient's resources from prefetch, fetching from `fhirServer` what is missing.

    Never evaluates partial data as if complete: what cannot be had is a 412.
    """
    keys = list(templates)
    pooled = pool_prefetch(req.prefetch, keys, req.patient_id)
    needed = pooled.missing + [k for k in pooled.unusable if k not in pooled.missing]
    if not needed:
        return pooled
    if not req.fhir_server:
        raise PreconditionFailed(_precondition_message(pooled, "the request has no fhirServer to fetch it from"))
    refused = check_server_allowed(req.fhir_server, fetcher.settings)
    if refused:
        raise PreconditionFailed(_precondition_message(pooled, f"fhirServer refused: {refused}"))
    token = (req.fhir_authorization or {}).get("access_token")
    try:
        fetched = await fetcher.fetch({k: templates[k] for k in needed}, req.context, req.fhir_server, token)
    except FetchFailed as exc:
        raise PreconditionFailed("could not fetch required data from fhirServer: " + "; ".join(exc.problems)) from None
    merged = {**(req.prefetch or {}), **fetched}
    pooled = pool_prefetch(merged, keys, req.patient_id)
    if pooled.missing or pooled.unusable:
        raise PreconditionFailed(_precondition_message(pooled, "the FHIR server did not provide it"))
    return pooled


def _precondition_message(pooled: PooledResources, why: str) -> str:
    parts = []
    if pooled.missing:
        parts.append("prefetch missing for: " + ", ".join(pooled.missing))
    parts += [f"prefetch '{k}' unusable: {msg}" for k, msg in pooled.unusable.items()]
    return "required data not available — " + "; ".join(parts) + f" ({why})"
