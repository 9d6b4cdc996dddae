"""A draft naming a Medication the request does not carry: read from fhirServer, else 412 saying why.

CDS Hooks 2.0 §FHIR Resource Access: a service lacking data it needs may fetch it from `fhirServer`
with `fhirAuthorization`; 412 only when it cannot. respx stands in for the FHIR server here; the
real one is in tests/test_fetch_e2e.py.
"""
from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import httpx
import pytest
import respx

from cds_service import pipeline
from cds_service.errors import PreconditionFailed
from cds_service.fhir.fetch import FhirFetcher
from cds_service.fhir.request import parse_hook_request
from cds_service.runtime import Runtime, load_runtime
from cds_service.settings import FetchSettings, Settings
from cds_service.tools.replay import request_from_bundle

from .fixtures import FIXTURES

pytestmark = pytest.mark.anyio

BASE = "https://ehr.example.org/fhir"
TOKEN = "SECRET-token-77c1"
DRAFT = "MedicationRequest/draft-ivig-0001"
ATC_IVIG = {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]}
MEDICATION = {"resourceType": "Medication", "id": "m-ivig", "code": ATC_IVIG}
DAY = date(2026, 1, 20)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def runtime() -> Runtime:
    return load_runtime(Settings())


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
async def fetcher() -> AsyncIterator[FhirFetcher]:
    f = FhirFetcher(FetchSettings(total_timeout=2.0))
    yield f
    await f.aclose()


def draft(reference: str = "Medication/m-ivig") -> dict[str, Any]:
    order = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
    order.pop("medicationCodeableConcept", None)
    order["medicationReference"] = {"reference": reference}
    return dict(order)


def body(drafts: list[dict[str, Any]], fhir_server: str | None = BASE, hook: str = "order-sign") -> dict[str, Any]:
    chart = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    request = request_from_bundle(chart, hook, copy.deepcopy(drafts))
    if fhir_server is not None:
        request["fhirServer"] = fhir_server
        request["fhirAuthorization"] = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300,
                                        "scope": "patient/*.read", "subject": "igsub-cds"}
    return request


async def answer(runtime: Runtime, fetcher: FhirFetcher | None, drafts: list[dict[str, Any]],
                 fhir_server: str | None = BASE, hook: str = "order-sign") -> pipeline.Answer:
    request = parse_hook_request(body(drafts, fhir_server, hook), hook)
    return await pipeline.answer(request, runtime, today=DAY, fetcher=fetcher)


async def refused(runtime: Runtime, fetcher: FhirFetcher | None, drafts: list[dict[str, Any]],
                  fhir_server: str | None = BASE) -> str:
    with pytest.raises(PreconditionFailed) as info:
        await answer(runtime, fetcher, drafts, fhir_server)
    message = str(info.value)
    assert DRAFT in message and "Medication/m-ivig" in message and "could not be checked" in message
    assert TOKEN not in message
    return message


def codes(answered: pipeline.Answer) -> list[str]:
    return [c["source"]["topic"]["code"] for c in answered.cards]


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
async def test_a_medication_sent_nowhere_is_read_from_fhir_server_with_the_token(runtime, fetcher, mock, hook):
    route = mock.get(f"{BASE}/Medication/m-ivig").respond(200, json=MEDICATION)
    assert codes(await answer(runtime, fetcher, [draft()], hook=hook)) == ["order-meets-criteria"]
    assert route.call_count == 1
    assert route.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_an_absolute_reference_on_fhir_server_and_a_version_are_read_as_written(runtime, fetcher, mock):
    route = mock.get(f"{BASE}/Medication/m-ivig/_history/3").respond(200, json=MEDICATION)
    answered = await answer(runtime, fetcher, [draft(f"{BASE}/Medication/m-ivig/_history/3")])
    assert codes(answered) == ["order-meets-criteria"] and route.call_count == 1


async def test_one_read_per_medication_however_many_drafts_name_it(runtime, fetcher, mock):
    second = {**draft(), "id": "draft-ivig-0002"}
    route = mock.get(f"{BASE}/Medication/m-ivig").respond(200, json=MEDICATION)
    await answer(runtime, fetcher, [draft(), second])
    assert route.call_count == 1


