"""Data notes: what the service saw and did not use, and why — briefly on a card, fully elsewhere.

A card has room for one short line; the explanation page, the card's `dk.igsub-cds.data-notes`
extension and `replay` show every note with its technical reason. EHR text in a note
(a display, an id) is escaped here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, TypeAlias

from cql_like_rules.catalogue import Text
from cql_like_rules.facts import DataNote, RecordText

from .language import MORE_DATA_NOTES
from .markdown import escape
from .values import named
from .values import threshold as g_l_threshold

NoteJson: TypeAlias = "dict[str, str | float | bool]"
NOTES_EXTENSION = "dk.igsub-cds.data-notes"  # every data note of the answer, whole: the detail has room for a line


def note_json(note: DataNote) -> NoteJson:
    """A note whole, as data: in the card's `dk.igsub-cds.data-notes` extension and the explanation snapshot."""
    out: NoteJson = {"kind": note.kind, "source": note.source, "message": note.message,
                     "record_words": note.record_words}
    # what a note has not (a display, a day, a threshold) is left out: CDS Hooks has no JSON value null or empty
    day = note_day(note)
    if note.display:
        out["display"] = note.display
    if day:
        out["day"] = day
    if note.threshold is not None:
        out["threshold"] = note.threshold
    if note.count > 1:  # one note standing for several results of one code (`DataNote.count`)
        out["count"] = note.count
        if note.first:
            out["first"] = note.first
    return out


