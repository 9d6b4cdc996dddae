"""Known faults of the last changes, each told through what a clinician sees (guideline §3.4, §4.1, §4.2; clinical
rules §2, §5, §7, §8): the booked order's own start on the card that holds it, the words of a data note for an IgG
in the washout of immunoglobulin given for another reason, and the other readings below. Each chart is a FHIR
record as a Danish EHR sends it, evaluated on a day given explicitly.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from tests.test_acceptance_lifecycle import DLBCL, car_t, code, dx, igg, ivig_order
from tests.test_records_left_over import cards, plain
from tests import pages

Resource = dict[str, Any]


# ---- the order booked to begin after the stop date: the card names the day it is to begin --------------------------

def booked_chart() -> tuple[Resource, ...]:
    """CAR-T 2025-11-18, IgG 2.8 g/L, IVIG 2025-12-15 to the stop date 2026-05-18, and its renewal written on
    2026-01-20, booked to begin on 2026-05-19."""
    renewal = {**ivig_order(start="2026-05-19", end="2026-08-19", rid="ivig-2"),
               "authoredOn": "2026-01-20T10:00:00+01:00"}
    return (dx(DLBCL, "2025-02-14"), car_t("2025-11-18"), igg("igg", "2025-12-10", 2.8),
            ivig_order(start="2025-12-15", end="2026-05-18"), renewal)


@pytest.mark.parametrize("lang, words", [
    ("en", "Put the order booked to begin on 2026-05-19 on hold, so substitution pauses from 2026-05-18"),
    ("da", "Sæt ordinationen, der er planlagt at begynde 2026-05-19, i bero, så substitutionen pauseres fra "
           "2026-05-18"),
])
def test_the_card_holding_a_booked_order_names_the_day_it_is_booked_to_begin(lang: str, words: str) -> None:
    """§4.2: the stop is attempted on 2026-05-18, so the renewal booked from 2026-05-19 is put on hold. A clinician
    looking for it in the order list needs its start (before: 'the order booked to begin on or after 2026-05-18',
    a day it does not begin on)."""
    [card] = cards(booked_chart(), date(2026, 2, 1), lang=lang)
    assert code(card) == "stop-planned", code(card)
    assert words in plain(card), plain(card)
    [label] = [s["label"] for s in card["suggestions"]]
    assert "2026-05-19" in label and "2026-05-18" not in label, label


def test_the_due_card_holding_a_booked_order_names_its_start_in_the_suggestion() -> None:
    """Eight days before the stop date the card is due, and its suggestion holds the renewal: named by its start."""
    [card] = cards(booked_chart(), date(2026, 5, 10))
    assert code(card) == "stop-due-soon", code(card)
    assert [s["label"] for s in card["suggestions"]] == ["Put the order booked to begin on 2026-05-19 on hold"]


# ---- an IgG in the washout of immunoglobulin given for another reason only: its data note says so ------------------

def itp_washout_chart() -> dict[str, Any]:
    """CAR-T 2025-11-18, IgG 2.8 g/L on 2025-12-10 (untreated), high-dose IVIG for ITP (D69.3) on 2026-01-10 and
    -11, then IgG 9.5 g/L on 2026-01-20 and 8.0 g/L on 2026-01-27, both within its washout; no substitution."""
    from tests.test_acceptance_stop import igg as stop_igg
    from tests.test_acceptance_substitution import CART, ITP, LOW, bundle, on_days
    return bundle(CART, LOW, on_days("ivig", ["2026-01-10", "2026-01-11"], grams=70, reason=ITP),
                  stop_igg("igg-itp", "2026-01-20", 9.5), stop_igg("igg-itp2", "2026-01-27", 8.0))


@pytest.mark.parametrize("lang, words, wrong", [
    ("en", "IgG 9.5 g/L on 2026-01-20 was taken within the washout of immunoglobulin given for another reason: not "
           "used for a start (§3.4)", "on substitution or in its washout"),
    ("da", "IgG 9,5 g/L den 2026-01-20 er taget i udvaskningen efter immunglobulin givet af anden årsag: ikke brugt "
           "til start (§3.4)", "under substitution eller i udvaskningen"),
])
def test_an_igg_in_the_washout_of_itp_immunoglobulin_only_is_named_so_on_the_explanation_page(
        lang: str, words: str, wrong: str) -> None:
    """§3.4: an IgG taken soon after immunoglobulin shows the infused immunoglobulin, whatever it was given for; the
    patient had no substitution, so a note saying 'taken on substitution or in its washout' tells the clinician of a
    substitution that never was (the card's own caveat already said 'given for another reason')."""
    import html
    import re
    from datetime import datetime, timezone


    from cds_service.tools.replay import replay
    from tests.test_acceptance_lifecycle import RUNTIME

    answer = replay(RUNTIME, itp_washout_chart(), lang=lang, at=date(2026, 2, 1))
    assert [code(c) for c in answer.cards] == ["start-substitution"]
    assert [n.kind for n in answer.notes if n.source == "Observation/igg-itp"] == ["igg-during-other-use"]
    stored = pages.stored(answer, RUNTIME)
    now = datetime(2026, 2, 1, 12, tzinfo=timezone.utc)
    page = html.unescape(re.sub(r"<[^>]+>", " ", pages.rendered(stored, lang, RUNTIME, now)))
    assert words in page
    assert wrong not in page


# ---- a correction written in UTC, its original in Danish time, both taken after midnight in Copenhagen ----------------

def midnight_chart() -> tuple[Resource, ...]:
    """CAR-T 2025-11-03; IgG 3.5 g/L on 2025-12-20; an IgG taken at 00:15 Danish time on 2026-01-11 (3.1 g/L, sent as
    '2026-01-11T00:15:00+01:00', 23:15 UTC on the 10th) and its correction to 4.4 g/L sent in UTC as
    '2026-01-10T23:30:00Z' (00:30 on the 11th in Copenhagen)."""
    original = igg("igg-orig", "2026-01-11", 3.1, effectiveDateTime="2026-01-11T00:15:00+01:00",
                   issued="2026-01-11T07:00:00+01:00")
    correction = igg("igg-corr", "2026-01-11", 4.4, "corrected", effectiveDateTime="2026-01-10T23:30:00Z",
                     issued="2026-01-11T08:00:00Z")
    return (dx(DLBCL, "2025-02-14"), car_t("2025-11-03"), igg("igg-old", "2025-12-20", 3.5), original, correction)


def test_both_copies_taken_after_midnight_in_copenhagen_are_of_the_11th_and_the_correction_is_read_over_http() -> None:
    """Days are Danish days (clinical rules §2; `dates.py`): both samples were taken on 2026-01-11 in Copenhagen,
    whatever zone their time is written in, so they are one day's results and the correction (4.4 g/L: 4-6, general
    SID criteria, §4.1) is read, dated 2026-01-11, the original named as not used. The real server, its clock at
    09:00 UTC on the 11th."""
    from datetime import datetime, timezone

    import httpx

    from cds_service.http.app import create_app
    from cds_service.http.discovery import PATIENT_VIEW_ID
    from cds_service.tools.replay import request_from_bundle
    from tests.environment import tmp_settings
    from tests.servers import serve_in_thread
    from tests.test_acceptance_lifecycle import Chart

    def clock() -> datetime:
        return datetime(2026, 1, 11, 9, 0, tzinfo=timezone.utc)

    body = request_from_bundle(Chart("c", midnight_chart(), (), "").bundle(), "patient-view", None)
    with serve_in_thread(create_app(tmp_settings(), clock=clock)) as base:
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=body, timeout=30)
    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    assert code(card) == "general-criteria-igg-under-6", code(card)
    assert card["summary"].startswith("IgG 4.4 g/L (2026-01-11)"), card["summary"]
    assert "IgG 3.1 g/L, also of 2026-01-11, was not used" in plain(card), plain(card)
    assert "2026-01-10" not in plain(card)


