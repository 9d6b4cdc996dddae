"""An immunoglobulin order whose length cannot be read ("3 etmål", a word no list has) is taken as running with no
end, and the card says so: before, the course was silently open-ended, so a clinician read "stop overdue: pause
substitution" about an order that may have ended by its own length long before (no silent data loss)."""

from __future__ import annotations

from typing import Any

import pytest

from .test_acceptance_window import chart, code, igg, ivig, one_card


def bounded(length: float, unit: str) -> dict[str, Any]:
    order = ivig("ivig-1", "2025-12-01")
    # bounds[x] is one choice: a length from the start the order was written on (authoredOn)
    order["dosageInstruction"][0]["timing"]["repeat"] = {"boundsDuration": {"value": length, "unit": unit}}
    return order


@pytest.mark.parametrize(("lang", "says"), [
    ("en", "the immunoglobulin order of 2025-12-01 has a length, “3 etmål”, that could not be read"),
    ("da", "immunglobulinordinationen fra 2025-12-01 har en længde, “3 etmål”, der ikke kunne læses"),
])
def test_an_ig_order_whose_length_cannot_be_read_is_named_on_the_card(lang: str, says: str) -> None:
    card = one_card(chart(igg("igg-1", "2025-11-25", 3.0), bounded(3, "etmål")), "2026-05-25", lang)
    assert code(card) == "stop-overdue"  # taken as running, as before: never a guessed end
    assert says in str(card["detail"]).lower(), card["detail"]


def test_an_ig_order_whose_length_is_read_gets_no_such_note() -> None:
    card = one_card(chart(igg("igg-1", "2025-11-25", 3.0), bounded(3, "måneder")), "2026-01-20")
    assert "could not be read" not in str(card["detail"]), card["detail"]
