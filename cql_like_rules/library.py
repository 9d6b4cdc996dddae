"""IgGSubstitutionAfterCarTBsAb — the clinical rules as named definitions.

Source guideline: Medicinrådet (Danish Medicines Council), supplement to the guideline on
immunoglobulin substitution in secondary immunodeficiency: criteria for patients with
malignant haematological disease treated with CAR-T or bispecific antibodies directed at
B-cell or plasma-cell antigens (2025), section 4.

Assumptions where the guideline is not specific (each is a parameter in `parameters.py`):
- T0 is the most recent index event (CAR-T infusion or bsAb course start); a bsAb
  interruption shorter than `bsab_course_gap_days` is a resumption, not a new start.
- Children (under `adult_age_years` at T0) get one card asking for individual assessment.
- The supplement needs a haematological malignancy (`malignancy_requirement`).
- IgG is stale after `stale_days_in_window` / `stale_days_after_window` days; inside the
  window only results on or after T0 count.
- "Severe" = coded severe or a severe-infection code; "recurrent" = at least
  `recurrent_min_episodes` episodes `recurrent_min_days_apart` days apart, looked for in
  the `infection_window_months` before today.
- An IgG-isotype M-protein within `m_protein_max_days_apart` days is subtracted.
- An IgG taken during substitution or within `igg_washout_days` after it reflects infused
  immunoglobulin (§3.4): start decisions use only IgG taken off substitution.
- Immunoglobulin that ended within `prior_substitution_days` before T0 counts as
  substitution "before CAR-T/bsAb" (§4.2): general stop criteria.
- A `stopped` order whose planned end lies ahead was stopped early, on an unknown day.
- General stop reviews are due at max(IG start + 6 months, stop date), then every 6
  months, and shown as warnings for `general_review_due_days` days from each due date.

Facts in (`facts.Facts`), advice out (`advice.Advice`); every definition is a pure
function of the facts, "today" and the parameters.
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import date, timedelta


from .advice import Advice
from .engine import Context, Library
from .facts import IgCourse, IgGResult, Infection, MProteinResult


def add_months(day: date, months: int) -> date:
    """Calendar-month arithmetic: 31 August + 6 months = 28/29 February.

    Same result as python-dateutil's `day + relativedelta(months=months)` (the tests
    check it), written out because it runs several times per request.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, monthrange(year, month + 1)[1]))


def years_between(start: date, end: date) -> int:
    """Completed years from `start` to `end` (age on a birthday counts the new year)."""
    return end.year - start.year - ((end.month, end.day) < (start.month, start.day))


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
    """The IgG result a decision uses, after subtracting an IgG M-protein when known."""

    result: IgGResult
    value_g_l: float
    m_protein: MProteinResult | None
    sources: tuple[str, ...]

    def label(self) -> str:
        return f"{self.value_g_l:.1f} g/L on {self.result.date.isoformat()} ({self.result.source})"


@dataclass(frozen=True)
class Episode:
    """A continuous period of substitution made of one or more IG orders."""

    start: date
    courses: tuple[IgCourse, ...]
    sources: tuple[str, ...]

    def label(self) -> str:
        return f"substitution since {self.start.isoformat()} ({', '.join(self.sources)})"


LIBRARY = Library("IgGSubstitutionAfterCarTBsAb", "1.1.0")
define = LIBRARY.define


# ---------------------------------------------------------------------------------------
# Index events, T0 and the window (§4.1, §4.2)
# ---------------------------------------------------------------------------------------


@define("CAR-T Infusions", "Completed CAR-T infusions on or before today")
def car_t_infusions(c: Context) -> tuple[IndexEvent, ...]:
    seen: dict[date, IndexEvent] = {}
    for inf in sorted(c.facts.car_t, key=lambda f: (f.date, f.source)):
        if inf.date <= c.today and inf.date not in seen:
            seen[inf.date] = IndexEvent("car-t", inf.date, inf.source, inf.product)
    return tuple(seen.values())


