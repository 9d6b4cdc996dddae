"""Request limits: header size (431), body size (413), body read time (408), JSON depth (400), resources (413).

Why here and not in the handler: the header limit must hold before anything reads a
header (the token, the language), and the body limit before the body is buffered,
including chunked bodies that announce no Content-Length, so it is a pure ASGI middleware
counting bytes as they stream in. Depth and resource count need the bytes/JSON and are
checked by `check_request` right after the envelope is parsed; a limit that is hit is
always an error naming the limit, never a silent truncation.
"""

from __future__ import annotations

import asyncio
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import BadRequest, BodyTimeout, HeadersTooLarge, PayloadTooLarge, error_response
from ..settings import Settings


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = Settings.max_body_bytes
    max_resources: int = Settings.max_resources
    max_json_depth: int = Settings.max_json_depth
    body_timeout: float = Settings.body_timeout
    max_header_bytes: int = Settings.max_header_bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> "Limits":
        return cls(settings.max_body_bytes, settings.max_resources, settings.max_json_depth, settings.body_timeout,
                   settings.max_header_bytes)


# -- JSON depth, measured on the bytes --------------------------------------------------------
# A walk over the parsed tree costs a Python step per value; this costs a few C passes:
# drop escaped backslashes, then escaped quotes (so an escaped quote cannot end a string);
# keep only brackets and quotes. When no string holds a bracket (every quote then sits next
# to its partner: the quotes count twice the `""` pairs, counted left to right), the quotes
# go too. Otherwise drop every `""` (a string holding no bracket: removing two adjacent
# quotes leaves every later bracket's in-string parity as it was) and what is left inside
# strings (every other piece between quotes). Then peel: one `replace` of `()`
# removes every innermost pair at once, so the number of peels until nothing is left is the
# depth. A typical request is ~11 deep, so a few peels leave only the outer brackets; past
# `_PEELS` the running sum of +1/-1 of what is left finishes the count (linear, however deep).
_MARKS = b'[]{}"'
_NOT_MARK = bytes(b for b in range(256) if b not in _MARKS)
_PAIRS = bytes.maketrans(b"[{]}", b"(())")
_STEP = bytes.maketrans(b"()", b"\x01\xff")
_PEELS = 16

def json_depth(body: bytes | bytearray) -> int:
    """Nesting depth of a JSON text (`[]` is 1, `{"a": [1]}` is 2); meaningful for valid JSON."""
    if b"\\" in body:
        body = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = body.translate(None, _NOT_MARK)
    if marks.count(b'"') == 2 * marks.count(b'""'):  # a chart's strings hold no brackets: one pass fewer
        pairs = marks.translate(_PAIRS, b'"')
    else:
        marks = marks.replace(b'""', b"")
        if b'"' in marks:
            marks = b"".join(marks.split(b'"')[::2])
        pairs = bytes(marks.translate(_PAIRS))
    depth = 0
    while pairs and depth < _PEELS:
        pairs = pairs.replace(b"()", b"")
        depth += 1
    if pairs:
        depth += max(accumulate(array("b", pairs.translate(_STEP))))
    return depth


def too_deep(body: bytes | bytearray, limit: int) -> bool:
    """Is the JSON nested deeper than `limit`? Free when it has fewer brackets than that.

    For bytes not yet known to be JSON: `json_depth` may over-count unbalanced brackets, and
    with no more opening brackets than `limit` there is nothing to count.
    """
    return body.count(b"[") + body.count(b"{") > limit and json_depth(body) > limit


def parsed_too_deep(body: bytes | bytearray, limit: int) -> bool:
    """`too_deep` for a body that parsed as JSON, where `json_depth` is exact.

    Every level takes a byte, so a body no longer than `limit` is never too deep; a chart is
    thousands of bytes and always has more than `limit` brackets, so counting them first
    (two passes over the body, as long as `json_depth` itself) would only add to its cost.
    """
    return len(body) > limit and json_depth(body) > limit


