"""An Ig order under the special criterion says to measure IgG off substitution after its stop, where it has room.

The order card (`order-meets-criteria`, variants `window` and `continuation-window`) asked to let the order end on the
stop date, and said nothing of what the stop is for: judging immune restitution by IgG measured off substitution
(Medicinrådet 2025 §3.4, §4.3), as the stop cards say. The sentence joins the card's "To do" only where the card has
room for it with nothing else lost (`Variant.spare_action`): on a crowded card it is the first line to go, so a card
never loses a fact, a note or the reminder it had for it (a try that added it everywhere pushed lines off ~140 cards).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from cds_service.cards.render import DETAIL_LIMIT
from cds_service.tools.replay import replay
from cql_like_rules.catalogue import CATALOGUE

from .test_acceptance_orders import IVIG, draft, medication
from .test_acceptance_stop import CART, LOW, NPU, RUNTIME, SUBJECT, bundle, ig_order, igg

SAYS = {"en": "Then measure IgG off substitution.", "da": "Mål derefter IgG uden substitution."}
TO_DO = {"en": "**To do:** Let the order end on ", "da": "**Gør:** Lad ordinationen slutte "}
REMINDER = {"en": "Vaccination and antibiotic prophylaxis remain central", "da": "Vaccination og antibiotikaprofylakse"}
# (name, chart, the draft, day, variant): CAR-T 2025-11-18, stop date 2026-05-18.
CASES = [
    ("window", bundle(CART, igg("igg-new", "2026-01-13", 3.2)), draft("ivig-new", IVIG, "2026-01-21"), "2026-01-20",
     "window"),
    ("continuation-window", bundle(CART, LOW, ig_order("ivig", "2025-12-15")), draft("ivig-renew", IVIG, "2026-02-02"),
     "2026-02-01", "continuation-window"),
]


def order_card(chart: dict[str, Any], order: dict[str, Any], at: str, lang: str,
               *also: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    answer = replay(RUNTIME, chart, lang=lang, hook="order-sign", drafts=[order, *also], at=date.fromisoformat(at))
    [advice] = [a for a in answer.advice if a.code == "order-meets-criteria"]
    [card] = [c for c in answer.cards if c["source"]["topic"]["code"] == "order-meets-criteria"]
    return advice.variant, card


def to_do(card: dict[str, Any]) -> str:
    return next(line for line in card["detail"].splitlines() if line.startswith(("**To do:**", "**Gør:**")))


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("name,chart,order,at,variant", CASES, ids=[c[0] for c in CASES])
def test_order_card_says_to_measure_igg_after_the_stop(name: str, chart: dict[str, Any], order: dict[str, Any],
                                                       at: str, variant: str, lang: str) -> None:
    got, card = order_card(chart, order, at, lang)
    assert got == variant
    line = to_do(card)
    assert line.startswith(TO_DO[lang]) and "2026-05-18" in line and line.endswith(SAYS[lang]), line
    assert REMINDER[lang] in card["detail"] and len(card["detail"]) <= DETAIL_LIMIT


# An IgG after the one used that could not be read: a data note, counted on the crowded card.
UNREAD = {"resourceType": "Observation", "id": "igg-unread", "status": "final", "subject": SUBJECT,
          "effectiveDateTime": "2026-01-10", "code": {"coding": [{"system": NPU, "code": "NPU19814"}]},
          "valueString": "hæmolyseret"}
NOTES = {"en": ("*Note:* IgG seldom recovers while B/plasma cells are depleted", "*Note:* Teclistamab, drafted with this order",
                "*1 data note not shown here.*"),
         "da": ("*Bemærk:* IgG stiger sjældent under B-/plasmacelleaplasi", "*Bemærk:* Teclistamab i samme udkast",
                "*1 datanote ikke vist her.*")}


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_crowded_order_card_keeps_every_line_it_had(lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """An IgG 50 days old, an IgG that could not be read and a teclistamab drafted with the order (to begin after the
    stop date, so the stop date holds): two notes and a data note fill the card. It keeps every line it had without
    the sentence; the Danish card, whose words are longer, has no room for it, the English has (its reminder went
    before, for the notes)."""
    chart = bundle(CART, igg("igg-old", "2025-12-01", 3.6), UNREAD)
    tec = draft("tec", medication("L01FX24", "Tecvayli"), "2026-05-22")
    variant, card = order_card(chart, draft("ivig-new", IVIG, "2026-01-21"), "2026-01-20", lang, tec)
    window = CATALOGUE["order-meets-criteria"].variants["window"]
    monkeypatch.setitem(CATALOGUE["order-meets-criteria"].variants, "window", replace(window, spare_action=None))
    _, before = order_card(chart, draft("ivig-new", IVIG, "2026-01-21"), "2026-01-20", lang, tec)
    assert variant == "window" and card["detail"].replace(f" {SAYS[lang]}", "") == before["detail"], card["detail"]
    assert all(note in card["detail"] for note in NOTES[lang]), card["detail"]
    assert (SAYS[lang] in to_do(card)) == (lang == "en") and len(card["detail"]) <= DETAIL_LIMIT, card["detail"]
    assert (REMINDER[lang] in card["detail"]) == (lang == "da"), card["detail"]