# kind -> (one note, several notes), in the order a card shows them: first what could change the decision (an
# immunoglobulin order that cannot be placed in time; an IgG that cannot be placed; an entry whose name is an
# immunoglobulin, a CAR-T or bsAb product, a disease or total IgG but whose code is not recognised -- a local code for
# an Ig order the patient is on changes a start card --; an order whose drug could not be checked; IgG values not used;
# then the medication records and microbiology reports that could not be had at all -- a home SCIG known only from
# the one, a culture only from the other, changes any card; after the records above, which the chart holds and a
# clinician can look up (a client sending only the first six keys carries this note on every card), before the
# infections not counted, which the unread reports may explain), then what could not (other patients' resources,
# unusable data).
# Kinds not listed here are shown on the page only.
NOTE_TEXT: dict[str, tuple[Text, Text]] = {
    # an immunoglobulin order, dose or record known only by its name that a coded one would make current or planned
    "ig-by-name": (
        Text("{display}{when}, immunoglobulin whose code is not known, was not used: check whether the patient is "
             "already on substitution",
             "{display}{when}, immunglobulin hvis kode ikke kendes, er ikke brugt: tjek, om patienten allerede får "
             "substitution"),
        Text("{n} immunoglobulin records ({names}) have codes not known and were not used: check whether the patient "
             "is already on substitution",
             "{n} immunglobulinregistreringer ({names}) har koder, der ikke kendes, og er ikke brugt: tjek, om "
             "patienten allerede får substitution")),
    # an immunoglobulin record coded both as substitution and as what that set excludes (IVIG and anti-D): read as
    # substitution, named to be checked
    "ig-codes-disagree": (
        Text("immunoglobulin {display}{when} carries codes that disagree (substitution and a specific immunoglobulin): "
             "read as substitution; check its coding",
             "immunglobulin {display}{when} har koder, der modsiger hinanden (substitution og et specifikt "
             "immunglobulin): læst som substitution; tjek kodningen"),
        Text("{n} immunoglobulin records carry codes that disagree: read as substitution; check their coding",
             "{n} immunglobulinregistreringer har koder, der modsiger hinanden: læst som substitution; tjek "
             "kodningen")),
    "ig-order-undated": (
        Text("immunoglobulin order {display} has no usable date and was not used: check whether the "
             "patient is already on substitution",
             "immunglobulinordination {display} er uden brugbar dato og ikke brugt: tjek, om "
             "patienten allerede får substitution"),
        Text("{n} immunoglobulin orders have no usable date and were not used: check whether the patient is "
             "already on substitution",
             "{n} immunglobulinordinationer er uden brugbar dato og ikke brugt: tjek, om patienten allerede "
             "får substitution")),
    "ig-wrong-system": (
        Text("an immunoglobulin code ({display}) was sent under the wrong code system and not read: check whether the "
             "patient is already on substitution, and have the record's code system corrected",
             "en immunglobulinkode ({display}) er sendt under det forkerte kodesystem og ikke læst: tjek, om "
             "patienten allerede får substitution, og få registreringens kodesystem rettet"),
        Text("{n} immunoglobulin codes were sent under the wrong code system and not read: check whether the patient "
             "is already on substitution, and have the records' code system corrected",
             "{n} immunglobulinkoder er sendt under det forkerte kodesystem og ikke læst: tjek, om patienten allerede "
             "får substitution, og få registreringernes kodesystem rettet")),
    "ig-dose-undated": (
        Text("an immunoglobulin dose ({display}) recorded with no date was not used: check whether the patient is "
             "already on substitution",
             "en immunglobulindosis ({display}) registreret uden dato er ikke brugt: tjek, om patienten allerede "
             "får substitution"),
        Text("{n} immunoglobulin doses recorded with no date were not used: check whether the patient is already on "
             "substitution",
             "{n} immunglobulindoser registreret uden dato er ikke brugt: tjek, om patienten allerede får "
             "substitution")),
    "ig-dose-not-known-given": (
        Text("an immunoglobulin dose on {day} is not recorded as given (on hold, or status unknown): not used; check "
             "whether the patient is already on substitution",
             "en immunglobulindosis den {day} er ikke registreret som givet (i bero eller status ukendt): ikke brugt; "
             "tjek, om patienten allerede får substitution"),
        Text("{n} immunoglobulin doses are not recorded as given (on hold, or status unknown): not used; check whether "
             "the patient is already on substitution",
             "{n} immunglobulindoser er ikke registreret som givet (i bero eller status ukendt): ikke brugt; tjek, "
             "om patienten allerede får substitution")),
    "ig-dose-stopped": (
        Text("an immunoglobulin dose on {day} is recorded as stopped before it was complete: read as given; correct "
             "the record if none was given",
             "en immunglobulindosis den {day} er registreret som afbrudt før afslutning: læst som givet; ret "
             "registreringen, hvis intet blev givet"),
        Text("{n} immunoglobulin doses are recorded as stopped before they were complete: read as given; correct the "
             "records if none was given",
             "{n} immunglobulindoser er registreret som afbrudt før afslutning: læst som givet; ret registreringerne, "
             "hvis intet blev givet")),
    "ig-stopped-not-given": (
        Text("an immunoglobulin dose on {day} is recorded as stopped with the reason {display}: read as none given, "
             "not used; correct the record if some was given",
             "en immunglobulindosis den {day} er registreret som afbrudt med årsagen {display}: læst som intet "
             "givet, ikke brugt; ret registreringen, hvis noget blev givet"),
        Text("{n} immunoglobulin doses are recorded as stopped with a reason read as none given ({names}): not used; "
             "correct the records if some was given",
             "{n} immunglobulindoser er registreret som afbrudt med en årsag læst som intet givet ({names}): ikke "
             "brugt; ret registreringerne, hvis noget blev givet")),
    # a record's reason, order or result named by a fullUrl naming two resources (`reading._reference_to`): an Ig dose
    # whose order, an Ig order whose reason is lost there reads as substitution, so it goes before the reasons read
    "reference-ambiguous": (
        Text("{what}{when} refers by one reference to two different records: that reference was not followed; check "
             "the record",
             "{what}{when} henviser med én reference til to forskellige registreringer: henvisningen er ikke fulgt; "
             "tjek registreringen"),
        Text("{n} records refer by one reference to two different records: not followed; check the records",
             "{n} registreringer henviser med én reference til to forskellige registreringer: ikke fulgt; tjek dem")),
    "ig-other-indication": (
        Text("immunoglobulin on {day} was given for {display}: read as immunomodulation, not substitution (no course "
             "to stop or restart); an IgG taken in its washout decides a start only below the start threshold",
             "immunglobulin den {day} er givet for {display}: læst som immunmodulation, ikke substitution (intet "
             "forløb at seponere eller genopstarte); en IgG taget i udvaskningen afgør kun en start under "
             "startgrænsen"),
        Text("{n} immunoglobulin records name another reason ({names}): immunomodulation, not substitution",
             "{n} immunglobulinregistreringer angiver en anden årsag ({names}): immunmodulation, ikke substitution")),
    "ig-statement-start-unrecorded": (
        # short: it must fit beside the stop card's 'no order to end' to-do, where it was only counted
        Text("listed immunoglobulin ({display}) is taken but not since when: read as taken from {day}, the day "
             "recorded; record its start (before T0: general stop criteria)",
             "immunglobulin på listen ({display}) tages, men ikke siden hvornår: læst som taget fra {day}, "
             "registreringsdagen; registrér starten (før T0: generelle seponeringskriterier)"),
        Text("{n} medication records say immunoglobulin is taken but not since when: each read as taken from the day "
             "it was recorded; record their start",
             "{n} medicinregistreringer siger, at immunglobulin tages, men ikke siden hvornår: hver læst som taget fra "
             "dagen, den blev registreret; registrér starten")),
    "ig-statement-unread": (
        Text("a medication record of immunoglobulin ({display}) could not be placed in time and was not used: check "
             "whether the patient is already on substitution",
             "en medicinregistrering af immunglobulin ({display}) kunne ikke placeres i tid og er ikke brugt: tjek, "
             "om patienten allerede får substitution"),
        Text("{n} medication records of immunoglobulin could not be placed in time and were not used: check whether "
             "the patient is already on substitution",
             "{n} medicinregistreringer af immunglobulin kunne ikke placeres i tid og er ikke brugt: tjek, om "
             "patienten allerede får substitution")),
    "ig-order-written-later": (
        Text("immunoglobulin order {display} is written on {day}, after the day evaluated, and was not read: check "
             "its date; check whether the patient is already on substitution",
             "immunglobulinordination {display} er skrevet {day}, efter vurderingsdagen, og er ikke læst: tjek "
             "datoen; tjek, om patienten allerede får substitution"),
        Text("{n} immunoglobulin orders are written after the day evaluated and were not read: check their dates; "
             "check whether the patient is already on substitution",
             "{n} immunglobulinordinationer er skrevet efter vurderingsdagen og er ikke læst: tjek datoerne; tjek, "
             "om patienten allerede får substitution")),
    "therapy-order-written-later": (
        Text("bispecific order {display} is written on {day}, after the day evaluated, and was not read: check its "
             "date and whether the patient is already on it",
             "ordination af bispecifikt antistof {display} er skrevet {day}, efter vurderingsdagen, og er ikke læst: "
             "tjek datoen, og om patienten allerede får det"),
        Text("{n} bispecific orders are written after the day evaluated and were not read: check their dates",
             "{n} ordinationer af bispecifikt antistof er skrevet efter vurderingsdagen og er ikke læst: tjek "
             "datoerne")),
    "ig-statement-written-later": (
        Text("a medication record of immunoglobulin ({display}) is written on {day}, after the day evaluated, and was "
             "not read: check its date; check whether the patient is already on substitution",
             "en medicinregistrering af immunglobulin ({display}) er skrevet {day}, efter vurderingsdagen, og er ikke "
             "læst: tjek datoen; tjek, om patienten allerede får substitution"),
        Text("{n} medication records of immunoglobulin are written after the day evaluated and were not read: check "
             "their dates; check whether the patient is already on substitution",
             "{n} medicinregistreringer af immunglobulin er skrevet efter vurderingsdagen og er ikke læst: tjek "
             "datoerne; tjek, om patienten allerede får substitution")),
    "statement-written-later": (
        Text("a medication record of {display} is written on {day}, after the day evaluated, and was not read: check "
             "its date",
             "en medicinregistrering af {display} er skrevet {day}, efter vurderingsdagen, og er ikke læst: tjek "
             "datoen"),
        Text("{n} medication records of a CAR-T or bispecific therapy are written after the day evaluated and were not "
             "read: check their dates",
             "{n} medicinregistreringer af CAR-T eller bispecifikt antistof er skrevet efter vurderingsdagen og er ikke "
             "læst: tjek datoerne")),
    "ig-order-status-unknown": (
        Text("immunoglobulin order {display} has the status unknown and was not used: check whether the patient is "
             "already on substitution",
             "immunglobulinordination {display} har status ukendt og er ikke brugt: tjek, om patienten allerede får "
             "substitution"),
        Text("{n} immunoglobulin orders have the status unknown and were not used: check whether the patient is "
             "already on substitution",
             "{n} immunglobulinordinationer har status ukendt og er ikke brugt: tjek, om patienten allerede får "
             "substitution")),
    "ig-order-plan": (
        Text("immunoglobulin ({display}) is only planned or proposed from {day}, not ordered: not used; check "
             "whether the patient is already on substitution",
             "immunglobulin ({display}) er kun planlagt eller foreslået fra {day}, ikke ordineret: ikke brugt; tjek, "
             "om patienten allerede får substitution"),
        Text("{n} immunoglobulin requests are only planned or proposed, not ordered: not used; check whether the "
             "patient is already on substitution",
             "{n} immunglobulinanmodninger er kun planlagt eller foreslået, ikke ordineret: ikke brugt; tjek, om "
             "patienten allerede får substitution")),
    "ig-statement-intended": (
        Text("a medication record plans immunoglobulin ({display}) from {day} but does not say it was given: not "
             "used; check whether the patient is already on substitution",
             "en medicinregistrering planlægger immunglobulin ({display}) fra {day}, men siger ikke, at det er "
             "givet: ikke brugt; tjek, om patienten allerede får substitution"),
        Text("{n} medication records plan immunoglobulin but do not say it was given: not used; check whether the "
             "patient is already on substitution",
             "{n} medicinregistreringer planlægger immunglobulin, men siger ikke, at det er givet: ikke brugt; tjek, "
             "om patienten allerede får substitution")),
    # a current diagnosis naming immunoglobulin treatment ("Immunglobulinbehandling"): no order or dose, but what the
    # EHR says of a patient on Ig; after the records themselves (`unread._ig_condition`)
    # an order not to give it (doNotPerform): never an order, a course or a T0
    "do-not-perform": (
        Text("{display}{when} is ordered NOT to be given (doNotPerform): not read as an order",
             "{display}{when} er ordineret IKKE at skulle gives (doNotPerform): ikke læst som en ordination"),
        Text("{n} orders say a drug is NOT to be given (doNotPerform): not read as orders",
             "{n} ordinationer siger, at et lægemiddel IKKE skal gives (doNotPerform): ikke læst som ordinationer")),
    "ig-condition": (
        Text("{display}{when}, a diagnosis naming immunoglobulin treatment, is no order or dose and was not used: "
             "check whether the patient is already on substitution",
             "{display}{when}, en diagnose, der nævner immunglobulinbehandling, er ingen ordination eller dosis og er "
             "ikke brugt: tjek, om patienten allerede får substitution"),
        Text("{n} diagnoses name immunoglobulin treatment ({names}) and were not used: check whether the patient is "
             "already on substitution",
             "{n} diagnoser nævner immunglobulinbehandling ({names}) og er ikke brugt: tjek, om patienten allerede "
             "får substitution")),
    "statement-beside-halted-order": (
        Text("a medication record says immunoglobulin ({display}) is taken since {day}, but its order of that day is "
             "on hold or stopped: read as the order; check and update the record",
             "en medicinregistrering siger, at immunglobulin ({display}) tages siden {day}, men ordinationen fra "
             "samme dag er i bero eller seponeret: læst som ordinationen; tjek og ret registreringen"),
        Text("{n} medication records say immunoglobulin is taken, but their orders of the same day are on hold or "
             "stopped: read as the orders; check and update the records",
             "{n} medicinregistreringer siger, at immunglobulin tages, men ordinationerne fra samme dag er i bero "
             "eller seponeret: læst som ordinationerne; tjek og ret registreringerne")),
    "statement-past-order-end": (
        Text("a medication record says immunoglobulin ({display}) is still taken, but its order of the same start "
             "ended on {day}: read as still running; if the patient has stopped, end or update the record",
             "en medicinregistrering siger, at immunglobulin ({display}) stadig tages, men ordinationen fra samme "
             "startdag sluttede {day}: læst som løbende; er behandlingen ophørt, så afslut eller ret registreringen"),
        Text("{n} medication records say immunoglobulin is still taken, but their orders of the same start have "
             "ended: read as still running; if the patient has stopped, end or update the records",
             "{n} medicinregistreringer siger, at immunglobulin stadig tages, men ordinationerne fra samme startdag er "
             "slut: læst som løbende; er behandlingen ophørt, så afslut eller ret registreringerne")),
    "therapy-undated": (
        Text("the therapy {display} has a date with no day, so its high-risk window was not placed; record the day",
             "behandlingen {display} har en dato uden dag, så dens højrisikoperiode er ikke placeret; registrér "
             "dagen"),
        Text("{n} CAR-T or bispecific records have a date with no day: their windows were not placed; record the days",
             "{n} CAR-T- eller bispecifik-registreringer har en dato uden dag: deres perioder er ikke placeret; "
             "registrér dagene")),
    "therapy-date-unread": (
        Text("the therapy {display} has a date that cannot be read as a day, so its high-risk window was not "
             "placed: if it was given after T0, the window and the stop date move; record the day as a date",
             "behandlingen {display} har en dato, der ikke kan læses som en dag, så dens højrisikoperiode er ikke "
             "placeret: er den givet efter T0, flyttes perioden og seponeringsdatoen; registrér dagen som dato"),
        Text("{n} CAR-T or bispecific records have a date that cannot be read as a day: their windows were not "
             "placed, and if one was given after T0 the window and the stop date move; record the days as dates",
             "{n} CAR-T- eller bispecifik-registreringer har en dato, der ikke kan læses som en dag: deres perioder "
             "er ikke placeret, og er en givet efter T0, flyttes perioden og seponeringsdatoen; registrér dagene som "
             "datoer")),
    "therapy-no-date": (
        Text("the therapy {display} is recorded with no date, so its high-risk window was not placed; record the day",
             "behandlingen {display} er registreret uden dato, så dens højrisikoperiode er ikke placeret; registrér "
             "dagen"),
        Text("{n} CAR-T or bispecific records carry no date: their windows were not placed; record the days",
             "{n} CAR-T- eller bispecifik-registreringer har ingen dato: deres perioder er ikke placeret; registrér "
             "dagene")),
    "end-unread": (
        Text("the planned end {display} of {what} cannot be read as a day: read as if it had no end date; "
             "record the end as a date",
             "den planlagte slutdato {display} i {what} kan ikke læses som en dag: læst, som om den ingen "
             "slutdato har; registrér slutdatoen som dato"),
        Text("{n} orders or records have a planned end that cannot be read as a day: read as if they had no end date; "
             "record the ends as dates",
             "{n} ordinationer eller registreringer har en planlagt slutdato, der ikke kan læses som en dag: læst, "
             "som om de ingen slutdato har; registrér slutdatoerne som datoer")),
    "bsab-dose-stopped": (
        Text("the bispecific dose {display} on {day} is recorded as stopped before it was complete: read as given, "
             "its day can open the high-risk window; correct the record if none was given",
             "den bispecifikke dosis {display} den {day} er registreret som afbrudt før afslutning: læst som givet, "
             "dens dag kan åbne højrisikoperioden; ret registreringen, hvis intet blev givet"),
        Text("{n} bispecific doses are recorded as stopped before they were complete: read as given; correct the "
             "records if none was given",
             "{n} bispecifikke doser er registreret som afbrudt før afslutning: læst som givet; ret registreringerne, "
             "hvis intet blev givet")),
    # a bispecific dose or CAR-T infusion recorded on hold or with status unknown: not known to be given, not T0
    "bsab-dose-not-known-given": (
        Text("the bispecific dose {display} on {day} is not recorded as given (on hold, or status unknown): not used "
             "to date the window; record it as given if it was",
             "den bispecifikke dosis {display} den {day} er ikke registreret som givet (i bero eller status ukendt): "
             "ikke brugt til at datere perioden; registrér den som givet, hvis den blev givet"),
        Text("{n} bispecific doses are not recorded as given (on hold, or status unknown): not used to date the "
             "window; record them as given if they were",
             "{n} bispecifikke doser er ikke registreret som givet (i bero eller status ukendt): ikke brugt til at "
             "datere perioden; registrér dem som givet, hvis de blev givet")),
    "car-t-not-known-given": (
        Text("the CAR-T infusion {display} on {day} is not recorded as given (on hold, or status unknown): not used "
             "as the infusion (T0); record it as given if cells were given",
             "CAR-T-infusionen {display} den {day} er ikke registreret som givet (i bero eller status ukendt): ikke "
             "brugt som infusionen (T0); registrér den som givet, hvis der blev givet celler"),
        Text("{n} CAR-T infusions are not recorded as given (on hold, or status unknown): not used as the infusion "
             "(T0); record them as given if cells were given",
             "{n} CAR-T-infusioner er ikke registreret som givet (i bero eller status ukendt): ikke brugt som "
             "infusionen (T0); registrér dem som givet, hvis der blev givet celler")),
    # ... a Procedure of one left in progress (never closed, as a finished one is): the same, said as it is
    "bsab-dose-in-progress": (
        Text("the bispecific dose {display} on {day} is recorded as still in progress, not as given: not used to "
             "date the window; record it as given if it was",
             "den bispecifikke dosis {display} den {day} er registreret som stadig i gang, ikke som givet: ikke brugt "
             "til at datere perioden; registrér den som givet, hvis den blev givet"),
        Text("{n} bispecific doses are recorded as still in progress, not as given: not used to date the window; "
             "record them as given if they were",
             "{n} bispecifikke doser er registreret som stadig i gang, ikke som givet: ikke brugt til at datere "
             "perioden; registrér dem som givet, hvis de blev givet")),
    "car-t-in-progress": (
        Text("the CAR-T infusion {display} on {day} is recorded as still in progress, not as given: not used as the "
             "infusion (T0); record it as given if cells were given",
             "CAR-T-infusionen {display} den {day} er registreret som stadig i gang, ikke som givet: ikke brugt som "
             "infusionen (T0); registrér den som givet, hvis der blev givet celler"),
        Text("{n} CAR-T infusions are recorded as still in progress, not as given: not used as the infusion (T0); "
             "record them as given if cells were given",
             "{n} CAR-T-infusioner er registreret som stadig i gang, ikke som givet: ikke brugt som infusionen (T0); "
             "registrér dem som givet, hvis der blev givet celler")),
    "bsab-stopped-not-given": (
        Text("a bispecific dose on {day} is recorded as stopped with the reason {display}: read as none given, "
             "not used; correct the record if some was given",
             "en bispecifik dosis den {day} er registreret som afbrudt med årsagen {display}: læst som intet "
             "givet, ikke brugt; ret registreringen, hvis noget blev givet"),
        Text("{n} bispecific doses are recorded as stopped with a reason read as none given ({names}): not used; "
             "correct the records if some was given",
             "{n} bispecifikke doser er registreret som afbrudt med en årsag læst som intet givet ({names}): ikke "
             "brugt; ret registreringerne, hvis noget blev givet")),
    "bsab-order-not-started": (
        Text("a bispecific order from {day} is recorded as stopped with the reason {display}: read as never "
             "started, not used; correct the record if a dose was given",
             "en bispecifik ordination fra {day} er registreret som afbrudt med årsagen {display}: læst som aldrig "
             "startet, ikke brugt; ret registreringen, hvis en dosis blev givet"),
        Text("{n} bispecific orders are recorded as stopped with a reason read as never started ({names}): not used; "
             "correct the records if a dose was given",
             "{n} bispecifikke ordinationer er registreret som afbrudt med en årsag læst som aldrig startet "
             "({names}): ikke brugt; ret registreringerne, hvis en dosis blev givet")),
    "car-t-stopped": (
        Text("the CAR-T infusion {display} is recorded as stopped before it was complete: read as given (cells "
             "were infused), its day is T0; correct the record if no cells were given",
             "CAR-T-infusionen {display} er registreret som afbrudt før afslutning: læst som givet (celler blev "
             "infunderet), dens dag er T0; ret registreringen, hvis ingen celler blev givet"),
        Text("{n} CAR-T infusions are recorded as stopped before they were complete: read as given, their days date "
             "T0; correct the records if no cells were given",
             "{n} CAR-T-infusioner er registreret som afbrudt før afslutning: læst som givet, deres dage daterer T0; "
             "ret registreringerne, hvis ingen celler blev givet")),
    "car-t-stopped-not-given": (
        Text("a CAR-T infusion on {day} is recorded as stopped with the reason {display}: read as no cells given, "
             "not T0; correct the record if cells were given",
             "en CAR-T-infusion den {day} er registreret som afbrudt med årsagen {display}: læst som ingen celler "
             "givet, ikke T0; ret registreringen, hvis der blev givet celler"),
        Text("{n} CAR-T infusions are recorded as stopped with a reason read as no cells given ({names}): not T0; "
             "correct the records if cells were given",
             "{n} CAR-T-infusioner er registreret som afbrudt med en årsag læst som ingen celler givet ({names}): "
             "ikke T0; ret registreringerne, hvis der blev givet celler")),
    "car-t-target-out-of-scope": (
        Text("the CAR-T product {display} is not directed at a B-cell or plasma-cell antigen: outside these "
             "criteria, no high-risk window was opened",
             "CAR-T-produktet {display} er ikke rettet mod et B-celle- eller plasmacelleantigen: uden for disse "
             "kriterier, ingen højrisikoperiode er åbnet"),
        Text("{n} CAR-T products are not directed at a B-cell or plasma-cell antigen: outside these criteria, no "
             "windows were opened",
             "{n} CAR-T-produkter er ikke rettet mod et B-celle- eller plasmacelleantigen: uden for disse kriterier, "
             "ingen perioder er åbnet")),
    "bsab-target-out-of-scope": (
        Text("the bispecific antibody {display} is not directed at a B-cell or plasma-cell antigen: outside these "
             "criteria, no high-risk window was opened",
             "det bispecifikke antistof {display} er ikke rettet mod et B-celle- eller plasmacelleantigen: uden for "
             "disse kriterier, ingen højrisikoperiode er åbnet"),
        Text("{n} bispecific antibodies are not directed at a B-cell or plasma-cell antigen: outside these criteria, no "
             "windows were opened",
             "{n} bispecifikke antistoffer er ikke rettet mod et B-celle- eller plasmacelleantigen: uden for disse "
             "kriterier, ingen perioder er åbnet")),
    "draft-dates-unread": (
        Text("the planned dates of {what} could not be read (an end before its start): it was judged as starting "
             "today; check its start and end",
             "de planlagte datoer i {what} kunne ikke læses (slut før start): den er vurderet som startende i dag; "
             "tjek start og slut"),
        Text("the planned dates of {n} draft orders could not be read: they were judged as starting today",
             "de planlagte datoer i {n} ordinationsudkast kunne ikke læses: de er vurderet som startende i dag")),
    # a copied draft whose planned end has passed too: signed as written it would give no dose
    "draft-period-passed": (
        Text("{what} was planned to end {day}, a day already past: as written it gives no dose; it was judged as "
             "starting today with no end; check its dates",
             "{what} skulle slutte {day}, en dag der er passeret: som skrevet giver den ingen dosis; den er vurderet "
             "som startende i dag uden slut; tjek datoerne"),
        Text("{n} draft orders were planned to end on a day already past: as written they give no dose; they were "
             "judged as starting today with no end",
             "{n} ordinationsudkast skulle slutte på en dag, der er passeret: som skrevet giver de ingen dosis; de er "
             "vurderet som startende i dag uden slut")),
    "draft-date-partial": (
        Text("a planned date of {what}, {display}, names no day: it was judged as starting today; check its "
             "start and end",
             "en planlagt dato i {what}, {display}, angiver ingen dag: den er vurderet som startende i dag; tjek "
             "start og slut"),
        Text("{n} draft orders have a planned date with no day: they were judged as starting today",
             "{n} ordinationsudkast har en planlagt dato uden dag: de er vurderet som startende i dag")),
    "ig-length-unread": (
        Text("the immunoglobulin order of {day} has a length, {display}, that could not be read: it is taken as "
             "running with no end; check when it ends",
             "immunglobulinordinationen fra {day} har en længde, {display}, der ikke kunne læses: den er regnet som "
             "løbende uden slut; tjek, hvornår den slutter"),
        Text("{n} immunoglobulin orders have a length that could not be read: taken as running with no end",
             "{n} immunglobulinordinationer har en længde, der ikke kunne læses: regnet som løbende uden slut")),
    "draft-length-unread": (
        Text("the length {display} of {what} could not be read: no end date is suggested; check when it ends",
             "længden {display} i {what} kunne ikke læses: der foreslås ingen slutdato; tjek, hvornår den slutter"),
        Text("the lengths of {n} draft orders could not be read: no end dates are suggested",
             "længden af {n} ordinationsudkast kunne ikke læses: der foreslås ingen slutdatoer")),
    "bsab-end-unknown": (
        Text("the {display} order of {day} has no end date: the next one was counted as a new course",
             "ordinationen på {display} fra {day} har ingen slutdato: den næste er regnet som et nyt forløb"),
        Text("{n} bispecific orders have no end date: the next ones were counted as new courses",
             "{n} ordinationer på bispecifikke antistoffer har ingen slutdato: de næste er regnet som nye forløb")),
    "igg-indeterminate": (
        Text("IgG {display} g/L ({day}), a bound: may lie above or below {threshold}; measure again",
             "IgG {display} g/L ({day}), en grænse: kan ligge over eller under {threshold}; mål igen"),
        Text("{n} IgG values reported as a bound cannot be placed against the thresholds; measure again",
             "{n} IgG-værdier svaret som en grænse kan ikke placeres i forhold til tærsklerne; mål igen")),
    "igg-same-day-unordered": (
        Text("IgG {display} g/L, also of {day}, was not used: which of that day's results is the later cannot be "
             "told; check which is valid",
             "IgG {display} g/L, også fra {day}, er ikke brugt: hvilket af dagens svar der er det seneste, kan ikke "
             "afgøres; tjek, hvilket der gælder"),
        Text("{n} other IgG results of the same day were not used: which is the later cannot be told; check which is "
             "valid",
             "{n} andre IgG-svar fra samme dag er ikke brugt: hvilket der er det seneste, kan ikke afgøres; tjek, "
             "hvilket der gælder")),
    "igg-same-day-superseded": (
        Text("IgG {display} g/L, also of {day}, was not used: a later sample or a correction of that day was read",
             "IgG {display} g/L, også fra {day}, er ikke brugt: en senere prøve eller en rettelse fra samme dag er "
             "læst"),
        Text("{n} other IgG results of the same day were not used: a later sample or a correction was read",
             "{n} andre IgG-svar fra samme dag er ikke brugt: en senere prøve eller en rettelse er læst")),
    # one result sent both released and withdrawn, read as withdrawn on its status alone (`prefetch._withdrawn_over_result`)
    "copy-withdrawn": (
        Text("{what}{when} was sent both as a result and as withdrawn (entered in error or cancelled): read as "
             "withdrawn; check which is valid",
             "{what}{when} er sendt både som svar og som trukket tilbage (fejlregistreret eller annulleret): læst som "
             "trukket tilbage; tjek, hvilket der gælder"),
        Text("{n} results were sent both as a result and as withdrawn: read as withdrawn; check which is valid",
             "{n} svar er sendt både som svar og som trukket tilbage: læst som trukket tilbage; tjek, hvilket der "
             "gælder")),
    # a record other than a result sent also as entered-in-error, read as recorded (`prefetch._read_over_error`)
    "copy-error-unread": (
        Text("{what}{when} was also sent as entered in error: read as recorded; check which is valid",
             "{what}{when} er også sendt som fejlregistreret: læst som registreret; tjek, hvilket der gælder"),
        Text("{n} records were also sent as entered in error: read as recorded; check which is valid",
             "{n} registreringer er også sendt som fejlregistrerede: læst som registreret; tjek, hvilket der gælder")),
    # a record other than a result sent with two statuses (an order active and stopped), `meta` not saying which copy
    # is the later: the copy read is named beside the other's status (`prefetch._withdrawn_over_result`)
    "copy-status-differs": (
        Text("{what}{when} was also sent as {display}, with nothing saying which copy is the later: check which is "
             "valid",
             "{what}{when} er også sendt som {display}, uden angivelse af, hvilken kopi der er den seneste: tjek, "
             "hvilken der gælder"),
        Text("{n} records were also sent with another status, with nothing saying which copy is the later: check "
             "which is valid",
             "{n} registreringer er også sendt med en anden status, uden angivelse af, hvilken kopi der er den "
             "seneste: tjek, hvilken der gælder")),
    # copies of one record, the same status, other content (an IgG of 3.2 and 7.0 g/L under one id): one was read
    # a record coded both as what a value set holds and as what it excludes (total IgG and IgG1, IVIG and anti-D)
    "codes-disagree": (
        Text("{what} {display}{when} carries codes that disagree (one is what the rules read, another is not): not "
             "used; check its coding",
             "{what} {display}{when} har koder, der modsiger hinanden (én læser reglerne, en anden ikke): ikke "
             "brugt; tjek kodningen"),
        Text("{n} records carry codes that disagree: not used; check their coding",
             "{n} registreringer har koder, der modsiger hinanden: ikke brugt; tjek kodningen")),
    # a specific immunoglobulin (hepatitis B, anti-D, tetanus: ATC J06BB or its name): not substitution
    "ig-specific": (
        Text("{what} {display}{when} is a specific immunoglobulin, not substitution: not used",
             "{what} {display}{when} er et specifikt immunglobulin, ikke substitution: ikke brugt"),
        Text("{n} records are specific immunoglobulins, not substitution: not used",
             "{n} registreringer er specifikke immunglobuliner, ikke substitution: ikke brugt")),
    # a treatment coded only by a class of drugs (SKS BOHJ19K, a bispecific T-cell engager): which drug is not said
    "class-code": (
        Text("{what} {display}{when} is coded as a class of drugs, not one drug: not used; check which drug was given",
             "{what} {display}{when} er kodet som en lægemiddelklasse, ikke ét lægemiddel: ikke brugt; kontrollér, "
             "hvilket lægemiddel der blev givet"),
        Text("{n} records are coded as a class of drugs, not one drug: not used; check which drugs were given",
             "{n} registreringer er kodet som en lægemiddelklasse, ikke ét lægemiddel: ikke brugt; kontrollér, "
             "hvilke lægemidler der blev givet")),
    # a result a DiagnosticReport holds inside itself (contained) whose code the rules read: not read
    "result-contained": (
        Text("a report{when} holds the result {display} inside itself, not as a result of its own: not read; check it",
             "en rapport{when} indeholder svaret {display} i sig selv, ikke som et selvstændigt svar: ikke læst; tjek "
             "det"),
        Text("{n} reports hold results inside themselves, not as results of their own: not read; check them",
             "{n} rapporter indeholder svar i sig selv, ikke som selvstændige svar: ikke læst; tjek dem")),
    "copy-content-differs": (
        Text("{what}{when} was sent twice with different content, with nothing saying which copy is the later: check "
             "which is valid",
             "{what}{when} er sendt to gange med forskelligt indhold, uden angivelse af, hvilken kopi der er den "
             "seneste: tjek, hvilken der gælder"),
        Text("{n} records were sent twice with different content, with nothing saying which copy is the later: check "
             "which is valid",
             "{n} registreringer er sendt to gange med forskelligt indhold, uden angivelse af, hvilken kopi der er den "
             "seneste: tjek, hvilken der gælder")),
    # ... the other copy sent with no status at all (FHIR requires one): said so, never as a status named "None"
    "copy-status-missing": (
        Text("{what}{when} was also sent with no status, with nothing saying which copy is the later: check which is "
             "valid",
             "{what}{when} er også sendt uden status, uden angivelse af, hvilken kopi der er den seneste: tjek, "
             "hvilken der gælder"),
        Text("{n} records were also sent with no status, with nothing saying which copy is the later: check which is "
             "valid",
             "{n} registreringer er også sendt uden status, uden angivelse af, hvilken kopi der er den seneste: tjek, "
             "hvilken der gælder")),
    "copy-revision-unread": (
        Text("{what}{when} was also sent as amended or corrected, that copy dated earlier: the later final copy was "
             "read; check which is valid",
             "{what}{when} er også sendt som ændret eller rettet, den kopi med tidligere dato: den senere endelige "
             "kopi er læst; tjek, hvilket der gælder"),
        Text("{n} results were also sent as amended or corrected, dated earlier: the later final copy was read; check "
             "which is valid",
             "{n} svar er også sendt som ændret eller rettet, med tidligere dato: den senere endelige kopi er læst; "
             "tjek, hvilket der gælder")),
    "copy-error-read": (
        Text("{what}{when} was sent both as recorded and as entered in error: read as entered in error, not used; "
             "check which is valid",
             "{what}{when} er sendt både som registreret og som fejlregistreret: læst som fejlregistreret, ikke brugt; "
             "tjek, hvilket der gælder"),
        Text("{n} records were sent both as recorded and as entered in error: read as entered in error, not used; "
             "check which is valid",
             "{n} registreringer er sendt både som registreret og som fejlregistreret: læst som fejlregistreret, ikke "
             "brugt; tjek, hvilket der gælder")),
    "igg-preliminary": (
        Text("IgG on {day} is not final yet (preliminary): not used",
             "IgG den {day} er endnu ikke endelig (foreløbig): ikke brugt"),
        Text("{n} IgG results are not final yet (preliminary): not used",
             "{n} IgG-svar er endnu ikke endelige (foreløbige): ikke brugt")),
    "igg-preliminary-value": (  # ... with its value as sent
        Text("IgG {display} on {day} is not final yet (preliminary): not used; check the final result",
             "IgG {display} den {day} er endnu ikke endelig (foreløbig): ikke brugt; tjek det endelige svar"),
        Text("{n} IgG results are not final yet (preliminary): not used; check the final results",
             "{n} IgG-svar er endnu ikke endelige (foreløbige): ikke brugt; tjek de endelige svar")),
    "igg-registered": (  # FHIR registered: the observation exists, no result is available yet
        Text("IgG on {day} is registered, no result yet: not used",
             "IgG den {day} er registreret, endnu uden svar: ikke brugt"),
        Text("{n} IgG analyses are registered, no result yet: not used",
             "{n} IgG-analyser er registreret, endnu uden svar: ikke brugt")),
    "igg-status-unknown": (
        Text("IgG on {day} has the status unknown: not used", "IgG den {day} har status ukendt: ikke brugt"),
        Text("{n} IgG results have the status unknown: not used", "{n} IgG-svar har status ukendt: ikke brugt")),
    "m-protein-not-final": (
        Text("M-protein on {day} is not final yet: not used", "M-komponent den {day} er endnu ikke endelig: ikke brugt"),
        Text("{n} M-protein results are not final yet: not used",
             "{n} M-komponentsvar er endnu ikke endelige: ikke brugt")),
    "unrecognised-code": (
        Text("{what} {display}{when} was not recognised by its code: not used",
             "{what} {display}{when} blev ikke genkendt på sin kode: ikke brugt"),
        Text("{names}: codes not recognised", "{names}: koder ikke genkendt")),
    "code-system-unknown": (
        Text("{what}{when} has the code {display}, in a code system not recognised: not used",
             "{what}{when} har koden {display} i et kodesystem, der ikke genkendes: ikke brugt"),
        Text("{names}: codes in systems not recognised, not used",
             "{names}: koder i kodesystemer, der ikke genkendes, ikke brugt")),
    "code-wrong-system": (
        Text("{what}{when} has the code {display}, which the value sets hold only under another code system: not used",
             "{what}{when} har koden {display}, som værdisættene kun har under et andet kodesystem: ikke brugt"),
        Text("{names}: codes the value sets hold only under another code system, not used",
             "{names}: koder, som værdisættene kun har under et andet kodesystem, ikke brugt")),
    "unresolved-medication": (
        Text("{what}{when} names a Medication that was not sent: its drug was not checked",
             "{what}{when} henviser til en lægemiddelregistrering, der ikke er sendt: lægemidlet er ikke tjekket"),
        Text("{n} records name a Medication that was not sent: not checked",
             "{n} registreringer henviser til en lægemiddelregistrering, der ikke er sendt: ikke tjekket")),
    # ... one sent with nothing to tell its drug by (no code, name or ingredient)
    "medication-no-code": (
        Text("{what}{when} names a Medication with no code or name: its drug was not checked",
             "{what}{when} henviser til en lægemiddelregistrering uden kode eller navn: lægemidlet er ikke tjekket"),
        Text("{n} records name a Medication with no code or name: not checked",
             "{n} registreringer henviser til en lægemiddelregistrering uden kode eller navn: ikke tjekket")),
    # an order's Medication sent, its fullUrl naming two resources (`prefetch._know_full_url`): never "not sent"
    "medication-reference-ambiguous": (
        Text("an order's reference to its Medication names two different records: its drug was not checked",
             "en ordinations henvisning til dens lægemiddel peger på to forskellige registreringer: lægemidlet er ikke "
             "tjekket"),
        Text("{n} orders' references to their Medication name two different records: not checked",
             "{n} ordinationers henvisninger til lægemidler peger på to forskellige registreringer: ikke tjekket")),
    "draft-drug-unread": (
        Text("the drug of {what} could not be read: it was not checked",
             "lægemidlet i {what} kunne ikke læses: det er ikke vurderet"),
        Text("the drug of {n} draft orders could not be read: they were not checked",
             "lægemidlet i {n} ordinationsudkast kunne ikke læses: de er ikke vurderet")),
    # The two reads the EHR's FHIR server answered, told apart: a drug record it does not hold (404), one deleted (410)
    "draft-drug-missing": (
        Text("the drug record {what} names was not found in the EHR: it was not checked; check the order's drug",
             "lægemiddelregistreringen, som {what} henviser til, blev ikke fundet i journalen: den er ikke vurderet; "
             "tjek ordinationens lægemiddel"),
        Text("{n} draft orders name a drug record not found in the EHR: they were not checked",
             "{n} ordinationsudkast henviser til en lægemiddelregistrering, der ikke blev fundet i journalen: de er "
             "ikke vurderet")),
    "draft-drug-deleted": (
        Text("the drug record {what} names has been deleted in the EHR: it was not checked; check the order's drug",
             "lægemiddelregistreringen, som {what} henviser til, er slettet i journalen: den er ikke vurderet; tjek "
             "ordinationens lægemiddel"),
        Text("{n} draft orders name a drug record deleted in the EHR: they were not checked",
             "{n} ordinationsudkast henviser til en lægemiddelregistrering, der er slettet i journalen: de er ikke "
             "vurderet")),
    "igg-below-m-protein": (
        Text("IgG {display} g/L on {day} is not larger than its IgG M-protein: not used",
             "IgG {display} g/L den {day} er ikke større end dens IgG-M-komponent: ikke brugt"),
        Text("{n} IgG values not larger than their IgG M-protein were not used",
             "{n} IgG-værdier, der ikke er større end deres IgG-M-komponent, er ikke brugt")),
    "igg-contradicts": (
        Text("IgG {display}{when} is sent with a status, qualifier or flag that makes it no plain result: not used; "
             "check it",
             "IgG {display}{when} er sendt med en status, et forbehold eller et flag, der gør det til mere end et "
             "almindeligt svar: ikke brugt; tjek det"),
        Text("{n} IgG results are sent with a status, qualifier or flag that makes them no plain result: not used; "
             "check them",
             "{n} IgG-svar er sendt med en status, et forbehold eller et flag, der gør dem til mere end almindelige "
             "svar: ikke brugt; tjek dem")),
    "igg-unreadable": (
        Text("IgG {display}{when} could not be read (no number, no readable unit or no date): not used",
             "IgG {display}{when} kunne ikke læses (intet tal, ingen læsbar enhed eller ingen dato): ikke brugt"),
        Text("{n} IgG results could not be read (no number, no readable unit or no date): not used",
             "{n} IgG-svar kunne ikke læses (intet tal, ingen læsbar enhed eller ingen dato): ikke brugt")),
    # an IgG result the rules read, skipped as not valid FHIR (a malformed `issued`): a card asking for an IgG says so
    "igg-invalid": (
        Text("an IgG result{when} holds unusable data and was skipped: check it in the EHR",
             "et IgG-svar{when} har ubrugelige data og er sprunget over: tjek det i journalen"),
        Text("{n} IgG results with unusable data were skipped: check them in the EHR",
             "{n} IgG-svar med ubrugelige data er sprunget over: tjek dem i journalen")),
    "m-protein-unreadable": (
        Text("M-protein {display}{when} could not be read as an amount (a number with a unit, a trace or not "
             "detected): not subtracted",
             "M-komponent {display}{when} kunne ikke læses som en mængde (et tal med enhed, spor eller ikke påvist): "
             "ikke trukket fra"),
        Text("{n} M-protein results could not be read as an amount: not subtracted",
             "{n} M-komponentsvar kunne ikke læses som en mængde: ikke trukket fra")),
    "igg-implausible": (
        Text("IgG {display} g/L on {day} is implausible: not used", "IgG {display} g/L den {day} er usandsynlig: ikke brugt"),
        Text("{n} implausible IgG values were not used", "{n} usandsynlige IgG-værdier er ikke brugt")),
    "igg-during-substitution": (
        Text("IgG {display} g/L on {day} was taken on substitution or in its washout: not used for a start (§3.4)",
             "IgG {display} g/L den {day} er taget under substitution eller i udvaskningen: ikke brugt til start "
             "(§3.4)"),
        Text("{n} IgG values taken on substitution or in its washout were not used for a start (§3.4)",
             "{n} IgG-værdier taget under substitution eller i udvaskningen er ikke brugt til start (§3.4)")),
    "igg-during-other-use": (
        Text("IgG {display} g/L on {day} was taken within the washout of immunoglobulin given for another reason: not "
             "used for a start (§3.4)",
             "IgG {display} g/L den {day} er taget i udvaskningen efter immunglobulin givet af anden årsag: ikke brugt "
             "til start (§3.4)"),
        Text("{n} IgG values taken within the washout of immunoglobulin given for another reason were not used for a "
             "start (§3.4)",
             "{n} IgG-værdier taget i udvaskningen efter immunglobulin givet af anden årsag er ikke brugt til start "
             "(§3.4)")),
    "prefetch-not-sent": (
        Text("medication records and microbiology reports could not be had: Ig or a therapy given elsewhere, and "
             "cultures reported only as reports, were not checked",
             "medicinregistreringer og mikrobiologisvar kunne ikke hentes: Ig eller behandling givet andetsteds og "
             "dyrkninger, der kun findes som svarrapporter, er ikke tjekket"),
        Text("medication records and microbiology reports could not be had: not checked",
             "medicinregistreringer og mikrobiologisvar kunne ikke hentes: ikke tjekket")),
    "culture-text-unread": (
        Text("a culture ({day}) has a result the rules cannot read ({display}): no verified infection counted from "
             "it; read the result yourself",
             "en dyrkning ({day}) har et svar, reglerne ikke kan læse ({display}): ingen verificeret infektion talt "
             "med ud fra den; læs selv svaret"),
        Text("{n} cultures have a result the rules cannot read ({names}): no verified infection counted from them; "
             "read the results yourself",
             "{n} dyrkninger har et svar, reglerne ikke kan læse ({names}): ingen verificeret infektion talt med ud "
             "fra dem; læs selv svarene")),
    "birth-date-after-today": (
        Text("birth date {display} is after today ({day}): not used, read as unknown; check it",
             "fødselsdatoen {display} ligger efter i dag ({day}): ikke brugt, læst som ukendt; tjek den"),
        Text("{n} birth dates are after today: not used; check them",
             "{n} fødselsdatoer ligger efter i dag: ikke brugt; tjek dem")),
    "birth-date-unread": (
        Text("birth date {display} cannot be read as a day: not used; record the date",
             "fødselsdatoen {display} kan ikke læses som en dag: ikke brugt; registrér datoen"),
        Text("{n} birth dates cannot be read as days: age not known; record the dates",
             "{n} fødselsdatoer kan ikke læses som dage: alderen er ukendt; registrér datoerne")),
    "death-date-unread": (
        Text("date of death {display} cannot be read as a day: the patient is read as deceased; correct the record "
             "if not",
             "dødsdatoen {display} kan ikke læses som en dag: patienten er læst som afdød; ret registreringen, hvis "
             "ikke"),
        Text("{n} dates of death cannot be read as days: the patient is read as deceased",
             "{n} dødsdatoer kan ikke læses som dage: patienten er læst som afdød")),
    "deceased-flag-true": (
        Text("the deceased flag {display} is no true or false: read as deceased; correct the record if not",
             "dødsmarkeringen {display} er hverken true eller false: læst som afdød; ret registreringen, hvis ikke"),
        Text("{n} deceased flags are no true or false: read as deceased",
             "{n} dødsmarkeringer er hverken true eller false: læst som afdød")),
    "deceased-flag-unread": (
        Text("the deceased flag {display} cannot be read: read as alive; check the record",
             "dødsmarkeringen {display} kan ikke læses: læst som i live; tjek registreringen"),
        Text("{n} deceased flags cannot be read: read as alive; check the records",
             "{n} dødsmarkeringer kan ikke læses: læst som i live; tjek registreringerne")),
    "birth-date-after-therapy": (
        Text("birth date {display} is after the CAR-T or bsAb therapy of {day}: not used, read as unknown; check it",
             "fødselsdatoen {display} ligger efter CAR-T- eller bsAb-behandlingen den {day}: ikke brugt, læst som "
             "ukendt; tjek den"),
        Text("{n} birth dates are after the CAR-T or bsAb therapy: not used; check them",
             "{n} fødselsdatoer ligger efter CAR-T- eller bsAb-behandlingen: ikke brugt; tjek dem")),
    "date-partial": (
        Text("the date {display} of {what} names no day: read as {day}; check it",
             "datoen {display} i {what} angiver ingen dag: læst som {day}; tjek den"),
        Text("{n} dates name no day (a month or a year only): each read as one day; check them",
             "{n} datoer angiver ingen dag (kun en måned eller et år): hver læst som én dag; tjek dem")),
    "infection-undated": (
        Text("infection {display} has no usable date: not counted; record its onset",
             "infektion {display} har ingen brugbar dato: medregnes ikke; registrér debutdatoen"),
        Text("{n} infections have no usable date: not counted; record their onset",
             "{n} infektioner har ingen brugbar dato: medregnes ikke; registrér debutdatoen")),
    "infection-severity-not-read": (
        Text("the severity {display} of an infection ({day}) is not coded: not read",
             "sværhedsgraden {display} af en infektion ({day}) er ikke kodet: ikke læst"),
        Text("{n} infections have a severity that is not coded: not read",
             "{n} infektioner har en sværhedsgrad, der ikke er kodet: ikke læst")),
    "pneumonia-admission-unknown": (
        Text("whether the bacterial pneumonia {display} ({day}) needed admission is not known: admissions not sent",
             "om den bakterielle pneumoni {display} ({day}) krævede indlæggelse vides ikke: indlæggelser er ikke sendt"),
        Text("whether {n} bacterial pneumonias needed admission is not known: admissions not sent",
             "om {n} bakterielle pneumonier krævede indlæggelse vides ikke: indlæggelser er ikke sendt")),
    "admission-infection-not-recorded": (
        Text("an admission ({day}) for {display} with no diagnosis recorded as a Condition: not counted; record the "
             "diagnosis if it applies",
             "en indlæggelse ({day}) for {display} uden diagnosen registreret som diagnose (Condition): medregnes ikke; "
             "registrér diagnosen, hvis den er rigtig"),
        Text("{n} admissions for {names} with no diagnosis recorded as a Condition: not counted; record the diagnosis "
             "if it applies",
             "{n} indlæggelser for {names} uden diagnosen registreret som diagnose (Condition): medregnes ikke; "
             "registrér diagnosen, hvis den er rigtig")),
    # one infection coded both bacterial and viral or fungal: counted by its bacterial code, to be checked
    "infection-codes-disagree": (
        Text("infection {display}{when} is coded both bacterial and viral or fungal: counted as bacterial; check "
             "its coding",
             "infektion {display}{when} er kodet både bakteriel og viral eller svampebetinget: medregnet som "
             "bakteriel; tjek kodningen"),
        Text("{n} infections are coded both bacterial and viral or fungal: counted as bacterial; check their coding",
             "{n} infektioner er kodet både bakterielle og virale eller svampebetingede: medregnet som bakterielle; "
             "tjek kodningen")),
    "infection-unconfirmed": (
        Text("infection {display} ({day}) is not confirmed: not counted",
             "infektion {display} ({day}) er ikke bekræftet: medregnes ikke"),
        Text("{n} unconfirmed infections were not counted", "{n} ubekræftede infektioner medregnes ikke")),
    "culture-not-final": (
        Text("a culture ({day}) names a bacterium grown ({display}) but is not final yet: not counted; check the "
             "final result",
             "en dyrkning ({day}) nævner vækst af en bakterie ({display}), men er endnu ikke endelig: medregnes ikke; "
             "tjek det endelige svar"),
        Text("{n} cultures name a bacterium grown but are not final yet: not counted; check the final results",
             "{n} dyrkninger nævner vækst af en bakterie, men er endnu ikke endelige: medregnes ikke; tjek de "
             "endelige svar")),
    "culture-negative-names-growth": (
        Text("a culture ({day}) is interpreted negative, but its result names a bacterium grown ({display}): "
             "not counted; check the result",
             "en dyrkning ({day}) er tolket negativ, men svaret nævner vækst af en bakterie ({display}): medregnes "
             "ikke; tjek svaret"),
        Text("{n} cultures interpreted negative name a bacterium grown: not counted; check the results",
             "{n} dyrkninger tolket negative nævner vækst af en bakterie: medregnes ikke; tjek svarene")),
    "culture-note-names-growth": (
        Text("a culture ({day}) names a bacterium grown only in a comment ({display}): not counted; check the "
             "result",
             "en dyrkning ({day}) nævner kun vækst af en bakterie i en kommentar ({display}): medregnes ikke; tjek "
             "svaret"),
        Text("{n} cultures name a bacterium grown only in a comment: not counted; check the results",
             "{n} dyrkninger nævner kun vækst af en bakterie i en kommentar: medregnes ikke; tjek svarene")),
    "culture-result-names-earlier": (
        Text("a culture ({day}) names a bacterium only in what is read as an earlier finding ({display}): not "
             "counted; check the result",
             "en dyrkning ({day}) nævner kun en bakterie i det, der læses som et tidligere fund ({display}): "
             "medregnes ikke; tjek svaret"),
        Text("{n} cultures name a bacterium only in what is read as an earlier finding: not counted; check the "
             "results",
             "{n} dyrkninger nævner kun en bakterie i det, der læses som et tidligere fund: medregnes ikke; tjek "
             "svarene")),
    "culture-positive-says-none": (
        Text("a culture ({day}) is interpreted positive, but its text says nothing grew ({display}): counted as "
             "positive; check the result",
             "en dyrkning ({day}) er tolket positiv, men teksten siger, at intet voksede ({display}): talt som "
             "positiv; tjek svaret"),
        Text("{n} cultures interpreted positive say in their text that nothing grew: counted; check the results",
             "{n} dyrkninger tolket positive siger i teksten, at intet voksede: talt med; tjek svarene")),
    "culture-fields-disagree": (
        Text("a culture ({day}) says in one field that nothing grew and names a bacterium grown in another "
             "({display}): counted as grown; check the result",
             "en dyrkning ({day}) siger i ét felt, at intet voksede, og nævner vækst af en bakterie i et andet "
             "({display}): talt som vækst; tjek svaret"),
        Text("{n} cultures say in one field that nothing grew and name a bacterium grown in another: counted as "
             "grown; check the results",
             "{n} dyrkninger siger i ét felt, at intet voksede, og nævner vækst af en bakterie i et andet: talt som "
             "vækst; tjek svarene")),
    "infection-not-counted": (
        Text("infection {display} ({day}) has no bacterial code or matching positive culture: not counted",
             "infektion {display} ({day}) har ingen bakteriel kode eller passende positiv dyrkning: medregnes ikke"),
        Text("{n} infections without a bacterial code or matching positive culture were not counted",
             "{n} infektioner uden bakteriel kode eller passende positiv dyrkning medregnes ikke")),
    "agent-code-unpaired": (
        Text("organism code {display}{when} names the bacterium behind an infection, but could not be placed with one "
             "infection coded without its organism on that day or stay: not counted",
             "mikroorganismekode {display}{when} angiver bakterien bag en infektion, men kunne ikke knyttes til én "
             "infektion uden angivet mikroorganisme samme dag eller indlæggelse: medregnes ikke"),
        Text("{n} organism codes could not be placed with one infection of their day or stay: not counted",
             "{n} mikroorganismekoder kunne ikke knyttes til én infektion samme dag eller indlæggelse: medregnes ikke")),
    "infection-bacterial-not-counted": (
        Text("infection {display} ({day}) is bacterial, of a kind not counted (such as tuberculosis or C. difficile): "
             "judge it yourself",
             "infektion {display} ({day}) er bakteriel, af en art, der ikke medregnes (fx tuberkulose eller "
             "C. difficile): vurdér den selv"),
        Text("{n} bacterial infections of kinds not counted (such as tuberculosis or C. difficile): judge them "
             "yourself",
             "{n} bakterielle infektioner af arter, der ikke medregnes (fx tuberkulose eller C. difficile): vurdér "
             "dem selv")),
    "infection-not-bacterial": (
        Text("infection {display} ({day}) is viral or fungal: not counted",
             "infektion {display} ({day}) er viral eller svampebetinget: medregnes ikke"),
        Text("{n} viral or fungal infections were not counted", "{n} virale eller svampebetingede infektioner "
             "medregnes ikke")),
    "type-not-read": (
        Text("{what} {display}{when} is a kind of record the rules do not read: seen, not used",
             "{what} {display}{when} er en type registrering, reglerne ikke læser: set, ikke brugt"),
        Text("{names}: kinds of record the rules do not read, not used",
             "{names}: registreringstyper, reglerne ikke læser, ikke brugt")),
    # normal or mixed flora as well as an organism that is often a contaminant (coagulase-negative staphylococci):
    # "Vækst af normal svælgflora" read as "grew a likely contaminant" (no pathogen is not a contaminant)
    "culture-contaminant": (
        Text("a culture ({day}) grew normal flora or a likely contaminant: not counted",
             "en dyrkning ({day}) viste normalflora eller en sandsynlig kontaminant: medregnes ikke"),
        Text("{n} cultures grew normal flora or likely contaminants: not counted",
             "{n} dyrkninger viste normalflora eller sandsynlige kontaminanter: medregnes ikke")),
    "culture-without-diagnosis": (
        Text("a positive culture ({day}) without a bacterial infection diagnosis was not counted",
             "en positiv dyrkning ({day}) uden diagnose af bakteriel infektion medregnes ikke"),
        Text("{n} positive cultures without a bacterial infection diagnosis were not counted",
             "{n} positive dyrkninger uden diagnose af bakteriel infektion medregnes ikke")),
    # ... where the chart has one it could confirm, but outside the culture window: its onset named (`display`)
    "culture-diagnosis-apart": (
        Text("a positive culture ({day}) was not counted: the nearest infection diagnosis it could confirm, dated "
             "{display}, lies outside the culture window",
             "en positiv dyrkning ({day}) medregnes ikke: den nærmeste infektionsdiagnose, den kunne bekræfte, fra "
             "{display}, ligger uden for dyrkningsvinduet"),
        Text("{n} positive cultures were not counted: each lies outside the culture window of the infection "
             "diagnoses they could confirm",
             "{n} positive dyrkninger medregnes ikke: hver ligger uden for dyrkningsvinduet for de "
             "infektionsdiagnoser, de kunne bekræfte")),
    "car-t-same-treatment": (
        Text("CAR-T recorded again on {day}: taken as the infusion of {display}",
             "CAR-T registreret igen den {day}: regnet som infusionen den {display}"),
        Text("{n} later CAR-T records taken as the infusion they repeat (its first day counts)",
             "{n} senere CAR-T-registreringer regnet som den infusion, de gentager (dens første dag tæller)")),
    # an IgA, IgM or light-chain M-protein beside the IgG decided on: seen, not subtracted (not part of total IgG)
    "m-protein-not-igg": (
        Text("M-protein {display} ({day}) is not IgG: not subtracted, as only an IgG M-protein is part of total IgG",
             "M-komponent {display} ({day}) er ikke IgG: ikke trukket fra, da kun en IgG-M-komponent indgår i total-IgG"),
        Text("{n} M-proteins of another type than IgG were not subtracted: only an IgG M-protein is part of total IgG",
             "{n} M-komponenter af anden type end IgG er ikke trukket fra: kun en IgG-M-komponent indgår i total-IgG")),
    # coded as the CAR-T infusion, named as a step before it ("CAR-T harvesting ..." under CPT 38228): not T0
    "step-coded-as-therapy": (
        Text("{what} {display}{when} is coded as the CAR-T infusion but named as a step before it: not used as T0; "
             "check its coding",
             "{what} {display}{when} er kodet som CAR-T-infusionen, men navngivet som et trin før den: ikke brugt som "
             "T0; tjek kodningen"),
        Text("{n} records are coded as the CAR-T infusion but named as a step before it: not used as T0; check their "
             "coding",
             "{n} registreringer er kodet som CAR-T-infusionen, men navngivet som et trin før den: ikke brugt som T0; "
             "tjek kodningen")),
    "wrong-patient": (
        Text("{what}{when} of another patient was ignored", "{what}{when} om en anden patient er ignoreret"),
        Text("{n} resources of other patients were ignored", "{n} ressourcer om andre patienter er ignoreret")),
    # a resource that names no patient at all (no subject): whose it is cannot be told, so it is not read
    "no-subject": (
        Text("{what}{when} names no patient (no subject) and was ignored",
             "{what}{when} angiver ingen patient (intet subject) og er ignoreret"),
        Text("{n} resources name no patient (no subject) and were ignored",
             "{n} ressourcer angiver ingen patient (intet subject) og er ignoreret")),
    "invalid": (
        Text("{what}{when} holds unusable data and was skipped", "{what}{when} har ubrugelige data og er sprunget over"),
        Text("{n} resources with unusable data were skipped", "{n} ressourcer med ubrugelige data er sprunget over")),
    "malformed-field": (
        Text("a malformed field ({display}) of {what}{when}, which the rules do not read, was ignored",
             "et fejlformateret felt ({display}) i {what}{when}, som reglerne ikke læser, er ignoreret"),
        Text("{n} malformed fields the rules do not read were ignored",
             "{n} fejlformaterede felter, som reglerne ikke læser, er ignoreret")),
}
ORDER = tuple(NOTE_TEXT)
# Kinds no card names (what they set aside cannot change the advice, or the card says it in its own words), worded
# for the explanation page and `replay`, one note at a time; with `NOTE_TEXT`, every kind of `NOTE_KINDS`.
PAGE_NOTE_TEXT: dict[str, Text] = {
    "car-t-order-no-infusion": Text(
        "a CAR-T order{when} is completed, but no infusion is recorded: an order is not an infusion, not used as T0",
        "en CAR-T-ordination{when} er afsluttet, men ingen infusion er registreret: en ordination er ikke en "
        "infusion, ikke brugt som T0"),
    "culture-superseded": Text(
        "a culture result{when} not final yet is replaced by the final result of the same sample: not counted",
        "et dyrkningssvar{when}, der endnu ikke er endeligt, er afløst af det endelige svar på samme prøve: "
        "medregnes ikke"),
    "full-url-conflict": Text(
        "a fullUrl of the request names two different resources: a reference to it names neither and is not followed",
        "en fullUrl i forespørgslen angiver to forskellige ressourcer: en henvisning til den angiver ingen af dem og "
        "er ikke fulgt"),
    "report-results-not-sent": Text(
        "a culture report{when} has no conclusion, and its results were not sent: not read",
        "en dyrkningsrapport{when} har ingen konklusion, og dens resultater er ikke sendt: ikke læst"),
    # the draft is judged from the day it is signed, as it will run once signed: the card's fact line gives both days
    "draft-start-passed": Text(
        "the planned start of a draft order{when} has passed: judged as starting on the day it is signed",
        "den planlagte start i et ordinationsudkast{when} er passeret: vurderet som startende den dag, det underskrives"),
    # a step before the therapy by its code and its name (a CAR-T cell harvest): recognised, and no T0
    "step-before-therapy": Text(
        "{what} {display}{when} is, by its code and its name, a step before the therapy (such as the cell harvest), "
        "not the therapy itself: not used as T0",
        "{what} {display}{when} er efter kode og navn et trin før behandlingen (fx høst af cellerne), ikke selve "
        "behandlingen: ikke brugt som T0"),
    "request-not-an-order": Text(
        "a bispecific antibody request{when} is only a plan or a proposal, not an order: not used as T0",
        "en anmodning om bispecifikt antistof{when} er kun en plan eller et forslag, ikke en ordination: ikke brugt "
        "som T0"),
    "statement-not-used": Text(
        "a medication record{when} says it was not taken, or not whether it was: not used",
        "en medicinregistrering{when} siger, at det ikke er taget, eller ikke, om det er: ikke brugt"),
    "statement-of-order": Text(
        "a medication record of immunoglobulin{when} is based on an order of it: the same course, read as the order",
        "en medicinregistrering af immunglobulin{when} bygger på en ordination af det: samme forløb, læst som "
        "ordinationen"),
    "admissions-not-sent": Text(
        "admissions were not sent{when}: whether an infection needed admission is not known",
        "indlæggelser er ikke sendt{when}: om en infektion krævede indlæggelse, vides ikke"),
    # a lab result under a code in no value set, whose name names nothing the rules read (an IgA, an albumin, a free
    # light chain): not used, and no card needs it; named so that a tester sees it
    "result-not-used": Text(
        "a lab result{when}, {display}, has a code in none of the rules' value sets: not used",
        "et laboratoriesvar{when}, {display}, har en kode, der ikke er i reglernes værdisæt: ikke brugt"),
    # an IgG subclass (IgG1-IgG4): not total IgG; a card with no usable IgG names it in its own words (a caveat)
    "igg-subclass": Text(
        "{display}{when} is an IgG subclass, not total IgG: not used",
        "{display}{when} er en IgG-subklasse, ikke total-IgG: ikke brugt"),
    # a diagnosis naming immunoglobulin treatment that has ended (resolved, inactive, abated): no course of now
    "ig-condition-ended": Text(
        "{display}{when}, a diagnosis naming immunoglobulin treatment, has ended and is no order or dose: not used",
        "{display}{when}, en diagnose, der nævner immunglobulinbehandling, er afsluttet og er ingen ordination eller "
        "dosis: ikke brugt"),
    "unknown-end": Text(
        "{what}{when} has ended, but its end date is not recorded",
        "{what}{when} er afsluttet, men slutdatoen er ikke registreret"),
}
# A page kind's wording for one note standing for several results of one code and name (`DataNote.count`): {n} is
# how many, {when} the earliest and the newest date, {display} the newest result.
PAGE_SEVERAL_TEXT: dict[str, Text] = {
    "result-not-used": Text(
        "{n} lab results{when}, the newest {display}, have a code in none of the rules' value sets: not used",
        "{n} laboratoriesvar{when}, det nyeste {display}, har en kode, der ikke er i reglernes værdisæt: ikke brugt"),
    "igg-subclass": Text(
        "{n} results{when} of an IgG subclass, the newest {display}, are not total IgG: not used",
        "{n} svar{when} på en IgG-subklasse, det nyeste {display}, er ikke total-IgG: ikke brugt"),
}
# A note's technical detail (`DataNote.message`) is the service's own English, wherever a note is shown in full.
TECHNICAL = Text("Technical detail", "Teknisk detalje (engelsk)")
# Kinds whose notes often name one thing several times (two stays for one diagnosis): each display named once.
NAMED_ONCE = frozenset({"admission-infection-not-recorded"})
# A note whose advice is "check whether the patient is already on substitution" fits a card that reads the patient
# as not on it (a start, an IgG to measure, a new order). A card that reads the patient as on substitution (a stop, a
# stop review, a draft continuing it: `catalogue.reads_on_substitution`) already says so; there the note asks whether
# the record it could not use changes the course the card reads. Every such note, in both languages, one and several.
START_SIDE_ADVICE = Text("check whether the patient is already on substitution",
                         "tjek, om patienten allerede får substitution")
