"""OrderAdvice — the same rules, applied to a draft order (order-select / order-sign).

A draft immunoglobulin order is held against the start criteria that would apply if it
were signed today (§4.1, §4.3); a draft bsAb or CAR-T product order starts (or continues)
a high-risk window, so IgG monitoring is planned. Each function evaluates the library's
named definitions for the patient and adds what the order itself says; the trace shows
both.

Assumptions where the guideline is not specific:
- A draft IG order while the patient is on substitution is a continuation: it meets the
  criteria under the special stop rule only up to the stop date.
- Inside the window, a stale IgG < 4 still supports the start (as on patient-view).
- A bsAb order within `bsab_course_gap_days` of an exposure to the same drug resumes the
  current course: it does not start a new window.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

from .advice import Advice
from .engine import Context
from .library import LIBRARY, add_months, build_advice, years_between

define = LIBRARY.define

ORDER_CODES = ("order-meets-criteria", "order-does-not-meet-criteria", "plan-igg-monitoring", "child-individual-assessment")


@dataclass(frozen=True)
class DraftOrder:
    """A draft order from `context.draftOrders`."""

    kind: str  # "ig" | "bsab" | "car-t-product"
    source: str
    start: date | None = None
    end: date | None = None
    drug: str = ""


def _with_order(advice: Advice, order: DraftOrder, **values) -> Advice:
    merged = {**advice.values, "order_source": order.source, "order_drug": order.drug, **values}
    evidence = advice.evidence if order.source in advice.evidence else advice.evidence + (order.source,)
    return replace(advice, values=merged, evidence=evidence, targets=(order.source,))


@define("Draft Order", "The draft order being judged", scope="order")
def draft_order(c: Context) -> DraftOrder:
    return c.order  # type: ignore[no-any-return]


@define("IG Order Advice", "Does a draft immunoglobulin order meet the start criteria? (the patient-view rules)",
        scope="order")
def ig_order_advice(c: Context) -> Advice | None:
    order: DraftOrder = c["Draft Order"]
    if not c["In Scope"]:
        return None
    episode = c["Current Episode"]
    if c["On Substitution"]:
        starts_in_time = order.start is None or order.start <= c["Stop Date"]
        if c["Special Stop Applies"] and c["Days To Stop Date"] >= 0 and starts_in_time:
            advice = build_advice(c, "order-meets-criteria", "Order Advice", "§4.2", evidence=(episode,),
                                  suggestions=("set-order-end",), situation="continuation-window")
            return _with_order(advice, order)
        if c["Special Stop Applies"]:
            advice = build_advice(c, "order-does-not-meet-criteria", "Order Advice", "§4.2", "warning",
                                  evidence=(episode,), failing=("past-stop-date",),
                                  override_reasons=("community-infection-risk", "specialist-decision"))
            return _with_order(advice, order)
        advice = build_advice(c, "order-meets-criteria", "Order Advice", "§4.2", evidence=(episode,),
                              situation="continuation-general")
        return _with_order(advice, order)
    used, stale = c["Latest Untreated IgG"], c["Untreated IgG Is Stale"]
    threshold, general = c.params.igg_start_threshold_g_l, c.params.igg_general_threshold_g_l
    low = used is not None and used.value_g_l < threshold
    failing: list[str] = []
    if not c["General Criteria Apply"]:
        if low:  # a stale IgG < 4 still supports the start inside the window, as on patient-view
            because = c["Infections Since Lookback"]
            advice = build_advice(c, "order-meets-criteria", "Order Advice", "§4.1", igg=used, evidence=because,
                                  suggestions=() if because else ("set-order-end",), situation="window",
                                  extra_caveats=("infections-general-stop",) if because else ())
            return _with_order(advice, order)
        failing.append("no-igg-since-t0" if used is None else "igg-stale" if stale else
                       "igg-4-6" if used.value_g_l < general else "igg-not-low")
        infections: tuple = ()
    else:
        infections = c["Recent Severe Or Recurrent Infections"]
        if used is None or stale:
            failing.append("no-recent-igg")
        elif not low:
            failing.append("igg-4-6" if used.value_g_l < general else "igg-not-low")
        if not infections:
            failing.append("no-infections")
        if not failing:
            advice = build_advice(c, "order-meets-criteria", "Order Advice", "§4.1, §4.3", igg=used,
                                  evidence=infections, situation="general")
            return _with_order(advice, order)
    measure = {"no-igg-since-t0", "no-recent-igg", "igg-stale"} & set(failing)
    advice = build_advice(c, "order-does-not-meet-criteria", "Order Advice", "§4.1, §4.3", "warning", igg=used,
                          evidence=infections, failing=tuple(failing), restart=c["Is Restart"],
                          suggestions=("order-igg",) if measure else (),
                          override_reasons=("infection-not-coded", "specialist-decision", "community-infection-risk"))
    return _with_order(advice, order)


@define("Therapy Order Advice", "A draft bsAb / CAR-T product order: the window it starts, and a baseline IgG",
        scope="order")
def therapy_order_advice(c: Context) -> Advice | None:
    order: DraftOrder = c["Draft Order"]
    if not (c["Malignancy Diagnoses"] or c["Malignancy Assumed"]):
        return None
    start = order.start or c.today
    continues = None
    if order.kind == "bsab":
        gap = timedelta(days=c.params.bsab_course_gap_days)
        same = [e for e in c.facts.bsab if e.drug == order.drug and e.start <= start]
        if same:
            last = max((c.today if e.ongoing else (e.end or e.start)) for e in same)
            if start - last <= gap:
                continues = max((s for s in c["BsAb Course Starts"] if s.product == order.drug), key=lambda s: s.date, default=None)
    t0 = continues.date if continues else start
    recent = [r for r in c.facts.igg if r.date <= c.today and (c.today - r.date).days <= c.params.stale_days_in_window]
    values = {
        "t0": t0, "t0_kind": order.kind, "t0_product": order.drug, "t0_source": continues.source if continues else order.source,
        "stop_date": add_months(t0, c.params.window_months), "days_to_stop": None, "today": c.today,
        "threshold": c.params.igg_start_threshold_g_l, "general_threshold": c.params.igg_general_threshold_g_l,
        "window_months": c.params.window_months, "stale_days": c.params.stale_days_in_window, "order_source": order.source, "order_drug": order.drug,
        "continues": continues is not None, "infusion_date_unknown": order.kind == "car-t-product",
    }
    if recent:
        latest = max(recent, key=lambda r: r.date)
        values.update(igg=latest.value_g_l, igg_date=latest.date, igg_source=latest.source, igg_original=latest.original)
    return Advice(code="plan-igg-monitoring", indicator="info", rule="Order Advice", section="§4.1, §4.2",
                  values=values, evidence=tuple(dict.fromkeys([order.source] + ([values["igg_source"]] if recent else []))),
                  suggestions=() if recent else ("order-igg",), targets=(order.source,))


@define("Order Is Child", "Under the adult age at the T0 the order belongs to (the planned start for new therapy)",
        scope="order")
def order_is_child(c: Context) -> bool:
    order: DraftOrder = c["Draft Order"]
    if order.kind == "ig":
        return bool(c["Is Child"])
    advice = c["Therapy Order Advice"]
    patient = c.facts.patient
    if advice is None or patient is None or patient.birth_date is None:
        return False
    return years_between(patient.birth_date, advice.values["t0"]) < c.params.adult_age_years


@define("Order Advice", "The advice on one draft order: its criteria, or the child card", scope="order")
def order_advice(c: Context) -> Advice | None:
    order: DraftOrder = c["Draft Order"]
    advice = c["IG Order Advice"] if order.kind == "ig" else c["Therapy Order Advice"]
    if advice is None or not c["Order Is Child"]:
        return advice  # type: ignore[no-any-return]
    patient = c.facts.patient
    age = years_between(patient.birth_date, advice.values["t0"]) if patient and patient.birth_date else None
    return replace(advice, code="child-individual-assessment", indicator="info", suggestions=(),
                   override_reasons=(), values={**advice.values, "age_at_t0": age})
