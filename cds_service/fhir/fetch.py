"""Fetch prefetch data the CDS client did not send, from the client's FHIR server.

CDS Hooks 2.0 §Prefetch: a key that is *absent* from ``prefetch`` was not satisfied, so the
service may run the template itself against ``fhirServer`` with the bearer token from
``fhirAuthorization``. A key that is ``null`` means "no data" and is never re-queried; that
decision belongs to the caller, which passes only the absent keys here. When the data
cannot be had, the caller answers 412 with the messages of ``FetchFailed``.

Safety: the token is sent only to an https server (or, in development, a loopback http
server), optionally restricted to an allow-list; it is never logged, stored or echoed.
"""
from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Mapping
from urllib.parse import quote, urlsplit

import httpx

from ..errors import UpstreamError
from ..settings import FetchSettings, is_loopback

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


class FetchFailed(UpstreamError):
    """Data needed for the request could not be fetched; the caller answers 412.

    ``problems`` holds one message per failed key ("observations: FHIR server answered 401").
    The messages never contain the access token.
    """

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class _KeyFailed(UpstreamError):
    """Internal: one key failed, with a message safe to show to the CDS client."""


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

    return fill(path, False) + sep + fill(query, True)


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
        normalised = fhir_server.rstrip("/")
        if normalised not in {url.rstrip("/") for url in settings.allowed_base_urls}:
            return "fhirServer is not in the allowed list (CDS_FHIR_ALLOWED_SERVERS)"
    return None


def _same_base(url: httpx.URL, base: httpx.URL) -> bool:
    """A next link may only point below the fhirServer base: the token must not travel elsewhere."""
    base_path = base.path.rstrip("/") + "/"
    return (
        url.scheme == base.scheme
        and url.host == base.host
        and url.port == base.port
        and url.path.startswith(base_path)
    )


def _error_outcome(resource: Mapping[str, object]) -> str | None:
    """The issue code of the first error/fatal issue of an OperationOutcome, else None."""
    issues = resource.get("issue")
    for issue in issues if isinstance(issues, list) else []:
        if isinstance(issue, dict) and issue.get("severity") in ("error", "fatal"):
            return str(issue.get("code") or "unknown")
    return None


