"""The explanation page shows the courses of doses the rules made, not a grouping of its own.

A clinician who reads 'Teclistamab, 6 doses 2025-01-05 → 2025-02-20' on the page must see the course the rules
used: its doses, its first and last day and so its T0 and window. The page grouped doses itself (one drug's doses,
a new course after the rule set's gap) and drifted from the rules: a bsAb order running through a pause longer
than the gap keeps the rules' course going (two courses on the page), IVIG then SCIG doses are one Ig course to
the rules (two on the page), doses within an Ig order's period are the order's course (a course of doses on the
page), and doses dated after the card's day are no part of the course the rules read (the page counted them).
Now the snapshot stores the rules' courses beside the facts (`dose_courses`: a few dozen bytes a course) and the
page shows those; a snapshot stored before it had them still renders, grouped as the page did then."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timezone
from typing import Any

import orjson
import pytest

from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import Answer, answer_local
from cds_service.records.snapshot import DOSE_COURSES
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import request_from_bundle
from cql_like_rules.facts import BsAbExposure

from .fixtures import load_fixtures
from .test_acceptance_igg import NPU, SUBJECT, bundle, condition, obs
from . import pages

RUNTIME = load_runtime(Settings())
NOW = datetime(2026, 2, 20, 11, 30, tzinfo=timezone.utc)
ATC = "http://www.whocc.no/atc"
TEC, TALQ, IVIG, SCIG = "L01FX24", "L01FX29", "J06BA02", "J06BA01"
GAP = RUNTIME.ruleset.parameters.bsab_course_gap_days  # 90
IG_GAP = RUNTIME.ruleset.parameters.ig_administration_course_days  # 35


def given(rid: str, day: str, code: str) -> dict[str, Any]:
    when = f"{day}T09:30:00+01:00" if len(day) == 10 else day  # "2025-02": a date with no day, sent as it is
    return {"resourceType": "MedicationAdministration", "id": rid, "status": "completed", "subject": SUBJECT,
            "effectiveDateTime": when, "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]}}


def order(rid: str, code: str, start: str, end: str, status: str = "active") -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order", "subject": SUBJECT,
            "authoredOn": start, "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": start, "end": end}}}}]}


def doses(prefix: str, code: str, *days: str) -> list[dict[str, Any]]:
    return [given(f"{prefix}-{i}", day, code) for i, day in enumerate(days, 1)]


def chart(*extra: dict[str, Any]) -> dict[str, Any]:
    return bundle(condition("dx", "http://hl7.org/fhir/sid/icd-10", "C90.0", "2023-03-01"),
                  obs("igg", "2025-01-20", NPU, "NPU19814", 3.1), *extra)


def answered(b: dict[str, Any], at: date, lang: str = "en") -> Answer:
    answer = answer_local(parse_hook_request(request_from_bundle(b), "patient-view"), RUNTIME, lang=lang, today=at)
    assert answer.cards, answer.advice
    return answer


def stored(answer: Answer) -> dict[str, Any]:
    data = pages.stored(answer, RUNTIME)
    return data


def page(data: dict[str, Any], lang: str = "en") -> str:
    return pages.rendered(data, lang, RUNTIME, NOW)


def course_rows(shown: str) -> list[str]:
    """The course rows' summaries ('Teclistamab, 6 doses 2025-01-05 → 2025-02-20')."""
    [table] = re.findall(r'<table id="facts">(.*?)</table>', shown, re.S)
    rows = re.findall(r'<tr class="course"><td>[^<]*</td><td class="date">[^<]*</td><td>([^<]*)<br>', table)
    return sorted(html.unescape(r) for r in rows)


def rules_courses(answer: Answer) -> list[str]:
    """The courses of two or more doses the rules made, written as the page writes them."""
    found = []
    for course in answer.evaluation.dose_courses():
        given = [f for f in course.facts if not isinstance(f, BsAbExposure) or f.administered]
        if len(given) < 2:
            continue
        days = [f.start if isinstance(f, BsAbExposure) else f.date for f in given]
        name = course.drug or ("Bispecific antibody" if course.kind == "bsab" else "Immunoglobulin")
        found.append(f"{name[:1].upper() + name[1:]}, {len(given)} doses {days[0]} → {days[-1]}")
    return sorted(found)


def old_layout(data: dict[str, Any]) -> dict[str, Any]:
    """The snapshot as it was stored before the rules' courses were kept beside the facts."""
    facts = dict(data["facts"])
    del facts[DOSE_COURSES]
    return {**data, "facts": facts}


def course_starts(answer: Answer) -> list[str]:
    step = next(s for s in answer.evaluation.trace if s.name == "BsAb Course Starts")
    return [f"{e.product} {e.date}" for e in step.raw]


