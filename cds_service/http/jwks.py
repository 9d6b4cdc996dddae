"""JWK Sets for verifying CDS client tokens: parsing, fetching and caching.

Kept apart from `auth.py` so the network and cache policy (TTL, one rate-limited
refetch on an unknown `kid`, negative caching while a key server is down) can be
read and tested on its own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
from jwt import PyJWK, PyJWTError

from ..errors import ConfigError, UpstreamError
from ..settings import read_json_file
from .logs import sanitise

__all__ = [
    "ALLOWED_ALGORITHMS",
    "JwksCache",
    "keys_from_jwks",
    "load_jwks_file",
]

logger = logging.getLogger("cds_service.http.auth")

#: The spec RECOMMENDS exactly these; anything else (none, HMAC, RS256 ...) is refused.
ALLOWED_ALGORITHMS: tuple[str, ...] = ("ES384", "RS384")

#: A JWK Set is a few KB; refusing more keeps a hostile key server from filling memory.
MAX_JWKS_BYTES = 64 * 1024

#: Members that only a private JWK carries. Stripped so a key set that leaks its private
#: half still only gives us a public key to verify with.
_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})


def _algorithm_for(jwk: dict[str, Any]) -> str | None:
    """The one algorithm we will verify with this key, or None if it is not for us.

    Binding each key to a single algorithm up front is what stops algorithm
    confusion: the token header can only pick a key, never how it is used.
    """
    if jwk.get("use", "sig") != "sig":
        return None
    key_ops = jwk.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        return None
    kty = jwk.get("kty")
    if kty == "EC" and jwk.get("crv") == "P-384":
        natural = "ES384"
    elif kty == "RSA":
        natural = "RS384"
    else:
        return None
    declared = jwk.get("alg")
    if declared is not None and declared != natural:
        return None
    return natural


def keys_from_jwks(document: object) -> dict[str, PyJWK]:
    """Usable verification keys of a JWK Set, by `kid`.

    Keys we cannot or must not use are skipped rather than fatal, so one exotic key
    in a client's set does not lock the client out.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWK Set (expected an object with a 'keys' array)")
    keys: dict[str, PyJWK] = {}
    for jwk in document["keys"]:
        if not isinstance(jwk, dict):
            continue
        kid = jwk.get("kid")
        algorithm = _algorithm_for(jwk)
        if not isinstance(kid, str) or not kid or algorithm is None:
            continue
        public = {name: value for name, value in jwk.items() if name not in _PRIVATE_MEMBERS}
        try:
            keys[kid] = PyJWK(public, algorithm)
        except (PyJWTError, ValueError, TypeError):
            logger.debug("skipping unusable JWK kid=%r", sanitise(kid))
    return keys


def load_jwks_file(path: Path) -> dict[str, PyJWK]:
    """Keys from a JWK Set file; raises ValueError naming the problem."""
    try:
        document = read_json_file(path, f"JWK Set file {path}")
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    try:
        keys = keys_from_jwks(document)
    except ValueError as exc:
        raise ValueError(f"JWK Set file {path}: {exc}") from None
    if not keys:
        raise ValueError(
            f"JWK Set file {path} has no usable key (need a 'kid' and an EC P-384 or RSA "
            "signing key for ES384/RS384)"
        )
    return keys


@dataclass
class _Entry:
    keys: dict[str, PyJWK]
    expires_at: float


