"""FHIR Bulk Data exports (NDJSON), read without holding them in memory.

An export is one file per resource type (`Observation.ndjson`, or split as
`Observation.000.ndjson` ...). Resources of one patient are scattered over all files, so a
first pass records, per patient, where each of their lines lies (file number, byte offset,
length) — a few integers per line — and later passes read one patient's lines back by
offset. Memory stays at the index plus one patient's resources, whatever the export size.

A resource may name its patient by identifier instead of id (`subject.identifier`, e.g. the
CPR number), as the service accepts in a hook call. Such lines wait, by identifier, until the
pass is over; then the Patient files alone are read once more to learn whose identifier it is.
So memory grows with the lines that refer by identifier, not with the number of patients, and
an export without such lines costs nothing extra.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Callable, Iterable, Iterator

import orjson

from ..errors import InputError
from ..fhir.prefetch import identity

NDJSON_NAME = re.compile(r"^[A-Za-z]+(\.\d+)?\.ndjson$")
MAX_EXAMPLES = 5


@dataclass
class ExportIndex:
    """Where every patient's lines are: patient id -> flat array [file, offset, length, ...]."""

    files: list[str]
    patients: dict[str, array[int]] = field(default_factory=dict)
    lines: int = 0
    invalid_json: int = 0
    no_patient: int = 0
    examples: list[str] = field(default_factory=list)

    def locations(self, patient_id: str) -> list[tuple[int, int, int]]:
        flat = self.patients[patient_id]
        return [(flat[i], flat[i + 1], flat[i + 2]) for i in range(0, len(flat), 3)]

    def note(self, file: str, line_no: int, why: str) -> None:
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append(f"{Path(file).name}:{line_no}: {why}")


def export_files(directory: str | Path) -> list[Path]:
    """The export's NDJSON files (`Type.ndjson`, `Type.000.ndjson`), in a stable order."""
    root = Path(directory)
    if not root.is_dir():
        raise InputError(f"{directory}: not a directory")
    files = sorted(p for p in root.iterdir() if p.is_file() and NDJSON_NAME.match(p.name))
    if not files:
        raise InputError(f"{directory}: no *.ndjson files (expected e.g. Patient.ndjson, Observation.000.ndjson)")
    return files


def patient_of(resource: Any) -> str | None:
    """The patient a resource belongs to: its own id for a Patient, else subject/patient.

    Parsed JSON is plain dicts: `isinstance(x, dict)` is several times cheaper than the
    `Mapping` ABC check, and this runs once per line of the export.
    """
    if not isinstance(resource, dict):
        return None
    if resource.get("resourceType") == "Patient":
        rid = resource.get("id")
        return rid if isinstance(rid, str) and rid else None
    for key in ("subject", "patient"):
        ref = resource.get(key)
        ref = ref.get("reference") if isinstance(ref, dict) else None
        if isinstance(ref, str) and "Patient/" in ref:
            pid = ref.rsplit("Patient/", 1)[1].split("/", 1)[0]
            if pid:
                return pid
    return None


def identifier_of(resource: Any) -> str | None:
    """`system|value` of the identifier a resource names its patient by, when it has no Patient reference."""
    if not isinstance(resource, dict):
        return None
    for key in ("subject", "patient"):
        ref = resource.get(key)
        ident = ref.get("identifier") if isinstance(ref, dict) else None
        if isinstance(ident, dict):
            system, value = identity(ident.get("system"), ident.get("value"))  # the registry's, as a hook call reads it
            if isinstance(system, str) and isinstance(value, str) and value:
                return f"{system}|{value}"
    return None


def _is_patient_file(name: str) -> bool:
    return Path(name).name.split(".", 1)[0] == "Patient"


