"""What reading every kind of resource shares: statuses, codings, texts, references, copies.

A helper lives here when more than one kind of resource is read with it; one kind's own reading
lives in that kind's module (`results`, `therapies`, `ig_courses`, `infections`), so a change of
how one kind is read never reaches into another's file.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Callable, Mapping, NamedTuple, Union, get_args

from dateutil.relativedelta import relativedelta

from cql_like_rules.facts import (
    Admission,
    BsAbExposure,
    CarTInfusion,
    CourseStatus,
    Culture,
    Diagnosis,
    IgAdministration,
    IgCourse,
    IgGResult,
    Immunofixation,
    Infection,
    MProteinResult,
    RecordText,
)
from cql_like_rules.parameters import Parameters
from cql_like_rules.record_words import (
    says_not_given,
)
from cql_like_rules.valuesets import duration_key

from ..errors import DataError
from .culture_text import names_a_comment
from .dates import local_day
from .entries import full_url_key

if TYPE_CHECKING:
    from .facts import FactBuilder


RESULT_STATUSES = {"final", "amended", "corrected"}
# A result's statuses that say it is on its way (a report `partial`), or that its source cannot place: not used, but
# named where the result could change the advice (`_not_final`).
# a result withdrawn by its laboratory: no result, not read and not named (clinical-logic.md)
WITHDRAWN_STATUSES = frozenset({"cancelled", "entered-in-error"})
NOT_FINAL_STATUSES = frozenset({"registered", "preliminary", "partial", "unknown"})

BSAB_ORDER_STATUSES = {"active", "on-hold", "completed", "stopped"}
# The statuses of an immunoglobulin order the rules read, each as the course status it is (every CourseStatus).
IG_ORDER_STATUSES: dict[str, CourseStatus] = {status: status for status in get_args(CourseStatus)}

IGG_DRAFT_STATUSES = {"draft", "active"}  # a lab order being written in the session (EHRs send either on order-sign)
# An order in `context.draftOrders` with one of these statuses is not being ordered (withdrawn, written in error, or
# discontinued in the session): it is not judged, so no card treats it as a start and no suggestion lengthens it.
CLOSED_DRAFT_STATUSES = frozenset({"cancelled", "entered-in-error", "stopped", "completed", "revoked"})


def closed_draft(resource: Mapping[str, Any]) -> bool:
    """An order in `context.draftOrders` that is not being ordered (`CLOSED_DRAFT_STATUSES`), or that orders the drug
    not to be given (`do_not_perform`); a status that is not a string (malformed) is not one: the order is judged, and
    its validation says what is wrong."""
    status = resource.get("status")
    return isinstance(status, str) and status in CLOSED_DRAFT_STATUSES or do_not_perform(resource)


def do_not_perform(resource: Mapping[str, Any]) -> bool:
    """A request that it NOT be done (FHIR `doNotPerform` on a request: "do not give teclistamab"): a prohibition,
    never an order of the drug, a course or a T0. Only requests carry the element; elsewhere it means nothing."""
    return resource.get("doNotPerform") is True and resource.get("resourceType") in REQUEST_TYPES


# The FHIR R4 resources that carry `doNotPerform` (requests).
REQUEST_TYPES = frozenset({"MedicationRequest", "ServiceRequest", "DeviceRequest", "CommunicationRequest"})


# A CAR-T infusion's administration under which cells were given: completed, under way, or stopped (FHIR: halted
# after at least some of it was done, so cells were infused and their immune effects follow: the high-risk window
# opens that day; docs/clinical-logic.md). A stopped one is named in a data note. A Procedure counts completed or
# stopped; one still in progress does not (clinical rules §5: the completed procedure).
CAR_T_GIVEN_STATUSES = frozenset({"completed", "in-progress", "stopped"})
CAR_T_PROCEDURE_STATUSES = frozenset({"completed", "stopped"})
# A CAR-T infusion or bispecific dose recorded on hold (FHIR: halted for now; a dose held is sent so) or of status unknown:
# not known to be given, so no T0; named, and the card asks whether it was given where no other is read
NOT_KNOWN_GIVEN = frozenset({"on-hold", "unknown"})
EXCLUDED_VERIFICATION = {"refuted", "entered-in-error"}  # read through `withdrawn_by_verification`
# A diagnosis' clinical statuses (FHIR condition-clinical) that say it no longer holds; any other, or none, is current.
ENDED_CONDITION = frozenset({"inactive", "remission", "resolved"})
# The records whose code could matter to the rules when it cannot be read at all (docs/clinical-logic.md, "Codes in a
# system the rules do not know"): a diagnosis, a lab result or report, a procedure, a drug; with the element read.
# In the order their notes are named on a card (a diagnosis or drug before a lab result).
CODE_READ_ON = {"Condition": "code", "MedicationAdministration": "medication", "MedicationRequest": "medication",
                "MedicationStatement": "medication", "Procedure": "code", "DiagnosticReport": "code",
                "Observation": "code"}
UNKNOWN_SYSTEM_RANK = {kind: i for i, kind in enumerate(CODE_READ_ON)}
# The value sets a drug is read by: a medication record coded only in systems none of them uses is not read.
DRUG_VALUESETS = ("immunoglobulin-substitution", "bispecific-b-pc", "car-t-product")

# ... of which those that name an index therapy: such a record is kept for the therapy card (`_name_wrong_system`)
WRONG_SYSTEM_THERAPIES = frozenset({"car-t-procedure", "car-t-product", "bispecific-b-pc"})
# Observation categories that are no lab result (vital signs, a questionnaire ...): their codes never matter here.
LAB_CATEGORIES = frozenset({"laboratory"})

PRODUCT_OF_ROUTE = {"iv": "IVIG", "sc": "SCIG"}

SLOTS = ("igg", "m_protein", "immunofixation", "car_t", "bsab", "ig_courses", "ig_administrations", "ig_other_use",
         "infections", "unconfirmed_infections", "admissions",
         "cultures", "diagnoses", "unrecognised_therapies", "undated_therapies", "unrecognised_diagnoses",
         "infections_by_name")

# MedicationRequest.intent values that make no order (FHIR R4: a proposal, a plan, an option of a protocol): nothing
# says the drug was ordered, let alone given. An immunoglobulin one is a course planned, as a medication record
# `intended` is; a bispecific one dates no T0, and one known only by its name gets no card (docs/clinical-logic.md).
PLAN_INTENTS = frozenset({"proposal", "plan", "option"})

THERAPY_STATUSES = {"MedicationRequest": BSAB_ORDER_STATUSES, "MedicationAdministration": CAR_T_GIVEN_STATUSES,
                    "Procedure": CAR_T_PROCEDURE_STATUSES}
# What each resource type can date, as for a recognised code: an order never dates a CAR-T infusion (it is
# ordered weeks ahead, and orders get cancelled); a procedure dates a CAR-T infusion, or a bsAb dose registered
# as a treatment (SKS BOHJ19K1), as an administration does.
THERAPY_KINDS = {"MedicationRequest": {"bsab"}, "MedicationAdministration": {"bsab", "car-t-product"},
                 "Procedure": {"bsab", "car-t-product"}}

# A fact `build` files under a slot of `Facts` (SLOTS), and what a handler gives: (slot, fact) or nothing.
Fact = Union[IgGResult, MProteinResult, Immunofixation, CarTInfusion, BsAbExposure, IgCourse, IgAdministration,
             Infection, Culture, Diagnosis, Admission]
Produced = Union[tuple[str, Fact], None]


def reference_of(resource: Mapping[str, Any]) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


def _codings(concept: Any) -> list[Mapping[str, Any]]:
    if not isinstance(concept, dict):
        return []
    codings = concept.get("coding")
    return [c for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []


def sample_keys(r: Mapping[str, Any], full_urls: Mapping[str, str]) -> frozenset[tuple[str, ...]]:
    """What names a laboratory result's sample, so that a preliminary and the final result of one sample are told to be
    one: its specimen reference(s), its identifiers with their system (an accession number; a value with no system
    does not say whose number it is), and its code with its collection time (a time of day, not a date alone: two
    samples of one day are two; one instant however its zone is written). `same_sample` compares them."""
    keys: set[tuple[str, ...]] = set()
    for specimen in _list(r.get("specimen")) if isinstance(r.get("specimen"), list) else [r.get("specimen")]:
        ref = specimen.get("reference") if isinstance(specimen, dict) else None
        if isinstance(ref, str) and ref:  # one Specimen however it is named: 'Specimen/s1' or its entry's fullUrl
            keys.add(("specimen", "", ref if in_conflict(ref, full_urls) else resolved(ref, full_urls)))
    for identifier in _list(r.get("identifier")):
        value = identifier.get("value") if isinstance(identifier, dict) else None
        system = _str(identifier.get("system")) if isinstance(identifier, dict) else None
        if isinstance(value, str) and value.strip() and system:
            keys.add(("identifier", system, value.strip()))
    when = r.get("effectiveDateTime")
    if when is None and isinstance(r.get("effectivePeriod"), dict):
        when = r["effectivePeriod"].get("start")
    codes = r.get("code", {}).get("coding") if isinstance(r.get("code"), dict) else None
    if isinstance(when, str) and len(when) > 10:
        try:
            instant = datetime.fromisoformat(when)
            if instant.tzinfo is not None:
                when = instant.astimezone(timezone.utc).isoformat()
        except ValueError:
            pass
        for coding in _list(codes):
            if isinstance(coding, dict) and isinstance(coding.get("code"), str):
                keys.add(("code-time", f"{_str(coding.get('system')) or ''}|{coding['code']}", when))
    return frozenset(keys)


def same_sample(one: frozenset[tuple[str, ...]], other: frozenset[tuple[str, ...]]) -> bool:
    """Whether two results' `sample_keys` name one sample. The strongest kind both carry decides, in turn: the specimen
    reference, then an identifier of a system both carry, then the collection time of a code both carry; where both
    carry it and it differs, they are two samples, whatever a weaker kind says (two blood culture sets drawn at the
    same time from two sites share a code and a time, not a specimen)."""
    for kind in ("specimen", "identifier", "code-time"):
        mine = {(k[1], k[2]) for k in one if k[0] == kind}
        theirs = {(k[1], k[2]) for k in other if k[0] == kind}
        shared = {group for group, _ in mine} & {group for group, _ in theirs}
        if shared:
            return all({v for g, v in mine if g == group} & {v for g, v in theirs if g == group} for group in shared)
    return False


def _list(value: Any) -> list[Any]:
    """A JSON array, or nothing: malformed input must never crash the service."""
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _concept_text(concept: Any) -> str:
    """A concept's human text: its text, else its first display ("" when none), marked as the record's words."""
    if not isinstance(concept, dict):
        return ""
    if isinstance(concept.get("text"), str) and concept["text"].strip():
        return RecordText(concept["text"])
    for coding in _codings(concept):
        if isinstance(coding.get("display"), str) and coding["display"]:
            return RecordText(coding["display"])
    return ""


def _component_texts(r: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(value text, code) of each component of a result whose value is a text or a concept with a text or display
    ("Mikroorganisme": "Staphylococcus aureus", "Vækst"); a number or a period is no culture's text, and a component
    named a comment ("Kommentar", "Comment") is no finding."""
    found = []
    for c in _list(r.get("component")):
        if isinstance(c, dict) and not names_a_comment(_texts(c.get("code"))):
            value = _texts(c.get("valueString"), c.get("valueCodeableConcept"))
            if value.strip():
                found.append((value, c.get("code")))
    return found


