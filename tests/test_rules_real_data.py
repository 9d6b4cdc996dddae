"""The rules on data coded the way hospitals record it (clinical-rules §2, §5, §7).

Each test is one clinical situation, on hand-made facts and a fixed "today"; the FHIR side
of the same situations is in tests/test_real_data_fhir.py and the fixtures.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from cql_like_rules import Parameters, evaluate, evaluate_patient
from cql_like_rules.facts import (
    BsAbExposure, CarTInfusion, Culture, Diagnosis, Facts, IgAdministration, IgCourse, IgGResult, Immunofixation,
    Infection, MProteinResult, Patient,
)

D = date.fromisoformat
ADULT = Patient("Patient/p", D("1960-05-01"))
DLBCL = Diagnosis("C833", "Condition/dx")
MYELOMA = Diagnosis("C900", "Condition/mm", myeloma=True)
CART = CarTInfusion(D("2025-10-01"), "Procedure/cart")  # stop date 2026-04-01


def facts(**kw) -> Facts:
    base = dict(patient=ADULT, diagnoses=(DLBCL,), car_t=(CART,))
    base.update(kw)
    return Facts(**base)


def advice(f: Facts, today: str, params: Parameters | None = None):
    return evaluate_patient(f, D(today), params).advice


def codes(f: Facts, today: str, params: Parameters | None = None) -> list[str]:
    return [a.code for a in advice(f, today, params)]


def value(name: str, f: Facts, today: str):
    return evaluate(name, f, D(today))[0]


def monthly_doses(first: str, n: int, product: str = "IVIG") -> tuple[IgAdministration, ...]:
    return tuple(IgAdministration(D(first) + timedelta(days=28 * i), f"MedicationAdministration/ivig-{i}", product)
                 for i in range(n))


# --- §5: substitution recorded as administrations -------------------------------------------

def test_ivig_given_monthly_without_an_order_is_a_course_with_a_stop_prompt():
    f = facts(ig_administrations=monthly_doses("2025-10-20", 6), igg=(IgGResult(3.1, D("2025-10-15"), "Observation/i"),))
    [found] = advice(f, "2026-03-10")
    assert (found.code, found.values["episode_start"]) == ("stop-planned", D("2025-10-20"))
    assert found.values["episode_product"] == "IVIG"
    [found] = advice(f, "2026-03-25")
    assert found.code == "stop-due-soon" and found.suggestions == ("hold-ig",)  # no order to end: put on hold


def test_a_course_of_doses_ends_the_policy_days_after_the_last_dose():
    f = facts(ig_administrations=monthly_doses("2025-10-20", 2))  # last dose 2025-11-17
    assert value("On Substitution", f, "2025-12-22") is True   # 35 days after the last dose
    assert value("On Substitution", f, "2025-12-23") is False
    assert value("Is Restart", f, "2025-12-23") is True  # a course since T0 has ended


def test_igg_raised_by_infusions_recorded_only_as_doses_is_not_read_as_untreated():
    f = facts(ig_administrations=monthly_doses("2025-10-20", 2),
              igg=(IgGResult(3.1, D("2025-10-15"), "Observation/before"), IgGResult(7.9, D("2025-12-01"), "Observation/on")))
    assert value("IgG Measured During Substitution", f, "2025-12-05") is True
    untreated = value("Latest Usable IgG", f, "2026-02-20")  # 2025-12-01 lies in the washout after the course
    assert untreated.result.source == "Observation/before"


def test_a_course_of_doses_is_not_told_to_let_an_order_end():
    f = facts(ig_administrations=monthly_doses("2025-10-20", 4), igg=(IgGResult(3.1, D("2025-10-15"), "Observation/i"),))
    [found] = advice(f, "2026-01-20")
    assert (found.code, found.variant, found.suggestions) == ("stop-planned", "doses", ())
    order = IgCourse(D("2025-10-20"), "active", "MedicationRequest/ivig", None, "IVIG")
    [found] = advice(facts(ig_courses=(order,), igg=(IgGResult(3.1, D("2025-10-15"), "Observation/i"),)), "2026-01-20")
    assert (found.code, found.variant, found.suggestions) == ("stop-planned", "", ("set-ig-end",))


def test_an_igg_ignored_for_being_on_substitution_is_named_when_no_card_names_it():
    before_t0 = monthly_doses("2025-08-20", 2)  # last dose 2025-09-17: a course to 2025-10-22, washout to 2025-11-19
    restarted = (IgAdministration(D("2025-12-01"), "MedicationAdministration/r1", "IVIG"),)  # ended by 2026-01-05
    f = facts(ig_administrations=before_t0 + restarted, igg=(IgGResult(4.5, D("2025-11-10"), "Observation/on"),))
    assert codes(f, "2026-03-01") == []  # a restart without infections: no start, whatever the IgG
    notes = evaluate_patient(f, D("2026-03-01")).notes
    assert [(n.kind, n.source, n.day) for n in notes] == [("igg-during-substitution", "Observation/on", D("2025-11-10"))]
    severe = Infection(D("2026-02-20"), True, "Condition/sepsis", "A41.9")
    with_card = facts(ig_administrations=before_t0 + restarted, igg=f.igg, infections=(severe,))
    [found] = advice(with_card, "2026-03-01")  # the card says the IgG was not used: no note besides
    assert found.code == "measure-igg" and "igg-during-substitution-ignored" in found.caveats
    assert [n.kind for n in evaluate_patient(with_card, D("2026-03-01")).notes] == []


def test_a_dose_inside_an_orders_period_belongs_to_that_order():
    order = IgCourse(D("2025-10-20"), "active", "MedicationRequest/ivig", D("2026-04-01"), "IVIG")
    f = facts(ig_courses=(order,), ig_administrations=monthly_doses("2025-10-20", 3))
    assert value("IG Administration Courses", f, "2026-01-10") == ()
    [found] = advice(f, "2026-01-10")
    assert found.code == "stop-planned" and found.targets == ("MedicationRequest/ivig",)


# --- §2: bsAb T0 is the first dose ------------------------------------------------------------

def test_a_bsab_order_written_before_the_first_dose_does_not_move_t0_earlier():
    order = BsAbExposure("teclistamab", D("2025-09-01"), "MedicationRequest/tec", None, ongoing=True)
    first = BsAbExposure("teclistamab", D("2025-09-29"), "MedicationAdministration/tec-1", D("2025-09-29"), administered=True)
    f = Facts(patient=ADULT, diagnoses=(MYELOMA,), bsab=(order, first),
              ig_courses=(IgCourse(D("2025-10-10"), "active", "MedicationRequest/ivig"),))
    assert value("T0", f, "2026-03-10") == D("2025-09-29")
    assert value("Stop Date", f, "2026-03-10") == D("2026-03-29")
    assert [a.code for a in advice(f, "2026-03-10")] == ["stop-planned"]  # not stop-overdue (2026-03-01 + ...)
    only_order = Facts(patient=ADULT, diagnoses=(MYELOMA,), bsab=(order,))
    assert value("T0", only_order, "2025-09-10") == D("2025-09-01")  # no dose recorded yet: the order's start


# --- §7: organism-unspecified infections and culture evidence -------------------------------

def pneumonia(onset: str, severe: bool = False, ref: str = "Condition/pn") -> Infection:
    return Infection(D(onset), severe, ref, "J189", "Pneumoni UNS", "unspecified")


def test_pneumonia_without_organism_counts_with_a_positive_blood_culture_the_same_week():
    low = IgGResult(3.0, D("2026-06-10"), "Observation/igg")
    culture = Culture(D("2026-06-03"), "Observation/bc", True, True, "blood", "Streptococcus pneumoniae")
    with_culture = facts(igg=(low,), infections=(pneumonia("2026-06-01"),), cultures=(culture,))
    [found] = advice(with_culture, "2026-06-15")
    assert found.code == "start-meets-general-criteria"  # after the window: IgG < 4 and a severe (bacteraemic) infection
    assert "Observation/bc" in found.evidence and found.values["infection_cultures"] == ("blood:2026-06-03",)
    without = facts(igg=(low,), infections=(pneumonia("2026-06-01"),))
    [found] = advice(without, "2026-06-15")
    assert found.code == "no-start-without-infections"
    notes = evaluate_patient(without, D("2026-06-15")).notes
    assert [(n.kind, n.source) for n in notes] == [("infection-not-counted", "Condition/pn")]


def test_a_culture_far_from_the_onset_or_a_negative_one_is_no_evidence():
    low = IgGResult(3.0, D("2026-06-10"), "Observation/igg")
    far = Culture(D("2026-05-20"), "Observation/far", True, True, "blood")
    negative = Culture(D("2026-06-02"), "Observation/neg", False, False, "blood")
    f = facts(igg=(low,), infections=(pneumonia("2026-06-01"),), cultures=(far, negative))
    assert codes(f, "2026-06-15") == ["no-start-without-infections"]


def test_two_unspecified_pneumonias_with_sputum_cultures_are_recurrent_not_severe():
    low = IgGResult(3.0, D("2026-06-10"), "Observation/igg")
    f = facts(igg=(low,), infections=(pneumonia("2026-03-01", ref="Condition/a"), pneumonia("2026-05-01", ref="Condition/b")),
              cultures=(Culture(D("2026-03-02"), "Observation/s1", True, True, "respiratory"),
                        Culture(D("2026-05-03"), "Observation/s2", True, True, "respiratory")))
    [found] = advice(f, "2026-06-15")
    assert found.code == "start-meets-general-criteria" and found.values["infection_severe"] is False
    assert found.values["infection_dates"] == ("2026-03-01", "2026-05-01")


def test_a_counted_infection_that_is_neither_severe_nor_recurrent_is_named_on_the_no_start_card():
    low = IgGResult(3.0, D("2026-06-10"), "Observation/igg")
    f = facts(igg=(low,), infections=(pneumonia("2026-05-01", ref="Condition/a"),),
              cultures=(Culture(D("2026-05-02"), "Observation/s1", True, True, "respiratory"),))
    [found] = advice(f, "2026-06-15")
    assert found.code == "no-start-without-infections" and found.values["infections_seen"] == ("2026-05-01",)
    assert {"Condition/a", "Observation/s1"} <= set(found.evidence)
    [found] = advice(facts(igg=(low,)), "2026-06-15")
    assert found.values["infections_seen"] == ()


def test_a_viral_infection_is_seen_and_named_never_counted():
    covid = Infection(D("2026-06-01"), True, "Condition/covid", "U071", "COVID-19", "other")
    culture = Culture(D("2026-06-01"), "Observation/bc", True, True, "blood")
    f = facts(igg=(IgGResult(3.0, D("2026-06-10"), "Observation/igg"),), infections=(covid,), cultures=(culture,))
    assert codes(f, "2026-06-15") == ["no-start-without-infections"]
    assert "infection-not-bacterial" in [n.kind for n in evaluate_patient(f, D("2026-06-15")).notes]


def test_a_positive_culture_without_a_diagnosis_is_named_not_counted():
    f = facts(igg=(IgGResult(3.0, D("2026-06-10"), "Observation/igg"),),
              cultures=(Culture(D("2026-06-01"), "Observation/bc", True, True, "blood"),))
    assert codes(f, "2026-06-15") == ["no-start-without-infections"]
    assert [n.kind for n in evaluate_patient(f, D("2026-06-15")).notes] == ["culture-without-diagnosis"]


# --- §7: paraprotein ----------------------------------------------------------------------------

def test_igg_kappa_myeloma_with_a_normal_looking_total_meets_the_start_criterion():
    total = IgGResult(8.5, D("2025-11-10"), "Observation/igg")  # mostly M-protein
    mprot = MProteinResult(6.0, D("2025-11-10"), "Observation/m", "")  # quantity; type from immunofixation
    fix = Immunofixation(D("2024-03-01"), "Observation/ife", "IgG")
    f = facts(diagnoses=(MYELOMA,), igg=(total,), m_protein=(mprot,), immunofixation=(fix,))
    [found] = advice(f, "2025-11-15")
    assert found.code == "start-substitution"  # polyclonal IgG 2.5 g/L < 4, though the total is 8.5
    assert (found.values["igg"], found.values["igg_total"], found.values["m_protein"]) == (2.5, 8.5, 6.0)
    assert "paraprotein-subtracted" in found.caveats


def test_an_iga_paraprotein_is_not_subtracted_and_needs_no_caveat():
    f = facts(diagnoses=(MYELOMA,), igg=(IgGResult(4.5, D("2025-11-10"), "Observation/igg"),),
              m_protein=(MProteinResult(3.0, D("2025-11-10"), "Observation/m", "IgA"),))
    [found] = advice(f, "2025-11-15")
    assert found.code == "general-criteria-igg-under-6" and found.values["igg"] == 4.5 and not found.caveats


def test_the_unknown_type_caveat_appears_only_where_it_can_change_the_decision():
    def caveats(total: float, m: float | None) -> tuple[str, ...]:
        mprot = (MProteinResult(m, D("2025-11-10"), "Observation/m", ""),) if m is not None else ()
        f = facts(diagnoses=(MYELOMA,), igg=(IgGResult(total, D("2025-11-10"), "Observation/igg"),), m_protein=mprot)
        found = advice(f, "2025-11-15")
        return found[0].caveats if found else ()
    assert "paraprotein-possible-measured" in caveats(4.5, 1.0)  # 4.5 - 1.0 = 3.5 would cross 4 (named with its M-protein)
    assert not {"paraprotein-possible", "paraprotein-possible-measured"} & set(caveats(4.5, 0.3))  # 4.2: same side
    assert "paraprotein-possible" in caveats(5.0, None)     # no quantity: within the margin above 4
    assert caveats(9.5, None) == ()                         # far from any threshold: no card, no caveat


@pytest.mark.parametrize("total, m, variant, threshold", [
    (9.0, 6.8, "m-protein", 4.0),   # polyclonal could be 2.2: below the start threshold
    (7.0, 1.5, "m-protein", 6.0),   # 5.5: below the general threshold only
    (7.0, None, "", 6.0),           # no M-protein quantity: within the margin above 6
])
def test_a_high_total_whose_m_protein_type_is_unknown_gets_a_card_saying_so(total, m, variant, threshold):
    mprot = (MProteinResult(m, D("2025-11-10"), "Observation/m", ""),) if m is not None else ()
    f = facts(diagnoses=(MYELOMA,), igg=(IgGResult(total, D("2025-11-10"), "Observation/igg"),), m_protein=mprot)
    [found] = advice(f, "2025-11-15")
    assert (found.code, found.variant, found.values["paraprotein_threshold"]) == ("paraprotein-type-unknown", variant,
                                                                               threshold)
    assert "paraprotein-possible" not in found.caveats  # the card is the caveat
    assert not found.information_only and not found.suggestions
    if m is not None:
        assert found.values["polyclonal_if_igg"] == pytest.approx(total - m) and "Observation/m" in found.evidence


def test_no_paraprotein_card_where_the_type_cannot_change_the_decision():
    def found(total: float, m: float | None, isotype: str = "", diagnosis: Diagnosis = MYELOMA) -> list[str]:
        mprot = (MProteinResult(m, D("2025-11-10"), "Observation/m", isotype),) if m is not None else ()
        return codes(facts(diagnoses=(diagnosis,), igg=(IgGResult(total, D("2025-11-10"), "Observation/igg"),),
                           m_protein=mprot), "2025-11-15")
    assert found(9.0, 2.0) == []              # 7.0 either way: above both thresholds
    assert found(9.0, 6.8, "IgA") == []       # an IgA M-protein is not in total IgG
    assert found(9.0, None) == []             # no quantity, total beyond the margin
    assert found(9.0, 6.8, diagnosis=DLBCL) == []  # no myeloma
    assert found(9.0, 6.8, "IgG") == ["start-substitution"]  # typed: decided on polyclonal 2.2


def test_an_igg_m_protein_larger_than_the_total_is_implausible_and_starts_nothing():
    total = IgGResult(3.0, D("2025-11-10"), "Observation/igg")
    mprot = MProteinResult(5.0, D("2025-11-10"), "Observation/m", "IgG")
    f = facts(diagnoses=(MYELOMA,), igg=(total,), m_protein=(mprot,))
    found = advice(f, "2025-11-15")
    assert [(a.code, a.variant) for a in found] == [("measure-igg", "no-igg-since-t0")]  # neither 3.0 nor 0.0
    notes = evaluate_patient(f, D("2025-11-15")).notes
    assert [(n.kind, n.source) for n in notes] == [("igg-below-m-protein", "Observation/igg")]
    earlier = IgGResult(3.5, D("2025-10-02"), "Observation/igg0")  # an earlier IgG without an M-protein near it
    assert [a.values["igg"] for a in advice(facts(diagnoses=(MYELOMA,), igg=(earlier, total), m_protein=(mprot,)),
                                            "2025-11-15")] == [3.5]


def test_an_m_protein_naming_its_isotype_itself_is_subtracted():
    f = facts(diagnoses=(MYELOMA,), igg=(IgGResult(7.0, D("2025-11-10"), "Observation/igg"),),
              m_protein=(MProteinResult(4.0, D("2025-11-12"), "Observation/m", "IgG"),))
    assert value("Latest IgG", f, "2025-11-15").value_g_l == 3.0


# --- §7: deceased patients --------------------------------------------------------------------

def test_a_deceased_patient_gets_no_advice_from_the_date_of_death():
    low = (IgGResult(3.0, D("2025-11-10"), "Observation/igg"),)
    assert codes(facts(igg=low, patient=Patient("Patient/p", D("1960-05-01"), True, None)), "2025-11-15") == []
    dies = Patient("Patient/p", D("1960-05-01"), True, D("2025-12-01"))
    assert codes(facts(igg=low, patient=dies), "2025-11-15") == ["start-substitution"]
    assert codes(facts(igg=low, patient=dies), "2025-12-01") == []


# --- §7: substitution planned ahead -----------------------------------------------------------

def test_an_active_order_starting_later_means_no_start_card_meanwhile():
    low = (IgGResult(3.0, D("2025-11-10"), "Observation/igg"),)
    booked = IgCourse(D("2025-11-20"), "active", "MedicationRequest/booked", authored=D("2025-11-12"))
    assert codes(facts(igg=low, ig_courses=(booked,)), "2025-11-15") == []
    assert codes(facts(igg=low, ig_courses=(booked,)), "2025-11-11") == ["start-substitution"]  # not yet written


def test_a_switch_from_ivig_to_scig_with_a_gap_of_days_is_not_off_substitution():
    ivig = IgCourse(D("2025-10-20"), "completed", "MedicationRequest/ivig", D("2026-01-10"), "IVIG")
    scig = IgCourse(D("2026-01-14"), "active", "MedicationRequest/scig", None, "SCIG", D("2026-01-05"))
    f = facts(ig_courses=(ivig, scig), igg=(IgGResult(3.0, D("2025-10-10"), "Observation/igg"),))
    [found] = advice(f, "2026-01-12")  # between the two orders
    assert found.code == "stop-planned" and found.values["episode_start"] == D("2025-10-20")
    assert found.targets == ("MedicationRequest/scig",)


# --- §7: substitution paused for the infusion ---------------------------------------------------

def test_a_patient_paused_for_the_infusion_is_never_promised_the_special_stop():
    before = IgCourse(D("2025-03-01"), "completed", "MedicationRequest/before", D("2025-09-20"), "IVIG")
    low = (IgGResult(3.0, D("2025-11-10"), "Observation/igg"),)
    [start] = advice(facts(ig_courses=(before,), igg=low), "2025-11-15")
    assert (start.code, start.variant, start.values["reason"]) == ("start-substitution", "general-stop", "paused-for-infusion")
    assert start.suggestions == ("order-ig",)  # an open-ended order, not one ending on the stop date
    on_hold = IgCourse(D("2025-03-01"), "on-hold", "MedicationRequest/held")
    after = IgCourse(D("2025-11-20"), "active", "MedicationRequest/after")
    [stop] = advice(facts(ig_courses=(on_hold, after), igg=low), "2025-12-10")
    assert stop.code == "general-stop-review" and stop.values["reason"] == "paused-for-infusion"


# --- §7: near the end of the window -------------------------------------------------------------

def test_a_start_card_late_in_the_window_says_when_the_special_criterion_ends():
    low = (IgGResult(3.0, D("2026-03-10"), "Observation/igg"),)
    [late] = advice(facts(igg=low), "2026-03-15")  # 17 days to the stop date 2026-04-01
    assert "late-in-window" in late.caveats
    [early] = advice(facts(igg=(IgGResult(3.0, D("2025-11-10"), "Observation/igg"),)), "2025-11-15")
    assert "late-in-window" not in early.caveats


# --- §7: comparators and implausible values ---------------------------------------------------

def test_a_value_below_the_measuring_range_is_decided_on_its_bound():
    below = IgGResult(4.0, D("2025-11-10"), "Observation/igg", "<")
    [found] = advice(facts(igg=(below,)), "2025-11-15")
    assert found.code == "start-substitution" and found.values["igg_comparator"] == "<"
    at_most = IgGResult(4.0, D("2025-11-10"), "Observation/igg", "<=")  # 4.0 itself is not below 4
    assert [(a.code, a.variant) for a in advice(facts(igg=(at_most,)), "2025-11-15")] == [("measure-igg", "indeterminate")]


@pytest.mark.parametrize("comparator, bound, expected", [
    ("", 3.9, ("start-substitution", "")),
    ("", 4.0, ("general-criteria-igg-under-6", "window")),  # in the window: a later IgG < 4 would meet it
    ("<", 4.0, ("start-substitution", "")),           # below the measuring range at 4: below 4
    ("<", 3.0, ("start-substitution", "")),
    ("<=", 3.9, ("start-substitution", "")),
    ("<=", 4.0, ("measure-igg", "indeterminate")),   # could be 4.0
    ("<", 6.0, ("measure-igg", "indeterminate")),    # anywhere below 6: neither "low" nor "4 to 6"
    ("<=", 5.0, ("measure-igg", "indeterminate")),
    (">", 3.9, ("measure-igg", "indeterminate")),    # a lower bound never proves a value below anything
    (">=", 3.0, ("measure-igg", "indeterminate")),
    (">", 4.0, None),                                # not below 4; whether below 6 is unknown: no band card
    (">=", 4.5, None),
    (">", 6.0, None),
    (">=", 8.0, None),
])
def test_each_comparator_is_decided_on_its_bound_only_where_the_bound_decides(comparator, bound, expected):
    result = IgGResult(bound, D("2025-11-10"), "Observation/igg", comparator)
    found = [(a.code, a.variant) for a in advice(facts(igg=(result,)), "2025-11-15")]
    assert found == ([expected] if expected else [])


@pytest.mark.parametrize("comparator, bound, threshold", [("<", 6.0, 4.0), (">", 3.9, 4.0), ("<=", 4.0, 4.0),
                                                           (">", 4.5, 6.0)])
def test_a_bound_that_cannot_be_placed_is_named_with_the_threshold_it_misses(comparator, bound, threshold):
    result = IgGResult(bound, D("2025-11-10"), "Observation/igg", comparator)
    notes = [n for n in evaluate_patient(facts(igg=(result,)), D("2025-11-15")).notes if n.kind == "igg-indeterminate"]
    assert [(n.source, n.display, n.threshold) for n in notes] == [("Observation/igg", f"{comparator}{bound:.1f}", threshold)]


def test_a_bound_after_the_window_asks_for_a_new_igg_only_when_infections_make_igg_decide():
    result = IgGResult(3.9, D("2026-05-01"), "Observation/igg", ">")
    assert codes(facts(igg=(result,)), "2026-05-10") == []  # no infections: no start whatever the IgG
    severe = Infection(D("2026-04-20"), True, "Condition/sepsis", "A41.9")
    found = advice(facts(igg=(result,), infections=(severe,)), "2026-05-10")
    assert [(a.code, a.variant) for a in found] == [("measure-igg", "indeterminate")]


def test_implausible_values_are_never_used_and_are_named():
    for bad in (-1.0, 0.0, 75.0):
        f = facts(igg=(IgGResult(bad, D("2025-11-10"), "Observation/bad"),))
        assert codes(f, "2025-11-15") == ["measure-igg"]  # as if there were no IgG since T0
        assert [(n.kind, n.source) for n in evaluate_patient(f, D("2025-11-15")).notes] == [
            ("igg-implausible", "Observation/bad")]


# --- §7: draft orders are judged at their planned start ------------------------------------------

def test_an_ivig_draft_planned_after_the_stop_date_follows_the_general_criteria():
    from cql_like_rules import MEDICINRAADET_2025
    from cql_like_rules.orders import DraftOrder

    f = facts(igg=(IgGResult(3.0, D("2026-03-01"), "Observation/igg"),))
    later = DraftOrder("ig", "MedicationRequest/draft", D("2026-04-10"), None, "IVIG")
    [found] = MEDICINRAADET_2025.evaluate_orders(f, [later], D("2026-03-10")).advice
    assert found.code == "order-does-not-meet-criteria"
    assert found.values["failing"] == ("starts-after-stop-date", "no-infections")
    soon = DraftOrder("ig", "MedicationRequest/draft", D("2026-03-15"), None, "IVIG")
    [found] = MEDICINRAADET_2025.evaluate_orders(f, [soon], D("2026-03-10")).advice
    assert found.code == "order-meets-criteria" and found.suggestions == ("set-order-end",)
    on_the_day = DraftOrder("ig", "MedicationRequest/draft", D("2026-03-31"), None, "IVIG")
    [found] = MEDICINRAADET_2025.evaluate_orders(f, [on_the_day], D("2026-03-10")).advice
    assert found.code == "order-meets-criteria" and found.values["order_start"] < found.values["stop_date"]


@pytest.mark.parametrize("comparator, bound, failing", [(">", 3.9, "igg-indeterminate"), ("<", 6.0, "igg-indeterminate"),
                                                         ("", 4.5, "igg-4-6"), (">", 6.0, "igg-not-low")])
def test_an_ivig_draft_on_a_bound_that_cannot_be_placed_does_not_meet_and_says_why(comparator, bound, failing):
    from cql_like_rules import MEDICINRAADET_2025
    from cql_like_rules.orders import DraftOrder

    f = facts(igg=(IgGResult(bound, D("2025-11-10"), "Observation/igg", comparator),))
    draft = DraftOrder("ig", "MedicationRequest/draft", D("2025-11-15"), None, "IVIG")
    [found] = MEDICINRAADET_2025.evaluate_orders(f, [draft], D("2025-11-15")).advice
    assert (found.code, found.values["failing"]) == ("order-does-not-meet-criteria", (failing,))


def test_an_ivig_draft_late_in_the_window_carries_the_late_start_note():
    from cql_like_rules import MEDICINRAADET_2025
    from cql_like_rules.orders import DraftOrder

    f = facts(igg=(IgGResult(3.0, D("2026-03-01"), "Observation/igg"),))  # stop date 2026-04-01
    for start, late in (("2026-03-05", True), ("2026-03-01", False)):  # 27 and 31 days before the stop date
        draft = DraftOrder("ig", "MedicationRequest/draft", D(start), None, "IVIG")
        [found] = MEDICINRAADET_2025.evaluate_orders(f, [draft], D("2026-03-01")).advice
        assert found.code == "order-meets-criteria" and ("late-in-window" in found.caveats) is late


def test_no_draft_order_advice_for_a_deceased_patient():
    from cql_like_rules import MEDICINRAADET_2025
    from cql_like_rules.orders import DraftOrder

    dead = facts(patient=Patient("Patient/p", D("1960-05-01"), True), igg=(IgGResult(3.0, D("2025-11-10"), "Observation/igg"),))
    orders = [DraftOrder("ig", "MedicationRequest/d1"), DraftOrder("bsab", "MedicationRequest/d2", drug="teclistamab")]
    assert MEDICINRAADET_2025.evaluate_orders(dead, orders, D("2025-11-15")).advice == ()


@pytest.mark.parametrize("comparator, total, expected", [
    # polyclonal IgG > 3.0: may or may not be below 4; the card names the total and the M-protein, both figures
    (">", 5.0, ("measure-igg", "indeterminate-m-protein")),
    (">", 3.9, ("measure-igg", "indeterminate-m-protein")),    # > 2.9
    ("<", 6.0, ("start-substitution", "")),          # < 4.0: below 4
    ("<", 7.0, ("measure-igg", "indeterminate-m-protein")),    # < 5.0: neither "low" nor "4 to 6"
    ("<", 4.0, ("start-substitution", "")),          # < 2.0: certainly below 4
    ("", 5.0, ("start-substitution", "")),           # exactly 3.0
])
def test_a_bound_less_an_igg_m_protein_is_still_a_bound(comparator, total, expected):
    """Subtracting an IgG M-protein of 2.0 from a total reported as a bound gives a bound on
    polyclonal IgG, decided like any other bound, never an exact value."""
    result = IgGResult(total, D("2025-11-10"), "Observation/igg", comparator)
    mprot = MProteinResult(2.0, D("2025-11-10"), "Observation/m", "IgG")
    found = [(a.code, a.variant) for a in advice(facts(diagnoses=(MYELOMA,), igg=(result,), m_protein=(mprot,)),
                                                  "2025-11-15")]
    assert found == [expected]


@pytest.mark.parametrize("show", [True, False])
def test_an_igg_taken_on_substitution_is_named_whether_or_not_its_card_is_shown(show):
    """After the window, IgG 5.0 before a dose and 4.5 in its washout: the 4-6 band card names the
    later IgG as not used; with information-only cards hidden a data note names it instead."""
    f = facts(ig_administrations=monthly_doses("2026-03-01", 1),
              igg=(IgGResult(5.0, D("2026-02-20"), "Observation/a"), IgGResult(4.5, D("2026-03-20"), "Observation/b")))
    found = evaluate_patient(f, D("2026-05-01"), dataclasses.replace(Parameters(), show_information_only_cards=show))
    shown = [a for a in found.advice if "igg-during-substitution-ignored" in a.caveats]
    noted = [n.source for n in found.notes if n.kind == "igg-during-substitution"]
    assert (len(shown), noted) == ((1, []) if show else (0, ["Observation/b"]))


def test_doses_every_four_weeks_past_the_orders_end_date_are_one_substitution_not_a_restart():
    """An order ended on paper (2025-12-01) while IVIG went on every 4 weeks: no pause, so no restart (§4.3); the
    special stop on the stop date still applies (§4.2)."""
    order = IgCourse(D("2025-10-20"), "completed", "MedicationRequest/ivig", D("2025-12-01"), "IVIG")
    doses = monthly_doses("2025-10-20", 5)  # 10-20, 11-17 in the order; 12-15, 01-12, 02-09 after its end
    f = facts(ig_courses=(order,), ig_administrations=doses, igg=(IgGResult(3.1, D("2025-10-15"), "Observation/i"),))
    [found] = advice(f, "2026-02-20")
    assert (found.code, found.values["episode_start"], found.values["stop_date"]) == (
        "stop-planned", D("2025-10-20"), D("2026-04-01"))
    assert value("Is Restart", f, "2026-02-20") is False
    late = (IgAdministration(D("2026-01-20"), "MedicationAdministration/late", "IVIG"),)  # 7 weeks after the last
    f = facts(ig_courses=(order,), ig_administrations=doses[:2] + late, igg=f.igg)
    [found] = advice(f, "2026-02-20")
    assert (found.code, found.values["episode_start"]) == ("general-stop-review", D("2026-01-20"))  # a real pause


def test_an_earlier_igg_taken_on_substitution_is_named_when_the_card_names_only_the_latest():
    """After the window, IgG 5.0 before a dose, then 4.8 and 4.5 on substitution: the card's note names the latest
    (4.5) as not used; the 4.8 was named nowhere (its data note went with the card's note), on the card or on the
    explanation page."""
    f = facts(ig_administrations=monthly_doses("2026-03-01", 1),
              igg=(IgGResult(5.0, D("2026-02-20"), "Observation/a"), IgGResult(4.8, D("2026-03-10"), "Observation/b"),
                   IgGResult(4.5, D("2026-03-20"), "Observation/c")))
    found = evaluate_patient(f, D("2026-05-01"))
    [shown] = [a for a in found.advice if "igg-during-substitution-ignored" in a.caveats]
    assert shown.values["ignored_igg_source"] == "Observation/c"
    assert [n.source for n in found.notes if n.kind == "igg-during-substitution"] == ["Observation/b"]
