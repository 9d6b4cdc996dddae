"""References written as a Bundle entry's fullUrl (`urn:uuid:...`), as transaction Bundles, Synthea and EHR exports
write them: each names the resource of that entry, through replay and over HTTP, as `Type/id` does.

Every kind of reference the facts follow is covered by a chart of the acceptance files written again with each
reference between its resources as the fullUrl of the entry it names: an Ig order's Medication, an Ig dose's order
(`request`), a medication record's order (`basedOn`), an Ig order's reason (`reasonReference` to the diagnosis), a
culture report's result Observations (`result`); and a result's `specimen`, sent with the results. The card and the data
notes must be those of the chart as written.
"""

from __future__ import annotations

import copy
import json
import uuid
from datetime import date
from typing import Any, Callable
from zoneinfo import ZoneInfo

import httpx
import pytest

from cds_service.http.app import create_app
from cds_service.http.discovery import ORDER_SIGN_ID, PATIENT_VIEW_ID
from cds_service.fhir.prefetch import pool_prefetch
from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.tools.replay import replay, request_from_bundle

from . import test_acceptance_lifecycle as lc
from . import test_acceptance_substitution as sub
from .environment import tmp_settings
from .fixtures import FIXTURES
from .servers import SettableClock, serve_in_thread

Resource = dict[str, Any]
RUNTIME = lc.RUNTIME


def urn(ref: str) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, ref)}"


def rewrite_references(value: Any, change: Callable[[str], str]) -> None:
    """Every reference in `value` (a resource, at any depth) written as `change` gives it, in place."""
    if isinstance(value, dict):
        if isinstance(value.get("reference"), str):
            value["reference"] = change(value["reference"])
        for inner in value.values():
            rewrite_references(inner, change)
    elif isinstance(value, list):
        for inner in value:
            rewrite_references(inner, change)


def as_urns(bundle: Resource) -> Resource:
    """The bundle as a transaction Bundle writes it: each entry's fullUrl a urn:uuid, and every reference from one
    resource to another entry (the Patient's too) that entry's fullUrl."""
    out = copy.deepcopy(bundle)
    names = {f"{e['resource']['resourceType']}/{e['resource']['id']}" for e in out["entry"]}
    for entry in out["entry"]:
        rewrite_references(entry["resource"], lambda ref: urn(ref) if ref in names else ref)
        entry["fullUrl"] = urn(f"{entry['resource']['resourceType']}/{entry['resource']['id']}")
    return out


def seen(answer: Any) -> tuple[list[str], list[str], list[str]]:
    """What the clinician sees: each card's summary, and the data notes (the card's, the explanation page's)."""
    on_cards = sorted(n["kind"] for c in answer.cards for n in c["extension"].get("dk.igsub-cds.data-notes", []))
    return [c["summary"] for c in answer.cards], on_cards, sorted({n.kind for n in answer.notes})


LIFECYCLE = {c.name: c for c in lc.CHARTS}
# (chart, the reference it follows): each was answered otherwise when its references were written as urn:uuid
CHARTS = [
    (sub.CHART["itp-order-completed-no-end-doses-linked"], "a dose's request to its order"),
    (sub.CHART["itp-dose-linked-substitution-begun-20-days-later"], "a dose's request to its order"),
    (sub.CHART["itp-order-and-its-copy-on-the-list"], "a medication record's basedOn"),
    (sub.CHART["itp-order-reason-by-reference-to-the-diagnosis"], "an order's reasonReference to the diagnosis"),
    (LIFECYCLE["report-preliminary-observation-final"], "a culture report's result Observation"),
]


def bundle_of(chart: sub.Chart | lc.Chart) -> Resource:
    return chart.bundle() if isinstance(chart, lc.Chart) else chart.bundle


@pytest.mark.parametrize("chart, follows", CHARTS, ids=[c.name for c, _ in CHARTS])
def test_a_reference_written_as_a_full_url_is_followed_as_type_and_id(chart: sub.Chart | lc.Chart,
                                                                      follows: str) -> None:
    day = date.fromisoformat(chart.at)
    as_written = seen(replay(RUNTIME, bundle_of(chart), at=day))
    assert seen(replay(RUNTIME, as_urns(bundle_of(chart)), at=day)) == as_written, follows


# -- an Ig order naming its Medication by the Medication's fullUrl ---------------------------------------------------

