"""The words naming a course length's unit ("d", "uger", "måneder") are data (valuesets/duration-units.json), which a
site extends in CDS_VALUESET_DIR: a Danish EHR that writes a length as "3 etmål" had its draft's end left unread
("its length could not be read") until the code was changed; a site now adds "etmål" to its own file. The common
Danish abbreviations ("døgn", "mdr.", "t.") are shipped."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cds_service.fhir.facts import FactBuilder
from cql_like_rules.errors import RulesError
from cql_like_rules.valuesets import load_terminology

TZ = ZoneInfo("Europe/Copenhagen")
SHIPPED = load_terminology()


def draft(value: float, unit: str) -> dict[str, Any]:
    return {"resourceType": "MedicationRequest", "id": "ivig-draft", "status": "draft", "intent": "order",
            "subject": {"reference": "Patient/p"},
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-02-01"},
                                                         "boundsDuration": {"value": value, "unit": unit}}}}]}


def site(tmp_path: Path, units: Any) -> str:
    local = tmp_path / "local"
    local.mkdir()
    (local / "duration-units.json").write_text(json.dumps({"units": units}, ensure_ascii=False), encoding="utf-8")
    return str(local)


def read(terminology: Any, value: float, unit: str) -> Any:
    return FactBuilder(terminology, TZ).draft_order(draft(value, unit))


def test_a_site_word_for_a_unit_reads_a_draft_length_the_shipped_words_do_not(tmp_path):
    local = load_terminology(site(tmp_path, [{"unit": "days", "words": ["etmål"], "source": "Hospital X EHR"},
                                             {"unit": "weeks", "words": ["Uge(r)"], "source": "Hospital X EHR"}]))
    before = read(SHIPPED, 3, "etmål")
    assert before.end is None and before.length_unread  # not read, and said so
    assert read(local, 3, "etmål").end == date(2026, 2, 4)
    assert read(local, 2, "uge(r)").end == date(2026, 2, 15)
    assert read(local, 2, "uger").end == date(2026, 2, 15)  # the shipped words stay


@pytest.mark.parametrize("value, unit, end", [
    (10, "d", date(2026, 2, 11)), (10, "dage", date(2026, 2, 11)), (2, "wk", date(2026, 2, 15)),
    (2, "Uger", date(2026, 2, 15)), (1, "mo", date(2026, 3, 1)), (3, "måneder", date(2026, 5, 1)),
    (1, "a", date(2027, 2, 1)), (1, "år", date(2027, 2, 1)), (36, "h", date(2026, 2, 3)),
    (4, "timer", date(2026, 2, 1)), (90, " min ", date(2026, 2, 1)), (1.5, "mo", date(2026, 3, 16)),
    # the Danish abbreviations a ward writes: before they were shipped, each left the length unread
    (3, "døgn", date(2026, 2, 4)), (2, "mdr.", date(2026, 4, 1)), (1, "md", date(2026, 3, 1)),
    (4, "t.", date(2026, 2, 1)), (2, "wks", date(2026, 2, 15)), (36, "hrs", date(2026, 2, 3)),
])
def test_the_shipped_words_read_as_before(value, unit, end):
    assert read(SHIPPED, value, unit).end == end


def test_a_site_word_may_give_a_shipped_word_another_unit(tmp_path):
    """As a site's entry for a shipped code does: the later file wins."""
    local = load_terminology(site(tmp_path, [{"unit": "days", "words": ["time"], "source": "Hospital X EHR"}]))
    assert read(local, 3, "time").end == date(2026, 2, 4)


@pytest.mark.parametrize("units, says", [
    ([{"unit": "fortnights", "words": ["fn"], "source": "x"}], "'unit' must be one of"),
    ([{"unit": "days", "words": [], "source": "x"}], "'words' must be a non-empty list"),
    ([{"unit": "days", "words": ["døgn", 3], "source": "x"}], "'words' must be a non-empty list"),
    ([{"unit": "days", "words": ["døgn"]}], "'source' must say"),
    ([{"unit": "days", "words": ["døgn"], "source": "x"}, {"unit": "weeks", "words": ["DØGN"], "source": "y"}],
     "listed twice"),
    (["døgn"], "an entry is an object"),
])
def test_a_malformed_site_entry_refuses_to_load_naming_the_file_and_the_entry(tmp_path, units, says):
    with pytest.raises(RulesError) as refused:
        load_terminology(site(tmp_path, units))
    message = str(refused.value)
    assert "duration-units.json" in message and says in message
    assert f"entry {len(units)} (" in message and json.dumps(units[-1], ensure_ascii=False)[:20] in message


def test_a_site_file_that_is_not_a_list_of_entries_refuses_to_load(tmp_path):
    local = tmp_path / "local"
    local.mkdir()
    (local / "duration-units.json").write_text('{"days": ["døgn"]}', encoding="utf-8")
    with pytest.raises(RulesError, match="duration-units.json: expected"):
        load_terminology(str(local))


@pytest.mark.parametrize("unit, end", [("uger.", date(2026, 2, 15)), ("Uger.", date(2026, 2, 15)),
                                       ("d.", date(2026, 2, 3)), ("min.", date(2026, 2, 1))])
def test_a_unit_word_with_an_abbreviation_s_full_stop_is_read_as_the_word(unit, end):
    """Before: "2 uger." beside "2 uger" read by a word list matched as written: the draft's end was left unread."""
    value = 2
    assert read(SHIPPED, value, unit).end == end
    assert not read(SHIPPED, value, unit).length_unread


def test_a_site_word_with_a_full_stop_is_the_word_without_it(tmp_path):
    local = load_terminology(site(tmp_path, [{"unit": "months", "words": ["mdr."], "source": "Hospital X EHR"}]))
    assert read(local, 3, "mdr").end == date(2026, 5, 1)
    assert read(local, 3, "Mdr.").end == date(2026, 5, 1)
