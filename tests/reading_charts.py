"""Charts as a Danish EHR sends them, with EHR text as long and as hostile as it comes (the reading round).

Every builder takes the text a real EHR puts beside its codes (a product name, an organism, a diagnosis as typed) so
a chart can carry markdown and HTML where a clinician's eye falls.
"""

from __future__ import annotations

from typing import Any

PATIENT = "pt-read"
SUBJECT = {"reference": f"Patient/{PATIENT}"}
SKS = "urn:oid:1.2.208.176.2.4"
SKS_D = "urn:oid:1.2.208.176.2.4.12"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
SCT = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
NPU = "http://npu-terminology.org"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONFIRMED = {"coding": [{"system": VER, "code": "confirmed"}]}
SEVERE = {"coding": [{"system": SCT, "code": "24484000", "display": "Severe"}]}

# EHR text that is markup: a tag, emphasis, a link with a script, a table pipe, a line break
HOSTILE = "<b>fed</b> **x** [klik](javascript:alert(1)) | a | b |\nny linje"

Resource = dict[str, Any]
_n = [0]


def rid(prefix: str) -> str:
    _n[0] += 1
    return f"{prefix}-{_n[0]}"


def patient(birth: str = "1956-04-11", deceased: str | bool | None = None) -> Resource:
    out: Resource = {"resourceType": "Patient", "id": PATIENT, "birthDate": birth,
                     "identifier": [{"system": "urn:oid:1.2.208.176.1.2", "value": "1104561234"}]}
    if isinstance(deceased, bool):
        out["deceasedBoolean"] = deceased
    elif deceased:
        out["deceasedDateTime"] = deceased
    return out


def diagnosis(code: str = "DC833", system: str = SKS_D, text: str | None = None, onset: str = "2023-02-01") -> Resource:
    concept: Resource = {"coding": [{"system": system, "code": code}]}
    if text:
        concept["text"] = text
    return {"resourceType": "Condition", "id": rid("dx"), "subject": SUBJECT, "onsetDateTime": onset,
            "verificationStatus": CONFIRMED, "code": concept}


LYMPHOMA = ("DC833", SKS_D)
MYELOMA = ("DC900", SKS_D)


def car_t(when: str, text: str = "CAR-T-celleinfusion", code: str = "BOQX1", system: str = SKS,
          status: str = "completed") -> Resource:
    return {"resourceType": "Procedure", "id": rid("cart"), "status": status, "subject": SUBJECT,
            "code": {"coding": [{"system": system, "code": code}], "text": text}, "performedDateTime": when}


def given(atc: str, *days: str, text: str | None = None, prefix: str = "ma") -> list[Resource]:
    concept: Resource = {"coding": [{"system": ATC, "code": atc}]}
    if text:
        concept["text"] = text
    return [{"resourceType": "MedicationAdministration", "id": rid(prefix), "status": "completed", "subject": SUBJECT,
             "medicationCodeableConcept": concept, "effectiveDateTime": d} for d in days]


def order(atc: str | None, start: str | None, status: str = "active", end: str | None = None, text: str | None = None,
          system: str = ATC, prefix: str = "mr", authored: str | None = None, rid_: str | None = None) -> Resource:
    concept: Resource = {"coding": [{"system": system, "code": atc}]} if atc else {}
    if text:
        concept["text"] = text
    out: Resource = {"resourceType": "MedicationRequest", "id": rid_ or rid(prefix), "status": status,
                     "intent": "order", "subject": SUBJECT, "medicationCodeableConcept": concept}
    if authored or start:
        out["authoredOn"] = authored or start
    if start:
        out["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": {"start": start, **({"end": end} if end
                                                                                                 else {})}}}}]
    return out


def draft(start: str, end: str | None = None, atc: str | None = "J06BA02", text: str | None = "Privigen",
          system: str = ATC) -> Resource:
    return order(atc, start, status="draft", end=end, text=text, system=system, rid_="draft-1", authored=start)


def statement(start: str, end: str | None = None, status: str = "active", text: str = "Hizentra",
              atc: str = "J06BA01") -> Resource:
    period: Resource = {"start": start, **({"end": end} if end else {})}
    return {"resourceType": "MedicationStatement", "id": rid("fmk"), "status": status, "subject": SUBJECT,
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc}], "text": text},
            "effectivePeriod": period}


def igg(when: str, value: float | None, unit: str = "g/L", code: str = "NPU19814", comparator: str | None = None,
        subject: Resource | None = None, text: str | None = None, status: str = "final") -> Resource:
    out: Resource = {"resourceType": "Observation", "id": rid("igg"), "status": status, "subject": subject or SUBJECT,
                     "effectiveDateTime": when, "code": {"coding": [{"system": NPU, "code": code}]}}
    if value is not None:
        q: Resource = {"value": value, "unit": unit, "system": UCUM, "code": unit}
        if comparator:
            q["comparator"] = comparator
        out["valueQuantity"] = q
    if text is not None:
        out["valueString"] = text
    return out


def m_protein_igg(when: str, value: float) -> Resource:
    """NPU28638 P-Immunglobulin G(kappa; monoklonalt): an IgG M-protein."""
    return igg(when, value, code="NPU28638")


def m_protein_untyped(when: str, value: float) -> Resource:
    """NPU19844 M-protein with no isotype."""
    return igg(when, value, code="NPU19844")


def infection(onset: str, code: str, system: str = SKS_D, severe: bool = False, text: str | None = None,
              confirmed: bool = True) -> Resource:
    concept: Resource = {"coding": [{"system": system, "code": code}]}
    if text:
        concept["text"] = text
    out: Resource = {"resourceType": "Condition", "id": rid("inf"), "subject": SUBJECT, "onsetDateTime": onset,
                     "code": concept}
    if confirmed:
        out["verificationStatus"] = CONFIRMED
    else:
        out["verificationStatus"] = {"coding": [{"system": VER, "code": "provisional"}]}
    if severe:
        out["severity"] = SEVERE
    return out


def culture(when: str, text: str, loinc: str = "600-7") -> Resource:
    return {"resourceType": "Observation", "id": rid("cult"), "status": "final", "subject": SUBJECT,
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                      "code": "laboratory"}]}],
            "code": {"coding": [{"system": LOINC, "code": loinc}]}, "effectiveDateTime": when, "valueString": text}


def chart(*resources: Resource | list[Resource], birth: str = "1956-04-11", deceased: str | bool | None = None,
          dx: tuple[str, str] | None = LYMPHOMA, dx_text: str | None = None) -> Resource:
    flat: list[Resource] = [patient(birth, deceased)]
    if dx is not None:
        flat.append(diagnosis(*dx, text=dx_text))
    for r in resources:
        flat.extend(r if isinstance(r, list) else [r])
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in flat]}
