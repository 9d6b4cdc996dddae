"""Record status and lifecycle as EHRs send them (guideline §4.1, §4.2, §4.3, §3.4; clinical rules §2, §5, §7).

Every record the rules read carries a lifecycle status, and real EHRs send all of them, often several versions of
one record: a preliminary IgG and its final answer, a corrected result beside the original, a culture report
appended after it was final, a lymphoma "in remission" after CAR-T, a sepsis "resolved", an admission cancelled, an
IVIG order that is only a proposal or a plan, a dose stopped half-way, a medication record "intended" or "unknown",
a CAR-T procedure still "in-progress" because nobody closed it. One status at a time is varied on four plain stories:

- W: lymphoma, CAR-T infusion 2025-11-03, IgG 3.1 g/L on 2026-01-08, read 2026-01-12: the special start criterion
  (§4.1), stop date 2026-05-03, 111 days left.
- M: IgG myeloma, teclistamab from 2025-10-06, total IgG 7.2 g/L with an IgG-kappa M-protein 4.5 g/L on 2026-01-05:
  polyclonal IgG 2.7 g/L, the special start criterion (clinical rules §3, §7: paraprotein); stop date 2026-04-06.
- A: lymphoma, CAR-T 2025-03-03 (window ended 2025-09-03), IgG 3.0 g/L on 2026-01-05, a sepsis or a pneumonia with a
  blood culture in December: the general criteria (§4.1 after six months; §4.3 verified bacterial infections).
- S: lymphoma, CAR-T 2025-08-04, IVIG from 2025-09-15, read 2026-01-26: the stop attempt at 2026-02-04 is due
  (§4.2), 9 days left; IgG 3.2 g/L on 2025-09-10, before substitution.

Each chart states, before it was run, what a clinician reading the guideline and clinical rules §5/§7 expects: the
advice codes and the words the card must carry; where the guideline is silent the service's documented choice
(docs/clinical-logic.md) stands, and a record left out because of its status is named on the card where it could have
changed the advice. Danish cards carry the same advice; the worklist row and the timeline day agree with
patient-view; on a subset an IVIG draft on order-sign gets the card the chart's situation calls for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cds_service.tools.timeline import build_timeline, patient_data, state_on
from cds_service.tools.worklist import evaluate_patient_resources

RUNTIME = load_runtime(Settings())
PID = "pt-lifecycle"
ME = {"reference": f"Patient/{PID}"}
SKS = "urn:oid:1.2.208.176.2.4"
SKS_D = "urn:oid:1.2.208.176.2.4.12"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SCT = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
NPU = "http://npu-terminology.org"
LOINC = "http://loinc.org"
VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CLIN = "http://terminology.hl7.org/CodeSystem/condition-clinical"
LAB = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}]
LAB_ID = "urn:oid:1.2.208.176.7.2.1"  # the laboratory's accession numbers

Resource = dict[str, Any]
Coding = tuple[str, str, str]

DLBCL = (SKS_D, "DC833", "Diffust storcellet B-celle lymfom")
MYELOMA = (ICD10, "C90.0", "Myelomatose")
ALL = (SKS_D, "DC910", "Akut lymfoblastær leukæmi")
SEPSIS = (ICD10, "A41.9", "Sepsis, uspecificeret")
PNEUMONIA = (ICD10, "J18.9", "Pneumoni, uspecificeret")
BOQX1 = (SKS, "BOQX1", "Behandling med CAR-T-celler")
TEC = (ATC, "L01FX24", "Tecvayli (teclistamab)")
IVIG = (ATC, "J06BA02", "Privigen (immunglobulin, normal human, i.v.)")


# ---- resources, as a Danish EHR sends them -------------------------------------------------------------------------

def patient(birth: str = "1959-06-21") -> Resource:
    return {"resourceType": "Patient", "id": PID, "birthDate": birth, "gender": "female",
            "identifier": [{"system": "urn:oid:1.2.208.176.1.2", "value": "2106591234"}]}


def concept(coding: Coding) -> Resource:
    return {"coding": [{"system": coding[0], "code": coding[1], "display": coding[2]}], "text": coding[2]}


def dx(coding: Coding, onset: str, rid: str = "dx", ver: str | None = "confirmed", clinical: str | None = "active",
       **extra: Any) -> Resource:
    c: Resource = {"resourceType": "Condition", "id": rid, "subject": ME, "onsetDateTime": onset,
                   "recordedDate": onset, "code": concept(coding), **extra}
    if clinical:
        c["clinicalStatus"] = {"coding": [{"system": CLIN, "code": clinical}]}
    if ver:
        c["verificationStatus"] = {"coding": [{"system": VER, "code": ver}]}
    return c


def car_t(day: str, status: str = "completed", rid: str = "cart") -> Resource:
    return {"resourceType": "Procedure", "id": rid, "status": status, "subject": ME, "code": concept(BOQX1),
            "performedDateTime": f"{day}T10:15:00+01:00"}


def igg(rid: str, day: str, value: float, status: str = "final", **extra: Any) -> Resource:
    return {"resourceType": "Observation", "id": rid, "status": status, "subject": ME, "category": LAB,
            "code": {"coding": [{"system": NPU, "code": "NPU19814", "display": "P-Immunglobulin G; massek. = ? g/L"}]},
            "effectiveDateTime": f"{day}T08:05:00+01:00", "issued": f"{day}T13:40:00+01:00",
            "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"},
            **extra}


def m_protein(day: str, value: float, status: str = "final") -> Resource:
    return {"resourceType": "Observation", "id": "mp", "status": status, "subject": ME, "category": LAB,
            "code": {"coding": [{"system": NPU, "code": "NPU28638",
                                 "display": "P-Immunglobulin G(kappa; monoklonalt); massek. = ? g/L"}]},
            "effectiveDateTime": f"{day}T08:05:00+01:00",
            "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}


def blood_culture(day: str, status: str = "final", rid: str = "bc") -> Resource:
    return {"resourceType": "Observation", "id": rid, "status": status, "subject": ME, "category": LAB,
            "code": {"coding": [{"system": LOINC, "code": "600-7", "display": "Bacteria identified in Blood by Culture"}],
                     "text": "Bloddyrkning"},
            "effectiveDateTime": f"{day}T22:30:00+01:00",
            "valueCodeableConcept": {"coding": [{"system": SCT, "code": "112283007", "display": "Escherichia coli"}],
                                     "text": "Escherichia coli"}}


def culture_report(day: str, status: str = "final", results: tuple[str, ...] = ()) -> Resource:
    r: Resource = {"resourceType": "DiagnosticReport", "id": "bc-report", "status": status, "subject": ME,
                   "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074", "code": "MB"}]}],
                   "code": {"coding": [{"system": LOINC, "code": "600-7"}], "text": "Bloddyrkning"},
                   "effectiveDateTime": f"{day}T22:30:00+01:00", "issued": f"{day}T23:59:00+01:00",
                   "conclusion": "Vækst af Escherichia coli i 2 af 2 flasker"}
    if results:
        r["result"] = [{"reference": f"Observation/{ref}"} for ref in results]
    return r


def admission(status: str) -> Resource:
    return {"resourceType": "Encounter", "id": "adm", "status": status, "subject": ME,
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
            "period": {"start": "2025-12-10T23:10:00+01:00", **({"end": "2025-12-19T11:00:00+01:00"}
                                                                  if status == "finished" else {})},
            "reasonCode": [concept(SEPSIS)]}


def ivig_order(status: str = "active", intent: str = "order", start: str = "2025-09-15", end: str | None = None,
               rid: str = "ivig") -> Resource:
    bounds = {"start": start, **({"end": end} if end else {})}
    return {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": intent, "subject": ME,
            "authoredOn": f"{start}T09:00:00+02:00", "medicationCodeableConcept": concept(IVIG),
            "dosageInstruction": [{"text": "30 g i.v. hver 4. uge", "timing": {"repeat": {"boundsPeriod": bounds}}}]}


def ivig_dose(rid: str, day: str, status: str = "completed") -> Resource:
    return {"resourceType": "MedicationAdministration", "id": rid, "status": status, "subject": ME,
            "medicationCodeableConcept": concept(IVIG), "effectiveDateTime": f"{day}T10:00:00+01:00"}


IVIG_DAYS = ("2025-09-15", "2025-10-13", "2025-11-10", "2025-12-08")


def ivig_doses(last_status: str, last: str = "2026-01-05") -> list[Resource]:
    """IVIG every 28 days, recorded as given; the latest dose's status varies."""
    return [ivig_dose(f"dose-{n}", day) for n, day in enumerate(IVIG_DAYS)] + [ivig_dose("dose-last", last, last_status)]


