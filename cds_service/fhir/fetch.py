"""Fetch prefetch data the CDS client did not send, from the client's FHIR server.

CDS Hooks 2.0 §Prefetch: a key that is *absent* from ``prefetch`` was not satisfied, so the
service may run the template itself against ``fhirServer`` with the bearer token from
``fhirAuthorization``. A key that is ``null`` means "no data" and is never re-queried; that
decision belongs to the caller, which passes only the absent keys here. The order hooks also
read here, as keys of their own, the Medications that draft orders name but the request does not
carry (``pipeline.fetch_medications``). When the data cannot be had, the caller answers 412 with
the messages of ``FetchFailed``.

Safety: the token is sent only to an https server (or, in development, a loopback http
server), optionally restricted to an allow-list; it is never logged, stored or echoed.

Cost: one CDS request may take at most ``FetchSettings.max_bytes`` decoded bytes from the
FHIR server (all keys and pages together), at most ``max_resources`` resources, JSON no
deeper than ``max_json_depth``, and ``total_timeout`` seconds. Bodies are streamed and
counted as they arrive (gzip/deflate decoded here, a bounded amount per network read), so
a huge or endless answer is abandoned at the first byte over the budget, not buffered.
"""
from __future__ import annotations

import asyncio
import logging
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import httpx
import orjson

from ..errors import UpstreamError
from ..http.limits import too_deep
from ..settings import FetchSettings, Settings, is_loopback
from .outcome import failing_code

logger = logging.getLogger("cds_service.fhir.fetch")

_TOKEN = re.compile(r"\{\{(.*?)\}\}")
_FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_RELATIVE_REFERENCE = re.compile(r"([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})")
_USER_TOKENS = {
    "userPractitionerId": "Practitioner",
    "userPractitionerRoleId": "PractitionerRole",
    "userPatientId": "Patient",
    "userRelatedPersonId": "RelatedPerson",
}
_NO_DATA_STATUSES = {404, 410}  # a read of a resource that does not exist (any more)
# A search URL longer than this is sent as several searches, each with a share of its `code=` list, and their entries
# merged (`_code_shares`): the observations template names ~200 codes, 6.9 KB as sent, which with an Authorization
# header passes the 8 KB request head (request line and headers together) Tomcat and Jetty accept by default, and a
# refused search is no card. 4,000 bytes leave room for an access token of ~3.5 KB (a JWT) under 8 KB.
MAX_SEARCH_URL = 4000
# Decoded here, so the byte budget bounds the decoded size (httpx would inflate a whole read at once).
_DECODERS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
_ACCEPT_ENCODING = "gzip, deflate"


