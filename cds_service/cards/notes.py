"""Data notes: what the service saw and did not use, and why — briefly on a card, fully elsewhere.

A card has room for one short line; the explanation page, the `dk.igsub-cds.trace`
extension and `replay` show every note with its technical reason and resource reference.
On the card an item is named by what it is (a lab result, an order, its display and date),
never by a resource id a clinician cannot look up. EHR text in a note is escaped here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from cql_like_rules.catalogue import Text
from cql_like_rules.facts import DataNote

from .markdown import escape

# kind -> (one note, several notes). Kinds not listed here are shown on the page only.
NOTE_TEXT: dict[str, tuple[Text, Text]] = {
    "wrong-patient": (
        Text("{what}{when} of another patient was ignored", "{what}{when} om en anden patient er ignoreret"),
        Text("{n} resources of other patients were ignored", "{n} ressourcer om andre patienter er ignoreret")),
    "invalid": (
        Text("{what}{when} holds unusable data and was skipped", "{what}{when} har ubrugelige data og er sprunget over"),
        Text("{n} resources with unusable data were skipped", "{n} ressourcer med ubrugelige data er sprunget over")),
    "malformed-field": (
        Text("a malformed field ({display}) of {what}{when}, which the rules do not read, was ignored",
             "et fejlformateret felt ({display}) i {what}{when}, som reglerne ikke læser, er ignoreret"),
        Text("{n} malformed fields the rules do not read were ignored",
             "{n} fejlformaterede felter, som reglerne ikke læser, er ignoreret")),
    "igg-implausible": (
        Text("IgG {display} g/L on {day} is implausible: not used", "IgG {display} g/L den {day} er usandsynlig: ikke brugt"),
        Text("{n} implausible IgG values were not used", "{n} usandsynlige IgG-værdier er ikke brugt")),
    "infection-not-counted": (
        Text("infection “{display}” ({day}) has no bacterial code or positive culture: not counted",
             "infektion “{display}” ({day}) har ingen bakteriel kode eller positiv dyrkning: ikke talt med"),
        Text("{n} infections without a bacterial code or positive culture were not counted",
             "{n} infektioner uden bakteriel kode eller positiv dyrkning er ikke talt med")),
    "infection-unconfirmed": (
        Text("infection “{display}” ({day}) is not confirmed: not counted",
             "infektion “{display}” ({day}) er ikke bekræftet: ikke talt med"),
        Text("{n} unconfirmed infections were not counted", "{n} ubekræftede infektioner er ikke talt med")),
    "culture-contaminant": (
        Text("a culture ({day}) grew a likely contaminant: not counted",
             "en dyrkning ({day}) viste en sandsynlig kontaminant: ikke talt med"),
        Text("{n} cultures grew likely contaminants: not counted", "{n} dyrkninger viste sandsynlige kontaminanter: ikke talt med")),
    "culture-without-diagnosis": (
        Text("a positive culture ({day}) without an infection diagnosis was not counted",
             "en positiv dyrkning ({day}) uden infektionsdiagnose er ikke talt med"),
        Text("{n} positive cultures without an infection diagnosis were not counted",
             "{n} positive dyrkninger uden infektionsdiagnose er ikke talt med")),
    "unrecognised-code": (
        Text("{what} “{display}”{when} was not recognised by its code: not used",
             "{what} “{display}”{when} blev ikke genkendt på sin kode: ikke brugt"),
        Text("{n} entries were not recognised by their codes: not used",
             "{n} registreringer blev ikke genkendt på deres koder: ikke brugt")),
    "unresolved-medication": (
        Text("an order names a Medication that was not sent: its drug was not checked",
             "en ordination henviser til et Medication, der ikke er sendt: lægemidlet er ikke tjekket"),
        Text("{n} orders name a Medication that was not sent: not checked",
             "{n} ordinationer henviser til et Medication, der ikke er sendt: ikke tjekket")),
}
ORDER = tuple(NOTE_TEXT)
# What a resource is, in words, by its type ({what} above); the reference itself is on the page.
WHAT: dict[str, Text] = {
    "Observation": Text("a lab result", "et laboratoriesvar"),
    "MedicationRequest": Text("an order", "en ordination"),
    "MedicationAdministration": Text("a recorded dose", "en registreret dosis"),
    "MedicationStatement": Text("a medication record", "en medicinregistrering"),
    "Medication": Text("a medication", "et lægemiddel"),
    "Condition": Text("a diagnosis", "en diagnose"),
    "Procedure": Text("a procedure", "en procedure"),
    "ServiceRequest": Text("a lab order", "en laboratorierekvisition"),
    "Patient": Text("a patient record", "en patientregistrering"),
}
SOME_RESOURCE = Text("a record", "en registrering")
HEADING = Text("Data not used", "Data ikke brugt")
MORE = Text("+{n} more on the explanation page", "+{n} mere på begrundelsessiden")
# A card without a link (retention 0, replay in process): no page to point to.
MORE_UNLINKED = (Text("+{n} more data note", "+{n} yderligere datanote"),
                 Text("+{n} more data notes", "+{n} yderligere datanoter"))


def brief(notes: Iterable[DataNote], lang: str, max_groups: int = 2, linked: bool = True) -> str:
    """One line for a card: the notes grouped by kind, at most `max_groups` kinds spelled out
    (the rest counted, pointing to the explanation page when the card links to one)."""
    groups: dict[str, list[DataNote]] = defaultdict(list)
    for note in notes:
        if note.kind in NOTE_TEXT:
            groups[note.kind].append(note)
    if not groups:
        return ""
    kinds = sorted(groups, key=ORDER.index)
    parts = []
    for kind in kinds[:max_groups]:
        found = groups[kind]
        one, several = NOTE_TEXT[kind]
        if len(found) == 1:
            note = found[0]
            day = note.day.isoformat() if note.day else ""
            parts.append(one(lang).format(what=what(note.source, lang), display=escape(note.display, 40), day=day or "?",
                                          when=f" ({day})" if day else "", n=1))
        else:
            parts.append(several(lang).format(n=len(found)))
    rest = sum(len(groups[k]) for k in kinds[max_groups:])
    if rest:
        parts.append((MORE if linked else MORE_UNLINKED[rest > 1])(lang).format(n=rest))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def what(source: str, lang: str) -> str:
    """The noted resource in words ("a lab result"), from the type in its reference."""
    return WHAT.get(source.split("/", 1)[0].split(" ", 1)[0], SOME_RESOURCE)(lang)


def describe(note: DataNote) -> str:
    """A note in full, for the explanation page and the replay output (plain text)."""
    about = f" “{note.display}”" if note.display else ""
    when = f" ({note.day.isoformat()})" if note.day else ""
    return f"{note.source}{about}{when}: {note.message or note.kind}"
