"""What a card names, and as of when (clinical rules §5, "as of" a date; §7-§8, data seen and not used is named, what
a clinician reads). Each chart is a FHIR record as a Danish EHR sends it, evaluated on a day given explicitly.

Faults held here: a therapy's or a diagnosis' name as the EHR wrote it stood unmarked in a card's sentence ("Not
checked: Behandling med CAR-T-celler on …"), so a reader could not tell the record's words from the service's, while
other templates quoted it; a medication record asserted after the day evaluated was read on that day.
"""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest

from cds_service.tools.replay import replay
from tests.test_acceptance_lifecycle import DLBCL, ME, RUNTIME, Chart, car_t, dx, igg
from tests.test_leftovers_myeloma_page import page_of

Resource = dict[str, Any]
SKS = "urn:oid:1.2.208.176.2.4"
CAR_T_WORDS = "Behandling med CAR-T-celler"
VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"


def cards(resources: tuple[Resource, ...], at: date, lang: str = "en", **more: Any) -> list[dict[str, Any]]:
    return list(replay(RUNTIME, Chart("c", resources, (), "").bundle(), at=at, lang=lang, **more).cards)


def text_of(card: dict[str, Any]) -> str:
    return (card["summary"] + "\n" + card.get("detail", "")).replace("\\", "")


# ---- 1. the record's words quoted, the service's not -----------------------------------------------------------------

def car_t_by_name() -> tuple[Resource, ...]:
    """DLBCL, a CAR-T infusion on 2025-11-03 coded with an SKS code no value set holds (BOQX99), its text the
    department's words, IgG 2.8 g/L on 2025-11-20."""
    procedure = {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": ME,
                 "code": {"coding": [{"system": SKS, "code": "BOQX99", "display": CAR_T_WORDS}]},
                 "performedDateTime": "2025-11-03T10:15:00+01:00"}
    return dx(DLBCL, "2025-02-14"), procedure, igg("igg", "2025-11-20", 2.8)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_therapy_known_by_its_name_is_quoted_as_the_record_wrote_it(lang: str) -> None:
    """A haematologist reading 'Not checked: Behandling med CAR-T-celler (BOQX99), 2025-11-03' cannot tell the
    department's words from the service's: the name is the record's, quoted as written (not capitalised or
    reworded), once, in English and Danish alike; the code stays unquoted."""
    [card] = cards(car_t_by_name(), date(2026, 1, 12), lang)
    assert f"“{CAR_T_WORDS}” (BOQX99)" in card["summary"], card["summary"]
    assert "““" not in text_of(card) and "””" not in text_of(card), text_of(card)
    assert "“BOQX99”" not in text_of(card)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_diagnosis_known_by_its_name_is_quoted_once(lang: str) -> None:
    """Templates that quoted a diagnosis' name themselves ('the diagnosis “{drug}”') now take it quoted: once, never
    twice."""
    condition = {"resourceType": "Condition", "id": "dx", "subject": ME, "onsetDateTime": "2025-02-14",
                 "recordedDate": "2025-02-14",
                 "code": {"text": "Non-Hodgkin lymfom", "coding": [{"system": "http://example.org/local", "code": "L123"}]},
                 "verificationStatus": {"coding": [{"system": VER, "code": "confirmed"}]}}
    [card] = cards((condition, car_t("2025-11-03"), igg("igg", "2025-11-20", 2.8)), date(2026, 1, 12), lang)
    assert "“Non-Hodgkin lymfom” (L123)" in card["summary"], card["summary"]
    assert "““" not in text_of(card), text_of(card)


def test_the_explanation_page_quotes_the_record_s_words_among_the_facts() -> None:
    """The facts table on the explanation page shows the record's text quoted, as the card does."""
    page = html.unescape(re.sub(r"<[^>]+>", " ", page_of(Chart("c", car_t_by_name(), (), "").bundle(), "2026-01-12",
                                                          "en")))
    assert f"text: “{CAR_T_WORDS}”; looks like: a CAR-T product; code: BOQX99" in page


# ---- 2. a medication record asserted after the day evaluated was not there to read ----------------------------------

ATC = "http://www.whocc.no/atc"
MYELOMA = ("http://hl7.org/fhir/sid/icd-10", "C90.0", "Myelomatose")


def statement(rid: str, atc: str, display: str, start: str, asserted: str) -> Resource:
    """A medication record (the medication list) of a drug taken since `start`, written on `asserted`."""
    return {"resourceType": "MedicationStatement", "id": rid, "status": "active", "subject": ME,
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": atc, "display": display}]},
            "effectivePeriod": {"start": start}, "dateAsserted": f"{asserted}T09:00:00+01:00"}


