"""A draft immunoglobulin order whose planned end names no day ("2026-04", valid FHIR) is read as ending on the
month's last day, and its card says so: the card names a day the clinician did not write ("attempt the stop when
the order ends (2026-04-30)"), so the date as written must be beside it (clinical-rules §7: what the service
assumed of the data is named). The note on the chart's orders was made, but a draft's was lost."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .order_charts import IVIG, chart, draft

RUNTIME = load_runtime(Settings())


def card(end: str, lang: str) -> dict[str, Any]:
    resources = chart("pe1", iggs=(("2026-01-13", 3.2),))
    bundle = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r} for r in resources]}
    [found] = replay(RUNTIME, bundle, hook="order-sign", drafts=[draft("pe1", "ivig", IVIG, "2026-01-20", end=end)],
                     at=date(2026, 1, 20), lang=lang).cards
    return found  # type: ignore[no-any-return]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_draft_end_with_no_day_is_named_on_its_card(lang):
    found = card("2026-04", lang)
    assert found["source"]["topic"]["code"] == "order-meets-criteria"
    assert "2026-04-30" in found["summary"]  # the last day it can mean: before the stop date, no end suggested
    assert "“2026-04”" in found["detail"]


def test_a_draft_end_with_a_day_has_no_such_note():
    assert "“2026-04" not in card("2026-04-10", "en")["detail"]
