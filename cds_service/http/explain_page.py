"""The explanation page of one card: a self-contained HTML document from its stored snapshot.

What a clinician needs to check the advice independently, in the card's language, in this
order: the card (summary, and its markdown detail rendered with raw HTML, links and images
off), the decision, the guideline text it rests on (this project's paraphrase, with the
rule set's parameters), every fact with its date and FHIR source, the patient's timeline
redrawn from the stored facts by the same renderer as `cds-service timeline --html`, every
data note, every rule definition evaluated (name, the library's comment, value,
references), and the rule set with its parameters.

Self-contained on purpose: inline CSS, inline SVG, no script, nothing fetched at view time,
so it works inside an EHR's embedded browser under the strict Content-Security-Policy the
route sends. All text from the snapshot is HTML-escaped. Rendered per request (the
snapshot holds data, not HTML), so a fix to the page applies to every stored snapshot.
"""

from __future__ import annotations

import html
import logging
from datetime import date, datetime
from typing import Any, Mapping
from zoneinfo import ZoneInfo

import orjson

from cql_like_rules import Parameters, RuleSet
from cql_like_rules.catalogue import (FAILING_NAMED, GENERAL_STOP_REASONS, GUIDELINE_SECTIONS, Text, definition_words,
                                      reads_on_substitution, situation)
from cql_like_rules.facts import RecordText, facts_from_json
from cql_like_rules.ruleset import RULESETS
from cql_like_rules.valuesets import Terminology

from ..cards.language import WHY_LINK
from ..cards.notes import TECHNICAL, one_line, rank
from ..cards.values import KIND, LOOKS_LIKE, M_PROTEIN_UNREAD, culture_named, days, g_l, months, named, threshold, years
from ..errors import InputError
from ..killswitch import KillSwitch
from ..records.snapshot import DOSE_COURSES, Snapshot
from ..settings import Settings

log = logging.getLogger("cds_service.http.explain")

LONG_VALUE = 160  # characters: longer definition values are folded away (<details>, no script needed)

W = {
    "title": WHY_LINK,
    "lead": Text("The basis of this advice, as the service evaluated it when the card was shown.",
                 "Grundlaget for rådet, som tjenesten vurderede det, da kortet blev vist."),
    "evaluated": Text("Evaluated as of {day}", "Vurderet pr. {day}"),
    "kept": Text("kept until {day}", "gemmes til {day}"),
    "card": Text("The card", "Kortet"),
    "decision": Text("Decision", "Beslutning"),
    "advice": Text("Advice", "Råd"), "code": Text("Advice code", "Rådkode"),
    "variant": Text("Situation", "Situation"), "indicator": Text("Indicator", "Indikator"),
    "rule": Text("Rule", "Regel"), "section": Text("Guideline section", "Afsnit i vejledningen"),
    "values": Text("Values behind the card", "Værdier bag kortet"),
    "facts": Text("Facts ({n})", "Fakta ({n})"),
    "facts-lead": Text("Every fact the rules were given, from the EHR's data (identifiers are not stored).",
                       "Alle fakta, reglerne fik, fra EPJ'ens data (identifikatorer gemmes ikke)."),
    "kind": Text("Kind", "Type"), "date": Text("Date", "Dato"), "details": Text("Details", "Detaljer"),
    "source": Text("Source", "Kilde"),
    "reasoning": Text("Reasoning ({n} definitions)", "Ræsonnement ({n} definitioner)"),
    "reasoning-lead": Text("Every rule definition evaluated for this advice, in order: its value and the FHIR "
                           "resources behind it. Names and comments are the rule library's own.",
                           "Alle regeldefinitioner, der blev evalueret for dette råd, i rækkefølge: værdi og de "
                           "FHIR-ressourcer, den bygger på; under hvert navn definitionens eget (engelsk) navn."),
    "definition": Text("Definition", "Definition"), "value": Text("Value", "Værdi"),
    "references": Text("References", "Referencer"),
    "notes": Text("Data not used ({n})", "Data ikke brugt ({n})"),
    "notes-none": Text("Nothing was set aside as unreadable, unrecognised or another patient's.",
                       "Intet blev sorteret fra som ulæseligt, ukendt eller en anden patients."),
    "what": Text("What", "Hvad"), "technical": TECHNICAL,
    "guideline": Text("Guideline", "Vejledning"),
    "guideline-lead": Text("This project's own summary of the guideline section the advice rests on, with this rule "
                           "set's parameters; the guideline itself is authoritative: {guideline}.",
                           "Projektets egen sammenfatning af det afsnit i vejledningen, rådet bygger på, med dette "
                           "regelsæts parametre; vejledningen selv er gældende: {guideline}."),
    "other-sections": Text("Other sections", "Andre afsnit"),
    "ruleset": Text("Rule set", "Regelsæt"), "parameter": Text("Parameter", "Parameter"),
    "timeline": Text("Timeline", "Tidslinje"),
    "timeline-lead": Text("The patient's advice over time, redrawn from the stored facts with this rule set.",
                          "Patientens råd over tid, tegnet igen ud fra de gemte fakta med dette regelsæt."),
    "no-timeline": Text("No timeline: {why}", "Ingen tidslinje: {why}"),
    "unknown-ruleset": Text("the rule set {label} is no longer installed", "regelsættet {label} er ikke længere installeret"),
    "no-dates": Text("the facts carry no dates", "fakta har ingen datoer"),
    "failed": Text("it could not be drawn", "den kunne ikke tegnes"),
    "yes": Text("yes", "ja"), "no": Text("no", "nej"),
    "counted": Text("counted as a verified bacterial infection", "talt som verificeret bakteriel infektion"),
    "counted-severe": Text("counted as a severe verified bacterial infection",
                           "talt som svær verificeret bakteriel infektion"),
    "verified-by": Text("verified by the positive culture {source} of {day}",
                        "verificeret af den positive dyrkning {source} fra {day}"),
    "footer": Text("Snapshot of card {uuid}, made {created}. The page holds no link and loads nothing.",
                   "Øjebliksbillede af kort {uuid}, lavet {created}. Siden har ingen links og henter intet."),
}
FACT_KINDS = {
    "patient": Text("Patient", "Patient"), "igg": Text("IgG result", "IgG-svar"),
    "m_protein": Text("M-protein", "M-komponent"), "immunofixation": Text("Immunofixation", "Immunfiksation"),
    "car_t": Text("CAR-T infusion", "CAR-T-infusion"), "bsab": Text("Bispecific antibody", "Bispecifikt antistof"),
    "ig_courses": Text("Immunoglobulin order", "Immunglobulinordination"),
    "ig_administrations": Text("Immunoglobulin dose", "Immunglobulindosis"),
    # read for its IgG washout only: no substitution course (ITP, GBS ...)
    "ig_other_use": Text("Immunoglobulin given for another reason (immunomodulation, not substitution)",
                         "Immunglobulin givet af anden årsag (immunmodulation, ikke substitution)"),
    "infections": Text("Infection", "Infektion"), "cultures": Text("Culture", "Dyrkning"),
    "diagnoses": Text("Diagnosis", "Diagnose"),
    "igg_orders_drafted": Text("IgG lab order drafted (this session)", "IgG-rekvisition i udkast (denne session)"),
    "igg_pending": Text("IgG registered by the laboratory, no result yet", "IgG registreret af laboratoriet, endnu uden svar"),
    "igg_subclasses": Text("IgG subclass (not total IgG: not used)", "IgG-subklasse (ikke total-IgG: ikke brugt)"),
    "m_protein_unread": Text("M-protein result not used (not final, its amount unreadable, or its code not known)",
                             "M-komponent-svar ikke brugt (ikke endeligt, mængden ulæselig eller koden ukendt)"),
    "therapies_drafted": Text("bsAb / CAR-T order drafted (this session)",
                              "Ordination af bsAb / CAR-T i udkast (denne session)"),
    "unrecognised_therapies": Text("Therapy not recognised by its code (named like one, its code under another system, "
                                   "or its codes disagree)",
                                   "Behandling ikke genkendt på sin kode (hedder som en, koden under et andet system, "
                                   "eller koderne modsiger hinanden)"),
    "unrecognised_diagnoses": Text("Diagnosis not recognised by its code (named like a malignancy, or with no name)",
                                   "Diagnose ikke genkendt på sin kode (hedder som en kræftsygdom, eller uden navn)"),
    "infections_by_name": Text("Infection not recognised by its code (named like a bacterial infection)",
                               "Infektion ikke genkendt på sin kode (hedder som en bakteriel infektion)"),
    "undated_therapies": Text("Therapy whose date names no day, or with no date (window not placed)",
                              "Behandling, hvis dato ikke angiver en dag, eller uden dato (periode ikke placeret)"),
}
DATE_FIELDS = ("date", "start", "onset", "recorded", "birth_date")
FIELDS = {
    "value_g_l": Text("value", "værdi"), "comparator": Text("comparator", "komparator"),
    "reported": Text("as reported", "som svaret"), "isotype": Text("isotype", "isotype"),
    "m_protein_text": Text("as reported", "som svaret"),
    "product": Text("product", "produkt"), "asserted": Text("recorded", "registreret"), "written": Text("written", "skrevet"), "drug": Text("drug", "lægemiddel"), "end": Text("end", "slut"),
    "ongoing": Text("ongoing", "igangværende"), "administered": Text("administered", "givet"),
    "status": Text("status", "status"), "authored": Text("ordered", "ordineret"),
    "active": Text("order active", "ordination aktiv"), "severe": Text("severe", "svær"),
    "code": Text("code", "kode"), "display": Text("text", "tekst"), "organism": Text("organism", "organisme"),
    "positive": Text("positive", "positiv"), "bacterial": Text("bacterial", "bakteriel"),
    "specimen": Text("specimen", "prøvemateriale"), "sets": Text("separate sets", "separate sæt"),
    "never_counted": Text("grew only bacteria whose infections are never counted (mycobacteria)",
                          "voksede kun bakterier, hvis infektioner aldrig tælles (mykobakterier)"),
    "myeloma": Text("myeloma", "myelomatose"),
    "pneumonia": Text("pneumonia", "pneumoni"), "encounter": Text("stay recorded in", "registreret under ophold"),
    "agent": Text("its organism coded in", "mikroorganisme kodet i"),
    "bacterial_not_counted": Text("bacterial, of a kind not counted", "bakteriel, af en art, der ikke medregnes"),
    "name": Text("what the card calls it", "hvad kortet kalder den"),
    "conditions": Text("diagnoses linked", "tilknyttede diagnoser"),
    "infection_codes": Text("infection codes of the stay", "opholdets infektionskoder"),
    "infection_pneumonia": Text("a pneumonia among them", "heraf pneumoni"),
    "infection_text": Text("infection as written", "infektion som skrevet"),
    "names_reason": Text("names its reason", "angiver sin årsag"),
    "dose": Text("dose", "dosis"), "course": Text("course", "forløb"),
    "birth_date": Text("born", "født"), "birth_date_first": Text("born at the earliest", "født tidligst"),
    "deceased": Text("deceased", "død"),
    "deceased_date": Text("date of death", "dødsdato"), "recorded": Text("recorded", "registreret"),
    "looks_like": Text("looks like", "ligner"), "code_system": Text("code system", "kodesystem"),
    "code_unread": Text("code not read", "kode ikke læst"),
    "doses_linked": Text("doses linked to it", "doser knyttet til den"),
    "reason_given": Text("reason recorded (not another indication)", "årsag registreret (ikke en anden indikation)"),
    "held_under": Text("its code in", "koden hører til"),  # a code sent under the wrong known system: whose it is
    # a therapy code beside one its value set excludes (a CAR-T infusion and the harvest): the set, not read as in it
    "disagree": Text("codes disagree in", "koderne modsiger hinanden i"),
    # a code naming a class of drugs, not one (SKS BOHJ19K): its card asks which drug
    "class_code": Text("coded as a class of drugs, not one drug", "kodet som en lægemiddelklasse, ikke ét lægemiddel"),
    "why": Text("why not used", "hvorfor ikke brugt"),
    "abated": Text("resolved", "ophørt"), "site": Text("site", "lokalisation"),
    "severity_text": Text("severity (text)", "sværhedsgrad (tekst)"),
    "earliest": Text("earliest day", "tidligste dag"),
    "latest": Text("latest day", "seneste dag"),
    "taken": Text("taken (local time)", "taget (lokal tid)"),
    "end_assumed": Text("end assumed (its date names no day)", "slut antaget (datoen angiver ingen dag)"),
    "start_unrecorded": Text("start not recorded (read from the day the record was made)",
                             "start ikke registreret (læst fra dagen, registreringen blev lavet)"),
    "intended": Text("planned only, not recorded as given", "kun planlagt, ikke registreret som givet"),
    "unreadable": Text("date not readable as a day", "dato kan ikke læses som en dag"),
    # a diagnosis with no name whose code was not read: "unknown-system", "not-listed" (a SNOMED CT code no value set
    # holds), or the system its code belongs to
    "unread": Text("code not read (system unknown, a SNOMED CT code not in the lists, or the system its code belongs to)",
                   "kode ikke læst (ukendt system, en SNOMED CT-kode uden for listerne, eller systemet koden hører til)"),
    "kind": Text("kind", "type"),
    "ordered": Text("ordered only, no infusion recorded", "kun ordineret, ingen infusion registreret"),
    "not_given": Text("stopped, read as not given; reason", "afbrudt, læst som ikke givet; årsag"),
    "not_known_given": Text("not recorded as given; status", "ikke registreret som givet; status"),
    "component": Text("read from", "læst fra"), "panel": Text("panel", "panel"),
}
# A result read from one component of a panel Observation (IgG, IgA, IgM in one resource): the source is the panel's.
COMPONENT_OF = Text("{component} (component of '{panel}')", "{component} (komponent i '{panel}')")
# An IgG result's place among its day's results (`IgGResult.taken`, an ordering key) in words: when the sample was
# taken and the result issued, in the site's time zone as the laboratory's own report shows them (the fact keeps UTC),
# whether it is a revision, and where one sent with its day only is read. A Danish laboratory result is "besvaret"
# (answered), not "udstedt" (a word for passports and invoices).
TAKEN_WORDS = {
    "day": Text("day only", "kun dagen"), "issued": Text("issued {at}", "besvaret {at}"),
    "revised": Text("amended or corrected", "ændret eller rettet"),
    "no-issue": Text("issue time not given", "svartidspunkt ikke angivet"),
    "at-issue": Text("read as at its issue time", "læst som på svartidspunktet"),
    "day-last": Text("read as the day's last result", "læst som dagens sidste svar"),
}
# A series of doses (immunoglobulin given, a bispecific antibody given) reads as its course on one row: the drug, how
# many doses, first and last day, the gap that ends it; the single doses folded beneath it. The courses are the ones
# the rules made (stored beside the facts: `DOSE_COURSES`); the trace and the facts themselves do not change. The
# field naming the drug, and the parameter that ends a course.
SERIES = {"ig_administrations": ("product", "ig_administration_course_days"),
          "bsab": ("drug", "bsab_course_gap_days")}
