"""CAR-T and bispecific-antibody therapy to facts: the index events of the guideline.

Read from Procedure, MedicationAdministration, MedicationRequest and MedicationStatement. The
medication handlers read an immunoglobulin record too (the same resource types), and hand its
course to `ig_courses`. A therapy stopped with no dose given, or ordered and never given, is
named, never read as an exposure.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Mapping

from cql_like_rules.facts import (
    BsAbExposure,
    CarTInfusion,
    DataNote,
    IgAdministration,
    IgCourse,
    RecordText,
    UndatedTherapy,
)
from cql_like_rules.targets import in_scope_target
from cql_like_rules.valuesets import Entry

from ..errors import DataError
from .dates import PartialDate, to_local_date
from .reading import (
    BOUNDS_START, BSAB_ORDER_STATUSES, CAR_T_GIVEN_STATUSES, CAR_T_PROCEDURE_STATUSES, DOSE_DAY, IG_ORDER_STATUSES,
    NOT_KNOWN_GIVEN, NoStartDate, PERIOD_EFFECTIVE, PERIOD_PERFORMED, PLAN_INTENTS, PRODUCT_OF_ROUTE, Produced, STATEMENT_ENDED, STATEMENT_TAKEN,
    THERAPY_KINDS, THERAPY_STATUSES, _codings, _concept_text, _cut, _first, _first_code, _not_given_reason, _partial,
    _str, _texts, reference_of,
)
from .unread import _therapy_by_name, _therapy_named, _unrecognised, names_step
from .ig_courses import (
    _ig_dose_undated, _ig_statement, _other_indication, _reasons, _request_ref, _statement_end, _unreadable,
)

if TYPE_CHECKING:
    from .facts import FactBuilder


ADMIN_STATUSES = {"completed", "in-progress"}
# A CAR-T or bispecific Procedure's statuses that date nothing but are named (`_not_known_given`): on hold, unknown,
# and in progress, which a finished infusion's Procedure no longer is (clinical rules §5 dates T0 from a completed
# one): a record left open, so whether and when it was given is the clinician's to say, not a silence
PROCEDURE_NOT_KNOWN_GIVEN = frozenset(NOT_KNOWN_GIVEN | {"in-progress"})
# An immunoglobulin dose recorded `stopped` (FHIR: halted after some of it was given, an infusion reaction say) is a dose
# given: immunoglobulin was infused and the course goes on (docs/clinical-logic.md); one whose statusReason says none
# was given is not.
IG_DOSE_STATUSES = frozenset(ADMIN_STATUSES | {"stopped"})

ORDER_START_FIELDS = frozenset({BOUNDS_START, DOSE_DAY, "authoredOn"})


def _performed(r: Mapping[str, Any]) -> Any:
    """A completed procedure's performed date as sent (performedDateTime, else its period), or None: a record with
    none is named as undated by its caller, never dropped."""
    return _first(r, "performedDateTime", *PERIOD_PERFORMED)


def _with_date(name: str, recorded: str, words: bool) -> str:
    """A therapy's name and its date as written, for a note: inside the one quote of the record's words ("“CAR-T-
    celleterapi, 2025-10”"), or after the service's INN, unquoted as a date is ("teclistamab (2025-10)")."""
    if not name:
        return recorded
    return f"{name}, {recorded}" if words else f"{name} ({recorded})"


def _undated_therapy(b: FactBuilder, r: Mapping[str, Any], kind: str, drug: str, recorded: str, *,
                     unreadable: bool = False) -> None:
    """A recognised CAR-T infusion or bsAb start whose date names no day ("2025-10", "2025", "oktober 2025"),
    or that carries no date at all (`recorded` ""): not an index event (the window cannot be placed), kept as a
    fact of its own and named in a data note. `unreadable`: a date no reader can take a day from ("18-11-2025",
    "2025-13-18"), which may name a day plainly to a clinician: said so, not "no day"."""
    earliest = latest = None
    try:
        earliest = b._date(recorded, allow_partial=True) if recorded else None
        latest = to_local_date(recorded, b.tz, allow_partial=True, partial_as_last_day=True) if recorded else None
    except DataError:
        pass  # words: no day to begin or end with
    b._undated.append(UndatedTherapy(reference_of(r), kind, drug[:80], _cut(recorded, 40), earliest, latest,
                                        unreadable=unreadable and bool(recorded), written=b._written(r)))
    what = "CAR-T infusion" if kind == "car-t-product" else "bispecific start"
    name = drug[:28] + ("…" if len(drug) > 28 else "")
    words = isinstance(drug, RecordText) or not name  # the therapy's text as written, or only its date as written
    if not recorded:  # a different fault from a date with no day: there is no date to correct, only one to add
        b._notes.append(DataNote("therapy-no-date", reference_of(r), f"{what} recorded with no date at all: its "
                                    "window could not be placed, not used as an index event", name,
                                    record_words=isinstance(drug, RecordText)))
        return
    if unreadable:  # "18-11-2025" may name a day plainly to a reader: not "no day", a date in no form read
        b._notes.append(DataNote("therapy-date-unread", reference_of(r), f"{what} dated {recorded[:40]!r}, "
                                    "not a date that can be read: its window could not be placed, not used as an "
                                    "index event", _with_date(name, _cut(recorded, 20), words), record_words=words))
        return
    b._notes.append(DataNote("therapy-undated", reference_of(r), f"{what} dated {recorded[:40]!r}, which names "
                                "no day: its window could not be placed, not used as an index event",
                                _with_date(name, recorded[:20], words), earliest, record_words=words))


def _bsab_drug(b: FactBuilder, entry: Entry, concept: Any) -> str:
    """The bispecific's INN: the code's, unless the order's own text names another bispecific of the value set.

    ATC L01FX24 is teclistamab (WHO), but the German ATC-GM once gave it to mosunetuzumab: a card must
    not call a patient's Lunsumio "teclistamab" (value set bispecific-b-pc, purpose).
    """
    drug = str(entry.get("drug") or "")
    text = _texts(concept).lower()
    if not text or drug in text:
        return drug
    vs = b.t.valuesets.get("bispecific-b-pc")
    named = {str(e.get("drug")) for e in vs.entries if e.get("drug")} if vs is not None else set()
    return next((other for other in sorted(named) if other in text), drug)


def _procedure(b: FactBuilder, r: Mapping[str, Any]) -> Produced:
    sets = b.t.sets_of(r.get("code"))
    # The infusion, coded as a procedure (SNOMED, SKS BOQX1, ICD-10-PCS, CPT) or as the product given (the
    # HCPCS Q-code a US hospital bills on the day of the dose, Q2041 Yescarta): either dates T0.
    entry = sets.get("car-t-procedure") or sets.get("car-t-product")
    if entry is not None and _target_out_of_scope(b, r, entry, r.get("code"), "car-t"):
        return None
    ig = sets.get("immunoglobulin-substitution")
    bsab = None if entry is not None else sets.get("bispecific-b-pc")
    if bsab is not None and _target_out_of_scope(b, r, bsab, r.get("code"), "bsab"):
        return None
    if bsab is not None:
        # A bispecific given, registered as its SKS treatment code (BOHJ19K1 blinatumomab, a Procedure):
        # a dose given that day, as a MedicationAdministration of it is (it may start the window).
        if _str(r.get("status")) in PROCEDURE_NOT_KNOWN_GIVEN:  # on hold, status unknown, never closed: named
            _not_known_given(b, r, "bsab", _bsab_drug(b, bsab, r.get("code")) or _concept_text(r.get("code")))
            return None
        if _str(r.get("status")) not in ("completed", "stopped") or _stopped_not_given(b,
                r, "bsab", _bsab_drug(b, bsab, r.get("code")) or _concept_text(r.get("code"))):
            return None
        when = _performed(r)
        drug = _bsab_drug(b, bsab, r.get("code"))
        if when is None:  # given, on no day the record says: named as an undated therapy, never dropped
            words = _str(r.get("performedString"))
            _undated_therapy(b, r, "bsab", drug or _concept_text(r.get("code")), (words or "").strip())
            return None
        try:
            day = b._date(when)
        except PartialDate as exc:
            _undated_therapy(b, r, "bsab", drug or _concept_text(r.get("code")), exc.value)
            return None
        except DataError:  # a date no reader can take a day from ("18-11-2025"): as one written in words
            _undated_therapy(b, r, "bsab", drug or _concept_text(r.get("code")), str(when).strip(),
                             unreadable=True)
            return None
        _bsab_stopped(b, r, drug or _concept_text(r.get("code")), day)
        return "bsab", BsAbExposure(drug, day, reference_of(r), day, administered=True)
    if entry is None and ig is not None:
        # Danish hospitals register immunoglobulin given as an SKS treatment code (BOHJ10B, a
        # Procedure): a dose given that day, as a MedicationAdministration would be (clinical rules §5).
        if _str(r.get("status")) not in ADMIN_STATUSES:
            return None
        when = _performed(r)
        if when is None:
            _ig_dose_undated(b, r, r.get("code"), "completed immunoglobulin procedure has no performed date")
            return None
        return "ig_administrations", IgAdministration(b._date(when), reference_of(r),
                                                      PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""))
    if entry is None:
        if not sets:
            _unrecognised(b, r, r.get("code"))
        return None
    if _str(r.get("status")) in PROCEDURE_NOT_KNOWN_GIVEN:  # on hold, status unknown, never closed: named
        _not_known_given(b, r, "car-t", str(entry.get("drug") or "") or _concept_text(r.get("code")))
        return None
    if _str(r.get("status")) not in CAR_T_PROCEDURE_STATUSES \
            or _stopped_not_given(b, r, "car-t", str(entry.get("drug") or "") or _concept_text(r.get("code"))):
        return None  # preparation, not-done, entered-in-error: not read as given
    if sets.get("car-t-procedure") is entry and names_step(b.t, "car-t-procedure", _texts(r.get("code"))):
        # coded as the infusion, named as a step before it ("CAR-T harvesting ..." under 38228): two things at once,
        # and a harvest weeks before the infusion must not date T0 (nor be grouped with it as one treatment)
        b._notes.append(DataNote("step-coded-as-therapy", reference_of(r), "its code is the infusion's, its name a "
                                 "step before it; not used as T0", _concept_text(r.get("code"))[:80], b._day_of(r)))
        # with no other index event, the card that asks for its coding, as for codes that disagree
        _therapy_by_name(b, r, r.get("code"), "car-t-procedure", _therapy_named(b, r.get("code"), "car-t-procedure"),
                         disagree="car-t-procedure")
        return None
    drug = str(entry.get("drug") or "")
    when = _performed(r)
    if when is None:  # "oktober 2025" (performedString): given, but on no day the service can read; nothing: no date
        words = _str(r.get("performedString"))
        _undated_therapy(b, r, "car-t-product", drug or _concept_text(r.get("code")), (words or "").strip())
        return None
    try:
        day = b._date(when)
    except PartialDate as exc:
        _undated_therapy(b, r, "car-t-product", drug or _concept_text(r.get("code")), exc.value)
        return None
    except DataError:  # "18-11-2025": given, on a day no reader can take from it, as one written in words
        _undated_therapy(b, r, "car-t-product", drug or _concept_text(r.get("code")), str(when).strip(),
                             unreadable=True)
        return None
    _car_t_stopped(b, r, drug or _concept_text(r.get("code")), day)
    return "car_t", CarTInfusion(day, reference_of(r), drug)


