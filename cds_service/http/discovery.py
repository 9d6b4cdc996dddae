"""The service definitions announced at `GET /cds-services` (prefetch templates: fhir/prefetch.py).

Descriptions take their numbers from the rule set's parameters and list the advice codes
each service can return, from the advice catalogue.
"""

from __future__ import annotations

from typing import Any

from cql_like_rules import RuleSet
from cql_like_rules.catalogue import CATALOGUE
from cql_like_rules.valuesets import Terminology

from ..fhir.prefetch import prefetch_templates

PATIENT_VIEW_ID = "igsub-patient-view"
ORDER_SELECT_ID = "igsub-order-select"
ORDER_SIGN_ID = "igsub-order-sign"
HOOK_OF = {PATIENT_VIEW_ID: "patient-view", ORDER_SELECT_ID: "order-select", ORDER_SIGN_ID: "order-sign"}
ADVICE_CODES_EXTENSION = "dk.igsub-cds.advice-codes"


def codes_of(hook: str) -> list[str]:
    return [code for code, kind in CATALOGUE.items() if hook in kind.hooks]


def services(terminology: Terminology, ruleset: RuleSet) -> list[dict[str, Any]]:
    prefetch = prefetch_templates(terminology)
    params = ruleset.parameters
    window = f"{params.window_months}-month"
    threshold = f"{params.igg_start_threshold_g_l:g} g/L"
    orders = (
        f"Holds a draft immunoglobulin order against the criteria of {ruleset.guideline_title} that apply at its "
        f"planned start (inside the {window} window after CAR-T infusion or bsAb start: IgG < {threshold}; afterwards "
        "or for a restart: also severe or recurrent verified bacterial infections), and plans IgG monitoring for "
        "draft bispecific-antibody or CAR-T orders."
    )

    def service(hook: str, service_id: str, title: str, description: str) -> dict[str, Any]:
        return {"hook": hook, "id": service_id, "title": title, "description": description, "prefetch": prefetch,
                "extension": {ADVICE_CODES_EXTENSION: codes_of(hook), "dk.igsub-cds.ruleset": ruleset.label}}

    return [
        service("patient-view", PATIENT_VIEW_ID, "Immunoglobulin substitution after CAR-T / bispecific antibodies",
                f"Places the patient in the {window} window after a CAR-T infusion or the start of a B-cell/plasma-cell "
                "directed bispecific antibody and advises when to start, not start, measure IgG, or pause/stop "
                f"immunoglobulin substitution ({ruleset.guideline_title}). Adults with haematological malignancy; "
                "children get an individual-assessment card."),
        service("order-select", ORDER_SELECT_ID, "Immunoglobulin and bsAb/CAR-T orders: selected",
                orders + " Comments only on the selected orders."),
        service("order-sign", ORDER_SIGN_ID, "Immunoglobulin and bsAb/CAR-T orders: before signing",
                orders + " Comments on every draft order."),
    ]
