"""Raw FHIR R4 resources to typed facts, cheaply.

Only resources whose codes are in a value set become facts; everything else is passed over
at the cost of one dictionary lookup per coding. The fields the rules use are read
defensively: a selected resource whose date, value or unit cannot be read is skipped and
becomes a `DataNote`, never a silent change of advice. A Condition, order or procedure
whose code is in no value set but whose text names something the rules care about (a drug,
a lymphoma) is named in the data notes too. Full model validation of the resources an
advice relies on is done afterwards (`validation.py`), so the cost does not grow with
resources nobody uses.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from fractions import Fraction
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Union, get_args
from types import MappingProxyType
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

from cql_like_rules.facts import (
    BsAbExposure,
    CarTInfusion,
    CourseStatus,
    Culture,
    DataNote,
    Diagnosis,
    Facts,
    IgAdministration,
    IgCourse,
    IgGOrderDraft,
    IgGPending,
    IgGResult,
    Immunofixation,
    Infection,
    MProteinResult,
    Organism,
    Patient,
    TherapyOrderDraft,
    UndatedTherapy,
    UnrecognisedDiagnosis,
    UnrecognisedTherapy,
)
from cql_like_rules.orders import DraftOrder
from cql_like_rules.parameters import Parameters
from cql_like_rules.record_words import (
    names_a_bacterial_culture,
    only_defers,
    says_no_result,
    says_not_given,
    specimen_of_name,
)
from cql_like_rules.targets import in_scope_target
from cql_like_rules.valuesets import SNOMED_EDITION, Entry, Terminology, duration_key

from ..errors import DataError
from .culture_text import Growth, bacterial_verdict, culture_words, growth_in, names_a_bottle, names_a_comment
from .dates import PartialDate, local_day, to_local_date

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
# A CAR-T infusion or bispecific dose recorded on hold (FHIR: halted for now; a dose held is sent so) or of status unknown:
# not known to be given, so no T0; named, and the card asks whether it was given where no other is read
NOT_KNOWN_GIVEN = frozenset({"on-hold", "unknown"})
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


@dataclass
class Extraction:
    """The facts, plus the raw resources they came from (by reference)."""

    facts: Facts
    resources: dict[str, Mapping[str, Any]] = field(default_factory=dict)


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


class FactBuilder:
    """Builds `Facts` for one patient from raw resources (one instance per request)."""

    def __init__(self, terminology: Terminology, tz: ZoneInfo, parameters: Parameters | None = None) -> None:
        self.t = terminology
        self.tz = tz
        # the one rule-set parameter facts read: how an order's length in fractional months is counted
        self.month_days = (parameters or Parameters()).days_per_fractional_month
        # ... and whether records coded only in an unknown system that could date T0 are kept (`_therapy_unknown_system`)
        self.unknown_system_therapies = (parameters or Parameters()).unknown_system_therapy_card
        # ... and whether a nameless draft in such a system gets its card, or only a note (`_draft_unknown_system`)
        self.unknown_system_draft_card = (parameters or Parameters()).unknown_system_draft_card
        # drafts named already: by their card (`order-not-recognised`, unknown-system) or, the card switched off, by
        # their own code-system-unknown note; the same draft sent in the chart too gets no second note
        self._drafts_named: set[str] = set()
        self._medications: dict[Any, Mapping[str, Any]] = {}
        self._conditions: dict[str, Mapping[str, Any]] = {}
        self._unresolved = 0
        self._notes: list[DataNote] = []
        self._panel_parts: list[tuple[str, Fact]] = []  # a panel's results besides the one its handler returns
        self._igg_pending: list[IgGPending] = []  # IgG registered, not resulted yet (`_not_final`)
        self._cultures_not_final: dict[str, frozenset[tuple[str, ...]]] = {}  # a note's source -> its sample's keys
        self._therapies: list[UnrecognisedTherapy] = []
        self._undated: list[UndatedTherapy] = []
        self._car_t_ordered: list[tuple[Mapping[str, Any], str, date | None]] = []
        # CAR-T infusions stopped with a reason read as none given: (record, product, day, reason)
        self._car_t_not_given: list[tuple[Mapping[str, Any], str, date | None, str]] = []
        # bispecific doses stopped with a reason read as none given, the same
        self._bsab_not_given: list[tuple[Mapping[str, Any], str, date | None, str]] = []
        self._diagnoses: list[UnrecognisedDiagnosis] = []
        self._statement_orders: dict[str, frozenset[str]] = {}  # Ig record -> the orders it says it is based on
        self._dose_orders: dict[str, str] = {}  # Ig dose -> the order it says it was given under (`request`)
        self._out_of_scope_days: set[date] = set()  # days an out-of-scope CAR-T product was given
        self._unknown_systems: dict[tuple[str, str], tuple[int, int]] = {}  # (type, system) -> (its note in _notes, count)
        self._end_unread_open = False  # an order end no reader can take a day from is no end, named (`_order_end`)

    def build(self, resources: Iterable[Mapping[str, Any]], notes: Iterable[DataNote] = (),
              igg_orders_drafted: tuple[IgGOrderDraft, ...] = (),
              therapies_drafted: tuple[TherapyOrderDraft, ...] = ()) -> Extraction:
        """The facts of the chart; on order hooks also the IgG lab orders drafted in the session
        (each made by `igg_order_drafted` from `context.draftOrders`, never from the chart) and the
        bsAb / CAR-T product orders judged in it (`therapies_drafted`)."""
        out: dict[str, list[Any]] = {k: [] for k in SLOTS}  # each slot's facts, of its field's type in Facts
        patient: Patient | None = None
        self._notes = list(notes)
        self._therapies = []
        self._undated = []
        self._car_t_ordered = []
        self._car_t_not_given = []
        self._bsab_not_given = []
        self._diagnoses = []
        self._statement_orders = {}
        self._dose_orders = {}
        self._out_of_scope_days = set()
        self._unknown_systems = {}
        self._panel_parts = []
        self._igg_pending = []
        self._cultures_not_final = {}
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
                self._name_unknown_system(resource)
            for slot, fact in (*parts, *(() if produced is None else (produced,))):
                out[slot].append(fact)
                used[fact.source] = resource
        _read_reports(self, reports, out, used)
        if self._cultures_not_final:
            self._superseded_cultures(out["cultures"], used)
        if self._out_of_scope_days:
            # A CAR-T infusion coded with no product (SKS BOQX1, a SNOMED procedure) on a day an out-of-scope product
            # was given is that product's infusion (an EHR registers both): no index event either.
            kept = [f for f in out["car_t"] if f.product or f.date not in self._out_of_scope_days]
            for dropped in set(out["car_t"]) - set(kept):
                used.pop(dropped.source, None)
            out["car_t"] = kept
        if not out["car_t"] and not self._out_of_scope_days \
                and not any(u.looks_like == "car-t-product" for u in self._undated) \
                and not any(u.looks_like == "car-t-product" for u in self._therapies):
            self._car_t_orders_not_given()  # an infusion known by its name only is one recorded: its own card asks
            self._car_t_infusions_not_given()
        if not out["bsab"] and not any(u.looks_like == "bsab" for u in self._undated) \
                and not any(u.looks_like == "bsab" for u in self._therapies):
            self._not_given_kept(self._bsab_not_given, "bsab")  # a bsAb record is there: its card asks about it
        if any(c.source.startswith("MedicationStatement/") for c in out["ig_courses"]):
            out["ig_courses"] = _once_beside_orders(self, out["ig_courses"], used)
        if out["ig_other_use"] and (self._dose_orders or self._statement_orders):
            _doses_of_other_use(self, out, used)
        if len(out["igg"]) > 1:
            out["igg"] = self._timed(out["igg"], used)
        if self._unresolved:
            self._notes.append(DataNote("unresolved-medication", f"{self._unresolved} medication order(s)",
                                        "refer to a Medication resource that was not sent; their drug could not be checked"))
        for course in out["ig_courses"]:
            if course.status in ("stopped", "completed") and course.end is None:
                self._notes.append(DataNote("unknown-end", course.source, "ended, end date not recorded"))
        if len(self._unknown_systems) > 1:  # a diagnosis or drug in an unknown system is named before a lab result
            at = sorted(i for i, _ in self._unknown_systems.values())
            ranked = sorted((self._notes[i] for i in at), key=lambda n: UNKNOWN_SYSTEM_RANK.get(n.source.split("/")[0], 9))
            for i, note in zip(at, ranked):
                self._notes[i] = note
        out["unrecognised_therapies"] = self._therapies
        out["undated_therapies"] = self._undated
        out["unrecognised_diagnoses"] = self._diagnoses
        facts = Facts(patient=patient, notes=tuple(self._notes), igg_orders_drafted=igg_orders_drafted,
                      therapies_drafted=therapies_drafted, igg_pending=tuple(self._igg_pending),
                      **{k: tuple(v) for k, v in out.items()})
        return Extraction(facts, used)

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
                self._therapy_unknown_system(resource)
                wrong = self._wrong_system_code(resource) if not self._therapies else None
                if wrong is not None and wrong[2][1] in WRONG_SYSTEM_THERAPIES:  # as `_name_wrong_system` keeps it
                    self._therapy_unknown_system(resource, (wrong[0][:40], wrong[1]), wrong[2][0])
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
        self._unresolved = 0

    def forget_unresolved(self) -> None:
        """Forget the Medications not found so far (the draft orders': each is named by a note of its own)."""
        self._unresolved = 0

    # -- helpers -------------------------------------------------------------------------
    def _date(self, value: Any, *, allow_partial: bool = False, field: str = "") -> date:
        """The day of a FHIR date; a date with no day (when not allowed) says the `field` it was read from."""
        try:
            return to_local_date(value, self.tz, allow_partial=allow_partial)
        except PartialDate as exc:
            exc.field = field
            raise

    def _medication(self, resource: Mapping[str, Any]) -> Any:
        """The medication CodeableConcept, following a reference to a contained or sent Medication."""
        concept = resource.get("medicationCodeableConcept")
        if concept is not None:
            return concept
        ref = _first(resource, "medicationReference.reference")
        if not isinstance(ref, str):
            return None
        medication, _ = self._referenced_medication(resource, ref)
        if medication is None:
            if not ref.startswith("#"):  # one not sent: counted for the note (a contained one is the order's own)
                self._unresolved += 1
            return None
        return self._medication_code(medication)

    def _referenced_medication(self, resource: Mapping[str, Any], ref: str) -> tuple[Mapping[str, Any] | None, bool]:
        """The Medication an order's reference names, contained ('#id') or sent ('Medication/id'), None when it is
        not there; and whether the reference is one this service resolves (a Bundle fullUrl is not looked up)."""
        if ref.startswith("#"):
            return next((c for c in _list(resource.get("contained")) if isinstance(c, dict) and c.get("id") == ref[1:]),
                        None), True
        head, _, mid = _unversioned(ref).rpartition("/")
        if not head.endswith("Medication"):
            return None, False
        return self._medications.get(mid), True

    def _medication_code(self, medication: Mapping[str, Any]) -> Any:
        """A Medication's code; when that is in no value set (a product number, varenummer), its code together
        with the codes of its ingredients (`ingredient.itemCodeableConcept`: ATC J06BA02, the bsAb's INN code),
        so a product sent under a local number is still known by what it contains."""
        code = medication.get("code")
        items = [i.get("itemCodeableConcept") for i in _list(medication.get("ingredient")) if isinstance(i, dict)]
        extra = [c for item in items for c in _codings(item)]
        if not extra or self.t.sets_of(code):
            return code
        merged: dict[str, Any] = {"coding": _codings(code) + extra}
        text = _concept_text(code) or next((t for t in map(_concept_text, items) if t), "")
        if text:
            merged["text"] = text
        return merged

    def medication_unread(self, resource: Mapping[str, Any]) -> tuple[str, bool] | None:
        """Why an order's drug cannot be read at all, and whether the reason is a Medication not sent (True)
        rather than a malformed order; None when it can be read (whether or not the rules know its code), or is
        named by its reference's display (read by that name, as a CodeableConcept with text only is)."""
        if resource.get("medicationCodeableConcept") is None and _reference_display(resource) \
                and not isinstance(self._medication(resource), dict):
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
        found, resolved = self._referenced_medication(resource, ref)
        if not resolved:
            return f"its medicationReference {shown} is not a reference this service resolves ('#id' or " \
                   "'Medication/id')", False
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

    def _unrecognised(self, resource: Mapping[str, Any], concept: Any) -> None:
        """A code in no value set whose text names something the rules care about: say so."""
        text = _texts(concept)
        if not text:
            return
        shown = _concept_text(concept)
        hint_for = getattr(self.t, "hint_for", None)
        found = hint_for(text) if hint_for is not None else None
        kind = resource.get("resourceType")
        if (found in DIAGNOSIS_HINTS and kind != "Condition") or (found in LAB_HINTS) != (kind == "Observation"):
            return  # an order naming an infection is not a diagnosis; only a lab result can be an unknown IgG code
        if found:
            self._notes.append(DataNote("unrecognised-code", reference_of(resource),
                                        f"its text looks like '{found}' but none of its codes is in that value set; "
                                        "not used (a site adds local codes with CDS_VALUESET_DIR)", shown[:80],
                                        self._day_of(resource)))
            self._therapy_by_name(resource, concept, found, shown)
            self._diagnosis_by_name(resource, concept, found, shown)

    def _diagnosis_by_name(self, resource: Mapping[str, Any], concept: Any, found: str, shown: str) -> None:
        """A haematological malignancy known only by its name (its code is in no value set), unless refuted."""
        if found != "haematological-malignancy" or resource.get("resourceType") != "Condition":
            return
        verification = {c.get("code") for c in _codings(resource.get("verificationStatus"))}
        if verification & EXCLUDED_VERIFICATION:
            return
        code, system = _code_and_system(concept)
        self._diagnoses.append(UnrecognisedDiagnosis(reference_of(resource), shown[:80], code[:40],
                                                     self._system_name(system)[:100], self._day_of(resource)))

    def _therapy_by_name(self, resource: Mapping[str, Any], concept: Any, found: str, shown: str) -> None:
        """A CAR-T or bsAb that happened (by the statuses a recognised one needs) but is known only by its name."""
        looks_like = THERAPY_HINTS.get(found)
        statuses = THERAPY_STATUSES.get(str(resource.get("resourceType")))
        if found == "car-t-product" and resource.get("resourceType") == "MedicationRequest" \
                and _str(resource.get("status")) == "completed":
            # a CAR-T product order completed, known by its name only: as a coded one, never T0, but named on a card
            # that asks for the infusion when none is recorded (`_car_t_orders_not_given`). Only a product's name, as
            # only a product's code (the product value set) makes a coded one: "CAR-T" in an order's text names the
            # therapy the drug goes with ("Fludarabin (lymfodepletion før CAR-T)", "Tocilizumab ved CRS efter CAR-T"),
            # not a CAR-T order
            try:
                ordered: date | None = self._dosage_period(resource)[0]
            except DataError:
                ordered = self._day_of(resource)
            self._car_t_ordered.append((resource, shown, ordered))
            return
        if looks_like is None or statuses is None or _str(resource.get("status")) not in statuses \
                or looks_like not in THERAPY_KINDS[str(resource.get("resourceType"))] or _not_given_reason(resource):
            return
        day = self._day_of(resource)
        if resource.get("resourceType") == "MedicationRequest":
            try:
                day = self._dosage_period(resource)[0]  # the boundsPeriod start, else authoredOn
            except DataError:
                pass
        code, system = _code_and_system(concept)
        held_under = ""
        wrong = self._wrong_system_code(resource)
        if wrong is not None and wrong[2][1] in WRONG_SYSTEM_THERAPIES:
            # a CAR-T or bsAb code sent under another known system than its own (L01FX24 under SNOMED CT): its card
            # asks for the record's code system to be corrected, as a draft so coded is told, not for a code to be added
            code, system, held_under = wrong[0], wrong[1], wrong[2][0]
        if day is None:
            # no date either: not placed in time, but not nothing (the same record coded rightly gets the card that asks
            # for its day): kept as a therapy with no day, its name, code and system said on that card
            self._undated.append(UndatedTherapy(reference_of(resource), looks_like, shown[:80], "", code_unread=True,
                                                code=code[:40], code_system=self._system_name(system)[:100],
                                                held_under=held_under))
            return
        written = _first(resource, "onsetDateTime", "onsetPeriod.start", "onsetPeriod.end", "recordedDate",
                         "effectiveDateTime", *PERIOD_EFFECTIVE, "performedDateTime", *PERIOD_PERFORMED, "authoredOn")
        if resource.get("resourceType") == "MedicationRequest":  # its start: the boundsPeriod's, else authoredOn
            written = next((v for v in (_first(d, "timing.repeat.boundsPeriod.start") for d in
                                        _list(resource.get("dosageInstruction")) if isinstance(d, dict)) if v),
                           resource.get("authoredOn"))
        # a month or a year only ("2025-11"): `day` is its first day, which the card must not show as the day given
        recorded = written.strip()[:20] if _partial(written) else ""
        self._therapies.append(UnrecognisedTherapy(day, reference_of(resource), shown[:80], looks_like, code[:40],
                                                   self._system_name(system)[:100], held_under, recorded))

    def _unknown_system_code(self, r: Mapping[str, Any]) -> tuple[str, str] | None:
        """A record that could matter (`CODE_READ_ON`) whose code is in no code system the rules know and that carries
        no text or display to tell what it is: its first (code, system); None for any other record."""
        read = self._code_that_could_matter(r)
        if read is None:
            return None
        element, concept = read
        codings = [c for c in _codings(concept) if isinstance(c.get("code"), str) and c["code"].strip()]
        if not codings or _texts(concept).strip():
            return None
        # a drug's code is read only in the systems the drug value sets use: a lab system (NPU) names no drug
        drugs = self.t.systems_of(*DRUG_VALUESETS) if element == "medication" else None
        for c in codings:
            known = self.t.alias_for(c["system"]) if isinstance(c.get("system"), str) else None
            if known is not None and _edition_code_unread(self.t, c):
                continue  # a SNOMED CT edition's own concept (an extension's) no value set holds: named, as before
            if known is not None and (drugs is None or known[0] in drugs):
                return None
        return str(codings[0]["code"]).strip(), _str(codings[0].get("system")) or ""

    def _therapy_unknown_system(self, r: Mapping[str, Any], found: tuple[str, str] | None = None,
                                held_under: str = "") -> None:
        """A procedure, dose, order or medication record that happened (the statuses a recognised CAR-T or bsAb
        record needs), dated, but coded only in an unknown system with no text: it could be the therapy that dates
        T0, so it is kept as a therapy not recognised (`looks_like` "unknown-system") when the policy asks for a
        card on it (`unknown_system_therapy_card`). `found`: its code and system when the caller has read them;
        `held_under`: for a code sent under the wrong known system, the alias of the one the value sets hold it under
        (its card then asks for the record's code system to be corrected, not for a code system to be added)."""
        kind = str(r.get("resourceType"))
        statuses = THERAPY_STATUSES.get(kind)
        if not self.unknown_system_therapies or statuses is None or _str(r.get("status")) not in statuses \
                or _not_given_reason(r):
            return
        found = found or self._unknown_system_code(r)
        if found is None:
            return
        day = self._day_of(r)
        if kind == "MedicationRequest":
            try:
                day = self._dosage_period(r)[0]  # the boundsPeriod start, else authoredOn
            except DataError:
                pass
        if day is None:
            return  # undated: the data note names it
        code, system = found
        if not held_under:  # a drug code sent under a known system no drug value set uses (ATC's under SNOMED CT)
            wrong = self._wrong_system_code(r)
            if wrong is not None and wrong[2][1] not in WRONG_SYSTEM_THERAPIES:
                return  # an immunoglobulin's (or a lab's) code under the wrong system: no therapy, named as what it is
            if wrong is not None:  # also beside a local code sent first: the code that tells what it is
                code, system, held_under = wrong[0], wrong[1], wrong[2][0]
        self._therapies.append(UnrecognisedTherapy(day, reference_of(r), "", "unknown-system", code[:40], system[:100],
                                                   held_under))

    def _name_unknown_system(self, r: Mapping[str, Any]) -> None:
        """A record that could matter (`CODE_READ_ON`) whose code is in no code system the rules know and that carries
        no text or display to tell what it is ("AB12" in http://hospital.dk/codes): named, "code X in system Y not
        recognised". One note per record type and system: the others of that type and system are counted in it, so a
        chart of 200 results under a laboratory's own system makes one note. A record with a text is judged by its
        text (`_unrecognised`); one with any coding in a known system was read by that coding. One that could be a
        CAR-T or bsAb record is also kept for its card (`_therapy_unknown_system`)."""
        found = self._unknown_system_code(r)
        if found is None or self._wrong_system_code(r) is not None:
            # a code the value sets hold under another known system tells more than a local code beside it ("TEC-1"
            # in a hospital's system, then L01FX24 under SNOMED CT): the record's system is to be corrected
            self._name_wrong_system(r)
            return
        self._therapy_unknown_system(r, found)
        self._diagnosis_unread(r, found, "unknown-system")
        if reference_of(r) in self._drafts_named:  # the draft being judged, sent in the chart too: named once, as a draft
            return
        kind = str(r.get("resourceType"))
        code, system = found
        key = (kind, system)
        message = (f"code {code[:40]!r} in system {(system or '(none)')[:100]!r}, which no value set uses, and no text: "
                   "not used (a site adds its local codes with CDS_VALUESET_DIR)")
        if key in self._unknown_systems:
            at, count = self._unknown_systems[key]
            self._unknown_systems[key] = (at, count + 1)
            self._notes[at] = replace(self._notes[at], message=self._notes[at].message.split("; and ", 1)[0]
                                      + f"; and {count} more {kind} record(s) in that system")
            return
        self._unknown_systems[key] = (len(self._notes), 1)
        self._notes.append(DataNote("code-system-unknown", reference_of(r), message,
                                    f"{code[:20]} ({system[:60] or 'no system'})", self._day_of(r)))

    def _name_wrong_system(self, r: Mapping[str, Any]) -> None:
        """A record that could matter (`CODE_READ_ON`) read by none of its codings, one of which is a code the value
        sets hold under another system than the known one it was sent under ("J15.1" or "BOQX1" under SNOMED CT): not
        counted, and named with that reason unless a note already names the record (by its text). One whose code is a
        CAR-T or bsAb code may be the index therapy: it is kept for its card, as one in an unknown system is."""
        found = self._wrong_system_code(r)
        if found is None:
            return
        code, system, (alias, valueset) = found
        if valueset in WRONG_SYSTEM_THERAPIES:
            self._therapy_unknown_system(r, (code[:40], system), alias)
        if reference_of(r) in self._drafts_named:  # the draft being judged, sent in the chart too: named once, as a draft
            return
        if valueset == "immunoglobulin-substitution" and r.get("resourceType") != "Observation" \
                and _str(r.get("status")) != "draft":  # an order not yet signed is no substitution
            # the patient may be on substitution: named first on any card, never as a plain code not used, nor as a
            # name not recognised by its code ("Privigen 10 g"), which says nothing of a substitution it may be
            ref = reference_of(r)
            named = [i for i, n in enumerate(self._notes) if n.source == ref]
            if all(self._notes[i].kind == "unrecognised-code" for i in named):
                note = DataNote("ig-wrong-system", ref, f"immunoglobulin code {code[:40]!r} sent under "
                                f"{self._system_name(system)[:100]}; the value set holds it under {alias} only: not "
                                "used, the patient may be on substitution",
                                f"{code[:20]} ({self._system_name(system)[:60]})", self._day_of(r))
                if named:  # in its place: a note's position is kept by others (`_unknown_systems`)
                    self._notes[named[0]] = note
                else:
                    self._notes.append(note)
            return
        if valueset == "haematological-malignancy":
            self._diagnosis_unread(r, (code, system), alias)
        ref = reference_of(r)
        if any(n.source == ref for n in self._notes):
            return
        self._notes.append(DataNote("code-wrong-system", ref, f"code {code[:40]!r} sent under "
                                    f"{self._system_name(system)[:100]}; the value set '{valueset}' holds it "
                                    f"under {alias} only: not used (is the system wrong?)",
                                    f"{code[:20]} ({self._system_name(system)[:60]})", self._day_of(r)))

    def _diagnosis_unread(self, r: Mapping[str, Any], found: tuple[str, str], unread: str) -> None:
        """A Condition with no name whose code could not be read (`unread`: "unknown-system", or the alias of the
        system a malignancy code belongs to, sent under another): it may be the malignancy that puts a CAR-T or bsAb
        patient in scope, so it is kept as a diagnosis not recognised, with the code and system seen. Without it a
        patient whose lymphoma is so coded got no card at all (the card for a malignancy known by name needs a name)."""
        if r.get("resourceType") != "Condition":
            return
        code, system = found
        self._diagnoses.append(UnrecognisedDiagnosis(reference_of(r), "", code[:40], self._system_name(system)[:100],
                                                     self._day_of(r), unread=unread))

    def _wrong_system_code(self, r: Mapping[str, Any]) -> tuple[str, str, tuple[str, str]] | None:
        """The first coding of a record that could matter whose code the value sets hold only under another system
        than the known one it was sent under: (code stripped, system, (that other system's alias, value set))."""
        held_elsewhere = getattr(self.t, "held_elsewhere", None)
        if held_elsewhere is None:
            return None
        read = self._code_that_could_matter(r)
        if read is None:
            return None
        for c in _codings(read[1]):
            system, code = c.get("system"), c.get("code")
            if not isinstance(system, str) or not isinstance(code, str) or not code.strip():
                continue
            elsewhere = held_elsewhere(system, code, WRONG_SYSTEM_VALUESETS)
            if elsewhere is not None:
                return code.strip(), system, elsewhere
        return None

    def _code_that_could_matter(self, r: Mapping[str, Any]) -> tuple[str, Any] | None:
        """(the element its code is read on, the concept) for a record that could matter (`CODE_READ_ON`): recorded
        (not entered in error, not refuted), and for an Observation a laboratory one when it has a category; None
        for any other record, whose code no note needs to name."""
        kind = str(r.get("resourceType"))
        element = CODE_READ_ON.get(kind)
        if element is None or _str(r.get("status")) in NOT_A_RECORD \
                or {_str(c.get("code")) for c in _codings(r.get("verificationStatus"))} & NOT_A_RECORD:
            return None
        if kind == "Observation" and _list(r.get("category")) and not any(
                _str(c.get("code")) in LAB_CATEGORIES for cat in _list(r.get("category")) for c in _codings(cat)):
            return None
        return element, r.get("code") if element == "code" else self._medication_concept(r)

    def _medication_concept(self, r: Mapping[str, Any]) -> Any:
        """A medication record's drug as `_medication` reads it, without counting a Medication not sent."""
        concept = r.get("medicationCodeableConcept")
        if concept is not None:
            return concept
        ref = _first(r, "medicationReference.reference")
        medication = self._referenced_medication(r, ref)[0] if isinstance(ref, str) else None
        return self._medication_code(medication) if medication is not None else None

    def _system_name(self, system: str) -> str:
        """A code system as a card names it: its alias in code-systems.json ("RXNORM") when it is one we know,
        else the URI as sent."""
        known = self.t.alias_for(system) if system else None
        return known[0] if known else system

    def _undated_therapy(self, r: Mapping[str, Any], kind: str, drug: str, recorded: str, *,
                         unreadable: bool = False) -> None:
        """A recognised CAR-T infusion or bsAb start whose date names no day ("2025-10", "2025", "oktober 2025"),
        or that carries no date at all (`recorded` ""): not an index event (the window cannot be placed), kept as a
        fact of its own and named in a data note. `unreadable`: a date no reader can take a day from ("18-11-2025",
        "2025-13-18"), which may name a day plainly to a clinician: said so, not "no day"."""
        earliest = latest = None
        try:
            earliest = self._date(recorded, allow_partial=True) if recorded else None
            latest = to_local_date(recorded, self.tz, allow_partial=True, partial_as_last_day=True) if recorded else None
        except DataError:
            pass  # words: no day to begin or end with
        self._undated.append(UndatedTherapy(reference_of(r), kind, drug[:80], _cut(recorded, 40), earliest, latest,
                                            unreadable=unreadable and bool(recorded)))
        what = "CAR-T infusion" if kind == "car-t-product" else "bispecific start"
        name = drug[:28] + ("…" if len(drug) > 28 else "")
        if not recorded:  # a different fault from a date with no day: there is no date to correct, only one to add
            self._notes.append(DataNote("therapy-no-date", reference_of(r), f"{what} recorded with no date at all: its "
                                        "window could not be placed, not used as an index event", name))
            return
        if unreadable:  # "18-11-2025" may name a day plainly to a reader: not "no day", a date in no form read
            self._notes.append(DataNote("therapy-date-unread", reference_of(r), f"{what} dated {recorded[:40]!r}, "
                                        "not a date that can be read: its window could not be placed, not used as an "
                                        "index event", f"{name}, {_cut(recorded, 20)}" if name else _cut(recorded, 20)))
            return
        self._notes.append(DataNote("therapy-undated", reference_of(r), f"{what} dated {recorded[:40]!r}, which names "
                                    "no day: its window could not be placed, not used as an index event",
                                    f"{name}, {recorded[:20]}" if name else recorded[:20], earliest))

    def _ig_dose_undated(self, r: Mapping[str, Any], concept: Any, why: str) -> None:
        """An immunoglobulin dose given (an administration, or a procedure under its SKS code) with no date: not
        placed in time, yet the patient may be on substitution. Named first on any card, never a plain "invalid"
        (as an immunoglobulin order that cannot be placed is)."""
        shown = _concept_text(concept) or next((str(c["code"]) for c in _codings(concept) if c.get("code")), "")
        self._notes.append(DataNote("ig-dose-undated", reference_of(r), f"{why}; the dose could not be placed in time "
                                    "and was not used", shown[:80]))

    def _bsab_drug(self, entry: Entry, concept: Any) -> str:
        """The bispecific's INN: the code's, unless the order's own text names another bispecific of the value set.

        ATC L01FX24 is teclistamab (WHO), but the German ATC-GM once gave it to mosunetuzumab: a card must
        not call a patient's Lunsumio "teclistamab" (value set bispecific-b-pc, purpose).
        """
        drug = str(entry.get("drug") or "")
        text = _texts(concept).lower()
        if not text or drug in text:
            return drug
        vs = self.t.valuesets.get("bispecific-b-pc")
        named = {str(e.get("drug")) for e in vs.entries if e.get("drug")} if vs is not None else set()
        return next((other for other in sorted(named) if other in text), drug)

    def _unrecognised_result(self, r: Mapping[str, Any], valued: bool = True) -> Produced:
        """A lab result under a code in no value set whose name is total IgG ("P-Immunglobulin G"), or a culture
        that grew something ("BLODDYRKNING(BAKTERIUM+FUNGUS),B") without the laboratory category: say so. A laboratory
        result named a culture: read it as one (the culture it gives).

        Every other result of the chart passes here too, so the name is looked up in the cached hints
        first; subclasses, CSF and urine IgG are not total IgG. A result with text components and no value of its
        own (`valued` False) is looked at as a culture only.
        """
        text = _concept_text(r.get("code"))
        found = self.t.hint_for(text) if text else None
        if found == "igg-serum" and valued and not any(m.get("not_total") for m in self.t.words_in(text, "igg-serum")):
            self._unrecognised(r, r.get("code"))
        elif found == "culture" and self._is_lab_result(r) and names_a_bacterial_culture(text):
            # A laboratory result named a culture ("Bloddyrkning", "Ekspektorat dyrkning") under a local code is read
            # as a culture (docs/clinical-logic.md, "A culture known by its name"): the same reading as a coded one,
            # its specimen from its name; the notes never decide growth there either.
            return self._culture(r, culture_by_name(self.t, text))
        elif found == "culture":
            # A culture that grew something could make an organism-unspecified infection bacterial (§7): named,
            # so the card that says "no positive culture" is not read alone. "Ingen vækst" is not named.
            # A text the reader cannot read ("Se journal") may be a growth too: named the same way.
            read = growth_in(self.t, self._culture_result_parts(r))
            if (read.grew or read.unread) and (self._interpretation(r) or self._components_interpretation(r)) != "negative":
                self._unrecognised(r, r.get("code"))
        return None

    @staticmethod
    def _is_lab_result(r: Mapping[str, Any]) -> bool:
        """Whether an Observation says it is a laboratory result (category `laboratory`)."""
        return any(_str(c.get("code")) in LAB_CATEGORIES for cat in _list(r.get("category")) for c in _codings(cat))

    def _day_of(self, resource: Mapping[str, Any]) -> date | None:
        """The day a resource is about (onset, order, dose or procedure date), for naming it; None when unreadable."""
        when = _first(resource, "onsetDateTime", "onsetPeriod.start", "onsetPeriod.end", "recordedDate",
                      "effectiveDateTime", *PERIOD_EFFECTIVE, "performedDateTime", *PERIOD_PERFORMED, "authoredOn")
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
                                            "day: read as having no end date", shown))
                return None
        day = to_local_date(value, self.tz, allow_partial=True, partial_as_last_day=True)
        self._notes.append(DataNote("date-partial", reference_of(r), f"planned end {value!r} names no day: read as "
                                    "its last day (the longest the order or record can run)", str(value), day))
        return day, True

    def _when(self, r: Mapping[str, Any]) -> date:
        when = r.get("effectiveDateTime")  # the usual field first; this runs for every IgG on record
        if when is None:
            when = _first(r, *PERIOD_EFFECTIVE, "effectiveInstant", "issued")
            if when is None:
                raise DataError("result has no effective date")
        return local_day(when, self.tz)

    def _timed(self, results: list[IgGResult], used: Mapping[str, Mapping[str, Any]]) -> list[IgGResult]:
        """Results with the instant they were taken where another result shares their day: only there
        does it order them, and parsing it for every result was a tenth of a 200-IgG chart's facts."""
        per_day = Counter([r.date for r in results])  # a list is counted in C
        if len(per_day) == len(results):
            return results
        return [IgGResult(r.value_g_l, r.date, r.source, r.comparator, r.reported, self._taken(used[r.source]),
                          r.component, r.panel)
                if per_day[r.date] > 1 else r for r in results]  # not `replace`: 5 times dearer, 25 a chart

    def _taken(self, r: Mapping[str, Any]) -> str:
        """When a result was taken, as a UTC instant ("" for a date alone; for a revision with a date alone its issue
        instant followed by "~", "~" alone with no `issued`), then when it was issued and "*" for a revision (amended, corrected; "~*" when it does not say when):
        the later of two results of one day is the most recent (a repeat after an unexpected value), and of two of the
        same sample time the one issued later (a corrected result beside its original: the correction is the answer).
        A revision dated by its day only stands at the instant it was issued (it corrects a sample taken before then,
        and a sample taken after it is the later word), and with no `issued` is the latest of its day (the
        laboratory's later word on a result of that day)."""
        when = r.get("effectiveDateTime")
        if when is None:
            when = _first(r, *PERIOD_EFFECTIVE, "effectiveInstant", "issued")
        # " " sorts before any instant: a result of a date alone stays before one of a time that day, whatever it was
        # issued; an amended or corrected result sent with no `issued` is taken as issued after its original, and of
        # two issued at once the amended or corrected one is the answer
        revised = _str(r.get("status")) in ("amended", "corrected")
        issued = self._utc(r.get("issued"))
        # a revision sent with its day only: at its issue, after every sample of that day taken before it and before
        # a repeat taken after it was issued (it cannot correct a sample not yet taken); with no `issued`, "~", which
        # sorts after any instant: the day's last word (a correction of a day's result cannot precede it)
        # "~" after the issue instant marks a sample time not given ("…T09:00:00~" sorts after "…T09:00:00")
        taken = self._utc(when) or (f"{issued}~" if revised else "")
        issued = issued or ("~" if revised else "")
        return f"{taken} {issued}{'*' if revised else ''}" if issued else taken

    def _utc(self, when: Any) -> str:
        """A dateTime with a time as a UTC instant "2026-01-10T13:00:00"; "" for a date alone or one not read."""
        if not isinstance(when, str) or len(when) <= 10:
            return ""
        try:
            moment = datetime.fromisoformat(when.replace("Z", "+00:00"))
        except ValueError:
            return ""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=self.tz)
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")

    # -- per resource type: the reference is made only for the few resources that are used ----
    def _patient(self, r: Mapping[str, Any]) -> Patient:
        birth = r.get("birthDate")
        born = to_local_date(birth, self.tz, allow_partial=True, partial_as_last_day=True) if birth else None
        first = to_local_date(birth, self.tz, allow_partial=True) if born is not None and _partial(birth) else None
        if born is not None and _partial(birth):  # the age at T0 (the child rule) may be a year off: say so
            self._notes.append(DataNote("date-partial", reference_of(r), f"birth date {birth!r} names no day: read as "
                                        "its last day (the youngest the patient can be)", str(birth), born))
        deceased, died = r.get("deceasedBoolean") is True, None
        if r.get("deceasedDateTime") is not None:
            died = self._date(r["deceasedDateTime"], allow_partial=True)
            deceased = True
        identifiers = tuple((i["system"], i["value"]) for i in _list(r.get("identifier"))
                            if isinstance(i, dict) and isinstance(i.get("system"), str) and isinstance(i.get("value"), str))
        return Patient(reference_of(r), born, deceased, died, identifiers, first)

    def _observation(self, r: Mapping[str, Any]) -> Produced:
        sets = self.t.sets_of(r.get("code"))
        if not sets and r.get("component"):
            part = self._component_result(r)
            if part is not None:
                return part
        if not sets:
            status = r.get("status")
            valued = r.get("valueQuantity") is not None or r.get("valueString") is not None \
                or r.get("valueCodeableConcept") is not None
            # a culture under a local code may carry its result in components only ("Mikroorganisme": "E. coli")
            if (valued or _component_texts(r)) and isinstance(status, str) and status in RESULT_STATUSES:
                by_name = self._unrecognised_result(r, valued)  # a total IgG, or a culture's organism, under a local code
                if by_name is not None:
                    return by_name
            return None
        status = r.get("status")
        if not isinstance(status, str) or status not in RESULT_STATUSES:
            if isinstance(status, str) and status in NOT_FINAL_STATUSES:  # a result on its way, or one its source cannot place: say so
                self._not_final(r, sets, status)
            return None  # preliminary, cancelled, entered-in-error: not a result
        igg = sets.get("igg-serum")
        if igg is not None:
            if not self.t.carried("igg-serum", igg, "Observation.code"):
                # An order code (SNOMED CT 45293001 "Immunoglobulin G measurement") names no specimen: on a result it
                # may be CSF IgG in mg/L, read as a near-zero serum IgG. Only a result code counts (carried_on).
                igg = self.t.entry_on("igg-serum", r.get("code"), "Observation.code")
                if igg is None:
                    raise DataError("its code is an IgG order code that names no specimen, not a serum/plasma IgG "
                                    "result code: not used as total IgG")
            try:
                return self._quantity(r, "igg", igg)
            except DataError as exc:
                # A total IgG the rules cannot read (a value as text "3,2", no unit, a unit not convertible, no date)
                # leaves the card saying "no usable IgG": the note names that IgG, as sent, with its day.
                when = _first(r, "effectiveDateTime", *PERIOD_EFFECTIVE)
                try:  # a date that names no day ("2026-01") is shown as sent, not as the month's first day
                    day = self._date(when) if isinstance(when, str) else None
                except DataError:
                    day = None
                shown = _value_as_sent(r) + (f", {when[:25]}" if day is None and isinstance(when, str) else "")
                self._notes.append(DataNote("igg-unreadable", reference_of(r), str(exc), display=shown, day=day))
                return None
        mprot = sets.get("m-protein")
        if mprot is not None:
            try:
                return self._quantity(r, "m_protein", mprot)
            except DataError as exc:
                # An M-protein the rules cannot read as an amount ("se kommentar", "<0,5" with no unit) is named with
                # its text; the type its code or text names still types the myeloma (an IgG kappa record read as
                # "type unknown" asked for an immunofixation the record answers).
                day = self._when(r)
                self._notes.append(DataNote("m-protein-unreadable", reference_of(r), str(exc),
                                            display=_value_as_sent(r), day=day))
                isotype = self._m_protein_isotype(r, mprot)
                return ("immunofixation", Immunofixation(day, reference_of(r), isotype,
                                                         m_protein_text=_value_as_sent(r)[:40])) if isotype else None
        if "immunofixation" in sets:
            text = _texts(r.get("valueCodeableConcept"), r.get("valueString"),
                          *[c.get("valueCodeableConcept") or c.get("valueString") for c in _list(r.get("component"))
                            if isinstance(c, dict)])
            negative = self._interpretation(r) == "negative" or says_negative(self.t, text) and not names_heavy_chain(self.t, text)
            return "immunofixation", Immunofixation(self._when(r), reference_of(r), "none" if negative else isotype_of(self.t, text))
        culture = sets.get("culture")
        if culture is not None:
            return self._culture(r, culture)
        return None

    def _not_final(self, r: Mapping[str, Any], sets: Mapping[str, Entry], status: str) -> None:
        """A result not final yet (registered, preliminary; a report partial) or whose status is unknown, of a kind
        that could change the advice, is named, not dropped in silence (clinical-rules §7): an IgG, an M-protein with a
        value, or a culture that names a bacterium grown (its final answer may verify an infection, §4.3)."""
        if "igg-serum" in sets:
            valued = r.get("valueQuantity") is not None or r.get("valueString") is not None
            # registered: no result yet (FHIR); one sent with a value anyway has a result not final, as a preliminary
            kind = "igg-status-unknown" if status == "unknown" else \
                "igg-registered" if status == "registered" and not valued else "igg-preliminary"
            self._notes.append(DataNote(kind, reference_of(r), f"IgG with status '{status}': not a final result, not "
                                        "used", day=self._day_of(r)))
            # the IgG a card would ask for is being measured: no second order; only under a result code (an order
            # code such as SNOMED CT 45293001 names no specimen: a CSF IgG registered must not spare the serum IgG)
            if status in IGG_ON_ITS_WAY and self.t.entry_on("igg-serum", r.get("code"), "Observation.code") is not None:
                try:
                    self._igg_pending.append(IgGPending(reference_of(r), self._when(r)))
                except DataError:
                    pass  # undated: nothing tells when it was ordered (a forgotten one would spare every order)
        elif "m-protein" in sets and (r.get("valueQuantity") is not None or r.get("valueString") is not None):
            self._notes.append(DataNote("m-protein-not-final", reference_of(r), f"M-protein with status '{status}': not "
                                        "a final result, not used", day=self._day_of(r)))
        elif "culture" in sets:
            self._culture_not_final(r, sets["culture"], status)

    def _culture_not_final(self, r: Mapping[str, Any], entry: Entry, status: str) -> None:
        """A culture (Observation or report) not final that names a bacterium grown: named with what it names; what
        else its reading would say (an unread text, a contaminant) is not, since the result is not used."""
        kept = len(self._notes)
        try:
            culture: Culture | None = self._culture(r, entry)[1]
        except DataError:
            culture = None
        del self._notes[kept:]
        if culture is not None and culture.positive and culture.bacterial:
            shown = culture.organism or _str(r.get("valueString")) or _concept_text(r.get("valueCodeableConcept"))
            self._notes.append(DataNote("culture-not-final", reference_of(r), f"culture with status '{status}' names a "
                                        "bacterium grown: not a final result, not counted", (shown or "?")[:80],
                                        culture.date))
            self._cultures_not_final[reference_of(r)] = sample_keys(r)

    def _superseded_cultures(self, cultures: list[Culture], used: Mapping[str, Mapping[str, Any]]) -> None:
        """A culture not final beside a final one of the same sample (`sample_keys`) is superseded, not unread: its
        note goes to the explanation page only (`culture-superseded`), the final one is what the card counts."""
        finals = [(c.source, sample_keys(used[c.source])) for c in cultures if c.source in used]
        for i, note in enumerate(self._notes):
            if note.kind != "culture-not-final" or note.source not in self._cultures_not_final:
                continue
            keys = self._cultures_not_final[note.source]
            final = next((source for source, theirs in sorted(finals) if same_sample(keys, theirs)), None)
            if final is not None:
                self._notes[i] = DataNote("culture-superseded", note.source, f"culture not final, superseded by the "
                                          f"final result {final} of the same sample: not counted", note.display,
                                          note.day)

    def _component_result(self, r: Mapping[str, Any]) -> Produced:
        """A panel sent as one Observation ("Immunoglobuliner": IgG, IgA, IgM as components) under a code no value
        set holds: its total IgG component (else an M-protein one) is read as that result, with the panel's status,
        date and subject. Left unread, the IgG was dropped without a word and the card asked for an IgG. A panel that
        also carries an M-protein component (a myeloma panel: total IgG and the IgG M-protein) gives that M-protein
        too (`_panel_parts`): read alone, the total hid a polyclonal IgG below the thresholds."""
        found = [(sets, c) for c in _list(r.get("component")) if isinstance(c, dict)
                 for sets in (self.t.sets_of(c.get("code")),) if "igg-serum" in sets or "m-protein" in sets]
        totals = [c for sets, c in found if "igg-serum" in sets][:1]  # the total IgG first
        parts = totals + [c for sets, c in found if "igg-serum" not in sets][:1]
        if not parts:
            return None
        panel = {key: value for key, value in r.items() if key not in ("code", "component") and not key.startswith("value")}

        def shaped(part: Mapping[str, Any]) -> dict[str, Any]:
            return {**panel, **{key: value for key, value in part.items() if key.startswith("value")},
                    "code": part.get("code")}

        panel_name = (_concept_text(r.get("code")) or _first_code(r.get("code")))[:COMPONENT_NAME]

        def named(part: Mapping[str, Any], produced: Produced) -> Produced:
            """The result read from `part`, naming the component and its panel (the explanation page shows both: the
            source is the panel's, and the panel carries IgA and IgM beside it)."""
            if produced is None or not isinstance(produced[1], (IgGResult, MProteinResult)):
                return produced
            name = (_concept_text(part.get("code")) or _first_code(part.get("code")))[:COMPONENT_NAME]
            return produced[0], replace(produced[1], component=name or "?", panel=panel_name)

        for part in parts[1:]:
            try:
                extra = named(part, self._observation(shaped(part)))
            except DataError as exc:
                self._notes.append(DataNote("invalid", reference_of(r), str(exc)))
                continue
            if extra is not None:
                self._panel_parts.append(extra)
        return named(parts[0], self._observation(shaped(parts[0])))

    def _quantity(self, r: Mapping[str, Any], slot: str, entry: Entry) -> tuple[str, IgGResult | MProteinResult]:
        when = r.get("effectiveDateTime")  # `_when`, without the call for the usual field (200 results a chart)
        day = local_day(when, self.tz) if when.__class__ is str else self._when(r)
        qty = r.get("valueQuantity")
        text = None
        if not isinstance(qty, dict):
            text = r.get("valueString")
            if not isinstance(text, str) or qty is not None:
                raise DataError("result has no valueQuantity")
            if slot == "m_protein":  # an M-protein found but not quantified, or none found
                said = m_protein_words(text)
                if said:
                    return "m_protein", MProteinResult(0.0, day, reference_of(r), self._m_protein_isotype(r, entry),
                                                       ">" if said == "trace" else "", reported=text.strip()[:40])
            qty = quantity_of_text(text)  # then read as the valueQuantity it stands for: one path for both
        value = qty.get("value")
        if value.__class__ is not int and value.__class__ is not float:  # bool is not a number here
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise DataError("valueQuantity.value is not a number")
        if value != value or value in _INFINITE:
            raise DataError("valueQuantity.value is not a finite number")
        unit = qty.get("code") or qty.get("unit")
        factor = self.t.unit_factors.get(unit) if isinstance(unit, str) else None
        if factor is None:
            raise DataError(f"unit {str(unit)[:20]!r} cannot be converted to g/L" if isinstance(unit, str) and unit
                            else "result has no unit")
        comparator = qty.get("comparator")
        comparator = comparator if isinstance(comparator, str) and comparator in COMPARATORS else ""  # {} is unhashable
        # as reported: a text as sent ("3,5 g/L"), a converted quantity with its unit ("350 mg/dL")
        reported = text.strip()[:40] if text is not None else f"{comparator}{value:g} {unit}" if factor != 1 else ""
        value = round(float(value) * factor, 6)  # a float, as after a conversion: "3.0 g/L" on the card
        if slot == "igg":
            return "igg", _igg_result(value, day, reference_of(r), comparator, reported)
        return "m_protein", MProteinResult(value, day, reference_of(r), self._m_protein_isotype(r, entry), comparator,
                                           reported=reported if text is not None else "")

    def _m_protein_isotype(self, r: Mapping[str, Any], entry: Entry) -> str:
        """The M-protein's type its code states (NPU28638 IgG kappa), else one its code's text, its components' values
        or its notes name ("P-M-komponent (IgG kappa)"); "" when none does."""
        return _isotype(entry.get("isotype")) or isotype_of(self.t, _texts(
            r.get("code"), *[c.get("valueCodeableConcept") or c.get("valueString") for c in _list(r.get("component"))
                             if isinstance(c, dict)], *[n.get("text") for n in _list(r.get("note")) if isinstance(n, dict)]))

    def _interpretation(self, r: Mapping[str, Any]) -> str:
        """'positive', 'negative', 'indeterminate' or '' from Observation.interpretation."""
        for concept in _list(r.get("interpretation")):
            entry = self.t.sets_of(concept).get("result-interpretation")
            if entry is not None:
                return str(entry.get("result") or "")
        return ""

    def _components_interpretation(self, r: Mapping[str, Any]) -> str:
        """A culture's interpretation coded on its finding components (not those named a comment), read as the
        Observation's is when the Observation codes none: 'positive' when one says positive ("Mikroorganisme" POS),
        'negative' when every finding component says negative (a NEG on the only one), else ''."""
        said = [self._interpretation(c) for c in _list(r.get("component"))
                if isinstance(c, dict) and not names_a_comment(_texts(c.get("code")))]
        if "positive" in said:
            return "positive"
        return "negative" if said and all(one == "negative" for one in said) else ""

    def _interpretation_in_words(self, r: Mapping[str, Any]) -> str:
        """'positive' or 'negative' from an interpretation given in words only ("Positiv", "Ingen vækst": the
        result-interpretation words, in `interpretation.text` or a coding's display outside the value set); ''
        when it names neither, or both."""
        text = _texts(*_list(r.get("interpretation")))
        found = self.t.words_in(text, "result-interpretation")
        said = {str(m.get("result")) for m in found}
        if len(said) != 1 or not said <= {"positive", "negative"}:
            return ""
        if said == {"positive"}:
            # A positive in words is one only when the text says nothing else: "Vækst af normal flora" or "Påvist:
            # se kommentar" names what grew or defers to a comment, and a positive read from it would count a
            # culture that grew flora (an infection not verified, §4.3); the result then decides.
            rest = text
            for m in sorted(found, key=lambda m: m.start, reverse=True):
                rest = rest[:m.start] + " " + rest[m.end:]
            if re.search(r"\w", rest):
                return ""
        return next(iter(said))

    def _culture(self, r: Mapping[str, Any], entry: Entry) -> tuple[str, Culture]:
        """A culture, read in a fixed order: whether it grew from the laboratory's interpretation (coded, else in
        words), else from its result; what grew from the organisms coded on the value and its components, the value's
        text, and the notes (`note[].text`) that name an organism or a growth or no-growth word (a note that names
        none is a comment on the sample: "Modtaget efter 48 timer"). Where the interpretation and the result
        disagree, the interpretation decides, and the card's data notes name the disagreement
        (docs/clinical-logic.md)."""
        day = self._when(r)
        concepts = [r.get("valueCodeableConcept")] + [c.get("valueCodeableConcept") for c in _list(r.get("component"))
                                                      if isinstance(c, dict)]
        # Every organism coded, on the value and on each component, and under each coding of a concept (mixed growth
        # coded as two codings): a concept whose own text says it did not grow ("no growth of S. aureus") is none.
        coded = [(e, o) for o in concepts if isinstance(o, dict) and not self._says_not_grown(o)
                 for e in self._organisms(o)]
        comments = [n["text"] for n in _list(r.get("note")) if isinstance(n, dict) and isinstance(n.get("text"), str)]
        # a component named a comment ("Svarkommentar": "Tidligere vækst af S. aureus") is read as a note is
        comments += _comment_component_texts(r)
        notes = [n for n in comments if culture_words(self.t, n)]
        # the comments, one text a line each: a laboratory sends a long comment a line a note ("Ingen vækst af" then
        # "Staphylococcus aureus"), as its lines are one text's, every line kept (a line that names nothing, "anaerobe
        # bakterier.", dropped would join the lines around it); the comments are their own statements, apart from the
        # result's texts (`joined`)
        comment = "\n".join(n for n in comments if n.strip()) if notes else ""
        # each text its own statements, never joined to the next (`joined`): the value's and each component's, then
        # the comments'
        value_parts = self._culture_result_parts(r)
        value_text = "\n".join(value_parts)
        text = "\n".join(t for t in (value_text, *notes) if t.strip())
        # A note is a comment, not the result: what it names ("Ring ved vækst af S. aureus", "Tidligere vækst af
        # Klebsiella (2024)", "Undersøgt for MRSA") never makes a culture grow (a growth read from a comment would
        # count an infection not verified, §4.3); one naming a bacterium grown is shown, not counted.
        readings: dict[tuple[str, ...], Growth] = {}

        def read(*parts: str) -> Growth:
            """Each text of this culture read once: without notes the whole text is the value's, read already."""
            if parts not in readings:
                readings[parts] = growth_in(self.t, parts)
            return readings[parts]

        growth = read(*value_parts)
        # a finding component's coded interpretation decides only a text the reader cannot read ("Svar ved
        # afdelingen" POS): beside a text it reads ("Ingen vækst", "Undersøgt for S. aureus") a POS may be another
        # test's or a control's on the same report, and would count a culture that grew nothing (§4.3); a NEG
        # decides as the Observation's would (no growth)
        components = self._components_interpretation(r)
        interpretation = self._interpretation(r) \
            or (components if components == "negative" or growth.unread and not coded else "") \
            or self._interpretation_in_words(r)
        verdict = bacterial_verdict([*(e.attributes for e, _ in coded), *growth.named])
        # a result that defers what grew to a comment ("Vækst: se kommentar") is read from the comments only where
        # they say something grew: one that names only what was looked for ("Undersøgt for S. aureus") or nothing
        # grown leaves the result unread, and named
        deferred = growth.deferred and not interpretation and bool(notes) and read(comment).grew
        if (interpretation == "positive" or deferred) and not verdict:
            # a positive interpretation whose result names no organism, or a result that defers what grew to a
            # comment: the notes may name what grew (a yeast only is no bacterial growth); beside an organism of
            # the result, a note's earlier finding is not this one's
            growth = read(*value_parts, comment)
            verdict = bacterial_verdict(growth.named)
        # a note's bacterium is shown whether it says this culture grew it or an earlier one ("Tidligere vækst af S.
        # aureus (2024)": never counted, but the clinician sees it)
        noted = bacterial_verdict([*read(comment).named, *read(comment).earlier]) == "bacterial" \
            if notes else False
        if interpretation in ("positive", "negative"):
            positive = interpretation == "positive"
        elif coded:
            positive = True
        else:  # a Danish culture reports the organism as text ("Escherichia coli"), or "Ingen vækst"
            positive = growth.grew and not only_defers(value_text) \
                and not (not growth.named and says_no_result(value_text)
                         and not any(m.get("result") == "positive"
                                     for m in self.t.words_in(value_text, "result-interpretation")))
        # A text that names no organism, no growth and no no-growth (nor defers or says no result: "Svar ved
        # afdelingen", "Prøven hæmolyseret", "Dolosigranulum pigrum"; beside only a "nothing else grew": "Aerococcus
        # urinae, ellers ingen vækst"), with nothing coded and no interpretation
        # to decide: not read, so no growth and no verification (§4.3), and named on the card (docs/clinical-logic.md).
        unread = growth.unread and not coded and interpretation not in ("positive", "negative") \
            and not only_defers(value_text) and not says_no_result(value_text)
        if entry.get("fungal_only"):
            bacterial = False
        elif verdict:
            bacterial = verdict == "bacterial"
        else:  # a growth of an organism no list knows: a bacterial culture's growth
            bacterial = positive
        shown = [o for e, o in coded if e.get("kind") == "bacterial" and not e.get("contaminant_often")] \
            if verdict == "bacterial" else [o for _, o in coded]
        # several texts (a component's, a note's) shown on one line: "Vækst / Staphylococcus aureus"
        organism = (_concept_text(shown[0])[:60] if shown else "") \
            or " / ".join(line.strip() for line in text.splitlines() if line.strip())[:60]
        if not entry.get("fungal_only"):
            # whether the text says nothing grew matters only beside a positive interpretation: read only then
            said_none = interpretation == "positive" and bool(text.strip()) and not coded \
                and not read(*value_parts, comment).grew and not read(*value_parts, comment).unread
            self._culture_conflict(r, interpretation, verdict == "bacterial" or noted, said_none, organism, day)
            if noted and interpretation != "negative" and not (positive and bacterial):
                self._notes.append(DataNote("culture-note-names-growth", reference_of(r), "a note names a bacterium "
                                            "grown, but the result does not: a comment, not counted",
                                            " / ".join(notes)[:60], day))
            elif unread:
                name = (_concept_text(r.get("code")) or entry.display or "").strip()
                shown_text = " / ".join(line.strip() for line in value_text.splitlines() if line.strip())
                self._notes.append(DataNote("culture-text-unread", reference_of(r), "the result's text names no "
                                            "organism the value sets know and no growth or no-growth word (or only "
                                            "'nothing else grew'): not read, "
                                            "not counted as a verified infection; the clinician reads the result",
                                            f"{name[:40]}: {shown_text}"[:120] if name else shown_text[:120], day))
            elif interpretation != "negative" and not (positive and bacterial) \
                    and bacterial_verdict(read(*value_parts).earlier) == "bacterial":
                # the result names a bacterium only in what it reads as a history ("Tidligere vækst af S. aureus",
                # "Telefoneret tidligere i dag: Vækst af S. aureus") beside a statement it reads ("MRSA ikke
                # påvist"): not counted, never silently; the clinician reads whether it is this culture's
                self._notes.append(DataNote("culture-result-names-earlier", reference_of(r), "the result names a "
                                            "bacterium only in a statement read as about an earlier culture: not "
                                            "counted", " / ".join(value_parts)[:120], day))
        if growth.contradicted and positive and bacterial and not interpretation and not coded:
            # one text says nothing grew ("Vækst": "Ingen"), another names a bacterium ("Mikroorganisme": "Escherichia
            # coli"): each its own statement, the organism identified is read as grown; the clinician sees both
            self._notes.append(DataNote("culture-fields-disagree", reference_of(r), "one of the result's texts says "
                                        "nothing grew, another names a bacterium grown: counted as grown",
                                        organism, day))
        if positive and verdict == "contaminant" and not entry.get("fungal_only"):
            self._notes.append(DataNote("culture-contaminant", reference_of(r), "the organism is often a "
                                        "contaminant (e.g. coagulase-negative staphylococci): not counted",
                                        organism, day))
        return "cultures", Culture(day, reference_of(r), positive, bacterial, str(entry.get("specimen") or "other"),
                                   organism)

    def _culture_result_parts(self, r: Mapping[str, Any]) -> list[str]:
        """A culture's result as texts: its value's (`valueString`, `valueCodeableConcept` text and displays), then
        each component's with a text or coded value, so the culture-text reader reads them as one report, each text
        its own statements and none joined to the next (a component "Vækst" and another "Staphylococcus aureus" grew
        S. aureus; "Vækst": "Ingen" over "Mikroorganisme": "Escherichia coli" is no "Ingen ... E. coli").
        Danish laboratories send a culture's findings as components ("Mikroorganisme": "Escherichia coli"). A
        component whose value names no organism ("Påvist", "Ingen vækst") while its code does ("Gær", "MRSA") is
        read with its code's name before it ("Gær: Påvist" grew a yeast, "MRSA: Ikke påvist" grew no MRSA), as a
        laboratory's report would print it, and so is one whose code names a bottle ("Anaerob flaske": "Ingen
        vækst" is about that bottle only); a code that names neither ("Organism identified") is not read.
        Consecutive components of one code are one field's text sent a line each (a report's lines, "Resultat":
        "Ikke" then "Resultat": "påvist"), read as the lines of one text, as a text's own lines are."""
        fields = [[_texts(r.get("valueString"), r.get("valueCodeableConcept"))]]  # each field's lines, joined once
        previous: Any = None
        for value, code in _component_texts(r):
            if code is not None and code == previous and len(fields) > 1:
                fields[-1].append(value)  # the same field's next line
                continue
            previous = code
            if not self._names_organism(value):
                name = _concept_text(code)
                if name and (self._names_organism(name) or names_a_bottle(name)):
                    value = f"{name}: {value}"
            fields.append([value])
        return [text for text in map("\n".join, fields) if text.strip()]

    def _names_organism(self, text: str) -> bool:
        """Whether a text names an organism or a marker the organism words know ("Gær", "MRSA", "ESBL")."""
        return any(m.valueset == "organism" for m in culture_words(self.t, text))

    def _culture_conflict(self, r: Mapping[str, Any], interpretation: str, grew_bacterium: bool, said_none: bool,
                          shown: str, day: date) -> None:
        """Name a culture whose interpretation says the opposite of its result: coded (or worded) negative beside a
        bacterium coded or named as grown (not counted), or positive beside a text that says nothing grew (counted).
        The interpretation decides (docs/clinical-logic.md); the clinician sees both."""
        if interpretation == "negative" and grew_bacterium:
            self._notes.append(DataNote("culture-negative-names-growth", reference_of(r), "interpretation negative, "
                                        "but the result names a bacterium grown: read as negative, not counted",
                                        shown, day))
        elif interpretation == "positive" and said_none:
            self._notes.append(DataNote("culture-positive-says-none", reference_of(r), "interpretation positive, "
                                        "but the result's text says nothing grew: read as positive", shown, day))

    def _organisms(self, concept: Mapping[str, Any]) -> list[Entry]:
        """The organism entry of every coding of a concept (two codings may be two organisms grown together)."""
        found = []
        for coding in _codings(concept):
            system, code = coding.get("system"), coding.get("code")
            if isinstance(system, str) and isinstance(code, str):
                organism = self.t.lookup("organism", system, code)
                if organism is not None and organism not in found:
                    found.append(organism)
        return found

    def _says_not_grown(self, concept: Mapping[str, Any]) -> bool:
        text = _texts(concept)
        if not text.strip():
            return False
        read = growth_in(self.t, text)  # a text the reader does not know ("S.aur") says nothing against the code
        return not read.grew and not read.unread

    def _procedure(self, r: Mapping[str, Any]) -> Produced:
        sets = self.t.sets_of(r.get("code"))
        # The infusion, coded as a procedure (SNOMED, SKS BOQX1, ICD-10-PCS, CPT) or as the product given (the
        # HCPCS Q-code a US hospital bills on the day of the dose, Q2041 Yescarta): either dates T0.
        entry = sets.get("car-t-procedure") or sets.get("car-t-product")
        if entry is not None and self._target_out_of_scope(r, entry, r.get("code"), "car-t"):
            return None
        ig = sets.get("immunoglobulin-substitution")
        bsab = None if entry is not None else sets.get("bispecific-b-pc")
        if bsab is not None and self._target_out_of_scope(r, bsab, r.get("code"), "bsab"):
            return None
        if bsab is not None:
            # A bispecific given, registered as its SKS treatment code (BOHJ19K1 blinatumomab, a Procedure):
            # a dose given that day, as a MedicationAdministration of it is (it may start the window).
            if _str(r.get("status")) in NOT_KNOWN_GIVEN:  # on hold, or status unknown: not known to be given
                self._not_known_given(r, "bsab", self._bsab_drug(bsab, r.get("code")) or _concept_text(r.get("code")))
                return None
            if _str(r.get("status")) not in ("completed", "stopped") or self._stopped_not_given(
                    r, "bsab", self._bsab_drug(bsab, r.get("code")) or _concept_text(r.get("code"))):
                return None
            when = _performed(r)
            drug = self._bsab_drug(bsab, r.get("code"))
            if when is None:  # given, on no day the record says: named as an undated therapy, never dropped
                words = _str(r.get("performedString"))
                self._undated_therapy(r, "bsab", drug or _concept_text(r.get("code")), (words or "").strip())
                return None
            try:
                day = self._date(when)
            except PartialDate as exc:
                self._undated_therapy(r, "bsab", drug or _concept_text(r.get("code")), exc.value)
                return None
            except DataError:  # a date no reader can take a day from ("18-11-2025"): as one written in words
                self._undated_therapy(r, "bsab", drug or _concept_text(r.get("code")), str(when).strip(),
                                 unreadable=True)
                return None
            self._bsab_stopped(r, drug or _concept_text(r.get("code")), day)
            return "bsab", BsAbExposure(drug, day, reference_of(r), day, administered=True)
        if entry is None and ig is not None:
            # Danish hospitals register immunoglobulin given as an SKS treatment code (BOHJ10B, a
            # Procedure): a dose given that day, as a MedicationAdministration would be (clinical rules §5).
            if _str(r.get("status")) not in ADMIN_STATUSES:
                return None
            when = _performed(r)
            if when is None:
                self._ig_dose_undated(r, r.get("code"), "completed immunoglobulin procedure has no performed date")
                return None
            return "ig_administrations", IgAdministration(self._date(when), reference_of(r),
                                                          PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""))
        if entry is None:
            if not sets:
                self._unrecognised(r, r.get("code"))
            return None
        if _str(r.get("status")) in NOT_KNOWN_GIVEN:  # on hold, or status unknown: not known to be given, named
            self._not_known_given(r, "car-t", str(entry.get("drug") or "") or _concept_text(r.get("code")))
            return None
        if _str(r.get("status")) not in CAR_T_PROCEDURE_STATUSES \
                or self._stopped_not_given(r, "car-t", str(entry.get("drug") or "") or _concept_text(r.get("code"))):
            return None  # preparation, in-progress, not-done, entered-in-error: not read as given
        drug = str(entry.get("drug") or "")
        when = _performed(r)
        if when is None:  # "oktober 2025" (performedString): given, but on no day the service can read; nothing: no date
            words = _str(r.get("performedString"))
            self._undated_therapy(r, "car-t-product", drug or _concept_text(r.get("code")), (words or "").strip())
            return None
        try:
            day = self._date(when)
        except PartialDate as exc:
            self._undated_therapy(r, "car-t-product", drug or _concept_text(r.get("code")), exc.value)
            return None
        except DataError:  # "18-11-2025": given, on a day no reader can take from it, as one written in words
            self._undated_therapy(r, "car-t-product", drug or _concept_text(r.get("code")), str(when).strip(),
                                 unreadable=True)
            return None
        self._car_t_stopped(r, drug or _concept_text(r.get("code")), day)
        return "car_t", CarTInfusion(day, reference_of(r), drug)

    def _car_t_orders_not_given(self) -> None:
        """CAR-T product orders completed while no infusion of any CAR-T is recorded (no Procedure, no
        MedicationAdministration, dated or not): T0 needs the infusion, so each is kept as an undated therapy (the
        patient-view card asks for the infusion record) and named in a data note."""
        for r, drug, day in self._car_t_ordered:
            self._undated.append(UndatedTherapy(reference_of(r), "car-t-product", drug[:80],
                                                day.isoformat() if day else "", day, day, ordered=True))
            self._notes.append(DataNote("car-t-order-no-infusion", reference_of(r), "CAR-T order completed, but no "
                                        "infusion is recorded: an order is not an infusion, not used as an index "
                                        "event", drug[:80], day))

    def _car_t_infusions_not_given(self) -> None:
        """CAR-T infusions recorded as stopped with a reason read as none given ("Ikke givet"), dated, while no
        infusion of any CAR-T is read: not T0, but a CAR-T record exists, so each is kept as a therapy the rules cannot
        place (the patient-view card says it was not read as an infusion and asks for the record to be checked),
        rather than the silence of a chart with no CAR-T at all. One whose date names no day (none, a month, words, a
        date no reader takes) gets the same card, with no day (`recorded` ""): never a day the record does not name."""
        self._not_given_kept(self._car_t_not_given, "car-t-product")

    def _not_given_kept(self, found: list[tuple[Mapping[str, Any], str, date | None, str]], kind: str) -> None:
        """CAR-T infusions (`kind` "car-t-product") or bispecific doses ("bsab") stopped with a reason read as none
        given, kept as therapies the rules cannot place, each with its day only where its date names one."""
        for r, drug, day, reason in found:
            written = _first(r, "performedDateTime", *PERIOD_PERFORMED, "effectiveDateTime", *PERIOD_EFFECTIVE)
            shown = day.isoformat() if day is not None and not _partial(written) else ""
            held = _str(r.get("status")) or "" if not reason else ""  # on hold or unknown: not known to be given
            self._undated.append(UndatedTherapy(reference_of(r), kind, drug[:80], shown, day, day,
                                                not_given=reason[:80], not_known_given=held))

    def _stopped_not_given(self, r: Mapping[str, Any], kind: str, drug: str = "") -> bool:
        """A CAR-T infusion (`kind` "car-t"), bispecific dose ("bsab") or immunoglobulin dose ("ig") stopped whose reason says nothing was given:
        not read as given, and named with the reason as sent, since words such as 'ikke givet hele dosis' or 'not
        started on time' may say some was given, and the card then stands on the record's absence. A CAR-T one is
        also kept (`drug`: its product, else its name), for the card that says no infusion was read
        (`_car_t_infusions_not_given`); a bispecific one the same, while no dose of one is read."""
        reason = _not_given_reason(r)
        if reason:
            day = self._day_of(r)
            self._notes.append(DataNote(f"{kind}-stopped-not-given", reference_of(r), "recorded as stopped with a "
                                        "reason read as nothing given: not used", reason[:80], day))
            if kind in ("car-t", "bsab"):
                (self._car_t_not_given if kind == "car-t" else self._bsab_not_given).append((r, drug, day, reason))
        return bool(reason)

    def _not_known_given(self, r: Mapping[str, Any], kind: str, drug: str) -> None:
        """A CAR-T infusion (`kind` "car-t") or bispecific dose ("bsab") recorded `on-hold` or `unknown`: FHIR says its
        actions were halted for now, or that the source does not know its status, and EHRs send a dose held (not given)
        as on hold. Not known to be given, so no T0 (§4.1: T0 from what happened), as an immunoglobulin dose so recorded
        is no dose given; named, and kept for the card that asks whether it was given where no other is read."""
        status, day = _str(r.get("status")) or "", self._day_of(r)
        what = "CAR-T infusion" if kind == "car-t" else "bispecific dose"
        self._notes.append(DataNote("car-t-not-known-given" if kind == "car-t" else "bsab-dose-not-known-given",
                                    reference_of(r), f"{what} with status {status!r}: not known to be given, not used",
                                    drug[:80], day))
        (self._car_t_not_given if kind == "car-t" else self._bsab_not_given).append((r, drug, day, ""))

    def _car_t_stopped(self, r: Mapping[str, Any], drug: str, day: date) -> None:
        """A CAR-T infusion recorded as stopped (halted before it was complete, after cells were given): used as the
        infusion, and the card's data notes say so, so that a clinician who knows it was not given can correct it."""
        if _str(r.get("status")) == "stopped":
            self._notes.append(DataNote("car-t-stopped", reference_of(r), "CAR-T infusion recorded as stopped before "
                                        "it was complete: cells were given, used as the infusion (T0)",
                                        drug[:80], day))

    def _bsab_stopped(self, r: Mapping[str, Any], drug: str, day: date) -> None:
        """A bispecific dose recorded as stopped (halted part-way, for CRS say): some was given, so the window opens
        on its day (§4.1: at the start of the bsAb), as a stopped CAR-T infusion dates T0; named in a data note, so
        that a clinician who knows none was given can correct it."""
        if _str(r.get("status")) == "stopped":
            self._notes.append(DataNote("bsab-dose-stopped", reference_of(r), "bispecific dose recorded as stopped "
                                        "before it was complete: read as given", drug[:80], day))

    def _target_out_of_scope(self, r: Mapping[str, Any], entry: Entry, concept: Any, kind: str) -> bool:
        """A CAR-T product (`kind` "car-t") or bispecific ("bsab") whose value-set entry names no B-cell or plasma-cell
        antigen as its target (guideline §4, `cql_like_rules.targets`): named in a data note, not used. The day a
        CAR-T product so directed was given is kept, so that its infusion procedure (which names no product) is not
        taken for an index event either."""
        target = str(entry.get("target") or "").strip()
        if in_scope_target(target):
            return False
        shown = (str(entry.get("drug") or "") or _concept_text(concept) or _first_code(concept))[:80]
        day = self._day_of(r)
        what = "CAR-T product" if kind == "car-t" else "bispecific antibody"
        if kind == "car-t" and day is not None and _str(r.get("status")) in CAR_T_GIVEN_STATUSES:
            self._out_of_scope_days.add(day)
        self._notes.append(DataNote(f"{kind}-target-out-of-scope", reference_of(r),
                                    f"{what} directed at {target[:20]}, not a B-cell or plasma-cell antigen: outside "
                                    "the guideline (§4), not used as an index event", shown, day))
        return True

    def _given_drug(self, r: Mapping[str, Any]) -> tuple[Any, Entry | None, Entry | None, Entry | None] | None:
        """(concept, CAR-T product, bsAb, Ig entry) of a drug given or taken, one of them set; None (a code no value
        set knows named as unrecognised) when it is none of the three."""
        concept = self._medication(r)
        sets = self.t.sets_of(concept)
        car_t = sets.get("car-t-product")
        if car_t is not None and self._target_out_of_scope(r, car_t, concept, "car-t"):
            return None
        bsab = None if car_t else sets.get("bispecific-b-pc")
        if bsab is not None and self._target_out_of_scope(r, bsab, concept, "bsab"):
            return None
        ig = None if car_t or bsab else sets.get("immunoglobulin-substitution")
        if car_t is None and bsab is None and ig is None:
            if not sets:
                self._unrecognised(r, concept)
            return None
        return concept, car_t, bsab, ig

    def _medication_administration(self, r: Mapping[str, Any]) -> Produced:
        given = self._given_drug(r)
        if given is None:
            return None
        concept, car_t, bsab, ig = given
        # a bsAb dose stopped is read as a stopped immunoglobulin dose is: halted part-way (CRS, say), some was given
        given_statuses = CAR_T_GIVEN_STATUSES if car_t is not None else IG_DOSE_STATUSES
        if _str(r.get("status")) not in given_statuses \
                or self._stopped_not_given(
                    r, "car-t" if car_t else "bsab" if bsab is not None else "ig",
                    (str(car_t.get("drug") or "") if car_t is not None else self._bsab_drug(bsab, concept)
                     if bsab is not None else "") or _concept_text(concept)):
            if ig is None and _str(r.get("status")) in NOT_KNOWN_GIVEN:  # a CAR-T infusion or bsAb dose: named
                self._not_known_given(r, "car-t" if car_t is not None else "bsab",
                                      (str(car_t.get("drug") or "") if car_t is not None
                                       else self._bsab_drug(bsab, concept) if bsab is not None else "")
                                      or _concept_text(concept))
            if ig is not None and _str(r.get("status")) in ("on-hold", "unknown"):  # it may have been given: named
                self._notes.append(DataNote("ig-dose-not-known-given", reference_of(r), "immunoglobulin administration "
                                            f"with status {_str(r.get('status'))!r}: not known to be given, not used",
                                            (_concept_text(concept) or _first_code(concept))[:80], self._day_of(r)))
            return None  # not-done, entered-in-error, on-hold; stopped with a reason read as nothing given
        when = _first(r, "effectiveDateTime", *PERIOD_EFFECTIVE)
        if when is None:  # given, on no day the record says: a CAR-T or bsAb is named as an undated therapy
            if car_t is not None:
                self._undated_therapy(r, "car-t-product", str(car_t.get("drug") or "") or _concept_text(concept), "")
                return None
            if bsab is not None:
                self._undated_therapy(r, "bsab", self._bsab_drug(bsab, concept) or _concept_text(concept), "")
                return None
            self._ig_dose_undated(r, concept, "administration has no effective date")
            return None
        try:
            day = self._date(when)
        except DataError as exc:  # no day ("2025-10"), or none a reader can take ("18-11-2025"): as words
            if car_t is None and bsab is None:
                raise
            drug = str(car_t.get("drug") or "") if car_t is not None else \
                self._bsab_drug(bsab, concept) if bsab is not None else ""
            self._undated_therapy(r, "car-t-product" if car_t is not None else "bsab", drug or _concept_text(concept),
                                  exc.value if isinstance(exc, PartialDate) else str(when).strip(),
                                  unreadable=not isinstance(exc, PartialDate))
            return None
        if car_t is not None:
            self._car_t_stopped(r, str(car_t.get("drug") or "") or _concept_text(concept), day)
            return "car_t", CarTInfusion(day, reference_of(r), str(car_t.get("drug") or ""))
        if bsab is not None:
            self._bsab_stopped(r, self._bsab_drug(bsab, concept) or _concept_text(concept), day)
            return "bsab", BsAbExposure(self._bsab_drug(bsab, concept), day, reference_of(r), day, administered=True)
        assert ig is not None  # one of the three is known (the test above)
        if _str(r.get("status")) == "stopped":  # read as given, as a stopped CAR-T infusion is: named, so it is checked
            self._notes.append(DataNote("ig-dose-stopped", reference_of(r), "immunoglobulin administration recorded as "
                                        "stopped before it was complete: read as given",
                                        (_concept_text(concept) or _first_code(concept))[:80], day))
        if self._other_indication(r, day):
            return "ig_other_use", IgCourse(day, "completed", reference_of(r), day,
                                            PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""))
        if not self._reasons(r) and (request := _request_ref(r.get("request"))):  # one with a reason of its own is read by it
            self._dose_orders[reference_of(r)] = request
        return "ig_administrations", IgAdministration(day, reference_of(r), PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""),
                                                      reason_given=bool(self._reasons(r)))

    def _other_indication(self, r: Mapping[str, Any], day: date) -> bool:
        """Immunoglobulin given for another reason than substitution: every `reasonCode` in `ig-other-indication`
        (high-dose IVIG for ITP, GBS ...). Named; it makes no substitution course (read as one, the start criterion
        in the window became 'a restart: Ig start not recommended'), and only its IgG washout counts (§3.4)."""
        reasons = self._reasons(r)
        if not reasons or not all(self._only_other_indication(c) for c in reasons):
            return False
        self._notes.append(DataNote("ig-other-indication", reference_of(r), "immunoglobulin given for another reason "
                                    "than substitution (immunomodulation): no substitution course, its washout kept",
                                    (_concept_text(reasons[0]) or _first_code(reasons[0]))[:80], day))
        return True

    def _reasons(self, r: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """An immunoglobulin record's reasons: its `reasonCode`s, and the code of each Condition its `reasonReference`
        names (IVIG for ITP referring to the ITP diagnosis was read as substitution: 'a restart: Ig start not
        recommended'). A reference to no Condition in the chart, or to one entered in error or refuted, is no reason
        (an ITP diagnosis entered in error made every substitution dose naming it immunomodulation: 'Ig may be
        started')."""
        found: list[Mapping[str, Any]] = [c for c in _list(r.get("reasonCode")) if isinstance(c, dict)]
        for ref in _list(r.get("reasonReference")):
            condition = self._conditions.get(_reference_to(ref, "Condition"))
            if condition is not None and isinstance(condition.get("code"), dict) and not (
                    {_str(c.get("code")) for c in _codings(condition.get("verificationStatus"))}
                    & EXCLUDED_VERIFICATION):
                found.append(condition["code"])
        return found

    def _only_other_indication(self, reason: Mapping[str, Any]) -> bool:
        """A reason in `ig-other-indication` whose every coding in the set's code systems is in it: one reason that
        also carries D80.1 (hypogammaglobulinaemia) beside D69.3 is not read as ITP alone (it left a patient on IVIG
        told 'Ig may be started'). A coding in another system (a SNOMED CT translation) neither adds nor takes away."""
        if not self.t.sets_of(reason).get("ig-other-indication"):
            return False
        systems = self.t.systems_of("ig-other-indication")
        for coding in _list(reason.get("coding")):
            if not isinstance(coding, dict) or not isinstance(coding.get("system"), str):
                continue
            alias = self.t.alias_for(coding["system"])
            if alias is not None and alias[0] in systems and coding.get("code") \
                    and not self.t.sets_of({"coding": [coding]}).get("ig-other-indication"):
                return False
        return True

    def _medication_request(self, r: Mapping[str, Any]) -> Produced:
        concept = self._medication(r)
        sets = self.t.sets_of(concept)
        if not sets:
            self._unrecognised(r, concept)
            return None
        status = _str(r.get("status"))
        intent = _str(r.get("intent"))
        plan = intent in PLAN_INTENTS
        bsab = sets.get("bispecific-b-pc")
        if bsab is not None and self._target_out_of_scope(r, bsab, concept, "bsab"):
            return None
        if bsab is not None:
            if status not in BSAB_ORDER_STATUSES:
                return None
            reason = _not_given_reason(r)
            if reason:  # stopped, its reason saying the drug was never started ("Behandling ikke påbegyndt"): no course
                self._notes.append(DataNote("bsab-order-not-started", reference_of(r), "bispecific order recorded as "
                                            "stopped with a reason read as never started: not used", reason[:80],
                                            self._day_of(r)))
                return None
            if plan:  # a plan of a bispecific is no first dose: named on the explanation page, never an index event
                self._notes.append(DataNote("request-not-an-order", reference_of(r), f"bispecific antibody request "
                                            f"with intent {str(intent)[:20]!r}: not an order, not used as an index event",
                                            (self._bsab_drug(bsab, concept) or _concept_text(concept))[:80],
                                            self._day_of(r)))
                return None
            try:
                start, end, _ = self._open_if_end_unread(r)  # a course of a set length ends by itself
            except NoStartDate:  # no start, no dose day, no authoredOn: an order with no date at all, named
                self._undated_therapy(r, "bsab", self._bsab_drug(bsab, concept) or _concept_text(concept), "")
                return None
            except PartialDate as exc:
                if exc.field not in ORDER_START_FIELDS:
                    raise  # not reached: an end with no day is read as its last day (`_order_end`)
                self._undated_therapy(r, "bsab", self._bsab_drug(bsab, concept) or _concept_text(concept),
                                      exc.value)
                return None
            except DataError:  # a start no reader can take a day from ("18-11-2025"): as one with no day
                unread = self._start_unread(r)
                if unread is None:
                    raise  # readable dates that do not fit together (an end before the start): invalid
                self._undated_therapy(r, "bsab", self._bsab_drug(bsab, concept) or _concept_text(concept), unread,
                                      unreadable=True)
                return None
            ongoing = status in ("active", "on-hold") and end is None
            return "bsab", BsAbExposure(self._bsab_drug(bsab, concept), start, reference_of(r), end, ongoing)
        ig = sets.get("immunoglobulin-substitution")
        course_status = IG_ORDER_STATUSES.get(status) if status is not None else None
        car_t = sets.get("car-t-product")
        if car_t is not None and ig is None and status == "completed" \
                and not self._target_out_of_scope(r, car_t, concept, "car-t"):
            # Never T0 (an order is not an infusion), but a completed one says the product was very likely given:
            # kept, and named on a card when no infusion is recorded (`_car_t_orders_not_given`). So is a plan or
            # proposal completed (FHIR: all it implied has occurred): the card asks for the infusion to be recorded.
            try:
                day: date | None = self._dosage_period(r)[0]  # the planned start, else authoredOn
            except DataError:
                day = self._day_of(r)
            self._car_t_ordered.append((r, str(car_t.get("drug") or "") or _concept_text(concept), day))
            return None
        if ig is not None and status == "unknown":  # the source does not know whether it runs: the patient may be on it
            self._notes.append(DataNote("ig-order-status-unknown", reference_of(r), "immunoglobulin order with status "
                                        "'unknown': not known whether it runs, not used",
                                        (_concept_text(concept) or _first_code(concept))[:80], self._day_of(r)))
            return None
        if ig is None or course_status is None:
            return None  # CAR-T product orders never date T0; draft/cancelled orders never happened
        try:
            # doses planned, or a length: the course ends with them; an end no reader can take a day from leaves it
            # open, named (`end-unread`), as a length nobody read does: its start says the patient may be on it
            start, end, assumed = self._open_if_end_unread(r)
        except DataError as exc:
            # Not placed in time, yet the patient may be on it: named first on any card, never a plain "invalid".
            shown = _concept_text(concept) or next((str(c["code"]) for c in _codings(concept) if c.get("code")), "")
            self._notes.append(DataNote("ig-order-undated", reference_of(r), f"{exc}; the order could not be "
                                        "placed in time and was not used", shown[:80], self._day_of(r)))
            return None
        authored = self._authored(r)
        unread = self._length_unread(r) if end is None else ""
        if unread:  # a length nobody could read leaves the course open-ended: said, not silently assumed
            self._notes.append(DataNote("ig-length-unread", reference_of(r), f"its length {unread!r} cannot be read; "
                                        "the course is taken as running with no end", unread, start))
        if not plan and self._other_indication(r, start):
            return "ig_other_use", IgCourse(start, course_status, reference_of(r), end,
                                            PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""), authored)
        return "ig_courses", IgCourse(start, course_status, reference_of(r), end, PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""),
                                      authored, end_assumed=assumed, intended=plan)

    def _condition(self, r: Mapping[str, Any]) -> Produced:
        sets = self.t.sets_of(r.get("code"))
        malignancy = sets.get("haematological-malignancy")
        infection = None if malignancy else sets.get("bacterial-infection")
        other = None if malignancy or infection else sets.get("infection-other")
        if malignancy is None and infection is None and other is None:
            if not sets:
                self._unrecognised(r, r.get("code"))
            return None
        verification = {c.get("code") for c in _codings(r.get("verificationStatus")) if isinstance(c.get("code"), str)}
        if verification & EXCLUDED_VERIFICATION:
            return None
        when = _first(r, "onsetDateTime", "onsetPeriod.start", "onsetPeriod.end", "recordedDate")
        if malignancy is not None:
            recorded = self._date(when, allow_partial=True) if when is not None else None
            return "diagnoses", Diagnosis(
                str(malignancy.code or malignancy.prefix), reference_of(r), bool(malignancy.get("myeloma")),
                _concept_text(r.get("code"))[:80], recorded,
            )
        in_words = _onset_in_words(r)  # onsetAge, onsetRange, onsetString: no calendar day
        if when is None:
            reason = (f"infection onset given only as {in_words!r}, not a date, and no recordedDate" if in_words
                      else "infection has no onset or recorded date")
            entry = infection or other
            if "confirmed" in verification and entry is not None and entry.get("organism") != "other":
                # a confirmed infection that could count (a sepsis, say) is named as the infection it is, with the
                # reason, not as "unusable data" (clinical-rules §7: seen but not counted is named)
                display = _concept_text(r.get("code"))[:80] or _first_code(r.get("code"))
                self._notes.append(DataNote("infection-undated", reference_of(r), f"{reason}: not placed in the "
                                            "look-back, not counted", display))
                return None
            raise DataError(reason)
        onset = self._date(when, allow_partial=True)
        display = _concept_text(r.get("code"))[:80] or _first_code(r.get("code"))  # a note names it even uncaptioned
        if "confirmed" not in verification:  # "verified" bacterial infections only (§4.1)
            self._notes.append(DataNote("infection-unconfirmed", reference_of(r), "the diagnosis is not confirmed "
                                        "(verificationStatus): not counted", display, onset))
            return None
        if _partial(when):  # counted from its first day: the 12-month look-back and "recurrent" may hinge on it
            self._notes.append(DataNote("date-partial", reference_of(r), f"infection onset {str(when)[:10]!r} names no "
                                        f"day: read as its first day ({display[:40]})", str(when)[:10], onset))
        elif in_words and _first(r, "onsetDateTime", "onsetPeriod.start", "onsetPeriod.end") is None:
            self._notes.append(DataNote("date-partial", reference_of(r), f"infection onset given only as {in_words!r}: "
                                        f"dated by its recordedDate ({display[:40]})", in_words, onset))
        entry = infection or other
        assert entry is not None  # a malignancy returned above
        severe = bool(entry.get("severe")) or "severity-severe" in self.t.sets_of(r.get("severity"))
        organism: Organism = "bacterial" if infection is not None else ORGANISMS.get(str(entry.get("organism")), "other")
        return "infections", Infection(onset, severe, reference_of(r), str(entry.code or entry.prefix),
                                       display, organism, self._abatement(r),
                                       str(entry.get("site") or ""),
                                       "" if severe else self._severity_words(r))

    def _severity_words(self, r: Mapping[str, Any]) -> str:
        """A severity given only in words ("Svær", under a local code): not read (only a coded one is, clinical-rules
        §5), but kept, so a card that calls the infection "not severe" can say why."""
        severity = r.get("severity")
        if not isinstance(severity, dict):
            return ""
        coded = any((self.t.alias_for(str(c.get("system"))) or ("",))[0] == "SNOMED" and isinstance(c.get("code"), str)
                    for c in _codings(severity))
        return "" if coded else _concept_text(severity).strip()[:40]

    def _abatement(self, r: Mapping[str, Any]) -> date | None:
        """The day an infection abated, when the EHR says so; an unreadable one is no reason to drop the infection."""
        when = _first(r, "abatementDateTime", "abatementPeriod.end", "abatementPeriod.start")
        try:
            return self._date(when, allow_partial=True) if isinstance(when, str) else None
        except DataError:
            return None

    # -- draft orders (order-select / order-sign) ----------------------------------------
    def draft_order(self, r: Mapping[str, Any]) -> DraftOrder | None:
        """The draft order's kind and planned dates, or None when the guideline has nothing to say."""
        if r.get("resourceType") != "MedicationRequest":
            return None
        sets = self.t.sets_of(self._medication(r))
        ref = reference_of(r)
        kinds = (("ig", "immunoglobulin-substitution"), ("bsab", "bispecific-b-pc"), ("car-t-product", "car-t-product"))
        for kind, valueset in kinds:
            entry = sets.get(valueset)
            if entry is None:
                continue
            if kind in ("car-t-product", "bsab") and not in_scope_target(entry.get("target")):
                return None  # directed at no B-cell or plasma-cell antigen: outside the guideline (§4), no window
            reasons = self._reasons(r)
            if kind == "ig" and reasons and all(self._only_other_indication(c) for c in reasons):
                return None  # drafted for ITP, GBS ... (`ig-other-indication`): immunomodulation, outside the guideline
            unread, partial = "", ""
            mark = len(self._notes)  # the notes reading its dates makes are the draft's (`build` starts afresh)
            try:
                start, end, _ = self._open_if_end_unread(r)
            except NoStartDate:
                start, end = None, None  # a draft may not be dated yet: it starts when signed
            except DataError as exc:  # dated, but not usably (an end before its start, a month with no day): judged
                start, end, unread = None, None, str(exc)  # as undated, and said
                partial = exc.value if isinstance(exc, PartialDate) else ""
            drug = PRODUCT_OF_ROUTE.get(str(entry.get("route")), "") if kind == "ig" else \
                self._bsab_drug(entry, self._medication(r)) if kind == "bsab" else str(entry.get("drug") or "")
            read_notes = tuple(self._notes[mark:])
            del self._notes[mark:]
            end_unread = next((n.display for n in read_notes if n.kind == "end-unread"), "")
            return DraftOrder(kind, ref, start, end, drug, dates_unread=unread, date_partial=partial,
                              length_unread=self._length_unread(r) if end is None else "", notes=read_notes,
                              end_unread=end_unread)
        return self._unrecognised_order(r, kinds)

    @staticmethod
    def therapies_drafted(orders: Iterable[DraftOrder]) -> tuple[TherapyOrderDraft, ...]:
        """The bsAb and CAR-T product orders among the draft orders judged (as `draft_order` read them)."""
        return tuple(TherapyOrderDraft(o.source, o.kind, o.drug, o.start) for o in orders
                     if o.kind in ("bsab", "car-t-product"))

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
        if events:  # read only when no boundsPeriod start dates the order
            start = events[0]
            if end is None and not any(isinstance(t.get("repeat"), dict) for t in timings):
                end = events[-1]
        if end is None:
            lengths = [n for n in (_bounds_length(t, self.t.duration_units, self.month_days) for t in timings) if n is not None]
            if not lengths:  # no bounds: dose counts place the last dose ("3 doses every 4 weeks"), when every
                # dosage line has one (a counted loading dose beside an open maintenance line does not end the order)
                counted = [_count_length(t, self.t.duration_units, self.month_days) for t in timings]
                lengths = [n for n in counted if n is not None] if all(n is not None for n in counted) else []
            if lengths:
                end = max(start + n for n in lengths)
        if end is not None and end < start:
            raise DataError(f"end date {end} before start date {start}")
        return Planned(start, end, assumed and end is not None)

    def _authored(self, r: Mapping[str, Any]) -> date | None:
        """The day an order was written (authoredOn; a month with no day its first), or None: one that cannot be read
        is not the order's start when its dosage gives one, and must not drop an order the patient may be on (its
        validation names it as a field not read)."""
        try:
            return self._date(r["authoredOn"], allow_partial=True) if isinstance(r.get("authoredOn"), str) else None
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

    def _unrecognised_draft_period(self, r: Mapping[str, Any]) -> tuple[date | None, date | None,
                                                                          tuple[DataNote, ...], str]:
        """A draft not recognised by its code: (start, end, the notes reading them made, an end not read, as sent).
        An end no reader can take a day from leaves the start read and is named: dropping both dates for it showed the
        draft as starting today ("from 2026-01-20" for one planned from 2026-02-20)."""
        mark = len(self._notes)
        try:
            start, end, _ = self._open_if_end_unread(r, self._dosage_period)
        except DataError:
            start, end = None, None
        notes = tuple(self._notes[mark:])  # the draft's, as a recognised draft's (`draft_order`)
        del self._notes[mark:]
        return start, end, notes, next((n.display for n in notes), "")

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

    def igg_order_drafted(self, r: Mapping[str, Any]) -> IgGOrderDraft | None:
        """A draft lab order for total serum/plasma IgG (any code of the IgG value set: LOINC, NPU ...),
        status draft or active, with the day it is planned for (else written); None for anything else."""
        if r.get("resourceType") != "ServiceRequest" or r.get("status") not in IGG_DRAFT_STATUSES:
            return None
        if "igg-serum" not in self.t.sets_of(r.get("code")):
            return None
        when = _first(r, "occurrenceDateTime", "occurrencePeriod.start", "authoredOn")
        try:
            day = self._date(when, allow_partial=True) if isinstance(when, str) else None
        except DataError:
            day = None  # an unreadable date does not make the lab order less drafted
        return IgGOrderDraft(reference_of(r), day)

    def _unrecognised_order(self, r: Mapping[str, Any], kinds: tuple[tuple[str, str], ...]) -> DraftOrder | None:
        """A draft whose name is an immunoglobulin, bsAb or CAR-T product but whose code is in no value set.

        It is not judged (a name is not a code), but the clinician signing it is told that it was
        not checked, instead of getting no card at all.
        """
        concept = self._medication(r)
        if concept is None and _reference_display(r):  # a Medication not sent, but named (Reference.display)
            concept = {"text": _reference_display(r)}
        hint_for = getattr(self.t, "hint_for", None)
        found = hint_for(_texts(concept)) if hint_for is not None else None
        looks_like = next((kind for kind, valueset in kinds if valueset == found), None)
        wrong = self._wrong_system_code(r)
        if looks_like is None or wrong is not None and wrong[2][1] in DRUG_VALUESETS:
            # a drug's code under another known system ("Privigen" J06BA02 under SNOMED CT) is for the EHR to correct,
            # not for the CDS team to add: its card says so, whatever the name (`_draft_unknown_system`)
            return self._draft_unknown_system(r)
        start, end, read_notes, end_unread = self._unrecognised_draft_period(r)
        coding = next((c for c in _codings(concept) if c.get("code")), None) if isinstance(concept, dict) else None
        code, system = "", ""
        if coding is not None:
            code = str(coding["code"])
            system = self._system_name(str(coding.get("system") or ""))
        return DraftOrder("unrecognised", reference_of(r), start, end, _concept_text(concept)[:80],
                          looks_like=looks_like, code=code[:40], code_system=system[:100], notes=read_notes,
                          end_unread=end_unread)


    def _draft_unknown_system(self, r: Mapping[str, Any]) -> DraftOrder | None:
        """A draft whose drug is coded only in a code system the service does not know, with no name: it could be an
        immunoglobulin, a bsAb or a CAR-T product, so it is not passed over as "not one of them" but named as not
        checked (`looks_like` "", `code_system` the URI as sent, for the site to add). With its card switched off
        (`unknown_system_draft_card`) it is still named, by the `code-system-unknown` data note a record in the chart
        coded so gets: never passed over in silence. Either way it is named once: the same draft sent in the chart
        too (a MedicationRequest search returns drafts) gets no second note there (`_drafts_named`)."""
        # a drug's code sent under another known system than its own (J06BA02 under SNOMED CT) tells what the draft
        # is, whatever name it has (one that names no drug: "Infusion 10 g") and whatever local code comes before it
        wrong = self._wrong_system_code(r)
        wrong = wrong if wrong is not None and wrong[2][1] in DRUG_VALUESETS else None
        found = (wrong[0], wrong[1]) if wrong is not None else self._unknown_system_code(r)
        if found is None:
            return None
        start, end, notes, end_unread = self._unrecognised_draft_period(r)
        code, system = found
        self._drafts_named.add(reference_of(r))
        if not self.unknown_system_draft_card:
            notes += (DataNote("code-system-unknown", reference_of(r),
                              f"draft order: code {code[:40]!r} in system {(system or '(none)')[:100]!r}, in which the "
                              "service reads no drug, and no name: not checked (its card is switched off, "
                              "unknown_system_draft_card)", f"{code[:20]} ({system[:60] or 'no system'})"),)
        held_under = wrong[2][0] if wrong is not None else ""  # the system whose code it is (ATC)
        name = _concept_text(self._medication(r))[:80] if wrong is not None else ""  # a name that names no drug
        return DraftOrder("unrecognised", reference_of(r), start, end, name, code=code[:40], code_system=system[:100],
                          notes=notes, held_under=held_under, end_unread=end_unread)