MEDICATION_URN = "urn:uuid:0b6c2d7e-1111-4a1e-9a6f-000000000001"
PRIVIGEN = {"resourceType": "Medication", "id": "m1", "code": {
    "coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}], "text": "Privigen 100 mg/ml"}}


def on_ivig(reference: str = MEDICATION_URN, *medications: tuple[str, Resource]) -> Resource:
    """On IVIG since 2025-12-01 after CAR-T 2025-11-03, the order naming its drug by `reference`; `medications`:
    (fullUrl, Medication) entries beside it (default: Privigen under MEDICATION_URN)."""
    order = lc.ivig_order(start="2025-12-01")
    order.pop("medicationCodeableConcept")
    order["medicationReference"] = {"reference": reference}
    chart = lc.Chart("ivig-by-urn", (lc.dx(lc.DLBCL, "2025-02-14"), lc.car_t("2025-11-03"),
                                     lc.igg("igg", "2025-11-20", 2.8), order), (), "")
    bundle = chart.bundle()
    for full_url, medication in medications or ((MEDICATION_URN, PRIVIGEN),):
        bundle["entry"].append({"fullUrl": full_url, "resource": medication})
    return bundle


AT = date(2026, 1, 12)
ON_IVIG = "Ig substitution after CAR-T 2025-11-03: plan the stop attempt on 2026-05-03 (111 days left)"


def test_an_ig_order_naming_its_medication_by_full_url_is_read_as_the_ig_it_is() -> None:
    """It was 'Ig may be started' for a patient on IVIG since 2025-12-01, with a note that the Medication was not sent."""
    summaries, on_cards, notes = seen(replay(RUNTIME, on_ivig(), at=AT))
    assert summaries == [ON_IVIG]
    assert "unresolved-medication" not in notes and on_cards == []


def test_a_full_url_no_entry_carries_stays_unresolved_and_named() -> None:
    """A urn:uuid no entry of the request carries is not guessed at: the order's drug is named as not sent."""
    answer = replay(RUNTIME, on_ivig("urn:uuid:0b6c2d7e-1111-4a1e-9a6f-00000000ffff"), at=AT)
    summaries, on_cards, _ = seen(answer)
    assert "plan the stop attempt" not in summaries[0]
    assert "unresolved-medication" in on_cards
    assert "An order (2025-12-01) names a Medication that was not sent" in answer.cards[0]["detail"]


def test_two_entries_under_one_full_url_are_named_and_neither_is_followed() -> None:
    """Which of two resources one fullUrl names the request does not say: neither is read, and the clash is named."""
    other = {**PRIVIGEN, "id": "m2", "code": {"text": "Paracetamol 500 mg"}}
    answer = replay(RUNTIME, on_ivig(MEDICATION_URN, (MEDICATION_URN, PRIVIGEN), (MEDICATION_URN, other)), at=AT)
    summaries, on_cards, _ = seen(answer)
    assert "plan the stop attempt" not in summaries[0] and "medication-reference-ambiguous" in on_cards \
        and "unresolved-medication" not in on_cards
    # the card says what is wrong: the Medication was sent, twice over, not "not sent"
    assert "An order's reference to its Medication names two different records: its drug was not checked" \
        in answer.cards[0]["detail"] and "not sent" not in answer.cards[0]["detail"]
    [clash] = [n for n in answer.notes if n.kind == "full-url-conflict"]
    assert clash.source == MEDICATION_URN and "Medication/m1" in clash.message and "Medication/m2" in clash.message


def test_a_full_url_naming_another_resource_than_its_entry_holds_is_not_followed_and_named() -> None:
    """An entry under 'https://ehr/fhir/Medication/m1' that holds Medication/m2 (paracetamol), the order naming
    '.../Medication/m1', Privigen (m1) sent too: which of the two the order means the request does not say. It was
    read as paracetamol in silence ('Ig may be started' for a patient on IVIG, no note); now neither is read, and the
    card says so, in English and Danish."""
    url = "https://ehr.example.dk/fhir/Medication/m1"
    paracetamol = {"resourceType": "Medication", "id": "m2", "code": {"text": "Paracetamol 500 mg"}}
    bundle = on_ivig(url, (url, paracetamol), ("https://ehr.example.dk/fhir/Medication/m1/_history/3", PRIVIGEN))
    answer = replay(RUNTIME, bundle, at=AT)
    summaries, on_cards, notes = seen(answer)
    assert "medication-reference-ambiguous" in on_cards and "unresolved-medication" not in on_cards
    assert "full-url-conflict" in notes
    [clash] = [n for n in answer.notes if n.kind == "full-url-conflict"]
    assert clash.source == url and "names Medication/m1 but its entry holds Medication/m2" in clash.message
    danish = replay(RUNTIME, bundle, at=AT, lang="da")
    assert "henvisning til dens lægemiddel peger på to forskellige registreringer" in danish.cards[0]["detail"]


def test_a_full_url_whose_tail_is_its_own_resource_is_followed_versioned_or_not() -> None:
    """'.../Medication/m1/_history/3' holding Medication/m1: the order naming it, versioned or not, reads Privigen."""
    url = "https://ehr.example.dk/fhir/Medication/m1/_history/3"
    for reference in (url, "https://ehr.example.dk/fhir/Medication/m1", "Medication/m1"):
        summaries, on_cards, notes = seen(replay(RUNTIME, on_ivig(reference, (url, PRIVIGEN)), at=AT))
        assert summaries == [ON_IVIG] and on_cards == [] and "full-url-conflict" not in notes, reference


def test_the_same_resource_sent_twice_under_its_full_url_is_no_clash() -> None:
    summaries, _, notes = seen(replay(RUNTIME, on_ivig(MEDICATION_URN, (MEDICATION_URN, PRIVIGEN),
                                                         (MEDICATION_URN, PRIVIGEN)), at=AT))
    assert summaries == [ON_IVIG] and "full-url-conflict" not in notes


# -- over HTTP -----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server():
    clock = SettableClock()
    with serve_in_thread(create_app(tmp_settings(), clock=clock)) as base:
        yield base, clock


def test_over_http_the_order_finds_its_medication_by_full_url(server) -> None:
    base, clock = server
    clock.set(AT)
    request = request_from_bundle(on_ivig())
    assert any(e.get("fullUrl") == MEDICATION_URN for value in request["prefetch"].values()
               if isinstance(value, dict) for e in value.get("entry", []))
    response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=request, timeout=10)
    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    assert card["summary"] == ON_IVIG
    assert card["extension"].get("dk.igsub-cds.data-notes", []) == []


def test_over_http_a_dose_finds_its_order_by_full_url(server) -> None:
    """IVIG for ITP given under an order it names by the order's fullUrl: immunomodulation, not a course of
    substitution ended (it was 'plan the stop attempt' for a patient never on substitution)."""
    base, clock = server
    chart = sub.CHART["itp-order-completed-no-end-doses-linked"]
    clock.set(date(2026, 3, 1))
    as_written = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=request_from_bundle(chart.bundle),
                            timeout=10)
    response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=request_from_bundle(as_urns(chart.bundle)),
                          timeout=10)
    assert response.status_code == 200, response.text
    assert [c["summary"] for c in response.json()["cards"]] == [c["summary"] for c in as_written.json()["cards"]]
    assert "Ig may be started" in response.json()["cards"][0]["summary"]


