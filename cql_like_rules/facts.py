"""Typed facts: the only input the rules see.

Facts are small frozen records with a date and the reference of the FHIR resource they
came from, so that every piece of advice can name its evidence. They are built from FHIR
by `cds_service.fhir.facts` (or by hand in tests); the rules never see JSON. Facts carry
what the data says, not what it means: plausibility, course boundaries, culture evidence
and the like are decided by the rules, with their [policy] parameters.
"""

from __future__ import annotations

import dataclasses
import logging
import types
import typing
from dataclasses import dataclass, field
from datetime import date
from typing import Literal, Union

log = logging.getLogger("cql_like_rules.facts")

IndexKind = Literal["car-t", "bsab"]
CourseStatus = Literal["active", "on-hold", "stopped", "completed"]
Organism = Literal["bacterial", "unspecified", "other"]
if typing.TYPE_CHECKING:  # a text's cut ([:80]); `slice` takes no parameters at run time before Python 3.12
    Cut = slice[typing.SupportsIndex | None, typing.SupportsIndex | None, typing.SupportsIndex | None]
else:
    Cut = slice
Day = date  # a field's type where a field of its class is named `date`


# A fact field the explanation page shows (stored in the snapshot's facts) that the card's machine-readable trace leaves
# out (cds_service/cards/trace.py): provenance for a reader, no input to the rules.
PAGE_ONLY = {"trace": False}


class RecordText(str):
    """Words as the EHR wrote them (a concept's text or display: "Behandling med CAR-T-celler"), not the service's
    own (a value set's INN, a code): wherever a card, a note or a page puts one into a sentence it is quoted, so a
    reader tells the record's words from the service's. A cut of it (`[:80]`) stays one; any other change of it
    (`.lower()`, an f-string) is plain text again."""

    __slots__ = ()

    def __getitem__(self, key: typing.SupportsIndex | Cut) -> str:
        part = str.__getitem__(self, key)
        return RecordText(part) if isinstance(key, slice) else part


@dataclass(frozen=True)
class IgGResult:
    """A total serum/plasma IgG result in g/L (the bound, when reported with a comparator)."""

    value_g_l: float
    date: date
    source: str
    comparator: str = ""  # "<", "<=", ">", ">=" as reported ("<4.0 g/L": below the measuring range)
    reported: str = ""  # the value as reported when it was converted, e.g. "350 mg/dL"
    taken: str = ""  # "2026-01-10T13:00:00 2026-01-10T15:20:00*": the UTC instants it was taken ("" for a date alone; for an amended or corrected result sent with its day only, its issue instant followed by "~", or "~" alone) and issued, "*" for an amended or corrected result, when another result shares its day: orders one day's results
    # read from a component of a panel Observation: the component's name (else its code), as sent, and the panel's;
    # for the explanation page (stored with the facts), not in the card's trace (PAGE_ONLY)
    component: str = field(default="", metadata=PAGE_ONLY)
    panel: str = field(default="", metadata=PAGE_ONLY)

    def below(self, threshold: float) -> bool:
        """Certainly below `threshold`, decided on the reported bound: "<4" and "3.9" are below 4; "<=4", "4",
        ">3.9" and "<6" are not (the last two: `indeterminate`)."""
        if self.comparator in (">", ">="):
            return False  # a lower bound never proves a value below anything
        return self.value_g_l < threshold or (self.value_g_l == threshold and self.comparator == "<")

    def indeterminate(self, threshold: float) -> bool:
        """The reported bound cannot tell which side of `threshold` the value lies: ">3.9" or "<6.0" against 4."""
        if self.comparator in (">", ">="):
            return self.value_g_l < threshold  # ">4.5" is not below 4; ">3.9" may or may not be
        if self.comparator in ("<", "<="):
            return not self.below(threshold)  # "<6.0" against 4, "<=4.0" against 4
        return False


