"""The explanation page writes the service's own codes among the values behind a card in words, its code below.

The values table showed 'kind of index event: bsab' ('type af indekshændelse: bsab' on the Danish page) and
'reason: before-t0': codes of the service, not words a clinician reads. They are now 'bispecific antibody' /
'bispecifikt antistof' and the card's own 'substitution began before CAR-T', the code kept below as a value's
technical name is kept below its label."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cds_service.http.app import create_app
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import request_for, request_from_bundle
from tests.order_charts import AXI_CEL, IVIG, TECLISTAMAB, chart, draft
from tests.pages import request_page
from tests.servers import SettableClock

RUNTIME = load_runtime(Settings())
FIXTURES = Path(__file__).resolve().parent.parent / "fhir_fixtures"


def page_of(request: dict, hook: str, at: date, lang: str) -> str:
    """The explanation page of the request's first card, as served (HTML)."""
    return request_page(request, hook, at, lang, RUNTIME)


def rows_of(page: str) -> dict[str, tuple[str, str]]:
    """The values behind the card: technical name -> (the cell as read, the code below it)."""
    [values] = re.findall(r'<table id="decision">.*?<details><summary>[^<]*</summary><table>(.*?)</table>', page, re.S)
    rows = {}
    for th, td in re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", values, re.S):
        [key] = re.findall(r'<code class="key">(.*?)</code>', th)
        code = re.findall(r'<code class="key">(.*?)</code>', td)
        words = html.unescape(re.sub(r"<br><code.*?</code>", "", td))
        rows[key] = (words, code[0] if code else "")
    return rows


def values_rows(fixture: str, at: date, lang: str) -> dict[str, tuple[str, str]]:
    """The values behind the fixture's first card: technical name -> (the cell as read, the code below it)."""
    bundle = json.loads((FIXTURES / f"{fixture}.json").read_text())
    return rows_of(page_of(request_from_bundle(bundle), "patient-view", at, lang))


@pytest.mark.parametrize("lang, words", [("en", "bispecific antibody"), ("da", "bispecifikt antistof")])
def test_the_kind_of_index_event_is_named_in_words(lang, words):
    rows = values_rows("glofitamab-in-window-igg-4-8-fresh", date(2026, 2, 9), lang)
    assert rows["t0_kind"] == (words, "bsab"), rows["t0_kind"]


@pytest.mark.parametrize("lang, words", [("en", "CAR-T infusion"), ("da", "CAR-T-infusion")])
def test_a_car_t_index_event_is_named_in_words(lang, words):
    rows = values_rows("cart-home-scig-medication-statement-general-stop-review", date(2026, 1, 20), lang)
    assert rows["t0_kind"] == (words, "car-t"), rows["t0_kind"]


@pytest.mark.parametrize("lang, words", [("en", "substitution began before CAR-T"),
                                         ("da", "substitution begyndte før CAR-T")])
def test_the_general_stop_reason_is_worded_as_the_card_words_it(lang, words):
    rows = values_rows("cart-home-scig-medication-statement-general-stop-review", date(2026, 1, 20), lang)
    assert rows["reason"] == (words, "before-t0"), rows["reason"]


# ---- an order hook: the kind of order drafted, and what one not recognised by its code looks like ----------------

LOCAL_IVIG = {"coding": [{"system": "http://hospital.example.dk/drugs", "code": "IV-77"}], "text": "Privigen 100 mg/ml"}
LOCAL_TEC = {"coding": [{"system": "http://hospital.example.dk/drugs", "code": "TEC-1"}],
             "text": "Tecvayli (teclistamab)"}


def order_rows(medication: dict, lang: str) -> dict[str, tuple[str, str]]:
    """The values behind the card of an order-select drafting `medication` from 2026-02-02: CAR-T 2025-11-18, IgG
    2.8 g/L on 2025-12-10."""
    resources = chart("p1", iggs=(("2025-12-10", 2.8),))
    request = request_for("p1", [{"resource": r} for r in resources], "order-select",
                          [draft("p1", "d1", medication, "2026-02-02")])
    return rows_of(page_of(request, "order-select", date(2026, 2, 1), lang))


