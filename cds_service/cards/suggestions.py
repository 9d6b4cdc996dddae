"""FHIR resources an EHR can apply from a card: lab orders, Ig orders, order updates.

New resources are drafts for the clinician to sign. Updates carry the whole resource, as
CDS Hooks requires, copied from what the EHR sent with only the intended change.
"""

from __future__ import annotations

import copy
import re
from datetime import date
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from cql_like_rules import RuleSet
from cql_like_rules.valuesets import Terminology

from ..errors import DataError
from ..fhir.dates import to_local_date
from ..fhir.reading import _concept_text, bounds_length, count_length

from .ids import new_uuid

# A dosage timing's length (boundsDuration, boundsRange.high) as the rules read it; None when it cannot be read.
Length = Callable[[Mapping[str, Any]], relativedelta | None]


def _coding(terminology: Terminology, entry: Any) -> dict[str, Any]:
    alias = entry.aliases[0]
    return {"system": terminology.uris_of[alias][0], "code": entry.code, "display": entry.display}


IGG_TEXT = "IgG, serum/plasma"


def igg_order(terminology: Terminology, patient_id: str, reason: str, lang: str = "en",
              between: tuple[date, date] | None = None) -> dict[str, Any]:
    """A draft ServiceRequest for total serum IgG, with every orderable code (LOINC, NPU); on a
    Danish card its text is the value set's Danish name (the NPU name Danish labs order by).
    `between` (first day, last day): the days on which the sample counts (`occurrencePeriod`), for an
    IgG that is to decide an order starting later than a result drawn today stays usable."""
    orderable = [e for e in terminology.valuesets["igg-serum"].entries if e.get("orderable") and e.code]
    codings = [_coding(terminology, e) for e in orderable]
    danish = next((e.display_da for e in orderable if e.display_da), None)
    text = danish if lang == "da" and danish else IGG_TEXT
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": "igg-" + new_uuid().replace("-", "")[:12],
        "status": "draft",
        "intent": "order",
        "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "108252007", "display": "Laboratory procedure"}]}],
        "code": {"coding": codings, "text": text},
        "subject": {"reference": f"Patient/{patient_id}"},
        "reasonCode": [{"text": reason}],
    }
    if between is not None:
        resource["occurrencePeriod"] = {"start": between[0].isoformat(), "end": between[1].isoformat()}
    return resource


def ig_order(terminology: Terminology, patient_id: str, route: str, start: date, end: date | None, dose_text: str,
             text: str | None = None) -> dict[str, Any]:
    """A draft immunoglobulin MedicationRequest (IV or SC), ending on `end` when given. Its text is `text`
    when given (the card's language), else the code's display; the coding keeps the code system's display."""
    entry = next(e for e in terminology.valuesets["immunoglobulin-substitution"].entries if e.get("route") == route and e.code)
    bounds: dict[str, str] = {"start": start.isoformat()}
    if end is not None:
        bounds["end"] = end.isoformat()
    return {
        "resourceType": "MedicationRequest",
        "id": "ig-" + new_uuid().replace("-", "")[:12],
        "status": "draft",
        "intent": "order",
        "medicationCodeableConcept": {"coding": [_coding(terminology, entry)], "text": text or entry.display},
        "subject": {"reference": f"Patient/{patient_id}"},
        "authoredOn": start.isoformat(),
        "dosageInstruction": [{"text": dose_text, "timing": {"repeat": {"boundsPeriod": bounds}}}],
    }


def on_hold(resource: Mapping[str, Any]) -> dict[str, Any]:
    """The same order, put on hold (a pause: resuming it is a restart by §4.3)."""
    updated = copy.deepcopy(dict(resource))
    updated["status"] = "on-hold"
    return updated


def _object(parent: dict[str, Any], key: str) -> dict[str, Any]:
    """`parent[key]` as an object, replacing whatever else the EHR put there (null, a string...)."""
    value = parent.get(key)
    if not isinstance(value, dict):
        value = parent[key] = {}
    return value


