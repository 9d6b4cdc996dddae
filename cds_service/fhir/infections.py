"""Infections (Condition) and cultures (Observation, DiagnosticReport) to facts.

The words of a culture's result are read in `culture_text.py`; here the resources around them:
which specimen, which organism, whether the result is final, whether a later report of the
same sample replaces it. A culture reported only as a DiagnosticReport is read after every
Observation, so a report of a sample already read as an Observation is not counted twice.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple, get_args

from cql_like_rules.facts import (
    Admission,
    Culture,
    DataNote,
    Diagnosis,
    Infection,
    Organism,
    RecordText,
)
from cql_like_rules.record_words import (
    names_a_bacterial_culture,
    only_defers,
    says_no_result,
    specimen_of_name,
)
from cql_like_rules.valuesets import Entry, Terminology

from ..errors import DataError
from .culture_text import Growth, bacterial_verdict, culture_words, growth_in, names_a_bottle, names_a_comment
from .reading import (
    EXCLUDED_VERIFICATION, NOT_FINAL_STATUSES, Produced, RESULT_STATUSES, _codings, _component_texts,
    _components_interpretation, _concept_text, _first, _first_code, _interpretation, _list, _partial, _reference_to,
    _str, _texts, _when, reference_of, same_sample, sample_keys, withdrawn_by_verification,
)
from .unread import (
    _concepts, _diagnosis_unread, _name_if_coded, _system_name, _unrecognised, name_in, plain_diagnosis,
)

if TYPE_CHECKING:
    from .facts import FactBuilder


# A DiagnosticReport's statuses of a released result: FHIR R4 adds `appended` (final, with text added after release: a
# culture report whose susceptibility or comment came later), a kind of `amended`.
REPORT_STATUSES = frozenset(RESULT_STATUSES | {"appended"})

# A DiagnosticReport's categories of a laboratory's report (HL7 v2 table 0074: laboratory, microbiology,
# mycobacteriology; the FHIR Observation category `laboratory` some EHRs send here too)
REPORT_LAB_SECTIONS = frozenset({"LAB", "MB", "MCB", "laboratory"})

# What an infection-other entry's `organism` may say (valuesets/README.md); anything else is read as "other", as no
# `organism` is: a non-bacterial code must not count as a bacterial infection for a misspelt attribute.
ORGANISMS: dict[str, Organism] = {organism: organism for organism in get_args(Organism) if organism != "bacterial"}


class Agent(NamedTuple):
    """A Condition coded only with the bacterium that caused a disease (ICD-10 B95-B96: DB962 "Escherichia coli
    som årsag til sygdom"), the way ICD-10 names the organism of an infection coded in another chapter (DN390 with
    DB962 is a urinary tract infection caused by E. coli). Kept to pair with that infection (`paired_agents`)."""

    record: Mapping[str, Any]
    source: str
    day: date | None  # its onset (else recorded) day; None when its date names no day: then paired by its stay only
    encounter: str
    display: str


def _comment_component_texts(r: Mapping[str, Any]) -> list[str]:
    """The value text of each component of a result named a comment (`names_a_comment`): a note, not a finding."""
    return [value for c in _list(r.get("component"))
            if isinstance(c, dict) and names_a_comment(_texts(c.get("code")))
            and (value := _texts(c.get("valueString"), c.get("valueCodeableConcept"))).strip()]


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


def _culture_not_final(b: FactBuilder, r: Mapping[str, Any], entry: Entry, status: str) -> None:
    """A culture (Observation or report) not final that names a bacterium grown: named with what it names; what
    else its reading would say (an unread text, a contaminant) is not, since the result is not used."""
    kept = len(b._notes)
    try:
        culture: Culture | None = _culture(b, r, entry)[1]
    except DataError:
        culture = None
    del b._notes[kept:]
    if culture is not None and culture.positive and culture.bacterial:
        shown = culture.organism or _str(r.get("valueString")) or _concept_text(r.get("valueCodeableConcept"))
        b._notes.append(DataNote("culture-not-final", reference_of(r), f"culture with status '{status}' names a "
                                    "bacterium grown: not a final result, not counted", (shown or "?")[:80],
                                    culture.date, record_words=isinstance(shown, RecordText) or bool(
                                        shown and not culture.organism)))
        b._cultures_not_final[reference_of(r)] = sample_keys(r, b.full_urls)


def _superseded_cultures(b: FactBuilder, cultures: list[Culture], used: Mapping[str, Mapping[str, Any]]) -> None:
    """A culture not final beside a final one of the same sample (`sample_keys`) is superseded, not unread: its
    note goes to the explanation page only (`culture-superseded`), the final one is what the card counts."""
    finals = [(c.source, sample_keys(used[c.source], b.full_urls)) for c in cultures if c.source in used]
    for i, note in enumerate(b._notes):
        if note.kind != "culture-not-final" or note.source not in b._cultures_not_final:
            continue
        keys = b._cultures_not_final[note.source]
        final = next((source for source, theirs in sorted(finals) if same_sample(keys, theirs)), None)
        if final is not None:
            b._notes[i] = DataNote("culture-superseded", note.source, f"culture not final, superseded by the "
                                      f"final result {final} of the same sample: not counted", note.display,
                                      note.day, record_words=note.record_words)


# A likely contaminant in two or more *separate* blood-culture sets is a growth ([policy]
# `Parameters.contaminant_separate_sets_days`, CDC NHSN LCBI criterion 2). Separate: drawn at most that many calendar days
# apart, and not one sample (`reading.same_sample`): on other days, or on one day two results of one kind (two
# Observations), or a report and an Observation whose specimen, accession number or collection time tell them apart (a
# report beside an Observation, nothing telling them apart, may be that Observation's own report with its link missing:
# one culture). Decided here, not in the rules: what tells two samples apart is in the resources, not in the facts.


def _contaminant_sets(b: FactBuilder, cultures: list[Culture], used: Mapping[str, Mapping[str, Any]]) -> list[Culture]:
    """The cultures, those of a likely contaminant grown in separate blood-culture sets counted as bacterial growth
    (`contaminant_separate_sets_days`) with the number of sets; their "likely contaminant: not counted" notes go, since the
    card names them as counted."""
    noted = {n.source for n in b._notes if n.kind == "culture-contaminant"}
    grown = [c for c in cultures if c.source in noted and c.source in used and c.specimen == "blood" and c.organism]
    sets = {c.source: 1 + sum(1 for o in grown if _separate_sets(b, c, o, used)) for c in grown}
    counted = {source for source, n in sets.items() if n > 1}
    if not counted:
        return cultures
    b._notes[:] = [n for n in b._notes if not (n.kind == "culture-contaminant" and n.source in counted)]
    return [replace(c, bacterial=True, sets=sets[c.source]) if c.source in counted else c for c in cultures]


def _separate_sets(b: FactBuilder, one: Culture, other: Culture, used: Mapping[str, Mapping[str, Any]]) -> bool:
    """Two cultures are separate sets of the same likely contaminant (`contaminant_separate_sets_days`)."""
    if one.source == other.source or one.organism.casefold() != other.organism.casefold() \
            or abs((one.date - other.date).days) > b.contaminant_sets_days:
        return False
    mine, theirs = sample_keys(used[one.source], b.full_urls), sample_keys(used[other.source], b.full_urls)
    if same_sample(mine, theirs):
        return False
    told_apart = bool({k[0] for k in mine} & {k[0] for k in theirs})
    return one.date != other.date or told_apart or one.source.split("/")[0] == other.source.split("/")[0]


def _interpretation_in_words(b: FactBuilder, r: Mapping[str, Any]) -> str:
    """'positive' or 'negative' from an interpretation given in words only ("Positiv", "Ingen vækst": the
    result-interpretation words, in `interpretation.text` or a coding's display outside the value set); ''
    when it names neither, or both."""
    text = _texts(*_list(r.get("interpretation")))
    found = b.t.words_in(text, "result-interpretation")
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


def _culture(b: FactBuilder, r: Mapping[str, Any], entry: Entry) -> tuple[str, Culture]:
    """A culture, read in a fixed order: whether it grew from the laboratory's interpretation (coded, else in
    words), else from its result; what grew from the organisms coded on the value and its components, the value's
    text, and the notes (`note[].text`) that name an organism or a growth or no-growth word (a note that names
    none is a comment on the sample: "Modtaget efter 48 timer"). Where the interpretation and the result
    disagree, the interpretation decides, and the card's data notes name the disagreement
    (docs/clinical-logic.md)."""
    day = _when(b, r)
    concepts = [r.get("valueCodeableConcept")] + [c.get("valueCodeableConcept") for c in _list(r.get("component"))
                                                  if isinstance(c, dict)]
    # Every organism coded, on the value and on each component, and under each coding of a concept (mixed growth
    # coded as two codings): a concept whose own text says it did not grow ("no growth of S. aureus") is none.
    coded = [(e, o) for o in concepts if isinstance(o, dict) and not _says_not_grown(b, o)
             for e in _organisms(b, o)]
    comments = [n["text"] for n in _list(r.get("note")) if isinstance(n, dict) and isinstance(n.get("text"), str)]
    # a component named a comment ("Svarkommentar": "Tidligere vækst af S. aureus") is read as a note is
    comments += _comment_component_texts(r)
    notes = [n for n in comments if culture_words(b.t, n)]
    # the comments, one text a line each: a laboratory sends a long comment a line a note ("Ingen vækst af" then
    # "Staphylococcus aureus"), as its lines are one text's, every line kept (a line that names nothing, "anaerobe
    # bakterier.", dropped would join the lines around it); the comments are their own statements, apart from the
    # result's texts (`joined`)
    comment = "\n".join(n for n in comments if n.strip()) if notes else ""
    # each text its own statements, never joined to the next (`joined`): the value's and each component's, then
    # the comments'
    value_parts = _culture_result_parts(b, r)
    value_text = "\n".join(value_parts)
    text = "\n".join(t for t in (value_text, *notes) if t.strip())
    # A note is a comment, not the result: what it names ("Ring ved vækst af S. aureus", "Tidligere vækst af
    # Klebsiella (2024)", "Undersøgt for MRSA") never makes a culture grow (a growth read from a comment would
    # count an infection not verified, §4.3); one naming a bacterium grown is shown, not counted.
    readings: dict[tuple[str, ...], Growth] = {}

    def read(*parts: str) -> Growth:
        """Each text of this culture read once: without notes the whole text is the value's, read already."""
        if parts not in readings:
            readings[parts] = growth_in(b.t, parts)
        return readings[parts]

    growth = read(*value_parts)
    # a finding component's coded interpretation decides only a text the reader cannot read ("Svar ved
    # afdelingen" POS): beside a text it reads ("Ingen vækst", "Undersøgt for S. aureus") a POS may be another
    # test's or a control's on the same report, and would count a culture that grew nothing (§4.3); a NEG
    # decides as the Observation's would (no growth)
    components = _components_interpretation(b, r)
    interpretation = _interpretation(b, r) \
        or (components if components == "negative" or growth.unread and not coded else "") \
        or _interpretation_in_words(b, r)
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
                                 for m in b.t.words_in(value_text, "result-interpretation")))
    # A text that names no organism, no growth and no no-growth (nor defers or says no result: "Svar ved
    # afdelingen", "Prøven hæmolyseret", "Dolosigranulum pigrum"; beside only a "nothing else grew": "Aerococcus
    # urinae, ellers ingen vækst"), with nothing coded and no interpretation
    # to decide: not read, so no growth and no verification (§4.3), and named on the card (docs/clinical-logic.md).
    unread = growth.unread and not coded and interpretation not in ("positive", "negative") \
        and not only_defers(value_text) and not says_no_result(value_text)
    # a value given only as codes no value set holds (a SNOMED CT organism outside the shipped expansion), with no
    # words and no interpretation: whether it grew a bacterium is not known, so named the same way, by its codes. A
    # code a value set holds (no growth, negative) is read; a component's (a susceptibility) is not the result
    value = r.get("valueCodeableConcept")
    codes_only = [] if coded or interpretation in ("positive", "negative") or value_text.strip() \
        or not isinstance(value, dict) or b.t.sets_of(value) else \
        [f"{_system_name(b, str(c.get('system') or ''))} {c['code']}".strip() for c in _codings(value)
         if isinstance(c.get("code"), str) and c["code"].strip()]
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
        or RecordText(" / ".join(line.strip() for line in text.splitlines() if line.strip())[:60])
    if not entry.get("fungal_only"):
        # whether the text says nothing grew matters only beside a positive interpretation: read only then
        said_none = interpretation == "positive" and bool(text.strip()) and not coded \
            and not read(*value_parts, comment).grew and not read(*value_parts, comment).unread
        # an organism coded with no text or display is named by its code (plain: no word of the record's), never "()"
        _culture_conflict(b, r, interpretation, verdict == "bacterial" or noted, said_none,
                          organism or (_first_code(shown[0]) if shown else ""), day)
        if noted and interpretation != "negative" and not (positive and bacterial):
            b._notes.append(DataNote("culture-note-names-growth", reference_of(r), "a note names a bacterium "
                                        "grown, but the result does not: a comment, not counted",
                                        " / ".join(notes)[:60], day, record_words=True))
        elif unread or codes_only:
            name = (_concept_text(r.get("code")) or entry.display or "").strip()
            shown_text = " / ".join(line.strip() for line in value_text.splitlines() if line.strip()) \
                or ", ".join(codes_only)
            b._notes.append(DataNote("culture-text-unread", reference_of(r), ("the result's text names no "
                                        "organism the value sets know and no growth or no-growth word (or only "
                                        "'nothing else grew')" if unread else "the result is only codes no organism "
                                        "list holds, with no words and no interpretation") + ": not read, "
                                        "not counted as a verified infection; the clinician reads the result",
                                        f"{name[:40]}: {shown_text}"[:120] if name else shown_text[:120], day,
                                        record_words=True))
        elif interpretation != "negative" and not (positive and bacterial) \
                and bacterial_verdict(read(*value_parts).earlier) == "bacterial":
            # the result names a bacterium only in what it reads as a history ("Tidligere vækst af S. aureus",
            # "Telefoneret tidligere i dag: Vækst af S. aureus") beside a statement it reads ("MRSA ikke
            # påvist"): not counted, never silently; the clinician reads whether it is this culture's
            b._notes.append(DataNote("culture-result-names-earlier", reference_of(r), "the result names a "
                                        "bacterium only in a statement read as about an earlier culture: not "
                                        "counted", " / ".join(value_parts)[:120], day, record_words=True))
    if growth.contradicted and positive and bacterial and not interpretation and not coded:
        # one text says nothing grew ("Vækst": "Ingen"), another names a bacterium ("Mikroorganisme": "Escherichia
        # coli"): each its own statement, the organism identified is read as grown; the clinician sees both
        b._notes.append(DataNote("culture-fields-disagree", reference_of(r), "one of the result's texts says "
                                    "nothing grew, another names a bacterium grown: counted as grown",
                                    organism, day))
    if positive and verdict == "contaminant" and not entry.get("fungal_only"):
        b._notes.append(DataNote("culture-contaminant", reference_of(r), "normal flora, or an organism that is "
                                    "often a contaminant (e.g. coagulase-negative staphylococci): not counted",
                                    organism, day))
    # what grew, by the organisms' value-set attributes: a culture that grew only bacteria whose infections are never
    # counted (mycobacteria) verifies none
    grown = [a for a in (*(e.attributes for e, _ in coded), *growth.named)
             if a.get("kind") == "bacterial" and not a.get("contaminant_often") and not a.get("stain")]
    never_counted = bool(grown) and all(a.get("infection_counted") is False for a in grown)
    return "cultures", Culture(day, reference_of(r), positive, bacterial, str(entry.get("specimen") or "other"),
                               organism, never_counted=never_counted)


