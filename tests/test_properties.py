"""Properties of the rules over generated patient histories (hypothesis).

Histories are generated as typed `Facts` directly (fast, reaches every rule), and as FHIR
bundles for the unit and ordering properties (so conversion, pooling and de-duplication
are in the loop). Every date is an offset from a generated "today": nothing depends on
the day the suite runs.
"""

from __future__ import annotations

import copy
import random
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import load_bundle, replay
from cql_like_rules import evaluate, evaluate_patient
from cql_like_rules.facts import (
    BsAbExposure, CarTInfusion, Culture, Diagnosis, Facts, IgAdministration, IgCourse, IgGResult, Immunofixation,
    Infection, MProteinResult, Patient,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fhir_fixtures"
ADULT_CODES_NEVER_FOR_CHILDREN = {
    "start-substitution", "measure-igg", "general-criteria-igg-under-6", "no-start-without-infections",
    "start-meets-general-criteria", "stop-planned", "stop-due-soon", "stop-overdue", "general-stop-review",
}
PROFILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# -- Facts ------------------------------------------------------------------------------------
todays = st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31))
# Days relative to today (a few in the future), often from a short list so that facts share
# dates and distances: ties are where order-dependence hides.
offsets = st.integers(min_value=-900, max_value=20) | st.sampled_from([-400, -190, -180, -60, -35, -30, -10, -5, 0])
g_per_l = st.integers(min_value=0, max_value=150).map(lambda n: n / 10)


@st.composite
def histories(draw, today: date | None = None, single_index: bool = False) -> tuple[Facts, date]:
    today = today or draw(todays)
    day = lambda: today + timedelta(days=draw(offsets))  # noqa: E731
    n = iter(range(10_000))

    def src(kind: str) -> str:
        return f"{kind}/{kind[:2].lower()}{next(n)}"

    n_car_t, n_bsab = draw(st.sampled_from([(1, 0), (0, 1)])) if single_index else (draw(st.integers(0, 2)), draw(st.integers(0, 3)))
    car_t = tuple(CarTInfusion(day(), src("Procedure"), "axi-cel") for _ in range(n_car_t))
    bsab = []
    for _ in range(n_bsab):
        start = day()
        end = draw(st.none() | st.integers(0, 200).map(lambda d: start + timedelta(days=d)))
        administered = draw(st.booleans())
        bsab.append(BsAbExposure(draw(st.sampled_from(["teclistamab", "epcoritamab"])), start,
                                 src("MedicationAdministration" if administered else "MedicationRequest"),
                                 start if administered else end, ongoing=not administered and end is None and draw(st.booleans()),
                                 administered=administered))
    courses = []
    for _ in range(draw(st.integers(0, 3))):
        start = day()
        end = draw(st.none() | st.integers(0, 400).map(lambda d: start + timedelta(days=d)))
        courses.append(IgCourse(start, draw(st.sampled_from(["active", "on-hold", "stopped", "completed"])),
                                src("MedicationRequest"), end, "IVIG"))
    doses = tuple(IgAdministration(day(), src("MedicationAdministration"), draw(st.sampled_from(["IVIG", "SCIG", ""])))
                  for _ in range(draw(st.integers(0, 3))))
    igg = tuple(IgGResult(draw(g_per_l), day(), src("Observation"), draw(st.sampled_from(["", "", "<", ">"])))
                for _ in range(draw(st.integers(0, 4))))
    mprot = tuple(MProteinResult(draw(g_per_l), day(), src("Observation"), draw(st.sampled_from(["IgG", "", "IgA"])))
                  for _ in range(draw(st.integers(0, 2))))
    fixations = tuple(Immunofixation(day(), src("Observation"), draw(st.sampled_from(["IgG", "IgA", ""])))
                      for _ in range(draw(st.integers(0, 1))))
    infections = tuple(Infection(day(), draw(st.booleans()), src("Condition"),
                                 organism=draw(st.sampled_from(["bacterial", "bacterial", "unspecified", "other"])))
                       for _ in range(draw(st.integers(0, 4))))
    cultures = tuple(Culture(day(), src("Observation"), draw(st.booleans()), draw(st.booleans()),
                             draw(st.sampled_from(["blood", "respiratory"]))) for _ in range(draw(st.integers(0, 2))))
    diagnoses = tuple(Diagnosis("C83", src("Condition"), draw(st.booleans())) for _ in range(draw(st.integers(0, 1) | st.just(1))))
    birth = draw(st.none() | st.integers(0, 90 * 365).map(lambda d: today - timedelta(days=d)))
    died = draw(st.none() | st.just(day()))
    patient = Patient("Patient/p1", birth, died is not None, died) if draw(st.booleans()) or birth else None
    facts = Facts(patient=patient, igg=igg, m_protein=mprot, immunofixation=fixations, car_t=car_t, bsab=tuple(bsab),
                  ig_courses=tuple(courses), ig_administrations=doses, infections=infections, cultures=cultures,
                  diagnoses=diagnoses)
    return facts, today


