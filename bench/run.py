"""`make bench`: the patient-view service against a bare FastAPI endpoint, on one machine, in one run.

Why this shape: absolute req/s depend on the machine and on whoever else is using it, so
every service number sits beside a baseline measured seconds apart on the same machine
(same framework, same body parsing, fixed answer; `baseline.py`): baseline and service
alternate in short rounds (3 by default) and each row is the median of its rounds, with
the spread of the per-round ratios beside it. Each number carries the load average and the
CPU that other processes used meanwhile. On a virtual machine even CPU ms/request drifts
with the host's load, which only the alternation cancels.

    python bench/run.py              # 3 rounds of 5 s per server, about 12 minutes in all
    python bench/run.py --quick      # smoke run, under a minute
    python bench/run.py --json out.json --duration 20
    python bench/run.py --auth both  # auth-on table with ES384 and RS384 (default: ES384 only)
    python bench/run.py --auth off   # skip the auth-on table

Load generator: `wrk` (Debian package; `apt-get install -y wrk`) with `post.lua`; without
wrk, `loadgen.py` (httpx, own process), which is slower and said so in the output.

Auth on (`CDS_AUTH=on`): every request needs its own signed JWT (the service refuses a jti
twice, and aud is the exact URL), so tokens are signed before each run in a process pool
(`tokens.py`, outside the measured time) and sent one per request by `auth.lua` (wrk) or
`loadgen.py --tokens`. The auth-off service is driven by that same token-sending client, so
the auth cost is the difference between two runs of one client.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import resource
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
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    from bench.requests import Scenario

ROOT = Path(__file__).resolve().parent.parent
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)  # `bench/requests.py` must not shadow the `requests` distribution
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.procstat import Load, cpu_seconds, descendants, machine_busy_seconds, rss_mb  # noqa: E402

# The tree whose service is measured: this checkout, or another one given with --src
# (e.g. `git archive HEAD | tar -x -C /tmp/head` to compare a change against HEAD).
SRC = ROOT
SERVICE_PATH = "/cds-services/igsub-patient-view"

FALLBACK_PYTHON = "/tmp/venv/bin/python"
CONCURRENCY = (1, 16)
WORKERS = 2

# Targets from the issue: (scenario, what, limit). Ratios are service/baseline req/s at c=16.
TARGETS = {
    "in-scope-20": {"ratio_c16": 0.40, "cpu_ms": 1.0, "p99_c1_ms": 5.0},
    "out-of-scope": {"ratio_c16": 0.70},
    "in-scope-200-igg": {"cpu_ms": 3.0},
}
RSS_LIMIT_MB = 150.0
STARTUP_LIMIT_S = 2.0


# -- processes -----------------------------------------------------------------------------

def python_for_servers() -> str:
    """The interpreter `make run` would use: the project's .venv, else the shared venv."""
    venv = SRC / ".venv" / "bin" / "python"
    if venv.exists():
        return str(venv)
    return FALLBACK_PYTHON if Path(FALLBACK_PYTHON).exists() else sys.executable


def service_command(port: int) -> list[str]:
    """Exactly what `make run` runs, on another port."""
    exe = SRC / ".venv" / "bin" / "cds-service"
    head = [str(exe)] if exe.exists() else [python_for_servers(), "-m", "cds_service.tools.cli"]
    return head + ["serve", "--host", "127.0.0.1", "--port", str(port)]


def cli_has_workers() -> bool:
    """Whether `cds-service serve` accepts --workers yet (it did not when this was written)."""
    from cds_service.tools.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return any("--workers" in a.option_strings for a in sub.choices["serve"]._actions)


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
        """The processes that serve requests: the process itself, or its workers."""
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
    """Status of one GET (used to wait for start-up)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path)
        return conn.getresponse().status
    finally:
        conn.close()


def post(port: int, body: bytes, token: str | None = None) -> tuple[int, dict, float]:
    """One request: status, JSON answer, seconds (used for checks and the first-request time)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Accept-Language": "en"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        t = time.perf_counter()
        conn.request("POST", SERVICE_PATH, body, headers)
        r = conn.getresponse()
        data = r.read()
        return r.status, json.loads(data), time.perf_counter() - t
    finally:
        conn.close()