def _culture_result_parts(b: FactBuilder, r: Mapping[str, Any]) -> list[str]:
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
        if not _names_organism(b, value):
            name = _concept_text(code)
            if name and (_names_organism(b, name) or names_a_bottle(name)):
                value = f"{name}: {value}"
        fields.append([value])
    return [text for text in map("\n".join, fields) if text.strip()]


def _names_organism(b: FactBuilder, text: str) -> bool:
    """Whether a text names an organism or a marker the organism words know ("Gær", "MRSA", "ESBL")."""
    return any(m.valueset == "organism" for m in culture_words(b.t, text))


def _culture_conflict(b: FactBuilder, r: Mapping[str, Any], interpretation: str, grew_bacterium: bool, said_none: bool,
                      shown: str, day: date) -> None:
    """Name a culture whose interpretation says the opposite of its result: coded (or worded) negative beside a
    bacterium coded or named as grown (not counted), or positive beside a text that says nothing grew (counted).
    The interpretation decides (docs/clinical-logic.md); the clinician sees both."""
    if interpretation == "negative" and grew_bacterium:
        b._notes.append(DataNote("culture-negative-names-growth", reference_of(r), "interpretation negative, "
                                    "but the result names a bacterium grown: read as negative, not counted",
                                    shown, day))
    elif interpretation == "positive" and said_none:
        b._notes.append(DataNote("culture-positive-says-none", reference_of(r), "interpretation positive, "
                                    "but the result's text says nothing grew: read as positive", shown, day))


