"""Advice to CDS Hooks cards a clinician reads in ten seconds, with the reasoning one click away.

A card's summary (under 140 characters) says what to do, with the numbers, units and dates.
Its detail (at most 700 characters of markdown) gives the decision in one sentence, the
facts it rests on with their dates, what to do and by when, short notes, the data the
service saw and did not use, and the guideline section. The full reasoning — every
definition evaluated, its value and the FHIR resources behind it — travels with the card in
the `dk.igsub-cds.trace` extension and on the explanation page its `links` entry opens.
Wording comes from the advice catalogue (`cql_like_rules/catalogue.py`) in the card's
language; EHR text is made inert (`markdown.py`).
"""

from __future__ import annotations

import re
from datetime import date
from dataclasses import dataclass, replace
from functools import partial
from typing import Any, Callable, Mapping, NamedTuple
from zoneinfo import ZoneInfo

from cql_like_rules import Advice, Evaluation, RuleSet
from cql_like_rules.catalogue import (BOOKED_THERAPY_ACTION, BRIEFER_CAVEATS, CATALOGUE, CAVEATS, DECISIVE_CAVEATS,
                                      KEEP_TODO_BESIDE_BOOKED, LEADING_CAVEATS, MEASURE_NOW_VARIANTS,
                                      MEASURE_WITH_M_PROTEIN, MEASURE_WITH_M_PROTEIN_BY_NOTE, OVERRIDE_REASONS,
                                      PENDING_ACTIONS, REMINDER, REQUIRED_CAVEATS, SUGGESTION_LABELS, THIS_IGG_CAVEATS, reads_on_substitution)
from cql_like_rules.facts import DataNote
from cql_like_rules.library import STOP_CARD_CODES
from cql_like_rules.valuesets import Terminology

from ..settings import Settings
from . import suggestions as build
from .ids import new_uuid
from .language import (CAVEATS_CUT, COUNTED_WHERE, DATA_NOTES_COUNTED, FACT, GUIDELINE, INFECTION_NAME, MORE_DATA_NOTES,
                       NOT_MET, NOTE, NOTES_COUNTED, SOURCE_LABEL, TO_DO, WHY_LINK)
from .notes import AND, NOTES_EXTENSION, NotesLine, note_json, notes_line, rank as note_rank
from .trace import TRACE_EXTENSION, trace_json
from .values import BRIEF_QUOTES, SINCE_T0, Placeholders, culture_named, days, placeholder_pair, placeholders

ADVICE_SYSTEM = "urn:igsub-cds:advice-code"
OVERRIDE_SYSTEM = "urn:igsub-cds:override-reason"
RULESET_EXTENSION = "dk.igsub-cds.ruleset"
SUMMARY_LIMIT = 140  # the summary is shorter than this (CDS Hooks: "<140-character")
DETAIL_LIMIT = 700
MAX_FACTS = 5
SHORT_DISPLAY = 20  # the EHR text a data note quotes, on a card short of room (else `notes.DISPLAY_LIMIT`)
SHOWN_AS_FACTS = {"paraprotein-subtracted"}  # caveats a fact line already states (total − M-protein)
# Caveats that explain what the card leaves out (no IgG order: one is drafted): shown only where the card
# without them leaves room, never at the cost of a fact, another caveat, a data note or the reminder.
SPARE_CAVEATS = {"igg-order-drafted"}
# ... and, on a card judging an order (`JUDGED`), the IgG it saw and did not use (`library.igg_seen_not_used`): the
# order's own notes and the reminder come first there
SPARE_ON_ORDER = {"igg-before-t0", "igg-before-t0-awaited", "igg-subclass-not-used"}
# Advice about a record's unknown code: the data note of that kind on its own evidence repeats the summary; so does
# the note of an IgG bound that cannot be placed on the card that asks for a new IgG because of it (by "code:variant").
SELF_NOTED = {"therapy-not-recognised": {"unrecognised-code", "codes-disagree", "class-code"},
              # the card names the M-protein not final and why: its note says no more (one not read or under a code not
              # known keeps its note, which quotes the record)
              "paraprotein-type-unknown:m-protein-unread": {"m-protein-not-final"},
              "therapy-undated": {"therapy-undated", "therapy-date-unread", "therapy-no-date",
                                  "car-t-order-no-infusion", "car-t-stopped-not-given",
                                  "bsab-stopped-not-given", "bsab-dose-not-known-given", "car-t-not-known-given",
                                  "car-t-in-progress", "bsab-dose-in-progress",
                                  "unrecognised-code", "class-code"},
              "malignancy-not-recognised": {"unrecognised-code", "code-system-unknown", "code-wrong-system"},
              "measure-igg:indeterminate": {"igg-indeterminate"}}
# A caveat naming an IgG -> the data note kinds on the same IgG (whose source the value names), which would say it
# again in the same card: the latest IgG not used (on substitution); the IgG awaiting its result (registered: a
# preliminary one's note says more, that a result not final exists).
NOTED_BY_CAVEAT = {"igg-during-substitution-ignored": ("igg-during-substitution", "ignored_igg_source"),
                   "igg-during-substitution-ignored-dated": ("igg-during-substitution", "ignored_igg_source"),
                   "igg-in-washout-ignored": ("igg-during-substitution", "ignored_igg_source"),
                   "igg-during-other-use-ignored": ("igg-during-other-use", "ignored_igg_source"),
                   "igg-pending": ("igg-registered", "igg_pending_source"),
                   # the M-protein whose amount could not be read: the caveat quotes it and says why
                   "paraprotein-unread": ("m-protein-unreadable", "m_protein_unread_source"),
                   # the record the patient may be on, known only by its name: the caveat is its note on a start card
                   "ig-maybe-on": ("ig-by-name", "ig_maybe_on_source"),
                   # the infections not confirmed that would decide: the caveat names them (the latest, and how many)
                   "infections-unconfirmed": ("infection-unconfirmed", "unconfirmed_infection_sources"),
                   "infections-unconfirmed-several": ("infection-unconfirmed", "unconfirmed_infection_sources"),
                   "infections-uncoded": ("unrecognised-code", "uncoded_infection_sources"),
                   "infections-uncoded-several": ("unrecognised-code", "uncoded_infection_sources"),
                   # a sterile-site culture with no diagnosis that could decide: the caveat is its note
                   "infections-culture-only": ("culture-without-diagnosis", "cultured_sources"),
                   "infections-culture-only-several": ("culture-without-diagnosis", "cultured_sources")}
# Advice that holds an order against the adult criteria: only it lists the criteria not met (the child card, made
# from the same order's values, says the adult criteria do not apply).
JUDGED = {"order-does-not-meet-criteria"}
# The criteria an order fails whose words (`catalogue.FAILING`) give the IgG's age: where the "Not met" line names
# one, the IgG's line does not say the age again.
AGE_GIVING_CRITERIA = frozenset({"igg-stale"})
# ... and those whose words give the stop date: the "Not met" line naming one keeps it on a card cut to its first facts.
STOP_DATE_CRITERIA = frozenset({"past-stop-date", "starts-after-stop-date"})
# The draft cards of a child (order-not-recognised): the age they were judged on is on a fact line of its own.
CHILD_DRAFT = {"child", "no-code-child", "unknown-system-child", "unknown-system-no-index-child",
               "wrong-system-child", "wrong-system-no-index-child"}
# Notes about the course a card tells to pause or review: only those cards show them (not an order hook's card).
ONLY_ON = {"statement-past-order-end": STOP_CARD_CODES}
# Substitution under the general stop criteria: the days left of the window are no countdown to its stop, and read
# as one beside "stop review"; the window's dates stay.
NO_COUNTDOWN = {("general-stop-review", "due"), ("general-stop-review", "info"),
                ("general-stop-review", "order-ends-earlier"), ("general-stop-review", "record-ends-earlier"),
                ("order-meets-criteria", "continuation-general"), ("order-meets-criteria", "continuation-general-due")}