def ending_on(resource: Mapping[str, Any], end: date, tz: ZoneInfo, start: date | None = None,
              length: Length | None = None, count_length: Length | None = None,
              until: str | None = None) -> dict[str, Any]:
    """The same order ending on `end`: each dosage line that may run past it ends on it, and none is lengthened.

    The bounds become a boundsPeriod (FHIR allows one bounds[x]): a length it had (boundsDuration,
    boundsRange) is replaced by the period from `start` (the order's start, when known and the
    period has none); planned doses (`timing.event`) after `end` are dropped, so the order does not
    end before doses it still lists. A dose's day is its day in `tz` (the hospital's), as the rules
    read it, not the date as written: "2026-05-18T23:30:00Z" is 19 May in Copenhagen.

    A line that already ends by `end` is left as it is: of several (a loading dose, then maintenance), setting every
    line's end made a two-day loading line run for months. A line that begins after `end` is dropped, as its doses
    would be given after the order ends (its end before its start would make the period invalid); unless every line
    begins after it, when the order is left as it is (the rules put such an order on hold instead).
    `length` reads a line's length (boundsDuration, boundsRange), as the rules do: one that ends by `end` from the
    line's start (else `start`) is left as it is too.

    What the line says besides its period must not contradict the end it is given: a dose count that runs past it
    ("6 doses every 4 weeks", read by `count_length` as the rules read it) is taken out, the period now ending the line;
    one that ends by it stays. A dosage text ("hver 4. uge i 6 mdr"), which nurses and the pharmacy read, gets `until`
    ("til og med 2026-05-18") after it, in the card's language: free text is not rewritten.
    """
    updated = copy.deepcopy(dict(resource))
    dosages = updated.get("dosageInstruction")
    dosages = [d if isinstance(d, dict) else {} for d in dosages] if isinstance(dosages, list) and dosages else [{}]
    later = [d for d in dosages if _begins_after(d, end, tz)]
    if len(later) < len(dosages):
        dosages = [d for d in dosages if d not in later]
    for dosage in dosages:
        if _ends_by(dosage, end, tz, start, length, count_length) or _begins_after(dosage, end, tz):
            continue
        timing = _object(dosage, "timing")
        events = timing.get("event")
        if isinstance(events, list):
            kept = [e for e in events if not _after(e, end, tz)]
            if kept:
                timing["event"] = kept
            else:
                timing.pop("event")
        repeat = _object(timing, "repeat")
        lengths = [repeat.pop(k) for k in ("boundsDuration", "boundsRange") if k in repeat]
        bounds = _object(repeat, "boundsPeriod")
        if lengths and start is not None and "start" not in bounds:
            bounds["start"] = start.isoformat()
        if not _ends_on_or_before(bounds.get("end"), end, tz):  # a line's own earlier end stays: never lengthened
            bounds["end"] = end.isoformat()
            _count_within(repeat, timing, end, bounds, start, tz, count_length)
            text = dosage.get("text")
            if until and isinstance(text, str) and text.strip() and end.isoformat() not in text:
                dosage["text"] = f"{text.rstrip()} ({until})"
        repeat["boundsPeriod"] = bounds
    updated["dosageInstruction"] = dosages
    return updated


def _count_within(repeat: dict[str, Any], timing: Mapping[str, Any], end: date, bounds: Mapping[str, Any],
                  start: date | None, tz: ZoneInfo, count_length: Length | None) -> None:
    """Take a dose count out of a line given the end `end` when its last dose would fall after it: the count and the
    end would then say two things, and the end is what the card asked for. A count that cannot be placed (no spacing)
    stays: FHIR ends the line at whichever comes first, and it may be the pharmacy's only dose limit."""
    if "count" not in repeat and "countMax" not in repeat:
        return
    planned = count_length(timing) if count_length is not None else None
    first = _first_day(bounds, start, tz)
    if planned is not None and first is not None and first + planned > end:
        repeat.pop("count", None)
        repeat.pop("countMax", None)


def length_reader(terminology: Terminology, ruleset: RuleSet) -> Length:
    """A timing's length read with the site's unit words and month length, as the rules read an order's."""
    month_days = ruleset.parameters.days_per_fractional_month
    return lambda timing: bounds_length(timing, terminology.duration_units, month_days)


def count_reader(terminology: Terminology, ruleset: RuleSet) -> Length:
    """A timing's length from its dose count, as the rules read an order's (`fhir.reading.count_length`)."""
    month_days = ruleset.parameters.days_per_fractional_month
    return lambda timing: count_length(timing, terminology.duration_units, month_days)


