"""Records as EHRs send them, each read by what it says or named on the card, never dropped in silence.

Each case is a chart whose one record carries the decisive fact in a form a hospital's EHR sends: a drug named only by
its reference's display, a blood culture sent only as a report known by its name, a CPT or HCPCS code typed in lower
case, an ITP diagnosis under SKS without SKS's "D", a CAR-T or bispecific Procedure left in progress, a culture
answered only with an organism code no list holds.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from cds_service.cards.notes import one_line
from cds_service.fhir.prefetch import pool_prefetch
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import (
    ATC, LOINC, PATIENT, SCT, SKS, SKS_D, SUBJECT, car_t, chart, diagnosis, igg, infection, order, patient, rid,
)

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)
IN_WINDOW = (car_t("2025-11-18"), igg("2026-01-13", 3.2))  # T0 2025-11-18: IgG below 4 starts Ig, any infections
AFTER_WINDOW = (car_t("2025-04-07"), igg("2026-01-12", 3.5))  # the general criteria: IgG below 4 and infections
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "urn:oid:2.16.840.1.113883.6.285"


def cards(bundle: dict, **kw: object) -> list[dict]:
    return replay(RUNTIME, bundle, at=AT, **kw).cards  # type: ignore[arg-type]


def codes(bundle: dict, **kw: object) -> list[str]:
    return [c["source"]["topic"]["code"] for c in cards(bundle, **kw)]


def text(card: dict) -> str:
    return card["summary"] + "\n" + card["detail"]


def by_display(kind: str, display: str, **more: object) -> dict:
    """A medication record whose drug is named only by its reference's display (no reference, no code)."""
    return {"resourceType": kind, "id": rid("med"), "status": "active" if kind != "MedicationAdministration"
            else "completed", "subject": SUBJECT, "medicationReference": {"display": display}, **more}


def test_a_drug_named_only_by_its_references_display_is_read_by_that_name() -> None:
    """`medicationReference: {"display": "Hizentra"}`: read by that name, as the same words in
    `medicationCodeableConcept.text` are. Before, the patient on Hizentra was told "Ig may be started" with nothing
    about the record, and a CAR-T given so made no card at all."""
    on_scig = by_display("MedicationStatement", "Hizentra", effectivePeriod={"start": "2025-12-01"})
    [card] = cards(chart(*IN_WINDOW, on_scig))
    assert "“Hizentra” (recorded 2025-12-01; code not known) may be Ig the patient is on" in card["detail"]
    assert "ig-by-name" in [n.kind for n in replay(RUNTIME, chart(*IN_WINDOW, on_scig), at=AT).notes]
    yescarta = by_display("MedicationAdministration", "Yescarta", effectiveDateTime="2025-11-18")
    [card] = cards(chart(igg("2026-01-13", 3.2), yescarta))
    assert card["source"]["topic"]["code"] == "therapy-not-recognised" and "“Yescarta”, 2025-11-18" in card["summary"]


def report(name: str, conclusion: str, code: dict | None = None, category: str | None = None) -> dict:
    out: dict = {"resourceType": "DiagnosticReport", "id": rid("dr"), "status": "final", "subject": SUBJECT,
                 "code": code or {"text": name}, "effectiveDateTime": "2026-01-06T09:00:00+01:00",
                 "conclusion": conclusion}
    if category:
        out["category"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                                        "code": category}]}]
    return out


def test_a_blood_culture_sent_only_as_a_report_known_by_its_name_verifies_the_pneumonia() -> None:
    """A pneumonia without organism (J18.9) and a blood culture report named "Bloddyrkning" (or Sundhedsplatformen's
    "BLODDYRKNING(BAKTERIUM+FUNGUS),B" under a local code) that grew pneumococci: verified and severe (bacteraemia),
    as the same culture sent as an Observation so named is. Before, the card said "no matching positive culture"."""
    pneumonia = infection("2026-01-05", "DJ189", text="Pneumoni UNS")
    grew = "Vækst af Streptococcus pneumoniae"
    local = {"coding": [{"system": "http://sundhedsplatformen.dk/lab", "code": "EPC00150",
                         "display": "BLODDYRKNING(BAKTERIUM+FUNGUS),B"}]}
    for sent in (report("Bloddyrkning", grew), report("", grew, code=local, category="MB")):
        assert codes(chart(*AFTER_WINDOW, pneumonia, sent)) == ["start-meets-general-criteria"]
    # the same name on a report of another section (radiology) is not read as a culture; nor is a report that is
    # no culture by its name, whatever it names
    for other in (report("Bloddyrkning", grew, category="RAD"), report("Røntgen af thorax", grew)):
        assert codes(chart(*AFTER_WINDOW, pneumonia, other)) == ["no-start-without-infections"]


