"""Prefetch values to one patient's raw resources, trusting nothing the EHR claims.

CDS Hooks prefetch semantics: an absent key was not fulfilled (we must get the data
elsewhere or answer 412); `null` means "no data"; an OperationOutcome means the client's
query failed; a searchset may be paged. The template's filters (code, status, patient)
may not have been applied, so resources are pooled, de-duplicated, and any resource about
another patient is dropped and reported.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

from cql_like_rules.facts import DataNote
from cql_like_rules.valuesets import Terminology

from ..errors import BadRequest, DataError
from .dates import to_local_date
from .entries import entry_resource, full_url_key
from .outcome import failure_reason, outcome_text
from .reading import CONFLICT, COPY_DAY, WITHDRAWN_STATUSES, _first, in_conflict


SUBJECT_FIELDS = ("subject", "patient")
# The Danish civil registration number (CPR): DK Core's CPR identifier has the system `urn:oid:1.2.208.176.1.2`, and
# its NamingSystem `cpr` lists `http://www.cpr.dk/cpr-systemet` for the same registry (terminology.md §0). A result
# referring to its patient under the one, the Patient carrying the other, is the patient's own: it was ignored as
# another patient's. A CPR number is 10 digits; "010180-1234", as a person writes it, is the same number.
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"
SAME_REGISTRY = {"http://www.cpr.dk/cpr-systemet": CPR_SYSTEM}


def identity(system: Any, value: Any) -> tuple[Any, Any]:
    """An identifier's (system, value) as the registry knows it: one system for the registry's URIs, a CPR number
    without its hyphen or spaces."""
    system = SAME_REGISTRY.get(system, system) if isinstance(system, str) else system
    if system == CPR_SYSTEM and isinstance(value, str):
        value = value.replace("-", "").replace(" ", "")
    return system, value


@dataclass
class PooledResources:
    resources: list[Mapping[str, Any]] = field(default_factory=list)
    notes: list[DataNote] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # declared keys absent from prefetch
    unusable: dict[str, str] = field(default_factory=dict)  # key -> why its data is incomplete or failed
    owner: _Owner | None = None  # who the patient is in this request: draft orders are held to the same test
    # each entry's fullUrl in the request (`entries.full_url_key`: a urn:uuid in lower case) -> the 'Type/id' of its
    # resource (`reading.CONFLICT` when two entries claim one fullUrl, it names by its tail another 'Type/id' than its
    # entry holds, or the id its urn gives an entry with none is another resource's: `full-url-conflict`; tell it with
    # `reading.in_conflict`): a reference written as another entry's fullUrl (urn:uuid:..., a transaction Bundle's)
    # names that resource
    full_urls: dict[str, str] = field(default_factory=dict)
    # 'Type/id' of each resource read under the id its urn fullUrl gave it, never sent with that id (`entries.entry_resource`):
    # an id the EHR may never have given it (a transaction's urn:uuid is a placeholder), so no card suggests updating it
    named_by_urn: set[str] = field(default_factory=set)

    def owns(self, resource: Mapping[str, Any], patient_id: str) -> bool:
        """The resource is this request's patient's: by id, the Patient's fullUrl or one of its identifiers."""
        owner = self.owner if self.owner is not None and self.owner.patient_id == patient_id else _Owner(patient_id)
        return owner.owns(resource.get("resourceType"), resource)


SHARED_TYPES = frozenset({"Medication"})  # not about one patient: no subject to check
# what a search may return beside its matches (`_include`: the drug an order names, the patient a result is about)
INCLUDED_TYPES = SHARED_TYPES | {"Patient"}


class _Owner:
    """Whether resources are about one patient, with the reference strings made once (runs per resource).

    A resource is the patient's when its subject references `Patient/{id}` (relative or
    absolute, with or without a `/_history/{version}`), the Patient's `fullUrl` in the request (`urn:uuid:...`, in any
    letter case), or one of the Patient's identifiers (`{"identifier": {"system": ..., "value": ...}}`).
    """

    def __init__(self, patient_id: str, aliases: Iterable[str] = (),
                 identifiers: Iterable[tuple[str, str]] = ()) -> None:
        self.patient_id = patient_id
        self.own = f"Patient/{patient_id}"
        self.tail = f"/Patient/{patient_id}"
        self.aliases = frozenset(map(full_url_key, aliases))
        self.identifiers = frozenset(identity(system, value) for system, value in identifiers)

    def owns(self, kind: Any, resource: Mapping[str, Any]) -> bool:
        subject = resource.get("subject")  # the usual case first: the loop below answers the same, in more steps
        if subject.__class__ is dict and subject.get("reference") == self.own and kind.__class__ is str \
                and kind != "Patient":
            return True
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
                if isinstance(ref, str):
                    ref = ref.split("/_history/", 1)[0]  # a versioned reference names the same patient
                    if ref == self.own or ref.endswith(self.tail) or full_url_key(ref) in self.aliases:
                        return True
                elif self.identifiers:
                    ident = reference.get("identifier")
                    if isinstance(ident, dict) and identity(ident.get("system"), ident.get("value")) in self.identifiers:
                        return True
        return False


