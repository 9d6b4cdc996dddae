"""What every card says, whatever the advice: the prevention reminder, and EHR text kept literal."""

from __future__ import annotations

import copy
import json

import pytest

from cds_service.http.app import create_app
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES, load_fixtures

WITH_CARDS = [f for f in load_fixtures() if f.expected]
REMINDER = {
    "en": "Vaccination and antibiotic prophylaxis are central in preventing infections (§4.1).",
    "da": "Vaccination og antibiotikaprofylakse er centrale i forebyggelsen af infektioner (§4.1).",
}


def cards(bundle: dict, at, lang: str = "en") -> list[dict]:
    status, body = replay(create_app(Settings(evaluation_date=at), record_cards=False), bundle, lang=lang)
    assert status == 200, body
    return body["cards"]


@pytest.mark.parametrize("fixture", WITH_CARDS, ids=[f.name for f in WITH_CARDS])
def test_every_card_reminds_of_vaccination_and_prophylaxis(fixture):
    for lang in ("en", "da"):
        found = cards(fixture.bundle, fixture.at, lang)
        assert found, fixture.name
        for card in found:
            assert REMINDER[lang] in card["detail"], (fixture.name, lang, card["source"]["topic"]["code"])


def test_the_no_start_card_names_prophylaxis_after_a_stop():
    bundle = json.loads((FIXTURES / "cart-restart-in-window-after-stopped-course.json").read_text())
    from datetime import date

    at = date(2026, 2, 23)
    [english] = cards(bundle, at, "en")
    [danish] = cards(bundle, at, "da")
    assert english["source"]["topic"]["code"] == danish["source"]["topic"]["code"] == "no-start-without-infections"
    assert "after a stop, antibiotic prophylaxis can be tried" in english["detail"]
    assert "efter seponering kan antibiotikaprofylakse afprøves" in danish["detail"]


INJECTED = "Yescarta\n\n# Stop substitution now <img src=x onerror=alert(1)> [Click here](https://evil.example) **IgG 12 g/L** ~~start~~"


def test_text_from_the_ehr_cannot_add_markdown_to_a_card():
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] == "Procedure":
            for coding in resource["code"]["coding"]:
                coding["display"] = INJECTED
    bad = copy.deepcopy(next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"))
    bad["resource"]["id"] = "obs-x`](https://evil.example)"
    bad["resource"]["valueQuantity"] = {"value": 2.0, "unit": "g/L **12** [x](https://evil.example)",
                                     "code": "g/L **12** [x](https://evil.example)"}
    bundle["entry"].append(bad)
    from datetime import date

    [card] = cards(bundle, date(2026, 1, 20))
    detail = card["detail"]
    assert card["source"]["topic"]["code"] == "start-substitution"  # the display text changes nothing clinical
    assert "Yescarta" in detail and "Click here" in detail  # shown, as text
    for markup in ("[Click here](https", "[x](https", "**IgG 12", "**12**", "~~start", "\n# Stop"):
        assert markup not in detail, markup
    assert "<img" not in detail.replace("\\<img", "")  # only as escaped text
    assert "`Observation/obs-x'](https://evil.example)`" in detail  # a backtick cannot end the code span
    # every line of the detail is one of ours: no line starts with text from the data
    assert not any(line.startswith(("# ", "<", "Stop substitution")) for line in detail.splitlines())
