"""What an order session shows beside each draft: a bsAb drafted for a patient whose IgG is already low, two
immunoglobulin courses drafted at once, and a child's card for a child already on immunoglobulin.

- A teclistamab draft for a patient with IgG 3.2 g/L said "measure IgG at baseline": the start criterion the new
  window brings (§4.1, IgG < 4 g/L) was already met, and the card did not say so.
- IVIG and SCIG drafted together got two "meets the criteria" cards, each judged alone, with no word that the two
  would run at once.
- A 16-year-old on IVIG got the individual-assessment card with an IgG taken on the IVIG and no word of the IVIG.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay, request_from_bundle

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
TECLISTAMAB = json.loads((FIXTURES / "drafts" / "teclistamab-pt-dk-0001.draft.json").read_text())
IVIG = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
SCIG = json.loads((FIXTURES / "drafts" / "scig-pt-dk-0006.draft.json").read_text())


def _bundle(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())  # type: ignore[no-any-return]


def _draft(template: dict[str, Any], bundle: dict[str, Any], start: str | None, end: str | None = None,
           draft_id: str | None = None) -> dict[str, Any]:
    draft = copy.deepcopy(template)
    patient = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    draft["subject"]["reference"] = f"Patient/{patient}"
    bounds = draft["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]
    if start is None:
        del draft["dosageInstruction"][0]["timing"]
    else:
        bounds["start"] = start
        if end:
            bounds["end"] = end
    if draft_id:
        draft["id"] = draft_id
    return draft


def _cards(bundle: dict[str, Any], drafts: list[dict[str, Any]], at: date, lang: str = "en") -> list[dict[str, Any]]:
    return replay(RUNTIME, bundle, lang=lang, hook="order-sign", drafts=drafts, at=at).cards


def _igg(bundle: dict[str, Any], value: float, when: str) -> dict[str, Any]:
    """The bundle with its latest IgG result set to `value` g/L, taken `when`."""
    bundle = copy.deepcopy(bundle)
    results = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"
               and "valueQuantity" in e["resource"] and e["resource"]["valueQuantity"].get("unit") == "g/L"]
    latest = max(results, key=lambda r: str(r.get("effectiveDateTime")))
    latest["valueQuantity"]["value"] = value
    latest["effectiveDateTime"] = when
    return bundle


# --- a bsAb drafted for a patient whose IgG is already below 4 g/L -------------------------------------------------

LOW = _bundle("cart-in-window-igg-low")  # CAR-T 2025-11-18, IgG 3.2 g/L on 2026-01-13, not on immunoglobulin
AT = date(2026, 1, 20)


@pytest.mark.parametrize("lang, summary, todo", [
    ("en", "Teclistamab from 2026-01-20: IgG 3.2 g/L < 4 g/L (2026-01-13) already; Ig may be started, stop attempt "
           "2026-07-20",
     "**To do:** Ig may be started now, before the first dose (once it is given, a start needs an IgG taken after it); "
     "attempt a stop on 2026-07-20"),
    ("da", "Teclistamab fra 2026-01-20: IgG 3,2 g/L < 4 g/L (2026-01-13) allerede; Ig kan startes, "
           "seponeringsforsøg 2026-07-20",
     "**Gør:** Ig kan startes nu, før første dosis (når den er givet, kræver en start en IgG taget efter den); "
     "forsøg seponering 2026-07-20")])
def test_a_bsab_draft_for_a_patient_already_low_says_ig_may_start(lang: str, summary: str, todo: str) -> None:
    """The course begins today: Ig begun today begins with it, in its window (a course ahead: test_bsab_ahead_while_low)."""
    [card] = _cards(copy.deepcopy(LOW), [_draft(TECLISTAMAB, LOW, "2026-01-20")], AT, lang)
    assert card["source"]["topic"]["code"] == "plan-igg-monitoring"
    assert card["summary"] == summary
    assert todo in card["detail"]
    assert "baseline" not in card["summary"] and "før start" not in card["summary"]
    assert not card.get("suggestions")  # the IgG is known: no IgG order offered


def test_a_bsab_draft_with_igg_at_4_still_asks_for_monitoring() -> None:
    bundle = _igg(LOW, 4.0, "2026-01-13T08:00:00+01:00")
    [card] = _cards(bundle, [_draft(TECLISTAMAB, bundle, "2026-01-22")], AT)
    assert card["summary"] == "Teclistamab from 2026-01-22: measure IgG at baseline and until 2026-07-22 (high-risk " \
                              "window)"


def test_a_bsab_draft_for_a_patient_on_ig_does_not_invite_a_start() -> None:
    on_ig = _igg(_bundle("cart-ig-active-stop-planned-40-days"), 3.0, "2026-03-02T08:00:00+01:00")
    [card] = _cards(on_ig, [_draft(TECLISTAMAB, on_ig, "2026-03-05")], date(2026, 3, 5))
    assert "may be started" not in card["summary"]
    # IVIG begun in the CAR-T window: once the bsAb has begun, patient-view applies the general stop criteria to it
    # (begun before that T0, §4.2); the card says so, and asks for no baseline on substitution
    assert "follows the general stop criteria" in card["summary"] and "measure IgG" not in card["summary"]
    assert "This IgG was taken on substitution" in card["detail"]


def test_a_bsab_draft_beside_an_ig_record_known_by_name_names_it() -> None:
    bundle = _bundle("local-ivig-code-not-recognised-named-in-card")  # "Privigen" under a local code, IgG 3.1
    [card] = _cards(bundle, [_draft(TECLISTAMAB, bundle, "2026-01-20")], date(2026, 1, 20))
    assert "Ig may be started" in card["summary"]
    assert "may be Ig the patient is on: check before ordering." in card["detail"]


def _tec_summary(bundle: dict[str, Any]) -> str:
    [card] = _cards(bundle, [_draft(TECLISTAMAB, bundle, "2026-01-22")], AT)
    return str(card["summary"])


def test_a_bsab_draft_on_an_igg_from_before_any_therapy_asks_for_one_after_the_first_dose() -> None:
    """An IgG taken before any index event is a baseline (spec §3): the start criterion is not met by it. The card
    asked for "IgG at baseline" beside the baseline it showed (3.2 g/L, a week old); it now says to measure again after
    the first dose, and promises no start."""
    bundle = copy.deepcopy(LOW)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] not in ("Procedure",
                                                                                          "MedicationAdministration")]
    # the CAR-T product order (completed, no infusion recorded) left: a window may run, so the card asks as before
    assert "measure IgG at baseline" in _tec_summary(bundle)
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] != "MedicationRequest"]
    summary = _tec_summary(bundle)
    assert summary == "Teclistamab from 2026-01-22: IgG 3.2 g/L < 4 g/L (2026-01-13) before it; re-measure after the " \
                      "first dose to start Ig", summary
    assert "may be started" not in summary and "stop attempt" not in summary


def test_a_bsab_draft_for_a_patient_with_a_severe_infection_promises_no_special_stop() -> None:
    """A severe infection before substitution: the general stop criteria apply (§4.2), so no "stop attempt" date."""
    bundle = copy.deepcopy(LOW)
    bundle["entry"].append({"resource": {
        "resourceType": "Condition", "id": "cond-sepsis", "subject": {"reference": "Patient/pt-dk-0001"},
        "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                       "code": "resolved"}]},
        "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                           "code": "confirmed"}]},
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category",
                                  "code": "encounter-diagnosis"}]}],
        "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4.12", "code": "DA419", "display": "Sepsis UNS"}]},
        "onsetDateTime": "2026-01-05", "recordedDate": "2026-01-05"}})
    assert "stop attempt" not in _tec_summary(bundle)


def test_a_bsab_draft_beside_ig_already_booked_does_not_invite_a_start() -> None:
    bundle = copy.deepcopy(LOW)
    booked = _draft(IVIG, bundle, "2026-02-02", draft_id="mr-ivig-booked")
    booked["status"] = "active"
    bundle["entry"].append({"resource": booked})
    assert "may be started" not in _tec_summary(bundle)


# --- immunoglobulin drafted with a bsAb that opens a new window before the stop date ------------------------------

def _ig_card(ivig_start: str, tec_start: str, lang: str = "en") -> dict[str, Any]:
    cards = _cards(copy.deepcopy(LOW), [_draft(IVIG, LOW, ivig_start), _draft(TECLISTAMAB, LOW, tec_start)], AT, lang)
    return next(c for c in cards if c["source"]["topic"]["code"] == "order-meets-criteria")


def _labels(card: dict[str, Any]) -> list[str]:
    return [s["label"] for s in card.get("suggestions", ())]


@pytest.mark.parametrize("lang, summary, todo", [
    ("en", "general stop criteria", "Attempt the stop 6–12 months after the start: 2026-07-22 to 2027-01-20."),
    ("da", "generelle seponeringskriterier", "Forsøg seponering 6–12 måneder efter opstart: 2026-07-22 til "
                                             "2027-01-20.")])
def test_ig_drafted_to_begin_before_a_bsab_drafted_with_it_is_under_the_general_stop_criteria(
        lang: str, summary: str, todo: str) -> None:
    """IVIG from 2026-01-20 beside teclistamab from 2026-01-22 (CAR-T 2025-11-18): the IVIG card offered "End this
    order on 2026-05-18" while the teclistamab card said "stop attempt 2026-07-22". Once teclistamab has begun, IVIG
    begun before it follows the general stop criteria (§4.2), the first attempt not before its window ends."""
    card = _ig_card("2026-01-20", "2026-01-22", lang)
    assert card["summary"].endswith(summary) and "2026-05-18" not in card["summary"], card["summary"]
    assert todo in card["detail"]
    assert _labels(card) == []  # no end on a stop date that will not hold


def test_ig_drafted_to_begin_after_a_bsab_drafted_with_it_stops_six_months_after_the_bsab() -> None:
    card = _ig_card("2026-01-25", "2026-01-22")
    assert card["summary"].endswith("stop attempt 2026-07-22 once Teclistamab has begun"), card["summary"]
    assert "let the order end on 2026-07-22; if it is not given, on 2026-05-18" in card["detail"]
    assert _labels(card) == []


def test_a_bsab_drafted_to_begin_after_the_stop_date_leaves_the_stop_date_as_it_is() -> None:
    card = _ig_card("2026-01-20", "2026-06-01")
    assert card["summary"].endswith("end it on 2026-05-18") and _labels(card) == ["End this order on 2026-05-18"]
    assert "would open a new high-risk window from 2026-06-01" in card["detail"]


def test_an_ig_draft_ending_before_the_stop_date_keeps_its_own_end_beside_a_bsab() -> None:
    # IVIG 2026-01-20 to 2026-03-01: its own end comes first whichever window runs, and it is no course "begun before"
    # a bsAb that starts after it has ended
    ivig = _draft(IVIG, LOW, "2026-01-20", "2026-03-01")
    for tec_start in ("2026-01-22", "2026-04-01"):
        cards = _cards(copy.deepcopy(LOW), [ivig, _draft(TECLISTAMAB, LOW, tec_start)], AT)
        card = next(c for c in cards if c["source"]["topic"]["code"] == "order-meets-criteria")
        assert card["summary"].endswith("ends 2026-03-01 (stop date 2026-05-18)"), card["summary"]
        assert "Renew it to 2026-05-18, or stop when it ends (2026-03-01); a new start more than 7 days later is a " \
               "restart (general criteria)." in card["detail"], card["detail"]


@pytest.mark.parametrize("lang, note", [
    ("en", "Teclistamab, drafted with this order from 2026-01-25, begins after this substitution: once it has begun, "
           "the general stop criteria apply, not the stop date 2026-05-03."),
    ("da", "Teclistamab i udkast fra 2026-01-25 begynder efter denne substitution: når den er begyndt, gælder de "
           "generelle seponeringskriterier, ikke seponeringsdatoen 2026-05-03.")])
def test_a_continuation_beside_a_bsab_drafted_before_the_stop_date_is_under_the_general_stop_criteria(
        lang: str, note: str) -> None:
    """IVIG since 2025-12-01 (CAR-T 2025-11-03), SCIG drafted to continue it and teclistamab from 2026-01-25: the
    continuation card offered "End this order on 2026-05-03" while the teclistamab card said Ig begun before it follows
    the general stop criteria. Once teclistamab has begun, it does: the first review at the later of six months after
    the IVIG began and the end of teclistamab's window (2026-07-25)."""
    chart = _bundle("ig-in-window-continuation-drafted-on-stop-date")
    scig = _draft(SCIG, chart, "2026-02-01")
    cards = _cards(chart, [scig, _draft(TECLISTAMAB, chart, "2026-01-25")], AT, lang)
    card = next(c for c in cards if c["source"]["topic"]["code"] == "order-meets-criteria")
    assert "2026-07-25" in card["summary"] and "2026-05-03" not in card["summary"], card["summary"]
    assert note in card["detail"], card["detail"]
    assert _labels(card) == []
    [alone] = _cards(chart, [scig], AT, lang)  # without the bsAb: the stop date, and the end offered
    assert "2026-05-03" in alone["summary"] and _labels(alone)


