"""Records and draft orders coded only in a code system the service does not know, with no name.

A draft MedicationRequest for "urn:oid:1.2.208.176.2.1|XYZ123" with no text got no card and no note on order-select
and order-sign: it may be the immunoglobulin, bsAb or CAR-T product being ordered, so its card says it was not checked
(`order-not-recognised`, variant `unknown-system`). A chart with a haematological malignancy whose only CAR-T or bsAb
could be a procedure or dose coded so got no card at all (no index event: out of scope): an information card says the
chart could not be checked (`therapy-not-recognised`, variant `unknown-system`), unless the site's policy
(`unknown_system_therapy_card`) switches it off."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .test_acceptance_stop import ATC, PATIENT, RUNTIME, SUBJECT, bundle, car_t, igg
from . import pages

NPU = "urn:oid:1.2.208.176.2.1"  # a laboratory code system: known, but it names no drug
LOCAL = "http://hospital.example/fhir/CodeSystem/local"  # a code system the service does not know at all
AT = date(2026, 1, 20)


def coded(code: str = "XYZ123", system: str = NPU) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def draft(rid: str = "draft-xyz", start: str = "2026-01-20", **concept: Any) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": rid, "status": "draft", "intent": "order", "subject": SUBJECT,
            "medicationCodeableConcept": concept or coded(),
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": start}}}}]}


def local_procedure(when: str = "2025-11-10", rid: str = "proc-xyz") -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": rid, "status": "completed", "subject": SUBJECT,
            "code": coded("LOC-4711", LOCAL), "performedDateTime": when}


def local_dose(when: str = "2025-11-12", rid: str = "dose-xyz") -> dict[str, Any]:
    return {"resourceType": "MedicationAdministration", "id": rid, "status": "completed", "subject": SUBJECT,
            "medicationCodeableConcept": coded("LOC-0815", LOCAL), "effectiveDateTime": when}


def topic(card: dict[str, Any]) -> str:
    return str(card["source"]["topic"]["code"])


# -- 1. draft orders ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_a_draft_coded_only_in_an_unknown_system_is_named_as_not_checked(hook):
    chart = bundle(car_t("2025-11-10"), igg("igg1", "2026-01-13", 3.2))  # in the window, IgG low
    answer = replay(RUNTIME, chart, hook=hook, drafts=[draft()], at=AT)
    [card] = answer.cards
    assert topic(card) == "order-not-recognised" and card["indicator"] == "warning"
    assert [a.variant for a in answer.advice] == ["unknown-system"]
    assert "XYZ123" in card["summary"] and "code system this service reads no drug in" in card["summary"]
    assert len(card["summary"]) <= 140 and len(card["detail"]) <= 700
    assert "not applied" in card["detail"] and "1.2.208.176.2.1" in card["detail"]  # an OID's dots need no escape
    assert "IgG 3.2 g/L" in card["detail"]
    [da] = replay(RUNTIME, chart, hook=hook, drafts=[draft()], at=AT, lang="da").cards
    assert da["summary"].startswith("Ordination ikke vurderet") and "kodesystem" in da["summary"]
    assert "ikke anvendt" in da["detail"] and "Et lægemiddel uden navn" in da["detail"] and len(da["detail"]) <= 700


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_out_of_the_window_but_with_a_malignancy_the_draft_is_named_too(hook):
    chart = bundle()  # a haematological malignancy, no CAR-T or bsAb: a therapy drafted now would get a card
    [card] = replay(RUNTIME, chart, hook=hook, drafts=[draft()], at=AT).cards
    assert topic(card) == "order-not-recognised" and "XYZ123" in card["summary"]
    [da] = replay(RUNTIME, chart, hook=hook, drafts=[draft()], at=AT, lang="da").cards
    assert "XYZ123" in da["summary"] and "Et lægemiddel uden navn" in da["detail"]


def test_no_card_where_no_drug_would_get_one_nor_for_a_draft_with_a_name_or_a_known_system():
    outside = bundle(dx={"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2023-06-01",
                         "code": {"coding": [{"system": "http://snomed.info/sct", "code": "55464009"}]}})  # SLE only
    assert replay(RUNTIME, outside, hook="order-sign", drafts=[draft()], at=AT).cards == []
    chart = bundle(car_t("2025-11-10"), igg("igg1", "2026-01-13", 3.2))
    named = draft(coding=coded()["coding"], text="Paracetamol 500 mg")  # a name: judged by it (not one of ours)
    assert replay(RUNTIME, chart, hook="order-sign", drafts=[named], at=AT).cards == []
    known = draft(**coded("N02BE01", ATC))  # a known system, a code in no value set: not one of ours
    assert replay(RUNTIME, chart, hook="order-sign", drafts=[known], at=AT).cards == []


def test_a_draft_in_a_system_nothing_uses_is_named_the_same_way():
    chart = bundle(car_t("2025-11-10"), igg("igg1", "2026-01-13", 3.2))
    [card] = replay(RUNTIME, chart, hook="order-sign", drafts=[draft(**coded("777", LOCAL))], at=AT).cards
    assert topic(card) == "order-not-recognised" and "777" in card["summary"] and "hospital\\.example" in card["detail"]


def test_beside_a_judged_draft_each_gets_its_own_card():
    chart = bundle(car_t("2025-11-10"), igg("igg1", "2026-01-13", 3.2))
    ivig = draft("draft-ivig", **{"coding": [{"system": ATC, "code": "J06BA02"}]})
    cards = replay(RUNTIME, chart, hook="order-sign", drafts=[ivig, draft()], at=AT).cards
    assert sorted(topic(c) for c in cards) == ["order-meets-criteria", "order-not-recognised"]


# -- 2. a chart whose CAR-T or bsAb may be coded only in an unknown system -------------------------------------------

@pytest.mark.parametrize("record", [local_procedure, local_dose])
def test_a_malignancy_and_records_in_an_unknown_system_get_a_not_checked_card(record):
    chart = bundle(record(), igg("igg1", "2026-01-13", 3.2))
    answer = replay(RUNTIME, chart, at=AT)
    [card] = answer.cards
    assert topic(card) == "therapy-not-recognised" and card["indicator"] == "info"
    assert [a.variant for a in answer.advice] == ["unknown-system"]
    assert "1 record(s)" in card["summary"] and "CAR-T or bispecific" in card["summary"]
    assert "hospital\\.example" in card["detail"] and "LOC-" in card["detail"] and len(card["detail"]) <= 700
    [da] = replay(RUNTIME, chart, at=AT, lang="da").cards
    assert da["summary"].startswith("Ikke vurderet") and "hospital\\.example" in da["detail"] and len(da["detail"]) <= 700


def test_several_records_make_one_card_counting_them():
    chart = bundle(local_procedure(), local_dose(), local_dose("2025-12-01", "dose-2"))
    [card] = replay(RUNTIME, chart, at=AT).cards
    assert "3 record(s)" in card["summary"] and "hospital\\.example" in card["detail"]


def test_no_card_without_a_malignancy_with_an_index_event_or_for_records_that_cannot_date_t0():
    sle = {"resourceType": "Condition", "id": "dx", "subject": SUBJECT, "onsetDateTime": "2023-06-01",
           "code": {"coding": [{"system": "http://snomed.info/sct", "code": "55464009"}]}}
    assert replay(RUNTIME, bundle(local_procedure(), dx=sle), at=AT).cards == []  # out of scope otherwise
    placed = replay(RUNTIME, bundle(car_t("2025-11-10"), local_procedure("2025-10-01"),
                                    igg("igg1", "2026-01-13", 3.2)), at=AT)
    assert "therapy-not-recognised" not in [topic(c) for c in placed.cards]  # a recognised index event: judged by it
    lab = {"resourceType": "Observation", "id": "obs-xyz", "status": "final", "subject": SUBJECT,
           "code": coded("LAB1"), "effectiveDateTime": "2026-01-10", "valueQuantity": {"value": 3}}
    cancelled = {**local_procedure(), "status": "not-done"}
    assert replay(RUNTIME, bundle(lab, cancelled), at=AT).cards == []  # a lab result, a procedure not done
    named = {**local_procedure(), "code": {**coded("LOC-4711"), "text": "Knoglemarvsbiopsi"}}
    assert replay(RUNTIME, bundle(named), at=AT).cards == []  # a name: judged by it


def test_a_site_may_switch_the_card_off(tmp_path):
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"unknown_system_therapy_card": False}))
    quiet = load_runtime(Settings(data_dir=str(tmp_path), policy_file=str(policy)))
    assert replay(quiet, bundle(local_procedure()), at=AT).cards == []
    assert PATIENT in json.dumps(bundle(local_procedure()))  # the same chart gets the card by default
    assert [topic(c) for c in replay(RUNTIME, bundle(local_procedure()), at=AT).cards] == ["therapy-not-recognised"]


@pytest.mark.parametrize("lang, words", [("en", "a CAR-T or bispecific? (code system not read)"),
                                         ("da", "CAR-T eller bispecifikt antistof? (kodesystemet læses ikke)")])
def test_the_explanation_page_says_in_words_what_a_record_in_an_unknown_system_may_be(lang, words):
    from datetime import datetime, timezone


    from cds_service.fhir.request import parse_hook_request
    from cds_service.pipeline import answer_local
    from cds_service.tools.replay import request_from_bundle

    chart = bundle(local_procedure(), igg("igg1", "2026-01-13", 3.2))
    answer = answer_local(parse_hook_request(request_from_bundle(chart), "patient-view"), RUNTIME, lang=lang, today=AT)
    data = pages.stored(answer, RUNTIME)
    now = datetime(2026, 1, 20, 10, 0, tzinfo=timezone.utc)
    page = pages.rendered(data, lang, RUNTIME, now)
    assert words in page  # the fact row says it in words (the trace below keeps the machine value)
    assert "looks like: unknown-system" not in page and "ligner: unknown-system" not in page


# -- 3. second reading: charts that must not change, and what a ward sees ---------------------------------------------

SCT = "http://snomed.info/sct"


@pytest.mark.parametrize("system", [SCT, NPU, "http://npu-terminology.org"])
def test_a_dose_in_a_system_the_service_knows_is_not_called_a_system_it_does_not_know(system):
    """A dose coded only in SNOMED CT or NPU, with no name: the service knows those systems (it reads diagnoses,
    procedures or laboratory results in them) but no drug; the card said "a system this service does not know"."""
    chart = bundle(local_dose(), igg("igg1", "2026-01-13", 3.2))
    chart["entry"][-2]["resource"]["medicationCodeableConcept"] = coded("386920009", system)
    for lang, wrong, right in (("en", "does not know", "reads no therapy in"),
                               ("da", "ikke kender", "ikke læser behandling")):
        [card] = replay(RUNTIME, chart, at=AT, lang=lang).cards
        assert topic(card) == "therapy-not-recognised"
        assert wrong not in card["summary"] + card["detail"] and right in card["summary"] and right in card["detail"]


@pytest.mark.parametrize("record", [
    {"resourceType": "MedicationAdministration", "id": "len", "status": "completed", "subject": SUBJECT,
     "medicationCodeableConcept": coded("L04AX04", ATC), "effectiveDateTime": "2025-12-01"},  # lenalidomide, ATC
    {"resourceType": "MedicationRequest", "id": "len", "status": "active", "intent": "order", "subject": SUBJECT,
     "medicationCodeableConcept": coded("L04AX04", ATC), "authoredOn": "2025-12-01"},
    {"resourceType": "Procedure", "id": "bmb", "status": "completed", "subject": SUBJECT,  # SKS, not a CAR-T code
     "code": coded("KTJA10", "urn:oid:1.2.208.176.2.4"), "performedDateTime": "2025-12-01"},
    {"resourceType": "Procedure", "id": "bmb", "status": "completed", "subject": SUBJECT,  # SNOMED, not a CAR-T code
     "code": coded("274358009", SCT), "performedDateTime": "2025-12-01"},
    {"resourceType": "MedicationAdministration", "id": "len", "status": "completed", "subject": SUBJECT,
     "medicationCodeableConcept": coded("LOC-1", LOCAL), "effectiveDateTime": "2026-02-01"},  # after today
    {"resourceType": "MedicationAdministration", "id": "len", "status": "entered-in-error", "subject": SUBJECT,
     "medicationCodeableConcept": coded("LOC-1", LOCAL), "effectiveDateTime": "2025-12-01"},
])
def test_a_myeloma_chart_whose_records_are_in_systems_the_service_reads_gets_no_card(record):
    assert replay(RUNTIME, bundle(record), at=AT).cards == []


def test_a_deceased_patient_gets_no_card():
    chart = bundle(local_procedure())
    chart["entry"][0]["resource"]["deceasedDateTime"] = "2025-12-24"
    assert replay(RUNTIME, chart, at=AT).cards == []


def test_a_ward_of_such_charts_does_not_fill_the_worklist_but_each_keeps_its_card():
    """Every haematology patient with no CAR-T or bsAb and one nameless record in a local system got the card with
    `information_only` false: each was a worklist row "needs action" (a ward exporting its local procedure codes
    without names listed nearly every patient). The card asks no action now, like a planned stop: information only."""
    from cds_service.tools.worklist import evaluate_patient_resources

    resources = [e["resource"] for e in bundle(local_procedure(), local_dose())["entry"]]
    [row] = evaluate_patient_resources(resources, AT, RUNTIME)
    assert row.code == "therapy-not-recognised" and row.action is False
    [advice] = replay(RUNTIME, bundle(local_procedure()), at=AT).advice
    assert advice.variant == "unknown-system" and advice.information_only
    named = {**local_procedure(), "code": {**coded("LOC-4711", LOCAL), "text": "Kymriah infusion"}}
    [row] = evaluate_patient_resources([e["resource"] for e in bundle(named)["entry"]], AT, RUNTIME)
    assert row.code == "therapy-not-recognised" and row.action  # one named like a CAR-T stays on the worklist


@pytest.mark.parametrize("lang, words", [("en", ("child (11 y)", "do not cover children", "decide individually")),
                                         ("da", ("barn (11 år)", "omfatter ikke børn", "vurdér individuelt"))])
def test_a_child_is_told_the_criteria_do_not_cover_children_not_to_check_them(lang, words):
    """A child of 11 with leukaemia and a nameless local procedure got the adult card: "check the criteria
    yourself". §4: the criteria do not cover children; the need is assessed individually (as the card of a therapy
    known by its name says for a child)."""
    chart = bundle(local_procedure())
    chart["entry"][0]["resource"]["birthDate"] = "2014-03-14"
    answer = replay(RUNTIME, chart, at=AT, lang=lang)
    [card] = answer.cards
    assert [a.variant for a in answer.advice] == ["unknown-system-child"] and answer.advice[0].information_only
    text = (card["summary"] + " " + card["detail"]).lower()
    assert all(w in text for w in words) and "criteria yourself" not in text and "kriterierne, og" not in text
    assert len(card["summary"]) <= 140 and len(card["detail"]) <= 700
    adult = replay(RUNTIME, bundle(local_procedure()), at=AT)  # born 1958: the adult card
    assert [a.variant for a in adult.advice] == ["unknown-system"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_with_no_index_event_a_nameless_draft_is_no_louder_than_any_drug_it_may_be(hook):
    """A haematology patient with no CAR-T or bsAb: a drafted bsAb or CAR-T product gets an information card
    (plan-igg-monitoring), an immunoglobulin none, yet a nameless draft in a local system (paracetamol, as likely as
    not) got a warning on every draft. It is an information card there; in scope (a window) it stays a warning."""
    paracetamol = draft(**coded("PCM500", LOCAL))
    [card] = replay(RUNTIME, bundle(), hook=hook, drafts=[paracetamol], at=AT).cards
    assert topic(card) == "order-not-recognised" and card["indicator"] == "info" and "PCM500" in card["summary"]
    for atc in ("L01FX25", "L01XL04", "J06BA02"):  # what each of the three gets on this chart
        assert all(c["indicator"] == "info" for c in replay(RUNTIME, bundle(), hook=hook,
                                                            drafts=[draft(**coded(atc, ATC))], at=AT).cards)
    in_window = bundle(car_t("2025-11-10"), igg("igg1", "2026-01-13", 3.2))
    [card] = replay(RUNTIME, in_window, hook=hook, drafts=[paracetamol], at=AT).cards
    assert topic(card) == "order-not-recognised" and card["indicator"] == "warning"


# -- 4. the draft card in a child, and a site's switch for it ---------------------------------------------------------

CHILD_BIRTH = "2014-03-14"  # 11 on AT


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize("lang, words", [("en", ("child (11 y)", "do not cover children", "decide individually")),
                                         ("da", ("barn (11 år)", "omfatter ikke børn", "vurdér individuelt"))])
def test_a_nameless_draft_for_a_child_is_not_held_to_the_adult_criteria(hook, lang, words):
    """A child of 11 in the window after CAR-T: a nameless draft in NPU got the adult warning "check what is ordered,
    and the criteria for it, yourself". §4: the criteria do not cover children, the need is assessed individually, as
    the card of any of the three drugs says for a child (`child-individual-assessment`, an information card)."""
    chart = bundle(car_t("2025-11-10"), igg("igg1", "2026-01-13", 3.2))
    chart["entry"][0]["resource"]["birthDate"] = CHILD_BIRTH
    answer = replay(RUNTIME, chart, hook=hook, drafts=[draft()], at=AT, lang=lang)
    [card] = answer.cards
    assert [a.variant for a in answer.advice] == ["unknown-system-child"]
    assert topic(card) == "order-not-recognised" and card["indicator"] == "info"
    text = (card["summary"] + " " + card["detail"]).lower()
    assert all(w in text for w in words) and "xyz123" in text and "1.2.208.176.2.1" in text
    assert "criteria for it, yourself" not in text and "kriterierne for det" not in text
    assert len(card["summary"]) <= 140 and len(card["detail"]) <= 700
    ivig = draft("draft-ivig", **{"coding": [{"system": ATC, "code": "J06BA02"}]})  # what an IVIG draft gets here
    assert [topic(c) for c in replay(RUNTIME, chart, hook=hook, drafts=[ivig], at=AT).cards] == [
        "child-individual-assessment"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_with_no_index_event_a_child_is_told_so_too_by_the_age_on_the_planned_start(hook):
    chart = bundle()
    chart["entry"][0]["resource"]["birthDate"] = "2008-02-01"  # 17 on AT, 18 from 2026-02-01
    answer = replay(RUNTIME, chart, hook=hook, drafts=[draft()], at=AT)
    [card] = answer.cards
    assert [a.variant for a in answer.advice] == ["unknown-system-no-index-child"] and card["indicator"] == "info"
    assert "child (17 y)" in card["summary"] and "decide individually" in card["detail"]
    later = replay(RUNTIME, chart, hook=hook, drafts=[draft(start="2026-02-10")], at=AT)  # an adult on its start
    assert [a.variant for a in later.advice] == ["unknown-system-no-index"]


def quiet_runtime(tmp_path, **policy: Any):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps(policy))
    return load_runtime(Settings(data_dir=str(tmp_path), policy_file=str(path)))


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_a_site_may_switch_the_draft_card_off_and_the_draft_is_still_named(tmp_path, hook):
    """A site whose drug codes are all local got a card on every nameless draft, and the switch for the chart's card
    (`unknown_system_therapy_card`) did not reach it: `unknown_system_draft_card` does. The draft is then not passed
    over in silence: a `code-system-unknown` data note names its code and system, on the cards of the other drafts."""
    quiet = quiet_runtime(tmp_path, unknown_system_draft_card=False)
    chart = bundle(car_t("2025-11-10"), igg("igg1", "2026-01-13", 3.2))
    answer = replay(quiet, chart, hook=hook, drafts=[draft()], at=AT)
    assert answer.cards == []
    [note] = answer.notes
    assert note.kind == "code-system-unknown" and note.source == "MedicationRequest/draft-xyz"
    assert "XYZ123" in note.display and "1.2.208.176.2.1" in note.display
    ivig = draft("draft-ivig", **{"coding": [{"system": ATC, "code": "J06BA02"}]})
    for lang, words in (("en", "An order has the code XYZ123"), ("da", "En ordination har koden XYZ123")):
        [card] = replay(quiet, chart, hook=hook, drafts=[ivig, draft()], at=AT, lang=lang).cards
        assert topic(card) == "order-meets-criteria" and words in card["detail"]
    # on by default, and the chart's switch leaves it on (and the default answer has no such note: the card says it)
    on = replay(RUNTIME, chart, hook=hook, drafts=[draft()], at=AT)
    assert [topic(c) for c in on.cards] == ["order-not-recognised"] and on.notes == ()
    other = quiet_runtime(tmp_path, unknown_system_therapy_card=False)
    assert [topic(c) for c in replay(other, chart, hook=hook, drafts=[draft()], at=AT).cards] == ["order-not-recognised"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_switched_off_a_draft_sent_in_the_chart_too_is_named_once(tmp_path, hook):
    """An EHR that also sends the draft in the chart (a MedicationRequest search returns drafts): the draft's own
    note and the chart record's note named it twice, the other draft's card saying "“XYZ123 …” and 1 more"."""
    quiet = quiet_runtime(tmp_path, unknown_system_draft_card=False)
    chart = bundle(car_t("2025-11-10"), igg("igg1", "2026-01-13", 3.2))
    chart["entry"].append({"fullUrl": "MedicationRequest/draft-xyz", "resource": draft()})
    ivig = draft("draft-ivig", **{"coding": [{"system": ATC, "code": "J06BA02"}]})
    answer = replay(quiet, chart, hook=hook, drafts=[ivig, draft()], at=AT)
    assert [(n.kind, n.source) for n in answer.notes] == [("code-system-unknown", "MedicationRequest/draft-xyz")]
    [card] = answer.cards
    assert "An order has the code XYZ123" in card["detail"] and "1 more" not in card["detail"]
    # a record of the chart in that system that is no draft of the call is still named by the chart's note
    other = {**draft("order-xyz"), "status": "active"}
    chart["entry"].append({"fullUrl": "MedicationRequest/order-xyz", "resource": other})
    answer = replay(quiet, chart, hook=hook, drafts=[ivig, draft()], at=AT)
    assert sorted(n.source for n in answer.notes if n.kind == "code-system-unknown") == [
        "MedicationRequest/draft-xyz", "MedicationRequest/order-xyz"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_a_child_at_t0_who_is_an_adult_on_the_planned_start_is_judged_as_at_t0(hook):
    """17 at the CAR-T infusion, 18 when the nameless draft is signed: as an immunoglobulin order is judged (the
    age at T0, §4), the child card; it is no quieter than the drugs it may be (an IVIG draft: the child card; a new
    CAR-T or bsAb: an information card too)."""
    chart = bundle(car_t("2025-11-10"), igg("igg1", "2026-01-13", 3.2))
    chart["entry"][0]["resource"]["birthDate"] = "2007-12-01"
    answer = replay(RUNTIME, chart, hook=hook, drafts=[draft()], at=AT)
    [card] = answer.cards
    assert [a.variant for a in answer.advice] == ["unknown-system-child"] and card["indicator"] == "info"
    assert "child (17 y)" in card["summary"]
    ivig = draft("draft-ivig", **{"coding": [{"system": ATC, "code": "J06BA02"}]})
    assert [topic(c) for c in replay(RUNTIME, chart, hook=hook, drafts=[ivig], at=AT).cards] == [
        "child-individual-assessment"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_with_its_card_on_a_draft_sent_in_the_chart_too_is_named_once(hook):
    """The card on (the default): the draft's card names it, and the chart record of the same draft (a
    MedicationRequest search returns drafts) also got a code-system-unknown note on the same answer: named twice."""
    chart = bundle(car_t("2025-11-10"), igg("igg1", "2026-01-13", 3.2))
    chart["entry"].append({"fullUrl": "MedicationRequest/draft-xyz", "resource": draft()})
    for lang in ("en", "da"):
        answer = replay(RUNTIME, chart, hook=hook, drafts=[draft()], at=AT, lang=lang)
        assert [n for n in answer.notes if n.kind == "code-system-unknown"] == []
        [card] = answer.cards
        assert topic(card) == "order-not-recognised" and "XYZ123" in card["summary"]
        assert card["detail"].count("XYZ123") <= 1 and "1 more" not in card["detail"] \
            and "1 til" not in card["detail"]
    # a record of the chart in that system that is no draft of the call is still named by the chart's note
    other = {**draft("order-xyz"), "status": "active"}
    chart["entry"].append({"fullUrl": "MedicationRequest/order-xyz", "resource": other})
    answer = replay(RUNTIME, chart, hook=hook, drafts=[draft()], at=AT)
    assert [n.source for n in answer.notes if n.kind == "code-system-unknown"] == ["MedicationRequest/order-xyz"]
    [card] = answer.cards
    assert topic(card) == "order-not-recognised"


# -- 5. a draft named like one of the three, its code unknown or missing, in a child ----------------------------------

def named(text: str, code: str = "999999", start: str = "2026-01-20") -> dict[str, Any]:
    """A draft with a name the guideline covers, under a code in no value set (or, `code=""`, none at all)."""
    concept: dict[str, Any] = {"text": text}
    if code:
        concept["coding"] = [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": code, "display": text}]
    return draft("draft-named", start=start, **concept)


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize("code, variant", [("999999", "child"), ("", "no-code-child")])
@pytest.mark.parametrize("lang, words, adult_words", [
    ("en", ("child (11 y)", "do not cover children", "decide individually"), "criteria for this order yourself"),
    ("da", ("barn (11 år)", "omfatter ikke børn", "vurdér individuelt"), "vurdér selv kriterierne")])
def test_an_immunoglobulin_draft_with_an_unknown_code_in_a_child_is_not_held_to_the_adult_criteria(
        hook, code, variant, lang, words, adult_words):
    """A child of 11 in the window after CAR-T: a Privigen draft under an unmapped code (or none) got the adult warning
    "check the criteria for this order yourself". §4: the criteria do not cover children; the need is assessed
    individually, as the card on a coded IVIG draft for the same child says (an information card)."""
    chart = bundle(car_t("2025-11-10"), igg("igg1", "2026-01-13", 3.2))
    chart["entry"][0]["resource"]["birthDate"] = CHILD_BIRTH
    answer = replay(RUNTIME, chart, hook=hook, drafts=[named("Privigen 100 mg/ml", code)], at=AT, lang=lang)
    [card] = answer.cards
    assert [a.variant for a in answer.advice] == [variant]
    assert topic(card) == "order-not-recognised" and card["indicator"] == "info" and "Privigen" in card["summary"]
    text = (card["summary"] + " " + card["detail"]).lower()
    assert all(w in text for w in words) and adult_words not in text
    assert len(card["summary"]) <= 140 and len(card["detail"]) <= 700
    adult = bundle(car_t("2025-11-10"), igg("igg1", "2026-01-13", 3.2))  # born 1958: the adult warning, as before
    [card] = replay(RUNTIME, adult, hook=hook, drafts=[named("Privigen 100 mg/ml", code)], at=AT, lang=lang).cards
    assert card["indicator"] == "warning" and adult_words in card["detail"].lower()


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize("code, variant", [("LOCAL-77", "child"), ("", "no-code-child")])
@pytest.mark.parametrize("lang, words", [("en", ("child (17 y)", "do not cover children", "decide individually")),
                                         ("da", ("barn (17 år)", "omfatter ikke børn", "vurdér individuelt"))])
def test_a_bsab_draft_with_an_unknown_code_in_a_child_is_told_so_by_the_age_on_its_planned_start(
        hook, code, variant, lang, words):
    """No CAR-T or bsAb yet, 17 on the day an Elrexfio draft under an unmapped code (or none) starts: the window it
    would open is a child's (§4), as a coded bsAb draft's card says; starting after the 18th birthday, the adult card."""
    chart = bundle()
    chart["entry"][0]["resource"]["birthDate"] = "2008-02-01"  # 17 on AT, 18 from 2026-02-01
    answer = replay(RUNTIME, chart, hook=hook, drafts=[named("Elrexfio 40 mg/ml", code)], at=AT, lang=lang)
    [card] = answer.cards
    assert [a.variant for a in answer.advice] == [variant] and card["indicator"] == "info"
    text = (card["summary"] + " " + card["detail"]).lower()
    assert all(w in text for w in words) and "elrexfio" in text and len(card["summary"]) <= 140
    later = replay(RUNTIME, chart, hook=hook, drafts=[named("Elrexfio 40 mg/ml", code, "2026-02-10")], at=AT)
    # the adult card: a therapy drafted under an unknown code asks for the IgG monitoring a recognised one's card asks
    # for, an information card as that one (test_igg_bounds_shown)
    assert [a.variant for a in later.advice] == ["therapy" if code else "therapy-no-code"]
    assert later.cards[0]["indicator"] == "info"
    coded_bsab = draft("draft-bsab", **coded("L01FX25", ATC))  # what a coded bsAb draft gets for the same child
    assert [topic(c) for c in replay(RUNTIME, chart, hook=hook, drafts=[coded_bsab], at=AT).cards] == [
        "child-individual-assessment"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize("lang, at_t0, at_start", [
    ("en", "Age at T0: 17 years", "Age at the order's start 2026-01-20: 17 years"),
    ("da", "Alder ved T0: 17 år", "Alder ved ordinationens start 2026-01-20: 17 år")])
def test_a_child_draft_card_says_when_the_child_was_that_age(hook, lang, at_t0, at_start):
    """Born 2007-12-01: 17 at the CAR-T infusion, 18 on the day the Privigen draft (unknown code) or nameless draft is
    signed. The card read "child (17 y)" and no line said when: an 18-year-old in front of the clinician called 17.
    The age it was judged on has its line, as on the child card of a coded drug: at T0 for an immunoglobulin (or
    nameless) draft in the window, on the planned start for a bsAb draft or with no index event."""
    chart = bundle(car_t("2025-11-10"), igg("igg1", "2026-01-13", 3.2))
    chart["entry"][0]["resource"]["birthDate"] = "2007-12-01"
    for drafted in (named("Privigen 100 mg/ml"), named("Privigen 100 mg/ml", ""), draft()):
        [card] = replay(RUNTIME, chart, hook=hook, drafts=[drafted], at=AT, lang=lang).cards
        assert at_t0 in card["detail"] and at_start not in card["detail"] and len(card["detail"]) <= 700
    no_index = bundle()
    no_index["entry"][0]["resource"]["birthDate"] = "2008-02-01"  # 17 on the planned start
    for drafted in (named("Elrexfio 40 mg/ml"), named("Elrexfio 40 mg/ml", ""), draft()):
        [card] = replay(RUNTIME, no_index, hook=hook, drafts=[drafted], at=AT, lang=lang).cards
        assert at_start in card["detail"] and at_t0 not in card["detail"] and len(card["detail"]) <= 700


# -- 3. a CAR-T or bsAb code sent under the wrong known system --------------------------------------------------------

SCT = "http://snomed.info/sct"


def wrong_dose(when: str = "2025-11-12", rid: str = "dose-wrong") -> dict[str, Any]:
    """Teclistamab's ATC code sent under SNOMED CT, no name."""
    return {"resourceType": "MedicationAdministration", "id": rid, "status": "completed", "subject": SUBJECT,
            "medicationCodeableConcept": coded("L01FX24", SCT), "effectiveDateTime": when}


