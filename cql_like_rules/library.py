"""IgGSubstitutionAfterCarTBsAb — the clinical rules as named definitions.

library IgGSubstitutionAfterCarTBsAb version '1.1.1'

Source guideline: Medicinrådet (Danish Medicines Council), supplement to the guideline on
immunoglobulin substitution in secondary immunodeficiency: criteria for patients with
malignant haematological disease treated with CAR-T or bispecific antibodies directed at
B-cell or plasma-cell antigens (2025), section 4 (4.1 start, 4.2 stop, 4.3 background) and
§3.4 (immune restitution is IgG measured off substitution).

Assumptions where the guideline is not specific (each is a parameter in `parameters.py`):
- T0 is the most recent index event: a CAR-T infusion that happened, or the start of a bsAb
  course — its first recorded dose when there is one, else its order's planned start; an
  interruption shorter than `bsab_course_gap_days` is a resumption, not a new start.
- Children (under `adult_age_years` at T0) get one card asking for individual assessment.
- The supplement needs a haematological malignancy (`malignancy_requirement`).
- A deceased patient gets no advice.
- IgG is stale after `stale_days_in_window` / `stale_days_after_window` days; inside the
  window only results on or after T0 count; a value at or below 0 or above
  `igg_max_plausible_g_l` is not used; a comparator ("<4.0") is decided on its bound.
- With an IgG-isotype M-protein (isotype from the result or an immunofixation) within
  `m_protein_max_days_apart` days, decisions use polyclonal IgG = total − M-protein.
- An IgG taken during substitution or within `igg_washout_days` after it reflects infused
  immunoglobulin (§3.4): start decisions use IgG taken off substitution, or one taken on it below
  the start threshold (the patient's own IgG is lower still).
- Recorded doses make a substitution course until `ig_administration_course_days` after the
  last one; a dose inside an order's period belongs to that order, and a course starting
  within those days of such a dose continues the order (doses went on past its end date).
- An active order whose start lies ahead means substitution is planned: no start advice.
- Immunoglobulin that ended within `prior_substitution_days` before T0 (or is on hold then)
  counts as substitution "before CAR-T/bsAb" (§4.2): general stop criteria.
- "Severe" = coded severe, a severe-by-definition code, (`bacteraemia_counts_as_severe`)
  a positive blood culture, or (`pneumonia_admission_severe`) a bacterial pneumonia with its inpatient stay; "recurrent" = `recurrent_min_episodes` episodes
  `recurrent_min_days_apart` days apart, within `infection_window_months`; an infection
  coded without its organism counts only with a positive bacterial culture within
  `culture_window_days` of its onset.
- General stop reviews are due at max(IG start + `general_stop_after_months`, stop date), then
  every `general_review_every_months`,
  and shown as warnings for `general_review_due_days` days from each due date.

Facts in (`facts.Facts`), advice out (`advice.Advice`); every definition is a pure
function of the facts, "today" and the parameters.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping, Union

from .advice import Advice, Value, advice
from .engine import Context, Library
from .parameters import Parameters
from .facts import (Admission, BsAbExposure, CarTInfusion, Culture, DataNote, Diagnosis, IgAdministration, IgByName, IgCourse,
                    IgGPending, IgGResult, Immunofixation, Infection, MProteinResult, MProteinUnread, RecordText,
                    UndatedTherapy,
                    UnrecognisedDiagnosis, UnrecognisedTherapy)

LIBRARY = Library("IgGSubstitutionAfterCarTBsAb", "1.1.1")
define = LIBRARY.define


def add_months(day: date, months: int) -> date:
    """Calendar-month arithmetic: 31 August + 6 months = 28/29 February.

    Same result as python-dateutil's `day + relativedelta(months=months)` (the tests
    check it), written out because it runs several times per request.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    if day.day <= 28:  # in every month: no month's length to look up (`monthrange` works out a weekday too)
        return date(year, month + 1, day.day)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def years_between(start: date, end: date) -> int:
    """Completed years from `start` to `end` (age on a birthday counts the new year)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


def aged_on(born: date, years: int) -> date:
    """The first day on which `years_between(born, day)` reaches `years`: one born on 29 February is a year older
    on 1 March of a common year, as the age every card gives counts it."""
    day = add_months(born, 12 * years)
    return day if years_between(born, day) >= years else day + timedelta(days=1)


def age_on(c: Context, day: date) -> int | None:
    """The patient's completed years of age on `day`, None when the birth date is unknown, or not used (after the
    evaluation day or T0: "Birth Date Not Used"), or after `day` itself (no age below 0)."""
    born: date | None = c["Birth Date"]
    if born is None:
        return None
    if born > day:  # a birth date with no day ("2026") read as its last day, which may lie after `day`: the
        # youngest the patient can be is 0 when its first day does not (an infant), else no age
        first = c.facts.patient.birth_date_first if c.facts.patient is not None else None
        return 0 if first is not None and first <= day else None
    return years_between(born, day)


@dataclass(frozen=True)
class IndexEvent:
    """A CAR-T infusion or a bsAb course start: the start of a high-risk window."""

    kind: str  # "car-t" | "bsab"
    date: date
    source: str
    product: str = ""

    def label(self) -> str:
        return f"{self.kind} {self.product} {self.date.isoformat()} ({self.source})".replace("  ", " ")


@dataclass(frozen=True)
class IgGUsed:
    """The IgG result a decision uses: polyclonal IgG when an IgG M-protein is subtracted.

    `value_g_l` with `comparator` is the value decided on, as a bound when the total or the M-protein is one
    (">3.0" for a total ">5.0" less 2.0; "<3.5" for a total "<3.5" less "<1.0"): the trace's reader gets the sign
    beside the value, not only in `result`."""

    result: IgGResult
    value_g_l: float
    comparator: str = field(init=False)  # "", "<", "<=", ">", ">=": set from the result and the M-protein
    m_protein: MProteinResult | None
    sources: tuple[str, ...]
    paraprotein_caveat: bool = False  # the M-protein's type is unknown and could change the decision

    def __post_init__(self) -> None:
        object.__setattr__(self, "comparator", self._decided_comparator())

    def _decided_comparator(self) -> str:
        """The comparator that makes `value_g_l` true of polyclonal IgG: the result's without an M-protein; with an
        M-protein bound ("<1.0"), the side it leaves ("more than" the total less it)."""
        if self.m_protein is None:
            return self.result.comparator
        if self._m_is_upper_bound():
            if self.result.comparator in ("<", "<="):
                return self.result.comparator  # at most the total (`value_g_l` is the total then)
            strict = "<" in (self.m_protein.comparator, self.result.comparator) or self.result.comparator == ">"
            return ">" if strict else ">="
        return self._bound().comparator

    def below(self, threshold: float) -> bool:
        """Certainly below `threshold` (a comparator's bound decides, for polyclonal IgG too)."""
        if self._m_is_upper_bound():  # polyclonal IgG is at most the total
            return self.result.below(threshold)
        return self._bound().below(threshold)

    def indeterminate(self, threshold: float) -> bool:
        """Reported with a comparator whose bound cannot place it on either side of `threshold`."""
        if self._m_is_upper_bound():  # at least the total less the bound, at most the total
            return not self.below(threshold) and self._lowest() < threshold
        return self._bound().indeterminate(threshold)

    def shown(self, threshold: float) -> tuple[float, str]:
        """The value and comparator a card shows for polyclonal IgG from an M-protein bound: the bound
        that decides against `threshold` ("<=3.5" when the total 3.5 is below it, else "more than" the
        total less an M-protein "<1.0"; "<3.0" for 5.0 less an M-protein ">2.0")."""
        if not self._m_is_upper_bound():
            bound = self._bound()
            return bound.value_g_l, bound.comparator
        if self.result.comparator in ("<", "<=") or self.below(threshold):
            return self.result.value_g_l, self.result.comparator or "<="
        strict = "<" in (self.m_protein.comparator if self.m_protein else "", self.result.comparator)
        return self.value_g_l, ">" if strict or self.result.comparator == ">" else ">="

    @property
    def no_bound(self) -> bool:
        """Polyclonal IgG left with no bound but 0 ("total >25 less an M-protein >22", "5.0 less <7.0"): the
        figures tell nothing of it."""
        return self.m_protein is not None and self.comparator.startswith(">") and self.value_g_l <= 0

    @property
    def m_protein_bound(self) -> bool:
        """Polyclonal IgG less an M-protein reported only as a bound ("<1.0"): a figure no laboratory gave."""
        return self.m_protein is not None and bool(self.m_protein.comparator)

    def _m_is_upper_bound(self) -> bool:
        return self.m_protein is not None and self.m_protein.comparator in ("<", "<=")

    def _lowest(self) -> float:
        """Polyclonal IgG's lower bound when the M-protein is an upper bound (none from a total "<")."""
        return 0.0 if self.result.comparator in ("<", "<=") else self.value_g_l

    def _bound(self) -> IgGResult:
        """The value used, with the comparator as reported: a total reported as ">5.0" less an
        M-protein of 2.0 is polyclonal IgG ">3.0", never an exact 3.0; an M-protein ">2.0" less
        from 5.0 leaves "<3.0"."""
        if self.m_protein is None:
            return self.result
        if self.m_protein.comparator in (">", ">="):
            if self.result.comparator in (">", ">="):
                return replace(self.result, value_g_l=0.0, comparator=">")  # no bound on either side
            strict = "<" if "<" in (self.m_protein.comparator.replace(">", "<"), self.result.comparator) else "<="
            return replace(self.result, value_g_l=self.value_g_l, comparator=strict)
        return replace(self.result, value_g_l=self.value_g_l)

    def label(self) -> str:
        return f"{self.comparator}{self.value_g_l:.1f} g/L on {self.result.date.isoformat()} ({self.result.source})"


@dataclass(frozen=True)
class Episode:
    """A continuous period of substitution made of one or more IG courses."""

    start: date
    courses: tuple[IgCourse, ...]
    sources: tuple[str, ...]

    def label(self) -> str:
        return f"substitution since {self.start.isoformat()} ({', '.join(self.sources)})"


@dataclass(frozen=True)
class CountedInfection:
    """A bacterial infection the criteria count, with its evidence (the diagnosis, a culture)."""

    onset: date
    severe: bool
    infection: Infection
    culture: Culture | None = None
    admission: Admission | None = None  # the inpatient stay of a bacterial pneumonia: severe (clinical-rules §5)

    @property
    def sources(self) -> tuple[str, ...]:
        agent = self.infection.agent  # the Condition that names its organism (B95-B96), when another one
        return (self.infection.source,) + ((agent,) if agent and agent != self.infection.source else ()) \
            + ((self.culture.source,) if self.culture else ()) + ((self.admission.source,) if self.admission else ())

    def label(self) -> str:
        agent = self.infection.agent
        evidence = f" + agent code ({agent})" if agent and agent != self.infection.source else ""
        evidence += f" + culture {self.culture.date.isoformat()}" if self.culture else ""
        evidence += f" + admitted {self.admission.start.isoformat()}" if self.admission else ""
        return f"{'severe ' if self.severe else ''}infection {self.onset.isoformat()}{evidence} ({self.infection.source})"


Evidence = Union[IndexEvent, IgGUsed, Episode, CountedInfection]  # what a card names as its basis


# ---------------------------------------------------------------------------------------
# Index events, T0 and the window (§4.1, §4.2)
# ---------------------------------------------------------------------------------------


@define("CAR-T Infusions", "Completed CAR-T infusions on or before today; a record within the same-treatment "
        "days of a treatment's first record is that infusion again (recorded twice, or a split dose)")
def car_t_infusions(c: Context) -> tuple[IndexEvent, ...]:
    return tuple(first for first, _ in c.once(_car_t_treatments))


@define("CAR-T Records Of The Same Treatment", "CAR-T records dated after the first day of their treatment: "
        "not a new infusion, so not a new T0")
def car_t_repeats(c: Context) -> tuple[tuple[IndexEvent, CarTInfusion], ...]:
    return tuple((first, again) for first, repeats in c.once(_car_t_treatments) for again in repeats)


def _car_t_treatments(c: Context) -> list[tuple[IndexEvent, list[CarTInfusion]]]:
    """Each CAR-T treatment: its first record, and the later records of it (at most
    `car_t_same_treatment_days` after its first day: a chain of records does not stretch it)."""
    same = timedelta(days=c.params.car_t_same_treatment_days)
    treatments: list[tuple[IndexEvent, list[CarTInfusion]]] = []
    for inf in sorted(c.facts.car_t, key=lambda f: (f.date, f.source)):
        if inf.date > c.today or not _asserted_by(inf, c.today):
            continue
        if treatments and inf.date - treatments[-1][0].date <= same:
            if inf.date != treatments[-1][0].date:  # the same day twice says nothing new
                treatments[-1][1].append(inf)
        else:
            treatments.append((IndexEvent("car-t", inf.date, inf.source, inf.product), []))
    return treatments


def _written_by_day(record: UnrecognisedTherapy | UndatedTherapy, day: date) -> bool:
    """A therapy known by its name only, or with no day, from a medication record asserted or an order written after
    `day`: not there to read that day, as a coded one is not (`_asserted_by`, clinical rules §5)."""
    return record.written is None or record.written <= day


def _asserted_by(record: CarTInfusion | BsAbExposure, day: date) -> bool:
    """A therapy not told of by a medication record asserted, or an order written (authoredOn), after `day`: replayed
    as of a day before, the record did not exist yet, whatever earlier day it dates the infusion, the dose or the
    order's start by (clinical rules §5)."""
    written = record.authored if isinstance(record, BsAbExposure) else None
    return (record.asserted is None or record.asserted <= day) and (written is None or written <= day)


@dataclass
class _BsabCourse:
    """One bsAb course while it is being assembled: (day, source) of its first order start and first dose, and the
    order before it, when that one ended on a day the data does not tell (so the gap is counted from its start)."""

    drug: str
    last_exposure: date
    ordered: tuple[date, str] | None = None
    first_dose: tuple[date, str] | None = None
    last_end_unknown: BsAbExposure | None = None
    after_unknown_end: BsAbExposure | None = None
    exposures: list[BsAbExposure] = field(default_factory=list)  # its orders and doses, in the order read

    def start(self) -> IndexEvent:
        """The course's start: its first recorded dose, which wins over its first order's planned start."""
        found = self.first_dose or self.ordered
        assert found is not None  # every course is opened by an exposure, a dose or an order
        return IndexEvent("bsab", found[0], found[1], self.drug)


def _bsab_courses(c: Context) -> list[_BsabCourse]:
    """The bsAb courses up to today: a new one where no exposure to the same drug lies within the course gap."""
    gap = timedelta(days=c.params.bsab_course_gap_days)
    courses: list[_BsabCourse] = []
    current: dict[str, _BsabCourse] = {}
    for exp in sorted(c.facts.bsab, key=lambda e: (e.start, e.source)):
        if exp.start > c.today or not _asserted_by(exp, c.today):
            continue
        course = current.get(exp.drug)
        if course is None or exp.start - course.last_exposure > gap:
            before = course.last_end_unknown if course is not None else None
            course = _BsabCourse(exp.drug, last_exposure=exp.start, after_unknown_end=before)
            courses.append(course)
            current[exp.drug] = course
        if exp.administered:
            course.first_dose = course.first_dose or (exp.start, exp.source)
        else:
            course.ordered = course.ordered or (exp.start, exp.source)
        course.exposures.append(exp)
        end = c.today if exp.ongoing else min(exp.end or exp.start, c.today)
        if end >= course.last_exposure:
            # an order stopped or completed with no end date ended on a day the data does not tell
            course.last_end_unknown = exp if not (exp.ongoing or exp.administered or exp.end) else None
        course.last_exposure = max(course.last_exposure, end)
    return courses


@define("BsAb Course Starts", "First dose of each bsAb course (else its order's start); a shorter gap than the "
        "course gap resumes a course")
def bsab_course_starts(c: Context) -> tuple[IndexEvent, ...]:
    starts = [course.start() for course in c.once(_bsab_courses)]
    return tuple(sorted(starts, key=lambda e: (e.date, e.source)))


@define("BsAb Courses After An Unknown End", "BsAb courses that began after an order of the same drug stopped on an "
        "unrecorded day: the gap was counted from that order's start, so the new course (and T0) may be a resumption")
def bsab_after_unknown_end(c: Context) -> tuple[tuple[BsAbExposure, IndexEvent], ...]:
    return tuple((course.after_unknown_end, course.start()) for course in c.once(_bsab_courses)
                 if course.after_unknown_end is not None)


def bsab_pause_before_t0(c: Context) -> int | None:
    """When T0 starts a new course of a bsAb given before: the days from that drug's last exposure to T0 (more than
    the course gap), so the card says why T0 is not the drug's first start. Else None."""
    event = c["Index Event"]
    if event is None or event.kind != "bsab":
        return None
    before = [x.last_exposure for x in c.once(_bsab_courses) if x.drug == event.product and x.start().date < event.date]
    return (event.date - max(before)).days if before else None


@define("BsAb Booked", "The first bsAb order, active and written by today, whose planned start lies ahead and that "
        "begins a new course (no order of the same drug running, nor an order or dose of it within the course gap "
        "before that start): not an index event until it has begun (clinical-rules §2), but once it has, substitution "
        "begun before it follows the general stop criteria, so a card naming the special stop names it")
def bsab_booked(c: Context) -> BsAbExposure | None:
    gap = timedelta(days=c.params.bsab_course_gap_days)
    ahead = sorted((e for e in c.facts.bsab if e.active and not e.administered and e.start > c.today
                    and _asserted_by(e, c.today)), key=lambda e: (e.start, e.source))
    for booked in ahead:
        before = [x for x in c.facts.bsab if x.drug == booked.drug and x.start <= c.today and _asserted_by(x, c.today)]
        if any(x.ongoing for x in before):
            continue  # the course running now goes on to that day: a dose of it, not a new one
        last = max((x.end or x.start for x in before), default=None)
        if last is None or booked.start - last > gap:
            return booked
    return None


@define("Index Event", "The most recent CAR-T infusion or bsAb course start on or before today", decisive=True)
def index_event(c: Context) -> IndexEvent | None:
    events = list(c["CAR-T Infusions"]) + list(c["BsAb Course Starts"])
    return max(events, key=lambda e: (e.date, e.kind == "car-t"), default=None)


@define("T0", "The index date: the date of the index event")
def t0(c: Context) -> date | None:
    event = c["Index Event"]
    return event.date if event else None


@define("Stop Date", "T0 + the window (calendar months): the end of the high-risk window")
def stop_date(c: Context) -> date | None:
    return add_months(c["T0"], c.params.window_months) if c["T0"] else None


@define("In Window", "Today lies in [T0, stop date)")
def in_window(c: Context) -> bool:
    return c["T0"] is not None and c["T0"] <= c.today < c["Stop Date"]


@define("Days To Stop Date", "Days from today to the stop date (negative when passed)")
def days_to_stop(c: Context) -> int | None:
    return (c["Stop Date"] - c.today).days if c["Stop Date"] else None


# ---------------------------------------------------------------------------------------
# Population (§1, §4)
# ---------------------------------------------------------------------------------------


@define("Malignancy Diagnoses", "Haematological malignancy diagnoses on record by today", decisive=True)
def malignancy(c: Context) -> tuple[Diagnosis, ...]:
    return tuple(d for d in c.facts.diagnoses if d.recorded is None or d.recorded <= c.today)


@define("Malignancy Assumed", "No diagnosis on record, but the site assumes one (policy 'assume')")
def malignancy_assumed(c: Context) -> bool:
    return not c["Malignancy Diagnoses"] and c.params.malignancy_requirement == "assume"


@define("Is Deceased", "The patient died on or before today (or is recorded as deceased): no advice")
def is_deceased(c: Context) -> bool:
    patient = c.facts.patient
    return patient is not None and patient.dead_on(c.today)


@define("In Scope", "Alive, a qualifying index event, and a haematological malignancy (or assumed)")
def in_scope(c: Context) -> bool:
    return (not c["Is Deceased"] and c["Index Event"] is not None
            and (bool(c["Malignancy Diagnoses"]) or c["Malignancy Assumed"]))


@define("Therapies Known Only By Name", "Recorded CAR-T or bsAb therapies on or before today whose code is in no "
        "value set: not index events (a name is not a code)")
def therapies_by_name(c: Context) -> tuple[UnrecognisedTherapy, ...]:
    return tuple(sorted((x for x in c.facts.unrecognised_therapies if x.date <= c.today and _written_by_day(x, c.today)),
                        key=lambda x: (x.date, x.source)))


def alive_with_malignancy(c: Context) -> bool:
    """Alive, with a haematological malignancy on record (or assumed by policy): who any card may be for."""
    return not c["Is Deceased"] and (bool(c["Malignancy Diagnoses"]) or c["Malignancy Assumed"])


def _unplaced_therapy_counts(c: Context) -> bool:
    """A therapy the rules cannot place (known only by its name, or with no day) gets a card of its own only where a
    placed one would be the index event: no other index event, alive, a haematological malignancy (or assumed)."""
    return c["Index Event"] is None and alive_with_malignancy(c)


def _unplaced_therapy_advice(c: Context, code: str, variant: str, name: str, therapy_day: date, source: str,
                             values: dict[str, Value], child_variant: str = "child") -> tuple[Advice, ...]:
    """The card of a therapy the rules cannot place: the child variant by the age on `therapy_day` (§4: the
    criteria do not cover children), and the assumed-malignancy caveat every other card gives."""
    age = age_on(c, therapy_day)
    child = age is not None and age < c.params.adult_age_years
    return (advice(code, child_variant if child else variant, name, values={**values, "today": c.read_on, "age": age},
                   caveats=(("malignancy-assumed",) if c["Malignancy Assumed"] else ()) + age_unknown_no_index(c, age),
                   evidence=(source,)),)


def age_unknown_no_index(c: Context, age: int | None) -> tuple[str, ...]:
    """With no index event an age picks only the child card (§4): an unknown one (no birth date, or one not used)
    is said, as a card under the criteria says it, rather than an adult's card given in silence; with no patient
    record at all, so is the death that was not checked."""
    if age is not None:
        return ()
    return ("age-unknown-no-index",) if c.facts.patient is not None else ("patient-unknown-no-index",)


@define("Unrecognised Therapy Advice", "No index event, but a CAR-T or bsAb therapy known only by its name, in a "
        "patient with a haematological malignancy: say the criteria could not be applied, instead of nothing")
def unrecognised_therapy_advice(c: Context) -> tuple[Advice, ...]:
    everything = c["Therapies Known Only By Name"]
    if not everything or not _unplaced_therapy_counts(c):
        return ()
    # a record named like a CAR-T or bsAb says more than one with no name: it gets the card when there is one
    found = tuple(x for x in everything if x.looks_like != "unknown-system")
    if not found:  # a recognised therapy with no day asks for its day on a card of its own: that says enough
        return () if c["Undated Therapies"] else _unknown_system_therapy_advice(c, everything)
    # A record whose codes disagree may be a step before the therapy (the harvest of the cells, weeks before the
    # infusion): one known by its name names the therapy better, and of several that disagree the latest is the
    # likeliest infusion, never an earlier one grouped with it (the window would be dated from the harvest)
    found = tuple(x for x in found if not x.disagree) or found
    latest = found[-1]
    # The date the card names is the first of the latest record's course (a window opens on its first dose or the
    # infusion, so that is the day a clinician checks): earlier records of the same kind within the course gap of the
    # next (bsAb), or within the same-treatment days of the latest (CAR-T: a second record of one infusion).
    first = latest
    for earlier in () if latest.disagree else reversed(found[:-1]):
        if earlier.looks_like != latest.looks_like:
            continue
        if (first.date - earlier.date).days <= c.params.bsab_course_gap_days if latest.looks_like == "bsab" \
                else (latest.date - earlier.date).days <= c.params.car_t_same_treatment_days:
            first = earlier
    # the card names that first record whole (its name, code and dose beside its own date), not the latest's
    # a code sent under the wrong known system (L01FX24 under SNOMED CT): the record's system is to be corrected
    variant = "codes-disagree" if first.disagree else "class-code" if first.class_code \
        else "named-wrong-system" if first.held_under else "" if first.code else "no-code"
    return _unplaced_therapy_advice(c, "therapy-not-recognised", variant,
                                    "Unrecognised Therapy Advice", first.date, first.source,
                                    {"order_drug": first.display, "order_looks_like": first.looks_like,
                                     "order_code": first.code, "order_code_system": first.code_system,
                                     "therapy_date": first.date,
                                     # a date naming only a month or a year is shown as written, never as its first day
                                     **({"therapy_date_as_recorded": first.recorded} if first.recorded else {}),
                                     **({"right_code_system": first.held_under} if first.held_under else {})},
                                    "codes-disagree-child" if first.disagree
                                    else "class-code-child" if first.class_code
                                    else "named-wrong-system-child" if first.held_under else "child")


def _unknown_system_therapy_advice(c: Context, found: tuple[UnrecognisedTherapy, ...]) -> tuple[Advice, ...]:
    """Records that could date T0 (a procedure, dose, order or medication record that happened) coded only in a code
    system the service does not know, with no name, and nothing else to place a window by: the chart was not checked,
    said once (an information card naming the latest such record, its code and system, and how many there are),
    instead of a silence a clinician could take for "no CAR-T or bsAb". Only where a recognised one would be the index
    event (`_unplaced_therapy_counts`), and only when the site's policy asks for it (`unknown_system_therapy_card`)."""
    latest = found[-1]
    systems = sorted({x.code_system for x in found})
    age = age_on(c, latest.date)  # §4: the criteria do not cover children (as for a therapy known by its name)
    child = age is not None and age < c.params.adult_age_years
    # every such record a CAR-T or bsAb code sent under the wrong known system ("BOQX1" under SNOMED CT): the fix is
    # the record's code system in the EHR, not a code system added to the service; any record in a system not known
    # at all keeps the card that asks for that
    wrong = all(x.held_under for x in found)
    return (advice("therapy-not-recognised", ("wrong-system" if wrong else "unknown-system")
                   + ("-child" if child else ""),
                   "Unrecognised Therapy Advice",
                   values={"today": c.read_on, "age": age, "order_drug": "", "order_looks_like": latest.looks_like,
                           "order_code": latest.code, "order_code_system": latest.code_system or "?",
                           "therapy_date": latest.date, "unknown_records": len(found),
                           **({"therapy_date_as_recorded": latest.recorded} if latest.recorded else {}),
                           "unknown_systems": len(systems), **({"right_code_system": latest.held_under} if wrong else {})},
                   caveats=(("malignancy-assumed",) if c["Malignancy Assumed"] else ()) + age_unknown_no_index(c, age),
                   evidence=tuple(x.source for x in found[-3:])),)


@define("Malignancies Known Only By Name", "Conditions on record by today named like a haematological malignancy "
        "whose code is in no value set (not refuted), or with no name and a code not read (a system no value set "
        "uses, a malignancy code under another system): not diagnoses the rules count")
def malignancies_by_name(c: Context) -> tuple[UnrecognisedDiagnosis, ...]:
    return tuple(x for x in c.facts.unrecognised_diagnoses if x.recorded is None or x.recorded <= c.today)


@define("Unrecognised Malignancy Advice", "A recognised index event, no recognised haematological malignancy (the "
        "policy requires one), but a diagnosis named like one: say the criteria were not applied, instead of nothing")
def unrecognised_malignancy_advice(c: Context) -> tuple[Advice, ...]:
    found = c["Malignancies Known Only By Name"]
    if not found or c["Is Deceased"] or c["Index Event"] is None or c["Malignancy Diagnoses"] \
            or c["Malignancy Assumed"]:
        return ()
    # a diagnosis named like a malignancy first; else one with no name whose code could not be read (`unread`): one in
    # a system no value set uses or under the wrong one before a SNOMED CT code no value set holds (`not-listed`,
    # most often a problem list's other diagnoses at a SNOMED CT site)
    latest = next((x for x in reversed(found) if not x.unread),
                  next((x for x in reversed(found) if x.unread != "not-listed"), found[-1]))
    if c["Is Child"]:  # §4: children, individual assessment
        variant = "unread-child" if latest.unread else "child"
    elif latest.unread:  # no name: the code and system seen are all there is to tell
        variant = latest.unread if latest.unread in ("unknown-system", "not-listed") else "wrong-system"
    else:
        variant = "" if latest.code else "no-code"
    right = {"right_code_system": latest.unread} if variant == "wrong-system" else {}
    return (build_advice(c, "malignancy-not-recognised", "Unrecognised Malignancy Advice", variant, igg=None,
                         evidence=(latest,), age=c["Age At T0"],
                         more={"order_drug": latest.display or latest.code, "order_code": latest.code,
                               "order_code_system": latest.code_system or "?", **right}),)


@define("Undated Therapies", "Recognised CAR-T infusions or bsAb starts recorded with a date that names no day "
        "(a month, a year, words) or with no date at all, on or before today as far as can be told: not index events "
        "(no day, no window)")
def undated_therapies(c: Context) -> tuple[UndatedTherapy, ...]:
    return tuple(sorted((x for x in c.facts.undated_therapies if (x.earliest is None or x.earliest <= c.today)
                         and _written_by_day(x, c.today)),
                        key=lambda x: (x.earliest or date.min, x.source)))


@define("Undated Therapy Advice", "No index event, but a recognised CAR-T or bsAb whose date names no day, or that "
        "carries no date, in a patient with a haematological malignancy: say the window could not be placed and ask "
        "for the day")
def undated_therapy_advice(c: Context) -> tuple[Advice, ...]:
    found = c["Undated Therapies"]
    if not found or not _unplaced_therapy_counts(c):
        return ()
    latest = found[-1]
    given = "bsab" if latest.looks_like == "bsab" else "car-t"  # a bispecific dose, or a CAR-T infusion
    variant, child_variant = ("codes-disagree-no-date", "codes-disagree-no-date-child") if latest.disagree else \
        ("named-no-date", "named-no-date-child") if latest.code_unread else \
        ((f"{given}-not-known-given", f"{given}-not-known-given-child") if latest.recorded
         else (f"{given}-not-known-given-no-day", f"{given}-not-known-given-no-day-child")) \
        if latest.not_known_given else \
        ((f"{given}-not-given", f"{given}-not-given-child") if latest.recorded
                              else (f"{given}-not-given-no-day", f"{given}-not-given-no-day-child")) \
        if latest.not_given else \
        (("car-t-order", "car-t-order-child") if latest.earliest is not None
                              else ("car-t-order-no-date", "car-t-order-no-date-child")) if latest.ordered else \
        ("no-date", "no-date-child") if not latest.recorded else \
        ("unreadable", "unreadable-child") if latest.unreadable else ("", "child")
    # The age on the first day the date can mean (today for words or no date): a patient who may have been a child
    # that day is treated as one. No date at all is not a date to correct: a variant of its own.
    return _unplaced_therapy_advice(c, "therapy-undated", variant, "Undated Therapy Advice", latest.earliest or c.today,
                                    latest.source,
                                    {"order_drug": latest.drug, "order_kind": latest.looks_like,
                                     "order_looks_like": latest.looks_like, "therapy_recorded": latest.recorded,
                                     "therapy_date": latest.earliest, "therapy_latest": latest.latest,
                                     **({"therapy_reason": latest.not_given} if latest.not_given else {}),
                                     **({"therapy_status": latest.not_known_given} if latest.not_known_given else {}),
                                     **({"order_code": latest.code, "order_code_system": latest.code_system or "?"}
                                        if latest.code_unread else {})},
                                    child_variant)


@define("Birth Date Not Used", "A birth date after the evaluation day, or after T0 (with no T0, after a CAR-T or "
        "bsAb known only by its name), is wrong data: the day it is after (and what that day is), so that it reads as "
        "unknown (the adult criteria, as for a missing birth date) and a data note names it, instead of a negative age")
def birth_date_not_used(c: Context) -> tuple[date, str] | None:
    patient = c.facts.patient
    if patient is None or patient.birth_date is None:
        return None
    # a birth date with no day ("2026") is wrong only if its first day, the earliest it can be, is after the day
    born = patient.birth_date_first or patient.birth_date
    if born > c.today:
        return c.today, "today"
    t0: date | None = c["T0"]
    if t0 is None:  # the day a therapy the rules cannot place takes the age on (its card picks the child variant):
        # the latest, as T0 is the latest index event (a stray earlier record made a child of 10 read as an adult)
        t0 = max((x.date for x in c["Therapies Known Only By Name"]), default=None)
    return (t0, "therapy") if t0 is not None and born > t0 else None


@define("Birth Date", "The patient's birth date as the rules use it: null when unknown or not used")
def birth_date(c: Context) -> date | None:
    patient = c.facts.patient
    if patient is None or c["Birth Date Not Used"] is not None:
        return None
    return patient.birth_date


@define("Age At T0", "Completed years of age at T0, or null when the birth date is unknown (or not used)")
def age_at_t0(c: Context) -> int | None:
    return age_on(c, c["T0"]) if c["T0"] is not None else None


@define("Is Child", "Under the adult age at T0: individual assessment instead of these criteria")
def is_child(c: Context) -> bool:
    return c["Age At T0"] is not None and c["Age At T0"] < c.params.adult_age_years


@define("Has Myeloma", "A myeloma diagnosis: total IgG may include a paraprotein")
def has_myeloma(c: Context) -> bool:
    return any(d.myeloma for d in c["Malignancy Diagnoses"])


# ---------------------------------------------------------------------------------------
# Immunoglobulin substitution courses
# ---------------------------------------------------------------------------------------


def _last_day(course: IgCourse, known: date) -> date | None:
    """The last day of substitution the data vouches for; None when open-ended (active) or unknown.

    A stopped order whose planned end is still ahead was stopped early, on a day the data
    does not tell (R4 has no stop date): it is not active, and its end is unknown. So is a completed
    one whose end names no day ("2026-05", read as the month's last day) seen before that day: it was
    completed on a day of the month up to today, not on the last day.
    """
    early = course.status == "stopped" or course.status == "completed" and course.end_assumed
    if early and course.end is not None and course.end > known:
        return None
    return course.end


def _active_on(course: IgCourse, day: date, known: date) -> bool:
    """On substitution on `day` (the chart as read on `known`): on-hold counts as paused."""
    if course.start > day or course.status == "on-hold":
        return False
    end = _last_day(course, known)
    if course.status == "active":
        return end is None or day <= end
    return end is not None and day <= end  # stopped/completed: only up to a known end


def _has_ended(course: IgCourse, today: date, known: date) -> bool:
    """Ended or paused by `today`: on hold, or no longer active."""
    return course.status == "on-hold" or not _active_on(course, today, known)


def _influences(course: IgCourse, day: date, today: date, washout: int, known: date) -> bool:
    """An IgG taken on `day` reflects infused immunoglobulin: during a course or its washout."""
    if course.start > day or course.status == "on-hold" and course.end is None:
        return False
    end = _last_day(course, known)
    if end is None:
        if course.status != "active":
            return False  # ended on an unknown day: named in the cards instead
        end = today
    return day <= end + timedelta(days=washout)


def _order_covers(order: IgCourse, day: date, known: date) -> bool:
    """A dose on `day` belongs to this order: inside its period (an open period runs to today)."""
    if order.start > day:
        return False
    if order.status in ("active", "on-hold"):
        return order.end is None or day <= order.end
    end = _last_day(order, known)
    return end is not None and day <= end  # an order that ended on an unknown day claims no doses


def is_order(course: IgCourse) -> bool:
    """An order (which a suggestion can update), not a course made of recorded doses."""
    return course.source.startswith("MedicationRequest/")


def from_doses(course: IgCourse) -> bool:
    """A course made of recorded doses (`IG Administration Courses`): it runs the course days past its last dose. Not
    an order, nor a course a medication record tells of (MedicationStatement), whose end is the end it records."""
    return not is_order(course) and not course.source.startswith("MedicationStatement/")


@define("IG Administration Courses", "Recorded doses outside any order's period, grouped into courses that run "
        "until the course days after the last dose")
def ig_administration_courses(c: Context) -> tuple[IgCourse, ...]:
    span = timedelta(days=c.params.ig_administration_course_days)
    courses = []
    for group in c.once(_ig_dose_groups):
        products = {d.product for d in group}
        product = products.pop() if len(products) == 1 else ""
        courses.append(IgCourse(group[0].date, "active", group[0].source, group[-1].date + span, product))
    return tuple(courses)


def _ig_dose_groups(c: Context) -> list[list[IgAdministration]]:
    """The recorded Ig doses up to today outside any order's period, grouped: a dose no more than the course days
    after the one before (of any product) continues its course."""
    # an order or record for another reason (ITP, CIDP: `ig_other_use`) claims the doses in its period as one of
    # substitution does; one with no end claims only the doses that continue it (`_continuing_other_use`)
    other = [o for o in c.facts.ig_other_use if not from_doses(o) and o.start <= c.today and not o.intended
             and _written_by(o, c.today)]
    orders = [x for x in (*c.facts.ig_courses, *(o for o in other if not _open_ended(o)))
              if x.start <= c.today and not x.intended and _written_by(x, c.today)]
    span = timedelta(days=c.params.ig_administration_course_days)
    claimed = _continuing_other_use(c, [o for o in other if _open_ended(o)])
    doses = sorted((d for d in c.facts.ig_administrations
                    if d.date <= c.today and d.source not in claimed
                    and not any(_order_covers(o, d.date, c.known_on) for o in orders
                                if not (d.reason_given and o in other))),
                   key=lambda d: (d.date, d.source))
    groups: list[list[IgAdministration]] = []
    for dose in doses:
        if groups and dose.date - groups[-1][-1].date <= span:
            groups[-1].append(dose)
        else:
            groups.append([dose])
    return groups


def _open_ended(course: IgCourse) -> bool:
    """An order or record still running with no end: its period runs on to today."""
    return course.status in ("active", "on-hold") and course.end is None


def _continuing_other_use(c: Context, open_other: list[IgCourse]) -> set[str]:
    """The doses with no reason of their own that an order or record for another reason with no end (ITP, CIDP:
    `ig_other_use`) claims: from its start, each within the course days of the one before (CIDP maintenance every 3
    weeks). A later dose after a longer gap is no part of it: an ITP order left active claimed every dose after it, so
    the patient later put on substitution was told 'Ig may be started' and got no stop card."""
    chains = c.once(_other_use_chains)
    return {source for o in open_other for source in chains[o.source][0]}


def _other_use_chains(c: Context) -> dict[str, tuple[frozenset[str], date | None]]:
    """Per order or record for another reason with no end, started by today: the doses with no reason it claims
    (`_continuing_other_use`) and its last dose, given for another reason or claimed (None: no dose recorded)."""
    span = timedelta(days=c.params.ig_administration_course_days)
    unlinked = [(d.date, d.source, True) for d in c.facts.ig_administrations if d.date <= c.today and not d.reason_given]
    given = [(x.start, x.source, False) for x in c.facts.ig_other_use if from_doses(x) and x.start <= c.today]
    doses = sorted(unlinked + given)
    out: dict[str, tuple[frozenset[str], date | None]] = {}
    closed = [x for x in c.facts.ig_other_use if not from_doses(x) and not _open_ended(x) and not x.intended]
    for o in c.facts.ig_other_use:
        if from_doses(o) or not _open_ended(o) or o.start > c.today or o.intended:
            continue
        claimed, last, dosed = set(), o.start, False
        # a dose with no reason not linked to it is another course's when the chart links this order's doses to it,
        # or when such doses ran up to its start (substitution every 4 weeks, an ITP order written between two doses
        # and left active: its doses were claimed, 'Ig start not recommended', no stop card)
        # (not doses in the period of an earlier order for another reason: the CIDP order renewed goes on claiming)
        running = any(no_reason and o.start - span <= day < o.start
                      and not any(_order_covers(x, day, c.known_on) for x in closed)
                      for day, _, no_reason in doses)
        claims = not o.doses_linked and not running
        for day, source, no_reason in (d for d in doses if d[0] >= o.start and (claims or not d[2])):
            if day - last > span:
                break
            if no_reason:
                claimed.add(source)
            last, dosed = day, True
        out[o.source] = (frozenset(claimed), last if dosed else None)
    return out


def _other_use_spans(c: Context) -> tuple[IgCourse, ...]:
    """Immunoglobulin given for another reason, started by today, as far as its IgG washout reaches: an order or
    record with no end whose doses are recorded runs the course days past its last dose, as a course of doses does
    (an ITP order left active, its one dose three months ago, made every IgG since 'within the washout', so the card
    asked for an IgG it would never use); an active one with no dose recorded runs on to today; one on hold is read as
    any order on hold (`_influences`)."""
    chains = c.once(_other_use_chains)
    span = timedelta(days=c.params.ig_administration_course_days)
    # the doses an order for another reason with an end can hold: with no reason of their own, or given for another
    # reason (a dose with a substitution reason of its own is never such an order's)
    given = sorted({d.date for d in c.facts.ig_administrations if d.date <= c.today and not d.reason_given}
                   | {x.start for x in c.facts.ig_other_use if from_doses(x) and x.start <= c.today})
    out: list[IgCourse] = []
    for x in c.facts.ig_other_use:
        if x.start > c.today:
            continue
        last = chains[x.source][1] if x.source in chains else None
        held = [] if from_doses(x) or x.end is None or x.source in chains or x.intended else \
            [day for day in given if x.start <= day <= x.end]
        if held:
            out += _as_given(x, held, span)
            continue
        out.append(replace(x, end=last + span) if last is not None and x.status == "active" else x)
    return tuple(out)


def _as_given(order: IgCourse, doses: list[date], span: timedelta) -> list[IgCourse]:
    """An order (or record) for another reason with an end, its doses recorded, as the courses actually given: from
    each run of doses (each within the course days of the one before) to the course days after its last dose, as a
    course of doses runs (§3.4: the IgG washout follows immunoglobulin infused). An ITP order planned for a year, its
    monthly doses stopped after three, made the whole year its washout, so every IgG in it was set aside; one with no
    dose recorded keeps its period, the only exposure the data give."""
    runs: list[list[date]] = []
    for day in doses:
        if runs and day - runs[-1][-1] <= span:
            runs[-1].append(day)
        else:
            runs.append([day])
    return [replace(order, start=run[0], end=min(order.end, run[-1] + span) if order.end else run[-1] + span)
            for run in runs]


@dataclass(frozen=True)
class DoseCourse:
    """A course of doses as the rules grouped them, for the explanation page (not a definition: no trace step).

    `kind` is the fact kind ("bsab", "ig_administrations"); `drug` the bsAb, or the Ig product when every dose
    names the same one ("" otherwise); `facts` the facts of the course in date order (a bsAb course's orders too).
    """

    kind: str
    drug: str
    facts: tuple[BsAbExposure | IgAdministration, ...]


def dose_courses(c: Context) -> tuple[DoseCourse, ...]:
    """The courses of doses the rules made up to today: the bsAb courses (`BsAb Course Starts`, one drug each, a new
    one after more than `bsab_course_gap_days` without exposure) and the Ig dose courses (`IG Administration
    Courses`, a new one after more than `ig_administration_course_days` without a dose). The same groupings the
    definitions read (`c.once`), so the page cannot show a course the rules did not use."""
    found = [DoseCourse("bsab", course.drug, tuple(course.exposures)) for course in c.once(_bsab_courses)]
    for group in c.once(_ig_dose_groups):
        products = {d.product for d in group}
        found.append(DoseCourse("ig_administrations", products.pop() if len(products) == 1 else "", tuple(group)))
    return tuple(found)


def _written_by(course: IgCourse, day: date) -> bool:
    """An order written (authoredOn) by `day`: one written later was not there to read that day, whatever period it
    plans (clinical rules §5, "as of" a date; an order entered afterwards for doses already given is read from the
    day it was written, the doses meanwhile by themselves)."""
    return course.authored is None or course.authored <= day


@define("IG Courses", "Immunoglobulin orders written by today, medication records of a course taken and dose-based "
        "courses that had started by today (a record of a course only intended is no course taken, once its start has "
        "come)")
def ig_courses(c: Context) -> tuple[IgCourse, ...]:
    orders = [x for x in c.facts.ig_courses if x.start <= c.today and not x.intended and _written_by(x, c.today)]
    return tuple(sorted(orders + list(c["IG Administration Courses"]), key=lambda x: (x.start, x.source)))


@define("Planned IG Courses", "Active immunoglobulin orders, written by today, whose start lies ahead (a switch, a "
        "booked course), and medication records of a course intended to begin ahead; replayed from a later chart, an "
        "order completed since, whose start had come by the day the chart was read, was booked on those days too")
def planned_courses(c: Context) -> tuple[IgCourse, ...]:
    # a record that gives no start is read from the day it was made: before that day it tells nothing (no plan)
    return tuple(x for x in c.facts.ig_courses if _booked(x, c.today, c.known_on) and x.start > c.today
                 and (x.authored is None or x.authored <= c.today) and not x.start_unrecorded)


def _booked(course: IgCourse, day: date, known: date) -> bool:
    """An order that stood booked on `day`, before its start. FHIR does not date a status: an order `completed` by
    the day the chart was read (`known`), whose start had come by then, ran, so on the days between its writing and
    its start it was an order booked, as an `active` one is: an order with the day it was written, not a medication
    record (a statement completed tells of a course taken, not of one booked). One `stopped` may have been halted
    before it began (R4: "before all of the administrations occurred"), and one completed before its start is no
    course: neither counts."""
    return course.status == "active" or course.status == "completed" and is_order(course) \
        and course.authored is not None and day < known and course.start <= known


@define("IG Known Only By Name", "Immunoglobulin orders, doses and medication records known only by their name (no "
        "code recognised) that a coded one would make current or planned substitution today: never counted, named as "
        "substitution the patient may be on")
def ig_known_only_by_name(c: Context) -> tuple[IgByName, ...]:
    span = timedelta(days=c.params.ig_administration_course_days)

    def current(x: IgByName) -> bool:
        course = replace(x.course, status="active", end=x.course.start + span) if x.dose else x.course
        if course.status == "on-hold":  # paused in its period: a course the patient is on, between doses
            course = replace(course, status="active")
        if not _written_by(course, c.today):
            return False
        if course.start > c.today:  # as `Planned IG Courses` reads a coded one
            return not x.dose and _booked(course, c.today, c.known_on) and not course.start_unrecorded
        return not course.intended and _active_on(course, c.today, c.known_on)

    return tuple(x for x in c.facts.ig_by_name if current(x))


@define("Substitution Planned", "Substitution is planned to (re)start: no start advice in the meantime, only a "
        "booked course that would begin without the general criteria named")
def substitution_planned(c: Context) -> bool:
    return bool(c["Planned IG Courses"])


@define("Active IG Courses", "Immunoglobulin courses active today (on-hold counts as paused)")
def active_ig(c: Context) -> tuple[IgCourse, ...]:
    return tuple(x for x in c["IG Courses"] if _active_on(x, c.today, c.known_on))


@define("Current Episode", "The continuous substitution the patient is in today, back to its first course; "
        "a gap of a few days before a planned course does not interrupt it; an order on hold carries on to a later "
        "course only through its doses", decisive=True)
def current_episode(c: Context) -> Episode | None:
    gap = timedelta(days=c.params.ig_continuity_gap_days)
    members = list(c["Active IG Courses"])
    if not members:  # between two orders (a switch of product or route)?
        recent = [x for x in c["IG Courses"] if (end := _last_day(x, c.known_on)) is not None and end < c.today
                  and x.status != "on-hold"]
        ended = [x for x in recent if (end := _last_day(x, c.known_on)) is not None and c.today - end <= gap]
        last = max((day for e in ended if (day := _last_day(e, c.known_on)) is not None), default=None)
        upcoming = [x for x in c["Planned IG Courses"] if last is not None and x.start - last <= gap]
        follows = [(e, x) for e in recent for x in c["Planned IG Courses"] if _booked_to_follow(c, e, x)]
        if not upcoming and not follows:
            return None
        members = list(dict.fromkeys([*ended, *upcoming, *(e for e, _ in follows), *(x for _, x in follows)]))
    start = min(x.start for x in members)
    for course in reversed(c["IG Courses"]):
        # an order on hold was paused on a day the data does not give: its end on paper (or none) says nothing of
        # when Ig was last given, so only its doses carry it on to a later course (§5: a new start after a pause is a
        # restart); any other course with no known end cannot be joined
        paused = course.status == "on-hold"
        end = None if paused else _last_day(course, c.known_on)
        if course in members or end is None and not paused:
            continue
        later = min(members, key=lambda x: (x.start, x.source))
        if course.start <= start and (_paused_reaches(c, course, later) if paused else end is not None and (
                start - end <= gap or _booked_to_follow(c, course, later)) or _dose_reaches(c, course, later)):
            members.append(course)
            start = course.start
    members.sort(key=lambda x: (x.start, x.source))
    return Episode(start, tuple(members), tuple(x.source for x in members))


def _booked_to_follow(c: Context, earlier: IgCourse, later: IgCourse) -> bool:
    """The later order was written by the last day of the earlier course, to begin within the course days after
    it (IVIG every 3–4 weeks): a planned switch of product or route (IVIG to SCIG), not a stop and a restart
    (§4.3), whatever the days between them. Not a new order from the stop date on: that is a restart after the
    stop attempt, as for doses (`_dose_reaches`). Not after a course of recorded doses: its end already lies the
    course days past its last dose, so an order written in those days to begin up to the course days later would
    bridge twice that time without a dose (doses reach a later course by `_dose_reaches` and the gap)."""
    end = _last_day(earlier, c.known_on)
    if end is None or from_doses(earlier) or not is_order(later) or later.authored is None or later.authored > end:
        return False
    if c["Stop Date"] is not None and later.start >= c["Stop Date"]:
        return False
    return timedelta(0) < later.start - end <= timedelta(days=c.params.ig_administration_course_days)


def _paused_reaches(c: Context, order: IgCourse, later: IgCourse) -> bool:
    """An order on hold carries on to the `later` course through its doses alone, as the same doses recorded without
    it would: its last dose recorded in its period before that course begins, the course days past it and then the
    continuity gap, reach that course's start. A dose on the day the later course begins is that course's first (an
    order on hold with no end covers every day after its start). Not a new order from the stop date on (a restart
    after the stop attempt, §4.3, as `_dose_reaches`)."""
    if is_order(later) and c["Stop Date"] is not None and later.start >= c["Stop Date"]:
        return False
    last = _last_dose_in(c, order, before=later.start)
    return last is not None and later.start <= _paused_reach(c, last)


def _paused_reach(c: Context, last_dose: date) -> date:
    """The last day a course on hold, its last dose recorded on `last_dose`, carries on to a course begun then: the
    course days past that dose and the continuity gap (`_paused_reaches`; the card's `_resumable`)."""
    return last_dose + timedelta(days=c.params.ig_administration_course_days + c.params.ig_continuity_gap_days)


def _last_dose_in(c: Context, order: IgCourse, before: date | None = None) -> date | None:
    """The last dose recorded by today in an order's period (`_order_covers`), before `before` when given; None."""
    return max((d.date for d in c.facts.ig_administrations if d.date <= c.today
                and (before is None or d.date < before) and _order_covers(order, d.date, c.known_on)), default=None)


def _dose_reaches(c: Context, order: IgCourse, later: IgCourse) -> bool:
    """A dose of this order lies within the course days before the `later` course starts: doses went on (every
    3–4 weeks, weekly) past an end date on paper, so the later course continues it, not restarts it. Not a new
    order from the stop date on: that is a restart after the stop attempt (§4.3), as the order hooks judge it."""
    if is_order(later) and c["Stop Date"] is not None and later.start >= c["Stop Date"]:
        return False
    day = later.start
    span = timedelta(days=c.params.ig_administration_course_days)
    return is_order(order) and any(d.date <= day and day - d.date <= span and _order_covers(order, d.date, c.known_on)
                                   for d in c.facts.ig_administrations if d.date <= c.today)


@define("On Substitution", "The patient receives immunoglobulin today (or is between two courses)")
def on_substitution(c: Context) -> bool:
    return c["Current Episode"] is not None


@define("IG Courses Since T0", "Immunoglobulin courses started on or after T0")
def courses_since_t0(c: Context) -> tuple[IgCourse, ...]:
    return tuple(x for x in c["IG Courses"] if c["T0"] and x.start >= c["T0"])


@define("IG Courses Given After T0", "Immunoglobulin courses started on or after T0, or begun before it and given "
        "after the infusion day (a known last day, or last dose, after T0; one that ended by T0 or was on hold was "
        "paused for it)")
def courses_given_after_t0(c: Context) -> tuple[IgCourse, ...]:
    t0 = c["T0"]
    if t0 is None:
        return ()
    span = timedelta(days=c.params.ig_administration_course_days)

    def last_given(course: IgCourse) -> date | None:
        end = _last_day(course, c.known_on)
        # a course of doses runs `span` days past its last dose: the dose, not that span, says when Ig was given
        return end - span if end is not None and from_doses(course) else end

    return tuple(x for x in c["IG Courses"] if x.start >= t0 or (
        x.status != "on-hold" and (end := last_given(x)) is not None and end > t0))


@define("Is Restart", "Not on substitution, and a course given after T0 has ended or is on hold (§4.3: a new start "
        "after substitution stopped in the window, also one begun before T0, is a restart)")
def is_restart(c: Context) -> bool:
    return not c["On Substitution"] and any(_has_ended(x, c.today, c.known_on) for x in c["IG Courses Given After T0"])


@define("Ended Courses With Unknown End", "Stopped/completed orders without an end date, or whose end names no "
        "day and is not yet past")
def unknown_end(c: Context) -> tuple[IgCourse, ...]:
    return tuple(x for x in c["IG Courses"] if x.status in ("stopped", "completed")
                 and (x.end is None or x.end_assumed and _last_day(x, c.known_on) is None))


@define("Substitution Before T0", "Immunoglobulin given before T0 up to shortly before it, or paused then: "
        "general stop criteria (§4.2)")
def substitution_before_t0(c: Context) -> tuple[IgCourse, ...]:
    return () if c["T0"] is None else substitution_before(c, c["T0"])


def substitution_before(c: Context, t0: date) -> tuple[IgCourse, ...]:
    """The courses "in treatment before" a therapy starting on `t0` (§4.2); also for a draft therapy order."""
    since = t0 - timedelta(days=c.params.prior_substitution_days)
    unknown_since = add_months(t0, -c.params.general_stop_latest_months)
    out = []
    for course in c["IG Courses"]:
        if course.start >= t0:
            continue
        end = _last_day(course, c.known_on)
        if course.status in ("active", "on-hold") and end is None:
            out.append(course)  # running (or paused) across T0
        elif end is not None and end >= since:
            out.append(course)  # ended shortly before T0: paused for the infusion
        elif end is None and course.start >= unknown_since:
            out.append(course)  # ended on an unknown day; it may have run up to T0
    return tuple(out)


@define("Substitution Paused For T0", "Substitution before T0 that had ended or was on hold at T0")
def paused_for_t0(c: Context) -> bool:
    courses = c["Substitution Before T0"]
    return bool(courses) and all(x.status == "on-hold" or (e := _last_day(x, c.known_on)) is not None and e < c["T0"]
                                 for x in courses)


# ---------------------------------------------------------------------------------------
# Infections (§4.1, §4.2, §4.3)
# ---------------------------------------------------------------------------------------


def _culture_fits(culture: Culture, infection: Infection) -> bool:
    """A culture can verify the infection: blood (bacteraemia), an unspecified specimen, or the infection's own
    site. A urine culture does not make a pneumonia bacterial, nor a sputum culture a urinary tract infection."""
    return culture.specimen in ("blood", "other") or not infection.site or culture.specimen == infection.site


def _culture_for(c: Context, infection: Infection) -> Culture | None:
    """The positive bacterial culture nearest the infection's onset within the policy's days, from a specimen that
    can show that infection; not one that grew only mycobacteria, whose infections are never counted (a sputum growing
    M. tuberculosis beside a pneumonia coded J18.9 made it a verified bacterial pneumonia)."""
    window = c.params.culture_window_days
    near = [x for x in c.facts.cultures if x.positive and x.bacterial and not x.never_counted and x.date <= c.today
            and abs((x.date - infection.onset).days) <= window and _culture_fits(x, infection)]
    return min(near, key=lambda x: (abs((x.date - infection.onset).days), x.specimen != "blood", x.source), default=None)


def _stay_of(c: Context, infection: Infection) -> Admission | None:
    """The inpatient stay of an infection: the one its Condition names (`encounter`), or one naming it (diagnosis,
    reasonReference); with `pneumonia_admission_unlinked_days`, also one naming no diagnosis or reason at all that
    began within those days of its onset or was under way then. Stays after today are not yet known."""
    days = c.params.pneumonia_admission_unlinked_days
    stays = [a for a in c.facts.admissions if a.start <= c.today]
    linked = [a for a in stays if a.source == infection.encounter or infection.source in a.conditions]
    if not linked and days > 0:
        linked = [a for a in stays if not a.names_reason and (abs((a.start - infection.onset).days) <= days
                                                               or a.start <= infection.onset <= (a.end or c.today))]
    return min(linked, key=lambda a: (abs((a.start - infection.onset).days), a.source), default=None)


@define("Pneumonia Admissions", "The inpatient stay of each bacterial pneumonia (by its record), linked by reference "
        "(clinical-rules §5 [policy]: pneumonia needing admission is a severe infection; `pneumonia_admission_severe`)")
def pneumonia_admissions(c: Context) -> tuple[tuple[str, Admission], ...]:
    if not c.params.pneumonia_admission_severe:
        return ()
    return tuple((i.source, stay) for i in c.facts.infections
                 if i.pneumonia and i.organism != "other" and (stay := _stay_of(c, i)) is not None)


@define("Bacterial Infections", "Verified bacterial infections: by their code, or coded without organism and "
        "backed by a positive bacterial culture near their onset; severe by code or coded severity, a bacteraemia, "
        "or a pneumonia needing admission")
def bacterial_infections(c: Context) -> tuple[CountedInfection, ...]:
    stays = dict(c["Pneumonia Admissions"])
    return tuple(x for infection in sorted(c.facts.infections, key=lambda i: (i.onset, i.source))
                 if (x := _counted(c, infection, stays.get(infection.source))) is not None)


def _counted(c: Context, infection: Infection, stay: Admission | None) -> CountedInfection | None:
    """The infection as the criteria count it (`stay`: its pneumonia's admission), or None: not begun by today, not
    bacterial, or coded without an organism and no positive bacterial culture near its onset."""
    if infection.onset > c.today or infection.organism == "other":
        return None
    culture = _culture_for(c, infection)
    if infection.organism == "unspecified" and culture is None:
        return None
    bacteraemia = culture is not None and culture.specimen == "blood" and c.params.bacteraemia_counts_as_severe
    return CountedInfection(infection.onset, infection.severe or bacteraemia or stay is not None, infection, culture,
                            stay)


@define("Infections If Confirmed", "Bacterial infection diagnoses begun by today whose verificationStatus is not "
        "'confirmed' (none sent, provisional, differential), as the criteria would count them were they confirmed: "
        "never counted (§4.1 'verified'); a card they would change names them (`unconfirmed_deciding`)")
def infections_if_confirmed(c: Context) -> tuple[CountedInfection, ...]:
    admitted = c.params.pneumonia_admission_severe
    return tuple(x for i in sorted(c.facts.unconfirmed_infections, key=lambda i: (i.onset, i.source))
                 if (x := _counted(c, i, _stay_of(c, i) if admitted and i.pneumonia else None)) is not None)


def unconfirmed_deciding(c: Context, since: date, until: date) -> tuple[CountedInfection, ...]:
    """The unconfirmed infections with onset in [since, until] (the period the card decides on), when with them that
    period would hold severe or recurrent infections it does not hold with the verified ones alone; else none."""
    extra = tuple(x for x in c["Infections If Confirmed"] if since <= x.onset <= until)
    if not extra:
        return ()
    verified = _bacterial_between(c, since, until)
    least, apart = c.params.recurrent_min_episodes, c.params.recurrent_min_days_apart
    if severe_or_recurrent(verified, least, apart) or not severe_or_recurrent((*verified, *extra), least, apart):
        return ()
    return extra


def _decided_by_infections(c: Context, code: str, variant: str, override_reasons: tuple[str, ...] | None,
                           values: Mapping[str, Value], caveats: list[str]) -> tuple[date, date] | None:
    """The period whose infections a card's decision rests on, where severe or recurrent ones there would change it;
    else None:
    - a course held to the special stop (its stop planned, due or overdue; an order continuing it, or renewing it past
      the stop date): infections before the course would put it under the general stop criteria (§4.2);
    - a start, or its draft, under the special criterion: the same, from T0's look-back to today;
    - a card against a start, or an order failing, for want of infections alone (its override reason
      `infection-not-coded`): the look-back; a course begun without the general criteria (`general-start-not-met`,
      `criteria_since`): since its look-back began."""
    if not c.facts.unconfirmed_infections and not c.facts.infections_by_name and not c.facts.cultures:
        return None
    failing = values.get("failing")
    episode = c["Current Episode"]
    if episode is not None and c["T0"] is not None and c["Special Stop Applies"] and (
            code in STOP_CARD_CODES or (code == "order-meets-criteria" and variant.startswith("continuation"))
            or (code == "order-does-not-meet-criteria" and failing in (("past-stop-date",),
                                                                        ("starts-after-stop-date",)))):
        return _before_t0(c), episode.start
    since = values.get("criteria_since")
    if "general-start-not-met" in caveats and isinstance(since, date):
        return since, c.today
    if "infection-not-coded" in (override_reasons or ()):
        if isinstance(failing, tuple) and ("no-infections" not in failing
                                           or set(failing) - {"no-infections", "starts-after-stop-date"}):
            return None  # an IgG of 4 g/L or more, or none recent, fails it too: infections alone would not do
        return (since if isinstance(since, date) else _lookback_start(c)), c.today
    if c["T0"] is None or c["General Criteria Apply"]:
        return None
    if (code, variant) in (("start-substitution", ""), ("order-meets-criteria", "window"),
                           ("order-meets-criteria", "window-ends-earlier")):
        return _before_t0(c), c.today  # a start (or its draft) held to the stop at the end of the window
    return None


@define("Infections Known Only By Name", "Conditions on record by today named like a bacterial infection whose code "
        "is in no value set (not refuted): never counted (a name is no code, §4.1 'verified'); a card they could "
        "change names them (`uncoded_deciding`)")
def infections_by_name(c: Context) -> tuple[UnrecognisedDiagnosis, ...]:
    return tuple(x for x in c.facts.infections_by_name if x.recorded is None or x.recorded <= c.today)


def uncoded_deciding(c: Context, since: date, until: date) -> tuple[UnrecognisedDiagnosis, ...]:
    """The infections known only by their names, dated in [since, until] (the period the card decides on), when the
    verified ones there are neither severe nor recurrent: coded, any of them could make them so (its severity is in
    the code the service could not read); else none."""
    named = tuple(x for x in c["Infections Known Only By Name"] if x.recorded is not None and since <= x.recorded <= until)
    if not named or _infections_between(c, since, until):
        return ()
    return tuple(sorted(named, key=lambda x: (x.recorded or since, x.source)))


# The specimens whose positive bacterial culture is an infection in itself (a sterile site: bacteraemia, meningitis),
# not a colonisation or a bacteriuria without disease
_STERILE_SPECIMENS = ("blood", "csf")


def cultured_deciding(c: Context, since: date, until: date) -> tuple[Culture, ...]:
    """The positive bacterial cultures of a sterile site dated in [since, until] with no infection record near them of
    any kind (counted or not, confirmed or not, coded or known only by its name: `culture_window_days`), when the
    verified infections there are neither severe nor recurrent: recorded as the infection they show (a bacteraemia is
    severe, clinical rules §5), any of them could decide; else none. Not one that grew only mycobacteria (never
    counted: `Culture.never_counted`). A diagnosis farther away does not make one a mere data note: an E. coli
    bacteraemia 10 or 66 days after an unspecified pneumonia showed as "+1 more data note" beside "no severe verified
    bacterial infection" (its note still names that diagnosis and the days between)."""
    if not c.facts.cultures:
        return ()
    window = timedelta(days=c.params.culture_window_days)
    days = [i.onset for i in (*c.facts.infections, *c.facts.unconfirmed_infections)] \
        + [x.recorded for x in c.facts.infections_by_name if x.recorded is not None]
    found = tuple(x for x in c.facts.cultures if x.positive and x.bacterial and x.specimen in _STERILE_SPECIMENS
                  and since <= x.date <= min(until, c.today)
                  and not x.never_counted
                  and not any(abs(x.date - day) <= window for day in days))
    if not found or _infections_between(c, since, until):
        return ()
    # one culture sent twice is one (by its record)
    return tuple(sorted({x.source: x for x in found}.values(), key=lambda x: (x.date, x.source)))


def cultured_values(found: tuple[Culture, ...]) -> dict[str, Value]:
    """How a card names the sterile-site cultures with no diagnosis that could decide: the latest, its specimen and
    day, how many more days (the sets of one draw are one), and every record (their data notes are then not said
    again)."""
    last = found[-1]
    return {"cultured_specimen": last.specimen, "cultured_date": last.date,
            "cultured_more": len({x.date for x in found}) - 1, "cultured_sources": tuple(x.source for x in found)}


def uncoded_values(found: tuple[UnrecognisedDiagnosis, ...]) -> dict[str, Value]:
    """How a card names the infections known only by name that could decide: the latest, its day, how many more, and
    every record (their data notes are then not said again)."""
    last = found[-1]
    return {"uncoded_infection": RecordText(last.display) if last.display else last.code,
            "uncoded_infection_date": last.recorded, "uncoded_infection_more": len(found) - 1,
            "uncoded_infection_sources": tuple(x.source for x in found)}


def unconfirmed_values(found: tuple[CountedInfection, ...]) -> dict[str, Value]:
    """How a card names the unconfirmed infections that would decide: the latest, its day, how many more, and every
    record (their data notes are then not said again)."""
    last = found[-1].infection
    return {"unconfirmed_infection": RecordText(last.display) if last.display else last.code,
            "unconfirmed_infection_date": last.onset,
            "unconfirmed_infection_more": len(found) - 1,
            "unconfirmed_infection_sources": tuple(x.infection.source for x in found)}


@define("Stays With An Infection Not Recorded", "Inpatient stays in the look-back that carry a bacterial-infection "
        "code of their own (as the Danish patient register records a contact's diagnoses) while no infection read "
        "is recorded for them: not counted (a stay is no diagnosis), named so the diagnosis is recorded")
def stays_with_infection_not_recorded(c: Context) -> tuple[Admission, ...]:
    since = _lookback_start(c)
    return tuple(a for a in c.facts.admissions if a.infection_codes and since <= a.start <= c.today
                 and not any(_recorded_for(c, i, a) for i in c.facts.infections))


def _recorded_for(c: Context, infection: Infection, stay: Admission) -> bool:
    """The infection is the stay's diagnosis recorded as a Condition: linked to it, or the same illness (`_illness`)
    with its onset from `culture_window_days` before the stay to its end (recorded, only not linked: nothing to do)."""
    if infection.source in stay.conditions or infection.encounter == stay.source:
        return True
    same = _illness(infection.code) in {_illness(code) for code in stay.infection_codes}
    return same and stay.start - timedelta(days=c.params.culture_window_days) <= infection.onset <= (stay.end or c.today)


@define("Infections Not Counted", "Infections seen but not counted: not bacterial by code and no positive "
        "bacterial culture near their onset")
def infections_not_counted(c: Context) -> tuple[Infection, ...]:
    counted = {x.infection.source for x in c["Bacterial Infections"]}
    since = _lookback_start(c)
    return tuple(i for i in c.facts.infections if since <= i.onset <= c.today and i.source not in counted)


@define("Cultures Without Diagnosis", "Positive bacterial cultures with no infection diagnosis near them but a viral "
        "or fungal one (not counted: a culture alone is not a diagnosis)")
def cultures_without_diagnosis(c: Context) -> tuple[Culture, ...]:
    window = c.params.culture_window_days
    since = _lookback_start(c)
    # A viral or fungal diagnosis near it is no diagnosis for a bacterial culture: the culture is still named.
    return tuple(x for x in c.facts.cultures if x.positive and x.bacterial and since <= x.date <= c.today
                 and not any(abs((x.date - i.onset).days) <= window for i in _could_confirm(c, x)))


def _could_confirm(c: Context, culture: Culture) -> Iterator[Infection]:
    """The infection diagnoses a positive bacterial culture could confirm, whatever their distance from it: not a
    viral or fungal one, and one whose site its specimen can show (`_culture_fits`)."""
    return (i for i in c.facts.infections if i.organism != "other" and _culture_fits(culture, i))


def _culture_note(c: Context, culture: Culture) -> DataNote:
    """Why a positive bacterial culture was not counted: no infection diagnosis of the look-back period it could
    confirm, or (named with its onset, so that a clinician does not look for a diagnosis the chart has) none within
    `culture_window_days` of it."""
    window, since = c.params.culture_window_days, _lookback_start(c)
    fitting = [i for i in _could_confirm(c, culture) if since <= i.onset <= c.today]  # of the period the card weighs
    nearest = min(fitting, key=lambda i: (abs((culture.date - i.onset).days), i.source), default=None)
    if nearest is None:
        return DataNote("culture-without-diagnosis", culture.source, "positive bacterial culture without a bacterial "
                        "infection diagnosis near it: not counted", culture.organism, culture.date)
    apart = abs((culture.date - nearest.onset).days)
    return DataNote("culture-diagnosis-apart", culture.source, f"positive bacterial culture {apart} days from the "
                    f"nearest infection diagnosis it could confirm ({nearest.source}, {nearest.onset.isoformat()}), "
                    f"more than the {window} days of the culture window: not counted", nearest.onset.isoformat(),
                    culture.date)


class Infections(tuple[CountedInfection, ...]):
    """The evidence for 'severe or recurrent', with every episode of the period it was found in (`episodes`: the
    first infection of each, or its severe one): a card counts and dates them, so that three pneumonias months apart
    do not read as one when the latest alone, being severe, decides."""

    episodes: tuple[CountedInfection, ...] = ()


def severe_or_recurrent(infections: Iterable[CountedInfection], min_episodes: int,
                        min_days_apart: int) -> Infections:
    """The evidence for 'severe or recurrent': one severe episode, or enough separate ones."""
    ordered = sorted(infections, key=lambda i: (i.onset, i.infection.source))
    severe = [i for i in ordered if i.severe]
    groups = _episodes(ordered, min_days_apart)
    if severe:
        found = Infections((severe[-1],))  # the most recent severe episode (order-independent)
    else:
        found = Infections(group[0] for group in groups) if len(groups) >= min_episodes else Infections()
    found.episodes = tuple(next((i for i in group if i.severe), group[0]) for group in groups) if found else ()
    return found


def _episodes(ordered: list[CountedInfection], min_days_apart: int) -> list[list[CountedInfection]]:
    """The infections (in onset order) as episodes: the same illness coded again before it abated is part of its
    episode, as is any infection beginning less than `min_days_apart` after the episode's first."""
    groups: list[list[CountedInfection]] = []
    # each episode's illnesses and known abatement: the same illness coded again before it abated is part of
    # that episode; another infection beginning meanwhile is not
    open_until: list[tuple[set[str], date | None]] = []
    for inf in ordered:
        illness = _illness(inf.infection.code)
        same = next((i for i, (names, ends) in enumerate(open_until)
                     if illness in names and ends is not None and inf.onset <= ends), None)
        if same is None and groups and (inf.onset - groups[-1][0].onset).days < min_days_apart:
            same = len(groups) - 1
        if same is None:
            groups.append([inf])
            open_until.append(({illness}, inf.infection.abated))
            continue
        groups[same].append(inf)
        names, ends = open_until[same]
        names.add(illness)
        if inf.infection.abated is not None:
            open_until[same] = (names, inf.infection.abated if ends is None else max(ends, inf.infection.abated))
    return groups


def _illness(code: str) -> str:
    """The illness a diagnosis code names, for telling a diagnosis recorded again from another infection: an
    ICD-10 category (SKS "DJ159" and "J15.9" are both J15), a SNOMED CT concept as it is."""
    plain = code.upper().replace(".", "")
    if len(plain) > 3 and plain[0] == "D" and plain[1].isalpha():
        plain = plain[1:]  # the SKS D prefix
    return plain[:3] if plain[:1].isalpha() else plain


def _lookback_start(c: Context) -> date:
    """The first day of the infection look-back (`infection_window_months` before today, today included)."""
    return add_months(c.today, -c.params.infection_window_months) + timedelta(days=1)


def _before_t0(c: Context) -> date:
    """The first day infections before T0 count from (`infection_lookback_before_t0_months` before it)."""
    return add_months(c["T0"], -c.params.infection_lookback_before_t0_months)


def _tendency_start(c: Context) -> date:
    """The first day of the infection tendency a stop attempt weighs (§4.3): the later of the look-back before T0
    and the look-back before today."""
    return max(_before_t0(c), _lookback_start(c))


def _bacterial_between(c: Context, since: date, until: date) -> tuple[CountedInfection, ...]:
    """The verified bacterial infections with onset in [since, until], severe/recurrent or not."""
    return tuple(i for i in c["Bacterial Infections"] if since <= i.onset <= until)


def _infections_between(c: Context, since: date, until: date) -> tuple[CountedInfection, ...]:
    found = _bacterial_between(c, since, until)
    return severe_or_recurrent(found, c.params.recurrent_min_episodes, c.params.recurrent_min_days_apart)


@define("Recent Bacterial Infections", "Verified bacterial infections in the last months, severe/recurrent or not")
def recent_bacterial(c: Context) -> tuple[CountedInfection, ...]:
    return _bacterial_between(c, _lookback_start(c), c.today)


@define("Recent Severe Or Recurrent Infections", "Severe or recurrent verified bacterial infections in the last "
        "months", decisive=True)
def recent_infections(c: Context) -> tuple[CountedInfection, ...]:
    return _infections_between(c, _lookback_start(c), c.today)


@define("Infections Before Substitution", "Severe/recurrent infections from T0 - the lookback months to the substitution "
        "start", decisive=True)
def infections_before_substitution(c: Context) -> tuple[CountedInfection, ...]:
    episode = c["Current Episode"]
    if episode is None or c["T0"] is None:
        return ()
    return _infections_between(c, _before_t0(c), episode.start)


@define("Infections Since Lookback", "Severe/recurrent infections from T0 - the lookback months to today: a start now would "
        "be because of them", decisive=True)
def infections_since_lookback(c: Context) -> tuple[CountedInfection, ...]:
    if c["T0"] is None:
        return ()
    return _infections_between(c, _before_t0(c), c.today)


@define("Infection Tendency", "Severe/recurrent infections from T0 - the lookback months (within the look-back "
        "before today) to today: what the stop attempt weighs (§4.3)", decisive=True)
def infection_tendency(c: Context) -> tuple[CountedInfection, ...]:
    if c["T0"] is None:
        return ()
    return _infections_between(c, _tendency_start(c), c.today)


# ---------------------------------------------------------------------------------------
# IgG (§4.1, §3.4) and paraprotein
# ---------------------------------------------------------------------------------------


@define("General Criteria Apply", "After the window, or a restart: the general SID criteria apply (§4.3)")
def general_criteria(c: Context) -> bool:
    return not c["In Window"] or c["Is Restart"]


def _plausible(c: Context, result: IgGResult) -> bool:
    return 0 < result.value_g_l <= c.params.igg_max_plausible_g_l


@define("Implausible IgG Results", "IgG values at or below 0 or above the plausible maximum: not used")
def implausible_igg(c: Context) -> tuple[IgGResult, ...]:
    return tuple(r for r in c.facts.igg if r.date <= c.today and not _plausible(c, r))


@define("IgG Below Its M-Protein", "IgG results smaller than the IgG-type M-protein measured with them: one of the "
        "two is wrong, so neither decides", decisive=True)  # it removes IgG results: both sides are validated
def igg_below_m_protein(c: Context) -> tuple[tuple[IgGResult, MProteinResult], ...]:
    if not c.facts.m_protein:  # the usual chart: no pair, known without a search per IgG result
        if any(r.date <= c.today and _plausible(c, r) for r in c.facts.igg):
            c["Paraprotein Isotype"]  # where the first search would have asked for it: the same trace
        return ()
    return igg_below_m_protein_searched(c)


def igg_below_m_protein_searched(c: Context) -> tuple[tuple[IgGResult, MProteinResult], ...]:
    """"IgG Below Its M-Protein" by a search for the M-protein nearest each IgG result."""
    out = []
    for result in c.facts.igg:
        if result.date <= c.today and _plausible(c, result):
            m, isotype = _nearest_m_protein(c, result)
            # a total reported as a lower bound (">25") may be any figure above it: no M-protein shows it too small
            if (m is not None and isotype == "IgG" and m.value_g_l >= result.value_g_l
                    and m.comparator not in ("<", "<=") and result.comparator not in (">", ">=")):
                out.append((result, m))
    return tuple(out)


def _usable_igg(c: Context) -> list[IgGResult]:
    """IgG results up to today that can be read as total IgG: plausible, and not smaller than their IgG M-protein."""
    conflicting = {r for r, _m in c["IgG Below Its M-Protein"]}
    results = [r for r in c.facts.igg if r.date <= c.today and _plausible(c, r)]
    if conflicting:  # rare: spares hashing every result (a dataclass of five fields) when there are none
        results = [r for r in results if r not in conflicting]
    return results


@define("Relevant IgG Results", "Plausible IgG results up to today; inside the window only those on or after T0")
def relevant_igg(c: Context) -> tuple[IgGResult, ...]:
    results = _usable_igg(c)
    if c["In Window"]:
        results = [r for r in results if r.date >= c["T0"]]
    return tuple(sorted(results, key=lambda r: (r.date, r.taken, r.source)))  # a repeat the same day is the latest


@define("Paraprotein Isotype", "The M-protein's type from the latest serum immunofixation, or M-protein quantity "
        "whose own result names it, on or before today (a negative immunofixation in remission does not change the "
        "myeloma's type)")
def paraprotein_isotype(c: Context) -> str:
    # An M-protein quantity coded "IgG kappa (monoclonal)" types the myeloma as well as an immunofixation does, also
    # when it is too far from the IgG result to be subtracted from it. The type carries the result that gave it, so
    # the trace names the record behind it (`Isotype`).
    typed: list[Immunofixation | MProteinResult] = [*c.facts.immunofixation, *c.facts.m_protein]
    # A result that names a type only by its code, not by a finding (an M-protein "Negativ", or one whose amount could
    # not be read, "se kommentar", on an IgA kappa code) types the myeloma only when nothing else does: an IgG
    # myeloma's immunofixation is not undone by it.
    found = [(not (isinstance(x, MProteinResult) and x.none_found or isinstance(x, Immunofixation) and x.m_protein_text),
              x.date, x.source, x.isotype) for x in typed if x.date <= c.today and x.isotype not in ("", "none")]
    if not found:
        return ""
    latest = max(found)
    return Isotype(latest[3], latest[2])


class Isotype(str):
    """An M-protein's type ("IgG") as the rules compare it, with the reference of the result that gave it: a trace
    step shows the record (`engine.sources_of`), as it does for every fact."""

    source: str

    def __new__(cls, value: str, source: str = "") -> "Isotype":
        made = super().__new__(cls, value)
        made.source = source
        return made


NOT_IGG = frozenset({"IgA", "IgM", "IgD", "IgE", "light-chain"})  # an M-protein of these types is not in total IgG


def _crosses(c: Context, high: float, low: float) -> bool:
    """Would a value moving from `high` down to `low` cross a decision threshold?"""
    return any(low < t <= high for t in (c.params.igg_start_threshold_g_l, c.params.igg_general_threshold_g_l))


def _nearest_m_protein(c: Context, result: IgGResult) -> tuple[MProteinResult | None, str]:
    """The M-protein nearest the IgG result within the policy's days, and the isotype known for it."""
    # An M-protein of another type found absent ("Negativ" on an IgA code) says nothing of an IgG one: not a candidate.
    near = [m for m in c.facts.m_protein
            if m.date <= c.today and abs((m.date - result.date).days) <= c.params.m_protein_max_days_apart
            and not (m.none_found and m.isotype in NOT_IGG)]
    # Two M-proteins (a biclonal myeloma, IgG kappa and IgA lambda): one whose own result types it IgG is the one in the
    # total, however near the other lies; one of another type passed over for it would leave the total unsubtracted.
    if any(m.isotype == "IgG" for m in near):
        near = [m for m in near if m.isotype not in NOT_IGG]
    # nearest to the IgG result; ties: the later result, then the reference (order-independent)
    m = min(near, key=lambda m: (abs((m.date - result.date).days), -m.date.toordinal(), m.source), default=None)
    return m, (m.isotype if m is not None else "") or c["Paraprotein Isotype"]


def _less(total: float, m_protein: float) -> float:
    """Total IgG less an M-protein, in g/L, as the laboratory's figures subtract: 6.1 - 2.1 is 4.0, not the
    binary 3.9999999999999996 that is below 4 g/L (rounded far below any reported decimal)."""
    return round(total - m_protein, 9)


def _lowest_if_igg(total: float, m: MProteinResult) -> float:
    """The lowest polyclonal IgG the total less this M-protein allows: a lower bound (">2.0") allows any."""
    return 0.0 if m.comparator in (">", ">=") else _less(total, m.value_g_l)


# An M-protein bound turns round when subtracted: total less "<1.0" is more than total - 1.0.
_POLYCLONAL_BOUND = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _negative_fixation_near(c: Context, result: IgGResult) -> bool:
    """The immunofixation nearest the IgG (within the policy's days; ties: the later) found no M-protein: the
    total is polyclonal. A nearer one that found an M-protein (a relapse) wins over a negative one."""
    near = [x for x in c.facts.immunofixation
            if x.date <= c.today and abs((x.date - result.date).days) <= c.params.m_protein_max_days_apart]
    nearest = min(near, key=lambda x: (abs((x.date - result.date).days), -x.date.toordinal(), x.source), default=None)
    return nearest is not None and nearest.isotype == "none"


def _with_m_protein(c: Context, result: IgGResult) -> IgGUsed:
    """Polyclonal IgG = IgG − the nearest IgG-isotype M-protein within the policy's days (also when total ≥ 6)."""
    m, isotype = _nearest_m_protein(c, result)
    if m is not None and isotype == "IgG":
        # the figure with the comparator that makes it true (`IgGUsed.comparator`): both bounds below, at most the total;
        # both above, no bound at all (">0.0")
        signs = {m.comparator[:1], result.comparator[:1]}
        polyclonal = (result.value_g_l if signs == {"<"} else 0.0 if signs == {">"}
                      else max(_less(result.value_g_l, m.value_g_l), 0.0))
        return IgGUsed(result, polyclonal, m, (result.source, m.source))
    caveat = False
    if m is None and _negative_fixation_near(c, result):
        return IgGUsed(result, result.value_g_l, None, (result.source,))  # no M-protein in the serum then
    if c["Has Myeloma"] and isotype not in NOT_IGG:  # an IgG paraprotein cannot be ruled out
        if m is not None:
            caveat = _crosses(c, result.value_g_l, _lowest_if_igg(result.value_g_l, m))
        else:
            caveat = _crosses(c, result.value_g_l, _less(result.value_g_l, _unmeasured_margin(c, result, isotype)))
    return IgGUsed(result, result.value_g_l, None, (result.source,), caveat)


def _unmeasured_margin(c: Context, result: IgGResult, isotype: str) -> float:
    """How far below the total polyclonal IgG may lie when no M-protein was measured with the IgG: the policy's
    margin, or in IgG myeloma the last IgG M-protein measured before it when that was larger (total IgG 8.0 five
    months after an IgG M-protein of 6.0 may be polyclonal IgG near 2; a bound, "<1.0 g/L", is a measurement too: at
    most that), or the whole total when none was ever measured."""
    if _unread_m_protein_near(c, result) is not None:
        # an M-protein taken with it that could not be read (its amount, its status, its code): it may be most of the
        # total, as one never measured, whatever the myeloma's type is said to be where it is not known to be other
        return result.value_g_l
    if isotype != "IgG":
        return c.params.paraprotein_caveat_margin_g_l
    last = _last_igg_m_protein(c, result)
    if last is None:
        if _negative_fixation_before(c, result):  # none found by immunofixation since it was last found: as "0 g/L"
            return c.params.paraprotein_caveat_margin_g_l
        # an IgG myeloma (by immunofixation) whose M-protein was never measured: it may be most of the total (total
        # IgG 12.0 may be an M-protein of 10 and polyclonal IgG 2), so no total says where polyclonal IgG lies
        return result.value_g_l
    return max(c.params.paraprotein_caveat_margin_g_l, last.value_g_l)


def _unread_m_protein_near(c: Context, result: IgGResult) -> MProteinUnread | None:
    """The latest M-protein result received within the policy's days of an IgG result and not read (`MProteinUnread`),
    but for one its code or name says is of a type not in total IgG (IgA kappa); None otherwise. Its callers ask only
    where no M-protein was read near the IgG: one read decides."""
    near = [x for x in c.facts.m_protein_unread
            if x.date <= c.today and abs((x.date - result.date).days) <= c.params.m_protein_max_days_apart
            and x.isotype not in NOT_IGG]
    return max(near, key=lambda x: (x.date, x.source)) if near else None


def _last_igg_m_protein(c: Context, result: IgGResult) -> MProteinResult | None:
    """The last IgG (or untyped) M-protein measured on or before the IgG, a bound ("<1.0 g/L") as any other: how far
    below the total polyclonal IgG may lie when none was measured with it (`_unmeasured_margin`)."""
    return max((m for m in c.facts.m_protein if m.date <= min(result.date, c.today) and m.isotype in ("IgG", "")),
               key=lambda m: (m.date, m.source, m.value_g_l), default=None)


def _last_m_protein_values(c: Context, result: IgGResult) -> dict[str, Value]:
    """The last IgG M-protein, too far from the IgG to subtract, where it and not the policy's margin is why polyclonal
    IgG may lie below a threshold: the card names it, as the fact its caveat rests on (clinical-rules §7, §8)."""
    last = _last_igg_m_protein(c, result)
    if last is None or last.comparator in ("<", "<=") or last.value_g_l <= c.params.paraprotein_caveat_margin_g_l:
        return {}
    return {"last_m_protein": last.value_g_l, "last_m_protein_comparator": last.comparator,
            "last_m_protein_date": last.date, "last_m_protein_source": last.source,
            "last_m_protein_days_before": (result.date - last.date).days}


def _negative_fixation_before(c: Context, result: IgGResult) -> bool:
    """The latest immunofixation on or before the IgG found no M-protein (remission): the M-protein was measured,
    as none, just as an M-protein "Ikke påvist" is."""
    before = [x for x in c.facts.immunofixation if x.date <= min(result.date, c.today)]
    latest = max(before, key=lambda x: (x.date, x.isotype != "none", x.source), default=None)
    return latest is not None and latest.isotype == "none"


@define("Latest IgG", "The most recent relevant IgG, polyclonal when an IgG M-protein is known", decisive=True)
def latest_igg(c: Context) -> IgGUsed | None:
    results = c["Relevant IgG Results"]
    return _with_m_protein(c, results[-1]) if results else None


def _age_days(c: Context, used: IgGUsed | None) -> int | None:
    return (c.today - used.result.date).days if used else None


def _is_stale(c: Context, used: IgGUsed | None) -> bool:
    limit = c.params.stale_days_in_window if c["In Window"] else c.params.stale_days_after_window
    return used is not None and (_age_days(c, used) or 0) > limit


@define("Latest IgG Is Stale", "Older than the staleness limit for the current phase")
def latest_igg_stale(c: Context) -> bool:
    return _is_stale(c, c["Latest IgG"])


def taken_on_other_use_only(c: Context, result: IgGResult) -> bool:
    """The result was taken in the washout of immunoglobulin given for another reason (ITP), on no substitution."""
    return not any(_influences(x, result.date, c.today, c.params.igg_washout_days, c.known_on)
                   for x in c.once(_infused_courses)) and taken_on_substitution(c, result)


def taken_on_substitution(c: Context, result: IgGResult) -> bool:
    """The result was taken on immunoglobulin or in its washout (§3.4): it shows the infused immunoglobulin."""
    return any(_influences(x, result.date, c.today, c.params.igg_washout_days, c.known_on)
               for x in (*c.once(_infused_courses), *c.once(_other_use_spans)))


def ignored_igg_values(c: Context, result: IgGResult) -> dict[str, Value]:
    """What a card says of the latest IgG, taken on immunoglobulin or in its washout and not used (§3.4): the result as
    the laboratory reported it (polyclonal IgG is no figure the chart shows), whether only Ig given for another reason
    was in its washout (the note then says not substitution), from when an IgG counts (a clinician who re-measures
    within the washout would meet the same note), and whether it was taken after every course had ended (in the washout
    only: the note does not say "on substitution" to a clinician who knows there was none that day)."""
    values: dict[str, Value] = {"ignored_igg": result.value_g_l, "ignored_igg_comparator": result.comparator,
                                "ignored_igg_date": result.date, "ignored_igg_source": result.source,
                                "ignored_igg_counts_from": igg_counts_from(c, result)}
    if taken_on_other_use_only(c, result):
        values["ignored_igg_other_use"] = True
    elif taken_in_washout_only(c, result):
        values["ignored_igg_in_washout"] = True
    return values


def taken_in_washout_only(c: Context, result: IgGResult) -> bool:
    """Taken after the known last day of every course begun by then (one whose end is not known may have run that
    day): in the washout, not on substitution."""
    begun = [x for x in (*c.once(_infused_courses), *c.once(_other_use_spans)) if x.start <= result.date]
    return bool(begun) and all((end := _last_day(x, c.known_on)) is not None and end < result.date for x in begun)


def igg_counts_from(c: Context, result: IgGResult) -> date | None:
    """The first day an IgG taken off substitution counts, for `result`, taken on immunoglobulin or in its washout
    (§3.4): the day after the latest end, plus `igg_washout_days`, of every course (or Ig given for another reason)
    begun by the day the chart is read, a course begun after `result` too (a course of doses reaching
    `ig_administration_course_days` past its last dose, `_infused_courses`). None when one has no known end (it may
    still run), or that day has come by the day the chart is read (an IgG taken now counts: nothing to wait for)."""
    if not taken_on_substitution(c, result):
        return None
    return washout_ends(c)


def washout_ends(c: Context) -> date | None:
    """The first day an IgG counts as taken off substitution (`igg_counts_from`): the day after the latest end, plus
    `igg_washout_days`, of every course (or Ig given for another reason) begun by the day the chart is read; None
    when one has no known end, or that day has come."""
    ends: list[date] = []
    for x in (*c.once(_infused_courses), *c.once(_other_use_spans)):
        if x.start > c.read_on or x.status == "on-hold" and x.end is None:
            continue
        end = _last_day(x, c.known_on)
        if end is None:
            return None
        ends.append(end + timedelta(days=c.params.igg_washout_days + 1))
    first = max(ends, default=None)
    return first if first is not None and first > c.read_on else None


def _infused_courses(c: Context) -> tuple[IgCourse, ...]:
    """The courses as far as their immunoglobulin reaches: an order that ended with doses recorded in its period
    reaches the course days past its last dose, as the same doses recorded alone do. An order ending a week after its
    last dose ended the washout five weeks before the same doses without it, and one IgG counted in one chart and not
    in the other (the dose, not the order's end, is what is in the blood)."""
    span = timedelta(days=c.params.ig_administration_course_days)
    doses = sorted({d.date for d in c.facts.ig_administrations if d.date <= c.today})
    out: list[IgCourse] = []
    for course in c["IG Courses"]:
        end = _last_day(course, c.known_on)
        if course.status == "on-hold" and course.end is None and not from_doses(course):
            # paused from a day the data does not tell: its doses recorded tell how far it reaches, as they would
            # alone (with none, it is named on the cards instead, `_influences`)
            last = max((day for day in doses if course.start <= day), default=None)
            if last is not None:
                out.append(replace(course, end=last + span, status="completed", end_assumed=False))
                continue
        last = None if from_doses(course) or end is None else \
            max((day for day in doses if course.start <= day <= end), default=None)
        # an end of its own now: read as the known end of a course that ran (not a stop on a day the data does not
        # tell, which `_last_day` makes of a stopped order's end still ahead of the day the chart was read)
        out.append(replace(course, end=last + span, status="completed", end_assumed=False)
                   if last is not None and end is not None and last + span > end else course)
    return tuple(out)


@define("IgG Measured During Substitution", "The latest IgG was taken on immunoglobulin or in its washout (§3.4)")
def igg_during_substitution(c: Context) -> bool:
    used = c["Latest IgG"]
    return used is not None and taken_on_substitution(c, used.result)


def _after_unknown_pause(c: Context, result: IgGResult) -> bool:
    """Taken after the start of an order now on hold with no end date: the pause began on a day the data does not
    give, so the result may lie on substitution or in its washout (§3.4); it is used, with that said."""
    doses = [d.date for d in c.facts.ig_administrations if d.date <= c.today]
    # one with a dose recorded since its start reaches the course days past its last dose (`_infused_courses`): the
    # washout then says whether the result shows infused immunoglobulin, as for any course of doses
    return any(x.status == "on-hold" and x.end is None and x.start <= result.date
               and not any(x.start <= day for day in doses) for x in c["IG Courses"])


@define("Latest Usable IgG", "The most recent relevant IgG a start decision can use: taken off substitution, or on "
        "it or in its washout and below the start threshold, the patient's own IgG being lower still (§3.4)",
        decisive=True)
def latest_usable_igg(c: Context) -> IgGUsed | None:
    """§3.4 asks for IgG measured off substitution to show recovery (IgG above the threshold): infused immunoglobulin
    raises a level, never lowers it. So a result on substitution at or above the threshold shows nothing of the
    patient's own IgG, and one below it shows that their own is below it too: a patient with sepsis and IgG 2.9 g/L two
    weeks after the last dose was asked to measure again after the washout, six weeks on. A low one with a later result
    on substitution at or above the threshold is not used: infused immunoglobulin only decays, so the later one may be
    the patient's own IgG rising."""
    threshold = c.params.igg_start_threshold_g_l
    higher_since = False  # a later result on substitution not below it: the IgG may be the patient's own, rising
    for result in reversed(c["Relevant IgG Results"]):
        used = _with_m_protein(c, result)
        if not taken_on_substitution(c, result):
            return used
        if used.below(threshold) and not higher_since:
            return used
        higher_since = higher_since or not used.below(threshold)
    return None


@define("Usable IgG Indeterminate", "The threshold the usable IgG's reported bound cannot place it against "
        "(a \"<\" bound above it, or a \">\" bound below it), if any: no start and no band on it")
def untreated_igg_indeterminate(c: Context) -> float | None:
    used = c["Latest Usable IgG"]
    thresholds = (c.params.igg_start_threshold_g_l, c.params.igg_general_threshold_g_l)
    return next((t for t in thresholds if used is not None and used.indeterminate(t)), None)


@define("Usable IgG Is Stale", "The usable IgG is older than the staleness limit for the current phase")
def untreated_igg_stale(c: Context) -> bool:
    return _is_stale(c, c["Latest Usable IgG"])


# ---------------------------------------------------------------------------------------
# Advice
# ---------------------------------------------------------------------------------------


_LATEST = object()
EMPTY: Mapping[str, Value] = MappingProxyType({})


def infection_values(found: Iterable[CountedInfection]) -> dict[str, Value]:
    """What a card shows of the infections a decision rests on: dates, severity, culture evidence."""
    episodes: tuple[CountedInfection, ...] = getattr(found, "episodes", ())
    found = list(found)
    values: dict[str, Value] = {
        "infection_dates": tuple(i.onset.isoformat() for i in found),
        # what each was (its code's `card_name`: "sepsis", "pneumonia"; "" for a generic code), one per date
        "infection_names": tuple(i.infection.name for i in found),
        "infection_severe": any(i.severe for i in found),
        # 'specimen:day', and ':sets' for a likely contaminant counted by its separate sets (`Culture.sets`)
        "infection_cultures": tuple(f"{i.culture.specimen}:{i.culture.date.isoformat()}"
                                    + (f":{i.culture.sets}" if i.culture.sets > 1 else "") for i in found if i.culture),
    }
    stay = found[-1].admission if found and found[-1].severe and len(episodes) <= 1 else None
    if stay is not None:  # one pneumonia, severe by its stay: the card says why ("admitted ... to ...: severe")
        values.update(infection_admitted=stay.start.isoformat(),
                      infection_discharged=stay.end.isoformat() if stay.end else "")
    if len(episodes) > 1:  # how many episodes, and which of them were severe
        values.update(infection_episodes=tuple(i.onset.isoformat() for i in episodes),
                      infection_episode_names=tuple(i.infection.name for i in episodes),
                      infection_severe_episodes=tuple(i.onset.isoformat() for i in episodes if i.severe))
    return values


def _general_stop_if_begun_today(c: Context) -> dict[str, Value]:
    """The general criteria's stop attempt (§4.2: 6-12 months after the start) for a course begun today: the dates a
    start card can give beside "6-12 months after its start" (after T0, so never before the stop date)."""
    return {"general_stop_from": add_months(c.today, c.params.general_stop_after_months),
            "general_stop_to": add_months(c.today, c.params.general_stop_latest_months)}


def seen_values(c: Context, seen: Iterable[CountedInfection]) -> dict[str, Value]:
    """What a card shows of verified bacterial infections that counted but were neither severe nor recurrent: their
    dates, and in how many episodes they fell (two records of one episode are no recurrence; a card saying "2
    infections ... not recurrent" without that would contradict itself)."""
    ordered = sorted(seen, key=lambda i: (i.onset, i.infection.source))
    return {"infections_seen": tuple(dict.fromkeys(i.onset.isoformat() for i in ordered)),
            "infections_seen_episodes": len(_episodes(ordered, c.params.recurrent_min_days_apart))}


def _admission_notes(c: Context) -> list[DataNote]:
    """What the stays leave open: a bacterial pneumonia not severe where the stays were not sent, and only while no
    severe or recurrent infection decides already (then an admission could change the card); and a stay that names a
    bacterial infection recorded on no Condition (not counted: the clinician records the diagnosis if it applies)."""
    notes = []
    if c.facts.admissions_not_sent and c.params.pneumonia_admission_severe and not c["Recent Severe Or Recurrent "
                                                                                     "Infections"]:
        notes += [DataNote("pneumonia-admission-unknown", i.infection.source, "whether this bacterial pneumonia needed "
                           f"admission (severe, clinical-rules §5) is not known: admissions not sent "
                           f"({c.facts.admissions_not_sent})", i.infection.display, i.onset, record_words=True)
                  for i in c["Recent Bacterial Infections"] if i.infection.pneumonia and not i.severe]
    notes += [DataNote("admission-infection-not-recorded", a.source, "an inpatient stay names a bacterial infection "
                       f"({', '.join(a.infection_codes)}) recorded on no Condition: not counted; record the diagnosis "
                       "if it applies", RecordText(f"{a.infection_text} ({a.infection_codes[0]})" if a.infection_text
                                                   else a.infection_codes[0]), a.start, record_words=True)
              for a in c["Stays With An Infection Not Recorded"]]
    return notes


def paraprotein_caveat(c: Context, used: IgGUsed) -> tuple[tuple[str, ...], dict[str, Value]]:
    """The caveat (and its values) of an IgG whose M-protein type or amount is not known in a myeloma where it could
    change the decision (`IgGUsed.paraprotein_caveat`): measure the M-protein (an IgG myeloma), or what an untyped
    M-protein would make of the IgG, or ask for immunofixation. Every card that decides on that IgG says it (§7): not
    a stop card (`build_advice`), which dates decide."""
    if not used.paraprotein_caveat:
        return (), {}
    m, isotype = _nearest_m_protein(c, used.result)
    if isotype == "IgG":  # an IgG myeloma: measure its M-protein with the IgG (one not read is named by its note)
        return ("paraprotein-unmeasured",), (_last_m_protein_values(c, used.result) if m is None else {})
    unread = _unread_m_protein_near(c, used.result) if m is None else None
    if unread is not None:  # one was taken with it: that result, not a new measurement, is what to check
        return ("paraprotein-unread",), _unread_values(unread)
    if m is not None:  # a measured M-protein of unknown type: the caveat gives what it would make of the IgG
        return ("paraprotein-possible-measured",), {
            "untyped_m_protein": m.value_g_l, "untyped_m_protein_date": m.date,
            "untyped_m_protein_comparator": m.comparator, "untyped_m_protein_reported": m.reported,
            "polyclonal_if_igg": max(_less(used.result.value_g_l, m.value_g_l), 0.0),
            "polyclonal_if_igg_comparator": _POLYCLONAL_BOUND.get(m.comparator, "")}
    return ("paraprotein-possible",), {}


def _unread_values(unread: MProteinUnread) -> dict[str, Value]:
    return {"m_protein_unread_date": unread.date, "m_protein_unread_source": unread.source,
            "m_protein_unread_why": unread.why, "m_protein_unread_reported": unread.reported}


def igg_shown_values(c: Context, used: IgGUsed) -> dict[str, Value]:
    """The IgG a card shows and the figures behind it: polyclonal IgG where an IgG M-protein was measured with the
    total (a bound when the total or the M-protein is one; the deciding one is shown), with the total and the
    M-protein beside it (an M-protein sent as text shown as sent: "spor", "1,2 g/L"); else the total as reported.
    Patient-view and the order hooks show one IgG the same way (§7)."""
    m = used.m_protein
    shown, comparator = used.value_g_l, used.result.comparator
    if m is not None:
        shown, comparator = used.shown(c.params.igg_start_threshold_g_l)
    values: dict[str, Value] = {
        "igg": shown, "igg_comparator": comparator, "igg_total": used.result.value_g_l,
        "igg_total_comparator": used.result.comparator, "m_protein": m.value_g_l if m else None,
        "m_protein_comparator": m.comparator if m else "", "m_protein_date": m.date if m else None,
        "m_protein_source": m.source if m else None}
    if m is not None and m.reported:
        values["m_protein_reported"] = m.reported
    return values


def igg_as_used(c: Context, result: IgGResult) -> IgGUsed:
    """An IgG result as every decision reads it: polyclonal when an IgG M-protein is known with it, else with the
    caveat flag of a myeloma whose M-protein could change the decision (`_with_m_protein`)."""
    return _with_m_protein(c, result)


def build_advice(c: Context, code: str, rule: str, variant: str = "", *, evidence: tuple[Evidence, ...] = (),
                 suggestions: tuple[str, ...] = (), override_reasons: tuple[str, ...] | None = None,
                 extra_caveats: tuple[str, ...] = (), igg: IgGUsed | None | object = _LATEST,
                 more: Mapping[str, Value] = EMPTY, **values: Value) -> Advice:
    """An advice with the values, evidence and caveats every card shows; `igg` = the IgG it used,
    `more` = values whose names are computed (infection details)."""
    used: IgGUsed | None = c["Latest IgG"] if igg is _LATEST else igg  # type: ignore[assignment]
    caveats = list(extra_caveats)
    other_use = False  # the IgG lies only in the washout of immunoglobulin given for another reason (ITP): said so
    if used is not None:
        latest = used is c["Latest IgG"]  # then the fact is a named definition, visible in the trace
        # a child's card too: an IgG taken on substitution is no measure of the child's own IgG either
        if c["IgG Measured During Substitution"] if latest else taken_on_substitution(c, used.result):
            # a start decided on it (`Latest Usable IgG`): below the threshold, it is so without the infused dose too;
            # not for a child, assessed individually (§4): no threshold decides there
            child = code == "child-individual-assessment" or variant == "child" or variant.endswith("-child")
            low = not latest and not child and used.below(c.params.igg_start_threshold_g_l)
            caveats.append("igg-low-on-substitution" if low else "igg-during-substitution")
            other_use = taken_on_other_use_only(c, used.result)
        elif _after_unknown_pause(c, used.result):
            caveats.append("igg-after-unknown-pause")
    if used is not None and code != "child-individual-assessment":
        if used.m_protein is not None:
            caveats.append("paraprotein-subtracted")
        # that card is the caveat; a stop or stop review is decided by dates, never by the IgG, so the type of an
        # M-protein cannot change it (clinical rules §7: the caveat only where it can change the decision)
        elif used.paraprotein_caveat and code != "paraprotein-type-unknown" and code not in STOP_CARD_CODES:
            said, untyped = paraprotein_caveat(c, used)
            caveats += said
            more = {**untyped, **more}
    if c["Malignancy Assumed"]:
        caveats.append("malignancy-assumed")
    if c["Age At T0"] is None:
        caveats.append("age-unknown" if c.facts.patient is not None else "patient-unknown")
    if c["Ended Courses With Unknown End"]:
        caveats.append("course-end-unknown")
    unconfirmed: dict[str, Value] = {}
    period = _decided_by_infections(c, code, variant, override_reasons, {**more, **values}, caveats)
    # a card infections not counted could change: those known only by a name (a local code: the likelier to be a
    # verified infection, named first, so a crowded card keeps them), then those recorded but not confirmed
    uncoded = uncoded_deciding(c, *period) if period is not None else ()
    if uncoded:
        caveats.append("infections-uncoded" if len(uncoded) == 1 else "infections-uncoded-several")
        unconfirmed = uncoded_values(uncoded)
    cultured = cultured_deciding(c, *period) if period is not None else ()
    if cultured:  # ... a sterile-site culture with no diagnosis (the sets of one draw: one)
        named = cultured_values(cultured)
        caveats.append("infections-culture-only" if named["cultured_more"] == 0 else "infections-culture-only-several")
        unconfirmed.update(named)
    deciding = unconfirmed_deciding(c, *period) if period is not None else ()
    if deciding:
        caveats.append("infections-unconfirmed" if len(deciding) == 1 else "infections-unconfirmed-several")
        unconfirmed.update(unconfirmed_values(deciding))
    restart_end: dict[str, Value] = {}
    failing = values.get("failing")
    after_stop = isinstance(failing, tuple) and "starts-after-stop-date" in failing  # an order judged at its start
    if values.get("restart") is True and c["In Window"] and not after_stop:
        # inside the window the special criterion seems to apply: the card says why the general criteria do (§4.3)
        ended = [x for x in c["IG Courses Given After T0"] if _has_ended(x, c.today, c.known_on)]  # what "Is Restart" reads
        # an order on hold has no day it ended: its end on paper is not one ("ended 2026-02-28" of a paused order); its
        # last dose, where one is recorded, is named instead
        ends = [end for x in ended if (end := _given_until(c, x)) is not None
                and (x.status == "on-hold" or end <= c.today)]
        restart_end = {"restart_in_window": True, "restart_courses": tuple(sorted({x.source for x in ended}))}
        if ends and len(ends) == len(ended):  # else one ended on a day the data does not tell, or is on hold
            restart_end.update(_previous_end(c, ended, max(ends)))
    event = c["Index Event"]
    base: dict[str, Value] = {
        "t0": c["T0"], "t0_kind": event.kind, "t0_product": event.product, "t0_source": event.source,
        "t0_pause_days": bsab_pause_before_t0(c),
        # the countdowns a card shows run from the day it is read (a draft judged on its planned start: not that day)
        "stop_date": c["Stop Date"], "days_to_stop": None if (left := c["Days To Stop Date"]) is None
        else left + (c.today - c.read_on).days, "today": c.read_on,
        "in_window": c["In Window"],
        "stale_days": c.params.stale_days_in_window if c["In Window"] else c.params.stale_days_after_window,
    }
    if used is not None:
        shown = igg_shown_values(c, used)
        base.update(igg=shown["igg"], igg_comparator=shown["igg_comparator"], igg_date=used.result.date,
                    igg_source=used.result.source, igg_reported=used.result.reported, igg_total=used.result.value_g_l,
                    igg_total_comparator=used.result.comparator,
                    igg_age_days=(c.read_on - used.result.date).days, igg_stale=_is_stale(c, used))  # age: as read
        base.update(shown)
    base.update(episode_values(c))
    if other_use:
        base["igg_other_use"] = True
    base.update(more)
    base.update(unconfirmed)
    base.update(restart_end)
    base.update(values)
    if values.get("reason") == "paused-for-infusion":
        base.update(_paused_before(c))
    sources = [event.source]
    for item in (used, *evidence):
        for s in ([] if item is None else [item.source] if isinstance(item, IndexEvent) else list(item.sources)):
            if s not in sources:
                sources.append(s)
    restarted = restart_end.get("restart_courses")
    sources += [s for s in (restarted if isinstance(restarted, tuple) else ()) if s not in sources]
    kind_reasons = override_reasons if override_reasons is not None else ()
    # the orders a suggestion may change: active ones (a completed order is closed: the EHR cannot put it on hold)
    episode = c["Current Episode"]
    targets = tuple(x.source for x in (episode.courses if episode else ()) if is_order(x) and x.status == "active"
                    and (_active_on(x, c.today, c.known_on) or x in c["Planned IG Courses"]))
    return advice(code, variant, rule, values=base, evidence=tuple(sources), caveats=tuple(dict.fromkeys(caveats)),
                  suggestions=suggestions, override_reasons=kind_reasons, targets=targets)


@define("Child Advice", "Children: individual assessment, whatever the IgG (§4, §4.3)")
def child_advice(c: Context) -> tuple[Advice, ...]:
    variant = "bsab" if c["Index Event"].kind == "bsab" else ""
    return (build_advice(c, "child-individual-assessment", "Child Advice", variant, age=c["Age At T0"]),)


@define("Special Stop Applies", "First course since T0 (no course since T0 began before it: one begun the same day, "
        "paused or ended, is no earlier course), started in the window, not because of infections, no substitution "
        "before T0 (§4.2)")
def special_stop_applies(c: Context) -> bool:
    episode = c["Current Episode"]
    if episode is None or c["T0"] is None:
        return False
    first = c["IG Courses Since T0"][0] if c["IG Courses Since T0"] else None
    return (
        c["T0"] <= episode.start < c["Stop Date"]
        and first is not None and (first in episode.courses or first.start >= episode.start)
        and not c["Substitution Before T0"]
        and not c["Infections Before Substitution"]
    )


@define("General Stop Reason", "Why the general stop criteria apply to this patient's substitution")
def general_stop_reason(c: Context) -> str:
    episode = c["Current Episode"]
    if c["Substitution Before T0"]:
        return "paused-for-infusion" if c["Substitution Paused For T0"] and (episode is None or episode.start >= c["T0"]) \
            else "before-t0"
    if episode is not None and episode.start < c["T0"]:
        return "before-t0"
    if episode is not None and episode.start >= c["Stop Date"]:
        return "after-window"
    if c["Infections Before Substitution"] or (episode is None and c["Infections Since Lookback"]):
        return "infections"
    return "restart"


def _previous_end(c: Context, courses: Iterable[IgCourse], end: date) -> dict[str, Value]:
    """How a card names the end of the course a restart follows: its last day (`previous_end`), or, for a course of
    recorded doses, its last dose (`previous_last_dose`): the course's end is then the course days after that dose, a
    day on which nothing in the chart happened ("a course that ended 2026-02-16" after a last dose on 2026-01-12)."""
    span = timedelta(days=c.params.ig_administration_course_days)
    if any((from_doses(x) or x.status == "on-hold") and _given_until(c, x) == end for x in courses):
        return {"previous_last_dose": end - span}
    return {"previous_end": end}


def _given_until(c: Context, course: IgCourse) -> date | None:
    """The last day a course's immunoglobulin is known to reach, for naming the course a restart follows: its last
    day; for an order on hold, the course days past its last dose recorded in its period, as for a course of doses
    (its end on paper is no day it ended, and with no dose recorded the day it paused is not given: None)."""
    if course.status != "on-hold":
        return _last_day(course, c.known_on)
    last = _last_dose_in(c, course)
    return last + timedelta(days=c.params.ig_administration_course_days) if last is not None else None


def episode_values(c: Context) -> dict[str, Value]:
    """The course the patient is on, as a card names it ("IVIG since 2025-09-25"); none when not on substitution."""
    episode = c["Current Episode"]
    if episode is None:
        return {}
    products = {x.product for x in episode.courses if x.start <= c.today}
    values: dict[str, Value] = {"episode_start": episode.start,
                                "episode_product": products.pop() if len(products) == 1 else ""}
    if any(x.start_unrecorded and x.start == episode.start for x in episode.courses):
        # the list's record gives no start: the course began on the day it was recorded at the latest
        values["episode_start_unrecorded"] = True
    return values


def _paused_before(c: Context) -> dict[str, Value]:
    """How a card names substitution paused shortly before T0 (§4.2): its last day, or the last dose of a course of
    recorded doses, and the days from it to T0, so the clinician sees which course made the general criteria apply;
    for an order on hold, its last dose; nothing for one with no dose recorded, whose pause has no day."""
    courses = c["Substitution Before T0"]
    span = timedelta(days=c.params.ig_administration_course_days)
    ends = [end for x in courses if (end := _given_until(c, x)) is not None
            and (end - span if x.status == "on-hold" else end) < c["T0"]]
    if not ends or len(ends) < len(courses):
        return {}
    end = max(ends)
    dose = _previous_end(c, courses, end).get("previous_last_dose")  # a course of recorded doses: named by its last dose
    day = dose if isinstance(dose, date) else end
    return {"paused_last_dose" if isinstance(dose, date) else "paused_end": day, "paused_days": (c["T0"] - day).days}


@define("Course Before The Restart", "For a restart, inside the window or after it: the last day of the course since "
        "T0 that ended before the current one began, and the days between (a switch within the continuity gap would "
        "have continued it)")
def course_before_restart(c: Context) -> tuple[date, int] | None:
    episode = c["Current Episode"]
    if episode is None or c["General Stop Reason"] not in ("restart", "after-window"):
        return None
    ends = [end for x in c["IG Courses Since T0"] if x not in episode.courses
            and (end := _given_until(c, x)) is not None and end < episode.start]
    return (max(ends), (episode.start - max(ends)).days) if ends else None


def _restart_gap(c: Context, episode: Episode, before: tuple[date, int]) -> tuple[dict[str, Value], int]:
    """How a card names the end of the course a restart follows (`_previous_end`), and the days from the last day Ig
    was given in it (its last dose, or its last day) to the start of this one."""
    after = _previous_end(c, c["IG Courses Since T0"], before[0])
    last = after.get("previous_last_dose", before[0])
    return after, (episode.start - last).days if isinstance(last, date) else before[1]


@define("Course Began Without General Criteria", "A course under the general criteria because it began after the "
        "window (Ig paused for the infusion resumed only then too) or as a restart inside it (§4.3: only with IgG < 4 "
        "g/L and severe or recurrent verified bacterial infections), with no such infection from the look-back before "
        "its start to today: the first day of that look-back. Not a course begun within the course days of the last Ig given before it (a renewal, a switch of "
        "product or route), unless it carries a course held to the special stop past the stop date; nor a restart "
        "after a course whose end is not known (an order left on hold)")
def course_without_general_criteria(c: Context) -> date | None:
    episode = c["Current Episode"]
    reason = c["General Stop Reason"]
    if episode is None or c["T0"] is None:
        return None
    # Ig paused for the infusion and resumed only after the window: no resumption, a restart (§4.3); resumed inside
    # it, the course before T0 goes on under the general stop criteria (§4.2), whatever the pause
    late_resumption = reason == "paused-for-infusion" and episode.start >= c["Stop Date"]
    if reason not in ("after-window", "restart") and not late_resumption:
        return None
    before = c["Course Before The Restart"]
    if before is not None:
        near = _restart_gap(c, episode, before)[1] <= c.params.ig_administration_course_days
        if near and (reason == "restart" or not _special_course_before(c, episode)):
            return None
    elif reason == "restart":
        return None
    since = add_months(episode.start, -c.params.infection_window_months) + timedelta(days=1)
    return None if _infections_between(c, since, c.today) else since


def _special_course_before(c: Context, episode: Episode) -> bool:
    """The first course since T0, before this episode, was held to the special stop (§4.2): begun in the window, with
    no substitution before T0 and no severe or recurrent verified bacterial infection before its start. A course
    renewed or switched days after its stop date then carries that course on: the stop was not made."""
    first = next((x for x in c["IG Courses Since T0"] if x not in episode.courses), None)
    return first is not None and first.start < c["Stop Date"] and not c["Substitution Before T0"] \
        and not _infections_between(c, _before_t0(c), first.start)


def without_general_criteria(c: Context) -> tuple[tuple[str, ...], dict[str, Value]]:
    """The caveat (and its date) a card on a course that began without the general criteria carries: the stop review
    alone read as "follows the general criteria", a restart no criterion supported (§4.3)."""
    since = c["Course Began Without General Criteria"]
    return (("general-start-not-met",), {"criteria_since": since}) if since is not None else ((), {})


@dataclass(frozen=True)
class ReviewDates:
    """The general stop criteria's reviews: the next one due, and the one due now (None when none is)."""
    next_due: date
    due_now: date | None = None


def first_general_review(params: Parameters, started: date, stop: date) -> date:
    """The first general stop review of substitution begun on `started`, in or before the high-risk window that ends
    on `stop`: the later of `general_stop_after_months` after its start and the stop date (§4.2; §4 row 2 [policy]: no
    stop inside a high-risk window). The cards that name it now, or once a course ahead has begun, read it here."""
    return max(add_months(started, params.general_stop_after_months), stop)


def _stopped_by(c: Context, course: IgCourse, t0: date) -> bool:
    """A course before T0 paused by then: on hold, ended before it, or (a course of recorded doses, which runs the
    course days past its last dose) its last dose before it. One that ran on across T0 and ended inside the window
    was stopped there: Ig begun again after it is a restart, reviewed from its own start."""
    if course.status == "on-hold":
        return True
    end = _last_day(course, c.known_on)
    if end is not None and from_doses(course):
        end -= timedelta(days=c.params.ig_administration_course_days)
    return end is not None and end < t0


def _stopped_with_its_window(c: Context, course: IgCourse) -> bool:
    """A course begun inside the high-risk window of a therapy before T0 (a CAR-T, a bsAb course) that ended by that
    window's stop date (within the continuity gap): that window's substitution, stopped as §4.2 asks, not Ig the
    patient was still in when this therapy came. One that ran on past it is (myeloma: SCIG for years after a CAR-T)."""
    t0: date | None = c["T0"]
    end = _last_day(course, c.known_on)
    if t0 is None or end is None:
        return False
    gap = timedelta(days=c.params.ig_continuity_gap_days)
    earlier = [x.date for x in c.facts.car_t] + [x.start for x in c.facts.bsab]
    return any(t < t0 and t <= course.start < (stop := add_months(t, c.params.window_months)) and end <= stop + gap
               for t in earlier)


@define("General Review Due Dates", "Later of IG start + the general stop months and the stop date, then every review interval")
def general_review_dates(c: Context) -> ReviewDates:
    episode = c["Current Episode"]
    every = c.params.general_review_every_months
    started = episode.start
    t0: date | None = c["T0"]
    if t0 is not None and t0 <= episode.start < c["Stop Date"]:
        # Ig paused for the infusion and resumed inside the window is the substitution the patient was in before T0:
        # its stop is attempted 6-12 months after Ig began (§4.2), not after the resumption (a pause of a month moved
        # the review past the window's end, and the warning with it). Not a course of an earlier therapy's window
        # that ended at that window's stop (the course now is a new start), nor a resumption after the window (its
        # review would fall before it began)
        started = min([started, *(x.start for x in c["Substitution Before T0"]
                                  if _stopped_by(c, x, t0) and not _stopped_with_its_window(c, x))])
    first = first_general_review(c.params, started, c["Stop Date"])
    k = 0
    while add_months(first, every * (k + 1)) <= c.today:
        k += 1
    due = add_months(first, every * k)
    if due > c.today:
        return ReviewDates(due)
    if (c.today - due).days < c.params.general_review_due_days:
        return ReviewDates(due, due)
    return ReviewDates(add_months(first, every * (k + 1)))


def stop_attempt_weighing(c: Context) -> tuple[tuple[CountedInfection, ...], tuple[str, ...], tuple[str, ...],
                                                dict[str, Value]]:
    """What a card advising the stop at T0 + 6 months (patient-view, or an order past it) weighs (§4.3): the
    infection tendency as evidence, the override reasons (continue by the general criteria when there is one),
    the note, and the infections' values."""
    tendency = c["Infection Tendency"]
    reasons = (("infection-tendency",) if tendency else ()) + ("community-infection-risk", "specialist-decision")
    notes = ("infections-at-stop-attempt",) if tendency else ()
    if tendency:
        return tendency, reasons, notes, infection_values(tendency)
    # a verified bacterial infection that is neither severe nor recurrent is part of the infection tendency the
    # stop attempt weighs too: the card names it (as the card on a start does), without the general criteria
    seen = _bacterial_between(c, _tendency_start(c), c.today)
    return tendency, reasons, notes, seen_values(c, seen)


def _with_bsab_booked(c: Context, found: Advice) -> Advice:
    """A card on substitution that a new bsAb course booked ahead changes: once it has begun, substitution begun before
    it follows the general stop criteria (§4.2), first reviewed no sooner than the new window's end
    (`timeline._review_dates`), as an order card beside that course says.

    - Held to the special stop, the course beginning by that stop date: the card names the course and that review,
      and offers no end on a stop date that will not hold once it has begun (`therapy-booked-moves-stop`).
    - Under the general criteria, the course beginning by the next review: that review moves to the new window's
      end at the earliest (`therapy-booked-moves-review`).
    Not where the substitution ends before the course begins (the order's own end comes first)."""
    if found.code not in ("stop-planned", "stop-due-soon", "general-stop-review") or not c.facts.bsab:
        return found
    booked: BsAbExposure | None = c["BsAb Booked"]
    episode: Episode | None = c["Current Episode"]
    ends = found.values.get("order_end")
    if booked is None or episode is None or episode.start >= booked.start \
            or isinstance(ends, date) and ends < booked.start:
        return found
    review = first_general_review(c.params, episode.start, add_months(booked.start, c.params.window_months))
    values = {**found.values, "booked_therapy": booked.drug, "booked_therapy_start": booked.start,
              "booked_therapy_review": review}
    evidence = found.evidence + (booked.source,)
    if found.code == "general-stop-review":
        due = found.values.get("due_date")
        if found.variant != "info" or not isinstance(due, date) or booked.start > due or review <= due:
            return found
        return replace(found, caveats=found.caveats + ("therapy-booked-moves-review",), evidence=evidence,
                       values={**values, "due_date": review, "due_without_therapy": due})
    stop: date | None = c["Stop Date"]
    if stop is None or booked.start > stop:
        return found
    return replace(found, caveats=found.caveats + ("therapy-booked-moves-stop",), evidence=evidence, values=values,
                   suggestions=tuple(s for s in found.suggestions if s != "set-ig-end"))


@define("Stop Advice", "On substitution: when to pause or review it (§4.2)")
def stop_advice(c: Context) -> tuple[Advice, ...]:
    return tuple(_with_bsab_booked(c, found) for found in _stop_advice(c))


def _stop_advice(c: Context) -> tuple[Advice, ...]:
    """The cards of `Stop Advice`, before a bsAb booked ahead is named (`_with_bsab_booked`)."""
    episode = c["Current Episode"]
    if c["Special Stop Applies"]:
        days = c["Days To Stop Date"]
        # the orders running today: active, or completed with an end still ahead (an 'as of' day before the end
        # the course ran to); a medication record (MedicationStatement) that runs today tells its end too, though
        # no suggestion can update it
        running = [x for x in episode.courses if not from_doses(x) and _active_on(x, c.today, c.known_on)]
        orders = [x for x in running if is_order(x)]
        records = [x for x in running if not is_order(x)]
        # an order booked to begin (a switch of route, a course booked ahead) carries the substitution on
        booked = [x for x in c["Planned IG Courses"] if x not in orders]
        orders += booked
        dose_courses = [x for x in episode.courses if from_doses(x) and _active_on(x, c.today, c.known_on)]
        needs_end = any(x.end is None or x.end > c["Stop Date"] for x in orders + records)
        # the day the orders end when they all end by the stop date (a course of doses has no order to end)
        ends = None if needs_end or dose_courses else max((x.end for x in orders + records if x.end), default=None)
        earlier = "order-ends-earlier" if ends and ends < c["Stop Date"] else ""  # not lengthened to the stop date
        # Before the stop date only orders that run past it are ended on it (an earlier end is never lengthened);
        # an order booked to begin on or after it cannot end on it (no end before a start): it is put on hold.
        # each order once, though a chart may hold it twice (a resource sent in two prefetch keys, a replayed bundle)
        # (active orders only: a completed one running past the stop date is a closed record no suggestion can change)
        ending = tuple(dict.fromkeys(x.source for x in orders if x.status == "active"
                                     and x.start < c["Stop Date"] and (x.end is None or x.end > c["Stop Date"])))
        booked_after = tuple(dict.fromkeys(x.source for x in orders if x.start >= c["Stop Date"]))
        before = (("set-ig-end",) if ending else ()) + (("hold-booked-ig",) if booked_after else ())
        # the day the booked order is to begin: a clinician holding it needs to know which order, and from when
        split: dict[str, Value] = {"booked_after": booked_after, "booked_start": min(
            x.start for x in orders if x.start >= c["Stop Date"])} if booked_after else {}
        # only a medication record keeps the course running today (no order, booked order or dose): there is no order
        # to end or pause, and the card says what to do with the record instead
        record_only = bool(records) and not orders and not dose_courses
        if record_only:  # the record's own end, not an order's, when it ends by the stop date
            earlier = earlier.replace("order-", "record-")
        if days > c.params.stop_due_soon_days:
            variant = "doses" if not orders and not records else "booked-after-stop" if booked_after and not ending \
                else earlier or ("record" if record_only else "")
            found = build_advice(c, "stop-planned", "Stop Advice", variant, evidence=(episode,), order_end=ends,
                                 suggestions=before, more=split)
            return (replace(found, targets=ending + booked_after) if before else found,)
        code = "stop-due-soon" if days >= 0 else "stop-overdue"
        ends_in_time = ends is not None
        tendency, reasons, notes, values = stop_attempt_weighing(c)
        # Before the stop date the pause is set for the stop date (the order ends on it), not applied now: putting
        # the order on hold today would pause up to `stop_due_soon_days` early. An order booked to begin on or
        # after the stop date is put on hold; on the day, every order is.
        early = days > 0 and bool(before)
        suggestions = before if early else () if ends_in_time else ("hold-ig",)
        on_stop = "order-ends-on-stop" if ends is not None and ends == c["Stop Date"] else ""  # nothing to change
        if record_only:
            on_stop = on_stop.replace("order-", "record-")
        # a course of doses only has no order to pause: the overdue card names the last dose given, since "still
        # active" is then only the dose course's span after it (a stop made on time looks the same for those days)
        doses_only = code == "stop-overdue" and not orders and not records and bool(dose_courses)
        if doses_only:
            span = timedelta(days=c.params.ig_administration_course_days)
            values = {**values, "last_dose": max(x.end for x in dose_courses if x.end) - span}
        variant = (earlier or on_stop) if code == "stop-due-soon" else "doses" if doses_only else ""
        if record_only and not variant:
            variant, suggestions = "record", ()  # nothing for an order-changing suggestion to act on
        if code == "stop-overdue" and orders + records and all(x.end is not None for x in orders + records):
            # every order running past the stop date has an end (a short extension set on it, §4.2): the card names
            # the day the course is planned to end, so a clinician who set it reads it beside "pause now"
            values = {**values, "ordered_until": max(x.end for x in orders + records if x.end is not None)}
        found = build_advice(c, code, "Stop Advice", variant,
                             evidence=(episode, *tendency),
                             suggestions=suggestions, ends_in_time=ends_in_time,
                             override_reasons=reasons, extra_caveats=notes,
                             order_end=ends, days_overdue=-days, more={**values, **(split if early else {})})
        if early:
            return (replace(found, targets=ending + booked_after),)
        targets = tuple(dict.fromkeys((*found.targets, *(x.source for x in booked))))
        if days > 0:  # before the stop date an order that ends by it is left to end: no pause days early
            in_time = {x.source for x in orders if x.end is not None and x.end <= c["Stop Date"]}
            targets = tuple(t for t in targets if t not in in_time)
        return (replace(found, targets=targets),)
    reviews: ReviewDates = c["General Review Due Dates"]
    next_due, due_now = reviews.next_due, reviews.due_now
    evidence = (episode, *c["Infections Before Substitution"])
    values = infection_values(c["Infections Before Substitution"])
    unmet, unmet_values = without_general_criteria(c)
    values.update(unmet_values)
    reason = c["General Stop Reason"]
    before = c["Course Before The Restart"]
    if before is not None:  # a restart says after what, so a clinician who switched route or product sees the gap
        after, gap = _restart_gap(c, episode, before)
        values.update(after, restart_gap_days=gap)
    if due_now:
        return (build_advice(c, "general-stop-review", "Stop Advice", "due", evidence=evidence, extra_caveats=unmet,
                             suggestions=("hold-ig",), override_reasons=("infections-persist", "specialist-decision"),
                             due_date=due_now, reason=reason, more=values),)
    # every order ends before the next review (an end set for the stop date of an earlier window, say) and no
    # recorded doses or booked order go on: the card says so instead of naming only a review after that end
    # (orders and medication records running today, as for the special stop, and orders booked to begin)
    orders = [x for x in episode.courses if not from_doses(x) and _active_on(x, c.today, c.known_on)] + [
        x for x in c["Planned IG Courses"] if x not in episode.courses]
    doses = any(from_doses(x) and _active_on(x, c.today, c.known_on) for x in episode.courses)
    ends = None if doses or not orders or any(x.end is None for x in orders) else max(x.end for x in orders)
    if ends is not None and next_due is not None and ends < next_due:
        # only medication records run (no order, booked order or dose): the card names the record's end, not an order's
        variant = "order-ends-earlier" if any(is_order(x) for x in orders) else "record-ends-earlier"
        return (build_advice(c, "general-stop-review", "Stop Advice", variant, evidence=evidence, extra_caveats=unmet,
                             due_date=next_due, reason=reason, order_end=ends, more=values),)
    if unmet:  # a course no criterion supported (§4.3): a stop to weigh now, not only a review months ahead
        return (build_advice(c, "general-stop-review", "Stop Advice", "criteria-not-met", evidence=evidence,
                             suggestions=("hold-ig",), override_reasons=("infection-not-coded", "specialist-decision"),
                             due_date=next_due, reason=reason, more=values),)
    return (build_advice(c, "general-stop-review", "Stop Advice", "info", evidence=evidence,
                         due_date=next_due, reason=reason, more=values),)


def _booked_without_general_criteria(c: Context) -> tuple[Advice, ...]:
    """An order booked to begin, the patient not on substitution, that patient-view will judge a course begun without
    the general criteria on its first day (`Course Began Without General Criteria`, read as of that day: no severe or
    recurrent verified bacterial infection in the look-back before it, and no renewal, switch, resumption or new bsAb
    window that carries it): said while the booking can still be put on hold (§4.3). The order hooks said so of its
    draft; patient-view said nothing for the 40 days between its signing and its first dose. Not for a medication
    record alone (no order to hold)."""
    planned: tuple[IgCourse, ...] = c["Planned IG Courses"]
    orders = tuple(dict.fromkeys(x.source for x in planned if is_order(x) and x.status == "active"))
    if c["Stop Date"] is None or c["Current Episode"] is not None or not orders:
        return ()
    first = min(planned, key=lambda x: (x.start, x.source))
    then = Context(c.facts, first.start, c.params, c.library, known_on=c.known_on, read_on=c.read_on)
    since: date | None = then["Course Began Without General Criteria"]
    if since is None:
        return ()
    found = build_advice(c, "no-start-without-infections", "Start Advice", "booked-after-window",
                         igg=c["Latest Usable IgG"], suggestions=("hold-booked-ig",),
                         override_reasons=("infection-not-coded", "specialist-decision"),
                         booked_after=orders, booked_start=first.start, criteria_since=since,
                         episode_start=first.start, episode_product=first.product)
    return (replace(found, targets=orders, evidence=found.evidence + (first.source,)),)


@define("Start Advice", "Not on substitution: whether to start or measure (§4.1, §4.3)")
def start_advice(c: Context) -> tuple[Advice, ...]:
    if c["Substitution Planned"]:  # a course is booked to begin: nothing to start
        return _booked_without_general_criteria(c)
    used, stale = c["Latest Usable IgG"], c["Usable IgG Is Stale"]
    low = used is not None and used.below(c.params.igg_start_threshold_g_l)
    under_6 = used is not None and not low and used.below(c.params.igg_general_threshold_g_l)
    indeterminate = c["Usable IgG Indeterminate"]  # "<6.0" or ">3.9": neither low nor in the band
    unclear = indeterminate == c.params.igg_start_threshold_g_l  # only a new IgG can decide a start
    under_6 = under_6 and indeterminate is None
    infections = c["Recent Severe Or Recurrent Infections"]
    latest = c["Latest IgG"]
    caveats = ("igg-during-substitution-ignored",) if latest is not None and (used is None or latest.result != used.result) else ()
    # the IgG as the laboratory reported it: polyclonal IgG (total less an M-protein) is no figure the chart shows
    ignored = ignored_igg_values(c, latest.result) if caveats else {}

    def advise(code: str, variant: str = "", *, evidence: tuple[Evidence, ...] = (), suggestions: tuple[str, ...] = (),
               override_reasons: tuple[str, ...] | None = None, extra_caveats: tuple[str, ...] = (),
               more: Mapping[str, Value] = EMPTY, **values: Value) -> tuple[Advice, ...]:
        return (build_advice(c, code, "Start Advice", variant, igg=used, evidence=evidence, suggestions=suggestions,
                             override_reasons=override_reasons, extra_caveats=extra_caveats + caveats,
                             more={**ignored, **more}, **values),)

    if not c["General Criteria Apply"]:
        if low:
            because = c["Infections Since Lookback"]
            general_stop = bool(because) or bool(c["Substitution Before T0"])
            late = c["Days To Stop Date"] < c.params.late_start_notice_days
            notes = (("stale-igg-supports-start",) if stale else ()) + (("late-in-window",) if late else ())
            if general_stop:
                return advise("start-substitution", "general-stop", evidence=because, suggestions=("order-ig",),
                              extra_caveats=notes, reason=c["General Stop Reason"], more=infection_values(because))
            booked: BsAbExposure | None = c["BsAb Booked"] if c.facts.bsab else None
            if booked is not None and booked.start <= c["Stop Date"]:
                # begun now, substitution is begun before that course, and follows the general stop criteria once it
                # has begun (§4.2), as an order card beside it says: no order ending on the stop date
                [found] = advise("start-substitution", "general-stop", evidence=because, suggestions=("order-ig",),
                                 extra_caveats=notes, reason="before-booked-therapy",
                                 more={"session_therapy": booked.drug, "session_therapy_start": booked.start,
                                       "session_therapy_booked": True})
                return (replace(found, evidence=found.evidence + (booked.source,)),)
            return advise("start-substitution", evidence=because, suggestions=("order-ig-until-stop",),
                          extra_caveats=notes)
        if used is None or stale:
            return advise("measure-igg", "no-igg-since-t0" if used is None else "stale",
                          **_measure(c, no_usable_igg=used is None))
        if unclear:
            return advise("measure-igg", _indeterminate(used), **_measure(c))
    elif infections:
        if used is None or stale:
            return advise("measure-igg", "infections-no-recent-igg", evidence=infections,
                          **_measure(c, infection_values(infections), no_usable_igg=used is None))
        if low:  # after a stop (or a pause), antibiotic prophylaxis can be tried when infections come (§4.3)
            return advise("start-meets-general-criteria", "after-stop" if c["IG Courses"] else "", evidence=infections,
                          suggestions=("order-ig",), restart=c["Is Restart"],
                          more={**infection_values(infections), **_general_stop_if_begun_today(c)})
        if unclear:
            return advise("measure-igg", _indeterminate(used), evidence=infections,
                          **_measure(c, infection_values(infections)))
    elif low:
        seen = c["Recent Bacterial Infections"]  # counted, but neither severe nor recurrent
        variant = "" if c["IG Courses"] else "no-substitution"  # prophylaxis "after a stop" needs a stop (§4.3)
        told: dict[str, Value] = {}  # what the card says besides (`_resumable`, the washout)
        if variant == "" and used is not None and _predates_substitution(c, used.result):
            variant = "igg-before-substitution"  # the IgG the course began on: no measure of recovery (§3.4)
        elif variant == "" and used is not None and taken_on_substitution(c, used.result):
            variant = "igg-on-substitution"  # low on it: the patient's own IgG is low, recovery unknown (§3.4)
            told = {"igg_in_washout": True} if taken_in_washout_only(c, used.result) else {}
        if variant in ("igg-before-substitution", "igg-on-substitution"):  # the IgG off substitution to measure, and
            # from when one counts: drawn in the washout it would be set aside again (§3.4)
            told = {**told, **({"igg_off_from": off} if (off := washout_ends(c)) is not None else {})}
        if variant in ("", "igg-before-substitution", "igg-on-substitution") and c["Is Restart"] and c["In Window"]:
            # the summary says it is a restart, or IgG < 4 in the window reads as enough (§4.1 against §4.3)
            variant = "-".join(filter(None, ("restart-in-window", variant)))
            joins = _resumable(c)
            if joins is not None:  # ... unless a new order begun in time joins the course that ended or is on hold:
                # the same course, no restart, as the order hooks judge it
                caveat, day, by, began = joins
                # the summary leads with the day, the window line says a restart comes after it and after what: the
                # last dose of a course on hold or reached by its doses, unless Ig was begun after that dose (a later
                # course the line then names by its end, as a restart card does), or the course's end
                later = caveat != "ended" and any(day < x.start <= c.today for x in c["IG Courses"])
                # with the stop date due, a course resumed would run only days to it: the lapse is the stop attempt,
                # and the card does not invite a resumption (the order hooks still judge an order begun by then as
                # continuing the course, up to its stop date)
                variant = "restart-in-window-lapsed-at-stop" if _stop_due(c, day, began) else "restart-in-window-resumable"
                if variant == "restart-in-window-lapsed-at-stop" and (off := washout_ends(c)) is not None:
                    told = {**told, "igg_off_from": off}  # an IgG drawn sooner would be set aside again (§3.4)
                told = {**told, **({} if later else {_RESUMABLE_DAY[caveat]: day}), "resume_by": by}
        return advise("no-start-without-infections", variant, evidence=seen, restart=c["Is Restart"],
                      override_reasons=("infection-not-coded", "specialist-decision"),
                      more={**seen_values(c, seen), **told})
    if under_6 and not stale:
        # inside the window (no restart) an IgG that falls below the threshold before the stop date still meets the
        # special criterion (§4.1): the card says so, as what to do
        variant = "window" if not c["General Criteria Apply"] and not infections else ""
        if used is not None and used.paraprotein_caveat and (variant or infections):
            # a myeloma whose M-protein may be IgG: polyclonal IgG may be below the threshold, which in the window, or
            # with severe or recurrent infections, meets the criteria for a start; the card leads with that (§7)
            variant = f"{variant}-paraprotein" if variant else "paraprotein"
        return advise("general-criteria-igg-under-6", variant, evidence=infections, more=infection_values(infections))
    if used is not None and used.paraprotein_caveat and not stale:
        return (_paraprotein_advice(c, used, caveats, ignored),)
    return ()


# the value each kind of resumption names its day by (`_resumable`), on the card's window line (the cards' FACT
# `restart-*-resumable`; no caveat repeats the day: the summary of `restart-in-window-resumable` says it)
_RESUMABLE_DAY = {"on-hold": "on_hold_last_dose", "ended": "ig_ended",
                  "doses": "ig_last_given"}


def _stop_due(c: Context, last: date, began: date) -> bool:
    """Whether the stop date of the course a new order would join (`_resumable`: `last`, a day it ran; `began`, its
    start) is due today: at most `stop_due_soon_days` ahead (clinical rules §4), and the course held to it: the
    special stop applied to it as of that day (not substitution paused for the infusion, a restart, a start because of
    infections), and no bsAb course is booked to begin by the stop date (once begun, the general criteria apply:
    `BsAb Booked`). An order on hold runs on no day (FHIR dates no pause): read from its start instead, as the first
    course since T0, begun in the window without infections before it and no substitution before T0."""
    stop: date | None = c["Stop Date"]
    if stop is None or (stop - c.today).days > c.params.stop_due_soon_days:
        return False
    booked: BsAbExposure | None = c["BsAb Booked"] if c.facts.bsab else None
    if booked is not None and booked.start <= stop:
        return False
    then = Context(c.facts, last, c.params, c.library, known_on=c.known_on, read_on=c.read_on)
    if then["Current Episode"] is not None:
        return bool(then["Special Stop Applies"]) and then["Stop Date"] == stop
    t0: date | None = c["T0"]
    return t0 is not None and t0 <= began < stop and not c["Substitution Before T0"] \
        and not any(x.start < began for x in c["IG Courses Since T0"]) \
        and not _infections_between(c, _before_t0(c), began)


def _resumable(c: Context) -> tuple[str, date, date, date] | None:
    """(its kind, the day it names, the last day a new order joins the course, the course's start) where a new order
    begun by that day
    joins a course that ended or is on hold (`Current Episode`): the same course and no restart (§4.3), as the order
    hooks judge it, and the card against a restart says so. A course on hold reaches by its last dose recorded, the
    course days past it and the continuity gap (`_paused_reaches`); one that ended by its last day and the gap, or by a
    dose the course days before (`_dose_reaches`), a course of doses by its last dose; one stopped on a day the data
    does not tell reaches nothing. Never the stop date or later (from then on, a restart after the stop attempt). Of
    several, the one that reaches furthest; None when no day is left."""
    gap = timedelta(days=c.params.ig_continuity_gap_days)
    span = timedelta(days=c.params.ig_administration_course_days)
    best: tuple[str, date, date, date] | None = None
    for x in c["IG Courses"]:
        if x.start > c.today or not _written_by(x, c.today) or not _has_ended(x, c.today, c.known_on):
            continue
        last = _last_dose_in(c, x) if x.status == "on-hold" or is_order(x) else None
        end = None if x.status == "on-hold" else _last_day(x, c.known_on)
        if x.status == "on-hold" and last is not None:
            found = ("on-hold", last, _paused_reach(c, last), x.start)
        elif end is not None and from_doses(x):  # its last day is the course days after its last dose
            found = ("doses", end - span, end + gap, x.start)
        elif end is not None and last is not None and last + span > end + gap:
            found = ("doses", last, last + span, x.start)
        elif end is not None:
            found = ("ended", end, end + gap, x.start)
        else:
            continue
        if best is None or found[2] > best[2]:
            best = found
    if best is None or c["Stop Date"] is None:
        return None
    by = min(best[2], c["Stop Date"] - timedelta(days=1))
    if by < c.today or _joins_a_course_without_criteria(c, best[1]):
        return None
    return best[0], best[1], by, best[3]


def _joins_a_course_without_criteria(c: Context, last: date) -> bool:
    """The course a new order would join was, on its last day `last`, itself one no criterion supported (a restart
    without severe or recurrent infections: `Course Began Without General Criteria`): the order hooks judge every
    order continuing it as not meeting the criteria, so a day that makes it "the same course" changes nothing there
    and the card names none. Read as of that day; a course not running then (an order on hold: FHIR dates no pause)
    is not judged so."""
    then = Context(c.facts, last, c.params, c.library, known_on=c.known_on, read_on=c.read_on)
    return then["Current Episode"] is not None and then["Course Began Without General Criteria"] is not None


def _predates_substitution(c: Context, result: IgGResult) -> bool:
    """The IgG was taken before the latest course of substitution begun by today: none was taken off substitution since
    it, so the card has no IgG that could show recovery (§3.4), only the one before the course."""
    starts = [x.start for x in c["IG Courses"] if x.start <= c.today]
    return bool(starts) and result.date < max(starts)


@define("IgG On Its Way", "Total IgG the laboratory has registered but not resulted (Observation registered or "
        "preliminary), taken on or before today, within the pending limit, on or after T0 and after the IgG the start "
        "decision uses: the IgG to measure is being measured, so no second IgG order is suggested")
def igg_on_its_way(c: Context) -> tuple[IgGPending, ...]:
    used: IgGUsed | None = c["Latest Usable IgG"]
    t0 = c["T0"]
    return tuple(p for p in c.facts.igg_pending
                 if p.date <= c.read_on and (c.read_on - p.date).days <= c.params.igg_pending_days  # on its way the
                 # day the card is read (a draft judged on its planned start: that day, not the start)
                 and (t0 is None or p.date >= t0) and (used is None or p.date > used.result.date))


def igg_order_or_pending(c: Context) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, Value]]:
    """An IgG measurement is needed: (suggestions, caveats, values) — an IgG order to sign, or, when the laboratory
    has one registered and not resulted yet, none and a note naming it (its latest)."""
    pending: tuple[IgGPending, ...] = c["IgG On Its Way"]
    if not pending:
        return ("order-igg",), (), {}
    latest = max(pending, key=lambda p: (p.date, p.source))
    return (), ("igg-pending",), {"igg_pending_date": latest.date, "igg_pending_source": latest.source}


