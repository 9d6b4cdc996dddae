"""The rule set's parameters: every point where the guideline is silent and we chose.

Each parameter has a default and a comment saying why. They are part of the rule-set
label that every card carries (`RuleSet.label`), so any advice can be traced to the
exact configuration that produced it. Override them with a JSON file named by
`CDS_POLICY_FILE` (keys as below); unknown keys, a wrong type, a number outside the range
written beside its parameter (`within`) or two parameters out of the order the rules assume (`ORDERED`) are an error.
"""

from __future__ import annotations

import json
from calendar import monthrange
from dataclasses import dataclass, field, fields, replace
from difflib import get_close_matches
from typing import Any, Literal

from .errors import RulesError


RANGE = "range"  # a numeric parameter's field metadata: the lowest and highest value a site may set (`within`)
UNITS = {"_days": "days", "_months": "months", "_years": "years", "_g_l": "g/L"}  # a name's ending -> its unit
# Pairs of parameters whose order the rules assume (first, how it must stand to the second, second): each breaks no
# range, only the pair, and gives no error anywhere else, only cards that are silently odd (docs/clinical-logic.md).
ORDERED = (
    # the general criterion (IgG below 6) is the band from the special threshold up to it: none if not above it
    ("igg_start_threshold_g_l", "below", "igg_general_threshold_g_l"),
    # the cards' stop attempt "6-12 months after the start", from one date to the other
    ("general_stop_after_months", "at most", "general_stop_latest_months"),
    # stop advice is due this many days before the stop date: as long as the window, it is due from T0
    ("stop_due_soon_days", "shorter than", "window_months"),
    # a start card this near the stop date says the special criterion is ending: as long, every start card says it
    ("late_start_notice_days", "shorter than", "window_months"),
    # a review is a warning this many days from each due date: as long as the interval, it never stops warning
    ("general_review_due_days", "shorter than", "general_review_every_months"),
)


def within(low: float, high: float) -> dict[str, tuple[float, float]]:
    """A numeric parameter's allowed values, from `low` to `high` inclusive: a negative day count or a zero IgG
    threshold gives no error anywhere else, only silently wrong cards, so an override outside it refuses start-up.
    Each range is wide enough for any local choice and narrow enough to refuse a sign or a unit error (an IgG
    threshold in mg/dL, a window in days): a count of days from 0 where 0 has a meaning ("the same day only"), else
    from 1; an IgG threshold from 0.5 to 20 g/L (a healthy adult's IgG is 6-16 g/L)."""
    return {RANGE: (low, high)}