def test_on_the_10th_in_copenhagen_neither_copy_had_been_taken() -> None:
    """Read on 2026-01-10 (Danish day), the correction's UTC date (the 10th) does not bring it forward a day: the
    IgG of 2025-12-20 is the latest, and the start criterion stands."""
    [card] = cards(midnight_chart(), date(2026, 1, 10))
    assert code(card) == "start-substitution", code(card)
    assert "IgG 3.5 g/L" in card["summary"] and "4.4" not in plain(card), plain(card)


# ---- a therapy known by its name only, dated by its month ------------------------------------------------------------

@pytest.mark.parametrize("written, shown, invented", [
    ("2025-11", "2025-11", "2025-11-01"),
    ("2025", "2025", "2025-01-01"),
], ids=["month", "year"])
@pytest.mark.parametrize("kind", ["car-t-procedure", "bsab-dose"])
def test_a_therapy_known_by_its_name_dated_by_its_month_is_shown_with_its_month(kind: str, written: str, shown: str,
                                                                             invented: str) -> None:
    """A CAR-T infusion (or teclistamab dose) under a local code, dated 'performedDateTime: 2025-11': no window can be
    placed (§4.1: T0 is a day; the code is not read either), and the card says it was not checked. The date it names
    is a month: the card says '2025-11', never '2025-11-01', a day the record does not give."""
    from tests.test_acceptance_lifecycle import MYELOMA
    from tests.test_bsab_stopped_and_undated_named import named_dose, named_infusion
    record = {**named_infusion(), "performedDateTime": written} if kind == "car-t-procedure" else \
        {**named_dose("http://hospital.example.dk/drugs", "TEC-1"), "effectiveDateTime": written}
    resources = (dx(MYELOMA, "2023-05-02"), record, igg("igg", "2026-01-08", 3.1))
    for lang in ("en", "da"):
        [card] = cards(resources, date(2026, 1, 12), lang=lang)
        assert code(card) == "therapy-not-recognised", code(card)
        assert f", {shown}," in card["summary"], card["summary"]
        assert invented not in plain(card), plain(card)


