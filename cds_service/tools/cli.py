"""`cds-service`: run the server, or replay FHIR bundles through it.

Logs go to stderr; with `replay --json` stdout holds exactly one CDS Hooks response
(for one bundle). `timeline` and `worklist` are testers' and clinicians' tools.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from cql_like_rules.catalogue import Text

from .. import package_version
from ..errors import EXIT_CONFIG, ConfigError, InputError
from ..settings import load_settings
from . import CPR_SYSTEM

EXIT_USAGE = 2
EXIT_CODES = """exit codes:
  0   done
  1   replay of several bundles: a bundle failed its expectation or could not be read
  2   unusable input or arguments (a bundle, a date, an export; the message says which)
  3   serve: the address could not be listened on (in use, or not allowed)
  78  serve: unusable configuration or database, nothing was started (one line on stderr says why)"""


GC_THRESHOLDS = (20_000, 20, 20)  # a request allocates thousands of short-lived objects: collect less often
MIGRATE_APART_TIMEOUT = 120.0  # seconds the child migrating the schema may take before the server does it itself
SWITCH_INTERVAL_S = 0.001  # the longest the card store's writer thread holds a waiting request up (Python's default: 5 ms)


def settle_memory() -> None:
    """Move everything loaded at start-up (models, value sets) out of the garbage collector's way.

    The FHIR model classes are hundreds of thousands of objects that never die; without this,
    every full collection walks them all, which shows as latency spikes under load. And let a
    request waiting for the interpreter lock get it within a millisecond: the card store's
    writer serialises a batch of explanation snapshots at a time, and with the default 5 ms
    interval a request arriving meanwhile waited for it (p99 at c=1 was 2-4x the median).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    sys.setswitchinterval(SWITCH_INTERVAL_S)


def migrate_apart(store: Any, timeout: float = MIGRATE_APART_TIMEOUT) -> None:
    """Bring the card store's schema up to date in a child process, so the server never loads alembic.

    alembic and its templates are about 10 MB of modules that nothing serving a request uses,
    and a module once imported stays. The child is a fork (everything else already loaded)
    and exits when done; the server's own `store.prepare()` then finds the schema current.
    Whatever goes wrong here (no fork, other threads running, a failure, a hang), that
    `prepare()` migrates in process as before and names the problem.
    """
    import os
    import threading
    import time

    from ..records.store import at_newest_revision

    if not hasattr(os, "fork") or threading.active_count() > 1 or at_newest_revision(store.engine):
        return
    pid = os.fork()
    if pid == 0:  # the child: migrate, and leave without running the parent's exit handlers
        code = 1
        try:
            store.engine.dispose(close=False)  # the parent's pooled connections stay the parent's
            store.prepare()
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + timeout
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return
        time.sleep(0.01)


# Optional modules that dependencies load when they are installed, for what the server never
# does: fhir_core's XML (lxml) and YAML (PyYAML) reading and writing of models (the service
# validates parsed JSON), about 6 MB; httpx's command-line client, which httpx imports whenever
# click, rich and pygments are installed (other tools bring them), about 2 MB (marked absent,
# httpx defines a stub `main` instead).
UNUSED_WHEN_SERVING = ("lxml", "yaml", "httpx._main")


def leave_out_unused() -> None:
    """Mark `UNUSED_WHEN_SERVING` absent, before the app is first imported (server processes only:
    a script importing the package keeps them)."""
    for name in UNUSED_WHEN_SERVING:
        if name not in sys.modules:
            sys.modules[name] = None  # type: ignore[assignment]


def worker_app() -> Any:
    """The application of one worker process (`serve --workers N`), memory settled like a single one."""
    leave_out_unused()
    from ..http.app import create_app

    app = create_app()
    settle_memory()
    return app


