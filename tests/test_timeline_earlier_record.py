"""A record with a card of its own years before T0 does not stretch the timeline's default range.

A therapy known only by its name in 2019 and a CAR-T infusion on 2025-10-14 gave a range from 2019-02-04: a plot six
years wide with the high-risk window a few pixels. The range now moves back for such a record only up to
`EARLIER_RECORD_MONTHS` before T0; an older one is named at the range's edge with its date, in the text and on the
plot, and `--from` still shows it."""

from __future__ import annotations

import re
from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.timeline import default_range, render_text, timeline_from_facts
from cds_service.tools.timeline_html import plot_svg
from cql_like_rules import Parameters
from cql_like_rules.facts import CarTInfusion, Facts, IgGResult, UnrecognisedTherapy

RUNTIME = load_runtime(Settings())
T0 = date(2025, 10, 14)
TODAY = date(2026, 1, 20)


def chart(named_on: date) -> Facts:
    return Facts(car_t=(CarTInfusion(T0, "Procedure/cart"),),
                 igg=(IgGResult(3.0, date(2026, 1, 10), "Observation/igg"),),
                 unrecognised_therapies=(UnrecognisedTherapy(named_on, "Procedure/old", "Rituximab-CAR forsøg",
                                                             "car-t-product"),))


def test_a_record_years_before_t0_leaves_the_range_near_the_window():
    assert default_range(chart(date(2019, 3, 4)), Parameters(), TODAY) == (date(2025, 9, 14), date(2026, 6, 14))


def test_a_record_within_a_year_before_t0_is_still_framed():
    assert default_range(chart(date(2025, 2, 1)), Parameters(), TODAY) == (date(2025, 1, 1), date(2026, 6, 14))


@pytest.mark.parametrize("lang, says", [
    ("en", "before 2025-09-14, not in this range: Rituximab-CAR forsøg, 2019-03-04"),
    ("da", "før 2025-09-14, uden for perioden: Rituximab-CAR forsøg, 2019-03-04"),
])
def test_the_text_names_the_record_left_out_with_its_date(lang, says):
    timeline = timeline_from_facts("p", chart(date(2019, 3, 4)), RUNTIME.ruleset, RUNTIME.terminology, lang, TODAY)
    text = render_text(timeline, lang)
    assert timeline.start == date(2025, 9, 14)
    assert says in text, text


def test_the_plot_marks_the_record_at_its_edge():
    timeline = timeline_from_facts("p", chart(date(2019, 3, 4)), RUNTIME.ruleset, RUNTIME.terminology, "en", TODAY)
    svg = plot_svg(timeline, "en", TODAY)
    # text is drawn as paths; matplotlib keeps each text as a comment beside them
    assert re.search(r"<!-- ← earlier: Rituximab-CAR forsøg, 2019-03-04 -->", svg), "no mark at the edge"


def test_the_mark_at_the_edge_draws_the_ehr_name_as_written():
    """The record's name is the EHR's text: matplotlib read '$\\frac$' as math and the plot failed (the explanation
    page lost its picture, `timeline --html` stopped)."""
    name = "Kymriah $\\frac$ forsøg"
    facts = Facts(car_t=(CarTInfusion(T0, "Procedure/cart"),), igg=(IgGResult(3.0, date(2026, 1, 10), "Observation/igg"),),
                  unrecognised_therapies=(UnrecognisedTherapy(date(2019, 3, 4), "Procedure/old", name, "car-t-product"),))
    timeline = timeline_from_facts("p", facts, RUNTIME.ruleset, RUNTIME.terminology, "en", TODAY)
    svg = plot_svg(timeline, "en", TODAY)
    assert f"<!-- ← earlier: {name}, 2019-03-04 -->" in svg, "not drawn as written"


@pytest.mark.parametrize("lang, says", [
    ("en", "before 2025-09-14, not in this range: “Rituximab-CAR forsøg”, 2019-03-04"),
    ("da", "før 2025-09-14, uden for perioden: “Rituximab-CAR forsøg”, 2019-03-04"),
])
def test_the_record_s_own_words_at_the_edge_are_quoted_as_a_card_quotes_them(lang, says):
    """The name is the record's (a text as the EHR wrote it, not an INN of the service's): quoted at the edge as on the
    card ('Not checked: “Rituximab-CAR forsøg” …'), in the text and on the plot."""
    from cql_like_rules.facts import RecordText

    facts = Facts(car_t=(CarTInfusion(T0, "Procedure/cart"),), igg=(IgGResult(3.0, date(2026, 1, 10), "Observation/igg"),),
                  unrecognised_therapies=(UnrecognisedTherapy(date(2019, 3, 4), "Procedure/old",
                                                              RecordText("Rituximab-CAR forsøg"), "car-t-product"),))
    timeline = timeline_from_facts("p", facts, RUNTIME.ruleset, RUNTIME.terminology, lang, TODAY)
    assert says in render_text(timeline, lang), render_text(timeline, lang)
    if lang == "en":
        assert "earlier: “Rituximab-CAR forsøg”, 2019-03-04 -->" in plot_svg(timeline, "en", TODAY)
