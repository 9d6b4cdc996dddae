"""The card on a draft bispecific or CAR-T product order, read as the clinician starting the therapy reads it.

Each case is a small bundle built here (an adult with myeloma, no index event yet, and the facts that
matter) with a draft teclistamab order starting on 2026-03-05, signed on 2026-03-02: the card names the
window the order opens and the IgG to measure (Medicinrådet 2025 §4.1, §4.2, §3.4).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cds_service.fhir.facts import FactBuilder
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.tools.replay import replay, request_from_bundle
from cql_like_rules import valuesets
from cql_like_rules.facts import TherapyOrderDraft
from cql_like_rules.orders import DraftOrder

RUNTIME = load_runtime(Settings())
PATIENT = "pt-therapy-order"
SUBJECT = {"reference": f"Patient/{PATIENT}"}
ATC = "http://www.whocc.no/atc"


def igg(rid: str, when: str, value: float) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": SUBJECT, "effectiveDateTime": when,
            "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
            "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}


def medication_request(rid: str, atc: str, start: str, status: str = "active", end: str | None = None) -> dict[str, Any]:
    bounds = {"start": start} if end is None else {"start": start, "end": end}
    return {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order", "subject": SUBJECT,
            "authoredOn": start, "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": bounds}}}]}


TECLISTAMAB_DRAFT = medication_request("draft-tec", "L01FX24", "2026-03-05", status="draft")


def plan_card(*resources: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": PATIENT, "birthDate": "1958-02-01"}
    myeloma = {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2023-01-01",
               "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C90.0"}]}}
    chart = {"resourceType": "Bundle", "type": "collection",
             "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in (patient, myeloma, *resources)]}
    [card] = replay(RUNTIME, chart, lang=lang, hook="order-sign", drafts=[TECLISTAMAB_DRAFT], at=date(2026, 3, 2)).cards
    assert card["source"]["topic"]["code"] == "plan-igg-monitoring"
    return card  # type: ignore[no-any-return]


ON_SUBSTITUTION = {"en": "This IgG was taken on substitution: it shows infused immunoglobulin",
                   "da": "Denne IgG er taget under substitution: den viser tilført immunglobulin"}


@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_igg_taken_on_immunoglobulin_is_named_as_such_on_the_plan_card(lang):
    """§3.4: an IgG measured on substitution shows the infused immunoglobulin, not the patient's own IgG."""
    card = plan_card(medication_request("ivig", "J06BA02", "2025-11-01"), igg("igg", "2026-02-20", 8.0), lang=lang)
    assert ON_SUBSTITUTION[lang] in card["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_igg_taken_off_immunoglobulin_has_no_such_note(lang):
    card = plan_card(medication_request("ivig", "J06BA02", "2025-06-01", status="completed", end="2025-10-01"),
                     igg("igg", "2026-02-20", 8.0), lang=lang)  # four months after the last Ig day
    assert ("8.0 g/L" if lang == "en" else "8,0 g/L") in card["detail"]
    assert ON_SUBSTITUTION[lang] not in card["detail"]


GENERAL_STOP = {"en": "Immunoglobulin begun before this therapy follows the general stop criteria (a stop attempt "
                      "6–12 months after its start), not the special stop",
                "da": "Immunglobulin startet før denne behandling følger de generelle seponeringskriterier "
                      "(seponeringsforsøg 6–12 måneder efter start), ikke særkriteriets seponering"}


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("ivig", [medication_request("ivig", "J06BA02", "2025-11-01"),  # on it now
                                  medication_request("ivig", "J06BA02", "2025-06-01", status="completed",
                                                     end="2026-02-10")])  # paused for the bispecific
def test_immunoglobulin_begun_before_the_bispecific_is_not_stopped_with_the_window(lang, ivig):
    """§4.2: a patient in treatment with immunoglobulin before the bispecific follows the general stop criteria."""
    assert GENERAL_STOP[lang] in plan_card(ivig, lang=lang)["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_immunoglobulin_that_ended_long_before_the_bispecific_is_not_named(lang):
    ivig = medication_request("ivig", "J06BA02", "2025-01-01", status="completed", end="2025-06-01")  # 9 months before
    card = plan_card(ivig, lang=lang)
    assert "2026-09-05" in card["summary"] and GENERAL_STOP[lang] not in card["detail"]


def resumed_card(lang: str, end: str) -> dict[str, Any]:
    """Teclistamab given from 2025-06-02 (stop date 2025-12-02) to `end`, and resumed by the draft on 2026-03-05."""
    return plan_card(medication_request("tec", "L01FX24", "2025-06-02", status="completed", end=end), lang=lang)


@pytest.mark.parametrize("lang, words", [
    ("en", "Teclistamab continues the course from 2025-06-02; its high-risk window ended 2025-12-02: general criteria"),
    ("da", "Teclistamab fortsætter forløbet fra 2025-06-02; dets højrisikoperiode sluttede 2025-12-02: generelle")])
def test_a_bispecific_resumed_after_its_window_ended_opens_no_window_and_asks_for_no_monitoring_until_a_past_date(
        lang, words):
    """A resumption within the course gap keeps T0 (policy); past the stop date the general criteria apply (§4.1, §4.3)."""
    card = resumed_card(lang, end="2026-01-10")  # resumed 54 days after the last order ended
    assert card["summary"].startswith(words)
    assert ("until 2025-12-02" if lang == "en" else "indtil 2025-12-02") not in card["summary"] + card["detail"]
    assert "suggestions" not in card  # no baseline for a window that is over


def test_a_bispecific_resumed_inside_its_window_still_plans_monitoring_to_the_stop_date():
    card = plan_card(medication_request("tec", "L01FX24", "2025-12-01", status="completed", end="2026-01-20"))
    assert card["summary"].startswith("Teclistamab continues the course from 2025-12-01: keep measuring IgG until 2026-06-01")


CHART = {"resourceType": "Bundle", "type": "collection", "entry": [
    {"fullUrl": f"Patient/{PATIENT}", "resource": {"resourceType": "Patient", "id": PATIENT, "birthDate": "1958-02-01"}},
    {"fullUrl": "Condition/dx", "resource": {
        "resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2023-01-01",
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C90.0"}]}}}]}


def igg_lab_order(code: str = "NPU19814", system: str = "http://npu-terminology.org") -> dict[str, Any]:
    return {"resourceType": "ServiceRequest", "id": "draft-lab", "status": "draft", "intent": "order", "subject": SUBJECT,
            "code": {"coding": [{"system": system, "code": code}]}}


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
def test_no_igg_order_is_suggested_when_one_is_drafted_with_the_therapy(hook):
    """The baseline IgG ordered in the same session is not to be ordered twice (order-select: selected or not)."""
    patient = {"resourceType": "Patient", "id": PATIENT, "birthDate": "1958-02-01"}
    myeloma = {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2023-01-01",
               "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C90.0"}]}}
    chart = {"resourceType": "Bundle", "type": "collection",
             "entry": [{"fullUrl": f"Patient/{PATIENT}", "resource": patient}, {"fullUrl": "Condition/dx", "resource": myeloma}]}

    def suggestions(lab: dict[str, Any]) -> list[dict[str, Any]]:
        request = request_from_bundle(chart, hook, [TECLISTAMAB_DRAFT, lab])
        if hook == "order-select":
            request["context"]["selections"] = ["MedicationRequest/draft-tec"]  # the lab order is drafted, not selected
        [card] = answer_local(parse_hook_request(request, hook), RUNTIME, lang="en", today=date(2026, 3, 2)).cards
        return card.get("suggestions", [])  # type: ignore[no-any-return]

    assert suggestions(igg_lab_order()) == []
    assert suggestions(igg_lab_order("2465-3", "http://loinc.org")) == []
    [other] = suggestions(igg_lab_order("1988-5", "http://loinc.org"))  # a CRP order: the IgG is still to be ordered
    assert other["actions"][0]["resource"]["resourceType"] == "ServiceRequest"


IGG_VALUE_SET = json.loads((Path(valuesets.__file__).parent / "valuesets" / "igg-serum.json").read_text())


@pytest.mark.parametrize("entry, counts", [*((e, True) for e in IGG_VALUE_SET["include"]),
                                           *((e, False) for e in IGG_VALUE_SET["exclude"][:6])],
                         ids=lambda v: v["code"] if isinstance(v, dict) else str(v))
def test_every_total_igg_code_of_the_value_set_drafted_is_an_igg_order(entry, counts):
    """Any code of total serum/plasma IgG (LOINC, NPU in g/L or µmol/L ...) drafted is the baseline, not a subclass."""
    system = RUNTIME.terminology.uris_of[entry["system"]][0]
    request = request_from_bundle(CHART, "order-sign", [TECLISTAMAB_DRAFT, igg_lab_order(entry["code"], system)])
    [card] = answer_local(parse_hook_request(request, "order-sign"), RUNTIME, lang="en", today=date(2026, 3, 2)).cards
    assert ("suggestions" not in card) is counts
    assert ("is among the draft orders" in card["detail"]) is counts


def after_car_t_chart() -> dict[str, Any]:
    """An adult with myeloma, CAR-T on 2025-11-01 (stop date 2026-05-01), IgG 3.0 g/L on 2026-02-20."""
    patient = {"resourceType": "Patient", "id": PATIENT, "birthDate": "1958-02-01"}
    myeloma = {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2023-01-01",
               "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C90.0"}]}}
    cart = {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
            "performedDateTime": "2025-11-01",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]}}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r}
                      for r in (patient, myeloma, cart, igg("igg", "2026-02-20", 3.0))]}


