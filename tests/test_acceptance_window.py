"""The high-risk window from the clinician's side: cards around T0 and the stop date, replayed from FHIR.

Each case is a small bundle built here (a patient, a lymphoma, a CAR-T infusion on 2025-11-18, so the
stop date is 2026-05-18, and the facts that matter), replayed at a fixed date; each test asserts what
the clinician reads on the card against Medicinrådet 2025, section 4.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

RUNTIME = load_runtime(Settings())
PATIENT = "pt-window"
SUBJECT = {"reference": f"Patient/{PATIENT}"}
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}


def condition(rid: str, code: str, onset: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": rid, "subject": SUBJECT, "onsetDateTime": onset,
            "verificationStatus": CONFIRMED, "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4.12", "code": code}]}}


def igg(rid: str, when: str, value: float) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": SUBJECT, "effectiveDateTime": when,
            "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
            "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}


def ivig(rid: str, start: str, status: str = "active") -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order", "subject": SUBJECT,
            "authoredOn": start, "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc",
                                                                          "code": "J06BA02"}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": start}}}}]}


def chart(*resources: dict[str, Any]) -> dict[str, Any]:
    """A lymphoma patient with a CAR-T infusion on 2025-11-18 (stop date 2026-05-18), and `resources`."""
    patient = {"resourceType": "Patient", "id": PATIENT, "birthDate": "1960-05-01"}
    car_t = {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
             "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]},
             "performedDateTime": "2025-11-18"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r}
                      for r in (patient, condition("dx", "DC833", "2024-01-01"), car_t, *resources)]}


def one_card(b: dict[str, Any], at: str, lang: str = "en", drafts: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    hook = "order-sign" if drafts else "patient-view"
    [card] = replay(RUNTIME, b, lang=lang, hook=hook, drafts=drafts or [], at=date.fromisoformat(at)).cards
    return card  # type: ignore[no-any-return]


def code(card: dict[str, Any]) -> str:
    return str(card["source"]["topic"]["code"])


RECURRENT_PNEUMONIA = (condition("pneu-1", "DJ159", "2026-02-10"), condition("pneu-2", "DJ159", "2026-03-20"))


def test_an_order_to_start_after_the_stop_date_is_held_to_the_igg_age_of_the_general_criteria() -> None:
    """§4.1/§4.3: from the stop date the general criteria apply (IgG < 4 g/L with severe or recurrent verified
    bacterial infections), with the IgG age allowed after the window (90 days). An order signed in the last days
    of the window to start after it, for a patient who meets them with a 39-day-old IgG, meets the criteria, as
    patient-view says on its start date — not 'no IgG in the last 30 days'."""
    b = chart(igg("igg", "2026-04-01", 3.2), *RECURRENT_PNEUMONIA)
    assert code(one_card(b, "2026-05-20")) == "start-meets-general-criteria"
    card = one_card(b, "2026-05-10", drafts=[ivig("draft-ivig", "2026-05-20", status="draft")])
    assert code(card) == "order-meets-criteria", card["detail"]
    assert "30 days" not in str(card["detail"])


def test_an_order_is_held_to_the_igg_age_on_its_start_day_not_on_the_signing_day() -> None:
    """An IgG 84 days old when the order is signed is 94 days old on its start after the stop date: what
    patient-view says on that day (measure IgG) is what the order card says, not 'meets the criteria'."""
    b = chart(igg("igg", "2026-02-15", 3.2), *RECURRENT_PNEUMONIA)
    assert code(one_card(b, "2026-05-20")) == "measure-igg"
    card = one_card(b, "2026-05-10", drafts=[ivig("draft-ivig", "2026-05-20", status="draft")])
    assert code(card) == "order-does-not-meet-criteria" and "no usable IgG for 90 days" in str(card["detail"])


def test_an_order_to_start_after_the_stop_date_with_an_old_igg_names_the_general_igg_age() -> None:
    """The same order with a 100-day-old IgG does not meet the general criteria: the card names the IgG age that
    applies at the order's start (90 days), not the window's 30 days."""
    b = chart(igg("igg", "2026-01-30", 3.2), *RECURRENT_PNEUMONIA)
    card = one_card(b, "2026-05-10", drafts=[ivig("draft-ivig", "2026-05-20", status="draft")])
    assert code(card) == "order-does-not-meet-criteria"
    assert "no usable IgG for 90 days" in str(card["detail"])


def ended_ivig(rid: str, start: str, end: str) -> dict[str, Any]:
    order = ivig(rid, start, status="completed")
    order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = end
    return order


@pytest.mark.parametrize(("lang", "view_words", "words"), [
    ("en", "no usable IgG in 90 days", "no usable IgG for 90 days"),
    ("da", "ingen brugbar IgG i 90 dage", "ingen brugbar IgG i 90 dage")])
def test_an_order_card_does_not_deny_an_igg_taken_on_substitution(lang: str, view_words: str, words: str) -> None:
    """After the window, the only IgG of the last 90 days was taken during a course that has since ended (§3.4:
    not usable for a start). A new order is refused for want of a usable IgG, as patient-view says the same
    day: the card must not say there was no IgG at all."""
    b = chart(ended_ivig("ivig-old", "2026-05-20", "2026-07-20"), igg("igg-on-ivig", "2026-07-01", 7.5),
              igg("igg-before", "2026-03-01", 3.1), *RECURRENT_PNEUMONIA)
    view = one_card(b, "2026-09-01", lang=lang)
    assert code(view) == "measure-igg" and view_words in view["summary"]
    card = one_card(b, "2026-09-01", lang=lang, drafts=[ivig("draft-ivig", "2026-09-01", status="draft")])
    assert code(card) == "order-does-not-meet-criteria"
    assert words in card["summary"] + str(card["detail"])
    assert len(card["summary"]) < 140


@pytest.mark.parametrize(("at", "expected"), [("2026-03-05", "stop-planned"), ("2026-05-25", "stop-overdue")])
@pytest.mark.parametrize(("lang", "claim", "decision"), [
    ("en", "IgG below 4 g/L", "Substitution started in the window without prior severe/recurrent bacterial infections"),
    ("da", "IgG under 4 g/L", "Substitution startet i perioden uden tidligere svære/tilbagevendende bakterielle "
                              "infektioner")])
def test_a_stop_card_does_not_claim_a_low_igg_the_chart_does_not_show(at: str, expected: str, lang: str, claim: str,
                                                                       decision: str) -> None:
    """§4.2: substitution started in the window without prior severe/recurrent bacterial infections is to be stopped
    6 months after T0, whatever IgG it was started on (clinical-rules §4). Started on IgG 5.0 g/L, the stop card shows
    that IgG and must not say the substitution was 'started on IgG below 4 g/L'."""
    b = chart(igg("igg", "2025-12-10", 5.0), ivig("ivig", "2025-12-20"))
    card = one_card(b, at, lang=lang)
    assert code(card) == expected
    detail = str(card["detail"])
    assert claim not in detail and decision in detail and "2026-05-18" in detail


def draft_ivig(start: str, end: str | None = None) -> dict[str, Any]:
    order = ivig("draft-ivig", start, status="draft")
    if end:
        order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] = end
    return order


@pytest.mark.parametrize(("lang", "says", "wrong"), [
    ("en", "it starts 2026-05-18, on or after the stop date 2026-05-18", ", after the stop date"),
    ("da", "start 2026-05-18, på eller efter seponeringsdatoen 2026-05-18", ", efter seponeringsdatoen")])
def test_an_order_starting_on_the_stop_date_is_not_said_to_start_after_it(lang: str, says: str,
                                                                                  wrong: str) -> None:
    """§4.1: 'Seks måneder eller senere' the general criteria apply, so an order to start on the stop date itself
    is judged by them; the card does not say it starts 'after' it."""
    b = chart(igg("igg", "2026-04-20", 3.2))
    card = one_card(b, "2026-05-10", lang=lang, drafts=[draft_ivig("2026-05-18")])
    assert code(card) == "order-does-not-meet-criteria"
    assert says in str(card["detail"]) and wrong not in str(card["detail"]) + str(card["summary"])


def test_an_order_ending_before_the_stop_date_is_not_offered_a_longer_course() -> None:
    """§4.1/§4.2: substitution started in the window is to be stopped at the latest 6 months after T0. A draft that
    already ends before the stop date complies; the card must not offer to lengthen it to the stop date."""
    b = chart(igg("igg", "2026-01-13", 3.2))
    card = one_card(b, "2026-01-20", drafts=[draft_ivig("2026-01-22", "2026-03-01")])
    assert code(card) == "order-meets-criteria"
    assert not card.get("suggestions")
    longer = one_card(b, "2026-01-20", drafts=[draft_ivig("2026-01-22", "2026-09-01")])
    [suggestion] = longer["suggestions"]
    assert suggestion["label"] == "End this order on 2026-05-18"


@pytest.mark.parametrize("lang, today", [("en", "(today)"), ("da", "(i dag)")])
def test_on_the_stop_date_no_card_counts_zero_days_left(lang: str, today: str) -> None:
    """On the stop date the window's start criterion no longer applies ('seks måneder eller senere': general
    criteria), so no card shows the window with '0 days left'; the stop card says the stop is due today."""
    start = one_card(chart(igg("igg", "2026-05-10", 3.2)), "2026-05-18", lang)
    assert code(start) == "no-start-without-infections"
    stop = one_card(chart(igg("igg", "2026-05-10", 3.2), ivig("iv", "2026-01-10")), "2026-05-18", lang)
    assert code(stop) == "stop-due-soon" and f"2026-05-18 {today}" in stop["summary"]
    for card in (start, stop):
        assert "0 days" not in card["summary"] + card["detail"] and "0 dage" not in card["summary"] + card["detail"]
        assert "2025-11-18 " + {"en": "to", "da": "til"}[lang] + " 2026-05-18\n" in card["detail"] + "\n"
