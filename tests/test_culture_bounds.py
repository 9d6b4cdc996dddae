"""Where a culture's statement ends: a component is its own statement, a history is no growth, and a name wrapped in
capitals is one name.

Chart as in test_culture_text_unread: CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each with a
blood culture that day; IgG 3.5 g/L on 2026-01-05; evaluated 2026-01-10: two verified bacterial infections make the
card "Ig may be started (general criteria)", none "Ig start not recommended" (guideline §4.3: a VERIFIED bacterial
infection counts).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cds_service.fhir.facts import FactBuilder
from cds_service.tools.replay import replay

from .test_culture_components import GROWTH, component_cards, part
from .test_culture_contaminant_by_name import blood_culture
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
                        "da": "2 dyrkninger nævner kun vækst af en bakterie i en kommentar: medregnes ikke; tjek svarene"}
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


# -- each of a culture's texts (its value, each component, each note) is its own statement
RESULT = {"text": "Resultat"}
DISAGREE = {"en": "2 cultures say in one field that nothing grew and name a bacterium grown in another: counted as "
                  "grown; check the results",
            "da": "2 dyrkninger siger i ét felt, at intet voksede, og nævner vækst af en bakterie i et andet: talt "
                  "som vækst; tjek svarene"}
# one text says nothing grew, the next names a bacterium: joined as lines of one text, the first reached the second
ACROSS = {
    "a lone 'Ingen' over the organism": {"component": [part("Ingen", GROWTH), part("Escherichia coli")]},
    "a header over the organism": {"component": [part("Ikke påvist:", RESULT), part("Escherichia coli")]},
    "a phrase over two components": {"component": [part("Ingen", GROWTH), part("Vækst af Escherichia coli", RESULT)]},
    "the value over a component": {"valueString": "Ingen", "component": [part("Escherichia coli")]},
    "a no growth of over the organism": {"component": [part("Ingen vækst af", RESULT), part("Escherichia coli")]},
}
# the same words in one text: one statement printed over lines, as before
WITHIN = [{"component": [part("Ingen\nvækst af Escherichia coli", RESULT)]},
          {"component": [part("Ikke påvist:\nEscherichia coli", RESULT)]},
          {"valueString": "Ingen\nEscherichia coli"}]


def culture_notes(value: dict[str, Any]) -> list[tuple[str, str]]:
    culture = {**blood_culture(value), "subject": {"reference": "Patient/p"}}
    facts = FactBuilder(RUNTIME.terminology, ZoneInfo("Europe/Copenhagen")).build([culture]).facts
    return [(n.kind, n.display) for n in facts.notes if n.kind.startswith("culture")]


@pytest.mark.parametrize("name", list(ACROSS))
def test_a_statement_never_runs_from_one_text_into_the_next(name: str) -> None:
    """Before: 'none' for each (the texts' lines joined into one no-growth statement). Each text is its own
    statement: the bacterium named grew, and the card names the texts' disagreement."""
    assert verdict(**ACROSS[name]) == "bacterial"
    [(kind, _)] = culture_notes(ACROSS[name])
    assert kind == "culture-fields-disagree"


@pytest.mark.parametrize("value", WITHIN)
def test_a_statement_printed_over_lines_of_one_text_is_still_one(value: dict[str, Any]) -> None:
    assert verdict(**value) == "none"
    assert culture_notes(value) == []


def test_a_comment_sent_a_line_a_note_is_one_text() -> None:
    """A laboratory sends a long comment a line a note (HL7 v2 NTE segments): "Ingen" then "vækst af Escherichia
    coli" is one comment, "Ingen vækst af E. coli", as its lines in one note are. Read as two statements, the second
    alone grew E. coli, and the deferred "Vækst: se kommentar" counted it: 'Ig may be started' on a culture that
    grew nothing. The comment says nothing grew: the culture is not read, and named."""
    for notes in (["Ingen", "vækst af Escherichia coli"], ["Negativ", "for Staphylococcus aureus"],
                  ["Ikke påvist:", "Escherichia coli"]):
        value = {"valueString": "Vækst: se kommentar", "note": [{"text": n} for n in notes]}
        assert verdict(**value) == "none", notes
        assert [kind for kind, _ in culture_notes(value)] == ["culture-text-unread"], notes


def test_texts_that_do_not_disagree_are_not_named() -> None:
    for value in ({"component": [part("Vækst", GROWTH), part("Escherichia coli")]},
                  {"component": [part("Ingen vækst", {"text": "Svampe"}), part("Escherichia coli")]},
                  {"component": [part("Ingen vækst", GROWTH), part("Påvist", {"text": "Influenza A"})]},
                  {"valueString": "Ingen vækst af Candida", "component": [part("Escherichia coli")]}):
        assert not [k for k, _ in culture_notes(value) if k == "culture-fields-disagree"], value


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_name_e_coli_beside_a_field_saying_none_meet_the_criteria_and_say_so(
        lang: str) -> None:
    """"Vækst": "Ingen" and "Mikroorganisme": "Escherichia coli". Before: 'Ig start not recommended', the two fields
    read as one "Ingen ... E. coli", with nothing on the card. The laboratory identified E. coli: counted as grown,
    and the card says the fields disagree."""
    [found] = component_cards([part("Ingen", GROWTH), part("Escherichia coli")], lang)
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"]
    assert DISAGREE[lang] in found["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_cultures_say_no_e_coli_over_two_lines_of_one_field_do_not_meet_the_criteria(
        lang: str) -> None:
    [found] = component_cards([part("Ingen\nvækst af Escherichia coli", RESULT)], lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]
    assert DISAGREE[lang] not in found["detail"]


def test_what_a_culture_was_examined_for_is_read_in_its_own_text() -> None:
    """"Screening for" as one component, "Escherichia coli" the next: the organism's component was read as what the
    culture was examined for. Before: 'none'. A component is its own statement: its organism is the finding."""
    assert verdict(component=[part("Screening for", RESULT), part("Escherichia coli")]) == "bacterial"
    assert verdict(component=[part("Screening for\nEscherichia coli", RESULT)]) == "none"  # one text: as before
