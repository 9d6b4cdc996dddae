"""Value sets as data: which codes count as what.

The JSON files in `valuesets/` (format in `valuesets/README.md`) are loaded once at
start-up. A hospital adds local codes by dropping files of the same format into the
directory named by `CDS_VALUESET_DIR`; a file whose `id` matches a shipped value set adds
its entries to it. Lookups are cached because the same few codes recur in every request.

SNOMED CT entries may be intensional (`"ecl": "<< 87628006"`): the file carries the
expansion (the descendant concepts), and loading turns the focus concept and every
expansion concept into exact entries. A request therefore costs a dict lookup per coding
and never walks a hierarchy; a site refreshes the expansions from its own terminology
server with `cds-service valuesets expand`.
"""

from __future__ import annotations

import json
import re
from array import array
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping, NamedTuple

from .errors import RulesError

SHIPPED_DIR = Path(__file__).with_name("valuesets")
SNOMED_URI = "http://snomed.info/sct"
# Human normal immunoglobulin of unstated route (ATC group J06BA, in `immunoglobulin-substitution`): the code an
# immunoglobulin record known only by its name is read under, to tell whether a coded one would be a course the
# patient is on (cds_service/fhir/facts.py, `FactBuilder._ig_by_name`)
IG_BY_NAME_CODING = {"system": "http://www.whocc.no/atc", "code": "J06BA"}
# ... and a Procedure known only by its name, as if registered under the SKS treatment code of immunoglobulin
# substitution given (BOHJ10B, in `immunoglobulin-substitution`; terminology.md)
IG_BY_NAME_PROCEDURE_CODING = {"system": "urn:oid:1.2.208.176.2.4", "code": "BOHJ10B"}
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
# Keys that describe the entry itself; every other key of an entry is an attribute.
ENTRY_KEYS = frozenset({"system", "systems", "code", "prefix", "ecl", "expansion", "display", "display_da"})
# Where an EHR carries a value set's codes: a file's `carried_on` maps each code-system alias to
# these FHIR elements ("ATC on a MedicationAdministration's drug, SKS on a Procedure"). It is the
# one place that says which resource types a code is read from: tests/test_valueset_coverage.py
# builds every code on every element declared and fails when no reader recognises it there.
# `.medication` is medicationCodeableConcept or the code (or an ingredient's) of the Medication
# that medicationReference names; a MedicationRequest is also read as a draft on the order hooks.
CARRIERS = frozenset({
    "Observation.code", "Observation.valueCodeableConcept", "Observation.component.valueCodeableConcept",
    "Observation.interpretation", "Observation.valueQuantity", "Condition.code", "Condition.severity",
    "Procedure.code", "MedicationAdministration.medication", "MedicationRequest.medication", "ServiceRequest.code",
    "MedicationAdministration.reasonCode", "MedicationRequest.reasonCode",
})
CONCEPT_KEYS = frozenset({"code", "display", "display_da"})
# The files of a value-set directory that are no value set: code-system aliases, IgG units, length-unit words.
NOT_VALUE_SETS = ("code-systems.json", "units.json", "duration-units.json")
# The units a course's length is read in (`duration-units.json`): the fact builder's arithmetic knows these.
DURATION_UNITS = frozenset({"days", "weeks", "months", "years", "hours", "minutes"})


def duration_key(word: str) -> str:
    """A length-unit word as looked up: lower case, spaces collapsed, an abbreviation's full stop dropped ("uger.",
    "Min." read as "uger", "min")."""
    return " ".join(word.lower().split()).rstrip(".").strip()
# The ECL the loader understands: descendants-or-self (`<<`) or descendants (`<`) of one
# concept, optionally `MINUS` one such constraint or a bracketed `OR` of them (sepsis minus
# viral and fungal sepsis); any concept id may carry a |term|, which never changes the meaning.
_CONSTRAINT = r"(?:<<|<)\s*\d{6,18}"
ECL_PATTERN = re.compile(rf"\s*{_CONSTRAINT}\s*(?:MINUS\s*(?:{_CONSTRAINT}|\(\s*{_CONSTRAINT}(?:\s*OR\s*{_CONSTRAINT})*\s*\))\s*)?",
                         re.IGNORECASE)
ECL_CONSTRAINT = re.compile(r"(<<|<)\s*(\d{6,18})")
ECL_TERM = re.compile(r"\|[^|]*\|")
SCTID = re.compile(r"\d{6,18}")


NO_SETS: Mapping[str, "Entry"] = MappingProxyType({})  # "in no value set"
# an ATC code this long or shorter names a group (level 4: L01FX), not one drug (level 5: L01FX24)
ATC_GROUP_CHARS = 5
CACHED_CODE_CHARS = 512  # system + code: real ones are far shorter; a client's megabyte "code" is not kept
# Texts searched for hints, kept with their answer: a few thousand distinct diagnosis and drug
# names at a site; at most ~4 MB when clients send ever new texts.
HINT_CACHE_SIZE = 20_000
HINT_CACHED_CHARS = 160
# Keys of a `text_words` group that describe the group itself; every other key is an attribute its words give.
WORD_GROUP_KEYS = frozenset({"words", "source", "note"})
WORDS_CACHE_SIZE = 20_000


class WordMatch(NamedTuple):
    """A value set's text word found in a text: where, which word, and the attributes it gives (kind ...)."""

    start: int
    end: int
    valueset: str
    word: str
    attributes: Mapping[str, Any]

    def get(self, name: str, default: Any = None) -> Any:
        return self.attributes.get(name, default)


@dataclass(frozen=True)
class Entry:
    """One include/exclude line of a value set, with its attributes (drug, severe ...).

    A concept of an intensional entry's expansion is an Entry of its own, carrying the
    intensional entry's attributes overridden by the concept's, and the `ecl` it came from.
    """

    aliases: tuple[str, ...]
    code: str | None
    prefix: str | None
    display: str
    attributes: Mapping[str, Any]
    display_da: str = ""
    ecl: str | None = None

    def get(self, name: str, default: Any = None) -> Any:
        return self.attributes.get(name, default)

    def display_for(self, lang: str) -> str:
        """The Danish display for `da` when the data gives one, else the (English) display."""
        return self.display_da if lang == "da" and self.display_da else self.display


