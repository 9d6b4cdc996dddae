"""Typed facts: the only input the rules see.

Facts are small frozen records with a date and the reference of the FHIR resource they
came from, so that every piece of advice can name its evidence. They are built from FHIR
by `cds_service.fhir.facts` (or by hand in tests); the rules never see JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

IndexKind = Literal["car-t", "bsab"]
CourseStatus = Literal["active", "on-hold", "stopped", "completed"]


@dataclass(frozen=True)
class IgGResult:
    """A total serum/plasma IgG result, already converted to g/L."""

    value_g_l: float
    date: date
    source: str
    original: str = ""  # the value as reported, e.g. "350 mg/dL"


@dataclass(frozen=True)
class MProteinResult:
    """A serum M-protein (paraprotein) result in g/L; isotype 'IgG' or 'unknown'."""

    value_g_l: float
    date: date
    source: str
    isotype: str = "unknown"


@dataclass(frozen=True)
class CarTInfusion:
    """A CAR-T infusion that happened (completed Procedure or administration)."""

    date: date
    source: str
    product: str = ""


@dataclass(frozen=True)
class BsAbExposure:
    """One order or administration of a B-cell/plasma-cell-directed bispecific antibody.

    `end` is known only for orders with a dosage bounds end; course starts are derived by
    the rules, not here.
    """

    drug: str
    start: date
    source: str
    end: date | None = None
    ongoing: bool = False  # an active order without an end date: exposure runs to today


@dataclass(frozen=True)
class IgCourse:
    """An immunoglobulin substitution order (IVIG/SCIG)."""

    start: date
    status: CourseStatus
    source: str
    end: date | None = None
    product: str = ""


@dataclass(frozen=True)
class Infection:
    """A confirmed bacterial infection diagnosis."""

    onset: date
    severe: bool
    source: str
    code: str = ""


@dataclass(frozen=True)
class Diagnosis:
    """A haematological malignancy diagnosis."""

    code: str
    source: str
    myeloma: bool = False
    display: str = ""
    recorded: date | None = None  # onset or recorded date, when the EHR sends one


@dataclass(frozen=True)
class Patient:
    """The patient: only what the rules need."""

    source: str
    birth_date: date | None = None


@dataclass(frozen=True)
class DataNote:
    """A data problem the cards must mention (skipped resource, wrong patient ...)."""

    kind: str  # "invalid" | "wrong-patient" | "unknown-end" | "unit" | ...
    source: str
    message: str


@dataclass(frozen=True)
class Facts:
    """Everything known about one patient, as typed facts."""

    patient: Patient | None = None
    igg: tuple[IgGResult, ...] = ()
    m_protein: tuple[MProteinResult, ...] = ()
    car_t: tuple[CarTInfusion, ...] = ()
    bsab: tuple[BsAbExposure, ...] = ()
    ig_courses: tuple[IgCourse, ...] = ()
    infections: tuple[Infection, ...] = ()
    diagnoses: tuple[Diagnosis, ...] = ()
    notes: tuple[DataNote, ...] = field(default=())
