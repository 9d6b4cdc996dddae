"""An M-protein or a total IgG sent as text (valueString), as Danish laboratories send them (clinical-rules §7).

Before, any result sent as text was skipped ("result has no valueQuantity"): an M-protein "4,0 g/L" was not
subtracted, and an IgG kappa M-protein sent as "spor" left the card saying the myeloma's type was unknown. A text in
the strict form of a quantity ("<2,0 g/L") is now read as the valueQuantity it stands for, by the same code; an
M-protein found but not quantified ("spor") or not found ("Ikke påvist") is read as such; the rest is named, and an
M-protein's type survives. The card charts are in tests/test_acceptance_igg.py (TEXT_CHARTS)."""

from __future__ import annotations

import json
from datetime import date
from zoneinfo import ZoneInfo

import pytest

from cds_service.cards.trace import TRACE_EXTENSION
from cds_service.errors import DataError
from cds_service.tools.replay import replay
from cql_like_rules.facts import Facts
from cds_service.fhir.facts import FactBuilder, m_protein_words, quantity_of_text

from .test_acceptance_igg import IN_WINDOW, NPU, igg, m_text, myeloma, obs
from .test_explain_panel_component import RUNTIME, rows, stored


@pytest.mark.parametrize("text, quantity", [
    ("3,5 g/L", {"value": 3.5, "unit": "g/L"}),
    ("3.5 g/l", {"value": 3.5, "unit": "g/l"}),
    ("<2,0 g/L", {"value": 2.0, "comparator": "<", "unit": "g/L"}),
    ("<= 1 g/L", {"value": 1.0, "comparator": "<=", "unit": "g/L"}),
    (">25 g/L", {"value": 25.0, "comparator": ">", "unit": "g/L"}),
    ("0,500 g/L", {"value": 0.5, "unit": "g/L"}),  # no thousands separator after a 0
    ("350 mg/dL", {"value": 350.0, "unit": "mg/dL"}),
    ("20 µmol/L", {"value": 20.0, "unit": "µmol/L"}),
    ("<0,5", {"value": 0.5, "comparator": "<"}),  # no unit: read as a valueQuantity with none (not used)
    ("3,2", {"value": 3.2}),
])
def test_a_text_in_the_strict_form_is_the_quantity_it_stands_for(text: str, quantity: dict) -> None:
    assert quantity_of_text(text) == quantity


@pytest.mark.parametrize("text", ["1.200 mg/L", "2,500 g/L", "1 200 mg/L", "3,5,1 g/L", "ca. 3 g/L", "3-4 g/L",
                                  "≤4 g/L", "spor", "Ikke påvist", "", "<", "g/L", "3,5 g/L (hæmolyse)", "-1 g/L",
                                  ".5 g/L", "<b>3</b>"])
def test_anything_else_is_not_read(text: str) -> None:
    with pytest.raises(DataError):
        quantity_of_text(text)


@pytest.mark.parametrize("text, said", [
    ("spor", "trace"), ("Spor", "trace"), ("Spor af M-komponent", "trace"), (" spor. ", "trace"), ("trace", "trace"),
    ("påvist, ikke kvantificerbar", "trace"), ("Påvist, men ikke kvantificerbar", "trace"),
    ("detected, not quantifiable", "trace"),
    ("Ikke påvist", "none"), ("M-komponent ikke påvist", "none"), ("Ingen M-komponent påvist", "none"),
    ("Negativ", "none"), ("not detected", "none"),
    ("IgG kappa ikke påvist", ""), ("spor? se kommentar", ""), ("se kommentar", ""), ("ikke udført", ""),
    ("4,0 g/L", ""), ("påvist", ""),
])
def test_m_protein_words(text: str, said: str) -> None:
    assert m_protein_words(text) == said


def _facts(*resources: dict) -> Facts:
    builder = FactBuilder(RUNTIME.terminology, ZoneInfo("Europe/Copenhagen"))
    return builder.build(resources).facts


