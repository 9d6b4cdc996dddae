"""Request limits: body size (also chunked), resources, JSON depth, body read time, settings."""

from __future__ import annotations

import asyncio
import dataclasses
import http.client
import json
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds_service.http.app import create_app
from cds_service.http.limits import BodyLimitMiddleware, json_depth, parsed_too_deep, too_deep
from cds_service.tools.replay import load_bundle, request_from_bundle
from cds_service.errors import ConfigError
from cds_service.settings import Settings, load_settings as settings_from_env

try:
    from tests.test_fuzz import live_server
except ImportError:  # tests/ is not a package and the repo root is not on sys.path
    from test_fuzz import live_server

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


FIXTURE = Path(__file__).resolve().parent.parent / "fhir_fixtures" / "cart-in-window-igg-low.json"
PATH = "/cds-services/igsub-patient-view"


def make_app(tmp_path: Path, **limits):
    return create_app(Settings(data_dir=str(tmp_path / "data"), **limits))


async def post(app, body: bytes | object, path: str = PATH, **kwargs) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        content = body if isinstance(body, (bytes, str)) or hasattr(body, "__aiter__") else orjson.dumps(body)
        return await client.post(path, content=content, headers={"content-type": "application/json"}, **kwargs)


def request_body() -> dict:
    return request_from_bundle(load_bundle(FIXTURE))


def diagnostics(response: httpx.Response) -> str:
    body = response.json()
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"][0]["diagnostics"]


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