def _organisms(b: FactBuilder, concept: Mapping[str, Any]) -> list[Entry]:
    """The organism entry of every coding of a concept (two codings may be two organisms grown together)."""
    found = []
    for coding in _codings(concept):
        system, code = coding.get("system"), coding.get("code")
        if isinstance(system, str) and isinstance(code, str):
            organism = b.t.lookup("organism", system, code)
            if organism is not None and organism not in found:
                found.append(organism)
    return found


def _says_not_grown(b: FactBuilder, concept: Mapping[str, Any]) -> bool:
    text = _texts(concept)
    if not text.strip():
        return False
    read = growth_in(b.t, text)  # a text the reader does not know ("S.aur") says nothing against the code
    return not read.grew and not read.unread


def _condition(b: FactBuilder, r: Mapping[str, Any]) -> Produced:
    sets = b.t.sets_of(r.get("code"))
    malignancy = sets.get("haematological-malignancy")
    infection = None if malignancy else sets.get("bacterial-infection")
    other = None if malignancy or infection else sets.get("infection-other")
    if other is not None and other.get("bacterial_not_counted"):  # tuberculosis beside J18.9: the pneumonia is read
        other = _countable_other(b, r.get("code")) or other  # (with a culture it counts), whichever coding is first
    agent = sets.get("organism-cause")  # the bacterium behind an infection coded in another chapter (B95, B96)
    verification = {c.get("code") for c in _codings(r.get("verificationStatus")) if isinstance(c.get("code"), str)}
    if malignancy is None and infection is None and other is None:
        if agent is not None and not verification & EXCLUDED_VERIFICATION:
            _agent(b, r, "confirmed" in verification)
        elif not sets and not plain_diagnosis(b, r, r.get("code")):  # a hypertension: judged once per code
            _unrecognised(b, r, r.get("code"))
        elif not sets:
            _snomed_not_listed(b, r)
        return None
    if verification & EXCLUDED_VERIFICATION:
        return None
    viral = sets.get("infection-other") if infection is not None else None
    if (viral is not None and viral.get("organism") == "other" and not viral.get("bacterial_not_counted")
            and "confirmed" in verification):
        # "bacterial pneumonia" coded beside "viral pneumonia": a co-infection, or a coding error. Counted by its
        # bacterial code, as before, and named so the clinician checks it (a question for the clinical owner)
        b._notes.append(DataNote("infection-codes-disagree", reference_of(r), "its codes disagree: one names a "
                                 "bacterial infection, another a viral or fungal one; counted as bacterial",
                                 _concept_text(r.get("code"))[:80] or _first_code(r.get("code")), b._day_of(r)))
    when = _first(r, "onsetDateTime", "onsetPeriod.start", "onsetPeriod.end", "recordedDate")
    if malignancy is not None:
        recorded = b._date(when, allow_partial=True) if when is not None else None
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
            b._notes.append(DataNote("infection-undated", reference_of(r), f"{reason}: not placed in the "
                                        "look-back, not counted", display))
            return None
        raise DataError(reason)
    onset = b._date(when, allow_partial=True)
    display = _concept_text(r.get("code"))[:80] or _first_code(r.get("code"))  # a note names it even uncaptioned
    if "confirmed" not in verification:  # "verified" bacterial infections only (§4.1)
        status = "/".join(sorted(str(v) for v in verification)) or "none sent"
        b._notes.append(DataNote("infection-unconfirmed", reference_of(r), "the diagnosis is not confirmed "
                                    f"(verificationStatus: {status}): not counted", display, onset))
        # kept aside, never counted: a card that finds no severe/recurrent infection names it when confirming it
        # would change that (`library.infections_if_confirmed`)
        found = _infection(b, r, infection, other, onset, display, agent)
        return ("unconfirmed_infections", found) if found.organism != "other" else None
    if _partial(when):  # counted from its first day: the 12-month look-back and "recurrent" may hinge on it
        b._notes.append(DataNote("date-partial", reference_of(r), f"infection onset {str(when)[:10]!r} names no "
                                    f"day: read as its first day ({display[:40]})", str(when)[:10], onset,
                                    record_words=True))
    elif in_words and _first(r, "onsetDateTime", "onsetPeriod.start", "onsetPeriod.end") is None:
        b._notes.append(DataNote("date-partial", reference_of(r), f"infection onset given only as {in_words!r}: "
                                    f"dated by its recordedDate ({display[:40]})", in_words, onset, record_words=True))
    return "infections", _infection(b, r, infection, other, onset, display, agent)