SERIES_DRUG = {"ig_administrations": Text("Immunoglobulin", "Immunglobulin"),
               "bsab": Text("Bispecific antibody", "Bispecifikt antistof")}
COURSE_KINDS = {"ig_administrations": Text("Immunoglobulin course (doses given)", "Immunglobulinforløb (givne doser)"),
                "bsab": Text("Bispecific antibody course (doses given)", "Forløb med bispecifikt antistof (givne doser)")}
COURSE = Text("{drug}, {n} doses {first} → {last}", "{drug}, {n} doser {first} → {last}")
COURSE_DOSES = Text("the doses", "doserne")
COURSE_GAP = {"ig_administrations": Text("More than {days} days without a dose begins a new course.",
                                         "Mere end {days} dage uden dosis begynder et nyt forløb."),
              "bsab": Text("More than {days} days without a dose or a running order of it begins a new course, "
                           "whose start can be a new T0.", "Mere end {days} dage uden dosis eller løbende ordination "
                           "af det begynder et nyt forløb, hvis start kan blive et nyt T0.")}
COURSE_ORDERS = Text("The course also holds {n} order(s), on rows of their own.",
                     "Forløbet rummer også {n} ordination(er), på egne rækker.")
# What the decision made of an IgG or M-protein row, from the values the card was written from: which result it rests
# on, which M-protein it subtracted, which IgG it set aside (taken during substitution), and a result taken before T0
# inside the window (§4.1: only results since T0 describe the patient after CAR-T/bsAb).
ROLE = {
    "used": Text("the IgG this advice rests on", "det IgG-svar, rådet bygger på"),
    "subtracted": Text("subtracted from the total IgG (IgG-type M-protein): the advice rests on polyclonal IgG",
                       "trukket fra total-IgG (M-komponent af IgG-type): rådet bygger på polyklonal IgG"),
    "ignored": Text("not used: taken during immunoglobulin substitution (§3.4)",
                    "ikke brugt: taget under immunglobulinsubstitution (§3.4)"),
    "before-t0": Text("not used: taken before T0 {t0}; inside the window only results since T0 count (§4.1)",
                      "ikke brugt: taget før T0 {t0}; i højrisikoperioden tæller kun svar fra T0 (§4.1)"),
}
# A fact dated after the day the advice was evaluated on (a chart exported later, read as of a past day): the rules
# read nothing from after that day (clinical rules §5, "as of" a date), so the page says it was not used.
AFTER_DAY = Text("not used: dated after the evaluation day {day}", "ikke brugt: dateret efter vurderingsdagen {day}")
# Fact kinds never dated as records of the chart: the patient, and a session's drafts (planned, read that day)
UNDATED_KINDS = frozenset({"patient", "igg_orders_drafted", "therapies_drafted"})
RECORD_DAY_FIELDS = ("date", "start", "onset", "recorded", "authored")
# An immunoglobulin order's start is when it is planned to run, not when it was made: one planned ahead is read (a
# switch, a booked course: `Planned IG Courses`), so only when it was written or recorded can place it after the day
PLANNED_KINDS = {"ig_courses": ("recorded", "authored")}
COUNTED = "Bacterial Infections"  # the rule definition whose value names each counted infection and its culture
# A fact kind or field named for the resource it was read from: a medication record is no order, and its date is
# when it was recorded (dateAsserted), not when anything was ordered.
KIND_BY_SOURCE: dict[tuple[str, str], Text] = {
    ("ig_courses", "MedicationStatement"): Text("Immunoglobulin medication record", "Immunglobulin-medicinregistrering"),
}
# An M-protein result whose amount could not be read but whose code names its type: kept as the myeloma's type
# (an immunofixation fact), shown as what it is, not as an immunofixation.
M_PROTEIN_TYPE_ONLY = Text("M-protein (type only, amount not read)", "M-komponent (kun typen, mængden ikke læst)")
FIELD_BY_SOURCE: dict[tuple[str, str, str], Text] = {
    ("ig_courses", "MedicationStatement", "authored"): Text("recorded", "registreret"),
}
# The service's own values of a fact field (not EHR text), in words per language.
_SITES = {"blood": Text("blood", "blod"), "respiratory": Text("airways", "luftveje"),
          "csf": Text("cerebrospinal fluid", "spinalvæske"), "urine": Text("urine", "urin"),
          "swab": Text("swab (throat, nose, faeces)", "podning (svælg, næse, fæces)"), "other": Text("other", "andet")}
