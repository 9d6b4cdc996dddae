"""A stop card resting only on a medication record does not ask to pause an order that does not exist.

CAR-T 2025-06-01 (T0), SCIG recorded as taken on the medication list from 2025-07-01 (MedicationStatement, active),
no order, no dose recorded. On 2025-12-15 the card said "Pause substitution now" as if an order ran: the clinician
looked for an order to put on hold and found none. Substitution runs on the record alone (clinical-logic: a record
taken is substitution), so the stop advice stands (§4.2); what to do is about the record: there is no order to pause,
end or update the record if substitution is not being given. No suggestion targets an order. The same chart with an
active order keeps today's card and its on-hold suggestion."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import request_from_bundle

from .test_acceptance_igg import SUBJECT, bundle, condition

RUNTIME = load_runtime(Settings())
SCIG = {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA01"}], "text": "Hizentra"}
CAR_T = {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]},
         "performedDateTime": "2025-06-01"}
RECORD = {"resourceType": "MedicationStatement", "id": "ms-scig", "status": "active", "medicationCodeableConcept": SCIG,
          "subject": SUBJECT, "effectivePeriod": {"start": "2025-07-01"}}
ORDER = {"resourceType": "MedicationRequest", "id": "mr-scig", "status": "active", "intent": "order",
         "subject": SUBJECT, "authoredOn": "2025-06-30", "medicationCodeableConcept": SCIG,
         "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-07-01"}}}}]}


def answer(at: str, lang: str, *extra: dict[str, Any]):  # type: ignore[no-untyped-def]
    chart = bundle(condition("dx", "urn:oid:1.2.208.176.2.4.12", "DC833", "2024-01-01"), CAR_T, RECORD, *extra)
    return answer_local(parse_hook_request(request_from_bundle(chart), "patient-view"), RUNTIME, lang=lang,
                        today=date.fromisoformat(at))


def to_do(card: dict[str, Any]) -> str:
    return str(card["detail"]).split("**", 2)[2].split("\n\n")[0].strip()


@pytest.mark.parametrize("at, code, lang, says, not_says", [
    ("2025-12-15", "stop-overdue", "en",
     ("No order", "if Ig is still given, pause it; if not, end the record"),
     ("Pause substitution now",)),
    ("2025-12-15", "stop-overdue", "da",
     ("Ingen ordination", "gives der stadig Ig, så pausér den; ellers afslut registreringen"),
     ("Pausér substitution nu",)),
    ("2025-11-20", "stop-due-soon", "en", ("No order to pause", "end the record"), ("Pause substitution on",)),
    ("2025-11-20", "stop-due-soon", "da", ("Ingen ordination at pausere", "afslut registreringen"), ("Pausér substitution",)),
    ("2025-10-01", "stop-planned", "en", ("No order to end", "end the record"), ("Let the order end",)),
    ("2025-10-01", "stop-planned", "da", ("Ingen ordination at afslutte", "afslut registreringen"), ("Lad ordinationen",)),
])
def test_a_course_on_the_medication_list_alone_is_told_to_end_the_record(at, code, lang, says, not_says):
    found = answer(at, lang)
    assert [(a.code, a.variant) for a in found.advice] == [(code, "record")]
    [card] = found.cards
    for words in says:
        assert words in to_do(card), to_do(card)
    for words in not_says:
        assert words not in str(card["detail"]), card["detail"]
    assert not card.get("suggestions"), card["suggestions"]  # nothing for an order-changing suggestion to act on
    [advice] = found.advice
    assert not advice.suggestions and not any(t.startswith("MedicationRequest/") for t in advice.targets), advice
    assert len(str(card["summary"])) <= 140 and len(str(card["detail"])) <= 700


@pytest.mark.parametrize("lang, to_do_says, label", [
    ("en", "Pause substitution now", "Put the immunoglobulin order on hold"),
    ("da", "Pausér substitution nu", "Sæt immunglobulinordinationen i bero"),
])
def test_the_same_chart_with_an_active_order_keeps_its_card(lang, to_do_says, label):
    found = answer("2025-12-15", lang, ORDER)
    assert [(a.code, a.variant) for a in found.advice] == [("stop-overdue", "")]
    [card] = found.cards
    assert to_do(card).startswith(to_do_says), to_do(card)
    [suggestion] = card["suggestions"]
    assert suggestion["label"] == label
    assert suggestion["actions"][0]["resource"]["id"] == "mr-scig"


def ending(end: str) -> dict[str, Any]:
    return {**RECORD, "effectivePeriod": {"start": "2025-07-01", "end": end}}


@pytest.mark.parametrize("at, end, code, variant, lang, says", [
    # stop date 2025-12-01: a record that already ends before it, or on it, has no order to end either
    ("2025-10-01", "2025-11-20", "stop-planned", "record-ends-earlier", "en",
     ("the medication record ends 2025-11-20", "No order to change", "which ends it 2025-11-20")),
    ("2025-10-01", "2025-11-20", "stop-planned", "record-ends-earlier", "da",
     ("medicinregistreringen slutter 2025-11-20", "Ingen ordination at ændre")),
    ("2025-11-20", "2025-11-25", "stop-due-soon", "record-ends-earlier", "en",
     ("the medication record ends 2025-11-25", "No order to pause")),
    ("2025-11-20", "2025-12-01", "stop-due-soon", "record-ends-on-stop", "en",
     ("the medication record ends then", "No order to pause", "which ends it 2025-12-01")),
    ("2025-11-20", "2025-12-01", "stop-due-soon", "record-ends-on-stop", "da",
     ("medicinregistreringen slutter da", "Ingen ordination at pausere")),
])
def test_a_record_that_ends_by_the_stop_date_is_not_called_an_order(at, end, code, variant, lang, says):
    """The record ends by the stop date itself: the card said "attempt the stop when the order ends 2025-11-20" and
    "Let the order end on 2025-12-01 as set" (variants order-ends-earlier / order-ends-on-stop), with no order on the
    chart; it names the medication record's end instead (§4.2: the stop is attempted when substitution ends)."""
    found = answer_local(parse_hook_request(request_from_bundle(bundle(
        condition("dx", "urn:oid:1.2.208.176.2.4.12", "DC833", "2024-01-01"), CAR_T, ending(end))), "patient-view"),
        RUNTIME, lang=lang, today=date.fromisoformat(at))
    assert [(a.code, a.variant) for a in found.advice] == [(code, variant)]
    [card] = found.cards
    text = f"{card['summary']}\n{card['detail']}"
    for words in says:
        assert words in text, text
    assert "order ends" not in text and "ordinationen slutter" not in text and "Lad ordinationen" not in text, text
    assert not card.get("suggestions")
    assert len(str(card["summary"])) <= 140 and len(str(card["detail"])) <= 700
