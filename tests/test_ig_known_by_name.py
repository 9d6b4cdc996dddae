"""Immunoglobulin the patient may already be on, known only by its name (a local code), on a card inviting a start.

A start card ("Ig may be started") with its order buttons beside an active order, or a recent dose, coded only with a
hospital's own code ("Kiovig infusionsvæske 100 mg/ml") invites a duplicate course. Such a record, which a coded one
would make current or planned substitution, is named as one the patient may be on (`ig-by-name`); the start card says
so in a caveat a crowded card keeps, and offers no Ig order. So does any other note that asks whether the patient is
already on substitution (`catalogue.ALREADY_ON`). An ended, stopped or old record changes nothing.
"""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from typing import Any

import pytest

from cds_service.cards.notes import describe
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cds_service.tools.timeline import build_timeline, facts_of, patient_data, timeline_from_facts

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)  # the chart: CAR-T 2025-11-18, IgG 3.2 g/L on 2026-01-13 -> "Ig may be started"
BUNDLE = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
DRAFT = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
PATIENT = {"reference": "Patient/pt-dk-0001"}
LOCAL = "urn:oid:1.2.840.114350.1.13.0.1.7.2.698084"  # a hospital's own drug codes (an Epic OID)
KIOVIG = {"coding": [{"system": LOCAL, "code": "40011", "display": "KIOVIG inf 100 mg/ml"}],
          "text": "Kiovig infusionsvæske 100 mg/ml"}
PRIVIGEN = {"coding": [{"system": LOCAL, "code": "99120"}], "text": "Privigen 100 mg/ml i.v."}
CAVEAT = {"en": "may be Ig the patient is on: check first; no Ig order offered.",
          "da": "kan være Ig, patienten får: tjek først; ingen Ig-ordination tilbudt."}


def _chart(*resources: dict[str, Any]) -> dict[str, Any]:
    chart = copy.deepcopy(BUNDLE)
    chart["entry"] += [{"resource": {"subject": PATIENT, **r}} for r in resources]
    return chart


def _order(status: str = "active", start: str = "2026-01-02", end: str | None = None, **more: Any) -> dict[str, Any]:
    """A local-coded Kiovig order written 2025-12-30 (acc-25's shape)."""
    period = {"start": start, **({"end": end} if end else {})}
    return {"resourceType": "MedicationRequest", "id": "mr-kiovig", "status": status, "intent": "order",
            "medicationCodeableConcept": KIOVIG, "authoredOn": "2025-12-30",
            "dosageInstruction": [{"text": "efter protokol", "timing": {"repeat": {"boundsPeriod": period}}}], **more}


def _dose(day: str, ident: str = "ma-privigen", status: str = "completed") -> dict[str, Any]:
    """A local-coded Privigen dose (acc-43's shape)."""
    return {"resourceType": "MedicationAdministration", "id": ident, "status": status,
            "medicationCodeableConcept": PRIVIGEN, "effectiveDateTime": day}


def _start_card(chart: dict[str, Any], lang: str = "en") -> tuple[dict[str, Any], list[str]]:
    answered = replay(RUNTIME, chart, hook="patient-view", at=AT, lang=lang)
    assert [a.code for a in answered.advice] == ["start-substitution"]
    card = answered.cards[0]
    return card, [s["label"] for s in card.get("suggestions", [])]


@pytest.mark.parametrize("order, said", [
    (_order(), "“Kiovig infusionsvæske 100 mg/ml” (ordered 2025-12-30; code not known) " + CAVEAT["en"]),
    (_order(start="2026-02-01"), "“Kiovig infusionsvæske 100 mg/ml” (ordered 2025-12-30; code not known) " + CAVEAT["en"]),  # ahead
    (_order(status="on-hold"), "“Kiovig infusionsvæske 100 mg/ml” (ordered 2025-12-30; code not known) " + CAVEAT["en"]),
])
def test_an_active_order_under_a_local_code_is_named_as_one_the_patient_may_be_on(order: dict[str, Any],
                                                                                   said: str) -> None:
    """acc-25: an active (or on-hold, or booked) Kiovig order coded only locally: the start card names it under its
    decision and offers no IVIG or SCIG order; the note names it as Ig the patient may be on, not a code not used."""
    answered = replay(RUNTIME, _chart(order), hook="patient-view", at=AT)
    card = answered.cards[0]
    assert said in card["detail"]
    assert "suggestions" not in card
    assert [n.kind for n in answered.notes if n.source == "MedicationRequest/mr-kiovig"] == ["ig-by-name"]
    note = next(n for n in answered.notes if n.kind == "ig-by-name")
    assert "CDS_VALUESET_DIR" in note.message and "already on substitution" in note.message


