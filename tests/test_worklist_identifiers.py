"""Worklist: resources that name their patient by identifier (the CPR number) belong to that patient.

A hook call accepts `subject.identifier` (clinical rules §7); an NDJSON export written by the
same EHR may do the same. The CAR-T infusion below refers to its patient only by CPR: without
it the patient has no T0 and no row.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from distributed import LocalCluster

from cds_service.settings import Settings
from cds_service.tools.ndjson import build_index, export_files
from cds_service.tools.worklist import run_worklist

from .fixtures import FIXTURES

AT = date(2026, 4, 28)
CPR = "urn:oid:1.2.208.176.1.2"
ROW = ("pt-dk-0001", "start-substitution", "2025-11-18", "2026-05-18")


def _export(where: Path, stray: bool = False) -> Path:
    """cart-in-window-igg-low as an export whose Procedures and Conditions name the patient by CPR."""
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    cpr = next(i["value"] for i in patient["identifier"] if i["system"] == CPR)
    files: dict[str, list[str]] = {}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] in ("Procedure", "Condition"):
            resource["subject"] = {"identifier": {"system": CPR, "value": cpr}}
        files.setdefault(resource["resourceType"], []).append(json.dumps(resource))
    if stray:  # nobody in the export carries this CPR
        files["Condition"].append(json.dumps({"resourceType": "Condition", "id": "stray",
                                              "subject": {"identifier": {"system": CPR, "value": "0101010101"}}}))
    where.mkdir(parents=True, exist_ok=True)
    for kind, lines in files.items():
        (where / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return where


def _rows(result) -> list[tuple[str, str, str, str]]:
    return [(r.patient_id, r.code, str(r.t0), str(r.stop_date)) for r in result.rows]


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_car_t_infusion_referring_by_cpr_gives_the_patient_a_row(tmp_path, jobs):
    result = run_worklist(_export(tmp_path / "export"), AT, Settings(), jobs=jobs)
    assert _rows(result) == [ROW]
    assert result.patients == 1 and result.no_patient == 0 and not result.errors


def test_an_identifier_no_patient_carries_is_counted_without_showing_it(tmp_path):
    export = _export(tmp_path / "export", stray=True)
    index = build_index(export_files(export))
    assert list(index.patients) == ["pt-dk-0001"] and index.no_patient == 1
    assert index.examples == ["Condition.ndjson:2: its subject identifier is on no Patient in the export"]
    assert "0101010101" not in " ".join(index.examples)  # a CPR number is never printed
    assert _rows(run_worklist(export, AT, Settings(), jobs=1)) == [ROW]


def test_dask_workers_get_the_resolved_lines(tmp_path):
    export = _export(tmp_path / "export")
    with LocalCluster(n_workers=1, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster:
        result = run_worklist(export, AT, Settings(), dask=cluster.scheduler_address)
    assert _rows(result) == [ROW] and result.no_patient == 0


def test_the_cpr_registrys_other_uri_and_a_hyphenated_number_are_the_same_patient(tmp_path):
    """r49: DK Core lists `http://www.cpr.dk/cpr-systemet` for the CPR registry beside the OID (terminology.md §0); a
    hook call read the two as one, the worklist did not: its CPR column was empty for a Patient carrying only that URI,
    and an export naming the patient under the OID left the CAR-T infusion without its patient."""
    export = _export(tmp_path / "export")
    patient_file = export / "Patient.ndjson"
    patient = json.loads(patient_file.read_text().splitlines()[0])
    [ident] = [i for i in patient["identifier"] if i["system"] == CPR]
    hyphenated = ident["value"][:6] + "-" + ident["value"][6:]
    ident["system"], ident["value"] = "http://www.cpr.dk/cpr-systemet", hyphenated
    patient_file.write_text(json.dumps(patient) + "\n", encoding="utf-8")
    result = run_worklist(export, AT, Settings(), jobs=1)
    assert _rows(result) == [ROW] and not result.errors  # the infusion, named by the OID, found its patient
    assert [r.identifier for r in result.rows] == [hyphenated]  # shown as the Patient carries it
