"""Several instances on one PostgreSQL: cards issued by one, feedback taken by another, counted once."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from cds_service.http.app import create_app
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.tools.replay import load_bundle, request_from_bundle
from cds_service.records.report import collect, feedback_report
from cds_service.settings import Settings
from cds_service.records.store import CardStore, card_feedback, make_engine, migrate

from .pg_server import required_postgres
from .servers import ROOT, serve_in_thread
from .test_replay_record import sandbox_token

BUNDLE = Path(__file__).resolve().parents[1] / "fhir_fixtures" / "cart-in-window-igg-low.json"
SETTINGS = replace(Settings(), evaluation_date=date(2026, 1, 20))
WHEN = "2026-01-20T10:05:31Z"


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with required_postgres() as url:
        yield url


@pytest.fixture(scope="module")
def instances(database_url: str, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """Two services sharing the database (their data dirs are apart, to show nothing goes there)."""
    engine = make_engine(database_url)
    try:  # instances starting together: the migration lock lets exactly one create the schema
        threads = [threading.Thread(target=migrate, args=(engine,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        engine.dispose()
    clock = lambda: datetime(2026, 1, 20, 9, 0, tzinfo=timezone.utc)  # noqa: E731
    with ExitStack() as stack:
        bases = [stack.enter_context(serve_in_thread(create_app(
            replace(SETTINGS, data_dir=str(tmp_path_factory.mktemp(name)), database_url=database_url), clock=clock)))
            for name in ("a", "b")]
        yield bases[0], bases[1]


def issue(base: str) -> dict:
    response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=request_from_bundle(load_bundle(BUNDLE)), timeout=10)
    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    return card


def post(base: str, items: list[dict]) -> httpx.Response:
    return httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}/feedback", json={"feedback": items}, timeout=20)


def count(database_url: str, card_uuid: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                sa.select(sa.func.count()).select_from(card_feedback).where(card_feedback.c.card_uuid == card_uuid)).scalar_one()
    finally:
        engine.dispose()


def test_feedback_is_taken_by_the_instance_that_did_not_issue_the_card(instances, database_url):
    a, b = instances
    from_a, from_b = issue(a), issue(b)
    on_a = {"card": from_a["uuid"], "outcome": "accepted", "outcomeTimestamp": WHEN,
            "acceptedSuggestions": [{"id": from_a["suggestions"][0]["uuid"]}]}
    on_b = {"card": from_b["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN,
            "overrideReason": {"reason": {"system": "urn:igsub-cds:override-reason", "code": "specialist-decision",
                                          "display": "Specialist decision documented elsewhere"}}}
    assert post(b, [on_a]).status_code == 200  # A's card, possibly still in A's queue: B must not refuse it
    assert post(a, [on_b]).status_code == 200
    assert post(a, [on_a]).status_code == 200 and post(b, [on_b]).status_code == 200  # the same again, crosswise
    assert count(database_url, from_a["uuid"]) == 1 and count(database_url, from_b["uuid"]) == 1
    unknown = {**on_a, "card": str(uuid.uuid4())}
    assert post(a, [on_b, unknown]).status_code == 400

    engine = make_engine(database_url)
    try:
        [row] = collect(engine)
    finally:
        engine.dispose()
    assert (row.code, row.issued, row.accepted, row.overridden) == ("start-substitution", 2, 1, 1)
    assert row.reasons == [("Specialist decision documented elsewhere", 1)]
    text = feedback_report(replace(SETTINGS, database_url=database_url))
    assert text.splitlines()[1].split() == ["start-substitution", "2", "1", "1"]


def test_the_same_feedback_racing_to_both_instances_lands_once(instances, database_url):
    a, b = instances
    cards = [issue(a if i % 2 else b) for i in range(5)]
    items = [{"card": c["uuid"], "outcome": "accepted", "outcomeTimestamp": WHEN,
              "acceptedSuggestions": [{"id": c["suggestions"][1]["uuid"]}]} for c in cards]
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def send(base: str) -> None:
        barrier.wait()
        statuses.append(post(base, items).status_code)

    threads = [threading.Thread(target=send, args=(a if i % 2 else b,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 10
    assert [count(database_url, c["uuid"]) for c in cards] == [1] * 5


# -- two instances as a deployment runs them: CDS_AUTH on, one public URL, one PostgreSQL ------------
PUBLIC = "https://cds.example.org"  # both instances sit behind it: a token's aud names it, not a port
ISSUED_AT = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)  # apart from the other tests' cards in the report


@pytest.fixture(scope="module")
def secured_instances(database_url: str, tmp_path_factory) -> Iterator[tuple[str, str]]:
    from cds_service.settings import load_settings

    env = {"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(ROOT / "config" / "sandbox-trusted-issuers.json"),
           "CDS_PUBLIC_BASE_URL": PUBLIC, "CDS_LINK_SECRET": "l" * 32}
    with ExitStack() as stack:
        bases = [stack.enter_context(serve_in_thread(create_app(
            replace(load_settings(env), evaluation_date=SETTINGS.evaluation_date, database_url=database_url,
                    data_dir=str(tmp_path_factory.mktemp(f"secured-{name}"))), clock=lambda: ISSUED_AT)))
            for name in ("a", "b")]
        yield bases[0], bases[1]


def bearer(path: str, token: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token or sandbox_token(PUBLIC + path)}"}


def test_two_instances_share_cards_feedback_and_spent_tokens(secured_instances, database_url):
    """Two real servers (no balancer in between) on one PostgreSQL: what one knows, the other knows."""
    a, b = secured_instances
    service = f"/cds-services/{PATIENT_VIEW_ID}"
    feedback = f"{service}/feedback"
    body = request_from_bundle(load_bundle(BUNDLE))

    # A token spent at A is refused at B (and at A again); a fresh one passes at B.
    token = sandbox_token(PUBLIC + "/cds-services")
    assert httpx.get(f"{a}/cds-services", headers=bearer("/cds-services", token)).status_code == 200
    assert httpx.get(f"{b}/cds-services", headers=bearer("/cds-services", token)).status_code == 401
    assert httpx.get(f"{a}/cds-services", headers=bearer("/cds-services", token)).status_code == 401
    assert httpx.get(f"{b}/cds-services", headers=bearer("/cds-services")).status_code == 200

    # A card issued by A, feedback on it posted to B, then the same feedback to A: stored once.
    [from_a] = httpx.post(f"{a}{service}", json=body, headers=bearer(service), timeout=10).json()["cards"]
    [from_b] = httpx.post(f"{b}{service}", json=body, headers=bearer(service), timeout=10).json()["cards"]
    on_a = {"card": from_a["uuid"], "outcome": "accepted", "outcomeTimestamp": WHEN,
            "acceptedSuggestions": [{"id": from_a["suggestions"][0]["uuid"]}]}
    on_b = {"card": from_b["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN}
    for base, items in ((b, [on_a]), (a, [on_a]), (a, [on_b])):
        response = httpx.post(f"{base}{feedback}", json={"feedback": items}, headers=bearer(feedback), timeout=20)
        assert response.status_code == 200, response.text
    assert count(database_url, from_a["uuid"]) == 1 and count(database_url, from_b["uuid"]) == 1

    # The report, from the shared database, counts the cards of both instances.
    engine = make_engine(database_url)
    try:
        [row] = collect(engine, since=ISSUED_AT)
    finally:
        engine.dispose()
    assert (row.code, row.issued, row.accepted, row.overridden) == ("start-substitution", 2, 1, 1)

    # A card's "Why" page opens at either instance: the snapshot is in the shared database and
    # the link is signed with the deployment's key, whichever instance issued the card.
    for card, other in ((from_a, b), (from_b, a)):
        [link] = card["links"]
        assert link["url"].startswith(f"{PUBLIC}/explain/{card['uuid']}?t=")
        page = opened(link["url"].replace(PUBLIC, other))
        assert page.status_code == 200, page.text
        assert "2026-01-13" in page.text and "Observation/obs-igg-0001-b" in page.text  # the IgG and its source
    forged = from_a["links"][0]["url"].replace(PUBLIC, b).replace(from_a["uuid"], from_b["uuid"])
    assert httpx.get(forged, timeout=10).status_code == 403  # a link is bound to its own card


def opened(url: str, within: float = 5.0) -> httpx.Response:
    """GET an explanation page, allowing the issuing instance its background write (a flush interval)."""
    deadline = time.monotonic() + within
    while True:
        page = httpx.get(url, timeout=10)
        if page.status_code != 404 or time.monotonic() > deadline:
            return page
        time.sleep(0.05)


def test_a_card_committed_between_the_two_reads_of_issued_is_not_found_yet(database_url):
    """`issued` reads cards, then their suggestions, in two statements, and PostgreSQL shows each statement
    what was committed when it began: another instance's batch committing in between is not found by this
    read (feedback waits and asks again), never a KeyError (a 500 to the feedback's sender)."""
    store, other = CardStore(database_url, flush_interval=3600), CardStore(database_url, flush_interval=3600)
    first, late = str(uuid.uuid4()), str(uuid.uuid4())
    try:
        store.open()
        other.open()
        store.record_cards(PATIENT_VIEW_ID, "p-1", "h-1", [{"uuid": first, "suggestions": [{"uuid": "s-1"}]}])
        store.flush()
        fired = []

        def between(conn, cursor, statement, parameters, context, executemany):
            if "card_suggestion" in statement and not fired:
                fired.append(True)
                other.record_cards(PATIENT_VIEW_ID, "p-2", "h-2", [{"uuid": late, "suggestions": [{"uuid": "s-2"}]}])
                other.flush()

        sa.event.listen(store.engine, "before_cursor_execute", between)
        try:
            found = store.issued([first, late])
        finally:
            sa.event.remove(store.engine, "before_cursor_execute", between)
        assert fired and set(found) == {first} and found[first].suggestions == frozenset({"s-1"})
        assert set(store.issued([first, late])) == {first, late}  # the next read finds it
    finally:
        other.close()
        store.close()
