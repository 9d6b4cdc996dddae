"""What one request may take from the EHR's FHIR server: bytes, resources, depth and time.

respx drives the client for each limit; a real local HTTP server then streams a huge
answer slowly to the real service, which must answer 412 at once and stay small.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import gzip
import json
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import respx

from cds_service.errors import ConfigError
from cds_service.fhir.fetch import FetchFailed, FhirFetcher
from cds_service.http.app import create_app
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.settings import FetchSettings, Settings, fetch_settings, load_settings
from cds_service.tools.replay import load_bundle, request_from_bundle

from .fixtures import FIXTURES
from .servers import serve_in_thread

BASE = "https://ehr.example.org/fhir"
CONTEXT = {"patientId": "p1", "userId": "Practitioner/dr1"}
SEARCH = {"observations": "Observation?patient={{context.patientId}}"}
READ = {"patient": "Patient/{{context.patientId}}"}
MiB = 1024 * 1024


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def mock() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        yield router


def fetcher(**changes: object) -> FhirFetcher:
    limits = {k: changes.pop(k) for k in ("max_resources", "max_json_depth") if k in changes}
    return FhirFetcher(FetchSettings(**({"total_timeout": 2.0} | changes)), **limits)  # type: ignore[arg-type]


def observation(i: int) -> dict:
    return {"resource": {"resourceType": "Observation", "id": f"o{i}", "status": "final"}}


def searchset(n: int, next_url: str | None = None, start: int = 0) -> dict:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    return {"resourceType": "Bundle", "type": "searchset", "link": links,
            "entry": [observation(start + i) for i in range(n)]}


class CountingStream(httpx.AsyncByteStream):
    """A body of `chunks` chunks of `size` bytes that records how many were read."""

    def __init__(self, chunks: int, size: int, head: bytes = b'{"resourceType":"Bundle","type":"searchset","entry":[') -> None:
        self.chunks, self.size, self.head, self.read = chunks, size, head, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.head
        for _ in range(self.chunks):
            self.read += 1
            yield b" " * self.size

    async def aclose(self) -> None:
        pass


async def problems_of(f: FhirFetcher, templates: dict[str, str], **kwargs: object) -> list[str]:
    with pytest.raises(FetchFailed) as info:
        await f.fetch(templates, CONTEXT, BASE, "token", **kwargs)  # type: ignore[arg-type]
    await f.aclose()
    return info.value.problems


# -- bytes ------------------------------------------------------------------------------------


def test_max_bytes_setting() -> None:
    assert FetchSettings().max_bytes == 8 * MiB
    assert fetch_settings({"CDS_FHIR_MAX_BYTES": "1048576"}).max_bytes == MiB
    assert load_settings({"CDS_FHIR_MAX_BYTES": "2000000"}).fetch.max_bytes == 2_000_000
    with pytest.raises(ConfigError, match="CDS_FHIR_MAX_BYTES"):
        fetch_settings({"CDS_FHIR_MAX_BYTES": "0"})


@pytest.mark.anyio
async def test_declared_length_over_the_budget_is_refused_unread(mock: respx.MockRouter) -> None:
    stream = CountingStream(100, MiB)
    mock.get(f"{BASE}/Observation").mock(return_value=httpx.Response(
        200, headers={"content-length": str(100 * MiB + 53)}, stream=stream))
    problems = await problems_of(fetcher(max_bytes=MiB), SEARCH)
    assert problems == ["observations: the FHIR server's answers for this request exceed 1048576 bytes "
                        "(CDS_FHIR_MAX_BYTES); nothing was evaluated"]
    assert stream.read == 0


@pytest.mark.anyio
async def test_streamed_body_is_abandoned_at_the_first_chunk_over(mock: respx.MockRouter) -> None:
    stream = CountingStream(200, 64 * 1024)  # 12.5 MiB, no Content-Length
    mock.get(f"{BASE}/Observation").mock(return_value=httpx.Response(200, stream=stream))
    problems = await problems_of(fetcher(max_bytes=MiB), SEARCH)
    assert "CDS_FHIR_MAX_BYTES" in problems[0] and len(problems) == 1
    assert stream.read == 16  # the JSON head plus 16 chunks of 64 KiB cross 1 MiB: nothing more is read


@pytest.mark.anyio
async def test_budget_is_shared_by_every_key_and_page(mock: respx.MockRouter) -> None:
    page = json.dumps(searchset(1)).encode()
    padding = b" " * (400 * 1024)
    mock.get(f"{BASE}/Observation").respond(200, content=page[:-1] + padding + b"}")
    mock.get(f"{BASE}/Condition").respond(200, content=page[:-1] + padding + b"}")
    both = {**SEARCH, "conditions": "Condition?patient={{context.patientId}}"}
    assert len(await fetcher(max_bytes=MiB).fetch(both, CONTEXT, BASE, "t")) == 2  # 2 x 400 KiB fit
    problems = await problems_of(fetcher(max_bytes=700 * 1024), both)
    assert len(problems) == 1 and "exceed 716800 bytes (CDS_FHIR_MAX_BYTES)" in problems[0]
    # pages of one search: three pages of 400 KiB each
    mock.get(f"{BASE}/Procedure").mock(side_effect=[
        httpx.Response(200, content=json.dumps(searchset(1, f"{BASE}/Procedure?page={i}")).encode()[:-1] + padding + b"}")
        for i in range(2, 5)] + [httpx.Response(200, json=searchset(0))])
    problems = await problems_of(fetcher(max_bytes=MiB), {"procedures": "Procedure?patient={{context.patientId}}"})
    assert problems[0].startswith("procedures: the FHIR server's answers for this request exceed 1048576 bytes")


@pytest.mark.anyio
async def test_compressed_answers_are_counted_decoded(mock: respx.MockRouter) -> None:
    bomb = gzip.compress(b'{"resourceType":"Bundle","type":"searchset","entry":[' + b" " * (64 * MiB) + b"]}")
    assert len(bomb) < 100 * 1024
    mock.get(f"{BASE}/Observation").respond(200, content=bomb, headers={"content-encoding": "gzip"})
    assert "CDS_FHIR_MAX_BYTES" in (await problems_of(fetcher(max_bytes=MiB), SEARCH))[0]
    small = gzip.compress(json.dumps(searchset(3)).encode())
    mock.get(f"{BASE}/Observation").respond(200, content=small, headers={"content-encoding": "gzip"})
    f = fetcher(max_bytes=MiB)
    result = await f.fetch(SEARCH, CONTEXT, BASE, "t")
    await f.aclose()
    assert len(result["observations"]["entry"]) == 3  # type: ignore[index]
    assert mock.calls.last.request.headers["accept-encoding"] == "gzip, deflate"


@pytest.mark.anyio
async def test_unknown_or_broken_encodings_fail_the_key(mock: respx.MockRouter) -> None:
    mock.get(f"{BASE}/Observation").respond(200, content=b"xx", headers={"content-encoding": "br"})
    assert await problems_of(fetcher(), SEARCH) == [
        "observations: FHIR server answered with an unsupported Content-Encoding (br)"]
    garbage = CountingStream(0, 0, head=b"not gzip at all")
    mock.get(f"{BASE}/Observation").mock(return_value=httpx.Response(200, headers={"content-encoding": "gzip"}, stream=garbage))
    assert await problems_of(fetcher(), SEARCH) == ["observations: FHIR server answered with a body that is not valid gzip"]


# -- resources --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_max_resources_counts_reads_and_every_page(mock: respx.MockRouter) -> None:
    mock.get(f"{BASE}/Patient/p1").respond(200, json={"resourceType": "Patient", "id": "p1"})
    mock.get(f"{BASE}/Observation").mock(side_effect=lambda request: httpx.Response(200, json=(
        searchset(3, f"{BASE}/Observation?page=2") if "page" not in request.url.params else searchset(3, start=3))))
    templates = {**READ, **SEARCH}
    f = fetcher()
    assert len((await f.fetch(templates, CONTEXT, BASE, "t", max_resources=7))["observations"]["entry"]) == 6  # type: ignore[index]
    await f.aclose()
    problems = await problems_of(fetcher(), templates, max_resources=6)
    assert len(problems) == 1
    assert "more resources than CDS_MAX_RESOURCES allows" in problems[0] and "nothing was evaluated" in problems[0]


@pytest.mark.anyio
async def test_max_resources_defaults_to_the_fetchers_own(mock: respx.MockRouter) -> None:
    mock.get(f"{BASE}/Observation").respond(200, json=searchset(5))
    assert "CDS_MAX_RESOURCES" in (await problems_of(fetcher(max_resources=4), SEARCH))[0]
    assert "CDS_MAX_RESOURCES" in (await problems_of(fetcher(), SEARCH, max_resources=0))[0]


# -- depth ------------------------------------------------------------------------------------


def chain(levels: int) -> object:
    """JSON exactly `levels` deep: extensions within extensions, as a hostile server might send."""
    value: object = {"url": "x"}
    for _ in range(levels - 1):
        value = [value] if isinstance(value, dict) else {"url": "x", "extension": value}
    return value


def nested(depth: int) -> dict:
    """A searchset Bundle whose JSON is exactly `depth` levels deep."""
    resource = {"resourceType": "Observation", "id": "o", "extension": chain(depth - 4)}  # Bundle{ entry[ {resource{
    return {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": resource}]}


@pytest.mark.anyio
async def test_answers_nested_deeper_than_the_limit_fail(mock: respx.MockRouter) -> None:
    from cds_service.http.limits import json_depth

    deep, fine = nested(51), nested(50)
    assert (json_depth(json.dumps(deep).encode()), json_depth(json.dumps(fine).encode())) == (51, 50)
    mock.get(f"{BASE}/Observation").respond(200, json=deep)
    assert await problems_of(fetcher(max_json_depth=50), SEARCH) == [
        "observations: FHIR server answered JSON nested deeper than 50 levels (CDS_MAX_JSON_DEPTH)"]
    mock.get(f"{BASE}/Observation").respond(200, json=fine)
    f = fetcher(max_json_depth=50)
    assert await f.fetch(SEARCH, CONTEXT, BASE, "t")
    await f.aclose()


# -- time -------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_body_trickling_in_is_cut_at_the_total_timeout(mock: respx.MockRouter) -> None:
    class Trickle(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            yield b'{"resourceType":"Bundle",'
            while True:  # each piece well within any read timeout
                await asyncio.sleep(0.01)
                yield b" "

    mock.get(f"{BASE}/Observation").mock(return_value=httpx.Response(200, stream=Trickle()))
    started = time.perf_counter()
    assert await problems_of(fetcher(total_timeout=0.2), SEARCH) == [
        "observations: FHIR server did not answer within 200 ms (CDS_FHIR_TOTAL_TIMEOUT)"]
    assert time.perf_counter() - started < 1.0


# -- the real service against a real, hostile HTTP server -------------------------------------


@contextmanager
def hostile_fhir_server(answer: Callable[[BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """A local HTTP/1.0 server whose GET handler is `answer` (bodies end when the connection closes)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            try:
                answer(self)
            except OSError:  # the client hung up: that is what the test wants
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/fhir"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096 / MiB


