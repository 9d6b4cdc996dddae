"""A patient's advice over time: only the days on which it changes.

The candidate days come from `cql_like_rules.timeline` (pure, from the facts); on each,
the patient is evaluated exactly as the service would (`pipeline.answer_local`, for a
bundle), or with the rule set straight from stored facts (`timeline_from_facts`, for the
explanation page), and a day is a change when the advice codes or a card summary differ
from the day before. Day counters in summaries ("12 days left", "40 days old") tick daily
by design and do not count as changes: the summary is compared with those counters neutralised.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Iterable, Mapping

from dateutil.relativedelta import relativedelta

from cql_like_rules import Advice, Parameters, RuleSet, evaluate
from cql_like_rules.catalogue import Text
from cql_like_rules.facts import DataNote, Facts
from cql_like_rules.library import IndexEvent, add_months
from cql_like_rules.timeline import Candidate, candidates, fact_dates, index_dates
from cql_like_rules.valuesets import Terminology

from ..cards.render import CardContext, summary
from ..cards.values import named, placeholders
from ..errors import InputError
from ..fhir.request import HookRequest, parse_hook_request
from ..killswitch import KillSwitch
from ..pipeline import Answer, answer_local, evaluate_facts, present
from ..runtime import Runtime
from .replay import request_from_bundle

# Advice values that count days relative to "today": they change every day by construction.
COUNTERS = {"days_to_stop": 0, "days_overdue": 0, "igg_age_days": 0, "today": date(1970, 1, 1)}
DEFAULT_MONTHS_AFTER = 12  # without an index event: the last fact date + this
MONTHS_BEFORE_T0 = 1  # the default range starts this long before the first index event (or earlier therapy card) ...
MONTHS_AFTER_STOP = 2  # ... and ends this long after the later of today and the (last) stop date
# An earlier record with a card of its own (a therapy known only by its name, a dose recorded as not given) moves the
# default start back at most this far before the first index event: one years before T0 drew a plot years wide with the
# window a few pixels; an older record is named at the range's edge with its date (`records_before`), not framed.
EARLIER_RECORD_MONTHS = 12
ON_SUBSTITUTION = "On Substitution"  # the rule set's definition: is the patient on immunoglobulin on a day?
T0 = "T0"  # the rule set's definition: the index date in force on a day


@dataclass(frozen=True)
class PatientData:
    """One patient's bundle as the hook request an EHR would send (evaluated on many days)."""

    patient_id: str
    request: HookRequest


@dataclass(frozen=True)
class State:
    """The advice on one day: its cards, and the key that says whether it changed."""

    day: date
    cards: list[dict[str, Any]]
    key: tuple[Any, ...]

    @property
    def codes(self) -> list[str]:
        return [c["source"]["topic"]["code"] for c in self.cards]


@dataclass
class Timeline:
    patient_id: str
    facts: Facts
    start: date
    end: date
    params: Parameters = field(default_factory=Parameters)  # what the windows and thresholds are drawn with
    label: str = ""  # the rule set's label
    changes: list[State] = field(default_factory=list)
    reasons: dict[date, list[Candidate]] = field(default_factory=dict)
    evaluated: int = 0
    on_substitution: frozenset[str] = frozenset()  # IgG results (by source) taken while on immunoglobulin
    # the T0 in force on each day a change is shown: a reason counted from another index date is not said of that day
    t0_on: dict[date, date | None] = field(default_factory=dict)


def patient_data(bundle: dict[str, Any], runtime: Runtime) -> PatientData:
    """The bundle as a patient-view request (the service pools it, dropping other patients)."""
    request = parse_hook_request(request_from_bundle(bundle), "patient-view")
    return PatientData(request.patient_id, request)


def answer_on(data: PatientData, runtime: Runtime, day: date, lang: str = "en", known_on: date | None = None) -> Answer:
    """The service's answer for the patient as of `day` (the chart as read on `known_on`, when later)."""
    return answer_local(data.request, runtime, lang=lang, today=day, known_on=known_on)


