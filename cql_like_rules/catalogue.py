"""The advice catalogue: every advice code, in one place, in English and Danish.

Each `AdviceKind` holds what the rest of the product needs to know about one code: the
guideline section, the indicator, whether it is information only, the suggestions and
override reasons it may carry, its rank on the population worklist, and its wording — a
title, and per situation (variant) a summary, a one-sentence decision and what to do.
Discovery, OpenAPI, the kill switch, the worklist, the docs table and both languages read it.

Wording rules:
- No number, period or threshold is written into text: templates take them from the
  parameters and the advice (`{threshold}`, `{window}`, `{stop_date}` ...), formatted per
  language by the card layer (`cds_service.cards.values`). So a site's policy file changes
  the cards too.
- Dates are ISO 8601 (2026-05-18) in both languages: unambiguous, and how the EHR sorts them.
- Summaries stay under 140 characters with realistic values (checked by tests).
- The clinical text is this project's own; facts and numbers come from the guideline.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, Mapping

Indicator = Literal["info", "warning"]
LANGUAGES = ("en", "da")


@dataclass(frozen=True)
class Text:
    """One text in both languages."""

    en: str
    da: str

    def __call__(self, lang: str) -> str:
        return self.da if lang == "da" else self.en


@dataclass(frozen=True)
class Variant:
    """One situation of an advice code: what the card says, and what is to be done."""

    summary: Text
    decision: Text
    action: Text
    indicator: Indicator | None = None  # overrides the code's indicator
    information_only: bool | None = None  # overrides the code's
    section: str | None = None  # overrides the code's guideline section
    worklist_rank: int | None = None  # puts this situation on the worklist where the code is not (`AdviceKind`)
    # A sentence the to-do gains where the card has room for it with nothing else lost: the first line to go on a
    # crowded card (cds_service/cards/render.py, `detail`).
    spare_action: Text | None = None


@dataclass(frozen=True)
class AdviceKind:
    code: str
    title: Text
    section: str
    indicator: Indicator
    information_only: bool
    hooks: tuple[str, ...]
    variants: Mapping[str, Variant]
    suggestions: tuple[str, ...] = ()
    override_reasons: tuple[str, ...] = ()
    worklist_rank: int | None = None  # None: not on the worklist (no action due)
    # The card advises against a start: vaccination and antibiotic prophylaxis are the guideline's alternative there
    # (the decision table's "criteria not met" row, §4.1, §4.3), so a crowded card keeps the reminder (`REMINDER`)
    # before its explanatory notes (cds_service/cards/render.py, `KEEPS`).
    advises_against_start: bool = False
    variant_doc: Mapping[str, str] = field(default_factory=dict)

    def variant(self, name: str = "") -> Variant:
        try:
            return self.variants[name]
        except KeyError:
            raise KeyError(f"advice {self.code!r} has no variant {name!r} (has {sorted(self.variants)})") from None

    def indicator_of(self, variant: str = "") -> Indicator:
        return self.variant(variant).indicator or self.indicator

    def information_only_of(self, variant: str = "") -> bool:
        chosen = self.variant(variant).information_only
        return self.information_only if chosen is None else chosen

    def section_of(self, variant: str = "") -> str:
        return self.variant(variant).section or self.section

    def worklist_rank_of(self, variant: str = "") -> int | None:
        """The worklist rank of this situation: its own where it has one (a code whose other situations need no
        action from a list, such as a course booked after the stop date among "no start" cards), else the code's."""
        chosen = self.variant(variant).worklist_rank
        return self.worklist_rank if chosen is None else chosen


PATIENT_VIEW = ("patient-view",)
ORDERS = ("order-select", "order-sign")
ALL_HOOKS = PATIENT_VIEW + ORDERS

_START_ACTION = Text(
    "If substitution is started, end the order on {stop_date} and attempt the stop then; measure IgG off "
    "substitution afterwards.",
    "Startes substitution, så lad ordinationen slutte {stop_date} og forsøg seponering da; mål IgG uden "
    "substitution bagefter.",
)

_GENERAL_START_SUMMARY = Text(
    "IgG {igg} < {threshold} ({igg_date}) with severe/recurrent bacterial infections: Ig may be started (general "
    "criteria)",
    "IgG {igg} < {threshold} ({igg_date}) og svære/tilbagevendende bakterielle infektioner: Ig kan startes "
    "(generelle kriterier)")
_GENERAL_START_DECISION = Text(
    "IgG below {threshold} with severe or recurrent verified bacterial infections meets the general start criteria.",
    "IgG under {threshold} med svære/tilbagevendende verificerede bakterielle infektioner opfylder de generelle "
    "startkriterier.")
# the dates of "6-12 months after its start" for a course begun on the day the card is read (a patient-view card
# knows no start): where the card has room
_BEGUN_TODAY = Text("If begun today: stop attempt {general_stop_from} to {general_stop_to}.",
                    "Startes substitutionen i dag: seponeringsforsøg {general_stop_from} til {general_stop_to}.")
_NO_START_SUMMARY = Text(
    "IgG {igg} < {threshold} ({igg_date}), no severe/recurrent verified bacterial infection: Ig start not recommended",
    "IgG {igg} < {threshold} ({igg_date}), ingen svær/tilbagevendende verificeret bakteriel infektion: Ig-start "
    "frarådes",
)
_NO_START_AFTER_STOP_ACTION = Text(
    "Do not start on IgG alone; if infections return after a stop, antibiotic prophylaxis can be tried.",
    "Start ikke på IgG alene; vender infektionerne tilbage efter seponering, kan antibiotikaprofylakse forsøges.",
)
_NO_START_DECISION = Text(
    "After the high-risk window, or for a restart, the general criteria need severe or recurrent verified bacterial "
    "infections besides IgG below {threshold}.",
    "Efter højrisikoperioden og ved genopstart kræver de generelle kriterier svære eller tilbagevendende verificerede "
    "bakterielle infektioner ud over IgG under {threshold}.",
)
# ... for a restart while the window still runs, where "after the high-risk window" would not be the reason
_NO_START_RESTART_DECISION = Text(
    "A restart follows the general criteria even inside the window: they need severe or recurrent verified bacterial "
    "infections besides IgG below {threshold}.",
    "En genopstart følger de generelle kriterier også i perioden: de kræver svære eller tilbagevendende verificerede "
    "bakterielle infektioner ud over IgG under {threshold}.",
)

_PARAPROTEIN_DECISION = Text(
    "In IgG myeloma the total IgG includes the M-protein and decisions rest on polyclonal IgG (total minus the "
    "M-protein); without the M-protein's type it cannot be told whether polyclonal IgG is below "
    "{paraprotein_threshold}.",
    "Ved IgG-myelomatose rummer total-IgG M-komponenten, og der besluttes ud fra polyklonal IgG (total minus "
    "M-komponenten); uden M-komponentens type kan det ikke afgøres, om polyklonal IgG er under "
    "{paraprotein_threshold}.",
)
_PARAPROTEIN_ACTION = Text(
    "Ask the laboratory for serum immunofixation (the M-protein's isotype); if it is IgG, decide on total IgG minus "
    "the M-protein measured with it.",
    "Bed laboratoriet om immunfiksation i serum (M-komponentens isotype); er den IgG, så beslut ud fra total-IgG "
    "minus den samtidigt målte M-komponent.",
)

# IgG 4 to < 6 g/L (general-criteria-igg-under-6), inside the window or not
_UNDER_6_SUMMARY = Text("IgG {igg} ({igg_date}) is {threshold} to < {general_threshold}: no special criterion; general "
                        "SID criteria apply",
                        "IgG {igg} ({igg_date}) er {threshold} til < {general_threshold}: intet særkriterium; de "
                        "generelle SID-kriterier gælder")
# the general stop criteria's review: the review date shown may be the window's end, which the reader must not take
# for the special stop (clinical rules §4: the first attempt at the later of the start + 6 months and the stop date)
_GENERAL_STOP_REVIEW_DECISION = Text(
    "Because {general_stop_reason}, the general stop criteria apply, not the special stop; their first review comes "
    "when the high-risk window ends at the earliest.",
    "Da {general_stop_reason}, gælder de generelle seponeringskriterier, ikke særkriteriets seponering; første "
    "vurdering ligger tidligst ved højrisikoperiodens slut.")
# The detail of a resumed bsAb course's card for a patient on immunoglobulin (`plan-igg-monitoring` variants
# continues-stop, continues-stop-overdue, continues-review): the Ig's own stop or review goes on (§3.4)
_CONTINUES_ON_IG = Text("This order continues a course that started on {t0}; it opens no new window. An IgG taken on "
                        "immunoglobulin shows the infused dose, so none is asked for now.",
                        "Ordinationen fortsætter et forløb, der startede {t0}; den åbner ingen ny periode. En IgG taget "
                        "under immunglobulin viser den infunderede dosis, så der bestilles ingen nu.")
_UNDER_6_PARAPROTEIN_SUMMARY = Text(
    "Total IgG {igg} ({igg_date}) may include an M-protein: polyclonal IgG < {threshold} would meet the criteria; "
    "clarify it first",
    "Total-IgG {igg} ({igg_date}) kan rumme en M-komponent: polyklonal IgG < {threshold} ville opfylde kriterierne; "
    "afklar den først")
_UNDER_6_ACTION = Text("No start on this advice; assess by the general SID criteria.",
                       "Ingen start på dette grundlag; vurdér efter de generelle SID-kriterier.")
_CHILD_SUMMARY = Text(
    "Child ({age} y at {kind} {t0}): Ig substitution is an individual assessment, not the adult criteria",
    "Barn ({age} år ved {kind} {t0}): Ig-substitution vurderes individuelt, ikke efter voksenkriterierne",
)
_CHILD_DECISION = Text(
    "The criteria do not cover children: the need for substitution is assessed individually, and routine "
    "substitution may be used where clinicians find it relevant.",
    "Kriterierne omfatter ikke børn: behovet for substitution vurderes individuelt, og rutinemæssig substitution "
    "kan bruges, hvor klinikerne finder det relevant.",
)
_CHILD_CAR_T_ACTION = Text(
    "Decide individually; after CAR-T, routine substitution is far from always needed.",
    "Vurdér individuelt; efter CAR-T er rutinemæssig substitution langt fra altid relevant.",
)

_STOP_PLANNED_SUMMARY = Text(
    "Ig substitution after {kind} {t0}: plan the stop attempt on {stop_date} ({days_left})",
    "Ig-substitution efter {kind} {t0}: planlæg seponeringsforsøg {stop_date} ({days_left})",
)
_STOP_DUE_DECISION = Text(
    "The stop date of substitution started in the window has come or is near.",
    "Seponeringsdatoen for substitution startet i perioden er nået eller nær.",
)
_STOP_PLANNED_DECISION = Text(
    "Substitution started in the window without prior severe/recurrent bacterial infections is to be stopped "
    "{window} after {t0_event}.",
    "Substitution startet i perioden uden tidligere svære/tilbagevendende bakterielle infektioner skal seponeres "
    "{window} efter {t0_event}.",
)
# The stop is there to judge recovery by IgG off substitution (§3.4, §4.3): a no-start card after a stop whose IgG
# cannot show it asks for one, where it has room
_MEASURE_RECOVERY = Text("Measure IgG off substitution{off_from} to see whether it has recovered (§3.4).",
                         "Mål IgG uden substitution{off_from} for at se, om den er restitueret (§3.4).")
# ... led by the IgG to measure first where the card offers that order (no usable or recent IgG); `ORDER_TODO` says
# which of its endings the card takes
_RECONSIDER = Text("{measure_first}{reconsider}", "{measure_first}{reconsider}")
ORDER_TODO = {
    "reconsider": Text("Reconsider the order, or sign it with a reason.",
                       "Genovervej ordinationen, eller signér med en begrundelse."),
    # a renewal of substitution begun in the window, from its stop date on, no infection or new window to weigh: the
    # stop attempt is what is due (§4.2), and IgG off substitution is how it is judged (§3.4)
    "stop-due": Text("Stop attempt due {stop_date}: do not renew; measure IgG off substitution. Or sign it with a "
                     "reason.",
                     "Forsøg seponering {stop_date}: forny ikke; mål IgG uden substitution. Eller signér med en "
                     "begrundelse."),
    # ... the stop date has passed: the stop attempt is overdue, as patient-view says the same day
    "stop-overdue": Text("Stop attempt overdue since {stop_date}: do not renew; measure IgG off substitution. Or sign "
                         "it with a reason.",
                         "Seponeringsforsøget skulle være sket {stop_date}: forny ikke; mål IgG uden substitution. "
                         "Eller signér med en begrundelse."),
}
# The stop is an attempt to judge immune restitution, which is IgG measured in a period off substitution (§3.4,
# §4.3): every card that tells to pause or stop says so after its own to-do.
_MEASURE_AFTER_STOP = Text("Then measure IgG off substitution.",
                           "Mål derefter IgG uden substitution.")
# ... and where the card asks whether to pause, which the clinician may decide against (infections persist): only if so.
_MEASURE_IF_PAUSED = Text("If you pause it, measure IgG off substitution.",
                          "Pauseres den, så mål IgG uden substitution.")


# An order (or draft) that ends more than the stop-due days before the stop date: the guideline has substitution begun
# in the window run to the stop date, which covers the months of highest risk (§4.1, §4.3), and a start after an
# earlier stop is a restart, held to the general criteria (§4.3); the clinician who ordered the shorter course decides
_ENDS_EARLIER_ACTION = Text(
    "Renew it to {stop_date}, or stop when it ends ({order_end}); a new start more than {continuity_gap} later is a "
    "restart (general criteria).",
    "Forny den til {stop_date}, eller seponér, når den slutter ({order_end}); start over {continuity_gap} senere er "
    "genopstart (generelle kriterier).")


def _then_measure(action: Text, measure: Text = _MEASURE_AFTER_STOP) -> Text:
    """`action` followed by the reminder to measure IgG off substitution after the stop (`_MEASURE_AFTER_STOP`, or
    `_MEASURE_IF_PAUSED` where the stop is only to be considered)."""
    return Text(f"{action.en} {measure.en}", f"{action.da} {measure.da}")


# The draft coded only in a code system the service reads no drug in, with no name (`order-not-recognised`).
_UNKNOWN_SYSTEM_DRAFT = Variant(
    Text("Order not checked: its code {order_code} is in a code system this service reads no drug in",
         "Ordination ikke vurderet: koden {order_code} er i et kodesystem, tjenesten ikke læser "
         "lægemidler i"),
    Text("The order has no name, and none of its codes is in a code system the service reads drugs "
         "in: it may be immunoglobulin, a bispecific antibody or a CAR-T product, and the criteria were "
         "not applied to it.",
         "Ordinationen har intet navn, og ingen af dens koder er i et kodesystem, tjenesten læser "
         "lægemidler i: den kan være immunglobulin, et bispecifikt antistof eller et CAR-T-produkt, og "
         "kriterierne er ikke anvendt på den."),
    Text("Check what is ordered, and the criteria for it, yourself, and ask the CDS team to add the code "
         "system {order_code_system}.",
         "Tjek selv, hvad der ordineres, og kriterierne for det, og bed CDS-teamet tilføje kodesystemet "
         "{order_code_system}."),
)

# The same draft in a child (under the adult age at T0; with no index event, at its planned start): §4, the criteria do
# not cover children, so it is not "check the criteria yourself" but decide individually, as for any of the three drugs
# (`child-individual-assessment`, an information card): no louder than they are.
_UNKNOWN_SYSTEM_DRAFT_CHILD = Variant(
    Text("Order not checked: code {order_code} is in a system this service reads no drug in; child ({age} y)",
         "Ordination ikke vurderet: koden {order_code} er i et system, tjenesten ikke læser lægemidler i; "
         "barn ({age} år)"),
    Text("The order has no name, and none of its codes is in a code system the service reads drugs in: it may be "
         "immunoglobulin, a bispecific antibody or a CAR-T product. The criteria do not cover children: the need "
         "for substitution is assessed individually.",
         "Ordinationen har intet navn, og ingen af dens koder er i et kodesystem, tjenesten læser lægemidler i: den "
         "kan være immunglobulin, et bispecifikt antistof eller et CAR-T-produkt. Kriterierne omfatter ikke børn: "
         "behovet for substitution vurderes individuelt."),
    Text("Check what is ordered and decide individually, and ask the CDS team to add the code system "
         "{order_code_system}.",
         "Tjek, hvad der ordineres, og vurdér individuelt, og bed CDS-teamet tilføje kodesystemet "
         "{order_code_system}."),
    indicator="info",
    section="§4",  # children: the paragraph before the criteria
)

# A nameless draft whose code is that of one of the three drugs in another known system than the one it was sent under
# (teclistamab's ATC code under SNOMED CT): the service reads both, so the fix is the order's coding in the EHR, not a
# code system added to the service.
_WRONG_SYSTEM_DRAFT = Variant(
    Text("Order not checked: its code {order_code} was sent under the wrong code system",
         "Ordination ikke vurderet: koden {order_code} er sendt under det forkerte kodesystem"),
    Text("The order's drug could not be read: its code {order_code_whole} was sent under {order_code_system}, but is a code of "
         "{right_code_system} for immunoglobulin, a bispecific antibody or a CAR-T product: not counted, and the "
         "criteria were not applied to it.",
         "Ordinationens lægemiddel kunne ikke læses: koden {order_code_whole} er sendt under {order_code_system}, men er en "
         "{right_code_system}-kode for immunglobulin, et bispecifikt antistof eller et CAR-T-produkt: medregnes ikke, "
         "og kriterierne er ikke anvendt på den."),
    Text("Have the code system corrected on the order in the EHR; meanwhile check what is ordered, and the criteria "
         "for it, yourself.",
         "Få kodesystemet rettet på ordinationen i EPJ; tjek imens selv, hvad der ordineres, og kriterierne for det."),
)

# ... in a child: individual assessment (§4), an information card, as `_UNKNOWN_SYSTEM_DRAFT_CHILD`
_WRONG_SYSTEM_DRAFT_CHILD = Variant(
    Text("Order not checked: code {order_code} was sent under the wrong code system; child ({age} y)",
         "Ordination ikke vurderet: koden {order_code} er sendt under forkert kodesystem; barn ({age} år)"),
    Text("Code {order_code_whole}, sent under {order_code_system}, is a code of {right_code_system} for "
         "immunoglobulin, a bispecific or a CAR-T product: not counted. The criteria do not cover children: "
         "assessed individually.",
         "Koden {order_code_whole}, sendt under {order_code_system}, er en {right_code_system}-kode for "
         "immunglobulin, et bispecifikt antistof eller et CAR-T-produkt: medregnes ikke. Kriterierne omfatter ikke "
         "børn: vurderes individuelt."),
    Text("Have the code system corrected on the order in the EHR; meanwhile check what is ordered and decide "
         "individually.",
         "Få kodesystemet rettet på ordinationen i EPJ; tjek imens, hvad der ordineres, og vurdér individuelt."),
    indicator="info",
    section="§4",  # children: the paragraph before the criteria
)

