"""A start card beside immunoglobulin the patient may already be on (`ig-maybe-on`) names the record, its date and
why it was not read, a caveat a crowded card never cuts. Its longer form ("may be Ig the patient is already on: check
before ordering; no Ig order offered here") took the room of another line on the most crowded start cards of the
shipped charts with a locally coded Ig order: the window's fact line, or the note that an old IgG still supports a
start. The caveat is shorter now, and those cards keep their lines; the record's name, date and reason stay.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

RUNTIME = load_runtime(Settings())
FIXTURES = Path(__file__).resolve().parent.parent / "fhir_fixtures"


def start_card(chart: str, at: date, lang: str) -> list[str]:
    """The lines of the chart's patient-view start card on `at`."""
    bundle = json.loads((FIXTURES / f"{chart}.json").read_text())
    answered = replay(RUNTIME, bundle, lang=lang, hook="patient-view", at=at)
    card = next(c for c in answered.cards if c["source"]["topic"]["code"] == "start-substitution")
    assert len(card["detail"]) <= 700
    return list(card["detail"].splitlines())


@pytest.mark.parametrize("lang, caveat, kept", [
    ("en", "*Note:* “Privigen 100 mg/ml inf\\.” (ordered 2026-01-15; code not known) may be Ig the patient is on: "
           "check first; no Ig order offered.",
     "*Note:* The special criterion ends on 2026-05-25; from then the general criteria apply."),
    ("da", "*Bemærk:* “Privigen 100 mg/ml inf\\.” (ordineret 2026-01-15; ukendt kode) kan være Ig, patienten får: "
           "tjek først; ingen Ig-ordination tilbudt.",
     "*Bemærk:* Særkriteriet ophører 2026-05-25; derefter gælder de generelle kriterier."),
])
def test_the_local_code_chart_keeps_the_note_on_an_old_igg(lang: str, caveat: str, kept: str) -> None:
    """The local-code chart's start card on 2026-05-24 (an IgG 132 days old, one day left): it cut both the note that
    an old IgG still supports a start and the window's end. With one day left the card must say that the special
    criterion ends (clinical rules §7), a caveat that could change the decision: the note on the old IgG is the one
    counted."""
    lines = start_card("local-ivig-code-not-recognised-named-in-card", date(2026, 5, 24), lang)
    assert caveat in lines and kept in lines
    assert ("*1 note not shown here.*" if lang == "en" else "*1 note ikke vist her.*") in lines


@pytest.mark.parametrize("lang, caveat, window", [
    ("en", "*Note:* “Privigen lokal kode” (code not known) may be Ig the patient is on: check first; no Ig order "
           "offered.",
     "- High-risk window 2025-12-01 to 2026-06-01 (132 days left)"),
    ("da", "*Bemærk:* “Privigen lokal kode” (ukendt kode) kan være Ig, patienten får: tjek først; ingen "
           "Ig-ordination tilbudt.",
     "- Højrisikoperiode 2025-12-01 til 2026-06-01 (132 dage tilbage)"),
])
def test_the_data_notes_chart_keeps_its_window_line(lang: str, caveat: str, window: str) -> None:
    """The data-notes chart's start card on 2026-01-20 (ten data notes): the Danish card dropped the window's line,
    the English joined it to the T0 line; both keep it as a line of its own."""
    lines = start_card("data-notes-that-could-change-the-decision-come-first", date(2026, 1, 20), lang)
    assert caveat in lines and window in lines


@pytest.mark.parametrize("lang, window", [
    ("en", "- Start of teclistamab (T0) 2025-12-01; high-risk window to 2026-06-01 (1 day left)"),
    ("da", "- Højrisikoperiode 2025-12-01 til 2026-06-01 (1 dag tilbage)"),
])
def test_the_data_notes_chart_keeps_its_last_window_day(lang: str, window: str) -> None:
    """The same chart on the window's last day but one: the Danish card, longer, kept its T0 line and lost the window's
    line with "1 day left", the one thing that says the criterion lapses tomorrow. The window's line begins on T0's
    day and the decision names the therapy, so the T0 line goes for it."""
    lines = start_card("data-notes-that-could-change-the-decision-come-first", date(2026, 5, 31), lang)
    assert window in lines