def _car_t_orders_not_given(b: FactBuilder) -> None:
    """CAR-T product orders completed while no infusion of any CAR-T is recorded (no Procedure, no
    MedicationAdministration, dated or not): T0 needs the infusion, so each is kept as an undated therapy (the
    patient-view card asks for the infusion record) and named in a data note."""
    for r, drug, day in b._car_t_ordered:
        b._undated.append(UndatedTherapy(reference_of(r), "car-t-product", drug[:80],
                                            day.isoformat() if day else "", day, day, ordered=True))
        b._notes.append(DataNote("car-t-order-no-infusion", reference_of(r), "CAR-T order completed, but no "
                                    "infusion is recorded: an order is not an infusion, not used as an index "
                                    "event", drug[:80], day))


def _car_t_infusions_not_given(b: FactBuilder, before: date | None = None) -> None:
    """CAR-T infusions recorded as stopped with a reason read as none given ("Ikke givet"), dated, while no
    infusion of any CAR-T is read: not T0, but a CAR-T record exists, so each is kept as a therapy the rules cannot
    place (the patient-view card says it was not read as an infusion and asks for the record to be checked),
    rather than the silence of a chart with no CAR-T at all. One whose date names no day (none, a month, words, a
    date no reader takes) gets the same card, with no day (`recorded` ""): never a day the record does not name.
    With an infusion read (the first on `before`), only those dated before it: the days up to that infusion."""
    _not_given_kept(b, b._car_t_not_given, "car-t-product", before)


