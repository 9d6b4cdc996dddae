"""Random resources of the decisive types, built from scratch from the R4B models' own fields.

For the differential check of `fast_validation.plainly_valid` against the models: element
names, types, lists, required elements and choice groups are read from the fhir.resources
models (not from the fast path's tables), and values are drawn from pools of edge cases per
FHIR primitive. Most resources are "clean" (the edge values the fast path may accept: 64
character ids, 6-digit fractions, +14:00, year 1800 and 2999, Feb 29, denormal floats, astral
and combining characters, 100,000-character strings), then one or two of their elements are
changed adversarially (a value of another type's pool, junk, deleted, an extension, a `_field`
companion, an unknown key); the rest are adversarial throughout. Now and then a reference is
nested 10-80 levels deep (identifier.assigner.identifier...). `as_received` gives each as a
request would carry it: through orjson, and through \\uXXXX-escaped JSON text.
"""

from __future__ import annotations

import copy
import json
import random
import string
import typing
from typing import Any, Callable

import orjson
from fhir.resources.R4B import get_fhir_model_class

KINDS = ("Condition", "MedicationAdministration", "MedicationRequest", "Observation", "Patient", "Procedure")
TRICKY = ["\u00a0", "\u2028", "\u2029", "\ufeff", "\u200b", "\u200e", "\u00ad", "\x85", "\u1680", "\u3000",
          "\u202f", "\u205f", "\u180e", "\t", "\n", "\r", "\x0b", "\x0c", "\x00", "\x7f", "\x1f", "\ud800",
          "\udfff", "\U0001F600", "\u0301", "é", "ß", "İ", "ǅ", "\ufffd", "\ufffe", "\uffff", "\U000E0001",
          "\U0010fffd", "\u0660", "\uff10", "Σ", " ", "/", "|", "#", "%", "\\", '"', "<", "&", "\u2003", "\u3164"]
ID_CHARS = string.ascii_letters + string.digits + "-."
ASCII = "".join(chr(c) for c in range(33, 127))
EXTENSION = [{"url": "http://example.org/x", "valueString": "y"}]
JUNK: list[Any] = [None, [], {}, [None], [{}], "", " ", {"extension": EXTENSION}, {"id": "a"}, 0, True, "x",
                   {"text": "x"}]


def _char(rnd: random.Random) -> str:
    p = rnd.random()
    if p < 0.6:
        return rnd.choice(ASCII)
    if p < 0.8:
        return rnd.choice(TRICKY)
    return chr(rnd.randrange(0x80, 0x3000)) if p < 0.9 else chr(rnd.randrange(0x110000))


def _printable(rnd: random.Random) -> str:
    while True:
        c = _char(rnd) if rnd.random() < 0.7 else chr(rnd.randrange(0x110000))
        if c.isprintable() and c != " ":
            return c


def _length(rnd: random.Random, edges: tuple[int, ...]) -> int:
    return rnd.choice(edges) if rnd.random() < 0.15 else rnd.choice((1, 1, 2, 3, 5, 8, 13, 30))