def _measure(c: Context, more: Mapping[str, Value] = EMPTY, no_usable_igg: bool = False) -> dict[str, Any]:
    """The measure-igg card's suggestion, caveat and values (`igg_order_or_pending`), with `more` values; on a card
    with no usable IgG (`no_usable_igg`), the IgG results it saw and did not use (`igg_seen_not_used`)."""
    suggestions, caveats, values = igg_order_or_pending(c)
    seen, seen_values = igg_seen_not_used(c, awaited=bool(caveats)) if no_usable_igg else ((), {})
    return {"suggestions": suggestions, "extra_caveats": caveats + seen, "more": {**more, **values, **seen_values}}


def igg_seen_not_used(c: Context, awaited: bool = False) -> tuple[tuple[str, ...], dict[str, Value]]:
    """A card with no usable IgG names the IgG it saw and did not use (§7: data seen and not used is named), so that a
    clinician who sees an IgG in the chart knows why the card asks for one: inside the window the newest total IgG
    taken before T0 (only results since T0 count there: `Relevant IgG Results`), and the newest IgG subclass (not
    total IgG: `IgGSubclass`). `awaited`: an IgG since T0 awaits its result (`igg-pending`): the caveat does not also
    say to measure one now. (caveats, values)"""
    caveats: list[str] = []
    values: dict[str, Value] = {}
    t0: date | None = c["T0"]
    before = [r for r in _usable_igg(c) if t0 is not None and r.date < t0] if c["In Window"] else []
    if before:
        last = max(before, key=lambda r: (r.date, r.taken, r.source))
        caveats.append("igg-before-t0-awaited" if awaited else "igg-before-t0")
        values.update(pre_t0_igg=last.value_g_l, pre_t0_igg_comparator=last.comparator, pre_t0_igg_date=last.date,
                      pre_t0_igg_source=last.source)
    subclasses = [x for x in c.facts.igg_subclasses if x.date <= c.today]
    if subclasses:
        newest = max(subclasses, key=lambda x: (x.date, x.source))
        caveats.append("igg-subclass-not-used")
        values.update(igg_subclass=newest.display, igg_subclass_code=newest.code, igg_subclass_reported=newest.reported,
                      igg_subclass_date=newest.date, igg_subclass_source=newest.source)
    return tuple(caveats), values