# What a crowded card keeps, first to last. The decision, the high-risk window's line, the to-do and the guideline
# section are never cut. The code reads this list twice: the ranks before "caveats" are held whole (`held_ranks`), the
# others fitted in the room left; and what the cuts took is given back in the list's order where it fits, rank by rank
# (`_fitted`). The cuts themselves go in steps with floors (data notes beyond the first kind, the reminder, the
# explanations for a held rank, then data notes only counted (a card without a link keeps the first kind named to the
# next step, or till a fact would go for it), caveats beyond two, facts beyond three, each step to the next only while
# the card is over), not strictly from the last rank up. Where the held ranks do not fit beside what is never cut, or
# cost a fact, a caveat of `catalogue.DECISIVE_CAVEATS` or the first kind of data note named, the card is fitted as if
# nothing were held; a Danish card is also fitted so where holding loses more of the caveats its English card keeps
# (`_detail`). Whatever of the caveats is cut, the card counts it with the data notes it does not count, in one pointer
# ("+1 more data note and 2 notes on the explanation page"). A caveat the specification requires on every card that
# carries it (`catalogue.REQUIRED_CAVEATS`: an IgG taken on substitution, a myeloma or M-protein of unknown type) is cut
# by no step: each takes the other caveats first, and the facts beyond the window's line, the reminder and the data
# notes' detail go before it too; nor does a held rank take it. Where even then the card does not fit (the facts at
# their floor of two), it goes last, counted, rather than a text cut off mid-word. The IgG a kept caveat speaks of
# (`catalogue.THIS_IGG_CAVEATS`) stays with it.
KEEPS = (
    "evidence-note",  # a data note on a record the advice rests on (`Advice.evidence`), and a caveat that could
                      # change the decision (`catalogue.DECISIVE_CAVEATS`) or that the specification requires
                      # (`REQUIRED_CAVEATS`): neither goes for the reminder
    "reminder-against",  # on a card that advises against starting (`AdviceKind.advises_against_start`): vaccination
                         # and antibiotic prophylaxis are the guideline's alternative there (§4.1, §4.3)
    "caveats",  # the explanatory notes, then the facts beyond the window's line (a fact never for a note spelled out)
    "facts",
    "first-note",  # the first kind of the other data notes (`notes.rank`: what could change the decision) named, its
                   # EHR text shortened first; a caveat comes back before its text is whole
    "reminder",  # the reminder on the other cards
    "notes",  # the other data notes, counted where they do not fit ("n data notes not shown here")
)


# A caveat that could change the decision takes the room of the data notes' detail (they are counted for it) only
# where the first kind of note is one of the infections and cultures, from this kind on in `notes.NOTE_TEXT`'s order:
# the notes before it (immunoglobulin, CAR-T and bsAb records, drafts, IgG results, codes and dates not read) are what
# a card stands on ("a dose recorded stopped, 'Not given, febrile': read as none given"; "IgG 9.0 g/L ... not final
# yet"), and stay named
DECISIVE_OVER_NOTES_FROM = "infection-undated"


def held_ranks() -> tuple[str, ...]:
    """The ranks of `KEEPS` held whole: those before the explanatory caveats, whose room they take first."""
    return KEEPS[:KEEPS.index("caveats")]


def decisive_caveats(caveat_keys: tuple[str, ...], lang: str, p: Placeholders) -> list[str]:
    """The texts of the caveats among `caveat_keys` that could change the decision (`DECISIVE_CAVEATS`) or that the
    specification requires on the card (`REQUIRED_CAVEATS`), as a card says them: none goes for a held rank."""
    return [CAVEATS[c](lang).format_map(p) for c in caveat_keys if c in DECISIVE_CAVEATS or c in REQUIRED_CAVEATS]


def _cuttable(caveats: list[str], required: set[str]) -> bool:
    """Whether `caveats` has one a cut step may take: any but those the specification requires."""
    return any(c not in required for c in caveats)


def says(text: str, caveat: str, lang: str, p: Placeholders) -> bool:
    """Whether the detail `text` says this caveat, whole or in its briefer form (`catalogue.BRIEFER_CAVEATS`)."""
    if CAVEATS[caveat](lang).format_map(p) in text:
        return True
    brief = BRIEFER_CAVEATS.get(caveat)
    return brief is not None and CAVEATS[brief](lang).format_map(p) in text


def _cut_last(caveats: list[str], required: set[str], decisive: set[str]) -> list[str]:
    """`caveats` less the last one that explains (neither required nor one that could change the decision), else the
    last one not required (a required caveat stays where it is): a Danish start card on the window's last day kept
    "IgG seldom recovers ..., an IgG this old still supports a start" and cut "the special criterion ends tomorrow"."""
    explaining = [k for k, c in enumerate(caveats) if c not in required and c not in decisive]
    last = max(explaining) if explaining else max(k for k, c in enumerate(caveats) if c not in required)
    return caveats[:last] + caveats[last + 1:]


Link = Callable[[str], "str | None"]  # card uuid -> the URL of its explanation page (None: no page)


@dataclass(frozen=True)
class CardContext:
    """What the card layer needs besides the advice: language, patient, rule set, raw resources."""

    lang: str
    patient_id: str
    ruleset: RuleSet
    terminology: Terminology
    resources: Mapping[str, Mapping[str, Any]]
    notes: tuple[DataNote, ...]
    link: Link | None = None
    tz: ZoneInfo = ZoneInfo(Settings.timezone)  # the hospital's time zone (the runtime's): whose day a date is


# Where a summary names the IgG a decision used: at its start or after a colon, or as the latest IgG ("Last IgG",
# "Seneste IgG": a stale one), which then reads "Last polyclonal IgG" / "Seneste polyklonale IgG".
POLYCLONAL_AT = re.compile(r"(^|: )(Last |Seneste )?IgG \{igg\}")


def _int(value: object) -> int:
    """A count among the advice's values (days, an int or None); absent counts as 0."""
    return int(value) if isinstance(value, (int, float)) else 0


def _refs(value: object) -> tuple[str, ...]:
    """A tuple of references among the advice's values; absent is none."""
    return value if isinstance(value, tuple) else ()


def _named_polyclonal(m: re.Match[str], named: str) -> str:
    if not m.group(2):
        return m.group(1) + named
    return m.group(1) + m.group(2) + named.replace("polyklonal ", "polyklonale ", 1)


def summary_template(advice: Advice, lang: str, p: Placeholders) -> str:
    """The advice's summary template; an IgG reported as a bound ("<4.0 g/L") is not compared again with the threshold
    the rules found it below ("IgG <4.0 g/L < 4 g/L" read as a slip)."""
    template = CATALOGUE[advice.code].variant(advice.variant).summary(lang)
    if str(p.get("igg", "")).startswith("<"):
        template = template.replace("{igg} < {threshold}", "{igg}")
    return template


def summary(advice: Advice, lang: str, p: Placeholders) -> str:
    template = summary_template(advice, lang, p)
    candidates = []
    if advice.values.get("m_protein") is not None and POLYCLONAL_AT.search(template):
        # the IgG decided on is polyclonal: say so, with the total; to fit, the days left are said briefer, then go,
        # then the total
        for named in (FACT["polyclonal-summary"](lang), FACT["polyclonal-summary-short"](lang)):
            full = POLYCLONAL_AT.sub(partial(_named_polyclonal, named=named), template, count=1)
            full = full[:1].upper() + full[1:]
            shorter = full.replace(" ({days_left})", "")
            candidates += [full, full.replace("{days_left}", "{days_left_brief}"), shorter, SINCE_T0.sub("", shorter)]
    # the template whole; else without T0, which the facts give too (a long criterion an order fails); an M-protein
    # sent as text quoted whole first, else briefer (`BRIEF_QUOTES`), before anything else is cut
    briefer = Placeholders(p, **{key: p[brief] for key, brief in BRIEF_QUOTES.items() if brief in p})
    for candidate in (*candidates, template, SINCE_T0.sub("", template)):
        for values in (p, briefer) if briefer != p else (p,):
            text = candidate.format_map(values)
            if len(text) < SUMMARY_LIMIT:
                return text
    return text[: SUMMARY_LIMIT - 2].rstrip() + "…"


