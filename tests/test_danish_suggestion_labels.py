"""A Danish suggestion label names an order's end date as one: "Ordinér IVIG med slutdato 2026-07-10", not "Ordinér
IVIG til 2026-07-10", which can be read as an order for that day."""

from __future__ import annotations

import re
from datetime import date

from cds_service.tools.replay import replay
from cql_like_rules.catalogue import SUGGESTION_LABELS
from tests.test_acceptance_stop import RUNTIME, bundle, car_t, igg

END_AS_TIL = re.compile(r"\btil \{?\d{4}-\d\d-\d\d|\btil \{[a-z_]+\}")


def test_a_danish_start_card_offers_orders_with_an_end_date() -> None:
    chart = bundle(car_t("2026-01-10"), igg("igg-low", "2026-03-05", 3.2))
    [card] = replay(RUNTIME, chart, lang="da", at=date(2026, 3, 11)).cards
    labels = [s["label"] for s in card["suggestions"]]
    assert labels == ["Ordinér IVIG med slutdato 2026-07-10", "Ordinér SCIG med slutdato 2026-07-10"]


def test_no_danish_label_says_til_before_a_date() -> None:
    assert [key for key, label in SUGGESTION_LABELS.items() if END_AS_TIL.search(label.da)] == []