def _indeterminate(used: IgGUsed | None) -> str:
    """The measure-igg variant for an IgG that cannot be placed: a bound the laboratory reported for
    the IgG, or for the M-protein subtracted from it; an IgG M-protein found but not quantified ("spor")
    asks for its figure; bounds that leave polyclonal IgG unbounded below ask for both figures."""
    if used is None:
        return "indeterminate"
    if used.no_bound:
        return "m-protein-no-bound"
    if used.m_protein is None:
        return "indeterminate"
    return "m-protein-not-quantified" if used.m_protein.unquantified else "indeterminate-m-protein"


def _paraprotein_advice(c: Context, used: IgGUsed, caveats: tuple[str, ...], ignored: Mapping[str, Value]) -> Advice:
    """No other advice, but an IgG paraprotein of unknown type could change the decision: say so (clinical-rules §7)."""
    m, isotype = _nearest_m_protein(c, used.result)
    total = used.result.value_g_l
    low = _lowest_if_igg(total, m) if m is not None else _less(total, _unmeasured_margin(c, used.result, isotype))
    crossed = min(t for t in (c.params.igg_start_threshold_g_l, c.params.igg_general_threshold_g_l) if low < t <= total)
    values: dict[str, Value] = {**ignored, "paraprotein_threshold": crossed}
    igg = used
    if m is not None:
        values.update(untyped_m_protein=m.value_g_l, untyped_m_protein_date=m.date, untyped_m_protein_reported=m.reported,
                      polyclonal_if_igg=max(_less(total, m.value_g_l), 0.0), untyped_m_protein_comparator=m.comparator,
                      polyclonal_if_igg_comparator=_POLYCLONAL_BOUND.get(m.comparator, ""))
        igg = IgGUsed(used.result, used.value_g_l, None, (*used.sources, m.source), used.paraprotein_caveat)
    unread = _unread_m_protein_near(c, used.result) if m is None and isotype != "IgG" else None
    variant = "m-protein" if m is not None else "igg-no-m-protein" if isotype == "IgG" \
        else "m-protein-unread" if unread is not None else ""
    if variant == "igg-no-m-protein":
        values.update(_last_m_protein_values(c, used.result))
    if unread is not None:
        values.update(_unread_values(unread))
        igg = IgGUsed(used.result, used.value_g_l, None, (*used.sources, unread.source), used.paraprotein_caveat)
    return build_advice(c, "paraprotein-type-unknown", "Start Advice", variant, igg=igg,
                        extra_caveats=caveats, more=values)


