"""What reading every kind of resource shares: statuses, codings, texts, references, copies.

A helper lives here when more than one kind of resource is read with it; one kind's own reading
lives in that kind's module (`results`, `therapies`, `ig_courses`, `infections`), so a change of
how one kind is read never reaches into another's file.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from fractions import Fraction
from typing import Any, Mapping, NamedTuple, Union, get_args
from types import MappingProxyType

from dateutil.relativedelta import relativedelta

from cql_like_rules.facts import (
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
    Organism,
)
from cql_like_rules.parameters import Parameters
from cql_like_rules.record_words import (
    says_not_given,
    specimen_of_name,
)
from cql_like_rules.valuesets import SNOMED_EDITION, Entry, Terminology, duration_key

from ..errors import DataError
from .culture_text import names_a_comment
from typing import TYPE_CHECKING


if TYPE_CHECKING:
    pass


RESULT_STATUSES = {"final", "amended", "corrected"}


# A result's statuses that say it is on its way (a report `partial`), or that its source cannot place: not used, but
# named where the result could change the advice (`FactBuilder._not_final`).
NOT_FINAL_STATUSES = frozenset({"registered", "preliminary", "partial", "unknown"})


# A DiagnosticReport's statuses of a released result: FHIR R4 adds `appended` (final, with text added after release: a
# culture report whose susceptibility or comment came later), a kind of `amended`.
REPORT_STATUSES = frozenset(RESULT_STATUSES | {"appended"})


BSAB_ORDER_STATUSES = {"active", "on-hold", "completed", "stopped"}


# The statuses of an immunoglobulin order the rules read, each as the course status it is (every CourseStatus).
IG_ORDER_STATUSES: dict[str, CourseStatus] = {status: status for status in get_args(CourseStatus)}


# What an infection-other entry's `organism` may say (valuesets/README.md); anything else is read as "other", as no
# `organism` is: a non-bacterial code must not count as a bacterial infection for a misspelt attribute.
ORGANISMS: dict[str, Organism] = {organism: organism for organism in get_args(Organism) if organism != "bacterial"}


IGG_ON_ITS_WAY = {"registered", "preliminary"}  # an IgG Observation ordered or sampled, its result not final yet


IGG_DRAFT_STATUSES = {"draft", "active"}  # a lab order being written in the session (EHRs send either on order-sign)


# An order in `context.draftOrders` with one of these statuses is not being ordered (withdrawn, written in error, or
# discontinued in the session): it is not judged, so no card treats it as a start and no suggestion lengthens it.
CLOSED_DRAFT_STATUSES = frozenset({"cancelled", "entered-in-error", "stopped", "completed", "revoked"})


def closed_draft(resource: Mapping[str, Any]) -> bool:
    """An order in `context.draftOrders` that is not being ordered (`CLOSED_DRAFT_STATUSES`); a status that is not
    a string (malformed) is not one: the order is judged, and its validation says what is wrong."""
    status = resource.get("status")
    return isinstance(status, str) and status in CLOSED_DRAFT_STATUSES


ADMIN_STATUSES = {"completed", "in-progress"}


# An immunoglobulin dose recorded `stopped` (FHIR: halted after some of it was given, an infusion reaction say) is a dose
# given: immunoglobulin was infused and the course goes on (docs/clinical-logic.md); one whose statusReason says none
# was given is not.
IG_DOSE_STATUSES = frozenset(ADMIN_STATUSES | {"stopped"})


# MedicationRequest.intent values that make no order (FHIR R4: a proposal, a plan, an option of a protocol): nothing
# says the drug was ordered, let alone given. An immunoglobulin one is a course planned, as a medication record
# `intended` is; a bispecific one dates no T0 (docs/clinical-logic.md).
PLAN_INTENTS = frozenset({"proposal", "plan", "option"})


# A CAR-T infusion's administration under which cells were given: completed, under way, or stopped (FHIR: halted
# after at least some of it was done, so cells were infused and their immune effects follow: the high-risk window
# opens that day; docs/clinical-logic.md). A stopped one is named in a data note. A Procedure counts completed or
# stopped; one still in progress does not (clinical rules §5: the completed procedure).
CAR_T_GIVEN_STATUSES = frozenset({"completed", "in-progress", "stopped"})


CAR_T_PROCEDURE_STATUSES = frozenset({"completed", "stopped"})


EXCLUDED_VERIFICATION = {"refuted", "entered-in-error"}


# The records whose code could matter to the rules when it cannot be read at all (docs/clinical-logic.md, "Codes in a
# system the rules do not know"): a diagnosis, a lab result or report, a procedure, a drug; with the element read.
# In the order their notes are named on a card (a diagnosis or drug before a lab result).
CODE_READ_ON = {"Condition": "code", "MedicationAdministration": "medication", "MedicationRequest": "medication",
                "MedicationStatement": "medication", "Procedure": "code", "DiagnosticReport": "code",
                "Observation": "code"}


UNKNOWN_SYSTEM_RANK = {kind: i for i, kind in enumerate(CODE_READ_ON)}


# The value sets a drug is read by: a medication record coded only in systems none of them uses is not read.
DRUG_VALUESETS = ("immunoglobulin-substitution", "bispecific-b-pc", "car-t-product")


# The value sets whose codes, sent under the wrong (known) system, are named rather than passed over (§7).
WRONG_SYSTEM_VALUESETS = ("bacterial-infection", "haematological-malignancy", "car-t-procedure", "car-t-product",
                          "bispecific-b-pc", "immunoglobulin-substitution", "igg-serum", "m-protein")


# ... of which those that name an index therapy: such a record is kept for the therapy card (`_name_wrong_system`)
WRONG_SYSTEM_THERAPIES = frozenset({"car-t-procedure", "car-t-product", "bispecific-b-pc"})


# Observation categories that are no lab result (vital signs, a questionnaire ...): their codes never matter here.
LAB_CATEGORIES = frozenset({"laboratory"})


NOT_A_RECORD = frozenset({"entered-in-error", "not-done", "cancelled", "refuted"})


COMPARATORS = {"<", "<=", ">", ">="}


PRODUCT_OF_ROUTE = {"iv": "IVIG", "sc": "SCIG"}


_INFINITE = (float("inf"), float("-inf"))


# Value sets of diagnoses: their text hints name a Condition, not an order that mentions the disease.
DIAGNOSIS_HINTS = frozenset({"bacterial-infection", "infection-other", "haematological-malignancy"})


# Value sets of lab results: a result whose local code is in none but whose name is total IgG, or a bacterial
# culture ("BLODDYRKNING(BAKTERIUM+FUNGUS),B") that grew something, is named.
LAB_HINTS = frozenset({"igg-serum", "culture"})


SLOTS = ("igg", "m_protein", "immunofixation", "car_t", "bsab", "ig_courses", "ig_administrations", "ig_other_use",
         "infections",
         "cultures", "diagnoses", "unrecognised_therapies", "undated_therapies", "unrecognised_diagnoses")


# Value sets whose text hints name a therapy that dates T0: a recorded one known only by its name is a fact of
# its own (`UnrecognisedTherapy`), with the statuses under which a recognised one would count: a dose or procedure
# `stopped` too (halted part-way, some was given), unless its reason says nothing was (`_not_given_reason`).
THERAPY_HINTS = {"bispecific-b-pc": "bsab", "car-t-product": "car-t-product", "car-t-procedure": "car-t-product"}


THERAPY_STATUSES = {"MedicationRequest": BSAB_ORDER_STATUSES, "MedicationAdministration": CAR_T_GIVEN_STATUSES,
                    "Procedure": CAR_T_PROCEDURE_STATUSES}


# What each resource type can date, as for a recognised code: an order never dates a CAR-T infusion (it is
# ordered weeks ahead, and orders get cancelled); a procedure dates a CAR-T infusion, or a bsAb dose registered
# as a treatment (SKS BOHJ19K1), as an administration does.
THERAPY_KINDS = {"MedicationRequest": {"bsab"}, "MedicationAdministration": {"bsab", "car-t-product"},
                 "Procedure": {"bsab", "car-t-product"}}


# A fact `build` files under a slot of `Facts` (SLOTS), and what a handler gives: (slot, fact) or nothing.
Fact = Union[IgGResult, MProteinResult, Immunofixation, CarTInfusion, BsAbExposure, IgCourse, IgAdministration,
             Infection, Culture, Diagnosis]


Produced = Union[tuple[str, Fact], None]


def reference_of(resource: Mapping[str, Any]) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


_IGG_FIELDS = ("value_g_l", "date", "source", "comparator", "reported", "taken", "component", "panel")


assert tuple(IgGResult.__dataclass_fields__) == _IGG_FIELDS and not hasattr(IgGResult, "__post_init__") \
    and not hasattr(IgGResult, "__slots__"), "_igg_result must make what IgGResult(...) makes"


_new = object.__new__


COMPONENT_NAME = 60  # characters of a panel's or its component's name kept on the fact (the explanation page names both)


_set = object.__setattr__


def _igg_result(value_g_l: float, day: date, source: str, comparator: str, reported: str) -> IgGResult:
    """`IgGResult(value_g_l, day, source, comparator, reported)`, made in one step.

    A frozen dataclass's `__init__` sets each of its six fields through `object.__setattr__`,
    ~1.1 us a result against ~0.6 us for its `__dict__` at once: a chart with 200 IgG results
    makes 200. The same object (fields in order, so also the same JSON, repr, equality and hash:
    tests/test_facts_from_fhir.py); the assertion above stops the import if the class changes.
    """
    result: IgGResult = _new(IgGResult)
    _set(result, "__dict__", {"value_g_l": value_g_l, "date": day, "source": source, "comparator": comparator,
                              "reported": reported, "taken": "", "component": "", "panel": ""})
    return result


def _codings(concept: Any) -> list[Mapping[str, Any]]:
    if not isinstance(concept, dict):
        return []
    codings = concept.get("coding")
    return [c for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []


def sample_keys(r: Mapping[str, Any]) -> frozenset[tuple[str, ...]]:
    """What names a laboratory result's sample, so that a preliminary and the final result of one sample are told to be
    one: its specimen reference(s), its identifiers with their system (an accession number; a value with no system
    does not say whose number it is), and its code with its collection time (a time of day, not a date alone: two
    samples of one day are two; one instant however its zone is written). `same_sample` compares them."""
    keys: set[tuple[str, ...]] = set()
    for specimen in _list(r.get("specimen")) if isinstance(r.get("specimen"), list) else [r.get("specimen")]:
        ref = specimen.get("reference") if isinstance(specimen, dict) else None
        if isinstance(ref, str) and ref:
            keys.add(("specimen", "", ref))
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
    """A concept's human text: its text, else its first display ("" when none)."""
    if not isinstance(concept, dict):
        return ""
    if isinstance(concept.get("text"), str) and concept["text"].strip():
        return str(concept["text"])
    for coding in _codings(concept):
        if isinstance(coding.get("display"), str) and coding["display"]:
            return str(coding["display"])
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