# ---- an IVIG order sent twice, active with meta and stopped without --------------------------------------------------

def order_copies() -> tuple[Resource, Resource]:
    active = {**ivig_order(start="2025-12-15"), "meta": {"versionId": "1", "lastUpdated": "2025-12-14T09:00:00+01:00"}}
    stopped = {**ivig_order(start="2025-12-15"), "status": "stopped"}
    return active, stopped


def copies_chart(*order: Resource) -> tuple[Resource, ...]:
    return (dx(DLBCL, "2025-02-14"), car_t("2025-11-18"), igg("igg", "2025-12-10", 2.8), *order)


@pytest.mark.parametrize("arrival", ["active-first", "stopped-first"])
def test_an_ivig_order_sent_active_and_stopped_is_read_by_its_meta_and_the_other_copy_named(arrival: str) -> None:
    """One IVIG order (one id) sent active with meta (version 1) and stopped with none: no status orders an order's
    copies, so the copy with meta is read (on IVIG since 2025-12-15 after CAR-T 2025-11-18: plan the stop attempt on
    2026-05-18, §4.2). Read as stopped, the same chart would be 'Ig start not recommended' (a restart, §4.3): which
    copy is the order's last word decides the card, so the other is named (before: nothing on the card)."""
    active, stopped = order_copies()
    chart = copies_chart(*((active, stopped) if arrival == "active-first" else (stopped, active)))
    [card] = cards(chart, date(2026, 2, 1))
    assert code(card) == "stop-planned", code(card)
    assert "An order (2025-12-15) was also sent as stopped, with nothing saying which copy is the later: check " \
           "which is valid" in plain(card), plain(card)
    [da] = cards(chart, date(2026, 2, 1), lang="da")
    assert "En ordination (2025-12-15) er også sendt som seponeret, uden angivelse af, hvilken kopi der er den " \
           "seneste: tjek, hvilken der gælder" in plain(da), plain(da)


def test_an_order_whose_meta_puts_the_stop_after_the_active_copy_is_its_last_word() -> None:
    """The stopped copy with a later version: the order was stopped (a restart: no start on IgG alone), and nothing
    needs checking: no note."""
    active, stopped = order_copies()
    later = {**stopped, "meta": {"versionId": "2", "lastUpdated": "2026-01-20T09:00:00+01:00"}}
    [card] = cards(copies_chart(active, later), date(2026, 2, 1))
    assert code(card) == "no-start-without-infections", code(card)
    assert "also sent as" not in plain(card), plain(card)


