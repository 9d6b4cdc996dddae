"""Immunoglobulin courses to facts: orders, doses, statements and other indications.

An immunoglobulin given for another indication (ITP, say) is no substitution course; its
reason is read here (`_other_indication`). A medication record of a course the orders already
give is counted once, as the order (`_once_beside_orders`), and doses and records given under an
order for another indication are that order's immunomodulation, no substitution (`_doses_of_other_use`).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import TYPE_CHECKING, Any, Mapping

from cql_like_rules.facts import (
    DataNote,
    IgCourse,
)
from cql_like_rules.valuesets import Entry

from ..errors import DataError
from .reading import (
    IG_ORDER_STATUSES, PRODUCT_OF_ROUTE, STATEMENT_ENDED, _codings,
    _concept_text, _first_code, _list, _reference_to, reference_of, withdrawn_by_verification,
)

if TYPE_CHECKING:
    from .facts import FactBuilder


def _ig_dose_undated(b: FactBuilder, r: Mapping[str, Any], concept: Any, why: str) -> None:
    """An immunoglobulin dose given (an administration, or a procedure under its SKS code) with no date: not
    placed in time, yet the patient may be on substitution. Named first on any card, never a plain "invalid"
    (as an immunoglobulin order that cannot be placed is)."""
    shown = _concept_text(concept) or next((str(c["code"]) for c in _codings(concept) if c.get("code")), "")
    b._notes.append(DataNote("ig-dose-undated", reference_of(r), f"{why}; the dose could not be placed in time "
                                "and was not used", shown[:80]))


def _other_indication(b: FactBuilder, r: Mapping[str, Any], day: date) -> bool:
    """Immunoglobulin given for another reason than substitution: every `reasonCode` in `ig-other-indication`
    (high-dose IVIG for ITP, GBS ...). Named; it makes no substitution course (read as one, the start criterion
    in the window became 'a restart: Ig start not recommended'), and only its IgG washout counts (§3.4)."""
    reasons = _reasons(b, r)
    if not reasons or not all(_only_other_indication(b, c) for c in reasons):
        return False
    b._notes.append(DataNote("ig-other-indication", reference_of(r), "immunoglobulin given for another reason "
                                "than substitution (immunomodulation): no substitution course, its washout kept",
                                (_concept_text(reasons[0]) or _first_code(reasons[0]))[:80], day))
    return True


def _reasons(b: FactBuilder, r: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """An immunoglobulin record's reasons: its `reasonCode`s, and the code of each Condition its `reasonReference`
    names (IVIG for ITP referring to the ITP diagnosis was read as substitution: 'a restart: Ig start not
    recommended'). A reference to no Condition in the chart, or to one entered in error or refuted, is no reason
    (an ITP diagnosis entered in error made every substitution dose naming it immunomodulation: 'Ig may be
    started')."""
    found: list[Mapping[str, Any]] = [c for c in _list(r.get("reasonCode")) if isinstance(c, dict)]
    for ref in _list(r.get("reasonReference")):
        condition = b._conditions.get(_reference_to(b, ref, "Condition", r))
        if condition is not None and isinstance(condition.get("code"), dict) \
                and not withdrawn_by_verification(condition):
            found.append(condition["code"])
    return found


def _only_other_indication(b: FactBuilder, reason: Mapping[str, Any]) -> bool:
    """A reason in `ig-other-indication` whose every coding in the set's code systems is in it: one reason that
    also carries D80.1 (hypogammaglobulinaemia) beside D69.3 is not read as ITP alone (it left a patient on IVIG
    told 'Ig may be started'). A coding in another system (a SNOMED CT translation) neither adds nor takes away."""
    if not b.t.sets_of(reason).get("ig-other-indication"):
        return False
    systems = b.t.systems_of("ig-other-indication")
    for coding in _list(reason.get("coding")):
        if not isinstance(coding, dict) or not isinstance(coding.get("system"), str):
            continue
        alias = b.t.alias_for(coding["system"])
        if alias is not None and alias[0] in systems and coding.get("code") \
                and not b.t.sets_of({"coding": [coding]}).get("ig-other-indication"):
            return False
    return True


def _statement_end(b: FactBuilder, r: Mapping[str, Any], end_raw: str) -> tuple[date | None, bool]:
    """A medication record's end as an order's (`_order_end`): one with no day its last day, one no reader can take a
    day from no end, named (`end-unread`); the record is dated by its start, and dropping it for its end left a patient
    on IVIG told that Ig may be started, or a bispecific patient with no card at all."""
    b._end_unread_open = True
    try:
        return b._order_end(r, end_raw) or (None, False)
    finally:
        b._end_unread_open = False


def _unreadable(b: FactBuilder, value: str) -> bool:
    """A date no reader can take a day from ("18-11-2025"); one with no day ("2025-11") is a date."""
    try:
        b._date(value, allow_partial=True)
    except DataError:
        return True
    return False


def _ig_statement(b: FactBuilder, r: Mapping[str, Any], ig: Entry, status: str, start_raw: Any, end_raw: Any,
                  shown: str) -> tuple[str, IgCourse] | None:
    """An immunoglobulin course a medication record tells of; one that cannot be placed in time is named first on any
    card (the patient may be on substitution), as an immunoglobulin order that cannot be is."""
    try:
        since_asserted = not isinstance(start_raw, str) and end_raw is None and status == "active" \
            and isinstance(r.get("dateAsserted"), str)
        if not isinstance(start_raw, str) and not since_asserted:
            raise DataError("no start date (effectiveDateTime or effectivePeriod.start)")
        # An active record with no effective date still says the drug was taken when it was asserted: home SCIG on the
        # medication list with only its dateAsserted read as not placed gave "Ig may be started" to a patient on it.
        # It is read as taken from that day (the first day the record places it), its unrecorded start named.
        start = b._date(r["dateAsserted"] if since_asserted else start_raw)
        end, assumed = _statement_end(b, r, end_raw) if isinstance(end_raw, str) else (None, False)
        if end is None and status in STATEMENT_ENDED and r.get("effectiveDateTime") is not None:
            end = start  # taken on that one day, and no longer
        if end is not None and end < start:
            raise DataError(f"end date {end} before start date {start}")
        asserted = b._date(r["dateAsserted"], allow_partial=True) if isinstance(r.get("dateAsserted"), str) else None
    except DataError as exc:
        b._notes.append(DataNote("ig-statement-unread", reference_of(r), f"{exc}; the immunoglobulin record could not "
                                 "be placed in time and was not used", shown, b._day_of(r)))
        return None
    if since_asserted:
        b._notes.append(DataNote("ig-statement-start-unrecorded", reference_of(r), "immunoglobulin record active with "
                                 "no effective date: read as taken from its dateAsserted, its start not recorded",
                                 shown, start))
    orders = frozenset(ref for ref in (_request_ref(b, x, r) for x in _list(r.get("basedOn")) + _list(r.get("derivedFrom"))) if ref)
    if orders:
        b._statement_orders[reference_of(r)] = orders
    if status == "intended":  # a plan: planned substitution while its start lies ahead, never a course taken
        return "ig_courses", IgCourse(start, "active", reference_of(r), end, PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""),
                                      asserted, end_assumed=assumed, intended=True)
    # `asserted` as the day it was written: a record asserted after the day evaluated was not there to read on that
    # day, whatever earlier course it tells of (clinical rules §5, "as of" a date), as an order written later is not
    if _other_indication(b, r, start):  # SCIG for CIDP on the list: immunomodulation, its washout kept, no course
        return "ig_other_use", IgCourse(start, IG_ORDER_STATUSES[status], reference_of(r), end,
                                        PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""), asserted, end_assumed=assumed)
    return "ig_courses", IgCourse(start, IG_ORDER_STATUSES[status], reference_of(r), end,  # STATEMENT_TAKEN, checked
                                  PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""), asserted,
                                  end_assumed=assumed, start_unrecorded=since_asserted)


