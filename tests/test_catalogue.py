"""The advice catalogue: one place per advice code, both languages, wording built from the parameters."""

from __future__ import annotations

import dataclasses
import re
from datetime import date
from pathlib import Path

import pytest

from cds_service.cards.render import SUMMARY_LIMIT, summary
from cds_service.cards.values import placeholders
from cds_service.http.discovery import codes_of
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cds_service.tools.worklist import ACTION_ORDER
from cql_like_rules import ADVICE_CODES, Parameters
from cql_like_rules.advice import advice
from cql_like_rules.catalogue import (
    CATALOGUE, CAVEATS, FAILING, GENERAL_STOP_REASONS, GUIDELINE_SECTIONS, OVERRIDE_REASONS, SUGGESTION_LABELS,
)
from cql_like_rules.orders import ORDER_CODES

from .fixtures import load_fixtures

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = [(code, variant) for code, kind in CATALOGUE.items() for variant in kind.variants]


def _texts():
    for kind in CATALOGUE.values():
        yield kind.title
        for variant in kind.variants.values():
            yield from (variant.summary, variant.decision, variant.action)
    for family in (OVERRIDE_REASONS, CAVEATS, FAILING, GENERAL_STOP_REASONS, GUIDELINE_SECTIONS, SUGGESTION_LABELS):
        yield from family.values()


def test_every_text_exists_in_both_languages_and_they_differ():
    for text in _texts():
        assert text.en.strip() and text.da.strip()
        assert text.en != text.da or len(text.en) < 12, text.en  # short names (IVIG, CAR-T) may be the same


@pytest.mark.parametrize("text", list(_texts()), ids=lambda t: t.en[:40])
def test_no_number_period_or_threshold_is_written_into_text(text):
    for lang in ("en", "da"):
        words = re.sub(r"\{[^}]*\}", "", text(lang))  # placeholders are filled from the parameters
        assert not re.search(r"\d+\s*(g/L|months?|måned|days?|dag)", words), words
        assert not re.search(r"(?<![§\d.])\b\d{1,2}\b(?![.\d]*§)", words.replace("§4.", "").replace("§3.4", "")), words


def test_the_codes_of_the_product_come_from_the_catalogue():
    assert ADVICE_CODES == tuple(CATALOGUE)
    assert set(ORDER_CODES) == {"order-meets-criteria", "order-does-not-meet-criteria", "plan-igg-monitoring",
                                "child-individual-assessment", "order-not-recognised"}
    assert set(codes_of("patient-view")) | set(codes_of("order-sign")) == set(CATALOGUE)
    assert list(ACTION_ORDER) == sorted((c for c in CATALOGUE if CATALOGUE[c].worklist_rank),
                                        key=lambda c: CATALOGUE[c].worklist_rank)
    docs = (ROOT / "docs" / "clinical-logic.md").read_text(encoding="utf-8")
    assert [code for code in CATALOGUE if f"`{code}`" not in docs] == []


LONG = {"t0": date(2026, 12, 31), "stop_date": date(2027, 6, 30), "igg_date": date(2026, 12, 31), "igg": 12.34,
        "igg_total": 14.5, "igg_comparator": "<=", "igg_age_days": 365, "days_to_stop": 181, "t0_kind": "car-t",
        "t0_product": "lisocabtagene maraleucel", "episode_start": date(2026, 12, 31), "due_date": date(2027, 12, 31),
        "order_drug": "linvoseltamab", "order_start": date(2027, 1, 31), "age": 17, "stale_days": 90,
        "reason": "paused-for-infusion", "failing": ("no-igg-since-t0",), "today": date(2026, 12, 31),
        "m_protein": 2.5, "m_protein_date": date(2026, 12, 30), "order_looks_like": "car-t-product",
        "order_code": "DK-LOCAL-1234567890", "order_code_system": "urn:oid:1.2.208.176.2.99.123456789",
        "untyped_m_protein": 12.5, "untyped_m_protein_date": date(2026, 12, 30), "polyclonal_if_igg": 2.25,
        "paraprotein_threshold": 4.0}


@pytest.mark.parametrize("code, variant", VARIANTS)
@pytest.mark.parametrize("lang", ["en", "da"])
def test_every_summary_fits_with_long_realistic_values(code, variant, lang):
    found = advice(code, variant, "test", values=LONG)
    text = summary(found, lang, placeholders(found, Parameters(), lang))
    assert len(text) < SUMMARY_LIMIT and not text.endswith("…"), (len(text), text)
    assert "?" not in text and "{" not in text, text


SITE = Parameters(igg_start_threshold_g_l=5.0, igg_general_threshold_g_l=7.0, window_months=3,
                  stale_days_in_window=21, stale_days_after_window=60, general_stop_after_months=4,
                  general_stop_latest_months=10, general_review_every_months=4)
DEFAULT_WORDS = [r"(?<![\d.,])4 g/L", r"(?<![\d.,])6 g/L", r"\b6 months\b", r"\b6 måneder\b", r"6–12",
                 r"last (30|90) days", r"sidste (30|90) dage", r"older than (30|90)", r"ældre end (30|90)"]


def test_under_a_site_policy_no_card_shows_a_default_number(tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(__import__("json").dumps(dataclasses.asdict(SITE)))
    runtime = load_runtime(Settings(policy_file=str(policy)))
    seen = 0
    for fixture in load_fixtures():
        for lang in ("en", "da"):
            for card in replay(runtime, fixture.bundle, lang=lang, at=fixture.at).cards:
                seen += 1
                text = " ".join([card["summary"], card["detail"], card["source"]["topic"]["display"],
                                 *(s["label"] for s in card.get("suggestions", []))])
                text = re.sub(r"IgG [<>=]*\d+[.,]\d+ g/L", "IgG x", text)  # measured values are not thresholds
                text = re.sub(r"\d+[.,]\d+ g/L", "x", text)
                for pattern in DEFAULT_WORDS:
                    assert not re.search(pattern, text), (pattern, fixture.name, text)
    assert seen > 20


def test_the_documented_tables_are_the_catalogue_and_the_parameters():
    from cds_service.tools import docs_tables

    assert docs_tables.main([]) == 0, "run: python -m cds_service.tools.docs_tables --write"
