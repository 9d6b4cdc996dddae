"""Explanation snapshots stored compactly (payload version 2) read back as version 1, and every page is the same.

Version 2 stores the rule set and the library's comments once per rule set (`explanation_part`) and the card
without its trace extension (cut again from the whole trace when read). What the page shows must not change:
here the version-1 payload, as the service wrote it before, is made beside the version-2 one for every fixture
(patient-view, and each draft order as order-select and order-sign) and generated in-scope, 200-IgG and
long-history charts, and `read_payload` must give it back byte for byte; pages rendered from a version-1 row
(as an older service left it in the database) and from a version-2 row written by the card store are the same
HTML; and a downgrade of the schema deletes the rows the older code cannot read.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import uuid as uuids
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest
import sqlalchemy as sa

from bench.patients import EVALUATION_DATE, cohort
from cds_service.cards.trace import TRACE_EXTENSION, card_trace, trace_json
from cds_service.fhir.request import parse_hook_request
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.http.explain_page import render_page
from cds_service.pipeline import Answer, answer_local
from cds_service.records import snapshot as snapshot_module
from cds_service.records import store as store_module
from cds_service.cards.notes import note_json
from cds_service.records.snapshot import (DOSE_COURSES, dose_courses_json, payload, read_payload, ruleset_json,
                                          stored_facts)
from cds_service.records.store import CardStore
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import load_drafts, request_from_bundle
from cql_like_rules.facts import to_json

from .fixtures import FIXTURES, load_fixtures
from .servers import SettableClock

RUNTIME = load_runtime(Settings())
DRAFTS = load_drafts([str(p) for p in sorted((FIXTURES / "drafts").glob("*.draft.json"))])
NOW = datetime(2026, 1, 20, 11, 30, tzinfo=timezone.utc)


def payload_v1(answer: Answer, index: int) -> dict[str, Any]:
    """The snapshot as version 1 stored it (the service's `payload` until version 2, written out)."""
    card, advice = answer.cards[index], answer.advice[index]
    steps = answer.evaluation.trace_for(advice)
    trace = trace_json(steps, limit=None)
    for step, shown in zip(steps, trace):
        shown["comment"] = step.comment  # type: ignore[index]
    return {
        "version": 1, "card": card, "hook": answer.request.hook, "ruleset": ruleset_json(RUNTIME.ruleset),
        "evaluation_date": answer.today.isoformat(),
        # the facts, and since rule set 1.1.1 the courses of doses the rules made beside them (an older row has none:
        # tests/test_explain_rules_courses.py renders one)
        "facts": {**to_json(stored_facts(answer.facts)),  # type: ignore[dict-item]
                  DOSE_COURSES: dose_courses_json(answer.facts, answer.evaluation.dose_courses())}, "trace": trace,
        "notes": [note_json(n) for n in answer.notes],
        "advice": {"code": advice.code, "variant": advice.variant, "indicator": advice.indicator,
                   "rule": advice.rule, "section": advice.section, "information_only": advice.information_only,
                   "values": {k: to_json(v) for k, v in advice.values.items()},
                   "evidence": list(advice.evidence), "caveats": list(advice.caveats)},
    }


def long_history() -> dict:
    """A fixture with 40 more IgG results since T0: lists past the card's limit, cut on the card, whole here."""
    bundle = copy.deepcopy(next(f for f in load_fixtures() if f.name == "cart-in-window-igg-low").bundle)
    igg = next(e for e in bundle["entry"] if e["resource"]["id"] == "obs-igg-0001-b")
    for n in range(40):
        extra = copy.deepcopy(igg)
        extra["resource"]["id"] = f"obs-igg-extra-{n}"
        extra["resource"]["effectiveDateTime"] = f"2025-12-{n % 28 + 1:02d}T{8 + n // 28:02d}:00:00+01:00"
        extra["fullUrl"] = f"urn:uuid:{uuids.UUID(int=n)}"
        bundle["entry"].append(extra)
    return bundle


def _of_patient(bundle: dict[str, Any], draft: dict[str, Any]) -> dict[str, Any]:
    """The draft as an order of the chart's own patient: another patient's draft is refused, not judged."""
    patient = request_from_bundle(bundle)["context"]["patientId"]
    return {**draft, "subject": {"reference": f"Patient/{patient}"}}


def answers() -> Iterator[tuple[str, Answer]]:
    for fixture in load_fixtures():
        for lang in ("en", "da"):
            request = parse_hook_request(request_from_bundle(fixture.bundle), "patient-view")
            yield f"{fixture.name}/{lang}", answer_local(request, RUNTIME, lang=lang, today=fixture.at)
        for draft in DRAFTS:
            for hook in ("order-select", "order-sign"):
                request = parse_hook_request(request_from_bundle(fixture.bundle, hook, [_of_patient(fixture.bundle, draft)]),
                                             hook)
                yield f"{fixture.name}+{draft['id']}/{hook}", answer_local(request, RUNTIME, today=fixture.at)
    yield "long-history", answer_local(parse_hook_request(request_from_bundle(long_history()), "patient-view"),
                                       RUNTIME, today=date(2026, 1, 20))
    for kind, n in (("in-scope", 40), ("in-scope-200-igg", 3)):
        for chart in cohort(kind, n, seed=5):
            yield chart.patient_id, answer_local(parse_hook_request(orjson.loads(chart.sendable()), "patient-view"),
                                                 RUNTIME, today=EVALUATION_DATE)


def test_version_2_reads_back_as_version_1_byte_for_byte() -> None:
    compared = cut = 0
    for name, answer in answers():
        for index in range(len(answer.cards)):
            old = orjson.loads(orjson.dumps(payload_v1(answer, index)))
            stored = orjson.dumps(payload(answer, index, RUNTIME.ruleset))
            assert len(stored) < len(orjson.dumps(old)) - 5000, name  # the comments and the rule set alone are ~5 KB
            new = read_payload(orjson.loads(stored))
            assert new is not None and new.pop("version") == 2 and old.pop("version") == 1
            assert orjson.dumps(new) == orjson.dumps(old), name
            compared += 1
            cut += any(isinstance(s.get("value"), dict) and "count" in s["value"]
                       for s in old["card"]["extension"][TRACE_EXTENSION])
    assert compared > 200 and cut > 0, (compared, cut)  # some cards cut a long list: the cut is made again from the whole trace


def test_the_card_trace_cut_from_the_whole_trace_is_the_cards() -> None:
    for name, answer in answers():
        for card, advice in zip(answer.cards, answer.advice):
            whole = orjson.loads(orjson.dumps(trace_json(answer.evaluation.trace_for(advice), limit=None)))
            assert orjson.dumps(card_trace(whole)) == orjson.dumps(card["extension"][TRACE_EXTENSION]), name


def test_a_card_whose_trace_is_not_the_snapshots_is_stored_whole() -> None:
    fixture = next(f for f in load_fixtures() if f.name == "cart-in-window-igg-low")
    answer = answer_local(parse_hook_request(request_from_bundle(fixture.bundle), "patient-view"), RUNTIME,
                          today=fixture.at)
    changed = copy.deepcopy(answer.cards[0])
    changed["extension"][TRACE_EXTENSION] = changed["extension"][TRACE_EXTENSION][:3]
    odd = dataclasses.replace(answer, cards=[changed])
    stored = orjson.loads(orjson.dumps(payload(odd, 0, RUNTIME.ruleset)))
    assert stored["card"]["extension"][TRACE_EXTENSION] == changed["extension"][TRACE_EXTENSION]
    back = read_payload(stored)
    assert back is not None and back["card"] == changed
    assert read_payload({**stored, "part": "0" * 64}) is None  # a part nobody stored: no page rather than half of one


PAGES = [("cart-in-window-igg-low", "en", None), ("cart-in-window-igg-low", "da", None),
         ("data-notes-that-could-change-the-decision-come-first", "da", None),
         ("cart-ig-active-stop-due-14-days", "en", "draft-ivig-0011"), ("cart-in-window-igg-low", "da", "draft-tec-0001")]


def page_answers() -> Iterator[tuple[str, Answer]]:
    fixtures = {f.name: f for f in load_fixtures()}
    for name, lang, draft_id in PAGES:
        fixture = fixtures[name]
        if draft_id is None:
            request = parse_hook_request(request_from_bundle(fixture.bundle), "patient-view")
        else:
            draft = next(d for d in DRAFTS if d["id"] == draft_id)
            request = parse_hook_request(request_from_bundle(fixture.bundle, "order-sign", [_of_patient(fixture.bundle, draft)]),
                                         "order-sign")
        yield f"{name}/{lang}", answer_local(request, RUNTIME, lang=lang, today=fixture.at)
    yield "long-history", answer_local(parse_hook_request(request_from_bundle(long_history()), "patient-view"),
                                       RUNTIME, today=date(2026, 1, 20))
    chart = cohort("in-scope-200-igg", 1, seed=5)[0]
    yield chart.patient_id, answer_local(parse_hook_request(orjson.loads(chart.sendable()), "patient-view"),
                                         RUNTIME, today=EVALUATION_DATE)


def test_pages_from_old_and_new_rows_are_the_same(tmp_path: Path) -> None:
    """A version-1 row an older service left in the database and the version-2 row the store writes now: one page."""
    url = f"sqlite:///{tmp_path / 'cds.sqlite3'}"
    store = CardStore(url, clock=SettableClock(NOW), explain_days=7, serialise=lambda a, i: payload(a, i, RUNTIME.ruleset))
    rendered = 0
    try:
        store.open()
        for name, answer in page_answers():
            assert answer.cards, name
            old_cards = [dict(card, uuid=str(uuids.uuid4())) for card in answer.cards]
            store.record_cards(PATIENT_VIEW_ID, "pt", f"old-{name}", old_cards)  # issued cards, no snapshot
            store.record_cards(PATIENT_VIEW_ID, "pt", f"new-{name}", answer.cards, answer)
            store.flush()
            with store.engine.begin() as connection:
                for index, card in enumerate(old_cards):
                    old = payload_v1(dataclasses.replace(answer, cards=old_cards), index)
                    connection.execute(store_module.explanation.insert().values(
                        card_uuid=card["uuid"], created=NOW, expires=datetime(2026, 1, 27, 11, 30, tzinfo=timezone.utc),
                        language=answer.lang, payload=orjson.dumps(old).decode()))
            for index, card in enumerate(answer.cards):
                new, old = store.snapshot(card["uuid"]), store.snapshot(old_cards[index]["uuid"])
                assert new is not None and old is not None, name
                assert new.payload["version"] == 2 and old.payload["version"] == 1
                page = render_page(new, RUNTIME.terminology)
                assert page == render_page(dataclasses.replace(old, card_uuid=card["uuid"]), RUNTIME.terminology), name
                assert "<svg" in page and 'id="reasoning"' in page
                rendered += 1
        with store.engine.connect() as connection:
            parts = connection.execute(sa.text("SELECT count(*) FROM explanation_part")).scalar_one()
        assert parts == 1  # one rule set: its part stored once
    finally:
        store.close()
    assert rendered >= len(PAGES) + 2


def test_a_page_whose_part_is_missing_answers_no_snapshot(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A part neither the database nor this process holds (another process made it): no page, and the log says why."""
    url = f"sqlite:///{tmp_path / 'cds.sqlite3'}"
    store = CardStore(url, clock=SettableClock(NOW), explain_days=7, serialise=lambda a, i: payload(a, i, RUNTIME.ruleset))
    try:
        answer = next(page_answers())[1]
        store.record_cards(PATIENT_VIEW_ID, "pt", "h", answer.cards, answer)
        store.flush()
        assert store.snapshot(answer.cards[0]["uuid"]) is not None
        with store.engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM explanation_part"))
        monkeypatch.setattr(snapshot_module, "_PARTS", {})
        assert store.snapshot(answer.cards[0]["uuid"]) is None
        assert "names a part the database does not hold" in caplog.text
    finally:
        store.close()


def test_a_downgrade_keeps_the_rows_the_older_code_reads(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    url = f"sqlite:///{tmp_path / 'cds.sqlite3'}"
    store = CardStore(url, clock=SettableClock(NOW), explain_days=7, serialise=lambda a, i: payload(a, i, RUNTIME.ruleset))
    try:
        answer = next(page_answers())[1]
        old_cards = [dict(card, uuid=str(uuids.uuid4())) for card in answer.cards]
        store.record_cards(PATIENT_VIEW_ID, "pt", "old", old_cards)
        store.record_cards(PATIENT_VIEW_ID, "pt", "new", answer.cards, answer)
        store.flush()
        with store.engine.begin() as connection:
            connection.execute(store_module.explanation.insert().values(
                card_uuid=old_cards[0]["uuid"], created=NOW, expires=datetime(2026, 1, 27, tzinfo=timezone.utc),
                language="en", payload=orjson.dumps(payload_v1(dataclasses.replace(answer, cards=old_cards), 0)).decode()))
    finally:
        store.close()  # its writer thread (and its purge) gone before the schema changes
    engine = store_module.make_engine(url)
    try:
        config = Config()
        config.set_main_option("script_location", str(store_module.MIGRATIONS_DIR))
        with engine.connect() as connection:
            connection.execution_options(sqlite_immediate=True)  # the write lock up front, as `migrate` takes it
            with connection.begin():
                config.attributes["connection"] = connection
                command.downgrade(config, "0003")
        with engine.connect() as connection:
            kept = connection.execute(sa.text("SELECT card_uuid FROM explanation")).scalars().all()
            tables = set(sa.inspect(connection).get_table_names())
        assert kept == [old_cards[0]["uuid"]] and "explanation_part" not in tables
    finally:
        engine.dispose()


def test_a_part_lost_under_a_running_store_is_written_again(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The store writes a part once per process: were its row lost under a running service (the schema taken down
    to 0003 and up again, a restored backup), every page of this process's cards named a part the database did not
    hold and answered 404 until a restart. The part is addressed by the digest of its bytes: the process that made
    it serves the page from its own copy and writes the row again with its next batch."""
    url = f"sqlite:///{tmp_path / 'cds.sqlite3'}"
    store = CardStore(url, clock=SettableClock(NOW), explain_days=7, serialise=lambda a, i: payload(a, i, RUNTIME.ruleset))
    try:
        [first, second] = [answer for _, answer in itertools.islice(page_answers(), 2)]
        store.record_cards(PATIENT_VIEW_ID, "pt", "h1", first.cards, first)
        store.flush()
        before = render_page(store.snapshot(first.cards[0]["uuid"]), RUNTIME.terminology)  # type: ignore[arg-type]
        with store.engine.begin() as connection:
            connection.execute(sa.text("DELETE FROM explanation_part"))
        shown = store.snapshot(first.cards[0]["uuid"])
        assert shown is not None and render_page(shown, RUNTIME.terminology) == before
        store.record_cards(PATIENT_VIEW_ID, "pt", "h2", second.cards, second)
        store.flush()
        with store.engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM explanation_part")).scalar_one() == 1
        assert "written again" in caplog.text
    finally:
        store.close()