def too_deep_error(limit: int) -> BadRequest:
    return BadRequest(f"the request JSON is nested deeper than {limit} levels (CDS_MAX_JSON_DEPTH)")


def parse_request_json(body: bytes, max_depth: int) -> Any:
    """The request body as JSON; 400 naming what is wrong.

    orjson refuses JSON nested deeper than 1024 levels with its own "depth limit exceeded":
    such a body is nested deeper than CDS_MAX_JSON_DEPTH too, and says so, as a body nested
    201 levels deep does (one message for one limit).
    """
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if too_deep(body, max_depth):
            raise too_deep_error(max_depth) from None
        raise BadRequest(f"the request body is not valid JSON ({exc.msg})") from None


def count_resources(prefetch: Mapping[str, Any] | None) -> int:
    """Resources in the prefetch: one per resource value, one per entry of a Bundle."""
    count = 0
    for value in (prefetch or {}).values():
        if isinstance(value, Mapping):
            entry = value.get("entry")
            count += len(entry) if value.get("resourceType") == "Bundle" and isinstance(entry, list) else 1
    return count


def resources_in(req: Any) -> int:
    """Resources the client sent: prefetch and draft orders (what CDS_MAX_RESOURCES counts)."""
    return count_resources(req.prefetch) + len(getattr(req, "draft_orders", ()) or ())


def check_request(body: bytes, req: Any, limits: Limits) -> None:
    """Raise 400 for JSON nested too deep and 413 for too many resources (prefetch and draft orders)."""
    if parsed_too_deep(body, limits.max_json_depth):
        raise too_deep_error(limits.max_json_depth)
    count = resources_in(req)
    if count > limits.max_resources:
        raise PayloadTooLarge(
            f"the request holds {count} prefetched resources, more than the limit of {limits.max_resources} "
            "(CDS_MAX_RESOURCES); nothing was evaluated"
        )


# -- body size and read time ------------------------------------------------------------------
def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def header_bytes(scope: Scope) -> int:
    """Bytes of the request's header names and values (what CDS_MAX_HEADER_BYTES bounds)."""
    return sum(len(name) + len(value) for name, value in scope.get("headers") or ())


class BodyLimitMiddleware:
    """Refuse headers over `max_header_bytes` (431), bodies over `max_bytes` (413) and bodies
    that take over `timeout` s to arrive (408).

    Headers and a declared Content-Length over the limit are answered before the app runs;
    otherwise body bytes are counted as the app reads them and the read raises the error,
    which the app's ServiceError handler turns into the usual OperationOutcome.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, timeout: float,
                 max_header_bytes: int = Settings.max_header_bytes) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_header_bytes = max_header_bytes

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(f"the request body is larger than {self.max_bytes} bytes (CDS_MAX_BODY_BYTES)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if header_bytes(scope) > self.max_header_bytes:
            exc: PayloadTooLarge | HeadersTooLarge = HeadersTooLarge(
                f"the request headers are larger than {self.max_header_bytes} bytes (CDS_MAX_HEADER_BYTES)")
            await error_response(exc.status, exc.message, {"Connection": "close"})(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            exc = self._too_large()
            await error_response(exc.status, exc.message, {"Connection": "close"})(scope, receive, send)
            return
        received = 0
        done = False
        deadline: float | None = None
        started = False

        async def limited_receive() -> Message:
            nonlocal received, done, deadline
            if done:  # after the body: disconnect listeners wait as long as they like
                return await receive()
            loop = asyncio.get_running_loop()
            if deadline is None:
                deadline = loop.time() + self.timeout
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout(f"the request body did not arrive within {self.timeout:g} s (CDS_BODY_TIMEOUT)") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise self._too_large()
                done = not message.get("more_body", False)
            else:
                done = True
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except (PayloadTooLarge, BodyTimeout) as exc:  # raised where no handler caught it
            if started:
                raise
            await error_response(exc.status, exc.message, {"Connection": "close"})(scope, receive, send)
