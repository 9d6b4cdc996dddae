"""The IgG value a decision rests on, and paraprotein, from the clinician's side (Medicinrådet 2025 §3.4, §4.1,
Bilag C; clinical-rules §3, §5, §7).

Each chart is a small bundle built here, shaped the way a Danish hospital EHR sends it, replayed at a fixed date.
The expectation was written from the guideline before the chart was run: the advice code(s), and the words a
clinician must read (the IgG as reported with its unit and date, the threshold with its unit; both languages).
Every chart is also checked against the worklist row and the timeline day for the same date: the three entrances
must agree.

Two patients: a lymphoma patient after a CAR-T infusion on 2025-11-18 (stop date 2026-05-18), and a myeloma
patient after a first teclistamab dose given on 2025-11-18 (the same stop date).

CHARTS were written before the service was run; PROBES after, to look harder where the first ones passed. Where the
service and the first expectation differed and the service was right (or the guideline is silent and its choice is
defensible), the chart says so in a comment. The charts that failed before the round's corrections: an IgG the rules
cannot read named as such with its value and day (value as text, no unit, a unit that does not convert, a date with
no day, no value); an IgG panel's components read; a stale polyclonal IgG named polyclonal in the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cds_service.tools.timeline import build_timeline, patient_data
from cds_service.tools.worklist import evaluate_patient_resources

RUNTIME = load_runtime(Settings())
PATIENT = "pt-igg"
SUBJECT = {"reference": f"Patient/{PATIENT}"}
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}
NPU = "http://npu-terminology.org"
NPU_OID = "urn:oid:1.2.208.176.2.1"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
IN_WINDOW = "2026-01-20"  # 63 days after T0
AFTER_WINDOW = "2026-07-01"


def condition(rid: str, system: str, code: str, onset: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": rid, "subject": SUBJECT, "onsetDateTime": onset,
            "verificationStatus": CONFIRMED, "code": {"coding": [{"system": system, "code": code}]}}


def obs(rid: str, when: str, system: str, code: str, value: Any = None, unit: str | None = "g/L",
        status: str = "final", text: str | None = None, **extra: Any) -> dict[str, Any]:
    """An Observation; `value` a number (valueQuantity, `unit` as UCUM code, None for no unit) or a str (valueString)."""
    o: dict[str, Any] = {"resourceType": "Observation", "id": rid, "status": status, "subject": SUBJECT,
                         "effectiveDateTime": when, "code": {"coding": [{"system": system, "code": code}]}}
    if text:
        o["code"]["text"] = text
    if isinstance(value, str):
        o["valueString"] = value
    elif value is not None:
        q: dict[str, Any] = {"value": value}
        if unit is not None:
            q.update(unit=unit, system=UCUM, code=unit)
        o["valueQuantity"] = q
    o.update(extra)
    if "effectivePeriod" in extra:
        del o["effectiveDateTime"]
    return o


def igg(rid: str, when: str, value: Any, unit: str | None = "g/L", status: str = "final", code: str = "NPU19814",
        system: str = NPU, **extra: Any) -> dict[str, Any]:
    return obs(rid, when, system, code, value, unit, status, **extra)


def m_protein(rid: str, when: str, value: float, code: str = "NPU28638", unit: str = "g/L",
              system: str = NPU) -> dict[str, Any]:
    return obs(rid, when, system, code, value, unit)


def ife(rid: str, when: str, result: str, code: str = "NPU02642", system: str = NPU,
        as_concept: bool = False) -> dict[str, Any]:
    """A serum immunofixation naming the M-protein type, as text (valueString) or a CodeableConcept's text."""
    o = obs(rid, when, system, code)
    if as_concept:
        o["valueCodeableConcept"] = {"text": result}
    else:
        o["valueString"] = result
    return o


def ivig(rid: str, start: str, status: str = "active") -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order", "subject": SUBJECT,
            "authoredOn": start, "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc",
                                                                          "code": "J06BA02"}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": start}}}}]}


RECURRENT_PNEUMONIA = (condition("pneu-1", "urn:oid:1.2.208.176.2.4.12", "DJ159", "2026-04-10"),
                       condition("pneu-2", "urn:oid:1.2.208.176.2.4.12", "DJ159", "2026-05-25"))


def lymphoma(*resources: dict[str, Any]) -> dict[str, Any]:
    """DLBCL (SKS DC833), CAR-T infusion (SNOMED procedure) on 2025-11-18."""
    car_t = {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
             "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]},
             "performedDateTime": "2025-11-18"}
    return bundle(condition("dx", "urn:oid:1.2.208.176.2.4.12", "DC833", "2024-01-01"), car_t, *resources)


def myeloma(*resources: dict[str, Any]) -> dict[str, Any]:
    """Multiple myeloma (ICD-10 C90.0), first teclistamab dose given 2025-11-18 (MedicationAdministration)."""
    tec = {"resourceType": "MedicationAdministration", "id": "tec-1", "status": "completed", "subject": SUBJECT,
           "effectiveDateTime": "2025-11-18T09:30:00+01:00",
           "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX24"}]}}
    return bundle(condition("dx", "http://hl7.org/fhir/sid/icd-10", "C90.0", "2023-03-01"), tec, *resources)


def bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": PATIENT, "birthDate": "1958-05-01"}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in (patient, *resources)]}


@dataclass(frozen=True)
class Chart:
    name: str
    bundle: dict[str, Any]
    at: str
    codes: tuple[str, ...]  # the advice, in card order
    en: tuple[str, ...] = ()  # words the English card(s) carry (summary + detail)
    da: tuple[str, ...] = ()  # ... and the Danish card(s)
    not_en: tuple[str, ...] = ()  # words the English card(s) must not carry
    igg: float | None = field(default=None)  # the IgG (g/L) the worklist row shows, when one is decided on


