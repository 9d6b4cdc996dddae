"""An advice's values and the rule set's parameters as text, per language.

Every placeholder a catalogue template may use is filled here, so wording never holds a
number: thresholds carry their unit ("4 g/L"), periods their word ("6 months",
"6 måneder"), decimals the language's separator ("3,2 g/L"), dates are ISO 8601 in both
languages (unambiguous, and the order an EHR sorts by).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Callable, Mapping

from cql_like_rules.advice import Advice, Value
from cql_like_rules.catalogue import (ALREADY_ON_CHECK, ALREADY_ON_DAY, ALREADY_ON_DAY_OF_KIND, ALREADY_ON_MORE,
                                      ALREADY_ON_REASON, ALREADY_ON_UNNAMED, CATALOGUE, CULTURED_SPECIMEN, FAILING,
                                      FAILING_SAID_BY_SUMMARY,
                                      GENERAL_STOP_REASONS, IGG_TAKEN, OFF_FROM, ORDER_TODO, Text)
from cql_like_rules.facts import RecordText
from cql_like_rules.library import add_months
from cql_like_rules.parameters import Parameters

from .language import SPECIMEN
from .markdown import escape, plain

# polyclonal IgG whose total and M-protein bounds leave it unbounded below (measure-igg m-protein-no-bound)
POLYCLONAL_UNKNOWN = Text("unknown", "ukendt")

def culture_named(item: str, lang: str, one: Text, sets: Text) -> str:
    """A culture as the advice values write it (`infection_cultures`: 'specimen:day', ':sets' for a likely contaminant
    counted by its separate sets) in words: `one` or `sets` (for those) with the specimen, its day and the sets."""
    specimen, _, day = item.partition(":")
    day, _, count = day.partition(":")
    return (sets if count else one)(lang).format(specimen=SPECIMEN.get(specimen, SPECIMEN["other"])(lang), date=day,
                                                 sets=count).strip()


KIND = {"car-t": "CAR-T", "bsab": "bsAb", "car-t-product": "CAR-T"}
T0_EVENT = {
    "car-t": Text("the CAR-T infusion on {t0}", "CAR-T-infusionen {t0}"),
    "bsab": Text("the start of {product} on {t0}", "opstart af {product} {t0}"),
    "bsab-again": Text("the new course of {product} on {t0}", "opstart af et nyt forløb med {product} {t0}"),
    "car-t-product": Text("the CAR-T infusion", "CAR-T-infusionen"),
}
BISPECIFIC = Text("a bispecific antibody", "et bispecifikt antistof")
# How a new bsAb course beside an immunoglobulin order came to be there, by placeholder: (drafted in the same session,
# signed before and booked ahead: `session_therapy_booked`); "…, drafted with this order, would open" / "…, booked, …"
SESSION_HOW = {"session_how_this": (Text("drafted with this order", "i samme udkast"), Text("booked", "(planlagt)")),
               "session_how": (Text("drafted with it", "i udkast"), Text("booked", "planlagt")),
               "session_how_from": (Text("drafted with this order", "i udkast"), Text("booked", "planlagt"))}
DRUG_FALLBACK = {"ig": Text("Immunoglobulin", "Immunglobulin"), "bsab": Text("A bispecific antibody", "Et bispecifikt antistof"),
                 "car-t-product": Text("CAR-T", "CAR-T"),
                 "unrecognised": Text("A drug with no name", "Et lægemiddel uden navn")}  # coded in an unknown system
LOOKS_LIKE = {"ig": Text("immunoglobulin substitution", "immunglobulinsubstitution"),
              "bsab": Text("a bispecific antibody", "et bispecifikt antistof"),
              "car-t-product": Text("a CAR-T product", "et CAR-T-produkt"),
              # a record coded only in a code system the service reads no therapy in: it may be the index therapy
              "unknown-system": Text("a CAR-T or bispecific? (code system not read)",
                                     "CAR-T eller bispecifikt antistof? (kodesystemet læses ikke)")}
# why an M-protein result taken with the IgG was not read (`MProteinUnread.why`)
M_PROTEIN_UNREAD = {"unreadable": Text("its amount could not be read", "mængden kunne ikke læses"),
                    "not-final": Text("not final yet", "ikke endeligt endnu"),
                    "code-unknown": Text("the service does not know its code", "tjenesten kender ikke koden")}
BASELINE = Text("; no usable IgG in the last {stale_days}", "; ingen brugbar IgG de sidste {stale_days}")
LAST = Text("; last {igg} {igg_date}", "; seneste {igg} {igg_date}")
# ... when a later IgG was set aside, taken on Ig or in its washout: "last" alone denied the later one on the card
LAST_OFF_IG = Text("; last off Ig {igg} {igg_date}", "; seneste uden Ig {igg} {igg_date}")
# the to-do of an order that fails for want of a usable IgG, before "Reconsider the order"
MEASURE_FIRST = Text("Measure IgG first (an IgG order is offered). ", "Mål IgG først (en IgG-bestilling tilbydes). ")
# ... when the draft starts further ahead than an IgG stays usable: an IgG now would be too old by its start
MEASURE_FROM = Text("Measure IgG from {igg_from} ({stale_days} before the start; an IgG order so dated is offered). ",
                    "Mål IgG fra {igg_from} ({stale_days} før start; en IgG-bestilling til det tidsrum tilbydes). ")
# ... as MEASURE_FROM, an IgG awaited or drafted already (drawn now, it is too old by the start): none is offered
MEASURE_FROM_ONLY = Text("Measure IgG from {igg_from} ({stale_days} before the start). ",
                         "Mål IgG fra {igg_from} ({stale_days} før start). ")
# ... when the IgG lab order is among the session's drafts already: the to-do names it, as the card's note on it
# (`igg-order-drafted`) is the first to go for room
MEASURE_DRAFTED = Text("Sign the IgG lab order drafted with it{igg_drafted} and await the result. ",
                       "Signér IgG-rekvisitionen i udkastet{igg_drafted}, og afvent svaret. ")
# ... when the order is read on the window a bsAb drafted with it opens: an IgG drawn now is a baseline, so none is
# offered, and the to-do says when the IgG that counts can be taken
MEASURE_AFTER_DOSE = Text("Measure IgG after the first dose ({first_dose_start}); below {threshold} the order then meets "
                          "the start criterion. ",
                          "Mål IgG efter første dosis ({first_dose_start}); under {threshold} opfylder ordinationen "
                          "da startkriteriet. ")
# ... when that IgG is polyclonal (total less an IgG M-protein): a figure the laboratory's sheet does not show as IgG
LAST_POLYCLONAL = Text("; last polyclonal {igg} {igg_date}", "; seneste polyklonale {igg} {igg_date}")
LAST_POLYCLONAL_OFF_IG = Text("; last polyclonal off Ig {igg} {igg_date}",
                              "; seneste polyklonale uden Ig {igg} {igg_date}")
# the FHIR status of a dose or infusion not recorded as given (`UndatedTherapy.not_known_given`), in words
THERAPY_STATUS = {"on-hold": Text("on hold", "i bero"), "unknown": Text("status unknown", "status ukendt"),
                  "in-progress": Text("in progress", "i gang")}  # a Procedure never closed
DAYS_LEFT_BRIEF = Text("{days} left", "om {days}")  # the days left, said briefer where a summary is short of room
ON_THAT_DAY = Text("then", "den dag")  # the stop date ahead, as the summary that names it says when to act
TODAY = Text("today", "i dag")  # the stop date itself: the stop is due today, and no start criterion of the window is left
FAILING_IGG = (Text("IgG {igg} ({igg_date})", "IgG {igg} ({igg_date})"), Text("IgG {igg}", "IgG {igg}"))
# ... when the IgG decided on is polyclonal (total less an IgG M-protein): the summary says so, as other cards do
FAILING_POLYCLONAL = (Text("polyclonal IgG {igg} (total {igg_total_number}) ({igg_date})",
                           "polyklonal IgG {igg} (total {igg_total_number}) ({igg_date})"),
                      Text("polyclonal IgG {igg} ({igg_date})", "polyklonal IgG {igg} ({igg_date})"),
                      Text("polyclonal IgG {igg}", "polyklonal IgG {igg}"))
POLYCLONAL_REASON = Text("polyclonal IgG {igg}", "polyklonal IgG {igg}")  # a criterion naming the IgG, e.g. "not < 4"
MORE_FAILING = (Text(" (+{n} more)", " (+{n} mere)"), Text(" (+{n} more)", " (+{n} flere)"))
MAX_DECIMALS = 6  # a value closer to a threshold than this shows at six decimals
BOUND_DECIMALS = 3  # a bound ("<0.33") keeps up to this many of its decimals
SUMMARY_CHARS = 139  # a summary is shorter than 140 characters (render.SUMMARY_LIMIT)
# An M-protein sent as text is quoted as a data note quotes EHR text (`notes.DISPLAY_LIMIT`'s 40 characters): "M-komponent
# påvist, ikke kvantificerbar" whole, where "M-komponent påvist, ikke…" hid what was not; a summary short of room
# quotes it to `M_PROTEIN_TEXT_BRIEF` (`BRIEF_QUOTES`), and says "not quantified" in its own words there.
M_PROTEIN_TEXT = 40
M_PROTEIN_TEXT_BRIEF = 30
# ... and where even that cuts the criterion an order fails, an M-protein found and not quantified in our words
NOT_QUANTIFIED = Text("not quantified", "ikke kvantificeret")
BRIEF_QUOTES = {"m_protein": "m_protein_brief", "untyped_m_protein": "untyped_m_protein_brief"}
SINCE_T0 = re.compile(r" (after|efter) \{kind\} \{t0\}")  # T0 in a summary, left out where it leaves no room (facts give it)


def number(value: float, lang: str, decimals: int = 1) -> str:
    text = f"{value:.{decimals}f}"
    return text.replace(".", ",") if lang == "da" else text


def g_l(value: float, lang: str, limits: tuple[float, ...] = (), comparator: str = "") -> str:
    """A concentration: one decimal, more when fewer would round onto a threshold it is not
    (3.96, not 4.0; 3.999, not 4.00: "IgG 4.00 g/L < 4 g/L" reads as a contradiction)."""
    decimals = 1
    if comparator:  # a bound is shown as reported: "<0.33" rounded to "<0.3" would claim less than the lab did
        while decimals < BOUND_DECIMALS and abs(round(value, decimals) - value) > 1e-9:
            decimals += 1
    while decimals < MAX_DECIMALS and any(round(value, decimals) == t and abs(value - t) > 1e-9 for t in limits):
        decimals += 1
    while 0 < abs(value) and round(value, decimals) == 0 and decimals < MAX_DECIMALS:
        decimals += 1  # 0.032 g/L (3.2 mg/dL) is no "0.0 g/L": a figure that small is shown, to be checked
    return f"{comparator}{number(value, lang, decimals)} g/L"


def threshold(value: float, lang: str) -> str:
    text = f"{value:g}"
    return (text.replace(".", ",") if lang == "da" else text) + " g/L"


def days(n: int, lang: str) -> str:
    if lang == "da":
        return f"{n} dag" if n == 1 else f"{n} dage"
    return f"{n} day" if n == 1 else f"{n} days"


def months(n: int, lang: str) -> str:
    if lang == "da":
        return f"{n} måned" if n == 1 else f"{n} måneder"
    return f"{n} month" if n == 1 else f"{n} months"


# A restart after the window, by how the course before it ended (`GENERAL_STOP_REASONS`)
AFTER_WINDOW_RESTART = {"restart-after": "after-window-restart-after", "restart-after-dose": "after-window-restart-after-dose"}


def every_months(n: int, lang: str) -> str:
    """A period after "every" / "hver": Danish counts it as an ordinal ("hver 6. måned", "hver måned")."""
    if lang == "da":
        return "måned" if n == 1 else f"{n}. måned"
    return months(n, lang)


def years(n: int, lang: str) -> str:
    if lang == "da":
        return f"{n} år"
    return f"{n} year" if n == 1 else f"{n} years"


def month_range(low: int, high: int, lang: str) -> str:
    return f"{low}–{high} {'måneder' if lang == 'da' else 'months'}"


def iso(value: Value) -> str:
    return value.isoformat() if isinstance(value, date) else str(value or "")


class Placeholders(dict):  # type: ignore[type-arg]
    """A template's values; a missing one shows as "?" rather than failing a card."""

    def __missing__(self, key: str) -> str:
        return "?"


