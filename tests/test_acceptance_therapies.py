"""The index event and the patient's treatment history (guideline §4, §4.1, §3.4; clinical rules §1, §2, §5, §7).

What T0 is, when a new high-risk period starts and who the adult rules apply to, as real treatment histories look
in a Danish hospital EHR: a CAR-T infusion recorded as a Procedure (SKS BOQX1, SNOMED, ICD-10-PCS, CPT) and/or as a
MedicationAdministration of the product (ATC L01XL*, HCPCS, RxNorm, a contained Medication, its name only), often
twice and on neighbouring days; orders written weeks before; cancelled and entered-in-error records; re-infusions;
each B-cell/plasma-cell directed bispecific with its step-up dosing; pauses shorter and longer than the [policy]
course gap (90 days); switches between drugs; CAR-T after bsAb and bsAb after CAR-T; therapies booked ahead.

Each chart names, before it was run, what the clinician should read per the guideline: the patient-view advice
codes, T0, the stop date (T0 + 6 calendar months) and the days left. The worklist row and the timeline day must say
the same; for the histories whose T0 moves, the timeline must show T0 moving on the day of the new index event.
The scope module (tests/scope_charts.py) holds the single-record T0 edges, children's birthdays, deceased dates and
diagnosis codings; this module does not repeat them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cds_service.tools.timeline import answer_on, build_timeline, patient_data, state_on
from cds_service.tools.worklist import evaluate_patient_resources

RUNTIME = load_runtime(Settings())
PID = "pt-therapy"
ME = {"reference": f"Patient/{PID}"}
SKS = "urn:oid:1.2.208.176.2.4"
SKS_D = "urn:oid:1.2.208.176.2.4.12"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
PCS = "http://www.cms.gov/Medicare/Coding/ICD10"
CPT = "http://www.ama-assn.org/go/cpt"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
SCT = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NPU = "http://npu-terminology.org"
LOCAL = "urn:oid:1.2.208.176.2.99"  # a site's own drug catalogue: codes no value set holds
VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CLIN = "http://terminology.hl7.org/CodeSystem/condition-clinical"

Resource = dict[str, Any]
Coding = tuple[str, str, str]  # system, code, display


# ---- resources, as a Danish EHR sends them -------------------------------------------------------------------------

def patient(birth: str | None = "1961-04-12", **extra: Any) -> Resource:
    p: Resource = {"resourceType": "Patient", "id": PID, "gender": "male",
                   "identifier": [{"use": "official", "system": "urn:oid:1.2.208.176.1.2", "value": "1204611235"}]}
    if birth:
        p["birthDate"] = birth
    return {**p, **extra}


def dx(coding: Coding, ver: str = "confirmed", clinical: str = "active", onset: str = "2024-03-01",
       rid: str = "dx", **extra: Any) -> Resource:
    return {"resourceType": "Condition", "id": rid, "subject": ME, "onsetDateTime": onset,
            "clinicalStatus": {"coding": [{"system": CLIN, "code": clinical}]},
            "verificationStatus": {"coding": [{"system": VER, "code": ver}]},
            "code": {"coding": [{"system": coding[0], "code": coding[1], "display": coding[2]}], "text": coding[2]},
            **extra}


DLBCL = (SKS_D, "DC833", "Diffust storcellet B-celle lymfom")
MYELOMA = (ICD10, "C90.0", "Myelomatose")
MYELOMA_SKS = (SKS_D, "DC900", "Myelomatose")
MYELOMA_SCT = (SCT, "109989006", "Multiple myeloma")
MYELOMA_CM = (ICD10CM, "C90.00", "Multiple myeloma not having achieved remission")
ALL_SKS = (SKS_D, "DC910", "Akut lymfoblastær leukæmi")
CLL_SCT = (SCT, "92814006", "Chronic lymphocytic leukemia")
MCL_SKS = (SKS_D, "DC831", "Mantlecelle lymfom")
FL_SCT = (SCT, "308121000", "Follicular non-Hodgkin's lymphoma")
LYMPHOMA_SCT = (SCT, "118600007", "Malignant lymphoma")
DLBCL_ICD = (ICD10, "C83.3", "Diffuse large B-cell lymphoma")
SLE = (SKS_D, "DM321", "Systemisk lupus erythematosus med organpåvirkning")

BOQX1 = (SKS, "BOQX1", "Behandling med CAR-T-celler")
CART_SCT = (SCT, "1156961008", "Chimeric antigen receptor T-cell immunotherapy")
YESCARTA = (ATC, "L01XL03", "Yescarta (axicabtagene ciloleucel)")
KYMRIAH = (ATC, "L01XL04", "Kymriah (tisagenlecleucel)")
CARVYKTI = (ATC, "L01XL05", "Carvykti (ciltacabtagene autoleucel)")
TECARTUS = (ATC, "L01XL06", "Tecartus (brexucabtagene autoleucel)")
ABECMA = (ATC, "L01XL07", "Abecma (idecabtagene vicleucel)")
BREYANZI = (ATC, "L01XL08", "Breyanzi (lisocabtagene maraleucel)")
TEC = (ATC, "L01FX24", "Tecvayli (teclistamab)")
MOSUN = (ATC, "L01FX25", "Lunsumio (mosunetuzumab)")
EPCOR = (ATC, "L01FX27", "Tepkinly (epcoritamab)")
GLOFIT = (ATC, "L01FX28", "Columvi (glofitamab)")
TALQ = (ATC, "L01FX29", "Talvey (talquetamab)")
ELRAN = (ATC, "L01FX32", "Elrexfio (elranatamab)")
BLINA = (ATC, "L01FX07", "Blincyto (blinatumomab)")
OBINU = (ATC, "L01FA03", "Gazyvaro (obinutuzumab)")
IVIG = (ATC, "J06BA02", "Privigen (immunglobulin, normal human, i.v.)")


def medication(coding: Coding | None, text: str | None = None) -> Resource:
    concept: Resource = {}
    if coding:
        concept["coding"] = [{"system": coding[0], "code": coding[1], "display": coding[2]}]
    if text or coding:
        concept["text"] = text or (coding[2] if coding else "")
    return concept


def proc(rid: str, day: str, coding: Coding, status: str = "completed", **extra: Any) -> Resource:
    return {"resourceType": "Procedure", "id": rid, "status": status, "subject": ME,
            "code": {"coding": [{"system": coding[0], "code": coding[1], "display": coding[2]}]},
            "performedDateTime": day, **extra}


def given(rid: str, day: str | None, coding: Coding | None, text: str | None = None, status: str = "completed",
          period: tuple[str, str] | None = None, request: str | None = None) -> Resource:
    a: Resource = {"resourceType": "MedicationAdministration", "id": rid, "status": status, "subject": ME,
                   "medicationCodeableConcept": medication(coding, text)}
    if day:
        a["effectiveDateTime"] = day
    if period:
        a["effectivePeriod"] = {"start": period[0], "end": period[1]}
    if request:
        a["request"] = {"reference": f"MedicationRequest/{request}"}
    return a


def doses(prefix: str, coding: Coding, first: str, every_days: int, last: str) -> list[Resource]:
    """Completed administrations from `first` every `every_days` up to and including `last`."""
    out, day, n = [], date.fromisoformat(first), 0
    while day <= date.fromisoformat(last):
        out.append(given(f"{prefix}-{n}", f"{day.isoformat()}T09:30:00+01:00", coding))
        day, n = day + timedelta(days=every_days), n + 1
    return out


def ordered(rid: str, coding: Coding, authored: str, start: str | None = None, end: str | None = None,
            status: str = "active", text: str | None = None) -> Resource:
    r: Resource = {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order",
                   "subject": ME, "authoredOn": authored, "medicationCodeableConcept": medication(coding, text)}
    if start or end:
        r["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": {
            k: v for k, v in (("start", start), ("end", end)) if v}}}}]
    return r


def igg(rid: str, when: str, value: float) -> Resource:
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": ME,
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": {"coding": [{"system": NPU, "code": "NPU19814", "display": "P-Immunglobulin G; massek. = ? g/L"}]},
            "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}


def ivig(rid: str, start: str, end: str | None = None, status: str = "active") -> Resource:
    return ordered(rid, IVIG, start, start, end, status)


def ivig_draft(start: str) -> Resource:
    return {**ivig("draft-ivig", start), "status": "draft"}


def bundle(resources: tuple[Resource | list[Resource], ...], pt: Resource) -> Resource:
    flat: list[Resource] = [pt]
    for r in resources:
        flat.extend(r if isinstance(r, list) else [r])
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"https://fhir.sp.regionh.example.dk/api/FHIR/R4/{r['resourceType']}/{r['id']}",
                       "resource": r} for r in flat]}


# ---- the charts -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Chart:
    name: str
    at: str
    resources: tuple[Resource | list[Resource], ...]
    codes: tuple[str, ...]  # patient-view advice codes, in order (): no card
    t0: str | None = None  # the first card's T0
    stop: str | None = None  # the first card's stop date (T0 + 6 calendar months)
    left: int | None = None  # the first card's days left to the stop date (None: not in the window)
    says: tuple[str, ...] = ()  # in the English summary + detail of the first card
    says_not: tuple[str, ...] = ()
    pt: Resource = field(default_factory=patient)
    hooks: tuple[str, ...] | None = None  # order-select and order-sign codes for an IVIG draft that day
    why: str = ""

    def bundle(self) -> Resource:
        return bundle(self.resources, self.pt)


START = ("start-substitution",)
NO_START = ("no-start-without-infections",)
CHILD = ("child-individual-assessment",)
NOT_RECOGNISED = ("therapy-not-recognised",)
SHOWS_DAYS_LEFT = {"start-substitution", "measure-igg", "stop-planned", "stop-due-soon"}
AT = "2026-01-20"
LOW = igg("igg-low", "2026-01-13T08:40:00+01:00", 3.1)


def cart(day: str = "2025-11-18") -> tuple[Resource, ...]:
    return (dx(DLBCL), proc("proc-cart", day, BOQX1))


CHARTS: list[Chart] = [
    # --- a CAR-T infusion, recorded every way a hospital records it ---------------------------------------------
    Chart("cart-snomed-procedure-with-time", AT,
          (dx(DLBCL), proc("proc-cart", "2025-11-18T11:05:00+01:00", CART_SCT), LOW), START,
          "2025-11-18", "2026-05-18", 118, ("CAR-T 2025-11-18", "118 days left")),
    Chart("cart-icd10pcs-procedure", AT,
          (dx(DLBCL_ICD), proc("proc-cart", "2025-11-18", (PCS, "XW033H7", "Introduction of axicabtagene "
                                                           "ciloleucel into peripheral vein")), LOW),
          START, "2025-11-18", "2026-05-18", 118),
    Chart("cart-cpt-38228-procedure", AT,
          (dx(DLBCL_ICD), proc("proc-cart", "2025-11-18", (CPT, "38228", "CAR-T cell administration, autologous")),
           proc("proc-harvest", "2025-09-02", (CPT, "38225", "CAR-T harvesting")), LOW),
          START, "2025-11-18", "2026-05-18", 118, why="the harvest weeks before is not the infusion"),
    Chart("cart-atc-administration", AT, (dx(DLBCL), given("ma-cart", "2025-11-18T13:20:00+01:00", KYMRIAH), LOW),
          START, "2025-11-18", "2026-05-18", 118),
    Chart("cart-hcpcs-product-administration", AT,
          (dx(DLBCL), given("ma-cart", "2025-11-18", (HCPCS, "Q2041", "Yescarta")), LOW),
          START, "2025-11-18", "2026-05-18", 118),
    Chart("cart-rxnorm-product-administration", AT,
          (dx(DLBCL), given("ma-cart", "2025-11-18", (RXNORM, "2479140", "lisocabtagene maraleucel")), LOW),
          START, "2025-11-18", "2026-05-18", 118),
    Chart("cart-product-named-only", AT,
          (dx(DLBCL), given("ma-cart", "2025-11-18", None, "Yescarta (axicabtagene ciloleucel) infusion"), LOW),
          NOT_RECOGNISED, says=("2025-11-18", "no window, start or stop criterion was applied"),
          why="second reading: a name is not a code (clinical rules §7: seen but not counted is named); the card "
              "says the criteria were not applied, instead of nothing (I expected the window from the name)"),
    Chart("cart-procedure-and-administration-same-day", AT,
          (dx(MYELOMA), proc("proc-cart", "2025-11-18T10:00:00+01:00", BOQX1),
           given("ma-cart", "2025-11-18T10:45:00+01:00", CARVYKTI), LOW),
          START, "2025-11-18", "2026-05-18", 118),
    Chart("cart-administration-then-procedure-next-day", AT,
          (dx(DLBCL), given("ma-cart", "2025-11-18T14:00:00+01:00", YESCARTA), proc("proc-cart", "2025-11-19", BOQX1),
           LOW),
          START, "2025-11-18", "2026-05-18", 118, why="one infusion, registered the next morning: T0 the infusion day"),
    Chart("cart-ordered-weeks-before-then-given", AT,
          (dx(DLBCL), ordered("mr-cart", YESCARTA, "2025-09-22", "2025-11-10", status="completed", end="2025-11-18"),
           given("ma-cart", "2025-11-18", YESCARTA, request="mr-cart"), LOW),
          START, "2025-11-18", "2026-05-18", 118, why="the order (at leukapheresis) is never T0"),
    Chart("cart-booked-order-only", AT,
          (dx(MYELOMA), ordered("mr-cart", CARVYKTI, "2025-12-01", "2026-02-02"), LOW), (),
          why="an infusion booked for February: no window yet"),
    Chart("cart-not-done-then-given-a-week-later", AT,
          (dx(DLBCL), proc("proc-cart-0", "2025-11-11", BOQX1, status="not-done",
                           statusReason={"text": "Feber, udsat"}),
           proc("proc-cart", "2025-11-18", BOQX1), LOW),
          START, "2025-11-18", "2026-05-18", 118),
    Chart("cart-administration-entered-in-error-wrong-day", AT,
          (dx(DLBCL), given("ma-cart-err", "2025-11-08", KYMRIAH, status="entered-in-error"),
           given("ma-cart", "2025-11-18", KYMRIAH), LOW),
          START, "2025-11-18", "2026-05-18", 118),
    Chart("cart-administration-entered-in-error-only", AT,
          (dx(DLBCL), given("ma-cart-err", "2025-11-18", KYMRIAH, status="entered-in-error"), LOW), ()),
    Chart("cart-reinfusion-months-later", AT,
          (dx(MYELOMA_SKS), given("ma-cart-1", "2025-04-07", CARVYKTI), given("ma-cart-2", "2025-09-15", CARVYKTI),
           LOW),
          START, "2025-09-15", "2026-03-15", 54, why="a second infusion months later opens a new high-risk period"),
    Chart("cart-second-bag-within-weeks", AT,
          (dx(DLBCL), given("ma-cart-1", "2025-11-04", BREYANZI), given("ma-cart-2", "2025-11-25", BREYANZI), LOW),
          START, "2025-11-04", "2026-05-04", 104,
          why="[policy] car_t_same_treatment_days: one treatment given in two parts; T0 its first day"),
    Chart("cart-relapse-glofitamab-after-special-stop", AT,
          (dx(DLBCL), proc("proc-cart", "2025-01-15", BOQX1), igg("igg-1", "2025-02-10", 2.7),
           ivig("ivig-1", "2025-02-15", "2025-07-15", status="completed"),
           doses("glofit", GLOFIT, "2025-12-01", 21, "2026-01-12"), igg("igg-2", "2026-01-12", 2.9)),
          START, "2025-12-01", "2026-06-01", 132,
          why="a new index event after the first course was stopped at its stop date: a new high-risk period "
              "(question: is this a 'genopstart', §4.3?)"),

    # --- each bispecific, with its step-up dosing ------------------------------------------------------------
    Chart("teclistamab-step-up-order-before", AT,
          (dx(MYELOMA), ordered("mr-tec", TEC, "2025-10-13", "2025-10-20"),
           given("ma-tec-1", "2025-10-22T09:00:00+02:00", TEC, request="mr-tec"),
           given("ma-tec-2", "2025-10-24T09:00:00+02:00", TEC, request="mr-tec"),
           given("ma-tec-3", "2025-10-27T09:00:00+01:00", TEC, request="mr-tec"),
           doses("tec", TEC, "2025-11-03", 7, "2026-01-12"), igg("igg-1", "2026-01-12", 2.4)),
          START, "2025-10-22", "2026-04-22", 92, why="T0 the first step-up dose, not the order's planned start"),
    Chart("elranatamab-sks-myeloma", AT,
          (dx(MYELOMA_SKS), given("ma-1", "2025-11-03", ELRAN), given("ma-2", "2025-11-07", ELRAN),
           doses("elr", ELRAN, "2025-11-10", 7, "2026-01-12"), LOW),
          START, "2025-11-03", "2026-05-03", 103),
    Chart("talquetamab-named-only", AT,
          (dx(MYELOMA_SCT), given("ma-1", "2025-11-05", None, "Talvey (talquetamab) 0,01 mg/kg s.c."),
           given("ma-2", "2025-11-07", None, "Talvey (talquetamab) 0,06 mg/kg s.c."), LOW),
          NOT_RECOGNISED, why="second reading: as above"),
    Chart("epcoritamab-step-up-dlbcl", AT,
          (dx(DLBCL_ICD), given("ma-1", "2025-11-03", EPCOR, "Tepkinly 0,16 mg s.c."),
           given("ma-2", "2025-11-10", EPCOR, "Tepkinly 0,8 mg s.c."),
           doses("epc", EPCOR, "2025-11-17", 7, "2026-01-12"), LOW),
          START, "2025-11-03", "2026-05-03", 103),
    Chart("glofitamab-order-only-after-obinutuzumab", AT,
          (dx(DLBCL), given("ma-obinu", "2025-11-03", OBINU), ordered("mr-glofit", GLOFIT, "2025-11-01", "2025-11-10"),
           LOW),
          START, "2025-11-10", "2026-05-10", 110,
          why="obinutuzumab pre-treatment is no bsAb; no dose recorded: the order's start"),
    Chart("mosunetuzumab-completed-course-after-window", AT,
          (dx(FL_SCT), ordered("mr-mosun", MOSUN, "2025-06-02", "2025-06-02", "2025-11-17", status="completed"),
           igg("igg-1", "2026-01-10", 3.4)),
          NO_START, "2025-06-02", "2025-12-02", None, why="§4.3: after the window IgG < 4 alone is not enough"),
    Chart("blinatumomab-continuous-infusion", AT,
          (dx(ALL_SKS), given("ma-blina", None, BLINA, period=("2025-11-04T12:00:00+01:00",
                                                                "2025-12-02T12:00:00+01:00")), LOW),
          START, "2025-11-04", "2026-05-04", 104),
    Chart("blinatumomab-rxnorm-order", AT,
          (dx(ALL_SKS), ordered("mr-blina", (RXNORM, "1597263", "Blincyto"), "2025-10-30", "2025-11-04"), LOW),
          START, "2025-11-04", "2026-05-04", 104),
    Chart("blinatumomab-sks-procedure", AT,
          (dx(ALL_SKS), proc("proc-blina", "2025-11-04", (SKS, "BOHJ19K1", "Behandling med blinatumomab")), LOW),
          START, "2025-11-04", "2026-05-04", 104),
    Chart("linvoseltamab-local-code-named", AT,
          (dx(MYELOMA), given("ma-1", "2025-11-05", (LOCAL, "900123", "Lynozyfic (linvoseltamab) 5 mg")),
           given("ma-2", "2025-11-12", (LOCAL, "900124", "Lynozyfic (linvoseltamab) 25 mg")), LOW),
          NOT_RECOGNISED, says=("ask the CDS team to add the code",),
          why="BCMA x CD3 (in scope, clinical rules §5), but no confirmed ATC code: the site adds its local code"),
    Chart("odronextamab-named-only", AT,
          (dx(DLBCL), given("ma-1", "2025-11-05", None, "Ordspono (odronextamab) 0,7 mg i.v."), LOW),
          NOT_RECOGNISED),

    # --- the order's dates against the doses given ------------------------------------------------------------
    Chart("bsab-order-rewritten-after-first-dose", AT,
          (dx(MYELOMA), ordered("mr-tec-1", TEC, "2025-10-28", "2025-11-03", "2025-11-30", status="completed"),
           doses("tec", TEC, "2025-11-03", 7, "2025-11-24"), ordered("mr-tec-2", TEC, "2025-11-28", "2025-12-01"),
           LOW),
          START, "2025-11-03", "2026-05-03", 103, why="a new order for the maintenance phase is the same course"),
    Chart("bsab-ordered-first-dose-not-yet-given", "2025-10-20",
          (dx(MYELOMA), ordered("mr-elr", ELRAN, "2025-10-06", "2025-10-13")),
          ("measure-igg",), "2025-10-13", "2026-04-13", 175,
          why="no dose recorded yet: the order's start (clinical rules §2)"),
    Chart("bsab-ordered-first-dose-given-late", "2025-11-10",
          (dx(MYELOMA), ordered("mr-elr", ELRAN, "2025-10-06", "2025-10-13"),
           given("ma-elr-1", "2025-10-27", ELRAN, request="mr-elr"), igg("igg-1", "2025-11-05", 2.8)),
          START, "2025-10-27", "2026-04-27", 168, why="the first dose: the order never pulls T0 earlier"),
    Chart("bsab-booked-ahead-not-started", AT,
          (dx(MYELOMA), ordered("mr-tec", TEC, "2026-01-12", "2026-02-02"), LOW), (),
          why="a course booked for February is no index event yet"),
    Chart("bsab-booked-start-passed-no-dose-recorded", "2026-02-10",
          (dx(MYELOMA), ordered("mr-tec", TEC, "2026-01-12", "2026-02-02"), LOW),
          ("measure-igg",), "2026-02-02", "2026-08-02", 173, why="the IgG of 2026-01-13 is before T0"),
    Chart("bsab-booked-after-cart-window", AT,
          (*cart("2025-03-03"), ordered("mr-glofit", GLOFIT, "2026-01-14", "2026-02-02"), igg("igg-1", "2026-01-13", 3.0)),
          NO_START, "2025-03-03", "2025-09-03", None, why="the booked glofitamab does not move T0 before it starts"),
    Chart("cart-booked-procedure-after-bsab-window", AT,
          (dx(MYELOMA), doses("tec", TEC, "2025-06-02", 7, "2025-08-25"),
           proc("proc-cart", "2026-02-03", BOQX1, status="preparation"), igg("igg-1", "2026-01-13", 3.0)),
          NO_START, "2025-06-02", "2025-12-02", None),

    # --- pauses against the [policy] course gap (90 days) -----------------------------------------------------
    Chart("epcoritamab-paused-60-days-resumed", "2025-07-30",
          (dx(DLBCL), doses("epc-a", EPCOR, "2025-03-03", 7, "2025-05-26"), doses("epc-b", EPCOR, "2025-07-25", 7,
                                                                                 "2025-07-25"),
           igg("igg-1", "2025-07-28", 3.0)),
          START, "2025-03-03", "2025-09-03", 35, why="60 days without a dose: a resumption, T0 stays"),
    Chart("teclistamab-paused-126-days-new-course", "2025-10-01",
          (dx(MYELOMA), doses("tec-a", TEC, "2025-01-13", 7, "2025-03-24"), doses("tec-b", TEC, "2025-08-01", 7,
                                                                               "2025-09-26"),
           igg("igg-1", "2025-09-25", 3.3)),
          START, "2025-08-01", "2026-02-01", 123, ("New course of teclistamab after a 130-day pause (T0) 2025-08-01",),
          why="more than 90 days without a dose: a new course, a new T0; the card says why T0 is not the January "
              "start (it said 'Start of teclistamab (T0) 2025-08-01')"),
    Chart("teclistamab-orders-paused-126-days-new-course", "2025-10-01",
          (dx(MYELOMA), ordered("mr-tec-1", TEC, "2025-01-08", "2025-01-13", "2025-03-28", status="stopped"),
           ordered("mr-tec-2", TEC, "2025-07-28", "2025-08-01"), igg("igg-1", "2025-09-25", 3.3)),
          START, "2025-08-01", "2026-02-01", 123, ("New course of teclistamab after a 126-day pause (T0) 2025-08-01",)),
    Chart("teclistamab-order-left-open-doses-paused-126-days", "2025-10-01",
          (dx(MYELOMA), ordered("mr-tec", TEC, "2025-01-08", "2025-01-13"), doses("tec-a", TEC, "2025-01-13", 7,
                                                                               "2025-03-24"),
           doses("tec-b", TEC, "2025-08-01", 7, "2025-09-26"), igg("igg-1", "2025-09-25", 3.3)),
          NO_START, "2025-01-13", "2025-07-13", None,
          why="QUESTION (report): I expected a new course from 2025-08-01, as without the open order; the service "
              "reads the treatment plan left active as the drug running through the 130 days without a recorded "
              "dose. Kept: the shipped fixtures record only the step-up doses and then an open order, where a "
              "dose recorded months later does not prove a pause"),
    Chart("teclistamab-order-left-open-doses-paused-60-days", "2025-07-30",
          (dx(MYELOMA), ordered("mr-tec", TEC, "2025-03-01", "2025-03-03"), doses("tec-a", TEC, "2025-03-03", 7,
                                                                               "2025-05-26"),
           doses("tec-b", TEC, "2025-07-25", 7, "2025-07-25"), igg("igg-1", "2025-07-28", 3.0)),
          START, "2025-03-03", "2025-09-03", 35, why="a pause shorter than the gap: the same course"),
    Chart("teclistamab-new-course-while-on-ig-before", "2025-07-20",
          (dx(MYELOMA), doses("tec-a", TEC, "2025-01-13", 7, "2025-03-24"), igg("igg-1", "2025-02-05", 2.2),
           ivig("ivig", "2025-02-10"), doses("tec-b", TEC, "2025-08-01", 7, "2025-09-26")),
          ("stop-overdue",), "2025-01-13", "2025-07-13", None, why="before the new course: the special stop"),
    Chart("teclistamab-new-course-ig-began-before-it", "2025-08-20",
          (dx(MYELOMA), doses("tec-a", TEC, "2025-01-13", 7, "2025-03-24"), igg("igg-1", "2025-02-05", 2.2),
           ivig("ivig", "2025-02-10"), doses("tec-b", TEC, "2025-08-01", 7, "2025-09-26")),
          ("general-stop-review",), "2025-08-01", "2026-02-01", 165, ("2026-02-01",), ("stop-overdue",),
          why="§4.2: substitution begun before the (new) bsAb start follows the general criteria"),

    # --- switches and sequences: the newest index event starts the window --------------------------------------
    Chart("glofitamab-to-epcoritamab", "2025-10-01",
          (dx(DLBCL), doses("glofit", GLOFIT, "2025-04-01", 21, "2025-07-22"), doses("epc", EPCOR, "2025-08-12", 7,
                                                                                   "2025-09-30"),
           igg("igg-1", "2025-09-29", 2.5)),
          START, "2025-08-12", "2026-02-12", 134, ("Start of epcoritamab (T0) 2025-08-12",), ("New course",),
          why="a switch to another drug starts it: no pause to name"),
    Chart("teclistamab-to-talquetamab-on-ig", "2025-08-20",
          (dx(MYELOMA), doses("tec", TEC, "2025-02-03", 7, "2025-06-02"), igg("igg-1", "2025-02-24", 2.2),
           ivig("ivig", "2025-03-01"), doses("tal", TALQ, "2025-06-16", 7, "2025-08-18")),
          ("general-stop-review",), "2025-06-16", "2025-12-16", 118, ("2025-12-16",), ("stop-overdue",),
          why="the teclistamab window's stop date 2025-08-03 has passed, but a new window opened on 2025-06-16 "
              "and the IVIG began before it (§4.2 second paragraph)"),
    Chart("cart-then-talquetamab", AT,
          (dx(MYELOMA), given("ma-cart", "2025-02-03", CARVYKTI), doses("tal", TALQ, "2025-09-15", 14, "2026-01-05"),
           igg("igg-1", "2026-01-13", 3.0)),
          START, "2025-09-15", "2026-03-15", 54),
    Chart("glofitamab-then-brexucabtagene", AT,
          (dx(MCL_SKS), doses("glofit", GLOFIT, "2025-03-10", 21, "2025-08-25"), proc("proc-cart", "2025-10-20", BOQX1),
           given("ma-cart", "2025-10-20", TECARTUS), igg("igg-1", "2026-01-13", 3.5)),
          START, "2025-10-20", "2026-04-20", 90),
    Chart("cart-then-epcoritamab-on-ig", "2026-03-05",
          (*cart("2025-09-01"), igg("igg-1", "2025-09-25", 2.6), ivig("ivig", "2025-10-01"),
           doses("epc", EPCOR, "2025-12-15", 7, "2026-03-02")),
          ("general-stop-review",), "2025-12-15", "2026-06-15", 102, ("2026-06-15",), ("stop-overdue",)),

    # --- age at T0 across a history ---------------------------------------------------------------------------
    Chart("child-course-resumed-after-18th-birthday", "2025-10-20",
          (dx(ALL_SKS), doses("blina-a", BLINA, "2025-06-02", 7, "2025-07-28"), doses("blina-b", BLINA, "2025-10-06",
                                                                                    7, "2025-10-20"),
           igg("igg-1", "2025-10-15", 2.4)),
          CHILD, pt=patient("2007-09-10"), hooks=CHILD,
          why="17 at T0 2025-06-02, 18 on 2025-09-10; 70 days' pause: the same course, still a child's"),
    Chart("adult-at-new-course-after-18th-birthday", "2025-12-01",
          (dx(ALL_SKS), doses("blina-a", BLINA, "2025-06-02", 7, "2025-07-28"), doses("blina-b", BLINA, "2025-11-17",
                                                                                    7, "2025-12-01"),
           igg("igg-1", "2025-11-28", 2.4)),
          START, "2025-11-17", "2026-05-17", 167, pt=patient("2007-09-10"),
          why="112 days' pause: a new course, begun at 18"),

    # --- diagnoses, as each register codes them ----------------------------------------------------------------
    Chart("cll-snomed-lisocabtagene", AT, (dx(CLL_SCT), given("ma-cart", "2025-11-18", BREYANZI), LOW),
          START, "2025-11-18", "2026-05-18", 118),
    Chart("all-sks-brexucabtagene-recorded-twice", AT,
          (dx(ALL_SKS), proc("proc-cart", "2025-11-18", BOQX1), given("ma-cart", "2025-11-18", TECARTUS), LOW),
          START, "2025-11-18", "2026-05-18", 118),
    Chart("myeloma-icd10cm-idecabtagene", AT, (dx(MYELOMA_CM), given("ma-cart", "2025-11-18", ABECMA), LOW),
          START, "2025-11-18", "2026-05-18", 118),
    Chart("lymphoma-snomed-glofitamab", AT,
          (dx(LYMPHOMA_SCT), doses("glofit", GLOFIT, "2025-11-10", 21, "2026-01-12"), LOW),
          START, "2025-11-10", "2026-05-10", 110),
    Chart("sle-cd19-cart-no-malignancy", AT,
          (dx(SLE), proc("proc-cart", "2025-11-18", BOQX1), given("ma-cart", "2025-11-18", KYMRIAH), LOW), (),
          why="[policy] require: CD19 CAR-T in lupus is outside the supplement"),
    Chart("myeloma-entered-in-error-lymphoma-confirmed", AT,
          (dx(MYELOMA, ver="entered-in-error", rid="dx-wrong"), dx(DLBCL), proc("proc-cart", "2025-11-18", BOQX1),
           LOW),
          START, "2025-11-18", "2026-05-18", 118),

    # --- a death in the history ----------------------------------------------------------------------------------
    Chart("deceased-the-day-after", "2026-05-09",
          (*cart(), igg("igg-1", "2025-12-10", 2.8), ivig("ivig", "2025-12-15")), ("stop-due-soon",),
          "2025-11-18", "2026-05-18", 9, pt=patient(deceasedDateTime="2026-05-10T06:15:00+02:00")),
    Chart("deceased-that-day", "2026-05-10",
          (*cart(), igg("igg-1", "2025-12-10", 2.8), ivig("ivig", "2025-12-15")), (),
          pt=patient(deceasedDateTime="2026-05-10T06:15:00+02:00")),
]

BY_NAME = {c.name: c for c in CHARTS}


def test_the_chart_set_is_large_and_named_once() -> None:
    assert len(CHARTS) >= 40 and len(BY_NAME) == len(CHARTS)


def code(card: dict[str, Any]) -> str:
    return str(card["source"]["topic"]["code"])


def text(card: dict[str, Any]) -> str:
    return f"{card['summary']}\n{card.get('detail', '')}"


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_patient_view(chart: Chart) -> None:
    answer = replay(RUNTIME, chart.bundle(), at=date.fromisoformat(chart.at))
    cards = answer.cards
    assert tuple(code(c) for c in cards) == chart.codes, ([c["summary"] for c in cards], chart.why)
    assert all(len(c["summary"]) <= 140 for c in cards)
    if not cards:
        return
    values = answer.advice[0].values
    if chart.t0:
        assert values.get("t0") == date.fromisoformat(chart.t0), (values.get("t0"), chart.why)
        assert chart.t0 in text(cards[0])
    if chart.stop:
        assert values.get("stop_date") == date.fromisoformat(chart.stop)
    if chart.left is not None:
        assert values.get("days_to_stop") == chart.left
        if chart.codes[0] in SHOWS_DAYS_LEFT:
            assert f"({chart.left} days left)" in text(cards[0])
    elif chart.stop:
        assert not values.get("in_window"), values
    for words in chart.says:
        assert words in text(cards[0]), text(cards[0])
    for words in chart.says_not:
        assert words not in text(cards[0]) and words not in [code(c) for c in cards], text(cards[0])


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_danish_cards_say_the_same(chart: Chart) -> None:
    at = date.fromisoformat(chart.at)
    en, da = replay(RUNTIME, chart.bundle(), at=at).cards, replay(RUNTIME, chart.bundle(), at=at, lang="da").cards
    assert [code(c) for c in da] == [code(c) for c in en]
    assert [c["indicator"] for c in da] == [c["indicator"] for c in en]
    if da and chart.t0:
        assert chart.t0 in text(da[0])
    if da and chart.left is not None and chart.codes[0] in SHOWS_DAYS_LEFT:
        assert f"({chart.left} dage tilbage)" in text(da[0])


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_worklist_row_and_timeline_day_agree(chart: Chart) -> None:
    day = date.fromisoformat(chart.at)
    b = chart.bundle()
    view = replay(RUNTIME, b, at=day)
    rows = evaluate_patient_resources([e["resource"] for e in b["entry"]], day, RUNTIME)
    assert [r.code for r in rows] == [code(c) for c in view.cards]
    assert [(r.t0, r.stop_date) for r in rows] == [(a.values.get("t0"), a.values.get("stop_date"))
                                                   for a in view.advice]
    data = patient_data(b, RUNTIME)
    timeline = build_timeline(data, RUNTIME, end=day, today=day)
    in_force = [s for s in timeline.changes if s.day <= day]
    assert (in_force[-1].codes if in_force else []) == [code(c) for c in view.cards]
    if in_force:
        assert in_force[-1].key == state_on(data, RUNTIME, day).key, in_force[-1].day


@pytest.mark.parametrize("chart", [c for c in CHARTS if c.hooks is not None], ids=lambda c: c.name)
def test_every_hook_says_the_same(chart: Chart) -> None:
    """§4: children get the individual-assessment card in every hook, never the adult thresholds."""
    at = date.fromisoformat(chart.at)
    for hook in ("order-select", "order-sign"):
        answer = replay(RUNTIME, chart.bundle(), hook=hook, drafts=[ivig_draft(chart.at)], at=at)
        assert tuple(code(c) for c in answer.cards) == chart.hooks, hook


# ---- the timeline across a history: T0 moves on the day of a new index event --------------------------------------

HISTORIES: list[tuple[str, list[tuple[str, tuple[str, ...], str | None]]]] = [
    # (chart, [(day, patient-view codes that day, T0 that day)])
    ("cart-reinfusion-months-later", [("2025-04-06", (), None), ("2025-05-20", ("measure-igg",), "2025-04-07"),
                                      ("2025-09-14", ("measure-igg",), "2025-04-07"),
                                      ("2025-09-15", ("measure-igg",), "2025-09-15"),
                                      ("2026-01-13", START, "2025-09-15"), ("2026-03-15", NO_START, "2025-09-15")]),
    ("bsab-ordered-first-dose-given-late", [("2025-10-12", (), None), ("2025-10-20", ("measure-igg",), "2025-10-13"),
                                            ("2025-10-27", ("measure-igg",), "2025-10-27"),
                                            ("2025-11-10", START, "2025-10-27")]),
    ("teclistamab-paused-126-days-new-course", [("2025-03-01", ("measure-igg",), "2025-01-13"),
                                                ("2025-07-12", ("measure-igg",), "2025-01-13"),
                                                ("2025-07-31", (), None),
                                                ("2025-08-01", ("measure-igg",), "2025-08-01"),
                                                ("2025-09-25", START, "2025-08-01")]),
    ("teclistamab-new-course-ig-began-before-it", [("2025-05-01", ("stop-planned",), "2025-01-13"),
                                                   ("2025-07-14", ("stop-overdue",), "2025-01-13"),
                                                   ("2025-08-01", ("general-stop-review",), "2025-08-01")]),
    ("teclistamab-to-talquetamab-on-ig", [("2025-04-01", ("stop-planned",), "2025-02-03"),
                                          ("2025-06-16", ("general-stop-review",), "2025-06-16")]),
    ("cart-relapse-glofitamab-after-special-stop", [("2025-03-01", ("stop-planned",), "2025-01-15"),
                                                    ("2025-07-10", ("stop-due-soon",), "2025-01-15"),
                                                    ("2025-12-01", ("measure-igg",), "2025-12-01"),
                                                    ("2026-01-12", START, "2025-12-01")]),
    ("deceased-the-day-after", [("2026-05-09", ("stop-due-soon",), "2025-11-18"), ("2026-05-10", (), None),
                                ("2026-06-01", (), None)]),
]


@pytest.mark.parametrize(("name", "days"), HISTORIES, ids=[h[0] for h in HISTORIES])
def test_the_timeline_follows_the_history(name: str, days: list[tuple[str, tuple[str, ...], str | None]]) -> None:
    chart = BY_NAME[name]
    data = patient_data(chart.bundle(), RUNTIME)
    last = date.fromisoformat(days[-1][0])
    timeline = build_timeline(data, RUNTIME, end=last, today=last)
    for day_text, codes, t0 in days:
        day = date.fromisoformat(day_text)
        answered = answer_on(data, RUNTIME, day)
        assert tuple(a.code for a in answered.advice) == codes, day
        assert (answered.advice[0].values.get("t0") if answered.advice else None) == (
            date.fromisoformat(t0) if t0 else None), day
        in_force = [s for s in timeline.changes if s.day <= day]
        assert tuple(in_force[-1].codes if in_force else ()) == codes, day
        if t0 and day == date.fromisoformat(t0):  # a new index event is a change on its own day
            assert any(s.day == day for s in timeline.changes), day


@pytest.mark.parametrize(("lang", "line", "prose"), [
    ("en", "- New course of teclistamab after a 130-day pause (T0) 2025-08-01",
     "Within 6 months of the new course of teclistamab on 2025-08-01"),
    ("da", "- Nyt forløb med teclistamab efter 130 dages pause (T0) 2025-08-01",
     "Inden for 6 måneder efter opstart af et nyt forløb med teclistamab 2025-08-01")])
def test_a_new_course_of_a_drug_given_before_is_not_called_its_start(lang: str, line: str, prose: str) -> None:
    """Clinical rules §6: the card gives the facts it used so a clinician can check the reasoning. Teclistamab was
    started in January; T0 2025-08-01 is the [policy] new course after more than 90 days without a dose. The card
    said 'Start of teclistamab (T0) 2025-08-01', which the clinician who started it in January reads as wrong."""
    chart = BY_NAME["teclistamab-paused-126-days-new-course"]
    for name in (chart.name, "teclistamab-new-course-ig-began-before-it"):
        c = BY_NAME[name]
        [card] = replay(RUNTIME, c.bundle(), at=date.fromisoformat(c.at), lang=lang).cards
        assert line in card["detail"].split("\n"), card["detail"]
    [card] = replay(RUNTIME, chart.bundle(), at=date.fromisoformat(chart.at), lang=lang).cards
    assert prose in card["detail"]
