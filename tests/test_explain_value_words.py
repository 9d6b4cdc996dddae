"""The explanation page writes the service's own codes among the values behind a card in words, its code below.

The values table showed 'kind of index event: bsab' ('type af indekshændelse: bsab' on the Danish page) and
'reason: before-t0': codes of the service, not words a clinician reads. They are now 'bispecific antibody' /
'bispecifikt antistof' and the card's own 'substitution began before CAR-T', the code kept below as a value's
technical name is kept below its label."""

from __future__ import annotations

import html
import json
import re
import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import orjson
import pytest

from cds_service.fhir.request import parse_hook_request
from cds_service.http.explain_page import render_page
from cds_service.pipeline import answer_local
from cds_service.records.snapshot import Snapshot, payload, read_payload
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import request_from_bundle

RUNTIME = load_runtime(Settings())
NOW = datetime(2026, 2, 20, 11, 30, tzinfo=timezone.utc)
FIXTURES = Path(__file__).resolve().parent.parent / "fhir_fixtures"


def values_rows(fixture: str, at: date, lang: str) -> dict[str, tuple[str, str]]:
    """The values behind the fixture's first card: technical name -> (the cell as read, the code below it)."""
    bundle = json.loads((FIXTURES / f"{fixture}.json").read_text())
    answer = answer_local(parse_hook_request(request_from_bundle(bundle), "patient-view"), RUNTIME, lang=lang, today=at)
    data = read_payload(orjson.loads(orjson.dumps(payload(answer, 0, RUNTIME.ruleset))))
    assert data is not None
    page = render_page(Snapshot(str(uuid.uuid4()), NOW, NOW, lang, data), RUNTIME.terminology)
    [values] = re.findall(r'<table id="decision">.*?<details><summary>[^<]*</summary><table>(.*?)</table>', page, re.S)
    rows = {}
    for th, td in re.findall(r"<tr><th>(.*?)</th><td>(.*?)</td></tr>", values, re.S):
        [key] = re.findall(r'<code class="key">(.*?)</code>', th)
        code = re.findall(r'<code class="key">(.*?)</code>', td)
        words = html.unescape(re.sub(r"<br><code.*?</code>", "", td))
        rows[key] = (words, code[0] if code else "")
    return rows


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
