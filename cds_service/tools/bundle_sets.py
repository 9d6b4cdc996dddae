"""Replay many bundles at once, optionally checking each against its expectation sidecar.

Testers keep a folder of one-patient Bundles; beside `NAME.json` may lie
`NAME.expect.json` = `{"at": DATE, "expected": [codes], "summary_contains": {code: [text]},
"detail_contains": {code: [text]}, "evidence": {code: [FHIR reference]}}` (`evidence`: references
the card's reasoning — its `dk.igsub-cds.trace` extension — or its data notes must name). Every bundle goes through the same pipeline as a
single `replay`, so a passing set means the EHR would see the same cards. A
bundle that cannot be read is reported on its own line and the run goes on.
Each bundle walks the same pipeline as a call to the server (`replay.replay`).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable, TextIO

from ..errors import InputError, ServiceError
from ..runtime import Runtime
from .replay import load_bundle, replay, unsent_text, unsent_types

SIDECAR = ".expect.json"


@dataclass(frozen=True)
class Expectation:
    at: date | None
    expected: list[str] | None
    summary_contains: dict[str, list[str]] = field(default_factory=dict)
    detail_contains: dict[str, list[str]] = field(default_factory=dict)
    evidence: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Outcome:
    """One bundle's result: 'pass' / 'fail' / 'error', or 'ok' when nothing was checked."""

    path: Path
    status: str
    at: date | None = None
    codes: list[str] = field(default_factory=list)
    cards: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unsent: dict[str, int] = field(default_factory=dict)  # resource types no prefetch key asks for: not sent


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(SIDECAR)


