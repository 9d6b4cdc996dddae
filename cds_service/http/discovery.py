"""The service definitions announced at `GET /cds-services`, with prefetch templates.

Observation templates are built from the value sets (exact codes), so a hospital's local
codes are asked for too. Conditions, Procedures and medication orders are matched by code
prefix (ICD-10/SKS families) or through Medication resources, which a FHIR token search
cannot express, so they are fetched without a code filter and selected by the service.
"""

from __future__ import annotations

from cql_like_rules.parameters import Parameters
from cql_like_rules.valuesets import Terminology

PATIENT_VIEW_ID = "igsub-patient-view"
ORDER_SELECT_ID = "igsub-order-select"
ORDER_SIGN_ID = "igsub-order-sign"
HOOK_OF = {PATIENT_VIEW_ID: "patient-view", ORDER_SELECT_ID: "order-select", ORDER_SIGN_ID: "order-sign"}


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
        # No code filter below: SKS codes are matched by prefix (BOQX1*, BOHJ10*), which a token
        # search cannot express, and orders that name their drug through a Medication resource
        # would not match one. The service filters these itself.
        "procedures": f"Procedure?{p}",
        "medicationRequests": f"MedicationRequest?{p}&_include=MedicationRequest:medication",
        "medicationAdministrations": f"MedicationAdministration?{p}&_include=MedicationAdministration:medication",
        "conditions": f"Condition?{p}",
    }


def services(terminology: Terminology, params: Parameters) -> list[dict]:
    prefetch = prefetch_templates(terminology)
    orders = (
        "Holds a draft immunoglobulin order against the Medicinrådet 2025 criteria that apply if it is signed today "
        f"(inside the {params.window_months}-month window after CAR-T/bsAb start: IgG < {params.igg_start_threshold_g_l:g} g/L; "
        "afterwards or for a restart: also severe or recurrent verified bacterial infections), and plans IgG monitoring "
        "for draft bispecific-antibody or CAR-T orders."
    )
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
            "prefetch": prefetch,
        },
        {"hook": "order-select", "id": ORDER_SELECT_ID, "title": "Immunoglobulin and bsAb/CAR-T orders: selected",
         "description": orders + " Comments only on the selected orders.", "prefetch": prefetch},
        {"hook": "order-sign", "id": ORDER_SIGN_ID, "title": "Immunoglobulin and bsAb/CAR-T orders: before signing",
         "description": orders + " Comments on every draft order.", "prefetch": prefetch},
    ]
