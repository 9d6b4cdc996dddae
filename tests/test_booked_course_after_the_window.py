"""A course booked to begin after the stop date, with no infection to support it, is said while it can be held (§4.3).

CAR-T 2025-11-18 (stop date 2026-05-18), IgG 3.0 g/L, no infection, never on immunoglobulin; an IVIG order written
2026-04-15 to begin 2026-05-25. A course beginning after the window follows the general criteria, which need severe
or recurrent verified bacterial infections. The order hooks said so of the draft; patient-view said nothing from the
day it was signed to its first dose (spec §7: a course booked ahead means no start-related card), then "began without
the general criteria: weigh a stop". Now patient-view says it from the day the order was written, with the order to
put on hold.
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cds_service.tools.worklist import evaluate_patient_resources, urgency

from .reading_charts import car_t, chart, igg, infection, order

RUNTIME = load_runtime(Settings())
SUMMARY = {"en": "Ig booked from 2026-05-25, after the stop date 2026-05-18: no severe/recurrent verified bacterial "
                 "infection supports it",
           "da": "Ig planlagt fra 2026-05-25, efter seponeringsdato 2026-05-18: ingen svær/tilbagevendende verificeret "
                 "bakteriel infektion begrunder det"}


def _chart(*more: dict, start: str = "2026-05-25") -> dict:
    return chart(car_t("2025-11-18"), igg("2026-04-13", 3.0),
                 order("J06BA02", start, authored="2026-04-15", rid_="mr-booked"), *more)


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("at", [date(2026, 4, 20), date(2026, 5, 24)])
def test_the_booking_is_said_with_the_order_to_hold(at: date, lang: str) -> None:
    [card] = replay(RUNTIME, _chart(), at=at, lang=lang).cards
    assert card["source"]["topic"]["code"] == "no-start-without-infections"
    assert card["indicator"] == "warning"
    assert card["summary"] == SUMMARY[lang]
    assert ("- IVIG booked from 2026-05-25" if lang == "en" else "- IVIG planlagt fra 2026-05-25") in card["detail"]
    [suggestion] = card["suggestions"]
    [action] = suggestion["actions"]
    assert action["type"] == "update" and action["resource"]["id"] == "mr-booked"
    assert action["resource"]["status"] == "on-hold"


def test_its_first_dose_day_weighs_the_stop_as_before() -> None:
    [card] = replay(RUNTIME, _chart(), at=date(2026, 5, 25)).cards
    assert (card["source"]["topic"]["code"], card["indicator"]) == ("general-stop-review", "warning")
    assert "began without the general criteria" in card["summary"]


@pytest.mark.parametrize("why, more, start", [
    ("a severe infection supports it", (infection("2026-03-01", "DA419", severe=True),), "2026-05-25"),
    ("it begins inside the window", (), "2026-05-10"),
])
def test_no_card_where_the_booking_stands(why: str, more: tuple[dict, ...], start: str) -> None:
    assert replay(RUNTIME, _chart(*more, start=start), at=date(2026, 4, 20)).cards == [], why


def test_no_card_for_a_renewal_that_continues_substitution_under_the_general_criteria() -> None:
    """r49: SCIG since before T0 (general criteria, a sepsis before it), its order ending 2025-10-31 and a renewal
    written 2025-10-20 to begin 2025-11-20: patient-view will read the renewal as continuing (a stop review, no
    "began without the general criteria"), so no warning in the gap either; the card is judged as of the first day."""
    bundle = chart(infection("2023-12-01", "DA419", severe=True), igg("2023-12-10", 3.0),
                   order("J06BA01", "2024-01-01", end="2025-10-31", authored="2023-12-20", rid_="mr-old"),
                   car_t("2025-03-01"), igg("2025-09-20", 3.5),
                   order("J06BA01", "2025-11-20", authored="2025-10-20", rid_="mr-renewal"))
    assert replay(RUNTIME, bundle, at=date(2025, 11, 5)).cards == []
    [begun] = replay(RUNTIME, bundle, at=date(2025, 11, 20)).cards
    assert (begun["source"]["topic"]["code"], begun["indicator"]) == ("general-stop-review", "info")


def test_no_card_where_a_bsab_booked_with_it_opens_a_new_window() -> None:
    """r49: teclistamab booked to begin the day the IVIG is booked to: that day a new window opens, in which IgG below
    4 g/L supports the course (the special criterion), as patient-view then says."""
    bundle = _chart(order("L01FX24", "2026-05-25", authored="2026-04-15", rid_="mr-tec", text="Tecvayli (teclistamab)"))
    assert replay(RUNTIME, bundle, at=date(2026, 4, 20)).cards == []
    [begun] = replay(RUNTIME, bundle, at=date(2026, 5, 25)).cards
    assert begun["source"]["topic"]["code"] == "stop-planned"


def test_the_worklist_lists_the_booking_to_hold_before_its_first_dose() -> None:
    """The ward working from the population worklist sees the booking too, after the starts due now and dated by its
    first dose; a "no start" card of the same code without a booking asks nothing of the list."""
    booked = [e["resource"] for e in _chart()["entry"]]
    [row] = evaluate_patient_resources(booked, date(2026, 4, 20), RUNTIME)
    assert (row.code, row.variant, row.indicator, row.action) == ("no-start-without-infections", "booked-after-window",
                                                                  "warning", True)
    assert (row.stop_date, row.due_date, row.igg_g_l) == (date(2026, 5, 18), date(2026, 5, 25), 3.0)
    unbooked = [e["resource"] for e in chart(car_t("2025-11-18"), igg("2026-06-01", 3.0))["entry"]]
    [plain] = evaluate_patient_resources(unbooked, date(2026, 6, 10), RUNTIME)
    assert (plain.code, plain.action) == ("no-start-without-infections", False)
    due_soon = row._replace(code="stop-due-soon", variant="", due_date=date(2026, 6, 1))
    start = row._replace(code="start-substitution", variant="", due_date=None)
    general_start = row._replace(code="start-meets-general-criteria", variant="", due_date=None)
    measure = row._replace(code="measure-igg", variant="stale", due_date=None)
    assert sorted([measure, row, general_start, start, due_soon], key=urgency) == [due_soon, start, general_start, row,
                                                                                   measure]
