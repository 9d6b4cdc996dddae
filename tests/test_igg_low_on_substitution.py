"""An IgG below the start threshold taken on immunoglobulin or in its washout decides a start (§3.4).

Infused immunoglobulin raises a patient's IgG and never lowers it. §3.4 asks for IgG measured off substitution to show
recovery, that is IgG above 4 g/L. A result on substitution at or above the threshold therefore shows nothing of the
patient's own IgG, and one below it shows that their own IgG is below it too.

The service set aside every result on substitution:
- a patient with a confirmed sepsis and IgG 2.9 g/L two weeks after the last dose of a course stopped at its stop date
  was asked to measure IgG again, and the restart order was warned against, for the next six weeks;
- after one IVIG dose before lymphodepletion, an IgG of 3.2 g/L three weeks after the CAR-T infusion was set aside and
  the card asked again to "measure IgG now".
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import car_t, chart, draft, given, igg, infection, order

RUNTIME = load_runtime(Settings())

# CAR-T 2025-01-15 (stop date 2025-07-15); IVIG given monthly from 2025-02-10, the order stopped at the stop date
COURSE = (car_t("2025-01-15"), igg("2025-02-01", 2.6),
          order("J06BA02", "2025-02-10", status="stopped", end="2025-07-15", text="Privigen"),
          given("J06BA02", "2025-02-10", "2025-03-10", "2025-04-10", "2025-05-10", "2025-06-10", "2025-07-10"))
SEPSIS = infection("2025-07-28", "DA419", severe=True, text="Sepsis")
AT = "2025-08-01"


def _cards(bundle: dict[str, Any], at: str = AT, lang: str = "en", **kw: Any) -> list[dict[str, Any]]:
    return replay(RUNTIME, bundle, lang=lang, at=date.fromisoformat(at), **kw).cards


@pytest.mark.parametrize("lang, note", [
    ("en", "This IgG was taken on Ig or in its washout; infused Ig only raises it, so the patient's own IgG is below "
           "4 g/L too (§3.4)."),
    ("da", "Denne IgG er taget under Ig eller i udvaskningen; tilført Ig hæver den kun, så patientens egen IgG er også "
           "under 4 g/L (§3.4).")])
def test_a_low_igg_in_the_washout_with_a_sepsis_meets_the_restart_criteria(lang: str, note: str) -> None:
    [card] = _cards(chart(*COURSE, SEPSIS, igg("2025-07-30", 2.9)), lang=lang)
    assert card["source"]["topic"]["code"] == "start-meets-general-criteria", card["summary"]
    assert ("2.9 g/L" if lang == "en" else "2,9 g/L") in card["summary"]
    assert note in card["detail"], card["detail"]


def test_the_restart_order_on_that_igg_meets_the_general_criteria() -> None:
    [card] = _cards(chart(*COURSE, SEPSIS, igg("2025-07-30", 2.9)), hook="order-sign", drafts=[draft("2025-08-01")])
    assert card["source"]["topic"]["code"] == "order-meets-criteria", card["summary"]
    assert card["indicator"] == "info"


@pytest.mark.parametrize("value, comparator", [(4.6, None), (3.5, ">")])
def test_an_igg_in_the_washout_that_is_not_certainly_low_is_still_set_aside(value: float,
                                                                          comparator: str | None) -> None:
    """4.6 g/L may be the infused dose, and ">3.5" may lie above 4: neither says the patient's own IgG is low."""
    [card] = _cards(chart(*COURSE, SEPSIS, igg("2025-07-30", value, comparator=comparator)))
    assert card["source"]["topic"]["code"] == "measure-igg", card["summary"]
    # the course's last dose 2025-07-10 reaches 35 days past it (08-14), and its washout 28 days more: an IgG of 4 g/L
    # or more taken before 2025-09-12 would meet the same note
    assert "was taken on Ig or in its washout and not used (§3.4); IgG ≥ 4 g/L counts from 2025-09-12." \
        in card["detail"], card["detail"]


@pytest.mark.parametrize("lang, note", [
    ("en", "The latest IgG (4.6 g/L, 2025-07-30) was taken on Ig or in its washout and not used (§3.4); "
           "IgG ≥ 4 g/L counts from 2025-09-12."),
    ("da", "Seneste IgG (4,6 g/L, 2025-07-30) er taget under Ig eller i udvaskningen og ikke brugt (§3.4); "
           "IgG ≥ 4 g/L tæller fra 2025-09-12.")])
