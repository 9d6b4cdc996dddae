"""Data the rules saw and could not use, named in a data note rather than dropped.

A record whose code is in no value set but whose text names a drug, a lymphoma or an
infection; a code in a system the service does not know, or in the wrong one; a resource of a
type no reader takes that carries one of our codes. Every kind of resource ends here when
its own reader finds nothing, so this module reads no kind of its own.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from itertools import chain
from typing import TYPE_CHECKING, Any, Iterable, Mapping
from weakref import WeakKeyDictionary
from zoneinfo import ZoneInfo

from cql_like_rules.facts import (
    DataNote,
    Facts,
    RecordText,
    UndatedTherapy,
    UnrecognisedDiagnosis,
    UnrecognisedTherapy,
)
from cql_like_rules.valuesets import SNOMED_EDITION, Terminology

from ..errors import DataError
from .dates import to_local_date
from .plain_results import PlainCode, plain_code
from .reading import (
    CODE_READ_ON, DRUG_VALUESETS, ENDED_CONDITION, PLAN_INTENTS, THERAPY_KINDS, THERAPY_STATUSES,
    RECORD_DATES, RECORD_DAY, WRONG_SYSTEM_THERAPIES, _codings, _concept_text, _first,
    _first_code, _list, _not_given_reason, _partial, _reference_display, _str, _texts, order_drug, reference_of,
    is_lab_result, withdrawn_by_verification,
)

if TYPE_CHECKING:
    from .facts import FactBuilder


# The value sets whose codes, sent under the wrong (known) system, are named rather than passed over (§7).
WRONG_SYSTEM_VALUESETS = ("bacterial-infection", "haematological-malignancy", "car-t-procedure", "car-t-product",
                          "bispecific-b-pc", "immunoglobulin-substitution", "igg-serum", "m-protein")
# ... of which a medication record's or a procedure's code can be one: a drug's, or a treatment's (SKS BOQX1). Not a
# diagnosis's or a result's: a HCPCS J-code (J1551, an immunoglobulin) is not an ICD-10 pneumonia (J15) sent under the
# wrong system
WRONG_SYSTEM_DRUG_VALUESETS = ("car-t-procedure", "car-t-product", "bispecific-b-pc", "immunoglobulin-substitution")
TREATMENT_RECORDS = frozenset({"MedicationAdministration", "MedicationRequest", "MedicationStatement", "Procedure"})

# The records of an immunoglobulin course a coded one makes (an order, a dose, a medication record, a dose registered
# as an SKS treatment, a Procedure): one known only by
# its name is read as if coded (`FactBuilder._ig_by_name`), for the rules to name it if the patient may be on it.
IG_BY_NAME_TYPES = frozenset({"MedicationRequest", "MedicationAdministration", "MedicationStatement", "Procedure"})

NOT_A_RECORD = frozenset({"entered-in-error", "not-done", "cancelled", "refuted"})

# Value sets of diagnoses: their text hints name a Condition, not an order that mentions the disease.
DIAGNOSIS_HINTS = ("bacterial-infection", "infection-other", "haematological-malignancy")
# Value sets of lab results: a result whose local code is in none but whose name is total IgG, or a bacterial
# culture ("BLODDYRKNING(BAKTERIUM+FUNGUS),B") that grew something, is named (an M-protein: `results._names_m_protein`).
LAB_HINTS = ("igg-serum", "culture")
# Value sets of the therapies that date T0: a record of one known only by its name is named, and kept for its card.
THERAPY_NAMES = ("bispecific-b-pc", "car-t-product", "car-t-procedure")
# The value sets a record's name is read against, by its type (`name_in`): a lab result's name against the lab ones, a
# diagnosis' against the diseases' (a therapy named on the problem list is named as not recognised); any other record
# (an order, a dose, a medication record, a procedure) against the drugs' and therapies' (`RECORD_NAMES`). A name
# reads only as what its record can be: "Immunoglobulin G 20% sc" on a medication record is an immunoglobulin, not
# the total IgG a lab result of that name is; "Immunglobulinbehandling" on a diagnosis is no Ig record (`_ig_condition`).
RECORD_NAMES = ("immunoglobulin-substitution", *THERAPY_NAMES)
NAMES_READ_ON: Mapping[str, tuple[str, ...]] = {"Observation": LAB_HINTS, "Condition": (*DIAGNOSIS_HINTS, *THERAPY_NAMES)}

# Value sets whose text hints name a therapy that dates T0: a recorded one known only by its name is a fact of
# its own (`UnrecognisedTherapy`), with the statuses under which a recognised one would count: a dose or procedure
# `stopped` too (halted part-way, some was given), unless its reason says nothing was (`_not_given_reason`).
THERAPY_HINTS = {"bispecific-b-pc": "bsab", "car-t-product": "car-t-product", "car-t-procedure": "car-t-product"}


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


def name_in(t: Terminology, kind: Any, text: Any, concept: Any = None) -> str | None:
    """The value set a record's name names, of those a record of its type can be (`NAMES_READ_ON`); None for a name
    that names none of them (an order naming an infection is no diagnosis, a medication record naming IgG no result),
    or that names only a class of the set's drugs beside a code of a drug of its own (`Terminology.
    named_by_class_only`, `codes_a_drug`: amivantamab L01FX18 "bispecifikt antistof" is a bispecific the guideline
    does not cover, §4)."""
    found = _named(t, text, NAMES_READ_ON.get(str(kind), RECORD_NAMES))
    if found is not None and getattr(t, "class_hints", None) and t.named_by_class_only(text, found) \
            and t.codes_a_drug(concept):
        return None
    return found


def _named(t: Terminology, text: Any, valueset_ids: tuple[str, ...]) -> str | None:
    """Which of these value sets a text names (`Terminology.hint_for`); None where the terminology reads no names."""
    hint_for = getattr(t, "hint_for", None)
    found: str | None = hint_for(text, *valueset_ids) if hint_for is not None else None
    return found


def specific_ig(t: Terminology, text: str, concept: Any = None) -> bool:
    """Whether a name says what a specific immunoglobulin is for ("Anti-D immunglobulin", "Humant immunglobulin mod
    hepatitis B", anti-thymocyte: the value set's `text_words` with `specific`), or a code of `concept` is one the
    substitution set excludes (ATC J06BB04 named only "Immunoglobulin"): beside the generic name, it names no
    substitution the patient may be on, nor a draft of one."""
    return t.excludes("immunoglobulin-substitution", concept) \
        or any(m.get("specific") for m in t.words_in(text, "immunoglobulin-substitution"))


def step_before_therapy(t: Terminology, valueset_id: str, text: str, concept: Any) -> bool:
    """Whether a record is a step before the therapy a value set holds, by its code and by its name alike: a code the
    set lists as another thing (CPT 38225, the cell harvest) and a name giving that step (the set's `text_words` with
    `step_before_therapy`: "CAR-T harvesting ..."). Recognised, so never named on a card as a code not known, whose
    wording asks a site to add it as a local code (and so to date T0 from the harvest). A name that gives the therapy
    itself beside such a code (`the_therapy`: "CAR-T-celleinfusion" coded 38225, also "... efter leukaferese") says
    two things and stays a card's."""
    return t.in_conflict(valueset_id, concept) and names_step(t, valueset_id, text)


def names_step(t: Terminology, valueset_id: str, text: Any) -> bool:
    """Whether a record's name gives a step before the therapy of a value set (`step_before_therapy` words) and not
    the therapy itself (`the_therapy` words)."""
    words = t.words_in(text, valueset_id)
    return any(m.get("step_before_therapy") for m in words) and not any(m.get("the_therapy") for m in words)


def _unrecognised(b: FactBuilder, resource: Mapping[str, Any], concept: Any, named: str | None = None) -> None:
    """A code in no value set whose text names something the rules care about, read by what a record of its type can
    be (`name_in`): say so. `named`: the value set the caller knows the text names (a lab result named "IgG", which no
    text hint finds)."""
    if codes_disagree(b, resource, concept):
        return
    text = _texts(concept)
    kind = resource.get("resourceType")
    if named is None and kind in TREATMENT_RECORDS and _class_coded(b, resource, concept, text):
        return
    if not text:
        return
    shown = _concept_text(concept)
    found = named or name_in(b.t, kind, text, concept)
    if kind == "Condition":
        _ig_condition(b, resource, text, shown)
    if found and step_before_therapy(b.t, found, text, concept):
        b._notes.append(DataNote("step-before-therapy", reference_of(resource),
                                 f"its code is one the value set '{found}' excludes, and its name says the same step "
                                 "before the therapy; not used", shown[:80], b._day_of(resource)))
        return
    if found == "immunoglobulin-substitution" and kind in TREATMENT_RECORDS \
            and any(m.get("specific") for m in b.t.words_in(text, "immunoglobulin-substitution")):
        # "Zutectra (hepatitis B-immunglobulin)", ATC J06BB04: a specific immunoglobulin by its name, no code to add (a
        # specific one's code beside a substitution product's name, "Privigen" on J06BB04, keeps the note below)
        b._notes.append(DataNote("ig-specific", reference_of(resource), "a specific immunoglobulin (its code or name "
                                 "says what it is for: hepatitis B, anti-D, tetanus ...): not substitution, not used",
                                 shown[:80], b._day_of(resource)))
        return
    if found:
        b._notes.append(DataNote("unrecognised-code", reference_of(resource),
                                 f"its text looks like '{found}' but none of its codes is in that value set; "
                                 "not used (a site adds local codes with CDS_VALUESET_DIR)", shown[:80],
                                 b._day_of(resource)))
        _therapy_by_name(b, resource, concept, found, shown)
        _diagnosis_by_name(b, resource, concept, found, shown)
        if found == "immunoglobulin-substitution" and kind in IG_BY_NAME_TYPES and not specific_ig(b.t, text, concept):
            b._ig_named.append((resource, shown[:80]))  # read as a coded one would be, once all are read (`build`)


def _class_coded(b: FactBuilder, resource: Mapping[str, Any], concept: Any, text: str) -> bool:
    """A treatment record whose code names only a class of a therapy set's drugs (`Terminology.class_code_of`: SKS
    BOHJ19K, a bispecific T-cell engager, the drug not said), unless its name gives a drug of the set: named, and on a
    card asking which drug it was (the class holds drugs the guideline does not cover, tarlatamab), never a therapy."""
    class_code_of = getattr(b.t, "class_code_of", None)
    found = class_code_of(concept) if class_code_of is not None else None
    if found is None:
        return False
    valueset_id, entry = found
    named = name_in(b.t, resource.get("resourceType"), text, None) if text else None
    if named is not None and not (named == valueset_id and b.t.named_by_class_only(text, valueset_id)):
        return False  # "Tecvayli" (or "Kymriah", "Privigen") on a class code: the name says what it is, read by name
    shown = (_concept_text(concept) or entry.display or _first_code(concept))[:80]
    other = b.t.excluded_drug_named(valueset_id, text) if text else None
    if other is not None and other.get("target"):  # "tarlatamab" on BOHJ19K: that drug, outside the guideline (§4)
        kind = "bsab-target-out-of-scope" if THERAPY_HINTS.get(valueset_id) == "bsab" else "car-t-target-out-of-scope"
        b._notes.append(DataNote(kind, reference_of(resource), f"named {str(other.get('drug'))[:40]}, directed at "
                                 f"{str(other.get('target'))[:20]}, not a B-cell or plasma-cell antigen: outside the "
                                 "guideline (§4), not used as an index event", shown, b._day_of(resource)))
        return True
    b._notes.append(DataNote("class-code", reference_of(resource), f"its code names a class of the drugs of "
                             f"'{valueset_id}' but not which drug: not used", shown,
                             b._day_of(resource)))
    _therapy_by_name(b, resource, concept, valueset_id, shown, class_code=True)
    return True


# A diagnosis's code judged plain once per code and name (`plain_diagnosis`), apart from the results' verdicts
_DIAGNOSES_JUDGED: WeakKeyDictionary[Any, dict[Any, PlainCode | None]] = WeakKeyDictionary()
_PLAIN = PlainCode("", "", "", "")  # the verdict "nothing to name" (a diagnosis has no note of its own to word)


def plain_diagnosis(b: FactBuilder, r: Mapping[str, Any], concept: Any) -> bool:
    """Whether a Condition whose code no value set holds is one `_unrecognised` and `_name_unknown_system` would pass
    over in silence (a hypertension, a depression: most of a problem list), judged once per code and name as results
    are (`plain_results`): its codes do not disagree, its name names nothing the rules read nor immunoglobulin, and its
    codes are in no unknown system nor under the wrong one. What the unread notes read of its code is then known too
    (`code_read`), so `_name_unknown_system` does not read it again. False: the full reading takes it."""
    if plain_code(b, concept, _plain_diagnosis_verdict, _DIAGNOSES_JUDGED) is None:
        return False
    b.code_read_last = (r, (_code_that_could_matter(b, r), None, None))
    return True


def _plain_diagnosis_verdict(b: FactBuilder, concept: Any) -> PlainCode | None:
    """`plain_diagnosis`'s verdict on a concept, asking what `_unrecognised` (with `codes_disagree`, `_ig_condition`)
    and `code_read` ask of it: `_PLAIN` only when every answer is "nothing here"."""
    t = b.t
    conflicting = getattr(t, "conflicting_sets", None)
    if conflicting is not None and conflicting(concept):
        return None
    text = _texts(concept)
    if text and (name_in(t, "Condition", text) is not None
                 or _named(t, text, ("immunoglobulin-substitution",)) is not None):
        return None
    read = (CODE_READ_ON["Condition"], concept)
    if _unknown_code_in(b, read) is not None or _wrong_code_in(b, read, "Condition") is not None:
        return None
    return _PLAIN


def codes_disagree(b: FactBuilder, resource: Mapping[str, Any], concept: Any) -> bool:
    """A record coded both as what a value set holds and as what it excludes as another thing (total IgG and IgG1, a
    CAR-T infusion and a cell harvest: `Terminology.conflicting_sets`) says two things: it is named and not read as
    either. (An immunoglobulin record coded with anti-D is read, and named: `ig_codes_disagree`.)"""
    conflicting = getattr(b.t, "conflicting_sets", None)
    found: tuple[str, ...] = conflicting(concept) if conflicting is not None else ()
    if not found:
        return False
    shown = _concept_text(concept) or _first_code(concept)
    b._notes.append(DataNote("codes-disagree", reference_of(resource), f"its codes disagree: one is in '{found[0]}', "
                             "another is one that value set excludes; not used", shown[:80], b._day_of(resource)))
    therapy = next((vs for vs in found if vs in THERAPY_HINTS), None)
    if therapy is not None:  # it may be the index therapy: a card asks for its coding, as for one known by name
        _therapy_by_name(b, resource, concept, therapy, _therapy_named(b, concept, therapy), disagree=therapy)
    return True


def _own_coding(b: FactBuilder, concept: Any, valueset: str) -> Mapping[str, Any]:
    """Of a concept whose codes disagree, the coding in `valueset` (the therapy's, not the one the set excludes);
    empty when none is."""
    return next((c for c in _codings(concept) if isinstance(c.get("system"), str) and isinstance(c.get("code"), str)
                 and valueset in b.t.sets_of({"coding": [c]})), {})


def _therapy_named(b: FactBuilder, concept: Any, valueset: str) -> str:
    """A therapy record whose codes disagree as its card names it: its text, else the display or code of its own
    coding (`_own_coding`), never those of the code the set excludes ("CAR-T therapy; harvesting")."""
    if isinstance(concept, dict) and isinstance(concept.get("text"), str) and concept["text"].strip():
        return RecordText(concept["text"])
    own = _own_coding(b, concept, valueset)
    display = own.get("display")
    return RecordText(display) if isinstance(display, str) and display.strip() else str(own.get("code") or "")


def ig_codes_disagree(b: FactBuilder, resource: Mapping[str, Any]) -> None:
    """An immunoglobulin record read by its code of substitution although another of its codes is a specific
    immunoglobulin (IVIG and anti-D: `Terminology.named_conflicts`): read as the course it most likely is, since
    silence would hide a course or its overdue stop, and named so the clinician checks it."""
    concept = b._medication(resource)
    named = getattr(b.t, "named_conflicts", None)
    if named is None or "immunoglobulin-substitution" not in named(concept):
        return
    shown = _concept_text(concept) or _first_code(concept)
    b._notes.append(DataNote("ig-codes-disagree", reference_of(resource), "its codes disagree: one is immunoglobulin "
                             "substitution, another a specific immunoglobulin; read as substitution", shown[:80],
                             b._day_of(resource)))


def _ig_condition(b: FactBuilder, resource: Mapping[str, Any], text: str, shown: str) -> None:
    """A diagnosis naming immunoglobulin as a treatment ("Immunglobulinbehandling", "Immunoglobulin substitution"), a
    problem-list entry some EHRs keep for a patient on Ig: no order or dose, so never a course, but no record to pass
    over either. A current one (not `ENDED_CONDITION`, not abated) is named as Ig the patient may be on (`ig-condition`,
    in `catalogue.ALREADY_ON`: a start card names it and offers no Ig order); an ended one on the explanation page
    only (`ig-condition-ended`). One refuted, naming a specific immunoglobulin (anti-D), naming immunoglobulin but
    no treatment of it ("Sekundær immunglobulinmangel"), or naming a disease of one immunoglobulin class or of light
    chains with only a general treatment word ("Immunglobulin A nefropati, i behandling") is no such entry; a word
    that names Ig treatment by itself ("immunglobulinbehandling", "IVIG") keeps it one."""
    if _named(b.t, text, ("immunoglobulin-substitution",)) is None:
        return
    words = b.t.words_in(text, "immunoglobulin-substitution")
    names_ig = any(m.get("names_ig") for m in words)  # "Immunglobulinbehandling", "IVIG": treatment whatever else
    if not any(m.get("treatment") for m in words) or not names_ig and any(m.get("disease") for m in words) \
            or specific_ig(b.t, text) or withdrawn_by_verification(resource):
        return
    clinical = {_str(c.get("code")) for c in _codings(resource.get("clinicalStatus"))}
    ended = bool(clinical & ENDED_CONDITION) or any(key.startswith("abatement") for key in resource)
    b._notes.append(DataNote("ig-condition-ended" if ended else "ig-condition", reference_of(resource),
                             f"a diagnosis naming immunoglobulin treatment{', ended,' if ended else ''} is no order or "
                             "dose: not read as a course" + ("" if ended else "; the patient may be on substitution"),
                             RecordText(shown[:80]), b._day_of(resource)))


def _diagnosis_by_name(b: FactBuilder, resource: Mapping[str, Any], concept: Any, found: str, shown: str) -> None:
    """A haematological malignancy or a bacterial infection known only by its name (its code is in no value set),
    unless refuted: the first gets a card of its own, the second is named where, coded, it could change the advice."""
    into = b._diagnoses if found == "haematological-malignancy" else \
        b._infections_named if found == "bacterial-infection" else None
    if into is None or resource.get("resourceType") != "Condition":
        return
    if withdrawn_by_verification(resource):
        return
    if into is b._infections_named and _names_no_bacterium(b, shown):
        return  # "Candida-sepsis", "Sepsis forårsaget af COVID-19": coded, no bacterial infection either
    code, system = _code_and_system(concept)
    into.append(UnrecognisedDiagnosis(reference_of(resource), shown[:80], code[:40], _system_name(b, system)[:100],
                                      b._day_of(resource)))


def _names_no_bacterium(b: FactBuilder, text: str) -> bool:
    """Whether a name gives the organism of an infection and none of those it names is a bacterium (the organism
    value set's text words: a fungus, a virus)."""
    words_in = getattr(b.t, "words_in", None)
    named = words_in(text, "organism") if words_in is not None else ()
    return bool(named) and not any(m.get("kind") == "bacterial" for m in named)


def _therapy_by_name(b: FactBuilder, resource: Mapping[str, Any], concept: Any, found: str, shown: str,
                     disagree: str = "", class_code: bool = False) -> None:
    """A CAR-T or bsAb that happened (by the statuses a recognised one needs) but is known only by its name, or
    (`disagree`: the value set) by a code of that set beside one the set excludes (`codes_disagree`)."""
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
            ordered: date | None = b._dosage_period(resource)[0]
        except DataError:
            ordered = b._day_of(resource)
        b._car_t_ordered.append((resource, shown, ordered))
        return
    if looks_like is None or statuses is None or _str(resource.get("status")) not in statuses \
            or looks_like not in THERAPY_KINDS[str(resource.get("resourceType"))] or _not_given_reason(resource):
        return
    if resource.get("resourceType") == "MedicationRequest" and _str(resource.get("intent")) in PLAN_INTENTS:
        return  # a proposal or plan is no order, as for a recognised code (no card); its own note names it
    day = b._day_of(resource)
    if resource.get("resourceType") == "MedicationRequest":
        try:
            day = b._dosage_period(resource)[0]  # the boundsPeriod start, else authoredOn
        except DataError:
            pass
    code, system = _code_and_system(concept)
    own = _own_coding(b, concept, disagree) if disagree else {}
    if own:  # the card names the code that is the therapy's, not the one its value set excludes
        code, system = own["code"], own["system"]
    held_under = ""
    wrong = _wrong_system_code(b, resource)
    if wrong is not None and wrong[2][1] in WRONG_SYSTEM_THERAPIES:
        # a CAR-T or bsAb code sent under another known system than its own (L01FX24 under SNOMED CT): its card
        # asks for the record's code system to be corrected, as a draft so coded is told, not for a code to be added
        code, system, held_under = wrong[0], wrong[1], wrong[2][0]
    if day is None:
        # no date either: not placed in time, but not nothing (the same record coded rightly gets the card that asks
        # for its day): kept as a therapy with no day, its name, code and system said on that card
        b._undated.append(UndatedTherapy(reference_of(resource), looks_like, shown[:80], "", code_unread=True,
                                            code=code[:40], code_system=_system_name(b, system)[:100],
                                            held_under=held_under, written=b._written(resource), disagree=disagree))
        return
    written = _first(resource, *RECORD_DAY)  # the date `_day_of` read
    if resource.get("resourceType") == "MedicationRequest":  # its start: the boundsPeriod's, else authoredOn
        written = next((v for v in (_first(d, "timing.repeat.boundsPeriod.start") for d in
                                    _list(resource.get("dosageInstruction")) if isinstance(d, dict)) if v),
                       resource.get("authoredOn"))
    # a month or a year only ("2025-11"): `day` is its first day, which the card must not show as the day given
    recorded = written.strip()[:20] if _partial(written) else ""
    b._therapies.append(UnrecognisedTherapy(day, reference_of(resource), shown[:80], looks_like, code[:40],
                                               _system_name(b, system)[:100], held_under, recorded,
                                               b._written(resource), disagree, class_code))


# What `code_read` finds of one record: `_code_that_could_matter`, `_unknown_code_in`, `_wrong_code_in`
CodeRead = tuple[tuple[str, Any] | None, tuple[str, str] | None, tuple[str, str, tuple[str, str]] | None]


def code_read(b: FactBuilder, r: Mapping[str, Any]) -> CodeRead:
    """A record's code as the unread notes read it, once: the concept that could matter, its code in no known system,
    its code under the wrong known system. A result no value set holds is asked by `results._not_used`, then by
    `_name_unknown_system`; the builder keeps the last record's reading (by identity; `know_medications` forgets it)."""
    last = b.code_read_last
    if last is not None and last[0] is r:
        return last[1]
    read = _code_that_could_matter(b, r)
    found: CodeRead = (read, _unknown_code_in(b, read), _wrong_code_in(b, read, str(r.get("resourceType"))))
    b.code_read_last = (r, found)
    return found


def _unknown_system_code(b: FactBuilder, r: Mapping[str, Any]) -> tuple[str, str] | None:
    """A record that could matter (`CODE_READ_ON`) whose code is in no code system the rules know and that carries
    no text or display to tell what it is: its first (code, system); None for any other record."""
    return code_read(b, r)[1]


def _unknown_code_in(b: FactBuilder, read: tuple[str, Any] | None) -> tuple[str, str] | None:
    """`_unknown_system_code` of a record whose `_code_that_could_matter` has been read (once per record)."""
    if read is None:
        return None
    element, concept = read
    codings = [c for c in _codings(concept) if isinstance(c.get("code"), str) and c["code"].strip()]
    if not codings or _texts(concept).strip():
        return None
    # a drug's code is read only in the systems the drug value sets use: a lab system (NPU) names no drug
    drugs = b.t.systems_of(*DRUG_VALUESETS) if element == "medication" else None
    for c in codings:
        known = b.t.alias_for(c["system"]) if isinstance(c.get("system"), str) else None
        if known is not None and _edition_code_unread(b.t, c):
            continue  # a SNOMED CT edition's own concept (an extension's) no value set holds: named, as before
        if known is not None and (drugs is None or known[0] in drugs):
            return None
    return str(codings[0]["code"]).strip(), _str(codings[0].get("system")) or ""


def _therapy_unknown_system(b: FactBuilder, r: Mapping[str, Any], found: tuple[str, str] | None = None,
                            held_under: str = "") -> None:
    """A procedure, dose, order or medication record that happened (the statuses a recognised CAR-T or bsAb
    record needs), dated, but coded only in an unknown system with no text: it could be the therapy that dates
    T0, so it is kept as a therapy not recognised (`looks_like` "unknown-system") when the policy asks for a
    card on it (`unknown_system_therapy_card`). `found`: its code and system when the caller has read them;
    `held_under`: for a code sent under the wrong known system, the alias of the one the value sets hold it under
    (its card then asks for the record's code system to be corrected, not for a code system to be added)."""
    kind = str(r.get("resourceType"))
    statuses = THERAPY_STATUSES.get(kind)
    if not b.unknown_system_therapies or statuses is None or _str(r.get("status")) not in statuses \
            or _not_given_reason(r):
        return
    found = found or _unknown_system_code(b, r)
    if found is None:
        return
    day = b._day_of(r)
    if kind == "MedicationRequest":
        try:
            day = b._dosage_period(r)[0]  # the boundsPeriod start, else authoredOn
        except DataError:
            pass
    if day is None:
        return  # undated: the data note names it
    code, system = found
    if not held_under:  # a drug code sent under a known system no drug value set uses (ATC's under SNOMED CT)
        wrong = _wrong_system_code(b, r)
        if wrong is not None and wrong[2][1] not in WRONG_SYSTEM_THERAPIES:
            return  # an immunoglobulin's (or a lab's) code under the wrong system: no therapy, named as what it is
        if wrong is not None:  # also beside a local code sent first: the code that tells what it is
            code, system, held_under = wrong[0], wrong[1], wrong[2][0]
    b._therapies.append(UnrecognisedTherapy(day, reference_of(r), "", "unknown-system", code[:40], system[:100],
                                               held_under))


def _name_unknown_system(b: FactBuilder, r: Mapping[str, Any]) -> None:
    """A record that could matter (`CODE_READ_ON`) whose code is in no code system the rules know and that carries
    no text or display to tell what it is ("AB12" in http://hospital.dk/codes): named, "code X in system Y not
    recognised". One note per record type and system: the others of that type and system are counted in it, so a
    chart of 200 results under a laboratory's own system makes one note. A record with a text is judged by its
    text (`_unrecognised`); one with any coding in a known system was read by that coding. One that could be a
    CAR-T or bsAb record is also kept for its card (`_therapy_unknown_system`)."""
    read, found, wrong = code_read(b, r)  # most records a reader passed over stop here
    if read is None:
        return
    if found is None or wrong is not None:
        # a code the value sets hold under another known system tells more than a local code beside it ("TEC-1"
        # in a hospital's system, then L01FX24 under SNOMED CT): the record's system is to be corrected
        _name_wrong_system(b, r, wrong)
        return
    _therapy_unknown_system(b, r, found)
    _diagnosis_unread(b, r, found, "unknown-system")
    if reference_of(r) in b._drafts_named:  # the draft being judged, sent in the chart too: named once, as a draft
        return
    kind = str(r.get("resourceType"))
    code, system = found
    key = (kind, system)
    message = (f"code {code[:40]!r} in system {(system or '(none)')[:100]!r}, which no value set uses, and no text: "
               "not used (a site adds its local codes with CDS_VALUESET_DIR)")
    if key in b._unknown_systems:
        at, count = b._unknown_systems[key]
        b._unknown_systems[key] = (at, count + 1)
        b._notes[at] = replace(b._notes[at], message=b._notes[at].message.split("; and ", 1)[0]
                                  + f"; and {count} more {kind} record(s) in that system")
        return
    b._unknown_systems[key] = (len(b._notes), 1)
    b._notes.append(DataNote("code-system-unknown", reference_of(r), message,
                                f"{code[:20]} ({system[:60] or 'no system'})", b._day_of(r)))


def _name_wrong_system(b: FactBuilder, r: Mapping[str, Any],
                       found: tuple[str, str, tuple[str, str]] | None) -> None:
    """A record that could matter (`CODE_READ_ON`) read by none of its codings, one of which is a code the value
    sets hold under another system than the known one it was sent under ("J15.1" or "BOQX1" under SNOMED CT): not
    counted, and named with that reason unless a note already names the record (by its text). One whose code is a
    CAR-T or bsAb code may be the index therapy: it is kept for its card, as one in an unknown system is.
    `found`: the record's `_wrong_system_code`."""
    if found is None:
        return
    code, system, (alias, valueset) = found
    if valueset in WRONG_SYSTEM_THERAPIES:
        _therapy_unknown_system(b, r, (code[:40], system), alias)
    if reference_of(r) in b._drafts_named:  # the draft being judged, sent in the chart too: named once, as a draft
        return
    if valueset == "immunoglobulin-substitution" and r.get("resourceType") != "Observation" \
            and _str(r.get("status")) != "draft":  # an order not yet signed is no substitution
        # the patient may be on substitution: named first on any card, never as a plain code not used, nor as a
        # name not recognised by its code ("Privigen 10 g"), which says nothing of a substitution it may be
        ref = reference_of(r)
        named = [i for i, n in enumerate(b._notes) if n.source == ref]
        if all(b._notes[i].kind == "unrecognised-code" for i in named):
            note = DataNote("ig-wrong-system", ref, f"immunoglobulin code {code[:40]!r} sent under "
                            f"{_system_name(b, system)[:100]}; the value set holds it under {alias} only: not "
                            "used, the patient may be on substitution",
                            f"{code[:20]} ({_system_name(b, system)[:60]})", b._day_of(r))
            if named:  # in its place: a note's position is kept by others (`_unknown_systems`)
                b._notes[named[0]] = note
            else:
                b._notes.append(note)
        return
    if valueset == "haematological-malignancy":
        _diagnosis_unread(b, r, (code, system), alias)
    ref = reference_of(r)
    if any(n.source == ref for n in b._notes):
        return
    b._notes.append(DataNote("code-wrong-system", ref, f"code {code[:40]!r} sent under "
                                f"{_system_name(b, system)[:100]}; the value set '{valueset}' holds it "
                                f"under {alias} only: not used (is the system wrong?)",
                                f"{code[:20]} ({_system_name(b, system)[:60]})", b._day_of(r)))


def _diagnosis_unread(b: FactBuilder, r: Mapping[str, Any], found: tuple[str, str], unread: str) -> None:
    """A Condition with no name whose code could not be read (`unread`: "unknown-system", or the alias of the
    system a malignancy code belongs to, sent under another): it may be the malignancy that puts a CAR-T or bsAb
    patient in scope, so it is kept as a diagnosis not recognised, with the code and system seen. Without it a
    patient whose lymphoma is so coded got no card at all (the card for a malignancy known by name needs a name)."""
    if r.get("resourceType") != "Condition":
        return
    code, system = found
    b._diagnoses.append(UnrecognisedDiagnosis(reference_of(r), "", code[:40], _system_name(b, system)[:100],
                                                 b._day_of(r), unread=unread))


def _wrong_system_code(b: FactBuilder, r: Mapping[str, Any]) -> tuple[str, str, tuple[str, str]] | None:
    """The first coding of a record that could matter whose code the value sets hold only under another system
    than the known one it was sent under: (code stripped, system, (that other system's alias, value set))."""
    return code_read(b, r)[2]


def _wrong_code_in(b: FactBuilder, read: tuple[str, Any] | None, kind: str) -> tuple[str, str, tuple[str, str]] | None:
    """`_wrong_system_code` of a record of `kind` whose `_code_that_could_matter` has been read (once per record)."""
    held_elsewhere = getattr(b.t, "held_elsewhere", None)
    if held_elsewhere is None or read is None:
        return None
    valuesets = WRONG_SYSTEM_DRUG_VALUESETS if kind in TREATMENT_RECORDS else WRONG_SYSTEM_VALUESETS
    for c in _codings(read[1]):
        system, code = c.get("system"), c.get("code")
        if not isinstance(system, str) or not isinstance(code, str) or not code.strip():
            continue
        elsewhere = held_elsewhere(system, code, valuesets)
        if elsewhere is not None:
            return code.strip(), system, elsewhere
    return None


def _code_that_could_matter(b: FactBuilder, r: Mapping[str, Any]) -> tuple[str, Any] | None:
    """(the element its code is read on, the concept) for a record that could matter (`CODE_READ_ON`): recorded
    (not entered in error, not refuted), and for an Observation a laboratory one when it has a category; None
    for any other record, whose code no note needs to name."""
    kind = str(r.get("resourceType"))
    element = CODE_READ_ON.get(kind)
    if element is None or _str(r.get("status")) in NOT_A_RECORD or withdrawn_by_verification(r):
        return None
    if kind == "Observation" and _list(r.get("category")) and not is_lab_result(r):
        return None
    return element, r.get("code") if element == "code" else _medication_concept(b, r)


def _medication_concept(b: FactBuilder, r: Mapping[str, Any]) -> Any:
    """A medication record's drug as `_medication` reads it (`order_drug`), without counting a Medication not sent."""
    return order_drug(r, b._medications, b.t.sets_of, b.full_urls)


def _system_name(b: FactBuilder, system: str) -> str:
    """A code system as a card names it: its alias in code-systems.json ("RXNORM") when it is one we know,
    else the URI as sent."""
    known = b.t.alias_for(system) if system else None
    return known[0] if known else system


# -- Resource types no reader takes (a DiagnosticReport is read in `infections`) ----------------------------------------
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


def dated_after(resource: Mapping[str, Any], day: date, tz: ZoneInfo) -> bool:
    """Whether every date `resource` names of itself lies after `day` (a month only, "2026-01", from its first day):
    evaluated as of `day`, it had not happened nor been written yet (clinical rules §5, "as of" a date), so no note
    names it. A record with no readable date is not after any day. Its dates: every one it names of itself
    (`RECORD_DATES`), and a planned start (an order is not among the records: the rules read an order by its planned
    period, whenever it was written, so its note stays with it; a medication record planned from before the day is read
    that day, and named with it)."""
    if resource.get("resourceType") == "MedicationRequest":
        return False
    asserted = resource.get("dateAsserted") if resource.get("resourceType") == "MedicationStatement" else None
    if isinstance(asserted, str):  # a medication record is not there before it was written, whatever it tells of
        try:
            if to_local_date(asserted, tz, allow_partial=True) > day:
                return True
        except DataError:
            pass
    found = False
    # read lazily: the first date on or before the day answers (a record's usual one, one of its first paths)
    starts = (_first(d, "timing.repeat.boundsPeriod.start") for d in _list(resource.get("dosageInstruction"))
              if isinstance(d, dict))
    for value in chain((_first(resource, path) for path in RECORD_DATES), starts):
        if not isinstance(value, str):
            continue
        try:
            if to_local_date(value, tz, allow_partial=True) <= day:
                return False
        except DataError:
            continue
        found = True
    return found


def notes_as_of(notes: Iterable[DataNote], resources: Iterable[Mapping[str, Any]], day: date,
                tz: ZoneInfo) -> tuple[DataNote, ...]:
    """The data notes an evaluation on `day` names: none about a record dated after that day (a chart exported later
    and replayed, timelined or served as of a past day holds records the service could not have seen then). A note
    about no record of the chart (a draft order, a prefetch key, a count) is kept."""
    notes = tuple(notes)
    about = {n.source for n in notes}
    later = {ref for r in resources if (ref := reference_of(r)) in about and dated_after(r, day, tz)}
    return tuple(n for n in notes if n.source not in later) if later else notes


def named_by_rules(seen: Iterable[DataNote], rules: Iterable[DataNote]) -> tuple[DataNote, ...]:
    """The notes of an evaluation: the facts' (`seen`), then the rules'. A record the rules name as immunoglobulin
    the patient may be on (`ig-by-name`: known only by its name, current or planned) is named so in the place of its
    note as a code not recognised, with that note's name and date as the facts read them: one note a record (one the
    facts named otherwise, an Ig code under the wrong system, keeps that note)."""
    by_name = {n.source: n for n in rules if n.kind == "ig-by-name"}
    if not by_name:
        return (*seen, *rules)
    kept = [replace(n, kind="ig-by-name", message=by_name.pop(n.source).message)
            if n.kind == "unrecognised-code" and n.source in by_name else n for n in seen]
    return (*kept, *(n for n in rules if n.kind != "ig-by-name"))


def _prohibition(b: FactBuilder, r: Mapping[str, Any]) -> None:
    """A request not to do it (`doNotPerform`) is never read as an order: named when what it forbids is something the
    rules read (an immunoglobulin, a bsAb, a CAR-T product, an IgG test), so the card does not pass over it in silence;
    a prohibition of anything else is nothing the guideline speaks of."""
    medication = r.get("resourceType") == "MedicationRequest"  # `do_not_perform` reads requests only
    concept = _medication_concept(b, r) if medication else r.get("code")
    if not b.t.sets_of(concept):
        return
    shown = _medication_named(b, r) if medication else (_concept_text(concept) or _first_code(concept) or "?")
    b._notes.append(DataNote("do-not-perform", reference_of(r), "doNotPerform is true: a request that it not be "
                             "given or done, not read as an order", shown, b._day_of(r)))


def _medication_named(b: FactBuilder, r: Mapping[str, Any]) -> str:
    """An order's or medication record's drug as the record names it: the text or code of the drug the facts read
    (`_medication_concept`: its concept, else the Medication it names, contained or sent, by what it contains when
    its own code is a product number), else the reference's display, else the reference itself; a note never names
    a drug "?". A drug named by code is named by the code the rules know it by ("J06BA02", an ingredient's ATC), not
    a product number or local code beside it that no clinician reads as a drug ("123456")."""
    concept = _medication_concept(b, r)
    known = [c for c in _codings(concept) if b.t.sets_of({"coding": [c]})]
    shown = _concept_text(concept) or _first_code({"coding": known}) or _first_code(concept)
    if shown:
        return shown
    display = _reference_display(r)
    if display:
        return RecordText(display)
    reference = _first(r, "medicationReference.reference")
    return reference if isinstance(reference, str) and reference.strip() else "(no medication named)"


def orders_written_later(b: FactBuilder, facts: Facts, resources: Iterable[Mapping[str, Any]],
                         day: date) -> tuple[DataNote, ...]:
    """Immunoglobulin and bispecific orders written (authoredOn) after `day`, and medication records asserted
    (dateAsserted) after it: the rules do not read a record before it was written (clinical rules §5), but on a live
    call an order "written tomorrow" is a wrong clock or time zone in the EHR, and the patient may well be on it: named
    (§7-§8: data seen and not used), never left out in silence. The caller asks only on a live call (`pipeline.evaluate`
    `live`): a day fixed for a replay stays quiet about orders that did not yet exist."""
    later = {x.source: x.authored for x in facts.ig_courses if x.authored is not None and x.authored > day}
    told = [(x.source, x.asserted) for x in facts.car_t] + [(x.source, x.asserted) for x in facts.bsab]
    later.update({source: asserted for source, asserted in told if asserted is not None and asserted > day})
    later.update({x.source: x.authored for x in facts.bsab if x.authored is not None and x.authored > day})
    named = [(x.source, x.written) for x in facts.unrecognised_therapies]  # known by name, or with no day
    named += [(x.source, x.written) for x in facts.undated_therapies]
    later.update({source: written for source, written in named if written is not None and written > day})
    if not later:
        return ()
    notes = []
    for r in resources:
        ref = reference_of(r)
        written = later.pop(ref, None)
        if written is None:
            continue
        shown = _medication_named(b, r)[:80]
        ig = any(ref == x.source for x in facts.ig_courses)
        order = ref.startswith("MedicationRequest/")
        kind = ("ig-order-written-later" if ig else "therapy-order-written-later") if order else \
            "ig-statement-written-later" if ig else "statement-written-later"
        notes.append(DataNote(kind, ref, f"{'immunoglobulin ' if ig else ''}"
                              f"{'order' if order else 'medication record'} written on "
                              f"{written.isoformat()}, after the day evaluated ({day.isoformat()}): not read",
                              shown, written))
    return tuple(notes)
