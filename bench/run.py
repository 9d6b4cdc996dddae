"""`make bench`: the patient-view service against a bare FastAPI endpoint, on distinct unseen charts.

What a user meets is a stream of different patients, each chart opened for the first time.
So every request is built from a cohort of distinct synthetic patients (`patients.py`:
400 in scope, 400 out of scope, 40 with 200 IgG results, 40 with 300 results the rules do not
read; seeded, Danish codes as the fixtures), cycled by the load generator (`cycle.lua`), which also writes a number unique
to the request into every resource's `meta.versionId` and the patient's id: no two requests
carry the same bytes, so no cache keyed on request content can help (the validation cache
holds 20,000 resources, more than 400 patients' worth: cycling alone would not defeat it).

Why alternate: absolute req/s depend on the machine and on whoever else uses it, so every
service number sits beside the baseline (`baseline.py`: same framework, the same body parsed
with the standard library, one fixed card) measured seconds apart. Baseline and service
alternate in rounds (3 by default); each row is the median of its rounds with the spread
(lowest-highest) of the per-round ratios. Rows: c=1 with one wrk thread, c=16 with one and
with two wrk threads. The exact wrk command of each row is printed, to reproduce it.

    python bench/run.py              # 3 rounds of 5 s, auth off and ES384 (~12 minutes)
    python bench/run.py --quick      # smoke run: 1 round of 2 s (~3 minutes)
    python bench/run.py --auth off --only in-scope --rounds 5
    python bench/run.py --json out.json

With `--auth es384` (default) the same rows are measured with `CDS_AUTH=on`: every request
carries its own ES384 JWT with a unique jti (signed before each run by `tokens.py`, outside
the measured time); the baseline gets the same tokens and ignores them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bench.patients import Chart

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # the bench folder itself must not shadow installed distributions
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.procstat import Load, cpu_seconds, descendants, machine_busy_seconds, rss_mb  # noqa: E402

SRC = ROOT  # the tree whose service is measured (--src)
SERVICE_PATH = "/cds-services/igsub-patient-view"
FALLBACK_PYTHON = "/tmp/venv/bin/python"
# (kind, patients in the cohort): 400 distinct charts, 40 of the 235 KB long-history ones and of the lab-heavy ones.
SCENARIOS = (("in-scope", 400), ("out-of-scope", 400), ("in-scope-200-igg", 40), ("after-window-cultures", 400),
             ("in-scope-300-results", 40))
CONFIGS = ((1, 1), (16, 1), (16, 2))  # (connections, wrk threads)
TOKEN_MARGIN = 1.5  # tokens per auth-on run = the auth-off service's req/s x seconds x margin + 1000

# Targets, single worker, distinct unseen charts: (kind, measure, limit).
TARGETS = (("in-scope", "ratio_c16", 0.50), ("out-of-scope", "ratio_c16", 0.80), ("in-scope", "p99_c1_ms", 5.0),
           ("in-scope-200-igg", "cpu_ms", 3.0))
RSS_LIMIT_MB = 150.0


# -- processes -----------------------------------------------------------------------------

def python_for_servers() -> str:
    venv = SRC / ".venv" / "bin" / "python"
    if venv.exists():
        return str(venv)
    return FALLBACK_PYTHON if Path(FALLBACK_PYTHON).exists() else sys.executable


def service_command(port: int) -> list[str]:
    """Exactly what `make run` runs, on another port."""
    exe = SRC / ".venv" / "bin" / "cds-service"
    head = [str(exe)] if exe.exists() else [python_for_servers(), "-m", "cds_service.tools.cli"]
    return head + ["serve", "--host", "127.0.0.1", "--port", str(port)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """One uvicorn process (tree) under test."""

    name: str
    proc: subprocess.Popen
    port: int
    startup_s: float

    def worker_pids(self) -> list[int]:
        tree = [p for p in descendants(self.proc.pid) if b"resource_tracker" not in _cmdline(p)]
        return tree[1:] if len(tree) > 1 else tree

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _get(port: int, path: str, timeout: float = 0.5) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def post(port: int, body: bytes, token: str | None = None) -> tuple[int, dict]:
    """One request: status and JSON answer (used for the checks)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Accept-Language": "en"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request("POST", SERVICE_PATH, body, headers)
        r = conn.getresponse()
        return r.status, json.loads(r.read())
    finally:
        conn.close()


