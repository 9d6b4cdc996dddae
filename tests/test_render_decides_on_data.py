"""The card's fitting decides on the data the lines come from, not by searching the text it rendered.

Whether the "Not met" line already gives the IgG's age (the IgG's line then does not say it again), and whether a
card cut to its first facts keeps its stop date, were read from the rendered lines ("… 40 days old" in the first
line; the date anywhere in the text). They are decided from the criteria not met and the lines that give the stop
date; the sets naming the criteria are held to the criteria's own words here, in both languages.
"""

from __future__ import annotations

from cds_service.cards.render import AGE_GIVING_CRITERIA, STOP_DATE_CRITERIA
from cql_like_rules.catalogue import FAILING


def _naming(placeholder: str) -> set[str]:
    found = {k for k, t in FAILING.items() if placeholder in t.en}
    assert found == {k for k, t in FAILING.items() if placeholder in t.da}, placeholder
    return found


def test_the_criteria_that_give_the_iggs_age_are_those_whose_words_do() -> None:
    assert AGE_GIVING_CRITERIA == _naming("{igg_age}")


def test_the_criteria_that_give_the_stop_date_are_those_whose_words_do() -> None:
    assert STOP_DATE_CRITERIA == _naming("{stop_date}")
