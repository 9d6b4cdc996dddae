"""The service definitions announced at `GET /cds-services` (prefetch templates: fhir/prefetch.py)."""

from __future__ import annotations

from cql_like_rules.parameters import Parameters
from cql_like_rules.valuesets import Terminology

from ..fhir.prefetch import prefetch_templates

PATIENT_VIEW_ID = "igsub-patient-view"
ORDER_SELECT_ID = "igsub-order-select"
ORDER_SIGN_ID = "igsub-order-sign"
HOOK_OF = {PATIENT_VIEW_ID: "patient-view", ORDER_SELECT_ID: "order-select", ORDER_SIGN_ID: "order-sign"}


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