def ivig_record(status: str, end: str | None = None) -> Resource:
    period = {"start": "2025-09-15", **({"end": end} if end else {})}
    return {"resourceType": "MedicationStatement", "id": "ivig-record", "status": status, "subject": ME,
            "medicationCodeableConcept": concept(IVIG), "effectivePeriod": period, "dateAsserted": "2025-09-15"}


def tec_order(status: str = "active", intent: str = "order", end: str | None = None) -> Resource:
    bounds = {"start": "2025-10-06", **({"end": end} if end else {})}
    return {"resourceType": "MedicationRequest", "id": "tec", "status": status, "intent": intent, "subject": ME,
            "authoredOn": "2025-10-01T14:00:00+02:00", "medicationCodeableConcept": concept(TEC),
            "dosageInstruction": [{"text": "step-up, derefter 1,5 mg/kg ugentligt",
                                   "timing": {"repeat": {"boundsPeriod": bounds}}}]}


def tec_dose(day: str = "2025-10-06", status: str = "completed") -> Resource:
    return {"resourceType": "MedicationAdministration", "id": "tec-dose-1", "status": status, "subject": ME,
            "medicationCodeableConcept": concept(TEC), "effectiveDateTime": f"{day}T09:00:00+02:00"}


def tec_record(status: str) -> Resource:
    period = {"start": "2025-10-06", **({"end": "2025-12-29"} if status in ("completed", "stopped") else {})}
    return {"resourceType": "MedicationStatement", "id": "tec-record", "status": status, "subject": ME,
            "medicationCodeableConcept": concept(TEC), "effectivePeriod": period, "dateAsserted": "2025-10-20",
            "informationSource": {"display": "Rigshospitalet, Hæmatologisk Klinik"}}


def ivig_draft(day: str) -> Resource:
    return {**ivig_order(start=day, rid="draft-ivig"), "status": "draft"}


# ---- the stories ----------------------------------------------------------------------------------------------------

def story_w(*, dx_: Resource | None = None, cart: Resource | None = None, iggs: tuple[Resource, ...] | None = None,
            extra: tuple[Resource, ...] = ()) -> tuple[Resource, ...]:
    return (dx_ or dx(DLBCL, "2025-02-14"), cart or car_t("2025-11-03"),
            *(iggs if iggs is not None else (igg("igg", "2026-01-08", 3.1),)), *extra)


def story_m(*, mp_status: str = "final", dose: Resource | None = None, order: Resource | None = None,
            with_dose: bool = True) -> tuple[Resource, ...]:
    therapy = [dose or tec_dose()] if with_dose else []
    return (dx(MYELOMA, "2023-05-02"), *therapy, *([order] if order else []),
            igg("igg", "2026-01-05", 7.2), m_protein("2026-01-05", 4.5, mp_status))


def story_a(*extra: Resource) -> tuple[Resource, ...]:
    return (dx(DLBCL, "2024-11-20"), car_t("2025-03-03"), igg("igg", "2026-01-05", 3.0), *extra)


def story_s(*therapy: Resource) -> tuple[Resource, ...]:
    return (dx(DLBCL, "2025-01-30"), car_t("2025-08-04"), igg("igg", "2025-09-10", 3.2), *therapy)


@dataclass(frozen=True)
class Chart:
    name: str
    resources: tuple[Resource, ...]
    codes: tuple[str, ...]  # patient-view advice codes, in order; (): no card
    expect: str  # what a clinician reading the guideline expects, written before the run
    at: str = "2026-01-12"
    says: tuple[str, ...] = ()  # in the English summary + detail of the first card
    says_not: tuple[str, ...] = ()
    says_da: tuple[str, ...] = ()  # in the Danish summary + detail of the first card
    t0: str | None = None
    hooks: tuple[str, ...] | None = None  # order-sign codes for an IVIG draft that day
    pt: Resource = field(default_factory=patient)

    def bundle(self) -> Resource:
        return {"resourceType": "Bundle", "type": "collection",
                "entry": [{"fullUrl": f"https://fhir.example.dk/R4/{r['resourceType']}/{r['id']}", "resource": r}
                          for r in (self.pt, *self.resources)]}


START = ("start-substitution",)
MEASURE = ("measure-igg",)
UNDER_6 = ("general-criteria-igg-under-6",)
# a superseded IgG 3.1 g/L: named among the data notes as not used ("IgG 3.1 g/L, also of 2026-01-08, was not used:
# a later sample or a correction of that day was read"), never the IgG a summary decides on
SUPERSEDED_DECIDED = ("IgG 3.1 g/L <", "IgG 3.1 g/L (2026")
NO_START = ("no-start-without-infections",)
GENERAL = ("start-meets-general-criteria",)
DUE = ("stop-due-soon",)
CHILD = ("child-individual-assessment",)
MEETS = ("order-meets-criteria",)  # order-sign: the IVIG draft meets the criteria (a continuation: ends on the stop date)
W_AT, A_AT, S_AT = "2026-01-12", "2026-01-12", "2026-01-26"

