"""Culture texts that grew no bacterium must not verify an infection (guideline §4.3; clinical-rules §7).

A text read as a growth of an organism no list knows counts as a bacterial growth, and a growth word ("vækst",
"growth") shields the organisms after it from a no-growth word at the statement's end. So these texts, each one a
Danish or English laboratory writes, read as a verified bacterial infection: beside two pneumonias after the CAR-T
high-risk window with IgG 3.0 g/L the card said 'Ig may be started (general criteria)' where nothing grew:

- "Undersøgt for vækst af Salmonella, Shigella og Campylobacter: Negativ" (what the culture was examined for; the
  growth word after "for" shielded Salmonella, and Shigella and Campylobacter were names no list knew);
- "Rigelig vækst af blandingsflora" (mixed flora: a likely contamination, as "blandet flora" already was);
- "Der er ikke fundet vækst af patogene bakterier", "Ikke vækst" (no-growth words the lists did not know).
"""

from __future__ import annotations

import pytest

from .test_culture_negation_scope import MET, NOT_MET, card, verdict

# (text, verdict now, verdict before this fix): the "for vækst af" rows read "none" before the growth words (1.1.1)
PHRASINGS = [
    ("Undersøgt for vækst af Salmonella, Shigella og Campylobacter: Negativ", "none", "bacterial"),
    ("Undersøgt for vækst af Salmonella, Shigella, Yersinia og Campylobacter: ikke påvist", "none", "bacterial"),
    ("Culture for growth of Salmonella, Shigella and Campylobacter: negative", "none", "bacterial"),
    ("Tested for growth of Salmonella, Shigella: negative", "none", "bacterial"),
    ("Dyrkning for vækst af E. coli, Klebsiella: negativ", "none", "bacterial"),
    ("Salmonella, Shigella og Campylobacter ikke påvist", "none", "none"),
    ("Rigelig vækst af blandingsflora", "contaminant", "bacterial"),
    ("Blandingsflora", "contaminant", "bacterial"),
    ("Sparsom blandingsvækst", "contaminant", "bacterial"),
    ("Ingen vækst af patogene bakterier. Vækst af normal tarmflora", "contaminant", "bacterial"),
    ("Der er ikke fundet vækst af patogene bakterier", "none", "bacterial"),
    ("Ikke vækst", "none", "bacterial"),
    ("Pathogenic bacteria not found", "none", "bacterial"),
    # what a culture was examined for, named with no result: no growth (before: every name a growth)
    ("Undersøgt for MRSA", "none", "bacterial"),
    ("Screening for Salmonella, Shigella og Campylobacter", "none", "bacterial"),
    ("Tested for Staphylococcus aureus", "none", "bacterial"),
    ("Dyrkning for E. coli eller Klebsiella", "none", "bacterial"),
    # what grew still grows
    ("Vækst af Shigella sonnei", "bacterial", "bacterial"),
    ("Campylobacter jejuni påvist", "bacterial", "bacterial"),
    ("Vækst af Escherichia coli og blandingsflora", "bacterial", "bacterial"),
    ("Positiv for vækst af E. coli", "bacterial", "bacterial"),
    ("Undersøgt for vækst af Salmonella: Vækst af Salmonella enteritidis", "bacterial", "bacterial"),
    ("E. coli påvist, Klebsiella ikke fundet", "bacterial", "bacterial"),
    ("Positiv for MRSA", "bacterial", "bacterial"),
    ("Undersøgt for MRSA: påvist", "bacterial", "bacterial"),
    ("Undersøgt for MRSA. Vækst af Staphylococcus aureus", "bacterial", "bacterial"),
    ("Undersøgt for MRSA; Escherichia coli", "bacterial", "bacterial"),
    ("Screening for MRSA og Escherichia coli isoleret", "bacterial", "bacterial"),
    ("Escherichia coli", "bacterial", "bacterial"),
    ("Resistensbestemmelse for Escherichia coli: Ampicillin R, Cefuroxim S", "bacterial", "bacterial"),
    ("Susceptibility for Klebsiella pneumoniae: Meropenem S", "bacterial", "bacterial"),
]


@pytest.mark.parametrize(("text", "expected", "before"), PHRASINGS, ids=[p[0] for p in PHRASINGS])
def test_a_culture_text_that_grew_no_bacterium_verifies_none(text: str, expected: str, before: str) -> None:
    assert verdict(valueString=text) == expected


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("text", ["Undersøgt for vækst af Salmonella, Shigella og Campylobacter: Negativ",
                                  "Rigelig vækst af blandingsflora", "Der er ikke fundet vækst af patogene bakterier",
                                  "Undersøgt for MRSA"])
def test_two_pneumonias_beside_such_cultures_do_not_meet_the_general_criteria(text: str, lang: str) -> None:
    """Before: 'start-meets-general-criteria' ('Ig may be started (general criteria)'), Ig started on no verified
    bacterial infection."""
    found = card(text, lang, "2025-10-01", "2025-12-01")
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"] and MET[lang][0] not in found["summary"]
