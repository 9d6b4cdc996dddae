"""The prefetch keys announced later (medication records, culture reports) never cost a clinician the card.

An EHR set up with the first six keys, or whose FHIR server cannot search MedicationStatement or DiagnosticReport,
still gets its card, with a data note saying what was not checked; the first six keys stay required (a 412 without
them, as before). respx stands in for the FHIR server's answers (the real server end to end is in test_fetch_e2e).
"""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator, Iterator
from datetime import date
from typing import Any

import pytest
import respx

from cds_service import pipeline
from cds_service.errors import PreconditionFailed
from cds_service.fhir.fetch import FhirFetcher
from cds_service.fhir.prefetch import LATER_KEYS
from cds_service.fhir.request import parse_hook_request
from cds_service.runtime import Runtime, load_runtime
from cds_service.settings import FetchSettings, Settings
from cds_service.tools.replay import request_from_bundle

from .fixtures import FIXTURES

pytestmark = pytest.mark.anyio

BASE = "https://ehr.example.org/fhir"
DAY = date(2026, 1, 20)
UNSUPPORTED = {"resourceType": "OperationOutcome",
               "issue": [{"severity": "error", "code": "not-supported", "diagnostics": "Unknown resource type"}]}


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


def request(*, drop: tuple[str, ...] = (), replace: dict[str, Any] | None = None,
            fhir_server: str | None = None) -> dict[str, Any]:
    body = request_from_bundle(json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text()))
    body = copy.deepcopy(body)
    for key in drop:
        del body["prefetch"][key]
    body["prefetch"].update(replace or {})
    if fhir_server is not None:
        body["fhirServer"] = fhir_server
    return body


async def answer(runtime: Runtime, body: dict[str, Any], fetcher: FhirFetcher | None = None) -> pipeline.Answer:
    return await pipeline.answer(parse_hook_request(body, "patient-view"), runtime, today=DAY, fetcher=fetcher)


def told(answered: pipeline.Answer) -> list[str]:
    return [n.kind for n in answered.notes]


async def test_a_failed_search_sent_in_prefetch_for_a_later_key_is_a_note_not_a_412(runtime: Runtime) -> None:
    answered = await answer(runtime, request(replace={"medicationStatements": UNSUPPORTED}))
    assert [a.code for a in answered.advice] == ["start-substitution"]
    assert told(answered) == ["prefetch-not-sent"]
    assert "Unknown resource type" in answered.notes[0].message


async def test_a_fhir_server_that_cannot_search_the_later_types_still_gets_the_card(
        runtime: Runtime, fetcher: FhirFetcher, mock: respx.MockRouter) -> None:
    statements = mock.get(url__startswith=f"{BASE}/MedicationStatement").respond(400, json=UNSUPPORTED)
    reports = mock.get(url__startswith=f"{BASE}/DiagnosticReport").respond(404, json=UNSUPPORTED)
    stays = mock.get(url__startswith=f"{BASE}/Encounter").respond(400, json=UNSUPPORTED)
    answered = await answer(runtime, request(drop=LATER_KEYS, fhir_server=BASE), fetcher)
    assert statements.call_count == 1 and reports.called and stays.call_count == 1  # reports: a search in shares
    assert [a.code for a in answered.advice] == ["start-substitution"]
    assert told(answered) == ["prefetch-not-sent"]
    assert "medicationStatements" in answered.notes[0].source and "400" in answered.notes[0].message


async def test_the_later_keys_fetched_from_the_fhir_server_are_read(
        runtime: Runtime, fetcher: FhirFetcher, mock: respx.MockRouter) -> None:
    scig = {"resourceType": "MedicationStatement", "id": "ms-1", "status": "active",
            "subject": {"reference": "Patient/pt-dk-0001"}, "effectivePeriod": {"start": "2025-06-02"},
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA01"}]}}
    empty = {"resourceType": "Bundle", "type": "searchset", "entry": []}
    mock.get(url__startswith=f"{BASE}/MedicationStatement").respond(
        200, json={**empty, "entry": [{"resource": scig, "search": {"mode": "match"}}]})
    mock.get(url__startswith=f"{BASE}/DiagnosticReport").respond(200, json=empty)
    mock.get(url__startswith=f"{BASE}/Encounter").respond(200, json=empty)
    answered = await answer(runtime, request(drop=LATER_KEYS, fhir_server=BASE), fetcher)
    assert "prefetch-not-sent" not in told(answered)
    assert [a.code for a in answered.advice] != ["start-substitution"]  # already on SCIG since before T0


async def test_a_first_key_that_cannot_be_fetched_is_still_a_412(
        runtime: Runtime, fetcher: FhirFetcher, mock: respx.MockRouter) -> None:
    mock.get(url__startswith=f"{BASE}/Observation").respond(500)
    mock.get(url__startswith=f"{BASE}/MedicationStatement").respond(400, json=UNSUPPORTED)
    mock.get(url__startswith=f"{BASE}/DiagnosticReport").respond(400, json=UNSUPPORTED)
    mock.get(url__startswith=f"{BASE}/Encounter").respond(400, json=UNSUPPORTED)
    with pytest.raises(PreconditionFailed, match="observations"):
        await answer(runtime, request(drop=("observations", *LATER_KEYS), fhir_server=BASE), fetcher)


async def test_without_a_fhir_server_a_missing_first_key_is_a_412_naming_it(runtime: Runtime) -> None:
    with pytest.raises(PreconditionFailed, match="conditions"):
        await answer(runtime, request(drop=("conditions", *LATER_KEYS)))


@pytest.mark.parametrize(("name", "named"), [
    ("local-ivig-code-not-recognised-named-in-card",
     ("“Privigen 100 mg/ml inf\\.” (ordered 2026-01-15; code not known) may be Ig the patient is on",
      "“Privigen 100 mg/ml inf\\.” (ordineret 2026-01-15; ukendt kode) kan være Ig, patienten får")),
    ("data-notes-that-could-change-the-decision-come-first",
     ("“Privigen lokal kode” (code not known) may be Ig the patient is on",  # an order with no authoredOn: no day
      "“Privigen lokal kode” (ukendt kode) kan være Ig, patienten får")),
])
@pytest.mark.parametrize("lang", ["en", "da"])
async def test_a_record_of_the_chart_that_may_be_ig_is_named_before_the_records_not_had(
        runtime: Runtime, name: str, named: tuple[str, str], lang: str) -> None:
    """An EHR set up with the first six keys, no fhirServer: every card carries "medication records and microbiology
    reports could not be had". A card saying Ig may be started, whose chart holds an order of Privigen under a local
    code (the patient may already be on IVIG), names that order first, the one record a clinician can look up, in the
    caveat a card inviting a start keeps (`ig-maybe-on`), before the records that could not be had (counted); they
    led, and the Privigen order was one of "+1 more data note" (or every note only counted, the long note not
    fitting)."""
    fixture = json.loads((FIXTURES / f"{name}.json").read_text())
    at = date.fromisoformat(json.loads((FIXTURES / f"{name}.expect.json").read_text())["at"])
    body = request_from_bundle(fixture)
    for key in LATER_KEYS:
        del body["prefetch"][key]
    answered = await pipeline.answer(parse_hook_request(body, "patient-view"), runtime, today=at, lang=lang)
    assert "prefetch-not-sent" in told(answered)
    [card] = answered.cards
    assert card["source"]["topic"]["code"] == "start-substitution"  # type: ignore[index]
    assert named[lang == "da"] in str(card["detail"]), card["detail"]
