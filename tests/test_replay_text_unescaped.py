"""`cds-service replay`'s readable output shows a card's detail as a reader of the card sees it: EHR text with
markdown characters reads as sent ("*sc*", not "\\*sc\\*"). The JSON output (what the EHR gets) keeps the escapes,
which its markdown renderer reads; a number's "." needs none ("(reported 0.35 g/dL)", not "0\\.35").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cds_service.cards.markdown import escape, unescape
from markdown_it import MarkdownIt
from cds_service.tools import cli
from tests.test_acceptance_stop import SUBJECT, bundle, car_t, igg

NAME = "Privigen *sc* _x_ [y] #2 \\ a&b"  # markdown characters the detail escapes, as the EHR sent them


def chart(path: Path) -> str:
    """CAR-T 2026-01-10, IgG 0.35 g/dL on 2026-03-05, and an order of a drug with an unknown code named `NAME`."""
    low = igg("igg-gdl", "2026-03-05", 0.35)
    low["valueQuantity"] = {"value": 0.35, "unit": "g/dL", "system": "http://unitsofmeasure.org", "code": "g/dL"}
    odd: dict[str, Any] = {"resourceType": "MedicationRequest", "id": "mr-odd", "status": "active", "intent": "order",
                           "subject": SUBJECT, "authoredOn": "2026-03-01",
                           "medicationCodeableConcept": {"coding": [{"system": "urn:x-local", "code": "X1",
                                                                     "display": NAME}]}}
    path.write_text(json.dumps(bundle(car_t("2026-01-10"), low, odd)))
    return str(path)


@pytest.mark.parametrize("lang,reported", [("en", "(reported 0.35 g/dL)"), ("da", "(svaret 0.35 g/dL)")])
def test_replay_text_shows_the_detail_unescaped(tmp_path: Path, capsys: pytest.CaptureFixture[str], lang: str,
                                                reported: str) -> None:
    assert cli.main(["replay", chart(tmp_path / "b.json"), "--at", "2026-03-11", "--lang", lang]) == 0
    out = capsys.readouterr().out
    detail = out.split("\n\n", 2)[2].split("\n\nDat")[0]  # the card's detail: past its summary, before the data notes
    assert reported in detail
    assert f"“{NAME}”" in detail
    assert "\\." not in out and "\\*" not in out and "&amp;" not in out


def test_replay_json_keeps_the_markdown_escapes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["replay", chart(tmp_path / "b.json"), "--at", "2026-03-11", "--json"]) == 0
    detail = json.loads(capsys.readouterr().out)["cards"][0]["detail"]
    assert "(reported 0.35 g/dL)" in detail and "\\*sc\\*" in detail and "a&amp;b" in detail


@pytest.mark.parametrize("text", [NAME, "0.35 g/dL", "&lt; stays", "a\\.b", "`x` ~y~ !z | {w} @v"])
def test_unescape_reads_back_what_escape_wrote(text: str) -> None:
    assert unescape(escape(text, 200)) == text


@pytest.mark.parametrize("text, shown", [
    ("IgG -3.1 g/L", "IgG -3.1 g/L"), ("urn:oid:1.2.208.176", "urn\\:oid\\:1.2.208.176"), ("kl. 12:30", "kl\\. 12:30"),
    ("www.evil.example", "www\\.evil\\.example"), ("a@b.dk", "a\\@b\\.dk"), ("5.", "5\\."), (".5", "\\.5"),
    ("[x](javascript:1.2)", "\\[x\\]\\(javascript\\:1.2\\)"), ("//10.0.0.1:8080/a", "/\\/10.0.0.1:8080/a"),
    ("//localhost/x", "/\\/localhost/x"), ("http://10.0.0.1:8080/x", "http\\://10.0.0.1:8080/x")])
def test_a_number_keeps_its_point_while_links_stay_inert(text: str, shown: str) -> None:
    """A lab's "-3.1 g/L" read "-3\\.1 g/L" in an EHR showing the detail as plain text. A "." or ":" between two digits
    starts no autolink (GFM's need "www.", a scheme or "@") and, inline, no list: it is written as sent; every other
    one is still escaped, and so is a "/" after a "/" (a protocol-relative "//10.0.0.1:8080" is a link to linkify-it)."""
    assert escape(text, 200) == shown and unescape(shown) == text
    assert "<a" not in MarkdownIt("gfm-like").renderInline(shown)  # an EHR's GFM renderer, linkify on