class FetchFailed(UpstreamError):
    """Data needed for the request could not be fetched; the caller answers 412.

    ``problems`` holds one message per failed key ("observations: FHIR server answered 401").
    The messages never contain the access token.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Fetched:
    """What `FhirFetcher.fetch_each` had, key by key: the resource (a read) or searchset Bundle (a search)
    found; the reads the server answered 404 Not Found or 410 Gone (deleted), with that status; and for
    every other key, why it could not be had (a message safe to show, never holding the token)."""

    found: Mapping[str, object] = field(default_factory=dict)
    absent: Mapping[str, int] = field(default_factory=dict)
    failed: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _NoSuchResource:
    """Internal: a read answered 404 or 410 (`status`)."""

    status: int


class _KeyFailed(UpstreamError):
    """Internal: one key failed, with a message safe to show to the CDS client."""


class _LimitHit(_KeyFailed):
    """Internal: a limit of the whole request was hit; the other keys are stopped too."""


class RequestBudget:
    """What one CDS request may still take from the FHIR server, shared by all its keys and pages,
    and by every fetch it makes (the absent prefetch keys, then the Medications its drafts name):
    bytes, resources and time (`deadline`, set by the first fetch, on the event loop's clock)."""

    def __init__(self, max_bytes: int, max_resources: int) -> None:
        self.max_bytes = max_bytes
        self.bytes_left = max_bytes
        self.resources_left = max_resources
        self.deadline: float | None = None

    def too_many_bytes(self) -> _LimitHit:
        return _LimitHit(f"the FHIR server's answers for this request exceed {self.max_bytes} bytes "
                         "(CDS_FHIR_MAX_BYTES); nothing was evaluated")

    def take_bytes(self, count: int) -> None:
        self.bytes_left -= count
        if self.bytes_left < 0:
            raise self.too_many_bytes()

    def take_resources(self, count: int) -> None:
        if count > self.resources_left:
            raise _LimitHit("prefetch and fetched data together hold more resources than CDS_MAX_RESOURCES "
                            f"allows (at most {max(self.resources_left, 0)} more could be fetched); nothing was evaluated")
        self.resources_left -= count


def _token_value(name: str, context: Mapping[str, object]) -> str:
    """The value of one prefetch token; only root-level primitive context fields qualify."""
    if name in _USER_TOKENS:
        user = context.get("userId")
        match = _RELATIVE_REFERENCE.fullmatch(user) if isinstance(user, str) else None
        if match is None or match.group(1) != _USER_TOKENS[name]:
            wanted = _USER_TOKENS[name]
            raise ValueError(f"token {{{{{name}}}}} cannot be filled: context.userId is not a {wanted}")
        return match.group(2)
    field = name.removeprefix("context.")
    if field == name or not field or "." in field:
        raise ValueError(f"token {{{{{name}}}}} is not a root-level context field")
    if field not in context or context[field] is None:
        raise ValueError(f"token {{{{{name}}}}} cannot be filled: context.{field} is missing")
    value = context[field]
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise ValueError(f"token {{{{{name}}}}} cannot be filled: context.{field} is not a primitive value")


_QUERY_SAFE = "%!$&'()*+,;=:@/?-._~"  # RFC 3986 query characters (unreserved, sub-delims, ":@/?"), and "%"


def fill_template(template: str, context: Mapping[str, object]) -> str:
    """Replace ``{{context.x}}`` tokens, so the result is a safe relative FHIR URL.

    In the query a value is percent-encoded, so it cannot add parameters ("&", "#").
    In the path it must be a FHIR id, or a relative reference such as ``Practitioner/abc``
    (``"{{context.userId}}"`` is a read); anything else could walk to another endpoint.
    """
    path, sep, query = template.partition("?")

    def fill(part: str, in_query: bool) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1).strip()
            value = _token_value(name, context)
            if in_query:
                return quote(value, safe="")
            if (_FHIR_ID.fullmatch(value) or _RELATIVE_REFERENCE.fullmatch(value)) and set(value) != {"."}:
                return value
            raise ValueError(f"token {{{{{name}}}}} cannot be filled: the value is not a FHIR id")

        filled = _TOKEN.sub(replace, part)
        if "{{" in filled or "}}" in filled:
            raise ValueError(f"template {template!r} has an unterminated token")
        return filled

    # literal text of the query as RFC 3986 allows it: "|" (a token's system|code) and the like percent-encoded,
    # since servers on Tomcat refuse them raw; what is encoded already stays as it is
    return fill(path, False) + sep + quote(fill(query, True), safe=_QUERY_SAFE)


def check_server_allowed(fhir_server: str, settings: FetchSettings) -> str | None:
    """None when the token may be sent to ``fhir_server``, else why not (the URL is not echoed)."""
    try:
        parts = urlsplit(fhir_server)
        host = parts.hostname or ""
        parts.port  # noqa: B018  raises ValueError on a malformed port
    except ValueError:
        return "fhirServer is not a valid URL"
    if parts.scheme not in ("https", "http") or not host:
        return "fhirServer is not an absolute http(s) URL"
    if parts.username is not None or parts.password is not None:
        return "fhirServer must not contain credentials"
    if parts.query or parts.fragment:
        return "fhirServer must not have a query or fragment"
    if parts.scheme == "http":
        if not settings.development:
            return "fhirServer must use https"
        if not is_loopback(host):
            return "fhirServer must use https (http is allowed only to loopback hosts in development)"
    if settings.allowed_base_urls:
        if _base_key(fhir_server) not in {_base_key(url) for url in settings.allowed_base_urls}:
            return "fhirServer is not in the allowed list (CDS_FHIR_ALLOWED_SERVERS)"
    return None


def _base_key(url: str) -> tuple[str, str, int | None, str]:
    """A base URL as compared with the allow-list: scheme and host in any case, the scheme's port written or not,
    the path as written but for a trailing slash."""
    parts = urlsplit(url)
    try:
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower())
    except ValueError:
        port = -1
    return parts.scheme.lower(), (parts.hostname or "").lower(), port, parts.path.rstrip("/")


