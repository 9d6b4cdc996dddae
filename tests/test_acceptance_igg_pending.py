"""An IgG on its way (registered or preliminary, no final result): what the card asks the clinician to do, the data
note that names it, which codes count, and the timeline's days (clinical-logic "IgG On Its Way", P-IGG-PENDING).

CAR-T 2025-11-18, no IgG since: the card asks for IgG. An IgG registered 2026-01-20 under a serum/plasma IgG result
code spares the IgG order for 14 days ([policy] igg_pending_days); the card then says to wait for it, not to measure
now, and names it once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.tools.timeline import build_timeline, patient_data, render_text
from cds_service.tools.worklist import evaluate_patient_resources

from .test_acceptance_actions import RUNTIME, T0, ask, bundle_of, car_t, chart_of, codes
from .test_acceptance_stop import NPU, SCT, SUBJECT, igg

Resource = dict[str, Any]


def registered(day: str = "2026-01-20", status: str = "registered", system: str = NPU,
               code: str = "NPU19814") -> Resource:
    """An IgG the laboratory registered (sample taken or ordered), no value yet."""
    return {"resourceType": "Observation", "id": "igg-on-its-way", "status": status, "subject": SUBJECT,
            "effectiveDateTime": day, "code": {"coding": [{"system": system, "code": code}]}}


@pytest.mark.parametrize("lang,wait,measure_now", [
    ("en", "Wait for the result of the IgG of 2026-01-20", "Measure serum IgG now"),
    ("da", "Afvent svaret på IgG fra 2026-01-20", "Mål IgG i serum nu"),
])
def test_the_card_asks_to_wait_for_the_igg_on_its_way_not_to_measure_now(lang: str, wait: str,
                                                                          measure_now: str) -> None:
    """'To do: Measure serum IgG now.' beside 'IgG taken or ordered 2026-01-20 awaits its result: no second order is
    suggested' told the clinician to order the IgG the card no longer offers; now the To do waits for that IgG. Once
    it has lapsed (15 days on) the card offers the order and says measure now again."""
    chart = chart_of(car_t(T0), registered())
    [card] = ask(chart, "2026-01-22", lang)
    assert codes([card]) == [("measure-igg", "info")] and "suggestions" not in card
    assert wait in card["detail"] and measure_now not in card["detail"], card["detail"]
    stale = chart_of(car_t(T0), igg("igg-nov", "2025-11-25", 5.0), registered())  # a stale IgG not low: the same
    [card] = ask(stale, "2026-01-22", lang)
    assert wait in card["detail"] and measure_now not in card["detail"], card["detail"]
    [lapsed] = ask(chart, "2026-02-04", lang)
    assert lapsed["suggestions"] and measure_now in lapsed["detail"] and wait not in lapsed["detail"]


@pytest.mark.parametrize("lang,awaits,note,preliminary", [
    ("en", "IgG taken or ordered 2026-01-20 awaits its result", "IgG on 2026-01-20 is registered, no result yet",
     "(preliminary)"),
    ("da", "IgG taget eller bestilt 2026-01-20 afventer svar", "IgG den 2026-01-20 er registreret, endnu uden svar",
     "(foreløbig)"),
])
def test_a_registered_igg_is_named_once_and_not_called_preliminary(lang: str, awaits: str, note: str,
                                                                   preliminary: str) -> None:
    """The card that names the registered IgG as awaiting its result does not name it again as 'not final yet
    (preliminary)'; where no such caveat names it (an IgG registered before the CAR-T, a start card), its data note
    says registered, no result yet, not 'preliminary'."""
    [card] = ask(chart_of(car_t(T0), registered()), "2026-01-22", lang)
    assert awaits in card["detail"] and card["detail"].count("2026-01-20") == 2, card["detail"]  # To do and the note
    assert preliminary not in card["detail"] and note not in card["detail"]
    [start] = ask(chart_of(car_t(T0), igg("igg-jan", "2026-01-10", 3.2), registered()), "2026-01-22", lang)
    assert codes([start]) == [("start-substitution", "info")]
    assert note in start["detail"] and preliminary not in start["detail"], start["detail"]


def test_an_igg_registered_with_a_value_is_not_said_to_have_no_result() -> None:
    """A laboratory that sends a value on an IgG still 'registered' (FHIR: no result yet) has a result not final: its
    data note says 'not final yet', not 'registered, no result yet', which the value on the chart contradicts."""
    valued = {**registered(), "valueQuantity": {"value": 2.1, "unit": "g/L", "system": "http://unitsofmeasure.org",
                                                "code": "g/L"}}
    [start] = ask(chart_of(car_t(T0), igg("igg-jan", "2026-01-10", 3.2), valued), "2026-01-22")
    assert "IgG 2.1 g/L on 2026-01-20 is not final yet" in start["detail"] and "no result yet" not in start["detail"]


def test_an_igg_registered_under_an_order_code_does_not_spare_the_serum_igg_order() -> None:
    """SNOMED CT 45293001 'Immunoglobulin G measurement' names no specimen (on a result it may be CSF IgG): a result
    under it is not read as total serum IgG, and one registered under it is no serum IgG on its way either. The card
    offers the IgG order. The same registered under LOINC 2465-3 spares it."""
    [card] = ask(chart_of(car_t(T0), registered(system=SCT, code="45293001")), "2026-01-22")
    assert codes([card]) == [("measure-igg", "info")] and card["suggestions"]
    assert "awaits its result" not in card["detail"]
    [card] = ask(chart_of(car_t(T0), registered(system="http://loinc.org", code="2465-3")), "2026-01-22")
    assert "suggestions" not in card and "awaits its result" in card["detail"]


def test_the_worklist_does_not_ask_again_for_the_igg_on_its_way() -> None:
    """The worklist lists the patients who need an action now: with the IgG registered 2026-01-20 the measure-igg row
    is no action due (the card offers no order and says to wait for it), where it listed 'measure IgG' and a second
    sample would be taken; once the IgG has lapsed (2026-02-04) the row is an action again."""
    chart = chart_of(car_t(T0), registered())
    [row] = evaluate_patient_resources(chart, date(2026, 1, 22), RUNTIME)
    assert row.code == "measure-igg" and not row.action
    [row] = evaluate_patient_resources(chart, date(2026, 2, 4), RUNTIME)
    assert row.code == "measure-igg" and row.action
    [row] = evaluate_patient_resources(chart_of(car_t(T0)), date(2026, 1, 22), RUNTIME)
    assert row.code == "measure-igg" and row.action


def test_the_timeline_lists_the_days_the_igg_order_is_spared_and_offered_again() -> None:
    """Registered 2026-01-20: from that day the card offers no IgG order; from 2026-02-04 (14 days on) it offers the
    order again. Same advice, same summary: both days are changes the clinician sees, named as such."""
    data = patient_data(bundle_of(chart_of(car_t(T0), registered())), RUNTIME)
    timeline = build_timeline(data, RUNTIME, end=date(2026, 2, 20), today=date(2026, 2, 20))
    days = {s.day: s for s in timeline.changes}
    assert date(2026, 1, 20) in days and date(2026, 2, 4) in days, list(days)
    assert "suggestions" not in days[date(2026, 1, 20)].cards[0] and days[date(2026, 2, 4)].cards[0]["suggestions"]
    text = render_text(timeline)
    assert "IgG taken or ordered, awaiting its result" in text and "an order is offered again" in text


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_timeline_of_an_igg_registered_the_day_a_result_came_is_drawn(lang: str) -> None:
    """A preliminary IgG and the final 3.2 g/L taken the same day (the start card from that day): the timeline's
    reasons for that day named a kind it had no words for, and the timeline failed (KeyError 'igg-pending')."""
    chart = chart_of(car_t(T0), igg("igg-jan", "2026-01-20", 3.2), registered(status="preliminary"))
    data = patient_data(bundle_of(chart), RUNTIME)
    timeline = build_timeline(data, RUNTIME, lang=lang, end=date(2026, 2, 20), today=date(2026, 2, 20))
    text = render_text(timeline, lang)
    assert "2026-01-20" in text and "start-substitution" in text


def test_every_waiting_to_do_replaces_a_variant_that_exists() -> None:
    """A misspelt "code:variant" would leave that card saying 'Measure serum IgG now.' beside the IgG on its way."""
    from cql_like_rules.catalogue import CATALOGUE, PENDING_ACTIONS
    for key in PENDING_ACTIONS:
        code, variant = key.split(":")
        assert variant in CATALOGUE[code].variants, key
        assert "{igg_pending_date}" in PENDING_ACTIONS[key].en and "{igg_pending_date}" in PENDING_ACTIONS[key].da
