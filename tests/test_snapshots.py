"""Explanation snapshots in the card store: what is kept, serialised off the hook's path, deleted on time.

Real SQLite files, real answers from the pipeline for a shipped fixture.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import threading
import time
import uuid as uuids
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from cds_service.fhir.request import parse_hook_request
from cds_service.cards.notes import NOTES_EXTENSION
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.pipeline import Answer, answer_local
from cds_service.records.snapshot import payload, read_payload, stored_facts
from cds_service.records import store as store_tables
from cds_service.records.store import SERIALISE_INLINE_AFTER, CardStore
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import load_bundle, request_from_bundle
from cql_like_rules.facts import facts_from_json

from .servers import ROOT, SettableClock

BUNDLE = ROOT / "fhir_fixtures" / "cart-in-window-igg-low.json"  # as of 2026-01-20: start-substitution, IgG 3.2 g/L
AT = date(2026, 1, 20)
CPR = "1704611457"  # the fixture patient's identifier: never stored
RUNTIME = load_runtime(Settings(evaluation_date=AT))


def answered(bundle: dict | None = None) -> Answer:
    return answer_local(parse_hook_request(request_from_bundle(bundle or load_bundle(BUNDLE)), "patient-view"), RUNTIME)


def serialise(answer: Any, index: int) -> dict:
    return payload(answer, index, RUNTIME.ruleset)


def snapshot_rows(directory: Path) -> int:
    engine = sa.create_engine(f"sqlite:///{directory / 'cds.sqlite3'}")
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT count(*) FROM explanation")).scalar_one()
    finally:
        engine.dispose()


def test_the_writer_thread_serialises_snapshots_and_purges_them(tmp_path):
    """Serialisation happens off the hook's path; expired snapshots go without anyone asking."""
    clock = SettableClock(AT)
    answer = answered()
    threads: list[str] = []

    def watched(answer: Any, index: int) -> dict:
        threads.append(threading.current_thread().name)
        return serialise(answer, index)

    store = CardStore(f"sqlite:///{tmp_path / 'cds.sqlite3'}", clock=clock, explain_days=2, serialise=watched,
                      purge_interval=0.05)
    try:
        store.open()
        store.record_cards(PATIENT_VIEW_ID, "pt-dk-0001", "hook-1", answer.cards, answer)
        assert threads == []  # nothing serialised on the caller's thread
        deadline = time.monotonic() + 10
        while snapshot_rows(tmp_path) == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert threads == ["card-store-writer"]
        assert store.snapshot(answer.cards[0]["uuid"]) is not None
        clock.set(AT + timedelta(days=2))
        while snapshot_rows(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert snapshot_rows(tmp_path) == 0
    finally:
        store.close()


def test_a_backlog_of_snapshots_is_kept_and_each_page_finds_its_own(tmp_path):
    """The writer behind (here: not due for 10 s): later snapshots are serialised by the request, none dropped."""
    answer = answered()
    threads: list[str] = []

    def watched(answer: Any, index: int) -> dict:
        threads.append(threading.current_thread().name)
        return serialise(answer, index)

    issued = []
    store = CardStore(f"sqlite:///{tmp_path / 'cds.sqlite3'}", clock=SettableClock(AT), explain_days=7,
                      serialise=watched, flush_interval=10.0, batch_size=10_000)
    try:
        store.open()
        for n in range(50):
            cards = [dict(card, uuid=str(uuids.uuid4())) for card in answer.cards]
            issued.append(dataclasses.replace(answer, cards=cards))
            store.record_cards(PATIENT_VIEW_ID, "pt-dk-0001", f"hook-{n}", cards, issued[-1])
        assert threads == ["MainThread"] * (50 - SERIALISE_INLINE_AFTER)  # the first ones wait for the writer
    finally:
        store.close()
    assert snapshot_rows(tmp_path) == 50
    assert threads.count("card-store-writer") == SERIALISE_INLINE_AFTER
    kept = CardStore(f"sqlite:///{tmp_path / 'cds.sqlite3'}", clock=SettableClock(AT), explain_days=7, serialise=watched)
    try:
        for one in (issued[0], issued[-1]):
            found = kept.snapshot(one.cards[0]["uuid"])
            assert found is not None and found.payload["card"]["uuid"] == one.cards[0]["uuid"]
    finally:
        kept.close()


def test_a_shortened_retention_applies_to_stored_snapshots(tmp_path):
    clock = SettableClock(AT)
    answer = answered()
    url = f"sqlite:///{tmp_path / 'cds.sqlite3'}"
    store = CardStore(url, clock=clock, explain_days=7, serialise=serialise)
    store.record_cards(PATIENT_VIEW_ID, "pt-dk-0001", "hook-1", answer.cards, answer)
    store.close()
    clock.set(AT + timedelta(days=3))
    kept = CardStore(url, clock=clock, explain_days=7, serialise=serialise)
    try:
        assert kept.snapshot(answer.cards[0]["uuid"]) is not None
    finally:
        kept.close()
    shorter = CardStore(url, clock=clock, explain_days=2, serialise=serialise)
    try:
        assert shorter.snapshot(answer.cards[0]["uuid"]) is None
        assert shorter.purge_expired() == 1
    finally:
        shorter.close()


def test_a_cards_data_notes_are_stored_once_and_read_back_into_the_card():
    """The card's data-notes extension repeats the snapshot's notes (~1.2 KB a card with a few): stored once, the
    page reads the card exactly as it was sent."""
    bundle = load_bundle(ROOT / "fhir_fixtures" / "after-window-provisional-refuted-and-close-pneumonias-no-start.json")
    answer = answered(bundle)
    card = json.loads(json.dumps(answer.cards[0]))
    assert card["extension"][NOTES_EXTENSION]  # the fixture's card has data notes
    row = orjson.loads(orjson.dumps(payload(answer, 0, RUNTIME.ruleset)))
    assert row["card"]["extension"][NOTES_EXTENSION] is None and row["notes"] == card["extension"][NOTES_EXTENSION]
    stored = read_payload(row)
    assert stored is not None and stored["card"] == card


def test_the_purge_finds_expired_snapshots_by_index_not_by_reading_every_row(tmp_path):
    """The writer purges once a minute holding the write lock: at tens of thousands of snapshots a scan of the
    table took ~90 ms of CPU. Both ways a snapshot expires (its `expires`, a shortened retention by `created`)
    are searched by index, on a store brought up by the migrations."""
    url = f"sqlite:///{tmp_path / 'cds.sqlite3'}"
    store = CardStore(url, clock=SettableClock(AT), explain_days=7, serialise=serialise)
    try:
        store.purge_expired()  # migrates the empty store
        statement = sa.delete(store_tables.explanation).where(store._expired())
        compiled = statement.compile(store.engine, compile_kwargs={"literal_binds": True})
        with store.engine.connect() as connection:
            plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")]
    finally:
        store.close()
    assert not any(step.startswith("SCAN") for step in plan), plan
    assert any("ix_explanation_expires" in step for step in plan) and any("ix_explanation_created" in step for step in plan), plan


def test_the_snapshot_holds_the_whole_basis_and_no_identifier(tmp_path):
    bundle = load_bundle(BUNDLE)
    igg = next(e for e in bundle["entry"] if e["resource"]["id"] == "obs-igg-0001-b")
    for day in range(25):  # more results since T0 (2025-11-18) than a card's trace shows
        extra = copy.deepcopy(igg)
        extra["resource"]["id"] = f"obs-igg-extra-{day}"
        extra["resource"]["effectiveDateTime"] = f"2025-12-{day + 1:02d}T08:00:00+01:00"
        extra["fullUrl"] = f"urn:uuid:{uuids.uuid4()}"
        bundle["entry"].append(extra)
    answer = answered(bundle)
    row = orjson.loads(orjson.dumps(payload(answer, 0, RUNTIME.ruleset)))  # as the card store writes it
    # Stored compactly: the rule set and the comments in the shared part, the card's trace cut again when read.
    assert row["version"] == 2 and "ruleset" not in row and row["card"]["extension"]["dk.igsub-cds.trace"] is None
    assert not any("comment" in step for step in row["trace"])
    stored = read_payload(row)  # as the page reads it
    assert stored is not None
    assert stored["card"] == json.loads(json.dumps(answer.cards[0]))
    assert stored["ruleset"]["label"] == RUNTIME.ruleset.label
    assert stored["ruleset"]["parameters"]["igg_start_threshold_g_l"] == 4.0
    assert stored["evaluation_date"] == "2026-01-20"
    assert facts_from_json(stored["facts"]) == stored_facts(answer.facts)
    assert len(stored["facts"]["igg"]) == 27
    assert stored["advice"]["code"] == "start-substitution" and stored["advice"]["values"]["igg"] == 3.2
    trace = {step["name"]: step for step in stored["trace"]}
    assert trace["Latest IgG"]["comment"].startswith("The most recent relevant IgG")
    card_trace = {s["name"]: s for s in answer.cards[0]["extension"]["dk.igsub-cds.trace"]}
    # The card's trace cuts long lists; the snapshot keeps them whole.
    igg_steps = [n for n, s in card_trace.items() if isinstance(s.get("value"), dict) and "count" in s["value"]]
    assert igg_steps, "the card should cut at least one long list"
    for name in igg_steps:
        assert isinstance(trace[name]["value"], list) and len(trace[name]["value"]) == card_trace[name]["value"]["count"]
    assert CPR not in json.dumps(stored)


def test_a_snapshot_that_cannot_be_serialised_loses_only_itself(tmp_path):
    def broken(answer: Any, index: int) -> dict:
        raise ValueError("not serialisable")

    answer = answered()
    store = CardStore(f"sqlite:///{tmp_path / 'cds.sqlite3'}", explain_days=7, serialise=broken)
    try:
        store.record_cards(PATIENT_VIEW_ID, "pt-dk-0001", "hook-1", answer.cards, answer)
        store.flush()
        assert set(store.issued([answer.cards[0]["uuid"]])) == {answer.cards[0]["uuid"]}
        assert snapshot_rows(tmp_path) == 0
    finally:
        store.close()


def test_without_an_answer_or_with_retention_zero_nothing_is_kept(tmp_path):
    answer = answered()
    for days, given in ((7, None), (0, answer)):
        store = CardStore(f"sqlite:///{tmp_path / 'cds.sqlite3'}", explain_days=days, serialise=serialise)
        try:
            assert store.explains is (days > 0)
            store.record_cards(PATIENT_VIEW_ID, "pt-dk-0001", f"hook-{days}", answered().cards, given)
            store.flush()
        finally:
            store.close()
    assert snapshot_rows(tmp_path) == 0