CATALOGUE: dict[str, AdviceKind] = {
    kind.code: kind for kind in (
        AdviceKind(
            "start-substitution",
            Text("Start criterion met in the high-risk window", "Startkriteriet er opfyldt i højrisikoperioden"),
            "§4.1", "info", False, PATIENT_VIEW,
            {
                "": Variant(
                    Text("IgG {igg} < {threshold} ({igg_date}) after {kind} {t0}: Ig may be started; stop attempt "
                         "{stop_date} ({days_left})",
                         "IgG {igg} < {threshold} ({igg_date}) efter {kind} {t0}: Ig kan startes; seponeringsforsøg "
                         "{stop_date} ({days_left})"),
                    Text("Within {window} of {t0_event}, IgG below {threshold} is enough to start immunoglobulin "
                         "substitution, whatever the infections.",
                         "Inden for {window} efter {t0_event} er IgG under {threshold} nok til at starte "
                         "immunglobulinsubstitution, uanset infektioner."),
                    _START_ACTION,
                ),
                "general-stop": Variant(
                    Text("IgG {igg} < {threshold} ({igg_date}) after {kind} {t0}: Ig may be started; general "
                         "criteria: stop attempt {general_stop} after start",
                         "IgG {igg} < {threshold} ({igg_date}) efter {kind} {t0}: Ig kan startes; generelle kriterier: "
                         "seponeringsforsøg {general_stop} efter opstart"),
                    Text("IgG below {threshold} within {window} of {t0_event} meets the start criterion; because "
                         "{general_stop_reason}, the general stop criteria apply, not the stop date.",
                         "IgG under {threshold} inden for {window} efter {t0_event} opfylder startkriteriet; da "
                         "{general_stop_reason}, gælder generelle seponeringskriterier, ikke seponeringsdatoen."),
                    Text("If substitution is started, attempt the stop {general_stop} after its start and reassess "
                         "every {review_every} if it continues.",
                         "Startes substitution: forsøg seponering {general_stop} efter start, og revurdér hver "
                         "{review_every} ved fortsættelse."),
                ),
            },
            suggestions=("order-ig-until-stop", "order-ig"),
            worklist_rank=3,
            variant_doc={"": "inside the window, IgG < threshold (special criterion, special stop)",
                         "general-stop": "inside the window, IgG < threshold, but the general stop criteria apply "
                                         "(infections, substitution before T0)"},
        ),
        AdviceKind(
            "measure-igg",
            Text("Measure IgG", "Mål IgG"),
            "§4.1", "info", False, PATIENT_VIEW,
            {
                "no-igg-since-t0": Variant(
                    Text("No usable IgG since {kind} {t0}: measure IgG; below {threshold}, Ig may be started before "
                         "{stop_date}",
                         "Ingen brugbar IgG siden {kind} {t0}: mål IgG; under {threshold} kan Ig startes før "
                         "{stop_date}"),
                    Text("No usable IgG result since {t0_event}; inside the window the start criterion rests on "
                         "IgG alone.",
                         "Intet brugbart IgG-svar siden {t0_event}; i perioden afgøres startkriteriet af IgG alene."),
                    Text("Measure serum IgG now.", "Mål IgG i serum nu."),
                ),
                "stale": Variant(
                    # not "the latest IgG": a newer one taken on substitution (§3.4) may be in the chart, not used
                    Text("IgG {igg} ({igg_date}) is {igg_age} old: measure IgG; below {threshold}, Ig may be started "
                         "before {stop_date}",
                         "IgG {igg} ({igg_date}) er {igg_age} gammel: mål IgG; under {threshold} kan Ig startes før "
                         "{stop_date}"),
                    # "not below", not "at least": a bound ("<6.0", "<=4.0") shows no value on either side
                    Text("The latest IgG taken off substitution is older than {stale_days} and shows no value below "
                         "{threshold}; IgG can keep falling after {kind}.",
                         "Seneste IgG taget uden substitution er ældre end {stale_days} og viser ingen værdi under "
                         "{threshold}; IgG kan blive ved med at falde efter {kind}."),
                    Text("Measure serum IgG now.", "Mål IgG i serum nu."),
                ),
                "infections-no-recent-igg": Variant(
                    # singular: one sepsis meets the criterion as well as three pneumonias do
                    Text("Severe/recurrent bacterial infection, no usable IgG in {stale_days}{last}: measure IgG; "
                         "Ig if < {threshold}",
                         "Svær/tilbagevendende bakteriel infektion, ingen brugbar IgG i {stale_days}{last}: mål "
                         "IgG; Ig ved < {threshold}"),
                    Text("Severe or recurrent verified bacterial infections are recorded; by the general criteria "
                         "a start also needs IgG below {threshold}.",
                         "Der er svære/tilbagevendende verificerede bakterielle infektioner; efter de generelle "
                         "kriterier kræver start også IgG under {threshold}."),
                    Text("Measure serum IgG now.", "Mål IgG i serum nu."),
                    section="§4.1, §4.3",
                ),
                "indeterminate-m-protein": Variant(
                    Text("Polyclonal IgG {igg} (total {igg_total}, M-protein {m_protein}, {igg_date}): unclear whether "
                         "< {threshold}; measure both again",
                         "Polyklonal IgG {igg} (total {igg_total}, M-komponent {m_protein}, {igg_date}): uvist om "
                         "< {threshold}; mål begge igen"),
                    Text("The total IgG or the M-protein was reported only as a bound, so polyclonal IgG (total "
                         "minus the M-protein) is a bound too: it may lie on either side of {threshold}.",
                         "Total-IgG eller M-komponenten er kun svaret som en grænse, så polyklonal IgG (total minus "
                         "M-komponenten) er også en grænse: den kan ligge på begge sider af {threshold}."),
                    Text("Decide on the IgG and M-protein figures with their dates, or measure both again; do not "
                         "start on this result alone.",
                         "Beslut ud fra IgG- og M-komponenttallene med deres datoer, eller mål begge igen; start ikke "
                         "på dette svar alene."),
                ),
                "m-protein-not-quantified": Variant(
                    Text("Polyclonal IgG below total {igg_total} ({igg_date}): IgG M-protein {m_protein} not "
                         "quantified; ask for its figure",
                         "Polyklonal IgG under total {igg_total} ({igg_date}): IgG-M-komponent {m_protein} ikke "
                         "kvantificeret; bed om tallet"),
                    Text("An IgG M-protein was found but not quantified, so polyclonal IgG (total minus the "
                         "M-protein) lies below the total by an unknown amount: it may be on either side of "
                         "{threshold}.",
                         "Der er fundet en IgG-M-komponent, men den er ikke kvantificeret, så polyklonal IgG (total "
                         "minus M-komponenten) ligger et ukendt stykke under totalen: den kan ligge på begge sider af "
                         "{threshold}."),
                    Text("Ask the laboratory for the M-protein's figure, or measure it again quantified with an IgG; "
                         "do not start on this result alone.",
                         "Bed laboratoriet om M-komponentens tal, eller mål den igen kvantificeret sammen med IgG; "
                         "start ikke på dette svar alene."),
                ),
                # both figures bounds that leave polyclonal IgG unbounded below ("total >25, M-protein >22"): a
                # "polyclonal IgG >0.0" is true and says nothing
                "m-protein-no-bound": Variant(
                    Text("Polyclonal IgG cannot be told from total {igg_total} and M-protein {m_protein} ({igg_date}): "
                         "measure both as numbers",
                         "Polyklonal IgG kan ikke udledes af total {igg_total} og M-komponent {m_protein} "
                         "({igg_date}): mål begge som tal"),
                    Text("As reported, these figures put no lower bound on polyclonal IgG (total minus the "
                         "M-protein): nothing places it against {threshold}.",
                         "Som svaret giver disse tal ingen nedre grænse for polyklonal IgG (total minus "
                         "M-komponenten): intet placerer den i forhold til {threshold}."),
                    Text("Measure total IgG and the M-protein again and ask for both as numbers, not bounds; do not "
                         "start on these results.",
                         "Mål total-IgG og M-komponenten igen, og bed om begge som tal, ikke grænser; start ikke på "
                         "disse svar."),
                ),
                "indeterminate": Variant(
                    Text("IgG reported as {igg} ({igg_date}): cannot tell whether below {threshold}; measure IgG "
                         "again before deciding on Ig",
                         "IgG svaret som {igg} ({igg_date}): kan ikke afgøre, om den er under {threshold}; mål IgG "
                         "igen før beslutning om Ig"),
                    Text("That is a bound, not a value: the IgG may lie above or below {threshold}.",
                         "Det er en grænse, ikke en værdi: IgG kan ligge over eller under {threshold}."),
                    Text("Measure serum IgG again (ask for a quantified value); do not start on this result.",
                         "Mål IgG i serum igen (bed om en kvantificeret værdi); start ikke på dette svar."),
                ),
            },
            suggestions=("order-igg",),
            worklist_rank=5,
            variant_doc={"indeterminate-m-protein": "polyclonal IgG with an IgG M-protein or a total IgG reported "
                                                    "only as a bound (\"<1.0\", \">25\"): it lies on both sides of "
                                                    "the start threshold",
                         "m-protein-not-quantified": "polyclonal IgG with an IgG M-protein found but not "
                                                     "quantified (\"spor\", \"påvist, ikke kvantificerbar\"): "
                                                     "below a total of at least the start threshold by an unknown "
                                                     "amount",
                         "no-igg-since-t0": "inside the window, no IgG since T0",
                         "stale": "inside the window, the latest IgG is stale and not low",
                         "infections-no-recent-igg": "general criteria, infections present, no recent IgG",
                         "m-protein-no-bound": "polyclonal IgG from a total IgG and an IgG M-protein whose bounds "
                                               "leave it unbounded below (total \">25\", M-protein \">22\"): no "
                                               "figure shown, both asked for as numbers",
                         "indeterminate": "the IgG was reported with a comparator whose bound cannot be placed "
                                          "against the start threshold (\"<6.0\", \">3.9\")"},
        ),
        AdviceKind(
            "general-criteria-igg-under-6",
            Text("IgG {threshold} to < {general_threshold}: general criteria apply",
                 "IgG {threshold} til < {general_threshold}: generelle kriterier gælder"),
            "§4.1", "info", True, PATIENT_VIEW,
            {"": Variant(
                _UNDER_6_SUMMARY,
                Text("IgG between {threshold} and {general_threshold} meets no special criterion; the general "
                     "criteria for haematological patients with IgG below {general_threshold} apply in and after the "
                     "high-risk window.",
                     "IgG mellem {threshold} og {general_threshold} opfylder intet særkriterium; de generelle "
                     "kriterier for hæmatologiske patienter med IgG under {general_threshold} gælder både i og efter "
                     "højrisikoperioden."),
                _UNDER_6_ACTION,
            ),
             # inside the window, no restart, no infections: a later IgG below the threshold before the stop date meets
             # the special criterion, which the card adds where it has room (a spare sentence)
             "window": Variant(
                _UNDER_6_SUMMARY,
                Text("IgG between {threshold} and {general_threshold} meets no special criterion; the general "
                     "criteria for haematological patients with IgG below {general_threshold} apply.",
                     "IgG mellem {threshold} og {general_threshold} opfylder intet særkriterium; de generelle "
                     "kriterier for hæmatologiske patienter med IgG under {general_threshold} gælder."),
                _UNDER_6_ACTION,
                spare_action=Text("An IgG below {threshold} before {stop_date} would meet the start criterion.",
                                  "En IgG under {threshold} før {stop_date} ville opfylde startkriteriet."),
            ),
             # ... and in a myeloma whose M-protein may be IgG (type unknown, or an IgG one not measured with this IgG):
             # polyclonal IgG may be below the threshold, which would meet the start criterion, so the summary and
             # what to do lead with the M-protein, not with "no start" (the caveat names what to ask for)
             "window-paraprotein": Variant(
                _UNDER_6_PARAPROTEIN_SUMMARY,
                Text("In myeloma, polyclonal IgG decides, and it may be below {threshold}.",
                     "Ved myelomatose er det polyklonal IgG, der afgør, og den kan være under {threshold}."),
                Text("Clarify the M-protein: polyclonal IgG below {threshold} before {stop_date} meets the start "
                     "criterion; else the general SID criteria apply.",
                     "Afklar M-komponenten: polyklonal IgG under {threshold} før {stop_date} opfylder startkriteriet; "
                     "ellers gælder de generelle SID-kriterier."),
             ),
             # ... the same with severe or recurrent verified bacterial infections: below the threshold those meet the
             # criteria for a start
             "paraprotein": Variant(
                _UNDER_6_PARAPROTEIN_SUMMARY,
                Text("In myeloma, decisions rest on polyclonal IgG; below {threshold}, with the infections recorded, "
                     "the criteria for a start are met.",
                     "Ved myelomatose besluttes ud fra polyklonal IgG; under {threshold} er kriterierne for start "
                     "opfyldt med de registrerede infektioner."),
                Text("Clarify the M-protein: polyclonal IgG below {threshold} would support a start; else the general "
                     "SID criteria apply.",
                     "Afklar M-komponenten: polyklonal IgG under {threshold} ville understøtte en start; ellers gælder "
                     "de generelle SID-kriterier."),
             )},
            variant_doc={"": "after the window, a restart, or with infections",
                         "window": "inside the window: a later IgG below the threshold would meet the special "
                                   "criterion",
                         "window-paraprotein": "inside the window, in a myeloma whose M-protein may be IgG (type "
                                               "unknown, or IgG and not measured with this IgG) so that polyclonal "
                                               "IgG may be below the threshold: the card leads with clarifying it",
                         "paraprotein": "the same with severe or recurrent verified bacterial infections, in the "
                                        "window or after it"},
        ),
        AdviceKind(
            "paraprotein-type-unknown",
            Text("Myeloma: polyclonal IgG cannot be told", "Myelomatose: polyklonal IgG kan ikke afgøres"),
            "§4.1", "info", False, PATIENT_VIEW,
            {
                "m-protein": Variant(
                    Text("Total IgG {igg} ({igg_date}), M-protein {untyped_m_protein} of unknown type: if IgG, "
                         "polyclonal IgG is {polyclonal_if_igg}; ask for immunofixation",
                         "Total-IgG {igg} ({igg_date}), M-komponent {untyped_m_protein} af ukendt type: er den IgG, er "
                         "polyklonal IgG {polyclonal_if_igg}; bestil immunfiksation"),
                    _PARAPROTEIN_DECISION,
                    _PARAPROTEIN_ACTION,
                ),
                # an M-protein taken with the IgG was received but not read (its amount, its status, its code): it
                # may be most of the total, so any total at or above a threshold may hide polyclonal IgG below it
                "m-protein-unread": Variant(
                    Text("Myeloma, total IgG {igg} ({igg_date}), M-protein of {m_protein_unread_date} not used: "
                         "polyclonal IgG may be < {paraprotein_threshold}",
                         "Myelomatose, total-IgG {igg} ({igg_date}), M-komponent fra {m_protein_unread_date} ikke "
                         "brugt: polyklonal IgG kan være < {paraprotein_threshold}"),
                    Text("An M-protein result taken with this IgG was not used ({m_protein_unread_why}). In "
                         "myeloma the total IgG may include an IgG M-protein, and decisions rest on polyclonal IgG "
                         "(total minus the M-protein), which may be below {paraprotein_threshold}.",
                         "Et M-komponent-svar taget sammen med denne IgG blev ikke brugt ({m_protein_unread_why}). Ved "
                         "myelomatose kan total-IgG rumme en IgG-M-komponent, og der besluttes ud fra polyklonal IgG "
                         "(total minus M-komponenten), som kan være under {paraprotein_threshold}."),
                    Text("Look up the M-protein result and its type; decide on polyclonal IgG.",
                         "Slå M-komponent-svaret og dets type op; beslut ud fra polyklonal IgG."),
                ),
                "igg-no-m-protein": Variant(
                    Text("IgG myeloma, total IgG {igg} ({igg_date}), M-protein not measured with it: polyclonal IgG "
                         "may be < {paraprotein_threshold}; measure the M-protein",
                         "IgG-myelomatose, total-IgG {igg} ({igg_date}), M-komponent ikke målt samtidig: polyklonal "
                         "IgG kan være < {paraprotein_threshold}; mål M-komponenten"),
                    Text("The M-protein is IgG, so the total IgG includes it and decisions rest on polyclonal IgG "
                         "(total minus the M-protein); without an M-protein measured with this IgG it cannot be told "
                         "whether that is below {paraprotein_threshold}.",
                         "M-komponenten er IgG, så total-IgG rummer den, og der besluttes ud fra polyklonal IgG "
                         "(total minus M-komponenten); uden en M-komponent målt med denne IgG kan det ikke afgøres, "
                         "om den er under {paraprotein_threshold}."),
                    Text("Measure the M-protein (serum protein electrophoresis) together with IgG; decide on polyclonal "
                         "IgG.",
                         "Mål M-komponenten (proteinelektroforese i serum) sammen med IgG; beslut ud fra polyklonal "
                         "IgG."),
                ),
                # no M-protein measured near the IgG, and its type unknown: both are asked for (immunofixation alone
                # gives the type, not the amount to subtract)
                "": Variant(
                    Text("Myeloma, total IgG {igg} ({igg_date}), no M-protein measured with it: polyclonal IgG may be < "
                         "{paraprotein_threshold}; measure M-protein and type",
                         "Myelomatose, total-IgG {igg} ({igg_date}), ingen M-komponent målt med den: polyklonal IgG kan "
                         "være < {paraprotein_threshold}; mål M-komponent og type"),
                    _PARAPROTEIN_DECISION,
                    Text("Measure the M-protein (serum protein electrophoresis) and its type (immunofixation) with IgG; if "
                         "it is IgG, decide on total IgG minus it.",
                         "Mål M-komponenten (proteinelektroforese i serum) og dens type (immunfiksation) sammen med IgG; "
                         "er den IgG, så beslut ud fra total-IgG minus den."),
                ),
            },
            worklist_rank=5,
            variant_doc={"m-protein": "an M-protein of unknown type is measured; total minus it crosses a threshold",
                         "m-protein-unread": "an M-protein result taken within the policy's days of the IgG was "
                                             "received but not used (an amount that cannot be read, not final, or a "
                                             "code not known) and its code or name gives no type outside total IgG, "
                                             "none read near it, in a myeloma of unknown type (an IgG myeloma gets "
                                             "igg-no-m-protein): any total at or above a threshold",
                         "": "no M-protein quantity near the IgG; the total lies within the caveat margin above a "
                             "threshold",
                         "igg-no-m-protein": "the M-protein is IgG (by immunofixation or an earlier typed M-protein "
                                             "result), but none is measured near the IgG; the total lies within the "
                                             "caveat margin, or the last IgG M-protein if larger, above a threshold "
                                             "(any total at or above one when no M-protein, bound or negative "
                                             "immunofixation was ever measured before it)"},
        ),
        AdviceKind(
            "no-start-without-infections",
            Text("IgG < {threshold} without severe/recurrent bacterial infections: no start",
                 "IgG < {threshold} uden svære/tilbagevendende bakterielle infektioner: ingen start"),
            "§4.3", "info", False, PATIENT_VIEW,
            {"": Variant(
                _NO_START_SUMMARY,
                _NO_START_DECISION,
                _NO_START_AFTER_STOP_ACTION,
            ),
             "no-substitution": Variant(
                _NO_START_SUMMARY,
                _NO_START_DECISION,
                Text("Do not start on IgG alone; reassess if severe or recurrent verified bacterial infections "
                     "occur.",
                     "Start ikke på IgG alene; vurdér igen, hvis der kommer svære eller tilbagevendende "
                     "verificerede bakterielle infektioner."),
            ),
             # a restart while the window still runs (§4.3): IgG below the threshold is not enough, which a summary
             # that said only "Ig start not recommended" seemed to deny (§4.1)
             "restart-in-window": Variant(
                Text("Ig restart not recommended: IgG {igg} < {threshold} ({igg_date}), no severe/recurrent verified "
                     "bacterial infection",
                     "Genopstart af Ig frarådes: IgG {igg} < {threshold} ({igg_date}), ingen "
                     "svær/tilbagevendende verificeret bakteriel infektion"),
                _NO_START_RESTART_DECISION,
                _NO_START_AFTER_STOP_ACTION,
            ),
             # substitution given and stopped, and no IgG taken since it began: the IgG the card has is the one the
             # course was started on, no measure of recovery (§3.4), which is what the stop attempt is for (§4.3)
             "igg-before-substitution": Variant(
                Text("IgG {igg} ({igg_date}) predates substitution; no severe/recurrent verified bacterial infection: "
                     "Ig start not recommended",
                     "IgG {igg} ({igg_date}) er fra før substitution; ingen svær/tilbagevendende verificeret bakteriel "
                     "infektion: Ig-start frarådes"),
                _NO_START_DECISION,
                _NO_START_AFTER_STOP_ACTION,
                spare_action=_MEASURE_RECOVERY,
            ),
             # ... or the IgG the card has was taken on substitution or in its washout (a trough on IVIG): below the
             # threshold it says the patient's own IgG is low, not whether it has recovered (§3.4)
             "igg-on-substitution": Variant(
                Text("IgG {igg} ({igg_date}) {igg_taken}; no severe/recurrent verified bacterial infection: "
                     "Ig start not recommended",
                     "IgG {igg} ({igg_date}) {igg_taken}; ingen svær/tilbagevendende verificeret "
                     "bakteriel infektion: Ig-start frarådes"),
                _NO_START_DECISION,
                _NO_START_AFTER_STOP_ACTION,
                spare_action=_MEASURE_RECOVERY,
            ),
             # the two above while the window still runs: a restart (§4.3), which the summary says, as "restart-in-window"
             # does: "Ig start not recommended" with IgG < 4 in the window read as the special criterion refused (§4.1)
             "restart-in-window-igg-before-substitution": Variant(
                Text("IgG {igg} ({igg_date}) predates substitution; no severe/recurrent verified bacterial infection: "
                     "Ig restart not recommended",
                     "IgG {igg} ({igg_date}) fra før substitution; ingen svær/tilbagevendende verificeret bakteriel "
                     "infektion: genopstart frarådes"),
                _NO_START_RESTART_DECISION,
                _NO_START_AFTER_STOP_ACTION,
                spare_action=_MEASURE_RECOVERY,
            ),
             "restart-in-window-igg-on-substitution": Variant(
                Text("IgG {igg} ({igg_date}) {igg_taken}; no severe/recurrent verified bacterial infection: "
                     "Ig restart not recommended",
                     "IgG {igg} ({igg_date}) {igg_taken}; ingen svær/tilbagevendende verificeret bakteriel "
                     "infektion: genopstart frarådes"),
                _NO_START_RESTART_DECISION,
                _NO_START_AFTER_STOP_ACTION,
                spare_action=_MEASURE_RECOVERY,
            ),
             # any of the three above while a new order begun in time would continue the course that ended or is on
             # hold (`library._resumable`, as the order hooks judge it): an order lapsed between doses is the same
             # course, so the summary leads with the day, and a restart is what comes after it
             "restart-in-window-resumable": Variant(
                Text("Ig resumed by {resume_by} continues the course; after that, no restart without severe/recurrent "
                     "verified bacterial infection",
                     "Ig genoptaget senest {resume_by} fortsætter forløbet; derefter ingen genopstart uden "
                     "svær/tilbagevendende verificeret bakteriel infektion"),
                _NO_START_RESTART_DECISION,
                Text("To continue the course, resume Ig by {resume_by}; after that, do not restart on IgG alone.",
                     "Skal forløbet fortsætte, så genoptag Ig senest {resume_by}; derefter genopstartes ikke på IgG "
                     "alene."),
            ),
             # ... and the stop date is due (`stop_due_soon_days`): a course resumed now would run only days to its
             # stop, so the card does not invite it; the lapse is the stop attempt
             "restart-in-window-lapsed-at-stop": Variant(
                Text("Ig lapsed before the stop date {stop_date}: let that be the stop; no restart without "
                     "severe/recurrent verified bacterial infection",
                     "Ig ophørt før seponeringsdato {stop_date}: regn det som seponering; genopstart kun ved "
                     "svær/tilbagevendende verificeret bakteriel infektion"),
                _NO_START_RESTART_DECISION,
                Text("Leave Ig off: the lapse is the stop attempt. Measure IgG off substitution{off_from}.",
                     "Lad Ig være: ophøret er seponeringsforsøget. Mål IgG uden substitution{off_from}."),
            ),
             # a course booked to begin on or after the stop date, the patient off substitution, with no severe or
             # recurrent verified bacterial infection before it (§4.3): said while the booking can be put on hold
             "booked-after-window": Variant(
                Text("Ig booked from {booked_start}, after the stop date {stop_date}: no severe/recurrent verified "
                     "bacterial infection supports it",
                     "Ig planlagt fra {booked_start}, efter seponeringsdato {stop_date}: ingen svær/tilbagevendende "
                     "verificeret bakteriel infektion begrunder det"),
                _NO_START_DECISION,
                Text("Put the booked order on hold before {booked_start}, unless severe or recurrent verified "
                     "bacterial infections support it by then.",
                     "Sæt den planlagte ordination i bero før {booked_start}, medmindre svære eller tilbagevendende "
                     "verificerede bakterielle infektioner begrunder den inden da."),
                indicator="warning",
                worklist_rank=4,  # an order to hold before its first dose: after the starts due now
            )},
            suggestions=("hold-booked-ig",),
            override_reasons=("infection-not-coded", "specialist-decision"),
            advises_against_start=True,
            variant_doc={"": "after substitution was stopped or paused",
                         "no-substitution": "no substitution so far (nothing to stop)",
                         "igg-on-substitution": "after substitution was stopped or paused, the IgG shown taken on "
                                                "it or in its washout (below the threshold: the patient's own IgG is "
                                                "low, no sign of recovery)",
                         "igg-before-substitution": "after substitution was stopped or paused, with no IgG taken "
                                                    "since it began: the IgG shown predates it",
                         "restart-in-window-igg-before-substitution": "as igg-before-substitution, while the "
                                                                      "window still runs: a restart (§4.3), said "
                                                                      "so",
                         "restart-in-window-igg-on-substitution": "as igg-on-substitution, while the window still "
                                                                  "runs: a restart (§4.3), said so",
                         "restart-in-window": "after substitution was stopped or paused, while the window still runs: "
                                              "a restart, which the general criteria govern (§4.3), said first",
                         "restart-in-window-resumable": "as the restart-in-window variants, while a new order begun by "
                                                        "the day named would continue the course that ended or is on "
                                                        "hold (no restart): that day first",
                         "restart-in-window-lapsed-at-stop": "as restart-in-window-resumable, with the stop date due "
                                                             "(`stop_due_soon_days`): the lapse is the stop attempt, "
                                                             "no resumption invited",
                         "booked-after-window": "off substitution, a course booked to begin on or after the stop "
                                                "date with no severe or recurrent verified bacterial infection before "
                                                "it: its booking put on hold before its first dose"},
        ),
        AdviceKind(
            "start-meets-general-criteria",
            Text("General start criteria met", "Generelle startkriterier er opfyldt"),
            "§4.1, §4.3", "info", False, PATIENT_VIEW,
            {"": Variant(
                _GENERAL_START_SUMMARY,
                _GENERAL_START_DECISION,
                Text("Substitution may start; attempt the stop {general_stop} after its start.",
                     "Substitution kan startes; forsøg seponering {general_stop} efter opstart."),
                spare_action=_BEGUN_TODAY,
            ),
             "after-stop": Variant(
                _GENERAL_START_SUMMARY,
                _GENERAL_START_DECISION,
                Text("Ig may be restarted; attempt the stop {general_stop} after the restart. After a stop, "
                     "antibiotic prophylaxis can be tried instead.",
                     "Ig kan genopstartes; forsøg seponering {general_stop} efter genopstart. Efter en seponering "
                     "kan antibiotikaprofylakse prøves i stedet."),
                spare_action=_BEGUN_TODAY,
            )},
            suggestions=("order-ig",),
            worklist_rank=4,
            variant_doc={"": "no substitution so far",
                         "after-stop": "substitution was given and has stopped or is paused: prophylaxis can be tried "
                                       "when infections come after a stop (§4.3)"},
        ),
        AdviceKind(
            "stop-planned",
            Text("Stop attempt planned", "Seponeringsforsøg planlagt"),
            "§4.2", "info", True, PATIENT_VIEW,
            {
                "": Variant(
                    _STOP_PLANNED_SUMMARY,
                    _STOP_PLANNED_DECISION,
                    _then_measure(Text("Let the order end on {stop_date}.",
                                       "Lad ordinationen slutte {stop_date}.")),
                ),
                "doses": Variant(
                    _STOP_PLANNED_SUMMARY,
                    _STOP_PLANNED_DECISION,
                    _then_measure(Text("Book no doses after {stop_date}: the course of doses ends there.",
                                       "Planlæg ingen doser efter {stop_date}: dosisforløbet slutter da.")),
                ),
                "record": Variant(
                    _STOP_PLANNED_SUMMARY,
                    _STOP_PLANNED_DECISION,
                    _then_measure(Text("No order to end: substitution is only on the medication list. Record its end "
                                       "as {stop_date}; if it is no longer given, end the record now.",
                                       "Ingen ordination at afslutte: substitutionen står kun på medicinlisten. "
                                       "Registrér slut {stop_date}; gives den ikke mere, afslut registreringen nu.")),
                ),
                "booked-after-stop": Variant(
                    _STOP_PLANNED_SUMMARY,
                    _STOP_PLANNED_DECISION,
                    _then_measure(Text("Put the order booked to begin on {booked_start} on hold, so substitution "
                                       "pauses from {stop_date}.",
                                       "Sæt ordinationen, der er planlagt at begynde {booked_start}, i bero, så "
                                       "substitutionen pauseres fra {stop_date}.")),
                ),
                "order-ends-earlier": Variant(
                    Text("Ig after {kind} {t0}: attempt the stop when the order ends {order_end} (stop date "
                         "{stop_date})",
                         "Ig efter {kind} {t0}: forsøg seponering, når ordinationen slutter {order_end} "
                         "(seponeringsdato {stop_date})"),
                    _STOP_PLANNED_DECISION,
                    _ENDS_EARLIER_ACTION,
                ),
                "record-ends-earlier": Variant(
                    Text("Ig after {kind} {t0}: attempt the stop when the medication record ends {order_end} (stop "
                         "date {stop_date})",
                         "Ig efter {kind} {t0}: forsøg seponering, når medicinregistreringen slutter {order_end} "
                         "(seponeringsdato {stop_date})"),
                    _STOP_PLANNED_DECISION,
                    Text("No order to change: substitution is only on the medication list, which ends it "
                         "{order_end}. Give none after that day; measure IgG off substitution afterwards.",
                         "Ingen ordination at ændre: substitutionen står kun på medicinlisten, der afslutter den "
                         "{order_end}. Giv ingen efter den dag; mål IgG uden substitution bagefter."),
                ),
            },
            suggestions=("set-ig-end", "hold-booked-ig"),
            variant_doc={"": "substitution by an order: let the order end on the stop date",
                         "doses": "substitution recorded as doses only (no order to end)",
                         "record": "substitution only on the medication list (a MedicationStatement, no order or "
                                   "dose): the record is ended, no order",
                         "record-ends-earlier": "substitution only on the medication list, whose record already ends "
                                                "before the stop date: the stop is attempted when it ends",
                         "booked-after-stop": "the only order running past the stop date is booked to begin on or "
                                              "after it: put it on hold",
                         "order-ends-earlier": "the order already ends before the stop date: renew it to the stop "
                                               "date, or stop when it ends (a start more than the continuity gap "
                                               "later is a restart)"},
        ),
        AdviceKind(
            "stop-due-soon",
            Text("Stop attempt due", "Seponeringsforsøg forestår"),
            "§4.2", "warning", False, PATIENT_VIEW,
            {
                "": Variant(
                    Text("Ig stop attempt due {stop_date} ({days_left}), {window} after {kind} {t0}: pause "
                         "substitution {on_the_day}",
                         "Ig-seponeringsforsøg {stop_date} ({days_left}), {window} efter {kind} {t0}: pausér "
                         "substitution {on_the_day}"),
                    _STOP_DUE_DECISION,
                    _then_measure(Text("Pause substitution on {stop_date}; a short extension is possible when the "
                                       "community risk of bacterial infection is high.",
                                       "Pausér substitution {stop_date}; en kort forlængelse er mulig ved høj risiko "
                                       "for bakteriel smitte i samfundet.")),
                ),
                "order-ends-earlier": Variant(
                    Text("Ig after {kind} {t0}: stop attempt when the order ends {order_end} (stop date {stop_date}, "
                         "{days_left})",
                         "Ig efter {kind} {t0}: seponeringsforsøg, når ordinationen slutter {order_end} "
                         "(seponeringsdato {stop_date}, {days_left})"),
                    _STOP_DUE_DECISION,
                    _then_measure(Text("Attempt the stop when the order ends ({order_end}); a short extension is "
                                       "possible when the community risk of bacterial infection is high.",
                                       "Forsøg seponering, når ordinationen slutter ({order_end}); en kort forlængelse "
                                       "er mulig ved høj risiko for bakteriel smitte i samfundet.")),
                ),
                "record": Variant(
                    Text("Ig stop attempt due {stop_date} ({days_left}), {window} after {kind} {t0}: pause "
                         "substitution {on_the_day}",
                         "Ig-seponeringsforsøg {stop_date} ({days_left}), {window} efter {kind} {t0}: pausér "
                         "substitution {on_the_day}"),
                    _STOP_DUE_DECISION,
                    _then_measure(Text("No order to pause: substitution is only on the medication list. Give none "
                                       "after {stop_date} and end the record then; if it is no longer given, end it "
                                       "now. A short extension is possible when the community risk of bacterial "
                                       "infection is high.",
                                       "Ingen ordination at pausere: substitutionen står kun på medicinlisten. Giv "
                                       "ingen efter {stop_date}, og afslut registreringen da; gives den ikke mere, "
                                       "afslut den nu. Kort forlængelse er mulig ved høj smitterisiko i samfundet.")),
                ),
                "order-ends-on-stop": Variant(
                    Text("Ig stop attempt due {stop_date} ({days_left}), {window} after {kind} {t0}: the order ends "
                         "then",
                         "Ig-seponeringsforsøg {stop_date} ({days_left}), {window} efter {kind} {t0}: ordinationen "
                         "slutter da"),
                    _STOP_DUE_DECISION,
                    _then_measure(Text("Let the order end on {stop_date} as set; a short extension is possible when "
                                       "the community risk of bacterial infection is high.",
                                       "Lad ordinationen slutte {stop_date} som planlagt; en kort forlængelse er mulig "
                                       "ved høj risiko for bakteriel smitte i samfundet.")),
                ),
                "record-ends-earlier": Variant(
                    Text("Ig after {kind} {t0}: stop attempt when the medication record ends {order_end} (stop date "
                         "{stop_date}, {days_left})",
                         "Ig efter {kind} {t0}: seponeringsforsøg, når medicinregistreringen slutter {order_end} "
                         "(seponeringsdato {stop_date}, {days_left})"),
                    _STOP_DUE_DECISION,
                    _then_measure(Text("No order to pause: substitution is only on the medication list, which ends it "
                                       "{order_end}. Give none after that day; a short extension is possible when the "
                                       "community risk of bacterial infection is high.",
                                       "Ingen ordination at pausere: substitutionen står kun på medicinlisten, der "
                                       "afslutter den {order_end}. Giv ingen efter den dag; kort forlængelse er "
                                       "mulig ved høj smitterisiko i samfundet.")),
                ),
                "record-ends-on-stop": Variant(
                    Text("Ig stop attempt due {stop_date} ({days_left}), {window} after {kind} {t0}: the medication "
                         "record ends then",
                         "Ig-seponeringsforsøg {stop_date} ({days_left}), {window} efter {kind} {t0}: "
                         "medicinregistreringen slutter da"),
                    _STOP_DUE_DECISION,
                    _then_measure(Text("No order to pause: substitution is only on the medication list, which ends it "
                                       "{stop_date}. Give none after that day; a short extension is possible when the "
                                       "community risk of bacterial infection is high.",
                                       "Ingen ordination at pausere: substitutionen står kun på medicinlisten, der "
                                       "afslutter den {stop_date}. Giv ingen efter den dag; kort forlængelse er "
                                       "mulig ved høj smitterisiko i samfundet.")),
                ),
            },
            suggestions=("hold-ig",),
            override_reasons=("infection-tendency", "community-infection-risk", "specialist-decision"),
            worklist_rank=2,
            variant_doc={"": "pause on the stop date: before it the order is set to end on it, on the day it is put on "
                             "hold",
                         "order-ends-earlier": "the order already ends before the stop date: the stop is attempted "
                                               "when it ends",
                         "order-ends-on-stop": "the orders already end on the stop date: nothing to change, the stop "
                                               "is attempted then",
                         "record": "substitution only on the medication list (a MedicationStatement, no order or "
                                   "dose): no order to pause, the record is ended",
                         "record-ends-earlier": "substitution only on the medication list, whose record already ends "
                                                "before the stop date: the stop is attempted when it ends",
                         "record-ends-on-stop": "substitution only on the medication list, whose record already ends "
                                                "on the stop date: nothing to change, the stop is attempted then"},
        ),
        AdviceKind(
            "stop-overdue",
            Text("Stop attempt overdue", "Seponeringsforsøg overskredet"),
            "§4.2", "warning", False, PATIENT_VIEW,
            {"": Variant(
                Text("Ig stop date {stop_date} ({window} after {kind} {t0}) passed {days_overdue} ago: pause "
                     "substitution",
                     "Ig-seponeringsdato {stop_date} ({window} efter {kind} {t0}) overskredet med {days_overdue}: "
                     "pausér substitution"),
                Text("Substitution started in the window without prior severe/recurrent bacterial infections is "
                     "still active after its stop date.",
                     "Substitution startet i perioden uden tidligere svære/tilbagevendende bakterielle "
                     "infektioner er stadig aktiv efter seponeringsdatoen."),
                Text("Pause substitution now; measure IgG off substitution later and restart only by the general "
                     "criteria.",
                     "Pausér substitution nu; mål senere IgG uden substitution og genopstart kun efter generelle "
                     "kriterier."),
            ),
             "record": Variant(
                Text("Ig stop date {stop_date} ({window} after {kind} {t0}) passed {days_overdue} ago: pause "
                     "substitution",
                     "Ig-seponeringsdato {stop_date} ({window} efter {kind} {t0}) overskredet med {days_overdue}: "
                     "pausér substitution"),
                Text("Substitution started in the window without prior severe/recurrent bacterial infections is "
                     "still active after its stop date.",
                     "Substitution startet i perioden uden tidligere svære/tilbagevendende bakterieinfektioner løber "
                     "stadig efter seponeringsdatoen."),
                Text("No order: if Ig is still given, pause it; if not, end the record. Measure IgG off Ig later.",
                     "Ingen ordination: gives der stadig Ig, så pausér den; ellers afslut registreringen. Mål senere IgG uden "
                     "Ig."),
            ),
             "doses": Variant(
                Text("Ig stop date {stop_date} ({window} after {kind} {t0}) passed {days_overdue} ago: last dose "
                     "{last_dose}, give no more",
                     "Ig-seponeringsdato {stop_date} ({window} efter {kind} {t0}) overskredet med {days_overdue}: "
                     "sidste dosis {last_dose}, giv ikke flere"),
                Text("Substitution started in the window without prior severe/recurrent bacterial infections is "
                     "recorded as doses only; a course counts as running {dose_course} after its last dose "
                     "({last_dose}).",
                     "Substitution startet i perioden uden tidligere svære/tilbagevendende bakterielle "
                     "infektioner findes kun som doser; et forløb regnes som løbende {dose_course} efter "
                     "sidste dosis ({last_dose})."),
                Text("Give no dose after {stop_date}; if none was given since, the stop is made. Measure IgG off "
                     "substitution later; restart only by the general criteria.",
                     "Giv ingen dosis efter {stop_date}; er ingen givet siden, er seponeringen sket. Mål "
                     "senere IgG uden substitution; genopstart kun efter generelle kriterier."),
            )},
            suggestions=("hold-ig",),
            override_reasons=("infection-tendency", "community-infection-risk", "specialist-decision"),
            worklist_rank=1,
            variant_doc={"": "substitution by an order still active after the stop date",
                         "doses": "substitution recorded as doses only (no order to pause): the card names the last "
                                  "dose, so a stop already made (no dose since the stop date) can be told",
                         "record": "substitution only on the medication list (a MedicationStatement, no order or "
                                   "dose): no order to pause; end or update the record"},
        ),
        AdviceKind(
            "general-stop-review",
            Text("Stop review by the general criteria", "Seponeringsvurdering efter de generelle kriterier"),
            "§4.2", "info", True, PATIENT_VIEW,
            {
                "due": Variant(
                    Text("Ig since {episode_start} ({kind} {t0}): stop attempt due since {due_date} by the general SID "
                         "criteria",
                         "Ig siden {episode_start} ({kind} {t0}): seponeringsforsøg aktuelt fra {due_date} efter de "
                         "generelle SID-kriterier"),
                    Text("Because {general_stop_reason}, the general stop criteria apply: attempt the stop "
                         "{general_stop} after the start, then reassess every {review_every}.",
                         "Da {general_stop_reason}, gælder de generelle seponeringskriterier: forsøg seponering "
                         "{general_stop} efter opstart, revurdér derefter hver {review_every}."),
                    _then_measure(Text("Review now whether substitution can be paused.",
                                       "Vurdér nu, om substitution kan pauseres."), _MEASURE_IF_PAUSED),
                    indicator="warning", information_only=False,
                ),
                "criteria-not-met": Variant(
                    Text("Ig since {episode_start} ({kind} {t0}) began without the general criteria (no severe/"
                         "recurrent bacterial infection): weigh a stop",
                         "Ig siden {episode_start} ({kind} {t0}) startet uden de generelle kriterier (ingen svær/"
                         "tilbagevendende bakteriel infektion): overvej pause"),
                    Text("Because {general_stop_reason}, the general criteria apply: a start needs IgG below "
                         "{threshold} with severe or recurrent verified bacterial infections, and none is "
                         "recorded since {criteria_since}.",
                         "Da {general_stop_reason}, gælder de generelle kriterier: opstart kræver IgG under "
                         "{threshold} med svære eller tilbagevendende verificerede bakterielle infektioner, og "
                         "ingen er registreret siden {criteria_since}."),
                    _then_measure(Text("Weigh pausing substitution now; if it continues, review on {due_date}.",
                                       "Overvej at pausere substitution nu; fortsætter den, så vurdér {due_date}."),
                                  _MEASURE_IF_PAUSED),
                    indicator="warning", information_only=False, section="§4.2, §4.3",
                ),
                "info": Variant(
                    Text("Ig since {episode_start} ({kind} {t0}) follows the general SID criteria: next stop review {due_date}",
                         "Ig siden {episode_start} ({kind} {t0}) følger de generelle SID-kriterier: næste "
                         "seponeringsvurdering {due_date}"),
                    _GENERAL_STOP_REVIEW_DECISION,
                    Text("Review on {due_date} whether substitution can be paused.",
                         "Vurdér {due_date}, om substitution kan pauseres."),
                ),
                "order-ends-earlier": Variant(
                    Text("Ig since {episode_start} ({kind} {t0}), general SID criteria: the order ends {order_end}, before "
                         "the review date {due_date}",
                         "Ig siden {episode_start} ({kind} {t0}), generelle SID-kriterier: ordinationen slutter "
                         "{order_end}, før vurderingsdatoen {due_date}"),
                    _GENERAL_STOP_REVIEW_DECISION,
                    Text("Substitution ends with the order on {order_end} unless it is renewed; if it continues, "
                         "review on {due_date} whether it can be paused.",
                         "Substitution slutter med ordinationen {order_end}, medmindre den fornyes; fortsætter den, så "
                         "vurdér {due_date}, om den kan pauseres."),
                ),
                "record-ends-earlier": Variant(
                    Text("Ig since {episode_start} ({kind} {t0}), general SID criteria: the medication record ends "
                         "{order_end}, before the review date {due_date}",
                         "Ig siden {episode_start} ({kind} {t0}), generelle SID-kriterier: medicinregistreringen "
                         "slutter {order_end}, før vurderingsdatoen {due_date}"),
                    _GENERAL_STOP_REVIEW_DECISION,
                    Text("No order: substitution is only on the medication list, which ends it {order_end}, unless "
                         "it is renewed; if it continues, review on {due_date} whether it can be paused.",
                         "Ingen ordination, kun medicinlisten, der slutter {order_end}, medmindre den fornyes; "
                         "fortsætter den, så vurdér {due_date}, om den kan pauseres."),
                ),
            },
            suggestions=("hold-ig",),
            override_reasons=("infections-persist", "specialist-decision"),
            worklist_rank=6,
            variant_doc={"due": "a review is due now (warning)", "info": "the next review date (information)",
                         "criteria-not-met": "a course begun after the window, or restarted inside it more than "
                                             "the course days after Ig was last given (a known day), with no severe or recurrent "
                                             "verified bacterial infection from the look-back before its start to "
                                             "today: the general start criteria were not met (warning)",
                         "order-ends-earlier": "the next review date, after the day the orders end (information)",
                         "record-ends-earlier": "the next review date, after the day the medication record ends, with "
                                                "no order (information)"},
        ),
        AdviceKind(
            "child-individual-assessment",
            Text("Child: individual assessment", "Barn: individuel vurdering"),
            "§4, §4.3", "info", False, ALL_HOOKS,
            {
                "": Variant(_CHILD_SUMMARY, _CHILD_DECISION, _CHILD_CAR_T_ACTION),
                "bsab": Variant(
                    _CHILD_SUMMARY,
                    _CHILD_DECISION,
                    Text("Decide individually; children on bispecifics usually receive immunoglobulin routinely.",
                         "Vurdér individuelt; børn i bispecifik behandling får som regel immunglobulin rutinemæssigt."),
                ),
                "car-t-product": Variant(
                    Text("Child ({age} y; CAR-T ordered): Ig substitution is an individual assessment, not the adult "
                         "criteria",
                         "Barn ({age} år; CAR-T ordineret): Ig-substitution vurderes individuelt, ikke efter "
                         "voksenkriterierne"),
                    _CHILD_DECISION, _CHILD_CAR_T_ACTION,
                ),
            },
            variant_doc={"": "after CAR-T (or an index event of unknown kind)", "bsab": "after a bispecific antibody",
                         "car-t-product": "a CAR-T product ordered: the order does not date the infusion"},
        ),
        AdviceKind(
            "order-meets-criteria",
            Text("Draft immunoglobulin order meets the criteria", "Udkast til immunglobulinordination opfylder kriterierne"),
            "§4.1, §4.2", "info", False, ORDERS,
            {
                "window": Variant(
                    Text("Ig order meets the start criterion: IgG {igg} < {threshold} ({igg_date}) after {kind} {t0}; end "
                         "it on {stop_date}",
                         "Ig-ordinationen opfylder startkriteriet: IgG {igg} < {threshold} ({igg_date}) efter {kind} "
                         "{t0}; sæt slutdato {stop_date}"),
                    Text("Starting within {window} of {t0_event}, IgG below {threshold} is enough.",
                         "Ved start inden for {window} efter {t0_event} er IgG under {threshold} nok."),
                    Text("Let the order end on the stop date {stop_date}.",
                         "Lad ordinationen slutte på seponeringsdatoen {stop_date}."),
                    section="§4.1", spare_action=_MEASURE_AFTER_STOP,
                ),
                # ... the draft ends before the stop date, and another Ig draft of the session carries the course on
                # from its end (a loading IVIG, then SCIG): one course, stopped on the stop date
                "window-followed": Variant(
                    Text("Ig order meets the start criterion: IgG {igg} < {threshold} ({igg_date}) after {kind} {t0}; "
                         "then {follow_on_drug}, stop {stop_date}",
                         "Ig-ordinationen opfylder startkriteriet: IgG {igg} < {threshold} ({igg_date}) efter {kind} "
                         "{t0}; derefter {follow_on_drug}, seponering {stop_date}"),
                    Text("Starting within {window} of {t0_event}, IgG below {threshold} is enough.",
                         "Ved start inden for {window} efter {t0_event} er IgG under {threshold} nok."),
                    Text("{follow_on_drug}, drafted with it from {follow_on_start}, carries the course on: let that order "
                         "end on the stop date {stop_date}.",
                         "{follow_on_drug}, i samme udkast fra {follow_on_start}, fører forløbet videre: lad den "
                         "ordination slutte på seponeringsdatoen {stop_date}."),
                    section="§4.1", spare_action=_MEASURE_AFTER_STOP,
                ),
                "window-ends-earlier": Variant(
                    Text("Ig order meets the start criterion: IgG {igg} < {threshold} ({igg_date}) after {kind} {t0}; "
                         "ends {order_end} (stop date {stop_date})",
                         "Ig-ordinationen opfylder startkriteriet: IgG {igg} < {threshold} ({igg_date}) efter {kind} "
                         "{t0}; ender {order_end} (stopdato {stop_date})"),
                    Text("Starting within {window} of {t0_event}, IgG below {threshold} is enough.",
                         "Ved start inden for {window} efter {t0_event} er IgG under {threshold} nok."),
                    _ENDS_EARLIER_ACTION,
                    section="§4.1",
                ),
                "window-general-stop": Variant(
                    Text("Ig order meets the start criterion: IgG {igg} < {threshold} ({igg_date}) after {kind} {t0}; "
                         "general stop criteria",
                         "Ig-ordinationen opfylder startkriteriet: IgG {igg} < {threshold} ({igg_date}) efter {kind} "
                         "{t0}; generelle seponeringskriterier"),
                    Text("Starting within {window} of {t0_event}, IgG below {threshold} is enough; because "
                         "{general_stop_reason}, the general stop criteria apply.",
                         "Ved start inden for {window} efter {t0_event} er IgG under {threshold} nok; da "
                         "{general_stop_reason}, gælder de generelle seponeringskriterier."),
                    Text("Attempt the stop {general_stop} after the start: {general_stop_from} to {general_stop_to}.",
                         "Forsøg seponering {general_stop} efter opstart: {general_stop_from} til {general_stop_to}."),
                ),
                # a new bsAb drafted with it, to begin before the stop date and no later than this order: once begun,
                # it opens the window this order runs in, and the stop is six months after it
                "window-new-therapy": Variant(
                    Text("Ig order meets the start criterion: IgG {igg} < {threshold} ({igg_date}); stop attempt "
                         "{session_stop_date} once {session_therapy} has begun",
                         "Ig-ordinationen opfylder startkriteriet: IgG {igg} < {threshold} ({igg_date}); "
                         "seponeringsforsøg {session_stop_date}, når {session_therapy} er begyndt"),
                    Text("Starting within {window} of {t0_event}, IgG below {threshold} is enough. "
                         "{session_therapy}, {session_how} from {session_therapy_start}, opens a new window; once "
                         "it has begun, the stop date is {session_stop_date}, not {stop_date}.",
                         "Ved start inden for {window} efter {t0_event} er IgG under {threshold} nok. "
                         "{session_therapy} {session_how} fra {session_therapy_start} åbner en ny periode; når den er "
                         "begyndt, er seponeringsdatoen {session_stop_date}, ikke {stop_date}."),
                    Text("Once {session_therapy} has begun, let the order end on {session_stop_date}; if it is not "
                         "given, on {stop_date}.",
                         "Når {session_therapy} er begyndt, så lad ordinationen slutte {session_stop_date}; gives den "
                         "ikke, så {stop_date}."),
                    section="§4.1",
                ),
                "general": Variant(
                    Text("Ig order meets the general criteria: IgG {igg} < {threshold} ({igg_date}) with "
                         "severe/recurrent bacterial infections",
                         "Ig-ordinationen opfylder generelle kriterier: IgG {igg} < {threshold} ({igg_date}) og "
                         "svære/tilbagevendende bakterielle infektioner"),
                    Text("IgG below {threshold} with severe or recurrent verified bacterial infections meets the "
                         "general start criteria.",
                         "IgG under {threshold} med svære/tilbagevendende verificerede bakterielle infektioner "
                         "opfylder de generelle startkriterier."),
                    Text("Attempt the stop {general_stop} after the start: {general_stop_from} to {general_stop_to}.",
                         "Forsøg seponering {general_stop} efter opstart: {general_stop_from} til {general_stop_to}."),
                    section="§4.1, §4.3",
                ),
                "continuation-window": Variant(
                    Text("Ig continuation after {kind} {t0}: end the order on the stop date {stop_date} ({days_left})",
                         "Fortsat Ig efter {kind} {t0}: lad ordinationen slutte på seponeringsdatoen {stop_date} "
                         "({days_left})"),
                    Text("Substitution started in the window continues only up to its stop date.",
                         "Substitution startet i perioden fortsætter kun til seponeringsdatoen."),
                    Text("Let the order end on {stop_date}.", "Lad ordinationen slutte {stop_date}."),
                    section="§4.2", spare_action=_MEASURE_AFTER_STOP,
                ),
                "continuation-ends-earlier": Variant(
                    Text("Ig continuation after {kind} {t0}: attempt the stop when it ends {order_end} (stop date "
                         "{stop_date}, {days_left})",
                         "Fortsat Ig efter {kind} {t0}: forsøg seponering, når den slutter {order_end} "
                         "(seponeringsdato {stop_date}, {days_left})"),
                    Text("Substitution started in the window continues only up to its stop date.",
                         "Substitution startet i perioden fortsætter kun til seponeringsdatoen."),
                    _ENDS_EARLIER_ACTION,
                    section="§4.2",
                ),
                "continuation-general": Variant(
                    Text("Ig continuation under the general SID criteria: next stop review {due_date}",
                         "Fortsat Ig efter de generelle SID-kriterier: næste seponeringsvurdering {due_date}"),
                    Text("This substitution follows the general stop criteria: a stop attempt {general_stop} after "
                         "its start.",
                         "Substitutionen følger de generelle seponeringskriterier: seponeringsforsøg "
                         "{general_stop} efter opstart."),
                    Text("Review whether substitution can be paused (review date {due_date}); then every "
                         "{review_every}.",
                         "Vurdér, om substitution kan pauseres (vurderingsdato {due_date}); derefter hver "
                         "{review_every}."),
                    section="§4.2",
                ),
                "continuation-general-due": Variant(
                    Text("Ig continuation under the general SID criteria: stop review due since {due_date}; review "
                         "before renewing",
                         "Fortsat Ig efter de generelle SID-kriterier: seponeringsvurdering aktuel fra {due_date}; "
                         "vurdér før fornyelse"),
                    Text("This substitution follows the general stop criteria: a stop attempt {general_stop} after "
                         "its start; that review is due now.",
                         "Substitutionen følger de generelle seponeringskriterier: seponeringsforsøg "
                         "{general_stop} efter opstart; seponering skal vurderes nu."),
                    Text("Review now whether substitution can be paused (review date {due_date}) before renewing "
                         "it; then every {review_every}.",
                         "Vurdér nu, om substitution kan pauseres (vurderingsdato {due_date}), før fornyelse; "
                         "derefter hver {review_every}."),
                    indicator="warning", information_only=False, section="§4.2",
                ),
            },
            suggestions=("set-order-end",),
            variant_doc={"window": "starts inside the window on IgG < threshold",
                         "window-general-stop": "starts inside the window, general stop criteria apply (begun "
                                                "before T0, after infections, or before a bsAb drafted with it)",
                         "window-new-therapy": "starts inside the window on IgG < threshold, on or after the start of "
                                               "a bsAb drafted with it that opens a new window before the stop date: "
                                               "the stop is six months after that start, once it has begun; no end "
                                               "date offered",
                         "general": "general criteria met (IgG and infections)",
                         "continuation-window": "continues substitution started in the window",
                         "continuation-ends-earlier": "continues substitution started in the window; the draft "
                                                      "already ends before the stop date: renew it to the stop date, "
                                                      "or stop when it ends",
                         "window-followed": "starts inside the window on IgG < threshold; the draft ends before the "
                                            "stop date and another Ig draft of the session begins from its end to the "
                                            "continuity gap after it (a loading IVIG, then SCIG): one course",
                         "window-ends-earlier": "starts inside the window on IgG < threshold; the draft already ends "
                                                "before the stop date: renew it to the stop date, or stop when it "
                                                "ends (a start more than the continuity gap later is a restart)",
                         "continuation-general": "continues substitution under the general criteria",
                         "continuation-general-due": "continues substitution under the general criteria while its "
                                                     "stop review is due (warning)"},
        ),
        AdviceKind(
            "order-does-not-meet-criteria",
            Text("Draft immunoglobulin order does not meet the criteria",
                 "Udkast til immunglobulinordination opfylder ikke kriterierne"),
            "§4.1, §4.3", "warning", False, ORDERS,
            {"": Variant(
                Text("Ig order does not meet the criteria: {failing}",
                     "Ig-ordinationen opfylder ikke kriterierne: {failing}"),
                Text("The order was checked against the criteria for its planned start day; at least one is not "
                     "met.",
                     "Ordinationen er vurderet efter kriterierne for planlagt startdag; mindst ét er ikke "
                     "opfyldt."),
                _RECONSIDER,
            ),
             "window": Variant(
                Text("Ig order does not meet the start criterion after {kind} {t0}: {failing}",
                     "Ig-ordinationen opfylder ikke startkriteriet efter {kind} {t0}: {failing}"),
                Text("Starting within {window} of {t0_event}, the order needs a usable IgG below {threshold}; "
                     "that is not met.",
                     "Ved start inden for {window} efter {t0_event} kræves en brugbar IgG under "
                     "{threshold}; det er ikke opfyldt."),
                _RECONSIDER,
                section="§4.1",
            ),
             "after-window": Variant(
                Text("Ig order from {order_start}, after the high-risk window: general criteria not met ({failing})",
                     "Ig fra {order_start}, efter højrisikoperioden: generelle kriterier ikke opfyldt ({failing})"),
                Text("The order starts after the high-risk window, so the general criteria apply from its start; they "
                     "are not met.",
                     "Ordinationen starter efter højrisikoperioden, så de generelle kriterier gælder fra start; de er "
                     "ikke opfyldt."),
                _RECONSIDER,
            )},
            suggestions=("order-igg",),
            override_reasons=("infection-not-coded", "specialist-decision", "community-infection-risk",
                              "infection-tendency"),
            advises_against_start=True,
            variant_doc={"": "held against the general criteria, a stop date passed, or no IgG since T0",
                         "window": "starts inside the window, where IgG alone decides, and the IgG does not qualify "
                                   "(not low, too old, or a bound that cannot be placed)",
                         "after-window": "the window runs today, but the order starts on or after the stop date and "
                                         "fails the general criteria: the summary leads with the criteria not met"},
        ),
        AdviceKind(
            "plan-igg-monitoring",
            Text("IgG monitoring with a CAR-T or bispecific order", "IgG-monitorering ved ordination af CAR-T eller bispecifikt antistof"),
            "§4.1, §4.2", "info", False, ORDERS,
            {
                "new": Variant(
                    Text("{drug} from {order_start}: measure IgG at baseline and until {stop_date} (high-risk "
                         "window){baseline}",
                         "{drug} fra {order_start}: mål IgG før start og indtil {stop_date} "
                         "(højrisikoperiode){baseline}"),
                    Text("CAR-T and B-cell or plasma-cell directed bispecifics cause low IgG; within {window} of the "
                         "start, IgG below {threshold} is enough to start substitution.",
                         "CAR-T og bispecifikke antistoffer mod B- eller plasmaceller giver lav IgG; inden for "
                         "{window} efter start er IgG under {threshold} nok til at starte substitution."),
                    Text("Measure IgG before the first dose and regularly until {stop_date}.",
                         "Mål IgG før første dosis og jævnligt indtil {stop_date}."),
                ),
                # a new course for a patient to whom patient-view advises a start under the special criterion today:
                # the card says so rather than asking for a baseline IgG the chart already holds
                "igg-low": Variant(
                    Text("{drug} from {order_start}: IgG {igg} < {threshold} ({igg_date}) already; Ig may be started, "
                         "stop attempt {stop_date}",
                         "{drug} fra {order_start}: IgG {igg} < {threshold} ({igg_date}) allerede; Ig kan startes, "
                         "seponeringsforsøg {stop_date}"),
                    Text("IgG is already below {threshold}; within {window} of the start of this therapy that alone "
                         "is enough to start substitution, whatever the infections.",
                         "IgG er allerede under {threshold}; inden for {window} efter start af denne behandling er "
                         "det alene nok til at starte substitution, uanset infektioner."),
                    # the IgG predates the course's first dose: once that dose has come, the window runs from it and
                    # counts only an IgG taken since (spec §2), so the start this IgG supports is one before it
                    Text("Ig may be started now, before the first dose (once it is given, a start needs an IgG taken "
                         "after it); attempt a stop on {stop_date}.",
                         "Ig kan startes nu, før første dosis (når den er givet, kræver en start en IgG taget "
                         "efter den); forsøg seponering {stop_date}."),
                ),
                # ... the same with the course to begin after today while the current window runs: Ig begun now is
                # begun before the course, so once the course has begun it follows the general stop criteria, the first
                # review not inside the new window (§4.2), as the Ig order drafted with it and patient-view then say
                "igg-low-general-stop": Variant(
                    Text("{drug} from {order_start}: IgG {igg} < {threshold} ({igg_date}); Ig may be started, general "
                         "stop criteria from {due_date}",
                         "{drug} fra {order_start}: IgG {igg} < {threshold} ({igg_date}); Ig kan startes, generelle "
                         "seponeringskriterier fra {due_date}"),
                    Text("IgG below {threshold} is enough to start now, in the window running. Ig begun before this "
                         "course follows the general stop criteria once the course begins.",
                         "IgG under {threshold} er nok til start nu, i den igangværende periode. Ig startet før dette "
                         "forløb følger de generelle seponeringskriterier, når forløbet begynder."),
                    Text("Ig may be started now, before the first dose (after it, a start needs a new IgG); review a "
                         "stop attempt from {due_date}.",
                         "Ig kan startes nu, før første dosis (derefter kræver en start en ny IgG); vurdér et "
                         "seponeringsforsøg fra {due_date}."),
                ),
                # ... the same with the course to begin after the current window's stop date: Ig begun now on low IgG
                # alone is held to that stop, before the course (§4.2), as patient-view will ask meanwhile
                "igg-low-special-stop-first": Variant(
                    Text("{drug} from {order_start}: IgG {igg} < {threshold} ({igg_date}) already; Ig may be started, "
                         "stop attempt {due_date}",
                         "{drug} fra {order_start}: IgG {igg} < {threshold} ({igg_date}) allerede; Ig kan startes, "
                         "seponeringsforsøg {due_date}"),
                    Text("IgG below {threshold} is enough to start now, in the window running. That window ends on "
                         "{due_date}, before this course, and Ig begun now is stopped then.",
                         "IgG under {threshold} er nok til start nu, i den igangværende periode. Perioden slutter "
                         "{due_date}, før dette forløb, og Ig startet nu seponeres da."),
                    Text("Ig may be started now; attempt the stop on {due_date} and measure IgG off substitution; if "
                         "Ig still runs on {order_start}, review a stop on {stop_date}.",
                         "Ig kan startes nu; forsøg seponering {due_date}, og mål IgG uden substitution; gives Ig "
                         "stadig {order_start}, så vurdér seponering {stop_date}."),
                ),
                # a first course, no window running, the IgG of the last 30 days before it already below the
                # threshold: a baseline (spec §3), not a start; the card says so rather than asking for a baseline
                "baseline-low": Variant(
                    Text("{drug} from {order_start}: IgG {igg} < {threshold} ({igg_date}) before it; re-measure after "
                         "the first dose to start Ig",
                         "{drug} fra {order_start}: IgG {igg} < {threshold} ({igg_date}) før start; mål igen efter "
                         "første dosis for at starte Ig"),
                    Text("An IgG before the first dose is a baseline: the window opens with the first dose, and "
                         "within {window} of it IgG below {threshold} is enough to start substitution, whatever the "
                         "infections.",
                         "En IgG før første dosis er en baseline: perioden begynder med første dosis, og inden for "
                         "{window} derefter er IgG under {threshold} nok til at starte substitution, uanset "
                         "infektioner."),
                    Text("Measure IgG after the first dose; below {threshold}, Ig may be started, with a stop attempt "
                         "on {stop_date}.",
                         "Mål IgG efter første dosis; er den under {threshold}, kan Ig startes med seponeringsforsøg "
                         "{stop_date}."),
                ),
                # a new course for a patient on immunoglobulin begun before it: that course is not stopped with the
                # window (§4.2: general stop criteria); no baseline IgG, which would show the infused dose (§3.4)
                "on-substitution": Variant(
                    Text("{drug} from {order_start}: Ig since {episode_start} follows the general stop criteria; "
                         "stop review {due_date}",
                         "{drug} fra {order_start}: Ig siden {episode_start} følger de generelle "
                         "seponeringskriterier; vurdering {due_date}"),
                    Text("Immunoglobulin begun before this therapy follows the general stop criteria (a stop attempt "
                         "{general_stop} after its start), not the special stop; the first review comes when the new "
                         "window ends ({stop_date}).",
                         "Immunglobulin startet før denne behandling følger de generelle seponeringskriterier "
                         "(seponeringsforsøg {general_stop} efter start), ikke særkriteriets seponering; første "
                         "vurdering kommer, når den nye periode slutter ({stop_date})."),
                    Text("Keep substitution; review a stop on {due_date}, then every {review_every}.",
                         "Fortsæt substitutionen; vurdér seponering {due_date}, derefter hver {review_every}."),
                ),
                "continues": Variant(
                    Text("{drug} continues the course from {t0}: keep measuring IgG until {stop_date}{baseline}",
                         "{drug} fortsætter forløbet fra {t0}: mål fortsat IgG indtil {stop_date}{baseline}"),
                    Text("This order continues a course that started on {t0}; the high-risk window runs from then.",
                         "Ordinationen fortsætter et forløb, der startede {t0}; højrisikoperioden regnes derfra."),
                    Text("Keep measuring IgG until {stop_date}.", "Fortsæt med at måle IgG indtil {stop_date}."),
                ),
                # ... in a window that runs, IgG since its T0 already below the threshold: patient-view's start
                "continues-igg-low": Variant(
                    Text("{drug} continues the course from {t0}: IgG {igg} < {threshold} ({igg_date}); Ig may be "
                         "started, stop attempt {stop_date}",
                         "{drug} fortsætter forløbet fra {t0}: IgG {igg} < {threshold} ({igg_date}); Ig kan "
                         "startes, seponeringsforsøg {stop_date}"),
                    Text("This order continues a course that started on {t0}; within {window} of that start, IgG "
                         "below {threshold} is enough to start substitution, whatever the infections.",
                         "Ordinationen fortsætter et forløb, der startede {t0}; inden for {window} efter den start er "
                         "IgG under {threshold} nok til at starte substitution, uanset infektioner."),
                    Text("Ig may be started now; attempt a stop on {stop_date}.",
                         "Ig kan startes nu; forsøg seponering {stop_date}."),
                ),
                # ... for a patient on immunoglobulin: the Ig's own stop or review goes on; no IgG asked for (§3.4)
                "continues-stop": Variant(
                    Text("{drug} continues the course from {t0}: Ig since {episode_start} keeps its stop attempt on "
                         "{due_date}",
                         "{drug} fortsætter forløbet fra {t0}: Ig siden {episode_start} beholder sit "
                         "seponeringsforsøg {due_date}"),
                    _CONTINUES_ON_IG,
                    Text("Attempt the Ig stop on {due_date}, then measure IgG off substitution.",
                         "Forsøg seponering af Ig {due_date}, og mål derefter IgG uden substitution."),
                ),
                "continues-stop-overdue": Variant(
                    Text("{drug} continues the course from {t0}: Ig since {episode_start} is past its stop date "
                         "{due_date}; pause it now",
                         "{drug} fortsætter forløbet fra {t0}: Ig siden {episode_start} har passeret "
                         "seponeringsdatoen {due_date}; pausér den nu"),
                    _CONTINUES_ON_IG,
                    Text("Pause substitution now; measure IgG off substitution later.",
                         "Pausér substitutionen nu; mål IgG uden substitution senere."),
                ),
                "continues-review": Variant(
                    Text("{drug} continues the course from {t0}: Ig since {episode_start} follows the general stop "
                         "criteria; review {due_date}",
                         "{drug} fortsætter forløbet fra {t0}: Ig siden {episode_start} følger de generelle "
                         "seponeringskriterier; vurdering {due_date}"),
                    _CONTINUES_ON_IG,
                    Text("Keep substitution; review a stop on {due_date}, then every {review_every}.",
                         "Fortsæt substitutionen; vurdér seponering {due_date}, derefter hver {review_every}."),
                ),
                "continues-after-window": Variant(
                    Text("{drug} continues the course from {t0}; its high-risk window ended {stop_date}: general "
                         "criteria apply",
                         "{drug} fortsætter forløbet fra {t0}; dets højrisikoperiode sluttede {stop_date}: generelle "
                         "kriterier gælder"),
                    Text("This order continues a course that started on {t0}; its high-risk window has ended, and a "
                         "later dose of it opens no new one.",
                         "Ordinationen fortsætter et forløb, der startede {t0}; dets højrisikoperiode er slut, og en "
                         "senere dosis af det åbner ingen ny."),
                    Text("Start immunoglobulin only by the general criteria: IgG below {threshold} with severe or "
                         "recurrent verified bacterial infections.",
                         "Start kun immunglobulin efter de generelle kriterier: IgG under {threshold} og svære eller "
                         "tilbagevendende verificerede bakterielle infektioner."),
                ),
                # ... for a patient on immunoglobulin begun before it (§4.2): the infusion's day is not known yet, so
                # the first review is named by its distance from the infusion, not by a date
                "car-t-product-on-substitution": Variant(
                    Text("{drug} ordered: Ig since {episode_start} follows the general stop criteria; stop review "
                         "{window} after the infusion",
                         "{drug} ordineret: Ig siden {episode_start} følger de generelle seponeringskriterier; "
                         "vurdering {window} efter infusionen"),
                    Text("Immunoglobulin begun before this therapy follows the general stop criteria (a stop attempt "
                         "{general_stop} after its start), not the special stop; the first review comes when the "
                         "high-risk window after the infusion ends.",
                         "Immunglobulin startet før denne behandling følger de generelle seponeringskriterier "
                         "(seponeringsforsøg {general_stop} efter start), ikke særkriteriets seponering; første "
                         "vurdering kommer, når højrisikoperioden efter infusionen slutter."),
                    Text("Keep substitution; review a stop {window} after the infusion, then every {review_every}.",
                         "Fortsæt substitutionen; vurdér seponering {window} efter infusionen, derefter hver "
                         "{review_every}."),
                ),
                # ... whose immunoglobulin is held to the special stop of the window it began in (§4.2), when that
                # stop may come first: a bsAb course planned after the stop date, or a CAR-T product (not dated)
                "special-stop-first": Variant(
                    Text("{drug} from {order_start}: Ig since {episode_start} is due its stop attempt ({due_date}) "
                         "before this course",
                         "{drug} fra {order_start}: Ig siden {episode_start} skal have seponeringsforsøg {due_date}, "
                         "før forløbet starter"),
                    Text("Immunoglobulin begun in the current window on low IgG alone stops when that window ends, "
                         "before this course. Still given when the course begins, it follows the general stop criteria; in "
                         "the new window IgG below {threshold} again allows a start.",
                         "Immunglobulin startet i den aktuelle periode alene på grund af lav IgG seponeres, når "
                         "perioden slutter, før dette forløb. Gives det stadig ved forløbets start, gælder de generelle "
                         "seponeringskriterier; i den nye periode giver IgG under {threshold} igen grund til start."),
                    Text("Attempt the stop (due {due_date}) and measure IgG off substitution; if Ig still runs on "
                         "{order_start}, review a stop on {stop_date}.",
                         "Forsøg seponering (planlagt {due_date}), og mål IgG uden substitution; gives Ig stadig "
                         "{order_start}, så vurdér seponering {stop_date}."),
                ),
                # ... the same, its stop date passed today (patient-view: `stop-overdue`): pause it now
                "special-stop-overdue": Variant(
                    Text("{drug} from {order_start}: Ig since {episode_start} is past its stop date {due_date}; pause "
                         "it before this course",
                         "{drug} fra {order_start}: Ig siden {episode_start} har passeret seponeringsdatoen "
                         "{due_date}; pausér den før forløbet"),
                    Text("Immunoglobulin begun in a high-risk window on low IgG alone stops when that window ends, "
                         "here on {due_date}. Still given when this course begins, it follows the general stop "
                         "criteria; in the new window IgG below {threshold} again allows a start.",
                         "Immunglobulin startet i en højrisikoperiode alene på grund af lav IgG seponeres, når "
                         "perioden slutter, her {due_date}. Gives det stadig ved forløbets start, gælder de generelle "
                         "seponeringskriterier; i den nye periode giver IgG under {threshold} igen grund til start."),
                    Text("Pause substitution now and measure IgG off substitution; if Ig still runs on {order_start}, "
                         "review a stop on {stop_date}.",
                         "Pausér substitutionen nu, og mål IgG uden substitution; gives Ig stadig {order_start}, så "
                         "vurdér seponering {stop_date}."),
                ),
                "car-t-product-special-stop-overdue": Variant(
                    Text("{drug} ordered: Ig since {episode_start} is past its stop date {due_date}; pause it now",
                         "{drug} ordineret: Ig siden {episode_start} har passeret seponeringsdatoen {due_date}; pausér "
                         "den nu"),
                    Text("Immunoglobulin begun in a high-risk window on low IgG alone stops when that window ends, "
                         "here on {due_date}. Still given at the infusion, it follows the general stop criteria, "
                         "first reviewed {window} after the infusion.",
                         "Immunglobulin startet i en højrisikoperiode alene på grund af lav IgG seponeres, når "
                         "perioden slutter, her {due_date}. Gives det stadig ved infusionen, følger det de generelle "
                         "seponeringskriterier med første vurdering {window} efter infusionen."),
                    Text("Pause substitution now and measure IgG off substitution; if it still runs at the infusion, "
                         "review a stop {window} after it.",
                         "Pausér substitutionen nu, og mål IgG uden substitution; gives den stadig ved infusionen, så "
                         "vurdér seponering {window} efter den."),
                ),
                "car-t-product-special-stop": Variant(
                    Text("{drug} ordered: Ig since {episode_start} is due its stop attempt {due_date} unless the "
                         "infusion comes first",
                         "{drug} ordineret: Ig siden {episode_start} skal have seponeringsforsøg {due_date}, "
                         "medmindre infusionen kommer før"),
                    Text("Immunoglobulin begun in the current high-risk window on low IgG alone is stopped when "
                         "that window ends. An infusion before then opens a new window; the Ig then follows the "
                         "general stop criteria, first reviewed {window} after the infusion.",
                         "Immunglobulin startet i den aktuelle højrisikoperiode alene på grund af lav IgG seponeres, "
                         "når perioden slutter. En infusion før da åbner en ny periode; Ig følger derefter de generelle "
                         "seponeringskriterier med første vurdering {window} efter infusionen."),
                    Text("Attempt the stop on {due_date} if the infusion has not come by then; if it has, keep "
                         "substitution and review a stop {window} after it.",
                         "Forsøg seponering {due_date}, hvis infusionen ikke er givet inden; er den givet, så fortsæt "
                         "substitutionen og vurdér seponering {window} efter den."),
                ),
                "car-t-product": Variant(
                    Text("CAR-T ordered: the high-risk window starts at the infusion; measure IgG before it{baseline}",
                         "CAR-T ordineret: højrisikoperioden starter ved infusionen; mål IgG før den{baseline}"),
                    Text("The window runs {window} from the infusion day, which only the infusion's own record "
                         "gives (an order's planned dates do not).",
                         "Perioden løber {window} fra infusionsdagen, som kun registreringen af selve infusionen "
                         "angiver (en ordinations planlagte datoer gør ikke)."),
                    Text("Measure IgG before the infusion and regularly for {window} after it.",
                         "Mål IgG før infusionen og jævnligt i {window} efter."),
                ),
            },
            suggestions=("order-igg",),
            variant_doc={"new": "a new bsAb course", "igg-low": "a bsAb course, IgG already below the threshold",
                         "igg-low-general-stop": "a bsAb course to begin after today and on or before the stop date "
                                                 "of the window now running, IgG already below the threshold: Ig may "
                                                 "start now, and follows the general stop criteria once the course "
                                                 "has begun",
                         "igg-low-special-stop-first": "a bsAb course to begin after the stop date of the window now "
                                                       "running, IgG already below the threshold: Ig may start now, "
                                                       "held to that window's stop",
                         "baseline-low": "a first course (no index event yet), the IgG of the last 30 days before it "
                                         "already below the threshold, not taken on substitution: a baseline, so "
                                         "the card says Ig may start after the first dose",
                         "on-substitution": "a new bsAb course for a patient on immunoglobulin begun before it: "
                                            "the general stop criteria, the first review not inside the new window",
                         "continues": "resumes a current bsAb course",
                         "continues-igg-low": "resumes a current bsAb course, IgG since its start already below "
                                              "the threshold: Ig may start, as patient-view says",
                         "continues-stop": "resumes a current bsAb course for a patient on immunoglobulin held to "
                                           "the special stop: that stop goes on, no IgG asked for",
                         "continues-review": "resumes a current bsAb course for a patient on immunoglobulin under "
                                             "the general stop criteria: the next review, no IgG asked for",
                         "continues-after-window": "resumes a bsAb course whose window has ended (general criteria)",
                         "car-t-product": "a CAR-T product order (infusion date unknown)",
                         "special-stop-first": "a new bsAb course planned to begin after the stop date of "
                                               "immunoglobulin held to the special stop of the current window: "
                                               "that stop comes first, the new window may restart it",
                         "special-stop-overdue": "the same, that stop date passed today: pause the Ig now",
                         "car-t-product-special-stop-overdue": "a CAR-T product order for a patient whose "
                                                               "immunoglobulin is past the special stop of its "
                                                               "window: pause it now",
                         "continues-stop-overdue": "resumes a bsAb course for a patient on immunoglobulin past the "
                                                   "special stop: pause it now, no IgG asked for",
                         "car-t-product-special-stop": "a CAR-T product order for a patient whose immunoglobulin is "
                                                       "held to the special stop of the current window: that stop "
                                                       "stands unless the infusion comes first",
                         "car-t-product-on-substitution": "a CAR-T product order for a patient on immunoglobulin "
                                                          "begun before it: the general stop criteria, the first "
                                                          "review six months after the infusion"},
        ),
        AdviceKind(
            "therapy-not-recognised",
            Text("Therapy not checked: not recognised by its code",
                 "Behandling ikke vurderet: ikke genkendt på sin kode"),
            "§4.1", "info", False, ALL_HOOKS,
            {
                "": Variant(
                    Text("Not checked: {drug} ({order_code}), {therapy_date}, has a code this service does not know",
                         "Ikke vurderet: {drug} ({order_code}), {therapy_date}, har en kode, tjenesten ikke kender"),
                    Text("Its name looks like {looks_like}, which opens the guideline's high-risk window ({window}), but none "
                         "of its codes is in the service's value sets: no window, start or stop criterion was applied.",
                         "Navnet ligner {looks_like}, som åbner vejledningens højrisikoperiode ({window}), men ingen af dens "
                         "koder findes i tjenestens værdisæt: ingen periode, start- eller stopkriterier er anvendt."),
                    Text("Check the immunoglobulin criteria yourself, and ask the CDS team to add the code "
                         "{order_code_whole} ({order_code_system}).",
                         "Vurdér selv kriterierne for immunglobulin, og bed CDS-teamet tilføje koden {order_code_whole} "
                         "({order_code_system})."),
                ),
                "no-code": Variant(
                    Text("Not checked: {drug}, {therapy_date}, is recorded without a code this service knows",
                         "Ikke vurderet: {drug}, {therapy_date}, er registreret uden en kode, tjenesten kender"),
                    Text("Its name looks like {looks_like}, which opens the guideline's high-risk window ({window}), but it "
                         "has no code in the service's value sets: no window, start or stop criterion was applied.",
                         "Navnet ligner {looks_like}, som åbner vejledningens højrisikoperiode ({window}), men den har ingen "
                         "kode i tjenestens værdisæt: ingen periode, start- eller stopkriterier er anvendt."),
                    Text("Check the immunoglobulin criteria yourself, and ask the CDS team to record the therapy "
                         "with a code the service knows.",
                         "Vurdér selv kriterierne for immunglobulin, og bed CDS-teamet registrere behandlingen med en "
                         "kode, tjenesten kender."),
                ),
                # coded by a class of drugs only (SKS BOHJ19K, "bispecific T-cell antibody"): the class holds drugs
                # the guideline does not cover (tarlatamab, lung cancer), so the card asks which drug it was
                "class-code": Variant(
                    Text("Not checked: {drug} ({order_code}), {therapy_date}, is coded as a class of drugs, not one drug",
                         "Ikke vurderet: {drug} ({order_code}), {therapy_date}, er kodet som en lægemiddelklasse, ikke "
                         "ét lægemiddel"),
                    Text("Its code names {looks_like} without saying which; only one aimed at B or plasma cells opens "
                         "the high-risk window ({window}): no criterion was applied.",
                         "Koden angiver {looks_like} uden at sige hvilket; kun et rettet mod B- eller plasmaceller "
                         "åbner højrisikoperioden ({window}): intet kriterium er anvendt."),
                    Text("Check which drug was given; if aimed at B or plasma cells, apply the criteria from its first "
                         "dose and have its own code recorded.",
                         "Kontrollér, hvilket lægemiddel der blev givet; er det rettet mod B- eller plasmaceller, så "
                         "vurdér kriterierne fra første dosis, og få dets egen kode registreret."),
                ),
                "class-code-child": Variant(
                    Text("Not checked: {drug} ({order_code}), {therapy_date}, is coded as a class of drugs; child "
                         "({age} y): individual assessment",
                         "Ikke vurderet: {drug} ({order_code}), {therapy_date}, er kodet som en lægemiddelklasse; barn "
                         "({age} år): individuel vurdering"),
                    Text("Its code names {looks_like} without saying which. The criteria do not cover children: the "
                         "need for substitution is assessed individually.",
                         "Koden angiver {looks_like} uden at sige hvilket. Kriterierne omfatter ikke børn: behovet for "
                         "substitution vurderes individuelt."),
                    Text("Decide individually, and have the drug's own code recorded.",
                         "Vurdér individuelt, og få lægemidlets egen kode registreret."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                # named like one, its code sent under another known system than its own ("Tecvayli" with L01FX24 under
                # SNOMED CT): the record's code system is to be corrected, as a draft so coded is told
                "named-wrong-system": Variant(
                    Text("Not checked: {drug} ({order_code}), {therapy_date}, has its code under the wrong code system",
                         "Ikke vurderet: {drug} ({order_code}), {therapy_date}, har sin kode under det forkerte "
                         "kodesystem"),
                    Text("Its name looks like {looks_like}, which opens the guideline's high-risk window ({window}), but "
                         "its code {order_code_whole} was sent under {order_code_system} and is a code of "
                         "{right_code_system}: not counted, no window, start or stop criterion applied.",
                         "Navnet ligner {looks_like}, som åbner vejledningens højrisikoperiode ({window}), men koden "
                         "{order_code_whole} er sendt under {order_code_system} og er en {right_code_system}-kode: "
                         "medregnes ikke, ingen periode, start- eller stopkriterier anvendt."),
                    Text("Have the code system corrected on the record in the EHR; until then check the "
                         "immunoglobulin criteria yourself.",
                         "Få kodesystemet rettet på registreringen i EPJ; vurdér indtil da selv kriterierne for "
                         "immunglobulin."),
                ),
                "named-wrong-system-child": Variant(
                    Text("Not checked: {drug}, {therapy_date}, has its code under the wrong code system; child ({age} "
                         "y): individual assessment",
                         "Ikke vurderet: {drug}, {therapy_date}, har sin kode under forkert kodesystem; barn ({age} "
                         "år): individuel vurdering"),
                    Text("Its name looks like {looks_like}, but its code {order_code_whole} was sent under "
                         "{order_code_system} and is a code of {right_code_system}. The criteria do not cover "
                         "children: the need for substitution is assessed individually.",
                         "Navnet ligner {looks_like}, men koden {order_code_whole} er sendt under {order_code_system} "
                         "og er en {right_code_system}-kode. Kriterierne omfatter ikke børn: behovet for substitution "
                         "vurderes individuelt."),
                    Text("Decide individually, and have the code system corrected on the record in the EHR.",
                         "Vurdér individuelt, og få kodesystemet rettet på registreringen i EPJ."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                "unknown-system": Variant(
                    Text("Not checked: {unknown_records} record(s) coded in a system this service reads no therapy "
                         "in may be CAR-T or bispecific therapy",
                         "Ikke vurderet: {unknown_records} registrering(er) kodet i et system, tjenesten ikke læser "
                         "behandling i, kan være CAR-T eller bispecifik behandling"),
                    Text("No CAR-T or bispecific antibody was found, but procedures or doses with no name are coded "
                         "only in a code system the service reads no therapy in ({order_code_system}); one may open "
                         "the high-risk window ({window}): no criterion was applied.",
                         "Ingen CAR-T eller bispecifikt antistof er fundet, men procedurer eller doser uden navn er "
                         "kun kodet i et system, tjenesten ikke læser behandling i ({order_code_system}); en kan åbne "
                         "højrisikoperioden ({window}): intet kriterium er anvendt."),
                    Text("If the patient has had CAR-T or a bispecific antibody, check the criteria yourself and ask "
                         "the CDS team to add the code system.",
                         "Har patienten fået CAR-T eller et bispecifikt antistof, så vurdér selv kriterierne, og bed "
                         "CDS-teamet tilføje kodesystemet."),
                    information_only=True,  # a record that may be a therapy: no action due now, not on the worklist
                ),
                "unknown-system-child": Variant(
                    Text("Not checked: {unknown_records} record(s) in a system this service reads no therapy in may "
                         "be CAR-T or bispecific; child ({age} y)",
                         "Ikke vurderet: {unknown_records} registrering(er) i et system, tjenesten ikke læser "
                         "behandling i, kan være CAR-T/bispecifik; barn ({age} år)"),
                    Text("No CAR-T or bispecific antibody was found, but records with no name are coded only in a "
                         "system the service reads no therapy in ({order_code_system}). The criteria do not cover "
                         "children: the need for substitution is assessed individually.",
                         "Ingen CAR-T eller bispecifikt antistof er fundet, men registreringer uden navn er kun kodet "
                         "i et system, tjenesten ikke læser behandling i ({order_code_system}). Kriterierne omfatter "
                         "ikke børn: behovet for substitution vurderes individuelt."),
                    Text("If the child has had CAR-T or a bispecific antibody, decide individually, and ask the CDS "
                         "team to add the code system.",
                         "Har barnet fået CAR-T eller et bispecifikt antistof, så vurdér individuelt, og bed "
                         "CDS-teamet tilføje kodesystemet."),
                    information_only=True,
                    section="§4",  # children: the paragraph before the criteria
                ),
                # a CAR-T or bsAb code sent under another known system than its own ("BOQX1", an SKS code, under
                # SNOMED CT): the service reads both systems, so the fix is the record's coding in the EHR
                "wrong-system": Variant(
                    Text("Not checked: {unknown_records} record(s) with a CAR-T or bispecific code sent under the "
                         "wrong code system",
                         "Ikke vurderet: {unknown_records} registrering(er) med en CAR-T- eller bispecifik kode sendt "
                         "under det forkerte kodesystem"),
                    Text("The code {order_code_whole} was sent under {order_code_system}, but is a code of "
                         "{right_code_system} for CAR-T or bispecific therapy: not counted, no high-risk window "
                         "({window}) applied.",
                         "Koden {order_code_whole} er sendt under {order_code_system}, men er en "
                         "{right_code_system}-kode for CAR-T eller bispecifik behandling: medregnes ikke, ingen "
                         "højrisikoperiode ({window}) anvendt."),
                    Text("Have the code system corrected on the record in the EHR; meanwhile check whether this is "
                         "the index therapy and what the criteria say.",
                         "Få kodesystemet rettet på registreringen i EPJ; vurdér imens, om det er "
                         "indeksbehandlingen, og hvad kriterierne siger."),
                    information_only=True,  # as `unknown-system`: no action due now, not on the worklist
                ),
                "wrong-system-child": Variant(
                    Text("Not checked: {unknown_records} record(s) with a CAR-T or bispecific code under the wrong "
                         "code system; child ({age} y)",
                         "Ikke vurderet: {unknown_records} registrering(er) med en CAR-T-/bispecifik kode under "
                         "forkert kodesystem; barn ({age} år)"),
                    Text("The code {order_code_whole} was sent under {order_code_system}, but is a code of "
                         "{right_code_system} for CAR-T or bispecific therapy: not counted. The criteria do not cover "
                         "children: the need for substitution is assessed individually.",
                         "Koden {order_code_whole} er sendt under {order_code_system}, men er en "
                         "{right_code_system}-kode for CAR-T eller bispecifik behandling: medregnes ikke. Kriterierne "
                         "omfatter ikke børn: behovet for substitution vurderes individuelt."),
                    Text("Have the code system corrected on the record in the EHR; meanwhile check whether this is "
                         "the index therapy and decide individually.",
                         "Få kodesystemet rettet på registreringen i EPJ; vurdér imens, om det er "
                         "indeksbehandlingen, og vurdér individuelt."),
                    information_only=True,
                    section="§4",  # children: the paragraph before the criteria
                ),
                # one of its codes is a CAR-T or bsAb code, another one that value set lists as something else (a
                # CAR-T cell harvest or its preparation, not the infusion): not read as either, so no window; without
                # this card a patient with no other index record got no card at all
                "codes-disagree": Variant(
                    Text("Not checked: {drug} ({order_code}), {therapy_date}, carries codes that disagree",
                         "Ikke vurderet: {drug} ({order_code}), {therapy_date}, har koder, der modsiger hinanden"),
                    Text("One of its codes is {looks_like}, which opens the guideline's high-risk window ({window}); "
                         "another is one the service lists as something else (another product, or a step before "
                         "the infusion such as collecting the cells). It was not counted: no window, start or stop "
                         "criterion was applied.",
                         "Én af dens koder er {looks_like}, som åbner vejledningens højrisikoperiode ({window}); en "
                         "anden er en, tjenesten regner som noget andet (et andet produkt eller et trin før "
                         "infusionen, fx høst af cellerne). Den er ikke medregnet: ingen periode, start- eller "
                         "stopkriterier er anvendt."),
                    Text("Have the record's coding corrected in the EHR; until then check the immunoglobulin criteria "
                         "yourself.",
                         "Få registreringens kodning rettet i EPJ; vurdér indtil da selv kriterierne for "
                         "immunglobulin."),
                ),
                "codes-disagree-child": Variant(
                    Text("Not checked: {drug}, {therapy_date}, carries codes that disagree; child ({age} y): "
                         "individual assessment",
                         "Ikke vurderet: {drug}, {therapy_date}, har koder, der modsiger hinanden; barn ({age} år): "
                         "individuel vurdering"),
                    Text("One of its codes is {looks_like}, another one the service lists as something else: not "
                         "counted. The criteria do not cover children: the need for substitution is assessed "
                         "individually.",
                         "Én af dens koder er {looks_like}, en anden en, tjenesten regner som noget andet: medregnes "
                         "ikke. Kriterierne omfatter ikke børn: behovet for substitution vurderes individuelt."),
                    Text("Decide individually, and have the record's coding corrected in the EHR.",
                         "Vurdér individuelt, og få registreringens kodning rettet i EPJ."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                "child": Variant(
                    # "no code it knows": true of a code in no value set and of a record with no code at all
                    Text("Not checked: {drug}, {therapy_date}, has no code this service knows; child ({age} y): "
                         "individual assessment",
                         "Ikke vurderet: {drug}, {therapy_date}, har ingen kode, tjenesten kender; barn ({age} år): "
                         "individuel vurdering"),
                    Text("Its name looks like {looks_like}, but it has no code the service knows. The criteria do "
                         "not cover children: the need for substitution is assessed individually.",
                         "Navnet ligner {looks_like}, men den har ingen kode, tjenesten kender. Kriterierne omfatter "
                         "ikke børn: behovet for substitution vurderes individuelt."),
                    Text("Decide individually, and ask the CDS team to record the therapy with a code the service "
                         "knows.",
                         "Vurdér individuelt, og bed CDS-teamet registrere behandlingen med en kode, tjenesten "
                         "kender."),
                    section="§4",  # children: the paragraph before the criteria
                ),
            },
            worklist_rank=7,
            variant_doc={"": "a CAR-T or bsAb recorded under a code in no value set, and no recognised index event",
                         "no-code": "the same, recorded with no code at all (text only)",
                         "class-code": "the same, coded only by a class of drugs that holds others the guideline does "
                                       "not cover (SKS BOHJ19K, bispecific T-cell engagers), its name giving no drug "
                                       "of the value set: the card asks which drug was given",
                         "class-code-child": "the same, in a child: individual assessment",
                         "named-wrong-system": "the same, its code one the value sets hold under another known "
                                               "system than the one it was sent under (ATC's L01FX24 under SNOMED "
                                               "CT): the record's code system is to be corrected in the EHR",
                         "named-wrong-system-child": "the same, in a child: individual assessment",
                         "codes-disagree": "a CAR-T or bsAb record one of whose codes is in a therapy value set while "
                                           "another is one that set excludes as something else (a CAR-T cell "
                                           "harvest): not read as either, and no recognised index event",
                         "codes-disagree-child": "the same, in a child: individual assessment",
                         "child": "the same, in a child (under the adult age on the therapy's day): the criteria do "
                                  "not cover children, so individual assessment",
                         "unknown-system": "no recognised index event and no therapy known by name, but procedures, "
                                           "doses, orders or medication records that happened, with no name, coded "
                                           "only in a code system the service does not know (policy "
                                           "unknown_system_therapy_card)",
                         "unknown-system-child": "the same, in a child (under the adult age on the latest such "
                                                 "record's day): the criteria do not cover children, so individual "
                                                 "assessment",
                         "wrong-system": "the same, but every such record a CAR-T or bsAb code the value sets hold "
                                         "under another known system than the one it was sent under (an SKS or ATC "
                                         "code under SNOMED CT): the record's code system is to be corrected in the "
                                         "EHR",
                         "wrong-system-child": "the same, in a child: individual assessment"},
        ),
        AdviceKind(
            "malignancy-not-recognised",
            Text("Diagnosis not checked: its code is unknown to the service",
                 "Diagnose ikke vurderet: koden er ukendt for tjenesten"),
            "§4", "info", False, ALL_HOOKS,
            {
                "": Variant(
                    Text("Not checked: {kind} {t0}, but the diagnosis {drug} ({order_code}) has a code this service "
                         "does not know",
                         "Ikke vurderet: {kind} {t0}, men diagnosen {drug} ({order_code}) har en kode, tjenesten "
                         "ikke kender"),
                    Text("The criteria are for a haematological malignancy, and this diagnosis is named like one, but "
                         "none of its codes is in the service's value sets: no start or stop criterion was applied.",
                         "Kriterierne gælder ved hæmatologisk kræftsygdom, og diagnosens navn tyder på en sådan, men ingen "
                         "af dens koder findes i tjenestens værdisæt: ingen start- eller stopkriterier er anvendt."),
                    Text("Check the immunoglobulin criteria yourself, and ask the CDS team to add the code "
                         "{order_code_whole} ({order_code_system}).",
                         "Vurdér selv kriterierne for immunglobulin, og bed CDS-teamet tilføje koden {order_code_whole} "
                         "({order_code_system})."),
                ),
                "no-code": Variant(
                    Text("Not checked: {kind} {t0}, but the diagnosis {drug} is recorded without a code this service "
                         "knows",
                         "Ikke vurderet: {kind} {t0}, men diagnosen {drug} er registreret uden en kode, tjenesten "
                         "kender"),
                    Text("The criteria are for a haematological malignancy, and this diagnosis is named like one, but "
                         "it has no code in the service's value sets: no start or stop criterion was applied.",
                         "Kriterierne gælder ved hæmatologisk kræftsygdom, og diagnosens navn tyder på en sådan, men den "
                         "har ingen kode i tjenestens værdisæt: ingen start- eller stopkriterier er anvendt."),
                    Text("Check the immunoglobulin criteria yourself, and ask for the diagnosis to be recorded with a "
                         "diagnosis code the service knows.",
                         "Vurdér selv kriterierne for immunglobulin, og bed om at få diagnosen registreret med en "
                         "diagnosekode, tjenesten kender."),
                ),
                "unknown-system": Variant(
                    Text("Not checked: {kind} {t0}, but the diagnosis has no name and only the code {order_code}, in a "
                         "system this service does not know",
                         "Ikke vurderet: {kind} {t0}, men diagnosen har intet navn og kun koden {order_code} i et "
                         "kodesystem, tjenesten ikke kender"),
                    Text("The criteria are for a haematological malignancy; this diagnosis has no name and is coded "
                         "{order_code_whole} in {order_code_system}, a system no value set uses: not read, no "
                         "criterion applied.",
                         "Kriterierne gælder ved hæmatologisk kræftsygdom; diagnosen har intet navn og er kodet "
                         "{order_code_whole} i {order_code_system}, et system, intet værdisæt bruger: ikke læst, "
                         "ingen kriterier anvendt."),
                    Text("Check the immunoglobulin criteria yourself; have the diagnosis recorded with a code the "
                         "service knows.",
                         "Vurdér selv kriterierne for immunglobulin; få diagnosen registreret med en kode, tjenesten "
                         "kender."),
                ),
                # a nameless SNOMED CT code no value set holds: the malignancy sets hold SNOMED CT by curated
                # expansions, not every descendant, so it may be the lymphoma
                "not-listed": Variant(
                    Text("Not checked: {kind} {t0}, but the diagnosis has no name and only SNOMED CT code "
                         "{order_code}, not in this service's lists",
                         "Ikke vurderet: {kind} {t0}, men diagnosen har intet navn og kun SNOMED CT-koden "
                         "{order_code}, som tjenestens lister ikke har"),
                    Text("The criteria are for a haematological malignancy; this diagnosis has no name and is coded "
                         "{order_code_whole} in SNOMED CT, whose malignancy codes the service holds as a chosen list, "
                         "not every one: not read, no criterion applied.",
                         "Kriterierne gælder ved hæmatologisk kræftsygdom; diagnosen har intet navn og er kodet "
                         "{order_code_whole} i SNOMED CT, hvis kræftkoder tjenesten har som en udvalgt liste, ikke "
                         "alle: ikke læst, ingen kriterier anvendt."),
                    Text("Check the immunoglobulin criteria yourself; if the code is a haematological malignancy, ask "
                         "for it to be added to the service's code lists.",
                         "Vurdér selv kriterierne for immunglobulin; er koden en hæmatologisk kræftsygdom, så bed om at "
                         "få den tilføjet tjenestens kodelister."),
                ),
                "wrong-system": Variant(
                    Text("Not checked: {kind} {t0}, but the diagnosis code {order_code} is sent under "
                         "{order_code_system}, not {right_code_system}",
                         "Ikke vurderet: {kind} {t0}, men diagnosekoden {order_code} er sendt under "
                         "{order_code_system}, ikke {right_code_system}"),
                    Text("The criteria are for a haematological malignancy; {order_code_whole} is a malignancy code "
                         "of {right_code_system}, sent under {order_code_system} with no name: not read, no criterion "
                         "applied.",
                         "Kriterierne gælder ved hæmatologisk kræftsygdom; {order_code_whole} er en kræftkode i "
                         "{right_code_system}, sendt under {order_code_system} uden navn: ikke læst, ingen kriterier "
                         "anvendt."),
                    Text("Check the immunoglobulin criteria yourself, and have the diagnosis's code system corrected "
                         "to {right_code_system} in the EHR.",
                         "Vurdér selv kriterierne for immunglobulin, og få diagnosens kodesystem rettet til "
                         "{right_code_system} i journalen."),
                ),
                "child": Variant(
                    # "no code it knows": true of a code in no value set and of a diagnosis typed with no code at all
                    Text("Not checked: diagnosis {drug} has no code this service knows; child ({age} y): "
                         "individual assessment",
                         "Ikke vurderet: diagnosen {drug} har ingen kode, tjenesten kender; barn ({age} år): "
                         "individuel vurdering"),
                    Text("The diagnosis is named like a haematological malignancy, but it has no code the service "
                         "knows. The criteria do not cover children: the need for substitution is assessed "
                         "individually.",
                         "Diagnosen hedder som en hæmatologisk kræftsygdom, men den har ingen kode, tjenesten kender. "
                         "Kriterierne omfatter ikke børn: behovet for substitution vurderes individuelt."),
                    Text("Decide individually, and ask for the diagnosis to be recorded with a code the service "
                         "knows.",
                         "Vurdér individuelt, og bed om at få diagnosen registreret med en kode, tjenesten kender."),
                ),
                # a child whose diagnosis has no name and a code not read: not "named like" a malignancy
                "unread-child": Variant(
                    Text("Not checked: the diagnosis has no name and its code {order_code} was not read; child ({age} "
                         "y): individual assessment",
                         "Ikke vurderet: diagnosen har intet navn, og koden {order_code} er ikke læst; barn ({age} "
                         "år): individuel vurdering"),
                    Text("The criteria are for a haematological malignancy; this diagnosis has no name and its code "
                         "{order_code_whole} ({order_code_system}) was not read, so it may be one. The criteria do "
                         "not cover children: the need for substitution is assessed individually.",
                         "Kriterierne gælder ved hæmatologisk kræftsygdom; diagnosen har intet navn, og dens kode "
                         "{order_code_whole} ({order_code_system}) er ikke læst, så den kan være en sådan. "
                         "Kriterierne omfatter ikke børn: behovet for substitution vurderes individuelt."),
                    Text("Decide individually, and have the diagnosis recorded with a code and code system the "
                         "service knows.",
                         "Vurdér individuelt, og få diagnosen registreret med en kode og et kodesystem, tjenesten "
                         "kender."),
                ),
            },
            worklist_rank=7,
            variant_doc={"": "a recognised CAR-T or bsAb, and a diagnosis named like a haematological malignancy "
                             "whose code is in no value set, with no recognised one (the malignancy policy requires "
                             "one)",
                         "no-code": "the same, the diagnosis recorded with no code at all (text only)",
                         "unknown-system": "the same, but the diagnosis has no name and only codes in a code system "
                                           "no value set uses (it may be the malignancy): the code and system seen "
                                           "are named",
                         "wrong-system": "the same, but the diagnosis has no name and a malignancy code the value "
                                         "sets hold under another known system than the one it was sent under "
                                         "(an SKS code under SNOMED CT): the record's code system is to be corrected",
                         "not-listed": "the same, but the diagnosis has no name and only a SNOMED CT code no value "
                                       "set holds (the malignancy sets hold SNOMED CT by curated expansions, not "
                                       "every descendant: it may be the malignancy): the code is named",
                         "child": "the same (a diagnosis named like one), in a child (under the adult age at T0): "
                                  "individual assessment",
                         "unread-child": "the same (a diagnosis with no name whose code was not read: `unknown-"
                                         "system`, `wrong-system`, `not-listed`), in a child: individual assessment"},
        ),
        AdviceKind(
            "therapy-undated",
            Text("Therapy not checked: its date names no day, or it has none",
                 "Behandling ikke vurderet: datoen angiver ingen dag, eller den mangler"),
            "§4.1", "info", False, ALL_HOOKS,
            {
                "": Variant(
                    Text("Not checked: {drug} is dated {therapy_recorded}, with no day: record the day it was given",
                         "Ikke vurderet: {drug} er dateret {therapy_recorded} uden dag: registrér dagen, den blev "
                         "givet"),
                    Text("The high-risk window ({window}) opens on the day {looks_like} is given; this one is dated "
                         "only {therapy_recorded}, so no window, start or stop criterion was applied.",
                         "Højrisikoperioden ({window}) begynder den dag, {looks_like} gives; denne er kun dateret "
                         "{therapy_recorded}, så hverken periode-, start- eller stopkriterier er anvendt."),
                    Text("Record the day it was given (for a therapy given elsewhere, from that hospital's "
                         "letter); until then check the immunoglobulin criteria yourself.",
                         "Registrér dagen, den blev givet (for en behandling givet på et andet sygehus: "
                         "se epikrisen); vurdér indtil da selv kriterierne for immunglobulin."),
                ),
                "child": Variant(
                    # the child and what to do first: a long drug name and date may only shorten the rest
                    Text("Child ({age} y): individual assessment; not checked: {drug} is dated "
                         "{therapy_recorded} (no day)",
                         "Barn ({age} år): individuel vurdering; ikke vurderet: {drug} er dateret "
                         "{therapy_recorded} (ingen dag)"),
                    Text("The therapy ({looks_like}) is recorded with the date {therapy_recorded}, which names no "
                         "day. The criteria do not cover children: the need for substitution is assessed individually.",
                         "Behandlingen ({looks_like}) er registreret med datoen {therapy_recorded}, som ikke angiver "
                         "en dag. Kriterierne omfatter ikke børn: behovet for substitution vurderes individuelt."),
                    Text("Decide individually, and record the day the therapy was given.",
                         "Vurdér individuelt, og registrér dagen, behandlingen blev givet."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                "unreadable": Variant(
                    Text("Not checked: {drug} is dated {therapy_recorded}, which cannot be read as a day: record "
                         "the day",
                         "Ikke vurderet: {drug} er dateret {therapy_recorded}, som ikke kan læses som en dag: "
                         "registrér dagen"),
                    Text("The high-risk window ({window}) opens on the day {looks_like} is given; {therapy_recorded} "
                         "cannot be read as a day, so no window, start or stop criterion was applied.",
                         "Højrisikoperioden ({window}) begynder den dag, {looks_like} gives; {therapy_recorded} kan "
                         "ikke læses som en dag, så hverken periode-, start- eller stopkriterier er anvendt."),
                    Text("Record the day it was given as a date (for a therapy given elsewhere, from that hospital's "
                         "letter); until then check the immunoglobulin criteria yourself.",
                         "Registrér dagen, den blev givet, som dato (for en behandling givet på et andet sygehus: "
                         "se epikrisen); vurdér indtil da selv kriterierne for immunglobulin."),
                ),
                "unreadable-child": Variant(
                    Text("Child ({age} y): individual assessment; not checked: {drug} is dated "
                         "{therapy_recorded} (not readable)",
                         "Barn ({age} år): individuel vurdering; ikke vurderet: {drug} er dateret "
                         "{therapy_recorded} (kan ikke læses)"),
                    Text("The therapy ({looks_like}) is recorded with the date {therapy_recorded}, which cannot be "
                         "read as a day. The criteria do not cover children: the need for substitution is assessed "
                         "individually.",
                         "Behandlingen ({looks_like}) er registreret med datoen {therapy_recorded}, som ikke kan "
                         "læses som en dag. Kriterierne omfatter ikke børn: behovet for substitution vurderes "
                         "individuelt."),
                    Text("Decide individually, and record the day the therapy was given as a date.",
                         "Vurdér individuelt, og registrér dagen, behandlingen blev givet, som dato."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                "no-date": Variant(
                    Text("Not checked: {drug} is recorded with no date: add the day it was given or starts",
                         "Ikke vurderet: {drug} er registreret uden dato: tilføj dagen, den blev givet eller starter"),
                    Text("The high-risk window ({window}) opens on the day {looks_like} is given; this record of it "
                         "has no date, so no window, start or stop criterion was applied.",
                         "Højrisikoperioden ({window}) begynder den dag, {looks_like} gives; denne registrering "
                         "har ingen dato, så hverken periode-, start- eller stopkriterier er anvendt."),
                    Text("Add the day it was given to the record (for an order, the day it starts; for a therapy given "
                         "elsewhere, from that hospital's letter); until then check the immunoglobulin criteria "
                         "yourself.",
                         "Tilføj dagen, den blev givet, til registreringen (for en ordination: startdagen; "
                         "givet på et andet sygehus: se epikrisen); vurdér indtil da selv kriterierne "
                         "for immunglobulin."),
                ),
                "no-date-child": Variant(
                    Text("Not checked: {drug} is recorded with no date; child ({age} y): individual assessment",
                         "Ikke vurderet: {drug} er registreret uden dato; barn ({age} år): individuel vurdering"),
                    Text("The therapy ({looks_like}) is recorded with no date at all. The criteria do not cover "
                         "children: the need for substitution is assessed individually.",
                         "Behandlingen ({looks_like}) er registreret helt uden dato. Kriterierne omfatter ikke børn: "
                         "behovet for substitution vurderes individuelt."),
                    Text("Decide individually, and add the day the therapy was given (for an order, the day it starts) to "
                         "the record.",
                         "Vurdér individuelt, og tilføj dagen, behandlingen blev givet (for en ordination: dagen, den "
                         "starter), til registreringen."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                "car-t-order": Variant(
                    Text("Not checked: {drug} ordered for {therapy_date} (order completed), but no infusion "
                         "recorded: record it",
                         "Ikke vurderet: {drug} ordineret til {therapy_date} (afsluttet), men ingen infusion "
                         "registreret: registrér den"),
                    Text("The high-risk window ({window}) opens on the day of the CAR-T infusion, and an order is not "
                         "an infusion: with no infusion recorded, no window, start or stop criterion was applied.",
                         "Højrisikoperioden ({window}) begynder på CAR-T-infusionens dag, og en ordination er "
                         "ikke en infusion: uden registreret infusion er hverken periode-, start- eller stopkriterier "
                         "anvendt."),
                    Text("Record the infusion with its day (for one given elsewhere, from that hospital's letter); "
                         "until then check the immunoglobulin criteria yourself.",
                         "Registrér infusionen med dens dag (givet på et andet sygehus: se epikrisen); vurdér "
                         "indtil da selv kriterierne for immunglobulin."),
                ),
                # a CAR-T infusion stopped with a reason read as none given, and no other infusion: not T0, but the
                # record is there, and a clinician who knows cells were given must learn it was not read as given
                "car-t-not-given": Variant(
                    Text("Not checked: {drug} on {therapy_date} recorded as stopped, not given; correct it if cells "
                         "were given",
                         "Ikke vurderet: {drug} den {therapy_date} registreret som afbrudt, ikke givet; ret det, hvis "
                         "der blev givet celler"),
                    Text("The CAR-T infusion is recorded as stopped, {therapy_reason}, read as no cells given; no "
                         "other infusion is recorded: no high-risk window ({window}), start or stop criterion applied.",
                         "CAR-T-infusionen er registreret som afbrudt, {therapy_reason}, læst som ingen celler givet; "
                         "ingen anden infusion er registreret: ingen højrisikoperiode ({window}), start- eller "
                         "stopkriterier anvendt."),
                    Text("If cells were given, correct the record; until then check the immunoglobulin criteria "
                         "yourself.",
                         "Er der givet celler, så ret registreringen; vurdér indtil da selv kriterierne for "
                         "immunglobulin."),
                ),
                "car-t-not-given-child": Variant(
                    Text("Not checked: {drug} on {therapy_date} recorded as stopped, not given; child ({age} y): "
                         "individual assessment",
                         "Ikke vurderet: {drug} den {therapy_date} registreret som afbrudt, ikke givet; barn "
                         "({age} år): individuel vurdering"),
                    Text("The CAR-T infusion is recorded as stopped, {therapy_reason}, read as no cells given. The "
                         "criteria do not cover children: the need for substitution is assessed individually.",
                         "CAR-T-infusionen er registreret som afbrudt, {therapy_reason}, læst som ingen celler givet. "
                         "Kriterierne omfatter ikke børn: behovet for substitution vurderes individuelt."),
                    Text("Decide individually, and correct the record if cells were given.",
                         "Vurdér individuelt, og ret registreringen, hvis der blev givet celler."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                # the same, its date naming no day (none, a month, words, a date no reader takes): no day invented
                "car-t-not-given-no-day": Variant(
                    Text("Not checked: {drug} recorded as stopped, not given, no day read; correct it if cells were "
                         "given",
                         "Ikke vurderet: {drug} registreret som afbrudt, ikke givet, ingen dag læst; ret det, hvis der "
                         "blev givet celler"),
                    Text("The CAR-T infusion is recorded as stopped, {therapy_reason}, read as no cells given, and "
                         "its date names no day; no other infusion is recorded: no high-risk window ({window}), start "
                         "or stop criterion applied.",
                         "CAR-T-infusionen er registreret som afbrudt, {therapy_reason}, læst som ingen celler givet, "
                         "og dens dato har ingen dag; ingen anden infusion registreret: ingen højrisikoperiode "
                         "({window}), start- eller stopkriterier anvendt."),
                    Text("If cells were given, correct the record with the day they were given; until then check the "
                         "immunoglobulin criteria yourself.",
                         "Er der givet celler, så ret registreringen med dagen; vurdér indtil da selv kriterierne for "
                         "immunglobulin."),
                ),
                "car-t-not-given-no-day-child": Variant(
                    Text("Not checked: {drug} recorded as stopped, not given, no day read; child ({age} y): individual "
                         "assessment",
                         "Ikke vurderet: {drug} registreret som afbrudt, ikke givet, ingen dag læst; barn ({age} år): "
                         "individuel vurdering"),
                    Text("The CAR-T infusion is recorded as stopped, {therapy_reason}, read as no cells given, and "
                         "its date names no day. The criteria do not cover children: the need for substitution is "
                         "assessed individually.",
                         "CAR-T-infusionen er registreret som afbrudt, {therapy_reason}, læst som ingen celler givet, "
                         "og dens dato angiver ingen dag. Kriterierne omfatter ikke børn: behovet for substitution "
                         "vurderes individuelt."),
                    Text("Decide individually, and correct the record with the day if cells were given.",
                         "Vurdér individuelt, og ret registreringen med dagen, hvis der blev givet celler."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                # named as a CAR-T or bsAb, its code in no value set (a local code, or one under the wrong system) and
                # no date that names a day (none, or words: "oktober 2025", "18-11-2025"): what was seen is said, and
                # that neither could be read, never "no date" of a record that carries one
                "named-no-date": Variant(
                    Text("Not checked: {drug} ({order_code}) has a code this service does not read and no date it "
                         "can read",
                         "Ikke vurderet: {drug} ({order_code}) har en kode, tjenesten ikke læser, og ingen dato, den "
                         "kan læse"),
                    Text("Its name looks like {looks_like}, whose window ({window}) opens the day it is given, but "
                         "neither its code nor its date could be read: {order_code_whole} ({order_code_system}) is in "
                         "no value set, and no date on it names a day.",
                         "Navnet ligner {looks_like}, hvis periode ({window}) begynder den dag, den gives, men hverken "
                         "koden eller datoen kunne læses: {order_code_whole} ({order_code_system}) er ikke i noget "
                         "værdisæt, og ingen dato på den angiver en dag."),
                    Text("Add the day it was given and have the code corrected; until then check the criteria "
                         "yourself.",
                         "Tilføj dagen, den blev givet, og få koden rettet; vurdér indtil da selv kriterierne."),
                ),
                "named-no-date-child": Variant(
                    Text("Not checked: {drug} ({order_code}): no code or date read; child ({age} y): individual "
                         "assessment",
                         "Ikke vurderet: {drug} ({order_code}): hverken kode eller dato læst; barn ({age} år): "
                         "individuel vurdering"),
                    Text("Its name looks like {looks_like}, but neither its code nor its date could be read: "
                         "{order_code_whole} ({order_code_system}) is in no value set, and no date on it names a day. "
                         "The criteria do not cover children.",
                         "Navnet ligner {looks_like}, men hverken koden eller datoen kunne læses: {order_code_whole} "
                         "({order_code_system}) er ikke i noget værdisæt, og ingen dato på den angiver en dag. "
                         "Kriterierne omfatter ikke børn."),
                    Text("Decide individually; add the day and have the code corrected.",
                         "Vurdér individuelt; tilføj dagen, og få koden rettet."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                # a record one of whose codes is a CAR-T or bsAb code and another one its value set excludes (the
                # harvest of the cells), with no date: neither read nor placed, but a clinician must learn it is there
                "codes-disagree-no-date": Variant(
                    Text("Not checked: {drug} ({order_code}) carries codes that disagree and no date that can be read",
                         "Ikke vurderet: {drug} ({order_code}) har koder, der modsiger hinanden, og ingen dato, der "
                         "kan læses"),
                    Text("One of its codes is {looks_like}, whose window ({window}) opens the day it is given; "
                         "another is one the service lists as something else (another product, or a step before it "
                         "such as collecting the cells), and no date on it names a day. Not counted: no criterion "
                         "was applied.",
                         "Én af dens koder er {looks_like}, hvis periode ({window}) begynder den dag, den gives; en "
                         "anden er en, tjenesten regner som noget andet (et andet produkt eller et trin før, fx høst "
                         "af cellerne), og ingen dato på den angiver en dag. Ikke medregnet: ingen kriterier er "
                         "anvendt."),
                    Text("Have its coding corrected and its day added in the EHR; until then check the criteria "
                         "yourself.",
                         "Få kodningen rettet og dagen tilføjet i EPJ; vurdér indtil da selv kriterierne."),
                ),
                "codes-disagree-no-date-child": Variant(
                    Text("Not checked: {drug}: codes that disagree, no date; child ({age} y): individual assessment",
                         "Ikke vurderet: {drug}: koder, der modsiger hinanden, ingen dato; barn ({age} år): "
                         "individuel vurdering"),
                    Text("One of its codes is {looks_like}, another one the service lists as something else, and no "
                         "date on it names a day: not counted. The criteria do not cover children: the need for "
                         "substitution is assessed individually.",
                         "Én af dens koder er {looks_like}, en anden en, tjenesten regner som noget andet, og ingen "
                         "dato på den angiver en dag: medregnes ikke. Kriterierne omfatter ikke børn: behovet for "
                         "substitution vurderes individuelt."),
                    Text("Decide individually; have the record's coding corrected and its day added.",
                         "Vurdér individuelt; få registreringens kodning rettet og dens dag tilføjet."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                # a bispecific dose stopped with a reason read as none given, and no other dose read: no window,
                # but the record is there, and a clinician who knows some was given must learn it was not read
                "bsab-not-given": Variant(
                    Text("Not checked: {drug} on {therapy_date} recorded as stopped, not given; correct it if some "
                         "was given",
                         "Ikke vurderet: {drug} den {therapy_date} registreret som afbrudt, ikke givet; ret det, hvis "
                         "noget blev givet"),
                    Text("The bispecific dose is recorded as stopped, {therapy_reason}, read as none given; no other "
                         "dose is recorded: no high-risk window ({window}), start or stop criterion applied.",
                         "Den bispecifikke dosis er registreret som afbrudt, {therapy_reason}, læst som intet givet; "
                         "ingen anden dosis er registreret: ingen højrisikoperiode ({window}), start- eller "
                         "stopkriterier anvendt."),
                    Text("If some was given, correct the record; until then check the immunoglobulin criteria "
                         "yourself.",
                         "Er noget givet, så ret registreringen; vurdér indtil da selv kriterierne for "
                         "immunglobulin."),
                ),
                "bsab-not-given-child": Variant(
                    Text("Not checked: {drug} on {therapy_date} recorded as stopped, not given; child ({age} y): "
                         "individual assessment",
                         "Ikke vurderet: {drug} den {therapy_date} registreret som afbrudt, ikke givet; barn "
                         "({age} år): individuel vurdering"),
                    Text("The bispecific dose is recorded as stopped, {therapy_reason}, read as none given. The "
                         "criteria do not cover children: the need for substitution is assessed individually.",
                         "Den bispecifikke dosis er registreret som afbrudt, {therapy_reason}, læst som intet givet. "
                         "Kriterierne omfatter ikke børn: behovet for substitution vurderes individuelt."),
                    Text("Decide individually, and correct the record if some was given.",
                         "Vurdér individuelt, og ret registreringen, hvis noget blev givet."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                "bsab-not-given-no-day": Variant(
                    Text("Not checked: {drug} recorded as stopped, not given, no day read; correct it if some was "
                         "given",
                         "Ikke vurderet: {drug} registreret som afbrudt, ikke givet, ingen dag læst; ret det, hvis "
                         "noget blev givet"),
                    Text("The bispecific dose is recorded as stopped, {therapy_reason}, read as none given, and its "
                         "date names no day; no other dose is recorded: no high-risk window ({window}), start or stop "
                         "criterion applied.",
                         "Den bispecifikke dosis er registreret som afbrudt, {therapy_reason}, læst som intet givet, "
                         "og dens dato har ingen dag; ingen anden dosis registreret: ingen højrisikoperiode "
                         "({window}), start- eller stopkriterier anvendt."),
                    Text("If some was given, correct the record with the day it was given; until then check the "
                         "immunoglobulin criteria yourself.",
                         "Er noget givet, så ret registreringen med dagen; vurdér indtil da selv kriterierne for "
                         "immunglobulin."),
                ),
                "bsab-not-given-no-day-child": Variant(
                    Text("Not checked: {drug} recorded as stopped, not given, no day read; child ({age} y): individual "
                         "assessment",
                         "Ikke vurderet: {drug} registreret som afbrudt, ikke givet, ingen dag læst; barn ({age} år): "
                         "individuel vurdering"),
                    Text("The bispecific dose is recorded as stopped, {therapy_reason}, read as none given, and its "
                         "date names no day. The criteria do not cover children: the need for substitution is "
                         "assessed individually.",
                         "Den bispecifikke dosis er registreret som afbrudt, {therapy_reason}, læst som intet givet, "
                         "og dens dato angiver ingen dag. Kriterierne omfatter ikke børn: behovet for substitution "
                         "vurderes individuelt."),
                    Text("Decide individually, and correct the record with the day if some was given.",
                         "Vurdér individuelt, og ret registreringen med dagen, hvis noget blev givet."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                # a bispecific dose or CAR-T infusion recorded on hold or with status unknown (FHIR: halted for now, or
                # the source does not know), or a Procedure of one left in progress (never closed), no other read: not
                # known to be given, so no window; the record is there,
                # and a clinician who knows it was given must learn it was not read as given
                "bsab-not-known-given": Variant(
                    Text("Not checked: {drug} on {therapy_date} is not recorded as given ({therapy_status}); record "
                         "whether it was",
                         "Ikke vurderet: {drug} den {therapy_date} er ikke registreret som givet ({therapy_status}); "
                         "registrér, om den er givet"),
                    Text("The bispecific dose is recorded as {therapy_status}, not as given, and no other dose is "
                         "recorded: no high-risk window ({window}), start or stop criterion applied.",
                         "Den bispecifikke dosis er registreret som {therapy_status}, ikke som givet, og ingen anden "
                         "dosis er registreret: ingen højrisikoperiode ({window}), start- eller stopkriterier anvendt."),
                    Text("If it was given, record it as given; until then check the immunoglobulin criteria yourself.",
                         "Blev den givet, så registrér den som givet; vurdér indtil da selv kriterierne for "
                         "immunglobulin."),
                ),
                "bsab-not-known-given-child": Variant(
                    Text("Not checked: {drug} on {therapy_date} not recorded as given; child ({age} y): individual "
                         "assessment",
                         "Ikke vurderet: {drug} den {therapy_date} ikke registreret som givet; barn ({age} år): "
                         "individuel vurdering"),
                    Text("The bispecific dose is recorded as {therapy_status}, not as given. The criteria do not cover "
                         "children: the need for substitution is assessed individually.",
                         "Den bispecifikke dosis er registreret som {therapy_status}, ikke som givet. Kriterierne "
                         "omfatter ikke børn: behovet for substitution vurderes individuelt."),
                    Text("Decide individually, and record the dose as given if it was.",
                         "Vurdér individuelt, og registrér dosis som givet, hvis den blev givet."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                "car-t-not-known-given": Variant(
                    Text("Not checked: {drug} on {therapy_date} is not recorded as given ({therapy_status}); record "
                         "whether it was",
                         "Ikke vurderet: {drug} den {therapy_date} er ikke registreret som givet ({therapy_status}); "
                         "registrér, om den er givet"),
                    Text("The CAR-T infusion is recorded as {therapy_status}, not as given, and no other infusion is "
                         "recorded: no high-risk window ({window}), start or stop criterion applied.",
                         "CAR-T-infusionen er registreret som {therapy_status}, ikke som givet, og ingen anden infusion "
                         "er registreret: ingen højrisikoperiode ({window}), start- eller stopkriterier anvendt."),
                    Text("If cells were given, record the infusion as given; until then check the immunoglobulin "
                         "criteria yourself.",
                         "Er der givet celler, så registrér infusionen som givet; vurdér indtil da selv kriterierne for "
                         "immunglobulin."),
                ),
                "car-t-not-known-given-child": Variant(
                    Text("Not checked: {drug} on {therapy_date} not recorded as given; child ({age} y): individual "
                         "assessment",
                         "Ikke vurderet: {drug} den {therapy_date} ikke registreret som givet; barn ({age} år): "
                         "individuel vurdering"),
                    Text("The CAR-T infusion is recorded as {therapy_status}, not as given. The criteria do not cover "
                         "children: the need for substitution is assessed individually.",
                         "CAR-T-infusionen er registreret som {therapy_status}, ikke som givet. Kriterierne omfatter "
                         "ikke børn: behovet for substitution vurderes individuelt."),
                    Text("Decide individually, and record the infusion as given if cells were given.",
                         "Vurdér individuelt, og registrér infusionen som givet, hvis der blev givet celler."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                # the same, its date naming no day (a month, none, words): the card names no day it does not know
                "bsab-not-known-given-no-day": Variant(
                    Text("Not checked: {drug} not recorded as given ({therapy_status}), no day read; record whether "
                         "it was, and when",
                         "Ikke vurderet: {drug} ikke registreret som givet ({therapy_status}), ingen dag læst; "
                         "registrér, om og hvornår den blev"),
                    Text("The bispecific dose is recorded as {therapy_status}, not as given, and its date names no "
                         "day; no other dose is recorded: no high-risk window ({window}), start or stop criterion "
                         "applied.",
                         "Den bispecifikke dosis er registreret som {therapy_status}, ikke som givet, og dens dato "
                         "angiver ingen dag; ingen anden dosis registreret: ingen højrisikoperiode ({window}), start- "
                         "eller stopkriterier anvendt."),
                    Text("If it was given, record it as given with its day; until then check the immunoglobulin "
                         "criteria yourself.",
                         "Blev den givet, så registrér den som givet med dagen; vurdér indtil da selv kriterierne for "
                         "immunglobulin."),
                ),
                "bsab-not-known-given-no-day-child": Variant(
                    Text("Not checked: {drug} not recorded as given, no day read; child ({age} y): individual "
                         "assessment",
                         "Ikke vurderet: {drug} ikke registreret som givet, ingen dag læst; barn ({age} år): "
                         "individuel vurdering"),
                    Text("The bispecific dose is recorded as {therapy_status}, not as given, and its date names no "
                         "day. The criteria do not cover children: the need for substitution is assessed individually.",
                         "Den bispecifikke dosis er registreret som {therapy_status}, ikke som givet, og dens dato "
                         "angiver ingen dag. Kriterierne omfatter ikke børn: behovet for substitution vurderes "
                         "individuelt."),
                    Text("Decide individually, and record the dose as given with its day if it was.",
                         "Vurdér individuelt, og registrér dosis som givet med dagen, hvis den blev givet."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                "car-t-not-known-given-no-day": Variant(
                    Text("Not checked: {drug} not recorded as given ({therapy_status}), no day read; record whether "
                         "cells were given, and when",
                         "Ikke vurderet: {drug} ikke registreret som givet ({therapy_status}), ingen dag læst; "
                         "registrér, om og hvornår der blev givet celler"),
                    Text("The CAR-T infusion is recorded as {therapy_status}, not as given, and its date names no "
                         "day; no other infusion is recorded: no high-risk window ({window}), start or stop criterion "
                         "applied.",
                         "CAR-T-infusionen er registreret som {therapy_status}, ikke som givet, og dens dato angiver "
                         "ingen dag; ingen anden infusion registreret: ingen højrisikoperiode ({window}), start- eller "
                         "stopkriterier anvendt."),
                    Text("If cells were given, record the infusion as given with its day; until then check the "
                         "immunoglobulin criteria yourself.",
                         "Er der givet celler, så registrér infusionen som givet med dagen; vurdér indtil da selv "
                         "kriterierne for immunglobulin."),
                ),
                "car-t-not-known-given-no-day-child": Variant(
                    Text("Not checked: {drug} not recorded as given, no day read; child ({age} y): individual "
                         "assessment",
                         "Ikke vurderet: {drug} ikke registreret som givet, ingen dag læst; barn ({age} år): "
                         "individuel vurdering"),
                    Text("The CAR-T infusion is recorded as {therapy_status}, not as given, and its date names no "
                         "day. The criteria do not cover children: the need for substitution is assessed individually.",
                         "CAR-T-infusionen er registreret som {therapy_status}, ikke som givet, og dens dato angiver "
                         "ingen dag. Kriterierne omfatter ikke børn: behovet for substitution vurderes individuelt."),
                    Text("Decide individually, and record the infusion as given with its day if cells were given.",
                         "Vurdér individuelt, og registrér infusionen som givet med dagen, hvis der blev givet celler."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                # the order carries no date at all: words, not "ordered for ?"
                "car-t-order-no-date": Variant(
                    Text("Not checked: {drug} ordered (order completed, no date on it), but no infusion recorded: "
                         "record it",
                         "Ikke vurderet: {drug} ordineret (afsluttet, uden dato), men ingen infusion registreret: "
                         "registrér den"),
                    Text("The high-risk window ({window}) opens on the day of the CAR-T infusion, and an order is not "
                         "an infusion: with no infusion recorded, and no date on the order, no window, start or stop "
                         "criterion was applied.",
                         "Højrisikoperioden ({window}) begynder på CAR-T-infusionens dag, og en ordination er "
                         "ikke en infusion: uden registreret infusion og uden dato på ordinationen er hverken "
                         "periode-, start- eller stopkriterier anvendt."),
                    Text("Record the infusion with its day (for one given elsewhere, from that hospital's letter); "
                         "until then check the immunoglobulin criteria yourself.",
                         "Registrér infusionen med dens dag (givet på et andet sygehus: se epikrisen); vurdér "
                         "indtil da selv kriterierne for immunglobulin."),
                ),
                "car-t-order-no-date-child": Variant(
                    Text("Not checked: {drug} ordered (no date on the order), no infusion recorded; child ({age} y): "
                         "individual assessment",
                         "Ikke vurderet: {drug} ordineret (uden dato), ingen infusion registreret; barn ({age} år): "
                         "individuel vurdering"),
                    Text("The CAR-T order is completed, but carries no date, and no infusion is recorded. The criteria "
                         "do not cover children: the need for substitution is assessed individually.",
                         "CAR-T-ordinationen er afsluttet, men uden dato, og ingen infusion er registreret. Kriterierne "
                         "omfatter ikke børn: behovet for substitution vurderes individuelt."),
                    Text("Decide individually, and record the infusion with its day.",
                         "Vurdér individuelt, og registrér infusionen med dens dag."),
                    section="§4",  # children: the paragraph before the criteria
                ),
                "car-t-order-child": Variant(
                    Text("Not checked: {drug} ordered for {therapy_date}, no infusion recorded; child ({age} y): "
                         "individual assessment",
                         "Ikke vurderet: {drug} ordineret til {therapy_date}, ingen infusion registreret; barn "
                         "({age} år): individuel vurdering"),
                    Text("The CAR-T order is completed, but no infusion is recorded. The criteria do not cover "
                         "children: the need for substitution is assessed individually.",
                         "CAR-T-ordinationen er afsluttet, men ingen infusion er registreret. Kriterierne omfatter "
                         "ikke børn: behovet for substitution vurderes individuelt."),
                    Text("Decide individually, and record the infusion with its day.",
                         "Vurdér individuelt, og registrér infusionen med dens dag."),
                    section="§4",  # children: the paragraph before the criteria
                ),
            },
            worklist_rank=7,
            variant_doc={"": "a recognised CAR-T infusion or bsAb start whose date names no day (a month, a year, "
                             "words), and no other recognised index event",
                         "child": "the same, in a child (under the adult age on the first day the date can mean): "
                                  "the criteria do not cover children, so individual assessment",
                         "unreadable": "a recognised CAR-T infusion or bsAb start whose date cannot be read as a day "
                                       "(\"18-11-2025\", \"2025-13-18\"): not called a date with no day, it may "
                                       "name one plainly to a reader; no other recognised index event",
                         "unreadable-child": "the same, in a child (under the adult age today): individual assessment",
                         "no-date": "a recognised CAR-T infusion or bsAb start that carries no date at all (a completed "
                                    "Procedure with no performed[x], an administration with no effective[x], an order "
                                    "with no start, dose day or authoredOn), and no other recognised index event",
                         "no-date-child": "the same, in a child (under the adult age today): individual assessment",
                         "car-t-order": "a CAR-T product order completed while no CAR-T infusion is recorded (no "
                                        "Procedure, no administration): an order is not an infusion, so the card asks "
                                        "for the infusion record",
                         "car-t-order-child": "the same, in a child (under the adult age on the order's day): "
                                              "individual assessment",
                         "car-t-not-given": "a CAR-T infusion recorded as stopped with a reason read as none "
                                            "given (\"Ikke givet\"), dated, while no CAR-T infusion is read: not T0; "
                                            "the card says the record was not read as an infusion",
                         "car-t-not-given-child": "the same, in a child (under the adult age on its day): individual "
                                                  "assessment",
                         "car-t-not-given-no-day": "the same, its date naming no day (none, a month, words, a date no "
                                                   "reader takes): the card names no day",
                         "car-t-not-given-no-day-child": "the same, in a child: individual assessment",
                         "named-no-date": "a record named as a CAR-T or bsAb that happened, its code in no value "
                                          "set (a local code, or one under the wrong code system) and with no date "
                                          "that names a day (none, or words), "
                                          "and no recognised index event: the card names it, its code and system, "
                                          "and says neither could be read",
                         "named-no-date-child": "the same, in a child (under the adult age today): individual "
                                                "assessment",
                         "codes-disagree-no-date": "a CAR-T or bsAb record that happened, one of whose codes is in a "
                                                   "therapy value set while another is one that set excludes (a CAR-T "
                                                   "cell harvest), with no date that names a day, and no recognised "
                                                   "index event: the card names it and its therapy code, and asks "
                                                   "for the coding and the day",
                         "codes-disagree-no-date-child": "the same, in a child (under the adult age today): "
                                                         "individual assessment",
                         "bsab-not-given": "a bispecific dose recorded as stopped with a reason read as none given "
                                           "(\"Ikke givet\"), dated, while no bispecific dose or order is read: no "
                                           "window; the card says the record was not read as a dose",
                         "bsab-not-given-child": "the same, in a child (under the adult age on its day): individual "
                                                 "assessment",
                         "bsab-not-given-no-day": "the same, its date naming no day: the card names no day",
                         "bsab-not-given-no-day-child": "the same, in a child: individual assessment",
                         "bsab-not-known-given": "a bispecific dose recorded on hold, in progress or with status "
                                                 "unknown (not known to be given), dated, while no bispecific dose or order is "
                                                 "read: no window; the card asks whether it was given",
                         "bsab-not-known-given-child": "the same, in a child (under the adult age on its day): "
                                                       "individual assessment",
                         "car-t-not-known-given": "a CAR-T infusion recorded on hold, in progress (a Procedure) or with status unknown, dated, "
                                                  "while no CAR-T infusion is read: not T0; the card asks whether "
                                                  "cells were given",
                         "car-t-not-known-given-child": "the same, in a child (under the adult age on its day): "
                                                        "individual assessment",
                         "bsab-not-known-given-no-day": "a bispecific dose recorded on hold or with status unknown "
                                                        "whose date names no day (a month, none, words), while no "
                                                        "bispecific dose or order is read: the card names no day",
                         "bsab-not-known-given-no-day-child": "the same, in a child: individual assessment",
                         "car-t-not-known-given-no-day": "a CAR-T infusion recorded on hold or with status unknown "
                                                         "whose date names no day (a month, none, words), while no "
                                                         "CAR-T infusion is read: the card names no day",
                         "car-t-not-known-given-no-day-child": "the same, in a child: individual assessment",
                         "car-t-order-no-date": "a CAR-T product order completed with no date at all (no start, no "
                                                "authoredOn) while no CAR-T infusion is recorded: the card says the "
                                                "order has no date",
                         "car-t-order-no-date-child": "the same, in a child (under the adult age today): individual "
                                                      "assessment"},
        ),
        AdviceKind(
            "order-not-recognised",
            Text("Draft order not checked: its code is unknown to the service",
                 "Ordinationsudkast ikke vurderet: koden er ukendt for tjenesten"),
            "§4.1", "warning", False, ORDERS,
            {"": Variant(
                Text("Order not checked: {drug} ({order_code}) has a code this service does not know",
                     "Ordination ikke vurderet: {drug} ({order_code}) har en kode, tjenesten ikke kender"),
                Text("Its name looks like {looks_like}, which the guideline covers, but none of its codes is in the "
                     "service's value sets, so the criteria were not applied to it.",
                     "Navnet ligner {looks_like}, som vejledningen omfatter, men ingen af dens koder findes i "
                     "tjenestens værdisæt, så kriterierne er ikke anvendt på den."),
                Text("Check the criteria for this order yourself, and ask the CDS team to add the code "
                     "{order_code_whole} ({order_code_system}).",
                     "Vurdér selv kriterierne for denne ordination, og bed CDS-teamet tilføje koden {order_code_whole} "
                     "({order_code_system})."),
            ),
             "no-code": Variant(
                Text("Order not checked: {drug} is drafted without a code this service knows",
                     "Ordination ikke vurderet: {drug} er i udkast uden en kode, tjenesten kender"),
                Text("Its name looks like {looks_like}, which the guideline covers, but it carries no code in the "
                     "service's value sets, so the criteria were not applied to it.",
                     "Navnet ligner {looks_like}, som vejledningen omfatter, men den har ingen kode i tjenestens "
                     "værdisæt, så kriterierne er ikke anvendt på den."),
                Text("Check the criteria for this order yourself, and ask the CDS team to have the drug ordered "
                     "under a code the service knows.",
                     "Vurdér selv kriterierne for denne ordination, og bed CDS-teamet sørge for, at lægemidlet "
                     "ordineres under en kode, tjenesten kender."),
            ),
             # §4: in a child (an immunoglobulin draft: under the adult age at T0; a bsAb or CAR-T product draft: on its
             # planned start) the criteria do not apply, so not "check the criteria yourself": an information card, as
             # the child card of any of the three drugs
             "child": Variant(
                Text("Order not checked: {drug} ({order_code}), code unknown to this service; child ({age} y)",
                     "Ordination ikke vurderet: {drug} ({order_code}), kode ukendt for tjenesten; barn ({age} år)"),
                Text("Its name looks like {looks_like}, but none of its codes is in the service's value sets. The "
                     "criteria do not cover children: the need for substitution is assessed individually.",
                     "Navnet ligner {looks_like}, men ingen af dens koder findes i tjenestens værdisæt. Kriterierne "
                     "omfatter ikke børn: behovet for substitution vurderes individuelt."),
                Text("Decide individually, and ask the CDS team to add the code {order_code_whole} "
                     "({order_code_system}).",
                     "Vurdér individuelt, og bed CDS-teamet tilføje koden {order_code_whole} ({order_code_system})."),
                indicator="info",
                section="§4",  # children: the paragraph before the criteria
            ),
             "no-code-child": Variant(
                Text("Order not checked: {drug} is drafted without a code this service knows; child ({age} y)",
                     "Ordination ikke vurderet: {drug} er i udkast uden en kode, tjenesten kender; barn ({age} år)"),
                Text("Its name looks like {looks_like}, but it carries no code in the service's value sets. The "
                     "criteria do not cover children: the need for substitution is assessed individually.",
                     "Navnet ligner {looks_like}, men den har ingen kode i tjenestens værdisæt. Kriterierne omfatter "
                     "ikke børn: behovet for substitution vurderes individuelt."),
                Text("Decide individually, and ask the CDS team to have the drug ordered under a code the service "
                     "knows.",
                     "Vurdér individuelt, og bed CDS-teamet sørge for, at lægemidlet ordineres under en kode, "
                     "tjenesten kender."),
                indicator="info",
                section="§4",  # children: the paragraph before the criteria
            ),
             # a bsAb or CAR-T product drafted under a code the service does not know: what the clinician does is what
             # a recognised one's card asks (plan-igg-monitoring, an information card), so the same indicator
             "therapy": Variant(
                Text("Order not checked: {drug} ({order_code}) has a code this service does not know",
                     "Ordination ikke vurderet: {drug} ({order_code}) har en kode, tjenesten ikke kender"),
                Text("Its name looks like {looks_like}, which opens the guideline's high-risk window ({window}), but "
                     "none of its codes is in the service's value sets: no window will be opened from it.",
                     "Navnet ligner {looks_like}, som åbner vejledningens højrisikoperiode ({window}), men ingen af "
                     "dens koder findes i tjenestens værdisæt: der åbnes ingen periode ud fra den."),
                Text("Plan IgG monitoring yourself (before the start and through the window), and ask the CDS team "
                     "to add the code {order_code_whole} ({order_code_system}).",
                     "Planlæg selv IgG-monitorering (før start og gennem perioden), og bed CDS-teamet tilføje koden "
                     "{order_code_whole} ({order_code_system})."),
                indicator="info",
            ),
             "therapy-no-code": Variant(
                Text("Order not checked: {drug} is drafted without a code this service knows",
                     "Ordination ikke vurderet: {drug} er i udkast uden en kode, tjenesten kender"),
                Text("Its name looks like {looks_like}, which opens the guideline's high-risk window ({window}), but "
                     "it carries no code in the service's value sets: no window will be opened from it.",
                     "Navnet ligner {looks_like}, som åbner vejledningens højrisikoperiode ({window}), men den har "
                     "ingen kode i tjenestens værdisæt: der åbnes ingen periode ud fra den."),
                Text("Plan IgG monitoring yourself (before the start and through the window), and ask the CDS team "
                     "to have the drug ordered under a code the service knows.",
                     "Planlæg selv IgG-monitorering (før start og gennem perioden), og bed CDS-teamet sørge for, at "
                     "lægemidlet ordineres under en kode, tjenesten kender."),
                indicator="info",
            ),
             "unknown-system": _UNKNOWN_SYSTEM_DRAFT,
             # with no index event any of the three gets an information card or none: so does a draft that may be one
             "unknown-system-no-index": replace(_UNKNOWN_SYSTEM_DRAFT, indicator="info"),
             "unknown-system-child": _UNKNOWN_SYSTEM_DRAFT_CHILD,
             "unknown-system-no-index-child": _UNKNOWN_SYSTEM_DRAFT_CHILD,
             "wrong-system": _WRONG_SYSTEM_DRAFT,
             "wrong-system-no-index": replace(_WRONG_SYSTEM_DRAFT, indicator="info"),
             "wrong-system-child": _WRONG_SYSTEM_DRAFT_CHILD,
             "wrong-system-no-index-child": _WRONG_SYSTEM_DRAFT_CHILD,
             },
            variant_doc={"": "an immunoglobulin draft under a code in no value set, whose name the guideline covers "
                             "(a warning: the order itself was not checked against the criteria)",
                         "no-code": "the same, drafted with no code at all (a name only)",
                         "therapy": "a bsAb or CAR-T product draft under a code in no value set, in an adult: an "
                                    "information card, as a recognised one's plan-igg-monitoring, asking for the IgG "
                                    "monitoring that card would",
                         "therapy-no-code": "the same, drafted with no code at all (a name only)",
                         "child": "a draft under a code in no value set whose name the guideline covers, in a child "
                                  "(an immunoglobulin draft: under the adult age at T0; a bsAb or CAR-T product "
                                  "draft: on its planned start): the criteria do not cover children, so individual "
                                  "assessment; an information card",
                         "no-code-child": "the same, drafted with no code at all (a name only)",
                         "unknown-system": "a draft with no name whose codes are all in code systems the service "
                                           "reads no drug in (a local one, or a laboratory one): it may be any of "
                                           "them, in scope (a recognised index event)",
                         "unknown-system-no-index": "the same, with a haematological malignancy and no recognised "
                                                    "index event: an information card, as any of the three would "
                                                    "get at most there",
                         "unknown-system-child": "such a draft in scope, in a child (under the adult age at T0): the "
                                                 "criteria do not cover children, so individual assessment; an "
                                                 "information card, as the child card of any of the three",
                         "unknown-system-no-index-child": "such a draft with no recognised index event, in a child "
                                                          "(under the adult age on the draft's planned start): "
                                                          "individual assessment",
                         "wrong-system": "a draft with no name whose code one of the drug value sets holds under "
                                         "another known system than the one it was sent under (an ATC code under "
                                         "SNOMED CT), in scope: the order's code system is to be corrected in the "
                                         "EHR",
                         "wrong-system-no-index": "the same, with no recognised index event: an information card",
                         "wrong-system-child": "the same in scope, in a child: individual assessment",
                         "wrong-system-no-index-child": "the same with no recognised index event, in a child: "
                                                        "individual assessment"},
        ),
    )
}

ADVICE_CODES = tuple(CATALOGUE)

# Each named situation (variant) of an advice code in a few words, English and Danish, for the explanation page's
# "Situation" row (`variant_doc` says the same at length, in English, for the docs). A situation ending "-child",
# "-no-index" or "-no-day" is its base's words with that said after them (`situation`).
_RECORD_ONLY = Text("substitution on the medication list only", "substitution kun på medicinlisten")
_RECORD_ENDS_EARLIER = Text("the medication list's record ends before the stop date",
                            "medicinlistens registrering slutter før seponeringsdatoen")
_ORDER_ENDS_EARLIER = Text("the order ends before the stop date", "ordinationen slutter før seponeringsdatoen")
_DOSES_ONLY = Text("substitution recorded as doses only", "substitution kun registreret som doser")
_CAR_T_PRODUCT = Text("a CAR-T product ordered, infusion day unknown", "CAR-T-produkt ordineret, infusionsdag ukendt")
SITUATIONS: dict[str, dict[str, Text]] = {
    "general-criteria-igg-under-6": {
        "window": Text("in the window: a later IgG below the threshold would meet the special criterion",
                       "i højrisikoperioden: en senere IgG under grænsen ville opfylde særkriteriet"),
        "window-paraprotein": Text("in the window: an M-protein may put polyclonal IgG below the threshold",
                                   "i højrisikoperioden: en M-komponent kan bringe polyklonal IgG under grænsen"),
        "paraprotein": Text("with infections: an M-protein may put polyclonal IgG below the threshold",
                            "med infektioner: en M-komponent kan bringe polyklonal IgG under grænsen")},
    "start-substitution": {
        "general-stop": Text("in the window, but the general stop criteria apply",
                             "i højrisikoperioden, men de generelle seponeringskriterier gælder")},
    "measure-igg": {
        "indeterminate-m-protein": Text("polyclonal IgG unclear against the start threshold",
                                        "polyklonal IgG uvist i forhold til startgrænsen"),
        "m-protein-not-quantified": Text("an IgG M-protein found, not quantified",
                                         "en IgG-M-komponent påvist, ikke kvantificeret"),
        "no-igg-since-t0": Text("no IgG since the index event", "ingen IgG siden indekshændelsen"),
        "stale": Text("the latest IgG is too old and not low", "seneste IgG er for gammel og ikke lav"),
        "infections-no-recent-igg": Text("infections, but no recent IgG", "infektioner, men ingen nylig IgG"),
        "m-protein-no-bound": Text("polyclonal IgG cannot be told from total and M-protein",
                                   "polyklonal IgG kan ikke udledes af total og M-komponent"),
        "indeterminate": Text("IgG reported as a bound that cannot be placed against the threshold",
                              "IgG svaret som en grænse, der ikke kan placeres i forhold til grænsen")},
    "paraprotein-type-unknown": {
        "m-protein": Text("an M-protein of unknown type measured", "en M-komponent af ukendt type målt"),
        "igg-no-m-protein": Text("an IgG M-protein, none measured near the IgG",
                                 "en IgG-M-komponent, ingen målt nær IgG'en"),
        "m-protein-unread": Text("an M-protein result near the IgG not used",
                                 "et M-komponent-svar nær IgG'en ikke brugt")},
    "no-start-without-infections": {
        "no-substitution": Text("no substitution so far", "ingen substitution indtil nu"),
        "igg-before-substitution": Text("after a stop, with no IgG since substitution began",
                                        "efter seponering, uden IgG siden substitutionen begyndte"),
        "igg-on-substitution": Text("after a stop, the IgG taken on substitution",
                                    "efter seponering, IgG taget under substitution"),
        "restart-in-window": Text("a restart while the window runs", "en genopstart, mens perioden løber"),
        "restart-in-window-igg-before-substitution": Text(
            "a restart while the window runs, with no IgG since substitution began",
            "en genopstart, mens perioden løber, uden IgG siden substitutionen begyndte"),
        "restart-in-window-igg-on-substitution": Text("a restart while the window runs, the IgG taken on substitution",
                                                      "en genopstart, mens perioden løber, IgG taget under "
                                                      "substitution"),
        "restart-in-window-resumable": Text("while a new order would still continue the course",
                                            "mens en ny ordination stadig ville fortsætte forløbet"),
        "restart-in-window-lapsed-at-stop": Text("the course lapsed with its stop date due",
                                                 "forløbet ophørt, mens seponeringsdatoen er nær"),
        "booked-after-window": Text("a course booked to begin after the stop date",
                                    "et forløb planlagt til at begynde efter seponeringsdatoen")},
    "start-meets-general-criteria": {
        "after-stop": Text("after substitution was stopped or paused", "efter at substitution er seponeret eller pauseret")},
    "stop-planned": {
        "doses": _DOSES_ONLY, "record": _RECORD_ONLY, "record-ends-earlier": _RECORD_ENDS_EARLIER,
        "booked-after-stop": Text("an order booked to begin on or after the stop date",
                                  "en ordination planlagt at begynde på eller efter seponeringsdatoen"),
        "order-ends-earlier": _ORDER_ENDS_EARLIER},
    "stop-due-soon": {
        "order-ends-earlier": _ORDER_ENDS_EARLIER,
        "order-ends-on-stop": Text("the orders end on the stop date", "ordinationerne slutter på seponeringsdatoen"),
        "record": _RECORD_ONLY, "record-ends-earlier": _RECORD_ENDS_EARLIER,
        "record-ends-on-stop": Text("the medication list's record ends on the stop date",
                                    "medicinlistens registrering slutter på seponeringsdatoen")},
    "stop-overdue": {"doses": _DOSES_ONLY, "record": _RECORD_ONLY},
    "general-stop-review": {
        "due": Text("a review is due now", "seponering skal vurderes nu"),
        "criteria-not-met": Text("begun without the general criteria", "begyndt uden de generelle kriterier"),
        "info": Text("the next review date", "næste vurderingsdato"),
        "order-ends-earlier": Text("the next review, after the orders end",
                                   "næste vurdering, efter at ordinationerne slutter"),
        "record-ends-earlier": Text("the next review, after the medication list's record ends",
                                    "næste vurdering, efter at medicinlistens registrering slutter")},
    "child-individual-assessment": {
        "bsab": Text("after a bispecific antibody", "efter et bispecifikt antistof"),
        "car-t-product": _CAR_T_PRODUCT},
    "order-meets-criteria": {
        "window": Text("starts in the window on a low IgG", "starter i højrisikoperioden på lav IgG"),
        "window-general-stop": Text("starts in the window; the general stop criteria apply",
                                    "starter i højrisikoperioden; de generelle seponeringskriterier gælder"),
        "general": Text("the general criteria are met", "de generelle kriterier er opfyldt"),
        "continuation-window": Text("continues substitution begun in the window",
                                    "fortsætter substitution startet i højrisikoperioden"),
        "continuation-ends-earlier": Text("continues substitution begun in the window; ends before the stop date",
                                          "fortsætter substitution startet i højrisikoperioden; slutter før "
                                          "seponeringsdatoen"),
        "window-followed": Text("starts in the window on a low IgG; another Ig draft carries the course on",
                                "starter i højrisikoperioden på lav IgG; et andet Ig-udkast fører forløbet videre"),
        "window-ends-earlier": Text("starts in the window on a low IgG; ends before the stop date",
                                    "starter i højrisikoperioden på lav IgG; slutter før seponeringsdatoen"),
        "window-new-therapy": Text("starts in the window on a low IgG; a bsAb drafted with it moves the stop date",
                                   "starter i højrisikoperioden på lav IgG; et bsAb i samme udkast flytter "
                                   "seponeringsdatoen"),
        "continuation-general": Text("continues substitution under the general criteria",
                                     "fortsætter substitution efter de generelle kriterier"),
        "continuation-general-due": Text("continues under the general criteria; a review is due",
                                         "fortsætter efter de generelle kriterier; seponering skal vurderes")},
    "order-does-not-meet-criteria": {
        "window": Text("starts in the window, and the IgG does not qualify",
                       "starter i højrisikoperioden, og IgG'en opfylder ikke kriteriet"),
        "after-window": Text("starts after the high-risk window, and the general criteria are not met",
                             "starter efter højrisikoperioden, og de generelle kriterier er ikke opfyldt")},
    "plan-igg-monitoring": {
        "new": Text("a new bispecific course", "et nyt forløb med bispecifikt antistof"),
        "igg-low": Text("a bispecific course, IgG already below the threshold",
                        "et bispecifikt forløb, IgG allerede under grænsen"),
        "igg-low-general-stop": Text("a bispecific course ahead, IgG already below the threshold in the current window",
                                     "et kommende bispecifikt forløb, IgG allerede under grænsen i den aktuelle periode"),
        "igg-low-special-stop-first": Text("a bispecific course after the current window, IgG already below the threshold",
                                           "et bispecifikt forløb efter den aktuelle periode, IgG allerede under grænsen"),
        "baseline-low": Text("a first course, its baseline IgG already below the threshold",
                             "et første forløb, baseline-IgG allerede under grænsen"),
        "on-substitution": Text("a new bispecific course for a patient already on immunoglobulin",
                                "et nyt bispecifikt forløb hos en patient, der allerede får immunglobulin"),
        "continues": Text("resumes a current bispecific course", "genoptager et igangværende bispecifikt forløb"),
        "continues-igg-low": Text("resumes a bispecific course, IgG already below the threshold",
                                  "genoptager et bispecifikt forløb, IgG allerede under grænsen"),
        "continues-stop": Text("resumes a bispecific course while immunoglobulin awaits its special stop",
                               "genoptager et bispecifikt forløb, mens immunglobulin afventer særkriteriets "
                               "seponering"),
        "continues-review": Text("resumes a bispecific course of a patient on immunoglobulin",
                                 "genoptager et bispecifikt forløb hos en patient, der får immunglobulin"),
        "continues-after-window": Text("resumes a bispecific course after its window",
                                       "genoptager et bispecifikt forløb efter højrisikoperioden"),
        "car-t-product": _CAR_T_PRODUCT,
        "car-t-product-on-substitution": Text("a CAR-T product ordered for a patient already on immunoglobulin",
                                              "et CAR-T-produkt ordineret til en patient, der allerede får "
                                              "immunglobulin"),
        "special-stop-first": Text("a bispecific course planned after the special stop of immunoglobulin",
                                   "et bispecifikt forløb planlagt efter særkriteriets seponering af immunglobulin"),
        "special-stop-overdue": Text("a bispecific course planned while immunoglobulin is past its special stop",
                                     "et bispecifikt forløb planlagt, mens immunglobulin har passeret "
                                     "særkriteriets seponering"),
        "car-t-product-special-stop-overdue": Text("a CAR-T product ordered while immunoglobulin is past its special "
                                                   "stop",
                                                   "et CAR-T-produkt ordineret, mens immunglobulin har passeret "
                                                   "særkriteriets seponering"),
        "continues-stop-overdue": Text("resumes a bispecific course while immunoglobulin is past its special stop",
                                       "genoptager et bispecifikt forløb, mens immunglobulin har passeret "
                                       "særkriteriets seponering"),
        "car-t-product-special-stop": Text("a CAR-T product ordered while immunoglobulin awaits its special stop",
                                           "et CAR-T-produkt ordineret, mens immunglobulin afventer særkriteriets "
                                           "seponering")},
    "therapy-not-recognised": {
        "no-code": Text("a therapy recorded with no code", "en behandling registreret uden kode"),
        "named-wrong-system": Text("a therapy's code under the wrong code system",
                                   "en behandlings kode under forkert kodesystem"),
        "codes-disagree": Text("a therapy whose codes disagree", "en behandling, hvis koder modsiger hinanden"),
        "class-code": Text("a therapy coded only by its class of drugs", "en behandling kodet kun ved sin "
                           "lægemiddelklasse"),
        "class-code-child": Text("a therapy coded only by its class of drugs, in a child",
                                 "en behandling kodet kun ved sin lægemiddelklasse, hos et barn"),
        "child": Text("a therapy not recognised by its code, in a child",
                      "en behandling ikke genkendt på sin kode, hos et barn"),
        "unknown-system": Text("records coded only in a code system not read",
                               "registreringer kodet kun i et kodesystem, der ikke læses"),
        "wrong-system": Text("therapy codes under the wrong code system",
                             "behandlingskoder under forkert kodesystem")},
    "malignancy-not-recognised": {
        "no-code": Text("a diagnosis recorded with no code", "en diagnose registreret uden kode"),
        "unknown-system": Text("a diagnosis coded only in a code system not read",
                               "en diagnose kodet kun i et kodesystem, der ikke læses"),
        "wrong-system": Text("a diagnosis code under the wrong code system",
                             "en diagnosekode under forkert kodesystem"),
        "not-listed": Text("a nameless SNOMED CT diagnosis code not in the lists",
                           "en SNOMED CT-diagnosekode uden navn, som ikke er i listerne"),
        "child": Text("a diagnosis named like a malignancy, in a child",
                      "en diagnose navngivet som en malignitet, hos et barn"),
        "unread-child": Text("a diagnosis whose code was not read, in a child",
                             "en diagnose, hvis kode ikke blev læst, hos et barn")},
    "therapy-undated": {
        "child": Text("the therapy's date names no day, in a child", "behandlingens dato angiver ingen dag, hos et barn"),
        "unreadable": Text("the therapy's date cannot be read", "behandlingens dato kan ikke læses"),
        "no-date": Text("a therapy with no date", "en behandling uden dato"),
        "car-t-order": Text("a CAR-T order, no infusion recorded", "en CAR-T-ordination, ingen infusion registreret"),
        "car-t-order-no-date": Text("a CAR-T order with no date, no infusion recorded",
                                    "en CAR-T-ordination uden dato, ingen infusion registreret"),
        "car-t-not-given": Text("a CAR-T infusion recorded as not given", "en CAR-T-infusion registreret som ikke givet"),
        "car-t-not-known-given": Text("a CAR-T infusion not known to be given",
                                      "en CAR-T-infusion, der ikke vides givet"),
        "bsab-not-given": Text("a bispecific dose recorded as not given",
                               "en bispecifik dosis registreret som ikke givet"),
        "bsab-not-known-given": Text("a bispecific dose not known to be given",
                                     "en bispecifik dosis, der ikke vides givet"),
        "named-no-date": Text("a therapy known by its name, with no day", "en behandling kendt på navnet, uden dag"),
        "codes-disagree-no-date": Text("a therapy whose codes disagree, with no day",
                                       "en behandling, hvis koder modsiger hinanden, uden dag")},
    "order-not-recognised": {
        "no-code": Text("an immunoglobulin draft with no code", "et immunglobulinudkast uden kode"),
        "therapy": Text("a bispecific or CAR-T draft not recognised by its code",
                        "et udkast med bispecifikt antistof eller CAR-T, ikke genkendt på koden"),
        "therapy-no-code": Text("a bispecific or CAR-T draft with no code",
                                "et udkast med bispecifikt antistof eller CAR-T, uden kode"),
        "child": Text("a draft not recognised by its code, in a child",
                      "et udkast, der ikke genkendes på koden, hos et barn"),
        "unknown-system": Text("a draft coded only in a code system not read",
                               "et udkast kodet kun i et kodesystem, der ikke læses"),
        "wrong-system": Text("a draft's code under the wrong code system",
                             "et udkasts kode under forkert kodesystem")},
}
_SITUATION_SUFFIXES = {"-child": Text("in a child", "hos et barn"),
                       "-no-index": Text("no recognised index event", "ingen genkendt indekshændelse"),
                       "-no-day": Text("its date names no day", "datoen angiver ingen dag")}


def situation(code: str, variant: str) -> Text | None:
    """A named situation of `code` in words (`SITUATIONS`; "-child", "-no-index", "-no-day" said after its base's
    words); None for the code's plain situation ("") or one with no words."""
    words = SITUATIONS.get(code, {}).get(variant)
    if words is not None or not variant:
        return words
    for suffix, said in _SITUATION_SUFFIXES.items():
        if variant.endswith(suffix):
            base = situation(code, variant[:-len(suffix)])
            if base is not None:
                return Text(f"{base.en}; {said.en}", f"{base.da}; {said.da}")
    return None


# The cards that read the patient as on substitution: a stop, a stop review, a draft continuing it (by code, or by
# "code:variant"; a draft continuing it past the stop date, "order-does-not-meet-criteria", is not known by its code:
# its advice carries the value `on_substitution`). A data note on them does not ask whether the patient is already on
# substitution (cds_service/cards/notes.py, `ON_SUBSTITUTION_TEXT`).
READS_ON_SUBSTITUTION = frozenset({
    "stop-planned", "stop-due-soon", "stop-overdue", "general-stop-review",
    "order-meets-criteria:continuation-window", "order-meets-criteria:continuation-ends-earlier",
    "order-meets-criteria:continuation-general", "order-meets-criteria:continuation-general-due"})


def reads_on_substitution(code: str, variant: str, values: Mapping[str, object] | None = None) -> bool:
    """Whether the card of this advice reads the patient as on substitution (`READS_ON_SUBSTITUTION`, or the advice's
    value `on_substitution`)."""
    return code in READS_ON_SUBSTITUTION or f"{code}:{variant}" in READS_ON_SUBSTITUTION \
        or (values or {}).get("on_substitution") is True

# -- families shared by several codes ------------------------------------------------------------

OVERRIDE_REASONS: dict[str, Text] = {
    "community-infection-risk": Text("Short extension: significant community risk of bacterial infections",
                                     "Kort forlængelse: betydelig smitterisiko for bakterielle infektioner i samfundet"),
    "specialist-decision": Text("Specialist decision documented elsewhere",
                                "Speciallægebeslutning dokumenteret andetsteds"),
    "infections-persist": Text("Continue: infections persist despite prophylaxis",
                               "Fortsæt: vedvarende infektioner trods profylakse"),
    "infection-not-coded": Text("Severe bacterial infection not yet coded", "Svær bakteriel infektion endnu ikke kodet"),
    "infection-tendency": Text("Continue by the general criteria: severe/recurrent bacterial infections",
                               "Fortsæt efter de generelle kriterier: svære/tilbagevendende bakterielle infektioner"),
}

# The first day an IgG counts as taken off substitution, where the washout still runs (fills {off_from}): the stop
# card promised an IgG off substitution, and one drawn before that day would be set aside again (§3.4)
OFF_FROM = Text(" from {igg_off_from}", " fra {igg_off_from}")

# When the IgG a card against a start shows was taken (fills {igg_taken}): on substitution, or after every course had
# ended, in the washout (a clinician who knows there was no Ig that day must not read "on substitution")
IGG_TAKEN: dict[bool, Text] = {
    False: Text("taken on substitution", "taget under Ig"),
    True: Text("taken in the Ig washout", "taget i Ig-udvaskningen"),
}

# Why the general stop criteria apply (fills {general_stop_reason}).
GENERAL_STOP_REASONS: dict[str, Text] = {
    "before-t0": Text("substitution began before {kind}", "substitution begyndte før {kind}"),
    # order hooks: a new bsAb drafted in the same session, to begin after this immunoglobulin order
    "before-drafted-therapy": Text("it begins before {session_therapy_inline}, {session_how} from "
                                   "{session_therapy_start}",
                                   "den begynder før {session_therapy_inline}, som er {session_how} fra "
                                   "{session_therapy_start}"),
    # patient-view: a start card beside a new bsAb course booked ahead (`BsAb Booked`), to begin by the stop date
    "before-booked-therapy": Text("substitution begun now comes before {session_therapy_inline}, booked from "
                                  "{session_therapy_start}",
                                  "substitution begyndt nu kommer før {session_therapy_inline}, som er planlagt fra "
                                  "{session_therapy_start}"),
    "paused-for-infusion": Text("substitution was paused shortly before {kind}",
                                "substitution blev pauseret kort før {kind}"),
    # ... with the day it was last given (an order's end, or the last dose of recorded doses) and how long before T0
    "paused-for-infusion-until": Text("substitution ended {paused_end}, {paused_days} before {kind}",
                                      "substitution sluttede {paused_end}, {paused_days} før {kind}"),
    "paused-for-infusion-dose": Text("the last dose was {paused_last_dose}, {paused_days} before {kind}",
                                     "sidste dosis var {paused_last_dose}, {paused_days} før {kind}"),
    "after-window": Text("substitution began after the window", "substitution begyndte efter perioden"),
    "infections": Text("severe or recurrent bacterial infections came first",
                       "svære eller tilbagevendende bakterielle infektioner kom først"),
    "restart": Text("it is a restart", "det er en genopstart"),
    "restart-after": Text("it restarts a course that ended {previous_end}, {restart_gap} earlier",
                          "det genopstarter et forløb, der sluttede {previous_end}, {restart_gap} før"),
    # ... after the window: a course since T0 ended before this one began after the stop date
    "after-window-restart-after": Text(
        "substitution was restarted after the window, after a course that ended {previous_end}, {restart_gap} earlier",
        "substitution blev genopstartet efter perioden, efter et forløb, der sluttede {previous_end}, {restart_gap} før"),
    "after-window-restart-after-dose": Text(
        "substitution was restarted after the window, after a course whose last dose was {previous_last_dose}, "
        "{restart_gap} earlier",
        "substitution blev genopstartet efter perioden, efter et forløb, hvis sidste dosis var {previous_last_dose}, "
        "{restart_gap} før"),
    # the course before was one of recorded doses: its last dose, not the course days after it, is named
    "restart-after-dose": Text("it restarts a course whose last dose was {previous_last_dose}, {restart_gap} earlier",
                               "det genopstarter et forløb, hvis sidste dosis var {previous_last_dose}, {restart_gap} "
                               "før"),
}

# Criteria an order fails (order-does-not-meet-criteria); joined into {failing}.
FAILING: dict[str, Text] = {
    "no-igg-since-t0": Text("no usable IgG since {kind} {t0}", "ingen brugbar IgG siden {kind} {t0}"),
    "igg-not-low": Text("IgG {igg} ({igg_date}) is not < {threshold}", "IgG {igg} ({igg_date}) er ikke < {threshold}"),
    "igg-stale": Text("IgG {igg} is {igg_age} old", "IgG {igg} er {igg_age} gammel"),
    "igg-indeterminate": Text("IgG reported as {igg} ({igg_date}), unclear whether < {threshold}",
                              "IgG svaret som {igg} ({igg_date}), uvist om < {threshold}"),
    "igg-indeterminate-m-protein": Text(
        "polyclonal IgG {igg} (total {igg_total_number}, M-protein {m_protein}), unclear whether < {threshold}",
        "polyklonal IgG {igg} (total {igg_total_number}, M-komponent {m_protein}), uvist om < {threshold}"),
    "igg-m-protein-no-bound": Text(
        "polyclonal IgG cannot be told from total {igg_total_number} and M-protein {m_protein}",
        "polyklonal IgG kan ikke udledes af total {igg_total_number} og M-komponent {m_protein}"),
    "igg-4-6": Text("IgG {igg} is {threshold} to < {general_threshold}: the general SID criteria apply",
                    "IgG {igg} er {threshold} til < {general_threshold}: de generelle SID-kriterier gælder"),
    "no-recent-igg": Text("no usable IgG for {stale_days}", "ingen brugbar IgG i {stale_days}"),
    # ... of an order that starts later: the IgG is judged at its start, so a recent one may already be too old then
    "no-recent-igg-at-start": Text("no usable IgG for {stale_days} before its start {order_start}",
                                   "ingen brugbar IgG i {stale_days} før start {order_start}"),
    "no-infections": Text("no severe/recurrent verified bacterial infection",
                          "ingen svær/tilbagevendende verificeret bakteriel infektion"),
    "past-stop-date": Text("the stop date {stop_date} has passed ({window} after {kind} {t0})",
                           "seponeringsdato {stop_date} passeret ({window} efter {kind} {t0})"),
    "starts-after-stop-date": Text("it starts {order_start}, on or after the stop date {stop_date}",
                                   "start {order_start}, på eller efter seponeringsdatoen {stop_date}"),
}

# The criteria of `FAILING` a variant's summary says in its own words, left out of its {failing} (the detail's "Not met"
# line keeps them): an order that starts after the window that runs today leads with the general criteria it fails.
FAILING_SAID_BY_SUMMARY: dict[tuple[str, str], frozenset[str]] = {
    ("order-does-not-meet-criteria", "after-window"): frozenset({"starts-after-stop-date"})}

# Each criterion of `FAILING` named without its figures, for the explanation page, whose values table gives the
# figures in rows of their own (the card's words need them: "IgG {igg} ({igg_date}) is not < {threshold}").
FAILING_NAMED: dict[str, Text] = {
    "no-igg-since-t0": Text("no usable IgG since the index event", "ingen brugbar IgG siden indekshændelsen"),
    "igg-not-low": Text("IgG not below the start threshold", "IgG ikke under startgrænsen"),
    "igg-stale": Text("the IgG is too old", "IgG'en er for gammel"),
    "igg-indeterminate": Text("IgG reported as a bound: unclear whether below the threshold",
                              "IgG svaret som en grænse: uvist om under grænsen"),
    "igg-indeterminate-m-protein": Text("polyclonal IgG: unclear whether below the threshold",
                                        "polyklonal IgG: uvist om under grænsen"),
    "igg-m-protein-no-bound": Text("polyclonal IgG cannot be told from total and M-protein",
                                   "polyklonal IgG kan ikke udledes af total og M-komponent"),
    "igg-4-6": Text("IgG from the start threshold to below the general one: the general criteria apply",
                    "IgG fra startgrænsen til under den generelle grænse: de generelle kriterier gælder"),
    "no-recent-igg": Text("no recent usable IgG", "ingen nylig brugbar IgG"),
    "no-recent-igg-at-start": Text("no recent usable IgG before the order's start",
                                   "ingen nylig brugbar IgG før ordinationens start"),
    "no-infections": FAILING["no-infections"],
    "past-stop-date": Text("the stop date has passed", "seponeringsdatoen er passeret"),
    "starts-after-stop-date": Text("it starts on or after the stop date", "start på eller efter seponeringsdatoen"),
}

# The caveats the specification requires on every card that carries them (§3): an IgG taken on substitution, or in
# the washout of immunoglobulin given for another reason, "show that caveat on any card that uses such a value" (and
# on the card that set such an IgG aside for an older one: it is the only place that card says why the latest IgG
# was not used); a myeloma, or an M-protein, of unknown type, "show the caveat". A crowded card cuts every other
# caveat, the facts beyond its floor, the reminder and the data notes' detail before them (`render.KEEPS`).
# ... and a record the patient may already be on, on a card that invites a start (`ALREADY_ON`): a card must prevent a
# wrong action (clinical rules §6-§8), here a duplicate course ordered from its own suggestion.
REQUIRED_CAVEATS = frozenset({"igg-during-substitution", "igg-low-on-substitution", "igg-during-other-use",
                              "igg-during-substitution-ignored", "igg-during-substitution-ignored-dated",
                              "igg-in-washout-ignored",
                              "igg-during-other-use-ignored", "paraprotein-possible",
                              "paraprotein-possible-measured", "paraprotein-unread", "ig-maybe-on", "ig-drafted-twice",
                              "special-stop-if-not-begun"})
# How the caveat `infections-culture-only` names the culture, by its specimen (`library._STERILE_SPECIMENS`)
CULTURED_SPECIMEN: dict[str, Text] = {"blood": Text("blood culture", "bloddyrkning"),
                                      "csf": Text("spinal fluid culture", "spinalvæskedyrkning")}
# A required caveat's briefer form, which a crowded card says before it would cut the caveat (`render._fitted`): the
# record the patient may already be on, named without its day and why it was not read (both on the page, and in its
# data note where there is room). A Danish start card cut "“Privigen lokal kode” (ordineret 2026-01-01; ukendt kode)
# kan være Ig, patienten får" for three characters, and gave its room back to a caveat not required.
BRIEFER_CAVEATS = {"ig-maybe-on": "ig-maybe-on-brief"}
# The caveats a card says right under its decision, before the facts it rests on: a record the patient may already be
# on (`ALREADY_ON`) is read before a start is acted on, not after the facts and the "To do" line.
LEADING_CAVEATS = frozenset({"ig-maybe-on", "ig-drafted-twice", "ig-follow-on-drafted"})
# The caveats that say the decision could change (an M-protein of unknown type or not measured; a course no start
# criterion supported, which is the stop to weigh; infections recorded but not confirmed) or what it assumed (no
# diagnosis, birth date or patient record): a crowded card ranks them with a data note on the advice's evidence, and
# never cuts them for the ranks it holds whole (`render.KEEPS`).
DECISIVE_CAVEATS = frozenset({"paraprotein-unmeasured", "paraprotein-unread", "paraprotein-possible",
                              "paraprotein-possible-measured",
                              "malignancy-assumed", "age-unknown", "age-unknown-no-index", "patient-unknown",
                              "patient-unknown-no-index", "general-start-not-met", "infections-unconfirmed",
                              "infections-unconfirmed-several", "infections-uncoded", "infections-uncoded-several",
                              "infections-culture-only", "infections-culture-only-several",
                              "order-new-course-at-start", "first-dose-drafted-with-it", "late-in-window"})
# The caveats that speak of the IgG the advice used as "this IgG" ("This IgG was taken on substitution ..."): a card
# that keeps one keeps that IgG's fact line, or the caveat names nothing on the card (`render.KEEPS`).
THIS_IGG_CAVEATS = frozenset({"igg-during-substitution", "igg-low-on-substitution", "igg-during-other-use",
                              "igg-after-unknown-pause"})

# Data notes about an immunoglobulin record the rules could not use but that may be the substitution the patient is on:
# known only by its name (a local code), coded under the wrong system, with no usable date, a dose or order whose
# status leaves it open, a medication record not placed, only a plan, or written after the day evaluated; or a current
# diagnosis naming immunoglobulin treatment (a problem-list entry "Immunglobulinbehandling": no dose, yet what the EHR
# says of a patient on Ig). Each tells
# the clinician to check whether the patient is already on substitution (cds_service/cards/notes.py,
# `START_SIDE_ADVICE`). On a card that invites a start (`INVITES_START`) any of them is the caveat `ig-maybe-on`, and
# the card offers no immunoglobulin order (`IG_ORDER_SUGGESTIONS`): "Ig may be started" with an order button beside
# a course already running orders a second one.
ALREADY_ON = frozenset({"ig-by-name", "ig-order-undated", "ig-wrong-system", "ig-dose-undated", "ig-dose-not-known-given",
                        "ig-statement-unread", "ig-order-written-later", "ig-statement-written-later",
                        "ig-order-status-unknown", "ig-order-plan", "ig-statement-intended", "ig-condition"})
# The cards that advise or invite a start of immunoglobulin: a start in the window or by the general criteria, and a
# draft Ig order that meets the criteria for a start (not one continuing substitution: `reads_on_substitution`). Not a
# card that asks for an IgG first (measure-igg, the general criteria's IgG < 6 g/L): no start is offered there, and the
# start card that follows carries the caveat.
INVITES_START = frozenset({"start-substitution", "start-meets-general-criteria", "order-meets-criteria",
                           "plan-igg-monitoring:igg-low"})
IG_ORDER_SUGGESTIONS = frozenset({"order-ig-until-stop", "order-ig"})


def invites_start(code: str, variant: str, values: Mapping[str, object] | None = None) -> bool:
    """Whether the card of this advice advises or invites a start of immunoglobulin (`INVITES_START`)."""
    return (code in INVITES_START or f"{code}:{variant}" in INVITES_START) \
        and not reads_on_substitution(code, variant, values)


# How the caveat `ig-maybe-on` dates the record it names, by its type ("ordered 2025-12-30")
ALREADY_ON_DAY: dict[str, Text] = {
    "MedicationRequest": Text("ordered {day}", "ordineret {day}"),
    "MedicationAdministration": Text("given {day}", "givet {day}"),
    "MedicationStatement": Text("recorded {day}", "registreret {day}"),
    "Procedure": Text("given {day}", "givet {day}"),
    "Condition": Text("recorded {day}", "registreret {day}"),
}
# ... and by its note where the note says the record is no order or no dose given: a plan is not "ordered", a dose
# not known to be given is not "given" (the note under the caveat says so)
ALREADY_ON_DAY_OF_KIND: dict[str, Text] = {
    "ig-order-plan": Text("planned {day}", "planlagt {day}"),
    "ig-statement-intended": Text("planned {day}", "planlagt {day}"),
    "ig-dose-not-known-given": Text("dated {day}", "dateret {day}"),
}
# ... and why the record was not read, in a few words beside its date ("ordered 2025-12-30; code not known"): a crowded
# card keeps the caveat where it may cut the note that says it (`render.KEEPS`)
ALREADY_ON_REASON: dict[str, Text] = {
    "ig-by-name": Text("code not known", "ukendt kode"),
    "ig-wrong-system": Text("wrong code system", "forkert kodesystem"),
    "ig-order-undated": Text("no usable date", "ingen brugbar dato"),
    "ig-dose-undated": Text("no date", "ingen dato"),
    "ig-dose-not-known-given": Text("not recorded as given", "ikke registreret som givet"),
    "ig-statement-unread": Text("not placed in time", "ikke placeret i tid"),
    "ig-order-written-later": Text("written after the day evaluated", "skrevet efter vurderingsdagen"),
    "ig-statement-written-later": Text("written after the day evaluated", "skrevet efter vurderingsdagen"),
    "ig-order-status-unknown": Text("status unknown", "status ukendt"),
    "ig-order-plan": Text("not ordered", "ikke ordineret"),
    "ig-statement-intended": Text("not recorded as given", "ikke registreret som givet"),
    "ig-condition": Text("a diagnosis, no order or dose", "en diagnose, ingen ordination eller dosis"),
}
# ... and what the card then offers (`already_on`'s `ig_maybe_on_check`): no order where it withheld one, a draft
# order to check before it is signed (its card may still offer to end or hold it), else a check alone
ALREADY_ON_CHECK: dict[str, Text] = {
    "withheld": Text("check first; no Ig order offered", "tjek først; ingen Ig-ordination tilbudt"),
    "draft": Text("check before signing", "tjek før underskrift"),
    "check": Text("check before ordering", "tjek før ordination"),
}
ALREADY_ON_MORE = Text("{named} and {n} more", "{named} og {n} mere")
ALREADY_ON_UNNAMED = Text("An immunoglobulin record", "En immunglobulinregistrering")

# Short notes under a card's decision (each at most one line).
CAVEATS: dict[str, Text] = {
    "igg-during-substitution": Text(
        "This IgG was taken on substitution: it shows infused immunoglobulin, not recovery (§3.4).",
        "Denne IgG er taget under substitution: den viser tilført immunglobulin, ikke restitution (§3.4)."),
    # the same, when only immunoglobulin given for another reason (ITP: `ig-other-indication`) was in its washout
    "igg-during-other-use": Text(
        "This IgG was taken within the washout of immunoglobulin given for another reason: it shows infused "
        "immunoglobulin (§3.4).",
        "Denne IgG er taget i udvaskningen efter immunglobulin givet af anden årsag: den viser tilført "
        "immunglobulin (§3.4)."),
    "igg-after-unknown-pause": Text(
        "This IgG was taken after the start of an Ig order now on hold from an unrecorded day: it may still show "
        "infused immunoglobulin (§3.4).",
        "Denne IgG er taget efter start af en Ig-ordination, nu i bero fra en uregistreret dag: den kan stadig vise "
        "tilført immunglobulin (§3.4)."),
    # a start decided on an IgG below the start threshold taken on immunoglobulin or in its washout: infused
    # immunoglobulin only raises a level, so the patient's own IgG is below the threshold too (§3.4 asks for a period
    # off substitution to show recovery, IgG above it)
    "igg-low-on-substitution": Text(
        "This IgG was taken on Ig or in its washout; infused Ig only raises it, so the patient's own IgG is below "
        "{threshold} too (§3.4).",
        "Denne IgG er taget under Ig eller i udvaskningen; tilført Ig hæver den kun, så patientens egen IgG er også "
        "under {threshold} (§3.4)."),
    "igg-during-substitution-ignored": Text(
        "The latest IgG ({ignored_igg}, {ignored_igg_date}) was taken on substitution and not used (§3.4).",
        "Seneste IgG ({ignored_igg}, {ignored_igg_date}) er taget under substitution og ikke brugt (§3.4)."),
    # the same, the substitution over: the day the washout ends is known, and a clinician re-measuring before it would
    # meet the same note
    "igg-during-substitution-ignored-dated": Text(
        "The latest IgG ({ignored_igg}, {ignored_igg_date}) was taken on Ig or in its washout and not used (§3.4); "
        "IgG ≥ {threshold} counts from {ignored_igg_counts_from}.",
        "Seneste IgG ({ignored_igg}, {ignored_igg_date}) er taget under Ig eller i udvaskningen og ikke brugt (§3.4); "
        "IgG ≥ {threshold} tæller fra {ignored_igg_counts_from}."),
    # the same, taken after the course had ended (its washout over by now): a clinician who knows there was no Ig
    # that day reads "on substitution" as a mistake
    "igg-in-washout-ignored": Text(
        "The latest IgG ({ignored_igg}, {ignored_igg_date}) was taken in the Ig washout and not used (§3.4).",
        "Seneste IgG ({ignored_igg}, {ignored_igg_date}) er taget i Ig-udvaskningen og ikke brugt (§3.4)."),
    # the same, when only immunoglobulin given for another reason (ITP: `ig-other-indication`) was in its washout
    "igg-during-other-use-ignored": Text(
        "The latest IgG ({ignored_igg}, {ignored_igg_date}) was taken within the washout of immunoglobulin given for "
        "another reason and not used (§3.4).",
        "Seneste IgG ({ignored_igg}, {ignored_igg_date}) er taget i udvaskningen efter immunglobulin givet af anden "
        "årsag og ikke brugt (§3.4)."),
    "paraprotein-subtracted": Text(
        "Polyclonal IgG: total {igg_total} minus IgG M-protein {m_protein} ({m_protein_date}).",
        "Polyklonal IgG: total {igg_total} minus IgG M-komponent {m_protein} ({m_protein_date})."),
    "paraprotein-unmeasured": Text(
        "IgG myeloma without an M-protein measured with this IgG: polyclonal IgG may be lower and could change "
        "this decision; measure the M-protein.",
        "IgG-myelomatose uden M-komponent målt sammen med denne IgG: polyklonal IgG kan være lavere og kan ændre "
        "vurderingen; mål M-komponenten."),
    "paraprotein-unread": Text(
        "The M-protein result of {m_protein_unread_date} was not used ({m_protein_unread_why}): in myeloma polyclonal "
        "IgG may be lower than the total and could change this decision; look that result up.",
        "M-komponent-svaret fra {m_protein_unread_date} blev ikke brugt ({m_protein_unread_why}): ved myelomatose kan "
        "polyklonal IgG være lavere end total-IgG og ændre vurderingen; slå svaret op."),
    "paraprotein-possible": Text(
        "Myeloma of unknown type: if the M-protein (paraprotein) is IgG, polyclonal IgG is lower and could change "
        "this decision; immunofixation tells.",
        "Myelomatose af ukendt type: er M-komponenten (paraproteinet) IgG, er polyklonal IgG lavere og kan ændre "
        "vurderingen; immunfiksation afgør det."),
    "paraprotein-possible-measured": Text(
        "M-protein {untyped_m_protein} ({untyped_m_protein_date}) of unknown type: if IgG, polyclonal IgG is "
        "{polyclonal_if_igg}, which could change this decision; immunofixation tells.",
        "M-komponent {untyped_m_protein} ({untyped_m_protein_date}) af ukendt type: hvis IgG, er polyklonal IgG "
        "{polyclonal_if_igg}, hvilket kan ændre vurderingen; immunfiksation afgør det."),
    "malignancy-assumed": Text(
        "No haematological cancer diagnosis received; this site assumes one.",
        "Ingen hæmatologisk kræftdiagnose modtaget; hospitalets opsætning antager en."),
    "age-unknown": Text("Birth date unknown: adult criteria applied.", "Fødselsdato ukendt: voksenkriterier anvendt."),
    "age-unknown-no-index": Text("Birth date unknown: the patient is taken to be an adult.",
                                 "Fødselsdato ukendt: patienten er antaget at være voksen."),
    # no Patient record in the request (a prefetch `patient` of null): neither the age nor a death could be read
    "patient-unknown": Text("No patient record: age and death not checked; adult criteria applied.",
                            "Ingen patientregistrering: alder og dødsfald er ikke tjekket; voksenkriterier anvendt."),
    "patient-unknown-no-index": Text(
        "No patient record: age and death not checked; the patient is taken to be an adult.",
        "Ingen patientregistrering: alder og dødsfald er ikke tjekket; patienten er antaget at være voksen."),
    "course-end-unknown": Text("An Ig order has ended without an end date: treated as ended on an unknown day.",
                               "En Ig-ordination sluttede uden dato; slutdagen er ukendt."),
    # a course under the general criteria because it began after the window or as a restart, with no severe or
    # recurrent verified bacterial infection from the look-back before its start to today (§4.3)
    "general-start-not-met": Text(
        "No severe/recurrent verified bacterial infection since {criteria_since}: this course did not meet the "
        "general start criteria; weigh stopping it.",
        "Ingen svær/tilbagevendende verificeret bakteriel infektion siden {criteria_since}: forløbet opfyldte ikke "
        "de generelle opstartskriterier; overvej at seponere det."),
    # a card infections not counted could change (`library.unconfirmed_deciding`): bacterial infection diagnoses not
    # recorded as confirmed (verificationStatus) that would, confirmed, make the severe/recurrent infections it lacks
    "infections-unconfirmed": Text(
        "{unconfirmed_infection} ({unconfirmed_infection_date}) is not recorded as confirmed, so not counted; "
        "confirmed, it could change this decision.",
        "{unconfirmed_infection} ({unconfirmed_infection_date}) er ikke registreret som bekræftet og tælles ikke; "
        "bekræftet kan den ændre vurderingen."),
    "infections-unconfirmed-several": Text(
        "{unconfirmed_infection} ({unconfirmed_infection_date}) and {unconfirmed_infection_more} more are not recorded "
        "as confirmed, so not counted; confirmed, they could change this decision.",
        "{unconfirmed_infection} ({unconfirmed_infection_date}) og {unconfirmed_infection_more} mere er ikke "
        "registreret som bekræftede og tælles ikke; bekræftede kan de ændre vurderingen."),
    # ... and diagnoses named like a bacterial infection whose code the service does not know (a local code), which,
    # coded, could make them (`library.uncoded_deciding`)
    # a positive culture of a sterile site (blood, spinal fluid) with no infection diagnosis, where the verified
    # infections are neither severe nor recurrent: the infection it shows, recorded, could decide (a bacteraemia is
    # severe, clinical rules §5); a culture alone is no diagnosis, so it is not counted (`library.cultured_deciding`)
    "infections-culture-only": Text(
        "A positive {cultured_specimen} ({cultured_date}) with no infection diagnosis within {culture_window} is not "
        "counted; recorded as the bacterial infection it shows, it could change this decision.",
        "En positiv {cultured_specimen} ({cultured_date}) uden infektionsdiagnose inden for {culture_window} tælles "
        "ikke; registreret som den bakterielle infektion, den viser, kan den ændre vurderingen."),
    "infections-culture-only-several": Text(
        "A positive {cultured_specimen} ({cultured_date}) and those of {cultured_more} more days, with no infection "
        "diagnosis within {culture_window}, are not counted; recorded as the bacterial infections they show, they "
        "could change this decision.",
        "En positiv {cultured_specimen} ({cultured_date}) og dem fra {cultured_more} dage mere, uden "
        "infektionsdiagnose inden for {culture_window}, tælles ikke; registreret som de bakterielle infektioner, de "
        "viser, kan de ændre vurderingen."),
    "infections-uncoded": Text(
        "{uncoded_infection} ({uncoded_infection_date}): its code is not known, so not counted; coded as a verified "
        "bacterial infection, it could change this decision.",
        "{uncoded_infection} ({uncoded_infection_date}): koden kendes ikke, så den tælles ikke; kodet som verificeret "
        "bakteriel infektion kan den ændre vurderingen."),
    "infections-uncoded-several": Text(
        "{uncoded_infection} ({uncoded_infection_date}) and {uncoded_infection_more} more: their codes are not known, "
        "so not counted; coded as verified bacterial infections, they could change this decision.",
        "{uncoded_infection} ({uncoded_infection_date}) og {uncoded_infection_more} mere: koderne kendes ikke, så de "
        "tælles ikke; kodede som verificerede bakterielle infektioner kan de ændre vurderingen."),
    "infections-at-stop-attempt": Text(  # names the dates: a long detail may have no room for the fact line
        "Severe/recurrent verified bacterial infections ({infection_dates}) may justify continuing by the general "
        "criteria: weigh them at the stop attempt.",
        "Svære/tilbagevendende verificerede bakterielle infektioner ({infection_dates}) kan begrunde at fortsætte "
        "efter de generelle kriterier: vurdér dem ved seponeringsforsøg."),
    "infections-at-stop-attempt-dated": Text(  # ... when the fact line dates them
        "The infections above may justify continuing by the general criteria: weigh them at the stop attempt.",
        "Infektionerne ovenfor kan begrunde at fortsætte efter de generelle kriterier: vurdér dem ved "
        "seponeringsforsøg."),
    "order-new-course-at-start": Text(
        "A new course from {order_start}: today's substitution (since {current_course_start}) will have ended by "
        "then, and no order or dose joins them.",
        "Nyt forløb fra {order_start}: den nuværende substitution (siden {current_course_start}) ophører inden "
        "da, og ingen ordination eller dosis binder dem sammen."),
    "late-in-window": Text(
        "The special criterion ends on {stop_date}; from then the general criteria apply.",
        "Særkriteriet ophører {stop_date}; derefter gælder de generelle kriterier."),
    "substitution-before-therapy": Text(
        "Immunoglobulin begun before this therapy follows the general stop criteria (a stop attempt {general_stop} "
        "after its start), not the special stop at the end of the window.",
        "Immunglobulin startet før denne behandling følger de generelle seponeringskriterier (seponeringsforsøg "
        "{general_stop} efter start), ikke særkriteriets seponering ved periodens slut."),
    # order hooks: a new bsAb course planned on or before the special stop of the Ig the patient is on (`on-substitution`):
    # once it has begun the general stop criteria apply; should it not begin by then, that stop stands (patient-view)
    "special-stop-if-not-begun": Text(
        "If the course has not begun by {special_stop_date}, the stop attempt of that day stands.",
        "Er forløbet ikke begyndt {special_stop_date}, gælder seponeringsforsøget den dag."),
    "ig-follow-on-drafted": Text(  # order hooks: another Ig draft of the session begins as this one ends (a loading
        # IVIG, then SCIG): one course, whose stop is on the stop date
        "{follow_on_drug} drafted with it from {follow_on_start} carries the course on: let that order end on the stop "
        "date.",
        "{follow_on_drug} i samme udkast fra {follow_on_start} fører forløbet videre: lad den ordination slutte på "
        "seponeringsdatoen."),
    "ig-drafted-twice": Text(  # order hooks: another Ig draft of the session whose period overlaps this one's
        "{other_ig_drug} from {other_ig_start}{other_ig_more} is drafted too: two Ig courses at once; sign only one.",
        "{other_ig_drug} fra {other_ig_start}{other_ig_more} er også i udkast: to Ig-forløb på én gang; underskriv "
        "kun det ene."),
    "therapy-drafted-with-it": Text(  # order hooks: a new bsAb course drafted in the same session
        "{session_therapy}, {session_how_this}, would open a new high-risk window from {session_therapy_start}; "
        "this order is judged on the current window until that therapy has begun.",
        "{session_therapy} {session_how_this} ville åbne en ny højrisikoperiode fra {session_therapy_start}; til den er "
        "begyndt, gælder den nuværende periode."),
    "first-dose-drafted-with-it": Text(  # order hooks: no CAR-T or bsAb on the chart, a first bsAb dose drafted with it
        "No CAR-T infusion or bsAb is recorded yet: this order is read on the window opened by {first_dose_drug}, "
        "drafted with it, from {first_dose_start}.",
        "Der er endnu ingen CAR-T-infusion eller bsAb registreret: ordinationen vurderes på den periode, som "
        "{first_dose_drug} i samme udkast åbner fra {first_dose_start}."),
    "therapy-drafted-moves-stop": Text(  # order hooks: a continuation beside a new bsAb that begins before the stop
        "{session_therapy}, {session_how_from} from {session_therapy_start}, begins after this substitution: "
        "once it has begun, the general stop criteria apply, not the stop date {stop_date}.",
        "{session_therapy} {session_how_from} fra {session_therapy_start} begynder efter denne substitution: når den er "
        "begyndt, gælder de generelle seponeringskriterier, ikke seponeringsdatoen {stop_date}."),
    "therapy-booked-moves-stop": Text(  # patient-view: a new bsAb course booked to begin by the special stop date
        "{booked_therapy} is booked from {booked_therapy_start}: once it has begun, this substitution follows the "
        "general stop criteria, not the stop date.",
        "{booked_therapy} er planlagt fra {booked_therapy_start}: når den er begyndt, følger substitutionen de "
        "generelle seponeringskriterier, ikke seponeringsdatoen."),
    "therapy-booked-moves-review": Text(  # patient-view: Ig under the general criteria, a bsAb course booked by the review
        "{booked_therapy} is booked from {booked_therapy_start}, and no stop is weighed inside its window; if it has "
        "not begun by {due_without_therapy}, weigh the stop then.",
        "{booked_therapy} er planlagt fra {booked_therapy_start}, og seponering overvejes ikke i dens periode; er den "
        "ikke begyndt senest {due_without_therapy}, så overvej seponering da."),
    "therapy-drafted-moves-review": Text(  # order hooks: Ig under the general criteria beside a new bsAb begun after it
        "{session_therapy}, {session_how_from} from {session_therapy_start}, opens a new high-risk window, and "
        "no stop is weighed inside it; if it has not begun by {due_without_therapy}, weigh the stop then.",
        "{session_therapy} {session_how_from} fra {session_therapy_start} åbner en ny højrisikoperiode, og seponering "
        "overvejes ikke i den; er den ikke begyndt senest {due_without_therapy}, så overvej seponering da."),
    "igg-order-drafted": Text(  # order hooks: the IgG a card asks for is among the session's draft orders
        "An IgG lab order{igg_drafted} is among the draft orders: no second one is suggested.",
        "En IgG-rekvisition{igg_drafted} er blandt udkastene: der foreslås ikke endnu en."),
    "igg-pending": Text(  # patient-view and order hooks: an IgG registered by the laboratory, no result yet
        "IgG taken or ordered {igg_pending_date} awaits its result: no second order is suggested.",
        "IgG taget eller bestilt {igg_pending_date} afventer svar: der foreslås ikke en ny rekvisition."),
    # a card with no usable IgG since T0 names the newest IgG taken before it (`library.igg_seen_not_used`); its "To
    # do" already says to measure IgG now, so the caveat does not say it again
    "igg-before-t0": Text(
        "The last IgG ({pre_t0_igg}, {pre_t0_igg_date}) was taken before {t0_event}: not used.",
        "Seneste IgG ({pre_t0_igg}, {pre_t0_igg_date}) er taget før {t0_event}: ikke brugt."),
    # ... when an IgG since T0 awaits its result (`igg-pending`): the card says to wait for it, not to measure again
    "igg-before-t0-awaited": Text(
        "The last IgG with a result ({pre_t0_igg}, {pre_t0_igg_date}) was taken before {t0_event}: not used.",
        "Seneste IgG med svar ({pre_t0_igg}, {pre_t0_igg_date}) er taget før {t0_event}: ikke brugt."),
    # ... and the newest IgG subclass result (IgG1-IgG4), which a clinician may take for the IgG in the chart
    "igg-subclass-not-used": Text(
        "{igg_subclass} {igg_subclass_reported} on {igg_subclass_date} is an IgG subclass, not total IgG: not used.",
        "{igg_subclass} {igg_subclass_reported} den {igg_subclass_date} er en IgG-subklasse, ikke total-IgG: ikke "
        "brugt."),
    # a record the patient may already be on (`ALREADY_ON`), on a card that invites a start: named, no order offered
    "ig-maybe-on": Text(
        "{ig_maybe_on} may be Ig the patient is on: {ig_maybe_on_check}.",
        "{ig_maybe_on} kan være Ig, patienten får: {ig_maybe_on_check}."),
    # the same, the record named without its day and why it was not read (`BRIEFER_CAVEATS`)
    "ig-maybe-on-brief": Text(
        "{ig_maybe_on_brief} may be Ig the patient is on: {ig_maybe_on_check}.",
        "{ig_maybe_on_brief} kan være Ig, patienten får: {ig_maybe_on_check}."),
    "stale-igg-supports-start": Text(
        # the IgG's fact line gives its age ("…, 124 days old"): the note says why that age does not matter
        "IgG seldom recovers while B/plasma cells are depleted: an IgG this old still supports a start.",
        "IgG stiger sjældent under B-/plasmacelleaplasi: en så gammel IgG støtter stadig start."),
}

# The "To do" line of a card that asks for IgG now beside a caveat saying the M-protein's type or amount could
# change the decision (clinical rules §7), by that caveat: an IgG measured alone would leave the same doubt, so the
# M-protein is asked for with it. The card's variants whose to-do is to measure IgG now: `MEASURE_NOW_VARIANTS`.
_WITH_FIXATION = Text("Measure serum IgG now, and order serum immunofixation with it.",
                      "Mål IgG i serum nu, og bestil immunfiksation samtidig.")
MEASURE_WITH_M_PROTEIN: dict[str, Text] = {
    "paraprotein-possible": _WITH_FIXATION,
    "paraprotein-possible-measured": _WITH_FIXATION,
    "paraprotein-unmeasured": Text("Measure serum IgG and the M-protein together now.",
                                   "Mål IgG i serum og M-komponenten samtidig nu."),
    "paraprotein-unread": Text("Measure serum IgG now, and look up the M-protein result not used.",
                               "Mål IgG i serum nu, og slå M-komponent-svaret, der ikke blev brugt, op."),
}
# ... and by a data note on the card: an IgG not larger than its IgG M-protein (one of the pair is wrong), so an IgG
# measured alone would meet the same M-protein
MEASURE_WITH_M_PROTEIN_BY_NOTE: dict[str, Text] = {
    "igg-below-m-protein": Text("Measure serum IgG and the M-protein together now: the last pair cannot both be right.",
                                "Mål IgG i serum og M-komponenten samtidig nu: det seneste par kan ikke begge være "
                                "rigtigt."),
}
MEASURE_NOW_VARIANTS = frozenset({"measure-igg:no-igg-since-t0", "measure-igg:stale",
                                  "measure-igg:infections-no-recent-igg"})

# The "To do" line of a card holding substitution to the special stop beside a new bsAb course booked to begin by that
# stop date (caveat `therapy-booked-moves-stop`): "let the order end on the stop date" holds only if it has not begun.
BOOKED_THERAPY_ACTION = Text(
    "Keep the stop on {stop_date} only if {booked_therapy_inline} (booked from {booked_therapy_start}) has not begun "
    "by then; once it has, review a stop on {booked_therapy_review}.",
    "Behold seponeringen {stop_date}, kun hvis {booked_therapy_inline} (planlagt fra {booked_therapy_start}) ikke er "
    "begyndt inden da; er den begyndt, så vurdér seponering {booked_therapy_review}.")
# ... but for the variants whose own to-do holds either way: an order (or record) that ends before the stop date, and
# an order booked to begin after it
KEEP_TODO_BESIDE_BOOKED = frozenset({"order-ends-earlier", "record-ends-earlier", "booked-after-stop"})

# The reminder every card on these patients may carry (§4.1).
# The "To do" line of a card that asks for IgG while one awaits its result (caveat `igg-pending`), by
# "code:variant": "measure serum IgG now" beside the note that the IgG is on its way told the clinician to order the
# second IgG the card no longer offers. A variant that also asks for the M-protein keeps its own line.
_AWAIT_IGG = Text("Wait for the result of the IgG of {igg_pending_date}; if none comes, measure serum IgG again.",
                  "Afvent svaret på IgG fra {igg_pending_date}; kommer der intet, så mål IgG i serum igen.")
PENDING_ACTIONS: dict[str, Text] = {
    "measure-igg:no-igg-since-t0": _AWAIT_IGG,
    "measure-igg:stale": _AWAIT_IGG,
    "measure-igg:infections-no-recent-igg": _AWAIT_IGG,
    "measure-igg:indeterminate": Text(
        "Wait for the result of the IgG of {igg_pending_date} and check that it is a quantified value; do not start "
        "on this result.",
        "Afvent svaret på IgG fra {igg_pending_date}, og tjek at det er en kvantificeret værdi; start ikke på dette "
        "svar."),
}

REMINDER = Text("Vaccination and antibiotic prophylaxis remain central (§4.1).",
                "Vaccination og antibiotikaprofylakse er centrale (§4.1).")

# What each guideline section says, in this project's words (for the explanation page).
GUIDELINE_SECTIONS: dict[str, Text] = {
    "§4": Text(
        "The special start and stop criteria cover adults. For children the need for immunoglobulin is assessed "
        "individually, and routine substitution may be used where clinicians find it relevant.",
        "Særkriterierne for opstart og seponering gælder voksne. For børn vurderes behovet for immunglobulin individuelt, "
        "og rutinemæssig substitution kan bruges, hvor klinikerne finder det relevant."),
    "§4.1": Text(
        "In the first {window} after a CAR-T infusion or the start of a B-cell or plasma-cell directed bispecific "
        "antibody, immunoglobulin may be started at IgG below {threshold} regardless of infections, and is to be "
        "paused or stopped {window} after the infusion or the bispecific's start, not after its own. From {window} on, the general criteria apply: IgG below "
        "{threshold} together with severe or recurrent verified bacterial infections. Patients with IgG below "
        "{general_threshold} are covered by the general criteria for haematological patients throughout. "
        "Vaccination and antibiotic prophylaxis are central.",
        "I de første {window} efter en CAR-T-infusion eller opstart af et bispecifikt antistof mod B- eller "
        "plasmaceller kan immunglobulin startes ved IgG under {threshold} uanset infektioner, og det skal pauseres "
        "eller seponeres {window} efter infusionen eller opstarten af det bispecifikke antistof, ikke efter sin egen "
        "start. Fra {window} gælder de generelle kriterier: IgG under {threshold} "
        "sammen med svære eller tilbagevendende verificerede bakterielle infektioner. Patienter med IgG under "
        "{general_threshold} er i hele perioden omfattet af de generelle kriterier for hæmatologiske patienter. "
        "Vaccination og antibiotikaprofylakse er centrale."),
    "§4.2": Text(
        "Substitution started in the window on low IgG alone, without earlier severe or recurrent bacterial "
        "infections, is to be stopped {window} after the CAR-T infusion or bispecific start; a short extension "
        "may be relevant when the community risk of bacterial infection is high. Patients already on "
        "immunoglobulin before the therapy, or started later than {window} after it, follow the general stop "
        "criteria: attempt the stop {general_stop} after the start and reassess every {review_every} if it "
        "continues.",
        "Substitution startet i perioden på lav IgG alene, uden forudgående svære eller tilbagevendende "
        "bakterielle infektioner, skal seponeres {window} efter CAR-T-infusionen eller bispecifik opstart; en kort "
        "forlængelse kan være relevant ved høj smitterisiko i samfundet. Patienter, der allerede fik immunglobulin "
        "før behandlingen, eller som startes senere end {window} efter den, følger de generelle "
        "seponeringskriterier: seponering forsøges {general_stop} efter opstart og revurderes hver {review_every} "
        "ved fortsat behandling."),
    "§4.3": Text(
        "A restart, or a first start later than {window} after the therapy, follows the general criteria: IgG "
        "below {threshold} and severe or recurrent verified bacterial infections. After a stop, antibiotic "
        "prophylaxis can be tried if infections return. Children on bispecifics usually receive immunoglobulin "
        "routinely; after CAR-T their need is assessed individually.",
        "En genopstart, eller en første start senere end {window} efter behandlingen, følger de generelle "
        "kriterier: IgG under {threshold} og svære eller tilbagevendende verificerede bakterielle infektioner. "
        "Efter seponering kan antibiotikaprofylakse forsøges, hvis infektionerne vender tilbage. Børn i bispecifik "
        "behandling får som regel immunglobulin rutinemæssigt; efter CAR-T vurderes behovet individuelt."),
    "§3.4": Text(
        "Immune restitution means IgG above {threshold} measured in a period without substitution; an IgG taken "
        "on substitution reflects the infused immunoglobulin.",
        "Immunrestitution er IgG over {threshold} målt i en periode uden substitution; en IgG taget under "
        "substitution afspejler det tilførte immunglobulin."),
}

# Suggestions an EHR can act on: labels (plain text) and action descriptions.
SUGGESTION_LABELS: dict[str, Text] = {
    "order-igg": Text("Order serum IgG", "Bestil IgG i serum"),
    # for an order starting later than an IgG drawn today stays usable: the IgG order is dated
    "order-igg:dated": Text("Order serum IgG, drawn between {igg_from} and {order_start}",
                            "Bestil IgG i serum, tages mellem {igg_from} og {order_start}"),
    "order-ig-until-stop:iv": Text("Order IVIG ending {stop_date}", "Ordinér IVIG med slutdato {stop_date}"),
    "order-ig-until-stop:sc": Text("Order SCIG ending {stop_date}", "Ordinér SCIG med slutdato {stop_date}"),
    "order-ig:iv": Text("Order IVIG (general stop criteria)", "Ordinér IVIG (generelle seponeringskriterier)"),
    "order-ig:sc": Text("Order SCIG (general stop criteria)", "Ordinér SCIG (generelle seponeringskriterier)"),
    "hold-ig": Text("Put the immunoglobulin order on hold", "Sæt immunglobulinordinationen i bero"),
    "hold-booked-ig": Text("Put the order booked to begin on {booked_start} on hold",
                           "Sæt ordinationen, der begynder {booked_start}, i bero"),
    "set-ig-end": Text("End the immunoglobulin order on {stop_date}", "Lad immunglobulinordinationen slutte {stop_date}"),
    "set-order-end": Text("End this order on {stop_date}", "Lad ordinationen slutte {stop_date}"),
}
SUGGESTION_ACTIONS: dict[str, Text] = {
    "order-igg": Text("Order total IgG in serum/plasma", "Bestil total-IgG i serum/plasma"),
    "order-igg:dated": Text("Order total IgG in serum/plasma, to be drawn between {igg_from} and {order_start} "
                            "(the order's start)",
                            "Bestil total-IgG i serum/plasma, der tages mellem {igg_from} og {order_start} "
                            "(ordinationens start)"),
    "order-ig": Text("Create an immunoglobulin order", "Opret en immunglobulinordination"),
    "hold-ig": Text("Put the order {ref} on hold (stop attempt)", "Sæt ordinationen {ref} i bero (seponeringsforsøg)"),
    "set-end": Text("Set the end of the order {ref} to {stop_date}",
                    "Sæt slutdatoen for ordinationen {ref} til {stop_date}"),
}
ORDER_TEXTS: dict[str, Text] = {
    "igg-reason": Text("IgG to decide on immunoglobulin substitution after CAR-T/bispecific antibody",
                       "IgG til beslutning om immunglobulinsubstitution efter CAR-T/bispecifikt antistof"),
    "dose-until-stop": Text("Dose per the SID guideline. Stop attempt on {stop_date}.",
                            "Dosis efter SID-vejledningen. Seponeringsforsøg {stop_date}."),
    # the product of a suggested immunoglobulin order, in words (the coding keeps the ATC display)
    "product:iv": Text("Immunoglobulin, normal human, intravenous (IVIG)", "Immunglobulin, normalt humant, intravenøst (IVIG)"),
    "product:sc": Text("Immunoglobulin, normal human, subcutaneous (SCIG)",
                       "Immunglobulin, normalt humant, subkutant (SCIG)"),
    "dose-general": Text("Dose per the SID guideline. Attempt the stop {general_stop} after the start.",
                         "Dosis efter SID-vejledningen. Seponering forsøges {general_stop} efter opstart."),
    # after an order's own dosage text, where a suggestion ends the order on the stop date: the text may name a length
    "until": Text("until {stop_date}", "til og med {stop_date}"),
}
# The rule library's definitions in Danish, for the explanation page (a Danish page names each in Danish, its own name
# below as its technical name; an English page shows the library's own name and comment, `library.py` `@define`):
# name -> (Danish name, Danish one-line description). The rule an advice comes from is one of them.
DEFINITIONS_DA: dict[str, tuple[str, str]] = {
    "CAR-T Infusions": (
        "CAR-T-infusioner",
        "Gennemførte CAR-T-infusioner til og med i dag; en registrering inden for samme behandlings dage efter dens "
        "første er den samme infusion igen (registreret to gange eller delt dosis)"),
    "CAR-T Records Of The Same Treatment": (
        "CAR-T-registreringer af samme behandling",
        "CAR-T-registreringer dateret efter behandlingens første dag: ikke en ny infusion, altså ikke et nyt T0"),
    "BsAb Course Starts": (
        "Start af bsAb-forløb",
        "Første dosis i hvert bsAb-forløb (ellers ordinationens start); en kortere pause end forløbspausen genoptager "
        "et forløb"),
    "BsAb Courses After An Unknown End": (
        "bsAb-forløb efter en ukendt slutdato",
        "bsAb-forløb begyndt efter, at en ordination af samme lægemiddel stoppede på en ikke-registreret dag: pausen "
        "blev regnet fra den ordinations start, så det nye forløb (og T0) kan være en genoptagelse"),
    "BsAb Booked": (
        "BsAb planlagt",
        "Den første aktive bsAb-ordination, skrevet til og med i dag, hvis planlagte start ligger forude, og som "
        "begynder et nyt forløb (ingen ordination af samme stof løber, og ingen ordination eller dosis af det ligger "
        "inden for forløbsgabet før starten): ingen indekshændelse, før den er begyndt (§2), men derefter følger "
        "substitution begyndt før den de generelle seponeringskriterier, så et kort om den særlige seponering nævner "
        "den"),
    "Index Event": (
        "Indekshændelse",
        "Seneste CAR-T-infusion eller start af bsAb-forløb til og med i dag"),
    "T0": (
        "T0",
        "Indeksdatoen: datoen for indekshændelsen"),
    "Stop Date": (
        "Seponeringsdato",
        "T0 + perioden (kalendermåneder): slutningen af højrisikoperioden"),
    "In Window": (
        "I højrisikoperioden",
        "I dag ligger i [T0, seponeringsdato)"),
    "Days To Stop Date": (
        "Dage til seponeringsdato",
        "Dage fra i dag til seponeringsdatoen (negativ, når den er passeret)"),
    "Malignancy Diagnoses": (
        "Diagnoser med hæmatologisk malignitet",
        "Diagnoser med hæmatologisk malignitet registreret til og med i dag"),
    "Malignancy Assumed": (
        "Malignitet antaget",
        "Ingen diagnose registreret, men stedet antager en (politik 'assume')"),
    "Is Deceased": (
        "Er død",
        "Patienten døde til og med i dag (eller er registreret som død): intet råd"),
    "In Scope": (
        "Omfattet",
        "I live, en gyldig indekshændelse og en hæmatologisk malignitet (eller antaget)"),
    "Therapies Known Only By Name": (
        "Behandlinger kendt kun ved navn",
        "Registrerede CAR-T- eller bsAb-behandlinger til og med i dag, hvis kode ikke er i noget værdisæt: ikke "
        "indekshændelser (et navn er ikke en kode)"),
    "Unrecognised Therapy Advice": (
        "Råd om behandling, der ikke genkendes",
        "Ingen indekshændelse, men en CAR-T- eller bsAb-behandling kendt kun ved navn hos en patient med hæmatologisk "
        "malignitet: sig, at kriterierne ikke kunne anvendes, i stedet for ingenting"),
    "Malignancies Known Only By Name": (
        "Maligniteter kendt kun ved navn",
        "Tilstande registreret til og med i dag, navngivet som en hæmatologisk malignitet, hvis kode ikke er i noget "
        "værdisæt (ikke afkræftet), eller uden navn og med en kode, der ikke kunne læses (et system, intet værdisæt "
        "bruger, eller en malignitetskode under et andet system): ikke diagnoser, reglerne tæller"),
    "Unrecognised Malignancy Advice": (
        "Råd om malignitet, der ikke genkendes",
        "En genkendt indekshændelse, ingen genkendt hæmatologisk malignitet (politikken kræver en), men en diagnose "
        "navngivet som en: sig, at kriterierne ikke blev anvendt, i stedet for ingenting"),
    "Undated Therapies": (
        "Behandlinger uden dag",
        "Genkendte CAR-T-infusioner eller bsAb-starter registreret med en dato uden dag (en måned, et år, ord) eller "
        "helt uden dato, så vidt vides til og med i dag: ikke indekshændelser (ingen dag, ingen periode)"),
    "Undated Therapy Advice": (
        "Råd om behandling uden dato",
        "Ingen indekshændelse, men en genkendt CAR-T eller bsAb, hvis dato ikke angiver en dag eller mangler, hos en "
        "patient med hæmatologisk malignitet: sig, at perioden ikke kunne placeres, og bed om dagen"),
    "Birth Date Not Used": (
        "Fødselsdato ikke brugt",
        "En fødselsdato efter vurderingsdagen eller efter T0 (uden T0: efter en CAR-T eller bsAb kendt kun ved navn) "
        "er forkerte data: den dag, den ligger efter (og hvad dagen er), så den læses som ukendt (voksenkriterierne, "
        "som ved manglende fødselsdato), og en datanote nævner den, i stedet for en negativ alder"),
    "Birth Date": (
        "Fødselsdato",
        "Patientens fødselsdato, som reglerne bruger den: null, når den er ukendt eller ikke bruges"),
    "Age At T0": (
        "Alder ved T0",
        "Fyldte år ved T0, eller null, når fødselsdatoen er ukendt (eller ikke bruges)"),
    "Is Child": (
        "Er barn",
        "Under voksenalderen ved T0: individuel vurdering i stedet for disse kriterier"),
    "Has Myeloma": (
        "Har myelomatose",
        "En myelomatosediagnose: total-IgG kan rumme en M-komponent"),
    "IG Administration Courses": (
        "Ig-forløb af givne doser",
        "Registrerede doser uden for enhver ordinations periode, samlet i forløb, der løber til forløbsdagene efter "
        "sidste dosis"),
    "IG Courses": (
        "Ig-forløb",
        "Immunglobulinordinationer skrevet til og med i dag, medicinregistreringer af et forløb, der tages, og "
        "dosisbaserede forløb begyndt til og med i dag (en registrering af et forløb, der kun er planlagt, er intet "
        "forløb, når dens start er kommet)"),
    "Planned IG Courses": (
        "Planlagte Ig-forløb",
        "Aktive immunglobulinordinationer skrevet til og med i dag, hvis start ligger forude (et skift, et booket "
        "forløb), og medicinregistreringer af et forløb, der skal begynde senere"),
    "IG Known Only By Name": (
        "Ig kendt kun ved navn",
        "Immunglobulinordinationer, -doser og -medicinregistreringer kendt kun ved navn (ingen kode genkendt), som med "
        "en kode ville gøre substitution aktuel eller planlagt i dag: tælles aldrig, nævnes som substitution, "
        "patienten måske får"),
    "Substitution Planned": (
        "Substitution planlagt",
        "Substitution er planlagt til at (gen)starte: intet startråd imens"),
    "Active IG Courses": (
        "Aktive Ig-forløb",
        "Immunglobulinforløb aktive i dag (i bero tæller som pauseret)"),
    "First Dose Drafted With It": (
        "Første dosis i samme udkast",
        "Ingen CAR-T eller bsAb i journalen: første dosis af det bsAb, der er i udkast med denne "
        "immunglobulinordination og begynder senest samtidig med den, læst som givet på sin planlagte dag (den periode, "
        "den åbner)"),
    "Current Episode": (
        "Nuværende episode",
        "Den sammenhængende substitution, patienten er i i dag, tilbage til dens første forløb; en pause på få dage "
        "før et planlagt forløb afbryder den ikke; en ordination i bero fører kun et senere forløb videre gennem "
        "sine doser"),
    "On Substitution": (
        "I substitution",
        "Patienten får immunglobulin i dag (eller er mellem to forløb)"),
    "IG Courses Since T0": (
        "Ig-forløb siden T0",
        "Immunglobulinforløb startet på eller efter T0"),
    "IG Courses Given After T0": (
        "Ig-forløb givet efter T0",
        "Immunglobulinforløb startet på eller efter T0, eller begyndt før og givet efter infusionsdagen (en kendt "
        "sidste dag eller sidste dosis efter T0; et forløb, der sluttede senest T0 eller var i bero, blev pauseret for "
        "den)"),
    "Is Restart": (
        "Er genopstart",
        "Ikke i substitution, og et forløb givet efter T0 er sluttet eller i bero (§4.3: en ny start efter "
        "substitution stoppet i perioden, også en begyndt før T0, er en genopstart)"),
    "Ended Courses With Unknown End": (
        "Afsluttede forløb med ukendt slut",
        "Stoppede/afsluttede ordinationer uden slutdato, eller hvis slut ikke angiver en dag og endnu ikke er passeret"),
    "Substitution Before T0": (
        "Substitution før T0",
        "Immunglobulin givet før T0 indtil kort før, eller pauseret da: generelle seponeringskriterier (§4.2)"),
    "Substitution Paused For T0": (
        "Substitution pauseret for T0",
        "Substitution før T0, der var sluttet eller i bero ved T0"),
    "Pneumonia Admissions": (
        "Indlæggelser for pneumoni",
        "Indlæggelsen for hver bakteriel pneumoni (ved dens registrering), koblet ved reference (clinical-rules §5 "
        "[politik]: pneumoni, der kræver indlæggelse, er en svær infektion; `pneumonia_admission_severe`)"),
    "Bacterial Infections": (
        "Bakterielle infektioner",
        "Verificerede bakterielle infektioner: ved deres kode, eller kodet uden mikroorganisme og støttet af en "
        "positiv bakteriel dyrkning nær debut; svære ved kode eller kodet sværhed, en bakteriæmi eller en pneumoni, "
        "der kræver indlæggelse"),
    "Stays With An Infection Not Recorded": (
        "Indlæggelser med en infektion, der ikke er registreret",
        "Indlæggelser i tilbageblikket med en egen bakteriel infektionskode (som Landspatientregistret registrerer en "
        "kontakts diagnoser), mens ingen læst infektion er registreret for dem: tælles ikke (en indlæggelse er ingen "
        "diagnose), nævnes, så diagnosen registreres"),
    "Infections If Confirmed": (
        "Infektioner, hvis de bekræftes",
        "Bakterielle infektionsdiagnoser begyndt til og med i dag uden verificationStatus 'confirmed' (ingen sendt, "
        "foreløbig, differentialdiagnose), talt som kriterierne ville tælle dem, hvis de var bekræftet: medregnes "
        "aldrig (§4.1 'verificerede'); et kort, de ville ændre, nævner dem"),
    "Infections Known Only By Name": (
        "Infektioner kendt kun ved navn",
        "Tilstande registreret til og med i dag, navngivet som en bakteriel infektion, hvis kode ikke er i noget "
        "værdisæt (ikke afkræftet): medregnes aldrig (et navn er ingen kode, §4.1 'verificerede'); et kort, de kunne "
        "ændre, nævner dem"),
    "Infections Not Counted": (
        "Infektioner, der ikke tælles",
        "Infektioner set, men ikke talt: ikke bakterielle efter kode og ingen positiv bakteriel dyrkning nær debut"),
    "Cultures Without Diagnosis": (
        "Dyrkninger uden diagnose",
        "Positive bakterielle dyrkninger uden infektionsdiagnose nær dem, men med en viral eller svampediagnose "
        "(tælles ikke: en dyrkning alene er ingen diagnose)"),
    "Recent Bacterial Infections": (
        "Nylige bakterielle infektioner",
        "Verificerede bakterielle infektioner i de seneste måneder, svære/tilbagevendende eller ej"),
    "Recent Severe Or Recurrent Infections": (
        "Nylige svære eller tilbagevendende infektioner",
        "Svære eller tilbagevendende verificerede bakterielle infektioner i de seneste måneder"),
    "Infections Before Substitution": (
        "Infektioner før substitution",
        "Svære/tilbagevendende infektioner fra T0 minus tilbageblikkets måneder til substitutionens start"),
    "Infections Since Lookback": (
        "Infektioner siden tilbageblikket",
        "Svære/tilbagevendende infektioner fra T0 minus tilbageblikkets måneder til i dag: en start nu ville være på "
        "grund af dem"),
    "Infection Tendency": (
        "Infektionstendens",
        "Svære/tilbagevendende infektioner fra T0 minus tilbageblikkets måneder (inden for tilbageblikket før i dag) "
        "til i dag: det, seponeringsforsøget vejer (§4.3)"),
    "General Criteria Apply": (
        "Generelle kriterier gælder",
        "Efter perioden, eller ved genopstart: de generelle SID-kriterier gælder (§4.3)"),
    "Implausible IgG Results": (
        "Usandsynlige IgG-svar",
        "IgG-værdier på eller under 0 eller over det sandsynlige maksimum: bruges ikke"),
    "IgG Below Its M-Protein": (
        "IgG under sin M-komponent",
        "IgG-svar mindre end den IgG-type M-komponent, der er målt med dem: et af de to er forkert, så ingen af dem "
        "afgør noget"),
    "Relevant IgG Results": (
        "Relevante IgG-svar",
        "Sandsynlige IgG-svar til og med i dag; i perioden kun dem på eller efter T0"),
    "Paraprotein Isotype": (
        "M-komponentens type",
        "M-komponentens type fra seneste immunfiksation i serum, eller en M-komponentmængde, hvis eget svar angiver "
        "den, til og med i dag (en negativ immunfiksation i remission ændrer ikke myelomatosens type)"),
    "Latest IgG": (
        "Seneste IgG",
        "Den seneste relevante IgG, polyklonal, når en IgG-M-komponent kendes"),
    "Latest IgG Is Stale": (
        "Seneste IgG er for gammel",
        "Ældre end aldersgrænsen for den aktuelle fase"),
    "IgG Measured During Substitution": (
        "IgG målt under substitution",
        "Seneste IgG blev taget under immunglobulin eller i dets udvaskning (§3.4)"),
    "Latest Usable IgG": (
        "Seneste brugbare IgG",
        "Den seneste relevante IgG, startbeslutninger kan bruge: taget uden substitution, eller under den eller i "
        "udvaskningen og under startgrænsen, da patientens egen IgG da er endnu lavere (§3.4)"),
    "Usable IgG Indeterminate": (
        "Brugbar IgG ubestemt",
        "Den grænse, som den brugbare IgG's svarede grænseværdi ikke kan placeres i forhold til (en \"<\"-grænse over "
        "den eller en \">\"-grænse under den), hvis nogen: ingen start og intet interval ud fra den"),
    "Usable IgG Is Stale": (
        "Brugbar IgG er for gammel",
        "Den brugbare IgG er ældre end aldersgrænsen for den aktuelle fase"),
    "Child Advice": (
        "Råd for børn",
        "Børn: individuel vurdering, uanset IgG (§4, §4.3)"),
    "Special Stop Applies": (
        "Særlig seponering gælder",
        "Første forløb siden T0 (intet forløb siden T0 begyndte før det: et begyndt samme dag, pauseret eller sluttet, "
        "er intet tidligere forløb), startet i perioden, ikke på grund af infektioner, ingen substitution før T0 "
        "(§4.2)"),
    "General Stop Reason": (
        "Grund til generel seponering",
        "Hvorfor de generelle seponeringskriterier gælder for denne patients substitution"),
    "Course Before The Restart": (
        "Forløb før genopstarten",
        "Ved genopstart: sidste dag i forløbet siden T0, der sluttede før det nuværende begyndte, og dagene imellem "
        "(et skift inden for kontinuitetspausen ville have fortsat det)"),
    "Course Began Without General Criteria": (
        "Forløb begyndt uden de generelle kriterier",
        "Et forløb under de generelle kriterier, fordi det begyndte efter perioden (også Ig pauseret for infusionen og "
        "genoptaget først da) eller er genopstartet i den mere "
        "end forløbsdagene efter sidste Ig (§4.3: kun ved IgG < 4 g/L og svære eller tilbagevendende verificerede "
        "bakterielle infektioner), uden en sådan infektion fra tilbageblikket før dets start til i dag: den første dag "
        "i det tilbageblik"),
    "General Review Due Dates": (
        "Datoer for generel seponeringsvurdering",
        "Den seneste af Ig-start + de generelle seponeringsmåneder og seponeringsdatoen, derefter hvert "
        "vurderingsinterval"),
    "Stop Advice": (
        "Råd om pause og seponering",
        "I substitution: hvornår den skal pauseres eller vurderes (§4.2)"),
    "Start Advice": (
        "Råd om start",
        "Ikke i substitution: om der skal startes eller måles (§4.1, §4.3)"),
    "IgG On Its Way": (
        "IgG på vej",
        "Total-IgG, som laboratoriet har registreret, men ikke besvaret (Observation registreret eller foreløbig), "
        "taget til og med i dag, inden for ventegrænsen, på eller efter T0 og efter den IgG, startbeslutningen bruger: "
        "den IgG, der skal måles, er ved at blive målt, så ingen ny IgG-bestilling foreslås"),
    "Data Notes": (
        "Datanoter",
        "Hvad reglerne så og ikke brugte, og hvorfor (usandsynlig IgG, infektioner uden bakteriel evidens, dyrkninger "
        "uden diagnose)"),
    "Records Past Their Order's End": (
        "Registreringer efter ordinationens slut",
        "Medicinregistreringer af immunglobulin, der alene holder substitutionen i gang i dag (ingen ordination, "
        "registrerede doser eller booket ordination løber), hver ved siden af en ordination af samme præparat begyndt "
        "samme dag, hvis slutdato er passeret, uden dosis registreret siden: ordinationen sluttede, registreringen "
        "siger, at lægemidlet stadig tages"),
    "Intended IG Courses Begun": (
        "Planlagte Ig-forløb, der er begyndt",
        "Medicinregistreringer af et planlagt immunglobulinforløb og immunglobulinanmodninger, hvis hensigt er en plan "
        "eller et forslag (ingen ordination), hvis start er kommet, og hvis planlagte slut, om nogen, ikke er passeret "
        "(for en anmodning: eller faldt på eller efter T0, da en afsluttet plan siger, at den blev udført, og udført "
        "siden T0 gør en start til en genopstart): om den blev givet, siger de ikke; kodet eller kendt kun ved navn "
        "(læst som en kodet ville blive)"),
    "Advice": (
        "Råd",
        "Rådet for denne patient i dag: højst ét kort pr. situation"),
    "Draft Order": (
        "Ordinationsudkast",
        "Det ordinationsudkast, der vurderes"),
    "Order Start": (
        "Ordinationens start",
        "Ordinationens planlagte start: start i doseringens periode (aldrig før i dag), ellers i dag"),
    "Order Starts After Stop Date": (
        "Ordinationen starter efter seponeringsdatoen",
        "Ordinationen ville starte på eller efter seponeringsdatoen: generelle kriterier"),
    "IgG Order Drafted": (
        "IgG-bestilling i udkast",
        "Laboratoriebestillinger af total-IgG i serum blandt sessionens ordinationsudkast, valgt eller ej "
        "(ServiceRequest, udkast eller aktiv, en kode fra IgG-værdisættet): den IgG, der skal måles, er ved at blive "
        "bestilt, så ingen IgG-bestilling foreslås"),
    "IG Order Advice": (
        "Råd om Ig-ordination",
        "Opfylder et udkast til immunglobulinordination de kriterier, der gælder ved dets planlagte start?"),
    "Therapy Order Advice": (
        "Råd om ordination af CAR-T eller bispecifikt antistof",
        "Et udkast til ordination af bsAb eller CAR-T-produkt: den periode, det starter, og en IgG før start"),
    "Order Judged At Start": (
        "Ordination vurderet ved start",
        "Udkastets planlagte startdag, som dets definitioner på patientniveau er læst på (ud fra journalen, som den er "
        "i dag): det forløb, det da ville indgå i, er et andet end i dag (dagens slutter først, eller et planlagt er "
        "begyndt)"),
    "Draft Continues Course": (
        "Udkastet fortsætter forløb",
        "Det forløb, udkastet fortsætter, læst som underskrevet (en fornyelse dage efter, at den sidste ordination "
        "sluttede, eller inden for forløbsdagene efter en dosis): kortets definitioner på patientniveau er vurderet "
        "med udkastet blandt forløbene"),
    "Drafted Course Start": (
        "Start af forløb i udkast",
        "Et bsAb-udkast i denne session, der begynder det forløb, et senere udkast af samme lægemiddel hører til "
        "(hvert startende inden for forløbspausen efter det forrige: optrapningsdoser ordineret hver for sig); None "
        "for et forløbs første udkast"),
    "Order Is Child": (
        "Ordination til barn",
        "Under voksenalderen ved det T0, ordinationen hører til (den planlagte start ved ny behandling)"),
    "Unrecognised Order Advice": (
        "Råd om ordination, der ikke genkendes",
        "Et udkast, hvis navn er et, vejledningen omfatter, men hvis kode ikke er i noget værdisæt: ikke vurderet (et "
        "navn er ikke en kode); klinikeren får at vide, at det ikke blev tjekket"),
    "Other IG Drafted": (
        "Andet immunglobulin i udkast",
        "De andre immunglobulinudkast i denne session, valgt eller ej, kodede eller kendt på navnet, hvis planlagte "
        "perioder overlapper denne ordinations (et udkast uden datoer løber fra den dag, det underskrives, uden slut; "
        "et, der slutter den dag, det andet begynder, er et skift): to forløb på én gang"),
    "Therapy Drafted With It": (
        "Behandling i udkast sammen med den",
        "Et bsAb i udkast i denne session, der ville åbne en ny højrisikoperiode (det første, der starter): ikke en "
        "indekshændelse, før det er begyndt (clinical-rules §2), så immunglobulinordinationen vurderes efter den "
        "periode, der er begyndt, og dens kort siger, at behandlingen giver en ny"),
    "Order Advice": (
        "Råd om ordination",
        "Rådet om ét ordinationsudkast: dets kriterier eller kortet for børn"),
}


def definition_words(name: str, comment: str, lang: str) -> tuple[str, str]:
    """A rule definition's name and one-line description in `lang`: the library's own in English, else
    `DEFINITIONS_DA` (a definition without Danish words keeps its own)."""
    return DEFINITIONS_DA.get(name, (name, comment)) if lang == "da" else (name, comment)
