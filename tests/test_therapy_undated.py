"""A recognised CAR-T infusion or bispecific start whose date names no day ("2025-10", "2025", "oktober 2025").

CAR-T is given at few centres, so a patient's infusion is often recorded from another hospital's letter with
a month only. The code is known and the therapy happened, but its window cannot be placed: it is not an index
event. Without another one the patient got no card at all (the record was only an "invalid" data note no card
showed); now patient-view, and the order hooks on an immunoglobulin draft, say the window could not be placed
and ask for the day. With another recognised, dated index event the normal card comes and names the record.
"""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import date
from typing import Any

import httpx
import pytest

from cds_service.fhir.facts import FactBuilder
from cds_service.http.app import create_app
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import load_bundle, replay, request_from_bundle
from cds_service.tools.timeline import build_timeline, patient_data
from cds_service.tools.worklist import render_table, run_worklist

from .fixtures import FIXTURES
from .servers import SettableClock, serve_in_thread
from .test_worklist import write_export

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 10)
SUBJECT = {"reference": "Patient/pt-undated"}
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}
CAR_T_PROCEDURE = {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}], "text": "CAR-T-celleterapi"}
TISAGENLECLEUCEL = {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01XL04"}]}
TECLISTAMAB = {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX24"}]}
FIXTURE = FIXTURES / "cart-month-only-given-elsewhere.json"


def procedure(rid: str = "cart", status: str = "completed", **when: str) -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": rid, "status": status, "subject": SUBJECT, "code": CAR_T_PROCEDURE,
            **(when or {"performedDateTime": "2025-10"})}


def given(effective: str = "2025-10", status: str = "completed") -> dict[str, Any]:
    return {"resourceType": "MedicationAdministration", "id": "cart-dose", "status": status, "subject": SUBJECT,
            "effectiveDateTime": effective, "medicationCodeableConcept": TISAGENLECLEUCEL}


def bsab_order(start: str = "2025-10", end: str | None = None) -> dict[str, Any]:
    bounds = {"start": start, **({"end": end} if end else {})}
    return {"resourceType": "MedicationRequest", "id": "tec", "status": "active", "intent": "order", "subject": SUBJECT,
            "medicationCodeableConcept": TECLISTAMAB,
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": bounds}}}]}


def chart(*resources: dict[str, Any], lymphoma: bool = True, born: str = "1955-01-01") -> dict[str, Any]:
    found = [{"resourceType": "Patient", "id": "pt-undated", "birthDate": born},
             {"resourceType": "Observation", "id": "igg", "status": "final", "subject": SUBJECT,
              "effectiveDateTime": "2026-01-05", "code": {"coding": [{"system": "http://loinc.org", "code": "2465-3"}]},
              "valueQuantity": {"value": 3.0, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}]
    if lymphoma:
        found.append({"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "verificationStatus": CONFIRMED,
                      "onsetDateTime": "2023-01-01",
                      "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C83.3"}]}})
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in (*found, *resources)]}


def cards(b: dict[str, Any], lang: str = "en") -> list[dict[str, Any]]:
    return replay(RUNTIME, b, lang=lang, at=AT).cards  # type: ignore[no-any-return]


@pytest.mark.parametrize("lang, summary, todo", [
    ("en", "Not checked: “CAR-T-celleterapi” is dated “2025-10”, with no day: record the day it was given",
     "Record the day it was given"),
    ("da", "Ikke vurderet: “CAR-T-celleterapi” er dateret “2025-10” uden dag: registrér dagen, den blev givet",
     "Registrér dagen, den blev givet"),
])
def test_a_car_t_infusion_dated_by_its_month_gets_a_card_asking_for_the_day(lang, summary, todo):
    """A lymphoma patient whose CAR-T is recorded as "2025-10": no card at all before (the Procedure was skipped
    as unusable); now an info card that names the therapy and the date as recorded, and asks for the day."""
    [card] = cards(chart(procedure()), lang)
    assert card["source"]["topic"]["code"] == "therapy-undated" and card["indicator"] == "info"
    assert card["summary"] == summary and len(card["summary"]) <= 140
    assert todo in card["detail"] and len(card["detail"]) <= 700
    assert "2025-10" in card["detail"] and "Medicinrådet 2025 §4.1." in card["detail"]
    assert "Data not used" not in card["detail"] and "Data ikke brugt" not in card["detail"]  # no note repeating it


