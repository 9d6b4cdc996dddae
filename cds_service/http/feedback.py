"""`POST /cds-services/{id}/feedback` (CDS Hooks 2.0 §Feedback): what became of a card.

Checked strictly and as a whole: the first problem is answered with a 400 naming the
item and field, and then nothing of the batch is stored. Repeats are expected (clients
retry, and may report one card several times), so a stored item sent again is a success.
"""

from __future__ import annotations

import asyncio
import re
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Any, AsyncIterator, Iterable, Mapping

from anyio import CapacityLimiter, to_thread
from fastapi import FastAPI, Request
from starlette.responses import Response

from ..errors import BadRequest, check_json_content_type, unknown_service
from ..records.store import ACCEPTED, FLUSH_INTERVAL, OVERRIDDEN, CardStore, Feedback, IssuedCard
from ..settings import Settings
from .limits import parse_request_json, parsed_too_deep, too_deep_error

MAX_ITEMS = 1000  # a client reports what one user did; more in one call is a mistake
MAX_TEXT = 1000  # longest system, code or display kept from a client's Coding
OTHER_INSTANCE_GRACE = 4 * FLUSH_INTERVAL  # seconds to wait before calling a card unknown
FEEDBACK_THREADS = 8  # feedback's own worker threads: a flood of feedback leaves the shared pool (/readyz) free
RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def parse_timestamp(value: str) -> datetime | None:
    """An RFC 3339 date-time (offset required) in UTC, or None. Leap seconds are not accepted."""
    match = RFC3339.fullmatch(value)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    try:
        offset = timedelta(0) if zulu else timedelta(hours=int(off_h), minutes=int(off_m))
        if offset >= timedelta(days=1):
            return None
        tz = timezone(-offset if sign == "-" else offset)
        micro = int((fraction or "0")[:6].ljust(6, "0"))
        when = datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), micro, tz)
        return when.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        return None


def _string(item: Mapping[str, Any], name: str, where: str) -> str:
    value = item.get(name)
    if value is None:
        raise BadRequest(f"{where}.{name} is required")
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{where}.{name} must be a non-empty string")
    if "\x00" in value:
        raise BadRequest(f"{where}.{name} must not contain NUL characters")
    return value


def _optional_text(item: Mapping[str, Any], name: str, where: str) -> str | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadRequest(f"{where}.{name} must be a string")
    if len(value) > MAX_TEXT:
        raise BadRequest(f"{where}.{name} is longer than {MAX_TEXT} characters")
    if "\x00" in value:
        raise BadRequest(f"{where}.{name} must not contain NUL characters")
    return value


def _coding(value: Any, where: str) -> tuple[str, str, str | None]:
    """Any Coding will do (the client may have its own reasons); system and code are needed to count it."""
    if not isinstance(value, Mapping):
        raise BadRequest(f"{where} must be a Coding (an object with system and code)")
    system = _string(value, "system", where)
    code = _string(value, "code", where)
    if len(system) > MAX_TEXT or len(code) > MAX_TEXT:
        raise BadRequest(f"{where}.system and .code must be at most {MAX_TEXT} characters")
    return system, code, _optional_text(value, "display", where)


def _accepted(item: Mapping[str, Any], where: str) -> tuple[str, ...]:
    value = item.get("acceptedSuggestions")
    if value is None:
        raise BadRequest(f"{where}.acceptedSuggestions is required when the outcome is 'accepted'")
    if not isinstance(value, list) or not value:
        raise BadRequest(f"{where}.acceptedSuggestions must be a non-empty array")
    ids = []
    for j, suggestion in enumerate(value):
        if not isinstance(suggestion, Mapping):
            raise BadRequest(f"{where}.acceptedSuggestions[{j}] must be an object with an id")
        ids.append(_string(suggestion, "id", f"{where}.acceptedSuggestions[{j}]"))
    return tuple(ids)


def _item(item: Any, where: str) -> Feedback:
    if not isinstance(item, Mapping):
        raise BadRequest(f"{where} must be an object")
    card = _string(item, "card", where)
    outcome = item.get("outcome")
    if outcome is None:
        raise BadRequest(f"{where}.outcome is required")
    if outcome not in (ACCEPTED, OVERRIDDEN):
        raise BadRequest(f"{where}.outcome must be 'accepted' or 'overridden'")
    stamp = _string(item, "outcomeTimestamp", where)
    outcome_at = parse_timestamp(stamp)
    if outcome_at is None:
        raise BadRequest(f"{where}.outcomeTimestamp must be an RFC 3339 date-time with offset, e.g. 2026-01-20T10:05:31Z")
    if outcome == ACCEPTED:
        if item.get("overrideReason") is not None:
            raise BadRequest(f"{where}.overrideReason is only allowed when the outcome is 'overridden'")
        return Feedback(card, outcome, outcome_at, accepted_suggestions=_accepted(item, where))
    if item.get("acceptedSuggestions") is not None:
        raise BadRequest(f"{where}.acceptedSuggestions is only allowed when the outcome is 'accepted'")
    reason = item.get("overrideReason")
    if reason is None:
        return Feedback(card, outcome, outcome_at)
    where = f"{where}.overrideReason"
    if not isinstance(reason, Mapping):
        raise BadRequest(f"{where} must be an object")
    comment = reason.get("userComment")
    if comment is not None and not isinstance(comment, str):
        raise BadRequest(f"{where}.userComment must be a string")
    if reason.get("reason") is None:
        if comment is None:
            raise BadRequest(f"{where} must have a reason (Coding) or a userComment")
        return Feedback(card, outcome, outcome_at)
    system, code, display = _coding(reason["reason"], f"{where}.reason")
    return Feedback(card, outcome, outcome_at, reason_system=system, reason_code=code, reason_display=display)


