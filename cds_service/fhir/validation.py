"""FHIR R4 validation (fhir.resources R4B models) of the resources advice relies on — tolerantly.

Only the fields a decision uses must be valid: a resource whose used field is malformed is
dropped and named; a malformed field the rules never read (an EHR sends `category` as an
object, a free-text `note` of the wrong type) is named in the data notes and the resource is
used. Validating every prefetched resource costs ~0.1–0.4 ms each, so this runs only for the
resources whose facts decide the advice (see `pipeline.py`). Results are cached by the
resource's exact JSON, because the same chart is opened again and again. On a cache miss,
`fast_validation.plainly_valid` first recognises the common, plainly valid shapes in plain
Python (~6x cheaper) and answers `VALID` only where the model would find no error at all;
anything it is not certain of goes to the model as before, so the answer is the same either
way (`tests/test_fast_validation.py` compares the two on fixtures and mutations of them).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import orjson
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from .dates import reads_as_local_time
from .fast_validation import plainly_valid

# Keyed by a 128-bit digest of the resource as sent, not the resource's bytes: full keys held
# ~4 KB each, 80 MB of a worker's memory once the cache had filled with charts never seen again.
_INSTANTS = frozenset({"issued", "lastUpdated", "recorded"})
_CACHE: "OrderedDict[bytes, Validity]" = OrderedDict()
_CACHE_SIZE = 20_000
_CACHED_BYTES = 64 * 1024  # real resources are a few KB; a client's megabyte resources are not kept

# The elements the fact builders read, per resource type, as paths ("*" = any list index).
# An error at or under one of them, or on a path leading to one, makes the resource unusable.
_COMMON = (("resourceType",), ("id",), ("subject",), ("patient",))
USED: dict[str, tuple[tuple[str, ...], ...]] = {
    "Patient": (("birthDate",), ("deceasedBoolean",), ("deceasedDateTime",), ("identifier",)),
    "Observation": (("status",), ("code",), ("effectiveDateTime",), ("effectivePeriod", "start"),
                    ("effectivePeriod", "end"), ("effectiveInstant",), ("issued",), ("valueQuantity",),
                    ("valueCodeableConcept",), ("valueString",), ("interpretation",), ("specimen",)),
    "Procedure": (("status",), ("code",), ("performedDateTime",), ("performedPeriod", "start"),
                  ("performedPeriod", "end")),
    "MedicationRequest": (("status",), ("medicationCodeableConcept",), ("medicationReference",), ("contained",),
                          ("authoredOn",), ("dosageInstruction", "*", "timing", "repeat", "boundsPeriod")),
    "MedicationAdministration": (("status",), ("medicationCodeableConcept",), ("medicationReference",),
                                 ("contained",), ("effectiveDateTime",), ("effectivePeriod", "start"),
                                 ("effectivePeriod", "end")),
    "Condition": (("code",), ("verificationStatus",), ("severity",), ("onsetDateTime",), ("onsetPeriod",),
                  ("recordedDate",)),
    "Medication": (("code",),),
    "MedicationStatement": (("status",), ("medicationCodeableConcept",), ("medicationReference",), ("contained",),
                            ("effectiveDateTime",), ("effectivePeriod",), ("dateAsserted",)),
    "DiagnosticReport": (("status",), ("code",), ("effectiveDateTime",), ("effectivePeriod",), ("issued",),
                         ("result",), ("conclusion",), ("conclusionCode",)),
}


# Elements the fact builders read only as a fallback: `authoredOn` dates an order only when its dosage gives no start
# (a boundsPeriod.start, a planned dose day); a Period's end dates a procedure, a dose or a sample only when it has no
# start (nor a dateTime). With one, a malformed fallback is a field the rules do not read: named, and the record used
# (a bispecific order or a CAR-T infusion dropped for it left no card; an Ig order, "Ig may be started").
_FALLBACK: dict[str, tuple[tuple[tuple[str, ...], Callable[[Mapping[str, Any]], bool]], ...]] = {
    "MedicationRequest": ((("authoredOn",), lambda r: _dosage_start_given(r)),),
    "Procedure": ((("performedPeriod", "end"), lambda r: _dated(r, "performed")),),
    "MedicationAdministration": ((("effectivePeriod", "end"), lambda r: _dated(r, "effective")),),
    "Observation": ((("effectivePeriod", "end"), lambda r: _dated(r, "effective")),),
}


def _dated(resource: Mapping[str, Any], element: str) -> bool:
    """Whether a record gives `element`DateTime or `element`Period.start, as text (read before the period's end)."""
    period = resource.get(f"{element}Period")
    return isinstance(resource.get(f"{element}DateTime"), str) or (
        isinstance(period, dict) and isinstance(period.get("start"), str) and bool(period["start"].strip()))


# Dates the fact builders read themselves and name when no day can be taken from them (a string in no date form):
# an order's planned end ("18-05-2026"), or a medication record's, is read as no end and named (`end-unread`); never a
# reason to drop an order or a record whose start is read.
_NAMED_BY_READER: dict[str, tuple[tuple[str, ...], ...]] = {
    "MedicationRequest": (("dosageInstruction", "*", "timing", "repeat", "boundsPeriod", "end"),),
    # an immunoglobulin or bsAb course's end, read as no end and named; a CAR-T infusion's, named as not read
    "MedicationStatement": (("effectivePeriod", "end"),),
}
# Patient fields `FactBuilder._patient` reads whatever was sent (a date in no date form, a number, a list, a flag "yes")
# and names: a birth date read as unknown, a death with no readable day still a death. Dropping the Patient for one of
# them lost a readable date of death with it, and a deceased patient was told Ig may be started.
_READ_AS_SENT: dict[str, tuple[tuple[str, ...], ...]] = {
    "Patient": (("birthDate",), ("deceasedDateTime",), ("deceasedBoolean",)),
}


def _dosage_start_given(resource: Mapping[str, Any]) -> bool:
    """Whether an order's dosage carries a start of its own (a boundsPeriod.start or a planned dose day, as text)."""
    dosages = resource.get("dosageInstruction")
    for dosage in dosages if isinstance(dosages, list) else ():
        timing = dosage.get("timing") if isinstance(dosage, dict) else None
        if not isinstance(timing, dict):
            continue
        repeat, events = timing.get("repeat"), timing.get("event")
        bounds = repeat.get("boundsPeriod") if isinstance(repeat, dict) else None
        if isinstance(bounds, dict) and isinstance(bounds.get("start"), str) and bounds["start"].strip():
            return True
        if isinstance(events, list) and any(isinstance(e, str) and e.strip() for e in events):
            return True
    return False


def _paths_used(kind: str, resource: Mapping[str, Any]) -> tuple[tuple[str, ...], ...]:
    paths = _COMMON + USED.get(kind, ())
    unread = {path for path, read_instead in _FALLBACK.get(kind, ()) if read_instead(resource)}
    return tuple(p for p in paths if p not in unread) if unread else paths


def _named_by_reader(kind: str, error: Mapping[str, Any]) -> bool:
    """A malformed date (a string) at an element the fact builders read and name themselves (`_NAMED_BY_READER`), or
    any error at a Patient field `_patient` reads whatever was sent (`_READ_AS_SENT`)."""
    loc = tuple(error.get("loc", ()))
    paths = _READ_AS_SENT.get(kind, ())
    if any(loc[:len(path)] == path for path in paths):
        return True
    if paths and not loc and any(path[0] in str(error.get("msg", "")) for path in paths):
        return True  # a choice sent twice (deceasedBoolean beside deceasedDateTime): the reader takes either as a death
    return isinstance(error.get("input"), str) and any(
        len(loc) == len(path) and _is_used(loc, (path,)) for path in _NAMED_BY_READER.get(kind, ()))


@dataclass(frozen=True)
class Validity:
    """`fatal`: why the resource cannot be used (None: usable); `ignored`: malformed unused fields."""

    fatal: str | None = None
    ignored: tuple[str, ...] = ()


VALID = Validity()


def _is_used(loc: tuple[Any, ...], paths: tuple[tuple[str, ...], ...]) -> bool:
    if not loc:
        return True  # a rule over the whole resource (e.g. "one of effective[x]"): be careful
    for path in paths:
        n = min(len(loc), len(path))
        if all(p == "*" and isinstance(at, int) or p == at for p, at in zip(path[:n], loc[:n])):
            return True
    return False


def _local_time(error: Mapping[str, Any]) -> bool:
    """A dateTime with a time but no time-zone offset ("2025-11-18T10:00:00") or no seconds ("T10:00+01:00"):
    FHIR R4 asks for both once a time is given, but EHRs send it so, and the day it names is plain (a time with no
    offset is local time, `dates.py`). Not a reason to drop the resource: a CAR-T infusion dropped so leaves no card
    at all, an IgG dropped so asks for a new one."""
    value, loc = error.get("input"), tuple(error.get("loc", ()))
    if error.get("type") != "value_error" or not isinstance(value, str) or not loc \
            or str(loc[-1]) in _INSTANTS or str(loc[-1]).endswith("Instant"):
        return False  # an instant (`issued`, `effectiveInstant`) is exact by definition: no zone, no instant
    return reads_as_local_time(value)


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc if p != "__root__") or "resource"


