"""Resource types the rules once saw and dropped in silence: MedicationStatement, DiagnosticReport, and the rest.

`FactBuilder.build` read Observation, Procedure, MedicationAdministration, MedicationRequest and Condition; any
other type was passed over with no note. Real charts carry the same facts on other types: home SCIG the patient
gives, an IVIG course or a bsAb given at another hospital (MedicationStatement), a culture sent only as a
microbiology report (DiagnosticReport). A patient on home SCIG recorded only as a MedicationStatement was told
"Ig may start" (a wrong card). Any other type carrying one of our codes (an Encounter whose reason is a bacterial
pneumonia) is named as seen and not used; one with none stays silent.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cds_service.cards.notes import brief
from cds_service.fhir.facts import FactBuilder
from cds_service.fhir.fast_validation import plainly_valid
from cds_service.fhir.prefetch import LATER_KEYS, prefetch_templates
from cds_service.fhir.request import parse_hook_request
from cds_service.fhir.validation import full_validity
from cds_service.pipeline import answer_local
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay, request_from_bundle
from cds_service.tools.timeline import build_timeline, patient_data
from cds_service.tools.worklist import evaluate_patient_resources
from cql_like_rules.valuesets import load_terminology

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
T = load_terminology()
TZ = ZoneInfo("Europe/Copenhagen")
PATIENT = "pt-dk-0001"
SUBJECT = {"reference": f"Patient/{PATIENT}"}
SCIG = {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA01"}], "text": "Hizentra"}
IVIG = {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}], "text": "Privigen"}
TECLISTAMAB = {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX24", "display": "teclistamab"}]}
BLOOD_CULTURE = {"coding": [{"system": "http://loinc.org", "code": "600-7"}], "text": "Bloddyrkning"}
PNEUMOCOCCAL_PNEUMONIA = {"coding": [{"system": "urn:oid:1.2.208.176.2.4.12", "code": "DJ13",
                                      "display": "Pneumokok-lungebetændelse"}]}


def bundle_of(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def with_resources(name: str, *resources: dict, drop: tuple[str, ...] = ()) -> dict:
    bundle = copy.deepcopy(bundle_of(name))
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["id"] not in drop]
    bundle["entry"] += [{"resource": r} for r in resources]
    return bundle


def statement(rid: str, concept: dict, status: str, **dates: Any) -> dict:
    return {"resourceType": "MedicationStatement", "id": rid, "status": status, "medicationCodeableConcept": concept,
            "subject": SUBJECT, **dates}


def build(*resources: dict):  # type: ignore[no-untyped-def]
    return FactBuilder(T, TZ).build(resources).facts


# -- MedicationStatement -------------------------------------------------------------------------------------------

def test_home_scig_recorded_only_as_a_medication_statement_is_substitution_not_a_start() -> None:
    """CAR-T 2025-11-18, IgG 3.2 since T0: without the record the card says "Ig may start"; with home SCIG since before
    T0 the patient is on substitution begun before CAR-T: general stop criteria (§4.2)."""
    plain = replay(RUNTIME, bundle_of("cart-in-window-igg-low"), at=date(2026, 1, 20))
    assert [a.code for a in plain.advice] == ["start-substitution"]
    home = replay(RUNTIME, bundle_of("cart-home-scig-medication-statement-general-stop-review"), at=date(2026, 1, 20))
    assert [a.code for a in home.advice] == ["general-stop-review"]
    assert "MedicationStatement/ms-hizentra-0001" in home.advice[0].evidence
    assert not home.advice[0].targets  # a record of what the patient takes is no order a suggestion may change


def test_home_scig_begun_in_the_window_gets_the_stop_attempt_with_no_order_to_change() -> None:
    bundle = with_resources("cart-in-window-igg-low", statement("ms-scig", SCIG, "active",
                                                                 effectivePeriod={"start": "2026-01-16"}))
    planned = replay(RUNTIME, bundle, at=date(2026, 2, 20))
    assert [a.code for a in planned.advice] == ["stop-planned"]
    assert "2026-05-18" in planned.cards[0]["summary"]
    overdue = replay(RUNTIME, bundle, at=date(2026, 6, 1))
    assert [a.code for a in overdue.advice] == ["stop-overdue"]
    # not "doses": no last dose to name, the record runs on; "record": no order to pause, the record is what to end
    assert overdue.advice[0].variant == "record"


def test_home_scig_whose_end_names_no_day_is_still_substitution() -> None:
    """An end with no day ("2026-06", valid FHIR) made the record unusable ("check whether the patient is already on
    substitution" beside "may start"); it is read as its last day and named, and the course stands."""
    bundle = with_resources("cart-in-window-igg-low", statement("ms-scig", SCIG, "active",
                                                                 effectivePeriod={"start": "2026-01-16", "end": "2026-06"}))
    planned = replay(RUNTIME, bundle, at=date(2026, 2, 20))
    assert [a.code for a in planned.advice] == ["stop-planned"]
    assert [n.kind for n in planned.notes if n.source == "MedicationStatement/ms-scig"] == ["date-partial"]


def test_an_ig_course_at_another_hospital_ended_in_the_window_makes_a_new_start_a_restart() -> None:
    """IVIG given elsewhere after T0 and completed before today: a start now is a restart, which follows the general
    criteria even inside the window (§4.3): IgG < 4 alone does not meet them."""
    course = statement("ms-ivig-elsewhere", IVIG, "completed",
                       effectivePeriod={"start": "2025-11-25", "end": "2026-01-05"})
    bundle = with_resources("cart-in-window-igg-low", course)
    bundle["entry"].append({"resource": {
        "resourceType": "Observation", "id": "obs-igg-late", "status": "final", "subject": SUBJECT,
        "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
        "effectiveDateTime": "2026-03-10", "valueQuantity": {"value": 3.1, "unit": "g/L", "code": "g/L",
                                                              "system": "http://unitsofmeasure.org"}}})
    without = replay(RUNTIME, with_resources("cart-in-window-igg-low", drop=()), at=date(2026, 3, 20))
    assert [a.code for a in without.advice] == ["start-substitution"]
    answered = replay(RUNTIME, bundle, at=date(2026, 3, 20))
    assert [a.code for a in answered.advice] == ["no-start-without-infections"]
    # after substitution stopped, not "no substitution so far"; inside the window the summary says it is a restart
    assert answered.advice[0].variant == "restart-in-window"
    assert answered.cards[0]["summary"].startswith("Ig restart not recommended: IgG 3.1 g/L < 4 g/L (2026-03-10)")
    assert "MedicationStatement/ms-ivig-elsewhere" in answered.advice[0].evidence
    assert "2026-01-05" in answered.cards[0]["summary"] + answered.cards[0]["detail"]  # the course it restarts after


def test_a_bsab_given_at_another_centre_dates_t0() -> None:
    """Teclistamab begun elsewhere on 2025-12-01 (a MedicationStatement): the index event, as a recorded first dose."""
    bundle = with_resources("cart-in-window-igg-low", statement(
        "ms-tec", TECLISTAMAB, "active", effectivePeriod={"start": "2025-12-01"}), drop=("proc-cart-0001",))
    answered = replay(RUNTIME, bundle, at=date(2026, 1, 20))
    assert [a.code for a in answered.advice] == ["start-substitution"]
    assert answered.advice[0].values["t0"] == date(2025, 12, 1)
    assert "MedicationStatement/ms-tec" in answered.advice[0].evidence
    facts = build(statement("ms-tec", TECLISTAMAB, "completed", effectiveDateTime="2025-12-01"))
    [exposure] = facts.bsab
    assert (exposure.start, exposure.end, exposure.administered, exposure.ongoing) == \
        (date(2025, 12, 1), date(2025, 12, 1), True, False)


def test_a_car_t_and_a_bsab_intended_are_no_index_event_and_a_month_only_date_is_named() -> None:
    cilta = {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01XL05"}], "text": "Carvykti"}
    facts = build(statement("ms-car-t", cilta, "completed", effectiveDateTime="2025-09-14"),
                  statement("ms-plan", TECLISTAMAB, "intended", effectivePeriod={"start": "2026-02-01"}),
                  statement("ms-month", TECLISTAMAB, "completed", effectiveDateTime="2025-10"))
    assert [(c.date, c.source) for c in facts.car_t] == [(date(2025, 9, 14), "MedicationStatement/ms-car-t")]
    assert facts.bsab == ()
    assert [u.source for u in facts.undated_therapies] == ["MedicationStatement/ms-month"]


@pytest.mark.parametrize("status", ["not-taken", "entered-in-error"])
def test_records_not_taken_or_entered_in_error_are_ignored(status: str) -> None:
    bundle = with_resources("cart-in-window-igg-low", statement("ms-scig", SCIG, status,
                                                                 effectivePeriod={"start": "2025-06-02"}))
    answered = replay(RUNTIME, bundle, at=date(2026, 1, 20))
    assert [a.code for a in answered.advice] == ["start-substitution"]
    named = [n.kind for n in answered.notes if n.source == "MedicationStatement/ms-scig"]
    assert named == (["statement-not-used"] if status == "not-taken" else [])  # a record in error is no data
    assert "medicinregistrering" not in replay(RUNTIME, bundle, at=date(2026, 1, 20), lang="da").cards[0]["detail"]


def test_an_ig_record_with_no_date_or_an_unknown_status_is_named_first_on_the_card() -> None:
    for record in (statement("ms-scig", SCIG, "active"),
                   statement("ms-scig", SCIG, "completed", dateAsserted="2026-01-02"),
                   statement("ms-scig", SCIG, "unknown", effectivePeriod={"start": "2025-06-02"})):
        answered = replay(RUNTIME, with_resources("cart-in-window-igg-low", record), at=date(2026, 1, 20))
        assert [n.kind for n in answered.notes][:1] == ["ig-statement-unread"]
        card = answered.cards[0]
        assert "may be Ig the patient is on: check first" in card["detail"], card["detail"]
        assert not card.get("suggestions"), card["suggestions"]  # no Ig order offered beside it
        da = replay(RUNTIME, with_resources("cart-in-window-igg-low", record), at=date(2026, 1, 20), lang="da")
        assert "kan være Ig, patienten får: tjek først" in da.cards[0]["detail"]


def test_an_intended_ig_course_is_substitution_planned() -> None:
    """A course to begin (intended, start ahead): no start card in the meantime, as for an order booked ahead."""
    bundle = with_resources("cart-in-window-igg-low", statement(
        "ms-plan", SCIG, "intended", effectivePeriod={"start": "2026-02-02"}, dateAsserted="2026-01-15"))
    assert [a.code for a in replay(RUNTIME, bundle, at=date(2026, 1, 20)).advice] != ["start-substitution"]


# -- DiagnosticReport ----------------------------------------------------------------------------------------------

def report(rid: str = "dr-1", conclusion: str = "Vækst af Streptococcus pneumoniae", **more: Any) -> dict:
    return {"resourceType": "DiagnosticReport", "id": rid, "status": "final", "code": BLOOD_CULTURE, "subject": SUBJECT,
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "MB"}]}],
            "effectiveDateTime": "2026-01-06T09:00:00+01:00", "conclusion": conclusion, **more}