def _snomed_not_listed(b: FactBuilder, r: Mapping[str, Any]) -> None:
    """A Condition with no name whose only read code is a SNOMED CT concept no value set holds ("109979007", no
    display): the malignancy sets hold SNOMED CT hierarchies by curated expansions, not every descendant, so such a code
    may be the lymphoma, as a nameless code in an unknown system may (`unread._diagnosis_unread`); kept for the card
    that says the criteria were not applied, where no malignancy is read. ICD-10 and SKS codes are held by their
    prefixes whole: a nameless one outside them is no malignancy, and stays unnamed."""
    concept = r.get("code")
    if _texts(concept).strip() or withdrawn_by_verification(r):
        return
    snomed = None
    for coding in _codings(concept):
        system, code = coding.get("system"), coding.get("code")
        if not isinstance(system, str) or not isinstance(code, str) or not code.strip():
            continue
        alias = (b.t.alias_for(system) or ("", None))[0]
        if alias in _WHOLE_BY_PREFIX:  # an ICD-10 or SKS code beside it, outside the malignancy prefixes: no malignancy
            return
        if alias == "SNOMED" and snomed is None:
            snomed = (code.strip(), system)
    if snomed is not None:
        _diagnosis_unread(b, r, snomed, "not-listed")


# The code systems the malignancy value set holds whole, by prefix (ICD-10 C81-C96, SKS DC81-DC96): a code of theirs
# outside it is no haematological malignancy
_WHOLE_BY_PREFIX = frozenset({"ICD10", "SKS-D", "SKS"})


