"""A record coded or dated in a way the service does not read must not give no card, or a silently wrong one.

A bispecific order whose start is read is used even when its planned end or its `authoredOn` cannot be read: a field
the rules do not need (authoredOn beside a dosage start) is named as not read; one they need (the end) is read as no
end and named. Dropping the whole order left a bispecific patient with no card at all."""

from __future__ import annotations

import re

from datetime import date
from typing import Any

import pytest

from cds_service.tools.replay import replay
from cds_service.tools.worklist import evaluate_patient_resources
from tests.test_acceptance_dates import (CART, LOW, RUNTIME, bounds, bsab_dose, bsab_order, bundle, car_t, car_t_given, code,
                                         ig_order, ig_statement, text)

AT = date(2026, 1, 20)
Resource = dict[str, Any]


def cards(b: Resource, lang: str = "en", hook: str = "patient-view", drafts: list[Resource] | None = None,
          ) -> list[dict[str, Any]]:
    return list(replay(RUNTIME, b, lang=lang, hook=hook, drafts=drafts, at=AT).cards)


def rows(b: Resource) -> list[str]:
    return [r.code for r in evaluate_patient_resources([e["resource"] for e in b["entry"]], AT, RUNTIME)]


TEC_END_UNREAD = bsab_order("tec", authoredOn="2025-11-18", dosageInstruction=bounds("2025-11-18", "18-05-2026"))
TEC_AUTHORED_UNREAD = bsab_order("tec", authoredOn="18-11-2025", dosageInstruction=bounds("2025-11-18"))


def test_a_bsab_order_whose_end_cannot_be_read_is_used_and_its_end_named() -> None:
    b = bundle(TEC_END_UNREAD, LOW)
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == code(da) == "start-substitution", text(en)
    assert "after bsAb 2025-11-18" in en["summary"] and "2026-05-18" in en["summary"]
    assert "The planned end “18-05-2026” of an order cannot be read as a day: read as if it had no end date" \
        in text(en), text(en)
    assert "Den planlagte slutdato “18-05-2026” i en ordination kan ikke læses som en dag" in text(da), text(da)
    assert "unusable data" not in text(en)
    assert rows(b) == ["start-substitution"]


def test_a_bsab_order_whose_authored_on_cannot_be_read_is_dated_by_its_start() -> None:
    b = bundle(TEC_AUTHORED_UNREAD, LOW)
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == code(da) == "start-substitution", text(en)
    assert "after bsAb 2025-11-18" in en["summary"]
    assert "malformed field (authoredOn) of an order, which the rules do not read, was ignored" in text(en), text(en)
    assert "fejlformateret felt (authoredOn) i en ordination" in text(da), text(da)
    assert rows(b) == ["start-substitution"]


def test_an_authored_on_that_is_the_only_date_still_names_the_therapy_undated() -> None:
    [en] = cards(bundle(bsab_order("tec", authoredOn="18-11-2025"), LOW))
    assert code(en) == "therapy-undated" and "“18-11-2025”, which cannot be read as a day" in en["summary"]