def test_a_culture_report_alone_verifies_an_organism_unspecified_pneumonia() -> None:
    name = "pneumonia-unspecified-culture-reported-as-diagnostic-report-only"
    answered = replay(RUNTIME, bundle_of(name), at=date(2026, 1, 20))
    assert [a.code for a in answered.advice] == ["start-meets-general-criteria"]
    assert "DiagnosticReport/dr-bloodculture-0053" in answered.advice[0].evidence
    [culture] = answered.facts.cultures
    assert (culture.positive, culture.bacterial, culture.specimen) == (True, True, "blood")


def test_a_report_and_its_observation_are_one_culture() -> None:
    observation = {"resourceType": "Observation", "id": "obs-bc", "status": "final", "code": BLOOD_CULTURE,
                   "subject": SUBJECT, "effectiveDateTime": "2026-01-06T09:00:00+01:00",
                   "valueString": "Streptococcus pneumoniae"}
    ref = {"reference": "https://ehr.example/fhir/Observation/obs-bc/_history/2"}
    facts = build(report(result=[ref]), observation)
    assert [c.source for c in facts.cultures] == ["Observation/obs-bc"]
    # the report read when its Observation is not sent; the coded organism read by the organism value set
    coded = report(conclusion="", conclusionCode=[{"coding": [{"system": "http://snomed.info/sct",
                                                                "code": "9861002"}]}], result=[ref])
    [culture] = build(coded).cultures
    assert (culture.source, culture.positive, culture.bacterial) == ("DiagnosticReport/dr-1", True, True)


