"""Dates as Danish EHRs send them, through the pipeline: the calendar day a clinician means, or a note naming it.

A FHIR Period with only its end, a partial date, an onset given as a Period: each chart here is replayed at a
fixed date and the test names the card (or the fact, or the data note) the date must give. A date that cannot
be read as a day is named in the data notes, never silently dropped or moved to another day.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from cds_service.fhir.facts import FactBuilder
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cql_like_rules.valuesets import load_terminology

RUNTIME = load_runtime(Settings())
TZ = ZoneInfo("Europe/Copenhagen")
TERMINOLOGY = load_terminology()
PATIENT = "pt-dates"
SUBJECT = {"reference": f"Patient/{PATIENT}"}
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}


def lymphoma() -> dict[str, Any]:
    return {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2024-01-01",
            "verificationStatus": CONFIRMED, "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4.12", "code": "DC833"}]}}


def car_t(**when: Any) -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]}, **when}


def igg(rid: str, value: float, **when: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": SUBJECT,
            "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
            "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}, **when}


def pneumonia(rid: str, **when: Any) -> dict[str, Any]:
    """A confirmed bacterial pneumonia (not severe by its code): it counts towards 'recurrent'."""
    return {"resourceType": "Condition", "id": rid, "subject": SUBJECT, "verificationStatus": CONFIRMED,
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J15.1"}]}, **when}


def bundle(*resources: dict[str, Any], birth: str = "1960-05-01") -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": PATIENT, "birthDate": birth}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in (patient, *resources)]}


def cards(b: dict[str, Any], at: str, lang: str = "en") -> list[tuple[str, str]]:
    answer = replay(RUNTIME, b, at=date.fromisoformat(at), lang=lang)
    return [(str(c["source"]["topic"]["code"]), str(c["summary"])) for c in answer.cards]  # type: ignore[index]


def facts(*resources: dict[str, Any]):  # type: ignore[no-untyped-def]
    return FactBuilder(TERMINOLOGY, TZ).build(resources).facts


# -- a Period with only its end ----------------------------------------------------------------

def test_a_car_t_infusion_with_only_a_performed_period_end_is_dated_by_it() -> None:
    """Before: "completed CAR-T procedure has no performed date", the infusion skipped, and no card at all."""
    chart = bundle(lymphoma(), car_t(performedPeriod={"end": "2025-10-14T10:00:00+02:00"}),
                   igg("g", 3.0, effectiveDateTime="2025-10-20"))
    [(code, summary)] = cards(chart, "2025-10-21")
    assert code == "start-substitution"
    assert "CAR-T 2025-10-14" in summary and "stop attempt 2026-04-14" in summary


def test_an_igg_with_only_an_effective_period_end_is_dated_by_the_sample_not_by_issued() -> None:
    """The sample was taken by 10 February; the report was issued on the 12th. Before: with `issued` the result
    moved to the 12th, without it the result was skipped as having no date."""
    period = {"effectivePeriod": {"end": "2026-02-10T10:00:00+01:00"}}
    assert [r.date for r in facts(igg("a", 3.0, **period)).igg] == [date(2026, 2, 10)]
    assert [r.date for r in facts(igg("b", 3.0, **period, issued="2026-02-12T10:00:00+01:00")).igg] == [date(2026, 2, 10)]
    chart = bundle(lymphoma(), car_t(performedDateTime="2025-10-14T11:30:00+02:00"), igg("g", 3.0, **period))
    [(code, summary)] = cards(chart, "2026-02-11")
    assert code == "start-substitution" and "(2026-02-10)" in summary


def test_an_igg_with_only_issued_is_dated_by_the_danish_day_it_was_issued() -> None:
    """`issued` 00:30 on 1 March in Copenhagen (23:30 UTC on 28 February) is a result of 1 March."""
    for issued in ("2026-03-01T00:30:00+01:00", "2026-02-28T23:30:00Z"):
        chart = bundle(lymphoma(), car_t(performedDateTime="2025-10-14"), igg("g", 3.0, issued=issued))
        assert [c for c, _ in cards(chart, "2026-02-28")] == ["measure-igg"]
        [(code, summary)] = cards(chart, "2026-03-01")
        assert code == "start-substitution" and "(2026-03-01)" in summary


def test_a_dose_with_only_an_effective_period_end_is_dated_by_it() -> None:
    dose = {"resourceType": "MedicationAdministration", "id": "dose", "status": "completed", "subject": SUBJECT,
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]},
            "effectivePeriod": {"end": "2026-01-05T23:30:00Z"}}
    extraction = facts(dose)
    assert [d.date for d in extraction.ig_administrations] == [date(2026, 1, 6)] and extraction.notes == ()


def test_an_infection_onset_period_with_only_its_end_dates_the_onset_not_the_recorded_date() -> None:
    """Two pneumonias 19 days apart are recurrent (>= 14 days apart). Before, the first one's onsetPeriod.end was
    passed over for its recordedDate (10 days before the second): not recurrent, and the start not recommended."""
    chart = bundle(lymphoma(), car_t(performedDateTime="2025-10-14"), igg("g", 3.0, effectiveDateTime="2026-04-20"),
                   pneumonia("p1", onsetPeriod={"end": "2026-03-01"}, recordedDate="2026-03-10"),
                   pneumonia("p2", onsetDateTime="2026-03-20"))
    assert [i.onset for i in facts(*[e["resource"] for e in chart["entry"]]).infections] == [
        date(2026, 3, 1), date(2026, 3, 20)]
    assert [c for c, _ in cards(chart, "2026-05-01")] == ["start-meets-general-criteria"]


# -- partial dates: read as a day, and that day named ---------------------------------------------

def test_an_infection_dated_only_by_its_year_is_named_with_the_day_it_was_read_as() -> None:
    """Sepsis "2025" is read as 1 January 2025, out of the 12-month look-back on 1 May 2026: the card says no
    infection counts. Before, it said so with no word on the sepsis, which may have been in the look-back."""
    chart = bundle(lymphoma(), car_t(performedDateTime="2025-10-14"), igg("g", 3.0, effectiveDateTime="2026-03-02"),
                   {**pneumonia("sepsis", onsetDateTime="2025"),
                    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A41.9"}]}})
    answer = replay(RUNTIME, chart, at=date(2026, 5, 1))
    [card] = answer.cards
    assert card["source"]["topic"]["code"] == "no-start-without-infections"  # type: ignore[index]
    assert "The date “2025” of a diagnosis names no day: read as 2025-01-01" in str(card["detail"])
    danish = replay(RUNTIME, chart, at=date(2026, 5, 1), lang="da").cards[0]
    assert "Datoen “2025” i en diagnose angiver ingen dag: læst som 2025-01-01" in str(danish["detail"])


def test_a_month_only_infection_onset_and_a_full_one_differ_only_by_the_note() -> None:
    extraction = facts(pneumonia("a", onsetDateTime="2026-03"), pneumonia("b", onsetDateTime="2026-03-20"))
    assert [i.onset for i in extraction.infections] == [date(2026, 3, 1), date(2026, 3, 20)]
    assert [(n.kind, n.source, n.display, n.day) for n in extraction.notes] == [
        ("date-partial", "Condition/a", "2026-03", date(2026, 3, 1))]


def test_a_year_only_birth_date_that_makes_a_child_is_named_on_the_card() -> None:
    """Born "2008", CAR-T on 1 March 2026: 17 or 18 at T0. The youngest reading (a child) stands, and the card
    now says the age rests on a birth date with no day."""
    chart = bundle(lymphoma(), car_t(performedDateTime="2026-03-01T00:30:00+01:00"),
                   igg("g", 3.0, effectiveDateTime="2026-03-05"), birth="2008")
    [card] = replay(RUNTIME, chart, at=date(2026, 3, 6)).cards
    assert card["source"]["topic"]["code"] == "child-individual-assessment"  # type: ignore[index]
    assert "The date “2008” of a patient record names no day: read as 2008-12-31" in str(card["detail"])
    assert facts({"resourceType": "Patient", "id": PATIENT, "birthDate": "1960-05-01"}).notes == ()



def test_an_infection_onset_given_as_text_or_age_is_named_with_the_recorded_date_used_instead() -> None:
    """onsetString "i marts" or onsetAge 65 a name no day: the infection is dated by its recordedDate, and the
    card now says so (before, the recorded date silently stood in for the onset)."""
    extraction = facts(pneumonia("text", onsetString="i marts", recordedDate="2026-03-21"),
                       pneumonia("age", onsetAge={"value": 65, "unit": "a", "system": "http://unitsofmeasure.org",
                                                  "code": "a"}, recordedDate="2026-03-22T23:30:00Z"))
    assert [i.onset for i in extraction.infections] == [date(2026, 3, 21), date(2026, 3, 23)]
    assert [(n.kind, n.display, n.day) for n in extraction.notes] == [
        ("date-partial", "i marts", date(2026, 3, 21)), ("date-partial", "65 a", date(2026, 3, 23))]
    [note] = facts(pneumonia("only-text", onsetString="marts 2026")).notes  # named as the infection it is
    assert note.kind == "infection-undated" and "'marts 2026', not a date, and no recordedDate" in note.message


def test_an_infection_onset_given_as_an_age_range_is_named_by_its_numbers_not_in_english() -> None:
    """onsetRange was named "age range", words of the service's own in English, on a Danish card too
    ('Datoen “age range” i en diagnose ...'): the range is named by its numbers and unit as sent."""
    ages = {"low": {"value": 60, "unit": "a"}, "high": {"value": 61, "unit": "a"}}
    [note] = facts(pneumonia("range", onsetRange=ages, recordedDate="2026-03-21")).notes
    assert (note.kind, note.display, note.day) == ("date-partial", "60–61 a", date(2026, 3, 21))



def test_a_draft_order_planned_for_a_month_is_said_to_have_no_day_not_an_end_before_its_start() -> None:
    """order-sign, IVIG drafted to start "2026-03" (a valid FHIR dateTime): judged as starting the day it is
    signed, as before; the card said its dates could not be read "(an end before its start)"."""
    chart = bundle(lymphoma(), car_t(performedDateTime="2025-10-14"), igg("g", 3.0, effectiveDateTime="2026-02-20"))
    draft = {"resourceType": "MedicationRequest", "id": "draft", "status": "draft", "intent": "order", "subject": SUBJECT,
             "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]},
             "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-03"}}}}]}
    for lang, says in (("en", "A planned date of an order, “2026-03”, names no day: it was judged as starting today"),
                       ("da", "En planlagt dato i en ordination, “2026-03”, angiver ingen dag: den er vurderet som "
                              "startende i dag")):
        answer = replay(RUNTIME, chart, lang=lang, hook="order-sign", drafts=[draft], at=date(2026, 2, 25))
        [card] = answer.cards
        assert card["source"]["topic"]["code"] == "order-meets-criteria"  # type: ignore[index]
        assert says in str(card["detail"]) and "(an end before its start)" not in str(card["detail"])
        assert "(slut før start)" not in str(card["detail"])


# -- the same chart on every entrance: the timeline changes where replay does ------------------------

def test_the_timeline_shows_the_start_card_from_the_day_the_malignancy_is_recorded() -> None:
    """CAR-T 14 October, IgG 3.0 on the 20th, the lymphoma recorded on 5 November (23:30 UTC: the 6th in
    Copenhagen). Replay gives the start card from the 6th; the timeline drew "no advice" until the IgG aged
    past 30 days (20 November), since the day a diagnosis is recorded was not among its candidate days."""
    from cds_service.tools.timeline import build_timeline, change_days, patient_data, state_on

    dx = {**lymphoma(), "recordedDate": "2025-11-05T23:30:00Z"}
    del dx["onsetDateTime"]
    chart = bundle(dx, car_t(performedDateTime="2025-10-14T11:30:00+02:00"), igg("g", 3.0, effectiveDateTime="2025-10-20"))
    assert cards(chart, "2025-11-05") == []
    assert [c for c, _ in cards(chart, "2025-11-06")] == ["start-substitution"]
    data = patient_data(chart, RUNTIME)
    start, end = date(2025, 10, 1), date(2026, 5, 1)
    timeline = build_timeline(data, RUNTIME, start, end)
    every_day = [state_on(data, RUNTIME, start + timedelta(days=n)) for n in range((end - start).days + 1)]
    assert [s.day for s in timeline.changes] == change_days(every_day)
    assert date(2025, 11, 6) in [s.day for s in timeline.changes]


def test_the_explanation_page_dates_a_card_made_after_midnight_in_copenhagen_by_that_day(tmp_path) -> None:
    """The service's clock at 23:30 UTC on 20 January is 00:30 on the 21st in Copenhagen: the card is evaluated
    as of the 21st, and its page said it was made on the 20th (the UTC day of the stored instant)."""
    from dataclasses import replace
    from datetime import datetime, timezone

    import httpx

    from cds_service.http.app import create_app
    from cds_service.tools.replay import load_bundle, request_from_bundle

    from .fixtures import FIXTURES
    from .servers import serve_in_thread

    def clock() -> datetime:
        return datetime(2026, 1, 20, 23, 30, tzinfo=timezone.utc)

    settings = replace(Settings(), data_dir=str(tmp_path / "data"), link_secret="explanation-link-test-secret-0123456789")
    body = request_from_bundle(load_bundle(FIXTURES / "cart-in-window-igg-low.json"))
    with serve_in_thread(create_app(settings, clock=clock)) as base:
        response = httpx.post(f"{base}/cds-services/igsub-patient-view", json=body, timeout=20)
        assert response.status_code == 200, response.text
        [card] = response.json()["cards"]
        page = httpx.get(card["links"][0]["url"], timeout=60).text
    assert "Evaluated as of 2026-01-21" in page
    assert f"Snapshot of card {card['uuid']}, made 2026-01-21." in page
    assert "made 2026-01-20" not in page