def _not_given_kept(b: FactBuilder, found: list[tuple[Mapping[str, Any], str, date | None, str]], kind: str,
                    before: date | None = None) -> None:
    """CAR-T infusions (`kind` "car-t-product") or bispecific doses ("bsab") stopped with a reason read as none
    given, kept as therapies the rules cannot place, each with its day only where its date names one. `before`:
    the first day a therapy of that kind was read as given (or ordered); only records dated before it are kept
    then, since on those days the chart held nothing else (an undated one is kept only when none was read)."""
    for r, drug, day, reason in found:
        if before is not None and (day is None or day >= before):
            continue
        written = _first(r, "performedDateTime", *PERIOD_PERFORMED, "effectiveDateTime", *PERIOD_EFFECTIVE)
        if before is not None and _partial(written) and _last_day_of(b, written) >= before:
            continue  # dated by the month (or year) of the first given: nothing places it before that one (it may be a
            # later dose held), so it is named (its note), never a card of its own on the days before the first given
        shown = day.isoformat() if day is not None and not _partial(written) else ""
        held = _str(r.get("status")) or "" if not reason else ""  # on hold or unknown: not known to be given
        b._undated.append(UndatedTherapy(reference_of(r), kind, drug[:80], shown, day, day,
                                            not_given=reason[:80], not_known_given=held, written=b._written(r)))