def test_the_therapy_drafted_with_an_ig_order_is_a_fact_and_a_definition_of_the_ig_order():
    """The bsAb / CAR-T orders judged in the session are a typed fact (never an IgG or unrecognised draft); the
    immunoglobulin order's trace names the new bsAb window drafted beside it ("Therapy Drafted With It"), the
    therapy card's does not; a CAR-T product drafted alone beside it opens no bsAb course and is not named."""
    orders = [DraftOrder("ig", "MedicationRequest/ig"),
              DraftOrder("bsab", "MedicationRequest/tec", date(2026, 3, 5), drug="teclistamab"),
              DraftOrder("car-t-product", "MedicationRequest/cart", drug="cilta-cel"),
              DraftOrder("unrecognised", "MedicationRequest/x", looks_like="bsab")]
    assert FactBuilder.therapies_drafted(orders) == (
        TherapyOrderDraft("MedicationRequest/tec", "bsab", "teclistamab", date(2026, 3, 5)),
        TherapyOrderDraft("MedicationRequest/cart", "car-t-product", "cilta-cel"))
    ivig = medication_request("draft-ivig", "J06BA02", "2026-03-05", status="draft")
    answer = replay(RUNTIME, after_car_t_chart(), hook="order-sign", drafts=[ivig, TECLISTAMAB_DRAFT],
                    at=date(2026, 3, 2))
    steps = {c["source"]["topic"]["code"]: {s["name"]: s for s in c["extension"]["dk.igsub-cds.trace"]}
             for c in answer.cards}
    named = steps["order-meets-criteria"]["Therapy Drafted With It"]
    assert named["references"] == ["MedicationRequest/draft-tec"] and named["value"]["start"] == "2026-03-05", named
    assert "Therapy Drafted With It" not in steps["plan-igg-monitoring"]
    axicel = medication_request("draft-axicel", "L01XL03", "2026-03-05", status="draft")
    cards = replay(RUNTIME, after_car_t_chart(), hook="order-sign", drafts=[ivig, axicel], at=date(2026, 3, 2)).cards
    assert {c["source"]["topic"]["code"] for c in cards} == {"order-meets-criteria", "plan-igg-monitoring"}
    assert not any("drafted with this order" in c["detail"] for c in cards)


