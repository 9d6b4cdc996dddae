"""CPU per chart of two or more service trees, in process, asked in turn pass by pass: is a change faster?

A shared machine's speed drifts by 20-40% over seconds (other jobs, the host), more than most changes move.
Runs of one tree after the other compare two moments, not two trees. Here each tree answers in a process of its
own, kept running; the trees answer one pass each in turn, so drift falls on every tree alike, and each tree's
fastest pass is the figure (the pass least disturbed). Every pass makes each chart unseen (a fresh revision, as
`make bench`'s load generator does), so the validation cache never answers.

    python bench/compare.py in-scope /tmp/before /work/main                 # tree A, then B: B's min over A's
    python bench/compare.py in-scope-200-igg /tmp/before . --charts 20 --passes 20
    git archive da231ed | (mkdir -p /tmp/before && tar -x -C /tmp/before)   # a commit's tree to compare with

Each tree uses its own `bench/patients.py` to build the cohort; a tree whose cohort differs from the first's is
named, since its figure is then about other charts. What is timed: parsing the body, then `answer_local` (pooling,
facts, rules, validation, cards), as `bench/inprocess.py`'s "parse" and "answer" stages.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def worker(kind: str, charts: int) -> None:
    """Answer the cohort once per line read from stdin; write the pass's CPU ms per chart (first line: the cohort's
    digest, once it is built)."""
    import orjson

    from bench.patients import EVALUATION_DATE, cohort
    from cds_service.fhir.request import parse_hook_request
    from cds_service.pipeline import answer_local
    from cds_service.runtime import load_runtime
    from cds_service.settings import Settings

    cohort_charts = cohort(kind, charts, 2026)
    runtime = load_runtime(Settings(evaluation_date=EVALUATION_DATE))
    today = runtime.today()
    digest = hashlib.sha256(b"".join(c.sendable("0") for c in cohort_charts)).hexdigest()[:12]
    print(digest, Path(answer_local.__code__.co_filename).resolve().parent.parent, flush=True)
    for done, _ in enumerate(sys.stdin, start=1):
        bodies = [c.sendable(f"{done}{i:07d}") for i, c in enumerate(cohort_charts)]
        start = time.process_time()
        for body in bodies:
            answer_local(parse_hook_request(orjson.loads(body), "patient-view"), runtime, today=today)
        print(f"{(time.process_time() - start) / charts * 1000:.4f}", flush=True)


def compare(kind: str, trees: list[Path], charts: int, passes: int) -> list[str]:
    """The rows: each tree's fastest, first-quartile and median pass, and its fastest over the first tree's."""
    procs = []
    for tree in trees:
        env = {**os.environ, "PYTHONPATH": str(tree)}
        procs.append(subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--worker", kind,
                                       "--charts", str(charts)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      text=True, env=env))
    try:
        digests = []
        for tree, proc in zip(trees, procs):
            digest, loaded = _read(proc, tree).split(" ", 1)
            if Path(loaded) != tree:
                raise SystemExit(f"the worker for {tree} loaded the service from {loaded}: is it installed there?")
            digests.append(digest)
        times: list[list[float]] = [[] for _ in trees]
        for round_ in range(passes + 1):  # the first pass warms each process's caches and code paths: not counted
            for at, (tree, proc) in enumerate(zip(trees, procs)):
                assert proc.stdin is not None
                proc.stdin.write("go\n")
                proc.stdin.flush()
                took = float(_read(proc, tree))
                if round_:
                    times[at].append(took)
    finally:
        for proc in procs:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait(timeout=60)
    first = min(times[0])
    rows = [f"{'tree':40s} {'min':>7s} {'p25':>7s} {'median':>7s} {'min/first':>9s}  (CPU ms per chart, {kind}, "
            f"{charts} charts, {passes} passes each)"]
    for tree, spent, digest in zip(trees, times, digests):
        p25 = statistics.quantiles(spent, n=4, method="inclusive")[0] if len(spent) > 1 else spent[0]
        other = "" if digest == digests[0] else f"  (another cohort than the first tree's: {digest})"
        rows.append(f"{str(tree)[-40:]:40s} {min(spent):7.3f} {p25:7.3f} {statistics.median(spent):7.3f} "
                    f"{min(spent) / first:9.3f}{other}")
    return rows


def _read(proc: subprocess.Popen[str], tree: Path) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        raise SystemExit(f"the worker for {tree} ended without answering (exit {proc.wait()}): see above")
    return line.strip()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", help="cohort: in-scope, out-of-scope, in-scope-200-igg, after-window-cultures, in-scope-300-results")
    parser.add_argument("trees", nargs="*", type=Path, help="service trees (the first is the one compared with)")
    parser.add_argument("--charts", type=int, default=100, help="charts per pass (default 100)")
    parser.add_argument("--passes", type=int, default=15, help="counted passes per tree (default 15)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.kind, args.charts)
        return 0
    if len(args.trees) < 1 or args.charts < 1 or args.passes < 1:
        parser.error("give at least one tree, and --charts and --passes of 1 or more")
    missing = [str(t) for t in args.trees if not (t / "cds_service" / "pipeline.py").is_file()]
    if missing:
        parser.error(f"not a service tree (no cds_service/pipeline.py): {', '.join(missing)}")
    print("\n".join(compare(args.kind, [t.resolve() for t in args.trees], args.charts, args.passes)))
    return 0


if __name__ == "__main__":
    if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
        # the bench folder itself must not shadow installed distributions; a worker reads its tree (PYTHONPATH) only
        if "--worker" in sys.argv:
            del sys.path[0]
        else:
            sys.path[0] = str(ROOT)
    raise SystemExit(main())
