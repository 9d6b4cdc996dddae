"""An infection coded without its organism, beside the ICD-10 code of the agent that caused it, is that organism's.

Danish hospitals code an E. coli urinary tract infection as two diagnoses: DN390 "Urinvejsinfektion UNS" and DB962
"Escherichia coli som årsag til sygdom" (ICD-10 B95-B97 name the agent of a disease coded in another chapter; the
service reads the bacteria, B95-B96). Two such episodes three months apart got "no severe/recurrent verified bacterial
infection: Ig start not recommended", with the two DN390 named as not counted and the two DB962 named nowhere; the
same infections backed by urine cultures met the general criteria (§4.1, §4.3). Clinical rules §7: what the rules saw
and did not use is named.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import car_t, chart, culture, igg, infection

RUNTIME = load_runtime(Settings())
AT = "2026-01-15"
UTI = "DN390"
E_COLI = "DB962"


def _card(bundle: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    [card] = replay(RUNTIME, bundle, lang=lang, at=date.fromisoformat(AT)).cards
    return card


def _with(*extra: dict[str, Any]) -> dict[str, Any]:
    return chart(car_t("2025-04-01"), igg("2026-01-05", 3.0), *extra)


def _encounter(condition: dict[str, Any], stay: str) -> dict[str, Any]:
    return {**condition, "encounter": {"reference": f"Encounter/{stay}"}}


def test_two_urinary_infections_each_coded_with_e_coli_meet_the_general_criteria() -> None:
    card = _card(_with(infection("2025-08-01", UTI), infection("2025-08-01", E_COLI),
                       infection("2025-11-01", UTI), infection("2025-11-01", E_COLI)))
    assert card["source"]["topic"]["code"] == "start-meets-general-criteria", card["summary"]
    assert "Recurrent bacterial infections 2025-08-01, 2025-11-01: urinary tract infection (2 episodes)" \
        in card["detail"], card["detail"]


def test_the_agent_code_on_the_infections_own_condition_counts_the_same() -> None:
    both = [{**infection(day, UTI), "code": {"coding": [*infection(day, UTI)["code"]["coding"],
                                                        *infection(day, E_COLI)["code"]["coding"]]}}
            for day in ("2025-08-01", "2025-11-01")]
    assert _card(_with(*both))["source"]["topic"]["code"] == "start-meets-general-criteria"


def test_an_agent_code_pairs_by_the_stay_before_the_day() -> None:
    """A pneumonia and a urinary tract infection begun the same day in two stays: E. coli coded in the UTI's stay
    (and recorded a day later) makes that one bacterial, not the pneumonia."""
    bundle = _with(_encounter(infection("2025-08-01", UTI), "e1"), _encounter(infection("2025-08-02", E_COLI), "e1"),
                   _encounter(infection("2025-08-01", "DJ189"), "e2"),
                   infection("2025-11-01", UTI), infection("2025-11-01", E_COLI))
    card = _card(bundle)
    assert card["source"]["topic"]["code"] == "start-meets-general-criteria", card["summary"]
    assert "urinary tract infection (2 episodes)" in card["detail"], card["detail"]


@pytest.mark.parametrize("lang, note", [
    ("en", "organism code “Escherichia coli som årsag til sygdom” (2025-09-15) names the bacterium behind an infection, "
           "but could not be placed with one infection coded without its organism on that day or stay: not counted"),
    ("da", "mikroorganismekode “Escherichia coli som årsag til sygdom” (2025-09-15) angiver bakterien bag en "
           "infektion, men kunne ikke knyttes til én infektion uden angivet mikroorganisme samme dag eller "
           "indlæggelse: medregnes ikke")])
def test_an_agent_code_with_no_infection_of_its_day_verifies_nothing_and_is_named(lang: str, note: str) -> None:
    bundle = _with(infection("2025-08-01", UTI), infection("2025-09-15", E_COLI, text="Escherichia coli som årsag "
                                                                                      "til sygdom"),
                   infection("2025-11-01", UTI))
    card = _card(bundle, lang)
    assert card["source"]["topic"]["code"] == "no-start-without-infections", card["summary"]
    assert note in _notes_text(bundle, lang), _notes_text(bundle, lang)


def test_two_infections_of_one_day_leave_an_agent_code_unplaced() -> None:
    """A pneumonia and a urinary tract infection the same day, no stay named: E. coli could be either's."""
    bundle = _with(infection("2025-08-01", UTI), infection("2025-08-01", "DJ189"), infection("2025-08-01", E_COLI),
                   infection("2025-11-01", UTI), infection("2025-11-01", E_COLI))
    assert _card(bundle)["source"]["topic"]["code"] == "no-start-without-infections"
    assert "organism code DB962 (2025-08-01) names the bacterium behind an infection, but could not be placed" \
        in _notes_text(bundle, "en")
    [unplaced] = [n for n in replay(RUNTIME, bundle, at=date.fromisoformat(AT)).notes if n.kind == "agent-code-unpaired"]
    assert "two or more infections coded without their organism" in unplaced.message  # the explanation page says why