def test_cpt_and_hcpcs_codes_are_read_in_any_letter_case() -> None:
    """CPT 0540T and HCPCS J1459 typed in lower case by a local catalogue, as ATC and SKS codes already were."""
    cart = car_t("2025-11-18", text="CAR-T", code="0540t", system=CPT)
    assert codes(chart(cart, igg("2026-01-13", 3.2))) == ["start-substitution"]
    ivig = order("j1459", "2025-12-01", end="2026-05-18", system=HCPCS)
    assert codes(chart(*IN_WINDOW, ivig)) == ["stop-planned"]


def test_an_itp_diagnosis_under_sks_without_sks_prefix_keeps_its_own_d() -> None:
    """SKS writes ITP "DD693"; sent as "D693" or "D69.3" under SKS-D it is ICD-10's D69.3 already. The prefix was
    stripped once more ("693"), so IVIG given for ITP was read as substitution: a stop card for an ITP course."""
    for written in ("D693", "D69.3", "DD693"):
        itp = diagnosis(written, SKS_D, onset="2024-06-10")
        ivig = {**order("J06BA02", "2025-12-01", end="2026-05-18"),
                "reasonReference": [{"reference": f"Condition/{itp['id']}"}]}
        answered = replay(RUNTIME, chart(*IN_WINDOW, itp, ivig), at=AT)
        assert [c["source"]["topic"]["code"] for c in answered.cards] == ["start-substitution"], written
        assert [n.kind for n in answered.notes] == ["ig-other-indication"], written


def test_a_car_t_or_bispecific_procedure_left_in_progress_is_named_not_dropped() -> None:
    """A Procedure never closed (`in-progress`) dates nothing (a finished infusion's Procedure is `completed`,
    clinical rules §5), but the patient has the therapy on record: the card asks whether it was given, as for one on
    hold, in both languages, and says the status as it is."""
    left_open = car_t("2025-11-18", status="in-progress")
    [card] = cards(chart(left_open, igg("2026-01-13", 3.2)))
    assert card["source"]["topic"]["code"] == "therapy-undated"
    assert "is not recorded as given (in progress)" in card["summary"]
    assert "recorded as in progress, not as given" in card["detail"]
    [dansk] = cards(chart(left_open, igg("2026-01-13", 3.2)), lang="da")
    assert "(i gang)" in dansk["summary"]
    blinatumomab = {"resourceType": "Procedure", "id": rid("bsab"), "status": "in-progress", "subject": SUBJECT,
                    "code": {"coding": [{"system": SKS, "code": "BOHJ19K1"}]}, "performedDateTime": "2025-11-18"}
    [card] = cards(chart(blinatumomab, igg("2026-01-13", 3.2)))
    assert card["source"]["topic"]["code"] == "therapy-undated" and "(in progress)" in card["summary"]
    # the data note names the record with no gap where it has no name of its own
    nameless = {**car_t("2025-11-18", status="in-progress"), "code": {"coding": [{"system": SKS, "code": "BOQX1"}]}}
    answered = replay(RUNTIME, chart(nameless, igg("2026-01-13", 3.2)), at=AT)
    [note] = answered.notes
    assert note.kind == "car-t-in-progress"
    assert "infusion on 2025-11-18" in one_line(note.kind, "en", note.source, note.display, "2025-11-18")


