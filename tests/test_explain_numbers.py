"""The explanation page writes a number with a unit as the card writes it, in the page's language.

The page wrote an IgG as 'g/L: 4' (and 'g/L: 3,95') where the card beside it wrote '4,0 g/L' (DA) / '4.0 g/L'
(EN); the values behind the card and the rule set's parameters were bare numbers ('igg_age_days: 7',
'igg_start_threshold_g_l: 4'). Every concentration, period and age on the page now goes through the card's own
formatter (cds_service/cards/values.py)."""

from __future__ import annotations

import copy
import html
import re
from datetime import date, datetime, timezone

import pytest

from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import request_from_bundle

from .test_statements_reports_other_types import bundle_of
from . import pages

RUNTIME = load_runtime(Settings())
NOW = datetime(2026, 2, 20, 11, 30, tzinfo=timezone.utc)
AT = date(2026, 1, 20)


def chart_with_igg(quantity: dict) -> dict:
    bundle = copy.deepcopy(bundle_of("cart-in-window-igg-low"))
    for entry in bundle["entry"]:
        if entry["resource"]["id"] == "obs-igg-0001-b":  # the latest IgG, the one the card names
            entry["resource"]["valueQuantity"] = quantity
    return bundle


def card_and_page(bundle: dict, lang: str) -> tuple[str, str]:
    answer = answer_local(parse_hook_request(request_from_bundle(bundle), "patient-view"), RUNTIME, lang=lang, today=AT)
    card = " ".join(f"{c.get('summary')} {c.get('detail')}" for c in answer.cards)
    data = pages.stored(answer, RUNTIME)
    page = pages.rendered(data, lang, RUNTIME, NOW)
    return card, page


def by_key(body: str) -> dict[str, str]:
    """A table of named values (its name in the page's language, its technical name below it), by technical name."""
    return {key: html.unescape(re.sub(r"<[^>]+>", "", value)) for key, value in re.findall(
        r'<t[hd]>(?:[^<]*<br>)?<code class="key">([^<]*)</code></t[hd]><td>(.*?)</td>', body, re.S)}


def values_behind(page: str) -> dict[str, str]:
    """The decision's 'Values behind the card' table, by value name."""
    [body] = re.findall(r'<table id="decision">.*?</table><details><summary>[^<]*</summary><table>(.*?)</table>', page, re.S)
    return by_key(body)


def cells(page: str, table: str) -> list[list[str]]:
    [body] = re.findall(rf'<table id="{table}">(.*?)</table>', page, re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


G_L = {"system": "http://unitsofmeasure.org", "code": "g/L", "unit": "g/L"}
MG_DL = {"system": "http://unitsofmeasure.org", "code": "mg/dL", "unit": "mg/dL"}


@pytest.mark.parametrize("lang, quantity, shown, reported", [
    ("en", {"value": 4, **G_L}, "4.0 g/L", None),  # an integer, as a laboratory may send it
    ("da", {"value": 4, **G_L}, "4,0 g/L", None),
    ("en", {"value": 3.95, **G_L}, "3.95 g/L", None),  # two decimals: 4.0 would read as the threshold it is not
    ("da", {"value": 3.95, **G_L}, "3,95 g/L", None),
    ("da", {"value": 395, **MG_DL}, "3,95 g/L", "395 mg/dL"),  # converted: the page shows the g/L the card shows
    ("en", {"value": 395, **MG_DL}, "3.95 g/L", "395 mg/dL"),
])
def test_an_igg_on_the_page_reads_as_on_the_card(lang, quantity, shown, reported):
    card, page = card_and_page(chart_with_igg(quantity), lang)
    assert shown in card, card
    [row] = [r for r in cells(page, "facts") if r[-1] == "Observation/obs-igg-0001-b"]
    assert shown in row[2] and "g/L:" not in row[2], row
    if reported is not None:
        assert reported in row[2], row
    decision = values_behind(page)
    assert decision["igg"] == shown, decision


@pytest.mark.parametrize("lang, age, threshold, window", [
    ("en", "7 days", "4 g/L", "6 months"), ("da", "7 dage", "4 g/L", "6 måneder")])
def test_periods_and_parameters_carry_their_unit_in_the_page_language(lang, age, threshold, window):
    _, page = card_and_page(chart_with_igg({"value": 3.2, **G_L}), lang)
    decision = values_behind(page)
    assert decision["igg_age_days"] == age and decision["stale_days"] == ("30 days" if lang == "en" else "30 dage")
    [params] = re.findall(r'<p id="ruleset">.*?<table>(.*?)</table>', page, re.S)
    rows = by_key(params)
    assert rows["igg_start_threshold_g_l"] == threshold and rows["window_months"] == window, rows
    assert rows["recurrent_min_episodes"] == "2", rows  # a count has no unit


def test_a_reported_bound_keeps_its_comparator_beside_the_value():
    _, page = card_and_page(chart_with_igg({"value": 0.33, "comparator": "<", **G_L}), "da")
    [row] = [r for r in cells(page, "facts") if r[-1] == "Observation/obs-igg-0001-b"]
    assert "<0,33 g/L" in row[2] and "komparator" not in row[2], row
