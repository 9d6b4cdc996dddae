"""FHIR date, dateTime and instant strings to local calendar dates.

Clinical rules count calendar days in the hospital's time zone, so an instant such as
`2026-02-05T23:30:00Z` is 6 February in Copenhagen. A dateTime without an offset is read
as local time. Partial dates ("2026", "2026-02") are rejected where a day matters.

Anything else is a `DataError` (the resource is skipped and named), never an exception of
another kind: an offset outside FHIR's -14:00..+14:00, a day that does not exist, a
year whose conversion to local time leaves the calendar, digits other than ASCII. A leap
second (`23:59:60`, which FHIR allows) is read as the second before it.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..errors import DataError

_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?(Z|([+-])([0-9]{2}):([0-9]{2}))?")
_UTC = ZoneInfo("UTC")
MAX_OFFSET = timedelta(hours=14)  # FHIR: (Z|(+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))
SHOWN = 40  # characters of a bad value quoted in its data note (the note reaches the card)


class PartialDate(DataError):
    """A date with no day ("2026", "2026-03", valid FHIR) where a day is needed: `value` is the date as sent,
    `field` the FHIR element it was read from ("authoredOn"; "" when the reader did not say)."""

    def __init__(self, value: str, field: str = "") -> None:
        super().__init__(f"partial date {_show(value)} does not name a day")
        self.value = value[:SHOWN]
        self.field = field


def _show(value: str) -> str:
    return repr(value[:SHOWN]) + ("..." if len(value) > SHOWN else "")


def to_local_date(value: object, tz: ZoneInfo, *, allow_partial: bool = False, partial_as_last_day: bool = False) -> date:
    """The calendar day (in `tz`) of a FHIR date or dateTime string.

    A partial date ("2007", "2007-06") is refused unless `allow_partial`; it then means
    its first day, or its last day with `partial_as_last_day` (for a birth date, the
    youngest the patient can be, so a possible child is treated as a child).
    """
    if not isinstance(value, str):
        raise DataError(f"expected a date string, got {type(value).__name__}")
    return _parse(value, tz, allow_partial, partial_as_last_day)


def local_day(value: object, tz: ZoneInfo) -> date:
    """`to_local_date(value, tz)`, for a full date or dateTime: the call made for every result on record."""
    if value.__class__ is str:
        return _parse(value, tz, False, False)
    return to_local_date(value, tz)


@lru_cache(maxsize=65536)
def _parse(value: str, tz: ZoneInfo, allow_partial: bool, last_day: bool) -> date:
    """Cached: a chart's dates recur on every opening (exceptions are not cached)."""
    m = _DATE.fullmatch(value)
    if m:
        year, month, day = m.group(1), m.group(2), m.group(3)
        if day is None and not allow_partial:
            raise PartialDate(value)
        try:
            if day is None and last_day:
                y, mo = int(year), int(month or 12)
                return date(y, mo, monthrange(y, mo)[1])
            return date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            raise DataError(f"invalid date {_show(value)}") from None
    m = _DATETIME.fullmatch(value)
    if not m:
        raise DataError(f"invalid dateTime {_show(value)}")
    zone = m.group(7)
    if zone == "Z" or zone is not None and int(m.group(10)) <= 59 and int(m.group(9)) * 60 + int(m.group(10)) <= 840:
        try:  # the usual instant, read in C: half the time of the fields below, the same day
            return datetime.fromisoformat(value).astimezone(tz).date()
        except (ValueError, OverflowError):
            pass  # a leap second, hour 24, a day that does not exist, a shift out of the calendar: as below
    return _from_fields(value, m, tz)


def reads_as_local_time(value: str) -> bool:
    """Whether `value` is a dateTime with a time but no time-zone offset or no seconds ("2025-11-18T10:00:00",
    "T10:00+01:00") that names a real day: FHIR R4's validator refuses it, this reader reads it (as local time), so
    validation does not drop a record for it (`validation.full_validity`)."""
    m = _DATETIME.fullmatch(value)
    if m is None or m.group(7) is not None and m.group(6) is not None:
        return False  # not a dateTime, or one with its offset and seconds: invalid for another reason
    try:
        _from_fields(value, m, _UTC)
    except DataError:
        return False  # a day or a time that does not exist
    return True


def _from_fields(value: str, m: re.Match[str], tz: ZoneInfo) -> date:
    """A FHIR dateTime's local day from its fields (what `_DATETIME` matched), or the DataError naming why not.

    The seconds' fraction is not read: with offsets in whole seconds it never moves the day.
    """
    year, month, day, hour, minute, second, zone, sign, off_h, off_m = m.groups()
    try:
        seconds = int(second or 0)
        naive = datetime(int(year), int(month), int(day), int(hour), int(minute), 59 if seconds == 60 else seconds)
    except ValueError:
        raise DataError(f"invalid dateTime {_show(value)}") from None
    if zone is None:
        return naive.date()
    offset = timedelta(hours=int(off_h or 0), minutes=int(off_m or 0))
    if offset > MAX_OFFSET or int(off_m or 0) > 59:
        raise DataError(f"invalid time-zone offset in {_show(value)} (FHIR allows -14:00 to +14:00)")
    try:
        return naive.replace(tzinfo=timezone(-offset if sign == "-" else offset)).astimezone(tz).date()
    except (OverflowError, ValueError):  # year 1 or 9999 shifted out of the calendar
        raise DataError(f"dateTime {_show(value)} is out of range") from None