@pytest.mark.parametrize("medication, code, words", [
    (IVIG, "ig", ("immunoglobulin", "immunglobulin")),
    (TECLISTAMAB, "bsab", ("bispecific antibody", "bispecifikt antistof")),
    (AXI_CEL, "car-t-product", ("CAR-T product", "CAR-T-produkt")),
    (LOCAL_IVIG, "unrecognised", ("not recognised by its code", "ikke genkendt på sin kode")),
], ids=["ig", "bsab", "car-t-product", "unrecognised"])
@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_kind_of_order_is_named_in_words(medication: dict, code: str, words: tuple[str, str], lang: str) -> None:
    """'kind of order: unrecognised' (the order-not-recognised card), 'ig', 'bsab': the service's codes, in words."""
    rows = order_rows(medication, lang)
    assert rows["order_kind"] == (words[lang == "da"], code), rows["order_kind"]


@pytest.mark.parametrize("medication, code, words", [
    (LOCAL_IVIG, "ig", ("immunoglobulin substitution", "immunglobulinsubstitution")),
    (LOCAL_TEC, "bsab", ("a bispecific antibody", "et bispecifikt antistof")),
], ids=["ig", "bsab"])
@pytest.mark.parametrize("lang", ["en", "da"])
def test_what_an_order_not_recognised_looks_like_is_named_in_words(medication: dict, code: str,
                                                                   words: tuple[str, str], lang: str) -> None:
    """A draft under a local code, named like IVIG or teclistamab: 'the order looks like: ig' is the card's words."""
    rows = order_rows(medication, lang)
    assert rows["order_looks_like"] == (words[lang == "da"], code), rows["order_looks_like"]


# ---- the facts table: what an immunofixation found ------------------------------------------------------------------

@pytest.mark.parametrize("lang, light_chain, none", [("en", "light chain only", "no M-protein found"),
                                                     ("da", "kun let kæde", "ingen M-komponent påvist")])
def test_an_immunofixation_finding_no_m_protein_or_a_light_chain_is_named_in_words(lang: str, light_chain: str,
                                                                                   none: str) -> None:
    """Free kappa chains (Bence Jones) at diagnosis, no M-protein found with today's IgG: the facts table said
    'isotype: light-chain' and 'isotype: none', the reader's codes; 'none' read as if no isotype had been read."""
    from tests.test_card_text import _with_fixations
    bundle, at = _with_fixations(4.5, ("2024-03-01", "frie kappa-kæder (Bence Jones)"),
                                 ("2026-01-05", "Ingen M-komponent påvist"))
    page = page_of(request_from_bundle(bundle), "patient-view", at, lang)
    [facts] = re.findall(r'<table id="facts">(.*?)</table>', page, re.S)
    found = {day: html.unescape(details) for day, details in
             re.findall(r'<td class="date">([0-9-]+)</td><td>([^<]*)</td><td class="refs">Observation/ife-', facts)}
    assert found["2024-03-01"].endswith(f": {light_chain}"), found
    assert found["2026-01-05"].endswith(f": {none}"), found


# ---- the decision table's situation, and the criteria an order fails ------------------------------------------------

