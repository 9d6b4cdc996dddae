"""What a clinician sees when ordering (order-select, order-sign): acceptance charts written from the guideline.

Each chart is a bundle shaped like a Danish hospital EHR's (SKS, ICD-10, SNOMED, NPU, LOINC, ATC, product names;
orders, doses given, medication records, SKS procedures) and the drafts the clinician has on the order screen
on a fixed day. What the card should say was written down from Medicinrådet 2025 §4 before the chart was run:

- §4.1: inside the window [T0, T0 + 6 months) IgG < 4 g/L is enough; the course is to be stopped on the stop
  date, so a draft that runs past it is offered that end (never one before the draft's own start). From the stop
  date on, and for a restart (§4.3), IgG < 4 g/L with severe or recurrent *verified* bacterial infections.
- §4.2: substitution before T0, a restart, or a start because of such infections follows the general stop
  criteria (6-12 months after the start): no card or suggestion promises the stop date to those patients.
- §4 (children), scope (a haematological malignancy and a B-/plasma-cell directed CAR-T or bispecific), death.

The order cases of tests/order_cases.py (over real HTTP) are not repeated here; these run in process. Every
answer is checked in English and Danish, and against CDS Hooks 2.0.1 (suggestions act on a draft of this
request, valid FHIR, their end date named in the card's text). The chart without its drafts gives the same
patient-view answer as its worklist row and its timeline day.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from cds_service.errors import InputError
from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.tools.replay import replay, request_for
from cds_service.tools.timeline import build_timeline, patient_data, state_on
from cds_service.tools.worklist import evaluate_patient_resources

from .test_acceptance_stop import (ATC, CONFIRMED, ICD10, LOINC, NPU, PATIENT, RUNTIME, SCT, SKS, SKS_D, SUBJECT,
                                   bsab, car_t, diagnosis, ig_doses, ig_order, ig_procedures, ig_statement, igg,
                                   infection, patient)
from .test_order_hooks_acceptance import check_mechanics, suggested_end

Resource = dict[str, Any]
STOP = "2026-05-18"  # CAR-T 2025-11-18 + 6 months
CART = car_t("2025-11-18")
MEETS = ("order-meets-criteria", "info")
NOT_MET = ("order-does-not-meet-criteria", "warning")
PLAN = ("plan-igg-monitoring", "info")
CHILD = ("child-individual-assessment", "info")
UNCHECKED = ("order-not-recognised", "warning")
IVIG = {"coding": [{"system": ATC, "code": "J06BA02"}], "text": "Privigen 100 mg/ml"}
SCIG = {"coding": [{"system": ATC, "code": "J06BA01"}], "text": "Hizentra 200 mg/ml"}


def draft(rid: str, medication: dict[str, Any], start: str | None = None, end: str | None = None, *,
          authored: str = "2026-01-20", repeat: dict[str, Any] | None = None, status: str = "draft") -> Resource:
    out: Resource = {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order",
                     "subject": SUBJECT, "authoredOn": authored, "medicationCodeableConcept": medication}
    rep = dict(repeat or {})
    if start or end:
        rep["boundsPeriod"] = {k: v for k, v in (("start", start), ("end", end)) if v}
    if rep:
        out["dosageInstruction"] = [{"text": "efter protokol", "timing": {"repeat": rep}}]
    return out


def igg_lab(rid: str, day: str, code: dict[str, str] | None = None) -> Resource:
    return {"resourceType": "ServiceRequest", "id": rid, "status": "draft", "intent": "order", "subject": SUBJECT,
            "code": {"coding": [code or {"system": LOINC, "code": "2465-3"}]}, "authoredOn": day}


def m_protein(rid: str, day: str, value: float, isotype: str = "IgG kappa") -> Resource:
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": SUBJECT,
            "effectiveDateTime": day, "code": {"coding": [{"system": LOINC, "code": "33358-3"}], "text": "M-komponent"},
            "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"},
            "note": [{"text": isotype}], "interpretation": [{"text": isotype}]}


def immunofixation(rid: str, day: str, text: str = "IgG kappa") -> Resource:
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": SUBJECT, "effectiveDateTime": day,
            "code": {"coding": [{"system": NPU, "code": "NPU18295"}], "text": "P-Immunfiksation"},
            "valueString": text}


def blood_culture(rid: str, day: str, organism: str | None = None, text: str | None = None) -> Resource:
    out: Resource = {"resourceType": "Observation", "id": rid, "status": "final", "subject": SUBJECT,
                     "effectiveDateTime": day}
    if text:  # a culture known only by its text, as some Danish lab feeds send it
        out["code"] = {"text": "BLODDYRKNING(BAKTERIUM+FUNGUS),B"}
        out["valueString"] = text
    else:
        out["code"] = {"coding": [{"system": LOINC, "code": "600-7"}]}
        out["valueCodeableConcept"] = {"coding": [{"system": SCT, "code": organism or "3092008"}]}
    return out


def ig_panel(rid: str, day: str, igg_value: float) -> Resource:
    def part(code: str, text: str, value: float) -> Resource:
        return {"code": {"coding": [{"system": NPU, "code": code}], "text": text},
                "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": SUBJECT, "effectiveDateTime": day,
            "code": {"text": "Immunglobuliner"},
            "component": [part("NPU19814", "P-Immunglobulin G", igg_value), part("NPU19822", "P-Immunglobulin A", 0.3),
                          part("NPU19826", "P-Immunglobulin M", 0.1)]}


def car_t_given(day: str, atc: str = "L01XL04") -> Resource:
    return {"resourceType": "MedicationAdministration", "id": "cart-ma", "status": "completed", "subject": SUBJECT,
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc}], "text": "Kymriah"},
            "effectiveDateTime": day}


def sks_bsab(day: str, code: str = "BOHJ19K1") -> Resource:
    return {"resourceType": "Procedure", "id": "bsab-sks", "status": "completed", "subject": SUBJECT,
            "code": {"coding": [{"system": SKS, "code": code}]}, "performedDateTime": day}


def medication(atc: str, text: str) -> dict[str, Any]:
    return {"coding": [{"system": ATC, "code": atc}], "text": text}


def on_hold(rid: str, start: str) -> Resource:
    return ig_order(rid, start, status="on-hold")


@dataclass
class Case:
    name: str
    what: str  # what the guideline says the clinician should see
    chart: list[Resource]
    at: str
    drafts: list[Resource]
    expect: list[tuple[str, str]]  # (advice code, indicator) per card, any order
    hook: str = "order-sign"
    selections: list[str] | None = None
    ends: dict[str, str | None] = field(default_factory=dict)  # draft id -> the end a suggestion gives it
    igg_order: bool | None = None  # some suggestion creates an IgG lab order
    says: tuple[str, ...] = ()  # in some card's summary or detail (dates and numbers: also in Danish)
    never_says: tuple[str, ...] = ()  # in no card's summary
    extension_offered: bool | None = None
    born: str = "1958-03-14"
    dx: Resource | None = None
    deceased: dict[str, Any] = field(default_factory=dict)

    def bundle(self) -> Resource:
        pat = {**patient(), "birthDate": self.born, **self.deceased}
        flat = [pat, *([] if self.dx == {} else [self.dx or diagnosis()]), *self.chart]
        return {"resourceType": "Bundle", "type": "collection",
                "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in flat]}


def low(day: str = "2026-01-13", value: float = 3.2, rid: str = "igg") -> Resource:
    return igg(rid, day, value)


AFTER = "2026-07-01"
RECURRENT = [infection("pn1", "2026-03-01", "DJ159"), infection("pn2", "2026-05-01", "J15.9", ICD10)]
BEFORE_T0 = "2025-06-10"


def cases() -> list[Case]:
    c: list[Case] = []
    add = c.append
    # ---- the drug, however it is coded -----------------------------------------------------------------------------
    add(Case("text-only-scig", "a product named only in text is not judged (a name is not a code), but the clinician "
             "is told it was not checked", [CART, low()], "2026-01-20",
             [draft("d1", {"text": "Hizentra 200 mg/ml s.c."}, "2026-01-20")], [UNCHECKED], says=("Hizentra",)))
    add(Case("product-code-kiovig", "a local product code the service does not know, named Kiovig: not checked, "
             "and said so",
             [CART, low()], "2026-01-20",
             [draft("d1", {"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "563040",
                                       "display": "Kiovig inf.væske 100 mg/ml"}]}, "2026-01-20")],
             [UNCHECKED], says=("563040",)))
    add(Case("atc-group-j06ba", "an order coded at ATC level J06BA is human normal immunoglobulin: met",
             [CART, low()], "2026-01-20", [draft("d1", medication("J06BA", "Immunglobulin"), "2026-01-20")], [MEETS],
             ends={"d1": STOP}))
    add(Case("specific-ig-not-substitution", "hepatitis B immunoglobulin (J06BB04) is not substitution: no card",
             [CART, low()], "2026-01-20", [draft("d1", medication("J06BB04", "Zutectra"), "2026-01-20")], []))
    # ---- the draft's length ---------------------------------------------------------------------------------------
    add(Case("no-bounds-at-all", "met; an order with no length runs from today past the stop date: end on it",
             [CART, low()], "2026-01-20", [draft("d1", IVIG)], [MEETS], ends={"d1": STOP}))
    add(Case("start-only-future", "met; booked to start 2026-02-01 with no end: end on the stop date",
             [CART, low()], "2026-01-20", [draft("d1", IVIG, "2026-02-01")], [MEETS], ends={"d1": STOP}))
    add(Case("end-after-stop", "met; its end 2026-09-01 lies past the stop date: bring it to the stop date",
             [CART, low()], "2026-01-20", [draft("d1", SCIG, "2026-01-20", "2026-09-01")], [MEETS],
             ends={"d1": STOP}, says=(STOP,)))
    add(Case("end-on-stop", "met; it already ends on the stop date: nothing to change", [CART, low()], "2026-01-20",
             [draft("d1", SCIG, "2026-01-20", STOP)], [MEETS], ends={"d1": None}, says=(STOP,)))
    add(Case("count-3-four-weekly", "met; three doses four-weekly end well before the stop date: no end offered",
             [CART, low()], "2026-01-20",
             [draft("d1", IVIG, "2026-01-20", repeat={"count": 3, "frequency": 1, "period": 4, "periodUnit": "wk"})],
             [MEETS], ends={"d1": None}))
    add(Case("count-40-weekly-scig", "met; forty weekly SCIG doses run to October, past the stop date: end on it",
             [CART, low()], "2026-01-20",
             [draft("d1", SCIG, "2026-01-20", repeat={"count": 40, "frequency": 1, "period": 1, "periodUnit": "wk"})],
             [MEETS], ends={"d1": STOP}))
    add(Case("count-one-infusion", "met; a single infusion (count 1) ends the day it is given: no end offered",
             [CART, low()], "2026-01-20", [draft("d1", IVIG, "2026-01-22", repeat={"count": 1})], [MEETS],
             ends={"d1": None}, says=("2026-01-22",)))
    add(Case("count-loading-beside-open-maintenance", "met; a counted loading dose beside an open weekly line does "
             "not end the order: end on the stop date", [CART, low()], "2026-01-20",
             [{**draft("d1", SCIG, "2026-01-20", repeat={"count": 1}),
               "dosageInstruction": [{"timing": {"repeat": {"count": 1}}},
                                     {"timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "wk"}}}]}],
             [MEETS], ends={"d1": STOP}))
    add(Case("duration-6-months-from-feb", "met; 6 months from 2026-02-01 run past the stop date: end on it",
             [CART, low()], "2026-01-20",
             [draft("d1", IVIG, None, authored="2026-01-20",
                    repeat={"boundsDuration": {"value": 6, "unit": "mo", "system": "http://unitsofmeasure.org",
                                               "code": "mo"}})],
             [MEETS], ends={"d1": STOP}))
    # ---- IgG -------------------------------------------------------------------------------------------------------
    add(Case("igg-4-1-lab-order-drafted", "IgG 4.1 is not < 4: not met; the IgG already drafted is not asked again",
             [CART, low(value=4.1)], "2026-01-20", [draft("d1", IVIG, "2026-01-20"), igg_lab("lab", "2026-01-20")],
             [NOT_MET], igg_order=False, extension_offered=False))
    add(Case("igg-panel-one-observation", "an Ig panel as one Observation gives IgG 3.4: met",
             [CART, ig_panel("panel", "2026-01-13", 3.4)], "2026-01-20", [draft("d1", IVIG, "2026-01-20")], [MEETS],
             ends={"d1": STOP}, says=("3.4",)))
    add(Case("polyclonal-after-m-protein", "myeloma: IgG 7.1 with an IgG-kappa M-protein 4.0 -> polyclonal 3.1: met",
             [car_t("2025-11-18", code="BOQX1", system=SKS), igg("igg", "2026-01-13", 7.1),
              m_protein("mp", "2026-01-13", 4.0), immunofixation("ifx", "2026-01-13")],
             "2026-01-20", [draft("d1", IVIG, "2026-01-20")], [MEETS], ends={"d1": STOP}, says=("3.1",),
             dx=diagnosis("DC900")))
    add(Case("igg-on-substitution-continuation", "doses since 2025-12-01 (started in the window); IgG 5.6 on "
             "substitution says nothing of recovery: continuation met, end on the stop date",
             [CART, low("2025-11-28", 3.0, "igg0"), *ig_doses("ma", "2025-12-01", 28, "2026-01-12"),
              igg("igg1", "2026-01-15", 5.6)],
             "2026-01-20", [draft("d1", IVIG, "2026-01-26")], [MEETS], ends={"d1": STOP}))
    add(Case("igg-on-substitution-new-start-after-window", "IVIG doses to April; after the window an IgG of 4.5 "
             "taken in the washout may be the infused dose and is not used (§3.4): not met, measure IgG, and the card "
             "says why that IgG was not used, as patient-view does", [CART, *ig_doses("ma", "2025-12-01", 28,
                                                                                      "2026-04-20"),
                                                                      low("2026-06-20", 4.5), *RECURRENT],
             AFTER, [draft("d1", IVIG, AFTER, authored=AFTER)], [NOT_MET], igg_order=True,
             says=("4.5", "2026-06-20", "taken in the Ig washout")))
    add(Case("igg-low-on-substitution-new-start-after-window", "the same with an IgG of 3.5 in the washout: the "
             "infused dose only raises IgG, so the patient's own is below 4 g/L too: met (general criteria)",
             [CART, *ig_doses("ma", "2025-12-01", 28, "2026-04-20"), low("2026-06-20", 3.5), *RECURRENT],
             AFTER, [draft("d1", IVIG, AFTER, authored=AFTER)], [MEETS], says=("3.5", "infused Ig only raises it")))
    # ---- the draft's day against the stop date --------------------------------------------------------------------
    add(Case("draft-starts-day-before-stop", "starts in the window (2026-05-17): met, ends on the stop date the "
             "next day; says the general criteria apply from then",
             [CART, low("2026-05-05", 3.0)], "2026-05-10", [draft("d1", IVIG, "2026-05-17", authored="2026-05-10")],
             [MEETS], ends={"d1": STOP}, says=(STOP,)))
    add(Case("draft-starts-on-stop", "starts on the stop date, after the window: general criteria; none: not met",
             [CART, low("2026-05-05", 3.0)], "2026-05-10", [draft("d1", IVIG, STOP, authored="2026-05-10")],
             [NOT_MET], never_says=(f"end it on {STOP}",)))
    add(Case("draft-starts-after-stop-first-course", "first course drafted in the window to start after it: the "
             "general criteria apply; none: not met", [CART, low("2026-05-05", 3.0)], "2026-05-10",
             [draft("d1", IVIG, "2026-06-01", authored="2026-05-10")], [NOT_MET]))
    add(Case("draft-after-stop-with-infections", "starts after the window with two verified pneumonias: general "
             "criteria met; no end on the stop date (before its start)",
             [CART, low("2026-05-05", 3.0), *RECURRENT], "2026-05-10",
             [draft("d1", IVIG, "2026-06-01", authored="2026-05-10")], [MEETS], ends={"d1": None},
             never_says=(STOP,)))
    add(Case("backdated-draft", "a draft dated back to 2026-01-05 (IgG 3.2 on 2026-01-13): met, end on the stop date",
             [CART, low()], "2026-01-20", [draft("d1", IVIG, "2026-01-05")], [MEETS], ends={"d1": STOP}))
    # ---- substitution already on the chart ------------------------------------------------------------------------
    add(Case("switch-ivig-to-scig", "IVIG from 2025-12-01 (window start, IgG 3.0) ends 2026-02-01; SCIG drafted from "
             "then continues it: met, end on the stop date",
             [CART, low("2025-11-28", 3.0), ig_order("ivig", "2025-12-01", end="2026-02-01")], "2026-01-25",
             [draft("d1", SCIG, "2026-02-01", authored="2026-01-25")], [MEETS], ends={"d1": STOP}))
    add(Case("draft-beside-on-hold", "IVIG on hold since January; a new draft is a restart: general criteria, none "
             "documented: not met", [CART, low("2025-11-28", 3.0), on_hold("ivig", "2025-12-01"),
                                     low("2026-03-20", 3.1, "igg2")],
             "2026-03-25", [draft("d1", IVIG, "2026-03-25", authored="2026-03-25")], [NOT_MET]))
    add(Case("restart-after-dose-series", "IVIG doses Dec-Jan then none for months: a restart; not met",
             [CART, low("2025-11-28", 3.0), *ig_doses("ma", "2025-12-01", 28, "2026-01-26"),
              low("2026-04-15", 3.0, "igg2")],
             "2026-04-20", [draft("d1", IVIG, "2026-04-20", authored="2026-04-20")], [NOT_MET]))
    add(Case("restart-after-sks-procedures", "Ig given as SKS BOHJ10B procedures Dec-Jan: a restart in April; "
             "not met", [CART, low("2025-11-28", 3.0), *ig_procedures("pr", "2025-12-01", 28, "2026-01-26"),
                         low("2026-04-15", 3.0, "igg2")],
             "2026-04-20", [draft("d1", IVIG, "2026-04-20", authored="2026-04-20")], [NOT_MET]))
    add(Case("restart-after-statement-recurrent", "a completed MedicationStatement course; restart with two verified "
             "pneumonias: general criteria met, no stop-date end",
             [CART, low("2025-11-28", 3.0), ig_statement("ms", "2025-12-01", "completed", "2026-02-01"),
              infection("pn1", "2026-02-10", "DJ159"), infection("pn2", "2026-03-10", "DJ13"),
              low("2026-03-20", 3.3, "igg2")],
             "2026-03-25", [draft("d1", IVIG, "2026-03-25", authored="2026-03-25")], [MEETS], ends={"d1": None},
             never_says=(STOP,)))
    add(Case("statement-since-before-t0", "on Ig (MedicationStatement) since before T0: continuation under the "
             "general criteria; no stop-date end; [policy] the first review falls on the stop date",
             [CART, ig_statement("ms", BEFORE_T0), low()], "2026-01-20", [draft("d1", SCIG, "2026-01-20")], [MEETS],
             ends={"d1": None}, says=("general SID criteria",), never_says=(f"end it on {STOP}",)))
    add(Case("paused-for-infusion", "Ig ended 2025-11-01 (paused for the infusion) and restarted in the window: the "
             "general stop criteria; no stop-date end",
             [CART, ig_order("ivig", BEFORE_T0, status="completed", end="2025-11-01"), low()], "2026-01-20",
             [draft("d1", IVIG, "2026-01-20")], [MEETS], ends={"d1": None}, never_says=(STOP,)))
    add(Case("old-course-long-before-t0", "Ig ended 2024 (long before T0): a first course in the window; met, end "
             "on the stop date", [CART, ig_order("ivig", "2024-01-10", status="completed", end="2024-06-01"), low()],
             "2026-01-20", [draft("d1", IVIG, "2026-01-20")], [MEETS], ends={"d1": STOP}))
    add(Case("sepsis-in-window", "met, but a verified sepsis before its start: general stop criteria, no stop-date "
             "end even for a draft that runs past it",
             [CART, low(), infection("sep", "2025-12-20", "A41.9", ICD10)], "2026-01-20",
             [draft("d1", IVIG, "2026-01-20", "2026-12-31")], [MEETS], ends={"d1": None}, never_says=(STOP,)))
    # ---- infections after the window ------------------------------------------------------------------------------
    add(Case("after-unverified-infections", "after the window: two provisional pneumonias are not verified: not met",
             [CART, low("2026-06-20", 3.0), infection("pn1", "2026-03-01", "DJ159", verified=False),
              infection("pn2", "2026-05-01", "DJ159", verified=False)], AFTER, [draft("d1", IVIG, AFTER,
                                                                                       authored=AFTER)], [NOT_MET]))
    add(Case("after-j18-with-blood-culture", "after the window: J18.9 (severe) with a positive blood culture 2 days "
             "later is a severe verified bacterial infection: met",
             [CART, low("2026-06-20", 3.0), infection("pn", "2026-06-01", "J18.9", ICD10, severe=True),
              blood_culture("bc", "2026-06-03")], AFTER, [draft("d1", IVIG, AFTER, authored=AFTER)], [MEETS],
             ends={"d1": None}))
    add(Case("after-j18-culture-text", "after the window: J18.9 + a culture known only by its text (not counted, "
             "named), and a J15 a month later: one verified episode: not met, the culture named",
             [CART, low("2026-06-20", 3.0), infection("pn", "2026-05-01", "DJ189"),
              blood_culture("bc", "2026-05-02", text="Positiv: Streptococcus pneumoniae påvist"),
              infection("pn2", "2026-06-05", "DJ151")], AFTER, [draft("d1", IVIG, AFTER, authored=AFTER)], [NOT_MET],
             says=("BLODDYRKNING",)))
    add(Case("after-j18-no-culture", "after the window: two J18.9 without any culture are not verified: not met",
             [CART, low("2026-06-20", 3.0), infection("pn", "2026-05-01", "DJ189"),
              infection("pn2", "2026-06-05", "DJ189")], AFTER, [draft("d1", IVIG, AFTER, authored=AFTER)], [NOT_MET]))
    # ---- the index event as recorded ------------------------------------------------------------------------------
    add(Case("car-t-as-administration", "a CAR-T given as MedicationAdministration dates T0: met, end on the stop "
             "date", [car_t_given("2025-11-18"), low()], "2026-01-20", [draft("d1", IVIG, "2026-01-20")], [MEETS],
             ends={"d1": STOP}))
    add(Case("blinatumomab-sks", "blinatumomab (SKS BOHJ19K1) from 2025-12-02 for ALL: met, end 2026-06-02",
             [sks_bsab("2025-12-02"), low()], "2026-01-20", [draft("d1", IVIG, "2026-01-20")], [MEETS],
             ends={"d1": "2026-06-02"}, dx=diagnosis("DC910")))
    # ---- people the criteria do not fit ----------------------------------------------------------------------------
    add(Case("child-17-at-t0", "17 at T0, 18 now: still a child for this course: individual assessment",
             [CART, low()], "2026-01-20", [draft("d1", IVIG, "2026-01-20")], [CHILD], born="2008-01-10"))
    add(Case("deceased-boolean", "the patient has died: no advice", [CART, low()], "2026-01-20",
             [draft("d1", IVIG, "2026-01-20")], [], deceased={"deceasedBoolean": True}))
    add(Case("dies-later", "as of 2026-01-20 the patient is alive (death on 2026-02-01 is not known yet): met",
             [CART, low()], "2026-01-20", [draft("d1", IVIG, "2026-01-20")], [MEETS],
             deceased={"deceasedDateTime": "2026-02-01"}))
    add(Case("rituximab-only", "rituximab alone is not CAR-T/bsAb: this guideline says nothing",
             [bsab("2025-11-18", "L01FA01"), low()], "2026-01-20", [draft("d1", IVIG, "2026-01-20")], []))
    add(Case("teclistamab-lupus", "teclistamab for lupus, no malignancy: out of scope, no card",
             [bsab("2025-11-18", "L01FX24"), low()], "2026-01-20", [draft("d1", IVIG, "2026-01-20")], [],
             dx={"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "verificationStatus": CONFIRMED,
                 "code": {"coding": [{"system": SKS_D, "code": "DM321"}]}}))
    # ---- therapy and lab drafts ----------------------------------------------------------------------------------
    add(Case("bsab-draft-old-igg", "a new teclistamab course with only a 4-month-old IgG: measure a baseline",
             [igg("igg", "2025-09-20", 6.5)], "2026-01-20", [draft("t1", medication("L01FX24", "Tecvayli"),
                                                                   "2026-01-22")], [PLAN], igg_order=True,
             says=("2026-07-22",), dx=diagnosis("DC900")))
    add(Case("bsab-draft-lupus", "teclistamab drafted for lupus (no malignancy): out of scope, no card",
             [], "2026-01-20", [draft("t1", medication("L01FX24", "Tecvayli"), "2026-01-22")], [],
             dx={"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "verificationStatus": CONFIRMED,
                 "code": {"coding": [{"system": SKS_D, "code": "DM321"}]}}))
    add(Case("car-t-draft-child", "a CAR-T ordered for a child: individual assessment", [], "2026-01-20",
             [draft("ct", medication("L01XL04", "Kymriah"), "2026-02-15")], [CHILD], born="2012-05-01",
             dx=diagnosis("DC910")))
    add(Case("rituximab-draft", "rituximab is not a bispecific or CAR-T: no card", [low()], "2026-01-20",
             [draft("rx", medication("L01FA01", "MabThera"), "2026-01-22")], []))
    add(Case("igg-lab-draft-npu", "an IgG order (NPU) alone needs no card", [CART], "2026-01-20",
             [igg_lab("lab", "2026-01-20", {"system": NPU, "code": "NPU19814"})], []))
    # ---- several drafts -----------------------------------------------------------------------------------------
    three = [draft("d1", IVIG, "2026-01-20"), draft("t1", medication("L01FX27", "Tepkinly"), "2026-01-22"),
             draft("p1", medication("N02BE01", "Pamol"), "2026-01-20")]
    add(Case("select-bsab-and-paracetamol", "order-select: only the selected epcoritamab is commented on",
             [CART, low()], "2026-01-20", three, [PLAN], hook="order-select",
             selections=["MedicationRequest/t1", "MedicationRequest/p1"]))
    add(Case("select-ivig-igg-lab-unselected", "order-select on IVIG with no IgG; an IgG order sits among the "
             "drafts: not met, the drafted IgG order is not suggested again",
             [CART], "2026-01-20", [draft("d1", IVIG, "2026-01-20"), igg_lab("lab", "2026-01-20")], [NOT_MET],
             hook="order-select", selections=["MedicationRequest/d1"], igg_order=False))
    add(Case("sign-two-ig-drafts-consecutive", "IVIG to 2026-03-01 then SCIG open-ended: both met; only the SCIG "
             "needs the stop-date end",
             [CART, low()], "2026-01-20", [draft("d1", IVIG, "2026-01-20", "2026-03-01"),
                                           draft("d2", SCIG, "2026-03-01")], [MEETS, MEETS],
             ends={"d1": None, "d2": STOP}))
    add(Case("sign-two-ig-drafts-after-window", "after the window, no infections: both drafts not met",
             [CART, low("2026-06-20", 3.0)], AFTER, [draft("d1", IVIG, AFTER, authored=AFTER),
                                                     draft("d2", SCIG, "2026-08-01", authored=AFTER)],
             [NOT_MET, NOT_MET]))
    return c


CASES = cases()


def request(case: Case) -> dict[str, Any]:
    body = request_for(PATIENT, case.bundle()["entry"], case.hook, case.drafts)
    if case.selections is not None:
        body["context"]["selections"] = case.selections
    return body


def cards_of(case: Case, lang: str = "en") -> list[dict[str, Any]]:
    parsed = parse_hook_request(request(case), case.hook)
    return list(answer_local(parsed, RUNTIME, lang=lang, today=date.fromisoformat(case.at)).cards)


def code(card: dict[str, Any]) -> str:
    return str(card["source"]["topic"]["code"])


def text(cards: list[dict[str, Any]]) -> str:
    return " ".join(f"{c['summary']} {c.get('detail', '')}" for c in cards)


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_order_card(case: Case, lang: str) -> None:
    cards = cards_of(case, lang)
    got = sorted((code(c), c["indicator"]) for c in cards)
    assert got == sorted(case.expect), f"{case.what}: {[c['summary'] for c in cards]}"
    check_mechanics(case, cards)  # type: ignore[arg-type]
    assert all(len(c.get("detail", "")) <= 700 for c in cards), case.what
    for draft_id, end in case.ends.items():
        assert suggested_end(cards, draft_id) == end, case.what
    for card in cards:  # a suggested end is named in the card's own text, and never before the draft's start
        for suggestion in card.get("suggestions", []):
            for action in suggestion["actions"]:
                resource = action.get("resource") or {}
                for dosage in resource.get("dosageInstruction", []) if action["type"] == "update" else []:
                    period = dosage.get("timing", {}).get("repeat", {}).get("boundsPeriod", {})
                    if period.get("end"):
                        assert period["end"][:10] in text([card]), case.what
                        assert not period.get("start") or period["start"][:10] <= period["end"][:10], case.what
    if case.igg_order is not None:
        creates = [a for c in cards for s in c.get("suggestions", []) for a in s["actions"]
                   if a["type"] == "create" and a["resource"]["resourceType"] == "ServiceRequest"]
        assert bool(creates) == case.igg_order, case.what
    for words in case.says:
        if lang == "en" or words[:1].isdigit():
            said = words if lang == "en" or len(words) > 4 else words.replace(".", ",")  # 3,4 g/L in Danish
            assert said in text(cards), f"{case.what}: {text(cards)}"
    for words in case.never_says:
        assert all(words not in c["summary"] for c in cards), f"{case.what}: {[c['summary'] for c in cards]}"
    if case.extension_offered is not None:
        [card] = [c for c in cards if code(c) == "order-does-not-meet-criteria"]
        offered = "community-infection-risk" in {r["code"] for r in card.get("overrideReasons", [])}
        assert offered == case.extension_offered, case.what


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_chart_without_drafts_same_on_every_entrance(case: Case) -> None:
    """patient-view, the worklist row and the timeline day agree for the chart itself."""
    bundle = copy.deepcopy(case.bundle())
    day = date.fromisoformat(case.at)
    view = list(replay(RUNTIME, bundle, at=day).cards)
    rows = evaluate_patient_resources([e["resource"] for e in bundle["entry"]], day, RUNTIME)
    assert [r.code for r in rows] == [code(c) for c in view]
    try:
        data = patient_data(bundle, RUNTIME)
        timeline = build_timeline(data, RUNTIME, end=day, today=day)
    except InputError:  # a chart with no dated facts (only a diagnosis) has no timeline, and nothing to say
        assert not view
        return
    states = [s for s in timeline.changes if s.day <= day]
    assert states, "a timeline with no state on the day"
    assert states[-1].codes == [code(c) for c in view], states[-1].day
    assert states[-1].key == state_on(data, RUNTIME, day).key