def test_a_text_goes_the_valuequantity_path() -> None:
    """The IgG and M-protein read from text are the facts a valueQuantity gives, with the text as reported."""
    as_text = _facts(igg("igg", "2026-01-10", "<350 mg/dL", code="2465-3", system="http://loinc.org"),
                     m_text("mp", "2026-01-10", "4000 mg/L", code="NPU28639"))
    as_quantity = _facts(igg("igg", "2026-01-10", None, code="2465-3", system="http://loinc.org",
                             valueQuantity={"value": 350, "comparator": "<", "unit": "mg/dL"}),
                         obs("mp", "2026-01-10", NPU, "NPU28639", 4000, unit="mg/L"))
    [text_igg], [quantity_igg] = as_text.igg, as_quantity.igg
    assert (text_igg.value_g_l, text_igg.comparator) == (quantity_igg.value_g_l, quantity_igg.comparator) == (3.5, "<")
    assert text_igg.reported == "<350 mg/dL"
    [text_m], [quantity_m] = as_text.m_protein, as_quantity.m_protein
    assert (text_m.value_g_l, text_m.isotype, text_m.reported) == (4.0, "IgG", "4000 mg/L")
    assert (quantity_m.value_g_l, quantity_m.isotype, quantity_m.reported) == (4.0, "IgG", "")


def test_a_trace_and_none_found_keep_the_type() -> None:
    facts = _facts(m_text("mp1", "2026-01-10", "spor"), m_text("mp2", "2026-01-12", "Ikke påvist"))
    trace, none = facts.m_protein
    assert (trace.value_g_l, trace.comparator, trace.isotype, trace.reported, trace.unquantified) == \
        (0.0, ">", "IgG", "spor", True)
    assert (none.value_g_l, none.comparator, none.isotype, none.reported, none.unquantified) == \
        (0.0, "", "IgG", "Ikke påvist", False)


def test_an_unreadable_m_protein_is_named_and_types_the_myeloma() -> None:
    facts = _facts(m_text("mp", "2026-01-10", "se kommentar"))
    assert facts.m_protein == ()
    [typed] = facts.immunofixation
    assert (typed.source, typed.isotype) == ("Observation/mp", "IgG")
    [note] = facts.notes
    assert (note.kind, note.display) == ("m-protein-unreadable", "se kommentar")
    assert "not a number with a unit" in note.message


def test_an_unreadable_m_protein_of_no_named_type_types_nothing() -> None:
    facts = _facts(m_text("mp", "2026-01-10", "se kommentar", code="NPU19844"))
    assert facts.m_protein == () and facts.immunofixation == ()
    assert [n.kind for n in facts.notes] == ["m-protein-unreadable"]


@pytest.mark.parametrize("lang, says", [("en", "as reported: “spor”"), ("da", "som svaret: “spor”")])  # quoted, as the card does
def test_the_text_is_in_the_trace_and_on_the_page(lang: str, says: str) -> None:
    data = stored(myeloma(igg("igg", "2026-01-10", 4.3), m_text("mp", "2026-01-10", "spor")), lang)
    [fact] = data["facts"]["m_protein"]
    assert (fact["reported"], fact["comparator"], fact["value_g_l"]) == ("spor", ">", 0.0)
    [row] = [r for r in rows(data, lang) if r[-1] == "Observation/mp"]
    assert says in row[2], row



def test_the_text_is_in_the_cards_trace() -> None:
    chart = myeloma(igg("igg", "2026-01-10", 4.3), m_text("mp", "2026-01-10", "spor"))
    [card] = replay(RUNTIME, chart, lang="en", at=date.fromisoformat(IN_WINDOW)).cards
    traced = json.dumps(card["extension"][TRACE_EXTENSION], ensure_ascii=False)
    assert '"type": "MProteinResult"' in traced and '"reported": "spor"' in traced, traced[:2000]


def test_an_m_protein_given_as_a_number_traces_no_reported_field() -> None:
    data = stored(myeloma(igg("igg", "2026-01-10", 7.0), obs("mp", "2026-01-10", NPU, "NPU28638", 4.0)), "en")
    [fact] = data["facts"]["m_protein"]
    assert "reported" not in fact or fact["reported"] == ""