def _last_day_of(b: FactBuilder, written: str) -> date:
    """The last day a date with no day ("2025-11") can mean."""
    try:
        return to_local_date(written, b.tz, allow_partial=True, partial_as_last_day=True)
    except DataError:
        return date.max


def _stopped_not_given(b: FactBuilder, r: Mapping[str, Any], kind: str, drug: str = "") -> bool:
    """A CAR-T infusion (`kind` "car-t"), bispecific dose ("bsab") or immunoglobulin dose ("ig") stopped whose reason says nothing was given:
    not read as given, and named with the reason as sent, since words such as 'ikke givet hele dosis' or 'not
    started on time' may say some was given, and the card then stands on the record's absence. A CAR-T one is
    also kept (`drug`: its product, else its name), for the card that says no infusion was read
    (`_car_t_infusions_not_given`); a bispecific one the same, while no dose of one is read."""
    reason = _not_given_reason(r)
    if reason:
        day = b._day_of(r)
        b._notes.append(DataNote(f"{kind}-stopped-not-given", reference_of(r), "recorded as stopped with a "
                                    "reason read as nothing given: not used", reason[:80], day))
        if kind in ("car-t", "bsab"):
            (b._car_t_not_given if kind == "car-t" else b._bsab_not_given).append((r, drug, day, reason))
    return bool(reason)


def _not_known_given(b: FactBuilder, r: Mapping[str, Any], kind: str, drug: str) -> None:
    """A CAR-T infusion (`kind` "car-t") or bispecific dose ("bsab") recorded `on-hold` or `unknown`: FHIR says its
    actions were halted for now, or that the source does not know its status, and EHRs send a dose held (not given)
    as on hold. Not known to be given, so no T0 (§4.1: T0 from what happened), as an immunoglobulin dose so recorded
    is no dose given; named, and kept for the card that asks whether it was given where no other is read."""
    status, day = _str(r.get("status")) or "", b._day_of(r)
    what = "CAR-T infusion" if kind == "car-t" else "bispecific dose"
    open_ = status == "in-progress"  # a Procedure never closed
    if open_:
        note = "car-t-in-progress" if kind == "car-t" else "bsab-dose-in-progress"
    else:
        note = "car-t-not-known-given" if kind == "car-t" else "bsab-dose-not-known-given"
    why = "never closed as given" if open_ else "not known to be given"
    b._notes.append(DataNote(note, reference_of(r), f"{what} with status {status!r}: {why}, not used", drug[:80], day))
    (b._car_t_not_given if kind == "car-t" else b._bsab_not_given).append((r, drug, day, ""))


