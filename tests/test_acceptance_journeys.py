"""One patient over a year and a half, seen again and again (Medicinrådet 2025 §3.4, §4, §4.1-§4.3; clinical rules §1-§8).

The other acceptance modules check a chart on a day. Here a clinician meets the same patient at 5-10 visits over 12-18
months while the chart grows: IgG results arrive, infections are diagnosed, doses are given, orders are started, put on
hold, stopped and replaced, and the patient turns 18 or dies. A visit is the chart as it stood that day: every record
known on or before it (a lab result imported from another hospital is known on the day it arrived, not on the day it
was drawn), and each order, and the Patient, as its latest version before that day stood.

What the clinician should read at each visit was written down from the guideline before the journeys were run: the
patient-view advice code(s), the dates and numbers the card must carry, and at order-sign visits the advice on the
draft immunoglobulin order. Every visit is checked in English and Danish and on the worklist; the timeline, evaluated
over the last visit's chart, must say on each visit's day what that visit said, except where the later chart adds
something that changes the past (an IgG back-entered later): those days say what the timeline says and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cds_service.tools.timeline import build_timeline, patient_data
from cds_service.tools.worklist import evaluate_patient_resources

RUNTIME = load_runtime(Settings())
PATIENT = "pt-journey"
SUBJECT = {"reference": f"Patient/{PATIENT}"}
SKS = "urn:oid:1.2.208.176.2.4"
SKS_D = "urn:oid:1.2.208.176.2.4.12"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SCT = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
NPU = "http://npu-terminology.org"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}
SEVERE = {"coding": [{"system": SCT, "code": "24484000", "display": "Severe"}]}

Resource = dict[str, Any]


# ---- resources, as a Danish EHR sends them -------------------------------------------------------------------------

def patient(birth: str = "1957-09-02", deceased: str | None = None) -> Resource:
    out: Resource = {"resourceType": "Patient", "id": PATIENT, "birthDate": birth,
                     "identifier": [{"system": "urn:oid:1.2.208.176.1.2", "value": "0209571234"}]}
    if deceased:
        out["deceasedDateTime"] = deceased
    return out


def diagnosis(code: str, system: str = SKS_D, onset: str = "2023-03-01") -> Resource:
    return {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": onset,
            "verificationStatus": CONFIRMED, "code": {"coding": [{"system": system, "code": code}]}}


def car_t_procedure(when: str, system: str = SCT, code: str = "1156961008", rid: str = "cart") -> Resource:
    return {"resourceType": "Procedure", "id": rid, "status": "completed", "subject": SUBJECT,
            "code": {"coding": [{"system": system, "code": code}]}, "performedDateTime": when}


def car_t_given(when: str, atc: str, rid: str = "cart-ma") -> Resource:
    return {"resourceType": "MedicationAdministration", "id": rid, "status": "completed", "subject": SUBJECT,
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc}]}, "effectiveDateTime": when}


def doses(prefix: str, atc: str, days: list[str]) -> list[tuple[str, Resource]]:
    """Completed administrations (bispecific or immunoglobulin), each known on the day it was given."""
    return [(d, {"resourceType": "MedicationAdministration", "id": f"{prefix}-{n}", "status": "completed",
                 "subject": SUBJECT, "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc}]},
                 "effectiveDateTime": d}) for n, d in enumerate(days)]


def every(first: str, step: int, last: str) -> list[str]:
    out, day = [], date.fromisoformat(first)
    while day <= date.fromisoformat(last):
        out.append(day.isoformat())
        day += timedelta(days=step)
    return out


def igg(rid: str, when: str, value: float, system: str = NPU, code: str = "NPU19814", unit: str = "g/L") -> Resource:
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": SUBJECT,
            "effectiveDateTime": when, "code": {"coding": [{"system": system, "code": code}]},
            "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit}}


def m_protein(rid: str, when: str, value: float, code: str = "NPU28638") -> Resource:
    """An IgG kappa M-protein (NPU28638), in g/L."""
    return igg(rid, when, value, NPU, code)


def infection(rid: str, onset: str, code: str, system: str = SKS_D, severe: bool = False) -> Resource:
    out: Resource = {"resourceType": "Condition", "id": rid, "subject": SUBJECT, "onsetDateTime": onset,
                     "verificationStatus": CONFIRMED, "code": {"coding": [{"system": system, "code": code}]}}
    if severe:
        out["severity"] = SEVERE
    return out


def ig_order(rid: str, start: str, status: str = "active", end: str | None = None, atc: str = "J06BA02",
             authored: str | None = None) -> Resource:
    period = {"start": start, **({"end": end} if end else {})}
    return {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order", "subject": SUBJECT,
            "authoredOn": authored or start, "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": period}}}]}


def ig_statement(rid: str, start: str, status: str = "active", end: str | None = None) -> Resource:
    """The medication list (FMK) entry for subcutaneous immunoglobulin: no order, no doses recorded."""
    return {"resourceType": "MedicationStatement", "id": rid, "status": status, "subject": SUBJECT,
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "J06BA01"}], "text": "Hizentra"},
            "effectivePeriod": {"start": start, **({"end": end} if end else {})}}


def draft(start: str, end: str | None = None, atc: str = "J06BA02") -> Resource:
    return ig_order("draft-ig", start, status="draft", end=end, atc=atc)


# ---- a journey ------------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Visit:
    day: str
    codes: tuple[str, ...]  # patient-view advice codes that day, as the guideline asks (() : no card)
    says: tuple[str, ...] = ()  # words in the English summary + detail of the first card
    says_not: tuple[str, ...] = ()
    indicator: str | None = None
    draft: Resource | None = None  # an immunoglobulin order drafted that day (order-sign)
    order_codes: tuple[str, ...] = ()  # the order-sign advice on it
    order_says: tuple[str, ...] = ()
    timeline: tuple[str, ...] | None = None  # what the timeline over the last chart says that day, when it differs
    why: str = ""  # why the timeline differs


@dataclass(frozen=True)
class Journey:
    name: str
    records: list[tuple[str, Resource]]  # (the day it became known, the resource as it stood from that day)
    visits: list[Visit] = field(default_factory=list)

    def bundle(self, day: str) -> Resource:
        """The chart as it stood on `day`: every resource's latest version known on or before it."""
        latest: dict[tuple[str, str], tuple[str, Resource]] = {}
        for known, r in self.records:
            key = (r["resourceType"], r["id"])
            if known <= day and (key not in latest or latest[key][0] <= known):
                latest[key] = (known, r)
        return {"resourceType": "Bundle", "type": "collection",
                "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for _, r in latest.values()]}

    def last_day(self) -> str:
        return self.visits[-1].day


def start(birth: str = "1957-09-02", dx: Resource | None = None) -> list[tuple[str, Resource]]:
    return [("2000-01-01", patient(birth)), ("2023-03-01", dx or diagnosis("DC833"))]


JOURNEYS: list[Journey] = []

# 1. CAR-T for lymphoma on 2025-01-15 (stop date 2025-07-15). IgG falls below 4 g/L in month 2, IVIG started; IgG on
# substitution (§3.4: no reason to stop); the stop attempt is due at 6 months and made; IgG after it above and below
# 4 g/L without infections (§4.3: no restart on IgG alone); a verified severe infection in month 11 with IgG 3.2 g/L
# meets the general criteria; the restart follows the general stop criteria.
JOURNEYS.append(Journey("cart-special-stop-then-general-restart", [
    *start(dx=diagnosis("C83.3", ICD10)),
    ("2025-01-15", car_t_procedure("2025-01-15", SKS, "BOQX1")),
    ("2025-01-28", igg("igg-1", "2025-01-28", 5.1)),
    ("2025-03-05", igg("igg-2", "2025-03-05", 3.4)),
    ("2025-03-14", ig_order("ivig", "2025-03-14")),
    ("2025-05-15", igg("igg-3", "2025-05-15", 7.8)),
    ("2025-07-15", ig_order("ivig", "2025-03-14", status="stopped", end="2025-07-15")),
    ("2025-08-25", igg("igg-4", "2025-08-25", 4.6, LOINC, "2465-3")),
    ("2025-10-10", igg("igg-5", "2025-10-10", 3.6)),
    ("2025-12-01", infection("sepsis", "2025-12-01", "DA419", severe=True)),
    ("2025-12-05", igg("igg-6", "2025-12-05", 3.2)),
    ("2025-12-15", ig_order("ivig-2", "2025-12-15")),
], [
    Visit("2025-02-01", ("general-criteria-igg-under-6",), ("5.1 g/L",)),
    Visit("2025-03-10", ("start-substitution",), ("3.4 g/L", "2025-07-15", "127 days")),
    Visit("2025-03-20", ("stop-planned",), ("2025-07-15",), indicator="info"),
    Visit("2025-05-20", ("stop-planned",), ("2025-07-15", "7.8 g/L", "not recovery")),
    Visit("2025-07-05", ("stop-due-soon",), ("2025-07-15",), indicator="warning"),
    Visit("2025-07-20", ("no-start-without-infections",)),
    Visit("2025-09-01", ("general-criteria-igg-under-6",), ("4.6 g/L",)),
    Visit("2025-10-15", ("no-start-without-infections",), ("3.6 g/L",)),
    Visit("2025-12-10", ("start-meets-general-criteria",), ("3.2 g/L",),
          draft=draft("2025-12-15"), order_codes=("order-meets-criteria",)),
    Visit("2026-01-10", ("general-stop-review",), ("2026-06-15",), indicator="info"),
]))

# 2. Teclistamab for myeloma from 2025-02-03, given with pauses shorter than the course gap (resumptions, same window,
# stop date 2025-08-03), then a second course after 101 days without a dose (2025-11-10, month 9): a new window (stop
# date 2026-05-10). The substitution of the first window ended 99 days before the new T0: not "in treatment before"
# (90 days), so the new window's first course follows the special criteria.
JOURNEYS.append(Journey("teclistamab-with-pauses-then-second-course", [
    *start(dx=diagnosis("DC900")),
    ("2025-01-20", igg("igg-0", "2025-01-20", 5.5)),
    *doses("tec", "L01FX24", ["2025-02-03", "2025-02-05", "2025-02-07", *every("2025-02-14", 7, "2025-04-28")]),
    ("2025-03-10", igg("igg-1", "2025-03-10", 3.1)),
    ("2025-03-20", ig_order("scig", "2025-03-20", atc="J06BA01")),
    *doses("tec-b", "L01FX24", every("2025-06-10", 14, "2025-08-01")),
    ("2025-08-03", ig_order("scig", "2025-03-20", status="completed", end="2025-08-03", atc="J06BA01")),
    *doses("tec-2", "L01FX24", ["2025-11-10", "2025-11-12", "2025-11-14", *every("2025-11-21", 7, "2026-05-01")]),
    ("2025-12-10", igg("igg-2", "2025-12-10", 2.9)),
    ("2026-01-05", ig_order("scig-2", "2026-01-05", atc="J06BA01")),
], [
    Visit("2025-02-20", ("measure-igg",)),
    Visit("2025-03-15", ("start-substitution",), ("3.1 g/L", "2025-08-03")),
    Visit("2025-04-10", ("stop-planned",), ("2025-08-03",)),
    Visit("2025-06-15", ("stop-planned",), ("2025-08-03", "2025-02-03")),
    Visit("2025-07-25", ("stop-due-soon",), ("2025-08-03",), indicator="warning"),
    Visit("2025-08-10", ("no-start-without-infections",)),
    Visit("2025-11-20", ("measure-igg",), ("2025-11-10",)),
    Visit("2025-12-15", ("start-substitution",), ("2.9 g/L", "2026-05-10")),
    Visit("2026-01-20", ("stop-planned",), ("2026-05-10",)),
    Visit("2026-05-01", ("stop-due-soon",), ("2026-05-10",), indicator="warning"),
]))

# 3. CAR-T for lymphoma on 2025-03-01 (stop date 2025-09-01), IVIG ordered to end on the stop date; relapse and
# glofitamab from 2025-11-03 (month 8): the newest index event starts a new window (stop date 2026-05-03). The IVIG
# ended 63 days before it (within 90 days: "in treatment before", §4.2), so the new window's substitution follows the
# general stop criteria: no card promises the stop date 2026-05-03.
JOURNEYS.append(Journey("cart-then-glofitamab-at-relapse", [
    *start(dx=diagnosis("DC833")),
    ("2025-03-01", car_t_procedure("2025-03-01")),
    ("2025-03-01", car_t_given("2025-03-01", "L01XL03")),
    ("2025-03-20", igg("igg-1", "2025-03-20", 3.0)),
    ("2025-04-01", ig_order("ivig", "2025-04-01", end="2025-09-01")),
    ("2025-09-01", ig_order("ivig", "2025-04-01", status="completed", end="2025-09-01")),
    *doses("glofit", "L01FX28", ["2025-11-03", "2025-11-10", *every("2025-11-24", 21, "2026-06-01")]),
    ("2025-11-20", igg("igg-2", "2025-11-20", 2.7)),
    ("2025-12-01", ig_order("ivig-2", "2025-12-01")),
], [
    Visit("2025-03-25", ("start-substitution",), ("3.0 g/L", "2025-09-01")),
    Visit("2025-05-01", ("stop-planned",), ("2025-09-01",)),
    Visit("2025-08-25", ("stop-due-soon",), ("2025-09-01",), indicator="warning"),
    Visit("2025-10-01", ("no-start-without-infections",)),
    Visit("2025-11-10", ("measure-igg",), ("2025-11-03",)),
    Visit("2025-11-25", ("start-substitution",), ("2.7 g/L", "6–12 months"), ("stop attempt 2026-05-03",),
          draft=draft("2025-12-01"), order_codes=("order-meets-criteria",)),
    Visit("2025-12-10", ("general-stop-review",), ("2026-06-01",), indicator="info"),
    Visit("2026-06-05", ("general-stop-review",), ("2026-06-01",), indicator="warning"),
]))

# 4. Epcoritamab for lymphoma from 2025-01-10 (stop date 2025-07-10): IgG never below 4 g/L. 4 to < 6: the general SID
# criteria for IgG < 6 apply in the whole period (§4.1 last paragraph); >= 6: nothing to advise.
JOURNEYS.append(Journey("epcoritamab-igg-never-below-4", [
    *start(dx=diagnosis("C83.3", ICD10)),
    *doses("epco", "L01FX27", ["2025-01-10", "2025-01-17", "2025-01-24", *every("2025-01-31", 7, "2025-12-26")]),
    ("2025-02-01", igg("igg-1", "2025-02-01", 6.5)),
    ("2025-03-15", igg("igg-2", "2025-03-15", 5.2, LOINC, "2465-3")),
    ("2025-05-20", igg("igg-3", "2025-05-20", 440.0, LOINC, "2465-3", "mg/dL")),
    ("2025-09-01", igg("igg-4", "2025-09-01", 6.1)),
    ("2026-01-10", igg("igg-5", "2026-01-10", 7.0)),
], [
    Visit("2025-02-05", ()),
    Visit("2025-03-20", ("general-criteria-igg-under-6",), ("5.2 g/L",)),
    Visit("2025-05-25", ("general-criteria-igg-under-6",), ("4.4 g/L",)),
    Visit("2025-07-20", ("general-criteria-igg-under-6",), ("4.4 g/L",)),
    Visit("2025-09-05", ()),
    Visit("2026-01-15", ()),
]))

# 5. Cilta-cel for myeloma on 2025-06-02 (stop date 2025-12-02): IgG missing for months. A result from another
# hospital drawn on 2025-07-28 arrives on 2025-08-05, after the visit of 2025-08-01 (back-entered). A start late in the
# window names when the special criterion ends. After the window: no start on IgG alone, however old; infections
# with no IgG in 90 days: measure IgG.
JOURNEYS.append(Journey("cilta-cel-igg-missing-for-months", [
    *start(dx=diagnosis("DC900")),
    ("2025-05-15", igg("igg-0", "2025-05-15", 3.5)),
    ("2025-06-02", car_t_given("2025-06-02", "L01XL05")),
    ("2025-08-05", igg("igg-ext", "2025-07-28", 4.8, LOINC, "2465-3")),
    ("2025-10-10", igg("igg-1", "2025-10-10", 3.3)),
    ("2026-02-01", infection("pneu-1", "2026-02-01", "DJ159")),
    ("2026-04-20", infection("pneu-2", "2026-04-20", "J15.9", ICD10)),
    ("2026-06-20", igg("igg-2", "2026-06-20", 3.1)),
], [
    Visit("2025-06-20", ("measure-igg",)),
    Visit("2025-08-01", ("measure-igg",), timeline=("general-criteria-igg-under-6",),
          why="the IgG drawn 2025-07-28 arrived 2025-08-05: the timeline over the later chart knows it on the day it "
              "was drawn; the visit, which did not have it, was right to ask for one"),
    Visit("2025-09-10", ("measure-igg",), ("2025-07-28",)),
    Visit("2025-10-15", ("start-substitution",), ("3.3 g/L", "2025-12-02", "48 days")),
    Visit("2025-11-10", ("start-substitution",), ("3.3 g/L", "2025-12-02", "general criteria")),
    Visit("2025-12-10", ("no-start-without-infections",), ("3.3 g/L",)),
    Visit("2026-03-20", ("no-start-without-infections",), ("3.3 g/L",)),
    Visit("2026-05-01", ("measure-igg",)),
    Visit("2026-06-25", ("start-meets-general-criteria",), ("3.1 g/L",)),
]))

# 6. Teclistamab for IgG-kappa myeloma from 2025-04-07 (stop date 2025-10-07): decisions on polyclonal IgG = total
# IgG - IgG M-protein (Bilag C; clinical rules §7), also when the total is 6 g/L or more.
JOURNEYS.append(Journey("teclistamab-igg-kappa-myeloma", [
    *start(dx=diagnosis("C90.0", ICD10)),
    *doses("tec", "L01FX24", ["2025-04-07", "2025-04-09", "2025-04-11", *every("2025-04-18", 7, "2026-02-27")]),
    ("2025-04-22", igg("igg-1", "2025-04-22", 8.0)), ("2025-04-22", m_protein("mp-1", "2025-04-22", 5.0)),
    ("2025-05-15", igg("igg-2", "2025-05-15", 6.2)), ("2025-05-15", m_protein("mp-2", "2025-05-15", 1.5)),
    ("2025-06-25", igg("igg-3", "2025-06-25", 4.5)), ("2025-06-25", m_protein("mp-3", "2025-06-25", 0.8)),
    ("2025-07-05", ig_order("ivig", "2025-07-05")),
    ("2025-10-07", ig_order("ivig", "2025-07-05", status="stopped", end="2025-10-07")),
    ("2025-11-15", igg("igg-4", "2025-11-15", 5.6)), ("2025-11-15", m_protein("mp-4", "2025-11-15", 0.4)),
    ("2026-02-05", igg("igg-5", "2026-02-05", 4.9)), ("2026-02-05", m_protein("mp-5", "2026-02-05", 1.2)),
], [
    Visit("2025-04-25", ("start-substitution",), ("8.0 g/L", "3.0 g/L")),
    Visit("2025-05-20", ("general-criteria-igg-under-6",), ("6.2 g/L", "4.7 g/L")),
    Visit("2025-07-01", ("start-substitution",), ("4.5 g/L", "3.7 g/L", "2025-10-07")),
    Visit("2025-07-15", ("stop-planned",), ("2025-10-07",)),
    Visit("2025-10-01", ("stop-due-soon",), ("2025-10-07",), indicator="warning"),
    Visit("2025-11-20", ("general-criteria-igg-under-6",), ("5.6 g/L", "5.2 g/L")),
    Visit("2026-02-10", ("no-start-without-infections",), ("4.9 g/L", "3.7 g/L")),
    Visit("2026-05-01", ("no-start-without-infections",), ("3.7 g/L",)),
]))

# 7. Tisagenlecleucel for ALL on 2025-03-10 at 17 (born 2007-05-20): a child at T0 (§4: individual assessment) also
# after the 18th birthday on 2025-05-20 ([policy] age at T0). Blinatumomab from 2026-01-12, at 18: the newest index
# event, an adult's, opens a new window (stop date 2026-07-12) under the adult rules; the IVIG begun 2025-04-01 runs
# on from before it: the general stop criteria (§4.2), first review at the later of start + 6 months and the stop date.
JOURNEYS.append(Journey("turns-18-then-blinatumomab", [
    *start(birth="2007-05-20", dx=diagnosis("DC910")),
    ("2025-03-10", car_t_given("2025-03-10", "L01XL04")),
    ("2025-03-28", igg("igg-1", "2025-03-28", 2.5)),
    ("2025-04-01", ig_order("ivig", "2025-04-01")),
    ("2025-07-25", igg("igg-2", "2025-07-25", 6.8)),
    *doses("blina", "L01FX07", every("2026-01-12", 7, "2026-03-02")),
], [
    Visit("2025-03-25", ("child-individual-assessment",)),
    Visit("2025-05-19", ("child-individual-assessment",)),
    Visit("2025-05-20", ("child-individual-assessment",)),
    Visit("2025-08-01", ("child-individual-assessment",)),
    Visit("2025-09-20", ("child-individual-assessment",), says_not=("overdue",)),
    Visit("2025-12-01", ("child-individual-assessment",)),
    Visit("2026-02-01", ("general-stop-review",), ("2026-07-12",), indicator="info"),
    Visit("2026-07-20", ("general-stop-review",), ("2026-07-12",), indicator="warning"),
]))

# 8. Elranatamab for myeloma from 2025-02-17 (stop date 2025-08-17): start, planned, due, overdue (never stopped), and
# the patient dies on 2025-12-20 (month 10): no advice from then, in any entrance.
JOURNEYS.append(Journey("elranatamab-dies-in-month-10", [
    *start(dx=diagnosis("DC900")),
    *doses("elra", "L01FX32", ["2025-02-17", "2025-02-20", "2025-02-24", *every("2025-03-03", 7, "2025-12-15")]),
    ("2025-03-01", igg("igg-1", "2025-03-01", 3.5)),
    ("2025-03-10", ig_order("ivig", "2025-03-10")),
    ("2025-12-20", patient(deceased="2025-12-20")),
], [
    Visit("2025-03-05", ("start-substitution",), ("2025-08-17",)),
    Visit("2025-04-01", ("stop-planned",), ("2025-08-17",)),
    Visit("2025-08-10", ("stop-due-soon",), ("2025-08-17",), indicator="warning"),
    Visit("2025-09-01", ("stop-overdue",), ("2025-08-17",), indicator="warning"),
    Visit("2025-12-01", ("stop-overdue",), ("2025-08-17",)),
    Visit("2025-12-21", ()),
    Visit("2026-01-15", ()),
    Visit("2026-03-01", ()),
]))

# 9. A child throughout: born 2015-06-01, CD19 CAR-T (axi-cel recorded as an SKS procedure) on 2025-02-10, IgG low,
# immunoglobulin given routinely: individual assessment at every visit, on patient-view and on the order screen.
JOURNEYS.append(Journey("child-throughout", [
    *start(birth="2015-06-01", dx=diagnosis("DC910")),
    ("2025-02-10", car_t_procedure("2025-02-10", SKS, "BOQX1")),
    ("2025-02-25", igg("igg-1", "2025-02-25", 2.2)),
    ("2025-03-01", ig_order("ivig", "2025-03-01")),
    ("2025-09-15", igg("igg-2", "2025-09-15", 6.0)),
    ("2026-01-10", ig_order("ivig", "2025-03-01", status="stopped", end="2026-01-10")),
], [
    Visit("2025-02-26", ("child-individual-assessment",), draft=draft("2025-03-01"),
          order_codes=("child-individual-assessment",)),
    Visit("2025-05-01", ("child-individual-assessment",)),
    Visit("2025-08-15", ("child-individual-assessment",), says_not=("overdue",)),
    Visit("2025-10-01", ("child-individual-assessment",)),
    Visit("2026-02-01", ("child-individual-assessment",), draft=draft("2026-02-05"),
          order_codes=("child-individual-assessment",)),
]))

# 10. Liso-cel for lymphoma on 2025-05-05 (stop date 2025-11-05); substitution recorded only on the medication list
# (MedicationStatement, SCIG), neither ordered nor given in this EHR.
JOURNEYS.append(Journey("cart-scig-on-the-medication-list-only", [
    *start(dx=diagnosis("DC833")),
    ("2025-05-05", car_t_given("2025-05-05", "L01XL08")),
    ("2025-05-25", igg("igg-1", "2025-05-25", 3.6)),
    ("2025-06-10", ig_statement("fmk-scig", "2025-06-10")),
    ("2025-11-20", ig_statement("fmk-scig", "2025-06-10", status="completed", end="2025-11-20")),
    ("2026-02-10", igg("igg-2", "2026-02-10", 4.3)),
], [
    Visit("2025-06-01", ("start-substitution",), ("3.6 g/L", "2025-11-05")),
    Visit("2025-06-20", ("stop-planned",), ("2025-11-05",)),
    Visit("2025-10-25", ("stop-due-soon",), ("2025-11-05",), indicator="warning"),
    Visit("2025-11-15", ("stop-overdue",), ("2025-11-05",), indicator="warning"),
    Visit("2025-12-01", ("no-start-without-infections",)),
    Visit("2026-02-15", ("general-criteria-igg-under-6",), ("4.3 g/L",)),
    Visit("2026-05-20", ()),
]))

# 11. Mosunetuzumab for lymphoma from 2025-01-06 (stop date 2025-07-06). IVIG from 2025-02-01, put on hold on
# 2025-04-01 (paused: not on substitution; §4.3 a restart follows the general criteria, even inside the window),
# then stopped and replaced by a new order on 2025-05-05: a restart, the general stop criteria (6-12 months after
# its start), so no stop is due at the stop date. A draft at the order-sign visit is judged by the general criteria.
JOURNEYS.append(Journey("mosunetuzumab-order-on-hold-and-restarted", [
    *start(dx=diagnosis("C82.0", ICD10)),
    *doses("mosun", "L01FX25", ["2025-01-06", "2025-01-13", "2025-01-20", *every("2025-02-10", 21, "2025-09-01")]),
    ("2025-01-25", igg("igg-1", "2025-01-25", 3.2)),
    ("2025-02-01", ig_order("ivig", "2025-02-01")),
    ("2025-04-01", ig_order("ivig", "2025-02-01", status="on-hold")),
    ("2025-05-05", ig_order("ivig", "2025-02-01", status="stopped", end="2025-04-01")),
    ("2025-05-05", ig_order("ivig-2", "2025-05-05")),
], [
    Visit("2025-02-15", ("stop-planned",), ("2025-07-06",)),
    Visit("2025-04-10", ("no-start-without-infections",), ("3.2 g/L",)),
    Visit("2025-05-02", ("no-start-without-infections",), draft=draft("2025-05-05"),
          order_codes=("order-does-not-meet-criteria",)),
    Visit("2025-05-10", ("general-stop-review",), ("2025-11-05",), indicator="info"),
    Visit("2025-07-10", ("general-stop-review",), ("2025-11-05",), ("overdue",), indicator="info"),
    Visit("2025-11-10", ("general-stop-review",), ("2025-11-05",), indicator="warning"),
    Visit("2026-03-01", ("general-stop-review",), ("2026-05-05",), indicator="info"),
]))

# 12. Brexu-cel for mantle cell lymphoma on 2025-09-01 (stop date 2026-03-01), a draft immunoglobulin order at every
# order-sign visit: no IgG since T0; special start; a switch to SCIG; an extension past the stop date; after the stop
# without infections; recurrent verified bacterial pneumonia with IgG 3.0 g/L (general criteria); the restart.
JOURNEYS.append(Journey("cart-a-draft-at-every-order-sign-visit", [
    *start(dx=diagnosis("DC831")),
    ("2025-09-01", car_t_procedure("2025-09-01", SKS, "BOQX1")),
    ("2025-09-28", igg("igg-1", "2025-09-28", 3.1)),
    ("2025-10-03", ig_order("ivig", "2025-10-03", end="2026-03-01")),
    ("2025-11-05", ig_order("ivig", "2025-10-03", status="completed", end="2025-11-04")),
    ("2025-11-05", ig_order("scig", "2025-11-05", end="2026-03-01", atc="J06BA01")),
    ("2026-03-01", ig_order("scig", "2025-11-05", status="completed", end="2026-03-01", atc="J06BA01")),
    ("2026-04-10", infection("pneu-1", "2026-04-10", "DJ151")),
    ("2026-05-15", infection("pneu-2", "2026-05-15", "J15.1", ICD10)),
    ("2026-05-20", igg("igg-2", "2026-05-20", 3.0)),
    ("2026-06-05", ig_order("scig-2", "2026-06-05", atc="J06BA01")),
], [
    Visit("2025-09-15", ("measure-igg",), draft=draft("2025-09-16"), order_codes=("order-does-not-meet-criteria",)),
    Visit("2025-10-01", ("start-substitution",), ("3.1 g/L", "2026-03-01"), draft=draft("2025-10-03"),
          order_codes=("order-meets-criteria",), order_says=("2026-03-01",)),
    Visit("2025-11-01", ("stop-planned",), ("2026-03-01",), draft=draft("2025-11-05", "2026-03-01", "J06BA01"),
          order_codes=("order-meets-criteria",)),
    Visit("2026-02-20", ("stop-due-soon",), ("2026-03-01",), indicator="warning",
          draft=draft("2026-03-02", "2026-06-01", "J06BA01"), order_codes=("order-does-not-meet-criteria",)),
    Visit("2026-03-10", ("no-start-without-infections",), draft=draft("2026-03-12"),
          order_codes=("order-does-not-meet-criteria",)),
    Visit("2026-06-01", ("start-meets-general-criteria",), ("3.0 g/L",), draft=draft("2026-06-05", atc="J06BA01"),
          order_codes=("order-meets-criteria",)),
    Visit("2026-07-01", ("general-stop-review",), ("2026-12-05",), indicator="info"),
    Visit("2026-09-05", ("general-stop-review",), ("2026-12-05",), indicator="info"),
]))

# 13. The same IVIG paused on 2025-04-01 as an order left on hold for good (nobody discontinues it) beside the new order
# of 2025-05-05: the visits read what journey 11's did. FHIR R4 does not date a status, so the timeline over the last
# chart cannot tell when the hold began, and reads the order as on hold from its start: on 2025-02-15 it says what a
# paused course says (a restart needs the general criteria), where the visit, which saw the order active, was right.
JOURNEYS.append(Journey("mosunetuzumab-order-left-on-hold-beside-a-new-one", [
    *start(dx=diagnosis("C82.0", ICD10)),
    *doses("mosun", "L01FX25", ["2025-01-06", "2025-01-13", "2025-01-20", *every("2025-02-10", 21, "2025-09-01")]),
    ("2025-01-25", igg("igg-1", "2025-01-25", 3.2, LOINC, "2465-3")),
    ("2025-02-01", ig_order("ivig", "2025-02-01")),
    ("2025-04-01", ig_order("ivig", "2025-02-01", status="on-hold")),
    ("2025-05-05", ig_order("scig", "2025-05-05", atc="J06BA01")),
], [
    Visit("2025-02-15", ("stop-planned",), ("2025-07-06",), timeline=("no-start-without-infections",),
          why="the hold (2025-04-01) is undated in FHIR: the later chart's order reads as on hold since its start"),
    Visit("2025-04-10", ("no-start-without-infections",), ("3.2 g/L",)),
    Visit("2025-05-10", ("general-stop-review",), ("2025-11-05",), indicator="info"),
    Visit("2025-07-10", ("general-stop-review",), ("2025-11-05",), ("overdue",), indicator="info"),
    Visit("2025-11-10", ("general-stop-review",), ("2025-11-05",), indicator="warning"),
    Visit("2026-03-01", ("general-stop-review",), ("2026-05-05",), indicator="info"),
]))

BY_NAME = {j.name: j for j in JOURNEYS}
VISITS = [pytest.param(j, v, id=f"{j.name}@{v.day}") for j in JOURNEYS for v in j.visits]


# ---- the checks -----------------------------------------------------------------------------------------------------

def cards(j: Journey, v: Visit, lang: str = "en") -> list[dict[str, Any]]:
    return list(replay(RUNTIME, j.bundle(v.day), lang=lang, at=date.fromisoformat(v.day)).cards)


def code(card: dict[str, Any]) -> str:
    return str(card["source"]["topic"]["code"])


def text(card: dict[str, Any]) -> str:
    return f"{card['summary']}\n{card.get('detail', '')}"


def test_the_journeys_are_long_and_named_once() -> None:
    assert len(JOURNEYS) >= 12 and len(BY_NAME) == len(JOURNEYS)
    for j in JOURNEYS:
        days = [date.fromisoformat(v.day) for v in j.visits]
        assert 5 <= len(days) <= 10 and days == sorted(days), j.name
        assert 365 - 31 <= (days[-1] - days[0]).days <= 18 * 31, j.name


@pytest.mark.parametrize(("journey", "visit"), VISITS)
def test_patient_view(journey: Journey, visit: Visit) -> None:
    got = cards(journey, visit)
    assert tuple(code(c) for c in got) == visit.codes, [c["summary"] for c in got]
    assert all(len(c["summary"]) <= 140 and len(c.get("detail", "")) <= 700 for c in got)
    if not got:
        return
    for words in visit.says:
        assert words in text(got[0]), text(got[0])
    for words in visit.says_not:
        assert words not in text(got[0]), text(got[0])
    if visit.indicator:
        assert got[0]["indicator"] == visit.indicator


@pytest.mark.parametrize(("journey", "visit"), VISITS)
def test_danish_cards_say_the_same(journey: Journey, visit: Visit) -> None:
    en, da = cards(journey, visit), cards(journey, visit, "da")
    assert [code(c) for c in da] == [code(c) for c in en]
    assert [c["indicator"] for c in da] == [c["indicator"] for c in en]
    for words in visit.says:
        if words[:4].isdigit() and words[4:5] == "-":  # a date reads the same in both languages
            assert words in text(da[0]), text(da[0])
        elif words.endswith(" g/L"):  # a value, with a decimal comma or point
            assert words in text(da[0]) or words.replace(".", ",") in text(da[0]), text(da[0])


@pytest.mark.parametrize(("journey", "visit"), VISITS)
def test_the_worklist_row_says_the_same(journey: Journey, visit: Visit) -> None:
    resources = [e["resource"] for e in journey.bundle(visit.day)["entry"]]
    rows = evaluate_patient_resources(resources, date.fromisoformat(visit.day), RUNTIME)
    assert [r.code for r in rows] == [code(c) for c in cards(journey, visit)]


@pytest.mark.parametrize("journey", JOURNEYS, ids=lambda j: j.name)
def test_the_timeline_over_the_last_chart_agrees_with_every_visit(journey: Journey) -> None:
    last = date.fromisoformat(journey.last_day())
    timeline = build_timeline(patient_data(journey.bundle(journey.last_day()), RUNTIME), RUNTIME, end=last, today=last)
    for visit in journey.visits:
        day = date.fromisoformat(visit.day)
        in_force = [s for s in timeline.changes if s.day <= day]
        said = tuple(in_force[-1].codes) if in_force else ()
        assert said == (visit.timeline if visit.timeline is not None else visit.codes), (visit.day, visit.why)


ORDER_VISITS = [pytest.param(j, v, id=f"{j.name}@{v.day}") for j in JOURNEYS for v in j.visits if v.draft]


@pytest.mark.parametrize(("journey", "visit"), ORDER_VISITS)
@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_draft_at_an_order_sign_visit(journey: Journey, visit: Visit, lang: str) -> None:
    assert visit.draft is not None
    answer = replay(RUNTIME, journey.bundle(visit.day), lang=lang, hook="order-sign", drafts=[visit.draft],
                    at=date.fromisoformat(visit.day))
    got = [c for c in answer.cards]
    assert tuple(code(c) for c in got) == visit.order_codes, [c["summary"] for c in got]
    for words in visit.order_says:
        assert words in text(got[0]) + str(got[0].get("suggestions", "")), text(got[0])


@pytest.mark.parametrize("status", ["stopped", "completed"])
def test_the_timeline_keeps_a_stopped_order_running_up_to_its_end(status: str) -> None:
    """Clinical rules §5: substitution runs from the order's start to its boundsPeriod.end. Read on 2026-01-10, the
    IVIG of journey 1 is 'stopped' with its end 2025-07-15 long past; the timeline over that chart said on the
    days it ran (2025-03-14 to 2025-07-15) 'IgG 3.4 g/L, no infections: a start is not recommended' (§4.3), and no
    stop card, where the clinician had read the stop planned and due for 2025-07-15: FHIR does not date a status,
    and 'stopped' was read as known on each earlier day. A completed order always read as running."""
    j = BY_NAME["cart-special-stop-then-general-restart"]
    chart = j.bundle("2026-01-10")
    for entry in chart["entry"]:
        if entry["resource"]["id"] == "ivig":
            entry["resource"] = {**entry["resource"], "status": status}
    last = date(2026, 1, 10)
    timeline = build_timeline(patient_data(chart, RUNTIME), RUNTIME, end=last, today=last)
    said = {s.day.isoformat(): tuple(s.codes) for s in timeline.changes}
    assert said["2025-03-14"] == ("stop-planned",), said
    assert said["2025-07-01"] == ("stop-due-soon",), said
    assert said["2025-07-16"] == ("no-start-without-infections",), said


def test_the_timeline_past_the_read_day_keeps_an_early_stop() -> None:
    """Read on 2026-01-10, the first IVIG of journey 1 is 'stopped' with its planned end 2026-03-01 still ahead: it
    was stopped early, on a day up to 2026-01-10 (clinical rules §5). The timeline's days past the read day (its
    default range reaches past it) read the order as running up to that planned end: on 2026-03-01 the old episode
    from 2025-03-14 came back and the card said 'Ig stop date 2025-07-15 passed: pause substitution' (stop-overdue)
    beside the restart that began on 2025-12-15, whose general stop review (§4.2) is what applies."""
    j = BY_NAME["cart-special-stop-then-general-restart"]
    chart = j.bundle("2026-01-10")
    for entry in chart["entry"]:
        if entry["resource"]["id"] == "ivig":
            entry["resource"] = ig_order("ivig", "2025-03-14", status="stopped", end="2026-03-01")
    read = date(2026, 1, 10)
    timeline = build_timeline(patient_data(chart, RUNTIME), RUNTIME, end=date(2026, 6, 1), today=read)
    said = {s.day.isoformat(): tuple(s.codes) for s in timeline.changes}
    assert said["2025-12-15"] == ("general-stop-review",), said
    assert not any("stop-overdue" in codes for day, codes in said.items() if day > "2026-01-10"), said