# resourceType -> handler(builder, resource) -> (fact slot, fact) or None. On the class, not the
# instance: bound methods kept on a builder would make it a reference cycle, freed only by the GC.
Handler = Callable[[FactBuilder, Mapping[str, Any]], Produced]
HANDLERS: dict[str, Handler] = {"Observation": FactBuilder._observation, "Procedure": FactBuilder._procedure,
            "MedicationAdministration": FactBuilder._medication_administration,
            "MedicationRequest": FactBuilder._medication_request, "Condition": FactBuilder._condition}
# The handlers whose facts can be an index event (CAR-T infusion, bsAb exposure): `has_index_event`.
INDEX_HANDLERS = {kind: HANDLERS[kind] for kind in ("Procedure", "MedicationAdministration", "MedicationRequest")}


# -- MedicationStatement: a drug taken, also one given elsewhere (docs/clinical-logic.md, "Medication records") ------
# FHIR R4 MedicationStatement.status: active (still being taken), completed (no longer taken), stopped (halted before
# all of it was taken) and on-hold (paused) say the drug was taken; intended (may be taken in the future) is a plan;
# not-taken and entered-in-error say it was not; unknown says neither.
STATEMENT_TAKEN = frozenset({"active", "completed", "stopped", "on-hold"})
STATEMENT_ENDED = frozenset({"completed", "stopped"})
THERAPY_STATUSES["MedicationStatement"] = set(STATEMENT_TAKEN)
THERAPY_KINDS["MedicationStatement"] = {"bsab", "car-t-product"}


