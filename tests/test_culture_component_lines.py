"""Consecutive components of one code are one field's text sent a line each: read as the lines of one text.

Chart as in test_culture_components: CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each with a
blood culture that day whose result is in its components; IgG 3.5 g/L on 2026-01-05; evaluated 2026-01-10: two
verified bacterial infections make the card "Ig may be started (general criteria)", none "Ig start not recommended".
"""

from __future__ import annotations

from typing import Any

import pytest

from cds_service.tools.replay import replay

from .test_culture_bounds import DISAGREE, culture_notes
from .test_culture_components import GROWTH, component_cards, part
from .test_culture_negation_scope import MET, NOT_MET, RUNTIME, verdict
from .test_culture_text_unread import AT, bundle

RESULT = {"text": "Resultat"}
UNREAD = {"en": "2 cultures have a result the rules cannot read", "da": "2 dyrkninger har et svar, reglerne ikke kan læse"}


def lines(*texts: str, code: dict[str, Any] = RESULT) -> dict[str, Any]:
    """A result sent as one component of `code` a line."""
    return {"component": [part(text, code) for text in texts]}


# one field's text, a line a component: a no growth printed over two lines
ONE_FIELD_NONE = [("Ikke", "påvist"), ("Ej", "vækst"), ("No", "growth"), ("Ingen", "vækst af Escherichia coli"),
                  ("Ingen vækst af Escherichia", "coli"), ("Ikke påvist:", "Escherichia coli"),
                  ("Ingen vækst af", "Staphylococcus aureus")]


@pytest.mark.parametrize("texts", ONE_FIELD_NONE, ids=" / ".join)
def test_a_fields_lines_sent_as_components_of_one_code_are_one_text(texts: tuple[str, ...]) -> None:
    """Before: a growth ("påvist", "vækst" or "coli" read alone on its component, each its own statement: 'Ikke' /
    'påvist' grew an unknown bacterium). The same lines in one text grow nothing, and so do they here."""
    assert verdict(**lines(*texts)) == "none"
    assert verdict(valueString="\n".join(texts)) == "none"
    assert not [kind for kind, _ in culture_notes(lines(*texts)) if kind == "culture-fields-disagree"]


def test_components_of_two_codes_are_still_two_texts() -> None:
    assert verdict(component=[part("Ingen", GROWTH), part("Escherichia coli")]) == "bacterial"
    assert verdict(**lines("Escherichia coli", "Klebsiella pneumoniae")) == "bacterial"  # two isolates, one field
    assert verdict(**lines("Ingen vækst af Candida", "Escherichia coli")) == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_say_not_found_over_two_lines_of_one_field_do_not_meet_the_criteria(
        lang: str) -> None:
    """"Resultat": "Ikke", then "Resultat": "påvist". Before: 'Ig may be started (general criteria)' on two cultures
    that grew nothing."""
    [found] = component_cards([part("Ikke", RESULT), part("påvist", RESULT)], lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_fields_disagree_still_meet_the_criteria_and_say_so(lang: str) -> None:
    [found] = component_cards([part("Ingen", GROWTH), part("Escherichia coli")], lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"]
    assert DISAGREE[lang] in found["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_deferred_comment_says_none_over_two_notes_do_not_meet_the_criteria(lang: str) -> None:
    """"Vækst: se kommentar", its comment sent a line a note: "Negativ" then "for Staphylococcus aureus". Before: 'Ig
    may be started (general criteria)' (the second note alone named S. aureus, grown). Now one comment, no growth:
    not read, and named."""
    b = bundle("Vækst: se kommentar")
    for entry in b["entry"]:
        if entry["resource"]["id"].startswith("bc"):
            entry["resource"]["note"] = [{"text": "Negativ"}, {"text": "for Staphylococcus aureus"}]
    [found] = replay(RUNTIME, b, at=AT, lang=lang).cards
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]
    assert UNREAD[lang] in found["detail"]
