"""An M-protein under a laboratory's own code is named on the card, not passed over as "a result not used".

For a myeloma the M-protein decides (polyclonal IgG is total IgG minus an IgG M-protein). An M-protein result
whose code is in no value set ("M-komponent" under a local code) left the card asking to "measure the M-protein"
while the chart held one, named only on the explanation page as a result whose "name names nothing they read".
It is now named on the card as an M-protein whose code is not recognised; it is still not used (a site adds its
code with CDS_VALUESET_DIR), and the advice does not change.
"""

from __future__ import annotations

import copy
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cds_service.tools.replay import replay

from .test_acceptance_lifecycle import RUNTIME

FIXTURE = Path(__file__).resolve().parent.parent / "fhir_fixtures" / "igg-kappa-myeloma-normal-total-low-polyclonal-start.json"
AT = date(2026, 1, 20)  # the fixture's evaluation date: IgG-kappa myeloma, teclistamab from 2025-12-01
LOCAL = "http://hospital.example/lab-codes"


def _with_m_protein_coded(coding: dict[str, Any], text: str) -> dict[str, Any]:
    """The fixture with its M-protein (6.1 g/L on 2026-01-12, beside total IgG 8.7 g/L) under `coding`, named `text`."""
    bundle = json.loads(FIXTURE.read_text())
    for entry in bundle["entry"]:
        if entry["resource"]["id"] == "obs-mprotein-0055":
            entry["resource"]["code"] = {"coding": [coding], "text": text}
    return copy.deepcopy(bundle)


@pytest.mark.parametrize("name", ["M-komponent", "P-M-komponent;massek.", "Paraprotein", "P-M-komp; massek.",
                                  "P-Immunglobulin G(kappa; monoklonalt);massek.", "M Protein SerPl Elph-mCnc",
                                  "Protein.monoclonal [Mass/volume] in Serum"])
@pytest.mark.parametrize("lang, words", [("en", "was not recognised by its code: not used"),
                                         ("da", "blev ikke genkendt på sin kode: ikke brugt")])
def test_an_m_protein_under_a_local_code_is_named_on_the_card(name: str, lang: str, words: str) -> None:
    answered = replay(RUNTIME, _with_m_protein_coded({"system": LOCAL, "code": "MK1"}, name), at=AT, lang=lang)
    [card] = answered.cards
    assert card["source"]["topic"]["code"] == "paraprotein-type-unknown"  # not used: the M-protein is still missing
    detail = card["detail"].replace("\\", "")  # as read: the card's markdown escapes "(" in the record's words
    assert f"“{name[:20]}" in detail and words in detail, detail
    [note] = [n for n in answered.notes if n.source == "Observation/obs-mprotein-0055"]
    assert note.kind == "unrecognised-code" and "'m-protein'" in note.message


def test_the_same_m_protein_under_its_npu_code_is_used() -> None:
    """The fixture as shipped: NPU19844, polyclonal IgG 8.7 - 6.1 = 2.6 g/L, start."""
    coded = {"system": "http://npu-terminology.org", "code": "NPU19844", "display": "P-M-komponent; massek. = ? g/L"}
    answered = replay(RUNTIME, _with_m_protein_coded(coded, "M-komponent"), at=AT)
    [card] = answered.cards
    assert card["source"]["topic"]["code"] == "start-substitution" and "2.6 g/L" in card["summary"]
    assert not [n for n in answered.notes if n.source == "Observation/obs-mprotein-0055"]


@pytest.mark.parametrize("name", [
    "P-Albumin;massek.", "Serum protein elektroforese", "Serum-protein", "C-reaktivt protein",
    "B-Lymfocytter (monoklonale); antalk.", "Monoclonal B-cell lymphocytosis panel",
    "P-Infliximab (monoklonalt antistof); massek.",  # a monoclonal antibody drug's level
    "U-M-komponent; massek.", "Csv-Monoklonale bånd",  # urine and spinal fluid: no serum M-protein
    "M-komponent type (immunfiksation)",  # an immunofixation's type, not a quantity
])
def test_a_result_whose_name_names_no_serum_m_protein_stays_a_result_not_used(name: str) -> None:
    """Named on the explanation page only, as before: "protein" inside "Serum protein", "monoclonal" without an
    immunoglobulin class, an M-protein of urine or spinal fluid, or an immunofixation's type is no serum M-protein."""
    answered = replay(RUNTIME, _with_m_protein_coded({"system": LOCAL, "code": "X1"}, name), at=AT)
    [card] = answered.cards
    assert name[:12] not in card["detail"].replace("\\", "")
    [note] = [n for n in answered.notes if n.source == "Observation/obs-mprotein-0055"]
    assert note.kind == "result-not-used"
