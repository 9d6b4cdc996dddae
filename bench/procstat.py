"""CPU, memory and machine-load readings from /proc, so numbers can be judged in context.

The machine is shared (2 cores, other engineers' test runs), so every figure is printed
with the load average and with the CPU that *other* processes used during the run: a
throughput drop with "others 0.9 cores" is noise, not a regression.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

TICK_S = 1 / os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    """Fields of /proc/<pid>/stat after the command name (which may contain spaces)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2:].split()


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (uvicorn --workers forks/spawns its workers)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            ppid = int(_stat_fields(int(entry))[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def cpu_seconds(pid: int) -> float:
    """utime + stime of `pid` and its descendants, in seconds (all threads included)."""
    total = 0
    for p in descendants(pid):
        try:
            f = _stat_fields(p)
        except OSError:
            continue
        total += int(f[11]) + int(f[12])  # utime, stime (fields 14 and 15 of stat)
    return total * TICK_S


def rss_mb(pid: int) -> float:
    """Resident set size of one process, in MB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def machine_busy_seconds() -> float:
    """CPU-seconds all cores spent busy since boot (from /proc/stat), for 'others' CPU."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) * TICK_S


@dataclass(frozen=True)
class Load:
    """Load averages (1, 5, 15 min) at one moment, printed beside each measurement."""

    one: float
    five: float
    fifteen: float

    @classmethod
    def now(cls) -> "Load":
        return cls(*os.getloadavg())

    def __str__(self) -> str:
        return f"{self.one:.2f}/{self.five:.2f}/{self.fifteen:.2f}"
