"""Cards read as a clinician reads them: nothing on a card contradicts the rest of it, and a
Danish card's suggested order reads Danish too."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest
from fhir.resources.R4B import get_fhir_model_class

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES
from . import pages

RUNTIME = load_runtime(Settings())


def _bundle(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def _draft(name: str) -> dict:
    return json.loads((FIXTURES / "drafts" / f"{name}.draft.json").read_text())


def _card(cards: list[dict], code: str) -> dict:
    [found] = [c for c in cards if c["source"]["topic"]["code"] == code]
    return found


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize("lang, not_met, individual", [("en", "Not met", "individual"),
                                                       ("da", "Ikke opfyldt", "individuel")])
def test_a_child_order_card_lists_no_adult_criterion_as_not_met(hook, lang, not_met, individual):
    # 16 years old at CAR-T 2025-09-10; an IVIG order drafted to begin 2026-05-25, after the stop date 2026-03-10.
    # The child card says the adult criteria do not apply: it must not list one of them as "not met".
    draft = _draft("ivig-after-stop-date-pt-dk-0001")
    bundle = _bundle("child-16-tisagenlecleucel-on-ig")
    patient = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    draft["subject"] = {"reference": f"Patient/{patient}"}
    cards = replay(RUNTIME, bundle, lang=lang, hook=hook, drafts=[draft], at=date(2025, 12, 1)).cards
    card = _card(cards, "child-individual-assessment")
    assert individual in card["summary"]
    assert not_met not in card["detail"]
    assert "2025-09-10" in card["detail"]  # its facts stay: T0 and the window


@pytest.mark.parametrize("lang, unknown", [("en", "type unknown"), ("da", "type ukendt")])
def test_the_myeloma_card_title_holds_when_the_m_protein_is_known_igg(lang, unknown):
    # IgG kappa myeloma (immunofixation), total IgG 6.5 g/L with no M-protein measured with it: the type is known,
    # the amount is not. The card's title must not say the type is unknown while its text says it is IgG.
    bundle = _bundle("igg-kappa-myeloma-normal-total-low-polyclonal-start")
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"].get("id") != "obs-mprotein-0055"]
    igg = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "obs-igg-0055-a")
    igg["valueQuantity"]["value"] = 6.5
    answer = replay(RUNTIME, bundle, lang=lang, at=date(2026, 1, 20))
    assert [(a.code, a.variant) for a in answer.advice] == [("paraprotein-type-unknown", "igg-no-m-protein")]
    [card] = answer.cards
    assert "IgG" in card["summary"] and unknown not in card["source"]["topic"]["display"]


@pytest.mark.parametrize("lang, left", [("en", "days left"), ("da", "dage tilbage")])
def test_a_card_under_the_general_stop_criteria_counts_no_days_to_the_window_end(lang, left):
    # IVIG begun after a severe infection inside the window: the general stop criteria apply, with a review on
    # 2026-04-27. "(62 days left)" beside the window's end read as a countdown to a stop the card says does not apply.
    bundle = _bundle("cart-ig-started-after-sepsis-general-stop-review")
    at = date(2026, 1, 12)
    [review] = replay(RUNTIME, bundle, lang=lang, at=at).cards
    assert review["source"]["topic"]["code"] == "general-stop-review"
    patient = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    draft = _draft("ivig-after-stop-date-pt-dk-0001")
    draft["subject"] = {"reference": f"Patient/{patient}"}
    order = _card(replay(RUNTIME, bundle, lang=lang, hook="order-sign", drafts=[draft], at=at).cards,
                  "order-meets-criteria")
    for card in (review, order):
        assert "2026-03-15" in card["detail"] and "2026-04-27" in card["detail"]  # the window's end, the review
        assert left not in card["detail"] and left not in card["summary"]


def test_a_window_card_still_counts_the_days_to_the_stop_date():
    [card] = replay(RUNTIME, _bundle("cart-ig-active-stop-planned-40-days"), at=date(2026, 3, 5)).cards
    assert "(40 days left)" in card["summary"] and "(40 days left)" in card["detail"]


@pytest.mark.parametrize("lang, words", [("en", "Immunoglobulin"), ("da", "Immunglobulin")])
def test_a_suggested_immunoglobulin_order_reads_in_the_cards_language(lang, words):
    [card] = replay(RUNTIME, _bundle("cart-in-window-igg-low"), lang=lang, at=date(2026, 1, 20)).cards
    created = [a["resource"] for s in card["suggestions"] for a in s["actions"] if a["type"] == "create"]
    assert {r["resourceType"] for r in created} == {"MedicationRequest"} and len(created) == 2
    for resource in created:
        get_fhir_model_class("MedicationRequest").model_validate(copy.deepcopy(resource))
        text = resource["medicationCodeableConcept"]["text"]
        assert text.startswith(words) and ("IVIG" in text or "SCIG" in text)
        if lang == "da":
            assert "human," not in text and "administration" not in text
        [coding] = resource["medicationCodeableConcept"]["coding"]
        assert coding["code"] in ("J06BA01", "J06BA02") and "immunoglobulins, normal human" in coding["display"]


def _page(name: str, at: date, lang: str, table: str = "facts") -> str:
    """A table of the explanation page of the chart's first card, as the link opens it (snapshot stored as JSON)."""
    import html
    import re
    from datetime import datetime, timezone



    answer = replay(RUNTIME, _bundle(name), lang=lang, at=at)
    stored = pages.stored(answer, RUNTIME)
    now = datetime(2026, 1, 12, 12, tzinfo=timezone.utc)
    page = pages.rendered(stored, lang, RUNTIME, now)
    [found] = re.findall(rf'<table id="{table}">.*?</table>', page, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " | ", found))