def facts_of(data: PatientData, runtime: Runtime) -> Facts:
    """Every fact of the patient (before validation drops any): the candidates come from these."""
    from ..fhir.facts import FactBuilder
    from ..fhir.prefetch import pool_prefetch

    pooled = pool_prefetch(data.request.prefetch, list(runtime.templates), data.patient_id, runtime.tz)
    return FactBuilder(runtime.terminology, runtime.tz, runtime.ruleset.parameters, pooled.full_urls).build(
        pooled.resources, pooled.notes).facts


def state_on(data: PatientData, runtime: Runtime, day: date, lang: str = "en", known_on: date | None = None) -> State:
    """The service's advice on `day`, with a change key that ignores day counters."""
    answered = answer_on(data, runtime, day, lang, known_on)
    notes = answered.explanation.get()[2] if answered.cards else ()  # a note rides on a card: none without one
    return State(day, answered.cards, change_key(answered.advice, runtime.params, lang, notes))


# Data notes that appear on a card from a day of their own while its advice stays the same: the day one first shows
# is a change a clinician sees (`statement-past-order-end`: the day after the order ended, the record alone keeps the
# course open), so the timeline lists it.
DAY_NOTES = frozenset({"statement-past-order-end"})
# Caveats that change what a card offers while its advice stays the same (`igg-pending`: no IgG order while one
# awaits its result; from the day it lapses, the order again; `ig-maybe-on`: no Ig order beside a record the patient
# may be on, a step of the advice once every note is known, `already_on`; `therapy-booked-moves-stop`: the stop date
# holds only if a bsAb course booked ahead has not begun, from the day that order is written): the days they come and
# go are changes a clinician sees.
DAY_CAVEATS = frozenset({"igg-pending", "ig-maybe-on", "therapy-booked-moves-stop"})


def change_key(advice: Iterable[Advice], params: Parameters, lang: str, notes: Iterable[DataNote] = ()) -> tuple[Any, ...]:
    """Codes, variants, indicators and summaries, with the day counters held constant, and the `DAY_CAVEATS` they
    carry; and the `DAY_NOTES` shown."""
    key: list[tuple[Any, ...]] = []
    notes = tuple(notes)
    for a in advice:
        still = dataclasses.replace(a, values={**a.values, **_counters(a.values)})
        key.append((a.code, a.variant, a.indicator, summary(still, lang, placeholders(still, params, lang)),
                    *sorted(DAY_CAVEATS.intersection(a.caveats))))
    shown = sorted({(n.kind, n.source) for n in notes if n.kind in DAY_NOTES})
    return (*key, *(("note", kind, source) for kind, source in shown))


def _counters(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in COUNTERS.items() if values.get(k) is not None}


def _card_days(facts: Facts) -> list[date]:
    """The days a card can name a therapy from: the index events (T0), and the earlier records with a card of their own
    (a CAR-T infusion or bsAb dose recorded as not given, or dated with no day, from its first possible day; a therapy
    known only by its name)."""
    days = [day for day, _source in index_dates(facts)] + [t.date for t in facts.unrecognised_therapies]
    return days + [t.earliest for t in facts.undated_therapies if t.earliest is not None]


def records_before(facts: Facts, start: date) -> list[tuple[date, str, str]]:
    """The records with a card of their own dated before `start` (a therapy known only by its name, one dated with no
    day, a dose recorded as not given): (first day it can mean, its date as written, its name), for the range's edge."""
    found = [(t.date, t.recorded or t.date.isoformat(), _name(t.display)) for t in facts.unrecognised_therapies
             if t.date < start]
    found += [(t.earliest, t.recorded or t.earliest.isoformat(), _name(t.drug)) for t in facts.undated_therapies
              if t.earliest is not None and t.earliest < start]
    return sorted(found)


def _name(value: str) -> str:
    """A therapy's name at the range's edge as a card gives it: the record's own words quoted (`values.named`), cut to
    40 characters; a name of the service's (an INN) plain."""
    return named(value, 40, lambda v, n: str(v)[:n] + ("…" if len(str(v)) > n else ""))


