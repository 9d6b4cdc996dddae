"""Real EHR data through the whole pipeline: references, deceased patients, comparators, administrations.

Each test takes a shipped fixture, changes it the way a hospital's data differs, and replays it
(the same path as a patient-view call).
"""

from __future__ import annotations

import copy
import json
from datetime import date

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)


def bundle_of(name: str = "cart-in-window-igg-low") -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def resources(bundle: dict, kind: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_resources_referring_to_the_patient_by_fullurl_or_identifier_are_the_patients():
    bundle = bundle_of()
    patient_entry = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient_entry["fullUrl"] = "urn:uuid:7c9e6679-7425-40de-944b-e07fc1f90ae7"
    cpr = next(i for i in patient_entry["resource"]["identifier"] if i["system"] == "urn:oid:1.2.208.176.1.2")
    for resource in resources(bundle, "Observation"):
        resource["subject"] = {"reference": "urn:uuid:7c9e6679-7425-40de-944b-e07fc1f90ae7"}
    for resource in resources(bundle, "Procedure") + resources(bundle, "Condition"):
        resource["subject"] = {"identifier": {"system": cpr["system"], "value": cpr["value"]}}
    answered = replay(RUNTIME, bundle, at=AT)
    assert [a.code for a in answered.advice] == ["start-substitution"]
    assert not [n for n in answered.notes if n.kind == "wrong-patient"]
    stranger = copy.deepcopy(resources(bundle, "Observation")[0])
    stranger["id"], stranger["subject"] = "obs-stranger", {"reference": "urn:uuid:00000000-0000-4000-8000-000000000000"}
    other_cpr = copy.deepcopy(resources(bundle, "Condition")[0])
    other_cpr["id"], other_cpr["subject"] = "cond-stranger", {"identifier": {"system": cpr["system"], "value": "0101010101"}}
    bundle["entry"] += [{"resource": stranger}, {"resource": other_cpr}]
    answered = replay(RUNTIME, bundle, at=AT)
    assert {n.source for n in answered.notes if n.kind == "wrong-patient"} == {"Observation/obs-stranger",
                                                                                "Condition/cond-stranger"}
    assert "resources of other patients were ignored" in answered.cards[0]["detail"]


def test_a_result_naming_the_patient_by_the_cpr_registrys_other_uri_or_a_hyphenated_number_is_the_patients():
    """a49: an IgG 3.1 g/L whose subject gave the patient's own CPR number under DK Core's other URI for the registry
    (`http://www.cpr.dk/cpr-systemet`, terminology.md §0) was ignored as "a lab result of another patient", and the card
    asked for an IgG instead of inviting a start. A CPR number written with its hyphen is the same number."""
    bundle = bundle_of()
    patient = resources(bundle, "Patient")[0]
    cpr = next(i for i in patient["identifier"] if i["system"] == "urn:oid:1.2.208.176.1.2")
    hyphenated = f"{cpr['value'][:6]}-{cpr['value'][6:]}"
    for n, resource in enumerate(resources(bundle, "Observation") + resources(bundle, "Procedure")):
        resource["subject"] = {"identifier": {"system": "http://www.cpr.dk/cpr-systemet",
                                              "value": hyphenated if n % 2 else cpr["value"]}}
    answered = replay(RUNTIME, bundle, at=AT)
    assert [a.code for a in answered.advice] == ["start-substitution"]
    assert not [n for n in answered.notes if n.kind == "wrong-patient"]
    # another number under that URI is another patient's, as before
    resources(bundle, "Observation")[0]["subject"]["identifier"]["value"] = "0101010101"
    assert "Observation/" + resources(bundle, "Observation")[0]["id"] in {
        n.source for n in replay(RUNTIME, bundle, at=AT).notes if n.kind == "wrong-patient"}


def test_a_deceased_patient_gets_no_card_but_replay_still_explains():
    bundle = bundle_of()
    resources(bundle, "Patient")[0]["deceasedDateTime"] = "2026-01-18T09:30:00+01:00"
    answered = replay(RUNTIME, bundle, at=AT)
    assert answered.cards == [] and answered.evaluation.advice == ()
    assert [s.raw for s in answered.evaluation.trace if s.name == "Is Deceased"] == [True]
    assert [a.code for a in replay(RUNTIME, bundle, at=date(2026, 1, 17)).advice] == ["start-substitution"]
    resources(bundle, "Patient")[0].pop("deceasedDateTime")
    resources(bundle, "Patient")[0]["deceasedBoolean"] = True
    assert replay(RUNTIME, bundle, at=date(2026, 1, 17)).cards == []


def test_a_comparator_is_shown_as_reported_and_decided_on_its_bound():
    bundle = bundle_of()
    for obs in resources(bundle, "Observation"):
        if obs["id"] == "obs-igg-0001-b":
            obs["valueQuantity"] = {"value": 4.0, "comparator": "<", "unit": "g/L", "system": "http://unitsofmeasure.org",
                                    "code": "g/L"}
    [card] = replay(RUNTIME, bundle, at=AT).cards
    assert card["source"]["topic"]["code"] == "start-substitution"
    # shown as reported, and not compared again with the threshold it is below ("IgG <4.0 g/L < 4 g/L")
    assert "IgG <4.0 g/L (" in card["summary"] and "4.00" not in card["summary"]
    [card] = replay(RUNTIME, bundle, lang="da", at=AT).cards
    assert "IgG <4,0 g/L" in card["summary"]


def test_a_negative_or_absurd_igg_is_named_and_never_starts_anything():
    for bad in (-3.2, 420.0):
        bundle = bundle_of()
        for obs in resources(bundle, "Observation"):
            obs["valueQuantity"]["value"] = bad
        answered = replay(RUNTIME, bundle, at=AT)
        assert [a.code for a in answered.advice] == ["measure-igg"]
        assert {n.kind for n in answered.notes} == {"igg-implausible"}
        assert "implausible" in answered.cards[0]["detail"]


def test_ivig_recorded_only_as_administrations_is_substitution():
    bundle = bundle_of()
    patient = resources(bundle, "Patient")[0]["id"]
    for i, day in enumerate(("2026-01-14", "2026-02-11", "2026-03-11")):
        bundle["entry"].append({"resource": {
            "resourceType": "MedicationAdministration", "id": f"ma-ivig-{i}", "status": "completed",
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}],
                                          "text": "Privigen 100 mg/ml"},
            "subject": {"reference": f"Patient/{patient}"}, "effectiveDateTime": f"{day}T10:00:00+01:00"}})
    answered = replay(RUNTIME, bundle, at=date(2026, 3, 20))
    [found] = answered.advice
    assert (found.code, found.values["episode_start"], found.values["episode_product"]) == \
        ("stop-planned", date(2026, 1, 14), "IVIG")
    assert "IVIG since 2026-01-14" in answered.cards[0]["detail"]


