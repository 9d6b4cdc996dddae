"""`cds-service compare-rulesets`: which patients' advice a policy or guideline change would change.

Every patient of a folder of one-patient Bundles, or of a FHIR Bulk Data export (NDJSON),
is answered twice through the same pipeline as a patient-view call — under rule set A and
rule set B (two `RuleSet` objects in one process) — and every patient whose advice differs
is listed. Run it on a hospital's export before a new policy file or guideline version goes
live: the list is the impact, patient by patient. A folder of Bundles may hold several
Bundles of one patient (a chart at different moments): each Bundle is its own row, named by
its file, and counted as a Bundle.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterator

from cql_like_rules import RulesError, load_ruleset

from ..errors import ConfigError, InputError, ServiceError
from ..fhir.request import parse_hook_request
from ..pipeline import answer_local
from ..runtime import Runtime
from .bundle_sets import find_bundles
from .ndjson import build_index, export_files, iter_patients, patient_of
from .replay import load_bundle, request_for, request_from_bundle

COLUMNS = ("bundle", "patient", "advice_a", "advice_b")


@dataclass(frozen=True)
class Difference:
    bundle: str  # the Bundle's file (relative to INPUT); "" for a patient of an NDJSON export
    patient: str
    advice_a: tuple[str, ...]
    advice_b: tuple[str, ...]


@dataclass
class Comparison:
    label_a: str
    label_b: str
    at: date
    evaluated: int = 0  # Bundles, or patients of an NDJSON export
    patient_ids: set[str] = dataclasses.field(default_factory=set)
    bundles: bool = True  # INPUT was Bundles (else an NDJSON export)
    differences: list[Difference] = dataclasses.field(default_factory=list)
    errors: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    @property
    def patients(self) -> int:
        """Distinct patients evaluated (several Bundles may hold one patient)."""
        return len(self.patient_ids)


def with_ruleset(runtime: Runtime, ruleset_id: str, policy_file: str | None) -> Runtime:
    """The runtime with another rule set (its parameters from `policy_file` when given)."""
    try:
        return dataclasses.replace(runtime, ruleset=load_ruleset(ruleset_id, policy_file), kill_switch=None)
    except RulesError as exc:
        raise ConfigError(str(exc)) from None


def is_export(source: str | Path) -> bool:
    path = Path(source)
    return path.is_dir() and any(path.glob("*.ndjson"))


def requests_of(source: str | Path, export: bool | None = None) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(bundle, patient, request) for each Bundle of a folder (or one Bundle), or for each patient
    of an NDJSON export folder (bundle ""); `export`: whether it is one, when the caller has looked already."""
    path = Path(source)
    if is_export(path) if export is None else export:
        index = build_index(export_files(path))
        for pid, resources in iter_patients(index):
            yield "", pid, request_for(pid, [{"resource": r} for r in resources if patient_of(r) == pid])
        return
    bundles = find_bundles([path])
    if not bundles:
        raise InputError(f"{source}: no bundles (*.json) or NDJSON export (*.ndjson) found")
    for bundle_path in bundles:
        name = str(bundle_path.relative_to(path)) if path.is_dir() else bundle_path.name
        try:
            request = request_from_bundle(load_bundle(bundle_path))
        except InputError as exc:
            yield name, "", {"error": str(exc)}
            continue
        yield name, request["context"]["patientId"], request


def _codes(runtime: Runtime, request: dict[str, Any], at: date) -> tuple[str, ...]:
    """The advice codes (the public contract) the patient gets: what a difference is measured on."""
    answered = answer_local(parse_hook_request(request, "patient-view"), runtime, today=at)
    return tuple(a.code for a in answered.advice)


def compare(source: str | Path, runtime_a: Runtime, runtime_b: Runtime, at: date) -> Comparison:
    export = is_export(source)
    result = Comparison(runtime_a.ruleset.label, runtime_b.ruleset.label, at, bundles=not export)
    for bundle, patient, request in requests_of(source, export):
        result.evaluated += 1
        if "error" in request:
            result.errors.append((bundle or patient, str(request["error"])))
            continue
        result.patient_ids.add(patient)
        try:
            a, b = _codes(runtime_a, request, at), _codes(runtime_b, request, at)
        except ServiceError as exc:
            result.errors.append((bundle or patient, f"the service would answer {exc.status}: {exc.message}"))
            continue
        if a != b:
            result.differences.append(Difference(bundle, patient, a, b))
    return result


def render_text(result: Comparison) -> str:
    changed = len(result.differences)
    if result.bundles:
        counted = (f"{changed} of {result.evaluated} bundles ({len({d.patient for d in result.differences})} of "
                   f"{result.patients} patients) get different advice")
    else:
        counted = f"{changed} of {result.evaluated} patients get different advice"
    out = [f"Rule set A: {result.label_a}", f"Rule set B: {result.label_b}", f"As of {result.at}: {counted}", ""]
    rows = [([d.bundle] if result.bundles else []) + [d.patient] for d in result.differences]
    heads = (["bundle"] if result.bundles else []) + ["patient"]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(heads)]
    out.append("  ".join(f"{h:<{w}}" for h, w in zip(heads, widths)) + "  advice A  ->  advice B")
    for row, d in zip(rows, result.differences):
        out.append("  ".join(f"{c:<{w}}" for c, w in zip(row, widths))
                   + f"  {';'.join(d.advice_a) or '-'}  ->  {';'.join(d.advice_b) or '-'}")
    if result.errors:
        what = "bundle(s)" if result.bundles else "patient(s)"
        out += ["", f"{len(result.errors)} {what} could not be evaluated:"]
        out += [f"  {where}: {why}" for where, why in result.errors[:20]]
    return "\n".join(out) + "\n"


def csv_rows(result: Comparison) -> Iterator[list[str]]:
    """The CSV's rows: `COLUMNS`, then one per Bundle (or export patient) whose advice differs
    (codes joined by ';'; bundle empty for an NDJSON export)."""
    yield list(COLUMNS)
    for d in result.differences:
        yield [d.bundle, d.patient, ";".join(d.advice_a), ";".join(d.advice_b)]