@define("BsAb Course Starts", "First exposure to a bsAb not preceded by the same drug within the course gap")
def bsab_course_starts(c: Context) -> tuple[IndexEvent, ...]:
    gap = timedelta(days=c.params.bsab_course_gap_days)
    starts: list[IndexEvent] = []
    last_seen: dict[str, date] = {}
    for exp in sorted(c.facts.bsab, key=lambda e: (e.start, e.source)):
        if exp.start > c.today:
            continue
        previous = last_seen.get(exp.drug)
        if previous is None or exp.start - previous > gap:
            starts.append(IndexEvent("bsab", exp.start, exp.source, exp.drug))
        end = c.today if exp.ongoing else min(exp.end or exp.start, c.today)
        last_seen[exp.drug] = max(previous or end, end)
    return tuple(starts)


@define("Index Event", "The most recent CAR-T infusion or bsAb course start on or before today", decisive=True)
def index_event(c: Context) -> IndexEvent | None:
    events = list(c["CAR-T Infusions"]) + list(c["BsAb Course Starts"])
    return max(events, key=lambda e: (e.date, e.kind == "car-t"), default=None)


@define("T0", "The index date: the date of the index event")
def t0(c: Context) -> date | None:
    event = c["Index Event"]
    return event.date if event else None


@define("Stop Date", "T0 + 6 calendar months: the end of the high-risk window")
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
def malignancy(c: Context) -> tuple:
    return tuple(d for d in c.facts.diagnoses if d.recorded is None or d.recorded <= c.today)


@define("Malignancy Assumed", "No diagnosis on record, but the site assumes one (policy 'assume')")
def malignancy_assumed(c: Context) -> bool:
    return not c["Malignancy Diagnoses"] and c.params.malignancy_requirement == "assume"


@define("In Scope", "A qualifying index event and a haematological malignancy (or assumed)")
def in_scope(c: Context) -> bool:
    return c["Index Event"] is not None and (bool(c["Malignancy Diagnoses"]) or c["Malignancy Assumed"])


@define("Age At T0", "Completed years of age at T0, or null when the birth date is unknown")
def age_at_t0(c: Context) -> int | None:
    patient = c.facts.patient
    if patient is None or patient.birth_date is None or c["T0"] is None:
        return None
    return years_between(patient.birth_date, c["T0"])


@define("Is Child", "Under the adult age at T0: individual assessment instead of these criteria")
def is_child(c: Context) -> bool:
    return c["Age At T0"] is not None and c["Age At T0"] < c.params.adult_age_years


@define("Has Myeloma", "A myeloma diagnosis: total IgG may include a paraprotein")
def has_myeloma(c: Context) -> bool:
    return any(d.myeloma for d in c["Malignancy Diagnoses"])


# ---------------------------------------------------------------------------------------
# Immunoglobulin substitution courses
# ---------------------------------------------------------------------------------------


def _last_day(course: IgCourse, today: date) -> date | None:
    """The last day of substitution the data vouches for; None when open-ended (active) or unknown.

    A stopped order whose planned end is still ahead was stopped early, on a day the data
    does not tell (R4 has no stop date): it is not active, and its end is unknown.
    """
    if course.status == "stopped" and course.end is not None and course.end > today:
        return None
    return course.end


def _active_on(course: IgCourse, day: date, today: date) -> bool:
    """On substitution on `day` (as known on `today`): on-hold counts as paused."""
    if course.start > day or course.status == "on-hold":
        return False
    end = _last_day(course, today)
    if course.status == "active":
        return end is None or day <= end
    return end is not None and day <= end  # stopped/completed: only up to a known end


def _has_ended(course: IgCourse, today: date) -> bool:
    """Ended or paused by `today`: on hold, or no longer active."""
    return course.status == "on-hold" or not _active_on(course, today, today)


def _influences(course: IgCourse, day: date, today: date, washout: int) -> bool:
    """An IgG taken on `day` reflects infused immunoglobulin: during a course or its washout."""
    if course.start > day or course.status == "on-hold" and course.end is None:
        return False
    end = _last_day(course, today)
    if end is None:
        if course.status != "active":
            return False  # ended on an unknown day: named in the cards instead
        end = today
    return day <= end + timedelta(days=washout)


@define("IG Courses", "Immunoglobulin orders that had started by today")
def ig_courses(c: Context) -> tuple[IgCourse, ...]:
    return tuple(sorted((x for x in c.facts.ig_courses if x.start <= c.today), key=lambda x: (x.start, x.source)))


