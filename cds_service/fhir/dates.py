"""FHIR date and dateTime strings to local calendar dates.

Clinical rules count calendar days in the hospital's time zone, so an instant such as
`2026-02-05T23:30:00Z` is 6 February in Copenhagen. A dateTime without an offset is read
as local time. Partial dates ("2026", "2026-02") are rejected where a day matters.
"""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..errors import DataError

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_DATETIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")


def to_local_date(value: object, tz: ZoneInfo, *, allow_partial: bool = False, partial_as_last_day: bool = False) -> date:
    """The calendar day (in `tz`) of a FHIR date or dateTime string.

    A partial date ("2007", "2007-06") is refused unless `allow_partial`; it then means
    its first day, or its last day with `partial_as_last_day` (for a birth date, the
    youngest the patient can be, so a possible child is treated as a child).
    """
    if not isinstance(value, str):
        raise DataError(f"expected a date string, got {type(value).__name__}")
    return _parse(value, tz, allow_partial, partial_as_last_day)


@lru_cache(maxsize=65536)
def _parse(value: str, tz: ZoneInfo, allow_partial: bool, last_day: bool) -> date:
    """Cached: a chart's dates recur on every opening (exceptions are not cached)."""
    m = _DATE.match(value)
    if m:
        year, month, day = m.group(1), m.group(2), m.group(3)
        if day is None and not allow_partial:
            raise DataError(f"partial date {value!r} does not name a day")
        try:
            if day is None and last_day:
                y, mo = int(year), int(month or 12)
                return date(y, mo, monthrange(y, mo)[1])
            return date(int(year), int(month or 1), int(day or 1))
        except ValueError:
            raise DataError(f"invalid date {value!r}") from None
    m = _DATETIME.match(value)
    if not m:
        raise DataError(f"invalid dateTime {value!r}")
    try:
        naive = datetime(*(int(g) for g in m.groups()[:5]), int(m.group(6) or 0))
    except ValueError:
        raise DataError(f"invalid dateTime {value!r}") from None
    offset = m.group(7)
    if offset is None:
        return naive.date()
    aware = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return aware.astimezone(tz).date()
