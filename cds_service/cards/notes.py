"""Data notes: what the service saw and did not use, and why — briefly on a card, fully elsewhere.

A card has room for one short line; the explanation page, the `dk.igsub-cds.trace`
extension and `replay` show every note with its technical reason. EHR text in a note
(a display, an id) is escaped here.
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
        Text("a resource of another patient ({ref}) was ignored", "en ressource om en anden patient ({ref}) er ignoreret"),
        Text("{n} resources of other patients were ignored", "{n} ressourcer om andre patienter er ignoreret")),
    "invalid": (
        Text("{ref} holds unusable data and was skipped", "{ref} har ubrugelige data og er sprunget over"),
        Text("{n} resources with unusable data were skipped", "{n} ressourcer med ubrugelige data er sprunget over")),
    "malformed-field": (
        Text("{ref}: a malformed field ({display}) the rules do not read was ignored",
             "{ref}: et fejlformateret felt ({display}), som reglerne ikke læser, er ignoreret"),
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
        Text("“{display}” ({ref}) was not recognised by its code: not used",
             "“{display}” ({ref}) blev ikke genkendt på sin kode: ikke brugt"),
        Text("{n} entries were not recognised by their codes: not used",
             "{n} registreringer blev ikke genkendt på deres koder: ikke brugt")),
    "unresolved-medication": (
        Text("an order names a Medication that was not sent: its drug was not checked",
             "en ordination henviser til et Medication, der ikke er sendt: lægemidlet er ikke tjekket"),
        Text("{n} orders name a Medication that was not sent: not checked",
             "{n} ordinationer henviser til et Medication, der ikke er sendt: ikke tjekket")),
}
ORDER = tuple(NOTE_TEXT)
HEADING = Text("Data not used", "Data ikke brugt")
MORE = Text("+{n} more on the explanation page", "+{n} mere på begrundelsessiden")


def brief(notes: Iterable[DataNote], lang: str, max_groups: int = 2) -> str:
    """One line for a card: the notes grouped by kind, at most `max_groups` kinds spelled out."""
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
            parts.append(one(lang).format(ref=escape(note.source, 60), display=escape(note.display, 40),
                                          day=note.day.isoformat() if note.day else "?", n=1))
        else:
            parts.append(several(lang).format(n=len(found)))
    rest = sum(len(groups[k]) for k in kinds[max_groups:])
    if rest:
        parts.append(MORE(lang).format(n=rest))
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def describe(note: DataNote) -> str:
    """A note in full, for the explanation page and the replay output (plain text)."""
    about = f" “{note.display}”" if note.display else ""
    when = f" ({note.day.isoformat()})" if note.day else ""
    return f"{note.source}{about}{when}: {note.message or note.kind}"