def _period(dosage: Mapping[str, Any]) -> Mapping[str, Any]:
    timing = dosage.get("timing")
    repeat = timing.get("repeat") if isinstance(timing, dict) else None
    bounds = repeat.get("boundsPeriod") if isinstance(repeat, dict) else None
    return bounds if isinstance(bounds, dict) else {}


def _ends_by(dosage: Mapping[str, Any], end: date, tz: ZoneInfo, start: date | None, length: Length | None,
             count_length: Length | None = None) -> bool:
    """A dosage line that surely ends by `end` (a full date or instant, its day in `tz`; or its length from its start,
    read by `length`; or, with neither, its last counted dose, read by `count_length`: "daily for 5 days"), with no
    planned dose after it: nothing of it to cut. An end naming no day ("2026-05"), or a length not read, may run past
    it."""
    timing = dosage.get("timing")
    if not isinstance(timing, dict):
        return False
    events = timing.get("event")
    if isinstance(events, list) and any(_after(e, end, tz) for e in events):
        return False
    if _events_only(dosage):
        return True  # its doses alone date it, none after `end`
    repeat = timing.get("repeat")
    period = _period(dosage)
    bounded = isinstance(repeat, dict) and ("boundsDuration" in repeat or "boundsRange" in repeat)
    if not bounded and _ends_on_or_before(period.get("end"), end, tz):
        return True
    # its length from its first day: the bounds' length, else (no end of its own) its last counted dose
    reader = length if bounded else count_length if "end" not in period else None
    planned = reader(timing) if reader is not None else None
    first = _first_day(period, start, tz)
    return planned is not None and first is not None and first + planned <= end


def _first_day(bounds: Mapping[str, Any], start: date | None, tz: ZoneInfo) -> date | None:
    """A line's first day: its period's start as the hospital's day, else the order's `start`; None when unreadable."""
    try:
        return to_local_date(bounds["start"], tz) if "start" in bounds else start
    except DataError:
        return None


def _begins_after(dosage: Mapping[str, Any], end: date, tz: ZoneInfo) -> bool:
    """A dosage line that surely begins after `end`: its period's first possible day in `tz` is later, or, with no
    start to its period, every dose it plans (`timing.event`) is."""
    period = _period(dosage)
    if "start" in period:
        return _after(period["start"], end, tz)
    events = _events_only(dosage)
    return bool(events) and all(_after(e, end, tz) for e in events)


def _events_only(dosage: Mapping[str, Any]) -> list[Any]:
    """The planned doses (`timing.event`) of a line they alone date: no bounds, neither a period nor a length."""
    timing = dosage.get("timing")
    if not isinstance(timing, dict) or not isinstance(timing.get("event"), list):
        return []
    repeat = timing.get("repeat")
    bounded = isinstance(repeat, dict) and any(k in repeat for k in ("boundsPeriod", "boundsDuration", "boundsRange"))
    return [] if bounded else list(timing["event"])


def _ends_on_or_before(value: object, end: date, tz: ZoneInfo) -> bool:
    """A period end that surely falls by `end` (a full date or instant, its day in `tz`)."""
    try:
        return to_local_date(value, tz) <= end
    except DataError:
        return False


def _after(event: object, end: date, tz: ZoneInfo) -> bool:
    """Whether a planned dose surely lies after `end`: its first possible day in `tz` is later (a date with no day,
    "2026-06", from its first day). A dose whose date cannot be read is kept: not the suggestion's to drop."""
    try:
        return to_local_date(event, tz, allow_partial=True) > end
    except DataError:
        return False


def plain_reference(ref: str, resource: Mapping[str, Any] | None = None) -> str:
    """An order's reference for an action's description (plain text): the name the EHR gives its medicine, then its
    id, bounded, no markup; the words around it say it is an order (the FHIR type name is no word of the card's
    language). An id alone ("a1-draft-3") is an EHR's internal key, no name a clinician knows the order by."""
    from .markdown import plain

    kind, _, rid = ref.partition("/")
    shown = plain(rid if kind == "MedicationRequest" and rid else ref, 80)
    # the EHR's own words (its text, else a display), with no character that markup of any kind is made of,
    # whatever the EHR renders the text as
    name = plain(re.sub(r"[\[\]()*_`~#!|\\]", " ", _concept_text((resource or {}).get("medicationCodeableConcept"))), 40)
    return f"“{name}” ({shown})" if name else shown
