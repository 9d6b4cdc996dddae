"""A real growth written the way laboratories write it short is read, and a mixed growth with no organism named is
flora (guideline §4.3: a VERIFIED bacterial infection; docs/clinical-logic.md, the culture text reader).

Since a culture's text counts only when it names an organism the value sets know or a growth word (a text with
neither is not read: `culture-text-unread`), the short names every report uses for the common pathogens ("K.
pneumoniae", "Str. pneumoniae", "Ps. aeruginosa", "H. influenzae", "GBS") and the Danish names ("Hæmofilus", "gule stafylokokker" for
S. aureus, "kolibakterier" for E. coli) were not read: two
pneumonias (J18.9) each with a blood culture "S. pneumoniae", after the window with IgG 3.5 g/L, made the card say
"no severe/recurrent verified bacterial infection: Ig start not recommended". And "Mixed growth" or "Blandet vækst"
(several organisms, none named: the flora the lists name as "blandingsvækst", "mixed flora") was read as a
growth word alone, a bacterium grown: the same chart said "Ig may be started (general criteria)" on two cultures that
grew flora.

Chart: CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each with a blood culture that day; IgG
3.5 g/L on 2026-01-05; evaluated 2026-01-10.
"""

from __future__ import annotations

import pytest

from .test_culture_negation_scope import MET, NOT_MET, verdict
from .test_culture_text_unread import NOTE, cards, notes_of

SHORT_NAMES = ["S. pneumoniae", "Str. pneumoniae", "Strep. pneumoniae", "K. pneumoniae", "Kl. pneumoniae",
               "K.pneumoniae", "P. aeruginosa", "Ps. aeruginosa", "H. influenzae", "Hæmofilus influenzae", "GBS",
               "E. faecalis", "E. faecium", "S. pyogenes", "Str. agalactiae", "M. catarrhalis", "N. meningitidis",
               "E. cloacae", "S. marcescens", "P. mirabilis", "C. freundii", "A. baumannii", "S. maltophilia",
               "L. monocytogenes", "B. fragilis", "K. oxytoca", "Gule stafylokokker", "Kolibakterier", "Colibakterier",
               "Enterobakterier"]
FLORA = ["Mixed growth", "Mixed bacterial growth", "Blandet vækst", "Sparsom blandet vækst", "Hudbakterier",
         "Hvide stafylokokker"]


@pytest.mark.parametrize("text", SHORT_NAMES)
def test_a_short_name_of_a_pathogen_is_a_bacterium_grown(text: str) -> None:
    assert verdict(valueString=text) == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("text", ["S. pneumoniae", "Str. pneumoniae", "H. influenzae", "Hæmofilus influenzae"])
def test_two_pneumonias_with_a_short_named_pathogen_meet_the_general_criteria(text: str, lang: str) -> None:
    """Before: 'no-start-without-infections' and 'a culture has a result the rules cannot read' on each."""
    [found] = cards(text, lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"]
    assert NOTE[lang] not in notes_of(found)


@pytest.mark.parametrize("text", ["Ingen vækst af K. pneumoniae", "S. pneumoniae ikke påvist", "GBS-screening: negativ",
                                  "Undersøgt for GBS"])
def test_a_short_name_not_grown_stays_no_growth(text: str) -> None:
    assert verdict(valueString=text) == "none"


@pytest.mark.parametrize("text", FLORA)
def test_a_mixed_growth_with_no_organism_named_is_flora(text: str) -> None:
    """Before: 'bacterial' (a growth word alone), or not read ("Hudbakterier", "Hvide stafylokokker": skin bacteria,
    coagulase-negative staphylococci)."""
    assert verdict(valueString=text) == "contaminant"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_beside_a_mixed_growth_do_not_meet_the_general_criteria(lang: str) -> None:
    """Before: 'start-meets-general-criteria' on two cultures that grew flora."""
    [found] = cards("Mixed growth", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


def test_a_pathogen_named_in_a_mixed_growth_still_counts() -> None:
    assert verdict(valueString="Mixed growth of E. coli and E. faecalis") == "bacterial"
    assert verdict(valueString="Blandet vækst, heriblandt Staph. aureus") == "bacterial"