class FactLines(NamedTuple):
    """The facts a decision rests on (`lines`), and which of them is the IgG the advice used (`igg`, total or
    polyclonal; None where none): the line a caveat about "this IgG" (`THIS_IGG_CAVEATS`) keeps on the card; and the
    lines that give the stop date (`stop_dated`: the window's, alone or joined to the T0 line, a planned start's, a
    criterion not met that names it), which a card cut to its first facts must not lose."""

    lines: list[str]
    igg: str | None
    stop_dated: frozenset[str] = frozenset()


def fact_lines(advice: Advice, lang: str, p: Placeholders, m_protein_dated: bool = True) -> FactLines:
    """The 2–5 facts a decision rests on, each with its date (no resource ids); `m_protein_dated`: an M-protein
    measured on another day than the IgG is dated."""
    v = advice.values
    lines: list[str] = []
    igg_line: str | None = None
    stop_dated: set[str] = set()
    sent = v.get("failing")
    failing: tuple[object, ...] = sent if isinstance(sent, tuple) else ()
    not_met = bool(p.get("failing_all")) and advice.code in JUDGED  # a child's card: the order's values, no verdict
    if not_met:
        lines.append(f"**{NOT_MET(lang)}:** {p['failing_all']}")
        if not STOP_DATE_CRITERIA.isdisjoint(failing):
            stop_dated.add(lines[-1])
    if advice.code == "child-individual-assessment" and v.get("age") is not None:
        lines.append(FACT["age-at-order" if advice.variant == "car-t-product" else "age"](lang).format_map(p))
    elif advice.code == "order-not-recognised" and advice.variant in CHILD_DRAFT and v.get("age") is not None:
        # the summary's "child (17 y)" is the age at T0 (or on the planned start): say which, as the child card does
        lines.append(FACT["age-at-order" if v.get("age_at_order_start") else "age"](lang).format_map(p))
    if "igg" in p:
        old = FACT["igg-old"](lang).format_map(p)
        # the IgG's age, unless the criterion not met gives it (a start's note on an old IgG relies on it)
        aged = bool(v.get("igg_stale")) and not (not_met and not AGE_GIVING_CRITERIA.isdisjoint(failing))
        if v.get("m_protein") is not None:
            # its age where the note under a start relies on it ("an IgG of this age"); the summary gives it elsewhere
            aged = aged and "stale-igg-supports-start" in advice.caveats
            dated = Placeholders(p, igg_date=f"{p.get('igg_date', '')}{old}") if aged else p
            line = FACT["polyclonal"](lang).format_map(dated)
            if m_protein_dated and _m_protein_other_day(p):
                # measured on another day (up to the policy's days apart): the clinician judges how far it still holds
                line += FACT["m-protein-date"](lang).format_map(p)
            lines.append(igg_line := line)
        else:
            line = FACT["igg"](lang).format_map(p)
            if v.get("igg_reported"):
                line += FACT["igg-reported"](lang).format_map(p)
            if aged:
                line += old
            lines.append(igg_line := line)
            if v.get("untyped_m_protein") is not None:
                lines.append(FACT["m-protein-untyped"](lang).format_map(p))
            elif "m_protein_unread_date" in p:
                lines.append(FACT["m-protein-unread"](lang).format_map(p))
            elif "last_m_protein" in p:
                lines.append(FACT["m-protein-last"](lang).format_map(p))
    kind = str(v.get("t0_kind") or "")
    window = window_facts(advice, lang, p)
    if advice.code == "plan-igg-monitoring" and advice.variant not in ("continues", "continues-after-window"):
        lines.append(FACT["window-planned"](lang).format_map(p) if kind != "car-t-product" else "")
        stop_dated.add(lines[-1])
    elif window is not None:
        lines += window[:2]
        stop_dated.update(window[1:])
    dates = v.get("infection_dates")
    if isinstance(dates, tuple) and dates:
        # what they were, with their dates ("Bacterial pneumonia ..., admitted" says it already)
        shown, named = named_dates(dates, () if v.get("infection_admitted") else v.get("infection_names"), lang)
        line = FACT["severe" if v.get("infection_severe") else "recurrent"](lang).format(dates=", ".join(shown)) + named
        if v.get("infection_admitted"):  # one pneumonia, severe by its stay
            line = FACT["severe-admitted" if v.get("infection_discharged") else "severe-admitted-open"](lang).format(
                dates=dates[-1], admitted=v["infection_admitted"], discharged=v.get("infection_discharged"))
        episodes = v.get("infection_episodes")
        if isinstance(episodes, tuple) and len(episodes) > 1:  # several episodes: how many, the latest dated
            line = infection_episodes_line(episodes, v.get("infection_severe_episodes"), lang,
                                           v.get("infection_episode_names"))
        cultures = v.get("infection_cultures")
        if isinstance(cultures, tuple) and cultures:  # every shown episode's culture, not only the latest
            named_cultures = [culture_named(str(item), lang, FACT["culture"], FACT["culture-sets"])
                              for item in cultures[-3:]]
            line += f" ({', '.join(named_cultures)})"
        lines.append(line.replace("  ", " "))
    seen = v.get("infections_seen")
    if isinstance(seen, tuple) and seen:  # counted, but not enough for the general criteria
        key = "infections-seen" if len(seen) == 1 else \
            "infections-seen-one-episode" if v.get("infections_seen_episodes") == 1 else "infections-seen-many"
        lines.append(FACT[key](lang).format(n=len(seen), dates=", ".join(seen[-3:])))
    if v.get("episode_start") is not None:  # a child's card too: an individual assessment starts from the Ig given
        product = p.get("episode_product") or FACT["immunoglobulin"](lang)
        booked = isinstance(start := v["episode_start"], date) and isinstance(v.get("today"), date) \
            and start > v["today"]  # type: ignore[operator]
        key = "substitution-start-unrecorded" if v.get("episode_start_unrecorded") else \
            "substitution-booked" if booked else "substitution-until" if v.get("ordered_until") else "substitution"
        lines.append(FACT[key](lang).format_map(Placeholders(p, episode_product=product)))
    if v.get("order_source") and advice.code in ("order-meets-criteria", "order-does-not-meet-criteria",
                                                 "order-not-recognised"):
        end, stop = v.get("order_end"), v.get("stop_date")
        past = (end - stop).days if isinstance(end, date) and isinstance(stop, date) else 0
        key = "order" if not isinstance(end, date) else "order-past-stop" if past > 0 else "order-until"
        written = FACT["order-written-start"](lang).format_map(p) if v.get("order_written_start") else ""
        lines.append(FACT[key](lang).format_map(Placeholders(p, past_stop=days(past, lang),
                                                             order_start=p.get("order_start", "") + written)))
    shown = [line for line in lines if line][:MAX_FACTS]
    return FactLines(shown, igg_line if igg_line in shown else None, frozenset(stop_dated - {""}))