def test_a_draft_naming_the_medication_beside_it_by_full_url_is_judged(server) -> None:
    """A draft IVIG order whose Medication is an entry of context.draftOrders, named by that entry's fullUrl: judged
    (it was refused with 400, 'not a reference this service resolves')."""
    base, clock = server
    clock.set(date(2026, 1, 20))
    draft = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
    draft.pop("medicationCodeableConcept")
    draft["medicationReference"] = {"reference": MEDICATION_URN}
    medication = {"resourceType": "Medication", "id": "m-ivig", "code": PRIVIGEN["code"]}
    request = request_from_bundle(json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text()), "order-sign",
                                  [draft, medication])
    for entry in request["context"]["draftOrders"]["entry"]:
        if entry["resource"]["resourceType"] == "Medication":
            entry["fullUrl"] = MEDICATION_URN
    response = httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=10)
    assert response.status_code == 200, response.text
    assert [c["source"]["topic"]["code"] for c in response.json()["cards"]] == ["order-meets-criteria"]


def test_a_draft_naming_a_full_url_two_entries_share_is_refused_saying_so(server) -> None:
    """Which Medication the draft means the request does not say: its drug is not checked, and the answer says why."""
    base, clock = server
    clock.set(date(2026, 1, 20))
    draft = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
    draft.pop("medicationCodeableConcept")
    draft["medicationReference"] = {"reference": MEDICATION_URN}
    medications = [{"resourceType": "Medication", "id": "m-ivig", "code": PRIVIGEN["code"]},
                   {"resourceType": "Medication", "id": "m-para", "code": {"text": "Paracetamol 500 mg"}}]
    request = request_from_bundle(json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text()), "order-sign",
                                  [draft, *medications])
    for entry in request["context"]["draftOrders"]["entry"]:
        if entry["resource"]["resourceType"] == "Medication":
            entry["fullUrl"] = MEDICATION_URN
    response = httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=10)
    assert response.status_code == 400, response.text
    said = str(response.json()["issue"][0]["diagnostics"])
    assert f"its medicationReference {MEDICATION_URN} is a fullUrl naming two resources of the request" in said