@pytest.mark.parametrize("when, shown", [
    ({"performedDateTime": "2025"}, "“2025”"),
    ({"performedString": "oktober 2025"}, "“oktober 2025”"),
    ({"performedPeriod": {"start": "2025-10"}}, "“2025-10”"),  # type: ignore[dict-item]
])
def test_a_year_only_or_words_only_are_dates_with_no_day_too(when, shown):
    [card] = cards(chart(procedure(**when)))
    assert card["source"]["topic"]["code"] == "therapy-undated" and shown in card["summary"]


def test_a_car_t_product_given_in_a_month_is_named_by_its_product():
    [card] = cards(chart(given()))
    assert card["source"]["topic"]["code"] == "therapy-undated"
    assert card["summary"].startswith("Not checked: Tisagenlecleucel is dated “2025-10”")
    assert "a CAR-T product" in card["detail"]


def test_a_bispecific_whose_only_start_is_a_month_gets_the_card():
    [card] = cards(chart(bsab_order()))
    assert card["source"]["topic"]["code"] == "therapy-undated"
    assert card["summary"].startswith("Not checked: Teclistamab is dated “2025-10”") and "a bispecific antibody" in \
        card["detail"]


def test_a_bispecific_with_a_known_start_is_not_undated_by_its_end():
    """A start on a day and an end with none: the start is known, so it is not this card."""
    assert all(c["source"]["topic"]["code"] != "therapy-undated"
               for c in cards(chart(bsab_order("2025-10-06", end="2026-03"))))


def test_no_card_where_a_dated_therapy_would_get_none():
    assert cards(chart(procedure(), lymphoma=False)) == []                   # no haematological malignancy
    assert cards(chart(procedure(status="not-done"))) == []                  # never happened
    assert cards(chart(given(status="entered-in-error"))) == []
    assert cards(chart(procedure(performedDateTime="2026-03"))) == []        # not before today as far as told


def test_with_a_dated_index_event_the_normal_card_names_the_undated_record():
    """A dated CAR-T (2025-12-01) and a teclistamab start recorded as "2025-10": the normal start card comes, and
    its data note names the undated record, as the name-only therapy is named."""
    dated = procedure("cart-dated", performedDateTime="2025-12-01")
    for lang, words in (("en", "The therapy teclistamab \\(2025-10\\) has a date with no day"),
                        ("da", "Behandlingen teclistamab \\(2025-10\\) har en dato uden dag")):
        [card] = cards(chart(dated, bsab_order()), lang)
        assert card["source"]["topic"]["code"] == "start-substitution"
        assert words in card["detail"]


@pytest.mark.parametrize("born, child", [("2008-10-15", True), ("2007-10-01", False)])
def test_a_child_is_left_to_individual_assessment(born, child):
    """A CAR-T in "2025-10": born 2008-10-15, 16 on the first day it can mean (a child: §4 leaves children to
    individual assessment); born 2007-10-01, 18 on every day of it (an adult)."""
    [card] = cards(chart(given(), born=born))
    assert card["source"]["topic"]["code"] == "therapy-undated"
    assert card["summary"].startswith("Child (16 y): individual assessment") is child
    assert ("Medicinrådet 2025 §4. " in card["detail"]) is child  # §4 on children, not §4.1
    assert ("criteria yourself" in card["detail"]) is not child


