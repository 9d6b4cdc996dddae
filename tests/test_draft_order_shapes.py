"""Draft orders shaped as EHRs send them (order-select / order-sign), over HTTP and replay.

The drug through a Medication (contained, beside the draft in draftOrders, in prefetch, nowhere, by its
ingredient); the planned dates as `timing.event` or a length (boundsDuration / boundsRange) instead of a
boundsPeriod; selections naming a draft that is not there. The chart: CAR-T 2025-11-18 (stop date
2026-05-18), IgG 3.2 g/L on 2026-01-13, no substitution (pt-dk-0001).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import date

import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class

from cds_service.http.app import create_app
from cds_service.http.discovery import ORDER_SELECT_ID, ORDER_SIGN_ID
from cds_service.tools.replay import request_from_bundle

from .environment import tmp_settings
from .fixtures import FIXTURES
from .servers import ROOT, SettableClock, serve_in_thread

CHART = "cart-in-window-igg-low"
ATC_IVIG = {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]}
VARENUMMER = {"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "176934", "display": "Privigen 100 mg/ml"}]}


@pytest.fixture(scope="module")
def server():
    clock = SettableClock()
    with serve_in_thread(create_app(tmp_settings(), clock=clock)) as base:
        yield base, clock


def ivig(**changes) -> dict:
    draft = json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text())
    draft.update(changes)
    return {k: v for k, v in draft.items() if v is not None}


def by_reference(medication: str, **changes) -> dict:
    return ivig(medicationCodeableConcept=None, medicationReference={"reference": medication}, **changes)


def post(server, drafts: list[dict], hook: str = "order-sign", selections: list[str] | None = None,
         prefetched: list[dict] = (), at: str = "2026-01-20", lang: str = "en") -> httpx.Response:
    base, clock = server
    clock.set(date.fromisoformat(at))
    request = request_from_bundle(json.loads((FIXTURES / f"{CHART}.json").read_text()), hook, copy.deepcopy(drafts))
    if selections is not None:
        request["context"]["selections"] = selections
    request["prefetch"]["medicationRequests"]["entry"] += [{"resource": m, "search": {"mode": "include"}} for m in prefetched]
    service = ORDER_SIGN_ID if hook == "order-sign" else ORDER_SELECT_ID
    return httpx.post(f"{base}/cds-services/{service}", json=request, timeout=10, headers={"Accept-Language": lang})


def the_card(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    return card


def codes(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [c["source"]["topic"]["code"] for c in response.json()["cards"]]


def diagnostics(response: httpx.Response) -> str:
    return str(response.json()["issue"][0]["diagnostics"])


# -- the drug through a Medication --------------------------------------------------------------


def test_order_select_finds_the_medication_sent_beside_the_selected_draft(server):
    """The Medication is an entry of draftOrders but not a selection: it was read only on order-sign."""
    medication = {"resourceType": "Medication", "id": "m-ivig", "code": ATC_IVIG}
    response = post(server, [by_reference("Medication/m-ivig"), medication], "order-select",
                    ["MedicationRequest/draft-ivig-0001"])
    assert codes(response) == ["order-meets-criteria"]
    assert codes(post(server, [by_reference("Medication/m-ivig")], prefetched=[medication])) == ["order-meets-criteria"]


def test_a_versioned_or_absolute_reference_to_a_sent_medication_is_followed(server):
    medication = {"resourceType": "Medication", "id": "m-ivig", "code": ATC_IVIG}
    for reference in ("Medication/m-ivig/_history/3", "https://ehr.example/fhir/Medication/m-ivig/_history/3",
                      "https://ehr.example/fhir/Medication/m-ivig"):
        assert codes(post(server, [by_reference(reference)], prefetched=[medication])) == ["order-meets-criteria"]


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
def test_a_draft_naming_a_medication_sent_nowhere_is_named_not_passed_over(server, hook):
    response = post(server, [by_reference("Medication/m-ivig")], hook, ["MedicationRequest/draft-ivig-0001"]
                    if hook == "order-select" else None)
    assert response.status_code == 412, response.text
    said = diagnostics(response)
    assert "MedicationRequest/draft-ivig-0001" in said and "Medication/m-ivig" in said and "not be checked" in said


@pytest.mark.parametrize("draft, words", [
    (by_reference("#med1"), "#med1 is not among its contained resources"),
    (ivig(medicationCodeableConcept=None, medicationReference={"id": "r1"}), "has no reference"),
    (by_reference("urn:uuid:6f0c1a52-3b7e-4d0e-9a51-0c2b8f1e7d44"), "not a reference this service resolves"),
    (by_reference("#med1", contained=[{"resourceType": "Medication", "id": "med1", "form": {"text": "infusion"}}]),
     "has no code"),
])
def test_a_draft_whose_drug_cannot_be_read_is_400_saying_why(server, draft, words):
    response = post(server, [draft])
    assert response.status_code == 400, response.text
    assert "MedicationRequest/draft-ivig-0001" in diagnostics(response) and words in diagnostics(response)


def paracetamol(**changes) -> dict:
    draft = json.loads((FIXTURES / "drafts" / "paracetamol-pt-dk-0001.draft.json").read_text())
    draft.update(changes)
    return {k: v for k, v in draft.items() if v is not None}


@pytest.mark.parametrize("reference", ["Medication/m-para", "#m-para"])
def test_a_draft_whose_drug_cannot_be_read_does_not_take_the_card_of_the_order_beside_it(server, reference):
    """An IVIG and a second draft naming a Medication not sent: the IVIG is still judged (a 412 or 400 is no card
    at all), and its card says the other draft's drug was not checked."""
    other = paracetamol(medicationCodeableConcept=None, medicationReference={"reference": reference})
    for lang, words in (("en", "The drug of an order could not be read: it was not checked"),
                        ("da", "Lægemidlet i en ordination kunne ikke læses: det er ikke vurderet")):
        response = post(server, [ivig(), other], lang=lang)
        card = the_card(response)
        assert card["source"]["topic"]["code"] == "order-meets-criteria" and words in card["detail"], card["detail"]
    assert post(server, [other]).status_code in (400, 412)  # alone, it is still the answer