@dataclass
class ValueSet:
    id: str
    title: str
    exact: dict[tuple[str, str], Entry] = field(default_factory=dict)
    prefixes: dict[tuple[str, str], Entry] = field(default_factory=dict)
    excluded_exact: set[tuple[str, str]] = field(default_factory=set)
    excluded_prefixes: set[tuple[str, str]] = field(default_factory=set)
    excluded_entries: dict[tuple[str, str], Entry] = field(default_factory=dict)  # an excluded code's line, to name it
    entries: list[Entry] = field(default_factory=list)
    carried_on: dict[str, tuple[str, ...]] = field(default_factory=dict)  # system alias -> FHIR elements (CARRIERS)
    longest_prefix: int = 0  # prefixes longer than any listed cannot match: a huge code costs no more
    # what a code the set excludes means beside a code of the set in one concept (the file's `exclude_means`):
    # "another-thing" (an IgG subclass, a cell harvest): a conflict, the concept not read as in the set (`sets_of`);
    # "another-thing-named" (IVIG and anti-D): read as in the set by its code of the set all the same, and named
    # (`named_conflicts`); "less-specific" (pneumonia with no organism): no conflict
    exclude_means: str = "another-thing"

    def add(self, entry: Entry, exclude: bool, expanded: bool = False) -> None:
        """Add an entry; an expansion concept never replaces an entry already there.

        So a code listed explicitly keeps its own attributes whichever expansion also
        contains it, and of two overlapping expansions the first loaded wins.
        """
        placed = False
        for alias in entry.aliases:
            if entry.code is not None:
                key = (alias, entry.code)
                if exclude:
                    self.excluded_exact.add(key)
                    self.excluded_entries[key] = entry
                elif not expanded or key not in self.exact:
                    self.exact[key] = entry
                    placed = True
            else:
                key = (alias, entry.prefix or "")
                (self.excluded_prefixes.add(key) if exclude else self.prefixes.__setitem__(key, entry))
                self.longest_prefix = max(self.longest_prefix, len(key[1]))
                placed = not exclude
        if placed:
            self.entries.append(entry)

    def excludes(self, alias: str, code: str) -> bool:
        """Whether the set lists a code as not in it, by itself or under an excluded prefix (ATC J06BB...)."""
        longest = min(len(code), self.longest_prefix)
        return (alias, code) in self.excluded_exact or _has_prefix(self.excluded_prefixes, alias, code, longest)

    def match(self, alias: str, code: str) -> Entry | None:
        if self.excludes(alias, code):
            return None
        longest = min(len(code), self.longest_prefix)
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


def _sks_spelling(code: str) -> bool:
    """A diagnosis code as SKS writes it: "D", then an ICD-10 code ("DC833", "DC83.3"), which `_normalise` reads."""
    code = "".join(code.split()).upper()
    return len(code) > 2 and code[0] == "D" and code[1].isalpha() and code[2].isdigit()


def _codings_in(concept: Any) -> list[Any]:
    """A CodeableConcept's codings, or none when it or its `coding` is not the shape FHIR gives it (a hostile
    request's number or string): the caller skips what it cannot read instead of failing."""
    codings = concept.get("coding") if isinstance(concept, dict) else None
    return codings if isinstance(codings, list) else []


def _normalise(kind: str | None, code: str) -> str:
    """A code in the spelling its value-set entries use. ICD-10, SKS, ATC and NPU codes hold no space, so a space a
    local catalogue typed inside one ("J06 BA02", "DJ 151", FHIR allows single spaces in a code) is dropped; codes
    of other systems (a site's own) may hold spaces that mean something, and keep them."""
    if kind in ("icd10", "sks", "upper"):
        code = "".join(code.split())
    if kind == "icd10":
        code = code.upper().replace(".", "").strip()
        # An SKS diagnosis sent under an ICD-10 system ("DC833", "DA419": Danish EHRs do this): an ICD-10 code is a
        # letter and two digits, so a "D" before a letter can only be SKS's prefix; "D80.1" keeps its D.
        return code[1:] if len(code) > 2 and code[0] == "D" and code[1].isalpha() and code[2].isdigit() else code
    if kind == "sks":
        code = code.upper().replace(".", "").strip()
        # SKS writes a diagnosis "D" and its ICD-10 code ("DC833", "DD693"); one sent without that prefix ("D693",
        # ITP's D69.3 under SKS-D) is an ICD-10 code already, whose own D (a letter, then digits) is kept
        return code[1:] if len(code) > 2 and code[0] == "D" and code[1].isalpha() else code
    if kind == "upper":  # ATC: "l01fx24" typed in a local catalogue is L01FX24
        return code.strip().upper()
    return code.strip()


class Ecl(NamedTuple):
    """A supported ECL expression: its focus constraint and the constraints it subtracts."""

    operator: str  # "<<" or "<"
    focus: str
    minus: tuple[tuple[str, str], ...] = ()

    def excludes(self, code: str) -> bool:
        """Whether a concept is one the expression subtracts by name (its descendants only a server knows)."""
        return any(operator == "<<" and code == focus for operator, focus in self.minus)


def parse_ecl(ecl: Any) -> Ecl:
    """The focus and subtracted constraints of a supported ECL expression; RulesError otherwise."""
    bare = ECL_TERM.sub(" ", ecl) if isinstance(ecl, str) else None
    if bare is None or ECL_PATTERN.fullmatch(bare) is None:
        raise RulesError(f"unsupported ECL {ecl!r}: only '<< CONCEPT' and '< CONCEPT', optionally followed by "
                         "'MINUS << CONCEPT' or 'MINUS (<< CONCEPT OR << CONCEPT ...)', are understood")
    (operator, focus), *minus = ECL_CONSTRAINT.findall(bare)
    return Ecl(operator, focus, tuple(minus))


OID = re.compile(r"[0-2](?:\.\d+)+")


SNOMED_EDITION = "http://snomed.info/sct/"  # + module id [+ "/version/" + date]: SNOMED CT's URI of an edition


def system_variant(system: str) -> str:
    """A code-system URI in the spelling its common variants share: surrounding spaces, letter case, a trailing slash,
    https for http and a bare OID for its `urn:oid:` form make no difference ("https://loinc.org/", "HTTP://LOINC.ORG",
    "2.16.840.1.113883.6.96"), nor does a version after a bar, as in a canonical ("http://hl7.org/fhir/sid/icd-10|2019":
    the version of a code system does not change what its codes mean here), nor a SNOMED CT edition's URI in place of
    the system ("http://snomed.info/sct/554471000005108", DK Core's Danish edition, belongs in Coding.version). The terminology reads a variant as the
    system it spells only when no two known systems share the variant (`Terminology.alias_for`)."""
    value = system.split("|", 1)[0].strip().lower().rstrip("/")
    if value.startswith("https://"):
        value = "http://" + value[len("https://"):]
    if value.startswith(SNOMED_EDITION):  # an edition's URI (".../sct/554471000005108[/version/20250930]", the Danish
        return SNOMED_EDITION[:-1]  # edition) sent as the system instead of in Coding.version: still SNOMED CT
    return "urn:oid:" + value if OID.fullmatch(value) else value


def _hint_key(text: str) -> str:
    return " ".join(text.lower().split())