def _comment_component_texts(r: Mapping[str, Any]) -> list[str]:
    """The value text of each component of a result named a comment (`names_a_comment`): a note, not a finding."""
    return [value for c in _list(r.get("component"))
            if isinstance(c, dict) and names_a_comment(_texts(c.get("code")))
            and (value := _texts(c.get("valueString"), c.get("valueCodeableConcept"))).strip()]


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


def isotype_of(t: Terminology, text: str) -> str:
    """The M-protein's heavy chain named in a text ("IgG kappa" -> "IgG"); "light-chain"; or "" (m-protein words)."""
    named = {str(m.get("isotype")) for m in t.words_in(text, "m-protein") if m.get("isotype")}
    heavy = named - {"light-chain"}
    if len(heavy) == 1:
        return heavy.pop()
    if not heavy and named:
        return "light-chain"
    return ""


def names_heavy_chain(t: Terminology, text: str) -> bool:
    return any(m.get("isotype") not in (None, "light-chain") for m in t.words_in(text, "m-protein"))


def says_negative(t: Terminology, text: str) -> bool:
    """A result text with a no-growth / not-found word ("Negativ", "Ikke påvist")."""
    return any(m.get("result") == "negative" for m in t.words_in(text, "result-interpretation"))


ISOTYPES = {"IgG", "IgA", "IgM", "IgD", "IgE", "light-chain"}