def _same_base(url: httpx.URL, base: httpx.URL) -> bool:
    """A next link may only point below the fhirServer base: the token must not travel elsewhere."""
    base_path = base.path.rstrip("/") + "/"
    return (
        url.scheme == base.scheme
        and url.host == base.host
        and url.port == base.port
        and url.path.startswith(base_path)
    )


class FhirFetcher:
    """Runs prefetch templates against the CDS client's FHIR server.

    Create one per application: its AsyncClient pools connections across requests.
    A client passed in stays owned by the caller (``aclose`` leaves it open).
    """

    def __init__(self, settings: FetchSettings, client: httpx.AsyncClient | None = None, *,
                 max_resources: int = Settings.max_resources, max_json_depth: int = Settings.max_json_depth) -> None:
        self.settings = settings
        self.max_resources = max_resources  # per CDS request, prefetch included: callers pass what is left
        self.max_json_depth = max_json_depth
        self._timeout = httpx.Timeout(settings.total_timeout, connect=settings.connect_timeout)
        self._owns_client = client is None
        # No redirects (the token would follow them) and no proxy/netrc from the environment.
        self._client = client or httpx.AsyncClient(
            timeout=self._timeout, follow_redirects=False, trust_env=False
        )

    def budget(self, max_resources: int | None = None) -> RequestBudget:
        """A budget for one CDS request, to pass to each of its `fetch` calls (`max_resources`: what
        the request may still hold, `self.max_resources` less what the client sent)."""
        return RequestBudget(self.settings.max_bytes, self.max_resources if max_resources is None else max_resources)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def fetch(
        self,
        templates: Mapping[str, str],
        context: Mapping[str, object],
        fhir_server: str,
        access_token: str | None,
        max_resources: int | None = None,
        budget: RequestBudget | None = None,
    ) -> dict[str, object]:
        """Fetch every key in parallel; raise FetchFailed naming every key that failed.

        A read gives the resource (None when the server answers 404/410); a search gives
        one searchset Bundle holding the entries of all pages. `max_resources` is what the
        request may still hold (`self.max_resources` less what the client sent); a limit
        that is hit fails the whole fetch with the one message naming it. A `budget` from
        `self.budget` is shared with the request's other fetches (then `max_resources` is not read).
        """
        if not templates:
            return {}
        paths, problems = self._paths(templates, context, fhir_server)
        if problems:
            raise FetchFailed([f"{key}: {problems[key]}" for key in templates if key in problems])
        fetched = await self._run(paths, fhir_server, access_token, budget or self.budget(max_resources))
        if fetched.failed:
            raise FetchFailed([f"{key}: {fetched.failed[key]}" for key in templates if key in fetched.failed])
        return {key: fetched.found.get(key) for key in paths}  # template order, not completion order

    async def fetch_each(
        self,
        templates: Mapping[str, str],
        context: Mapping[str, object],
        fhir_server: str,
        access_token: str | None,
        budget: RequestBudget | None = None,
    ) -> Fetched:
        """Fetch every key in parallel, each standing alone: what one key's failure (an error status, a
        connection, a malformed answer, the time running out before it was answered) does not take the
        others' results away. A read the server answers 404 or 410 is kept apart with its status.
        Only what stops the whole request fails every key at once (raised as FetchFailed): a fhirServer the
        token may not go to, or a limit of the request's budget (bytes, resources)."""
        if not templates:
            return Fetched()
        paths, problems = self._paths(templates, context, fhir_server)
        fetched = await self._run(paths, fhir_server, access_token, budget or self.budget())
        return Fetched(fetched.found, fetched.absent, {**problems, **fetched.failed})

    def _paths(self, templates: Mapping[str, str], context: Mapping[str, object],
               fhir_server: str) -> tuple[dict[str, str], dict[str, str]]:
        """Each key's relative URL, and for each key whose template cannot be filled, why not.
        Raises FetchFailed for every key when the token may not go to `fhir_server`."""
        reason = check_server_allowed(fhir_server, self.settings)
        if reason is not None:
            raise FetchFailed([f"{key}: {reason}" for key in templates])
        paths: dict[str, str] = {}
        problems: dict[str, str] = {}
        for key, template in templates.items():
            try:
                path = fill_template(template, context)
            except ValueError as exc:
                problems[key] = str(exc)
                continue
            if urlsplit(path).scheme or path.startswith(("/", "\\")):
                problems[key] = "prefetch template is not a relative FHIR URL"
                continue
            paths[key] = path
        return paths, problems

    async def _run(self, paths: Mapping[str, str], fhir_server: str, access_token: str | None,
                   budget: RequestBudget) -> Fetched:
        """Every path read in parallel within `budget`: what each gave, or why not. A limit of the
        request that is hit raises FetchFailed with the one message naming it (the others are stopped)."""
        base = httpx.URL(fhir_server.rstrip("/") + "/")
        headers = {"Accept": "application/fhir+json", "Accept-Encoding": _ACCEPT_ENCODING}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"

        loop = asyncio.get_running_loop()
        if budget.deadline is None:
            budget.deadline = loop.time() + self.settings.total_timeout
        results: dict[str, object] = {}
        absent: dict[str, int] = {}
        failures: dict[str, str] = {}
        tasks: list[asyncio.Task[None]] = []
        limit_hit: list[str] = []

        async def run(key: str, path: str) -> None:
            try:
                found = await self._fetch_key(key, path, base, headers, budget)
            except _LimitHit as exc:
                limit_hit.append(f"{key}: {exc}")
                for task in tasks:  # the request cannot be answered: stop reading the other keys
                    if task is not asyncio.current_task():
                        task.cancel()
            except _KeyFailed as exc:
                failures[key] = str(exc)
            else:
                if isinstance(found, _NoSuchResource):
                    absent[key] = found.status
                else:
                    results[key] = found

        try:
            async with asyncio.timeout_at(budget.deadline), asyncio.TaskGroup() as group:
                tasks.extend(group.create_task(run(key, path)) for key, path in paths.items())
        except TimeoutError:
            limit = f"{self.settings.total_timeout * 1000:.0f} ms"
            for key in paths:
                if key not in results and key not in failures and key not in absent:
                    failures[key] = f"FHIR server did not answer within {limit} (CDS_FHIR_TOTAL_TIMEOUT)"
        if limit_hit:
            raise FetchFailed(limit_hit[:1])
        return Fetched({key: results[key] for key in paths if key in results},
                       {key: absent[key] for key in paths if key in absent},
                       {key: failures[key] for key in paths if key in failures})

    async def _fetch_key(
        self, key: str, path: str, base: httpx.URL, headers: Mapping[str, str], budget: RequestBudget
    ) -> object:
        segments = [s for s in path.partition("?")[0].split("/") if s]
        if not segments:
            raise _KeyFailed("prefetch template has no resource type")
        url = base.join(path)
        if not _same_base(url, base):
            raise _KeyFailed("prefetch template leads outside the fhirServer")
        if len(segments) == 1:
            shares = _code_shares(url, MAX_SEARCH_URL)
            if len(shares) == 1:
                return await self._search(key, url, base, headers, budget)
            return await self._search_in_shares(key, shares, base, headers, budget)
        return await self._read(key, url, segments[0], headers, budget)

    async def _search_in_shares(
        self, key: str, shares: list[httpx.URL], base: httpx.URL, headers: Mapping[str, str], budget: RequestBudget
    ) -> dict[str, object]:
        """One key's search sent in shares (`_code_shares`), in parallel, merged (`_merged`). The first share that
        fails fails the key, and the others are stopped then: none goes on paging through the server with the token
        after the request has been answered."""
        tasks = [asyncio.create_task(self._search(key, share, base, headers, budget)) for share in shares]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        finally:
            for task in tasks:
                task.cancel()  # nothing for one done; the rest, whether a share failed or this key was cancelled
            await asyncio.gather(*tasks, return_exceptions=True)
        failed = next((e for e in (t.exception() for t in tasks if not t.cancelled()) if e is not None), None)
        if failed is not None:
            raise failed
        return _merged([task.result() for task in tasks])

    async def _read(
        self, key: str, url: httpx.URL, resource_type: str, headers: Mapping[str, str], budget: RequestBudget
    ) -> dict[str, object] | _NoSuchResource:
        status, body = await self._get(key, url, headers, budget, no_data_ok=True)
        if status in _NO_DATA_STATUSES:
            return _NoSuchResource(status)
        resource = self._json_resource(status, body)
        if resource.get("resourceType") == "OperationOutcome":
            raise _KeyFailed(_outcome_message(resource))
        if resource.get("resourceType") != resource_type:
            raise _KeyFailed(f"FHIR server answered a {_type_name(resource)}, expected {resource_type}")
        budget.take_resources(1)
        return resource

    async def _search(
        self, key: str, url: httpx.URL, base: httpx.URL, headers: Mapping[str, str], budget: RequestBudget
    ) -> dict[str, object]:
        first: dict[str, object] | None = None
        entries: list[object] = []
        links_followed = 0
        while True:
            bundle = self._json_resource(*await self._get(key, url, headers, budget))
            if bundle.get("resourceType") == "OperationOutcome":
                raise _KeyFailed(_outcome_message(bundle))
            if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "searchset":
                raise _KeyFailed(f"FHIR server answered a {_type_name(bundle)}, expected a searchset Bundle")
            kept = _kept_entries(bundle)
            budget.take_resources(len(kept))
            entries.extend(kept)
            first = first or bundle
            next_url = _next_link(bundle)
            if next_url is None:
                break
            if links_followed >= self.settings.max_pages:
                limit = self.settings.max_pages
                raise _KeyFailed(f"search result has more pages than allowed (max_pages={limit})")
            url = url.join(next_url)
            if not _same_base(url, base):
                raise _KeyFailed("next link points outside the fhirServer; not followed")
            links_followed += 1
        merged = {k: v for k, v in first.items() if k not in ("link", "entry")}
        given = first.get("link")
        links = given if isinstance(given, list) else []
        self_links = [link for link in links if isinstance(link, dict) and link.get("relation") == "self"]
        if self_links:
            merged["link"] = self_links
        merged["entry"] = entries
        return merged

    async def _get(
        self, key: str, url: httpx.URL, headers: Mapping[str, str], budget: RequestBudget, no_data_ok: bool = False
    ) -> tuple[int, bytearray]:
        """GET with one retry when the connection could not be made (nothing was sent yet), or when the server closed
        it without an answer (`RemoteProtocolError`: a kept-alive connection the server had just closed, which a test
        FHIR server under load did; a GET is safe to send again).

        Returns the status and the decoded body, read within the byte budget; the body of
        an error or no-data answer is not read at all.
        """
        for attempt in (1, 2):
            try:
                async with self._client.stream("GET", url, headers=headers, timeout=self._timeout) as response:
                    logger.debug("fhir fetch %s: %d", key, response.status_code)
                    if no_data_ok and response.status_code in _NO_DATA_STATUSES:
                        return response.status_code, bytearray()
                    if not response.is_success:
                        raise _KeyFailed(f"FHIR server answered {response.status_code}")
                    return response.status_code, await _read_body(response, budget)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                logger.debug("fhir fetch %s: %s (attempt %d)", key, type(exc).__name__, attempt)
                if attempt == 2:
                    what = ("connect timeout, CDS_FHIR_CONNECT_TIMEOUT" if isinstance(exc, httpx.ConnectTimeout)
                            else "connection failed")
                    raise _KeyFailed(f"could not connect to the FHIR server ({what})") from None
                continue
            except httpx.TimeoutException as exc:
                logger.debug("fhir fetch %s: %s", key, type(exc).__name__)
                raise _KeyFailed(f"FHIR server did not answer in time ({type(exc).__name__}, "
                                 "CDS_FHIR_TOTAL_TIMEOUT)") from None
            except httpx.RemoteProtocolError:
                logger.debug("fhir fetch %s: RemoteProtocolError (attempt %d)", key, attempt)
                if attempt == 2:
                    raise _KeyFailed("request to the FHIR server failed (RemoteProtocolError)") from None
                continue
            except httpx.HTTPError as exc:
                logger.debug("fhir fetch %s: %s", key, type(exc).__name__)
                raise _KeyFailed(f"request to the FHIR server failed ({type(exc).__name__})") from None
        raise AssertionError("unreachable")

    def _json_resource(self, status: int, body: bytearray) -> dict[str, object]:
        """The answer as a JSON object, no deeper than the request itself may be."""
        depth = self.max_json_depth
        if too_deep(body, depth):
            raise _KeyFailed(f"FHIR server answered JSON nested deeper than {depth} levels (CDS_MAX_JSON_DEPTH)")
        try:
            resource = orjson.loads(body)
        except orjson.JSONDecodeError:
            raise _KeyFailed(f"FHIR server answered {status} with invalid JSON") from None
        if not isinstance(resource, dict):
            raise _KeyFailed(f"FHIR server answered {status} with JSON that is not a resource")
        return resource