def situation_row(page: str) -> tuple[str, str]:
    """The decision table's 'Situation' row: (the cell as read, the code below it)."""
    [table] = re.findall(r'<table id="decision">(.*?)</table>', page, re.S)
    [cell] = [td for th, td in re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", table, re.S) if th == "Situation"]
    code = re.findall(r'<code class="key">(.*?)</code>', cell)
    return html.unescape(re.sub(r"<br><code.*?</code>", "", cell)), code[0] if code else ""


@pytest.mark.parametrize("lang, words", [("en", "the next review date"), ("da", "næste vurderingsdato")])
def test_the_situation_is_named_in_words(lang: str, words: str) -> None:
    """The general stop review on a home SCIG record: the decision table's 'Situation' said 'info', a code (and, on
    a Danish page, an English one)."""
    bundle = json.loads((FIXTURES / "cart-home-scig-medication-statement-general-stop-review.json").read_text())
    page = page_of(request_from_bundle(bundle), "patient-view", date(2026, 1, 20), lang)
    assert situation_row(page) == (words, "info")


@pytest.mark.parametrize("lang, words", [("en", "no substitution so far"), ("da", "ingen substitution indtil nu")])
def test_no_substitution_so_far_is_named_in_words(lang: str, words: str) -> None:
    """CAR-T 2025-01-10, its window over, IgG 3.0 g/L and no infection: Ig start not recommended, situation
    'no-substitution' in words."""
    resources = chart("p1", car_t_on="2025-01-10", iggs=(("2026-01-20", 3.0),))
    page = page_of(request_for("p1", [{"resource": r} for r in resources]), "patient-view", date(2026, 2, 1), lang)
    assert situation_row(page) == (words, "no-substitution")


@pytest.mark.parametrize("lang, words", [
    ("en", "IgG from the start threshold to below the general one: the general criteria apply; no severe/recurrent "
           "verified bacterial infection"),
    ("da", "IgG fra startgrænsen til under den generelle grænse: de generelle kriterier gælder; ingen "
           "svær/tilbagevendende verificeret bakteriel infektion")])
def test_the_criteria_an_order_fails_are_named_in_words(lang: str, words: str) -> None:
    """An IVIG draft ten months after CAR-T on IgG 5.0 g/L with no infection: 'criteria not met' said
    'igg-4-6, no-infections', the service's codes; the figures stand in the values' own rows."""
    resources = chart("p1", car_t_on="2025-01-10", iggs=(("2026-01-20", 5.0),))
    request = request_for("p1", [{"resource": r} for r in resources], "order-select",
                          [draft("p1", "d1", IVIG, "2026-02-02")])
    rows = rows_of(page_of(request, "order-select", date(2026, 2, 1), lang))
    assert rows["failing"] == (words, "igg-4-6, no-infections"), rows["failing"]


def test_every_situation_and_every_failing_criterion_has_words() -> None:
    """A situation or criterion added without words would show its code alone on the page."""
    from cql_like_rules.catalogue import CATALOGUE, FAILING, FAILING_NAMED, situation
    assert [(c, v) for c, kind in CATALOGUE.items() for v in kind.variants if v and situation(c, v) is None] == []
    assert set(FAILING) == set(FAILING_NAMED)


def rule_row(page: str) -> tuple[str, str]:
    """The decision table's 'Rule' row: (its words, the definition's name below them, "" when the words are it)."""
    [cell] = re.findall(r'<table id="decision">.*?<tr><th>(?:Rule|Regel)</th><td>(.*?)</td></tr>', page, re.S)
    code = re.findall(r'<code class="key">(.*?)</code>', cell)
    return html.unescape(re.sub(r"<br><code.*?</code>", "", cell)), code[0] if code else ""


@pytest.mark.parametrize("lang, words", [("en", ("Start Advice", "")), ("da", ("Råd om start", "Start Advice"))])
def test_the_rule_is_named_in_the_page_language(lang: str, words: tuple[str, str]) -> None:
    """The Danish page said 'Regel: Start Advice' and 'Order Advice': the rule is named in Danish, the definition's
    name below (the reasoning lists definitions by it)."""
    resources = chart("p1", car_t_on="2025-01-10", iggs=(("2026-01-20", 3.0),))
    page = page_of(request_for("p1", [{"resource": r} for r in resources]), "patient-view", date(2026, 2, 1), lang)
    assert rule_row(page) == words
    request = request_for("p1", [{"resource": r} for r in resources], "order-select",
                          [draft("p1", "d1", IVIG, "2026-02-02")])
    order = rule_row(page_of(request, "order-select", date(2026, 2, 1), lang))
    assert order == (("Order Advice", "") if lang == "en" else ("Råd om ordination", "Order Advice"))


def test_every_rule_an_advice_comes_from_has_danish_words() -> None:
    """A rule added without words would show its English name alone on a Danish page."""
    import inspect
    import cql_like_rules.library as library
    import cql_like_rules.orders as orders
    from cql_like_rules.catalogue import DEFINITIONS_DA
    named = set(re.findall(r'"([A-Z][A-Za-z ]* Advice)"', inspect.getsource(library) + inspect.getsource(orders)))
    assert named - {"Advice"} <= set(DEFINITIONS_DA)
    assert all(DEFINITIONS_DA[rule][0] != rule for rule in named - {"Advice"})


def test_every_definition_has_danish_words() -> None:
    """A definition added without Danish words would show its English name and comment on a Danish page."""
    from cql_like_rules.catalogue import DEFINITIONS_DA
    from cql_like_rules.library import LIBRARY
    assert set(LIBRARY.definitions) == set(DEFINITIONS_DA)
    assert all(comment and comment != LIBRARY.definitions[name].comment
               for name, (_, comment) in DEFINITIONS_DA.items())


# ---- the cultures that verified the infections: in words, not 'blood:2026-01-10:2' ----------------------------------

@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, SettableClock]]:
    clock = SettableClock()
    settings = replace(Settings(), data_dir=str(tmp_path_factory.mktemp("cultures") / "data"))
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client, clock


