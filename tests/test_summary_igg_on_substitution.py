"""A summary names an IgG taken on substitution, or in its washout, for what it is, or not at all.

- An order failing only for its date led with the IgG taken on IVIG: "Ig order does not meet the criteria: IgG 7.2
  g/L (2026-01-28); the stop date 2026-03-01 has passed". In a ten-second read 7.2 g/L looks like recovery; it shows
  the infused immunoglobulin (§3.4), and the card's note said so only in the detail. The summary now gives the
  criterion not met alone; the detail still gives the IgG and its note.
- A card against a start whose low IgG was taken after every course had ended said "taken on substitution" in its
  summary, while its detail said "on Ig or in its washout". It now says "taken in the Ig washout".
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES
from .reading_charts import car_t, chart, given, igg

RUNTIME = load_runtime(Settings())


@pytest.mark.parametrize("lang, summary, igg_line", [
    ("en", "Ig order does not meet the criteria: the stop date 2026-04-14 has passed (6 months after CAR-T 2025-10-14)",
     "- IgG 6.8 g/L on "),
    ("da", "Ig-ordinationen opfylder ikke kriterierne: seponeringsdato 2026-04-14 passeret (6 måneder efter "
     "CAR-T 2025-10-14)", "- IgG 6,8 g/L den "),
])
def test_an_order_failing_for_its_date_does_not_lead_with_an_igg_taken_on_substitution(lang: str, summary: str,
                                                                                       igg_line: str) -> None:
    bundle = json.loads((FIXTURES / "cart-ig-active-stop-due-14-days.json").read_text())
    draft = json.loads((FIXTURES / "drafts" / "ivig-after-stop-date-pt-dk-0001.draft.json").read_text())
    patient = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    draft["subject"]["reference"] = f"Patient/{patient}"
    [card] = replay(RUNTIME, bundle, lang=lang, hook="order-select", drafts=[draft], at=date(2026, 4, 15)).cards
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria"
    assert card["summary"] == summary
    assert any(line.startswith(igg_line) for line in card["detail"].splitlines())  # the detail still gives it
    assert "§3.4" in card["detail"]


DOSES = given("J06BA02", "2025-03-01", "2025-03-29", "2025-04-26", "2025-05-24")  # the course reaches 2025-06-28


def _summary(taken: str, lang: str) -> str:
    cards = replay(RUNTIME, chart(car_t("2025-01-15"), igg("2025-02-20", 3.1), DOSES, igg(taken, 3.5)),
                   at=date(2025, 8, 1), lang=lang).cards
    [card] = cards
    assert card["source"]["topic"]["code"] == "no-start-without-infections"
    return str(card["summary"])


@pytest.mark.parametrize("taken, lang, expected", [
    ("2025-07-08", "en", "IgG 3.5 g/L (2025-07-08) taken in the Ig washout; no severe/recurrent verified bacterial "
     "infection: Ig start not recommended"),
    ("2025-07-08", "da", "IgG 3,5 g/L (2025-07-08) taget i Ig-udvaskningen; ingen svær/tilbagevendende verificeret "
     "bakteriel infektion: Ig-start frarådes"),
    ("2025-06-20", "en", "IgG 3.5 g/L (2025-06-20) taken on substitution; no severe/recurrent verified bacterial "
     "infection: Ig start not recommended"),
    ("2025-06-20", "da", "IgG 3,5 g/L (2025-06-20) taget under Ig; ingen svær/tilbagevendende verificeret bakteriel "
     "infektion: Ig-start frarådes"),
])
def test_a_low_igg_after_the_course_ended_is_said_to_be_taken_in_its_washout(taken: str, lang: str,
                                                                             expected: str) -> None:
    assert _summary(taken, lang) == expected


@pytest.mark.parametrize("lang, said", [("en", "; last off Ig 3.1 g/L 2025-02-20: measure IgG"),
                                        ("da", "; seneste uden Ig 3,1 g/L 2025-02-20: mål IgG")])
def test_the_last_igg_off_substitution_is_not_called_the_last_when_a_later_one_was_set_aside(lang: str,
                                                                                            said: str) -> None:
    # a sepsis, the IgG off Ig too old, a later IgG of 7.5 g/L taken on IVIG and set aside: "last 3.1 g/L" denied it
    from .reading_charts import infection
    bundle = chart(car_t("2025-01-15"), igg("2025-02-20", 3.1), DOSES, igg("2025-06-20", 7.5),
                   infection("2025-09-20", "DA419", severe=True))
    [card] = replay(RUNTIME, bundle, at=date(2025, 10, 1), lang=lang).cards
    assert card["source"]["topic"]["code"] == "measure-igg"
    assert said in card["summary"]


@pytest.mark.parametrize("at, lang, said", [
    (date(2025, 7, 8), "en", "Measure IgG off substitution from 2025-07-27 to see whether it has recovered (§3.4)."),
    (date(2025, 7, 8), "da", "Mål IgG uden substitution fra 2025-07-27 for at se, om den er restitueret (§3.4)."),
    (date(2025, 8, 1), "en", "Measure IgG off substitution to see whether it has recovered (§3.4)."),
])
def test_the_igg_off_substitution_to_measure_is_dated_while_the_washout_runs(at: date, lang: str, said: str) -> None:
    # the course of doses reaches 2025-06-28; an IgG counts 28 days of washout later: one drawn before would be set
    # aside again, as every stop card promised an IgG off substitution
    [card] = replay(RUNTIME, chart(car_t("2025-01-15"), igg("2025-02-20", 3.1), DOSES), at=at, lang=lang).cards
    assert card["source"]["topic"]["code"] == "no-start-without-infections"
    [todo] = [line for line in card["detail"].splitlines() if line.startswith(("**To do:**", "**Gør:**"))]
    assert todo.endswith(said)