def test_an_igg_set_aside_in_the_washout_says_from_when_one_counts(lang: str, note: str) -> None:
    """No infection after the stop: the card rests on the IgG the course began on. The note on the 4.6 g/L taken 20
    days after the last dose said "within 28 days after it", which the chart's dates did not bear out (the doses'
    course reaches 35 days past the last one), and not when an IgG would count. Once that day has come, the note says
    no date: an IgG taken now counts."""
    bundle = chart(*COURSE, igg("2025-07-30", 4.6))
    [card] = _cards(bundle, lang=lang)
    assert card["source"]["topic"]["code"] == "no-start-without-infections", card["summary"]
    assert note in card["detail"], card["detail"]
    [later] = _cards(bundle, "2025-09-12", lang)
    assert {"en": "The latest IgG (4.6 g/L, 2025-07-30) was taken on substitution and not used (§3.4).",
            "da": "Seneste IgG (4,6 g/L, 2025-07-30) er taget under substitution og ikke brugt (§3.4)."}[lang] \
        in later["detail"], later["detail"]

def test_the_day_an_igg_counts_from_reaches_past_a_course_begun_after_it() -> None:
    """IgG 4.6 g/L in the washout of the first course; IVIG given again 08-20 to 09-30: an IgG of 4 g/L or more taken
    before 10-29 (09-30 and 28 days) would be set aside too, so that is the day the note names, not 09-12."""
    again = order("J06BA02", "2025-08-20", status="completed", end="2025-09-30", text="Privigen")
    [card] = _cards(chart(*COURSE, igg("2025-07-30", 4.6), again), "2025-10-05")
    assert "IgG ≥ 4 g/L counts from 2025-10-29." in card["detail"], card["detail"]

def test_a_low_igg_after_one_dose_before_the_infusion_meets_the_window_criterion() -> None:
    """One IVIG dose before lymphodepletion (2025-08-20), CAR-T 2025-09-10, IgG 3.2 g/L on 2025-10-02."""
    bundle = chart(car_t("2025-09-10"), given("J06BA02", "2025-08-20"), igg("2025-10-02", 3.2))
    [card] = _cards(bundle, "2025-10-05")
    assert card["source"]["topic"]["code"] == "start-substitution", card["summary"]
    assert "infused Ig only raises it" in card["detail"]
    [before] = _cards(chart(car_t("2025-09-10"), given("J06BA02", "2025-08-20")), "2025-10-05")
    assert before["source"]["topic"]["code"] == "measure-igg"  # no IgG since the infusion: measure one


def test_a_later_low_igg_in_the_washout_is_used_before_an_older_higher_one_on_substitution() -> None:
    [card] = _cards(chart(*COURSE, SEPSIS, igg("2025-05-20", 5.5), igg("2025-07-30", 3.1)))
    assert card["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert "3.1 g/L" in card["summary"], card["summary"]


def test_a_low_igg_with_a_higher_one_after_it_in_the_washout_is_not_used() -> None:
    """IgG 3.0 g/L on 07-25, then 4.6 on 08-08 with no dose between: infused IgG only decays, so the rise may be the
    patient's own IgG; the card measures again rather than start on the older 3.0."""
    [card] = _cards(chart(*COURSE, SEPSIS, igg("2025-07-25", 3.0), igg("2025-08-08", 4.6)), "2025-08-10")
    assert card["source"]["topic"]["code"] == "measure-igg", card["summary"]


def test_a_trough_on_substitution_after_a_stop_without_infections_asks_for_igg_off_substitution() -> None:
    """The course stopped at the stop date; IgG 3.5 g/L taken on IVIG (2025-07-01); no infection: no start, and the
    card asks for IgG off substitution to see recovery, which the stop attempt is there for (§3.4, §4.3)."""
    [card] = _cards(chart(*COURSE, igg("2025-07-01", 3.5)), "2025-09-01")
    assert card["source"]["topic"]["code"] == "no-start-without-infections"
    assert card["summary"].startswith("IgG 3.5 g/L (2025-07-01) taken on substitution;"), card["summary"]
    # dated while the washout runs: an IgG drawn before 2025-09-12 would be set aside again
    assert "Measure IgG off substitution from 2025-09-12 to see whether it has recovered (§3.4)." in card["detail"], \
        card["detail"]


def test_a_child_gets_the_same_note_on_an_igg_taken_on_substitution_on_both_hooks() -> None:
    """No threshold decides for a child (§4): neither card says "below 4 g/L too"."""
    bundle = chart(*COURSE, igg("2025-07-30", 2.9), birth="2013-04-11")
    said = {}
    for hook, drafts in (("patient-view", None), ("order-sign", [draft("2025-08-01")])):
        [card] = _cards(bundle, hook=hook, drafts=drafts)
        assert card["source"]["topic"]["code"] == "child-individual-assessment", (hook, card["summary"])
        said[hook] = "it shows infused immunoglobulin, not recovery" in card["detail"]
        assert "infused Ig only raises it" not in card["detail"], (hook, card["detail"])
    assert said == {"patient-view": True, "order-sign": True}