def test_an_agent_code_not_confirmed_verifies_nothing() -> None:
    """§4.1 asks for verified bacterial infections: a provisional E. coli code is named as not confirmed, as any
    diagnosis is, and the urinary tract infections beside it stay unverified."""
    provisional = [infection(day, E_COLI, confirmed=False) for day in ("2025-08-01", "2025-11-01")]
    bundle = _with(infection("2025-08-01", UTI), infection("2025-11-01", UTI), *provisional)
    assert _card(bundle)["source"]["topic"]["code"] == "no-start-without-infections"
    assert sum(n.kind == "infection-unconfirmed" for n in replay(RUNTIME, bundle, at=date.fromisoformat(AT)).notes) == 2


def test_the_order_of_the_records_decides_nothing() -> None:
    """Two bacteria coded on one day's urinary tract infection (E. coli and enterococci, B95.2), in either order."""
    day = [infection("2025-08-01", UTI), infection("2025-08-01", E_COLI), infection("2025-08-01", "DB952")]
    later = [infection("2025-11-01", UTI), infection("2025-11-01", E_COLI)]
    one, other = _card(_with(*day, *later)), _card(_with(*reversed(day), *later))
    assert one["source"]["topic"]["code"] == other["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert one["summary"] == other["summary"]


def test_an_agent_code_dated_by_its_month_or_in_another_stay_is_not_placed_by_the_day() -> None:
    """"2025-08" names no day; an E. coli of another stay begun the same day is that stay's."""
    by_month = {**infection("2025-08-01", E_COLI), "onsetDateTime": "2025-08"}
    other_stay = _encounter(infection("2025-08-01", E_COLI), "e9")
    for agent in (by_month, other_stay):
        bundle = _with(_encounter(infection("2025-08-01", UTI), "e1"), agent,
                       infection("2025-11-01", UTI), infection("2025-11-01", E_COLI))
        assert _card(bundle)["source"]["topic"]["code"] == "no-start-without-infections", agent


def test_a_viral_agent_code_does_not_undo_a_positive_culture() -> None:
    """J18.9 with a Staphylococcus aureus blood culture the next day, and B97.0 (adenovirus as the cause) coded the
    same day: the culture verifies the pneumonia (§7), and a virus named beside it does not undo that (a bacterial
    infection after a viral one is common)."""
    episodes = [[infection(day, "DJ189"), infection(day, "DB970"), culture(after, "Staphylococcus aureus påvist")]
                for day, after in (("2025-08-01", "2025-08-02"), ("2025-11-01", "2025-11-02"))]
    card = _card(_with(*episodes[0], *episodes[1]))
    assert card["source"]["topic"]["code"] == "start-meets-general-criteria", card["summary"]


def _notes_text(bundle: dict[str, Any], lang: str) -> str:
    """Every data note as a clinician reads it, on the card or on the explanation page."""
    from cds_service.cards.notes import one_line

    found = replay(RUNTIME, bundle, lang=lang, at=date.fromisoformat(AT))
    return "\n".join(one_line(n.kind, lang, n.source, n.display, n.day.isoformat() if n.day else "?", n.threshold,
                              False, n.record_words) for n in found.notes)
