"""What every card says, whatever the advice: the prevention reminder, and EHR text kept inert.

Text from the request (ids, displays, free texts, product names, codes and code systems) must
never become markup in a card: the test renders every card's detail as an EHR with raw HTML
and GFM autolinks would (bare `www.`, `https://` and e-mail text become links there) and finds
no link, image, HTML, heading, emphasis or code that the data could have put there.
"""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest
from markdown_it import MarkdownIt

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import load_drafts, replay
from cql_like_rules.catalogue import REMINDER

from .fixtures import FIXTURES, load_fixtures

RUNTIME = load_runtime(Settings())
WITH_CARDS = [f for f in load_fixtures() if f.expected]
# CommonMark with raw HTML, GFM tables, strikethrough and autolinks (linkify-it-py): the most
# permissive renderer an EHR is likely to use for a card's detail.
RENDER = MarkdownIt("commonmark", {"linkify": True}).enable(["linkify", "strikethrough", "table"])


@pytest.mark.parametrize("fixture", WITH_CARDS, ids=[f.name for f in WITH_CARDS])
def test_every_card_reminds_of_vaccination_and_prophylaxis(fixture):
    for lang in ("en", "da"):
        found = replay(RUNTIME, fixture.bundle, lang=lang, at=fixture.at).cards
        assert found, fixture.name
        for card in found:
            assert REMINDER(lang) in card["detail"], (fixture.name, lang, card["source"]["topic"]["code"])


def test_the_no_start_card_names_prophylaxis_after_a_stop():
    bundle = json.loads((FIXTURES / "cart-restart-in-window-after-stopped-course.json").read_text())
    at = date(2026, 2, 23)
    [english] = replay(RUNTIME, bundle, at=at).cards
    [danish] = replay(RUNTIME, bundle, lang="da", at=at).cards
    assert english["source"]["topic"]["code"] == danish["source"]["topic"]["code"] == "no-start-without-infections"
    assert "after a stop, antibiotic prophylaxis can be tried" in english["detail"]
    assert "efter seponering, kan antibiotikaprofylakse forsøges" in danish["detail"]


HOSTILE = ("<img src=x onerror=alert(1)> [Click here](javascript:alert(1)) ![i](https://evil.example/i.png) "
           "**BOLD** _em_ `code` ~~strike~~ <script>x</script> www.evil.com https://evil.example/x mail@evil.dk evil.dk"
           "\n\n# Heading\n- item")


def _poison(value: object) -> object:
    """Every display and text in a resource replaced by hostile markup (codes untouched)."""
    if isinstance(value, dict):
        return {k: (HOSTILE if k in ("display", "text") and isinstance(v, str) else _poison(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_poison(v) for v in value]
    return value


def _active_markup(detail: str) -> list[str]:
    html = RENDER.render(detail)
    found = [tag for tag in ("<a ", "<img", "<script", "<h1", "<h2", "<code>", "<s>", "<del>", "<table")
             if tag in html]
    data_emphasis = [word for word in ("<strong>BOLD", "<em>em") if word in html]
    return found + data_emphasis


@pytest.mark.parametrize("name, at, lang", [
    ("cart-in-window-igg-low", date(2026, 1, 20), "en"),
    ("wrong-patient-observation-dropped", date(2026, 2, 23), "da"),
    ("cart-after-window-recurrent-pneumonia-fresh-igg", date(2026, 2, 3), "en"),
])
def test_ehr_text_in_every_field_stays_inert(name, at, lang):
    bundle = _poison(json.loads((FIXTURES / f"{name}.json").read_text()))
    extra = copy.deepcopy(next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"))
    extra["resource"]["id"] = "x)[y](javascript:alert(1)"  # an id is shown in data notes
    extra["resource"]["valueQuantity"] = {"value": 2.0, "unit": HOSTILE, "code": HOSTILE}  # unusable: named
    bundle["entry"].append(extra)
    unknown = {"resource": {"resourceType": "Condition", "id": "c-hostile", "subject": extra["resource"]["subject"],
                            "verificationStatus": {"coding": [{"code": "confirmed"}]}, "onsetDateTime": at.isoformat(),
                            "code": {"text": "lymfom " + HOSTILE, "coding": [{"system": "urn:local", "code": "L1"}]}}}
    bundle["entry"].append(unknown)
    answered = replay(RUNTIME, bundle, lang=lang, at=at)
    assert answered.cards, "the fixture still gives a card"
    for card in answered.cards:
        assert _active_markup(card["detail"]) == [], card["detail"]
        for field in [card["summary"], *(s["label"] for s in card.get("suggestions", [])),
                      *(r["display"] for r in card.get("overrideReasons", [])),
                      *(a["description"] for s in card.get("suggestions", []) for a in s["actions"])]:
            for markup in ("<img", "<script", "](", "![", "**BOLD", "\n"):
                assert markup not in field, (markup, field)


def test_a_draft_orders_texts_stay_inert_on_order_sign():
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    drafts = [_poison(d) for d in load_drafts([str(FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json")])]
    drafts[0]["note"] = [{"text": HOSTILE}]
    answered = replay(RUNTIME, bundle, hook="order-sign", drafts=drafts, at=date(2026, 1, 20))
    assert [c["source"]["topic"]["code"] for c in answered.cards] == ["order-meets-criteria"]
    for card in answered.cards:
        assert _active_markup(card["detail"]) == []
        for suggestion in card.get("suggestions", []):
            for action in suggestion["actions"]:
                assert "](" not in action["description"]


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("code, system", [("www.evil.com", "https://evil.example/x"), ("x@evil.dk", "urn:a"),
                                          ("evil.dk", "http://evil.dk/codes")])
def test_an_unknown_order_code_and_its_system_show_as_text_not_links(code, system, lang):
    """The code and system of an unrecognised draft are named in the detail, where an EHR could autolink them."""
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())
    draft = {"resourceType": "MedicationRequest", "id": "d1", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/pt-dk-0001"},
             "medicationCodeableConcept": {"text": "Privigen www.evil.com", "coding": [{"system": system, "code": code}]}}
    [card] = replay(RUNTIME, bundle, hook="order-sign", drafts=[draft], at=date(2026, 1, 20), lang=lang).cards
    assert card["source"]["topic"]["code"] == "order-not-recognised"
    html = RENDER.render(card["detail"])
    assert _active_markup(card["detail"]) == [], html
    assert code in html and system in html, html  # shown, as text: the clinician can pass it on
    assert code in card["summary"] and "\\" not in card["summary"]  # the summary is plain text, unescaped


def test_the_suggested_igg_order_is_named_in_the_cards_language():
    bundle = json.loads((FIXTURES / "igg-negative-value-not-used-measure-igg.json").read_text())
    danish_name = next(e.display_da for e in RUNTIME.terminology.valuesets["igg-serum"].entries
                       if e.get("orderable") and e.display_da)
    texts = {}
    for lang in ("en", "da"):
        [card] = replay(RUNTIME, bundle, lang=lang, at=date(2026, 1, 20)).cards
        [order] = [a["resource"] for s in card["suggestions"] for a in s["actions"]
                   if a["resource"]["resourceType"] == "ServiceRequest"]
        texts[lang] = order["code"]["text"]
    assert texts == {"en": "IgG, serum/plasma", "da": danish_name}