def _patient_entries(prefetch: Mapping[str, Any], patient_id: str) -> Iterable[tuple[str | None, Mapping[str, Any]]]:
    """(fullUrl, resource) of every copy of the Patient the request carries (one with no id under its urn fullUrl's:
    `entries.entry_resource`)."""
    for value in prefetch.values():
        if not isinstance(value, dict):
            continue
        if value.get("resourceType") == "Patient":
            if value.get("id") == patient_id:
                yield None, value
            continue
        entries = value.get("entry") if value.get("resourceType") == "Bundle" else None
        for entry in entries if isinstance(entries, list) else []:
            sent = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(sent, dict) or sent.get("resourceType") != "Patient":
                continue  # the others are not the patient: only a Patient is read as its entry gives it
            resource = entry_resource(entry)
            if resource is not None and resource.get("id") == patient_id:
                yield (entry.get("fullUrl") if isinstance(entry.get("fullUrl"), str) else None), resource


def owner_of(prefetch: Mapping[str, Any], patient_id: str) -> _Owner:
    """Who the patient is in this request: id, fullUrls and identifiers of its Patient resource."""
    aliases: list[str] = []
    identifiers: list[tuple[str, str]] = []
    for full_url, resource in _patient_entries(prefetch, patient_id):
        if full_url:
            aliases.append(full_url)
        for ident in resource.get("identifier") or () if isinstance(resource.get("identifier"), list) else ():
            if isinstance(ident, dict) and isinstance(ident.get("system"), str) and isinstance(ident.get("value"), str):
                identifiers.append((ident["system"], ident["value"]))
    return _Owner(patient_id, aliases, identifiers)


_NEVER = datetime.min.replace(tzinfo=timezone.utc)
_DIGITS = re.compile(r"([0-9]+)")
# A result's status in the order a laboratory moves it through (FHIR R4 ObservationStatus, DiagnosticReportStatus):
# where `meta` does not tell two copies of one resource apart, the one further on is the later (a correction sent
# beside its original, both with no `meta`, is the answer, not whichever text sorts last).
_STATUS_ORDER = {"registered": 1, "partial": 2, "preliminary": 2, "final": 3, "amended": 4, "corrected": 4,
                 "appended": 4, "cancelled": 5, "entered-in-error": 5}


def _version_key(resource: Mapping[str, Any]) -> tuple[datetime, str, tuple[tuple[int, int, str], ...]]:
    """Which copy of one resource is the later: `meta.lastUpdated` as the instant it names (an offset of its own, a
    fraction of a second or none: "2026-01-13T09:30:00Z" is after "2026-01-13T10:00:00+01:00"; one that cannot be
    read as an instant, "2026-01-13t10:00:00z", by its text, after none), then `meta.versionId` with its runs of
    digits read as numbers ("10" after "9", 'W/"10"' after 'W/"9"', "1.10" after "1.9"). A copy that says neither
    comes first."""
    given = resource.get("meta")
    meta = given if isinstance(given, dict) else {}
    updated, version = meta.get("lastUpdated"), str(meta.get("versionId") or "")
    unread = ""
    try:
        instant = datetime.fromisoformat(updated) if isinstance(updated, str) else _NEVER
    except ValueError:
        instant, unread = _NEVER, str(updated)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return instant, unread, _version_order(version)


def _version_order(version: str) -> tuple[tuple[int, int, str], ...]:
    """A versionId in order: each run of digits as the number it writes, compared by its length without leading zeros
    then its digits (no int(): Python refuses more than 4300 digits, and a request is no place for a 500), the
    text between as text."""
    parts = []
    for i, part in enumerate(_DIGITS.split(version)):  # text, digits, text, ...
        if i % 2:
            number = part.lstrip("0")
            parts.append((1, len(number), number))
        elif part:
            parts.append((0, 0, part))
    return tuple(parts)