CHARTS: list[Chart] = [
    # -- IgG Observation status (story W) ---------------------------------------------------------------------------
    *[Chart(f"igg-{status}", story_w(iggs=(igg("igg", "2026-01-08", 3.1, status),)), START,
            f"an IgG {status} is the laboratory's result (§5: final/amended/corrected): the start criterion is met",
            says=("3.1 g/L", "2026-05-03"), t0="2025-11-03", hooks=MEETS if status == "final" else None)
      for status in ("final", "amended", "corrected")],
    Chart("igg-preliminary", story_w(iggs=(igg("igg", "2026-01-08", 3.1, "preliminary"),)), MEASURE,
          "a preliminary IgG is not final (§5; the service's documented choice): no IgG since T0, so measure it; "
          "the card names the preliminary 3.1 it did not use, which would have met the start criterion",
          says=("not final yet",), says_da=("endnu ikke endelig",), hooks=("order-does-not-meet-criteria",)),
    Chart("igg-registered", story_w(iggs=({**igg("igg", "2026-01-08", 3.1, "registered"), "valueQuantity": None},)),
          MEASURE, "an IgG registered (sample taken, no answer): measure-igg, the pending IgG named once, as awaiting "
          "its result", says=("IgG taken or ordered 2026-01-08 awaits its result",), says_not=("not final yet",)),
    *[Chart(f"igg-{status}", story_w(iggs=(igg("igg", "2026-01-08", 3.1, status),)), MEASURE,
            f"an IgG {status} is no IgG: no usable IgG since T0, measure it", says_not=("3.1 g/L",))
      for status in ("cancelled", "entered-in-error")],
    Chart("igg-unknown", story_w(iggs=(igg("igg", "2026-01-08", 3.1, "unknown"),)), MEASURE,
          "an IgG whose status is unknown is not known to be the laboratory's result: not used (as a preliminary "
          "one), and named, since 3.1 would have met the start criterion", says=("IgG on 2026-01-08",)),
    Chart("igg-corrected-down-same-identifier",
          story_w(iggs=(igg("igg-1", "2026-01-08", 4.4, identifier=[{"system": LAB_ID, "value": "A123"}]),
                        igg("igg-2", "2026-01-08", 3.1, "corrected", identifier=[{"system": LAB_ID, "value": "A123"}],
                            issued="2026-01-09T10:12:00+01:00"))), START,
          "the laboratory corrected 4.4 to 3.1 (same accession number, issued the next day): the correction replaces "
          "the original; start criterion met on 3.1", says=("3.1 g/L",)),
    Chart("igg-corrected-up-same-identifier",
          story_w(iggs=(igg("igg-1", "2026-01-08", 3.1, identifier=[{"system": LAB_ID, "value": "A123"}]),
                        igg("igg-2", "2026-01-08", 4.4, "corrected", identifier=[{"system": LAB_ID, "value": "A123"}],
                            issued="2026-01-09T10:12:00+01:00"))), UNDER_6,
          "3.1 corrected to 4.4: the correction replaces the original; IgG 4-6, general criteria (§4.1 last "
          "paragraph), no start on the superseded 3.1", says=("4.4 g/L",), says_not=SUPERSEDED_DECIDED),
    Chart("igg-corrected-later-issued-no-identifier",
          story_w(iggs=(igg("igg-1", "2026-01-08", 3.1),
                        igg("igg-2", "2026-01-08", 4.4, "corrected", issued="2026-01-09T10:12:00+01:00"))), UNDER_6,
          "a corrected result of the same sample time issued later, no identifier: the correction is the answer",
          says=("4.4 g/L",), says_not=SUPERSEDED_DECIDED),
    Chart("igg-corrected-later-issued-original-id-sorts-last",
          story_w(iggs=(igg("igg-b", "2026-01-08", 4.4, "corrected", issued="2026-01-09T10:12:00+01:00"),
                        igg("igg-c", "2026-01-08", 3.1))), UNDER_6,
          "the same correction, sent first and under an id that sorts before the original's: the correction is still "
          "the answer (it was issued later); no start on the superseded 3.1", says=("4.4 g/L",), says_not=SUPERSEDED_DECIDED),
    Chart("igg-original-entered-in-error-new-final",
          story_w(iggs=(igg("igg-1", "2026-01-08", 3.1, "entered-in-error"), igg("igg-2", "2026-01-08", 4.4))),
          UNDER_6, "the 3.1 was written in error; the 4.4 stands: general criteria", says=("4.4 g/L",)),
    Chart("igg-preliminary-beside-final-older",
          story_w(iggs=(igg("igg-1", "2025-12-20", 4.6), igg("igg-2", "2026-01-10", 3.1, "preliminary"))), UNDER_6,
          "the final 4.6 of 20 December is the latest result; the preliminary 3.1 of 10 January is named (its final "
          "answer would start substitution)", says=("4.6 g/L", "not final yet")),

    # -- M-protein status (story M: polyclonal IgG 7.2 - 4.5 = 2.7) ------------------------------------------------
    *[Chart(f"m-protein-{status}", story_m(mp_status=status), START,
            f"an IgG-kappa M-protein {status}: polyclonal IgG 2.7 g/L, special start criterion",
            at=W_AT, says=("2.7",), t0="2025-10-06") for status in ("final", "amended", "corrected")],
    Chart("m-protein-preliminary", story_m(mp_status="preliminary"), ("paraprotein-type-unknown",),
          "the M-protein is not final: not subtracted, so total IgG 7.2 decides, with the caveat that the myeloma may "
          "hide a low polyclonal IgG; the preliminary M-protein that would have put polyclonal IgG at 2.7 is named",
          says=("not final",)),
    Chart("m-protein-entered-in-error", story_m(mp_status="entered-in-error"), ("paraprotein-type-unknown",),
          "no M-protein result: total IgG 7.2 in IgG myeloma of unknown type; the caveat card"),

    # -- malignancy Condition clinical × verification status (story W) ----------------------------------------------
    *[Chart(f"lymphoma-{clinical}", story_w(dx_=dx(DLBCL, "2025-02-14", clinical=clinical)), START,
            f"the lymphoma {clinical} after CAR-T is still the guideline's population (treated with CAR-T for a "
            "malignant haematological disease): start criterion met", t0="2025-11-03")
      for clinical in ("recurrence", "relapse", "inactive", "remission", "resolved")],
    *[Chart(f"lymphoma-{ver}", story_w(dx_=dx(DLBCL, "2025-02-14", ver=ver)), START,
            f"a lymphoma diagnosis {ver} (not refuted) beside a CAR-T given for it: in scope", t0="2025-11-03")
      for ver in ("unconfirmed", "provisional", "differential")],
    Chart("lymphoma-no-statuses", story_w(dx_=dx(DLBCL, "2025-02-14", ver=None, clinical=None)), START,
          "a diagnosis with neither status (FHIR allows both absent): a diagnosis on record; in scope"),
    *[Chart(f"lymphoma-{ver}-only-diagnosis", story_w(dx_=dx(DLBCL, "2025-02-14", ver=ver)), (),
            f"the only malignancy is {ver}: no haematological malignancy on record (policy 'require': CD19 CAR-T "
            "is used in autoimmune disease), no card") for ver in ("refuted", "entered-in-error")],
    Chart("myeloma-remission-teclistamab", story_m(), START,
          "myeloma in remission on teclistamab is the guideline's population", at=W_AT, t0="2025-10-06"),

    # -- infection Condition status (story A: after the window, IgG 3.0) --------------------------------------------
    *[Chart(f"sepsis-confirmed-{clinical}", story_a(dx(SEPSIS, "2025-12-10", "sepsis", clinical=clinical)), GENERAL,
            f"a confirmed sepsis, now {clinical}, still happened: a severe verified bacterial infection, general "
            "criteria met (§4.1 after six months)", says=("Severe bacterial infection 2025-12-10",), hooks=MEETS if clinical == "resolved" else None)
      for clinical in ("active", "recurrence", "relapse", "inactive", "remission", "resolved")],
    *[Chart(f"sepsis-{ver}", story_a(dx(SEPSIS, "2025-12-10", "sepsis", ver=ver, clinical="resolved")), NO_START,
            f"a sepsis {ver} is not verified (§4.1: verificerede): not counted, and named as what would change the "
            "card", says=("(2025-12-10) is not recorded as confirmed, so not counted; confirmed, it could change this "
                          "decision",),
            says_da=("(2025-12-10) er ikke registreret som bekræftet og tælles ikke; bekræftet kan den ændre "
                     "vurderingen",))
      for ver in ("unconfirmed", "provisional", "differential")],
    Chart("sepsis-no-verification-status", story_a(dx(SEPSIS, "2025-12-10", "sepsis", ver=None)), NO_START,
          "no verificationStatus: not known to be verified; not counted, named as what would change the card",
          says=("(2025-12-10) is not recorded as confirmed, so not counted; confirmed, it could change this "
                "decision",)),
    *[Chart(f"sepsis-{ver}", story_a(dx(SEPSIS, "2025-12-10", "sepsis", ver=ver)), NO_START,
            f"a sepsis {ver} did not happen: criteria not met, nothing to name", says_not=("Sepsis",))
      for ver in ("refuted", "entered-in-error")],

    # -- culture Observation and DiagnosticReport status (story A with a pneumonia J18.9) -----------------------------
    *[Chart(f"culture-{status}", story_a(dx(PNEUMONIA, "2025-12-10", "pneu"), blood_culture("2025-12-10", status)),
            GENERAL, f"a blood culture {status} grew E. coli beside the pneumonia: bacterial and severe (bacteraemia)",
            says=("positive blood culture 2025-12-10",)) for status in ("final", "amended", "corrected")],
    *[Chart(f"culture-{status}", story_a(dx(PNEUMONIA, "2025-12-10", "pneu"), blood_culture("2025-12-10", status)),
            NO_START, f"a blood culture {status} growing E. coli is not a final result: not counted, but named (its "
            "final answer would meet the general criteria)", says=("not final",), says_da=("ikke endelig",))
      for status in ("preliminary", "unknown")],
    *[Chart(f"culture-{status}", story_a(dx(PNEUMONIA, "2025-12-10", "pneu"), blood_culture("2025-12-10", status)),
            NO_START, f"a culture {status} is no result: the pneumonia has no organism and is not counted (named)",
            says=("Pneumoni",)) for status in ("cancelled", "entered-in-error")],
    *[Chart(f"report-{status}", story_a(dx(PNEUMONIA, "2025-12-10", "pneu"), culture_report("2025-12-10", status)),
            GENERAL, f"a culture report {status} concluding E. coli in blood: bacterial and severe (appended: a final "
            "report with text added after release, FHIR R4)", says=("positive blood culture 2025-12-10",)) for status in ("final", "amended", "corrected", "appended")],
    *[Chart(f"report-{status}", story_a(dx(PNEUMONIA, "2025-12-10", "pneu"), culture_report("2025-12-10", status)),
            NO_START, f"a culture report {status}: not final, not counted; named since it names a growth",
            says=("not final",)) for status in ("partial", "preliminary")],
    *[Chart(f"report-{status}", story_a(dx(PNEUMONIA, "2025-12-10", "pneu"), culture_report("2025-12-10", status)),
            NO_START, f"a culture report {status} is no result", says=("Pneumoni",))
      for status in ("cancelled", "entered-in-error")],
    Chart("report-final-observation-preliminary",
          story_a(dx(PNEUMONIA, "2025-12-10", "pneu"), blood_culture("2025-12-10", "preliminary"),
                  culture_report("2025-12-10", "final", ("bc",))), GENERAL,
          "the report is final and concludes E. coli; its Observation was left preliminary: the final report is the "
          "laboratory's answer", says=("positive blood culture 2025-12-10",)),
    Chart("report-preliminary-observation-final",
          story_a(dx(PNEUMONIA, "2025-12-10", "pneu"), blood_culture("2025-12-10", "final"),
                  culture_report("2025-12-10", "preliminary", ("bc",))), GENERAL,
          "the Observation is final (E. coli): counted, once", says=("positive blood culture 2025-12-10",)),

    *[Chart(f"report-{status}-observation-final",
            story_a(dx(PNEUMONIA, "2025-12-10", "pneu"), blood_culture("2025-12-10", "final"),
                    culture_report("2025-12-10", status, ("bc",))), GENERAL,
            f"the report is {status} but its Observation (E. coli) stays final: the service reads the Observation "
            "(documented: one culture counts once, by its Observation); whether a retracted report retracts its "
            "results is a clinician question", says=("positive blood culture 2025-12-10",))
      for status in ("entered-in-error", "cancelled")],
    Chart("sepsis-confirmed-no-clinical-status", story_a(dx(SEPSIS, "2025-12-10", "sepsis", clinical=None)), GENERAL,
          "a confirmed sepsis with no clinicalStatus happened: counted", says=("Severe bacterial infection 2025-12-10",)),

    # -- an admission for the sepsis, no diagnosis recorded (story A) ------------------------------------------------
    *[Chart(f"admission-{status}", story_a(admission(status)), NO_START,
            f"an admission ({status}) for sepsis is no verified diagnosis (§4.3): criteria not met. The stay is read "
            "now (prefetch `encounters`): one that happened names its sepsis as recorded on no Condition, to be "
            "recorded (tests/test_acceptance_admissions.py); a planned, cancelled or erroneous one is no stay",
            says_not=("Encounter",))
      for status in ("planned", "in-progress", "finished", "cancelled", "entered-in-error")],

    # -- CAR-T Procedure status (story W) ---------------------------------------------------------------------------
    Chart("car-t-completed", story_w(), START, "the infusion happened: T0 2025-11-03", t0="2025-11-03",
          says=("2026-05-03",), hooks=MEETS),
    Chart("car-t-stopped", story_w(cart=car_t("2025-11-03", "stopped")), START,
          "an infusion stopped part-way gave cells: T0 stands (documented), the stopped record named",
          t0="2025-11-03", says=("stopped",)),
    *[Chart(f"car-t-{status}", story_w(cart=car_t("2025-11-03", status)), (),
            f"a CAR-T procedure {status} is no infusion: no index event, no card (clinical rules §2)")
      for status in ("preparation", "not-done", "entered-in-error")],
    *[Chart(f"car-t-{status}", story_w(cart=car_t("2025-11-03", status)), ("therapy-undated",),
            f"a CAR-T procedure {status} (halted for now, or a status the source does not know): not known to be "
            "given, so no index event (clinical rules §2), but not a silence: the card asks whether cells were given",
            says=("not recorded as given",))
      for status in ("on-hold", "unknown")],
    Chart("car-t-in-progress", story_w(cart=car_t("2025-11-03", "in-progress")), ("therapy-undated",),
          "a CAR-T procedure in-progress two months on: no index event (clinical rules §5 names the completed "
          "procedure; one never closed dates nothing), but not a silence: the card asks whether cells were given",
          says=("not recorded as given (in progress)",)),
    Chart("child-car-t-completed", story_w(dx_=dx(ALL, "2024-09-01"), cart=car_t("2025-11-03")), CHILD,
          "a 15-year-old after CAR-T: individual assessment (§4)", pt=patient("2010-03-04"), hooks=CHILD),
    Chart("child-car-t-stopped", story_w(dx_=dx(ALL, "2024-09-01"), cart=car_t("2025-11-03", "stopped")), CHILD,
          "a child whose infusion was stopped part-way still had CAR-T: individual assessment", pt=patient("2010-03-04")),
    Chart("child-car-t-not-done", story_w(dx_=dx(ALL, "2024-09-01"), cart=car_t("2025-11-03", "not-done")), (),
          "a child whose infusion was not done: no CAR-T, no card", pt=patient("2010-03-04")),

    # -- bsAb MedicationRequest status x intent (story M, no dose recorded) -------------------------------------------
    *[Chart(f"tec-order-{status}", story_m(with_dose=False, order=tec_order(status, end=end)), START,
            f"a teclistamab order {status}: the course began 2025-10-06 (clinical rules §2: active, on-hold, "
            "completed or stopped orders date T0)", at=W_AT, t0="2025-10-06")
      for status, end in (("active", None), ("on-hold", None), ("completed", "2025-12-29"), ("stopped", "2025-12-15"))],
    *[Chart(f"tec-order-{status}", story_m(with_dose=False, order=tec_order(status)), (),
            f"a teclistamab order {status} never began: no index event, no card", at=W_AT)
      for status in ("draft", "cancelled", "entered-in-error")],
    Chart("tec-order-instance-order", story_m(with_dose=False, order=tec_order("active", "instance-order")), START,
          "an instance order is an order: T0 2025-10-06", at=W_AT, t0="2025-10-06"),
    *[Chart(f"tec-order-{intent}", story_m(with_dose=False, order=tec_order("active", intent)), (),
            f"a teclistamab {intent} is not an order: nothing says the drug was started, no index event", at=W_AT)
      for intent in ("proposal", "plan")],
    Chart("tec-order-plan-dose-given", story_m(dose=tec_dose("2025-10-08"), order=tec_order("active", "plan")), START,
          "the plan was carried out: the first dose given 2025-10-08 dates T0", at=W_AT, t0="2025-10-08"),
    Chart("tec-order-unknown", story_m(with_dose=False, order=tec_order("unknown")), (),
          "a teclistamab order of status unknown: not known to have begun, no index event and no card (documented for "
          "orders: only active, on-hold, completed, stopped date T0); a clinician question", at=W_AT),
    Chart("tec-dose-in-progress", story_m(dose=tec_dose(status="in-progress")), START,
          "a dose in progress is a dose given (documented): T0 2025-10-06", at=W_AT, t0="2025-10-06"),
    Chart("tec-dose-not-done-order-active", story_m(dose=tec_dose(status="not-done"), order=tec_order()), START,
          "the first dose was not given that day; the active order still dates the course (no dose recorded)",
          at=W_AT, t0="2025-10-06"),

    # -- bsAb medication record (MedicationStatement), given at another hospital (story M, no order or dose here) -------
    *[Chart(f"tec-record-{status}", story_m(with_dose=False, order=tec_record(status)), START,
            f"teclistamab recorded {status} from 2025-10-06 (taken): the course began then, T0 2025-10-06",
            at=W_AT, t0="2025-10-06") for status in ("active", "completed", "stopped", "on-hold")],
    *[Chart(f"tec-record-{status}", story_m(with_dose=False, order=tec_record(status)), (),
            f"teclistamab recorded {status}: not given, or a plan, no index event, no card", at=W_AT)
      for status in ("intended", "not-taken", "entered-in-error")],
    Chart("tec-record-unknown", story_m(with_dose=False, order=tec_record("unknown")), ("therapy-undated",),
          "teclistamab recorded with status unknown: no index event, but not a silence: the card asks whether it was "
          "given, as for a dose so recorded", at=W_AT, says=("not recorded as given (status unknown)",)),

    # -- IVIG order status x intent (story S: stop attempt due 2026-02-04) --------------------------------------------
    *[Chart(f"ivig-order-{status}-{intent}", story_s(ivig_order(status, intent)), DUE,
            f"IVIG ordered ({status}, {intent}) since 2025-09-15, first course after CAR-T: the stop attempt is due "
            "2026-02-04 (§4.2)", at=S_AT, says=("2026-02-04", "9 days"),
            hooks=MEETS if intent == "order" else None)
      for status, intent in (("active", "order"), ("active", "original-order"), ("active", "instance-order"))],
    Chart("ivig-order-on-hold", story_s(ivig_order("on-hold")), NO_START,
          "IVIG paused (on-hold): not on substitution now; resuming is a restart, general criteria (§4.3): IgG 3.2 "
          "without infections does not meet them", at=S_AT),
    *[Chart(f"ivig-order-{status}-ended", story_s(ivig_order(status, end="2026-01-10")), NO_START,
            f"IVIG {status}, ended 2026-01-10 before the stop date: a new start would be a restart, general criteria",
            at=S_AT) for status in ("completed", "stopped")],
    *[Chart(f"ivig-order-{status}", story_s(ivig_order(status)), START,
            f"an IVIG order {status} never ran: never on substitution; IgG 3.2 since T0 (stale, < 4 still supports "
            "the start, clinical rules §3): the start criterion is met", at=S_AT)
      for status in ("draft", "cancelled", "entered-in-error")],
    *[Chart(f"ivig-order-active-{intent}", story_s(ivig_order("active", intent)), DUE,
            f"an IVIG {intent} is an order: on substitution, stop attempt due", at=S_AT)
      for intent in ("reflex-order", "filler-order")],
    *[Chart(f"ivig-order-{status}-plan", story_s(ivig_order(status, "plan", end=end)), START,
            f"an IVIG plan {status}: still no order, nothing given; start criterion met", at=S_AT)
      for status, end in (("on-hold", None), ("completed", "2026-01-10"))],
    Chart("ivig-order-option", story_s(ivig_order("active", "option")), START,
          "an IVIG option of a protocol is not an order: start criterion met, the option named", at=S_AT,
          says=("may be Ig the patient is on",)),
    Chart("ivig-plan-booked-ahead", story_w(extra=({**ivig_order("active", "plan", start="2026-01-20"),
                                                    "authoredOn": "2026-01-09T11:00:00+01:00"},)), (),
          "an IVIG plan to begin 2026-01-20: substitution is planned, so no start card meanwhile (as a booked order, "
          "clinical rules §7); written 2026-01-09 (an order written after the day read is not yet on the chart)"),
    Chart("ivig-plan-begun-no-dose", story_w(extra=(ivig_order("active", "plan", start="2026-01-20"),)), START,
          "the planned start has come and no dose or order shows IVIG given: the start criterion, the plan named",
          at="2026-01-25", says=("may be Ig the patient is on", "2026-01-20")),
    Chart("ivig-plan-begun-dose-given", story_w(extra=(ivig_order("active", "plan", start="2026-01-20"),
                                                       ivig_dose("dose-1", "2026-01-20"))), ("stop-planned",),
          "the plan was carried out: a dose given on 2026-01-20 is substitution (first course in the window): the stop "
          "attempt is planned at 2026-05-03", at="2026-01-25", says=("2026-05-03",)),
    Chart("ivig-order-unknown", story_s(ivig_order("unknown")), START,
          "an IVIG order whose status is unknown may be running: not used, but named as Ig the patient may be on, "
          "'check before ordering', and no Ig order offered", at=S_AT, says=("may be Ig the patient is on",),
          says_da=("kan være Ig, patienten får",)),
    *[Chart(f"ivig-order-{intent}", story_s(ivig_order("active", intent)), START,
            f"an IVIG {intent} is not an order: nothing says IVIG was given; the start criterion is met and the "
            f"{intent} is named as Ig the patient may be on ('check before ordering'; no Ig order offered)", at=S_AT,
            says=("may be Ig the patient is on",), hooks=MEETS if intent == "plan" else None)
      for intent in ("proposal", "plan")],

    # -- IVIG doses recorded (MedicationAdministration), the latest one's status varies (story S) ---------------------
    *[Chart(f"ivig-dose-{status}", story_s(*ivig_doses(status)), DUE,
            f"IVIG given every 28 days, the latest dose 2026-01-05 {status}: on substitution, stop attempt due",
            at=S_AT, says=("2026-02-04",)) for status in ("completed", "in-progress")],
    Chart("ivig-dose-stopped", story_s(*ivig_doses("stopped")), DUE,
          "the 5 January infusion was stopped part-way (a reaction): some IVIG was given and the course goes on; the "
          "stop attempt is due 2026-02-04 (documented: a stopped Ig dose is a dose given); the dose is named as read "
          "so, as a stopped CAR-T infusion is, so that a record of none given is corrected", at=S_AT,
          says=("dose on 2026-01-05 is recorded as stopped before it was complete: read as given",),
          says_da=("dosis den 2026-01-05 er registreret som afbrudt",)),
    *[Chart(f"ivig-dose-{status}", story_s(*ivig_doses(status)), NO_START,
            f"the latest dose {status} was not given: the course of doses ended 35 days after 2025-12-08 (2026-01-12); "
            "a new start is a restart, general criteria", at=S_AT)
      for status in ("not-done", "entered-in-error")],
    *[Chart(f"ivig-dose-{status}", story_s(*ivig_doses(status)), NO_START,
            f"the latest dose {status}: not known to be given (an infusion on hold may have begun); the course of "
            "doses ended 2026-01-12, a restart; the dose is named, since given it would have kept the course (and the "
            "stop attempt at 2026-02-04) going", at=S_AT, says=("dose on 2026-01-05",),
            says_da=("dosis den 2026-01-05",)) for status in ("on-hold", "unknown")],

    # -- IVIG medication record (MedicationStatement) (story S) ------------------------------------------------------
    Chart("ivig-record-active", story_s(ivig_record("active")), DUE,
          "the medication list says IVIG is taken since 2025-09-15: on substitution, stop attempt due; no order to "
          "pause, so the card is about the record", at=S_AT, says=("2026-02-04",)),
    *[Chart(f"ivig-record-{status}", story_s(ivig_record(status, end="2026-01-10")), NO_START,
            f"IVIG record {status}, ended 2026-01-10: a restart would follow the general criteria", at=S_AT)
      for status in ("completed", "stopped")],
    Chart("ivig-record-on-hold", story_s(ivig_record("on-hold")), NO_START, "IVIG paused: restart, general criteria",
          at=S_AT),
    Chart("ivig-record-intended", story_s(ivig_record("intended")), START,
          "IVIG intended: a plan, not given: start criterion met, the plan named", at=S_AT,
          says=("may be Ig the patient is on",)),
    Chart("ivig-record-unknown", story_s(ivig_record("unknown")), START,
          "IVIG record status unknown: not used, named first", at=S_AT, says=("may be Ig the patient is on",)),
    *[Chart(f"ivig-record-{status}", story_s(ivig_record(status)), START,
            f"IVIG record {status}: nothing taken; start criterion met", at=S_AT)
      for status in ("not-taken", "entered-in-error")],

    # -- near-misses of the rules above ------------------------------------------------------------------------------
    # a correction beside its original at the same sample time (story W): the correction is the answer
    Chart("igg-correction-sent-without-issued",
          story_w(iggs=(igg("igg-b", "2026-01-08", 3.1),
                        {k: v for k, v in igg("igg-a", "2026-01-08", 4.4, "corrected").items() if k != "issued"})), UNDER_6,
          "the laboratory corrected 3.1 to 4.4 and the EHR sent the correction without `issued`: the correction is "
          "still the answer, general criteria; no start on the superseded 3.1", says=("4.4 g/L",), says_not=SUPERSEDED_DECIDED),
    Chart("igg-amended-issued-with-its-original",
          story_w(iggs=(igg("igg-b", "2026-01-08", 3.1), igg("igg-a", "2026-01-08", 4.4, "amended"))), UNDER_6,
          "an amended 4.4 with the same sample and issue time as the final 3.1 (one export of both versions): the "
          "amendment is the answer, whichever id sorts last", says=("4.4 g/L",), says_not=SUPERSEDED_DECIDED),
    Chart("igg-correction-issued-in-another-zone",
          story_w(iggs=(igg("igg-b", "2026-01-08", 3.1, issued="2026-01-09T10:30:00+01:00"),
                        igg("igg-a", "2026-01-08", 4.4, "corrected", effectiveDateTime="2026-01-08T07:05:00Z",
                            issued="2026-01-09T09:45:00Z"))), UNDER_6,
          "the correction's times are sent in UTC: issued 10:45 Danish time, after the original's 10:30: the "
          "correction is the answer", says=("4.4 g/L",), says_not=SUPERSEDED_DECIDED),
    Chart("igg-date-only-beside-a-repeat-taken-later",
          story_w(iggs=(igg("igg-b", "2026-01-08", 4.4, effectiveDateTime="2026-01-08",
                            issued="2026-01-08T09:00:00+01:00"),
                        igg("igg-a", "2026-01-08", 3.1, effectiveDateTime="2026-01-08T14:00:00+01:00",
                            issued="2026-01-08T16:00:00+01:00"))), START,
          "a morning IgG 4.4 sent with its day only (issued 09:00) and a repeat taken at 14:00, 3.1: the repeat is the "
          "latest (a result with its time is later than one of the day alone, as before; it was also issued later): "
          "the start criterion is met", says=("3.1 g/L",), t0="2025-11-03"),
    # an IVIG plan carried out before the day read (story S): it may have been given since T0, so a start is a restart
    *[Chart(f"ivig-plan-{status}-ended-since-t0", story_s(ivig_order(status, "plan", end="2026-01-10")), START,
            f"an IVIG plan {status} (FHIR: completed, all it implied has occurred), 2025-09-15 to 2026-01-10: no "
            "order, so not substitution, but named: if it was given, a start now is a restart (general criteria)",
            at=S_AT, says=("IVIG (planned 2025-09-15; not ordered)", "may be Ig the patient is on"),
            says_da=("IVIG (planlagt 2025-09-15; ikke ordineret) kan være Ig, patienten får",))
      for status in ("completed", "stopped")],
    Chart("ivig-plan-ended-before-t0", story_s(ivig_order("completed", "plan", start="2025-03-01", end="2025-06-30")),
          START, "an IVIG plan that ended before the CAR-T (T0 2025-08-04): nothing to do with this window, not named",
          at=S_AT, says_not=("only planned",)),
    # the medication list's IVIG record, linked to a plan (story S): the record says IVIG is taken
    *[Chart(f"ivig-record-{link}-a-plan",
            story_s(ivig_order("active", "plan"),
                    {**ivig_record("active"), link: [{"reference": "MedicationRequest/ivig"}]}), DUE,
            f"the medication list says IVIG is taken since 2025-09-15 ({link} the IVIG plan): the plan was carried out, "
            "the patient is on substitution and the stop attempt is due 2026-02-04 (a record based on an order is "
            "read as the order; a plan is no order, so the record stands)", at=S_AT, says=("2026-02-04",))
      for link in ("basedOn", "derivedFrom")],
    # a CAR-T product plan or proposal completed, no infusion recorded: as a completed order, the card asks for it
    *[Chart(f"car-t-{intent}-completed-no-infusion",
            (dx(DLBCL, "2025-02-14"), igg("igg", "2026-01-08", 3.1),
             {"resourceType": "MedicationRequest", "id": "cart-req", "status": "completed", "intent": intent,
              "subject": ME, "authoredOn": "2025-10-20T09:00:00+02:00",
              "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01XL03",
                                                        "display": "Yescarta (axicabtagene ciloleucel)"}]},
              "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-11-03"}}}}]}),
            ("therapy-undated",),
            f"a CAR-T product {intent} completed (all it implied has occurred) and no infusion recorded: no window can "
            "be placed, so the card asks for the infusion to be recorded (as for a completed order); no card at all "
            "would leave a patient very likely given CAR-T unchecked", says=("no infusion recorded",))
      for intent in ("plan", "proposal")],
    # an IVIG dose stopped whose reason says none was given (story S): as not-done
    *[Chart(f"ivig-first-dose-stopped-{reason.split()[0].lower()}",
            story_s({**ivig_dose("dose-1", "2026-01-20", "stopped"), "statusReason": [{"text": reason}]}), START,
            f"the first IVIG infusion is recorded stopped, reason '{reason}': nothing was given, so the patient was "
            "never on substitution; the start criterion is met", at=S_AT, says=("Ig may be started",))
      for reason in ("Ikke opstartet", "Patienten udeblev", "Afbrudt før start", "Never started")],
    *[Chart(f"ivig-first-dose-stopped-{key}",
            story_s({**ivig_dose("dose-1", "2026-01-20", "stopped"), "statusReason": [{"text": reason}]}), DUE,
            f"the first IVIG infusion stopped, reason '{reason}': some was given, so the patient is on substitution "
            "and the stop attempt is due; the stopped dose is named", at=S_AT, says=("read as given",))
      for key, reason in (("reaction", "Infusionsreaktion"), ("not-resumed", "Infusionsreaktion, ikke startet igen"),
                          ("not-in-full", "Not given in full: rigors"), ("not-whole-dose", "Ikke givet hele dosis"),
                          ("not-on-time", "Ikke startet til tiden, pga. travlhed"),
                          ("not-as-planned", "Not given as planned: half dose, reaction"))],
    # a reason read as nothing given that may yet mean some was: the card stands on the dose's absence, so it names
    # the dose and its reason as sent (before, 'Ig may be started' was given with no word of the dose)
    Chart("ivig-first-dose-stopped-reason-shown",
          story_s({**ivig_dose("dose-1", "2026-01-20", "stopped"),
                   "statusReason": [{"text": "Not given, febrile"}]}), START,
          "the first IVIG infusion stopped 'Not given, febrile': read as none given by its words, so the card "
          "names the dose and the reason, for the clinician to correct the record", at=S_AT,
          says=("Ig may be started", "2026-01-20 is recorded as stopped with the reason “Not given, febrile”: "
                "read as none given"),
          says_da=("afbrudt med årsagen “Not given, febrile”",)),
    # a reason that says what followed a first part was not given: the first part was, so the patient is on
    # substitution (before, 'Ig may be started', the first bag read as none given)
    *[Chart(f"ivig-first-dose-stopped-{key}",
            story_s({**ivig_dose("dose-1", "2026-01-20", "stopped"), "statusReason": [{"text": reason}]}), DUE,
            f"the first IVIG infusion stopped, reason '{reason}': a first part was given, so the stop attempt is due",
            at=S_AT, says=("read as given",))
      for key, reason in (("second-bag", "Stopped before start of second bag"),
                          ("anden-pose", "Afbrudt før start af 2. pose"),
                          ("resten", "Afbrudt efter 50 ml, ikke givet resten"),
                          ("remaining", "Stopped after 10 min, remaining dose not given"))],
    # a CAR-T infusion stopped as not given, then given a week later: T0 is the later one, the first is named
    Chart("car-t-stopped-not-given-then-given",
          story_w(cart={**car_t("2025-11-03", "stopped"), "statusReason": {"text": "Ikke givet, patient febril"}},
                  extra=(car_t("2025-11-10", rid="cart-2"),)), START,
          "a CAR-T infusion stopped with 'Ikke givet' (not given) and one given a week later: T0 is 2025-11-10; the "
          "stopped one is named with its reason", t0="2025-11-10",
          says=("2025-11-03 is recorded as stopped with the reason “Ikke givet, patient febril”",)),
    # a CAR-T infusion stopped before its second bag: the first bag's cells were given, T0 stands (before, no T0 and
    # no card: the reason read as no cells given)
    Chart("car-t-stopped-before-second-bag",
          story_w(cart={**car_t("2025-11-03", "stopped"), "statusReason": {"text": "Afbrudt før start af 2. pose"}}),
          START, "a CAR-T infusion stopped before its second bag gave the first bag's cells: T0 2025-11-03",
          t0="2025-11-03", says=("stopped",)),
]