def start(name: str, cmd: list[str], env: dict[str, str], log: Path, workers: int = 1, cwd: Path = ROOT,
          ready: tuple[int, ...] = (200,)) -> Server:
    """Start a server; start-up time is process start until the first 200 on GET /cds-services.

    With auth on, GET /cds-services without a token answers 401: pass `ready=(401,)`.
    """
    port = int(cmd[cmd.index("--port") + 1])
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = t0 + 60
    while time.perf_counter() < deadline:
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
    if workers > 1:  # the first worker answered; wait until all are up so none starts mid-run
        while len(server.worker_pids()) < workers:
            time.sleep(0.05)
        time.sleep(1.0)
    return server


# -- load ------------------------------------------------------------------------------------

@dataclass
class Run:
    """One measured load run against one server."""

    target: str
    scenario: str
    concurrency: int
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # server CPU (all its processes) per request
    errors: int
    load: str  # load average when the run started
    others_cores: float  # CPU used by every other process on the machine during the run
    tokens_reused: int = 0  # auth-on runs: requests sent with a token already spent (must be 0)
    ratio_range: str = ""  # service rows of paired rounds: lowest-highest per-round req/s ratio to the baseline


def generator() -> str:
    return "wrk" if shutil.which("wrk") else "loadgen.py (httpx)"


def _load_command(port: int, body_file: Path, concurrency: int, seconds: float,
                  tokens: Path | None = None) -> tuple[list[str], dict[str, str]]:
    """The load generator's command line; with `tokens`, one JWT from that file per request."""
    url = f"http://127.0.0.1:{port}{SERVICE_PATH}"
    if shutil.which("wrk"):
        # One wrk thread keeps the second core for the server; it drives >20k req/s alone.
        script = "auth.lua" if tokens else "post.lua"
        cmd = ["wrk", "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s", "-s", str(ROOT / "bench" / script), url]
        env = {**os.environ, "BENCH_BODY": str(body_file)}
        if tokens:
            env.update(BENCH_TOKENS=str(tokens), BENCH_THREADS="1")
        return cmd, env
    cmd = [sys.executable, str(ROOT / "bench" / "loadgen.py"), url, "--body", str(body_file),
           "--concurrency", str(concurrency), "--duration", str(seconds)]
    if tokens:
        cmd += ["--tokens", str(tokens)]
    return cmd, dict(os.environ)


def drive(server: Server, scenario: Scenario, body_file: Path, concurrency: int, seconds: float, warmup: float,
          tokens: tuple[Path, Path] | None = None) -> Run:
    """Warm up, then one measured run, reading the server's CPU and the machine's around it.

    `tokens`: (warm-up file, run file) of signed JWTs, one per request (auth-on benchmark).
    """
    if warmup > 0:
        cmd, env = _load_command(server.port, body_file, concurrency, warmup, tokens and tokens[0])
        subprocess.run(cmd, env=env, capture_output=True, check=True)
    cmd, env = _load_command(server.port, body_file, concurrency, seconds, tokens and tokens[1])
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
    gen_cpu = (gen1.ru_utime + gen1.ru_stime) - (gen0.ru_utime + gen0.ru_stime)
    others = max(0.0, (busy1 - busy0) - (cpu1 - cpu0) - gen_cpu) / elapsed
    n = max(1, r["requests"])
    return Run(server.name, scenario.name, concurrency, r["requests"], r["requests"] / elapsed, r["p50_us"] / 1000,
               r["p99_us"] / 1000, (cpu1 - cpu0) * 1000 / n, r["errors"] + r["non_2xx"], str(load), others,
               r.get("tokens_reused", 0))