class Terminology:
    """All value sets, code-system aliases, unit factors and text hints, loaded from data files."""

    def __init__(self, directories: Iterable[Path]) -> None:
        self.alias_of: dict[str, tuple[str, str | None]] = {}
        # a URI's variant spelling (`system_variant`) -> its alias, None when two aliases share it (ambiguous)
        self._variants: dict[str, tuple[str, str | None] | None] = {}
        self._system_alias: dict[str, tuple[str, str | None] | None] = {}
        self._elsewhere: dict[tuple[str, str, tuple[str, ...]], tuple[str, str] | None] = {}
        self.uris_of: dict[str, tuple[str, ...]] = {}
        # alias -> (prefix, alias, pattern): a code of the first system that starts with the prefix and whose rest has
        # the pattern is that rest in the second (SKS's main group M is ATC: "MJ06BA02" is J06BA02, while "DM00", an
        # SKS diagnosis, is not), from code-systems.json `embeds`
        self._embeds: dict[str, tuple[tuple[str, str, re.Pattern[str]], ...]] = {}
        self.valuesets: dict[str, ValueSet] = {}
        self.unit_factors: dict[str, float] = {}
        self.unit_carriers: tuple[str, ...] = ()  # where a unit is read (units.json `carried_on`)
        # a length's unit word (lower case) -> its unit (`DURATION_UNITS`), from duration-units.json
        self.duration_units: dict[str, str] = {}
        self.hints: dict[str, tuple[str, ...]] = {}
        # hints that name a class of the set's drugs ("bispecific"), not one of them: `named_by_class_only`
        self.class_hints: dict[str, frozenset[str]] = {}
        # codes that name a class of a set's drugs, not one of them (`class_codes`: SKS BOHJ19K, any bispecific T-cell
        # engager, tarlatamab's too): never read as in the set, but named by `class_code_of`
        self.class_sets: dict[str, ValueSet] = {}
        self._class_free_searches: dict[str, _HintSearch | None] = {}
        self._hint_owner: dict[str, str] = {}
        self._cache: dict[tuple[str, str, str], Entry | None] = {}
        self._sets_of: dict[tuple[str, str], Mapping[str, Entry]] = {}
        # `sets_of` of a concept of several codings, by its (system, code) pairs in order (`_several_sets`)
        self._several_sets_of: dict[tuple[bool, tuple[tuple[str, str], ...]], Mapping[str, Entry]] = {}
        self._hint_of: dict[tuple[tuple[str, ...], str], str | None] = {}
        self._hint_searches: dict[tuple[str, ...], _HintSearch | None] = {}  # see `_hint_search`
        self._carried: dict[tuple[str, int, str], bool] = {}
        self._systems_of: dict[tuple[str, ...], frozenset[str]] = {}  # see `systems_of`
        # `text_words`: value set -> word (lower case, single spaces) -> the attributes it gives, as a code's entry
        # gives them (organism `kind`, result-interpretation `result` ...); read by `words_in`.
        self.words: dict[str, dict[str, Mapping[str, Any]]] = {}
        self._word_searches: dict[tuple[str, ...], _WordSearch | None] = {}
        self._first_chars: Mapping[str, frozenset[str]] | None = None  # see `_first_chars_of`
        self._words_of: dict[tuple[tuple[str, ...], str], tuple[WordMatch, ...]] = {}
        for directory in directories:
            self._load_directory(Path(directory))
        missing = [vs for vs in REQUIRED_VALUESETS if vs not in self.valuesets]
        if missing:
            raise RulesError(f"value set file(s) missing: {', '.join(missing)}")
        if not self.unit_factors:
            raise RulesError("units.json is missing or empty")
        if not self.duration_units:
            raise RulesError("duration-units.json is missing or empty")
        self._first_chars = _first_chars_of(self.words)  # at load, not on a clinician's first culture text
        # The hints are lower case, so for text made only of characters that lower-casing maps
        # exactly as the case-insensitive match would (checked character by character against
        # every hint character, below), the same pattern without IGNORECASE on the lower-cased
        # text finds the same hint ~4x faster. Other text takes the case-insensitive pattern.
        # Checked against every hint, the class holds for the hints of any few value sets (`_hint_search`).
        self._hint_unsafe = _unsafe_for_lowering(self._hint_owner)
        self._hint_search(())  # every hint's search, at load

    # -- loading -------------------------------------------------------------------------
    def _load_directory(self, directory: Path) -> None:
        if not directory.is_dir():
            raise RulesError(f"value-set directory not found: {directory}")
        systems = directory / "code-systems.json"
        if systems.exists():
            self._load_systems(_read_json(systems))
        units = directory / "units.json"
        if units.exists():
            self._load_units(_read_json(units), units)
        durations = directory / "duration-units.json"
        if durations.exists():
            self._load_durations(_read_json(durations), durations)
        for path in sorted(directory.glob("*.json")):
            if path.name in NOT_VALUE_SETS:
                continue
            self._load_valueset(_read_json(path), path)

    def _load_systems(self, data: Any) -> None:
        aliases = data.get("aliases") if isinstance(data, dict) else None
        if not isinstance(aliases, dict):
            raise RulesError("code-systems.json: expected {'aliases': {...}}")
        for alias, spec in aliases.items():
            uris = tuple(spec.get("uris") or ())
            if not uris:
                raise RulesError(f"code-systems.json: alias {alias} has no uris")
            self.uris_of[alias] = uris
            for uri in uris:
                self.alias_of[uri] = (alias, spec.get("normalize"))
            self._embeds[alias] = tuple(_embedded(alias, spec.get("embeds") or {}))
        unknown = sorted({target for embeds in self._embeds.values() for _, target, _ in embeds} - set(self.uris_of))
        if unknown:
            raise RulesError(f"code-systems.json: 'embeds' names unknown alias(es): {', '.join(unknown)}")
        self._variants = {}
        for uri, known in self.alias_of.items():
            variant = system_variant(uri)
            self._variants[variant] = known if self._variants.get(variant, known) == known else None

    def _load_units(self, data: Any, path: Path) -> None:
        carriers = data.get("carried_on", []) if isinstance(data, dict) else []
        if not isinstance(carriers, list) or any(c not in CARRIERS for c in carriers):
            raise RulesError(f"{path.name}: 'carried_on' must be a list of FHIR elements from {sorted(CARRIERS)}")
        self.unit_carriers = tuple(dict.fromkeys((*self.unit_carriers, *carriers)))
        for unit in data.get("units", []) if isinstance(data, dict) else []:
            try:
                factor = float(unit["factor"])
                names = [unit["code"], *unit.get("aliases", [])]
            except (KeyError, TypeError, ValueError):
                raise RulesError(f"{path.name}: each unit needs 'code' and a numeric 'factor'") from None
            for name in names:
                self.unit_factors[name] = factor

    def _load_durations(self, data: Any, path: Path) -> None:
        """`duration-units.json`: `{"units": [{"unit": "days", "words": ["d", "dag"], "source": "..."}]}`. A word of a
        later file (a site's) gives its unit instead of the shipped one; a word twice in one file refuses to load."""
        groups = data.get("units") if isinstance(data, dict) else None
        if not isinstance(groups, list):
            raise RulesError(f"{path.name}: expected {{'units': [{{'unit': ..., 'words': [...], 'source': ...}}]}}")
        seen: set[str] = set()
        for n, group in enumerate(groups, 1):
            where = f"{path}: entry {n} ({json.dumps(group, ensure_ascii=False)[:120]})"
            if not isinstance(group, dict):
                raise RulesError(f"{where}: an entry is an object with 'unit', 'words' and 'source'")
            unit, words, source = group.get("unit"), group.get("words"), group.get("source")
            if unit not in DURATION_UNITS:
                raise RulesError(f"{where}: 'unit' must be one of {sorted(DURATION_UNITS)}")
            if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
                raise RulesError(f"{where}: 'words' must be a non-empty list of words")
            if not isinstance(source, str) or not source.strip():
                raise RulesError(f"{where}: 'source' must say where the words come from")
            for word in words:
                key = duration_key(word)
                if key in seen:
                    raise RulesError(f"{where}: the word {word!r} is listed twice")
                seen.add(key)
                self.duration_units[key] = unit

    def _load_valueset(self, data: Any, path: Path) -> None:
        if not isinstance(data, dict) or not isinstance(data.get("id"), str):
            raise RulesError(f"{path.name}: a value set needs an 'id'")
        vs = self.valuesets.setdefault(data["id"], ValueSet(data["id"], str(data.get("title") or data["id"])))
        means = data.get("exclude_means", "another-thing")
        if means not in ("another-thing", "another-thing-named", "less-specific"):
            raise RulesError(f"{path.name}: 'exclude_means' must be 'another-thing', 'another-thing-named' or "
                             "'less-specific'")
        vs.exclude_means = means
        for exclude, key in ((False, "include"), (True, "exclude")):
            raws = data.get(key, [])
            if not isinstance(raws, list):
                raise RulesError(f"{path.name}: '{key}' must be a list of entries")
            for raw in raws:
                for entry, expanded in self._entries(raw, path):
                    vs.add(entry, exclude, expanded)
        raws = data.get("class_codes", [])
        if not isinstance(raws, list):
            raise RulesError(f"{path.name}: 'class_codes' must be a list of entries")
        for raw in raws:
            for entry, _ in self._entries(raw, path):
                self.class_sets.setdefault(vs.id, ValueSet(vs.id, vs.title)).add(entry, False)
        self._load_hints(vs.id, data.get("text_hints", []), path)
        self._load_hints(vs.id, data.get("text_hints_class", []), path, "text_hints_class")
        self._load_words(vs.id, data.get("text_words", []), path)
        self._load_carriers(vs, data.get("carried_on", {}), path)

    def _load_words(self, valueset_id: str, groups: Any, path: Path) -> None:
        """`text_words`: groups of words that name, in a result's text, what a code of the value set names.

        Each group is `{"words": [...], <attributes>}`: a word gives the group's attributes, as an entry gives its
        code its attributes. A word in two groups of one file refuses to load; a later file (a site's) listing a
        word again gives it that file's attributes, as a site's entry for a shipped code does.
        """
        if not isinstance(groups, list):
            raise RulesError(f"{path.name}: 'text_words' must be a list of groups {{'words': [...], attributes}}")
        words = self.words.setdefault(valueset_id, {})
        seen: set[str] = set()
        for group in groups:
            listed = group.get("words") if isinstance(group, dict) else None
            if not isinstance(listed, list) or not listed or not all(isinstance(w, str) and w.strip() for w in listed):
                raise RulesError(f"{path.name}: each 'text_words' group needs a non-empty list of non-empty 'words'")
            attributes = MappingProxyType({k: v for k, v in group.items() if k not in WORD_GROUP_KEYS})
            for word in map(_hint_key, listed):
                if word in seen:
                    raise RulesError(f"{path.name}: text word {word!r} is listed twice")
                if any(not part.rstrip("*") or "*" in part.rstrip("*") or part.endswith("**") for part in word.split(" ")):
                    raise RulesError(f"{path.name}: text word {word!r}: one '*' may only end a word")
                seen.add(word)
                words[word] = attributes
        self._word_searches.clear()
        self._first_chars = None
        self._words_of.clear()

    def _load_carriers(self, vs: ValueSet, carriers: Any, path: Path) -> None:
        """`carried_on`: system alias -> the FHIR elements an EHR sends that system's codes of this value set on."""
        if not isinstance(carriers, dict):
            raise RulesError(f"{path.name}: 'carried_on' must map a system alias to a list of FHIR elements")
        for alias, elements in carriers.items():
            if alias not in self.uris_of:
                raise RulesError(f"{path.name}: 'carried_on' names unknown system alias {alias!r}")
            if not isinstance(elements, list) or not elements or any(e not in CARRIERS for e in elements):
                raise RulesError(f"{path.name}: 'carried_on' of {alias} must be a non-empty list of FHIR elements from "
                                 f"{sorted(CARRIERS)}")
            vs.carried_on[alias] = tuple(dict.fromkeys((*vs.carried_on.get(alias, ()), *elements)))

    def _load_hints(self, valueset_id: str, hints: Any, path: Path, key: str = "text_hints") -> None:
        if not isinstance(hints, list) or not all(isinstance(h, str) and h.strip() for h in hints):
            raise RulesError(f"{path.name}: '{key}' must be a list of non-empty strings")
        if key == "text_hints_class":
            self.class_hints[valueset_id] = self.class_hints.get(valueset_id, frozenset()) | set(map(_hint_key, hints))
            self._class_free_searches.clear()
        for hint in map(_hint_key, hints):
            owner = self._hint_owner.setdefault(hint, valueset_id)
            if owner != valueset_id:
                raise RulesError(f"{path.name}: text hint {hint!r} is already a hint of {owner}")
            if hint not in self.hints.get(valueset_id, ()):
                self.hints[valueset_id] = (*self.hints.get(valueset_id, ()), hint)

    def _entries(self, raw: Any, path: Path) -> Iterator[tuple[Entry, bool]]:
        """The entries one include/exclude line stands for, each flagged 'from an expansion'."""
        if not isinstance(raw, dict):
            raise RulesError(f"{path.name}: entries must be objects")
        label = raw.get("ecl") or raw.get("code") or raw.get("prefix")
        where = f"{path.name}: entry {label}"
        aliases = tuple(raw.get("systems") or ([raw["system"]] if "system" in raw else []))
        unknown = [a for a in aliases if a not in self.uris_of]
        if not aliases or unknown:
            raise RulesError(f"{where}: unknown system alias {unknown or '(none)'}")
        if sum(k in raw for k in ("code", "prefix", "ecl")) != 1:
            raise RulesError(f"{where}: entry needs exactly one of 'code', 'prefix' or 'ecl'")
        kinds = {self._kind(a) for a in aliases}
        kind = kinds.pop() if len(kinds) == 1 else None
        attributes = {k: v for k, v in raw.items() if k not in ENTRY_KEYS}
        display, display_da = _text(raw, "display", where), _text(raw, "display_da", where)
        if "ecl" not in raw:
            code = _normalise(kind, str(raw["code"])) if "code" in raw else None
            prefix = _normalise(kind, str(raw["prefix"])) if "prefix" in raw else None
            yield Entry(aliases, code, prefix, display, MappingProxyType(attributes), display_da), False
            return
        if any(SNOMED_URI not in self.uris_of[a] for a in aliases):
            raise RulesError(f"{where}: 'ecl' needs a SNOMED CT system alias")
        try:
            parsed = parse_ecl(raw["ecl"])
        except RulesError as exc:
            raise RulesError(f"{where}: {exc}") from None
        ecl, operator, focus = raw["ecl"].strip(), parsed.operator, parsed.focus
        if parsed.excludes(focus):
            raise RulesError(f"{where}: the expression subtracts its own focus {focus}")
        if operator == "<<":
            yield Entry(aliases, focus, None, display, MappingProxyType(attributes), display_da, ecl), False
        for concept in _expansion(raw.get("expansion"), where):
            if concept["code"] == focus and operator == "<":
                raise RulesError(f"{where}: the expansion of '< {focus}' must not contain {focus} itself")
            if parsed.excludes(concept["code"]):
                raise RulesError(f"{where}: the expansion contains {concept['code']}, which the expression subtracts")
            own = {k: v for k, v in concept.items() if k not in CONCEPT_KEYS}
            yield Entry(aliases, concept["code"], None, _text(concept, "display", where),
                        MappingProxyType({**attributes, **own}), _text(concept, "display_da", where), ecl), True

    def alias_for(self, system: str) -> tuple[str, str | None] | None:
        """The (alias, normalize rule) of a `Coding.system`: as listed in code-systems.json, else as a common variant
        spelling of exactly one listed URI ("http://snomed.info/sct/", "https://loinc.org"); None when unknown."""
        known = self.alias_of.get(system)
        if known is not None:
            return known
        try:
            return self._system_alias[system]
        except KeyError:
            pass
        found = self._variants.get(system_variant(system)) if len(system) <= CACHED_CODE_CHARS else None
        if len(self._system_alias) < 10_000:
            self._system_alias[system] = found
        return found

    def _read_as(self, alias: tuple[str, str | None], code: str) -> tuple[str, str]:
        """(alias, code as its entries spell it) of a code sent under a known system: a code of another system
        embedded in it (`embeds`: SKS "MJ06BA02" is ATC J06BA02) is read in that system, with that system's spelling."""
        normalised = _normalise(alias[1], code)
        for prefix, target, pattern in self._embeds.get(alias[0], ()):
            if normalised.startswith(prefix):
                rest = _normalise(self._kind(target), normalised[len(prefix):])
                if pattern.match(rest):
                    return target, rest
        return alias[0], normalised

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
        alias = self.alias_for(system)
        found = None
        if alias is not None:
            found = self.valuesets[valueset_id].match(*self._read_as(alias, code))
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
        if len(codings) == 1:  # the usual concept (every lab result): its one coding's sets, cached
            coding = codings[0]
            if coding.__class__ is dict:
                system, code = coding.get("system"), coding.get("code")
                if system.__class__ is str and code.__class__ is str:
                    try:
                        return self._sets_of[(system, code)]
                    except KeyError:
                        return self._coding_sets(system, code)
        return self._several_sets(concept, codings)

    def _several_sets(self, concept: Any, codings: list[Any]) -> Mapping[str, Entry]:
        """`sets_of` of a concept of several codings (or one not plainly readable), cached by its codings' (system,
        code) pairs in order: all that the reading below and `in_conflict` read of the concept (a CAR-T procedure coded
        in SKS and SNOMED CT, read by the index-event check and by the facts of every chart that has one)."""
        pairs = tuple((c["system"], c["code"]) for c in codings
                      if isinstance(c, dict) and isinstance(c.get("system"), str) and isinstance(c.get("code"), str))
        key = (len(codings) > 1, pairs)  # one coding is never read as in conflict with itself
        try:
            return self._several_sets_of[key]
        except KeyError:
            pass
        found = self._read_several(concept, codings)
        if len(self._several_sets_of) < 100_000 and sum(len(s) + len(c) for s, c in pairs) <= CACHED_CODE_CHARS:
            self._several_sets_of[key] = found
        return found

    def _read_several(self, concept: Any, codings: list[Any]) -> Mapping[str, Entry]:
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
        if found and len(codings) > 1:
            # codings that disagree (total IgG and an IgG subclass, a CAR-T infusion and a cell harvest): the concept
            # is not read as in that set; its record is named (`fhir.unread.codes_disagree`)
            kept = {vs: e for vs, e in found.items() if not self.in_conflict(vs, concept)}
            if len(kept) < len(found):
                return MappingProxyType(kept) or NO_SETS
        return MappingProxyType(found) if merged else found  # kept for the next concept of these codings: read-only

    def conflicting_sets(self, concept: Any) -> tuple[str, ...]:
        """The value sets one coding of a concept is in while another coding is one the set excludes as another thing
        (`in_conflict`): the sets `sets_of` does not read the concept as in; none for a concept of one coding."""
        codings = concept.get("coding") if isinstance(concept, dict) else None
        if not isinstance(codings, list) or len(codings) < 2:
            return ()
        found: list[str] = []
        for coding in codings:
            if isinstance(coding, dict) and isinstance(coding.get("system"), str) and isinstance(coding.get("code"), str):
                found += [vs for vs in self._coding_sets(coding["system"], coding["code"])
                          if vs not in found and self.in_conflict(vs, concept)]
        return tuple(found)

    def named_conflicts(self, concept: Any) -> tuple[str, ...]:
        """The sets a concept of several codings is read as in although another of its codings is one the set excludes
        (`ValueSet.exclude_means` "another-thing-named"): read, and named."""
        codings = concept.get("coding") if isinstance(concept, dict) else None
        if not isinstance(codings, list) or len(codings) < 2:
            return ()
        return tuple(vs for vs in self.sets_of(concept)
                     if self.valuesets[vs].exclude_means == "another-thing-named" and self.excludes(vs, concept))

    def in_conflict(self, valueset_id: str, concept: Any) -> bool:
        """Whether another coding of a concept in the set is one the set excludes as another thing (`ValueSet.
        exclude_means` "another-thing"): the record says two things at once, and the set's reading of it cannot be
        trusted."""
        return self.valuesets[valueset_id].exclude_means == "another-thing" and self.excludes(valueset_id, concept)

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

    def carried(self, valueset_id: str, entry: Entry, element: str) -> bool:
        """Whether the value set's file says an EHR carries this entry's code on `element` (`carried_on`): a system
        the file does not declare is read everywhere (a site's local system added without a declaration)."""
        key = (valueset_id, id(entry), element)  # entries live as long as the terminology: their ids are not reused
        try:
            return self._carried[key]  # asked for every IgG result of a chart
        except KeyError:
            pass
        carried_on = self.valuesets[valueset_id].carried_on
        found = self._carried[key] = any(element in carried_on.get(alias, (element,)) for alias in entry.aliases)
        return found

    def entry_on(self, valueset_id: str, concept: Any, element: str) -> Entry | None:
        """The entry of the first coding of a concept that is in the value set and carried on `element`, if any."""
        for coding in _codings_in(concept):
            if isinstance(coding, dict) and isinstance(coding.get("system"), str) and isinstance(coding.get("code"), str):
                entry = self.lookup(valueset_id, coding["system"], coding["code"])
                if entry is not None and self.carried(valueset_id, entry, element):
                    return entry
        return None

    def class_code_of(self, concept: Any) -> tuple[str, Entry] | None:
        """(value set, class line) of a concept in no value set whose code names a class of a set's drugs and not
        which one (`class_codes`: SKS BOHJ19K, "bispecific T-cell antibody"), so that a record so coded is named on a
        card asking which drug it was, not passed over as a code of nothing."""
        if not self.class_sets:
            return None
        for alias, code in self._known_codes(concept):
            for valueset_id, classes in self.class_sets.items():
                entry = classes.match(alias, code)
                if entry is not None:
                    return valueset_id, entry
        return None

    def excluded_drug_named(self, valueset_id: str, text: str) -> Entry | None:
        """The exclude line of a value set whose drug a name gives as a word (its INN, `drug`, or the brand its display
        gives in brackets: "tarlatamab", "Imdelltra"): a record so named is that drug, which the set lists as not in it
        (a T-cell engager directed at no B-cell or plasma-cell antigen), whatever class code it carries."""
        words = set(re.findall(r"[^\W\d_]+", text.lower()))
        for entry in self.valuesets[valueset_id].excluded_entries.values():
            names = {str(entry.get("drug") or "").lower(), *(b.lower() for b in re.findall(r"\(([^\W\d_]+)\)",
                                                                                          entry.display))}
            if words & (names - {""}):
                return entry
        return None

    def excluded_entry(self, valueset_id: str, concept: Any) -> Entry | None:
        """The exclude line of a value set that a concept's first coding so listed hits (a code listed to say it is not
        in the set: an IgG subclass is no total IgG), for naming a record by what it is; never for counting it."""
        listed = self.valuesets[valueset_id].excluded_entries
        return next((entry for key in self._known_codes(concept) if (entry := listed.get(key)) is not None), None)

    def excludes(self, valueset_id: str, concept: Any) -> bool:
        """Whether a coding of a concept is one a value set lists as not in it (a specific immunoglobulin, ATC J06BB01,
        beside the substitution set): a name hinting at the set is then not read as naming it."""
        valueset = self.valuesets[valueset_id]
        return any(valueset.excludes(alias, code) for alias, code in self._known_codes(concept))

    def _known_codes(self, concept: Any) -> Iterator[tuple[str, str]]:
        """A concept's codings in a system the terminology knows, as (system alias, code as its entries spell it)."""
        for coding in _codings_in(concept):
            if isinstance(coding, dict) and isinstance(coding.get("system"), str) and isinstance(coding.get("code"), str):
                alias = self.alias_for(coding["system"])
                if alias is not None:
                    yield self._read_as(alias, coding["code"])

    def hint_for(self, text: Any, *valueset_ids: str) -> str | None:
        """The value set whose text hint (a drug or disease name) occurs in `text` as a word; of these value sets only,
        when some are given (a record's type says which names it can carry: `fhir.unread.NAMES_READ_ON`, so a drug
        named "Immunoglobulin G 20% sc" is no total IgG, whose name is a lab result's).

        For saying "this looks like X, but its code is in no value set": never used to
        count anything. The first hint in the text wins; case and spacing do not matter.
        Answers are kept per text: a chart's other diagnoses and drugs (in no value set, so
        searched every time) repeat from patient to patient.
        """
        if not isinstance(text, str) or not text:
            return None
        key = (valueset_ids, text)
        try:
            return self._hint_of[key]
        except KeyError:
            pass
        search = self._hint_search(valueset_ids)
        owner = None if search is None else self._search_hint(text, search)
        if len(self._hint_of) < HINT_CACHE_SIZE and len(text) <= HINT_CACHED_CHARS:
            self._hint_of[key] = owner
        return owner

    def _hint_search(self, valueset_ids: tuple[str, ...]) -> _HintSearch | None:
        """The hints of these value sets (all when none is given) as one search, made once per set of ids."""
        if valueset_ids not in self._hint_searches:
            owners = {h: o for h, o in self._hint_owner.items() if not valueset_ids or o in valueset_ids}
            pattern = _hint_pattern(owners)
            self._hint_searches[valueset_ids] = None if pattern is None else \
                _HintSearch(pattern, re.compile(pattern.pattern), MappingProxyType(owners))
        return self._hint_searches[valueset_ids]

    def named_by_class_only(self, text: Any, valueset_id: str) -> bool:
        """Whether a text names this value set only by a hint that names a class of its drugs (`text_hints_class`:
        "bispecifikt antistof"), none of its other hints ("teclistamab"): such a name says which of the set's drugs
        only on a record with no code of a drug of its own (`codes_a_drug`)."""
        if not self.class_hints.get(valueset_id) or not isinstance(text, str) or not text:
            return False
        if valueset_id not in self._class_free_searches:
            owners = {h: o for h, o in self._hint_owner.items()
                      if o == valueset_id and h not in self.class_hints[valueset_id]}
            pattern = _hint_pattern(owners)
            self._class_free_searches[valueset_id] = None if pattern is None else \
                _HintSearch(pattern, re.compile(pattern.pattern), MappingProxyType(owners))
        search = self._class_free_searches[valueset_id]
        return self.hint_for(text, valueset_id) == valueset_id and (search is None or self._search_hint(text, search) is None)

    def codes_a_drug(self, concept: Any) -> bool:
        """Whether a concept carries a code of one drug: any code but an ATC group's (level 4 or above, `ATC_GROUP_CHARS`
        characters or fewer: L01FX "other monoclonal antibodies"; level 5, L01FX24, is one drug)."""
        for coding in _codings_in(concept):
            if not isinstance(coding, dict):
                continue
            code, system = coding.get("code"), coding.get("system")
            if not isinstance(code, str) or not code.strip():
                continue
            alias = self.alias_for(system) if isinstance(system, str) else None
            read = self._read_as(alias, code) if alias is not None else None
            if read is not None and read[0] == "ATC" and len(read[1]) <= ATC_GROUP_CHARS:
                continue
            return True
        return False

    def _search_hint(self, text: str, search: _HintSearch) -> str | None:
        if text.isascii() or self._hint_unsafe.search(text) is None:
            found = search.lower.search(text.lower())
        else:
            found = search.pattern.search(text)
        if found is None:
            return None
        owner = search.owners.get(_hint_key(found.group(0)))
        if owner is None:  # matched through a case equivalence lower() does not make (a long s, the Kelvin sign)
            owner = next((o for hint, o in search.owners.items()
                          if re.fullmatch(_hint_regex(hint), found.group(0), re.IGNORECASE)), None)
        return owner

    def words_in(self, text: Any, *valueset_ids: str) -> tuple[WordMatch, ...]:
        """The text words of these value sets that a text names, in order, longest first where two start together.

        A word matches at the start of a word, any case; a space in it matches any spacing, a comma or a hyphen, or none
        ("gram negative" is also "Gram-negative", "Gramnegative"; "e. coli" also "E.coli"); it must end where a word
        ends unless it ends in `*` ("candida*": Candidaemia). A word inside a longer word of the text is not found,
        so "gram negative rods" is one bacterial name, and its "negative" no word of its own.
        """
        if not isinstance(text, str) or not text:
            return ()
        key = (valueset_ids, text)
        try:
            return self._words_of[key]
        except KeyError:
            pass
        if valueset_ids not in self._word_searches:
            if self._first_chars is None:
                self._first_chars = _first_chars_of(self.words)
            self._word_searches[valueset_ids] = _word_search(self.words, valueset_ids, self._first_chars)
        search = self._word_searches[valueset_ids]
        found: tuple[WordMatch, ...] = ()
        if search is not None:
            found = tuple(self._find_words(text, search))
        if len(self._words_of) < WORDS_CACHE_SIZE and len(text) <= HINT_CACHED_CHARS:
            self._words_of[key] = found
        return found

    def _find_words(self, text: str, search: _WordSearch) -> Iterator[WordMatch]:
        """What one regex of all the words (each `_word_regex` a group, longest first, IGNORECASE) finds with
        `finditer`, in time linear in the text.

        That regex tried every word at every place of the text (34 ms a kilobyte: a 1 MB text held a worker for half
        a minute). A match can only start where a word's first character matches the text's (`scanner`), so only
        there is a regex tried, and it holds only the words with that first character, in the same order: at any
        place the same word wins, and the search goes on after it as `finditer` does
        (tests/test_word_search_identity.py compares the two on every word and thousands of texts).
        """
        end = 0
        by_first = search.by_first
        for start in search.scanner.finditer(text):
            place = start.start()
            if place < end:
                continue
            pattern, owners = by_first[text[place]]
            m = pattern.match(text, place)
            if m is not None and m.lastindex is not None:
                vs, word = owners[m.lastindex - 1]
                end = m.end()
                yield WordMatch(place, end, vs, word, self.words[vs][word])

    def held_elsewhere(self, system: str, code: str, valueset_ids: tuple[str, ...]) -> tuple[str, str] | None:
        """(alias, value set) when `code`, sent under a known `system` where none of `valueset_ids` holds it, is in one
        of them under another code system ("J15.1" sent under SNOMED CT; "BOQX1" under SNOMED CT): a known code
        under the wrong system, which a card names instead of passing it over (clinical-rules §7). None otherwise,
        and for a system not known at all (named as such elsewhere)."""
        key = (system, code, valueset_ids)
        try:
            return self._elsewhere[key]
        except KeyError:
            pass
        own = self.alias_for(system)
        found: tuple[str, str] | None = None
        if own is not None and not any(self.lookup(vs, system, code) for vs in valueset_ids if vs in self.valuesets):
            held = [(alias, vs) for alias, uris in self.uris_of.items() if alias != own[0]
                    for vs in valueset_ids if vs in self.valuesets and self.lookup(vs, uris[0], code)]
            # a code in SKS's spelling ("DC833": a D before an ICD-10 code) belongs to SKS, though an ICD-10 system
            # reads it too: the card tells the EHR to correct the system to the one the code is written in
            written_in_sks = [h for h in held if (self.alias_for(self.uris_of[h[0]][0]) or ("", ""))[1] == "sks"]
            found = next(iter((written_in_sks if _sks_spelling(code) else []) or held), None)
        if len(self._elsewhere) < 100_000 and len(system) + len(code) <= CACHED_CODE_CHARS:
            self._elsewhere[key] = found
        return found

    def systems_of(self, *valueset_ids: str) -> frozenset[str]:
        """The code-system aliases the entries of these value sets use (a drug's code is read only in the systems of
        the drug value sets); worked out once per set of ids, since the value sets do not change after loading."""
        found = self._systems_of.get(valueset_ids)
        if found is None:
            found = frozenset(a for vs in valueset_ids if vs in self.valuesets
                              for e in self.valuesets[vs].entries for a in e.aliases)
            self._systems_of[valueset_ids] = found
        return found

    def codes_for_search(self, valueset_id: str) -> list[str]:
        """`system|code` tokens for a prefetch search (exact codes only; prefixes can't be searched)."""
        tokens: list[str] = []
        for entry in self.valuesets[valueset_id].entries:
            if entry.code is None:
                continue
            for alias in entry.aliases:
                tokens.extend(f"{uri}|{entry.code}" for uri in self.uris_of[alias])
        return sorted(set(tokens))


