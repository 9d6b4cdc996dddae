"""`cds-service`: run the server, or replay FHIR bundles through it.

Logs go to stderr; with `replay --json` stdout holds exactly one CDS Hooks response
(for one bundle). `timeline` and `worklist` are testers' and clinicians' tools.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import gc
import json
import logging
import sys
from datetime import date
from pathlib import Path
from typing import Any, Sequence

from ..errors import ConfigError, InputError
from ..settings import load_settings
from .replay import load_bundle, load_drafts, parse_at, replay

EXIT_USAGE = 2


GC_THRESHOLDS = (20_000, 20, 20)  # a request allocates thousands of short-lived objects: collect less often


def settle_memory() -> None:
    """Move everything loaded at start-up (models, value sets) out of the garbage collector's way.

    The FHIR model classes are hundreds of thousands of objects that never die; without this,
    every full collection walks them all, which shows as latency spikes under load.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def worker_app() -> Any:
    """The application of one worker process (`serve --workers N`), memory settled like a single one."""
    from ..http.app import create_app

    app = create_app()
    settle_memory()
    return app


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from ..http.app import create_app
    from ..http.head_limit import uvicorn_http_options

    try:
        settings = load_settings()
        app = create_app(settings)  # fail fast, in the parent, on a bad configuration
    except ConfigError as exc:
        print(f"cds-service: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    # Every log line goes to stderr (uvicorn's access log would go to stdout); requests are
    # logged by the service itself, one structured line each.
    # The request head is capped in the parser too (head_limit.py): uvicorn alone reads headers of any size.
    options = dict(host=args.host, port=args.port, log_level="info", access_log=False, log_config=None,
                   timeout_keep_alive=settings.keepalive_timeout, timeout_graceful_shutdown=settings.shutdown_timeout,
                   **uvicorn_http_options(settings.max_header_bytes))
    if args.workers > 1:
        uvicorn.run("cds_service.tools.cli:worker_app", factory=True, workers=args.workers, **options)
    else:
        settle_memory()
        uvicorn.run(app, **options)
    return 0


def _replay(args: argparse.Namespace) -> int:
    from ..http.app import create_app

    if len(args.bundles) > 1 or args.expect or Path(args.bundles[0]).is_dir():
        return _replay_set(args)
    try:
        at = parse_at(args.at)
        bundle = load_bundle(args.bundles[0])
        settings = dataclasses.replace(load_settings(), evaluation_date=at) if at else load_settings()
        app = create_app(settings, record_cards=False)  # a tester's replay is not an issued card
        drafts = load_drafts(args.draft) if args.draft else None
        if args.hook != "patient-view" and not drafts:
            raise InputError(f"--hook {args.hook} needs at least one --draft ORDER.json")
        status, body = replay(app, bundle, args.lang, args.hook, drafts)
    except (InputError, ConfigError) as exc:
        print(f"cds-service replay: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if status != 200:
        message = "; ".join(i.get("diagnostics", "") for i in body.get("issue", []))
        print(f"cds-service replay: the service answered {status}: {message}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_cards(body["cards"], args.at))
    return 0


def _replay_set(args: argparse.Namespace) -> int:
    """Several bundles or directories: one line per bundle, a summary, non-zero on any failure."""
    from . import bundle_sets
    from ..http.app import create_app

    if getattr(args, "hook", "patient-view") != "patient-view":
        print("cds-service replay: several bundles are replayed with --hook patient-view only", file=sys.stderr)
        return EXIT_USAGE
    try:
        at = parse_at(args.at)
        apps = bundle_sets.AppCache(load_settings(), functools.partial(create_app, record_cards=False))
    except (InputError, ConfigError) as exc:
        print(f"cds-service replay: {exc}", file=sys.stderr)
        return EXIT_USAGE
    paths = bundle_sets.find_bundles(args.bundles)
    if not paths:
        print("cds-service replay: no bundles found", file=sys.stderr)
        return EXIT_USAGE
    try:
        outcomes = bundle_sets.run_set(paths, apps, at, args.lang, args.expect)
    except ConfigError as exc:
        print(f"cds-service replay: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        sys.stdout.write(json.dumps(bundle_sets.as_json(outcomes), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(bundle_sets.render(outcomes, args.expect))
    return bundle_sets.exit_code(outcomes)


def _timeline(args: argparse.Namespace) -> int:
    from ..runtime import load_runtime
    from .timeline import build_timeline, patient_data, render_text

    try:
        runtime = load_runtime(load_settings())
        data = patient_data(load_bundle(args.bundle), runtime)
        timeline = build_timeline(data, runtime, args.from_date, args.to_date, args.lang)
    except (InputError, ConfigError) as exc:
        print(f"cds-service timeline: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(render_text(timeline, args.lang))
    if args.html:
        from .timeline import state_on
        from .timeline_html import render_html

        today = runtime.today()
        now = state_on(data, runtime, today, args.lang) if timeline.start <= today <= timeline.end else None
        Path(args.html).write_text(render_html(timeline, runtime, args.lang, today, now), encoding="utf-8")
        print(f"wrote {args.html}", file=sys.stderr)
    return 0


def _worklist(args: argparse.Namespace) -> int:
    from .worklist import render_table, run_worklist, write_csv

    try:
        at = parse_at(args.at)
        result = run_worklist(args.directory, at, load_settings(), jobs=args.jobs)
    except (InputError, ConfigError) as exc:
        print(f"cds-service worklist: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(render_table(result))
    if args.csv:
        write_csv(result, args.csv)
        print(f"wrote {args.csv}", file=sys.stderr)
    return 0


def _feedback_report(args: argparse.Namespace) -> int:

    from ..records.report import feedback_report

    try:
        sys.stdout.write(feedback_report(load_settings(), since=args.since, as_csv=args.csv))
    except (ConfigError, InputError) as exc:
        print(f"cds-service feedback-report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def render_cards(cards: list[dict], at: str | None) -> str:
    """A readable rendering for testers: one block per card."""
    when = f" as of {at}" if at else ""
    if not cards:
        return f"No cards{when}.\n"
    out = [f"{len(cards)} card(s){when}:"]
    for card in cards:
        topic = card["source"].get("topic", {}).get("code", "?")
        out += ["", f"[{card['indicator'].upper()}] {topic}", f"  {card['summary']}"]
        for s in card.get("suggestions", []):
            out.append(f"  suggestion: {s['label']}")
        for r in card.get("overrideReasons", []):
            out.append(f"  override reason: {r['display']}")
        out += ["", *("  " + line for line in card.get("detail", "").splitlines())]
    return "\n".join(out) + "\n"


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cds-service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the CDS Hooks service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1, help="worker processes (each loads the rules once)")
    serve.set_defaults(run=_serve)
    rep = sub.add_parser("replay", help="replay one-patient FHIR Bundles (files or directories) and print the cards")
    rep.add_argument("bundles", nargs="+", metavar="BUNDLE", help="a Bundle file, or several files/directories (*.json)")
    rep.add_argument("--at", help="evaluation date YYYY-MM-DD (default: today)")
    rep.add_argument("--expect", action="store_true",
                     help="check each bundle against NAME.expect.json beside it (its 'at' wins over --at)")
    rep.add_argument("--hook", default="patient-view", choices=["patient-view", "order-select", "order-sign"])
    rep.add_argument("--draft", action="append", metavar="ORDER.json",
                     help="a draft order (one resource or a Bundle) for order hooks; may repeat")
    rep.add_argument("--lang", default="en", choices=["en", "da"])
    rep.add_argument("--json", action="store_true", help="print exactly one CDS Hooks response JSON document")
    rep.set_defaults(run=_replay)
    tl = sub.add_parser("timeline", help="the days on which a patient's advice changes")
    tl.add_argument("bundle")
    tl.add_argument("--from", dest="from_date", type=_day, metavar="DATE", help="first day (default: first fact date)")
    tl.add_argument("--to", dest="to_date", type=_day, metavar="DATE", help="last day (default: last fact date + 12 months)")
    tl.add_argument("--lang", default="en", choices=["en", "da"])
    tl.add_argument("--html", metavar="OUT.html", help="also write a self-contained HTML page with a plot")
    tl.set_defaults(run=_timeline)
    wl = sub.add_parser("worklist", help="patients in a FHIR Bulk Data export (NDJSON) whose advice needs action")
    wl.add_argument("directory", metavar="NDJSON_DIR")
    wl.add_argument("--at", required=True, help="evaluation date YYYY-MM-DD")
    wl.add_argument("--csv", metavar="OUT.csv", help="also write the worklist as CSV")
    wl.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    wl.set_defaults(run=_worklist)
    fb = sub.add_parser("feedback-report", help="per advice code: cards issued, accepted, overridden, and why")
    fb.add_argument("--since", metavar="DATE", help="only cards issued from this day on, YYYY-MM-DD (default: all time)")
    fb.add_argument("--csv", action="store_true", help="print CSV instead of an aligned table")
    fb.set_defaults(run=_feedback_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