@define("Active IG Courses", "Immunoglobulin orders active today (on-hold counts as paused)")
def active_ig(c: Context) -> tuple[IgCourse, ...]:
    return tuple(x for x in c["IG Courses"] if _active_on(x, c.today, c.today))


@define("On Substitution", "The patient receives immunoglobulin today")
def on_substitution(c: Context) -> bool:
    return bool(c["Active IG Courses"])


@define("Current Episode", "The continuous substitution the patient is in today, back to its first order", decisive=True)
def current_episode(c: Context) -> Episode | None:
    active = c["Active IG Courses"]
    if not active:
        return None
    gap = timedelta(days=c.params.ig_continuity_gap_days)
    members = list(active)
    start = min(x.start for x in active)
    for course in reversed(c["IG Courses"]):
        if course in members or course.end is None:
            continue
        if course.start < start and start - course.end <= gap:
            members.append(course)
            start = course.start
    members.sort(key=lambda x: x.start)
    return Episode(start, tuple(members), tuple(x.source for x in members))


@define("IG Courses Since T0", "Immunoglobulin orders started on or after T0")
def courses_since_t0(c: Context) -> tuple[IgCourse, ...]:
    return tuple(x for x in c["IG Courses"] if c["T0"] and x.start >= c["T0"])


@define("Is Restart", "Not on substitution, and a course since T0 has ended or is on hold (§4.3)")
def is_restart(c: Context) -> bool:
    return not c["On Substitution"] and any(_has_ended(x, c.today) for x in c["IG Courses Since T0"])


@define("Ended Courses With Unknown End", "Stopped/completed orders without an end date")
def unknown_end(c: Context) -> tuple[IgCourse, ...]:
    return tuple(x for x in c["IG Courses"] if x.status in ("stopped", "completed") and x.end is None)


# ---------------------------------------------------------------------------------------
# Infections (§4.1, §4.2, §4.3)
# ---------------------------------------------------------------------------------------


def severe_or_recurrent(infections: list[Infection], min_episodes: int, min_days_apart: int) -> tuple[Infection, ...]:
    """The evidence for 'severe or recurrent': one severe episode, or enough separate ones."""
    severe = sorted((i for i in infections if i.severe), key=lambda i: (i.onset, i.source))
    if severe:
        return (severe[-1],)  # the most recent severe episode (order-independent)
    episodes: list[Infection] = []
    for inf in sorted(infections, key=lambda i: (i.onset, i.source)):
        if not episodes or (inf.onset - episodes[-1].onset).days >= min_days_apart:
            episodes.append(inf)
    return tuple(episodes) if len(episodes) >= min_episodes else ()


@define("Recent Severe Or Recurrent Infections", "Severe or recurrent verified bacterial infections in the last months", decisive=True)
def recent_infections(c: Context) -> tuple[Infection, ...]:
    since = add_months(c.today, -c.params.infection_window_months)
    recent = [i for i in c.facts.infections if since < i.onset <= c.today]
    return severe_or_recurrent(recent, c.params.recurrent_min_episodes, c.params.recurrent_min_days_apart)


@define("Infections Before Substitution", "Severe/recurrent infections from T0 - 3 months to the substitution start", decisive=True)
def infections_before_substitution(c: Context) -> tuple[Infection, ...]:
    episode = c["Current Episode"]
    if episode is None or c["T0"] is None:
        return ()
    since = add_months(c["T0"], -c.params.infection_lookback_before_t0_months)
    before = [i for i in c.facts.infections if since <= i.onset <= episode.start]
    return severe_or_recurrent(before, c.params.recurrent_min_episodes, c.params.recurrent_min_days_apart)


@define("Infections Since Lookback", "Severe/recurrent infections from T0 - 3 months to today: a start now would be because of them", decisive=True)
def infections_since_lookback(c: Context) -> tuple[Infection, ...]:
    if c["T0"] is None:
        return ()
    since = add_months(c["T0"], -c.params.infection_lookback_before_t0_months)
    found = [i for i in c.facts.infections if since <= i.onset <= c.today]
    return severe_or_recurrent(found, c.params.recurrent_min_episodes, c.params.recurrent_min_days_apart)


# ---------------------------------------------------------------------------------------
# IgG (§4.1, §3.4)
# ---------------------------------------------------------------------------------------