def _birth_date_notes(c: Context) -> list[DataNote]:
    """The birth date not used (after the evaluation day or T0): named, so that the "birth date unknown" a card then
    says can be checked against the chart."""
    found: tuple[date, str] | None = c["Birth Date Not Used"]
    patient = c.facts.patient
    if found is None or patient is None or patient.birth_date is None:
        return []
    day, what = found
    after = "the evaluation day" if what == "today" else f"the CAR-T or bsAb therapy of {day.isoformat()}"
    return [DataNote(f"birth-date-after-{what}", patient.source, f"birth date {patient.birth_date.isoformat()} is "
                     f"after {after}: not used (read as unknown: the patient is taken to be an adult)",
                     patient.birth_date.isoformat(), day)]


@define("Data Notes", "What the rules saw and did not use, and why (implausible IgG, infections without "
        "bacterial evidence, cultures without a diagnosis)")
def data_notes(c: Context) -> tuple[DataNote, ...]:
    if c["Is Deceased"]:
        return ()
    notes = _birth_date_notes(c)
    notes += [DataNote("igg-implausible", r.source, f"IgG {r.value_g_l:g} g/L is not plausible (at or below 0, or above "
                      f"{c.params.igg_max_plausible_g_l:g} g/L): not used", f"{r.comparator}{r.value_g_l:g}", r.date)
             for r in c["Implausible IgG Results"]]
    notes += [DataNote("infection-not-counted", i.source, "not a bacterial infection by its code, and no positive "
                       f"bacterial culture within {c.params.culture_window_days} days of its onset: not counted",
                       i.display, i.onset) if i.organism == "unspecified" else
              DataNote("infection-bacterial-not-counted", i.source, "a bacterial infection of a kind the criteria are "
                       "not read to count (infection-other, bacterial_not_counted: mycobacterial, sexually transmitted, "
                       "treponemal, vector-borne, chlamydial, neonatal or obstetric tetanus, C. difficile colitis): not "
                       "counted; the clinician judges it", i.display, i.onset)
              if i.bacterial_not_counted else
              DataNote("infection-not-bacterial", i.source, "a viral or fungal infection by its code: not counted "
                       "(a culture does not change that)", i.display, i.onset)
              for i in c["Infections Not Counted"]]
    notes += [DataNote("bsab-end-unknown", before.source, f"{before.drug} stopped with no end date: the gap to the "
                       f"next order ({(after.date - before.start).days} days from this one's start) made "
                       f"{after.date.isoformat()} a new course (T0)", before.drug, before.start)
              for before, after in c["BsAb Courses After An Unknown End"]]
    notes += [DataNote("car-t-same-treatment", again.source, f"CAR-T recorded again {(again.date - first.date).days} "
                       f"days after {first.date.isoformat()} ({first.source}): the same treatment, dated by its "
                       f"first day {first.date.isoformat()}", first.date.isoformat(), again.date)
              for first, again in c["CAR-T Records Of The Same Treatment"]]
    notes += [DataNote("infection-severity-not-read", i.infection.source, f"its severity is given as "
                       f"'{i.infection.severity_text}' with no SNOMED CT code: not read, so the infection does not "
                       "count as severe", i.infection.severity_text, i.onset, record_words=True)
              for i in c["Recent Bacterial Infections"] if not i.severe and i.infection.severity_text]
    notes += _admission_notes(c)
    notes += [_culture_note(c, x) for x in c["Cultures Without Diagnosis"]]
    notes += [DataNote("igg-below-m-protein", r.source, f"IgG {r.comparator}{r.value_g_l:g} g/L is not larger than the "
                       f"IgG M-protein {m.comparator}{m.value_g_l:g} g/L ({m.source}, {m.date.isoformat()}): one of them "
                       "is wrong; not used",
                       _as_reported(r), r.date) for r, m in c["IgG Below Its M-Protein"]]
    notes += _m_protein_not_igg_notes(c)
    notes += [] if not c.facts.ig_by_name else [DataNote("ig-by-name", x.course.source, "immunoglobulin known only by its name, none of its codes in the "
                       "value set 'immunoglobulin-substitution': not used; it may be current substitution, so check "
                       "whether the patient is already on substitution; a site adds its local codes with "
                       "CDS_VALUESET_DIR", RecordText(x.display), x.course.start)
              for x in c["IG Known Only By Name"]]
    if c["In Scope"] and not c["Is Child"] and not c["On Substitution"]:
        named = {x.course.source: RecordText(x.display) for x in c.facts.ig_by_name}  # a plan known by its name: so
        notes += [DataNote("ig-statement-intended", x.source, "immunoglobulin record with status 'intended' whose "
                           f"start {x.start.isoformat()} has come: a plan, not a record that it was given; not used",
                           named.get(x.source) or x.product or "Ig", x.start) if not is_order(x) else
                  DataNote("ig-order-plan", x.source, "immunoglobulin request with the intent of a plan or proposal, "
                           f"not an order, whose start {x.start.isoformat()} has come: not a record that it was given; "
                           "not used", named.get(x.source) or x.product or "Ig", x.start)
                  for x in c["Intended IG Courses Begun"]]
        notes += _start_igg_notes(c)
    # read from the facts first: the rest (and the advice, on an order hook) is evaluated only for such a chart
    if _record_beside_ended_order(c) and any(a.code in STOP_CARD_CODES for a in c["Advice"]):
        notes += [DataNote("statement-past-order-end", record.source, "immunoglobulin record still running today "
                           f"beside the order {order.source} of the same start and product, which ended "
                           f"{order.end.isoformat() if order.end else '?'}: the record alone keeps the course "
                           "running (stop advice); end or update it if the patient has stopped",
                           record.product or order.product or "Ig", order.end)
                  for record, order in c["Records Past Their Order's End"]]
    return tuple(notes)