def test_a_recent_dose_under_a_local_code_is_named_and_an_old_one_is_not() -> None:
    """acc-43: Privigen given under a local code 10 days ago is within a course's days: named on the start card, no
    order offered; the dose given two months ago stays a code not recognised."""
    chart = _chart(_dose("2025-11-20", "ma-privigen-old"), _dose("2026-01-10"))
    answered = replay(RUNTIME, chart, hook="patient-view", at=AT)
    card = answered.cards[0]
    assert "“Privigen 100 mg/ml i\\.v\\.” (given 2026-01-10; code not known) " + CAVEAT["en"] in card["detail"]
    assert "suggestions" not in card
    kinds = {n.source: n.kind for n in answered.notes}
    assert kinds["MedicationAdministration/ma-privigen"] == "ig-by-name"
    assert kinds["MedicationAdministration/ma-privigen-old"] == "unrecognised-code"


@pytest.mark.parametrize("record", [
    _order(status="completed", start="2025-06-01", end="2025-08-01"),  # ended long ago
    _order(status="stopped", start="2026-01-02"),  # stopped
    _order(status="cancelled"),
    _order(status="entered-in-error"),
    _dose("2025-11-25"),  # given before the course days back from today
    _dose("2026-01-10", status="not-done"),
], ids=["ended", "stopped", "cancelled", "entered-in-error", "old-dose", "dose-not-done"])
def test_an_ended_stopped_or_old_record_under_a_local_code_changes_nothing(record: dict[str, Any]) -> None:
    card, labels = _start_card(_chart(record))
    assert labels == ["Order IVIG ending 2026-05-18", "Order SCIG ending 2026-05-18"]
    assert "already on" not in card["detail"]
    answered = replay(RUNTIME, _chart(record), hook="patient-view", at=AT)
    assert "ig-by-name" not in {n.kind for n in answered.notes}


def test_the_danish_card_names_the_order_in_danish() -> None:
    card, labels = _start_card(_chart(_order()), lang="da")
    assert "“Kiovig infusionsvæske 100 mg/ml” (ordineret 2025-12-30; ukendt kode) " + CAVEAT["da"] in card["detail"]
    assert labels == []
    assert card["detail"].count("Kiovig") == 1  # the caveat is the note on this card: said once


def test_a_crowded_card_keeps_the_caveat() -> None:
    """Notes and facts enough to cut a card: the caveat stays, with the decision."""
    extra = [
        {"resourceType": "Observation", "id": "obs-igg-implausible", "status": "final",
         "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
         "effectiveDateTime": "2026-01-05", "valueQuantity": {"value": 250, "unit": "g/L"}},
        {"resourceType": "Condition", "id": "cond-provisional-sepsis",
         "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                            "code": "provisional"}]},
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A41.0"}], "text": "Sepsis"},
         "onsetDateTime": "2026-01-08"},
        *(_dose(f"2025-1{k}-0{k}", f"ma-old-{k}") for k in range(1, 3)),
        *({"resourceType": "Condition", "id": f"cond-pneumonia-{k}", "onsetDateTime": f"2026-01-0{k}",
           "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J18.9"}],
                    "text": f"Pneumoni UNS med en lang tekst fra journalen om forløbet, nummer {k}"}} for k in range(1, 4)),
    ]
    for lang in ("en", "da"):
        card, labels = _start_card(_chart(_order(), *extra), lang=lang)
        assert CAVEAT[lang] in card["detail"] and len(card["detail"]) <= 700
        # crowded: the caveat on the provisional sepsis (which would change the stop, not this start) is cut and
        # counted with the data notes beyond the first kind; the record the kept caveat names is not counted again
        assert {"en": "+5 more data notes and 1 note not shown here",
                "da": "+5 datanoter mere og 1 note ikke vist her"}[lang] in card["detail"]
        assert labels == []


@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_undated_immunoglobulin_order_now_gives_the_caveat_and_no_order(lang: str) -> None:
    """A note that already asked whether the patient is on substitution (`ig-order-undated`) gives the start card the
    same caveat, naming the order, and no order suggestion."""
    undated = {"resourceType": "MedicationRequest", "id": "mr-ivig-undated", "status": "active", "intent": "order",
               "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}],
                                             "text": "Privigen"}}
    card, labels = _start_card(_chart(undated), lang=lang)
    assert "“Privigen” (" + {"en": "no usable date", "da": "ingen brugbar dato"}[lang] + ") " + CAVEAT[lang] in card["detail"]
    assert labels == []


@pytest.mark.parametrize("lang, check", [("en", "may be Ig the patient is on: check before signing."),
                                         ("da", "kan være Ig, patienten får: tjek før underskrift.")])
def test_a_draft_ig_order_that_meets_the_criteria_says_so_too(lang: str, check: str) -> None:
    """order-sign: the draft IVIG meets the start criteria, but a local-coded Kiovig order is active: the card says
    it may be a course the patient is already on, and asks for a check before this order is signed; it offers no new
    Ig order but still offers to end the draft on the stop date, so it does not say "no Ig order offered"."""
    answered = replay(RUNTIME, _chart(_order()), hook="order-sign", at=AT, drafts=[copy.deepcopy(DRAFT)], lang=lang)
    assert [a.code for a in answered.advice] == ["order-meets-criteria"]
    card = answered.cards[0]
    named = {"en": "(ordered 2025-12-30; code not known) ", "da": "(ordineret 2025-12-30; ukendt kode) "}[lang]
    assert "“Kiovig infusionsvæske 100 mg/ml” " + named + check in card["detail"]
    assert CAVEAT[lang] not in card["detail"]
    assert [len(s["actions"]) for s in card.get("suggestions", [])] == [1]  # the draft's end: an update, no new order
    assert card["suggestions"][0]["actions"][0]["type"] == "update"