@define("General Criteria Apply", "After the window, or a restart: the general SID criteria apply (§4.3)")
def general_criteria(c: Context) -> bool:
    return not c["In Window"] or c["Is Restart"]


@define("Relevant IgG Results", "IgG results up to today; inside the window only those on or after T0")
def relevant_igg(c: Context) -> tuple[IgGResult, ...]:
    results = [r for r in c.facts.igg if r.date <= c.today]
    if c["In Window"]:
        results = [r for r in results if r.date >= c["T0"]]
    return tuple(sorted(results, key=lambda r: (r.date, r.source)))


def _with_m_protein(c: Context, result: IgGResult) -> IgGUsed:
    """Polyclonal IgG = IgG - the nearest IgG-isotype M-protein within the policy's days."""
    near = [
        m for m in c.facts.m_protein
        if m.isotype == "IgG" and m.date <= c.today and abs((m.date - result.date).days) <= c.params.m_protein_max_days_apart
    ]
    if near:
        # nearest to the IgG result; ties: the later result, then the reference (order-independent)
        m = min(near, key=lambda m: (abs((m.date - result.date).days), -m.date.toordinal(), m.source))
        return IgGUsed(result, max(result.value_g_l - m.value_g_l, 0.0), m, (result.source, m.source))
    return IgGUsed(result, result.value_g_l, None, (result.source,))


@define("Latest IgG", "The most recent relevant IgG, polyclonal when an IgG M-protein is known", decisive=True)
def latest_igg(c: Context) -> IgGUsed | None:
    results = c["Relevant IgG Results"]
    return _with_m_protein(c, results[-1]) if results else None


def _age_days(c: Context, used: IgGUsed | None) -> int | None:
    return (c.today - used.result.date).days if used else None


def _is_stale(c: Context, used: IgGUsed | None) -> bool:
    limit = c.params.stale_days_in_window if c["In Window"] else c.params.stale_days_after_window
    return used is not None and _age_days(c, used) > limit


@define("Latest IgG Is Stale", "Older than the staleness limit for the current phase")
def latest_igg_stale(c: Context) -> bool:
    return _is_stale(c, c["Latest IgG"])


def _during_substitution(c: Context, result: IgGResult) -> bool:
    return any(_influences(x, result.date, c.today, c.params.igg_washout_days) for x in c["IG Courses"])


@define("IgG Measured During Substitution", "The latest IgG was taken on immunoglobulin or in its washout (§3.4)")
def igg_during_substitution(c: Context) -> bool:
    used = c["Latest IgG"]
    return used is not None and _during_substitution(c, used.result)


@define("Latest Untreated IgG", "The most recent relevant IgG taken off substitution: the one start decisions use (§3.4)", decisive=True)
def latest_untreated_igg(c: Context) -> IgGUsed | None:
    for result in reversed(c["Relevant IgG Results"]):
        if not _during_substitution(c, result):
            return _with_m_protein(c, result)
    return None


@define("Untreated IgG Is Stale", "The untreated IgG is older than the staleness limit for the current phase")
def untreated_igg_stale(c: Context) -> bool:
    return _is_stale(c, c["Latest Untreated IgG"])


# ---------------------------------------------------------------------------------------
# Advice
# ---------------------------------------------------------------------------------------


_LATEST = object()


