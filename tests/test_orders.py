"""order-select / order-sign: draft orders held against the criteria, over HTTP and replay."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import httpx
import pytest
from fhir.resources.R4B import get_fhir_model_class

from cds_service.http.app import create_app
from cds_service.http.discovery import ORDER_SELECT_ID, ORDER_SIGN_ID
from cds_service.tools.replay import load_drafts, request_from_bundle
from cql_like_rules.facts import Facts, IgGOrderDraft
from cql_like_rules.ruleset import MEDICINRAADET_2025

from .environment import tmp_settings
from .fixtures import FIXTURES
from .servers import ROOT, SettableClock, serve_in_thread

DRAFTS = FIXTURES / "drafts"
ORDER_CODES = {"order-meets-criteria", "order-does-not-meet-criteria", "plan-igg-monitoring", "child-individual-assessment",
               "order-not-recognised"}


def bundle(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def drafts(*names: str) -> list[dict]:
    return load_drafts([str(DRAFTS / f"{n}.draft.json") for n in names])


@pytest.fixture(scope="module")
def server():
    clock = SettableClock()
    with serve_in_thread(create_app(tmp_settings(), clock=clock)) as base:
        yield base, clock


def call(server, patient: str, at: str, draft_names, hook="order-sign", selections=None, lang="en") -> httpx.Response:
    base, clock = server
    clock.set(date.fromisoformat(at))
    request = request_from_bundle(bundle(patient), hook, drafts(*draft_names))
    if selections is not None:
        request["context"]["selections"] = selections
    service = ORDER_SIGN_ID if hook == "order-sign" else ORDER_SELECT_ID
    return httpx.post(f"{base}/cds-services/{service}", json=request, headers={"Accept-Language": lang}, timeout=10)


def codes(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(c["source"]["topic"]["code"] for c in response.json()["cards"])


def test_discovery_announces_both_order_hooks(server):
    services = {s["id"]: s for s in httpx.get(f"{server[0]}/cds-services").json()["services"]}
    assert services[ORDER_SELECT_ID]["hook"] == "order-select" and services[ORDER_SIGN_ID]["hook"] == "order-sign"
    for s in services.values():
        assert all("draftOrders" not in t for t in s["prefetch"].values())


def test_ivig_in_window_with_low_igg_meets_and_offers_the_end_date(server):
    response = call(server, "cart-in-window-igg-low", "2026-01-20", ["ivig-pt-dk-0001"])
    [card] = response.json()["cards"]
    assert card["source"]["topic"]["code"] == "order-meets-criteria" and card["indicator"] == "info"
    assert "2026-05-18" in card["summary"] and "3.2 g/L" in card["summary"]
    [suggestion] = card["suggestions"]
    [action] = suggestion["actions"]
    assert action["type"] == "update" and action["resource"]["id"] == "draft-ivig-0001"
    assert action["resource"]["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] == {"start": "2026-01-20", "end": "2026-05-18"}
    get_fhir_model_class("MedicationRequest").model_validate(action["resource"])


@pytest.mark.parametrize("lang, words", [("en", "The special criterion ends on 2026-02-05"),
                                         ("da", "Særkriteriet ophører 2026-02-05")])
def test_an_ivig_draft_late_in_the_window_says_when_the_special_criterion_ends(server, lang, words):
    response = call(server, "cart-start-criterion-met-days-before-stop-date", "2026-01-20", ["ivig-pt-dk-0048"],
                    lang=lang)
    [card] = response.json()["cards"]
    assert (card["source"]["topic"]["code"], card["indicator"]) == ("order-meets-criteria", "info")
    assert words in card["detail"]  # as on the patient-view card of the same patient
    early = call(server, "cart-in-window-igg-low", "2026-01-20", ["ivig-pt-dk-0001"], lang=lang).json()["cards"]
    assert "2026-05-18" in early[0]["summary"] and words.split(" 2026")[0] not in early[0]["detail"]


def test_ivig_with_normal_igg_does_not_meet_and_says_why(server):
    [card] = call(server, "cart-in-window-igg-7-5-fresh", "2026-02-24", ["scig-pt-dk-0006"]).json()["cards"]
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria" and card["indicator"] == "warning"
    assert "7.5 g/L" in card["summary"] and "not < 4 g/L" in card["summary"]
    reasons = {r["code"] for r in card["overrideReasons"]}
    # a first course: no extension to offer; IgG of 6 g/L or more: no uncoded infection could change it
    assert reasons == {"specialist-decision"}
    assert "Not met" in card["detail"]


def test_after_window_without_infections_and_old_igg_fails_for_want_of_infections_only(server):
    """IgG 3.1 g/L five months old and no infection: by the general criteria the IgG, however old, leaves the order
    unmet for want of infections alone, as patient-view says that day (clinical rules §3: an IgG is measured only for
    a patient with them), so the card names that one failure and suggests no IgG order."""
    [card] = call(server, "cart-after-window-no-infections-old-igg", "2026-02-20", ["ivig-pt-dk-0007"]).json()["cards"]
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria"
    assert "no usable IgG" not in card["summary"] and "no severe/recurrent" in card["summary"]
    assert "3.1 g/L" in card["summary"] and not igg_suggested(card)


def test_after_window_with_recurrent_infections_meets_general_criteria(server):
    [card] = call(server, "cart-after-window-recurrent-pneumonia-fresh-igg", "2026-02-03", ["ivig-pt-dk-0008"]).json()["cards"]
    assert card["source"]["topic"]["code"] == "order-meets-criteria" and "general criteria" in card["summary"]


def test_order_sign_comments_on_every_relevant_draft_once(server):
    response = call(server, "cart-in-window-igg-low", "2026-01-20", ["orders-pt-dk-0001", "ivig-pt-dk-0001"])
    assert codes(response) == ["order-meets-criteria", "plan-igg-monitoring"]  # paracetamol: no card; duplicate: once
    plan = next(c for c in response.json()["cards"] if c["source"]["topic"]["code"] == "plan-igg-monitoring")
    assert "2026-01-22" in plan["summary"] and "2026-07-22" in plan["summary"]
    assert "suggestions" not in plan  # an IgG from the last 30 days exists


def test_order_select_comments_only_on_selections(server):
    response = call(server, "cart-in-window-igg-low", "2026-01-20", ["orders-pt-dk-0001"], hook="order-select",
                    selections=["MedicationRequest/draft-tec-0001"])
    assert codes(response) == ["plan-igg-monitoring"]


def test_new_bsab_without_recent_igg_suggests_a_baseline(server):
    [card] = call(server, "rituximab-only-no-index-event", "2026-06-01", ["elranatamab-pt-dk-0022"]).json()["cards"]
    assert card["source"]["topic"]["code"] == "plan-igg-monitoring"
    assert card["suggestions"][0]["actions"][0]["resource"]["resourceType"] == "ServiceRequest"


def test_child_gets_the_child_card_on_order_hooks(server):
    assert codes(call(server, "child-16-tisagenlecleucel-on-ig", "2025-12-01", ["ivig-pt-dk-0020"])) == ["child-individual-assessment"]


@pytest.mark.parametrize("subject", [{"reference": "urn:uuid:0b6c2f4e-3f0a-4c55-9a39-2b7f7f0e0001"},  # the chart's own
                                     {"identifier": {"system": "urn:oid:1.2.208.176.1.2", "value": "1704611457"}}])
def test_a_draft_naming_the_patient_by_full_url_or_identifier_is_judged(server, subject):
    """The chart's resources may name the patient by the Patient's fullUrl or an identifier; so may a draft."""
    base, clock = server
    clock.set(date(2026, 1, 20))
    urn = "urn:uuid:0b6c2f4e-3f0a-4c55-9a39-2b7f7f0e0001"
    chart = json.loads(json.dumps(bundle("cart-in-window-igg-low")).replace('"Patient/pt-dk-0001"', f'"{urn}"'))
    chart["entry"][0]["fullUrl"] = urn
    [draft] = drafts("ivig-pt-dk-0001")
    draft["subject"] = subject
    request = request_from_bundle(chart, "order-sign", [draft])
    response = httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=10)
    assert codes(response) == ["order-meets-criteria"]
    action = response.json()["cards"][0]["suggestions"][0]["actions"][0]
    assert action["resource"]["id"] == "draft-ivig-0001" and action["resource"]["subject"] == subject


def test_no_card_without_malignancy_or_for_another_patient(server):
    assert codes(call(server, "teclistamab-sle-no-haem-malignancy", "2026-01-26", ["ivig-pt-dk-0032"])) == []
    other = call(server, "cart-in-window-igg-low", "2026-01-20", ["ivig-other-patient"])
    assert other.status_code == 400 and "not about Patient/pt-dk-0001" in other.text, other.text  # never judged, said


def test_continuation_on_substitution(server):
    [card] = call(server, "cart-ig-active-stop-planned-40-days", "2026-03-05", ["ivig-pt-dk-0011"]).json()["cards"]
    assert card["source"]["topic"]["code"] == "order-meets-criteria" and "2026-04-14" in card["summary"]
    [late] = call(server, "cart-ig-active-stop-planned-40-days", "2026-04-20", ["ivig-pt-dk-0011"]).json()["cards"]
    assert late["source"]["topic"]["code"] == "order-does-not-meet-criteria" and "2026-04-14 has passed" in late["summary"]


def test_order_hooks_never_return_patient_view_codes(server):
    base, clock = server
    clock.set(date(2026, 3, 5))
    seen = set()
    for name in ("cart-in-window-igg-low", "cart-after-window-no-infections-old-igg", "cart-ig-active-stop-planned-40-days"):
        chart = bundle(name)
        [patient] = [e["resource"]["id"] for e in chart["entry"] if e["resource"]["resourceType"] == "Patient"]
        [draft] = drafts("ivig-pt-dk-0001")
        draft["subject"] = {"reference": f"Patient/{patient}"}  # the draft of this chart's patient, so it is judged
        request = request_from_bundle(chart, "order-sign", [draft])
        response = httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=10)
        seen |= set(codes(response))
        assert set(codes(response)) <= ORDER_CODES
    assert seen, "no chart gave a card: the test checked nothing"


def test_danish_order_cards(server):
    [card] = call(server, "cart-in-window-igg-low", "2026-01-20", ["ivig-pt-dk-0001"], lang="da").json()["cards"]
    assert "opfylder startkriteriet" in card["summary"] and "3,2 g/L" in card["summary"]


@pytest.mark.parametrize("context_change, words", [
    ({"draftOrders": None}, "context.draftOrders"),
    ({"draftOrders": {"resourceType": "Patient"}}, "must be a FHIR Bundle"),
    ({"draftOrders": {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "MedicationRequest"}}]}}, "needs an id"),
])
def test_bad_draft_orders_are_400(server, context_change, words):
    base, clock = server
    request = request_from_bundle(bundle("cart-in-window-igg-low"), "order-sign", drafts("ivig-pt-dk-0001"))
    request["context"].update(context_change)
    response = httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=10)
    assert response.status_code == 400 and words in response.json()["issue"][0]["diagnostics"]


def test_order_select_needs_selections(server):
    base, _ = server
    request = request_from_bundle(bundle("cart-in-window-igg-low"), "order-select", drafts("ivig-pt-dk-0001"))
    del request["context"]["selections"]
    response = httpx.post(f"{base}/cds-services/{ORDER_SELECT_ID}", json=request, timeout=10)
    assert response.status_code == 400 and "selections" in response.json()["issue"][0]["diagnostics"]


def test_invalid_draft_order_is_400_naming_it(server):
    base, clock = server
    clock.set(date(2026, 1, 20))
    bad = drafts("ivig-pt-dk-0001")
    bad[0]["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"] = "2026-01-20T25:00:00"
    bad[0]["authoredOn"] = "not a date"
    request = request_from_bundle(bundle("cart-in-window-igg-low"), "order-sign", bad)
    response = httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=10)
    assert response.status_code == 400 and "MedicationRequest/draft-ivig-0001" in response.json()["issue"][0]["diagnostics"]


def test_replay_with_drafts_on_the_command_line():
    result = subprocess.run(
        [sys.executable, "-m", "cds_service.tools.cli", "replay", str(FIXTURES / "cart-in-window-igg-low.json"), "--hook", "order-sign",
         "--draft", str(DRAFTS / "ivig-pt-dk-0001.draft.json"), "--draft", str(DRAFTS / "teclistamab-pt-dk-0001.draft.json"),
         "--at", "2026-01-20", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert sorted(c["source"]["topic"]["code"] for c in json.loads(result.stdout)["cards"]) == ["order-meets-criteria", "plan-igg-monitoring"]
    missing = subprocess.run([sys.executable, "-m", "cds_service.tools.cli", "replay", str(FIXTURES / "cart-in-window-igg-low.json"),
                              "--hook", "order-sign"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "--draft" in missing.stderr


def test_an_ivig_draft_planned_after_the_stop_date_is_judged_at_its_start(server):
    """CAR-T 2025-11-18 (stop date 2026-05-18); signed 2026-05-10 to start 2026-05-25: the general criteria apply."""
    response = call(server, "cart-in-window-igg-low", "2026-05-10", ["ivig-after-stop-date-pt-dk-0001"])
    [card] = response.json()["cards"]
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria"
    assert card["summary"].startswith("Ig order from 2026-05-25, after the high-risk window: general criteria not met")
    assert "after the stop date 2026-05-18" in card["detail"]
    assert not any("2026-05-18" in s["label"] for s in card.get("suggestions", []))  # no end before its start
    same_day = call(server, "cart-in-window-igg-low", "2026-05-10", ["ivig-pt-dk-0001"])  # starts 2026-01-20: in the window
    assert [c["source"]["topic"]["code"] for c in same_day.json()["cards"]] == ["order-meets-criteria"]


# -- a draft whose name the guideline covers but whose code is in no value set ----------------


def local_draft(patient: str, text: str, code: str = "999999", start: str = "2026-01-20") -> dict:
    """An order as an EHR with an unmapped local or national product code sends it."""
    return {"resourceType": "MedicationRequest", "id": "draft-local-1", "status": "draft", "intent": "order",
            "subject": {"reference": f"Patient/{patient}"},
            "medicationCodeableConcept": {"text": text, "coding": [
                {"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": code, "display": text}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": start}}}}]}


def call_with(base: str, clock: SettableClock, patient: str, at: str, draft: dict, lang: str = "en") -> httpx.Response:
    clock.set(date.fromisoformat(at))
    request = request_from_bundle(bundle(patient), "order-sign", [draft])
    return httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, headers={"Accept-Language": lang}, timeout=10)


def test_an_ivig_draft_with_an_unknown_code_is_named_as_not_checked(server):
    base, clock = server
    draft = local_draft("pt-dk-0001", "Privigen 100 mg/ml infusionsvæske")
    [card] = call_with(base, clock, "cart-in-window-igg-low", "2026-01-20", draft).json()["cards"]
    assert card["source"]["topic"]["code"] == "order-not-recognised" and card["indicator"] == "warning"
    assert "Privigen" in card["summary"] and "999999" in card["summary"] and len(card["summary"]) <= 140
    assert "not applied" in card["detail"] and "IgG 3.2 g/L on 2026-01-13" in card["detail"]
    assert "suggestions" not in card or card["suggestions"] == []  # nothing is offered for an order not judged
    [card] = call_with(base, clock, "cart-in-window-igg-low", "2026-01-20", draft, lang="da").json()["cards"]
    assert card["summary"].startswith("Ordination ikke vurderet") and "værdisæt" in card["detail"]


def test_a_bsab_draft_with_an_unknown_code_is_named_too(server):
    base, clock = server
    draft = local_draft("pt-dk-0022", "Elrexfio 40 mg/ml", code="LOCAL-77", start="2026-06-03")
    [card] = call_with(base, clock, "rituximab-only-no-index-event", "2026-06-01", draft).json()["cards"]
    assert card["source"]["topic"]["code"] == "order-not-recognised"
    assert "a bispecific antibody" in card["detail"] and "LOCAL-77 (RXNORM)" in card["detail"]


def test_unknown_codes_get_no_card_where_a_known_one_would_get_none(server):
    base, clock = server
    outside = local_draft("pt-dk-0032", "Privigen 100 mg/ml")  # no haematological malignancy: not in scope
    assert codes(call_with(base, clock, "teclistamab-sle-no-haem-malignancy", "2026-01-26", outside)) == []
    other = local_draft("pt-dk-0001", "Paracetamol 500 mg")  # a name the guideline does not cover
    assert codes(call_with(base, clock, "cart-in-window-igg-low", "2026-01-20", other)) == []
    atg = local_draft("pt-dk-0001", "Thymoglobuline (anti-thymocyte globulin)")  # not substitution
    assert codes(call_with(base, clock, "cart-in-window-igg-low", "2026-01-20", atg)) == []


def test_the_same_draft_is_judged_once_the_site_adds_its_code(tmp_path):
    site = tmp_path / "valuesets"
    site.mkdir()
    (site / "immunoglobulin-substitution.json").write_text(json.dumps({
        "id": "immunoglobulin-substitution",
        "include": [{"system": "RXNORM", "code": "999999", "display": "Privigen (local)", "route": "iv",
                     "source": "Hospital X drug catalogue"}]}))
    clock = SettableClock()
    with serve_in_thread(create_app(tmp_settings(valueset_dir=str(site)), clock=clock)) as base:
        draft = local_draft("pt-dk-0001", "Privigen 100 mg/ml infusionsvæske")
        [card] = call_with(base, clock, "cart-in-window-igg-low", "2026-01-20", draft).json()["cards"]
    assert card["source"]["topic"]["code"] == "order-meets-criteria" and "2026-05-18" in card["summary"]


def test_child_card_on_a_car_t_order_gives_no_infusion_date(server):
    """A CAR-T order does not date the infusion (manufacturing takes weeks): the child card must not invent one."""
    base, clock = server
    draft = {"resourceType": "MedicationRequest", "id": "draft-kymriah-1", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/pt-dk-0020"},
             "medicationCodeableConcept": {"text": "Kymriah", "coding": [
                 {"system": "http://www.whocc.no/atc", "code": "L01XL04", "display": "tisagenlecleucel"}]}}
    [card] = call_with(base, clock, "child-16-tisagenlecleucel-on-ig", "2025-12-01", draft).json()["cards"]
    assert card["source"]["topic"]["code"] == "child-individual-assessment"
    assert "2025-12-01" not in card["summary"] and "CAR-T ordered" in card["summary"] and len(card["summary"]) <= 140
    [card] = call_with(base, clock, "child-16-tisagenlecleucel-on-ig", "2025-12-01", draft, lang="da").json()["cards"]
    assert "2025-12-01" not in card["summary"] and "CAR-T ordineret" in card["summary"]


def test_a_draft_ending_before_the_stop_date_is_not_told_to_end_on_it(server):
    """The clinician chose a shorter course: the card must not tell them to let it run to the stop date."""
    base, clock = server
    draft = drafts("ivig-pt-dk-0001")[0]
    draft["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-01-20", "end": "2026-03-01"}}}}]
    [card] = call_with(base, clock, "cart-in-window-igg-low", "2026-01-20", draft).json()["cards"]
    assert card["source"]["topic"]["code"] == "order-meets-criteria" and "suggestions" not in card
    assert "end it on 2026-05-18" not in card["summary"] and "ends 2026-03-01" in card["summary"]
    assert "Let the order end on the stop date" not in card["detail"] and len(card["summary"]) <= 140
    [card] = call_with(base, clock, "cart-in-window-igg-low", "2026-01-20", draft, lang="da").json()["cards"]
    assert "ender 2026-03-01" in card["summary"] and "slut den 2026-05-18" not in card["summary"]


def test_a_continuation_draft_ending_before_the_stop_date_is_not_told_to_end_on_it(server):
    """As for a new start: a continuation the clinician already ends earlier keeps its end, and the stop is
    attempted then, not on the stop date."""
    base, clock = server
    draft = drafts("ivig-pt-dk-0011")[0]
    draft["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-03-05", "end": "2026-03-31"}}}}]
    [card] = call_with(base, clock, "cart-ig-active-stop-planned-40-days", "2026-03-05", draft).json()["cards"]
    assert card["source"]["topic"]["code"] == "order-meets-criteria" and "suggestions" not in card
    assert "end the order on the stop date" not in card["summary"] and "ends 2026-03-31" in card["summary"]
    assert "2026-04-14" in card["summary"] and len(card["summary"]) <= 140
    assert "Let the order end on 2026-04-14" not in card["detail"] and "(2026-03-31)" in card["detail"]
    [card] = call_with(base, clock, "cart-ig-active-stop-planned-40-days", "2026-03-05", draft, lang="da").json()["cards"]
    assert "slutter 2026-03-31" in card["summary"] and "slut ordinationen på seponeringsdatoen" not in card["summary"]
    assert "Lad ordinationen slutte 2026-04-14" not in card["detail"] and len(card["summary"]) <= 140


@pytest.mark.parametrize("at", ["2026-01-12", "2026-05-01"])
def test_a_continuation_under_the_general_criteria_names_the_review_date_patient_view_gives(server, at):
    """Order-sign and patient-view on the same day name the same stop review date, not only '6-12 months after start'."""
    base, clock = server
    draft = drafts("ivig-pt-dk-0011")[0]
    draft["subject"] = {"reference": "Patient/pt-dk-0017"}
    draft["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": {"start": at}}}}]
    [card] = call_with(base, clock, "cart-ig-started-after-sepsis-general-stop-review", at, draft).json()["cards"]
    request = request_from_bundle(bundle("cart-ig-started-after-sepsis-general-stop-review"))
    [view] = httpx.post(f"{base}/cds-services/igsub-patient-view", json=request, timeout=10).json()["cards"]
    assert view["source"]["topic"]["code"] == "general-stop-review" and "2026-04-27" in view["summary"]
    assert card["source"]["topic"]["code"] == "order-meets-criteria" and "2026-04-27" in card["summary"]
    assert "2026-04-27" in card["detail"] and len(card["summary"]) <= 140 and "suggestions" not in card
    [card] = call_with(base, clock, "cart-ig-started-after-sepsis-general-stop-review", at, draft, lang="da").json()["cards"]
    assert "2026-04-27" in card["summary"] and "seponering" in card["summary"]
    assert "vurderingsdato 2026-04-27" in card["detail"]  # also when the date has just passed (a review due now)


# -- an IgG lab order drafted in the same session --------------------------------------------------


def trace(card: dict) -> dict[str, dict]:
    return {step["name"]: step for step in card["extension"]["dk.igsub-cds.trace"]}


def igg_suggested(card: dict) -> bool:
    return any(a.get("resource", {}).get("resourceType") == "ServiceRequest"
               for s in card.get("suggestions", []) for a in s["actions"])


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
@pytest.mark.parametrize("lang, note", [
    ("en", "An IgG lab order (2026-06-01) is among the draft orders: no second one is suggested."),
    ("da", "En IgG-rekvisition (2026-06-01) er blandt udkastene: der foreslås ikke endnu en.")])
def test_a_baseline_igg_drafted_with_the_bispecific_is_not_suggested_again_and_the_card_says_why(
        server, hook, lang, note):
    """The elranatamab card asks for a baseline IgG; drafted beside it (selected or not), the IgG order is not
    suggested twice: the card says one is drafted, and its trace names the drafted order."""
    selections = ["MedicationRequest/draft-elra-0022"] if hook == "order-select" else None
    [alone] = call(server, "rituximab-only-no-index-event", "2026-06-01", ["elranatamab-pt-dk-0022"], hook=hook,
                   lang=lang).json()["cards"]
    [card] = call(server, "rituximab-only-no-index-event", "2026-06-01", ["elranatamab-pt-dk-0022", "igg-lab-pt-dk-0022"],
                  hook=hook, selections=selections, lang=lang).json()["cards"]
    assert igg_suggested(alone) and note not in alone["detail"] and "value" not in trace(alone)["IgG Order Drafted"]
    assert card["source"]["topic"]["code"] == "plan-igg-monitoring" and not igg_suggested(card)
    assert card["summary"] == alone["summary"] and len(card["summary"]) < 140
    assert note in card["detail"] and len(card["detail"]) <= 700
    assert alone["detail"] == card["detail"].replace(f"*{'Note' if lang == 'en' else 'Bemærk'}:* {note}\n\n", "")
    drafted = trace(card)["IgG Order Drafted"]
    assert drafted["references"] == ["ServiceRequest/draft-igg-0022"]
    assert drafted["value"] == [{"type": "IgGOrderDraft", "source": "ServiceRequest/draft-igg-0022", "date": "2026-06-01"}]


def test_an_igg_drafted_with_an_ivig_order_that_needs_one_is_not_suggested_again(server):
    """Recurrent pneumonias and no usable IgG for 90 days (IgG of 2026-01-26, read on 2026-05-01): the IVIG card asks
    for an IgG; an NPU IgG order (active) drafted with it is enough."""
    lab = drafts("igg-lab-pt-dk-0007")[0]
    lab["subject"] = {"reference": "Patient/pt-dk-0008"}
    base, clock = server
    clock.set(date(2026, 5, 1))

    def sign(*orders: dict) -> list[dict]:
        request = request_from_bundle(bundle("cart-after-window-recurrent-pneumonia-fresh-igg"), "order-sign",
                                      list(orders))
        return httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=10).json()["cards"]

    [alone] = sign(*drafts("ivig-pt-dk-0008"))
    [card] = sign(*drafts("ivig-pt-dk-0008"), lab)
    assert "no usable IgG for 90 days" in alone["summary"], alone["summary"]
    assert igg_suggested(alone) and not igg_suggested(card)
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria" and card["summary"] == alone["summary"]
    assert "An IgG lab order (2026-02-20) is among the draft orders" in card["detail"]
    assert trace(card)["IgG Order Drafted"]["references"] == ["ServiceRequest/draft-igg-0007"]
    assert {r["code"] for r in card["overrideReasons"]} == {r["code"] for r in alone["overrideReasons"]}


def test_an_igg_drafted_where_the_card_asks_for_none_changes_nothing(server):
    """A fresh IgG on record: the teclistamab card suggests no IgG order, and a drafted one is not mentioned."""
    lab = drafts("igg-lab-pt-dk-0022")[0]
    lab["subject"] = {"reference": "Patient/pt-dk-0001"}
    base, clock = server
    clock.set(date(2026, 1, 20))
    request = request_from_bundle(bundle("cart-in-window-igg-low"), "order-sign", [*drafts("teclistamab-pt-dk-0001"), lab])
    [card] = httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=10).json()["cards"]
    [alone] = call(server, "cart-in-window-igg-low", "2026-01-20", ["teclistamab-pt-dk-0001"]).json()["cards"]
    assert card["summary"] == alone["summary"] and card["detail"] == alone["detail"] and "suggestions" not in card
    assert "IgG Order Drafted" not in trace(card)  # never evaluated: nothing to measure


@pytest.mark.parametrize("status, drafted", [("draft", True), ("active", True), ("revoked", False),
                                             ("entered-in-error", False), ("completed", False)])
def test_only_an_igg_lab_order_being_drafted_counts(server, status, drafted):
    """A lab order revoked or entered in error in the draft bundle orders nothing: the IgG is still suggested."""
    lab = drafts("igg-lab-pt-dk-0022")[0]
    lab["status"] = status
    base, clock = server
    clock.set(date(2026, 6, 1))
    request = request_from_bundle(bundle("rituximab-only-no-index-event"), "order-sign",
                                  [*drafts("elranatamab-pt-dk-0022"), lab])
    [card] = httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=10).json()["cards"]
    assert igg_suggested(card) is not drafted


def test_an_igg_lab_order_for_another_patient_is_not_this_patients(server):
    lab = drafts("igg-lab-pt-dk-0022")[0]
    lab["subject"] = {"reference": "Patient/pt-dk-0001"}
    base, clock = server
    clock.set(date(2026, 6, 1))
    request = request_from_bundle(bundle("rituximab-only-no-index-event"), "order-sign",
                                  [*drafts("elranatamab-pt-dk-0022"), lab])
    [card] = httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=request, timeout=10).json()["cards"]
    assert igg_suggested(card) and "value" not in trace(card)["IgG Order Drafted"]


def test_patient_view_never_reads_draft_orders(server):
    """Drafts exist only on order hooks: a patient-view request carrying draftOrders still asks for the IgG."""
    base, clock = server
    clock.set(date(2026, 2, 9))
    request = request_from_bundle(bundle("cart-after-window-sepsis-igg-200-days-old"))
    lab = drafts("igg-lab-pt-dk-0007")[0]
    lab["subject"] = {"reference": "Patient/pt-dk-0009"}
    request["context"]["draftOrders"] = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": lab}]}
    [card] = httpx.post(f"{base}/cds-services/igsub-patient-view", json=request, timeout=10).json()["cards"]
    assert card["source"]["topic"]["code"] == "measure-igg" and igg_suggested(card)
    assert "IgG Order Drafted" not in trace(card) and "draft orders" not in card["detail"]


def test_the_drafted_igg_is_a_fact_only_order_hooks_read():
    """"IgG Order Drafted" is an order-level definition: evaluating it for patient-view is an error, not an empty list."""
    facts = Facts(igg_orders_drafted=(IgGOrderDraft("ServiceRequest/lab", date(2026, 2, 9)),))
    context = MEDICINRAADET_2025.context(facts, date(2026, 2, 9))
    with pytest.raises(LookupError, match="needs a draft order"):
        context["IgG Order Drafted"]


def test_replay_order_sign_shows_the_drafted_igg_in_the_trace():
    """`cds-service replay --hook order-sign`: no IgG order suggested, the note on the card, the draft in the reasoning."""
    result = subprocess.run(
        [sys.executable, "-m", "cds_service.tools.cli", "replay", str(FIXTURES / "rituximab-only-no-index-event.json"),
         "--hook", "order-sign", "--draft", str(DRAFTS / "elranatamab-pt-dk-0022.draft.json"),
         "--draft", str(DRAFTS / "igg-lab-pt-dk-0022.draft.json"), "--at", "2026-06-01", "--trace"],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "An IgG lab order (2026-06-01) is among the draft orders: no second one is suggested." in result.stdout
    [line] = [x for x in result.stdout.splitlines() if x.strip().startswith("IgG Order Drafted = ")]
    assert "ServiceRequest/draft-igg-0022" in line and "2026-06-01" in line
    assert "Order serum IgG" not in result.stdout  # the suggestion's label


# -- acceptance round 3: order hooks held to the guideline ----------------------------------------------


@pytest.mark.parametrize("lang, words", [("en", "stop review due since 2026-12-01"),
                                         ("da", "seponeringsvurdering aktuel fra 2026-12-01")])
def test_a_continuation_while_the_general_stop_review_is_due_warns_as_patient_view_does(server, lang, words):
    """Ig given since 2025-12-01 after a severe sepsis (general stop criteria, §4.2: a stop attempt 6-12 months after
    the start, then a review every 6 months); on 2026-12-20 patient-view warns that the review is due (2026-12-01).
    A continuation order signed that day said 'meets the criteria' (info) with the passed date as a 'review date'."""
    fixture = "sepsis-then-ig-general-review-due-continuation-drafted"
    [card] = call(server, fixture, "2026-12-20", ["scig-continuation-pt-dk-0112"], lang=lang).json()["cards"]
    assert card["source"]["topic"]["code"] == "order-meets-criteria" and card["indicator"] == "warning"
    assert words in card["summary"] and len(card["summary"]) <= 140 and "suggestions" not in card
    assert {r["code"] for r in card["overrideReasons"]} == {"infections-persist", "specialist-decision"}
    base, clock = server
    request = request_from_bundle(bundle(fixture))
    [view] = httpx.post(f"{base}/cds-services/igsub-patient-view", json=request, timeout=10).json()["cards"]
    assert view["source"]["topic"]["code"] == "general-stop-review" and view["indicator"] == "warning"


def test_a_continuation_before_the_general_review_is_due_stays_information(server):
    """On Ig since before T0 (2025-06-01): a SCIG switch in the window names the first review (the later of six
    months after the start and the stop date, [policy]) and is information; it promises no special stop."""
    [card] = call(server, "ig-before-t0-continuing-general-review-at-stop-date", "2026-02-01",
                  ["scig-switch-pt-dk-0113"]).json()["cards"]
    assert card["source"]["topic"]["code"] == "order-meets-criteria" and card["indicator"] == "info"
    assert "general SID criteria" in card["summary"] and "2026-05-03" in card["summary"]
    assert "suggestions" not in card and "end it on" not in card["summary"]


@pytest.mark.parametrize("fixture, at, draft, failing", [
    ("ig-in-window-continuation-drafted-on-stop-date", "2026-05-03", "scig-continuation-pt-dk-0114",
     "it starts 2026-05-03, on or after the stop date 2026-05-03"),
    ("ig-stopped-in-window-restart-without-infections", "2026-02-23", "ivig-restart-pt-dk-0115",
     "no severe/recurrent verified bacterial infection"),
])
def test_a_continuation_on_the_stop_date_and_a_restart_without_infections_do_not_meet(server, fixture, at, draft,
                                                                                      failing):
    """§4.2: substitution started in the window is paused at T0 + 6 months (a short extension is an override);
    §4.3: a restart inside the window follows the general criteria (IgG < 4 g/L and severe/recurrent infections)."""
    [card] = call(server, fixture, at, [draft]).json()["cards"]
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria" and card["indicator"] == "warning"
    assert failing in card["detail"]


@pytest.mark.parametrize("lang, notice", [("en", "The special criterion ends on 2026-05-03"),
                                          ("da", "Særkriteriet ophører 2026-05-03")])
def test_an_order_signed_early_for_a_start_late_in_the_window_gets_the_late_start_notice(server, lang, notice):
    """Signed 2026-03-01 to start 2026-04-20, 13 days before the stop date: judged at its start (spec §7)."""
    [card] = call(server, "cart-in-window-ivig-booked-13-days-before-stop", "2026-03-01",
                  ["ivig-booked-late-pt-dk-0116"], lang=lang).json()["cards"]
    assert card["source"]["topic"]["code"] == "order-meets-criteria" and notice in card["detail"]
    [action] = card["suggestions"][0]["actions"]
    assert action["resource"]["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["end"] == "2026-05-03"


def test_the_danish_general_criteria_order_card_names_the_infections_bacterial(server):
    """§4.1/§4.3: the general criteria ask for severe or recurrent verified *bacterial* infections; the Danish summary
    said only 'infektioner' where the English one says 'bacterial infections'."""
    base, clock = server
    draft = drafts("ivig-pt-dk-0001")[0]
    draft["subject"] = {"reference": "Patient/pt-dk-0106"}
    draft["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-07-22"}}}}]
    [card] = call_with(base, clock, "after-special-stop-recurrent-pneumonias-restart-general-criteria", "2026-07-22",
                       draft, lang="da").json()["cards"]
    assert card["source"]["topic"]["code"] == "order-meets-criteria"
    assert "svære/tilbagevendende bakterielle infektioner" in card["summary"] and len(card["summary"]) <= 140