def _first_code(concept: Any) -> str:
    """A concept's first code ("DJ189"), for naming a coded entry that carries no text or display."""
    return next((str(c["code"])[:20] for c in _codings(concept) if isinstance(c.get("code"), str) and c["code"].strip()), "")


def _texts(*concepts: Any) -> str:
    """Every text and display of some concepts, joined (for isotype and result words)."""
    parts: list[str] = []
    for concept in concepts:
        if isinstance(concept, str):
            parts.append(concept)
        elif isinstance(concept, dict):
            if isinstance(concept.get("text"), str):
                parts.append(concept["text"])
            parts += [c["display"] for c in _codings(concept) if isinstance(c.get("display"), str)]
    return " ".join(parts)


# A Period with only its end is still dated: a sample, an infusion or a dose whose start was not recorded
# happened by its end (for a sample or an infusion, the same day). The start comes first when both are there.
PERIOD_EFFECTIVE = ("effectivePeriod.start", "effectivePeriod.end")
PERIOD_PERFORMED = ("performedPeriod.start", "performedPeriod.end")

# The dates a record names of itself: one list, read two ways.
# - The day a record is about, which a data note names (`FactBuilder._day_of`, and `_day_written` for the date as
#   written): the first of `RECORD_DAY` sent, so the order counts. A period's end dates a record that gives no start.
RECORD_DAY = ("onsetDateTime", "onsetPeriod.start", "onsetPeriod.end", "recordedDate", "effectiveDateTime",
              *PERIOD_EFFECTIVE, "performedDateTime", *PERIOD_PERFORMED, "authoredOn")
