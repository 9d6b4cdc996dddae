"""Charts and draft orders for the order-hook acceptance round, built from a few facts each.

Every chart is one adult (unless told) with a haematological malignancy, an index event (a CAR-T
infusion or a bispecific course), IgG results, infections and immunoglobulin orders, all on fixed dates.
"""

from __future__ import annotations

from datetime import date
from typing import Any

NPU_IGG = {"system": "http://npu-terminology.org", "code": "NPU19814", "display": "P-Immunglobulin G; massek. = ? g/L"}
ATC = "http://www.whocc.no/atc"
SKS = "urn:oid:1.2.208.176.2.4.12"
IVIG = {"coding": [{"system": ATC, "code": "J06BA02", "display": "immunoglobulins, normal human, intravascular"}],
        "text": "Privigen 100 mg/ml"}
SCIG = {"coding": [{"system": ATC, "code": "J06BA01", "display": "immunoglobulins, normal human, extravascular"}],
        "text": "Hizentra 200 mg/ml"}
TECLISTAMAB = {"coding": [{"system": ATC, "code": "L01FX24", "display": "teclistamab"}], "text": "Tecvayli"}
EPCORITAMAB = {"coding": [{"system": ATC, "code": "L01FX27", "display": "epcoritamab"}], "text": "Tepkinly"}
AXI_CEL = {"coding": [{"system": ATC, "code": "L01XL03", "display": "axicabtagene ciloleucel"}], "text": "Yescarta"}
PARACETAMOL = {"coding": [{"system": ATC, "code": "N02BE01", "display": "paracetamol"}], "text": "Pamol"}
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}
INFECTIONS = {
    "pneumonia": ("DJ159", "Bakteriel lungebetændelse UNS"),
    "sepsis": ("DA419", "Sepsis UNS"),
}


def patient(pid: str, born: str = "1960-03-01") -> dict[str, Any]:
    return {"resourceType": "Patient", "id": pid, "birthDate": born, "gender": "female",
            "name": [{"family": "Testesen", "given": [pid]}]}


def subject(pid: str) -> dict[str, str]:
    return {"reference": f"Patient/{pid}"}


def lymphoma(pid: str) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": f"{pid}-dlbcl", "verificationStatus": CONFIRMED,
            "code": {"coding": [{"system": SKS, "code": "DC833", "display": "Diffust storcellet B-celle lymfom"}]},
            "subject": subject(pid), "onsetDateTime": "2023-05-01", "recordedDate": "2023-05-01"}


def car_t(pid: str, day: str) -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": f"{pid}-cart", "status": "completed",
            "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4", "code": "BOQX1",
                                 "display": "Behandling med CAR-T-celler"},
                                {"system": "http://snomed.info/sct", "code": "1156961008",
                                 "display": "Chimeric antigen receptor T-cell immunotherapy (procedure)"}]},
            "subject": subject(pid), "performedDateTime": f"{day}T11:00:00+01:00"}


def igg(pid: str, day: str, value: float, n: int = 0) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": f"{pid}-igg-{day}-{n}", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": {"coding": [NPU_IGG]}, "subject": subject(pid), "effectiveDateTime": f"{day}T08:00:00+01:00",
            "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}


def infection(pid: str, day: str, kind: str = "pneumonia", n: int = 0) -> dict[str, Any]:
    code, display = INFECTIONS[kind]
    return {"resourceType": "Condition", "id": f"{pid}-{kind}-{day}-{n}", "verificationStatus": CONFIRMED,
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                           "code": "resolved"}]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                      "code": "encounter-diagnosis"}]}],
            "code": {"coding": [{"system": SKS, "code": code, "display": display}]},
            "subject": subject(pid), "onsetDateTime": day, "recordedDate": day}


def order(pid: str, rid: str, medication: dict[str, Any], start: str | None, *, status: str = "active",
          end: str | None = None, authored: str | None = None, **extra: Any) -> dict[str, Any]:
    """A MedicationRequest; `start`/`end` make its boundsPeriod."""
    resource: dict[str, Any] = {"resourceType": "MedicationRequest", "id": rid, "status": status, "intent": "order",
                                "subject": subject(pid), "authoredOn": authored or start}
    if medication:
        resource["medicationCodeableConcept"] = medication
    if start or end:
        period = {k: v for k, v in (("start", start), ("end", end)) if v}
        resource["dosageInstruction"] = [{"text": "efter protokol", "timing": {"repeat": {"boundsPeriod": period}}}]
    resource.update(extra)
    return resource


def draft(pid: str, rid: str, medication: dict[str, Any], start: str | None, **kw: Any) -> dict[str, Any]:
    return order(pid, rid, medication, start, status=kw.pop("status", "draft"), **kw)


def igg_lab(pid: str, rid: str, day: str, status: str = "draft") -> dict[str, Any]:
    return {"resourceType": "ServiceRequest", "id": rid, "status": status, "intent": "order",
            "code": {"coding": [NPU_IGG], "text": "P-Immunglobulin G"}, "subject": subject(pid), "authoredOn": day}


def chart(pid: str, *, born: str = "1960-03-01", car_t_on: str | None = "2025-11-18",
          iggs: tuple[tuple[str, float], ...] = (), infections: tuple[tuple[str, str], ...] = (),
          orders: tuple[dict[str, Any], ...] = (), malignancy: bool = True) -> list[dict[str, Any]]:
    """The resources of one patient's chart (T0 = the CAR-T infusion day unless `car_t_on` is None)."""
    resources: list[dict[str, Any]] = [patient(pid, born)]
    if malignancy:
        resources.append(lymphoma(pid))
    if car_t_on:
        resources.append(car_t(pid, car_t_on))
    resources += [igg(pid, day, value, n) for n, (day, value) in enumerate(iggs)]
    resources += [infection(pid, day, kind, n) for n, (day, kind) in enumerate(infections)]
    resources += list(orders)
    return resources


def as_date(text: str) -> date:
    return date.fromisoformat(text)