@dataclass(frozen=True)
class MProteinResult:
    """A serum M-protein (paraprotein) quantity in g/L; isotype as the result itself states it."""

    value_g_l: float
    date: date
    source: str
    isotype: str = ""  # "IgG", "IgA", "IgM", "IgD", "light-chain" or "" (not stated)
    comparator: str = ""  # "<", "<=", ">", ">=" as reported ("<1.0 g/L": below the measuring range)
    component: str = field(default="", metadata=PAGE_ONLY)  # read from a panel's component, as IgGResult.component
    panel: str = field(default="", metadata=PAGE_ONLY)
    # the text as sent when the laboratory sent the result as text: "1,2 g/L", "<1 g/L"; "spor" (found, not
    # quantified: value 0.0 with comparator ">"), "Ikke påvist" (none found: value 0.0)
    reported: str = ""

    @property
    def unquantified(self) -> bool:
        """Found but not quantified ("spor", or a bound ">0"): polyclonal IgG is below the total by an unknown amount."""
        return self.comparator in (">", ">=") and self.value_g_l == 0.0

    @property
    def none_found(self) -> bool:
        """No M-protein found ("Ikke påvist", "Negativ", 0 g/L): it names no type the myeloma has."""
        return self.value_g_l == 0.0 and not self.comparator


@dataclass(frozen=True)
class Immunofixation:
    """A serum immunofixation: which immunoglobulin the M-protein is ("none" when no M-protein was
    found, "" when unreadable). Also an M-protein result whose amount could not be read but whose code or text names
    its type (NPU28638 "IgG kappa" sent as "se kommentar"): it types the myeloma as an immunofixation does."""

    date: date
    source: str
    isotype: str = ""
    # that M-protein result's text as sent ("se kommentar"): the explanation page names the row an M-protein whose
    # type alone was read, not an immunofixation no one did; "" for an immunofixation
    m_protein_text: str = field(default="", metadata=PAGE_ONLY)
    # that text is the service's, not the record's words: "—" for a result with no value, a code with no text
    m_protein_text_ours: bool = field(default=False, metadata=PAGE_ONLY)


@dataclass(frozen=True)
class CarTInfusion:
    """A CAR-T infusion that happened (completed Procedure or administration)."""

    date: date
    source: str
    product: str = ""  # the product's INN when the code names one
    # a medication record's dateAsserted: the day it was written, before which it cannot have been read, however
    # early the infusion it tells of (clinical rules §5, "as of" a date)
    asserted: Day | None = None


@dataclass(frozen=True)
class UnrecognisedTherapy:
    """A recorded CAR-T or bispecific therapy known only by its name: its code is in no value set.

    Not an index event (a name is not a code), but a patient-view card says the criteria could not be
    applied, instead of nothing at all. `looks_like` is "bsab" or "car-t-product".
    """

    date: date
    source: str
    display: str
    looks_like: str
    code: str = ""
    code_system: str = ""
    # a code the value sets hold under another known system than the one it was sent under ("BOQX1" under SNOMED CT):
    # that system's alias ("SKS"); "" for a code in a system not known at all (`looks_like` "unknown-system" either way)
    held_under: str = ""
    # its date as written when it names no day ("2025-11", "2025"): `date` is then the first day it can mean, which the
    # card never shows as if it were the day given
    recorded: str = ""
    # the day its medication record was asserted or its order written: not read before it (clinical rules §5)
    written: Day | None = None
    # the therapy value set one of its codes is in while another is one that set excludes as something else (a CAR-T
    # infusion coded also as the cell harvest): not read as either; its card asks for the coding to be corrected
    disagree: str = ""
    # its code names a class of the set's drugs and not which one (SKS BOHJ19K, any bispecific T-cell engager, also
    # one the guideline does not cover): its card asks which drug was given
    class_code: bool = False


@dataclass(frozen=True)
class UnrecognisedDiagnosis:
    """A Condition whose text names a haematological malignancy (or, in `Facts.infections_by_name`, a bacterial
    infection) but whose code is in no value set.

    Not a diagnosis the rules count (a name is not a code), so the criteria are not applied; but a patient with a
    recognised CAR-T or bsAb gets a card saying so and naming the code to add, instead of nothing at all.
    """

    source: str
    display: str
    code: str = ""
    code_system: str = ""
    recorded: date | None = None
    # a Condition with no name whose code could not be read: "" (it has a name), "unknown-system" (its only codes are
    # in systems no value set uses), "not-listed" (a SNOMED CT code no value set holds: the malignancy sets hold SNOMED
    # CT by curated expansions) or the alias of the system a malignancy value set holds its code under ("SKS"), the
    # code sent under another known one ("DC833" under SNOMED CT)
    unread: str = ""

    @property
    def sources(self) -> tuple[str, ...]:  # evidence of the card that names it
        return (self.source,)


