"""`make bench`'s verdict on each target says only what its load generator could measure.

Without wrk the load comes from `bench/loadgen.py`, slower than both servers: each answers as fast as the generator
asks, so the req/s ratio is near 1 and the p99 is the generator's. That ratio once printed "target >= 0.50: MET" on a
machine where wrk measured 0.18. The ratio and p99 targets are now "NOT JUDGED" without wrk; CPU per request and
RSS, read from the servers' own processes, are judged either way.
"""

from __future__ import annotations

from bench.run import Run, check_targets


def _pair(kind: str, concurrency: int, ratio: float, p99_ms: float = 2.0, cpu_ms: float = 1.0) -> tuple[Run, Run]:
    def run(target: str) -> Run:
        return Run(target, kind, concurrency, 1, 1000, 500.0, 1.0, p99_ms, cpu_ms, 0, "0/0/0", 0.0,
                   ratios=[ratio] if target == "service" else [], cpu_rounds=[cpu_ms], p99_rounds=[p99_ms])
    return run("baseline"), run("service")


PAIRS = [_pair("in-scope", 1, 0.44, p99_ms=4.0), _pair("in-scope", 16, 1.07), _pair("in-scope-200-igg", 1, 0.6, cpu_ms=3.4)]


def test_without_wrk_the_ratio_and_p99_targets_are_not_judged() -> None:
    lines = check_targets(PAIRS, 111.0, "", wrk=False)
    ratio = next(line for line in lines if "req/s ratio" in line)
    p99 = next(line for line in lines if "p99" in line)
    assert "NOT JUDGED" in ratio and "MET" not in ratio.replace("NOT JUDGED", "")
    assert "NOT JUDGED" in p99 and "install wrk" in p99
    assert next(line for line in lines if "CPU" in line).endswith("MISSED")  # 3.4 ms > 3.0: judged from /proc
    assert next(line for line in lines if "RSS" in line).endswith("MET")


def test_with_wrk_each_target_is_met_or_missed() -> None:
    lines = check_targets(PAIRS, 160.0, "auth ES384: ", wrk=True)
    assert not any("NOT JUDGED" in line for line in lines)
    assert next(line for line in lines if "req/s ratio" in line).endswith("MET")  # 1.07 >= 0.50
    assert next(line for line in lines if "p99" in line).endswith("MET")  # 4.0 <= 5.0
    assert next(line for line in lines if "RSS" in line).endswith("MISSED")  # 160 > 150
    assert all(line.startswith("auth ES384: ") for line in lines)