def median_run(runs: list[Run]) -> Run:
    """One row for several rounds against one server: medians of the rates, sums of the counts."""
    def med(name: str) -> float:
        return statistics.median(getattr(r, name) for r in runs)

    first = runs[0]
    return Run(first.target, first.scenario, first.concurrency, sum(r.requests for r in runs), med("rps"), med("p50_ms"),
               med("p99_ms"), med("cpu_ms"), sum(r.errors for r in runs), first.load, med("others_cores"),
               sum(r.tokens_reused for r in runs))


def paired_rounds(base: Server, svc: Server, scenario: Scenario, body_file: Path, concurrency: int, seconds: float,
                  warmup: float, rounds: int) -> list[Run]:
    """Baseline and service in alternating rounds, each reported as the median of its rounds.

    Why: on a shared virtual machine the speed of a core drifts by tens of percent within
    minutes (the host's other guests, invisible from here), so a single baseline run and a
    single service run a minute apart can disagree by more than the effect measured. Short
    alternating rounds expose both to the same drift; the spread of the per-round ratios says
    how much to trust the median.
    """
    pairs = [(drive(base, scenario, body_file, concurrency, seconds, warmup if i == 0 else 0),
              drive(svc, scenario, body_file, concurrency, seconds, warmup if i == 0 else 0)) for i in range(rounds)]
    b, s = median_run([p[0] for p in pairs]), median_run([p[1] for p in pairs])
    if rounds > 1:
        ratios = [sv.rps / bs.rps for bs, sv in pairs if bs.rps]
        s.ratio_range = f"{min(ratios):.0%}-{max(ratios):.0%}"
    return [b, s]


def check_answers(server: Server, scenarios: list[Scenario], token: Callable[[], str] | None = None) -> dict[str, float]:
    """The service must give each scenario's expected cards; returns each first-request time (s)."""
    from bench.requests import card_codes

    first: dict[str, float] = {}
    for s in scenarios:
        status, data, seconds = post(server.port, s.body, token() if token else None)
        if status != 200 or card_codes(data) != s.expected_cards:
            raise SystemExit(f"{server.name}: {s.name} answered {status} {card_codes(data)}, expected {s.expected_cards}")
        first[s.name] = seconds
    return first


# -- auth on ---------------------------------------------------------------------------------

AUTH_SCENARIO = "in-scope-20"
AUTH_MODES = {"off": (), "es384": ("ES384",), "rs384": ("RS384",), "both": ("ES384", "RS384")}
TOKEN_MARGIN = 1.3  # tokens signed per run = auth-off req/s x seconds x margin + 500
OFF_TOKENS = 2000  # the auth-off service ignores tokens; the client cycles through these


