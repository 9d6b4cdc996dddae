"""An IgG read from one component of an immunoglobulin panel is shown on the explanation page as that component.

A panel sent as one Observation (IgG, IgA and IgM as components, 'Immunglobuliner, P') had its IgG component read
as the total IgG; the page's fact row named only the panel's reference, as if the whole Observation were the IgG.
The fact now keeps the component's name and the panel's, and the page says which component was read:
"IgG (component of 'Immunglobuliner, P')". Snapshots stored before carry neither field and read as before."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timezone

import orjson
import pytest

from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import request_from_bundle
from cql_like_rules.facts import facts_from_json

from .test_acceptance_igg import IN_WINDOW, LOINC, NPU, _q, lymphoma, myeloma, obs
from . import pages

RUNTIME = load_runtime(Settings())
NOW = datetime(2026, 2, 20, 11, 30, tzinfo=timezone.utc)


def panel(*components: tuple[str, str, float]) -> dict:
    return obs("panel", "2026-01-10", LOINC, "24382-7", None, text="Immunglobuliner, P",
               component=[{"code": {"coding": [{"system": NPU, "code": code}], "text": name}, "valueQuantity": _q(value)}
                          for code, name, value in components])


def stored(bundle: dict, lang: str) -> dict:
    request = parse_hook_request(request_from_bundle(bundle), "patient-view")
    answer = answer_local(request, RUNTIME, lang=lang, today=date.fromisoformat(IN_WINDOW))
    data = pages.stored(answer, RUNTIME)
    return data


def rows(data: dict, lang: str) -> list[list[str]]:
    page = pages.rendered(data, lang, RUNTIME, NOW)
    [table] = re.findall(r'<table id="facts">(.*?)</table>', page, re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", "", cell)) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "<td" in row]


@pytest.mark.parametrize("lang, says", [
    ("en", "read from: IgG (component of 'Immunglobuliner, P')"),
    ("da", "læst fra: IgG (komponent i 'Immunglobuliner, P')"),
])
def test_the_page_names_the_component_read_and_its_panel(lang, says):
    data = stored(lymphoma(panel(("NPU19814", "IgG", 3.2), ("NPU19795", "IgA", 0.3))), lang)
    [fact] = data["facts"]["igg"]
    assert (fact["component"], fact["panel"]) == ("IgG", "Immunglobuliner, P")
    [row] = [r for r in rows(data, lang) if r[-1] == "Observation/panel"]
    assert says in row[2], row
    assert "panel:" not in row[2], row  # named once, with its component


def test_a_component_with_no_name_is_named_by_its_code_and_each_part_of_a_myeloma_panel_by_its_own():
    bundle = myeloma(obs("panel", "2026-01-10", LOINC, "24382-7", None, text="Immunglobuliner, P",
                         component=[{"code": {"coding": [{"system": NPU, "code": "NPU19814"}]}, "valueQuantity": _q(7.5)},
                                    {"code": {"coding": [{"system": NPU, "code": "NPU28638"}]}, "valueQuantity": _q(4.0)}]))
    data = stored(bundle, "en")
    shown = [r[2] for r in rows(data, "en") if r[-1] == "Observation/panel"]
    assert any("read from: NPU19814 (component of 'Immunglobuliner, P')" in s for s in shown), shown
    assert any("read from: NPU28638 (component of 'Immunglobuliner, P')" in s for s in shown), shown


def test_an_igg_of_its_own_names_no_component():
    data = stored(lymphoma(obs("igg", "2026-01-10", NPU, "NPU19814", 3.2)), "en")
    [row] = [r for r in rows(data, "en") if r[-1] == "Observation/igg"]
    assert "read from" not in row[2] and "component" not in row[2], row


def test_a_snapshot_stored_before_the_component_was_kept_reads_as_before():
    data = stored(lymphoma(panel(("NPU19814", "IgG", 3.2))), "en")
    for fact in data["facts"]["igg"]:
        del fact["component"], fact["panel"]  # as the service stored a panel's IgG until now
    assert facts_from_json(data["facts"]).igg[0].component == ""
    [row] = [r for r in rows(data, "en") if r[-1] == "Observation/panel"]
    assert row[0] == "IgG result" and "value: 3.2 g/L" in row[2] and "read from" not in row[2], row


def test_the_cards_trace_carries_the_igg_as_before():
    """The component is for the page: the card's machine-readable trace names the IgG with the fields it always had."""
    request = parse_hook_request(request_from_bundle(lymphoma(panel(("NPU19814", "IgG", 3.2)))), "patient-view")
    answer = answer_local(request, RUNTIME, lang="en", today=date.fromisoformat(IN_WINDOW))
    trace = orjson.dumps(answer.cards[0]["extension"]["dk.igsub-cds.trace"]).decode()
    assert '"type":"IgGResult"' in trace and "component" not in trace and "Immunglobuliner" not in trace