class FhirFetcher:
    """Runs prefetch templates against the CDS client's FHIR server.

    Create one per application: its AsyncClient pools connections across requests.
    A client passed in stays owned by the caller (``aclose`` leaves it open).
    """

    def __init__(self, settings: FetchSettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._timeout = httpx.Timeout(settings.total_timeout, connect=settings.connect_timeout)
        self._owns_client = client is None
        # No redirects (the token would follow them) and no proxy/netrc from the environment.
        self._client = client or httpx.AsyncClient(
            timeout=self._timeout, follow_redirects=False, trust_env=False
        )

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def fetch(
        self,
        templates: Mapping[str, str],
        context: Mapping[str, object],
        fhir_server: str,
        access_token: str | None,
    ) -> dict[str, object]:
        """Fetch every key in parallel; raise FetchFailed naming every key that failed.

        A read gives the resource (None when the server answers 404/410); a search gives
        one searchset Bundle holding the entries of all pages.
        """
        if not templates:
            return {}
        reason = check_server_allowed(fhir_server, self.settings)
        if reason is not None:
            raise FetchFailed([f"{key}: {reason}" for key in templates])
        base = httpx.URL(fhir_server.rstrip("/") + "/")

        paths: dict[str, str] = {}
        problems: list[str] = []
        for key, template in templates.items():
            try:
                path = fill_template(template, context)
            except ValueError as exc:
                problems.append(f"{key}: {exc}")
                continue
            if urlsplit(path).scheme or path.startswith(("/", "\\")):
                problems.append(f"{key}: prefetch template is not a relative FHIR URL")
                continue
            paths[key] = path
        if problems:
            raise FetchFailed(problems)

        headers = {"Accept": "application/fhir+json"}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"

        results: dict[str, object] = {}
        failures: dict[str, str] = {}

        async def run(key: str, path: str) -> None:
            try:
                results[key] = await self._fetch_key(key, path, base, headers)
            except _KeyFailed as exc:
                failures[key] = str(exc)

        try:
            async with asyncio.timeout(self.settings.total_timeout), asyncio.TaskGroup() as group:
                for key, path in paths.items():
                    group.create_task(run(key, path))
        except TimeoutError:
            limit = f"{self.settings.total_timeout * 1000:.0f} ms"
            for key in paths:
                if key not in results and key not in failures:
                    failures[key] = f"FHIR server did not answer within {limit}"
        if failures:
            raise FetchFailed([f"{key}: {failures[key]}" for key in templates if key in failures])
        return {key: results[key] for key in paths}  # template order, not completion order

    async def _fetch_key(
        self, key: str, path: str, base: httpx.URL, headers: Mapping[str, str]
    ) -> object:
        segments = [s for s in path.partition("?")[0].split("/") if s]
        if not segments:
            raise _KeyFailed("prefetch template has no resource type")
        url = base.join(path)
        if not _same_base(url, base):
            raise _KeyFailed("prefetch template leads outside the fhirServer")
        if len(segments) == 1:
            return await self._search(key, url, base, headers)
        return await self._read(key, url, segments[0], headers)

    async def _read(
        self, key: str, url: httpx.URL, resource_type: str, headers: Mapping[str, str]
    ) -> dict[str, object] | None:
        response = await self._get(key, url, headers, no_data_ok=True)
        if response.status_code in _NO_DATA_STATUSES:
            return None
        resource = _json_resource(response)
        if resource.get("resourceType") == "OperationOutcome":
            raise _KeyFailed(_outcome_message(resource))
        if resource.get("resourceType") != resource_type:
            raise _KeyFailed(f"FHIR server answered a {_type_name(resource)}, expected {resource_type}")
        return resource

    async def _search(
        self, key: str, url: httpx.URL, base: httpx.URL, headers: Mapping[str, str]
    ) -> dict[str, object]:
        first: dict[str, object] | None = None
        entries: list[object] = []
        links_followed = 0
        while True:
            bundle = _json_resource(await self._get(key, url, headers))
            if bundle.get("resourceType") == "OperationOutcome":
                raise _KeyFailed(_outcome_message(bundle))
            if bundle.get("resourceType") != "Bundle" or bundle.get("type") != "searchset":
                raise _KeyFailed(f"FHIR server answered a {_type_name(bundle)}, expected a searchset Bundle")
            entries.extend(_kept_entries(bundle))
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
        links = first.get("link") if isinstance(first.get("link"), list) else []
        self_links = [link for link in links if isinstance(link, dict) and link.get("relation") == "self"]
        if self_links:
            merged["link"] = self_links
        merged["entry"] = entries
        return merged

    async def _get(
        self, key: str, url: httpx.URL, headers: Mapping[str, str], no_data_ok: bool = False
    ) -> httpx.Response:
        """GET with one retry when the connection could not be made (nothing was sent yet)."""
        for attempt in (1, 2):
            try:
                response = await self._client.get(url, headers=headers, timeout=self._timeout)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                logger.debug("fhir fetch %s: %s (attempt %d)", key, type(exc).__name__, attempt)
                if attempt == 2:
                    what = "connect timeout" if isinstance(exc, httpx.ConnectTimeout) else "connection failed"
                    raise _KeyFailed(f"could not connect to the FHIR server ({what})") from None
                continue
            except httpx.TimeoutException as exc:
                logger.debug("fhir fetch %s: %s", key, type(exc).__name__)
                raise _KeyFailed(f"FHIR server did not answer in time ({type(exc).__name__})") from None
            except httpx.HTTPError as exc:
                logger.debug("fhir fetch %s: %s", key, type(exc).__name__)
                raise _KeyFailed(f"request to the FHIR server failed ({type(exc).__name__})") from None
            logger.debug("fhir fetch %s: %d", key, response.status_code)
            if response.is_success or (no_data_ok and response.status_code in _NO_DATA_STATUSES):
                return response
            raise _KeyFailed(f"FHIR server answered {response.status_code}")
        raise AssertionError("unreachable")


def _json_resource(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        raise _KeyFailed(f"FHIR server answered {response.status_code} with invalid JSON") from None
    if not isinstance(body, dict):
        raise _KeyFailed(f"FHIR server answered {response.status_code} with JSON that is not a resource")
    return body


def _outcome_message(outcome: Mapping[str, object]) -> str:
    """Names the issue code only: diagnostics are free text and might echo request details."""
    return f"FHIR server answered an OperationOutcome ({_error_outcome(outcome) or 'no error code'})"


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
        code = _error_outcome(resource) if isinstance(resource, dict) else None
        if code is not None:
            raise _KeyFailed(f"FHIR server reported an error in the search result ({code})")
    return kept


def _next_link(bundle: Mapping[str, object]) -> str | None:
    links = bundle.get("link")
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict) and link.get("relation") == "next" and isinstance(link.get("url"), str):
            return link["url"]
    return None