def _serve(args: argparse.Namespace) -> int:
    """Check everything (configuration, rules, database) before uvicorn starts, then serve.

    Logging is configured once, here, through the standard library: the same dictConfig is
    uvicorn's `log_config`, so uvicorn's lines and the service's are JSON alike, in every
    worker. A start-up refusal is one plain line on stderr and exit code 78 (EXIT_CONFIG).
    """
    import logging.config

    import uvicorn

    leave_out_unused()
    from ..http.app import create_app
    from ..http.head_limit import uvicorn_http_options
    from ..http.logs import service_logging_config

    log_config = service_logging_config()
    logging.config.dictConfig(log_config)
    logging.captureWarnings(True)  # Python warnings become JSON lines too
    try:
        settings = load_settings()
        app = create_app(settings)  # fail fast, in the parent, on a bad configuration
        migrate_apart(app.state.store)
        app.state.store.prepare()  # the database is reachable, writable and migrated
    except ConfigError as exc:
        print(f"cds-service serve: configuration error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    # The request head is capped in the parser too (head_limit.py): uvicorn alone reads headers of any size.
    options = dict(host=args.host, port=args.port, log_level="info", access_log=False, log_config=log_config,
                   timeout_keep_alive=settings.keepalive_timeout, timeout_graceful_shutdown=settings.shutdown_timeout,
                   **uvicorn_http_options(settings.max_header_bytes))
    if args.workers > 1:
        app.state.store.close()  # each worker opens its own
        uvicorn.run("cds_service.tools.cli:worker_app", factory=True, workers=args.workers, **options)
    else:
        settle_memory()
        uvicorn.run(app, **options)
    return 0


def _replay(args: argparse.Namespace) -> int:
    if len(args.bundles) > 1 or args.expect or Path(args.bundles[0]).is_dir():
        return _replay_set(args)
    from ..errors import ServiceError
    from ..runtime import load_runtime
    from .replay import (load_bundle, load_drafts, parse_at, replay, request_from_bundle, send, service_id_of,
                         signed_token, unsent_types)

    try:
        at = parse_at(args.at)
        known_on = parse_at(args.known_on, "--known-on")
        bundle = load_bundle(args.bundles[0])
        drafts = load_drafts(args.draft) if args.draft else None
        if args.hook != "patient-view" and not drafts:
            raise InputError(f"--hook {args.hook} needs at least one --draft ORDER.json")
        if args.sign_key and not (args.url and args.iss):
            raise InputError("--sign-key needs --url and --iss")
        if args.url and args.at:  # the running service evaluates as of its own day: the cards would be another day's
            raise InputError("--at cannot be sent with --url: a running service evaluates as of its own today "
                             "(start it with CDS_EVALUATION_DATE=YYYY-MM-DD to try a day), or leave out --url")
        if args.url and known_on:  # no request field carries it: the service reads the chart as of its own today
            raise InputError("--known-on cannot be sent with --url: a running service reads the chart as of its own "
                             "today; leave out --url to replay in process")
        if args.print_request:
            request = request_from_bundle(bundle, args.hook, drafts)
            sys.stdout.write(json.dumps(request, ensure_ascii=False, indent=2) + "\n")
            return 0
        if args.url:
            url = args.url.rstrip("/")
            if not url.rsplit("/", 2)[-2:-1] == ["cds-services"]:
                url = f"{url}/cds-services/{service_id_of(args.hook)}"
            token = signed_token(Path(args.sign_key).read_bytes(), args.iss, url, args.kid, args.jku) if args.sign_key else None
            status, body = send(url, request_from_bundle(bundle, args.hook, drafts), args.lang, token)
            if status != 200:
                message = "; ".join(str(i.get("diagnostics", "")) for i in body.get("issue", []) if isinstance(i, dict))
                raise InputError(f"{url} answered {status}: {message}{_unauthorized_hint(status, token)}")
            cards, notes = body.get("cards", []), None
        else:
            runtime = load_runtime(load_settings(local=True))  # a local tool: no authentication, no card store
            answered = replay(runtime, bundle, args.lang, args.hook, drafts, at, known_on)
            cards, notes, body = answered.cards, answered.notes, {"cards": answered.cards}
    except (InputError, ConfigError) as exc:
        print(f"cds-service replay: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ServiceError as exc:
        print(f"cds-service replay: the service would answer {exc.status}: {exc.message}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"cds-service replay: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_cards(cards, args.at, trace=args.trace, notes=notes, lang=args.lang,
                                      unsent=unsent_types(bundle), known_on=known_on.isoformat() if known_on else None))
    return 0


def _unauthorized_hint(status: int, token: str | None) -> str:
    """What to check when a running service refuses replay's call with 401 (its body says no more, by design)."""
    if status != 401:
        return ""
    if token is None:
        return " (the service verifies tokens, CDS_AUTH=on: sign the call with --sign-key PEM --iss ISS --kid KID)"
    import jwt

    header, claims = jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})
    return (f" (the service's log says why; check that iss {claims['iss']!r} is in its trusted issuers, "
            f"kid {header['kid']!r} is the key's id in that issuer's JWK Set (--kid; default the key's RFC 7638 "
            f"thumbprint) and aud {claims['aud']!r} is the URL it is called at (CDS_PUBLIC_BASE_URL))")