def test_an_ivig_order_whose_authored_on_cannot_be_read_is_not_dropped() -> None:
    """The same fault in an immunoglobulin order left "Ig may be started" for a patient on IVIG."""
    b = bundle(CART, LOW, ig_order(authoredOn="15-12-2025", dosageInstruction=bounds("2025-12-15")))
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == code(da) == "stop-planned", text(en)
    assert "may be started" not in text(en) and "IVIG since 2025-12-15" in text(en)
    assert rows(b) == ["stop-planned"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize("lang, words", [
    ("en", "The planned end “20-07-2026” of an order cannot be read as a day"),
    ("da", "Den planlagte slutdato “20-07-2026” i en ordination kan ikke læses som en dag"),
])
def test_a_bsab_draft_whose_end_cannot_be_read_is_judged_from_its_start(hook: str, lang: str, words: str) -> None:
    draft = bsab_order("d-tec", status="draft", authoredOn="2026-01-20",
                       dosageInstruction=bounds("2026-01-20", "20-07-2026"))
    [card] = cards(bundle(LOW), lang, hook, [draft])
    assert code(card) == "plan-igg-monitoring", text(card)
    assert "2026-01-20" in card["summary"] and words in text(card), text(card)


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_a_bsab_draft_whose_authored_on_cannot_be_read_is_judged(hook: str) -> None:
    draft = bsab_order("d-tec", status="draft", authoredOn="20-01-2026", dosageInstruction=bounds("2026-01-20"))
    for lang, words in (("en", "malformed field (authoredOn)"), ("da", "fejlformateret felt (authoredOn)")):
        [card] = cards(bundle(LOW), lang, hook, [draft])
        assert code(card) == "plan-igg-monitoring" and words in text(card), text(card)


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_an_ivig_draft_beside_a_bsab_order_whose_end_cannot_be_read(hook: str) -> None:
    draft = ig_order("d-ivig", status="draft", authoredOn="2026-01-20", dosageInstruction=bounds("2026-01-20"))
    for lang in ("en", "da"):
        [card] = cards(bundle(TEC_END_UNREAD, LOW), lang, hook, [draft])
        assert code(card) == "order-meets-criteria", text(card)
        assert "18-05-2026" in text(card)


def test_an_ivig_draft_whose_end_cannot_be_read_gets_no_end_date_suggested() -> None:
    draft = ig_order("d-ivig", status="draft", authoredOn="2026-01-20",
                     dosageInstruction=bounds("2026-01-20", "20-09-2026"))
    [card] = cards(bundle(CART, LOW), "en", "order-sign", [draft])
    assert code(card) == "order-meets-criteria", text(card)
    assert "“20-09-2026”" in text(card)
    assert not card.get("suggestions"), card.get("suggestions")


# ---- a malignancy coded only under a wrong or an unknown code system, with no name ---------------------------------

CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}


def nameless_diagnosis(system: str, code_: str) -> Resource:
    return {"resourceType": "Condition", "id": "dx", "subject": {"reference": "Patient/pt-dates"},
            "onsetDateTime": "2023-06-01", "verificationStatus": CONFIRMED,
            "code": {"coding": [{"system": system, "code": code_}]}}


def chart_with(dx: Resource, *more: Resource, birth: str = "1958-03-14") -> Resource:
    """`bundle` with this diagnosis in place of its recognised lymphoma."""
    b = bundle(CART, LOW, *more)
    b["entry"][0]["resource"]["birthDate"] = birth
    b["entry"][1] = {"fullUrl": "Condition/dx", "resource": dx}
    return b


WRONG = nameless_diagnosis("http://snomed.info/sct", "C83.3")  # an ICD-10 lymphoma code sent under SNOMED CT
UNKNOWN = nameless_diagnosis("http://hospital.example/diagnoser", "LYM-17")


def test_a_lymphoma_code_under_a_wrong_system_names_the_code_and_the_right_system() -> None:
    b = chart_with(WRONG)
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == code(da) == "malignancy-not-recognised", text(en)
    assert en["summary"] == "Not checked: CAR-T 2025-11-18, but the diagnosis code C83.3 is sent under SNOMED, not ICD10"
    assert "corrected to ICD10 in the EHR" in text(en)
    assert da["summary"].startswith("Ikke vurderet: CAR-T 2025-11-18, men diagnosekoden C83.3 er sendt under SNOMED")
    assert "rettet til ICD10 i journalen" in text(da)
    assert rows(b) == ["malignancy-not-recognised"]


def test_a_diagnosis_in_an_unknown_system_names_the_code_and_the_system() -> None:
    b = chart_with(UNKNOWN)
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == code(da) == "malignancy-not-recognised", text(en)
    assert "no name and only the code LYM-17, in a system this service does not know" in en["summary"]
    assert "hospital\\.example/diagnoser" in en["detail"], en["detail"]
    assert "intet navn og kun koden LYM-17" in da["summary"]
    assert rows(b) == ["malignancy-not-recognised"]