# - Whether a record had happened or been written by a day (`unread.dated_after`): every one of `RECORD_DATES` is
#   read, and one on or before the day is enough. They differ on purpose: a period's end is left out (an onset or a
#   course ending after the day may have begun before it, so it does not put the record after the day), and when a
#   result was issued, a lab order planned for or a medication record asserted is in (each says the record existed
#   then), though none of them is the day the record is about.
RECORD_DATES = (*(path for path in RECORD_DAY if not path.endswith(".end")), "issued", "occurrenceDateTime",
                "dateAsserted")
# - The day a copy sent beside another copy of the record is named by (`prefetch._day_of_copy`): the first of
#   `RECORD_DAY`, so it is the day the record's other notes name, else the day a lab order was planned for or a
#   medication record asserted (an active one dated by nothing else is read as taken from that day, and named so).
COPY_DAY = (*RECORD_DAY, "occurrenceDateTime", "dateAsserted")

# A course bounded in hours or minutes (one infusion) ends on the day it starts, or days later. The words naming a
# length's unit ("d", "uger", "måneder") are data: valuesets/duration-units.json, which a site extends.
_HOURS_PER = {"hours": 1, "minutes": 1 / 60}


def _length(quantity: Any, units: Mapping[str, str],
            month_days: float = Parameters.days_per_fractional_month) -> relativedelta | None:
    """A Duration (boundsDuration, boundsRange.high) as a calendar length; None for anything unreadable. `units`:
    a unit word (lower case) -> its unit (`Terminology.duration_units`).

    Hours, minutes, days and weeks to the nearest day; months (and years, as 12 months each) as whole calendar months plus the
    fraction as `month_days` per month, to the nearest day (1.5 mo: a month and 15 days; it was cut to 1 month).
    """
    if not isinstance(quantity, dict) or not isinstance(quantity.get("value"), (int, float)) \
            or isinstance(quantity.get("value"), bool) or not 0 < quantity["value"] < 10_000:
        return None
    unit = units.get(duration_key(str(quantity.get("code") or quantity.get("unit") or "")))
    if unit is None:
        return None
    value = quantity["value"]
    if unit in _HOURS_PER:  # to the nearest day: 4 h is the day it starts, 36 h two days on
        return relativedelta(days=round(value * _HOURS_PER[unit] / 24))
    if unit in ("days", "weeks"):
        return relativedelta(days=round(value * 7 if unit == "weeks" else value))
    months = Fraction(str(value)) * (12 if unit == "years" else 1)  # exact: 0.1 a is 1.2 months, not 1.2000000000000002
    whole = int(months)
    return relativedelta(months=whole, days=round(float(months - whole) * month_days))