def wrong_procedure(when: str = "2025-11-10", rid: str = "proc-wrong") -> dict[str, Any]:
    """The SKS CAR-T procedure code sent under SNOMED CT, no name."""
    return {"resourceType": "Procedure", "id": rid, "status": "completed", "subject": SUBJECT,
            "code": coded("BOQX1", SCT), "performedDateTime": when}


@pytest.mark.parametrize(("record", "right"), [(wrong_procedure, "SKS"), (wrong_dose, "ATC")])
@pytest.mark.parametrize("lang, words, never", [
    ("en", ("sent under the wrong code system", "sent under http\\://snomed\\.info/sct", "a code of {right}",
            "corrected on the record in the EHR", "not counted", "whether this is the index therapy"),
     ("add the code system", "reads no therapy in")),
    ("da", ("sendt under det forkerte kodesystem", "sendt under http\\://snomed\\.info/sct", "{right}-kode",
            "rettet på registreringen i EPJ", "medregnes ikke", "om det er indeksbehandlingen"),
     ("tilføje kodesystemet", "ikke læser behandling i"))])
def test_a_therapy_code_under_the_wrong_known_system_asks_for_the_records_system_to_be_corrected(
        record, right, lang, words, never):
    """BOQX1 (SKS) or L01FX24 (ATC) sent under SNOMED CT got the card of a code system the service does not read,
    asking the CDS team to add SNOMED CT, which it reads: the fix is the record's code system, in the EHR."""
    answer = replay(RUNTIME, bundle(record(), igg("igg1", "2026-01-13", 3.2)), at=AT, lang=lang)
    [card] = answer.cards
    assert topic(card) == "therapy-not-recognised" and card["indicator"] == "info"
    assert [a.variant for a in answer.advice] == ["wrong-system"] and answer.advice[0].information_only
    text = card["summary"] + " " + card["detail"]
    assert all(w.format(right=right) in text for w in words), text
    assert not any(w in text for w in never), text
    assert len(card["summary"]) <= 140 and len(card["detail"]) <= 700


