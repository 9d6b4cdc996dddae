"""A positive blood culture with no infection diagnosis, beside a card against a start for want of severe or recurrent
infections: the card says it could change the decision.

CAR-T 2025-03-03, IgG 3.1 g/L on 2026-01-10 (after the window), Streptococcus pneumoniae grown in blood on 2026-01-05
and no Condition recorded. A bacteraemia is a verified, severe bacterial infection (clinical rules §5), but a culture
alone is no diagnosis, so it is not counted; the card said "no severe/recurrent verified bacterial infection: Ig start
not recommended" with the culture only among its data notes. It now carries a caveat that ranks with those that could
change the decision (an infection known only by its name, one not confirmed). A culture of a site that is not sterile
(urine) or a likely contaminant is no infection in itself: no caveat.
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import car_t, chart, culture, igg, infection

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)
CAVEAT = {"en": "A positive blood culture (2026-01-05) with no infection diagnosis within 7 days is not counted; "
                "recorded as the bacterial infection it shows, it could change this decision.",
          "da": "En positiv bloddyrkning (2026-01-05) uden infektionsdiagnose inden for 7 dage tælles ikke; registreret "
                "som den bakterielle infektion, den viser, kan den ændre vurderingen."}


def _card(*resources: dict, lang: str = "en") -> dict:
    [card] = replay(RUNTIME, chart(car_t("2025-03-03"), igg("2026-01-10", 3.1), *resources), at=AT, lang=lang).cards
    return card


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_blood_culture_with_no_diagnosis_could_change_the_decision(lang: str) -> None:
    card = _card(culture("2026-01-05", "Streptococcus pneumoniae"), lang=lang)
    assert card["source"]["topic"]["code"] == "no-start-without-infections"
    assert CAVEAT[lang] in card["detail"], card["detail"]
    # the caveat is the culture's note on this card: not said twice
    assert "without a bacterial infection diagnosis was not counted" not in card["detail"]
    assert "uden diagnose af bakteriel infektion medregnes ikke" not in card["detail"]
    notes = card["extension"]["dk.igsub-cds.data-notes"]
    assert [n["kind"] for n in notes] == ["culture-without-diagnosis"]  # still named as data, machine-readable


def test_blood_cultures_of_two_days_are_counted_in_one_caveat_and_the_sets_of_one_draw_as_one() -> None:
    card = _card(culture("2025-11-02", "Staphylococcus aureus"), culture("2026-01-05", "Streptococcus pneumoniae"),
                 culture("2026-01-05", "Streptococcus pneumoniae"))
    assert "A positive blood culture (2026-01-05) and those of 1 more days, with no infection diagnosis within 7 days" \
        in card["detail"], card["detail"]
    card = _card(culture("2026-01-05", "Streptococcus pneumoniae"), culture("2026-01-05", "Streptococcus pneumoniae"))
    assert CAVEAT["en"] in card["detail"], card["detail"]


@pytest.mark.parametrize("why, resources", [
    ("a urine culture: a bacteriuria is no infection in itself",
     (culture("2026-01-05", "Escherichia coli", loinc="630-4"),)),
    ("a likely contaminant in one blood culture set", (culture("2026-01-05", "Staphylococcus epidermidis"),)),
    # r48: the rules never count a mycobacterial infection (tuberculosis, NTM): recorded, it could change nothing
    ("a mycobacterium in blood", (culture("2026-01-05", "Mycobacterium tuberculosis"),)),
    # r48: a diagnosis on the culture's day, recorded but not confirmed, or known only by its name: that one is the
    # record to fix (its own caveat says so), the culture has one
    ("a provisional sepsis the same day", (culture("2026-01-05", "Streptococcus pneumoniae"),
                                           infection("2026-01-05", "DA419", confirmed=False))),
    ("an infection known only by its name the same day", (culture("2026-01-05", "Streptococcus pneumoniae"),
                                                          infection("2026-01-05", "LOK123", system="urn:oid:1.2.3",
                                                                    text="Sepsis med pneumokokker"))),
])
def test_a_culture_that_shows_no_infection_in_itself_is_only_a_data_note(why: str, resources: tuple[dict, ...]) -> None:
    card = _card(*resources)
    assert card["source"]["topic"]["code"] == "no-start-without-infections", why
    assert "with no infection diagnosis" not in card["detail"], (why, card["detail"])


def test_a_blood_culture_that_confirms_a_recorded_pneumonia_counts_and_needs_no_caveat() -> None:
    card = _card(culture("2026-01-05", "Streptococcus pneumoniae"), infection("2026-01-04", "DJ189"),
                 infection("2025-10-01", "DJ189"), culture("2025-10-02", "Haemophilus influenzae"))
    assert card["source"]["topic"]["code"] == "start-meets-general-criteria", card["summary"]
    assert "with no infection diagnosis" not in card["detail"]


def test_a_stop_card_weighs_a_culture_before_the_look_back_of_today() -> None:
    """r48: a stop card's period begins 3 months before T0; a blood culture then, more than 12 months before today,
    left the card in silence (the cultures a card names were those of today's look-back)."""
    from .reading_charts import order
    bundle = chart(car_t("2025-11-04"), igg("2025-11-25", 2.5), culture("2025-09-10", "Streptococcus pneumoniae"),
                   order("J06BA02", "2025-12-01"))
    [card] = replay(RUNTIME, bundle, at=date(2026, 4, 25)).cards
    assert card["source"]["topic"]["code"] == "stop-due-soon", card["summary"]
    assert "A positive blood culture (2025-09-10) with no infection diagnosis within 7 days" in card["detail"], card["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("days_before", [10, 66])
def test_a_diagnosis_farther_away_than_the_culture_window_leaves_the_culture_one_that_could_decide(
        days_before: int, lang: str) -> None:
    """a49: an E. coli bacteraemia 10 or 66 days after an unspecified pneumonia (DJ189) went to "+1 more data note"
    beside "no severe/recurrent verified bacterial infection"; without the pneumonia it was the card's caveat. The
    pneumonia is not counted (no culture within 7 days of it), and the culture's note names it and the days between."""
    onset = date.fromordinal(date(2026, 1, 5).toordinal() - days_before).isoformat()
    card = _card(culture("2026-01-05", "Escherichia coli"), infection(onset, "DJ189"), lang=lang)
    assert card["source"]["topic"]["code"] == "no-start-without-infections"
    assert CAVEAT[lang] in card["detail"], card["detail"]
    notes = {n["kind"]: n for n in card["extension"]["dk.igsub-cds.data-notes"]}
    assert notes["culture-diagnosis-apart"]["display"] == onset  # the diagnosis it could have confirmed, dated
