"""Charts written as a transaction Bundle: resources with no `id`, each named only by its entry's `urn:uuid:` fullUrl
and referred to by it, as every POST of a transaction Bundle and some EHR exports write them. Each such resource is
read under the id its urn gives it, through replay and over HTTP; it was dropped as "invalid" (no card at all).

The charts are the shipped fixtures and acceptance charts written again so, in the test: every reference between
their resources a urn:uuid (`test_fullurl_references.as_urns`), then every id taken away.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import httpx
import pytest

from cds_service.http.discovery import ORDER_SIGN_ID, PATIENT_VIEW_ID
from cds_service.tools.replay import replay, request_from_bundle

from . import test_acceptance_lifecycle as lc
from .fixtures import FIXTURES
from .test_fullurl_references import (
    AT, MEDICATION_URN, ON_IVIG, PRIVIGEN, RUNTIME, as_urns, on_ivig, rewrite_references, seen,
)
from .test_fullurl_references import server as server  # the one test service, its clock set by each test

Resource = dict[str, Any]

OVERDUE = "cart-ig-active-stop-overdue"
OVERDUE_AT = date(2026, 4, 15)


def shipped(name: str) -> Resource:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def without_ids(bundle: Resource) -> Resource:
    """The bundle as a transaction Bundle writes it: references and fullUrls urn:uuids, and no resource with an id."""
    out = as_urns(bundle)
    out["type"] = "transaction"
    for entry in out["entry"]:
        del entry["resource"]["id"]
    return out


def upper_case_urns(bundle: Resource) -> Resource:
    """Every `urn:uuid:` reference of the bundle written in upper case, its entries' fullUrls as they were."""
    out = copy.deepcopy(bundle)
    for entry in out["entry"]:
        rewrite_references(entry["resource"], lambda ref: ref.upper() if ref.startswith("urn:uuid:") else ref)
    return out


def test_the_overdue_stop_chart_as_a_transaction_bundle_gives_the_same_card() -> None:
    """It gave no card, seven resources named invalid (and replay refused the Patient with no id)."""
    as_shipped = replay(RUNTIME, shipped(OVERDUE), at=OVERDUE_AT)
    answer = replay(RUNTIME, without_ids(shipped(OVERDUE)), at=OVERDUE_AT)
    assert [a.code for a in answer.advice] == [a.code for a in as_shipped.advice] == ["stop-overdue"]
    assert seen(answer) == seen(as_shipped)
    assert "Ig stop date 2026-04-14 (6 months after CAR-T 2025-10-14) passed 1 day ago" in answer.cards[0]["summary"]
    assert not [n for n in answer.notes if n.kind == "invalid"]


def test_the_patient_with_no_id_is_the_patient_its_urn_names() -> None:
    bundle = without_ids(shipped(OVERDUE))
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    request = request_from_bundle(bundle)
    assert request["context"]["patientId"] == patient["fullUrl"].removeprefix("urn:uuid:")
    assert "id" not in patient["resource"]  # the caller's bundle is not changed


def test_references_to_a_urn_in_another_letter_case_are_followed() -> None:
    """The Patient's and the Medication's urn:uuid written in upper case by the resources naming them (a UUID is one
    in any letter case): the same card; it was every record another patient's, and the Medication not sent."""
    answer = replay(RUNTIME, upper_case_urns(without_ids(shipped(OVERDUE))), at=OVERDUE_AT)
    assert seen(answer) == seen(replay(RUNTIME, shipped(OVERDUE), at=OVERDUE_AT))
    summaries, on_cards, _ = seen(replay(RUNTIME, on_ivig(MEDICATION_URN.upper()), at=AT))
    assert summaries == [ON_IVIG] and on_cards == []