def placeholders(advice: Advice, params: Parameters, lang: str, markdown: bool = False) -> Placeholders:
    """Every value a template may name, as text in `lang`.

    Text taken from the request (a product, a drug, a code and its system, a reported value)
    is plain for the summary and labels, where nothing is rendered, and markdown-escaped when
    `markdown` (the detail): `plain` keeps ":", "." and "@", which an autolinking renderer
    would turn into a link ("www.evil.example").
    """
    return _placeholders(advice, params, lang, escape if markdown else plain)


def placeholder_pair(advice: Advice, params: Parameters, lang: str) -> tuple[Placeholders, Placeholders]:
    """`placeholders` plain (summary, title, labels) and with `markdown` (the detail), built once when they are equal.

    Why: a card needs both, and they differ only where a text from the request reads differently escaped than
    plain (most cards name none, or a product such as "Kymriah"); building them twice was a tenth of a card.
    """
    differs = False

    def watched(value: object, limit: int) -> str:
        nonlocal differs
        shown = plain(value, limit)
        if not differs and value != "":  # most request texts are absent: "" either way
            differs = escape(value, limit) != shown
        return shown

    p = _placeholders(advice, params, lang, watched)
    return p, (_placeholders(advice, params, lang, escape) if differs else Placeholders(p))


