"""Stopping and pausing substitution (§4.2, §3.4, §4.3's restart), from the clinician's side, on three entrances.

Each chart is a small bundle shaped like a Danish hospital EHR's (SKS, ICD-10, SNOMED, NPU, LOINC, ATC codes;
orders, doses given, medication records and SKS procedures), replayed at a fixed date. What the clinician
should read was written down from Medicinrådet 2025 before the chart was run:

- §4.2, first paragraph: substitution begun inside the window on IgG < 4 g/L without severe or recurrent
  verified bacterial infections before it is to be stopped at T0 + 6 calendar months (the stop date):
  'planned' before, [policy] 'due' from 14 days before up to and including the stop date, 'overdue' after;
  a short extension for a community risk of bacterial infection is an override reason.
- §4.2, second paragraph: substitution begun before T0, after the window, as a restart (§4.3) or inside the
  window because of severe/recurrent verified bacterial infections ([policy] onset from T0 - 3 months up to
  the start) follows the general criteria: a stop attempt 6-12 months after the start ([policy] not before
  the stop date), then a review every 6 months.
- §3.4: immune restitution is IgG > 4 g/L measured off substitution; an IgG taken on substitution is not.

Each chart's patient-view answer is also read from the worklist row and the timeline day for the same date:
the three must agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cds_service.tools.timeline import build_timeline, patient_data, state_on
from cds_service.tools.worklist import evaluate_patient_resources

RUNTIME = load_runtime(Settings())
PATIENT = "pt-stop"
SUBJECT = {"reference": f"Patient/{PATIENT}"}
SKS = "urn:oid:1.2.208.176.2.4"
SKS_D = "urn:oid:1.2.208.176.2.4.12"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SCT = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
NPU = "http://npu-terminology.org"
LOINC = "http://loinc.org"
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}
PROVISIONAL = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                           "code": "provisional"}]}
SEVERE = {"coding": [{"system": SCT, "code": "24484000", "display": "Severe"}]}

Resource = dict[str, Any]


# ---- resources, as a Danish EHR sends them -------------------------------------------------------------------------

def patient() -> Resource:
    return {"resourceType": "Patient", "id": PATIENT, "birthDate": "1958-03-14",
            "identifier": [{"system": "urn:oid:1.2.208.176.1.2", "value": "1403581234"}]}


def diagnosis(code: str = "DC833", system: str = SKS_D) -> Resource:
    return {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2023-06-01",
            "verificationStatus": CONFIRMED, "code": {"coding": [{"system": system, "code": code}]}}


def car_t(when: str, rid: str = "cart", system: str = SCT, code: str = "1156961008") -> Resource:
    return {"resourceType": "Procedure", "id": rid, "status": "completed", "subject": SUBJECT,
            "code": {"coding": [{"system": system, "code": code}]}, "performedDateTime": when}


def bsab(when: str, atc: str, rid: str = "bsab") -> Resource:
    return {"resourceType": "MedicationAdministration", "id": rid, "status": "completed", "subject": SUBJECT,
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc}]}, "effectiveDateTime": when}


def igg(rid: str, when: str, value: float, system: str = NPU, code: str = "NPU19814") -> Resource:
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": SUBJECT,
            "effectiveDateTime": when, "code": {"coding": [{"system": system, "code": code}]},
            "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}


def infection(rid: str, onset: str, code: str = "DA419", system: str = SKS_D, severe: bool = False,
              verified: bool = True) -> Resource:
    out: Resource = {"resourceType": "Condition", "id": rid, "subject": SUBJECT, "onsetDateTime": onset,
                     "verificationStatus": CONFIRMED if verified else PROVISIONAL,
                     "code": {"coding": [{"system": system, "code": code}]}}
    if severe:
        out["severity"] = SEVERE
    return out


def ig_order(rid: str, start: str, status: str = "active", end: str | None = None, atc: str = "J06BA02",
             bounds: bool = True) -> Resource:
    out: Resource = {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order",
                     "subject": SUBJECT, "authoredOn": start,
                     "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc}]}}
    if bounds:
        period = {"start": start, **({"end": end} if end else {})}
        out["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": period}}}]
    return out


def booked(rid: str, start: str, authored: str, atc: str = "J06BA01") -> Resource:
    """An active Ig order written on `authored` to begin on `start`."""
    return {**ig_order(rid, start, atc=atc), "authoredOn": authored}


def ig_doses(prefix: str, first: str, every_days: int, last: str, atc: str = "J06BA02") -> list[Resource]:
    """Completed administrations from `first` every `every_days` up to and including `last`."""
    out, day, n = [], date.fromisoformat(first), 0
    while day <= date.fromisoformat(last):
        out.append({"resourceType": "MedicationAdministration", "id": f"{prefix}-{n}", "status": "completed",
                    "subject": SUBJECT, "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc}]},
                    "effectiveDateTime": day.isoformat()})
        day, n = day + timedelta(days=every_days), n + 1
    return out


def ig_statement(rid: str, start: str, status: str = "active", end: str | None = None,
                 atc: str = "J06BA02") -> Resource:
    return {"resourceType": "MedicationStatement", "id": rid, "status": status, "subject": SUBJECT,
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc}]},
            "effectivePeriod": {"start": start, **({"end": end} if end else {})}}


def ig_procedures(prefix: str, first: str, every_days: int, last: str, code: str = "BOHJ10B") -> list[Resource]:
    out, day, n = [], date.fromisoformat(first), 0
    while day <= date.fromisoformat(last):
        out.append({"resourceType": "Procedure", "id": f"{prefix}-{n}", "status": "completed", "subject": SUBJECT,
                    "code": {"coding": [{"system": SKS, "code": code}]}, "performedDateTime": day.isoformat()})
        day, n = day + timedelta(days=every_days), n + 1
    return out


def bundle(*resources: Resource | list[Resource], dx: Resource | None = None) -> Resource:
    flat: list[Resource] = [patient(), dx or diagnosis()]
    for r in resources:
        flat.extend(r if isinstance(r, list) else [r])
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in flat]}


# ---- the charts -----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Chart:
    name: str
    bundle: Resource
    at: str
    codes: tuple[str, ...]  # the cards' advice codes, in order ((): no card)
    says: tuple[str, ...] = ()  # in the English summary + detail
    says_not: tuple[str, ...] = ()
    indicator: str | None = None  # of the first card
    variant: str | None = None
    overrides: tuple[str, ...] = field(default=())  # override reason codes the first card must offer
    suggests: tuple[str, ...] | None = None  # the first card's suggestion labels (None: not checked)


# CAR-T 2025-11-18 (stop date 2026-05-18), IgG 2.8 g/L on 2025-12-10, IVIG from 2025-12-15: the special stop.
CART = car_t("2025-11-18")
LOW = igg("igg-low", "2025-12-10", 2.8)
SPECIAL = (CART, LOW, ig_order("ivig", "2025-12-15"))
# Month ends: CAR-T 2025-08-31 (stop date 2026-02-28, SKS BOQX1), teclistamab 2024-02-29 (stop date 2024-08-29).
MONTH_END = (car_t("2025-08-31", system=SKS, code="BOQX1"), igg("igg-m", "2025-09-20", 2.1, LOINC, "2465-3"),
             ig_order("scig", "2025-09-25", atc="J06BA01"))
LEAP = (bsab("2024-02-29", "L01FX24"), igg("igg-leap", "2024-03-20", 2.0), ig_order("ivig-leap", "2024-03-25"))
MYELOMA = diagnosis("C90.0", ICD10)
SEPSIS_BEFORE_START = (CART, infection("sepsis", "2026-01-05"), igg("igg-sepsis", "2026-01-06", 2.5),
                       ig_order("ivig-inf", "2026-01-10"))
BEFORE_T0 = (CART, igg("igg-pre", "2025-02-20", 3.0), ig_order("ivig-pre", "2025-03-01"))
SPECIAL_UNTIL_STOP = (CART, LOW, ig_order("ivig", "2025-12-15", status="completed", end="2026-05-18"))

CHARTS = [
    # §4.2 first paragraph: the special stop, seen long before, 15 and 14 days before, on and after the stop date.
    Chart("special-long-before", bundle(*SPECIAL), "2026-01-20", ("stop-planned",), ("2026-05-18",), (), "info"),
    Chart("special-15-days-before", bundle(*SPECIAL), "2026-05-03", ("stop-planned",), ("2026-05-18",)),
    Chart("special-14-days-before", bundle(*SPECIAL), "2026-05-04", ("stop-due-soon",), ("2026-05-18", "14 days"),
          (), "warning", overrides=("community-infection-risk",)),
    Chart("special-on-stop-date", bundle(*SPECIAL), "2026-05-18", ("stop-due-soon",), ("2026-05-18",), (),
          "warning", overrides=("community-infection-risk",)),
    Chart("special-day-after", bundle(*SPECIAL), "2026-05-19", ("stop-overdue",), ("2026-05-18", "1 day"), (),
          "warning", overrides=("community-infection-risk",)),
    Chart("special-months-after", bundle(*SPECIAL), "2026-09-01", ("stop-overdue",), ("2026-05-18",), (), "warning"),
    Chart("month-end-planned", bundle(*MONTH_END), "2026-02-13", ("stop-planned",), ("2026-02-28",)),
    Chart("month-end-due", bundle(*MONTH_END), "2026-02-14", ("stop-due-soon",), ("2026-02-28",), (), "warning"),
    Chart("month-end-on-stop-date", bundle(*MONTH_END), "2026-02-28", ("stop-due-soon",), ("2026-02-28",)),
    Chart("month-end-overdue", bundle(*MONTH_END), "2026-03-01", ("stop-overdue",), ("2026-02-28",)),
    Chart("leap-day-planned", bundle(*LEAP, dx=MYELOMA), "2024-08-14", ("stop-planned",), ("2024-08-29",)),
    Chart("leap-day-due", bundle(*LEAP, dx=MYELOMA), "2024-08-15", ("stop-due-soon",), ("2024-08-29",)),
    Chart("leap-day-overdue", bundle(*LEAP, dx=MYELOMA), "2024-08-30", ("stop-overdue",), ("2024-08-29",)),
    # §4.2 second paragraph: started in the window because of severe/recurrent verified bacterial infections.
    Chart("infection-start-info", bundle(*SEPSIS_BEFORE_START), "2026-03-01", ("general-stop-review",),
          ("2026-07-10",), ("Stop attempt",), "info", "info"),
    Chart("infection-start-past-stop-date", bundle(*SEPSIS_BEFORE_START), "2026-05-20", ("general-stop-review",),
          ("2026-07-10",), (), "info", "info"),
    Chart("infection-start-review-due", bundle(*SEPSIS_BEFORE_START), "2026-07-15", ("general-stop-review",),
          ("2026-07-10",), (), "warning", "due"),
    Chart("sepsis-2-5-months-before-t0", bundle(*SPECIAL, infection("sepsis", "2025-09-01", "A41.9", ICD10)),
          "2026-05-20", ("general-stop-review",), ("2026-06-15",), (), "info"),
    Chart("sepsis-on-t0-minus-3-months", bundle(*SPECIAL, infection("sepsis", "2025-08-18", "A41.9", ICD10)),
          "2026-05-20", ("general-stop-review",), ("2026-06-15",)),
    Chart("sepsis-before-t0-minus-3-months", bundle(*SPECIAL, infection("sepsis", "2025-08-10", "A41.9", ICD10)),
          "2026-05-20", ("stop-overdue",), ("2026-05-18",)),
    Chart("recurrent-snomed-pneumonia-before-start",
          bundle(*SPECIAL, infection("pn-1", "2025-10-01", "53084003", SCT), infection("pn-2", "2025-12-01",
                                                                                       "53084003", SCT)),
          "2026-05-20", ("general-stop-review",), ("2026-06-15",)),
    Chart("severe-pneumonia-days-before-start", bundle(*SPECIAL, infection("pn", "2025-12-12", "J15.9", ICD10,
                                                                           severe=True)),
          "2026-05-20", ("general-stop-review",), ("2026-06-15",)),
    Chart("one-moderate-pneumonia-before-start", bundle(*SPECIAL, infection("pn", "2025-12-01", "DJ13")),
          "2026-05-20", ("stop-overdue",), ("2026-05-18",)),
    Chart("provisional-sepsis-before-start", bundle(*SPECIAL, infection("sepsis", "2025-12-01", verified=False)),
          "2026-05-20", ("stop-overdue",), ("2026-05-18",)),
    Chart("sepsis-after-start", bundle(*SPECIAL, infection("sepsis", "2026-02-01")), "2026-05-10",
          ("stop-due-soon",), ("2026-05-18",)),
    # §4.2: on substitution before T0: the first attempt at the later of start + 6 months and the stop date.
    Chart("before-t0-long-before", bundle(*BEFORE_T0), "2026-02-01", ("general-stop-review",), ("2026-05-18",), (),
          "info", "info"),
    Chart("before-t0-review-due", bundle(*BEFORE_T0), "2026-05-20", ("general-stop-review",), ("2026-05-18",), (),
          "warning", "due"),
    Chart("before-t0-continued", bundle(*BEFORE_T0), "2026-07-01", ("general-stop-review",), ("2026-11-18",), (),
          "info", "info"),
    Chart("before-t0-second-review-due", bundle(*BEFORE_T0), "2026-11-20", ("general-stop-review",),
          ("2026-11-18",), (), "warning", "due"),
    Chart("paused-for-infusion-resumed", bundle(CART, igg("igg-pre", "2025-03-25", 3.0),
                                                ig_order("ivig-1", "2025-04-01", "completed", "2025-11-01"),
                                                ig_order("ivig-2", "2025-12-01")),
          "2026-05-10", ("general-stop-review",), (), ()),
    Chart("home-scig-statement-before-t0", bundle(CART, igg("igg-pre", "2024-05-20", 3.0),
                                                  ig_statement("scig-home", "2024-06-01", atc="J06BA01")),
          "2026-05-25", ("general-stop-review",), ("2026-05-18",), (), "warning", "due"),
    Chart("doses-paused-over-infusion", bundle(CART, igg("igg-pre", "2025-07-20", 3.0),
                                               ig_doses("ivig-a", "2025-08-01", 28, "2025-10-24"),
                                               ig_doses("ivig-b", "2025-12-05", 28, "2026-05-22")),
          "2026-05-25", ("general-stop-review",), ("2026-05-18",), (), "warning", "due"),
    # §4.3: a restart, inside and after the window.
    Chart("restart-in-window", bundle(CART, LOW, ig_order("ivig-1", "2025-12-15", "completed", "2026-03-01"),
                                      ig_order("ivig-2", "2026-04-01")),
          "2026-05-20", ("general-stop-review",), ("2026-10-01",)),
    Chart("restart-after-window", bundle(*SPECIAL_UNTIL_STOP, ig_order("ivig-2", "2026-07-01")), "2026-08-01",
          ("general-stop-review",), ("2027-01-01", "without the general criteria"), (), "warning", "criteria-not-met"),
    Chart("restart-after-window-review-due", bundle(*SPECIAL_UNTIL_STOP, ig_order("ivig-2", "2026-07-01")),
          "2027-01-05", ("general-stop-review",), ("2027-01-01",), (), "warning", "due"),
    Chart("doses-restart-in-window", bundle(CART, LOW, ig_doses("ivig-a", "2025-12-15", 28, "2026-02-09"),
                                            ig_doses("ivig-b", "2026-04-20", 28, "2026-05-18")),
          "2026-05-25", ("general-stop-review",), ("2026-10-20",)),
    Chart("infections-return-after-stop", bundle(*SPECIAL_UNTIL_STOP, infection("sepsis", "2026-06-20"),
                                                 igg("igg-off", "2026-06-25", 3.1)),
          "2026-07-01", ("start-meets-general-criteria",), ("3.1", "antibiotic prophylaxis can be tried"), (),
          "info", "after-stop"),
    Chart("infections-with-no-substitution-yet", bundle(CART, infection("sepsis", "2026-06-20"),
                                                        igg("igg-off", "2026-06-25", 3.1)),
          "2026-07-01", ("start-meets-general-criteria",), ("3.1",), ("prophylaxis can be tried",), "info", ""),
    Chart("one-infection-after-stop", bundle(*SPECIAL_UNTIL_STOP, infection("pn", "2026-06-20", "DJ13"),
                                             igg("igg-off", "2026-06-25", 3.1)),
          "2026-07-01", ("no-start-without-infections",), ("prophyla",)),
    # How the service reads Ig: order statuses and end dates, doses, medication records, SKS procedures.
    Chart("order-on-hold-after-window", bundle(CART, LOW, ig_order("ivig", "2025-12-15", "on-hold")), "2026-05-20",
          ("no-start-without-infections",)),
    Chart("order-stopped-with-end", bundle(CART, LOW, ig_order("ivig", "2025-12-15", "stopped", "2026-03-01")),
          "2026-05-20", ("no-start-without-infections",)),
    Chart("order-completed-no-end", bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed")), "2026-05-20",
          ("no-start-without-infections",), ("without an end date",)),
    Chart("order-ends-on-stop-date", bundle(*SPECIAL_UNTIL_STOP[:2], ig_order("ivig", "2025-12-15",
                                                                             end="2026-05-18")),
          "2026-05-10", ("stop-due-soon",), ("2026-05-18",), (), "warning", "order-ends-on-stop"),
    Chart("order-ended-on-stop-date", bundle(*SPECIAL_UNTIL_STOP[:2], ig_order("ivig", "2025-12-15",
                                                                              end="2026-05-18")),
          "2026-05-19", ("no-start-without-infections",)),
    Chart("order-ends-before-stop-date", bundle(CART, LOW, ig_order("ivig", "2025-12-15", end="2026-04-01")),
          "2026-03-01", ("stop-planned",), ("2026-04-01", "2026-05-18"), (), "info", "order-ends-earlier"),
    Chart("order-ends-after-stop-date", bundle(CART, LOW, ig_order("ivig", "2025-12-15", end="2026-08-01")),
          "2026-05-20", ("stop-overdue",), ("2026-05-18",)),
    Chart("order-authored-only", bundle(CART, LOW, ig_order("ivig", "2025-12-15", bounds=False)), "2026-05-10",
          ("stop-due-soon",), ("2026-05-18",)),
    Chart("ivig-doses-due", bundle(CART, LOW, ig_doses("ivig", "2025-12-15", 28, "2026-05-04")), "2026-05-10",
          ("stop-due-soon",), ("2026-05-18",)),
    Chart("ivig-doses-overdue", bundle(CART, LOW, ig_doses("ivig", "2025-12-15", 28, "2026-05-04")), "2026-05-25",
          ("stop-overdue",), ("2026-05-04",), (), "warning", "doses"),
    Chart("ivig-doses-course-ended", bundle(CART, LOW, ig_doses("ivig", "2025-12-15", 28, "2026-05-04")),
          "2026-06-09", ("no-start-without-infections",)),
    Chart("scig-weekly-doses-overdue", bundle(CART, LOW, ig_doses("scig", "2025-12-15", 7, "2026-05-25",
                                                                  "J06BA01")),
          "2026-05-26", ("stop-overdue",), ("2026-05-25",), (), "warning", "doses"),
    Chart("statement-planned", bundle(CART, LOW, ig_statement("ms", "2025-12-15")), "2026-03-01", ("stop-planned",),
          ("2026-05-18",)),
    Chart("statement-overdue", bundle(CART, LOW, ig_statement("ms", "2025-12-15")), "2026-05-20", ("stop-overdue",),
          ("2026-05-18",)),
    Chart("sks-bohj10b-due", bundle(CART, LOW, ig_procedures("proc", "2025-12-15", 28, "2026-05-04")), "2026-05-10",
          ("stop-due-soon",), ("2026-05-18",)),
    Chart("sks-bohj10a-overdue", bundle(CART, LOW, ig_procedures("proc", "2025-12-15", 28, "2026-05-18",
                                                                 "BOHJ10A")),
          "2026-05-20", ("stop-overdue",), ("2026-05-18",)),
    Chart("ivig-to-scig-4-day-gap-due", bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed", "2026-02-01"),
                                               ig_order("scig", "2026-02-05", atc="J06BA01")),
          "2026-05-10", ("stop-due-soon",), ("2026-05-18",)),
    Chart("ivig-to-scig-4-day-gap-overdue", bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed",
                                                                       "2026-02-01"),
                                                   ig_order("scig", "2026-02-05", atc="J06BA01")),
          "2026-05-20", ("stop-overdue",), ("2026-05-18",)),
    # §3.4: IgG on substitution is not restitution; IgG off substitution after the stop is.
    Chart("igg-high-on-substitution", bundle(*SPECIAL, igg("igg-on", "2026-04-01", 7.5)), "2026-04-10",
          ("stop-planned",), ("2026-05-18",), (), "info"),
    Chart("igg-4-8-off-after-stop", bundle(*SPECIAL_UNTIL_STOP, igg("igg-off", "2026-07-15", 4.8)), "2026-07-20",
          ("general-criteria-igg-under-6",), ("4.8",)),
    Chart("igg-6-5-off-after-stop", bundle(*SPECIAL_UNTIL_STOP, igg("igg-off", "2026-07-15", 6.5)), "2026-07-20",
          ()),
    Chart("igg-high-in-washout-after-stop", bundle(*SPECIAL_UNTIL_STOP, igg("igg-wash", "2026-06-01", 7.2)),
          "2026-06-05", ("no-start-without-infections",), (), ("restitution",)),
    # §2 [policy]: a later therapy opens a new window and moves the stop date.
    Chart("bsab-then-cart-ig-before-cart", bundle(bsab("2025-06-01", "L01FX27"), igg("igg-1", "2025-06-20", 2.9),
                                                  ig_order("ivig", "2025-07-01"), car_t("2025-10-15")),
          "2025-12-05", ("general-stop-review",), ("2026-04-15",), ("2025-12-01",)),
    Chart("bsab-then-cart-ig-after-cart-due", bundle(bsab("2025-03-01", "L01FX24"), car_t("2025-10-15"),
                                                     igg("igg-1", "2025-10-25", 2.5), ig_order("ivig", "2025-11-01")),
          "2026-04-05", ("stop-due-soon",), ("2026-04-15",), (), "warning"),
    Chart("bsab-then-cart-ig-after-cart-overdue", bundle(bsab("2025-03-01", "L01FX24"), car_t("2025-10-15"),
                                                         igg("igg-1", "2025-10-25", 2.5),
                                                         ig_order("ivig", "2025-11-01")),
          "2026-04-16", ("stop-overdue",), ("2026-04-15",)),
    Chart("cart-then-glofitamab", bundle(car_t("2025-03-01"), bsab("2025-09-10", "L01FX28"),
                                         igg("igg-1", "2025-09-15", 2.2), ig_order("ivig", "2025-09-20")),
          "2026-03-11", ("stop-overdue",), ("2026-03-10",)),
    # More edges: the start day against T0, a course ended before T0, statuses, booked and extended orders.
    Chart("ig-started-on-t0", bundle(CART, igg("igg-t0", "2025-11-10", 2.6), ig_order("ivig", "2025-11-18")),
          "2026-05-19", ("stop-overdue",), ("2026-05-18",)),
    Chart("ig-started-day-before-t0", bundle(CART, igg("igg-t0", "2025-11-10", 2.6), ig_order("ivig", "2025-11-17")),
          "2026-05-19", ("general-stop-review",), ("2026-05-18",), (), "warning", "due"),
    Chart("course-ended-80-days-before-t0", bundle(CART, LOW, ig_order("ivig-0", "2025-03-01", "completed",
                                                                       "2025-08-30"),
                                                   ig_order("ivig", "2025-12-15")),
          "2026-05-19", ("general-stop-review",)),
    Chart("course-ended-100-days-before-t0", bundle(CART, LOW, ig_order("ivig-0", "2025-03-01", "completed",
                                                                        "2025-08-10"),
                                                    ig_order("ivig", "2025-12-15")),
          "2026-05-19", ("stop-overdue",), ("2026-05-18",)),
    Chart("order-ends-on-stop-date-that-day", bundle(*SPECIAL_UNTIL_STOP), "2026-05-18", ("stop-due-soon",),
          ("2026-05-18",), (), "warning", "order-ends-on-stop"),
    Chart("order-on-hold-in-window", bundle(CART, LOW, ig_order("ivig", "2025-12-15", "on-hold")), "2026-03-01",
          ("no-start-without-infections",)),
    Chart("order-stopped-no-end-in-window", bundle(CART, LOW, ig_order("ivig", "2025-12-15", "stopped")),
          "2026-03-01", ("no-start-without-infections",), ("without an end date",)),
    Chart("order-entered-in-error", bundle(CART, igg("igg-low", "2026-03-01", 2.8),
                                           ig_order("ivig", "2025-12-15", "entered-in-error")),
          "2026-03-05", ("start-substitution",)),
    Chart("order-extended-past-stop-due", bundle(CART, LOW, ig_order("ivig", "2025-12-15", end="2026-06-15")),
          "2026-05-10", ("stop-due-soon",), ("2026-05-18",), (), "warning", "",
          ("community-infection-risk",)),
    Chart("order-extended-past-stop-overdue", bundle(CART, LOW, ig_order("ivig", "2025-12-15", end="2026-06-15")),
          "2026-05-25", ("stop-overdue",), ("2026-05-18",)),
    Chart("continuation-booked-after-stop", bundle(CART, LOW, ig_order("ivig", "2025-12-15", end="2026-05-18"),
                                                   ig_order("ivig-2", "2026-05-19", end="2026-08-19")),
          "2026-05-10", ("stop-due-soon",), ("2026-05-18",)),
    Chart("statement-completed-with-end", bundle(CART, LOW, ig_statement("ms", "2025-12-15", "completed",
                                                                         "2026-04-20")),
          "2026-05-20", ("no-start-without-infections",)),
    Chart("doses-on-stop-date", bundle(CART, LOW, ig_doses("ivig", "2025-12-15", 28, "2026-05-04")), "2026-05-18",
          ("stop-due-soon",), ("2026-05-18",), (), "warning"),
    Chart("doses-restart-after-window", bundle(CART, LOW, ig_doses("ivig-a", "2025-12-15", 28, "2026-05-04"),
                                               ig_doses("ivig-b", "2026-07-01", 28, "2026-07-29")),
          "2026-08-01", ("general-stop-review",), ("2027-01-01",)),
    Chart("igg-on-scig-doses-overdue", bundle(CART, LOW, ig_doses("scig", "2025-12-15", 7, "2026-05-25", "J06BA01"),
                                              igg("igg-on", "2026-05-20", 5.5)),
          "2026-05-26", ("stop-overdue",), ("2026-05-25", "not recovery"), ("restitution",)),
    # Infection onsets at the edges of 'before its start' (T0 - 3 months up to the start).
    Chart("sepsis-on-start-day", bundle(*SPECIAL, infection("sepsis", "2025-12-15")), "2026-05-20",
          ("general-stop-review",), ("2026-06-15",)),
    Chart("sepsis-day-after-start", bundle(*SPECIAL, infection("sepsis", "2025-12-16")), "2026-05-20",
          ("stop-overdue",), ("2026-05-18",)),
    Chart("pneumonias-one-before-lookback", bundle(*SPECIAL, infection("pn-1", "2025-08-01", "DJ13"),
                                                   infection("pn-2", "2025-10-01", "DJ13")),
          "2026-05-20", ("stop-overdue",), ("2026-05-18",)),
    # bsAb resumption keeps T0; other month ends.
    Chart("teclistamab-resumed-keeps-stop-date", bundle(bsab("2025-06-01", "L01FX24"),
                                                        bsab("2025-07-15", "L01FX24", "bsab-2"),
                                                        igg("igg-1", "2025-06-15", 2.4), ig_order("ivig", "2025-06-20"),
                                                        dx=MYELOMA),
          "2025-12-05", ("stop-overdue",), ("2025-12-01",)),
    Chart("t0-oct-31", bundle(car_t("2025-10-31"), igg("igg-1", "2025-11-15", 2.4), ig_order("ivig", "2025-11-20")),
          "2026-04-30", ("stop-due-soon",), ("2026-04-30",)),
    Chart("t0-dec-31", bundle(car_t("2025-12-31"), igg("igg-1", "2026-01-15", 2.4), ig_order("ivig", "2026-01-20")),
          "2026-07-01", ("stop-overdue",), ("2026-06-30",)),
    # The general review's due day.
    Chart("before-t0-day-before-due", bundle(*BEFORE_T0), "2026-05-17", ("general-stop-review",), ("2026-05-18",),
          (), "info", "info"),
    Chart("before-t0-on-due-day", bundle(*BEFORE_T0), "2026-05-18", ("general-stop-review",), ("2026-05-18",), (),
          "warning", "due"),
    # A completed order (or a medication record) seen before its end is the course that runs: it is read like an
    # order with that end, not as doses ('book no doses'), and an order that ends on the stop date is left to end.
    Chart("completed-order-ending-on-stop-date-planned",
          bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed", "2026-05-18")), "2026-03-01",
          ("stop-planned",), ("Let the order end on 2026-05-18",), ("doses",), "info", "", suggests=()),
    Chart("completed-order-ending-on-stop-date-due",
          bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed", "2026-05-18")), "2026-05-10",
          ("stop-due-soon",), ("the order ends then",), (), "warning", "order-ends-on-stop", suggests=()),
    Chart("completed-order-ending-on-stop-date-that-day",
          bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed", "2026-05-18")), "2026-05-18",
          ("stop-due-soon",), ("the order ends then",), (), "warning", "order-ends-on-stop", suggests=()),
    Chart("completed-order-ending-after-stop-date-planned",
          bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed", "2026-08-01")), "2026-03-01",
          ("stop-planned",), ("Let the order end on 2026-05-18",), ("doses",), "info", "",
          suggests=()),  # second reading: a completed order is closed; no suggestion to change it
    Chart("completed-order-ending-after-stop-date-due",
          bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed", "2027-06-01")), "2026-05-10",
          ("stop-due-soon",), ("Pause substitution on 2026-05-18",), (), "warning", "", suggests=()),
    Chart("completed-order-ending-after-stop-date-overdue",
          bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed", "2027-06-01")), "2026-05-20",
          ("stop-overdue",), ("Pause substitution now",), (), "warning", "", suggests=()),
    # Second reading: a home-medication record with no end beside the order of the same start (not linked to it): when
    # the order has ended on the stop date the record still says substitution goes on. It is the same course, begun
    # in the window: the stop is overdue, not a restart to review on 2026-06-15.
    Chart("statement-beside-order-of-same-start-after-order-ended",
          bundle(CART, LOW, ig_statement("ms", "2025-12-15"), ig_order("ivig", "2025-12-15", end="2026-05-18")),
          "2026-05-20", ("stop-overdue",), ("2026-05-18",), ("it is a restart",), "warning"),
    Chart("active-order-beside-completed-one-is-the-one-ended",
          bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed", "2027-06-01"),
                 ig_order("scig", "2026-01-10", atc="J06BA01")), "2026-03-01",
          ("stop-planned",), ("2026-05-18",), (), "info", "", suggests=("End the immunoglobulin order on 2026-05-18",)),
    Chart("completed-order-ending-before-stop-date",
          bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed", "2026-04-01")), "2026-03-01",
          ("stop-planned",), ("2026-04-01",), ("doses",), "info", "order-ends-earlier", suggests=()),
    # only the medication list's record runs: no order to end, the card says to record the end (variant `record`)
    Chart("statement-no-end-planned", bundle(CART, LOW, ig_statement("ms", "2025-12-15")), "2026-03-01",
          ("stop-planned",), ("2026-05-18",), ("doses", "Let the order end"), "info", "record", suggests=()),
    Chart("statement-ending-on-stop-date-due", bundle(CART, LOW, ig_statement("ms", "2025-12-15", end="2026-05-18")),
          "2026-05-10", ("stop-due-soon",), ("2026-05-18", "medication record ends then"), ("the order ends",),
          "warning", "record-ends-on-stop", suggests=()),
    Chart("statement-ending-before-stop-date", bundle(CART, LOW, ig_statement("ms", "2025-12-15", end="2026-04-01")),
          "2026-03-01", ("stop-planned",), ("2026-04-01", "medication record ends"), ("doses", "the order ends"), "info",
          "record-ends-earlier", suggests=()),
    Chart("before-t0-completed-order-ending-before-review",
          bundle(CART, igg("igg-pre", "2025-02-20", 3.0), ig_order("ivig-pre", "2025-03-01", "completed", "2026-09-01")),
          "2026-07-01", ("general-stop-review",), ("2026-09-01", "2026-11-18"), (), "info", "order-ends-earlier"),
    Chart("before-t0-statement-ending-before-review",
          bundle(CART, igg("igg-pre", "2025-02-20", 3.0), ig_statement("ms", "2025-03-01", end="2026-09-01")),
          "2026-07-01", ("general-stop-review",), ("2026-09-01", "2026-11-18", "medication record ends"),
          ("the order ends", "with the order"), "info", "record-ends-earlier"),
    # An IVIG -> SCIG switch booked while the IVIG course ran, to begin some days after it (within the course days of
    # IVIG every 3-4 weeks), is one substitution, not a stop and a restart (§4.3): the special stop stays.
    Chart("switch-booked-11-day-gap-in-the-gap", bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed",
                                                                           "2026-02-01"),
                                                        booked("scig", "2026-02-12", "2026-01-25")),
          "2026-02-03", ("stop-planned",), ("2026-05-18",)),
    Chart("switch-booked-11-day-gap-overdue", bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed",
                                                                        "2026-02-01"),
                                                     booked("scig", "2026-02-12", "2026-01-25")),
          "2026-05-20", ("stop-overdue",), ("2026-05-18",), (), "warning"),
    Chart("switch-booked-25-day-gap-due", bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed", "2026-02-01"),
                                                 booked("scig", "2026-02-26", "2026-01-20")),
          "2026-05-10", ("stop-due-soon",), ("2026-05-18",), (), "warning"),
    Chart("scig-written-after-the-ivig-ended", bundle(CART, LOW, ig_order("ivig", "2025-12-15", "completed",
                                                                         "2026-02-01"),
                                                      booked("scig", "2026-02-12", "2026-02-10")),
          "2026-05-20", ("general-stop-review",), ("2026-08-12",)),
    # Second reading: a course of recorded doses already runs the course days past its last dose; an order written
    # in those days to begin a month later is a restart after 67 days without a dose (§4.3), not one course.
    Chart("order-booked-after-doses-67-days-without-a-dose",
          bundle(CART, LOW, ig_doses("ivig", "2025-12-15", 28, "2026-01-12"), booked("scig", "2026-03-20", "2026-02-10")),
          "2026-05-20", ("general-stop-review",), ("2026-09-20",), (), "warning", "criteria-not-met"),
]


def cards_of(chart: Chart, lang: str = "en") -> list[dict[str, Any]]:
    return list(replay(RUNTIME, chart.bundle, lang=lang, at=date.fromisoformat(chart.at)).cards)


def variants_of(chart: Chart) -> list[str]:
    return [a.variant for a in replay(RUNTIME, chart.bundle, at=date.fromisoformat(chart.at)).advice]


def code(card: dict[str, Any]) -> str:
    return str(card["source"]["topic"]["code"])


def text(card: dict[str, Any]) -> str:
    return f"{card['summary']}\n{card.get('detail', '')}"


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_patient_view(chart: Chart) -> None:
    cards = cards_of(chart)
    assert tuple(code(c) for c in cards) == chart.codes, [c["summary"] for c in cards]
    if not cards:
        return
    first = cards[0]
    for words in chart.says:
        assert words in text(first), text(first)
    for words in chart.says_not:
        assert words not in text(first), text(first)
    if chart.indicator:
        assert first["indicator"] == chart.indicator
    if chart.variant is not None:
        assert variants_of(chart)[0] == chart.variant
    if chart.suggests is not None:
        assert tuple(x["label"] for x in first.get("suggestions", [])) == chart.suggests
    if chart.overrides:
        offered = {r["code"] for r in first.get("overrideReasons", [])}
        assert set(chart.overrides) <= offered, offered
    assert all(len(c["summary"]) <= 140 for c in cards)


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_danish_cards_say_the_same(chart: Chart) -> None:
    en, da = cards_of(chart), cards_of(chart, "da")
    assert [code(c) for c in da] == [code(c) for c in en]
    assert [c["indicator"] for c in da] == [c["indicator"] for c in en]
    for words in chart.says:
        if words[0].isdigit() and "-" in words:  # the dates
            assert words in text(da[0])


def resources_of(chart: Chart) -> list[Resource]:
    return [e["resource"] for e in chart.bundle["entry"]]


@pytest.mark.parametrize("chart", CHARTS, ids=lambda c: c.name)
def test_worklist_and_timeline_agree_with_patient_view(chart: Chart) -> None:
    day = date.fromisoformat(chart.at)
    view = cards_of(chart)
    rows = evaluate_patient_resources(resources_of(chart), day, RUNTIME)
    assert [r.code for r in rows] == [code(c) for c in view]
    assert [r.igg_on_substitution for r in rows] == ["not recovery" in text(c) for c in view]  # §3.4 caveat
    data = patient_data(chart.bundle, RUNTIME)
    timeline = build_timeline(data, RUNTIME, end=day, today=day)
    [state] = [s for s in timeline.changes if s.day <= day][-1:]
    assert state.codes == [code(c) for c in view], state.day
    assert state.key == state_on(data, RUNTIME, day).key, state.day  # variants and summaries, day counters aside
    assert [c["indicator"] for c in state.cards] == [c["indicator"] for c in view], state.day