def test_a_bispecific_recorded_afterwards_is_not_read_on_an_earlier_day() -> None:
    """Myeloma, IgG 2.8 g/L on 2025-11-20, teclistamab taken since 2025-11-03 (given elsewhere) entered on the
    medication list on 2026-02-01. Replayed as of 2026-01-12 the service must answer as it did that day: nothing
    told of a bispecific then, so no start card dated from a T0 nobody had recorded; from 2026-02-01 the card comes."""
    chart = (dx(MYELOMA, "2025-02-14"), statement("tec", "L01FX24", "Tecvayli", "2025-11-03", "2026-02-01"),
             igg("igg", "2025-11-20", 2.8))
    assert cards(chart, date(2026, 1, 12)) == []
    [card] = cards(chart, date(2026, 2, 2))
    assert card["summary"].startswith("IgG 2.8 g/L < 4 g/L (2025-11-20) after bsAb 2025-11-03: Ig may be started")


def test_immunoglobulin_recorded_afterwards_is_not_read_on_an_earlier_day() -> None:
    """CAR-T 2025-11-03, IgG 2.8 g/L on 2025-11-20, IVIG since 2025-12-01 entered on the medication list on
    2026-02-01. As of 2026-01-12 nobody had recorded substitution: the start criterion is met (§4.1), not a stop to
    plan for a course the service could not know of; from 2026-02-01 the stop at 2026-05-03 is planned (§4.2)."""
    chart = (dx(DLBCL, "2025-02-14"), car_t("2025-11-03"), igg("igg", "2025-11-20", 2.8),
             statement("ivig", "J06BA02", "Privigen", "2025-12-01", "2026-02-01"))
    [before] = cards(chart, date(2026, 1, 12))
    assert "Ig may be started" in before["summary"], before["summary"]
    [after] = cards(chart, date(2026, 2, 2))
    assert "plan the stop attempt on 2026-05-03" in after["summary"], after["summary"]


# ---- 3. an order written "tomorrow" on the request's own day is named, a past day replayed stays quiet ----------------

def test_an_ig_order_written_after_the_request_s_own_day_is_named_and_a_past_day_stays_quiet() -> None:
    """CAR-T 2025-11-03, IgG 2.8 g/L on 2025-11-20, an IVIG order planned from 2025-12-01 whose authoredOn is
    2026-01-13 00:30, on a server whose clock says 2026-01-12: an order 'written tomorrow' is a clock or time zone
    wrong in the EHR, and the patient may be on it. The rules do not read it (clinical rules §5), but data seen and not
    used is named (§7-§8): the start card says so and asks to check whether the patient is already on substitution.
    Replayed as of 2026-01-10 on the same server, the order did not yet exist: nothing is said of it; nor as of a
    fixed 2026-01-12, the clock's day, since a fixed day is a replay of that day (so answers never hang on the date a
    replay is run)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cds_service.runtime import load_runtime
    from cds_service.settings import Settings
    from tests.test_acceptance_lifecycle import ivig_order

    zone = ZoneInfo("Europe/Copenhagen")
    runtime = load_runtime(Settings(), clock=lambda: datetime(2026, 1, 12, 10, 0, tzinfo=zone))
    order = {**ivig_order(start="2025-12-01"), "authoredOn": "2026-01-13T00:30:00+01:00"}
    bundle = Chart("c", (dx(DLBCL, "2025-02-14"), car_t("2025-11-03"), igg("igg", "2025-11-20", 2.8), order), (),
                   "").bundle()
    # on a card inviting a start, the order is named under its decision as Ig the patient may be on (`ig-maybe-on`)
    for lang, said in (("en", "(ordered 2026-01-13; written after the day evaluated) may be Ig the patient is on: check first"),
                       ("da", "(ordineret 2026-01-13; skrevet efter vurderingsdagen) kan være Ig, patienten får: tjek først")):
        [card] = replay(runtime, bundle, lang=lang).cards
        assert "Ig may be started" in card["summary"] or "Ig kan startes" in card["summary"], card["summary"]
        assert said in text_of(card), text_of(card)
    [earlier] = replay(runtime, bundle, at=date(2026, 1, 10)).cards
    assert "2026-01-13" not in text_of(earlier) and "written on" not in text_of(earlier), text_of(earlier)
    # a day fixed by the tester is "as of" that day even when it is the clock's too: the answer never hangs on the
    # calendar of the machine replaying it
    [fixed] = replay(runtime, bundle, at=date(2026, 1, 12)).cards
    assert "Ig may be started" in fixed["summary"] and "written on" not in text_of(fixed), text_of(fixed)


def test_an_ig_order_naming_its_drug_by_a_contained_medication_and_written_later_is_named_by_it() -> None:
    """An IVIG order written 'tomorrow' whose drug is a contained Medication (`medicationReference` '#med', no
    medicationCodeableConcept), as EHRs send a product with its batch: the note names the product as the record does
    ("Privigen 100 mg/ml"), not "?"."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cds_service.runtime import load_runtime
    from cds_service.settings import Settings
    from tests.test_acceptance_lifecycle import ivig_order

    zone = ZoneInfo("Europe/Copenhagen")
    runtime = load_runtime(Settings(), clock=lambda: datetime(2026, 1, 12, 10, 0, tzinfo=zone))
    order = {**ivig_order(start="2025-12-01"), "authoredOn": "2026-01-13T00:30:00+01:00"}
    concept = order.pop("medicationCodeableConcept")
    order["contained"] = [{"resourceType": "Medication", "id": "med",
                           "code": {**concept, "text": "Privigen 100 mg/ml"}}]
    order["medicationReference"] = {"reference": "#med"}
    bundle = Chart("c", (dx(DLBCL, "2025-02-14"), car_t("2025-11-03"), igg("igg", "2025-11-20", 2.8), order), (),
                   "").bundle()
    [card] = replay(runtime, bundle).cards
    assert "“Privigen 100 mg/ml” (ordered 2026-01-13; written after the day evaluated) may be Ig the patient is on" in text_of(card), \
        text_of(card)
    assert " ? " not in text_of(card), text_of(card)