def test_a_drug_that_cannot_be_read_is_no_refusal_for_a_patient_no_order_could_get_a_card_for(server):
    """No CAR-T or bsAb on the chart, none known by name, no haematological malignancy: whatever the drug, no draft
    gets a card, and a paracetamol naming a Medication not sent was answered 412 (an order of every such patient)."""
    base, clock = server
    clock.set(date(2026, 1, 20))
    chart = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"resource": {"resourceType": "Patient", "id": "pt-dk-0001", "birthDate": "1960-05-01"}}]}
    other = paracetamol(medicationCodeableConcept=None, medicationReference={"reference": "Medication/m-para"})
    for draft in (other, ivig(medicationCodeableConcept=None, medicationReference={"reference": "Medication/m-ivig"})):
        request = request_from_bundle(chart, "order-sign", [copy.deepcopy(draft)])
        response = httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=10)
        assert response.status_code == 200 and response.json()["cards"] == [], response.text


def test_a_drug_that_cannot_be_read_is_no_refusal_for_a_deceased_patient(server):
    """The in-window CAR-T patient, dead since 2026-01-15: no card after death in any hook, so a draft whose
    Medication was not sent changes no answer (it was a 412); the day before the death it is still refused."""
    base, clock = server
    bundle = json.loads((FIXTURES / f"{CHART}.json").read_text())
    bundle["entry"][0]["resource"]["deceasedDateTime"] = "2026-01-15"
    draft = ivig(medicationCodeableConcept=None, medicationReference={"reference": "Medication/m-ivig"})
    for day, status in (("2026-01-20", 200), ("2026-01-14", 412)):
        clock.set(date.fromisoformat(day))
        request = request_from_bundle(copy.deepcopy(bundle), "order-sign", [copy.deepcopy(draft)])
        response = httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=10)
        assert response.status_code == status, response.text
        if status == 200:
            assert response.json()["cards"] == []