def _medication_statement(b: FactBuilder, r: Mapping[str, Any]) -> Produced:
    """An immunoglobulin course, a bsAb course or a CAR-T infusion a medication record says was taken.

    Ig: a course from its start (effectivePeriod.start, or the day of effectiveDateTime) to its end (effectivePeriod.end;
    an ended record dated by one day ended that day), with the record's status as an order's; an intended one is a
    course planned. bsAb: a course begun on its start, as a recorded first dose is (`administered`). CAR-T: an infusion
    on its day. A record the rules cannot place is named, never dropped in silence.
    """
    given = b._given_drug(r)
    if given is None:
        return None
    concept, car_t, bsab, ig = given
    status = _str(r.get("status"))
    shown = (_concept_text(concept) or _first_code(concept))[:80]
    if status == "entered-in-error":
        return None
    if status not in STATEMENT_TAKEN and status != "intended":
        if ig is not None and status != "not-taken":  # unknown: the patient may be on it
            b._notes.append(DataNote("ig-statement-unread", reference_of(r), f"immunoglobulin record with status "
                                     f"{str(status)[:20]!r}: not known whether it was taken, not used", shown,
                                     b._day_of(r)))
        else:  # nothing taken, or a therapy not known to have been: shown on the explanation page only
            why = "not taken" if status == "not-taken" else "not known whether it was taken"
            b._notes.append(DataNote("statement-not-used", reference_of(r), f"medication record with status "
                                     f"{str(status)[:20]!r}: {why}, not used", shown, b._day_of(r)))
        return None
    when = r.get("effectiveDateTime")
    start_raw = when if when is not None else _first(r, "effectivePeriod.start")
    end_raw = _first(r, "effectivePeriod.end")
    if ig is not None:
        return _ig_statement(b, r, ig, str(status), start_raw, end_raw, shown)
    if status == "intended":
        return None  # a plan: a therapy dates T0 only once it has begun (clinical-rules §2)
    if car_t is not None:
        drug = str(car_t.get("drug") or "")
    else:
        assert bsab is not None  # neither Ig nor CAR-T (both returned above): a bispecific
        drug = b._bsab_drug(bsab, concept)
    kind = "car-t-product" if car_t is not None else "bsab"
    raw = start_raw if start_raw is not None or car_t is None else end_raw  # an infusion is one day: either date
    if not isinstance(raw, str):
        b._undated_therapy(r, kind, drug or shown, "")  # given, on no day the record says: named, never dropped
        return None
    try:
        day = b._date(raw)
    except PartialDate as exc:
        b._undated_therapy(r, kind, drug or shown, exc.value)
        return None
    except DataError:  # a date no reader can take a day from ("18-11-2025"): as one written in words
        b._undated_therapy(r, kind, drug or shown, raw.strip(), unreadable=True)
        return None
    if car_t is not None:
        if raw is start_raw and isinstance(end_raw, str) and _unreadable(b, end_raw):  # dated by its start: named
            b._notes.append(DataNote("malformed-field", reference_of(r), "malformed field(s) the rules do not read, "
                                     "ignored: effectivePeriod.end", "effectivePeriod.end"))
        return "car_t", CarTInfusion(day, reference_of(r), drug)
    end = _statement_end(b, r, end_raw)[0] if isinstance(end_raw, str) \
        else day if when is not None and status in STATEMENT_ENDED else None
    if end is not None and end < day:
        raise DataError(f"end date {end} before start date {day}")
    return "bsab", BsAbExposure(drug, day, reference_of(r), end, ongoing=status in ("active", "on-hold") and end is None,
                                administered=True)


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
    orders = frozenset(ref for ref in map(_request_ref, _list(r.get("basedOn")) + _list(r.get("derivedFrom"))) if ref)
    if orders:
        b._statement_orders[reference_of(r)] = orders
    if status == "intended":  # a plan: planned substitution while its start lies ahead, never a course taken
        return "ig_courses", IgCourse(start, "active", reference_of(r), end, PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""),
                                      asserted, end_assumed=assumed, intended=True)
    if b._other_indication(r, start):  # SCIG for CIDP on the list: immunomodulation, its washout kept, no course
        return "ig_other_use", IgCourse(start, IG_ORDER_STATUSES[status], reference_of(r), end,
                                        PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""), end_assumed=assumed)
    return "ig_courses", IgCourse(start, IG_ORDER_STATUSES[status], reference_of(r), end,  # STATEMENT_TAKEN, checked
                                  PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""),
                                  end_assumed=assumed, start_unrecorded=since_asserted)