BY_NAME = {c.name: c for c in CHARTS}
assert len(BY_NAME) == len(CHARTS)


def code(card: dict[str, Any]) -> str:
    return str(card["source"]["topic"]["code"])


def text(card: dict[str, Any]) -> str:
    return f"{card['summary']}\n{card.get('detail', '')}"


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_patient_view(chart: Chart) -> None:
    answer = replay(RUNTIME, chart.bundle(), at=date.fromisoformat(chart.at))
    cards = answer.cards
    assert tuple(code(c) for c in cards) == chart.codes, ([text(c) for c in cards], chart.expect)
    assert all(len(c["summary"]) <= 140 and len(c.get("detail", "")) <= 700 for c in cards)
    if chart.t0:
        assert answer.advice[0].values.get("t0") == date.fromisoformat(chart.t0)
    for words in chart.says:
        assert words in text(cards[0]), (text(cards[0]), chart.expect)
    for words in chart.says_not:
        assert not cards or words not in text(cards[0]), (text(cards[0]), chart.expect)


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_danish_cards_say_the_same(chart: Chart) -> None:
    at = date.fromisoformat(chart.at)
    en = replay(RUNTIME, chart.bundle(), at=at).cards
    da = replay(RUNTIME, chart.bundle(), at=at, lang="da").cards
    assert [code(c) for c in da] == [code(c) for c in en]
    assert [c["indicator"] for c in da] == [c["indicator"] for c in en]
    for words in chart.says_da:
        assert words in text(da[0]), text(da[0])


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_worklist_row_and_timeline_day_agree(chart: Chart) -> None:
    day = date.fromisoformat(chart.at)
    b = chart.bundle()
    view = replay(RUNTIME, b, at=day)
    rows = evaluate_patient_resources([e["resource"] for e in b["entry"]], day, RUNTIME)
    assert [r.code for r in rows] == [code(c) for c in view.cards]
    data = patient_data(b, RUNTIME)
    timeline = build_timeline(data, RUNTIME, end=day, today=day)
    in_force = [s for s in timeline.changes if s.day <= day]
    assert (in_force[-1].codes if in_force else []) == [code(c) for c in view.cards]
    if in_force:
        assert in_force[-1].key == state_on(data, RUNTIME, day).key