# ---- a medication record sent twice, dated only by when it was recorded or when it ends ------------------------------

def statement_copies(**dates: Any) -> tuple[Resource, ...]:
    """CAR-T 2025-11-18, IgG 2.8 g/L, and one IVIG medication record (one id) sent active with meta and stopped
    without, dated by `dates` alone."""
    from tests.test_acceptance_lifecycle import IVIG, ME, concept
    record = {"resourceType": "MedicationStatement", "id": "ivig-record", "subject": ME,
              "medicationCodeableConcept": concept(IVIG), **dates}
    active = {**record, "status": "active", "meta": {"versionId": "1", "lastUpdated": "2025-12-14T09:00:00+01:00"}}
    return copies_chart(active, {**record, "status": "stopped"})


def page_text(chart: tuple[Resource, ...], at: date, lang: str) -> str:
    """The explanation page of the chart's first card, as read (every data note in full)."""
    import html
    import re
    from datetime import datetime, timezone


    from cds_service.fhir.request import parse_hook_request
    from cds_service.pipeline import answer_local
    from cds_service.tools.replay import request_from_bundle
    from tests.test_acceptance_lifecycle import RUNTIME, Chart
    request = parse_hook_request(request_from_bundle(Chart("c", chart, (), "").bundle()), "patient-view")
    answer = answer_local(request, RUNTIME, lang=lang, today=at)
    data = pages.stored(answer, RUNTIME)
    now = datetime(2026, 2, 1, 11, 30, tzinfo=timezone.utc)
    page = pages.rendered(data, lang, RUNTIME, now)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.parametrize("dates, day", [({"dateAsserted": "2025-12-15"}, "2025-12-15"),
                                        ({"effectivePeriod": {"end": "2026-06-30"}}, "2026-06-30")],
                         ids=["asserted", "period-end"])
@pytest.mark.parametrize("lang, words", [("en", "a medication record ({day}) was also sent as stopped"),
                                         ("da", "en medicinregistrering ({day}) er også sendt som seponeret")])
def test_a_medication_record_sent_twice_is_named_by_the_day_its_other_notes_name(dates: dict[str, Any], day: str,
                                                                               lang: str, words: str) -> None:
    """An IVIG medication record sent active and stopped, dated only by its dateAsserted (read as taken from that
    day: 'IVIG since 2025-12-15 or before'), or only by its period's end (named by that day as not placed in time):
    the note asking which copy is valid named no day ('a medication record was also sent as stopped'), while the
    record's other note and the card named one; the copy's day was read from a list of its own, without dateAsserted
    or a period's end. It is now the record's own day."""
    text = page_text(statement_copies(**dates), date(2026, 2, 1), lang)
    assert words.format(day=day) in text, text


# ---- an ITP order planned for a year: its washout follows the doses given, not the planned end -----------------------

def itp_year_chart(*dose_days: str, linked: bool = True, igg_g_l: float = 2.5) -> dict[str, Any]:
    """CAR-T 2025-11-18; an IVIG order for ITP (D69.3) planned from 2025-12-01 to 2026-12-01, monthly; its doses
    recorded (with no reason of their own, linked to it or not); IgG 2.5 g/L on 2026-04-15; no substitution. (An IgG
    below 4 g/L in the washout decides a start: infused immunoglobulin only raises it. The washout's reach is tested
    with one that may be the infused dose.)"""
    from tests.test_acceptance_stop import igg as stop_igg
    from tests.test_acceptance_substitution import CART, ITP, PRIVIGEN, bundle, on_days, order
    itp = order("itp", PRIVIGEN, "2025-12-01", start="2025-12-01", end="2026-12-01", reason=ITP, grams=70,
                repeat={"frequency": 1, "period": 1, "periodUnit": "mo"})
    given = on_days("itp-dose", list(dose_days), grams=70, **({"request": "itp"} if linked else {}))
    return bundle(CART, itp, *given, stop_igg("igg-apr", "2026-04-15", igg_g_l))


