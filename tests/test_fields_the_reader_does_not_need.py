"""A record coded or dated in a way the service does not read must not give no card, or a silently wrong one.

A bispecific order whose start is read is used even when its planned end or its `authoredOn` cannot be read: a field
the rules do not need (authoredOn beside a dosage start) is named as not read; one they need (the end) is read as no
end and named. Dropping the whole order left a bispecific patient with no card at all."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.tools.replay import replay
from cds_service.tools.worklist import evaluate_patient_resources
from tests.test_acceptance_dates import (CART, LOW, RUNTIME, bounds, bsab_order, bundle, code, ig_order, text)

AT = date(2026, 1, 20)
Resource = dict[str, Any]


def cards(b: Resource, lang: str = "en", hook: str = "patient-view", drafts: list[Resource] | None = None,
          ) -> list[dict[str, Any]]:
    return list(replay(RUNTIME, b, lang=lang, hook=hook, drafts=drafts, at=AT).cards)


def rows(b: Resource) -> list[str]:
    return [r.code for r in evaluate_patient_resources([e["resource"] for e in b["entry"]], AT, RUNTIME)]


TEC_END_UNREAD = bsab_order("tec", authoredOn="2025-11-18", dosageInstruction=bounds("2025-11-18", "18-05-2026"))
TEC_AUTHORED_UNREAD = bsab_order("tec", authoredOn="18-11-2025", dosageInstruction=bounds("2025-11-18"))


def test_a_bsab_order_whose_end_cannot_be_read_is_used_and_its_end_named() -> None:
    b = bundle(TEC_END_UNREAD, LOW)
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == code(da) == "start-substitution", text(en)
    assert "after bsAb 2025-11-18" in en["summary"] and "2026-05-18" in en["summary"]
    assert "The planned end “18-05-2026” of an order cannot be read as a day: read as an order with no end date" \
        in text(en), text(en)
    assert "Den planlagte slutdato “18-05-2026” i en ordination kan ikke læses som en dag" in text(da), text(da)
    assert "unusable data" not in text(en)
    assert rows(b) == ["start-substitution"]


def test_a_bsab_order_whose_authored_on_cannot_be_read_is_dated_by_its_start() -> None:
    b = bundle(TEC_AUTHORED_UNREAD, LOW)
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == code(da) == "start-substitution", text(en)
    assert "after bsAb 2025-11-18" in en["summary"]
    assert "malformed field (authoredOn) of an order, which the rules do not read, was ignored" in text(en), text(en)
    assert "fejlformateret felt (authoredOn) i en ordination" in text(da), text(da)
    assert rows(b) == ["start-substitution"]


def test_an_authored_on_that_is_the_only_date_still_names_the_therapy_undated() -> None:
    [en] = cards(bundle(bsab_order("tec", authoredOn="18-11-2025"), LOW))
    assert code(en) == "therapy-undated" and "“18-11-2025”, which cannot be read as a day" in en["summary"]


def test_an_ivig_order_whose_authored_on_cannot_be_read_is_not_dropped() -> None:
    """The same fault in an immunoglobulin order left "Ig may be started" for a patient on IVIG."""
    b = bundle(CART, LOW, ig_order(authoredOn="15-12-2025", dosageInstruction=bounds("2025-12-15")))
    [en], [da] = cards(b), cards(b, "da")
    assert code(en) == code(da) == "stop-planned", text(en)
    assert "may be started" not in text(en) and "IVIG since 2025-12-15" in text(en)
    assert rows(b) == ["stop-planned"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize("lang, words", [
    ("en", "The planned end “20-07-2026” of an order cannot be read as a day"),
    ("da", "Den planlagte slutdato “20-07-2026” i en ordination kan ikke læses som en dag"),
])
def test_a_bsab_draft_whose_end_cannot_be_read_is_judged_from_its_start(hook: str, lang: str, words: str) -> None:
    draft = bsab_order("d-tec", status="draft", authoredOn="2026-01-20",
                       dosageInstruction=bounds("2026-01-20", "20-07-2026"))
    [card] = cards(bundle(LOW), lang, hook, [draft])
    assert code(card) == "plan-igg-monitoring", text(card)
    assert "2026-01-20" in card["summary"] and words in text(card), text(card)


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_a_bsab_draft_whose_authored_on_cannot_be_read_is_judged(hook: str) -> None:
    draft = bsab_order("d-tec", status="draft", authoredOn="20-01-2026", dosageInstruction=bounds("2026-01-20"))
    for lang, words in (("en", "malformed field (authoredOn)"), ("da", "fejlformateret felt (authoredOn)")):
        [card] = cards(bundle(LOW), lang, hook, [draft])
        assert code(card) == "plan-igg-monitoring" and words in text(card), text(card)


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_an_ivig_draft_beside_a_bsab_order_whose_end_cannot_be_read(hook: str) -> None:
    draft = ig_order("d-ivig", status="draft", authoredOn="2026-01-20", dosageInstruction=bounds("2026-01-20"))
    for lang in ("en", "da"):
        [card] = cards(bundle(TEC_END_UNREAD, LOW), lang, hook, [draft])
        assert code(card) == "order-meets-criteria", text(card)
        assert "18-05-2026" in text(card)


def test_an_ivig_draft_whose_end_cannot_be_read_gets_no_end_date_suggested() -> None:
    draft = ig_order("d-ivig", status="draft", authoredOn="2026-01-20",
                     dosageInstruction=bounds("2026-01-20", "20-09-2026"))
    [card] = cards(bundle(CART, LOW), "en", "order-sign", [draft])
    assert code(card) == "order-meets-criteria", text(card)
    assert "“20-09-2026”" in text(card)
    assert not card.get("suggestions"), card.get("suggestions")

