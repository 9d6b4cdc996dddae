"""Population worklist over an NDJSON export: contents, order, CSV, bad lines, bounded memory."""

from __future__ import annotations

import csv
import json
import tracemalloc
from collections import Counter
from array import array
from datetime import date
from pathlib import Path

import pytest

from bench.make_export import make_export
from cds_service.tools import cli
from cds_service.tools.ndjson import ExportIndex, build_index, export_files, iter_patients, patient_of
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.worklist import (CPR_SYSTEM, AdviceRow, WorklistResult, csv_rows, evaluate_patient_resources,
                                        needs_action, render_table, run_worklist)
from cql_like_rules.advice import advice

from .fixtures import FIXTURES, load_fixtures

AT = date(2026, 4, 28)
CHOSEN = [
    "cart-ig-active-stop-overdue", "cart-ig-started-after-sepsis-general-stop-review",
    "cart-after-window-recurrent-pneumonia-fresh-igg", "cart-in-window-igg-low", "teclistamab-in-window-only-pre-t0-igg",
    "talquetamab-admin-ig-active-stop-planned", "cart-after-window-no-infections-old-igg", "rituximab-only-no-index-event",
    "scig-before-t0-general-stop-review", "wrong-patient-observation-dropped",
]
# (patient, code, T0, stop date, IgG value, IgG date) on AT, most urgent first.
EXPECTED = [
    ("pt-dk-0011", "stop-overdue", "2025-10-14", "2026-04-14", "6.8", "2026-01-20"),
    ("pt-dk-0035", "stop-due-soon", "2025-11-03", "2026-05-03", "2.9", "2025-11-20"),
    ("pt-dk-0001", "start-substitution", "2025-11-18", "2026-05-18", "3.2", "2026-01-13"),
    ("pt-dk-0008", "measure-igg", "2025-02-11", "2025-08-11", "3.4", "2026-01-26"),
    ("pt-dk-0029", "measure-igg", "2025-11-11", "2026-05-11", "5.1", "2026-01-26"),
    ("pt-dk-0002", "measure-igg", "2025-12-08", "2026-06-08", "", ""),
    ("pt-dk-0016", "general-stop-review", "2025-10-06", "2026-04-06", "3.3", "2025-01-28"),
    ("pt-dk-0017", "general-stop-review", "2025-09-15", "2026-03-15", "2.4", "2025-10-22"),
]
RUNTIME = load_runtime(Settings())