def test_report_statuses_words_and_other_reports() -> None:
    assert build(report(status="preliminary")).cultures == ()
    [negative] = build(report(conclusion="Ingen vækst efter 5 døgn")).cultures
    assert not negative.positive
    [contaminant] = build(report(conclusion="Koagulasenegative stafylokokker i 1 af 4 flasker")).cultures
    assert not contaminant.bacterial
    pcr = report(code={"coding": [{"system": "http://npu-terminology.org", "code": "NPU27135"}]})
    assert build(pcr).cultures == ()  # a blood PCR is not a culture: not read
    empty = build(report(conclusion="", result=[{"reference": "Observation/x"}]))
    assert [n.kind for n in empty.notes] == ["report-results-not-sent"]


# -- other types ---------------------------------------------------------------------------------------------------

def encounter(rid: str, reason: dict) -> dict:
    return {"resourceType": "Encounter", "id": rid, "status": "finished", "subject": SUBJECT,
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
            "period": {"start": "2026-01-05T10:00:00+01:00", "end": "2026-01-09T12:00:00+01:00"},
            "reasonCode": [reason]}


def test_an_admission_with_a_bacterial_infection_reason_is_a_stay_not_an_infection() -> None:
    """An inpatient stay (class IMP) is read as an admission: never an infection (the guideline counts verified
    diagnoses); the card names its diagnosis recorded on no Condition (tests/test_acceptance_admissions.py)."""
    facts = build(encounter("enc-1", PNEUMOCOCCAL_PNEUMONIA))
    assert facts.infections == () and facts.notes == ()
    [stay] = facts.admissions
    assert (stay.source, stay.start, stay.infection_codes, stay.infection_pneumonia) == (
        "Encounter/enc-1", date(2026, 1, 5), ("DJ13",), True)


