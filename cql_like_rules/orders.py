"""OrderAdvice — the same rules, applied to a draft order (order-select / order-sign).

A draft immunoglobulin order is held against the start criteria that apply at its planned
start (§4.1, §4.3): the dosage's boundsPeriod.start, else the day it is signed. A draft
bsAb or CAR-T product order starts (or continues) a high-risk window, so IgG monitoring is
planned. The definitions here are order-scoped (`c.order` is the draft being judged); they
build on the patient-level definitions of `library.py`, and the trace shows both.

Assumptions where the guideline is not specific:
- A draft IG order while the patient is on substitution is a continuation: it meets the
  criteria under the special stop rule only up to the stop date. So is a renewal that, read as signed (`as_signed`),
  continues an ended course by `Current Episode`'s rule (within `ig_continuity_gap_days` of its end, or within the
  course days of a dose): a late renewal, not a restart, as patient-view reads it once signed.
- The end on the stop date a card recommends comes with the short extension §4.2 allows as an override reason.
- A draft planned to start later is judged on the course at its start where that differs from today's (`as_signed`):
  the patient-level definitions read on its start, from the chart as it stands today (`facts.known_by`). One starting
  after today's order has ended, with nothing joining them, is a new course (its card says why); one starting after
  a course booked ahead has begun continues that course. A draft alone at its start only because today's course ends
  with recorded doses (the next not yet given) is read as today. Countdowns, "the window still runs", an IgG on its
  way and the other drafts' dates stay today's (`read_on`).
- Two drafts of one session are judged each without the other.
- An order planned to start on or after the stop date follows the general criteria.
- Inside the window, a stale IgG < 4 still supports the start (as on patient-view); an order that starts
  after the stop date is held to the IgG age allowed after the window (`stale_days_after_window`).
- Under the general criteria (after the window, or a restart) with no severe/recurrent infection, the order
  fails for want of infections alone, whatever the IgG's age or absence, as patient-view says the same day (an
  old IgG < 4: no-start-without-infections; none, or an old one >= 4: no card): no IgG order is offered. A draft
  starting after the stop date while the window still runs keeps the IgG order patient-view asks for that day.
- A suggested end date never precedes the order's start, and never lengthens a draft that already ends
  by the stop date.
- A bsAb order within `bsab_course_gap_days` of an exposure to the same drug resumes the
  current course: it does not start a new window.
- A draft whose code is in no value set is never judged by its name; when its name is an
  immunoglobulin, bsAb or CAR-T product, the clinician is told it was not checked.
- A draft immunoglobulin order (coded, or known by its name) for a patient whose only CAR-T or bsAb is known
  by its name is not checked either; its card says so (the patient-view card, tied to the draft), one card
  for all such drafts.
- A lab order for total IgG drafted in the same session (selected or not, whatever day it is
  planned for) is the IgG measurement a card would ask for: the advice suggests no second one
  and says one is drafted ("IgG Order Drafted").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from .advice import Advice, Value, advice
from .catalogue import CATALOGUE, THIS_IGG_CAVEATS
from .engine import Context
from .facts import BsAbExposure, DataNote, IgCourse, IgGOrderDraft, TherapyOrderDraft, known_by
from .library import (LIBRARY, _active_on, _asserted_by, _last_day, _last_dose_in, CountedInfection, Episode, IgGUsed, IndexEvent, ReviewDates,
                      add_months, age_on, first_general_review, age_unknown_no_index, from_doses, alive_with_malignancy, build_advice, episode_values, igg_as_used,
                      igg_order_or_pending, igg_seen_not_used, igg_shown_values, infection_values,
                      paraprotein_caveat, stop_attempt_weighing, substitution_before, taken_on_other_use_only,
                      ignored_igg_values,
                      taken_on_substitution, without_general_criteria)

define = LIBRARY.define

ORDER_CODES = tuple(code for code, kind in CATALOGUE.items() if "order-sign" in kind.hooks)


@dataclass(frozen=True)
class DraftOrder:
    """A draft order from `context.draftOrders`."""

    kind: str  # "ig" | "bsab" | "car-t-product" | "unrecognised" (a known name, but a code in no value set)
    source: str
    start: date | None = None
    end: date | None = None
    drug: str = ""  # the product; for an unrecognised order, its name as the EHR gives it
    looks_like: str = ""  # unrecognised orders: the kind its name suggests ("ig", "bsab", "car-t-product")
    code: str = ""  # unrecognised orders: the code it carries, e.g. "999999"
    code_system: str = ""  # ... and its system: an alias of code-systems.json ("RXNORM") or the URI
    # ... a nameless draft whose code the drug value sets hold under another known system than the one it was sent
    # under (an ATC code under SNOMED CT): that system's alias ("ATC"); its card asks for the order's system corrected
    held_under: str = ""
    dates_unread: str = ""  # why the planned dates it carries could not be read (an end before its start)
    date_partial: str = ""  # ... when that is a planned date with no day ("2026-03"): the date as sent
    length_unread: str = ""  # a length (boundsDuration) that could not be read and is its only end, as sent: no end
    # date is suggested, as it would replace a length nobody read
    notes: tuple[DataNote, ...] = ()  # what reading its dates assumed (an end with no day read as its last day)
    # a planned end no reader can take a day from ("18-05-2026"), as sent: read as no end, and no end date is
    # suggested over it (it may end the order before the stop date); so is an end already past when it is signed
    # (`draft-period-passed`): its dates are the clinician's to set
    end_unread: str = ""


def as_signed(context: Context, order: DraftOrder) -> Context | None:
    """The patient context an immunoglobulin draft is judged in, where it is not today's (None otherwise): today's
    with the draft read as signed, or the patient's on the draft's planned start (signed where that joins it to a
    course).

    - A renewal written a few days after the last order ended is the same substitution, not a restart (§4.3's restart
      is a new start after substitution stopped), and patient-view reads it so once it is signed. Whether the draft
      continues a course is `Current Episode`'s rule, the one patient-view applies (the continuity gap, a dose within
      the course days, a planned switch), so the order's card and the patient-view card after signing cannot
      disagree; the card is then judged on this context's patient-level definitions, which its trace shows (`Draft
      Continues Course`).
    - A draft planned to start later is judged on the course at its start, where that differs from today's (another
      course, or none, or a restart where today there is none): one starting after today's course will have ended
      (and no rule joins them) is a new course or a restart; one starting after a course booked ahead has begun
      continues that course (`Order Judged At Start`). Not where the draft would stand alone at its start only because
      today's course ends with recorded doses: its end is only the course days after the last dose recorded, and the
      next dose, not yet given, moves it on (a draft joining a course booked ahead is still judged on that course)."""
    if order.kind != "ig" or order.dates_unread or not context["In Scope"]:
        return None
    signed_today = None if context["On Substitution"] else _signed(context, order, context.today)
    start = _planned_start(order.start, context.today)
    if start == context.today:
        return signed_today
    read = signed_today or context
    # what the chart held today, read on the draft's start: nothing recorded after today (a timeline's later days)
    at_start = Context(known_by(context.facts, context.today), start, context.params, context.library,
                       known_on=context.known_on, read_on=context.today)
    signed_at_start = _signed(at_start, order, context.today)
    if _course_read(signed_at_start or at_start) == _course_read(read):
        return signed_today  # the same course (or none) at its start as today: judged today, as before
    episode: Episode | None = read["Current Episode"]
    if signed_at_start is None and episode is not None and _ends_with_doses(episode, order, context.known_on):
        return signed_today  # alone at its start only because today's doses are not yet given on: as today
    return signed_at_start or at_start


def with_first_dose_drafted(context: Context, order: DraftOrder) -> Context | None:
    """The patient context of an immunoglobulin draft for a patient with no CAR-T or bsAb on the chart, beside the
    first dose of a bsAb drafted with it, to begin on or before the draft (None otherwise): the chart as it stands
    today, read on the draft's planned start, with the bsAb begun on its planned first dose.

    A drafted therapy is no index event (spec §2), so IVIG drafted with a patient's first teclistamab dose got no card
    at all, on either hook. Once signed and begun, the window runs from that first dose and only an IgG taken after
    it counts (spec §3): the card says what the order will then meet, and names the therapy it is read on
    (`first-dose-drafted-with-it`). Not beside a CAR-T product order: the window starts at the infusion, which no
    order dates."""
    drafted = [(_planned_start(t.start, context.today), t.source, t) for t in context.facts.therapies_drafted
               if t.kind == "bsab"]
    if order.kind != "ig" or order.dates_unread or not drafted or context["In Scope"]:
        return None
    if context["Index Event"] is not None or context.facts.undated_therapies or context.facts.unrecognised_therapies:
        return None  # a therapy the rules could not place: a window may be running (its own card says so)
    begins, _, therapy = min(drafted, key=lambda d: d[:2])
    start = _planned_start(order.start, context.today)
    if start < begins:
        return None
    facts = known_by(context.facts, context.today)
    exposure = BsAbExposure(therapy.drug, begins, therapy.source, ongoing=True, authored=context.today)
    # an IgG on the chart today was taken before a dose still in draft, whatever day that dose is planned for (today,
    # or undated and so read as today): none counts as taken after it. So is one the laboratory has registered, and
    # an IgG lab order of the session not planned for a day after that dose: each measures the baseline, not the IgG
    # the window asks for, and must not take the place of "measure IgG first"
    igg = tuple(r for r in facts.igg if r.date < begins)
    ordered = tuple(d for d in facts.igg_orders_drafted if d.date is not None and d.date > begins)
    read = replace(facts, bsab=facts.bsab + (exposure,), igg=igg, igg_pending=(), igg_orders_drafted=ordered)
    at_start = Context(read, start, context.params, context.library, known_on=context.known_on,
                       read_on=context.today)
    return at_start if at_start["In Scope"] else None


@define("First Dose Drafted With It", "No CAR-T or bsAb on the chart: the first dose of the bsAb drafted with this "
        "immunoglobulin order, to begin on or before it, read as begun on its planned day (the window it opens)",
        scope="order")
def first_dose_drafted_with_it(c: Context) -> date:
    t0: date = c["T0"]
    return t0


def first_dose_note(found: Advice, read: Context) -> Advice:
    """A card judged on the window a bsAb drafted with the order opens (`with_first_dose_drafted`): the note saying so,
    with the therapy's name and day."""
    event = read["Index Event"]
    # an IgG ordered now would be drawn before that dose, a baseline that does not count (spec §3): none is offered,
    # and the to-do says to measure after the dose
    return replace(found, caveats=found.caveats + ("first-dose-drafted-with-it",),
                   suggestions=tuple(s for s in found.suggestions if s != "order-igg"),
                   values={**found.values, "first_dose_drug": event.product, "first_dose_start": event.date})


def _ends_with_doses(episode: Episode, order: DraftOrder, known: date) -> bool:
    """Today's course ends with recorded doses (its latest-ending part is a course of doses): its end is only the
    course days after the last dose recorded, a projection the next dose moves on, not an end planned."""
    parts = [x for x in episode.courses if x.source != order.source]
    last = max(parts, key=lambda x: (_last_day(x, known) or date.max, not from_doses(x)), default=None)
    return last is not None and from_doses(last)


def _course_read(c: Context) -> tuple[date | None, bool]:
    """The course a draft would join in `c` (its first day; None: none), and whether a new one would be a restart."""
    episode: Episode | None = c["Current Episode"]
    return (episode.start if episode is not None else None), c["Is Restart"]


def _signed(context: Context, order: DraftOrder, written: date) -> Context | None:
    """`context` with the draft among the courses (written on `written`), where `Current Episode` then joins it to a
    course on the chart; None where the draft would stand alone."""
    draft = IgCourse(_planned_start(order.start, written), "active", order.source, order.end, order.drug,
                     authored=written)
    facts = replace(context.facts, ig_courses=context.facts.ig_courses + (draft,))
    signed = Context(facts, context.today, context.params, context.library, known_on=context.known_on,
                     read_on=context.read_on)
    episode: Episode | None = signed["Current Episode"]
    return signed if episode is not None and any(x is not draft for x in episode.courses) else None


@define("Order Judged At Start", "The draft's planned start, the day its patient-level definitions were read on (from "
        "the chart as it stands today): the course it would join then is not today's (today's ends first, or one booked "
        "ahead has begun)", scope="order")
def order_judged_at_start(c: Context) -> date:
    return c.today


def new_course_note(found: Advice, read: Context) -> Advice:
    """A card judged on a draft's planned start (`as_signed`) for a patient on substitution on the day it is read
    (`read`) whose draft was judged a new course: the note saying why (`order-new-course-at-start`), as that course
    will have ended by its start and nothing joins the two."""
    episode: Episode | None = read["Current Episode"]
    if episode is None or found.code not in (*IG_ORDER_CODES, "child-individual-assessment") \
            or found.values.get("on_substitution") or found.variant.startswith("continuation"):
        return found
    return replace(found, caveats=found.caveats + ("order-new-course-at-start",),
                   values={**found.values, "current_course_start": episode.start})


@define("Draft Continues Course", "The course this draft continues, read as signed (a renewal days after the last "
        "order ended, or within the course days of a dose): the patient-level definitions of this card were "
        "evaluated with the draft among the courses", scope="order")
def draft_continues_course(c: Context) -> Episode | None:
    episode: Episode | None = c["Current Episode"]
    order: DraftOrder = c["Draft Order"]
    return episode if episode is not None and order.source in episode.sources else None


def _with_order(found: Advice, order: DraftOrder, start: date, **values: Value) -> Advice:
    """`found` about `order`, planned from `start`; a start written on the draft that has already passed (a copied
    order keeps its old one) is kept beside it, as the card judges the draft from `start`, not from the day written."""
    merged = {**found.values, "order_source": order.source, "order_drug": order.drug, "order_kind": order.kind,
              "order_start": start, **values}
    if order.start is not None and order.start < start:
        merged["order_written_start"] = order.start
    evidence = found.evidence if order.source in found.evidence else found.evidence + (order.source,)
    return replace(found, values=merged, evidence=evidence, targets=(order.source,))


@define("Draft Order", "The draft order being judged", scope="order")
def draft_order(c: Context) -> DraftOrder:
    return c.order  # type: ignore[no-any-return]


@define("Order Start", "The order's planned start: its dosage bounds start (never before today), else today",
        scope="order")
def order_start(c: Context) -> date:
    order: DraftOrder = c["Draft Order"]
    return _planned_start(order.start, c.read_on)


def _planned_start(start: date | None, today: date) -> date:
    """A draft's planned start, never before today; undated, it starts the day it is signed."""
    return max(start or today, today)


@define("Order Starts After Stop Date", "The order would start on or after the stop date: general criteria",
        scope="order")
def order_after_stop(c: Context) -> bool:
    return c["Stop Date"] is not None and c["Order Start"] >= c["Stop Date"]


def _window_runs_when_read(c: Context) -> bool:
    """The window runs on the day the card is read (`In Window`, unless the draft is judged on its planned start)."""
    t0, stop = c["T0"], c["Stop Date"]
    return t0 is not None and stop is not None and t0 <= c.read_on < stop


def _ends_earlier(c: Context, order: DraftOrder, start: date) -> bool:
    """The draft already ends before the stop date (on or after its start), and no Ig draft of the session carries
    the course on from its end (`_follow_on`): its card offers no longer course."""
    return order.end is not None and start <= order.end < c["Stop Date"] and _follow_on(c, order) is None


def _follow_on_values(c: Context, follow: DraftOrder | None) -> dict[str, Value]:
    """The Ig draft carrying a draft's course on (`_follow_on`), as a card names it: its drug and planned start."""
    if follow is None:
        return {}
    return {"follow_on_drug": follow.drug, "follow_on_start": _planned_start(follow.start, c.read_on)}


def _follow_on(c: Context, order: DraftOrder) -> DraftOrder | None:
    """Another immunoglobulin draft of the session that begins from this one's end to the continuity gap after it (a
    loading IVIG, then SCIG): the course runs on past this order's end, as signed orders that close would
    (`ig_continuity_gap_days`). The IVIG card said to attempt the stop, and measure IgG, when its loading phase
    ended."""
    if order.end is None:
        return None
    gap = timedelta(days=c.params.ig_continuity_gap_days)
    after = [o for o in c.drafts if _is_ig_draft(o) and o.source != order.source
             and order.end <= _planned_start(o.start, c.read_on) <= order.end + gap]
    return min(after, key=lambda o: (_planned_start(o.start, c.read_on), o.source), default=None)


def _extends(c: Context, start: date) -> bool:
    """Substitution given since T0 runs today (a course of doses moves on with its next dose), runs on to the order's
    start, or ended no more than the continuity gap before it: an order from then on would extend it (§4.2). One
    beginning later, after a break, is a restart (§4.3)."""
    gap = timedelta(days=c.params.ig_continuity_gap_days)
    return any(_active_on(x, c.today, c.known_on) or _reaches(c, x, start - gap) for x in c["IG Courses Since T0"])


def _reaches(c: Context, course: IgCourse, day: date) -> bool:
    """A course not running today reached `day`: its last day, or, where the data does not give one (an order on hold,
    paused on a day not told; one stopped on a day not told), its last dose recorded and the course days past it, as
    `Current Episode` reads such a course (`_paused_reaches`). One stopped with no dose recorded may have run on."""
    end = None if course.status == "on-hold" else _last_day(course, c.known_on)
    if end is not None:
        return end >= day
    # an order stopped on a day not told claims no doses (`_order_covers`): the doses recorded since it began tell
    last = _last_dose_in(c, course) if course.status == "on-hold" else \
        max((d.date for d in c.facts.ig_administrations if course.start <= d.date <= c.today), default=None)
    if last is None:
        return course.status != "on-hold"
    return last + timedelta(days=c.params.ig_administration_course_days) >= day


def _end_suggestion(c: Context) -> tuple[str, ...]:
    """End the order on the stop date, but never before it starts, nor later than the end it already has."""
    stop, end = c["Stop Date"], c["Draft Order"].end
    if c["Draft Order"].length_unread or c["Draft Order"].end_unread:  # its length or end may end it before the
        # stop date: not the suggestion's to replace
        return ()
    return ("set-order-end",) if stop is not None and stop > c["Order Start"] and (end is None or end > stop) else ()


def _extension_reasons(suggestions: tuple[str, ...]) -> tuple[str, ...] | None:
    """Why a clinician may keep a draft running past the stop date the card would end it on: the short extension §4.2
    allows (a significant community risk of bacterial infections needing antibiotics), or a specialist's decision.
    Only beside that end date (`_end_suggestion`): a draft ending by the stop date extends nothing."""
    return ("community-infection-risk", "specialist-decision") if "set-order-end" in suggestions else None


@define("IgG Order Drafted", "Lab orders for total serum IgG among this session's draft orders, selected or not "
        "(ServiceRequest, draft or active, a code of the IgG value set): the IgG to measure is being ordered, so no "
        "IgG order is suggested", scope="order")
def igg_order_drafted(c: Context) -> tuple[IgGOrderDraft, ...]:
    return c.facts.igg_orders_drafted


def _igg_order(c: Context) -> tuple[tuple[str, ...], tuple[str, ...], dict[str, Value]]:
    """An IgG measurement is needed: (suggestions, caveats, values) — an IgG order to sign, or, when one is
    drafted in this session already, none and a note naming it."""
    drafted: tuple[IgGOrderDraft, ...] = c["IgG Order Drafted"]
    if not drafted:  # ... or one registered by the laboratory and not resulted yet, as on patient-view
        return igg_order_or_pending(c)
    first = min(drafted, key=lambda d: (d.date is None, d.date or date.min, d.source))
    return (), ("igg-order-drafted",), {"igg_drafted_source": first.source, "igg_drafted_date": first.date}


def _ignored_igg(c: Context, found: Advice) -> Advice:
    """The card, with the note naming the latest IgG when it was taken on substitution and not used (§3.4), as
    patient-view's start cards name it: "no usable IgG" beside a fresh result the clinician sees needs its reason."""
    used, results = c["Latest Usable IgG"], c["Relevant IgG Results"]  # both read already: the trace is unchanged
    latest = results[-1] if results else None
    if latest is None or (used is not None and latest == used.result) \
            or "igg-during-substitution-ignored" in found.caveats:
        return found
    return replace(found, caveats=found.caveats + ("igg-during-substitution-ignored",),
                   values={**found.values, **ignored_igg_values(c, latest)})


def _not_low(used: IgGUsed, threshold: float, general: float) -> str:
    """Why an IgG that is not below the start threshold fails it: a bound that cannot tell, the 4–6 band, or higher."""
    if used.indeterminate(threshold):  # an M-protein bound, not the laboratory's IgG, can leave it unplaced
        if used.no_bound:
            return "igg-m-protein-no-bound"
        return "igg-indeterminate-m-protein" if used.m_protein is not None else "igg-indeterminate"
    return "igg-4-6" if used.below(general) else "igg-not-low"


@define("IG Order Advice", "Does a draft immunoglobulin order meet the criteria that apply at its planned start?",
        scope="order")
def ig_order_advice(c: Context) -> Advice | None:
    order: DraftOrder = c["Draft Order"]
    start: date = c["Order Start"]
    if not c["In Scope"]:
        return _therapy_not_checked(c, order, start)
    episode = c["Current Episode"]
    if c["On Substitution"]:
        c["Draft Continues Course"]  # named in the trace when the draft was read as signed (`as_signed`)
        if c["Special Stop Applies"]:
            if c["Days To Stop Date"] >= 0 and not c["Order Starts After Stop Date"]:
                found = build_advice(c, "order-meets-criteria", "Order Advice",
                                     "continuation-ends-earlier" if _ends_earlier(c, order, start)
                                     else "continuation-window",
                                     evidence=(episode,), suggestions=(ends := _end_suggestion(c)),
                                     override_reasons=_extension_reasons(ends))
                return _with_order(found, order, start, order_end=order.end)
            late = "starts-after-stop-date" if c.read_on <= c["Stop Date"] else "past-stop-date"
            tendency, reasons, notes, values = stop_attempt_weighing(c)  # as on patient-view (§4.3)
            # a continuation from the stop date on (the window still runs today): only the general criteria could
            # carry the course on from its start, so with no severe or recurrent infection the card leads with that
            # criterion missing, not only the date (one not yet coded may be the reason to sign it). Past the stop
            # date the stop itself is overdue, which the card leads with, as patient-view does.
            missing = ("no-infections",) if not tendency and late == "starts-after-stop-date" else ()
            reasons = ("infection-not-coded", *reasons) if missing else reasons
            variant = "after-window" if missing else ""
            # the draft continues the course read: its card reads the patient as on substitution (a data note on it does
            # not ask whether they are: `catalogue.reads_on_substitution`)
            found = build_advice(c, "order-does-not-meet-criteria", "Order Advice", variant,
                                 evidence=(episode, *tendency), failing=(late, *missing), override_reasons=reasons,
                                 extra_caveats=notes, more={**values, "on_substitution": True})
            return _with_order(found, order, start)
        reviews: ReviewDates = c["General Review Due Dates"]  # the date patient-view gives the same day
        next_due, due_now = reviews.next_due, reviews.due_now
        unmet, unmet_values = without_general_criteria(c)
        if unmet:  # a course no criterion supported, as patient-view says the same day: its renewal meets none (§4.3)
            found = build_advice(c, "order-does-not-meet-criteria", "Order Advice", evidence=(episode,),
                                 failing=("no-infections",), restart=c["Is Restart"],
                                 override_reasons=("infection-not-coded", "specialist-decision"),
                                 extra_caveats=unmet, more={**unmet_values, "on_substitution": True})
            return _with_order(found, order, start)
        # a review due now is due on the order that renews it too, as on patient-view the same day (§4.2)
        found = build_advice(c, "order-meets-criteria", "Order Advice",
                             "continuation-general-due" if due_now else "continuation-general", evidence=(episode,),
                             override_reasons=("infections-persist", "specialist-decision") if due_now else None,
                             reason=c["General Stop Reason"], due_date=due_now or next_due)
        return _with_order(found, order, start)
    used, stale = c["Latest Usable IgG"], c["Usable IgG Is Stale"]
    ages: dict[str, Value] = {}
    if c["Order Starts After Stop Date"] and _window_runs_when_read(c):  # judged at its start, after the window (§4.1)
        ages = {"stale_days": c.params.stale_days_after_window}
        stale = used is not None and (start - used.result.date).days > c.params.stale_days_after_window  # at its start
    threshold, general = c.params.igg_start_threshold_g_l, c.params.igg_general_threshold_g_l
    low = used is not None and used.below(threshold)
    failing: list[str] = []
    in_window = not c["General Criteria Apply"] and not c["Order Starts After Stop Date"]
    if in_window:
        if low:  # a stale IgG < 4 still supports the start inside the window, as on patient-view
            because = c["Infections Since Lookback"]
            # an old IgG: why its age does not matter, as on patient-view (the IgG's line gives the age)
            old = ("stale-igg-supports-start",) if stale else ()
            if because or c["Substitution Before T0"]:
                found = build_advice(c, "order-meets-criteria", "Order Advice", "window-general-stop", igg=used,
                                     evidence=because, reason=c["General Stop Reason"], more=infection_values(because),
                                     extra_caveats=old)
            else:
                late = (c["Stop Date"] - start).days < c.params.late_start_notice_days  # as on patient-view
                ends_before = order.end is not None and start <= order.end < c["Stop Date"]
                follow = _follow_on(c, order) if ends_before else None  # read once: `_ends_earlier` reads it too
                variant = "window-followed" if follow is not None else "window-ends-earlier" if ends_before else "window"
                found = build_advice(c, "order-meets-criteria", "Order Advice", variant, igg=used,
                                     suggestions=(ends := _end_suggestion(c)), override_reasons=_extension_reasons(ends),
                                     extra_caveats=old + (("late-in-window",) if late else ()),
                                     more=_follow_on_values(c, follow))
                if follow is not None:
                    found = replace(found, evidence=found.evidence + (follow.source,))
            return _with_order(_ignored_igg(c, found), order, start, order_end=order.end)
        failing.append("no-igg-since-t0" if used is None else "igg-stale" if stale else _not_low(used, threshold, general))
        # IgG 4 to < 6 g/L: the general SID criteria apply (§4.1), which weigh the infections: the card names those
        # recorded, as patient-view's card the same day does
        infections: tuple[CountedInfection, ...] = c["Recent Severe Or Recurrent Infections"] \
            if failing[-1] == "igg-4-6" else ()
    else:
        if c["Order Starts After Stop Date"] and _window_runs_when_read(c):
            failing.append("starts-after-stop-date")
        infections = c["Recent Severe Or Recurrent Infections"]
        # without severe or recurrent infections the criteria are unmet for want of them alone, whatever the IgG's age
        # or absence, as on patient-view the same day (§4.3; an IgG is to be measured only for a patient with them:
        # no IgG order is offered to one without) -- unless the window still runs today, where patient-view asks for
        # the IgG that could support a start inside it (§4.1)
        window_today = _window_runs_when_read(c) and not c["Is Restart"]  # today: In Window, no restart
        # without them the criteria are unmet whatever a low, stale or missing IgG: that leads the summary (§4.3); an
        # IgG of 4 g/L or more leads itself (nothing to advise at 6 or more; the general criteria named at 4 to 6)
        lead = not infections and (used is None or stale or low)
        if lead:
            failing.append("no-infections")
        if used is None or stale:
            if infections or (window_today and not low):
                failing.append("no-recent-igg")
        elif not low:
            failing.append(_not_low(used, threshold, general))
        if not infections and not lead:
            failing.append("no-infections")
        if failing == ["starts-after-stop-date"] or not failing:
            found = build_advice(c, "order-meets-criteria", "Order Advice", "general", igg=used, evidence=infections,
                                 restart=c["Is Restart"], more={**infection_values(infections), **ages})
            return _with_order(_ignored_igg(c, found), order, start)
    # a bound the threshold falls within ("IgG >3.9") is measured again for a figure, as patient-view asks
    measure = {"no-igg-since-t0", "no-recent-igg", "igg-stale", "igg-indeterminate"} & set(failing)
    suggestions, drafted, drafted_values = _igg_order(c) if measure else ((), (), {})
    limit = ages.get("stale_days")
    if measure and infections and isinstance(limit, int) and (start - c.read_on).days > limit:
        # judged at its start, which lies further ahead than an IgG stays usable: one drawn now would be too old by
        # then, so the IgG order offered is dated from the first day one counts (`igg_from`) to the start, and the
        # card says so. (Without infections the IgG is asked for because the window runs today, for a start inside
        # it, as patient-view asks: that one is offered undated.)
        first = start - timedelta(days=limit)
        pending = drafted_values.get("igg_pending_date")
        if "igg-pending" in drafted and isinstance(pending, date) and pending < first:
            # an IgG on its way from before that day is too old by the start as well: it stands in for none
            suggestions, drafted = ("order-igg",), tuple(x for x in drafted if x != "igg-pending")
            drafted_values = {k: v for k, v in drafted_values.items() if not k.startswith("igg_pending")}
        drafted_values = {**drafted_values, "igg_from": first}
    # A short extension (§4.2) extends substitution given since T0 past its stop date: a first course has nothing to
    # extend, a restart inside the window extends nothing past it, nor does a restart weeks after the course ended
    extension = ("community-infection-risk",) if c["Order Starts After Stop Date"] and _extends(c, start) else ()
    # an infection not yet coded could change only what infections decide (no severe/recurrent infection, or IgG 4-6 g/L
    # where the general criteria apply): not an IgG of 6 g/L or more, nor an IgG to measure first, nor where the
    # infections that would decide are coded already
    uncoded = ("infection-not-coded",) if {"no-infections", "igg-4-6"} & set(failing) and not infections \
        and "igg-not-low" not in failing else ()
    # inside the window IgG alone decides, against the window from T0: the summary names T0 (no IgG since T0 does)
    window = in_window and failing != ["no-igg-since-t0"]
    # after the window that runs today, the summary leads with the general criteria not met (§4.1, §4.3)
    variant = "window" if window else "after-window" if "starts-after-stop-date" in failing else ""
    found = build_advice(c, "order-does-not-meet-criteria", "Order Advice", variant, igg=used,
                         evidence=infections, failing=tuple(failing), restart=c["Is Restart"], suggestions=suggestions,
                         override_reasons=(*uncoded, "specialist-decision", *extension),
                         more={**infection_values(infections), **ages, **drafted_values})
    found = _ignored_igg(c, found)
    if used is None and measure:  # no usable IgG: the IgG seen and not used, named as patient-view's card names it
        seen, seen_values = igg_seen_not_used(c, awaited="igg-pending" in drafted)
        found = replace(found, caveats=found.caveats + seen, values={**found.values, **seen_values})
    return _with_order(replace(found, caveats=found.caveats + drafted), order, start)  # the drafted IgG: the last note


def _therapy_not_checked(c: Context, order: DraftOrder, start: date) -> Advice | None:
    """No index event, but a CAR-T or bsAb known only by its name, or recognised but with a date that names no day:
    the order cannot be held against the criteria, and its card says so as patient-view does, rather than a
    silence a clinician could take for approval."""
    found: tuple[Advice, ...] = (c["Unrecognised Therapy Advice"] or c["Undated Therapy Advice"]
                                 or c["Unrecognised Malignancy Advice"])  # a diagnosis known by name: as patient-view
    if not found:
        return None
    therapy = found[0]  # its `order_drug` is the therapy's (or diagnosis') name, which the card is about: kept, and
    # its kind, which names a therapy with no drug name ("CAR-T" for an infusion procedure), not the order's drug
    kind = therapy.values.get("order_kind", order.kind)
    return _with_order(therapy, order, start, order_drug=therapy.values["order_drug"], order_kind=kind)


@define("Therapy Order Advice", "A draft bsAb / CAR-T product order: the window it starts, and a baseline IgG",
        scope="order")
def therapy_order_advice(c: Context) -> Advice | None:
    order: DraftOrder = c["Draft Order"]
    if not alive_with_malignancy(c):
        return None
    start: date = c["Order Start"]
    continues = _course_resumed(c, order.drug, start) if order.kind == "bsab" else None
    # the step-up doses of one course drafted as separate orders: the window runs from the first of them
    first: TherapyOrderDraft | None = c["Drafted Course Start"] if continues is None else None
    if first is not None:  # a first dose that resumes the chart's course resumes it for the doses drafted after it
        continues = _course_resumed(c, order.drug, _planned_start(first.start, c.read_on))
        first = None if continues else first
    t0 = continues.date if continues else _planned_start(first.start, c.read_on) if first else start
    # an IgG smaller than the IgG M-protein measured with it is used by no rule (one of the two is wrong): no fact line
    # shows a polyclonal IgG of 0.0 g/L the card's note says is not used
    unused = {r.source for r, _ in c["IgG Below Its M-Protein"]}
    recent = [r for r in c.facts.igg if r.date <= c.today and (c.today - r.date).days <= c.params.stale_days_in_window
              and 0 < r.value_g_l <= c.params.igg_max_plausible_g_l and r.source not in unused]
    stop_date = add_months(t0, c.params.window_months)
    ended = continues is not None and start >= stop_date  # a resumption opens no new window: general criteria
    variant = ("car-t-product" if order.kind == "car-t-product" else "continues-after-window" if ended
               else "continues" if continues else "new")
    values: dict[str, Value] = {
        "t0": t0, "t0_kind": order.kind, "t0_product": order.drug,
        "t0_source": continues.source if continues else first.source if first else order.source,
        "stop_date": stop_date, "days_to_stop": None, "today": c.read_on,
        "stale_days": c.params.stale_days_in_window, "order_source": order.source, "order_drug": order.drug,
        "order_kind": order.kind, "order_start": start,
    }
    if recent:
        latest = max(recent, key=lambda r: (r.date, r.taken, r.source))
        values.update(igg=latest.value_g_l, igg_comparator=latest.comparator, igg_date=latest.date,
                      igg_source=latest.source, igg_reported=latest.reported)
    evidence = tuple(dict.fromkeys([order.source] + ([latest.source] if recent else [])))
    # An IgG taken on immunoglobulin shows the infused dose, not the patient's own baseline (§3.4).
    caveats: tuple[str, ...] = ("igg-during-substitution",) if recent and taken_on_substitution(c, latest) else ()
    if caveats and taken_on_other_use_only(c, latest):  # only in the washout of Ig given for another reason (ITP)
        values["igg_other_use"] = True
    episode: Episode | None = c["Current Episode"]
    # a new course for a patient on immunoglobulin begun before it and still given when it begins (§4.2; below): no
    # decision rests on the IgG. Ig begun in an earlier window on IgG alone too: patient-view applies the general
    # stop criteria to it once this course has begun, and the card says what patient-view will say
    # A CAR-T product ordered for such a patient likewise, its planned start standing for the infusion's day; but not
    # while that Ig is held to the special stop of the window it began in (§4.2): an order does not date the
    # infusion, which may come after that stop, and patient-view asks for the stop meanwhile
    ig_began_before = variant in ("new", "car-t-product") and episode is not None and episode.start < t0
    before = ig_began_before and episode is not None and any(_active_on(x, t0, c.known_on) for x in episode.courses)
    # ... unless that Ig is held to the special stop of the window it began in (§4.2) and that stop may come first:
    # a bsAb course planned to begin after the stop date, or any CAR-T product (an order does not date the
    # infusion). Patient-view asks for that stop until the new therapy has begun, and the card says so
    # (not a child's: the special stop is an adult's criterion, and patient-view assesses a child individually). Also
    # for Ig given today whose order ends before the new therapy begins: that stop, not a baseline IgG drawn on it
    # A course that begins today leaves no day to stop before it: the Ig runs when it begins (§4.2, general criteria)
    held = ig_began_before and not c["Is Child"] and c["Special Stop Applies"] \
        and (variant == "car-t-product" or c["Stop Date"] < t0 and t0 > c.read_on)
    overdue = held and c["Days To Stop Date"] < 0  # the stop is overdue today, as patient-view says (`stop-overdue`)
    on_ig = before and not held
    # a resumed course for a patient on immunoglobulin opens no window (nor one whose window has ended): the Ig's own
    # stop or review goes on, and an IgG now would show the infused dose (§3.4)
    carried = variant in ("continues", "continues-after-window") and episode is not None and c["T0"] == t0 \
        and not c["Is Child"] and any(_active_on(x, start, c.known_on) for x in episode.courses)
    if recent and not (on_ig or held or carried):  # a myeloma's IgG as patient-view reads it (§7): polyclonal with an IgG M-protein
        # measured with it, else the caveat of a total whose M-protein could change the decision
        used = igg_as_used(c, latest)
        m = used.m_protein
        if m is not None:
            values.update(igg_shown_values(c, used))
            caveats += ("paraprotein-subtracted",)
            evidence = tuple(dict.fromkeys([*evidence, m.source]))
        said, untyped = paraprotein_caveat(c, used)
        caveats += said
        values.update(untyped)
        if (variant == "new" or variant == "continues" and c["Stop Date"] == stop_date) \
                and used.below(c.params.igg_start_threshold_g_l) and _start_advised_today(c):
            # §4.1: a patient whose window already runs and whose IgG since its T0 is below the threshold meets the
            # start criterion today, as patient-view says: the new course's card says Ig may start with it, not only
            # that IgG is to be measured. Not on an IgG from before any index event (a baseline, spec §3), nor for a
            # restart, a patient with infections (general stop criteria) or Ig already booked: patient-view says none.
            # One taken in the washout of immunoglobulin (ITP) is below the threshold without it too, and said so
            variant = "igg-low" if variant == "new" else "continues-igg-low"
            caveats = tuple("igg-low-on-substitution" if x == "igg-during-substitution" else x for x in caveats)
            running: date = c["Stop Date"]
            if variant == "igg-low" and t0 > c.read_on:  # (a window running today began by today: not this one)
                # Ig begun today is begun before this course: held to the special stop of the window now running
                # when the course begins after it, else under the general stop criteria once the course has begun,
                # its first review not inside the new window (§4.2; the Ig order drafted with it says the same)
                if running < t0:
                    variant, values["due_date"] = "igg-low-special-stop-first", running
                else:  # should the course not begin by the stop date, patient-view asks for that day's stop
                    variant, values["due_date"] = "igg-low-general-stop", first_general_review(c.params, c.read_on,
                                                                                               stop_date)
                    caveats += ("special-stop-if-not-begun",)
                    values["special_stop_date"] = running
        elif variant == "new" and used.below(c.params.igg_start_threshold_g_l) \
                and not set(caveats) - {"paraprotein-subtracted"} \
                and c["Index Event"] is None and not c["Undated Therapies"] and not c["Therapies Known Only By Name"] \
                and not substitution_before(c, t0):
            # a first course whose baseline is already below the threshold: not a start yet (the window opens with
            # the first dose, spec §3), but not "measure IgG at baseline" either, of a baseline the chart holds. Not
            # beside a CAR-T or bsAb the rules could not place (no day, known by name only): a window may be running.
            # A myeloma's polyclonal IgG (its M-protein subtracted) is that baseline too; not a total the caveats doubt
            variant = "baseline-low"
    if held and episode is not None:
        # §4.2: the stop attempt at the end of the window the Ig began in still stands; the new window, once it opens,
        # makes IgG below the threshold a start criterion again. No baseline asked for while on substitution (§3.4)
        values.update(episode_values(c), due_date=c["Stop Date"])
        if variant == "car-t-product":
            held_variant = "car-t-product-special-stop-overdue" if overdue else "car-t-product-special-stop"
        else:
            held_variant = "special-stop-overdue" if overdue else "special-stop-first"
        return advice("plan-igg-monitoring", held_variant, "Order Advice", values=values,
                      evidence=tuple(dict.fromkeys([*evidence, *episode.sources])),
                      caveats=caveats + age_unknown_no_index(c, age_on(c, t0)), targets=(order.source,))
    if carried and episode is not None:
        reviews: ReviewDates = c["General Review Due Dates"]
        special = c["Special Stop Applies"]
        values.update(episode_values(c), due_date=c["Stop Date"] if special else reviews.due_now or reviews.next_due)
        late = special and c["Days To Stop Date"] < 0  # overdue today, as patient-view says
        return advice("plan-igg-monitoring", "continues-stop-overdue" if late else "continues-stop" if special
                      else "continues-review", "Order Advice",
                      values=values, evidence=tuple(dict.fromkeys([*evidence, *episode.sources])),
                      caveats=caveats + age_unknown_no_index(c, age_on(c, t0)), targets=(order.source,))
    if on_ig and episode is not None:
        # §4.2: a new course for a patient on immunoglobulin begun before it. That course follows the general stop
        # criteria, its first review at the new window's end (six months after the Ig began comes earlier: it began
        # before this T0), as patient-view will say once the course has begun; an IgG now shows the infused
        # dose (§3.4), so no baseline is asked for, and the M-protein's type decides nothing here
        values.update(episode_values(c), due_date=stop_date)
        if c["Special Stop Applies"] and not c["Is Child"] and c["Stop Date"] >= t0:  # a bsAb planned on or before
            # that Ig's special stop:
            # should the course not begin by then, patient-view asks for that stop (§4.2)
            caveats += ("special-stop-if-not-begun",)
            values["special_stop_date"] = c["Stop Date"]
        return advice("plan-igg-monitoring", "car-t-product-on-substitution" if variant == "car-t-product"
                      else "on-substitution", "Order Advice", values=values,
                      evidence=tuple(dict.fromkeys([*evidence, *episode.sources])),
                      caveats=caveats + age_unknown_no_index(c, age_on(c, t0)), targets=(order.source,))
    if not ended and substitution_before(c, t0):  # §4.2: immunoglobulin begun before the therapy is not stopped with the window
        caveats += ("substitution-before-therapy",)
    # an age not known picks the adult's card over the child's (`Order Is Child`): said, as on every other card
    caveats += age_unknown_no_index(c, age_on(c, t0))
    suggestions: tuple[str, ...] = ()
    if not (recent or ended):  # a baseline IgG to measure
        suggestions, drafted, drafted_values = _igg_order(c)
        caveats += drafted
        values.update(drafted_values)
    return advice("plan-igg-monitoring", variant, "Order Advice", values=values, evidence=evidence, caveats=caveats,
                  suggestions=suggestions, targets=(order.source,))


def _start_advised_today(c: Context) -> bool:
    """Patient-view's advice today is a start under the special criterion (`start-substitution`, no general stop)."""
    return any(a.code == "start-substitution" and a.variant == "" for a in c["Advice"])


@define("Drafted Course Start", "A bsAb draft of this session that begins the course a later draft of the same drug "
        "belongs to (each starting within the course gap after the one before: step-up doses ordered apart); None "
        "for the first draft of a course", scope="order")
def drafted_course_start(c: Context) -> TherapyOrderDraft | None:
    order: DraftOrder = c["Draft Order"]
    if order.kind != "bsab":
        return None
    start: date = c["Order Start"]
    same = sorted((_planned_start(t.start, c.read_on), t.source, t) for t in c.facts.therapies_drafted
                  if t.kind == "bsab" and t.drug == order.drug)
    gap = timedelta(days=c.params.bsab_course_gap_days)
    first, previous = None, None
    for day, source, draft in same:
        if previous is None or day - previous > gap:
            first = (day, source, draft)
        previous = day
        if source == order.source:
            break
    return first[2] if first is not None and first[1] != order.source and first[0] <= start else None


def same_course_card(one: Advice, other: Advice) -> bool:
    """Two IgG-monitoring cards on drafts of one bsAb course (the same drug, the window from the same day): one card
    says it for all of them, with one IgG order at most."""
    keys = ("t0_kind", "t0_product", "t0", "stop_date")
    return (one.code == other.code == "plan-igg-monitoring" and one.values.get("t0_kind") == "bsab"
            and all(one.values.get(k) == other.values.get(k) for k in keys))


def _draft_resumes(c: Context, draft: TherapyOrderDraft) -> IndexEvent | None:
    """The chart's course of the same bsAb that a drafted bsAb resumes: itself, or through the first draft of the
    step-up doses it is drafted with (each within the course gap of the one before), else None."""
    start = _planned_start(draft.start, c.read_on)
    gap = timedelta(days=c.params.bsab_course_gap_days)
    first, previous = start, None
    for day in sorted(_planned_start(t.start, c.read_on) for t in c.facts.therapies_drafted
                      if t.kind == "bsab" and t.drug == draft.drug):
        if day > start:
            break
        if previous is None or day - previous > gap:
            first = day
        previous = day
    return _course_resumed(c, draft.drug, start) or _course_resumed(c, draft.drug, first)


def _course_resumed(c: Context, drug: str, start: date) -> IndexEvent | None:
    """The course of the same bsAb that a draft starting on `start` resumes (within the course gap), else None."""
    gap = timedelta(days=c.params.bsab_course_gap_days)
    same = [e for e in c.facts.bsab if e.drug == drug and e.start <= start  # a record asserted later: not read yet
            and _asserted_by(e, c.today)]
    if same:
        last = max((c.today if e.ongoing else (e.end or e.start)) for e in same)
        if start - last <= gap:
            return max((s for s in c["BsAb Course Starts"] if s.product == drug), key=lambda s: s.date, default=None)
    return None


@define("Order Is Child", "Under the adult age at the T0 the order belongs to (the planned start for new therapy)",
        scope="order")
def order_is_child(c: Context) -> bool:
    order: DraftOrder = c["Draft Order"]
    if order.kind == "ig":
        return bool(c["Is Child"])
    found = c["Therapy Order Advice"]
    age = age_on(c, found.values["t0"]) if found is not None else None
    return age is not None and age < c.params.adult_age_years


@define("Unrecognised Order Advice", "A draft whose name is one the guideline covers but whose code is in no value "
        "set: not judged (a name is not a code); the clinician is told it was not checked", scope="order")
def unrecognised_order_advice(c: Context) -> Advice | None:
    order: DraftOrder = c["Draft Order"]
    if not order.looks_like:  # coded only in an unknown system, no name: where any of the three would get a card
        if not c.params.unknown_system_draft_card:  # the site's choice: its data note names it (FactBuilder)
            return None
        # a code sent under the wrong known system: the order's system is to be corrected, not a system added
        prefix = "wrong-system" if order.held_under else "unknown-system"
        if c["In Scope"]:  # §4: a child (at T0, as an immunoglobulin order is judged) is assessed individually
            found = build_advice(c, "order-not-recognised", "Order Advice",
                                 prefix + ("-child" if c["Is Child"] else ""),
                                 igg=c["Latest Usable IgG"], age=c["Age At T0"])
        elif alive_with_malignancy(c):  # no T0: the age on its planned start, as a drafted therapy's window opens
            age = age_on(c, c["Order Start"])
            child = age is not None and age < c.params.adult_age_years
            found = advice("order-not-recognised", prefix + ("-no-index-child" if child else "-no-index"),
                           "Order Advice",
                           values={"today": c.read_on, "age": age, "age_at_order_start": True}, evidence=(),
                           caveats=age_unknown_no_index(c, age))
        else:
            return None
    elif order.looks_like == "ig":
        if not c["In Scope"]:  # as a recognised immunoglobulin order: no card, or the therapy's known only by name
            return _therapy_not_checked(c, order, c["Order Start"])
        # §4: a child (at T0, as a coded immunoglobulin order is judged) is assessed individually, not by the criteria
        found = build_advice(c, "order-not-recognised", "Order Advice", _named_variant(order, c["Is Child"]),
                             igg=c["Latest Usable IgG"], age=c["Age At T0"])
    else:
        if not alive_with_malignancy(c):
            return None
        age = age_on(c, c["Order Start"])  # the age on its planned start, as a drafted therapy's window opens
        child = age is not None and age < c.params.adult_age_years
        # not a child: a therapy drafted, whose recognised twin gets plan-igg-monitoring (information): so does this
        variant = _named_variant(order, child) if child else "therapy" if order.code else "therapy-no-code"
        # §4.2, as the twin's card says: immunoglobulin begun before the therapy is not stopped with its window
        before = ("substitution-before-therapy",) if not child and _begun_before_named_therapy(c, order) else ()
        found = advice("order-not-recognised", variant, "Order Advice",
                       values={"today": c.read_on, "age": age, "age_at_order_start": True}, evidence=(),
                       caveats=age_unknown_no_index(c, age) + before)
    return _with_order(found, order, c["Order Start"], order_looks_like=order.looks_like, order_code=order.code,
                       order_code_system=order.code_system,
                       **({"right_code_system": order.held_under} if order.held_under else {}))


def _begun_before_named_therapy(c: Context, order: DraftOrder) -> bool:
    """Immunoglobulin begun before a therapy drafted under a code in no value set (§4.2), as its recognised twin's card
    says it. A bsAb known by its name only may be the next dose of a course the chart holds (its drug is not known):
    its twin's window then runs from that course's start, so immunoglobulin begun inside that course's window is not
    "begun before this therapy"; and one resuming a course after its window says nothing of it, as the twin does."""
    start: date = c["Order Start"]
    if order.looks_like == "bsab":
        resumed = [e for e in (_course_resumed(c, drug, start) for drug in sorted({x.drug for x in c.facts.bsab}))
                   if e is not None]
        if resumed:
            t0 = min(e.date for e in resumed)
            return start < add_months(t0, c.params.window_months) and bool(substitution_before(c, t0))
    return bool(substitution_before(c, start))


def _named_variant(order: DraftOrder, child: bool) -> str:
    """The variant for a draft named like one of the three drugs whose code is unknown (or missing)."""
    if child:  # §4: the criteria do not cover children
        return "child" if order.code else "no-code-child"
    return "" if order.code else "no-code"


@define("Therapy Drafted With It", "A bsAb drafted in this session that would open a new high-risk window (the "
        "first to start): not an index event until it has begun (clinical-rules §2), so the immunoglobulin order "
        "is judged on the window that has begun and its card says the therapy gives another", scope="order")
def therapy_drafted_with_it(c: Context) -> TherapyOrderDraft | None:
    if not alive_with_malignancy(c):
        return None  # the therapy order gets no card to name another window
    new = [(_planned_start(t.start, c.read_on), t.source, t) for t in c.facts.therapies_drafted
           if t.kind == "bsab" and _draft_resumes(c, t) is None]
    return min(new, key=lambda n: n[:2])[2] if new else None


def _new_window_beside(c: Context) -> tuple[TherapyOrderDraft, bool] | None:
    """The new bsAb window beside an immunoglobulin order, the first to begin: one drafted with it (`Therapy Drafted
    With It`), or one signed before and booked ahead (`BsAb Booked`, True), which moves the stop the same way once
    it has begun; None where there is neither."""
    drafted: TherapyOrderDraft | None = c["Therapy Drafted With It"] if c.facts.therapies_drafted else None
    booked: BsAbExposure | None = c["BsAb Booked"] if c.facts.bsab and alive_with_malignancy(c) else None
    if booked is not None and (drafted is None or booked.start < _planned_start(drafted.start, c.read_on)):
        return TherapyOrderDraft(booked.source, "bsab", booked.drug, booked.start), True
    return (drafted, False) if drafted is not None else None


# The cards on a draft immunoglobulin order that a caveat on a new therapy drafted with it concerns
IG_ORDER_CODES = ("order-meets-criteria", "order-does-not-meet-criteria")


# The variants of a draft that meets the special criterion and is told to end on the stop date of the window now (one
# that already ends earlier keeps its own end, which comes first whichever window runs)
SPECIAL_STOP_VARIANTS = ("window", "continuation-window")


def _with_therapy_drafted(c: Context, found: Advice) -> Advice:
    """An immunoglobulin order's criteria card, with the caveat naming a new bsAb window drafted beside it.

    A new window that opens before the stop date of the one now running moves the stop the card would promise: once
    the therapy has begun, immunoglobulin begun before it follows the general stop criteria (§4.2, "in treatment
    before"), and immunoglobulin begun on or after its start stops six months after it. Neither is the stop date now
    running, so such a card names the stop that will apply, and offers no end on a day that will not hold."""
    if found.code not in IG_ORDER_CODES:
        return found
    beside = _new_window_beside(c)
    if beside is None:
        return found
    therapy, booked = beside
    begins = _planned_start(therapy.start, c.read_on)
    values = {**found.values, "session_therapy": therapy.drug, "session_therapy_start": begins,
              "session_therapy_booked": booked}
    moved = _general_stop_moved(c, found, begins, values)
    if moved is not None:
        return moved
    stop: date | None = c["Stop Date"]
    if found.code != "order-meets-criteria" or found.variant not in SPECIAL_STOP_VARIANTS or stop is None \
            or begins > stop:  # one beginning on the stop date moves it too: substitution is then begun before it
        return replace(found, caveats=found.caveats + ("therapy-drafted-with-it",), values=values)
    values["session_stop_date"] = new_stop = add_months(begins, c.params.window_months)
    suggestions = tuple(x for x in found.suggestions if x != "set-order-end")
    found = replace(found, override_reasons=())  # no end offered on the stop date now running: nothing to extend
    episode: Episode | None = c["Current Episode"]
    if found.variant == "continuation-window" and episode is not None:
        # on substitution already: once the therapy has begun, this course began before it, and the general stop
        # criteria apply (§4.2), the first review not inside the new window, as patient-view will say then
        due = first_general_review(c.params, episode.start, new_stop)
        return replace(found, variant="continuation-general", suggestions=suggestions,
                       caveats=found.caveats + ("therapy-drafted-moves-stop",),
                       values={**values, "due_date": due, "reason": "before-drafted-therapy"})
    if c["Order Start"] < begins:  # immunoglobulin begun before the new T0: the general stop criteria, the first
        # attempt not inside the new window (§4.2, as patient-view's review of substitution begun before T0)
        first = first_general_review(c.params, c["Order Start"], new_stop)
        return replace(found, variant="window-general-stop", suggestions=suggestions, caveats=_window_goes_on(found),
                       values={**values, "reason": "before-drafted-therapy", "general_stop_first": first})
    return replace(found, variant="window-new-therapy", suggestions=suggestions, caveats=_window_goes_on(found),
                   values=values)


def _window_goes_on(found: Advice) -> tuple[str, ...]:
    """The caveats of a card whose order a therapy drafted beside it carries into a new window: not that the special
    criterion ends on today's stop date (`late-in-window`), which the new window moves."""
    return tuple(x for x in found.caveats if x != "late-in-window")


# The variants of a draft under the general stop criteria whose next review, or first stop attempt, a new window drafted
# beside it can move (one due now is due whatever comes next)
GENERAL_STOP_VARIANTS = ("continuation-general", "window-general-stop", "general")


def _general_stop_moved(c: Context, found: Advice, begins: date, values: dict[str, Value]) -> Advice | None:
    """An order under the general stop criteria beside a new bsAb window drafted or booked to begin after its
    immunoglobulin, with the review that window moves; None where it moves none.

    Once the therapy has begun, patient-view reviews substitution begun before it no sooner than the new window's
    end (`timeline._review_dates`: the later of six months after its start and the stop date; §4 row 2 [policy]: no
    stop inside a high-risk window). A card naming the review of the window now running (or the first attempt six
    months after the order's start) would name a day patient-view never asks for."""
    if found.code != "order-meets-criteria" or found.variant not in GENERAL_STOP_VARIANTS:
        return None
    new_stop = add_months(begins, c.params.window_months)
    after = c.params.general_stop_after_months
    if found.variant == "continuation-general":
        episode: Episode | None = c["Current Episode"]
        due = found.values.get("due_date")
        if episode is None or episode.start >= begins or not isinstance(due, date) or due < begins:
            return None  # a review before the therapy begins stands
        moved = first_general_review(c.params, episode.start, new_stop)
        if moved <= due:
            return None
        return replace(found, caveats=found.caveats + ("therapy-drafted-moves-review",),
                       values={**values, "due_date": moved, "due_without_therapy": due})
    start: date = c["Order Start"]
    first = found.values.get("general_stop_first")
    planned = first if isinstance(first, date) else add_months(start, after)
    if start >= begins or planned < begins or new_stop <= planned:
        # immunoglobulin begun on or after the new T0 is judged on that window once it has begun; a first attempt due
        # before the therapy begins stands
        return None
    return replace(found, caveats=found.caveats + ("therapy-drafted-moves-review",),
                   values={**values, "general_stop_first": new_stop, "due_without_therapy": planned})


@define("Other IG Drafted", "The other immunoglobulin drafts of this session, selected or not, coded or known by name, "
        "whose planned periods overlap this one's (an undated draft runs from the day it is signed, with no end; one "
        "ending the day the other begins is a switch): two courses at once", scope="order")
def other_ig_drafted(c: Context) -> tuple[DraftOrder, ...]:
    order: DraftOrder = c["Draft Order"]
    if order.kind != "ig":
        return ()
    start: date = c["Order Start"]
    return tuple(o for o in c.drafts if _is_ig_draft(o) and o.source != order.source
                 and _overlap(start, order.end, _planned_start(o.start, c.read_on), o.end))


def _is_ig_draft(order: DraftOrder) -> bool:
    """An immunoglobulin draft, coded, or known by its name under a code in no value set ("Privigen", 999999): not
    judged itself, but a second course beside a coded one all the same."""
    return order.kind == "ig" or order.kind == "unrecognised" and order.looks_like == "ig"


def _overlap(start: date, end: date | None, other_start: date, other_end: date | None) -> bool:
    """Two planned periods run at once (an end that is not known: none yet); an end on the day the other begins is a
    switch of product or route, not two courses."""
    return (end is None or other_start < end) and (other_end is None or start < other_end)


def _with_other_ig(c: Context, found: Advice) -> Advice:
    """An immunoglobulin order's criteria card, with the caveat naming another Ig draft of the session that would run
    beside it (IVIG and SCIG drafted together): each card is judged alone, and two "meets" cards read as two
    courses to sign."""
    if found.code not in IG_ORDER_CODES or sum(_is_ig_draft(o) for o in c.drafts) < 2:  # one Ig draft: nothing to name
        return found
    others: tuple[DraftOrder, ...] = c["Other IG Drafted"]
    # a renewal carried on by another draft (the new course's own card names it in its summary, `window-followed`)
    follow = _follow_on(c, c["Draft Order"]) if found.variant == "continuation-window" else None
    if not others and follow is not None and c["Draft Order"].end < c["Stop Date"]:
        return replace(found, caveats=("ig-follow-on-drafted", *found.caveats),
                       values={**found.values, **_follow_on_values(c, follow)},
                       evidence=found.evidence + (follow.source,))
    if not others:
        return found
    other = min(others, key=lambda o: (_planned_start(o.start, c.read_on), o.source))
    values = {**found.values, "other_ig_drug": other.drug, "other_ig_start": _planned_start(other.start, c.read_on),
              "other_ig_more": len(others) - 1}
    evidence = found.evidence + tuple(o.source for o in others if o.source not in found.evidence)
    return replace(found, caveats=("ig-drafted-twice", *found.caveats), values=values, evidence=evidence)


@define("Order Advice", "The advice on one draft order: its criteria, or the child card", scope="order")
def order_advice(c: Context) -> Advice | None:
    order: DraftOrder = c["Draft Order"]
    if order.kind == "unrecognised":
        return c["Unrecognised Order Advice"]  # type: ignore[no-any-return]
    found: Advice | None = c["IG Order Advice"] if order.kind == "ig" else c["Therapy Order Advice"]
    if found is None:
        return None
    if not c["Order Is Child"]:
        return _with_other_ig(c, _with_therapy_drafted(c, found)) if order.kind == "ig" else found
    age = age_on(c, found.values["t0"])  # type: ignore[arg-type]
    variant = {"bsab": "bsab", "car-t-product": "car-t-product"}.get(str(found.values.get("t0_kind")), "")
    # as patient-view's child card: the Ig the child is on, and the note on an IgG taken on it (§3.4), said as that
    # card says it (no threshold decides for a child, §4: not "below 4 g/L too")
    caveats = tuple("igg-during-substitution" if x == "igg-low-on-substitution" else x
                    for x in found.caveats if x in THIS_IGG_CAVEATS)
    return advice("child-individual-assessment", variant, "Order Advice",
                  values={**episode_values(c), **found.values, "age": age}, evidence=found.evidence,
                  caveats=caveats, targets=found.targets)