def bounds_length(timing: Mapping[str, Any], units: Mapping[str, str], month_days: float) -> relativedelta | None:
    """A timing's length: its boundsDuration, else its boundsRange.high (a length of 0 days, hours on the day it
    starts, is a length: not falsy here)."""
    length = _length(_first(timing, "repeat.boundsDuration"), units, month_days)
    return length if length is not None else _length(_first(timing, "repeat.boundsRange.high"), units, month_days)


def count_length(timing: Mapping[str, Any], units: Mapping[str, str], month_days: float) -> relativedelta | None:
    """A timing's length from its dose count: `repeat.count` (`countMax` when given: the most doses planned) doses,
    `frequency` per `period` (`periodMax` when given: the longest spacing) `periodUnit`, spread evenly, so the last
    dose falls (count - 1) / frequency periods after the first ("3 doses every 4 weeks": 8 weeks; "4 doses, twice a
    week": 10 days, not the 7 of the last week's start, which would end the order before its last dose). One dose
    is the day it starts. None when there is no count, or no spacing to place the doses by."""
    repeat = timing.get("repeat")
    if not isinstance(repeat, dict):
        return None
    counts = [n for n in (repeat.get("count"), repeat.get("countMax"))
              if isinstance(n, int) and not isinstance(n, bool) and 0 < n < 10_000]
    if not counts:
        return None
    frequency = repeat.get("frequency", 1)
    if not isinstance(frequency, int) or isinstance(frequency, bool) or frequency < 1:
        return None
    if max(counts) == 1:
        return relativedelta()
    period = repeat.get("period")
    if not isinstance(period, (int, float)) or isinstance(period, bool) or period <= 0:
        return None
    longest = repeat.get("periodMax")  # "every 3 to 4 weeks": the last dose may come as late as the longest spacing
    if isinstance(longest, (int, float)) and not isinstance(longest, bool) and longest > period:
        period = longest
    return _length({"value": period * (max(counts) - 1) / frequency, "code": repeat.get("periodUnit")}, units,
                   month_days)


