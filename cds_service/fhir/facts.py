"""Raw FHIR R4 resources to typed facts, cheaply.

Only resources whose codes are in a value set become facts; everything else is ignored
without being parsed. The fields the rules use are read defensively: a selected resource
whose date, value or unit cannot be read is skipped and becomes a `DataNote`, never a
silent change of advice. Full model validation of the resources an advice relies on is
done afterwards (`validation.py`), so the cost does not grow with resources nobody uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from cql_like_rules.facts import (
    BsAbExposure,
    CarTInfusion,
    DataNote,
    Diagnosis,
    Facts,
    IgCourse,
    IgGResult,
    Infection,
    MProteinResult,
    Patient,
)
from cql_like_rules.orders import DraftOrder
from cql_like_rules.valuesets import Terminology

from ..errors import DataError
from .dates import to_local_date

RESULT_STATUSES = {"final", "amended", "corrected"}
BSAB_ORDER_STATUSES = {"active", "on-hold", "completed", "stopped"}
IG_ORDER_STATUSES = {"active", "on-hold", "completed", "stopped"}
ADMIN_STATUSES = {"completed", "in-progress"}
EXCLUDED_VERIFICATION = {"refuted", "entered-in-error"}


@dataclass
class Extraction:
    """The facts, plus the raw resources they came from (by reference)."""

    facts: Facts
    resources: dict[str, dict] = field(default_factory=dict)


def reference_of(resource: Mapping[str, Any]) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


def _codings(concept: Any) -> list[Mapping[str, Any]]:
    if not isinstance(concept, dict):
        return []
    codings = concept.get("coding")
    return [c for c in codings if isinstance(c, dict)] if isinstance(codings, list) else []


def _list(value: Any) -> list:
    """A JSON array, or nothing: malformed input must never crash the service."""
    return value if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _concept_text(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    for coding in _codings(concept):
        if coding.get("display"):
            return str(coding["display"])
    return str(concept.get("text") or "")


def _first(resource: Mapping[str, Any], *paths: str) -> Any:
    for path in paths:
        value: Any = resource
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            return value
    return None


class FactBuilder:
    """Builds `Facts` for one patient from raw resources (one instance per request)."""

    def __init__(self, terminology: Terminology, tz: ZoneInfo) -> None:
        self.t = terminology
        self.tz = tz
        self._medications: dict[Any, Mapping[str, Any]] = {}
        self._unresolved = 0

    def build(self, resources: Iterable[Mapping[str, Any]], notes: Iterable[DataNote] = ()) -> Extraction:
        out: dict[str, list] = {k: [] for k in ("igg", "m_protein", "car_t", "bsab", "ig_courses", "infections", "diagnoses")}
        patient: Patient | None = None
        all_notes = list(notes)
        used: dict[str, dict] = {}
        resources = list(resources)
        self.know_medications(resources)
        handlers = HANDLERS
        for resource in resources:
            kind = resource.get("resourceType")
            try:
                if kind == "Patient":
                    ref = reference_of(resource)
                    birth = resource.get("birthDate")
                    patient = Patient(ref, to_local_date(birth, self.tz, allow_partial=True, partial_as_last_day=True) if birth else None)
                    used[ref] = resource  # type: ignore[assignment]
                    continue
                handler = handlers.get(kind) if isinstance(kind, str) else None
                if handler is None:
                    continue
                produced = handler(self, resource)
            except DataError as exc:
                all_notes.append(DataNote("invalid", reference_of(resource), str(exc)))
                continue
            if produced is not None:
                slot, fact = produced
                out[slot].append(fact)
                used[fact.source] = resource  # type: ignore[assignment]
        if self._unresolved:
            all_notes.append(DataNote("unresolved-medication", f"{self._unresolved} medication order(s)",
                                      "refer to a Medication resource that was not sent; their drug could not be checked"))
        for course in out["ig_courses"]:
            if course.status in ("stopped", "completed") and course.end is None:
                all_notes.append(DataNote("unknown-end", course.source, "ended, end date not recorded"))
        facts = Facts(patient=patient, notes=tuple(all_notes), **{k: tuple(v) for k, v in out.items()})
        return Extraction(facts, used)

    def know_medications(self, resources: Iterable[Mapping[str, Any]]) -> None:
        """Medication resources that orders may refer to (sent by `_include` or in a Bundle)."""
        self._medications = {r.get("id"): r for r in resources if r.get("resourceType") == "Medication"}
        self._unresolved = 0

    # -- helpers -------------------------------------------------------------------------
    def _date(self, value: Any, *, allow_partial: bool = False):
        return to_local_date(value, self.tz, allow_partial=allow_partial)

    def _medication(self, resource: Mapping[str, Any]) -> Any:
        """The medication CodeableConcept, following a reference to a contained or sent Medication."""
        concept = resource.get("medicationCodeableConcept")
        if concept is not None:
            return concept
        ref = _first(resource, "medicationReference.reference")
        if not isinstance(ref, str):
            return None
        if ref.startswith("#"):
            for contained in _list(resource.get("contained")):
                if isinstance(contained, dict) and contained.get("id") == ref[1:]:
                    return contained.get("code")
            return None
        head, _, mid = ref.rpartition("/")
        medication = self._medications.get(mid) if head.endswith("Medication") else None
        if medication is None:
            self._unresolved += 1
            return None
        return medication.get("code")

    def _dosage_period(self, resource: Mapping[str, Any]):
        """(start, end) from the dosage bounds: earliest start, latest end (None if any is open)."""
        starts, ends, open_ended = [], [], False
        for dosage in _list(resource.get("dosageInstruction")):
            period = _first(dosage, "timing.repeat.boundsPeriod") if isinstance(dosage, dict) else None
            if not isinstance(period, dict):
                continue
            if period.get("start"):
                starts.append(self._date(period["start"]))
            if period.get("end"):
                ends.append(self._date(period["end"]))
            else:
                open_ended = True
        start = min(starts) if starts else None
        if start is None:
            if not resource.get("authoredOn"):
                raise DataError("no start date (dosage boundsPeriod.start or authoredOn)")
            start = self._date(resource["authoredOn"])
        end = None if open_ended or not ends else max(ends)
        if end is not None and end < start:
            raise DataError(f"end date {end} before start date {start}")
        return start, end

    # -- per resource type: the reference is made only for the few resources that are used ----
    def _observation(self, r: Mapping[str, Any]):
        sets = self.t.sets_of(r.get("code"))
        if not sets:
            return None
        igg = sets.get("igg-serum")
        mprot = None if igg else sets.get("m-protein")
        if igg is None and mprot is None:
            return None
        if _str(r.get("status")) not in RESULT_STATUSES:
            return None  # preliminary, cancelled, entered-in-error: not a result
        when = r.get("effectiveDateTime")  # the usual field first; this runs for every IgG on record
        if when is None:
            when = _first(r, "effectivePeriod.start", "effectiveInstant", "issued")
            if when is None:
                raise DataError("result has no effective date")
        day = self._date(when)
        qty = r.get("valueQuantity")
        if not isinstance(qty, dict):
            raise DataError("result has no valueQuantity")
        value = qty.get("value")
        if value.__class__ is not int and value.__class__ is not float:  # bool is not a number here
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise DataError("valueQuantity.value is not a number")
        unit = qty.get("code") or qty.get("unit")
        factor = self.t.unit_factors.get(unit) if isinstance(unit, str) else None
        if factor is None:
            raise DataError(f"unit {unit!r} cannot be converted to g/L")
        comparator = qty.get("comparator")
        if comparator is None and factor == 1:
            value, original = float(value), ""  # a float, as after a conversion: "3.0 g/L" on the card
        else:
            comparator = comparator if isinstance(comparator, str) else ""
            original = f"{comparator}{value:g} {unit}" if comparator or factor != 1 else ""
            value = value * factor
            if comparator in ("<", "<="):
                value -= 1e-6  # "<4 g/L" is below 4, not 4
            elif comparator in (">", ">="):
                value += 1e-6
        if igg is not None:
            return "igg", IgGResult(round(value, 6), day, reference_of(r), original)
        return "m_protein", MProteinResult(round(value, 6), day, reference_of(r), str(mprot.get("isotype", "unknown")))

    def _procedure(self, r: Mapping[str, Any]):
        entry = self.t.sets_of(r.get("code")).get("car-t-procedure")
        if entry is None or _str(r.get("status")) != "completed":
            return None  # planned, not-done, in-progress: no infusion yet
        when = _first(r, "performedDateTime", "performedPeriod.start")
        if when is None:
            raise DataError("completed CAR-T procedure has no performed date")
        return "car_t", CarTInfusion(self._date(when), reference_of(r), _concept_text(r.get("code")))

    def _medication_administration(self, r: Mapping[str, Any]):
        sets = self.t.sets_of(self._medication(r))
        car_t = sets.get("car-t-product")
        bsab = None if car_t else sets.get("bispecific-b-pc")
        if (car_t is None and bsab is None) or _str(r.get("status")) not in ADMIN_STATUSES:
            return None
        when = _first(r, "effectiveDateTime", "effectivePeriod.start")
        if when is None:
            raise DataError("administration has no effective date")
        day = self._date(when)
        if car_t is not None:
            return "car_t", CarTInfusion(day, reference_of(r), str(car_t.get("drug", "")) or _concept_text(self._medication(r)))
        return "bsab", BsAbExposure(str(bsab.get("drug", "")), day, reference_of(r), day)

    def _medication_request(self, r: Mapping[str, Any]):
        sets = self.t.sets_of(self._medication(r))
        if not sets:
            return None
        status = _str(r.get("status"))
        bsab = sets.get("bispecific-b-pc")
        if bsab is not None:
            if status not in BSAB_ORDER_STATUSES:
                return None
            start, end = self._dosage_period(r)
            ongoing = status in ("active", "on-hold") and end is None
            return "bsab", BsAbExposure(str(bsab.get("drug", "")), start, reference_of(r), end, ongoing)
        ig = sets.get("immunoglobulin-substitution")
        if ig is None or status not in IG_ORDER_STATUSES:
            return None  # CAR-T product orders never date T0; draft/cancelled orders never happened
        start, end = self._dosage_period(r)
        return "ig_courses", IgCourse(start, status, reference_of(r), end, _concept_text(self._medication(r)))

    def _condition(self, r: Mapping[str, Any]):
        sets = self.t.sets_of(r.get("code"))
        malignancy = sets.get("haematological-malignancy")
        infection = None if malignancy else sets.get("bacterial-infection")
        if malignancy is None and infection is None:
            return None
        verification = {c.get("code") for c in _codings(r.get("verificationStatus")) if isinstance(c.get("code"), str)}
        if verification & EXCLUDED_VERIFICATION:
            return None
        if malignancy is not None:
            when = _first(r, "onsetDateTime", "onsetPeriod.start", "recordedDate")
            recorded = self._date(when, allow_partial=True) if when is not None else None
            return "diagnoses", Diagnosis(
                str(malignancy.code or malignancy.prefix), reference_of(r), bool(malignancy.get("myeloma")),
                _concept_text(r.get("code")), recorded,
            )
        if "confirmed" not in verification:
            return None  # "verified" bacterial infections only (§4.1)
        when = _first(r, "onsetDateTime", "onsetPeriod.start", "recordedDate")
        if when is None:
            raise DataError("infection has no onset or recorded date")
        severe = bool(infection.get("severe")) or "severity-severe" in self.t.sets_of(r.get("severity"))
        return "infections", Infection(self._date(when, allow_partial=True), severe, reference_of(r), _concept_text(r.get("code")))

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
            try:
                start, end = self._dosage_period(r)
            except DataError:
                start, end = None, None  # a draft may not be dated yet: it starts when signed
            return DraftOrder(kind, ref, start, end, str(entry.get("drug", "")) or _concept_text(self._medication(r)))
        return None


# resourceType -> handler(builder, resource) -> (fact slot, fact) or None. On the class, not the
# instance: bound methods kept on a builder would make it a reference cycle, freed only by the GC.
HANDLERS = {"Observation": FactBuilder._observation, "Procedure": FactBuilder._procedure,
            "MedicationAdministration": FactBuilder._medication_administration,
            "MedicationRequest": FactBuilder._medication_request, "Condition": FactBuilder._condition}
