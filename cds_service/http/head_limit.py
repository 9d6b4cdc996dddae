"""A cap on the request head in the server itself, before the application sees anything.

uvicorn's default HTTP parser (httptools) reads a request line and headers of any size:
a 32 MB header is buffered whole, outside every limit the application sets on bodies.
`HeadLimitedHttpTools` counts the bytes received while a head is still incomplete and,
past the cap, answers 431 with the service's OperationOutcome and closes the connection.
(With the h11 parser, uvicorn's own `h11_max_incomplete_event_size` does the same job,
with a plain-text 400.) The application checks the exact header size again
(`limits.BodyLimitMiddleware`), so this cap only needs to be a hard stop on memory: the
header cap plus room for the request line.

Used by `cds-service serve` (`uvicorn_http_options`); in-process tools and tests that run
uvicorn themselves rely on the application's check alone.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

from ..errors import error_body

log = logging.getLogger("cds_service.http")

REQUEST_LINE_ALLOWANCE = 8 * 1024  # a request line (method, path, query) on top of the header cap


def head_limit(max_header_bytes: int) -> int:
    return max_header_bytes + REQUEST_LINE_ALLOWANCE


def uvicorn_http_options(max_header_bytes: int) -> dict[str, Any]:
    """uvicorn options that cap the request head, whichever parser is installed."""
    options: dict[str, Any] = {"h11_max_incomplete_event_size": head_limit(max_header_bytes)}
    try:
        import httptools  # noqa: F401  uvicorn's default parser when installed
    except ImportError:
        return {**options, "http": "h11"}
    return {**options, "http": "cds_service.http.head_limit:HeadLimitedHttpTools"}


def refusal(max_header_bytes: int) -> bytes:
    """The raw 431 answer: the same OperationOutcome the application gives."""
    body = orjson.dumps(error_body(431, f"the request headers are larger than {max_header_bytes} bytes "
                                        "(CDS_MAX_HEADER_BYTES)"))
    return (b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: application/json\r\n"
            b"content-length: " + str(len(body)).encode() + b"\r\nconnection: close\r\n\r\n" + body)


try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # httptools not installed: uvicorn_http_options chooses h11
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

if HttpToolsProtocol is not None:

    class HeadLimitedHttpTools(HttpToolsProtocol):
        """httptools, refusing a request head larger than `config.h11_max_incomplete_event_size`."""

        def __init__(self, config: Any, *args: Any, **kwargs: Any) -> None:
            super().__init__(config, *args, **kwargs)
            self._head_limit = config.h11_max_incomplete_event_size or head_limit(32 * 1024)
            self._head_bytes = 0
            self._in_head = True
            self._heads = 0  # heads completed on this connection
            self._refused = False

        def data_received(self, data: bytes) -> None:
            if self._refused:
                return
            was_in_head, heads = self._in_head, self._heads
            super().data_received(data)
            # Counted after parsing, and only a chunk that is head from end to end: one that
            # completes a head, or ends a body (a large body's last read can be 200 KB), is
            # not head. The parser holds at most the cap plus one read.
            if was_in_head and self._in_head and self._heads == heads and not self.transport.is_closing():
                self._head_bytes += len(data)
                if self._head_bytes > self._head_limit:
                    self._refuse()

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._heads += 1
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_head, self._head_bytes = True, 0  # what follows is the next request's head
            super().on_message_complete()

        def _refuse(self) -> None:
            self._refused = True
            client = self.client[0] if self.client else "?"
            log.warning("431 from %s: request head over %d bytes; connection closed", client, self._head_limit)
            max_header_bytes = self._head_limit - REQUEST_LINE_ALLOWANCE
            self.transport.write(refusal(max_header_bytes))
            self.transport.close()