def test_a_drug_named_only_by_its_references_display_is_read_by_that_name(server):
    """Reference.display is valid FHIR without a reference: read as a name, as a CodeableConcept with text only is
    (it was a 400 for any drug, a paracetamol too)."""
    named = {"display": "Privigen 100 mg/ml"}
    for reference in (named, {"reference": "Medication/m-not-sent", **named}):
        card = the_card(post(server, [ivig(medicationCodeableConcept=None, medicationReference=reference)]))
        assert card["source"]["topic"]["code"] == "order-not-recognised" and "Privigen" in card["summary"]
    response = post(server, [paracetamol(medicationCodeableConcept=None, medicationReference={"display": "Pamol"})])
    assert response.status_code == 200 and response.json()["cards"] == []


def test_a_product_number_is_read_through_the_medications_ingredient(server):
    """A Danish varenummer is in no value set; the Medication's ingredient (ATC J06BA02) says what it is."""
    contained = {"resourceType": "Medication", "id": "med1", "code": VARENUMMER,
                 "ingredient": [{"itemCodeableConcept": ATC_IVIG, "isActive": True}]}
    card = the_card(post(server, [by_reference("#med1", contained=[contained])]))
    assert card["source"]["topic"]["code"] == "order-meets-criteria" and "2026-05-18" in card["summary"]
    contained.pop("code")
    assert codes(post(server, [by_reference("#med1", contained=[contained])])) == ["order-meets-criteria"]


# -- planned dates other than a boundsPeriod --------------------------------------------------


def test_a_draft_planned_by_its_dose_dates_after_the_stop_date_follows_the_general_criteria(server):
    """No boundsPeriod, doses on 2026-06-01 and 2026-06-29: it starts after the stop date 2026-05-18 (§4.3)."""
    draft = ivig(dosageInstruction=[{"timing": {"event": ["2026-06-01T09:00:00+02:00", "2026-06-29T09:00:00+02:00"]}}])
    card = the_card(post(server, [draft]))
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria"
    assert card["summary"].startswith("Ig order from 2026-06-01, after the high-risk window: general criteria not met")
    assert "it starts 2026-06-01, on or after the stop date 2026-05-18" in card["detail"]


def test_the_end_suggested_for_dose_dates_drops_the_doses_after_it(server):
    draft = ivig(dosageInstruction=[{"timing": {"event": ["2026-02-01T09:00:00+01:00", "2026-06-01T09:00:00+02:00"]}}])
    card = the_card(post(server, [draft]))
    assert card["source"]["topic"]["code"] == "order-meets-criteria"
    [suggestion] = card["suggestions"]
    [action] = suggestion["actions"]
    timing = action["resource"]["dosageInstruction"][0]["timing"]
    assert timing["event"] == ["2026-02-01T09:00:00+01:00"] and timing["repeat"]["boundsPeriod"]["end"] == "2026-05-18"
    get_fhir_model_class("MedicationRequest").model_validate(action["resource"])


@pytest.mark.parametrize("events, kept", [
    # 23:30 UTC on the stop date is 01:30 on 19 May in Copenhagen: after the suggested end, dropped (it was kept,
    # read as written, so the suggested order ended on 18 May before a dose it still listed)
    (["2026-02-01T09:00:00+01:00", "2026-05-18T23:30:00Z"], ["2026-02-01T09:00:00+01:00"]),
    # 01:00 at +05:00 on 19 May is 22:00 on 18 May in Copenhagen: on the stop date, kept (it was dropped as "19 May")
    (["2026-02-01T09:00:00+01:00", "2026-05-19T01:00:00+05:00", "2026-06-01T09:00:00+02:00"],
     ["2026-02-01T09:00:00+01:00", "2026-05-19T01:00:00+05:00"]),
])
def test_the_dose_days_dropped_after_the_suggested_end_are_copenhagen_days(server, events, kept):
    """The rules read a dose's day in Copenhagen; the suggested end (the stop date, 2026-05-18) dropped the doses
    after it by the date as written."""
    card = the_card(post(server, [ivig(dosageInstruction=[{"timing": {"event": events}}])]))
    assert card["source"]["topic"]["code"] == "order-meets-criteria"
    [suggestion] = card["suggestions"]
    [action] = suggestion["actions"]
    timing = action["resource"]["dosageInstruction"][0]["timing"]
    assert timing["event"] == kept and timing["repeat"]["boundsPeriod"]["end"] == "2026-05-18"


