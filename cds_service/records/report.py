"""`cds-service feedback-report`: per advice code, how often it was issued, accepted, overridden, and why.

Counts are of cards: a card counts once as accepted if any accepted feedback came for it
(likewise overridden), however often the client reported it. `--since` selects the cards
issued from the start of that day (in `CDS_TIMEZONE`); their feedback counts whenever it came.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ..settings import Settings
from ..errors import ConfigError, InputError
from .store import ACCEPTED, OVERRIDDEN, card_feedback, has_schema, issued_card, make_engine

NO_REASON = "(no coded reason)"
HEADER = ("advice code", "issued", "accepted", "overridden")


@dataclass
class CodeRow:
    code: str
    issued: int = 0
    accepted: int = 0
    overridden: int = 0
    reasons: list[tuple[str, int]] = field(default_factory=list)


def parse_since(value: str | None, tz: ZoneInfo) -> datetime | None:
    """`YYYY-MM-DD` as the start of that day in the service's time zone."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InputError(f"--since {value!r} is not a date (YYYY-MM-DD)") from None
    return datetime.combine(day, time.min, tz)


def collect(engine: Engine, since: datetime | None = None) -> list[CodeRow]:
    """One row per advice code with cards issued since `since` (all time when None)."""
    window = issued_card.c.issued_at >= since if since is not None else sa.true()
    rows: dict[str, CodeRow] = {}
    code, card = issued_card.c.advice_code, card_feedback.c.card_uuid
    joined = issued_card.join(card_feedback, card_feedback.c.card_uuid == issued_card.c.card_uuid)
    with engine.connect() as connection:
        for advice, count in connection.execute(sa.select(code, sa.func.count()).where(window).group_by(code)):
            rows[advice] = CodeRow(advice, issued=count)
        for outcome in (ACCEPTED, OVERRIDDEN):
            query = (sa.select(code, sa.func.count(sa.distinct(card))).select_from(joined)
                     .where(window, card_feedback.c.outcome == outcome).group_by(code))
            for advice, count in connection.execute(query):
                setattr(rows[advice], outcome, count)
        system, reason, display = card_feedback.c.reason_system, card_feedback.c.reason_code, card_feedback.c.reason_display
        query = (sa.select(code, system, reason, sa.func.min(display), sa.func.count(sa.distinct(card))).select_from(joined)
                 .where(window, card_feedback.c.outcome == OVERRIDDEN).group_by(code, system, reason))
        for advice, _, reason_code, reason_display, count in connection.execute(query):
            rows[advice].reasons.append((reason_display or reason_code or NO_REASON, count))
    for row in rows.values():
        row.reasons.sort(key=lambda r: (-r[1], r[0].casefold()))
    return sorted(rows.values(), key=lambda r: (-r.issued, r.code))


def render_text(rows: list[CodeRow], since: datetime | None = None) -> str:
    """Aligned columns; each code's override reasons indented under it, counted in the overridden column."""
    lines: list[tuple[str, str, str, str]] = [HEADER]
    for row in rows:
        lines.append((row.code, str(row.issued), str(row.accepted), str(row.overridden)))
        lines += [(f"  - {label}", "", "", str(count)) for label, count in row.reasons]
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    out = [f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:>{widths[2]}}  {d:>{widths[3]}}".rstrip() for a, b, c, d in lines]
    if not rows:
        out.append("(no cards issued" + (f" since {since.date().isoformat()})" if since else ")"))
    return "\n".join(out) + "\n"


def render_csv(rows: list[CodeRow]) -> str:
    """One line per code (override_reason empty), then one per reason with its count under `overridden`."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["advice_code", "override_reason", "issued", "accepted", "overridden"])
    for row in rows:
        writer.writerow([row.code, "", row.issued, row.accepted, row.overridden])
        for label, count in row.reasons:
            writer.writerow([row.code, label, "", "", count])
    return buffer.getvalue()


def feedback_report(settings: Settings, since: str | None = None, as_csv: bool = False) -> str:
    """The report from the database the server uses (`DATABASE_URL`, else `$CDS_DATA_DIR/cds.sqlite3`)."""
    start = parse_since(since, settings.tz)
    url = sa.engine.make_url(settings.store_url(create_dir=False))
    rows: list[CodeRow] = []
    if url.get_backend_name() != "sqlite" or Path(url.database or "").is_file():  # never create an empty file
        engine = make_engine(url)
        try:
            rows = collect(engine, start) if has_schema(engine) else []
        except sa.exc.SQLAlchemyError as exc:
            why = " ".join(str(getattr(exc, "orig", None) or exc).split())  # one line: drivers' messages wrap
            raise ConfigError(f"cannot read the card store: {why}") from None
        finally:
            engine.dispose()
    return render_csv(rows) if as_csv else render_text(rows, start)
