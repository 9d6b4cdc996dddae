"""One CAR-T treatment recorded more than once: the index date is its first day.

A hospital records the infusion as a Procedure on the day and, often days later, as an administration
of the product; some products are given as a dose split over days. Neither is a new CAR-T treatment
(clinical-rules §2: a *new* CAR-T starts a new window), so T0, the stop date and every card stay on
the first day, and the later record is named in the data notes. A second infusion months later is a
new treatment and opens a new window.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

RUNTIME = load_runtime(Settings())
PATIENT = "pt-cart-twice"
SUBJECT = {"reference": f"Patient/{PATIENT}"}


def procedure(rid: str, day: str) -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": rid, "status": "completed", "subject": SUBJECT,
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]}, "performedDateTime": day}


def administration(rid: str, day: str) -> dict[str, Any]:
    return {"resourceType": "MedicationAdministration", "id": rid, "status": "completed", "subject": SUBJECT,
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01XL04"}]},
            "effectiveDateTime": day}


def chart(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": PATIENT, "birthDate": "1958-03-02"}
    lymphoma = {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2024-01-01",
                "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                                   "code": "confirmed"}]},
                "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4.12", "code": "DC833"}]}}
    igg = {"resourceType": "Observation", "id": "igg", "status": "final", "subject": SUBJECT,
           "effectiveDateTime": "2026-01-05", "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
           "valueQuantity": {"value": 3.1, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r}
                      for r in (patient, lymphoma, igg, *resources)]}


def answer(b: dict[str, Any], at: str, lang: str = "en") -> Any:
    return replay(RUNTIME, b, lang=lang, at=date.fromisoformat(at))


def test_an_infusion_recorded_again_two_days_later_keeps_t0_on_the_first_day() -> None:
    """Procedure 2025-09-10, administration of the same product 2025-09-12: the stop date is 2026-03-10, not
    2026-03-12, and the card names the second record as the same infusion."""
    out = answer(chart(procedure("cart-proc", "2025-09-10"), administration("cart-adm", "2025-09-12")), "2026-01-10")
    [card] = out.cards
    assert card["source"]["topic"]["code"] == "start-substitution"
    text = card["summary"] + card["detail"]
    assert "2026-03-10" in text and "2026-03-12" not in text
    assert "CAR-T recorded again on 2025-09-12: taken as the infusion of 2025-09-10." in card["detail"]
    da = answer(chart(procedure("cart-proc", "2025-09-10"), administration("cart-adm", "2025-09-12")), "2026-01-10",
                lang="da").cards[0]
    assert "CAR-T registreret igen den 2025-09-12: regnet som infusionen den 2025-09-10." in da["detail"]


def test_the_stop_falls_due_six_months_after_the_first_day_of_a_split_dose() -> None:
    """A dose split over day 1 and day 10: on 2026-03-05 the stop (2026-03-01) has passed, so the start
    criterion of the window no longer applies; counted from day 10 it would still run to 2026-03-10."""
    b = chart(administration("dose-1", "2025-09-01"), administration("dose-2", "2025-09-10"))
    [card] = answer(b, "2026-03-05").cards
    assert card["source"]["topic"]["code"] != "start-substitution"
    assert "2026-03-10" not in card["summary"] + card["detail"]


def test_a_second_infusion_months_later_is_a_new_treatment() -> None:
    """Re-treatment 2025-12-01 after a first infusion 2025-06-02: the window runs from 2025-12-01 (stop date
    2026-06-01), with no data note about the earlier infusion."""
    [card] = answer(chart(procedure("cart-1", "2025-06-02"), procedure("cart-2", "2025-12-01")), "2026-01-10").cards
    assert card["source"]["topic"]["code"] == "start-substitution"
    assert "2026-06-01" in card["summary"] + card["detail"]
    assert "recorded again" not in card["detail"]


def test_the_same_day_recorded_twice_is_not_a_data_note() -> None:
    [card] = answer(chart(procedure("cart-proc", "2025-09-10"), administration("cart-adm", "2025-09-10")),
                    "2026-01-10").cards
    assert "recorded again" not in card["detail"]


def test_the_note_does_not_call_the_first_infusion_t0_when_a_later_bispecific_is():
    """CAR-T recorded 2025-06-10 and 2025-06-12, teclistamab 2025-12-20: T0 is the bispecific's start, so the
    note on the repeated CAR-T record names the infusion's day without calling it T0 (the card said both)."""
    tec = {"resourceType": "MedicationAdministration", "id": "tec", "status": "completed", "subject": SUBJECT,
           "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX24"}]},
           "effectiveDateTime": "2025-12-20"}
    b = chart(procedure("cart-proc", "2025-06-10"), administration("cart-adm", "2025-06-12"), tec)
    for lang, t0 in (("en", "Start of teclistamab (T0) 2025-12-20"), ("da", "(T0) 2025-12-20")):
        [card] = answer(b, "2026-01-10", lang).cards
        assert t0 in card["detail"]
        assert "2025-06-10 (T0)" not in card["detail"] and "2025-06-10" in card["detail"]