def pool_prefetch(prefetch: Mapping[str, Any] | None, keys: list[str], patient_id: str,
                  tz: ZoneInfo, draft_orders: Any = None, templates: Mapping[str, str] | None = None) -> PooledResources:
    """Collect every declared key's resources; say which keys are missing or unusable. `tz`: the zone whose calendar
    days a note names (the runtime's, from `CDS_TIMEZONE`): required, so no caller counts days in another zone.
    `draft_orders`: the request's context.draftOrders Bundle, whose entries' fullUrls are known too (a draft may name
    the Medication sent beside it by its fullUrl). `templates`: each key's prefetch template, to check what a key
    holds against what it asks for (`_not_asked_for`)."""
    pooled = PooledResources()
    entries = draft_orders.get("entry") if isinstance(draft_orders, dict) else None
    for entry in entries if isinstance(entries, list) else []:
        resource = entry_resource(entry)
        if resource is not None and isinstance(entry.get("fullUrl"), str):
            _know_full_url(pooled, entry["fullUrl"], resource)
    by_ref: dict[str, Mapping[str, Any]] = {}  # the parsed request's own objects (no copy; `entry_resource`'s, by urn)
    copies: dict[str, list[Mapping[str, Any]]] = {}  # a resource sent more than once: every copy, chosen from at the end
    prefetch = prefetch or {}
    taken = _ids_taken(prefetch, keys)
    owner = pooled.owner = owner_of(prefetch, patient_id)
    for key in keys:
        if key not in prefetch:
            pooled.missing.append(key)
            continue
        value = prefetch[key]
        if value is None:
            continue
        if not isinstance(value, dict):
            raise BadRequest(f"prefetch.{key} must be a FHIR resource, a Bundle or null")
        if value.get("resourceType") == "Patient" and not owner.owns("Patient", value):
            # The patient's own record came as another's: their age (children) and death go unchecked
            # if it is merely dropped, so the key was not fulfilled (fetched from fhirServer, else 412).
            pooled.unusable[key] = f"it is Patient/{str(value.get('id'))[:64]}, not the context's Patient/{patient_id}"
            continue
        resources = _resources_of(key, value, pooled, taken)
        wrong = _not_asked_for(resources, (templates or {}).get(key))
        if wrong:
            pooled.unusable[key] = wrong
        for resource in resources:  # pooled by type all the same: a Condition is the patient's Condition anywhere
            _add(resource, by_ref, pooled, owner, copies)
    for ref, sent in copies.items():
        by_ref[ref] = _latest_copy(sent)
        withdrawn = _withdrawn_over_result(by_ref[ref], sent, tz) or _content_differs(by_ref[ref], sent, tz)
        if withdrawn is not None:
            pooled.notes.append(withdrawn)
    pooled.resources = list(by_ref.values())
    return pooled


def _not_asked_for(resources: list[Mapping[str, Any]], template: str | None) -> str:
    """Why a key's resources do not fulfil its template, "" when they may: every resource of another type than the one
    the template asks for (`observations` holding the Condition search: an EHR's template error). The key was not
    fulfilled (CDS Hooks: the service checks prefetch against its template), so it is fetched or answered with a 412,
    never read as "no IgG" in silence. A key holding some of its type is read (others beside it are pooled by type).
    What a search may include beside its matches (`INCLUDED_TYPES`: the patient, a Medication) holds no type."""
    asked = template.split("?", 1)[0].split("/", 1)[0] if template else ""  # "Observation?patient=..." -> Observation
    if not asked or not resources or any(r.get("resourceType") == asked for r in resources):
        return ""  # the usual cases (an empty search, one of the type asked), told without counting
    kinds = Counter(r["resourceType"][:40] for r in resources if isinstance(r.get("resourceType"), str)
                    and (r["resourceType"] == asked or r["resourceType"] not in INCLUDED_TYPES))
    if not kinds:  # only what a search may include beside its matches
        return ""
    held = ", ".join(f"{kind} ×{n}" for kind, n in kinds.most_common())
    return f"it holds {held} and no {asked}, the type its template asks for"


Taken = Callable[[], Mapping[str, set[str]]]