def test_a_dose_day_is_read_in_the_hospitals_time_zone():
    """The card layer's own unit: `ending_on` reads a dose day in the zone it is given (the runtime's)."""
    from zoneinfo import ZoneInfo

    from cds_service.cards.suggestions import ending_on

    order = {"resourceType": "MedicationRequest", "dosageInstruction": [{"timing": {"event": [
        "2026-05-18T10:00:00+02:00", "2026-05-19T03:00:00+02:00", "2026-06", "not a date"]}}]}
    end = date(2026, 5, 18)
    events = ending_on(order, end, ZoneInfo("Europe/Copenhagen"))["dosageInstruction"][0]["timing"]["event"]
    assert events == ["2026-05-18T10:00:00+02:00", "not a date"]  # June and 19 May dropped; an unreadable one kept
    events = ending_on(order, end, ZoneInfo("America/New_York"))["dosageInstruction"][0]["timing"]["event"]
    assert events == ["2026-05-18T10:00:00+02:00", "2026-05-19T03:00:00+02:00", "not a date"]  # 21:00 on the 18th there


def weekly(bounds: dict) -> dict:
    return ivig(dosageInstruction=[{"timing": {"repeat": {"frequency": 1, "period": 4, "periodUnit": "wk", **bounds}}}])


@pytest.mark.parametrize("bounds, ends", [
    ({"boundsDuration": {"value": 12, "unit": "wk", "system": "http://unitsofmeasure.org", "code": "wk"}}, "2026-04-14"),
    ({"boundsRange": {"low": {"value": 1, "unit": "mo"}, "high": {"value": 3, "unit": "mo"}}}, "2026-04-20"),
    # 2.5 months: two calendar months and 0.5 x 30.4375 = 15 days (it was cut to 2 months: "ends 2026-03-20")
    ({"boundsDuration": {"value": 2.5, "unit": "mo", "system": "http://unitsofmeasure.org", "code": "mo"}}, "2026-04-04"),
])
def test_a_draft_of_a_length_that_ends_before_the_stop_date_is_not_lengthened(server, bounds, ends):
    card = the_card(post(server, [weekly(bounds)]))  # authored 2026-01-20: it starts then
    assert card["source"]["topic"]["code"] == "order-meets-criteria"
    assert f"ends {ends} (stop date 2026-05-18)" in card["summary"]
    assert not card.get("suggestions")


def test_a_draft_of_several_dosages_of_a_length_ends_with_the_longest(server):
    weeks = [{"timing": {"repeat": {"boundsDuration": {"value": n, "unit": "wk", "code": "wk"}}}} for n in (4, 12)]
    card = the_card(post(server, [ivig(dosageInstruction=weeks)]))
    assert "ends 2026-04-14 (stop date 2026-05-18)" in card["summary"]


@pytest.mark.parametrize("bounds", [
    {"boundsDuration": {"value": 52, "unit": "wk", "system": "http://unitsofmeasure.org", "code": "wk"}},
    {"boundsRange": {"low": {"value": 6, "unit": "mo"}, "high": {"value": 12, "unit": "mo"}}},
])
def test_the_end_suggested_for_a_draft_of_a_length_is_valid_fhir(server, bounds):
    """Timing.repeat has one bounds[x]: the suggestion replaces the length by the period it gives."""
    card = the_card(post(server, [weekly(bounds)]))
    [suggestion] = card["suggestions"]
    [action] = suggestion["actions"]
    repeat = action["resource"]["dosageInstruction"][0]["timing"]["repeat"]
    assert repeat["boundsPeriod"] == {"start": "2026-01-20", "end": "2026-05-18"}
    assert "boundsDuration" not in repeat and "boundsRange" not in repeat and repeat["period"] == 4
    get_fhir_model_class("MedicationRequest").model_validate(action["resource"])


def _suggested(card: dict) -> dict:
    [suggestion] = card["suggestions"]
    [action] = suggestion["actions"]
    get_fhir_model_class("MedicationRequest").model_validate(action["resource"])
    return action["resource"]