@dataclass(frozen=True)
class UndatedTherapy:
    """A recognised CAR-T infusion or bispecific start (its code is in the value sets, its status says it happened)
    whose date names no day: "2025-10", "2025", or words only ("oktober 2025", `performedString`).

    Not an index event (the window cannot be placed), but a patient-view card says so and asks for the day.
    `recorded` is the date as the record gives it; `earliest` and `latest` the first and last day it can mean
    (None for words). `looks_like` is "bsab" or "car-t-product" (as for `UnrecognisedTherapy`); `drug` the
    product's INN, else the record's name.
    """

    source: str
    looks_like: str
    drug: str
    recorded: str
    earliest: date | None = None
    latest: date | None = None
    ordered: bool = False  # a CAR-T order completed with no infusion recorded: `earliest` its planned day
    unreadable: bool = False  # a date no reader can take a day from ("18-11-2025", "2025-13-18"): not one with no day
    # a CAR-T infusion or bispecific dose recorded as stopped with a reason read as none given ("Ikke givet"), as sent:
    # `earliest` its day
    not_given: str = ""
    # a CAR-T infusion or bispecific dose recorded `on-hold` or `unknown` (not known to be given), its status: `earliest`
    # its day
    not_known_given: str = ""
    # a record named as a CAR-T or bsAb whose code is in no value set (a local code, or one under the wrong system) and
    # that carries no date: its code and system as sent ("" for none), and the alias of the system the value sets
    # hold the code under when it was sent under the wrong one
    code_unread: bool = False
    code: str = ""
    code_system: str = ""
    held_under: str = ""
    # the day its medication record was asserted or its order written: not read before it (clinical rules §5)
    written: Day | None = None
    # a record with no date whose codes disagree (one in this therapy value set, another one the set excludes, as for
    # `UnrecognisedTherapy.disagree`): `code` and `code_system` are its therapy coding's; its card asks for both fixes
    disagree: str = ""
    # `drug` is the record's name (a `RecordText`), not the product's INN: the explanation page, which reads the fact
    # back from JSON, quotes it as the card does; set by itself from the type
    drug_as_written: bool = field(default=False, metadata=PAGE_ONLY)

    def __post_init__(self) -> None:
        if isinstance(self.drug, RecordText) and not self.drug_as_written:
            object.__setattr__(self, "drug_as_written", True)


@dataclass(frozen=True)
class BsAbExposure:
    """One order or administration of a B-cell/plasma-cell-directed bispecific antibody.

    `end` is known only for orders with a dosage bounds end; course starts are derived by
    the rules, not here. `administered` marks a recorded dose (MedicationAdministration).
    """

    drug: str
    start: date
    source: str
    end: date | None = None
    ongoing: bool = False  # an active order without an end date: exposure runs to today
    administered: bool = False
    asserted: date | None = None  # a medication record's dateAsserted, as above
    # an order's authoredOn: the day it was written, before which it was not there to read, however early the start
    # it plans (clinical rules §5, "as of" a date), as an immunoglobulin order's (`IgCourse.authored`)
    authored: date | None = None
    active: bool = False  # an order whose status is "active": one whose start lies ahead is booked (`BsAb Booked`)


@dataclass(frozen=True)
class IgCourse:
    """An immunoglobulin substitution order (IVIG/SCIG)."""

    start: date
    status: CourseStatus
    source: str
    end: date | None = None
    product: str = ""  # "IVIG", "SCIG" or "" (route unknown)
    authored: date | None = None  # when the order was written (authoredOn), if sent
    end_assumed: bool = False  # `end` is the last day of an end that names no day ("2026-05")
    intended: bool = False  # a course planned (a record intended, a request of intent plan): substitution only while ahead
    start_unrecorded: bool = False  # a medication record with no start, read from the day it was recorded (dateAsserted)
    # an order for another reason (ITP ...) with a recorded dose linked to it: a dose not linked is no dose of it
    doses_linked: bool = False