def _ids_taken(prefetch: Mapping[str, Any], keys: list[str]) -> Taken:
    """The 'Type/id' of every resource the declared keys carry under an id of its own, each with the fullUrls
    (`full_url_key`; "" for none) it is sent under, gathered when first asked (a request with an entry named by its urn
    alone asks; others never pay for it)."""
    found: list[dict[str, set[str]]] = []

    def taken() -> Mapping[str, set[str]]:
        if not found:
            refs: dict[str, set[str]] = {}
            for key in keys:
                value = prefetch.get(key)
                entries = value.get("entry") if isinstance(value, dict) and value.get("resourceType") == "Bundle" \
                    else [{"resource": value}]
                for entry in entries if isinstance(entries, list) else []:
                    resource = entry.get("resource") if isinstance(entry, dict) else None
                    if isinstance(resource, dict) and isinstance(resource.get("id"), str):
                        url = entry.get("fullUrl")
                        refs.setdefault(f"{resource.get('resourceType')}/{resource['id']}", set()).add(
                            full_url_key(url) if isinstance(url, str) else "")
            found.append(refs)
        return found[0]
    return taken


def _resources_of(key: str, value: Mapping[str, Any], pooled: PooledResources,
                  taken: Taken) -> list[Mapping[str, Any]]:
    kind = value.get("resourceType")
    if kind == "OperationOutcome":
        pooled.unusable[key] = f"the EHR could not fetch it ({outcome_text(value)})"
        return []
    if kind != "Bundle":
        return [value]
    links = value.get("link")
    if any(isinstance(link, dict) and link.get("relation") == "next" for link in (links if isinstance(links, list) else [])):
        pooled.unusable[key] = "the EHR sent only the first page of the results (Bundle has a next link)"
        return []
    out: list[Mapping[str, Any]] = []
    entries = value.get("entry")
    if entries is not None and not isinstance(entries, list):  # one entry as an object (a converter's collapse)
        raise BadRequest(f"prefetch.{key}: Bundle.entry must be a list of entries, "
                         f"not {'one object' if isinstance(entries, dict) else 'a ' + type(entries).__name__}")
    empty = 0  # entries that hold no resource (a string, an entry with a fullUrl only): named, never dropped silently
    for entry in entries if isinstance(entries, list) else []:
        resource = entry_resource(entry)
        if resource is None:
            empty += 1
            continue
        if resource.get("resourceType") == "OperationOutcome":
            failure = failure_reason(resource)
            if failure is not None:
                pooled.unusable[key] = f"the EHR {failure} ({outcome_text(resource)})"
                return []
            continue  # informational search outcome
        full_url = entry.get("fullUrl")
        if resource is not entry["resource"]:
            if _id_taken(pooled, full_url, resource, taken):
                continue
            ref = f"{resource.get('resourceType')}/{resource.get('id')}"
            if ref not in taken():
                pooled.named_by_urn.add(ref)
        if isinstance(full_url, str) and full_url.strip():
            _know_full_url(pooled, full_url, resource)
        out.append(resource)
    if empty:
        pooled.notes.append(DataNote("invalid", f"prefetch {key[:40]!r}", f"{empty} entr{'y' if empty == 1 else 'ies'} "
                                     f"of its Bundle hold{'s' if empty == 1 else ''} no resource (an entry that is no object, or has no resource "
                                     "object): not read"))
    return out


def _id_taken(pooled: PooledResources, full_url: str, resource: Mapping[str, Any], taken: Taken) -> bool:
    """An entry with no id whose urn fullUrl gives it the id another resource of the request carries under another
    fullUrl or none (`Observation/X` sent with its id, and an Observation with none under `urn:uuid:X`): whether the two
    are one record the request does not say, so it is not read (never pooled as a copy of the other), a reference to
    its fullUrl is followed to neither, and both are named, as two entries under one fullUrl are (`full-url-conflict`;
    on the card `invalid`). The same resource sent with its id under this fullUrl too is no clash, nor is a Patient:
    the one whose id is context.patientId is the context's patient however it is sent (the `patient` key's read of
    `Patient/{id}` beside its entry named by urn)."""
    kind = resource.get("resourceType")
    ref, key = f"{kind}/{resource.get('id')}", full_url_key(full_url)
    if kind == "Patient" or taken().get(ref, {key}) <= {key}:
        return False
    if not in_conflict(full_url, pooled.full_urls):  # named once, however many keys carry it
        pooled.full_urls[key] = CONFLICT
        pooled.notes.append(DataNote("full-url-conflict", full_url[:120],
                                     f"this entry has no id, and the id its fullUrl gives it ({ref[:80]}) is another "
                                     f"resource's of the request: it is not read, and a reference to it names "
                                     f"neither and is not followed"))
        pooled.notes.append(DataNote("invalid", f"{kind} without id",
                                     f"its fullUrl {full_url[:120]} names it {ref[:80]}, the id of another resource "
                                     f"of the request: not read"))
    return True