@pytest.mark.parametrize("pause, courses", [
    (GAP, ["Teclistamab, 4 doses 2025-01-05 → 2025-04-19"]),  # a pause of the gap itself: the same course
    (GAP + 1, ["Teclistamab, 2 doses 2025-01-05 → 2025-01-12", "Teclistamab, 2 doses 2025-04-13 → 2025-04-20"]),
])
def test_a_bsab_pause_shorter_or_longer_than_the_gap_is_the_rules_course(pause, courses):
    later = date(2025, 1, 12).toordinal() + pause
    second = [date.fromordinal(later).isoformat(), date.fromordinal(later + 7).isoformat()]
    answer = answered(chart(*doses("tec", TEC, "2025-01-05", "2025-01-12", *second)), date(2025, 5, 1))
    shown = course_rows(page(stored(answer)))
    assert shown == rules_courses(answer) == courses
    # a new course is a new course start to the rules (a new T0 and window), as the page's rows say
    assert course_starts(answer) == [f"teclistamab {c.split()[3]}" for c in courses]
    assert f"More than {GAP} days without a dose or a running order of it begins a new course" in page(stored(answer))


def test_a_bsab_order_running_through_a_long_pause_keeps_the_rules_course_which_the_page_split():
    """The fault: the page's own grouping counted doses only; the rules count the order's period as exposure."""
    b = chart(*doses("tec", TEC, "2025-01-05", "2025-01-12", "2025-05-10", "2025-05-17"),
              order("tec-order", TEC, "2025-01-20", "2025-04-30"))
    answer = answered(b, date(2025, 6, 1))
    data = stored(answer)
    assert course_starts(answer) == ["teclistamab 2025-01-05"]  # one course, one T0
    shown = page(data)
    assert course_rows(shown) == rules_courses(answer) == ["Teclistamab, 4 doses 2025-01-05 → 2025-05-17"]
    assert "The course also holds 1 order(s), on rows of their own." in shown
    assert "MedicationRequest/tec-order" in shown
    # what the page said from its own grouping (still how a snapshot stored before this change reads)
    assert course_rows(page(old_layout(data))) == ["Teclistamab, 2 doses 2025-01-05 → 2025-01-12",
                                                   "Teclistamab, 2 doses 2025-05-10 → 2025-05-17"]


def test_two_bsabs_interleaved_are_a_course_each():
    b = chart(*doses("tec", TEC, "2025-01-05", "2025-01-19", "2025-02-02"),
              *doses("talq", TALQ, "2025-01-12", "2025-01-26", "2025-02-09"))
    answer = answered(b, date(2025, 3, 1))
    assert course_rows(page(stored(answer))) == rules_courses(answer) == [
        "Talquetamab, 3 doses 2025-01-12 → 2025-02-09", "Teclistamab, 3 doses 2025-01-05 → 2025-02-02"]


def test_ivig_then_scig_doses_are_one_ig_course_as_the_rules_made_it():
    b = chart(*doses("tec", TEC, "2025-01-05", "2025-01-12"),
              *doses("ivig", IVIG, "2025-02-01", "2025-03-01"), *doses("scig", SCIG, "2025-03-08", "2025-03-15"))
    answer = answered(b, date(2025, 4, 1))
    data = stored(answer)
    rows = course_rows(page(data))
    assert rows == rules_courses(answer) == ["Immunoglobulin, 4 doses 2025-02-01 → 2025-03-15",
                                             "Teclistamab, 2 doses 2025-01-05 → 2025-01-12"]
    assert f"More than {IG_GAP} days without a dose begins a new course." in page(data)
    da = course_rows(page(data, "da"))
    assert "Immunglobulin, 4 doser 2025-02-01 → 2025-03-15" in da
    # the page's own grouping made a course per product (how a snapshot stored before this change reads)
    assert course_rows(page(old_layout(data))) == ["IVIG, 2 doses 2025-02-01 → 2025-03-01",
                                                   "SCIG, 2 doses 2025-03-08 → 2025-03-15",
                                                   "Teclistamab, 2 doses 2025-01-05 → 2025-01-12"]


def test_ig_doses_within_an_order_are_the_orders_course_not_a_course_of_doses():
    fixture = next(f for f in load_fixtures() if f.name == "cart-ig-active-stop-due-14-days")
    answer = answered(fixture.bundle, fixture.at)
    data = stored(answer)
    assert course_rows(page(data)) == rules_courses(answer) == []
    assert "MedicationAdministration/ma-ivig-0011-1" in page(data)  # each dose a row of its own
    assert course_rows(page(old_layout(data))) == ["IVIG, 2 doses 2025-10-24 → 2025-11-21"]


