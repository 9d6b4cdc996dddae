"""Acceptance round on order-select / order-sign, written from the guideline (§4) and clinical-rules, over real HTTP.

Each row of `tests/order_cases.py` is a chart and the orders a clinician drafts on a fixed day, with what the
guideline says the clinician should see. The service runs under uvicorn on 127.0.0.1; most requests carry
prefetch, some only `fhirServer` (the test FHIR server holds the chart, or the Medication a draft names).
Every answer is also checked against CDS Hooks 2.0.1: suggestion actions valid and about a draft of the request
(on order-select, a selected one), a uuid per suggestion, override reasons with a display, no card twice.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class

from cds_service.http.app import create_app
from cds_service.settings import FetchSettings
from cds_service.http.discovery import ORDER_SELECT_ID, ORDER_SIGN_ID
from cds_service.tools.replay import request_for

from .environment import tmp_settings
from .fhir_server import running_fhir_server
from .order_cases import Case, cases
from .servers import SettableClock, serve_in_thread

# These tests are about what is fetched, not how fast: a loaded machine must not time the test FHIR server out.
UNHURRIED = FetchSettings(development=True, connect_timeout=2.0, total_timeout=10.0)

CASES = cases()
ON_SERVER = [r for c in CASES if c.fhir_server for r in (*c.resources, *c.on_server)]


@pytest.fixture(scope="module")
def servers():
    clock = SettableClock()
    with serve_in_thread(create_app(tmp_settings(fetch=UNHURRIED), clock=clock, record_cards=False)) as base, \
            running_fhir_server(ON_SERVER) as fhir:
        yield base, clock, fhir


def request(case: Case, fhir: str) -> dict[str, Any]:
    pid = next(r["id"] for r in case.resources if r["resourceType"] == "Patient")
    body = request_for(pid, [{"resource": r} for r in case.resources], case.hook, case.drafts)
    if case.selections is not None:
        body["context"]["selections"] = case.selections
    if case.fhir_server:
        del body["prefetch"]
        body["fhirServer"] = fhir
    return body


def call(servers, case: Case) -> httpx.Response:
    base, clock, fhir = servers
    clock.set(date.fromisoformat(case.at))
    service = ORDER_SIGN_ID if case.hook == "order-sign" else ORDER_SELECT_ID
    return httpx.post(f"{base}/cds-services/{service}", json=request(case, fhir),
                      headers={"Accept-Language": case.lang}, timeout=30)


def suggested_end(cards: list[dict[str, Any]], draft_id: str) -> str | None:
    """The end date a suggestion would give the draft (None when no suggestion updates it)."""
    for card in cards:
        for suggestion in card.get("suggestions", []):
            for action in suggestion.get("actions", []):
                resource = action.get("resource") or {}
                if action["type"] == "update" and resource.get("id") == draft_id:
                    periods = [d["timing"]["repeat"].get("boundsPeriod", {}) for d in resource["dosageInstruction"]]
                    return next((p["end"] for p in periods if p.get("end")), None)
    return None


def check_mechanics(case: Case, cards: list[dict[str, Any]]) -> None:
    """CDS Hooks 2.0.1 card rules, for every answer."""
    drafts = {f"{d['resourceType']}/{d['id']}" for d in case.drafts}
    judged = set(case.selections) if case.hook == "order-select" and case.selections is not None else drafts
    uuids = []
    for card in cards:
        assert len(card["summary"]) <= 140 and card["indicator"] in ("info", "warning", "critical")
        assert card["source"]["label"]
        if card.get("suggestions"):
            assert card["selectionBehavior"] in ("at-most-one", "any")
        for reason in card.get("overrideReasons", []):
            assert reason.get("display") and reason.get("code") and reason.get("system")
        for suggestion in card.get("suggestions", []):
            assert suggestion["label"] and suggestion.get("uuid")
            uuids.append(suggestion["uuid"])
            for action in suggestion["actions"]:
                assert action["description"]
                if action["type"] in ("update", "create"):
                    resource = action["resource"]
                    get_fhir_model_class(resource["resourceType"]).model_validate(resource)
                if action["type"] == "update":  # it updates a draft of this call the clinician is looking at
                    assert f"{action['resource']['resourceType']}/{action['resource']['id']}" in judged
                if action["type"] == "delete":
                    assert action["resourceId"] in judged
        if len(card.get("suggestions", [])) > 1:
            assert sum(bool(s.get("isRecommended")) for s in card["suggestions"]) <= 1 or card["selectionBehavior"] == "any"
    assert len(uuids) == len(set(uuids)), "a suggestion uuid used twice"
    # no card twice: two cards with the same code are about different drafts, and say which
    seen = [(c["source"]["topic"]["code"], c["summary"], c.get("detail")) for c in cards]
    assert len(seen) == len(set(seen)), f"a card repeated: {seen}"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_order_hook_acceptance(servers, case: Case):
    response = call(servers, case)
    assert response.status_code == case.status, response.text
    if case.status != 200:
        return
    body = response.json()
    cards = body["cards"]
    got = sorted((c["source"]["topic"]["code"], c["indicator"]) for c in cards)
    assert got == sorted(case.expect), f"{case.what}: {[c['summary'] for c in cards]}"
    assert not body.get("systemActions")
    check_mechanics(case, cards)
    for draft_id, end in case.ends.items():
        assert suggested_end(cards, draft_id) == end, case.what
    if case.igg_order is not None:
        creates = [a for c in cards for s in c.get("suggestions", []) for a in s["actions"]
                   if a["type"] == "create" and a["resource"]["resourceType"] == "ServiceRequest"]
        assert bool(creates) == case.igg_order, case.what
        assert len(creates) <= 1, "one IgG order at most"
    text = " ".join(f"{c['summary']} {c.get('detail', '')}" for c in cards)
    for words in case.says:
        assert words in text, case.what
    for words in case.never_says:
        assert all(words not in c["summary"] for c in cards), case.what
    if case.extension_offered is not None:
        [card] = [c for c in cards if c["source"]["topic"]["code"] == "order-does-not-meet-criteria"]
        offered = "community-infection-risk" in {r["code"] for r in card.get("overrideReasons", [])}
        assert offered == case.extension_offered, case.what