ON_SUBSTITUTION_ADVICE = Text("check whether that changes the course of substitution read here",
                              "tjek, om det ændrer det substitutionsforløb, der er læst her")


def _on_substitution(text: Text) -> Text:
    assert START_SIDE_ADVICE.en in text.en and START_SIDE_ADVICE.da in text.da, text
    return Text(text.en.replace(START_SIDE_ADVICE.en, ON_SUBSTITUTION_ADVICE.en),
                text.da.replace(START_SIDE_ADVICE.da, ON_SUBSTITUTION_ADVICE.da))


ON_SUBSTITUTION_TEXT: dict[str, tuple[Text, Text]] = {
    kind: (_on_substitution(one), _on_substitution(several)) for kind, (one, several) in NOTE_TEXT.items()
    if START_SIDE_ADVICE.en in one.en or START_SIDE_ADVICE.en in several.en}
# A note's EHR text is cut to 40 characters on a card; a code with its system needs more to say which system it is,
# and a culture's name with the text that could not be read more to say which culture and what it says.
DISPLAY_LIMIT = {"code-system-unknown": 84, "code-wrong-system": 84, "ig-wrong-system": 84, "culture-text-unread": 80,
                 "culture-result-names-earlier": 80}
_RANK = {kind: i for i, kind in enumerate(ORDER)}
# What a resource is, in words, by its type ({what} above); the reference itself is on the page.
WHAT: dict[str, Text] = {
    "Observation": Text("a lab result", "et laboratoriesvar"),
    "MedicationRequest": Text("an order", "en ordination"),
    "MedicationAdministration": Text("a recorded dose", "en registreret dosis"),
    "MedicationStatement": Text("a medication record", "en medicinregistrering"),
    "DiagnosticReport": Text("a lab report", "en laboratorierapport"),
    "Encounter": Text("a contact", "en kontakt"),
    "Medication": Text("a medication", "et lægemiddel"),
    "Condition": Text("a diagnosis", "en diagnose"),
    "Procedure": Text("a procedure", "en procedure"),
    "ServiceRequest": Text("a lab order", "en laboratorierekvisition"),
    "Patient": Text("a patient record", "en patientregistrering"),
}
SOME_RESOURCE = Text("a record", "en registrering")
# FHIR statuses of an order, dose or procedure, as a note naming a copy sent with another status says them
STATUS_WORDS: dict[str, Text] = {
    "active": Text("active", "aktiv"), "on-hold": Text("on hold", "i bero"), "stopped": Text("stopped", "seponeret"),
    "completed": Text("completed", "afsluttet"), "cancelled": Text("cancelled", "annulleret"),
    "draft": Text("draft", "udkast"), "unknown": Text("status unknown", "status ukendt"),
    "in-progress": Text("in progress", "i gang"), "not-done": Text("not done", "ikke udført"),
    "preparation": Text("in preparation", "under forberedelse"), "intended": Text("intended", "planlagt"),
    "not-taken": Text("not taken", "ikke taget"),
}
AND = Text("and", "og")
LIGHT_CHAIN = Text("light-chain", "letkæde")
OWN_FIGURE = re.compile(r"(?<= )[<>=]*\d+(?:\\?\.\d+)? g/L$")  # "15.0 g/L" as the rules write a figure (escaped "15\.0")
AND_MORE = Text("{n} more", "{n} mere")
HEADING = Text("Data not used", "Data ikke brugt")
MORE = Text("+{n} more on the explanation page", "+{n} mere på begrundelsessiden")
# Every note only counted (a card short of room): "+2 more" would follow nothing.
ONLY_COUNTED = (Text("{n} data note on the explanation page", "{n} datanote på begrundelsessiden"),
                Text("{n} data notes on the explanation page", "{n} datanoter på begrundelsessiden"))
