"""The HTTP layer: thin. Parse the envelope, hand the request to the pipeline, return its cards.

Nothing clinical lives here: no thresholds, no dates, no codes.
"""

from __future__ import annotations

import logging
import time
from contextlib import asynccontextmanager
from functools import partial
from typing import Any, AsyncIterator, Callable, Mapping

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from .. import package_version
from ..cards.language import pick_language
from ..cards.render import Link
from ..errors import ServiceError, check_json_content_type, error_response, unknown_service
from ..fhir.fetch import FhirFetcher
from ..fhir.request import parse_hook_request
from ..pipeline import answer
from ..runtime import Clock, load_runtime
from ..settings import Settings, load_settings
from .auth import DEV_MODE_WARNING, AuthMiddleware, TokenVerifier, cors_middleware_options
from .discovery import HOOK_OF, services
from .head import HeadAsGet
from .health import add_health_routes
from .trailing_slash import TrailingSlash
from .hook_route import HookRoute, answer_error, request_origin
from .limits import BodyLimitMiddleware, Limits, check_request, parse_request_json
from .logs import PatientIds, RequestLogMiddleware, note_cards, note_request, warn_random_salt
from .logs import configure as configure_logs
from .metrics import Metrics
from .openapi import document as document_openapi

log = logging.getLogger("cds_service")



class NoStore:
    """For in-process tools (replay): cards are not recorded, so no feedback can follow."""

    def record_cards(self, *args: Any, **kwargs: Any) -> None:
        return None

    def ping(self) -> bool:
        return True


ENDPOINTS = ("discovery is GET /cds-services; a service is called with POST /cds-services/{id}, "
             "its feedback with POST /cds-services/{id}/feedback")