class JwksCache:
    """Fetched JWK Sets by URL, with TTL, rotation refetch and a refetch rate limit.

    Every network fetch that a token can provoke beyond the first load of a URL (an
    unknown `kid`, a new `jku` for an issuer we already have keys for, a retry after
    a failure) is limited to one per issuer per `refetch_interval`, so garbage tokens
    cannot turn us into a request amplifier or stall every call on a dead key server.
    """

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        clock: Callable[[], float],
        ttl: float,
        timeout: float,
        refetch_interval: float = 30.0,
        max_entries: int = 64,
    ) -> None:
        self._http = http
        self._clock = clock
        self._ttl = ttl
        self._timeout = timeout
        self._refetch_interval = refetch_interval
        self._max_entries = max_entries
        self._entries: dict[str, _Entry] = {}
        self._issuer_urls: dict[str, set[str]] = {}
        self._last_refetch: dict[str, float] = {}
        self._locks: dict[str, anyio.Lock] = {}

    async def key(self, issuer: str, url: str, kid: str) -> PyJWK:
        """The key `kid` from the JWK Set at `url`, fetching only when policy allows."""
        entry = self._entries.get(url)
        if entry is not None and entry.expires_at > self._clock() and kid in entry.keys:
            return entry.keys[kid]
        async with self._lock(issuer):
            # Re-read: a request we waited for may just have refreshed this set.
            now = self._clock()
            entry = self._entries.get(url)
            if entry is None or entry.expires_at <= now:
                known_urls = self._issuer_urls.get(issuer, set())
                if entry is None and known_urls - {url}:
                    self._take_refetch_slot(issuer, now, f"new JWK Set URL {url}")
                entry = await self._load(issuer, url)
            elif kid not in entry.keys:
                self._take_refetch_slot(issuer, now, f"kid {kid[:100]!r} not in JWK Set {url}")
                logger.info("kid %r not in cached JWK Set %s; refetching", sanitise(kid, 100), url)
                entry = await self._load(issuer, url)
        if kid not in entry.keys:
            raise UpstreamError(f"kid {kid[:100]!r} not in JWK Set {url}")
        return entry.keys[kid]

    def _lock(self, issuer: str) -> anyio.Lock:
        # One lock per (configured, hence bounded) issuer: concurrent misses wait for
        # the fetch in flight instead of each starting their own.
        lock = self._locks.get(issuer)
        if lock is None:
            lock = self._locks[issuer] = anyio.Lock()
        return lock

    def _take_refetch_slot(self, issuer: str, now: float, why: str) -> None:
        last = self._last_refetch.get(issuer)
        if last is not None and now - last < self._refetch_interval:
            raise UpstreamError(f"{why}; refetch rate-limited")
        self._last_refetch[issuer] = now

    async def _load(self, issuer: str, url: str) -> _Entry:
        now = self._clock()
        try:
            keys = await self._fetch(url)
        except UpstreamError:
            # Negative entry: while the key server is down, requests fail fast instead
            # of each waiting out the timeout; the retry comes via the refetch slot.
            self._last_refetch[issuer] = now
            self._store(issuer, url, _Entry({}, now + self._refetch_interval))
            raise
        entry = _Entry(keys, now + self._ttl)
        self._store(issuer, url, entry)
        return entry

    def _store(self, issuer: str, url: str, entry: _Entry) -> None:
        self._entries.pop(url, None)
        self._entries[url] = entry
        self._issuer_urls.setdefault(issuer, set()).add(url)
        while len(self._entries) > self._max_entries:
            oldest = next(iter(self._entries))
            del self._entries[oldest]
            for urls in self._issuer_urls.values():
                urls.discard(oldest)

    async def _fetch(self, url: str) -> dict[str, PyJWK]:
        body = bytearray()
        try:
            # fail_after bounds the whole exchange; httpx's timeout is per read, which
            # a server dripping one byte at a time would never trip.
            with anyio.fail_after(self._timeout):
                async with self._http.stream(
                    "GET",
                    url,
                    headers={"Accept": "application/json"},
                    timeout=self._timeout,
                    follow_redirects=False,  # a redirect could leave the jku allow-list
                ) as response:
                    if response.status_code != 200:
                        raise UpstreamError(f"JWK Set {url} answered HTTP {response.status_code}")
                    async for chunk in response.aiter_bytes():
                        body += chunk
                        if len(body) > MAX_JWKS_BYTES:
                            raise UpstreamError(f"JWK Set {url} is larger than {MAX_JWKS_BYTES} bytes")
        except TimeoutError:
            raise UpstreamError(f"JWK Set {url} timed out after {self._timeout} s") from None
        except httpx.HTTPError as exc:
            raise UpstreamError(f"JWK Set {url} fetch failed: {type(exc).__name__}") from None
        try:
            keys = keys_from_jwks(json.loads(body))
        except ValueError as exc:
            raise UpstreamError(f"JWK Set {url}: {exc}") from None
        logger.info("loaded JWK Set %s (%d usable keys)", url, len(keys))
        return keys
