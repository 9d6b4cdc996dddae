"""The OpenAPI description: precise request and response models, documentation only.

Why documentation only: the handlers parse bytes by hand with orjson (cheap, and every
error names the field), so these models never run on the hot path. They are attached
to the routes as `openapi_extra` (request bodies) and `responses=` (one entry per status
the endpoint really answers), and the generated document is tidied once: the service
id becomes an enum per hook, FastAPI's automatic 422 goes (the service never answers
422; validation errors are 400 OperationOutcomes), and the models land in components.
Requests are described as the CDS Hooks 2.0 contract (extra fields allowed, as the spec
asks servers to ignore them); responses are closed (`additionalProperties: false`), so a
stray field in a card fails the schema tests.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import ConfigDict, Field, TypeAdapter, with_config
from typing_extensions import NotRequired, TypedDict

from cql_like_rules.catalogue import ADVICE_CODES  # noqa: E402

REF = "#/components/schemas/{model}"
FHIR_ID = r"^[A-Za-z0-9\-\.]{1,64}$"
NON_BLANK = r"\S"

Closed = ConfigDict(extra="forbid")
Open = ConfigDict(extra="allow")


# -- CDS Hooks response -----------------------------------------------------------------------
@with_config(Closed)
class Coding(TypedDict):
    """A code: a card's topic, or an override reason the user can pick."""

    code: str
    system: NotRequired[str]
    display: NotRequired[str]


@with_config(Closed)
class Topic(TypedDict):
    """The advice code (the public contract: the catalogue's codes), and its title in the card's language."""

    code: Literal[ADVICE_CODES]  # type: ignore[valid-type]
    system: NotRequired[str]
    display: NotRequired[str]


@with_config(Closed)
class Source(TypedDict):
    """Where the advice comes from: the guideline, and the advice code as the topic."""

    label: str
    url: NotRequired[str]
    icon: NotRequired[str]
    topic: NotRequired[Topic]


@with_config(Closed)
class Action(TypedDict):
    """A change the EHR can make when the user accepts the suggestion."""

    type: Literal["create", "update", "delete"]
    description: str
    resource: NotRequired[dict[str, Any]]
    resourceId: NotRequired[list[str]]


@with_config(Closed)
class Suggestion(TypedDict):
    label: str
    uuid: NotRequired[str]
    isRecommended: NotRequired[bool]
    actions: NotRequired[list[Action]]


@with_config(Closed)
class Link(TypedDict):
    label: str
    url: str
    type: Literal["absolute", "smart"]
    appContext: NotRequired[str]
    autolaunchable: NotRequired[bool]


@with_config(Closed)
class Card(TypedDict):
    """One piece of advice; `extension` carries the rule-set version that produced it (`dk.igsub-cds.ruleset`), the
    reasoning (`dk.igsub-cds.trace`) and, when there are any, every data note whole (`dk.igsub-cds.data-notes`)."""

    uuid: NotRequired[str]
    summary: Annotated[str, Field(max_length=140)]
    detail: NotRequired[str]
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: NotRequired[list[Suggestion]]
    selectionBehavior: NotRequired[Literal["at-most-one", "any"]]
    overrideReasons: NotRequired[list[Coding]]
    links: NotRequired[list[Link]]
    extension: NotRequired[dict[str, Any]]


@with_config(Closed)
class CdsResponse(TypedDict):
    """At most one card per patient; `[]` when the patient is out of scope or nothing is due."""

    cards: list[Card]
    systemActions: NotRequired[list[Action]]


# -- CDS Hooks request (patient-view) ---------------------------------------------------------
@with_config(Open)
class FhirResource(TypedDict):
    """Any FHIR R4 resource (only the fields the service reads are described)."""

    resourceType: Annotated[str, Field(pattern=r"^[A-Z][A-Za-z]+$")]
    id: NotRequired[Annotated[str, Field(pattern=FHIR_ID)]]


@with_config(Open)
class BundleEntry(TypedDict):
    fullUrl: NotRequired[str]
    resource: NotRequired[FhirResource]
    search: NotRequired[dict[str, Any]]


@with_config(Open)
class BundleLink(TypedDict):
    relation: str
    url: str


