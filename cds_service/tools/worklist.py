"""A population worklist from a FHIR Bulk Data export: who needs action, most urgent first.

Each patient is evaluated by `evaluate_patient_resources`, the same path as a patient-view
call (`pipeline.answer_local`: pooling, facts, rules, validation of decisive resources). It
is a plain function of
(resources, day, runtime). The parent only indexes the export (offsets) and hands chunks of
patients to an engine: a local process pool, or a Dask cluster with `--dask`
(worklist_dask.py, docs/distributed.md). Either way each worker loads the runtime once,
reads its patients' lines by offset, runs `evaluate_chunk` and sends back only the rows
that need action; the parts are merged in chunk order, so the result does not depend on
the engine or on which worker finished first.
"""

from __future__ import annotations

import math
import os
import time
from array import array
from collections import Counter
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, Protocol, Sequence

from cql_like_rules import Advice
from cql_like_rules.catalogue import CATALOGUE
from cql_like_rules.facts import DataNote

from ..cards.notes import NOTE_TEXT, note_day, one_line, rank
from ..fhir.prefetch import identity
from ..fhir.request import parse_hook_request
from ..pipeline import answer_local
from . import CPR_SYSTEM
from .bundle_sets import Progress
from .replay import request_for
from .ndjson import ExportIndex, LineReader, build_index, export_files, patient_of
from ..runtime import Runtime, load_runtime
from ..settings import Settings

# Most urgent first: the catalogue's worklist rank (codes without one never need action here).
ACTION_ORDER = tuple(sorted((code for code, kind in CATALOGUE.items() if kind.worklist_rank is not None),
                            key=lambda code: CATALOGUE[code].worklist_rank or 0))
CHUNK_PATIENTS = 250


class AdviceRow(NamedTuple):
    """One advice for one patient, flat and picklable (a DataFrame row in Dask/Spark)."""

    patient_id: str
    identifier: str  # the patient's identifier in the chosen system (CPR by default), or ""
    code: str
    indicator: str
    action: bool
    t0: date | None
    t0_kind: str
    stop_date: date | None
    igg_g_l: float | None
    igg_date: date | None
    due_date: date | None
    summary: str
    igg_on_substitution: bool = False  # the IgG was taken on immunoglobulin or in its washout (§3.4)
    igg_comparator: str = ""  # the IgG's bound as the card shows it ("<1.0", ">3.0"); igg_g_l is the bare number
    # polyclonal IgG the total and M-protein bounds put no bound on (measure-igg m-protein-no-bound): the card says
    # "unknown", so the row does; igg_g_l is left empty (a CSV 0.0 would read as the lowest IgG on the list)
    igg_unknown: bool = False
    # what the card asks to be checked because the service chose between records that disagree ("check which is
    # valid": two IgGs of one day with no order between them, a copy sent both as a result and as withdrawn): the
    # card's words, so that a ward working from the list sees the choice before acting on it
    check: str = ""
    # which of the table's columns holds each record doubted ("igg", "t0"; "advice" for one no column shows: an order,
    # a dose), so the mark stands beside that record, not beside an IgG nobody doubts
    check_at: tuple[str, ...] = ()
    variant: str = ""  # the advice's situation: one may be on the worklist where its code is not


# Data notes whose card asks the clinician to check which record is valid: the service chose one of two that disagree,
# and the other could change the advice. Taken from the notes' own words, so that a note that asks it is never left off
# the list (a copy sent with two statuses, nothing saying which is the later, asks it too).
CHECK_NOTES = frozenset(kind for kind, (one, _) in NOTE_TEXT.items() if "check which is valid" in one("en"))


def check_text(notes: Iterable[DataNote], lang: str = "en") -> str:
    """The `CHECK_NOTES` among a card's data notes, each in the card's words (plain text, for a list or a CSV)."""
    found = sorted((n for n in notes if n.kind in CHECK_NOTES), key=lambda n: (rank(n.kind), n.source))
    return "; ".join(one_line(n.kind, lang, n.source, n.display, note_day(n) or "?", n.threshold, record_words=n.record_words)
                     for n in found)


