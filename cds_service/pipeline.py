"""Answering one hook call: the one path every entrance walks.

request → prefetch pool (and the EHR's FHIR server for what is missing) → typed facts →
rules → advice (with every data note known, `already_on`: a start beside Ig the patient may be on) → kill switch →
cards. The HTTP route, `replay`, `timeline`, `worklist`, the
benchmark and the tests all call `answer` (tools whose data is local call `answer_local`,
the same coroutine run without an event loop). Nothing here knows HTTP.

Resources whose facts decide the advice are validated with the FHIR R4 models (only the
fields the rules read must be valid); if one fails it is dropped, named in the data notes,
and the evaluation runs again, so invalid data can never silently change the advice while
the cost stays proportional to what is used. On a chart with no CAR-T or bsAb fact nothing
can give advice, so its facts, rules, data notes and validation are deferred, not skipped:
done when something asks for the notes (see `_has_index_event`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from typing import Any, Callable, Coroutine, Mapping, Sequence, TypeVar

from cql_like_rules import Advice, Evaluation, RuleSet
from cql_like_rules.facts import DataNote, Facts, IgGOrderDraft
from cql_like_rules.orders import DraftOrder

from .already_on import with_already_on
from .cards.render import CardContext, Link, cards
from .errors import BadRequest, PreconditionFailed, ServiceError
from .fhir.facts import Extraction, FactBuilder, closed_draft, reference_of
from .fhir.fetch import FetchFailed, FhirFetcher, RequestBudget, check_server_allowed
from .fhir.prefetch import INCLUDED_TYPES, PooledResources, later_keys, pool_prefetch, set_later_keys_aside
from .fhir.request import HookRequest
from .fhir.unread import named_by_rules, notes_as_of, orders_written_later
from .fhir.validation import validity
from .http.limits import count_resources, resources_in
from .killswitch import KillSwitch
from .runtime import Runtime

T = TypeVar("T")


Explained = tuple[Evaluation, Extraction, tuple[DataNote, ...]]


class Explanation:
    """What lies behind an answer's cards (evaluation, facts, notes), computed at most once, when asked.

    Computed at once for every answer but one whose evaluation was deferred (a patient-view
    chart without CAR-T or bsAb facts: `_has_index_event`); that one only when a caller
    reads the notes, facts or evaluation (`replay` and the worklist do; an HTTP answer does not).
    """

    __slots__ = ("_compute", "_value")

    def __init__(self, compute: Callable[[], Explained] | None = None, value: Explained | None = None) -> None:
        self._compute = compute
        self._value = value

    @property
    def ready(self) -> bool:
        """Whether it has been computed (nothing left that needs the request's chart)."""
        return self._value is not None

    def get(self) -> Explained:
        if self._value is None:
            assert self._compute is not None
            self._value = self._compute()
            self._compute = None
        return self._value


@dataclass(frozen=True)
class Answer:
    """One hook call answered: the cards, and everything that explains them."""

    request: HookRequest
    lang: str
    today: date
    cards: list[dict[str, Any]]  # CDS Hooks cards, as JSON
    advice: tuple[Advice, ...]  # what the cards show (the kill switch may have removed some)
    suppressed: tuple[str, ...]  # advice codes the kill switch removed
    explanation: Explanation = field(repr=False, compare=False)

    @property
    def evaluation(self) -> Evaluation:
        return self.explanation.get()[0]

    @property
    def facts(self) -> Facts:
        return self.explanation.get()[1].facts

    @property
    def notes(self) -> tuple[DataNote, ...]:
        """Every data note: pooling, facts, validation, rules."""
        return self.explanation.get()[2]

    @property
    def resources(self) -> Mapping[str, Mapping[str, Any]]:
        """The resources behind the facts, by reference."""
        return self.explanation.get()[1].resources

    def for_snapshot(self) -> "Answer":
        """This answer as its explanation snapshots read it, holding none of the request's chart.

        A snapshot waits for the card store's writer; the answer it waits with would keep the
        whole parsed request (and the resources behind the facts) alive until then, to be freed
        by the writer, cache-cold, long after the request: for a 235 KB chart that was the
        larger part of the writer's work. Without them the chart is freed as the request ends.
        The snapshot reads the cards, advice, evaluation, facts, notes, day, language and the
        hook only, all kept. An explanation not yet computed needs the chart: kept as it is.
        """
        if not self.explanation.ready:
            return self
        evaluation, extraction, notes = self.explanation.get()
        request = replace(self.request, context={}, prefetch=None, fhir_authorization=None, draft_orders=())
        return replace(self, request=request,
                       explanation=Explanation(value=(evaluation, Extraction(extraction.facts), notes)))


async def answer(request: HookRequest, runtime: Runtime, *, lang: str = "en", today: date | None = None,
                 fetcher: FhirFetcher | None = None, link: Link | None = None, known_on: date | None = None) -> Answer:
    """The cards for one hook request, as of `today` (the runtime's day when None); `known_on`: the day the chart
    was read, when it is not `today` (a timeline evaluates one chart on other days)."""
    budget = fetcher.budget(fetcher.max_resources - resources_in(request)) if fetcher is not None else None
    pooled = await gather(request, runtime, fetcher, budget)
    day = today or runtime.today()
    # live: the day is the clock's, not one fixed (replay --at, CDS_EVALUATION_DATE), so a record dated after it is a
    # date error in the EHR and named, where on a fixed day it merely did not exist yet; never the calendar's say-so
    live = today is None and runtime.settings.evaluation_date is None
    drafts = _drafts(request)
    if drafts is None and not _has_index_event(pooled, runtime):
        # No CAR-T or bsAb fact: no advice whatever else the chart holds (see `_has_index_event`), so
        # the facts, rules, notes and validation wait until something reads them.
        deferred = Explanation(lambda: evaluate(pooled, request.patient_id, runtime, day, known_on=known_on, live=live))
        return Answer(request, lang, day, [], (), (), deferred)
    medications = await fetch_medications(request, drafts, pooled, runtime, fetcher, budget) if drafts else None
    evaluation, extraction, notes = evaluate(pooled, request.patient_id, runtime, day, drafts,
                                             session=request.draft_orders if drafts is not None else None,
                                             medications=medications, known_on=known_on, live=live)
    explanation = Explanation(value=(evaluation, extraction, notes))
    shown_cards, shown, suppressed = present(evaluation, runtime.kill_switch, lambda: CardContext(
        lang, request.patient_id, runtime.ruleset, runtime.terminology, _updatable(extraction.resources, pooled), notes,
        link, runtime.tz))
    return Answer(request, lang, day, shown_cards, shown, suppressed, explanation)


def _updatable(resources: Mapping[str, Mapping[str, Any]], pooled: PooledResources) -> dict[str, Mapping[str, Any]]:
    """The resources a card may suggest updating: not one read under the id its urn fullUrl gave it
    (`PooledResources.named_by_urn`): an update under an id the EHR never gave the order would be applied to no
    order, or made a second one, the order itself left as it was."""
    return {ref: r for ref, r in resources.items() if ref not in pooled.named_by_urn}


def present(evaluation: Evaluation, kill_switch: KillSwitch | None, context: Callable[[], CardContext],
            ) -> tuple[list[dict[str, object]], tuple[Advice, ...], tuple[str, ...]]:
    """Advice to cards: the kill switch applied to the advice (not to rendered JSON), then the
    cards of what it lets through (the context is built only when there is something to show).
    Returns the cards, the advice shown and the codes the kill switch removed."""
    shown, suppressed = kill_switch.apply(evaluation.advice) if kill_switch is not None else (evaluation.advice, [])
    return (cards(evaluation, context(), shown) if shown else []), shown, tuple(suppressed)


def answer_local(request: HookRequest, runtime: Runtime, *, lang: str = "en", today: date | None = None,
                 link: Link | None = None, known_on: date | None = None) -> Answer:
    """`answer` for data that is all in the request (replay, timeline, worklist): no event loop needed."""
    return run_without_loop(answer(request, runtime, lang=lang, today=today, link=link, known_on=known_on))


def run_without_loop(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never waits (no fetch) to its end, synchronously."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise RuntimeError("this request needs an event loop (it waited on I/O)")


# -- data -----------------------------------------------------------------------------------------


async def gather(request: HookRequest, runtime: Runtime, fetcher: FhirFetcher | None,
                 budget: RequestBudget | None = None) -> PooledResources:
    """The patient's resources from prefetch, fetching from `fhirServer` what is missing (within
    `budget`, the request's, shared with `fetch_medications`).

    Never evaluates partial data as if complete: what cannot be had is a 412.
    """
    keys = list(runtime.templates)
    pooled = pool_prefetch(request.prefetch, keys, request.patient_id, runtime.tz, request.context.get("draftOrders"),
                           runtime.templates)
    needed = pooled.missing + [k for k in pooled.unusable if k not in pooled.missing]
    if not needed:
        return pooled
    required, later = later_keys(needed)
    if not request.fhir_server or fetcher is None:
        why = "the request has no fhirServer to fetch it from" if not request.fhir_server else "fetching is not possible here"
        if required:
            raise PreconditionFailed(_precondition_message(pooled, why, request, keys))
        set_later_keys_aside(pooled, why)
        return pooled
    refused = check_server_allowed(request.fhir_server, fetcher.settings)
    if refused:
        if required:
            raise PreconditionFailed(_precondition_message(pooled, f"fhirServer refused: {refused}", request, keys))
        set_later_keys_aside(pooled, f"fhirServer refused: {refused}")
        return pooled
    token = (request.fhir_authorization or {}).get("access_token")
    fetched: dict[str, Any] = {}
    if required:
        try:
            fetched = await fetcher.fetch({k: runtime.templates[k] for k in required}, request.context,
                                          request.fhir_server, token, fetcher.max_resources - resources_in(request),
                                          budget=budget)
        except FetchFailed as exc:
            raise PreconditionFailed("could not fetch required data from fhirServer: " + "; ".join(exc.problems)
                                     + f". {_fetch_hint(exc.problems, token)}"
                                     + _unknown_keys(request, keys)) from None
        unknown = [k for k in required if fetched.get(k) is None and _reads_the_patient(runtime.templates[k])]
    else:
        unknown = []
    failed = ""
    if later:  # after the required keys, within what they left of the resource limit; a failure is a note, not a 412
        try:
            fetched.update(await fetcher.fetch({k: runtime.templates[k] for k in later}, request.context,
                                               request.fhir_server, token,
                                               fetcher.max_resources - resources_in(request) - count_resources(fetched),
                                               budget=budget))
        except FetchFailed as exc:
            failed = "fhirServer: " + "; ".join(exc.problems)
    merged = {**(request.prefetch or {}), **fetched}
    pooled = pool_prefetch(merged, keys, request.patient_id, runtime.tz, request.context.get("draftOrders"),
                           runtime.templates)
    if unknown and not any(r.get("resourceType") not in INCLUDED_TYPES for r in pooled.resources):
        # the context's patient is not on the FHIR server, and nothing sent or fetched is theirs: an id that is not
        # the FHIR id (an MRN), or a prefetch filled for another patient. Read as "no data", the answer would be no
        # card with nothing saying why. (A prefetch that holds the patient's records is read, as with `patient: null`)
        raise PreconditionFailed(f"could not fetch required data from fhirServer: {unknown[0]}: the FHIR server "
                                 f"has no Patient/{request.patient_id[:64]} (404 or 410), and no record sent or "
                                 "fetched is that patient's; context.patientId must be the patient's resource id on "
                                 "fhirServer" + _unknown_keys(request, keys))
    if failed:
        pooled.missing = [k for k in pooled.missing if k not in later] + later
    set_later_keys_aside(pooled, failed or "the FHIR server did not provide it")
    if pooled.missing or pooled.unusable:
        raise PreconditionFailed(_precondition_message(pooled, "the FHIR server did not provide it", request, keys))
    return pooled


@dataclass(frozen=True)
class FetchedMedications:
    """The Medications the judged drafts name but the request did not carry: those read from `fhirServer`,
    and for each reference (as the draft writes it) that could not be read, why not."""
    resources: tuple[Mapping[str, Any], ...] = ()
    why_not: Mapping[str, str] = field(default_factory=dict)
    absent: Mapping[str, int] = field(default_factory=dict)  # reference -> 404 or 410, as fhirServer answered its read


_MEDICATION_PATH = re.compile(r"Medication/[A-Za-z0-9\-.]{1,64}(/_history/[A-Za-z0-9\-.]{1,64})?")


async def fetch_medications(request: HookRequest, drafts: tuple[Mapping[str, Any], ...], pooled: PooledResources,
                            runtime: Runtime, fetcher: FhirFetcher | None,
                            budget: RequestBudget | None = None) -> FetchedMedications:
    """Read from `fhirServer` each Medication a judged draft names by reference that is neither contained,
    nor in context.draftOrders, nor in prefetch (CDS Hooks 2.0 §FHIR Resource Access: a service lacking
    data may fetch it with `fhirAuthorization`): one read per Medication, with the checks, limits and
    error messages of `gather`. Each read stands alone: what cannot be read is kept with why (told apart:
    a Medication fhirServer does not hold, 404, from one deleted there, 410, or a read that failed), and
    `evaluate` names it on the cards of the drafts that could be judged, or answers 412 when none can.
    """
    builder = FactBuilder(runtime.terminology, runtime.tz, runtime.ruleset.parameters, pooled.full_urls)
    builder.know_medications([*pooled.resources, *request.draft_orders])
    refs: list[str] = []  # each reference as the drafts write it, once
    for resource in drafts:
        if (resource.get("resourceType") == "MedicationRequest" and not closed_draft(resource)
                and pooled.owns(resource, request.patient_id)):  # only a draft `evaluate` judges needs its drug
            ref = builder.medication_not_sent(resource)
            if ref is not None and ref not in refs:
                refs.append(ref)
    if not refs:
        return FetchedMedications()
    if not request.fhir_server or fetcher is None:
        reason = "the request has no fhirServer" if not request.fhir_server else "fetching is not possible here"
        return FetchedMedications((), dict.fromkeys(refs, reason))
    refused = check_server_allowed(request.fhir_server, fetcher.settings)
    if refused:
        return FetchedMedications((), dict.fromkeys(refs, f"fhirServer refused: {refused}"))
    base = request.fhir_server.rstrip("/") + "/"
    wanted: dict[str, str] = {}  # reference -> the path read from fhirServer (relative, or absolute under it)
    why_not: dict[str, str] = {}
    for ref in refs:
        path = ref.removeprefix(base)
        if _MEDICATION_PATH.fullmatch(path) and all(set(part) != {"."} for part in path.split("/")):
            wanted[ref] = path
        else:  # the token goes to fhirServer only
            why_not[ref] = "it is not a 'Medication/id' reference on fhirServer"
    if not wanted:
        return FetchedMedications((), why_not)
    token = (request.fhir_authorization or {}).get("access_token")
    paths = sorted(set(wanted.values()))
    try:  # each read stands alone: one that fails leaves the others' Medications read
        fetched = await fetcher.fetch_each({p: p for p in paths}, request.context, request.fhir_server, token,
                                           budget=budget)
    except FetchFailed as exc:  # what stops every read (a limit of the request): each draft is told why
        for ref, path in wanted.items():
            own = [p.removeprefix(f"{path}: ") for p in exc.problems if p.startswith(f"{path}: ")]
            why_not[ref] = "; ".join(own or exc.problems)
        return FetchedMedications((), why_not)
    found: list[Mapping[str, Any]] = []
    absent: dict[str, int] = {}
    for ref, path in wanted.items():
        medication = fetched.found.get(path)
        if path in fetched.failed:
            why_not[ref] = fetched.failed[path]
        elif path in fetched.absent:
            absent[ref] = fetched.absent[path]
            why_not[ref] = _NOT_THERE.get(absent[ref], _NOT_THERE[404]).format(path=path)
        elif not isinstance(medication, dict) or medication.get("id") != path.split("/")[1]:
            why_not[ref] = "fhirServer answered a Medication with another id"  # never read as the drug asked for
        elif medication not in found:
            found.append(medication)
    return FetchedMedications(tuple(found), why_not, absent)


# Why a Medication read found nothing, by the status fhirServer answered (the reference is the draft's).
_NOT_THERE = {
    404: "fhirServer answered 404 Not Found: it holds no {path} (never recorded, or not visible with this token)",
    410: "fhirServer answered 410 Gone: {path} was deleted there",
}


def _precondition_message(pooled: PooledResources, why: str, request: HookRequest | None = None,
                          known: Sequence[str] = ()) -> str:
    """The 412 an integrator reads: which keys, why they could not be had, and what to send instead."""
    parts = []
    required, later = later_keys(list(pooled.missing))
    if required:
        parts.append("prefetch missing for: " + ", ".join(required)
                     + (f" (also {', '.join(later)}, which may be left out)" if later else ""))
    elif later:
        parts.append("prefetch missing for: " + ", ".join(later))
    parts += [f"prefetch '{k}' unusable: {msg}" for k, msg in pooled.unusable.items()]
    return ("required data not available — " + "; ".join(parts) + f" ({why}). " + PREFETCH_HINT
            + _unknown_keys(request, known))


def _unknown_keys(request: HookRequest | None, known: Sequence[str]) -> str:
    """The request's prefetch keys the service does not use (e.g. a sandbox's own names: a likely cause of a 412),
    named, cut short (the client chose them); "" when there are none."""
    unknown = [k for k in (request.prefetch or {}) if k not in known] if request is not None and known else []
    if not unknown:
        return ""
    shown = ", ".join(repr(k[:40]) for k in unknown[:5]) + (", ..." if len(unknown) > 5 else "")
    return f"; prefetch keys this service does not use, ignored: {shown}"


FETCH_HINT = "Send these keys in prefetch, or a fhirServer the service can reach"
PREFETCH_HINT = ("Send every prefetch key GET /cds-services lists, filled from its template "
                 "(null when the EHR holds no such data), or a fhirServer the service may fetch them from")


def _fetch_hint(problems: Sequence[str], token: str | None) -> str:
    """What to do about a fetch that failed, where its answers point at a cause (`FETCH_HINT` otherwise): a server
    that wants a token the request did not carry, or a fhirServer that is not the FHIR base (every search 404)."""
    if token is None and any("answered 401" in p or "answered 403" in p for p in problems):
        return "The request carried no fhirAuthorization: send its access_token for this fhirServer, or the keys " \
               "in prefetch"
    if len(problems) > 1 and all(p.endswith("FHIR server answered 404") for p in problems):
        return "Every search answered 404: check that fhirServer is the FHIR base URL (the one its " \
               "/metadata is under, often ending in /fhir), or send the keys in prefetch"
    return FETCH_HINT


def _reads_the_patient(template: str) -> bool:
    """Whether a prefetch template reads the context's Patient ("Patient/{{context.patientId}}")."""
    return "".join(template.split()) == "Patient/{{context.patientId}}"


def _drafts(request: HookRequest) -> tuple[Mapping[str, Any], ...] | None:
    """The draft orders to judge (order hooks), or None (patient-view)."""
    if request.hook == "patient-view":
        return None
    if request.selections is None:
        return request.draft_orders
    chosen = set(request.selections)
    return tuple(d for d in request.draft_orders if reference_of(d) in chosen)


# -- facts and rules ------------------------------------------------------------------------------


def evaluate(pooled: PooledResources, patient_id: str, runtime: Runtime, today: date,
             drafts: tuple[Mapping[str, Any], ...] | None = None,
             session: tuple[Mapping[str, Any], ...] | None = None,
             medications: FetchedMedications | None = None, known_on: date | None = None,
             live: bool = False) -> Explained:
    """Facts and rules, validating the decisive resources (patient-view, or draft orders when given).

    `drafts` are the draft orders to judge; `session` every draft order of the hook call, selected or
    not (default: `drafts`), read only for the IgG lab orders drafted with them (a typed fact).
    `medications`: what `fetch_medications` read from fhirServer for the drafts, and why not the rest.
    `live`: evaluated on the clock's own day (a hook call without a fixed day): an order or record written after it
    is named as a date error; on a fixed day (replay, the timeline, the worklist) it did not exist yet and stays unnamed.
    """
    builder = FactBuilder(runtime.terminology, runtime.tz, runtime.ruleset.parameters, pooled.full_urls)
    notes = list(pooled.notes)
    orders: list[DraftOrder] = []
    raw_orders: dict[str, dict[str, object]] = {}
    unreadable: list[tuple[str, ServiceError, str]] = []  # drafts whose drug could not be read: refusal, note kind
    igg_drafted: tuple[IgGOrderDraft, ...] = ()
    series: list[DraftOrder] = []  # bsAb / CAR-T drafts of the call not selected: a series' first dose dates T0
    ig_beside: tuple[DraftOrder, ...] = ()  # Ig drafts of the call not selected: a second course beside a selected one
    if drafts is not None:
        session = drafts if session is None else session
        igg_drafted = _igg_orders_drafted(builder, pooled, patient_id, session)
        # A Medication the draft names may come in the draft orders' Bundle beside it, selected or not
        fetched = medications.resources if medications is not None else ()
        builder.know_medications([*pooled.resources, *session, *fetched])
        others: list[str] = []  # drafts about another patient (or none): named, never judged
        for resource in drafts:
            ref = reference_of(resource)
            if not pooled.owns(resource, patient_id):  # Patient/{id}, its fullUrl or an identifier, as the chart
                if isinstance(resource.get("subject"), dict):
                    notes.append(DataNote("wrong-patient", ref, f"draft order not about Patient/{patient_id}; ignored"))
                else:  # naming no patient: not another's, as a chart's record with no subject is not (`prefetch._add`)
                    notes.append(DataNote("no-subject", ref, "draft order names no patient (no subject); ignored"))
                others.append(ref)
                continue
            if closed_draft(resource):  # not being ordered: nothing to judge
                continue
            order = builder.draft_order(resource)
            if order is None and resource.get("resourceType") == "MedicationRequest":
                unread = _drug_unread(builder, resource, ref, medications)
                if unread is not None:
                    unreadable.append(unread)
            if order is None or ref in raw_orders:
                continue
            checked = validity(resource)
            if checked.fatal is not None:  # the order being signed must be judged as it is, not skipped silently
                raise BadRequest(f"context.draftOrders: {ref} is not valid FHIR R4 ({checked.fatal})")
            notes += _ignored_fields(ref, checked.ignored)
            notes += order.notes  # an end with no day read as its last day: the card names the date as written
            if order.dates_unread:  # judged from the day it is signed: the clinician must see why
                notes.append(DataNote("draft-date-partial" if order.date_partial else "draft-dates-unread", ref,
                                      f"{order.dates_unread}; judged as starting on the day it is signed",
                                      order.date_partial, record_words=True))
            elif order.end is not None and order.end < today:  # a copied order whose whole period has passed: as
                # written it gives no dose, so its dates say nothing of the course meant; judged as an undated draft,
                # and no end is suggested over its dates (`end_unread`): the clinician sets them
                notes.append(DataNote("draft-period-passed", ref, f"its planned period ended {order.end.isoformat()}; "
                                      "judged as starting on the day it is signed, with no end", day=order.end))
                order = replace(order, start=None, end=None, length_unread="", end_unread=order.end.isoformat())
            elif order.start is not None and order.start < today:  # a copied order keeps the start it was written with
                notes.append(DataNote("draft-start-passed", ref, f"its planned start {order.start.isoformat()} has passed; "
                                      "judged as starting on the day it is signed", day=order.start))
            if order.length_unread:  # no end date is suggested over it: the clinician must see why
                notes.append(DataNote("draft-length-unread", ref, "its length cannot be read; no end date is suggested",
                                      order.length_unread, record_words=True))
            orders.append(order)
            raw_orders[ref] = dict(resource)
        beside = _not_selected(builder, pooled, patient_id, drafts, session)
        series = [o for o in beside if o.kind in ("bsab", "car-t-product")]
        ig_beside = tuple(o for o in beside if o.kind in ("ig", "unrecognised"))
        builder.forget_unresolved()  # a draft's drug not read is named by its own note, not counted with the chart's
        if drafts and len(others) == len(drafts):  # nothing of this patient to judge: an empty answer would say "fine"
            raise BadRequest(f"context.draftOrders: {', '.join(others[:3])}{' …' if len(others) > 3 else ''}: "
                             f"not about Patient/{patient_id} (context.patientId); no draft order of this call "
                             f"could be checked")
        if unreadable and not orders and _card_possible(pooled, runtime, today):  # nothing else to judge: the answer is
            raise unreadable[0][1]  # the order that could not be read (unless no order could get a card here)
        # Judged beside other drafts, it does not take their cards away (a 412 or 400 is no card at all): named on them
        notes += [DataNote(kind, ref, str(error)) for ref, error, kind in unreadable]
        if not orders:
            extraction = builder.build([], notes, igg_drafted)
            return Evaluation((), (), today), extraction, tuple(extraction.facts.notes)
    rejected: set[str] = set()
    therapies = builder.therapies_drafted([*orders, *series])
    while True:
        usable = [r for r in pooled.resources if reference_of(r) not in rejected] if rejected else pooled.resources
        extraction = builder.build(usable, notes, igg_drafted, therapies)
        extraction.resources.update(raw_orders)
        bad: list[tuple[str, str]] = []
        evaluation, notes_seen = evaluate_facts(
            runtime.ruleset, extraction.facts, today, known_on, None if drafts is None else orders,
            partial(_answer_notes, builder, pooled, extraction, runtime, today, live, raw_orders, bad), ig_beside)
        if not bad:
            return evaluation, extraction, notes_seen
        for ref, error in bad:
            rejected.add(ref)
            notes.append(_invalid_note(ref, error, extraction))


def _rules_notes(evaluation: Evaluation) -> tuple[DataNote, ...]:
    """The notes of an evaluation from facts alone (a stored snapshot): the facts' and the rules' own."""
    return evaluation.notes


def evaluate_facts(ruleset: RuleSet, facts: Facts, today: date, known_on: date | None = None,
                   orders: Sequence[DraftOrder] | None = None,
                   answer_notes: Callable[[Evaluation], tuple[DataNote, ...]] = _rules_notes,
                   beside: Sequence[DraftOrder] = (),
                   ) -> tuple[Evaluation, tuple[DataNote, ...]]:
    """The rules on the facts (patient-view, or these draft orders), then the one step that needs every note of the
    answer known (`answer_notes`, given the rules' evaluation): a start beside Ig the patient may be on says so
    (`already_on`). Every entrance evaluates facts here: a hook call's chart (`evaluate`) and a timeline redrawn from
    stored facts (`tools.timeline.timeline_from_facts`) alike. `beside`: the call's drafts not judged (not
    selected), which a judged draft may be told of."""
    if orders is None:
        evaluation = ruleset.evaluate(facts, today, known_on)
    else:
        evaluation = ruleset.evaluate_orders(facts, orders, today, known_on, beside)
    notes = answer_notes(evaluation)
    return with_already_on(evaluation, notes), notes


def _answer_notes(builder: FactBuilder, pooled: PooledResources, extraction: Extraction, runtime: Runtime,
                  today: date, live: bool, raw_orders: Mapping[str, object], bad: list[tuple[str, str]],
                  evaluation: Evaluation) -> tuple[DataNote, ...]:
    """Every note of a hook call's answer, once the rules have run; or, a decisive resource not valid FHIR, none: `bad`
    gets it with why, and the evaluation runs again without it."""
    found, kept = _check_decisive(evaluation, extraction, runtime.ruleset.decisive, skip=raw_orders)
    if found:
        bad += found
        return ()
    # as of `today`: a record dated after it is not named either, as the rules do not read it (§5)
    seen = notes_as_of((*extraction.facts.notes, *kept), pooled.resources, today, runtime.tz)
    if live:  # the request's own day, from the clock: "written tomorrow" is a date error, named
        seen = (*seen, *orders_written_later(builder, extraction.facts, pooled.resources, today))
    # the rules' own notes name a record dated by its month as written too ("an infection (2025-12)")
    return named_by_rules(seen, builder.as_written(evaluation.notes, pooled.resources))


def _not_selected(builder: FactBuilder, pooled: PooledResources, patient_id: str,
                  drafts: tuple[Mapping[str, Any], ...],
                  session: tuple[Mapping[str, Any], ...]) -> list[DraftOrder]:
    """The bsAb, CAR-T product and immunoglobulin drafts of the call that are not judged (order-select: not
    selected), about this patient and still being ordered. They get no card, but a later step-up dose selected alone
    belongs to the course the first one begins: its window runs from that first dose (clinical-rules §2), as on
    order-sign; and an Ig draft selected beside one drafted before it is a second course (`Other IG Drafted`)."""
    judged = {reference_of(r) for r in drafts}
    found = []
    for resource in session:
        if reference_of(resource) in judged or not pooled.owns(resource, patient_id) or closed_draft(resource):
            continue
        order = builder.draft_order(resource)
        if order is not None and order.kind in ("bsab", "car-t-product", "ig", "unrecognised"):
            found.append(order)
    return found


def _drug_unread(builder: FactBuilder, resource: Mapping[str, Any], ref: str,
                 medications: FetchedMedications | None = None) -> tuple[str, ServiceError, str] | None:
    """A draft medication order whose drug cannot be read is not passed over as "not an immunoglobulin":
    it may be one. Its refusal names it: a 412 when the Medication it refers to was not sent and could not
    be fetched (the request is incomplete; `medications` says why not), a 400 when the order itself is
    malformed; `evaluate` answers with it when no other draft of the call is judged, else names the draft
    on their cards with the note kind returned: `draft-drug-missing` or `draft-drug-deleted` when fhirServer
    answered its read 404 or 410, else `draft-drug-unread`. None when the drug can be read."""
    unread = builder.medication_unread(resource)
    if unread is None:
        return None
    why, not_sent = unread
    checked = validity(resource)
    if checked.fatal is not None:
        raise BadRequest(f"context.draftOrders: {ref} is not valid FHIR R4 ({checked.fatal})")
    named = resource.get("medicationReference") if not_sent else None  # the reference `fetch_medications` keyed
    medication = named.get("reference") if isinstance(named, dict) else None
    not_fetched = medications.why_not.get(medication) if medications is not None and medication else None
    if not_fetched is not None:
        why += f", and was not fetched from fhirServer: {not_fetched}"
    message = f"context.draftOrders: {ref}: {why}; its drug could not be checked"
    status = medications.absent.get(medication) if medications is not None and medication else None
    kind = {404: "draft-drug-missing", 410: "draft-drug-deleted"}.get(status or 0, "draft-drug-unread")
    return ref, PreconditionFailed(message) if not_sent else BadRequest(message), kind


def _card_possible(pooled: PooledResources, runtime: Runtime, today: date) -> bool:
    """Whether a draft order could get a card for this patient, whatever its drug: alive on `today`, and a CAR-T or
    bsAb on the chart (or one known by its name) for an immunoglobulin order, a haematological malignancy on record
    (or assumed by policy) for a new bsAb or CAR-T. When not, a drug that cannot be read changes no answer: no
    reason to refuse the call."""
    facts = FactBuilder(runtime.terminology, runtime.tz, runtime.ruleset.parameters, pooled.full_urls).build(pooled.resources).facts
    patient = facts.patient
    if patient is not None and patient.dead_on(today):
        return False  # no advice after death, in any hook (clinical-rules §7)
    if runtime.ruleset.parameters.malignancy_requirement == "assume" or _holds_index_event(facts):
        return True
    return bool(facts.diagnoses)


def _holds_index_event(facts: Facts) -> bool:
    """`_has_index_event` read from facts already built (the same resources, read by the same handlers)."""
    return bool(facts.car_t or facts.bsab or facts.unrecognised_therapies or facts.undated_therapies)


def _igg_orders_drafted(builder: FactBuilder, pooled: PooledResources, patient_id: str,
                        session: tuple[Mapping[str, Any], ...]) -> tuple[IgGOrderDraft, ...]:
    """The IgG lab orders among the session's draft orders about this patient (selected or not: order-select
    comments on the therapy it selects, but the IgG drafted beside it is ordered all the same)."""
    found: dict[str, IgGOrderDraft] = {}
    for resource in session:
        drafted = builder.igg_order_drafted(resource)
        if drafted is not None and drafted.source not in found and pooled.owns(resource, patient_id):
            found[drafted.source] = drafted
    return tuple(found.values())


def _has_index_event(pooled: PooledResources, runtime: Runtime) -> bool:
    """Whether the chart holds a CAR-T infusion or bsAb exposure fact, or such a therapy known only by its
    name or recorded with a date that names no day (each gets a card of its own); when not, nothing is
    evaluated yet.

    Why a chart without one gets no advice, whatever else it holds: advice needs "In Scope",
    which needs an "Index Event", made only of those facts (or, for `therapy-not-recognised`, a
    therapy known only by its name; for `therapy-undated`, one whose date names no day), and each comes from one Procedure,
    MedicationRequest, MedicationAdministration or MedicationStatement (with the Medication it may name) alone;
    dropping a resource found invalid can only remove facts, never add one. So only those
    resources are read here, up to the first such fact; the rest of the chart (IgG, diagnoses,
    the Patient), the rules' data notes and every validation wait for `Answer.explanation`,
    which evaluates the whole chart exactly as a chart with advice is evaluated.
    """
    return FactBuilder(runtime.terminology, runtime.tz, runtime.ruleset.parameters, pooled.full_urls).has_index_event(pooled.resources)


def _check_decisive(evaluation: Evaluation, extraction: Extraction, decisive: frozenset[str],
                    skip: Mapping[str, object] | frozenset[str] = frozenset(),
                    ) -> tuple[list[tuple[str, str]], list[DataNote]]:
    """Validate the resources behind the decisive definitions (but `skip`, the draft orders, checked
    on arrival): the unusable ones with why, and the notes naming malformed fields the rules do not read."""
    bad: list[tuple[str, str]] = []
    kept: list[DataNote] = []
    for ref in _decisive_sources(evaluation, extraction, decisive):
        if ref not in extraction.resources or ref in skip:
            continue
        checked = validity(extraction.resources[ref])
        if checked.fatal is not None:
            bad.append((ref, checked.fatal))
        else:
            kept += _ignored_fields(ref, checked.ignored)
    return bad, kept


def _invalid_note(ref: str, error: str, extraction: Extraction) -> DataNote:
    """The note naming a decisive resource skipped as not valid FHIR: an IgG by its day (`igg-invalid`), so that a
    card asking for an IgG says one exists and could not be used, not only that "a lab result" could not."""
    igg = next((f for f in extraction.facts.igg if f.source == ref), None)
    if igg is not None:
        return DataNote("igg-invalid", ref, f"IgG result not valid FHIR R4, skipped ({error})", day=igg.date)
    return DataNote("invalid", ref, f"not valid FHIR R4, skipped ({error})")


def _ignored_fields(ref: str, fields: tuple[str, ...]) -> list[DataNote]:
    if not fields:
        return []
    return [DataNote("malformed-field", ref, f"malformed field(s) the rules do not read, ignored: {', '.join(fields)}",
                     ", ".join(fields[:3]))]


def _decisive_sources(evaluation: Evaluation, extraction: Extraction, decisive: frozenset[str]) -> list[str]:
    refs: list[str] = []
    if extraction.facts.patient is not None:
        refs.append(extraction.facts.patient.source)
    for step in evaluation.trace:
        if step.name in decisive:
            refs.extend(s for s in step.sources if s not in refs)
    for found in evaluation.advice:
        refs.extend(s for s in found.targets if s not in refs)
    return refs