def test_an_outpatient_contact_with_a_bacterial_infection_reason_is_named_not_read() -> None:
    facts = build({**encounter("enc-1", PNEUMOCOCCAL_PNEUMONIA),
                   "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"}})
    assert facts.infections == () and facts.admissions == ()
    [note] = facts.notes
    assert (note.kind, note.source, note.day) == ("type-not-read", "Encounter/enc-1", date(2026, 1, 5))
    assert "bacterial-infection" in note.message
    assert brief([note], "en") == ("A contact “Pneumokok-lungebetændelse” (2026-01-05) is a kind of record the rules do "
                                   "not read: seen, not used.")
    assert brief([note], "da").startswith("En kontakt “Pneumokok-lungebetændelse” (2026-01-05) er en type registrering")


def test_an_admission_sent_in_prefetch_is_named_on_the_card_with_what_to_do() -> None:
    request = request_from_bundle(bundle_of("cart-in-window-igg-low"))
    request["prefetch"]["encounters"]["entry"].append({"resource": encounter("enc-1", PNEUMOCOCCAL_PNEUMONIA)})
    answered = answer_local(parse_hook_request(request, "patient-view"), RUNTIME, today=date(2026, 1, 20))
    assert [a.code for a in answered.advice] == ["start-substitution"]  # an admission is no infection
    assert "An admission (2026-01-05) for “Pneumokok-lungebetændelse \\(DJ13\\)” with no diagnosis recorded as a " \
           "Condition: not counted; record the diagnosis if it applies" in answered.cards[0]["detail"]


def test_unrelated_types_stay_silent() -> None:
    fever = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "R50.9"}]}
    allergy = {"resourceType": "AllergyIntolerance", "id": "a1", "patient": SUBJECT,
               "code": {"coding": [{"system": "http://snomed.info/sct", "code": "91936005"}], "text": "Penicillin"}}
    medication = {"resourceType": "Medication", "id": "m1", "code": SCIG}  # read through the orders naming it
    assert build(encounter("enc-2", fever), allergy, medication).notes == ()


# -- prefetch, fetch, validation -----------------------------------------------------------------------------------

def test_the_new_prefetch_keys_ask_for_statements_and_culture_reports_and_keep_the_old_ones() -> None:
    templates = prefetch_templates(T)
    assert list(templates)[:6] == ["patient", "observations", "procedures", "medicationRequests",
                                   "medicationAdministrations", "conditions"]
    assert templates["medicationStatements"] == ("MedicationStatement?patient={{context.patientId}}"
                                                 "&_include=MedicationStatement:medication")
    assert templates["diagnosticReports"].startswith("DiagnosticReport?patient={{context.patientId}}&code=")
    assert "http://loinc.org|600-7" in templates["diagnosticReports"] or "600-7" in templates["diagnosticReports"]
    assert set(LATER_KEYS) == {"medicationStatements", "diagnosticReports", "encounters"}


def test_a_client_sending_only_the_first_keys_is_answered_and_told_what_was_not_checked() -> None:
    request = request_from_bundle(bundle_of("cart-in-window-igg-low"))
    for key in LATER_KEYS:
        del request["prefetch"][key]
    answered = answer_local(parse_hook_request(request, "patient-view"), RUNTIME, today=date(2026, 1, 20))
    assert [a.code for a in answered.advice] == ["start-substitution"]
    assert [n.kind for n in answered.notes] == ["prefetch-not-sent"]
    assert "given elsewhere" in answered.cards[0]["detail"]


def test_new_types_are_validated_as_the_others() -> None:
    good = statement("ms-1", SCIG, "active", effectivePeriod={"start": "2025-06-02"})
    assert plainly_valid(good) and plainly_valid(report())
    assert full_validity(dict(good, status=7)).fatal is not None
    bad_note = full_validity(dict(good, note="free text where R4 wants Annotations"))
    assert bad_note.fatal is None and bad_note.ignored == ("note",)
    assert full_validity(dict(report(), conclusionCode={"text": "one, not a list"})).fatal is not None