def write_export(names: list[str], where: Path, bad: bool = False) -> Path:
    """Fixture bundles as a Bulk Data export; Observations split over two files."""
    where.mkdir(parents=True, exist_ok=True)
    files: dict[str, list[str]] = {}
    n = 0
    for name in names:
        bundle = json.loads((FIXTURES / f"{name}.json").read_text())
        for entry in bundle["entry"]:
            resource = entry["resource"]
            kind = resource["resourceType"]
            if kind == "Observation":
                kind = f"Observation.{n % 2:03d}"
                n += 1
            files.setdefault(kind, []).append(json.dumps(resource))
    if bad:
        files["Observation.000"] += ['{"resourceType": "Observation", "id": "cut', "",
                                     json.dumps({"resourceType": "Observation", "id": "no-subject", "status": "final"})]
        files.setdefault("Condition", []).append(json.dumps({"resourceType": "Condition", "id": "c",
                                                             "subject": {"reference": "Group/g"}}))
    for kind, lines in files.items():
        (where / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (where / "README.txt").write_text("not part of the export")
    return where


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    return write_export(CHOSEN, tmp_path_factory.mktemp("export"), bad=True)


def table_rows(result) -> list[tuple]:
    return [(r.patient_id, r.code, str(r.t0), str(r.stop_date), "" if r.igg_g_l is None else f"{r.igg_g_l:.1f}",
             "" if r.igg_date is None else str(r.igg_date)) for r in result.rows]


@pytest.mark.parametrize("jobs", [1, 2])
def test_worklist_lists_who_needs_action_most_urgent_first(export, jobs):
    result = run_worklist(export, AT, Settings(), jobs=jobs)
    assert table_rows(result) == EXPECTED
    assert result.patients == 11  # ten fixtures plus the other patient of the wrong-patient Observation
    assert result.codes["no-start-without-infections"] == 1 and "stop-planned" not in result.codes


def test_a_therapy_the_service_cannot_recognise_is_listed_last_not_left_out(tmp_path):
    """Linvoseltamab under a local code gets no advice on the criteria, but the patient is on the list (after
    every clinical action), so the team sees whose therapy could not be checked."""
    where = write_export(["cart-in-window-igg-low", "linvoseltamab-local-code-not-checked"], tmp_path / "export")
    result = run_worklist(where, date(2026, 1, 20), Settings(), jobs=1)
    assert [(r.patient_id, r.code) for r in result.rows] == [("pt-dk-0001", "start-substitution"),
                                                              ("pt-dk-0067", "therapy-not-recognised")]
    lines = {line.split()[0]: line for line in render_table(result).splitlines()[4:6]}
    assert lines["pt-dk-0067"].endswith("  not used")  # nothing was checked: not "none", as if no IgG were on file
    assert " g/L 20" in lines["pt-dk-0001"]


def test_bad_lines_are_counted_not_fatal(export):
    result = run_worklist(export, AT, Settings(), jobs=1)
    assert (result.invalid_json, result.no_patient) == (1, 2)
    assert any("not valid JSON" in e for e in result.examples)
    assert not result.errors


def test_cli_table_and_csv(export, tmp_path, capsys):
    out_csv = tmp_path / "worklist.csv"
    assert cli.main(["worklist", str(export), "--at", AT.isoformat(), "--csv", str(out_csv), "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Worklist as of 2026-04-28: 8 of 11 patients need action")
    body = [line.split()[:3] for line in out.splitlines()[4:12]]
    assert [[pid, code] for pid, _, code in body] == [[pid, code] for pid, code, *_ in EXPECTED]
    assert all(len(cpr) == 10 and cpr.isdigit() for _, cpr, _ in body)  # the CPR number beside the FHIR id
    assert "skipped 1 not valid JSON, 2 without a patient reference" in out
    with out_csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["patient_id"], r["code"], r["t0"], r["stop_date"], r["igg_g_l"], r["igg_date"]) for r in rows] == EXPECTED
    assert rows[0]["indicator"] == "warning" and "2026-04-14" in rows[0]["summary"]
    assert all(len(r["identifier"]) == 10 for r in rows)
    assert rows[-1]["due_date"] == "2026-04-27"


def test_cli_shows_the_identifier_of_the_system_asked_for(tmp_path, capsys):
    """A hospital that works by its own record number (MRN) sees that number beside the FHIR id."""
    mrn_system = "https://hospital.example.dk/fhir/sid/mrn"
    export = write_export(["cart-in-window-igg-low"], tmp_path / "export")
    patients = export / "Patient.ndjson"
    [patient] = [json.loads(line) for line in patients.read_text().splitlines()]
    cpr = next(i["value"] for i in patient["identifier"] if i["system"] == CPR_SYSTEM)
    patient["identifier"].append({"system": mrn_system, "value": "MRN-0042117"})
    patients.write_text(json.dumps(patient) + "\n")
    out_csv = tmp_path / "worklist.csv"
    assert cli.main(["worklist", str(export), "--at", AT.isoformat(), "--jobs", "1", "--csv", str(out_csv),
                     "--identifier-system", mrn_system]) == 0
    out = capsys.readouterr().out
    [row] = [line.split() for line in out.splitlines() if line.startswith("pt-dk-0001")]
    assert row[:3] == ["pt-dk-0001", "MRN-0042117", "start-substitution"]
    assert cpr not in out
    with out_csv.open(newline="") as fh:
        [written] = list(csv.DictReader(fh))
    assert written["identifier"] == "MRN-0042117"
    # without the option: the CPR number, as before
    assert cli.main(["worklist", str(export), "--at", AT.isoformat(), "--jobs", "1"]) == 0
    assert [line.split()[1] for line in capsys.readouterr().out.splitlines() if line.startswith("pt-dk-0001")] == [cpr]


def test_cli_errors(tmp_path, capsys):
    assert cli.main(["worklist", str(tmp_path), "--at", "2026-04-28"]) == 2
    assert "no *.ndjson files" in capsys.readouterr().err
    assert cli.main(["worklist", str(tmp_path / "missing"), "--at", "2026-04-28"]) == 2
    assert cli.main(["worklist", str(tmp_path), "--at", "28/4"]) == 2


def test_split_files_are_read(export):
    names = [p.name for p in export_files(export)]
    assert "Observation.000.ndjson" in names and "Observation.001.ndjson" in names and "README.txt" not in names