def _placeholders(advice: Advice, params: Parameters, lang: str, text: Callable[[object, int], str]) -> Placeholders:
    """`placeholders`, each text from the request shown with `text` (`plain` or `escape`)."""
    v: Mapping[str, Value] = advice.values
    limits = (params.igg_start_threshold_g_l, params.igg_general_threshold_g_l)
    p = Placeholders(
        threshold=threshold(params.igg_start_threshold_g_l, lang),
        general_threshold=threshold(params.igg_general_threshold_g_l, lang),
        window=months(params.window_months, lang),
        general_stop=month_range(params.general_stop_after_months, params.general_stop_latest_months, lang),
        review_every=every_months(params.general_review_every_months, lang),
        dose_course=days(params.ig_administration_course_days, lang),
        continuity_gap=days(params.ig_continuity_gap_days, lang),
        culture_window=days(params.culture_window_days, lang),
        stale_days=days(int(v.get("stale_days") or params.stale_days_in_window), lang),  # type: ignore[arg-type]
        kind=KIND.get(str(v.get("t0_kind", "")), ""),
    )
    for key in ("t0", "stop_date", "igg_date", "episode_start", "due_date", "m_protein_date", "order_start", "order_end",
                "ignored_igg_date", "pre_t0_igg_date", "igg_subclass_date", "today", "therapy_date", "previous_end",
                "session_therapy_start", "other_ig_start", "last_dose", "previous_last_dose", "booked_start",
                "criteria_since", "paused_end", "paused_last_dose", "session_stop_date", "general_stop_first",
                "general_stop_from", "general_stop_to", "current_course_start", "first_dose_start", "follow_on_start",
                "igg_from", "ignored_igg_counts_from", "special_stop_date", "due_without_therapy", "booked_therapy_start",
                "booked_therapy_review", "order_written_start", "on_hold_last_dose", "ig_ended", "ig_last_given",
                "resume_by", "igg_off_from", "cultured_date", "ordered_until"):
        if v.get(key) is not None:
            p[key] = iso(v[key])
    start = v.get("order_start")
    if isinstance(start, date):  # a drafted start: its stop attempt under the general criteria, dated
        first = v.get("general_stop_first")  # the rules' own first attempt, where they moved it (`orders`)
        p["general_stop_from"] = iso(first if isinstance(first, date)
                                     else add_months(start, params.general_stop_after_months))
        p["general_stop_to"] = iso(add_months(start, params.general_stop_latest_months))
    igg = v.get("igg")
    if isinstance(igg, float):
        p["igg"] = g_l(igg, lang, limits, str(v.get("igg_comparator") or ""))
        if v.get("m_protein") is not None and str(v.get("igg_comparator") or "").startswith(">") and igg <= 0:
            p["igg"] = POLYCLONAL_UNKNOWN(lang)  # ">0.0 g/L" is true of any polyclonal IgG: the figures tell nothing
        total_comparator = str(v.get("igg_total_comparator") or "")  # a total reported as a bound stays one
        p["igg_total"] = g_l(float(v.get("igg_total") or 0.0), lang, limits, total_comparator)  # type: ignore[arg-type]
        p["igg_reported"] = text(v.get("igg_reported") or "", 30)
        if v.get("igg_age_days") is not None:
            p["igg_age"] = days(int(v["igg_age_days"]), lang)  # type: ignore[arg-type]
    if isinstance(v.get("m_protein"), float):
        p["m_protein"] = g_l(v["m_protein"], lang, comparator=str(v.get("m_protein_comparator") or ""))  # type: ignore[arg-type]
        if v.get("m_protein_reported"):  # sent as text: the record's words, quoted by `named` ("spor", "1,2 g/L")
            reported = RecordText(v["m_protein_reported"])  # always the laboratory's (`MProteinResult.reported`)
            p["m_protein"] = named(reported, M_PROTEIN_TEXT, text)
            p["m_protein_brief"] = named(reported, M_PROTEIN_TEXT_BRIEF, text)
        p["igg_total_number"] = str(v.get("igg_total_comparator") or "") + number(float(v.get("igg_total") or 0.0), lang)  # type: ignore[arg-type]
    for key in ("untyped_m_protein", "polyclonal_if_igg"):  # an M-protein of unknown type (paraprotein caveat)
        if isinstance(v.get(key), float):
            p[key] = g_l(v[key], lang, limits, str(v.get(f"{key}_comparator") or ""))  # type: ignore[arg-type]
    if v.get("untyped_m_protein_reported"):  # an M-protein of unknown type sent as text: as sent, quoted by `named`
        untyped = RecordText(v["untyped_m_protein_reported"])
        p["untyped_m_protein"] = named(untyped, M_PROTEIN_TEXT, text)
        p["untyped_m_protein_brief"] = named(untyped, M_PROTEIN_TEXT_BRIEF, text)
    if v.get("untyped_m_protein_date") is not None:
        p["untyped_m_protein_date"] = iso(v["untyped_m_protein_date"])
    if v.get("m_protein_unread_date") is not None:  # an M-protein taken with the IgG and not read (why, in words)
        p["m_protein_unread_date"] = iso(v["m_protein_unread_date"])
        p["m_protein_unread_why"] = M_PROTEIN_UNREAD.get(str(v.get("m_protein_unread_why")),
                                                         M_PROTEIN_UNREAD["unreadable"])(lang)
        if v.get("m_protein_unread_reported"):  # the words the amount was sent as, quoted: "“se kommentar”, its ..."
            quoted = named(RecordText(v["m_protein_unread_reported"]), M_PROTEIN_TEXT_BRIEF, text)
            p["m_protein_unread_why"] = f"{quoted}, {p['m_protein_unread_why']}"
    if isinstance(v.get("last_m_protein"), float) and v.get("last_m_protein_date") is not None:
        p["last_m_protein"] = g_l(v["last_m_protein"], lang,  # type: ignore[arg-type]
                                  comparator=str(v.get("last_m_protein_comparator") or ""))
        p["last_m_protein_date"] = iso(v["last_m_protein_date"])
        p["last_m_protein_before"] = days(int(v.get("last_m_protein_days_before") or 0), lang)  # type: ignore[arg-type]
    if isinstance(v.get("paraprotein_threshold"), float):
        p["paraprotein_threshold"] = threshold(v["paraprotein_threshold"], lang)  # type: ignore[arg-type]
    if v.get("igg_drafted_source") is not None:  # an IgG lab order drafted in the session, dated when it is
        p["igg_drafted"] = f" ({iso(v['igg_drafted_date'])})" if v.get("igg_drafted_date") is not None else ""
    if v.get("igg_pending_date") is not None:  # an IgG registered by the laboratory, no result yet
        p["igg_pending_date"] = iso(v["igg_pending_date"])
    if isinstance(v.get("pre_t0_igg"), float):  # the newest IgG before T0, on a card with none since (not used)
        p["pre_t0_igg"] = g_l(v["pre_t0_igg"], lang, limits, str(v.get("pre_t0_igg_comparator") or ""))  # type: ignore[arg-type]
    if v.get("igg_subclass_source") is not None:  # an IgG subclass, on a card with no usable IgG (not used)
        p["igg_subclass"] = named(RecordText(str(v["igg_subclass"])), 40, text, capital=True) \
            if v.get("igg_subclass") else text(str(v.get("igg_subclass_code") or ""), 20)  # no name: its code
        p["igg_subclass_reported"] = text(str(v.get("igg_subclass_reported") or ""), 20)
    if isinstance(v.get("ignored_igg"), float):
        p["ignored_igg"] = g_l(v["ignored_igg"], lang, limits, str(v.get("ignored_igg_comparator") or ""))  # type: ignore[arg-type]
    dates = v.get("infection_dates")
    episodes = v.get("infection_episodes")  # several episodes, one severe deciding: all of them dated
    if isinstance(episodes, tuple) and len(episodes) > 1:
        dates = episodes
    if isinstance(dates, tuple) and dates:  # the last three, as the fact line shows them
        p["infection_dates"] = ", ".join(dates[-3:])
    left = v.get("days_to_stop")
    if isinstance(left, int):
        p["days_left"] = (f"{days(left, lang)} {'tilbage' if lang == 'da' else 'left'}" if left > 0
                          else TODAY(lang) if left == 0 else "")
        # briefer, for a summary short of room ("om 137 dage", not "137 dage tilbage"): said rather than dropped
        p["days_left_brief"] = DAYS_LEFT_BRIEF(lang).format(days=days(left, lang)) if left > 0 else p["days_left"]
        p["days_overdue"] = days(-left, lang)
        p["on_the_day"] = (TODAY if left == 0 else ON_THAT_DAY)(lang)  # "pause substitution today", not "then"
    if v.get("age") is not None:
        p["age"] = str(v["age"])
    product = named(v.get("t0_product"), 30, text)
    p["product"] = product or BISPECIFIC(lang)
    kind = str(v.get("t0_kind", ""))
    if kind == "bsab" and isinstance(v.get("t0_pause_days"), int):  # a new course of a drug given before
        pause = int(v["t0_pause_days"])  # type: ignore[arg-type]
        p["t0_pause"] = f"{pause} dages pause" if lang == "da" else f"a {pause}-day pause"
        kind = "bsab-again"
    p["t0_event"] = T0_EVENT.get(kind, T0_EVENT["car-t"])(lang).format_map(p)
    p["drug"] = named(v.get("order_drug"), 30, text, capital=True) \
        or DRUG_FALLBACK.get(str(v.get("order_kind")), DRUG_FALLBACK["ig"])(lang)
    p["episode_product"] = named(v.get("episode_product"), 20, text)
    if v.get("session_therapy_start") is not None:  # a new bsAb course drafted with an immunoglobulin order
        p["session_therapy"] = named(v.get("session_therapy"), 30, text, capital=True) or BISPECIFIC(lang)
        p["session_therapy_inline"] = named(v.get("session_therapy"), 30, text) or BISPECIFIC(lang)  # mid-sentence
        booked = bool(v.get("session_therapy_booked"))
        p.update({key: how[booked](lang) for key, how in SESSION_HOW.items()})
    if v.get("first_dose_start") is not None:  # the first bsAb dose drafted with it, whose window the order is read on
        p["first_dose_drug"] = named(v.get("first_dose_drug"), 30, text, capital=True) or BISPECIFIC(lang)
    if v.get("unconfirmed_infection_date") is not None:  # infections not confirmed that would decide (the latest)
        p["unconfirmed_infection"] = named(v.get("unconfirmed_infection"), 40, text, capital=True)
        p["unconfirmed_infection_date"] = iso(v["unconfirmed_infection_date"])
        p["unconfirmed_infection_more"] = str(v.get("unconfirmed_infection_more") or 0)
    if v.get("booked_therapy_start") is not None:  # a new bsAb course booked ahead, that moves the special stop
        p["booked_therapy"] = named(v.get("booked_therapy"), 30, text, capital=True) or BISPECIFIC(lang)
        p["booked_therapy_inline"] = named(v.get("booked_therapy"), 30, text) or BISPECIFIC(lang)
    if v.get("cultured_sources"):  # sterile-site cultures with no diagnosis that could decide (the latest)
        p["cultured_specimen"] = CULTURED_SPECIMEN[str(v.get("cultured_specimen"))](lang)
        p["cultured_date"] = iso(v.get("cultured_date"))
        p["cultured_more"] = str(v.get("cultured_more") or 0)
    if v.get("uncoded_infection_sources"):  # infections known only by name that could decide (the latest)
        p["uncoded_infection"] = named(v.get("uncoded_infection"), 40, text, capital=True)
        p["uncoded_infection_date"] = iso(v.get("uncoded_infection_date"))
        p["uncoded_infection_more"] = str(v.get("uncoded_infection_more") or 0)
    if v.get("other_ig_start") is not None:  # another Ig draft of the session, overlapping this one
        p["other_ig_drug"] = named(v.get("other_ig_drug"), 30, text, capital=True) or DRUG_FALLBACK["ig"](lang)
        more = v.get("other_ig_more")
        p["other_ig_more"] = f" (+{more})" if isinstance(more, int) and more > 0 else ""
    if v.get("follow_on_start") is not None:  # another Ig draft of the session, carrying this one's course on
        p["follow_on_drug"] = named(v.get("follow_on_drug"), 30, text, capital=True) or DRUG_FALLBACK["ig"](lang)
    if v.get("order_looks_like") or "order_code" in v:  # an unrecognised order, therapy or diagnosis: its code
        p["looks_like"] = LOOKS_LIKE.get(str(v.get("order_looks_like")), LOOKS_LIKE["ig"])(lang)
        p["order_code"] = text(v.get("order_code") or "?", 20)  # in a summary
        p["order_code_whole"] = text(v.get("order_code") or "?", 40)  # the code to add, as sent (facts keep 40)
        p["order_code_system"] = text(v.get("order_code_system") or "", 60)
        # a code sent under the wrong known system (`wrong-system`): the system whose code it is
        p["right_code_system"] = text(v.get("right_code_system") or "?", 20)
    if isinstance(v.get("unknown_records"), int):  # records coded only in an unknown system (`unknown-system`)
        p["unknown_records"] = str(v["unknown_records"])
    if v.get("therapy_date_as_recorded"):  # a therapy dated by its month or year only: as written, no day invented
        p["therapy_date"] = text(v["therapy_date_as_recorded"], 20)
    if v.get("therapy_recorded") is not None:  # a therapy's date as recorded, naming no day ("2025-10"): always the
        # record's words (`UndatedTherapy.recorded`, as written), quoted by `named` as any other (an advice's values
        # are read back from JSON on the page, where a `RecordText` would be plain again: decided by the field)
        p["therapy_recorded"] = named(RecordText(v["therapy_recorded"]), 40, text)
    if v.get("therapy_status"):  # a dose or infusion not recorded as given: its FHIR status in words
        p["therapy_status"] = THERAPY_STATUS.get(str(v["therapy_status"]), THERAPY_STATUS["unknown"])(lang)
    if v.get("therapy_reason") is not None:  # why a CAR-T infusion was stopped, as sent ("Ikke givet"): always the
        # record's words (`UndatedTherapy.not_given`), quoted by `named` as `therapy_recorded` is
        p["therapy_reason"] = named(RecordText(v["therapy_reason"]), 40, text)
    if v.get("ig_maybe_on_type") is not None:  # a record the patient may already be on (`already_on`)
        p["ig_maybe_on"] = _already_on(v, lang, text)
        p["ig_maybe_on_brief"] = _already_on(v, lang, text, brief=True)
        p["ig_maybe_on_check"] = ALREADY_ON_CHECK.get(str(v.get("ig_maybe_on_check")), ALREADY_ON_CHECK["withheld"])(lang)
    # an order that fails the criteria: the to-do leads with the IgG to measure, and ends with what is due
    p["measure_first"] = _todo_lead(advice, p, lang)
    p["reconsider"] = ORDER_TODO[_todo_ending(advice)](lang).format_map(p)
    p["baseline"] = "" if "igg" in p else BASELINE(lang).format_map(p)
    # a later IgG set aside, taken on immunoglobulin or in its washout (§3.4; the rules' one caveat for it, which the
    # card words by where it was taken)
    later_set_aside = "igg-during-substitution-ignored" in advice.caveats
    last = (LAST_POLYCLONAL_OFF_IG if later_set_aside else LAST_POLYCLONAL) if v.get("m_protein") is not None else \
        LAST_OFF_IG if later_set_aside else LAST
    p["last"] = last(lang).format_map(p) if "igg" in p else ""
    if isinstance(v.get("restart_gap_days"), int):
        p["restart_gap"] = days(int(v["restart_gap_days"]), lang)  # type: ignore[arg-type]
    restarted_after = "restart-after" if v.get("previous_end") is not None else \
        "restart-after-dose" if v.get("previous_last_dose") is not None else ""
    reason_key = str(v.get("reason") or "")
    if restarted_after and reason_key == "restart":
        reason_key = restarted_after
    elif restarted_after and reason_key == "after-window":
        # a course begun after the window that follows an earlier one since T0 is a restart after the stop date: said
        # so, with the gap, not only "began after the window" (a gap of days reads as the stop never made)
        reason_key = AFTER_WINDOW_RESTART[restarted_after]
    if reason_key == "paused-for-infusion" and isinstance(v.get("paused_days"), int):  # the course paused, dated
        p["paused_days"] = days(int(v["paused_days"]), lang)  # type: ignore[arg-type]
        reason_key = "paused-for-infusion-dose" if v.get("paused_last_dose") is not None else "paused-for-infusion-until"
    reason = GENERAL_STOP_REASONS.get(reason_key)
    if reason is not None:
        p["general_stop_reason"] = reason(lang).format_map(p)
    p["igg_taken"] = IGG_TAKEN[bool(v.get("igg_in_washout"))](lang)
    p["off_from"] = OFF_FROM(lang).format_map(p) if "igg_off_from" in p else ""
    failing = v.get("failing")
    if isinstance(failing, tuple):
        polyclonal = "m_protein" in p
        later = isinstance(v.get("order_start"), date) and isinstance(v.get("today"), date) \
            and v["order_start"] > v["today"]  # type: ignore[operator]
        failing = tuple("no-recent-igg-at-start" if f == "no-recent-igg" and later else f for f in failing)
        worded = [(f, _polyclonal(FAILING[f](lang), lang) if polyclonal else FAILING[f](lang))
                  for f in failing if f in FAILING]
        p["failing_all"] = "; ".join(t.format_map(p) for _, t in worded)  # the detail's "Not met" line: every criterion
        said = FAILING_SAID_BY_SUMMARY.get((advice.code, advice.variant), frozenset())
        templates = [t for f, t in worded if f not in said]  # the summary's: those its own words do not say
        reasons = [r.format_map(p) for r in templates]
        # an IgG taken on substitution or in its washout shows infused immunoglobulin (§3.4): a summary that led with it
        # ("does not meet the criteria: IgG 7.2 g/L; the stop date has passed") read as recovery; the detail names it
        igg_leads = "igg-during-substitution" not in advice.caveats  # (worded "-other-use" by the card, not the rules)

        def brief(room: int) -> str:
            """The criteria within `room`; an M-protein sent as text quoted shorter where its words whole would cut the
            criterion that names it, else, found and not quantified, said in our words ("polyclonal IgG <5.0 g/L
            (total 5.0, M-protein “…”), unclear whether < 4 g/L" lost its "unclear whether < 4 g/L"; a quote cut
            to "Påvist, ikke…" would read as not found)."""
            shown = failing_brief(reasons, p, lang, room, igg=igg_leads)
            if not v.get("m_protein_reported") or not shown.endswith("…"):
                return shown
            trace = v.get("m_protein") == 0.0 and v.get("m_protein_comparator") == ">"  # found, not quantified
            for m_protein in (p["m_protein_brief"], *([NOT_QUANTIFIED(lang)] if trace else [])):
                briefer = Placeholders(p, m_protein=m_protein)
                shorter = failing_brief([r.format_map(briefer) for r in templates], briefer, lang, room,
                                        igg=igg_leads)
                if not shorter.endswith("…"):
                    return shorter
            return shown

        summary = CATALOGUE[advice.code].variant(advice.variant).summary(lang) if advice.code in CATALOGUE else None
        room = SUMMARY_CHARS - len(summary.format_map(Placeholders(p, failing=""))) if summary is not None else 100
        p["failing"] = brief(room)
        if p["failing"].endswith("…") and summary is not None and SINCE_T0.search(summary):
            # T0 leaves no room for the criterion whole ("cannot be placed against 4 g/L"): the summary goes without
            # it (`render.summary` falls back), the facts give T0
            room = SUMMARY_CHARS - len(SINCE_T0.sub("", summary).format_map(Placeholders(p, failing="")))
            p["failing"] = brief(room)
    return p