def _car_t_stopped(b: FactBuilder, r: Mapping[str, Any], drug: str, day: date) -> None:
    """A CAR-T infusion recorded as stopped (halted before it was complete, after cells were given): used as the
    infusion, and the card's data notes say so, so that a clinician who knows it was not given can correct it."""
    if _str(r.get("status")) == "stopped":
        b._notes.append(DataNote("car-t-stopped", reference_of(r), "CAR-T infusion recorded as stopped before "
                                    "it was complete: cells were given, used as the infusion (T0)",
                                    drug[:80], day))


def _bsab_stopped(b: FactBuilder, r: Mapping[str, Any], drug: str, day: date) -> None:
    """A bispecific dose recorded as stopped (halted part-way, for CRS say): some was given, so the window opens
    on its day (§4.1: at the start of the bsAb), as a stopped CAR-T infusion dates T0; named in a data note, so
    that a clinician who knows none was given can correct it."""
    if _str(r.get("status")) == "stopped":
        b._notes.append(DataNote("bsab-dose-stopped", reference_of(r), "bispecific dose recorded as stopped "
                                    "before it was complete: read as given", drug[:80], day))


def _target_out_of_scope(b: FactBuilder, r: Mapping[str, Any], entry: Entry, concept: Any, kind: str) -> bool:
    """A CAR-T product (`kind` "car-t") or bispecific ("bsab") whose value-set entry names no B-cell or plasma-cell
    antigen as its target (guideline §4, `cql_like_rules.targets`): named in a data note, not used. The day a
    CAR-T product so directed was given is kept, so that its infusion procedure (which names no product) is not
    taken for an index event either."""
    target = str(entry.get("target") or "").strip()
    if in_scope_target(target):
        return False
    shown = (str(entry.get("drug") or "") or _concept_text(concept) or _first_code(concept))[:80]
    day = b._day_of(r)
    what = "CAR-T product" if kind == "car-t" else "bispecific antibody"
    if kind == "car-t" and day is not None and _str(r.get("status")) in CAR_T_GIVEN_STATUSES:
        b._out_of_scope_days.add(day)
    b._notes.append(DataNote(f"{kind}-target-out-of-scope", reference_of(r),
                                f"{what} directed at {target[:20]}, not a B-cell or plasma-cell antigen: outside "
                                "the guideline (§4), not used as an index event", shown, day))
    return True


def _given_drug(b: FactBuilder, r: Mapping[str, Any]) -> tuple[Any, Entry | None, Entry | None, Entry | None] | None:
    """(concept, CAR-T product, bsAb, Ig entry) of a drug given or taken, one of them set; None (a code no value
    set knows named as unrecognised) when it is none of the three."""
    concept = b._medication(r)
    sets = b.t.sets_of(concept)
    car_t = sets.get("car-t-product")
    if car_t is not None and _target_out_of_scope(b, r, car_t, concept, "car-t"):
        return None
    bsab = None if car_t else sets.get("bispecific-b-pc")
    if bsab is not None and _target_out_of_scope(b, r, bsab, concept, "bsab"):
        return None
    ig = None if car_t or bsab else sets.get("immunoglobulin-substitution")
    if car_t is None and bsab is None and ig is None:
        if not sets:
            _unrecognised(b, r, concept)
        return None
    return concept, car_t, bsab, ig


def _drug_of(b: FactBuilder, car_t: Entry | None, bsab: Entry | None, concept: Any) -> str:
    """The INN of a CAR-T product or bispecific read from a record's drug (`_given_drug`), "" for neither."""
    if car_t is not None:
        return str(car_t.get("drug") or "")
    return _bsab_drug(b, bsab, concept) if bsab is not None else ""