FIELD_VALUES: dict[tuple[str, str], dict[str, Text]] = {
    ("ig_courses", "status"): {"active": Text("active", "aktiv"), "on-hold": Text("on hold", "i bero"),
                               "stopped": Text("stopped", "seponeret"), "completed": Text("completed", "afsluttet")},
    ("infections", "organism"): {"bacterial": Text("bacterial", "bakteriel"),
                                 "unspecified": Text("not specified", "ikke angivet"),
                                 "other": Text("not bacterial", "ikke bakteriel")},
    ("infections", "site"): _SITES,
    ("immunofixation", "isotype"): {"none": Text("no M-protein found", "ingen M-komponent påvist"),
                                    "light-chain": Text("light chain only", "kun let kæde")},
    ("m_protein", "isotype"): {"light-chain": Text("light chain only", "kun let kæde")},
    ("m_protein_unread", "why"): M_PROTEIN_UNREAD,
    ("m_protein_unread", "isotype"): {"light-chain": Text("light chain only", "kun let kæde")},
    ("cultures", "specimen"): _SITES,
    ("therapies_drafted", "kind"): {"bsab": Text("bispecific antibody", "bispecifikt antistof"),
                                    "car-t-product": Text("CAR-T product", "CAR-T-produkt")},
}
# The service's own values of an advice value (codes, not EHR text), in words per language; the code stays below
# them, as a value's technical name does beside its label. The general stop reason is worded as the card words it.
_THERAPY_KINDS = {"car-t": Text("CAR-T infusion", "CAR-T-infusion"),
                  "bsab": Text("bispecific antibody", "bispecifikt antistof"),
                  "car-t-product": Text("CAR-T product", "CAR-T-produkt")}
