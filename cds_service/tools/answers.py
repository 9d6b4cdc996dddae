"""Every answer the service gives for a set of bundles, one JSON line each: to prove a refactor changes nothing.

For each one-patient Bundle (a file, or every `*.json` of a folder, as `replay` finds them) the answers are:

- patient-view, in English and Danish, on each of the bundle's days: the day of its expectation sidecar
  (`NAME.expect.json`, `at`), and, from its facts, each index event's day (T0) and three days either side of it,
  and the stop date of the last one (T0 + the window) with the day before and after it;
- order-select and order-sign, in English and Danish, on each of those days, for every draft file in the folder's
  `drafts/` (`*.draft.json`), each order made the bundle's patient's (another patient's draft is refused);
- the worklist rows (`cds-service worklist`'s per-patient evaluation) on each of those days, and the timeline
  (`cds-service timeline`, as of the sidecar's day, in both languages).

A refused request is an answer too (its status and message). Card and suggestion ids, random in every answer, are
numbered by first appearance; everything else is as a user sees it, with keys sorted. Lines are sorted by their
`key` (bundle, day, what, draft, language). Two trees compared: `cmp a.jsonl b.jsonl`.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterator

from cql_like_rules.library import add_months
from cql_like_rules.timeline import index_dates

from ..errors import InputError, ServiceError
from ..pipeline import Answer
from ..runtime import Runtime
from .bundle_sets import find_bundles, load_expectation
from .replay import load_bundle, load_drafts, replay, request_from_bundle

LANGS = ("en", "da")
ORDER_HOOKS = ("order-select", "order-sign")
AROUND_T0 = (-3, 0, 3)  # days from each index event
AROUND_STOP = (-1, 0, 1)  # days from the stop date of the last index event
DRAFTS_DIR = "drafts"
DRAFT_SUFFIX = ".draft.json"
# Ids made new in every answer (cards/ids.py: random by design, they must stay unguessable): a UUID, and the
# suggested resources' "igg-"/"ig-" + 12 hex digits.
RANDOM_ID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b|\bigg?-[0-9a-f]{12}\b")


def numbered_ids(value: Any) -> Any:
    """`value` (JSON) with every random id replaced by `#1`, `#2` ... in order of first appearance: the same id
    stays the same number, so a suggestion that refers to its card's id still does."""
    seen: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        return seen.setdefault(match.group(0), f"#{len(seen) + 1}")

    return json.loads(RANDOM_ID.sub(number, json.dumps(value, ensure_ascii=False, default=str)))


def line(key: list[str], body: dict[str, Any]) -> str:
    """One output line: the key first (the sort order), then the body with its keys sorted, ids numbered."""
    rest = json.dumps(numbered_ids(body), ensure_ascii=False, sort_keys=True, default=str, separators=(",", ":"))
    return '{"key":' + json.dumps("|".join(key), ensure_ascii=False) + ("," + rest[1:] if body else "}")


def answer_body(answered: Answer) -> dict[str, Any]:
    """What a user sees of an answer: the cards, and the data notes a tester reads with `replay`."""
    from ..cards.notes import note_json

    return {"status": 200, "cards": answered.cards, "notes": [note_json(n) for n in answered.notes]}


def refused(exc: ServiceError) -> dict[str, Any]:
    return {"status": exc.status, "message": exc.message}


def days_of(at: date | None, answered: Answer | None, window_months: int) -> dict[date, list[str]]:
    """The days a bundle is answered on, each with why: the sidecar's day, and the index events' from its facts."""
    days: dict[date, list[str]] = {}
    if at is not None:
        days.setdefault(at, []).append("expected")
    starts = index_dates(answered.facts) if answered is not None else []
    for t0, _ in starts:
        for offset in AROUND_T0:
            days.setdefault(t0 + timedelta(days=offset), []).append(f"t0{offset:+d}")
    if starts:
        stop = add_months(starts[-1][0], window_months)
        for offset in AROUND_STOP:
            days.setdefault(stop + timedelta(days=offset), []).append(f"stop{offset:+d}")
    return days


def draft_files(path: Path) -> list[Path]:
    """The draft files beside a bundle (or in a folder): `drafts/*.draft.json`."""
    folder = (path if path.is_dir() else path.parent) / DRAFTS_DIR
    return sorted(folder.glob(f"*{DRAFT_SUFFIX}")) if folder.is_dir() else []


