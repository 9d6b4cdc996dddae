"""Tests for cds_service.fhir.fetch: respx for every branch, then a real FHIR server end to end."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import respx

from cds_service.errors import ConfigError
from cql_like_rules.valuesets import load_terminology
from cds_service.fhir.fetch import MAX_SEARCH_URL, FetchFailed, FhirFetcher, check_server_allowed, fill_template
from cds_service.fhir.prefetch import prefetch_templates
from cds_service.settings import FetchSettings
from cds_service.settings import fetch_settings as fetch_settings_from_env

try:
    from tests.fhir_server import running_fhir_server
except ImportError:  # tests/ is not a package and the repo root is not on sys.path
    from fhir_server import running_fhir_server

pytestmark = pytest.mark.anyio

BASE = "https://ehr.example.org/fhir"
TOKEN = "SECRET-token-3f9a"
CONTEXT = {"patientId": "p1", "userId": "Practitioner/dr1", "encounterId": "e1"}
PATIENT = {"resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01"}
OBS_TEMPLATE = (
    "Observation?patient={{context.patientId}}"
    "&code=http://loinc.org|2465-3,http://npu-terminology.org|NPU19814"
)
TEMPLATES = {"patient": "Patient/{{context.patientId}}", "observations": OBS_TEMPLATE}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"  # the fetcher uses asyncio.timeout


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


@pytest.fixture
async def fetcher() -> AsyncIterator[FhirFetcher]:
    f = FhirFetcher(FetchSettings(total_timeout=2.0, max_pages=3))
    yield f
    await f.aclose()


def obs(id_: str) -> dict[str, object]:
    return {"resourceType": "Observation", "id": id_, "status": "final"}


def bundle(*entries: dict[str, object], next_url: str | None = None) -> dict[str, object]:
    links = [{"relation": "self", "url": f"{BASE}/Observation"}]
    if next_url:
        links.append({"relation": "next", "url": next_url})
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "link": links,
        "entry": [
            e if "resource" in e else {"resource": e, "search": {"mode": "match"}} for e in entries
        ],
    }


def outcome(severity: str, code: str = "processing") -> dict[str, object]:
    return {"resourceType": "OperationOutcome", "issue": [{"severity": severity, "code": code}]}


async def failed(
    f: FhirFetcher, templates: dict[str, str], server: str = BASE, token: str = TOKEN
) -> list[str]:
    with pytest.raises(FetchFailed) as info:
        await f.fetch(templates, CONTEXT, server, token)
    assert token not in str(info.value)
    return info.value.problems


# ---------------------------------------------------------------- settings


def test_settings_defaults_and_env() -> None:
    assert fetch_settings_from_env({}) == FetchSettings()
    settings = fetch_settings_from_env(
        {
            "CDS_FHIR_CONNECT_TIMEOUT": "0.2",
            "CDS_FHIR_TOTAL_TIMEOUT": "0.45",
            "CDS_FHIR_MAX_PAGES": "4",
            "CDS_FHIR_ALLOWED_SERVERS": "https://a.example/fhir/, https://b.example/r4",
        },
        development=True,
    )
    assert settings == FetchSettings(0.2, 0.45, 4, ("https://a.example/fhir", "https://b.example/r4"), True)


@pytest.mark.parametrize(
    "env", [{"CDS_FHIR_MAX_PAGES": "2.5"}, {"CDS_FHIR_TOTAL_TIMEOUT": "fast"}, {"CDS_FHIR_CONNECT_TIMEOUT": "0"}]
)
def test_settings_invalid_values_name_the_variable(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match=next(iter(env))):
        fetch_settings_from_env(env)


# ---------------------------------------------------------------- templates


def test_fill_template_read_and_search() -> None:
    assert fill_template("Patient/{{context.patientId}}", CONTEXT) == "Patient/p1"
    assert fill_template(OBS_TEMPLATE, CONTEXT) == (
        "Observation?patient=p1&code=http://loinc.org%7C2465-3,http://npu-terminology.org%7CNPU19814"
    )  # "|" percent-encoded: a server on Tomcat refuses it raw in the request line
    assert fill_template("{{context.userId}}", CONTEXT) == "Practitioner/dr1"
    assert fill_template("PractitionerRole?practitioner={{ userPractitionerId }}", CONTEXT) == (
        "PractitionerRole?practitioner=dr1"
    )


def test_fill_template_encodes_query_values() -> None:
    context = {"patientId": "a b&_id=x#|,/", "n": 7, "flag": True}
    assert fill_template("Observation?patient={{context.patientId}}&n={{context.n}}&f={{context.flag}}", context) == (
        "Observation?patient=a%20b%26_id%3Dx%23%7C%2C%2F&n=7&f=true"
    )


@pytest.mark.parametrize(
    ("template", "context", "message"),
    [
        ("Patient/{{context.patientId}}", {}, r"\{\{context.patientId\}\} cannot be filled: context.patientId is missing"),
        ("Patient/{{context.patientId}}", {"patientId": None}, "context.patientId is missing"),
        ("Observation?x={{context.draftOrders}}", {"draftOrders": {"resourceType": "Bundle"}}, "not a primitive"),
        ("Observation?x={{context.ids}}", {"ids": ["a"]}, "not a primitive"),
        ("Observation?x={{context.medication.id}}", {"medication": {"id": "m"}}, "not a root-level context field"),
        ("Observation?x={{patientId}}", {"patientId": "p"}, r"\{\{patientId\}\} is not a root-level"),
        ("Patient/{{context.patientId}}", {"patientId": "../Observation"}, "not a FHIR id"),
        ("Patient/{{context.patientId}}", {"patientId": ".."}, "not a FHIR id"),
        ("Practitioner/{{userPractitionerId}}", {"userId": "Patient/p1"}, "userId is not a Practitioner"),
        ("Observation?patient={{context.patientId", {"patientId": "p"}, "unterminated"),
    ],
)
def test_fill_template_errors_name_the_token(template: str, context: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        fill_template(template, context)


# ---------------------------------------------------------------- which servers


@pytest.mark.parametrize(
    ("server", "settings", "allowed"),
    [
        ("https://ehr.example.org/fhir", FetchSettings(), True),
        ("http://ehr.example.org/fhir", FetchSettings(), False),
        ("http://ehr.example.org/fhir", FetchSettings(development=True), False),
        ("http://127.0.0.1:8080/fhir", FetchSettings(), False),
        ("http://127.0.0.1:8080/fhir", FetchSettings(development=True), True),
        ("http://127.8.9.1/fhir", FetchSettings(development=True), True),
        ("http://localhost:8080/fhir", FetchSettings(development=True), True),
        ("http://[::1]:8080/fhir", FetchSettings(development=True), True),
        ("http://10.0.0.1/fhir", FetchSettings(development=True), False),
        ("ftp://ehr.example.org/fhir", FetchSettings(), False),
        ("https://user:pw@ehr.example.org/fhir", FetchSettings(), False),
        ("https://ehr.example.org:99999/fhir", FetchSettings(), False),
        ("/fhir", FetchSettings(), False),
        ("https://ehr.example.org/fhir", FetchSettings(allowed_base_urls=("https://ehr.example.org/fhir/",)), True),
        ("https://ehr.example.org/fhir/", FetchSettings(allowed_base_urls=("https://ehr.example.org/fhir",)), True),
        ("https://ehr.example.org/other", FetchSettings(allowed_base_urls=("https://ehr.example.org/fhir",)), False),
        ("https://evil.example/fhir", FetchSettings(allowed_base_urls=("https://ehr.example.org/fhir",)), False),
    ],
)
def test_check_server_allowed(server: str, settings: FetchSettings, allowed: bool) -> None:
    reason = check_server_allowed(server, settings)
    assert (reason is None) is allowed, reason


@pytest.mark.parametrize(
    ("server", "settings", "reason"),
    [
        ("http://ehr.example.org/fhir", FetchSettings(development=True), "https"),
        ("http://127.0.0.1:8080/fhir", FetchSettings(), "must use https"),
        ("https://evil.example/fhir", FetchSettings(allowed_base_urls=(BASE,)), "not in the allowed list"),
    ],
)
async def test_refused_server_is_never_contacted(
    mock: respx.MockRouter, server: str, settings: FetchSettings, reason: str
) -> None:
    catch_all = mock.route().respond(200, json=PATIENT)
    f = FhirFetcher(settings)
    problems = await failed(f, TEMPLATES, server)
    await f.aclose()
    assert len(problems) == 2
    assert problems[0].startswith("patient: ") and reason in problems[0]
    assert not catch_all.called and mock.calls.call_count == 0


async def test_http_loopback_allowed_in_development(mock: respx.MockRouter) -> None:
    route = mock.get("http://127.0.0.1:8080/fhir/Patient/p1").respond(200, json=PATIENT)
    f = FhirFetcher(FetchSettings(development=True))
    assert await f.fetch({"patient": "Patient/{{context.patientId}}"}, CONTEXT, "http://127.0.0.1:8080/fhir", None) == {
        "patient": PATIENT
    }
    await f.aclose()
    assert route.call_count == 1


async def test_allow_list_with_trailing_slash(mock: respx.MockRouter) -> None:
    mock.get(f"{BASE}/Patient/p1").respond(200, json=PATIENT)
    f = FhirFetcher(FetchSettings(allowed_base_urls=(BASE + "/",)))
    result = await f.fetch({"patient": "Patient/{{context.patientId}}"}, CONTEXT, BASE, TOKEN)
    await f.aclose()
    assert result == {"patient": PATIENT}


async def test_template_error_makes_no_request(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    catch_all = mock.route().respond(200, json=PATIENT)
    problems = await failed(fetcher, {"patient": "Patient/{{context.patientId}}", "enc": "Encounter/{{context.nope}}"})
    assert problems == ["enc: token {{context.nope}} cannot be filled: context.nope is missing"]
    assert not catch_all.called


async def test_absolute_template_is_refused(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    catch_all = mock.route().respond(200, json=PATIENT)
    problems = await failed(fetcher, {"x": "https://evil.example/Patient/1", "y": "//evil.example/Patient/1"})
    assert problems == [
        "x: prefetch template is not a relative FHIR URL",
        "y: prefetch template is not a relative FHIR URL",
    ]
    assert not catch_all.called


# ---------------------------------------------------------------- requests


async def test_bearer_header_present(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    route = mock.get(f"{BASE}/Patient/p1").respond(200, json=PATIENT)
    await fetcher.fetch({"patient": "Patient/{{context.patientId}}"}, CONTEXT, BASE, TOKEN)
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Accept"] == "application/fhir+json"


async def test_bearer_header_absent_without_token(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    route = mock.get(f"{BASE}/Patient/p1").respond(200, json=PATIENT)
    await fetcher.fetch({"patient": "Patient/{{context.patientId}}"}, CONTEXT, BASE, None)
    assert "Authorization" not in route.calls.last.request.headers


async def test_search_url_and_encoded_token(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    route = mock.get(f"{BASE}/Observation").respond(200, json=bundle(obs("o1")))
    context = {**CONTEXT, "patientId": "p 1&x=y"}
    result = await fetcher.fetch({"observations": OBS_TEMPLATE}, context, BASE + "/", TOKEN)
    params = route.calls.last.request.url.params
    assert params["patient"] == "p 1&x=y" and "x" not in params
    assert params["code"] == "http://loinc.org|2465-3,http://npu-terminology.org|NPU19814"
    assert [e["resource"]["id"] for e in result["observations"]["entry"]] == ["o1"]


async def test_keys_are_fetched_in_parallel(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    in_flight = 0
    most = 0

    async def slow(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, most
        in_flight += 1
        most = max(most, in_flight)
        await asyncio.sleep(0.1)
        in_flight -= 1
        if request.url.path.endswith("/Patient/p1"):
            return httpx.Response(200, json=PATIENT)
        return httpx.Response(200, json=bundle(obs("o1")))

    mock.get(url__startswith=BASE).mock(side_effect=slow)
    started = time.perf_counter()
    result = await fetcher.fetch(TEMPLATES, CONTEXT, BASE, TOKEN)
    elapsed = time.perf_counter() - started
    assert most == 2  # both requests were open at the same time
    assert elapsed < 0.18, f"{elapsed:.3f} s: the two 100 ms fetches did not overlap"
    assert result["patient"] == PATIENT and len(result["observations"]["entry"]) == 1


async def test_paging_merges_all_pages(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    page2 = f"{BASE}/Observation?page=2"
    page3 = f"{BASE}/Observation?page=3"
    info = {"resource": outcome("information"), "search": {"mode": "outcome"}}
    mock.get(page2).respond(200, json=bundle(obs("o2"), info, next_url=page3))
    mock.get(page3).respond(200, json=bundle(obs("o3")))
    first = bundle(obs("o1"), next_url=page2) | {"total": 3}
    mock.get(f"{BASE}/Observation", params={"patient": "p1"}).respond(200, json=first)
    result = (await fetcher.fetch({"observations": OBS_TEMPLATE}, CONTEXT, BASE, TOKEN))["observations"]
    assert [e["resource"]["id"] for e in result["entry"]] == ["o1", "o2", "o3"]
    assert result["total"] == 3 and result["type"] == "searchset"
    assert [link["relation"] for link in result["link"]] == ["self"]  # no "next": the result is complete


async def test_paging_limit_fails_the_key(mock: respx.MockRouter) -> None:
    for n in range(1, 5):
        mock.get(f"{BASE}/Observation", params={"page": str(n)}).respond(
            200, json=bundle(obs(f"o{n}"), next_url=f"{BASE}/Observation?page={n + 1}")
        )
    f = FhirFetcher(FetchSettings(total_timeout=2.0, max_pages=2))
    problems = await failed(f, {"observations": "Observation?page=1"})
    await f.aclose()
    assert problems == ["observations: search result has more pages than allowed (max_pages=2)"]
    assert mock.calls.call_count == 3  # the first page and 2 next links, then stop


@pytest.mark.parametrize(
    "next_url",
    ["https://evil.example/fhir/Observation?page=2", "https://ehr.example.org:8443/fhir/Observation?page=2",
     "http://ehr.example.org/fhir/Observation?page=2", "https://ehr.example.org/other/Observation?page=2"],
)
async def test_next_link_off_the_server_is_refused(
    mock: respx.MockRouter, fetcher: FhirFetcher, next_url: str
) -> None:
    mock.get(f"{BASE}/Observation").respond(200, json=bundle(obs("o1"), next_url=next_url))
    elsewhere = mock.route(url__startswith=next_url.split("/Observation")[0] + "/").respond(200, json=bundle())
    assert await failed(fetcher, {"observations": "Observation"}) == [
        "observations: next link points outside the fhirServer; not followed"
    ]
    assert not elsewhere.called


async def test_operation_outcome_response_fails(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    mock.get(f"{BASE}/Observation").respond(200, json=outcome("error", "too-costly"))
    mock.get(f"{BASE}/Patient/p1").respond(200, json=outcome("fatal", "exception"))
    assert await failed(fetcher, TEMPLATES) == [
        "patient: FHIR server answered an OperationOutcome (exception)",
        "observations: FHIR server answered an OperationOutcome (too-costly)",
    ]


@pytest.mark.parametrize("severity", ["error", "fatal"])
async def test_outcome_entry_with_error_fails(mock: respx.MockRouter, fetcher: FhirFetcher, severity: str) -> None:
    entry = {"resource": outcome(severity, "too-costly"), "search": {"mode": "outcome"}}
    mock.get(f"{BASE}/Observation").respond(200, json=bundle(obs("o1"), entry))
    assert await failed(fetcher, {"observations": OBS_TEMPLATE}) == [
        "observations: FHIR server reported an error in the search result (too-costly)"
    ]


async def test_warning_outcome_entries_are_dropped(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    warning = {"resource": outcome("warning", "not-supported"), "search": {"mode": "outcome"}}
    included = {"resource": PATIENT, "search": {"mode": "include"}}
    mock.get(f"{BASE}/Observation").respond(200, json=bundle(warning, obs("o1"), included))
    result = await fetcher.fetch({"observations": OBS_TEMPLATE}, CONTEXT, BASE, TOKEN)
    assert [e["resource"]["id"] for e in result["observations"]["entry"]] == ["o1", "p1"]


async def test_a_warning_that_results_are_incomplete_fails_the_key(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    incomplete = {"resource": outcome("warning", "incomplete"), "search": {"mode": "outcome"}}
    mock.get(f"{BASE}/Observation").respond(200, json=bundle(incomplete, obs("o1")))
    assert await failed(fetcher, {"observations": OBS_TEMPLATE}) == [
        "observations: FHIR server reported an error in the search result (incomplete)"
    ]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 502, 503, 302])
async def test_http_errors_name_the_status(mock: respx.MockRouter, fetcher: FhirFetcher, status: int) -> None:
    # the body echoes the token to prove that nothing from it reaches the messages
    route = mock.get(f"{BASE}/Observation").respond(
        status, json=outcome("error", f"Bearer {TOKEN}"), headers={"Location": "https://evil.example/"}
    )
    assert await failed(fetcher, {"observations": OBS_TEMPLATE}) == [f"observations: FHIR server answered {status}"]
    assert route.call_count == 1  # no retry on HTTP errors


@pytest.mark.parametrize("status", [401, 403, 500])
async def test_http_errors_on_reads(mock: respx.MockRouter, fetcher: FhirFetcher, status: int) -> None:
    mock.get(f"{BASE}/Patient/p1").respond(status)
    assert await failed(fetcher, {"patient": "Patient/{{context.patientId}}"}) == [
        f"patient: FHIR server answered {status}"
    ]


@pytest.mark.parametrize("status", [404, 410])
async def test_read_not_found_is_no_data(mock: respx.MockRouter, fetcher: FhirFetcher, status: int) -> None:
    mock.get(f"{BASE}/Patient/p1").respond(status, json=outcome("error", "not-found"))
    assert await fetcher.fetch({"patient": "Patient/{{context.patientId}}"}, CONTEXT, BASE, TOKEN) == {"patient": None}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "FHIR server answered 200 with invalid JSON"),
        (b"\xff\xfe", "FHIR server answered 200 with invalid JSON"),
        (b"[]", "FHIR server answered 200 with JSON that is not a resource"),
        (b'{"resourceType": "Observation", "id": "x"}', "FHIR server answered a Observation, expected Patient"),
        (b'{"id": "x"}', "FHIR server answered a resource without resourceType, expected Patient"),
    ],
)
async def test_invalid_bodies_on_read(
    mock: respx.MockRouter, fetcher: FhirFetcher, body: bytes, message: str
) -> None:
    mock.get(f"{BASE}/Patient/p1").respond(200, content=body)
    assert await failed(fetcher, {"patient": "Patient/{{context.patientId}}"}) == [f"patient: {message}"]


async def test_wrong_bundle_type_on_search(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    mock.get(f"{BASE}/Observation").respond(200, json={"resourceType": "Bundle", "type": "collection"})
    assert await failed(fetcher, {"observations": "Observation"}) == [
        "observations: FHIR server answered a Bundle of type collection, expected a searchset Bundle"
    ]


async def test_search_404_is_a_failure(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    mock.get(f"{BASE}/Observation").respond(404, json=outcome("error", "not-found"))
    assert await failed(fetcher, {"observations": "Observation"}) == ["observations: FHIR server answered 404"]


async def test_total_timeout_names_slow_keys_only(mock: respx.MockRouter) -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        return httpx.Response(200, json=bundle())

    mock.get(f"{BASE}/Observation").mock(side_effect=hang)
    mock.get(f"{BASE}/Patient/p1").respond(401)
    f = FhirFetcher(FetchSettings(total_timeout=0.1))
    started = time.perf_counter()
    problems = await failed(f, TEMPLATES)
    await f.aclose()
    assert time.perf_counter() - started < 1.0
    assert problems == [
        "patient: FHIR server answered 401",
        "observations: FHIR server did not answer within 100 ms (CDS_FHIR_TOTAL_TIMEOUT)",
    ]


async def test_read_timeout_is_not_retried(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    route = mock.get(f"{BASE}/Patient/p1").mock(side_effect=httpx.ReadTimeout("slow"))
    assert await failed(fetcher, {"patient": "Patient/{{context.patientId}}"}) == [
        "patient: FHIR server did not answer in time (ReadTimeout, CDS_FHIR_TOTAL_TIMEOUT)"
    ]
    assert route.call_count == 1


async def test_one_retry_on_connect_error(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    route = mock.get(f"{BASE}/Patient/p1").mock(
        side_effect=[httpx.ConnectError("refused"), httpx.Response(200, json=PATIENT)]
    )
    assert await fetcher.fetch({"patient": "Patient/{{context.patientId}}"}, CONTEXT, BASE, TOKEN) == {
        "patient": PATIENT
    }
    assert route.call_count == 2


@pytest.mark.parametrize(
    ("error", "message"),
    [(httpx.ConnectError, "connection failed"),
     (httpx.ConnectTimeout, "connect timeout, CDS_FHIR_CONNECT_TIMEOUT")],
)
async def test_connect_failure_after_retry(
    mock: respx.MockRouter, fetcher: FhirFetcher, error: type[httpx.TransportError], message: str
) -> None:
    route = mock.get(f"{BASE}/Patient/p1").mock(side_effect=error(f"to {TOKEN}"))
    assert await failed(fetcher, {"patient": "Patient/{{context.patientId}}"}) == [
        f"patient: could not connect to the FHIR server ({message})"
    ]
    assert route.call_count == 2


async def test_no_retry_on_500(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    route = mock.get(f"{BASE}/Patient/p1").respond(500)
    await failed(fetcher, {"patient": "Patient/{{context.patientId}}"})
    assert route.call_count == 1


async def test_other_transport_error(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    route = mock.get(f"{BASE}/Patient/p1").mock(side_effect=httpx.RemoteProtocolError(f"bad {TOKEN}"))
    assert await failed(fetcher, {"patient": "Patient/{{context.patientId}}"}) == [
        "patient: request to the FHIR server failed (RemoteProtocolError)"
    ]
    assert route.call_count == 2  # sent again once: a kept-alive connection the server had closed


async def test_one_retry_when_the_server_closed_a_kept_alive_connection(mock: respx.MockRouter,
                                                                        fetcher: FhirFetcher) -> None:
    """A FHIR server that closes an idle kept-alive connection as it is reused answers nothing
    ("Server disconnected without sending a response"): the GET is sent again, once, as a browser would.
    A test FHIR server under load did so, and the hook answered 412."""
    route = mock.get(f"{BASE}/Patient/p1").mock(
        side_effect=[httpx.RemoteProtocolError("Server disconnected without sending a response."),
                     httpx.Response(200, json=PATIENT)])
    assert await fetcher.fetch({"patient": "Patient/{{context.patientId}}"}, CONTEXT, BASE, TOKEN) == {
        "patient": PATIENT
    }
    assert route.call_count == 2


async def test_token_never_in_messages_or_logs(
    mock: respx.MockRouter, fetcher: FhirFetcher, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mock.get(f"{BASE}/Patient/p1").mock(side_effect=[httpx.ConnectError(TOKEN), httpx.Response(200, json=PATIENT)])
    mock.get(f"{BASE}/Observation").respond(401, text=f"invalid token {TOKEN}")
    problems = await failed(fetcher, TEMPLATES)
    assert problems == ["observations: FHIR server answered 401"]
    records = [r for r in caplog.records if r.name == "cds_service.fhir.fetch"]
    assert {r.levelno for r in records} == {logging.DEBUG}
    assert [r.getMessage() for r in records if "401" in r.getMessage()] == ["fhir fetch observations: 401"]
    assert TOKEN not in caplog.text
    assert all(TOKEN not in str(r.args) for r in records)


async def test_empty_templates_do_nothing(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    assert await fetcher.fetch({}, CONTEXT, "http://not-checked.example", TOKEN) == {}
    assert mock.calls.call_count == 0


async def test_shared_client_is_not_closed() -> None:
    client = httpx.AsyncClient()
    f = FhirFetcher(FetchSettings(), client)
    await f.aclose()
    assert not client.is_closed
    await client.aclose()


# ---------------------------------------------------------------- end to end, real FHIR server

E2E_TOKEN = "e2e-token-7c1d"
SUBJECT = {"reference": "Patient/p1"}


def _igg(id_: str, system: str, code: str, date: str, value: float) -> dict[str, object]:
    return {
        "resourceType": "Observation", "id": id_, "status": "final", "subject": SUBJECT,
        "code": {"coding": [{"system": system, "code": code}]},
        "effectiveDateTime": date,
        "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"},
    }


E2E_RESOURCES: list[dict[str, object]] = [
    {"resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "female"},
    {"resourceType": "Patient", "id": "p2", "birthDate": "1970-01-01"},
    *[_igg(f"igg-loinc-{m}", "http://loinc.org", "2465-3", f"2025-0{m}-01", 3.0 + m) for m in range(1, 6)],
    _igg("igg-npu", "http://npu-terminology.org", "NPU19814", "2025-07-01", 4.5),
    _igg("igg-wrong-system", "http://example.org/local", "2465-3", "2025-07-02", 9.9),
    _igg("hb", "http://loinc.org", "718-7", "2025-07-03", 8.0),
    {**_igg("igg-other-patient", "http://loinc.org", "2465-3", "2025-07-04", 2.0), "subject": {"reference": "Patient/p2"}},
    {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
     "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1290053009"}]},
     "performedDateTime": "2025-01-10"},
]


@pytest.fixture(scope="module")
def fhir_base() -> Iterator[str]:
    with running_fhir_server(E2E_RESOURCES, bearer_token=E2E_TOKEN) as base_url:
        yield base_url


def e2e_fetcher(base: str, **changes: object) -> FhirFetcher:
    # total_timeout is generous: this checks behaviour, not the latency budget of a shared CI box
    options: dict[str, object] = {"development": True, "total_timeout": 5.0, "allowed_base_urls": (base,)}
    return FhirFetcher(FetchSettings(**(options | changes)))


def ids(result: object) -> list[str]:
    assert isinstance(result, dict)
    return [e["resource"]["id"] for e in result["entry"]]


async def test_e2e_templates_against_real_server(fhir_base: str) -> None:
    f = e2e_fetcher(fhir_base)
    templates = {
        **TEMPLATES,
        "procedures": "Procedure?patient={{context.patientId}}",
        "missing": "Patient/{{context.encounterId}}",
    }
    result = await f.fetch(templates, CONTEXT, fhir_base, E2E_TOKEN)
    await f.aclose()
    assert result["patient"]["id"] == "p1" and result["patient"]["birthDate"] == "1960-01-01"
    assert sorted(ids(result["observations"])) == [
        "igg-loinc-1", "igg-loinc-2", "igg-loinc-3", "igg-loinc-4", "igg-loinc-5", "igg-npu"
    ]
    assert ids(result["procedures"]) == ["cart"]
    assert result["missing"] is None


async def test_e2e_paging_with_count_and_sort(fhir_base: str) -> None:
    template = "Observation?patient={{context.patientId}}&code=http://loinc.org|2465-3&_count=2&_sort=-date"
    f = e2e_fetcher(fhir_base)
    result = await f.fetch({"igg": template}, CONTEXT, fhir_base, E2E_TOKEN)
    await f.aclose()
    assert ids(result["igg"]) == [f"igg-loinc-{m}" for m in (5, 4, 3, 2, 1)]  # 3 pages, newest first
    assert result["igg"]["total"] == 5

    f = e2e_fetcher(fhir_base, max_pages=1)
    problems = await failed(f, {"igg": template}, fhir_base, E2E_TOKEN)
    await f.aclose()
    assert problems == ["igg: search result has more pages than allowed (max_pages=1)"]


async def test_e2e_wrong_token_and_production_settings(fhir_base: str) -> None:
    f = e2e_fetcher(fhir_base)
    with pytest.raises(FetchFailed) as info:
        await f.fetch(TEMPLATES, CONTEXT, fhir_base, "not-the-token")
    await f.aclose()
    assert info.value.problems == ["patient: FHIR server answered 401", "observations: FHIR server answered 401"]

    f = e2e_fetcher(fhir_base, development=False)
    problems = await failed(f, TEMPLATES, fhir_base, E2E_TOKEN)
    await f.aclose()
    assert problems[0] == "patient: fhirServer must use https"


async def test_a_search_url_too_long_for_a_server_is_sent_in_shares(mock: respx.MockRouter,
                                                                      fetcher: FhirFetcher) -> None:
    """The observations template names ~200 codes (6.8 KB as sent): over the 8 KB request head of common servers
    once a token is added. Sent as several searches, each short, whose entries are merged, each resource once."""
    codes = ",".join(f"http://npu-terminology.org|NPU{n:05d}" for n in range(200))
    template = f"Observation?patient={{{{context.patientId}}}}&code={codes}"

    def answer(request: httpx.Request) -> httpx.Response:
        asked = request.url.params["code"].split(",")
        found = [obs(f"o{n}") for n in (7, 150) if f"http://npu-terminology.org|NPU{n:05d}" in asked]
        return httpx.Response(200, json=bundle(*found, obs("in-both")) | {"total": len(found) + 1})

    route = mock.get(f"{BASE}/Observation").mock(side_effect=answer)
    result = (await fetcher.fetch({"observations": template}, CONTEXT, BASE, TOKEN))["observations"]
    urls = [str(call.request.url) for call in route.calls]
    assert len(urls) > 1 and all(len(url) <= MAX_SEARCH_URL for url in urls)
    asked = [code for call in route.calls for code in call.request.url.params["code"].split(",")]
    assert asked == codes.split(",")  # every code asked for, once, in order
    assert all(call.request.url.params["patient"] == "p1" for call in route.calls)
    assert sorted(e["resource"]["id"] for e in result["entry"]) == ["in-both", "o150", "o7"]
    assert "total" not in result  # each share counted its own


async def test_a_short_search_is_sent_whole(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    route = mock.get(f"{BASE}/Observation").respond(200, json=bundle(obs("o1")) | {"total": 1})
    result = (await fetcher.fetch({"observations": OBS_TEMPLATE}, CONTEXT, BASE, TOKEN))["observations"]
    assert route.call_count == 1 and result["total"] == 1


async def test_e2e_the_services_own_observation_template_finds_every_igg(fhir_base: str) -> None:
    """The template the service announces, run by the service itself against a real FHIR server: sent in shares
    (it is longer than `MAX_SEARCH_URL`), it finds what one search would."""
    template = prefetch_templates(load_terminology())["observations"]
    assert len(template) > MAX_SEARCH_URL
    f = e2e_fetcher(fhir_base)
    result = await f.fetch({"observations": template}, CONTEXT, fhir_base, E2E_TOKEN)
    await f.aclose()
    assert sorted(ids(result["observations"])) == [
        "igg-loinc-1", "igg-loinc-2", "igg-loinc-3", "igg-loinc-4", "igg-loinc-5", "igg-npu"
    ]


async def test_when_a_share_fails_the_others_are_stopped(mock: respx.MockRouter, fetcher: FhirFetcher) -> None:
    """A share that fails fails the key (a 412 names it), and the other shares are stopped then: none goes on paging
    through the FHIR server with the token after the request has been answered."""
    codes = ",".join(f"http://npu-terminology.org|NPU{n:05d}" for n in range(200))
    template = f"Observation?patient={{{{context.patientId}}}}&code={codes}"
    finished: list[str] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        if "NPU00000" in str(request.url):
            return httpx.Response(500)
        await asyncio.sleep(0.5)
        finished.append(str(request.url))
        return httpx.Response(200, json=bundle(obs("late")))

    mock.get(f"{BASE}/Observation").mock(side_effect=answer)
    with pytest.raises(FetchFailed) as failed:
        await fetcher.fetch({"observations": template}, CONTEXT, BASE, TOKEN)
    assert failed.value.problems == ["observations: FHIR server answered 500"]
    await asyncio.sleep(0.6)
    assert finished == []