def _last_course_start(facts: Facts, params: Parameters, last: date) -> date:
    """The day the last window begins: the rules' index event as of the last index record's day `last` (a bsAb dose
    within the course gap resumes its course, whose window runs from its first; a CAR-T infusion recorded again is the
    same treatment). Every dose of a weekly course read as a start ran the picture out six months past the last dose."""
    found, _ = evaluate("Index Event", facts, last, params)
    return found.date if isinstance(found, IndexEvent) else last


def default_range(facts: Facts, params: Parameters | None = None, today: date | None = None) -> tuple[date, date]:
    """One month before the first day a card names a therapy (the first index event, T0, or an earlier record with a
    card of its own, up to `EARLIER_RECORD_MONTHS` before T0: `_card_days`) to two months after the later of today
    and the stop date.

    The window is what the advice is about, so the picture frames it; a bsAb dose recorded as not given two months
    before the first dose given had its card in the EHR on those days, and the range shows them. A record older than
    that is not framed (a therapy known by name years before T0 made the window a few pixels wide): the range's edge
    names it with its date (`records_before`). Without an index event: the first fact date to the last fact date + 12
    months.
    """
    starts = index_dates(facts)
    if starts:
        params = params or Parameters()
        stop = add_months(_last_course_start(facts, params, starts[-1][0]), params.window_months)
        last = max(stop, today) if today is not None else stop
        t0 = starts[0][0]
        first = min((d for d in _card_days(facts) if d >= t0 - relativedelta(months=EARLIER_RECORD_MONTHS)), default=t0)
        return first - relativedelta(months=MONTHS_BEFORE_T0), last + relativedelta(months=MONTHS_AFTER_STOP)
    days = fact_dates(facts)
    if not days:
        raise InputError("the Bundle has no dated facts to build a timeline from; give --from and --to")
    return days[0], days[-1] + relativedelta(months=DEFAULT_MONTHS_AFTER)


def build_timeline(data: PatientData, runtime: Runtime, start: date | None = None, end: date | None = None,
                   lang: str = "en", today: date | None = None) -> Timeline:
    """The service's advice on the start day and every candidate day; the days whose advice changed.

    `today` (the runtime's day when None) is the evaluation date the default range reaches past, and the day the
    chart was read: an earlier day is evaluated with the orders as they stand on it (a stopped order's end that had
    passed by then is its end on every earlier day too: FHIR does not date a status).
    """
    facts = facts_of(data, runtime)
    known = today or runtime.today()
    return timeline_of(data.patient_id, facts, runtime.ruleset, lambda day: state_on(data, runtime, day, lang, known),
                       start, end, known)


def timeline_from_facts(patient_id: str, facts: Facts, ruleset: RuleSet, terminology: Terminology, lang: str,
                        today: date, start: date | None = None, end: date | None = None,
                        kill_switch: KillSwitch | None = None) -> Timeline:
    """The same timeline from facts alone (a stored snapshot): the rule set evaluated on each candidate day.

    The kill switch, when given, hides the advice it hides in the service.
    """
    def state(day: date) -> State:
        evaluation, _ = evaluate_facts(ruleset, facts, day, today)  # the notes facts alone give: the rules'
        shown_cards, shown, _ = present(evaluation, kill_switch, lambda: CardContext(
            lang, patient_id, ruleset, terminology, {}, evaluation.notes))
        return State(day, shown_cards, change_key(shown, ruleset.parameters, lang,
                                                   evaluation.notes if shown_cards else ()))

    return timeline_of(patient_id, facts, ruleset, state, start, end, today)