def ivig_order(rid: str, status: str, start: str, end: str) -> dict:
    return {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order",
            "medicationCodeableConcept": IVIG, "subject": SUBJECT, "authoredOn": start,
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": start, "end": end}}}}]}


@pytest.mark.parametrize("link", ["basedOn", "derivedFrom"])
@pytest.mark.parametrize("status", ["active", "stopped"])
def test_a_record_of_an_ig_order_is_that_order_not_a_course_that_outlasts_it(status: str, link: str) -> None:
    """CAR-T 2025-11-18, IVIG ordered 2026-01-16 to the stop date 2026-05-18 (the stop card's own suggestion), and the
    medication list's record of it (basedOn / derivedFrom the order) left active with no end. On 2026-06-01 the
    order has ended on the stop date: before, the record kept a course going, so the card said 'Ig since 2026-01-16
    ... follows the general SID criteria: next stop review 2026-07-16' after the stop attempt was made (§4.2: the
    stop attempt at 6 months), as with the order stopped. Now the record is the order (named on the page) and the
    card is the one the order alone gives."""
    record = statement("ms-ivig", IVIG, "active", effectivePeriod={"start": "2026-01-16"},
                       **{link: [{"reference": "MedicationRequest/mr-ivig"}]})
    order = ivig_order("mr-ivig", status, "2026-01-16", "2026-05-18")
    alone = replay(RUNTIME, with_resources("cart-in-window-igg-low", order), at=date(2026, 6, 1))
    both = replay(RUNTIME, with_resources("cart-in-window-igg-low", order, record), at=date(2026, 6, 1))
    assert [a.code for a in both.advice] == [a.code for a in alone.advice] != ["general-stop-review"]
    assert [n.kind for n in both.notes if n.source == "MedicationStatement/ms-ivig"] == ["statement-of-order"]
    if status == "active":  # in the window the order is the course the stop card changes
        planned = replay(RUNTIME, with_resources("cart-in-window-igg-low", order, record), at=date(2026, 2, 20))
        assert [(a.code, a.targets) for a in planned.advice] == [("stop-planned", ("MedicationRequest/mr-ivig",))]


def test_a_record_based_on_an_order_not_in_the_chart_is_a_course_of_its_own() -> None:
    record = statement("ms-ivig", IVIG, "active", effectivePeriod={"start": "2026-01-16"},
                       basedOn=[{"reference": "MedicationRequest/elsewhere"}])
    found = replay(RUNTIME, with_resources("cart-in-window-igg-low", record), at=date(2026, 6, 1))
    assert [a.code for a in found.advice] != ["start-substitution"]
    assert not [n for n in found.notes if n.kind == "statement-of-order"]


def test_an_intended_ig_course_whose_start_has_come_is_no_substitution_and_is_named() -> None:
    """SCIG intended from 2026-01-16 (status intended: a plan), nothing recorded as given. It was read as substitution
    running: 'plan the stop attempt' on 2026-02-20 and 'stop date passed: pause substitution' on 2026-06-01. A plan is
    no record that Ig was given: IgG 3.2 g/L in the window gives the start card (§4.1), after the stop date no start
    on IgG alone (§4.3), and the start card names the plan as Ig the patient may be on, offering no Ig order."""
    plan = statement("ms-plan", SCIG, "intended", effectivePeriod={"start": "2026-01-16"}, dateAsserted="2026-01-10")
    bundle = with_resources("cart-in-window-igg-low", plan)
    in_window = replay(RUNTIME, bundle, at=date(2026, 2, 20))
    assert [a.code for a in in_window.advice] == ["start-substitution"]
    assert [n.kind for n in in_window.notes if n.source == "MedicationStatement/ms-plan"] == ["ig-statement-intended"]
    assert "(planned 2026-01-16; not recorded as given) may be Ig the patient is on" in in_window.cards[0]["detail"]
    assert not in_window.cards[0].get("suggestions")  # no Ig order offered beside it
    da = replay(RUNTIME, bundle, at=date(2026, 2, 20), lang="da")
    assert "(planlagt 2026-01-16; ikke registreret som givet) kan være Ig, patienten får" in da.cards[0]["detail"]
    after = replay(RUNTIME, bundle, at=date(2026, 6, 1))
    assert [a.code for a in after.advice] == ["no-start-without-infections"]
    assert after.advice[0].variant == "no-substitution"  # the plan is no course that stopped: not a restart
    ahead = replay(RUNTIME, bundle, at=date(2026, 1, 15))  # before its start it is substitution planned
    assert "start-substitution" not in [a.code for a in ahead.advice]
    assert not [n for n in ahead.notes if n.kind == "ig-statement-intended"]


def test_an_intended_ig_course_is_not_named_once_its_planned_end_has_passed_or_beside_a_course_taken() -> None:
    ended = statement("ms-plan", SCIG, "intended", effectivePeriod={"start": "2026-01-16", "end": "2026-02-01"})
    past = replay(RUNTIME, with_resources("cart-in-window-igg-low", ended), at=date(2026, 2, 20))
    assert not [n for n in past.notes if n.kind == "ig-statement-intended"]
    plan = statement("ms-plan", SCIG, "intended", effectivePeriod={"start": "2026-01-16"})
    taken = statement("ms-scig", SCIG, "active", effectivePeriod={"start": "2026-01-16"})
    on = replay(RUNTIME, with_resources("cart-in-window-igg-low", plan, taken), at=date(2026, 2, 20))
    assert [a.code for a in on.advice] == ["stop-planned"]
    assert not [n for n in on.notes if n.kind == "ig-statement-intended"]


def ig_order_open(rid: str, status: str, start: str, medication: dict = IVIG) -> dict:
    order = ivig_order(rid, status, start, "2026-05-18")
    order["medicationCodeableConcept"] = medication
    del order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"]
    return order


@pytest.mark.parametrize("status", ["on-hold", "stopped"])
def test_a_record_beside_a_paused_order_of_the_same_start_is_that_course_paused_not_a_restart(status: str) -> None:
    """CAR-T 2025-11-18; IVIG ordered from 2026-01-16 and put on hold (or stopped); the medication list's IVIG record
    of the same start, not linked to the order, still says active. The record was read as a second course after a
    paused one: 'Ig since 2026-01-16 ... follows the general SID criteria: next stop review 2026-07-16', a restart
    (§4.3) that lost the stop attempt at the stop date (§4.2). Both say one course, begun the same day, and the
    order says it is paused: the card is the one the order alone gives, and it names the record to be updated."""
    order = ig_order_open("mr-ivig", status, "2026-01-16")
    record = statement("ms-ivig", IVIG, "active", effectivePeriod={"start": "2026-01-16"})
    for at in (date(2026, 2, 20), date(2026, 6, 1)):
        alone = replay(RUNTIME, with_resources("cart-in-window-igg-low", order), at=at)
        both = replay(RUNTIME, with_resources("cart-in-window-igg-low", order, record), at=at)
        assert [(a.code, a.variant) for a in both.advice] == [(a.code, a.variant) for a in alone.advice]
        assert "general-stop-review" not in [a.code for a in both.advice]
        assert [n.kind for n in both.notes if n.source == "MedicationStatement/ms-ivig"] == \
            ["statement-beside-halted-order"]
        assert "check and update the record" in both.cards[0]["detail"]
    da = replay(RUNTIME, with_resources("cart-in-window-igg-low", order, record), at=date(2026, 2, 20), lang="da")
    assert "tjek og ret registreringen" in da.cards[0]["detail"]


def test_home_scig_beside_a_paused_ivig_order_of_the_same_start_is_a_course_of_its_own() -> None:
    """Another product on the same day is another course (home SCIG beside a paused IVIG order): still substitution,
    and the first since T0 begun in the window. The IVIG order paused the day SCIG began is no earlier course after
    which SCIG would be a restart: it read as one ('follows the general SID criteria: next stop review 2026-07-16'),
    losing the stop attempt at the stop date (§4.2)."""
    order = ig_order_open("mr-ivig", "on-hold", "2026-01-16")
    record = statement("ms-scig", SCIG, "active", effectivePeriod={"start": "2026-01-16"})
    both = replay(RUNTIME, with_resources("cart-in-window-igg-low", order, record), at=date(2026, 2, 20))
    assert [(a.code, a.targets) for a in both.advice] == [("stop-planned", ())]
    assert "2026-05-18" in both.cards[0]["summary"]
    assert not [n for n in both.notes if n.kind == "statement-beside-halted-order"]
    overdue = replay(RUNTIME, with_resources("cart-in-window-igg-low", order, record), at=date(2026, 6, 1))
    assert [a.code for a in overdue.advice] == ["stop-overdue"]


@pytest.mark.parametrize("status", ["active", "completed"])
def test_a_record_beside_an_order_whose_end_has_passed_keeps_the_course_running_stop_advice(status: str) -> None:
    """CAR-T 2025-11-18; IVIG ordered 2026-01-16 to the stop date 2026-05-18, and the medication list's IVIG record of
    the same start, not linked to it, with no end. On 2026-06-01 the order's end has passed on paper, nobody acted on
    the course, and the record says the drug is still taken: the patient is taken to be on substitution begun in the
    window past its stop date, so the stop advice (§4.2), not start advice (docs/clinical-logic.md, "Medication
    records"). The order alone says the course ended: no start on IgG alone after it (§4.3)."""
    order = ivig_order("mr-ivig", status, "2026-01-16", "2026-05-18")
    record = statement("ms-ivig", IVIG, "active", effectivePeriod={"start": "2026-01-16"})
    alone = replay(RUNTIME, with_resources("cart-in-window-igg-low", order), at=date(2026, 6, 1))
    assert [a.code for a in alone.advice] == ["no-start-without-infections"]
    both = replay(RUNTIME, with_resources("cart-in-window-igg-low", order, record), at=date(2026, 6, 1))
    assert [a.code for a in both.advice] == ["stop-overdue"]
    assert "2026-05-18" in both.cards[0]["summary"]
    assert not [n for n in both.notes if n.kind in ("statement-beside-halted-order", "statement-of-order")]


IG_UNSTATED = {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA"}], "text": "Immunglobulin"}


@pytest.mark.parametrize(("ordered", "recorded"), [(IG_UNSTATED, SCIG), (IVIG, IG_UNSTATED)])
def test_a_record_beside_a_paused_order_whose_product_one_of_them_leaves_unstated_is_not_hidden(
        ordered: dict, recorded: dict) -> None:
    """CAR-T 2025-11-18; an Ig order coded only 'J06BA' (route unstated) from 2026-01-16 put on hold, and home SCIG
    recorded active from that day: a switch to SCIG (as with an IVIG order, above), but the unknown product read as
    'the same product', so the running SCIG course was dropped as the paused order: 'Ig start not recommended' on
    2026-02-20 and no stop advice on 2026-06-01 for a patient on SCIG (§4.2: stop attempt at the stop date). Only a
    record and an order that name the same product are one course; otherwise the record stands, substitution begun
    in the window: 'plan the stop attempt on 2026-05-18'."""
    order = ig_order_open("mr-ig", "on-hold", "2026-01-16", ordered)
    record = statement("ms-ig", recorded, "active", effectivePeriod={"start": "2026-01-16"})
    bundle = with_resources("cart-in-window-igg-low", order, record)
    planned = replay(RUNTIME, bundle, at=date(2026, 2, 20))
    assert [a.code for a in planned.advice] == ["stop-planned"]
    assert "2026-05-18" in planned.cards[0]["summary"]
    assert not [n for n in planned.notes if n.kind == "statement-beside-halted-order"]
    assert [a.code for a in replay(RUNTIME, bundle, at=date(2026, 6, 1)).advice] == ["stop-overdue"]


@pytest.mark.parametrize("link", ["", "basedOn"])
@pytest.mark.parametrize("status", ["active", "completed"])
def test_a_stop_card_resting_only_on_a_record_past_its_orders_end_says_which_record_to_end(status: str,
                                                                                           link: str) -> None:
    """CAR-T 2025-11-18; IVIG ordered 2026-01-16 to 2026-05-18 and the medication list's IVIG record of the same start
    with no end, not linked to the order (or based on an order the chart does not hold). On 2026-06-01 the card said
    'stop date passed: pause substitution' (kept on purpose: the record says the drug is still taken) without saying
    that the order had ended and only the record keeps the course open: the clinician looked for an order to pause
    and found none. The card now names the record, the order's end date and what to do."""
    order = ivig_order("mr-ivig", status, "2026-01-16", "2026-05-18")
    based = {"basedOn": [{"reference": "MedicationRequest/elsewhere"}]} if link else {}
    record = statement("ms-ivig", IVIG, "active", effectivePeriod={"start": "2026-01-16"}, **based)
    bundle = with_resources("cart-in-window-igg-low", order, record)
    found = replay(RUNTIME, bundle, at=date(2026, 6, 1))
    assert [a.code for a in found.advice] == ["stop-overdue"]
    assert [(n.kind, n.day) for n in found.notes if n.source == "MedicationStatement/ms-ivig"] == \
        [("statement-past-order-end", date(2026, 5, 18))]
    detail = found.cards[0]["detail"]
    assert "its order of the same start ended on 2026-05-18" in detail
    assert "if the patient has stopped, end or update the record" in detail
    assert len(detail) <= 700 and "remain central" in detail  # the note fits beside the reminder
    da = replay(RUNTIME, bundle, at=date(2026, 6, 1), lang="da").cards[0]["detail"]
    assert "ordinationen fra samme startdag sluttede 2026-05-18" in da
    assert "afslut eller ret registreringen" in da and len(da) <= 700 and "antibiotikaprofylakse er centrale" in da
    # the timeline's day after the order's end carries the same card and note; the worklist row the same advice
    data = patient_data(bundle, RUNTIME)
    day = next(s for s in build_timeline(data, RUNTIME, today=date(2026, 6, 1)).changes if s.day == date(2026, 5, 19))
    assert "end or update the record" in day.cards[0]["detail"]
    rows = evaluate_patient_resources([e["resource"] for e in bundle["entry"]], date(2026, 6, 1), RUNTIME)
    assert [(r.code, r.summary) for r in rows] == [("stop-overdue", found.cards[0]["summary"])]
    # an order hook's card is about the draft, not the course to pause: the note stays on the page
    draft = ivig_order("mr-new", "draft", "2026-06-02", "2026-09-01")
    signed = replay(RUNTIME, bundle, hook="order-sign", drafts=[draft], at=date(2026, 6, 1))
    assert [a.code for a in signed.advice] == ["order-does-not-meet-criteria"]
    assert "end or update the record" not in signed.cards[0]["detail"]


def test_a_stop_review_card_resting_only_on_a_record_past_its_orders_end_names_it_too() -> None:
    """Ig begun before T0 (general criteria, §4.2): IVIG ordered 2025-09-01 to 2026-03-01 and the list's record of the
    same start with no end. On 2026-04-01 the review card names the record; with the order still running it does
    not."""
    record = statement("ms-ivig", IVIG, "active", effectivePeriod={"start": "2025-09-01"})
    ended = ivig_order("mr-ivig", "active", "2025-09-01", "2026-03-01")
    found = replay(RUNTIME, with_resources("cart-in-window-igg-low", ended, record), at=date(2026, 4, 1))
    assert [a.code for a in found.advice] == ["general-stop-review"]
    assert [(n.kind, n.day) for n in found.notes if n.kind == "statement-past-order-end"] == \
        [("statement-past-order-end", date(2026, 3, 1))]
    assert "end or update the record" in found.cards[0]["detail"]
    running = ivig_order("mr-ivig", "active", "2025-09-01", "2026-12-01")
    still = replay(RUNTIME, with_resources("cart-in-window-igg-low", running, record), at=date(2026, 4, 1))
    assert [a.code for a in still.advice] == ["general-stop-review"]
    assert not [n for n in still.notes if n.kind == "statement-past-order-end"]


@pytest.mark.parametrize("end", ["2026-07-01", ""])
def test_no_record_note_while_the_order_itself_still_runs(end: str) -> None:
    """The same record beside an order that still runs on 2026-06-01 (to 2026-07-01, or with no end): the order keeps
    the course running, the card says to pause it, and no note sends the clinician to the medication list. Nor does a
    record with no order beside it, nor recorded doses that go on after the order's end."""
    order = ivig_order("mr-ivig", "active", "2026-01-16", end or "2026-05-18")
    if not end:
        del order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"]
    record = statement("ms-ivig", IVIG, "active", effectivePeriod={"start": "2026-01-16"})
    found = replay(RUNTIME, with_resources("cart-in-window-igg-low", order, record), at=date(2026, 6, 1))
    assert [(a.code, a.targets) for a in found.advice] == [("stop-overdue", ("MedicationRequest/mr-ivig",))]
    assert not [n for n in found.notes if n.kind == "statement-past-order-end"]
    alone = replay(RUNTIME, with_resources("cart-in-window-igg-low", record), at=date(2026, 6, 1))
    assert [a.code for a in alone.advice] == ["stop-overdue"]
    assert not [n for n in alone.notes if n.kind == "statement-past-order-end"]
    ended = ivig_order("mr-ivig", "active", "2026-01-16", "2026-05-18")
    dose = {"resourceType": "MedicationAdministration", "id": "ma-ivig", "status": "completed", "subject": SUBJECT,
            "effectiveDateTime": "2026-05-25", "medicationCodeableConcept": IVIG}
    given = replay(RUNTIME, with_resources("cart-in-window-igg-low", ended, record, dose), at=date(2026, 6, 1))
    assert [a.code for a in given.advice] == ["stop-overdue"]
    assert not [n for n in given.notes if n.kind == "statement-past-order-end"]


def test_an_active_ig_record_dated_only_by_its_assertion_is_taken_from_that_day() -> None:
    """Home SCIG on the medication list, active, with no effective date but a dateAsserted: the record says it was
    taken that day and still is. Read as not placed in time, it gave 'Ig may be started' to the patient on it; it is
    now a course from that day, its unrecorded start named."""
    bundle = with_resources("cart-in-window-igg-low", statement("ms-scig", SCIG, "active", dateAsserted="2026-01-02"))
    answered = replay(RUNTIME, bundle, at=date(2026, 1, 20))
    assert [a.code for a in answered.advice] == ["stop-planned"]
    assert "may be started" not in answered.cards[0]["summary"]
    assert [n.kind for n in answered.notes][:1] == ["ig-statement-start-unrecorded"]
    # the card's facts say the start is not recorded: its note may only be counted beside the 'no order to end' to-do
    # and the IgG caveat (it was, and the card gave the stop date with no word of the assumed start)
    assert "- SCIG since 2026-01-02 or before (start not recorded)" in answered.cards[0]["detail"]
    assert answered.notes[0].day == date(2026, 1, 2)
    da = replay(RUNTIME, bundle, at=date(2026, 1, 20), lang="da")
    assert "- SCIG siden 2026-01-02 eller før (start ikke registreret)" in da.cards[0]["detail"]
