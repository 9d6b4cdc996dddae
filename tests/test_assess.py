"""The evaluation pipeline: every resource a decision uses is fully validated, not only the newest."""

from __future__ import annotations

import json
from datetime import date

from cds_service.assess import assess
from cds_service.http.discovery import prefetch_templates
from cds_service.fhir.prefetch import pool_prefetch
from cds_service.tools.replay import request_from_bundle
from cds_service.runtime import load_runtime
from cds_service.settings import Settings

from .fixtures import FIXTURES

AT = date(2026, 2, 23)
RUNTIME = load_runtime(Settings(evaluation_date=AT))


def assessment(bundle: dict):
    request = request_from_bundle(bundle)
    pooled = pool_prefetch(request["prefetch"], list(prefetch_templates(RUNTIME.terminology)), request["context"]["patientId"])
    return assess(pooled.resources, pooled.notes, RUNTIME, AT)


def test_the_untreated_igg_a_start_decision_uses_is_validated():
    # The newest IgG lies in the washout after substitution, so the decision uses the older one:
    # that one must be validated too, or an invalid result could decide the advice.
    bundle = json.loads((FIXTURES / "cart-restart-in-window-after-stopped-course.json").read_text())
    assert [a.values["igg_source"] for a in assessment(bundle).evaluation.advice] == ["Observation/obs-igg-0018-a"]
    for entry in bundle["entry"]:
        if entry["resource"]["id"] == "obs-igg-0018-a":
            entry["resource"]["valueQuantity"]["system"] = 12  # readable by the cheap path, invalid FHIR
    result = assessment(bundle)
    assert all(a.values.get("igg_source") != "Observation/obs-igg-0018-a" for a in result.evaluation.advice)
    assert any(n.source == "Observation/obs-igg-0018-a" and n.kind == "invalid" for n in result.extraction.facts.notes)


def test_a_whole_number_igg_is_printed_with_its_decimal():
    """An EHR may send `"value": 3`; the card must read as it does for 3.2 (and in Danish with a comma)."""
    from cds_service.assess import cards_for

    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    for entry in bundle["entry"]:
        if entry["resource"]["id"] == "obs-igg-0001-b":
            entry["resource"]["valueQuantity"]["value"] = 3
    found, patient = assessment(bundle), request_from_bundle(bundle)["context"]["patientId"]
    [card] = cards_for(found, RUNTIME, patient, "en")
    assert "IgG 3.0 g/L" in card["summary"] and "3.0 g/L" in card["detail"]
    [card] = cards_for(found, RUNTIME, patient, "da")
    assert "IgG 3,0 g/L" in card["summary"]