# The cards about a course that runs: when to pause it (§4.2) or review it under the general criteria.
STOP_CARD_CODES = frozenset({"stop-planned", "stop-due-soon", "stop-overdue", "general-stop-review"})


def _record_beside_ended_order(c: Context) -> bool:
    """A medication record of immunoglobulin taken, begun the same day as an order whose end has passed."""
    starts = {x.start for x in c.facts.ig_courses if x.source.startswith("MedicationStatement/") and not x.intended}
    return bool(starts) and any(is_order(o) and o.end is not None and o.end < c.today and o.start in starts
                                for o in c.facts.ig_courses)


@define("Records Past Their Order's End", "Medication records of immunoglobulin that are the only thing keeping the "
        "substitution running today (no order, recorded doses or booked order runs), each beside an order of the "
        "same product begun the same day whose end date has passed, no dose recorded since: the order ended, the "
        "record says the drug is still taken")
def records_past_order_end(c: Context) -> tuple[tuple[IgCourse, IgCourse], ...]:
    episode = c["Current Episode"]
    if episode is None or c["Planned IG Courses"]:
        return ()
    running = [x for x in episode.courses if _active_on(x, c.today, c.known_on)]
    if not running or any(is_order(x) or from_doses(x) for x in running):
        return ()
    found = []
    for record in running:
        ended = [o for o in c["IG Courses"] if is_order(o) and o.status in ("active", "completed")
                 and o.start == record.start and o.end is not None and o.end < c.today
                 and bool(o.product) and o.product == record.product]
        order = max(ended, key=lambda o: (o.end or o.start, o.source), default=None)
        # a dose recorded after the order's end says the drug is still given: nothing for the record to correct
        if order is not None and order.end is not None and not any(
                order.end < d.date <= c.today and (d.product == record.product or not d.product or not record.product)
                for d in c.facts.ig_administrations):
            found.append((record, order))
    return tuple(found)


