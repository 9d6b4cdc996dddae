"""A draft order that starts after the high-risk window, on a day the window still runs, and fails the general
criteria: its summary leads with the general criteria not met, naming the one a clinician can act on.

Before, the summary said "it starts 2026-05-19, on or after the stop date 2026-05-18 (+1 more)": the decisive reason
(no severe/recurrent verified bacterial infection, the general criteria that apply from the stop date, §4.1, §4.3)
was only in the detail.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.tools.answers import of_patient
from cds_service.tools.replay import load_bundle, load_drafts, replay
from tests.fixtures import FIXTURES
from tests.test_acceptance_stop import ATC, CART, RUNTIME, SUBJECT, bundle, igg

# CAR-T 2025-11-18: the window runs to the stop date 2026-05-18; the order is signed on 2026-05-16 to start 05-19.
CHART = bundle(CART, igg("igg-low", "2026-05-01", 3.0))
AT = date(2026, 5, 16)
SUMMARY = {"en": "Ig order from 2026-05-19, after the high-risk window: general criteria not met (no severe/recurrent "
                 "verified bacterial infection)",
           "da": "Ig fra 2026-05-19, efter højrisikoperioden: generelle kriterier ikke opfyldt (ingen "
                 "svær/tilbagevendende verificeret bakteriel infektion)"}
NOT_MET = {"en": "**Not met:** it starts 2026-05-19, on or after the stop date 2026-05-18; no severe/recurrent "
                 "verified bacterial infection",
           "da": "**Ikke opfyldt:** start 2026-05-19, på eller efter seponeringsdatoen 2026-05-18; ingen "
                 "svær/tilbagevendende verificeret bakteriel infektion"}


def draft(start: str) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "draft-ivig", "status": "draft", "intent": "order",
            "subject": SUBJECT, "authoredOn": AT.isoformat(),
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "J06BA02"}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": start}}}}]}


@pytest.mark.parametrize("lang", ["en", "da"])
def test_summary_leads_with_the_general_criteria_not_met(lang: str) -> None:
    [card] = replay(RUNTIME, CHART, lang=lang, hook="order-sign", drafts=[draft("2026-05-19")], at=AT).cards
    assert card["indicator"] == "warning"
    assert card["summary"] == SUMMARY[lang]
    assert len(card["summary"]) < 140
    assert NOT_MET[lang] in card["detail"]  # the detail still names every criterion, the stop date among them


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_draft_inside_the_window_keeps_its_summary(lang: str) -> None:
    [card] = replay(RUNTIME, CHART, lang=lang, hook="order-sign", drafts=[draft("2026-05-17")], at=AT).cards
    assert card["source"]["topic"]["code"] == "order-meets-criteria"


CONTINUED = {"en": "Ig order from 2026-05-03, after the high-risk window: general criteria not met (no severe/recurrent "
                   "verified bacterial infection)",
             "da": "Ig fra 2026-05-03, efter højrisikoperioden: generelle kriterier ikke opfyldt (ingen "
                   "svær/tilbagevendende verificeret bakteriel infektion)"}


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_continuation_from_the_stop_date_names_the_criterion_it_misses(lang: str) -> None:
    """IVIG since 2025-12-01 under the special stop (CAR-T 2025-11-03), SCIG drafted to continue it from the stop date:
    the card said only "it starts 2026-05-03, on or after the stop date". From the stop date the general criteria
    apply (§4.2, §4.3), and what the clinician can act on is the infection they need; one not yet coded is a reason."""
    chart = load_bundle(str(FIXTURES / "ig-in-window-continuation-drafted-on-stop-date.json"))
    drafts = [of_patient(d, "pt-dk-0114") for d in
              load_drafts([str(FIXTURES / "drafts" / "scig-continuation-pt-dk-0114.draft.json")])]
    [card] = replay(RUNTIME, chart, lang=lang, hook="order-sign", drafts=drafts, at=date(2026, 5, 3)).cards
    assert card["summary"] == CONTINUED[lang]
    assert card["indicator"] == "warning"
    reasons = [r["code"] for r in card["overrideReasons"]]
    assert reasons[0] == "infection-not-coded" and "community-infection-risk" in reasons  # a short extension stays