# -- FHIR to facts: cultures, immunofixation, M-protein isotype, unrecognised codes -------------------

def _build(*resources: dict):
    from zoneinfo import ZoneInfo

    from cds_service.fhir.facts import FactBuilder

    return FactBuilder(RUNTIME.terminology, ZoneInfo("Europe/Copenhagen")).build(list(resources)).facts


def _obs(code: tuple[str, str], **fields) -> dict:
    return {"resourceType": "Observation", "id": fields.pop("id", "o1"), "status": "final",
            "code": {"coding": [{"system": code[0], "code": code[1]}]}, "subject": {"reference": "Patient/p"},
            "effectiveDateTime": "2026-01-06T09:00:00+01:00", **fields}


BLOOD = ("http://loinc.org", "600-7")
NPU_BLOOD = ("http://npu-terminology.org", "NPU17191")


def test_cultures_are_read_from_organism_codes_interpretations_and_danish_result_text():
    coded = _build(_obs(BLOOD, valueCodeableConcept={"coding": [{"system": "http://snomed.info/sct", "code": "9861002"}]}))
    [c] = coded.cultures
    assert (c.positive, c.bacterial, c.specimen) == (True, True, "blood")
    negative = _build(_obs(BLOOD, interpretation=[{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "NEG"}]}]))
    assert [(c.positive, c.bacterial) for c in negative.cultures] == [(False, False)]
    as_text = _build(_obs(NPU_BLOOD, valueString="Escherichia coli"))
    assert [(c.positive, c.bacterial, c.organism) for c in as_text.cultures] == [(True, True, "Escherichia coli")]
    no_growth = _build(_obs(NPU_BLOOD, valueString="Ingen vækst"))
    assert [(c.positive, c.bacterial) for c in no_growth.cultures] == [(False, False)]
    yeast = _build(_obs(NPU_BLOOD, valueString="Candida albicans"))
    assert [(c.positive, c.bacterial) for c in yeast.cultures] == [(True, False)]
    coded_yeast = _build(_obs(BLOOD, valueCodeableConcept={"coding": [{"system": "http://snomed.info/sct",
                                                                      "code": "58296003"}]}))  # S. cerevisiae
    assert [(c.positive, c.bacterial) for c in coded_yeast.cultures] == [(True, False)]  # no bacterial evidence
    cons = _build(_obs(NPU_BLOOD, valueString="Koagulase-negative stafylokokker"))
    assert [(c.positive, c.bacterial) for c in cons.cultures] == [(True, False)]
    assert [n.kind for n in cons.notes] == ["culture-contaminant"]


