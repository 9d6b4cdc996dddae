"""Every FHIR date, dateTime and instant form, and every kind of offset: a day, or a DataError.

Whatever a client puts in a date field must become a data note naming the resource, never
another exception (which would be a 500 for the whole request).
"""

from __future__ import annotations

from datetime import date
from typing import Callable
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds_service.errors import DataError
from cds_service.fhir.dates import _DATETIME, _from_fields, _parse, to_local_date

CPH = ZoneInfo("Europe/Copenhagen")

VALID = [
    # date: year, year-month (partial, allowed where asked), full date
    ("2026", {"allow_partial": True}, date(2026, 1, 1)),
    ("2026-02", {"allow_partial": True}, date(2026, 2, 1)),
    ("2007", {"allow_partial": True, "partial_as_last_day": True}, date(2007, 12, 31)),
    ("2024-02", {"allow_partial": True, "partial_as_last_day": True}, date(2024, 2, 29)),
    ("2026-02-05", {}, date(2026, 2, 5)),
    ("0001-01-01", {}, date(1, 1, 1)),
    ("9999-12-31", {}, date(9999, 12, 31)),
    # dateTime without offset: local time; minutes only; fractions of any length
    ("2026-02-05T23:30", {}, date(2026, 2, 5)),
    ("2026-02-05T23:30:00", {}, date(2026, 2, 5)),
    ("2026-02-05T23:30:00.123456789", {}, date(2026, 2, 5)),
    # instants and dateTimes with offsets: the day in Copenhagen
    ("2026-02-05T23:30:00Z", {}, date(2026, 2, 6)),
    ("2026-02-05T23:30:00.000Z", {}, date(2026, 2, 6)),
    ("2026-02-05T22:59:59+00:00", {}, date(2026, 2, 5)),
    ("2026-02-05T23:00:00-00:00", {}, date(2026, 2, 6)),
    ("2026-02-05T10:00:00+14:00", {}, date(2026, 2, 4)),
    ("2026-02-05T10:00:00-14:00", {}, date(2026, 2, 6)),
    ("2026-02-05T10:00:00+13:59", {}, date(2026, 2, 4)),
    ("2026-02-05T23:30:00-05:00", {}, date(2026, 2, 6)),
    ("2026-02-05T12:00:00+05:30", {}, date(2026, 2, 5)),
    ("2026-06-30T23:59:60Z", {}, date(2026, 7, 1)),  # a leap second, as FHIR allows
    ("2026-06-30T23:59:60", {}, date(2026, 6, 30)),
]

INVALID = [
    # offsets FHIR does not allow, or that are not offsets at all
    "2026-02-05T10:00:00+24:00", "2026-02-05T10:00:00-24:00", "2026-02-05T10:00:00+25:00",
    "2026-02-05T10:00:00+99:99", "2026-02-05T10:00:00-99:99", "2026-02-05T10:00:00+14:01",
    "2026-02-05T10:00:00-14:30", "2026-02-05T10:00:00+15:00", "2026-02-05T10:00:00+00:60",
    "2026-02-05T10:00:00+0100", "2026-02-05T10:00:00+01", "2026-02-05T10:00:00 +01:00",
    "2026-02-05T10:00:00z", "2026-02-05T10:00:00UTC", "2026-02-05T10:00:00+01:00:00",
    # out of the calendar once shifted to local time
    "9999-12-31T23:00:00-14:00", "9999-12-31T23:59:59Z", "0001-01-01T00:00:00+14:00",
    # days, times and years that do not exist
    "2026-02-30", "2026-13-01", "2026-00-10", "0000-01-01", "2025-02-29T10:00:00Z",
    "2026-02-05T24:00:00Z", "2026-02-05T23:60:00Z", "2026-02-05T23:59:61Z", "2026-02-05T99:99:99",
    # not the format
    "", " ", "2026-2-5", "26-02-05", "20260205", "2026/02/05", "2026-02-05T", "2026-02-05T10",
    "2026-02-05 10:00:00Z", "2026-02-05T10:00:00.Z", "2026-02-05\n", "\n2026-02-05", "2026-02-05\x00",
    "２０２６-02-05", "2026-02-05T10:00:00+٠١:00", "-2026-02-05", "+2026-02-05", "12026-02-05",
    "2026-02-05T10:00:00Z" + "0" * 10_000, "x" * 100_000, "NaN", "Infinity", "null",
]


@pytest.mark.parametrize(("value", "options", "expected"), VALID)
def test_every_valid_form_is_a_local_day(value: str, options: dict, expected: date) -> None:
    assert to_local_date(value, CPH, **options) == expected


@pytest.mark.parametrize("value", INVALID)
def test_everything_else_is_a_data_error(value: str) -> None:
    with pytest.raises(DataError) as info:
        to_local_date(value, CPH, allow_partial=True)
    assert len(info.value.message) < 140  # the note quotes a bounded part of the value


@pytest.mark.parametrize("value", ["2026", "2026-02"])
def test_partial_dates_only_where_allowed(value: str) -> None:
    with pytest.raises(DataError, match="does not name a day"):
        to_local_date(value, CPH)


@pytest.mark.parametrize("value", [None, 20260205, 2026.0, True, ["2026-02-05"], {"value": "2026-02-05"}])
def test_non_strings_are_data_errors(value: object) -> None:
    with pytest.raises(DataError, match="expected a date string"):
        to_local_date(value, CPH)


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/St_Johns"])
def test_extreme_zones_and_extreme_offsets_never_raise_anything_else(zone: str) -> None:
    tz = ZoneInfo(zone)
    for value in ("0001-01-01T00:00:00-14:00", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00",
                  "9999-12-31T23:59:59+14:00", "0001-01-01T00:00:00", "9999-12-31T23:59:59"):
        try:
            to_local_date(value, tz)
        except DataError:
            pass


# -- the quick reading of an instant (datetime.fromisoformat) against the fields --------------
def _two(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda n: f"{n:02d}")


instants = st.builds(
    lambda y, mo, d, h, mi, s, zone: f"{y:04d}-{mo}-{d}T{h}:{mi}{s}{zone}",
    st.sampled_from([1, 2, 1970, 2024, 2025, 2026, 9999]) | st.integers(1, 9999), _two(0, 13), _two(0, 32),
    _two(0, 25), _two(0, 61),
    st.just("") | st.builds(lambda s, frac: f":{s}{frac}", _two(0, 61),
                            st.just("") | st.integers(0, 10**9).map(lambda n: f".{n}")),
    st.just("") | st.just("Z") | st.builds(lambda sign, h, m: f"{sign}{h}:{m}", st.sampled_from("+-"), _two(0, 15),
                                           _two(0, 99)),
)


@settings(max_examples=2000, deadline=None)
@given(instants, st.sampled_from(["Europe/Copenhagen", "UTC", "Pacific/Kiritimati", "America/St_Johns",
                                  "Europe/Amsterdam", "Pacific/Pago_Pago"]))
def test_an_instant_read_quickly_is_the_day_its_fields_give(value: str, zone: str) -> None:
    """Leap seconds, hour 24, days that do not exist, offsets past 14:00 or with 60+ minutes, years
    shifted out of the calendar: the same day or the same DataError either way."""
    tz = ZoneInfo(zone)
    match = _DATETIME.fullmatch(value)
    assert match is not None

    def outcome(read: Callable[[], date]) -> object:
        try:
            return read()
        except DataError as exc:
            return str(exc)

    assert outcome(lambda: _parse.__wrapped__(value, tz, False, False)) == outcome(lambda: _from_fields(value, match, tz))