def build_advice(c: Context, code: str, rule: str, section: str, indicator: str = "info", *,
                 information_only: bool = False, evidence: tuple = (), suggestions: tuple[str, ...] = (),
                 override_reasons: tuple[str, ...] = (), extra_caveats: tuple[str, ...] = (),
                 igg: object = _LATEST, **values) -> Advice:
    """An advice with the values, evidence and caveats every card shows; `igg` = the IgG it used."""
    used: IgGUsed | None = c["Latest IgG"] if igg is _LATEST else igg  # type: ignore[assignment]
    caveats = list(extra_caveats)
    if used is not None and code not in ("child-individual-assessment",):
        latest = used is c["Latest IgG"]  # then the fact is a named definition, visible in the trace
        if c["IgG Measured During Substitution"] if latest else _during_substitution(c, used.result):
            caveats.append("igg-during-substitution")
        if used.m_protein is not None:
            caveats.append("paraprotein-subtracted")
        elif c["Has Myeloma"]:
            caveats.append("paraprotein-possible")
    if c["Malignancy Assumed"]:
        caveats.append("malignancy-assumed")
    if c["Age At T0"] is None:
        caveats.append("age-unknown")
    if c["Ended Courses With Unknown End"]:
        caveats.append("course-end-unknown")
    event = c["Index Event"]
    base = {
        "t0": c["T0"], "t0_kind": event.kind, "t0_product": event.product, "t0_source": event.source,
        "stop_date": c["Stop Date"], "days_to_stop": c["Days To Stop Date"], "today": c.today,
        "threshold": c.params.igg_start_threshold_g_l, "general_threshold": c.params.igg_general_threshold_g_l,
        "window_months": c.params.window_months, "washout_days": c.params.igg_washout_days,
        "stale_days": c.params.stale_days_in_window if c["In Window"] else c.params.stale_days_after_window,
    }
    if used is not None:
        base.update(igg=used.value_g_l, igg_date=used.result.date, igg_source=used.result.source,
                    igg_original=used.result.original, igg_total=used.result.value_g_l,
                    igg_age_days=_age_days(c, used), igg_stale=_is_stale(c, used),
                    m_protein=used.m_protein.value_g_l if used.m_protein else None,
                    m_protein_source=used.m_protein.source if used.m_protein else None)
    base.update(values)
    sources = [event.source]
    for item in (used, *evidence):
        for s in ([] if item is None else ([item.source] if hasattr(item, "source") else list(item.sources))):
            if s not in sources:
                sources.append(s)
    return Advice(code=code, indicator=indicator, rule=rule, section=section, information_only=information_only,
                  values=base, evidence=tuple(sources), caveats=tuple(dict.fromkeys(caveats)),
                  suggestions=suggestions, override_reasons=override_reasons,
                  targets=tuple(x.source for x in c["Active IG Courses"]))


@define("Child Advice", "Children: individual assessment, whatever the IgG (§4, §4.3)")
def child_advice(c: Context) -> tuple[Advice, ...]:
    return (build_advice(c, "child-individual-assessment", "Child Advice", "§4, §4.3", age_at_t0=c["Age At T0"]),)


@define("Substitution Before T0", "Immunoglobulin given before T0 up to shortly before it: general stop criteria (§4.2)")
def substitution_before_t0(c: Context) -> tuple[IgCourse, ...]:
    if c["T0"] is None:
        return ()
    since = c["T0"] - timedelta(days=c.params.prior_substitution_days)
    out = []
    for course in c["IG Courses"]:
        if course.start >= c["T0"]:
            continue
        end = _last_day(course, c.today)
        if course.status == "active" and end is None or end is not None and end >= since:
            out.append(course)
    return tuple(out)


@define("Special Stop Applies", "First course since T0, started in the window, not because of infections (§4.2)")
def special_stop_applies(c: Context) -> bool:
    episode = c["Current Episode"]
    if episode is None or c["T0"] is None:
        return False
    first = c["IG Courses Since T0"][0] if c["IG Courses Since T0"] else None
    return (
        c["T0"] <= episode.start < c["Stop Date"]
        and first is not None and first in episode.courses
        and not c["Substitution Before T0"]
        and not c["Infections Before Substitution"]
    )


@define("General Review Due Dates", "Later of IG start + 6 months and the stop date, then every 6 months")
def general_review_dates(c: Context) -> tuple[date, date | None]:
    """(the next due date, the current due date when a review is due now, else None)"""
    episode = c["Current Episode"]
    every = c.params.general_review_every_months
    first = max(add_months(episode.start, c.params.general_stop_after_months), c["Stop Date"])
    k = 0
    while add_months(first, every * (k + 1)) <= c.today:
        k += 1
    due = add_months(first, every * k)
    if due > c.today:
        return due, None
    if (c.today - due).days < c.params.general_review_due_days:
        return due, due
    return add_months(first, every * (k + 1)), None