def _reference_to(reference: Any, kind: str) -> str:
    """A reference as '{kind}/id' (relative, absolute or versioned), '' when it is not one to a `kind`."""
    ref = _first(reference, "reference") if isinstance(reference, dict) else None
    if not isinstance(ref, str):
        return ""
    parts = _unversioned(ref).rstrip("/").split("/")
    return "/".join(parts[-2:]) if len(parts) >= 2 and parts[-2] == kind else ""


def _request_ref(reference: Any) -> str:
    """A reference as 'MedicationRequest/id', '' when not one."""
    return _reference_to(reference, "MedicationRequest")


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
              and not b._reasons(used.get(c.source, {}))]
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


# -- DiagnosticReport: a culture reported as a report, and resource types no reader takes ----------------------------
# Value sets whose codes on a resource no reader takes are named (data the rules saw and did not use); result words,
# units and severities are not things of their own.
NAMED_VALUESETS = ("bacterial-infection", "infection-other", "haematological-malignancy", "immunoglobulin-substitution",
                   "bispecific-b-pc", "car-t-product", "car-t-procedure", "igg-serum", "m-protein", "immunofixation",
                   "culture")
NOT_NAMED_TYPES = frozenset({"Medication"})  # read through the orders and records that name them
_NOT_CONCEPTS = frozenset({"resourceType", "id", "meta", "text", "contained", "extension", "modifierExtension",
                           "identifier", "subject", "patient"})