def test_the_m_protein_type_comes_from_immunofixation_or_the_result_itself():
    ife = _build(_obs(("http://npu-terminology.org", "NPU02642"), valueString="IgG kappa"))
    assert [x.isotype for x in ife.immunofixation] == ["IgG"]
    lambda_light = _build(_obs(("http://npu-terminology.org", "NPU02642"), valueString="Fri lambda (Bence Jones)"))
    assert [x.isotype for x in lambda_light.immunofixation] == ["light-chain"]
    none = _build(_obs(("http://npu-terminology.org", "NPU02642"), valueString="Ingen M-komponent påvist"))
    assert [x.isotype for x in none.immunofixation] == ["none"]
    generic = ("http://npu-terminology.org", "NPU19844")
    qty = {"value": 5.0, "unit": "g/L", "code": "g/L"}
    from_text = _build(_obs(generic, valueQuantity=qty, note=[{"text": "M-komponent type IgA lambda"}]))
    assert [m.isotype for m in from_text.m_protein] == ["IgA"]
    coded = _build(_obs(("http://npu-terminology.org", "NPU28638"), valueQuantity=qty))
    assert [m.isotype for m in coded.m_protein] == ["IgG"]


def test_a_local_code_whose_text_names_a_drug_or_a_lymphoma_is_named():
    order = {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
             "subject": {"reference": "Patient/p"}, "authoredOn": "2026-01-10",
             "medicationCodeableConcept": {"coding": [{"system": "urn:local", "code": "9"}], "text": "Tecvayli 10 mg/ml"}}
    lymphoma = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p"},
                "code": {"coding": [{"system": "urn:local", "code": "L1"}], "text": "Mantlecellelymfom"},
                "verificationStatus": {"coding": [{"code": "confirmed"}]}, "onsetDateTime": "2024-01-01"}
    unrelated = {**order, "id": "m2", "medicationCodeableConcept": {"coding": [{"system": "urn:local", "code": "8"}],
                                                                   "text": "Paracetamol 500 mg"}}
    facts = _build(order, lymphoma, unrelated)
    assert facts.bsab == () and facts.diagnoses == ()
    assert sorted((n.kind, n.source) for n in facts.notes) == [("unrecognised-code", "Condition/c1"),
                                                              ("unrecognised-code", "MedicationRequest/m1")]


def test_a_total_igg_reported_as_a_bound_keeps_its_comparator_on_the_polyclonal_igg():
    # IgG-kappa myeloma, M-protein 22.0 g/L: a total IgG above the measuring range (">25.0 g/L") leaves polyclonal IgG
    # ">3.0", which cannot be placed against 4 g/L. The card read "IgG reported as 3.0 g/L: cannot tell whether below
    # 4 g/L" and "total 25.0 g/L": the laboratory's comparator was lost on both. A total "<9.0" less 6.1 is "<2.9".
    def cards(total: dict, m_protein: float) -> list[dict]:
        bundle = bundle_of("igg-kappa-myeloma-normal-total-low-polyclonal-start")
        for obs in resources(bundle, "Observation"):
            if obs["id"] == "obs-igg-0055-a":
                obs["valueQuantity"] = {**obs["valueQuantity"], **total}
            if obs["id"] == "obs-mprotein-0055":
                obs["valueQuantity"]["value"] = m_protein
        return replay(RUNTIME, bundle, at=AT).cards

    [card] = cards({"value": 25.0, "comparator": ">"}, 22.0)
    assert card["source"]["topic"]["code"] == "measure-igg"
    assert ">3.0 g/L" in card["summary"], card["summary"]
    assert "total >25.0 g/L" in card["detail"].replace("&gt;", ">"), card["detail"]
    [card] = cards({"value": 9.0, "comparator": "<"}, 6.1)
    assert card["source"]["topic"]["code"] == "start-substitution"
    assert "Polyclonal IgG <2.9 g/L (total <9.0)" in card["summary"], card["summary"]
