"""Infections and the general criteria around and after the six-month window, one clinical
situation per test on hand-made facts and a fixed "today" (T0 2025-10-01, stop date 2026-04-01)."""

from __future__ import annotations

import json
from datetime import date

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cql_like_rules import MEDICINRAADET_2025, evaluate_patient
from cql_like_rules.facts import CarTInfusion, Diagnosis, Facts, IgCourse, IgGResult, Infection, Patient
from cql_like_rules.orders import DraftOrder

from .fixtures import FIXTURES

D = date.fromisoformat
RUNTIME = load_runtime(Settings())


def facts(**kw) -> Facts:
    base = dict(patient=Patient("Patient/p", D("1960-05-01")), diagnoses=(Diagnosis("C833", "Condition/dx"),),
                car_t=(CarTInfusion(D("2025-10-01"), "Procedure/cart"),),
                igg=(IgGResult(2.5, D("2025-10-10"), "Observation/igg"),))
    base.update(kw)
    return Facts(**base)


def on_ig(*infections: Infection) -> Facts:
    """IVIG since 2025-10-15 for IgG < 4 g/L alone: the special stop at 2026-04-01 applies."""
    return facts(ig_courses=(IgCourse(D("2025-10-15"), "active", "MedicationRequest/ig"),), infections=infections)


def sepsis(when: str, ref: str = "Condition/sepsis") -> Infection:
    return Infection(D(when), True, ref)


# --- §4.3: the stop attempt weighs the infection tendency --------------------------

def test_stop_attempt_names_severe_infections_and_offers_to_continue():
    for today, code in (("2026-03-25", "stop-due-soon"), ("2026-05-01", "stop-overdue")):
        [found] = evaluate_patient(on_ig(sepsis("2026-01-10")), D(today)).advice
        assert found.code == code and found.indicator == "warning"  # the stop is still to be attempted (§4.2)
        assert "Condition/sepsis" in found.evidence and found.values["infection_dates"] == ("2026-01-10",)
        assert "infections-at-stop-attempt" in found.caveats
        assert found.override_reasons[0] == "infection-tendency"


def test_stop_attempt_without_such_infections_is_unchanged():
    # a severe infection before the look-back (T0 - 3 months) neither changes the stop rule nor is named
    for f in (on_ig(), on_ig(sepsis("2025-06-01"))):
        [found] = evaluate_patient(f, D("2026-04-02")).advice
        assert found.code == "stop-overdue"
        assert "infections-at-stop-attempt" not in found.caveats and "infection-tendency" not in found.override_reasons
        assert "Condition/sepsis" not in found.evidence


def test_recurrent_infections_across_the_substitution_start_are_named_at_the_stop_attempt():
    # one pneumonia in the window before the start (the start was for IgG alone), one on substitution
    before, during = Infection(D("2025-10-12"), False, "Condition/a"), Infection(D("2026-01-10"), False, "Condition/b")
    [found] = evaluate_patient(on_ig(before, during), D("2026-04-02")).advice
    assert found.code == "stop-overdue" and found.values["infection_dates"] == ("2025-10-12", "2026-01-10")
    assert found.override_reasons[0] == "infection-tendency"


def test_one_mild_infection_on_substitution_is_not_an_infection_tendency():
    [found] = evaluate_patient(on_ig(Infection(D("2026-01-10"), False, "Condition/uvi")), D("2026-04-02")).advice
    assert found.code == "stop-overdue" and "infection-tendency" not in found.override_reasons


def test_order_continuing_past_the_stop_date_names_the_infections():
    draft = DraftOrder("ig", "MedicationRequest/draft", D("2026-04-10"), None, "IVIG")
    [found] = MEDICINRAADET_2025.evaluate_orders(on_ig(sepsis("2026-01-10")), [draft], D("2026-04-10")).advice
    assert (found.code, found.values["failing"]) == ("order-does-not-meet-criteria", ("past-stop-date",))
    assert "Condition/sepsis" in found.evidence and "infection-tendency" in found.override_reasons
    [plain] = MEDICINRAADET_2025.evaluate_orders(on_ig(), [draft], D("2026-04-10")).advice
    assert "infection-tendency" not in plain.override_reasons


# --- §4.3: prophylaxis "after a stop" is advice for a patient who had substitution -----------------

def test_no_start_card_speaks_of_a_stop_only_after_substitution():
    low = (IgGResult(3.0, D("2026-05-01"), "Observation/igg"),)
    [never] = evaluate_patient(facts(igg=low), D("2026-05-10")).advice
    assert (never.code, never.variant) == ("no-start-without-infections", "no-substitution")
    stopped = IgCourse(D("2025-10-15"), "completed", "MedicationRequest/ig", D("2026-04-01"))
    [after] = evaluate_patient(facts(igg=(IgGResult(3.0, D("2026-05-20"), "Observation/igg"),),
                                     ig_courses=(stopped,)), D("2026-05-25")).advice
    assert (after.code, after.variant) == ("no-start-without-infections", "")