def _not_read(b: FactBuilder, r: Mapping[str, Any], reports: list[Mapping[str, Any]]) -> None:
    """A resource of a type no handler reads: a DiagnosticReport is kept to be read after the Observations
    (`_read_reports`); any other is named when it carries a code of one of our value sets, else passed over."""
    kind = r.get("resourceType")
    if kind == "DiagnosticReport":
        reports.append(r)
    elif isinstance(kind, str) and kind not in NOT_NAMED_TYPES:
        _name_if_coded(b, r)


def _concepts(value: Any, depth: int = 0) -> Iterable[Mapping[str, Any]]:
    """The CodeableConcepts of a resource's elements, and of their elements one level down (Encounter.reasonCode,
    Encounter.hospitalization.admitSource, Claim.diagnosis[].diagnosisCodeableConcept)."""
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, dict):
            continue
        if isinstance(item.get("coding"), list):
            yield item
        elif depth < 2:
            for key, inner in item.items():
                if depth > 0 or key not in _NOT_CONCEPTS:
                    yield from _concepts(inner, depth + 1)


def _name_if_coded(b: FactBuilder, r: Mapping[str, Any]) -> None:
    """Name a resource no reader takes that carries a code of one of our value sets (an Encounter whose reason is a
    bacterial pneumonia): seen, not used. One note a resource; resources with no such code stay silent."""
    for concept in _concepts(r):
        sets = b.t.sets_of(concept)
        found = next((vs for vs in NAMED_VALUESETS if vs in sets), None)
        if found is None:
            continue
        when = _first(r, "period.start", "period.end", "issued")
        day = b._day_of(r)
        if day is None and isinstance(when, str):
            try:
                day = b._date(when, allow_partial=True)
            except DataError:
                day = None
        b._notes.append(DataNote("type-not-read", reference_of(r), f"{str(r.get('resourceType'))[:40]} is not a "
                                 f"resource type the rules read; its code of the value set '{found}' was not used",
                                 (_concept_text(concept) or _first_code(concept))[:80], day))
        return