@pytest.mark.parametrize("lang, said", [
    ("en", "Teclistamab, drafted with it from 2026-03-05, opens a new window; once it has begun, the stop date is "
           "2026-09-05, not 2026-05-01."),
    ("da", "Teclistamab i udkast fra 2026-03-05 åbner en ny periode; når den er begyndt, er seponeringsdatoen "
           "2026-09-05, ikke 2026-05-01."),
])
def test_an_ig_order_signed_with_a_new_bispecific_says_the_therapy_card_gives_another_window(lang, said):
    """CAR-T 2025-11-01 (stop date 2026-05-01), IgG 3.0 since: IVIG and teclistamab from 2026-03-05 drafted together.
    The IVIG card is judged on the CAR-T window (a draft is not an index event). It said "end it on 2026-05-01" and
    offered that end, while the teclistamab card beside it names a window to 2026-09-05: once teclistamab has begun,
    IVIG begun with it stops on 2026-09-05, so the IVIG card names that stop and offers no end on 2026-05-01."""
    chart, ivig = after_car_t_chart(), medication_request("draft-ivig", "J06BA02", "2026-03-05", status="draft")
    cards = replay(RUNTIME, chart, lang=lang, hook="order-sign", drafts=[ivig, TECLISTAMAB_DRAFT], at=date(2026, 3, 2)).cards
    by_code = {c["source"]["topic"]["code"]: c for c in cards}
    assert set(by_code) == {"order-meets-criteria", "plan-igg-monitoring"}
    assert "2026-09-05" in by_code["order-meets-criteria"]["summary"]
    assert not by_code["order-meets-criteria"].get("suggestions")
    assert said in by_code["order-meets-criteria"]["detail"], by_code["order-meets-criteria"]["detail"]
    assert said not in by_code["plan-igg-monitoring"]["detail"]
    [alone] = replay(RUNTIME, chart, lang=lang, hook="order-sign", drafts=[ivig], at=date(2026, 3, 2)).cards
    assert said not in alone["detail"] and "2026-05-01" in alone["summary"]