def _code_shares(url: httpx.URL, limit: int) -> list[httpx.URL]:
    """A search URL longer than `limit` as several, each with a share of its one `code=` list (a token search's
    comma means "or", so the searches together find what the one would), each written as the whole was (its raw
    query cut at the list's commas, nothing encoded again); the URL itself when it is short enough, or has no such
    list to share."""
    if len(str(url)) <= limit:
        return [url]
    params = url.query.split(b"&")
    lists = [i for i, p in enumerate(params) if p.startswith(b"code=")]
    if len(lists) != 1:
        return [url]
    at = lists[0]
    tokens = params[at][len(b"code="):].split(b",")
    room = limit - (len(str(url)) - len(params[at][len(b"code="):]))  # what the list's share may take

    def with_share(share: list[bytes]) -> httpx.URL:
        return url.copy_with(query=b"&".join([*params[:at], b"code=" + b",".join(share), *params[at + 1:]]))

    shares: list[list[bytes]] = [[]]
    for token in tokens:
        if shares[-1] and len(b",".join([*shares[-1], token])) > room:
            shares.append([])
        shares[-1].append(token)
    return [with_share(share) for share in shares]


def _merged(bundles: list[dict[str, object]]) -> dict[str, object]:
    """The searchsets of one key's shared searches (`_code_shares`) as one: the first's fields, every entry once
    (a resource holding two codes of two shares is found by both); no `total`, which each counted apart."""
    merged = {k: v for k, v in bundles[0].items() if k not in ("entry", "total")}
    entries: list[object] = []
    seen: set[tuple[object, object]] = set()
    for found in bundles:
        given = found.get("entry")
        for entry in given if isinstance(given, list) else []:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            key = (resource.get("resourceType"), resource.get("id")) if isinstance(resource, dict) else None
            if key is not None and key[1] is not None:
                if key in seen:
                    continue
                seen.add(key)
            entries.append(entry)
    merged["entry"] = entries
    return merged


