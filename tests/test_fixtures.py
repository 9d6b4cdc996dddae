"""Every fixture bundle, replayed in process and over a real HTTP server, gives its expected cards."""

from __future__ import annotations


import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class

from cds_service.http.app import create_app
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.tools.replay import replay, request_from_bundle

from .environment import tmp_settings
from .fixtures import load_fixtures
from .servers import SettableClock, serve_in_thread

FIXTURES = load_fixtures()
IDS = [f.name for f in FIXTURES]


def check_cards(fixture, body: dict) -> None:
    cards = body["cards"]
    assert sorted(c["source"]["topic"]["code"] for c in cards) == sorted(fixture.expected)
    for card in cards:
        code = card["source"]["topic"]["code"]
        assert card["source"]["topic"]["system"] == "urn:igsub-cds:advice-code"
        assert len(card["summary"]) < 140, card["summary"]
        for text in fixture.summary_contains.get(code, []):
            assert text in card["summary"], (text, card["summary"])
        for text in fixture.detail_contains.get(code, []):
            assert text in card["detail"], text
        assert card["uuid"] and card["indicator"] in ("info", "warning")
        assert "Rule set: `medicinraadet-2025-1.0+" in card["detail"]
        assert all(v not in (None, "", [], {}) for v in card.values()), "empty fields are not allowed"
        if card.get("suggestions"):
            assert card["selectionBehavior"] == "at-most-one"
        for suggestion in card.get("suggestions", []):
            assert suggestion["uuid"] and suggestion["label"]
            for action in suggestion["actions"]:
                resource = action["resource"]
                get_fhir_model_class(resource["resourceType"]).model_validate(resource)  # valid FHIR R4
                assert action["description"]
                if action["type"] == "create":
                    assert resource["status"] == "draft"
        for reason in card.get("overrideReasons", []):
            assert reason["display"] and reason["code"] and reason["system"]


@pytest.mark.parametrize("fixture", FIXTURES, ids=IDS)
def test_replay_in_process(fixture):
    app = create_app(tmp_settings(evaluation_date=fixture.at))
    status, body = replay(app, fixture.bundle)
    assert status == 200, body
    check_cards(fixture, body)


@pytest.mark.parametrize("fixture", FIXTURES, ids=IDS)
def test_danish_cards_carry_the_same_advice(fixture):
    app = create_app(tmp_settings(evaluation_date=fixture.at))
    status, body = replay(app, fixture.bundle, lang="da")
    assert status == 200
    assert sorted(c["source"]["topic"]["code"] for c in body["cards"]) == sorted(fixture.expected)
    for card in body["cards"]:
        assert len(card["summary"]) < 140
        assert "Regelsæt" in card["detail"] and "Anvendte data" in card["detail"]


@pytest.fixture(scope="module")
def live_server():
    clock = SettableClock()
    with serve_in_thread(create_app(tmp_settings(), clock=clock)) as base:
        yield base, clock


@pytest.mark.parametrize("fixture", FIXTURES, ids=IDS)
def test_over_real_http_server(fixture, live_server):
    base, clock = live_server
    clock.set(fixture.at)
    response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=request_from_bundle(fixture.bundle), timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    check_cards(fixture, response.json())
