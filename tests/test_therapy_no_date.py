"""A recognised CAR-T infusion or bispecific start that carries no date at all (no performed[x], no effective[x],
no start, dose day or authoredOn), and an immunoglobulin dose with none.

A different data fault from a date with no day ("2025-10", test_therapy_undated.py): there is no date to correct,
only one to add. Before, a completed CAR-T Procedure with no performed[x] was only an "invalid" data note and the
patient got no card (a bsAb administration or procedure the same); it now gets the `therapy-undated` advice in a
variant of its own (`no-date`, `no-date-child`), on every hook, the timeline, the worklist and the explanation page.
An immunoglobulin dose with no date was "a recorded dose holds unusable data"; it is now named as a dose that was not
used, asking whether the patient is on substitution (as an immunoglobulin order that cannot be placed is).
"""

from __future__ import annotations

import copy
import html
import json
from dataclasses import replace
from datetime import date
from typing import Any

import httpx
import pytest

from cds_service.http.app import create_app
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.settings import Settings
from cds_service.tools.replay import load_bundle, replay, request_from_bundle
from cds_service.tools.timeline import build_timeline, patient_data
from cds_service.tools.worklist import render_table, run_worklist

from .servers import SettableClock, serve_in_thread
from .test_therapy_undated import AT, FIXTURE, RUNTIME, SUBJECT, bsab_order, cards, chart, given, ivig_draft, procedure
from .test_worklist import write_export

SKS = "urn:oid:1.2.208.176.2.4"


def undated(resource: dict[str, Any], *fields: str) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k not in fields}


NO_DATE_PROCEDURE = undated(procedure(), "performedDateTime")


@pytest.mark.parametrize("lang, summary, decision, todo", [
    ("en", "Not checked: “CAR-T-celleterapi” is recorded with no date: add the day it was given or starts",
     "this record of it has no date", "Add the day it was given to the record"),
    ("da", "Ikke vurderet: “CAR-T-celleterapi” er registreret uden dato: tilføj dagen, den blev givet eller starter",
     "denne registrering har ingen dato", "Tilføj dagen, den blev givet, til registreringen"),
])
def test_a_completed_car_t_procedure_with_no_date_gets_the_card_saying_it_carries_none(lang, summary, decision, todo):
    """A lymphoma patient whose CAR-T Procedure is completed with no performed[x]: no card before (an "invalid"
    note no card showed); now the undated-therapy card, saying the record carries no date (not "names no day")."""
    [card] = cards(chart(NO_DATE_PROCEDURE), lang)
    assert card["source"]["topic"]["code"] == "therapy-undated" and card["indicator"] == "info"
    assert card["summary"] == summary and len(card["summary"]) <= 140 and len(card["detail"]) <= 700
    assert decision in card["detail"] and todo in card["detail"] and "§4.1." in card["detail"]
    assert "“”" not in card["summary"] + card["detail"]  # no empty date quoted
    assert "Data not used" not in card["detail"] and "Data ikke brugt" not in card["detail"]  # its note not repeated
    [shown] = replay(RUNTIME, chart(NO_DATE_PROCEDURE), at=AT).advice
    assert shown.variant == "no-date"


def test_a_child_with_a_car_t_with_no_date_is_left_to_individual_assessment():
    [card] = cards(chart(NO_DATE_PROCEDURE, born="2010-01-01"))
    assert card["summary"] == "Not checked: “CAR-T-celleterapi” is recorded with no date; child (16 y): individual assessment"
    assert "Medicinrådet 2025 §4. " in card["detail"] and "recorded with no date at all" in card["detail"]
    [da] = cards(chart(NO_DATE_PROCEDURE, born="2010-01-01"), "da")
    assert da["summary"] == "Ikke vurderet: “CAR-T-celleterapi” er registreret uden dato; barn (16 år): individuel vurdering"


@pytest.mark.parametrize("record, drug", [
    (undated(given(), "effectiveDateTime"), "Tisagenlecleucel"),                          # CAR-T product given
    ({**bsab_order(), "dosageInstruction": []}, "Teclistamab"),                           # bsAb order, no start at all
    ({**undated(given(), "effectiveDateTime"), "medicationCodeableConcept": {             # bsAb given
        "coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX24"}]}}, "Teclistamab"),
    ({"resourceType": "Procedure", "id": "blin", "status": "completed", "subject": SUBJECT,  # bsAb under its SKS code
      "code": {"coding": [{"system": SKS, "code": "BOHJ19K1"}]}}, "Blinatumomab"),
])
def test_a_bispecific_or_car_t_product_with_no_date_gets_the_same_card(record, drug):
    """Each was an "invalid" note and no card (the bsAb order with no start, no dose day and no authoredOn too)."""
    [card] = cards(chart(record))
    assert card["source"]["topic"]["code"] == "therapy-undated"
    assert card["summary"] == f"Not checked: {drug} is recorded with no date: add the day it was given or starts"
    assert "for an order, the day it starts" in card["detail"]  # an order with no start may not have been given yet


