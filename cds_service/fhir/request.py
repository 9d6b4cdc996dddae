"""The CDS Hooks request envelope, checked by hand: cheap, and every error names the field."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import BadRequest
from .entries import entry_resource


@dataclass(frozen=True)
class HookRequest:
    hook: str
    hook_instance: str
    context: Mapping[str, Any]
    patient_id: str
    prefetch: Mapping[str, Any] | None
    fhir_server: str | None
    fhir_authorization: Mapping[str, Any] | None
    draft_orders: tuple[Mapping[str, Any], ...] = ()
    selections: tuple[str, ...] | None = None  # order-select only


def _string(body: Mapping[str, Any], name: str, where: str = "") -> str:
    value = body.get(name)
    if value is None:
        raise BadRequest(f"missing required field '{where}{name}'")
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{where}{name}' must be a non-empty string")
    return value


def parse_hook_request(body: Any, expected_hook: str) -> HookRequest:
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    hook = _string(body, "hook")
    if hook != expected_hook:
        raise BadRequest(f"this service answers the '{expected_hook}' hook, not '{hook}' "
                         "(GET /cds-services lists each service's hook)")
    hook_instance = _string(body, "hookInstance")
    context = body.get("context")
    if context is None:
        raise BadRequest("missing required field 'context'")
    if not isinstance(context, dict):
        raise BadRequest("'context' must be a JSON object")
    patient_id = _string(context, "patientId", "context.")
    if "/" in patient_id:
        raise BadRequest("'context.patientId' must be a Patient id, not a reference")
    prefetch = body.get("prefetch")
    if prefetch is not None and not isinstance(prefetch, dict):
        raise BadRequest("'prefetch' must be a JSON object")
    fhir_server = body.get("fhirServer")
    if fhir_server is not None and not isinstance(fhir_server, str):
        raise BadRequest("'fhirServer' must be a URL string")
    auth = body.get("fhirAuthorization")
    if auth is not None:
        if not isinstance(auth, dict) or not isinstance(auth.get("access_token"), str):
            raise BadRequest("'fhirAuthorization' must be an object with an 'access_token'")
        if fhir_server is None:
            raise BadRequest("'fhirAuthorization' requires 'fhirServer'")
    drafts: tuple[Mapping[str, Any], ...] = ()
    selections = None
    if hook in ("order-select", "order-sign"):
        drafts = _draft_orders(context)
        if hook == "order-select":
            selections = _selections(context, drafts)
    return HookRequest(hook, hook_instance, context, patient_id, prefetch, fhir_server, auth, drafts, selections)


# What `context.draftOrders` may carry with no id, named by its entry's urn fullUrl alone (read under the id that urn
# gives: `entries.entry_resource`): a draft's drug sent beside it, which a draft names by that fullUrl. A draft order
# needs an id of its own: order-select's selections name it by it, and a card's suggestion updates it by it (an
# update under an id the EHR never gave the draft would be applied to no order, or made a second one).
NAMED_BY_URN_ALONE = frozenset({"Medication"})


def _draft_orders(context: Mapping[str, Any]) -> tuple[Mapping[str, Any], ...]:
    bundle = context.get("draftOrders")
    if bundle is None:
        raise BadRequest("missing required field 'context.draftOrders'")
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise BadRequest("'context.draftOrders' must be a FHIR Bundle")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise BadRequest("'context.draftOrders.entry' must be an array")
    out = []
    for i, entry in enumerate(entries):
        resource = entry_resource(entry)
        if resource is None or not isinstance(resource.get("resourceType"), str):
            raise BadRequest(f"'context.draftOrders.entry[{i}].resource' must be a FHIR resource")
        if not isinstance(resource.get("id"), str) or not resource["id"] or (
                resource is not entry["resource"] and resource["resourceType"] not in NAMED_BY_URN_ALONE):
            raise BadRequest(f"'context.draftOrders.entry[{i}].resource' needs an id (selections and suggestions refer "
                             f"to it; only a Medication may come with none, named by a urn:uuid fullUrl)")
        out.append(resource)
    return tuple(out)


def _selections(context: Mapping[str, Any], drafts: tuple[Mapping[str, Any], ...]) -> tuple[str, ...]:
    selections = context.get("selections")
    if selections is None:
        raise BadRequest("missing required field 'context.selections'")
    if not isinstance(selections, list) or not all(isinstance(x, str) and "/" in x for x in selections):
        raise BadRequest("'context.selections' must be an array of references like 'MedicationRequest/123'")
    # A selection names a draft of the same request (CDS Hooks order-select): one that is not there cannot be
    # judged, and answering without it would be silence on the very order the clinician selected.
    sent = {f"{d.get('resourceType')}/{d.get('id')}" for d in drafts}
    missing = [s for s in selections if s not in sent]
    if missing:
        shown = ", ".join(repr(s[:80]) for s in missing[:3]) + (f" (+{len(missing) - 3} more)" if len(missing) > 3 else "")
        raise BadRequest(f"'context.selections' names {shown}, not among 'context.draftOrders'")
    return tuple(selections)