def test_the_per_patient_function_gives_the_service_answer_for_every_fixture():
    for fixture in load_fixtures():
        if fixture.name == "resources-refer-to-patient-by-urn-uuid":
            continue  # a Bulk Data export references Patient/{id}; urn:uuid fullUrls exist only inside a Bundle
        resources = [e["resource"] for e in fixture.bundle["entry"]]
        pid = next(r["id"] for r in resources if r["resourceType"] == "Patient")
        rows = evaluate_patient_resources([r for r in resources if patient_of(r) == pid], fixture.at, RUNTIME)
        assert sorted(r.code for r in rows) == sorted(fixture.expected), fixture.name
        assert all(isinstance(r, AdviceRow) and r.patient_id == pid for r in rows)


def test_general_stop_review_needs_action_only_when_due():
    assert needs_action(advice("general-stop-review", "due", "r"))
    assert not needs_action(advice("general-stop-review", "info", "r"))
    assert not needs_action(advice("stop-planned", "", "r"))
    assert needs_action(advice("measure-igg", "stale", "r"))


# -- memory: the parent holds offsets, never the export ------------------------------------

def test_index_holds_only_offsets(export):
    index = build_index(export_files(export))
    assert isinstance(index, ExportIndex) and len(index.patients) == 11
    for flat in index.patients.values():
        assert isinstance(flat, array) and flat.typecode == "Q" and len(flat) % 3 == 0
    lines = sum(len(flat) // 3 for flat in index.patients.values())
    assert lines == index.lines - index.invalid_json - index.no_patient
    pid, resources = next(iter_patients(index))
    assert all(patient_of(r) == pid for r in resources) and len(resources) == len(index.patients[pid]) // 3


def _index_peak(directory: Path) -> tuple[int, int]:
    """(peak bytes allocated while indexing beyond what the index keeps, bytes the index keeps)."""
    files = export_files(directory)
    tracemalloc.start()
    try:
        index = build_index(files)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert index.patients
    return peak - kept, kept


def test_indexing_memory_does_not_grow_with_the_export(tmp_path):
    make_export(100, tmp_path / "small", seed=7)
    make_export(800, tmp_path / "large", seed=7)
    transient_small, kept_small = _index_peak(tmp_path / "small")
    transient_large, kept_large = _index_peak(tmp_path / "large")
    assert kept_large > 4 * kept_small  # the index itself grows with the patients ...
    assert transient_large < 256 * 1024  # ... but nothing else: one line at a time
    assert transient_large < 2 * transient_small + 64 * 1024


def test_synthetic_export_is_deterministic_and_mixed(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    counts = make_export(300, a, seed=11, at=AT, bad_lines=2)
    make_export(300, b, seed=11, at=AT, bad_lines=2)
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in (p.name for p in a.iterdir()))
    assert 25 <= sum(counts.values()) / 300 <= 35
    result = run_worklist(a, AT, Settings(), jobs=2)
    in_scope = sum(result.codes.values()) + 0
    assert 0.1 < in_scope / 300 < 0.3, result.codes
    assert {"stop-overdue", "stop-due-soon", "start-substitution", "measure-igg"} <= {r.code for r in result.rows}
    assert (result.invalid_json, result.no_patient, result.errors) == (1, 1, [])


def test_an_igg_taken_on_substitution_is_marked_in_the_table():
    """A stop due on 2025-08-27 after a CAR-T on 2025-03-10, IVIG since 2025-04-07: the latest IgG (5.5 g/L,
    2025-07-01) was taken on substitution. The card says it shows the infused immunoglobulin (§3.4); the worklist
    line said only "5.5 g/L 2025-07-01", which reads as recovery."""
    subject = {"reference": "Patient/pt-wl-on-ig"}

    def igg(rid: str, day: str, value: float) -> dict:
        return {"resourceType": "Observation", "id": rid, "status": "final", "subject": subject, "effectiveDateTime": day,
                "code": {"coding": [{"system": "http://loinc.org", "code": "2465-3"}]},
                "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}

    resources = [
        {"resourceType": "Patient", "id": "pt-wl-on-ig", "birthDate": "1960-01-01"},
        {"resourceType": "Condition", "id": "dx", "subject": subject, "onsetDateTime": "2023-01-01",
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C83.3"}]}},
        {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": subject,
         "performedDateTime": "2025-03-10", "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]}},
        igg("igg-1", "2025-03-31", 2.8), igg("igg-2", "2025-07-01", 5.5),
        {"resourceType": "MedicationRequest", "id": "ivig", "status": "active", "intent": "order", "subject": subject,
         "authoredOn": "2025-04-07", "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc",
                                                                               "code": "J06BA02"}]},
         "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-04-07"}}}}]},
    ]
    [row] = evaluate_patient_resources(resources, date(2025, 8, 27), RUNTIME)
    assert (row.code, row.igg_g_l, row.igg_on_substitution) == ("stop-due-soon", 5.5, True)
    result = WorklistResult(date(2025, 8, 27), [row], Counter({row.code: 1}), 1, 6, 0, 0, [], [], 0.1, 1)
    assert "5.5 g/L 2025-07-01 on Ig" in render_table(result)
    untreated = [r for r in resources if r["id"] != "igg-2"]
    [row] = evaluate_patient_resources(untreated, date(2025, 8, 27), RUNTIME)
    assert not row.igg_on_substitution
    assert "2.8 g/L 2025-03-31\n" in render_table(WorklistResult(date(2025, 8, 27), [row], Counter(), 1, 5, 0, 0, [], [],
                                                                   0.1, 1))