def _embedded(alias: str, embeds: Any) -> Iterator[tuple[str, str, re.Pattern[str]]]:
    """An alias's `embeds` as (prefix, alias, pattern): {"M": {"alias": "ATC", "pattern": "^[A-Z][0-9]{2}..."}}."""
    where = f"code-systems.json: alias {alias}: 'embeds'"
    if not isinstance(embeds, dict):
        raise RulesError(f"{where} must map a code prefix to {{'alias': ..., 'pattern': ...}}")
    for prefix, spec in embeds.items():
        if not prefix or not isinstance(spec, dict) or not isinstance(spec.get("alias"), str) \
                or not isinstance(spec.get("pattern"), str):
            raise RulesError(f"{where}: {prefix!r} needs an 'alias' and a 'pattern'")
        try:
            pattern = re.compile(spec["pattern"])
        except re.error as exc:
            raise RulesError(f"{where}: {prefix!r}: pattern {spec['pattern']!r} is not a regular expression: {exc}") \
                from None
        yield prefix, spec["alias"], pattern


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key, "")
    if not isinstance(value, str):
        raise RulesError(f"{where}: '{key}' must be a string")
    return value


def _expansion(expansion: Any, where: str) -> list[dict[str, Any]]:
    """The concepts of an intensional entry's expansion, checked (none when it has no expansion)."""
    if expansion is None:
        return []
    contains = expansion.get("contains") if isinstance(expansion, dict) else None
    if not isinstance(contains, list):
        raise RulesError(f"{where}: 'expansion' must be an object with a 'contains' list")
    for concept in contains:
        code = concept.get("code") if isinstance(concept, dict) else None
        if not isinstance(code, str) or SCTID.fullmatch(code) is None:
            raise RulesError(f"{where}: expansion concept {concept!r} needs a SNOMED CT concept id as 'code'")
    return contains