def _scalar(value: Any) -> str:
    """A JSON scalar as sent ("3.2", "true"), "" for anything else."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, (str, int, float)) else ""


def _quantity_as_sent(qty: Any) -> str:
    """A Quantity as sent ("<4.0 g/L", "true g/L" for a value that is no number), "" when it holds nothing."""
    if not isinstance(qty, dict):
        return ""
    parts = [_scalar(qty.get("comparator")), _scalar(qty.get("value")), _scalar(qty.get("unit") or qty.get("code"))]
    sent = " ".join(p for p in parts if p)
    return sent.replace("< ", "<").replace("> ", ">").replace("<= ", "<=").replace(">= ", ">=")


def _value_as_sent(r: Mapping[str, Any]) -> str:
    """A result's value as the laboratory sent it, for a note, whatever its type: "3,2", "2 furlongs", "true" (a
    valueBoolean, or a valueQuantity whose value is no number: "true g/L"), a coded value's text or code, a range
    "2–3 g/L", a ratio "3 g/L / 1 L", a period "2026-01-01–"; else why there is none ("Hæmolyse", or "—")."""
    if isinstance(r.get("valueString"), str):
        return str(r["valueString"])
    for key in ("valueBoolean", "valueInteger", "valueDateTime", "valueTime"):
        if _scalar(r.get(key)):
            return _scalar(r.get(key))
    if isinstance(r.get("valueQuantity"), dict):
        return _quantity_as_sent(r["valueQuantity"]) or "—"
    coded = r.get("valueCodeableConcept")
    if isinstance(coded, dict):
        return _concept_text(coded) or _first_code(coded) or "—"
    ranged = r.get("valueRange")
    if isinstance(ranged, dict):
        low, high = _quantity_as_sent(ranged.get("low")), _quantity_as_sent(ranged.get("high"))
        return f"{low}–{high}" if low and high else f">={low}" if low else f"<={high}" if high else "—"
    ratio = r.get("valueRatio")
    if isinstance(ratio, dict):
        top, bottom = _quantity_as_sent(ratio.get("numerator")), _quantity_as_sent(ratio.get("denominator"))
        return f"{top or '?'} / {bottom or '?'}" if top or bottom else "—"
    period = r.get("valuePeriod")
    if isinstance(period, dict):
        start, end = _scalar(period.get("start"))[:25], _scalar(period.get("end"))[:25]
        return f"{start}–{end}" if start or end else "—"
    return _concept_text(r.get("dataAbsentReason")) or "—"  # why the laboratory gave no value ("Hæmolyse")


# A result sent as text ("3,5 g/L", "<2,0 g/L", "<1 g/L") is read only in the strict form a valueQuantity has: an
# optional comparator, a number with a comma or a dot as its decimal mark and no thousands separator, then its unit
# (which converts as a valueQuantity's does). Anything else is not read: a number is never guessed from words.
_TEXT_QUANTITY = re.compile(r"\s*(<=|>=|<|>)?\s*(\d+)(?:[.,](\d+))?\s*((?:[^\W\d_]|µ)\S*)?\s*")


TEXT_QUANTITY_FORM = '"3,5 g/L", "<2,0 g/L"'


# An M-protein sent as words (Danish laboratories): found but too small to quantify ("spor", "Spor af M-komponent",
# "påvist, ikke kvantificerbar"), or none found ("Ikke påvist"). Only the whole text counts: "IgG kappa ikke påvist"
# or "spor? se kommentar" is neither, and is named as not read.
_M_PROTEIN_TRACE = re.compile(r"\s*(?:spor(?:\s+af\s+m-?\s*komponent)?|trace(?:\s+m-?\s*protein)?"
                              r"|påvist,?\s+(?:men\s+)?ikke\s+kvantificer(?:bar|et)"
                              r"|detected,?\s+(?:but\s+)?not\s+quantifi(?:able|ed)"
                              r"|present,?\s+(?:but\s+)?not\s+quantifi(?:able|ed))\s*\.?\s*", re.IGNORECASE)


_M_PROTEIN_NONE = re.compile(r"\s*(?:(?:m-?\s*komponent\s+)?ikke\s+påvist|ingen\s+m-?\s*komponent(?:\s+påvist)?"
                             r"|negativ|(?:m-?\s*protein\s+)?not\s+detected|no\s+m-?\s*protein(?:\s+detected)?"
                             r"|negative)\s*\.?\s*", re.IGNORECASE)


def quantity_of_text(text: str) -> dict[str, Any]:
    """The valueQuantity a result sent as text stands for ("<2,0 g/L" -> comparator "<", value 2.0, unit "g/L"), to be
    read as that valueQuantity is; a DataError saying why a text is not read (`_TEXT_QUANTITY`). A number whose
    separator could be a thousands separator ("1.200", "2,500": a Danish "1.200 mg/L" is 1200) is not read."""
    found = _TEXT_QUANTITY.fullmatch(text)
    if found is None:
        raise DataError(f"the text is not a number with a unit ({TEXT_QUANTITY_FORM})")
    comparator, whole, decimals, unit = found.groups()
    if decimals is not None and len(decimals) == 3 and whole != "0":
        raise DataError("the number's separator may be a thousands separator or a decimal mark: not read")
    quantity: dict[str, Any] = {"value": float(f"{whole}.{decimals}" if decimals is not None else whole)}
    if comparator:
        quantity["comparator"] = comparator
    if unit:
        quantity["unit"] = unit
    return quantity


def m_protein_words(text: str) -> str:
    """'trace' (an M-protein found, not quantified), 'none' (no M-protein found) or '' for an M-protein sent as
    words (`_M_PROTEIN_TRACE`, `_M_PROTEIN_NONE`)."""
    if _M_PROTEIN_TRACE.fullmatch(text):
        return "trace"
    return "none" if _M_PROTEIN_NONE.fullmatch(text) else ""


def culture_by_name(t: Terminology, text: str) -> Entry:
    """The culture value-set entry a laboratory result known only by its name stands for: its specimen from its name
    ("Bloddyrkning" blood, "Ekspektorat dyrkning" respiratory, "Svælg dyrkning" swab), else "other"."""
    specimen = specimen_of_name(text)
    return Entry(("LOCAL",), None, None, text[:80], MappingProxyType({"specimen": specimen, "by_name": True}))


def _isotype(value: Any) -> str:
    """A value set's isotype attribute; anything but a known type ("unknown") means not stated."""
    return value if value in ISOTYPES else ""