def routing_message(status: int, detail: str, headers: Mapping[str, str] | None) -> str:
    """Starlette's bare "Not Found" / "Method Not Allowed" for a wrong URL or method, made to say what to use."""
    if status == 404 and detail == "Not Found":
        return f"no endpoint at this path: {ENDPOINTS}"
    if status == 405 and detail == "Method Not Allowed":
        allow = (headers or {}).get("Allow") or (headers or {}).get("allow")
        return f"this path does not answer that method{f' (it answers {allow})' if allow else ''}: {ENDPOINTS}"
    return detail


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    auth_clock: Callable[[], float] = time.time,
    record_cards: bool = True,
) -> FastAPI:
    """Build the application from `settings` (the environment's when None); `clock` is for tests."""
    settings = settings or load_settings()
    metrics = Metrics()
    runtime = load_runtime(settings, clock, on_kill_switch_error=metrics.killswitch_errors.inc)
    discovery_body = orjson.dumps({"services": services(runtime.terminology, runtime.ruleset)})
    auth = settings.auth
    fetcher = FhirFetcher(settings.fetch, max_resources=settings.max_resources, max_json_depth=settings.max_json_depth)
    store = None
    if record_cards:  # the card store (and SQLAlchemy) is loaded only when cards are recorded
        from ..records.replay import DatabaseReplayRecord
        from ..records.snapshot import payload
        from ..records.store import CardStore

        store = CardStore(settings.store_url(), clock=runtime.clock, explain_days=settings.explain_retention_days,
                          serialise=partial(payload, ruleset=runtime.ruleset))
    # Spent token ids go to the store's database, shared by every worker and instance; memory without one.
    replay = DatabaseReplayRecord(store) if store is not None and auth.enabled else None
    verifier = TokenVerifier(auth, clock=auth_clock, replay=replay) if auth.enabled else None

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if settings.evaluation_date is not None:
            log.warning("CDS_EVALUATION_DATE=%s: every request is evaluated as of that date (testing only)",
                        settings.evaluation_date)
        if verifier is None:
            log.warning(DEV_MODE_WARNING)
        warn_random_salt(settings.log_patient_id, settings.log_salt)
        signer = getattr(app.state, "link_signer", None)
        if signer is not None and signer.ephemeral:  # logged here so that a refused start stays one line
            from .explain import EPHEMERAL_KEY_WARNING
            log.warning(EPHEMERAL_KEY_WARNING)
        yield
        await fetcher.aclose()
        if verifier is not None:
            await verifier.aclose()

    app = FastAPI(title="Immunoglobulin substitution after CAR-T / bsAb — CDS Hooks service",
                  version=package_version(), lifespan=lifespan)
    app.state.runtime = runtime

    @app.exception_handler(ServiceError)
    @app.exception_handler(Exception)
    async def service_error(request: Request, exc: Exception) -> Response:
        # The same answer, log fields and traceback policy as hook calls get from HookRoute.
        status, body = answer_error(exc, request.scope.setdefault("state", {}))
        return Response(body, status_code=status, media_type="application/json")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        return error_response(exc.status_code, routing_message(exc.status_code, str(exc.detail), exc.headers),
                              exc.headers)  # a 405 keeps its Allow header

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> Response:
        return error_response(400, "invalid request")

    @app.get("/cds-services")
    async def discovery() -> Response:
        return Response(discovery_body, media_type="application/json")

    async def answer_hook(service_id: str, body: bytes, accept_language: str | None, state: dict[str, Any], origin: str) -> bytes:
        """One hook call, from the raw body to the JSON answer; raises ServiceError for a client's error."""
        hook = HOOK_OF.get(service_id)
        if hook is None:
            raise unknown_service(service_id, HOOK_OF)
        data = parse_request_json(body, limits.max_json_depth)
        req = parse_hook_request(data, hook)
        note_request(state, req)
        check_request(body, req, limits)
        answered = await answer(req, runtime, lang=pick_language(accept_language), fetcher=fetcher,
                                link=why_links(origin) if why_links is not None else None)
        for code in answered.suppressed:
            metrics.suppressed.labels(code).inc()
        note_cards(state, answered.cards, list(answered.suppressed))
        app.state.store.record_cards(service_id, req.patient_id, req.hook_instance, answered.cards, answered)
        return orjson.dumps({"cards": answered.cards})

    @app.post("/cds-services/{service_id}")
    async def call_service(request: Request) -> Response:
        # Served by HookRoute (hook_route.py) before FastAPI routes; kept for the OpenAPI document, and answering
        # as HookRoute does (the body read, then its Content-Type checked).
        raw = await request.body()
        check_json_content_type(request.headers.get("content-type"))
        body = await answer_hook(request.path_params["service_id"], raw,
                                 request.headers.get("accept-language"), request.scope.setdefault("state", {}),
                                 request_origin(request.scope))
        return Response(body, media_type="application/json")

    why_links: Callable[[str], Link] | None = None  # origin -> the links of one answer's cards
    if store is not None:
        from .explain import install as install_explain
        from .feedback import install as install_feedback

        install_feedback(app, store, HOOK_OF, max_json_depth=settings.max_json_depth)
        why_links = install_explain(app, settings, runtime, store)
    else:  # in-process tools (replay): nothing recorded, so no explanation page to link to
        app.state.store = NoStore()
    # Middleware added first runs innermost: hook calls pass the log, limits, CORS and auth first.
    app.add_middleware(HookRoute, handler=answer_hook, language=pick_language)
    app.add_middleware(TrailingSlash)  # /cds-services/{id}/ as /cds-services/{id}: inside auth, before any route
    app.add_middleware(HeadAsGet)  # HEAD wherever GET; hook calls (POST) pass straight through
    if verifier is not None:
        app.add_middleware(AuthMiddleware, verifier=verifier, public_base_url=settings.public_base_url)
    if settings.cors_origins or verifier is None:  # development mode: loopback origins too (a local sandbox)
        app.add_middleware(CORSMiddleware, **cors_middleware_options(  # outermost: preflight needs no token
            list(settings.cors_origins), allow_loopback=verifier is None))
    limits = Limits.from_settings(settings)
    app.state.metrics = metrics
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
