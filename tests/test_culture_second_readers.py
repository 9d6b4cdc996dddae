"""Culture readings the last second readers left silent or wrong (guideline §4.3: only a VERIFIED bacterial infection
counts; spec §7: an organism-unspecified infection counts with a positive bacterial culture near it, and data the
rules saw and did not use is named in the data notes, never dropped in silence).

Each reading below erred towards not starting, with nothing on the card to say why; each test names what the card
said before.

Chart: CAR-T 2025-03-03; pneumonia J18.9 on 2025-10-01 and 2025-12-01, each with a blood culture that day; IgG
3.5 g/L on 2026-01-05; evaluated 2026-01-10 (after the high-risk window: the general criteria decide).
"""

from __future__ import annotations

from typing import Any

import pytest

from .test_culture_components import GROWTH, component_cards, part
from .test_culture_negation_scope import MET, NOT_MET, verdict
from .test_culture_text_unread import NOTE, READ_IT, cards, notes_of


def assert_met(found: dict[str, Any], lang: str) -> None:
    assert found["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert MET[lang][0] in found["summary"] and MET[lang][1] in found["detail"]


def assert_named_not_met(found: dict[str, Any], lang: str, shown: str) -> None:
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOT_MET[lang] in found["summary"]
    said = notes_of(found).replace("\\\\", "")  # the card's markdown escapes (a colon: "\\:")
    assert NOTE[lang] in said and READ_IT[lang] in said and shown in said


# -- 3. a phrase never spans a line break
@pytest.mark.parametrize("text", ["Gær: Ingen\nVækst", "Svampe: ingen\nvækst", "Negativ for gær\nVækst"])
def test_a_no_growth_phrase_does_not_span_a_line_break(text: str) -> None:
    """"Gær: Ingen" says no yeast grew; "Vækst" on the next line is a growth, as "Vækst\\nGær: Ingen" is. Before:
    'none' ("Ingen\\nVækst" was read as the phrase "Ingen vækst", about the whole culture)."""
    assert verdict(valueString=text) == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_with_no_yeast_and_a_growth_on_two_lines_meet_the_general_criteria(lang: str) -> None:
    """Before: 'no-start-without-infections', with no note about the cultures."""
    [found] = cards("Gær: Ingen\nVækst", lang)
    assert_met(found, lang)
    [found] = component_cards([part("Gær: Ingen\nVækst", GROWTH)], lang)
    assert_met(found, lang)


def test_the_same_phrase_on_one_line_is_still_a_no_growth() -> None:
    assert verdict(valueString="Gær: Ingen vækst") == "none"
    assert verdict(valueString="Ingen vækst") == "none"
    assert verdict(valueString="Gær: Ingen\nIngen vækst") == "none"


# -- 5. a finding's name with "info" in it is read; a comment's name stays a comment
FINDING_NAMES = ["Resultatinformation", "Resultat info", "Resultatoplysninger", "Fundinformation",
                 "Mikrobiologisk diagnose"]
COMMENT_NAMES = ["Information til afdelingen", "Kliniske oplysninger", "Klinisk info", "Klinisk diagnose",
                 "Resultatkommentar", "Kommentar til fund", "Resultat bemærkning", "Note til resultat",
                 "Mistænkt mikrobiologisk diagnose", "Rekvisition: resultat", "Undersøgt for (resultat)"]


@pytest.mark.parametrize("name", FINDING_NAMES)
def test_a_component_named_the_result_with_info_in_its_name_is_read(name: str) -> None:
    """Before: 'none' for "Resultatinformation" and "Resultat info" ("info" made them a comment, a note that never
    makes a culture grow), so the E. coli they report was dropped."""
    assert verdict(component=[part("Vækst af Escherichia coli", {"text": name})]) == "bacterial"


@pytest.mark.parametrize("name", COMMENT_NAMES)
def test_a_comment_or_the_request_stays_no_finding_though_its_name_has_a_finding_word(name: str) -> None:
    assert verdict(component=[part("Vækst af Escherichia coli", {"text": name})]) == "none"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_with_e_coli_in_a_result_information_component_meet_the_general_criteria(lang: str) -> None:
    """Before: 'no-start-without-infections' (the finding read as a note: 'a note names a bacterium grown')."""
    [found] = component_cards([part("Vækst af Escherichia coli", {"text": "Resultatinformation"})], lang)
    assert_met(found, lang)
    [found] = component_cards([part("Vækst af Escherichia coli", {"text": "Information til afdelingen"})], lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"


# -- 1. a bare growth beside a virus found is another organism's growth
VIRUS_BESIDE_GROWTH: dict[str, str | list[dict[str, Any]]] = {
    "components: influenza found, growth": [part("Påvist", {"text": "Influenza A"}), part("Vækst", GROWTH)],
    "components: growth, CMV PCR positive": [part("Vækst", GROWTH), part("Positiv", {"text": "CMV PCR"})],
    "value: growth, RSV found": "Vækst\nRSV påvist",
    "value: growth, no fungi, RSV found": "Vækst\nSvampe: Ingen vækst\nRSV påvist",
}


@pytest.mark.parametrize("name", list(VIRUS_BESIDE_GROWTH))
def test_a_bare_growth_beside_a_virus_found_is_a_bacterial_growth(name: str) -> None:
    """A virus is found by a test, never grown in a culture's bottle: the "Vækst" beside it is another organism's,
    as "Vækst" alone is a bacterial culture's growth (§4.3, §7). Before: 'other' (the virus alone decided)."""
    value = VIRUS_BESIDE_GROWTH[name]
    assert (verdict(valueString=value) if isinstance(value, str) else verdict(component=value)) == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_with_a_growth_beside_influenza_found_meet_the_general_criteria(lang: str) -> None:
    """Before: 'no-start-without-infections', with no note about the cultures' growth."""
    [found] = component_cards([part("Påvist", {"text": "Influenza A"}), part("Vækst", GROWTH)], lang)
    assert_met(found, lang)
    [found] = cards("Vækst\nRSV påvist", lang)
    assert_met(found, lang)


def test_a_virus_or_a_fungus_found_alone_or_beside_a_no_growth_is_still_no_bacterial_growth() -> None:
    assert verdict(valueString="RSV påvist") == "other"
    assert verdict(valueString="Influenza A påvist") == "other"
    assert verdict(component=[part("Påvist", {"text": "Influenza A"})]) == "other"
    assert verdict(component=[part("Ingen vækst", GROWTH), part("Påvist", {"text": "Influenza A"})]) in ("other", "none")
    assert verdict(valueString="Vækst\nSvampe: Påvist") == "other"  # the growth there may be the fungus: as before
    assert verdict(valueString="Vækst af Candida\nRSV påvist") == "other"  # the growth is named: a yeast
    assert verdict(valueString="Vækst: nej\nRSV påvist") == "other"  # no bare growth


# -- 2. "Vækst: se kommentar" reads the same alone and beside a line about the fungi: what grew is in the comment
COMMENT = {"text": "Kommentar"}
DEFERRED: dict[str, dict[str, Any]] = {"value alone": {"valueString": "Vækst: se kommentar"},
            "value, no fungi": {"valueString": "Vækst: se kommentar\nSvampe: Ingen vækst"},
            "components alone": {"component": [part("Vækst: se kommentar", GROWTH)]},
            "components, no fungi": {"component": [part("Vækst: se kommentar", GROWTH),
                                                   part("Ingen vækst", {"text": "Svampe"})]}}


@pytest.mark.parametrize("name", list(DEFERRED))
def test_a_growth_deferred_to_a_comment_is_read_from_the_comment_alone_or_beside_the_fungi(name: str) -> None:
    """The laboratory says something grew and puts what in its comment: the comment names it. Before: alone, a
    growth of an unknown organism (a contaminant in the comment verified); beside "Svampe: Ingen vækst", no growth
    (an S. aureus in the comment was dropped, and nothing said)."""
    value = DEFERRED[name]
    with_comment = {**value, "component": [*value.get("component", []), part("Staphylococcus aureus", COMMENT)]}
    assert verdict(**with_comment) == "bacterial"
    with_contaminant = {**value, "component": [*value.get("component", []),
                                               part("Staphylococcus epidermidis", COMMENT)]}
    assert verdict(**with_contaminant) == "contaminant"
    assert verdict(**value, note=[{"text": "Escherichia coli"}]) == "bacterial"
    assert verdict(**value) == "none"  # no comment names what grew: not read, and named (below)


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("text", ["Vækst: se kommentar", "Vækst: se kommentar\nSvampe: Ingen vækst"])
def test_two_pneumonias_with_a_growth_deferred_to_no_comment_are_named(text: str, lang: str) -> None:
    """Before: alone 'Ig may be started (general criteria)' on a growth nobody named; beside the fungus line 'Ig start
    not recommended' with no note."""
    [found] = cards(text, lang)
    assert_named_not_met(found, lang, "Vækst: se kommentar")


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_with_a_growth_whose_comment_names_s_aureus_meet_the_general_criteria(lang: str) -> None:
    """Before: 'no-start-without-infections', with no note (the fungus line negated the whole culture)."""
    [found] = component_cards([part("Vækst: se kommentar", GROWTH), part("Ingen vækst", {"text": "Svampe"}),
                               part("Staphylococcus aureus", COMMENT)], lang)
    assert_met(found, lang)


# -- 4. what the rest of a culture says beside a line about the fungi reads as it would alone, or is named
@pytest.mark.parametrize(("text", "expected"), [
    ("Vækst af Aerococcus urinae\nSvampe: ingen vækst", "bacterial"),  # a growth of an organism no list knows
    ("Vækst af Aerococcus urinae\nAnaerob flaske: Ingen vækst", "bacterial"),
    ("Aerococcus urinae\nSvampe: ingen vækst", "none"),  # a name no list knows, no growth word: unread (named)
])
def test_an_organism_no_list_knows_beside_the_fungi_reads_as_it_does_alone(text: str, expected: str) -> None:
    """Before: 'none' for each, with no note."""
    assert verdict(valueString=text) == expected
    assert verdict(valueString=text.split("\n")[0]) == expected


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_with_an_unknown_organism_beside_the_fungi(lang: str) -> None:
    """Before: 'no-start-without-infections' with no note on either culture."""
    [found] = cards("Vækst af Aerococcus urinae\nSvampe: ingen vækst", lang)
    assert_met(found, lang)
    [found] = cards("Aerococcus urinae\nSvampe: ingen vækst", lang)
    assert_named_not_met(found, lang, "Aerococcus urinae")


@pytest.mark.parametrize("text", ["Vækst: ja\nSvampe: ingen vækst", "Positiv kontrol\nSvampe: Ingen vækst",
                                  "Vækst:\nSvampe: Ingen vækst", "Dyrket 5 døgn\nSvampe: Ingen vækst"])
@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_growth_field_answered_in_words_no_list_knows_beside_the_fungi_is_named(text: str, lang: str) -> None:
    """Still no growth (test_culture_growth_scope), but now named. Before: a silent no growth."""
    [found] = cards(text, lang)
    assert_named_not_met(found, lang, text.split("\n")[0].rstrip(":"))


def test_a_line_about_the_fungi_alone_is_still_a_silent_no_growth() -> None:
    for text in ("Svampe: Ingen vækst", "Anaerob flaske: Ingen vækst", "Aerob flaske: Ingen vækst\nAnaerob flaske: "
                 "Ingen vækst"):
        assert verdict(valueString=text) == "none"


# -- 6. a component's own coded interpretation is read as the Observation's is
POS = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "POS"}]}]
NEG = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "NEG"}]}]