def _medication_administration(b: FactBuilder, r: Mapping[str, Any]) -> Produced:
    given = _given_drug(b, r)
    if given is None:
        return None
    concept, car_t, bsab, ig = given
    # a bsAb dose stopped is read as a stopped immunoglobulin dose is: halted part-way (CRS, say), some was given
    given_statuses = CAR_T_GIVEN_STATUSES if car_t is not None else IG_DOSE_STATUSES
    if _str(r.get("status")) not in given_statuses \
            or _stopped_not_given(b,
                r, "car-t" if car_t else "bsab" if bsab is not None else "ig",
                _drug_of(b, car_t, bsab, concept) or _concept_text(concept)):
        if ig is None and _str(r.get("status")) in NOT_KNOWN_GIVEN:  # a CAR-T infusion or bsAb dose: named
            _not_known_given(b, r, "car-t" if car_t is not None else "bsab",
                             _drug_of(b, car_t, bsab, concept) or _concept_text(concept))
        if ig is not None and _str(r.get("status")) in ("on-hold", "unknown"):  # it may have been given: named
            b._notes.append(DataNote("ig-dose-not-known-given", reference_of(r), "immunoglobulin administration "
                                        f"with status {_str(r.get('status'))!r}: not known to be given, not used",
                                        (_concept_text(concept) or _first_code(concept))[:80], b._day_of(r)))
        return None  # not-done, entered-in-error, on-hold; stopped with a reason read as nothing given
    when = _first(r, "effectiveDateTime", *PERIOD_EFFECTIVE)
    if when is None:  # given, on no day the record says: a CAR-T or bsAb is named as an undated therapy
        if car_t is not None:
            _undated_therapy(b, r, "car-t-product", str(car_t.get("drug") or "") or _concept_text(concept), "")
            return None
        if bsab is not None:
            _undated_therapy(b, r, "bsab", _bsab_drug(b, bsab, concept) or _concept_text(concept), "")
            return None
        _ig_dose_undated(b, r, concept, "administration has no effective date")
        return None
    try:
        day = b._date(when)
    except DataError as exc:  # no day ("2025-10"), or none a reader can take ("18-11-2025"): as words
        if car_t is None and bsab is None:
            raise
        drug = _drug_of(b, car_t, bsab, concept)
        _undated_therapy(b, r, "car-t-product" if car_t is not None else "bsab", drug or _concept_text(concept),
                              exc.value if isinstance(exc, PartialDate) else str(when).strip(),
                              unreadable=not isinstance(exc, PartialDate))
        return None
    if car_t is not None:
        _car_t_stopped(b, r, str(car_t.get("drug") or "") or _concept_text(concept), day)
        return "car_t", CarTInfusion(day, reference_of(r), str(car_t.get("drug") or ""))
    if bsab is not None:
        _bsab_stopped(b, r, _bsab_drug(b, bsab, concept) or _concept_text(concept), day)
        return "bsab", BsAbExposure(_bsab_drug(b, bsab, concept), day, reference_of(r), day, administered=True)
    assert ig is not None  # one of the three is known (the test above)
    if _str(r.get("status")) == "stopped":  # read as given, as a stopped CAR-T infusion is: named, so it is checked
        b._notes.append(DataNote("ig-dose-stopped", reference_of(r), "immunoglobulin administration recorded as "
                                    "stopped before it was complete: read as given",
                                    (_concept_text(concept) or _first_code(concept))[:80], day))
    if _other_indication(b, r, day):
        return "ig_other_use", IgCourse(day, "completed", reference_of(r), day,
                                        PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""))
    if not _reasons(b, r) and (request := _request_ref(b, r.get("request"), r)):  # one with a reason of its own is read by it
        b._dose_orders[reference_of(r)] = request
    return "ig_administrations", IgAdministration(day, reference_of(r), PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""),
                                                  reason_given=bool(_reasons(b, r)))


