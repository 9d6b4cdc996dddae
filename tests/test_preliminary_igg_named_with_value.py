"""A preliminary IgG is named with its value, so the clinician knows what is coming.

Final IgG 5.0 g/L, then a preliminary 2.5 g/L two weeks later, in the window: the card decided on 5.0 (as it must: a
result not final is not used) and said "IgG on 2026-02-25 is not final yet (preliminary): not used". 2.5 would meet
the start criterion once final; the note now gives the value as sent and asks for the final result.
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import car_t, chart, igg

RUNTIME = load_runtime(Settings())


def _detail(*results: dict, lang: str = "en") -> str:
    bundle = chart(car_t("2026-01-05"), igg("2026-02-10", 5.0), *results)
    [card] = replay(RUNTIME, bundle, at=date(2026, 3, 1), lang=lang).cards
    assert card["source"]["topic"]["code"] == "general-criteria-igg-under-6", card["summary"]  # decided on 5.0
    return str(card["detail"])


@pytest.mark.parametrize("lang, said", [
    ("en", "IgG 2.5 g/L on 2026-02-25 is not final yet (preliminary): not used; check the final result."),
    ("da", "IgG 2,5 g/L den 2026-02-25 er endnu ikke endelig (foreløbig): ikke brugt; tjek det endelige svar."),
])
def test_a_preliminary_igg_is_named_with_its_value(lang: str, said: str) -> None:
    assert said in _detail(igg("2026-02-25", 2.5, status="preliminary"), lang=lang)


def test_one_with_no_number_is_named_without_one() -> None:
    detail = _detail(igg("2026-02-25", None, status="preliminary", text="under 2"))
    assert "IgG on 2026-02-25 is not final yet (preliminary): not used" in detail