def test_a_specimen_named_by_its_full_url_is_the_specimen_named_by_its_id() -> None:
    """The blood culture of 2025-12-10 sent preliminary, naming its specimen `Specimen/s-1`, and final, naming the same
    Specimen by its entry's fullUrl: one sample, the final result counted and the preliminary superseded (it was
    named on the card 'not final yet … check the final result', the result the card had just counted)."""
    specimen_urn = urn("Specimen/s-1")
    specimen = {"resourceType": "Specimen", "id": "s-1", "subject": lc.ME,
                "type": {"text": "Blood culture bottle set"}, "collection": {"collectedDateTime": "2025-12-10"}}
    preliminary = {**lc.blood_culture("2025-12-10", "preliminary", rid="bc-prelim"),
                   "specimen": {"reference": "Specimen/s-1"}, "effectiveDateTime": "2025-12-10"}
    final = {**lc.blood_culture("2025-12-10", "final"), "specimen": {"reference": specimen_urn},
             "effectiveDateTime": "2025-12-10T22:30:00+01:00"}
    chart = lc.Chart("culture", lc.story_a(lc.dx(lc.PNEUMONIA, "2025-12-10", "pneu"), preliminary, final), lc.GENERAL, "")
    request = request_from_bundle(chart.bundle())  # the Specimen sent with the results, as `_include` sends it
    request["prefetch"]["observations"]["entry"].append({"fullUrl": specimen_urn, "resource": specimen,
                                                         "search": {"mode": "include"}})
    answer = answer_local(parse_hook_request(request, "patient-view"), RUNTIME, today=date.fromisoformat(chart.at))
    summaries, on_cards, notes = seen(answer)
    assert summaries == ["IgG 3.0 g/L < 4 g/L (2026-01-05) with severe/recurrent bacterial infections: "
                         "Ig may be started (general criteria)"]
    assert "culture-not-final" not in on_cards and "culture-superseded" in notes


def test_a_reason_named_by_a_full_url_two_entries_share_is_named_on_the_card() -> None:
    """The ITP order's reason names the diagnosis by a fullUrl another Condition is sent under too: the reason is not
    read (which of the two is meant the request does not say), so the course reads as substitution ('a restart'); the
    card names the order whose reference was not followed, in English and Danish, not the explanation page only."""
    chart = sub.CHART["itp-order-reason-by-reference-to-the-diagnosis"]
    bundle = as_urns(chart.bundle)
    patient = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    bundle["entry"].append({"fullUrl": urn("Condition/itp-dx"), "resource": {
        "resourceType": "Condition", "id": "other-dx", "subject": {"reference": patient["fullUrl"]},
        "code": {"text": "Hypertension"}, "recordedDate": "2026-01-09"}})
    day = date.fromisoformat(chart.at)
    answer = replay(RUNTIME, bundle, at=day)
    [card] = answer.cards
    assert "An order (2026-01-09) refers by one reference to two different records: that reference was not " \
           "followed; check the record" in card["detail"]
    [card] = replay(RUNTIME, bundle, at=day, lang="da").cards
    assert "En ordination (2026-01-09) henviser med én reference til to forskellige registreringer" in card["detail"]
    _, _, notes = seen(replay(RUNTIME, as_urns(chart.bundle), at=day))
    assert "reference-ambiguous" not in notes and "full-url-conflict" not in notes


def test_doses_naming_their_order_by_a_full_url_two_entries_share_say_so_first() -> None:
    """IVIG for ITP, its doses naming their order by a fullUrl another order is sent under too: the doses' order is not
    read, so they read as a course of substitution; the card says why first, not behind '+2 more data notes' after
    the orders' reasons."""
    chart = sub.CHART["itp-order-completed-no-end-doses-linked"]
    bundle = as_urns(chart.bundle)
    order = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationRequest")
    bundle["entry"].append({"fullUrl": urn("MedicationRequest/ivig"), "resource": {**order, "id": "ivig-other"}})
    [card] = replay(RUNTIME, bundle, at=date.fromisoformat(chart.at)).cards
    assert "*2 records refer by one reference to two different records: not followed; check the records" \
        in card["detail"]


def test_a_resource_type_holding_a_slash_is_not_read_as_named_by_its_full_url() -> None:
    """'.../Foo/Observation/x' holding a resource typed "Foo/Observation" (malformed): the URL's last two parts name
    Observation/x, its entry "Foo/Observation/x", so the fullUrl is a clash, named, and names neither. A shortcut for
    the usual fullUrl ending in its own entry's Type/id must not take it for one."""
    odd = {"resourceType": "Foo/Observation", "id": "x", "status": "final", "subject": {"reference": "Patient/p1"}}
    bundle = {"resourceType": "Bundle", "type": "searchset",
              "entry": [{"fullUrl": "https://ehr.example.dk/fhir/Foo/Observation/x", "resource": odd}]}
    pooled = pool_prefetch({"observations": bundle}, ["observations"], "p1", ZoneInfo("Europe/Copenhagen"))
    [clash] = [n for n in pooled.notes if n.kind == "full-url-conflict"]
    assert "names Observation/x but its entry holds Foo/Observation/x" in clash.message