def validity(resource: Mapping[str, Any]) -> Validity:
    """Whether a resource's used fields are valid FHIR R4, and which unused fields are not."""
    sent = orjson.dumps(resource)  # as sent: an EHR sends a resource the same way each time (unsorted is ~2x cheaper)
    key = hashlib.blake2b(sent, digest_size=16).digest()
    cached = _CACHE.get(key)
    if cached is not None:
        _CACHE.move_to_end(key)
        return cached
    if plainly_valid(resource):
        result = VALID
    else:
        result = full_validity(resource)
    if len(sent) <= _CACHED_BYTES:
        _CACHE[key] = result
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return result


def _codes_stripped(value: Any) -> Any:
    """`value` with spaces around each `Coding.code` removed ("DJ151 ", "BOQX1 " as EHR exports send them): FHIR's
    code type has none, but the code they spell is plain, and the value sets read it stripped. Without this the whole
    resource (a CAR-T infusion, a sepsis) was dropped as unusable: the same object when nothing changes."""
    if isinstance(value, dict):
        out = {k: _codes_stripped(v) for k, v in value.items()}
        codings = out.get("coding")
        if isinstance(codings, list):
            out["coding"] = [{**c, "code": c["code"].strip()} if isinstance(c, dict) and isinstance(c.get("code"), str)
                             and c["code"].strip() else c for c in codings]
        return out if any(out[k] is not value[k] for k in out) else value
    if isinstance(value, list):
        items = [_codes_stripped(v) for v in value]
        return items if any(a is not b for a, b in zip(items, value)) else value
    return value