def _already_on(v: Mapping[str, Value], lang: str, text: Callable[[object, int], str], brief: bool = False) -> str:
    """The record the caveat `ig-maybe-on` names: its drug as the record names it, how and when it is dated by its
    type ("ordered 2025-12-30"), why it was not read ("code not known": its note may be cut on a crowded card), and
    how many more such records there are; `brief`: without its day and why (`catalogue.BRIEFER_CAVEATS`)."""
    display = str(v.get("ig_maybe_on") or "")
    shown = named(RecordText(display) if v.get("ig_maybe_on_words") else display, 40, text, capital=True) \
        or ALREADY_ON_UNNAMED(lang)
    kind, day = str(v.get("ig_maybe_on_kind")), str(v.get("ig_maybe_on_day") or "")
    dated = ALREADY_ON_DAY_OF_KIND.get(kind) or ALREADY_ON_DAY.get(str(v.get("ig_maybe_on_type")))
    reason = ALREADY_ON_REASON.get(kind)
    said = [*([dated(lang).format(day=day) if dated is not None else day] if day else []),
            *([reason(lang)] if reason is not None else [])]
    if said and not brief:
        shown += f" ({'; '.join(said)})"
    more = v.get("ig_maybe_on_more")
    return ALREADY_ON_MORE(lang).format(named=shown, n=more) if isinstance(more, int) and more > 0 else shown