@dataclass(frozen=True)
class Parameters:
    # §4.1: the special start criterion and the "immune restitution" stop criterion.
    igg_start_threshold_g_l: float = field(default=4.0, metadata=within(0.5, 20))
    # §4.1 last paragraph: general SID criteria for haematological patients with IgG < 6.
    igg_general_threshold_g_l: float = field(default=6.0, metadata=within(0.5, 20))
    # §4.1/§4.2: the high-risk window after CAR-T infusion or bsAb start.
    window_months: int = field(default=6, metadata=within(1, 24))
    # [policy] Children are out of scope (§4); "child" = under this age at T0.
    adult_age_years: int = field(default=18, metadata=within(12, 25))
    # [policy] A bsAb order/administration starts a new course when no exposure to the same
    # drug lies within this many days before it; a shorter gap is a resumption.
    bsab_course_gap_days: int = field(default=90, metadata=within(1, 730))
    # [policy] A CAR-T infusion recorded this many days or fewer after a treatment's first record is the same
    # treatment (one infusion recorded twice, as a Procedure and as an administration, or a dose
    # split over days): T0 stays the first day. A later infusion is a new one and opens a new window.
    car_t_same_treatment_days: int = field(default=30, metadata=within(0, 365))
    # [policy] 'require': the supplement applies only with a haematological malignancy
    # diagnosis (CD19 CAR-T and teclistamab are used off-label in autoimmune disease);
    # 'assume': for sites whose EHR sends no diagnoses — cards then say so.
    malignancy_requirement: Literal["require", "assume"] = "require"
    # [policy] An IgG result older than this is stale inside the window (IgG keeps falling).
    stale_days_in_window: int = field(default=30, metadata=within(1, 365))
    # [policy] ... and after the window.
    stale_days_after_window: int = field(default=90, metadata=within(1, 730))
    # [policy] An IgG the laboratory has registered (or resulted preliminarily) up to this many days ago is on its
    # way: a card asking for IgG suggests no second order. An older one is taken as lost (a sample never analysed,
    # a status never updated): the order is suggested again.
    igg_pending_days: int = field(default=14, metadata=within(1, 90))
    # [policy] Stop advice is 'due' from this many days before the stop date.
    stop_due_soon_days: int = field(default=14, metadata=within(0, 180))
    # [policy] Infections count as "before the substitution start" from this many months
    # before T0 (§4.2 "uden forudgående ... infektioner").
    infection_lookback_before_t0_months: int = field(default=3, metadata=within(0, 24))
    # [policy] Window in which severe / recurrent infections are looked for, before today.
    infection_window_months: int = field(default=12, metadata=within(1, 60))
    # [policy] "Recurrent" = at least this many episodes ...
    recurrent_min_episodes: int = field(default=2, metadata=within(2, 10))
    # ... with onsets at least this many days apart (one episode is not two diagnoses).
    recurrent_min_days_apart: int = field(default=14, metadata=within(0, 365))
    # [policy] An IgG-isotype M-protein within this many days of the IgG result is
    # subtracted (polyclonal IgG = IgG - M-protein; IMWG, COMMIT in Bilag C).
    m_protein_max_days_apart: int = field(default=30, metadata=within(0, 365))
    # [policy] With an IgG M-protein of unknown type (or myeloma without an M-protein result), a
    # caveat is shown only when the decision could change: when subtracting the M-protein would
    # cross a threshold, or (no quantity known) when total IgG is within this margin above one.
    paraprotein_caveat_margin_g_l: float = field(default=2.0, metadata=within(0, 20))
    # [policy] An IgG value at or below 0, or above this, is not used for any decision (a unit or
    # typing error) and is named in the data notes.
    igg_max_plausible_g_l: float = field(default=50.0, metadata=within(20, 200))
    # §4.2 general SID criteria: attempt discontinuation this long after the IG start ...
    general_stop_after_months: int = field(default=6, metadata=within(1, 24))
    # ... and at the latest this long after it (the guideline's "6-12 months"; wording only).
    general_stop_latest_months: int = field(default=12, metadata=within(1, 36))
    # ... and reassess this often when continued.
    general_review_every_months: int = field(default=6, metadata=within(1, 24))
    # [policy] A general stop review is shown as a warning for this many days from each
    # due date (no data tells us the review was done), as info otherwise.
    general_review_due_days: int = field(default=30, metadata=within(0, 365))
    # [policy] Two IG orders are one continuous substitution when the second starts within
    # this many days after the known end of the first (a switch of product or route).
    ig_continuity_gap_days: int = field(default=7, metadata=within(0, 90))
    # [policy] An IgG taken within this many days after the last day of a substitution course
    # still reflects infused immunoglobulin (IgG half-life ~3-4 weeks): start decisions use
    # results taken off substitution (§3.4: "målingen ... i en periode uden substitution"), or one
    # taken on it below the start threshold, which infused immunoglobulin could only have raised.
    igg_washout_days: int = field(default=28, metadata=within(0, 180))
    # [policy] Immunoglobulin that ended this many days or fewer before T0 counts as "in
    # treatment before CAR-T/bsAb" (§4.2: general stop criteria), e.g. paused for the infusion.
    prior_substitution_days: int = field(default=90, metadata=within(0, 730))
    # [policy] Recorded doses of immunoglobulin (MedicationAdministration) make a substitution
    # course from the first dose to this many days after the last one (IVIG every 3-4 weeks,
    # SCIG weekly); a longer gap ends the course. A course starting within this many days of a
    # dose given under an order continues that order (the doses went on past its end date), unless
    # it is a new order starting on or after the stop date (a restart after the stop attempt).
    ig_administration_course_days: int = field(default=35, metadata=within(1, 180))
    # [policy] An infection coded without its organism (ICD-10 J18.x, SNOMED pneumonia) counts as
    # bacterial when a positive bacterial culture lies within this many days of its onset.
    culture_window_days: int = field(default=7, metadata=within(0, 60))
    # [policy] A positive bacterial blood culture is bacteraemia, which counts as a severe
    # infection (clinical-rules §5: "explicit severe-infection code (sepsis, bacteraemia ...)").
    bacteraemia_counts_as_severe: bool = True
    # [policy] A likely contaminant (a skin commensal: coagulase-negative staphylococci ...) in one blood culture is no
    # evidence; the same organism, as named, in two or more separate blood-culture sets drawn at most this many calendar
    # days apart is a growth, a positive bacterial blood culture (CDC NHSN LCBI criterion 2: a common commensal from two
    # blood specimens drawn on separate occasions, on the same or consecutive calendar days). 0: the same day only.
    contaminant_separate_sets_days: int = field(default=1, metadata=within(0, 14))
    # [policy] A verified bacterial pneumonia (a bacterial-infection code of a pneumonia, or a pneumonia counted with a
    # positive bacterial culture) whose inpatient stay is known counts as a severe infection (clinical-rules §5:
    # "explicit severe-infection code (sepsis, bacteraemia, pneumonia needing admission)"). The stay is the one the
    # Condition names (`encounter`), or one that names the Condition (`diagnosis`, `reasonReference`). Only pneumonia:
    # the spec names no other infection made severe by admission (docs/clinical-logic.md, a question for a haematologist).
    pneumonia_admission_severe: bool = True
    # [policy] Also an inpatient stay that names no diagnosis or reason at all counts as the pneumonia's when it starts
    # within this many days of the pneumonia's onset (before or after), or was under way on that day; 0 (the default):
    # only a stay linked by reference counts, since a stay found by its date alone may have been for something else
    # (the pneumonia caught in hospital was not one "needing admission").
    pneumonia_admission_unlinked_days: int = field(default=0, metadata=within(0, 30))
    # [policy] A start card with fewer than this many days left to the stop date says when the
    # special criterion ends and that the general criteria apply from then.
    late_start_notice_days: int = field(default=30, metadata=within(0, 365))
    # [policy] An order's length in months (UCUM `mo`, or `a` as 12 months) counts its whole months as calendar
    # months and its fraction as this many days per month, rounded to the nearest day: 30.4375 is UCUM's `mo`
    # (a mean Julian month, 365.25 / 12 days), so 1.5 mo = one calendar month and 15 days. Weeks are 7 days.
    days_per_fractional_month: float = field(default=30.4375, metadata=within(28, 31))
    # [policy] Information-only cards (no action due now) on patient-view; alert fatigue is
    # a patient-safety problem, so a site may switch them off.
    show_information_only_cards: bool = True
    # [policy] A patient with a haematological malignancy (or one assumed) and no index event, whose chart holds a
    # procedure, dose, order or medication record that happened but is coded only in a code system the service does
    # not know, with no text (it could be the CAR-T infusion or bsAb start that dates T0): an information card says the
    # chart could not be checked (`therapy-not-recognised`, variant `unknown-system`). A site whose local codes are
    # all mapped, or that accepts the risk, may switch it off; the data note stays on the explanation page.
    unknown_system_therapy_card: bool = True
    # [policy] A draft order (order-select, order-sign) whose drug is coded only in a code system the service reads no
    # drug in, with no name, where any of immunoglobulin, a bsAb or a CAR-T product would get a card: its card says it
    # was not checked (`order-not-recognised`, variants `unknown-system*`). A switch of its own, not `unknown_system_therapy_card`:
    # that one concerns history (a record that may date T0, a card while reading the chart), this one the order being
    # signed now, in a window the last moment an immunoglobulin order can be held against the criteria; the two come
    # from different catalogues (the ordering system's drug codes, the procedure or administration records), which a
    # site may map at different times, and the hazard log promises the draft card whatever the therapy card's setting.
    # A site whose drug codes are all local (a card on every nameless draft) may switch it off; the draft is then named
    # by a `code-system-unknown` data note (its code and system) on the other cards of the call and their explanation pages.
    unknown_system_draft_card: bool = True

    def with_overrides(self, overrides: dict[str, Any], *, checked: bool = True) -> "Parameters":
        """Return a copy with overrides applied; unknown names, wrong types or (`checked`) a number outside its range
        are errors. A stored explanation is shown with the parameters it was made with, unchecked."""
        known = {f.name: f for f in fields(self)}
        unknown = sorted(set(overrides) - set(known))
        if unknown:  # a typo would otherwise be refused with no way to find the right name
            hints = [repr(name) + "".join(f" (did you mean {c!r}?)" for c in get_close_matches(name, known, 1))
                     for name in unknown]
            raise RulesError(f"unknown policy parameter(s): {', '.join(hints)}; the parameters and their defaults are "
                             "in cql_like_rules/parameters.py")
        for name, value in overrides.items():
            if not _same_kind(getattr(self, name), value):
                raise RulesError(f"policy parameter {name!r} must be {type(getattr(self, name)).__name__}, "
                                 f"not {type(value).__name__} ({json.dumps(value)[:40]})")
        if overrides.get("malignancy_requirement", "require") not in ("require", "assume"):
            raise RulesError("policy parameter 'malignancy_requirement' must be 'require' or 'assume'")
        for name, value in overrides.items() if checked else ():
            _check_range(known[name].metadata.get(RANGE), name, value)
        changed = replace(self, **overrides)
        for first, order, second in ORDERED if checked else ():
            _check_order(changed, first, order, second)
        if checked:
            _check_recurrent(changed)
        return changed