def parse_feedback(body: Any) -> list[Feedback]:
    """The request's feedback items, checked for shape; raises `BadRequest` naming the first problem."""
    if not isinstance(body, Mapping):
        raise BadRequest("the request body must be a JSON object")
    items = body.get("feedback")
    if items is None:
        raise BadRequest("missing required field 'feedback'")
    if not isinstance(items, list) or not items:
        raise BadRequest("'feedback' must be a non-empty array")
    if len(items) > MAX_ITEMS:
        raise BadRequest(f"'feedback' has {len(items)} items; at most {MAX_ITEMS} are accepted in one request")
    return [_item(item, f"feedback[{i}]") for i, item in enumerate(items)]


def check_against_issued(items: Iterable[Feedback], issued: Mapping[str, IssuedCard], service_id: str) -> None:
    """Feedback only on cards this service issued, and only on suggestions those cards carried."""
    for i, item in enumerate(items):
        card = issued.get(item.card_uuid)
        if card is None:
            raise BadRequest(f"feedback[{i}].card is not a card issued by service '{service_id}'")
        if card.service_id != service_id:  # an integrator's slip: say where it belongs
            raise BadRequest(f"feedback[{i}].card is not a card issued by service '{service_id}': it was issued by "
                             f"'{card.service_id}'; send its feedback to /cds-services/{card.service_id}/feedback")
        for j, suggestion in enumerate(item.accepted_suggestions):
            if suggestion not in card.suggestions:
                raise BadRequest(f"feedback[{i}].acceptedSuggestions[{j}].id is not a suggestion of that card")


def store_feedback(store: CardStore, service_id: str, items: list[Feedback], *, final: bool = True) -> int | None:
    """Blocking: check against the store and commit the batch in one transaction.

    Not `final`: None when a card is not (yet) known, so the caller can wait for other
    instances' writers without holding a thread, and ask again with `final`.
    """
    store.flush()  # cards this instance issued a moment ago may still be queued
    uuids = {item.card_uuid for item in items}
    issued = store.issued(uuids)
    if not final and not uuids <= issued.keys():
        return None
    check_against_issued(items, issued, service_id)
    return store.add_feedback(items)


def install(app: FastAPI, store: CardStore, service_ids: Iterable[str], *,
            max_json_depth: int = Settings.max_json_depth) -> None:
    """Add the feedback route, and tie the store to the app's lifespan (open at start, flush at stop)."""
    add_feedback_route(app, store, service_ids, max_json_depth=max_json_depth)
    app.state.store = store
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(asgi_app: Any) -> AsyncIterator[Any]:
        await to_thread.run_sync(store.open)  # migrations; a database that cannot be used fails the start
        try:
            async with inner(asgi_app) as state:
                yield state
        finally:
            await to_thread.run_sync(store.close)

    app.router.lifespan_context = lifespan


def add_feedback_route(app: FastAPI, store: CardStore, service_ids: Iterable[str], *,
                       max_json_depth: int = Settings.max_json_depth) -> None:
    """`POST /cds-services/{id}/feedback` for each of `service_ids`; 200 `{}` once committed."""
    service_ids_order = list(service_ids)
    known = frozenset(service_ids_order)
    limiter: list[CapacityLimiter | None] = [None]

    async def feedback(service_id: str, request: Request) -> Response:
        if service_id not in known:
            raise unknown_service(service_id, service_ids_order)
        raw = await request.body()
        check_json_content_type(request.headers.get("content-type"))
        body = parse_request_json(raw, max_json_depth)
        if parsed_too_deep(raw, max_json_depth):
            raise too_deep_error(max_json_depth)
        items = parse_feedback(body)
        threads = limiter[0] = limiter[0] or CapacityLimiter(FEEDBACK_THREADS)  # made in the loop that uses it
        if await to_thread.run_sync(partial(store_feedback, store, service_id, items, final=False), limiter=threads) is None:
            # Perhaps issued by another instance whose writer has not committed it yet: wait on
            # the event loop (a sleeping worker thread would starve /readyz and other feedback).
            await asyncio.sleep(OTHER_INSTANCE_GRACE)
            await to_thread.run_sync(partial(store_feedback, store, service_id, items), limiter=threads)
        return Response(b"{}", media_type="application/json")

    app.add_api_route("/cds-services/{service_id}/feedback", feedback, methods=["POST"],
                      summary="Feedback on a card (CDS Hooks 2.0 §Feedback)")