async def _read_body(response: httpx.Response, budget: RequestBudget) -> bytearray:
    """The decoded body, counted against the budget as it streams in; abandoned at the first byte over."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > budget.bytes_left:
        raise budget.too_many_bytes()  # said so up front: not one byte is read
    encoding = response.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("", "identity") and encoding not in _DECODERS:
        raise _KeyFailed(f"FHIR server answered with an unsupported Content-Encoding ({encoding[:40]})")
    decoder = zlib.decompressobj(_DECODERS[encoding]) if encoding in _DECODERS else None
    body = bytearray()
    try:
        async for chunk in response.aiter_raw():
            if decoder is not None:
                # At most one byte over what is left: a small compressed chunk cannot inflate into memory.
                chunk = decoder.decompress(chunk, max(budget.bytes_left, 0) + 1)
            budget.take_bytes(len(chunk))
            body += chunk
        if decoder is not None:
            tail = decoder.flush()
            budget.take_bytes(len(tail))
            body += tail
    except zlib.error:
        raise _KeyFailed(f"FHIR server answered with a body that is not valid {encoding}") from None
    return body


def _outcome_message(outcome: Mapping[str, object]) -> str:
    """Names the issue code only: diagnostics are free text and might echo request details."""
    return f"FHIR server answered an OperationOutcome ({failing_code(outcome) or 'no error code'})"


def _type_name(resource: Mapping[str, object]) -> str:
    rtype = resource.get("resourceType")
    if rtype == "Bundle":
        return f"Bundle of type {str(resource.get('type'))[:40]}"
    return str(rtype)[:40] if isinstance(rtype, str) else "resource without resourceType"


def _kept_entries(bundle: Mapping[str, object]) -> list[object]:
    """Entries minus informational OperationOutcomes; an error outcome fails the key."""
    kept = []
    raw = bundle.get("entry")
    for entry in raw if isinstance(raw, list) else []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        search = entry.get("search") if isinstance(entry, dict) else None
        is_outcome = (
            isinstance(resource, dict) and resource.get("resourceType") == "OperationOutcome"
        ) or (isinstance(search, dict) and search.get("mode") == "outcome")
        if not is_outcome:
            kept.append(entry)
            continue
        code = failing_code(resource) if isinstance(resource, dict) else None
        if code is not None:
            raise _KeyFailed(f"FHIR server reported an error in the search result ({code})")
    return kept


def _next_link(bundle: Mapping[str, object]) -> str | None:
    links = bundle.get("link")
    for link in links if isinstance(links, list) else []:
        url = link.get("url") if isinstance(link, dict) and link.get("relation") == "next" else None
        if isinstance(url, str):
            return url
    return None
