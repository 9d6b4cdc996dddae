"""A prefetch Bundle entry that holds no resource is named, not skipped in silence.

An entry `"x"` in the `observations` Bundle, or one with a fullUrl and no resource, was passed over with no word,
while a resource without a resourceType got a data note: whatever the EHR sent and the rules could not read is named.
"""

from __future__ import annotations

import copy
import json
from datetime import date

from cds_service.cards.notes import describe
from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import request_from_bundle

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)
BUNDLE = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text())


def _answer(*extra: object):
    request = request_from_bundle(copy.deepcopy(BUNDLE), "patient-view", None)
    request["prefetch"]["observations"]["entry"] += list(extra)
    return answer_local(parse_hook_request(request, "patient-view"), RUNTIME, lang="en", today=AT)


def test_entries_with_no_resource_are_named_once_per_key_and_the_card_stands() -> None:
    answer = _answer("x", {"fullUrl": "urn:uuid:4d7c5c2e-1f7a-4c55-9b1e-0d6f5d1f3a10"}, {"resource": "y"})
    assert [a.code for a in answer.advice] == ["start-substitution"]
    [note] = [n for n in answer.notes if n.source == "prefetch 'observations'"]
    assert note.kind == "invalid" and "3 entries of its Bundle hold no resource" in describe(note)


def test_a_bundle_whose_entries_all_hold_resources_has_no_such_note() -> None:
    answer = _answer()
    assert not any(n.source.startswith("prefetch ") for n in answer.notes)
