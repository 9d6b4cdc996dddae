"""An infection whose code is in no value set is named in the data notes, never counted.

A hospital's local or newer SNOMED CT code for "Sepsis caused by Klebsiella pneumoniae" is in
no value set; its text says what it is, so the card names it (clinical rules §7: data the rules
saw and did not use is named) instead of silently advising as if there had been no infection.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cql_like_rules.valuesets import load_terminology

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)
FIXTURE = "cart-after-window-no-infections-old-igg"


def _with_condition(text: str) -> dict:
    bundle = json.loads((FIXTURES / f"{FIXTURE}.json").read_text())
    patient = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    bundle["entry"].append({"resource": {
        "resourceType": "Condition", "id": "uncoded-infection", "subject": {"reference": f"Patient/{patient['id']}"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1234567008", "display": text}], "text": text},
        "verificationStatus": {"coding": [{"code": "confirmed"}]}, "onsetDateTime": "2025-12-01"}})
    return bundle


@pytest.mark.parametrize(("text", "valueset"), [
    ("Sepsis caused by Klebsiella pneumoniae", "bacterial-infection"),
    ("Urosepsis med E. coli", "bacterial-infection"),
    ("Septisk shock", "bacterial-infection"),
    ("Bakteriæmi med Haemophilus influenzae", "bacterial-infection"),
    ("Bakteriel meningitis", "bacterial-infection"),
    ("Lungebetændelse", "infection-other"),
    ("Bronkopneumoni", "infection-other"),
])
def test_an_infection_with_an_unknown_code_is_named_not_counted(text: str, valueset: str) -> None:
    plain = replay(RUNTIME, json.loads((FIXTURES / f"{FIXTURE}.json").read_text()), at=AT)
    answered = replay(RUNTIME, _with_condition(text), at=AT)
    assert [a.code for a in answered.advice] == [a.code for a in plain.advice]  # an uncoded text is not a verified infection
    named = [n for n in answered.notes if n.source == "Condition/uncoded-infection"]
    assert [n.kind for n in named] == ["unrecognised-code"]
    assert f"looks like '{valueset}'" in named[0].message


def test_infection_hints_leave_other_texts_alone() -> None:
    t = load_terminology()
    for text in ("Antibakteriel profylakse", "Antiseptic skin preparation", "Klorhexidin antiseptisk",
                 "BLODDYRKNING(BAKTERIUM+FUNGUS),B", "Hepatitis B status", "Pneumokokvaccination"):
        assert t.hint_for(text) != "bacterial-infection", text
        assert t.hint_for(text) != "infection-other", text
    assert t.hint_for("BLODDYRKNING(BAKTERIUM+FUNGUS),B") == "culture"


def test_danish_infection_text_keeps_the_fast_lower_case_path() -> None:
    """The hints' characters (æ ...) are ones lower-casing maps exactly: Danish text is not sent to the slow pattern."""
    t = load_terminology()
    for text in ("Bakteriæmi", "LUNGEBETÆNDELSE", "Septikæmi", "Blodforgiftning"):
        assert t._hint_unsafe.search(text) is None, text
        assert t.hint_for(text) is not None, text