@pytest.mark.parametrize("lang, said", [
    ("en", "“Kiovig infusionsvæske 100 mg/ml” (2025-12-30), immunoglobulin whose code is not known, was not used: "
           "check whether the patient is already on substitution."),
    ("da", "“Kiovig infusionsvæske 100 mg/ml” (2025-12-30), immunglobulin hvis kode ikke kendes, er ikke brugt: "
           "tjek, om patienten allerede får substitution."),
])
def test_a_card_that_asks_for_an_igg_first_names_the_record_in_its_data_notes(lang: str, said: str) -> None:
    """measure-igg offers no start: no caveat, the record named in its data notes as Ig the patient may be on."""
    chart = _chart(_order())
    chart["entry"] = [e for e in chart["entry"] if e["resource"].get("resourceType") != "Observation"]
    answered = replay(RUNTIME, chart, hook="patient-view", at=AT, lang=lang)
    assert [a.code for a in answered.advice] == ["measure-igg"]
    assert CAVEAT[lang] not in answered.cards[0]["detail"]
    assert said in answered.cards[0]["detail"]


ATC_IVIG = {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}], "text": "Kiovig"}


@pytest.mark.parametrize("record, said", [
    ({**_order(intent="plan"), "medicationCodeableConcept": ATC_IVIG},
     {"en": "IVIG (planned 2026-01-02; not ordered) ", "da": "IVIG (planlagt 2026-01-02; ikke ordineret) "}),
    ({"resourceType": "MedicationStatement", "id": "ms-intended", "status": "intended",
      "medicationCodeableConcept": ATC_IVIG, "effectivePeriod": {"start": "2026-01-02"}},
     {"en": "IVIG (planned 2026-01-02; not recorded as given) ",
      "da": "IVIG (planlagt 2026-01-02; ikke registreret som givet) "}),
    ({**_dose("2026-01-10", status="on-hold"), "medicationCodeableConcept": ATC_IVIG},
     {"en": "“Kiovig” (dated 2026-01-10; not recorded as given) ",
      "da": "“Kiovig” (dateret 2026-01-10; ikke registreret som givet) "}),
], ids=["plan", "statement-intended", "dose-on-hold"])
@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_caveat_does_not_call_a_plan_ordered_nor_a_dose_not_known_given_given(record: dict[str, Any],
                                                                                   said: dict[str, str],
                                                                                   lang: str) -> None:
    """A plan begun (`ig-order-plan`, `ig-statement-intended`) is no order, and a dose on hold
    (`ig-dose-not-known-given`) is not known to be given: the caveat dates them as what they are, not "ordered" or
    "given", which the note beside it denies."""
    card, labels = _start_card(_chart(record), lang=lang)
    assert said[lang] + CAVEAT[lang] in card["detail"]
    assert labels == []


@pytest.mark.parametrize("text", ["Humant immunglobulin mod hepatitis B", "Humant immunglobulin (anti-D) 1500 IE",
                                  "Humant immunglobulin mod tetanus", "Humant immunglobulin, varicella-zoster"])
def test_a_specific_immunoglobulin_named_beside_the_generic_name_leaves_the_order_offered(text: str) -> None:
    """A specific immunoglobulin (anti-D, hepatitis B, tetanus, varicella: ATC J06BB) is no substitution, though its
    name holds the generic "humant immunglobulin": an active order of it under a local code leaves the start card as it
    is, its order buttons and no caveat; the record is named as a specific immunoglobulin (`ig-specific`; it was named as
    a code not recognised, whose note asked a site to add the code, which would count it as substitution)."""
    order = {**_order(), "medicationCodeableConcept": {"coding": [{"system": LOCAL, "code": "40990"}], "text": text}}
    card, labels = _start_card(_chart(order))
    assert labels == ["Order IVIG ending 2026-05-18", "Order SCIG ending 2026-05-18"]
    assert CAVEAT["en"] not in card["detail"]
    answered = replay(RUNTIME, _chart(order), hook="patient-view", at=AT)
    assert [n.kind for n in answered.notes if n.source == "MedicationRequest/mr-kiovig"] == ["ig-specific"]