def _repeat(chunk: str, n: int) -> str:
    return (chunk * (n // max(len(chunk), 1) + 1))[:n]


# -- adversarial pools, per primitive ---------------------------------------------------------
def _text(rnd: random.Random) -> str:
    n = _length(rnd, (0, 64, 65, 256, 4096, 100_000, 100_001))
    s = _repeat("".join(_char(rnd) for _ in range(min(n, 50))), n)
    if rnd.random() < 0.1:
        s = rnd.choice(("", " ", "  ")) + s + rnd.choice(("", " ", "\n"))
    return s


def _code(rnd: random.Random) -> str:
    tokens = ["".join(_char(rnd) if rnd.random() < 0.3 else rnd.choice(ASCII) for _ in range(rnd.randint(1, 6)))
              for _ in range(rnd.choice((1, 1, 1, 2, 3)))]
    out = tokens[0]
    for t in tokens[1:]:
        out += rnd.choice((" ", " ", " ", "  ", "\t", "\u00a0", "\n")) + t
    return out


def _inserted(rnd: random.Random, s: str, pool: list[str]) -> str:
    i = rnd.randrange(len(s) + 1)
    return s[:i] + rnd.choice(pool) + s[i:]


def _id(rnd: random.Random) -> str:
    s = "".join(rnd.choice(ID_CHARS) for _ in range(_length(rnd, (0, 1, 63, 64, 65, 255, 256))))
    return _inserted(rnd, s, TRICKY + ["_", "/", ":"]) if rnd.random() < 0.1 else s


def _uri(rnd: random.Random) -> str:
    s = "".join(rnd.choice(ASCII) for _ in range(_length(rnd, (0, 1, 4096, 4097))))
    if rnd.random() < 0.3:
        s = rnd.choice(("http://example.org/", "urn:oid:1.2.", "urn:uuid:", "Patient/", "#")) + s
    return _inserted(rnd, s, TRICKY) if rnd.random() < 0.1 else s


def _when(rnd: random.Random, kind: str) -> str:
    """Dates, dateTimes and instants with every part at and past its edges."""
    year = rnd.choice((0, 1, 999, 1000, 1799, 1800, 1801, 1900, 1970, 2000, 2024, 2025, 2999, 3000, 9999,
                       rnd.randint(1800, 2999), rnd.randint(0, 9999)))
    month = rnd.choice((0, 1, 2, 12, 13, rnd.randint(1, 12), rnd.randint(1, 12)))
    day = rnd.choice((0, 1, 28, 29, 30, 31, 32, rnd.randint(1, 28), rnd.randint(1, 31)))
    parts = rnd.choice(("y", "ym", "ymd", "full", "full", "full"))
    two = (lambda n: f"{n:02d}") if rnd.random() < 0.97 else str
    s = f"{year:04d}" if rnd.random() < 0.97 else str(year)
    if parts != "y":
        s += "-" + two(month)
    if parts in ("ymd", "full"):
        s += "-" + two(day)
    if parts == "full":
        h, m = rnd.choice((0, 23, 24, 25, rnd.randint(0, 23))), rnd.choice((0, 59, 60, rnd.randint(0, 59)))
        s += rnd.choice(("T", "T", "T", "T", " ", "t")) + f"{h:02d}:{m:02d}"
        if rnd.random() < 0.95:
            s += f":{rnd.choice((0, 59, 60, 61, rnd.randint(0, 59))):02d}"
        if rnd.random() < 0.4:
            s += "." + "".join(rnd.choice(string.digits) for _ in range(rnd.choice((0, 1, 3, 6, 7, 9))))
        zone = rnd.random()
        if zone < 0.35:
            s += "Z"
        elif zone < 0.85:
            oh, om = rnd.choice((0, 1, 13, 14, 15, rnd.randint(0, 14))), rnd.choice((0, 30, 45, 59, 60, 0))
            s += rnd.choice("+-") + f"{oh:02d}" + (":" if rnd.random() < 0.95 else "") + f"{om:02d}"
        elif zone < 0.9:
            s += "z"
    return s


def _decimal(rnd: random.Random) -> Any:
    p = rnd.random()
    if p < 0.25:
        return rnd.choice((0, 1, -1, 10**15 - 1, -(10**15 - 1), 10**15, 2**53, 2**53 + 1, 2**63 - 1, -2**63,
                           rnd.randint(-10**16, 10**16)))
    if p < 0.4:
        return rnd.choice((-0.0, 0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 1e15, 999999999999999.9,
                           1e-7, 1e16, 1e20, 1.7976931348623157e308, 0.1, 1.5, 123456789012345.67))
    if p < 0.9:
        return rnd.uniform(-1, 1) * 10.0 ** rnd.randint(-330, 20)
    return rnd.choice((True, False, "1.0", "1", None))


def _integer(rnd: random.Random) -> Any:
    return rnd.choice((0, 1, -1, 2, 2**31 - 1, 2**31, -2**31, -2**31 - 1, 2**63 - 1, rnd.randint(-2**32, 2**32),
                       rnd.randint(-100, 100), True, False, 1.0, 0.0, "1"))


Pool = Callable[[random.Random], Any]
ADVERSARIAL: dict[str, Pool] = {
    "string": _text, "markdown": _text, "xhtml": _text, "code": _code, "id": _id, "uri": _uri, "canonical": _uri,
    "url": _uri, "oid": _uri, "date": lambda rnd: _when(rnd, "date"), "dateTime": lambda rnd: _when(rnd, "dateTime"),
    "instant": lambda rnd: _when(rnd, "instant"), "time": lambda rnd: _when(rnd, "time")[-8:],
    "decimal": _decimal, "integer": _integer, "positiveInt": _integer, "unsignedInt": _integer,
    "integer64": _integer, "boolean": lambda rnd: rnd.choice((True, False, 0, 1, "true", None)),
    "base64Binary": lambda rnd: rnd.choice(("", "AAAA", "x")),
}


# -- clean pools: valid values at the edges ---------------------------------------------------
def _clean_text(rnd: random.Random) -> str:
    n = _length(rnd, (1, 2, 64, 65, 1000, 100_000))
    s = _repeat("".join(_printable(rnd) if rnd.random() < 0.85 else " " for _ in range(min(n, 40))), n)
    return s.strip(" ") or _printable(rnd)


def _clean_code(rnd: random.Random) -> str:
    return " ".join("".join(_printable(rnd) for _ in range(rnd.randint(1, 5))) for _ in range(rnd.choice((1, 1, 2, 3))))


def _clean_when(rnd: random.Random, kind: str) -> str:
    year = rnd.choice((1800, 1801, 1900, 2000, 2024, 2025, 2999, rnd.randint(1800, 2999)))
    month = rnd.randint(1, 12)
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    day = rnd.choice((1, days, days - 1, rnd.randint(1, days)))
    parts = "full" if kind == "instant" else rnd.choice(("y", "ym", "ymd") + (("full",) if kind == "dateTime" else ()))
    s = f"{year:04d}" + (f"-{month:02d}" if parts != "y" else "") + (f"-{day:02d}" if parts in ("ymd", "full") else "")
    if parts == "full":
        s += f"T{rnd.choice((0, 23, rnd.randint(0, 23))):02d}:{rnd.choice((0, 59, rnd.randint(0, 59))):02d}"
        s += f":{rnd.choice((0, 59, rnd.randint(0, 59))):02d}"
        if rnd.random() < 0.4:
            s += "." + "".join(rnd.choice(string.digits) for _ in range(rnd.randint(1, 6)))
        if rnd.random() < 0.3:
            s += "Z"
        else:
            oh = rnd.choice((0, 13, 14, rnd.randint(0, 14)))
            om = 0 if oh == 14 else rnd.choice((0, 30, 59, rnd.randint(0, 59)))
            s += rnd.choice("+-") + f"{oh:02d}:{om:02d}"
    return s


def _clean_decimal(rnd: random.Random) -> Any:
    p = rnd.random()
    if p < 0.3:
        return rnd.choice((0, 1, -1, 10**15 - 1, -(10**15 - 1), rnd.randint(-10**15 + 1, 10**15 - 1)))
    if p < 0.4:
        return rnd.choice((-0.0, 0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 999999999999999.9, 1e-7, 0.1))
    return rnd.uniform(-1, 1) * 10.0 ** rnd.randint(-330, 15)


CLEAN: dict[str, Pool] = {
    "string": _clean_text, "markdown": _clean_text, "code": _clean_code,
    "id": lambda rnd: "".join(rnd.choice(ID_CHARS) for _ in range(rnd.choice((1, 2, 8, 36, 63, 64)))),
    "uri": lambda rnd: "".join(rnd.choice(ASCII) for _ in range(rnd.choice((1, 2, 20, 60, 4096)))),
    "canonical": lambda rnd: "".join(rnd.choice(ASCII) for _ in range(rnd.choice((1, 20, 4096)))),
    "date": lambda rnd: _clean_when(rnd, "date"), "dateTime": lambda rnd: _clean_when(rnd, "dateTime"),
    "instant": lambda rnd: _clean_when(rnd, "instant"), "decimal": _clean_decimal,
    "integer": lambda rnd: rnd.choice((0, 1, -1, 2**31 - 1, -2**31, rnd.randint(-2**31, 2**31 - 1))),
    "positiveInt": lambda rnd: rnd.choice((1, 2, 2**31 - 1, rnd.randint(1, 2**31 - 1))),
    "unsignedInt": lambda rnd: rnd.choice((0, 1, 2**31 - 1)), "boolean": lambda rnd: rnd.choice((True, False)),
}


# -- the models' elements ---------------------------------------------------------------------
class Shape(typing.NamedTuple):
    elements: list[tuple[str, str, bool]]  # (JSON name, R4B type, repeats)
    groups: list[tuple[list[str], bool]]  # choice groups, and whether one is required
    required: set[str]


_SHAPES: dict[str, Shape] = {}


def _element_type(field: Any) -> tuple[str, bool]:
    """(R4B type name, repeats) of a model field, read from its annotation."""
    many, ann = False, field.annotation
    for _ in range(10):
        if typing.get_origin(ann) is list:
            many = True
        if typing.get_origin(ann) is typing.Annotated:
            names = [m.__visit_name__ for m in ann.__metadata__ if hasattr(m, "__visit_name__")]
            if names:
                return names[0], many
        if getattr(ann, "_model_klass", None):
            return ann._model_klass.rsplit(".", 1)[1], many
        if ann in (bool, str):
            return ("boolean" if ann is bool else "string"), many
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        if not args:
            break
        ann = args[0]
    return "?", many


def shape(kind: str) -> Shape:
    if kind not in _SHAPES:
        model = get_fhir_model_class(kind)
        inst = model.model_construct()
        alias = {n: f.alias or n for n, f in model.model_fields.items()}
        groups = [([alias[n] for n in names], model.model_fields[names[0]].json_schema_extra["one_of_many_required"] is True)
                  for names in model.get_one_of_many_fields(inst).values()]
        required = {alias[n] for n, _ in model.get_required_fields(inst)}
        required |= {alias[n] for n, f in model.model_fields.items() if f.is_required()}
        _SHAPES[kind] = Shape([(alias[n], *_element_type(f)) for n, f in model.model_fields.items()], groups, required)
    return _SHAPES[kind]


class Generator:
    """Random resources. `common`: the elements charts use and the type another source (the fast
    path's tables) gives them, by complex type: drawn more often, and their values now and then
    from that type's pool rather than the model's, so that a wrong type there would show."""

    def __init__(self, rnd: random.Random, common: dict[str, dict[str, str]]) -> None:
        self.rnd, self.common, self.clean = rnd, common, True

    def value(self, type_name: str, depth: int) -> Any:
        rnd = self.rnd
        if self.clean and type_name in CLEAN:
            return CLEAN[type_name](rnd)
        if not self.clean and rnd.random() < 0.04:
            return copy.deepcopy(rnd.choice(JUNK))
        if not self.clean and rnd.random() < 0.05:  # a value of another type
            type_name = rnd.choice(list(ADVERSARIAL) + ["CodeableConcept", "Reference", "Period", "Quantity"])
        pool = ADVERSARIAL.get(type_name)
        return pool(rnd) if pool is not None else self.object(type_name, depth + 1)

    def _special(self, type_name: str) -> Any:
        if type_name == "Extension":
            return copy.deepcopy(EXTENSION)
        if type_name == "Resource":
            return [{"resourceType": "Medication", "id": "m"}]
        return {"status": "generated", "div": '<div xmlns="http://www.w3.org/1999/xhtml">x</div>'}

    def object(self, kind: str, depth: int = 0) -> Any:
        """A complex element or resource: mostly the common elements, sometimes any of the model's."""
        rnd = self.rnd
        try:
            elements, groups, required = shape(kind)
        except (KeyError, ValueError, AttributeError):
            return {"text": "x"}
        if depth > 5:
            return {"text": "x"} if kind == "CodeableConcept" else {"display": "x"}
        common = self.common.get(kind, {})
        p_common = rnd.choice((0.15, 0.3, 0.6, 0.9))
        p_other = 0.0 if self.clean else rnd.choice((0.0, 0.02, 0.1))
        out: dict[str, Any] = {}
        types = {name: (t, many) for name, t, many in elements}
        for name, type_name, many in elements:
            if name == "fhir_comments":
                if not self.clean and rnd.random() < 0.01:
                    out[name] = rnd.choice(("c", ["c"]))
                continue
            want = name in required and rnd.random() < 0.95
            if not (want or rnd.random() < (p_common if name in common else p_other)):
                continue
            if name in common and common[name] in CLEAN and rnd.random() < 0.3:
                type_name = common[name]
            if name.startswith("_"):
                out[name] = rnd.choice(({"extension": copy.deepcopy(EXTENSION)}, {"id": "a"}, {}))
            elif type_name in ("Extension", "Resource", "Narrative", "?") and rnd.random() < 0.9:
                out[name] = self._special(type_name)
            elif many and (self.clean or rnd.random() < 0.97):
                n = rnd.choice((1, 1, 1, 2, 3)) if self.clean or rnd.random() < 0.98 else 0
                items = [self.value(type_name, depth) for _ in range(n)]
                if not self.clean and rnd.random() < 0.02:
                    items.append(None)
                out[name] = items
            else:
                out[name] = self.value(type_name, depth)
        for group, needed in groups:  # mostly at most one element of a choice
            present = [k for k in group if k in out]
            if len(present) > 1 and (self.clean or rnd.random() < 0.8):
                for k in rnd.sample(present, len(present) - 1):
                    del out[k]
            if self.clean and needed and not present:
                k = rnd.choice([k for k in group if k in common] or group)
                out[k] = self.value(types[k][0], depth)
        if self.clean and not out and common:
            k = rnd.choice(sorted(set(common) - {"resourceType"}))
            out[k] = [self.value(types[k][0], depth)] if types[k][1] else self.value(types[k][0], depth)
        if not self.clean and rnd.random() < 0.02:
            out[rnd.choice(("foo", "resource_type", "Extension", "value[x]"))] = "x"
        return out

    def perturb(self, r: dict[str, Any]) -> None:
        """One element or object changed: another type's value, junk, deleted, or a key added beside it."""
        rnd = self.rnd
        paths = [p for p in _paths(r) if p and p != ("resourceType",)]
        if not paths:
            return
        path = rnd.choice(paths)
        parent: Any = r
        for p in path[:-1]:
            parent = parent[p]
        q = rnd.random()
        if q < 0.6:
            parent[path[-1]] = ADVERSARIAL[rnd.choice(list(ADVERSARIAL))](rnd)
        elif q < 0.75:
            parent[path[-1]] = copy.deepcopy(rnd.choice(JUNK))
        elif isinstance(parent, dict) and q < 0.85:
            del parent[path[-1]]
        elif isinstance(parent, dict):
            key = rnd.choice(["_" + str(path[-1]), "extension", "modifierExtension", "id", "fhir_comments", "foo",
                              "resourceType", "contained", "text", f"{path[-1]}X"])
            parent[key] = copy.deepcopy(rnd.choice(JUNK + [EXTENSION, "x", {"text": "x"}]))

    def resource(self) -> dict[str, Any]:
        rnd = self.rnd
        kind = rnd.choice(KINDS)
        self.clean = rnd.random() < 0.8
        r = self.object(kind)
        r["resourceType"] = kind if rnd.random() < 0.995 else rnd.choice(("Patient", "Medication", "observation"))
        if rnd.random() < 0.003:  # a reference nested deeply
            ref: dict[str, Any] = {"display": "x"}
            for _ in range(rnd.randint(10, 80)):
                ref = {"identifier": {"assigner": ref}}
            r[rnd.choice(("subject", "asserter", "recorder", "requester", "managingOrganization"))] = ref
        if self.clean:
            for _ in range(rnd.choice((0, 0, 1, 1, 2))):
                self.perturb(r)
        return r


def _paths(v: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(v, dict):
        for k, x in v.items():
            out += _paths(x, path + (k,))
    elif isinstance(v, list):
        for i, x in enumerate(v):
            out += _paths(x, path + (i,))
    return out


def as_received(rnd: random.Random, r: Any) -> list[Any]:
    """`r` as a request carries it: through orjson (the stdlib's objects when orjson refuses lone
    surrogates), and now and then through \\uXXXX-escaped JSON text parsed by orjson and the stdlib."""
    out = []
    try:
        out.append(orjson.loads(orjson.dumps(r)))
    except TypeError:
        out.append(r)
    if rnd.random() < 0.1:
        escaped = json.dumps(r, ensure_ascii=True)
        try:
            out.append(orjson.loads(escaped))
        except orjson.JSONDecodeError:
            pass
        out.append(json.loads(escaped))
    return out