@pytest.mark.parametrize("full_url", [MEDICATION_URN, "urn:oid:1.2.208.176.9.1"], ids=["uuid", "oid"])
def test_a_medication_with_no_id_is_found_by_its_urn(full_url: str) -> None:
    """The IVIG order names Privigen by the urn of an entry whose Medication has no id: the patient is on IVIG (it was
    'Ig may be started', the Medication named invalid and not sent)."""
    medication = {k: v for k, v in PRIVIGEN.items() if k != "id"}
    summaries, on_cards, notes = seen(replay(RUNTIME, on_ivig(full_url, (full_url, medication)), at=AT))
    assert summaries == [ON_IVIG] and on_cards == [] and "invalid" not in notes


@pytest.mark.parametrize("full_url", [None, "https://ehr.example.dk/fhir/Observation", "urn:uuid:not-a-uuid"],
                         ids=["no-full-url", "restful-full-url", "urn-not-a-uuid"])
def test_a_resource_with_no_id_and_no_urn_to_name_it_stays_invalid(full_url: str | None) -> None:
    bundle = on_ivig()
    bundle["entry"].append({"resource": lc.igg("igg-2", "2025-12-20", 9.0)})
    del bundle["entry"][-1]["resource"]["id"]
    if full_url is not None:
        bundle["entry"][-1]["fullUrl"] = full_url
    answer = replay(RUNTIME, bundle, at=AT)
    [invalid] = [n for n in answer.notes if n.kind == "invalid"]
    assert invalid.source == "Observation without id" and "no id and no urn:uuid or urn:oid fullUrl" in invalid.message
    assert "A lab result holds unusable data and was skipped" in answer.cards[0]["detail"]


def test_a_urn_giving_the_id_another_resource_carries_is_named_not_guessed() -> None:
    """The IVIG order sent as MedicationRequest/<uuid>, active, and again with no id under urn:uuid:<uuid>, stopped:
    whether they are one record the request does not say. The one with no id is not read (never taken as a copy of the
    other), and the clash is named: on the card, and on the explanation page naming the id both would have."""
    order_id = "5a0c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3"
    bundle = on_ivig()
    order = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationRequest")
    order["resource"]["id"] = order_id
    order["fullUrl"] = f"https://fhir.example.dk/R4/MedicationRequest/{order_id}"
    stopped = {k: v for k, v in order["resource"].items() if k != "id"}
    bundle["entry"].append({"fullUrl": f"urn:uuid:{order_id}", "resource": {**stopped, "status": "stopped"}})
    answer = replay(RUNTIME, bundle, at=AT)
    summaries, on_cards, notes = seen(answer)
    assert summaries == [ON_IVIG] and "invalid" in on_cards and "copy-status-differs" not in notes
    [clash] = [n for n in answer.notes if n.kind == "full-url-conflict"]
    assert clash.source == f"urn:uuid:{order_id}" and f"MedicationRequest/{order_id}" in clash.message
    assert "*An order holds unusable data and was skipped.*" in answer.cards[0]["detail"]
    danish = replay(RUNTIME, bundle, at=AT, lang="da")
    assert "*En ordination har ubrugelige data og er sprunget over.*" in danish.cards[0]["detail"]


# -- over HTTP -----------------------------------------------------------------------------------------------------


def test_over_http_the_overdue_stop_chart_with_no_ids_gives_the_same_card(server) -> None:
    base, clock = server
    clock.set(OVERDUE_AT)
    url = f"{base}/cds-services/{PATIENT_VIEW_ID}"
    as_shipped = httpx.post(url, json=request_from_bundle(shipped(OVERDUE)), timeout=10).json()["cards"]
    response = httpx.post(url, json=request_from_bundle(upper_case_urns(without_ids(shipped(OVERDUE)))), timeout=10)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert [c["source"]["topic"]["code"] for c in cards] == ["stop-overdue"]
    assert [c["summary"] for c in cards] == [c["summary"] for c in as_shipped]
    assert cards[0]["extension"].get("dk.igsub-cds.data-notes", []) == []
    assert "suggestions" not in cards[0]  # no update of the order under the id its urn gave it


