"""The M-protein caveat only where the IgG decides (clinical rules §7).

A myeloma of unknown type with a total IgG near a threshold: whether the M-protein is IgG could change a start
decision, and the start card says so. A stop at the end of the window, or a stop review, is decided by dates alone:
"Myeloma of unknown type ... could change this decision" on a stop card was a second note on a ten-second card that
no answer to it could change.
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.tools.replay import replay

from .test_acceptance_stop import ICD10, RUNTIME, bundle, car_t, diagnosis, ig_order, igg

MYELOMA = diagnosis("C90.0", ICD10)  # no M-protein, no immunofixation: the type is unknown
CART = car_t("2025-06-01")  # stop date 2025-12-01
PARAPROTEIN = ("paraprotein-possible", "paraprotein-possible-measured", "paraprotein-unmeasured")


def _advice(*resources, at: date):
    return replay(RUNTIME, bundle(*resources, dx=MYELOMA), at=at).advice


def test_the_start_side_card_keeps_the_caveat() -> None:
    """The control: IgG 4.5 g/L, not on substitution: were the M-protein IgG, polyclonal IgG could be < 4."""
    [found] = _advice(CART, igg("igg", "2025-07-10", 4.5), at=date(2025, 7, 15))
    assert set(PARAPROTEIN) & set(found.caveats)


@pytest.mark.parametrize("at, code", [(date(2025, 10, 1), "stop-planned"), (date(2025, 11, 25), "stop-due-soon"),
                                      (date(2025, 12, 10), "stop-overdue")])
def test_a_stop_card_carries_no_m_protein_caveat(at: date, code: str) -> None:
    [found] = _advice(CART, igg("igg", "2025-06-20", 4.5), ig_order("ivig", "2025-07-01"), at=at)
    assert found.code == code
    assert not set(PARAPROTEIN) & set(found.caveats), found.caveats


def test_a_general_stop_review_carries_none_either() -> None:
    """Ig begun before the CAR-T: the general stop criteria, decided by dates."""
    [found] = _advice(CART, igg("igg", "2025-06-20", 4.5), ig_order("ivig", "2025-01-10"), at=date(2025, 9, 1))
    assert found.code == "general-stop-review"
    assert not set(PARAPROTEIN) & set(found.caveats), found.caveats