def _countable_other(b: FactBuilder, concept: Any) -> Entry | None:
    """Of a concept's codings, the first in `infection-other` that a culture can make bacterial (organism unspecified):
    the value sets read a concept by its first matching coding, and a kind not counted (tuberculosis) coded first
    would hide a pneumonia coded beside it."""
    for coding in _codings(concept):
        entry = b.t.sets_of({"coding": [coding]}).get("infection-other")
        if entry is not None and entry.get("organism") == "unspecified":
            return entry
    return None


def _infection(b: FactBuilder, r: Mapping[str, Any], infection: Entry | None, other: Entry | None, onset: date,
               display: str, agent: Entry | None = None) -> Infection:
    """The infection a Condition records, by its value-set entry (bacterial by code, or `other`'s organism); one coded
    without its organism beside the code of the agent that caused it (N39.0 with B96.2) has that agent's organism."""
    entry = infection or other
    assert entry is not None  # a malignancy returned before
    severe = bool(entry.get("severe")) or "severity-severe" in b.t.sets_of(r.get("severity"))
    organism: Organism = "bacterial" if infection is not None else ORGANISMS.get(str(entry.get("organism")), "other")
    # its own agent code names the bacterium, confirmed with it (an unconfirmed diagnosis is never counted anyway)
    named = organism == "unspecified" and agent is not None
    return Infection(onset, severe, reference_of(r), str(entry.code or entry.prefix), display,
                     "bacterial" if named else organism,
                     _abatement(b, r), str(entry.get("site") or ""), "" if severe else _severity_words(b, r),
                     bool(entry.get("pneumonia")), _reference_to(b, r.get("encounter"), "Encounter", r),
                     str(entry.get("card_name") or ""), agent=reference_of(r) if named else "",
                     bacterial_not_counted=infection is None and bool(entry.get("bacterial_not_counted")))