@dataclass(frozen=True)
class IgByName:
    """An immunoglobulin order, dose or medication record known only by its name (its text names an Ig product, no
    code of it is recognised), read as a coded one would be (`course`; a dose is a course of its one day, `dose`). Never
    counted as substitution: a local code the service does not know may still be the course the patient is on, so
    the rules name one that a coded record would make current or planned (`ig-by-name`)."""

    course: IgCourse
    display: str  # the record's text, as the EHR wrote it
    dose: bool = False


@dataclass(frozen=True)
class IgAdministration:
    """One recorded dose of immunoglobulin (MedicationAdministration, completed)."""

    date: date
    source: str
    product: str = ""  # "IVIG", "SCIG" or ""
    # its own reason is given, not another indication (D80.1 ...): substitution, claimed by no order for another reason
    reason_given: bool = False


@dataclass(frozen=True)
class Infection:
    """A confirmed infection diagnosis; `organism` says whether the code itself makes it bacterial."""

    onset: date
    severe: bool
    source: str
    code: str = ""
    display: str = ""  # the EHR's text (shown escaped, in data notes only)
    organism: Organism = "bacterial"  # "unspecified": bacterial only with a positive culture (J18.x)
    abated: date | None = None  # abatement[x]: a diagnosis with onset before it is the same episode
    site: str = ""  # "respiratory", "urine", "csf" or "" (any): a culture from another site does not verify it
    severity_text: str = ""  # a severity given only in words (no SNOMED CT code): not read, named when it matters
    pneumonia: bool = False  # its value-set entry names a pneumonia (`pneumonia` attribute): admission makes it severe
    encounter: str = ""  # 'Encounter/id' its `encounter` names: the stay it was recorded in
    name: str = ""  # what a card calls it (its value-set entry's `card_name`: "sepsis", "pneumonia"), "" for a generic code
    # the Condition whose organism code (ICD-10 B95-B96, value set organism-cause) names the bacterium of an infection
    # coded without one: its own record, or one of the same day or stay (`infections.paired_agents`)
    agent: str = ""
    # a bacterial infection of a kind not counted (tuberculosis, a sexually transmitted one, C. difficile colitis: its
    # value-set entry's `bacterial_not_counted`); organism "other", named as bacterial, not as viral or fungal
    bacterial_not_counted: bool = False


@dataclass(frozen=True)
class Admission:
    """An inpatient stay: an Encounter of class inpatient, acute or non-acute (HL7 v3 ActCode IMP, ACUTE, NONAC), not
    cancelled or entered in error, with a start. It never makes an infection; it decides whether one was severe."""

    start: date
    source: str
    end: date | None = None
    conditions: tuple[str, ...] = ()  # 'Condition/id' its diagnosis[].condition and reasonReference name
    # bacterial-infection codes the stay carries itself (reasonCode, a diagnosis coded in place), as written ("DJ159"),
    # with the first one's text: a diagnosis recorded only on the stay (as the Danish patient register LPR does)
    infection_codes: tuple[str, ...] = ()
    infection_text: str = ""
    infection_pneumonia: bool = False  # whether those codes name a pneumonia
    names_reason: bool = False  # it names a diagnosis or reason at all (a stay naming none is not for "something else")


@dataclass(frozen=True)
class Culture:
    """A microbiological culture result."""

    date: date
    source: str
    positive: bool
    bacterial: bool  # the organism (or the culture) is bacterial
    specimen: str = ""  # "blood", "respiratory", "csf", "urine", "other"
    organism: str = ""  # the organism as named, when coded
    sets: int = 1  # separate culture sets that grew it: more than one for a likely contaminant counted as a growth
    # every bacterium it grew is one whose infections the rules never count (the mycobacteria: organism value set,
    # `infection_counted: false`): it verifies no infection
    never_counted: bool = False


