"""A new bsAb course drafted for a patient already on immunoglobulin: that Ig is not stopped with the new window.

§4.2: immunoglobulin a patient received before the bispecific follows the general stop criteria (a stop attempt 6-12
months after its start, reviewed every 6 months). The card asked for a baseline IgG ("measure IgG at baseline") and
said IgG below 4 g/L would start substitution, for a patient on it; in a myeloma, the M-protein caveat then pushed the
one note that said the stop rule off the card. It now says the rule, its first review (not inside the new window, as
patient-view will say once the course has begun) and asks for no baseline, which would show the infused dose (§3.4)."""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import MYELOMA, car_t, chart, draft, igg, infection, m_protein_untyped, order

RUNTIME = load_runtime(Settings())
TEC = "L01FX24"


def _cards(*resources, start: str = "2026-01-25", lang: str = "en", hook: str = "order-sign") -> list[dict]:
    bundle = chart(order("J06BA02", "2025-09-01", text="Privigen"), *resources, dx=MYELOMA)
    return replay(RUNTIME, bundle, lang=lang, hook=hook, drafts=[draft(start, atc=TEC, text="Tecvayli")],
                  at=date(2026, 1, 20)).cards


@pytest.mark.parametrize("lang, summary, todo", [
    ("en", "Teclistamab from 2026-01-25: Ig since 2025-09-01 follows the general stop criteria; stop review 2026-07-25",
     "**To do:** Keep substitution; review a stop on 2026-07-25, then every 6 months."),
    ("da", "Teclistamab fra 2026-01-25: Ig siden 2025-09-01 følger de generelle seponeringskriterier; vurdering "
           "2026-07-25",
     "**Gør:** Fortsæt substitutionen; vurdér seponering 2026-07-25, derefter hver 6. måned."),
])
def test_the_card_says_the_ig_follows_the_general_stop_criteria(lang, summary, todo):
    [card] = _cards(igg("2026-01-13", 7.0), m_protein_untyped("2026-01-13", 4.0), lang=lang)
    assert card["source"]["topic"]["code"] == "plan-igg-monitoring"
    assert card["summary"] == summary and len(card["summary"]) <= 140
    assert todo in card["detail"] and len(card["detail"]) <= 700, card["detail"]
    assert "IVIG" in card["detail"] and not card.get("suggestions"), card  # no baseline IgG order
    assert "M-protein" not in card["detail"] and "M-komponent" not in card["detail"], card["detail"]


def test_without_an_igg_no_baseline_is_asked_for():
    [card] = _cards()
    assert "Keep substitution" in card["detail"] and not card.get("suggestions"), card


def test_ig_ending_before_the_course_begins_is_not_kept():
    # The IVIG order ends 2026-01-22, the course begins 2026-02-10: no Ig runs at its start, so the card is the
    # monitoring card with its baseline, as patient-view will ask for an IgG then.
    bundle = chart(order("J06BA02", "2025-09-01", status="completed", end="2026-01-22", text="Privigen"), dx=MYELOMA)
    [card] = replay(RUNTIME, bundle, hook="order-sign", drafts=[draft("2026-02-10", atc=TEC, text="Tecvayli")],
                    at=date(2026, 1, 20)).cards
    assert "measure IgG at baseline" in card["summary"] and "Keep substitution" not in card["detail"], card


def test_ig_begun_in_an_earlier_window_whose_stop_has_passed():
    # CAR-T 2025-03-01 (stop date 2025-09-01, passed), IVIG since 2025-05-01 begun on IgG alone and still running:
    # patient-view asks for that stop today, and once teclistamab begins it reviews the IVIG by the general criteria
    # at the new window's end. The order card says both, in that order (§4.2).
    bundle = chart(car_t("2025-03-01"), igg("2025-04-20", 3.0), order("J06BA02", "2025-05-01", text="Privigen"))
    [card] = replay(RUNTIME, bundle, hook="order-sign", drafts=[draft("2026-01-25", atc=TEC, text="Tecvayli")],
                    at=date(2026, 1, 20)).cards
    assert card["summary"].endswith("Ig since 2025-05-01 is past its stop date 2025-09-01; pause it before this course"), \
        card["summary"]
    assert "Pause substitution now" in card["detail"], card["detail"]
    assert "if Ig still runs on 2026-01-25, review a stop on 2026-07-25" in card["detail"], card["detail"]
    [today] = replay(RUNTIME, bundle, at=date(2026, 1, 20)).cards
    assert today["source"]["topic"]["code"] == "stop-overdue" and "2025-09-01" in today["summary"], today["summary"]


def test_ig_begun_in_an_earlier_window_for_infections_keeps_the_general_review():
    # the same IVIG begun after a sepsis in that window: the general stop criteria applied to it from the start, no
    # special stop is due, and the order card gives the review at the new window's end
    sepsis = infection("2025-04-10", "DA419", text="Sepsis")
    bundle = chart(car_t("2025-03-01"), sepsis, igg("2025-04-20", 3.0), order("J06BA02", "2025-05-01", text="Privigen"))
    [card] = replay(RUNTIME, bundle, hook="order-sign", drafts=[draft("2026-01-25", atc=TEC, text="Tecvayli")],
                    at=date(2026, 1, 20)).cards
    assert card["summary"].endswith("Ig since 2025-05-01 follows the general stop criteria; stop review 2026-07-25"), \
        card["summary"]


def test_a_patient_not_on_ig_still_gets_the_baseline():
    bundle = chart(igg("2025-10-01", 7.0), dx=MYELOMA)
    [card] = replay(RUNTIME, bundle, hook="order-sign", drafts=[draft("2026-01-25", atc=TEC, text="Tecvayli")],
                    at=date(2026, 1, 20)).cards
    assert card["summary"].startswith("Teclistamab from 2026-01-25: measure IgG at baseline"), card["summary"]