# --- two immunoglobulin courses drafted at once ---------------------------------------------------------------------

@pytest.mark.parametrize("lang, ivig_note, scig_note", [
    ("en", "SCIG from 2026-01-20 is drafted too: two Ig courses at once; sign only one.",
     "IVIG from 2026-01-20 is drafted too: two Ig courses at once; sign only one."),
    ("da", "SCIG fra 2026-01-20 er også i udkast: to Ig-forløb på én gang; underskriv kun det ene.",
     "IVIG fra 2026-01-20 er også i udkast: to Ig-forløb på én gang; underskriv kun det ene.")])
def test_ivig_and_scig_drafted_together_each_name_the_other(lang: str, ivig_note: str, scig_note: str) -> None:
    drafts = [_draft(IVIG, LOW, "2026-01-20"), _draft(SCIG, LOW, "2026-01-20")]
    cards = _cards(copy.deepcopy(LOW), drafts, AT, lang)
    assert [c["source"]["topic"]["code"] for c in cards] == ["order-meets-criteria"] * 2
    ivig_card, scig_card = sorted(cards, key=lambda c: "SCIG " in c["detail"].split("\n- ")[-1])
    assert ivig_note in ivig_card["detail"] and scig_note not in ivig_card["detail"]  # the IVIG card names the SCIG
    assert scig_note in scig_card["detail"] and ivig_note not in scig_card["detail"]
    for card, note in ((ivig_card, ivig_note), (scig_card, scig_note)):  # right under the decision, before the facts
        assert card["detail"].index(note) < card["detail"].index("- IgG 3")