ONLY_COUNTED_UNLINKED = (Text("{n} data note not shown here", "{n} datanote ikke vist her"),
                         Text("{n} data notes not shown here", "{n} datanoter ikke vist her"))


@dataclass(frozen=True)
class NotesLine:
    """A card's line of data notes in its parts: the notes it names (their sentences, the first capitalised) and how
    many more it only counts. Kept apart until the line is written (`text`), so that a card that also counts caveats it
    cut says the two counts in one pointer ("+1 more data note and 3 notes on the explanation page") from the numbers
    themselves."""

    named: str
    counted: int
    lang: str
    linked: bool

    def __bool__(self) -> bool:
        return bool(self.named or self.counted)

    @property
    def text(self) -> str:
        """The line as a card shows it: the notes named, the rest counted (pointing to the explanation page when the
        card links to one); "" where there is no note."""
        if not self.named and not self.counted:
            return ""
        if not self.named:
            return _sentence((ONLY_COUNTED if self.linked else ONLY_COUNTED_UNLINKED)[self.counted > 1](self.lang)
                             .format(n=self.counted)) + "."
        if not self.counted:
            return f"{self.named}."
        more = MORE if self.linked else MORE_DATA_NOTES[self.counted > 1]  # without a link: no page to point to
        return f"{self.named}; {more(self.lang).format(n=self.counted)}."


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def brief(notes: Iterable[DataNote], lang: str, max_groups: int = 2, linked: bool = True,
          display_limit: int | None = None, on_substitution: bool = False) -> str:
    """One line for a card (`notes_line`, written)."""
    return notes_line(notes, lang, max_groups, linked, display_limit, on_substitution).text