def ivig_draft(rid: str = "ivig-draft") -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": rid, "status": "draft", "intent": "order", "subject": SUBJECT,
            "authoredOn": "2026-01-10",
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-01-12"}}}}]}


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
def test_an_ig_order_says_the_window_could_not_be_placed(hook):
    """An IVIG order signed for a patient whose CAR-T is dated "2025-10": the order screen said nothing, which a
    clinician could take for approval; it gets the patient-view card, tied to the draft."""
    answer = replay(RUNTIME, chart(procedure()), hook=hook, drafts=[ivig_draft()], at=AT)
    [card] = answer.cards
    assert card["source"]["topic"]["code"] == "therapy-undated" and "2025-10" in card["summary"]
    [shown] = answer.advice
    assert shown.targets == ("MedicationRequest/ivig-draft",) and "MedicationRequest/ivig-draft" in shown.evidence


def test_the_pipeline_shortcut_lets_an_undated_therapy_through():
    """No index event means no evaluation; an undated therapy must still be evaluated (it gets a card)."""
    resources = [e["resource"] for e in chart(procedure())["entry"]]
    assert FactBuilder(RUNTIME.terminology, RUNTIME.tz).has_index_event(resources)


def test_the_timeline_dates_the_card_on_the_first_day_the_date_can_mean():
    """CAR-T recorded as "2025-11", IgG on 2025-10-28 and 2026-01-13: the card applies from 2025-11-01 (the first
    day the month can mean), named as its own reason, not from the next IgG or a staleness day."""
    data = patient_data(load_bundle(FIXTURE), RUNTIME)
    timeline = build_timeline(data, RUNTIME, today=date(2026, 1, 20))
    first = next(c for c in timeline.changes if c.key)
    assert first.day == date(2025, 11, 1) and "therapy-undated" in str(first.key)
    assert [c.kind for c in timeline.reasons[date(2025, 11, 1)]] == ["therapy-undated"]


def test_the_worklist_lists_the_patient_last_with_nothing_checked(tmp_path):
    where = write_export(["cart-in-window-igg-low", "cart-month-only-given-elsewhere"], tmp_path / "export")
    result = run_worklist(where, date(2026, 1, 20), Settings(), jobs=1)
    assert [(r.patient_id, r.code) for r in result.rows] == [("pt-dk-0001", "start-substitution"),
                                                              ("pt-dk-0068", "therapy-undated")]
    lines = {line.split()[0]: line for line in render_table(result).splitlines()[4:6]}
    assert lines["pt-dk-0068"].endswith("  not used")


def test_over_http_patient_view_gives_the_card_and_its_page_names_the_record(tmp_path):
    """Patient-view over HTTP (real uvicorn) for the fixture: CAR-T given at another hospital, recorded as
    "2025-11". The card comes in Danish, and its explanation page lists the undated therapy among the facts."""
    at = date(2026, 1, 20)
    settings = replace(Settings(), evaluation_date=at, data_dir=str(tmp_path / "data"),
                       link_secret="undated-therapy-test-secret-0123456789")
    body = request_from_bundle(load_bundle(FIXTURE), "patient-view", [])
    with serve_in_thread(create_app(settings, clock=SettableClock(at))) as base:
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=body, timeout=20,
                              headers={"Accept-Language": "da"})
        assert response.status_code == 200, response.text
        [card] = response.json()["cards"]
        [link] = card["links"]
        page = httpx.get(link["url"], timeout=60)
    assert card["source"]["topic"]["code"] == "therapy-undated" and card["indicator"] == "info"
    assert card["summary"].startswith("Ikke vurderet") and "“2025-11”" in card["summary"]
    assert "Registrér dagen" in card["detail"]
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "Behandling, hvis dato ikke angiver en dag, eller uden dato (periode ikke placeret)" in text
    assert "Procedure/proc-cart-0068" in text and "tidligste dag: 2025-11-01" in text
    assert "seneste dag: 2025-11-30" in text
