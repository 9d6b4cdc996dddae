"""Substitution paused shortly before T0, named with its day.

"Because substitution was paused shortly before CAR-T, the general stop criteria apply" did not say which course,
nor when it ended: a course stopped 73 days before the infusion at its own planned stop read the same as one paused
for it, and the clinician could not check the card in ten seconds. The card now gives the course's last day (an
order's end, or the last dose of recorded doses) and how long before T0 it was.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
# IVIG ordered 2025-04-01 to 2025-10-30 (completed), CAR-T 2025-11-18, IgG 3.2 g/L on 2026-01-10
BUNDLE = json.loads((FIXTURES / "ivig-paused-for-infusion-start-general-stop-criteria.json").read_text())
AT = date(2026, 1, 20)


def _detail(bundle: dict[str, Any], lang: str = "en") -> str:
    [card] = replay(RUNTIME, bundle, lang=lang, at=AT).cards
    assert card["source"]["topic"]["code"] == "start-substitution"
    return str(card["detail"])


def _order() -> dict[str, Any]:
    return next(e["resource"] for e in BUNDLE["entry"] if e["resource"]["id"] == "mr-ivig-0047")


def _as_doses(*days: str) -> dict[str, Any]:
    """The bundle with its IVIG order replaced by completed doses on these days."""
    bundle = copy.deepcopy(BUNDLE)
    order = _order()
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["id"] != order["id"]]
    for i, day in enumerate(days):
        bundle["entry"].append({"resource": {
            "resourceType": "MedicationAdministration", "id": f"ma-ivig-{i}", "status": "completed",
            "medicationCodeableConcept": copy.deepcopy(order["medicationCodeableConcept"]),
            "subject": copy.deepcopy(order["subject"]), "effectiveDateTime": f"{day}T10:00:00+01:00"}})
    return bundle


@pytest.mark.parametrize("lang, words", [
    ("en", "because substitution ended 2025-10-30, 19 days before CAR-T, the general stop criteria apply"),
    ("da", "da substitution sluttede 2025-10-30, 19 dage før CAR-T, gælder generelle seponeringskriterier")])
def test_an_order_ended_before_the_infusion_is_named_with_its_end(lang: str, words: str) -> None:
    assert words in _detail(copy.deepcopy(BUNDLE), lang)


def test_a_course_of_doses_is_named_by_its_last_dose() -> None:
    detail = _detail(_as_doses("2025-08-15", "2025-09-12", "2025-10-10"))
    assert "because the last dose was 2025-10-10, 39 days before CAR-T, the general stop criteria apply" in detail


def test_an_order_on_hold_names_no_day() -> None:
    bundle = copy.deepcopy(BUNDLE)
    order = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "mr-ivig-0047")
    order["status"] = "on-hold"
    del order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"]
    assert "substitution was paused shortly before CAR-T, the general stop criteria apply" in _detail(bundle)
