"""The HTTP layer: thin. Parse, gather data, hand over to `assess`, return cards.

Nothing clinical lives here: no thresholds, no dates, no codes.
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from typing import Any, Callable, Mapping

import orjson
from fastapi import FastAPI, Request
from starlette.middleware.cors import CORSMiddleware
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from ..assess import assess, assess_orders, cards_for
from .auth import DEV_MODE_WARNING, AuthMiddleware, TokenVerifier, cors_middleware_options
from .discovery import HOOK_OF, prefetch_templates, services
from ..errors import BadRequest, NotFound, PreconditionFailed, ServiceError, error_response
from ..fhir.fetch import FetchFailed, FhirFetcher, check_server_allowed
from .health import add_health_routes
from ..fhir.request import HookRequest, parse_hook_request
from .hook_route import HookRoute, answer_error
from ..killswitch import KillSwitch
from .limits import BodyLimitMiddleware, Limits, check_request, resources_in
from .logs import PatientIds, RequestLogMiddleware, configure as configure_logs, note_cards, note_request
from .metrics import Metrics
from .openapi import document as document_openapi
from ..fhir.prefetch import PooledResources, pool_prefetch
from ..runtime import Clock, load_runtime
from ..settings import Settings, load_settings
from ..cards.language import pick_language

log = logging.getLogger("cds_service")



class NoStore:
    """For in-process tools (replay): cards are not recorded, so no feedback can follow."""

    def record_cards(self, *args: Any, **kwargs: Any) -> None:
        return None

    def ping(self) -> bool:
        return True


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    auth_clock: Callable[[], float] = time.time,
    record_cards: bool = True,
) -> FastAPI:
    """Build the application from `settings` (the environment's when None); `clock` is for tests."""
    settings = settings or load_settings()
    runtime = load_runtime(settings, clock)
    templates = prefetch_templates(runtime.terminology)
    discovery_body = orjson.dumps({"services": services(runtime.terminology, runtime.params)})
    auth = settings.auth
    fetcher = FhirFetcher(settings.fetch, max_resources=settings.max_resources, max_json_depth=settings.max_json_depth)
    store = None
    if record_cards:  # the card store (and SQLAlchemy) is loaded only when cards are recorded
        from ..records.replay import DatabaseReplayRecord
        from ..records.store import CardStore

        store = CardStore(settings.store_url(), clock=runtime.clock)
    # Spent token ids go to the store's database, shared by every worker and instance; memory without one.
    replay = DatabaseReplayRecord(store) if store is not None and auth.enabled else None
    verifier = TokenVerifier(auth, clock=auth_clock, replay=replay) if auth.enabled else None

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        if settings.evaluation_date is not None:
            log.warning("CDS_EVALUATION_DATE=%s: every request is evaluated as of that date (testing only)",
                        settings.evaluation_date)
        if verifier is None:
            log.warning(DEV_MODE_WARNING)
        yield
        await fetcher.aclose()
        if verifier is not None:
            await verifier.aclose()

    app = FastAPI(title="Immunoglobulin substitution after CAR-T / bsAb — CDS Hooks service",
                  version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime

    @app.exception_handler(ServiceError)
    @app.exception_handler(Exception)
    async def service_error(request: Request, exc: Exception) -> Response:
        # The same answer, log fields and traceback policy as hook calls get from HookRoute.
        status, body = answer_error(exc, request.scope.setdefault("state", {}))
        return Response(body, status_code=status, media_type="application/json")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        return error_response(exc.status_code, str(exc.detail), exc.headers)  # a 405 keeps its Allow header

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> Response:
        return error_response(400, "invalid request")

    @app.get("/cds-services")
    async def discovery() -> Response:
        return Response(discovery_body, media_type="application/json")

    async def answer_hook(service_id: str, body: bytes, accept_language: str | None, state: dict) -> bytes:
        """One hook call, from the raw body to the JSON answer; raises ServiceError for a client's error."""
        hook = HOOK_OF.get(service_id)
        if hook is None:
            raise NotFound(f"no CDS service with id '{service_id}'")
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadRequest(f"the request body is not valid JSON ({exc.msg})") from None
        req = parse_hook_request(data, hook)
        note_request(state, req)
        check_request(body, req, limits)
        pooled = await gather(req, templates, fetcher)
        if req.hook == "patient-view":
            assessment = assess(pooled.resources, pooled.notes, runtime, runtime.today())
        else:
            drafts = req.draft_orders if req.selections is None else [
                d for d in req.draft_orders if f"{d['resourceType']}/{d['id']}" in req.selections]
            assessment = assess_orders(pooled.resources, pooled.notes, drafts, req.patient_id, runtime, runtime.today())
        cards, suppressed = kill_switch.apply(cards_for(assessment, runtime, req.patient_id, pick_language(accept_language)))
        note_cards(state, cards, suppressed)
        app.state.store.record_cards(service_id, req.patient_id, req.hook_instance, cards)
        return orjson.dumps({"cards": cards})

    @app.post("/cds-services/{service_id}")
    async def call_service(request: Request) -> Response:
        # Served by HookRoute (hook_route.py) before FastAPI routes; kept for the OpenAPI document.
        body = await answer_hook(request.path_params["service_id"], await request.body(),
                                 request.headers.get("accept-language"), request.scope.setdefault("state", {}))
        return Response(body, media_type="application/json")

    if store is not None:
        from .feedback import install as install_feedback

        install_feedback(app, store, HOOK_OF, max_json_depth=settings.max_json_depth)
    else:
        app.state.store = NoStore()
    # Middleware added first runs innermost: hook calls pass the log, limits, CORS and auth first.
    app.add_middleware(HookRoute, handler=answer_hook)
    if verifier is not None:
        app.add_middleware(AuthMiddleware, verifier=verifier, public_base_url=settings.public_base_url)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, **cors_middleware_options(list(settings.cors_origins)))  # outermost: preflight needs no token
    limits = Limits.from_settings(settings)
    metrics = app.state.metrics = Metrics()
    kill_switch = KillSwitch(settings.disabled_advice_file, metrics)
    fetcher.fetch = metrics.count_fetch_failures(fetcher.fetch)  # type: ignore[method-assign]
    add_health_routes(app)
    app.add_api_route("/metrics", metrics.response, methods=["GET"], tags=["operations"], summary="Prometheus metrics",
                      responses={200: {"description": "Prometheus text format", "content": {"text/plain": {"schema": {"type": "string"}}}}})
    document_openapi(app, HOOK_OF, auth=auth.enabled)
    configure_logs()
    app.add_middleware(BodyLimitMiddleware, max_bytes=limits.max_body_bytes, timeout=limits.body_timeout,
                       max_header_bytes=limits.max_header_bytes)
    app.add_middleware(RequestLogMiddleware, metrics=metrics, services=HOOK_OF,
                       patient_ids=PatientIds(settings.log_patient_id, settings.log_salt))  # outermost: sees every status
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
        fetched = await fetcher.fetch({k: templates[k] for k in needed}, req.context, req.fhir_server, token, fetcher.max_resources - resources_in(req))
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