def _agent(b: FactBuilder, r: Mapping[str, Any], confirmed: bool) -> None:
    """A Condition coded only with the bacterium that caused a disease: kept for `paired_agents` when confirmed (the
    guideline's infections are verified ones, §4.1), else named as any unconfirmed diagnosis is."""
    when = _first(r, "onsetDateTime", "onsetPeriod.start", "onsetPeriod.end", "recordedDate")
    day = b._date(when, allow_partial=True) if when is not None else None
    display = _concept_text(r.get("code"))[:80] or _first_code(r.get("code"))
    if not confirmed:
        status = "/".join(sorted(str(c.get("code")) for c in _codings(r.get("verificationStatus")))) or "none sent"
        b._notes.append(DataNote("infection-unconfirmed", reference_of(r), "a bacterium coded as the cause of a "
                                 f"disease, not confirmed (verificationStatus: {status}): it verifies no infection",
                                 display, day))
        return
    b._agents.append(Agent(r, reference_of(r), None if _partial(when) else day,
                           _reference_to(b, r.get("encounter"), "Encounter", r), display))


def paired_agents(b: FactBuilder, out: dict[str, list[Any]], used: dict[str, Mapping[str, Any]]) -> None:
    """Each confirmed agent code gives its bacterium to the one infection coded without its organism (infection-other,
    `unspecified`) recorded in the same stay (its Condition's `encounter`), else on the same day in no other stay:
    DN390 and DB962 recorded as two diagnoses of one contact, as Danish hospitals code them, are an E. coli urinary
    tract infection, which a positive urine culture would have made bacterial too. Every agent is placed against the
    infections as read, so the order of the records decides nothing. One beside an infection its own code makes
    bacterial (A41.9 with B96.2) adds nothing and is used; one that finds no such infection of its stay or day, one
    beside a viral or fungal one only, or one with two it cannot tell between, verifies nothing and is named
    (clinical rules §7)."""
    slots = ("infections", "unconfirmed_infections")
    placed: dict[tuple[str, int], str] = {}
    for agent in b._agents:
        found = [(slot, i, x) for slot in slots for i, x in enumerate(out[slot])
                 if agent.encounter and x.encounter == agent.encounter]
        if not found and agent.day is not None:
            found = [(slot, i, x) for slot in slots for i, x in enumerate(out[slot])
                     if x.onset == agent.day and not (x.encounter and agent.encounter)]
        open_ = [(slot, i) for slot, i, x in found if x.organism == "unspecified"]
        if len(open_) == 1:
            placed[open_[0]] = min(placed.get(open_[0], agent.source), agent.source)  # two on one: one named
            used[agent.source] = agent.record
        elif not open_ and any(x.organism == "bacterial" for _, _, x in found):
            used[agent.source] = agent.record
        else:
            why = ("two or more infections coded without their organism on its day or stay, none of which it can be "
                   "placed with" if open_ else "only an infection its code names as viral or fungal on its day or "
                   "stay" if found else "no infection coded without its organism on its day or stay")
            b._notes.append(DataNote("agent-code-unpaired", agent.source, "a bacterium coded as the cause of a "
                                     f"disease, with {why}: not counted", agent.display, agent.day))
    for (slot, i), source in placed.items():
        out[slot][i] = replace(out[slot][i], organism="bacterial", agent=source)


# HL7 v3 ActCode classes of a hospital stay (FHIR R4 Encounter.class): inpatient encounter, inpatient acute, inpatient
# non-acute. An outpatient visit (AMB), an emergency contact (EMER), a home visit or a virtual one is no admission.
INPATIENT_CLASSES = frozenset({"IMP", "ACUTE", "NONAC"})
ACT_CODE_SYSTEMS = frozenset({"http://terminology.hl7.org/CodeSystem/v3-ActCode", "urn:oid:2.16.840.1.113883.5.4"})
# A stay that did not happen (cancelled), was recorded by mistake, or is only planned: no admission.
STAY_NOT_HAPPENED = frozenset({"cancelled", "entered-in-error", "planned"})


