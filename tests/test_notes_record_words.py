"""A data note quotes its display only when it is the record's own words, as a card does (`values.named`).

Before, every note template wrote its display in quotes, so a note quoted a name of the service's as if the EHR had
written it: "The therapy “teclistamab” is recorded with no date" (the value set's INN of a record coded only by
ATC), "Immunoglobulin order “J06BA02” has the status unknown" (a code). The mark that a display is the record's
words travels as data on the note (`DataNote.record_words`), so the explanation page, which reads the note back from
its JSON snapshot, quotes as the card does; a snapshot stored before the mark existed shows its notes as it did then.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone
from typing import Any

import pytest

from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.tools.replay import request_from_bundle

from .test_therapy_no_date import undated
from .test_therapy_undated import AT, RUNTIME, SUBJECT, cards, chart, given, procedure
from . import pages

NOW = datetime(2026, 1, 10, 11, 30, tzinfo=timezone.utc)
ATC = "http://www.whocc.no/atc"
DATED_CAR_T = procedure("cart-dated", performedDateTime="2025-12-01")
# a teclistamab dose recorded with no date, coded by ATC only: "teclistamab" is the value set's name, not the record's
TEC_NO_DATE = {**undated(given(), "effectiveDateTime"), "id": "tec-dose",
               "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01FX24"}]}}
# an immunoglobulin dose with no date whose record names it "Privigen": the record's words
IVIG_NO_DATE = {"resourceType": "MedicationAdministration", "id": "ivig-dose", "status": "completed", "subject": SUBJECT,
                "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "J06BA02"}], "text": "Privigen"}}
# an immunoglobulin order with the status unknown, coded by ATC only: the note can name only its code
IVIG_STATUS_UNKNOWN = {"resourceType": "MedicationRequest", "id": "ivig-order", "status": "unknown", "intent": "order",
                       "subject": SUBJECT, "authoredOn": "2026-01-02",
                       "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "J06BA02"}]}}

SAYS = {
    "en": ("*The therapy teclistamab is recorded with no date, so its high-risk window was not placed",
           "An immunoglobulin dose (“Privigen”) recorded with no date was not used"),
    "da": ("*Behandlingen teclistamab er registreret uden dato, så dens højrisikoperiode er ikke placeret",
           "En immunglobulindosis (“Privigen”) registreret uden dato er ikke brugt"),
}


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_note_quotes_the_records_words_and_not_the_services_name(lang: str) -> None:
    [card] = cards(chart(DATED_CAR_T, TEC_NO_DATE), lang)
    assert SAYS[lang][0] in card["detail"], card["detail"]
    assert "“teclistamab”" not in card["detail"]
    [card] = cards(chart(DATED_CAR_T, IVIG_NO_DATE), lang)
    assert SAYS[lang][1][0].upper() + SAYS[lang][1][1:] in card["detail"], card["detail"]


@pytest.mark.parametrize("lang, says", [
    ("en", "Immunoglobulin order J06BA02 has the status unknown and was not used"),
    ("da", "Immunglobulinordination J06BA02 har status ukendt og er ikke brugt"),
])
def test_a_note_naming_a_code_does_not_quote_it(lang: str, says: str) -> None:
    [card] = cards(chart(DATED_CAR_T, IVIG_STATUS_UNKNOWN), lang)
    assert says in card["detail"], card["detail"]


def stored(lang: str, *resources: dict[str, Any]) -> dict[str, Any]:
    """The explanation snapshot of a chart's one card, as the page reads it back from its JSON."""
    request = parse_hook_request(request_from_bundle(chart(*resources)), "patient-view")
    answer = answer_local(request, RUNTIME, lang=lang, today=AT)
    data = pages.stored(answer, RUNTIME)
    return data


def note_rows(data: dict[str, Any], lang: str) -> list[str]:
    page = pages.rendered(data, lang, RUNTIME, NOW)
    [table] = re.findall(r'<table id="notes">(.*?)</table>', page, re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", cells[0]))
            for cells in (re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in table.split("<tr>")) if cells]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_page_quotes_a_note_as_the_card_does_after_its_json(lang: str) -> None:
    data = stored(lang, DATED_CAR_T, TEC_NO_DATE, IVIG_NO_DATE)
    shown = " | ".join(note_rows(data, lang))
    therapy, dose = SAYS[lang]
    assert therapy.lstrip("*").lower() in shown.lower() and dose.lower() in shown.lower(), shown
    assert "“teclistamab”" not in shown


def test_a_snapshot_stored_before_the_mark_shows_its_notes_as_it_did() -> None:
    """A note stored without `record_words` was shown quoted whatever its display: the page still renders it so."""
    data = stored("en", DATED_CAR_T, TEC_NO_DATE)
    for note in data["notes"]:
        note.pop("record_words")
    shown = " | ".join(note_rows(data, "en"))
    assert "the therapy “teclistamab” is recorded with no date" in shown.lower(), shown


