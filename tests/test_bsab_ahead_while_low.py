"""A bispecific drafted to begin ahead, for a patient whose IgG already meets the start criterion of the window now
running: the card says when Ig begun now will be stopped, as patient-view will say (§4.2, spec §7).

CAR-T 2025-11-18 (stop date 2026-05-18), IgG 3.2 g/L on 2026-01-13, no Ig. Teclistamab drafted on 2026-01-20:
- from 2026-01-22, IVIG drafted with it: the IVIG card said "general stop criteria", the teclistamab card "Ig may be
  started, stop attempt 2026-07-22", the special stop the general criteria replace (spec §7: no card promises it);
- from 2026-06-01, after the stop date: the card said "stop attempt 2026-12-01", while patient-view, once the Ig has
  begun, asks for the stop on 2026-05-18 (the window it began in).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES
from .reading_charts import car_t, chart, igg, order

RUNTIME = load_runtime(Settings())
SIGNED = date(2026, 1, 20)
TECVAYLI = "Tecvayli (teclistamab)"


def _chart(*more: dict) -> dict:
    return chart(car_t("2025-11-18"), igg("2026-01-13", 3.2), *more)


def _tec(start: str, status: str = "draft") -> dict:
    return order("L01FX24", start, status=status, text=TECVAYLI, rid_=f"tec-{status}", authored="2026-01-20")


def _card(start: str, lang: str = "en", ivig_drafted: bool = False) -> dict:
    drafts = [_tec(start)] + ([order("J06BA02", "2026-01-20", status="draft", rid_="ivig-draft",
                                     authored="2026-01-20")] if ivig_drafted else [])
    cards = replay(RUNTIME, _chart(), lang=lang, hook="order-sign", drafts=drafts, at=SIGNED).cards
    return next(c for c in cards if c["source"]["topic"]["code"] == "plan-igg-monitoring")


def _patient_view(tec_start: str, at: date) -> dict:
    """The chart once both orders are signed: IVIG from the day of signing, teclistamab from `tec_start`."""
    signed = _chart(order("J06BA02", "2026-01-20", rid_="ivig", authored="2026-01-20"), _tec(tec_start, "active"))
    [card] = replay(RUNTIME, signed, at=at).cards
    return card


@pytest.mark.parametrize("lang, summary, todo", [
    ("en", "Teclistamab from 2026-01-22: IgG 3.2 g/L < 4 g/L (2026-01-13); Ig may be started, general stop criteria "
           "from 2026-07-22",
     "**To do:** Ig may be started now, before the first dose (after it, a start needs a new IgG); review a stop "
     "attempt from 2026-07-22."),
    ("da", "Teclistamab fra 2026-01-22: IgG 3,2 g/L < 4 g/L (2026-01-13); Ig kan startes, generelle "
           "seponeringskriterier fra 2026-07-22",
     "**Gør:** Ig kan startes nu, før første dosis (derefter kræver en start en ny IgG); vurdér et "
     "seponeringsforsøg fra 2026-07-22.")])
def test_a_course_ahead_in_the_window_names_the_general_stop_criteria(lang: str, summary: str, todo: str) -> None:
    card = _card("2026-01-22", lang)
    assert card["summary"] == summary
    assert todo in card["detail"]
    # should the course not begin by the stop date of the window now running, patient-view asks for that stop
    assert {"en": "If the course has not begun by 2026-05-18, the stop attempt of that day stands.",
            "da": "Er forløbet ikke begyndt 2026-05-18, gælder seponeringsforsøget den dag."}[lang] in card["detail"]


def test_the_two_cards_of_one_session_and_patient_view_agree_on_the_general_criteria() -> None:
    signing = [c for c in replay(RUNTIME, _chart(), hook="order-sign", at=SIGNED, drafts=[
        _tec("2026-01-22"), order("J06BA02", "2026-01-20", status="draft", rid_="ivig-draft",
                                  authored="2026-01-20")]).cards]
    assert {c["source"]["topic"]["code"] for c in signing} == {"order-meets-criteria", "plan-igg-monitoring"}
    assert all("general stop criteria" in c["summary"] for c in signing), [c["summary"] for c in signing]
    assert not any("stop attempt 2026-07-22" in c["summary"] or "stop on" in c["summary"] for c in signing)
    begun = _patient_view("2026-01-22", date(2026, 1, 25))
    assert begun["source"]["topic"]["code"] == "general-stop-review"
    assert "general SID criteria" in begun["summary"] and "2026-07-22" in begun["summary"]


@pytest.mark.parametrize("lang, summary, todo", [
    ("en", "Teclistamab from 2026-06-01: IgG 3.2 g/L < 4 g/L (2026-01-13) already; Ig may be started, stop attempt "
           "2026-05-18",
     "**To do:** Ig may be started now; attempt the stop on 2026-05-18 and measure IgG off substitution; if Ig still "
     "runs on 2026-06-01, review a stop on 2026-12-01."),
    ("da", "Teclistamab fra 2026-06-01: IgG 3,2 g/L < 4 g/L (2026-01-13) allerede; Ig kan startes, "
           "seponeringsforsøg 2026-05-18",
     "**Gør:** Ig kan startes nu; forsøg seponering 2026-05-18, og mål IgG uden substitution; gives Ig stadig "
     "2026-06-01, så vurdér seponering 2026-12-01.")])
def test_a_course_after_the_stop_date_names_the_stop_of_the_window_now_running(lang: str, summary: str,
                                                                                todo: str) -> None:
    card = _card("2026-06-01", lang)
    assert card["summary"] == summary
    assert todo in card["detail"]


def test_patient_view_asks_for_that_stop_and_then_the_review_the_card_named() -> None:
    held = _patient_view("2026-06-01", date(2026, 1, 25))
    assert (held["source"]["topic"]["code"], "2026-05-18" in held["summary"]) == ("stop-planned", True)
    after = _patient_view("2026-06-01", date(2026, 6, 5))
    assert after["source"]["topic"]["code"] == "general-stop-review" and "2026-12-01" in after["summary"]


def test_beside_an_ig_record_known_by_name_the_card_still_says_to_check_it() -> None:
    """The caveat that the patient may already be on Ig (spec §6: required on every card it applies to) keeps its
    place beside the general stop criteria and the stop that stands if the course does not begin."""
    bundle = json.loads((FIXTURES / "local-ivig-code-not-recognised-named-in-card.json").read_text())
    patient = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    tec = _tec("2026-01-22")
    tec["subject"] = {"reference": f"Patient/{patient}"}
    for lang in ("en", "da"):
        [card] = replay(RUNTIME, bundle, lang=lang, hook="order-select", drafts=[tec], at=SIGNED).cards
        assert "general stop criteria" in card["summary"] or "generelle seponeringskriterier" in card["summary"]
        # the caveat whole, or the record's data note, which says the same (the suite checks the promise itself)
        said = ("may be Ig the patient is on", "check whether the patient is already on substitution") if lang == "en" \
            else ("kan være Ig, patienten får", "tjek, om patienten allerede får substitution")
        assert any(words in card["detail"] for words in said), card["detail"]
