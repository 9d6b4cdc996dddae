"""Rule sets are objects: two live in one process, each names itself on every card."""

from __future__ import annotations

from datetime import date

import pytest

from cql_like_rules import MEDICINRAADET_2025, Library, Parameters, RuleSet, RulesError, load_ruleset
from cql_like_rules.facts import CarTInfusion, Diagnosis, Facts, IgGResult, Patient

FACTS = Facts(
    patient=Patient("Patient/p", date(1960, 1, 1)),
    car_t=(CarTInfusion(date(2025, 11, 18), "Procedure/cart"),),
    diagnoses=(Diagnosis("C833", "Condition/dlbcl"),),
    igg=(IgGResult(4.5, date(2026, 1, 10), "Observation/igg"),),
)


def test_two_rule_sets_in_one_process_give_their_own_advice():
    strict = MEDICINRAADET_2025
    lenient = MEDICINRAADET_2025.with_parameters(Parameters(igg_start_threshold_g_l=5.0))
    assert [a.code for a in strict.evaluate(FACTS, date(2026, 1, 20)).advice] == ["general-criteria-igg-under-6"]
    assert [a.code for a in lenient.evaluate(FACTS, date(2026, 1, 20)).advice] == ["start-substitution"]
    assert strict.label != lenient.label and strict.label.startswith("medicinraadet-2025-1.1.1+")
    # the first is untouched by the second
    assert [a.code for a in strict.evaluate(FACTS, date(2026, 1, 20)).advice] == ["general-criteria-igg-under-6"]


def test_a_second_library_does_not_touch_the_first():
    other = Library("Other", "0.1")

    @other.define("Advice", "never any advice")
    def _advice(c):  # noqa: ANN001
        return ()

    ruleset = RuleSet("other", "0.1", "a test guideline", "https://example.org", other, Parameters())
    assert ruleset.evaluate(FACTS, date(2026, 1, 20)).advice == ()
    assert "Latest IgG" in MEDICINRAADET_2025.library.definitions and "Latest IgG" not in other.definitions


def test_decisive_definitions_are_flags_on_real_definitions():
    decisive = MEDICINRAADET_2025.decisive
    assert {"Index Event", "Latest IgG", "Latest Usable IgG", "Current Episode", "Malignancy Diagnoses"} <= decisive
    assert decisive <= set(MEDICINRAADET_2025.library.definitions)


def test_a_decisive_definition_added_later_is_validated_too():
    library = Library("grows", "1")
    library.define("First", "a flag", decisive=True)(lambda c: True)
    assert library.decisive == {"First"}  # asked on every hook call: worked out once ...
    library.define("Second", "another", decisive=True)(lambda c: False)
    library.define("Third", "not decisive")(lambda c: 0)
    assert library.decisive == {"First", "Second"}  # ... and again once the library has grown


def test_a_definition_cannot_be_defined_twice():
    library = Library("Twice", "1")
    library.define("X", "x")(lambda c: 1)
    with pytest.raises(ValueError, match="defined twice"):
        library.define("X", "x again")(lambda c: 2)


def test_a_helper_of_several_definitions_runs_once_per_evaluation_and_is_not_traced():
    """`Context.once`: two definitions reading one helper compute it once; an order context shares its
    patient context's value; the helper is no step of the trace (only definitions are)."""
    library, calls = Library("Once", "1"), []

    def helper(c):  # noqa: ANN001
        calls.append(c.today)
        return [c.today]

    library.define("A", "a")(lambda c: c.once(helper)[0])
    library.define("B", "b")(lambda c: len(c.once(helper)))
    library.define("C", "c", scope="order")(lambda c: c.once(helper)[0])
    ruleset = RuleSet("once", "1", "a test guideline", "https://example.org", library, Parameters())
    context = ruleset.context(FACTS, date(2026, 1, 20))
    assert (context["A"], context["B"], context.for_order("order")["C"]) == (date(2026, 1, 20), 1, date(2026, 1, 20))
    assert calls == [date(2026, 1, 20)] and [s.name for s in context.trace] == ["A", "B"]
    ruleset.context(FACTS, date(2026, 1, 21))["A"]  # a new evaluation computes it afresh
    assert calls == [date(2026, 1, 20), date(2026, 1, 21)]


def test_unknown_rule_set_and_bad_policy_file_are_rules_errors(tmp_path):
    with pytest.raises(RulesError, match="unknown rule set 'nope'"):
        load_ruleset("nope")
    policy = tmp_path / "policy.json"
    policy.write_text('{"window_months": 3}')
    assert load_ruleset("medicinraadet-2025", str(policy)).parameters.window_months == 3
    policy.write_text('{"window_months": "three"}')
    with pytest.raises(RulesError, match="window_months"):
        load_ruleset("medicinraadet-2025", str(policy))
    with pytest.raises(RulesError, match="cannot read"):
        load_ruleset("medicinraadet-2025", str(tmp_path / "missing.json"))
