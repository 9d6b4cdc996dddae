"""A card's line of data notes: the notes it names, the rest counted, each a sentence a clinician reads as written."""

from __future__ import annotations

import pytest

from cds_service.cards.notes import brief, notes_line
from cql_like_rules.facts import DataNote

OTHERS = [DataNote("wrong-patient", f"Observation/o{k}", "of another patient") for k in (1, 2)]
INVALID = DataNote("invalid", "Observation/bad", "unusable")


@pytest.mark.parametrize(("lang", "linked", "line"), [
    ("en", True, "3 data notes on the explanation page."),
    ("en", False, "3 data notes not shown here."),
    ("da", True, "3 datanoter på begrundelsessiden."),
    ("da", False, "3 datanoter ikke vist her."),
])
def test_data_notes_only_counted_are_one_whole_sentence(lang, linked, line):
    assert brief([*OTHERS, INVALID], lang, max_groups=0, linked=linked) == line


@pytest.mark.parametrize(("lang", "linked", "line"), [
    ("en", True, "2 resources of other patients were ignored; +1 more on the explanation page."),
    ("en", False, "2 resources of other patients were ignored; +1 more data note."),
    ("da", True, "2 ressourcer om andre patienter er ignoreret; +1 mere på begrundelsessiden."),
    ("da", False, "2 ressourcer om andre patienter er ignoreret; +1 datanote mere."),
])
def test_notes_named_and_the_rest_counted_keep_their_parts_apart(lang, linked, line):
    """The line as a card shows it, and its parts, from which a card that also cut caveats says both counts at once."""
    found = notes_line([*OTHERS, INVALID], lang, max_groups=1, linked=linked)
    assert found.text == line
    assert (found.named, found.counted) == (line.split(";")[0], 1)
