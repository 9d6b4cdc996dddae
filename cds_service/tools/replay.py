"""Replay a FHIR Bundle through the service as an EHR would call it.

The bundle's resources become the prefetch of a CDS Hooks request (grouped under the
service's prefetch keys by resource type); the request then walks the same pipeline as a
call to the server (`pipeline.answer_local`), in process and without authentication: it is
a local tool. `--print-request` shows the request; `--url` sends it to a running service
instead (optionally signing a JWT the way a CDS client does).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any, overload

import orjson

from ..errors import InputError
from ..fhir.entries import entry_resource, full_url_key, urn_id, uuid_urn
from ..fhir.request import parse_hook_request
from ..http.discovery import HOOK_OF
from ..pipeline import Answer, answer_local
from ..runtime import Runtime

KEY_OF_TYPE = {
    "Observation": "observations",
    "Procedure": "procedures",
    "MedicationRequest": "medicationRequests",
    "MedicationAdministration": "medicationAdministrations",
    "Condition": "conditions",
    "MedicationStatement": "medicationStatements",
    "DiagnosticReport": "diagnosticReports",
    "Encounter": "encounters",
    "Medication": "medicationRequests",  # as `_include=MedicationRequest:medication` sends them
}
BUNDLE_TYPES = {"collection", "searchset", "transaction", "batch", "transaction-response", "batch-response"}


def _read_json(path: str | Path, what: str) -> Any:
    """A JSON file read by the parser the service reads requests with (orjson), so that replay
    accepts exactly what the service accepts: e.g. a lone surrogate (`"\\ud800"`), which the
    standard library's parser lets through and orjson refuses, is refused here too."""
    try:
        return orjson.loads(Path(path).read_bytes())
    except OSError as exc:
        raise InputError(f"{what}{path}: cannot read ({exc.strerror})") from None
    except orjson.JSONDecodeError as exc:
        raise InputError(f"{what}{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def load_bundle(path: str | Path) -> dict[str, Any]:
    data = _read_json(path, "")
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise InputError(f"{path}: not a FHIR Bundle (resourceType must be 'Bundle')")
    if data.get("type") not in BUNDLE_TYPES:
        raise InputError(f"{path}: Bundle.type {data.get('type')!r} is not one of {', '.join(sorted(BUNDLE_TYPES))}")
    return data


def request_from_bundle(bundle: dict[str, Any], hook: str = "patient-view", drafts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The CDS Hooks request an EHR would send for the bundle's one patient (see `request_for`): its id, or for a
    Patient sent with none (a transaction Bundle), the id its `urn:uuid:` fullUrl gives it (`entries.entry_resource`)."""
    bundle = copy.deepcopy(bundle)  # the request owns its resources; callers may reuse the bundle
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InputError("Bundle.entry must be an array")
    entries = [e for e in entries if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
    patients = [entry_resource(e) or {} for e in entries if e["resource"].get("resourceType") == "Patient"]
    if len(patients) != 1 or not isinstance(patients[0].get("id"), str) or not patients[0]["id"]:
        raise InputError(f"the Bundle must hold exactly one Patient with an id, or a urn:uuid or urn:oid fullUrl naming it "
                         f"(found {len(patients)})")
    return request_for(patients[0]["id"], entries, hook, drafts)


def request_for(patient_id: str, entries: list[dict[str, Any]], hook: str = "patient-view",
                drafts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The request for a patient's resources (`entries` as Bundle entries: `resource`, optional `fullUrl`).

    Entries keep their `fullUrl` (and a resource with no id stays so, for the service to name by its urn);
    when resources refer to the Patient by its `fullUrl`
    (`urn:uuid:...`, in any letter case), the Patient entry is included in those searchsets as FHIR's
    `_include` would (search mode "include"), so the service can tell they are the
    patient's. Without a Patient resource the `patient` key is null ("no data"); a Patient with no id is sent there
    under the id its urn gives it, as the EHR's read of `Patient/{id}` would. For order
    hooks, `drafts` are the draft orders (`context.draftOrders`); order-select selects all.
    """
    patient_entry = next((e for e in entries if e["resource"].get("resourceType") == "Patient"
                          and (entry_resource(e) or {}).get("id") == patient_id), None)
    prefetch: dict[str, Any] = {"patient": entry_resource(patient_entry) if patient_entry else None}
    for key in KEY_OF_TYPE.values():
        prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    for entry in entries:
        kind = entry["resource"].get("resourceType")
        search_key = KEY_OF_TYPE.get(kind) if isinstance(kind, str) else None
        if search_key:
            item = {"resource": entry["resource"], "search": {"mode": "match"}}
            if isinstance(entry.get("fullUrl"), str):
                item["fullUrl"] = entry["fullUrl"]
            prefetch[search_key]["entry"].append(item)
    full_url = patient_entry.get("fullUrl") if patient_entry else None
    if isinstance(full_url, str) and full_url[:4].lower() == "urn:":  # RFC 8141: "URN:" is the same scheme
        for key in KEY_OF_TYPE.values():
            written = json.dumps(prefetch[key]["entry"])
            if full_url_key(full_url) in (written.lower() if uuid_urn(full_url) else written):
                prefetch[key]["entry"].append({"fullUrl": full_url, "resource": patient_entry["resource"],  # type: ignore[index]
                                               "search": {"mode": "include"}})
    for key in KEY_OF_TYPE.values():
        prefetch[key]["total"] = sum(1 for e in prefetch[key]["entry"] if e["search"]["mode"] == "match")
    context: dict[str, Any] = {"userId": "Practitioner/replay", "patientId": patient_id}
    if hook in ("order-select", "order-sign"):
        drafts = copy.deepcopy(drafts or [])
        context["draftOrders"] = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": d} for d in drafts]}
        if hook == "order-select":
            context["selections"] = [f"{d.get('resourceType')}/{d.get('id')}" for d in drafts]
    return {"hookInstance": str(uuid.uuid4()), "hook": hook, "context": context, "prefetch": prefetch}


def unsent_types(bundle: dict[str, Any]) -> dict[str, int]:
    """The resource types of a bundle that no prefetch key asks for, with their counts: an EHR would not send
    them, so the service never sees them (an Encounter, a Specimen); a tester is told, not left to guess."""
    entries = bundle.get("entry") if isinstance(bundle.get("entry"), list) else []
    found: dict[str, int] = {}
    for entry in entries:  # type: ignore[union-attr]
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        kind = resource.get("resourceType")
        if kind != "Patient" and not (isinstance(kind, str) and kind in KEY_OF_TYPE):
            name = kind if isinstance(kind, str) and kind else "(no resourceType)"
            found[name] = found.get(name, 0) + 1
    return found


def unsent_text(unsent: dict[str, int]) -> str:
    """`unsent_types` in words for a tester ("Encounter ×2, Specimen ×1")."""
    return ", ".join(f"{kind} ×{n}" for kind, n in sorted(unsent.items()))


def load_drafts(paths: list[str]) -> list[dict[str, Any]]:
    """Draft orders from files each holding one resource or a Bundle of them. Over HTTP an EHR sends every draft with
    an id (`request.NAMED_BY_URN_ALONE`); a tester's hand-written draft often has none, or only a urn:uuid fullUrl,
    which a file's drafts lose on their way into `context.draftOrders`: each is given an id here (`_draft_id`), and a
    reference to an entry's fullUrl is written as the id it names, said on stderr."""
    drafts: list[dict[str, Any]] = []
    for path in paths:
        entries = _draft_entries(path, _read_json(path, "--draft "))
        named: dict[str, str] = {}
        for n, (full_url, resource) in enumerate(entries, 1):
            rid = resource.get("id")
            if not isinstance(rid, str) or not _FHIR_ID.fullmatch(rid):
                resource["id"] = _draft_id(path, n, full_url)
                print(f"--draft {path}: {resource['resourceType']} (entry {n}) has no id: replayed as "
                      f"{resource['resourceType']}/{resource['id']}", file=sys.stderr)
            if full_url:
                named[full_url_key(full_url)] = f"{resource['resourceType']}/{resource['id']}"
        for _, resource in entries:
            _name_by_id(resource, named)
        drafts += [resource for _, resource in entries]
    return drafts


_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")


def _draft_entries(path: str, data: Any) -> list[tuple[str, dict[str, Any]]]:
    """A draft file's resources with their fullUrls ("" for none); anything that is not a resource is refused,
    naming the file and the entry."""
    if isinstance(data, dict) and data.get("resourceType") == "Bundle":
        entries = data.get("entry") or []
        if not isinstance(entries, list) or not entries:
            raise InputError(f"--draft {path}: a Bundle with no draft order in it")
        found = [(e.get("fullUrl"), e.get("resource")) if isinstance(e, dict) else (None, None) for e in entries]
    else:
        found = [(None, data)]
    out: list[tuple[str, dict[str, Any]]] = []
    for n, (url, resource) in enumerate(found, 1):
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str) \
                or not resource["resourceType"]:
            where = "it is" if resource is data else f"entry {n} is"
            raise InputError(f"--draft {path}: {where} not a FHIR resource (no resourceType); a draft file holds one "
                             f"resource or a Bundle of them")
        out.append((url if isinstance(url, str) else "", resource))
    return out


def _draft_id(path: str, n: int, full_url: str) -> str:
    """An id for a draft that has none, the same on every run: the one its urn fullUrl gives, else the file's name
    and the entry's place ("ivig.draft-1")."""
    return urn_id(full_url) or f"{re.sub(r'[^A-Za-z0-9.-]', '-', Path(path).name.removesuffix('.json'))[:60]}-{n}"


def _name_by_id(value: Any, named: dict[str, str]) -> None:
    """Every reference in a draft to a fullUrl of its file written as the `Type/id` that entry now has."""
    if isinstance(value, dict):
        ref = value.get("reference")
        if isinstance(ref, str) and full_url_key(ref) in named:
            value["reference"] = named[full_url_key(ref)]
        for item in value.values():
            _name_by_id(item, named)
    elif isinstance(value, list):
        for item in value:
            _name_by_id(item, named)


def service_id_of(hook: str) -> str:
    return next(sid for sid, h in HOOK_OF.items() if h == hook)


def replay(runtime: Runtime, bundle: dict[str, Any], lang: str = "en", hook: str = "patient-view",
           drafts: list[dict[str, Any]] | None = None, at: date | None = None, known_on: date | None = None) -> Answer:
    """Run one bundle through the pipeline in process; a ServiceError says why it was refused. `known_on`: the day
    the chart was read (exported), when not `at`: an order's status, which FHIR does not date, is what it was then
    (a `stopped` order whose end had passed by that day ran up to its end on an earlier `at`), as the timeline reads a
    chart on the days before and after the day it was read."""
    request = parse_hook_request(request_from_bundle(bundle, hook, drafts), hook)
    return answer_local(request, runtime, lang=lang, today=at, known_on=known_on)


@overload
def parse_at(value: str, option: str = ...) -> date: ...
@overload
def parse_at(value: None, option: str = ...) -> None: ...
@overload
def parse_at(value: str | None, option: str = ...) -> date | None: ...
def parse_at(value: str | None, option: str = "--at") -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


# -- sending to a running service -------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def signed_token(key_pem: bytes, iss: str, aud: str, kid: str | None = None, jku: str | None = None,
                 lifetime: int = 300, now: float | None = None) -> str:
    """A CDS client's bearer JWT (ES384 for an EC key, RS384 for RSA), as CDS Hooks 2.0 describes."""
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except ValueError as exc:
        raise InputError(f"--sign-key: not a PEM private key ({exc})") from None
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm = "ES384"
        numbers = key.public_key().public_numbers()
        size = (key.curve.key_size + 7) // 8
        members = {"crv": "P-384", "kty": "EC", "x": _b64(numbers.x.to_bytes(size, "big")),
                   "y": _b64(numbers.y.to_bytes(size, "big"))}
    elif isinstance(key, rsa.RSAPrivateKey):
        algorithm = "RS384"
        numbers = key.public_key().public_numbers()  # type: ignore[assignment]
        members = {"e": _b64(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),  # type: ignore[attr-defined]
                   "kty": "RSA", "n": _b64(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big"))}  # type: ignore[attr-defined]
    else:
        raise InputError("--sign-key: only EC P-384 (ES384) and RSA (RS384) keys are supported")
    if kid is None:  # the JWK thumbprint (RFC 7638), a common kid convention
        kid = _b64(hashlib.sha256(json.dumps(members, separators=(",", ":"), sort_keys=True).encode()).digest())
    issued = int(now if now is not None else time.time())
    headers = {"typ": "JWT", "kid": kid, **({"jku": jku} if jku else {})}
    claims = {"iss": iss, "aud": aud, "exp": issued + lifetime, "iat": issued, "jti": str(uuid.uuid4())}
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def send(url: str, request: dict[str, Any], lang: str, token: str | None = None, timeout: float = 30.0) -> tuple[int, dict[str, Any]]:
    """POST a hook request to a running service; (status, JSON body)."""
    import httpx

    headers = {"Accept-Language": lang, **({"Authorization": f"Bearer {token}"} if token else {})}
    try:
        response = httpx.post(url, json=request, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise InputError(f"--url {url}: {type(exc).__name__}: {exc}") from None
    try:
        body = response.json()
    except ValueError:
        body = {"issue": [{"diagnostics": response.text[:300]}]}
    return response.status_code, body
