"""patient-view's general-criteria start card dates the stop attempt for a course begun today, where it has room.

"Substitution may start; attempt the stop 6–12 months after its start" left the clinician to count; the order card
gave the dates (from the draft's start), patient-view did not. The dates are advice values, so the explanation page
holds them too; the sentence is the variant's spare one, the first to go on a crowded card."""

from __future__ import annotations

import json
from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay, request_from_bundle

from .fixtures import FIXTURES
from .pages import request_page

RUNTIME = load_runtime(Settings())
SEPSIS = "sepsis-icd10-without-dot-after-window-general-criteria-met"  # sepsis 2026-05-20, IgG 3.4, after the window


@pytest.mark.parametrize("lang, line", [
    ("en", "**To do:** Substitution may start; attempt the stop 6–12 months after its start. If begun today: stop "
           "attempt 2026-12-15 to 2027-06-15."),
    ("da", "**Gør:** Substitution kan startes; forsøg seponering 6–12 måneder efter opstart. Startes substitutionen "
           "i dag: seponeringsforsøg 2026-12-15 til 2027-06-15."),
])
def test_the_start_card_dates_the_stop_attempt_for_a_start_today(lang, line):
    bundle = json.loads((FIXTURES / f"{SEPSIS}.json").read_text())
    answer = replay(RUNTIME, bundle, lang=lang, at=date(2026, 6, 15))
    [card] = answer.cards
    assert card["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert line in card["detail"] and len(card["detail"]) <= 700, card["detail"]
    [advice] = answer.advice
    assert (advice.values["general_stop_from"], advice.values["general_stop_to"]) == (date(2026, 12, 15),
                                                                                      date(2027, 6, 15))


def test_the_month_end_is_kept():
    # read on 2026-08-31 (the IgG taken 2026-08-20): six months on is 2027-02-28, twelve 2027-08-31
    bundle = json.loads((FIXTURES / f"{SEPSIS}.json").read_text().replace("2026-06-01", "2026-08-20"))
    [card] = replay(RUNTIME, bundle, at=date(2026, 8, 31)).cards
    assert "If begun today: stop attempt 2027-02-28 to 2027-08-31." in card["detail"], card["detail"]


def test_the_explanation_page_holds_the_dates():
    bundle = json.loads((FIXTURES / f"{SEPSIS}.json").read_text())
    page = request_page(request_from_bundle(bundle), "patient-view", date(2026, 6, 15), "en", RUNTIME)
    assert "stop attempt from, if begun today" in page and "2026-12-15" in page and "2027-06-15" in page