@pytest.mark.parametrize("lang, words", [("en", ("child (11 y)", "do not cover children", "decide individually",
                                                 "corrected on the record in the EHR")),
                                         ("da", ("barn (11 år)", "omfatter ikke børn", "vurdér individuelt",
                                                 "rettet på registreringen i EPJ"))])
def test_a_child_with_a_therapy_code_under_the_wrong_system_is_told_both(lang, words):
    chart = bundle(wrong_procedure())
    chart["entry"][0]["resource"]["birthDate"] = "2014-03-14"
    answer = replay(RUNTIME, chart, at=AT, lang=lang)
    [card] = answer.cards
    assert [a.variant for a in answer.advice] == ["wrong-system-child"] and answer.advice[0].information_only
    text = card["summary"] + " " + card["detail"]
    assert all(w in text for w in words), text
    assert "criteria yourself" not in text and "add the code system" not in text and "tilføje kodesystemet" not in text
    assert len(card["summary"]) <= 140 and len(card["detail"]) <= 700


def test_a_record_in_a_system_not_known_at_all_keeps_the_add_the_system_card():
    """Beside a wrong-system record, one in a local system still asks for its system to be added; alone, too."""
    for chart in (bundle(local_procedure()), bundle(wrong_procedure(), local_dose())):
        answer = replay(RUNTIME, chart, at=AT)
        assert [a.variant for a in answer.advice] == ["unknown-system"]
        assert "add the code system" in answer.cards[0]["detail"]