def _unversioned(reference: str) -> str:
    """A reference without its version ("Medication/m1/_history/2" -> "Medication/m1")."""
    return reference.split("/_history/", 1)[0]


class Planned(NamedTuple):
    """An order's (or record's) planned days: `end_assumed` when the end read is the last day of a date that names
    no day ("2026-05" as 2026-05-31), said by the reader of that date, not guessed from the notes it left."""

    start: date
    end: date | None
    end_assumed: bool = False


class NoStartDate(DataError):
    """An order with no start date at all (no dosage period start, no authoredOn): a draft not dated yet."""


# The elements an order's start is read from (`_planned_period`: the earliest boundsPeriod start, or a line of planned
# doses alone before it; else the earliest planned dose; else authoredOn): a date with no day in one of them is a start
# with no day, not an end with none.
BOUNDS_START, BOUNDS_END = "dosageInstruction.timing.repeat.boundsPeriod.start", "dosageInstruction.timing.repeat.boundsPeriod.end"
DOSE_DAY = "dosageInstruction.timing.event"


def _partial(value: Any) -> bool:
    """A FHIR date with no day ("2026", "2026-03"), which a rule reading it as a day must name."""
    return isinstance(value, str) and len(value) in (4, 7) and value[:4].isdigit()


def _cut(text: str, limit: int) -> str:
    """`text` as sent, at most `limit` characters, its cut marked ("…"): a note quoting it shows where it was cut, not
    a text that seems whole ("3 måneder [klik](javasc")."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# `PooledResources.full_urls`' value for a fullUrl naming two resources (two entries share it, or its tail names another
# resource than its entry holds: `full-url-conflict`). Read only through `in_conflict`.
CONFLICT = ""


def in_conflict(ref: str, full_urls: Mapping[str, str]) -> bool:
    """Whether `ref` is a fullUrl of the request naming two resources (`CONFLICT`): which one it means is not known, so
    a reference written as it is followed to neither (never a guess) and named on the card. A `urn:uuid:` in any
    letter case (`entries.full_url_key`)."""
    return bool(full_urls) and full_urls.get(full_url_key(ref)) == CONFLICT


def resolved(ref: str, full_urls: Mapping[str, str]) -> str:
    """A reference as the resource it names: the fullUrl of an entry of the request (`urn:uuid:...`, or the absolute
    URL a Bundle gives its entry; `full_urls`, `PooledResources.full_urls`) as that entry's 'Type/id', one two entries
    claim, or whose tail names another resource than its entry holds, as '' (it names neither: `in_conflict`),
    any other as written. Every reference the facts follow from
    one resource to another is read through it, so a transaction Bundle's references find what they name. A
    `urn:uuid:` is found in any letter case (`entries.full_url_key`); any other reference only as written."""
    return full_urls.get(full_url_key(ref), ref) if full_urls else ref


def referenced_medication(order: Mapping[str, Any], ref: str, medications: Mapping[Any, Mapping[str, Any]],
                          full_urls: Mapping[str, str]) -> tuple[Mapping[str, Any] | None, bool]:
    """The Medication an order's reference names, contained ('#id') or sent ('Medication/id', also versioned or as a
    full URL, or the fullUrl of its entry: `resolved`; `medications` by id), None when it is not there; and whether
    the reference is one this service resolves (a urn:uuid no entry of the request carries is not). The one reading
    of it: the facts and every note naming the drug agree on which Medication an order means."""
    if ref.startswith("#"):
        return next((c for c in _list(order.get("contained")) if isinstance(c, dict) and c.get("id") == ref[1:]),
                    None), True
    head, _, mid = _unversioned(resolved(ref, full_urls)).rpartition("/")
    if not head.endswith("Medication"):
        return None, False
    return medications.get(mid), True


def medication_code(medication: Mapping[str, Any], known: Callable[[Any], object],
                    resolve: Callable[[str], Mapping[str, Any] | None] | None = None) -> Any:
    """A Medication's code; when that is in no value set (`known` false: a product number, varenummer), its code
    together with the codes of its ingredients (`ingredient.itemCodeableConcept`: ATC J06BA02, the bsAb's INN code;
    or the code of the Medication an `ingredient.itemReference` names, through `resolve`, one level deep), so a
    product sent under a local number is still known, and named, by what it contains."""
    code = medication.get("code")
    ingredients = [i for i in _list(medication.get("ingredient")) if isinstance(i, dict)]
    items = [i.get("itemCodeableConcept") for i in ingredients]
    if resolve is not None:
        for ingredient in ingredients:
            ref = _first(ingredient, "itemReference.reference")
            # "#id" names a resource contained in the Medication itself, else in the order that contains both
            own = next((c for c in _list(medication.get("contained")) if isinstance(c, dict) and "#" + str(c.get("id"))
                        == ref), None) if isinstance(ref, str) and ref.startswith("#") else None
            found = own or (resolve(ref) if isinstance(ref, str) and ref.strip() else None)
            if found is not None and found is not medication and found.get("resourceType") == "Medication":
                items.append(found.get("code"))
    extra = [c for item in items for c in _codings(item)]
    if not extra or known(code):
        return code
    merged: dict[str, Any] = {"coding": _codings(code) + extra}
    text = _concept_text(code) or next((t for t in map(_concept_text, items) if t), "")
    if text:
        merged["text"] = text
    return merged


def order_drug(order: Mapping[str, Any], medications: Mapping[Any, Mapping[str, Any]],
               known: Callable[[Any], object], full_urls: Mapping[str, str]) -> Any:
    """An order's (or medication record's) drug as a CodeableConcept: its medicationCodeableConcept, else the code of
    the Medication its reference names (`referenced_medication`, `medication_code`); None when neither is there."""
    concept = order.get("medicationCodeableConcept")
    if concept is not None:
        return concept
    ref = _first(order, "medicationReference.reference")
    medication = referenced_medication(order, ref, medications, full_urls)[0] if isinstance(ref, str) else None
    if medication is None:
        return None
    # "#id" in a Medication contained in the order names another resource the order contains; in one sent on its own,
    # only one it contains itself (`medication_code`)
    inner = ref.startswith("#") if isinstance(ref, str) else False
    return medication_code(medication, known, lambda item: referenced_medication(order, item, medications, full_urls)[0]
                           if inner or not item.startswith("#") else None)


def _reference_display(resource: Mapping[str, Any]) -> str:
    """The drug's name as the order's medicationReference.display gives it ("" when none)."""
    display = _first(resource, "medicationReference.display")
    return display.strip()[:80] if isinstance(display, str) else ""


def _not_given_reason(r: Mapping[str, Any]) -> str:
    """The statusReason (Procedure: one concept; MedicationAdministration: a list) of a record stopped that says
    nothing was given, as sent ("" when none says so)."""
    if _str(r.get("status")) != "stopped":
        return ""
    reasons = r.get("statusReason")
    concepts = reasons if isinstance(reasons, list) else [reasons]
    for c in concepts:
        if isinstance(c, dict):
            # its text and each display, each once: a concept with no text gives its first display as its text, which
            # quoted twice read "“Ikke givet Ikke givet”"; several are shown as the record gives them, apart
            parts = list(dict.fromkeys(p.strip() for p in (_concept_text(c), *(
                str(cd.get("display") or "") for cd in (c.get("coding") or []) if isinstance(cd, dict))) if p.strip()))
            if says_not_given(" ".join(parts)):
                return RecordText(" / ".join(parts))
    return ""


def is_lab_result(r: Mapping[str, Any]) -> bool:
    """Whether an Observation says it is a laboratory result (category `laboratory`); one without a category is
    read as one by its callers, which check `category` first."""
    return any(_str(c.get("code")) in LAB_CATEGORIES for cat in _list(r.get("category")) for c in _codings(cat))


def withdrawn_by_verification(resource: Mapping[str, Any]) -> bool:
    """Whether a record's verificationStatus withdraws it (`EXCLUDED_VERIFICATION`: refuted, entered in error): no
    diagnosis, no reason, no entry. A code that is no string (a hostile request's list) withdraws nothing."""
    return any(_str(c.get("code")) in EXCLUDED_VERIFICATION for c in _codings(resource.get("verificationStatus")))


_PATH_PARTS: dict[str, tuple[str, ...]] = {}  # a dotted path -> its parts, split once (the paths are the code's own)


def _parts(path: str) -> tuple[str, ...]:
    """A dotted path's parts, split once (the paths are the code's own: the cache stays small)."""
    parts = _PATH_PARTS[path] = tuple(path.split("."))
    if len(_PATH_PARTS) > 512:
        _PATH_PARTS.clear()
    return parts


# the paths a caller asks `_first` for, as (first part, the rest) each, split once (the code's own: the cache stays small)
_PLANS: dict[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]] = {}