def test_ig_drafts_one_after_the_other_are_not_two_courses() -> None:
    drafts = [_draft(IVIG, LOW, "2026-01-20", "2026-02-28"), _draft(SCIG, LOW, "2026-03-01")]
    for card in _cards(copy.deepcopy(LOW), drafts, AT):
        assert "drafted too" not in card["detail"]


def test_an_undated_ig_draft_beside_a_dated_one_is_two_courses() -> None:
    drafts = [_draft(IVIG, LOW, None), _draft(SCIG, LOW, "2026-02-10")]
    cards = _cards(copy.deepcopy(LOW), drafts, AT)
    assert len(cards) == 2 and all("drafted too: two Ig courses at once" in c["detail"] for c in cards)


def test_three_ig_drafts_name_one_and_count_the_rest() -> None:
    drafts = [_draft(IVIG, LOW, "2026-01-20"), _draft(SCIG, LOW, "2026-01-21"),
              _draft(IVIG, LOW, "2026-01-25", draft_id="draft-ivig-second")]
    cards = _cards(copy.deepcopy(LOW), drafts, AT)
    first = next(c for c in cards if "Draft order: IVIG from 2026-01-20" in c["detail"])
    assert "SCIG from 2026-01-21 (+1) is drafted too" in first["detail"]


