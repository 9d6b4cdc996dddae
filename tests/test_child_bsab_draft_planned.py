"""A child's card from a bispecific draft that starts the course calls its T0 a planned start: no dose has been given.

The card said "Start of blinatumomab (T0) 2026-01-20" for a draft, as if the course had begun; the adult's card for
the same draft says "Planned start". A draft that continues a course already given keeps the course's start."""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import chart, draft, given, igg

RUNTIME = load_runtime(Settings())
TEC = "L01FX24"


@pytest.mark.parametrize("lang, line", [("en", "- Planned start of teclistamab (T0) 2026-01-25"),
                                        ("da", "- Planlagt opstart af teclistamab (T0) 2026-01-25")])
def test_a_new_course_drafted_for_a_child_is_a_planned_start(lang, line):
    bundle = chart(igg("2026-01-13", 7.0), birth="2014-03-01")
    [card] = replay(RUNTIME, bundle, lang=lang, hook="order-sign", drafts=[draft("2026-01-25", atc=TEC, text="Tecvayli")],
                    at=date(2026, 1, 20)).cards
    assert card["source"]["topic"]["code"] == "child-individual-assessment"
    assert line in card["detail"].splitlines(), card["detail"]


def test_a_draft_continuing_a_childs_course_keeps_its_start():
    bundle = chart(*given(TEC, "2025-12-01", "2025-12-08"), igg("2026-01-13", 7.0), birth="2014-03-01")
    [card] = replay(RUNTIME, bundle, hook="order-sign", drafts=[draft("2026-01-21", atc=TEC, text="Tecvayli")],
                    at=date(2026, 1, 20)).cards
    assert "- Start of teclistamab (T0) 2025-12-01" in card["detail"].splitlines(), card["detail"]