def test_no_template_quotes_a_display_or_a_therapy_date_itself() -> None:
    """`values.named` quotes the record's words, once; a template that quoted them too would quote them twice, and one
    that quoted a name of the service's would pass it off as the record's."""
    import inspect

    from cds_service.cards import notes
    from cql_like_rules import catalogue

    assert "“{display}”" not in inspect.getsource(notes)
    assert "“{therapy_recorded}”" not in inspect.getsource(catalogue)
    assert "“{therapy_reason}”" not in inspect.getsource(catalogue)


@pytest.mark.parametrize("lang, summary", [
    ("en", "Not checked: Tisagenlecleucel is dated “2025-10”, with no day: record the day it was given"),
    ("da", "Ikke vurderet: Tisagenlecleucel er dateret “2025-10” uden dag: registrér dagen, den blev givet"),
])
def test_a_therapy_dated_by_its_month_is_quoted_once(lang: str, summary: str) -> None:
    [card] = cards(chart(given()), lang)
    assert card["summary"] == summary
    assert "“2025-10”" in card["detail"] and "““" not in card["detail"] + card["summary"], card["detail"]


NAMED_ONLY_BY_TEXT = {**undated(procedure(), "performedDateTime"), "id": "cart-nodate"}  # coded, its name the record's


def therapy_rows(lang: str, *resources: dict[str, Any], strip: str = "") -> dict[str, str]:
    """The explanation page's facts table (from the snapshot's JSON): each row's details by its source."""
    data = stored(lang, *resources)
    if strip:
        for fact in data["facts"].get("undated_therapies") or []:
            fact.pop(strip, None)
    page = pages.rendered(data, lang, RUNTIME, NOW)
    [table] = re.findall(r'<table id="facts">(.*?)</table>', page, re.S)
    cells = [[html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
             for row in re.findall(r"<tr>(.*?)</tr>", table, re.S) if "<td" in row]
    return {row[-1]: row[2] for row in cells}


@pytest.mark.parametrize("lang, drug", [("en", "drug"), ("da", "lægemiddel")])
def test_the_page_quotes_a_therapys_name_as_written_and_not_its_inn(lang: str, drug: str) -> None:
    """The page quoted only `display` and an M-protein's text: the drug of a therapy with no date read "drug:
    CAR-T-celleterapi" (the record's name, written as if it were the service's) beside "drug: teclistamab"."""
    rows = therapy_rows(lang, DATED_CAR_T, TEC_NO_DATE, NAMED_ONLY_BY_TEXT)
    assert f"{drug}: “CAR-T-celleterapi”" in rows["Procedure/cart-nodate"], rows
    assert f"{drug}: teclistamab" in rows["MedicationAdministration/tec-dose"], rows
    old = therapy_rows(lang, DATED_CAR_T, NAMED_ONLY_BY_TEXT, strip="drug_as_written")  # stored before the mark
    assert f"{drug}: CAR-T-celleterapi" in old["Procedure/cart-nodate"], old


IMPLAUSIBLE_IGG = {"resourceType": "Observation", "id": "igg-x", "status": "final", "subject": SUBJECT,
                   "effectiveDateTime": "2026-01-06", "code": {"coding": [{"system": "http://loinc.org", "code": "2465-3"}]},
                   "valueQuantity": {"value": 250, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}


@pytest.mark.parametrize("mark", [None, "yes", 1])
def test_a_stored_note_of_a_kind_that_never_quoted_stays_plain(mark: object) -> None:
    """A note stored before the mark (or with a mark no true or false) of a kind whose display was never quoted, the
    service's own number ("IgG 250 g/L"), was shown plain then: not “250” now."""
    data = stored("en", DATED_CAR_T, IMPLAUSIBLE_IGG)
    for note in data["notes"]:
        note.pop("record_words")
        if mark is not None:
            note["record_words"] = mark
    shown = " | ".join(note_rows(data, "en"))
    assert "IgG 250 g/L on 2026-01-06 is implausible" in shown and "“" not in shown, shown


def stopped_car_t(reason: dict[str, Any]) -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": "cart-stopped", "status": "stopped", "subject": SUBJECT,
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "1156961008"}]},
            "performedDateTime": "2025-12-01", "statusReason": reason}


@pytest.mark.parametrize("reason, said", [
    ({"coding": [{"system": "http://example.org/reasons", "code": "ng", "display": "Ikke givet"}]}, "“Ikke givet”"),
    ({"text": "Ikke givet", "coding": [{"system": "http://example.org/r", "code": "ng", "display": "Not given"}]},
     "“Ikke givet / Not given”"),
], ids=["display-only", "text-and-display"])
def test_a_reason_not_given_is_quoted_as_the_record_gives_it(reason: dict[str, Any], said: str) -> None:
    """A reason sent only as a coding's display was its text and its display joined: "“Ikke givet Ikke givet”"."""
    [card] = cards(chart(stopped_car_t(reason)), "en")
    assert said in card["detail"], card["detail"]
    shown = " | ".join(note_rows(stored("en", stopped_car_t(reason)), "en"))
    assert f"with the reason {said}" in shown, shown