def notes_line(notes: Iterable[DataNote], lang: str, max_groups: int = 2, linked: bool = True,
               display_limit: int | None = None, on_substitution: bool = False) -> NotesLine:
    """A card's line of notes: the notes grouped by kind, at most `max_groups` kinds spelled out
    (the rest counted, pointing to the explanation page when the card links to one); `display_limit`: the EHR text
    each quotes cut shorter still (a card short of room names a note briefly rather than only counting it);
    `on_substitution`: the card reads the patient as on substitution (`ON_SUBSTITUTION_TEXT`)."""
    groups: dict[str, list[DataNote]] = defaultdict(list)
    for note in notes:
        if note.kind in NOTE_TEXT:
            groups[note.kind].append(note)
    kinds = sorted(groups, key=rank)
    parts = []
    for kind in kinds[:max_groups]:
        found = groups[kind]
        if len(found) == 1:
            note = found[0]
            shown = min(DISPLAY_LIMIT.get(kind, 40), display_limit or DISPLAY_LIMIT.get(kind, 40))
            parts.append(one_line(note.kind, lang, note.source, shown_display(note, shown),
                                  note_day(note) or "?", note.threshold, on_substitution, note.record_words))
        else:
            named_once = list({n.display: n for n in reversed(found)}.values())[::-1] if kind in NAMED_ONCE else found
            parts.append(texts(kind, on_substitution)[1](lang).format(n=len(found), names=names(named_once, lang,
                                                                                     display_limit=display_limit)))
    return NotesLine(_sentence("; ".join(parts)), sum(len(groups[k]) for k in kinds[max_groups:]), lang, linked)