@dataclass(frozen=True)
class Diagnosis:
    """A haematological malignancy diagnosis."""

    code: str
    source: str
    myeloma: bool = False
    display: str = ""
    recorded: date | None = None  # onset or recorded date, when the EHR sends one


@dataclass(frozen=True)
class IgGOrderDraft:
    """A lab order for total serum/plasma IgG drafted in this order session (order hooks only).

    A `ServiceRequest` among `context.draftOrders`, selected or not, status draft or active, whose
    code is in the IgG value set: the IgG a card would ask for is being ordered already.
    """

    source: str
    date: date | None = None  # the day it is planned for (occurrence[x]), else written (authoredOn); None: undated


@dataclass(frozen=True)
class IgGPending:
    """A total serum/plasma IgG the laboratory has registered but not resulted yet (Observation status registered or
    preliminary): the IgG a card would ask for is on its way (FHIR: "registered" = the observation exists, no result
    is available yet). Not a value: it decides nothing, it only spares the clinician a second order."""

    source: str
    date: date  # the day it was taken or ordered (effective[x], else issued)


@dataclass(frozen=True)
class MProteinUnread:
    """A serum M-protein result received and not read: its amount cannot be read, it is not final, or its code is
    not known (a local code named as one). Not a value: in a myeloma it says an M-protein may lie in the total IgG by
    an amount not known, so polyclonal IgG may be far below the total (`library._unmeasured_margin`)."""

    source: str
    date: date  # the day it was taken (effective[x], else issued)
    why: str  # "unreadable", "not-final" or "code-unknown"
    isotype: str = ""  # the type its code or name gives ("IgA": not in total IgG, so it changes nothing), "" for none
    reported: str = ""  # its value as sent where that could not be read ("se kommentar"), for the card to quote


@dataclass(frozen=True)
class IgGSubclass:
    """An IgG subclass result (IgG1-IgG4, or the subclasses as a group: by a code the IgG value set excludes as a
    subclass, or by its name, the IgG1-IgG3 LOINC codes being unconfirmed): not total IgG, never used. Kept so that a card with no usable IgG names
    it: a clinician who sees "IgG1 2.1 g/L" in the chart would otherwise wonder why the card saw no IgG (§7)."""

    source: str
    date: date
    display: str  # its name as the laboratory wrote it ("P-Immunglobulin G1;massek."), the record's words; "" if none
    reported: str  # its value as sent ("2.1 g/L", "<0,1 g/L")
    code: str = ""  # its code ("NPU19817"), which names it where the record gives no name


@dataclass(frozen=True)
class TherapyOrderDraft:
    """A bsAb or CAR-T product order drafted in this order session and judged with it (order hooks only).

    A draft is not an index event until the therapy has begun (clinical-rules §2): it is what an immunoglobulin
    order judged beside it is told about, when it would open a new high-risk window.
    """

    source: str
    kind: str  # "bsab" | "car-t-product"
    drug: str = ""
    start: date | None = None  # its planned start (dosage bounds), when it carries one


@dataclass(frozen=True)
class Patient:
    """The patient: only what the rules and the tools need."""

    source: str
    birth_date: date | None = None
    deceased: bool = False  # deceasedBoolean true, or a deceasedDateTime (see deceased_date)
    deceased_date: date | None = None
    identifiers: tuple[tuple[str, str], ...] = ()  # (system, value), e.g. the CPR number
    birth_date_first: date | None = None  # a birth date with no day ("2026"): its first day (birth_date is its last)

    def dead_on(self, day: date) -> bool:
        """Died on or before `day`, or recorded as deceased with no date: no advice is for this patient that day."""
        return self.deceased and (self.deceased_date is None or self.deceased_date <= day)