def check_columns(notes: Iterable[DataNote], values: Mapping[str, object], igg_sources: set[str],
                  therapy_sources: set[str]) -> tuple[str, ...]:
    """The table columns of the records the `CHECK_NOTES` doubt: the IgG column for an IgG result (the one the row
    shows, or another read as IgG), the T0 column for a CAR-T or bsAb record (the row's T0, or another), else the
    advice's own (an immunoglobulin order or dose, a result of another kind: no column shows it)."""
    found: list[str] = []
    for n in notes:
        if n.kind not in CHECK_NOTES:
            continue
        if n.kind.startswith("igg-") or n.source == values.get("igg_source") or n.source in igg_sources:
            found.append("igg")
        elif n.source == values.get("t0_source") or n.source in therapy_sources:
            found.append("t0")
        else:
            found.append("advice")
    return tuple(dict.fromkeys(found))


def needs_action(advice: Advice) -> bool:
    """On the worklist: a ranked code whose advice asks for an action now (not information only); an IgG to measure
    that awaits its result (caveat `igg-pending`) is no action now: the card offers no second order."""
    return CATALOGUE[advice.code].worklist_rank_of(advice.variant) is not None and not advice.information_only \
        and "igg-pending" not in advice.caveats


def evaluate_patient_resources(resources: list[dict[str, Any]], today: date, runtime: Runtime, lang: str = "en",
                               identifier_system: str = CPR_SYSTEM) -> list[AdviceRow]:
    """All advice for one patient's resources on `today` (the same path as a patient-view call)."""
    patient_id = next((pid for r in resources if (pid := patient_of(r))), "")
    request = parse_hook_request(request_for(patient_id, [{"resource": r} for r in resources]), "patient-view")
    answered = answer_local(request, runtime, lang=lang, today=today)
    patient = answered.facts.patient
    wanted = identity(identifier_system, "")[0]  # the registry under either of its URIs (the CPR number's two)
    identifier = next((value for system, value in (patient.identifiers if patient else ())
                       if identity(system, value)[0] == wanted), "")
    notes = answered.explanation.get()[2] if answered.cards else ()  # notes ride on a card
    check = check_text(notes, lang)
    facts = answered.facts
    igg_sources = {r.source for r in facts.igg} if check else set()
    therapy_sources = {x.source for x in facts.car_t} | {x.source for x in facts.bsab} if check else set()
    rows = []
    for a, card in zip(answered.advice, answered.cards):
        v = a.values
        unknown = (v.get("m_protein") is not None and str(v.get("igg_comparator") or "").startswith(">")
                   and isinstance(v.get("igg"), float) and float(v["igg"]) <= 0)  # type: ignore[arg-type]
        rows.append(AdviceRow(
            patient_id, identifier, a.code, a.indicator, needs_action(a), v.get("t0"), str(v.get("t0_kind", "")),  # type: ignore[arg-type]
            v.get("stop_date"), None if unknown else v.get("igg"), v.get("igg_date"), _due(a),  # type: ignore[arg-type]
            card["summary"], "igg-during-substitution" in a.caveats, str(v.get("igg_comparator") or ""), unknown,
            check, check_columns(notes, v, igg_sources, therapy_sources) if check else (), a.variant,
        ))
    return rows


def _due(advice: Advice) -> Any:
    """The day by which the row's action is due: the advice's own due date, or for a course booked after the stop date
    with nothing to support it, its first dose (the order is to be held before it)."""
    if advice.code == "no-start-without-infections" and advice.variant == "booked-after-window":
        return advice.values.get("booked_start")
    return advice.values.get("due_date")


def urgency(row: AdviceRow) -> tuple[Any, ...]:
    """Sort key: the situation's rank, the code's place among the codes of that rank, then the oldest stop/due date
    first, then patient id."""
    place = CATALOGUE[row.code].worklist_rank_of(row.variant) if row.code in CATALOGUE else None
    order = ACTION_ORDER.index(row.code) if row.code in ACTION_ORDER else len(ACTION_ORDER)
    when = row.due_date or row.stop_date or date.max
    return float("inf") if place is None else place, order, when, row.patient_id


@dataclass
class ChunkResult:
    rows: list[AdviceRow] = field(default_factory=list)  # only rows that need action
    codes: Counter[str] = field(default_factory=Counter)  # every advice code seen
    patients: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class WorklistResult:
    at: date
    rows: list[AdviceRow]
    codes: Counter[str]
    patients: int
    lines: int
    invalid_json: int
    no_patient: int
    examples: list[str]
    errors: list[tuple[str, str]]
    seconds: float
    jobs: int
    engine: str = "process(es)"  # what `jobs` counts: local processes or Dask workers