def find_bundles(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; directories give their *.json (not sub-folders: those may hold other
    material, such as draft orders); sidecars are never bundles."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found += sorted(p for p in path.glob("*.json") if p.is_file() and not is_sidecar(p))
        elif not is_sidecar(path):
            found.append(path)
    return list(dict.fromkeys(found))


def sidecar_of(bundle: Path) -> Path:
    return bundle.with_name(bundle.name[: -len(".json")] + SIDECAR if bundle.name.endswith(".json") else bundle.name + SIDECAR)


def load_expectation(bundle: Path) -> Expectation | None:
    """The sidecar beside the bundle, or None; a broken sidecar is an InputError."""
    path = sidecar_of(bundle)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: unreadable expectation ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expectation must be a JSON object")
    try:
        at = date.fromisoformat(data["at"]) if data.get("at") else None
    except (TypeError, ValueError):
        raise InputError(f"{path}: 'at' {data.get('at')!r} is not a date (YYYY-MM-DD)") from None
    expected = data.get("expected")
    if expected is not None and not (isinstance(expected, list) and all(isinstance(c, str) for c in expected)):
        raise InputError(f"{path}: 'expected' must be a list of advice codes")
    return Expectation(at, expected, data.get("summary_contains") or {}, data.get("detail_contains") or {},
                       data.get("evidence") or {})


def evidence_of(card: dict[str, Any]) -> set[str]:
    """Every FHIR reference a card names: in its reasoning (trace extension) or its data notes."""
    from ..cards.trace import TRACE_EXTENSION

    refs = {ref for step in (card.get("extension") or {}).get(TRACE_EXTENSION, []) for ref in step.get("references", [])}
    return refs | {word.strip("()*.,;") for word in card.get("detail", "").split() if "/" in word}


def check(cards: list[dict[str, Any]], expectation: Expectation) -> list[str]:
    """What differs from the expectation; empty means pass."""
    problems = []
    codes = [c["source"]["topic"]["code"] for c in cards]
    if expectation.expected is not None and sorted(set(codes)) != sorted(set(expectation.expected)):
        problems.append(f"expected [{', '.join(sorted(expectation.expected))}], got [{', '.join(sorted(codes))}]")
    by_code = {c["source"]["topic"]["code"]: c for c in cards}
    for part, wanted in (("summary", expectation.summary_contains), ("detail", expectation.detail_contains)):
        for code, texts in wanted.items():
            card = by_code.get(code)
            if card is None:
                continue  # already reported as a code mismatch
            problems += [f"{code} {part} lacks {text!r}" for text in texts if text not in card.get(part, "")]
    for code, refs in expectation.evidence.items():
        card = by_code.get(code)
        if card is not None:
            named = evidence_of(card)
            problems += [f"{code} does not name {ref}" for ref in refs if ref not in named]
    return problems


def run_one(path: Path, runtime: Runtime, at: date | None, lang: str, expect: bool) -> Outcome:
    outcome = Outcome(path, "ok", at)
    try:
        expectation = load_expectation(path) if expect else None
        if expectation is not None and expectation.at is not None:
            outcome.at = expectation.at
        bundle = load_bundle(path)
        outcome.unsent = unsent_types(bundle)
        answered = replay(runtime, bundle, lang, at=outcome.at)
    except InputError as exc:
        outcome.status, outcome.problems = "error", [str(exc).removeprefix(f"{path}: ")]
        return outcome
    except ServiceError as exc:
        outcome.status, outcome.problems = "error", [f"the service would answer {exc.status}: {exc.message}"]
        return outcome
    outcome.cards = answered.cards
    outcome.codes = [c["source"]["topic"]["code"] for c in outcome.cards]
    if expectation is not None:
        outcome.problems = check(outcome.cards, expectation)
        outcome.status = "fail" if outcome.problems else "pass"
    elif expect:
        outcome.status = "unchecked"
    return outcome


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal (never in logs/pipes)."""

    def __init__(self, total: int, label: str = "", stream: TextIO | None = None, width: int = 30) -> None:
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty() and total > 0
        self.total, self.label, self.width, self.done = total, label, width, 0
        self.shown = -1

    def advance(self, n: int = 1, note: str = "") -> None:
        self.done += n
        if self.enabled:
            permille = 1000 * self.done // self.total
            if permille == self.shown and not note:
                return  # called per line while indexing: redraw only when the bar moves
            self.shown = permille
            filled = self.width * self.done // self.total
            bar = "#" * filled + "-" * (self.width - filled)
            self.stream.write(f"\r{self.label}[{bar}] {self.done}/{self.total} {note[:40]:<40}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * (self.width + len(self.label) + 60) + "\r")
            self.stream.flush()


def run_set(paths: list[Path], runtime: Runtime, at: date | None, lang: str, expect: bool) -> list[Outcome]:
    progress = Progress(len(paths), "replay ")
    outcomes = []
    for path in paths:
        outcomes.append(run_one(path, runtime, at, lang, expect))
        progress.advance(note=path.name)
    progress.close()
    return outcomes


STATUS_LABEL = {"pass": "PASS ", "fail": "FAIL ", "error": "ERROR", "ok": "     ", "unchecked": "---- "}


def render(outcomes: list[Outcome], expect: bool) -> str:
    """One line per bundle (problems indented below), then the summary table."""
    lines = []
    for o in outcomes:
        when = f"at {o.at}" if o.at else "at today"
        if o.status == "error":
            lines.append(f"{STATUS_LABEL['error']} {o.path}  {o.problems[0]}")
            continue
        codes = ", ".join(o.codes) or "(no cards)"
        summary = f"  {o.cards[0]['summary']}" if o.cards and not expect else ""
        lines.append(f"{STATUS_LABEL[o.status]} {o.path}  {when}  {codes}{summary}")
        lines += [f"        {p}" for p in o.problems]
        if o.unsent:
            lines.append(f"        not sent (no prefetch key asks for these types): {unsent_text(o.unsent)}")
    lines += ["", *summary_table(outcomes, expect)]
    return "\n".join(lines) + "\n"


def summary_table(outcomes: list[Outcome], expect: bool) -> list[str]:
    codes = Counter(code for o in outcomes for code in o.codes)
    codes["(no cards)"] = sum(1 for o in outcomes if o.status != "error" and not o.codes)
    width = max([len(c) for c in codes] + [12])
    out = [f"{'advice code':<{width}}  cards", f"{'-' * width}  -----"]
    out += [f"{code:<{width}}  {n:>5}" for code, n in sorted(codes.items(), key=lambda kv: (-kv[1], kv[0])) if n]
    status = Counter(o.status for o in outcomes)
    parts = [f"{len(outcomes)} bundle(s)"]
    if expect:
        parts += [f"{status['pass']} passed", f"{status['fail']} failed"]
        if status["unchecked"]:
            parts.append(f"{status['unchecked']} without expectation")
    parts.append(f"{status['error']} error(s)")
    return out + ["", ", ".join(parts)]


def as_json(outcomes: list[Outcome]) -> dict[str, Any]:
    """A machine-readable report for CI (a set has no single CDS Hooks response)."""
    return {
        "results": [
            {"bundle": str(o.path), "status": o.status, "at": o.at.isoformat() if o.at else None,
             "codes": o.codes, "problems": o.problems, "unsent": o.unsent, "cards": o.cards}
            for o in outcomes
        ],
        "summary": dict(Counter(o.status for o in outcomes)),
    }


def exit_code(outcomes: list[Outcome]) -> int:
    return 1 if any(o.status in ("fail", "error") for o in outcomes) else 0