@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
@pytest.mark.parametrize(("in_scope", "birth", "variant", "indicator"), [
    (True, "1958-09-03", "wrong-system", "warning"), (False, "1958-09-03", "wrong-system-no-index", "info"),
    (True, CHILD_BIRTH, "wrong-system-child", "info"), (False, CHILD_BIRTH, "wrong-system-no-index-child", "info")])
@pytest.mark.parametrize("lang, words, never", [
    ("en", ("sent under the wrong code system", "sent under http\\://snomed\\.info/sct", "a code of ATC",
            "corrected on the order in the EHR", "not counted"), ("add the code system", "reads no drug in")),
    ("da", ("sendt under", "forkert", "sendt under http\\://snomed\\.info/sct", "ATC-kode",
            "rettet på ordinationen i EPJ", "medregnes ikke"), ("tilføje kodesystemet", "ikke læser lægemidler i"))])
def test_a_nameless_draft_with_a_drug_code_under_the_wrong_system_asks_for_the_orders_system_corrected(
        hook, in_scope, birth, variant, indicator, lang, words, never):
    """Teclistamab's ATC code drafted under SNOMED CT, no name, got the card of a system the service reads no drug in,
    asking the CDS team to add SNOMED CT: the fix is the order's code system, in the EHR. Indicator as before."""
    chart = bundle(car_t("2025-11-10"), igg("igg1", "2026-01-13", 3.2)) if in_scope else bundle()
    chart["entry"][0]["resource"]["birthDate"] = birth
    answer = replay(RUNTIME, chart, hook=hook, drafts=[draft(**coded("L01FX24", "http://snomed.info/sct"))], at=AT,
                    lang=lang)
    [card] = answer.cards
    assert [a.variant for a in answer.advice] == [variant]
    assert topic(card) == "order-not-recognised" and card["indicator"] == indicator
    text = card["summary"] + " " + card["detail"]
    assert all(w in text for w in words) and not any(w in text for w in never), text
    assert len(card["summary"]) <= 140 and len(card["detail"]) <= 700