@pytest.mark.parametrize("linked", [True, False], ids=["doses-linked", "doses-in-its-period"])
def test_an_itp_order_of_a_year_whose_doses_stopped_leaves_a_later_igg_usable(linked: bool) -> None:
    """§3.4: an IgG shows infused immunoglobulin while it lasts after a dose, not for as long as an order was planned.
    The ITP doses stopped after 2026-02-02; IgG 2.5 g/L on 2026-04-15, 72 days later, is off immunoglobulin: in the
    window it meets the start criterion (§4.1: 'Ig may be started', stop attempt 2026-05-18). Before: 'taken within
    the washout ... not used: measure IgG', and so would every IgG to 2026-12-29."""
    chart = itp_year_chart("2025-12-02", "2026-01-02", "2026-02-02", linked=linked)
    [card] = cards_of(chart, date(2026, 4, 20))
    assert code(card) == "start-substitution", plain(card)
    assert "IgG 2.5 g/L" in card["summary"] and "2026-05-18" in card["summary"], card["summary"]


def test_an_igg_taken_two_weeks_after_the_itp_orders_latest_dose_stays_set_aside() -> None:
    """The same order with doses to 2026-04-02: IgG 4.5 g/L 13 days after a dose may show it (§3.4): not used, measure
    IgG."""
    chart = itp_year_chart("2025-12-02", "2026-01-02", "2026-02-02", "2026-03-02", "2026-04-02", igg_g_l=4.5)
    [card] = cards_of(chart, date(2026, 4, 20))
    assert code(card) == "measure-igg", code(card)
    assert "washout of immunoglobulin given for another reason" in plain(card), plain(card)


def test_an_itp_order_of_a_year_with_no_dose_recorded_keeps_its_period_as_the_washout() -> None:
    """No dose recorded: the order's period is all the data say of the immunoglobulin given; the IgG in it is not
    used (as before) when it may be the infused dose."""
    chart = itp_year_chart(igg_g_l=4.5)
    [card] = cards_of(chart, date(2026, 4, 20))
    assert code(card) == "measure-igg", code(card)


def cards_of(bundle: dict[str, Any], at: date, lang: str = "en") -> list[dict[str, Any]]:
    from cds_service.tools.replay import replay
    from tests.test_acceptance_lifecycle import RUNTIME
    return list(replay(RUNTIME, bundle, at=at, lang=lang).cards)


# ---- a bispecific dose or CAR-T infusion recorded on hold or with status unknown -------------------------------------

@pytest.mark.parametrize("status, words, ord_da", [("on-hold", "on hold", "i bero"),
                                                   ("unknown", "status unknown", "status ukendt")])
def test_a_bsab_dose_on_hold_or_of_unknown_status_alone_gets_a_card_asking_whether_it_was_given(
        status: str, words: str, ord_da: str) -> None:
    """FHIR R4: `on-hold` is an administration halted for now (EHRs send a dose held, not given, so), `unknown` one
    whose status the source does not know: neither says the drug was given, and T0 is dated only from what happened
    (§4.1; clinical rules §2), as an immunoglobulin dose so recorded is no dose given. The only bispecific record:
    no window, and a card names it and asks whether it was given (before: no card at all)."""
    from tests.test_acceptance_lifecycle import MYELOMA, tec_dose
    from tests.test_records_left_over import timeline_codes, worklist_codes
    resources = (dx(MYELOMA, "2023-05-02"), tec_dose("2025-12-01", status), igg("igg", "2026-01-08", 3.1))
    [card] = cards(resources, date(2026, 1, 12))
    assert code(card) == "therapy-undated", code(card)
    assert f"on 2025-12-01 is not recorded as given ({words})" in card["summary"], card["summary"]
    [da] = cards(resources, date(2026, 1, 12), lang="da")
    assert f"den 2025-12-01 er ikke registreret som givet ({ord_da})" in da["summary"], da["summary"]
    assert worklist_codes(resources, date(2026, 1, 12)) == ["therapy-undated"]
    assert timeline_codes(resources, date(2026, 1, 12)) == ["therapy-undated"]