# Every kind of data note the service makes, in one place: every kind here has a wording in English and Danish
# (`cds_service/cards/notes.py`: `NOTE_TEXT` for the kinds a card names, `PAGE_NOTE_TEXT` for those only the explanation
# page and `replay` show). A note of another kind (a typo, or a new kind with no wording) is logged when made and shown
# by its code; tests/test_note_wording.py finds the kinds the code writes, through its constants and variables.
NOTE_KINDS = frozenset({
    "admission-infection-not-recorded", "admissions-not-sent", "pneumonia-admission-unknown", "igg-invalid",
    "birth-date-after-therapy", "birth-date-after-today", "birth-date-unread", "death-date-unread", "deceased-flag-true", "deceased-flag-unread", "do-not-perform", "bsab-dose-not-known-given", "bsab-dose-stopped",
    "bsab-end-unknown", "bsab-order-not-started", "bsab-stopped-not-given", "bsab-target-out-of-scope",
    "car-t-not-known-given", "car-t-in-progress", "bsab-dose-in-progress", "car-t-order-no-infusion", "car-t-same-treatment", "car-t-stopped",
    "car-t-stopped-not-given", "car-t-target-out-of-scope", "class-code", "code-system-unknown", "ig-specific", "code-wrong-system", "codes-disagree",
    "copy-content-differs", "copy-error-read", "copy-error-unread", "copy-revision-unread", "copy-status-differs", "copy-status-missing",
    "copy-withdrawn", "culture-contaminant", "culture-diagnosis-apart", "culture-fields-disagree", "culture-negative-names-growth",
    "culture-not-final", "culture-note-names-growth", "culture-positive-says-none", "culture-result-names-earlier",
    "culture-superseded", "culture-text-unread", "culture-without-diagnosis", "date-partial", "draft-date-partial",
    "draft-dates-unread", "draft-period-passed", "draft-start-passed", "draft-drug-deleted", "draft-drug-missing", "draft-drug-unread", "draft-length-unread",
    "end-unread", "full-url-conflict", "ig-by-name", "ig-codes-disagree", "ig-condition", "ig-condition-ended", "ig-dose-not-known-given", "ig-dose-stopped", "ig-dose-undated",
    "ig-length-unread", "ig-order-plan", "ig-order-status-unknown", "ig-order-undated", "ig-order-written-later",
    "ig-other-indication", "ig-statement-intended", "ig-statement-start-unrecorded", "ig-statement-unread",
    "ig-statement-written-later", "ig-stopped-not-given", "ig-wrong-system", "igg-below-m-protein", "igg-contradicts",
    "igg-during-other-use", "igg-during-substitution", "igg-implausible", "igg-indeterminate", "igg-preliminary",
    "igg-preliminary-value",
    "igg-registered", "igg-same-day-superseded", "igg-same-day-unordered", "igg-status-unknown", "igg-subclass",
    "igg-unreadable", "result-not-used",
    "infection-codes-disagree", "infection-bacterial-not-counted", "infection-not-bacterial", "infection-not-counted", "agent-code-unpaired", "infection-severity-not-read", "infection-unconfirmed",
    "infection-undated", "invalid", "m-protein-not-final", "m-protein-not-igg", "m-protein-unreadable",
    "malformed-field", "medication-reference-ambiguous", "prefetch-not-sent", "reference-ambiguous",
    "report-results-not-sent", "result-contained", "request-not-an-order", "statement-beside-halted-order", "statement-not-used", "step-before-therapy", "step-coded-as-therapy",
    "statement-of-order", "statement-past-order-end", "statement-written-later", "therapy-date-unread",
    "therapy-no-date", "therapy-order-written-later", "therapy-undated", "type-not-read", "unknown-end",
    "unrecognised-code", "unresolved-medication", "medication-no-code", "wrong-patient", "no-subject",
})