def window_facts(advice: Advice, lang: str, p: Placeholders) -> tuple[str, str, str] | None:
    """The T0 line, the window line (its stop date, the days left, a restart's "general criteria"), and the two as
    one line, which a detail too long for both keeps (`_detail`); None when the card names no window from T0."""
    v = advice.values
    kind = str(v.get("t0_kind") or "")
    if advice.code == "plan-igg-monitoring" and advice.variant not in ("continues", "continues-after-window") \
            or kind not in ("car-t", "bsab") or "t0" not in p:
        return None
    # a child's card from a bsAb draft that starts the course: its T0 is the draft's planned start, not a dose given
    planned = advice.code == "child-individual-assessment" and kind == "bsab" and v.get("order_source") is not None \
        and v.get("t0_source") == v.get("order_source")
    t0 = FACT["t0:bsab-again" if kind == "bsab" and "t0_pause" in p else "t0:bsab-planned" if planned
              else f"t0:{kind}"](lang).format_map(p)
    tail = ""
    counted = (advice.code, advice.variant) not in NO_COUNTDOWN
    if counted and p.get("days_left") and _int(v.get("days_to_stop")) > 0:  # on the stop date it has closed
        tail += FACT["window-left"](lang).format_map(p)
    if v.get("restart_in_window"):
        tail += FACT[restart_fact(p)](lang).format_map(p)
    return t0, FACT["window"](lang).format_map(p) + tail, t0 + FACT["window-to"](lang).format_map(p) + tail


def named_dates(dates: tuple[object, ...], names: object, lang: str) -> tuple[list[str], str]:
    """The latest three dates, and what each infection was (its code's `card_name`): one name after them when they
    all share it (": sepsis"), else each named date with its own ("2026-01-10 pneumonia, 2026-03-01, 2026-05-20
    sepsis"), so a name never reads as the name of a date it is not; a generic code (A49.9) names none."""
    given = names if isinstance(names, tuple) and len(names) == len(dates) else ("",) * len(dates)
    pairs = list(zip((str(d) for d in dates), given))[-3:]
    words = [INFECTION_NAME[str(n)](lang) if str(n) in INFECTION_NAME else "" for _, n in pairs]
    if words and words[0] and len(set(words)) == 1:
        return [day for day, _ in pairs], f": {words[0]}"
    return [f"{day} {word}" if word else day for (day, _), word in zip(pairs, words)], ""


def infection_episodes_line(episodes: tuple[object, ...], severe: object, lang: str, names: object = ()) -> str:
    """Several episodes of severe or recurrent infection: the latest three dated, what they were (`named_dates`), how
    many, which were severe."""
    severe = severe if isinstance(severe, tuple) else ()
    shown = episodes[-3:]
    labelled, named = named_dates(episodes, names, lang)
    dates = ", ".join(labelled)
    if not severe:
        line = FACT["recurrent"](lang).format(dates=dates)
    elif len(severe) == len(episodes):
        line = FACT["severe-episodes"](lang).format(dates=dates)
    else:
        # only the severe ones among the episodes shown: "severe 2026-05-25 among the episodes 2026-07-15, ..." named
        # as among them a day that is not
        among = [str(d) for d in severe if str(d) in {str(e) for e in shown}]
        key = "severe-among-episodes" if len(among) == 1 else "severe-many-among-episodes"  # two days: two infections
        line = FACT[key](lang).format(severe=", ".join(among), dates=dates) if among else \
            FACT["severe-before-episodes"](lang).format(severe=str(severe[-1]), dates=dates)
    return line + named + FACT[
        "episodes" if len(shown) == len(episodes) else "episodes-latest"](lang).format(n=len(episodes), shown=len(shown))


def _m_protein_other_day(p: Placeholders) -> bool:
    return bool(p.get("m_protein_date")) and p.get("m_protein_date") != p.get("igg_date")


def detail(advice: Advice, ctx: CardContext, p: Placeholders, has_link: bool) -> str:
    """At most 700 characters: decision, facts, what to do, notes, data not used, section. A draft's start as written,
    where it has passed (`order_written_start`: the card judges it from the day it is signed, the day its line gives),
    is said beside that day only where the card is otherwise the same: never a note, the reminder or the to-do's spare
    sentence for it (it is on the page)."""
    if "order_written_start" not in advice.values:
        return _detail_spare(advice, ctx, p, has_link)
    plain = _detail_spare(replace(advice, values={k: v for k, v in advice.values.items() if k != "order_written_start"}),
                          ctx, p, has_link)
    return _if_free(plain, _detail_spare(advice, ctx, p, has_link), FACT["order-written-start"](ctx.lang).format_map(p))


def _if_free(plain: str, fuller: str, extra: str) -> str:
    """`fuller` (the detail with `extra` said once more) where it is `plain` but for `extra`: nothing went for it."""
    return fuller if fuller.replace(extra, "", 1) == plain else plain


def _detail_spare(advice: Advice, ctx: CardContext, p: Placeholders, has_link: bool) -> str:
    """The detail; the variant's spare sentence (`Variant.spare_action`) joins the to-do only where the card is
    otherwise the same: the first line to go on a crowded card, never a fact, a note or the reminder for it."""
    plain = _detail_m_protein(advice, ctx, p, has_link)
    spare = CATALOGUE[advice.code].variant(advice.variant).spare_action
    if spare is None:
        return plain
    return _if_free(plain, _detail_m_protein(advice, ctx, p, has_link, spare_action=True),
                    f" {spare(ctx.lang).format_map(p)}")


def _detail_m_protein(advice: Advice, ctx: CardContext, p: Placeholders, has_link: bool, spare_action: bool = False) -> str:
    """The detail; an M-protein measured on another day than the IgG is dated, unless that date would cost the card a
    fact (the date is on the page)."""
    text, facts = _detail_dated(advice, ctx, p, has_link, True, spare_action)
    if advice.values.get("m_protein") is not None and _m_protein_other_day(p):
        undated, fewer = _detail_dated(advice, ctx, p, has_link, False, spare_action)
        if len(fewer) > len(facts):
            return undated
    return text


def said_caveats(advice: Advice) -> tuple[str, ...]:
    """The advice's caveats in the form its card says them: an IgG set aside or used is spoken of by why it counts
    (ITP immunoglobulin only, from when an IgG counts, in a washout), which the values know and the rules' key not."""
    caveat_keys = advice.caveats
    if advice.values.get("ignored_igg_other_use"):  # in the washout of ITP immunoglobulin only: not 'on substitution'
        caveat_keys = tuple("igg-during-other-use-ignored" if c == "igg-during-substitution-ignored" else c
                            for c in caveat_keys)
    elif advice.values.get("ignored_igg_counts_from") is not None:  # the substitution over: from when an IgG counts
        caveat_keys = tuple("igg-during-substitution-ignored-dated" if c == "igg-during-substitution-ignored" else c
                            for c in caveat_keys)
    elif advice.values.get("ignored_igg_in_washout"):  # taken after the course ended, its washout over since
        caveat_keys = tuple("igg-in-washout-ignored" if c == "igg-during-substitution-ignored" else c
                            for c in caveat_keys)
    if advice.values.get("igg_other_use"):  # the IgG used lies in the washout of ITP immunoglobulin only
        caveat_keys = tuple("igg-during-other-use" if c == "igg-during-substitution" else c for c in caveat_keys)
    return caveat_keys


def _detail_dated(advice: Advice, ctx: CardContext, p: Placeholders, has_link: bool,
                  m_protein_dated: bool, spare_action: bool = False) -> tuple[str, list[str]]:
    caveat_keys = said_caveats(advice)
    text, facts = _detail(advice, ctx, p, has_link, caveat_keys, m_protein_dated=m_protein_dated, spare_action=spare_action)
    dates = p.get("infection_dates")
    if "infections-at-stop-attempt" in advice.caveats and dates and any(dates in line for line in facts):
        # the fact line dates the infections (and counts the episodes): the note need not date them again, and the
        # room goes to what the longer note pushed out (the reminder)
        caveat_keys = tuple("infections-at-stop-attempt-dated" if c == "infections-at-stop-attempt" else c
                            for c in advice.caveats)
        text, facts = _detail(advice, ctx, p, has_link, caveat_keys, m_protein_dated=m_protein_dated, spare_action=spare_action)
    naming = {c: CAVEATS[c](ctx.lang).format_map(p) for c in caveat_keys
              if c in NOTED_BY_CAVEAT and advice.values.get(NOTED_BY_CAVEAT[c][1])}
    if any(said not in text for said in naming.values()):
        # a caveat naming a record (an IgG, an infection) was cut for length, or said briefer (without the record's
        # day and why it was not read): its data note stays, so the card still counts it; those of the caveats kept
        # whole are not said twice
        kept = frozenset(c for c, said in naming.items() if said in text)
        text, facts = _detail(advice, ctx, p, has_link, caveat_keys, noted_by_caveat=kept,
                              m_protein_dated=m_protein_dated, spare_action=spare_action)
    return text, facts


