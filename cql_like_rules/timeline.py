"""The dates on which a patient's advice can change, worked out from the facts alone.

The rules depend on "today" only through comparisons with dates derived from the facts
(a result date, T0 + 6 months, a review due date ...). Between two such dates every
comparison gives the same answer, so the advice can only change on one of them. Listing
them lets a timeline evaluate a handful of days instead of every day of a year; the test
suite checks the list against a day-by-day evaluation.

Pure: facts, parameters and a date range in, sorted dates out. Each date carries the
reasons it was listed, so tools can say why a day matters.
"""

from __future__ import annotations

from dataclasses import dataclass
import datetime
from datetime import date, timedelta
from typing import Iterable

from .facts import Facts
from .library import add_months, aged_on, first_general_review
from .parameters import Parameters

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, order=True)
class Candidate:
    """A date on which the advice may change, the kind of reason, and the fact behind it."""

    date: date
    kind: str  # see KINDS
    source: str = ""
    # the index date a reason counts from (a stop date, a review due): true of the day only when that is the T0 in
    # force on it, which the tools that show reasons check (a bsAb's later dose, or a therapy another has followed,
    # is no T0, and its "stop date" no stop date)
    t0: datetime.date | None = None


# The reasons a date is a candidate (wording lives in the tools that show them).
KINDS = (
    "index-event", "stop-due-soon", "stop-date", "after-stop-date", "bsab-gap-end",
    "igg-result", "igg-stale-in-window", "igg-stale-after-window", "igg-pending", "igg-pending-lapsed", "m-protein-result",
    "m-protein-unread",
    "ig-start", "ig-ordered", "ig-planned-start", "ig-planned", "ig-planned-over", "ig-end", "ig-ended", "ig-dose", "ig-doses-end", "ig-washout-ends",
    "ig-resume-ends", "review-due",
    "review-warning-ends",
    "infection-onset", "infection-leaves-lookback", "culture", "culture-window-ends", "immunofixation",
    "late-start-notice", "adult-birthday", "death", "therapy-by-name", "therapy-undated", "therapy-not-given",
    "therapy-asserted", "therapy-ordered", "therapy-booked", "ig-recorded", "diagnosis-recorded",
)


def fact_dates(facts: Facts) -> list[date]:
    """Every date the clinical facts carry (birth date excluded): the default timeline range."""
    days: list[date] = [r.date for r in facts.igg] + [m.date for m in facts.m_protein]
    days += [c.date for c in facts.car_t] + [i.onset for i in facts.infections]
    days += [d.date for d in facts.ig_administrations] + [x.date for x in facts.cultures]
    days += [x.date for x in facts.immunofixation] + [x.date for x in facts.unrecognised_therapies]
    days += [x.date for x in facts.m_protein_unread]
    days += [x.earliest for x in facts.undated_therapies if x.earliest is not None]
    for exposure in facts.bsab:
        days += [exposure.start] + ([exposure.end] if exposure.end else [])
    for course in facts.ig_courses:
        days += [course.start] + ([course.end] if course.end else [])
    return sorted(days)


def index_dates(facts: Facts) -> list[tuple[date, str]]:
    """Every date that could become T0: CAR-T infusions and bsAb exposure starts."""
    found = {(c.date, c.source) for c in facts.car_t} | {(b.start, b.source) for b in facts.bsab}
    return sorted(found)


def first_day_outside(onset: date, months: int) -> date:
    """The first `today` with `today - months` on or after `onset` (calendar months, clamped).

    Month-end clamping makes `onset + months` an approximation (29 February), so step to
    the exact day the rules' comparison flips.
    """
    day = add_months(onset, months)
    while add_months(day - ONE_DAY, -months) >= onset:
        day -= ONE_DAY
    while add_months(day, -months) < onset:
        day += ONE_DAY
    return day


