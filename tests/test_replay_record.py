"""One replay record for the whole deployment: spent JWT ids in the card store's database.

The record itself on a real SQLite file (atomic under racing threads, surviving a reopen,
expiring, purged), the verifier's token-lifetime policy, and the real server: `cds-service
serve --workers 2` accepts a token once whichever worker takes it, and still refuses it
after a restart on the same data directory. Several instances on PostgreSQL share the
record too: tests/test_store_postgres.py.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import jwt
import pytest

from cds_service.errors import ConfigError
from cds_service.http.auth import TokenVerifier
from cds_service.records.replay import DatabaseReplayRecord
from cds_service.records.store import CardStore
from cds_service.settings import SQLITE_FILE, auth_settings

from .servers import ROOT, serve_subprocess
from .test_auth import ISS, NOW, SERVICE_URL, Clock, bearer, claims, make_settings, rejected, sign
from .test_auth_app import KEY as SANDBOX_KEY

SANDBOX_KID = "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def store(tmp_path: Path):
    store = CardStore(f"sqlite:///{tmp_path / SQLITE_FILE}")
    yield store
    store.close()


# -- the record ---------------------------------------------------------------------------------
def test_a_token_id_is_spent_once_per_issuer(store: CardStore) -> None:
    record = DatabaseReplayRecord(store)
    assert record.first_use("https://a", "j1", 1_000_060, now=1_000_000)
    assert not record.first_use("https://a", "j1", 1_000_060, now=1_000_001)
    assert record.first_use("https://b", "j1", 1_000_060, now=1_000_001)  # another issuer's j1 is another token
    assert record.first_use("https://a", "j2", 1_000_060, now=1_000_001)


def test_the_record_survives_a_reopen(tmp_path: Path, store: CardStore) -> None:
    assert DatabaseReplayRecord(store).first_use("https://a", "j1", 2_000_000, now=1_000_000)
    store.close()
    again = CardStore(f"sqlite:///{tmp_path / SQLITE_FILE}")
    try:
        assert not DatabaseReplayRecord(again).first_use("https://a", "j1", 2_000_000, now=1_000_100)
    finally:
        again.close()


def test_a_record_whose_time_is_up_may_be_used_again_and_is_purged(store: CardStore) -> None:
    record = DatabaseReplayRecord(store, purge_every=1_000_000)
    assert record.first_use("https://a", "old", 1_000_060, now=1_000_000)
    assert not record.first_use("https://a", "old", 1_000_060, now=1_000_059)
    assert record.first_use("https://a", "old", 1_000_200, now=1_000_061)  # the old token is dead; this is a new one
    assert not record.first_use("https://a", "old", 1_000_200, now=1_000_062)
    for i in range(5):
        record.first_use("https://a", f"short-{i}", 1_000_100, now=1_000_062)
    assert record.count() == 6
    assert record.purge(now=1_000_150) == 5
    assert record.count() == 1


def test_purging_happens_by_itself_every_n_checks(store: CardStore) -> None:
    record = DatabaseReplayRecord(store, purge_every=10)
    for i in range(10):
        record.first_use("https://a", f"j{i}", 1_000 + i, now=0)
    assert record.count() == 10
    record.first_use("https://a", "late", 5_000, now=2_000)  # the 11th check purges first-check style
    assert record.count() == 1


def test_racing_threads_accept_a_token_exactly_once(store: CardStore) -> None:
    record = DatabaseReplayRecord(store)
    record.first_use("https://a", "warm-up", 10, now=0)
    barrier = threading.Barrier(16)

    def spend(_: int) -> bool:
        barrier.wait()
        return record.first_use("https://a", "contested", 2_000_000_000, now=1_000_000_000)

    with ThreadPoolExecutor(16) as pool:
        results = list(pool.map(spend, range(16)))
    assert results.count(True) == 1


# -- the verifier with the database record -------------------------------------------------------
@pytest.mark.anyio
async def test_the_verifier_spends_token_ids_in_the_database(tmp_path: Path, store: CardStore) -> None:
    settings = make_settings(tmp_path)
    token = sign()
    first = TokenVerifier(settings, clock=Clock(), replay=DatabaseReplayRecord(store))
    await first.verify(bearer(token), SERVICE_URL)
    second = TokenVerifier(settings, clock=Clock(NOW + 5), replay=DatabaseReplayRecord(store))  # another process
    assert "replayed" in await rejected(second, bearer(token))
    assert "replayed" in await rejected(first, bearer(token))


# -- the longest token accepted ------------------------------------------------------------------
@pytest.mark.anyio
async def test_tokens_valid_longer_than_the_policy_are_refused(tmp_path: Path) -> None:
    verifier = TokenVerifier(make_settings(tmp_path), clock=Clock())  # 3600 s, leeway 60 s
    await verifier.verify(bearer(sign(claims(exp=int(NOW) + 3600))), SERVICE_URL)
    await verifier.verify(bearer(sign(claims(exp=int(NOW) + 3660))), SERVICE_URL)  # clock skew tolerated
    reason = await rejected(verifier, bearer(sign(claims(exp=int(NOW) + 3661))))
    assert "CDS_AUTH_MAX_TOKEN_SECONDS" in reason
    assert "CDS_AUTH_MAX_TOKEN_SECONDS" in await rejected(verifier, bearer(sign(claims(exp=int(NOW) + 10**9))))


@pytest.mark.anyio
async def test_a_15_minute_token_issued_with_nbf_before_iat_passes(tmp_path: Path) -> None:
    """As Epic is reported to issue them: 15 minutes of life, nbf a few minutes before iat."""
    verifier = TokenVerifier(make_settings(tmp_path, CDS_AUTH_MAX_TOKEN_SECONDS="900"), clock=Clock())
    await verifier.verify(bearer(sign(claims(iat=int(NOW), nbf=int(NOW) - 300, exp=int(NOW) + 900))), SERVICE_URL)
    assert "CDS_AUTH_MAX_TOKEN_SECONDS" in await rejected(verifier, bearer(sign(claims(exp=int(NOW) + 1000))))


def test_max_token_seconds_setting(tmp_path: Path) -> None:
    assert make_settings(tmp_path).max_token_seconds == 3600
    assert make_settings(tmp_path, CDS_AUTH_MAX_TOKEN_SECONDS="300").max_token_seconds == 300
    with pytest.raises(ConfigError, match="CDS_AUTH_MAX_TOKEN_SECONDS"):
        auth_settings({"CDS_AUTH_MAX_TOKEN_SECONDS": "0"})
    assert ISS  # the issuer the helpers sign for


# -- the real server: two workers, then a restart -----------------------------------------------
def sandbox_token(aud: str, jti: str | None = None, kid: str = SANDBOX_KID) -> str:
    """A token as the CDS Hooks Sandbox signs it (its published key, tests/data), valid 5 minutes from now."""
    now = int(time.time())
    return jwt.encode({"iss": "https://sandbox.cds-hooks.org", "aud": aud, "exp": now + 300, "iat": now,
                       "jti": jti or str(uuid.uuid4())}, SANDBOX_KEY, algorithm="ES384", headers={"kid": kid, "typ": "JWT"})


def call(base: str, token: str) -> int:
    """One discovery call on a fresh connection, so either worker may take it."""
    with httpx.Client() as client:
        return client.get(f"{base}/cds-services", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code


def test_two_workers_and_a_restart_accept_a_token_once(tmp_path: Path) -> None:
    public = "https://cds.example.org"  # as behind a proxy: the token's aud survives the restart's new port
    env = {"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(ROOT / "config" / "sandbox-trusted-issuers.json"),
           "CDS_PUBLIC_BASE_URL": public, "CDS_DATA_DIR": str(tmp_path / "data"), "CDS_LOG_SALT": "test",
           "CDS_LINK_SECRET": "l" * 32}
    aud = f"{public}/cds-services"
    token, raced = sandbox_token(aud), sandbox_token(aud)
    with serve_subprocess(env, ["--workers", "2"]) as base:
        assert [call(base, token) for _ in range(10)] == [200] + [401] * 9
        with ThreadPoolExecutor(12) as pool:  # sent 12 times at once: both workers race to spend it
            statuses = list(pool.map(lambda _: call(base, raced), range(12)))
        assert sorted(statuses) == [200] + [401] * 11
    with serve_subprocess(env, ["--workers", "2"]) as base:  # same data directory: the record is still there
        assert call(base, token) == 401 and call(base, raced) == 401
        assert call(base, sandbox_token(aud)) == 200  # a fresh token passes: the refusals were the jti


# -- SQLite: token ids that arrive together are committed together --------------------------------
def test_token_ids_waiting_together_are_decided_in_one_transaction_each_id_once(tmp_path: Path, store: CardStore) -> None:
    record = DatabaseReplayRecord(store)
    assert record.first_use("https://a", "warm-up", 2_000_000_000, now=1_000_000_000)
    commits = record.commits
    blocker = sqlite3.connect(tmp_path / SQLITE_FILE, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock: the committer waits, the rest queue behind it
    jtis = ["contested"] * 16 + [f"own-{i}" for i in range(8)] + ["warm-up"]
    with ThreadPoolExecutor(len(jtis)) as pool:
        # The first id alone goes to the committer, which the lock holds up; the rest then queue behind it
        # (submitted together, two could otherwise reach the committer as one group and the rest never
        # number len - 1).
        futures = [pool.submit(record.first_use, "https://a", jtis[0], 2_000_000_000, 1_000_000_000)]
        deadline = time.monotonic() + 10
        while not futures[0].running() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.05)  # it queues its id
        while record.waiting() and time.monotonic() < deadline:  # taken by the committer, not yet committed
            time.sleep(0.01)
        futures += [pool.submit(record.first_use, "https://a", jti, 2_000_000_000, 1_000_000_000) for jti in jtis[1:]]
        while record.waiting() < len(jtis) - 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert record.waiting() >= len(jtis) - 1  # they all queued (else the commit count below proves nothing)
        assert not any(future.done() for future in futures)  # nobody is answered before their id is committed
        blocker.execute("COMMIT")
        results = [future.result(timeout=30) for future in futures]
    blocker.close()
    assert results[:16].count(True) == 1  # one acceptance of the contested id, wherever it sat in the group
    assert results[16:24] == [True] * 8 and results[24] is False  # the others decided one by one, as alone
    assert record.commits - commits <= 2  # the first id alone, then everyone who queued behind it
    assert not record.first_use("https://a", "contested", 2_000_000_000, now=1_000_000_001)


def test_a_group_whose_transaction_fails_is_refused_and_the_record_recovers(tmp_path: Path, store: CardStore) -> None:
    record = DatabaseReplayRecord(store)
    assert record.first_use("https://a", "before", 2_000_000_000, now=1_000_000_000)
    other = sqlite3.connect(tmp_path / SQLITE_FILE, isolation_level=None)
    other.execute("ALTER TABLE jwt_seen RENAME TO jwt_seen_away")  # the database refuses the statement
    with pytest.raises(sqlite3.OperationalError):  # raised to the verifier: the call is refused (fail closed)
        record.first_use("https://a", "during", 2_000_000_000, now=1_000_000_000)
    other.execute("ALTER TABLE jwt_seen_away RENAME TO jwt_seen")
    other.close()
    assert record.first_use("https://a", "during", 2_000_000_000, now=1_000_000_001)  # nothing was recorded for it
    assert not record.first_use("https://a", "before", 2_000_000_000, now=1_000_000_001)


def test_closing_the_store_stops_the_committer(store: CardStore) -> None:
    record = DatabaseReplayRecord(store)
    assert record.first_use("https://a", "j1", 2_000_000_000, now=1_000_000_000)
    assert any(thread.name == "replay-record" for thread in threading.enumerate())
    store.close()
    assert not any(thread.name == "replay-record" and thread.is_alive() for thread in threading.enumerate())
    with pytest.raises(RuntimeError, match="closed"):
        record.first_use("https://a", "j2", 2_000_000_000, now=1_000_000_000)


@pytest.mark.anyio
async def test_requests_awaiting_one_token_id_on_the_event_loop_accept_it_once(store: CardStore) -> None:
    record = DatabaseReplayRecord(store)
    assert await record.first_use_async("https://a", "warm-up", 2_000_000_000, 1_000_000_000)  # opens the store
    results = await asyncio.gather(*(record.first_use_async("https://a", "contested", 2_000_000_000, 1_000_000_000)
                                     for _ in range(16)),
                                   record.first_use_async("https://a", "other", 2_000_000_000, 1_000_000_000))
    assert results[:16].count(True) == 1 and results[16] is True
    assert not record.first_use("https://a", "contested", 2_000_000_000, now=1_000_000_001)  # a thread sees it spent too