def _line(start: str, end: str, **repeat) -> dict:
    return {"timing": {"repeat": {"boundsPeriod": {"start": start, "end": end}, **repeat}}}


def test_the_end_suggested_for_a_loading_line_and_a_maintenance_line_cuts_only_the_one_running_past(server):
    # A two-day loading dose, then IVIG every 4 weeks to 2026-08-31: the suggestion set every line's end to the stop
    # date, so the loading dose ran for four months.
    loading, maintenance = _line("2026-01-22", "2026-01-23"), _line("2026-02-19", "2026-08-31", frequency=1, period=4,
                                                                   periodUnit="wk")
    card = the_card(post(server, [ivig(dosageInstruction=[loading, maintenance])]))
    assert card["source"]["topic"]["code"] == "order-meets-criteria", card["summary"]
    lines = _suggested(card)["dosageInstruction"]
    assert lines == [loading, _line("2026-02-19", "2026-05-18", frequency=1, period=4, periodUnit="wk")], lines


def test_a_line_beginning_after_the_stop_date_is_dropped_not_given_an_end_before_its_start(server):
    first, later = _line("2026-01-22", "2026-04-30"), _line("2026-06-01", "2026-09-01", frequency=1, period=4,
                                                            periodUnit="wk")
    card = the_card(post(server, [ivig(dosageInstruction=[first, later])]))
    assert card["source"]["topic"]["code"] == "order-meets-criteria", card["summary"]
    assert _suggested(card)["dosageInstruction"] == [first]


def test_a_line_of_a_length_that_ends_before_the_stop_date_keeps_its_length(server):
    # 4 weeks from 2026-01-20 (the day it is signed) ends 2026-02-17; the 52-week line is cut to the stop date.
    four, year = ({"timing": {"repeat": {"boundsDuration": {"value": n, "unit": "wk", "code": "wk"}}}} for n in (4, 52))
    card = the_card(post(server, [ivig(dosageInstruction=[four, year])]))
    lines = _suggested(card)["dosageInstruction"]
    assert lines[0] == four, lines
    assert lines[1]["timing"]["repeat"] == {"boundsPeriod": {"start": "2026-01-20", "end": "2026-05-18"}}, lines


def test_an_order_whose_every_line_begins_after_the_end_is_not_made_invalid():
    from zoneinfo import ZoneInfo

    from cds_service.cards.suggestions import ending_on

    lines = [_line("2026-06-01", "2026-06-02"), _line("2026-06-29", "2026-09-01")]
    order = {"resourceType": "MedicationRequest", "dosageInstruction": copy.deepcopy(lines)}
    # no line to keep: the order is left as it is (the rules put such an order on hold instead), never given an end
    # before its start
    assert ending_on(order, date(2026, 5, 18), ZoneInfo("Europe/Copenhagen"))["dosageInstruction"] == lines


def test_a_line_with_a_dose_after_the_end_keeps_its_own_earlier_end_and_a_line_of_later_doses_is_dropped():
    """A line ending 2026-04-30 that also lists a dose on 2026-06-01 got the stop date as its end (lengthened); a line
    dated only by doses after the stop date was kept, as a period with no doses."""
    from zoneinfo import ZoneInfo

    from cds_service.cards.suggestions import ending_on

    early = {"timing": {"event": ["2026-06-01"], "repeat": {"boundsPeriod": {"start": "2026-01-22",
                                                                             "end": "2026-04-30"}}}}
    later = {"timing": {"event": ["2026-06-01", "2026-06-29"]}}
    before = {"timing": {"event": ["2026-02-01", "2026-03-01"]}}
    order = {"resourceType": "MedicationRequest", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/pt-dk-0001"}, "medicationCodeableConcept": ATC_IVIG,
             "dosageInstruction": [early, later, before, _line("2026-03-20", "2026-09-01")]}
    updated = ending_on(order, date(2026, 5, 18), ZoneInfo("Europe/Copenhagen"))
    get_fhir_model_class("MedicationRequest").model_validate(updated)
    assert updated["dosageInstruction"] == [
        {"timing": {"repeat": {"boundsPeriod": {"start": "2026-01-22", "end": "2026-04-30"}}}},  # the dose after: dropped
        before, _line("2026-03-20", "2026-05-18")], updated["dosageInstruction"]


