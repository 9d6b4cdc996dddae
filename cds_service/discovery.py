"""The service definitions announced at `GET /cds-services`, with prefetch templates.

Templates are built from the value sets, so a hospital's local codes are asked for too.
Condition codes are matched by prefix (ICD-10/SKS families), which a FHIR token search
cannot express, so Conditions are fetched without a code filter.
"""

from __future__ import annotations

from cql_like_rules.valuesets import Terminology

PATIENT_VIEW_ID = "igsub-patient-view"


def _codes(terminology: Terminology, *valuesets: str) -> str:
    tokens: list[str] = []
    for vs in valuesets:
        tokens.extend(terminology.codes_for_search(vs))
    return ",".join(dict.fromkeys(tokens))


def prefetch_templates(terminology: Terminology) -> dict[str, str]:
    p = "patient={{context.patientId}}"
    return {
        "patient": "Patient/{{context.patientId}}",
        "observations": f"Observation?{p}&code={_codes(terminology, 'igg-serum', 'm-protein')}",
        "procedures": f"Procedure?{p}&code={_codes(terminology, 'car-t-procedure')}",
        "medicationRequests": f"MedicationRequest?{p}&code={_codes(terminology, 'bispecific-b-pc', 'immunoglobulin-substitution', 'car-t-product')}",
        "medicationAdministrations": f"MedicationAdministration?{p}&code={_codes(terminology, 'bispecific-b-pc', 'car-t-product')}",
        "conditions": f"Condition?{p}",
    }


def services(terminology: Terminology) -> list[dict]:
    return [
        {
            "hook": "patient-view",
            "id": PATIENT_VIEW_ID,
            "title": "Immunoglobulin substitution after CAR-T / bispecific antibodies",
            "description": (
                "Places the patient in the six-month window after CAR-T infusion or start of a B-cell/plasma-cell "
                "directed bispecific antibody and advises when to start, not start, measure IgG, or pause/stop "
                "immunoglobulin substitution (Medicinrådet 2025). Adults with haematological malignancy; "
                "children get an individual-assessment card."
            ),
            "prefetch": prefetch_templates(terminology),
        }
    ]