def _detail(advice: Advice, ctx: CardContext, p: Placeholders, has_link: bool,
            caveat_keys: tuple[str, ...], noted_by_caveat: frozenset[str] | None = None,
            m_protein_dated: bool = True, spare_action: bool = False) -> tuple[str, list[str]]:
    """The detail with these caveats, and the facts it kept (without the data notes a caveat of the card says again:
    `noted_by_caveat`, the caveats whose records' notes go, None for every one): the first two ranks of `KEEPS` whole where the card then still fits, else fitted with the
    rest."""
    fitted = _fitted(advice, ctx, p, has_link, caveat_keys, noted_by_caveat, m_protein_dated, held=True, spare_action=spare_action)
    if fitted is not None and not fitted[2]:
        return fitted[0], fitted[1]  # nothing held: fitted as ever
    plain = _fitted(advice, ctx, p, has_link, caveat_keys, noted_by_caveat, m_protein_dated, held=False, spare_action=spare_action)
    assert plain is not None  # never None without holding: the text is cut at a word at worst
    window = window_facts(advice, ctx.lang, p)
    if fitted is None or _facts_shown(fitted[1], window) < _facts_shown(plain[1], window) \
            or (plain[3] and not fitted[3]) \
            or any(says(plain[0], c, ctx.lang, p) and not says(fitted[0], c, ctx.lang, p)
                   for c in caveat_keys if c in DECISIVE_CAVEATS or c in REQUIRED_CAVEATS):
        # a fact the decision rests on, a caveat that could change it, or the data note likeliest to (the first kind,
        # `notes.rank`: an IgG after the one used that could not be read) never goes for a held rank: only the
        # explanations do
        return plain[0], plain[1]
    if ctx.lang != "en" and any(not says(fitted[0], c, ctx.lang, p) for c in caveat_keys if c in CAVEATS):
        # a held rank never takes a caveat the English card keeps (a card that kept every caveat took none: the
        # English card, fitted only to compare, is not needed): the Danish words are longer, and the English card
        # had room for both where the Danish, holding the reminder, dropped "this IgG may still show infused
        # immunoglobulin"
        english = placeholders(advice, ctx.ruleset.parameters, "en", markdown=True)
        en_text, _ = _detail(advice, replace(ctx, lang="en"), english, has_link, caveat_keys, noted_by_caveat,
                             m_protein_dated, spare_action)
        en_kept = {c for c in caveat_keys if c in CAVEATS and says(en_text, c, "en", english)}

        def lost(text: str) -> int:
            return sum(1 for c in en_kept if not says(text, c, ctx.lang, p))

        if lost(plain[0]) < lost(fitted[0]):
            return plain[0], plain[1]
    return fitted[0], fitted[1]


