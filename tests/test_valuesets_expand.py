"""`cds-service valuesets expand`: a site refreshes the SNOMED CT expansions from its terminology server."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
import respx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from cds_service.errors import InputError, UpstreamError
from cds_service.tools.cli import main
from cds_service.tools.valuesets_expand import expand_directories, expand_ecl, implicit_value_set, targets_for
from cql_like_rules.valuesets import SHIPPED_DIR, Terminology

from .servers import serve_in_thread

TX = "https://tx.example.org/fhir"
EXPAND = f"{TX}/ValueSet/$expand"
DAY = date(2026, 3, 1)
DK_EDITION = "http://snomed.info/sct/554471000005108/version/20250930"
# the shipped bacterial-infection expression: the kinds not counted (tuberculosis ...) subtracted, sent as written
BACTERIAL_ECL = ("<< 87628006 |Bacterial infectious disease| MINUS (<< 56717001 |Tuberculosis| OR << 186431008 "
                 "|Clostridioides difficile infection| OR << 76272004 |Syphilis| OR << 15628003 |Gonorrhea| OR << 23502006 "
                 "|Lyme disease|)")
PNEUMONIA_ECL = ("<< 233604007 |Pneumonia| MINUS (<< 75570004 |Viral pneumonia| OR << 233613009 |Fungal pneumonia| OR "
                 "<< 56717001 |Tuberculosis|)")
SEPSIS_ECL = "<< 91302008 |Sepsis| MINUS (<< 770349000 |Sepsis caused by virus| OR << 700054008 |Sepsis caused by fungus|)"


def _expansion(concepts: list[tuple[str, str]], total: int, parameter: list | None = None) -> dict:
    return {"resourceType": "ValueSet", "status": "active", "expansion": {
        "timestamp": "2026-03-01T10:00:00Z", "total": total, "parameter": parameter or [],
        "contains": [{"system": "http://snomed.info/sct", "code": c, "display": d} for c, d in concepts]}}


def _site(tmp_path: Path, entries: list[dict]) -> Path:
    """A directory with one value-set file of intensional entries (a site's local file)."""
    local = tmp_path / "site"
    local.mkdir()
    (local / "bacterial-infection.json").write_text(json.dumps({"id": "bacterial-infection", "include": entries}))
    return local


def _offset(request: httpx.Request) -> int:
    return int(request.url.params["offset"])


@respx.mock
def test_expansion_pages_with_offset_and_count_until_the_total():
    pages = {0: [("1000001", "a"), ("1000002", "b")], 2: [("1000003", "c"), ("1000004", "d")], 4: [("1000005", "e")]}
    route = respx.get(EXPAND).mock(side_effect=lambda request: httpx.Response(200, json=_expansion(pages[_offset(request)], 5)))
    with httpx.Client() as client:
        answer = expand_ecl(client, TX, "<< 87628006", page_size=2)
    assert [c["code"] for c in answer.concepts] == ["1000001", "1000002", "1000003", "1000004", "1000005"]
    assert [_offset(call.request) for call in route.calls] == [0, 2, 4]
    first = route.calls[0].request.url.params
    assert first["count"] == "2"
    assert first["url"] == implicit_value_set("<< 87628006") == "http://snomed.info/sct?fhir_vs=ecl/%3C%3C%2087628006"


@respx.mock
def test_a_short_page_ends_the_expansion_when_the_server_gives_no_total():
    answer = _expansion([("1000001", "a")], 0)
    del answer["expansion"]["total"]
    route = respx.get(EXPAND).mock(return_value=httpx.Response(200, json=answer))
    with httpx.Client() as client:
        assert [c["code"] for c in expand_ecl(client, TX, "< 1000000", page_size=2).concepts] == ["1000001"]
    assert route.call_count == 1


@respx.mock
def test_a_server_that_ignores_offset_is_stopped():
    respx.get(EXPAND).mock(return_value=httpx.Response(200, json=_expansion([("1000001", "a"), ("1000002", "b")], 5)))
    with httpx.Client() as client, pytest.raises(UpstreamError, match="same page again"):
        expand_ecl(client, TX, "<< 87628006", page_size=2)


@respx.mock
def test_known_concepts_keep_their_attributes_new_ones_get_the_entrys_and_the_version_is_recorded(tmp_path):
    site = _site(tmp_path, [{"system": "SNOMED", "ecl": "<< 87628006", "display": "Bacterial infectious disease",
                             "source": "shipped", "severe": False, "expansion": {"edition": "old", "contains": [
                                 {"code": "448418006", "display": "old name", "source": "pama", "severe": True, "group": "sepsis"},
                                 {"code": "1000099", "display": "gone", "source": "pama"}]}}])
    respx.get(EXPAND).mock(return_value=httpx.Response(200, json=_expansion(
        [("87628006", "Bacterial infectious disease"), ("448418006", "Sepsis caused by Streptococcus"), ("233607000", "Pneumococcal pneumonia")],
        3, [{"name": "used-codesystem", "valueUri": "http://snomed.info/sct|http://snomed.info/sct/900000000000207008"},
            {"name": "version", "valueUri": DK_EDITION}])))
    out = tmp_path / "out"
    summary = expand_directories(TX, [(site, out)], timeout=5, today=DAY)
    assert "1 new, 1 no longer in it" in summary[0] and summary[-1] == f"wrote {out / 'bacterial-infection.json'}"
    expansion = json.loads((out / "bacterial-infection.json").read_text())["include"][0]["expansion"]
    assert (expansion["edition"], expansion["expanded"], expansion["source"]) == (DK_EDITION, "2026-03-01", TX)
    concepts = {c["code"]: c for c in expansion["contains"]}
    assert set(concepts) == {"448418006", "233607000"}  # the focus is the entry itself; 1000099 is gone
    assert concepts["448418006"]["severe"] is True and concepts["448418006"]["group"] == "sepsis"
    assert concepts["448418006"]["source"] == "pama" and concepts["448418006"]["display"] == "Sepsis caused by Streptococcus"
    assert concepts["233607000"]["severe"] is False and concepts["233607000"]["source"] == TX
    assert DK_EDITION in concepts["233607000"]["hierarchy_source"]
    loaded = Terminology([SHIPPED_DIR, out])  # the written file loads
    assert loaded.lookup("bacterial-infection", "http://snomed.info/sct", "233607000").get("severe") is False


@respx.mock
def test_an_operation_outcome_is_named_and_nothing_is_written(tmp_path):
    site = _site(tmp_path, [{"system": "SNOMED", "ecl": "<< 87628006", "display": "x", "source": "s"},
                            {"system": "SNOMED", "ecl": "<< 118600007", "display": "y", "source": "s"}])
    outcome = {"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": "not-found", "diagnostics": "Unknown code 87628006 in edition 554471000005108"}]}
    respx.get(EXPAND).mock(side_effect=lambda request: httpx.Response(404, json=outcome) if "87628006" in request.url.params["url"]
                           else httpx.Response(200, json=_expansion([("1000001", "a")], 1)))
    out = tmp_path / "out"
    with pytest.raises(UpstreamError) as failed:
        expand_directories(TX, [(site, out)], timeout=5, today=DAY)
    assert failed.value.message == "bacterial-infection.json << 87628006: HTTP 404: Unknown code 87628006 in edition 554471000005108"
    assert not out.exists()