def text_of(cards: list[dict[str, Any]]) -> str:
    return "\n".join(f"{c['summary']}\n{c.get('detail', '')}" for c in cards)


def cards_of(chart: Chart, lang: str) -> list[dict[str, Any]]:
    return list(replay(RUNTIME, chart.bundle, lang=lang, at=date.fromisoformat(chart.at)).cards)


def codes_of(cards: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(str(c["source"]["topic"]["code"]) for c in cards)


CHARTS = [
    # -- IgG codes as laboratories send them ---------------------------------------------------------------------
    Chart("npu19814-below-4-starts", lymphoma(igg("igg", "2026-01-10", 3.2)), IN_WINDOW, ("start-substitution",),
          en=("3.2 g/L", "2026-01-10", "4 g/L"), da=("3,2 g/L", "2026-01-10", "4 g/L"), igg=3.2),
    Chart("loinc-2465-3-below-4-starts", lymphoma(igg("igg", "2026-01-10", 3.2, code="2465-3", system=LOINC)),
          IN_WINDOW, ("start-substitution",), en=("3.2 g/L",), igg=3.2),
    Chart("npu-oid-system-below-4-starts", lymphoma(igg("igg", "2026-01-10", 3.2, system=NPU_OID)), IN_WINDOW,
          ("start-substitution",), igg=3.2),
    Chart("npu02481-umol-per-l-converted", lymphoma(igg("igg", "2026-01-10", 20, unit="umol/L", code="NPU02481")),
          IN_WINDOW, ("start-substitution",), igg=3.0),
    Chart("igg-subclass-is-not-total-igg", lymphoma(igg("igg1", "2026-01-10", 2.0, code="NPU19817")), IN_WINDOW,
          ("measure-igg",)),
    Chart("csf-igg-is-not-total-igg", lymphoma(igg("csf", "2026-01-10", 30, unit="mg/L", code="2464-6", system=LOINC)),
          IN_WINDOW, ("measure-igg",)),
    Chart("pathogen-igg-antibody-is-not-total-igg",
          lymphoma(obs("cmv", "2026-01-10", LOINC, "22244-8", 3.0, unit="[IU]/mL", text="Cytomegalovirus IgG Ab")),
          IN_WINDOW, ("measure-igg",)),
    Chart("igg-index-is-not-total-igg", lymphoma(igg("idx", "2026-01-10", 0.5, unit="1", code="14117-6", system=LOINC)),
          IN_WINDOW, ("measure-igg",)),
    Chart("later-subclass-does-not-replace-total",
          lymphoma(igg("igg", "2026-01-05", 3.2), igg("igg4", "2026-01-15", 7.0, code="2469-5", system=LOINC)),
          IN_WINDOW, ("start-substitution",), en=("3.2 g/L", "2026-01-05"), igg=3.2),
    # -- statuses ------------------------------------------------------------------------------------------------
    Chart("preliminary-is-not-used", lymphoma(igg("igg", "2026-01-10", 3.2, status="preliminary")), IN_WINDOW,
          ("measure-igg",)),
    Chart("amended-is-used", lymphoma(igg("igg", "2026-01-10", 3.2, status="amended")), IN_WINDOW,
          ("start-substitution",), igg=3.2),
    Chart("corrected-is-used", lymphoma(igg("igg", "2026-01-10", 3.2, status="corrected")), IN_WINDOW,
          ("start-substitution",), igg=3.2),
    # a correction sent as a new Observation of the same sample (same identifier), neither issued: the correction
    # is read, whatever its id (it sorted first, and the card said Ig may be started on the value it replaced)
    Chart("correction-of-the-same-sample-is-read",
          lymphoma(igg("igg-z-original", "2026-01-10T08:00:00+01:00", 3.2, identifier=[{"system": "urn:lab", "value": "A1"}]),
                   igg("igg-a-correction", "2026-01-10T08:00:00+01:00", 5.1, status="corrected",
                       identifier=[{"system": "urn:lab", "value": "A1"}])),
          IN_WINDOW, ("general-criteria-igg-under-6",), en=("5.1 g/L",), da=("5,1 g/L",), igg=5.1),
    Chart("cancelled-is-not-used", lymphoma(igg("igg", "2026-01-10", 3.2, status="cancelled")), IN_WINDOW,
          ("measure-igg",)),
    Chart("entered-in-error-leaves-the-earlier-result",
          lymphoma(igg("igg-ok", "2026-01-05", 5.0), igg("igg-err", "2026-01-15", 3.2, status="entered-in-error")),
          IN_WINDOW, ("general-criteria-igg-under-6",), en=("5.0 g/L", "2026-01-05"), igg=5.0),
    Chart("most-recent-counts-not-the-lowest",
          lymphoma(igg("igg-1", "2026-01-05", 3.2), igg("igg-2", "2026-01-15", 7.0)), IN_WINDOW, ()),
    Chart("a-result-after-now-is-not-known-yet",
          lymphoma(igg("igg-1", "2026-01-05", 7.0), igg("igg-2", "2026-01-25", 3.2)), IN_WINDOW, ()),
    # -- units ---------------------------------------------------------------------------------------------------
    Chart("mg-per-dl-converted", lymphoma(igg("igg", "2026-01-10", 320, unit="mg/dL", code="2465-3", system=LOINC)),
          IN_WINDOW, ("start-substitution",), en=("320 mg/dL",), igg=3.2),
    Chart("mg-per-l-converted", lymphoma(igg("igg", "2026-01-10", 3200, unit="mg/L")), IN_WINDOW,
          ("start-substitution",), igg=3.2),
    Chart("lower-case-g-per-l-unit-text",
          lymphoma(igg("igg", "2026-01-10", None, valueQuantity={"value": 3.2, "unit": "g/l"})), IN_WINDOW,
          ("start-substitution",), igg=3.2),
    # -- comparators and odd values ------------------------------------------------------------------------------
    Chart("below-detection-limit-shown-as-reported",
          lymphoma(igg("igg", "2026-01-10", None, valueQuantity={"value": 2.0, "comparator": "<", "unit": "g/L",
                                                                    "system": UCUM, "code": "g/L"})),
          IN_WINDOW, ("start-substitution",), en=("<2.0 g/L",), da=("<2,0 g/L",), igg=2.0),
    Chart("at-most-comparator-below-4",
          lymphoma(igg("igg", "2026-01-10", None, valueQuantity={"value": 3.9, "comparator": "<=", "unit": "g/L",
                                                                    "system": UCUM, "code": "g/L"})),
          IN_WINDOW, ("start-substitution",), en=("3.9 g/L",), igg=3.9),
    Chart("above-measuring-range-no-advice",
          lymphoma(igg("igg", "2026-01-10", None, valueQuantity={"value": 25, "comparator": ">", "unit": "g/L",
                                                                    "system": UCUM, "code": "g/L"})),
          IN_WINDOW, ()),
    Chart("zero-is-not-used", lymphoma(igg("igg", "2026-01-10", 0)), IN_WINDOW, ("measure-igg",)),
    Chart("negative-is-not-used", lymphoma(igg("igg", "2026-01-10", -1.0)), IN_WINDOW, ("measure-igg",)),
    Chart("implausibly-high-is-not-used", lymphoma(igg("igg", "2026-01-10", 80)), IN_WINDOW, ("measure-igg",)),
    Chart("effective-period-dated-by-its-start",
          lymphoma(igg("igg", "", 3.2, effectivePeriod={"start": "2026-01-10T08:00:00+01:00",
                                                       "end": "2026-01-10T14:00:00+01:00"})),
          IN_WINDOW, ("start-substitution",), en=("2026-01-10",), igg=3.2),
    # -- which IgG counts ----------------------------------------------------------------------------------------
    Chart("baseline-before-t0-does-not-count-inside-window", lymphoma(igg("igg", "2025-11-01", 3.0)), IN_WINDOW,
          ("measure-igg",)),
    Chart("igg-on-t0-day-counts", lymphoma(igg("igg", "2025-11-18", 3.5)), "2025-12-10", ("start-substitution",),
          en=("3.5 g/L", "2025-11-18"), igg=3.5),
    Chart("stale-below-4-still-supports-start", lymphoma(igg("igg", "2025-12-01", 3.0)), IN_WINDOW,
          ("start-substitution",), en=("3.0 g/L", "2025-12-01", "50 days"), igg=3.0),
    Chart("stale-4-to-6-asks-for-a-new-igg", lymphoma(igg("igg", "2025-12-01", 5.0)), IN_WINDOW, ("measure-igg",)),
    Chart("fresh-4-to-6-general-criteria", lymphoma(igg("igg", "2026-01-10", 5.0)), IN_WINDOW,
          ("general-criteria-igg-under-6",), en=("5.0 g/L", "6 g/L"), da=("5,0 g/L", "6 g/L"), igg=5.0),
    Chart("exactly-4-is-not-below-4", lymphoma(igg("igg", "2026-01-10", 4.0)), IN_WINDOW,
          ("general-criteria-igg-under-6",), igg=4.0),
    Chart("exactly-6-no-advice", lymphoma(igg("igg", "2026-01-10", 6.0)), IN_WINDOW, ()),
    Chart("after-window-old-low-igg-no-infections", lymphoma(igg("igg", "2025-12-01", 3.0)), AFTER_WINDOW,
          ("no-start-without-infections",), igg=3.0),
    Chart("after-window-infections-old-igg-measure",
          lymphoma(igg("igg", "2026-03-01", 3.0), *RECURRENT_PNEUMONIA), AFTER_WINDOW, ("measure-igg",)),
    Chart("after-window-infections-fresh-igg-general-start",
          lymphoma(igg("igg", "2026-05-20", 3.0), *RECURRENT_PNEUMONIA), AFTER_WINDOW,
          ("start-meets-general-criteria",), igg=3.0),
    Chart("measured-during-substitution-caveat",
          lymphoma(igg("igg-0", "2025-12-05", 3.1), ivig("ivig", "2025-12-10"), igg("igg-1", "2026-03-01", 6.5)),
          "2026-03-10", ("stop-planned",), en=("infused immunoglobulin",), da=("tilført immunglobulin",)),
    # -- paraprotein ---------------------------------------------------------------------------------------------
    Chart("igg-kappa-m-protein-subtracted-from-total-7",
          myeloma(igg("igg", "2026-01-10", 7.0), m_protein("mp", "2026-01-10", 4.0)), IN_WINDOW,
          ("start-substitution",), en=("7.0 g/L", "4.0 g/L", "3.0 g/L"), da=("7,0 g/L", "4,0 g/L", "3,0 g/L"),
          igg=3.0),
    Chart("igg-lambda-m-protein-in-mg-per-l",
          myeloma(igg("igg", "2026-01-10", 7.0), m_protein("mp", "2026-01-08", 4000, code="NPU28639", unit="mg/L")),
          IN_WINDOW, ("start-substitution",), en=("7.0 g/L", "3.0 g/L"), igg=3.0),
    Chart("generic-m-protein-typed-by-immunofixation-text",
          myeloma(igg("igg", "2026-01-10", 7.0), m_protein("mp", "2026-01-10", 4.0, code="NPU19844"),
                  ife("ife", "2026-01-10", "IgG kappa")), IN_WINDOW, ("start-substitution",), igg=3.0),
    Chart("generic-m-protein-typed-by-loinc-immunofixation-concept",
          myeloma(igg("igg", "2026-01-10", 7.0, code="2465-3", system=LOINC),
                  m_protein("mp", "2026-01-10", 4.0, code="33358-3", system=LOINC),
                  ife("ife", "2025-12-01", "IgG-lambda", code="25700-6", system=LOINC, as_concept=True)),
          IN_WINDOW, ("start-substitution",), igg=3.0),
    Chart("total-9-minus-2-no-advice",
          myeloma(igg("igg", "2026-01-10", 9.0), m_protein("mp", "2026-01-10", 2.0)), IN_WINDOW, ()),
    Chart("total-5-minus-0-5-general-criteria",
          myeloma(igg("igg", "2026-01-10", 5.0), m_protein("mp", "2026-01-10", 0.5)), IN_WINDOW,
          ("general-criteria-igg-under-6",), en=("5.0 g/L", "0.5 g/L", "4.5 g/L"), igg=4.5),
    Chart("m-protein-too-far-from-the-igg-asks-for-one",
          myeloma(igg("igg", "2026-01-15", 7.0), m_protein("mp", "2025-12-01", 4.0)), IN_WINDOW,
          ("paraprotein-type-unknown",)),
    Chart("iga-myeloma-no-subtraction-below-4",
          myeloma(igg("igg", "2026-01-10", 3.0), m_protein("mp", "2026-01-10", 10.0, code="NPU28634")), IN_WINDOW,
          ("start-substitution",), not_en=("olyclonal",), igg=3.0),
    Chart("iga-myeloma-no-subtraction-4-to-6",
          myeloma(igg("igg", "2026-01-10", 5.0), m_protein("mp", "2026-01-10", 3.0, code="NPU28634")), IN_WINDOW,
          ("general-criteria-igg-under-6",), not_en=("olyclonal",), igg=5.0),
    Chart("iga-myeloma-by-immunofixation-total-7-no-advice",
          myeloma(igg("igg", "2026-01-10", 7.0), m_protein("mp", "2026-01-10", 4.0, code="NPU19844"),
                  ife("ife", "2026-01-10", "IgA kappa")), IN_WINDOW, ()),
    Chart("light-chain-myeloma-no-subtraction",
          myeloma(igg("igg", "2026-01-10", 5.0), ife("ife", "2025-12-01", "Lambda"),
                  obs("flc", "2026-01-10", NPU, "NPU19607", 850, unit="mg/L")), IN_WINDOW,
          ("general-criteria-igg-under-6",), not_en=("olyclonal",), igg=5.0),
    # the 4-6 card carries the caveat (one card for one situation); a card of its own only where none would be shown
    Chart("type-unknown-near-threshold-caveat", myeloma(igg("igg", "2026-01-10", 4.5)), IN_WINDOW,
          ("general-criteria-igg-under-6",), en=("4.5 g/L", "immunofixation"), da=("4,5 g/L", "immunfiksation")),
    Chart("type-unknown-far-above-threshold-no-advice", myeloma(igg("igg", "2026-01-10", 12.0)), IN_WINDOW, ()),
    Chart("type-unknown-already-below-4-no-caveat", myeloma(igg("igg", "2026-01-10", 3.0)), IN_WINDOW,
          ("start-substitution",), not_en=("immunofixation",), igg=3.0),
    # the guideline is silent: the service does not use a total that is not larger than its M-protein and asks for a
    # new IgG, naming why (a question for the clinicians: polyclonal IgG is then presumably very low)
    Chart("m-protein-larger-than-total", myeloma(igg("igg", "2026-01-10", 5.0), m_protein("mp", "2026-01-10", 6.0)),
          IN_WINDOW, ("measure-igg",), en=("IgG 5.0 g/L on 2026-01-10 is not larger than its IgG M-protein",)),
    Chart("igg-myeloma-after-window-no-infections",
          myeloma(igg("igg", "2026-06-20", 7.0), m_protein("mp", "2026-06-20", 4.0)), AFTER_WINDOW,
          ("no-start-without-infections",), en=("3.0 g/L", "7.0 g/L"), igg=3.0),
    Chart("igg-myeloma-stale-polyclonal-4-to-6-named-polyclonal-when-measure-asked",
          myeloma(igg("igg", "2025-12-01", 7.5), m_protein("mp", "2025-12-01", 3.0)), IN_WINDOW, ("measure-igg",),
          en=("Polyclonal IgG 4.5 g/L (total 7.5) (2025-12-01) is",), da=("Polyklonal IgG 4,5 g/L (total 7,5) (2025-12-01) er",)),
    Chart("igg-myeloma-after-window-infections-stale-polyclonal-named",
          myeloma(igg("igg", "2026-03-01", 7.0), m_protein("mp", "2026-03-01", 4.0), *RECURRENT_PNEUMONIA),
          AFTER_WINDOW, ("measure-igg",), en=("last polyclonal 3.0 g/L 2026-03-01",),
          da=("; seneste polyklonale 3,0 g/L 2026-03-01",)),
    Chart("igg-myeloma-stale-polyclonal-below-4-in-window",
          myeloma(igg("igg", "2025-12-01", 7.0), m_protein("mp", "2025-12-01", 4.0)), IN_WINDOW,
          ("start-substitution",), en=("3.0 g/L", "2025-12-01"), igg=3.0),
]


def _q(value: float, comparator: str | None = None, unit: str = "g/L") -> dict[str, Any]:
    q: dict[str, Any] = {"value": value, "unit": unit, "system": UCUM, "code": unit}
    if comparator:
        q["comparator"] = comparator
    return q


PROBES = [
    Chart("below-4-comparator-at-the-threshold-is-below-4",
          lymphoma(igg("igg", "2026-01-10", None, valueQuantity=_q(4.0, "<"))), IN_WINDOW, ("start-substitution",),
          en=("<4.0 g/L",), igg=4.0),
    Chart("mg-per-dl-below-reporting-limit",
          lymphoma(igg("igg", "2026-01-10", None, code="2465-3", system=LOINC, valueQuantity=_q(33, "<", "mg/dL"))),
          IN_WINDOW, ("start-substitution",), en=("IgG <0.33 g/L", "(reported &lt;33 mg/dL)"), igg=0.33),
    # the laboratory's unit as its sheet shows it (the Quantity's `unit`), not the UCUM code spelt for machines
    Chart("umol-per-l-shown-as-the-laboratory-writes-it",
          lymphoma(igg("igg", "2026-01-10", None, code="NPU02481",
                       valueQuantity={"value": 20, "unit": "µmol/L", "system": UCUM, "code": "umol/L"})),
          IN_WINDOW, ("start-substitution",), en=("(reported 20 µmol/L)",), da=("(svaret 20 µmol/L)",), igg=3.0),
    Chart("value-string-with-decimal-comma", lymphoma(igg("igg", "2026-01-10", "3,2")), IN_WINDOW, ("measure-igg",),
          en=("IgG “3,2” (2026-01-10) could not be read",), da=("IgG “3,2” (2026-01-10) kunne ikke læses",)),
    Chart("missing-unit", lymphoma(igg("igg", "2026-01-10", 3.2, unit=None)), IN_WINDOW, ("measure-igg",),
          # the value as sent, quoted and escaped (markdown): no Danish comma put into the record's words
          en=("IgG “3.2” (2026-01-10) could not be read",), da=("IgG “3.2” (2026-01-10) kunne ikke læses",)),
    Chart("unit-not-convertible",
          lymphoma(igg("igg", "2026-01-10", None, valueQuantity={"value": 20, "unit": "IU/mL"})), IN_WINDOW,
          ("measure-igg",), en=("IgG “20 IU/mL” (2026-01-10) could not be read",)),
    Chart("m-protein-measured-after-the-igg-within-30-days",
          myeloma(igg("igg", "2026-01-05", 7.0), m_protein("mp", "2026-01-15", 4.0)), IN_WINDOW,
          ("start-substitution",), igg=3.0),
    Chart("nearest-m-protein-is-used",
          myeloma(igg("igg", "2026-01-10", 7.0), m_protein("mp-old", "2025-12-20", 1.0),
                  m_protein("mp", "2026-01-09", 4.0)), IN_WINDOW, ("start-substitution",), igg=3.0),
    Chart("lymphoma-with-igg-m-protein-subtracted",
          lymphoma(igg("igg", "2026-01-10", 5.0), m_protein("mp", "2026-01-10", 2.0)), IN_WINDOW,
          ("start-substitution",), igg=3.0),
    Chart("negative-immunofixation-no-type-caveat",
          myeloma(igg("igg", "2026-01-10", 4.5), ife("ife", "2026-01-10", "Ingen M-komponent påvist")), IN_WINDOW,
          ("general-criteria-igg-under-6",), not_en=("unknown type", "olyclonal"), igg=4.5),
    # A text that names a heavy chain is read as that type even with a negation in it ("IgG kappa ikke påvist"): the
    # service errs towards an extra 'measure the M-protein' card rather than losing an IgG M-protein (reported)
    Chart("negated-igg-kappa-text-read-as-igg-conservatively",
          myeloma(igg("igg", "2026-01-10", 7.0), ife("ife", "2026-01-10", "IgG kappa ikke påvist")), IN_WINDOW,
          ("paraprotein-type-unknown",)),
    Chart("negative-immunofixation-after-igg-kappa-clears-the-type",
          myeloma(igg("igg", "2026-01-10", 7.0), ife("ife0", "2025-06-01", "IgG kappa"),
                  ife("ife1", "2026-01-10", "Negativ")), IN_WINDOW, ()),
    Chart("type-unknown-total-just-above-6",
          myeloma(igg("igg", "2026-01-10", 7.0)), IN_WINDOW, ("paraprotein-type-unknown",)),
    Chart("igg-kappa-m-protein-untyped-text-on-result",
          myeloma(igg("igg", "2026-01-10", 7.0),
                  obs("mp", "2026-01-10", NPU, "NPU19844", 4.0, text="P-M-komponent (IgG kappa)")), IN_WINDOW,
          ("start-substitution",), igg=3.0),
    Chart("two-codings-local-and-npu",
          lymphoma(igg("igg", "2026-01-10", 3.2, code="NPU19814") | {"code": {"coding": [
              {"system": "urn:oid:1.2.208.176.2.1", "code": "DNK05451"}, {"system": NPU, "code": "NPU19814"}]}}),
          IN_WINDOW, ("start-substitution",), igg=3.2),
    Chart("immunofixation-arriving-later-types-the-m-protein",
          myeloma(igg("igg", "2026-01-10", 7.0), m_protein("mp", "2026-01-10", 4.0, code="NPU19844"),
                  ife("ife", "2026-01-15", "IgG kappa")), IN_WINDOW, ("start-substitution",), igg=3.0),
    Chart("immunofixation-not-yet-known", myeloma(igg("igg", "2026-01-10", 7.0),
                                                  m_protein("mp", "2026-01-10", 4.0, code="NPU19844"),
                                                  ife("ife", "2026-01-25", "IgG kappa")), IN_WINDOW,
          ("paraprotein-type-unknown",), en=("4.0 g/L", "3.0 g/L", "immunofixation")),
    Chart("mg-per-dl-below-400-bound-is-below-4",
          lymphoma(igg("igg", "2026-01-10", None, code="2465-3", system=LOINC, valueQuantity=_q(400, "<", "mg/dL"))),
          IN_WINDOW, ("start-substitution",)),
    Chart("greater-than-below-threshold-cannot-be-placed",
          lymphoma(igg("igg", "2026-01-10", None, valueQuantity=_q(3.0, ">"))), IN_WINDOW, ("measure-igg",),
          en=(">3.0 g/L",)),
    Chart("less-than-above-threshold-cannot-be-placed",
          lymphoma(igg("igg", "2026-01-10", None, valueQuantity=_q(5.0, "<"))), IN_WINDOW, ("measure-igg",),
          en=("<5.0 g/L",)),
    Chart("iga-by-immunofixation-near-threshold-no-caveat",
          myeloma(igg("igg", "2026-01-10", 4.5), m_protein("mp", "2026-01-10", 3.0, code="NPU19844"),
                  ife("ife", "2026-01-10", "IgA kappa")), IN_WINDOW, ("general-criteria-igg-under-6",),
          not_en=("olyclonal", "immunofixation"), igg=4.5),
    Chart("after-window-infections-total-8-polyclonal-2-general-start",
          myeloma(igg("igg", "2026-06-20", 8.0), m_protein("mp", "2026-06-20", 6.0), *RECURRENT_PNEUMONIA),
          AFTER_WINDOW, ("start-meets-general-criteria",), en=("2.0 g/L", "8.0 g/L", "6.0 g/L"), igg=2.0),
    Chart("date-naming-no-day-shown-as-sent", lymphoma(igg("igg", "2026-01", 3.2)), IN_WINDOW, ("measure-igg",),
          en=("IgG “3.2 g/L, 2026-01” could not be read",), not_en=("2026-01-01",)),
    Chart("no-value-names-the-laboratory-reason",
          lymphoma(igg("igg", "2026-01-10", None, dataAbsentReason={"text": "Hæmolyse"})), IN_WINDOW,
          ("measure-igg",), en=("IgG “Hæmolyse” (2026-01-10) could not be read",)),
    Chart("utc-evening-before-t0-is-t0-in-copenhagen", lymphoma(igg("igg", "2025-11-17T23:30:00Z", 3.5)),
          "2025-12-10", ("start-substitution",), en=("3.5 g/L", "(2025-11-18)"), igg=3.5),
    Chart("preliminary-panel-is-not-used",
          lymphoma(obs("panel", "2026-01-10", LOINC, "24382-7", None, status="preliminary",
                       component=[{"code": {"coding": [{"system": NPU, "code": "NPU19814"}]},
                                   "valueQuantity": _q(3.2)}])),
          IN_WINDOW, ("measure-igg",), en=("not final yet",)),
    Chart("immunoglobulin-panel-components",
          lymphoma(obs("panel", "2026-01-10", LOINC, "24382-7", None, text="Immunoglobuliner",
                       component=[{"code": {"coding": [{"system": NPU, "code": "NPU19814"}]}, "valueQuantity": _q(3.2)},
                                  {"code": {"coding": [{"system": NPU, "code": "NPU19795"}]},
                                   "valueQuantity": _q(0.3)}])),
          IN_WINDOW, ("start-substitution",), igg=3.2),
    # Second reading: a myeloma panel carrying the total IgG and the IgG M-protein as components gives both; read for
    # its total alone, the card asked for an immunofixation the panel's own M-protein code answers (NPU28638, IgG).
    Chart("myeloma-panel-total-and-igg-m-protein-components",
          myeloma(obs("panel", "2026-01-10", LOINC, "24382-7", None, text="Immunoglobuliner",
                      component=[{"code": {"coding": [{"system": NPU, "code": "NPU19814"}]}, "valueQuantity": _q(7.5)},
                                 {"code": {"coding": [{"system": NPU, "code": "NPU28638"}]},
                                  "valueQuantity": _q(4.0)}])),
          IN_WINDOW, ("start-substitution",), en=("3.5 g/L", "7.5", "4.0 g/L"), da=("3,5 g/L",),
          not_en=("immunofixation",), igg=3.5),
]


def m_text(rid: str, when: str, text: str, code: str = "NPU28638", system: str = NPU) -> dict[str, Any]:
    """An M-protein result sent as text (valueString), as Danish laboratories send one."""
    return obs(rid, when, system, code, text)


# An M-protein or a total IgG sent as text (clinical-rules §7, Bilag C). Written from the guideline before the service
# was run: a strict number with its unit is read as the valueQuantity it stands for; an M-protein found but not
# quantified ("spor") keeps its type: a total already below 4 g/L is certainly a polyclonal IgG below 4, a higher one
# cannot be placed and the card asks for the M-protein's figure; "Ikke påvist" is no M-protein; anything else is
# named, and the type its code names still types the myeloma (no "type unknown" card for an IgG kappa record).
TEXT_CHARTS = [
    Chart("m-protein-text-decimal-comma-subtracted",
          myeloma(igg("igg", "2026-01-10", 7.0), m_text("mp", "2026-01-10", "4,0 g/L")), IN_WINDOW,
          ("start-substitution",), en=("3.0 g/L", "“4,0 g/L”"), da=("3,0 g/L", "“4,0 g/L”"), igg=3.0),
    Chart("m-protein-text-in-mg-per-l-converted",
          myeloma(igg("igg", "2026-01-10", 7.0), m_text("mp", "2026-01-10", "4000 mg/L", code="NPU28639")),
          IN_WINDOW, ("start-substitution",), en=("3.0 g/L",), igg=3.0),
    Chart("m-protein-text-upper-bound-total-4-3-cannot-be-placed",
          myeloma(igg("igg", "2026-01-10", 4.3), m_text("mp", "2026-01-10", "<1 g/L")), IN_WINDOW,
          ("measure-igg",), en=("“<1 g/L”",), da=("“&lt;1 g/L”",)),
    Chart("m-protein-text-upper-bound-total-3-5-starts",
          myeloma(igg("igg", "2026-01-10", 3.5), m_text("mp", "2026-01-10", "<1 g/L")), IN_WINDOW,
          ("start-substitution",), igg=3.5),
    Chart("m-protein-trace-total-below-4-starts",
          myeloma(igg("igg", "2026-01-10", 3.5), m_text("mp", "2026-01-10", "spor")), IN_WINDOW,
          ("start-substitution",), en=("<3.5 g/L", "“spor”"), da=("“spor”",), not_en=("immunofixation",), igg=3.5),
    Chart("car-t-lymphoma-igg-m-protein-trace-total-below-4-starts",
          lymphoma(igg("igg", "2026-01-10", 3.5), m_text("mp", "2026-01-10", "Spor af M-komponent")), IN_WINDOW,
          ("start-substitution",), igg=3.5),
    Chart("m-protein-trace-typed-by-immunofixation-total-4-3-asks-for-figure",
          myeloma(igg("igg", "2026-01-10", 4.3), m_text("mp", "2026-01-10", "Spor af M-komponent", code="NPU19844"),
                  ife("ife", "2026-01-10", "IgG kappa")), IN_WINDOW, ("measure-igg",),
          en=("below total 4.3 g/L", "“Spor af M-komponent” not quantified", "figure"),
          da=("under total 4,3 g/L", "ikke kvantificeret", "bed om tallet")),
    Chart("m-protein-found-not-quantified-total-5-8-asks-for-figure",
          myeloma(igg("igg", "2026-01-10", 5.8), m_text("mp", "2026-01-10", "påvist, ikke kvantificerbar")),
          IN_WINDOW, ("measure-igg",), en=("not quantified",)),
    Chart("m-protein-found-not-quantified-total-9-asks-for-figure",
          myeloma(igg("igg", "2026-01-10", 9.0), m_text("mp", "2026-01-10", "påvist, ikke kvantificerbar")),
          IN_WINDOW, ("measure-igg",), en=("“påvist, ikke kvantificerbar” not quantified",)),
    Chart("m-protein-trace-after-window-infections-total-below-4-general-start",
          myeloma(igg("igg", "2026-06-20", 3.5), m_text("mp", "2026-06-20", "spor"), *RECURRENT_PNEUMONIA),
          AFTER_WINDOW, ("start-meets-general-criteria",), igg=3.5),
    Chart("m-protein-trace-after-window-infections-total-4-3-asks-for-figure",
          myeloma(igg("igg", "2026-06-20", 4.3), m_text("mp", "2026-06-20", "trace"), *RECURRENT_PNEUMONIA),
          AFTER_WINDOW, ("measure-igg",), en=("not quantified",)),
    Chart("m-protein-not-detected-total-is-polyclonal",
          myeloma(igg("igg", "2026-01-10", 4.5), m_text("mp", "2026-01-10", "Ikke påvist")), IN_WINDOW,
          ("general-criteria-igg-under-6",), en=("4.5 g/L",), not_en=("immunofixation", "unknown type"), igg=4.5),
    Chart("m-protein-not-detected-total-7-no-advice",
          myeloma(igg("igg", "2026-01-10", 7.0), m_text("mp", "2026-01-10", "Ikke påvist", code="NPU19844")),
          IN_WINDOW, ()),
    # not read, named with its text; its code (IgG kappa) still types the myeloma: no "type unknown" caveat
    Chart("m-protein-unreadable-text-keeps-its-igg-type",
          myeloma(igg("igg", "2026-01-10", 4.5), m_text("mp", "2026-01-10", "se kommentar")), IN_WINDOW,
          ("general-criteria-igg-under-6",), en=("M-protein “se kommentar” (2026-01-10) could not be read",
                                                 "IgG myeloma without an M-protein measured"),
          da=("M-komponent “se kommentar” (2026-01-10) kunne ikke læses",), not_en=("unknown type",), igg=4.5),
    Chart("m-protein-bare-number-not-read-type-kept",
          myeloma(igg("igg", "2026-01-10", 7.0), m_text("mp", "2026-01-10", "<0,5")), IN_WINDOW,
          ("paraprotein-type-unknown",), en=("“&lt;0,5”", "IgG myeloma"), not_en=("unknown type",)),
    Chart("m-protein-negated-type-in-text-not-read",
          myeloma(igg("igg", "2026-01-10", 4.5), m_text("mp", "2026-01-10", "IgG kappa ikke påvist",
                                                        code="NPU19844")), IN_WINDOW,
          ("general-criteria-igg-under-6",), en=("could not be read",)),
    # "Negativ" on an M-protein code of another type (IgA kappa) says no IgA M-protein: it does not make an IgG
    # myeloma's total polyclonal, nor retype the myeloma (second reading)
    Chart("igg-myeloma-iga-m-protein-negativ-same-day-keeps-the-caveat",
          myeloma(igg("igg", "2026-01-10", 7.0), ife("ife", "2025-12-01", "IgG kappa"),
                  m_text("mp", "2026-01-10", "Negativ", code="NPU28634")), IN_WINDOW,
          ("paraprotein-type-unknown",), en=("IgG myeloma", "measure the M-protein"), da=("IgG-myelomatose",)),
    Chart("igg-myeloma-iga-m-protein-negativ-earlier-does-not-retype",
          myeloma(igg("igg", "2026-03-01", 7.0), ife("ife", "2025-12-01", "IgG kappa"),
                  m_text("mp", "2026-01-10", "Negativ", code="NPU28634")), "2026-03-05",
          ("paraprotein-type-unknown",), en=("IgG myeloma",)),
    Chart("igg-myeloma-iga-m-protein-0-g-per-l-keeps-the-caveat",
          myeloma(igg("igg", "2026-01-10", 4.5), ife("ife", "2025-12-01", "IgG kappa"),
                  m_protein("mp", "2026-01-10", 0.0, code="NPU28634")), IN_WINDOW,
          ("general-criteria-igg-under-6",), en=("IgG myeloma without an M-protein measured",)),
    # an M-protein not read ("se kommentar") on an IgA kappa code types the myeloma only when nothing else does: the
    # IgG myeloma's immunofixation stands (before the text was read, it was dropped and the caveat stood)
    Chart("igg-myeloma-iga-code-unreadable-m-protein-does-not-retype",
          myeloma(igg("igg", "2026-01-10", 7.0), ife("ife", "2025-12-01", "IgG kappa"),
                  m_text("mp", "2026-01-10", "se kommentar", code="NPU28634")), IN_WINDOW,
          ("paraprotein-type-unknown",), en=("IgG myeloma", "“se kommentar”")),
    Chart("igg-myeloma-iga-code-unreadable-m-protein-total-4-5-keeps-the-note",
          myeloma(igg("igg", "2026-01-10", 4.5), ife("ife", "2025-12-01", "IgG kappa"),
                  m_text("mp", "2026-01-10", "se kommentar", code="NPU28634")), IN_WINDOW,
          ("general-criteria-igg-under-6",), en=("IgG myeloma without an M-protein measured",)),
    Chart("iga-myeloma-iga-m-protein-negativ-total-is-polyclonal",
          myeloma(igg("igg", "2026-01-10", 4.5), ife("ife", "2025-12-01", "IgA kappa"),
                  m_text("mp", "2026-01-10", "Negativ", code="NPU28634")), IN_WINDOW,
          ("general-criteria-igg-under-6",), not_en=("IgG myeloma", "unknown type"), igg=4.5),
    Chart("igg-text-decimal-comma-with-unit-read",
          lymphoma(igg("igg", "2026-01-10", "3,5 g/L")), IN_WINDOW, ("start-substitution",),
          en=("3.5 g/L", "3,5 g/L"), da=("3,5 g/L",), igg=3.5),
    Chart("igg-text-below-bound-read",
          lymphoma(igg("igg", "2026-01-10", "<2,0 g/L")), IN_WINDOW, ("start-substitution",),
          en=("<2.0 g/L",), da=("<2,0 g/L",), igg=2.0),
    Chart("igg-text-mg-per-dl-converted",
          lymphoma(igg("igg", "2026-01-10", "320 mg/dL", code="2465-3", system=LOINC)), IN_WINDOW,
          ("start-substitution",), en=("3.2 g/L",), igg=3.2),
    Chart("igg-text-near-4-read", lymphoma(igg("igg", "2026-01-10", "4,3 g/L")), IN_WINDOW,
          ("general-criteria-igg-under-6",), igg=4.3),
    Chart("igg-text-less-than-6-cannot-be-placed", lymphoma(igg("igg", "2026-01-10", "<6 g/L")), IN_WINDOW,
          ("measure-igg",), en=("<6.0 g/L",)),
    Chart("igg-text-thousands-separator-not-read", lymphoma(igg("igg", "2026-01-10", "3.200 mg/L")), IN_WINDOW,
          ("measure-igg",), en=("IgG “3.200 mg/L” (2026-01-10) could not be read",)),
    Chart("igg-text-words-not-read", lymphoma(igg("igg", "2026-01-10", "<b>lav</b>")), IN_WINDOW,
          ("measure-igg",), en=("IgG “&lt;b&gt;lav&lt;/b&gt;” (2026-01-10) could not be read",)),
    Chart("igg-text-implausible-not-used", lymphoma(igg("igg", "2026-01-10", "90 g/L")), IN_WINDOW, ("measure-igg",)),
]


@pytest.mark.parametrize("chart", CHARTS + PROBES + TEXT_CHARTS, ids=[c.name for c in CHARTS + PROBES + TEXT_CHARTS])
def test_patient_view(chart: Chart) -> None:
    en, da = cards_of(chart, "en"), cards_of(chart, "da")
    assert codes_of(en) == chart.codes, text_of(en)
    assert codes_of(da) == chart.codes
    for words, cards in ((chart.en, en), (chart.da, da)):
        for w in words:
            assert w in text_of(cards), (w, text_of(cards))
    for w in chart.not_en:
        assert w not in text_of(en), (w, text_of(en))
    for c in en + da:
        assert len(c["summary"]) <= 140, c["summary"]


@pytest.mark.parametrize("chart", CHARTS + PROBES + TEXT_CHARTS, ids=[c.name for c in CHARTS + PROBES + TEXT_CHARTS])
def test_worklist_and_timeline_agree(chart: Chart) -> None:
    at = date.fromisoformat(chart.at)
    resources = [e["resource"] for e in chart.bundle["entry"]]
    rows = evaluate_patient_resources(resources, at, RUNTIME)
    assert tuple(r.code for r in rows) == chart.codes
    if chart.igg is not None:
        assert [round(r.igg_g_l, 2) for r in rows if r.igg_g_l is not None][:1] == [chart.igg]
    timeline = build_timeline(patient_data(chart.bundle, RUNTIME), RUNTIME, start=date(2025, 10, 1), end=at)
    day = [s for s in timeline.changes if s.day <= at]
    assert tuple(day[-1].codes if day else ()) == chart.codes