def _plan(paths: tuple[str, ...]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    plan = _PLANS[paths] = tuple((parts[0], parts[1:]) for parts in map(_parts, paths))
    if len(_PLANS) > 512:
        _PLANS.clear()
    return plan


def _first(resource: Mapping[str, Any], *paths: str) -> Any:
    """The value at the first of `paths` ("period.start") that holds one; None when none does. Runs for every date
    of every record: a loop of its own, with the paths split once per set of them (`RECORD_DAY`'s eleven), and a
    path's first part read without a loop (most are one part)."""
    if not isinstance(resource, dict):
        return None
    for head, rest in _PLANS.get(paths) or _plan(paths):
        value = resource.get(head)
        if value is None:
            continue
        for part in rest:
            value = value.get(part) if isinstance(value, dict) else None
            if value is None:
                break
        if value is not None:
            return value
    return None


def _when(b: FactBuilder, r: Mapping[str, Any]) -> date:
    when = r.get("effectiveDateTime")  # the usual field first; this runs for every IgG on record
    if when is None:
        when = _first(r, *PERIOD_EFFECTIVE, "effectiveInstant", "issued")
        if when is None:
            raise DataError("result has no effective date")
    return local_day(when, b.tz)


def _interpretation(b: FactBuilder, r: Mapping[str, Any]) -> str:
    """'positive', 'negative', 'indeterminate' or '' from Observation.interpretation."""
    for concept in _list(r.get("interpretation")):
        entry = b.t.sets_of(concept).get("result-interpretation")
        if entry is not None:
            return str(entry.get("result") or "")
    return ""


def _components_interpretation(b: FactBuilder, r: Mapping[str, Any]) -> str:
    """A culture's interpretation coded on its finding components (not those named a comment), read as the
    Observation's is when the Observation codes none: 'positive' when one says positive ("Mikroorganisme" POS),
    'negative' when every finding component says negative (a NEG on the only one), else ''."""
    said = [_interpretation(b, c) for c in _list(r.get("component"))
            if isinstance(c, dict) and not names_a_comment(_texts(c.get("code")))]
    if "positive" in said:
        return "positive"
    return "negative" if said and all(one == "negative" for one in said) else ""


# -- MedicationStatement: a drug taken, also one given elsewhere (docs/clinical-logic.md, "Medication records") ------
# FHIR R4 MedicationStatement.status: active (still being taken), completed (no longer taken), stopped (halted before
# all of it was taken) and on-hold (paused) say the drug was taken; intended (may be taken in the future) is a plan;
# not-taken and entered-in-error say it was not; unknown says neither.
STATEMENT_TAKEN = frozenset({"active", "completed", "stopped", "on-hold"})
STATEMENT_ENDED = frozenset({"completed", "stopped"})


def _condition_by_identifier(b: FactBuilder, reference: Any) -> str:
    """A reference by a Condition's business identifier alone (`{"identifier": {"system", "value"}}`, which FHIR
    allows and EHRs that link a stay or an order to its diagnosis by the diagnosis number send) as 'Condition/id' of
    the one Condition sent that carries it (not one entered in error or refuted, whose corrected twin shares it); ''
    for none, or for two (which one is meant is not known)."""
    ident = reference.get("identifier") if isinstance(reference, dict) else None
    if not isinstance(ident, dict) or not isinstance(ident.get("value"), str):
        return ""
    system, value = ident.get("system"), ident["value"]
    found = [ref for ref, condition in b._conditions.items() if not withdrawn_by_verification(condition)
             and any(isinstance(i, dict) and i.get("value") == value and i.get("system") == system
                     for i in _list(condition.get("identifier")))]
    return found[0] if len(found) == 1 else ""


def _reference_to(b: FactBuilder, reference: Any, kind: str, referrer: Mapping[str, Any]) -> str:
    """A reference of `referrer` as '{kind}/id' (relative, absolute, versioned, or the fullUrl of an entry of the
    request: `resolved`), '' when it is not one to a `kind`. One that is a fullUrl naming two resources
    (`full-url-conflict`) is not followed, and `referrer` is kept to be named on the card (`reference-ambiguous`):
    a reason or an order lost there changes the card (an ITP course read as substitution)."""
    ref = _first(reference, "reference") if isinstance(reference, dict) else None
    if not isinstance(ref, str):
        return _condition_by_identifier(b, reference) if kind == "Condition" else ""
    if ref and in_conflict(ref, b.full_urls):
        b._links_lost.setdefault(reference_of(referrer), (referrer, ref))
        return ""
    target = resolved(ref, b.full_urls)
    parts = _unversioned(target).rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 and parts[-2] == kind else ""