@pytest.mark.parametrize("chart", [c for c in CHARTS if c.hooks is not None], ids=lambda c: c.name)
def test_order_sign_with_an_ivig_draft(chart: Chart) -> None:
    answer = replay(RUNTIME, chart.bundle(), hook="order-sign", drafts=[ivig_draft(chart.at)],
                    at=date.fromisoformat(chart.at))
    assert tuple(code(c) for c in answer.cards) == chart.hooks, [text(c) for c in answer.cards]


def test_the_timeline_follows_an_ivig_plan_from_booked_to_begun_without_a_dose() -> None:
    """Clinical rules §7: an immunoglobulin course booked ahead holds back the start card until its start; a plan (intent
    plan, no order) from its start on is no evidence of substitution: the start card comes back, naming the plan."""
    chart = Chart("ivig-plan-history", story_w(extra=({**ivig_order("active", "plan", start="2026-01-20"),
                                                       "authoredOn": "2026-01-09T11:00:00+01:00"},)), (), "")
    data = patient_data(chart.bundle(), RUNTIME)
    end = date(2026, 1, 25)
    timeline = build_timeline(data, RUNTIME, end=end, today=end)
    for day, codes in ((date(2026, 1, 8), START), (date(2026, 1, 12), ()), (date(2026, 1, 19), ()),
                       (date(2026, 1, 20), START), (date(2026, 1, 25), START)):
        in_force = [s for s in timeline.changes if s.day <= day]
        assert tuple(in_force[-1].codes if in_force else ()) == codes, day
    [card] = replay(RUNTIME, chart.bundle(), at=end).cards
    assert "(planned 2026-01-20; not ordered) may be Ig the patient is on" in card["detail"]  # the caveat says why