@pytest.mark.parametrize("status", ["on-hold", "unknown"])
def test_a_bsab_dose_on_hold_before_a_dose_given_does_not_date_the_window_and_is_named(status: str) -> None:
    """The held first dose and a completed one three weeks on: the window opens on the dose given (2025-12-22), and
    the held one is named, so a clinician who knows it was given can correct the record (before: nothing said)."""
    from tests.test_acceptance_lifecycle import MYELOMA, tec_dose
    resources = (dx(MYELOMA, "2023-05-02"), tec_dose("2025-12-01", status), {**tec_dose("2025-12-22"), "id": "tec-2"},
                 igg("igg", "2026-01-08", 3.1))
    [card] = cards(resources, date(2026, 1, 12))
    assert code(card) == "start-substitution", code(card)
    assert "after bsAb 2025-12-22" in card["summary"], card["summary"]
    assert "on 2025-12-01 is not recorded as given (on hold, or status unknown): not used to date the window" \
        in plain(card), plain(card)


@pytest.mark.parametrize("resource", ["Procedure", "MedicationAdministration"])
@pytest.mark.parametrize("status", ["on-hold", "unknown"])
def test_a_car_t_infusion_on_hold_or_of_unknown_status_gets_a_card_asking_whether_cells_were_given(
        status: str, resource: str) -> None:
    """The same for a CAR-T infusion, as a procedure or as the product given: not the infusion (T0), and not silent."""
    from tests.test_acceptance_lifecycle import ATC, ME, concept
    record = car_t("2025-12-01", status) if resource == "Procedure" else {
        "resourceType": "MedicationAdministration", "id": "cart-adm", "status": status, "subject": ME,
        "medicationCodeableConcept": concept((ATC, "L01XL04", "Kymriah (tisagenlecleucel)")),
        "effectiveDateTime": "2025-12-01T10:00:00+01:00"}
    [card] = cards((dx(DLBCL, "2025-02-14"), record, igg("igg", "2026-01-08", 3.1)), date(2026, 1, 12))
    assert code(card) == "therapy-undated", code(card)
    assert "on 2025-12-01 is not recorded as given" in card["summary"], card["summary"]
    assert "If cells were given, record the infusion as given" in plain(card), plain(card)


@pytest.mark.parametrize("status", ["on-hold", "unknown"])
def test_an_immunoglobulin_dose_on_hold_or_of_unknown_status_is_named_as_not_given(status: str) -> None:
    """The same statuses on an immunoglobulin dose are read the same way (no dose given) and named, as before."""
    from tests.test_acceptance_lifecycle import ivig_doses
    [card] = cards((dx(DLBCL, "2025-02-14"), car_t("2025-11-03"), *ivig_doses(status), igg("igg", "2026-01-08", 3.1)),
                   date(2026, 1, 12))
    assert "dose on 2026-01-05 is not recorded as given (on hold, or status unknown)" in plain(card), plain(card)


@pytest.mark.parametrize("kind", ["bsab", "car-t"])
@pytest.mark.parametrize("written, lang, words", [
    ("2025-12", "en", "not recorded as given (on hold), no day read"),
    (None, "en", "not recorded as given (on hold), no day read"),
    ("2025-12", "da", "ikke registreret som givet (i bero), ingen dag læst"),
])
def test_a_dose_or_infusion_on_hold_dated_by_its_month_or_not_at_all_names_no_day(
        kind: str, written: str | None, lang: str, words: str) -> None:
    """A held dose or infusion whose date names no day: the card names no day it does not know (before: 'Teclistamab
    on 2025-12-01 is not recorded as given', a day the record does not give, or 'on ?' with no date at all)."""
    from tests.test_acceptance_lifecycle import MYELOMA, tec_dose
    record: Resource = tec_dose("2025-12-01", "on-hold") if kind == "bsab" else car_t("2025-12-01", "on-hold")
    field = "effectiveDateTime" if kind == "bsab" else "performedDateTime"
    record = {k: v for k, v in record.items() if k != field}
    if written is not None:
        record[field] = written
    diagnosis = dx(MYELOMA, "2023-05-02") if kind == "bsab" else dx(DLBCL, "2025-02-14")
    [card] = cards((diagnosis, record, igg("igg", "2026-01-08", 3.1)), date(2026, 1, 12), lang=lang)
    assert code(card) == "therapy-undated", code(card)
    assert words in card["summary"], card["summary"]
    assert "2025-12-01" not in plain(card) and "?" not in card["summary"], plain(card)