def test_a_culture_answered_only_by_an_organism_code_no_list_holds_is_named() -> None:
    """A blood culture whose value is only a SNOMED CT organism the shipped list does not hold (Salmonella, no
    display, no interpretation): whether it grew a bacterium is not known to the rules. Not counted, as before, and
    now named on the card beside "no matching positive culture", so the clinician reads it."""
    pneumonia = infection("2026-01-05", "DJ189", text="Pneumoni UNS")
    coded = {"resourceType": "Observation", "id": rid("cult"), "status": "final", "subject": SUBJECT,
             "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                       "code": "laboratory"}]}],
             "code": {"coding": [{"system": LOINC, "code": "600-7"}]}, "effectiveDateTime": "2026-01-06",
             "valueCodeableConcept": {"coding": [{"system": SCT, "code": "27268008"}]}}
    [card] = cards(chart(*AFTER_WINDOW, pneumonia, coded))
    assert card["source"]["topic"]["code"] == "no-start-without-infections"
    answered = replay(RUNTIME, chart(*AFTER_WINDOW, pneumonia, coded), at=AT)
    [note] = [n for n in answered.notes if n.kind == "culture-text-unread"]
    assert "SNOMED 27268008" in note.display and "only codes no organism list holds" in note.message
    # a negative culture coded as such (SNOMED CT "No growth", "Negative", HL7 NEG as the value) is read: no note
    for system, code in ((SCT, "264868006"), (SCT, "260385009"),
                         ("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "NEG")):
        negative = {**coded, "id": rid("cult"), "valueCodeableConcept": {"coding": [{"system": system, "code": code}]}}
        answered = replay(RUNTIME, chart(*AFTER_WINDOW, pneumonia, negative), at=AT)
        assert "culture-text-unread" not in [n.kind for n in answered.notes], code


def test_the_atc_written_lower_case_is_still_read() -> None:
    """The guard the new normalisations sit beside: ATC was read in any case before, and still is."""
    ivig = order("j06ba02", "2025-12-01", end="2026-05-18", system=ATC)
    assert codes(chart(*IN_WINDOW, ivig)) == ["stop-planned"]


def snomed_diagnosis(code: str, display: str | None = None) -> dict:
    coding = {"system": SCT, "code": code, **({"display": display} if display else {})}
    return {**diagnosis(onset="2024-06-10"), "code": {"coding": [coding]}}


def test_a_nameless_snomed_diagnosis_no_list_holds_may_be_the_lymphoma() -> None:
    """A SNOMED CT site's lymphoma under a concept the curated expansion lacks (109979007 "B-cell lymphoma"), sent
    without its display, beside a CAR-T: the card says the criteria were not applied and names the code, as for a
    nameless code in a system no value set uses. Before, no card at all."""
    nameless = chart(car_t("2025-11-18"), igg("2026-01-13", 3.2), snomed_diagnosis("109979007"), dx=None)
    [card] = cards(nameless)
    assert card["source"]["topic"]["code"] == "malignancy-not-recognised"
    assert "only SNOMED CT code 109979007, not in this service's lists" in card["summary"]
    [dansk] = cards(nameless, lang="da")
    assert "SNOMED CT-koden 109979007" in dansk["summary"]
    child = chart(car_t("2025-11-18"), igg("2026-01-13", 3.2), snomed_diagnosis("109979007"), dx=None,
                  birth="2012-05-01")
    [card] = cards(child)
    assert card["source"]["topic"]["code"] == "malignancy-not-recognised" and "109979007" in card["summary"]
    # an ICD-10 code beside it that is no malignancy says what the diagnosis is: nothing to say
    hypertension = snomed_diagnosis("38341003")
    hypertension["code"]["coding"].append({"system": "http://hl7.org/fhir/sid/icd-10", "code": "I10"})
    assert codes(chart(car_t("2025-11-18"), igg("2026-01-13", 3.2), hypertension, dx=None)) == []
    # a nameless local code (most likely the lymphoma) is named before a nameless SNOMED CT code beside it
    local = {**diagnosis(onset="2024-06-10"), "code": {"coding": [{"system": "http://hospital.example/dx",
                                                                    "code": "LYMF-01"}]}}
    [card] = cards(chart(car_t("2025-11-18"), igg("2026-01-13", 3.2), local, snomed_diagnosis("38341003"), dx=None))
    assert "LYMF-01" in card["summary"]
    # beside a malignancy read, a nameless SNOMED CT code (a hypertension, say) changes nothing
    beside = chart(car_t("2025-11-18"), igg("2026-01-13", 3.2), snomed_diagnosis("38341003"))
    assert codes(beside) == ["start-substitution"]
    # one with its name is judged by its name: not named like a malignancy, nothing to say
    named = chart(car_t("2025-11-18"), igg("2026-01-13", 3.2), snomed_diagnosis("38341003", "Hypertension"),
                  dx=None)
    assert codes(named) == []


def test_another_patients_record_is_named_as_anothers_and_one_naming_no_patient_as_such() -> None:
    """`no-subject` is for a record that names no patient; a Patient resource of another id (an `_include` of
    another chart) is another patient's, as before."""
    other = {"resourceType": "Patient", "id": "someone-else", "birthDate": "1970-01-01"}
    bare = {k: v for k, v in igg("2026-01-10", 3.0).items() if k != "subject"}
    searchset = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in (other, bare)]}
    pooled = pool_prefetch({"observations": searchset, "patient": patient()}, ["patient", "observations"], PATIENT,
                           ZoneInfo("Europe/Copenhagen"))
    assert sorted((n.kind, n.source.split("/")[0]) for n in pooled.notes) == [
        ("no-subject", "Observation"), ("wrong-patient", "Patient")]