def _replay_set(args: argparse.Namespace) -> int:
    """Several bundles or directories: one line per bundle, a summary, non-zero on any failure."""
    from ..runtime import load_runtime
    from . import bundle_sets
    from .replay import parse_at

    if getattr(args, "hook", "patient-view") != "patient-view" or args.url or args.print_request:
        print("cds-service replay: several bundles are replayed in process with --hook patient-view only",
              file=sys.stderr)
        return EXIT_USAGE
    if getattr(args, "known_on", None):  # each chart of a set was read on its own day: one day for all would be wrong
        print("cds-service replay: --known-on replays one bundle file (each chart of a set, and an --expect "
              "sidecar's, was read on its own day)", file=sys.stderr)
        return EXIT_USAGE
    try:
        at = parse_at(args.at)
        runtime = load_runtime(load_settings(local=True))
    except (InputError, ConfigError) as exc:
        print(f"cds-service replay: {exc}", file=sys.stderr)
        return EXIT_USAGE
    paths = bundle_sets.find_bundles(args.bundles)
    if not paths:
        print("cds-service replay: no bundles found", file=sys.stderr)
        return EXIT_USAGE
    outcomes = bundle_sets.run_set(paths, runtime, at, args.lang, args.expect)
    if args.json:
        sys.stdout.write(json.dumps(bundle_sets.as_json(outcomes), ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(bundle_sets.render(outcomes, args.expect))
    return bundle_sets.exit_code(outcomes)


def _timeline(args: argparse.Namespace) -> int:
    from ..runtime import load_runtime
    from .replay import load_bundle
    from .timeline import build_timeline, patient_data, render_text

    try:
        runtime = load_runtime(load_settings(local=True))
        today = args.at or runtime.today()  # the evaluation date: the "today" marker and the default range
        data = patient_data(load_bundle(args.bundle), runtime)
        timeline = build_timeline(data, runtime, args.from_date, args.to_date, args.lang, today)
    except (InputError, ConfigError) as exc:
        print(f"cds-service timeline: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(render_text(timeline, args.lang))
    if args.html:
        from .timeline import state_on
        from .timeline_html import render_html

        now = state_on(data, runtime, today, args.lang) if timeline.start <= today <= timeline.end else None
        Path(args.html).write_text(render_html(timeline, args.lang, today, now), encoding="utf-8")
        print(f"wrote {args.html}", file=sys.stderr)
    return 0


def _worklist(args: argparse.Namespace) -> int:
    from .replay import parse_at
    from .worklist import csv_rows, render_table, run_worklist

    def run() -> Any:
        return run_worklist(args.directory, parse_at(args.at), load_settings(local=True), jobs=args.jobs,
                            identifier_system=args.identifier_system, dask=args.dask)

    return _table_command("worklist", run, render_table, csv_rows, args.csv)


def _answers(args: argparse.Namespace) -> int:
    """Every answer for a set of bundles, one JSON line each (answers.py), to compare two trees with `cmp`."""
    from ..runtime import load_runtime
    from .answers import write_answers

    try:
        runtime = load_runtime(load_settings(local=True))
        if not all(Path(p).exists() for p in args.paths):
            raise InputError(f"no such file or directory: {', '.join(p for p in args.paths if not Path(p).exists())}")
        written = write_answers(args.paths, runtime, args.out)
    except (InputError, ConfigError) as exc:
        print(f"cds-service answers: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:
        print(f"cds-service answers: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"wrote {written} answers to {args.out}", file=sys.stderr)
    return 0


def _compare_rulesets(args: argparse.Namespace) -> int:
    from ..runtime import load_runtime
    from .compare import compare, csv_rows, render_text, with_ruleset
    from .replay import parse_at

    def run() -> Any:
        at = parse_at(args.at)
        base = load_runtime(load_settings(local=True))
        runtime_a = with_ruleset(base, args.ruleset_a or base.ruleset.id, args.policy_a)
        runtime_b = with_ruleset(base, args.ruleset_b or base.ruleset.id, args.policy_b)
        return compare(args.input, runtime_a, runtime_b, at)

    return _table_command("compare-rulesets", run, render_text, csv_rows, args.csv)


def _table_command(name: str, run: Callable[[], Any], render: Callable[[Any], str],
                   rows: Callable[[Any], Iterable[Sequence[object]]], csv_path: str | None) -> int:
    """A tool that prints a table: one line and exit code 2 for unusable input, else the table
    on stdout and, with --csv, the same result as CSV."""
    try:
        result = run()
    except (InputError, ConfigError) as exc:
        print(f"cds-service {name}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write(render(result))
    if csv_path:
        with open(csv_path, "w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows(result))
        print(f"wrote {csv_path}", file=sys.stderr)
    return 0


def _feedback_report(args: argparse.Namespace) -> int:

    from ..records.report import feedback_report

    try:
        sys.stdout.write(feedback_report(load_settings(local=True), since=args.since, as_csv=args.csv))
    except (ConfigError, InputError) as exc:
        print(f"cds-service feedback-report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _store_stats(args: argparse.Namespace) -> int:
    from ..records.stats import store_stats

    try:
        sys.stdout.write(store_stats(load_settings(local=True), as_json=args.json))
    except ConfigError as exc:
        print(f"cds-service store-stats: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return 0


def _safety_report(args: argparse.Namespace) -> int:
    """The traceability matrix (markdown or HTML), its check, the hazard log or the SOUP list."""
    from . import safety

    matrix_path = Path(args.matrix) if args.matrix else safety.ROOT / safety.MATRIX
    lock = Path(args.lock) if args.lock else safety.ROOT / "requirements.lock"
    try:
        if args.soup:
            from .soup import extra_packages, read_lock, render_soup, runtime_packages, vulnerabilities

            purposes = safety.load_matrix(matrix_path).soup_purpose
            packages = read_lock(lock)
            pyproject = safety.ROOT / "pyproject.toml"
            sys.stdout.write(render_soup(packages, purposes, runtime_packages(packages, pyproject),
                                         vulnerabilities(packages, args.offline), date.today(), lock.name,
                                         extra_packages(packages, pyproject)))
            return 0
        matrix = safety.load_matrix(matrix_path)
    except InputError as exc:
        print(f"cds-service safety-report: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.hazard_log:
        sys.stdout.write(safety.render_hazard_log(matrix))
        return 0
    gaps = safety.check(matrix, safety.discover(), lock=lock)
    if args.html:
        from .safety_html import render_html

        try:
            Path(args.html).write_text(render_html(matrix, gaps), encoding="utf-8")
        except OSError as exc:
            print(f"cds-service safety-report: cannot write {args.html}: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_USAGE
        print(f"wrote {args.html}", file=sys.stderr)
    if args.check:
        for gap in gaps:
            print(f"gap: {gap}")
        print(f"safety-report --check: {len(gaps)} gap(s)" if gaps else
              f"safety-report --check: no gaps ({len(matrix.requirements)} requirements, {len(matrix.hazards)} hazards)")
        return 1 if gaps else 0
    if not args.html:
        sys.stdout.write(safety.render_markdown(matrix, gaps))
    return 0


# The headings of `replay`'s readable output, in the cards' language (codes and definition names stay as they are).
REPLAY_WORDS = {
    "as-of": Text(" as of {at}", " pr. {at}"),
    "known-on": Text(" (the chart as read on {known_on})", " (journalen som læst {known_on})"),
    "cards": Text("{n} card(s){when}:", "{n} kort{when}:"),
    "none": Text("No cards{when}.", "Ingen kort{when}."),
    "suggestion": Text("suggestion", "forslag"),
    "override": Text("override reason", "begrundelse for at tilsidesætte"),
    "link": Text("link", "link"),
    "trace": Text("How this was decided:", "Sådan blev det vurderet:"),
    "notes": Text("Data notes ({n}): what the service saw and did not use",
                  "Datanoter ({n}): hvad tjenesten så og ikke brugte"),
    "unsent": Text("Not sent to the service (no prefetch key asks for these types): {types}",
                   "Ikke sendt til tjenesten (ingen prefetch-nøgle beder om disse typer): {types}"),
}


def render_cards(cards: list[dict[str, Any]], at: str | None, *, trace: bool = False, notes: Any = None, lang: str = "en",
                 unsent: dict[str, int] | None = None, known_on: str | None = None) -> str:
    """A readable rendering for testers: one block per card, then the data notes (even without cards), then the
    bundle's resource types the request could not carry."""
    from ..cards.markdown import unescape
    from ..cards.notes import describe, rank
    from ..cards.trace import TRACE_EXTENSION
    from .replay import unsent_text

    w = {key: text(lang) for key, text in REPLAY_WORDS.items()}
    when = w["as-of"].format(at=at) if at else ""
    when += w["known-on"].format(known_on=known_on) if known_on and known_on != at else ""
    out = [w["cards"].format(n=len(cards), when=when) if cards else w["none"].format(when=when)]
    for card in cards:
        topic = card["source"].get("topic", {}).get("code", "?")
        out += ["", f"[{card['indicator'].upper()}] {topic}", f"  {card['summary']}"]
        for s in card.get("suggestions", []):
            out.append(f"  {w['suggestion']}: {s['label']}")
        for r in card.get("overrideReasons", []):
            out.append(f"  {w['override']}: {r['display']}")
        for link in card.get("links", []):
            out.append(f"  {w['link']}: {link['label']} -> {link['url']}")
        # the detail as a reader of the card sees it: its escapes read, not shown ("0.35 g/dL", not "0\\.35 g/dL")
        out += ["", *("  " + line for line in unescape(card.get("detail", "")).splitlines())]
        if trace:
            out += ["", f"  {w['trace']}"]
            for step in (card.get("extension") or {}).get(TRACE_EXTENSION, []):
                refs = f"  [{', '.join(step['references'][:6])}{', ...' if len(step['references']) > 6 else ''}]" \
                    if step.get("references") else ""
                value = json.dumps(step["value"], ensure_ascii=False)[:160] if "value" in step else "—"  # none found
                out.append(f"    {step['name']} = {value}{refs}")
    if notes:
        out += ["", w["notes"].format(n=len(notes))]
        out += [f"  - {describe(n, lang)}" for n in sorted(notes, key=lambda n: rank(n.kind))]
    if unsent:
        out += ["", w["unsent"].format(types=unsent_text(unsent))]
    return "\n".join(out) + "\n"


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def _valuesets_expand(args: argparse.Namespace) -> int:
    from .valuesets_expand import expand_directories, targets_for
    from ..errors import UpstreamError

    try:
        targets = targets_for(Path(args.out) if args.out else None, load_settings(local=True).valueset_dir)
        summary = expand_directories(args.tx, targets, timeout=args.timeout, page_size=args.count, today=date.today())
    except UpstreamError as exc:
        for line in exc.message.splitlines():
            print(f"cds-service valuesets expand: {line}", file=sys.stderr)
        print("cds-service valuesets expand: nothing was written", file=sys.stderr)
        return EXIT_USAGE
    except (InputError, ConfigError) as exc:
        print(f"cds-service valuesets expand: {exc}", file=sys.stderr)
        return EXIT_USAGE
    sys.stdout.write("".join(f"{line}\n" for line in summary))
    return 0


def describe_commands(parser: argparse.ArgumentParser) -> None:
    """`cds-service CMD --help` (and CMD SUB --help) opens with what the command is for: its one-line help."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                command = action.choices[choice.dest]
                command.description = command.description or choice.help
                describe_commands(command)


def _at_and_csv(parser: argparse.ArgumentParser, what: str) -> None:
    """The options every table tool has: the evaluation date, and a CSV copy of the table."""
    parser.add_argument("--at", required=True, help="evaluation date YYYY-MM-DD")
    parser.add_argument("--csv", metavar="OUT.csv", help=f"also write {what} as CSV")


def _port(text: str) -> int:
    """A TCP port: the server would otherwise listen on another one (99999 wraps to 34463) and report this one."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text[:20]!r}") from None
    if not 0 <= port <= 65535:  # 0: any free port
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port (0-65535)")
    return port


def _workers(text: str) -> int:
    """One worker process or more."""
    try:
        workers = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of workers: {text[:20]!r}") from None
    if workers < 1:
        raise argparse.ArgumentTypeError(f"{workers} workers: at least 1 is needed")
    return workers


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cds-service", description=__doc__, epilog=EXIT_CODES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {package_version()}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the CDS Hooks service")
    serve.add_argument("--host", default="127.0.0.1",
                       help="address to listen on (default: 127.0.0.1, this machine only; 0.0.0.0 for every interface)")
    serve.add_argument("--port", type=_port, default=8000, help="TCP port to listen on, 0-65535, 0 for any free one (default: 8000)")
    serve.add_argument("--workers", type=_workers, default=1, help="worker processes (each loads the rules once)")
    serve.set_defaults(run=_serve)
    rep = sub.add_parser("replay", help="replay one-patient FHIR Bundles (files or directories) and print the cards")
    rep.add_argument("bundles", nargs="+", metavar="BUNDLE", help="a Bundle file, or several files/directories (*.json)")
    rep.add_argument("--at", help="evaluation date YYYY-MM-DD (default: today)")
    rep.add_argument("--known-on", metavar="DATE",
                     help="the chart as read (exported) on DATE, YYYY-MM-DD: an order's status is what it was then, "
                          "so a 'stopped' order whose end had passed by DATE ran up to that end on an earlier --at; "
                          "a DATE before --at projects the chart read then to --at, as the timeline does for its "
                          "later days (default: the --at day; one bundle file only)")
    rep.add_argument("--expect", action="store_true",
                     help="check each bundle against NAME.expect.json beside it (its 'at' wins over --at)")
    rep.add_argument("--hook", default="patient-view", choices=["patient-view", "order-select", "order-sign"],
                     help="the hook to call (default: patient-view); order hooks need --draft")
    rep.add_argument("--draft", action="append", metavar="ORDER.json",
                     help="a draft order (one resource or a Bundle) for order hooks; may repeat")
    rep.add_argument("--lang", default="en", choices=["en", "da"], help="the card language (Accept-Language)")
    rep.add_argument("--json", action="store_true", help="print exactly one CDS Hooks response JSON document")
    rep.add_argument("--trace", action="store_true", help="text mode: also print each card's full reasoning")
    rep.add_argument("--print-request", action="store_true",
                     help="print the CDS Hooks request the bundle becomes, and stop")
    rep.add_argument("--url", metavar="URL",
                     help="send the request to a running service (its base URL or the service URL) instead")
    rep.add_argument("--sign-key", metavar="PEM", help="with --url: sign a client JWT with this private key")
    rep.add_argument("--iss", metavar="ISS", help="with --sign-key: the token's issuer")
    rep.add_argument("--kid", metavar="KID", help="with --sign-key: the key id (default: the key's JWK thumbprint)")
    rep.add_argument("--jku", metavar="URL", help="with --sign-key: the JWK Set URL to name in the token header")
    rep.set_defaults(run=_replay)
    tl = sub.add_parser("timeline", help="the days on which a patient's advice changes")
    tl.add_argument("bundle", metavar="BUNDLE", help="a one-patient FHIR Bundle (JSON file)")
    tl.add_argument("--from", dest="from_date", type=_day, metavar="DATE",
                    help="first day (default: a month before the first index event, or before an earlier record a card "
                         "names, such as a dose recorded not given, up to 12 months before the index event: an older "
                         "one is named at the range's edge with its date; else the first fact date)")
    tl.add_argument("--to", dest="to_date", type=_day, metavar="DATE",
                    help="last day (default: two months after the later of --at and the stop date, else the last "
                         "fact date + 12 months)")
    tl.add_argument("--at", type=_day, metavar="DATE",
                    help="draw it as of this day: the evaluation date and the 'today' marker (default: today)")
    tl.add_argument("--lang", default="en", choices=["en", "da"], help="language of the summaries (default: en)")
    tl.add_argument("--html", metavar="OUT.html", help="also write a self-contained HTML page with a plot")
    tl.set_defaults(run=_timeline)
    wl = sub.add_parser("worklist", help="patients in a FHIR Bulk Data export (NDJSON) whose advice needs action")
    wl.add_argument("directory", metavar="NDJSON_DIR", help="a FHIR Bulk Data export: one NDJSON file (or several) per type")
    _at_and_csv(wl, "the worklist")
    wl.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    wl.add_argument("--dask", metavar="ADDRESS",
                    help="evaluate on a Dask cluster: 'local' starts one here with --jobs workers, or a scheduler "
                         "address tcp://host:8786 (every worker must read NDJSON_DIR at the same path)")
    wl.add_argument("--identifier-system", default=CPR_SYSTEM, metavar="URI",
                    help="show the patient's identifier of this system beside the FHIR id (default: CPR, %(default)s)")
    wl.set_defaults(run=_worklist)
    ans = sub.add_parser("answers", help="every answer for a set of bundles, one sorted JSON line each: two trees "
                                        "giving the same file (cmp) show users the same thing")
    ans.add_argument("paths", nargs="+", metavar="DIR_OR_FILE",
                     help="Bundle files or folders of them; a folder's drafts/*.draft.json are the draft orders")
    ans.add_argument("--out", required=True, metavar="FILE.jsonl", help="where to write the lines")
    ans.set_defaults(run=_answers)
    cmp = sub.add_parser("compare-rulesets", help="patients whose advice differs between two rule sets or policies")
    cmp.add_argument("input", metavar="INPUT", help="a folder of one-patient Bundles, a Bundle, or an NDJSON export folder")
    for side in "AB":
        cmp.add_argument(f"--policy-{side.lower()}", metavar=f"{side}.json",
                         help=f"policy file of rule set {side} (default: the rule set's defaults)")
    for side in "AB":
        cmp.add_argument(f"--ruleset-{side.lower()}", metavar="ID",
                         help=f"rule set {side} (default: the configured one, CDS_RULESET)")
    _at_and_csv(cmp, "the differences (patient,advice_a,advice_b)")
    cmp.set_defaults(run=_compare_rulesets)
    fb = sub.add_parser("feedback-report", help="per advice code: cards issued, accepted, overridden, and why")
    fb.add_argument("--since", metavar="DATE", help="only cards issued from this day on, YYYY-MM-DD (default: all time)")
    fb.add_argument("--csv", action="store_true", help="print CSV instead of an aligned table")
    fb.set_defaults(run=_feedback_report)
    st = sub.add_parser("store-stats", help="the card store's size and contents: rows and bytes per table, oldest "
                        "card and snapshot, explanation parts (read-only)")
    st.add_argument("--json", action="store_true", help="print JSON instead of text")
    st.set_defaults(run=_store_stats)
    vs = sub.add_parser("valuesets", help="value-set maintenance")
    vs_sub = vs.add_subparsers(dest="valuesets_command", required=True)
    ex = vs_sub.add_parser("expand", help="refresh the SNOMED CT expansions from a FHIR terminology server ($expand)")
    ex.add_argument("--tx", required=True, metavar="URL", help="base URL of the FHIR R4 terminology server")
    ex.add_argument("--out", metavar="DIR", help="where to write the files (default: ./valuesets-expanded; "
                    "the package's value-set directory updates it in place)")
    ex.add_argument("--timeout", type=float, default=30.0, metavar="S", help="seconds per request (default 30)")
    ex.add_argument("--count", type=int, default=1000, metavar="N", help="concepts per $expand page (default 1000)")
    ex.set_defaults(run=_valuesets_expand)
    sr = sub.add_parser("safety-report", help="the clinical safety traceability matrix, its check, hazard log and SOUP list")
    sr.add_argument("--check", action="store_true", help="exit 1 naming every gap between the matrix and the code")
    sr.add_argument("--html", metavar="OUT.html", help="write the matrix as a self-contained HTML page")
    sr.add_argument("--hazard-log", action="store_true", help="print the hazard log (markdown) generated from the matrix")
    sr.add_argument("--soup", action="store_true", help="print the SOUP list (markdown) from the lock file")
    sr.add_argument("--offline", action="store_true", help="with --soup: do not ask the package index about vulnerabilities")
    sr.add_argument("--matrix", metavar="TRACEABILITY.toml", help="default: docs/safety/traceability.toml of this checkout")
    sr.add_argument("--lock", metavar="requirements.lock", help="default: requirements.lock of this checkout")
    sr.set_defaults(run=_safety_report)
    describe_commands(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    if args.command == "serve":
        return run(args)  # JSON lines, configured by _serve
    from ..http.logs import tool_logging

    with tool_logging():  # a person at a terminal: plain lines, only what concerns the command
        return run(args)


if __name__ == "__main__":
    sys.exit(main())
