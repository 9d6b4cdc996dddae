"""Replay a FHIR Bundle through the service, in process, as an EHR would call it.

The bundle's resources become the prefetch of a CDS Hooks request (grouped under the
service's prefetch keys by resource type); the request goes through the same ASGI
application as the HTTP server, so testers see exactly what the EHR would see.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from ..errors import InputError

from ..http.discovery import HOOK_OF

KEY_OF_TYPE = {
    "Observation": "observations",
    "Procedure": "procedures",
    "MedicationRequest": "medicationRequests",
    "MedicationAdministration": "medicationAdministrations",
    "Condition": "conditions",
    "Medication": "medicationRequests",  # as `_include=MedicationRequest:medication` sends them
}
BUNDLE_TYPES = {"collection", "searchset", "transaction", "batch", "transaction-response", "batch-response"}


def _read_json(path: str | Path, what: str) -> Any:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{what}{path}: cannot read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{what}{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None


def load_bundle(path: str | Path) -> dict:
    data = _read_json(path, "")
    if not isinstance(data, dict) or data.get("resourceType") != "Bundle":
        raise InputError(f"{path}: not a FHIR Bundle (resourceType must be 'Bundle')")
    if data.get("type") not in BUNDLE_TYPES:
        raise InputError(f"{path}: Bundle.type {data.get('type')!r} is not one of {', '.join(sorted(BUNDLE_TYPES))}")
    return data


def request_from_bundle(bundle: dict, hook: str = "patient-view", drafts: list[dict] | None = None) -> dict:
    """The CDS Hooks request an EHR would send for the bundle's patient.

    For order hooks, `drafts` are the draft orders (`context.draftOrders`); order-select
    selects all of them.
    """
    bundle = copy.deepcopy(bundle)  # the request owns its resources; callers may reuse the bundle
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InputError("Bundle.entry must be an array")
    resources = [e.get("resource") for e in entries if isinstance(e, dict)]
    resources = [r for r in resources if isinstance(r, dict)]
    patients = [r for r in resources if r.get("resourceType") == "Patient"]
    if len(patients) != 1 or not patients[0].get("id"):
        raise InputError(f"the Bundle must hold exactly one Patient with an id (found {len(patients)})")
    patient = patients[0]
    prefetch: dict[str, Any] = {"patient": patient}
    for key in KEY_OF_TYPE.values():
        prefetch[key] = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    for resource in resources:
        key = KEY_OF_TYPE.get(resource.get("resourceType"))
        if key:
            prefetch[key]["entry"].append({"resource": resource, "search": {"mode": "match"}})
    for key in KEY_OF_TYPE.values():
        prefetch[key]["total"] = len(prefetch[key]["entry"])
    context: dict[str, Any] = {"userId": "Practitioner/replay", "patientId": patient["id"]}
    if hook in ("order-select", "order-sign"):
        drafts = copy.deepcopy(drafts or [])
        context["draftOrders"] = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": d} for d in drafts]}
        if hook == "order-select":
            context["selections"] = [f"{d.get('resourceType')}/{d.get('id')}" for d in drafts]
    return {"hookInstance": str(uuid.uuid4()), "hook": hook, "context": context, "prefetch": prefetch}


def load_drafts(paths: list[str]) -> list[dict]:
    """Draft orders from files each holding one resource or a Bundle of them."""
    drafts: list[dict] = []
    for path in paths:
        data = _read_json(path, "--draft ")
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            entries = data.get("entry") or []
            found = [e.get("resource") for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []
        else:
            found = [data]
        if not found or not all(isinstance(r, dict) and r.get("resourceType") and r.get("id") for r in found):
            raise InputError(f"--draft {path}: must hold a FHIR resource with an id, or a Bundle of them")
        drafts.extend(found)
    return drafts


async def call_app(app: Any, path: str, body: dict, lang: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://replay") as client:
        return await client.post(path, json=body, headers={"Accept-Language": lang})


def replay(app: Any, bundle: dict, lang: str = "en", hook: str = "patient-view",
           drafts: list[dict] | None = None) -> tuple[int, dict]:
    """Run one bundle through the app; returns (HTTP status, response JSON)."""
    service_id = next(sid for sid, h in HOOK_OF.items() if h == hook)
    request = request_from_bundle(bundle, hook, drafts)
    response = asyncio.run(call_app(app, f"/cds-services/{service_id}", request, lang))
    return response.status_code, response.json()


def parse_at(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--at {value!r} is not a date (YYYY-MM-DD)") from None
