"""A Bundle entry's resource as the service reads it, and a fullUrl as a reference is compared with one.

A transaction Bundle (every POST of one, some EHR exports, many testers' hand-written charts) writes its resources
with no `id`, naming each only by its entry's `fullUrl`, a `urn:uuid:` (or `urn:oid:`), and refers to them by it.
Such a resource is read under the id its urn gives (a UUID, an OID: each a valid FHIR id), so it is pooled, checked
for its patient, and found by a reference to its fullUrl as a resource sent with an id is. One with no id and no urn
to name it by stays unreadable (`prefetch._add`: `invalid`).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

# RFC 9562 (RFC 4122): 8-4-4-4-12 hex digits, in either letter case; FHIR's `oid` type: urn:oid:[0-2](\.(0|[1-9]\d*))+
_UUID = re.compile(r"urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", re.IGNORECASE)
_OID = re.compile(r"urn:oid:([0-2](?:\.(?:0|[1-9][0-9]*))+)")
_UUID_SCHEME = "urn:uuid:"
_ID_LENGTH = 64  # FHIR id: [A-Za-z0-9\-\.]{1,64}


def uuid_urn(url: str) -> bool:
    """Whether a fullUrl or reference is a `urn:uuid:`, in any letter case (RFC 8141: so is the `urn:uuid:` itself)."""
    return url[:9].lower() == _UUID_SCHEME


def full_url_key(url: str) -> str:
    """A fullUrl, or a reference written as one, as two are compared: a `urn:uuid:` in lower case (a UUID is one in
    any letter case, RFC 9562), any other as written (a RESTful URL's path and an id are case-sensitive)."""
    return url.lower() if uuid_urn(url) else url


def urn_id(full_url: str) -> str:
    """The id a `urn:uuid:` or `urn:oid:` fullUrl gives the resource of its entry: the UUID in lower case (as
    `full_url_key` compares it), the OID as written; "" for any other fullUrl (a RESTful URL names its resource by
    the id the resource carries, never by its own text)."""
    found = _UUID.fullmatch(full_url)
    if found is not None:
        return found[1].lower()
    found = _OID.fullmatch(full_url)
    return found[1] if found is not None and len(found[1]) <= _ID_LENGTH else ""


def entry_resource(entry: Any) -> Mapping[str, Any] | None:
    """An entry's resource (None when it holds none); one with no `id` whose fullUrl is a urn under the id that urn
    gives (`urn_id`), on a shallow copy: the request's own objects are never changed. A resource with an id keeps
    it, whatever its fullUrl (a fullUrl naming another id is `prefetch._know_full_url`'s to name)."""
    resource = entry.get("resource") if isinstance(entry, dict) else None
    if not isinstance(resource, dict):
        return None
    if resource.get("id") is None:
        full_url = entry.get("fullUrl")
        named = urn_id(full_url) if isinstance(full_url, str) else ""
        if named:
            return {**resource, "id": named}
    return resource