def served_rows(served: tuple[TestClient, SettableClock], bundle: dict, at: date, lang: str) -> dict[str, tuple[str, str]]:
    """The values behind the chart's card on the explanation page its link opens, as the service serves it."""
    client, clock = served
    clock.set(at)
    response = client.post(f"/cds-services/{PATIENT_VIEW_ID}", json=request_from_bundle(bundle),
                           headers={"accept-language": lang})
    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    page = client.get(card["links"][0]["url"])
    assert page.status_code == 200, page.text
    return rows_of(page.text)


@pytest.mark.parametrize("lang, words", [("en", "blood culture 2025-12-01 (2 sets)"),
                                         ("da", "bloddyrkning 2025-12-01 (2 sæt)")])
def test_a_likely_contaminant_counted_by_its_sets_is_named_in_words(served, lang: str, words: str) -> None:
    from .test_contaminant_two_sets import CAR_T, PNEUMONIA, culture
    from .test_therapy_known_by_name import chart as therapy_chart

    bundle = therapy_chart(CAR_T, PNEUMONIA, culture("bc1"), culture("bc2"))
    rows = served_rows(served, bundle, date(2026, 1, 10), lang)
    assert rows["infection_cultures"] == (words, "blood:2025-12-01:2"), rows["infection_cultures"]


@pytest.mark.parametrize("lang, words", [("en", "blood culture 2026-01-06"), ("da", "bloddyrkning 2026-01-06")])
def test_a_culture_that_verified_an_infection_is_named_in_words(served, lang: str, words: str) -> None:
    bundle = json.loads((FIXTURES / "pneumonia-unspecified-positive-blood-culture-general-criteria-met.json").read_text())
    rows = served_rows(served, bundle, date(2026, 1, 20), lang)
    assert rows["infection_cultures"] == (words, "blood:2026-01-06"), rows["infection_cultures"]


@pytest.mark.parametrize("lang, words", [("en", "passed 1 day ago"), ("da", "passeret for 1 dag siden")])
def test_days_to_a_stop_date_that_has_passed_are_not_a_negative_count(lang, words):
    # "-32 days" to the stop date read as a typing error on the page
    rows = values_rows("ivig-doses-last-before-stop-date-overdue-names-last-dose", date(2025, 10, 2), lang)
    assert rows["days_to_stop"] == (words, ""), rows["days_to_stop"]
