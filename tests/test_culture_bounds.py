"""Where a culture's statement ends: a component is its own statement, a history is no growth, and a name wrapped in
capitals is one name.

Chart as in test_culture_text_unread: CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each with a
blood culture that day; IgG 3.5 g/L on 2026-01-05; evaluated 2026-01-10: two verified bacterial infections make the
card "Ig may be started (general criteria)", none "Ig start not recommended" (guideline §4.3: a VERIFIED bacterial
infection counts).
"""

from __future__ import annotations

from typing import Any

import pytest

from cds_service.tools.replay import replay

from .test_culture_negation_scope import MET, NOT_MET, RUNTIME, verdict
from .test_culture_text_unread import AT, bundle, cards, notes_of


def noted_cards(text: str, note: str, lang: str = "en") -> list[dict[str, Any]]:
    """The chart with each blood culture's result `text` and a note on it."""
    b = bundle(text)
    for entry in b["entry"]:
        if entry["resource"]["id"].startswith("bc"):
            entry["resource"]["note"] = [{"text": note}]
    return replay(RUNTIME, b, at=AT, lang=lang).cards  # type: ignore[no-any-return]

# -- a name wrapped between its genus and its species in a report printed in capitals
CAPITALS_NOT_GROWN = ["INGEN VÆKST AF STAPHYLOCOCCUS\nAUREUS", "INGEN VÆKST AF ESCHERICHIA\nCOLI",
                      "IKKE PÅVIST: STAPHYLOCOCCUS\nAUREUS"]
# capitals over capitals that are no genus over its species: two lines, as before
CAPITALS_TWO_LINES = ["INGEN VÆKST\nE. COLI", "INGEN VÆKST\nMRSA", "INGEN VÆKST\nSTAPHYLOCOCCUS AUREUS",
                      "VÆKST AF STAPHYLOCOCCUS\nAUREUS", "Ingen vækst af STAPHYLOCOCCUS\naureus isoleret"]


@pytest.mark.parametrize("text", CAPITALS_NOT_GROWN)
def test_a_name_wrapped_in_capitals_is_one_name(text: str) -> None:
    """Before: 'bacterial' ("AUREUS" read on a line of its own, after a no-growth line that named nothing), where
    the same text in small letters ("Ingen vækst af Staphylococcus\\naureus") was no growth."""
    assert verdict(valueString=text) == "none"


@pytest.mark.parametrize("text", CAPITALS_TWO_LINES)
def test_capitals_that_are_no_wrapped_name_keep_their_growth(text: str) -> None:
    assert verdict(valueString=text) == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_say_no_s_aureus_in_capitals_do_not_meet_the_general_criteria(lang: str) -> None:
    """Before: 'Ig may be started (general criteria)' on two cultures that grew no S. aureus."""
    [found] = cards("INGEN VÆKST AF STAPHYLOCOCCUS\nAUREUS", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_grew_s_aureus_in_capitals_meet_the_general_criteria(lang: str) -> None:
    [found] = cards("VÆKST AF STAPHYLOCOCCUS\nAUREUS", lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"]


# -- a statement about an earlier culture or a known carriage is no growth of this one
EARLIER = ["Tidligere vækst af S. aureus (2024)", "Previous growth of MRSA", "Kendt MRSA-bærer",
           "Tidligere vækst af Staphylococcus aureus og Escherichia coli", "Known ESBL-producing E. coli carrier"]
COMMENT_NAMES_GROWTH = {"en": "2 cultures name a bacterium grown only in a comment: not counted; check the results",
                        "da": "2 dyrkninger nævner kun vækst af en bakterie i en kommentar: ikke talt med; tjek svarene"}
# this culture's growth beside a history, or said to be the same as before
THIS_CULTURE = ["Vækst af Escherichia coli. Tidligere vækst af S. aureus (2024)",
                "Kendt MRSA-bærer, nu vækst af Escherichia coli", "Som tidligere vækst af S. aureus",
                "Vækst af S. aureus som tidligere", "Ukendt gramnegativ stav"]


@pytest.mark.parametrize("text", EARLIER)
def test_a_history_is_no_growth_of_this_culture(text: str) -> None:
    """Before: 'bacterial' for each (the earlier culture's organism read as this one's)."""
    assert verdict(valueString=text) == "none"
    assert verdict(valueString="Vækst: se kommentar", note=[{"text": text}]) == "none"


@pytest.mark.parametrize("text", THIS_CULTURE)
def test_this_cultures_growth_beside_a_history_still_verifies(text: str) -> None:
    assert verdict(valueString=text) == "bacterial"
    assert verdict(valueString="Vækst: se kommentar", note=[{"text": text}]) == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_comment_names_only_an_earlier_growth_do_not_meet_the_general_criteria(lang: str) -> None:
    """"Vækst: se kommentar" with the comment "Tidligere vækst af S. aureus (2024)". Before: 'Ig may be started
    (general criteria)' on S. aureus grown in 2024. The comment's S. aureus is shown, not counted."""
    [found] = noted_cards("Vækst: se kommentar", "Tidligere vækst af S. aureus (2024)", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]
    assert COMMENT_NAMES_GROWTH[lang] in found["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_comment_names_this_growth_beside_a_history_meet_the_general_criteria(lang: str) -> None:
    [found] = noted_cards("Vækst: se kommentar", "Vækst af Escherichia coli. Tidligere vækst af S. aureus (2024)", lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_result_that_is_only_a_history_is_named(lang: str) -> None:
    [found] = cards("Tidligere vækst af S. aureus (2024)", lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert "Tidligere vækst af S" in notes_of(found)  # shown (markdown-escaped)