def _observation_ref(reference: Any) -> str:
    """A report's result reference as 'Observation/id', '' when not one."""
    return _reference_to(reference, "Observation")


def _read_reports(b: FactBuilder, reports: list[Mapping[str, Any]], out: dict[str, list[Any]],
                  used: dict[str, Mapping[str, Any]]) -> None:
    """The culture reports, read after every Observation: a report whose result Observations were read as cultures
    is that culture already, and counts once."""
    if not reports:
        return
    cultured = {c.source for c in out["cultures"]}
    for r in reports:
        try:
            culture = _diagnostic_report(b, r, cultured)
        except DataError as exc:
            b._notes.append(DataNote("invalid", reference_of(r), str(exc)))
            continue
        if culture is not None:
            out["cultures"].append(culture)
            used[culture.source] = r


def _diagnostic_report(b: FactBuilder, r: Mapping[str, Any], cultured: set[str]) -> Culture | None:
    """A culture reported as a DiagnosticReport whose code is a culture code (value set culture): its conclusion read
    by the culture-text reader, its conclusionCode by the organism value set, as an Observation's value is. A report
    of anything else (PCR, antigen tests, imaging) is not read, only named when it carries one of our codes."""
    entry = b.t.sets_of(r.get("code")).get("culture")
    if entry is None:
        _name_if_coded(b, r)
        return None
    status = _str(r.get("status"))
    results = {ref for ref in map(_observation_ref, _list(r.get("result"))) if ref}
    if results & cultured:
        return None  # its Observations were read: the same culture, counted once
    conclusion = _str(r.get("conclusion")) or ""
    codes = [c for c in _list(r.get("conclusionCode")) if isinstance(c, dict)]
    if status not in REPORT_STATUSES:  # registered, partial, preliminary, cancelled, entered-in-error: not a result
        if status in NOT_FINAL_STATUSES and (conclusion.strip() or codes):
            shaped = {key: value for key, value in r.items() if key not in ("valueCodeableConcept", "component")}
            shaped.update(valueString=conclusion, component=[{"valueCodeableConcept": c} for c in codes],
                          interpretation=codes)
            b._culture_not_final(shaped, entry, str(status))
        return None
    if not conclusion.strip() and not codes:
        if results:
            b._notes.append(DataNote("report-results-not-sent", reference_of(r), "culture report with no conclusion "
                                     "whose result Observations were not sent: not read", _concept_text(r.get("code"))[:80],
                                     b._day_of(r)))
        return None
    shaped = {key: value for key, value in r.items() if key not in ("valueCodeableConcept", "component")}
    shaped.update(valueString=conclusion, component=[{"valueCodeableConcept": c} for c in codes], interpretation=codes)
    slot, culture = b._culture(shaped, entry)
    return culture


INDEX_HANDLERS["MedicationStatement"] = HANDLERS["MedicationStatement"] = _medication_statement
