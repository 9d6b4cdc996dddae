"""Worklist throughput and memory on a synthetic export (not a test: numbers for docs/tools.md).

`python -m bench.worklist_bench [--patients 10000] [--jobs N] [--dask local|ADDRESS] [--dir DIR] [--at DATE]`

Generates the export once (bench/make_export.py, fixed seed) unless it exists, then runs
the worklist as `cds-service worklist` does and prints patients/s, wall time and peak
memory. It also times the indexing pass alone (the part that stays on one machine).

With `--dask local` the benchmark starts the LocalCluster itself (`--jobs` workers, one
thread each, on 127.0.0.1) so that its start-up is timed apart from the run; with a
scheduler address it uses that cluster (start its workers afresh for a first-run figure:
a worker keeps its runtime and validation cache between runs). Either way it first
measures the scheduler's cost per task with 1,000 empty tasks, then runs the worklist as
`cds-service worklist --dask` does.

Peak RSS is sampled from /proc for the parent plus its live children (the sum is what the
machine must hold; a remote cluster's workers are not seen), and cross-checked with
getrusage: the parent's high-water mark and the largest child's (RUSAGE_CHILDREN, after
the pool has been reaped). CPU time adds this process, its reaped children and, with
Dask, every worker's `time.process_time()`.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

from bench.make_export import make_export
from cds_service.settings import load_settings
from cds_service.tools.ndjson import build_index, export_files
from cds_service.tools.worklist import run_worklist

TARGET_S = 60.0


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                out += [int(c) for c in fh.read().split()]
    except OSError:
        pass
    return out


class RssSampler(threading.Thread):
    """Samples parent + children RSS every `interval` seconds; keeps the peak sum."""

    def __init__(self, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.interval, self.peak_kib, self.peak_children = interval, 0, 0
        self.stopped = threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self.stopped.is_set():
            children = _children(me)
            total = _rss_kib(me) + sum(_rss_kib(c) for c in children)
            if total > self.peak_kib:
                self.peak_kib, self.peak_children = total, len(children)
            self.stopped.wait(self.interval)

    def stop(self) -> None:
        self.stopped.set()
        self.join()


def _cpu_seconds(client: Any = None) -> float:
    """User + system CPU seconds of this process, its reaped children and, given a Dask client, every worker."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    if client is not None:
        total += sum(client.run(time.process_time).values())
    return total


def index_pass(export: Path) -> None:
    """The first pass alone: the client-side work that does not spread over workers."""
    files = export_files(export)
    size = sum(f.stat().st_size for f in files)
    started, cpu = time.perf_counter(), time.process_time()
    index = build_index(files)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    kept = sys.getsizeof(index.patients) + sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in index.patients.items())
    print(f"index pass:    {took:.1f} s for {index.lines} lines ({size / 1e6 / took:.0f} MB/s, "
          f"{len(index.patients) / took:.0f} patients/s), on the client; CPU {1000 * cpu / len(index.patients):.3f} "
          f"ms and {kept / len(index.patients):.0f} bytes of index per patient")


def dask_overhead(client: Any, tasks: int = 1000) -> None:
    """Scheduler cost per task: submit `tasks` empty tasks and wait for them all."""
    client.gather(client.map(int, range(10), pure=False))  # connections up
    started = time.perf_counter()
    client.gather(client.map(int, range(tasks), pure=False))
    took = time.perf_counter() - started
    print(f"dask overhead: {1000 * took / tasks:.2f} ms per task ({tasks} empty tasks in {took:.2f} s, "
          f"{len(client.nthreads())} workers)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--dask", metavar="ADDRESS", help="'local' (a LocalCluster started here) or a scheduler address")
    parser.add_argument("--dir", help="export directory (default: a cached one under the temp dir)")
    parser.add_argument("--at", type=date.fromisoformat, default=date(2026, 3, 1))
    args = parser.parse_args()
    export = Path(args.dir or Path(tempfile.gettempdir()) / f"igsub-export-{args.patients}")
    if not (export / "Patient.ndjson").exists():
        started = time.perf_counter()
        counts = make_export(args.patients, export, seed=2025, at=args.at, bad_lines=6)
        print(f"generated {sum(counts.values())} resources in {time.perf_counter() - started:.1f} s -> {export}")
    size_mb = sum(f.stat().st_size for f in export.iterdir()) / 1e6
    index_pass(export)
    sampler = RssSampler()
    sampler.start()
    cluster = client = None
    address = args.dask
    if args.dask:
        from distributed import Client, LocalCluster

        if args.dask == "local":
            started = time.perf_counter()
            cluster = LocalCluster(n_workers=args.jobs or os.cpu_count(), threads_per_worker=1, processes=True,
                                   host="127.0.0.1", dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR)
            print(f"cluster start: {time.perf_counter() - started:.1f} s (LocalCluster, {len(cluster.workers)} workers)")
            address = cluster.scheduler_address
        client = Client(address)
        dask_overhead(client)
    try:
        cpu_before = _cpu_seconds(client)
        started = time.perf_counter()
        result = run_worklist(export, args.at, load_settings(), jobs=args.jobs, dask=address)
        wall = time.perf_counter() - started
        cpu = _cpu_seconds(client) - cpu_before  # the local pool is reaped by now; the cluster still runs
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
    sampler.stop()
    parent_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"export:        {result.patients} patients, {result.lines} lines, {size_mb:.0f} MB, {os.cpu_count()} CPU(s)")
    print(f"worklist:      {len(result.rows)} patients need action; {result.invalid_json} bad JSON, "
          f"{result.no_patient} without patient; {len(result.errors)} errors")
    print(f"wall time:     {wall:.1f} s ({result.jobs} {result.engine})  target < {TARGET_S:.0f} s: "
          f"{'met' if wall < TARGET_S else 'MISSED'}")
    print(f"throughput:    {result.patients / wall:.0f} patients/s")
    print(f"CPU time:      {cpu:.1f} s in all processes = {1000 * cpu / result.patients:.2f} ms per patient "
          "(user + system, worker start-up included)")
    print(f"peak RSS:      {sampler.peak_kib / 1024:.0f} MiB parent + {sampler.peak_children} children (sampled /proc)")
    print(f"               parent high-water {parent_peak / 1024:.0f} MiB; largest child {child_peak / 1024:.0f} MiB (getrusage)")


if __name__ == "__main__":
    main()