def test_doses_dated_after_the_cards_day_are_not_in_the_course():
    fixture = next(f for f in load_fixtures() if f.name == "ivig-given-as-administrations-only-stop-planned")
    answer = answered(fixture.bundle, fixture.at)  # 2026-01-20; the chart holds doses of 2026-02-02 and 2026-03-02
    data = stored(answer)
    assert course_rows(page(data)) == rules_courses(answer) == ["IVIG, 3 doses 2025-11-10 → 2026-01-05"]
    assert course_rows(page(old_layout(data))) == ["IVIG, 5 doses 2025-11-10 → 2026-03-02"]


def test_a_dose_with_only_a_partial_date_is_in_no_course():
    """A bsAb dose dated '2025-02' is named as an undated therapy, never a dose of a course; the course is the rules'."""
    b = chart(*doses("tec", TEC, "2025-01-05", "2025-01-12", "2025-02", "2025-03-01"))
    answer = answered(b, date(2025, 4, 1))
    data = stored(answer)
    shown = page(data)
    assert course_rows(shown) == rules_courses(answer) == ["Teclistamab, 3 doses 2025-01-05 → 2025-03-01"]
    assert "MedicationAdministration/tec-3" in shown  # named elsewhere on the page, not folded into the course
    assert not [r for r in re.findall(r'<tr class="course">(.*?)</tr>', shown) if "tec-3" in r]
    undated = [r for r in re.findall(r"<tr>(.*?)</tr>", shown) if "MedicationAdministration/tec-3" in r]
    assert undated and "2025-02" in undated[0], undated


def test_an_ig_dose_with_only_a_partial_date_is_in_no_course():
    """An IVIG dose dated '2025-02' is not read (named in the data notes): the course is of the doses with a day."""
    b = chart(*doses("tec", TEC, "2025-01-05", "2025-01-12"), *doses("ivig", IVIG, "2025-02-01", "2025-02", "2025-03-01"))
    answer = answered(b, date(2025, 4, 1))
    assert course_rows(page(stored(answer))) == rules_courses(answer) == [
        "IVIG, 2 doses 2025-02-01 → 2025-03-01", "Teclistamab, 2 doses 2025-01-05 → 2025-01-12"]
    assert [n.kind for n in answer.notes if n.source == "MedicationAdministration/ivig-2"] == ["invalid"]


def test_a_snapshot_stored_without_the_rules_courses_still_renders():
    """A row an older service left: the same page as before, its courses grouped as the page grouped them then."""
    b = chart(*doses("tec", TEC, "2025-01-05", "2025-01-08", "2025-01-12", "2025-02-20"))
    answer = answered(b, date(2025, 3, 1))
    data = stored(answer)
    old = old_layout(data)
    assert DOSE_COURSES not in old["facts"]
    assert course_rows(page(old)) == course_rows(page(data)) == ["Teclistamab, 4 doses 2025-01-05 → 2025-02-20"]
    assert 'id="reasoning"' in page(old)


def test_the_stored_courses_are_small():
    b = chart(*doses("tec", TEC, "2025-01-05", "2025-01-08", "2025-01-12", "2025-02-20"))
    data = stored(answered(b, date(2025, 3, 1)))
    assert data["facts"][DOSE_COURSES] == [{"kind": "bsab", "drug": "teclistamab", "first": "2025-01-05",
                                            "last": "2025-02-20", "doses": 4, "facts": [0, 1, 2, 3]}]
    assert len(orjson.dumps(data["facts"][DOSE_COURSES])) < 120


@pytest.mark.parametrize("broken", [
    [{"kind": "bsab", "facts": [0, 99]}],  # an index past the list
    [{"kind": "bsab", "facts": [True, 2]}],  # a boolean is no index
    [{"kind": "bsab", "facts": "0123"}],  # a string where the list should be
    "teclistamab",
    [None, {"kind": "bsab"}],
])
def test_a_corrupted_stored_course_is_no_course_and_no_error(broken):
    data = stored(answered(chart(*doses("tec", TEC, "2025-01-05", "2025-01-08", "2025-01-12")), date(2025, 3, 1)))
    data["facts"][DOSE_COURSES] = broken
    shown = page(data)
    assert course_rows(shown) == []
    assert all(f"MedicationAdministration/tec-{i}" in shown for i in (1, 2, 3))  # each dose on a row of its own


def test_a_stored_course_whose_dose_has_lost_its_day_is_no_course_and_no_error():
    """The fault: the page looked the dose's day up unchecked, and a stored fact without it was an error page."""
    data = stored(answered(chart(*doses("tec", TEC, "2025-01-05", "2025-01-08", "2025-01-12")), date(2025, 3, 1)))
    del data["facts"]["bsab"][1]["start"]
    shown = page(data)
    assert course_rows(shown) == []
    assert "MedicationAdministration/tec-2" in shown
