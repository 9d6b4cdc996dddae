"""Value sets as data: which codes count as what.

The JSON files in `valuesets/` (format in `valuesets/README.md`) are loaded once at
start-up. A hospital adds local codes by dropping files of the same format into the
directory named by `CDS_VALUESET_DIR`; a file whose `id` matches a shipped value set adds
its entries to it. Lookups are cached because the same few codes recur in every request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Mapping

SHIPPED_DIR = Path(__file__).with_name("valuesets")
REQUIRED_VALUESETS = (
    "igg-serum",
    "m-protein",
    "car-t-procedure",
    "car-t-product",
    "bispecific-b-pc",
    "immunoglobulin-substitution",
    "bacterial-infection",
    "haematological-malignancy",
    "severity-severe",
)


NO_SETS: Mapping[str, "Entry"] = MappingProxyType({})  # "in no value set"
CACHED_CODE_CHARS = 512  # system + code: real ones are far shorter; a client's megabyte "code" is not kept


class ValueSetError(Exception):
    """A value-set file is missing or malformed: the service must not start."""


@dataclass(frozen=True)
class Entry:
    """One include/exclude line of a value set, with its attributes (drug, severe ...)."""

    aliases: tuple[str, ...]
    code: str | None
    prefix: str | None
    display: str
    attributes: Mapping[str, Any]

    def get(self, name: str, default: Any = None) -> Any:
        return self.attributes.get(name, default)


@dataclass
class ValueSet:
    id: str
    title: str
    exact: dict[tuple[str, str], Entry] = field(default_factory=dict)
    prefixes: dict[tuple[str, str], Entry] = field(default_factory=dict)
    excluded_exact: set[tuple[str, str]] = field(default_factory=set)
    excluded_prefixes: set[tuple[str, str]] = field(default_factory=set)
    entries: list[Entry] = field(default_factory=list)
    longest_prefix: int = 0  # prefixes longer than any listed cannot match: a huge code costs no more

    def add(self, entry: Entry, exclude: bool) -> None:
        for alias in entry.aliases:
            if entry.code is not None:
                key = (alias, entry.code)
                (self.excluded_exact.add(key) if exclude else self.exact.__setitem__(key, entry))
            else:
                key = (alias, entry.prefix or "")
                (self.excluded_prefixes.add(key) if exclude else self.prefixes.__setitem__(key, entry))
                self.longest_prefix = max(self.longest_prefix, len(key[1]))
        if not exclude:
            self.entries.append(entry)

    def match(self, alias: str, code: str) -> Entry | None:
        longest = min(len(code), self.longest_prefix)
        if (alias, code) in self.excluded_exact or _has_prefix(self.excluded_prefixes, alias, code, longest):
            return None
        found = self.exact.get((alias, code))
        if found is not None:
            return found
        for end in range(longest, 0, -1):
            found = self.prefixes.get((alias, code[:end]))
            if found is not None:
                return found
        return None


def _has_prefix(prefixes: set[tuple[str, str]], alias: str, code: str, longest: int) -> bool:
    return any((alias, code[:end]) in prefixes for end in range(longest, 0, -1))


def _normalise(kind: str | None, code: str) -> str:
    if kind == "icd10":
        return code.upper().replace(".", "").strip()
    if kind == "sks":
        code = code.upper().replace(".", "").strip()
        return code[1:] if code.startswith("D") and len(code) > 1 else code
    return code.strip()


class Terminology:
    """All value sets, code-system aliases and unit factors, loaded from data files."""

    def __init__(self, directories: Iterable[Path]) -> None:
        self.alias_of: dict[str, tuple[str, str | None]] = {}
        self.uris_of: dict[str, tuple[str, ...]] = {}
        self.valuesets: dict[str, ValueSet] = {}
        self.unit_factors: dict[str, float] = {}
        self._cache: dict[tuple[str, str, str], Entry | None] = {}
        self._sets_of: dict[tuple[str, str], Mapping[str, Entry]] = {}
        for directory in directories:
            self._load_directory(Path(directory))
        missing = [vs for vs in REQUIRED_VALUESETS if vs not in self.valuesets]
        if missing:
            raise ValueSetError(f"value set file(s) missing: {', '.join(missing)}")
        if not self.unit_factors:
            raise ValueSetError("units.json is missing or empty")

    # -- loading -------------------------------------------------------------------------
    def _load_directory(self, directory: Path) -> None:
        if not directory.is_dir():
            raise ValueSetError(f"value-set directory not found: {directory}")
        systems = directory / "code-systems.json"
        if systems.exists():
            self._load_systems(_read_json(systems))
        units = directory / "units.json"
        if units.exists():
            self._load_units(_read_json(units), units)
        for path in sorted(directory.glob("*.json")):
            if path.name in ("code-systems.json", "units.json"):
                continue
            self._load_valueset(_read_json(path), path)

    def _load_systems(self, data: Any) -> None:
        aliases = data.get("aliases") if isinstance(data, dict) else None
        if not isinstance(aliases, dict):
            raise ValueSetError("code-systems.json: expected {'aliases': {...}}")
        for alias, spec in aliases.items():
            uris = tuple(spec.get("uris") or ())
            if not uris:
                raise ValueSetError(f"code-systems.json: alias {alias} has no uris")
            self.uris_of[alias] = uris
            for uri in uris:
                self.alias_of[uri] = (alias, spec.get("normalize"))

    def _load_units(self, data: Any, path: Path) -> None:
        for unit in data.get("units", []) if isinstance(data, dict) else []:
            try:
                factor = float(unit["factor"])
                names = [unit["code"], *unit.get("aliases", [])]
            except (KeyError, TypeError, ValueError):
                raise ValueSetError(f"{path.name}: each unit needs 'code' and a numeric 'factor'") from None
            for name in names:
                self.unit_factors[name] = factor

    def _load_valueset(self, data: Any, path: Path) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise ValueSetError(f"{path.name}: a value set needs an 'id'")
        vs = self.valuesets.setdefault(data["id"], ValueSet(data["id"], data.get("title", data["id"])))
        for exclude, key in ((False, "include"), (True, "exclude")):
            for raw in data.get(key, []):
                vs.add(self._entry(raw, path), exclude)

    def _entry(self, raw: Any, path: Path) -> Entry:
        if not isinstance(raw, dict):
            raise ValueSetError(f"{path.name}: entries must be objects")
        aliases = tuple(raw.get("systems") or ([raw["system"]] if "system" in raw else []))
        unknown = [a for a in aliases if a not in self.uris_of]
        if not aliases or unknown:
            raise ValueSetError(f"{path.name}: entry {raw.get('code') or raw.get('prefix')}: unknown system alias {unknown or '(none)'}")
        if ("code" in raw) == ("prefix" in raw):
            raise ValueSetError(f"{path.name}: entry needs exactly one of 'code' or 'prefix'")
        kinds = {self._kind(a) for a in aliases}
        kind = kinds.pop() if len(kinds) == 1 else None
        code = _normalise(kind, str(raw["code"])) if "code" in raw else None
        prefix = _normalise(kind, str(raw["prefix"])) if "prefix" in raw else None
        attributes = {k: v for k, v in raw.items() if k not in ("system", "systems", "code", "prefix", "display")}
        return Entry(aliases, code, prefix, str(raw.get("display", "")), attributes)

    def _kind(self, alias: str) -> str | None:
        return self.alias_of[self.uris_of[alias][0]][1]

    # -- lookups -------------------------------------------------------------------------
    def lookup(self, valueset_id: str, system: str, code: str) -> Entry | None:
        """The entry of `valueset_id` that a (system URI, code) coding matches, if any."""
        key = (valueset_id, system, code)
        try:
            return self._cache[key]
        except KeyError:
            pass
        alias = self.alias_of.get(system)
        found = None
        if alias is not None:
            found = self.valuesets[valueset_id].match(alias[0], _normalise(alias[1], code))
        if len(self._cache) < 100_000 and len(system) + len(code) <= CACHED_CODE_CHARS:
            self._cache[key] = found
        return found

    def sets_of(self, concept: Any) -> Mapping[str, Entry]:
        """Every value set a CodeableConcept is in, with the entry its first matching coding hit.

        One cached lookup per coding answers for all value sets at once: most resources in a
        chart are in none, and are passed over at the cost of a dict lookup.
        """
        codings = concept.get("coding") if isinstance(concept, dict) else None
        if not isinstance(codings, list):
            return NO_SETS
        found: Mapping[str, Entry] = NO_SETS
        merged = False
        for coding in codings:
            if not isinstance(coding, dict):
                continue
            system, code = coding.get("system"), coding.get("code")
            if not isinstance(system, str) or not isinstance(code, str):
                continue
            sets = self._coding_sets(system, code)
            if not sets:
                continue
            if not found:
                found = sets
            else:  # a second coding in other value sets: the first coding keeps its entries
                if not merged:
                    found, merged = dict(found), True
                for vs, entry in sets.items():
                    found.setdefault(vs, entry)  # type: ignore[attr-defined]
        return found

    def _coding_sets(self, system: str, code: str) -> Mapping[str, Entry]:
        key = (system, code)
        try:
            return self._sets_of[key]
        except KeyError:
            pass
        sets = MappingProxyType({vs: entry for vs in self.valuesets if (entry := self.lookup(vs, system, code)) is not None}) or NO_SETS
        if len(self._sets_of) < 100_000 and len(system) + len(code) <= CACHED_CODE_CHARS:
            self._sets_of[key] = sets
        return sets

    def codes_for_search(self, valueset_id: str) -> list[str]:
        """`system|code` tokens for a prefetch search (exact codes only; prefixes can't be searched)."""
        tokens = []
        for entry in self.valuesets[valueset_id].entries:
            if entry.code is None:
                continue
            for alias in entry.aliases:
                tokens.extend(f"{uri}|{entry.code}" for uri in self.uris_of[alias])
        return sorted(set(tokens))


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueSetError(f"{path}: cannot read value set ({exc})") from None


def load_terminology(extra_dir: str | None = None) -> Terminology:
    """The shipped value sets, plus a hospital's local files when a directory is given."""
    dirs = [SHIPPED_DIR] + ([Path(extra_dir)] if extra_dir else [])
    return Terminology(dirs)