def unreadable_igg(**value: Any) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": "igg-u", "status": "final", "subject": SUBJECT,
            "effectiveDateTime": "2026-01-06", "code": {"coding": [{"system": "http://loinc.org", "code": "2465-3"}]},
            **value}


def test_danish_quotes_an_unreadable_igg_as_written() -> None:
    """The Danish decimal comma is for the service's own numbers: an IgG sent as "ca. 3.5 g/L" read “ca, 3,5 g/L”,
    quoted as if the laboratory had written it so."""
    [card] = cards(chart(DATED_CAR_T, unreadable_igg(valueString="ca. 3.5 g/L")), "da")
    assert "IgG “ca\\. 3.5 g/L” (2026-01-06) kunne ikke læses" in card["detail"], card["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_unreadable_igg_named_only_by_its_code_is_not_quoted(lang: str) -> None:
    """A coded value with no text: the note can name only its code, which is no word of the record's."""
    coded = {"coding": [{"system": "http://snomed.info/sct", "code": "260385009"}]}
    [card] = cards(chart(DATED_CAR_T, unreadable_igg(valueCodeableConcept=coded)), lang)
    assert "IgG 260385009 (2026-01-06)" in card["detail"], card["detail"]


def test_a_culture_read_negative_beside_an_organism_coded_with_no_text_names_its_code() -> None:
    """A negative interpretation beside E. coli sent as a SNOMED CT code alone: the note named a bacterium grown "()"
    (before: "(“”)"), the organism nowhere; it names the code, unquoted."""
    culture = {"resourceType": "Observation", "id": "bc", "status": "final", "subject": SUBJECT,
               "effectiveDateTime": "2026-01-03", "code": {"coding": [{"system": "http://loinc.org", "code": "600-7"}]},
               "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "112283007"}]},
               "interpretation": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                                               "code": "NEG"}]}]}
    [card] = cards(chart(DATED_CAR_T, culture), "en")
    assert "names a bacterium grown (112283007): not counted" in card["detail"], card["detail"]


def stopped_car_t_on(performed: str) -> dict[str, Any]:
    """A CAR-T infusion recorded stopped, "Ikke givet", with no infusion read: kept as an undated therapy whose
    `recorded` is the service's day of the record's date."""
    reason = {"coding": [{"system": "http://example.org/reasons", "code": "ng", "display": "Ikke givet"}]}
    return {**stopped_car_t(reason), "performedDateTime": performed}


CAR_T_ORDER = {"resourceType": "MedicationRequest", "id": "cart-order", "status": "completed", "intent": "order",
               "subject": SUBJECT, "authoredOn": "2025-11-03",
               "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01XL04"}], "text": "Kymriah"}}


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("therapy", [stopped_car_t_on("2025-11-03T10:00:00+01:00"), CAR_T_ORDER],
                         ids=["stopped-not-given", "order-no-infusion"])
def test_the_page_never_quotes_the_services_day_of_an_undated_therapy(lang: str, therapy: dict[str, Any]) -> None:
    """A CAR-T infusion stopped "Ikke givet" or a CAR-T order with no infusion is kept as an undated therapy whose
    `recorded` is the service's day ("2025-11-03"), not the record's words: the page shows it as a date, unquoted,
    as it shows the day of every fact (the facts table's date column)."""
    data = stored(lang, therapy)
    page = html.unescape(pages.rendered(data, lang, RUNTIME, NOW))
    assert "2025-11-03" in page and "“2025-11-03”" not in page


def m_protein_rows(lang: str, m_protein: dict[str, Any]) -> dict[str, list[str]]:
    from .test_acceptance_igg import igg, myeloma
    from .test_explain_panel_component import rows
    from .test_explain_panel_component import stored as stored_in_window
    data = stored_in_window(myeloma(igg("igg", "2026-01-10", 4.5), m_protein), lang)
    return {row[-1]: row for row in rows(data, lang)}


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_page_does_not_quote_the_dash_of_an_m_protein_with_no_value(lang: str) -> None:
    """An M-protein IgG kappa (NPU28638) sent with no value read “—” on the page, a sign of the service's quoted as if
    the laboratory had written it, and one sent as a bare code its code quoted; one sent as "se kommentar" stays
    quoted."""
    from .test_acceptance_igg import NPU, m_text, obs
    shown = m_protein_rows(lang, obs("mp", "2026-01-10", NPU, "NPU28638"))["Observation/mp"]
    assert "—" in shown[2] and "“—”" not in shown[2], shown
    coded = {**obs("mp", "2026-01-10", NPU, "NPU28638"),
             "valueCodeableConcept": {"coding": [{"system": "http://snomed.info/sct", "code": "260385009"}]}}
    shown = m_protein_rows(lang, coded)["Observation/mp"]  # a code with no text: the service names it by its code
    assert "260385009" in shown[2] and "“260385009”" not in shown[2], shown
    shown = m_protein_rows(lang, m_text("mp", "2026-01-10", "se kommentar"))["Observation/mp"]
    assert "“se kommentar”" in shown[2], shown