def _check_range(allowed: tuple[float, float] | None, name: str, value: Any) -> None:
    """Refuse a number outside its parameter's range (`within`), naming the parameter and the range."""
    if allowed is None or allowed[0] <= value <= allowed[1]:
        return
    raise RulesError(f"policy parameter {name!r} must be from {allowed[0]:g} to {allowed[1]:g}{_unit(name)}, not "
                     f"{json.dumps(value)}")


def _unit(name: str, value: float | None = None) -> str:
    """A parameter's unit as a message says it after `value`: "1 month", "3 months"."""
    unit = next((f" {u}" for ending, u in UNITS.items() if name.endswith(ending)), "")
    return unit[:-1] if value == 1 and unit.endswith("s") else unit


def _check_order(params: Parameters, first: str, order: str, second: str) -> None:
    """Refuse two parameters out of the order the rules assume (`ORDERED`), naming both and their values: a number of
    days against a number of months is held against the fewest days those months can span (28 for one month)."""
    low, high = getattr(params, first), getattr(params, second)
    shown = f"{high:g}{_unit(second, high)}"
    if order == "shorter than":
        high = shortest_days(high)
        shown += f", at least {high} days"
    if low < high if order != "at most" else low <= high:
        return
    raise RulesError(f"policy parameter {first!r} ({low:g}{_unit(first, low)}) must be {order} {second!r} ({shown})")