def test_the_danish_page_names_the_facts_service_values_in_danish():
    # IVIG order (status active) after a sepsis (organism: bacterial, abated 2025-11-03): the facts table of a
    # Danish page showed "status: active", "organisme: bacterial" and "abated: 2025-11-03".
    danish = _page("cart-ig-started-after-sepsis-general-stop-review", date(2026, 1, 12), "da")
    for words in ("status: aktiv", "organisme: bakteriel", "ophørt: 2025-11-03",
                  "Sepsis med Klebsiella pneumoniae i bloddyrkning"):  # the EHR's own text stays as sent
        assert words in danish, words
    for english in ("active", "bacterial", "abated"):
        assert english not in danish, english
    english_page = _page("cart-ig-started-after-sepsis-general-stop-review", date(2026, 1, 12), "en")
    assert "status: active" in english_page and "organism: bacterial" in english_page
    assert "resolved: 2025-11-03" in english_page


def test_the_danish_page_names_specimen_and_site_in_danish():
    # a pneumonia without organism (site: airways) counted on a positive blood culture
    danish = _page("pneumonia-unspecified-positive-blood-culture-general-criteria-met", _at(
        "pneumonia-unspecified-positive-blood-culture-general-criteria-met"), "da")
    assert "prøvemateriale: blod" in danish and "organisme: ikke angivet" in danish
    assert "specimen" not in danish and ": blood" not in danish and "unspecified" not in danish


def _at(name: str) -> date:
    return date.fromisoformat(json.loads((FIXTURES / f"{name}.expect.json").read_text())["at"])


@pytest.mark.parametrize("lang, wrong, right", [("en", "Age at T0", "Age at the order's start 2025-12-01: 16 years"),
                                                ("da", "Alder ved T0", "Alder ved ordinationens start 2025-12-01: 16 år")])