@with_config(Open)
class Bundle(TypedDict):
    """A search result; a `next` link means a partial result, which the service will not use."""

    resourceType: Literal["Bundle"]
    type: str
    total: NotRequired[Annotated[int, Field(ge=0)]]
    link: NotRequired[list[BundleLink]]
    entry: NotRequired[list[BundleEntry]]


Prefetched = Annotated[Bundle | FhirResource | None, Field(description="null = no data; absent = not prefetched")]


@with_config(Open)
class PatientViewPrefetch(TypedDict):
    """The keys announced at discovery; an absent key is fetched from `fhirServer` or answered 412."""

    patient: NotRequired[FhirResource | None]
    observations: NotRequired[Prefetched]
    procedures: NotRequired[Prefetched]
    medicationRequests: NotRequired[Prefetched]
    medicationAdministrations: NotRequired[Prefetched]
    conditions: NotRequired[Prefetched]
    medicationStatements: NotRequired[Prefetched]
    diagnosticReports: NotRequired[Prefetched]
    encounters: NotRequired[Prefetched]


@with_config(Open)
class PatientViewContext(TypedDict):
    userId: Annotated[str, Field(pattern=r"^(Practitioner|PractitionerRole|Patient|RelatedPerson)/[A-Za-z0-9\-\.]{1,64}$")]
    patientId: Annotated[str, Field(pattern=FHIR_ID)]
    encounterId: NotRequired[Annotated[str, Field(pattern=FHIR_ID)]]


@with_config(Open)
class FhirAuthorization(TypedDict):
    """The bearer token for `fhirServer`; it is sent nowhere else and never logged."""

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: Annotated[int, Field(ge=0)]
    scope: str
    subject: str
    patient: NotRequired[Annotated[str, Field(pattern=FHIR_ID)]]


@with_config(ConfigDict(extra="allow", json_schema_extra={"dependentRequired": {"fhirAuthorization": ["fhirServer"]}}))
class PatientViewRequest(TypedDict):
    """A patient-view call. `fhirAuthorization` requires `fhirServer`."""

    hook: Literal["patient-view"]
    hookInstance: Annotated[str, Field(pattern=NON_BLANK)]
    fhirServer: NotRequired[Annotated[str, Field(json_schema_extra={"format": "uri"})]]
    fhirAuthorization: NotRequired[FhirAuthorization]
    context: PatientViewContext
    prefetch: NotRequired[PatientViewPrefetch | None]


@with_config(Open)
class DraftResource(TypedDict):
    """A draft order; selections and suggestions refer to it by type and id."""

    resourceType: Annotated[str, Field(pattern=r"^[A-Z][A-Za-z]+$")]
    id: Annotated[str, Field(pattern=FHIR_ID)]


@with_config(Open)
class DraftEntry(TypedDict):
    resource: DraftResource


@with_config(Open)
class DraftOrders(TypedDict):
    resourceType: Literal["Bundle"]
    type: NotRequired[str]
    entry: NotRequired[list[DraftEntry]]


USER_ID = Annotated[str, Field(pattern=r"^(Practitioner|PractitionerRole|Patient|RelatedPerson)/[A-Za-z0-9\-\.]{1,64}$")]
PATIENT_ID = Annotated[str, Field(pattern=FHIR_ID)]
HOOK_INSTANCE = Annotated[str, Field(pattern=NON_BLANK)]
FHIR_SERVER = Annotated[str, Field(json_schema_extra={"format": "uri"})]
NEEDS_SERVER = ConfigDict(extra="allow", json_schema_extra={"dependentRequired": {"fhirAuthorization": ["fhirServer"]}})


@with_config(Open)
class OrderSignContext(TypedDict):
    userId: USER_ID
    patientId: PATIENT_ID
    encounterId: NotRequired[PATIENT_ID]
    draftOrders: DraftOrders


@with_config(Open)
class OrderSelectContext(TypedDict):
    userId: USER_ID
    patientId: PATIENT_ID
    encounterId: NotRequired[PATIENT_ID]
    selections: list[Annotated[str, Field(pattern=r"^[A-Z][A-Za-z]+/[A-Za-z0-9\-\.]{1,64}$")]]
    draftOrders: DraftOrders