def advice_of(facts: Facts, today: date) -> list[tuple]:
    """What a clinician sees decide: code, indicator and the values the card shows."""
    return [(a.code, a.indicator, dict(a.values)) for a in evaluate_patient(facts, today).advice]


FIELDS = ("igg", "m_protein", "immunofixation", "car_t", "bsab", "ig_courses", "ig_administrations", "infections",
          "cultures", "diagnoses")


def reorder(facts: Facts, rng: random.Random, duplicate: bool) -> Facts:
    """The same history with every list shuffled (and some facts repeated)."""
    changed = {}
    for name in FIELDS:
        items = list(getattr(facts, name))
        if duplicate and items:
            items += rng.sample(items, k=rng.randint(1, len(items)))
        rng.shuffle(items)
        changed[name] = tuple(items)
    return Facts(patient=facts.patient, notes=facts.notes, **changed)


# -- the properties ---------------------------------------------------------------------------
def reverse(facts: Facts) -> Facts:
    return Facts(patient=facts.patient, notes=facts.notes, **{n: tuple(reversed(getattr(facts, n))) for n in FIELDS})


# Regression pin (found by this suite; fixed in library.py latest_igg): two IgG-isotype M-protein
# results equally far from the latest IgG (5 days before, 5 after) used to give different advice by order.
TODAY = date(2026, 1, 20)
M_PROTEIN_TIE = Facts(
    car_t=(CarTInfusion(date(2025, 11, 18), "Procedure/c1"),),
    diagnoses=(Diagnosis("C83", "Condition/d1"),),
    igg=(IgGResult(5.0, date(2026, 1, 10), "Observation/i1"),),
    m_protein=(MProteinResult(2.0, date(2026, 1, 5), "Observation/m1", "IgG"),
               MProteinResult(0.5, date(2026, 1, 15), "Observation/m2", "IgG")),
)


@PROFILE
@given(histories(), st.randoms(use_true_random=False))
@example(history=(M_PROTEIN_TIE, TODAY), rng=random.Random(0))
def test_advice_does_not_depend_on_order(history, rng) -> None:
    facts, today = history
    expected = advice_of(facts, today)
    assert advice_of(reverse(facts), today) == expected
    assert advice_of(reorder(facts, rng, duplicate=False), today) == expected


@PROFILE
@given(histories(), st.randoms(use_true_random=False))
def test_advice_does_not_depend_on_duplicates(history, rng) -> None:
    facts, today = history
    assert advice_of(reorder(facts, rng, duplicate=True), today) == advice_of(facts, today)


@PROFILE
@given(histories())
def test_at_most_one_card(history) -> None:
    """At most one card, hence never start and stop, or start and no-start, together."""
    facts, today = history
    assert len(evaluate_patient(facts, today).advice) <= 1


@settings(PROFILE, suppress_health_check=list(HealthCheck))
@given(histories(single_index=True), st.integers(min_value=1, max_value=800))
def test_single_index_event_never_moves_back_into_the_window(history, later) -> None:
    facts, today = history
    after = today + timedelta(days=later)
    events = evaluate("CAR-T Infusions", facts, after)[0] + evaluate("BsAb Course Starts", facts, after)[0]
    assume(len(events) == 1 and events[0].date <= today)
    in_window_now = evaluate("In Window", facts, today)[0]
    if not in_window_now:  # already past the window (T0 <= today): it must stay past
        assert not evaluate("In Window", facts, after)[0]
        assert "start-substitution" not in [a[0] for a in advice_of(facts, after)]


@PROFILE
@given(histories())
def test_a_child_never_gets_an_adult_card(history) -> None:
    facts, today = history
    age = evaluate("Age At T0", facts, today)[0]
    codes = {a[0] for a in advice_of(facts, today)}
    if age is not None and age < 18:
        assert not codes & ADULT_CODES_NEVER_FOR_CHILDREN
    not_used = evaluate("Birth Date Not Used", facts, today)[0]  # born after T0: wrong data, read as unknown (adult)
    if facts.patient and facts.patient.birth_date and facts.patient.birth_date > today - timedelta(days=18 * 365) \
            and not_used is None:
        # a child today was a child at every T0 on or before today
        assert not codes & ADULT_CODES_NEVER_FOR_CHILDREN


# -- FHIR bundles -----------------------------------------------------------------------------
RUNTIME = load_runtime(Settings())
BASE = load_bundle(FIXTURES / "cart-in-window-igg-low.json")  # CAR-T 2025-11-18, DLBCL, IgG observations


