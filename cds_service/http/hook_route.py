"""`POST /cds-services/{id}` straight to the hook handler, in plain ASGI.

Why: every chart opened can call a hook, and FastAPI's router, request object,
dependency solving and exception middleware cost about as much per request as a
whole out-of-scope evaluation. This middleware sits innermost among the service's
own middleware (request log, body limit, CORS, authentication all still apply) and
answers the hook calls itself; every other request, and anything it does not
recognise, goes on to the FastAPI application. The FastAPI route for the same path
stays for the OpenAPI document and calls the same handler, so both give one answer.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any, Awaitable, Callable

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ServiceError, check_json_content_type, error_body
from .logs import FIELD_LIMIT, note_error, sanitise

PREFIX = "/cds-services/"
JSON_HEADERS = [(b"content-type", b"application/json")]

# (service id, body, Accept-Language, the request's scope state, its origin) -> the JSON answer
HookHandler = Callable[[str, bytes, "str | None", dict[str, Any], str], Awaitable[bytes]]

log = logging.getLogger("cds_service")


def service_id_of(scope: Scope) -> str | None:
    """The service id of a hook call (`POST /cds-services/<one segment>`), else None."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    path: str = scope["path"]
    if not path.startswith(PREFIX):
        return None
    service_id = path[len(PREFIX):]
    return service_id if service_id and "/" not in service_id else None


def header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            text: str = value.decode("latin-1")
            return text
    return None


def request_origin(scope: Scope) -> str:
    """`scheme://host[:port]` as the client called it (Host header, else the server's address)."""
    scheme = scope.get("scheme", "http")
    host = header(scope, b"host")
    if not host and scope.get("server"):
        server_host, port = scope["server"]
        default = {"http": 80, "https": 443}.get(scheme)
        host = server_host if port in (None, default) else f"{server_host}:{port}"
    return f"{scheme}://{host}"


async def read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # disconnected: whatever arrived (the parse names the problem)
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)  # one chunk: joined without a copy


def answer_error(exc: Exception, state: dict[str, Any]) -> tuple[int, bytes]:
    """(status, OperationOutcome JSON) for an error; the FastAPI exception handlers use it too."""
    if isinstance(exc, ServiceError):
        note_error(state, sanitise(exc.message, 2 * FIELD_LIMIT))  # messages may quote the client (its hook, a path)
        return exc.status, orjson.dumps(error_body(exc.status, exc.message))
    # The type and traceback only, never the message: messages can carry request data.
    log.error("unexpected error %s\n%s", type(exc).__name__, "".join(traceback.format_tb(exc.__traceback__)))
    note_error(state, type(exc).__name__)
    return 500, orjson.dumps(error_body(500, "internal error; the request was not evaluated"))


class HookRoute:
    """Pure ASGI: hook calls to `handler`, everything else to the wrapped application."""

    def __init__(self, app: ASGIApp, *, handler: HookHandler,
                 language: Callable[["str | None"], str] | None = None) -> None:
        self.app = app
        self.handler = handler
        self.language = language  # Accept-Language -> the cards' language, named in the answer's headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        service_id = service_id_of(scope)
        if service_id is None:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        try:
            body = await read_body(receive)
            check_json_content_type(header(scope, b"content-type"))
            status, content = 200, await self.handler(service_id, body, header(scope, b"accept-language"), state,
                                                      request_origin(scope))
        except Exception as exc:
            status, content = answer_error(exc, state)
        logged = state.get("log_request")
        if isinstance(logged, tuple) and len(logged) == 2:  # hookInstance and patientId are the client's strings
            state["log_request"] = (sanitise(logged[0]), sanitise(logged[1]))
        headers = [*JSON_HEADERS, (b"content-length", str(len(content)).encode())]
        if status == 200 and self.language is not None:  # the cards' language follows the header: say which, and
            accepted = header(scope, b"accept-language")  # that a cache must key on it
            headers += [(b"content-language", self.language(accepted).encode()), (b"vary", b"Accept-Language")]
        start: Message = {"type": "http.response.start", "status": status, "headers": headers}
        await send(start)
        await send({"type": "http.response.body", "body": content})
