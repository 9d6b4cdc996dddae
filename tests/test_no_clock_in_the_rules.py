"""The rules, the reading of FHIR, the cards and the pipeline's evaluation know one day: the one they are given.

A clinical answer that reads the clock itself becomes a function of the calendar a replay is run on: a rule "is the
day evaluated the clock's day?" once named a record written after the day on a replay run on that very day and not on
any other. The day comes from `Runtime.today()` (the clock, or `CDS_EVALUATION_DATE`) in `pipeline.answer` only, and
whether it was fixed travels as an argument (`live`).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLINICAL = [ROOT / "cql_like_rules", ROOT / "cds_service" / "fhir", ROOT / "cds_service" / "cards",
            ROOT / "cds_service" / "pipeline.py"]
READS_THE_CLOCK = re.compile(r"\bclock\(\)|\bdate\.today\(\)|\bdatetime\.(?:now|utcnow)\(|\btime\.time\(\)")


def _sources() -> list[Path]:
    return sorted(p for place in CLINICAL for p in ([place] if place.is_file() else place.rglob("*.py")))


def test_no_clinical_module_reads_the_clock() -> None:
    assert len(_sources()) > 20  # the places exist: a moved module must not empty the check
    found = [f"{p.relative_to(ROOT)}:{n}: {line.strip()}" for p in _sources()
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if READS_THE_CLOCK.search(line)]
    assert found == [], "\n".join(found)


def test_the_check_sees_a_clock_read() -> None:
    for line in ("if today == runtime.clock().astimezone(runtime.tz).date():", "day = date.today()",
                 "now = datetime.now(tz)", "t = time.time()"):
        assert READS_THE_CLOCK.search(line), line
    assert not READS_THE_CLOCK.search("day = today or runtime.today()")