# a culture that verified an infection (`infection_cultures`), as the card names it, without its verdict
CULTURE = Text("{specimen} culture {date}", "{specimen}dyrkning {date}")
CULTURE_SETS = Text("{specimen} culture {date} ({sets} sets)", "{specimen}dyrkning {date} ({sets} sæt)")
VALUE_WORDS: dict[str, dict[str, Text]] = {
    "t0_kind": _THERAPY_KINDS,
    "order_kind": {**_THERAPY_KINDS, "ig": Text("immunoglobulin", "immunglobulin"),
                   "unrecognised": Text("not recognised by its code", "ikke genkendt på sin kode")},
    "order_looks_like": LOOKS_LIKE,
    "m_protein_unread_why": M_PROTEIN_UNREAD,
}
# The values behind a card and the rule set's parameters, named in the page's language; the technical name (the key
# in the trace, the docs and the policy file) stays beside it for an auditor.
VALUE_LABELS: dict[str, Text] = {
    # the record a start card's caveat names as immunoglobulin the patient may already be on (`ig-maybe-on`)
    "ig_maybe_on": Text("Ig record the patient may be on", "Ig-registrering, patienten måske får"),
    "ig_maybe_on_check": Text("what to check about it", "hvad der skal tjekkes"),
    "ig_maybe_on_day": Text("its date", "dens dato"),
    "ig_maybe_on_kind": Text("why it was not read", "hvorfor den ikke er læst"),
    "ig_maybe_on_more": Text("more such records", "flere sådanne registreringer"),
    "ig_maybe_on_source": Text("its record", "dens registrering"),
    "ig_maybe_on_type": Text("its kind of record", "dens registreringstype"),
    "ig_maybe_on_words": Text("named in the record's own words", "navngivet med registreringens egne ord"),
    "t0": Text("T0 (index date)", "T0 (indeksdato)"), "t0_kind": Text("kind of index event", "type af indekshændelse"),
    "t0_product": Text("product at T0", "produkt ved T0"), "t0_source": Text("record of T0", "registrering af T0"),
    "t0_pause_days": Text("days substitution paused before T0", "dage substitution var pauseret før T0"),
    "stop_date": Text("stop date (T0 + window)", "seponeringsdato (T0 + periode)"),
    "days_to_stop": Text("days to the stop date", "dage til seponeringsdatoen"),
    "today": Text("evaluation day", "vurderingsdag"), "in_window": Text("inside the high-risk window", "i højrisikoperioden"),
    "stale_days": Text("IgG counts as recent for", "IgG regnes som nyt i"),
    "igg": Text("IgG decided on", "IgG, som afgørelsen bygger på"), "igg_comparator": Text("its comparator", "dets komparator"),
    "igg_date": Text("IgG date", "IgG-dato"), "igg_source": Text("IgG record", "IgG-registrering"),
    "igg_reported": Text("IgG as reported", "IgG som svaret"), "igg_total": Text("total IgG", "total-IgG"),
    "igg_total_comparator": Text("total IgG comparator", "total-IgG's komparator"),
    "igg_age_days": Text("age of the IgG", "IgG-svarets alder"), "igg_stale": Text("IgG too old", "IgG for gammelt"),
    "m_protein": Text("IgG M-protein subtracted", "IgG-M-komponent trukket fra"),
    "m_protein_comparator": Text("M-protein comparator", "M-komponentens komparator"),
    "m_protein_date": Text("M-protein date", "M-komponentens dato"),
    "m_protein_source": Text("M-protein record", "M-komponentens registrering"),
    "m_protein_reported": Text("M-protein as reported", "M-komponent som svaret"),
    "infection_dates": Text("infections counted (onsets)", "infektioner talt med (debut)"),
    "infection_severe": Text("a severe infection counted", "en svær infektion talt med"),
    "infection_cultures": Text("cultures that verified them", "dyrkninger, der verificerede dem"),
    "infection_names": Text("what they were", "hvad de var"),
    "general_stop_from": Text("stop attempt from, if begun today", "seponeringsforsøg fra, hvis begyndt i dag"),
    "general_stop_to": Text("stop attempt by, if begun today", "seponeringsforsøg senest, hvis begyndt i dag"),
    "infection_episodes": Text("infection episodes", "infektionsepisoder"),
    "infection_episode_names": Text("what the episodes were", "hvad episoderne var"),
    "infection_severe_episodes": Text("severe infection episodes", "svære infektionsepisoder"),
    "infections_seen": Text("infections seen (onsets)", "infektioner set (debut)"),
    "infections_seen_episodes": Text("episodes of the infections seen", "episoder af de sete infektioner"),
    "order_source": Text("order judged", "vurderet ordination"), "order_drug": Text("drug of the order", "ordinationens lægemiddel"),
    "order_kind": Text("kind of order", "ordinationstype"), "order_start": Text("planned start", "planlagt start"),
    "order_end": Text("order end", "ordinationens slut"),
    "ordered_until": Text("ordered until", "ordineret til"),
    "order_written_start": Text("start written on the order (passed)", "skrevet start (passeret)"),
    "ignored_igg_in_washout": Text("IgG set aside taken in the washout, after Ig ended",
                                   "tilsidesat IgG taget i udvaskningen, efter endt Ig"),
    "igg_off_from": Text("an IgG counts as taken off substitution from", "en IgG tæller som taget uden substitution fra"),
    "on_hold_last_dose": Text("course on hold: its last dose", "forløb i bero: sidste dosis"),
    "ig_ended": Text("course ended: its last day", "forløb sluttet: sidste dag"),
    "ig_last_given": Text("course ended: its last dose", "forløb sluttet: sidste dosis"),
    "resume_by": Text("resumed by this day, the same course", "genoptaget senest denne dag, samme forløb"),
    "igg_in_washout": Text("IgG shown taken in the washout, after Ig ended",
                           "vist IgG taget i udvaskningen, efter Ig sluttede"),
    "order_code": Text("order code", "ordinationens kode"),
    "order_code_system": Text("order code system", "ordinationens kodesystem"),
    "order_looks_like": Text("the order looks like", "ordinationen ligner"),
    "failing": Text("criteria not met", "kriterier ikke opfyldt"),
    "restart": Text("a restart", "en genopstart"), "restart_in_window": Text("a restart inside the window", "en genopstart i perioden"),
    "restart_courses": Text("courses before the restart", "forløb før genopstarten"),
    "restart_gap_days": Text("days between the courses", "dage mellem forløbene"),
    "episode_start": Text("substitution since", "substitution siden"),
    "episode_product": Text("substitution product", "substitutionsprodukt"),
    "due_date": Text("stop attempt due", "seponeringsforsøg senest"), "reason": Text("reason", "årsag"),
    "special_stop_date": Text("special stop date of the current window", "særkriteriets seponeringsdato i den aktuelle "
                              "periode"),
    "ends_in_time": Text("the order ends in time", "ordinationen slutter i tide"),
    "days_overdue": Text("days overdue", "dage over tid"), "on_substitution": Text("on substitution", "i substitution"),
    "age": Text("age", "alder"), "therapy_recorded": Text("therapy date as recorded", "behandlingsdato som registreret"),
    "therapy_date": Text("first day the date can mean", "første dag, datoen kan betyde"),
    "therapy_latest": Text("last day the date can mean", "sidste dag, datoen kan betyde"),
    "therapy_reason": Text("reason recorded", "registreret årsag"), "therapy_status": Text("status recorded", "registreret status"),
    "therapy_date_as_recorded": Text("therapy date as recorded", "behandlingsdato som registreret"),
    "ignored_igg": Text("later IgG not used", "senere IgG ikke brugt"),
    "ignored_igg_comparator": Text("its comparator", "dets komparator"),
    "ignored_igg_date": Text("its date", "dets dato"), "ignored_igg_source": Text("its record", "dets registrering"),
    # on a card with no usable IgG: the IgG it saw and did not use (`library.igg_seen_not_used`)
    "pre_t0_igg": Text("last IgG before T0, not used", "seneste IgG før T0, ikke brugt"),
    "pre_t0_igg_comparator": Text("its comparator", "dets komparator"),
    "pre_t0_igg_date": Text("its date", "dets dato"), "pre_t0_igg_source": Text("its record", "dets registrering"),
    "igg_subclass": Text("IgG subclass seen, not used", "IgG-subklasse set, ikke brugt"),
    "igg_subclass_reported": Text("as reported", "som svaret"), "igg_subclass_code": Text("its code", "dens kode"),
    "igg_subclass_date": Text("its date", "dens dato"), "igg_subclass_source": Text("its record", "dens registrering"),
    "previous_end": Text("previous course ended", "forrige forløb sluttede"),
    "previous_last_dose": Text("last dose of the previous course", "sidste dosis i forrige forløb"),
    "last_dose": Text("last dose given", "sidste dosis givet"),
    "igg_pending_date": Text("IgG awaiting its result since", "IgG afventer svar siden"),
    "igg_pending_source": Text("IgG awaiting its result", "IgG, der afventer svar"),
    "igg_drafted_date": Text("IgG order drafted for", "IgG-rekvisition i udkast til"),
    "igg_drafted_source": Text("IgG order drafted", "IgG-rekvisition i udkast"),
    "paraprotein_threshold": Text("threshold the M-protein could cross", "grænse, M-komponenten kan krydse"),
    "untyped_m_protein": Text("M-protein of unknown type", "M-komponent af ukendt type"),
    "untyped_m_protein_date": Text("its date", "dens dato"),
    "m_protein_unread_date": Text("M-protein result not used, taken", "M-komponent-svar ikke brugt, taget"),
    "m_protein_unread_source": Text("its record", "dets registrering"),
    "m_protein_unread_why": Text("why not used", "hvorfor ikke brugt"),
    "m_protein_unread_reported": Text("as reported", "som svaret"),
    "untyped_m_protein_comparator": Text("its comparator", "dens komparator"),
    "untyped_m_protein_reported": Text("as reported", "som svaret"),
    "paused_end": Text("substitution paused before T0: its last day", "substitution pauseret før T0: sidste dag"),
    "paused_last_dose": Text("substitution paused before T0: its last dose",
                             "substitution pauseret før T0: sidste dosis"),
    "paused_days": Text("days from then to T0", "dage derfra til T0"),
    "last_m_protein": Text("last IgG M-protein, too far from the IgG to subtract",
                           "seneste IgG-M-komponent, for langt fra IgG til at trækkes fra"),
    "last_m_protein_date": Text("its date", "dens dato"),
    "last_m_protein_comparator": Text("its comparator", "dens komparator"),
    "last_m_protein_source": Text("its record", "dens registrering"),
    "last_m_protein_days_before": Text("days before the IgG", "dage før IgG"),
    "polyclonal_if_igg": Text("polyclonal IgG if it is IgG", "polyklonal IgG, hvis den er IgG"),
    "polyclonal_if_igg_comparator": Text("its comparator", "dens komparator"),
    "booked_start": Text("booked order starts", "booket ordination starter"),
    "session_therapy": Text("new bsAb course drafted in this session, or booked", "nyt bsAb-forløb i udkast i denne "
                                                                                 "session, eller planlagt"),
    "session_therapy_booked": Text("that course signed before and booked", "forløbet ordineret før og planlagt"),
    "session_therapy_start": Text("its planned start", "dens planlagte start"),
    "other_ig_drug": Text("another immunoglobulin drafted in this session", "andet immunglobulin i udkast i denne session"),
    "other_ig_start": Text("its planned start", "dens planlagte start"),
    "other_ig_more": Text("further immunoglobulin drafts overlapping", "flere overlappende immunglobulinudkast"),
    "follow_on_drug": Text("immunoglobulin drafted to follow this order", "immunglobulin i udkast i forlængelse af "
                                                                           "ordinationen"),
    "follow_on_start": Text("its planned start", "dens planlagte start"),
    "igg_from": Text("IgG usable at the order's start from", "IgG brugbar ved ordinationens start fra"),
    "ignored_igg_counts_from": Text("IgG off substitution counts from", "IgG uden substitution tæller fra"),
    "unconfirmed_infection": Text("infection not confirmed that would decide (the latest)",
                                  "ikke-bekræftet infektion, der ville afgøre det (den seneste)"),
    "unconfirmed_infection_date": Text("its onset", "dens debut"),
    "unconfirmed_infection_more": Text("further such infections", "flere sådanne infektioner"),
    "unconfirmed_infection_sources": Text("infections not confirmed that would decide",
                                          "ikke-bekræftede infektioner, der ville afgøre det"),
    "booked_therapy": Text("bsAb booked ahead, a new course", "bsAb planlagt, et nyt forløb"),
    "booked_therapy_start": Text("its planned start", "dens planlagte start"),
    "booked_therapy_review": Text("first stop review once it has begun", "første seponeringsvurdering, når den er begyndt"),
    "due_without_therapy": Text("stop weighed on, if the new therapy has not begun",
                                "seponering overvejes, hvis den nye behandling ikke er begyndt"),
    "cultured_specimen": Text("positive sterile-site culture with no diagnosis that could decide (the latest)",
                              "positiv dyrkning fra et sterilt sted uden diagnose, der kan afgøre det (den seneste)"),
    "cultured_date": Text("its date", "dens dato"),
    "cultured_more": Text("further such cultures", "flere sådanne dyrkninger"),
    "cultured_sources": Text("sterile-site cultures with no diagnosis that could decide",
                             "dyrkninger fra sterile steder uden diagnose, der kan afgøre det"),
    "uncoded_infection": Text("infection with a code not known that could decide (the latest)",
                              "infektion med ukendt kode, der kan afgøre det (den seneste)"),
    "uncoded_infection_date": Text("its date", "dens dato"),
    "uncoded_infection_more": Text("further such infections", "flere sådanne infektioner"),
    "uncoded_infection_sources": Text("infections with codes not known that could decide",
                                      "infektioner med ukendte koder, der kan afgøre det"),
    "right_code_system": Text("the code's own system", "kodens eget system"),
    "unknown_records": Text("records not recognised", "registreringer ikke genkendt"),
    "unrecognised": Text("not recognised", "ikke genkendt"),
}
PARAMETER_LABELS: dict[str, Text] = {
    "igg_start_threshold_g_l": Text("IgG start threshold", "IgG-startgrænse"),
    "igg_general_threshold_g_l": Text("IgG threshold of the general criteria", "IgG-grænse for de generelle kriterier"),
    "window_months": Text("high-risk window", "højrisikoperiode"),
    "adult_age_years": Text("adult from the age of", "voksen fra alderen"),
    "bsab_course_gap_days": Text("bsAb gap that starts a new course", "bsAb-pause, der starter et nyt forløb"),
    "car_t_same_treatment_days": Text("CAR-T records of one treatment within", "CAR-T-registreringer af én behandling inden for"),
    "malignancy_requirement": Text("haematological malignancy", "hæmatologisk malignitet"),
    "stale_days_in_window": Text("IgG recent in the window for", "IgG nyt i perioden i"),
    "stale_days_after_window": Text("IgG recent after the window for", "IgG nyt efter perioden i"),
    "igg_pending_days": Text("IgG awaited for at most", "IgG afventes højst"),
    "stop_due_soon_days": Text("stop due this long before the stop date", "seponering forfalden så længe før seponeringsdatoen"),
    "infection_lookback_before_t0_months": Text("infections counted from before T0", "infektioner talt med fra før T0"),
    "infection_window_months": Text("infections counted within", "infektioner talt med inden for"),
    "recurrent_min_episodes": Text("episodes that make infections recurrent", "episoder, der gør infektioner tilbagevendende"),
    "recurrent_min_days_apart": Text("days between recurrent episodes", "dage mellem tilbagevendende episoder"),
    "m_protein_max_days_apart": Text("M-protein subtracted within", "M-komponent trukket fra inden for"),
    "paraprotein_caveat_margin_g_l": Text("margin of the paraprotein caveat", "margin for forbeholdet om paraprotein"),
    "igg_max_plausible_g_l": Text("highest plausible IgG", "højeste plausible IgG"),
    "general_stop_after_months": Text("general stop attempt from", "generelt seponeringsforsøg fra"),
    "general_stop_latest_months": Text("general stop attempt at the latest", "seneste generelle seponeringsforsøg"),
    "general_review_every_months": Text("general review every", "generel revurdering hver"),
    "general_review_due_days": Text("review due this long before", "revurdering forfalden så længe før"),
    "ig_continuity_gap_days": Text("gap between Ig courses still one course", "pause mellem Ig-forløb, der stadig er ét forløb"),
    "igg_washout_days": Text("IgG washout after Ig", "IgG-udvaskning efter Ig"),
    "prior_substitution_days": Text("substitution before T0 counts within", "substitution før T0 tæller inden for"),
    "ig_administration_course_days": Text("course after an Ig dose", "forløb efter en Ig-dosis"),
    "culture_window_days": Text("culture near an infection within", "dyrkning nær en infektion inden for"),
    "bacteraemia_counts_as_severe": Text("bacteraemia counts as severe", "bakteriæmi tæller som svær"),
    "contaminant_separate_sets_days": Text("the same likely contaminant in separate blood culture sets within",
                                           "samme sandsynlige kontaminant i separate bloddyrkningssæt inden for"),
    "pneumonia_admission_severe": Text("a pneumonia needing admission counts as severe",
                                       "en pneumoni, der kræver indlæggelse, tæller som svær"),
    "pneumonia_admission_unlinked_days": Text("a stay linked to a pneumonia by its dates within",
                                              "et ophold knyttet til en pneumoni ud fra datoer inden for"),
    "late_start_notice_days": Text("late start notice", "varsel om sen start"),
    "days_per_fractional_month": Text("days in a fraction of a month", "dage i en brøkdel af en måned"),
    "show_information_only_cards": Text("information-only cards shown", "rene informationskort vises"),
    "unknown_system_therapy_card": Text("card for a therapy in an unknown code system", "kort for behandling i ukendt kodesystem"),
    "unknown_system_draft_card": Text("card for a draft in an unknown code system", "kort for udkast i ukendt kodesystem"),
}
# the marks whether a field is the record's words: shown as its quotes (`_record_words`)
SKIPPED_FIELDS = {"source", "identifiers", "drug_as_written", "m_protein_text_ours"}
# A number with a unit reads as the card writes it (cards/values.py): a concentration "4,0 g/L" with its comparator
# ("<0,33 g/L"), a period "12 dage", an age "17 år"; an advice value by its name, a parameter by its name's unit.
G_L_VALUES = ("igg", "igg_total", "m_protein", "untyped_m_protein", "polyclonal_if_igg", "ignored_igg", "pre_t0_igg",
              "last_m_protein")
