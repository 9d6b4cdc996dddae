"""Every data note reads in the run's language wherever it is shown in full (clinical-rules §8).

A note kind no card names was shown on the explanation page by its code ("statement-not-used") in both languages,
and `replay --lang da` listed every note by its English technical message only. Every kind is now one of
`NOTE_KINDS`, each with a wording in English and Danish; the page and replay show it, then the English technical
detail, labelled as such in the page's language.
"""

from __future__ import annotations

import ast
import copy
import html
import json
import re
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import orjson
import pytest

from cds_service.cards.notes import NOTE_TEXT, PAGE_NOTE_TEXT
from cds_service.fhir.request import parse_hook_request
from cds_service.http.explain_page import render_page
from cds_service.pipeline import answer_local
from cds_service.records.snapshot import Snapshot, payload, read_payload
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools import cli
from cds_service.tools.replay import request_from_bundle
from cql_like_rules.facts import NOTE_KINDS, DataNote

from .fixtures import FIXTURES

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = load_runtime(Settings())
NOW = datetime(2026, 2, 20, 11, 30, tzinfo=timezone.utc)
AT = date(2026, 1, 20)
SCIG = {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA01"}], "text": "Hizentra"}
NOT_TAKEN = {"resourceType": "MedicationStatement", "id": "ms-scig", "status": "not-taken",
             "medicationCodeableConcept": SCIG, "subject": {"reference": "Patient/pt-dk-0001"},
             "effectivePeriod": {"start": "2025-06-02"}}


def chart() -> dict:
    """A start card's chart with a home SCIG record saying it was not taken (a note no card names)."""
    bundle = copy.deepcopy(json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text(encoding="utf-8")))
    bundle["entry"].append({"resource": NOT_TAKEN})
    return bundle


def note_rows(page: str) -> list[list[str]]:
    [table] = re.findall(r'<table id="notes">(.*?)</table>', page, re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", " ", cell)).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>",
                                                                                             row, re.S)]
            for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)]


def stored(lang: str) -> dict:
    answer = answer_local(parse_hook_request(request_from_bundle(chart()), "patient-view"), RUNTIME, lang=lang, today=AT)
    data = read_payload(orjson.loads(orjson.dumps(payload(answer, 0, RUNTIME.ruleset))))
    assert data is not None
    return data


def page(data: dict, lang: str) -> str:
    return render_page(Snapshot(str(uuid.uuid4()), NOW, NOW, lang, data), RUNTIME.terminology)


@pytest.mark.parametrize("lang, words, technical", [
    ("en", "a medication record (2025-06-02) says it was not taken", "Technical detail"),
    ("da", "en medicinregistrering (2025-06-02) siger, at det ikke er taget", "Teknisk detalje (engelsk)"),
])
def test_the_page_words_a_note_no_card_names_in_its_language(lang: str, words: str, technical: str) -> None:
    rows = note_rows(page(stored(lang), lang))
    assert rows[0][-1] == technical, rows[0]
    [row] = [r for r in rows if "MedicationStatement/ms-scig" in r]
    assert row[0].startswith(words) and "statement-not-used" not in row[0], row
    assert "not taken" in row[-1], row  # the technical detail stays, in English


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_page_words_every_kind_of_note(lang: str) -> None:
    """Every kind the service can make, stored on a card's snapshot, reads in words on its page, never as its code."""
    data = stored(lang)
    data["notes"] = [{"kind": kind, "source": f"Observation/{kind}", "message": "technical", "display": "X",
                      "day": "2026-01-02", "threshold": 4.0, "record_words": False} for kind in sorted(NOTE_KINDS)]
    rows = note_rows(page(data, lang))[1:]
    assert len(rows) == len(NOTE_KINDS)
    assert [r[0] for r in rows if r[0] in NOTE_KINDS or not r[0]] == []
    assert all("{" not in r[0] for r in rows), [r[0] for r in rows if "{" in r[0]]


def test_every_kind_has_one_wording_in_english_and_danish() -> None:
    assert not set(NOTE_TEXT) & set(PAGE_NOTE_TEXT)
    assert set(NOTE_TEXT) | set(PAGE_NOTE_TEXT) == NOTE_KINDS
    for kind, text in PAGE_NOTE_TEXT.items():
        assert text.en and text.da and text.en != text.da, kind


def _kinds_made(expr: ast.expr) -> list[str]:
    """The kinds a `DataNote(...)`'s first argument can make: its strings (either branch of a condition), or an
    f-string's pattern ("{kind}-stopped-not-given" as ".+-stopped-not-given"); a name: its value is checked when made."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [re.escape(expr.value)]
    if isinstance(expr, ast.IfExp):
        return _kinds_made(expr.body) + _kinds_made(expr.orelse)
    if isinstance(expr, ast.JoinedStr):
        return ["".join(re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in expr.values)]
    return []


def test_every_kind_the_code_makes_is_registered() -> None:
    """A note written with a new kind and no wording cannot slip through: the code's kinds are `NOTE_KINDS`', and a
    note of another kind is refused when it is made."""
    found = []
    for path in [*(ROOT / "cds_service").rglob("*.py"), *(ROOT / "cql_like_rules").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "DataNote" and node.args:
                found += [(path.name, pattern) for pattern in _kinds_made(node.args[0])]
    assert len(found) > 60
    assert [(f, p) for f, p in found if not any(re.fullmatch(p, kind) for kind in NOTE_KINDS)] == []
    with pytest.raises(ValueError, match="no-such-kind"):
        DataNote("no-such-kind", "Observation/x", "message")


@pytest.mark.parametrize("lang, words", [
    ("en", "Observation/obs-igg-0029-x: A lab result of another patient was ignored. Technical detail: not about "
           "Patient/pt-dk-0029"),
    ("da", "Observation/obs-igg-0029-x: Et laboratoriesvar om en anden patient er ignoreret. Teknisk detalje "
           "(engelsk): not about Patient/pt-dk-0029"),
])
def test_replay_lists_the_notes_in_its_language_with_the_technical_detail(lang: str, words: str,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    wrong = str(FIXTURES / "wrong-patient-observation-dropped.json")
    assert cli.main(["replay", wrong, "--at", "2020-01-01", "--lang", lang]) == 0
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if line.startswith("  - ")]
    assert line.startswith(f"  - {words}"), line


def test_replay_words_a_note_no_card_names_in_danish(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle = tmp_path / "chart.json"
    bundle.write_text(json.dumps(chart()), encoding="utf-8")
    assert cli.main(["replay", str(bundle), "--at", AT.isoformat(), "--lang", "da"]) == 0
    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if line.startswith("  - MedicationStatement/ms-scig: ")]
    assert "En medicinregistrering (2025-06-02) siger, at det ikke er taget" in line, line
    assert "Teknisk detalje (engelsk): medication record with status 'not-taken'" in line, line
