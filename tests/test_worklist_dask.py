"""The worklist on a real Dask cluster: the local run's rows, table and CSV; clear errors, never a traceback."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import dask
import pytest
from distributed import Client, LocalCluster

from bench.make_export import make_export
from cds_service.errors import InputError
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools import cli
from cds_service.tools.worklist import run_worklist
from cds_service.tools.worklist_dask import ExportFiles, evaluate_chunk_task

AT = date(2026, 4, 28)
RULESET = load_runtime(Settings()).ruleset.label


@pytest.fixture(scope="module")
def cluster():
    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as running:
        yield running


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    """400 synthetic patients over split files, two broken lines, and one patient who cannot be evaluated."""
    where = tmp_path_factory.mktemp("export")
    make_export(400, where, seed=5, at=AT, bad_lines=2, split=4000)
    with (where / "Patient.ndjson").open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"resourceType": "Patient", "id": "a/b"}) + "\n")  # not a Patient id: an error, not a crash
    return where


def _runtimes_loaded() -> int:
    """Runs inside a worker process: how many runtimes it has loaded."""
    from cds_service.tools import worklist_dask

    return len(worklist_dask._RUNTIMES)


def test_dask_gives_the_local_result(cluster, export):
    local = run_worklist(export, AT, Settings(), jobs=1)
    on_dask = run_worklist(export, AT, Settings(), dask=cluster.scheduler_address)
    assert len(local.rows) > 20 and {"stop-overdue", "start-substitution", "measure-igg"} <= {r.code for r in local.rows}
    assert on_dask.rows == local.rows  # same rows, same order
    assert on_dask.codes == local.codes and on_dask.patients == local.patients == 401
    assert (on_dask.lines, on_dask.invalid_json, on_dask.no_patient) == (local.lines, 1, 1)
    assert on_dask.errors == local.errors and [pid for pid, _ in local.errors] == ["a/b"]
    assert "Patient id" in local.errors[0][1]
    assert (on_dask.jobs, on_dask.engine) == (2, "Dask worker(s)")
    with Client(cluster) as client:  # both workers evaluated chunks, each loading the runtime once
        assert sorted(client.run(_runtimes_loaded).values()) == [1, 1]


def test_cli_dask_local_writes_the_same_table_and_csv(export, tmp_path, capsys):
    local_csv, dask_csv = tmp_path / "local.csv", tmp_path / "dask.csv"
    assert cli.main(["worklist", str(export), "--at", AT.isoformat(), "--csv", str(local_csv), "--jobs", "1"]) == 0
    local_out = capsys.readouterr().out
    assert cli.main(["worklist", str(export), "--at", AT.isoformat(), "--csv", str(dask_csv),
                     "--dask", "local", "--jobs", "2"]) == 0
    captured = capsys.readouterr()
    assert dask_csv.read_bytes() == local_csv.read_bytes()
    *table, timing = captured.out.splitlines()
    assert table == local_out.splitlines()[:-1]  # all but the timing line
    assert timing.endswith("with 2 Dask worker(s)") and "1 patient(s) could not be evaluated" in captured.out
    assert "Traceback" not in captured.err and "INFO" not in captured.err


def test_unreachable_scheduler_is_a_clear_error(export, capsys):
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        code = cli.main(["worklist", str(export), "--at", AT.isoformat(), "--dask", "tcp://127.0.0.1:1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in err and "Traceback" not in err
    assert cli.main(["worklist", str(export), "--at", AT.isoformat(), "--dask", "scheduler"]) == 2
    assert "cannot reach the Dask scheduler at scheduler: missing port number" in capsys.readouterr().err


def test_a_worker_that_cannot_read_the_export_says_so(cluster, export):
    patients = export / "Patient.ndjson"
    seen = ExportFiles.of([str(patients)])
    missing = ExportFiles((str(export / "Missing.ndjson"),), seen.sizes, seen.mtimes)
    with Client(cluster) as client:
        for export_seen, why in [(missing, "cannot read"),
                                 (ExportFiles(seen.paths, (seen.sizes[0] + 1,), seen.mtimes), "sees another"),
                                 (ExportFiles(seen.paths, seen.sizes, (seen.mtimes[0] - 60,)), "sees another")]:
            task = client.submit(evaluate_chunk_task, [], export=export_seen, settings=Settings(), ruleset=RULESET,
                                 identifier_system="", today=AT, pure=False)
            with pytest.raises(InputError, match=why) as raised:
                task.result()
            assert "shared storage" in raised.value.message


def test_a_worker_with_other_rules_says_so(cluster, export):
    patients = export / "Patient.ndjson"
    with Client(cluster) as client:
        task = client.submit(evaluate_chunk_task, [], export=ExportFiles.of([str(patients)]), settings=Settings(),
                             ruleset="another-ruleset-9.9+000000000000", identifier_system="", today=AT, pure=False)
        with pytest.raises(InputError, match=re.escape(f"runs rule set {RULESET}, the client another-ruleset-9.9")):
            task.result()