PRIVIGEN = {"resourceType": "Medication", "id": "m1", "code": {"coding": [{"system": ATC, "code": "J06BA02"}],
                                                                  "text": "Privigen 100 mg/ml"}}
# a product sent under its product number (varenummer), known by its ingredient: read as immunoglobulin by that
PRODUCT_NUMBER = {"resourceType": "Medication", "id": "m1",
                  "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.1", "code": "123456"}]},
                  "ingredient": [{"itemCodeableConcept": {"coding": [{"system": ATC, "code": "J06BA02"}],
                                                          "text": "Privigen"}}]}


@pytest.mark.parametrize("reference, medication, named", [
    ("Medication/m1/_history/2", PRIVIGEN, "Privigen 100 mg/ml"),
    ("https://fhir.example.dk/R4/Medication/m1", PRIVIGEN, "Privigen 100 mg/ml"),
    ("Medication/m1", PRODUCT_NUMBER, "Privigen")])
def test_an_ig_order_written_later_is_named_by_the_medication_the_rules_read_it_by(
        reference: str, medication: Resource, named: str) -> None:
    """An IVIG order written 'tomorrow' naming its drug by a Medication sent beside it, by a versioned reference, by
    the Medication's full URL, or a Medication sent under its product number whose ingredient is the immunoglobulin:
    the rules read it as immunoglobulin by that Medication, and the note names the drug as they read it ("Privigen"),
    on the card and in the data-notes extension alike, not the raw reference nor the product number."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cds_service.runtime import load_runtime
    from cds_service.settings import Settings
    from tests.test_acceptance_lifecycle import ivig_order

    zone = ZoneInfo("Europe/Copenhagen")
    runtime = load_runtime(Settings(), clock=lambda: datetime(2026, 1, 12, 10, 0, tzinfo=zone))
    order = {**ivig_order(start="2025-12-01"), "authoredOn": "2026-01-13T00:30:00+01:00"}
    order.pop("medicationCodeableConcept")
    order["medicationReference"] = {"reference": reference}
    bundle = Chart("c", (dx(DLBCL, "2025-02-14"), car_t("2025-11-03"), igg("igg", "2025-11-20", 2.8), medication,
                         order), (), "").bundle()
    for lang, said in (("en", f"“{named}” (ordered 2026-01-13; written after the day evaluated) may be Ig the patient is on"),
                       ("da", f"“{named}” (ordineret 2026-01-13; skrevet efter vurderingsdagen) kan være Ig, patienten får")):
        [card] = replay(runtime, bundle, lang=lang).cards
        assert said in text_of(card), text_of(card)
        assert reference not in text_of(card) and "123456" not in text_of(card), text_of(card)
    [note] = [n for n in card["extension"]["dk.igsub-cds.data-notes"] if n["kind"] == "ig-order-written-later"]
    assert note["display"] == named, note


# the same product whose ingredient is sent as its ATC code alone, with no text or display: known by that code only
PRODUCT_NUMBER_CODED = {**PRODUCT_NUMBER, "ingredient": [{"itemCodeableConcept": {"coding": [{"system": ATC,
                                                                                               "code": "J06BA02"}]}}]}


@pytest.mark.parametrize("contained", [False, True])
def test_an_ig_order_written_later_under_a_product_number_is_named_by_the_code_the_rules_read_it_by(
        contained: bool) -> None:
    """An IVIG order written 'tomorrow' naming a Medication (sent beside it or contained) under its product number
    (varenummer 123456), its ingredient sent as ATC J06BA02 with no words: the rules read the order as immunoglobulin
    by J06BA02, and the note named it "Immunoglobulin order 123456", a number no clinician reads as a drug. It names
    the code the rules read it by, in English and Danish, on the card and in the data-notes extension."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cds_service.runtime import load_runtime
    from cds_service.settings import Settings
    from tests.test_acceptance_lifecycle import ivig_order

    zone = ZoneInfo("Europe/Copenhagen")
    runtime = load_runtime(Settings(), clock=lambda: datetime(2026, 1, 12, 10, 0, tzinfo=zone))
    order = {**ivig_order(start="2025-12-01"), "authoredOn": "2026-01-13T00:30:00+01:00"}
    order.pop("medicationCodeableConcept")
    order["medicationReference"] = {"reference": "#m1" if contained else "Medication/m1"}
    if contained:
        order["contained"] = [PRODUCT_NUMBER_CODED]
    sent = () if contained else (PRODUCT_NUMBER_CODED,)
    bundle = Chart("c", (dx(DLBCL, "2025-02-14"), car_t("2025-11-03"), igg("igg", "2025-11-20", 2.8), *sent, order),
                   (), "").bundle()
    for lang, said in (("en", "J06BA02 (ordered 2026-01-13; written after the day evaluated) may be Ig the patient is on"),
                       ("da", "J06BA02 (ordineret 2026-01-13; skrevet efter vurderingsdagen) kan være Ig, patienten får")):
        [card] = replay(runtime, bundle, lang=lang).cards
        assert said in text_of(card), text_of(card)
        assert "123456" not in text_of(card), text_of(card)
    [note] = [n for n in card["extension"]["dk.igsub-cds.data-notes"] if n["kind"] == "ig-order-written-later"]
    assert note["display"] == "J06BA02", note