@define("Intended IG Courses Begun", "Medication records of an immunoglobulin course intended (planned), and "
        "immunoglobulin requests whose intent is a plan or proposal (no order), whose start "
        "has come and whose planned end, if any, has not passed (a request's: or fell on or after T0, since a plan "
        "completed says it was carried out, and carried out since T0 makes a start a restart): whether it was given "
        "they do not say; coded, or known only by their name (read as a coded one would be)")
def intended_courses_begun(c: Context) -> tuple[IgCourse, ...]:
    t0: date | None = c["T0"]
    by_name = tuple(x.course for x in c.facts.ig_by_name if not x.dose)
    return tuple(x for x in (*c.facts.ig_courses, *by_name) if x.intended and x.start <= c.today
                 and (x.end is None or x.end >= c.today or (is_order(x) and t0 is not None and x.end >= t0)))


def _as_reported(result: IgGResult) -> str:
    """An IgG value for a data note, with its comparator and one to three decimals ("<6.0", "3.25"), as the card
    shows it: a value converted from another unit (26.7 umol/L = 4.00233 g/L) is not shown to six digits."""
    shown = f"{result.value_g_l:.3f}".rstrip("0")
    return f"{result.comparator}{shown}0" if shown.endswith(".") else f"{result.comparator}{shown}"


