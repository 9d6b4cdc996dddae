"""FHIR JSON to facts: codes, units, statuses, dates, and what is skipped and why."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from cds_service.cards.notes import one_line
from cds_service.fhir.facts import FactBuilder
from cds_service.errors import DataError
from cds_service.fhir.dates import to_local_date
from cds_service.fhir.prefetch import pool_prefetch
from cql_like_rules.valuesets import load_terminology

TZ = ZoneInfo("Europe/Copenhagen")
T = load_terminology()
SUBJECT = {"reference": "Patient/p"}


def build(*resources):
    return FactBuilder(T, TZ).build(resources).facts


def obs(code=("http://loinc.org", "2465-3"), value=350, unit="mg/dL", status="final", when="2026-01-10", **kw):
    r = {"resourceType": "Observation", "id": kw.pop("id", "o1"), "status": status, "subject": SUBJECT,
         "code": {"coding": [{"system": code[0], "code": code[1]}]}, "effectiveDateTime": when,
         "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}
    r.update(kw)
    return r


@pytest.mark.parametrize("value, unit, g_l", [(350, "mg/dL", 3.5), (3.5, "g/L", 3.5), (3.5, "g/l", 3.5),
                                              (3500, "mg/L", 3.5), (20, "umol/L", 2.998), (0.35, "g/dL", 3.5)])
def test_units_are_converted_to_g_per_l(value, unit, g_l):
    [result] = build(obs(value=value, unit=unit)).igg
    assert result.value_g_l == pytest.approx(g_l, abs=1e-3)


def test_npu_codes_under_all_three_systems():
    for system in ("http://npu-terminology.org", "urn:oid:1.2.208.176.2.1", "urn:oid:1.2.208.176.9.1"):
        assert build(obs(code=(system, "NPU19814"), value=3.1, unit="g/L")).igg


@pytest.mark.parametrize("code, kind, shown", [
    (("http://npu-terminology.org", "NPU19817"), "igg-subclass", "NPU19817 1.0 g/L"),
    (("http://loinc.org", "2464-6"), "result-not-used", "2464-6: 1.0 g/L"),
    (("http://npu-terminology.org", "NPU19812"), "result-not-used", "NPU19812: 1.0 g/L"),
    (("http://loinc.org", "2469-5"), "igg-subclass", "2469-5 1.0 g/L")])
def test_subclasses_and_csf_are_not_total_igg(code, kind, shown):
    """Not read as total IgG, and named as seen and not used (a subclass by its excluded code, with no name)."""
    facts = build(obs(code=code, value=1.0, unit="g/L"))
    assert facts.igg == () and [(n.kind, n.display) for n in facts.notes] == [(kind, shown)]
    assert [x.code for x in facts.igg_subclasses] == ([code[1]] if kind == "igg-subclass" else [])


@pytest.mark.parametrize("status", ["preliminary", "entered-in-error", "cancelled", "registered"])
def test_non_final_results_are_ignored(status):
    assert build(obs(status=status)).igg == ()


def test_unreadable_results_become_notes():
    facts = build(obs(unit="furlongs"), obs(id="o2", value="3"), obs(id="o3", when="2026-02"), obs(id="o4", valueQuantity=None))
    assert facts.igg == ()
    assert [n.source for n in facts.notes] == ["Observation/o1", "Observation/o2", "Observation/o3", "Observation/o4"]
    assert all(n.kind == "igg-unreadable" for n in facts.notes)  # named as an IgG on the card, with its value


def test_datetimes_are_placed_on_the_copenhagen_calendar():
    assert to_local_date("2026-02-05T23:30:00Z", TZ) == date(2026, 2, 6)
    assert to_local_date("2026-02-05T23:30:00-05:00", TZ) == date(2026, 2, 6)
    assert to_local_date("2026-02-05T10:00:00", TZ) == date(2026, 2, 5)
    assert to_local_date("1970", TZ, allow_partial=True) == date(1970, 1, 1)
    with pytest.raises(DataError):
        to_local_date("2026-02", TZ)
    with pytest.raises(DataError):
        to_local_date("2026-02-30", TZ)


def procedure(status="completed", code=("urn:oid:1.2.208.176.2.4", "BOQX1")):
    return {"resourceType": "Procedure", "id": "pr", "status": status, "subject": SUBJECT,
            "code": {"coding": [{"system": code[0], "code": code[1]}]}, "performedDateTime": "2025-11-01"}


def test_only_completed_car_t_procedures_are_infusions():
    assert len(build(procedure()).car_t) == 1
    assert build(procedure(status="preparation")).car_t == ()
    assert build(procedure(status="not-done")).car_t == ()
    assert len(build(procedure(code=("http://www.ama-assn.org/go/cpt", "0540T"))).car_t) == 1
    assert build(procedure(code=("http://www.ama-assn.org/go/cpt", "0537T"))).car_t == ()  # harvest, not infusion


def med_request(atc, status="active", start="2025-11-01", end=None, **kw):
    bounds = {"start": start, **({"end": end} if end else {})}
    r = {"resourceType": "MedicationRequest", "id": kw.pop("id", "mr"), "status": status, "intent": "order",
         "subject": SUBJECT, "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": atc}]},
         "authoredOn": "2025-10-20", "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": bounds}}}]}
    r.update(kw)
    return r


def test_medication_requests_become_bsab_exposures_and_ig_courses():
    facts = build(med_request("L01FX24", id="tec"), med_request("J06BA02", status="stopped", end="2026-01-01", id="ivig"))
    [tec] = facts.bsab
    assert (tec.drug, tec.start, tec.ongoing) == ("teclistamab", date(2025, 11, 1), True)
    [course] = facts.ig_courses
    assert (course.status, course.start, course.end) == ("stopped", date(2025, 11, 1), date(2026, 1, 1))


def test_orders_that_never_happened_are_ignored():
    assert build(med_request("L01FX24", status="draft"), med_request("J06BA02", status="cancelled", id="x")).bsab == ()
    assert build(med_request("L01XL04")).car_t == ()  # a CAR-T product order is not an infusion
    assert build(med_request("L01FX33")).bsab == ()  # tarlatamab: DLL3, not B-cell/plasma-cell


def test_start_falls_back_to_authored_on_and_contained_medication_is_read():
    r = med_request("J06BA01", dosageInstruction=[])
    r.pop("medicationCodeableConcept")
    r["contained"] = [{"resourceType": "Medication", "id": "m", "code": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA01"}]}}]
    r["medicationReference"] = {"reference": "#m"}
    [course] = build(r).ig_courses
    assert course.start == date(2025, 10, 20)


def test_stopped_order_without_end_is_noted():
    facts = build(med_request("J06BA02", status="stopped"))
    assert [n.kind for n in facts.notes] == ["unknown-end"]


def condition(code, system="http://hl7.org/fhir/sid/icd-10", verification="confirmed", **kw):
    r = {"resourceType": "Condition", "id": kw.pop("id", "c"), "subject": SUBJECT, "code": {"coding": [{"system": system, "code": code}]},
         "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}]},
         "onsetDateTime": "2026-01-05"}
    r.update(kw)
    return r


def test_conditions():
    assert build(condition("DC900", system="urn:oid:1.2.208.176.2.4.12")).diagnoses[0].myeloma
    assert build(condition("C90.00", system="http://hl7.org/fhir/sid/icd-10-cm")).diagnoses
    assert build(condition("C90.0", verification="refuted")).diagnoses == ()
    assert build(condition("A41.9")).infections[0].severe
    assert build(condition("J15.9", verification="provisional")).infections == ()  # not verified
    pneumonia = build(condition("J15.9")).infections[0]
    assert not pneumonia.severe
    severe = condition("J15.9", severity={"coding": [{"system": "http://snomed.info/sct", "code": "24484000"}]})
    assert build(severe).infections[0].severe
    assert build(condition("M32.1")).diagnoses == () and build(condition("M32.1")).infections == ()


def test_pooling_drops_other_patients_and_keeps_the_newest_version():
    mine_old = obs(meta={"versionId": "1", "lastUpdated": "2026-01-10T10:00:00Z"})
    mine_new = obs(value=200, meta={"versionId": "2", "lastUpdated": "2026-01-11T10:00:00Z"})
    other = obs(id="o9", subject={"reference": "Patient/other"})
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in (mine_old, other, mine_new)]}
    pooled = pool_prefetch({"observations": bundle, "patient": {"resourceType": "Patient", "id": "p"}},
                           ["patient", "observations"], "p", TZ)
    assert len(pooled.resources) == 2
    assert [r for r in pooled.resources if r["resourceType"] == "Observation"][0]["valueQuantity"]["value"] == 200
    assert [(n.kind, n.source) for n in pooled.notes] == [("wrong-patient", "Observation/o9")]


def test_a_result_naming_no_patient_is_not_called_another_patients():
    """`subject` is 0..1 in R4: a result without one names no patient, which is what the card says (an integrator
    told "of another patient" looks for a mix-up of ids that is not there)."""
    bare = {k: v for k, v in obs(id="o8").items() if k != "subject"}
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": bare}]}
    pooled = pool_prefetch({"observations": bundle, "patient": {"resourceType": "Patient", "id": "p"}},
                           ["patient", "observations"], "p", TZ)
    assert [r["resourceType"] for r in pooled.resources] == ["Patient"]
    assert [(n.kind, n.source) for n in pooled.notes] == [("no-subject", "Observation/o8")]
    assert one_line("no-subject", "en", "Observation/o8", "", "") == \
        "a lab result names no patient (no subject) and was ignored"


def test_orders_naming_their_drug_through_a_medication_resource():
    medication = {"resourceType": "Medication", "id": "privigen", "code": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]}}
    order = med_request("J06BA02", id="ivig")
    order.pop("medicationCodeableConcept")
    order["medicationReference"] = {"reference": "Medication/privigen"}
    assert len(build(medication, order).ig_courses) == 1
    facts = build(order)  # the Medication was not sent
    assert facts.ig_courses == () and [n.kind for n in facts.notes] == ["unresolved-medication"]


def test_medication_resources_have_no_subject_and_are_kept():
    medication = {"resourceType": "Medication", "id": "m1", "code": {"text": "x"}}
    bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": medication, "search": {"mode": "include"}}]}
    pooled = pool_prefetch({"medicationRequests": bundle}, ["medicationRequests"], "p", TZ)
    assert pooled.resources == [medication] and pooled.notes == []


def test_a_result_below_a_detection_limit_is_below_it():
    [result] = build(obs(value=4, unit="g/L", valueQuantity={"value": 4, "comparator": "<", "unit": "g/L", "code": "g/L"})).igg
    assert (result.value_g_l, result.comparator) == (4.0, "<")  # decided on its bound: below 4, printed "<4.0 g/L"
    assert result.below(4.0) and not result.below(3.9)
    [result] = build(obs(value=4, unit="g/L", valueQuantity={"value": 4, "comparator": "<=", "unit": "g/L", "code": "g/L"})).igg
    assert not result.below(4.0)  # "<=4" may be 4: not below it


@pytest.mark.parametrize("status", [["final"], {"code": "final"}, 5, None])
def test_results_with_a_malformed_status_are_ignored_not_fatal(status):
    assert build(obs(status=status, value=3, unit="g/L")).igg == ()


def test_whole_number_results_are_values_like_any_other():
    [result] = build(obs(value=3, unit="g/L")).igg
    assert result.value_g_l == 3.0 and isinstance(result.value_g_l, float)  # printed "3.0", as 3.2 is "3.2"


def test_a_malformed_resource_type_is_passed_over():
    assert build({"resourceType": ["Observation"], "id": "x"}, obs(value=3.1, unit="g/L")).igg[0].value_g_l == 3.1


def test_results_sharing_a_day_keep_every_field_with_their_instant():
    """Two results of one day get the instant they were taken, and lose nothing else (the copy is
    built field by field for speed: a field added to IgGResult must be copied too)."""
    import dataclasses

    from cql_like_rules.facts import IgGResult
    from cds_service.fhir.results import _timed

    every = {f.name: f"x-{f.name}" for f in dataclasses.fields(IgGResult)}
    first = IgGResult(**{**every, "value_g_l": 3.5, "date": date(2026, 1, 10), "source": "Observation/a", "taken": ""})
    second = dataclasses.replace(first, source="Observation/b", value_g_l=4.4)
    used = {"Observation/a": {"effectiveDateTime": "2026-01-10T08:00:00+01:00"},
            "Observation/b": {"effectiveDateTime": "2026-01-10T14:00:00+01:00"}}
    timed = _timed(FactBuilder(T, TZ), [first, second], used)
    assert timed == [dataclasses.replace(first, taken="2026-01-10T07:00:00"),
                     dataclasses.replace(second, taken="2026-01-10T13:00:00")]


@pytest.mark.parametrize("args", [(3.5, date(2026, 1, 10), "Observation/o1", "", ""),
                                  (4.0, date(2025, 12, 31), "Observation/o-2", "<", "<400 mg/dL"),
                                  (-0.0, date(1900, 1, 1), "Observation/None", ">=", "")])
def test_an_igg_result_made_in_one_step_is_the_dataclass_made_by_its_constructor(args):
    """`_igg_result` sets the frozen dataclass's fields at once (200 results a chart): the same object in every way."""
    import dataclasses
    import pickle

    import orjson

    from cds_service.fhir.facts import _igg_result
    from cql_like_rules.facts import IgGResult, to_json

    fast, plain = _igg_result(*args), IgGResult(*args)
    assert type(fast) is IgGResult and fast == plain and hash(fast) == hash(plain) and repr(fast) == repr(plain)
    assert vars(fast) == vars(plain) and list(vars(fast)) == [f.name for f in dataclasses.fields(IgGResult)]
    assert orjson.dumps(fast) == orjson.dumps(plain) == orjson.dumps(to_json(plain))
    assert pickle.loads(pickle.dumps(fast)) == plain and dataclasses.replace(fast, taken="x") == dataclasses.replace(plain, taken="x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.value_g_l = 1.0  # type: ignore[misc]
    [built] = build(obs(value=args[0], unit="g/L", when=args[1].isoformat(), id=args[2].split("/")[1],
                        valueQuantity={"value": args[0], "unit": "g/L", "code": "g/L", **({"comparator": args[3]} if args[3] else {})})).igg
    assert built == dataclasses.replace(plain, reported="", value_g_l=round(float(args[0]), 6))