def _medication_request(b: FactBuilder, r: Mapping[str, Any]) -> Produced:
    concept = b._medication(r)
    sets = b.t.sets_of(concept)
    if not sets:
        _unrecognised(b, r, concept)
        return None
    status = _str(r.get("status"))
    intent = _str(r.get("intent"))
    plan = intent in PLAN_INTENTS
    bsab = sets.get("bispecific-b-pc")
    if bsab is not None and _target_out_of_scope(b, r, bsab, concept, "bsab"):
        return None
    if bsab is not None:
        if status not in BSAB_ORDER_STATUSES:
            return None
        reason = _not_given_reason(r)
        if reason:  # stopped, its reason saying the drug was never started ("Behandling ikke påbegyndt"): no course
            b._notes.append(DataNote("bsab-order-not-started", reference_of(r), "bispecific order recorded as "
                                        "stopped with a reason read as never started: not used", reason[:80],
                                        b._day_of(r)))
            return None
        if plan:  # a plan of a bispecific is no first dose: named on the explanation page, never an index event
            b._notes.append(DataNote("request-not-an-order", reference_of(r), f"bispecific antibody request "
                                        f"with intent {str(intent)[:20]!r}: not an order, not used as an index event",
                                        (_bsab_drug(b, bsab, concept) or _concept_text(concept))[:80],
                                        b._day_of(r)))
            return None
        try:
            start, end, _ = b._open_if_end_unread(r)  # a course of a set length ends by itself
        except NoStartDate:  # no start, no dose day, no authoredOn: an order with no date at all, named
            _undated_therapy(b, r, "bsab", _bsab_drug(b, bsab, concept) or _concept_text(concept), "")
            return None
        except PartialDate as exc:
            if exc.field not in ORDER_START_FIELDS:
                raise  # not reached: an end with no day is read as its last day (`_order_end`)
            _undated_therapy(b, r, "bsab", _bsab_drug(b, bsab, concept) or _concept_text(concept),
                                  exc.value)
            return None
        except DataError:  # a start no reader can take a day from ("18-11-2025"): as one with no day
            unread = b._start_unread(r)
            if unread is None:
                raise  # readable dates that do not fit together (an end before the start): invalid
            _undated_therapy(b, r, "bsab", _bsab_drug(b, bsab, concept) or _concept_text(concept), unread,
                                  unreadable=True)
            return None
        ongoing = status in ("active", "on-hold") and end is None
        return "bsab", BsAbExposure(_bsab_drug(b, bsab, concept), start, reference_of(r), end, ongoing,
                                    authored=b._authored(r), active=status == "active")
    ig = sets.get("immunoglobulin-substitution")
    course_status = IG_ORDER_STATUSES.get(status) if status is not None else None
    car_t = sets.get("car-t-product")
    if car_t is not None and ig is None and status == "completed" \
            and not _target_out_of_scope(b, r, car_t, concept, "car-t"):
        # Never T0 (an order is not an infusion), but a completed one says the product was very likely given:
        # kept, and named on a card when no infusion is recorded (`_car_t_orders_not_given`). So is a plan or
        # proposal completed (FHIR: all it implied has occurred): the card asks for the infusion to be recorded.
        try:
            day: date | None = b._dosage_period(r)[0]  # the planned start, else authoredOn
        except DataError:
            day = b._day_of(r)
        b._car_t_ordered.append((r, str(car_t.get("drug") or "") or _concept_text(concept), day))
        return None
    if ig is not None and status == "unknown":  # the source does not know whether it runs: the patient may be on it
        b._notes.append(DataNote("ig-order-status-unknown", reference_of(r), "immunoglobulin order with status "
                                    "'unknown': not known whether it runs, not used",
                                    (_concept_text(concept) or _first_code(concept))[:80], b._day_of(r)))
        return None
    if ig is None or course_status is None:
        return None  # CAR-T product orders never date T0; draft/cancelled orders never happened
    try:
        # doses planned, or a length: the course ends with them; an end no reader can take a day from leaves it
        # open, named (`end-unread`), as a length nobody read does: its start says the patient may be on it
        start, end, assumed = b._open_if_end_unread(r)
    except DataError as exc:
        # Not placed in time, yet the patient may be on it: named first on any card, never a plain "invalid".
        shown = _concept_text(concept) or next((str(c["code"]) for c in _codings(concept) if c.get("code")), "")
        b._notes.append(DataNote("ig-order-undated", reference_of(r), f"{exc}; the order could not be "
                                    "placed in time and was not used", shown[:80], b._day_of(r)))
        return None
    authored = b._authored(r)
    unread = b._length_unread(r) if end is None else ""
    if unread:  # a length nobody could read leaves the course open-ended: said, not silently assumed
        b._notes.append(DataNote("ig-length-unread", reference_of(r), f"its length {unread!r} cannot be read; "
                                    "the course is taken as running with no end", unread, start, record_words=True))
    if not plan and _other_indication(b, r, start):
        return "ig_other_use", IgCourse(start, course_status, reference_of(r), end,
                                        PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""), authored)
    return "ig_courses", IgCourse(start, course_status, reference_of(r), end, PRODUCT_OF_ROUTE.get(str(ig.get("route")), ""),
                                  authored, end_assumed=assumed, intended=plan)


