"""After a stop, with no IgG taken since substitution began, the no-start card says its IgG predates substitution.

The card led with "IgG 2.7 g/L < 4 g/L (2025-10-21), no severe/recurrent verified bacterial infection: Ig start not
recommended": the IgG the course was started on, eight months before, read as today's. What the stop attempt is for
(§4.3) is an IgG taken off substitution, to see whether it has recovered (§3.4); the card now says which IgG it has
and asks for that one.
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
# CAR-T 2025-03-04, window over 2025-09-04; IgG 3.1 g/L on 2025-09-22; no infections
BUNDLE = json.loads((FIXTURES / "cart-after-window-no-infections-old-igg.json").read_text())
AT = date(2026, 2, 20)


def _ivig(start: str, end: str) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "mr-ivig", "status": "completed", "intent": "order",
            "subject": {"reference": "Patient/pt-dk-0007"}, "authoredOn": start,
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}],
                                          "text": "Privigen"},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": start, "end": end}}}}]}


def _igg(oid: str, day: str, value: float) -> dict[str, Any]:
    igg = copy.deepcopy(next(e["resource"] for e in BUNDLE["entry"] if e["resource"]["resourceType"] == "Observation"))
    igg.update(id=oid, effectiveDateTime=f"{day}T08:00:00+01:00")
    igg["valueQuantity"]["value"] = value
    return igg


def _card(*extra: dict[str, Any], lang: str = "en") -> dict[str, Any]:
    bundle = copy.deepcopy(BUNDLE)
    bundle["entry"] += [{"resource": r} for r in extra]
    [card] = replay(RUNTIME, bundle, lang=lang, at=AT).cards
    return card


@pytest.mark.parametrize("lang, summary, todo", [
    ("en", "IgG 3.1 g/L (2025-09-22) predates substitution; no severe/recurrent verified bacterial infection",
     "Measure IgG off substitution to see whether it has recovered (§3.4)."),
    ("da", "IgG 3,1 g/L (2025-09-22) er fra før substitution; ingen svær/tilbagevendende verificeret bakteriel",
     "Mål IgG uden substitution for at se, om den er restitueret (§3.4).")])
def test_with_no_igg_since_substitution_began_the_card_says_its_igg_predates_it(lang: str, summary: str,
                                                                                  todo: str) -> None:
    card = _card(_ivig("2025-09-25", "2025-12-01"), lang=lang)
    assert card["source"]["topic"]["code"] == "no-start-without-infections"
    assert card["summary"].startswith(summary)
    assert todo in card["detail"]


def test_an_igg_taken_off_substitution_after_the_stop_is_the_one_the_card_leads_with() -> None:
    card = _card(_ivig("2025-09-25", "2025-12-01"), _igg("obs-igg-after", "2026-01-15", 3.3))
    assert card["summary"].startswith("IgG 3.3 g/L < 4 g/L (2026-01-15), no severe/recurrent")
    assert "predates substitution" not in card["summary"]


def test_with_no_substitution_ever_the_card_is_unchanged() -> None:
    card = _card()
    assert card["summary"].startswith("IgG 3.1 g/L < 4 g/L (2025-09-22), no severe/recurrent")