def test_an_ig_medication_record_asserted_after_the_request_s_own_day_is_named() -> None:
    """The same for the medication list: IVIG since 2025-12-01 asserted 2026-01-13 on a server whose clock says
    2026-01-12 is not read (§5) and named, asking whether the patient is already on substitution (§7-§8)."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cds_service.runtime import load_runtime
    from cds_service.settings import Settings

    zone = ZoneInfo("Europe/Copenhagen")
    runtime = load_runtime(Settings(), clock=lambda: datetime(2026, 1, 12, 10, 0, tzinfo=zone))
    bundle = Chart("c", (dx(DLBCL, "2025-02-14"), car_t("2025-11-03"), igg("igg", "2025-11-20", 2.8),
                         statement("ivig", "J06BA02", "Privigen", "2025-12-01", "2026-01-13")), (), "").bundle()
    [card] = replay(runtime, bundle).cards
    assert "Ig may be started" in card["summary"], card["summary"]
    assert "“Privigen” (recorded 2026-01-13; written after the day evaluated) may be Ig the patient is on: check first" \
        in text_of(card), text_of(card)
    assert "ig-statement-written-later" in {n["kind"] for n in card["extension"]["dk.igsub-cds.data-notes"]}


# ---- 4. a bispecific order is read from the day it was written, as an immunoglobulin order is ----------------------

def bsab_order(start: str | None, authored: str) -> Resource:
    """A teclistamab order (ATC, no text) planned from `start`, written on `authored`."""
    order: Resource = {"resourceType": "MedicationRequest", "id": "tec", "status": "active", "intent": "order",
                       "subject": ME, "authoredOn": authored,
                       "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01FX24"}]}}
    if start is not None:
        order["dosageInstruction"] = [{"timing": {"repeat": {"boundsPeriod": {"start": start}}}}]
    return order


def test_a_bispecific_order_written_afterwards_is_not_read_on_an_earlier_day() -> None:
    """Myeloma, IgG 2.8 g/L on 2025-11-20, a teclistamab order planned from 2025-11-03 but written on 2026-02-01 (doses
    given meanwhile, ordered afterwards). Replayed as of 2026-01-12 the order did not exist (clinical rules §5): no
    start card 'after bsAb 2025-11-03' from an order nobody had written; from 2026-02-01 the card comes."""
    chart = (dx(MYELOMA, "2025-02-14"), bsab_order("2025-11-03", "2026-02-01"), igg("igg", "2025-11-20", 2.8))
    assert cards(chart, date(2026, 1, 12)) == []
    [card] = cards(chart, date(2026, 2, 2))
    assert card["summary"].startswith("IgG 2.8 g/L < 4 g/L (2025-11-20) after bsAb 2025-11-03: Ig may be started")


@pytest.mark.parametrize("lang, said", [
    ("en", "Bispecific order L01FX24 is written on 2026-01-13, after the day evaluated, and was not read: check its "
           "date and whether the patient is already on it"),
    ("da", "Ordination af bispecifikt antistof L01FX24 er skrevet 2026-01-13, efter vurderingsdagen, og er ikke "
           "læst: tjek datoen, og om patienten allerede får det")])
def test_a_bispecific_order_written_after_the_request_s_own_day_is_named(lang: str, said: str) -> None:
    """CAR-T 2025-11-03, IgG 2.8 g/L on 2025-11-20, a teclistamab order from 2025-12-03 written 2026-01-13 on a server
    whose clock says 2026-01-12: not read (§5), but named on the card (§7-§8), as an immunoglobulin order written
    'tomorrow' is; a past day replayed says nothing of it."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from cds_service.runtime import load_runtime
    from cds_service.settings import Settings

    zone = ZoneInfo("Europe/Copenhagen")
    runtime = load_runtime(Settings(), clock=lambda: datetime(2026, 1, 12, 10, 0, tzinfo=zone))
    bundle = Chart("c", (dx(DLBCL, "2025-02-14"), car_t("2025-11-03"), igg("igg", "2025-11-20", 2.8),
                         bsab_order("2025-12-03", "2026-01-13T00:30:00+01:00")), (), "").bundle()
    [card] = replay(runtime, bundle, lang=lang).cards
    assert "after CAR-T 2025-11-03" in card["summary"] or "efter CAR-T 2025-11-03" in card["summary"], card["summary"]
    assert said in text_of(card), text_of(card)
    [earlier] = replay(runtime, bundle, at=date(2026, 1, 10), lang=lang).cards
    assert "2026-01-13" not in text_of(earlier), text_of(earlier)


