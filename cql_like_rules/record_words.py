"""Words of a laboratory's or a ward's free text that decide what a record is (Medicinrådet 2025, §4.3: only a
verified bacterial infection counts; clinical rules §2: T0 only from an infusion that happened).

A culture known only by its name under a local code ("Bloddyrkning", "Ekspektorat dyrkning") is read as a culture
when its name says it looks for bacteria, with the specimen its name gives; its value says nothing grew when it only
defers to a comment or says the culture gave no result. A stopped CAR-T infusion whose reason says no cells were
given is no infusion; a deceased flag written "yes" is a death. Assumptions: Danish and English wording as Danish
laboratories and EHRs write it; a name or a value these words do not reach keeps the reading of the value sets
(docs/clinical-logic.md).
"""

from __future__ import annotations

import re

# A Patient's deceasedBoolean as an export may spell it instead of true or false (English, Danish, digits): a yes is a
# death (clinical rules §7: no advice), a no is alive; anything else is read as alive and named
# (cds_service/fhir/facts.py, `FactBuilder._deceased_flag`).
FLAG_YES = frozenset({"true", "yes", "y", "t", "1", "ja", "sand"})
FLAG_NO = frozenset({"false", "no", "n", "f", "0", "nej", "falsk"})

# A stopped CAR-T infusion or immunoglobulin dose whose statusReason says nothing was given ("Ikke givet", "Ikke
# opstartet", "Afbrudt før start", "Patienten udeblev", "not administered"): not given (it is read as not-done is);
# FHIR's stopped alone says some was given, the reason can say none was.
# "ikke givet fuldt ud", "not given in full", "ikke startet igen" (halted, not resumed), "ikke givet hele dosis", "not
# given as planned", "ikke startet til tiden" say some was given, as does a reason of what followed a first part
# ("Stopped before start of second bag", "Afbrudt før start af 2. pose", "ikke givet resten", "remainder not
# given"). Words no pattern foresees are shown: a dose read as not given by its reason is named on the card with the
# reason as sent (`ig-stopped-not-given`).
NOT_GIVEN = re.compile(r"(?:(?:ikke|ej|aldrig)\s+(?:givet|indgivet|infunderet|administreret|påbegyndt|(?:op)?start\w*)"
                       r"|(?:not|never)\s+(?:given|administered|infused|started|begun|commenced))\b(?!\s+(?:op\s+)?"
                       r"(?:igen|again|in\s+full|completely|fully|fuldt|helt|hele|alt|færdig|komplet|som\s+planlagt|as\s+planned|til\s+tiden"
                       r"|i\s+tide|on\s+time|resten|the\s+rest))|(?:nothing|none)\s+"
                       r"(?:given|infused)|intet\s+(?:givet|infunderet)|\b0\s*ml\s+(?:givet|given|infunderet|infused)"
                       r"|(?:(?:før|inden)\s+(?:op)?start\w*+|before\s+(?:the\s+)?start)"
                       r"(?!\s+(?:af|of)\s+(?:the\s+)?(?:2\.|2nd|anden|andet|second|næste|next|sidste|last|resten|the\s+rest))|udeblev|mødte\s+ikke|did\s+not\s+attend"
                       r"|no[-\s]show|no\s+cells|ingen\s+celler", re.IGNORECASE)

# A culture known by its name: the specimen its name gives (first match wins), else "other".
# A name that says the culture looks for no bacterium (a fungus, a virus, cells) or screens for carriage (MRSA, VRE,
# ESBL: colonisation, no infection) is no culture that can verify a bacterial infection (§4.3): not read by its name.
NOT_A_BACTERIAL_CULTURE = re.compile(r"svamp|fung|gær|yeast|mykolog|mycolog|virus|viral|\bcmv\b|cytomegalo|\bcell|celle",
                                     re.IGNORECASE)