class PeakRss:
    """The highest resident set size of this process while the block runs (sampled every 2 ms)."""

    def __enter__(self) -> "PeakRss":
        gc.collect()
        self.before = self.peak = rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, rss_mib())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mib())

    @property
    def growth(self) -> float:
        return self.peak - self.before


def patient_view_without(keys: tuple[str, ...], fhir_server: str) -> dict:
    body = request_from_bundle(load_bundle(FIXTURES / "cart-in-window-igg-low.json"))
    for key in keys:
        del body["prefetch"][key]
    body["fhirServer"] = fhir_server
    return body


SERVICE = dataclasses.replace(Settings(), evaluation_date=date(2026, 1, 20),
                              fetch=FetchSettings(development=True, total_timeout=10.0))


def test_a_huge_slow_answer_is_412_at_once_and_memory_stays_bounded() -> None:
    total, chunk = 200 * MiB, b" " * MiB

    def huge(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/fhir+json")
        handler.end_headers()  # no Content-Length: only counting while reading can stop it
        handler.wfile.write(b'{"resourceType":"Bundle","type":"searchset","entry":[')
        for _ in range(total // len(chunk)):
            handler.wfile.write(chunk)
            time.sleep(0.002)

    # The time budget is generous here (some deployments allow seconds): the byte budget must stop it.
    with hostile_fhir_server(huge) as fhir, serve_in_thread(create_app(SERVICE, record_cards=False)) as base:
        body = patient_view_without(("observations",), fhir)
        httpx.get(f"{base}/healthz")  # warm up the connection machinery before measuring
        with PeakRss() as rss:
            started = time.perf_counter()
            response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=body, timeout=60)
            elapsed = time.perf_counter() - started
    print(f"\n200 MB answer: {response.status_code} in {elapsed * 1000:.0f} ms, peak RSS growth {rss.growth:.1f} MiB")
    assert response.status_code == 412, response.text
    assert "CDS_FHIR_MAX_BYTES" in response.json()["issue"][0]["diagnostics"]
    assert elapsed < 3.0
    assert rss.growth < 60


def test_prefetch_and_fetched_resources_count_together() -> None:
    body = patient_view_without(("observations",), "")
    sent = sum(len(v["entry"]) if v.get("resourceType") == "Bundle" else 1 for v in body["prefetch"].values() if v)
    fetched = searchset(10)

    def answer(handler: BaseHTTPRequestHandler) -> None:
        # the IgG results answer the first share of the search's code list (`fetch.MAX_SEARCH_URL`), the others none
        content = json.dumps(fetched if "NPU19814" in handler.path else searchset(0)).encode()
        handler.send_response(200)
        handler.send_header("Content-Type", "application/fhir+json")
        handler.send_header("Content-Length", str(len(content)))
        handler.end_headers()
        handler.wfile.write(content)

    for limit, status in ((sent + 10, 200), (sent + 9, 412)):
        settings = dataclasses.replace(SERVICE, max_resources=limit)
        with hostile_fhir_server(answer) as fhir, serve_in_thread(create_app(settings, record_cards=False)) as base:
            body["fhirServer"] = fhir
            response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=body, timeout=30)
        assert response.status_code == status, response.text
        if status == 412:
            message = response.json()["issue"][0]["diagnostics"]
            assert "observations: prefetch and fetched data together hold more resources than CDS_MAX_RESOURCES" in message