def start(name: str, cmd: list[str], env: dict[str, str], log: Path, workers: int = 1, cwd: Path = ROOT,
          ready: tuple[int, ...] = (200,)) -> Server:
    """Start a server; start-up time is process start until GET /cds-services answers (401 with auth on)."""
    port = int(cmd[cmd.index("--port") + 1])
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    while time.perf_counter() < t0 + 60:
        if proc.poll() is not None:
            raise SystemExit(f"{name} exited with {proc.returncode}; see {log}")
        try:
            if _get(port, "/cds-services") in ready:
                break
        except OSError:
            pass
        time.sleep(0.005)
    else:
        proc.kill()
        raise SystemExit(f"{name} did not answer within 60 s; see {log}")
    server = Server(name, proc, port, time.perf_counter() - t0)
    if workers > 1:
        while len(server.worker_pids()) < workers:
            time.sleep(0.05)
        time.sleep(1.0)
    return server


# -- load ------------------------------------------------------------------------------------

@dataclass
class Run:
    """One measured load run (or the median of several rounds) against one server."""

    target: str
    scenario: str
    concurrency: int
    threads: int
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # server CPU (every thread and process) per request
    errors: int
    load: str
    others_cores: float  # CPU used meanwhile by every process but the server and the load generator
    gen_cores: float = 0.0  # CPU the load generator used (cores)
    tokens_reused: int = 0
    ratios: list[float] = field(default_factory=list)  # service rows: per-round req/s ratio to the baseline
    cpu_rounds: list[float] = field(default_factory=list)
    p99_rounds: list[float] = field(default_factory=list)

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios) if self.ratios else 0.0


REVISION: str | None = None  # --repeat-bodies: one fixed revision, so the cohort's bodies repeat


def wrk_command(port: int, bodies: Path, concurrency: int, threads: int, seconds: float,
                tokens: Path | None = None) -> tuple[list[str], dict[str, str]]:
    """The load generator's command and environment (wrk + cycle.lua, else loadgen.py)."""
    url = f"http://127.0.0.1:{port}{SERVICE_PATH}"
    env = {"BENCH_BODIES": str(bodies), "BENCH_THREADS": str(threads)}
    if tokens:
        env["BENCH_TOKENS"] = str(tokens)
    if REVISION is not None:
        env["BENCH_REVISION"] = REVISION
    if shutil.which("wrk"):
        cmd = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{max(1, round(seconds))}s",
               "-s", str(ROOT / "bench" / "cycle.lua"), url]
        return cmd, env
    cmd = [sys.executable, str(ROOT / "bench" / "loadgen.py"), url, "--bodies", str(bodies),
           "--concurrency", str(concurrency), "--duration", str(seconds)]
    return cmd + (["--tokens", str(tokens)] if tokens else []), env


def shown(cmd: list[str], env: dict[str, str]) -> str:
    """A command line anyone can paste (paths relative to the checkout where they are in it)."""
    def rel(text: str) -> str:
        return text.replace(str(ROOT) + "/", "")
    return " ".join(f"{k}={shlex.quote(rel(v))}" for k, v in env.items()) + " " + " ".join(shlex.quote(rel(c)) for c in cmd)