@with_config(NEEDS_SERVER)
class OrderSelectRequest(TypedDict):
    """An order-select call: advice on the selected draft orders."""

    hook: Literal["order-select"]
    hookInstance: HOOK_INSTANCE
    fhirServer: NotRequired[FHIR_SERVER]
    fhirAuthorization: NotRequired[FhirAuthorization]
    context: OrderSelectContext
    prefetch: NotRequired[PatientViewPrefetch | None]


@with_config(NEEDS_SERVER)
class OrderSignRequest(TypedDict):
    """An order-sign call: advice on every draft order."""

    hook: Literal["order-sign"]
    hookInstance: HOOK_INSTANCE
    fhirServer: NotRequired[FHIR_SERVER]
    fhirAuthorization: NotRequired[FhirAuthorization]
    context: OrderSignContext
    prefetch: NotRequired[PatientViewPrefetch | None]


# -- discovery, feedback, errors --------------------------------------------------------------
@with_config(Closed)
class Service(TypedDict):
    hook: str
    id: str
    title: NotRequired[str]
    description: str
    prefetch: NotRequired[dict[str, str]]
    usageRequirements: NotRequired[str]
    extension: NotRequired[dict[str, Any]]  # dk.igsub-cds.advice-codes (from the catalogue), dk.igsub-cds.ruleset


@with_config(Closed)
class Discovery(TypedDict):
    services: list[Service]


@with_config(Open)
class OverrideReason(TypedDict):
    reason: NotRequired[Coding]
    userComment: NotRequired[str]


@with_config(Open)
class AcceptedSuggestion(TypedDict):
    id: str


@with_config(Open)
class FeedbackItem(TypedDict):
    card: str
    outcome: Literal["accepted", "overridden"]
    outcomeTimestamp: str
    acceptedSuggestions: NotRequired[list[AcceptedSuggestion]]
    overrideReason: NotRequired[OverrideReason]


@with_config(Open)
class FeedbackRequest(TypedDict):
    feedback: Annotated[list[FeedbackItem], Field(min_length=1)]


@with_config(Closed)
class FeedbackResponse(TypedDict):
    """Committed: an empty object."""



@with_config(Closed)
class Issue(TypedDict):
    severity: Literal["fatal", "error", "warning", "information"]
    code: str
    diagnostics: str


@with_config(Closed)
class OperationOutcome(TypedDict):
    """The service's one error shape: what is wrong, never echoing tokens or resource contents."""

    resourceType: Literal["OperationOutcome"]
    issue: Annotated[list[Issue], Field(min_length=1)]


MODELS: dict[str, Any] = {
    m.__name__: m
    for m in (CdsResponse, PatientViewRequest, OrderSelectRequest, OrderSignRequest, Discovery, FeedbackRequest, FeedbackResponse, OperationOutcome)
}
REQUEST_MODEL_OF_HOOK = {
    "patient-view": "PatientViewRequest", "order-select": "OrderSelectRequest", "order-sign": "OrderSignRequest",
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(model=name)}


def json_response(description: str, model: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(model)}}}


def _error(description: str) -> dict[str, Any]:
    return json_response(description, "OperationOutcome")


UNAUTHORIZED = {**_error("No valid client JWT (CDS_AUTH=on); never says why"),
                "headers": {"WWW-Authenticate": {"schema": {"type": "string", "const": "Bearer"}}}}
BODY_ERRORS: dict[int | str, dict[str, Any]] = {
    408: _error("The request body did not arrive within CDS_BODY_TIMEOUT"),
    413: _error("The request body exceeds CDS_MAX_BODY_BYTES, or the prefetch holds more than CDS_MAX_RESOURCES resources"),
}
NOT_JSON = _error("The request has no Content-Type, or one that is neither application/json nor an "
                  "application/*+json type (text/json and application/json+fhir are read as JSON too)")
# Answered by the middleware before any route, so by every operation (documented in `tidy`).
HEADERS_TOO_LARGE = _error("The request headers exceed CDS_MAX_HEADER_BYTES")
DECLARED_TOO_LARGE = _error("The request declares a Content-Length over CDS_MAX_BODY_BYTES")
NOT_ALLOWED = {**_error("This path does not answer this method; Allow names the methods it does"),
               "headers": {"Allow": {"required": True, "schema": {"type": "string"}}}}