def _know_full_url(pooled: PooledResources, full_url: str, resource: Mapping[str, Any]) -> None:
    """Keep which resource an entry's fullUrl names, so a reference written as that fullUrl finds it
    (`reading.resolved`). Two entries under one fullUrl naming two resources leave it naming none: a reference to it
    is not followed (never a guess which was meant), and the clash is named (`full-url-conflict`)."""
    kind, rid = resource.get("resourceType"), resource.get("id")
    if not isinstance(kind, str) or not isinstance(rid, str) or not rid:
        return  # a resource with no id (and no urn to give it one: `entry_resource`) is named by `_add`, not pooled
    key = full_url_key(full_url)  # urn:uuid:ABC... and urn:uuid:abc... are one fullUrl
    ref, known = f"{kind}/{rid}", pooled.full_urls.get(key)
    # the usual RESTful fullUrl, '.../Observation/o1' for Observation/o1, names its own entry: `_named_by` not needed
    own = full_url.endswith(ref) and full_url[-len(ref) - 1:-len(ref)] == "/" and "/" not in rid \
        and "/" not in kind and "/_history/" not in full_url
    named = ref if own else _named_by(full_url)
    if named and named != ref:  # '.../Medication/m1' holding Medication/m2: its URL and its entry say two things
        if not in_conflict(full_url, pooled.full_urls):
            pooled.full_urls[key] = CONFLICT
            pooled.notes.append(DataNote("full-url-conflict", full_url[:120],
                                         f"this fullUrl names {named[:80]} but its entry holds {ref[:80]}: a reference "
                                         f"to it names neither and is not followed"))
        return
    if known is None:
        pooled.full_urls[key] = ref
    elif not in_conflict(full_url, pooled.full_urls) and known != ref:
        pooled.full_urls[key] = CONFLICT
        pooled.notes.append(DataNote("full-url-conflict", full_url[:120],
                                     f"two entries of the request share this fullUrl ({known}, {ref}): a reference "
                                     f"to it names neither and is not followed"))


_RESOURCE_TYPE = re.compile(r"[A-Z][A-Za-z]{1,63}")


def _named_by(full_url: str) -> str:
    """The 'Type/id' a RESTful fullUrl names by its last two parts ('https://ehr/fhir/Medication/m1', also versioned:
    a reference written so is read by them, `reading._reference_to`), '' when it names none (a urn:uuid)."""
    if full_url.startswith("urn:"):
        return ""
    parts = full_url.split("/_history/", 1)[0].rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 and _RESOURCE_TYPE.fullmatch(parts[-2]) and parts[-1] else ""


def _add(resource: Mapping[str, Any], by_ref: dict[str, Mapping[str, Any]], pooled: PooledResources, owner: _Owner,
         copies: dict[str, list[Mapping[str, Any]]]) -> None:
    kind, rid = resource.get("resourceType"), resource.get("id")
    if not isinstance(kind, str) or not isinstance(rid, str) or not rid:
        pooled.notes.append(DataNote("invalid", f"{kind or 'resource'} without id",
                                     "a prefetched resource has no resourceType, or no id and no urn:uuid or urn:oid "
                                     "fullUrl to name it by"))
        return
    ref = f"{kind}/{rid}"
    if not owner.owns(kind, resource):
        if not any(n.source == ref for n in pooled.notes):
            if kind in INCLUDED_TYPES or any(isinstance(resource.get(name), dict) for name in SUBJECT_FIELDS):
                pooled.notes.append(DataNote("wrong-patient", ref, f"not about Patient/{owner.patient_id}; ignored"))
            else:  # no subject (0..1 in R4): whose it is cannot be told, and "another patient's" would mislead
                pooled.notes.append(DataNote("no-subject", ref, "names no patient (no subject or patient "
                                             "reference); ignored"))
        return
    current = by_ref.get(ref)
    if current is None:
        by_ref[ref] = resource
    elif ref in copies:
        copies[ref].append(resource)
    else:
        copies[ref] = [current, resource]


def _meta_keys(sent: list[Mapping[str, Any]]) -> list[Any]:
    """Each copy's place by its `meta` alone (`_latest_copy`): where a `lastUpdated` of one cannot be read as an
    instant, or a copy with a versionId has none, the versionIds first, then `lastUpdated`; else `lastUpdated` first."""
    keys = [_version_key(r) for r in sent]
    # a `lastUpdated` unreadable, or none on a copy with a versionId: no time to rank that copy by
    by_version = any(k[1] or (k[0] == _NEVER and k[2]) for k in keys)
    return [(k[2], k[0], k[1]) if by_version else k for k in keys]