def _request_ref(b: FactBuilder, reference: Any, referrer: Mapping[str, Any]) -> str:
    """A reference of `referrer` as 'MedicationRequest/id', '' when not one."""
    return _reference_to(b, reference, "MedicationRequest", referrer)


def _doses_of_other_use(b: FactBuilder, out: dict[str, list[Any]], used: Mapping[str, Mapping[str, Any]]) -> None:
    """Doses given under an order for another reason than substitution (their `request`), and medication records based
    on (or derived from) one, with no reason of their own, are that order's immunomodulation: each is moved to
    `ig_other_use` (its IgG washout kept). Read as substitution, the ITP order's two doses made a course that ended
    (the start criterion in the window became a restart), and its copy on the medication list, left active, a course
    begun in the window ('plan the stop attempt')."""
    orders = {c.source for c in out["ig_other_use"] if c.source.startswith("MedicationRequest/")}
    moved = [d for d in out["ig_administrations"] if b._dose_orders.get(d.source) in orders]
    for d in moved:
        out["ig_administrations"].remove(d)
        out["ig_other_use"].append(IgCourse(d.date, "completed", d.source, d.date, d.product))
    # an order whose doses the chart links to it: a dose not linked is another course's (`_other_use_chains`)
    linked = {b._dose_orders.get(d.source) for d in moved}
    out["ig_other_use"] = [replace(c, doses_linked=True) if c.source in linked else c for c in out["ig_other_use"]]
    copies = [c for c in out["ig_courses"] if b._statement_orders.get(c.source, frozenset()) & orders
              and not _reasons(b, used.get(c.source, {}))]
    for c in copies:
        out["ig_courses"].remove(c)
        out["ig_other_use"].append(c)