# -- worker side ---------------------------------------------------------------------------
_WORKER: dict[str, Any] = {}


def _init_worker(files: list[str], settings: Settings, identifier_system: str = CPR_SYSTEM) -> None:
    """Once per worker process: the runtime (value sets, parameters) and open files."""
    _WORKER["runtime"] = load_runtime(settings)
    _WORKER["reader"] = LineReader(files)
    _WORKER["identifier_system"] = identifier_system


def _evaluate_chunk(chunk: list[tuple[str, array[int]]], today: date) -> ChunkResult:
    return evaluate_chunk(chunk, today, _WORKER["runtime"], _WORKER["reader"], _WORKER["identifier_system"])


def evaluate_chunk(chunk: list[tuple[str, array[int]]], today: date, runtime: Runtime, reader: LineReader,
                   identifier_system: str = CPR_SYSTEM) -> ChunkResult:
    """The unit of work of every engine: a chunk of (patient id, line offsets) in, counts and action rows out."""
    out = ChunkResult()
    for patient_id, flat in chunk:
        out.patients += 1
        try:
            rows = evaluate_patient_resources(reader.read(flat), today, runtime, identifier_system=identifier_system)
        except Exception as exc:  # one patient's bad data must not stop the population run
            out.errors.append((patient_id, f"{type(exc).__name__}: {exc}"[:300]))
            continue
        for row in rows:
            out.codes[row.code] += 1
            if row.action:
                out.rows.append(row)
    return out


# -- parent side ---------------------------------------------------------------------------
def _chunks(index: ExportIndex, size: int) -> Iterable[list[tuple[str, array[int]]]]:
    chunk: list[tuple[str, array[int]]] = []
    for item in index.patients.items():
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


Chunk = list[tuple[str, "array[int]"]]


class Engine(Protocol):
    """Evaluates chunks somewhere and returns their results in chunk order."""

    workers: int
    label: str

    def evaluate(self, files: list[str], chunks: list[Chunk], today: date, settings: Settings,
                 identifier_system: str, done: Callable[[int], None]) -> list[ChunkResult]: ...


class ProcessPool:
    """This machine's cores: `jobs` worker processes (1 = in this process)."""

    label = "process(es)"

    def __init__(self, jobs: int | None) -> None:
        self.workers = max(1, jobs or os.cpu_count() or 1)

    def evaluate(self, files: list[str], chunks: list[Chunk], today: date, settings: Settings,
                 identifier_system: str, done: Callable[[int], None]) -> list[ChunkResult]:
        if self.workers == 1:
            _init_worker(files, settings, identifier_system)
            try:
                parts = []
                for chunk in chunks:
                    parts.append(_evaluate_chunk(chunk, today))
                    done(len(chunk))
                return parts
            finally:
                _WORKER.pop("reader").close()
        with ProcessPoolExecutor(self.workers, initializer=_init_worker,
                                 initargs=(files, settings, identifier_system)) as pool:
            futures = [pool.submit(_evaluate_chunk, chunk, today) for chunk in chunks]
            for future in as_completed(futures):
                done(future.result().patients)
            return [future.result() for future in futures]


def run_worklist(directory: str | Path, at: date, settings: Settings, jobs: int | None = None,
                 chunk_patients: int = CHUNK_PATIENTS, identifier_system: str = CPR_SYSTEM,
                 dask: str | None = None) -> WorklistResult:
    """Index the export, evaluate every patient on `at`, and collect the rows needing action.

    `dask` ("local", or a scheduler address such as tcp://host:8786) evaluates on a Dask
    cluster instead of the local process pool; the result is the same.
    """
    started = time.perf_counter()
    files = export_files(directory)
    load_runtime(settings)  # fail fast on a bad configuration, before any work
    if dask is None:
        return _run(files, at, settings, ProcessPool(jobs), chunk_patients, identifier_system, started)
    from .worklist_dask import DaskCluster  # the optional [dask] extra: imported only when asked for

    with DaskCluster(dask, jobs) as cluster:  # reached (or started) before indexing: fails fast
        return _run(files, at, settings, cluster, chunk_patients, identifier_system, started)


