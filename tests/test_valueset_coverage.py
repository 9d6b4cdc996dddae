"""Every code of every value set is read, on every FHIR element an EHR carries it on.

Which elements carry a value set's codes is declared once, in the value-set file (`carried_on`:
system alias -> FHIR elements, see `cql_like_rules.valuesets.CARRIERS`). For every entry of every
shipped value set, under every URI of each of its systems, this test builds the resource a real EHR
sends that code on and reads it with the service's own fact reader (`FactBuilder`, as
`cds_service.pipeline` does), checking that it becomes the typed fact the value set says: an IgG
result, a CAR-T infusion of the entry's product, a bacterial infection that is severe when the
entry says so, a culture whose organism is bacterial or not ... So a code added to a value set on
a system no reader reads where the file says it is carried, or a system used without saying where
it is carried, fails here instead of matching nothing in a chart (SKS BOHJ10B, immunoglobulin
given, was a Procedure code the Procedure reader did not look at).

Observation codes must also be in the prefetch query (an Observation whose code the EHR is not
asked for is never sent), and excluded codes must never match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cds_service.fhir.facts import PRODUCT_OF_ROUTE, FactBuilder
from cds_service.fhir.reading import _interpretation
from cds_service.fhir.prefetch import prefetch_templates
from cql_like_rules.facts import Facts
from cql_like_rules.valuesets import CARRIERS, Entry, Terminology, ValueSet, load_terminology

T = load_terminology()
TZ = ZoneInfo("Europe/Copenhagen")
DAY = "2026-01-10"
SUBJECT = {"reference": "Patient/p"}
CONFIRMED = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]}
SNOMED = "http://snomed.info/sct"
E_COLI = {"coding": [{"system": SNOMED, "code": "112283007", "display": "Escherichia coli"}]}
BLOOD_CULTURE = {"coding": [{"system": "http://loinc.org", "code": "600-7"}]}
NOT_SEVERE_BACTERIAL = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "A49.9"}]}
LOCAL_PRODUCT = {"coding": [{"system": "urn:oid:1.2.208.176.2.999", "code": "999999"}]}  # a product number in no value set
_ICD10_CATEGORY = re.compile(r"[A-Z]\d\d")


def read(*resources: dict[str, Any]) -> Facts:
    return FactBuilder(T, TZ).build(resources).facts


# -- the codes an EHR sends for an entry ----------------------------------------------------------

def sent_codes(entry: Entry, alias: str) -> list[str]:
    """The entry's code (or a prefix's own code) as an EHR writes it in this system: ICD-10 with its dot
    ("A41.9"), an SKS diagnosis with its D ("DA419"), everything else as listed."""
    code = entry.code if entry.code is not None else str(entry.prefix)
    kind = T.alias_of[T.uris_of[alias][0]][1]
    if kind == "icd10" and len(code) > 3 and _ICD10_CATEGORY.match(code):
        return [f"{code[:3]}.{code[3:]}"]
    if kind == "sks" and _ICD10_CATEGORY.match(code):
        return ["D" + code]
    return [code]


def codings(vs: ValueSet, alias: str) -> Iterator[tuple[Entry, dict[str, str]]]:
    """Every (entry, Coding) of one system of a value set: each code under each of the system's URIs."""
    for entry in vs.entries:
        if alias not in entry.aliases:
            continue
        for uri in T.uris_of[alias]:
            for code in sent_codes(entry, alias):
                yield entry, {"system": uri, "code": code}


def concept(coding: dict[str, str]) -> dict[str, Any]:
    return {"coding": [coding]}


# -- the resources that carry them -------------------------------------------------------------

def observation(code: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "o1", "status": "final", "subject": SUBJECT, "code": code,
            "effectiveDateTime": f"{DAY}T08:00:00+01:00", **fields}