def candidates(facts: Facts, params: Parameters, start: date, end: date) -> list[Candidate]:
    """Every (date, reason) in [start, end] on which the advice may change, sorted."""
    found: list[Candidate] = []
    add = found.append
    for t0, source in index_dates(facts):
        stop = add_months(t0, params.window_months)
        add(Candidate(t0, "index-event", source, t0))
        add(Candidate(stop - timedelta(days=params.stop_due_soon_days), "stop-due-soon", source, t0))
        add(Candidate(stop - timedelta(days=params.late_start_notice_days - 1), "late-start-notice", source, t0))
        add(Candidate(stop, "stop-date", source, t0))
        add(Candidate(stop + ONE_DAY, "after-stop-date", source, t0))
    for therapy in facts.unrecognised_therapies:  # known only by its name: its own card from this day
        add(Candidate(therapy.date, "therapy-by-name", therapy.source))
    for undated in facts.undated_therapies:  # a date with no day: its own card from the first day it can mean
        if undated.earliest is not None:  # (a record of none given, dated: its own card from its day)
            add(Candidate(undated.earliest, "therapy-not-given" if undated.not_given and undated.recorded
                          else "therapy-undated", undated.source))
    # a medication record asserted after the day it tells of: read from then
    for asserted, source in [(x.asserted, x.source) for x in facts.car_t] + [(x.asserted, x.source) for x in facts.bsab]:
        if asserted is not None:
            add(Candidate(asserted, "therapy-asserted", source))
    placed: list[tuple[date | None, date | None, str]] = [(x.written, x.date, x.source) for x in facts.unrecognised_therapies]
    placed += [(x.written, x.earliest, x.source) for x in facts.undated_therapies]
    for written, day, source in placed:  # known by name, or with no day: read from the day its record was written
        if written is not None and (day is None or written > day):
            add(Candidate(written, "therapy-asserted" if source.startswith("MedicationStatement/")
                          else "therapy-ordered", source))
    for exposure in facts.bsab:  # an order written after the start it plans: read from the day it was written; one
        # booked ahead moves the stop or review of substitution begun before it from that day (`BsAb Booked`)
        if exposure.authored is not None and exposure.authored > exposure.start:
            add(Candidate(exposure.authored, "therapy-ordered", exposure.source))
        elif exposure.authored is not None and exposure.active and exposure.authored < exposure.start:
            add(Candidate(exposure.authored, "therapy-booked", exposure.source))
    gap = timedelta(days=params.bsab_course_gap_days)
    for exposure in facts.bsab:
        if not exposure.ongoing:
            last = exposure.end or exposure.start
            # another dose or order of the same drug within the gap, or one running past this one's last day, carries
            # the course on: its gap does not end here
            if not any(x is not exposure and x.drug == exposure.drug and x.start <= last + gap
                       and (x.ongoing or (x.end or x.start) > last) for x in facts.bsab):
                add(Candidate(last + gap + ONE_DAY, "bsab-gap-end", exposure.source))
    for result in facts.igg:
        add(Candidate(result.date, "igg-result", result.source))
        add(Candidate(result.date + timedelta(days=params.stale_days_in_window + 1), "igg-stale-in-window", result.source))
        add(Candidate(result.date + timedelta(days=params.stale_days_after_window + 1), "igg-stale-after-window", result.source))
    for pending in facts.igg_pending:  # an IgG on its way spares the IgG order, up to the pending limit
        add(Candidate(pending.date, "igg-pending", pending.source))
        add(Candidate(pending.date + timedelta(days=params.igg_pending_days + 1), "igg-pending-lapsed", pending.source))
    for m in facts.m_protein:
        add(Candidate(m.date, "m-protein-result", m.source))
    for unread in facts.m_protein_unread:  # one not read near the IgG may make polyclonal IgG unknown (a card)
        add(Candidate(unread.date, "m-protein-unread", unread.source))
    for x in facts.immunofixation:
        add(Candidate(x.date, "immunofixation", x.source))
    for dose in facts.ig_administrations:
        add(Candidate(dose.date, "ig-dose", dose.source))
        add(Candidate(dose.date + timedelta(days=params.ig_administration_course_days + 1), "ig-doses-end", dose.source))
        # a new order no longer joins the course of this dose (`library._resumable`: its course days, then the gap)
        add(Candidate(dose.date + timedelta(days=params.ig_administration_course_days + params.ig_continuity_gap_days
                                            + 1), "ig-resume-ends", dose.source))
        add(Candidate(dose.date + timedelta(days=params.ig_administration_course_days + params.igg_washout_days + 1),
                      "ig-washout-ends", dose.source))
    for other in facts.ig_other_use:  # immunoglobulin for another reason: only its IgG washout can change the advice
        add(Candidate(other.start, "ig-dose", other.source))
        if other.end is not None:
            add(Candidate(other.end + timedelta(days=params.igg_washout_days + 1), "ig-washout-ends", other.source))
            # the last dose of an order for another reason with no end: its washout runs the course days past it
            add(Candidate(other.end + timedelta(days=params.ig_administration_course_days + params.igg_washout_days
                                                + 1), "ig-washout-ends", other.source))
    for by_name in facts.ig_by_name:  # known only by its name: a start card names it while a coded one would count
        record = by_name.course
        ends = record.start + timedelta(days=params.ig_administration_course_days) if by_name.dose else record.end
        for day, why in ((record.authored, "ig-ordered"), (record.start, "ig-dose" if by_name.dose else "ig-start"),
                         (ends + ONE_DAY if ends is not None else None, "ig-doses-end" if by_name.dose else "ig-ended")):
            if day is not None:
                add(Candidate(day, why, record.source))
    for culture in facts.cultures:
        add(Candidate(culture.date, "culture", culture.source))
        add(Candidate(culture.date + timedelta(days=params.culture_window_days + 1), "culture-window-ends",
                      culture.source))
        add(Candidate(first_day_outside(culture.date, params.infection_window_months), "infection-leaves-lookback",
                      culture.source))
    for course in facts.ig_courses:
        add(Candidate(course.start, "ig-planned-start" if course.intended else "ig-start", course.source))
        if course.authored is not None:
            add(Candidate(course.authored, "ig-planned" if course.intended else "ig-recorded"
                          if course.source.startswith("MedicationStatement/") else "ig-ordered", course.source))
        if course.end is not None and course.intended:  # a plan's period over: no course given ended
            add(Candidate(course.end + ONE_DAY, "ig-planned-over", course.source))
        elif course.end is not None:
            add(Candidate(course.end, "ig-end", course.source))
            add(Candidate(course.end + ONE_DAY, "ig-ended", course.source))
            # a new order no longer continues it (`library._resumable`: its last day, then the gap)
            add(Candidate(course.end + timedelta(days=params.ig_continuity_gap_days + 1), "ig-resume-ends",
                          course.source))
    found += _review_dates(facts, params, end)
    # infections, and those not confirmed or known only by name, named where they would decide
    onsets = [(x.onset, x.source) for x in (*facts.infections, *facts.unconfirmed_infections)]
    onsets += [(x.recorded, x.source) for x in facts.infections_by_name if x.recorded is not None]
    for onset, source in onsets:
        add(Candidate(onset, "infection-onset", source))
        add(Candidate(first_day_outside(onset, params.infection_window_months), "infection-leaves-lookback", source))
    for diagnosis in facts.diagnoses:  # in scope from the day the malignancy is on record (often after T0)
        if diagnosis.recorded is not None:
            add(Candidate(diagnosis.recorded, "diagnosis-recorded", diagnosis.source))
    for named in facts.unrecognised_diagnoses:  # known only by its name: its own card from the day it is on record
        if named.recorded is not None:
            add(Candidate(named.recorded, "diagnosis-recorded", named.source))
    patient = facts.patient
    if patient is not None and patient.birth_date is not None:
        add(Candidate(aged_on(patient.birth_date, params.adult_age_years), "adult-birthday", patient.source))
    if patient is not None and patient.deceased_date is not None:
        add(Candidate(patient.deceased_date, "death", patient.source))
    return sorted({c for c in found if start <= c.date <= end})