def _fitted(advice: Advice, ctx: CardContext, p: Placeholders, has_link: bool, caveat_keys: tuple[str, ...],
            noted_by_caveat: frozenset[str] | None, m_protein_dated: bool, held: bool,
            spare_action: bool = False) -> tuple[str, list[str], bool, bool] | None:
    """The detail in `DETAIL_LIMIT`, cut and given back in the order of `KEEPS`; `held`: the data notes on the
    advice's evidence and the reminder of a card against a start kept whole (None where they do not fit); with the
    text and the facts kept, whether anything was held and whether a data note not held is named (not only counted)."""
    lang = ctx.lang
    variant = CATALOGUE[advice.code].variant(advice.variant)
    found = fact_lines(advice, lang, p, m_protein_dated)
    facts = [f"- {line}" for line in found.lines]
    stop_dated = {f"- {line}" for line in found.stop_dated}
    awaiting = PENDING_ACTIONS.get(f"{advice.code}:{advice.variant}") if "igg-pending" in caveat_keys else None
    # an IgG whose M-protein could change the decision: measured with that M-protein
    with_m = None if awaiting is not None or f"{advice.code}:{advice.variant}" not in MEASURE_NOW_VARIANTS \
        else next((MEASURE_WITH_M_PROTEIN[c] for c in caveat_keys if c in MEASURE_WITH_M_PROTEIN),
                  next((MEASURE_WITH_M_PROTEIN_BY_NOTE[n.kind] for n in ctx.notes
                        if n.kind in MEASURE_WITH_M_PROTEIN_BY_NOTE), None))
    # the stop date holds only if a bsAb course booked to begin by then has not begun
    booked = BOOKED_THERAPY_ACTION if "therapy-booked-moves-stop" in caveat_keys \
        and advice.variant not in KEEP_TODO_BESIDE_BOOKED else None
    todo = f"**{TO_DO(lang)}:** {(awaiting or with_m or booked or variant.action)(lang).format_map(p)}"  # an IgG on its way: wait for it
    if spare_action and variant.spare_action is not None and awaiting is None and booked is None:
        todo += f" {variant.spare_action(lang).format_map(p)}"
    spare_keys = SPARE_CAVEATS | SPARE_ON_ORDER if advice.code in JUDGED else SPARE_CAVEATS
    caveats = [f"*{NOTE(lang)}:* {CAVEATS[c](lang).format_map(p)}" for c in caveat_keys
               if c in CAVEATS and c not in SHOWN_AS_FACTS and c not in spare_keys]
    spare = [f"*{NOTE(lang)}:* {CAVEATS[c](lang).format_map(p)}" for c in caveat_keys if c in spare_keys]
    decisive = {f"*{NOTE(lang)}:* {said}" for said in decisive_caveats(caveat_keys, lang, p)}
    # a required caveat's briefer form, said before that caveat would be cut
    brief_form = {f"*{NOTE(lang)}:* {CAVEATS[c](lang).format_map(p)}": f"*{NOTE(lang)}:* {CAVEATS[b](lang).format_map(p)}"
                  for c in caveat_keys if (b := BRIEFER_CAVEATS.get(c)) is not None}
    required = {f"*{NOTE(lang)}:* {CAVEATS[c](lang).format_map(p)}" for c in caveat_keys if c in REQUIRED_CAVEATS}
    leading = {f"*{NOTE(lang)}:* {CAVEATS[c](lang).format_map(p)}" for c in caveat_keys if c in LEADING_CAVEATS}
    required |= {b for c, b in brief_form.items() if c in required}
    leading |= {b for c, b in brief_form.items() if c in leading}
    about_igg = {f"*{NOTE(lang)}:* {CAVEATS[c](lang).format_map(p)}" for c in caveat_keys if c in THIS_IGG_CAVEATS}
    igg_line = f"- {found.igg}" if about_igg and found.igg is not None else None
    notes = ctx.notes
    self_noted = SELF_NOTED.get(advice.code) or SELF_NOTED.get(f"{advice.code}:{advice.variant}")
    if self_noted:  # the card is about that record: its note would say it twice
        notes = tuple(n for n in notes if not (n.kind in self_noted and n.source in advice.evidence))
    notes = tuple(n for n in notes if n.kind not in ONLY_ON or advice.code in ONLY_ON[n.kind])
    by_caveat = {c: advice.values.get(NOTED_BY_CAVEAT[c][1]) for c in caveat_keys if c in NOTED_BY_CAVEAT
                 and (noted_by_caveat is None or c in noted_by_caveat)}
    said = {(NOTED_BY_CAVEAT[c][0], source) for c, ref in by_caveat.items() for source in _refs(ref) or (ref,)}
    if said:  # the caveat names that IgG and why it was not used: its data note would say it twice
        notes = tuple(n for n in notes if (n.kind, n.source) not in said)
    brief = partial(notes_line, on_substitution=reads_on_substitution(advice.code, advice.variant,
                                                                       advice.values))
    holding = held_ranks() if held else ()
    evidence = tuple(n for n in notes if n.source in advice.evidence) if "evidence-note" in holding else ()
    notes = tuple(n for n in notes if n not in evidence)
    held_notes = brief(evidence, lang, max_groups=len(evidence), linked=has_link).text if evidence else ""
    held_reminder = REMINDER(lang) if "reminder-against" in holding and CATALOGUE[advice.code].advises_against_start \
        else ""
    unused = brief(notes, lang, linked=has_link)
    source = f"{GUIDELINE(lang)} {advice.section}."
    reminder = REMINDER(lang)
    every_caveat = caveats

    counted = brief(notes, lang, max_groups=0, linked=has_link)

    def assemble(facts: list[str], caveats: list[str], unused: NotesLine, reminder: str) -> str:
        # a caveat cut is counted, as a data note is; a spare caveat added where there is room is none cut
        cut = sum(1 for c in every_caveat if c not in caveats and brief_form.get(c) not in caveats)
        more = unused.counted if cut and unused.named else 0
        if cut and unused and unused == counted:  # one count for both
            shown, marker = "", (f"{DATA_NOTES_COUNTED[unused.counted > 1](lang).format(n=unused.counted)} "
                                 f"{AND(lang)} {NOTES_COUNTED[cut > 1](lang).format(n=cut)} "
                                 f"{COUNTED_WHERE[has_link](lang)}.")
        elif more:  # some named, the rest counted: one count for them and the caveats, in one sentence
            shown = f"{unused.named};"
            marker = (f"{MORE_DATA_NOTES[more > 1](lang).format(n=more)} {AND(lang)} "
                      f"{NOTES_COUNTED[cut > 1](lang).format(n=cut)} {COUNTED_WHERE[has_link](lang)}.")
        else:
            shown, marker = unused.text, CAVEATS_CUT[has_link][cut > 1](lang).format(n=cut) if cut else ""
        said = " ".join(part for part in (held_notes, shown, marker) if part)
        lead = [c for c in caveats if c in leading]  # read right under the decision, before its facts
        blocks = [variant.decision(lang).format_map(p), *lead, "\n".join(facts), todo,
                  "\n\n".join(c for c in caveats if c not in leading),
                  f"*{said}*" if said else "", f"{source} {reminder or held_reminder}".strip()]
        return "\n\n".join(b for b in blocks if b)

    text = assemble(facts, caveats, unused, reminder)
    whole = len(text) <= DETAIL_LIMIT  # nothing to drop: room, perhaps, for the spare caveats
    # Over the limit: drop, in turn, data notes beyond the first kind (the one likeliest to change the decision),
    # the reminder.
    if len(text) > DETAIL_LIMIT and unused:
        unused = brief(notes, lang, max_groups=1, linked=has_link)
        text = assemble(facts, caveats, unused, reminder)
    if len(text) > DETAIL_LIMIT:
        reminder = ""
        text = assemble(facts, caveats, unused, reminder)
    explaining = [c for c in caveats if c not in decisive]
    while (held_notes or held_reminder) and len(text) > DETAIL_LIMIT and explaining:
        # the ranks held whole: their room comes from the explanations first (counted, on the page), given back below
        # where they fit
        dropped = explaining.pop()
        caveats = [c for c in caveats if c != dropped]
        text = assemble(facts, caveats, unused, reminder)
    # Then the rest of the data-note detail, caveats beyond two, facts beyond three; still over (a long decision,
    # several notes, a long Danish text): the data notes only counted, one caveat, two facts, so that the text is
    # never cut off — a cut took the guideline section, or left an unclosed emphasis and half a word.
    # Facts go from the last, the window's line never: its stop date (and a restart's "general criteria") is what an
    # in-window decision rests on, and no summary gives it; where the T0 line would go, the two become one line
    # (nothing lost). A Danish restart card lost its window line where the English kept it.
    window = window_facts(advice, lang, p)
    every_fact = facts
    for last, (notes_kept, caveats_kept, facts_kept) in enumerate(((0 if has_link else 1, 2, 3), (0, 1, 2))):
        if last and window is not None and any(f"- {line}" in facts for line in window[1:]):
            # the window's line kept: the caveats (explanations) go before the data notes' detail, which may change
            # the decision, is only counted
            while len(text) > DETAIL_LIMIT and _cuttable(caveats, required):
                caveats = _cut_last(caveats, required, decisive)
                text = assemble(facts, caveats, unused, reminder)
        if len(text) > DETAIL_LIMIT and unused:
            unused = brief(notes, lang, max_groups=notes_kept, linked=has_link)
            text = assemble(facts, caveats, unused, reminder)
        while len(text) > DETAIL_LIMIT and len(caveats) > caveats_kept and _cuttable(caveats, required):
            caveats = _cut_last(caveats, required, decisive)
            text = assemble(facts, caveats, unused, reminder)
        while len(text) > DETAIL_LIMIT and len(facts) > facts_kept:
            if unused and unused != (counted := brief(notes, lang, max_groups=0, linked=has_link)):
                # a fact the decision rests on never goes for a data note spelled out: a card with no page to link
                # (replay, the worklist) kept its first note and lost the infection a general stop names; the note is
                # spelled out again below where it still fits
                unused = counted
            else:
                # the IgG a kept caveat speaks of ("this IgG") stays with it: where only it and the window's line are
                # left, the caveats go last (below) rather than leave "this IgG" naming nothing on the card
                kept_igg = igg_line if any(c in about_igg for c in caveats) else None
                fewer = _without_one(facts, window, kept_igg)
                if fewer == facts:
                    break
                facts = fewer
            text = assemble(facts, caveats, unused, reminder)
    if len(text) > DETAIL_LIMIT and facts != every_fact[:len(facts)]:
        # Still too long with the window's line: where the first facts alone would lose the stop date or a restart's
        # "general criteria", the caveats go before them; else (or still too long) the first facts, as many as fit
        # (two at least), rather than a text cut off. Decided on the lines themselves (`FactLines.stop_dated`: a
        # criterion not met that names the stop date, "the stop date 2026-04-14 has passed", keeps it), not by
        # searching the text for the date.
        first_facts = _first_facts(every_fact, window, assemble, caveats, unused, reminder)
        if _loses(every_fact, first_facts, stop_dated) or _lost_window(every_fact, first_facts, window):
            while len(text) > DETAIL_LIMIT and _cuttable(caveats, required):
                caveats = _cut_last(caveats, required, decisive)
                text = assemble(facts, caveats, unused, reminder)
        if len(text) > DETAIL_LIMIT:
            facts = _first_facts(every_fact, window, assemble, caveats, unused, reminder)
            text = assemble(facts, caveats, unused, reminder)
    while len(text) > DETAIL_LIMIT and _cuttable(caveats, required):
        # Even so too long: every caveat not required goes first, ...
        caveats = _cut_last(caveats, required, decisive)
        text = assemble(facts, caveats, unused, reminder)
    if len(text) > DETAIL_LIMIT and any(c in brief_form for c in caveats):
        # ... then a required caveat says its briefer form, before any required caveat goes
        caveats = [brief_form.get(c, c) for c in caveats]
        text = assemble(facts, caveats, unused, reminder)
    while len(text) > DETAIL_LIMIT and caveats:
        # Even so too long (every other caveat, the reminder and the data notes' detail gone, the facts at their
        # floor): a required caveat goes last, counted with the others, rather than a text cut off mid-word; the
        # facts it speaks of ("this IgG") stay.
        caveats = caveats[:-1]
        text = assemble(facts, caveats, unused, reminder)
    if len(text) <= DETAIL_LIMIT and not whole:
        # The cuts go in steps, and a later one (the data notes only counted) may leave room that an earlier one
        # took: a fact the decision rests on (the infection a general stop names), a data note, a caveat, the reminder
        # come back where they fit, rank by rank in the order of `KEEPS` (the held ranks were never cut).
        # The data notes: a kind spelled out rather than only counted, its EHR text shortened first if need be (a
        # Danish card, whose words are longer, only counted an unreadable IgG the English named).
        ladder = [(1, SHORT_DISPLAY), (1, None), (2, None)]  # a second kind never at the cost of the first's text
        reached = next((i for i, (groups, short) in enumerate(ladder)
                        if short is None and unused == brief(notes, lang, max_groups=groups, linked=has_link)), -1)

        def notes_up_to(step: int) -> None:
            nonlocal unused, reached
            for i, (groups, short) in enumerate(ladder[:step + 1]):
                fuller_notes = brief(notes, lang, max_groups=groups, linked=has_link, display_limit=short)
                if i > reached and len(assemble(facts, caveats, fuller_notes, reminder)) <= DETAIL_LIMIT:
                    unused, reached = fuller_notes, i

        # given back in turn: the caveats that could change the decision or are required first, each kept in its place
        by_rank = sorted(every_caveat, key=lambda c: c not in decisive and c not in required)

        def with_caveat(extra: str) -> list[str]:
            # the caveats kept, in their order, with `extra` given back (one said brief stays brief)
            return [c if c in caveats or c == extra else brief_form[c] for c in every_caveat
                    if c in caveats or c == extra or brief_form.get(c) in caveats]

        def facts_fit(kept: list[str]) -> bool:
            return len(assemble(kept, caveats, unused, reminder)) <= DETAIL_LIMIT

        for rank in KEEPS:
            if rank == "caveats":
                counted_for_decisive = False
                notes_on_given = min(map(note_rank, (n.kind for n in notes)),
                                     default=note_rank(DECISIVE_OVER_NOTES_FROM)) < note_rank(DECISIVE_OVER_NOTES_FROM)
                for caveat in by_rank:
                    if brief_form.get(caveat) in caveats:  # said brief: whole again where that fits
                        whole_again = [caveat if c == brief_form[caveat] else c for c in caveats]
                        if len(assemble(facts, whole_again, unused, reminder)) <= DETAIL_LIMIT:
                            caveats = whole_again
                        continue
                    kept = with_caveat(caveat)
                    weighs = caveat in decisive or caveat in required
                    if counted_for_decisive and not weighs:
                        continue  # the notes counted for a caveat that could decide come back before one explaining
                    if caveat not in caveats and len(assemble(facts, kept, unused, reminder)) <= DETAIL_LIMIT:
                        caveats = kept
                    elif caveat not in caveats and weighs and unused != counted and not notes_on_given \
                            and len(assemble(facts, kept, counted, reminder)) <= DETAIL_LIMIT:
                        # a caveat that could change the decision ranks with the evidence's note (`KEEPS`), before
                        # the other data notes' detail: those are counted for it (a Danish card kept "DJ189 ... not
                        # counted" and cut "a positive blood culture ... could change this decision"; a start card a
                        # day from its stop date, "the special criterion ends on 2026-06-01", clinical rules §7)
                        caveats, unused, reached, counted_for_decisive = kept, counted, -1, True
            elif rank == "facts":
                facts = _restored(facts, every_fact, window, facts_fit)
            elif rank == "first-note":
                # the first kind named, then a caveat it left out (a Danish card dropped "myeloma of unknown type: ...
                # could change this decision" its English kept, then gave back a second kind of data note), then the
                # first kind's EHR text whole
                notes_up_to(0)
                briefer = brief(notes, lang, max_groups=1, linked=has_link, display_limit=SHORT_DISPLAY)
                for caveat in by_rank:
                    kept = with_caveat(caveat)
                    if caveat in caveats or brief_form.get(caveat) in caveats:
                        continue
                    if len(assemble(facts, kept, unused, reminder)) <= DETAIL_LIMIT:
                        caveats = kept
                    elif reached == 1 and len(assemble(facts, kept, briefer, reminder)) <= DETAIL_LIMIT:
                        caveats, unused, reached = kept, briefer, 0  # the note still named, its EHR text shorter
                notes_up_to(1)
            elif rank == "reminder":
                if not reminder and len(assemble(facts, caveats, unused, REMINDER(lang))) <= DETAIL_LIMIT:
                    reminder = REMINDER(lang)
            elif rank == "notes":
                notes_up_to(2)
        text = assemble(facts, caveats, unused, reminder)
    if spare and whole:  # never at the cost of a fact, a caveat, a data note or the reminder
        fuller = assemble(facts, caveats + spare, unused, reminder)
        if len(fuller) <= DETAIL_LIMIT:
            text = fuller
    if held and (held_notes or held_reminder) and (len(text) > DETAIL_LIMIT or _lost_window(every_fact, facts, window)):
        return None  # the held ranks do not fit beside what is never cut: fitted with the rest
    return ((text if len(text) <= DETAIL_LIMIT else text[: DETAIL_LIMIT - 1].rsplit(" ", 1)[0] + "…"), facts,
            bool(held_notes or held_reminder), bool(unused) and unused != counted)


