"""`cds-service valuesets expand`: refresh the SNOMED CT expansions of the value sets.

The shipped expansions of intensional entries (`"ecl": "<< 87628006"`) were curated from
public sources and rest mostly on concept names; a site replaces them with what its own
terminology server (for example one serving the Danish edition) says. For every
intensional entry the server's `ValueSet/$expand` (FHIR R4) is asked for the implicit
value set `http://snomed.info/sct?fhir_vs=ecl/<ECL>`, page by page. A concept that was in
the expansion keeps its attributes (`severe`, `myeloma` ...), a new one gets the entry's,
and the expansion records the date, the edition the server used and the server.

All entries are expanded before anything is written; one failure (an HTTP error, an
OperationOutcome, a timeout, an answer that is not an expansion) writes nothing at all.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import quote

import httpx

from cql_like_rules import RulesError
from cql_like_rules.valuesets import NOT_VALUE_SETS, SCTID, SNOMED_URI, SHIPPED_DIR, Terminology, parse_ecl

from ..errors import InputError, UpstreamError

PAGE_SIZE = 1000  # concepts asked for per $expand call
MAX_PAGES = 1000  # a server that never says it is done is stopped here
# What documents an entry rather than qualifies its codes: never copied onto new concepts.
DOCUMENTATION_KEYS = frozenset({"source", "note", "confirmed", "hierarchy_source", "display", "display_da"})
ENTRY_OWN_KEYS = frozenset({"system", "systems", "code", "prefix", "ecl", "expansion"})


@dataclass(frozen=True)
class Expansion:
    """What the server answered for one ECL: its concepts (system, code, display) and edition."""

    concepts: list[dict[str, Any]]
    edition: str | None


def implicit_value_set(ecl: str) -> str:
    """The FHIR implicit value set of an ECL expression (the ECL URL-encoded)."""
    return f"{SNOMED_URI}?fhir_vs=ecl/{quote(ecl, safe='')}"


def expand_ecl(client: httpx.Client, tx: str, ecl: str, page_size: int = PAGE_SIZE) -> Expansion:
    """Every concept of `ecl` from the server, following offset/count until `total` is reached.

    Raises UpstreamError saying what went wrong (status and diagnostics, timeout, not JSON).
    """
    url, concepts, seen, edition, offset = f"{tx.rstrip('/')}/ValueSet/$expand", [], set(), None, 0
    for _ in range(MAX_PAGES):
        expansion = _page(client, url, ecl, offset, page_size)
        received = list(_flatten(expansion.get("contains")))
        offset += len(received)
        page = [c for c in received if c.get("system", SNOMED_URI) == SNOMED_URI]
        edition = edition or _edition(expansion.get("parameter"))
        fresh = [c for c in page if c.get("code") not in seen]
        if page and not fresh:
            raise UpstreamError("the server answers the same page again (does it support offset?)")
        for concept in fresh:
            code = concept.get("code")
            if not isinstance(code, str) or SCTID.fullmatch(code) is None:
                raise UpstreamError(f"the server returned a concept without a SNOMED CT id: {concept!r:.200}")
            seen.add(code)
            concepts.append({"code": code, "display": str(concept.get("display") or "")})
        total = expansion.get("total")
        if len(received) < page_size or (isinstance(total, int) and offset >= total):
            subtracted = [c["code"] for c in concepts if parse_ecl(ecl).excludes(c["code"])]
            if subtracted:
                raise UpstreamError(f"the answer contains {', '.join(subtracted)}, which the expression subtracts "
                                    "(does the server understand MINUS?)")
            return Expansion(concepts, edition)
    raise UpstreamError(f"more than {MAX_PAGES} pages: stopped")


def _page(client: httpx.Client, url: str, ecl: str, offset: int, count: int) -> dict[str, Any]:
    params = {"url": implicit_value_set(ecl), "count": str(count), "offset": str(offset)}
    try:
        response = client.get(url, params=params)
    except httpx.TimeoutException:
        raise UpstreamError(f"no answer within {client.timeout.read} s (timeout)") from None
    except httpx.HTTPError as exc:
        raise UpstreamError(f"cannot reach the server ({type(exc).__name__}: {exc})") from None
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        raise UpstreamError(f"HTTP {response.status_code}{_diagnostics(body)}")
    if not isinstance(body, dict):
        raise UpstreamError(f"HTTP {response.status_code}, but the answer is not JSON")
    if body.get("resourceType") != "ValueSet" or not isinstance(body.get("expansion"), dict):
        kind = body.get("resourceType") or "document"
        raise UpstreamError(f"the answer is a {kind} without a ValueSet expansion{_diagnostics(body)}")
    expansion: dict[str, Any] = body["expansion"]
    return expansion


def _diagnostics(body: Any) -> str:
    """': <diagnostics>' of an OperationOutcome, or nothing."""
    if not isinstance(body, dict) or body.get("resourceType") != "OperationOutcome":
        return ""
    texts = []
    for issue in body.get("issue") or []:
        if isinstance(issue, dict):
            given = issue.get("details")
            details = given if isinstance(given, dict) else {}
            text = issue.get("diagnostics") or details.get("text")
            if text:
                texts.append(str(text))
    return f": {'; '.join(texts)}" if texts else ": OperationOutcome without diagnostics"


def _flatten(contains: Any) -> Iterator[dict[str, Any]]:
    """The concepts of a (possibly hierarchical) `expansion.contains`."""
    for item in contains if isinstance(contains, list) else []:
        if isinstance(item, dict):
            if item.get("code") is not None:
                yield item
            yield from _flatten(item.get("contains"))


def _edition(parameters: Any) -> str | None:
    """The SNOMED CT edition/version the server used: `version`, else `used-codesystem`."""
    found: dict[str, str] = {}
    for p in parameters if isinstance(parameters, list) else []:
        if isinstance(p, dict) and p.get("name") in ("version", "used-codesystem"):
            value = p.get("valueUri") or p.get("valueString") or p.get("valueCanonical")
            if isinstance(value, str) and value:
                found.setdefault(p["name"], value.removeprefix(f"{SNOMED_URI}|"))
    return found.get("version") or found.get("used-codesystem")


def refreshed(entry: dict[str, Any], answer: Expansion, tx: str, today: date) -> tuple[dict[str, Any], int, int]:
    """The entry's new `expansion`, with how many concepts were added and dropped.

    A concept already in the expansion keeps everything it had (its attributes, source),
    with the server's display; a new concept gets the entry's attributes.
    """
    focus = parse_ecl(entry["ecl"]).focus
    old = {c["code"]: c for c in (entry.get("expansion") or {}).get("contains", []) if isinstance(c, dict)}
    inherited = {k: v for k, v in entry.items() if k not in ENTRY_OWN_KEYS | DOCUMENTATION_KEYS}
    edition = answer.edition or "not stated by the server"
    contains = []
    for concept in answer.concepts:
        if concept["code"] == focus:  # `<<` adds the focus itself; `<` must not contain it
            continue
        kept = old.get(concept["code"])
        new = {**kept} if kept else {"code": concept["code"], "source": tx, **inherited}
        new["display"] = concept["display"] or new.get("display", "")
        new["hierarchy_source"] = f"{tx} ValueSet/$expand {entry['ecl']} ({edition}, {today.isoformat()})"
        contains.append({"code": new.pop("code"), "display": new.pop("display"), **new})
    codes = {c["code"] for c in contains}
    expansion = {"edition": edition, "expanded": today.isoformat(), "source": tx, "total": len(contains),
                 "contains": contains}
    return expansion, len(codes - old.keys()), len(old.keys() - codes)


def _intensional(data: Any) -> Iterator[dict[str, Any]]:
    for key in ("include", "exclude"):
        for entry in data.get(key) or [] if isinstance(data, dict) else []:
            if isinstance(entry, dict) and "ecl" in entry:
                yield entry


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read value set ({exc})") from None


def expand_directories(tx: str, targets: Sequence[tuple[Path, Path]], *, timeout: float, today: date,
                       page_size: int = PAGE_SIZE) -> list[str]:
    """Expand every intensional entry of the value-set files in each (source, target) pair of directories.

    Returns one summary line per entry and one per file written. Raises InputError when
    the files do not load as the service would load them, UpstreamError (one line per
    failed entry) when any expansion failed; in both cases nothing is written.
    """
    if not tx.startswith(("http://", "https://")):
        raise InputError(f"--tx {tx!r} is not an http(s) URL of a FHIR terminology server")
    if page_size < 1 or not timeout > 0:
        raise InputError("--count and --timeout must be positive")
    try:  # the files must load as the service loads them before anything is asked
        Terminology([SHIPPED_DIR, *(Path(source) for source, _ in targets if Path(source) != SHIPPED_DIR)])
    except RulesError as exc:
        raise InputError(f"the value sets do not load: {exc}") from None
    files: list[tuple[Path, Path, Any]] = []
    for source, target in targets:
        for path in sorted(Path(source).glob("*.json")):
            data = None if path.name in NOT_VALUE_SETS else _read(path)
            if any(True for _ in _intensional(data)):
                files.append((path, Path(target), data))
    summary, failures = [], []
    with httpx.Client(timeout=timeout, follow_redirects=True, headers={"Accept": "application/fhir+json"}) as client:
        for path, _, data in files:
            for entry in _intensional(data):
                try:
                    answer = expand_ecl(client, tx, entry["ecl"], page_size)
                except UpstreamError as exc:
                    failures.append(f"{path.name} {entry['ecl']}: {exc.message}")
                    continue
                entry["expansion"], added, dropped = refreshed(entry, answer, tx, today)
                summary.append(f"{path.name} {entry['ecl']}: {entry['expansion']['total']} concepts "
                               f"({added} new, {dropped} no longer in it), edition {entry['expansion']['edition']}")
    if failures:
        raise UpstreamError("\n".join(failures))
    _write_all(files)
    return summary + [f"wrote {target / path.name}" for path, target, _ in files]


def _write_all(files: Sequence[tuple[Path, Path, Any]]) -> None:
    """Write every file into a temporary directory beside its target, then move them into place."""
    staged: list[tuple[Path, Path]] = []
    temporary: list[Path] = []
    try:
        for path, target, data in files:
            target.mkdir(parents=True, exist_ok=True)
            if not temporary or temporary[-1].parent != target:
                temporary.append(Path(tempfile.mkdtemp(prefix=".valuesets-expand-", dir=target)))
            staged_file = temporary[-1] / path.name
            staged_file.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
            staged.append((staged_file, target / path.name))
        for staged_file, final in staged:
            os.replace(staged_file, final)
    except OSError as exc:
        raise InputError(f"cannot write the expanded value sets ({exc})") from None
    finally:
        for directory in temporary:
            shutil.rmtree(directory, ignore_errors=True)


def targets_for(out: Path | None, local_dir: str | None) -> list[tuple[Path, Path]]:
    """Where each directory's files go: `out` for the shipped files, `out/local` for the site's.

    Naming the shipped directory as `out` updates the files in place, the site's
    (`CDS_VALUESET_DIR`) too; by default nothing in the package is touched.
    """
    out = out if out is not None else Path.cwd() / "valuesets-expanded"
    if out.resolve() == SHIPPED_DIR.resolve():
        return [(SHIPPED_DIR, SHIPPED_DIR)] + ([(Path(local_dir), Path(local_dir))] if local_dir else [])
    return [(SHIPPED_DIR, out)] + ([(Path(local_dir), out / "local")] if local_dir else [])
