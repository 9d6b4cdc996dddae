"""Card wording in English and Danish.

Templates take their numbers from the advice (`Advice.values`): no threshold or date rule
lives here. Dates are ISO (unambiguous in both languages); decimals use the language's
separator. Summaries are kept under 140 characters by construction and checked in tests.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any, Mapping

LANGUAGES = ("en", "da")

SOURCE_LABEL = {
    "en": "Medicinrådet 2025: Ig substitution after CAR-T/bispecific antibodies",
    "da": "Medicinrådet 2025: Ig-substitution ved CAR-T/bispecifikke antistoffer",
}
SOURCE_URL = "https://medicinraadet.dk/"

CODE_DISPLAY = {
    "start-substitution": "Start criterion met inside the six-month window",
    "measure-igg": "Measure IgG",
    "general-criteria-igg-under-6": "IgG 4 to <6 g/L: general criteria apply",
    "no-start-without-infections": "IgG <4 g/L without severe/recurrent bacterial infections: no start",
    "start-meets-general-criteria": "General start criteria met",
    "stop-planned": "Stop attempt planned at the end of the window",
    "stop-due-soon": "Stop attempt due",
    "stop-overdue": "Stop attempt overdue",
    "general-stop-review": "Stop review by the general criteria",
    "child-individual-assessment": "Child: individual assessment",
    "order-meets-criteria": "Draft immunoglobulin order meets the criteria",
    "order-does-not-meet-criteria": "Draft immunoglobulin order does not meet the criteria",
    "plan-igg-monitoring": "Plan IgG monitoring for the high-risk window",
}

CODE_DISPLAY_DA = {
    "start-substitution": "Startkriteriet er opfyldt i seksmånedersvinduet",
    "measure-igg": "Mål IgG",
    "general-criteria-igg-under-6": "IgG 4 til <6 g/L: generelle kriterier gælder",
    "no-start-without-infections": "IgG <4 g/L uden svære/gentagne bakterielle infektioner: ingen start",
    "start-meets-general-criteria": "Generelle startkriterier opfyldt",
    "stop-planned": "Seponeringsforsøg planlagt ved vinduets slutning",
    "stop-due-soon": "Seponeringsforsøg forestår",
    "stop-overdue": "Seponeringsforsøg overskredet",
    "general-stop-review": "Seponeringsvurdering efter de generelle kriterier",
    "child-individual-assessment": "Barn: individuel vurdering",
    "order-meets-criteria": "Kladde til immunglobulinordination opfylder kriterierne",
    "order-does-not-meet-criteria": "Kladde til immunglobulinordination opfylder ikke kriterierne",
    "plan-igg-monitoring": "Planlæg IgG-monitorering i højrisikovinduet",
}

KIND = {
    "en": {"car-t": "CAR-T", "bsab": "bsAb start", "car-t-product": "CAR-T"},
    "da": {"car-t": "CAR-T", "bsab": "bsAb-start", "car-t-product": "CAR-T"},
}

SUMMARY: dict[str, dict[str, str]] = {
    "en": {
        "start-substitution": "IgG {igg} ({igg_when}) <{threshold} after {kind} {t0}: Ig substitution may start; stop on {stop_date} ({days_left})",
        "measure-igg:no-igg-since-t0": "No IgG since {kind} {t0}: measure IgG to decide on Ig substitution (window ends {stop_date})",
        "measure-igg:stale": "Last IgG {igg} is {igg_age_days} days old ({igg_date}): measure IgG again before deciding on Ig substitution",
        "measure-igg:infections-no-recent-igg": "Severe/recurrent bacterial infections, no recent IgG{last}: measure IgG (general criteria)",
        "general-criteria-igg-under-6": "IgG {igg} ({igg_date}) is {threshold} to <{general_threshold}: no special criterion; general SID criteria apply",
        "no-start-without-infections": "IgG {igg} ({igg_date}) <{threshold} but no severe/recurrent verified bacterial infection: Ig start not recommended",
        "start-meets-general-criteria": "IgG {igg} ({igg_date}) <{threshold} with severe/recurrent verified bacterial infections: general start criteria met",
        "stop-planned": "Ig substitution after {kind} {t0}: plan the stop attempt on {stop_date} ({days_left})",
        "stop-due-soon": "Ig stop attempt due {stop_date} ({days_left}), {window_months} months after {kind} {t0}: pause substitution",
        "stop-overdue": "Ig stop attempt overdue since {stop_date} ({days_overdue_text}), {window_months} months after {kind} {t0}: pause substitution",
        "general-stop-review:due": "Ig since {episode_start}: stop attempt due {due_date} by the general SID criteria",
        "general-stop-review:info": "Ig since {episode_start} follows the general SID criteria: next stop review {due_date}",
        "child-individual-assessment": "Child ({age_at_t0} y at {kind} {t0}): Ig substitution is an individual assessment, not the adult criteria",
        "order-meets-criteria:window": "Ig order meets the start criterion: IgG {igg} ({igg_when}) <{threshold}; end it on {stop_date} ({days_left})",
        "order-meets-criteria:general": "Ig order meets the general criteria: IgG {igg} ({igg_date}) <{threshold} with severe/recurrent bacterial infections",
        "order-meets-criteria:continuation-window": "Ig continuation: end the order on the stop date {stop_date} ({days_left})",
        "order-meets-criteria:continuation-general": "Ig continuation under the general SID criteria: stop attempt 6–12 months after start",
        "order-does-not-meet-criteria": "Ig order does not meet the criteria: {failing_text}",
        "plan-igg-monitoring:new": "{drug} starts a {window_months}-month window {t0} to {stop_date}: follow IgG{baseline}",
        "plan-igg-monitoring:continues": "{drug} continues the window from {t0} (to {stop_date}): follow IgG{baseline}",
        "plan-igg-monitoring:car-t-product": "CAR-T order: a {window_months}-month window starts at the infusion: follow IgG{baseline}",
    },
    "da": {
        "start-substitution": "IgG {igg} ({igg_when}) <{threshold} efter {kind} {t0}: Ig-substitution kan startes; seponering {stop_date} ({days_left})",
        "measure-igg:no-igg-since-t0": "Ingen IgG siden {kind} {t0}: mål IgG før beslutning om Ig-substitution (vinduet slutter {stop_date})",
        "measure-igg:stale": "Seneste IgG {igg} er {igg_age_days} dage gammel ({igg_date}): mål IgG igen før beslutning om Ig-substitution",
        "measure-igg:infections-no-recent-igg": "Svære/gentagne bakterielle infektioner, ingen ny IgG{last}: mål IgG (generelle kriterier)",
        "general-criteria-igg-under-6": "IgG {igg} ({igg_date}) er {threshold} til <{general_threshold}: intet særkriterium; generelle SID-kriterier gælder",
        "no-start-without-infections": "IgG {igg} ({igg_date}) <{threshold} uden svære/gentagne verificerede bakterielle infektioner: start anbefales ikke",
        "start-meets-general-criteria": "IgG {igg} ({igg_date}) <{threshold} med svære/gentagne verificerede bakterielle infektioner: generelle startkriterier opfyldt",
        "stop-planned": "Ig-substitution efter {kind} {t0}: planlæg seponeringsforsøg {stop_date} ({days_left})",
        "stop-due-soon": "Seponeringsforsøg af Ig {stop_date} ({days_left}), {window_months} mdr. efter {kind} {t0}: pausér substitution",
        "stop-overdue": "Seponeringsforsøg af Ig overskredet siden {stop_date} ({days_overdue_text}), {window_months} mdr. efter {kind} {t0}: pausér",
        "general-stop-review:due": "Ig siden {episode_start}: seponeringsforsøg efter generelle SID-kriterier skal ske {due_date}",
        "general-stop-review:info": "Ig siden {episode_start} følger de generelle SID-kriterier: næste seponeringsvurdering {due_date}",
        "child-individual-assessment": "Barn ({age_at_t0} år ved {kind} {t0}): Ig-substitution vurderes individuelt, ikke efter voksenkriterier",
        "order-meets-criteria:window": "Ig-ordination opfylder startkriteriet: IgG {igg} ({igg_when}) <{threshold}; slut den {stop_date} ({days_left})",
        "order-meets-criteria:general": "Ig-ordination opfylder de generelle kriterier: IgG {igg} ({igg_date}) <{threshold} med svære/gentagne infektioner",
        "order-meets-criteria:continuation-window": "Ig fortsættes: slut ordinationen på seponeringsdatoen {stop_date} ({days_left})",
        "order-meets-criteria:continuation-general": "Ig fortsættes efter generelle SID-kriterier: seponeringsforsøg 6–12 mdr. efter start",
        "order-does-not-meet-criteria": "Ig-ordination opfylder ikke kriterierne: {failing_text}",
        "plan-igg-monitoring:new": "{drug} starter et {window_months}-måneders vindue {t0} til {stop_date}: følg IgG{baseline}",
        "plan-igg-monitoring:continues": "{drug} fortsætter vinduet fra {t0} (til {stop_date}): følg IgG{baseline}",
        "plan-igg-monitoring:car-t-product": "CAR-T-ordination: et {window_months}-måneders vindue starter ved infusionen: følg IgG{baseline}",
    },
}

EXPLANATION: dict[str, dict[str, str]] = {
    "en": {
        "start-substitution": "Within the first {window_months} months after CAR-T infusion or the start of a bispecific antibody, immunoglobulin substitution may be started at IgG < {threshold} g/L whatever the frequency or severity of infections. If started, a stop (pause) is to be attempted on the stop date; a short extension can be relevant when the community risk of bacterial infections is high.",
        "measure-igg": "The decision on immunoglobulin substitution needs a current IgG value. Inside the window only results taken on or after the index date count, because IgG keeps falling for months after CAR-T/bsAb.",
        "general-criteria-igg-under-6": "The special start criterion (IgG < {threshold} g/L) is not met. Throughout the period, the general criteria for patients with haematological disease and IgG < {general_threshold} g/L apply in parallel; this card suggests no start by itself.",
        "no-start-without-infections": "Outside the first {window_months} months, or when substitution is restarted, the general criteria apply: substitution is recommended only at IgG < {threshold} g/L together with severe or recurrent verified bacterial infections. Vaccination and antibiotic prophylaxis are central; after a stop, antibiotic prophylaxis can be tried if infections occur.",
        "start-meets-general-criteria": "Outside the first {window_months} months, or as a restart, the general criteria apply, and they are met: IgG < {threshold} g/L and severe or recurrent verified bacterial infections.",
        "stop-planned": "Substitution started inside the window on the special criterion (IgG alone). It is to be paused/stopped on the stop date, {window_months} months after the index date.",
        "stop-due-soon": "Substitution started inside the window on the special criterion is to be paused/stopped on the stop date. Immune restitution (IgG > {threshold} g/L) can only be judged on a value measured without substitution. A short extension can be relevant when the community risk of bacterial infections is high.",
        "stop-overdue": "The stop date has passed and substitution started on the special criterion is still active. Pause it, measure IgG later without substitution, and restart only by the general criteria. A short extension can be relevant when the community risk of bacterial infections is high.",
        "general-stop-review": "This substitution follows the general criteria for haematological patients (started before the index date, after the window, as a restart, or because of infections): discontinuation should be attempted 6–12 months after the start and, if continued, reassessed every 6 months. The first attempt is not prompted before the end of the high-risk window.",
        "child-individual-assessment": "Children are not covered by the start and stop criteria of the supplement: the need for substitution after CAR-T or bispecific antibodies is assessed individually, and routine substitution may be used where clinicians find it relevant (in practice often with bispecific antibodies).",
        "order-meets-criteria": "The draft immunoglobulin order was held against the criteria that apply if it is signed today. Inside the first {window_months} months after CAR-T/bsAb start, IgG < {threshold} g/L is enough, and the substitution is to be paused on the stop date; afterwards, or for a restart, IgG < {threshold} g/L with severe or recurrent verified bacterial infections is required.",
        "order-does-not-meet-criteria": "The draft immunoglobulin order was held against the criteria that apply if it is signed today, and at least one is not met (listed below). Inside the first {window_months} months after CAR-T/bsAb start, IgG < {threshold} g/L is enough; afterwards, or for a restart, IgG < {threshold} g/L together with severe or recurrent verified bacterial infections is required. A clinician may still order it for a reason the data does not show.",
        "plan-igg-monitoring": "CAR-T and bispecific antibodies directed at B-cell or plasma-cell antigens cause hypogammaglobulinaemia; the first {window_months} months after the infusion or the start of a bsAb course carry the highest infection risk. In that window, immunoglobulin substitution may be started at IgG < {threshold} g/L, so IgG should be measured before and during the window.",
    },
    "da": {
        "start-substitution": "I de første {window_months} måneder efter CAR-T-infusion eller opstart af bispecifikt antistof kan immunglobulinsubstitution startes ved IgG < {threshold} g/L uanset infektionernes hyppighed og sværhedsgrad. Startes behandlingen, skal den forsøges pauseret/seponeret på seponeringsdatoen; en kort forlængelse kan være relevant ved betydelig smitterisiko for bakterielle infektioner i samfundet.",
        "measure-igg": "Beslutningen om immunglobulinsubstitution kræver en aktuel IgG-værdi. Inden for vinduet tæller kun prøver taget på eller efter indeksdatoen, fordi IgG fortsat falder i måneder efter CAR-T/bsAb.",
        "general-criteria-igg-under-6": "Særkriteriet (IgG < {threshold} g/L) er ikke opfyldt. I hele perioden gælder sideløbende de generelle kriterier for patienter med hæmatologisk sygdom og IgG < {general_threshold} g/L; kortet foreslår ikke selv en start.",
        "no-start-without-infections": "Efter de første {window_months} måneder, eller ved genopstart, gælder de generelle kriterier: substitution anbefales kun ved IgG < {threshold} g/L sammen med svære eller gentagne verificerede bakterielle infektioner. Vaccination og antibiotikaprofylakse er centrale; efter seponering kan antibiotikaprofylakse afprøves ved nye infektioner.",
        "start-meets-general-criteria": "Efter de første {window_months} måneder, eller ved genopstart, gælder de generelle kriterier, og de er opfyldt: IgG < {threshold} g/L og svære eller gentagne verificerede bakterielle infektioner.",
        "stop-planned": "Substitutionen blev startet inden for vinduet på særkriteriet (IgG alene). Den skal pauseres/seponeres på seponeringsdatoen, {window_months} måneder efter indeksdatoen.",
        "stop-due-soon": "Substitution startet inden for vinduet på særkriteriet skal pauseres/seponeres på seponeringsdatoen. Immunrestitution (IgG > {threshold} g/L) kan kun vurderes på en værdi målt uden substitution. En kort forlængelse kan være relevant ved betydelig smitterisiko i samfundet.",
        "stop-overdue": "Seponeringsdatoen er passeret, og substitution startet på særkriteriet er stadig aktiv. Pausér den, mål senere IgG uden substitution, og genstart kun efter de generelle kriterier. En kort forlængelse kan være relevant ved betydelig smitterisiko i samfundet.",
        "general-stop-review": "Denne substitution følger de generelle kriterier for hæmatologiske patienter (startet før indeksdatoen, efter vinduet, som genopstart eller pga. infektioner): seponering forsøges 6–12 måneder efter start og revurderes hver 6. måned ved fortsat behandling. Første forsøg foreslås ikke før højrisikovinduet er slut.",
        "child-individual-assessment": "Børn er ikke omfattet af tillæggets start- og seponeringskriterier: behovet for substitution efter CAR-T eller bispecifikke antistoffer vurderes individuelt, og rutinemæssig substitution kan anvendes, hvor klinikerne finder det relevant (i praksis ofte ved bispecifikke antistoffer).",
        "order-meets-criteria": "Kladden til immunglobulinordinationen er holdt op mod de kriterier, der gælder, hvis den signeres i dag. I de første {window_months} måneder efter CAR-T/bsAb-start er IgG < {threshold} g/L nok, og substitutionen skal pauseres på seponeringsdatoen; derefter, eller ved genopstart, kræves IgG < {threshold} g/L sammen med svære eller gentagne verificerede bakterielle infektioner.",
        "order-does-not-meet-criteria": "Kladden til immunglobulinordinationen er holdt op mod de kriterier, der gælder, hvis den signeres i dag, og mindst ét er ikke opfyldt (se nedenfor). I de første {window_months} måneder efter CAR-T/bsAb-start er IgG < {threshold} g/L nok; derefter, eller ved genopstart, kræves også svære eller gentagne verificerede bakterielle infektioner. En kliniker kan have grunde, som data ikke viser.",
        "plan-igg-monitoring": "CAR-T og bispecifikke antistoffer rettet mod B-celle- eller plasmacelleantigener giver hypogammaglobulinæmi; de første {window_months} måneder efter infusion eller bsAb-start har den højeste infektionsrisiko. I det vindue kan immunglobulinsubstitution startes ved IgG < {threshold} g/L, så IgG bør måles før og under vinduet.",
    },
}

CAVEAT: dict[str, dict[str, str]] = {
    "en": {
        "igg-during-substitution": "The IgG was measured during immunoglobulin substitution: it reflects the infused immunoglobulin and cannot show immune restitution or be compared with the thresholds as if untreated (§3.4).",
        "igg-during-substitution-ignored": "A more recent IgG ({ignored_igg} g/L, {ignored_igg_date}, `{ignored_igg_source}`) was taken during immunoglobulin substitution or within {washout_days} days after it; it reflects infused immunoglobulin and was not used for this decision (§3.4).",
        "paraprotein-subtracted": "IgG-type myeloma: the M-protein ({m_protein} g/L, `{m_protein_source}`) was subtracted from total IgG ({igg_total} g/L); the decision uses polyclonal IgG {igg} g/L.",
        "paraprotein-possible": "Myeloma: total IgG may include a monoclonal IgG paraprotein and overstate functional IgG; no IgG-type M-protein result was found to subtract.",
        "malignancy-assumed": "No haematological malignancy diagnosis was received; this site's configuration assumes one. The supplement does not apply to off-label use in autoimmune disease.",
        "age-unknown": "The patient's birth date is unknown: adult criteria were applied. Children are assessed individually.",
        "course-end-unknown": "An immunoglobulin order is stopped/completed without an end date; it is treated as ended on an unknown date.",
        "infections-general-stop": "Severe or recurrent verified bacterial infections are also present: if substitution is started for them, the general stop criteria apply instead of the stop date (§4.2).",
    },
    "da": {
        "igg-during-substitution": "IgG er målt under immunglobulinsubstitution: værdien afspejler det tilførte immunglobulin og kan hverken vise immunrestitution eller sammenlignes med grænserne som ubehandlet (§3.4).",
        "igg-during-substitution-ignored": "En nyere IgG ({ignored_igg} g/L, {ignored_igg_date}, `{ignored_igg_source}`) er taget under immunglobulinsubstitution eller inden for {washout_days} dage efter; den afspejler tilført immunglobulin og er ikke brugt til denne vurdering (§3.4).",
        "paraprotein-subtracted": "IgG-myelomatose: M-komponenten ({m_protein} g/L, `{m_protein_source}`) er fratrukket total-IgG ({igg_total} g/L); beslutningen bruger polyklonalt IgG {igg} g/L.",
        "paraprotein-possible": "Myelomatose: total-IgG kan indeholde en monoklonal IgG-komponent og overvurdere funktionelt IgG; der er ikke fundet en IgG-type M-komponent at fratrække.",
        "malignancy-assumed": "Der er ikke modtaget en hæmatologisk kræftdiagnose; stedets opsætning antager en. Tillægget gælder ikke off-label brug ved autoimmun sygdom.",
        "age-unknown": "Patientens fødselsdato er ukendt: voksenkriterierne er anvendt. Børn vurderes individuelt.",
        "course-end-unknown": "En immunglobulinordination er seponeret/afsluttet uden slutdato; den regnes som afsluttet på en ukendt dato.",
        "infections-general-stop": "Der er også svære eller gentagne verificerede bakterielle infektioner: startes substitution på grund af dem, gælder de generelle seponeringskriterier i stedet for seponeringsdatoen (§4.2).",
    },
}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "rule": "Rule", "facts": "Facts used", "caveats": "Caveats", "data": "Data problems", "trace": "How this was decided (rule trace)",
        "reminder": "Vaccination and antibiotic prophylaxis are central in preventing infections (§4.1).",
        "index": "Index event (T0)", "window": "Six-month window", "window_text": "{t0} to {stop_date} (stop date); evaluated {today}",
        "igg": "IgG used", "reported": "reported", "infections": "Severe/recurrent verified bacterial infections",
        "substitution": "Immunoglobulin substitution", "since": "since", "diagnosis": "Diagnosis", "age": "Age at T0",
        "ruleset": "Rule set", "dropped": "ignored",
        "order-igg": "Order serum IgG", "order-ig-until-stop:iv": "Order IVIG ending {stop_date}", "order-ig-until-stop:sc": "Order SCIG ending {stop_date}",
        "order-ig:iv": "Order IVIG (general criteria)", "order-ig:sc": "Order SCIG (general criteria)",
        "hold-ig": "Put the immunoglobulin order on hold", "set-order-end": "End this order on {stop_date}",
        "draft": "Draft order", "failing": "Criteria not met", "set-ig-end": "Set the immunoglobulin order to end on {stop_date}",
        "dose": "Dose per the SID guideline. Stop attempt on {stop_date}.", "dose-general": "Dose per the SID guideline. Attempt discontinuation 6–12 months after start.",
        "hold-action": "Put {ref} on hold (stop attempt)", "end-action": "Set the end of {ref} to {stop_date}",
        "igg-action": "Order total IgG in serum/plasma", "ig-action": "Create an immunoglobulin order",
    },
    "da": {
        "rule": "Regel", "facts": "Anvendte data", "caveats": "Forbehold", "data": "Dataproblemer", "trace": "Sådan blev det afgjort (regelspor)",
        "reminder": "Vaccination og antibiotikaprofylakse er centrale i forebyggelsen af infektioner (§4.1).",
        "index": "Indekshændelse (T0)", "window": "Seksmånedersvindue", "window_text": "{t0} til {stop_date} (seponeringsdato); vurderet {today}",
        "igg": "Anvendt IgG", "reported": "rapporteret", "infections": "Svære/gentagne verificerede bakterielle infektioner",
        "substitution": "Immunglobulinsubstitution", "since": "siden", "diagnosis": "Diagnose", "age": "Alder ved T0",
        "ruleset": "Regelsæt", "dropped": "ignoreret",
        "order-igg": "Bestil IgG i serum", "order-ig-until-stop:iv": "Ordinér IVIG til {stop_date}", "order-ig-until-stop:sc": "Ordinér SCIG til {stop_date}",
        "order-ig:iv": "Ordinér IVIG (generelle kriterier)", "order-ig:sc": "Ordinér SCIG (generelle kriterier)",
        "hold-ig": "Sæt immunglobulinordinationen i bero", "set-order-end": "Slut denne ordination {stop_date}",
        "draft": "Ordinationskladde", "failing": "Kriterier, der ikke er opfyldt", "set-ig-end": "Sæt immunglobulinordinationen til at slutte {stop_date}",
        "dose": "Dosis efter SID-vejledningen. Seponeringsforsøg {stop_date}.", "dose-general": "Dosis efter SID-vejledningen. Seponering forsøges 6–12 måneder efter start.",
        "hold-action": "Sæt {ref} i bero (seponeringsforsøg)", "end-action": "Sæt slutdatoen for {ref} til {stop_date}",
        "igg-action": "Bestil total-IgG i serum/plasma", "ig-action": "Opret en immunglobulinordination",
    },
}

OVERRIDE_REASONS: dict[str, dict[str, str]] = {
    "en": {
        "community-infection-risk": "Short extension: significant community risk of bacterial infections",
        "specialist-decision": "Specialist decision documented elsewhere",
        "infections-persist": "Continue: infections persist despite prophylaxis",
        "infection-not-coded": "Severe infection not yet coded",
    },
    "da": {
        "community-infection-risk": "Kort forlængelse: betydelig smitterisiko for bakterielle infektioner i samfundet",
        "specialist-decision": "Speciallægebeslutning dokumenteret andetsteds",
        "infections-persist": "Fortsæt: infektionerne fortsætter trods profylakse",
        "infection-not-coded": "Svær infektion endnu ikke kodet",
    },
}


FAILING: dict[str, dict[str, str]] = {
    "en": {
        "no-igg-since-t0": "no IgG since {kind} {t0}",
        "igg-not-low": "IgG {igg} g/L ({igg_date}) is not <{threshold}",
        "igg-stale": "IgG {igg} g/L is {igg_age_days} days old ({igg_date}): measure again",
        "igg-4-6": "IgG {igg} g/L ({igg_date}) is {threshold} to <{general_threshold}: the general SID criteria for IgG <{general_threshold} decide",
        "no-recent-igg": "no IgG in the last {stale_days} days",
        "no-infections": "no severe/recurrent verified bacterial infection",
        "past-stop-date": "the stop date {stop_date} has passed",
        "baseline": "; no IgG in the last {stale_days} days",
    },
    "da": {
        "no-igg-since-t0": "ingen IgG siden {kind} {t0}",
        "igg-not-low": "IgG {igg} g/L ({igg_date}) er ikke <{threshold}",
        "igg-stale": "IgG {igg} g/L er {igg_age_days} dage gammel ({igg_date}): mål igen",
        "igg-4-6": "IgG {igg} g/L ({igg_date}) er {threshold} til <{general_threshold}: de generelle SID-kriterier for IgG <{general_threshold} afgør",
        "no-recent-igg": "ingen IgG de sidste {stale_days} dage",
        "no-infections": "ingen svær/gentagen verificeret bakteriel infektion",
        "past-stop-date": "seponeringsdatoen {stop_date} er passeret",
        "baseline": "; ingen IgG de sidste {stale_days} dage",
    },
}


def days(n: int, lang: str, left: bool = False) -> str:
    if lang == "da":
        text = f"{n} dag" if n == 1 else f"{n} dage"
        return text + " tilbage" if left else text
    text = f"{n} day" if n == 1 else f"{n} days"
    return text + " left" if left else text


def number(value: float, lang: str) -> str:
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang == "da" else text


def format_values(values: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Values as text: numbers with one decimal in the language's style, ISO dates."""
    out: dict[str, Any] = {}
    limits = {values.get("threshold"), values.get("general_threshold")}
    for key, value in values.items():
        if isinstance(value, bool) or value is None:
            out[key] = value
        elif isinstance(value, float):
            if key in ("threshold", "general_threshold"):
                out[key] = _threshold(value, lang)
            elif round(value, 1) in limits and abs(value - round(value, 1)) > 1e-9:
                out[key] = f"{value:.2f}".replace(".", ",") if lang == "da" else f"{value:.2f}"  # 3.96, not "4.0 <4"
            else:
                out[key] = number(value, lang)
        elif isinstance(value, date):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


def _threshold(value: float, lang: str) -> str:
    return f"{value:g}".replace(".", ",") if lang == "da" else f"{value:g}"


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