THRESHOLD_VALUES = ("paraprotein_threshold",)
YEAR_VALUES = ("age",)
DAY_VALUES = ("stale_days_in_window", "stale_days_after_window")  # periods in days whose name does not end so

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:1.2rem;color:#212529;max-width:1200px;line-height:1.4}
h1{font-size:1.35rem;margin:0 0 .2rem}
h2{font-size:1.1rem;margin:1.6rem 0 .4rem;border-bottom:1px solid #dee2e6;padding-bottom:.2rem}
details.reasoning>summary{cursor:pointer}details.reasoning>summary>h2{display:inline-block;border-bottom:0}
.meta,.lead{color:#495057;font-size:.9rem}
.card{border-left:6px solid var(--c);background:#f8f9fa;padding:.5rem .9rem;margin:.8rem 0}
.card .summary{font-weight:600;font-size:1.05rem}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{border-bottom:1px solid #dee2e6;padding:.3rem .45rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f1f3f5}
td.date{white-space:nowrap;font-variant-numeric:tabular-nums}
code,pre{font-size:.82rem;word-break:break-word;white-space:pre-wrap}
code.key{font-size:.72rem;color:#868e96;font-weight:normal}
pre{background:#f8f9fa;padding:.4rem;margin:.2rem 0}
.refs{font-size:.8rem;color:#495057;word-break:break-all}
.guideline{background:#fff9db;padding:.5rem .8rem;border-left:4px solid #fab005}
.plot svg{width:100%;height:auto}
.plot.narrow{display:none}
tr.course ul{margin:.2rem 0;padding-left:1.1rem}
.badge{display:inline-block;border-radius:3px;padding:0 .35rem;color:#fff;font-size:.8rem}
footer{margin-top:2rem;color:#868e96;font-size:.8rem}
@media (max-width:640px){body{margin:.6rem}.plot.wide{display:none}.plot.narrow{display:block}#facts thead,#notes thead,#reasoning thead{display:none}
#facts tr,#notes tr,#reasoning tr{display:block;border-bottom:1px solid #dee2e6;padding:.25rem 0}
#facts td,#notes td,#reasoning td{display:block;border:0;padding:.05rem .3rem}}
"""
# The route's policy, also in the page: a saved copy loads nothing either (frame-ancestors works in headers only).
PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
INDICATOR_COLOURS = {"info": "#1c7ed6", "warning": "#d9480f", "critical": "#c92a2a"}

e = html.escape
SITE_ZONE = ZoneInfo(Settings.timezone)  # the default zone; the service passes its configured one


def render_page(snapshot: Snapshot, terminology: Terminology, kill_switch: KillSwitch | None = None,
                tz: ZoneInfo = SITE_ZONE) -> str:
    """The whole page for one stored snapshot (the timeline hides what the kill switch hides); the days it was
    made and is kept until are calendar days in `tz`, the site's zone (the store keeps UTC instants)."""
    lang = snapshot.language if snapshot.language in ("en", "da") else "en"
    data = snapshot.payload
    card: Mapping[str, Any] = data.get("card") or {}
    advice: Mapping[str, Any] = data.get("advice") or {}
    ruleset_data: Mapping[str, Any] = data.get("ruleset") or {}
    params = _parameters(ruleset_data.get("parameters") or {})
    colour = INDICATOR_COLOURS.get(str(card.get("indicator")), INDICATOR_COLOURS["info"])
    parts = [
        f"<h1>{e(W['title'](lang))}</h1>",
        f'<div class="lead">{e(W["lead"](lang))}</div>',
        f'<div class="meta">{e(W["evaluated"](lang).format(day=data.get("evaluation_date", "?")))} · '
        f'{e(str(ruleset_data.get("label", "")))} · {e(W["kept"](lang).format(day=_day(snapshot.expires, tz)))}</div>',
        f'<div class="card" style="--c:{colour}"><div class="summary">{e(str(card.get("summary", "")))}</div>'
        f'{_markdown(str(card.get("detail", "")))}</div>',
        _decision(advice, params, lang),
        _guideline(str(advice.get("section", "")), params, ruleset_data, lang),
        _facts(data.get("facts") or {}, params, lang, _counted(data.get("trace") or []), tz,
               advice.get("values") if isinstance(advice.get("values"), dict) else None,
               _evaluated(data.get("evaluation_date"))),
        _timeline(data, params, terminology, kill_switch, lang),
        _notes(data.get("notes") or [], lang,
               reads_on_substitution(str(advice.get("code", "")), str(advice.get("variant") or ""),
                                     advice.get("values") if isinstance(advice.get("values"), dict) else None)),
        _reasoning(data.get("trace") or [], lang),
        _ruleset(ruleset_data, params, lang),
        f"<footer>{e(W['footer'](lang).format(uuid=snapshot.card_uuid, created=_day(snapshot.created, tz)))}</footer>",
    ]
    return _document(lang, f"{W['title'](lang)}: {card.get('summary', '')}", "\n".join(parts))


def _document(lang: str, title: str, body: str) -> str:
    """A whole page: its own styles, no script, nothing loaded from elsewhere (`PAGE_POLICY`); `title` is escaped here."""
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{PAGE_POLICY}">
<meta name="referrer" content="no-referrer">
<title>{e(title)}</title>
<style>{CSS}</style>
</head>
<body>
{body}
</body>
</html>
"""


# A refused link opened in a browser (the EHR's embedded one, an auditor's) reads as a page in the browser's language,
# not as JSON; it names no card and no patient, as the JSON refusal does not.
REFUSAL = {
    "expired": Text("This explanation link has expired. Open the patient's chart again: the card is shown with a new "
                    "link. An explanation is kept for a limited time only (CDS_EXPLAIN_RETENTION_DAYS).",
                    "Linket til begrundelsen er udløbet. Åbn patientens journal igen: kortet vises med et nyt link. "
                    "En begrundelse gemmes kun en begrænset tid (CDS_EXPLAIN_RETENTION_DAYS)."),
    "invalid": Text("This explanation link is not valid for this card: open it from the card as the service sent it. "
                    "A link cut short or altered is refused, and so is a link issued before the service's link key "
                    "changed.",
                    "Linket til begrundelsen er ikke gyldigt for dette kort: åbn det fra kortet, som tjenesten sendte "
                    "det. Et afkortet eller ændret link afvises, ligesom et link fra før tjenestens linknøgle blev "
                    "skiftet."),
    "gone": Text("No explanation is kept for this card: it was not stored, or it was deleted after its retention "
                 "period (CDS_EXPLAIN_RETENTION_DAYS).",
                 "Der gemmes ingen begrundelse for dette kort: den blev ikke gemt, eller den er slettet efter "
                 "opbevaringsperioden (CDS_EXPLAIN_RETENTION_DAYS)."),
}


def refusal_page(status: int, expired: bool, lang: str) -> str:
    """A refused link as a short page: what happened and what to do (403: expired or not valid; 404: not kept)."""
    lang = lang if lang in ("en", "da") else "en"
    why = REFUSAL["gone" if status == 404 else "expired" if expired else "invalid"](lang)
    return _document(lang, W["title"](lang), f'<h1>{e(W["title"](lang))}</h1>\n<p id="refusal">{e(why)}</p>')


def _day(when: Any, tz: ZoneInfo) -> str:
    """An instant's calendar day where the clinician is: a card made at 00:30 in Copenhagen (23:30 UTC) was made
    on the day it was evaluated as of, not the day before."""
    if isinstance(when, datetime):
        return (when.astimezone(tz) if when.tzinfo is not None else when).date().isoformat()
    return str(when)


def _markdown(text: str) -> str:
    """The card's markdown detail as HTML: CommonMark with raw HTML, links and images switched off."""
    from markdown_it import MarkdownIt

    html: str = MarkdownIt("commonmark", {"html": False}).disable(["link", "image", "autolink"]).render(text)
    return html


def _parameters(stored: Mapping[str, Any]) -> Parameters:
    """The snapshot's parameters (names this version no longer knows are left out), as it was made with them: a range
    since narrowed refuses a policy file, not a page stored before."""
    known = set(Parameters.__dataclass_fields__)
    return Parameters().with_overrides({k: v for k, v in stored.items() if k in known}, checked=False)


def _text(value: Any, lang: str) -> str:
    """A value for a table cell (plain text; escaped by the caller)."""
    if isinstance(value, bool):
        return W["yes" if value else "no"](lang)
    if isinstance(value, float):
        text = f"{value:g}"
        return text.replace(".", ",") if lang == "da" else text
    if isinstance(value, list):
        return ", ".join(_text(v, lang) for v in value)
    return "" if value is None else str(value)


def _limits(params: Parameters) -> tuple[float, ...]:
    """The thresholds a concentration is shown against, as on the card (3.96 stays 3.96 beside 4 g/L)."""
    return (params.igg_start_threshold_g_l, params.igg_general_threshold_g_l)


# a stop date passed, as a value of days to it: said so, not as a negative count
PASSED_DAYS = Text("passed {n} ago", "passeret for {n} siden")


def _unit_text(name: str, value: Any, values: Mapping[str, Any], params: Parameters, lang: str) -> str | None:
    """An advice value or parameter that carries a unit, written as the card writes it (None: it has none)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if name in G_L_VALUES:
        return g_l(float(value), lang, _limits(params), str(values.get(f"{name}_comparator") or ""))
    if name in THRESHOLD_VALUES or name.endswith("_g_l"):
        return threshold(float(value), lang)
    if isinstance(value, float) and not value.is_integer():  # a fraction of a day or month ("30.4375") stays a number
        return None
    if name in YEAR_VALUES or name.endswith("_years"):
        return years(int(value), lang)
    if name == "days_to_stop" and value < 0:  # the stop date has passed: "-32 days" read as a typing error
        return PASSED_DAYS(lang).format(n=days(-int(value), lang))
    if name.endswith("_days") or name in ("days_to_stop", *DAY_VALUES):
        return days(int(value), lang)
    if name.endswith("_months"):
        return months(int(value), lang)
    return None


INDICATOR_WORDS = {"info": Text("info", "info"), "warning": Text("warning", "advarsel"),
                   "critical": Text("critical", "kritisk")}


def _indicator(advice: Mapping[str, Any], lang: str) -> str:
    """The card's indicator in the page's language (CDS Hooks' code kept in English for an English page)."""
    code = str(advice.get("indicator", ""))
    return INDICATOR_WORDS[code](lang) if code in INDICATOR_WORDS else code


def _named(key: str, labels: Mapping[str, Text], lang: str) -> str:
    """A value's or parameter's name in the page's language, with its technical name (the trace's, the docs' and the
    policy file's) below it; a name with no label yet shows the technical name alone."""
    label = labels.get(key)
    shown = f"{e(label(lang))}<br>" if label is not None else ""
    return f'{shown}<code class="key">{e(key)}</code>'


def _rule(rule: str, lang: str, strong: bool = False) -> str:
    """A rule definition (the one an advice comes from, or a step of the reasoning) named in the page's language
    (`catalogue.DEFINITIONS_DA`), in bold when `strong`, its definition's name below where the words differ from it."""
    words, _ = definition_words(rule, "", lang)
    shown = f"<b>{e(words)}</b>" if strong else e(words)
    return shown if words == rule else f'{shown}<br><code class="key">{e(rule)}</code>'


def _decision(advice: Mapping[str, Any], params: Parameters, lang: str) -> str:
    from ..tools.timeline_html import code_title

    code = str(advice.get("code", ""))
    variant = str(advice.get("variant") or "")
    said = situation(code, variant)  # the situation in words, its code below them
    rows = [(W["advice"](lang), e(code_title(code, params, lang))), (W["code"](lang), e(code)),
            (W["variant"](lang), f'{e(said(lang))}<br><code class="key">{e(variant)}</code>' if said is not None
             else e(variant or "–")), (W["indicator"](lang), e(_indicator(advice, lang))),
            (W["rule"](lang), _rule(str(advice.get("rule", "")), lang)),
            (W["section"](lang), e(str(advice.get("section", ""))))]
    table = "".join(f"<tr><th>{e(str(k))}</th><td>{v}</td></tr>" for k, v in rows)
    values = advice.get("values") or {}
    shown = "".join(f"<tr><th>{_named(str(k), VALUE_LABELS, lang)}</th>"
                    f"<td>{_value_words(k, v, values, lang) or e(_unit_text(k, v, values, params, lang) or _text(v, lang))}"
                    "</td></tr>" for k, v in values.items() if v not in (None, "", []))
    extra = f"<details><summary>{e(W['values'](lang))}</summary><table>{shown}</table></details>" if shown else ""
    return f"<h2>{e(W['decision'](lang))}</h2><table id=\"decision\">{table}</table>{extra}"


def _value_words(name: str, value: Any, values: Mapping[str, Any], lang: str) -> str:
    """An advice value that is one of the service's codes ("bsab", "before-t0") in words, its code below them (HTML);
    "" for any other value."""
    if name == "failing" and isinstance(value, list) and value and all(v in FAILING_NAMED for v in value):
        # the criteria an order fails, named without their figures (the values give them in rows of their own)
        return f'{e("; ".join(FAILING_NAMED[v](lang) for v in value))}<br><code class="key">{e(", ".join(value))}</code>'
    if name == "infection_cultures" and isinstance(value, list) and value:  # 'specimen:day[:sets]', each in words
        words = "; ".join(culture_named(str(v), lang, CULTURE, CULTURE_SETS) for v in value)
        return f'{e(words)}<br><code class="key">{e(", ".join(str(v) for v in value))}</code>'
    if not isinstance(value, str):
        return ""
    if name == "reason" and value in GENERAL_STOP_REASONS:  # the card's words; `kind` as the card names T0's therapy
        try:
            words = GENERAL_STOP_REASONS[value](lang).format(kind=KIND.get(str(values.get("t0_kind") or ""), "T0"))
        except (KeyError, IndexError):  # words that need more than the kind: the code alone, as before
            return ""
    else:
        text = VALUE_WORDS.get(name, {}).get(value)
        if text is None:
            return ""
        words = text(lang)
    return f'{e(words)}<br><code class="key">{e(value)}</code>'


def _role(kind: str, fact: Mapping[str, Any], values: Mapping[str, Any], lang: str) -> str:
    """What the decision made of an IgG or M-protein result ('' when the card's values do not say)."""
    source = fact.get("source")
    if not source:
        return ""
    if kind == "m_protein":
        subtracted = source == values.get("m_protein_source") and values.get("igg") != values.get("igg_total")
        return ROLE["subtracted"](lang) if subtracted else ""
    if source == values.get("igg_source"):
        return ROLE["used"](lang)
    if source == values.get("ignored_igg_source"):
        return ROLE["ignored"](lang)
    t0 = values.get("t0")
    if values.get("in_window") is True and isinstance(t0, str) and str(fact.get("date") or "") < t0:
        return ROLE["before-t0"](lang).format(t0=t0)
    return ""


def _counted(trace: list[Any]) -> dict[str, Mapping[str, Any]]:
    """The infections the rules counted as verified bacterial, by their source: whether severe, and the culture that
    verified one coded without an organism (from the trace's value of `COUNTED`)."""
    step = next((s for s in trace if isinstance(s, dict) and s.get("name") == COUNTED), None)
    found = step.get("value") if step is not None else None
    return {str(c["infection"]["source"]): c for c in (found if isinstance(found, list) else [])
            if isinstance(c, dict) and isinstance(c.get("infection"), dict) and c["infection"].get("source")}


def _counted_text(counted: Mapping[str, Any] | None, lang: str) -> str:
    """What the rules made of an infection, with the culture behind it ('' when it was not counted)."""
    if counted is None:
        return ""
    text = W["counted-severe" if counted.get("severe") else "counted"](lang)
    culture = counted.get("culture")
    if isinstance(culture, dict) and culture.get("source"):
        text += ", " + W["verified-by"](lang).format(source=culture["source"], day=culture.get("date") or "?")
    return text


def _is_dose(kind: str, fact: Mapping[str, Any]) -> bool:
    """A single dose given: an immunoglobulin administration, or a bsAb given on one day (not an order or a record
    of a course)."""
    if kind == "ig_administrations":
        return isinstance(fact.get("date"), str)
    return kind == "bsab" and bool(fact.get("administered")) and isinstance(fact.get("start"), str) \
        and fact.get("end") == fact.get("start")


def _courses(kind: str, found: list[Any], params: Parameters,
             stored: Any = None) -> dict[int, tuple[Mapping[str, Any], list[Mapping[str, Any]]]]:
    """The courses of two or more doses among a kind's facts, each under the index of its first dose's fact: the
    course and its doses. The courses the rules made, as the snapshot stores them (`dose_courses` of its facts,
    records/snapshot.py); a snapshot stored before it had them (None) is read with `_courses_of_old_snapshot`."""
    if stored is None:
        return _courses_of_old_snapshot(kind, found, params)
    courses: dict[int, tuple[Mapping[str, Any], list[Mapping[str, Any]]]] = {}
    for course in stored if isinstance(stored, list) else []:
        if not isinstance(course, dict) or course.get("kind") != kind or kind not in SERIES:
            continue
        at = course.get("facts")
        day_field = "date" if kind == "ig_administrations" else "start"
        # a stored row the page cannot show (indices out of range, a dose without its day) is no course: its doses
        # are listed on rows of their own, never an error page
        if not isinstance(at, list) or len(at) < 2 or not all(
                type(i) is int and 0 <= i < len(found) and isinstance(found[i], dict) and found[i].get(day_field)
                for i in at):
            continue
        courses[min(at)] = (course, [found[i] for i in at])
    return courses


def _courses_of_old_snapshot(kind: str, found: list[Any],
                             params: Parameters) -> dict[int, tuple[Mapping[str, Any], list[Mapping[str, Any]]]]:
    """For a snapshot stored without the rules' courses only: its doses of one drug grouped here, a dose after a
    longer gap than the rule set's for that drug beginning another course (the rules' own grouping of the time may
    have differed: it also counted a bsAb order's period, and made one Ig course of IVIG and SCIG doses)."""
    if kind not in SERIES:
        return {}
    name_field, gap_name = SERIES[kind]
    gap = int(getattr(params, gap_name))
    day_field = "date" if kind == "ig_administrations" else "start"
    doses: dict[str, list[tuple[date, int]]] = {}
    for i, fact in enumerate(found):
        if isinstance(fact, dict) and _is_dose(kind, fact):
            try:
                day = date.fromisoformat(str(fact[day_field]))
            except ValueError:
                continue
            doses.setdefault(str(fact.get(name_field) or "").lower(), []).append((day, i))
    courses: dict[int, tuple[Mapping[str, Any], list[Mapping[str, Any]]]] = {}
    for given in doses.values():
        given.sort()
        series: list[tuple[date, int]] = []
        for dose in given + [(date.max, -1)]:
            if series and (dose[1] < 0 or (dose[0] - series[-1][0]).days > gap):
                if len(series) > 1:
                    shown = [found[i] for _, i in series]
                    courses[min(i for _, i in series)] = (
                        {"drug": str(shown[0].get(name_field) or ""), "first": series[0][0].isoformat(),
                         "last": series[-1][0].isoformat(), "doses": len(series)}, shown)
                series = []
            series.append(dose)
    return courses


def _course_row(kind: str, label: Text, course: Mapping[str, Any], doses: list[Mapping[str, Any]],
                params: Parameters, lang: str) -> str:
    """One row for a course of doses: "Teclistamab, 6 doses 2025-01-05 → 2025-02-20", the gap that ends it, the
    doses folded beneath."""
    day_field = "date" if kind == "ig_administrations" else "start"
    name = str(course.get("drug") or "") or SERIES_DRUG[kind](lang)
    first, last = str(course.get("first") or doses[0][day_field]), str(course.get("last") or doses[-1][day_field])
    n = course.get("doses") if isinstance(course.get("doses"), int) else len(doses)
    summary = COURSE(lang).format(drug=name[:1].upper() + name[1:], n=n, first=first, last=last)
    gap = COURSE_GAP[kind](lang).format(days=int(getattr(params, SERIES[kind][1])))
    orders = course.get("with")
    if isinstance(orders, list) and orders:
        gap += " " + COURSE_ORDERS(lang).format(n=len(orders))
    listed = "".join(f"<li>{e(str(d[day_field]))} <span class=\"refs\">{e(str(d.get('source', '')))}</span></li>"
                     for d in doses)
    sources = f"{doses[0].get('source', '')} … {doses[-1].get('source', '')}"
    return (f'<tr class="course"><td>{e(label(lang))}</td><td class="date">{e(first)} → {e(last)}</td>'
            f'<td>{e(summary)}<br><span class="lead">{e(gap)}</span><details><summary>{e(COURSE_DOSES(lang))}'
            f'</summary><ul>{listed}</ul></details></td><td class="refs">{e(sources)}</td></tr>')


def _evaluated(value: Any) -> date | None:
    """The stored evaluation day, None when a snapshot holds none the page can read."""
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def _after_day(kind: str, fact: Mapping[str, Any], evaluated: date | None) -> bool:
    """Whether every date the fact names of its record (when it happened, was taken, ordered or begins) lies after
    the evaluation day: the rules did not read it that day."""
    if evaluated is None or kind in UNDATED_KINDS:
        return False
    for written in ("asserted", "authored", "written"):  # a medication record or an order written after the day: not there to read
        day = str(fact.get(written) or "")[:10]
        if day and day > evaluated.isoformat():
            return True
    days = []
    for name in PLANNED_KINDS.get(kind, RECORD_DAY_FIELDS):
        try:
            days.append(date.fromisoformat(str(fact.get(name))[:10]))
        except ValueError:
            continue
    return bool(days) and min(days) > evaluated


def _facts(facts: Mapping[str, Any], params: Parameters, lang: str,
           counted: Mapping[str, Mapping[str, Any]] | None = None, tz: ZoneInfo = SITE_ZONE,
           values: Mapping[str, Any] | None = None, evaluated: date | None = None) -> str:
    rows = []
    n = 0
    # an M-protein whose amount was not read but whose type was is shown once, as that type (`M_PROTEIN_TYPE_ONLY`)
    typed = {f.get("source") for f in facts.get("immunofixation") or () if isinstance(f, dict) and f.get("m_protein_text")}
    for kind, label in FACT_KINDS.items():
        found = facts.get(kind)
        found = [found] if isinstance(found, dict) else list(found or [])
        courses = _courses(kind, found, params, facts.get(DOSE_COURSES))
        in_course = {id(d) for _, doses in courses.values() for d in doses}
        for i, fact in enumerate(found):
            if not isinstance(fact, dict) or kind == "m_protein_unread" and fact.get("source") in typed:
                continue
            n += 1
            if i in courses:
                rows.append(_course_row(kind, COURSE_KINDS[kind], *courses[i], params, lang))
            if id(fact) in in_course:
                continue
            day_field = next((f for f in DATE_FIELDS if fact.get(f)), None)
            resource = str(fact.get("source", "")).partition("/")[0]
            skipped = {"status"} if fact.get("intended") else set()  # a plan's 'active' is the service's, not the EHR's
            if fact.get("component"):
                skipped.add("panel")  # named with its component: "IgG (component of 'Immunglobuliner, P')"
            if fact.get("sets") == 1:
                skipped.add("sets")  # one culture set, as every culture is: said only of a contaminant counted by its sets
            if isinstance(fact.get("value_g_l"), (int, float)):
                skipped.add("comparator")  # shown with the value, as the card shows it: "<0,33 g/L"
            details = "; ".join(f"{_field_label(kind, resource, k, lang)}: {_field_value(kind, k, v, lang, fact, params, tz)}"
                                for k, v in fact.items()
                                if k not in SKIPPED_FIELDS and k not in skipped and k != day_field
                                and (v not in (None, "", [], False) or k == "value_g_l" and v is not False))
            if kind == "infections":
                verdict = _counted_text((counted or {}).get(str(fact.get("source", ""))), lang)
                details = "; ".join(part for part in (details, verdict) if part)
            elif kind in ("igg", "m_protein"):
                details = "; ".join(part for part in (details, _role(kind, fact, values or {}, lang)) if part)
            if _after_day(kind, fact, evaluated):
                details = "; ".join(part for part in (details, AFTER_DAY(lang).format(day=evaluated)) if part)
            shown = KIND_BY_SOURCE.get((kind, resource), label)
            if kind == "immunofixation" and fact.get("m_protein_text"):  # an M-protein whose type alone was read
                shown = M_PROTEIN_TYPE_ONLY
            rows.append(f'<tr><td>{e(shown(lang))}</td><td class="date">{e(str(fact.get(day_field, "")) if day_field else "")}'
                        f'</td><td>{e(details)}</td><td class="refs">{e(str(fact.get("source", "")))}</td></tr>')
    head = (f"<tr><th>{e(W['kind'](lang))}</th><th>{e(W['date'](lang))}</th><th>{e(W['details'](lang))}</th>"
            f"<th>{e(W['source'](lang))}</th></tr>")
    return (f"<h2>{e(W['facts'](lang).format(n=n))}</h2><div class=\"lead\">{e(W['facts-lead'](lang))}</div>"
            f'<table id="facts"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>')


def _field_label(kind: str, resource: str, field: str, lang: str) -> str:
    """A fact field's name in the page's language (by the resource it was read from where that changes it)."""
    words = FIELD_BY_SOURCE.get((kind, resource, field)) or FIELDS.get(field)
    return words(lang) if words is not None else field


# Fact fields that hold the record's own words (a name or text as the EHR wrote it): quoted wherever shown, as a card
# quotes them (`values.named`), so a reader tells them from the service's words; a code or a date is not quoted.
# Decided by the field where its words come from one place only: a severity or a reason as written, a culture's
# organism as its result names it, an M-protein's value as sent. A therapy's `recorded` date is none of these: the
# page shows it in its date column, as a date (`DATE_FIELDS`), whether the record wrote it ("2025-10") or the service.
RECORD_TEXT_FIELDS = frozenset({"display", "severity_text", "not_given"})
RECORD_TEXT_OF_KIND = frozenset({("cultures", "organism"), ("m_protein", "reported")})
# A field that holds either the service's name (a value set's INN) or the record's (its text, for a record the value
# sets know by code but that names no INN): decided by the fact's own mark, kept in its JSON (a snapshot stored
# before the mark shows it plain, as it did).
RECORD_TEXT_IF_MARKED = {("undated_therapies", "drug"): "drug_as_written"}
# A field quoted as the record's words unless the fact's own mark says the service wrote it: a type-only M-protein's
# text is the record's ("se kommentar"), but "—" (sent with no value) or a bare code is the service's
# (`Immunofixation.m_protein_text_ours`). A snapshot stored before the mark shows the text quoted, as it did.
RECORD_TEXT_UNLESS_MARKED = {("immunofixation", "m_protein_text"): "m_protein_text_ours"}


def _record_words(kind: str, field: str, fact: Mapping[str, Any] | None) -> bool:
    """Whether a fact field's value is the record's own words (quoted) rather than the service's (plain)."""
    if field in RECORD_TEXT_FIELDS or (kind, field) in RECORD_TEXT_OF_KIND:
        return True
    ours = RECORD_TEXT_UNLESS_MARKED.get((kind, field))
    if ours is not None:
        return (fact or {}).get(ours) is not True
    mark = RECORD_TEXT_IF_MARKED.get((kind, field))
    return mark is not None and (fact or {}).get(mark) is True


def _field_value(kind: str, field: str, value: Any, lang: str, fact: Mapping[str, Any] | None = None,
                 params: Parameters | None = None, tz: ZoneInfo = SITE_ZONE) -> str:
    """A fact field's value for the facts table: the service's own values in words, a concentration as the card
    writes it, EHR text as sent."""
    if field == "value_g_l" and isinstance(value, (int, float)) and not isinstance(value, bool):
        limits = _limits(params or Parameters())
        return g_l(float(value), lang, limits, str((fact or {}).get("comparator") or ""))
    if field == "taken" and isinstance(value, str):
        return _taken_words(value, lang, tz)
    if field == "component" and isinstance(value, str):
        return COMPONENT_OF(lang).format(component=value, panel=str((fact or {}).get("panel") or "?"))
    if field == "looks_like" and value in LOOKS_LIKE:
        return LOOKS_LIKE[value](lang)
    if isinstance(value, str) and value and _record_words(kind, field, fact):  # the record's words, quoted by `named`
        return named(RecordText(value), len(value), lambda v, _: _text(v, lang))
    words = FIELD_VALUES.get((kind, field), {}).get(value) if isinstance(value, str) else None
    return words(lang) if words is not None else _text(value, lang)


def _taken_words(key: str, lang: str, tz: ZoneInfo = SITE_ZONE) -> str:
    """`IgGResult.taken` ("2026-03-10T09:00:00~ 2026-03-10T09:00:00*") as a clinician reads it: "day only, amended or
    corrected, issued 2026-03-10 09:00, read as at its issue time"."""
    taken, _, issued = key.partition(" ")
    revised = issued.endswith("*")
    day_only = taken.endswith("~") or not taken.strip("~")
    issued = issued.rstrip("*")

    def instant(at: str) -> str:
        return _local(at, tz)

    words = [TAKEN_WORDS["day"](lang) if day_only else instant(taken)]
    if revised:
        words.append(TAKEN_WORDS["revised"](lang))
    if issued and issued != "~":
        words.append(TAKEN_WORDS["issued"](lang).format(at=instant(issued)))
    elif revised:
        words.append(TAKEN_WORDS["no-issue"](lang))
    if revised and day_only:
        words.append(TAKEN_WORDS["at-issue" if issued and issued != "~" else "day-last"](lang))
    return ", ".join(words)


def _local(at: str, tz: ZoneInfo) -> str:
    """A UTC instant of a fact ("2026-03-10T07:00:00") to the minute in the site's zone, as the laboratory's report and
    the EHR show it ("2026-03-10 08:00" in Copenhagen); as stored when it does not read as an instant."""
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        return at.replace("T", " ")[:16]
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo("UTC"))
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def _value(value: Any) -> str:
    text = orjson.dumps(value).decode()
    if len(text) <= LONG_VALUE:
        return f"<code>{e(text)}</code>"
    pretty = orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
    return f"<details><summary><code>{e(text[:LONG_VALUE])}…</code></summary><pre>{e(pretty)}</pre></details>"


NONE_FOUND = "—"  # a step with no value (the card's trace leaves out what holds nothing): none found


def _reasoning(trace: list[Any], lang: str) -> str:
    rows = []
    for step in trace:
        if not isinstance(step, dict):
            continue
        refs = ", ".join(str(r) for r in step.get("references") or [])
        definition = str(step.get("name", ""))
        _, comment = definition_words(definition, str(step.get("comment", "")), lang)
        rows.append(f"<tr><td>{_rule(definition, lang, strong=True)}<br><span class=\"lead\">{e(comment)}</span></td>"
                    f"<td>{_value(step['value']) if 'value' in step else NONE_FOUND}</td>"
                    f"<td class=\"refs\">{e(refs)}</td></tr>")
    head = (f"<tr><th>{e(W['definition'](lang))}</th><th>{e(W['value'](lang))}</th>"
            f"<th>{e(W['references'](lang))}</th></tr>")
    # folded: every definition the rules evaluated is for whoever checks the reasoning, not the clinician's first
    # read (the decision, the values and the facts above answer "why")
    return (f"<details class=\"reasoning\"><summary><h2>{e(W['reasoning'](lang).format(n=len(rows)))}</h2></summary>"
            f"<div class=\"lead\">{e(W['reasoning-lead'](lang))}"
            f'</div><table id="reasoning"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table></details>')


# Kinds whose display a note never quoted, before `DataNote.record_words` was kept with it: the service's own numbers,
# names and dates ("IgG 250 g/L", "the teclistamab order", "M-protein IgA 15.0 g/L").
NEVER_QUOTED = frozenset({"bsab-end-unknown", "igg-indeterminate", "igg-same-day-unordered", "igg-same-day-superseded",
                          "igg-below-m-protein", "igg-implausible", "igg-during-substitution", "igg-during-other-use",
                          "birth-date-after-today", "birth-date-after-therapy", "car-t-same-treatment",
                          "m-protein-not-igg", "malformed-field"})


def _stored_record_words(kind: str, mark: Any) -> bool:
    """Whether a stored note's display is the record's words: its mark; for a note stored before the mark (or one
    whose mark is no true or false), as the note was shown then: quoted, unless its kind never quoted its display."""
    return mark if isinstance(mark, bool) else kind not in NEVER_QUOTED


def _stored_count(note: Mapping[str, Any]) -> tuple[int, str]:
    """How many results a stored note stands for and the earliest one's date (`DataNote.count`): one, for a note
    stored before it was counted or one whose count is no whole number."""
    count, first = note.get("count"), note.get("first")
    if not isinstance(count, int) or isinstance(count, bool) or count < 2:
        return 1, ""
    return count, first if isinstance(first, str) else ""


def _notes(notes: list[Any], lang: str, on_substitution: bool = False) -> str:
    rows = []
    shown = [note for note in notes if isinstance(note, dict)]
    for note in sorted(shown, key=lambda n: rank(str(n.get("kind", "")))):
        kind = str(note.get("kind", ""))
        day = note.get("day") or ""
        limit = note.get("threshold")
        what = one_line(kind, lang, str(note.get("source", "")), str(note.get("display", "")), str(day or "?"),
                        float(limit) if isinstance(limit, (int, float)) else None, on_substitution,
                        _stored_record_words(kind, note.get("record_words")), *_stored_count(note))
        rows.append(f"<tr><td>{e(what)}</td><td class=\"date\">{e(str(day))}</td>"
                    f"<td class=\"refs\">{e(str(note.get('source', '')))}</td>"
                    f"<td>{e(str(note.get('message', '')))}</td></tr>")
    title = f"<h2>{e(W['notes'](lang).format(n=len(rows)))}</h2>"
    if not rows:
        return f"{title}<p>{e(W['notes-none'](lang))}</p>"
    head = (f"<tr><th>{e(W['what'](lang))}</th><th>{e(W['date'](lang))}</th><th>{e(W['source'](lang))}</th>"
            f"<th>{e(W['technical'](lang))}</th></tr>")
    return f'{title}<table id="notes"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def _guideline(section: str, params: Parameters, ruleset: Mapping[str, Any], lang: str) -> str:
    from ..tools.timeline_html import parameter_text

    p = parameter_text(params, lang)
    guideline = str(ruleset.get("guideline", ""))
    if ruleset.get("guideline_url"):
        guideline += f" ({ruleset['guideline_url']})"
    main = [s for s in GUIDELINE_SECTIONS if s == section] or [s for s in GUIDELINE_SECTIONS if section.startswith(s)]
    blocks = [f'<div class="guideline" id="section"><b>{e(s)}</b> {e(GUIDELINE_SECTIONS[s](lang).format_map(p))}</div>'
              for s in main]
    others = "".join(f"<p><b>{e(s)}</b> {e(text(lang).format_map(p))}</p>"
                     for s, text in GUIDELINE_SECTIONS.items() if s not in main)
    return (f"<h2>{e(W['guideline'](lang))}</h2><div class=\"lead\">{e(W['guideline-lead'](lang).format(guideline=guideline))}"
            f"</div>{''.join(blocks)}<details><summary>{e(W['other-sections'](lang))}</summary>{others}</details>")


def _ruleset(ruleset: Mapping[str, Any], params: Parameters, lang: str) -> str:
    stored: Mapping[str, Any] = ruleset.get("parameters") or {}
    rows = "".join(f"<tr><td>{_named(str(k), PARAMETER_LABELS, lang)}</td>"
                   f"<td>{e(_unit_text(k, v, stored, params, lang) or _text(v, lang))}</td></tr>" for k, v in stored.items())
    return (f"<h2>{e(W['ruleset'](lang))}</h2><p id=\"ruleset\"><b>{e(str(ruleset.get('label', '')))}</b></p>"
            f"<details><summary>{e(W['parameter'](lang))}</summary><table>{rows}</table></details>")


def _timeline(data: Mapping[str, Any], params: Parameters, terminology: Terminology, kill_switch: KillSwitch | None,
              lang: str) -> str:
    """The timeline from the stored facts and parameters, as of the evaluation date (matplotlib loads here)."""
    from ..tools.timeline import timeline_from_facts
    from ..tools.timeline_html import legend, plot_svg

    title = f"<h2>{e(W['timeline'](lang))}</h2>"
    ruleset_data = data.get("ruleset") or {}
    base: RuleSet | None = RULESETS.get(str(ruleset_data.get("id")))
    if base is None:
        why = W["unknown-ruleset"](lang).format(label=ruleset_data.get("label", "?"))
        return f"{title}<p>{e(W['no-timeline'](lang).format(why=why))}</p>"
    try:
        facts = facts_from_json(data.get("facts") or {})
        day = date.fromisoformat(str(data.get("evaluation_date")))
        patient = facts.patient.source.partition("/")[2] if facts.patient is not None else ""
        timeline = timeline_from_facts(patient, facts, base.with_parameters(params), terminology, lang, day,
                                       kill_switch=kill_switch)
        svg = plot_svg(timeline, lang, day)
        narrow = plot_svg(timeline, lang, day, narrow=True)  # a side panel's: the wide one shrunk had text of 3-4 px
    except InputError:
        return f"{title}<p>{e(W['no-timeline'](lang).format(why=W['no-dates'](lang)))}</p>"
    except Exception as exc:  # the page still shows the basis of the advice without its picture
        log.error("explanation timeline failed: %s", type(exc).__name__)
        return f"{title}<p>{e(W['no-timeline'](lang).format(why=W['failed'](lang)))}</p>"
    return (f"{title}<div class=\"lead\">{e(W['timeline-lead'](lang))}</div><div class=\"plot wide\">{svg}</div><div class=\"plot narrow\">{narrow}</div>"
            f"<div class=\"lead\">{e(legend(params, lang))}</div>")