# A Period with only its end is still dated: a sample, an infusion or a dose whose start was not recorded
# happened by its end (for a sample or an infusion, the same day). The start comes first when both are there.
PERIOD_EFFECTIVE = ("effectivePeriod.start", "effectivePeriod.end")


PERIOD_PERFORMED = ("performedPeriod.start", "performedPeriod.end")


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


def _bounds_length(timing: Mapping[str, Any], units: Mapping[str, str], month_days: float) -> relativedelta | None:
    """A timing's length: its boundsDuration, else its boundsRange.high (a length of 0 days, hours on the day it
    starts, is a length: not falsy here)."""
    length = _length(_first(timing, "repeat.boundsDuration"), units, month_days)
    return length if length is not None else _length(_first(timing, "repeat.boundsRange.high"), units, month_days)


def _count_length(timing: Mapping[str, Any], units: Mapping[str, str], month_days: float) -> relativedelta | None:
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


# The elements an order's start is read from (`_planned_period`: the earliest boundsPeriod start, else the earliest
# planned dose, else authoredOn): a date with no day in one of them is a start with no day, not an end with none.
BOUNDS_START, BOUNDS_END = "dosageInstruction.timing.repeat.boundsPeriod.start", "dosageInstruction.timing.repeat.boundsPeriod.end"


