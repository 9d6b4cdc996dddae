"""Known faults of the last changes, each told through what a clinician sees (guideline §3.4, §4.1, §4.2; clinical
rules §2, §5, §7, §8): the booked order's own start on the card that holds it, the words of a data note for an IgG
in the washout of immunoglobulin given for another reason, and the other readings below. Each chart is a FHIR
record as a Danish EHR sends it, evaluated on a day given explicitly.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.test_acceptance_lifecycle import DLBCL, car_t, code, dx, igg, ivig_order
from tests.test_records_left_over import cards, plain

Resource = dict[str, Any]


# ---- the order booked to begin after the stop date: the card names the day it is to begin --------------------------

def booked_chart() -> tuple[Resource, ...]:
    """CAR-T 2025-11-18, IgG 2.8 g/L, IVIG 2025-12-15 to the stop date 2026-05-18, and its renewal written on
    2026-01-20, booked to begin on 2026-05-19."""
    renewal = {**ivig_order(start="2026-05-19", end="2026-08-19", rid="ivig-2"),
               "authoredOn": "2026-01-20T10:00:00+01:00"}
    return (dx(DLBCL, "2025-02-14"), car_t("2025-11-18"), igg("igg", "2025-12-10", 2.8),
            ivig_order(start="2025-12-15", end="2026-05-18"), renewal)


@pytest.mark.parametrize("lang, words", [
    ("en", "Put the order booked to begin on 2026-05-19 on hold, so substitution pauses from 2026-05-18"),
    ("da", "Sæt ordinationen, der er planlagt at begynde 2026-05-19, i bero, så substitutionen pauseres fra "
           "2026-05-18"),
])
def test_the_card_holding_a_booked_order_names_the_day_it_is_booked_to_begin(lang: str, words: str) -> None:
    """§4.2: the stop is attempted on 2026-05-18, so the renewal booked from 2026-05-19 is put on hold. A clinician
    looking for it in the order list needs its start (before: 'the order booked to begin on or after 2026-05-18',
    a day it does not begin on)."""
    [card] = cards(booked_chart(), date(2026, 2, 1), lang=lang)
    assert code(card) == "stop-planned", code(card)
    assert words in plain(card), plain(card)
    [label] = [s["label"] for s in card["suggestions"]]
    assert "2026-05-19" in label and "2026-05-18" not in label, label


def test_the_due_card_holding_a_booked_order_names_its_start_in_the_suggestion() -> None:
    """Eight days before the stop date the card is due, and its suggestion holds the renewal: named by its start."""
    [card] = cards(booked_chart(), date(2026, 5, 10))
    assert code(card) == "stop-due-soon", code(card)
    assert [s["label"] for s in card["suggestions"]] == ["Put the order booked to begin on 2026-05-19 on hold"]


# ---- an IgG in the washout of immunoglobulin given for another reason only: its data note says so ------------------

def itp_washout_chart() -> dict[str, Any]:
    """CAR-T 2025-11-18, IgG 2.8 g/L on 2025-12-10 (untreated), high-dose IVIG for ITP (D69.3) on 2026-01-10 and
    -11, then IgG 9.5 g/L on 2026-01-20 and 8.0 g/L on 2026-01-27, both within its washout; no substitution."""
    from tests.test_acceptance_stop import igg as stop_igg
    from tests.test_acceptance_substitution import CART, ITP, LOW, bundle, on_days
    return bundle(CART, LOW, on_days("ivig", ["2026-01-10", "2026-01-11"], grams=70, reason=ITP),
                  stop_igg("igg-itp", "2026-01-20", 9.5), stop_igg("igg-itp2", "2026-01-27", 8.0))


@pytest.mark.parametrize("lang, words, wrong", [
    ("en", "IgG 9.5 g/L on 2026-01-20 was taken within the washout of immunoglobulin given for another reason: not "
           "used for a start (§3.4)", "on substitution or in its washout"),
    ("da", "IgG 9,5 g/L den 2026-01-20 er taget i udvaskningen efter immunglobulin givet af anden årsag: ikke brugt "
           "til start (§3.4)", "under substitution eller i udvaskningen"),
])
def test_an_igg_in_the_washout_of_itp_immunoglobulin_only_is_named_so_on_the_explanation_page(
        lang: str, words: str, wrong: str) -> None:
    """§3.4: an IgG taken soon after immunoglobulin shows the infused immunoglobulin, whatever it was given for; the
    patient had no substitution, so a note saying 'taken on substitution or in its washout' tells the clinician of a
    substitution that never was (the card's own caveat already said 'given for another reason')."""
    import html
    import re
    from datetime import datetime, timezone

    import orjson

    from cds_service.http.explain_page import render_page
    from cds_service.records.snapshot import Snapshot, payload, read_payload
    from cds_service.tools.replay import replay
    from tests.test_acceptance_lifecycle import RUNTIME

    answer = replay(RUNTIME, itp_washout_chart(), lang=lang, at=date(2026, 2, 1))
    assert [code(c) for c in answer.cards] == ["start-substitution"]
    assert [n.kind for n in answer.notes if n.source == "Observation/igg-itp"] == ["igg-during-other-use"]
    stored = read_payload(orjson.loads(orjson.dumps(payload(answer, 0, RUNTIME.ruleset))))
    assert stored is not None
    now = datetime(2026, 2, 1, 12, tzinfo=timezone.utc)
    page = html.unescape(re.sub(r"<[^>]+>", " ", render_page(Snapshot(answer.cards[0]["uuid"], now, now, lang, stored),
                                                              RUNTIME.terminology)))
    assert words in page
    assert wrong not in page
