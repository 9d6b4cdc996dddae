"""`cds-service compare-rulesets`: which patients' advice a policy or guideline change would change.

Every patient of a folder of one-patient Bundles, or of a FHIR Bulk Data export (NDJSON),
is answered twice through the same pipeline as a patient-view call — under rule set A and
rule set B (two `RuleSet` objects in one process) — and every patient whose advice differs
is listed. Run it on a hospital's export before a new policy file or guideline version goes
live: the list is the impact, patient by patient.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterator

from cql_like_rules import RulesError, load_ruleset

from ..errors import ConfigError, InputError, ServiceError
from ..fhir.request import parse_hook_request
from ..pipeline import answer_local
from ..runtime import Runtime
from .bundle_sets import find_bundles
from .ndjson import build_index, export_files, iter_patients, patient_of
from .replay import load_bundle, request_for, request_from_bundle

COLUMNS = ("patient", "advice_a", "advice_b")


@dataclass(frozen=True)
class Difference:
    patient: str
    advice_a: tuple[str, ...]
    advice_b: tuple[str, ...]


@dataclass
class Comparison:
    label_a: str
    label_b: str
    at: date
    patients: int = 0
    differences: list[Difference] = dataclasses.field(default_factory=list)
    errors: list[tuple[str, str]] = dataclasses.field(default_factory=list)


def with_ruleset(runtime: Runtime, ruleset_id: str, policy_file: str | None) -> Runtime:
    """The runtime with another rule set (its parameters from `policy_file` when given)."""
    try:
        return dataclasses.replace(runtime, ruleset=load_ruleset(ruleset_id, policy_file), kill_switch=None)
    except RulesError as exc:
        raise ConfigError(str(exc)) from None


def requests_of(source: str | Path) -> Iterator[tuple[str, dict]]:
    """(patient, request) for each patient: a folder of Bundles, one Bundle, or an NDJSON export folder."""
    path = Path(source)
    if path.is_dir() and any(path.glob("*.ndjson")):
        index = build_index(export_files(path))
        for pid, resources in iter_patients(index):
            yield pid, request_for(pid, [{"resource": r} for r in resources if patient_of(r) == pid])
        return
    bundles = find_bundles([path])
    if not bundles:
        raise InputError(f"{source}: no bundles (*.json) or NDJSON export (*.ndjson) found")
    for bundle_path in bundles:
        try:
            request = request_from_bundle(load_bundle(bundle_path))
        except InputError as exc:
            yield str(bundle_path), {"error": str(exc)}
            continue
        yield request["context"]["patientId"], request


def _codes(runtime: Runtime, request: dict, at: date) -> tuple[str, ...]:
    """The advice codes (the public contract) the patient gets: what a difference is measured on."""
    answered = answer_local(parse_hook_request(request, "patient-view"), runtime, today=at)
    return tuple(a.code for a in answered.advice)


def compare(source: str | Path, runtime_a: Runtime, runtime_b: Runtime, at: date) -> Comparison:
    result = Comparison(runtime_a.ruleset.label, runtime_b.ruleset.label, at)
    for patient, request in requests_of(source):
        result.patients += 1
        if "error" in request:
            result.errors.append((patient, str(request["error"])))
            continue
        try:
            a, b = _codes(runtime_a, request, at), _codes(runtime_b, request, at)
        except ServiceError as exc:
            result.errors.append((patient, f"the service would answer {exc.status}: {exc.message}"))
            continue
        if a != b:
            result.differences.append(Difference(patient, a, b))
    return result


def render_text(result: Comparison) -> str:
    out = [f"Rule set A: {result.label_a}", f"Rule set B: {result.label_b}",
           f"As of {result.at}: {len(result.differences)} of {result.patients} patients get different advice", ""]
    width = max([len("patient")] + [len(d.patient) for d in result.differences])
    out.append(f"{'patient':<{width}}  advice A  ->  advice B")
    for d in result.differences:
        out.append(f"{d.patient:<{width}}  {';'.join(d.advice_a) or '-'}  ->  {';'.join(d.advice_b) or '-'}")
    if result.errors:
        out += ["", f"{len(result.errors)} patient(s) could not be evaluated:"]
        out += [f"  {patient}: {why}" for patient, why in result.errors[:20]]
    return "\n".join(out) + "\n"


def csv_rows(result: Comparison) -> Iterator[list[str]]:
    """The CSV's rows: `COLUMNS`, then one per patient whose advice differs (codes joined by ';')."""
    yield list(COLUMNS)
    for d in result.differences:
        yield [d.patient, ";".join(d.advice_a), ";".join(d.advice_b)]
