"""The suggested end date leaves no part of the order saying otherwise.

IVIG drafted in the window "0,4 g/kg i.v. hver 4. uge i 6 mdr", or as 6 doses every 4 weeks: the card's suggestion
"End this order on 2026-05-18" set the period's end and left the dose count (6 doses run to 2026-07-20) and the
dosage text ("for 6 months"), which nurses and the pharmacy read, as they were. A count that runs past the end is now
taken out (one that ends by it stays), and the text gets the end after it in the card's language; the suggested order
signed as it stands gets the same card with nothing more to suggest.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import car_t, chart, draft, igg

RUNTIME = load_runtime(Settings())
AT = date(2026, 3, 2)  # T0 2025-11-18: stop date 2026-05-18


def _draft(text: str | None, count: int | None) -> dict[str, Any]:
    out = draft("2026-03-02")
    dosage = out["dosageInstruction"][0]
    repeat = dosage.setdefault("timing", {}).setdefault("repeat", {})
    repeat.update({"frequency": 1, "period": 4, "periodUnit": "wk"})
    if count is not None:
        repeat["count"] = count
    if text is not None:
        dosage["text"] = text
    return out


def _sign(order: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    bundle = chart(car_t("2025-11-18"), igg("2026-02-20", 3.2))
    [card] = replay(RUNTIME, bundle, hook="order-sign", drafts=[order], at=AT, lang=lang).cards
    return card


def _suggested(order: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    card = _sign(order, lang)
    assert card["source"]["topic"]["code"] == "order-meets-criteria", card["summary"]
    [suggestion] = card["suggestions"]
    [action] = suggestion["actions"]
    return dict(action["resource"])


@pytest.mark.parametrize("lang, text", [("en", "0,4 g/kg i.v. hver 4. uge i 6 mdr (until 2026-05-18)"),
                                        ("da", "0,4 g/kg i.v. hver 4. uge i 6 mdr (til og med 2026-05-18)")])
def test_the_dosage_text_is_given_the_end(lang: str, text: str) -> None:
    dosage = _suggested(_draft("0,4 g/kg i.v. hver 4. uge i 6 mdr", None), lang)["dosageInstruction"][0]
    assert dosage["text"] == text
    assert dosage["timing"]["repeat"]["boundsPeriod"]["end"] == "2026-05-18"


def test_a_dose_count_that_runs_past_the_end_is_taken_out() -> None:
    repeat = _suggested(_draft(None, 6))["dosageInstruction"][0]["timing"]["repeat"]
    assert "count" not in repeat  # 6 doses every 4 weeks from 2026-03-02: the last on 2026-07-20
    assert repeat["boundsPeriod"] == {"start": "2026-03-02", "end": "2026-05-18"}
    assert (repeat["frequency"], repeat["period"], repeat["periodUnit"]) == (1, 4, "wk")


def test_a_dose_count_that_ends_by_the_end_stays() -> None:
    # 3 doses every 4 weeks end 2026-04-27: the order ends by the stop date, nothing to suggest
    assert "suggestions" not in _sign(_draft(None, 3))


def test_the_suggested_order_signed_as_it_stands_needs_nothing_more() -> None:
    ended = _suggested(_draft("0,4 g/kg i.v. hver 4. uge i 6 mdr", 6))
    card = _sign(ended)
    assert card["source"]["topic"]["code"] == "order-meets-criteria"
    assert "suggestions" not in card
    assert ended["dosageInstruction"][0]["text"].count("2026-05-18") == 1


def test_a_counted_loading_line_that_ends_by_the_stop_date_is_left_as_it_is() -> None:
    # 5 daily loading doses, then every 4 weeks with no end: only the maintenance line is cut
    order = draft("2026-03-02")
    order["dosageInstruction"] = [
        {"text": "0,4 g/kg i.v. dagligt i 5 dage",
         "timing": {"repeat": {"boundsPeriod": {"start": "2026-03-02"}, "count": 5, "frequency": 1, "period": 1,
                               "periodUnit": "d"}}},
        {"text": "0,4 g/kg i.v. hver 4. uge",
         "timing": {"repeat": {"boundsPeriod": {"start": "2026-03-30"}, "frequency": 1, "period": 4,
                               "periodUnit": "wk"}}}]
    loading, maintenance = _suggested(order, "da")["dosageInstruction"]
    assert loading == order["dosageInstruction"][0]
    assert maintenance["text"] == "0,4 g/kg i.v. hver 4. uge (til og med 2026-05-18)"
    assert maintenance["timing"]["repeat"]["boundsPeriod"] == {"start": "2026-03-30", "end": "2026-05-18"}


def test_a_dose_count_with_no_spacing_stays() -> None:
    # "6 doses" with no interval cannot be placed: FHIR ends the line at whichever comes first, and the count may be
    # the pharmacy's only dose limit
    order = _draft(None, 6)
    del order["dosageInstruction"][0]["timing"]["repeat"]["period"]
    repeat = _suggested(order)["dosageInstruction"][0]["timing"]["repeat"]
    assert repeat["count"] == 6 and repeat["boundsPeriod"]["end"] == "2026-05-18"