def test_order_select_of_a_later_step_up_dose_dates_the_window_from_the_series_first_dose():
    """Teclistamab step-up doses drafted as three orders (2026-03-05, -07, -09); on order-select the clinician selects
    only the second. T0 is the course's first dose (clinical-rules §2), so the card's window runs from 2026-03-05 to
    2026-09-05, as on order-sign where all three are judged; it ran from the selected dose (2026-03-07 to 2026-09-07),
    two days of the window and the stop date off. A draft in the request but not selected is still the series'
    first dose, as an IgG lab order drafted beside it is (selected or not)."""
    patient = {"resourceType": "Patient", "id": PATIENT, "birthDate": "1958-02-01"}
    myeloma = {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2023-01-01",
               "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C90.0"}]}}
    chart = {"resourceType": "Bundle", "type": "collection",
             "entry": [{"fullUrl": f"Patient/{PATIENT}", "resource": patient}, {"fullUrl": "Condition/dx", "resource": myeloma}]}
    series = [medication_request(f"draft-tec-{n}", "L01FX24", day, status="draft")
              for n, day in enumerate(("2026-03-05", "2026-03-07", "2026-03-09"))]
    signed = answer_local(parse_hook_request(request_from_bundle(chart, "order-sign", series), "order-sign"), RUNTIME,
                          lang="en", today=date(2026, 3, 2))
    assert {(a.values["t0"], a.values["stop_date"]) for a in signed.advice} == {(date(2026, 3, 5), date(2026, 9, 5))}
    request = request_from_bundle(chart, "order-select", series)
    request["context"]["selections"] = ["MedicationRequest/draft-tec-1"]
    selected = answer_local(parse_hook_request(request, "order-select"), RUNTIME, lang="en", today=date(2026, 3, 2))
    [advice] = selected.advice
    assert advice.targets == ("MedicationRequest/draft-tec-1",)
    assert (advice.values["t0"], advice.values["stop_date"]) == (date(2026, 3, 5), date(2026, 9, 5))
    assert advice.values["t0_source"] == "MedicationRequest/draft-tec-0"
    [card] = selected.cards
    assert "2026-09-05" in card["summary"] + card["detail"] and "2026-09-07" not in card["summary"] + card["detail"]
