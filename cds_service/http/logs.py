"""Structured logs: JSON lines on stderr, one line per request.

Privacy is decided here, not at each call site: the request line carries the request's
own `hookInstance`, service, status, duration and advice codes, and the patient only as
`context.patientId` in the configured form (`CDS_LOG_PATIENT_ID=plain|hash|off`, hash by
default, salted per deployment by `CDS_LOG_SALT`). No token, no body, no resource
content, no other identifier is ever put on it; an error is logged as its status and the
service's own message, which by design (errors.py) names fields, never data.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import sys
import time
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .trailing_slash import without_trailing_slash
from .metrics import Metrics

ROOT_LOGGER = "cds_service"
request_log = logging.getLogger("cds_service.request")
HASH_CACHE_SIZE = 10_000
FIELD_LIMIT = 128  # client-chosen strings (hookInstance, plain patientId, messages) are cut here


_second: tuple[int, str] = (-1, "")
_salt_warned = False


def timestamp(now: float) -> str:
    """UTC ISO 8601 with milliseconds; the per-second prefix is cached (isoformat costs ~5 us)."""
    global _second
    whole = int(now)
    if _second[0] != whole:
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{_second[1]}.{int((now - whole) * 1000):03d}Z"


def write_line(line: dict[str, Any]) -> None:
    sys.stderr.write(orjson.dumps(line, default=str).decode() + "\n")


class JsonLinesHandler(logging.Handler):
    """Writes each record as one JSON object per line to the *current* sys.stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line: dict[str, Any] = {
                "ts": timestamp(record.created),
                "level": record.levelname.lower(),
                "logger": record.name,
            }
            fields = getattr(record, "fields", None)
            if fields is not None:
                line.update(fields)
            else:
                line["message"] = record.getMessage()
            if record.exc_info and record.exc_info[0] is not None:
                line["exception"] = record.exc_info[0].__name__  # the type only: messages may hold data
            write_line(line)
        except Exception:  # a log line must never fail a request
            self.handleError(record)