@pytest.mark.parametrize("dx, shown", [(UNKNOWN, "LYM-17"), (WRONG, "C83.3")], ids=["unknown-system", "wrong-system"])
def test_a_child_with_a_diagnosis_not_read_is_assessed_individually(dx: Resource, shown: str) -> None:
    """Its card said the diagnosis was 'named like a haematological malignancy': it has no name."""
    [en], [da] = cards(chart_with(dx, birth="2012-03-14")), cards(chart_with(dx, birth="2012-03-14"), "da")
    assert code(en) == code(da) == "malignancy-not-recognised", text(en)
    assert en["summary"] == f"Not checked: the diagnosis has no name and its code {shown} was not read; child (13 y): " \
                            "individual assessment"
    assert da["summary"].startswith(f"Ikke vurderet: diagnosen har intet navn, og koden {shown} er ikke læst; barn")
    assert "named like" not in text(en) and "hedder som" not in text(da), text(en)


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize("dx, words", [(WRONG, "sent under SNOMED, not ICD10"), (UNKNOWN, "only the code LYM-17")])
def test_an_ivig_draft_beside_a_diagnosis_not_read_says_so(hook: str, dx: Resource, words: str) -> None:
    draft = ig_order("d-ivig", status="draft", authoredOn="2026-01-20", dosageInstruction=bounds("2026-01-20"))
    [en] = cards(chart_with(dx), "en", hook, [draft])
    [da] = cards(chart_with(dx), "da", hook, [draft])
    assert code(en) == code(da) == "malignancy-not-recognised" and words in en["summary"], text(en)


def test_a_recognised_lymphoma_beside_an_unknown_system_diagnosis_is_used() -> None:
    other = {**UNKNOWN, "id": "dx-other"}
    [en] = cards(bundle(CART, LOW, other))
    assert code(en) == "start-substitution", text(en)


# ---- an immunoglobulin code, or a therapy code beside a local one, sent under the wrong code system ---------------

SCT = "http://snomed.info/sct"
LOCAL = "http://hospital.example/drugs"


def drug_record(rid: str, codings: list[Resource], kind: str = "MedicationRequest", status: str = "active",
                text_: str | None = None, **more: Any) -> Resource:
    concept: Resource = {"coding": codings, **({"text": text_} if text_ else {})}
    r = {"resourceType": kind, "id": rid, "status": status, "subject": {"reference": "Patient/pt-dates"},
         "medicationCodeableConcept": concept, **more}
    return {**r, "intent": "order"} if kind == "MedicationRequest" else r


IVIG_UNDER_SCT = [{"system": SCT, "code": "J06BA02"}]


@pytest.mark.parametrize("record", [
    drug_record("ivig", IVIG_UNDER_SCT, authoredOn="2025-12-15", dosageInstruction=bounds("2025-12-15")),
    drug_record("ivig-dose", IVIG_UNDER_SCT, "MedicationAdministration", "completed", effectiveDateTime="2026-01-05"),
], ids=["order", "dose"])
def test_an_ivig_code_under_snomed_ct_says_the_patient_may_be_on_substitution(record: Resource) -> None:
    b = bundle(CART, LOW, record)
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == code(da) == "start-substitution"
    # named on the card as Ig the patient may be on, no Ig order offered; the wrong code system is the data note's
    assert "J06BA02 \\(SNOMED\\) (" in en["detail"] and "may be Ig the patient is on: check first; no Ig " \
           "order offered" in en["detail"], en["detail"]
    assert not en.get("suggestions"), en["suggestions"]
    assert "kan være Ig, patienten får" in da["detail"], da["detail"]
    assert "ig-wrong-system" in [n["kind"] for n in en["extension"]["dk.igsub-cds.data-notes"]]
    assert "code system not recognised" not in en["detail"]
    assert rows(b) == ["start-substitution"]


def test_an_ivig_dose_under_snomed_ct_is_no_possible_car_t() -> None:
    """It got the CAR-T/bsAb card asking for a code system to be added (SNOMED CT, which the service reads)."""
    dose = drug_record("ivig-dose", IVIG_UNDER_SCT, "MedicationAdministration", "completed",
                       effectiveDateTime="2026-01-05")
    assert cards(bundle(LOW, dose)) == [] and rows(bundle(LOW, dose)) == []


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize("name", [None, "Infusion 10 g"])
def test_an_ivig_draft_under_snomed_ct_gets_the_wrong_system_card_whatever_its_name(hook: str, name: str | None,
                                                                                    ) -> None:
    draft = drug_record("d-ivig", IVIG_UNDER_SCT, status="draft", text_=name, authoredOn="2026-01-20",
                        dosageInstruction=bounds("2026-01-20"))
    [en] = cards(bundle(CART, LOW), "en", hook, [draft])
    [da] = cards(bundle(CART, LOW), "da", hook, [draft])
    assert code(en) == code(da) == "order-not-recognised", text(en)
    assert en["summary"] == "Order not checked: its code J06BA02 was sent under the wrong code system"
    assert "The order's drug could not be read" in en["detail"] and "has no name" not in en["detail"]
    assert da["summary"] == "Ordination ikke vurderet: koden J06BA02 er sendt under det forkerte kodesystem"