@define("Stop Advice", "On substitution: when to pause or review it (§4.2)")
def stop_advice(c: Context) -> tuple[Advice, ...]:
    episode = c["Current Episode"]
    if c["Special Stop Applies"]:
        days = c["Days To Stop Date"]
        if days > c.params.stop_due_soon_days:
            course = episode.courses[-1]
            needs_end = course.end is None or course.end > c["Stop Date"]
            return (build_advice(c, "stop-planned", "Stop Advice", "§4.2", information_only=True, evidence=(episode,),
                            suggestions=("set-ig-end",) if needs_end else (), episode_start=episode.start),)
        code = "stop-due-soon" if days >= 0 else "stop-overdue"
        ends_in_time = all(x.end is not None and x.end <= c["Stop Date"] for x in c["Active IG Courses"])
        return (build_advice(c, code, "Stop Advice", "§4.2", "warning", evidence=(episode,),
                             suggestions=() if ends_in_time else ("hold-ig",), ends_in_time=ends_in_time,
                        override_reasons=("community-infection-risk", "specialist-decision"),
                        episode_start=episode.start, days_overdue=-days),)
    next_due, due_now = c["General Review Due Dates"]
    reason = (
        "before-t0" if episode.start < c["T0"] or c["Substitution Before T0"]
        else "after-window" if episode.start >= c["Stop Date"]
        else "infections" if c["Infections Before Substitution"]
        else "restart"
    )
    evidence = (episode, *c["Infections Before Substitution"])
    if due_now:
        return (build_advice(c, "general-stop-review", "Stop Advice", "§4.2", "warning", evidence=evidence,
                        suggestions=("hold-ig",), override_reasons=("infections-persist", "specialist-decision"),
                        due_date=due_now, reason=reason, episode_start=episode.start),)
    return (build_advice(c, "general-stop-review", "Stop Advice", "§4.2", information_only=True, evidence=evidence,
                    due_date=next_due, reason=reason, episode_start=episode.start),)


@define("Start Advice", "Not on substitution: whether to start or measure (§4.1, §4.3)")
def start_advice(c: Context) -> tuple[Advice, ...]:
    used, stale = c["Latest Untreated IgG"], c["Untreated IgG Is Stale"]
    low = used is not None and used.value_g_l < c.params.igg_start_threshold_g_l
    under_6 = used is not None and not low and used.value_g_l < c.params.igg_general_threshold_g_l
    infections = c["Recent Severe Or Recurrent Infections"]
    latest = c["Latest IgG"]
    caveats = ("igg-during-substitution-ignored",) if latest is not None and (used is None or latest.result != used.result) else ()
    ignored = {"ignored_igg": latest.value_g_l, "ignored_igg_date": latest.result.date,
               "ignored_igg_source": latest.result.source} if caveats else {}

    def advise(code: str, section: str, **kw) -> tuple[Advice, ...]:
        extra = tuple(kw.pop("extra_caveats", ())) + caveats
        return (build_advice(c, code, "Start Advice", section, igg=used, extra_caveats=extra, **ignored, **kw),)

    if not c["General Criteria Apply"]:
        if low:
            because = c["Infections Since Lookback"]
            return advise("start-substitution", "§4.1", evidence=because,
                          suggestions=("order-ig",) if because else ("order-ig-until-stop",),
                          extra_caveats=("infections-general-stop",) if because else ())
        if used is None or stale:
            return advise("measure-igg", "§4.1", suggestions=("order-igg",),
                          reason="no-igg-since-t0" if used is None else "stale")
    elif infections:
        if used is None or stale:
            return advise("measure-igg", "§4.1, §4.3", evidence=infections, suggestions=("order-igg",),
                          reason="infections-no-recent-igg")
        if low:
            return advise("start-meets-general-criteria", "§4.1, §4.3", evidence=infections,
                          suggestions=("order-ig",), restart=c["Is Restart"])
    elif low:
        return advise("no-start-without-infections", "§4.3", restart=c["Is Restart"])
    if under_6 and not stale:
        return advise("general-criteria-igg-under-6", "§4.1", information_only=True, evidence=infections)
    return ()


@define("Advice", "The advice for this patient today: at most one card per situation")
def advice(c: Context) -> tuple[Advice, ...]:
    if not c["In Scope"]:
        return ()
    if c["Is Child"]:
        return c["Child Advice"]
    found = c["Stop Advice"] if c["On Substitution"] else c["Start Advice"]
    if not c.params.show_information_only_cards:
        found = tuple(a for a in found if not a.information_only)
    return found
