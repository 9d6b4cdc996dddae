"""Codes as hospitals send them (clinical rules §5, §7 first bullet; terminology.md).

Four plain clinical stories, each told many times over with ONE coding variation per chart, for every kind of
record the rules read: the index therapy (Procedure, MedicationAdministration, MedicationRequest,
MedicationStatement), the diagnosis, the infections (Condition, Encounter diagnosis), the IgG result, the culture
and the immunoglobulin order or administration.

- IN: DLBCL, CAR-T 2025-11-18, IgG 3.2 g/L on 2026-03-10; read on 2026-03-18: start (stop date 2026-05-18, 61 days).
- AFTER: the same patient on 2026-08-20 (after the window), IgG 3.5 g/L on 2026-08-10 and two verified bacterial
  pneumonias (2026-06-10, 2026-07-20): the general criteria are met.
- VIRAL: as AFTER but the two pneumonias are viral: a start is not recommended.
- ON_IG: IgG 3.0 g/L on 2025-12-15, IVIG from 2025-12-20; read on 2026-05-10: the stop attempt is due (8 days).

ICD-10 and SKS codes match by prefix, whatever the dot, the case, a trailing space or the form of the system URI;
SNOMED CT entries match their descendants through the shipped expansion; a code that matches nothing where it could
matter is not dropped silently: the card's data notes name it. Each chart says, before it was run, what the
clinician should read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cds_service.tools.timeline import build_timeline, patient_data
from cds_service.tools.worklist import evaluate_patient_resources

RUNTIME = load_runtime(Settings())
PID = "pt-codes"
ME = {"reference": f"Patient/{PID}"}
SKS = "urn:oid:1.2.208.176.2.4"
SKS_D = "urn:oid:1.2.208.176.2.4.12"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10_OID = "urn:oid:2.16.840.1.113883.6.3"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10_DA = "http://hl7.dk/fhir/core/CodeSystem/icd10-da"
SCT = "http://snomed.info/sct"
SCT_OID = "urn:oid:2.16.840.1.113883.6.96"
SCT_DK = "http://snomed.info/sct/554471000005108"
ATC = "http://www.whocc.no/atc"
ATC_OID = "urn:oid:2.16.840.1.113883.6.73"
NPU = "http://npu-terminology.org"
NPU_MEDCOM = "urn:oid:1.2.208.176.2.1"
LOINC = "http://loinc.org"
LOINC_OID = "urn:oid:2.16.840.1.113883.6.1"
LOCAL = "urn:oid:1.2.208.176.2.99"  # a site's own catalogue: codes no value set holds
VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CLIN = "http://terminology.hl7.org/CodeSystem/condition-clinical"

Resource = dict[str, Any]


def cc(*codings: dict[str, Any], text: str | None = None) -> Resource:
    c: Resource = {}
    if codings:
        c["coding"] = list(codings)
    if text:
        c["text"] = text
    return c


def co(system: str | None, code: str | None, display: str | None = None, version: str | None = None) -> Resource:
    return {k: v for k, v in (("system", system), ("code", code), ("display", display), ("version", version)) if v}


def patient() -> Resource:
    return {"resourceType": "Patient", "id": PID, "gender": "female", "birthDate": "1958-09-03",
            "identifier": [{"use": "official", "system": "urn:oid:1.2.208.176.1.2", "value": "0309581234"}]}


def condition(rid: str, code: Resource, onset: str = "2024-05-02", **extra: Any) -> Resource:
    return {"resourceType": "Condition", "id": rid, "subject": ME, "onsetDateTime": onset,
            "clinicalStatus": {"coding": [{"system": CLIN, "code": "active"}]},
            "verificationStatus": {"coding": [{"system": VER, "code": "confirmed"}]}, "code": code, **extra}


DLBCL = cc(co(SKS_D, "DC833", "Diffust storcellet B-celle lymfom"))


def dx(code: Resource = DLBCL) -> Resource:
    return condition("dx", code)


def cart_proc(code: Resource | None = None, day: str = "2025-11-18T10:30:00+01:00") -> Resource:
    return {"resourceType": "Procedure", "id": "proc-cart", "status": "completed", "subject": ME,
            "code": code or cc(co(SKS, "BOQX1", "Behandling med CAR-T-celler")), "performedDateTime": day}


def given(rid: str, med: Resource, day: str, status: str = "completed") -> Resource:
    return {"resourceType": "MedicationAdministration", "id": rid, "status": status, "subject": ME,
            "medicationCodeableConcept": med, "effectiveDateTime": day}


def ordered(rid: str, med: Resource, start: str, end: str | None = None, status: str = "active") -> Resource:
    bounds = {"start": start, **({"end": end} if end else {})}
    return {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order", "subject": ME,
            "authoredOn": start, "medicationCodeableConcept": med,
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": bounds}}}]}


def statement(rid: str, med: Resource, start: str, status: str = "active") -> Resource:
    return {"resourceType": "MedicationStatement", "id": rid, "status": status, "subject": ME,
            "medicationCodeableConcept": med, "effectivePeriod": {"start": start}}


def igg(rid: str, when: str, value: float, code: Resource | None = None) -> Resource:
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": ME,
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": code or cc(co(NPU, "NPU19814", "P-Immunglobulin G; massek. = ? g/L")),
            "effectiveDateTime": when,
            "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}


def culture(when: str, code: Resource, organism: str = "112283007") -> Resource:
    return {"resourceType": "Observation", "id": f"cult-{when}", "status": "final", "subject": ME,
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": code, "effectiveDateTime": when,
            "valueCodeableConcept": {"coding": [{"system": SCT, "code": organism, "display": "Escherichia coli"}]}}


def bundle(resources: list[Resource]) -> Resource:
    flat = [patient(), *resources]
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"https://fhir.sp.regionh.example.dk/api/FHIR/R4/{r['resourceType']}/{r['id']}",
                       "resource": r} for r in flat]}


# ---- the four stories -----------------------------------------------------------------------------------------------

IN_AT, AFTER_AT, ON_IG_AT = "2026-03-18", "2026-08-20", "2026-05-10"
START = ("start-substitution",)
MEET = ("start-meets-general-criteria",)
NOT = ("no-start-without-infections",)
DUE = ("stop-due-soon",)
UNRECOGNISED = ("therapy-not-recognised",)
IVIG = cc(co(ATC, "J06BA02", "Privigen (immunglobulin, normal human, i.v.)"))


def story_in(*, therapy: Resource | None = None, diagnosis: Resource | None = None,
             result: Resource | None = None) -> list[Resource]:
    return [diagnosis or dx(), therapy or cart_proc(), result or igg("igg", "2026-03-10", 3.2)]


def pneumonia(rid: str, onset: str, code: Resource) -> Resource:
    return condition(rid, code, onset)


def story_after(first: Resource, second: Resource | None = None, *extra: Resource,
                result: Resource | None = None) -> list[Resource]:
    """`first` and `second` are the two infection codes (second defaults to first)."""
    return [dx(), cart_proc(), result or igg("igg", "2026-08-10", 3.5),
            pneumonia("inf-1", "2026-06-10", first), pneumonia("inf-2", "2026-07-20", second or first), *extra]


def story_on_ig(order: Resource) -> list[Resource]:
    return [dx(), cart_proc(), igg("igg", "2025-12-15", 3.0), order]


@dataclass(frozen=True)
class Chart:
    name: str
    at: str
    resources: list[Resource]
    codes: tuple[str, ...]  # patient-view advice codes, in order; (): no card
    says: tuple[str, ...] = ()  # in the English card (summary, detail) of the first card
    says_da: tuple[str, ...] = ()  # in the Danish card
    says_not: tuple[str, ...] = ()
    why: str = ""


def in_window(name: str, codes: tuple[str, ...] = START, **kw: Any) -> Chart:
    says = kw.pop("says", ("3.2 g/L", "2026-05-18", "(61 days left)") if codes == START else ())
    if codes == START:
        kw.setdefault("says_da", ("3,2 g/L", "2026-05-18", "(61 dage tilbage)"))
    return Chart(name, IN_AT, story_in(**{k: kw.pop(k) for k in ("therapy", "diagnosis", "result") if k in kw}),
                 codes, says=says, **kw)


def after(name: str, codes: tuple[str, ...], first: Resource, second: Resource | None = None, *extra: Resource,
          **kw: Any) -> Chart:
    return Chart(name, AFTER_AT, story_after(first, second, *extra, result=kw.pop("result", None)), codes, **kw)


def on_ig(name: str, order: Resource, codes: tuple[str, ...] = DUE, **kw: Any) -> Chart:
    return Chart(name, ON_IG_AT, story_on_ig(order), codes, **kw)


J151 = cc(co(ICD10, "J15.1", "Pneumonia due to Pseudomonas"))
VIRAL_SCT = cc(co(SCT, "75570004", "Viral pneumonia"))
TEC = "Tecvayli (teclistamab)"

CHARTS: list[Chart] = [
    # --- index therapy -------------------------------------------------------------------------------------------
    in_window("cart-sks-lower-case", therapy=cart_proc(cc(co(SKS, "boqx1", "Behandling med CAR-T-celler")))),
    in_window("cart-sks-trailing-space", therapy=cart_proc(cc(co(SKS, "BOQX1 ", "Behandling med CAR-T-celler"))),
              why="a space after the code once dropped the infusion as unusable data: no card at all"),
    in_window("cart-snomed-danish-edition-version",
              therapy=cart_proc(cc(co(SCT, "1156961008", "Chimeric antigen receptor T-cell immunotherapy",
                                      version=SCT_DK)))),
    in_window("cart-snomed-oid-system",
              therapy=cart_proc(cc(co(SCT_OID, "1156961008", "Chimeric antigen receptor T-cell immunotherapy")))),
    in_window("cart-local-code-first-sks-second",
              therapy=cart_proc(cc(co(LOCAL, "PRC-4711", "CAR-T infusion (lokal)"),
                                   co(SKS, "BOQX1", "Behandling med CAR-T-celler")))),
    in_window("cart-procedure-text-only", UNRECOGNISED, therapy=cart_proc(cc(text="CAR-T celle infusion")),
              says=("2025-11-18",), why="a name is not a code: named, the criteria not applied"),
    in_window("cart-product-atc-oid-system",
              therapy=given("ma-cart", cc(co(ATC_OID, "L01XL03", "Yescarta")), "2025-11-18")),
    in_window("cart-product-atc-group-level-only", UNRECOGNISED,
              therapy=given("ma-cart", cc(co(ATC, "L01XL", "CAR-T og andre celle-/genterapier")), "2025-11-18"),
              why="L01XL also holds talimogene, tabelecleucel...: a CAR-T is not known from the group; named"),
    in_window("cart-atc-code-under-snomed-system", UNRECOGNISED,
              therapy=given("ma-cart", cc(co(SCT, "L01XL04", "Kymriah")), "2025-11-18"),
              why="a known code under the wrong system is not that code: named, not applied"),
    in_window("bsab-order-atc-lower-case",
              therapy=ordered("mr-tec", cc(co(ATC, "l01fx24", TEC)), "2025-11-18")),
    in_window("bsab-order-local-first-atc-second",
              therapy=ordered("mr-tec", cc(co(LOCAL, "TEC-10MG", TEC), co(ATC, "L01FX24", TEC)), "2025-11-18")),
    in_window("bsab-administration-atc-oid",
              therapy=given("ma-tec", cc(co(ATC_OID, "L01FX32", "Elrexfio (elranatamab)")), "2025-11-18")),
    in_window("bsab-statement-atc", therapy=statement("ms-tal", cc(co(ATC, "L01FX29", "Talvey (talquetamab)")),
                                                      "2025-11-18"),
              why="a MedicationStatement of a bsAb says the course started on its effective start"),
    in_window("bsab-atc-level-l01fx-only", (),
              therapy=ordered("mr-x", cc(co(ATC, "L01FX", "Andre monoklonale antistoffer")), "2025-11-18"),
              why="second reading: L01FX holds many antibodies that are not bispecific (a question for the "
                  "clinicians); no index event, no card"),
    # --- diagnosis -----------------------------------------------------------------------------------------------
    in_window("dx-icd10-oid-system", diagnosis=dx(cc(co(ICD10_OID, "C83.3", "Diffuse large B-cell lymphoma")))),
    in_window("dx-icd10-pipe-version-canonical",
              diagnosis=dx(cc(co(f"{ICD10}|2019", "C83.3", "Diffuse large B-cell lymphoma")))),
    in_window("dx-sks-lower-case-trailing-space", diagnosis=dx(cc(co(SKS_D, "dc833 ", "Diffust storcellet")))),
    in_window("dx-sks-danish-sub-code", diagnosis=dx(cc(co(SKS_D, "DC833E", "Plasmablastisk lymfom")))),
    in_window("dx-icd10-da-system", diagnosis=dx(cc(co(ICD10_DA, "C83.3", "Diffust storcellet B-celle lymfom")))),
    in_window("dx-snomed-descendant-dlbcl",
              diagnosis=dx(cc(co(SCT, "109969005", "Diffuse non-Hodgkin's lymphoma, large cell")))),
    in_window("dx-icd10-code-under-snomed-system", ("malignancy-not-recognised",),
              diagnosis=dx(cc(co(SCT, "C83.3", "Diffuse large B-cell lymphoma"))),
              says=("Diffuse large B-cell lymphoma", "C83.3 (SNOMED)"),
              why="second reading (I expected no card): the diagnosis named like a malignancy is named, criteria off"),
    # --- IgG -----------------------------------------------------------------------------------------------------
    in_window("igg-loinc-oid-system", result=igg("igg", "2026-03-10", 3.2, cc(co(LOINC_OID, "2465-3")))),
    in_window("igg-npu-medcom-oid", result=igg("igg", "2026-03-10", 3.2, cc(co(NPU_MEDCOM, "NPU19814")))),
    in_window("igg-npu-code-in-loinc-system", ("measure-igg",),
              says=("“P-Immunglobulin G” (2026-03-10) was not recognised by its code: not used",),
              says_da=("P-Immunglobulin G",),
              result=igg("igg", "2026-03-10", 3.2, cc(co(LOINC, "NPU19814", "P-Immunglobulin G")))),
    in_window("igg-loinc-code-without-system", ("measure-igg",),
              result=igg("igg", "2026-03-10", 3.2, cc(co(None, "2465-3", "IgG SerPl-mCnc")))),
    in_window("igg-text-only", ("measure-igg",), result=igg("igg", "2026-03-10", 3.2, cc(text="P-Immunglobulin G"))),
    # --- infections after the window -------------------------------------------------------------------------
    after("inf-icd10-dotted-twice", MEET, J151),
    after("inf-icd10-undotted-oid-system", MEET, cc(co(ICD10_OID, "J151"))),
    after("inf-sks-lower-case", MEET, cc(co(SKS_D, "dj151"))),
    after("inf-sks-trailing-space", MEET, cc(co(SKS_D, "DJ151 ")), says=("2026-06-10", "2026-07-20"),
          says_not=("unusable",), why="a space after the code once dropped both infections as unusable data"),
    after("inf-icd10-parent-level-j15", MEET, cc(co(ICD10, "J15", "Bacterial pneumonia, not elsewhere classified"))),
    after("inf-sks-d-code-under-sks-root", MEET, cc(co(SKS, "DJ151"))),
    after("inf-icd10-cm-child-level", MEET, cc(co(ICD10_CM, "J15.211", "Pneumonia due to MSSA"))),
    after("inf-icd10-pipe-version", MEET, cc(co(f"{ICD10}|2019", "J15.1")), says=("2026-06-10", "2026-07-20")),
    after("inf-snomed-descendant-in-expansion", MEET, cc(co(SCT, "22754005", "Staphylococcal pneumonia"))),
    after("inf-snomed-oid-system-descendant", MEET, cc(co(SCT_OID, "22754005", "Staphylococcal pneumonia"))),
    after("inf-snomed-parent-not-descendant", NOT, cc(co(SCT, "312342009", "Infective pneumonia")),
          why="an infective pneumonia is not a bacterial one (no culture): not counted, but named"),
    after("inf-viral-twice", NOT, VIRAL_SCT),
    after("inf-local-first-sks-second", MEET, cc(co(LOCAL, "PNEU-B", "Lungebetændelse, bakteriel"),
                                                 co(SKS_D, "DJ151"))),
    after("inf-display-only-coding", NOT, cc(co(None, None, "Bakteriel lungebetændelse")),
          why="no code: not counted, named"),
    after("inf-text-only", NOT, cc(text="Pneumokok-pneumoni"), why="no code: not counted, named"),
    after("inf-icd10-code-under-snomed-system", NOT, cc(co(SCT, "J15.1", "Pneumonia due to Pseudomonas")),
          says=("“Pneumonia due to Pseudomonas” and 1 more: codes not recognised",),
          why="a known code under the wrong system: not counted, named"),
    after("inf-viral-and-bacterial-codes-on-one-condition", MEET,
          cc(co(SCT, "75570004", "Viral pneumonia"), co(ICD10, "J15.9", "Bacterial pneumonia, unspecified")),
          says=("2 infections are coded both bacterial and viral or fungal: counted as bacterial; check their coding",),
          why="question: two codings that disagree (a co-infection or a coding error): counted by the bacterial code, "
              "named"),
    after("inf-j18-culture-loinc-oid", MEET, cc(co(SKS_D, "DJ189", "Pneumoni UNS")), None,
          culture("2026-06-11", cc(co(LOINC_OID, "600-7"))), culture("2026-07-21", cc(co(LOINC_OID, "600-7")))),
    # --- immunoglobulin orders ---------------------------------------------------------------------------------
    on_ig("ig-order-atc-level-j06ba", ordered("mr-ig", cc(co(ATC, "J06BA", "Immunglobuliner, normale humane")),
                                             "2025-12-20")),
    on_ig("ig-order-atc-oid", ordered("mr-ig", cc(co(ATC_OID, "J06BA02", "Privigen")), "2025-12-20")),
    on_ig("ig-order-lower-case", ordered("mr-ig", cc(co(ATC, "j06ba01", "Hizentra")), "2025-12-20")),
    # a space inside an ATC code, no display: was matched by nothing and dropped in silence, so a patient on IVIG
    # read "Ig may be started" 8 days before the stop date
    on_ig("ig-order-inner-space-no-display", ordered("mr-ig", cc(co(ATC, "J06 BA02")), "2025-12-20")),
    on_ig("ig-order-local-first-atc-second", ordered("mr-ig", cc(co(LOCAL, "IG-20", "Hizentra 200 mg/ml"),
                                                                co(ATC, "J06BA01", "Hizentra")), "2025-12-20")),
    on_ig("ig-statement", statement("ms-ig", IVIG, "2025-12-20")),
    on_ig("ig-order-atc-under-snomed-system", ordered("mr-ig", cc(co(SCT, "J06BA02", "Privigen")), "2025-12-20"),
          START, says=("J06BA02 \\(SNOMED\\) (ordered 2025-12-20; wrong code system) may be Ig the patient is on: check first; "
                       "no Ig order offered.",),
          says_da=("J06BA02", "kan være Ig, patienten får"),
          why="not recognised as substitution: the start card must name the order it did not count, and that the "
              "patient may be on substitution (its name alone said neither)"),
]

MYELOMA = cc(co(SKS_D, "DC900", "Myelomatose"))


def m_protein(code: Resource, value: float = 4.0) -> Resource:
    return {**igg("mp", "2026-03-10", value, code), "id": "mp"}


def myeloma(*extra: Resource) -> list[Resource]:
    return [dx(MYELOMA), cart_proc(), igg("igg", "2026-03-10", 7.0), *extra]


def ig_doses(med: Resource) -> list[Resource]:
    days = ("2025-12-20", "2026-01-17", "2026-02-14", "2026-03-14", "2026-04-11", "2026-05-09")
    return [given(f"ma-ig-{n}", med, f"{d}T10:00:00+01:00") for n, d in enumerate(days)]


SCT_EDITION_AS_SYSTEM = SCT_DK  # the Danish edition's URI sent as the system (it belongs in Coding.version)

CHARTS += [
    # --- second round ---------------------------------------------------------------------------------------------
    in_window("cart-snomed-edition-uri-as-system",
              therapy=cart_proc(cc(co(SCT_EDITION_AS_SYSTEM, "1156961008", "CAR-T-celle immunterapi")))),
    after("inf-snomed-edition-uri-as-system", MEET, cc(co(SCT_EDITION_AS_SYSTEM, "22754005", "Stafylokokpneumoni"))),
    in_window("igg-npu-lower-case", result=igg("igg", "2026-03-10", 3.2, cc(co(NPU, "npu19814", "P-Immunglobulin G")))),
    in_window("igg-npu-without-system", ("measure-igg",),
              result=igg("igg", "2026-03-10", 3.2, cc(co(None, "NPU19814", "P-Immunglobulin G; massek. = ? g/L"))),
              says=("“P-Immunglobulin G; massek", "(2026-03-10) was not recognised by its code"),
              why="an NPU code with no system is not read (the card names it); a question whether it should be"),
    in_window("igg-total-and-subclass-codes-on-one-result", ("measure-igg",),
              result=igg("igg", "2026-03-10", 3.2, cc(co(NPU, "NPU19814", "P-Immunglobulin G"),
                                                      co(NPU, "NPU19817", "P-Immunglobulin G1"))),
              says=("“P-Immunglobulin G” (2026-03-10) carries codes that disagree",),
              says_da=("“P-Immunglobulin G” (2026-03-10) har koder, der modsiger hinanden",),
              why="one result coded both total IgG and IgG1 (a code the IgG set excludes) says two things: not used, "
                  "named"),
    Chart("m-protein-igg-kappa-medcom-oid", IN_AT,
          myeloma(m_protein(cc(co(NPU_MEDCOM, "NPU28638", "P-Immunglobulin G(kappa; monoklonalt)")))), START,
          says=("7.0", "3.0")),
    Chart("m-protein-igg-kappa-trailing-space", IN_AT,
          myeloma(m_protein(cc(co(NPU, "NPU28638 ", "P-Immunglobulin G(kappa; monoklonalt)")))), START,
          says=("7.0", "3.0")),
    Chart("m-protein-npu-code-in-loinc-system", IN_AT,
          myeloma(m_protein(cc(co(LOINC, "NPU28638", "P-Immunglobulin G(kappa; monoklonalt)")))),
          ("paraprotein-type-unknown",), says=("7.0 g/L", "M-protein of 2026-03-10 not used", "M-protein result"),
          why="second reading: the M-protein under the wrong system is not used; the card names that result, taken "
              "with the IgG, as what to look up: it may be most of the total"),
    Chart("ig-administrations-every-4-weeks-lower-case", ON_IG_AT,
          [*story_on_ig(ig_doses(cc(co(ATC, "j06ba02", "Privigen")))[0]), *ig_doses(cc(co(ATC, "j06ba02", "Privigen")))[1:]],
          DUE),
    on_ig("ig-atc-in-sks-m-form", ordered("mr-ig", cc(co(SKS, "MJ06BA02", "Privigen")), "2025-12-20"),
          why="SKS's main group M is ATC: MJ06BA02 is J06BA02 (an order so coded was a start card for a patient on Ig)"),
    on_ig("ig-atc-in-sks-m-form-no-display", ordered("mr-ig", cc(co(SKS, "mj06ba02")), "2025-12-20")),
    in_window("bsab-rxnorm-blinatumomab",
              therapy=given("ma-blina", cc(co("http://www.nlm.nih.gov/research/umls/rxnorm", "1597258",
                                              "blinatumomab")), "2025-11-18")),
    after("inf-j18-culture-code-trailing-space", MEET, cc(co(SKS_D, "DJ189", "Pneumoni UNS")), None,
          culture("2026-06-11", cc(co(LOINC, "600-7 "))), culture("2026-07-21", cc(co(LOINC, "600-7 ")))),
    after("inf-icd10-system-trailing-space", MEET, cc(co(ICD10 + " ", "J15.1"))),
    in_window("dx-sks-leading-space", diagnosis=dx(cc(co(SKS_D, " DC833", "Diffust storcellet B-celle lymfom")))),
    after("inf-icd10-code-under-snomed-system-no-display", NOT, cc(co(SCT, "J15.1")),
          says=("J15.1 \\(SNOMED\\) and 1 more: codes the value sets hold only under another code system",),
          says_da=("som værdisættene kun har under et andet kodesystem",),
          why="a known code under the wrong system with no text was passed over in silence"),
    in_window("igg-loinc-code-under-npu-system", ("measure-igg",),
              result=igg("igg", "2026-03-10", 3.2, cc(co(NPU, "2465-3"))),
              says=("(2026-03-10) has the code 2465-3 \\(NPU\\), which the value sets hold only under another code "
                    "system: not used",)),
    Chart("unrelated-drug-is-not-named", IN_AT,
          [*story_in(), ordered("mr-ppi", cc(co(ATC, "A02BC01", "Omeprazol")), "2025-10-01")], START,
          says_not=("another code system",)),
    after("inf-snomed-viral-sepsis-sibling", NOT, cc(co(SCT, "770349000", "Sepsis caused by virus")),
          says=("2 viral or fungal infections were not counted",)),
    # --- second reader: a CAR-T code under the wrong known system must not leave the patient without a card --------
    in_window("cart-sks-code-under-snomed-system-no-display", UNRECOGNISED,
              therapy=cart_proc(cc(co(SCT, "BOQX1"))),
              says=("BOQX1 \\(SNOMED\\), which the value sets hold only under another code system",
                    "The code BOQX1 was sent under http\\://snomed\\.info/sct", "a code of SKS",
                    "Have the code system corrected on the record in the EHR"),
              says_da=("som værdisættene kun har under et andet kodesystem", "er sendt under http\\://snomed\\.info/sct",
                       "SKS-kode", "Få kodesystemet rettet på registreringen i EPJ"),
              says_not=("add the code system", "reads no therapy in", "tilføje kodesystemet"),
              why="the CAR-T infusion coded BOQX1 under SNOMED CT, no text: no card at all (the note had no card); "
                  "then a card asking to add SNOMED CT, which the service reads: the fix is the record's system"),
    in_window("cart-sks-code-under-snomed-edition-uri-no-display", UNRECOGNISED,
              therapy=cart_proc(cc(co(SCT_DK, "BOQX1"))),
              says=("BOQX1 \\(SNOMED\\), which the value sets hold only under another code system",
                    "a code of SKS", "Have the code system corrected on the record in the EHR"),
              says_da=("SKS-kode", "Få kodesystemet rettet på registreringen i EPJ"),
              says_not=("add the code system", "reads no therapy in", "tilføje kodesystemet"),
              why="before the edition URI was read as SNOMED CT this chart got the unknown-system therapy card; after, "
                  "no card at all"),
    after("inf-danish-extension-concept-under-edition-uri-no-display", NOT,
          cc(co(SCT_DK, "1234561000005103")),  # shaped as an id of the Danish extension's namespace: in no value set
          says=("1234561000005103 \\(http\\://snomed\\.info/sct/554471000005108\\), in a code system not",),
          why="named (code-system-unknown) before the edition URI was read as SNOMED CT; then passed over in silence"),
    Chart("cart-recognised-beside-a-wrong-system-copy", IN_AT,
          [*story_in(), {**cart_proc(cc(co(SCT, "BOQX1"))), "id": "proc-cart-2"}], START,
          says=("3.2 g/L", "2026-05-18"),
          why="a recognised infusion is the index event: the wrong-system copy makes no therapy card"),
]

BY_NAME = {c.name: c for c in CHARTS}


def code(card: dict[str, Any]) -> str:
    return str(card["source"]["topic"]["code"])


def text(card: dict[str, Any]) -> str:
    return f"{card['summary']}\n{card.get('detail', '')}"


def test_the_chart_set_is_large_and_named_once() -> None:
    assert len(CHARTS) >= 30 and len(BY_NAME) == len(CHARTS)


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_patient_view(chart: Chart) -> None:
    cards = replay(RUNTIME, bundle(chart.resources), at=date.fromisoformat(chart.at)).cards
    assert tuple(code(c) for c in cards) == chart.codes, ([c["summary"] for c in cards], chart.why)
    for words in chart.says:
        assert words in text(cards[0]), text(cards[0])
    for words in chart.says_not:
        assert all(words not in text(c) for c in cards)


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_danish_cards_say_the_same(chart: Chart) -> None:
    at = date.fromisoformat(chart.at)
    en = replay(RUNTIME, bundle(chart.resources), at=at).cards
    da = replay(RUNTIME, bundle(chart.resources), at=at, lang="da").cards
    assert [code(c) for c in da] == [code(c) for c in en]
    assert [c["indicator"] for c in da] == [c["indicator"] for c in en]
    for words in chart.says_da:
        assert words in text(da[0]), text(da[0])
    for words in chart.says_not:
        assert all(words not in text(c) for c in da)


ENTRANCES = ("cart-sks-trailing-space", "bsab-order-atc-lower-case", "dx-icd10-pipe-version-canonical",
             "dx-sks-lower-case-trailing-space", "dx-icd10-code-under-snomed-system", "igg-npu-code-in-loinc-system",
             "inf-sks-trailing-space", "inf-icd10-pipe-version", "inf-snomed-parent-not-descendant",
             "inf-viral-and-bacterial-codes-on-one-condition", "ig-order-lower-case", "ig-order-atc-under-snomed-system",
             "cart-snomed-edition-uri-as-system", "igg-npu-lower-case", "m-protein-npu-code-in-loinc-system",
             "bsab-atc-level-l01fx-only", "inf-icd10-code-under-snomed-system-no-display",
             "cart-sks-code-under-snomed-system-no-display", "cart-sks-code-under-snomed-edition-uri-no-display")


@pytest.mark.parametrize("chart", [BY_NAME[n] for n in ENTRANCES], ids=lambda c: c.name)
def test_worklist_row_and_timeline_day_agree(chart: Chart) -> None:
    day = date.fromisoformat(chart.at)
    b = bundle(chart.resources)
    view = replay(RUNTIME, b, at=day)
    rows = evaluate_patient_resources([e["resource"] for e in b["entry"]], day, RUNTIME)
    assert [r.code for r in rows] == [code(c) for c in view.cards]
    timeline = build_timeline(patient_data(b, RUNTIME), RUNTIME, end=day, today=day)
    in_force = [s for s in timeline.changes if s.day <= day]
    assert (in_force[-1].codes if in_force else []) == [code(c) for c in view.cards]


def test_a_code_with_spaces_around_it_leaves_its_record_usable() -> None:
    """The CAR-T infusion coded "BOQX1 " was rejected as invalid FHIR and the patient got no card at all."""
    from cds_service.fhir.validation import full_validity

    padded = cart_proc(cc(co(SKS, " BOQX1 ", "Behandling med CAR-T-celler")))
    assert full_validity(padded).fatal is None
    assert padded["code"]["coding"][0]["code"] == " BOQX1 "  # the resource as sent is not changed
    inner = cart_proc(cc(co(SKS, "BO  QX1")))  # two spaces inside a code are still not a FHIR code
    assert full_validity(inner).fatal is not None


@pytest.mark.parametrize(("system", "code", "valueset"), [
    (f"{ICD10}|2019", "J15.1", "bacterial-infection"),
    (f"{SKS_D}|2026", "DJ151", "bacterial-infection"),
    (f"{SCT_DK}/version/20250930", "22754005", "bacterial-infection"),
    (ATC, "l01fx24", "bispecific-b-pc"),
    (ATC, " J06BA02", "immunoglobulin-substitution"),
    (NPU_MEDCOM, "npu19814", "igg-serum"),
    (ATC, "J06 BA02", "immunoglobulin-substitution"),  # a space inside: ATC, NPU, ICD-10 and SKS codes hold none
    (SKS_D, "DJ 151", "bacterial-infection"),
    (ICD10, "J15. 1", "bacterial-infection"),
    (NPU, "NPU 19814", "igg-serum"),
])
def test_a_code_as_hospitals_spell_it_is_in_its_value_set(system: str, code: str, valueset: str) -> None:
    assert RUNTIME.terminology.lookup(valueset, system, code) is not None


@pytest.mark.parametrize(("system", "code", "valueset"), [
    (SCT, "J15.1", "bacterial-infection"),  # a known code under the wrong system
    (LOINC, "NPU19814", "igg-serum"),
    (ATC, "L01FX", "bispecific-b-pc"),  # the ATC group holds antibodies that are not bispecific
    (ATC, "J06B", "immunoglobulin-substitution"),  # immune sera and specific immunoglobulins too
    (SCT, "312342009", "bacterial-infection"),  # infective pneumonia: a parent, not a descendant
])
def test_a_code_that_is_not_in_the_value_set_stays_out(system: str, code: str, valueset: str) -> None:
    assert RUNTIME.terminology.lookup(valueset, system, code) is None


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize("med", [cc(co(ATC, "J06BA02 ", "Privigen")), cc(co(ATC, "j06ba02", "Privigen")),
                                 cc(co(f"{ATC}|2024", "J06BA02", "Privigen")), cc(co(ATC, "J06 BA02"))],
                         ids=["space", "lower", "pipe", "inner-space-no-display"])
def test_a_draft_ig_order_coded_as_hospitals_spell_it_is_judged(hook: str, med: Resource) -> None:
    """IgG 3.2 g/L 4 months after CAR-T: the IVIG draft meets the start criterion. A padded code was refused with
    400 ('not valid FHIR R4'); a lower-case or versioned one gave 'Order not checked'."""
    draft = {**ordered("draft-ig", med, IN_AT), "status": "draft"}
    cards = replay(RUNTIME, bundle(story_in()), hook=hook, drafts=[draft], at=date.fromisoformat(IN_AT)).cards
    assert [code(c) for c in cards] == ["order-meets-criteria"]
    assert "2026-05-18" in text(cards[0])