DOSE_DAY = "dosageInstruction.timing.event"


ORDER_START_FIELDS = frozenset({BOUNDS_START, DOSE_DAY, "authoredOn"})


def _partial(value: Any) -> bool:
    """A FHIR date with no day ("2026", "2026-03"), which a rule reading it as a day must name."""
    return isinstance(value, str) and len(value) in (4, 7) and value[:4].isdigit()


def _cut(text: str, limit: int) -> str:
    """`text` as sent, at most `limit` characters, its cut marked ("…"): a note quoting it shows where it was cut, not
    a text that seems whole ("3 måneder [klik](javasc")."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _reference_display(resource: Mapping[str, Any]) -> str:
    """The drug's name as the order's medicationReference.display gives it ("" when none)."""
    display = _first(resource, "medicationReference.display")
    return display.strip()[:80] if isinstance(display, str) else ""


def _onset_in_words(r: Mapping[str, Any]) -> str:
    """A Condition's onset given as an age, an age range or text ("65 a", "i marts"): it names no day; "" if none."""
    text = r.get("onsetString")
    if isinstance(text, str) and text.strip():
        return text.strip()[:40]
    age = r.get("onsetAge")
    if isinstance(age, dict) and age.get("value") is not None:
        return f"{age.get('value')} {age.get('unit') or age.get('code') or ''}".strip()[:40]
    span = r.get("onsetRange")
    if isinstance(span, dict):  # its numbers and unit as sent ("60–61 a"): no words of the service's own, in one language
        bounds: list[Mapping[str, Any]] = [span[k] if isinstance(span.get(k), dict) else {} for k in ("low", "high")]
        low, high = bounds
        unit = high.get("unit") or high.get("code") or low.get("unit") or low.get("code") or ""
        shown = "–".join(str(q["value"]) for q in (low, high) if q.get("value") is not None)
        return f"{shown or '–'} {unit}".strip()[:40]
    return ""