async def test_a_medication_sent_in_prefetch_is_not_fetched(runtime, fetcher, mock):
    route = mock.get(url__startswith=BASE).respond(500)
    assert codes(await answer(runtime, fetcher, [draft(), MEDICATION])) == ["order-meets-criteria"]
    assert route.call_count == 0


async def test_no_fhir_server_is_412_saying_so(runtime, fetcher, mock):
    assert "not fetched from fhirServer: the request has no fhirServer" in await refused(
        runtime, fetcher, [draft()], fhir_server=None)


async def test_no_fetcher_is_412_saying_so(runtime):
    assert "not fetched from fhirServer: fetching is not possible here" in await refused(runtime, None, [draft()])


async def test_a_server_the_token_may_not_go_to_is_412_without_contact(runtime, fetcher, mock):
    route = mock.get(url__startswith="http://ehr.invalid").respond(200, json=MEDICATION)
    message = await refused(runtime, fetcher, [draft()], fhir_server="http://ehr.invalid/fhir")
    assert "fhirServer refused: fhirServer must use https" in message and route.call_count == 0


@pytest.mark.parametrize("reference", ["https://other.example/fhir/Medication/m-ivig", "Medication/..",
                                       f"{BASE}/Medication/m-ivig/_history/..", "Medication/m ivig"])
async def test_a_reference_not_to_a_medication_on_fhir_server_is_412_without_contact(runtime, fetcher, mock, reference):
    route = mock.get(url__startswith="https://").respond(200, json=MEDICATION)
    with pytest.raises(PreconditionFailed) as info:
        await answer(runtime, fetcher, [draft(reference)])
    assert "not a 'Medication/id' reference on fhirServer" in str(info.value) and route.call_count == 0


@pytest.mark.parametrize("status, words", [
    (404, "fhirServer answered 404 Not Found: it holds no Medication/m-ivig"),
    (410, "fhirServer answered 410 Gone: Medication/m-ivig was deleted there"),
])
async def test_a_medication_the_server_does_not_have_is_412_telling_not_found_from_deleted(
        runtime, fetcher, mock, status, words):
    """404 (never there, or not visible) and 410 (deleted) are different faults to the one fixing the order: told
    apart (both read 'fhirServer answered 404 or 410' before)."""
    mock.get(f"{BASE}/Medication/m-ivig").respond(status)
    said = await refused(runtime, fetcher, [draft()])
    assert words in said and ("deleted" in said) == (status == 410)


async def test_a_refused_token_is_412_naming_the_status(runtime, fetcher, mock):
    mock.get(f"{BASE}/Medication/m-ivig").respond(401)
    assert "not fetched from fhirServer: FHIR server answered 401" in await refused(runtime, fetcher, [draft()])


async def test_a_server_that_does_not_answer_in_time_is_412(runtime, mock):
    mock.get(f"{BASE}/Medication/m-ivig").mock(side_effect=httpx.ReadTimeout("slow"))
    f = FhirFetcher(FetchSettings(total_timeout=0.5))
    try:
        assert "did not answer in time" in await refused(runtime, f, [draft()])
    finally:
        await f.aclose()


@pytest.mark.parametrize("answered, words", [
    ({**MEDICATION, "id": "m-other"}, "a Medication with another id"),
    ({"resourceType": "Substance", "id": "m-ivig"}, "answered a Substance, expected Medication"),
])
async def test_a_fetched_resource_that_is_not_that_medication_is_412(runtime, fetcher, mock, answered, words):
    mock.get(f"{BASE}/Medication/m-ivig").respond(200, json=answered)
    assert words in await refused(runtime, fetcher, [draft()])


async def test_the_medication_read_shares_the_requests_byte_budget(runtime, mock):
    """The bytes of the prefetch keys fetched and of the Medication read count together."""
    request = body([draft()])
    del request["prefetch"]["observations"]
    observations = {"resourceType": "Bundle", "type": "searchset", "entry": [], "total": 0, "id": "x" * 700}
    empty = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    mock.get(url__startswith=f"{BASE}/Observation").mock(  # the search in shares (`fetch.MAX_SEARCH_URL`): one long
        side_effect=lambda r: httpx.Response(200, json=observations if "NPU19814" in str(r.url) else empty))
    mock.get(f"{BASE}/Medication/m-ivig").respond(200, json={**MEDICATION, "text": {"div": "y" * 400}})
    f = FhirFetcher(FetchSettings(total_timeout=2.0, max_bytes=1000))
    try:
        with pytest.raises(PreconditionFailed) as info:
            await pipeline.answer(parse_hook_request(request, "order-sign"), runtime, today=DAY, fetcher=f)
    finally:
        await f.aclose()
    assert "exceed 1000 bytes" in str(info.value) and "Medication/m-ivig" in str(info.value)


