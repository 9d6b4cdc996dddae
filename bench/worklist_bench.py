"""Worklist throughput and memory on a synthetic export (not a test: numbers for docs/tools.md).

`python -m bench.worklist_bench [--patients 10000] [--jobs N] [--dir DIR] [--at DATE]`

Generates the export once (bench/make_export.py, fixed seed) unless it exists, then runs
the worklist as `cds-service worklist` does and prints patients/s, wall time and peak
memory. Peak RSS is sampled from /proc for the parent plus its live children (the sum is
what the machine must hold), and cross-checked with getrusage: the parent's high-water
mark and the largest child's (RUSAGE_CHILDREN, after the pool has been reaped).
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from bench.make_export import make_export
from cds_service.settings import load_settings
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    parser.add_argument("--dir", help="export directory (default: a cached one under the temp dir)")
    parser.add_argument("--at", type=date.fromisoformat, default=date(2026, 3, 1))
    args = parser.parse_args()
    export = Path(args.dir or Path(tempfile.gettempdir()) / f"igsub-export-{args.patients}")
    if not (export / "Patient.ndjson").exists():
        started = time.perf_counter()
        counts = make_export(args.patients, export, seed=2025, at=args.at, bad_lines=6)
        print(f"generated {sum(counts.values())} resources in {time.perf_counter() - started:.1f} s -> {export}")
    size_mb = sum(f.stat().st_size for f in export.iterdir()) / 1e6
    sampler = RssSampler()
    sampler.start()
    started = time.perf_counter()
    result = run_worklist(export, args.at, load_settings(), jobs=args.jobs)
    wall = time.perf_counter() - started
    sampler.stop()
    parent_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(f"export:        {result.patients} patients, {result.lines} lines, {size_mb:.0f} MB, {os.cpu_count()} CPU(s)")
    print(f"worklist:      {len(result.rows)} patients need action; {result.invalid_json} bad JSON, "
          f"{result.no_patient} without patient; {len(result.errors)} errors")
    print(f"wall time:     {wall:.1f} s ({result.jobs} worker processes)  target < {TARGET_S:.0f} s: "
          f"{'met' if wall < TARGET_S else 'MISSED'}")
    print(f"throughput:    {result.patients / wall:.0f} patients/s")
    print(f"peak RSS:      {sampler.peak_kib / 1024:.0f} MiB parent + {sampler.peak_children} children (sampled /proc)")
    print(f"               parent high-water {parent_peak / 1024:.0f} MiB; largest child {child_peak / 1024:.0f} MiB (getrusage)")


if __name__ == "__main__":
    main()
