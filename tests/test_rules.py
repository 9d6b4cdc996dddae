"""Each named definition of the rule library, on hand-made facts and a fixed "today"."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from cql_like_rules import LIBRARY, Parameters, evaluate, evaluate_patient
from cql_like_rules.facts import (
    BsAbExposure, CarTInfusion, Diagnosis, Facts, IgCourse, IgGResult, Infection, MProteinResult, Patient,
    UndatedTherapy,
)
from cql_like_rules.library import add_months

D = date.fromisoformat
ADULT = Patient("Patient/p", D("1960-05-01"))
DLBCL = Diagnosis("C833", "Condition/dx")
MYELOMA = Diagnosis("C900", "Condition/mm", myeloma=True)


def facts(**kw) -> Facts:
    base = dict(patient=ADULT, diagnoses=(DLBCL,), car_t=(CarTInfusion(D("2025-10-01"), "Procedure/cart"),))
    base.update(kw)
    return Facts(**base)


def value(name: str, f: Facts, today: str, params: Parameters | None = None):
    return evaluate(name, f, D(today), params)[0]


def codes(f: Facts, today: str, params: Parameters | None = None) -> list[str]:
    return [a.code for a in evaluate_patient(f, D(today), params).advice]


def igg(v: float, when: str, ref: str = "Observation/igg") -> IgGResult:
    return IgGResult(v, D(when), ref)


# --- calendar, index events, window -------------------------------------------------------

@pytest.mark.parametrize("start, expected", [
    ("2025-08-31", "2026-02-28"), ("2023-08-31", "2024-02-29"), ("2025-01-15", "2025-07-15"), ("2025-12-31", "2026-06-30"),
])
def test_stop_date_is_six_calendar_months(start, expected):
    f = facts(car_t=(CarTInfusion(D(start), "Procedure/c"),))
    assert value("Stop Date", f, expected) == D(expected)
    assert add_months(D(start), 6) == D(expected)


def test_window_is_half_open():
    f = facts()
    assert value("In Window", f, "2025-10-01") is True
    assert value("In Window", f, "2026-03-31") is True
    assert value("In Window", f, "2026-04-01") is False
    assert value("In Window", f, "2025-09-30") is False  # infusion not yet happened: no index event
    assert value("Index Event", f, "2025-09-30") is None


def test_days_to_stop_date_counts_calendar_days():
    assert value("Days To Stop Date", facts(), "2026-03-18") == 14
    assert value("Days To Stop Date", facts(), "2026-04-02") == -1


def test_most_recent_index_event_wins():
    f = facts(bsab=(BsAbExposure("elranatamab", D("2025-11-03"), "MedicationRequest/elra"),))
    event = value("Index Event", f, "2026-01-15")
    assert (event.kind, event.date, event.source) == ("bsab", D("2025-11-03"), "MedicationRequest/elra")
    assert value("Index Event", f, "2025-11-02").source == "Procedure/cart"  # as of before the bsAb


def test_bsab_resumption_within_gap_is_not_a_new_course():
    f = facts(car_t=(), bsab=(
        BsAbExposure("epcoritamab", D("2025-06-01"), "MedicationRequest/a", D("2025-07-15")),
        BsAbExposure("epcoritamab", D("2025-08-20"), "MedicationRequest/b"),
    ))
    starts = value("BsAb Course Starts", f, "2026-01-10")
    assert [s.date for s in starts] == [D("2025-06-01")]


def test_bsab_after_long_gap_starts_a_new_course():
    f = facts(car_t=(), bsab=(
        BsAbExposure("teclistamab", D("2025-01-01"), "MedicationRequest/a", D("2025-02-01")),
        BsAbExposure("teclistamab", D("2025-06-01"), "MedicationRequest/b"),
    ))
    assert [s.date for s in value("BsAb Course Starts", f, "2025-07-01")] == [D("2025-01-01"), D("2025-06-01")]


def test_ongoing_bsab_order_keeps_the_course_open():
    f = facts(car_t=(), bsab=(
        BsAbExposure("teclistamab", D("2025-01-01"), "MedicationRequest/a", ongoing=True),
        BsAbExposure("teclistamab", D("2025-09-01"), "MedicationRequest/b"),
    ))
    assert [s.date for s in value("BsAb Course Starts", f, "2025-09-10")] == [D("2025-01-01")]


def test_different_bsab_drugs_start_their_own_courses():
    f = facts(car_t=(), bsab=(
        BsAbExposure("teclistamab", D("2025-01-01"), "MedicationRequest/a"),
        BsAbExposure("talquetamab", D("2025-02-01"), "MedicationRequest/b"),
    ))
    assert value("T0", f, "2025-03-01") == D("2025-02-01")


# --- population ---------------------------------------------------------------------------

def test_no_malignancy_means_out_of_scope_unless_assumed():
    f = facts(diagnoses=(), igg=(igg(2.0, "2025-11-01"),))
    assert value("In Scope", f, "2025-11-10") is False
    assert codes(f, "2025-11-10") == []
    assumed = Parameters(malignancy_requirement="assume")
    assert codes(f, "2025-11-10", assumed) == ["start-substitution"]
    advice = evaluate_patient(f, D("2025-11-10"), assumed).advice[0]
    assert "malignancy-assumed" in advice.caveats


def test_child_is_judged_by_age_at_t0_and_gets_only_the_child_card():
    f = facts(patient=Patient("Patient/p", D("2008-06-01")), igg=(igg(2.0, "2025-11-01"),),
              ig_courses=(IgCourse(D("2025-10-20"), "active", "MedicationRequest/ig"),))
    assert value("Age At T0", f, "2026-07-01") == 17
    assert value("Is Child", f, "2026-07-01") is True  # 18 by then, still a child at T0
    assert codes(f, "2026-07-01") == ["child-individual-assessment"]


def test_unknown_birth_date_applies_adult_rules_and_says_so():
    f = facts(patient=Patient("Patient/p", None), igg=(igg(3.0, "2025-11-01"),))
    advice = evaluate_patient(f, D("2025-11-10")).advice
    assert [a.code for a in advice] == ["start-substitution"]
    assert "age-unknown" in advice[0].caveats


def test_no_patient_record_says_age_and_death_were_not_checked():
    """No Patient in the request (prefetch `patient: null`): neither the age nor a death was read, and the card says
    both, under the criteria and on a therapy card with no index event."""
    f = facts(patient=None, igg=(igg(3.0, "2025-11-01"),))
    [advice] = evaluate_patient(f, D("2025-11-10")).advice
    assert advice.code == "start-substitution" and "patient-unknown" in advice.caveats
    undated = UndatedTherapy("Procedure/cart", "car-t-product", "tisagenlecleucel", "2025-10", D("2025-10-01"),
                             D("2025-10-31"))
    for patient, said in ((None, "patient-unknown-no-index"), (Patient("Patient/p", None), "age-unknown-no-index")):
        [advice] = evaluate_patient(facts(patient=patient, car_t=(), undated_therapies=(undated,)), D("2025-11-10")).advice
        assert said in advice.caveats, (advice.code, advice.caveats)


# --- IgG ----------------------------------------------------------------------------------

def test_inside_window_only_results_since_t0_count():
    f = facts(igg=(igg(2.0, "2025-09-20", "Observation/baseline"),))
    assert value("Relevant IgG Results", f, "2025-11-01") == ()
    assert codes(f, "2025-11-01") == ["measure-igg"]


def test_after_window_older_results_count():
    f = facts(igg=(igg(3.0, "2025-09-20", "Observation/baseline"),))
    assert value("Latest IgG", f, "2026-05-01").result.source == "Observation/baseline"
    assert codes(f, "2026-05-01") == ["no-start-without-infections"]


def test_results_after_today_are_ignored():
    f = facts(igg=(igg(5.0, "2025-11-01", "Observation/a"), igg(2.0, "2025-11-20", "Observation/b")))
    assert value("Latest IgG", f, "2025-11-19").result.source == "Observation/a"
    assert value("Latest IgG", f, "2025-11-20").result.source == "Observation/b"  # dated today counts


@pytest.mark.parametrize("today, stale", [("2025-11-30", False), ("2025-12-01", True)])
def test_staleness_in_window_is_more_than_30_days(today, stale):
    f = facts(igg=(igg(5.0, "2025-10-31"),))
    assert value("Latest IgG Is Stale", f, today) is stale


def test_staleness_after_window_is_more_than_90_days():
    f = facts(igg=(igg(5.0, "2026-04-01"),))
    assert value("Latest IgG Is Stale", f, "2026-06-30") is False
    assert value("Latest IgG Is Stale", f, "2026-07-01") is True


def test_igg_m_protein_is_subtracted_only_when_igg_isotype_and_near():
    near = MProteinResult(2.0, D("2025-11-10"), "Observation/m", "IgG")
    far = MProteinResult(2.0, D("2025-09-01"), "Observation/m2", "IgG")
    unknown = MProteinResult(2.0, D("2025-11-10"), "Observation/m3", "unknown")
    base = dict(diagnoses=(MYELOMA,), igg=(igg(5.0, "2025-11-01"),))
    used = value("Latest IgG", facts(m_protein=(near,), **base), "2025-11-15")
    assert used.value_g_l == pytest.approx(3.0) and used.m_protein == near
    assert codes(facts(m_protein=(near,), **base), "2025-11-15") == ["start-substitution"]
    assert value("Latest IgG", facts(m_protein=(far,), **base), "2025-11-15").value_g_l == 5.0
    assert value("Latest IgG", facts(m_protein=(unknown,), **base), "2025-11-15").value_g_l == 5.0
    advice = evaluate_patient(facts(m_protein=(unknown,), **base), D("2025-11-15")).advice[0]
    assert advice.code == "general-criteria-igg-under-6" and "paraprotein-possible-measured" in advice.caveats


def test_igg_measured_during_substitution_is_flagged():
    f = facts(igg=(igg(6.5, "2025-12-01"),), ig_courses=(IgCourse(D("2025-10-20"), "active", "MedicationRequest/ig"),))
    assert value("IgG Measured During Substitution", f, "2025-12-10") is True
    advice = evaluate_patient(f, D("2025-12-10")).advice[0]
    assert advice.code == "stop-planned" and "igg-during-substitution" in advice.caveats


# --- infections ---------------------------------------------------------------------------

def inf(when: str, severe: bool = False, ref: str = "Condition/inf") -> Infection:
    return Infection(D(when), severe, ref)


def test_one_severe_infection_is_enough():
    assert value("Recent Severe Or Recurrent Infections", facts(infections=(inf("2026-03-01", True),)), "2026-05-01")


def test_recurrent_needs_two_episodes_14_days_apart():
    close = facts(infections=(inf("2026-03-01", ref="Condition/a"), inf("2026-03-10", ref="Condition/b")))
    apart = facts(infections=(inf("2026-03-01", ref="Condition/a"), inf("2026-03-15", ref="Condition/b")))
    assert value("Recent Severe Or Recurrent Infections", close, "2026-05-01") == ()
    assert len(value("Recent Severe Or Recurrent Infections", apart, "2026-05-01")) == 2


def test_infections_older_than_twelve_months_do_not_count():
    f = facts(infections=(inf("2025-04-01", True),))
    assert value("Recent Severe Or Recurrent Infections", f, "2026-04-01") == ()
    assert value("Recent Severe Or Recurrent Infections", f, "2026-03-31")


# --- start advice -------------------------------------------------------------------------

@pytest.mark.parametrize("igg_value, when, today, expected", [
    (3.9, "2025-11-01", "2025-11-10", ["start-substitution"]),
    (3.9, "2025-10-01", "2026-01-10", ["start-substitution"]),          # stale but < 4 still supports a start
    (4.0, "2025-11-01", "2025-11-10", ["general-criteria-igg-under-6"]),
    (5.9, "2025-10-05", "2026-01-10", ["measure-igg"]),                 # stale and >= 4
    (6.0, "2025-11-01", "2025-11-10", []),
    (7.0, "2025-10-05", "2026-01-10", ["measure-igg"]),
])
def test_start_advice_inside_window(igg_value, when, today, expected):
    assert codes(facts(igg=(igg(igg_value, when),)), today) == expected


def test_start_card_mentions_infections_when_present():
    f = facts(igg=(igg(3.0, "2025-11-01"),), infections=(inf("2025-10-20", True),))
    advice = evaluate_patient(f, D("2025-11-10")).advice[0]
    assert (advice.code, advice.variant, advice.values["reason"]) == ("start-substitution", "general-stop", "infections")
    assert advice.suggestions == ("order-ig",)  # no order ending on the stop date: the general stop criteria apply


@pytest.mark.parametrize("infections, igg_values, expected", [
    ((), [(3.0, "2025-12-01")], ["no-start-without-infections"]),
    ((), [], []),
    ((), [(5.0, "2026-04-10")], ["general-criteria-igg-under-6"]),
    ((), [(5.0, "2025-12-01")], []),                                     # stale 4-6 without infections: nothing
    ((inf("2026-04-01", True),), [(3.0, "2026-04-10")], ["start-meets-general-criteria"]),
    ((inf("2026-04-01", True),), [(3.0, "2025-12-01")], ["measure-igg"]),  # no recent IgG
    ((inf("2026-04-01", True),), [], ["measure-igg"]),
    ((inf("2026-04-01", True),), [(5.0, "2026-04-10")], ["general-criteria-igg-under-6"]),
    ((inf("2026-04-01", True),), [(8.0, "2026-04-10")], []),
])
def test_start_advice_after_window(infections, igg_values, expected):
    f = facts(infections=infections, igg=tuple(igg(v, d, f"Observation/{i}") for i, (v, d) in enumerate(igg_values)))
    assert codes(f, "2026-05-01") == expected


def test_restart_inside_window_follows_general_criteria():
    first = IgCourse(D("2025-10-10"), "stopped", "MedicationRequest/ig1", D("2025-12-01"))
    f = facts(ig_courses=(first,), igg=(igg(3.0, "2025-12-30"),))  # 29 days after the last dose: off substitution
    assert value("Is Restart", f, "2026-01-05") is True
    assert codes(f, "2026-01-05") == ["no-start-without-infections"]
    with_inf = replace(f, infections=(inf("2025-12-15", True),))
    assert codes(with_inf, "2026-01-05") == ["start-meets-general-criteria"]


def test_on_hold_counts_as_paused_and_a_restart():
    f = facts(ig_courses=(IgCourse(D("2025-10-10"), "on-hold", "MedicationRequest/ig1"),), igg=(igg(3.2, "2025-12-20"),))
    assert value("On Substitution", f, "2026-01-05") is False
    assert codes(f, "2026-01-05") == ["no-start-without-infections"]


def test_course_before_t0_that_ended_is_not_a_restart():
    old = IgCourse(D("2025-01-01"), "stopped", "MedicationRequest/old", D("2025-06-01"))
    f = facts(ig_courses=(old,), igg=(igg(3.0, "2025-11-01"),))
    assert value("Is Restart", f, "2025-11-10") is False
    assert codes(f, "2025-11-10") == ["start-substitution"]


def test_stopped_course_without_end_is_not_active_and_is_named():
    c = IgCourse(D("2025-10-10"), "stopped", "MedicationRequest/ig1")
    f = facts(ig_courses=(c,), igg=(igg(3.5, "2025-12-20"),))
    assert value("On Substitution", f, "2026-01-05") is False
    advice = evaluate_patient(f, D("2026-01-05")).advice[0]
    assert "course-end-unknown" in advice.caveats


# --- stop advice --------------------------------------------------------------------------

def on_ig(start: str = "2025-10-15", status: str = "active", end: str | None = None, **kw) -> Facts:
    course = IgCourse(D(start), status, "MedicationRequest/ig", D(end) if end else None)
    return facts(ig_courses=(course,), **kw)


@pytest.mark.parametrize("today, expected", [
    ("2026-03-17", "stop-planned"),   # 15 days before the stop date 2026-04-01
    ("2026-03-18", "stop-due-soon"),  # 14 days before
    ("2026-04-01", "stop-due-soon"),  # the stop date itself
    ("2026-04-02", "stop-overdue"),
])
def test_special_stop_phases(today, expected):
    assert codes(on_ig(), today) == [expected]


def test_order_ending_on_the_stop_date_is_not_overdue():
    f = on_ig(end="2026-04-01", igg=(igg(3.0, "2025-10-10", "Observation/before"), igg(6.5, "2026-03-20", "Observation/on-ig")))
    [advice] = evaluate_patient(f, D("2026-04-02")).advice
    assert advice.code == "no-start-without-infections"  # decided on the untreated 3.0, not the 6.5 taken on IG
    assert advice.values["igg_source"] == "Observation/before" and "igg-during-substitution-ignored" in advice.caveats


def test_igg_in_the_washout_after_substitution_is_not_used_for_a_start():
    course = IgCourse(D("2025-10-15"), "completed", "MedicationRequest/ig", D("2025-11-01"))
    f = facts(ig_courses=(course,), igg=(igg(7.0, "2025-11-20"),))
    assert codes(f, "2025-11-25") == []  # the only IgG since T0 is in the washout: restart, no infections
    f = facts(ig_courses=(course,), igg=(igg(7.0, "2025-11-20"),), infections=(inf("2025-11-10", True),))
    assert codes(f, "2025-11-25") == ["measure-igg"]
    assert codes(replace(f, igg=(igg(3.0, "2025-12-05"),)), "2025-12-06") == ["start-meets-general-criteria"]


def test_stopped_order_with_a_future_planned_end_is_not_active():
    early = IgCourse(D("2025-10-15"), "stopped", "MedicationRequest/ig", D("2026-04-01"))
    f = facts(ig_courses=(early,), igg=(igg(3.0, "2025-10-10"),))
    assert value("On Substitution", f, "2026-01-05") is False
    assert value("Is Restart", f, "2026-01-05") is True


def test_substitution_paused_for_the_infusion_follows_general_stop_criteria():
    before = IgCourse(D("2025-03-01"), "completed", "MedicationRequest/before", D("2025-09-20"))
    after = IgCourse(D("2025-10-20"), "active", "MedicationRequest/after")
    [advice] = evaluate_patient(facts(ig_courses=(before, after)), D("2025-12-01")).advice
    assert (advice.code, advice.values["reason"]) == ("general-stop-review", "paused-for-infusion")


def test_order_already_ending_on_the_stop_date_gets_no_hold_suggestion():
    [advice] = evaluate_patient(on_ig(end="2026-04-01"), D("2026-03-25")).advice
    assert advice.code == "stop-due-soon" and advice.suggestions == ()


def test_a_due_stop_is_set_for_the_stop_date_not_applied_days_early():
    """§6: the order is updated to stop *at* the stop date (2026-04-01). Seven days before it the suggestion
    ends the order on that date; putting it on hold now would pause a week early. On the day it goes on hold."""
    [advice] = evaluate_patient(on_ig(), D("2026-03-25")).advice
    assert (advice.code, advice.suggestions, advice.targets) == ("stop-due-soon", ("set-ig-end",),
                                                                 ("MedicationRequest/ig",))
    [advice] = evaluate_patient(on_ig(), D("2026-04-01")).advice
    assert (advice.code, advice.suggestions, advice.targets) == ("stop-due-soon", ("hold-ig",),
                                                                 ("MedicationRequest/ig",))


def test_stop_planned_suggests_an_end_date_only_when_missing():
    assert evaluate_patient(on_ig(), D("2025-12-01")).advice[0].suggestions == ("set-ig-end",)
    assert evaluate_patient(on_ig(end="2026-04-01"), D("2025-12-01")).advice[0].suggestions == ()


def test_due_and_overdue_target_the_active_order_and_offer_override_reasons():
    advice = evaluate_patient(on_ig(), D("2026-04-05")).advice[0]
    assert advice.targets == ("MedicationRequest/ig",)
    assert advice.suggestions == ("hold-ig",)
    assert "community-infection-risk" in advice.override_reasons
    assert advice.indicator == "warning"


def test_course_started_because_of_infections_follows_general_review():
    f = on_ig(start="2025-11-01", infections=(inf("2025-10-20", True),))
    advice = evaluate_patient(f, D("2025-12-01")).advice[0]
    assert (advice.code, advice.indicator, advice.values["reason"]) == ("general-stop-review", "info", "infections")
    assert advice.values["due_date"] == D("2026-05-01")  # later of start + 6 months and the stop date


def test_infection_before_the_lookback_does_not_change_the_stop_rule():
    f = on_ig(start="2025-11-01", infections=(inf("2025-06-01", True),))
    assert codes(f, "2025-12-01") == ["stop-planned"]


def test_course_before_t0_review_is_due_no_earlier_than_the_stop_date():
    f = on_ig(start="2025-06-01")
    info = evaluate_patient(f, D("2025-12-01")).advice[0]
    assert (info.code, info.indicator, info.values["due_date"]) == ("general-stop-review", "info", D("2026-04-01"))
    due = evaluate_patient(f, D("2026-04-01")).advice[0]
    assert (due.indicator, due.values["due_date"]) == ("warning", D("2026-04-01"))
    assert evaluate_patient(f, D("2026-04-30")).advice[0].indicator == "warning"  # 29 days in
    later = evaluate_patient(f, D("2026-05-01")).advice[0]                        # 30 days: back to info
    assert (later.indicator, later.values["due_date"]) == ("info", D("2026-10-01"))
    again = evaluate_patient(f, D("2026-10-01")).advice[0]
    assert (again.indicator, again.values["due_date"]) == ("warning", D("2026-10-01"))


def test_switch_of_product_is_one_continuous_substitution():
    iv = IgCourse(D("2025-10-15"), "completed", "MedicationRequest/iv", D("2025-12-01"))
    sc = IgCourse(D("2025-12-05"), "active", "MedicationRequest/sc")
    f = facts(ig_courses=(iv, sc))
    episode = value("Current Episode", f, "2026-01-10")
    assert episode.start == D("2025-10-15") and episode.sources == ("MedicationRequest/iv", "MedicationRequest/sc")
    assert codes(f, "2026-01-10") == ["stop-planned"]


def test_new_course_after_a_real_gap_is_a_restart_under_general_review():
    first = IgCourse(D("2025-10-15"), "completed", "MedicationRequest/a", D("2025-11-15"))
    second = IgCourse(D("2026-01-05"), "active", "MedicationRequest/b")
    f = facts(ig_courses=(first, second))
    advice = evaluate_patient(f, D("2026-01-10")).advice[0]
    assert (advice.code, advice.values["reason"]) == ("general-stop-review", "restart")


def test_information_only_cards_can_be_switched_off():
    quiet = Parameters(show_information_only_cards=False)
    assert codes(on_ig(), "2025-12-01", quiet) == []
    assert codes(on_ig(), "2026-04-05", quiet) == ["stop-overdue"]
    assert codes(facts(igg=(igg(5.0, "2025-11-01"),)), "2025-11-10", quiet) == []


# --- the library itself -------------------------------------------------------------------

def test_every_definition_has_a_comment_and_evaluates_on_empty_facts():
    for name, info in LIBRARY.definitions.items():
        assert info.comment, name
    assert evaluate_patient(Facts(), D("2026-01-01")).advice == ()


def test_trace_names_definitions_with_their_facts():
    evaluation = evaluate_patient(facts(igg=(igg(3.0, "2025-11-01", "Observation/x"),)), D("2025-11-10"))
    steps = {s.name: s for s in evaluation.trace}
    assert steps["Latest IgG"].sources == ("Observation/x",)
    assert steps["Index Event"].sources == ("Procedure/cart",)
    assert steps["In Window"].value == "true"


def test_parameters_override_and_reject_unknown_names():
    p = Parameters().with_overrides({"stale_days_in_window": 45})
    assert p.stale_days_in_window == 45
    with pytest.raises(ValueError, match="unknown policy parameter"):
        Parameters().with_overrides({"nope": 1})
    with pytest.raises(ValueError, match="must be int"):
        Parameters().with_overrides({"stale_days_in_window": "45"})
    with pytest.raises(ValueError, match="require"):
        Parameters().with_overrides({"malignancy_requirement": "maybe"})


def test_add_months_matches_dateutil_and_age_counts_birthdays():
    from dateutil.relativedelta import relativedelta

    from cql_like_rules.library import years_between

    day = D("2023-01-01")
    while day < D("2025-01-01"):
        for months in (-12, -3, 1, 6, 18):
            assert add_months(day, months) == day + relativedelta(months=months)
        day = day + relativedelta(days=1)
    assert years_between(D("2008-02-29"), D("2026-02-28")) == 17
    assert years_between(D("2008-02-29"), D("2026-03-01")) == 18
    assert years_between(D("2008-06-01"), D("2026-06-01")) == 18


def test_a_diagnosis_recorded_after_today_does_not_count_yet():
    later = Diagnosis("C833", "Condition/dx", recorded=D("2025-12-01"))
    f = facts(diagnoses=(later,), igg=(igg(3.0, "2025-11-01"),))
    assert codes(f, "2025-11-10") == []
    assert codes(f, "2025-12-01") == ["start-substitution"]


@pytest.mark.parametrize("value, en, da", [(3.96, "IgG 3.96 g/L", "IgG 3,96 g/L"),
                                           (3.999, "IgG 3.999 g/L", "IgG 3,999 g/L"),  # e.g. 26.66 µmol/L
                                           (3.9996, "IgG 3.9996 g/L", "IgG 3,9996 g/L")])
def test_values_next_to_a_threshold_are_not_rounded_onto_it(value, en, da):
    from cds_service.cards.render import summary
    from cds_service.cards.values import placeholders

    [advice] = evaluate_patient(facts(igg=(igg(value, "2025-11-01"),)), D("2025-11-10")).advice
    params = Parameters()
    assert advice.code == "start-substitution"
    assert en in summary(advice, "en", placeholders(advice, params, "en"))
    assert da in summary(advice, "da", placeholders(advice, params, "da"))


@pytest.mark.parametrize("bound, en, da", [(0.33, "IgG <0.33 g/L", "IgG <0,33 g/L"),
                                           (0.3, "IgG <0.3 g/L", "IgG <0,3 g/L"),
                                           (3.96, "IgG <3.96 g/L", "IgG <3,96 g/L")])
def test_a_bound_is_shown_as_reported_not_rounded_tighter(bound, en, da):
    from cds_service.cards.render import summary
    from cds_service.cards.values import placeholders

    result = IgGResult(bound, D("2025-11-01"), "Observation/igg", "<")
    [advice] = evaluate_patient(facts(igg=(result,)), D("2025-11-10")).advice
    params = Parameters()
    assert advice.code == "start-substitution"
    assert en in summary(advice, "en", placeholders(advice, params, "en"))
    assert da in summary(advice, "da", placeholders(advice, params, "da"))
