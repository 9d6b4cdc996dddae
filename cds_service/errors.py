"""Every error the service raises on purpose, in one hierarchy.

```
IgsubError
├── ConfigError        the configuration is unusable: the service refuses to start (exit 78)
├── ServiceError       answered over HTTP as a FHIR OperationOutcome with `status`
│   ├── BadRequest 400, Unauthorized 401, Forbidden 403, NotFound 404,
│   └── BodyTimeout 408, PreconditionFailed 412, PayloadTooLarge 413, HeadersTooLarge 431
├── InputError         a tool's input (bundle, draft order, export, date) is unusable (exit 2)
├── DataError          one field of one resource cannot be used: it becomes a data note
└── UpstreamError      the EHR's FHIR server or a key server failed us (a 412 or a 401)
```

The rules library (`cql_like_rules`) is a package of its own and raises `RulesError`
(a bad value set or policy file); the service turns it into a `ConfigError` at start-up.

The HTTP error body is `{"resourceType": "OperationOutcome", "issue": [{"severity":
"error", "code": ..., "diagnostics": "<what is wrong>"}]}` (as CDS Hooks 3.0 advises); the
message names what is wrong and never echoes tokens or resource contents.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

import orjson
from starlette.responses import Response

ISSUE_CODES = {400: "invalid", 401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
               408: "timeout", 412: "incomplete", 413: "too-costly", 415: "invalid", 431: "too-costly",
               500: "exception"}

EXIT_INPUT = 2  # a tool's input or arguments are unusable
EXIT_CONFIG = 78  # EX_CONFIG (sysexits.h): the configuration is unusable, nothing was started


class IgsubError(Exception):
    """Base of every error the service raises on purpose; `message` is safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(IgsubError):
    """The configuration is unusable: the service refuses to start, saying why."""


class ServiceError(IgsubError):
    """An error the service answers with a status and a message (never a stack trace)."""

    status = 500


class BadRequest(ServiceError):
    status = 400


class Unauthorized(ServiceError):
    """The call is not authenticated; `message` is for the log, never the response."""

    status = 401

    @property
    def reason(self) -> str:
        return self.message


class Forbidden(ServiceError):
    status = 403


class NotFound(ServiceError):
    status = 404


def unknown_service(service_id: str, known: Iterable[str]) -> NotFound:
    """A call to a service id this service does not have: names the ids it has, and where they are listed."""
    shown = service_id if len(service_id) <= 80 else service_id[:80] + "..."
    return NotFound(f"no CDS service with id '{shown}'; the services here are {', '.join(known)} "
                    "(GET /cds-services lists them)")


class BodyTimeout(ServiceError):
    status = 408


class PreconditionFailed(ServiceError):
    """CDS Hooks: the data the service needs can be had neither from prefetch nor the FHIR server."""

    status = 412


class UnsupportedMediaType(ServiceError):
    status = 415


# JSON under its other names, which an HTTP client or an older FHIR stack may still send (FHIR DSTU2's
# application/json+fhir, text/json): none is a type a web page can send without a CORS preflight.
LEGACY_JSON = frozenset({"application/json", "application/json+fhir", "text/json", "text/x-json"})


def check_json_content_type(content_type: str | None) -> None:
    """A request body the service parses must be sent as JSON (CDS Hooks: application/json), in every mode and on
    every POST route (hook calls, feedback). `text/plain` or a form, which a web page can send without a CORS
    preflight, is refused, and so is a body with no Content-Type at all: a page can send that without a preflight
    too (a Blob or ArrayBuffer body), and a client that omits the header is told which one to send."""
    if content_type is None or not content_type.strip():
        raise UnsupportedMediaType("the request has no Content-Type header: send the body with Content-Type: "
                                   "application/json (curl: -H 'Content-Type: application/json')")
    media = content_type.split(";", 1)[0].strip().lower()
    if media in LEGACY_JSON or (media.startswith("application/") and media.endswith("+json")):
        return
    shown = content_type if len(content_type) <= 60 else content_type[:60] + "..."
    raise UnsupportedMediaType(f"Content-Type {shown!r} is not JSON: send the body with Content-Type: "
                               "application/json (curl: -H 'Content-Type: application/json')")


class PayloadTooLarge(ServiceError):
    status = 413


class HeadersTooLarge(ServiceError):
    status = 431


class InputError(IgsubError):
    """A tool's input is not usable (a bundle, a draft order, an export, a date); exit code 2."""


class DataError(IgsubError, ValueError):
    """One field of one resource cannot be used; the resource is skipped and named in a data note."""


class Contradiction(DataError):
    """A result whose fields say two things (a value and a reason it is missing, a unit and a unit code that convert
    differently, a comparator that is no sign, no status a result has): it is no plain result, and is named as such."""


class UpstreamError(IgsubError):
    """A server the service depends on per request (the EHR's FHIR server, a JWK Set URL) failed."""


def error_body(status: int, message: str) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": ISSUE_CODES.get(status, "processing"), "diagnostics": message}],
    }


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return Response(orjson.dumps(error_body(status, message)), status_code=status,
                    media_type="application/json", headers=headers)