def stay(klass: object, diagnosis_ref: dict) -> dict:
    return {"resourceType": "Encounter", "id": rid("stay"), "status": "finished", "subject": SUBJECT,
            "period": {"start": "2026-01-03", "end": "2026-01-11"}, "class": klass,
            "diagnosis": [{"condition": diagnosis_ref, "rank": 1}]}


ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"


@pytest.mark.parametrize("klass", [
    {"system": ACT, "code": "IMP"},
    {"code": "IMP"},  # no system: the prefetch's class=IMP,ACUTE,NONAC names none
    {"system": ACT, "code": "imp"},
    {"system": "http://terminology.hl7.org/CodeSystem/v2-0004", "code": "I"},
    {"system": "http://hospital.example/contact-type", "code": "12", "display": "Indlagt"},
    {"coding": [{"system": ACT, "code": "IMP"}]},  # a CodeableConcept (R5), as some servers send it
    [{"coding": [{"system": ACT, "code": "ACUTE"}]}],
])
def test_an_inpatient_stay_is_read_whichever_way_its_class_is_written(klass: object) -> None:
    """A bacterial pneumonia that needed admission is severe (clinical rules §5): the stay's class said so only as
    the ActCode "IMP" under its own system; every other spelling dropped the stay, and the card said "not severe"."""
    pneumonia = {**infection("2026-01-03", "DJ159", text="Bakteriel pneumoni UNS"), "id": "pneu"}
    at_march = replay(RUNTIME, chart(car_t("2025-03-10"), igg("2026-02-20", 3.2), pneumonia,
                                     stay(klass, {"reference": "Condition/pneu"})), at=date(2026, 3, 1)).cards
    assert [c["source"]["topic"]["code"] for c in at_march] == ["start-meets-general-criteria"]


def test_an_outpatient_contact_is_no_stay() -> None:
    pneumonia = {**infection("2026-01-03", "DJ159", text="Bakteriel pneumoni UNS"), "id": "pneu"}
    at_march = replay(RUNTIME, chart(car_t("2025-03-10"), igg("2026-02-20", 3.2), pneumonia,
                                     stay({"system": ACT, "code": "AMB"}, {"reference": "Condition/pneu"})),
                      at=date(2026, 3, 1)).cards
    assert [c["source"]["topic"]["code"] for c in at_march] == ["no-start-without-infections"]


def test_a_diagnosis_named_by_its_identifier_is_followed() -> None:
    """A stay, or an Ig order's reason, linked to its Condition by the Condition's identifier (the diagnosis number),
    as FHIR allows: followed to the one Condition that carries it."""
    ident = {"system": "urn:oid:1.2.208.176.7.1", "value": "dx-2026-0001"}
    pneumonia = {**infection("2026-01-03", "DJ159", text="Bakteriel pneumoni UNS"), "identifier": [ident]}
    at_march = replay(RUNTIME, chart(car_t("2025-03-10"), igg("2026-02-20", 3.2), pneumonia,
                                     stay({"system": ACT, "code": "IMP"}, {"identifier": ident})),
                      at=date(2026, 3, 1)).cards
    assert [c["source"]["topic"]["code"] for c in at_march] == ["start-meets-general-criteria"]
    itp = {**diagnosis("DD693", SKS_D, onset="2024-06-10"), "identifier": [ident]}
    ivig = {**order("J06BA02", "2025-12-01", end="2026-05-18"), "reasonReference": [{"identifier": ident}]}
    answered = replay(RUNTIME, chart(*IN_WINDOW, itp, ivig), at=AT)
    assert [c["source"]["topic"]["code"] for c in answered.cards] == ["start-substitution"]
    assert [n.kind for n in answered.notes] == ["ig-other-indication"]


def test_a_car_t_or_bsab_on_the_medication_list_with_status_unknown_asks_whether_it_was_given() -> None:
    """As a dose or a Procedure so recorded does; an `intended` one (a plan) is named on the page."""
    for atc, status, code in (("L01XL03", "unknown", "therapy-undated"), ("L01FX24", "unknown", "therapy-undated"),
                              ("L01XL03", "intended", None)):
        record = {"resourceType": "MedicationStatement", "id": rid("fmk"), "status": status, "subject": SUBJECT,
                  "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc}]},
                  "effectiveDateTime": "2025-11-18"}
        answered = replay(RUNTIME, chart(igg("2026-01-13", 3.2), record), at=AT)
        assert [c["source"]["topic"]["code"] for c in answered.cards] == ([code] if code else []), (atc, status)
        if code is None:
            assert [n.kind for n in answered.notes] == ["statement-not-used"]