def _order_sign(draft: Resource, medication: Resource) -> Resource:
    request = request_from_bundle(json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text()), "order-sign",
                                  [draft, medication])
    for entry in request["context"]["draftOrders"]["entry"]:
        if entry["resource"] is not None and entry["resource"]["resourceType"] == "Medication":
            entry["fullUrl"] = MEDICATION_URN
            del entry["resource"]["id"]
    return request


def _draft() -> Resource:
    draft: Resource = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
    draft.pop("medicationCodeableConcept")
    draft["medicationReference"] = {"reference": MEDICATION_URN}
    return draft


def test_over_http_a_draft_names_a_medication_with_no_id_by_its_urn(server) -> None:
    """A Medication beside the draft in context.draftOrders with no id, under the urn the draft names: judged (it was
    refused with 400, the Medication 'needs an id')."""
    base, clock = server
    clock.set(date(2026, 1, 20))
    request = _order_sign(_draft(), {"resourceType": "Medication", "id": "m", "code": PRIVIGEN["code"]})
    response = httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=10)
    assert response.status_code == 200, response.text
    assert [c["source"]["topic"]["code"] for c in response.json()["cards"]] == ["order-meets-criteria"]


def test_over_http_a_draft_order_with_no_id_is_refused_saying_why(server) -> None:
    """A draft order needs an id of its own, a urn fullUrl or not: selections and suggestions name it by it."""
    base, clock = server
    clock.set(date(2026, 1, 20))
    request = _order_sign(_draft(), {"resourceType": "Medication", "id": "m", "code": PRIVIGEN["code"]})
    entry = next(e for e in request["context"]["draftOrders"]["entry"]
                 if e["resource"]["resourceType"] == "MedicationRequest")
    entry["fullUrl"] = "urn:uuid:5a0c1d2e-3f40-4a5b-8c6d-000000000001"
    del entry["resource"]["id"]
    response = httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=10)
    assert response.status_code == 400, response.text
    assert "needs an id (selections and suggestions refer to it; only a Medication may come with none, named by a " \
           "urn:uuid fullUrl)" in response.json()["issue"][0]["diagnostics"]


def test_a_urn_scheme_written_in_upper_case_is_the_same_patient() -> None:
    """`URN:UUID:` is the scheme `urn:uuid:` (RFC 8141): the Patient written so is the patient its resources name. Replay
    left the Patient out of the searchsets it sends, and every record was named another patient's: no card."""
    bundle = without_ids(shipped(OVERDUE))
    for entry in bundle["entry"]:
        entry["fullUrl"] = entry["fullUrl"].replace("urn:uuid:", "URN:UUID:")
        rewrite_references(entry["resource"], lambda ref: ref.replace("urn:uuid:", "URN:UUID:"))
    answer = replay(RUNTIME, bundle, at=OVERDUE_AT)
    assert seen(answer) == seen(replay(RUNTIME, shipped(OVERDUE), at=OVERDUE_AT))
    assert not [n for n in answer.notes if n.kind == "wrong-patient"]


def test_no_card_suggests_updating_an_order_under_the_id_its_urn_gave_it() -> None:
    """A transaction's urn:uuid is a placeholder: the EHR keeps the order under an id of its own. The card still says to
    pause, but offers no update of MedicationRequest/<uuid> (applied to no order, or made a second one on hold, the
    order itself left active); it offered one. The chart sent with its ids keeps its suggestion."""
    as_shipped = replay(RUNTIME, shipped(OVERDUE), at=OVERDUE_AT)
    answer = replay(RUNTIME, without_ids(shipped(OVERDUE)), at=OVERDUE_AT)
    assert [s["label"] for s in as_shipped.cards[0]["suggestions"]] == ["Put the immunoglobulin order on hold"]
    assert "suggestions" not in answer.cards[0]
    assert "Pause substitution now" in answer.cards[0]["detail"]