# -- MedicationStatement: a drug taken, also one given elsewhere (docs/clinical-logic.md, "Medication records") ------
# A statement taken dates a bsAb exposure or a CAR-T infusion as an administration does (`reading.STATEMENT_TAKEN`).
THERAPY_STATUSES["MedicationStatement"] = set(STATEMENT_TAKEN)
THERAPY_KINDS["MedicationStatement"] = {"bsab", "car-t-product"}


def _medication_statement(b: FactBuilder, r: Mapping[str, Any]) -> Produced:
    """An immunoglobulin course, a bsAb course or a CAR-T infusion a medication record says was taken.

    Ig: a course from its start (effectivePeriod.start, or the day of effectiveDateTime) to its end (effectivePeriod.end;
    an ended record dated by one day ended that day), with the record's status as an order's; an intended one is a
    course planned. bsAb: a course begun on its start, as a recorded first dose is (`administered`). CAR-T: an infusion
    on its day. A record the rules cannot place is named, never dropped in silence.
    """
    given = _given_drug(b, r)
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
        elif status == "unknown":  # a CAR-T or bsAb that may have been given: as a dose or infusion so recorded is,
            # named, and the card that asks whether it was given where no other is read
            _not_known_given(b, r, "car-t" if car_t is not None else "bsab",
                             _drug_of(b, car_t, bsab, concept) or shown)
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
    if status == "intended":  # a plan: a therapy dates T0 only once it has begun (clinical-rules §2); named
        b._notes.append(DataNote("statement-not-used", reference_of(r), "medication record with status 'intended': "
                                 "a plan, not a therapy given; not used", shown, b._day_of(r)))
        return None
    if car_t is not None:
        drug = str(car_t.get("drug") or "")
    else:
        assert bsab is not None  # neither Ig nor CAR-T (both returned above): a bispecific
        drug = _bsab_drug(b, bsab, concept)
    kind = "car-t-product" if car_t is not None else "bsab"
    raw = start_raw if start_raw is not None or car_t is None else end_raw  # an infusion is one day: either date
    if not isinstance(raw, str):
        _undated_therapy(b, r, kind, drug or shown, "")  # given, on no day the record says: named, never dropped
        return None
    try:
        day = b._date(raw)
    except PartialDate as exc:
        _undated_therapy(b, r, kind, drug or shown, exc.value)
        return None
    except DataError:  # a date no reader can take a day from ("18-11-2025"): as one written in words
        _undated_therapy(b, r, kind, drug or shown, raw.strip(), unreadable=True)
        return None
    if car_t is not None:
        if raw is start_raw and isinstance(end_raw, str) and _unreadable(b, end_raw):  # dated by its start: named
            b._notes.append(DataNote("malformed-field", reference_of(r), "malformed field(s) the rules do not read, "
                                     "ignored: effectivePeriod.end", "effectivePeriod.end"))
        return "car_t", CarTInfusion(day, reference_of(r), drug, _asserted(b, r))
    end = _statement_end(b, r, end_raw)[0] if isinstance(end_raw, str) \
        else day if when is not None and status in STATEMENT_ENDED else None
    if end is not None and end < day:
        raise DataError(f"end date {end} before start date {day}")
    return "bsab", BsAbExposure(drug, day, reference_of(r), end, ongoing=status in ("active", "on-hold") and end is None,
                                administered=True, asserted=_asserted(b, r))


def _asserted(b: FactBuilder, r: Mapping[str, Any]) -> date | None:
    """The day a medication record was written (dateAsserted), None when it has none a day can be read from: the rules
    do not read it on a day before that (an infusion or a dose told of afterwards was not known then)."""
    return b._day_in(r, "dateAsserted")