def timeline_of(patient_id: str, facts: Facts, ruleset: RuleSet, state_on_day: Callable[[date], State],
                start: date | None, end: date | None, today: date | None) -> Timeline:
    """Evaluate the start day and every candidate day; keep the days whose advice changed."""
    params = ruleset.parameters
    if start is None or end is None:
        first, last = default_range(facts, params, today)
        start, end = start or first, end or last
    if end < start:
        raise InputError(f"--to {end} is before --from {start}")
    found = candidates(facts, params, start, end)
    reasons: dict[date, list[Candidate]] = {}
    for c in found:
        reasons.setdefault(c.date, []).append(c)
    timeline = Timeline(patient_id, facts, start, end, params, ruleset.label, reasons=reasons,
                        on_substitution=igg_on_substitution(facts, ruleset, today))
    previous: State | None = None
    for day in [start, *(d for d in reasons if d > start)]:
        state = state_on_day(day)
        timeline.evaluated += 1
        if previous is None or state.key != previous.key:
            timeline.changes.append(state)
        previous = state
    timeline.t0_on = t0_on_days(facts, ruleset, [s.day for s in timeline.changes], today)
    return timeline


def t0_on_days(facts: Facts, ruleset: RuleSet, days: Iterable[date], known_on: date | None) -> dict[date, date | None]:
    """The T0 the rules read on each day (None: no index event), the chart as read on `known_on`."""
    if T0 not in ruleset.library.definitions:
        return {}
    return {day: ruleset.context(facts, day, known_on)[T0] for day in days}


def igg_on_substitution(facts: Facts, ruleset: RuleSet, known_on: date | None = None) -> frozenset[str]:
    """The IgG results taken while the patient was on immunoglobulin, as the rules see it on that day (the chart as
    read on `known_on`)."""
    if ON_SUBSTITUTION not in ruleset.library.definitions:
        return frozenset()
    return frozenset(r.source for r in facts.igg if ruleset.context(facts, r.date, known_on)[ON_SUBSTITUTION])


def change_days(states: Iterable[State]) -> list[date]:
    """The days on which the key differs from the previous state's (the first always counts)."""
    out, previous = [], None
    for state in states:
        if previous is None or state.key != previous.key:
            out.append(state.day)
        previous = state
    return out


TEXT = {
    "header": Text(
        "Timeline for Patient/{pid}, {start} to {end}: {n} change(s), {k} day(s) evaluated",
        "Tidslinje for Patient/{pid}, {start} til {end}: {n} ændring(er), {k} dag(e) vurderet",
    ),
    "none": Text("(no advice)", "(intet råd)"),
    # a record with a card of its own dated before the range (`records_before`): named, with its date
    "before": Text("before {start}, not in this range: {name}, {day} (it has a card of its own; --from shows it)",
                   "før {start}, uden for perioden: {name}, {day} (har sit eget kort; --from viser det)"),
    "why": Text("because", "fordi"),
}