def test_the_timeline_shows_the_days_the_order_is_withheld_and_offered_again() -> None:
    """The timeline lists the day a local-coded Privigen dose makes the start card withhold its Ig order (the caveat
    under the same summary), and the day the dose's course days end and the order is offered again: a clinician
    paging through it sees the card as it was on each day."""
    chart = _chart(_dose("2026-01-15"))  # after the IgG of 2026-01-13 that makes the card a start card
    timeline = build_timeline(patient_data(chart, RUNTIME), RUNTIME, start=date(2026, 1, 5), end=date(2026, 3, 1),
                              today=AT)
    shown = {s.day: ([s_["label"] for s_ in s.cards[0].get("suggestions", [])],
                     CAVEAT["en"] in s.cards[0]["detail"]) for s in timeline.changes}
    withheld, offered = date(2026, 1, 15), date(2026, 1, 15) + timedelta(
        days=RUNTIME.params.ig_administration_course_days + 1)
    assert shown[withheld] == ([], True)
    assert shown[offered] == (["Order IVIG ending 2026-05-18", "Order SCIG ending 2026-05-18"], False)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_explanation_pages_timeline_from_stored_facts_withholds_the_order_too(lang: str) -> None:
    """The page's timeline is redrawn from the stored facts (`timeline_from_facts`), not the chart: on the day the
    local-coded dose is given, its start card names the dose and offers no Ig order, as the card did."""
    data = patient_data(_chart(_dose("2026-01-15")), RUNTIME)
    timeline = timeline_from_facts(data.patient_id, facts_of(data, RUNTIME), RUNTIME.ruleset, RUNTIME.terminology, lang,
                                   AT, start=date(2026, 1, 5), end=date(2026, 3, 1))
    [withheld] = [s for s in timeline.changes if s.day == date(2026, 1, 15)]
    assert CAVEAT[lang] in withheld.cards[0]["detail"] and "suggestions" not in withheld.cards[0]


def test_the_code_a_record_known_by_name_is_read_under_is_an_immunoglobulin_of_the_value_set() -> None:
    """A record known only by its name is read as if coded J06BA: were that code no longer in the value set (a site's
    files replacing the shipped ones), no such record would be read as a course, and no start card would name it."""
    from cql_like_rules.valuesets import IG_BY_NAME_CODING, IG_BY_NAME_PROCEDURE_CODING

    for coding in (IG_BY_NAME_CODING, IG_BY_NAME_PROCEDURE_CODING):
        found = RUNTIME.terminology.sets_of({"coding": [coding]})
        assert "immunoglobulin-substitution" in found, (coding, found)


@pytest.mark.parametrize("record, said", [
    (_order(status="unknown"),
     {"en": "“Kiovig infusionsvæske 100 mg/ml” (ordered 2025-12-30; status unknown) ",
      "da": "“Kiovig infusionsvæske 100 mg/ml” (ordineret 2025-12-30; status ukendt) "}),
    ({k: v for k, v in _order().items() if k not in ("authoredOn", "dosageInstruction")},
     {"en": "“Kiovig infusionsvæske 100 mg/ml” (no usable date) ",
      "da": "“Kiovig infusionsvæske 100 mg/ml” (ingen brugbar dato) "}),
    (_order(intent="plan"),
     {"en": "“Kiovig infusionsvæske 100 mg/ml” (planned 2026-01-02; not ordered) ",
      "da": "“Kiovig infusionsvæske 100 mg/ml” (planlagt 2026-01-02; ikke ordineret) "}),
    ({"resourceType": "MedicationStatement", "id": "ms-kiovig", "status": "intended", "medicationCodeableConcept": KIOVIG,
      "effectivePeriod": {"start": "2026-01-02"}},
     {"en": "“Kiovig infusionsvæske 100 mg/ml” (planned 2026-01-02; not recorded as given) ",
      "da": "“Kiovig infusionsvæske 100 mg/ml” (planlagt 2026-01-02; ikke registreret som givet) "}),
    (_dose("2026-01-15", status="on-hold"),
     {"en": "“Privigen 100 mg/ml i\\.v\\.” (dated 2026-01-15; not recorded as given) ",
      "da": "“Privigen 100 mg/ml i\\.v\\.” (dateret 2026-01-15; ikke registreret som givet) "}),
], ids=["status-unknown", "no-date", "plan-begun", "statement-intended", "dose-on-hold"])
@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_record_known_by_name_whose_status_leaves_it_open_gets_the_caveat_a_coded_one_gets(
        record: dict[str, Any], said: dict[str, str], lang: str) -> None:
    """An Ig order with status unknown or no usable date, a plan whose start has come, a dose on hold, under a local
    code: read as a coded one, it is named as such (the note a coded one gets, in the record's words) and the start
    card gives the caveat with its reason and offers no Ig order, as it does for the coded record. Before, the record
    was only a code not recognised and the card offered IVIG and SCIG orders."""
    card, labels = _start_card(_chart(record), lang=lang)
    assert said[lang] + CAVEAT[lang] in card["detail"]
    assert labels == []


def _procedure(day: str, status: str = "completed", text: str = "Immunglobulin-infusion (Privigen)") -> dict[str, Any]:
    """Immunoglobulin given, registered as a treatment (a Procedure) under an SKS code the value set does not hold."""
    return {"resourceType": "Procedure", "id": "pr-ig", "status": status, "performedDateTime": day,
            "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4", "code": "BOHJ99X"}], "text": text}}