# HL7 v2 table 0004 (patient class), which EHRs converted from HL7 v2 send as the class: I, inpatient (R4's URI, and
# STU3's)
V2_PATIENT_CLASS = frozenset({"http://terminology.hl7.org/CodeSystem/v2-0004", "http://hl7.org/fhir/v2/0004"})
# A class named in words only, under a local code ("Indlagt"): a stay, said exactly so
INPATIENT_WORDS = frozenset({"indlagt", "indlæggelse", "indlæggelser", "inpatient", "inpatient encounter"})


def _inpatient(kind: Any) -> bool:
    """Whether an Encounter's class is an inpatient stay: an ActCode class of one (`INPATIENT_CLASSES`) in any letter
    case and also with no system (the prefetch's `class=IMP,ACUTE,NONAC` names none), HL7 v2's "I", or, under a local
    code only, a name that says exactly that ("Indlagt"): an ActCode or v2 code decides by its code, whatever its
    display says (EMER named "Inpatient" is no stay). The class as a Coding (R4), and as a CodeableConcept or a list of
    them (R5), which some servers send."""
    concepts = kind if isinstance(kind, list) else [kind]
    for concept in concepts:
        if not isinstance(concept, dict):
            continue
        listed = concept.get("coding")
        codings: list[Any] = listed if isinstance(listed, list) else [concept]
        for coding in codings:
            if not isinstance(coding, dict):
                continue
            system, code = coding.get("system"), str(coding.get("code") or "").strip().upper()
            if system in V2_PATIENT_CLASS:
                if code == "I":
                    return True
            elif not system or system in ACT_CODE_SYSTEMS:
                if code in INPATIENT_CLASSES:
                    return True
            elif str(coding.get("display") or "").strip().lower() in INPATIENT_WORDS:  # a local code, by its name
                return True
        known = any(isinstance(x, dict) and (x.get("system") in ACT_CODE_SYSTEMS or x.get("system") in V2_PATIENT_CLASS)
                    for x in codings)
        if not known and str(concept.get("text") or "").strip().lower() in INPATIENT_WORDS:
            return True
    return False


def _encounter(b: FactBuilder, r: Mapping[str, Any]) -> Produced:
    """An inpatient stay (`Admission`): the Conditions it names (diagnosis, reasonReference) and the bacterial-infection
    codes it carries itself (reasonCode). Any other contact is passed over, named only when it carries one of our codes
    (`_name_if_coded`), as before the stays were read. A stay never makes an infection (clinical-rules §5: it decides
    only whether a verified bacterial pneumonia was severe)."""
    if not _inpatient(r.get("class")) or r.get("status") in STAY_NOT_HAPPENED:
        _name_if_coded(b, r)
        return None
    conditions = tuple(dict.fromkeys(ref for ref in (
        *(_reference_to(b, d.get("condition"), "Condition", r) for d in _list(r.get("diagnosis")) if isinstance(d, dict)),
        *(_reference_to(b, x, "Condition", r) for x in _list(r.get("reasonReference")))) if ref))
    coded = [(concept, entry) for concept in _concepts(r.get("reasonCode"))
             if (entry := b.t.sets_of(concept).get("bacterial-infection")) is not None]
    if not coded:
        _name_if_coded(b, r)  # a stay's other codes (a lymphoma) are seen, not used, as before
    start = _first(r, "period.start")
    if not isinstance(start, str):
        if coded or conditions:
            raise DataError("inpatient stay with no period start: not read as an admission")
        return None
    end = _first(r, "period.end")
    return "admissions", Admission(
        b._date(start, allow_partial=True, field="period.start"), reference_of(r),
        b._date(end, allow_partial=True) if isinstance(end, str) else None, conditions,
        tuple(dict.fromkeys(_first_code(concept) for concept, _ in coded)),
        _concept_text(coded[0][0])[:80] if coded else "", any(entry.get("pneumonia") for _, entry in coded),
        bool(conditions or _list(r.get("reasonCode")) or _list(r.get("diagnosis"))))


def _severity_words(b: FactBuilder, r: Mapping[str, Any]) -> str:
    """A severity given only in words ("Svær", under a local code): not read (only a coded one is, clinical-rules
    §5), but kept, so a card that calls the infection "not severe" can say why."""
    severity = r.get("severity")
    if not isinstance(severity, dict):
        return ""
    coded = any((b.t.alias_for(str(c.get("system"))) or ("",))[0] == "SNOMED" and isinstance(c.get("code"), str)
                for c in _codings(severity))
    return "" if coded else _concept_text(severity).strip()[:40]


def _abatement(b: FactBuilder, r: Mapping[str, Any]) -> date | None:
    """The day an infection abated, when the EHR says so; an unreadable one is no reason to drop the infection."""
    when = _first(r, "abatementDateTime", "abatementPeriod.end", "abatementPeriod.start")
    try:
        return b._date(when, allow_partial=True) if isinstance(when, str) else None
    except DataError:
        return None


def _observation_ref(b: FactBuilder, reference: Any, report: Mapping[str, Any]) -> str:
    """A report's result reference as 'Observation/id', '' when not one."""
    return _reference_to(b, reference, "Observation", report)