def test_a_child_card_on_a_car_t_order_dates_the_age_by_the_order_not_a_t0(lang, wrong, right):
    # A CAR-T product order does not date the infusion (the card says so): the age is the age at the order's start.
    bundle = _bundle("child-16-tisagenlecleucel-on-ig")
    patient = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    draft = _draft("ivig-pt-dk-0001")
    draft.update(id="draft-cart", subject={"reference": f"Patient/{patient}"}, medicationCodeableConcept={
        "coding": [{"system": "http://www.whocc.no/atc", "code": "L01XL04", "display": "axicabtagene ciloleucel"}],
        "text": "Yescarta"})
    draft["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": "2025-12-01"}
    answer = replay(RUNTIME, bundle, lang=lang, hook="order-sign", drafts=[draft], at=date(2025, 12, 1))
    assert [(a.code, a.variant) for a in answer.advice] == [("child-individual-assessment", "car-t-product")]
    [card] = answer.cards
    assert right in card["detail"] and wrong not in card["detail"]


@pytest.mark.parametrize("lang, window", [("en", "window"), ("da", "periode")])
def test_the_title_of_a_resumed_course_card_does_not_plan_for_a_window_that_has_ended(lang, window):
    # Teclistamab resumed after its course's window ended (2025-11-05): the card says a resumption opens no new window
    # and the general criteria apply; its title said "Plan IgG monitoring for the high-risk window".
    name = "teclistamab-after-window-no-igg-no-infections"
    bundle = _bundle(name)
    draft = _draft("teclistamab-pt-dk-0001")
    draft["subject"] = {"reference": "Patient/" + next(e["resource"]["id"] for e in bundle["entry"]
                                                       if e["resource"]["resourceType"] == "Patient")}
    answer = replay(RUNTIME, bundle, lang=lang, hook="order-sign", drafts=[draft], at=_at(name))
    [card] = [c for a, c in zip(answer.advice, answer.cards) if (a.code, a.variant) == ("plan-igg-monitoring",
                                                                                       "continues-after-window")]
    assert "2025-11-05" in card["summary"]
    assert window not in card["source"]["topic"]["display"]