METHODS = ("get", "put", "post", "delete", "patch")  # each path documents all of them: the others answer 405
# Methods an OpenAPI operation per path would only repeat (cds_service/http/head.py, CORS in auth.py).
OTHER_METHODS = (
    "HEAD is answered wherever GET is, as GET without a body (same status and headers); every 405's `Allow` "
    "names HEAD beside GET. OPTIONS and TRACE are answered 405 with `Allow`, except a CORS preflight (OPTIONS "
    "with `Origin` and `Access-Control-Request-Method`) where CORS is on (CDS_CORS_ORIGINS, or loopback origins "
    "in development mode): 200 with the `Access-Control-Allow-*` headers for an allowed origin, 400 otherwise."
)
PROTECTED_PREFIX = "/cds-services"  # behind the client JWT when CDS_AUTH=on (auth.py)


Responses = dict[int | str, dict[str, Any]]  # FastAPI's `route.responses`: by status code


def _service_docs(hooks: Mapping[str, str]) -> tuple[dict[str, Any], Responses]:
    requests = [_ref(REQUEST_MODEL_OF_HOOK[h]) for h in dict.fromkeys(hooks.values())]
    body = requests[0] if len(requests) == 1 else {"oneOf": requests}
    extra = {"requestBody": {"required": True, "content": {"application/json": {"schema": body}}}}
    responses: Responses = {
        200: json_response("The cards for this patient (possibly none)", "CdsResponse"),
        400: _error("Malformed request: not JSON, nested deeper than CDS_MAX_JSON_DEPTH, or a field missing or of the wrong type"),
        401: UNAUTHORIZED,
        404: _error("No CDS service with this id"),
        **BODY_ERRORS,
        412: _error("Prefetch incomplete and the data could not be fetched from fhirServer"),
    }
    return extra, responses


NOT_CACHED = {name: {"schema": {"type": "string"}} for name in ("Cache-Control", "Referrer-Policy")}
EXPLANATION_PAGE = {
    "description": "The card's explanation page: self-contained HTML (inline CSS and SVG, no script), in the card's "
                   "language; nothing is loaded when it is shown",
    "content": {"text/html": {"schema": {"type": "string"}}},
    "headers": {name: {"schema": {"type": "string"}} for name in (
        "Content-Security-Policy", "Cache-Control", "X-Content-Type-Options", "Referrer-Policy")},
}

DOCS: dict[tuple[str, str], tuple[dict[str, Any], Responses]] = {
    ("/cds-services", "GET"): ({}, {200: json_response("The services this server offers", "Discovery"), 401: UNAUTHORIZED}),
    ("/cds-services/{service_id}/feedback", "POST"): (
        {"requestBody": {"required": True, "content": {"application/json": {"schema": _ref("FeedbackRequest")}}}},
        {200: json_response("Feedback stored", "FeedbackResponse"), 400: _error("Malformed feedback, or about a card this service did not issue"),
         401: UNAUTHORIZED, 404: _error("No CDS service with this id"), **BODY_ERRORS},
    ),
    ("/explain/{card_uuid}", "GET"): ({}, {
        200: EXPLANATION_PAGE,
        403: {**_error("The token `t` is missing, malformed, altered, made for another card, or expired "
                       "(CDS_LINK_TTL_SECONDS)"), "headers": NOT_CACHED},
        404: {**_error("A valid link, but no explanation is kept for this card: unknown, not stored, or deleted after "
                       "CDS_EXPLAIN_RETENTION_DAYS"), "headers": NOT_CACHED},
    }),
}