def _taken_parts(result: IgGResult) -> tuple[str, str, bool, bool]:
    """(sample instant, "" for a day alone, the issue instant for a revision with a day alone; issue instant, "" when
    not given; amended or corrected; a revision sent with its day only, its sample time not given) from
    `IgGResult.taken`."""
    taken, _, issued = result.taken.partition(" ")
    day_only = taken.endswith("~")
    taken = taken.rstrip("~")
    revised = issued.endswith("*") or day_only
    issued = issued.rstrip("*")
    return taken, "" if issued == "~" else issued, revised, day_only


def _superseded(used: IgGResult, other: IgGResult, day: Iterable[IgGResult]) -> bool:
    """Whether the data say the IgG read is the later word on its day than `other`: a revision (amended, corrected)
    beside a result of its own sample time or an earlier one, a sample taken later (both with a time), or one of the
    same sample time issued later where the one not read is no revision. A revision sent with its day only says which
    sample it corrects only where `other` is the day's one sample (a result that is no revision, or a revision with
    its time, which stands for its sample), or a sample taken after `other` is on record (then `other` is superseded
    whichever was corrected). Otherwise (a day alone beside a time, a revision with its time beside a result of the
    day alone, two revisions, no issue time to tell, a day-only revision beside two samples, a correction issued
    before the result of its sample time read over it) the order read is the service's (`_taken`), not the data's."""
    taken_u, issued_u, revised_u, day_only_u = _taken_parts(used)
    taken_o, issued_o, revised_o, _ = _taken_parts(other)
    if revised_u and not revised_o:
        if not day_only_u:  # of its sample time: the result of that time or of an earlier one; a day alone may be later
            return bool(taken_o)
        samples = [(r.source, parts[0]) for r in day if r.source != used.source
                   for parts in (_taken_parts(r),) if not parts[3]]
        return all(source == other.source or taken_o and taken == taken_o and taken for source, taken in samples) \
            or bool(taken_o) and any(taken > taken_o for source, taken in samples if source != other.source)
    timed = bool(taken_u) and bool(taken_o) and not day_only_u
    if timed and taken_u != taken_o:
        return taken_u > taken_o
    return timed and not revised_o and bool(issued_u) and bool(issued_o) and issued_u > issued_o