@dataclass(frozen=True)
class DataNote:
    """Something the service saw and did not use, and why (a card lists these briefly).

    `kind` (one of `NOTE_KINDS`) picks the wording (see `cds_service/cards/notes.py`); `message` is the technical
    detail in English (for the explanation page and the trace); `display` is EHR text the
    note is about (shown escaped); `day` the date it concerns, when there is one.
    """

    kind: str
    source: str
    message: str = ""
    display: str = ""
    day: date | None = None
    threshold: float | None = None  # the g/L threshold a note is about ("cannot tell whether below 4 g/L")
    # the record's date as written when it names no day ("2025-11"): `day` is then its first day, which a note must
    # not show as the day (it says "in 2025-11")
    written: str = ""
    # `display` is the record's own words (a text or display as the EHR wrote it, a value or date as sent), not the
    # service's naming (a value set's INN, a code, a status in our words): quoted wherever the note is shown. Data, not
    # the `RecordText` type, because a note is stored as JSON (snapshot, card store, trace) and read back; a display
    # that is a `RecordText` sets it by itself. The trace carries it, false too (a value, not an empty one).
    record_words: bool = False
    # how many records of one code and name the note stands for (30 albumin results: one note, not 30), and the
    # earliest one's date as written; the note's own `day`, `source` and `display` are the newest one's. In the notes
    # extension and on the page (`note_json`), not in the trace, whose notes stay as they were (`message` says how many)
    count: int = field(default=1, metadata=PAGE_ONLY)
    first: str = field(default="", metadata=PAGE_ONLY)

    def __post_init__(self) -> None:
        if self.kind not in NOTE_KINDS:  # no wording: shown by its code; refusing it would refuse the whole answer
            log.warning("data note kind %r is not in NOTE_KINDS: shown by its code (%r)", self.kind, self.source)
        if isinstance(self.display, RecordText) and not self.record_words:
            object.__setattr__(self, "record_words", True)


@dataclass(frozen=True)
class Facts:
    """Everything known about one patient, as typed facts."""

    patient: Patient | None = None
    igg: tuple[IgGResult, ...] = ()
    m_protein: tuple[MProteinResult, ...] = ()
    immunofixation: tuple[Immunofixation, ...] = ()
    car_t: tuple[CarTInfusion, ...] = ()
    bsab: tuple[BsAbExposure, ...] = ()
    ig_courses: tuple[IgCourse, ...] = ()
    ig_administrations: tuple[IgAdministration, ...] = ()
    # immunoglobulin given for another reason (immunomodulation: ITP, GBS ...): no substitution course, only its washout
    ig_other_use: tuple[IgCourse, ...] = ()
    ig_by_name: tuple[IgByName, ...] = ()  # immunoglobulin known only by its name: never counted, only named
    infections: tuple[Infection, ...] = ()
    # bacterial-infection diagnoses whose verificationStatus is not "confirmed" (none sent, provisional, differential,
    # unconfirmed): never counted (§4.1 "verified"), named where confirming them would change the advice
    unconfirmed_infections: tuple[Infection, ...] = ()
    # diagnoses named like a bacterial infection ("Sepsis forårsaget af Klebsiella") whose code is in no value set, not
    # refuted: never counted (a name is no code), named where, coded, they could change the advice
    infections_by_name: tuple[UnrecognisedDiagnosis, ...] = ()
    cultures: tuple[Culture, ...] = ()
    diagnoses: tuple[Diagnosis, ...] = ()
    unrecognised_therapies: tuple[UnrecognisedTherapy, ...] = ()
    unrecognised_diagnoses: tuple[UnrecognisedDiagnosis, ...] = ()
    undated_therapies: tuple[UndatedTherapy, ...] = ()
    igg_orders_drafted: tuple[IgGOrderDraft, ...] = ()  # order hooks only: never on patient-view
    igg_pending: tuple[IgGPending, ...] = ()  # IgG registered by the laboratory, not resulted yet (dated ones)
    igg_subclasses: tuple[IgGSubclass, ...] = ()  # IgG subclass results: not total IgG, only named
    m_protein_unread: tuple[MProteinUnread, ...] = ()  # M-protein results received and not read (dated ones)
    therapies_drafted: tuple[TherapyOrderDraft, ...] = ()  # order hooks only: the therapy orders judged
    admissions: tuple[Admission, ...] = ()
    # why the stays (prefetch `encounters`) could not be had, "" when they were: whether a pneumonia needed
    # admission is then not known, and a card it could change says so
    admissions_not_sent: str = ""
    notes: tuple[DataNote, ...] = field(default=())