def test_a_bispecific_draft_for_a_patient_of_unknown_age_says_it_is_taken_for_an_adult() -> None:
    """Guideline §4: a child on a bispecific gets an individual assessment, not the adult's plan. A teclistamab draft
    on order-sign for a patient whose birth date is not sent, or with no Patient record at all (prefetch `patient`:
    null), gets the adult's plan-igg-monitoring card: it says so, as every card under the criteria does; before, it
    said nothing of the age, so a child with no birth date on file read the adult's plan as checked."""
    from cds_service.pipeline import answer_local
    from cds_service.tools.replay import parse_hook_request, request_for
    draft = {**tec_order(), "id": "draft-tec", "status": "draft"}
    draft["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"] = "2026-01-12"
    no_birth = {k: v for k, v in patient().items() if k != "birthDate"}
    chart = Chart("tec-draft-age-unknown", story_m(with_dose=False), (), "", pt=no_birth)
    for lang, words in (("en", "Birth date unknown: the patient is taken to be an adult."),
                        ("da", "Fødselsdato ukendt: patienten er antaget at være voksen.")):
        [card] = replay(RUNTIME, chart.bundle(), hook="order-sign", drafts=[draft], at=date(2026, 1, 12), lang=lang).cards
        assert code(card) == "plan-igg-monitoring" and words in card["detail"], card["detail"]
    request = request_for(PID, chart.bundle()["entry"][1:], "order-sign", [draft])
    assert request["prefetch"]["patient"] is None
    [card] = answer_local(parse_hook_request(request, "order-sign"), RUNTIME, today=date(2026, 1, 12)).cards
    assert code(card) == "plan-igg-monitoring" and "No patient record: age and death not checked" in card["detail"]
