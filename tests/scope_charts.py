"""Charts for the scope acceptance set (who the rules apply to and from when: guideline §4, §4.1; clinical rules §1,
§2, §5, §7), shaped as a Danish hospital EHR sends them. Each chart names, before it was run, what a clinician
should read per the guideline: the patient-view advice codes, text the summary must carry, and the order-sign
advice for an IVIG draft starting on the evaluation day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PID = "pt-scope"
CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"
CPR = "0102781234"
UUID = "urn:uuid:6f1c2b8e-3a51-4b7e-9d0c-8a2f5e4d7c10"
SKS = "urn:oid:1.2.208.176.2.4.12"  # SKS-D: diagnoses
SKS_PROC = "urn:oid:1.2.208.176.2.4"  # SKS: procedures/treatments
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SCT = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
NPU = "http://npu-terminology.org"
LOINC = "http://loinc.org"
VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CLIN = "http://terminology.hl7.org/CodeSystem/condition-clinical"

Ref = dict[str, Any]
ME: Ref = {"reference": f"Patient/{PID}"}


def patient(birth: str | None = "1958-02-01", **extra: Any) -> dict[str, Any]:
    p: dict[str, Any] = {"resourceType": "Patient", "id": PID, "gender": "female",
                         "identifier": [{"use": "official", "system": CPR_SYSTEM, "value": CPR}],
                         "name": [{"family": "Mortensen", "given": ["Birthe"]}]}
    if birth is not None:
        p["birthDate"] = birth
    p.update(extra)
    return p


def condition(rid: str, system: str, code: str, text: str, ver: str = "confirmed", subject: Ref = ME,
              clinical: str = "active", onset: str = "2024-03-01") -> dict[str, Any]:
    return {"resourceType": "Condition", "id": rid, "subject": subject, "onsetDateTime": onset,
            "clinicalStatus": {"coding": [{"system": CLIN, "code": clinical}]},
            "verificationStatus": {"coding": [{"system": VER, "code": ver}]},
            "code": {"coding": [{"system": system, "code": code, "display": text}], "text": text}}


def dlbcl(**kw: Any) -> dict[str, Any]:
    return condition("dx-dlbcl", SKS, "DC833", "Diffust storcellet B-celle lymfom", **kw)


def myeloma_icd(**kw: Any) -> dict[str, Any]:
    return condition("dx-mm", ICD10, "C90.0", "Multiple myeloma", **kw)


def car_t(day: str | None = "2025-11-18", status: str = "completed", rid: str = "proc-cart", subject: Ref = ME,
          code: tuple[str, str] = (SKS_PROC, "BOQX1"), period_start: str | None = None) -> dict[str, Any]:
    p: dict[str, Any] = {"resourceType": "Procedure", "id": rid, "status": status, "subject": subject,
                         "code": {"coding": [{"system": code[0], "code": code[1],
                                              "display": "Behandling med CAR-T-celler"}]}}
    if day is not None:
        p["performedDateTime"] = day
    if period_start is not None:
        p["performedPeriod"] = {"start": period_start}
    return p


def car_t_admin(day: str, atc: str = "L01XL05", text: str = "Carvykti (ciltacabtagene autoleucel)",
                rid: str = "ma-cart", status: str = "completed", system: str = ATC) -> dict[str, Any]:
    return {"resourceType": "MedicationAdministration", "id": rid, "status": status, "subject": ME,
            "effectiveDateTime": day,
            "medicationCodeableConcept": {"coding": [{"system": system, "code": atc, "display": text}], "text": text}}


def drug_request(rid: str, atc: str, text: str, status: str = "active", authored: str | None = None,
                 start: str | None = None, end: str | None = None, subject: Ref = ME) -> dict[str, Any]:
    r: dict[str, Any] = {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order",
                         "subject": subject,
                         "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc, "display": text}],
                                                       "text": text}}
    if authored:
        r["authoredOn"] = authored
    if start or end:
        bounds = {k: v for k, v in (("start", start), ("end", end)) if v}
        r["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": bounds}}}]
    return r


def drug_admin(rid: str, atc: str, text: str, day: str, status: str = "completed",
               request: str | None = None) -> dict[str, Any]:
    a: dict[str, Any] = {"resourceType": "MedicationAdministration", "id": rid, "status": status, "subject": ME,
                         "effectiveDateTime": day,
                         "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc, "display": text}],
                                                       "text": text}}
    if request:
        a["request"] = {"reference": f"MedicationRequest/{request}"}
    return a


TEC = ("L01FX24", "Tecvayli (teclistamab)")
ELR = ("L01FX32", "Elrexfio (elranatamab)")
GLOF = ("L01FX28", "Columvi (glofitamab)")
IVIG = ("J06BA02", "Privigen (immunglobulin, normal human, i.v.)")


def igg(rid: str, when: str, value: float, subject: Ref = ME, issued: str | None = None,
        code: tuple[str, str] = (NPU, "NPU19814")) -> dict[str, Any]:
    o: dict[str, Any] = {"resourceType": "Observation", "id": rid, "status": "final", "subject": subject,
                         "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                                   "code": "laboratory"}]}],
                         "code": {"coding": [{"system": code[0], "code": code[1],
                                              "display": "P-Immunglobulin G; stofk. = ? g/L"}]},
                         "effectiveDateTime": when,
                         "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org",
                                           "code": "g/L"}}
    if issued:
        o["issued"] = issued
    return o


def ivig_draft(start: str) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "draft-ivig", "status": "draft", "intent": "order",
            "subject": ME, "authoredOn": start,
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": IVIG[0], "display": IVIG[1]}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": start}}}}]}


def bundle(*resources: dict[str, Any], pt: dict[str, Any] | None = None,
           full_urls: dict[str, str] | None = None) -> dict[str, Any]:
    pat = pt if pt is not None else patient()
    urls = full_urls or {}
    entries = []
    for r in (pat, *resources):
        key = f"{r['resourceType']}/{r['id']}"
        entries.append({"fullUrl": urls.get(key, f"https://fhir.sp.regionh.example.dk/api/FHIR/R4/{key}"),
                        "resource": r})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


@dataclass(frozen=True)
class Chart:
    name: str
    at: str
    resources: tuple[dict[str, Any], ...]
    expected: tuple[str, ...]  # patient-view advice codes
    order: tuple[str, ...]  # order-sign advice codes for an IVIG draft starting on `at`
    says: tuple[str, ...] = ()  # text in the (English) summaries
    pt: dict[str, Any] | None = None
    full_urls: dict[str, str] = field(default_factory=dict)
    policy: dict[str, Any] = field(default_factory=dict)
    local_valuesets: dict[str, Any] = field(default_factory=dict)  # file name -> a site's local value-set file
    why: str = ""

    def bundle(self) -> dict[str, Any]:
        return bundle(*self.resources, pt=self.pt, full_urls=self.full_urls)


BASE = (dlbcl(), car_t("2025-11-18"), igg("igg-1", "2026-01-13T09:12:00+01:00", 3.2))
START = ("start-substitution",)
MEETS = ("order-meets-criteria",)
NOT_MET = ("order-does-not-meet-criteria",)
CHILD = ("child-individual-assessment",)


def theirs(resource: dict[str, Any], other: str = "pt-other") -> dict[str, Any]:
    r = dict(resource)
    r["subject"] = {"reference": f"Patient/{other}"}
    r["id"] = resource["id"] + "-other"
    return r


CHARTS: list[Chart] = [
    # --- baseline ------------------------------------------------------------------------------------------
    Chart("adult-baseline", "2026-01-20", BASE, START, MEETS, ("3.2 g/L", "2026-05-18"),
          why="§4.1: < 6 months after CAR-T, IgG < 4 -> start; stop date T0 + 6 months"),

    # --- children (§4; clinical rules §1: under 18 at T0) ---------------------------------------------------
    Chart("child-17-at-t0-18-now", "2026-04-01", BASE, CHILD, CHILD, pt=patient("2008-02-10"),
          why="17 at T0 2025-11-18, 18 on 2026-02-10: stays a child's course, one info card"),
    Chart("child-16-at-t0", "2026-01-20", BASE, CHILD, CHILD, pt=patient("2009-06-30")),
    Chart("child-turns-18-day-after-t0", "2026-01-20", BASE, CHILD, CHILD, pt=patient("2007-11-19"),
          why="17 on T0 2025-11-18 (birthday the next day)"),
    Chart("adult-18th-birthday-on-t0", "2026-01-20", BASE, START, MEETS, ("3.2 g/L",), pt=patient("2007-11-18"),
          why="18 on the day of the infusion: an adult"),
    Chart("child-year-only-certainly-under-18", "2026-01-20", BASE, CHILD, CHILD, pt=patient("2009"),
          why="born in 2009: at most 16 at T0"),
    Chart("adult-year-only-certainly-18", "2026-01-20", BASE, START, MEETS, pt=patient("2006"),
          why="born in 2006: at least 18 at T0 2025-11-18"),
    Chart("child-year-month-certainly-under-18", "2026-01-20", BASE, CHILD, CHILD, pt=patient("2007-12"),
          why="born December 2007: 17 at T0 2025-11-18"),
    Chart("adult-year-month-certainly-18", "2026-01-20", BASE, START, MEETS, pt=patient("2007-10"),
          why="born October 2007: 18 at T0 2025-11-18"),
    Chart("child-on-teclistamab", "2026-01-20",
          (myeloma_icd(), drug_request("mr-tec", *TEC, authored="2025-10-20", start="2025-11-03"),
           drug_admin("ma-tec-1", *TEC, "2025-11-03T10:00:00+01:00", request="mr-tec"),
           igg("igg-1", "2026-01-13", 2.1)), CHILD, CHILD, pt=patient("2010-05-05")),
    Chart("adult-no-birthdate", "2026-01-20", BASE, START, MEETS, ("3.2 g/L",), pt=patient(None),
          why="no birthDate: the guideline's adult rules, nothing says child"),

    # --- deceased (clinical rules §7) ----------------------------------------------------------------------
    Chart("deceased-boolean", "2026-01-20", BASE, (), (), pt=patient(deceasedBoolean=True)),
    Chart("deceased-boolean-false", "2026-01-20", BASE, START, MEETS, pt=patient(deceasedBoolean=False)),
    Chart("deceased-before-evaluation", "2026-01-20", BASE, (), (),
          pt=patient(deceasedDateTime="2026-01-16T04:10:00+01:00")),
    Chart("deceased-on-evaluation-day", "2026-01-20", BASE, (), (),
          pt=patient(deceasedDateTime="2026-01-20T03:00:00+01:00")),
    Chart("deceased-after-evaluation", "2026-01-20", BASE, START, MEETS,
          pt=patient(deceasedDateTime="2026-01-25T14:00:00+01:00"), why="replay before the death: alive then"),
    Chart("deceased-just-after-midnight-local", "2026-01-16", BASE, (), (),
          pt=patient(deceasedDateTime="2026-01-15T23:30:00Z"),
          why="23:30Z is 00:30 on 2026-01-16 in Copenhagen: dead on the 16th"),

    # --- diagnosis (clinical rules §1, §7) ------------------------------------------------------------------
    Chart("dx-icd10-dotted", "2026-01-20",
          (condition("dx", ICD10, "C83.3", "Diffuse large B-cell lymphoma"), *BASE[1:]), START, MEETS),
    Chart("dx-icd10-undotted", "2026-01-20",
          (condition("dx", ICD10, "C833", "Diffuse large B-cell lymphoma"), *BASE[1:]), START, MEETS),
    Chart("dx-sks-myeloma-teclistamab", "2026-01-20",
          (condition("dx", SKS, "DC900", "Myelomatose"),
           drug_request("mr-tec", *TEC, authored="2025-10-20", start="2025-11-03"),
           drug_admin("ma-tec-1", *TEC, "2025-11-03T10:00:00+01:00", request="mr-tec"),
           igg("igg-1", "2026-01-13", 2.1)), START, MEETS, ("2.1 g/L", "2026-05-03")),
    Chart("dx-snomed-light-chain-myeloma-elranatamab", "2026-01-20",
          (condition("dx", SCT, "414553000", "Kappa light chain myeloma"),
           drug_admin("ma-elr-1", *ELR, "2025-11-03T10:00:00+01:00"),
           igg("igg-1", "2026-01-13", 2.1)), START, MEETS, ("2026-05-03",)),
    Chart("dx-snomed-myeloma-in-remission", "2026-01-20",
          (condition("dx", SCT, "94704006", "Multiple myeloma in remission"),
           drug_admin("ma-elr-1", *ELR, "2025-11-03T10:00:00+01:00"),
           igg("igg-1", "2026-01-13", 2.1)), START, MEETS),
    Chart("dx-lupus-teclistamab", "2026-01-20",
          (condition("dx", ICD10, "M32.1", "Systemic lupus erythematosus with organ involvement"),
           drug_admin("ma-tec-1", *TEC, "2025-11-03T10:00:00+01:00"),
           igg("igg-1", "2026-01-13", 2.1)), (), (),
          why="teclistamab in autoimmune disease: the supplement does not apply"),
    Chart("dx-myasthenia-cd19-car-t", "2026-01-20",
          (condition("dx", SKS, "DG700", "Myasthenia gravis"), car_t_admin("2025-11-18", "L01XL03", "Yescarta"),
           igg("igg-1", "2026-01-13", 3.2)), (), ()),
    Chart("dx-malignancy-entered-in-error", "2026-01-20",
          (dlbcl(ver="entered-in-error"), *BASE[1:]), (), ()),
    Chart("dx-malignancy-refuted-lupus-confirmed", "2026-01-20",
          (dlbcl(ver="refuted"), condition("dx-sle", SKS, "DM321", "Systemisk lupus erythematosus"), *BASE[1:]),
          (), ()),
    Chart("dx-lupus-and-lymphoma", "2026-01-20",
          (condition("dx-sle", SKS, "DM321", "Systemisk lupus erythematosus"), *BASE), START, MEETS),
    Chart("dx-none-assume", "2026-01-20", BASE[1:], START, MEETS, ("3.2 g/L",),
          policy={"malignancy_requirement": "assume"}),
    Chart("dx-none-require", "2026-01-20", BASE[1:], (), ()),

    # --- T0 (clinical rules §2, §5) -------------------------------------------------------------------------
    Chart("t0-procedure-in-progress", "2026-01-20", (dlbcl(), car_t("2025-11-18", status="in-progress"), BASE[2]),
          ("therapy-undated",), ("therapy-undated",), ("is not recorded as given (in progress)",),
          why="a Procedure never closed dates no T0 (§5: a completed one does); the card asks whether it was given"),
    Chart("t0-procedure-not-done", "2026-01-20", (dlbcl(), car_t("2025-11-18", status="not-done"), BASE[2]), (), ()),
    Chart("t0-procedure-entered-in-error", "2026-01-20",
          (dlbcl(), car_t("2025-11-18", status="entered-in-error"), BASE[2]), (), ()),
    Chart("t0-car-t-administration", "2026-01-20",
          (myeloma_icd(), car_t_admin("2025-11-18T13:40:00+01:00"), igg("igg-1", "2026-01-13", 3.2)),
          START, MEETS, ("2026-05-18",)),
    Chart("t0-car-t-administration-not-done", "2026-01-20",
          (myeloma_icd(), car_t_admin("2025-11-18T13:40:00+01:00", status="not-done"),
           igg("igg-1", "2026-01-13", 3.2)), (), ()),
    Chart("t0-car-t-only-ordered", "2026-01-20",
          (dlbcl(), drug_request("mr-yescarta", "L01XL03", "Yescarta", authored="2025-10-01", start="2025-11-18"),
           igg("igg-1", "2026-01-13", 3.2)), (), (), why="an order is not an infusion"),
    Chart("t0-bsab-first-administration-not-order", "2026-04-20",
          (myeloma_icd(), drug_request("mr-tec", *TEC, authored="2025-10-01", start="2025-10-10"),
           drug_admin("ma-tec-1", *TEC, "2025-10-28T09:00:00+01:00", request="mr-tec"),
           drug_admin("ma-tec-2", *TEC, "2025-10-31T09:00:00+01:00", request="mr-tec"),
           igg("igg-1", "2026-04-15", 3.0)), START, MEETS, ("2026-04-28",),
          why="T0 = first dose 2025-10-28, not the order's 2025-10-10: still in the window on 2026-04-20"),
    Chart("t0-bsab-order-only", "2026-01-20",
          (myeloma_icd(), drug_request("mr-tec", *TEC, authored="2025-10-01", start="2025-10-10"),
           igg("igg-1", "2026-01-13", 3.0)), START, MEETS, ("2026-04-10",)),
    Chart("t0-bsab-order-authored-only", "2026-01-20",
          (myeloma_icd(), drug_request("mr-tec", *TEC, authored="2025-10-01"),
           igg("igg-1", "2026-01-13", 3.0)), START, MEETS, ("2026-04-01",)),
    Chart("t0-bsab-draft-order-only", "2026-01-20",
          (myeloma_icd(), drug_request("mr-tec", *TEC, status="draft", authored="2025-10-01", start="2025-10-10"),
           igg("igg-1", "2026-01-13", 3.0)), (), ()),
    Chart("t0-bsab-cancelled-order-only", "2026-01-20",
          (myeloma_icd(), drug_request("mr-tec", *TEC, status="cancelled", authored="2025-10-01", start="2025-10-10"),
           igg("igg-1", "2026-01-13", 3.0)), (), ()),
    Chart("t0-bsab-gap-89-resumption", "2025-08-01",
          (myeloma_icd(), drug_admin("ma-1", *TEC, "2025-01-10"), drug_admin("ma-2", *TEC, "2025-03-01"),
           drug_admin("ma-3", *TEC, "2025-05-29"), igg("igg-1", "2025-07-25", 3.0)),
          ("no-start-without-infections",), NOT_MET, why="89 days: a resumption, T0 stays 2025-01-10"),
    Chart("t0-bsab-gap-90-resumption", "2025-08-01",
          (myeloma_icd(), drug_admin("ma-1", *TEC, "2025-01-10"), drug_admin("ma-2", *TEC, "2025-03-01"),
           drug_admin("ma-3", *TEC, "2025-05-30"), igg("igg-1", "2025-07-25", 3.0)),
          ("no-start-without-infections",), NOT_MET, why="90 days: 'within the gap' -> resumption"),
    Chart("t0-bsab-gap-91-new-course", "2025-08-01",
          (myeloma_icd(), drug_admin("ma-1", *TEC, "2025-01-10"), drug_admin("ma-2", *TEC, "2025-03-01"),
           drug_admin("ma-3", *TEC, "2025-05-31"), igg("igg-1", "2025-07-25", 3.0)),
          START, MEETS, ("2025-11-30",), why="91 days: a new course, T0 2025-05-31"),
    Chart("t0-car-t-after-bsab", "2026-01-20",
          (myeloma_icd(), drug_admin("ma-tec-1", *TEC, "2025-03-01"),
           car_t_admin("2025-09-01", "L01XL07", "Abecma (idecabtagene vicleucel)"), igg("igg-1", "2026-01-13", 3.0)),
          START, MEETS, ("2026-03-01",)),
    Chart("t0-bsab-after-car-t", "2026-01-20",
          (dlbcl(), car_t("2025-01-10"), drug_admin("ma-glof-1", *GLOF, "2025-10-01"), igg("igg-1", "2026-01-13", 3.0)),
          START, MEETS, ("2026-04-01",)),
    Chart("t0-car-t-other-target", "2026-01-20",
          (dlbcl(), car_t_admin("2025-11-18", "L01XL99", "anti-CD7 CAR-T (forsoegsprodukt)", system="urn:oid:1.2.208.176.2.99"),
           igg("igg-1", "2026-01-13", 3.2)), ("therapy-not-recognised",), ("therapy-not-recognised",),
          why="a CAR-T named by a code no value set holds: the criteria were not applied, and the card says so"),
    Chart("t0-bsab-order-start-no-day", "2026-01-20",
          (myeloma_icd(), drug_request("mr-tec", *TEC, authored="2025-09-20", start="2025-10"),
           igg("igg-1", "2026-01-13", 3.0)), ("therapy-undated",), ("therapy-undated",),
          why="a first dose in 'October 2025' places no window (service choice; see the report's question)"),
    Chart("t0-near-midnight-dst", "2025-09-30",
          (dlbcl(), car_t("2025-03-31T23:30:00+01:00"), igg("igg-1", "2025-09-25", 3.0)),
          START, MEETS, ("2025-10-01",),
          why="23:30+01:00 on 31 March 2025 is 00:30 CEST on 1 April in Copenhagen: T0 2025-04-01"),
    Chart("t0-near-midnight-utc", "2026-01-20",
          (dlbcl(), car_t("2025-11-17T23:30:00Z"), igg("igg-1", "2026-01-13", 3.2)),
          START, MEETS, ("2026-05-18",)),

    # --- patient identity (clinical rules §7) ---------------------------------------------------------------
    Chart("id-urn-uuid-references", "2026-01-20",
          (dlbcl(subject={"reference": UUID}), car_t("2025-11-18", subject={"reference": UUID}),
           igg("igg-1", "2026-01-13", 3.2, subject={"reference": UUID})), START, MEETS, ("3.2 g/L",),
          full_urls={f"Patient/{PID}": UUID}),
    Chart("id-identifier-references", "2026-01-20",
          (dlbcl(subject={"identifier": {"system": CPR_SYSTEM, "value": CPR}}),
           car_t("2025-11-18", subject={"identifier": {"system": CPR_SYSTEM, "value": CPR}}),
           igg("igg-1", "2026-01-13", 3.2, subject={"identifier": {"system": CPR_SYSTEM, "value": CPR}})),
          START, MEETS, ("3.2 g/L",)),
    Chart("id-other-patients-igg-and-car-t", "2026-01-20",
          (dlbcl(), car_t("2025-11-18"), igg("igg-1", "2026-01-13", 4.6),
           theirs(igg("igg-2", "2026-01-18", 2.0)), theirs(car_t("2026-01-05"))),
          ("general-criteria-igg-under-6",), NOT_MET, ("4.6 g/L",)),
    Chart("id-other-patients-diagnosis-only", "2026-01-20",
          (theirs(dlbcl()), car_t("2025-11-18"), igg("igg-1", "2026-01-13", 3.2)), (), ()),
    Chart("id-other-identifier-value", "2026-01-20",
          (*BASE[:2], igg("igg-1", "2026-01-13", 4.6),
           igg("igg-2", "2026-01-18", 2.0, subject={"identifier": {"system": CPR_SYSTEM, "value": "0303031111"}})),
          ("general-criteria-igg-under-6",), NOT_MET, ("4.6 g/L",)),

    # --- "as of" (clinical rules §5) ------------------------------------------------------------------------
    Chart("asof-before-t0", "2025-11-10", (*BASE, igg("igg-0", "2025-11-01", 2.5)), (), (),
          why="the infusion on 2025-11-18 had not happened"),
    Chart("asof-on-t0", "2025-11-18", (*BASE[:2], igg("igg-0", "2025-11-01", 2.5)), ("measure-igg",),
          NOT_MET, why="in the window, no IgG since T0 (the baseline does not count): an Ig order is not yet supported"),
    Chart("asof-before-result-known", "2026-01-14",
          (*BASE[:2], igg("igg-1", "2026-01-13T09:12:00+01:00", 3.2, issued="2026-01-15T11:00:00+01:00")),
          START, MEETS,
          why="sampled 01-13, reported 01-15: 'as of' filters by the date a result is dated (clinical rules §5), "
              "not the day it was reported (question for the clinicians in the report)"),
    Chart("asof-result-known", "2026-01-15",
          (*BASE[:2], igg("igg-1", "2026-01-13T09:12:00+01:00", 3.2, issued="2026-01-15T11:00:00+01:00")),
          START, MEETS),
    Chart("asof-ivig-ordered-later", "2026-01-20",
          (*BASE, drug_request("mr-ivig", *IVIG, authored="2026-01-22", start="2026-01-25")), START, MEETS,
          why="an IVIG order written after the evaluation date is not known yet"),
]


ABS = {"reference": f"https://fhir.sp.regionh.example.dk/api/FHIR/R4/Patient/{PID}"}
VERSIONED = {"reference": f"Patient/{PID}/_history/3"}


def no_verification(resource: dict[str, Any]) -> dict[str, Any]:
    r = dict(resource)
    del r["verificationStatus"]
    return r


MORE_SCOPE: list[Chart] = [
    Chart("child-year-only-ambiguous", "2026-01-20", BASE, CHILD, CHILD, pt=patient("2007"),
          why="born in 2007: 17 or 18 at T0 2025-11-18"),
    Chart("child-year-month-ambiguous", "2026-01-20", BASE, CHILD, CHILD, pt=patient("2007-11"),
          why="born November 2007: 17 or 18 at T0 2025-11-18"),
    Chart("child-ig-active-past-stop-date", "2026-06-10",
          (*BASE, drug_request("mr-ivig", *IVIG, authored="2026-01-20", start="2026-01-21")), CHILD, CHILD,
          pt=patient("2008-02-10"), why="a child's course: no overdue stop warning on the adult rules"),
    Chart("child-deceased", "2026-01-20", BASE, (), (), pt=patient("2009-06-30", deceasedBoolean=True)),
    Chart("child-no-t0", "2026-01-20", (dlbcl(), BASE[2]), (), (), pt=patient("2009-06-30")),
    Chart("deceased-date-only", "2026-01-20", BASE, (), (), pt=patient(deceasedDateTime="2026-01-20")),
    Chart("dx-no-verification-status", "2026-01-20", (no_verification(dlbcl()), *BASE[1:]), START, MEETS),
    Chart("dx-provisional", "2026-01-20", (dlbcl(ver="provisional"), *BASE[1:]), START, MEETS),
    Chart("dx-icd10-da-system", "2026-01-20",
          (condition("dx", "http://hl7.dk/fhir/core/CodeSystem/icd10-da", "C83.3", "Diffust storcellet B-celle lymfom"),
           *BASE[1:]), START, MEETS),
    Chart("dx-sks-code-under-icd10-system", "2026-01-20",
          (condition("dx", ICD10, "DC833", "Lymfom"), *BASE[1:]), START, MEETS,
          why="an SKS diagnosis sent under the ICD-10 system (Danish EHRs do) is its ICD-10 code C83.3"),
    Chart("dx-who-icd10-oid", "2026-01-20",
          (condition("dx", "urn:oid:2.16.840.1.113883.6.3", "C83.3", "Lymfom"), *BASE[1:]), START, MEETS,
          why="the WHO ICD-10 OID is ICD-10"),
    Chart("dx-sks-subcode", "2026-01-20",
          (condition("dx", SKS, "DC833A", "Diffust storcellet B-celle lymfom, subtype"), *BASE[1:]), START, MEETS),
    Chart("dx-waldenstrom-c88", "2026-01-20",
          (condition("dx", ICD10, "C88.0", "Waldenstrom macroglobulinaemia"), *BASE[1:]), START, MEETS),
    Chart("dx-snomed-igg-myeloma", "2026-01-20",
          (condition("dx", SCT, "285421005", "Immunoglobulin G myeloma"),
           drug_admin("ma-elr-1", *ELR, "2025-11-03T10:00:00+01:00"), igg("igg-1", "2026-01-13", 2.1)), START, MEETS),
    Chart("dx-mgus-only-teclistamab", "2026-01-20",
          (condition("dx", ICD10, "D47.2", "Monoclonal gammopathy"),
           drug_admin("ma-tec-1", *TEC, "2025-11-03T10:00:00+01:00"), igg("igg-1", "2026-01-13", 2.1)), (), ()),
    Chart("dx-diagnosed-after-evaluation", "2026-01-20", (dlbcl(onset="2026-02-01"), *BASE[1:]), (), (),
          why="as of 01-20 the diagnosis had not been made"),
    Chart("dx-resolved-lymphoma", "2026-01-20", (dlbcl(clinical="resolved"), *BASE[1:]), START, MEETS),
    Chart("t0-bsab-not-done-then-completed", "2026-04-20",
          (myeloma_icd(), drug_admin("ma-tec-0", *TEC, "2025-10-10", status="not-done"),
           drug_admin("ma-tec-e", *TEC, "2025-10-12", status="entered-in-error"),
           drug_admin("ma-tec-1", *TEC, "2025-10-28"), igg("igg-1", "2026-04-15", 3.0)), START, MEETS,
          ("2026-04-28",)),
    Chart("t0-bsab-order-stopped", "2026-01-20",
          (myeloma_icd(), drug_request("mr-tec", *TEC, status="stopped", authored="2025-10-01", start="2025-10-10",
                                       end="2025-12-01"), igg("igg-1", "2026-01-13", 3.0)), START, MEETS,
          ("2026-04-10",)),
    Chart("t0-bsab-order-on-hold", "2026-01-20",
          (myeloma_icd(), drug_request("mr-tec", *TEC, status="on-hold", authored="2025-10-01", start="2025-10-10"),
           igg("igg-1", "2026-01-13", 3.0)), START, MEETS, ("2026-04-10",)),
    Chart("t0-car-t-performed-period", "2026-01-20",
          (dlbcl(), car_t(None, period_start="2025-11-18T10:00:00+01:00"), BASE[2]), START, MEETS, ("2026-05-18",)),
    Chart("t0-car-t-then-same-bsab-course-continues", "2026-01-20",
          (myeloma_icd(), drug_admin("ma-tec-1", *TEC, "2025-06-01"), drug_admin("ma-tec-2", *TEC, "2025-09-20"),
           car_t_admin("2025-10-01", "L01XL05"), drug_admin("ma-tec-3", *TEC, "2025-11-15"),
           igg("igg-1", "2026-01-13", 3.0)), START, MEETS, ("2026-04-01",),
          why="the CAR-T is the most recent index event; teclistamab doses within the gap resume the old course"),
    Chart("t0-bsab-switch-drug", "2026-01-20",
          (myeloma_icd(), drug_admin("ma-tec-1", *TEC, "2025-05-01"), drug_admin("ma-tec-2", *TEC, "2025-09-20"),
           drug_admin("ma-tal-1", "L01FX29", "Talvey (talquetamab)", "2025-10-05"), igg("igg-1", "2026-01-13", 3.0)),
          START, MEETS, ("2026-04-05",), why="a new drug starts a new course"),
    Chart("id-absolute-reference", "2026-01-20",
          (dlbcl(subject=ABS), car_t("2025-11-18", subject=ABS), igg("igg-1", "2026-01-13", 3.2, subject=ABS)),
          START, MEETS),
    Chart("id-versioned-reference", "2026-01-20",
          (dlbcl(subject=VERSIONED), car_t("2025-11-18", subject=VERSIONED),
           igg("igg-1", "2026-01-13", 3.2, subject=VERSIONED)), START, MEETS),
    Chart("id-other-patient-urn-uuid", "2026-01-20",
          (*BASE[:2], igg("igg-1", "2026-01-13", 4.6),
           igg("igg-2", "2026-01-18", 2.0, subject={"reference": "urn:uuid:00000000-0000-4000-8000-000000000001"})),
          ("general-criteria-igg-under-6",), NOT_MET, ("4.6 g/L",), full_urls={f"Patient/{PID}": UUID}),
    Chart("asof-igg-same-day-as-t0-before-infusion", "2026-01-20",
          (dlbcl(), car_t("2025-11-18T14:00:00+01:00"), igg("igg-1", "2025-11-18T07:30:00+01:00", 3.2)),
          START, MEETS, why="sampled the morning of the infusion day: 'on or after T0' is by date (clinical rules "
                            "§3); question in the report"),
]


def undated(resource: dict[str, Any]) -> dict[str, Any]:
    r = dict(resource)
    r.pop("onsetDateTime", None)
    return r


def admin_period(rid: str, atc: str, text: str, start: str) -> dict[str, Any]:
    a = drug_admin(rid, atc, text, start)
    del a["effectiveDateTime"]
    a["effectivePeriod"] = {"start": start, "end": start}
    return a


MORE_T0: list[Chart] = [
    Chart("child-at-bsab-adult-at-later-car-t", "2026-04-01",
          (myeloma_icd(), drug_admin("ma-tec-1", *TEC, "2025-06-01"), car_t_admin("2026-03-01", "L01XL05"),
           igg("igg-1", "2026-03-25", 3.0)), START, MEETS, ("2026-09-01",), pt=patient("2008-02-10"),
          why="17 at the teclistamab start, 18 at the CAR-T: the most recent T0 decides"),
    Chart("deceased-month-only", "2026-01-20", BASE, (), (), pt=patient(deceasedDateTime="2026-01")),
    Chart("t0-bsab-admin-unlinked-to-order", "2026-04-20",
          (myeloma_icd(), drug_request("mr-tec", *TEC, authored="2025-10-01", start="2025-10-10"),
           drug_admin("ma-tec-1", *TEC, "2025-10-28T09:00:00+01:00"), igg("igg-1", "2026-04-15", 3.0)),
          START, MEETS, ("2026-04-28",)),
    Chart("t0-bsab-admin-period", "2026-01-20",
          (myeloma_icd(), admin_period("ma-tec-1", *TEC, "2025-11-03T09:00:00+01:00"),
           igg("igg-1", "2026-01-13", 3.0)), START, MEETS, ("2026-05-03",)),
    Chart("t0-bsab-orders-gap-from-end", "2025-08-01",
          (myeloma_icd(), drug_request("mr-1", *TEC, status="stopped", authored="2025-01-05", start="2025-01-10",
                                       end="2025-03-01"),
           drug_request("mr-2", *TEC, authored="2025-05-15", start="2025-05-20"), igg("igg-1", "2025-07-25", 3.0)),
          ("no-start-without-infections",), NOT_MET, why="80 days after the first order's end: a resumption"),
    Chart("dx-no-dates", "2026-01-20", (undated(dlbcl()), *BASE[1:]), START, MEETS),
    Chart("t0-procedure-undated", "2026-01-20", (dlbcl(), car_t(None), BASE[2]), ("therapy-undated",),
          ("therapy-undated",)),
    Chart("asof-igg-utc-evening-before-local-t0-day", "2026-01-20",
          (dlbcl(), car_t("2025-11-18T10:00:00+01:00"), igg("igg-1", "2025-11-17T23:30:00Z", 3.2)),
          START, MEETS, why="00:30 local on the day of the infusion"),
]


ASSUME = {"malignancy_requirement": "assume"}
ASSUMING: list[Chart] = [
    Chart("assume-lupus-teclistamab", "2026-01-20",
          (condition("dx", ICD10, "M32.1", "Systemic lupus erythematosus with organ involvement"),
           drug_admin("ma-tec-1", *TEC, "2025-11-03T10:00:00+01:00"), igg("igg-1", "2026-01-13", 2.1)), START, MEETS,
          policy=ASSUME, why="'assume' assumes whatever else the record holds (question in the report)"),
    Chart("assume-malignancy-refuted", "2026-01-20", (dlbcl(ver="refuted"), *BASE[1:]), START, MEETS, policy=ASSUME,
          why="as above (question in the report)"),
    Chart("assume-child", "2026-01-20", BASE[1:], CHILD, CHILD, pt=patient("2009-06-30"), policy=ASSUME),
    Chart("assume-with-malignancy", "2026-01-20", BASE, START, MEETS, policy=ASSUME),
]


# A site's local code for a CAR-T product directed at CD7 (a trial product): clinical rules §1, out of scope.
CD7_PRODUCT = {"car-t-product.json": {
    "id": "car-t-product", "title": "Local CAR-T products", "purpose": "trial products given at this site",
    "carried_on": {"ATC": ["MedicationAdministration.medication"]},
    "include": [{"system": "ATC", "code": "L01XL99", "display": "anti-CD7 CAR-T (trial product)", "source": "local",
                 "drug": "anti-CD7 CAR-T", "target": "CD7"}]}}
CD7_GIVEN = car_t_admin("2025-11-18", "L01XL99", "anti-CD7 CAR-T (forsoegsprodukt)", rid="ma-cd7")
TARGETS: list[Chart] = [
    Chart("target-cd7-local-product-only", "2026-01-20", (dlbcl(), CD7_GIVEN, igg("igg-1", "2026-01-13", 3.2)), (), (),
          local_valuesets=CD7_PRODUCT, why="§1: a CAR-T product with another target than CD19/BCMA is out of scope"),
    Chart("target-cd7-after-glofitamab", "2026-01-20",
          (dlbcl(), drug_admin("ma-glof-1", *GLOF, "2025-10-01"), CD7_GIVEN, igg("igg-1", "2026-01-13", 3.2)),
          START, MEETS, ("2026-04-01",), local_valuesets=CD7_PRODUCT,
          why="the CD7 CAR-T opens no window: T0 stays the glofitamab start, and the card names the CD7 product"),
    Chart("target-bcma-local-product", "2026-01-20",
          (dlbcl(), CD7_GIVEN, igg("igg-1", "2026-01-13", 3.2)), START, MEETS, ("2026-05-18",),
          local_valuesets={"car-t-product.json": {**CD7_PRODUCT["car-t-product.json"], "include": [
              {**CD7_PRODUCT["car-t-product.json"]["include"][0], "target": "BCMA"}]}},
          why="the same local code declared BCMA-directed: in scope"),
    Chart("target-cd22-local-product", "2026-01-20",
          (dlbcl(), CD7_GIVEN, igg("igg-1", "2026-01-13", 3.2)), START, MEETS, ("2026-05-18",),
          local_valuesets={"car-t-product.json": {**CD7_PRODUCT["car-t-product.json"], "include": [
              {**CD7_PRODUCT["car-t-product.json"]["include"][0], "target": "cd22"}]}},
          why="§4: CAR-T directed at a B-cell antigen is in scope, CD22 as much as CD19 (a site may write it in "
              "lower case)"),
    *(Chart(f"target-{name}-local-product", "2026-01-20",
            (dlbcl(), CD7_GIVEN, igg("igg-1", "2026-01-13", 3.2)), START, MEETS, ("2026-05-18",),
            local_valuesets={"car-t-product.json": {**CD7_PRODUCT["car-t-product.json"], "include": [
                {**CD7_PRODUCT["car-t-product.json"]["include"][0], "target": target}]}},
            why=f"§4: a product whose entry names {target!r} is directed at a B-cell or plasma-cell antigen: in scope")
      for name, target in (("cd19-cd22", "CD19/CD22"), ("bcma-x-cd19", "BCMAxCD19"), ("anti-cd19", "anti-CD19"),
                           ("fcrl5", "FCRL5"), ("cd7-cd19", "CD7, CD19"))),
    Chart("target-cd7-product-and-its-procedure", "2026-01-20",
          (dlbcl(), car_t("2025-11-18T10:40:00+01:00"), CD7_GIVEN, igg("igg-1", "2026-01-13", 3.2)), (), (),
          local_valuesets=CD7_PRODUCT,
          why="§4: the CAR-T procedure (BOQX1, no product) on the day the CD7 product was given is that infusion: "
              "it opened the window the CD7 note said was not opened"),
    Chart("target-cd7-cd33-local-product", "2026-01-20", (dlbcl(), CD7_GIVEN, igg("igg-1", "2026-01-13", 3.2)), (), (),
          local_valuesets={"car-t-product.json": {**CD7_PRODUCT["car-t-product.json"], "include": [
              {**CD7_PRODUCT["car-t-product.json"]["include"][0], "target": "CD7/CD33"}]}},
          why="§4: two targets, neither a B-cell or plasma-cell antigen: out of scope"),
]

# A site's local code for a bispecific: in scope when its target is a B-cell or plasma-cell antigen (guideline §4).
def local_bsab(target: str) -> dict[str, Any]:
    return {"bispecific-b-pc.json": {
        "id": "bispecific-b-pc", "title": "Local bispecifics", "purpose": "trial products given at this site",
        "carried_on": {"ATC": ["MedicationAdministration.medication", "MedicationRequest.medication"]},
        "include": [{"system": "ATC", "code": "L01FX99", "display": "local bispecific (trial product)",
                     "source": "local", "drug": "local bispecific", "target": target}]}}


LOCAL_BSAB_GIVEN = drug_admin("ma-bs-1", "L01FX99", "forsoegsprodukt (bispecifikt antistof)", "2025-11-18")
BSAB_TARGETS: list[Chart] = [
    Chart("bsab-target-cd33-local-product", "2026-01-20", (dlbcl(), LOCAL_BSAB_GIVEN, igg("igg-1", "2026-01-13", 3.2)),
          (), (), local_valuesets=local_bsab("CD33xCD3"),
          why="§4: a bsAb directed at CD33 (and CD3, the T-cell arm) is not B-cell or plasma-cell directed: out of scope"),
    Chart("bsab-target-bcma-local-product", "2026-01-20", (dlbcl(), LOCAL_BSAB_GIVEN, igg("igg-1", "2026-01-13", 3.2)),
          START, MEETS, ("2026-05-18",), local_valuesets=local_bsab("BCMAxCD3"),
          why="§4: a BCMA x CD3 bispecific is in scope"),
]

ALL_CHARTS: list[Chart] = [*CHARTS, *MORE_SCOPE, *MORE_T0, *ASSUMING, *TARGETS, *BSAB_TARGETS]