# -- json_depth -------------------------------------------------------------------------------
def reference_depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max((reference_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((reference_depth(v) for v in value), default=0)
    return 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(alphabet=st.sampled_from('[]{}"\\\\ab,:é\n')),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(alphabet='[]{}"\\\\x'), children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_json_depth_matches_a_tree_walk(value) -> None:
    """Brackets and quotes inside strings (escaped or not) never count."""
    assert json_depth(orjson.dumps(value)) == reference_depth(value)
    assert json_depth(json.dumps(value, indent=1).encode()) == reference_depth(value)


unescaped_values = st.recursive(
    st.none() | st.integers(0, 9) | st.text(alphabet=st.sampled_from('[]{}ab ,:')),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(alphabet='[]{}x'), children, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(unescaped_values)
def test_json_depth_with_brackets_in_strings_without_escapes(value) -> None:
    """Without a backslash, strings with brackets and strings without them (whose quotes then all
    pair up side by side, the quicker way) are told apart."""
    assert json_depth(orjson.dumps(value)) == reference_depth(value)
    assert json_depth(json.dumps(value, indent=1).encode()) == reference_depth(value)


@settings(max_examples=300, deadline=None)
@given(json_values, st.integers(0, 8))
def test_parsed_too_deep_agrees_with_a_tree_walk(value, limit: int) -> None:
    """The check for parsed bodies (no bracket count first) says what the tree and the byte count say."""
    for body in (orjson.dumps(value), json.dumps(value, indent=1).encode()):
        assert parsed_too_deep(body, limit) == (reference_depth(value) > limit) == too_deep(body, limit)


# -- through the app --------------------------------------------------------------------------
async def test_body_over_the_limit_with_content_length_is_413(tmp_path: Path) -> None:
    app = make_app(tmp_path, max_body_bytes=1000)
    r = await post(app, b"x" * 1001)
    assert r.status_code == 413
    assert "CDS_MAX_BODY_BYTES" in diagnostics(r)


async def test_chunked_body_over_the_limit_is_413_while_streaming(tmp_path: Path) -> None:
    app = make_app(tmp_path, max_body_bytes=1000)
    chunks_sent = 0

    async def chunks():
        nonlocal chunks_sent
        for _ in range(100):
            chunks_sent += 1
            yield b"x" * 300

    r = await post(app, chunks())
    assert r.status_code == 413 and "CDS_MAX_BODY_BYTES" in diagnostics(r)


def test_chunked_body_over_the_limit_on_a_real_socket(tmp_path: Path) -> None:
    """No Content-Length at all (Transfer-Encoding: chunked), through uvicorn."""
    app = make_app(tmp_path, max_body_bytes=10_000)
    with live_server(app) as base:
        url = urlsplit(base)
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        conn.request("POST", PATH, body=iter([b"[" * 4000] * 5), headers={"Content-Type": "application/json"},
                     encode_chunked=True)
        r = conn.getresponse()
        body = json.loads(r.read())
        assert r.status == 413 and "CDS_MAX_BODY_BYTES" in body["issue"][0]["diagnostics"]
        conn.close()
        # ...and a body under the limit is evaluated as usual
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
        data = orjson.dumps(request_body())
        conn.request("POST", PATH, body=iter([data[:100], data[100:]]), headers={"Content-Type": "application/json"},
                     encode_chunked=True)
        assert conn.getresponse().status == 200


async def test_body_at_the_limit_is_accepted(tmp_path: Path) -> None:
    data = orjson.dumps(request_body())
    r = await post(make_app(tmp_path, max_body_bytes=len(data)), data)
    assert r.status_code == 200


async def test_too_many_resources_is_413_naming_the_limit(tmp_path: Path) -> None:
    body = request_body()
    count = sum(len(v.get("entry", [])) if v.get("resourceType") == "Bundle" else 1 for v in body["prefetch"].values())
    assert (await post(make_app(tmp_path, max_resources=count), body)).status_code == 200
    r = await post(make_app(tmp_path, max_resources=count - 1), body)
    assert r.status_code == 413
    assert "CDS_MAX_RESOURCES" in diagnostics(r) and str(count) in diagnostics(r)


@pytest.mark.parametrize("depth, limit", [(65, 64), (1000, 64), (201, None), (1022, None), (1025, None), (100_000, None)])
async def test_json_nested_too_deep_is_400(tmp_path: Path, depth: int, limit: int | None) -> None:
    """One message for one limit, also past the 1024 levels the JSON parser itself refuses."""
    body = orjson.dumps(request_body())[:-1] + b', "extension": ' + nested(depth) + b"}"
    r = await post(make_app(tmp_path, **({"max_json_depth": limit} if limit else {})), body)
    assert r.status_code == 400
    assert diagnostics(r) == f"the request JSON is nested deeper than {limit or 200} levels (CDS_MAX_JSON_DEPTH)"


async def test_feedback_nested_past_the_parsers_limit_names_cds_max_json_depth(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    for depth in (201, 1100):
        r = await post(app, b'{"feedback": ' + nested(depth) + b"}",
                       path="/cds-services/igsub-patient-view/feedback")
        assert r.status_code == 400
        assert diagnostics(r) == "the request JSON is nested deeper than 200 levels (CDS_MAX_JSON_DEPTH)"
    r = await post(app, b'{"feedback": [}', path="/cds-services/igsub-patient-view/feedback")
    assert r.status_code == 400 and diagnostics(r).startswith("the request body is not valid JSON (")


async def test_json_depth_limit_is_configurable(tmp_path: Path) -> None:
    body = request_body()
    body["extension"] = json.loads(nested(20).decode())
    assert (await post(make_app(tmp_path, max_json_depth=30), body)).status_code == 200
    r = await post(make_app(tmp_path, max_json_depth=15), body)
    assert r.status_code == 400 and "CDS_MAX_JSON_DEPTH" in diagnostics(r)


def deep_extension(levels: int) -> list:
    """A valid FHIR `extension` array exactly `levels` deep (extensions within extensions)."""
    inner: list = [{"url": "urn:x", "valueString": "v"}] if levels % 2 == 0 else [{"url": "urn:x", "valueCodeableConcept": {"text": "v"}}]
    depth = 2 if levels % 2 == 0 else 3
    while depth < levels:
        inner, depth = [{"url": "urn:x", "extension": inner}], depth + 2
    return inner


def codes(response: httpx.Response) -> list[str]:
    return sorted(card["source"]["topic"]["code"] for card in response.json()["cards"])


@pytest.mark.parametrize("depth", [199, 200, 201, 253, 254, 255, 300])
async def test_deep_resources_in_prefetch_and_in_draft_orders_are_200_or_400(tmp_path: Path, depth: int) -> None:
    """One limit (CDS_MAX_JSON_DEPTH, 200) for the whole request: never a 500 from a later dump or validation.

    The resources given the deep extension are those the advice relies on (the IgG results;
    the draft order a card updates), so it is validated and written back into the answer.
    """
    app = create_app(Settings(data_dir=str(tmp_path / "data")), record_cards=False)
    body = request_body()
    iggs = [e["resource"] for e in body["prefetch"]["observations"]["entry"] if e["resource"]["id"].startswith("obs-igg")]
    drafts = [json.loads((FIXTURE.parent / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())]
    order = request_from_bundle(load_bundle(FIXTURE), "order-sign", drafts)
    expected = {PATH: codes(await post(app, body)), "/cds-services/igsub-order-sign": codes(await post(app, order, "/cds-services/igsub-order-sign"))}
    for igg in iggs:
        igg["extension"] = deep_extension(depth - 6)  # request{ prefetch{ Bundle{ entry[ {resource{
    order["context"]["draftOrders"]["entry"][0]["resource"]["extension"] = deep_extension(depth - 6)  # request{ context{ draftOrders{ entry[ {resource{
    for path, request in ((PATH, body), ("/cds-services/igsub-order-sign", order)):
        sent = json.dumps(request).encode()  # orjson itself would refuse to write past 254 levels
        assert json_depth(sent) == depth
        response = await post(app, sent, path)
        if depth <= 200:
            assert response.status_code == 200, response.text
            assert codes(response) == expected[path]
        else:
            assert response.status_code == 400, response.text
            assert "nested deeper than 200 levels (CDS_MAX_JSON_DEPTH)" in diagnostics(response)


# -- request headers ----------------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/cds-services", PATH, "/healthz", "/no-such-page"])
async def test_headers_over_the_limit_are_431_everywhere(tmp_path: Path, path: str) -> None:
    app = make_app(tmp_path)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        one_big = await client.request("POST" if path == PATH else "GET", path, headers={"x-big": "a" * 33_000})
        many = await client.get(path, headers={f"x-{i}": "b" * 1000 for i in range(40)})
        fits = await client.get("/healthz", headers={"x-big": "a" * 30_000})
    for response in (one_big, many):
        assert response.status_code == 431
        assert "larger than 32768 bytes (CDS_MAX_HEADER_BYTES)" in diagnostics(response)
        assert response.json()["issue"][0]["code"] == "too-costly"
    assert fits.status_code == 200


def test_header_limit_setting() -> None:
    assert settings_from_env({}).max_header_bytes == 32 * 1024
    assert settings_from_env({"CDS_MAX_HEADER_BYTES": "8192"}).max_header_bytes == 8192
    with pytest.raises(ConfigError, match="CDS_MAX_HEADER_BYTES"):
        settings_from_env({"CDS_MAX_HEADER_BYTES": "0"})


def _raw_request(base: str, head: bytes, filler_bytes: int) -> bytes:
    """Send `head`, then up to `filler_bytes` of one header's value, stopping as soon as the server answers."""
    import select
    import socket

    host, port = urlsplit(base).hostname, urlsplit(base).port
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(head)
        chunk, sent = b"a" * 65536, 0
        try:
            while sent < filler_bytes:
                sock.sendall(chunk)
                sent += len(chunk)
                if select.select([sock], [], [], 0.02)[0]:
                    break  # the server answered before the head was complete
            else:
                sock.sendall(b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while data := sock.recv(65536):
                answer += data
                if b"\r\n\r\n" in answer and len(answer) > answer.index(b"\r\n\r\n") + 20:
                    break
        except ConnectionResetError:
            pass
        return answer


def test_the_server_stops_reading_a_huge_header(tmp_path: Path) -> None:
    """`cds-service serve`: a 32 MB header is refused with 431 after ~40 KB, not read whole."""
    try:
        from tests.servers import serve_subprocess
    except ImportError:
        from servers import serve_subprocess

    with serve_subprocess({"CDS_DATA_DIR": str(tmp_path / "data")}) as base:
        answer = _raw_request(base, b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Big: ", 32 * 1024 * 1024)
        assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
        body = json.loads(answer.split(b"\r\n\r\n", 1)[1])
        assert "CDS_MAX_HEADER_BYTES" in body["issue"][0]["diagnostics"]
        # Between the exact cap (application) and the parser's hard stop: the same answer from the app.
        answer = _raw_request(base, b"GET /healthz HTTP/1.1\r\nHost: test\r\nX-Big: " + b"a" * 36_000, 0)
        assert answer.startswith(b"HTTP/1.1 431"), answer[:200]
        assert httpx.get(f"{base}/healthz").status_code == 200


def test_the_server_reads_a_large_body_after_a_small_head(tmp_path: Path) -> None:
    """`cds-service serve`: a 235 KB chart (200 IgG results) arrives in reads larger than the head cap; it is answered."""
    try:
        from tests.servers import serve_subprocess
    except ImportError:
        from servers import serve_subprocess
    bundle = load_bundle(FIXTURE)
    igg = next(e for e in bundle["entry"] if e["resource"]["id"] == "obs-igg-0001-a")
    for i in range(200):
        extra = json.loads(json.dumps(igg))
        extra["resource"]["id"] = f"obs-igg-history-{i:03d}"
        bundle["entry"].append(extra)
    body = json.dumps(request_from_bundle(bundle)).encode()
    assert len(body) > 150_000
    with serve_subprocess({"CDS_DATA_DIR": str(tmp_path / "data")}) as base:
        with httpx.Client(base_url=base, timeout=30) as client:
            for _ in range(3):  # one connection: the head after a large body is counted afresh
                response = client.post("/cds-services/igsub-patient-view", content=body,
                                       headers={"Content-Type": "application/json"})
                assert response.status_code == 200, response.text[:300]


async def test_slow_body_is_408() -> None:
    """A client that stops sending mid-body is cut off after CDS_BODY_TIMEOUT."""
    sent: list[dict] = []

    async def app(scope, receive, send):
        from starlette.requests import Request

        await Request(scope, receive).body()
        raise AssertionError("the body never completes")

    from cds_service.errors import ServiceError, error_response

    async def with_handler(scope, receive, send):
        try:
            await app(scope, receive, send)
        except ServiceError as exc:
            await error_response(exc.status, exc.message)(scope, receive, send)

    messages = [{"type": "http.request", "body": b"{", "more_body": True}]

    async def receive():
        if messages:
            return messages.pop()
        await asyncio.sleep(3600)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": PATH, "headers": []}
    await BodyLimitMiddleware(with_handler, max_bytes=1000, timeout=0.05)(scope, receive, send)
    assert sent[0]["status"] == 408
    assert b"CDS_BODY_TIMEOUT" in sent[1]["body"]


def test_limit_settings_from_env() -> None:
    s = settings_from_env({"CDS_MAX_BODY_BYTES": "1024", "CDS_MAX_RESOURCES": "10", "CDS_MAX_JSON_DEPTH": "8",
                           "CDS_BODY_TIMEOUT": "2.5"})
    assert (s.max_body_bytes, s.max_resources, s.max_json_depth, s.body_timeout) == (1024, 10, 8, 2.5)
    defaults = settings_from_env({})
    assert defaults.max_body_bytes == 5 * 1024 * 1024 and defaults.max_resources == 5000 and defaults.max_json_depth == 200
    assert dataclasses.asdict(defaults) == dataclasses.asdict(Settings())


@pytest.mark.parametrize("name,value", [("CDS_MAX_BODY_BYTES", "5MB"), ("CDS_MAX_RESOURCES", "0"),
                                        ("CDS_MAX_JSON_DEPTH", "-1"), ("CDS_MAX_JSON_DEPTH", "241"),
                                        ("CDS_BODY_TIMEOUT", "nan")])
def test_bad_limit_settings_stop_the_service(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        settings_from_env({name: value})
