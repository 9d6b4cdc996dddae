"""Raw FHIR R4 resources to typed facts, cheaply.

Only resources whose codes are in a value set become facts; everything else is passed over
at the cost of one dictionary lookup per coding. The fields the rules use are read
defensively: a selected resource whose date, value or unit cannot be read is skipped and
becomes a `DataNote`, never a silent change of advice. A Condition, order or procedure
whose code is in no value set but whose text names something the rules care about (a drug,
a lymphoma) is named in the data notes too. Full model validation of the resources an
advice relies on is done afterwards (`validation.py`), so the cost does not grow with
resources nobody uses.

This module is the entry point and puts the facts together; each kind of resource is read in
a module of its own (`results`, `therapies`, `ig_courses`, `infections`; `drafts` reads the
order hooks' draft orders, `unread` names what none of them uses, `reading` holds what they
share: docs/design.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

import orjson

from cql_like_rules.facts import (
    DataNote,
    Facts,
    IgAdministration,
    IgByName,
    IgCourse,
    IgGOrderDraft,
    IgGPending,
    MProteinUnread,
    IgGSubclass,
    Patient,
    RecordText,
    TherapyOrderDraft,
    UndatedTherapy,
    UnrecognisedDiagnosis,
    UnrecognisedTherapy,
)
from cql_like_rules.orders import DraftOrder
from cql_like_rules.parameters import Parameters
from cql_like_rules.record_words import FLAG_NO, FLAG_YES
from cql_like_rules.catalogue import ALREADY_ON
from cql_like_rules.valuesets import IG_BY_NAME_CODING, IG_BY_NAME_PROCEDURE_CODING, Terminology

from ..errors import DataError
from .dates import PartialDate, to_local_date
from .reading import (
    BOUNDS_END, BOUNDS_START, DOSE_DAY, Fact, NoStartDate, Planned, Produced, RECORD_DAY, SLOTS,
    UNKNOWN_SYSTEM_RANK, WRONG_SYSTEM_THERAPIES, bounds_length, count_length, _cut, _first,
    _length, _list, _partial, _reference_display, do_not_perform, in_conflict, order_drug, referenced_medication,
)
from .unread import (
    CodeRead, _name_unknown_system, _not_read, _prohibition, _therapy_unknown_system, _wrong_system_code,
    ig_codes_disagree,
)
from .infections import Agent, _condition, _contaminant_sets, _encounter, _read_reports, _superseded_cultures, paired_agents
from .prefetch import ADMISSIONS_NOT_SENT
from .results import _observation, _timed, one_note_per_code
from .ig_courses import _doses_of_other_use, _once_beside_orders
from .therapies import (
    _car_t_infusions_not_given, _car_t_orders_not_given, _medication_administration, _medication_request,
    _medication_statement, _not_given_kept, _procedure,
)
from . import drafts
# names other modules and tests import from here, read elsewhere now
from .reading import closed_draft as closed_draft
from .reading import reference_of as reference_of
from .results import _igg_result as _igg_result
from .reading import PRODUCT_OF_ROUTE as PRODUCT_OF_ROUTE
from .results import m_protein_words as m_protein_words
from .results import quantity_of_text as quantity_of_text


# The slots an immunoglobulin record's fact goes to (a course, a dose, a course given for another reason).
IG_SLOTS = frozenset({"ig_courses", "ig_administrations", "ig_other_use"})


@dataclass
class Extraction:
    """The facts, plus the raw resources they came from (by reference)."""

    facts: Facts
    resources: dict[str, Mapping[str, Any]] = field(default_factory=dict)


def _sent(value: Any) -> Any:
    """A Patient field as sent, an empty or blank string read as not sent (an export's null)."""
    return None if isinstance(value, str) and not value.strip() else value


def _shown(value: Any) -> str:
    """A value as a note quotes it: text as written, anything else as JSON would show it, cut to 80 characters."""
    return (value.strip() if isinstance(value, str) else orjson.dumps(value, default=str).decode())[:80]


def _dose_line(timing: Mapping[str, Any]) -> bool:
    """A dosage line of planned dose days alone (`timing.event` and no repeat): a bispecific's step-up doses."""
    return bool(_list(timing.get("event"))) and not timing.get("repeat")


class FactBuilder:
    """Builds `Facts` for one patient from raw resources (one instance per request)."""

    def __init__(self, terminology: Terminology, tz: ZoneInfo, parameters: Parameters | None = None,
                 full_urls: Mapping[str, str] | None = None) -> None:
        self.t = terminology
        self.tz = tz
        self.parameters = parameters  # as given: a record known only by its name is read by a builder of its own
        # the request's entries by fullUrl (`PooledResources.full_urls`): a reference may be written as one
        self.full_urls: Mapping[str, str] = full_urls or {}
        # the rule-set parameters facts read: how an order's length in fractional months is counted
        self.month_days = (parameters or Parameters()).days_per_fractional_month
        # ... and whether records coded only in an unknown system that could date T0 are kept (`_therapy_unknown_system`)
        self.unknown_system_therapies = (parameters or Parameters()).unknown_system_therapy_card
        # ... and whether a nameless draft in such a system gets its card, or only a note (`_draft_unknown_system`)
        self.unknown_system_draft_card = (parameters or Parameters()).unknown_system_draft_card
        # ... and how many days apart two blood-culture sets of one likely contaminant make it a growth (`_separate_sets`)
        self.contaminant_sets_days = (parameters or Parameters()).contaminant_separate_sets_days
        # drafts named already: by their card (`order-not-recognised`, unknown-system) or, the card switched off, by
        # their own code-system-unknown note; the same draft sent in the chart too gets no second note
        self._drafts_named: set[str] = set()
        self._medications: dict[Any, Mapping[str, Any]] = {}
        self._conditions: dict[str, Mapping[str, Any]] = {}
        # the orders and records whose Medication was not sent, and those whose Medication has no code, name or
        # ingredient: each named (by source), not dropped in silence
        self._unresolved: dict[str, Mapping[str, Any]] = {}
        self._codeless: dict[str, Mapping[str, Any]] = {}
        self._ambiguous = 0  # orders whose Medication fullUrl names two resources (`full-url-conflict`)
        # record -> (it, its reference) whose link (reason, order, result) is a fullUrl naming two resources
        self._links_lost: dict[str, tuple[Mapping[str, Any], str]] = {}
        self._notes: list[DataNote] = []
        self._panel_parts: list[tuple[str, Fact]] = []  # a panel's results besides the one its handler returns
        self._igg_pending: list[IgGPending] = []  # IgG registered, not resulted yet (`_not_final`)
        self._igg_subclasses: list[IgGSubclass] = []  # IgG subclass results, only named (`results._not_used`)
        self._m_protein_unread: list[MProteinUnread] = []  # M-protein results not read (`results`)
        self._result_codes: dict[str, tuple[str, str]] = {}  # a result not used -> its code and name (`_not_used`)
        self._cultures_not_final: dict[str, frozenset[tuple[str, ...]]] = {}  # a note's source -> its sample's keys
        self._therapies: list[UnrecognisedTherapy] = []
        self._undated: list[UndatedTherapy] = []
        self._car_t_ordered: list[tuple[Mapping[str, Any], str, date | None]] = []
        # CAR-T infusions stopped with a reason read as none given: (record, product, day, reason)
        self._car_t_not_given: list[tuple[Mapping[str, Any], str, date | None, str]] = []
        # bispecific doses stopped with a reason read as none given, the same
        self._bsab_not_given: list[tuple[Mapping[str, Any], str, date | None, str]] = []
        self._diagnoses: list[UnrecognisedDiagnosis] = []
        self._infections_named: list[UnrecognisedDiagnosis] = []  # bacterial infections known only by their names
        self._statement_orders: dict[str, frozenset[str]] = {}  # Ig record -> the orders it says it is based on
        self._dose_orders: dict[str, str] = {}  # Ig dose -> the order it says it was given under (`request`)
        self._out_of_scope_days: set[date] = set()  # days an out-of-scope CAR-T product was given
        self._unknown_systems: dict[tuple[str, str], tuple[int, int]] = {}  # (type, system) -> (its note in _notes, count)
        self._end_unread_open = False  # an order end no reader can take a day from is no end, named (`_order_end`)
        self._ig_named: list[tuple[Mapping[str, Any], str]] = []  # Ig records known only by name, with that name
        self._agents: list[Agent] = []  # Conditions coded only with an infectious agent (`infections.paired_agents`)
        # the last record whose code `unread.code_read` read, with what it found: a result no value set holds is read
        # by `results._not_used`, then by `_name_unknown_system`, so each reading is done once
        self.code_read_last: tuple[Mapping[str, Any], CodeRead] | None = None

    def build(self, resources: Iterable[Mapping[str, Any]], notes: Iterable[DataNote] = (),
              igg_orders_drafted: tuple[IgGOrderDraft, ...] = (),
              therapies_drafted: tuple[TherapyOrderDraft, ...] = ()) -> Extraction:
        """The facts of the chart; on order hooks also the IgG lab orders drafted in the session
        (each made by `igg_order_drafted` from `context.draftOrders`, never from the chart) and the
        bsAb / CAR-T product orders judged in it (`therapies_drafted`)."""
        out: dict[str, list[Any]] = {k: [] for k in SLOTS}  # each slot's facts, of its field's type in Facts
        patient: Patient | None = None
        notes = list(notes)
        self._notes = [n for n in notes if n.kind != ADMISSIONS_NOT_SENT]
        # the stays could not be had: no note of its own (`prefetch.ADMISSIONS_KEY`), the rules name it where it matters
        admissions_not_sent = next((n.message for n in notes if n.kind == ADMISSIONS_NOT_SENT), "")
        self._therapies = []
        self._undated = []
        self._car_t_ordered = []
        self._car_t_not_given = []
        self._bsab_not_given = []
        self._diagnoses = []
        self._infections_named = []
        self._statement_orders = {}
        self._dose_orders = {}
        self._out_of_scope_days = set()
        self._unknown_systems = {}
        self._panel_parts = []
        self._igg_pending = []
        self._igg_subclasses = []
        self._m_protein_unread = []
        self._result_codes = {}
        self._cultures_not_final = {}
        self._links_lost = {}
        self._ig_named = []
        self._agents = []
        used: dict[str, Mapping[str, Any]] = {}
        resources = list(resources)
        self.know_medications(resources)
        handlers = HANDLERS
        reports: list[Mapping[str, Any]] = []  # DiagnosticReports: read once every Observation has been
        for resource in resources:
            kind = resource.get("resourceType")
            try:
                if kind == "Patient":
                    patient = self._patient(resource)
                    used[patient.source] = resource
                    continue
                if do_not_perform(resource):  # an order not to give it: named where the rules read its drug
                    _prohibition(self, resource)
                    continue
                handler = handlers.get(kind) if isinstance(kind, str) else None
                if handler is None:
                    _not_read(self, resource, reports)
                    continue
                produced = handler(self, resource)
            except DataError as exc:
                self._notes.append(DataNote("invalid", reference_of(resource), str(exc)))
                self._panel_parts = []
                continue
            parts, self._panel_parts = self._panel_parts, []
            if produced is None and not parts:
                _name_unknown_system(self, resource)
            for slot, fact in (*parts, *(() if produced is None else (produced,))):
                out[slot].append(fact)
                used[fact.source] = resource
            if produced is not None and produced[0] in IG_SLOTS:
                ig_codes_disagree(self, resource)  # IVIG coded beside anti-D: read as IVIG, and named
        _read_reports(self, reports, out, used)
        if self._agents:
            paired_agents(self, out, used)
        out["cultures"] = _contaminant_sets(self, out["cultures"], used)
        if self._cultures_not_final:
            _superseded_cultures(self, out["cultures"], used)
        if self._out_of_scope_days:
            # A CAR-T infusion coded with no product (SKS BOQX1, a SNOMED procedure) on a day an out-of-scope product
            # was given is that product's infusion (an EHR registers both): no index event either.
            kept = [f for f in out["car_t"] if f.product or f.date not in self._out_of_scope_days]
            for dropped in set(out["car_t"]) - set(kept):
                used.pop(dropped.source, None)
            out["car_t"] = kept
        if not self._out_of_scope_days and not any(u.looks_like == "car-t-product" for u in self._undated) \
                and not any(u.looks_like == "car-t-product" for u in self._therapies):
            if not out["car_t"]:
                _car_t_orders_not_given(self)  # an infusion known by its name only is one recorded: its own card asks
            # a record of no cells given is its own card up to the first infusion read, as on the days the EHR showed
            # it (the rules give it no card once an index event stands): a later infusion does not silence those days
            _car_t_infusions_not_given(self, min((f.date for f in out["car_t"]), default=None))
        if not any(u.looks_like == "bsab" for u in self._undated) \
                and not any(u.looks_like == "bsab" for u in self._therapies):
            # a bsAb record is there: its card asks about it, up to the first bispecific record read
            _not_given_kept(self, self._bsab_not_given, "bsab", min((f.start for f in out["bsab"]), default=None))
        if any(c.source.startswith("MedicationStatement/") for c in out["ig_courses"]):
            out["ig_courses"] = _once_beside_orders(self, out["ig_courses"], used)
        if out["ig_other_use"] and (self._dose_orders or self._statement_orders):
            _doses_of_other_use(self, out, used)
        if len(out["igg"]) > 1:
            out["igg"] = _timed(self, out["igg"], used)
        for source, record in self._unresolved.items():
            self._notes.append(DataNote("unresolved-medication", source, "refers to a Medication resource that was not "
                                        "sent; its drug could not be checked", day=self._day_of(record)))
        for source, record in self._codeless.items():
            self._notes.append(DataNote("medication-no-code", source, "refers to a Medication with no code, no name and "
                                        "no ingredient: its drug could not be checked", day=self._day_of(record)))
        for source, (record, ref) in self._links_lost.items():  # `reading._reference_to`
            self._notes.append(DataNote("reference-ambiguous", source, f"refers to {ref[:120]}, a fullUrl naming two "
                                        "resources of the request (full-url-conflict): that reference was not followed",
                                        day=self._day_of(record)))
        if self._ambiguous:  # a Medication sent, its fullUrl naming two resources: not "not sent"
            self._notes.append(DataNote("medication-reference-ambiguous", f"{self._ambiguous} medication order(s)",
                                        "name their Medication by a fullUrl the request gives two resources "
                                        "(full-url-conflict); their drug could not be checked"))
        for course in out["ig_courses"]:
            if course.status in ("stopped", "completed") and course.end is None:
                self._notes.append(DataNote("unknown-end", course.source, "ended, end date not recorded"))
        if len(self._unknown_systems) > 1:  # a diagnosis or drug in an unknown system is named before a lab result
            at = sorted(i for i, _ in self._unknown_systems.values())
            ranked = sorted((self._notes[i] for i in at), key=lambda n: UNKNOWN_SYSTEM_RANK.get(n.source.split("/")[0], 9))
            for i, note in zip(at, ranked):
                self._notes[i] = note
        read_by_name = [self._ig_by_name(r, shown) for r, shown in self._ig_named]
        by_name = tuple(found for found in read_by_name if isinstance(found, IgByName))
        self._notes += [found for found in read_by_name if isinstance(found, DataNote)]  # as a coded one's, dated so
        if any(n.day is not None for n in self._notes):
            self._notes = _month_as_written(self, self._notes, resources)
        if self._result_codes:
            self._notes = one_note_per_code(self._notes, self._result_codes)
        out["unrecognised_therapies"] = self._therapies
        out["undated_therapies"] = self._undated
        out["unrecognised_diagnoses"] = self._diagnoses
        out["infections_by_name"] = self._infections_named
        facts = Facts(patient=patient, notes=tuple(self._notes), igg_orders_drafted=igg_orders_drafted,
                      admissions_not_sent=admissions_not_sent,
                      therapies_drafted=therapies_drafted, igg_pending=tuple(self._igg_pending), ig_by_name=by_name,
                      igg_subclasses=tuple(self._igg_subclasses), m_protein_unread=tuple(self._m_protein_unread),
                      **{k: tuple(v) for k, v in out.items()})
        return Extraction(facts, used)

    def _ig_by_name(self, r: Mapping[str, Any], shown: str) -> IgByName | DataNote | None:
        """An immunoglobulin record known only by its name, read by its type's own reader as if coded (so by the same
        statuses, dates and course length as a coded one), on a builder of its own (`_reader`), so the reading leaves
        nothing in this one: it stays a record not used (`unrecognised-code`), which the rules name as one the patient
        may be on when it would be current or planned substitution. One a coded record would leave uncertain (status
        unknown, no usable date, a dose on hold: `catalogue.ALREADY_ON`) gets that reader's note, naming it by its
        words. None for one a coded record would not make a course and not name (cancelled, for ITP)."""
        coded = {k: v for k, v in r.items() if k != "medicationReference"}
        if r.get("resourceType") == "Procedure":  # a dose registered as a treatment, by the SKS code of one given
            coded["code"] = {"coding": [IG_BY_NAME_PROCEDURE_CODING], "text": shown}
        else:
            coded["medicationCodeableConcept"] = {"coding": [IG_BY_NAME_CODING], "text": shown}
        reader = self._reader()
        try:
            produced = HANDLERS[str(r.get("resourceType"))](reader, coded)
        except DataError:
            produced = None
        slot, fact = produced if produced is not None else ("", None)
        if slot == "ig_courses" and isinstance(fact, IgCourse):
            return IgByName(fact, RecordText(shown))
        if slot == "ig_administrations" and isinstance(fact, IgAdministration):
            return IgByName(IgCourse(fact.date, "completed", fact.source, fact.date, fact.product), RecordText(shown),
                            dose=True)
        source = reference_of(r)
        return next((replace(n, display=shown, record_words=True) for n in reader._notes
                     if n.kind in ALREADY_ON and n.source == source), None)

    def _reader(self) -> "FactBuilder":
        """A builder of this one's terminology, zone, parameters and request, knowing its Conditions (an Ig record's
        reason), with nothing read yet: what it reads leaves this one as it was."""
        reader = FactBuilder(self.t, self.tz, self.parameters, self.full_urls)
        reader._conditions = self._conditions
        return reader

    def has_index_event(self, resources: Iterable[Mapping[str, Any]]) -> bool:
        """Whether any resource gives a CAR-T infusion or bsAb exposure fact, as `build` would read it.

        Only the resource types those facts come from are read, up to the first such fact, so a
        chart out of scope costs a glance at its orders and procedures (the pipeline's shortcut).
        """
        resources = list(resources)
        self.know_medications(resources)
        self._therapies = []
        self._undated = []
        self._car_t_ordered = []
        self._car_t_not_given = []
        self._bsab_not_given = []
        for resource in resources:
            kind = resource.get("resourceType")
            handler = INDEX_HANDLERS.get(kind) if isinstance(kind, str) else None
            if handler is None:
                continue
            try:
                produced = handler(self, resource)
            except DataError:
                continue
            if produced is None:
                _therapy_unknown_system(self, resource)
                wrong = _wrong_system_code(self, resource) if not self._therapies else None
                if wrong is not None and wrong[2][1] in WRONG_SYSTEM_THERAPIES:  # as `_name_wrong_system` keeps it
                    _therapy_unknown_system(self, resource, (wrong[0][:40], wrong[1]), wrong[2][0])
            if (produced is not None and produced[0] in ("car_t", "bsab")) or self._therapies or self._undated \
                    or self._car_t_ordered or self._car_t_not_given or self._bsab_not_given:
                return True  # a therapy known only by its name, or undated, gets a card too: the rules must see it
        return False

    def know_medications(self, resources: Iterable[Mapping[str, Any]]) -> None:
        """Medication resources that orders may refer to (sent by `_include` or in a Bundle)."""
        resources = list(resources)
        self._medications = {r.get("id"): r for r in resources if r.get("resourceType") == "Medication"}
        # Conditions an immunoglobulin record may name as its reason (`reasonReference`, read as its `reasonCode`)
        self._conditions = {f"Condition/{r.get('id')}": r for r in resources if r.get("resourceType") == "Condition"}
        self._unresolved = {}
        self._codeless = {}
        self._ambiguous = 0
        self.code_read_last = None  # a medication's concept may be another now

    def as_written(self, notes: Iterable[DataNote], resources: Iterable[Mapping[str, Any]]) -> tuple[DataNote, ...]:
        """`notes` the rules made (an infection not counted, a bsAb order with no end), each naming a record dated by
        its month or year only by that date as written, as the reading's own notes do (`_month_as_written`)."""
        notes = list(notes)
        if not any(n.day is not None for n in notes):
            return tuple(notes)
        return tuple(_month_as_written(self, notes, list(resources)))

    def forget_unresolved(self) -> None:
        """Forget the Medications not found so far (the draft orders': each is named by a note of its own)."""
        self._unresolved = {}
        self._codeless = {}
        self._ambiguous = 0

    # -- helpers -------------------------------------------------------------------------
    def _date(self, value: Any, *, allow_partial: bool = False, field: str = "") -> date:
        """The day of a FHIR date; a date with no day (when not allowed) says the `field` it was read from."""
        try:
            return to_local_date(value, self.tz, allow_partial=allow_partial)
        except PartialDate as exc:
            exc.field = field
            raise

    def _medication(self, resource: Mapping[str, Any]) -> Any:
        """The medication CodeableConcept, following a reference to a contained or sent Medication (`order_drug`'s
        reading); a Medication not sent is counted for the note. The Medication is looked up once for an order whose
        drug is read, twice only for one whose drug is not (to tell a Medication not sent from one with no code)."""
        drug = order_drug(resource, self._medications, self.t.sets_of, self.full_urls)
        ref = _first(resource, "medicationReference.reference")
        sent = referenced_medication(resource, ref, self._medications, self.full_urls)[0] \
            if drug is None and isinstance(ref, str) else None
        if sent is not None and not _reference_display(resource):  # sent with nothing to name its drug by
            self._codeless[reference_of(resource)] = resource
        if drug is None and isinstance(ref, str) and not ref.startswith("#") and sent is None:
            if in_conflict(ref, self.full_urls):  # sent, but under a fullUrl naming two resources
                self._ambiguous += 1
            else:
                self._unresolved[reference_of(resource)] = resource  # not sent: named (a contained one is the order's own)
                if display := _reference_display(resource):  # named all the same: read by that name (§7), as a
                    return {"text": display}  # concept of text only is, so an Ig it names is one the patient may be on
        if drug is None and resource.get("medicationCodeableConcept") is None and not isinstance(ref, str):
            # a reference of its display alone ("Hizentra"): the drug is named, read by that name as above
            return {"text": display} if (display := _reference_display(resource)) else None
        return drug

    def medication_unread(self, resource: Mapping[str, Any]) -> tuple[str, bool] | None:
        """Why an order's drug cannot be read at all, and whether the reason is a Medication not sent (True)
        rather than a malformed order; None when it can be read (whether or not the rules know its code), or is
        named by its reference's display (read by that name, as a CodeableConcept with text only is)."""
        if resource.get("medicationCodeableConcept") is None and _reference_display(resource) \
                and not isinstance(order_drug(resource, self._medications, self.t.sets_of, self.full_urls), dict):
            return None
        concept = resource.get("medicationCodeableConcept")
        if concept is not None:
            return None if isinstance(concept, dict) else ("medicationCodeableConcept is not a CodeableConcept", False)
        reference = resource.get("medicationReference")
        if reference is None:
            return "it names no medication (medicationCodeableConcept or medicationReference)", False
        ref = _first(resource, "medicationReference.reference")
        if not isinstance(ref, str) or not ref.strip():
            return "its medicationReference has no reference", False
        shown = ref[:80]
        found, resolved = referenced_medication(resource, ref, self._medications, self.full_urls)
        if not resolved and in_conflict(ref, self.full_urls):  # which one it names is not known
            return f"its medicationReference {shown} is a fullUrl naming two resources of the request (two entries " \
                   "share it, or its entry holds another resource than it names)", False
        if not resolved:
            return f"its medicationReference {shown} is not a reference this service resolves ('#id', " \
                   "'Medication/id', or the fullUrl of a Medication sent in the request)", False
        if found is None:
            if ref.startswith("#"):
                return f"its medicationReference {shown} is not among its contained resources", False
            return f"its medicationReference {shown} was sent neither in context.draftOrders nor in prefetch", True
        if not isinstance(self._medication(resource), dict):
            return f"the Medication {shown} has no code", False
        return None

    def medication_not_sent(self, resource: Mapping[str, Any]) -> str | None:
        """The reference (as written) of the Medication an order names that was sent nowhere (not contained,
        not among the known Medications), which the service may fetch; None when nothing is missing."""
        unread = self.medication_unread(resource)
        if unread is None or not unread[1]:
            return None
        ref = _first(resource, "medicationReference.reference")
        return ref if isinstance(ref, str) else None

    def _day_written(self, resource: Mapping[str, Any], day: date) -> str:
        """The date of `resource` as written when it names no day ("2025-11") and `day` is its first day: the date
        `_day_of` reads (an order's planned start too), else ""."""
        when = _first(resource, *RECORD_DAY)
        starts = [_first(d, "timing.repeat.boundsPeriod.start") for d in _list(resource.get("dosageInstruction"))
                  if isinstance(d, dict)]
        for value in (when, *starts, resource.get("dateAsserted")):
            if _partial(value):
                try:
                    if to_local_date(value, self.tz, allow_partial=True) == day:
                        return str(value).strip()
                except DataError:
                    continue
        return ""

    def _day_of(self, resource: Mapping[str, Any]) -> date | None:
        """The day a resource is about (onset, order, dose or procedure date), for naming it; None when unreadable."""
        when = _first(resource, *RECORD_DAY)
        try:
            return self._date(when, allow_partial=True) if isinstance(when, str) else None
        except DataError:
            return None

    def _start_unread(self, resource: Mapping[str, Any]) -> str | None:
        """The order's start as written (a boundsPeriod.start, else authoredOn) when no reader can take a day from
        it ("18-11-2025", "2025-11-31"); None when the start reads."""
        starts = [_first(d, "timing.repeat.boundsPeriod.start") for d in _list(resource.get("dosageInstruction"))
                  if isinstance(d, dict)]
        written: list[Any] = [v for v in starts if isinstance(v, str) and v] or [resource.get("authoredOn")]
        for value in written:
            if not isinstance(value, str):
                continue
            try:
                to_local_date(value, self.tz, allow_partial=True)
            except DataError:
                return value.strip()
        return None

    def _dosage_period(self, resource: Mapping[str, Any]) -> Planned:
        """(start, end) from the dosage bounds: earliest start, latest end (None if any is open); the end is assumed
        only when no end that names its day falls on it."""
        starts: list[date] = []
        ends: list[tuple[date, bool]] = []
        open_ended = False
        for dosage in _list(resource.get("dosageInstruction")):
            period = _first(dosage, "timing.repeat.boundsPeriod") if isinstance(dosage, dict) else None
            if not isinstance(period, dict):
                continue
            if period.get("start"):
                starts.append(self._date(period["start"], field=BOUNDS_START))
            ending = self._order_end(resource, period["end"]) if period.get("end") else None
            if ending is not None:
                ends.append(ending)
            else:
                open_ended = True
        start = min(starts) if starts else None
        if start is None:
            if not resource.get("authoredOn"):
                raise NoStartDate("no start date (dosage boundsPeriod.start or authoredOn)")
            start = self._date(resource["authoredOn"], field="authoredOn")
        end = None if open_ended or not ends else max(day for day, _ in ends)
        if end is not None and end < start:
            raise DataError(f"end date {end} before start date {start}")
        return Planned(start, end, end is not None and all(assumed for day, assumed in ends if day == end))

    def _order_end(self, r: Mapping[str, Any], value: Any) -> tuple[date, bool] | None:
        """An order's (or a medication record's) end. One with no day ("2026-06", valid FHIR) is the last day it can mean, named in a
        note: the start is on record, and dropping the order would leave a patient on Ig told that Ig may start, or
        a bispecific's window unplaced (no card at all). The flag says the day was so assumed.

        One no reader can take a day from ("18-05-2026", "2026-13-01") is, where `_end_unread_open` is set (a bsAb or
        immunoglobulin order on the chart, a medication record, a draft order), no end (None: an active order runs
        open), named in an `end-unread` note: its start is read, and dropping the whole order for its end left a
        bispecific patient with no card at all, and a patient on IVIG told that Ig may be started."""
        if not _partial(value):
            try:
                return self._date(value, field=BOUNDS_END), False
            except PartialDate:
                raise
            except DataError:
                if not self._end_unread_open:
                    raise
                shown = str(value).strip()[:80]  # cut on the card with "…" (`DISPLAY_LIMIT`)
                self._notes.append(DataNote("end-unread", reference_of(r), f"planned end {shown!r} cannot be read as a "
                                            "day: read as having no end date", shown, record_words=True))
                return None
        day = to_local_date(value, self.tz, allow_partial=True, partial_as_last_day=True)
        self._notes.append(DataNote("date-partial", reference_of(r), f"planned end {value!r} names no day: read as "
                                    "its last day (the longest the order or record can run)", str(value), day,
                                    record_words=True))
        return day, True

    # -- per resource type: the reference is made only for the few resources that are used ----
    def _patient(self, r: Mapping[str, Any]) -> Patient:
        """The patient's birth and death. A birth date or date of death no reader can take a day from ("1950-02-30",
        "16-01-2026", a number, a list) is named and read as unknown, never a reason to drop the Patient: dropped, a
        readable date of death went with it and a deceased patient was told Ig may be started. A death with no
        readable day is a death (no advice); an empty one ("") is none, as an export writes a null."""
        birth = _sent(r.get("birthDate"))
        born = None
        if birth is not None:
            try:
                born = to_local_date(birth, self.tz, allow_partial=True, partial_as_last_day=True)
            except DataError:
                self._notes.append(DataNote("birth-date-unread", reference_of(r), f"birth date {birth!r} cannot be "
                                            "read as a day: age not known", _shown(birth), record_words=True))
                birth = None
        first = to_local_date(birth, self.tz, allow_partial=True) if born is not None and _partial(birth) else None
        if born is not None and _partial(birth):  # the age at T0 (the child rule) may be a year off: say so
            self._notes.append(DataNote("date-partial", reference_of(r), f"birth date {birth!r} names no day: read as "
                                        "its last day (the youngest the patient can be)", str(birth), born,
                                        record_words=True))
        deceased, died = self._deceased_flag(r), None
        death = _sent(r.get("deceasedDateTime"))
        if death is not None and death is not False:
            deceased = True
            try:
                died = self._date(death, allow_partial=True)
            except DataError:
                self._notes.append(DataNote("death-date-unread", reference_of(r), f"date of death {death!r} cannot "
                                            "be read as a day: read as deceased", _shown(death), record_words=True))
        identifiers = tuple((i["system"], i["value"]) for i in _list(r.get("identifier"))
                            if isinstance(i, dict) and isinstance(i.get("system"), str) and isinstance(i.get("value"), str))
        return Patient(reference_of(r), born, deceased, died, identifiers, first)

    def _deceased_flag(self, r: Mapping[str, Any]) -> bool:
        """`deceasedBoolean`, also as an export may write it ("true", "yes", 1: read as deceased and named); a value
        that says neither yes nor no is named and read as alive (the record is to be checked)."""
        flag = _sent(r.get("deceasedBoolean"))
        if flag is None or isinstance(flag, bool):
            return flag is True
        said = str(flag).strip().lower()
        if said in FLAG_NO:
            return False
        if said in FLAG_YES:
            self._notes.append(DataNote("deceased-flag-true", reference_of(r), f"deceasedBoolean {flag!r} is no true "
                                        "or false: read as deceased", _shown(flag), record_words=True))
            return True
        self._notes.append(DataNote("deceased-flag-unread", reference_of(r), f"deceasedBoolean {flag!r} is no true or "
                                    "false: read as alive", _shown(flag), record_words=True))
        return False

    # -- draft orders (order-select / order-sign): read in `drafts` --------------------------
    def draft_order(self, r: Mapping[str, Any]) -> DraftOrder | None:
        """The draft order's kind and planned dates, or None when the guideline has nothing to say."""
        return drafts.draft_order(self, r)

    @staticmethod
    def therapies_drafted(orders: Iterable[DraftOrder]) -> tuple[TherapyOrderDraft, ...]:
        """The bsAb and CAR-T product orders among the draft orders judged (as `draft_order` read them)."""
        return drafts.therapies_drafted(orders)

    def igg_order_drafted(self, r: Mapping[str, Any]) -> IgGOrderDraft | None:
        """A draft lab order for total serum/plasma IgG, with the day it is planned for; None for anything else."""
        return drafts.igg_order_drafted(self, r)

    # -- orders, drafted or on the chart: planned period and length ------------------------
    def _planned_period(self, r: Mapping[str, Any]) -> Planned:
        """An order's planned (start, end), a draft's or one on the chart: the dosage's boundsPeriod as
        `_dosage_period` reads it, and what EHRs
        send instead of one: `timing.event` (the planned doses: the first is the start, and without a `repeat`
        the last is the end) and `repeat.boundsDuration` / `boundsRange` (a length from the start, the longest). Only
        a boundsPeriod end that names no day is an assumed end: one of dose days or a length is the one planned."""
        dosages = [d for d in _list(r.get("dosageInstruction")) if isinstance(d, dict)]
        timings = [t for t in (d.get("timing") for d in dosages) if isinstance(t, dict)]
        bounded = any(isinstance(_first(t, "repeat.boundsPeriod.start"), str) for t in timings)
        # dose days date the order only when no boundsPeriod start does, and are read only then: a dose day that
        # names no day ("2025-09") must not drop an order its boundsPeriod dates
        events = [] if bounded else sorted(self._date(e, field=DOSE_DAY) for t in timings for e in _list(t.get("event"))
                                           if isinstance(e, str))
        try:
            start, end, assumed = self._dosage_period(r)  # boundsPeriod, else authoredOn
        except NoStartDate:
            if not events:
                raise
            start, end, assumed = events[0], None, False
        except PartialDate as exc:  # authoredOn with no day ("2025-10"): the dose days date the order, when it has them
            if not events or exc.field != "authoredOn":
                raise
            start, end, assumed = events[0], None, False
        # planned doses on a line of their own beside lines a boundsPeriod dates (a bispecific's step-up doses), one
        # naming no day passed over; an order of dose days alone is dated by them above (`events`)
        stepped = [] if events else [day for t in timings if _dose_line(t)
                                     for day in map(self._dose_day, _list(t.get("event"))) if day]
        if events:  # read only when no boundsPeriod start dates the order
            start = events[0]
            if end is None and not any(isinstance(t.get("repeat"), dict) for t in timings):
                end = events[-1]
        elif stepped:  # they come first: the order starts with the first of them
            start = min([start, *stepped])
        # Each dosage line ends by its boundsPeriod end, its length (boundsDuration, boundsRange) or dose count from the
        # order's start, or its last planned dose day; the order ends with the latest. A line with nothing that ends it
        # runs on, and so does the order: a loading dose of a length (4 hours, 2 days) or dated with its own end beside
        # such a maintenance line does not end it. A timing that says nothing (no repeat, dose days or code) is no line.
        lines = [t for t in timings if t.get("repeat") or _list(t.get("event")) or t.get("code")]
        by_length = [bounds_length(t, self.t.duration_units, self.month_days) for t in lines]
        counted = [count_length(t, self.t.duration_units, self.month_days) for t in lines]
        open_line = any(n is None and k is None and not isinstance(_first(t, "repeat.boundsPeriod.end"), str)
                        and not _list(t.get("event")) for t, n, k in zip(lines, by_length, counted))
        if open_line:
            end, assumed = None, False
        else:  # an order of dose days alone took its last one above
            ends = [start + n for n in (*by_length, *counted) if n is not None] + stepped  # their last dose too
            if ends and (end is None or max(ends) > end):
                end, assumed = max(ends), False
        if end is not None and end < start:
            raise DataError(f"end date {end} before start date {start}")
        return Planned(start, end, assumed and end is not None)

    def _dose_day(self, value: Any) -> date | None:
        """A planned dose's day (`timing.event`), None for one that names no day or cannot be read."""
        if not isinstance(value, str):
            return None
        try:
            return self._date(value, field=DOSE_DAY)
        except DataError:
            return None

    def _written(self, r: Mapping[str, Any]) -> date | None:
        """The day a medication record (dateAsserted) or an order (authoredOn) was written, None for any other record
        or a date no day can be read from: before that day the record was not there to read (clinical rules §5)."""
        field = {"MedicationStatement": "dateAsserted", "MedicationRequest": "authoredOn"}.get(str(r.get("resourceType")))
        return self._day_in(r, field) if field else None

    def _authored(self, r: Mapping[str, Any]) -> date | None:
        """The day an order was written (authoredOn; a month with no day its first), or None: one that cannot be read
        is not the order's start when its dosage gives one, and must not drop an order the patient may be on (its
        validation names it as a field not read)."""
        return self._day_in(r, "authoredOn")

    def _day_in(self, r: Mapping[str, Any], field: str) -> date | None:
        """The day of one date element (a month with no day its first), None when absent or no day can be read."""
        try:
            return self._date(r[field], allow_partial=True) if isinstance(r.get(field), str) else None
        except DataError:
            return None

    def _open_if_end_unread(self, r: Mapping[str, Any],
                            read: Callable[[Mapping[str, Any]], Planned] | None = None) -> Planned:
        """`_planned_period` (or `read`), an end no reader can take a day from read as no end and named
        (`_order_end`)."""
        self._end_unread_open = True
        try:
            return (read or self._planned_period)(r)
        finally:
            self._end_unread_open = False


    def _length_unread(self, r: Mapping[str, Any]) -> str:
        """A draft's length (boundsDuration, boundsRange.high) that cannot be read ("10 mdr."), as written, when it
        is all the end the draft has: "" otherwise. A suggested end date must not replace a length nobody read
        (it could lengthen the course the clinician ordered)."""
        timings = [t for t in (d.get("timing") for d in _list(r.get("dosageInstruction")) if isinstance(d, dict))
                   if isinstance(t, dict)]
        given = [q for t in timings for q in (_first(t, "repeat.boundsDuration"), _first(t, "repeat.boundsRange.high"))
                 if isinstance(q, dict)]
        if not given or any(_length(q, self.t.duration_units, self.month_days) is not None for q in given):
            return ""
        q = given[0]
        return _cut(f"{q.get('value')} {q.get('unit') or q.get('code') or ''}".strip(), 40)





# resourceType -> handler(builder, resource) -> (fact slot, fact) or None: each kind's reader in its own module.
# Plain functions, not bound methods kept on a builder, which would make it a reference cycle, freed only by the GC.
Handler = Callable[[FactBuilder, Mapping[str, Any]], Produced]
HANDLERS: dict[str, Handler] = {"Observation": _observation, "Procedure": _procedure,
            "MedicationAdministration": _medication_administration,
            "MedicationRequest": _medication_request, "Condition": _condition, "Encounter": _encounter}
# The handlers whose facts can be an index event (CAR-T infusion, bsAb exposure): `has_index_event`.
INDEX_HANDLERS = {kind: HANDLERS[kind] for kind in ("Procedure", "MedicationAdministration", "MedicationRequest")}
INDEX_HANDLERS["MedicationStatement"] = HANDLERS["MedicationStatement"] = _medication_statement


# Notes about how a date with no day was read: they name the day it was read as, on purpose
_READING_NOTES = frozenset({"date-partial"})


def _month_as_written(b: FactBuilder, notes: list[DataNote], resources: list[Mapping[str, Any]]) -> list[DataNote]:
    """The notes naming a record dated by its month or year only ("2025-11") carry that date as written
    (`DataNote.written`): their `day` is its first day, a day the record does not give, which a card, the page or the
    worklist must not show as the day."""
    # a date with no day is read as its first day (`_day_written` matches no other): a note dated any other day names
    # a day its record gives, and is passed over without reading the record's dates again
    about = {n.source for n in notes if n.day is not None and n.day.day == 1 and not n.written
             and n.kind not in _READING_NOTES}
    if not about:
        return notes
    by_ref = {ref: r for r in resources if (ref := reference_of(r)) in about}
    out = []
    for note in notes:
        resource = by_ref.get(note.source)
        if resource is not None and note.day is not None and note.day.day == 1 and not note.written \
                and note.kind not in _READING_NOTES:
            written = b._day_written(resource, note.day)
            if written:
                note = replace(note, written=written)
        out.append(note)
    return out