def test_no_start_card_of_a_patient_never_substituted_names_no_stop_in_either_language():
    bundle = json.loads((FIXTURES / "cart-after-window-no-infections-old-igg.json").read_text())  # never on Ig
    for lang, stop, again in (("en", "after a stop", "reassess if severe or recurrent"),
                              ("da", "efter seponering", "vurdér igen, hvis der kommer svære")):
        [card] = replay(RUNTIME, bundle, lang=lang, at=date(2026, 2, 20)).cards
        assert card["source"]["topic"]["code"] == "no-start-without-infections"
        assert stop not in card["detail"] and again in card["detail"]


# --- §4.2: a "short extension" extends a substitution; a first course has none -----------------------

def test_order_outside_the_criteria_offers_a_short_extension_only_after_substitution_since_t0():
    low = (IgGResult(3.0, D("2026-05-01"), "Observation/igg"),)
    draft = DraftOrder("ig", "MedicationRequest/draft", D("2026-05-10"), None, "IVIG")
    [first] = MEDICINRAADET_2025.evaluate_orders(facts(igg=low), [draft], D("2026-05-10")).advice
    assert first.code == "order-does-not-meet-criteria" and "community-infection-risk" not in first.override_reasons
    ended = IgCourse(D("2025-10-15"), "completed", "MedicationRequest/ig", D("2026-05-05"))  # renewed 5 days later
    [again] = MEDICINRAADET_2025.evaluate_orders(facts(igg=low, ig_courses=(ended,)), [draft], D("2026-05-10")).advice
    assert again.code == "order-does-not-meet-criteria" and "community-infection-risk" in again.override_reasons


def test_a_restart_weeks_after_the_course_ended_has_nothing_to_extend():
    # the course ended 2026-04-01; an order from 2026-05-10, 39 days later, is a restart (§4.3), no short extension
    # of substitution past its stop date (§4.2)
    low = (IgGResult(3.0, D("2026-05-01"), "Observation/igg"),)
    draft = DraftOrder("ig", "MedicationRequest/draft", D("2026-05-10"), None, "IVIG")
    ended = IgCourse(D("2025-10-15"), "completed", "MedicationRequest/ig", D("2026-04-01"))
    [card] = MEDICINRAADET_2025.evaluate_orders(facts(igg=low, ig_courses=(ended,)), [draft], D("2026-05-10")).advice
    assert card.code == "order-does-not-meet-criteria"
    assert card.override_reasons == ("infection-not-coded", "specialist-decision")


# --- §7: what was seen and not counted is named for what it is ------------------------------------

def test_a_viral_infection_is_named_as_viral_and_a_bacterial_culture_beside_it_is_named_too():
    from cds_service.cards.notes import brief
    from cql_like_rules.facts import Culture

    cmv = Infection(D("2026-05-01"), False, "Condition/cmv", "B250", "CMV-pneumonitis", "other")
    ecoli = Culture(D("2026-05-01"), "Observation/bc", True, True, "blood", "Escherichia coli")
    f = facts(igg=(IgGResult(3.0, D("2026-05-10"), "Observation/igg"),), infections=(cmv,), cultures=(ecoli,))
    found = evaluate_patient(f, D("2026-05-15"))
    assert [a.code for a in found.advice] == ["no-start-without-infections"]
    kinds = {n.source: n.kind for n in found.notes}
    assert kinds == {"Condition/cmv": "infection-not-bacterial", "Observation/bc": "culture-without-diagnosis"}
    line = brief(found.notes, "en")
    assert "is viral or fungal" in line and "no bacterial code or positive culture" not in line
    assert "er viral eller svampebetinget" in brief(found.notes, "da")


def test_a_pneumonia_without_organism_is_still_named_for_its_missing_culture():
    pneumonia = Infection(D("2026-05-01"), False, "Condition/pn", "J189", "Pneumoni UNS", "unspecified")
    f = facts(igg=(IgGResult(3.0, D("2026-05-10"), "Observation/igg"),), infections=(pneumonia,))
    assert [n.kind for n in evaluate_patient(f, D("2026-05-15")).notes] == ["infection-not-counted"]


# --- recurrent = separate episodes: a diagnosis during an infection that has not abated is the same one -----

