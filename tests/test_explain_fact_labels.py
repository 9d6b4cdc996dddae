"""The explanation page names each fact for what it was read from, in the page's language throughout.

A medication record of an immunoglobulin course only planned (MedicationStatement, status intended) was listed as
'Immunoglobulin order ... status: active; ordered: 2026-01-10; intended: yes' ('Immunglobulinordination ...
ordineret ...; intended: ja' on the Danish page): an order nobody wrote, dated by the day the record was made, with
a field name in English. It is a medication record, planned only, recorded that day. Every field a fact can carry
has words on the page (no raw field names)."""

from __future__ import annotations

import dataclasses
import html
import re
import typing
from datetime import date, datetime, timezone

import pytest

from cds_service.fhir.request import parse_hook_request
from cds_service.http.explain_page import DATE_FIELDS, FACT_KINDS, FIELDS, SKIPPED_FIELDS
from cds_service.pipeline import answer_local
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import request_from_bundle
from cql_like_rules import facts as fact_types

from .test_statements_reports_other_types import SCIG, statement, with_resources
from . import pages

RUNTIME = load_runtime(Settings())
NOW = datetime(2026, 2, 20, 11, 30, tzinfo=timezone.utc)


def facts_rows(bundle: dict, at: date, lang: str) -> list[list[str]]:
    answer = answer_local(parse_hook_request(request_from_bundle(bundle), "patient-view"), RUNTIME, lang=lang, today=at)
    data = pages.stored(answer, RUNTIME)
    page = pages.rendered(data, lang, RUNTIME, NOW)
    [table] = re.findall(r'<table id="facts">(.*?)</table>', page, re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "<td" in row]


@pytest.mark.parametrize("lang, kind, says, not_says", [
    ("en", "Immunoglobulin medication record", ("recorded: 2026-01-10", "planned only, not recorded as given: yes"),
     ("ordered", "status", "intended")),
    ("da", "Immunglobulin-medicinregistrering", ("registreret: 2026-01-10", "kun planlagt, ikke registreret som givet: ja"),
     ("ordineret", "status", "intended", "aktiv")),
])
def test_a_planned_ig_record_is_named_a_medication_record_planned_only(lang, kind, says, not_says):
    plan = statement("ms-plan", SCIG, "intended", effectivePeriod={"start": "2026-01-16"}, dateAsserted="2026-01-10")
    rows = facts_rows(with_resources("cart-in-window-igg-low", plan), date(2026, 2, 20), lang)
    [row] = [r for r in rows if r[-1] == "MedicationStatement/ms-plan"]
    assert row[0] == kind and row[1] == "2026-01-16", row
    for word in says:
        assert word in row[2], row
    for word in not_says:
        assert word not in row[2], row


def test_a_taken_ig_record_is_a_medication_record_not_an_order():
    taken = statement("ms-scig", SCIG, "active", effectivePeriod={"start": "2026-01-16"})
    rows = facts_rows(with_resources("cart-in-window-igg-low", taken), date(2026, 2, 20), "da")
    [row] = [r for r in rows if r[-1] == "MedicationStatement/ms-scig"]
    assert row[0] == "Immunglobulin-medicinregistrering" and "status: aktiv" in row[2], row


def test_every_field_a_fact_can_carry_has_words_on_the_page():
    hints = typing.get_type_hints(fact_types.Facts)
    for kind in FACT_KINDS:
        types = [t for t in (hints[kind], *typing.get_args(hints[kind])) if dataclasses.is_dataclass(t)]
        for t in types:
            for f in dataclasses.fields(t):
                assert f.name in FIELDS or f.name in SKIPPED_FIELDS or f.name in DATE_FIELDS, (kind, f.name)


@pytest.mark.parametrize("lang, says", [
    ("en", "counted as a severe verified bacterial infection, verified by the positive culture {culture} of 2026-01-11"),
    ("da", "talt som svær verificeret bakteriel infektion, verificeret af den positive dyrkning {culture} fra 2026-01-11"),
])
def test_a_pneumonia_verified_by_a_culture_names_that_culture_on_its_row(lang, says):
    """An organism-unspecified pneumonia (J18.9) counted because of a blood culture whose text names E. coli: the page
    listed the pneumonia and the culture as two facts, and which culture made which pneumonia a verified bacterial
    infection (and severe) was only inside the reasoning's JSON."""
    from .test_acceptance_infections import CHARTS

    chart = next(c for c in CHARTS if c.name == "j18-blood-culture-danish-text")
    bundle = chart.bundle()
    culture = next(f"Observation/{e['resource']['id']}" for e in bundle["entry"]
                   if e["resource"]["id"].startswith("cult"))
    pneumonia = next(f"Condition/{e['resource']['id']}" for e in bundle["entry"]
                     if e["resource"]["id"].startswith("inf"))
    rows = facts_rows(bundle, date.fromisoformat(chart.at), lang)
    [row] = [r for r in rows if r[-1] == pneumonia]
    assert says.format(culture=culture) in row[2], row
    [culture_row] = [r for r in rows if r[-1] == culture]
    assert "verified" not in culture_row[2] and "verificeret" not in culture_row[2]