MIXED = [{"system": LOCAL, "code": "TEC-1"}, {"system": SCT, "code": "L01FX24"}]


@pytest.mark.parametrize("record", [
    drug_record("tec", MIXED, authoredOn="2025-11-18", dosageInstruction=bounds("2025-11-18")),
    drug_record("tec-dose", MIXED, "MedicationAdministration", "completed", effectiveDateTime="2025-11-18"),
], ids=["order", "dose"])
def test_a_local_code_first_and_a_bsab_code_under_snomed_ct_gets_the_wrong_system_card(record: Resource) -> None:
    b = bundle(record, LOW)
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == code(da) == "therapy-not-recognised"
    assert "sent under the wrong code system" in en["summary"] and "L01FX24" in en["detail"], text(en)
    assert "add the code system" not in text(en) and "forkerte kodesystem" in da["summary"]
    assert rows(b) == ["therapy-not-recognised"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_a_mixed_coded_draft_gets_the_wrong_system_card(hook: str) -> None:
    draft = drug_record("d-tec", MIXED, status="draft", authoredOn="2026-01-20", dosageInstruction=bounds("2026-01-20"))
    for lang, words in (("en", "its code L01FX24 was sent under the wrong code system"),
                        ("da", "koden L01FX24 er sendt under det forkerte kodesystem")):
        [card] = cards(bundle(CART, LOW), lang, hook, [draft])
        assert code(card) == "order-not-recognised" and words in card["summary"], text(card)


# ---- an IgG myeloma's high total IgG with no M-protein measured with it, on a bispecific draft ---------------------

def myeloma_chart(total: float, earlier_m_protein: float | None) -> tuple[Resource, str]:
    """IgG kappa myeloma (immunofixation), teclistamab since 2025-12-01, total IgG on 2026-01-12, no M-protein measured
    with it (an earlier IgG M-protein when given, 2025-08-01)."""
    import json
    from pathlib import Path
    b = json.loads((Path(__file__).parent.parent / "fhir_fixtures"
                    / "igg-kappa-myeloma-normal-total-low-polyclonal-start.json").read_text())
    m = next(e["resource"] for e in b["entry"] if e["resource"].get("id") == "obs-mprotein-0055")
    if earlier_m_protein is None:
        b["entry"] = [e for e in b["entry"] if e["resource"] is not m]
    else:
        m["effectiveDateTime"], m["valueQuantity"]["value"] = "2025-08-01T08:00:00+01:00", earlier_m_protein
    next(e["resource"] for e in b["entry"] if e["resource"].get("id") == "obs-igg-0055-a")["valueQuantity"]["value"] = total
    patient = next(e["resource"]["id"] for e in b["entry"] if e["resource"]["resourceType"] == "Patient")
    return b, patient


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize("total, earlier", [(12.0, 9.0), (6.5, None)])
def test_a_bsab_draft_says_what_patient_view_says_of_an_igg_myeloma_total(hook: str, total: float,
                                                                          earlier: float | None) -> None:
    b, patient = myeloma_chart(total, earlier)
    [view] = cards(b)
    assert code(view) == "paraprotein-type-unknown" and "measure the M-protein" in view["summary"]
    draft = {**bsab_order("d-tec", status="draft", authoredOn="2026-01-20", dosageInstruction=bounds("2026-01-20")),
             "subject": {"reference": f"Patient/{patient}"}}
    for lang, words in (("en", "IgG myeloma without an M-protein measured with this IgG: polyclonal IgG may be lower"),
                        ("da", "IgG-myelomatose uden M-komponent målt sammen med denne IgG")):
        [card] = cards(b, lang, hook, [draft])
        assert code(card) == "plan-igg-monitoring", text(card)
        assert words in card["detail"], card["detail"]


def test_no_m_protein_caveat_on_a_bsab_draft_where_it_changes_nothing() -> None:
    # an earlier IgG M-protein of 1.5: a total of 12.0 cannot hide a polyclonal IgG below 6 by it or the 2 g/L margin
    # (with no M-protein figure ever measured it could: see test_acceptance_myeloma)
    b, patient = myeloma_chart(12.0, 1.5)
    assert cards(b) == []
    draft = {**bsab_order("d-tec", status="draft", authoredOn="2026-01-20", dosageInstruction=bounds("2026-01-20")),
             "subject": {"reference": f"Patient/{patient}"}}
    [card] = cards(b, "en", "order-sign", [draft])
    assert "M-protein" not in card["detail"], card["detail"]


def test_a_bsab_draft_for_an_igg_myeloma_never_measured_names_the_caveat() -> None:
    b, patient = myeloma_chart(12.0, None)
    [view] = cards(b)
    assert code(view) == "paraprotein-type-unknown" and "may be < 4 g/L" in view["summary"]
    draft = {**bsab_order("d-tec", status="draft", authoredOn="2026-01-20", dosageInstruction=bounds("2026-01-20")),
             "subject": {"reference": f"Patient/{patient}"}}
    [card] = cards(b, "en", "order-sign", [draft])
    assert "IgG myeloma without an M-protein measured with this IgG" in card["detail"], card["detail"]


# ---- a period's end, which a procedure or a dose is not dated by when its start is given ---------------------------

@pytest.mark.parametrize("record, after", [
    (car_t(performedPeriod={"start": "2025-11-18", "end": "18-11-2025"}), "after CAR-T 2025-11-18"),
    (car_t_given(effectivePeriod={"start": "2025-11-18", "end": "18-11-2025"}), "after CAR-T 2025-11-18"),
    (bsab_dose("tec-dose", effectivePeriod={"start": "2025-11-18", "end": "18-11-2025"}), "after bsAb 2025-11-18"),
], ids=["car-t-procedure", "car-t-dose", "bsab-dose"])
def test_a_therapy_dated_by_its_start_is_not_dropped_for_an_unreadable_end(record: Resource, after: str) -> None:
    b = bundle(record, LOW)
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == code(da) == "start-substitution", text(en)
    assert after in en["summary"]
    assert "malformed field" in en["detail"] and "fejlformateret felt" in da["detail"], en["detail"]
    assert rows(b) == ["start-substitution"]


def test_an_ivig_draft_under_snomed_ct_sent_in_the_chart_too_is_named_once() -> None:
    draft = drug_record("d-ivig", IVIG_UNDER_SCT, status="draft", text_="Infusion 10 g", authoredOn="2026-01-20",
                        dosageInstruction=bounds("2026-01-20"))
    [card] = cards(bundle(CART, LOW, draft), "en", "order-sign", [draft])
    assert code(card) == "order-not-recognised", text(card)
    assert "check whether the patient is already on substitution" not in card["detail"], card["detail"]
    assert "hold only under another code system" not in card["detail"], card["detail"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_a_bsab_draft_shows_the_polyclonal_igg_patient_view_decides_on(hook: str) -> None:
    """IgG kappa myeloma, total IgG 8.7 with an IgG M-protein of 6.1 the same day: patient-view says polyclonal IgG 2.6
    < 4, Ig may be started; the bsAb draft's card showed 'IgG 8.7 g/L'."""
    import json
    from pathlib import Path
    b = json.loads((Path(__file__).parent.parent / "fhir_fixtures"
                    / "igg-kappa-myeloma-normal-total-low-polyclonal-start.json").read_text())
    patient = next(e["resource"]["id"] for e in b["entry"] if e["resource"]["resourceType"] == "Patient")
    [view] = cards(b)
    assert view["summary"].startswith("Polyclonal IgG 2.6 g/L (total 8.7)")
    draft = {**bsab_order("d-tec", status="draft", authoredOn="2026-01-20", dosageInstruction=bounds("2026-01-20")),
             "subject": {"reference": f"Patient/{patient}"}}
    for lang, words in (("en", "Polyclonal IgG 2.6 g/L on 2026-01-12: total 8.7 g/L − IgG M-protein 6.1 g/L"),
                        ("da", "Polyklonal IgG 2,6 g/L")):
        [card] = cards(b, lang, hook, [draft])
        assert code(card) == "plan-igg-monitoring" and words in card["detail"], card["detail"]
        assert "IgG 8.7 g/L on" not in card["detail"]


# ---- an immunoglobulin order or a medication record whose start reads but whose end does not -----------------------

def test_an_ivig_order_whose_end_cannot_be_read_is_substitution_running() -> None:
    """IVIG ordered from 2025-12-15 to "15-06-2026": the patient is on IVIG. The order was dropped as undated and the
    card said 'Ig may be started', suggesting a second IVIG order."""
    b = bundle(CART, LOW, ig_order(authoredOn="2025-12-15", dosageInstruction=bounds("2025-12-15", "15-06-2026")))
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == code(da) == "stop-planned", text(en)
    assert "may be started" not in text(en) and "IVIG since 2025-12-15" in text(en)
    assert "The planned end “15-06-2026” of an order cannot be read as a day: read as if it had no end date" \
        in text(en), text(en)
    assert "slutdato “15-06-2026” i en ordination kan ikke læses som en dag: læst, som om den ingen slutdato har" \
        in text(da), text(da)
    assert rows(b) == ["stop-planned"]


@pytest.mark.parametrize("record, chart, expected, words", [
    (ig_statement(effectivePeriod={"start": "2025-12-15", "end": "15-06-2026"}), [CART], "stop-planned",
     "The planned end “15-06-2026” of a medication record cannot be read as a day"),
    (ig_statement("tec-st", atc="L01FX24", effectivePeriod={"start": "2025-11-18", "end": "18-05-2026"}), [],
     "start-substitution", "The planned end “18-05-2026” of a medication record cannot be read as a day"),
    (ig_statement("cart-st", atc="L01XL03", effectivePeriod={"start": "2025-11-18", "end": "18-11-2025"}), [],
     "start-substitution", "malformed field (effectivePeriod\\.end) of a medication record"),
], ids=["ig", "bsab", "car-t"])
def test_a_medication_record_dated_by_its_start_is_not_dropped_for_an_unreadable_end(
        record: Resource, chart: list[Resource], expected: str, words: str) -> None:
    """Home SCIG on the medication list from 2025-12-15 to "15-06-2026" was dropped ('Ig may be started'); a
    teclistamab or CAR-T record so written was dropped as invalid, leaving no card at all."""
    b = bundle(*chart, record, LOW)
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == code(da) == expected, text(en)
    assert words in text(en), text(en)
    assert "may be started" not in text(en) if expected == "stop-planned" else "2025-11-18" in en["summary"]
    assert rows(b) == [expected]


# ---- a drug named as what it is, its code sent under the wrong code system -----------------------------------------

def test_a_named_ivig_order_under_snomed_ct_says_the_patient_may_be_on_substitution() -> None:
    """'Privigen 10 g', J06BA02 under SNOMED CT: its name only gave 'not recognised by its code: not used' beside
    'Ig may be started', with no word of a substitution the patient may be on."""
    order = drug_record("ivig", IVIG_UNDER_SCT, text_="Privigen 10 g", authoredOn="2025-12-15",
                        dosageInstruction=bounds("2025-12-15"))
    b = bundle(CART, LOW, order)
    [en], [da] = cards(b), cards(b, "da")
    assert "may be Ig the patient is on: check first" in en["detail"], en["detail"]
    assert "kan være Ig, patienten får" in da["detail"], da["detail"]
    assert "ig-wrong-system" in [n["kind"] for n in en["extension"]["dk.igsub-cds.data-notes"]]
    assert "not recognised by its code" not in en["detail"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize("codings, name", [(IVIG_UNDER_SCT, "Privigen 10 g"),
                                           ([{"system": SCT, "code": "L01FX24"}], "Tecvayli (teclistamab)")])
def test_a_named_draft_under_the_wrong_code_system_is_for_the_ehr_to_correct(
        hook: str, codings: list[Resource], name: str) -> None:
    """It asked the CDS team to add the code 'J06BA02 (SNOMED)': an ATC code, which the service reads under ATC."""
    draft = drug_record("d-x", codings, status="draft", text_=name, authoredOn="2026-01-20",
                        dosageInstruction=bounds("2026-01-20"))
    [en] = cards(bundle(CART, LOW), "en", hook, [draft])
    [da] = cards(bundle(CART, LOW), "da", hook, [draft])
    assert code(en) == code(da) == "order-not-recognised", text(en)
    assert "was sent under the wrong code system" in en["summary"] and "ask the CDS team" not in text(en), text(en)
    shown = name.replace("(", "\\(").replace(")", "\\)")  # as markdown escapes it
    assert f"Draft order: “{shown}” from 2026-01-20" in en["detail"], en["detail"]
    assert "forkerte kodesystem" in da["summary"] and "CDS-teamet" not in text(da), text(da)


@pytest.mark.parametrize("dx", [WRONG, UNKNOWN], ids=["wrong-system", "unknown-system"])
def test_the_worklist_says_no_igg_was_used_for_a_diagnosis_not_read(dx: Resource) -> None:
    """The card applies no criterion and uses no IgG; the table said 'none', as if no IgG (2.8 g/L) were on file."""
    from collections import Counter

    from cds_service.tools.worklist import WorklistResult, render_table
    b = chart_with(dx)
    [row] = evaluate_patient_resources([e["resource"] for e in b["entry"]], AT, RUNTIME)
    table = render_table(WorklistResult(AT, [row], Counter({row.code: 1}), 1, len(b["entry"]), 0, 0, [], [], 0.1, 1))
    [line] = [line for line in table.splitlines() if line.startswith("pt-dates")]
    assert row.code == "malignancy-not-recognised" and line.endswith("  not used"), line


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_a_draft_not_recognised_by_its_code_keeps_its_start_beside_an_unreadable_end(hook: str) -> None:
    """'Privigen' under a local code, planned 2026-02-20 to '20-07-2026': both dates were dropped for the end, so the
    card showed the draft as starting today (2026-01-20) and said nothing of the end."""
    draft = drug_record("d-ivig", [{"system": LOCAL, "code": "PRIV"}], status="draft", text_="Privigen",
                        authoredOn="2026-01-20", dosageInstruction=bounds("2026-02-20", "20-07-2026"))
    [en] = cards(bundle(CART, LOW), "en", hook, [draft])
    [da] = cards(bundle(CART, LOW), "da", hook, [draft])
    assert code(en) == code(da) == "order-not-recognised", text(en)
    assert "Draft order: “Privigen” from 2026-02-20" in en["detail"], en["detail"]
    assert "The planned end “20-07-2026” of an order cannot be read as a day" in en["detail"], en["detail"]
    assert "Ordinationsudkast: “Privigen” fra 2026-02-20" in da["detail"], da["detail"]


def test_an_end_in_words_cut_on_the_card_says_it_is_cut() -> None:
    """An end written in words longer than the card shows was cut with no mark, as if it said all."""
    order = bsab_order("tec", authoredOn="2025-11-18",
                       dosageInstruction=bounds("2025-11-18", "slut efter 6 cykler, vurderes løbende af læge"))
    [en] = cards(bundle(order, LOW))
    # the quote is shortened further where the card needs the room for a caveat (render.SHORT_DISPLAY); either way
    # it ends with the mark, and what it shows is the start of what the EHR sent
    [quoted] = re.findall(r"“([^”]*)”", en["detail"])
    assert quoted.endswith("…") and "slut efter 6 cykler, vurderes løbende af læge".startswith(quoted[:-1]), quoted


@pytest.mark.parametrize("lang, kind, not_says", [
    ("en", "Diagnosis not recognised by its code (named like a malignancy, or with no name)", "known only by its name"),
    ("da", "Diagnose ikke genkendt på sin kode (hedder som en kræftsygdom, eller uden navn)", "kendt kun ved navn"),
])
def test_the_page_does_not_call_a_diagnosis_with_no_name_known_by_its_name(lang: str, kind: str, not_says: str) -> None:
    from tests.test_explain_fact_labels import facts_rows
    rows = facts_rows(chart_with(WRONG), AT, lang)
    [row] = [r for r in rows if r[-1] == "Condition/dx"]
    assert row[0] == kind and not_says not in row[0], row


@pytest.mark.parametrize("dx, right", [(nameless_diagnosis(SCT, "DC833"), "SKS-D"), (WRONG, "ICD10")],
                         ids=["sks-spelling", "icd10-spelling"])
def test_a_diagnosis_code_under_the_wrong_system_is_sent_back_to_the_system_it_is_written_in(dx: Resource,
                                                                                            right: str) -> None:
    """'DC833' (SKS's spelling) under SNOMED CT was to be 'corrected to ICD10', where ICD-10 has no code DC833."""
    [en] = cards(chart_with(dx))
    assert en["summary"].endswith(f"is sent under SNOMED, not {right}") and f"corrected to {right} in the EHR" \
        in en["detail"], text(en)
