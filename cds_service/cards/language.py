"""The card layer's own words (fact labels, headings) and the choice of language.

Advice wording lives in `cql_like_rules/catalogue.py`; this module holds only the labels
that frame it. English is the default; Danish when the EHR asks for it (Accept-Language).
"""

from __future__ import annotations

from functools import lru_cache

from cql_like_rules.catalogue import LANGUAGES, Text

SOURCE_LABEL = Text("Medicinrådet 2025: Ig substitution after CAR-T/bispecific antibodies",
                    "Medicinrådet 2025: Ig-substitution ved CAR-T/bispecifikke antistoffer")
TO_DO = Text("To do", "Gør")
NOTE = Text("Note", "Bemærk")
NOT_MET = Text("Not met", "Ikke opfyldt")
GUIDELINE = Text("Medicinrådet 2025", "Medicinrådet 2025")
WHY_LINK = Text("Why this advice", "Begrundelse")
# Caveats a crowded card cut (`render.KEEPS`), counted as its data notes are: on a card without a link, not shown here;
# with one, on its explanation page ([linked][several]); a card that also counts data notes says both counts in one
# sentence (`MORE_DATA_NOTES`).
CAVEATS_CUT = ((Text("{n} note not shown here.", "{n} note ikke vist her."),
                Text("{n} notes not shown here.", "{n} noter ikke vist her.")),
               (Text("{n} more note on the explanation page.", "{n} note mere på begrundelsessiden."),
                Text("{n} more notes on the explanation page.", "{n} noter mere på begrundelsessiden.")))
# The data notes only counted and caveats cut: one count for both ("2 data notes and 1 note not shown here"), the
# room of a second sentence left to what the card shows ([several data notes], [several caveats], [linked]).
DATA_NOTES_COUNTED = (Text("{n} data note", "{n} datanote"), Text("{n} data notes", "{n} datanoter"))
NOTES_COUNTED = (Text("{n} note", "{n} note"), Text("{n} notes", "{n} noter"))
COUNTED_WHERE = (Text("not shown here", "ikke vist her"), Text("on the explanation page", "på begrundelsessiden"))
# The data notes a card names some of and counts the rest of ([several data notes]): on a card without a link, the
# count itself ("...; +1 more data note", `notes.NotesLine`); on a card that also cut caveats, one count for both
# ("...; +1 more data note and 2 notes on the explanation page", "... not shown here"), not two sentences in a row.
MORE_DATA_NOTES = (Text("+{n} more data note", "+{n} datanote mere"), Text("+{n} more data notes", "+{n} datanoter mere"))

