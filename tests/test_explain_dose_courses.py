"""A series of doses reads on the explanation page as its course, not one row per administration.

Six teclistamab doses and a run of IVIG doses were twelve near-identical fact rows ('Bispecific antibody 2025-01-05
drug: teclistamab; end: 2025-01-05; administered: yes', ...): the clinician had to count them. A series is one row,
'Teclistamab, 6 doses 2025-01-05 → 2025-02-20', its single doses folded beneath; a dose after a gap longer than
the rule set's for that drug begins another course; orders stay rows of their own. The facts stored and the trace
do not change."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timezone
from typing import Any

import pytest

from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import request_from_bundle

from .test_acceptance_igg import NPU, SUBJECT, bundle, condition, obs
from . import pages

RUNTIME = load_runtime(Settings())
NOW = datetime(2026, 2, 20, 11, 30, tzinfo=timezone.utc)
ATC = "http://www.whocc.no/atc"
TEC_DAYS = ("2025-01-05", "2025-01-08", "2025-01-12", "2025-01-19", "2025-02-05", "2025-02-20")
IVIG_DAYS = ("2025-01-25", "2025-02-22")


def given(rid: str, day: str, code: str) -> dict[str, Any]:
    return {"resourceType": "MedicationAdministration", "id": rid, "status": "completed", "subject": SUBJECT,
            "effectiveDateTime": f"{day}T09:30:00+01:00",
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]}}


def chart(*extra: dict[str, Any]) -> dict[str, Any]:
    return bundle(condition("dx", "http://hl7.org/fhir/sid/icd-10", "C90.0", "2023-03-01"),
                  *[given(f"tec-{i}", day, "L01FX24") for i, day in enumerate(TEC_DAYS, 1)],
                  *[given(f"ivig-{i}", day, "J06BA02") for i, day in enumerate(IVIG_DAYS, 1)],
                  obs("igg", "2025-01-20", NPU, "NPU19814", 3.1), *extra)


def stored_and_page(b: dict[str, Any], lang: str, at: date = date(2025, 3, 1)) -> tuple[dict, str]:
    answer = answer_local(parse_hook_request(request_from_bundle(b), "patient-view"), RUNTIME, lang=lang, today=at)
    data = pages.stored(answer, RUNTIME)
    return data, pages.rendered(data, lang, RUNTIME, NOW)


def rows(page: str) -> list[list[str]]:
    [table] = re.findall(r'<table id="facts">(.*?)</table>', page, re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", " ", cell)).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S) if "<td" in row]


@pytest.mark.parametrize("lang, tec, ivig, facts", [
    ("en", "Teclistamab, 6 doses 2025-01-05 → 2025-02-20", "IVIG, 2 doses 2025-01-25 → 2025-02-22", "Facts (11)"),
    ("da", "Teclistamab, 6 doser 2025-01-05 → 2025-02-20", "IVIG, 2 doser 2025-01-25 → 2025-02-22", "Fakta (11)"),
])
def test_a_series_of_doses_is_one_row_with_its_doses_beneath(lang, tec, ivig, facts):
    data, page = stored_and_page(chart(), lang)
    shown = rows(page)
    [course] = [r for r in shown if tec in r[2]]
    assert course[1] == "2025-01-05 → 2025-02-20", course
    for i, day in enumerate(TEC_DAYS, 1):  # every single dose one level down, with its source
        assert day in course[2] and f"MedicationAdministration/tec-{i}" in course[2], course
    assert [r for r in shown if ivig in r[2]], shown
    assert not [r for r in shown if re.fullmatch(r"MedicationAdministration/tec-\d", r[-1])], shown  # no row per dose
    assert len(shown) == 5, shown  # patient, IgG, the two courses, the diagnosis
    assert facts in page  # still every fact the rules were given
    # what is stored (and the card's machine-readable trace) is untouched: one fact per administration
    assert len([f for f in data["facts"]["bsab"] if f["administered"]]) == 6
    assert len(data["facts"]["ig_administrations"]) == 2


def test_a_dose_after_a_long_gap_begins_another_course_and_a_lone_dose_stays_a_row():
    later = given("tec-late", "2025-07-01", "L01FX24")  # > 90 days after the last dose: a new course
    _, page = stored_and_page(chart(later), "en", date(2025, 7, 10))
    shown = rows(page)
    assert [r for r in shown if "Teclistamab, 6 doses 2025-01-05 → 2025-02-20" in r[2]], shown
    [lone] = [r for r in shown if r[-1] == "MedicationAdministration/tec-late"]
    assert lone[1] == "2025-07-01" and "drug: teclistamab" in lone[2], lone


def test_an_order_is_not_folded_into_the_doses():
    order = {"resourceType": "MedicationRequest", "id": "tec-order", "status": "active", "intent": "order",
             "subject": SUBJECT, "authoredOn": "2025-01-04",
             "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01FX24"}]},
             "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-01-05"}}}}]}
    _, page = stored_and_page(chart(order), "en")
    shown = rows(page)
    assert [r for r in shown if r[-1] == "MedicationRequest/tec-order"], shown
    assert [r for r in shown if "Teclistamab, 6 doses" in r[2]], shown
