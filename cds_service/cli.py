"""`cds-service`: run the server, or replay FHIR bundles through it.

Logs go to stderr; with `replay --json` stdout holds exactly one CDS Hooks response.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from typing import Sequence

from .replay import BundleError, load_bundle, parse_at, replay
from .settings import ConfigError, settings_from_env

EXIT_USAGE = 2


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app

    try:
        app = create_app()
    except ConfigError as exc:
        print(f"cds-service: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    uvicorn.run(app, host=args.host, port=args.port, log_level="info")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from .app import create_app

    try:
        at = parse_at(args.at)
        bundle = load_bundle(args.bundle)
        settings = dataclasses.replace(settings_from_env(), evaluation_date=at) if at else settings_from_env()
        app = create_app(settings)
        status, body = replay(app, bundle, args.lang)
    except (BundleError, ConfigError) as exc:
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cds-service", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the CDS Hooks service")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)
    rep = sub.add_parser("replay", help="replay a one-patient FHIR Bundle and print the cards")
    rep.add_argument("bundle")
    rep.add_argument("--at", help="evaluation date YYYY-MM-DD (default: today)")
    rep.add_argument("--hook", default="patient-view", choices=["patient-view"])
    rep.add_argument("--lang", default="en", choices=["en", "da"])
    rep.add_argument("--json", action="store_true", help="print exactly one CDS Hooks response JSON document")
    rep.set_defaults(run=_replay)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
