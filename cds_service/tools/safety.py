"""The clinical safety file as data: requirements, hazards and their evidence, checked.

`docs/safety/traceability.toml` links every normative statement of the guideline and every
[policy] parameter to the rule definitions that implement it, the tests and fixtures that
verify it and the hazards it controls; and every hazard to its controls and their
verification. This module reads that file (the standard library's `tomllib`), renders it
(markdown, the hazard log; HTML in `safety_html.py`) and checks it against the code as it
is now: every rule definition, advice code and policy parameter must appear, and every
rule, test, fixture and code symbol the file names must exist. The check needs neither a
network nor a server, so the test suite runs it on every change.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from ..errors import InputError

ROOT = Path(__file__).resolve().parents[2]
MATRIX = Path("docs/safety/traceability.toml")
HAZARD_LOG = "hazard-log.md"  # beside the matrix: generated from it, checked to be in sync
RELEASE_NOTES = "release-notes.md"  # beside the matrix: must name the rule set of the default parameters
SOUP = "soup.md"  # beside the matrix: its packages and versions must be the lock's
SIGN_OFF = "README.md"  # beside the matrix: the top row of its sign-off table is the current rule set
FIXTURES = Path("fhir_fixtures")
KINDS = ("guideline", "policy", "design")


@dataclass(frozen=True)
class CodeFacts:
    """What the code defines: the names the matrix must cover."""

    rules: frozenset[str]
    patient_view_codes: frozenset[str]
    order_codes: frozenset[str]
    parameters: frozenset[str]
    ruleset: str  # the default rule set's id and version
    default_ruleset: str  # what its cards carry: id, version and the hash of the default parameters

    @property
    def advice_codes(self) -> frozenset[str]:
        return self.patient_view_codes | self.order_codes


def discover() -> CodeFacts:
    """The rule definitions, advice codes and parameters as the code defines them today.

    The one place that knows where they live: when the rule library changes shape, this
    function changes, and the check then names whatever the matrix does not cover.
    """
    import cql_like_rules
    from cql_like_rules.catalogue import CATALOGUE
    from cql_like_rules.orders import ORDER_CODES

    ruleset = cql_like_rules.RULESETS[cql_like_rules.DEFAULT_RULESET]
    return CodeFacts(
        rules=frozenset(ruleset.library.definitions),
        patient_view_codes=frozenset(code for code, kind in CATALOGUE.items() if "patient-view" in kind.hooks),
        order_codes=frozenset(ORDER_CODES),
        parameters=frozenset(f.name for f in dataclasses.fields(cql_like_rules.Parameters)),
        ruleset=f"{ruleset.id}-{ruleset.version}",
        default_ruleset=ruleset.label,
    )


# --- the matrix --------------------------------------------------------------------------


@dataclass(frozen=True)
class Requirement:
    id: str
    kind: str  # "guideline" | "policy" | "design"
    source: str  # guideline section and paragraph, or where the design decision is recorded
    statement: str  # in our own words
    rules: tuple[str, ...] = ()  # rule definition names, or "path.py:symbol"
    parameters: tuple[str, ...] = ()
    advice: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()  # "tests/test_x.py::test_name" (a [param] suffix is allowed)
    fixtures: tuple[str, ...] = ()  # file names under fhir_fixtures/
    hazards: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mechanism:
    """A safety mechanism of the product that is not a clinical rule (auth, kill switch...)."""

    id: str
    name: str
    description: str
    code: tuple[str, ...] = ()  # "path.py" or "path.py:Symbol" or "path.py:Class.method"
    tests: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hazard:
    id: str
    title: str
    causes: tuple[str, ...]
    effect: str
    severity: int  # before controls
    likelihood: int
    residual_severity: int  # after controls
    residual_likelihood: int
    controls: tuple[str, ...] = ()  # requirement or mechanism ids
    verification: tuple[str, ...] = ()  # tests
    residual: str = ""  # what remains, and what the deploying hospital must do


@dataclass(frozen=True)
class Level:
    level: int
    name: str
    description: str


@dataclass(frozen=True)
class Scales:
    severity: tuple[Level, ...]
    likelihood: tuple[Level, ...]
    classes: tuple[Level, ...]
    matrix: tuple[tuple[int, ...], ...]  # [likelihood - 1][severity - 1] -> risk class
    acceptable_residual: int

    def risk(self, severity: int, likelihood: int) -> int:
        return self.matrix[likelihood - 1][severity - 1]

    def name(self, scale: str, level: int) -> str:
        for item in getattr(self, scale):
            if item.level == level:
                return str(item.name)
        return str(level)


@dataclass(frozen=True)
class Matrix:
    path: Path
    meta: dict[str, str]
    scales: Scales
    requirements: tuple[Requirement, ...]
    mechanisms: tuple[Mechanism, ...]
    hazards: tuple[Hazard, ...]
    soup_purpose: dict[str, str] = field(default_factory=dict)

    def control(self, ident: str) -> Requirement | Mechanism | None:
        controls: tuple[Requirement | Mechanism, ...] = (*self.requirements, *self.mechanisms)
        for item in controls:
            if item.id == ident:
                return item
        return None


def _where(kind: str, index: int, table: dict[str, Any]) -> str:
    ident = table.get("id")
    return f"{kind} {ident!r}" if isinstance(ident, str) else f"{kind} #{index + 1}"


def _text(table: dict[str, Any], key: str, where: str, required: bool = True) -> str:
    value = table.get(key, None if required else "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise InputError(f"{where}: '{key}' must be a non-empty string")
    return value


def _texts(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InputError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def _level(table: dict[str, Any], key: str, where: str) -> int:
    value = table.get(key)
    if type(value) is not int or not 1 <= value <= 5:
        raise InputError(f"{where}: '{key}' must be a whole number from 1 to 5")
    return value


def _tables(data: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise InputError(f"'{key}' must be an array of tables ([[{key}]])")
    return value


def _levels(scales: dict[str, Any], key: str) -> tuple[Level, ...]:
    out = []
    for i, item in enumerate(_tables(scales, key)):
        where = f"scales.{key} #{i + 1}"
        out.append(Level(_level(item, "level", where), _text(item, "name", where), _text(item, "description", where)))
    if sorted(x.level for x in out) != [1, 2, 3, 4, 5]:
        raise InputError(f"scales.{key} must define levels 1 to 5 once each")
    return tuple(sorted(out, key=lambda x: x.level))


def _scales(data: dict[str, Any]) -> Scales:
    scales = data.get("scales")
    if not isinstance(scales, dict):
        raise InputError("the matrix has no [scales] table")
    grid = scales.get("matrix")
    if (not isinstance(grid, list) or len(grid) != 5
            or not all(isinstance(r, list) and len(r) == 5 and all(type(v) is int and 1 <= v <= 5 for v in r) for r in grid)):
        raise InputError("scales.matrix must be 5 rows (likelihood 1-5) of 5 risk classes 1-5 (severity 1-5)")
    return Scales(_levels(scales, "severity"), _levels(scales, "likelihood"), _levels(scales, "classes"),
                  tuple(tuple(r) for r in grid), _level(scales, "acceptable_residual", "scales"))


def load_matrix(path: Path) -> Matrix:
    """Read and shape-check the matrix; what it says is checked by `check`."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        # the safety file is the checkout's (docs/safety/), which an installed package does not carry
        raise InputError(f"cannot read {path}: {exc.strerror or exc} (safety-report reads docs/safety/ of a checkout: "
                         "run it from the source tree)") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is not valid TOML: {exc}") from None
    meta = data.get("meta", {})
    if not isinstance(meta, dict) or not all(isinstance(v, str) for v in meta.values()):
        raise InputError("[meta] must hold strings")
    requirements = []
    for i, t in enumerate(_tables(data, "requirement")):
        where = _where("requirement", i, t)
        requirements.append(Requirement(
            _text(t, "id", where), _text(t, "kind", where), _text(t, "source", where), _text(t, "statement", where),
            *(_texts(t, k, where) for k in ("rules", "parameters", "advice", "tests", "fixtures", "hazards"))))
    mechanisms = []
    for i, t in enumerate(_tables(data, "mechanism")):
        where = _where("mechanism", i, t)
        mechanisms.append(Mechanism(_text(t, "id", where), _text(t, "name", where), _text(t, "description", where),
                                    _texts(t, "code", where), _texts(t, "tests", where)))
    hazards = []
    for i, t in enumerate(_tables(data, "hazard")):
        where = _where("hazard", i, t)
        hazards.append(Hazard(
            _text(t, "id", where), _text(t, "title", where), _texts(t, "causes", where), _text(t, "effect", where),
            _level(t, "severity", where), _level(t, "likelihood", where),
            _level(t, "residual_severity", where), _level(t, "residual_likelihood", where),
            _texts(t, "controls", where), _texts(t, "verification", where), _text(t, "residual", where, required=False)))
    soup = data.get("soup", {})
    purpose = soup.get("purpose", {}) if isinstance(soup, dict) else None
    if not isinstance(purpose, dict) or not all(isinstance(v, str) for v in purpose.values()):
        raise InputError("[soup.purpose] must map package names to strings")
    return Matrix(path, dict(meta), _scales(data), tuple(requirements), tuple(mechanisms), tuple(hazards),
                  {_normal(k): v for k, v in purpose.items()})


