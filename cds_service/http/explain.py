"""The "Why?" link on every card, and the explanation page it opens.

A card's link is `{base}/explain/{card uuid}?t={token}`. The base is `CDS_PUBLIC_BASE_URL`,
else the scheme and host the EHR called. The token is a capability, not a login: an EHR's
embedded browser opens the link without the JWT the hook call carried, so the link itself
proves that the service issued it for this card, until when. It is
`{expiry}.{HMAC-SHA256(CDS_LINK_SECRET, card uuid and expiry)}` (Unix seconds, base64url),
valid for `CDS_LINK_TTL_SECONDS`. Nothing in the URL names the patient.

`GET /explain/{card uuid}?t=...` checks the token (constant-time), then finds the card's
snapshot in the card store and renders it (`explain_page.py`, off the event loop):
- a token that is missing, malformed, altered, made for another card or expired: 403;
- a valid token for a card with no snapshot (unknown, not kept, or past
  `CDS_EXPLAIN_RETENTION_DAYS`): 404.
Both answer the usual OperationOutcome and show nothing of any snapshot.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
from typing import Callable

from anyio import to_thread
from fastapi import FastAPI, Query, Request
from starlette.responses import Response

from ..cards.language import pick_language
from ..cards.render import Link
from ..errors import ConfigError, Forbidden, NotFound, ServiceError
from ..records.store import CardStore
from ..runtime import Runtime
from ..settings import MIN_LINK_SECRET, Settings
from .explain_page import PAGE_POLICY, refusal_page, render_page
from .hook_route import answer_error

log = logging.getLogger("cds_service.http.explain")

PATH = "/explain/{card_uuid}"
PURPOSE = b"igsub-cds explanation link v1"  # the MAC covers what the token is for, not only its data
TOKEN = re.compile(r"(\d{1,12})\.([A-Za-z0-9_-]{43})")
CARD_UUID = re.compile(r"[A-Za-z0-9-]{1,64}")
# Nothing may be loaded (no script, image, font, frame or form target); inline styles only,
# for the page's own CSS and the inline SVG. Any EHR may frame it: the page has no actions.
PAGE_HEADERS = {
    "Content-Security-Policy": f"{PAGE_POLICY}; frame-ancestors *",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
NO_STORE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}  # refusals (403, 404) too
NOT_VALID = ("this explanation link is not valid for this card: open it from the card as the service sent it (a link "
             "cut short or altered is refused, and so is every link issued before the service's link key changed: a "
             "restart without CDS_LINK_SECRET, or a new key)")
EXPIRED = "this explanation link has expired; the card's advice is shown with a new link when the chart is opened again"
NOT_KEPT = "no explanation is kept for this card (unknown card, or deleted after its retention period)"


class LinkSigner:
    """Makes and checks the tokens of explanation links."""

    def __init__(self, secret: str, ttl_seconds: int, now: Callable[[], float], *, ephemeral: bool = False) -> None:
        self._key = secret.encode("utf-8")
        self.ephemeral = ephemeral  # a key of this process only: logged once the server has started
        self.ttl_seconds = ttl_seconds
        self._now = now

    def token(self, card_uuid: str, expires: int) -> str:
        message = b"\x00".join((PURPOSE, card_uuid.encode("utf-8"), str(expires).encode("ascii")))
        mac = hmac.new(self._key, message, hashlib.sha256).digest()
        return f"{expires}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode('ascii')}"

    def links(self, base: str) -> Link:
        """Links for the cards of one answer: all expire `ttl_seconds` from now."""
        expires = int(self._now()) + self.ttl_seconds
        return lambda card_uuid: f"{base}/explain/{card_uuid}?t={self.token(card_uuid, expires)}"

    def check(self, card_uuid: str, token: str | None) -> None:
        """Raise `Forbidden` unless `token` was made for this card and has not expired."""
        found = TOKEN.fullmatch(token or "")
        if found is None or CARD_UUID.fullmatch(card_uuid) is None:
            raise Forbidden(NOT_VALID)
        expires = int(found.group(1))
        if not hmac.compare_digest(self.token(card_uuid, expires).encode("ascii"), token.encode("ascii")):  # type: ignore[union-attr]
            raise Forbidden(NOT_VALID)
        if expires <= self._now():
            raise Forbidden(EXPIRED)


EPHEMERAL_KEY_WARNING = ("CDS_LINK_SECRET is not set: explanation links are signed with a key of this process only "
                         "(they stop working on restart and at other instances or workers)")


LINK_SECRET_MISSING = ("CDS_AUTH=on but CDS_LINK_SECRET is not set: set it to one random key of at least "
                       f"{MIN_LINK_SECRET} characters shared by every instance (e.g. the output of python -c 'import "
                       "secrets; print(secrets.token_urlsafe(48))'), or CDS_EXPLAIN_RETENTION_DAYS=0 for cards without "
                       "a \"Why?\" link (docs/explanation.md)")


def link_signer(settings: Settings, now: Callable[[], float]) -> LinkSigner:
    """The deployment's signer; without `CDS_LINK_SECRET` (development only) a key for this process."""
    secret = settings.link_secret
    if secret is None:
        if settings.auth.enabled:  # settings made in code; load_settings refuses this already
            raise ConfigError(LINK_SECRET_MISSING)
        return LinkSigner(secrets.token_urlsafe(MIN_LINK_SECRET), settings.link_ttl_seconds, now, ephemeral=True)
    return LinkSigner(secret, settings.link_ttl_seconds, now)


def install(app: FastAPI, settings: Settings, runtime: Runtime, store: CardStore) -> Callable[[str], Link] | None:
    """Add `GET /explain/{card_uuid}`; returns what makes an answer's links from its base URL (None: no links)."""
    signer = link_signer(settings, lambda: runtime.clock().timestamp())
    app.state.link_signer = signer

    async def explain(request: Request, card_uuid: str,
                      t: str | None = Query(default=None, description="the link's token (from the card)")) -> Response:
        try:
            signer.check(card_uuid, t)
            snapshot = await to_thread.run_sync(store.snapshot, card_uuid)
            if snapshot is None:
                raise NotFound(NOT_KEPT)
        except ServiceError as exc:  # a refusal names a card: no cache between the clinician and us keeps it
            status, body = answer_error(exc, request.scope.setdefault("state", {}))
            if "text/html" in request.headers.get("accept", ""):  # a browser: a page a clinician or auditor can read
                page = refusal_page(status, exc.message == EXPIRED, pick_language(request.headers.get("accept-language")))
                return Response(page, status_code=status, media_type="text/html; charset=utf-8",
                                headers={**PAGE_HEADERS, **NO_STORE})
            return Response(body, status_code=status, media_type="application/json", headers=NO_STORE)
        page = await to_thread.run_sync(render_page, snapshot, runtime.terminology, runtime.kill_switch, runtime.tz)
        return Response(page, media_type="text/html; charset=utf-8", headers=PAGE_HEADERS)

    app.add_api_route(PATH, explain, methods=["GET"], tags=["explanation"],
                      summary="A card's explanation page (the link in the card's `links`)")
    if not store.explains:
        return None
    public = settings.public_base_url
    return lambda origin: signer.links(public or origin)
