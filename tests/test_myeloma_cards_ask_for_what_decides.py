"""A myeloma card asks for what would decide: the M-protein's amount and its type where neither was measured with the
IgG, and IgG with the M-protein where the last pair contradict each other (the IgG not larger than its M-protein)."""

from __future__ import annotations

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import load_fixtures

RUNTIME = load_runtime(Settings())
FIXTURES = {f.name: f for f in load_fixtures()}


def card_of(name: str, lang: str) -> dict:
    fixture = FIXTURES[name]
    [card] = replay(RUNTIME, fixture.bundle, at=fixture.at, lang=lang).cards
    return card


@pytest.mark.parametrize("lang, summary, todo", [
    ("en", "no M-protein measured with it: polyclonal IgG may be < 6 g/L; measure M-protein and type",
     "Measure the M-protein (serum protein electrophoresis) and its type (immunofixation) with IgG"),
    ("da", "ingen M-komponent målt med den: polyklonal IgG kan være < 6 g/L; mål M-komponent og type",
     "Mål M-komponenten (proteinelektroforese i serum) og dens type (immunfiksation) sammen med IgG")])
def test_with_no_m_protein_measured_the_card_asks_for_its_amount_and_type(lang: str, summary: str, todo: str) -> None:
    """Total IgG 7.0 in a myeloma of unknown type, no M-protein result: immunofixation alone gives the type, not the
    amount to subtract; the card asked only for immunofixation."""
    card = card_of("myeloma-total-igg-7-no-m-protein-result-asks-for-immunofixation", lang)
    assert card["summary"].endswith(summary), card["summary"]
    assert todo in card["detail"]


@pytest.mark.parametrize("lang, todo", [
    ("en", "Measure serum IgG and the M-protein together now: the last pair cannot both be right."),
    ("da", "Mål IgG i serum og M-komponenten samtidig nu: det seneste par kan ikke begge være rigtigt.")])
def test_an_igg_not_larger_than_its_m_protein_asks_for_both_again(lang: str, todo: str) -> None:
    """IgG 9.0 and an IgG M-protein of 9.5 the same day: the IgG is not used and IgG is asked for; measured alone it
    would meet the same M-protein, so the card asks for both together."""
    card = card_of("myeloma-igg-kappa-m-protein-above-total-igg-not-used", lang)
    assert card["source"]["topic"]["code"] == "measure-igg" and todo in card["detail"], card["detail"]