def known_by(facts: Facts, day: date) -> Facts:
    """The facts as they stood on `day`: what was recorded by then, and the orders written by then, whatever day they
    were booked for. A chart evaluated on a later day (a draft judged at its planned start) must see nothing the day it
    was read could not: a result, a dose, a death after it, an order written or a record asserted after it. An order
    with no date written is read as written by its start, or, active with its start ahead, as booked (as `Planned IG
    Courses` reads it)."""
    def course(x: IgCourse) -> bool:
        return x.authored <= day if x.authored is not None else x.start <= day or x.status == "active"

    def by(*days: date | None) -> bool:
        return all(d is None or d <= day for d in days)

    patient = facts.patient
    if patient is not None and patient.deceased_date is not None and patient.deceased_date > day:
        patient = dataclasses.replace(patient, deceased=False, deceased_date=None)
    return dataclasses.replace(
        facts, patient=patient, igg=tuple(x for x in facts.igg if x.date <= day),
        m_protein=tuple(x for x in facts.m_protein if x.date <= day),
        immunofixation=tuple(x for x in facts.immunofixation if x.date <= day),
        car_t=tuple(x for x in facts.car_t if by(x.date, x.asserted)),
        # a bsAb order written by then, or with no date written (booked, as for immunoglobulin), stands, whatever day
        # it is booked for; a dose or record dated later does not
        bsab=tuple(x for x in facts.bsab if by(x.asserted) and (
            by(x.authored or x.start) or x.authored is None and x.source.startswith("MedicationRequest/"))),
        ig_courses=tuple(x for x in facts.ig_courses if course(x)),
        ig_administrations=tuple(x for x in facts.ig_administrations if x.date <= day),
        ig_other_use=tuple(x for x in facts.ig_other_use if course(x)),
        ig_by_name=tuple(x for x in facts.ig_by_name if course(x.course)),
        infections=tuple(x for x in facts.infections if x.onset <= day),
        unconfirmed_infections=tuple(x for x in facts.unconfirmed_infections if x.onset <= day),
        infections_by_name=tuple(x for x in facts.infections_by_name if by(x.recorded)),
        cultures=tuple(x for x in facts.cultures if x.date <= day),
        diagnoses=tuple(x for x in facts.diagnoses if by(x.recorded)),
        unrecognised_therapies=tuple(x for x in facts.unrecognised_therapies if by(x.written or x.date)),
        unrecognised_diagnoses=tuple(x for x in facts.unrecognised_diagnoses if by(x.recorded)),
        undated_therapies=tuple(x for x in facts.undated_therapies if by(x.written, x.earliest)),
        igg_pending=tuple(x for x in facts.igg_pending if x.date <= day),
        igg_subclasses=tuple(x for x in facts.igg_subclasses if x.date <= day),
        m_protein_unread=tuple(x for x in facts.m_protein_unread if x.date <= day),
        admissions=tuple(x for x in facts.admissions if x.start <= day))


# -- JSON form (explanation snapshots keep the facts a card rests on) -----------------------------

JsonValue = Union[None, bool, int, float, str, list["JsonValue"], dict[str, "JsonValue"]]


def to_json(value: object) -> JsonValue:
    """Facts (or any of their parts) as JSON: dates ISO, records as objects."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (tuple, list)):
        return [to_json(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    raise TypeError(f"not a fact value: {type(value).__name__}")


def facts_from_json(data: dict[str, JsonValue]) -> Facts:
    """The inverse of `to_json(facts)`."""
    decoded = _decode(Facts, data)
    assert isinstance(decoded, Facts)
    return decoded


def _decode(kind: object, data: JsonValue) -> object:
    """`data` as the type `kind` (a dataclass, tuple, union, date, float or plain value)."""
    if data is None:
        return None
    origin = typing.get_origin(kind)
    if origin in (Union, types.UnionType):
        options = [k for k in typing.get_args(kind) if k is not type(None)]
        return _decode(options[0], data)
    if origin is tuple and isinstance(data, list):
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], item) for item in data)
        return tuple(_decode(a, item) for a, item in zip(args, data))
    if origin is Literal:
        return data
    if kind is date and isinstance(data, str):
        return date.fromisoformat(data)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind) and isinstance(data, dict):
        hints = typing.get_type_hints(kind)
        fields = {f.name: _decode(hints[f.name], data[f.name]) for f in dataclasses.fields(kind) if f.name in data}
        return kind(**fields)
    if kind is float and isinstance(data, (int, float)):
        return float(data)
    return data
