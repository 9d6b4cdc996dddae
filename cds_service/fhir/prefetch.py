"""Prefetch values to one patient's raw resources, trusting nothing the EHR claims.

CDS Hooks prefetch semantics: an absent key was not fulfilled (we must get the data
elsewhere or answer 412); `null` means "no data"; an OperationOutcome means the client's
query failed; a searchset may be paged. The template's filters (code, status, patient)
may not have been applied, so resources are pooled, de-duplicated, and any resource about
another patient is dropped and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from cql_like_rules.facts import DataNote

from ..errors import BadRequest

SUBJECT_FIELDS = ("subject", "patient")


@dataclass
class PooledResources:
    resources: list[dict] = field(default_factory=list)
    notes: list[DataNote] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # declared keys absent from prefetch
    unusable: dict[str, str] = field(default_factory=dict)  # key -> why its data is incomplete or failed


def _outcome_text(outcome: Mapping[str, Any]) -> str:
    texts = []
    issues = outcome.get("issue")
    for issue in issues if isinstance(issues, list) else []:
        if isinstance(issue, dict):
            texts.append(str(issue.get("diagnostics") or _first_display(issue.get("details")) or issue.get("code") or "error"))
    return "; ".join(texts) or "OperationOutcome without issues"


def _first_display(concept: Any) -> str:
    if isinstance(concept, dict):
        if concept.get("text"):
            return str(concept["text"])
        codings = concept.get("coding")
        for coding in codings if isinstance(codings, list) else []:
            if isinstance(coding, dict) and coding.get("display"):
                return str(coding["display"])
    return ""


def _is_error_outcome(outcome: Mapping[str, Any]) -> bool:
    issues = outcome.get("issue")
    return any(isinstance(i, dict) and i.get("severity") in ("error", "fatal") for i in (issues if isinstance(issues, list) else []))


SHARED_TYPES = frozenset({"Medication"})  # not about one patient: no subject to check


def belongs_to(resource: Mapping[str, Any], patient_id: str) -> bool:
    """True when the resource is the patient, names the patient as its subject, or is shared (Medication)."""
    return _Owner(patient_id).owns(resource.get("resourceType"), resource)


class _Owner:
    """Whether resources are about one patient, with the reference strings made once (runs per resource)."""

    def __init__(self, patient_id: str) -> None:
        self.patient_id = patient_id
        self.own = f"Patient/{patient_id}"
        self.tail = f"/Patient/{patient_id}"

    def owns(self, kind: Any, resource: Mapping[str, Any]) -> bool:
        if not isinstance(kind, str):
            return False
        if kind == "Patient":
            return resource.get("id") == self.patient_id
        if kind in SHARED_TYPES:
            return True
        for name in SUBJECT_FIELDS:
            reference = resource.get(name)
            if isinstance(reference, dict):
                ref = reference.get("reference")
                if isinstance(ref, str) and (ref == self.own or ref.endswith(self.tail)):
                    return True
        return False


def _version_key(resource: Mapping[str, Any]) -> tuple[str, str]:
    meta = resource.get("meta") if isinstance(resource.get("meta"), dict) else {}
    return (str(meta.get("lastUpdated") or ""), str(meta.get("versionId") or ""))


def pool_prefetch(prefetch: Mapping[str, Any] | None, keys: list[str], patient_id: str) -> PooledResources:
    """Collect every declared key's resources; say which keys are missing or unusable."""
    pooled = PooledResources()
    by_ref: dict[str, dict] = {}
    owner = _Owner(patient_id)
    prefetch = prefetch or {}
    for key in keys:
        if key not in prefetch:
            pooled.missing.append(key)
            continue
        value = prefetch[key]
        if value is None:
            continue
        if not isinstance(value, dict):
            raise BadRequest(f"prefetch.{key} must be a FHIR resource, a Bundle or null")
        for resource in _resources_of(key, value, pooled):
            _add(resource, by_ref, pooled, owner)
    pooled.resources = list(by_ref.values())
    return pooled


def _resources_of(key: str, value: Mapping[str, Any], pooled: PooledResources) -> list[Mapping[str, Any]]:
    kind = value.get("resourceType")
    if kind == "OperationOutcome":
        pooled.unusable[key] = f"the EHR could not fetch it ({_outcome_text(value)})"
        return []
    if kind != "Bundle":
        return [value]
    links = value.get("link")
    if any(isinstance(l, dict) and l.get("relation") == "next" for l in (links if isinstance(links, list) else [])):
        pooled.unusable[key] = "the EHR sent only the first page of the results (Bundle has a next link)"
        return []
    out = []
    entries = value.get("entry")
    for entry in entries if isinstance(entries, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        if resource.get("resourceType") == "OperationOutcome":
            if _is_error_outcome(resource):
                pooled.unusable[key] = f"the EHR reported an error ({_outcome_text(resource)})"
                return []
            continue  # informational search outcome
        out.append(resource)
    return out


def _add(resource: Mapping[str, Any], by_ref: dict[str, dict], pooled: PooledResources, owner: _Owner) -> None:
    kind, rid = resource.get("resourceType"), resource.get("id")
    if not isinstance(kind, str) or not isinstance(rid, str) or not rid:
        pooled.notes.append(DataNote("invalid", f"{kind or 'resource'} without id", "a prefetched resource has no resourceType or id"))
        return
    ref = f"{kind}/{rid}"
    if not owner.owns(kind, resource):
        if not any(n.source == ref for n in pooled.notes):
            pooled.notes.append(DataNote("wrong-patient", ref, f"not about Patient/{owner.patient_id}; ignored"))
        return
    current = by_ref.get(ref)
    if current is None or _version_key(resource) > _version_key(current):
        by_ref[ref] = resource  # type: ignore[assignment]  (the parsed request is ours: no copy)