@pytest.mark.parametrize("lang, said", [
    ("en", "“Immunglobulin-infusion \\(Privigen\\)” (given 2026-01-15; code not known) "),
    ("da", "“Immunglobulin-infusion \\(Privigen\\)” (givet 2026-01-15; ukendt kode) "),
])
def test_a_dose_registered_as_a_procedure_known_by_its_name_is_named_as_one_the_patient_may_be_on(
        lang: str, said: str) -> None:
    """A Danish hospital registers an Ig dose as an SKS treatment (a Procedure); one under a code not in the value set,
    named "Immunglobulin-infusion (Privigen)", given within the course days, is read as a coded one (BOHJ10B) would
    be: the start card names it and offers no Ig order. Before, it was only a code not recognised."""
    card, labels = _start_card(_chart(_procedure("2026-01-15")), lang=lang)
    assert said + CAVEAT[lang] in card["detail"]
    assert labels == []


@pytest.mark.parametrize("record", [_procedure("2025-10-01"), _procedure("2026-01-15", status="not-done"),
                                    _procedure("2026-01-15", text="Humant immunglobulin mod hepatitis B")],
                         ids=["before-the-course-days", "not-done", "specific-immunoglobulin"])
def test_a_procedure_known_by_its_name_that_a_coded_one_would_not_count_leaves_the_order_offered(
        record: dict[str, Any]) -> None:
    """An old dose, one not done, or a specific immunoglobulin: as a coded procedure would, it changes no card."""
    card, labels = _start_card(_chart(record))
    assert CAVEAT["en"] not in card["detail"]
    assert labels == ["Order IVIG ending 2026-05-18", "Order SCIG ending 2026-05-18"]


def _statement(text: str, status: str = "active", day: str | None = "2026-01-10", coded: bool = False) -> dict[str, Any]:
    """A medication record of Ig written by hand: the drug by its generic name only, or beside a code of no known system."""
    concept: dict[str, Any] = {"text": text}
    if coded:
        concept["coding"] = [{"system": LOCAL, "code": "77301"}]
    return {"resourceType": "MedicationStatement", "id": "ms-scig", "status": status, "medicationCodeableConcept": concept,
            **({"effectiveDateTime": day} if day else {})}


SCIG_DA = "Immunglobulin *sc* 20 %"
SCIG_SHOWN = "“Immunglobulin \\*sc\\* 20 %”"


@pytest.mark.parametrize("record, said", [
    (_statement(SCIG_DA), {"en": f"{SCIG_SHOWN} (recorded 2026-01-10; code not known) ",
                           "da": f"{SCIG_SHOWN} (registreret 2026-01-10; ukendt kode) "}),
    (_statement(SCIG_DA, coded=True), {"en": f"{SCIG_SHOWN} (recorded 2026-01-10; code not known) ",
                                       "da": f"{SCIG_SHOWN} (registreret 2026-01-10; ukendt kode) "}),
    (_statement(SCIG_DA, day=None), {"en": f"{SCIG_SHOWN} (not placed in time) ",
                                     "da": f"{SCIG_SHOWN} (ikke placeret i tid) "}),
    (_statement(SCIG_DA, status="unknown"), {"en": f"{SCIG_SHOWN} (recorded 2026-01-10; not placed in time) ",
                                             "da": f"{SCIG_SHOWN} (registreret 2026-01-10; ikke placeret i tid) "}),
    (_statement("Immunoglobulin 10% i.v."), {"en": "“Immunoglobulin 10% i\\.v\\.” (recorded 2026-01-10; code not known) ",
                                             "da": "“Immunoglobulin 10% i\\.v\\.” (registreret 2026-01-10; ukendt kode) "}),
], ids=["no-coding", "unknown-system", "no-date", "status-unknown", "english"])
@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_medication_record_naming_immunoglobulin_by_its_generic_name_gives_the_caveat(
        record: dict[str, Any], said: dict[str, str], lang: str) -> None:
    """A patient on SCIG recorded as "Immunglobulin *sc* 20 %" (no code, or one of no known system), taken now, of
    status unknown or with no date: read as the records naming an Ig product are, the start card names it as Ig the
    patient may be on and offers no Ig order. Before, the bare generic name was no Ig name: the card said "Ig may be
    started", offered IVIG and SCIG orders, and named the record nowhere."""
    card, labels = _start_card(_chart(record), lang=lang)
    assert said[lang] + CAVEAT[lang] in card["detail"]
    assert labels == []