def _latest_copy(sent: list[Mapping[str, Any]]) -> Mapping[str, Any]:
    """The later of the copies of one resource (`_version_key`), chosen from all of them at once by one order,
    whatever order they arrived in (prefetch, fetch, a Bundle): where a `lastUpdated` of one cannot be read as an
    instant, or a copy with a versionId has none, the versionIds decide first (a text no reader took is no time to
    rank a copy by beside a version that says which came after; a copy with none comes before one with one), then
    `lastUpdated`; where every `lastUpdated` reads, it decides, then the versionIds. Copies the two leave tied are told apart by their status where it is a result's
    (`_STATUS_ORDER`: a corrected copy after a final one), then by their content, so that the same copies always give
    the same one. Where a copy has no `meta` to rank it by (neither `lastUpdated` nor versionId), a result's status
    decides first: a correction sent with none beside its original with a versionId is the later.

    A choice made pair by pair as they arrived was no order: with three copies and mixed readable dates (one whose
    `lastUpdated` could not be read, a versionId on some) it could go round in a circle, and the copy read depended on
    the order they came in."""
    keys = [_version_key(r) for r in sent]
    meta = _meta_keys(sent)
    status = [_STATUS_ORDER.get(str(r.get("status")), 0) if r.get("resourceType") in ("Observation", "DiagnosticReport")
              else 0 for r in sent]
    # a copy with no `meta` to rank it by at all: `meta` says nothing of where it stands, its status does (an original
    # with a versionId beside its correction sent with none is not the later for having one)
    by_status = any(k == (_NEVER, "", ()) for k in keys)
    ranked: list[tuple[int, Any, int, str, int]] = [(status[i] if by_status else 0,
                                                     meta[i], status[i],
                                                     json.dumps(r, sort_keys=True, default=str), i)
                                                    for i, (k, r) in enumerate(zip(keys, sent))]
    return sent[max(ranked, key=lambda x: x[:4])[4]]


_RESULT = frozenset({"final", "amended", "corrected", "appended"})
_REVISED = frozenset({"amended", "corrected", "appended"})


def _withdrawn_over_result(read: Mapping[str, Any], sent: list[Mapping[str, Any]],
                           tz: ZoneInfo) -> DataNote | None:
    """Copies of one record that say opposite things, where `meta` does not say which came last (a copy has none, or
    the copy read is not after every copy that says otherwise), are named, not decided in silence: a result read as
    withdrawn (entered-in-error, cancelled: the laboratory's order puts it last) beside a released copy
    (`copy-withdrawn`); a record other than a result (a CAR-T procedure, an order, a dose), whose copies no status
    orders, read as recorded beside a copy entered-in-error (`copy-error-unread`) or read as entered-in-error beside
    one recorded (`copy-error-read`), or beside a copy of another status (`copy-status-differs`: an IVIG order sent
    active and stopped, which of the two is the order's last word the data do not say); a result read as final, its `meta` the later, beside an amended or corrected copy
    (`copy-revision-unread`: a status the laboratory does not go back to, so which is valid the data do not say).
    A copy its `meta` puts after every copy that says otherwise is the record's own last word: no note."""
    result = read.get("resourceType") in ("Observation", "DiagnosticReport")
    if result and read.get("status") == "final":
        # a final copy its `meta` puts after an amended or corrected one: the laboratory's order says the revision is
        # the later word, the record's date the original; read as `meta` says, named (`copy-revision-unread`)
        kind, others = "copy-revision-unread", [i for i, r in enumerate(sent) if r.get("status") in _REVISED]
    elif result:
        if read.get("status") not in WITHDRAWN_STATUSES:
            return None
        kind, others = "copy-withdrawn", [i for i, r in enumerate(sent) if r.get("status") in _RESULT]
    elif read.get("status") == "entered-in-error":
        kind, others = "copy-error-read", [i for i, r in enumerate(sent) if r.get("status") != "entered-in-error"]
    else:
        kind, others = "copy-error-unread", [i for i, r in enumerate(sent) if r.get("status") == "entered-in-error"]
        if not others:  # an order sent active and stopped, a dose completed and on hold: no status says which is later
            kind, others = "copy-status-differs", [i for i, r in enumerate(sent) if r.get("status") != read.get("status")]
    if not others:
        return None
    if kind != "copy-revision-unread" and _meta_puts_last(read, sent, others):
        return None  # its `meta` says the copy read came after every copy that says otherwise
    status = sent[others[0]].get("status")
    other = str(status)[:40] if isinstance(status, str) and status.strip() else ""
    if kind == "copy-status-differs" and not other:  # the other copy has no status at all: said so, not "None"
        kind = "copy-status-missing"
    return DataNote(kind, f"{read.get('resourceType')}/{read.get('id')}",
                    f"sent as '{read.get('status')}' and as '{other or 'no status'}', with no meta saying which "
                    f"is the later; read as '{read.get('status')}'", other if kind == "copy-status-differs" else "",
                    day=_day_of_copy(read, tz))


