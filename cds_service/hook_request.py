"""The CDS Hooks request envelope, checked by hand: cheap, and every error names the field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from .errors import BadRequest


@dataclass(frozen=True)
class HookRequest:
    hook: str
    hook_instance: str
    context: Mapping[str, Any]
    patient_id: str
    prefetch: Mapping[str, Any] | None
    fhir_server: str | None
    fhir_authorization: Mapping[str, Any] | None


def _string(body: Mapping[str, Any], name: str, where: str = "") -> str:
    value = body.get(name)
    if value is None:
        raise BadRequest(f"missing required field '{where}{name}'")
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{where}{name}' must be a non-empty string")
    return value


def parse_hook_request(body: Any, expected_hook: str) -> HookRequest:
    if not isinstance(body, Mapping):
        raise BadRequest("the request body must be a JSON object")
    hook = _string(body, "hook")
    if hook != expected_hook:
        raise BadRequest(f"this service answers the '{expected_hook}' hook, not '{hook}'")
    hook_instance = _string(body, "hookInstance")
    context = body.get("context")
    if context is None:
        raise BadRequest("missing required field 'context'")
    if not isinstance(context, Mapping):
        raise BadRequest("'context' must be a JSON object")
    patient_id = _string(context, "patientId", "context.")
    if "/" in patient_id:
        raise BadRequest("'context.patientId' must be a Patient id, not a reference")
    prefetch = body.get("prefetch")
    if prefetch is not None and not isinstance(prefetch, Mapping):
        raise BadRequest("'prefetch' must be a JSON object")
    fhir_server = body.get("fhirServer")
    if fhir_server is not None and not isinstance(fhir_server, str):
        raise BadRequest("'fhirServer' must be a URL string")
    auth = body.get("fhirAuthorization")
    if auth is not None:
        if not isinstance(auth, Mapping) or not isinstance(auth.get("access_token"), str):
            raise BadRequest("'fhirAuthorization' must be an object with an 'access_token'")
        if fhir_server is None:
            raise BadRequest("'fhirAuthorization' requires 'fhirServer'")
    return HookRequest(hook, hook_instance, context, patient_id, prefetch, fhir_server, auth)