@pytest.mark.parametrize("total, comparator, m_protein, cell", [
    (25.0, ">", 22.0, ">3.0 g/L 2025-05-02"),  # polyclonal IgG above 3.0: the card asks for both figures
    (2.0, "<", 1.0, "<1.0 g/L 2025-05-02"),  # polyclonal IgG below 1.0: a start in the window
    (2.0, "<", None, "<2.0 g/L 2025-05-02"),  # a total below the measuring range, no M-protein
])
def test_an_igg_reported_as_a_bound_keeps_its_sign_in_the_table(total, comparator, m_protein, cell):
    """Clinical rules §7: a comparator is shown as reported. A total IgG '>25 g/L' less an IgG-kappa M-protein of
    22 g/L is polyclonal IgG '>3.0 g/L' on the card; the worklist's 'IgG used' column read '3.0 g/L', a figure no
    laboratory gave and one below 4 g/L (and a total '<2.0' read '2.0 g/L')."""
    subject = {"reference": "Patient/pt-wl-bound"}

    def obs(rid: str, code: str, value: float, cmp: str | None) -> dict:
        q = {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L",
             **({"comparator": cmp} if cmp else {})}
        return {"resourceType": "Observation", "id": rid, "status": "final", "subject": subject,
                "effectiveDateTime": "2025-05-02", "code": {"coding": [{"system": "http://npu-terminology.org",
                                                                        "code": code}]}, "valueQuantity": q}

    resources = [
        {"resourceType": "Patient", "id": "pt-wl-bound", "birthDate": "1956-04-11"},
        {"resourceType": "Condition", "id": "dx", "subject": subject, "onsetDateTime": "2023-01-01",
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C90.0"}]}},
        {"resourceType": "MedicationAdministration", "id": "tec", "status": "completed", "subject": subject,
         "effectiveDateTime": "2025-03-03",
         "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX24"}]}},
        obs("igg", "NPU19814", total, comparator),
        *([obs("mp", "NPU28638", m_protein, None)] if m_protein is not None else []),
    ]
    [row] = evaluate_patient_resources(resources, date(2025, 5, 5), RUNTIME)
    assert row.igg_comparator == comparator
    table = render_table(WorklistResult(date(2025, 5, 5), [row], Counter({row.code: 1}), 1, len(resources), 0, 0,
                                        [], [], 0.1, 1))
    assert cell + "\n" in table, table
    # the CSV: the bare number and its sign in their own column, so a spreadsheet never reads ">3.0" as 3.0
    [header, written] = list(csv_rows(WorklistResult(date(2025, 5, 5), [row], Counter({row.code: 1}), 1,
                                                      len(resources), 0, 0, [], [], 0.1, 1)))
    fields = dict(zip(header, written))
    assert (fields["igg_comparator"], fields["igg_g_l"]) == (comparator, float(cell.split(" ")[0].lstrip("<>")))
    assert header[:11] == ["patient_id", "identifier", "code", "indicator", "t0", "t0_kind", "stop_date", "igg_g_l",
                           "igg_date", "due_date", "summary"]  # the older columns keep their places