def _content_differs(read: Mapping[str, Any], sent: list[Mapping[str, Any]], tz: ZoneInfo) -> DataNote | None:
    """Copies of one record with the same status but other content (an IgG of 3.2 and of 7.0 g/L under one id, a
    procedure on two days), where `meta` does not put the copy read after every other: which is valid the data do not
    say, and the copy read was chosen by its content alone (`_latest_copy`); named (`copy-content-differs`), not
    decided in silence."""
    if any(r.get("status") != read.get("status") for r in sent):
        return None  # copies of other statuses: a status orders them, or `_withdrawn_over_result` names them
    shown = _read_content(read)
    others = [i for i, r in enumerate(sent) if _read_content(r) != shown]
    if not others:
        return None
    if _meta_puts_last(read, sent, others):
        return None  # its `meta` says the copy read is the later: the record's own last word
    return DataNote("copy-content-differs", f"{read.get('resourceType')}/{read.get('id')}",
                    f"sent {len(others) + 1} times with different content and no meta saying which is the later; "
                    "one was read, chosen by its content alone", day=_day_of_copy(read, tz))


def _meta_puts_last(read: Mapping[str, Any], sent: list[Mapping[str, Any]], others: list[int]) -> bool:
    """Whether the copy read and every copy of `others` (indexes into `sent`) carry `meta`, and it puts the copy read
    after each of them: then the copy read is the record's own last word, whatever the others say."""
    keys = _meta_keys(sent)
    at = next(i for i, r in enumerate(sent) if r is read)
    unplaced = (_NEVER, "", ())
    return _version_key(read) != unplaced and all(_version_key(sent[i]) != unplaced and keys[i] < keys[at]
                                                  for i in others)


def _read_content(resource: Mapping[str, Any]) -> dict[str, Any]:
    """What of a copy the rules read (`READ_FIELDS`): two copies that differ elsewhere (a Medication's form, an
    `issued` written in another zone, `meta`, the narrative) say the same to the rules."""
    return {k: v for k, v in resource.items() if k in READ_FIELDS}


# The fields a copy's decision rests on: its code and value, its dates, its drug and dosage, a diagnosis' statuses.
READ_FIELDS = frozenset({
    "code", "valueQuantity", "valueString", "valueCodeableConcept", "valueInteger", "valueRange", "valueRatio",
    "component", "interpretation", "dataAbsentReason", "specimen", "result", "effectiveDateTime", "effectivePeriod",
    "effectiveInstant", "effectiveTiming", "performedDateTime", "performedPeriod", "performedString",
    "occurrenceDateTime", "occurrencePeriod", "occurrenceTiming", "medicationCodeableConcept", "medicationReference",
    "dosageInstruction", "dosage", "authoredOn", "dateAsserted", "intent", "doNotPerform", "reasonCode",
    "reasonReference", "statusReason", "basedOn", "partOf", "onsetDateTime", "onsetPeriod", "onsetString",
    "onsetAge", "onsetRange", "recordedDate", "abatementDateTime", "abatementPeriod", "verificationStatus",
    "clinicalStatus", "severity", "category", "encounter", "diagnosis", "hospitalization", "birthDate",
    "deceasedBoolean", "deceasedDateTime", "conclusion", "conclusionCode", "ingredient", "period", "class",
})


def _day_of_copy(read: Mapping[str, Any], tz: ZoneInfo) -> date | None:
    """The day the copy read is of (`reading.COPY_DAY`, the day the record's other notes name), as the rules count
    days: in the service's zone (`tz`), not as written ('2025-12-14T23:30:00Z' is 15 December in Copenhagen); a month
    only ('2025-11') is its first day, and the note names the month (`DataNote.written`)."""
    when = _first(read, *COPY_DAY)
    try:
        return to_local_date(when, tz, allow_partial=True) if isinstance(when, str) else None
    except DataError:
        return None