def _run(files: list[Path], at: date, settings: Settings, engine: Engine, chunk_patients: int,
         identifier_system: str, started: float) -> WorklistResult:
    total_bytes = sum(f.stat().st_size for f in files)
    indexing = Progress(max(total_bytes, 1), "index  ")
    index = build_index(files, on_bytes=indexing.advance if indexing.enabled else None)
    indexing.close()
    size = max(1, min(chunk_patients, math.ceil(len(index.patients) / (engine.workers * 4)) or 1))
    progress = Progress(len(index.patients), "assess ")
    total = ChunkResult()
    for part in engine.evaluate(index.files, list(_chunks(index, size)), at, settings, identifier_system,
                                progress.advance):
        _merge(total, part)
    progress.close()
    return WorklistResult(
        at, sorted(total.rows, key=urgency), total.codes, total.patients, index.lines, index.invalid_json,
        index.no_patient, index.examples, total.errors, time.perf_counter() - started, engine.workers, engine.label,
    )


def _merge(total: ChunkResult, part: ChunkResult) -> None:
    total.rows += part.rows
    total.codes += part.codes
    total.patients += part.patients
    total.errors += part.errors


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


# Advice on which nothing was checked (a therapy under a code the service does not know, or with no day; a malignancy
# not recognised): no IgG was looked for, so the table says so rather than "none", which would read as "no IgG on file"
NOTHING_CHECKED = frozenset({"therapy-not-recognised", "therapy-undated", "malignancy-not-recognised"})


CHECK_MARK = " (check which is valid)"


def _marked(text: str, row: AdviceRow, column: str) -> str:
    """A table cell, marked where the card doubts the record it shows (`AdviceRow.check_at`)."""
    return text + (CHECK_MARK if row.check and column in row.check_at else "")


def _igg_cell(row: AdviceRow) -> str:
    return _marked(_igg_value(row), row, "igg")


def _igg_value(row: AdviceRow) -> str:
    if row.igg_unknown:  # as the card's fact line: "Polyclonal IgG unknown on …"
        return f"polyclonal unknown {_fmt(row.igg_date)}"
    if row.igg_g_l is not None:  # one taken on substitution shows the infused immunoglobulin, as the card says (§3.4)
        return f"{row.igg_comparator}{_fmt(row.igg_g_l)} g/L {_fmt(row.igg_date)}" + (" on Ig" if row.igg_on_substitution else "")
    return "not used" if row.code in NOTHING_CHECKED else "none"


# igg_comparator and check last, so a reader that takes the columns by position still finds the older ones where they
# were
COLUMNS = ("patient_id", "identifier", "code", "indicator", "t0", "t0_kind", "stop_date", "igg_g_l", "igg_date", "due_date",
           "summary", "igg_comparator", "check")


def render_table(result: WorklistResult) -> str:
    """One line per patient needing action, then what was read and what was skipped."""
    head = ("patient", "identifier", "advice", "T0", "stop date", "IgG used")
    body = [
        (r.patient_id, r.identifier or "-", _marked(r.code, r, "advice"),
         _marked(f"{_fmt(r.t0)} {r.t0_kind}".strip(), r, "t0"), _fmt(r.stop_date), _igg_cell(r))
        for r in result.rows
    ]
    widths = [max([len(h)] + [len(row[i]) for row in body]) for i, h in enumerate(head)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

    out = [f"Worklist as of {result.at}: {len(result.rows)} of {result.patients} patients need action", "",
           line(head), line(["-" * w for w in widths]), *map(line, body), ""]
    counts = ", ".join(f"{code} {n}" for code, n in sorted(result.codes.items(), key=lambda kv: (-kv[1], kv[0])))
    out.append(f"advice codes (all patients): {counts or 'none'}")
    out.append(f"read {result.lines} lines; skipped {result.invalid_json} not valid JSON, "
               f"{result.no_patient} without a patient reference")
    out += [f"  {e}" for e in result.examples]
    if result.errors:
        out.append(f"{len(result.errors)} patient(s) could not be evaluated:")
        out += [f"  Patient/{pid}: {msg}" for pid, msg in result.errors[:10]]
    out.append(f"{result.patients} patients in {result.seconds:.1f} s with {result.jobs} {result.engine}")
    return "\n".join(out) + "\n"


def csv_rows(result: WorklistResult) -> Iterator[list[object]]:
    """The CSV's rows: `COLUMNS`, then one per patient who needs action, most urgent first."""
    yield list(COLUMNS)
    for row in result.rows:
        yield [_fmt(getattr(row, c)) if c != "igg_g_l" else ("" if row.igg_g_l is None else row.igg_g_l)
               for c in COLUMNS]