# ---- 5. a therapy known by its name only, or dated with no day, is read from the day its record was written ---------

TECVAYLI_LOCAL = {"text": "Tecvayli (teclistamab) 10 mg/ml", "coding": [{"system": "urn:local", "code": "LOC-2"}]}


def by_name_order() -> Resource:
    return {**bsab_order("2025-11-03", "2026-02-01"), "medicationCodeableConcept": TECVAYLI_LOCAL}


def by_name_statement() -> Resource:
    return {**statement("tec", "L01FX24", "Tecvayli", "2025-11-03", "2026-02-01"),
            "medicationCodeableConcept": TECVAYLI_LOCAL}


def month_only_statement() -> Resource:
    return {**statement("tec", "L01FX24", "Tecvayli", "2025-11", "2026-02-01")}


@pytest.mark.parametrize("record, later", [
    (by_name_order, "Not checked: “Tecvayli (teclistamab)…” (LOC-2), 2025-11-03, has a code this service does not know"),
    (by_name_statement, "Not checked: “Tecvayli (teclistamab)…” (LOC-2), 2025-11-03, has a code this service does not "
                        "know"),
    (month_only_statement, "Not checked: Teclistamab is dated “2025-11”, with no day: record the day it was given"),
])
def test_a_therapy_the_rules_cannot_place_is_not_read_before_its_record_was_written(record: Any, later: str) -> None:
    """Myeloma, IgG 2.8 g/L on 2025-11-20, teclistamab from November 2025 known only by a local code, or dated by its
    month only, on an order written or a medication record asserted on 2026-02-01. Replayed as of 2026-01-12 the record
    did not exist (clinical rules §5), as a coded one dated by its day is not read then: no 'Not checked' card of a
    record nobody had written; from 2026-02-01 it comes."""
    chart = (dx(MYELOMA, "2025-02-14"), record(), igg("igg", "2025-11-20", 2.8))
    assert cards(chart, date(2026, 1, 12)) == []
    [card] = cards(chart, date(2026, 2, 2))
    assert card["summary"] == later, card["summary"]