# -- the templates the service announces (discovery) and fetches with (fhir/fetch.py) -------------
# Observation templates are built from the value sets (exact codes), so a hospital's local
# codes are asked for too. Conditions, Procedures and medication orders are matched by code
# prefix (ICD-10/SKS families) or through Medication resources, which a FHIR token search
# cannot express, so they are fetched without a code filter and selected by the service.


def _codes(terminology: Terminology, *valuesets: str) -> str:
    tokens: list[str] = []
    for vs in valuesets:
        tokens.extend(terminology.codes_for_search(vs))
    return ",".join(dict.fromkeys(tokens))


def prefetch_templates(terminology: Terminology) -> dict[str, str]:
    p = "patient={{context.patientId}}"
    return {
        "patient": "Patient/{{context.patientId}}",
        "observations": f"Observation?{p}&code={_codes(terminology, 'igg-serum', 'm-protein', 'immunofixation', 'culture')}",
        # No code filter below: SKS codes are matched by prefix (BOQX1*, BOHJ10*), which a token
        # search cannot express, and orders that name their drug through a Medication resource
        # would not match one. The service filters these itself.
        "procedures": f"Procedure?{p}",
        "medicationRequests": f"MedicationRequest?{p}&_include=MedicationRequest:medication",
        "medicationAdministrations": f"MedicationAdministration?{p}&_include=MedicationAdministration:medication",
        "conditions": f"Condition?{p}",
        # Added in rule set 1.1.1 (`LATER_KEYS`): a drug taken, also one given elsewhere (home SCIG, a bsAb at another
        # centre), by the Medication it names or its code (no code filter, as for the orders); and cultures reported
        # as a DiagnosticReport, by the culture codes (exact codes, as for the Observations).
        "medicationStatements": f"MedicationStatement?{p}&_include=MedicationStatement:medication",
        "diagnosticReports": f"DiagnosticReport?{p}&code={_codes(terminology, 'culture')}",
        # Added after rule set 1.1.1 (`LATER_KEYS`): hospital stays, by their class (HL7 v3 ActCode: inpatient, acute,
        # non-acute; `infections.INPATIENT_CLASSES`), which decide whether a bacterial pneumonia needed admission (severe,
        # clinical-rules §5). A server that ignores the filter sends every contact: the service keeps only the stays.
        "encounters": f"Encounter?{p}&class=IMP,ACUTE,NONAC",
    }


# The stays of the patient: without them no card says "not checked" (most cards do not turn on them); a bacterial
# pneumonia that an admission would make severe is named where it could change the decision
# (`ADMISSIONS_NOT_SENT`, read by the facts as `Facts.admissions_not_sent`).
ADMISSIONS_KEY = "encounters"
ADMISSIONS_NOT_SENT = "admissions-not-sent"

# Keys announced after the first ones: a client set up with the first six is answered, never refused with 412, when
# these cannot be had (not sent and no fhirServer, a fhirServer refused, a search the FHIR server failed or does not
# support), with a data note saying what was not checked.
LATER_KEYS = ("medicationStatements", "diagnosticReports", ADMISSIONS_KEY)


def later_keys(keys: list[str]) -> tuple[list[str], list[str]]:
    """`keys` split into those a request cannot do without and those of `LATER_KEYS`."""
    return [k for k in keys if k not in LATER_KEYS], [k for k in keys if k in LATER_KEYS]


def set_later_keys_aside(pooled: PooledResources, why: str) -> None:
    """Answer without the `LATER_KEYS` that are missing or unusable: name them, and why, in one data note."""
    absent = [k for k in LATER_KEYS if k in pooled.missing or k in pooled.unusable]
    if ADMISSIONS_KEY in absent:
        absent.remove(ADMISSIONS_KEY)
        pooled.notes.append(DataNote(ADMISSIONS_NOT_SENT, f"prefetch {ADMISSIONS_KEY}",
                                     f"{pooled.unusable.get(ADMISSIONS_KEY, ADMISSIONS_KEY)} ({why})"))
    pooled.missing = [k for k in pooled.missing if k != ADMISSIONS_KEY]
    pooled.unusable = {k: v for k, v in pooled.unusable.items() if k != ADMISSIONS_KEY}
    if not absent:
        return
    details = [f"{k}: {pooled.unusable[k]}" if k in pooled.unusable else k for k in absent]
    pooled.notes.append(DataNote("prefetch-not-sent", f"prefetch {', '.join(absent)}",
                                 f"{'; '.join(details)} ({why}): medication records and culture reports were not read"))
    pooled.missing = [k for k in pooled.missing if k not in LATER_KEYS]
    pooled.unusable = {k: v for k, v in pooled.unusable.items() if k not in LATER_KEYS}
