"""The latest IgG set aside because it lies in the washout after a course had ended is not said to be "on substitution".

A patient given IVIG doses to 2025-05-24 (the course of doses reaches 35 days past the last one, to 2025-06-28) had an
IgG of 4.8 g/L on 2025-07-08, inside the 28-day washout; read on 2025-08-01 the card set it aside with "The latest IgG
(4.8 g/L, 2025-07-08) was taken on substitution", to a clinician who knows there was no Ig for six weeks before it.
The note now says it was taken in the washout; an IgG taken while the course ran still reads "on substitution".
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import car_t, chart, given, igg

RUNTIME = load_runtime(Settings())
AT = date(2025, 8, 1)
DOSES = given("J06BA02", "2025-03-01", "2025-03-29", "2025-04-26", "2025-05-24")


def _note(latest: str, lang: str) -> str:
    cards = replay(RUNTIME, chart(car_t("2025-01-15"), igg("2025-02-20", 3.1), DOSES, igg(latest, 4.8)), at=AT,
                   lang=lang).cards
    [card] = cards
    assert card["source"]["topic"]["code"] == "no-start-without-infections", card["summary"]
    [note] = [ln for ln in card["detail"].splitlines() if "4.8 g/L" in ln or "4,8 g/L" in ln]
    return note


@pytest.mark.parametrize("lang, expected", [
    ("en", "*Note:* The latest IgG (4.8 g/L, 2025-07-08) was taken in the Ig washout and not used (§3.4)."),
    ("da", "*Bemærk:* Seneste IgG (4,8 g/L, 2025-07-08) er taget i Ig-udvaskningen og ikke brugt (§3.4)."),
])
def test_an_igg_taken_after_the_course_ended_is_said_to_be_in_its_washout(lang: str, expected: str) -> None:
    assert _note("2025-07-08", lang) == expected


def test_an_igg_taken_while_the_course_ran_is_said_to_be_on_substitution() -> None:
    assert _note("2025-06-20", "en") == \
        "*Note:* The latest IgG (4.8 g/L, 2025-06-20) was taken on substitution and not used (§3.4)."