def _resolve_identifiers(index: ExportIndex, waiting: dict[str, array[int]]) -> None:
    """Give each line waiting on an identifier to the Patient that carries it; count the rest.

    `waiting` maps `system|value` to [file, offset, length, line number, ...]. Only the
    Patient files are read, and only while some identifier is still unresolved.
    """
    for name in index.files:
        if not waiting:
            break
        if not _is_patient_file(name):
            continue
        with open(name, "rb") as fh:
            for line in fh:
                try:
                    patient = orjson.loads(line) if line.strip() else None
                except orjson.JSONDecodeError:
                    continue  # counted in the first pass
                if isinstance(patient, dict) and patient.get("resourceType") == "Patient":
                    pid = patient_of(patient)
                    if pid is not None:
                        _claim(index, pid, patient.get("identifier"), waiting)
    for lines in waiting.values():
        for i in range(0, len(lines), 4):
            index.no_patient += 1
            index.note(index.files[lines[i]], lines[i + 3], "its subject identifier is on no Patient in the export")


def _claim(index: ExportIndex, pid: str, identifiers: Any, waiting: dict[str, array[int]]) -> None:
    """Move the lines waiting on any of this Patient's identifiers to the Patient's own lines."""
    for ident in identifiers if isinstance(identifiers, list) else ():
        if not isinstance(ident, dict):
            continue
        system, value = identity(ident.get("system"), ident.get("value"))
        lines = waiting.pop(f"{system}|{value}", None)
        if lines is None:
            continue
        slot = index.patients.get(pid)
        if slot is None:
            slot = index.patients[pid] = array("Q")
        for i in range(0, len(lines), 4):
            slot.extend(lines[i:i + 3])


def build_index(files: Iterable[str | Path], on_bytes: Callable[[int], None] | None = None) -> ExportIndex:
    """One streaming pass: offsets of every line, grouped by patient; bad lines counted.

    Lines naming their patient by identifier are resolved afterwards (`_resolve_identifiers`).
    """
    index = ExportIndex([str(f) for f in files])
    waiting: dict[str, array[int]] = {}
    for file_no, name in enumerate(index.files):
        offset = 0
        with open(name, "rb") as fh:
            for line_no, line in enumerate(fh, 1):
                length = len(line)
                if line.strip():
                    index.lines += 1
                    try:
                        resource = orjson.loads(line)
                    except orjson.JSONDecodeError:
                        index.invalid_json += 1
                        index.note(name, line_no, "not valid JSON")
                    else:
                        pid = patient_of(resource)
                        ident = identifier_of(resource) if pid is None else None
                        if ident is not None:
                            pending = waiting.get(ident)
                            if pending is None:
                                pending = waiting[ident] = array("Q")
                            pending.extend((file_no, offset, length, line_no))
                        elif pid is None:
                            index.no_patient += 1
                            index.note(name, line_no, "no patient reference")
                        else:
                            slot = index.patients.get(pid)
                            if slot is None:
                                slot = index.patients[pid] = array("Q")
                            slot.extend((file_no, offset, length))
                if on_bytes is not None:
                    on_bytes(length)
                offset += length
    if waiting:
        _resolve_identifiers(index, waiting)
    return index


class LineReader:
    """Reads lines back by (file, offset, length), keeping the files open."""

    def __init__(self, files: list[str]) -> None:
        self.files = files
        self.handles: dict[int, BinaryIO] = {}

    def read(self, flat: array[int]) -> list[dict[str, Any]]:
        out = []
        for i in range(0, len(flat), 3):
            file_no, offset, length = flat[i], flat[i + 1], flat[i + 2]
            fh = self.handles.get(file_no)
            if fh is None:
                fh = self.handles[file_no] = open(self.files[file_no], "rb")
            fh.seek(offset)
            out.append(orjson.loads(fh.read(length)))
        return out

    def close(self) -> None:
        for fh in self.handles.values():
            fh.close()
        self.handles.clear()


def iter_patients(index: ExportIndex) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """One patient's resources at a time (for single-process use and tests)."""
    reader = LineReader(index.files)
    try:
        for pid, flat in index.patients.items():
            yield pid, reader.read(flat)
    finally:
        reader.close()