def _facts_shown(facts: list[str], window: tuple[str, str, str] | None) -> int:
    """How many facts `facts` shows, the T0 and window lines joined in one counting as the two they are (holding the
    reminder split them again and cost a Danish card its draft order's line, counted as even)."""
    merged = f"- {window[2]}" if window is not None else None
    return len(facts) + (1 if merged is not None and merged in facts else 0)


def _loses(every_fact: list[str], facts: list[str], these: set[str]) -> bool:
    """Whether `facts` keeps none of `these` lines, which the card had."""
    return not these.isdisjoint(every_fact) and these.isdisjoint(facts)


def _lost_window(every_fact: list[str], facts: list[str], window: tuple[str, str, str] | None) -> bool:
    """Whether the window's line (alone or joined to the T0 line), which the card had, is gone from `facts`."""
    return _loses(every_fact, facts, {f"- {part}" for part in window[1:]} if window is not None else set())


def _restored(facts: list[str], every_fact: list[str], window: tuple[str, str, str] | None,
              fits: Callable[[list[str]], bool]) -> list[str]:
    """`facts` with the facts of `every_fact` it lost put back in their places, each where `fits` still holds (the T0
    and window lines not apart again once they are one line)."""
    t0, line, merged = (f"- {part}" for part in window) if window is not None else ("", "", "")
    apart = {t0, line} if merged and merged in facts else set()

    def place(fact: str) -> int:
        return every_fact.index(t0 if fact == merged else fact)

    for fact in every_fact:
        if fact in facts or fact in apart:
            continue
        candidate = sorted([*facts, fact], key=place)
        if fits(candidate):
            facts = candidate
    return facts


def _first_facts(facts: list[str], window: tuple[str, str, str] | None,
                 assemble: Callable[[list[str], list[str], NotesLine, str], str], caveats: list[str],
                 unused: NotesLine, reminder: str) -> list[str]:
    """The first facts, as many as fit in the detail (two at least); where those would lose the window's line, the
    first facts without the T0 line, if they keep it: the window's line begins on T0's day, and the decision names
    the therapy (a Danish start card on the window's last day kept its T0 and lost "1 day left")."""
    first = _first(facts, assemble, caveats, unused, reminder)
    if window is None or not _lost_window(facts, first, window):
        return first
    t0 = f"- {window[0]}"
    without_t0 = _first([f for f in facts if f != t0], assemble, caveats, unused, reminder)
    return first if _lost_window(facts, without_t0, window) else without_t0