@pytest.mark.parametrize("record", [
    _statement(SCIG_DA, status="completed", day="2025-12-01"),
    _statement("Anti-thymocyt immunglobulin (ATG)"),
    {"resourceType": "Condition", "id": "c-sid", "code": {"text": "Sekundær immunglobulinmangel"},
     "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                    "code": "active"}]}},
], ids=["ended", "anti-thymocyte", "a-diagnosis"])
def test_an_ended_record_an_anti_thymocyte_globulin_or_a_diagnosis_naming_immunoglobulin_leaves_the_order_offered(
        record: dict[str, Any]) -> None:
    """The generic name read as Ig substitution reads no more than that: a record ended, anti-thymocyte immunoglobulin
    (no substitution) and a diagnosis of immunoglobulin deficiency change no card and are named as no Ig record."""
    answered = replay(RUNTIME, _chart(record), hook="patient-view", at=AT)
    card = answered.cards[0]
    assert CAVEAT["en"] not in card["detail"]
    assert [s["label"] for s in card["suggestions"]] == ["Order IVIG ending 2026-05-18", "Order SCIG ending 2026-05-18"]
    assert not [n for n in answered.notes if n.kind == "ig-by-name" or n.source == "Condition/c-sid"]


@pytest.mark.parametrize("lang, summary", [
    ("en", "Order not checked: “Immunglobulin sc 20 %” (77301) has a code this service does not know"),
    ("da", "Ordination ikke vurderet: “Immunglobulin sc 20 %” (77301) har en kode, tjenesten ikke kender"),
])
def test_a_draft_naming_immunoglobulin_by_its_generic_name_says_it_was_not_checked(lang: str, summary: str) -> None:
    """order-sign on a draft "Immunglobulin sc 20 %" under a hospital's own code: the clinician is told it was not
    checked. Before, the bare generic name was no Ig name and the draft got no card at all."""
    draft = copy.deepcopy(DRAFT)
    draft["medicationCodeableConcept"] = {"coding": [{"system": LOCAL, "code": "77301"}], "text": "Immunglobulin sc 20 %"}
    answered = replay(RUNTIME, copy.deepcopy(BUNDLE), hook="order-sign", at=AT, drafts=[draft], lang=lang)
    assert [c["summary"] for c in answered.cards] == [summary]


def _named_ig(kind: str, text: str, status: str) -> dict[str, Any]:
    """A medication record, order or dose of Ig whose only name says "immunoglobulin G" (the drug's name, as the
    total IgG lab result is named), under a hospital's own code."""
    record: dict[str, Any] = {"resourceType": kind, "id": "ig-named", "status": status,
                              "medicationCodeableConcept": {"coding": [{"system": LOCAL, "code": "77302"}], "text": text}}
    if kind == "MedicationRequest":
        return {**record, "intent": "order", "authoredOn": "2026-01-10"}
    return {**record, "effectiveDateTime": "2026-01-15"}


IGG_NAMED = ["Immunoglobulin G 20% sc", "Immunglobulin G, human", "Immunoglobulin G 10% (Privigen)"]
SHOWN = {"Immunoglobulin G 10% (Privigen)": "Immunoglobulin G 10% \\(Privigen\\)"}


@pytest.mark.parametrize("kind, status, said", [
    ("MedicationStatement", "active", {"en": "recorded 2026-01-15; code not known",
                                       "da": "registreret 2026-01-15; ukendt kode"}),
    ("MedicationStatement", "unknown", {"en": "recorded 2026-01-15; not placed in time",
                                        "da": "registreret 2026-01-15; ikke placeret i tid"}),
    ("MedicationRequest", "active", {"en": "ordered 2026-01-10; code not known",
                                     "da": "ordineret 2026-01-10; ukendt kode"}),
    ("MedicationRequest", "unknown", {"en": "ordered 2026-01-10; status unknown",
                                      "da": "ordineret 2026-01-10; status ukendt"}),
    ("MedicationAdministration", "completed", {"en": "given 2026-01-15; code not known",
                                               "da": "givet 2026-01-15; ukendt kode"}),
    ("MedicationAdministration", "unknown", {"en": "dated 2026-01-15; not recorded as given",
                                             "da": "dateret 2026-01-15; ikke registreret som givet"}),
])
@pytest.mark.parametrize("text", IGG_NAMED)
@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_medication_record_named_immunoglobulin_g_gives_the_caveat(kind: str, status: str, said: dict[str, str],
                                                                     text: str, lang: str) -> None:
    """A patient on SCIG whose record names the drug "Immunoglobulin G 20% sc" (a local code): a medication record's
    name is read as a drug's, so it is Ig the patient may be on, named in the caveat, and no Ig order is offered. Before,
    "immunoglobulin G" was read as the name of the IgG lab result, which no medication record can be: the card said
    "Ig may be started" with IVIG and SCIG orders, and named the record nowhere."""
    card, labels = _start_card(_chart(_named_ig(kind, text, status)), lang=lang)
    assert f"“{SHOWN.get(text, text)}” ({said[lang]}) " + CAVEAT[lang] in card["detail"]
    assert labels == []


@pytest.mark.parametrize("kind", ["MedicationStatement", "MedicationRequest"])
def test_a_completed_record_named_immunoglobulin_g_is_named_not_passed_over(kind: str) -> None:
    """A record of Ig named "Immunoglobulin G 20% sc" that has ended changes no card, as a coded one would not, but is
    named as a code not recognised (before: no note at all)."""
    answered = replay(RUNTIME, _chart(_named_ig(kind, IGG_NAMED[0], "completed")), hook="patient-view", at=AT)
    assert [s["label"] for s in answered.cards[0]["suggestions"]] == ["Order IVIG ending 2026-05-18",
                                                                     "Order SCIG ending 2026-05-18"]
    assert [n.kind for n in answered.notes if n.source.endswith("/ig-named")] == ["unrecognised-code"]


def test_anti_thymocyte_immunoglobulin_g_stays_no_substitution() -> None:
    """Anti-thymocyte immunoglobulin G (ATG) is read as an immunoglobulin's name now, and as a specific one: no caveat,
    the orders offered, the record named as a specific immunoglobulin (before: not named at all; then as a code not
    recognised)."""
    record = _named_ig("MedicationStatement", "Anti-thymocyt immunglobulin G (kanin)", "active")
    card, labels = _start_card(_chart(record))
    assert labels == ["Order IVIG ending 2026-05-18", "Order SCIG ending 2026-05-18"]
    assert CAVEAT["en"] not in card["detail"]
    answered = replay(RUNTIME, _chart(record), hook="patient-view", at=AT)
    assert [n.kind for n in answered.notes if n.source.endswith("/ig-named")] == ["ig-specific"]


@pytest.mark.parametrize("name", ["IgG", "Immunoglobulin G", "P-Immunglobulin G"])
def test_a_lab_result_named_igg_is_still_read_as_an_igg_result(name: str) -> None:
    """A lab result's name is read against the lab value sets: one named IgG under a local code is a total IgG whose
    code is not recognised, and the card asks for an IgG."""
    chart = copy.deepcopy(BUNDLE)
    for entry in chart["entry"]:
        if entry["resource"]["resourceType"] == "Observation":
            entry["resource"]["code"] = {"coding": [{"system": LOCAL, "code": "LAB-IGG"}], "text": name}
    answered = replay(RUNTIME, chart, hook="patient-view", at=AT)
    assert [a.code for a in answered.advice] == ["measure-igg"]
    assert f"“{name}” and 1 more: codes not recognised." in answered.cards[0]["detail"]


@pytest.mark.parametrize("lang, summary", [
    ("en", "Order not checked: “Immunoglobulin G 20% sc” (77301) has a code this service does not know"),
    ("da", "Ordination ikke vurderet: “Immunoglobulin G 20% sc” (77301) har en kode, tjenesten ikke kender"),
])
def test_a_draft_named_immunoglobulin_g_says_it_was_not_checked(lang: str, summary: str) -> None:
    """order-sign on a draft "Immunoglobulin G 20% sc" under a hospital's own code: read as a drug's name, the draft is
    an immunoglobulin not checked (before: no card at all)."""
    draft = copy.deepcopy(DRAFT)
    draft["medicationCodeableConcept"] = {"coding": [{"system": LOCAL, "code": "77301"}], "text": "Immunoglobulin G 20% sc"}
    answered = replay(RUNTIME, copy.deepcopy(BUNDLE), hook="order-sign", at=AT, drafts=[draft], lang=lang)
    assert [c["summary"] for c in answered.cards] == [summary]


CONDITION_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"


def _ig_condition(text: str, status: str | None = "active", **more: Any) -> dict[str, Any]:
    """A problem-list entry saying the patient is on Ig, by its text only."""
    clinical = {"clinicalStatus": {"coding": [{"system": CONDITION_STATUS, "code": status}]}} if status else {}
    return {"resourceType": "Condition", "id": "c-ig", "code": {"text": text}, "recordedDate": "2026-01-05",
            **clinical, **more}


@pytest.mark.parametrize("condition", [_ig_condition("Immunglobulinbehandling"),
                                       _ig_condition("Immunoglobulin substitution", status=None),
                                       _ig_condition("Immunglobulin A-mangel, IVIG-behandling")],
                         ids=["danish-active", "english-no-status", "class-deficiency-with-ivig"])
@pytest.mark.parametrize("lang, said", [
    ("en", "(recorded 2026-01-05; a diagnosis, no order or dose) "),
    ("da", "(registreret 2026-01-05; en diagnose, ingen ordination eller dosis) "),
])
def test_a_current_diagnosis_naming_immunoglobulin_treatment_gives_the_caveat(condition: dict[str, Any], lang: str,
                                                                              said: str) -> None:
    """A problem-list entry "Immunglobulinbehandling" is no dose or order, and never a course; but it is what the EHR
    says of a patient on Ig: the start card names it as Ig the patient may be on and offers no Ig order. Before, it was
    dropped with no note at all, and the card offered IVIG and SCIG orders."""
    card, labels = _start_card(_chart(condition), lang=lang)
    assert f"“{condition['code']['text']}” {said}" + CAVEAT[lang] in card["detail"]
    assert labels == []
    answered = replay(RUNTIME, _chart(condition), hook="patient-view", at=AT)
    assert [n.kind for n in answered.notes if n.source == "Condition/c-ig"] == ["ig-condition"]


@pytest.mark.parametrize("condition", [_ig_condition("Immunglobulinbehandling", status="resolved"),
                                       _ig_condition("Immunglobulinbehandling", abatementDateTime="2025-06-01")],
                         ids=["resolved", "abated"])
@pytest.mark.parametrize("lang, said", [
    ("en", "Condition/c-ig: “Immunglobulinbehandling” (2026-01-05), a diagnosis naming immunoglobulin treatment, has "
           "ended and is no order or dose: not used."),
    ("da", "Condition/c-ig: “Immunglobulinbehandling” (2026-01-05), en diagnose, der nævner immunglobulinbehandling, "
           "er afsluttet og er ingen ordination eller dosis: ikke brugt."),
])
def test_an_ended_diagnosis_naming_immunoglobulin_treatment_is_named_on_the_page_only(
        condition: dict[str, Any], lang: str, said: str) -> None:
    """Resolved or abated, the entry says nothing of a course now: the card offers the orders and does not name it;
    the explanation page and replay do (before: no note at all)."""
    answered = replay(RUNTIME, _chart(condition), hook="patient-view", at=AT, lang=lang)
    card = answered.cards[0]
    assert len(card["suggestions"]) == 2 and "Immunglobulinbehandling" not in card["detail"]
    [note] = [n for n in answered.notes if n.source == "Condition/c-ig"]
    assert describe(note, lang).startswith(said)


@pytest.mark.parametrize("condition", [
    _ig_condition("Immunglobulin A nefropati"),
    _ig_condition("Immunoglobulin light chain amyloidosis"),
    _ig_condition("Immunglobulinbehandling", verificationStatus={"coding": [{
        "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "refuted"}]}),
    _ig_condition("Behandling med humant immunglobulin mod hepatitis B"),
    _ig_condition("Immunglobulin A nefropati, i behandling"),
    _ig_condition("Immunglobulin G4-relateret sygdom, behandling med prednisolon"),
    _ig_condition("Immunoglobulin light chain amyloidosis, on treatment"),
], ids=["iga-nephropathy", "al-amyloidosis", "refuted", "specific-immunoglobulin", "iga-nephropathy-treated",
        "igg4-related-disease-treated", "al-amyloidosis-treated"])
def test_a_diagnosis_naming_immunoglobulin_but_no_substitution_changes_nothing(condition: dict[str, Any]) -> None:
    """Immunoglobulin named without a treatment of it, a refuted entry, or a specific immunoglobulin's treatment: no
    caveat, the orders offered, and no Ig note."""
    card, labels = _start_card(_chart(condition))
    assert labels == ["Order IVIG ending 2026-05-18", "Order SCIG ending 2026-05-18"]
    assert CAVEAT["en"] not in card["detail"]
    answered = replay(RUNTIME, _chart(condition), hook="patient-view", at=AT)
    assert not {n.kind for n in answered.notes if n.source == "Condition/c-ig"} & {"ig-condition", "ig-condition-ended"}


@pytest.mark.parametrize("text", [
    "Immunoglobulin A deficiency, immunoglobulin replacement therapy",
    "Selective immunoglobulin A deficiency and IgG subclass deficiency, immunoglobulin substitution",
    "Immunglobulin A- og G-mangel, i substitutionsbehandling med immunglobulin",
    "Immunglobulin G4-subklassemangel, immunglobulin substitution",
    "Immunoglobulin M deficiency, on immunoglobulin replacement",
    "Behandling med immunglobulin d. 5/1-2026",
    "Substitution med immunglobulin m. 4 ugers interval",
])
def test_a_deficiency_of_a_class_treated_with_immunoglobulin_is_an_entry_for_ig_treatment(text: str) -> None:
    """A class named beside the treatment (a deficiency, or "d." / "m." for "den" / "med" after "immunglobulin") is
    no disease of that class: the entry says the patient is on Ig, the start card gives the caveat and offers no Ig
    order."""
    card, labels = _start_card(_chart(_ig_condition(text)))
    assert CAVEAT["en"] in card["detail"] and labels == []
    answered = replay(RUNTIME, _chart(_ig_condition(text)), hook="patient-view", at=AT)
    assert [n.kind for n in answered.notes if n.source == "Condition/c-ig"] == ["ig-condition"]


def test_a_verification_status_whose_code_is_no_string_withdraws_nothing_and_breaks_nothing() -> None:
    """A hostile request's verificationStatus code as a list: read as no status (the entry stands), never a crash."""
    condition = _ig_condition("Immunglobulinbehandling", verificationStatus={"coding": [{"code": ["refuted"]}]})
    answered = replay(RUNTIME, _chart(condition), hook="patient-view", at=AT)
    assert [n.kind for n in answered.notes if n.source == "Condition/c-ig"] == ["ig-condition"]