def test_a_switch_on_the_day_one_ends_is_not_two_courses() -> None:
    drafts = [_draft(IVIG, LOW, "2026-01-20", "2026-03-01"), _draft(SCIG, LOW, "2026-03-01")]
    for card in _cards(copy.deepcopy(LOW), drafts, AT):
        assert "drafted too" not in card["detail"]


def test_order_select_names_an_ig_draft_of_the_call_not_selected() -> None:
    """Drugs are added one at a time: the SCIG selected now is told of the IVIG drafted before it."""
    drafts = [_draft(IVIG, LOW, "2026-01-20"), _draft(SCIG, LOW, "2026-01-20")]
    request = request_from_bundle(copy.deepcopy(LOW), "order-select", drafts)
    request["context"]["selections"] = [f"MedicationRequest/{SCIG['id']}"]
    [card] = answer_local(parse_hook_request(request, "order-select"), RUNTIME, lang="en", today=AT).cards
    assert "IVIG from 2026-01-20 is drafted too: two Ig courses at once; sign only one." in card["detail"]


def test_an_ig_draft_known_only_by_its_name_is_a_second_course_too() -> None:
    """Privigen under a local code: not judged itself (its own card says so), but beside a coded SCIG it is one."""
    local = _draft(IVIG, LOW, "2026-01-20", draft_id="draft-ivig-local")
    local["medicationCodeableConcept"] = {"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "999999"}],
                                          "text": "Privigen 100 mg/ml"}
    cards = _cards(copy.deepcopy(LOW), [local, _draft(SCIG, LOW, "2026-01-20")], AT)
    scig = next(c for c in cards if c["source"]["topic"]["code"] == "order-meets-criteria")
    assert "“Privigen 100 mg/ml” from 2026-01-20 is drafted too: two Ig courses at once" in scig["detail"]