def auth_runs(algorithms: tuple[str, ...], scenario: Scenario, body_file: Path, env: dict[str, str], tmp: Path,
              seconds: float, warmup: float, key_file: Path, sign_log: dict) -> list[Run]:
    """Auth off vs ES384 vs RS384 for one scenario at c=1 and c=16, all driven by the token client.

    The three services run side by side and are driven in turn (off first: its req/s bounds how
    many tokens the auth-on runs can use). Tokens are signed right before each run, outside it.
    """
    from bench import tokens as tk

    signers = {"ES384": lambda: tk.es384(key_file), "RS384": lambda: tk.rs384(tmp / "rs384")}
    mints = {alg: tk.TokenMint(signers[alg]()) for alg in ("ES384", *algorithms) if alg in signers}
    servers: dict[str, Server] = {}
    out: list[Run] = []
    try:
        servers["auth off"] = start("auth off", service_command(free_port()), env, tmp / "auth-off.log", cwd=SRC)
        for alg in algorithms:
            servers[alg] = start(alg, service_command(free_port()), {**env, **mints[alg].signer.env()},
                                 tmp / f"auth-{alg}.log", cwd=SRC, ready=(401,))
        aud = {name: f"http://127.0.0.1:{srv.port}{SERVICE_PATH}" for name, srv in servers.items()}
        # Any ES384 token will do for the auth-off service: it ignores the header, the client sends it.
        off_tokens = mints["ES384"].write(aud["auth off"], OFF_TOKENS, tmp / "tokens-off.txt")
        for alg in algorithms:
            check = mints[alg].write(aud[alg], 2, tmp / f"tokens-{alg}-check.txt").read_text().split()
            check_answers(servers[alg], [scenario], iter(check).__next__)
            if post(servers[alg].port, scenario.body, check[0])[0] != 401:
                raise SystemExit(f"{alg}: a replayed token was accepted; the auth-on service is not checking")
            if post(servers[alg].port, scenario.body)[0] != 401:
                raise SystemExit(f"{alg}: a request without a token was accepted")
        check_answers(servers["auth off"], [scenario])
        for c in CONCURRENCY:
            off = drive(servers["auth off"], scenario, body_file, c, seconds, warmup, (off_tokens, off_tokens))
            out.append(off)
            for alg in algorithms:
                files = []
                for what, secs in (("warmup", warmup), ("run", seconds)):
                    n = int(off.rps * secs * TOKEN_MARGIN) + 500
                    files.append(mints[alg].write(aud[alg], n, tmp / f"tokens-{alg}-c{c}-{what}.txt"))
                out.append(drive(servers[alg], scenario, body_file, c, seconds, warmup, (files[0], files[1])))
        for alg, mint in mints.items():
            sign_log[alg] = {"tokens": mint.signed, "seconds": round(mint.sign_seconds, 2),
                             "ms_per_token_wall": round(mint.sign_seconds / max(1, mint.signed) * 1000, 3),
                             "processes": mint.processes}
    finally:
        for srv in servers.values():
            srv.stop()
        for mint in mints.values():
            mint.close()
    return out


def print_auth_table(title: str, runs: list[Run]) -> None:
    print(f"\n{title}")
    print(f"  {'c':>3} {'auth':9} {'req/s':>8} {'vs off':>6} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10} {'+CPU ms':>8}"
          f" {'err':>4} {'reused':>6}  {'load 1/5/15':14} {'others':>6}")
    off = {r.concurrency: r for r in runs if r.target == "auth off"}
    for r in runs:
        b = off.get(r.concurrency)
        is_off = r.target == "auth off"
        ratio = "" if is_off or not b else f"{r.rps / b.rps:.0%}"
        extra = "" if is_off or not b else f"{r.cpu_ms - b.cpu_ms:+.3f}"
        reused = "-" if is_off else str(r.tokens_reused)  # the auth-off client cycles through its tokens on purpose
        print(f"  {r.concurrency:>3} {r.target:9} {r.rps:8.0f} {ratio:>6} {r.p50_ms:7.2f} {r.p99_ms:7.2f} {r.cpu_ms:10.3f}"
              f" {extra:>8} {r.errors:>4} {reused:>6}  {r.load:14} {r.others_cores:5.2f}c")


# -- report ----------------------------------------------------------------------------------

def verdict(ok: bool, detail: str = "") -> str:
    return "MET" if ok else f"MISSED{' (' + detail + ')' if detail else ''}"


def print_table(title: str, runs: list[Run]) -> None:
    print(f"\n{title}")
    print(f"  {'c':>3} {'target':9} {'req/s':>8} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7} {'CPU ms/req':>10} {'CPU ratio':>9}"
          f" {'err':>4}  {'load 1/5/15':14} {'others':>6} {'rounds':>9}")
    base = {r.concurrency: r for r in runs if r.target.startswith("baseline")}
    for r in runs:
        b = base.get(r.concurrency)
        is_base = r.target.startswith("baseline")
        ratio = "" if is_base or not b else f"{r.rps / b.rps:.0%}"
        cpu_ratio = "" if is_base or not b else f"{r.cpu_ms / b.cpu_ms:.1f}x"
        print(f"  {r.concurrency:>3} {r.target:9} {r.rps:8.0f} {ratio:>6} {r.p50_ms:7.2f} {r.p99_ms:7.2f} {r.cpu_ms:10.3f}"
              f" {cpu_ratio:>9} {r.errors:>4}  {r.load:14} {r.others_cores:5.2f}c {r.ratio_range:>9}")


