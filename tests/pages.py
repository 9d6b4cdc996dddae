"""A card's explanation page as the service keeps and shows it: the answer's snapshot stored (JSON) and read back, then
rendered, so a test reads what a clinician opening the card's link reads."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from typing import Any

import orjson

from cds_service.fhir.request import parse_hook_request
from cds_service.http.explain_page import render_page
from cds_service.pipeline import Answer, answer_local
from cds_service.records.snapshot import Snapshot, payload, read_payload
from cds_service.runtime import Runtime

NOW = datetime(2026, 2, 20, 11, 30, tzinfo=timezone.utc)  # when the page is opened: shown, never evaluated


def stored(answered: Answer, runtime: Runtime, card: int = 0) -> dict[str, Any]:
    """The explanation snapshot of the answer's card, as stored and read back."""
    data = read_payload(orjson.loads(orjson.dumps(payload(answered, card, runtime.ruleset))))
    assert data is not None
    return data


def rendered(data: dict[str, Any], lang: str, runtime: Runtime, now: datetime = NOW) -> str:
    """The page (HTML) of a stored snapshot."""
    return render_page(Snapshot(str(uuid.uuid4()), now, now, lang, data), runtime.terminology)


def request_page(request: dict[str, Any], hook: str, at: date, lang: str, runtime: Runtime) -> str:
    """The page of the first card of the answer to a hook request on `at`."""
    answered = answer_local(parse_hook_request(request, hook), runtime, lang=lang, today=at)
    return rendered(stored(answered, runtime), lang, runtime)