def _review_dates(facts: Facts, params: Parameters, end: date) -> Iterable[Candidate]:
    """General stop reviews: due at max(episode start + 6 months, stop date), then every 6 months.

    An episode starts on some course's start; T0 is one of the index dates. Trying every
    pair over-lists a little, which costs an evaluation, never a missed change.
    """
    stops = {(t0, add_months(t0, params.window_months)) for t0, _ in index_dates(facts)}
    for start, source in [(course.start, course.source) for course in facts.ig_courses] + _dose_course_starts(facts, params):
        for t0, stop in sorted(stops):
            first = first_general_review(params, start, stop)
            k = 0
            while (due := add_months(first, params.general_review_every_months * k)) <= end:
                yield Candidate(due, "review-due", source, t0)
                yield Candidate(due + timedelta(days=params.general_review_due_days), "review-warning-ends", source, t0)
                k += 1


def _dose_course_starts(facts: Facts, params: Parameters) -> list[tuple[date, str]]:
    """The first dose of each run of recorded doses no more than the course days apart: where a course made of doses
    (`library.ig_administration_courses`) can start, and so an episode reviewed by the general criteria. A run that an
    order's period claims is listed too: an evaluation too many, never a review day missed."""
    span = timedelta(days=params.ig_administration_course_days)
    starts: list[tuple[date, str]] = []
    previous: date | None = None
    for dose in sorted(facts.ig_administrations, key=lambda d: (d.date, d.source)):
        if previous is None or dose.date - previous > span:
            starts.append((dose.date, dose.source))
        previous = dose.date
    return starts


def candidate_dates(facts: Facts, params: Parameters, start: date, end: date) -> list[date]:
    """The sorted distinct dates in [start, end] on which the advice may change."""
    return sorted({c.date for c in candidates(facts, params, start, end)})
