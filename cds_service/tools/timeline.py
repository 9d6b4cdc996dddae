"""A patient's advice over time: only the days on which it changes.

The candidate days come from `cql_like_rules.timeline` (pure, from the facts); on each,
the patient is evaluated exactly as the service would (`pipeline.answer_local`), and a day
is a change when the advice codes or a card summary differ from the day before. Day
counters in summaries ("12 days left", "40 days old") tick daily by design and do not
count as changes: the summary is compared with those counters neutralised.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

from dateutil.relativedelta import relativedelta

from cql_like_rules.facts import Facts
from cql_like_rules.timeline import Candidate, candidates, fact_dates

from ..cards.render import summary
from ..cards.values import placeholders
from ..errors import InputError
from ..fhir.request import HookRequest, parse_hook_request
from ..pipeline import Answer, answer_local
from ..runtime import Runtime
from .replay import request_from_bundle

# Advice values that count days relative to "today": they change every day by construction.
COUNTERS = {"days_to_stop": 0, "days_overdue": 0, "igg_age_days": 0, "today": date(1970, 1, 1)}
DEFAULT_MONTHS_AFTER = 12


@dataclass(frozen=True)
class PatientData:
    """One patient's bundle as the hook request an EHR would send (evaluated on many days)."""

    patient_id: str
    request: HookRequest


@dataclass(frozen=True)
class State:
    """The advice on one day: its cards, and the key that says whether it changed."""

    day: date
    cards: list[dict]
    key: tuple

    @property
    def codes(self) -> list[str]:
        return [c["source"]["topic"]["code"] for c in self.cards]


@dataclass
class Timeline:
    patient_id: str
    facts: Facts
    start: date
    end: date
    changes: list[State] = field(default_factory=list)
    reasons: dict[date, list[Candidate]] = field(default_factory=dict)
    evaluated: int = 0


def patient_data(bundle: dict, runtime: Runtime) -> PatientData:
    """The bundle as a patient-view request (the service pools it, dropping other patients)."""
    request = parse_hook_request(request_from_bundle(bundle), "patient-view")
    return PatientData(request.patient_id, request)


def answer_on(data: PatientData, runtime: Runtime, day: date, lang: str = "en") -> Answer:
    """The service's answer for the patient as of `day`."""
    return answer_local(data.request, runtime, lang=lang, today=day)


def facts_of(data: PatientData, runtime: Runtime) -> Facts:
    """Every fact of the patient (before validation drops any): the candidates come from these."""
    from ..fhir.facts import FactBuilder
    from ..fhir.prefetch import pool_prefetch

    pooled = pool_prefetch(data.request.prefetch, list(runtime.templates), data.patient_id)
    return FactBuilder(runtime.terminology, runtime.tz).build(pooled.resources, pooled.notes).facts


def state_on(data: PatientData, runtime: Runtime, day: date, lang: str = "en") -> State:
    """The service's advice on `day`, with a change key that ignores day counters."""
    answered = answer_on(data, runtime, day, lang)
    key = []
    for a in answered.advice:
        still = dataclasses.replace(a, values={**a.values, **_counters(a.values)})
        key.append((a.code, a.variant, a.indicator, summary(still, lang, placeholders(still, runtime.params, lang))))
    return State(day, answered.cards, tuple(key))


def _counters(values: dict) -> dict:
    return {k: v for k, v in COUNTERS.items() if values.get(k) is not None}


def default_range(facts: Facts) -> tuple[date, date]:
    """First fact date to the last fact date + 12 months."""
    days = fact_dates(facts)
    if not days:
        raise InputError("the Bundle has no dated facts to build a timeline from; give --from and --to")
    return days[0], days[-1] + relativedelta(months=DEFAULT_MONTHS_AFTER)


def build_timeline(data: PatientData, runtime: Runtime, start: date | None = None, end: date | None = None,
                   lang: str = "en") -> Timeline:
    """Evaluate the start day and every candidate day; keep the days whose advice changed."""
    facts = facts_of(data, runtime)
    if start is None or end is None:
        first, last = default_range(facts)
        start, end = start or first, end or last
    if end < start:
        raise InputError(f"--to {end} is before --from {start}")
    found = candidates(facts, runtime.params, start, end)
    reasons: dict[date, list[Candidate]] = {}
    for c in found:
        reasons.setdefault(c.date, []).append(c)
    timeline = Timeline(data.patient_id, facts, start, end, reasons=reasons)
    previous: State | None = None
    for day in [start, *(d for d in reasons if d > start)]:
        state = state_on(data, runtime, day, lang)
        timeline.evaluated += 1
        if previous is None or state.key != previous.key:
            timeline.changes.append(state)
        previous = state
    return timeline