COMPOUND_MIN = 5  # hints this long also match inside Danish compounds ("mantlecellelymfom", "myelomatose")


def _hint_regex(hint: str) -> str:
    return re.escape(hint).replace(r"\ ", r"\s+")


def _word_regex(word: str) -> str:
    """A text word as a regex: at a word's start; a space is any spacing, a comma, a hyphen or none; `*` ends it
    anywhere."""
    open_end = word.endswith("*")
    parts = [re.escape(part.rstrip("*")) + (r"\w*" if part.endswith("*") else "") for part in word.split(" ")]
    body = r"[\s,\-]*".join(parts)
    head = r"(?<!\w)" if re.match(r"\w", word) else ""
    tail = "" if open_end or not re.search(r"\w$", word) else r"(?!\w)"
    return head + body + tail


def _word_owners(words: Mapping[str, Mapping[str, Mapping[str, Any]]],
                 valueset_ids: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """(value set, word) of every word of these value sets, longest first (a stable sort: else in file order)."""
    owners = [(vs, word) for vs in valueset_ids for word in words.get(vs, {})]
    owners.sort(key=lambda o: len(o[1].rstrip("*")), reverse=True)
    return tuple(owners)


class _HintSearch(NamedTuple):
    """The hints of some value sets: one regex of them any case (`_hint_pattern`), the same case-sensitive for text
    lower-cased safely (`Terminology._hint_unsafe`), and each hint's value set."""

    pattern: re.Pattern[str]
    lower: re.Pattern[str]
    owners: Mapping[str, str]


class _WordSearch(NamedTuple):
    """The words of some value sets, split by a word's first character: `scanner` finds each place a word may start (a character
    that matches, in any case, the first of some word; at a word's start when that word starts with a letter), and
    `by_first` gives, for that character, the regex of the words it may start, longest first (`_word_owners`)."""

    scanner: re.Pattern[str]
    by_first: Mapping[str, tuple[re.Pattern[str], tuple[tuple[str, str], ...]]]


def _all_characters() -> str:
    """Every Unicode code point, as one string (surrogates included: they match no word, and are searched as any)."""
    return array("I", range(0x110000)).tobytes().decode("utf-32-le", "surrogatepass")


def _first_chars_of(words: Mapping[str, Mapping[str, Any]]) -> Mapping[str, frozenset[str]]:
    """Each character of any text that a word's first character matches, in any case, as the word's regex matches it
    (IGNORECASE, with its Unicode equivalences: "K" the Kelvin sign, "ſ" a long s, "ϰ" a kappa), with those first
    characters. Every code point is tried once, in one pass of the regex engine (~0.15 s): once per process for a set
    of first characters (every value-set load of a process shares it; the service's is made at start-up)."""
    return _first_chars_matching(frozenset(word[0] for listed in words.values() for word in listed))


@lru_cache(maxsize=16)
def _first_chars_matching(first_chars: frozenset[str]) -> Mapping[str, frozenset[str]]:
    firsts = sorted(first_chars)
    if not firsts:
        return MappingProxyType({})
    literals = {f: re.compile(re.escape(f), re.IGNORECASE) for f in firsts}
    any_first = re.compile("|".join(re.escape(f) for f in firsts), re.IGNORECASE)
    return MappingProxyType({c: frozenset(f for f, literal in literals.items() if literal.fullmatch(c))
                             for c in set(any_first.findall(_all_characters()))})


def _word_search(words: Mapping[str, Mapping[str, Mapping[str, Any]]], valueset_ids: tuple[str, ...],
                 first_chars: Mapping[str, frozenset[str]]) -> _WordSearch | None:
    """The words of some value sets split by first character (`_WordSearch`); None when they have no words."""
    owners = _word_owners(words, valueset_ids)
    if not owners:
        return None
    compiled: dict[tuple[tuple[str, str], ...], re.Pattern[str]] = {}
    by_first: dict[str, tuple[re.Pattern[str], tuple[tuple[str, str], ...]]] = {}
    at_word_start: set[str] = set()
    anywhere: set[str] = set()
    for char, matched in first_chars.items():
        mine = tuple(o for o in owners if o[1][0] in matched)
        if not mine:
            continue
        if mine not in compiled:
            compiled[mine] = re.compile("|".join(f"({_word_regex(w)})" for _, w in mine), re.IGNORECASE)
        by_first[char] = compiled[mine], mine
        for _, word in mine:
            (at_word_start if re.match(r"\w", word) else anywhere).add(char)
    classes = [rf"(?<!\w)[{_char_class(at_word_start)}]" if at_word_start else "",
               f"[{_char_class(anywhere)}]" if anywhere else ""]
    return _WordSearch(re.compile("|".join(c for c in classes if c)), MappingProxyType(by_first))


def _char_class(chars: Iterable[str]) -> str:
    return "".join(re.escape(c) for c in sorted(chars))  # escapes "^", "-", "]" and "\\" too


def _hint_pattern(owners: Mapping[str, str]) -> re.Pattern[str] | None:
    """One regex for every hint: longest first, any case, any spacing.

    Short hints ("ivig", "car-t") match whole words only; longer ones also as part of a
    compound word, since Danish writes "mantlecellelymfom" and "myelomatose" as one word, but for one with a
    hyphen, which begins at a word's start.
    """
    if not owners:
        return None
    ordered = sorted(owners, key=len, reverse=True)
    words = [_hint_regex(h) for h in ordered if len(h) < COMPOUND_MIN]
    # a hint written with a hyphen ("iv-ig", "ig-behandling", "car-t-celle") joins a short form to a word: it matches at
    # a word's start only, so "kortvarig-behandling" or "positiv-IgG" is none of them
    parts = [(r"(?<!\w)" if "-" in h else "") + _hint_regex(h) for h in ordered if len(h) >= COMPOUND_MIN]
    alternatives = []
    if parts:
        alternatives.append("(?:" + "|".join(parts) + ")")
    if words:
        alternatives.append(r"(?<!\w)(?:" + "|".join(words) + r")(?!\w)")
    return re.compile("|".join(alternatives), re.IGNORECASE)


# Characters outside these blocks always take the case-insensitive pattern (Greek, Cyrillic,
# letterlike symbols such as the Kelvin and Angstrom signs, which match ASCII letters).
_LOWERING_CANDIDATES = [chr(c) for c in (*range(0x250), *range(0x2000, 0x20A0))]


def _unsafe_for_lowering(owners: Mapping[str, str]) -> re.Pattern[str]:
    """A class matching any character for which `text.lower()` + a case-sensitive match could differ.

    A character is safe when it lower-cases to one character with the same `\\w`/`\\s`
    class, and, for every character of every hint, matches it case-insensitively exactly
    when its lower case equals it.
    """
    hint_chars = sorted({c for hint in owners for c in hint})
    matchers = [(h, re.compile(re.escape(h), re.IGNORECASE)) for h in hint_chars]
    word, space = re.compile(r"\w"), re.compile(r"\s")
    safe = []
    for c in _LOWERING_CANDIDATES:
        low = c.lower()
        if len(low) != 1 or bool(word.fullmatch(c)) != bool(word.fullmatch(low)) \
                or bool(space.fullmatch(c)) != bool(space.fullmatch(low)):
            continue
        if all(bool(m.fullmatch(c)) == (low == h) for h, m in matchers):
            safe.append(c)
    return re.compile("[^" + "".join(re.escape(c) for c in safe) + "]")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise RulesError(f"{path}: cannot read value set ({exc})") from None


def load_terminology(extra_dir: str | None = None) -> Terminology:
    """The shipped value sets, plus a hospital's local files when a directory is given."""
    dirs = [SHIPPED_DIR] + ([Path(extra_dir)] if extra_dir else [])
    return Terminology(dirs)