def test_one_ig_draft_has_no_such_note() -> None:
    [card] = _cards(copy.deepcopy(LOW), [_draft(IVIG, LOW, "2026-01-20")], AT)
    assert "drafted too" not in card["detail"]


# --- a child already on immunoglobulin ------------------------------------------------------------------------------

@pytest.mark.parametrize("lang, course, caveat", [
    ("en", "- IVIG since 2025-09-25", "This IgG was taken on substitution"),
    ("da", "- IVIG siden 2025-09-25", "Denne IgG er taget under substitution")])
def test_a_child_on_ivig_is_told_of_the_ivig_and_the_igg_taken_on_it(lang: str, course: str, caveat: str) -> None:
    bundle = _bundle("child-16-tisagenlecleucel-on-ig")
    request = replay(RUNTIME, bundle, lang=lang, at=date(2025, 12, 1))
    [card] = request.cards
    assert card["source"]["topic"]["code"] == "child-individual-assessment"
    assert course in card["detail"] and caveat in card["detail"]


def test_a_child_not_on_ig_gets_no_course_line() -> None:
    [card] = replay(RUNTIME, _bundle("child-12-blinatumomab-individual-assessment"),
                    at=date.fromisoformat(json.loads((FIXTURES / "child-12-blinatumomab-individual-assessment"
                                                                   ".expect.json").read_text())["at"])).cards
    assert not any(line.startswith(("- IVIG", "- SCIG", "- Immunoglobulin")) for line in card["detail"].splitlines())
    assert "taken on substitution" not in card["detail"]


@pytest.mark.parametrize("template", [IVIG, TECLISTAMAB], ids=["ivig-draft", "bsab-draft"])
def test_the_child_card_on_the_order_screen_says_the_same(template: dict[str, Any]) -> None:
    bundle = _bundle("child-16-tisagenlecleucel-on-ig")
    [card] = _cards(bundle, [_draft(template, bundle, "2025-12-03")], date(2025, 12, 1))
    assert card["source"]["topic"]["code"] == "child-individual-assessment"
    assert "- IVIG since 2025-09-25" in card["detail"]
    assert "This IgG was taken on substitution" in card["detail"]


@pytest.mark.parametrize("lang, summary", [
    ("en", "Teclistamab from 2026-01-22: polyclonal IgG 2.6 g/L (total 8.7) < 4 g/L (2026-01-12) before it; re-measure "
           "after the first dose to start Ig"),
    ("da", "Teclistamab fra 2026-01-22: polyklonal IgG 2,6 g/L (total 8,7) < 4 g/L (2026-01-12) før start; mål igen "
           "efter første dosis for at starte Ig")])
def test_a_myelomas_polyclonal_baseline_below_4_is_read_as_a_baseline_too(lang: str, summary: str) -> None:
    """An IgG-kappa myeloma before its first bsAb: total IgG 8.7 g/L, of which 6.1 g/L M-protein, 8 days old. The card
    showed the polyclonal 2.6 g/L and still asked to "measure IgG at baseline" (the subtraction's own caveat kept the
    baseline's variant away); a baseline below 4 g/L is now said, as for a total below it."""
    bundle = _bundle("igg-kappa-myeloma-normal-total-low-polyclonal-start")
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] not in ("MedicationRequest",
                                                                                          "MedicationAdministration")]
    [card] = _cards(bundle, [_draft(TECLISTAMAB, bundle, "2026-01-22")], AT, lang)
    assert card["source"]["topic"]["code"] == "plan-igg-monitoring", card["summary"]
    assert card["summary"] == summary, card["summary"]
    assert "stop attempt" not in card["summary"] and "may be started" not in card["summary"]


@pytest.mark.parametrize("lang, words", [("en", "This order continues a course that started on 2025-12-01"),
                                         ("da", "Ordinationen fortsætter et forløb, der startede 2025-12-01")])