FACT = {
    "igg": Text("IgG {igg} on {igg_date}", "IgG {igg} den {igg_date}"),
    "igg-reported": Text(" (reported {igg_reported})", " (svaret {igg_reported})"),
    "igg-old": Text(", {igg_age} old", ", {igg_age} gammel"),
    "polyclonal-summary": Text("polyclonal IgG {igg} (total {igg_total_number})",
                               "polyklonal IgG {igg} (total {igg_total_number})"),
    "polyclonal-summary-short": Text("polyclonal IgG {igg}", "polyklonal IgG {igg}"),
    "m-protein-untyped": Text("M-protein {untyped_m_protein} on {untyped_m_protein_date}, type unknown",
                              "M-komponent {untyped_m_protein} den {untyped_m_protein_date}, ukendt type"),
    "m-protein-unread": Text("M-protein result on {m_protein_unread_date}: not used",
                             "M-komponent-svar den {m_protein_unread_date}: ikke brugt"),
    # the last IgG M-protein, measured too long before the IgG to subtract, where it is why polyclonal IgG may be low
    "m-protein-last": Text("Last IgG M-protein {last_m_protein} on {last_m_protein_date}, {last_m_protein_before} "
                           "before the IgG: not subtracted",
                           "Seneste IgG-M-komponent {last_m_protein} den {last_m_protein_date}, {last_m_protein_before} "
                           "før IgG-målingen: ikke fratrukket"),
    "infections-seen": Text("Verified bacterial infection {dates}: not severe, not recurrent",
                            "Verificeret bakteriel infektion {dates}: ikke svær, ikke tilbagevendende"),
    "infections-seen-one-episode": Text("{n} verified bacterial infections {dates}, one episode: not severe, not "
                                        "recurrent",
                                        "{n} verificerede bakterielle infektioner {dates}, én episode: ikke svær, ikke "
                                        "tilbagevendende"),
    "infections-seen-many": Text("{n} verified bacterial infections {dates}: none severe, not recurrent",
                                 "{n} verificerede bakterielle infektioner {dates}: ingen svær, ikke tilbagevendende"),
    "polyclonal": Text("Polyclonal IgG {igg} on {igg_date}: total {igg_total} − IgG M-protein {m_protein}",
                       "Polyklonal IgG {igg} den {igg_date}: total {igg_total} − IgG M-komponent {m_protein}"),
    "m-protein-date": Text(" (measured {m_protein_date})", " (målt {m_protein_date})"),
    "t0:car-t": Text("CAR-T infusion (T0) {t0}", "CAR-T-infusion (T0) {t0}"),
    "t0:bsab": Text("Start of {product} (T0) {t0}", "Opstart af {product} (T0) {t0}"),
    # ... drafted, not yet given (a child's order card): the draft's planned start is T0
    "t0:bsab-planned": Text("Planned start of {product} (T0) {t0}", "Planlagt opstart af {product} (T0) {t0}"),
    # a new course of a bsAb given before (a pause longer than the course gap): not the drug's first start
    "t0:bsab-again": Text("New course of {product} after {t0_pause} (T0) {t0}",
                          "Nyt forløb med {product} efter {t0_pause} (T0) {t0}"),
    "window": Text("High-risk window {t0} to {stop_date}", "Højrisikoperiode {t0} til {stop_date}"),
    "window-left": Text(" ({days_left})", " ({days_left})"),
    # the window on the T0 line, when a detail too long for both lines keeps one (render.window_facts)
    "window-to": Text("; high-risk window to {stop_date}", "; højrisikoperiode til {stop_date}"),
    "window-planned": Text("Planned start {order_start}; window to {stop_date}",
                           "Planlagt start {order_start}; periode til {stop_date}"),
    "severe": Text("Severe bacterial infection {dates}", "Svær bakteriel infektion {dates}"),
    # a bacterial pneumonia severe by its inpatient stay (clinical-rules §5: pneumonia needing admission)
    "severe-admitted": Text("Bacterial pneumonia {dates}, admitted {admitted} to {discharged}: severe",
                            "Bakteriel pneumoni {dates}, indlagt {admitted} til {discharged}: svær"),
    "severe-admitted-open": Text("Bacterial pneumonia {dates}, admitted {admitted}: severe",
                                 "Bakteriel pneumoni {dates}, indlagt {admitted}: svær"),
    "recurrent": Text("Recurrent bacterial infections {dates}", "Tilbagevendende bakterielle infektioner {dates}"),
    # several episodes of severe or recurrent infection: counted, the latest three dated (one severe one decides,
    # but three pneumonias months apart do not read as one)
    "episodes": Text(" ({n} episodes)", " ({n} episoder)"),
    "episodes-latest": Text(" (the latest {shown} of {n} episodes)", " (de seneste {shown} af {n} episoder)"),
    "severe-episodes": Text("Severe bacterial infections {dates}", "Svære bakterielle infektioner {dates}"),
    "severe-among-episodes": Text("Severe bacterial infection {severe} among the episodes {dates}",
                                  "Svær bakteriel infektion {severe} blandt episoderne {dates}"),
    "severe-many-among-episodes": Text("Severe bacterial infections {severe} among the episodes {dates}",
                                       "Svære bakterielle infektioner {severe} blandt episoderne {dates}"),
    # the severe ones all before the episodes shown (the latest three)
    "severe-before-episodes": Text("Severe bacterial infection {severe}, then the episodes {dates}",
                                   "Svær bakteriel infektion {severe}, derefter episoderne {dates}"),
    # the culture that made each shown episode bacterial (an infection coded without its organism), each named
    "culture": Text("positive {specimen} culture {date}", "positiv {specimen}dyrkning {date}"),
    # a likely contaminant counted because it grew in separate sets ([policy] contaminant_separate_sets_days)
    "culture-sets": Text("the same likely contaminant in {sets} separate {specimen} culture sets {date}",
                         "samme sandsynlige kontaminant i {sets} separate {specimen}dyrkningssæt {date}"),
    # inside the window, why the special criterion does not apply: a restart (§4.3), on the window's line
    "restart": Text("; a restart (Ig given since T0 ended {previous_end}): general criteria",
                    "; genopstart (Ig siden T0 sluttede {previous_end}): generelle kriterier"),
    # ... on a draft judged on its planned start, a course that ends after the day the card is read
    "restart-ends": Text("; a restart (Ig given since T0 ends {previous_end}): general criteria",
                         "; genopstart (Ig siden T0 slutter {previous_end}): generelle kriterier"),
    # the course before was one of recorded doses: its last dose (its end is the course days after it)
    "restart-last-dose": Text("; a restart (Ig since T0, last dose {previous_last_dose}): general criteria",
                              "; genopstart (Ig siden T0, sidste dosis {previous_last_dose}): generelle kriterier"),
    "restart-undated": Text("; a restart: general criteria", "; genopstart: generelle kriterier"),  # no end to give
    # ... while a new order begun by {resume_by} would still continue that course (`library._resumable`): a restart
    # only after that day
    "restart-resumable": Text("; Ig given since T0 ended {previous_end}: a restart after {resume_by}, general criteria",
                              "; Ig siden T0 sluttede {previous_end}: genopstart efter {resume_by}, generelle kriterier"),
    "restart-on-hold-resumable": Text(  # a course on hold, reached by its last dose (`library._resumable`)
        "; Ig on hold since its last dose {on_hold_last_dose}: a restart after {resume_by}, general criteria",
        "; Ig i bero siden sidste dosis {on_hold_last_dose}: genopstart efter {resume_by}, generelle kriterier"),
    "restart-last-given-resumable": Text(  # the course reaches by its last dose (`library._resumable`)
        "; Ig since T0, last dose {ig_last_given}: a restart after {resume_by}, general criteria",
        "; Ig siden T0, sidste dosis {ig_last_given}: genopstart efter {resume_by}, generelle kriterier"),
    "restart-last-dose-resumable": Text(
        "; Ig since T0, last dose {previous_last_dose}: a restart after {resume_by}, general criteria",
        "; Ig siden T0, sidste dosis {previous_last_dose}: genopstart efter {resume_by}, generelle kriterier"),
    "substitution": Text("{episode_product} since {episode_start}", "{episode_product} siden {episode_start}"),
    # ... overdue for its stop, every order running on with an end (an extension set on it): the planned end named
    "substitution-until": Text("{episode_product} since {episode_start}, ordered until {ordered_until}",
                               "{episode_product} siden {episode_start}, ordineret til {ordered_until}"),
    # a course booked ahead that a draft judged on its planned start continues: not begun on the day it is read
    "substitution-booked": Text("{episode_product} booked from {episode_start}",
                                "{episode_product} planlagt fra {episode_start}"),
    # the course's first record gives no start, only the day it was recorded (dateAsserted): begun by then
    "substitution-start-unrecorded": Text("{episode_product} since {episode_start} or before (start not recorded)",
                                          "{episode_product} siden {episode_start} eller før (start ikke registreret)"),
    "immunoglobulin": Text("Immunoglobulin", "Immunglobulin"),
    "order": Text("Draft order: {drug} from {order_start}", "Ordinationsudkast: {drug} fra {order_start}"),
    # ... with its planned end, and the days it would run past the stop date (a clinician signing it sees by how much)
    "order-until": Text("Draft order: {drug} from {order_start} to {order_end}",
                        "Ordinationsudkast: {drug} fra {order_start} til {order_end}"),
    "order-past-stop": Text("Draft order: {drug} from {order_start} to {order_end}, {past_stop} past the stop date",
                            "Ordinationsudkast: {drug} fra {order_start} til {order_end}, {past_stop} efter "
                            "seponeringsdatoen"),
    # ... whose start as written has passed (a copied order): judged from the day it is signed, the start the line gives
    "order-written-start": Text(" (the draft's start {order_written_start} has passed)",
                                " (udkastets start {order_written_start} er passeret)"),
    "age": Text("Age at T0: {age} years", "Alder ved T0: {age} år"),
    "age-at-order": Text("Age at the order's start {order_start}: {age} years",  # a CAR-T order: no T0 yet
                         "Alder ved ordinationens start {order_start}: {age} år"),
    "review": Text("Next stop review {due_date}", "Næste seponeringsvurdering {due_date}"),
}
# What a card calls a counted infection, by its value-set entry's `card_name` (cql_like_rules/valuesets): a word
# beside the date, so "Severe bacterial infection 2026-01-04" says which one. A generic code (A49.9, "bacterial
# infectious disease") has no name and adds no word.
INFECTION_NAME = {
    "sepsis": Text("sepsis", "sepsis"), "urosepsis": Text("urosepsis", "urosepsis"),
    "septic-shock": Text("septic shock", "septisk shock"), "bacteraemia": Text("bacteraemia", "bakteriæmi"),
    "toxic-shock": Text("toxic shock syndrome", "toksisk shock-syndrom"),
    "meningitis": Text("meningitis", "meningitis"), "encephalitis": Text("encephalitis", "encephalitis"),
    "pneumonia": Text("pneumonia", "pneumoni"), "lung-abscess": Text("lung abscess", "lungeabsces"),
    "empyema": Text("empyema", "empyem"), "respiratory": Text("respiratory tract infection", "luftvejsinfektion"),
    "sinusitis": Text("sinusitis", "sinuitis"), "urinary": Text("urinary tract infection", "urinvejsinfektion"),
    "pyelonephritis": Text("pyelonephritis", "pyelonefritis"), "endocarditis": Text("endocarditis", "endokarditis"),
    "arthritis": Text("septic arthritis", "septisk artritis"), "osteomyelitis": Text("osteomyelitis", "osteomyelitis"),
    "catheter": Text("catheter infection", "kateterinfektion"),
    "peritonitis": Text("peritonitis", "peritonitis"), "cellulitis": Text("cellulitis", "flegmone"),
    "erysipelas": Text("erysipelas", "rosen"), "abscess": Text("abscess", "absces"),
    "infusion": Text("infection after an infusion", "infektion efter infusion"),
    "procedure": Text("infection after a procedure", "infektion efter et indgreb"),
}
SPECIMEN = {
    "blood": Text("blood", "blod"), "respiratory": Text("airway", "luftvejs"), "csf": Text("CSF", "spinalvæske"),
    "urine": Text("urine", "urin"), "other": Text("", ""),
}


@lru_cache(maxsize=256)  # an EHR sends the same few headers on every call
def pick_language(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header (English by default)."""
    if not accept_language:
        return "en"
    ranked = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if q > 0:
            ranked.append((-q, position, tag.strip().lower().split("-")[0]))
    for _q, _position, tag in sorted(ranked):
        if tag in LANGUAGES:
            return tag
    return "en"