@respx.mock
def test_a_timeout_and_a_non_json_answer_are_named(tmp_path):
    site = _site(tmp_path, [{"system": "SNOMED", "ecl": "<< 87628006", "display": "x", "source": "s"},
                            {"system": "SNOMED", "ecl": "<< 118600007", "display": "y", "source": "s"}])
    def answer(request: httpx.Request) -> httpx.Response:
        if "87628006" in request.url.params["url"]:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(200, text="<html>proxy</html>")

    respx.get(EXPAND).mock(side_effect=answer)
    with pytest.raises(UpstreamError) as failed:
        expand_directories(TX, [(site, tmp_path / "out")], timeout=1.5, today=DAY)
    assert failed.value.message.splitlines() == [
        "bacterial-infection.json << 87628006: no answer within 1.5 s (timeout)",
        "bacterial-infection.json << 118600007: HTTP 200, but the answer is not JSON"]
    assert not (tmp_path / "out").exists()


def _terminology_server(answers: dict[str, list[tuple[str, str]]], calls: list[str]) -> Starlette:
    """A tiny FHIR terminology server: $expand of the implicit ECL value sets it knows, two concepts a page."""

    async def expand(request: Request) -> JSONResponse:
        url = request.query_params["url"]
        calls.append(url)
        ecl = unquote(url.split("fhir_vs=ecl/", 1)[1])
        if ecl not in answers:
            return JSONResponse({"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "invalid", "diagnostics": f"unknown ECL {ecl}"}]}, status_code=400)
        offset, count = int(request.query_params["offset"]), int(request.query_params["count"])
        concepts = answers[ecl]
        return JSONResponse(_expansion(concepts[offset:offset + count], len(concepts),
                                       [{"name": "version", "valueUri": DK_EDITION}]))

    return Starlette(routes=[Route("/fhir/ValueSet/$expand", expand)])


def test_the_command_refreshes_shipped_and_local_files_against_a_real_server(tmp_path, monkeypatch, capsys):
    shipped_ecls = [BACTERIAL_ECL, SEPSIS_ECL, PNEUMONIA_ECL, "<< 118600007", "<< 93143009", "<< 109989006", "<< 409822003",
                    "<< 414561005", "<< 49872002"]
    answers = {ecl: [("1000001", "first"), ("1000002", "second"), ("1000003", "third")] for ecl in shipped_ecls}
    answers["<< 233604007"] = [("1000011", "local child")]
    site = _site(tmp_path, [{"system": "SNOMED", "ecl": "<< 233604007", "display": "Pneumonia", "source": "Hospital X",
                             "severe": False}])
    monkeypatch.setenv("CDS_VALUESET_DIR", str(site))
    monkeypatch.chdir(tmp_path)
    before = {p.name: p.read_bytes() for p in SHIPPED_DIR.glob("*.json")}
    calls: list[str] = []
    with serve_in_thread(_terminology_server(answers, calls)) as base:
        assert main(["valuesets", "expand", "--tx", f"{base}/fhir", "--count", "2"]) == 0
    out = tmp_path / "valuesets-expanded"
    assert sorted(p.name for p in out.glob("*.json")) == ["bacterial-infection.json", "haematological-malignancy.json",
                                                          "infection-other.json", "organism.json"]
    assert [p.name for p in (out / "local").glob("*.json")] == ["bacterial-infection.json"]
    assert len(calls) == 9 * 2 + 1  # three concepts, two a page, for every shipped entry; one page for the local one
    assert {p.name: p.read_bytes() for p in SHIPPED_DIR.glob("*.json")} == before  # the package is untouched
    assert "edition " + DK_EDITION in capsys.readouterr().out
    refreshed = tmp_path / "refreshed"  # what a site gets when it puts the files in place
    shutil.copytree(SHIPPED_DIR, refreshed)
    for path in out.glob("*.json"):
        shutil.copy(path, refreshed / path.name)
    terminology = Terminology([refreshed, out / "local"])
    assert terminology.lookup("organism", "http://snomed.info/sct", "1000002").get("kind") == "bacterial"
    assert terminology.lookup("bacterial-infection", "http://snomed.info/sct", "1000011") is not None
    assert terminology.lookup("bacterial-infection", "http://snomed.info/sct", "233607000") is None  # not in the server's answer
    assert terminology.lookup("bacterial-infection", "http://snomed.info/sct", "91302008").get("severe") is True  # the focus
    # a pneumonia below 233604007 the server names is one coded without its organism, at its site
    assert terminology.lookup("infection-other", "http://snomed.info/sct", "1000003").get("organism") == "unspecified"
    assert terminology.lookup("infection-other", "http://snomed.info/sct", "1000003").get("site") == "respiratory"


def test_the_command_exits_2_and_writes_nothing_when_an_entry_fails(tmp_path, monkeypatch, capsys):
    answers = {BACTERIAL_ECL: [("1000001", "first")], SEPSIS_ECL: [("1000002", "second")]}  # any other ECL: 400
    monkeypatch.delenv("CDS_VALUESET_DIR", raising=False)
    with serve_in_thread(_terminology_server(answers, [])) as base:
        assert main(["valuesets", "expand", "--tx", f"{base}/fhir", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "organism.json << 409822003: HTTP 400: unknown ECL << 409822003" in err
    assert "nothing was written" in err and "bacterial-infection.json" not in err
    assert not (tmp_path / "out").exists()


def test_only_naming_the_package_directory_updates_files_in_place(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert targets_for(None, None) == [(SHIPPED_DIR, tmp_path / "valuesets-expanded")]
    assert targets_for(tmp_path / "x", "/site") == [(SHIPPED_DIR, tmp_path / "x"), (Path("/site"), tmp_path / "x" / "local")]
    assert targets_for(SHIPPED_DIR, "/site") == [(SHIPPED_DIR, SHIPPED_DIR), (Path("/site"), Path("/site"))]


def test_value_sets_that_would_not_load_are_refused_before_any_request(tmp_path):
    site = _site(tmp_path, [{"system": "SNOMED", "ecl": "<< 87628006 OR << 1000001", "display": "x", "source": "s"}])
    with respx.mock:  # no route: any request would fail the test
        with pytest.raises(InputError, match="bacterial-infection.json: entry << 87628006 OR << 1000001: unsupported ECL"):
            expand_directories(TX, [(site, tmp_path / "out")], timeout=5, today=DAY)
    with pytest.raises(InputError, match="not an http"):
        expand_directories("tx.example.org", [(site, tmp_path / "out")], timeout=5, today=DAY)
    assert not (tmp_path / "out").exists()


@respx.mock
def test_new_sepsis_concepts_are_severe_bacterial_and_viral_sepsis_stays_subtracted(tmp_path):
    """The server evaluates the MINUS: a new bacterial sepsis concept comes in severe; one it should have subtracted is refused."""
    site = _site(tmp_path, [{"system": "SNOMED", "ecl": SEPSIS_ECL, "display": "Sepsis", "source": "shipped",
                             "severe": True, "group": "sepsis", "expansion": {"contains": [
                                 {"code": "10001005", "display": "Bacterial sepsis", "source": "pama"}]}}])
    route = respx.get(EXPAND).mock(return_value=httpx.Response(200, json=_expansion(
        [("91302008", "Sepsis"), ("10001005", "Bacterial sepsis"), ("1000041", "Sepsis caused by a new bacterium")], 3)))
    out = tmp_path / "out"
    expand_directories(TX, [(site, out)], timeout=5, today=DAY)
    assert unquote(route.calls[0].request.url.params["url"]).endswith(f"fhir_vs=ecl/{SEPSIS_ECL}")  # MINUS sent as written
    loaded = Terminology([SHIPPED_DIR, out])
    new = loaded.lookup("bacterial-infection", "http://snomed.info/sct", "1000041")
    assert new.get("severe") is True and new.get("group") == "sepsis"
    assert loaded.lookup("bacterial-infection", "http://snomed.info/sct", "770349000") is None
    respx.get(EXPAND).mock(return_value=httpx.Response(200, json=_expansion(
        [("91302008", "Sepsis"), ("770349000", "Sepsis caused by virus")], 2)))
    with pytest.raises(UpstreamError, match="770349000, which the expression subtracts"):
        expand_directories(TX, [(site, tmp_path / "again")], timeout=5, today=DAY)
    assert not (tmp_path / "again").exists()
