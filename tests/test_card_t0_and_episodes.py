"""What a clinician acts on is on the card: T0 in the summary where the decision counts from it (§6), and every
episode of severe or recurrent infection a decision rests on counted and dated in its facts (§8)."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())


def _bundle(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def _ivig_for(bundle: dict, start: str | None = None) -> dict:
    draft = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
    patient = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    draft["subject"] = {"reference": f"Patient/{patient}"}
    return draft


def _card(cards: list[dict], code: str) -> dict:
    [found] = [c for c in cards if c["source"]["topic"]["code"] == code]
    return found


@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_order_in_the_window_names_t0_in_its_summary(lang):
    # CAR-T 2025-11-18, IgG 3.2 g/L on 2026-01-13, an IVIG order drafted 2026-01-20: it meets the start criterion
    # because it starts within 6 months of the infusion, and ends on the stop date 2026-05-18 counted from it. The
    # summary gave the IgG and the stop date, not the infusion the window runs from.
    bundle = _bundle("cart-in-window-igg-low")
    cards = replay(RUNTIME, bundle, lang=lang, hook="order-sign", drafts=[_ivig_for(bundle)], at=date(2026, 1, 20)).cards
    card = _card(cards, "order-meets-criteria")
    assert "CAR-T 2025-11-18" in card["summary"] and "2026-05-18" in card["summary"], card["summary"]
    assert len(card["summary"]) < 140


@pytest.mark.parametrize("lang, says", [("en", "does not meet the start criterion after CAR-T "),
                                        ("da", "opfylder ikke startkriteriet efter CAR-T ")])
def test_an_order_in_the_window_whose_igg_is_not_low_names_t0_in_its_summary(lang, says):
    # IgG 7.5 g/L inside the window: the order fails the window's start criterion, counted from the infusion; the
    # summary said "does not meet the criteria" with no T0 to tell the window from the general criteria.
    bundle = _bundle("cart-in-window-igg-7-5-fresh")
    at = date.fromisoformat(json.loads((FIXTURES / "cart-in-window-igg-7-5-fresh.expect.json").read_text())["at"])
    answer = replay(RUNTIME, bundle, lang=lang, hook="order-sign", drafts=[_ivig_for(bundle)], at=at)
    card = _card(answer.cards, "order-does-not-meet-criteria")
    assert says in card["summary"] and len(card["summary"]) < 140, card["summary"]
    assert [a.variant for a in answer.advice if a.code == "order-does-not-meet-criteria"] == ["window"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_general_stop_review_names_t0_in_its_summary(lang):
    # IVIG since 2025-10-27 after a sepsis, CAR-T 2025-09-15: the general stop criteria apply because of when
    # substitution began against T0, and the review date is never before the window's end; the summary gave neither.
    bundle = _bundle("cart-ig-started-after-sepsis-general-stop-review")
    [card] = replay(RUNTIME, bundle, lang=lang, at=date(2026, 1, 12)).cards
    assert card["source"]["topic"]["code"] == "general-stop-review"
    assert "(CAR-T 2025-09-15)" in card["summary"] and len(card["summary"]) < 140, card["summary"]


def _with_earlier_infections(bundle: dict, onsets: list[str], code: dict | None = None) -> dict:
    """The bundle with copies of its sepsis diagnosis at earlier onsets (or another diagnosis `code`)."""
    out = copy.deepcopy(bundle)
    [sepsis] = [e for e in out["entry"] if e["resource"]["resourceType"] == "Condition"
                and e["resource"]["code"]["coding"][0]["code"] == "A419"]
    for n, onset in enumerate(onsets):
        entry = copy.deepcopy(sepsis)
        entry["resource"]["id"] = f"{sepsis['resource']['id']}-earlier-{n}"
        entry["resource"]["onsetDateTime"] = onset
        if code is not None:
            entry["resource"]["code"] = {"coding": [code], "text": code["display"]}
        if "fullUrl" in entry:
            entry["fullUrl"] = entry["fullUrl"].rsplit("/", 1)[0] + "/" + entry["resource"]["id"]
        out["entry"].append(entry)
    return out


SEPSIS = "sepsis-icd10-without-dot-after-window-general-criteria-met"  # sepsis 2026-05-20, IgG 3.4, after the window
PNEUMONIA = {"system": "http://hl7.org/fhir/sid/icd-10", "code": "J15.9", "display": "Bacterial pneumonia, unspecified"}


@pytest.mark.parametrize("lang, line", [
    ("en", "Severe bacterial infections 2025-09-02, 2026-01-14, 2026-05-20: sepsis (3 episodes)"),
    ("da", "Svære bakterielle infektioner 2025-09-02, 2026-01-14, 2026-05-20: sepsis (3 episoder)"),
])
def test_three_severe_episodes_read_as_three(lang, line):
    # Three sepsis episodes months apart, after the window: the latest alone meets the general criteria, and the
    # card's facts named only it, as if there had been one.
    bundle = _with_earlier_infections(_bundle(SEPSIS), ["2025-09-02", "2026-01-14"])
    [card] = replay(RUNTIME, bundle, lang=lang, at=date(2026, 6, 15)).cards
    assert card["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert line in card["detail"] and len(card["detail"]) <= 700, card["detail"]


@pytest.mark.parametrize("lang, line", [
    ("en", "Severe bacterial infection 2026-05-20 among the episodes 2025-12-01 pneumonia, 2026-03-03 "
            "pneumonia, 2026-05-20 sepsis (the latest 3 of 4 episodes)"),
    ("da", "Svær bakteriel infektion 2026-05-20 blandt episoderne 2025-12-01 pneumoni, 2026-03-03 "
            "pneumoni, 2026-05-20 sepsis (de seneste 3 af 4 episoder)"),
])
def test_a_severe_episode_among_pneumonias_says_how_many_and_the_latest_dates(lang, line):
    bundle = _with_earlier_infections(_bundle(SEPSIS), ["2025-08-10", "2025-12-01", "2026-03-03"], PNEUMONIA)
    [card] = replay(RUNTIME, bundle, lang=lang, at=date(2026, 6, 15)).cards
    assert card["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert line in card["detail"] and len(card["detail"]) <= 700, card["detail"]


@pytest.mark.parametrize("lang, line", [
    ("en", "Recurrent bacterial infections 2026-04-01, 2026-05-20: pneumonia (2 episodes)"),
    ("da", "Tilbagevendende bakterielle infektioner 2026-04-01, 2026-05-20: pneumoni (2 episoder)"),
])
def test_recurrent_episodes_are_counted(lang, line):
    bundle = _with_earlier_infections(_bundle(SEPSIS), ["2026-04-01"], PNEUMONIA)
    for entry in bundle["entry"]:  # the sepsis a pneumonia too: two episodes, neither severe
        if entry["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "A419":
            entry["resource"]["code"] = {"coding": [PNEUMONIA], "text": PNEUMONIA["display"]}
    [card] = replay(RUNTIME, bundle, lang=lang, at=date(2026, 6, 15)).cards
    assert card["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert line in card["detail"], card["detail"]


@pytest.mark.parametrize("lang, line, note", [
    ("en", "Severe bacterial infections 2026-02-01, 2026-03-15: sepsis (2 episodes)", "weigh them at the stop attempt"),
    ("da", "Svære bakterielle infektioner 2026-02-01, 2026-03-15: sepsis (2 episoder)", "vurdér dem ved seponeringsforsøg"),
])
def test_the_stop_attempt_weighs_every_severe_episode(lang, line, note):
    # IVIG from 2025-12-01, then sepsis 2026-02-01 and sepsis 2026-03-15: the stop-due card's facts and its note
    # named only 2026-03-15, as though there had been one infection to weigh at the stop attempt (§4.3). The note
    # leaves the dates to the fact line, so the Danish card keeps its reminder within 700 characters.
    bundle = _bundle("ivig-window-infections-after-start-stop-due-infections-named")
    [card] = replay(RUNTIME, bundle, lang=lang, at=date(2026, 4, 25)).cards
    assert card["source"]["topic"]["code"] == "stop-due-soon"
    assert line in card["detail"] and note in card["detail"] and len(card["detail"]) <= 700, card["detail"]
    assert ("(§4.1)" in card["detail"]) and card["detail"].count("2026-03-15") == 1, card["detail"]