def change_days(states: Iterable[State]) -> list[date]:
    """The days on which the key differs from the previous state's (the first always counts)."""
    out, previous = [], None
    for state in states:
        if previous is None or state.key != previous.key:
            out.append(state.day)
        previous = state
    return out


TEXT = {
    "en": {"header": "Timeline for Patient/{pid}, {start} to {end}: {n} change(s), {k} day(s) evaluated",
           "none": "(no advice)", "why": "because"},
    "da": {"header": "Tidslinje for Patient/{pid}, {start} til {end}: {n} ændring(er), {k} dag(e) vurderet",
           "none": "(intet råd)", "why": "fordi"},
}

REASON_TEXT = {
    "en": {
        "index-event": "index event", "stop-due-soon": "stop attempt due soon", "stop-date": "stop date (window ends)",
        "after-stop-date": "day after the stop date", "bsab-gap-end": "bsAb course gap ends",
        "igg-result": "IgG result", "igg-stale-in-window": "IgG older than the in-window limit",
        "igg-stale-after-window": "IgG older than the after-window limit", "m-protein-result": "M-protein result",
        "ig-start": "Ig substitution starts", "ig-end": "Ig course last day", "ig-ended": "Ig course ended",
        "ig-ordered": "Ig order written", "ig-dose": "Ig dose given", "ig-doses-end": "Ig doses stop covering",
        "culture": "culture result", "culture-window-ends": "culture no longer near an infection",
        "immunofixation": "immunofixation result", "late-start-notice": "special criterion ends soon",
        "death": "date of death",
        "review-due": "general stop review due", "review-warning-ends": "review warning period ends",
        "infection-onset": "infection", "infection-leaves-lookback": "infection leaves the 12-month look-back",
        "adult-birthday": "adult age reached",
    },
    "da": {
        "index-event": "indekshændelse", "stop-due-soon": "seponeringsforsøg snart", "stop-date": "seponeringsdato (vinduet slutter)",
        "after-stop-date": "dagen efter seponeringsdatoen", "bsab-gap-end": "bsAb-behandlingspause slutter",
        "igg-result": "IgG-svar", "igg-stale-in-window": "IgG ældre end grænsen i vinduet",
        "igg-stale-after-window": "IgG ældre end grænsen efter vinduet", "m-protein-result": "M-komponent-svar",
        "ig-start": "Ig-substitution starter", "ig-end": "sidste dag af Ig-ordination", "ig-ended": "Ig-ordination afsluttet",
        "ig-ordered": "Ig-ordination skrevet", "ig-dose": "Ig-dosis givet", "ig-doses-end": "Ig-doser dækker ikke længere",
        "culture": "dyrkningssvar", "culture-window-ends": "dyrkning ikke længere nær en infektion",
        "immunofixation": "immunfiksationssvar", "late-start-notice": "særkriteriet ophører snart",
        "death": "dødsdato",
        "review-due": "seponeringsvurdering efter generelle kriterier", "review-warning-ends": "advarselsperioden for vurdering slutter",
        "infection-onset": "infektion", "infection-leaves-lookback": "infektion uden for 12-måneders perioden",
        "adult-birthday": "voksenalder nået",
    },
}


def reasons_text(timeline: Timeline, day: date, lang: str) -> str:
    kinds = dict.fromkeys(REASON_TEXT[lang][c.kind] for c in timeline.reasons.get(day, []))
    return ", ".join(kinds)


def render_text(timeline: Timeline, lang: str = "en") -> str:
    """One line per change: date, advice codes, summaries (and why the day mattered)."""
    t = TEXT[lang]
    out = [t["header"].format(pid=timeline.patient_id, start=timeline.start, end=timeline.end,
                              n=len(timeline.changes), k=timeline.evaluated)]
    for state in timeline.changes:
        codes = ", ".join(state.codes) or "-"
        summaries = " | ".join(c["summary"] for c in state.cards) or t["none"]
        why = reasons_text(timeline, state.day, lang)
        out.append(f"{state.day}  {codes:<30} {summaries}" + (f"  [{why}]" if why else ""))
    return "\n".join(out) + "\n"