# An M-protein of another type than IgG sent as words: its type, then the words as the rules quoted them
# ("IgA “M-komponent: påvist, ikke kvantificerbar”")
_TYPED_QUOTE = re.compile(r"(\S+) “(.*)”", re.DOTALL)


def shown_display(note: DataNote, limit: int) -> str:
    """A note's EHR text escaped and cut to `limit` characters; an M-protein's words after its type are cut to `limit`
    themselves, as a card quotes an M-protein's words (`values.M_PROTEIN_TEXT`), never their closing quote: the type
    and the quote mark took the room of the words, and "IgA “M-komponent: påvist, ikke… (2026-02-10)" hid what was
    not, with no sign of where the laboratory's words end."""
    typed = _TYPED_QUOTE.fullmatch(note.display) if note.kind == "m-protein-not-igg" else None
    if typed is None:
        return escape(note.display, limit)
    return f"{escape(typed[1], 20)} {named(RecordText(typed[2]), limit, escape)}"  # the laboratory's words, re-quoted


def names(notes: list[DataNote], lang: str, shown: int = 1, display_limit: int | None = None) -> str:
    """The first few notes' displays, escaped, and how many more: several codes not recognised are
    each worth naming (one may be the Ig order the patient is on), not only counting."""
    quoted = [named(as_written(n.display, n.record_words),
                    min(DISPLAY_LIMIT.get(n.kind, 40), display_limit or DISPLAY_LIMIT.get(n.kind, 40)), escape)
              if n.display else what(n.source, lang) for n in notes[:shown]]
    rest = len(notes) - len(quoted)
    if rest:
        quoted.append(AND_MORE(lang).format(n=rest))
    return ", ".join(quoted[:-1]) + f" {AND(lang)} " + quoted[-1] if len(quoted) > 1 else quoted[0]


