"""The day a patient reaches the adult age, as the timeline marks it and the cards count it.

One born on 29 February is 17 on 28 February of a common year by the age every card gives (`years_between`), and
18 on 1 March; the timeline marked 28 February "adult age reached", the day a CAR-T that day still got the child card.
"""

from __future__ import annotations

from datetime import date

import pytest

from cql_like_rules.library import aged_on, years_between


@pytest.mark.parametrize("born, years, day", [
    (date(2008, 2, 29), 18, date(2026, 3, 1)),  # a common year: 1 March
    (date(2008, 2, 29), 16, date(2024, 2, 29)),  # a leap year: the birthday itself
    (date(2008, 2, 28), 18, date(2026, 2, 28)),
    (date(2008, 12, 31), 18, date(2026, 12, 31))])
def test_the_marked_day_is_the_first_day_of_that_age(born: date, years: int, day: date) -> None:
    assert aged_on(born, years) == day
    assert years_between(born, day) == years
    assert years_between(born, date.fromordinal(day.toordinal() - 1)) == years - 1


def test_the_timeline_marks_a_29_february_birthday_on_1_march() -> None:
    from cql_like_rules import Parameters
    from cql_like_rules.facts import CarTInfusion, Facts, Patient
    from cql_like_rules.timeline import candidates

    facts = Facts(patient=Patient("Patient/x", date(2008, 2, 29)), car_t=(CarTInfusion(date(2026, 2, 28), "Procedure/p"),))
    found = {(c.date, c.kind) for c in candidates(facts, Parameters(), date(2026, 1, 1), date(2026, 12, 31))}
    assert (date(2026, 3, 1), "adult-birthday") in found
    assert (date(2026, 2, 28), "adult-birthday") not in found