def find(runs: list[Run], target: str, scenario: str, c: int) -> Run:
    return next(r for r in runs if r.target == target and r.scenario == scenario and r.concurrency == c)


def check_targets(runs: list[Run], rss: list[float], startups: list[float], scenarios: list[Scenario]) -> list[str]:
    """One line per target: measured value, limit, MET or MISSED by how much."""
    lines = []
    for name, limits in TARGETS.items():
        for what, limit in limits.items():
            if what == "ratio_c16":
                svc, base = find(runs, "service", name, 16), find(runs, "baseline", name, 16)
                v = svc.rps / base.rps
                lines.append(f"{name}: req/s at c=16 = {v:.0%} of baseline ({svc.rps:.0f} vs {base.rps:.0f}), target >= {limit:.0%}: "
                             + verdict(v >= limit, f"short by {limit - v:.0%} of baseline, {limit * base.rps - svc.rps:.0f} req/s"))
            elif what == "cpu_ms":
                v = max(find(runs, "service", name, c).cpu_ms for c in CONCURRENCY)
                lines.append(f"{name}: CPU = {v:.2f} ms/request (worse of c=1, c=16), target <= {limit} ms: "
                             + verdict(v <= limit, f"{v - limit:.2f} ms over, {v / limit:.1f}x"))
            elif what == "p99_c1_ms":
                v = find(runs, "service", name, 1).p99_ms
                lines.append(f"{name}: p99 at c=1 = {v:.2f} ms, target <= {limit} ms: "
                             + verdict(v <= limit, f"{v - limit:.2f} ms over"))
    size = {s.name: s.resources for s in scenarios}
    small, big = (max(find(runs, "service", n, c).cpu_ms for c in CONCURRENCY) for n in ("in-scope-20", "in-scope-200-igg"))
    growth, linear = big / small, size["in-scope-200-igg"] / size["in-scope-20"]
    lines.append(f"in-scope-200-igg: CPU grows {growth:.1f}x for {linear:.1f}x the resources (at most linear): "
                 + verdict(growth <= linear))
    lines.append(f"RSS per worker after warm-up = {max(rss):.0f} MB, target <= {RSS_LIMIT_MB:.0f} MB: "
                 + verdict(max(rss) <= RSS_LIMIT_MB, f"{max(rss) - RSS_LIMIT_MB:.0f} MB over"))
    lines.append(f"start-up (median of {len(startups)}) = {statistics.median(startups):.2f} s, target <= {STARTUP_LIMIT_S} s: "
                 + verdict(statistics.median(startups) <= STARTUP_LIMIT_S))
    return lines


@dataclass
class Results:
    machine: dict
    generator: str
    duration_s: float
    runs: list[Run] = field(default_factory=list)
    worker_runs: list[Run] = field(default_factory=list)
    auth_runs: list[Run] = field(default_factory=list)
    auth_signing: dict = field(default_factory=dict)
    inprocess: dict = field(default_factory=dict)
    startup_s: list[float] = field(default_factory=list)
    baseline_startup_s: float = 0.0
    first_request_s: dict = field(default_factory=dict)
    rss_mb: list[float] = field(default_factory=list)
    worker_rss_mb: list[float] = field(default_factory=list)
    cli_workers: bool = False
    targets: list[str] = field(default_factory=list)


def tree_state() -> str:
    """Which code was measured: the tree is shared and changes under a run."""
    def git(*a: str) -> str:
        r = subprocess.run(["git", *a], cwd=SRC, capture_output=True, text=True)
        return r.stdout.strip() if r.returncode == 0 else ""
    head = git("rev-parse", "--short", "HEAD")
    if not head:
        return f"{SRC} (not a git checkout)"
    dirty = [row for row in git("status", "--short").splitlines() if not row.endswith("bench/")]
    return f"{SRC} at {head}" + (f" + {len(dirty)} uncommitted changes" if dirty else " (clean)")