@pytest.mark.parametrize("lang, at_window_end", [("en", "end of the window"), ("da", "periodens slutning")])
def test_the_title_of_a_stop_planned_card_holds_when_the_order_ends_first(lang, at_window_end):
    # IVIG started in the window after CAR-T 2025-10-14 (stop date 2026-04-14), its order ending 2026-04-10: the card
    # says the stop is attempted when the order ends; its title said "planned at the end of the window".
    bundle = _bundle("cart-ig-active-stop-planned-40-days")
    order = next(e["resource"] for e in bundle["entry"] if e["resource"].get("id") == "mr-ivig-0011")
    order["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {"start": "2025-10-24", "end": "2026-04-10"}
    answer = replay(RUNTIME, bundle, lang=lang, at=date(2026, 3, 5))
    assert [(a.code, a.variant) for a in answer.advice] == [("stop-planned", "order-ends-earlier")]
    [card] = answer.cards
    assert "2026-04-10" in card["summary"] and at_window_end not in card["source"]["topic"]["display"]


POLYCLONAL = {"t0": date(2026, 1, 5), "stop_date": date(2026, 7, 5), "igg_date": date(2026, 2, 10), "igg": 2.2,
              "igg_total": 9.0, "m_protein": 6.8, "m_protein_date": date(2026, 2, 10), "days_to_stop": 145,
              "t0_kind": "bsab", "t0_product": "teclistamab", "episode_start": date(2026, 2, 12),
              "due_date": date(2026, 8, 12), "order_drug": "Privigen", "order_start": date(2026, 2, 12),
              "order_end": date(2026, 5, 12), "reason": "infections", "failing": ("igg-not-low",),
              "today": date(2026, 2, 11), "igg_age_days": 1, "stale_days": 30}


@pytest.mark.parametrize("lang, named", [("en", "olyclonal"), ("da", "olyklonal")])  # "Seneste polyklonale IgG"
def test_every_summary_naming_a_polyclonal_igg_says_it_is_polyclonal(lang, named):
    # IgG myeloma: total IgG 9.0 g/L less an IgG M-protein of 6.8 g/L. A summary that shows "IgG 2,2 g/L" unlabelled
    # beside a laboratory IgG of 9.0 misleads; the Danish start-meets-general-criteria and window-ends-earlier
    # summaries had no room for the word and dropped it.
    from cds_service.cards.render import POLYCLONAL_AT, summary
    from cds_service.cards.values import placeholders
    from cql_like_rules.advice import advice
    from cql_like_rules.catalogue import CATALOGUE
    from cql_like_rules.parameters import Parameters

    unlabelled = []
    for code, kind in CATALOGUE.items():
        for variant in kind.variants:
            if not POLYCLONAL_AT.search(kind.variant(variant).summary(lang)):
                continue
            found = advice(code, variant, "test", values=POLYCLONAL)
            text = summary(found, lang, placeholders(found, Parameters(), lang))
            if named not in text or len(text) >= 140:
                unlabelled.append((code, variant, text))
    assert not unlabelled


@pytest.mark.parametrize("lang, said", [("en", "no usable IgG for 90 days before its start 2026-05-25"),
                                        ("da", "ingen brugbar IgG i 90 dage før start 2026-05-25")])
def test_an_order_starting_later_says_its_igg_is_too_old_by_its_start(lang, said):
    # IgG 3.6 g/L taken yesterday (2026-01-19), a severe sepsis on 2026-01-10; an IVIG order drafted to begin
    # 2026-05-25, after the stop date 2026-02-05, is judged at its start by the general criteria, when that IgG will
    # be 126 days old. "No usable IgG for 90 days" beside yesterday's IgG read as a mistake; the card says by when.
    # (With no infection the IgG's age is no failure: the criteria are unmet for want of infections alone.)
    name = "cart-start-criterion-met-days-before-stop-date"
    bundle = _bundle(name)
    sepsis = {"resourceType": "Condition", "id": "cond-sepsis", "subject": {"reference": "Patient/pt-dk-0048"},
              "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
                                             "code": "active"}]},
              "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
                                                 "code": "confirmed"}]},
              "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A41.9"}]},
              "severity": {"coding": [{"system": "http://snomed.info/sct", "code": "24484000"}]},
              "onsetDateTime": "2026-01-10"}
    bundle["entry"].append({"fullUrl": "https://fhir.example.dk/R4/Condition/cond-sepsis", "resource": sepsis})
    draft = _draft("ivig-after-stop-date-pt-dk-0001")
    draft["subject"] = {"reference": "Patient/" + next(e["resource"]["id"] for e in bundle["entry"]
                                                       if e["resource"]["resourceType"] == "Patient")}
    cards = replay(RUNTIME, bundle, lang=lang, hook="order-sign", drafts=[draft], at=date(2026, 1, 20)).cards
    card = _card(cards, "order-does-not-meet-criteria")
    assert said in card["detail"] and "2026-01-19" in card["detail"]


@pytest.mark.parametrize("lang, word", [("en", "warning"), ("da", "advarsel")])
def test_the_page_names_a_warning_in_its_language(lang, word):
    decision = _page("cart-ig-active-stop-overdue", _at("cart-ig-active-stop-overdue"), lang, table="decision")
    assert f"| {word} |" in decision and (lang == "en" or "warning" not in decision)


@pytest.mark.parametrize("lang, words", [
    ("en", "Set the end of the order “Privigen 100 mg/ml infusionsvæske” (mr-ivig-0011) to 2026-04-14"),
    ("da", "Sæt slutdatoen for ordinationen “Privigen 100 mg/ml infusionsvæske” (mr-ivig-0011) til 2026-04-14")])
def test_an_action_names_the_order_in_words_not_by_its_fhir_type(lang, words):
    # "Sæt slutdatoen for MedicationRequest/mr-ivig-0011 til 2026-04-14": a FHIR type name in a Danish sentence; and
    # the order by its id alone ("a1-draft-3"), a key of the EHR's no clinician knows it by: its medicine's name first.
    [card] = replay(RUNTIME, _bundle("cart-ig-active-stop-due-14-days"), lang=lang, at=date(2026, 3, 31)).cards
    [action] = [a for s in card["suggestions"] for a in s["actions"]]
    assert action["description"] == words
    assert action["resource"]["id"] == "mr-ivig-0011"  # the update still names the resource it changes