def test_a_second_diagnosis_before_the_first_abated_is_the_same_episode():
    first = Infection(D("2026-04-01"), False, "Condition/a", abated=D("2026-05-01"))
    during = Infection(D("2026-04-16"), False, "Condition/b")          # 15 days later, still ill
    after = Infection(D("2026-05-10"), False, "Condition/c")           # after it abated: a new episode
    low = (IgGResult(3.0, D("2026-05-20"), "Observation/igg"),)
    assert [a.code for a in evaluate_patient(facts(igg=low, infections=(first, during)), D("2026-05-25")).advice] \
        == ["no-start-without-infections"]
    [found] = evaluate_patient(facts(igg=low, infections=(first, during, after)), D("2026-05-25")).advice
    assert found.code == "start-meets-general-criteria" and found.values["infection_dates"] == ("2026-04-01", "2026-05-10")
    unknown = Infection(D("2026-04-01"), False, "Condition/a")         # no abatement recorded: onsets decide
    assert [a.code for a in evaluate_patient(facts(igg=low, infections=(unknown, during)), D("2026-05-25")).advice] \
        == ["start-meets-general-criteria"]


def test_another_infection_beginning_before_the_first_abated_is_a_separate_episode():
    """Abatement merges the same illness recorded again, not a different infection: two pneumonias two months
    apart during a long osteomyelitis are recurrent infections, and so is the osteomyelitis."""
    osteo = Infection(D("2025-12-01"), False, "Condition/osteo", "DM860", abated=D("2026-04-30"))
    pneu1 = Infection(D("2026-01-10"), False, "Condition/pn1", "DJ159")
    pneu2 = Infection(D("2026-03-15"), False, "Condition/pn2", "J15.9")
    again = Infection(D("2026-01-25"), False, "Condition/osteo-again", "M86.1")  # the osteomyelitis coded again
    low = (IgGResult(3.0, D("2026-05-20"), "Observation/igg"),)
    [found] = evaluate_patient(facts(igg=low, infections=(osteo, pneu1, pneu2, again)), D("2026-05-25")).advice
    assert found.code == "start-meets-general-criteria"
    assert found.values["infection_dates"] == ("2025-12-01", "2026-01-10", "2026-03-15")
    only_osteo = evaluate_patient(facts(igg=low, infections=(osteo, again)), D("2026-05-25")).advice
    assert [a.code for a in only_osteo] == ["no-start-without-infections"]


def _condition(cid: str, onset: str, **more: object) -> dict:
    return {"resourceType": "Condition", "id": cid, "subject": {"reference": "Patient/p"}, "onsetDateTime": onset,
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                               "code": "confirmed"}]},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "J15.9"}], "text": "Pneumoni"},
            **more}


def test_abatement_is_read_from_fhir_and_an_unreadable_one_keeps_the_infection():
    base = [{"resourceType": "Patient", "id": "p", "birthDate": "1960-05-01"},
            {"resourceType": "Condition", "id": "dx", "subject": {"reference": "Patient/p"},
             "verificationStatus": {"coding": [{"code": "confirmed"}]},
             "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C83.3"}]}},
            {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": {"reference": "Patient/p"},
             "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]},
             "performedDateTime": "2025-06-02"},
            {"resourceType": "Observation", "id": "igg", "status": "final", "subject": {"reference": "Patient/p"},
             "code": {"coding": [{"system": "http://loinc.org", "code": "2465-3"}]}, "effectiveDateTime": "2026-02-20",
             "valueQuantity": {"value": 3.0, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}]

    def code_at(*conditions: dict) -> str:
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in (*base, *conditions)]}
        [card] = replay(RUNTIME, bundle, at=date(2026, 3, 2)).cards
        return card["source"]["topic"]["code"]

    second = _condition("b", "2026-01-16")
    assert code_at(_condition("a", "2026-01-01", abatementDateTime="2026-02-01"), second) == "no-start-without-infections"
    assert code_at(_condition("a", "2026-01-01", abatementPeriod={"end": "2026-01-10"}), second) \
        == "start-meets-general-criteria"
    assert code_at(_condition("a", "2026-01-01", abatementDateTime="not a date"), second) \
        == "start-meets-general-criteria"


# --- an IgG taken on substitution is an IgG, just not a usable one (§3.4) --------------------------------

def test_measure_card_after_infections_does_not_deny_an_igg_taken_on_substitution():
    bundle = json.loads((FIXTURES / "cart-after-window-sepsis-igg-200-days-old.json").read_text())
    at = json.loads((FIXTURES / "cart-after-window-sepsis-igg-200-days-old.expect.json").read_text())["at"]
    for lang, words in (("en", "no usable IgG in 90 days"), ("da", "ingen brugbar IgG i 90 dage")):
        [card] = replay(RUNTIME, bundle, lang=lang, at=date.fromisoformat(at)).cards
        assert card["source"]["topic"]["code"] == "measure-igg" and words in card["summary"]
        assert len(card["summary"]) <= 140
