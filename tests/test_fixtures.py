"""Every fixture bundle, replayed through the pipeline and over a real HTTP server, gives its expected cards.

And every card is one a clinician reads in ten seconds: a summary under 140 characters, a
detail of at most 700, no resource ids or internal definition names in the prose, Danish
throughout in Danish, and the full reasoning in the trace extension.
"""

from __future__ import annotations

import re

import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class

from cds_service.http.app import create_app
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.bundle_sets import Expectation, check
from cds_service.tools.replay import replay, request_from_bundle
from cql_like_rules import MEDICINRAADET_2025

from .fixtures import load_fixtures
from .servers import SettableClock, serve_in_thread

FIXTURES = load_fixtures()
IDS = [f.name for f in FIXTURES]
RUNTIME = load_runtime(Settings())
DEFINITIONS = set(MEDICINRAADET_2025.library.definitions)
ENGLISH_ONLY = ("To do", "High-risk window", "Note:", "since", " on 20")


# A FHIR reference anywhere in a detail (`Observation/o-1`, `MedicationRequest/mr\-x` escaped, `urn:uuid:`).
# Only FHIR resource types: card prose says "Severe/recurrent", which is no reference.
RESOURCE_ID = re.compile(r"\b(?:Patient|Observation|Condition|Procedure|Medication(?:Request|Administration|Statement)?|"
                         r"ServiceRequest|DiagnosticReport|Encounter|Specimen)/[A-Za-z0-9\\]|urn\\?:uuid")


def empty_json(value: object, path: str = "card"):
    """Where `value` holds a JSON value CDS Hooks forbids ("SHALL NOT be null or empty": null, "", [], {})."""
    if value is None or value == "" or value == [] or value == {}:
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from empty_json(item, f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from empty_json(item, f"{path}[{n}]")


def check_cards(fixture, cards: list[dict], lang: str = "en") -> None:
    expectation = Expectation(fixture.at, fixture.expected, fixture.summary_contains if lang == "en" else {},
                              fixture.detail_contains if lang == "en" else {}, fixture.evidence)
    assert check(cards, expectation) == []
    for card in cards:
        assert card["source"]["topic"]["system"] == "urn:igsub-cds:advice-code"
        assert len(card["summary"]) < 140, card["summary"]
        assert len(card["detail"]) <= 700, (len(card["detail"]), card["detail"])
        for field in ("summary", "detail"):
            assert "{" not in card[field] and "?" not in card[field].replace("?)", ""), card[field]
        assert not RESOURCE_ID.search(card["detail"]), card["detail"]  # items are named, not referenced
        assert not any(f"`{name}`" in card["detail"] for name in DEFINITIONS), "no internal definition names"
        assert card["uuid"] and card["indicator"] in ("info", "warning")
        assert card["extension"]["dk.igsub-cds.ruleset"].startswith("medicinraadet-2025-1.1.1+")
        trace = card["extension"]["dk.igsub-cds.trace"]
        # every step names its definition; a value and references only where there are some (CDS Hooks: no null or
        # empty JSON value anywhere in a card, its extensions included)
        assert trace and all({"name"} <= set(step) <= {"name", "value", "references"} for step in trace)
        assert not any(v is None or v in ("", [], {}) for step in trace for v in step.values())
        assert {step["name"] for step in trace} <= DEFINITIONS
        assert all(v not in (None, "", [], {}) for v in card.values()), "empty fields are not allowed"
        assert not list(empty_json(card)), list(empty_json(card))[:5]  # nor anywhere inside: extensions, values
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
        if lang == "da":
            assert "**Gør:**" in card["detail"] and "Medicinrådet 2025 §" in card["detail"]
            assert not any(word in card["detail"] or word in card["summary"] for word in ENGLISH_ONLY), card
        else:
            assert "**To do:**" in card["detail"]


@pytest.mark.parametrize("fixture", FIXTURES, ids=IDS)
def test_every_fixture_says_when_it_was_assembled(fixture):
    """A Bundle's `timestamp` is when the chart was put together: the properties test replays each fixture at days
    around it, and one bundle without it failed that test only when the random draw picked it."""
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T.+", str(fixture.bundle.get("timestamp", ""))), fixture.name


@pytest.mark.parametrize("fixture", FIXTURES, ids=IDS)
def test_replay_in_process(fixture):
    answered = replay(RUNTIME, fixture.bundle, at=fixture.at)
    check_cards(fixture, answered.cards)


@pytest.mark.parametrize("fixture", FIXTURES, ids=IDS)
def test_danish_cards_carry_the_same_advice_in_danish(fixture):
    answered = replay(RUNTIME, fixture.bundle, lang="da", at=fixture.at)
    check_cards(fixture, answered.cards, "da")


@pytest.fixture(scope="module")
def live_server(tmp_path_factory):
    clock = SettableClock()
    settings = Settings(data_dir=str(tmp_path_factory.mktemp("fixtures-data")))
    with serve_in_thread(create_app(settings, clock=clock)) as base:
        yield base, clock


@pytest.mark.parametrize("fixture", FIXTURES, ids=IDS)
def test_over_real_http_server(fixture, live_server):
    base, clock = live_server
    clock.set(fixture.at)
    response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=request_from_bundle(fixture.bundle), timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    check_cards(fixture, response.json()["cards"])