def test_a_bispecific_procedure_dated_by_its_month_is_the_undated_card_too():
    """BOHJ19K1 performed "2025-10": it was an "invalid" note (a month is not a day), as the CAR-T one is not."""
    record = {"resourceType": "Procedure", "id": "blin", "status": "completed", "subject": SUBJECT,
              "code": {"coding": [{"system": SKS, "code": "BOHJ19K1"}]}, "performedDateTime": "2025-10"}
    [card] = cards(chart(record))
    assert card["summary"].startswith("Not checked: Blinatumomab is dated “2025-10”")


def test_beside_a_dated_therapy_the_record_with_no_date_is_named_as_such():
    dated = procedure("cart-dated", performedDateTime="2025-12-01")
    for lang, words in (("en", "The therapy “CAR-T-celleterapi” is recorded with no date, so its high-risk window"),
                        ("da", "Behandlingen “CAR-T-celleterapi” er registreret uden dato, så dens højrisikoperiode")):
        [card] = cards(chart(dated, NO_DATE_PROCEDURE), lang)
        assert card["source"]["topic"]["code"] == "start-substitution" and words in card["detail"], card["detail"]


@pytest.mark.parametrize("dose", [
    {"resourceType": "MedicationAdministration", "id": "ivig-dose", "status": "completed", "subject": SUBJECT,
     "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}],
                                   "text": "Privigen"}},
    {"resourceType": "Procedure", "id": "ivig-dose", "status": "completed", "subject": SUBJECT,
     "code": {"coding": [{"system": SKS, "code": "BOHJ10B"}], "text": "Privigen"}},
])
def test_an_immunoglobulin_dose_with_no_date_is_named_first_not_as_unusable_data(dose):
    """The in-window CAR-T patient with an IVIG dose recorded with no date: the start card said only "a recorded
    dose holds unusable data and was skipped"; it now names the dose and asks whether the patient is on
    substitution (the dose cannot be placed, so the start card stands, as for an undated immunoglobulin order)."""
    dated = procedure("cart-dated", performedDateTime="2025-12-01")
    for lang, words in (("en", "An immunoglobulin dose (“Privigen”) recorded with no date was not used: check whether "
                               "the patient is already on substitution"),
                        ("da", "En immunglobulindosis (“Privigen”) registreret uden dato er ikke brugt: tjek, om "
                               "patienten allerede får substitution")):
        [card] = cards(chart(dated, dose), lang)
        assert card["source"]["topic"]["code"] == "start-substitution" and words in card["detail"], card["detail"]
        assert "unusable" not in card["detail"]


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
def test_an_ig_order_gets_the_card_too(hook):
    answer = replay(RUNTIME, chart(NO_DATE_PROCEDURE), hook=hook, drafts=[ivig_draft()], at=AT)
    [card] = answer.cards
    assert card["source"]["topic"]["code"] == "therapy-undated" and "recorded with no date:" in card["summary"]
    assert answer.advice[0].targets == ("MedicationRequest/ivig-draft",)


def no_date_fixture() -> dict[str, Any]:
    """The fixture (CAR-T given at another hospital, recorded as "2025-11") with its Procedure's date left out."""
    bundle = copy.deepcopy(load_bundle(FIXTURE))
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Procedure":
            entry["resource"].pop("performedDateTime", None)
            entry["resource"].pop("performedPeriod", None)
    return bundle


def test_the_timeline_shows_the_card_from_its_first_day():
    timeline = build_timeline(patient_data(no_date_fixture(), RUNTIME), RUNTIME, today=date(2026, 1, 20))
    first = next(c for c in timeline.changes if c.key)
    assert "therapy-undated" in str(first.key) and "no-date" in str(first.key)


def test_the_worklist_lists_the_patient_with_nothing_checked(tmp_path):
    where = write_export(["cart-in-window-igg-low", "cart-month-only-given-elsewhere"], tmp_path / "export")
    procedures = where / "Procedure.ndjson"
    lines = [json.loads(line) for line in procedures.read_text().splitlines() if line]
    for resource in lines:
        if resource["id"] == "proc-cart-0068":
            resource.pop("performedDateTime", None)
            resource.pop("performedPeriod", None)
    procedures.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    result = run_worklist(where, date(2026, 1, 20), Settings(), jobs=1)
    assert [(r.patient_id, r.code) for r in result.rows] == [("pt-dk-0001", "start-substitution"),
                                                              ("pt-dk-0068", "therapy-undated")]
    line = next(line for line in render_table(result).splitlines() if line.startswith("pt-dk-0068"))
    assert line.endswith("  not used")


def test_over_http_the_card_and_its_explanation_page_name_the_record(tmp_path):
    at = date(2026, 1, 20)
    settings = replace(Settings(), evaluation_date=at, data_dir=str(tmp_path / "data"),
                       link_secret="no-date-therapy-test-secret-0123456789")
    body = request_from_bundle(no_date_fixture(), "patient-view", [])
    with serve_in_thread(create_app(settings, clock=SettableClock(at))) as base:
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=body, timeout=20,
                              headers={"Accept-Language": "da"})
        assert response.status_code == 200, response.text
        [card] = response.json()["cards"]
        [link] = card["links"]
        page = httpx.get(link["url"], timeout=60)
    assert card["source"]["topic"]["code"] == "therapy-undated" and "registreret uden dato:" in card["summary"]
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "Behandling, hvis dato ikke angiver en dag, eller uden dato (periode ikke placeret)" in text
    assert "Procedure/proc-cart-0068" in text and "no-date" in text