@pytest.mark.parametrize("name, at, stop", [
    ("cart-in-window-igg-7-5-fresh", date(2026, 6, 2), "2026-06-03"),  # stale IgG 7.5 g/L, the day before the stop
    ("cart-in-window-igg-low", date(2025, 11, 18), "2026-05-18"),  # no IgG since T0 (the CAR-T day)
])
@pytest.mark.parametrize("lang, before, until", [("en", "started before", "until"), ("da", "startes før", "indtil")])
def test_a_measure_igg_card_says_a_start_on_igg_alone_is_possible_before_the_stop_date_not_on_it(
        name, at, stop, lang, before, until):
    # The window is [T0, T0 + 6 months): from the stop date the general criteria apply to a start (clinical-rules
    # §2, §4.3), as the start card's own note says. "Ig may be started until <stop date>" invited a start on IgG
    # alone on that day; the summary says "before" it.
    card = _card(replay(RUNTIME, _bundle(name), lang=lang, at=at).cards, "measure-igg")
    assert f"{before} {stop}" in card["summary"]
    assert f"{until} {stop}" not in card["summary"]


@pytest.mark.parametrize("name, at, draft, lang, fact", [
    # a restart inside the window with an undated Ig end and a teclistamab drafted alongside (two notes): the window
    # line says why infections are required ("a restart: general criteria")
    ("ig-stopped-without-end-date-restart", date(2026, 5, 24), "orders-pt-dk-0001", "en",
     "- High-risk window 2025-11-25 to 2026-05-25 (1 day left); a restart: general criteria"),
    # myeloma with an untyped M-protein, a continuation drafted to start after the stop date: T0 stays on the card,
    # and the window with it (the two on one line; the M-protein's line goes, its note names it)
    ("myeloma-mprotein-unknown-isotype", date(2026, 6, 9), "scig-continuation-pt-dk-0112", "da",
     "- CAR-T-infusion (T0) 2025-12-10; højrisikoperiode til 2026-06-10 (1 dag tilbage)"),
])
def test_an_order_card_that_does_not_meet_the_criteria_keeps_t0_and_the_window_within_700_characters(
        name, at, draft, lang, fact):
    # The decision sentence of the card grew by a few characters with the card wording, and these details, near 700
    # characters, lost the T0 or window fact line (facts are dropped last but one); the sentence is short again.
    from cds_service.tools.answers import of_patient
    from cds_service.tools.replay import load_drafts

    bundle = _bundle(name)
    patient = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    drafts = [of_patient(d, patient) for d in load_drafts([str(FIXTURES / "drafts" / f"{draft}.draft.json")])]
    card = _card(replay(RUNTIME, bundle, lang=lang, hook="order-select", drafts=drafts, at=at).cards,
                 "order-does-not-meet-criteria")
    assert fact in card["detail"].splitlines()
    assert len(card["detail"]) <= 700


def test_an_actions_order_name_comes_from_the_ehrs_text_or_display_and_carries_no_markup():
    from cds_service.cards.suggestions import plain_reference

    ref = "MedicationRequest/a1-draft-3"
    assert plain_reference(ref) == "a1-draft-3"
    assert plain_reference(ref, {"medicationReference": {"reference": "Medication/m1"}}) == "a1-draft-3"
    coded = {"medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"},
                                                      {"display": "Hizentra"}]}}
    assert plain_reference(ref, coded) == "“Hizentra” (a1-draft-3)"
    hostile = {"medicationCodeableConcept": {"text": "[Privigen](javascript:x) **IV**"}}
    assert plain_reference(ref, hostile) == "“Privigen javascript:x IV” (a1-draft-3)"