@pytest.mark.parametrize("total, code, says", [
    (3.5, "order-meets-criteria", "Polyclonal IgG <3.5 g/L on 2026-01-13: total 3.5 g/L − IgG M-protein “spor”"),
    (4.3, "order-does-not-meet-criteria", "polyclonal IgG <4.3 g/L (total 4.3, M-protein “spor”), unclear whether"),
])
def test_an_ig_order_on_a_trace_m_protein(total: float, code: str, says: str) -> None:
    """order-sign: a total below 4 with a trace is a polyclonal IgG below 4 (the order meets the criterion); a higher
    total cannot be placed (it does not), and the M-protein is named as sent."""
    from .test_acceptance_orders import CART, IVIG, Case, cards_of, draft, low
    from .test_acceptance_orders import code as code_of
    from .test_acceptance_orders import m_protein as m_loinc
    trace = {key: value for key, value in m_loinc("mp", "2026-01-13", 0.0).items() if key != "valueQuantity"}
    case = Case("trace", "", [CART, low("2026-01-13", total), {**trace, "valueString": "spor"}], "2026-01-20",
                [draft("d1", IVIG, "2026-01-20")], [])
    [card] = cards_of(case)
    assert code_of(card) == code
    assert says in f"{card['summary']}\n{card['detail']}", card["detail"]


@pytest.mark.parametrize("lang, label", [("en", "M-protein (type only, amount not read)"),
                                         ("da", "M-komponent (kun typen, mængden ikke læst)")])
def test_the_page_names_an_unreadable_typed_m_protein_as_what_it_is(lang: str, label: str) -> None:
    """Second reading: an M-protein whose amount was not read but whose code names IgG kappa types the myeloma; the
    page showed it as an 'Immunofixation' no one did. A real immunofixation keeps its name, and a snapshot stored
    before the field existed still renders as before."""
    from .test_acceptance_igg import ife
    data = stored(myeloma(igg("igg", "2026-01-10", 4.5), m_text("mp", "2026-01-10", "se kommentar"),
                          ife("ife", "2025-12-01", "IgG kappa")), lang)
    shown = {r[-1]: r for r in rows(data, lang)}
    assert shown["Observation/mp"][0] == label and "se kommentar" in shown["Observation/mp"][2], shown
    assert shown["Observation/ife"][0] in ("Immunofixation", "Immunfiksation")
    for fact in data["facts"]["immunofixation"]:
        fact.pop("m_protein_text", None)  # as stored before
    data["facts"].pop("m_protein_unread", None)  # ... which kept no M-protein not read either
    assert {r[-1]: r[0] for r in rows(data, lang)}["Observation/mp"] in ("Immunofixation", "Immunfiksation")


def test_the_type_only_m_protein_text_is_not_in_the_cards_trace() -> None:
    chart = myeloma(igg("igg", "2026-01-10", 4.5), m_text("mp", "2026-01-10", "se kommentar"))
    [card] = replay(RUNTIME, chart, lang="en", at=date.fromisoformat(IN_WINDOW)).cards
    traced = json.dumps(card["extension"][TRACE_EXTENSION], ensure_ascii=False)
    assert "m_protein_text" not in traced and "se kommentar" not in traced.replace('M-protein “se kommentar”', ''), traced[:2000]


@pytest.mark.parametrize("lang, value, says", [
    ("en", 0.0, "value: 0.0 g/L"), ("da", 0.0, "værdi: 0,0 g/L"),
    ("en", "Ikke påvist", "value: 0.0 g/L"), ("en", "spor", "value: >0.0 g/L"),
])
def test_the_page_shows_an_m_protein_of_0(lang: str, value: object, says: str) -> None:
    """Second reading: an M-protein of 0 g/L (none found, as sent or as 'Ikke påvist') lost its value on the page (0
    read as nothing), leaving a row 'M-protein, isotype IgG' that reads as one found; 'spor' lost its '>'."""
    m = obs("mp", "2026-01-10", NPU, "NPU28638", value) if isinstance(value, float) else m_text("mp", "2026-01-10",
                                                                                                   str(value))
    data = stored(myeloma(igg("igg", "2026-01-10", 4.5), m), lang)
    [row] = [r for r in rows(data, lang) if r[-1] == "Observation/mp"]
    assert says in row[2], row