def named(value: Value, limit: int, text: Callable[[object, int], str], capital: bool = False) -> str:
    """A name put into a sentence: the record's own words (`RecordText`: a therapy's or a diagnosis' text as the EHR
    wrote it) quoted as written, so a card never passes them off as its own ("Not checked: “Behandling med
    CAR-T-celler” on …"); a name of the service's (a value set's INN) as a word of the sentence, capitalised at its
    start when `capital`. Every template takes its names from here, none quotes one itself: never quoted twice."""
    if not value:
        return ""
    shown = text(value, limit)
    if isinstance(value, RecordText):
        return f"“{shown}”"
    return shown[:1].upper() + shown[1:] if capital else shown


def _polyclonal(template: str, lang: str) -> str:
    """A criterion that begins with the IgG ("IgG {igg} ... is not < 4 g/L") names it as polyclonal IgG."""
    return POLYCLONAL_REASON(lang) + template[len("IgG {igg}"):] if template.startswith("IgG {igg}") else template


def _todo_lead(advice: Advice, p: Placeholders, lang: str) -> str:
    """What an order that fails the criteria leads its to-do with, before "Reconsider the order": the IgG to measure
    (offered, drafted already, or after a drafted first dose)."""
    if advice.code != "order-does-not-meet-criteria":
        return ""
    failing = advice.values.get("failing")
    if advice.values.get("igg_from") is not None:
        return (MEASURE_FROM if "order-igg" in advice.suggestions else MEASURE_FROM_ONLY)(lang).format_map(p)
    if "order-igg" in advice.suggestions:
        return MEASURE_FIRST(lang)
    if "igg-order-drafted" in advice.caveats:
        return MEASURE_DRAFTED(lang).format_map(p)
    if "first-dose-drafted-with-it" in advice.caveats and isinstance(failing, tuple) and "no-igg-since-t0" in failing:
        return MEASURE_AFTER_DOSE(lang).format_map(p)
    return ""


