"""What explanation links and snapshots cost (not a test: numbers for docs/explanation.md).

`python -m bench.explain_bench [--budget SECONDS]`

For every shipped fixture that gets cards on its evaluation date, in this process:
- on the hook's path: one answer with links vs without (the token per card), and
  `record_cards` with the answer (queueing its snapshots) vs without;
- in the writer thread: serialising one card's snapshot, and its size;
- on request: rendering the explanation page (the first one also imports matplotlib).
Medians over repeated calls; the machine's load shows in the spread, so compare columns.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Callable

import orjson

from cds_service.fhir.request import parse_hook_request
from cds_service.http.explain import LinkSigner
from cds_service.http.explain_page import render_page
from cds_service.pipeline import answer_local
from cds_service.records.snapshot import Snapshot, payload, read_payload
from cds_service.records.store import CardStore
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import load_bundle, request_from_bundle

FIXTURES = Path(__file__).resolve().parents[1] / "fhir_fixtures"


def median_ms(fn: Callable[[], object], budget_s: float, max_n: int = 2000) -> float:
    samples: list[float] = []
    deadline = time.perf_counter() + budget_s
    while len(samples) < max_n and (len(samples) < 5 or time.perf_counter() < deadline):
        start = time.perf_counter_ns()
        fn()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=0.3, help="seconds per measurement (at least 5 calls)")
    args = parser.parse_args()
    runtime = load_runtime(Settings())
    signer = LinkSigner("benchmark-explanation-link-secret-0123", 3600, time.time)
    rows = []
    first_page_ms = None
    with tempfile.TemporaryDirectory() as tmp:
        store = CardStore(f"sqlite:///{tmp}/cds.sqlite3", explain_days=7,
                          serialise=lambda a, i: payload(a, i, runtime.ruleset), max_pending=10**9,
                          max_pending_snapshots=10**9)
        store._start_writer = lambda: None  # type: ignore[method-assign]  # measure the queueing only
        for sidecar in sorted(FIXTURES.glob("*.expect.json")):
            at = date.fromisoformat(json.loads(sidecar.read_text())["at"])
            bundle = load_bundle(sidecar.with_name(sidecar.name.replace(".expect.json", ".json")))
            request = parse_hook_request(request_from_bundle(bundle), "patient-view")
            answered = answer_local(request, runtime, today=at)
            if not answered.cards:
                continue
            plain = median_ms(lambda: answer_local(request, runtime, today=at), args.budget)
            linked = median_ms(lambda: answer_local(request, runtime, today=at, link=signer.links("https://cds.example")),
                               args.budget)
            record = median_ms(lambda: store.record_cards("s", "p", "h", answered.cards), args.budget)
            record_snap = median_ms(lambda: store.record_cards("s", "p", "h", answered.cards, answered), args.budget)
            store._pending.clear()
            body = orjson.dumps(payload(answered, 0, runtime.ruleset))
            serialise = median_ms(lambda: orjson.dumps(payload(answered, 0, runtime.ruleset)), args.budget)
            snapshot = Snapshot(answered.cards[0]["uuid"], datetime.now(timezone.utc), datetime.now(timezone.utc),
                                answered.lang, read_payload(orjson.loads(body)) or {})
            if first_page_ms is None:
                start = time.perf_counter()
                render_page(snapshot, runtime.terminology)
                first_page_ms = (time.perf_counter() - start) * 1000
            page = median_ms(lambda: render_page(snapshot, runtime.terminology), args.budget, max_n=5)
            rows.append((sidecar.name.replace(".expect.json", ""), len(answered.cards), plain, linked, record,
                         record_snap, serialise, len(body) / 1024, page))
        store.engine.dispose()
    header = ("fixture", "cards", "answer ms", "+links ms", "record ms", "+snapshot ms", "serialise ms", "KiB", "page ms")
    print(f"{header[0]:55s} " + " ".join(f"{h:>12s}" for h in header[1:]))
    for name, *numbers in rows:
        print(f"{name:55s} {numbers[0]:12d} " + " ".join(f"{n:12.3f}" for n in numbers[1:]))
    columns = list(zip(*[r[2:] for r in rows]))
    print(f"{'median':55s} {'':12s} " + " ".join(f"{statistics.median(c):12.3f}" for c in columns))
    print(f"first page in this process (imports matplotlib): {first_page_ms:.0f} ms")


if __name__ == "__main__":
    main()