def _normal(package: str) -> str:
    """PyPI name normalisation (PEP 503): `Fhir_Resources` and `fhir-resources` are one package."""
    return re.sub(r"[-_.]+", "-", package).lower()


# --- what exists -------------------------------------------------------------------------


class SourceIndex:
    """Function, class and assignment names of Python files, read with `ast` (nothing is imported)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._names: dict[str, frozenset[str] | None] = {}

    def names(self, relative: str) -> frozenset[str] | None:
        """The names a file defines (`Class.method` for methods), or None when it does not exist."""
        if relative not in self._names:
            path = self.root / relative
            try:
                tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            except (OSError, SyntaxError, ValueError):
                self._names[relative] = None
            else:
                self._names[relative] = frozenset(_defined(tree.body))
        return self._names[relative]


def _defined(body: list[ast.stmt], prefix: str = "") -> Iterable[str]:
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield prefix + node.name
        elif isinstance(node, ast.ClassDef):
            yield prefix + node.name
            yield from _defined(node.body, f"{prefix}{node.name}.")
        elif isinstance(node, ast.Assign) and not prefix:
            yield from (t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and not prefix and isinstance(node.target, ast.Name):
            yield node.target.id


def missing_test(reference: str, index: SourceIndex) -> str | None:
    """Why a test reference does not name an existing test, or None when it does.

    `tests/test_x.py::test_name`, `...::test_name[param-ids]` or `...::Class::test_name`.
    """
    path, sep, name = reference.partition("::")
    if not sep or not name or not path.startswith("tests/") or not path.endswith(".py"):
        return "is not of the form tests/test_x.py::test_name"
    names = index.names(path)
    if names is None:
        return f"names {path}, which does not exist (or does not parse)"
    name = re.sub(r"\[.*\]$", "", name).replace("::", ".")
    return None if name in names else f"names {name!r}, which {path} does not define"


def missing_symbol(reference: str, index: SourceIndex) -> str | None:
    """`path.py` or `path.py:Symbol`: None when it exists."""
    path, _, symbol = reference.partition(":")
    names = index.names(path)
    if names is None:
        return f"{path} does not exist (or does not parse)"
    if symbol and symbol not in names:
        return f"{path} does not define {symbol!r}"
    return None


# --- the check ---------------------------------------------------------------------------


def check(matrix: Matrix, code: CodeFacts, root: Path = ROOT, lock: Path | None = None) -> list[str]:
    """Every gap between the matrix and the code, one sentence each (empty: none)."""
    index = SourceIndex(root)
    gaps: list[str] = []
    gaps += _duplicates(matrix)
    if matrix.meta.get("ruleset") != code.ruleset:
        gaps.append(f"the matrix was reviewed for rule set {matrix.meta.get('ruleset')!r}, the code is {code.ruleset!r}: "
                    "review the matrix, then update [meta] ruleset")
    hazard_ids = {h.id for h in matrix.hazards}
    for req in matrix.requirements:
        gaps += _requirement_gaps(req, code, index, root, hazard_ids)
    named_rules = {r for req in matrix.requirements for r in req.rules}
    gaps += [f"rule definition {name!r} is not implemented by any requirement" for name in sorted(code.rules - named_rules)]
    named_params = {p for req in matrix.requirements for p in req.parameters}
    gaps += [f"policy parameter {name!r} is absent from the matrix" for name in sorted(code.parameters - named_params)]
    named_codes = {a for req in matrix.requirements for a in req.advice}
    gaps += [f"advice code {name!r} is absent from the matrix" for name in sorted(code.advice_codes - named_codes)]
    shown = _fixture_codes(matrix, root)
    gaps += [f"advice code {name!r}: no fixture in the matrix shows it" for name in sorted(code.patient_view_codes - shown)]
    for mech in matrix.mechanisms:
        gaps += [f"mechanism {mech.id}: code {ref!r}: {why}" for ref in mech.code if (why := missing_symbol(ref, index))]
        gaps += [f"mechanism {mech.id}: test {ref!r} {why}" for ref in mech.tests if (why := missing_test(ref, index))]
        if not mech.code:
            gaps.append(f"mechanism {mech.id} names no code")
    for hazard in matrix.hazards:
        gaps += _hazard_gaps(hazard, matrix, index)
    gaps += _soup_gaps(matrix, lock if lock is not None else root / "requirements.lock")
    gaps += _hazard_log_gaps(matrix)
    gaps += _release_gaps(matrix, code)
    gaps += _sign_off_gaps(matrix, code)
    return gaps


def _duplicates(matrix: Matrix) -> list[str]:
    seen: set[str] = set()
    out = []
    idents = [*(x.id for x in matrix.requirements), *(x.id for x in matrix.mechanisms), *(x.id for x in matrix.hazards)]
    for ident in idents:
        if ident in seen:
            out.append(f"id {ident!r} is used twice")
        seen.add(ident)
    return out


def _requirement_gaps(req: Requirement, code: CodeFacts, index: SourceIndex, root: Path, hazard_ids: set[str]) -> list[str]:
    where = f"requirement {req.id}"
    gaps = []
    if req.kind not in KINDS:
        gaps.append(f"{where}: kind {req.kind!r} is not one of {', '.join(KINDS)}")
    if req.kind == "policy" and len(req.parameters) != 1:
        gaps.append(f"{where}: a policy requirement names exactly one parameter")
    if not req.rules:
        gaps.append(f"{where} has no rule")
    if not req.tests:
        gaps.append(f"{where} has no test")
    for rule in req.rules:
        if ":" in rule:
            why = missing_symbol(rule, index)
            if why:
                gaps.append(f"{where}: rule {rule!r}: {why}")
        elif rule not in code.rules:
            gaps.append(f"{where} names rule {rule!r}, which the code does not define")
    gaps += [f"{where} names parameter {p!r}, which the code does not define" for p in req.parameters if p not in code.parameters]
    gaps += [f"{where} names advice code {a!r}, which the code does not define" for a in req.advice if a not in code.advice_codes]
    gaps += [f"{where}: test {t!r} {why}" for t in req.tests if (why := missing_test(t, index))]
    gaps += [f"{where} names fixture {f!r}, which is not in {FIXTURES}/" for f in req.fixtures if not (root / FIXTURES / f).is_file()]
    gaps += [f"{where} names hazard {h!r}, which the matrix does not define" for h in req.hazards if h not in hazard_ids]
    return gaps


def _hazard_gaps(hazard: Hazard, matrix: Matrix, index: SourceIndex) -> list[str]:
    where = f"hazard {hazard.id}"
    gaps = []
    if not hazard.controls:
        gaps.append(f"{where} has no control")
    if not hazard.verification:
        gaps.append(f"{where} has no verification")
    for ident in hazard.controls:
        control = matrix.control(ident)
        if control is None:
            gaps.append(f"{where} names control {ident!r}, which is neither a requirement nor a mechanism")
        elif isinstance(control, Requirement) and hazard.id not in control.hazards:
            gaps.append(f"{where} names requirement {ident} as a control, but {ident} does not list {hazard.id}")
    for req in matrix.requirements:
        if hazard.id in req.hazards and req.id not in hazard.controls:
            gaps.append(f"requirement {req.id} lists {hazard.id}, but {hazard.id} does not name it among its controls")
    gaps += [f"{where}: verification {t!r} {why}" for t in hazard.verification if (why := missing_test(t, index))]
    residual = matrix.scales.risk(hazard.residual_severity, hazard.residual_likelihood)
    if residual > matrix.scales.acceptable_residual:
        gaps.append(f"{where}: residual risk class {residual} is above the acceptable {matrix.scales.acceptable_residual}")
    if hazard.residual_severity > hazard.severity or hazard.residual_likelihood > hazard.likelihood:
        gaps.append(f"{where}: the residual risk is rated higher than the risk before controls")
    return gaps


def _fixture_codes(matrix: Matrix, root: Path) -> set[str]:
    """Advice codes the sidecars of the fixtures the matrix names expect."""
    import json

    shown: set[str] = set()
    for name in {f for req in matrix.requirements for f in req.fixtures}:
        sidecar = root / FIXTURES / name.replace(".json", ".expect.json")
        try:
            expected = json.loads(sidecar.read_text(encoding="utf-8")).get("expected", [])
        except (OSError, ValueError, AttributeError):
            continue
        shown.update(c for c in expected if isinstance(c, str))
    return shown


def _soup_gaps(matrix: Matrix, lock: Path) -> list[str]:
    from .soup import read_lock, soup_gaps

    if not lock.is_file():
        return []
    try:
        packages = read_lock(lock)
    except InputError as exc:
        return [str(exc)]
    return [f"direct dependency {p.name!r} has no purpose in [soup.purpose]"
            for p in packages if p.direct and _normal(p.name) not in matrix.soup_purpose] + \
        soup_gaps(packages, matrix.path.parent / SOUP)


def sign_off_rows(readme: str) -> list[str]:
    """The release (rule set label) column of the table under `## Sign-off`, top row first."""
    rows: list[str] = []
    in_section = False
    for line in readme.splitlines():
        if line.startswith("## "):
            in_section = line.strip() == "## Sign-off"
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if in_section and line.startswith("|") and not set(cells[0]) <= set("-: ") and not cells[0].startswith("release"):
            rows.append(cells[0])
    return rows


def _sign_off_gaps(matrix: Matrix, code: CodeFacts) -> list[str]:
    """The sign-off table's top row must be the label today's cards carry (computed, never written here)."""
    readme = matrix.path.parent / SIGN_OFF
    try:
        rows = sign_off_rows(readme.read_text(encoding="utf-8"))
    except OSError:
        return [f"{readme.name} (with the sign-off table) is missing beside {matrix.path.name}"]
    if not rows:
        return [f"{readme.name} has no sign-off table (a `## Sign-off` section with one row per release)"]
    if rows[0] != code.default_ruleset:
        return [f"the top row of the sign-off table in {readme.name} is {rows[0]!r}, the cards carry "
                f"{code.default_ruleset!r}: add a row for it above the others"]
    return []


def _hazard_log_gaps(matrix: Matrix) -> list[str]:
    log = matrix.path.parent / HAZARD_LOG
    try:
        current = log.read_text(encoding="utf-8")
    except OSError:
        return [f"{log.name} is missing beside {matrix.path.name}: cds-service safety-report --hazard-log > {log.name}"]
    if current != render_hazard_log(matrix):
        return [f"{log.name} is out of date: regenerate it with cds-service safety-report --hazard-log > {log}"]
    return []


def _release_gaps(matrix: Matrix, code: CodeFacts) -> list[str]:
    notes = matrix.path.parent / RELEASE_NOTES
    try:
        text = notes.read_text(encoding="utf-8")
    except OSError:
        return [f"{notes.name} is missing beside {matrix.path.name}"]
    if code.default_ruleset not in text:
        return [f"{notes.name} does not describe rule set {code.default_ruleset} (the default parameters' rule set): "
                "add its release notes"]
    return []


# --- markdown ----------------------------------------------------------------------------


def _cell(items: Iterable[str], code: bool = True) -> str:
    parts = [f"`{i}`" if code else i for i in items]
    return "<br>".join(p.replace("|", "\\|") for p in parts) or "—"


def _risk(scales: Scales, severity: int, likelihood: int) -> str:
    return f"{scales.risk(severity, likelihood)} (S{severity}×L{likelihood})"


def render_markdown(matrix: Matrix, gaps: list[str]) -> str:
    """The matrix as markdown tables: requirement → rules → evidence → hazards; hazard → controls → verification."""
    s = matrix.scales
    out = [
        f"# {matrix.meta.get('title', 'Traceability')}",
        "",
        f"Rule set reviewed: `{matrix.meta.get('ruleset', '?')}`. Source: {matrix.meta.get('guideline', '')}",
        "",
        "## Requirements → rules → verification → hazards",
        "",
        "| id | source | requirement | rules | parameters, advice | tests, fixtures | hazards |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in matrix.requirements:
        out.append(f"| {r.id} | {r.source} | {r.statement.replace('|', '/')} | {_cell(r.rules)} "
                   f"| {_cell((*r.parameters, *r.advice))} | {_cell((*r.tests, *r.fixtures))} | {_cell(r.hazards, False)} |")
    out += [
        "",
        "## Hazards → controls → verification",
        "",
        "| id | hazard | risk before → after | controls | verification |",
        "|---|---|---|---|---|",
    ]
    for h in matrix.hazards:
        out.append(f"| {h.id} | {h.title} | {_risk(s, h.severity, h.likelihood)} → "
                   f"{_risk(s, h.residual_severity, h.residual_likelihood)} | {_cell(h.controls, False)} | {_cell(h.verification)} |")
    out += ["", "## Mechanisms", "", "| id | mechanism | code | tests |", "|---|---|---|---|"]
    for m in matrix.mechanisms:
        out.append(f"| {m.id} | {m.name}: {m.description.replace('|', '/')} | {_cell(m.code)} | {_cell(m.tests)} |")
    out += ["", "## Check", ""]
    out += [f"- {g}" for g in gaps] if gaps else ["No gaps."]
    return "\n".join(out) + "\n"


def render_hazard_log(matrix: Matrix) -> str:
    """`hazard-log.md`: the hazards with scales and controls, generated from the matrix (never edited by hand)."""
    s = matrix.scales
    out = [
        "# Hazard log",
        "",
        f"Generated from [{matrix.path.name}]({matrix.path.name}) by `cds-service safety-report --hazard-log`; "
        "do not edit by hand (`cds-service safety-report --check` fails when this file and the matrix differ).",
        f"Rule set: `{matrix.meta.get('ruleset', '?')}`. Method: {matrix.meta.get('method', '')}",
        "",
        "## Scales",
        "",
        "| severity | name | meaning |",
        "|---|---|---|",
        *(f"| {x.level} | {x.name} | {x.description} |" for x in s.severity),
        "",
        "| likelihood | name | meaning |",
        "|---|---|---|",
        *(f"| {x.level} | {x.name} | {x.description} |" for x in s.likelihood),
        "",
        "Risk class by likelihood (rows) and severity (columns):",
        "",
        "| likelihood \\ severity | " + " | ".join(f"{x.level} {x.name}" for x in s.severity) + " |",
        "|---|" + "---|" * len(s.severity),
        *(f"| {lk.level} {lk.name} | " + " | ".join(str(s.risk(sv.level, lk.level)) for sv in s.severity) + " |"
          for lk in reversed(s.likelihood)),
        "",
        "| risk class | name | what it means |",
        "|---|---|---|",
        *(f"| {x.level} | {x.name} | {x.description} |" for x in s.classes),
        "",
        f"A residual risk above class {s.acceptable_residual} fails the check: such a release is not made.",
        "",
        "## Summary",
        "",
        "| id | hazard | before controls | after controls |",
        "|---|---|---|---|",
    ]
    for h in matrix.hazards:
        out.append(f"| [{h.id}](#{h.id.lower()}) | {h.title} | {_risk(s, h.severity, h.likelihood)} "
                   f"| {_risk(s, h.residual_severity, h.residual_likelihood)} |")
    for h in matrix.hazards:
        out += ["", f"## {h.id}", "", f"**{h.title}**", "", "Causes:", "", *(f"- {c}" for c in h.causes), "",
                f"Effect: {h.effect}", "",
                f"Before controls: severity {h.severity} ({s.name('severity', h.severity)}), likelihood {h.likelihood} "
                f"({s.name('likelihood', h.likelihood)}): risk class {s.risk(h.severity, h.likelihood)} "
                f"({s.name('classes', s.risk(h.severity, h.likelihood))}).", "", "Controls:", ""]
        for ident in h.controls:
            control = matrix.control(ident)
            if isinstance(control, Requirement):
                out.append(f"- {ident} ({control.source}): {control.statement}")
            elif isinstance(control, Mechanism):
                out.append(f"- {ident} {control.name}: {control.description} (`{'`, `'.join(control.code)}`)")
            else:
                out.append(f"- {ident} (unknown)")
        out += ["", "Verification:", "", *(f"- `{t}`" for t in h.verification), "",
                f"After controls: severity {h.residual_severity} ({s.name('severity', h.residual_severity)}), likelihood "
                f"{h.residual_likelihood} ({s.name('likelihood', h.residual_likelihood)}): risk class "
                f"{s.risk(h.residual_severity, h.residual_likelihood)} "
                f"({s.name('classes', s.risk(h.residual_severity, h.residual_likelihood))})."]
        if h.residual:
            out += ["", f"Residual risk and actions: {h.residual}"]
    return "\n".join(out) + "\n"