def document(app: FastAPI, hooks: Mapping[str, str], *, auth: bool = False) -> None:
    """Attach the models to the routes and tidy the generated document (built once, on first request).

    `auth`: CDS_AUTH is on, so every /cds-services operation may answer 401.
    """
    docs = {**DOCS, ("/cds-services/{service_id}", "POST"): _service_docs(hooks)}
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        for method in route.methods or ():
            found = docs.get((route.path, method))
            if found is not None:
                route.openapi_extra = {**(route.openapi_extra or {}), **found[0]}
                route.responses = {**found[1], **route.responses}
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = tidy(generate(), hooks, auth=auth)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _every_status(paths: dict[str, Any], auth: bool) -> None:
    """The answers the middleware gives before any route: on every operation, of every method."""
    for path, item in paths.items():
        allowed = ", ".join(m.upper() for m in METHODS if m in item).replace("GET", "GET, HEAD")  # head.py
        served = next(iter(item.values()))
        parameters = [p for p in served.get("parameters", []) if p.get("in") == "path"]
        for method in METHODS:
            if method not in item:
                item[method] = {"summary": f"Not allowed here (Allow: {allowed}): 405",
                                "operationId": f"not_allowed_{method}_{path}".replace("/", "_").replace("{", "").replace("}", ""),
                                **({"parameters": copy.deepcopy(parameters)} if parameters else {}),
                                "responses": {"405": NOT_ALLOWED}}
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            if path.startswith(PROTECTED_PREFIX) and auth:
                responses.setdefault("401", UNAUTHORIZED)
            elif not auth:
                responses.pop("401", None)
            responses.setdefault("413", DECLARED_TOO_LARGE)
            responses.setdefault("431", HEADERS_TOO_LARGE)
            if method == "post" and "requestBody" in operation:
                responses.setdefault("408", BODY_ERRORS[408])
                responses.setdefault("415", NOT_JSON)
            operation["responses"] = dict(sorted(responses.items()))


def component_schemas() -> dict[str, Any]:
    _, defs = TypeAdapter.json_schemas(
        [(name, "validation", TypeAdapter(model)) for name, model in MODELS.items()], ref_template=REF
    )
    found: dict[str, Any] = defs["$defs"]
    return found


def tidy(schema: dict[str, Any], hooks: Mapping[str, str], *, auth: bool = False) -> dict[str, Any]:
    """One path per service with its hook's request model, no 422 the service never sends, models as components,
    and every status the service can give: 401 only with `auth`, 413 and 431 everywhere, 405 for other methods."""
    service_ids = list(hooks)
    paths = schema.setdefault("paths", {})
    generic = paths.pop("/cds-services/{service_id}", {}).get("post")
    if generic is not None:
        for service_id, hook in hooks.items():
            op = copy.deepcopy(generic)
            op["parameters"] = [p for p in op.get("parameters", []) if p.get("name") != "service_id"]
            if not op["parameters"]:
                del op["parameters"]
            op["operationId"] = f"call_{service_id}".replace("-", "_")
            op["summary"] = f"Call the {hook} service"
            op["requestBody"]["content"]["application/json"]["schema"] = _ref(REQUEST_MODEL_OF_HOOK[hook])
            op["responses"].pop("404", None)
            paths[f"/cds-services/{service_id}"] = {"post": op}
        unknown = copy.deepcopy(generic)
        unknown["summary"] = "Any other service id: 404"
        unknown["requestBody"] = {"content": {"application/json": {"schema": {}}}}
        unknown["responses"] = {k: v for k, v in unknown["responses"].items() if k in ("401", "404", "408", "413")}
        unknown["parameters"] = [{"name": "service_id", "in": "path", "required": True,
                                  "description": "Any id that is not announced at discovery",
                                  "schema": {"type": "string", "not": {"enum": service_ids}}}]
        paths["/cds-services/{service_id}"] = {"post": unknown}
    for path, item in paths.items():
        for operation in item.values():
            responses = operation.get("responses", {})
            if "422" in responses and responses["422"].get("description") == "Validation Error":
                del responses["422"]
            for param in operation.get("parameters", []):
                if param.get("name") == "service_id" and path.endswith("/feedback"):
                    param["schema"] = {"type": "string", "enum": service_ids}
                    param["description"] = "A service id announced at discovery (others are answered 404)"
    _every_status(paths, auth)
    schema.setdefault("info", {})["description"] = OTHER_METHODS
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    components.update(component_schemas())
    if not schema["components"]["schemas"]:
        del schema["components"]["schemas"]
    return schema