def machine() -> dict:
    cpu = next((row.split(":", 1)[1].strip() for row in Path("/proc/cpuinfo").read_text().splitlines()
                if row.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release(),
            "load_at_start": str(Load.now()), "tree": tree_state()}


# -- main ------------------------------------------------------------------------------------

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measured run (default 5)")
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating baseline/service rounds per scenario and concurrency; rows are medians (default 3)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 2 s runs, short warm-up, fewer start-ups")
    parser.add_argument("--no-workers", action="store_true", help=f"skip the --workers {WORKERS} runs")
    parser.add_argument("--json", type=Path, help="also write every number to this JSON file")
    parser.add_argument("--src", type=Path, default=ROOT, help="service tree to measure (default: this checkout)")
    parser.add_argument("--auth", choices=list(AUTH_MODES), default="es384",
                        help=f"auth-on table for {AUTH_SCENARIO}: off (skip), es384 (default), rs384 or both")
    parser.add_argument("--sandbox-key", type=Path, default=None,
                        help="the CDS Hooks Sandbox's EC private key (default: tests/data/cds-hooks-sandbox-ec-private-key.pem)")
    args = parser.parse_args()
    global SRC
    SRC = args.src.resolve()
    sys.path.insert(0, str(SRC))  # in-process numbers and the scenarios use the measured tree's code
    from bench import inprocess
    from bench.requests import EVALUATION_DATE, build

    seconds = 2.0 if args.quick else args.duration
    warmup = 1.0 if args.quick else 2.0
    rounds = 1 if args.quick else max(1, args.rounds)
    scenarios = build()
    res = Results(machine(), generator(), seconds, cli_workers=cli_has_workers())
    print(f"machine: {res.machine}")
    print(f"load generator: {res.generator}; {rounds} alternating round(s) of {seconds:g} s per server after {warmup:g} s warm-up; "
          f"CDS_EVALUATION_DATE={EVALUATION_DATE}")
    for s in scenarios:
        print(f"  {s.name:17} {s.resources:4d} resources, {len(s.body) / 1024:6.1f} KB body, expects {list(s.expected_cards)}")

    print(f"\nin-process, one evaluation without HTTP (median ms; load {Load.now()}):")
    print(f"  {'scenario':17} {'orjson':>7} {'pool':>7} {'assess+cards cold':>18} {'warm':>7} {'validated':>9}")
    for name, t in inprocess.measure(scenarios, EVALUATION_DATE, 0.5 if args.quick else 2.0).items():
        res.inprocess[name] = asdict(t)
        print(f"  {name:17} {t.parse_ms:7.3f} {t.pool_ms:7.3f} {t.cold_ms:18.3f} {t.warm_ms:7.3f} {t.validated:9d}")

    tmp = Path(tempfile.mkdtemp(prefix="cds-bench-"))
    env = {**os.environ, "CDS_EVALUATION_DATE": EVALUATION_DATE, "CDS_DATA_DIR": str(tmp / "data")}
    bodies = {}
    for s in scenarios:
        bodies[s.name] = tmp / f"{s.name}.json"
        bodies[s.name].write_bytes(s.body)
    py = python_for_servers()
    servers: list[Server] = []
    try:
        # Start-up: a few cold starts of the service alone (nothing else starting meanwhile).
        for _ in range(1 if args.quick else 3):
            srv = start("service", service_command(free_port()), env, tmp / "service.log", cwd=SRC)
            res.startup_s.append(srv.startup_s)
            srv.stop()
        base = start("baseline", [py, "-m", "bench.baseline", "--port", str(free_port())], env, tmp / "baseline.log")
        svc = start("service", service_command(free_port()), env, tmp / "service.log", cwd=SRC)
        servers += [base, svc]
        res.startup_s.append(svc.startup_s)
        res.baseline_startup_s = base.startup_s
        res.first_request_s = check_answers(svc, scenarios)
        print(f"\nstart-up (process start -> first 200 on GET /cds-services): service "
              f"{', '.join(f'{t:.2f}' for t in res.startup_s)} s, baseline {base.startup_s:.2f} s (load {Load.now()})")
        print("first request after start-up: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in res.first_request_s.items()))

        for s in scenarios:
            runs = []
            for c in CONCURRENCY:  # baseline and service alternate, so drift hits both alike
                runs += paired_rounds(base, svc, s, bodies[s.name], c, seconds, warmup, rounds)
            res.runs += runs
            print_table(f"{s.title} — {len(s.body) / 1024:.1f} KB", runs)
        res.rss_mb = [rss_mb(p) for p in svc.worker_pids()]
        print(f"\nRSS after the runs: service {', '.join(f'{m:.0f}' for m in res.rss_mb)} MB, "
              f"baseline {', '.join(f'{rss_mb(p):.0f}' for p in base.worker_pids())} MB")
        base.stop()
        svc.stop()

        algorithms = AUTH_MODES[args.auth]
        if algorithms:
            from bench import tokens as tk

            key_file = args.sandbox_key or tk.SANDBOX_KEY
            if not key_file.exists():
                raise SystemExit(f"--auth {args.auth}: no sandbox key at {key_file} (use --sandbox-key, or --auth off)")
            scenario = next(s for s in scenarios if s.name == AUTH_SCENARIO)
            print(f"\nauth on: CDS_AUTH=on, a fresh signed JWT per request ({generator()}"
                  f"{' + auth.lua' if shutil.which('wrk') else ' --tokens'}); every service driven by that same client")
            res.auth_runs = auth_runs(algorithms, scenario, bodies[scenario.name], env, tmp, seconds, warmup, key_file,
                                      res.auth_signing)
            print_auth_table(f"{scenario.title}, auth off vs {' vs '.join(algorithms)}", res.auth_runs)
            print("token signing (outside the measured runs): " + "; ".join(
                f"{alg} {v['tokens']} tokens in {v['seconds']} s ({v['processes']} processes)" for alg, v in res.auth_signing.items()))

        if not args.no_workers:
            print(f"\n--workers {WORKERS}: `cds-service serve` "
                  + ("has --workers" if res.cli_workers else "has NO --workers flag; uvicorn started directly on the app factory"))
            uv = [py, "-m", "uvicorn", "--host", "127.0.0.1", "--workers", str(WORKERS), "--factory"]
            svc_cmd = (service_command(free_port()) + ["--workers", str(WORKERS)] if res.cli_workers
                       else uv + ["cds_service.http.app:create_app", "--port", str(free_port())])
            base = start("baseline", uv + ["bench.baseline:create_app", "--port", str(free_port())], env,
                         tmp / "baseline.log", WORKERS)
            svc = start("service", svc_cmd, env, tmp / "service.log", WORKERS, cwd=SRC)
            servers += [base, svc]
            check_answers(svc, scenarios)
            for s in scenarios:
                if s.name == "in-scope-200-igg":
                    continue
                runs = paired_rounds(base, svc, s, bodies[s.name], 16, seconds, warmup, rounds)
                for r in runs:
                    r.target += f"x{WORKERS}"
                res.worker_runs += runs
                print_table(f"{s.title} — {WORKERS} workers", runs)
            res.worker_rss_mb = [rss_mb(p) for p in svc.worker_pids()]
            print(f"RSS per worker: {', '.join(f'{m:.0f}' for m in res.worker_rss_mb)} MB")
    finally:
        for srv in servers:
            srv.stop()
    res.targets = check_targets(res.runs, res.rss_mb + res.worker_rss_mb, res.startup_s, scenarios)
    print(f"\ntargets (load now {Load.now()}):")
    for line in res.targets:
        print("  " + line)
    if args.json:
        args.json.write_text(json.dumps(asdict(res), indent=2))
        print(f"\nwrote {args.json}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