def _not_given_reason(r: Mapping[str, Any]) -> str:
    """The statusReason (Procedure: one concept; MedicationAdministration: a list) of a record stopped that says
    nothing was given, as sent ("" when none says so)."""
    if _str(r.get("status")) != "stopped":
        return ""
    reasons = r.get("statusReason")
    concepts = reasons if isinstance(reasons, list) else [reasons]
    for c in concepts:
        if isinstance(c, dict):
            said = (_concept_text(c) + " " + " ".join(
                str(cd.get("display") or "") for cd in (c.get("coding") or []) if isinstance(cd, dict))).strip()
            if says_not_given(said):
                return said
    return ""


def _first(resource: Mapping[str, Any], *paths: str) -> Any:
    for path in paths:
        value: Any = resource
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            return value
    return None


def _edition_code_unread(t: Terminology, coding: Mapping[str, Any]) -> bool:
    """A coding sent under a SNOMED CT edition's URI ("http://snomed.info/sct/554471000005108", read as SNOMED CT)
    that no value set holds: a concept id is the same in every edition, but an edition's own concepts (an
    extension's, in its namespace) are in no shipped expansion, so such a code is named as a code in a system not
    read, as it was before the edition URI was read, rather than passed over as an unrelated SNOMED CT code."""
    system = coding.get("system")
    if not isinstance(system, str):
        return False
    spelled = system.split("|", 1)[0].strip().lower().replace("https://", "http://", 1).rstrip("/")
    if not spelled.startswith(SNOMED_EDITION):  # the plain URI ("http://snomed.info/sct/" too) is no edition's
        return False
    code = coding.get("code")
    return not t.sets_of({"coding": [coding]}) and not (  # a code held under another system is named so instead
        isinstance(code, str) and t.held_elsewhere(system, code, WRONG_SYSTEM_VALUESETS) is not None)


def _code_and_system(concept: Any) -> tuple[str, str]:
    """The first coding with a code, as (code, system); ("", "") for a concept with none (a name only)."""
    coding = next((c for c in _codings(concept) if isinstance(c.get("code"), str) and c["code"]), None)
    return ("", "") if coding is None else (str(coding["code"]), str(coding.get("system") or ""))


def _performed(r: Mapping[str, Any]) -> Any:
    """A completed procedure's performed date as sent (performedDateTime, else its period), or None: a record with
    none is named as undated by its caller, never dropped."""
    return _first(r, "performedDateTime", *PERIOD_PERFORMED)