def quantity(value: float, unit: str = "g/L") -> dict[str, Any]:
    return {"valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}


def condition(code: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"resourceType": "Condition", "id": "c1", "subject": SUBJECT, "code": code, "verificationStatus": CONFIRMED,
            "onsetDateTime": DAY, **fields}


def procedure(code: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": "pr1", "status": "completed", "subject": SUBJECT, "code": code,
            "performedDateTime": f"{DAY}T09:00:00+01:00"}


def medication_forms(kind: str, drug: dict[str, Any], **fields: Any) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The drug as medicationCodeableConcept, as the code of a Medication sent with the order or contained in it,
    and as the ingredient of a Medication sent under a local product number."""
    base = {"resourceType": kind, "id": "m1", "subject": SUBJECT, **fields}
    yield "medicationCodeableConcept", [{**base, "medicationCodeableConcept": drug}]
    yield "Medication.code", [{**base, "medicationReference": {"reference": "Medication/med1"}},
                              {"resourceType": "Medication", "id": "med1", "code": drug}]
    yield "Medication.ingredient", [{**base, "medicationReference": {"reference": "Medication/med1"}},
                                    {"resourceType": "Medication", "id": "med1", "code": LOCAL_PRODUCT,
                                     "ingredient": [{"itemCodeableConcept": drug}]}]
    yield "contained Medication", [{**base, "medicationReference": {"reference": "#med"},
                                    "contained": [{"resourceType": "Medication", "id": "med", "code": drug}]}]


def administrations(drug: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    return medication_forms("MedicationAdministration", drug, status="completed",
                            effectiveDateTime=f"{DAY}T09:00:00+01:00")


def orders(drug: dict[str, Any], status: str = "active") -> Iterator[tuple[str, list[dict[str, Any]]]]:
    return medication_forms("MedicationRequest", drug, status=status, intent="order", authoredOn=DAY,
                            dosageInstruction=[{"timing": {"repeat": {"boundsPeriod": {"start": DAY}}}}])


# -- what each value set's code must become, per element (None: read as the value set says) -------

Check = Callable[[Entry, dict[str, str]], "str | None"]


def _only(found: tuple[Any, ...], what: str) -> tuple[Any, str | None]:
    if len(found) != 1:
        return None, f"expected one {what}, got {len(found)}"
    return found[0], None


def igg_observation(entry: Entry, coding: dict[str, str]) -> str | None:
    result, problem = _only(read(observation(concept(coding), **quantity(3.5))).igg, "IgG result")
    return problem or (None if result.value_g_l == 3.5 else f"IgG read as {result.value_g_l} g/L")


def igg_service_request(entry: Entry, coding: dict[str, str]) -> str | None:
    draft = {"resourceType": "ServiceRequest", "id": "sr1", "status": "draft", "intent": "order", "subject": SUBJECT,
             "code": concept(coding), "authoredOn": DAY}
    return None if FactBuilder(T, TZ).igg_order_drafted(draft) is not None else "the draft IgG lab order is not recognised"


def m_protein_observation(entry: Entry, coding: dict[str, str]) -> str | None:
    result, problem = _only(read(observation(concept(coding), **quantity(3.5))).m_protein, "M-protein result")
    if problem:
        return problem
    isotype = str(entry.get("isotype") or "")
    return None if result.value_g_l == 3.5 and result.isotype == isotype else \
        f"M-protein read as {result.value_g_l} g/L, isotype {result.isotype!r} (value set: {isotype!r})"


def immunofixation_observation(entry: Entry, coding: dict[str, str]) -> str | None:
    result, problem = _only(read(observation(concept(coding), valueString="IgG kappa")).immunofixation, "immunofixation")
    return problem or (None if result.isotype == "IgG" else f"immunofixation 'IgG kappa' read as {result.isotype!r}")


def culture_observation(entry: Entry, coding: dict[str, str]) -> str | None:
    result, problem = _only(read(observation(concept(coding), valueCodeableConcept=E_COLI)).cultures, "culture")
    if problem:
        return problem
    specimen, bacterial = str(entry.get("specimen") or "other"), not entry.get("fungal_only")
    return None if (result.positive, result.bacterial, result.specimen) == (True, bacterial, specimen) else \
        f"E. coli grown read as positive={result.positive} bacterial={result.bacterial} specimen={result.specimen!r} " \
        f"(value set: bacterial={bacterial}, specimen={specimen!r})"


def _organism(entry: Entry, resource: dict[str, Any]) -> str | None:
    result, problem = _only(read(resource).cultures, "culture")
    if problem:
        return problem
    bacterial = entry.get("kind") == "bacterial" and not entry.get("contaminant_often")
    return None if result.positive and result.bacterial == bacterial else \
        f"blood culture growing it read as positive={result.positive} bacterial={result.bacterial} " \
        f"(value set: kind={entry.get('kind')!r}, contaminant_often={bool(entry.get('contaminant_often'))})"


def organism_value(entry: Entry, coding: dict[str, str]) -> str | None:
    return _organism(entry, observation(BLOOD_CULTURE, valueCodeableConcept=concept(coding)))


def organism_component(entry: Entry, coding: dict[str, str]) -> str | None:
    return _organism(entry, observation(BLOOD_CULTURE, component=[{"code": BLOOD_CULTURE,
                                                                    "valueCodeableConcept": concept(coding)}]))


def interpretation(entry: Entry, coding: dict[str, str]) -> str | None:
    """Positive: a culture with no organism named is positive; negative: one naming E. coli is not;
    indeterminate: the organism decides (E. coli: positive, nothing: not)."""
    result = str(entry.get("result") or "")
    flagged = {"interpretation": [concept(coding)]}
    bare = read(observation(BLOOD_CULTURE, **flagged)).cultures
    grown = read(observation(BLOOD_CULTURE, valueCodeableConcept=E_COLI, **flagged)).cultures
    if len(bare) != 1 or len(grown) != 1:
        return "the culture was not read"
    expected = {"positive": (True, True), "negative": (False, False), "indeterminate": (False, True)}.get(result)
    if expected is None:
        return f"unknown result {result!r}"
    if _interpretation(FactBuilder(T, TZ), observation(BLOOD_CULTURE, **flagged)) != result:
        return f"the interpretation is not read as {result!r}"
    got = (bare[0].positive, grown[0].positive)
    return None if got == expected else f"culture read as positive={got} (no organism, E. coli), value set: {result}"


def _infection(entry: Entry, coding: dict[str, str]) -> tuple[Any, str | None]:
    facts = read(condition(concept(coding)))
    if facts.diagnoses:
        return None, "read as a haematological malignancy"
    return _only(facts.infections, "infection")


def bacterial_condition(entry: Entry, coding: dict[str, str]) -> str | None:
    found, problem = _infection(entry, coding)
    if problem:
        return problem
    severe = bool(entry.get("severe"))
    return None if (found.organism, found.severe) == ("bacterial", severe) else \
        f"read as organism={found.organism!r} severe={found.severe} (value set: bacterial, severe={severe})"


def other_infection_condition(entry: Entry, coding: dict[str, str]) -> str | None:
    found, problem = _infection(entry, coding)
    if problem:
        return problem
    organism, site = str(entry.get("organism") or "other"), str(entry.get("site") or "")
    return None if (found.organism, found.site) == (organism, site) else \
        f"read as organism={found.organism!r} site={found.site!r} (value set: {organism!r}, {site!r})"


UTI = {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "N39.0"}]}  # infection-other, no organism


def agent_condition(entry: Entry, coding: dict[str, str]) -> str | None:
    """Beside an infection coded without its organism on the same day, a Condition of an agent code gives it the
    agent's organism; on the infection's own Condition too."""
    organism = "bacterial" if entry.get("kind") == "bacterial" else "other"
    apart = read(condition(UTI), {**condition(concept(coding)), "id": "c2"})
    together = read(condition({"coding": [*UTI["coding"], coding]}))
    for facts in (apart, together):
        found, problem = _only(facts.infections, "infection")
        if problem:
            return problem
        if found.organism != organism:
            return f"the infection beside it was read as organism={found.organism!r} (value set: {organism!r})"
    return None


def malignancy_condition(entry: Entry, coding: dict[str, str]) -> str | None:
    found, problem = _only(read(condition(concept(coding))).diagnoses, "malignancy diagnosis")
    myeloma = bool(entry.get("myeloma"))
    return problem or (None if found.myeloma == myeloma else f"read as myeloma={found.myeloma} (value set: {myeloma})")


def severity(entry: Entry, coding: dict[str, str]) -> str | None:
    found, problem = _only(read(condition(NOT_SEVERE_BACTERIAL, severity=concept(coding))).infections, "infection")
    return problem or (None if found.severe else "an infection with this severity is not read as severe")


def _index_event(resources: list[dict[str, Any]]) -> str | None:
    return None if FactBuilder(T, TZ).has_index_event(resources) else \
        "the pipeline's shortcut (has_index_event) does not see it: the chart would get no card"


def car_t_procedure(entry: Entry, coding: dict[str, str]) -> str | None:
    resource = procedure(concept(coding))
    infusion, problem = _only(read(resource).car_t, "CAR-T infusion")
    return problem or _index_event([resource])


def _car_t_product(entry: Entry, resources: list[dict[str, Any]]) -> str | None:
    infusion, problem = _only(read(*resources).car_t, "CAR-T infusion")
    drug = str(entry.get("drug") or "")
    if problem:
        return problem
    return (None if infusion.product == drug else f"CAR-T infusion of {infusion.product!r} (value set: {drug!r})") \
        or _index_event(resources)


def car_t_product_procedure(entry: Entry, coding: dict[str, str]) -> str | None:
    return _car_t_product(entry, [procedure(concept(coding))])


def car_t_product_administration(entry: Entry, coding: dict[str, str]) -> str | None:
    for form, resources in administrations(concept(coding)):
        problem = _car_t_product(entry, resources)
        if problem:
            return f"{form}: {problem}"
    return None


def _draft(entry: Entry, coding: dict[str, str], kind: str, drug: str) -> str | None:
    for form, resources in orders(concept(coding), status="draft"):
        builder = FactBuilder(T, TZ)
        builder.know_medications(resources)
        draft = builder.draft_order(resources[0])
        if draft is None or (draft.kind, draft.drug) != (kind, drug):
            return f"{form}: the draft order is read as {draft and (draft.kind, draft.drug)} (value set: {(kind, drug)})"
    return None


def car_t_product_order(entry: Entry, coding: dict[str, str]) -> str | None:
    """On the chart an order is not an infusion (clinical rules §2: it never dates T0); as a draft it is judged."""
    for form, resources in orders(concept(coding)):
        if read(*resources).car_t:
            return f"{form}: an order was read as a CAR-T infusion"
    return _draft(entry, coding, "car-t-product", str(entry.get("drug") or ""))


def _bsab(entry: Entry, resources: list[dict[str, Any]], administered: bool) -> str | None:
    exposure, problem = _only(read(*resources).bsab, "bispecific exposure")
    drug = str(entry.get("drug") or "")
    if problem:
        return problem
    if (exposure.drug, exposure.administered) != (drug, administered):
        return f"bispecific read as {exposure.drug!r} administered={exposure.administered} (value set: {drug!r})"
    return _index_event(resources)


def bsab_procedure(entry: Entry, coding: dict[str, str]) -> str | None:
    return _bsab(entry, [procedure(concept(coding))], administered=True)


def bsab_administration(entry: Entry, coding: dict[str, str]) -> str | None:
    for form, resources in administrations(concept(coding)):
        problem = _bsab(entry, resources, administered=True)
        if problem:
            return f"{form}: {problem}"
    return None


def bsab_order(entry: Entry, coding: dict[str, str]) -> str | None:
    for form, resources in orders(concept(coding)):
        problem = _bsab(entry, resources, administered=False)
        if problem:
            return f"{form}: {problem}"
    return _draft(entry, coding, "bsab", str(entry.get("drug") or ""))


def _ig_product(entry: Entry) -> str:
    return PRODUCT_OF_ROUTE.get(str(entry.get("route")), "")


def _ig_given(entry: Entry, resources: list[dict[str, Any]]) -> str | None:
    dose, problem = _only(read(*resources).ig_administrations, "immunoglobulin dose")
    return problem or (None if dose.product == _ig_product(entry) else
                       f"immunoglobulin dose read as {dose.product!r} (value set route: {entry.get('route')!r})")


def ig_procedure(entry: Entry, coding: dict[str, str]) -> str | None:
    return _ig_given(entry, [procedure(concept(coding))])


def ig_administration(entry: Entry, coding: dict[str, str]) -> str | None:
    for form, resources in administrations(concept(coding)):
        problem = _ig_given(entry, resources)
        if problem:
            return f"{form}: {problem}"
    return None


def ig_order(entry: Entry, coding: dict[str, str]) -> str | None:
    for form, resources in orders(concept(coding)):
        course, problem = _only(read(*resources).ig_courses, "immunoglobulin course")
        if problem:
            return f"{form}: {problem}"
        if course.product != _ig_product(entry):
            return f"{form}: immunoglobulin course read as {course.product!r} (value set route: {entry.get('route')!r})"
    return _draft(entry, coding, "ig", _ig_product(entry))


IVIG = {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]}


def ig_other_administration(entry: Entry, coding: dict[str, str]) -> str | None:
    dose = {"resourceType": "MedicationAdministration", "id": "ma", "status": "completed", "subject": SUBJECT,
            "medicationCodeableConcept": IVIG, "effectiveDateTime": DAY, "reasonCode": [concept(coding)]}
    facts = read(dose)
    if facts.ig_administrations or len(facts.ig_other_use) != 1:
        return "an immunoglobulin dose given for this reason was read as substitution"
    return None


def ig_other_order(entry: Entry, coding: dict[str, str]) -> str | None:
    order = {"resourceType": "MedicationRequest", "id": "mr", "status": "completed", "intent": "order",
             "subject": SUBJECT, "authoredOn": DAY, "medicationCodeableConcept": IVIG, "reasonCode": [concept(coding)]}
    facts = read(order)
    if facts.ig_courses or len(facts.ig_other_use) != 1:
        return "an immunoglobulin order given for this reason was read as substitution"
    return None


# (value set, element) -> what a code of it must become there. A value set declared on an element
# that is not here fails `test_every_declared_element_has_a_check`: say what it must become first.
CHECKS: dict[tuple[str, str], Check] = {
    ("igg-serum", "Observation.code"): igg_observation,
    ("igg-serum", "ServiceRequest.code"): igg_service_request,
    ("m-protein", "Observation.code"): m_protein_observation,
    ("immunofixation", "Observation.code"): immunofixation_observation,
    ("culture", "Observation.code"): culture_observation,
    ("organism", "Observation.valueCodeableConcept"): organism_value,
    ("organism", "Observation.component.valueCodeableConcept"): organism_component,
    ("result-interpretation", "Observation.interpretation"): interpretation,
    ("severity-severe", "Condition.severity"): severity,
    ("bacterial-infection", "Condition.code"): bacterial_condition,
    ("infection-other", "Condition.code"): other_infection_condition,
    ("organism-cause", "Condition.code"): agent_condition,
    ("haematological-malignancy", "Condition.code"): malignancy_condition,
    ("car-t-procedure", "Procedure.code"): car_t_procedure,
    ("car-t-product", "Procedure.code"): car_t_product_procedure,
    ("car-t-product", "MedicationAdministration.medication"): car_t_product_administration,
    ("car-t-product", "MedicationRequest.medication"): car_t_product_order,
    ("bispecific-b-pc", "Procedure.code"): bsab_procedure,
    ("bispecific-b-pc", "MedicationAdministration.medication"): bsab_administration,
    ("bispecific-b-pc", "MedicationRequest.medication"): bsab_order,
    ("immunoglobulin-substitution", "Procedure.code"): ig_procedure,
    ("immunoglobulin-substitution", "MedicationAdministration.medication"): ig_administration,
    ("immunoglobulin-substitution", "MedicationRequest.medication"): ig_order,
    ("ig-other-indication", "MedicationAdministration.reasonCode"): ig_other_administration,
    ("ig-other-indication", "MedicationRequest.reasonCode"): ig_other_order,
}

DECLARED = [(vs.id, alias, element) for vs in T.valuesets.values()
            for alias, elements in sorted(vs.carried_on.items()) for element in elements]


def test_every_system_of_every_value_set_says_where_it_is_carried():
    """A code on a system its value set does not declare would be read nowhere this test looks."""
    missing = sorted({(vs.id, alias) for vs in T.valuesets.values() for entry in vs.entries for alias in entry.aliases
                      if alias not in vs.carried_on})
    assert not missing, f"add these systems to the value set's 'carried_on' (the FHIR elements they come on): {missing}"
    unused = sorted((vs.id, alias) for vs in T.valuesets.values() for alias in vs.carried_on
                    if not any(alias in e.aliases for e in vs.entries))
    assert not unused, f"'carried_on' names systems the value set has no code in: {unused}"


def test_every_declared_element_has_a_check():
    assert T.unit_carriers == ("Observation.valueQuantity",)
    unchecked = sorted({(vs, element) for vs, _, element in DECLARED} - set(CHECKS))
    assert not unchecked, f"say in CHECKS what a code of these value sets becomes on these elements: {unchecked}"
    assert {element for _, _, element in DECLARED} <= CARRIERS


@pytest.mark.parametrize("valueset, alias, element", DECLARED)
def test_every_code_is_read_where_it_is_carried(valueset: str, alias: str, element: str) -> None:
    check = CHECKS[(valueset, element)]
    problems = [f"{coding['system']}|{coding['code']} ({entry.display[:40]}): {problem}"
                for entry, coding in codings(T.valuesets[valueset], alias) if (problem := check(entry, coding))]
    assert not problems, f"{len(problems)} code(s) of {valueset} not read on {element}:\n" + "\n".join(problems[:20])


def test_every_observation_code_is_asked_for_in_prefetch():
    """The EHR sends only the Observations whose code the prefetch query names: a prefix cannot be searched."""
    query = prefetch_templates(T)["observations"]
    asked = set(query.split("code=", 1)[1].split(","))
    missing = [f"{vs} {coding['system']}|{coding['code']}" for vs, alias, element in DECLARED
               if element == "Observation.code" for entry, coding in codings(T.valuesets[vs], alias)
               if f"{coding['system']}|{coding['code']}" not in asked]
    assert not missing, f"Observation codes the prefetch query does not ask for: {missing[:20]}"


@pytest.mark.parametrize("unit, factor", sorted(T.unit_factors.items()))
def test_every_unit_is_converted(unit: str, factor: float) -> None:
    igg = observation(concept({"system": "http://loinc.org", "code": "2465-3"}), **quantity(10, unit))
    m_protein = observation(concept({"system": "http://loinc.org", "code": "33358-3"}), **quantity(10, unit))
    facts = read(igg, {**m_protein, "id": "o2"})
    assert [r.value_g_l for r in (*facts.igg, *facts.m_protein)] == [pytest.approx(10 * factor)] * 2


def test_no_excluded_code_is_read() -> None:
    """`exclude` wins: an excluded code (an IgG subclass, a harvest step, lifileucel) never matches its value set."""
    from cql_like_rules.valuesets import SHIPPED_DIR
    import json

    matched = []
    for path in sorted(SHIPPED_DIR.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for raw in data.get("exclude", []) if isinstance(data, dict) else []:
            if "code" not in raw:
                continue
            for alias in raw.get("systems") or [raw["system"]]:
                entry = Entry((alias,), str(raw["code"]), None, "", {})
                for uri in T.uris_of[alias]:
                    for code in sent_codes(entry, alias):
                        if T.lookup(data["id"], uri, code) is not None:
                            matched.append(f"{data['id']}: {uri}|{code}")
    assert not matched, matched


def test_a_site_file_may_declare_where_its_local_system_is_carried(tmp_path) -> None:
    (tmp_path / "code-systems.json").write_text('{"aliases": {"EPIC-LAB": {"uris": ["urn:oid:1.2.840.114350.9"], '
                                                '"source": "test"}}}', encoding="utf-8")
    (tmp_path / "igg.json").write_text('{"id": "igg-serum", "carried_on": {"EPIC-LAB": ["Observation.code"]}, '
                                       '"include": [{"system": "EPIC-LAB", "code": "1234", "display": "IgG", '
                                       '"source": "test"}]}', encoding="utf-8")
    from cql_like_rules.valuesets import SHIPPED_DIR

    site = Terminology([SHIPPED_DIR, tmp_path])
    assert site.valuesets["igg-serum"].carried_on["EPIC-LAB"] == ("Observation.code",)
    assert site.valuesets["igg-serum"].carried_on["NPU"] == ("Observation.code", "ServiceRequest.code")


@pytest.mark.parametrize("carried_on", ['{"NOPE": ["Observation.code"]}', '{"LOINC": ["Observation.note"]}',
                                        '{"LOINC": []}', '["Observation.code"]'])
def test_a_wrong_declaration_refuses_to_load(tmp_path, carried_on: str) -> None:
    from cql_like_rules.errors import RulesError
    from cql_like_rules.valuesets import SHIPPED_DIR

    (tmp_path / "igg.json").write_text(f'{{"id": "igg-serum", "carried_on": {carried_on}}}', encoding="utf-8")
    with pytest.raises(RulesError, match="carried_on"):
        Terminology([SHIPPED_DIR, tmp_path])


# -- the reverse: what the readers match by hand agrees with the value sets ------------------------

@pytest.mark.parametrize("entry", [e for e in T.valuesets["organism"].entries if e.code not in ("49872002", "409822003")],
                         ids=lambda e: e.display[:40])
def test_an_organism_named_in_words_is_read_as_its_code_is(entry: Entry) -> None:
    """Danish laboratories report the organism as text: the reader's own lists of fungal and contaminant names must
    give the verdict the organism value set gives the code (kind, contaminant_often). The focus concept Virus is
    left out: a bacterial culture does not report a virus; so is Domain Bacteria: "bacteria" alone names what a
    culture looks for ("Dyrkning for bakterier"), no organism grown, and a text naming no organism the lists know
    is not read (`culture-text-unread`, tests/test_culture_text_unread.py)."""
    coded = read(observation(BLOOD_CULTURE, valueCodeableConcept=concept({"system": SNOMED, "code": str(entry.code)})))
    for name in filter(None, (entry.display, entry.display_da)):
        named = read(observation(BLOOD_CULTURE, valueString=name.replace(" (organism)", "")))
        assert [(c.positive, c.bacterial) for c in named.cultures] == [(c.positive, c.bacterial) for c in coded.cultures], \
            f"{name!r} in words is read otherwise than its code {entry.code}"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_orders_the_service_suggests_are_read_back_as_what_they_are(lang: str) -> None:
    """A suggested IgG lab order or immunoglobulin order, once drafted in the EHR, is recognised by its own codes."""
    from datetime import date

    from cds_service.cards.suggestions import ig_order, igg_order

    builder = FactBuilder(T, TZ)
    assert builder.igg_order_drafted({**igg_order(T, "p", "reason", lang), "authoredOn": DAY}) is not None
    for route, product in PRODUCT_OF_ROUTE.items():
        draft = builder.draft_order(ig_order(T, "p", route, date(2026, 1, 10), date(2026, 5, 3), "dose"))
        assert draft is not None and (draft.kind, draft.drug) == ("ig", product)


# -- the words a result's text names things with (`text_words`) give what the codes give ----------------------------

def _as_text(word: str) -> str:
    """A text word as a laboratory writes it: "candida*" is "candida"."""
    return word.replace("*", "")


def _coded_verdict(attributes: Any) -> tuple[bool, bool]:
    return True, attributes.get("kind") == "bacterial" and not attributes.get("contaminant_often")


@pytest.mark.parametrize("word", sorted(T.words["organism"]))
def test_every_organism_word_is_read_as_its_group_says(word: str) -> None:
    """A culture whose text is one organism word grew that organism: bacterial evidence exactly when its group is a
    bacterium that is not a likely contaminant, as a coded organism with the same attributes is."""
    attributes = T.words["organism"][word]
    # a word of an upper_case group ("GAS") is a name only in capitals: lower case it is an ordinary word, not read
    text = _as_text(word).upper() if attributes.get("upper_case") else _as_text(word)
    named = read(observation(BLOOD_CULTURE, valueString=text)).cultures
    if attributes.get("upper_case"):
        ordinary = read(observation(BLOOD_CULTURE, valueString=_as_text(word))).cultures
        assert [(c.positive, c.bacterial) for c in ordinary] == [(False, False)], word
    if "kind" not in attributes:  # a marker ("ESBL", "oxidase") names no organism: read as a name no list knows
        assert attributes.get("marker") is True, word  # (not read: no growth, named as culture-text-unread)
        unknown = read(observation(BLOOD_CULTURE, valueString="Dolosigranulum pigrum")).cultures
        assert [(c.positive, c.bacterial) for c in named] == [(c.positive, c.bacterial) for c in unknown], word
        return
    assert [(c.positive, c.bacterial) for c in named] == [_coded_verdict(attributes)], word


@pytest.mark.parametrize("entry", [e for e in T.valuesets["organism"].entries if e.code != "49872002"],
                         ids=lambda e: e.display[:40])
def test_every_organism_word_agrees_with_the_coded_organism_it_names(entry: Entry) -> None:
    """A word found in a coded organism's display gives that organism's kind and contaminant_often: a contaminant name
    listed among the pathogens (or a bacterium among the fungi) fails here."""
    for name in filter(None, (entry.display, entry.display_da)):
        for found in T.words_in(name, "organism"):
            assert (found.get("kind"), bool(found.get("contaminant_often"))) == \
                (entry.get("kind"), bool(entry.get("contaminant_often"))), f"{found.word!r} in {name!r} ({entry.code})"


NO_GROWTH_WORDS = sorted(w for w, a in T.words["result-interpretation"].items() if a.get("result") == "negative")
GROWTH_WORDS = sorted(w for w, a in T.words["result-interpretation"].items() if a.get("result") == "positive")


def test_every_result_word_says_growth_or_no_growth() -> None:
    assert sorted(NO_GROWTH_WORDS + GROWTH_WORDS) == sorted(T.words["result-interpretation"])
    assert NO_GROWTH_WORDS and GROWTH_WORDS


@pytest.mark.parametrize("word", NO_GROWTH_WORDS)
def test_every_no_growth_word_is_read_as_the_coded_negative_interpretation(word: str) -> None:
    [negative] = [e for e in T.valuesets["result-interpretation"].entries if e.code == "NEG"]
    assert T.words["result-interpretation"][word].get("result") == negative.get("result") == "negative"
    coded = read(observation(BLOOD_CULTURE, interpretation=[concept({"system": T.uris_of[negative.aliases[0]][0],
                                                                      "code": "NEG"})]))
    worded = read(observation(BLOOD_CULTURE, valueString=_as_text(word).capitalize()))
    assert [c.positive for c in worded.cultures] == [c.positive for c in coded.cultures] == [False], word
    fixation = read(observation(IMMUNOFIXATION, valueString=_as_text(word))).immunofixation
    assert [f.isotype for f in fixation] == ["none"], word


IMMUNOFIXATION = {"coding": [{"system": "http://npu-terminology.org", "code": "NPU02642"}]}


@pytest.mark.parametrize("word", [w for w in GROWTH_WORDS if T.words["result-interpretation"][w].get("alone") is not False])
def test_a_growth_word_alone_is_read_as_the_coded_positive_interpretation(word: str) -> None:
    """A growth word says which organisms grew; alone it is a growth no list names, as a coded POS is."""
    [positive] = [e for e in T.valuesets["result-interpretation"].entries if e.code == "POS"]
    coded = read(observation(BLOOD_CULTURE, interpretation=[concept({"system": T.uris_of[positive.aliases[0]][0],
                                                                      "code": "POS"})]))
    worded = read(observation(BLOOD_CULTURE, valueString=_as_text(word).capitalize()))
    assert [(c.positive, c.bacterial) for c in worded.cultures] == [(c.positive, c.bacterial) for c in coded.cultures] \
        == [(True, True)], word


@pytest.mark.parametrize("word", [w for w in GROWTH_WORDS if T.words["result-interpretation"][w].get("alone") is False])
def test_a_growth_word_that_needs_an_organism_is_not_read_alone(word: str) -> None:
    """"Dyrket 5 døgn" says how long a sample was cultured, not that anything grew: not read (no growth, named), and
    so beside a name no list knows; beside an organism the lists know, that organism grew."""
    for text in (f"{_as_text(word).capitalize()} 5 døgn", f"Dolosigranulum pigrum {_as_text(word)}"):
        alone = read(observation(BLOOD_CULTURE, valueString=text))
        assert [(c.positive, c.bacterial) for c in alone.cultures] == [(False, False)], text
        assert [n.kind for n in alone.notes] == ["culture-text-unread"], text
    beside = read(observation(BLOOD_CULTURE, valueString=f"Escherichia coli {_as_text(word)}"))
    assert [(c.positive, c.bacterial) for c in beside.cultures] == [(True, True)], word


@pytest.mark.parametrize("word", sorted(w for w, said in T.words["m-protein"].items() if "isotype" in said))
def test_every_isotype_word_names_the_isotype_a_code_would(word: str) -> None:
    isotype = T.words["m-protein"][word].get("isotype")
    assert isotype in {e.get("isotype") for e in T.valuesets["m-protein"].entries} | {"light-chain", "IgD", "IgE"}
    fixation = read(observation(IMMUNOFIXATION, valueString=f"M-komponent {_as_text(word)}")).immunofixation
    assert [f.isotype for f in fixation] == [isotype], word


@pytest.mark.parametrize("word", sorted(w for w, said in T.words["m-protein"].items() if "isotype" not in said))
def test_a_word_naming_an_m_protein_result_names_no_isotype(word: str) -> None:
    """The words that tell a local-coded result is an M-protein ("M-komponent", "paraprotein") or is none (urine,
    an immunofixation's type) say nothing of its heavy chain: an immunofixation reading "IgG kappa" beside one is IgG."""
    with_isotype = read(observation(IMMUNOFIXATION, valueString=f"IgG kappa {_as_text(word)}")).immunofixation
    assert [f.isotype for f in with_isotype] == ["IgG"], word


LOCAL_LAB = "urn:oid:1.2.208.176.2.999"


@pytest.mark.parametrize("word", sorted(T.words["igg-serum"]))
def test_every_not_total_igg_word_keeps_a_local_result_from_looking_like_total_igg(word: str) -> None:
    def unrecognised(name: str) -> list[str]:
        facts = read(observation({"coding": [{"system": LOCAL_LAB, "code": "X1"}], "text": name}, **quantity(5.0)))
        return [n.kind for n in facts.notes if n.kind == "unrecognised-code"]

    assert unrecognised("P-Immunglobulin G") == ["unrecognised-code"]
    assert unrecognised(f"P-Immunglobulin G ({_as_text(word)})") == [], word


def _site(tmp_path, text_words: str) -> Terminology:
    from cql_like_rules.valuesets import SHIPPED_DIR

    (tmp_path / "organism-local.json").write_text(f'{{"id": "organism", "text_words": {text_words}}}', encoding="utf-8")
    return Terminology([SHIPPED_DIR, tmp_path])


def test_a_site_adds_an_organism_word_in_its_own_file(tmp_path) -> None:
    site = _site(tmp_path, '[{"kind": "bacterial", "source": "local", "words": ["dolosigranulum*"]},'
                           ' {"kind": "bacterial", "contaminant_often": false, "words": ["rothia*"]}]')
    culture = observation(BLOOD_CULTURE, valueString="Dolosigranulum pigrum og gærsvamp")
    assert [c.bacterial for c in FactBuilder(T, TZ).build([culture]).facts.cultures] == [False]
    assert [c.bacterial for c in FactBuilder(site, TZ).build([culture]).facts.cultures] == [True]
    rothia = observation(BLOOD_CULTURE, valueString="Rothia mucilaginosa")  # the site's word wins, as its codes do
    assert [c.bacterial for c in FactBuilder(T, TZ).build([rothia]).facts.cultures] == [False]
    assert [c.bacterial for c in FactBuilder(site, TZ).build([rothia]).facts.cultures] == [True]


@pytest.mark.parametrize("text_words", ['[{"kind": "other", "words": ["gær*", "gær*"]}]',
                                        '[{"kind": "other", "words": ["g*r"]}]', '[{"kind": "other", "words": []}]',
                                        '{"kind": "other"}'])
def test_a_wrong_word_list_refuses_to_load(tmp_path, text_words: str) -> None:
    from cql_like_rules.errors import RulesError

    with pytest.raises(RulesError, match="text word|text_words"):
        _site(tmp_path, text_words)