def test_the_next_dose_of_a_running_bsab_course_is_not_said_to_resume_it(lang: str, words: str) -> None:
    """Teclistamab given from 2025-12-01 and never paused: the next dose drafted was said to "resume" the course."""
    bundle = _bundle("igg-kappa-myeloma-normal-total-low-polyclonal-start")
    [card] = _cards(bundle, [_draft(TECLISTAMAB, bundle, "2026-01-22")], AT, lang)
    assert card["source"]["topic"]["code"] == "plan-igg-monitoring", card["summary"]
    assert words in card["detail"], card["detail"]
    assert "resume" not in card["detail"] and "genoptager" not in card["detail"], card["detail"]


@pytest.mark.parametrize("lang, words", [
    ("en", "from the infusion day, which only the infusion's own record gives (an order's planned dates do not)"),
    ("da", "fra infusionsdagen, som kun registreringen af selve infusionen angiver (en ordinations planlagte datoer "
           "gør ikke)")])
def test_a_car_t_product_order_with_a_planned_day_is_not_said_to_give_none(lang: str, words: str) -> None:
    """A Kymriah order planned for 2026-02-20: the card said the order does not give the infusion's date, of an order
    that gives a day. An order is not an infusion (spec §2): the window runs from the infusion's own record."""
    bundle = _bundle("rituximab-only-no-index-event")
    draft = _draft(TECLISTAMAB, bundle, "2026-02-20")
    draft["medicationCodeableConcept"] = {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01XL04"}],
                                          "text": "Kymriah"}
    [card] = _cards(bundle, [draft], date(2026, 2, 16), lang)
    assert (card["source"]["topic"]["code"], words in card["detail"]) == ("plan-igg-monitoring", True), card["detail"]
    assert "does not give" not in card["detail"] and "ikke angiver" not in card["detail"], card["detail"]


def _no_bsab_yet() -> dict[str, Any]:
    """An IgG-kappa myeloma (polyclonal IgG 2.6 g/L on 2026-01-12) with no CAR-T or bsAb on the chart yet."""
    bundle = _bundle("igg-kappa-myeloma-normal-total-low-polyclonal-start")
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"]["resourceType"] not in ("MedicationRequest",
                                                                                          "MedicationAdministration")]
    return bundle


@pytest.mark.parametrize("lang, summary, note", [
    ("en", "Ig order does not meet the criteria: no usable IgG since bsAb 2026-01-22",
     "No CAR-T infusion or bsAb is recorded yet: this order is read on the window opened by Teclistamab, drafted with "
     "it, from 2026-01-22."),
    ("da", "Ig-ordinationen opfylder ikke kriterierne: ingen brugbar IgG siden bsAb 2026-01-22",
     "Der er endnu ingen CAR-T-infusion eller bsAb registreret: ordinationen vurderes på den periode, som "
     "Teclistamab i samme udkast åbner fra 2026-01-22.")])
def test_ig_drafted_with_a_patients_first_bsab_dose_is_judged_on_the_window_it_opens(lang: str, summary: str,
                                                                                    note: str) -> None:
    """IVIG from 2026-01-26 drafted with the first teclistamab dose (2026-01-22): a drafted therapy is no index event
    (spec §2), so the IVIG got no card at all. Read on the window that dose opens, only an IgG taken after it counts
    (spec §3): none can exist yet, and the card says so."""
    bundle = _no_bsab_yet()
    drafts = [_draft(TECLISTAMAB, bundle, "2026-01-22"), _draft(IVIG, bundle, "2026-01-26")]
    cards = {c["source"]["topic"]["code"]: c for c in _cards(bundle, drafts, AT, lang)}
    assert set(cards) == {"plan-igg-monitoring", "order-does-not-meet-criteria"}, list(cards)
    ig = cards["order-does-not-meet-criteria"]
    assert ig["summary"] == summary, ig["summary"]
    assert note in ig["detail"], ig["detail"]
    assert _labels(ig) == []  # an IgG ordered now is drawn before the first dose: a baseline (spec §3)
    steps = {step["name"]: step.get("value") for step in ig["extension"]["dk.igsub-cds.trace"]}
    assert steps["First Dose Drafted With It"] == "2026-01-22", steps.get("First Dose Drafted With It")