def _read_reports(b: FactBuilder, reports: list[Mapping[str, Any]], out: dict[str, list[Any]],
                  used: dict[str, Mapping[str, Any]]) -> None:
    """The culture reports, read after every Observation: a report whose result Observations were read as cultures
    is that culture already, and counts once."""
    if not reports:
        return
    cultured = {c.source for c in out["cultures"]}
    for r in reports:
        _contained_results(b, r)
        try:
            culture = _diagnostic_report(b, r, cultured)
        except DataError as exc:
            b._notes.append(DataNote("invalid", reference_of(r), str(exc)))
            continue
        if culture is not None:
            out["cultures"].append(culture)
            used[culture.source] = r


def _contained_results(b: FactBuilder, r: Mapping[str, Any]) -> None:
    """Results a report holds inside itself (`contained`, its `result` pointing at "#id") are not read: the chart
    reads a result as an Observation of its own. One whose code the rules read (an IgG, a culture) is named, so a
    report carrying the only IgG is not read as "no IgG" in silence."""
    for inner in _list(r.get("contained")):
        if isinstance(inner, dict) and inner.get("resourceType") == "Observation" and b.t.sets_of(inner.get("code")):
            shown = _concept_text(inner.get("code")) or _first_code(inner.get("code"))
            b._notes.append(DataNote("result-contained", reference_of(r), f"holds the result {shown[:40]!r} inside "
                                     "itself (contained), not as an Observation of its own: not read",
                                     shown[:80], b._day_of(inner) or b._day_of(r)))


def culture_by_name(t: Terminology, text: str) -> Entry:
    """The culture value-set entry a laboratory result known only by its name stands for: its specimen from its name
    ("Bloddyrkning" blood, "Ekspektorat dyrkning" respiratory, "Svælg dyrkning" swab), else "other"."""
    specimen = specimen_of_name(text)
    return Entry(("LOCAL",), None, None, text[:80], MappingProxyType({"specimen": specimen, "by_name": True}))


def _report_culture_by_name(b: FactBuilder, r: Mapping[str, Any]) -> Entry | None:
    """The culture a report under a code no value set holds stands for by its name ("Bloddyrkning",
    "BLODDYRKNING(BAKTERIUM+FUNGUS),B"), as a laboratory result so named is read (`results._unrecognised_result`):
    a laboratory's report (its category, when it has one, a laboratory or microbiology section's) whose name is a
    bacterial culture's. None for any other report."""
    if b.t.sets_of(r.get("code")):
        return None
    text = _concept_text(r.get("code"))
    sections = {_str(c.get("code")) for cat in _list(r.get("category")) for c in _codings(cat)}
    if not text or (sections and not sections & REPORT_LAB_SECTIONS):
        return None
    if name_in(b.t, "Observation", text) != "culture" or not names_a_bacterial_culture(text):
        return None
    return culture_by_name(b.t, text)


def _diagnostic_report(b: FactBuilder, r: Mapping[str, Any], cultured: set[str]) -> Culture | None:
    """A culture reported as a DiagnosticReport whose code is a culture code (value set culture), or whose name is a
    culture's under a code no value set holds (`_report_culture_by_name`): its conclusion read by the culture-text
    reader, its conclusionCode by the organism value set, as an Observation's value is. A report of anything else
    (PCR, antigen tests, imaging) is not read, only named when it carries one of our codes."""
    entry = b.t.sets_of(r.get("code")).get("culture") or _report_culture_by_name(b, r)
    if entry is None:
        _name_if_coded(b, r)
        return None
    status = _str(r.get("status"))
    results = {ref for ref in (_observation_ref(b, x, r) for x in _list(r.get("result"))) if ref}
    if results & cultured:
        return None  # its Observations were read: the same culture, counted once
    conclusion = _str(r.get("conclusion")) or ""
    codes = [c for c in _list(r.get("conclusionCode")) if isinstance(c, dict)]
    if status not in REPORT_STATUSES:  # registered, partial, preliminary, cancelled, entered-in-error: not a result
        if status in NOT_FINAL_STATUSES and (conclusion.strip() or codes):
            shaped = {key: value for key, value in r.items() if key not in ("valueCodeableConcept", "component")}
            shaped.update(valueString=conclusion, component=[{"valueCodeableConcept": c} for c in codes],
                          interpretation=codes)
            _culture_not_final(b, shaped, entry, str(status))
        return None
    if not conclusion.strip() and not codes:
        if results:
            b._notes.append(DataNote("report-results-not-sent", reference_of(r), "culture report with no conclusion "
                                     "whose result Observations were not sent: not read", _concept_text(r.get("code"))[:80],
                                     b._day_of(r)))
        return None
    shaped = {key: value for key, value in r.items() if key not in ("valueCodeableConcept", "component")}
    shaped.update(valueString=conclusion, component=[{"valueCodeableConcept": c} for c in codes], interpretation=codes)
    slot, culture = _culture(b, shaped, entry)
    return culture
