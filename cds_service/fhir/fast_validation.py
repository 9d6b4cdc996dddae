"""A conservative fast accept for the common, plainly valid shapes of the decisive resources.

Validating a resource with the `fhir.resources` models costs 0.05-0.15 ms, most of it
fhir_core's Python validators run per nested element; on an in-scope chart that was half of
the request's CPU in process (docs/performance.md, item 9). Real charts send the same few
plain shapes again and again (a coded Observation with a quantity, a Condition with an onset
date), which plain Python can check exactly, far faster.

`plainly_valid` answers True only when it can prove that the model would accept the resource
without any error: every key is one this module models, with the element's type and
cardinality; required elements present; at most one element of a choice ("value[x]"); every
primitive within a stricter subset of what fhir_core accepts (a string non-empty, printable,
without leading or trailing space; an id of at most 64 characters; a dateTime of a real
calendar day with a zone when it has a time, years 1800-2999, no leap second; an integer a
plain JSON integer in range; a decimal a finite JSON number). Anything else, whether invalid
or merely not modelled (extensions, `_field` companions, contained resources, narrative, null,
empty lists or objects, an element type not listed here), gives False and the caller runs the
full validation, which also names what is wrong. It never needs to say "invalid". The tables
have no cycle (no Identifier.assigner), so what they accept is only a few levels deep: the
models recurse per level and give up on a reference nested some 60 levels deep.

The tables follow the R4B models of fhir.resources (element names, types, lists, required
elements and choice groups); `tests/test_fast_validation.py` checks them against the models
and compares the answer with the models' on every fixture, generated chart and thousands of
mutations of them.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any, Callable

# An element: its type (a primitive below or a complex type of _TYPES) and whether it repeats.
Element = tuple[str, bool]

_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
_URI = re.compile(r"[!-~]{1,4096}")  # printable ASCII, no space: fhir_core's uri is any string
_DATE = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?")
_TIME = re.compile(r"T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.[0-9]{1,6})?(?:Z|[+-]([0-9]{2}):([0-9]{2}))")
_DECIMAL = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_MAX_STRING = 100_000
_INT32 = 2**31


def _string(v: Any) -> bool:
    # fhir_core: a non-empty str matching `[ \r\n\t\S]+`; here also printable (no control or
    # surrogate characters, no other whitespace than a space) and without surrounding spaces.
    return (type(v) is str and 0 < len(v) <= _MAX_STRING and v.isprintable()
            and v[0] != " " and v[-1] != " ")


def _code(v: Any) -> bool:
    # fhir_core: `^[^\s]+(\s[^\s]+)*$`; a printable, stripped string has only spaces as
    # whitespace, so single spaces between tokens are all that is left to check.
    return _string(v) and "  " not in v


def _id(v: Any) -> bool:
    return type(v) is str and _ID.fullmatch(v) is not None


def _uri(v: Any) -> bool:
    return type(v) is str and _URI.fullmatch(v) is not None


def _day(v: str) -> tuple[bool, int]:
    """Whether `v` starts with a plausible date (YYYY, YYYY-MM or a real YYYY-MM-DD); its length."""
    m = _DATE.match(v)
    if m is None:
        return False, 0
    year, month, day = m.groups()
    if not 1800 <= int(year) <= 2999:
        return False, 0
    if month is not None and not 1 <= int(month) <= 12:
        return False, 0
    if day is not None:
        try:
            date(int(year), int(month), int(day))
        except ValueError:
            return False, 0
    return True, m.end()


def _date(v: Any) -> bool:
    if type(v) is not str:
        return False
    ok, end = _day(v)
    return ok and end == len(v)


def _time_at(v: str, start: int, whole_day: bool) -> bool:
    """A time with seconds and a zone (no leap second, offset within ±14:00) from `start` to the end."""
    if not whole_day:
        return False
    m = _TIME.match(v, start)
    if m is None or m.end() != len(v):
        return False
    hour, minute, second, off_h, off_m = m.groups()
    if int(hour) > 23 or int(minute) > 59 or int(second) > 59:
        return False
    if off_h is not None:
        if int(off_m) > 59 or int(off_h) > 14 or (int(off_h) == 14 and off_m != "00"):
            return False
    return True


def _datetime(v: Any) -> bool:
    if type(v) is not str:
        return False
    ok, end = _day(v)
    if not ok:
        return False
    return end == len(v) or _time_at(v, end, end == 10)


def _instant(v: Any) -> bool:
    if type(v) is not str:
        return False
    ok, end = _day(v)
    return ok and end == 10 and _time_at(v, end, True)


def _decimal(v: Any) -> bool:
    if type(v) is int:
        return -10**15 < v < 10**15
    if type(v) is float:
        return math.isfinite(v) and abs(v) < 1e15 and _DECIMAL.fullmatch(str(v)) is not None
    return False


def _integer(v: Any) -> bool:
    return type(v) is int and -_INT32 <= v < _INT32


def _positive_int(v: Any) -> bool:
    return type(v) is int and 1 <= v < _INT32


def _unsigned_int(v: Any) -> bool:
    return type(v) is int and 0 <= v < _INT32


def _boolean(v: Any) -> bool:
    return type(v) is bool


_PRIMITIVES: dict[str, Callable[[Any], bool]] = {
    "string": _string, "markdown": _string, "code": _code, "id": _id, "uri": _uri, "canonical": _uri,
    "date": _date, "dateTime": _datetime, "instant": _instant, "decimal": _decimal, "integer": _integer,
    "positiveInt": _positive_int, "unsignedInt": _unsigned_int, "boolean": _boolean,
    "resourceType": lambda v: True,  # only at a resource's top level, already matched to its table
}

def _e(**elements: str) -> dict[str, Element]:
    """Elements as name="type" or name="type*" (a list)."""
    return {name: (t.rstrip("*"), t.endswith("*")) for name, t in elements.items()}


# Complex datatypes and backbone elements, only with the elements charts use (R4B).
_TYPES: dict[str, dict[str, Element]] = {
    "Meta": _e(versionId="id", lastUpdated="instant", source="uri", profile="canonical*", security="Coding*",
               tag="Coding*"),
    "Coding": _e(system="uri", version="string", code="code", display="string", userSelected="boolean"),
    "CodeableConcept": _e(coding="Coding*", text="string"),
    "Reference": _e(reference="string", type="uri", identifier="Identifier", display="string"),
    # No `assigner`: Reference.identifier.assigner.identifier... would nest without end, and the
    # models' validators recurse ~8 Python frames per level (RecursionError at ~60 levels). With
    # no cycle in these tables, what is accepted here is at most a few levels deep.
    "Identifier": _e(use="code", type="CodeableConcept", system="uri", value="string", period="Period"),
    "Period": _e(start="dateTime", end="dateTime"),
    "Quantity": _e(value="decimal", comparator="code", unit="string", system="uri", code="code"),
    "HumanName": _e(use="code", text="string", family="string", given="string*", prefix="string*",
                    suffix="string*", period="Period"),
    "Address": _e(use="code", type="code", text="string", line="string*", city="string", district="string",
                  state="string", postalCode="string", country="string", period="Period"),
    "ContactPoint": _e(system="code", value="string", use="code", rank="positiveInt", period="Period"),
    "Annotation": _e(authorReference="Reference", authorString="string", time="dateTime", text="markdown"),
    "ObservationReferenceRange": _e(low="Quantity", high="Quantity", type="CodeableConcept",
                                    appliesTo="CodeableConcept*", text="string"),
    "Dosage": _e(sequence="integer", text="string", patientInstruction="string", timing="Timing",
                 asNeededBoolean="boolean", site="CodeableConcept", route="CodeableConcept",
                 method="CodeableConcept", doseAndRate="DosageDoseAndRate*"),
    "DosageDoseAndRate": _e(type="CodeableConcept", doseQuantity="Quantity", rateQuantity="Quantity"),
    "Timing": _e(event="dateTime*", repeat="TimingRepeat", code="CodeableConcept"),
    "TimingRepeat": _e(boundsPeriod="Period", count="positiveInt", countMax="positiveInt", duration="decimal",
                       durationMax="decimal", durationUnit="code", frequency="positiveInt",
                       frequencyMax="positiveInt", period="decimal", periodMax="decimal", periodUnit="code"),
    "MedicationAdministrationDosage": _e(text="string", site="CodeableConcept", route="CodeableConcept",
                                         method="CodeableConcept", dose="Quantity", rateQuantity="Quantity"),
}

_RESOURCE = _e(resourceType="resourceType", id="id", meta="Meta")
# The resource types whose facts decide the advice (validation.USED), with the elements charts use.
_RESOURCES: dict[str, dict[str, Element]] = {
    "Patient": _RESOURCE | _e(
        identifier="Identifier*", active="boolean", name="HumanName*", telecom="ContactPoint*", gender="code",
        birthDate="date", deceasedBoolean="boolean", deceasedDateTime="dateTime", address="Address*",
        maritalStatus="CodeableConcept", generalPractitioner="Reference*", managingOrganization="Reference"),
    "Condition": _RESOURCE | _e(
        identifier="Identifier*", clinicalStatus="CodeableConcept", verificationStatus="CodeableConcept",
        category="CodeableConcept*", severity="CodeableConcept", code="CodeableConcept",
        bodySite="CodeableConcept*", subject="Reference", encounter="Reference", onsetDateTime="dateTime",
        onsetPeriod="Period", onsetString="string", abatementDateTime="dateTime", abatementPeriod="Period",
        abatementString="string", recordedDate="dateTime", recorder="Reference", asserter="Reference",
        note="Annotation*"),
    "Procedure": _RESOURCE | _e(
        identifier="Identifier*", basedOn="Reference*", partOf="Reference*", status="code",
        statusReason="CodeableConcept", category="CodeableConcept", code="CodeableConcept", subject="Reference",
        encounter="Reference", performedDateTime="dateTime", performedPeriod="Period", performedString="string",
        recorder="Reference", asserter="Reference", location="Reference", reasonCode="CodeableConcept*",
        reasonReference="Reference*", bodySite="CodeableConcept*", outcome="CodeableConcept",
        note="Annotation*", usedCode="CodeableConcept*", usedReference="Reference*"),
    "Observation": _RESOURCE | _e(
        identifier="Identifier*", basedOn="Reference*", partOf="Reference*", status="code",
        category="CodeableConcept*", code="CodeableConcept", subject="Reference", encounter="Reference",
        effectiveDateTime="dateTime", effectivePeriod="Period", effectiveInstant="instant", issued="instant",
        performer="Reference*", valueQuantity="Quantity", valueCodeableConcept="CodeableConcept",
        valueString="string", valueBoolean="boolean", valueInteger="integer", valueDateTime="dateTime",
        valuePeriod="Period", dataAbsentReason="CodeableConcept", interpretation="CodeableConcept*",
        note="Annotation*", bodySite="CodeableConcept", method="CodeableConcept", specimen="Reference",
        referenceRange="ObservationReferenceRange*", derivedFrom="Reference*"),
    "MedicationRequest": _RESOURCE | _e(
        identifier="Identifier*", status="code", statusReason="CodeableConcept", intent="code",
        category="CodeableConcept*", priority="code", doNotPerform="boolean",
        medicationCodeableConcept="CodeableConcept", medicationReference="Reference", subject="Reference",
        encounter="Reference", authoredOn="dateTime", requester="Reference", recorder="Reference",
        reasonCode="CodeableConcept*", reasonReference="Reference*", note="Annotation*",
        dosageInstruction="Dosage*"),
    "MedicationAdministration": _RESOURCE | _e(
        identifier="Identifier*", partOf="Reference*", status="code", statusReason="CodeableConcept*",
        category="CodeableConcept", medicationCodeableConcept="CodeableConcept",
        medicationReference="Reference", subject="Reference", context="Reference", effectiveDateTime="dateTime",
        effectivePeriod="Period", reasonCode="CodeableConcept*", request="Reference", note="Annotation*",
        dosage="MedicationAdministrationDosage"),
    "MedicationStatement": _RESOURCE | _e(
        identifier="Identifier*", basedOn="Reference*", partOf="Reference*", status="code",
        statusReason="CodeableConcept*", category="CodeableConcept", medicationCodeableConcept="CodeableConcept",
        medicationReference="Reference", subject="Reference", context="Reference", effectiveDateTime="dateTime",
        effectivePeriod="Period", dateAsserted="dateTime", informationSource="Reference", derivedFrom="Reference*",
        reasonCode="CodeableConcept*", reasonReference="Reference*", note="Annotation*", dosage="Dosage*"),
    "DiagnosticReport": _RESOURCE | _e(
        identifier="Identifier*", basedOn="Reference*", status="code", category="CodeableConcept*",
        code="CodeableConcept", subject="Reference", encounter="Reference", effectiveDateTime="dateTime",
        effectivePeriod="Period", issued="instant", performer="Reference*", resultsInterpreter="Reference*",
        specimen="Reference*", result="Reference*", conclusion="string", conclusionCode="CodeableConcept*"),
}

# Elements the models require (a required primitive may instead carry an extension in its
# `_field` companion, which is never accepted here).
_REQUIRED: dict[str, tuple[str, ...]] = {
    "Observation": ("status", "code"),
    "Procedure": ("status", "subject"),
    "Condition": ("subject",),
    "MedicationRequest": ("status", "intent", "subject"),
    "MedicationAdministration": ("status", "subject"),
    "MedicationStatement": ("status", "subject"),
    "DiagnosticReport": ("status", "code"),
    "Annotation": ("text",),
}

# Choice elements ("value[x]"): at most one of each group; `True` when one is required.
_CHOICES: dict[str, tuple[tuple[tuple[str, ...], bool], ...]] = {
    "Patient": ((("deceasedBoolean", "deceasedDateTime"), False),),
    "Condition": ((("onsetDateTime", "onsetPeriod", "onsetString"), False),
                  (("abatementDateTime", "abatementPeriod", "abatementString"), False)),
    "Procedure": ((("performedDateTime", "performedPeriod", "performedString"), False),),
    "Observation": ((("effectiveDateTime", "effectivePeriod", "effectiveInstant"), False),
                    (("valueQuantity", "valueCodeableConcept", "valueString", "valueBoolean", "valueInteger",
                      "valueDateTime", "valuePeriod"), False)),
    "MedicationRequest": ((("medicationCodeableConcept", "medicationReference"), True),),
    "MedicationAdministration": ((("medicationCodeableConcept", "medicationReference"), True),
                                 (("effectiveDateTime", "effectivePeriod"), True)),
    "MedicationStatement": ((("medicationCodeableConcept", "medicationReference"), True),
                            (("effectiveDateTime", "effectivePeriod"), False)),
    "DiagnosticReport": ((("effectiveDateTime", "effectivePeriod"), False),),
    "Annotation": ((("authorReference", "authorString"), False),),
}


Check = Callable[[Any], bool]


def _object_check(kind: str, elements: dict[str, tuple[Check, bool]]) -> Check:
    """A check of one complex type or resource: its elements (filled in by `_compile`), then
    its required elements and choice groups."""
    required = _REQUIRED.get(kind, ())
    choices = _CHOICES.get(kind, ())

    def check(obj: Any) -> bool:
        if type(obj) is not dict or not obj:
            return False
        for key, v in obj.items():
            element = elements.get(key)
            if element is None:
                return False
            test, many = element
            if many:
                if type(v) is not list or not v:
                    return False
                for item in v:
                    if not test(item):
                        return False
            elif not test(v):
                return False
        for key in required:
            if key not in obj:
                return False
        for group, needed in choices:
            present = sum(1 for key in group if key in obj)
            if present > 1 or (needed and present == 0):
                return False
        return True

    return check


def _compile() -> dict[str, Check]:
    """The tables as nested checks, a function per type: no look-up by type name per value
    (~10% less time than walking the tables)."""
    resolved: dict[str, dict[str, tuple[Check, bool]]] = {}
    checks: dict[str, Check] = dict(_PRIMITIVES)
    for kind in list(_TYPES) + list(_RESOURCES):
        resolved[kind] = {}
        checks[kind] = _object_check(kind, resolved[kind])
    for kind, elements in (_TYPES | _RESOURCES).items():
        resolved[kind].update({name: (checks[t], many) for name, (t, many) in elements.items()})
    return {kind: checks[kind] for kind in _RESOURCES}


_CHECKS = _compile()


def plainly_valid(resource: Any) -> bool:
    """True only if the R4B model surely accepts `resource` with no error; False: not known."""
    if type(resource) is not dict:
        return False
    kind = resource.get("resourceType")
    if type(kind) is not str:
        return False
    check = _CHECKS.get(kind)
    return check is not None and check(resource)
