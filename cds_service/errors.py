"""One error shape for every endpoint: a FHIR OperationOutcome (as CDS Hooks 3.0 advises).

Body: `{"resourceType": "OperationOutcome", "issue": [{"severity": "error", "code": ...,
"diagnostics": "<what is wrong>"}]}`. The message names what is wrong in the request and
never echoes tokens or resource contents.
"""

from __future__ import annotations

import orjson
from starlette.responses import Response

ISSUE_CODES = {400: "invalid", 401: "login", 404: "not-found", 405: "not-supported", 412: "incomplete", 413: "too-costly", 415: "invalid", 500: "exception"}


class ServiceError(Exception):
    """An error the service answers with a status and a message (never a stack trace)."""

    status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ServiceError):
    status = 400


class NotFound(ServiceError):
    status = 404


class PreconditionFailed(ServiceError):
    """CDS Hooks: the data the service needs can be had neither from prefetch nor the FHIR server."""

    status = 412


def error_body(status: int, message: str) -> dict:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": ISSUE_CODES.get(status, "processing"), "diagnostics": message}],
    }


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(error_body(status, message)), status_code=status,
                    media_type="application/json", headers=headers)