def full_validity(resource: Mapping[str, Any]) -> Validity:
    """The full validation by the resource type's fhir.resources model, not cached (`validity` caches)."""
    resource = _codes_stripped(resource)
    kind = str(resource.get("resourceType"))
    try:
        model = get_fhir_model_class(kind)
    except (KeyError, ValueError, AttributeError):
        result = Validity(f"unknown resourceType {kind!r}")
    else:
        try:
            model.model_validate(resource)
            result = VALID
        except ValidationError as exc:
            paths = _paths_used(kind, resource)
            # read as local time, as `dates.py` does; or read and named by the fact builders (`_NAMED_BY_READER`)
            errors = [e for e in exc.errors() if not _local_time(e) and not _named_by_reader(kind, e)]
            fatal = [e for e in errors if _is_used(tuple(e.get("loc", ())), paths)]
            ignored = tuple(dict.fromkeys(_where(tuple(e.get("loc", ()))) for e in errors if e not in fatal))
            if fatal:
                parts = [f"{_where(tuple(e.get('loc', ())))}: {e.get('msg', 'invalid')}" for e in fatal[:3]]
                more = len(fatal) - 3
                result = Validity("; ".join(parts) + (f" (+{more} more)" if more > 0 else ""), ignored)
            else:
                result = Validity(None, ignored)
        except (ValueError, TypeError) as exc:  # fhir.resources raises these for some bad input
            result = Validity(str(exc)[:200])
        except RecursionError:  # the validators recurse ~8 frames per level: ~60 nested references
            result = Validity("nested too deeply to validate")
    return result


def validation_error(resource: Mapping[str, Any]) -> str | None:
    """None when the fields the rules use are valid FHIR R4, else a short description."""
    return validity(resource).fatal