def judged(value: str, interpretation: list[dict[str, Any]], code: dict[str, Any] | None = None) -> dict[str, Any]:
    return {**(part(value, code) if code else part(value)), "interpretation": interpretation}


def test_a_coded_negative_on_the_only_finding_component_is_no_growth() -> None:
    """Before: 'none' with the note 'a result the rules cannot read' ("Svar ved afdelingen" unread), where the
    laboratory coded its finding negative."""
    assert verdict(component=[judged("Svar ved afdelingen", NEG)]) == "none"
    assert verdict(component=[judged("Staphylococcus aureus", NEG)]) == "none"  # named as a disagreement, as before


def test_a_coded_positive_on_a_finding_component_is_a_growth() -> None:
    """Before: 'none', with an unread note: the laboratory's coded positive was not read."""
    assert verdict(component=[judged("Svar ved afdelingen", POS)]) == "bacterial"
    assert verdict(component=[judged("Svar ved afdelingen", POS), judged("Ingen vækst", NEG, {"text": "Svampe"})]) \
        == "bacterial"
    assert verdict(component=[judged("Candida albicans", POS)]) == "other"  # what grew still decides its kind


def test_the_observations_own_coded_interpretation_still_decides() -> None:
    assert verdict(component=[judged("Svar ved afdelingen", NEG)], interpretation=POS) == "bacterial"
    assert verdict(component=[judged("Svar ved afdelingen", POS)], interpretation=NEG) == "none"


def test_a_negative_on_one_of_two_findings_or_on_a_comment_decides_nothing() -> None:
    assert verdict(component=[part("Staphylococcus aureus"), judged("Ingen vækst", NEG, {"text": "Svampe"})]) \
        == "bacterial"
    assert verdict(component=[part("Staphylococcus aureus"), judged("Ingen bemærkninger", NEG, {"text": "Kommentar"})]) \
        == "bacterial"


@pytest.mark.parametrize("lang", ["en", "da"])
def test_two_pneumonias_whose_culture_component_is_coded_positive_meet_the_general_criteria(lang: str) -> None:
    """Before: 'no-start-without-infections' and 'a result the rules cannot read' on each culture."""
    [found] = component_cards([judged("Svar ved afdelingen", POS)], lang)
    assert_met(found, lang)
    [found] = component_cards([judged("Svar ved afdelingen", NEG)], lang)
    assert found["source"]["topic"]["code"] == "no-start-without-infections"
    assert NOTE[lang] not in notes_of(found)