def test_a_loading_dose_of_a_few_hours_beside_an_open_maintenance_line_does_not_end_the_order(server):
    """A 4-hour loading infusion (boundsDuration) and a maintenance line with no end: the order was read as ending the
    day it starts ("ends 2026-01-20"), and no end on the stop date was offered. It runs on; only the open line is
    ended on the stop date, the loading line keeps its length."""
    loading = {"timing": {"repeat": {"boundsDuration": {"value": 4, "unit": "h", "code": "h",
                                                        "system": "http://unitsofmeasure.org"}}}}
    maintenance = {"timing": {"repeat": {"boundsPeriod": {"start": "2026-02-19"}, "frequency": 1, "period": 4,
                                         "periodUnit": "wk"}}}
    card = the_card(post(server, [ivig(dosageInstruction=[loading, maintenance])]))
    assert card["summary"].endswith("end it on 2026-05-18"), card["summary"]
    lines = _suggested(card)["dosageInstruction"]
    assert lines[0] == loading and lines[1]["timing"]["repeat"]["boundsPeriod"] == {"start": "2026-02-19",
                                                                                      "end": "2026-05-18"}, lines


# -- selections ---------------------------------------------------------------------------


def test_a_selection_naming_no_draft_is_400_naming_it(server):
    response = post(server, [ivig()], "order-select", ["MedicationRequest/draft-ivig-9999"])
    assert response.status_code == 400, response.text
    assert "MedicationRequest/draft-ivig-9999" in diagnostics(response) and "draftOrders" in diagnostics(response)
    both = post(server, [ivig(), ivig(id="draft-ivig-2")], "order-select", ["MedicationRequest/draft-ivig-2"])
    assert codes(both) == ["order-meets-criteria"]
    assert both.json()["cards"][0]["suggestions"][0]["actions"][0]["resource"]["id"] == "draft-ivig-2"


# -- replay ------------------------------------------------------------------------------


def test_replay_reads_a_contained_medication_and_dose_dates(tmp_path):
    contained = {"resourceType": "Medication", "id": "med1", "code": VARENUMMER,
                 "ingredient": [{"itemCodeableConcept": ATC_IVIG}]}
    draft = by_reference("#med1", contained=[contained],
                         dosageInstruction=[{"timing": {"event": ["2026-06-01T09:00:00+02:00"]}}])
    path = tmp_path / "ivig.draft.json"
    path.write_text(json.dumps(draft))
    result = subprocess.run(
        [sys.executable, "-m", "cds_service.tools.cli", "replay", str(FIXTURES / f"{CHART}.json"), "--hook", "order-sign",
         "--draft", str(path), "--at", "2026-01-20", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    [card] = json.loads(result.stdout)["cards"]
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria" and "2026-06-01" in card["summary"]


# -- drafts about another patient -----------------------------------------------------------------


def another_patients_ivig() -> dict:
    return ivig(id="draft-ivig-other", subject={"reference": "Patient/pt-dk-9999"})


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
def test_a_call_whose_only_draft_is_another_patients_is_400_naming_it(server, hook):
    """An empty answer would read as "nothing to say" about an IVIG the service never checked (clinical-rules §7:
    resources of another patient are not used, and said so)."""
    response = post(server, [another_patients_ivig()], hook,
                    ["MedicationRequest/draft-ivig-other"] if hook == "order-select" else None)
    assert response.status_code == 400, response.text
    said = diagnostics(response)
    assert "MedicationRequest/draft-ivig-other" in said and "not about Patient/pt-dk-0001" in said, said


def test_another_patients_draft_beside_this_patients_is_named_on_its_card(server):
    for lang, words in (("en", "An order of another patient was ignored"), ("da", "en anden patient")):
        card = the_card(post(server, [ivig(), another_patients_ivig()], lang=lang))
        assert card["source"]["topic"]["code"] == "order-meets-criteria" and words in card["detail"], card["detail"]