def test_ig_selected_alone_beside_the_first_bsab_dose_gets_the_same_card() -> None:
    bundle = _no_bsab_yet()
    drafts = [_draft(TECLISTAMAB, bundle, "2026-01-22"), _draft(IVIG, bundle, "2026-01-26")]
    request = request_from_bundle(copy.deepcopy(bundle), "order-select", drafts)
    request["context"]["selections"] = [f"MedicationRequest/{IVIG['id']}"]
    [card] = answer_local(parse_hook_request(request, "order-select"), RUNTIME, lang="en", today=AT).cards
    assert card["summary"] == "Ig order does not meet the criteria: no usable IgG since bsAb 2026-01-22", card["summary"]


def test_ig_drafted_to_begin_before_the_first_bsab_dose_is_still_not_judged() -> None:
    # IVIG from 2026-01-20, the teclistamab from 2026-01-22: at the IVIG's start no window runs; no card, as before.
    bundle = _no_bsab_yet()
    drafts = [_draft(TECLISTAMAB, bundle, "2026-01-22"), _draft(IVIG, bundle, "2026-01-20")]
    assert [c["source"]["topic"]["code"] for c in _cards(bundle, drafts, AT)] == ["plan-igg-monitoring"]


def test_an_igg_taken_the_day_a_drafted_first_dose_is_planned_is_not_after_it() -> None:
    """Teclistamab drafted for today, IVIG from 2026-01-26, an IgG of 3.0 g/L taken this morning: the IVIG card said
    "meets the start criterion … after bsAb 2026-01-20", of a dose still in draft. No IgG on today's chart can have
    been taken after it."""
    bundle = _igg(_bundle("rituximab-only-no-index-event"), 3.0, "2026-01-20T08:00:00+01:00")  # a lymphoma, no CAR-T
    drafts = [_draft(TECLISTAMAB, bundle, "2026-01-20"), _draft(IVIG, bundle, "2026-01-26")]
    cards = {c["source"]["topic"]["code"]: c for c in _cards(bundle, drafts, AT)}
    assert "order-meets-criteria" not in cards, cards["order-meets-criteria"]["summary"]
    assert cards["order-does-not-meet-criteria"]["summary"] == \
        "Ig order does not meet the criteria: no usable IgG since bsAb 2026-01-20"


def _igg_lab(bundle: dict[str, Any], planned: str | None) -> dict[str, Any]:
    lab = json.loads((FIXTURES / "drafts" / "igg-lab-pt-dk-0007.draft.json").read_text())
    patient = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    lab["subject"]["reference"] = f"Patient/{patient}"
    lab["status"] = "draft"
    del lab["authoredOn"]
    if planned is not None:
        lab["occurrenceDateTime"] = planned
    return lab


@pytest.mark.parametrize("planned", [None, "2026-01-21", "2026-01-22"])
def test_an_igg_lab_order_drafted_before_the_first_bsab_dose_does_not_stand_in_for_the_igg_after_it(
        planned: str | None) -> None:
    """The session drafts teclistamab from 2026-01-22, IVIG from 2026-01-26 and an IgG lab order for today (or the
    day before the dose, or its day). That IgG is a baseline: the IVIG card dropped its to-do for it, and the note
    naming the lab order was cut for room, leaving "no usable IgG" with nothing to do but reconsider. It offered an
    IgG order of its own too, undated: signed now, another baseline."""
    bundle = _no_bsab_yet()
    drafts = [_draft(TECLISTAMAB, bundle, "2026-01-22"), _draft(IVIG, bundle, "2026-01-26"), _igg_lab(bundle, planned)]
    card = next(c for c in _cards(bundle, drafts, AT) if c["source"]["topic"]["code"] == "order-does-not-meet-criteria")
    assert "**To do:** Measure IgG after the first dose (2026-01-22); below 4 g/L the order then meets the start " \
           "criterion. Reconsider the order, or sign it with a reason." in card["detail"], card["detail"]
    assert _labels(card) == []


def test_an_igg_lab_order_planned_after_the_first_bsab_dose_is_the_igg_the_card_asks_for() -> None:
    bundle = _no_bsab_yet()
    drafts = [_draft(TECLISTAMAB, bundle, "2026-01-22"), _draft(IVIG, bundle, "2026-01-26"),
              _igg_lab(bundle, "2026-01-24")]
    card = next(c for c in _cards(bundle, drafts, AT) if c["source"]["topic"]["code"] == "order-does-not-meet-criteria")
    assert "Measure IgG first" not in card["detail"] and _labels(card) == []
    assert "**To do:** Sign the IgG lab order drafted with it (2026-01-24) and await the result." in card["detail"], \
        card["detail"]