class PlainLinesHandler(logging.Handler):
    """`cds-service: warning: <message>`, one line per record, to the *current* sys.stderr (tools)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = " ".join(record.getMessage().split())  # one line, whatever the message held
            sys.stderr.write(f"cds-service: {record.levelname.lower()}: {message}\n")
        except Exception:
            self.handleError(record)


def configure() -> None:
    """Give the service's logger the JSON handler, unless the process set up logging already.

    `create_app` calls this so an app built by a test or a library user logs JSON lines;
    `cds-service serve` (`service_logging_config`) and the tools (`tool_logging`) configure
    the process first, and then this adds nothing, so no record is written twice.
    """
    logger = logging.getLogger(ROOT_LOGGER)
    if not logger.handlers:
        logger.addHandler(JsonLinesHandler())
    if request_log.level == logging.NOTSET:  # only the request line: other levels stay the deployment's choice
        request_log.setLevel(logging.INFO)


def service_logging_config() -> dict[str, Any]:
    """The `logging.config.dictConfig` of `cds-service serve`, also uvicorn's `log_config`.

    One handler, the JSON one, on the service's loggers, uvicorn's and the root (libraries,
    Python warnings), nothing propagating twice: every stderr line is one JSON object.
    uvicorn applies it again in each worker process (`--workers N`). uvicorn's access log
    is off: the service writes its own request line.
    """
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "handlers": {"json": {"class": f"{__name__}.JsonLinesHandler"}},
        "loggers": {
            ROOT_LOGGER: {"handlers": ["json"], "level": "WARNING", "propagate": False},
            request_log.name: {"level": "INFO"},
            "uvicorn": {"handlers": ["json"], "level": "INFO", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
        "root": {"handlers": ["json"], "level": "WARNING"},
    }


@contextmanager
def tool_logging() -> Iterator[None]:
    """For `replay`, `timeline`, `worklist`, `feedback-report`: warnings and errors as plain lines.

    A person reads these at a terminal, so no JSON and no request lines (an in-process
    replay is not a served request). The previous set-up is restored afterwards, so a
    test calling `cli.main` in process leaves the logging of later tests as it found it.
    """
    root, service = logging.getLogger(), logging.getLogger(ROOT_LOGGER)
    saved = [(logger, logger.handlers[:], logger.level, logger.propagate) for logger in (root, service, request_log)]
    handler = PlainLinesHandler()
    service.handlers, service.propagate = [handler], False
    service.setLevel(logging.WARNING)
    request_log.setLevel(logging.WARNING)
    if not root.handlers:  # libraries' warnings too, but never on top of a handler someone installed
        root.addHandler(handler)
        root.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, handlers, level, propagate in saved:
            logger.handlers, logger.propagate = handlers, propagate
            logger.setLevel(level)


def warn_random_salt(mode: str, salt: str | None) -> None:
    """At server start-up: hashed patient ids with a random salt cannot be correlated across restarts."""
    global _salt_warned
    if mode == "hash" and not salt and not _salt_warned:
        _salt_warned = True  # once per process, not once per application built
        logging.getLogger(ROOT_LOGGER).warning(
            "CDS_LOG_SALT is not set: patient ids in the log are hashed with a random salt, "
            "so they cannot be correlated across restarts or replicas")


class PatientIds:
    """How `context.patientId` appears in the log: plain, an HMAC-SHA256 prefix, or not at all."""

    def __init__(self, mode: str = "hash", salt: str | None = None) -> None:
        self.mode = mode  # a missing salt is reported when a server starts (warn_random_salt)
        self._key = (salt or secrets.token_hex(16)).encode()
        self._hashes: dict[str, str] = {}  # a chart is opened many times: hash each id once

    def field(self, patient_id: str) -> tuple[str, str] | None:
        if self.mode == "off":
            return None
        if self.mode == "plain":
            return "patientId", patient_id[:FIELD_LIMIT]
        hashed = self._hashes.get(patient_id)
        if hashed is None:
            hashed = hmac.new(self._key, patient_id.encode(), hashlib.sha256).hexdigest()[:16]
            if len(patient_id) <= FIELD_LIMIT:  # bounded in count and size
                if len(self._hashes) >= HASH_CACHE_SIZE:
                    self._hashes.clear()  # cheaper than LRU bookkeeping on every request
                self._hashes[patient_id] = hashed
        return "patientHash", hashed


# -- what the handler tells the log (kept in the request's scope state) -----------------------
# `state` is the request's `scope["state"]` (what Starlette's `request.state` wraps).
def note_request(state: dict[str, Any], req: Any) -> None:
    """Called once the envelope is parsed: later failures are still logged with hookInstance.

    Only the two strings the log line needs are kept, not the request: the server keeps a
    connection's last scope until its next request, and holding the parsed body there kept
    every keep-alive connection's whole chart in memory and freed it on the next request's path.
    """
    state["log_request"] = (str(req.hook_instance)[:FIELD_LIMIT], req.patient_id)


def note_cards(state: dict[str, Any], cards: list[dict[str, Any]], suppressed: Sequence[str] = ()) -> None:
    state["log_codes"] = [c["source"]["topic"]["code"] for c in cards]
    if suppressed:
        state["log_suppressed"] = list(suppressed)


def note_error(state: dict[str, Any], message: str) -> None:
    state["log_error"] = message


def endpoint_of(path: str, services: Collection[str]) -> tuple[str, str]:
    """(endpoint, service) for a path: fixed names only, whatever the client sent (a trailing slash as served:
    the path without it, `trailing_slash.py`)."""
    path = without_trailing_slash(path)
    if path == "/cds-services":
        return "discovery", ""
    if path.startswith("/cds-services/"):
        service, _, rest = path[len("/cds-services/"):].partition("/")
        service = service if service in services else "unknown"
        return ("service" if not rest else "feedback" if rest == "feedback" else "other"), service
    if path in ("/healthz", "/readyz", "/metrics"):
        return path[1:], ""
    if path.startswith("/explain/"):  # never the card uuid or the token: the endpoint name only
        return "explain", ""
    return "other", ""


class RequestLogMiddleware:
    """Pure ASGI: times each HTTP request, writes its log line and records its metrics."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics, patient_ids: PatientIds, services: Collection[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.patient_ids = patient_ids
        self.services = frozenset(services)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        state = scope.setdefault("state", {})

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        except Exception as exc:
            status = 500
            state.setdefault("log_error", type(exc).__name__)
            raise
        finally:
            self._finish(scope, state, status, time.perf_counter() - start)

    def _finish(self, scope: Scope, state: dict[str, Any], status: int, seconds: float) -> None:
        endpoint, service = endpoint_of(scope["path"], self.services)
        codes = state.get("log_codes") or []
        self.metrics.observe_request(endpoint, service, status, seconds, codes)
        suppressed = state.get("log_suppressed")
        if not request_log.isEnabledFor(logging.INFO):
            return
        fields: dict[str, Any] = {
            "ts": timestamp(time.time()), "level": "info", "logger": request_log.name,
            "event": "request", "method": scope["method"], "endpoint": endpoint, "status": status,
            "duration_ms": round(seconds * 1000, 2),
        }
        if service:
            fields["service"] = service
        req = state.get("log_request")
        patient_id = None
        if req is not None:
            fields["hookInstance"], patient_id = req
            patient = self.patient_ids.field(patient_id)
            if patient is not None:
                fields[patient[0]] = patient[1]
        if endpoint == "service" and status == 200:
            fields["advice"] = codes
        if suppressed:
            fields["suppressed"] = suppressed
        if status >= 400 and "log_error" in state:
            error = str(state["log_error"])
            if self.patient_ids.mode != "plain":  # a message naming the patient, as the client is told it
                error = without_patient(error, patient_id)
            fields["error"] = error[:FIELD_LIMIT * 2]
        try:  # straight to stderr: logging's record/caller machinery would cost ~30 us a line
            write_line(fields)
        except Exception:  # a log line must never fail a request
            pass