def igg_observations(bundle: dict) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]


def fhir_advice(bundle: dict, today: date) -> list[tuple]:
    evaluation = replay(RUNTIME, bundle, at=today).evaluation
    return [(a.code, a.indicator, {k: v for k, v in a.values.items() if k != "igg_reported"}) for a in evaluation.advice]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.integers(min_value=1, max_value=2000), min_size=1, max_size=2),  # mg/dL, whole numbers as labs report
       st.integers(min_value=-30, max_value=400), st.data())
def test_mg_per_dl_gives_the_same_advice_as_g_per_l(values_mg_dl, days_after_t0, data) -> None:
    today = date(2025, 11, 18) + timedelta(days=days_after_t0)
    in_g_l, in_mg_dl = copy.deepcopy(BASE), copy.deepcopy(BASE)
    for obs_g, obs_mg, mg in zip(igg_observations(in_g_l), igg_observations(in_mg_dl), values_mg_dl + values_mg_dl):
        obs_g["valueQuantity"] = {"value": mg / 100, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}
        obs_mg["valueQuantity"] = {"value": mg, "unit": "mg/dL", "system": "http://unitsofmeasure.org", "code": "mg/dL"}
    assert fhir_advice(in_mg_dl, today) == fhir_advice(in_g_l, today)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(p.name for p in FIXTURES.glob("*.json") if not p.name.endswith(".expect.json"))),
       st.randoms(use_true_random=False), st.integers(min_value=-60, max_value=400))
def test_fhir_order_and_duplicates_do_not_change_the_advice(name, rng, shift) -> None:
    bundle = load_bundle(FIXTURES / name)
    today = date.fromisoformat(bundle["timestamp"][:10]) + timedelta(days=shift)
    shuffled = copy.deepcopy(bundle)
    entries = shuffled["entry"]
    entries += copy.deepcopy(rng.sample(entries, k=rng.randint(0, len(entries))))
    entries = [e for e in entries if e["resource"]["resourceType"] != "Patient"]
    rng.shuffle(entries)
    shuffled["entry"] = [next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")] + entries
    assert fhir_advice(shuffled, today) == fhir_advice(bundle, today)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=-30, max_value=150))
@example(days_after_t0=63)
def test_a_possible_child_never_gets_an_adult_card_with_a_year_only_birth_date(days_after_t0) -> None:
    t0 = date(2025, 11, 18)  # the CAR-T infusion of the base fixture
    bundle = copy.deepcopy(BASE)
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    patient["birthDate"] = str(t0.year - 18)  # born in 2007: 17 at T0 if born after 18 November
    codes = {a[0] for a in fhir_advice(bundle, t0 + timedelta(days=days_after_t0))}
    assert not codes & ADULT_CODES_NEVER_FOR_CHILDREN


@PROFILE
@given(histories())
def test_a_deceased_patient_never_gets_advice(history) -> None:
    facts, today = history
    patient = facts.patient
    if patient is not None and patient.deceased and (patient.deceased_date is None or patient.deceased_date <= today):
        assert evaluate_patient(facts, today).advice == ()


@PROFILE
@given(histories())
def test_no_card_promises_the_special_stop_to_a_general_criteria_patient(history) -> None:
    """Substitution before T0, paused for the infusion, a restart or infections first: never the stop date."""
    facts, today = history
    for advice in evaluate_patient(facts, today).advice:
        general = evaluate("Substitution Before T0", facts, today)[0] or evaluate("Infections Since Lookback", facts, today)[0]
        if advice.code == "start-substitution" and general:
            assert advice.variant == "general-stop" and "order-ig-until-stop" not in advice.suggestions


@pytest.mark.parametrize("today", [date(2026, 3, 5), date(2026, 4, 10)])
def test_an_order_held_twice_is_targeted_once(today) -> None:
    """The same IVIG order twice among the facts (as the property above found): the stop card's suggestion named it
    twice (targets mr-ivig-0011, mr-ivig-0011), so an EHR was asked to end one order twice."""
    from zoneinfo import ZoneInfo

    from cds_service.fhir.facts import FactBuilder
    from cql_like_rules.valuesets import load_terminology

    bundle = load_bundle(FIXTURES / "cart-ig-active-stop-planned-40-days.json")
    facts = FactBuilder(load_terminology(), ZoneInfo("Europe/Copenhagen")).build(
        [e["resource"] for e in bundle["entry"]]).facts
    twice = Facts(patient=facts.patient, notes=facts.notes,
                  **{name: getattr(facts, name) * (2 if name == "ig_courses" else 1) for name in FIELDS})
    [advice] = evaluate_patient(twice, today).advice
    assert advice.code in ("stop-planned", "stop-due-soon")
    assert advice.targets == ("MedicationRequest/mr-ivig-0011",)