async def test_patient_view_reads_no_medication_from_fhir_server_and_still_names_the_unresolved(runtime, fetcher, mock):
    """Only a draft being judged has its Medication fetched: on patient-view an order in the chart naming a
    Medication not sent stays an 'unresolved-medication' note, as before, and nothing is read."""
    route = mock.get(url__startswith=BASE).respond(200, json=MEDICATION)
    request = body([], hook="patient-view")
    order = {**draft(), "id": "chart-ivig", "status": "active", "intent": "order"}
    request["prefetch"]["medicationRequests"]["entry"].append({"resource": order, "search": {"mode": "match"}})
    answered = await pipeline.answer(parse_hook_request(request, "patient-view"), runtime, today=DAY, fetcher=fetcher)
    assert "unresolved-medication" in [n.kind for n in answered.notes] and route.call_count == 0


async def test_the_medication_read_shares_the_requests_time_budget(runtime, mock):
    """CDS_FHIR_TOTAL_TIMEOUT bounds all fetches of one request: the prefetch key took most of it."""
    async def slow(answer: dict[str, Any]) -> httpx.Response:
        await asyncio.sleep(0.35)
        return httpx.Response(200, json=answer)

    request = body([draft()])
    del request["prefetch"]["observations"]
    observations = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    mock.get(url__startswith=f"{BASE}/Observation").mock(side_effect=lambda _: slow(observations))
    mock.get(f"{BASE}/Medication/m-ivig").mock(side_effect=lambda _: slow(MEDICATION))
    f = FhirFetcher(FetchSettings(total_timeout=0.6))
    try:
        with pytest.raises(PreconditionFailed) as info:
            await pipeline.answer(parse_hook_request(request, "order-sign"), runtime, today=DAY, fetcher=f)
    finally:
        await f.aclose()
    assert "Medication/m-ivig" in str(info.value) and "did not answer within 600 ms" in str(info.value)


# -- each Medication read stands alone -------------------------------------------------------------


def second(reference: str = "Medication/m-para") -> dict[str, Any]:
    """A paracetamol drafted beside the IVIG, its drug only in a Medication on fhirServer."""
    order = json.loads((FIXTURES / "drafts" / "paracetamol-pt-dk-0001.draft.json").read_text())
    order.pop("medicationCodeableConcept", None)
    order["medicationReference"] = {"reference": reference}
    return dict(order)


PARA = "MedicationRequest/draft-para-0001"


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
async def test_a_failed_read_does_not_take_the_medication_read_beside_it(runtime, fetcher, mock, hook):
    """IVIG naming Medication/m-ivig (read) and a paracetamol naming Medication/m-para (the server answers 500):
    the IVIG is judged with the Medication read for it, and its card names the paracetamol whose drug was not
    checked, with why. Before, one failed read failed them all: 412, no card."""
    mock.get(f"{BASE}/Medication/m-ivig").respond(200, json=MEDICATION)
    mock.get(f"{BASE}/Medication/m-para").respond(500)
    request = body([draft(), second()], hook=hook)
    if hook == "order-select":
        request["context"]["selections"] = [DRAFT, PARA]
    answered = await pipeline.answer(parse_hook_request(request, hook), runtime, today=DAY, fetcher=fetcher)
    assert codes(answered) == ["order-meets-criteria"]
    [note] = [n for n in answered.notes if n.kind.startswith("draft-drug-")]
    assert (note.kind, note.source) == ("draft-drug-unread", PARA)
    assert "Medication/m-para" in note.message and "FHIR server answered 500" in note.message
    assert "The drug of an order could not be read: it was not checked" in str(answered.cards[0]["detail"])