def _check_recurrent(params: Parameters) -> None:
    """Refuse "recurrent" that no chart can meet on any day: `recurrent_min_episodes` episodes whose onsets lie at
    least `recurrent_min_days_apart` days apart need (episodes - 1) x days between the first onset and the last, and all
    of them lie in the look-back of `infection_window_months` (today included: the most days those months span, less
    one; 365 for 12 months, on 29 February). Each of the three is within its range, and the general criteria would
    silently count severe infections only."""
    episodes, apart, months = (params.recurrent_min_episodes, params.recurrent_min_days_apart,
                               params.infection_window_months)
    needed, span = (episodes - 1) * apart, longest_days(months) - 1
    if needed <= span:
        return
    raise RulesError(f"policy parameters 'recurrent_min_episodes' ({episodes}) and 'recurrent_min_days_apart' "
                     f"({apart} day{'' if apart == 1 else 's'}) need {needed} days from the first episode to the last, "
                     f"more than any look-back of 'infection_window_months' ({months}"
                     f"{_unit('infection_window_months', months)}, at most {span} days): recurrent infections could "
                     "never be found")


def shortest_days(months: int) -> int:
    """The fewest days `months` calendar months span, from any day (one month from 31 January is 28 days): the fewest
    in any run of that many months of a common year, since a day cut to a shorter month's end only shifts the run."""
    return min(sum(monthrange(2023, (first + k) % 12 + 1)[1] for k in range(months)) for first in range(12))


def longest_days(months: int) -> int:
    """The most days `months` calendar months span, to any day (12 months back from 29 February 2024 is 28 February
    2023: 366 days): the most in any run of that many months over four years, a leap year among them."""
    lengths = [monthrange(2021 + m // 12, m % 12 + 1)[1] for m in range(48 + months)]
    return max(sum(lengths[first:first + months]) for first in range(48))


def _same_kind(current: Any, value: Any) -> bool:
    if isinstance(current, bool) or isinstance(value, bool):
        return isinstance(current, bool) and isinstance(value, bool)
    if isinstance(current, float):
        return isinstance(value, (int, float))
    return isinstance(value, type(current))


def load_parameters(path: str | None) -> Parameters:
    """Defaults, or defaults overridden by a JSON policy file."""
    if not path:
        return Parameters()
    try:
        fh = open(path, encoding="utf-8")
    except OSError as exc:
        raise RulesError(f"policy file {path}: cannot read ({exc.strerror})") from None
    with fh:
        try:
            data = json.load(fh)
        except json.JSONDecodeError as exc:
            raise RulesError(f"policy file {path}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise RulesError(f"policy file {path}: must hold a JSON object")
    try:
        return Parameters().with_overrides(data)
    except RulesError as exc:
        raise RulesError(f"policy file {path}: {exc}") from None