BACTERIA_NAMED = re.compile(r"bakteri|bacteri", re.IGNORECASE)  # "BLODDYRKNING(BAKTERIUM+FUNGUS),B" is one
# ... nor a preliminary answer or a Gram stain ("Blood culture – preliminary": "Gram positive cocci", often a skin
# contaminant): only the final culture, coded or named, identifies what grew.
SCREENING = re.compile(r"screening|bærer|carrier|kolonis|coloni[sz]|\bmrsa\b|\bvre\b|\besbl\b|\bcpo\b"
                       r"|foreløbig|prelim|\bgram|mikroskopi|microscop", re.IGNORECASE)
# A culture's value that only defers to a comment or a later answer ("Se kommentar", "Svar følger") says no growth.
DEFERS = re.compile(r"\s*(?:(?:se|see)\s+(?:kommentar|comment|note|notat|bemærkning|svar)\w*|svar\s+følger|afventer\w*"
                    r"|pending|to\s+follow|følger)\s*[.!]?\s*", re.IGNORECASE)
# A culture's value that names no organism and says the culture gave no result (not done, cancelled, rejected)
# says no growth either: it is no verification of an infection (§4.3). (A contaminated sample is a contaminant
# growth of the organism value set, "kontamin*", which verifies nothing.)
NO_RESULT = re.compile(r"ikke\s+udført|not\s+(?:done|performed)|annull?er\w*|aflyst|cancel+ed"
                       r"|ikke\s+modtaget|not\s+received|uegnet|unsuitable|afvist|rejected|ikke\s+analyser\w*"
                       r"|not\s+analy[sz]ed|ingen\s+prøve|no\s+(?:sample|specimen)", re.IGNORECASE)
SPECIMEN_WORDS = (("blood", re.compile(r"blod|blood|bakteri(?:æ|ae)mi", re.IGNORECASE)),
                  ("respiratory", re.compile(r"ekspektorat|sputum|trachea|trakea|bronch|bronk|luftvej|respirat|BAL\b",
                                             re.IGNORECASE)),
                  ("csf", re.compile(r"spinal|liquor|cerebrospinal|csf", re.IGNORECASE)),
                  # a swab of a site with its own flora (throat, nose, faeces, perineum): it verifies only an infection
                  # of no stated site, never a pneumonia, a urinary or a CNS infection (library `_culture_fits`)
                  ("swab", re.compile(r"svælg|throat|pharyn|tonsil|næse|nasal|nares|\bnose|fæces|faeces|feces|stool"
                                      r"|rect|rekt|perine|anal\b", re.IGNORECASE)),
                  ("urine", re.compile(r"urin", re.IGNORECASE)))


def names_a_bacterial_culture(name: str) -> bool:
    """Whether a result named a culture looks for bacteria: not a fungal, viral or cell culture (unless it names
    bacteria too), not a carriage screening, not a preliminary answer or a Gram stain."""
    return not SCREENING.search(name) and bool(BACTERIA_NAMED.search(name) or not NOT_A_BACTERIAL_CULTURE.search(name))


def specimen_of_name(name: str) -> str:
    """The specimen a culture's name gives (the first that matches), else "other"."""
    return next((kind for kind, words in SPECIMEN_WORDS if words.search(name)), "other")


def only_defers(value: str) -> bool:
    """A culture's value that only points to a comment or a later answer ("Se kommentar", "Svar følger")."""
    return DEFERS.fullmatch(value) is not None


def says_no_result(value: str) -> bool:
    """A culture's value that says the culture gave no result ("Ikke udført", "Annulleret", "Sample rejected")."""
    return NO_RESULT.search(value) is not None


def says_not_given(reason: str) -> bool:
    """A stopped record's reason that says nothing was given ("Ikke givet", "Not administered")."""
    return any(_REMAINDER.search(reason, 0, m.start()) is None for m in NOT_GIVEN.finditer(reason))


# What was not given is what remained after a part was ("Resten ikke givet", "remaining dose not infused"): some was.
_REMAINDER = re.compile(r"(?<!\w)(?:rest(?:en)?|resterende|remainder|remaining|the\s+rest)(?:\s+[^\W\d_]+){0,3}"
                        r"\s*(?:(?:er|var|was|is|were|blev)\s+)?$", re.IGNORECASE)