# A patient reference in an error message ("not about Patient/pt-1"): the log names the patient only as
# CDS_LOG_PATIENT_ID says, so the patient's id is left out of the `error` field
_PATIENT_REFERENCE = re.compile(r"\bPatient/[A-Za-z0-9\-.]{1,64}")
_ID_CHARS = "A-Za-z0-9\\-."
_SHORTEST_BARE_ID = 4  # a bare id shorter than this ("1", "64") is left: it would blank counts and indexes, not a patient


def without_patient(message: str, patient_id: str | None) -> str:
    """`message` with the call's own patient id shown as `…` (after "Patient/", or as a whole word of at least
    `_SHORTEST_BARE_ID` characters), and then any other `Patient/<id>` reference likewise: the call's id first, since
    it may hold characters a FHIR id does not ("Patient/Jens Hansen")."""
    if patient_id:
        message = message.replace(f"Patient/{patient_id}", "Patient/…")
        if len(patient_id) >= _SHORTEST_BARE_ID:  # not inside a longer id; a full stop after it may end the sentence
            message = re.sub(f"(?<![{_ID_CHARS}]){re.escape(patient_id)}(?![A-Za-z0-9\\-]|\\.[A-Za-z0-9])", "…",
                             message)
    return _PATIENT_REFERENCE.sub("Patient/…", message)


# -- client-chosen strings on their way into a log line ---------------------------------------
# C0 and C1 controls, DEL, line/paragraph separators, bidi embeddings/overrides/isolates, BOM
# and lone surrogates: what could split, recolour or visually reorder a line in a terminal.
_UNSAFE = dict.fromkeys([*range(0x20), *range(0x7F, 0xA0), 0x200E, 0x200F, 0x2028, 0x2029, *range(0x202A, 0x202F),
                         *range(0x2066, 0x206A), 0xFEFF, *range(0xD800, 0xE000)], "?")


def sanitise(value: object, limit: int = FIELD_LIMIT) -> str:
    """A request-derived value as a log line may show it: at most `limit` characters, unsafe ones as `?`."""
    text = value if isinstance(value, str) else str(value)
    if len(text) > limit:
        text = text[:max(limit - 1, 0)] + "…"
    return text.translate(_UNSAFE)