def of_patient(draft: dict[str, Any], patient_id: str) -> dict[str, Any]:
    """The draft as an order of the bundle's patient (another patient's draft is refused, not judged)."""
    return {**copy.deepcopy(draft), "subject": {"reference": f"Patient/{patient_id}"}}


def _timeline_body(bundle: dict[str, Any], runtime: Runtime, at: date, lang: str) -> dict[str, Any]:
    from .timeline import build_timeline, patient_data

    timeline = build_timeline(patient_data(bundle, runtime), runtime, None, None, lang, at)
    return {"start": timeline.start, "end": timeline.end, "evaluated": timeline.evaluated,
            "changes": [{"day": s.day, "cards": s.cards} for s in timeline.changes],
            "reasons": {d.isoformat(): sorted({c.kind for c in cs}) for d, cs in sorted(timeline.reasons.items())},
            "on_substitution": sorted(timeline.on_substitution)}


def _worklist_body(bundle: dict[str, Any], runtime: Runtime, day: date) -> dict[str, Any]:
    from .worklist import evaluate_patient_resources

    resources = [e["resource"] for e in bundle.get("entry") or [] if isinstance(e, dict) and isinstance(e.get("resource"), dict)]
    rows = evaluate_patient_resources(resources, day, runtime)
    # a row's `check` only where the card asks to check a record: the answers of every other chart stay as they were
    return {"rows": [{k: v for k, v in row._asdict().items() if k != "check" or v} for row in rows]}


def bundle_lines(path: Path, runtime: Runtime, drafts: list[tuple[str, list[dict[str, Any]]]],
                 timeline: bool = True) -> Iterator[str]:
    """Every answer for one bundle (see the module's docstring)."""
    name = path.name.removesuffix(".json")
    try:
        expectation = load_expectation(path)
        bundle = load_bundle(path)
        patient_id = request_from_bundle(bundle)["context"]["patientId"]
    except InputError as exc:
        yield line([name], {"error": str(exc)})
        return
    at = expectation.at if expectation is not None else None
    try:
        first: Answer | None = replay(runtime, bundle, "en", at=at)
    except ServiceError:
        first = None  # refused: answered (and said) on the sidecar's day below
    days = days_of(at, first, runtime.ruleset.parameters.window_months)
    own_drafts = [(draft_name, [of_patient(d, patient_id) for d in orders]) for draft_name, orders in drafts]
    for day, why in sorted(days.items()):
        for lang in LANGS:
            key = [name, day.isoformat(), "patient-view", "", lang]
            try:
                yield line(key, {"why": why, **answer_body(replay(runtime, bundle, lang, at=day))})
            except ServiceError as exc:
                yield line(key, {"why": why, **refused(exc)})
            for draft_name, own in own_drafts:
                for hook in ORDER_HOOKS:
                    key = [name, day.isoformat(), hook, draft_name, lang]
                    try:
                        yield line(key, answer_body(replay(runtime, bundle, lang, hook, own, day)))
                    except ServiceError as exc:
                        yield line(key, refused(exc))
        yield line([name, day.isoformat(), "worklist", "", "en"], _worklist_body(bundle, runtime, day))
    if at is None:
        return  # the timeline is drawn as of the sidecar's day only
    if timeline:
        for lang in LANGS:
            key = [name, at.isoformat(), "timeline", "", lang]
            try:
                yield line(key, _timeline_body(bundle, runtime, at, lang))
            except InputError as exc:
                yield line(key, {"error": str(exc)})


def all_lines(paths: list[str | Path], runtime: Runtime, timeline: bool = True) -> list[str]:
    """The sorted lines for every bundle found under `paths`, with the drafts beside them."""
    lines: list[str] = []
    drafts_in: dict[Path, list[tuple[str, list[dict[str, Any]]]]] = {}
    for path in find_bundles(paths):
        if path.parent not in drafts_in:
            drafts_in[path.parent] = [(p.name.removesuffix(DRAFT_SUFFIX), load_drafts([str(p)])) for p in draft_files(path)]
        lines += bundle_lines(path, runtime, drafts_in[path.parent], timeline)
    return sorted(lines)


def write_answers(paths: list[str | Path], runtime: Runtime, out: str | Path, timeline: bool = True) -> int:
    """Write the lines to `out`; the number written."""
    lines = all_lines(paths, runtime, timeline)
    Path(out).write_text("".join(f"{text}\n" for text in lines), encoding="utf-8")
    return len(lines)

