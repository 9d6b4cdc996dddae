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
import logging
import re
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cds_service.cards.notes import NOTE_TEXT, PAGE_NOTE_TEXT
from cds_service.fhir import prefetch
from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools import cli
from cds_service.tools.replay import request_from_bundle
from cql_like_rules.facts import NOTE_KINDS

from .fixtures import FIXTURES
from .pages import rendered
from .pages import stored as stored_snapshot
from .test_acceptance_admissions import chart as pneumonia_chart
from .test_acceptance_admissions import http, pneumonia, post  # noqa: F401 (http: the fixture)

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = load_runtime(Settings())
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
    return stored_snapshot(answer, RUNTIME)


def page(data: dict, lang: str) -> str:
    return rendered(data, lang, RUNTIME)


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


Scope = dict[str, list[ast.expr]]  # a name -> every value assigned to it


def _assigned(nodes: list[ast.AST]) -> Scope:
    """What each plain name is assigned (`kind = ...`, `kind, others = "copy-withdrawn", [...]`, `X: str = ...`)."""
    scope: Scope = {}
    for node in nodes:
        pairs: list[tuple[ast.expr, ast.expr]] = []
        if isinstance(node, ast.Assign):
            pairs = [(target, node.value) for target in node.targets]
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            pairs = [(node.target, node.value)]
        for target, value in pairs:
            if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple) and len(target.elts) == len(value.elts):
                pairs += list(zip(target.elts, value.elts))
            elif isinstance(target, ast.Name):
                scope.setdefault(target.id, []).append(value)
    return scope


def _own(tree: ast.AST) -> list[ast.AST]:
    """The nodes of a module or function body, not those of the functions defined in it (their own scope)."""
    out: list[ast.AST] = []
    todo = list(ast.iter_child_nodes(tree))
    while todo:
        node = todo.pop()
        out.append(node)
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo += ast.iter_child_nodes(node)
    return out


def _kinds_made(expr: ast.expr, scopes: list[Scope], seen: frozenset[str] = frozenset()) -> list[str] | None:
    """The kinds a `DataNote(...)`'s first argument can make: its strings (either branch of a condition), an
    f-string's pattern ("{kind}-stopped-not-given" as ".+-stopped-not-given"), or a name's every value: assigned in
    its function, else at the module's level, else a constant of another module (`ADMISSIONS_NOT_SENT`). None: a
    value no reading of the code gives (a loop's variable)."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [re.escape(expr.value)]
    if isinstance(expr, ast.IfExp):
        body, orelse = _kinds_made(expr.body, scopes, seen), _kinds_made(expr.orelse, scopes, seen)
        return None if body is None or orelse is None else body + orelse
    if isinstance(expr, ast.JoinedStr):
        return ["".join(re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in expr.values)]
    if isinstance(expr, ast.Name) and expr.id not in seen:
        values = next((scope[expr.id] for scope in scopes if expr.id in scope), [])
        kinds = [_kinds_made(v, scopes, seen | {expr.id}) for v in values]
        return None if not kinds or None in kinds else [k for ks in kinds if ks is not None for k in ks]
    return None


def _kinds_in_code() -> tuple[list[tuple[str, str]], list[tuple[str, int, str]]]:
    """Every kind pattern a `DataNote(...)` in the service's code makes, by file; and the calls whose kind no reading
    of the code gives (file, line, argument)."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8"))
             for path in [*(ROOT / "cds_service").rglob("*.py"), *(ROOT / "cql_like_rules").rglob("*.py")]}
    constants: Scope = {}  # module-level names of every module: an imported constant is read where it is defined
    for tree in trees.values():
        for name, values in _assigned(_own(tree)).items():
            constants.setdefault(name, []).extend(values)
    found, unknown = [], []
    for path, tree in trees.items():
        module = _assigned(_own(tree))
        for body in [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))]:
            nodes = _own(body)
            scopes = [_assigned(nodes), module, constants]
            for node in nodes:
                if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "DataNote" and node.args:
                    kinds = _kinds_made(node.args[0], scopes)
                    if kinds is None:
                        unknown.append((path.name, node.lineno, ast.unparse(node.args[0])))
                    found += [(path.name, pattern) for pattern in kinds or []]
    return found, unknown


def test_every_kind_the_code_makes_is_registered() -> None:
    """A note written with a new kind and no wording cannot slip through: the code's kinds, written out or through a
    constant or a variable, are `NOTE_KINDS`'. The one kind no reading of the code gives is a draft's that could not
    be read, taken from a list `_drug_unread` fills with kinds written out (checked here as strings)."""
    found, unknown = _kinds_in_code()
    assert len(found) > 60
    assert [(f, p) for f, p in found if not any(re.fullmatch(p, kind) for kind in NOTE_KINDS)] == []
    assert [(f, arg) for f, _, arg in unknown] == [("pipeline.py", "kind")], unknown
    assert ("prefetch.py", "admissions\\-not\\-sent") in found  # through its constant, ADMISSIONS_NOT_SENT


def test_a_note_of_a_kind_not_registered_is_logged_and_the_card_still_given(
        http: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:  # noqa: F811
    """A kind missing from `NOTE_KINDS` (here the admissions-not-sent note, its constant changed) answered a 500: the
    note refused when made, the whole answer with it. Now the card is given, the kind logged for the site to see."""
    monkeypatch.setattr(prefetch, "ADMISSIONS_NOT_SENT", "admissions-unsent")
    with caplog.at_level(logging.WARNING, logger="cql_like_rules.facts"):
        card = post(http, pneumonia_chart(pneumonia()), drop_encounters=True)  # asserts the 200
    assert card["summary"]
    assert "data note kind 'admissions-unsent' is not in NOTE_KINDS" in caplog.text


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
