"""HEAD answered like GET without a body (RFC 9110 §9.3.2), and HEAD named in every `Allow`.

Why: FastAPI routes declared for GET answer HEAD with 405, so a monitor or proxy that checks
`HEAD /healthz` (or a client probing `/cds-services`) is told the resource does not exist for
it. This pure-ASGI middleware runs a HEAD request as GET, keeps the status and headers
(Content-Length included, as RFC 9110 allows) and drops the body; and on every 405 whose
`Allow` names GET it adds HEAD. Hook calls pass straight through.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .hook_route import service_id_of


def with_head(allow: bytes) -> bytes:
    """An `Allow` value with HEAD added wherever GET is allowed."""
    methods = [m.strip() for m in allow.decode("latin-1").split(",") if m.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    return ", ".join(methods).encode("latin-1")


class HeadAsGet:
    """HEAD runs the GET route and answers its status and headers only; 405s list HEAD beside GET."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or service_id_of(scope) is not None:  # a hook call: as fast as before
            await self.app(scope, receive, send)
            return
        head = scope["method"] == "HEAD"

        async def send_head(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                message = {**message, "headers": [(k, with_head(v) if k.lower() == b"allow" else v)
                                                  for k, v in message["headers"]]}
            elif head and message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return  # the rest follows; only the last (empty) message is sent
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"} if head else scope, receive, send_head)