def rank(kind: str) -> int:
    """Where a note of this kind goes in a list: what could change the decision first (`NOTE_TEXT`'s
    order), kinds a card does not spell out last. Every list of notes (card, page, replay) uses it."""
    return _RANK.get(kind, len(ORDER))


def texts(kind: str, on_substitution: bool = False) -> tuple[Text, Text]:
    """A kind's wording (one note, several), as it fits a card reading the patient as on substitution or not."""
    return ON_SUBSTITUTION_TEXT.get(kind, NOTE_TEXT[kind]) if on_substitution else NOTE_TEXT[kind]


def wording(kind: str, on_substitution: bool = False) -> Text:
    """One note of a kind in words: a card's (`texts`), else the page's (`PAGE_NOTE_TEXT`); a kind stored before it
    was worded, or since retired, by its code."""
    if kind in NOTE_TEXT:
        return texts(kind, on_substitution)[0]
    return PAGE_NOTE_TEXT.get(kind, Text(kind, kind))


def as_written(display: str, record_words: bool) -> str:
    """A note's display as `values.named` takes it: the record's words (`DataNote.record_words`, which survives a
    note's JSON) a `RecordText` again, quoted there; the service's own naming (an INN, a code) plain."""
    return RecordText(display) if record_words else display


def one_line(kind: str, lang: str, source: str, display: str, day: str, threshold: float | None = None,
             on_substitution: bool = False, record_words: bool = False, count: int = 1, first: str = "") -> str:
    """One note of a kind in `lang` (the caller escapes `display` for its medium; `source`, the
    noted resource's reference, is only named by its type, in our words). `record_words`: the display is the
    record's own words, quoted by `values.named` as a card quotes them; no template quotes it itself. `count`, `first`:
    the note stands for that many results since that date (`DataNote.count`), worded by `PAGE_SEVERAL_TEXT`."""
    if kind.startswith("igg-") and lang == "da" and not record_words:  # the record's words stay as written ("ca. 3.5")
        display = display.replace(".", ",").replace("\\,", ",")  # our own numbers: the Danish decimal comma
    elif kind == "m-protein-not-igg":  # the type in words; a figure of our own ("IgA 15.0 g/L") with the decimal comma
        display = display.replace("light-chain", LIGHT_CHAIN(lang))
        if lang == "da" and OWN_FIGURE.search(display):
            display = OWN_FIGURE.sub(lambda m: m.group(0).replace(".", ",").replace("\\,", ","), display)
    known = day not in ("", "?")
    several = count > 1 and kind in PAGE_SEVERAL_TEXT
    template = (PAGE_SEVERAL_TEXT[kind] if several else wording(kind, on_substitution))(lang)
    if known and _NO_DAY.fullmatch(day):  # a month or a year as written ("2025-11"): "in 2025-11", not "on"
        template = template.replace(" on {day}", " in {day}").replace(" den {day}", " i {day}")
        template = template.replace("Den {day}", "I {day}").replace("On {day}", "In {day}")
    if not display.strip():  # a record named by no words of its own ("The CAR-T infusion on ...", not "infusion  on")
        template = template.replace(" {display}", "")
    if kind == "copy-status-differs" and display.replace("\\", "") in STATUS_WORDS:  # a FHIR status in own words
        display = STATUS_WORDS[display.replace("\\", "")](lang)  # (escaped for markdown: "on\-hold")
    when = f" ({first} – {day})" if several and known and first not in ("", day) else f" ({day})" if known else ""
    return template.format(what=what(source, lang), when=when, n=count if several else 1,
                           display=named(as_written(display, record_words), len(display), _as_shown), day=day or "?",
                           threshold=g_l_threshold(threshold, lang) if threshold is not None else "?")


_NO_DAY = re.compile(r"[0-9]{4}(-[0-9]{2})?")


def _as_shown(value: object, limit: int) -> str:
    """A display the caller has already escaped and cut for its medium, as it is."""
    return str(value)


def note_day(note: DataNote) -> str:
    """The date a note names, as the record gives it: its day, or its month or year as written ("2025-11") when it
    names no day (never the first day it was read as); "" when it has none."""
    return note.written or (note.day.isoformat() if note.day else "")


def what(source: str, lang: str) -> str:
    """The noted resource in words ("a lab result"), from the type in its reference."""
    return WHAT.get(source.split("/", 1)[0].split(" ", 1)[0], SOME_RESOURCE)(lang)


def describe(note: DataNote, lang: str = "en") -> str:
    """A note in full, for the replay output (plain text): the record, the note in `lang`'s words, and the
    service's technical detail (English), labelled as such."""
    day = note_day(note)
    words = one_line(note.kind, lang, note.source, note.display, day or "?", note.threshold,
                     record_words=note.record_words, count=note.count, first=note.first)
    when = f" ({day})" if day and day not in words else ""  # the record's date, once
    return f"{note.source}{when}: {_sentence(words)}. {TECHNICAL(lang)}: {note.message or note.kind}"