REASON_TEXT = {
    "index-event": Text("index event", "indekshændelse"),
    "stop-due-soon": Text("stop attempt due soon", "seponeringsforsøg snart"),
    "stop-date": Text("stop date (window ends)", "seponeringsdato (vinduet slutter)"),
    "after-stop-date": Text("day after the stop date", "dagen efter seponeringsdatoen"),
    "bsab-gap-end": Text("bsAb course gap ends", "bsAb-behandlingspause slutter"),
    "igg-result": Text("IgG result", "IgG-svar"),
    "igg-stale-in-window": Text("IgG older than the in-window limit", "IgG ældre end grænsen i vinduet"),
    "igg-stale-after-window": Text("IgG older than the after-window limit", "IgG ældre end grænsen efter vinduet"),
    "igg-pending": Text("IgG taken or ordered, awaiting its result", "IgG taget eller bestilt, afventer svar"),
    "igg-pending-lapsed": Text("IgG awaited past the limit: an order is offered again",
                               "IgG afventet ud over grænsen: rekvisition foreslås igen"),
    "m-protein-result": Text("M-protein result", "M-komponent-svar"),
    "m-protein-unread": Text("M-protein result not used (not final, unreadable, or its code not known)",
                             "M-komponent-svar ikke brugt (ikke endeligt, ulæseligt eller koden ukendt)"),
    "ig-start": Text("Ig substitution starts", "Ig-substitution starter"),
    "ig-end": Text("Ig course last day", "sidste dag af Ig-ordination"),
    "ig-ended": Text("Ig course ended", "Ig-ordination afsluttet"),
    "ig-ordered": Text("Ig order written", "Ig-ordination skrevet"),
    "ig-planned": Text("Ig course planned (medication record)", "Ig-forløb planlagt (medicinregistrering)"),
    "ig-planned-start": Text("planned Ig start (medication record)", "planlagt Ig-start (medicinregistrering)"),
    "ig-planned-over": Text("planned Ig period over (medication record)",
                            "planlagt Ig-periode forbi (medicinregistrering)"),
    "ig-dose": Text("Ig dose given", "Ig-dosis givet"),
    "ig-doses-end": Text("course days after an Ig dose end", "dosisforløbet efter en Ig-dosis udløber"),
    "ig-washout-ends": Text("IgG washout after an Ig dose ends", "udvaskning efter en Ig-dosis slutter"),
    "ig-resume-ends": Text("a new Ig order no longer continues the course",
                           "en ny Ig-ordination fortsætter ikke længere forløbet"),
    "culture": Text("culture result", "dyrkningssvar"),
    "culture-window-ends": Text("culture no longer near an infection", "dyrkning ikke længere nær en infektion"),
    "immunofixation": Text("immunofixation result", "immunfiksationssvar"),
    "late-start-notice": Text("special criterion ends soon", "særkriteriet ophører snart"),
    "death": Text("date of death", "dødsdato"),
    "review-due": Text("general stop review due", "seponeringsvurdering efter generelle kriterier"),
    "review-warning-ends": Text("review warning period ends", "advarselsperioden for vurdering slutter"),
    "infection-onset": Text("infection", "infektion"),
    "infection-leaves-lookback": Text(
        "infection leaves the 12-month look-back",
        "infektion uden for 12-måneders perioden",
    ),
    "adult-birthday": Text("adult age reached", "voksenalder nået"),
    "therapy-by-name": Text("therapy not recognised by its code", "behandling ikke genkendt på sin kode"),
    "therapy-undated": Text("therapy dated with no day (its first possible day)",
                            "behandling dateret uden dag (dens første mulige dag)"),
    "therapy-not-given": Text("therapy recorded as stopped, none given", "behandling registreret som afbrudt, intet givet"),
    "diagnosis-recorded": Text("haematological diagnosis on record", "hæmatologisk diagnose registreret"),
    "therapy-asserted": Text("therapy recorded (medication record)", "behandling registreret (medicinregistrering)"),
    "therapy-ordered": Text("therapy order written (its start earlier)", "behandlingsordination skrevet (start før)"),
    "therapy-booked": Text("therapy order booked ahead (its start later)",
                           "behandlingsordination bestilt på forhånd (start senere)"),
    "ig-recorded": Text("Ig recorded as taken (medication record)", "Ig registreret som taget (medicinregistrering)"),
}


def reasons_text(timeline: Timeline, day: date, lang: str) -> str:
    """Why the day matters: its candidates' reasons, but not one counted from an index date that is not the T0 in
    force that day (a later bsAb dose's "stop date", the stop date of a therapy another has followed)."""
    known = day in timeline.t0_on
    kinds = dict.fromkeys(REASON_TEXT[c.kind](lang) for c in timeline.reasons.get(day, [])
                          if c.t0 is None or not known or c.t0 == timeline.t0_on[day])
    return ", ".join(kinds)


def render_text(timeline: Timeline, lang: str = "en") -> str:
    """One line per change: date, advice codes, summaries (and why the day mattered)."""
    out = [TEXT["header"](lang).format(pid=timeline.patient_id, start=timeline.start, end=timeline.end,
                              n=len(timeline.changes), k=timeline.evaluated)]
    out += [TEXT["before"](lang).format(start=timeline.start, name=name or "?", day=written)
            for _day, written, name in records_before(timeline.facts, timeline.start)]
    for state in timeline.changes:
        codes = ", ".join(state.codes) or "-"
        summaries = " | ".join(c["summary"] for c in state.cards) or TEXT["none"](lang)
        why = reasons_text(timeline, state.day, lang)
        out.append(f"{state.day}  {codes:<30} {summaries}" + (f"  [{why}]" if why else ""))
    return "\n".join(out) + "\n"
