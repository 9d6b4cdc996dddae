"""The last IgG M-protein, too long before the IgG to subtract, named on the card whose caveat it makes.

An IgG myeloma with total IgG 9.0 g/L and its last IgG M-protein of 4.0 g/L 35 days before (more than the 30 days
`m_protein_max_days_apart` allows for subtracting it): polyclonal IgG may be 5.0, below 6 g/L, and only that M-protein
says so. The card asked for the M-protein to be measured and listed the IgG, T0 and the window: the fact it rested on
was not on it (clinical rules §7, §8).
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
# IgG-kappa myeloma by immunofixation, teclistamab from 2026-01-05; IgG kappa M-protein 7.2 g/L on 2026-02-03 and
# total IgG 9.0 g/L on 2026-02-10
BUNDLE = json.loads((FIXTURES / "myeloma-igg-kappa-m-protein-a-week-before-igg-dated-on-card.json").read_text())
AT = date(2026, 2, 12)


def _with_m_protein(value: float, when: str) -> dict[str, Any]:
    bundle = copy.deepcopy(BUNDLE)
    m = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "obs-mprotein-0125")
    m["valueQuantity"]["value"] = value
    m["effectiveDateTime"] = when
    return bundle


@pytest.mark.parametrize("lang, line", [
    ("en", "- Last IgG M-protein 4.0 g/L on 2026-01-06, 35 days before the IgG: not subtracted"),
    ("da", "- Seneste IgG-M-komponent 4,0 g/L den 2026-01-06, 35 dage før IgG-målingen: ikke fratrukket")])
def test_the_m_protein_behind_the_caveat_is_on_the_card(lang: str, line: str) -> None:
    [card] = replay(RUNTIME, _with_m_protein(4.0, "2026-01-06T08:10:00+01:00"), lang=lang, at=AT).cards
    assert card["source"]["topic"]["code"] == "paraprotein-type-unknown"
    assert line in card["detail"]


def test_a_small_old_m_protein_is_not_what_the_caveat_rests_on() -> None:
    """1.0 g/L is within the policy's margin (2.0): the margin, not that M-protein, is why 9.0 may hide a low
    polyclonal IgG, so the card names no M-protein (9.0 less 2.0 is above 6: no card at all)."""
    cards = replay(RUNTIME, _with_m_protein(1.0, "2026-01-06T08:10:00+01:00"), at=AT).cards
    assert all("Last IgG M-protein" not in c["detail"] for c in cards)


def test_an_m_protein_near_the_igg_is_subtracted_not_named_as_old() -> None:
    [card] = replay(RUNTIME, copy.deepcopy(BUNDLE), at=AT).cards
    assert card["source"]["topic"]["code"] == "start-substitution"
    assert "Last IgG M-protein" not in card["detail"]


def test_the_trace_names_the_result_that_typed_the_myeloma() -> None:
    """The myeloma's type came from an immunofixation: the trace step "Paraprotein Isotype" named no record."""
    bundle = json.loads((FIXTURES / "myeloma-igg-kappa-by-immunofixation-only-total-12-measure-m-protein.json")
                        .read_text())
    [card] = replay(RUNTIME, bundle, at=date(2026, 2, 12)).cards
    [step] = [s for s in card["extension"]["dk.igsub-cds.trace"] if s["name"] == "Paraprotein Isotype"]
    assert step["value"] == "IgG" and step["references"] == ["Observation/obs-ife-0126"]


def test_a_later_bound_is_the_last_m_protein() -> None:
    """An old 4.0 g/L, then "<1.0 g/L": the bound is the last measurement, so polyclonal IgG is near the total (the
    policy's margin) and no card rests on the old figure."""
    bundle = _with_m_protein(4.0, "2025-10-06T08:10:00+01:00")
    later = copy.deepcopy(next(e for e in bundle["entry"] if e["resource"]["id"] == "obs-mprotein-0125"))
    later["resource"].update(id="obs-mprotein-bound", effectiveDateTime="2026-01-06T08:10:00+01:00")
    later["resource"]["valueQuantity"].update(value=1.0, comparator="<")
    bundle["entry"].append(later)
    assert replay(RUNTIME, bundle, at=AT).cards == []


def test_an_m_protein_reported_above_a_bound_is_named_with_its_sign() -> None:
    bundle = _with_m_protein(4.0, "2026-01-06T08:10:00+01:00")
    m = next(e["resource"] for e in bundle["entry"] if e["resource"]["id"] == "obs-mprotein-0125")
    m["valueQuantity"]["comparator"] = ">"
    [card] = replay(RUNTIME, bundle, at=AT).cards
    assert "- Last IgG M-protein >4.0 g/L on 2026-01-06" in card["detail"]
