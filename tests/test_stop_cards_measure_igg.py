"""A card that tells to pause or stop substitution also says to measure IgG off substitution afterwards.

The stop is an attempt to judge immune restitution, which is IgG measured in a period without substitution
(Medicinrådet 2025 §3.4, §4.3): the planned, due-soon, due-today and general-review cards' "To do" says so, in English
and Danish, as the start and overdue cards already did, and the card stays within its limits. The general review card
asks whether to pause, which the clinician may decide against (infections persist): it says to measure IgG if so, not
"then" as after a stop it takes for granted.
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.tools.replay import replay
from tests.test_acceptance_stop import (CART, LOW, RUNTIME, SPECIAL, bundle, ig_doses, ig_order, ig_statement,
                                        igg, infection)

SAYS = {"en": "Then measure IgG off substitution.",
        "da": "Mål derefter IgG uden substitution."}
IF_PAUSED = {"en": "Review now whether substitution can be paused. If you pause it, measure IgG off substitution.",
             "da": "Vurdér nu, om substitution kan pauseres. Pauseres den, så mål IgG uden substitution."}
SEPSIS_BEFORE_START = (CART, infection("sepsis", "2026-01-05"), igg("igg-sepsis", "2026-01-06", 2.5),
                       ig_order("ivig-inf", "2026-01-10"))
# (name, bundle, day, advice code, variant): CAR-T 2025-11-18, stop date 2026-05-18.
CASES = [
    ("planned", bundle(*SPECIAL), "2026-01-20", "stop-planned", ""),
    ("planned-doses", bundle(CART, LOW, ig_doses("ivig", "2025-12-15", 28, "2026-02-09")), "2026-02-20",
     "stop-planned", "doses"),
    ("planned-record", bundle(CART, LOW, ig_statement("ms", "2025-12-15")), "2026-03-01", "stop-planned", "record"),
    ("due-soon", bundle(*SPECIAL), "2026-05-04", "stop-due-soon", ""),
    ("due-today", bundle(*SPECIAL), "2026-05-18", "stop-due-soon", ""),
    ("due-record", bundle(CART, LOW, ig_statement("ms", "2025-12-15")), "2026-05-10", "stop-due-soon", "record"),
    ("due-order-ends-on-stop", bundle(CART, LOW, ig_order("ivig", "2025-12-15", end="2026-05-18")), "2026-05-10",
     "stop-due-soon", "order-ends-on-stop"),
    ("general-review-due", bundle(*SEPSIS_BEFORE_START), "2026-07-15", "general-stop-review", "due"),
]


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("name,chart,at,code,variant", CASES, ids=[c[0] for c in CASES])
def test_stop_card_says_to_measure_igg_off_substitution(name: str, chart: dict[str, object], at: str, code: str,
                                                       variant: str, lang: str) -> None:
    answer = replay(RUNTIME, chart, lang=lang, at=date.fromisoformat(at))
    assert [(a.code, a.variant) for a in answer.advice] == [(code, variant)]
    card = answer.cards[0]
    to_do = next(line for line in card["detail"].splitlines() if line.startswith(("**To do:**", "**Gør:**")))
    assert to_do.endswith(IF_PAUSED[lang] if code == "general-stop-review" else SAYS[lang]), to_do
    assert len(card["summary"]) <= 140 and len(card["detail"]) <= 700