def same_day_igg_notes(c: Context, found: Iterable[Advice]) -> tuple[DataNote, ...]:
    """Every IgG a card shows (the one it decides on, and the one it names as not used) beside another IgG of the same
    day with another value: the other is named with its value, and whether the data say it was superseded
    (`igg-same-day-superseded`) or the service chose between them (`igg-same-day-unordered`: check which is valid),
    so that a correction read over its original, or a repeat over the morning's result, is never a silent choice."""
    shown = {str(a.values[key]) for a in found for key in ("igg_source", "ignored_igg_source") if a.values.get(key)}
    if not shown or len(c.facts.igg) < 2:
        return ()
    by_source = {r.source: r for r in c.facts.igg}
    notes: dict[str, DataNote] = {}
    for used in sorted((by_source[s] for s in shown if s in by_source), key=lambda r: (r.date, r.source)):
        for other in c.facts.igg:
            if other.date != used.date or other.source == used.source or other.source in shown \
                    or other.source in notes or not _plausible(c, other) \
                    or (other.comparator, other.value_g_l) == (used.comparator, used.value_g_l):
                continue
            known = _superseded(used, other, (r for r in c.facts.igg if r.date == used.date and _plausible(c, r)))
            notes[other.source] = DataNote(
                "igg-same-day-superseded" if known else "igg-same-day-unordered", other.source,
                f"IgG {_as_reported(other)} g/L of the same day as the IgG read ({_as_reported(used)} g/L, "
                f"{used.source}): " + ("that one is a later sample or the laboratory's correction; not used" if known
                                       else "which of the two is the later the data do not tell; the service read the "
                                       "other (a correction, else the one with a time); not used"),
                _as_reported(other), other.date)
    return tuple(notes.values())


def _m_protein_not_igg_notes(c: Context) -> list[DataNote]:
    """An M-protein beside the IgG a card decided on (the nearest within the policy's days) whose type is not IgG
    (IgA, IgM, light chain; by its own code or text, or by the immunofixation): seen and not subtracted, because only an
    IgG M-protein is part of total IgG (§7). Named, so that a clinician who sees a total of 4.5 beside an IgA
    M-protein of 15 g/L knows the rules saw it and why they left it out."""
    if not c.facts.m_protein:
        return []
    by_source = {r.source: r for r in c.facts.igg}
    notes: dict[str, DataNote] = {}
    for a in c["Advice"]:
        result = by_source.get(str(a.values.get("igg_source"))) if a.values.get("m_protein") is None else None
        if result is None:
            continue
        m, isotype = _nearest_m_protein(c, result)
        if m is None or isotype not in NOT_IGG or m.none_found or m.source in notes:
            continue
        figure = f"{m.value_g_l:.3f}".rstrip("0")
        amount = f"“{m.reported}”" if m.reported else f"{m.comparator}{figure}{'0' if figure.endswith('.') else ''} g/L"  # "15.0 g/L"
        notes[m.source] = DataNote("m-protein-not-igg", m.source, f"{isotype} M-protein {amount} beside the IgG of "
                                   f"{result.date.isoformat()} ({result.source}), typed by "
                                   f"{'its own result' if m.isotype else 'immunofixation'}: not subtracted, only an "
                                   "IgG M-protein is part of total IgG", f"{isotype} {amount}", m.date)
    return list(notes.values())


def _start_igg_notes(c: Context) -> list[DataNote]:
    """Why an IgG result did not decide a start: taken on substitution (named when no card says so), or a
    comparator whose bound cannot be placed against a threshold."""
    notes = []
    used = c["Latest Usable IgG"]
    threshold = c["Usable IgG Indeterminate"]
    m = used.m_protein if used is not None else None
    # An M-protein bound is not the IgG's: a card shown with both figures says it, no note needed.
    named = used is not None and used.m_protein is not None and any(
        a.variant in ("indeterminate-m-protein", "m-protein-not-quantified", "m-protein-no-bound") for a in c["Advice"])
    # a stale IgG inside the window gets no 4-6 band card (its measure card names only the start threshold): a note
    # that it cannot be placed against 6 g/L would name a threshold nothing there turns on
    stale_band = (threshold == c.params.igg_general_threshold_g_l and not c["General Criteria Apply"]
                  and c["Usable IgG Is Stale"])
    if used is not None and threshold is not None and not named and not stale_band:
        r = used.result
        amount = "" if m is None else f"“{m.reported}”" if m.reported else f"{m.comparator}{m.value_g_l:g}"
        shown = _as_reported(r) if m is None else f"{_as_reported(r)} − {amount}"
        why = "" if m is None else f" less an IgG M-protein of {amount}" + ("" if m.reported else " g/L")
        notes.append(DataNote("igg-indeterminate", r.source, f"IgG reported as {_as_reported(r)} g/L{why}: "
                              f"cannot tell whether below {threshold:g} g/L; measure again", shown, r.date,
                              threshold))
    # the IgG a card's caveat names as not used is not named again; an earlier one on substitution, which no card
    # names, is
    said = {a.values.get("ignored_igg_source") for a in c["Advice"] if "igg-during-substitution-ignored" in a.caveats}
    skipped = [r for r in c["Relevant IgG Results"] if (used is None or r.date > used.result.date)
               and r.source not in said]
    # one in the washout of immunoglobulin given for another reason (ITP) only is named so: no substitution was given
    notes += [DataNote("igg-during-other-use", r.source, f"IgG {r.comparator}{r.value_g_l:g} g/L was taken within "
                       f"{c.params.igg_washout_days} days after immunoglobulin given for another reason, on no "
                       "substitution (§3.4): not used for start decisions", _as_reported(r), r.date)
              if taken_on_other_use_only(c, r) else
              DataNote("igg-during-substitution", r.source, f"IgG {r.comparator}{r.value_g_l:g} g/L was taken "
                       f"on immunoglobulin or within {c.params.igg_washout_days} days after a course's last day (a course "
                       f"of doses reaches {c.params.ig_administration_course_days} days past its last dose) (§3.4): "
                       "not used for start decisions", _as_reported(r), r.date)
              for r in skipped if taken_on_substitution(c, r)]
    return notes


@define("Advice", "The advice for this patient today: at most one card per situation")
def advice_today(c: Context) -> tuple[Advice, ...]:
    if not c["In Scope"]:
        return (c["Unrecognised Therapy Advice"] + c["Undated Therapy Advice"]  # type: ignore[no-any-return]
                + c["Unrecognised Malignancy Advice"])
    if c["Is Child"]:
        return c["Child Advice"]  # type: ignore[no-any-return]
    found: tuple[Advice, ...] = c["Stop Advice"] if c["On Substitution"] else c["Start Advice"]
    if not c.params.show_information_only_cards:
        found = tuple(a for a in found if not a.information_only)
    return found