def _first(facts: list[str], assemble: Callable[[list[str], list[str], NotesLine, str], str], caveats: list[str],
           unused: NotesLine, reminder: str) -> list[str]:
    """The first facts, as many as fit in the detail (two at least)."""
    kept = len(facts)
    while kept > 2 and len(assemble(facts[:kept], caveats, unused, reminder)) > DETAIL_LIMIT:
        kept -= 1
    return facts[:kept]


def _without_one(facts: list[str], window: tuple[str, str, str] | None, kept: str | None = None) -> list[str]:
    """The facts less the last one that is not the window's line (nor `kept`, the IgG a kept caveat speaks of, nor a
    fact before it); the T0 line, when its turn comes beside the window's line, is not dropped but joined to it (the
    therapy and T0, the stop date, a restart: one line). The facts unchanged where every one is kept so."""
    t0, line, merged = (f"- {part}" for part in window) if window is not None else ("", "", "")
    floor = facts.index(kept) if kept in facts else -1
    if floor >= 0 and all(fact in (line, merged) for fact in facts[floor + 1:]):
        return facts
    last = next((k for k in range(len(facts) - 1, floor, -1) if facts[k] not in (line, merged)), len(facts) - 1)
    if facts[last] == t0 and line in facts:
        return [merged if fact == t0 else fact for fact in facts if fact != line]
    return facts[:last] + facts[last + 1:]


def _suggestion(label: str, actions: list[dict[str, Any]], recommended: bool | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"label": label, "uuid": new_uuid(), "actions": actions}
    if recommended is not None:
        out["isRecommended"] = recommended
    return out


def suggestions_for(advice: Advice, ctx: CardContext, p: Placeholders) -> list[dict[str, Any]]:
    from cql_like_rules.catalogue import ORDER_TEXTS, SUGGESTION_ACTIONS

    lang = ctx.lang
    values = advice.values
    today, stop = values["today"], values.get("stop_date")
    out = []
    for kind in advice.suggestions:
        if kind == "order-igg":
            # an IgG for an order starting later than one drawn today stays usable: dated from when it counts
            first, last = values.get("igg_from"), values.get("order_start")
            between = (first, last) if isinstance(first, date) and isinstance(last, date) else None
            resource = build.igg_order(ctx.terminology, ctx.patient_id, ORDER_TEXTS["igg-reason"](lang), lang,
                                       between)
            dated = ":dated" if between else ""
            out.append(_suggestion(SUGGESTION_LABELS[kind + dated](lang).format_map(p),
                                   [{"type": "create", "resource": resource,
                                     "description": SUGGESTION_ACTIONS["order-igg" + dated](lang).format_map(p)}],
                                   True))
        elif kind in ("order-ig-until-stop", "order-ig"):
            end = stop if kind == "order-ig-until-stop" else None
            dose = ORDER_TEXTS["dose-until-stop" if end else "dose-general"](lang).format_map(p)
            for route in ("iv", "sc"):
                product = ORDER_TEXTS[f"product:{route}"](lang)  # a Danish card's order reads Danish too
                resource = build.ig_order(ctx.terminology, ctx.patient_id, route, today, end, dose,  # type: ignore[arg-type]
                                          product)
                out.append(_suggestion(SUGGESTION_LABELS[f"{kind}:{route}"](lang).format_map(p),
                                       [{"type": "create", "description": SUGGESTION_ACTIONS["order-ig"](lang),
                                         "resource": resource}]))
        elif kind in ("hold-ig", "hold-booked-ig", "set-ig-end", "set-order-end"):
            actions = []
            booked = _refs(values.get("booked_after"))  # orders booked to begin on or after the stop date: held
            for ref in advice.targets:
                raw = ctx.resources.get(ref)
                # hold-ig acts on every target; the rules split the others: booked orders held, the rest ended
                if raw is None or (kind != "hold-ig" and (ref in booked) != (kind == "hold-booked-ig")):
                    continue
                shown = build.plain_reference(ref, raw)
                if kind in ("hold-ig", "hold-booked-ig"):
                    actions.append({"type": "update", "resource": build.on_hold(raw),
                                    "description": SUGGESTION_ACTIONS["hold-ig"](lang).format(ref=shown)})
                else:
                    actions.append({"type": "update",  # dose days compared as the hospital's days, as the rules do
                                    "resource": build.ending_on(raw, stop, ctx.tz, values.get("order_start"),  # type: ignore[arg-type]
                                                                build.length_reader(ctx.terminology, ctx.ruleset),
                                                                build.count_reader(ctx.terminology, ctx.ruleset),
                                                                ORDER_TEXTS["until"](lang).format_map(p)),
                                    "description": SUGGESTION_ACTIONS["set-end"](lang).format(ref=shown,
                                                                                              stop_date=p["stop_date"])})
            if actions:
                out.append(_suggestion(SUGGESTION_LABELS[kind](lang).format_map(p), actions, True))
    return out


def card(advice: Advice, evaluation: Evaluation, ctx: CardContext) -> dict[str, Any]:
    """One CDS Hooks card for one advice (no empty fields, as the spec requires)."""
    kind = CATALOGUE[advice.code]
    p, escaped = placeholder_pair(advice, ctx.ruleset.parameters, ctx.lang)  # plain: summary, title, labels
    uuid = new_uuid()
    url = ctx.link(uuid) if ctx.link is not None else None
    out: dict[str, Any] = {
        "uuid": uuid,
        "summary": summary(advice, ctx.lang, p),
        "detail": detail(advice, ctx, escaped, url is not None),
        "indicator": advice.indicator,
        "source": {
            "label": SOURCE_LABEL(ctx.lang),
            "url": ctx.ruleset.guideline_url,
            "topic": {"system": ADVICE_SYSTEM, "code": advice.code, "display": kind.title(ctx.lang).format_map(p)},
        },
        "extension": {
            RULESET_EXTENSION: ctx.ruleset.label,
            TRACE_EXTENSION: trace_json(evaluation.trace_for(advice)),
        },
    }
    if ctx.notes:  # the same notes the explanation page lists, for an EHR or an auditor reading the card as data
        out["extension"][NOTES_EXTENSION] = [note_json(n) for n in ctx.notes]
    found = suggestions_for(advice, ctx, p)
    if found:
        out["suggestions"] = found
        out["selectionBehavior"] = "at-most-one"
    if advice.override_reasons:
        out["overrideReasons"] = [
            {"system": OVERRIDE_SYSTEM, "code": code, "display": OVERRIDE_REASONS[code](ctx.lang)}
            for code in advice.override_reasons
        ]
    if url is not None:
        out["links"] = [{"label": WHY_LINK(ctx.lang), "url": url, "type": "absolute"}]
    return out


def cards(evaluation: Evaluation, ctx: CardContext, advice: tuple[Advice, ...] | None = None) -> list[dict[str, Any]]:
    """The cards of an evaluation (of `advice` when given: the kill switch may have removed some)."""
    return [card(a, evaluation, ctx) for a in (evaluation.advice if advice is None else advice)]


def restart_fact(p: Mapping[str, str]) -> str:
    """The window line's restart fact: after a course's last day (one still ahead of the day the card is read, for a
    draft judged on its planned start), a course of doses' last dose, or no date."""
    resumable = "-resumable" if "resume_by" in p else ""  # a new order begun by then still continues the course
    if resumable and "on_hold_last_dose" in p:  # ... a course on hold, by its last dose
        return "restart-on-hold-resumable"
    if resumable and "ig_last_given" in p:  # ... reached by its last dose, not its end on paper
        return "restart-last-given-resumable"
    if "previous_end" in p:
        return "restart-ends" if "today" in p and p["previous_end"] > p["today"] else f"restart{resumable}"  # ISO dates
    return f"restart-last-dose{resumable}" if "previous_last_dose" in p else "restart-undated"