# An order's status the prescriber sets on the course itself: paused, or halted. Beside it, the medication list's record
# of the course begun the same day (not linked to the order) is that course, and the order says where it stands.
PRESCRIBER_HALTED = frozenset({"on-hold", "stopped"})


def _once_beside_orders(b: FactBuilder, courses: list[IgCourse], used: dict[str, Mapping[str, Any]]) -> list[IgCourse]:
    """The Ig courses, a medication record based on (or derived from) an Ig order of the chart counted once, as the
    order: the order is the course (its status and end are what the clinician changes), and the record, often a copy
    of it on the medication list that nobody ends, kept a stopped or ended order's course going on as substitution.

    A record not linked to any order, begun the same day as an order of the same product (both say IVIG, or both
    SCIG) that was put on hold or stopped, is that order's course too: an on-hold IVIG order beside the list's "active" IVIG of the same start read
    as a new course after a paused one, a restart (§4.3), where the record says one course, paused. It is named on the
    card (the list still says the drug is taken). An order whose end date merely passed is no such act: beside it the
    record's course stands (docs/clinical-logic.md, "Medication records"). Nor does a product one of them leaves
    unstated (ATC J06BA, SKS BOHJ10B): an IVIG order so coded, put on hold the day home SCIG began, is a switch, and
    the SCIG course running must not be hidden (no stop advice); the record stands, as a course of its own."""
    # a request that is only a plan or proposal is no order: a record based on it ("active" on the medication list)
    # says the plan was carried out, and stands as a course of its own
    orders = [c for c in courses if c.source.startswith("MedicationRequest/") and not c.intended]
    ordered = {c.source for c in orders}
    kept = []
    for course in courses:
        same = sorted(b._statement_orders.get(course.source, frozenset()) & ordered)
        if same:
            b._notes.append(DataNote("statement-of-order", course.source, f"immunoglobulin record based on the order "
                                     f"{same[0]}: the same course, read as the order", "", course.start))
            continue
        halted = [] if not course.source.startswith("MedicationStatement/") or course.intended \
            or b._statement_orders.get(course.source) else \
            sorted((o for o in orders if o.status in PRESCRIBER_HALTED and o.start == course.start
                    and o.product and o.product == course.product), key=lambda o: o.source)
        if halted:
            order = halted[0]
            b._notes.append(DataNote("statement-beside-halted-order", course.source, f"immunoglobulin record begun the "
                                     f"same day as the order {order.source} ({order.status}), not linked to it: the "
                                     f"same course, read as the order", order.product or "Ig", course.start))
            continue
        kept.append(course)
    return kept