@pytest.mark.parametrize("status, kind, en, da", [
    (404, "draft-drug-missing", "The drug record an order names was not found in the EHR: it was not checked",
     "Lægemiddelregistreringen, som en ordination henviser til, blev ikke fundet i journalen"),
    (410, "draft-drug-deleted", "The drug record an order names has been deleted in the EHR: it was not checked",
     "Lægemiddelregistreringen, som en ordination henviser til, er slettet i journalen"),
])
async def test_the_card_tells_a_drug_record_not_found_from_one_deleted(runtime, fetcher, mock, status, kind, en, da):
    mock.get(f"{BASE}/Medication/m-ivig").respond(200, json=MEDICATION)
    mock.get(f"{BASE}/Medication/m-para").respond(status)
    for lang, words in (("en", en), ("da", da)):
        request = parse_hook_request(body([draft(), second()]), "order-sign")
        answered = await pipeline.answer(request, runtime, lang=lang, today=DAY, fetcher=fetcher)
        assert codes(answered) == ["order-meets-criteria"]
        assert [(n.kind, n.source) for n in answered.notes if n.kind.startswith("draft-drug-")] == [(kind, PARA)]
        assert words in str(answered.cards[0]["detail"]), answered.cards[0]["detail"]


async def test_a_read_not_answered_in_time_leaves_the_one_answered(runtime, mock):
    """The time runs out on the paracetamol's Medication only: the IVIG's, answered, is used."""
    async def never(_: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json={**MEDICATION, "id": "m-para"})

    mock.get(f"{BASE}/Medication/m-ivig").respond(200, json=MEDICATION)
    mock.get(f"{BASE}/Medication/m-para").mock(side_effect=never)
    f = FhirFetcher(FetchSettings(total_timeout=0.5))
    try:
        answered = await answer(runtime, f, [draft(), second()])
    finally:
        await f.aclose()
    assert codes(answered) == ["order-meets-criteria"]
    [note] = [n for n in answered.notes if n.kind.startswith("draft-drug-")]
    assert note.source == PARA and "did not answer within 500 ms" in note.message


async def test_when_only_the_failed_draft_could_be_carded_the_answer_is_its_412(runtime, fetcher, mock):
    """The refusal rule holds: the IVIG's Medication could not be read (410), and the paracetamol beside it, read,
    gets no card of its own: nothing else can be carded, so the answer is the IVIG's 412, naming the deletion."""
    mock.get(f"{BASE}/Medication/m-ivig").respond(410)
    mock.get(f"{BASE}/Medication/m-para").respond(200, json={"resourceType": "Medication", "id": "m-para", "code": {
        "coding": [{"system": "http://www.whocc.no/atc", "code": "N02BE01"}]}})
    said = await refused(runtime, fetcher, [draft(), second()])
    assert "410 Gone: Medication/m-ivig was deleted there" in said


async def test_fetch_each_keeps_each_key_apart(mock):
    """The client unit: what each read gave, 404 and 410 apart, a failure with its message, the others kept."""
    mock.get(f"{BASE}/Medication/a").respond(200, json={"resourceType": "Medication", "id": "a"})
    mock.get(f"{BASE}/Medication/b").respond(404)
    mock.get(f"{BASE}/Medication/c").respond(410)
    mock.get(f"{BASE}/Medication/d").respond(503)
    mock.get(f"{BASE}/Medication/e").respond(200, json={"resourceType": "Patient", "id": "e"})
    f = FhirFetcher(FetchSettings(total_timeout=2.0))
    try:
        keys = {k: f"Medication/{k}" for k in "abcde"}
        fetched = await f.fetch_each(keys, {}, BASE, TOKEN)
        assert dict(fetched.found) == {"a": {"resourceType": "Medication", "id": "a"}}
        assert dict(fetched.absent) == {"b": 404, "c": 410}
        assert dict(fetched.failed) == {"d": "FHIR server answered 503",
                                        "e": "FHIR server answered a Patient, expected Medication"}
        # `fetch` (the prefetch keys) is as it was: every failure raised, a 404/410 read is None
        with pytest.raises(pipeline.FetchFailed) as info:
            await f.fetch(keys, {}, BASE, TOKEN)
        assert info.value.problems == ["d: FHIR server answered 503", "e: FHIR server answered a Patient, expected "
                                       "Medication"]
        assert await f.fetch({"b": "Medication/b", "c": "Medication/c"}, {}, BASE, TOKEN) == {"b": None, "c": None}
    finally:
        await f.aclose()