def _todo_ending(advice: Advice) -> str:
    """The `ORDER_TODO` ending of an order card's to-do: a draft renewing substitution begun in the window, from its
    stop date on, fails for that alone, and the stop attempt is what is due (overdue once the day the card is read is
    past it). Not where infections may carry the course on by the general criteria, nor where a bsAb drafted with it
    opens a new window: the card's note weighs those."""
    v = advice.values
    failing = v.get("failing")
    late = isinstance(failing, tuple) and bool({"past-stop-date", "starts-after-stop-date"} & set(failing))
    weighed = {"infections-at-stop-attempt", "therapy-drafted-with-it", "infections-unconfirmed",
               "infections-unconfirmed-several", "infections-uncoded", "infections-uncoded-several"} & set(advice.caveats)
    if advice.code != "order-does-not-meet-criteria" or not v.get("on_substitution") or not late or weighed:
        return "reconsider"
    read_on, stop = v.get("today"), v.get("stop_date")
    return "stop-overdue" if isinstance(read_on, date) and isinstance(stop, date) and stop < read_on else "stop-due"


def failing_brief(reasons: list[str], p: Placeholders, lang: str, room: int, igg: bool = True) -> str:
    """The failing criteria within `room` characters for a summary: the IgG the decision used
    (with its date if it fits; not where `igg` is false) and as many whole criteria as fit, then "(+n more)" — never a
    criterion cut off mid-word."""
    igg_named = not igg or any(reason.startswith(("IgG ", "polyclonal IgG ", "polyklonal IgG "))
                               for reason in reasons[:1])
    named = (*FAILING_POLYCLONAL, *FAILING_IGG) if "m_protein" in p else FAILING_IGG  # the IgG named, polyclonal if room
    values = [""] if igg_named or "igg" not in p else [t(lang).format_map(p) + "; " for t in named] + [""]
    for value in values:
        for shown in range(len(reasons), 0, -1):
            rest = len(reasons) - shown
            text = value + "; ".join(reasons[:shown]) + (MORE_FAILING[rest > 1](lang).format(n=rest) if rest else "")
            if len(text) <= room:
                return text
    return reasons[0][: max(room - 1, 1)].rstrip() + "…" if reasons else ""
