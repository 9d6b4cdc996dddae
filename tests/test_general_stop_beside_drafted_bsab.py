"""An immunoglobulin order under the general stop criteria, drafted beside a new bispecific course that begins after
it, names the review patient-view will give once that course has begun.

Once the bispecific has begun, substitution begun before it follows the general stop criteria, and patient-view
reviews it no sooner than the new window's end (the later of six months after its start and the new stop date; §4
row 2 [policy]: no stop inside a high-risk window). The order card named the review of the window running when it
was drafted ("next stop review 2026-05-18") or six months after its own start ("2026-08-03 to 2027-02-03"): days
patient-view never asks for. The special-stop variants already moved with a drafted bsAb; these did not.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES, with_entries

RUNTIME = load_runtime(Settings())
IVIG = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
TECLISTAMAB = json.loads((FIXTURES / "drafts" / "teclistamab-pt-dk-0001.draft.json").read_text())
# CAR-T 2025-11-18; home SCIG since 2025-06-02 (before T0: the general stop criteria), its next review 2026-05-18
HOME_SCIG = json.loads((FIXTURES / "cart-home-scig-medication-statement-general-stop-review.json").read_text())
# CAR-T 2025-02-11, after the window; two bacterial pneumonias, IgG 3.4 g/L on 2026-01-26: the general start criteria
AFTER_WINDOW = json.loads((FIXTURES / "cart-after-window-recurrent-pneumonia-fresh-igg.json").read_text())


def _patient(bundle: dict[str, Any]) -> str:
    return next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")


def _draft(template: dict[str, Any], bundle: dict[str, Any], start: str) -> dict[str, Any]:
    draft = copy.deepcopy(template)
    draft["subject"]["reference"] = f"Patient/{_patient(bundle)}"
    draft["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": start}
    return draft


def _ig_card(bundle: dict[str, Any], drafts: list[dict[str, Any]], at: date, lang: str = "en") -> dict[str, Any]:
    cards = replay(RUNTIME, bundle, lang=lang, hook="order-sign", drafts=drafts, at=at).cards
    [card] = [c for c in cards if c["source"]["topic"]["code"] == "order-meets-criteria"]
    return card


def _begun(bundle: dict[str, Any], draft: dict[str, Any], day: str) -> dict[str, Any]:
    """The chart once the drafted bispecific is signed and its first dose given on `day`."""
    order = {**copy.deepcopy(draft), "id": "tec-signed", "status": "active", "authoredOn": day}
    dose = {"resourceType": "MedicationAdministration", "id": "tec-dose-1", "status": "completed",
            "subject": {"reference": f"Patient/{_patient(bundle)}"},
            "medicationCodeableConcept": copy.deepcopy(draft["medicationCodeableConcept"]), "effectiveDateTime": day,
            "request": {"reference": "MedicationRequest/tec-signed"}}
    return with_entries(bundle, order, dose)


@pytest.mark.parametrize("lang, summary, note", [
    ("en", "Ig continuation under the general SID criteria: next stop review 2026-07-22",
     "Teclistamab, drafted with this order from 2026-01-22, opens a new high-risk window, and no stop is weighed "
     "inside it; if it has not begun by 2026-05-18, weigh the stop then."),
    ("da", "Fortsat Ig efter de generelle SID-kriterier: næste seponeringsvurdering 2026-07-22",
     "Teclistamab i udkast fra 2026-01-22 åbner en ny højrisikoperiode, og seponering overvejes ikke i den; er den "
     "ikke begyndt senest 2026-05-18, så overvej seponering da.")])
def test_a_continuation_names_the_review_after_the_new_window(lang: str, summary: str, note: str) -> None:
    ivig, tec = _draft(IVIG, HOME_SCIG, "2026-01-20"), _draft(TECLISTAMAB, HOME_SCIG, "2026-01-22")
    card = _ig_card(HOME_SCIG, [ivig, tec], date(2026, 1, 20), lang)
    assert card["summary"] == summary
    assert note in card["detail"]
    alone = _ig_card(HOME_SCIG, [ivig], date(2026, 1, 20), lang)  # without the bsAb: the review of today's window
    assert alone["summary"].endswith("2026-05-18")


def test_patient_view_gives_the_same_review_once_the_course_has_begun() -> None:
    tec = _draft(TECLISTAMAB, HOME_SCIG, "2026-01-22")
    [card] = replay(RUNTIME, _begun(HOME_SCIG, tec, "2026-01-22"), at=date(2026, 1, 22)).cards
    assert card["source"]["topic"]["code"] == "general-stop-review"
    assert "2026-07-22" in card["summary"], card["summary"]


def test_a_review_before_the_course_begins_stands() -> None:
    # teclistamab drafted to begin 2026-06-01, after the review of 2026-05-18: that review comes first
    ivig, tec = _draft(IVIG, HOME_SCIG, "2026-01-20"), _draft(TECLISTAMAB, HOME_SCIG, "2026-06-01")
    card = _ig_card(HOME_SCIG, [ivig, tec], date(2026, 1, 20))
    assert card["summary"].endswith("next stop review 2026-05-18")
    assert "would open a new high-risk window from 2026-06-01" in card["detail"]


def test_a_start_under_the_general_criteria_attempts_the_stop_after_the_new_window() -> None:
    at = date(2026, 2, 3)
    ivig = _draft(IVIG, AFTER_WINDOW, "2026-02-03")
    assert "Attempt the stop 6–12 months after the start: 2026-08-03 to 2027-02-03." in \
        _ig_card(AFTER_WINDOW, [ivig], at)["detail"]
    card = _ig_card(AFTER_WINDOW, [ivig, _draft(TECLISTAMAB, AFTER_WINDOW, "2026-03-01")], at)
    assert "Attempt the stop 6–12 months after the start: 2026-09-01 to 2027-02-03." in card["detail"]
    assert "if it has not begun by 2026-08-03, weigh the stop then." in card["detail"]


def test_a_first_attempt_due_before_the_course_begins_stands() -> None:
    # IVIG from 2026-02-03 (first attempt 2026-08-03), teclistamab drafted from 2026-09-01: the attempt comes first
    at = date(2026, 2, 3)
    card = _ig_card(AFTER_WINDOW, [_draft(IVIG, AFTER_WINDOW, "2026-02-03"),
                                   _draft(TECLISTAMAB, AFTER_WINDOW, "2026-09-01")], at)
    assert "Attempt the stop 6–12 months after the start: 2026-08-03 to 2027-02-03." in card["detail"]


def test_ig_drafted_to_begin_after_the_new_course_is_left_to_that_window() -> None:
    at = date(2026, 2, 3)
    card = _ig_card(AFTER_WINDOW, [_draft(IVIG, AFTER_WINDOW, "2026-03-05"),
                                   _draft(TECLISTAMAB, AFTER_WINDOW, "2026-03-01")], at)
    assert "no stop is weighed inside it" not in card["detail"]