def drive(server: Server, kind: str, bodies: Path, concurrency: int, threads: int, seconds: float,
          tokens: Path | None = None) -> Run:
    """One measured run, reading the server's CPU and the machine's around it."""
    cmd, extra = wrk_command(server.port, bodies, concurrency, threads, seconds, tokens)
    env = {**os.environ, **extra}
    load = Load.now()
    cpu0, busy0 = cpu_seconds(server.proc.pid), machine_busy_seconds()
    gen0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True).stdout
    gen1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu1, busy1 = cpu_seconds(server.proc.pid), machine_busy_seconds()
    line = next((row for row in out.splitlines() if row.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise SystemExit(f"no result from the load generator:\n{out}")
    r = json.loads(line.split(" ", 1)[1])
    elapsed = r["duration_us"] / 1e6
    gen = (gen1.ru_utime + gen1.ru_stime) - (gen0.ru_utime + gen0.ru_stime)
    others = max(0.0, (busy1 - busy0) - (cpu1 - cpu0) - gen) / elapsed
    n = max(1, r["requests"])
    return Run(server.name, kind, concurrency, threads, r["requests"], r["requests"] / elapsed, r["p50_us"] / 1000,
               r["p99_us"] / 1000, (cpu1 - cpu0) * 1000 / n, r["errors"] + r["non_2xx"], str(load), others,
               gen / elapsed, r.get("tokens_reused", 0))


def median_run(runs: list[Run]) -> Run:
    def med(name: str) -> float:
        return statistics.median(getattr(r, name) for r in runs)

    first = runs[0]
    return Run(first.target, first.scenario, first.concurrency, first.threads, sum(r.requests for r in runs),
               med("rps"), med("p50_ms"), med("p99_ms"), med("cpu_ms"), sum(r.errors for r in runs), first.load,
               med("others_cores"), med("gen_cores"), sum(r.tokens_reused for r in runs),
               cpu_rounds=[round(r.cpu_ms, 4) for r in runs], p99_rounds=[round(r.p99_ms, 3) for r in runs])


def paired_rounds(base: Server, svc: Server, kind: str, bodies: Path, concurrency: int, threads: int,
                  seconds: float, warmup: float, rounds: int, tokens=None) -> tuple[Run, Run]:
    """Baseline and service in alternating rounds after a warm-up of each; medians and per-round ratios.

    `tokens(server, seconds)`: a fresh file of signed tokens for one run (auth on), or None.
    """
    def one(server: Server, secs: float) -> Run:
        return drive(server, kind, bodies, concurrency, threads, secs, tokens(server, secs) if tokens else None)

    if warmup > 0:
        one(base, warmup)
        one(svc, warmup)
    pairs = [(one(base, seconds), one(svc, seconds)) for _ in range(rounds)]
    b, s = median_run([p[0] for p in pairs]), median_run([p[1] for p in pairs])
    s.ratios = [round(sv.rps / bs.rps, 4) for bs, sv in pairs if bs.rps]
    return b, s


def check_over_http(server: Server, kind: str, charts: list[Chart], token_file: Path | None = None) -> None:
    """Every chart of the cohort must get its expected cards from the running server."""
    from bench.patients import card_codes

    tokens = iter(token_file.read_text().split()) if token_file else None
    for i, chart in enumerate(charts):
        status, data = post(server.port, chart.sendable(f"9{i:07d}"), next(tokens) if tokens else None)
        if status != 200 or card_codes(data) != chart.expected_cards:
            raise SystemExit(f"{server.name}: {kind} patient {i} answered {status} {card_codes(data)}, "
                             f"expected {chart.expected_cards}")


# -- report ----------------------------------------------------------------------------------

def spread(values: list[float], fmt: str = "{:.2f}") -> str:
    return (fmt.format(min(values)) + "-" + fmt.format(max(values))) if len(values) > 1 else ""


def print_rows(title: str, pairs: list[tuple[Run, Run]], commands: dict[tuple, str]) -> None:
    print(f"\n{title}")
    print(f"  {'c':>3} {'t':>2} {'baseline':>9} {'service':>8} {'ratio':>6} {'rounds':>10} {'p50 ms':>7} {'p99 ms':>7}"
          f" {'CPU ms/req base':>15} {'-> service':>10} {'err':>4} {'wrk cores':>9} {'others':>6}  load")
    for b, s in pairs:
        print(f"  {s.concurrency:>3} {s.threads:>2} {b.rps:9.0f} {s.rps:8.0f} {s.ratio:6.2f} {spread(s.ratios):>10}"
              f" {s.p50_ms:7.2f} {s.p99_ms:7.2f} {b.cpu_ms:15.3f} {s.cpu_ms:10.3f} {b.errors + s.errors:>4}"
              f" {s.gen_cores:9.2f} {s.others_cores:5.2f}c  {s.load}")
    for _, s in pairs:
        print(f"    c={s.concurrency} t={s.threads}: {commands[(s.scenario, s.concurrency, s.threads)]}")


# What a req/s or latency target says when the load generator is loadgen.py: its own limit, not the servers'
NOT_JUDGED = "NOT JUDGED (loadgen.py, not wrk, made the load: it is slower than both servers; install wrk)"


def check_targets(pairs: list[tuple[Run, Run]], rss: float, label: str, wrk: bool = True) -> list[str]:
    """One line per target: the median, its spread over rounds, MET or MISSED. Without wrk (`wrk` False) the req/s
    ratio and the p99 are loadgen.py's own limits (both servers wait on it), so those targets are not judged: a
    ratio near 1 there once read as "MET". CPU per request and RSS are read from the servers' processes: judged."""
    lines = []
    for kind, what, limit in TARGETS:
        rows = [s for _, s in pairs if s.scenario == kind]
        if not rows:
            continue
        if what == "ratio_c16":
            for s in (r for r in rows if r.concurrency == 16):
                verdict = ("MET" if s.ratio >= limit else "MISSED") if wrk else NOT_JUDGED
                lines.append(f"{label}{kind} c=16 t={s.threads}: req/s ratio {s.ratio:.2f} (rounds {spread(s.ratios)}),"
                             f" target >= {limit:.2f}: {verdict}")
        elif what == "p99_c1_ms":
            s = next(r for r in rows if r.concurrency == 1)
            verdict = ("MET" if s.p99_ms <= limit else "MISSED") if wrk else NOT_JUDGED
            lines.append(f"{label}{kind} c=1: p99 {s.p99_ms:.2f} ms (rounds {spread(s.p99_rounds)}), target <= {limit} ms: "
                         f"{verdict}")
        elif what == "cpu_ms":
            for s in rows:
                lines.append(f"{label}{kind} c={s.concurrency} t={s.threads}: CPU {s.cpu_ms:.2f} ms/request (rounds "
                             f"{spread(s.cpu_rounds)}), target <= {limit} ms: {'MET' if s.cpu_ms <= limit else 'MISSED'}")
    if rss:
        lines.append(f"{label}RSS after the runs {rss:.0f} MB, target <= {RSS_LIMIT_MB:.0f} MB: "
                     f"{'MET' if rss <= RSS_LIMIT_MB else 'MISSED'}")
    return lines


def tree_state() -> str:
    def git(*a: str) -> str:
        r = subprocess.run(["git", *a], cwd=SRC, capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else ""
    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return f"{SRC} (not a git checkout)"
    dirty = git("status", "--short").splitlines()
    return f"{SRC} at {head}" + (f" + {len(dirty)} uncommitted changes" if dirty else " (clean)")


def machine() -> dict:
    cpu = next((row.split(":", 1)[1].strip() for row in Path("/proc/cpuinfo").read_text().splitlines()
                if row.startswith("model name")), platform.processor())
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0] if shutil.which("wrk") else ""
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release(),
            "load_at_start": str(Load.now()), "tree": tree_state(), "wrk": wrk}


@dataclass
class Results:
    machine: dict
    generator: str
    duration_s: float
    rounds: int
    inprocess: dict = field(default_factory=dict)
    runs: list[list[Run]] = field(default_factory=list)
    auth_runs: list[list[Run]] = field(default_factory=list)
    worker_runs: list[list[Run]] = field(default_factory=list)
    commands: dict = field(default_factory=dict)
    startup_s: float = 0.0
    rss_mb: float = 0.0
    auth_rss_mb: float = 0.0
    baseline_rss_mb: float = 0.0
    signing: dict = field(default_factory=dict)
    targets: list[str] = field(default_factory=list)


# -- main ------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run (default 5)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating baseline/service rounds per row (default 3)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per row and server (default 2)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 round of 2 s, 1 s warm-up")
    parser.add_argument("--only", action="append", choices=[k for k, _ in SCENARIOS],
                        help="measure only this kind (may repeat)")
    parser.add_argument("--auth", choices=("es384", "off"), default="es384",
                        help="also measure every row with CDS_AUTH=on, ES384 (default), or not (off)")
    parser.add_argument("--workers", type=int, default=0,
                        help="also measure `serve --workers N` at c=16, 2 wrk threads (default: skip)")
    parser.add_argument("--seed", type=int, default=2026, help="cohort seed (default 2026)")
    parser.add_argument("--repeat-bodies", action="store_true",
                        help="send the cohort's bodies unchanged each time round (content caches then answer: "
                             "for comparison with harnesses that only cycle patients; not what the targets are on)")
    parser.add_argument("--baseline-parser", choices=("json", "orjson"), default="json",
                        help="the baseline's body parser: the standard library (default) or orjson")
    parser.add_argument("--json", type=Path, help="also write every number to this JSON file")
    parser.add_argument("--src", type=Path, default=ROOT, help="service tree to measure (default: this checkout)")
    parser.add_argument("--sandbox-key", type=Path, default=None,
                        help="the CDS Hooks Sandbox's EC private key (default: tests/data/cds-hooks-sandbox-ec-private-key.pem)")
    args = parser.parse_args()
    global SRC, REVISION
    SRC = args.src.resolve()
    REVISION = "1" if args.repeat_bodies else None
    sys.path.insert(0, str(SRC))
    from bench import inprocess
    from bench.patients import EVALUATION_DATE, cohort, write_bodies

    seconds = 2.0 if args.quick else args.duration
    warmup = 1.0 if args.quick else args.warmup
    rounds = 1 if args.quick else max(1, args.rounds)
    kinds = [(k, n) for k, n in SCENARIOS if not args.only or k in args.only]
    gen = "wrk" if shutil.which("wrk") else "loadgen.py (httpx; slower than the server: numbers are the generator's)"
    res = Results(machine(), gen, seconds, rounds)
    print(f"machine: {res.machine}")
    print(f"load generator: {gen}; {rounds} alternating round(s) of {seconds:g} s per server after {warmup:g} s "
          f"warm-up; CDS_EVALUATION_DATE={EVALUATION_DATE}; baseline parses with {args.baseline_parser}")
    if REVISION is not None:
        print("--repeat-bodies: each patient's body is sent unchanged every time round; content caches answer")

    tmp = Path(tempfile.mkdtemp(prefix="cds-bench-"))
    charts: dict[str, list] = {}
    bodies: dict[str, Path] = {}
    for kind, n in kinds:
        charts[kind] = cohort(kind, n, args.seed)
        bodies[kind] = write_bodies(charts[kind], tmp / f"{kind}.txt")
        sizes = [len(c.body) for c in charts[kind]]
        res_counts = [c.resources for c in charts[kind]]
        print(f"  {kind:21} {n:4d} patients, {min(res_counts)}-{max(res_counts)} resources, "
              f"{min(sizes) / 1024:.1f}-{max(sizes) / 1024:.1f} KB, expects {list(charts[kind][0].expected_cards)}"
              f"  (python -m bench.patients write {kind} {n} FILE --seed {args.seed})")

    print(f"\nin process, every chart unseen, CPU ms per request (load {Load.now()}):")
    print(f"  {'kind':21} {'parse':>7} {'pool':>7} {'answer':>7} {'validate':>8} {'cards json':>10} {'snapshot':>8} {'total':>7}")
    for kind, _ in kinds:
        t = inprocess.measure(charts[kind], EVALUATION_DATE)
        res.inprocess[kind] = asdict(t)
        print(f"  {kind:21} {t.parse_ms:7.3f} {t.pool_ms:7.3f} {t.answer_ms:7.3f} {t.validate_ms:8.3f} {t.dump_ms:10.3f}"
              f" {t.snapshot_ms:8.3f} {t.total_ms:7.3f}")

    env = {**os.environ, "CDS_EVALUATION_DATE": EVALUATION_DATE.isoformat(), "CDS_DATA_DIR": str(tmp / "data")}
    py = python_for_servers()
    servers: list[Server] = []

    def commands(pairs: list[tuple[Run, Run]], label: str) -> dict:
        out = {}
        for _, s in pairs:
            cmd, extra = wrk_command(0, bodies[s.scenario], s.concurrency, s.threads, seconds,
                                     Path("TOKENS") if label else None)
            out[(s.scenario, s.concurrency, s.threads)] = shown(cmd, extra).replace(":0/", ":PORT/")
            res.commands[f"{label}{s.scenario} c={s.concurrency} t={s.threads}"] = out[(s.scenario, s.concurrency, s.threads)]
        return out

    try:
        base = start("baseline", [py, "-m", "bench.baseline", "--port", str(free_port()), "--parser", args.baseline_parser],
                     env, tmp / "baseline.log")
        svc = start("service", service_command(free_port()), env, tmp / "service.log", cwd=SRC)
        servers += [base, svc]
        res.startup_s = svc.startup_s
        for kind, _ in kinds:
            check_over_http(svc, kind, charts[kind])
        print(f"\nevery patient answered as expected over HTTP; service start-up {svc.startup_s:.2f} s, "
              f"baseline {base.startup_s:.2f} s")
        for kind, _ in kinds:
            pairs = [paired_rounds(base, svc, kind, bodies[kind], c, t, seconds, warmup, rounds) for c, t in CONFIGS]
            res.runs += [list(p) for p in pairs]
            print_rows(f"{kind} (CDS_AUTH=off), baseline vs service", pairs, commands(pairs, ""))
        res.rss_mb = max(rss_mb(p) for p in svc.worker_pids())
        res.baseline_rss_mb = max(rss_mb(p) for p in base.worker_pids())
        print(f"\nRSS after the runs: service {res.rss_mb:.0f} MB, baseline {res.baseline_rss_mb:.0f} MB")
        svc.stop()

        if args.auth == "es384":
            from bench import tokens as tk

            key_file = args.sandbox_key or tk.SANDBOX_KEY
            if not key_file.exists():
                raise SystemExit(f"--auth es384: no sandbox key at {key_file} (use --sandbox-key, or --auth off)")
            mint = tk.TokenMint(tk.es384(key_file))
            try:
                auth = start("ES384", service_command(free_port()), {**env, **mint.signer.env()}, tmp / "auth.log",
                             cwd=SRC, ready=(401,))
                servers.append(auth)
                aud = f"http://127.0.0.1:{auth.port}{SERVICE_PATH}"
                spare = mint.write(aud, 2000, tmp / "tokens-baseline.txt")  # the baseline ignores them
                rates = {(s.scenario, s.concurrency, s.threads): s.rps for _, s in res.runs}
                for kind, _ in kinds:
                    check = mint.write(aud, len(charts[kind]) + 1, tmp / "tokens-check.txt")
                    check_over_http(auth, kind, charts[kind], check)
                    replayed = check.read_text().split()[0]
                    if post(auth.port, charts[kind][0].sendable("1"), replayed)[0] != 401 \
                            or post(auth.port, charts[kind][0].sendable("2"))[0] != 401:
                        raise SystemExit("ES384: a replayed token or no token was accepted; auth is not checking")
                    pairs = []
                    for c, t in CONFIGS:
                        rate = rates.get((kind, c, t), 3000.0)

                        def tokens(server: Server, secs: float, rate: float = rate) -> Path:
                            if server is base:
                                return spare
                            return mint.write(aud, int(rate * secs * TOKEN_MARGIN) + 1000, tmp / "tokens-run.txt")

                        pairs.append(paired_rounds(base, auth, kind, bodies[kind], c, t, seconds, warmup, rounds, tokens))
                    res.auth_runs += [list(p) for p in pairs]
                    print_rows(f"{kind} (CDS_AUTH=on, ES384, a fresh token per request), baseline vs service", pairs,
                               commands(pairs, "auth "))
                    reused = sum(s.tokens_reused for _, s in pairs)
                    if reused:
                        print(f"  WARNING: {reused} requests were sent with a spent token (401s): sign more")
                res.auth_rss_mb = max(rss_mb(p) for p in auth.worker_pids())
                res.signing = {"tokens": mint.signed, "seconds": round(mint.sign_seconds, 2), "processes": mint.processes}
                print(f"\nRSS after the auth-on runs: {res.auth_rss_mb:.0f} MB; token signing (outside the runs): "
                      f"{mint.signed} ES384 tokens in {mint.sign_seconds:.1f} s")
                auth.stop()
            finally:
                mint.close()

        if args.workers > 1:
            w = args.workers
            wsvc = start(f"service x{w}", service_command(free_port()) + ["--workers", str(w)], env,
                         tmp / "service-workers.log", w, cwd=SRC)
            servers.append(wsvc)
            pairs = [paired_rounds(base, wsvc, kind, bodies[kind], 16, 2, seconds, warmup, rounds)
                     for kind, _ in kinds if kind not in ("in-scope-200-igg", "in-scope-300-results")]
            res.worker_runs = [list(p) for p in pairs]
            print_rows(f"`serve --workers {w}` (baseline: one process)", pairs, commands(pairs, f"workers {w} "))
    finally:
        for srv in servers:
            srv.stop()
    pairs_off = [(b, s) for b, s in res.runs]
    wrk = shutil.which("wrk") is not None
    res.targets = check_targets(pairs_off, res.rss_mb, "", wrk)
    if res.auth_runs:
        res.targets += check_targets([(b, s) for b, s in res.auth_runs], res.auth_rss_mb, "auth ES384: ", wrk)
    charts_seen = "bodies repeated (--repeat-bodies): NOT the targets' conditions" if REVISION else "distinct unseen charts"
    print(f"\ntargets (single worker, {charts_seen}; load now {Load.now()}):")
    for line in res.targets:
        print("  " + line)
    if args.json:
        args.json.write_text(json.dumps(asdict(res), indent=2, default=str))
        print(f"\nwrote {args.json}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
