"""Known faults of the last changes, second part, each told through what a clinician sees (guideline §3.4, §4.1,
§4.3; clinical rules §2, §3, §5, §8): a restart judged on one IgG by patient-view and order-sign alike, a record dated
by its month named with that month, a copy's day as the Danish day, the worklist's mark on the record doubted, and
nothing named from after the day the chart is evaluated on. Each chart is a FHIR record as a Danish EHR sends it,
evaluated on a day given explicitly.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.tools.replay import replay
from tests.test_acceptance_lifecycle import (DLBCL, ICD10, RUNTIME, Chart, car_t, code, dx, igg, ivig_draft,
                                             ivig_order)
from tests.test_records_left_over import plain
from tests import pages

Resource = dict[str, Any]
SEVERE = {"coding": [{"system": "http://snomed.info/sct", "code": "24484000", "display": "Severe"}]}


def hooks(resources: tuple[Resource, ...], at: date, lang: str = "en") -> tuple[dict[str, Any], dict[str, Any]]:
    """The one patient-view card and the one order-sign card on an IVIG draft to start that day."""
    bundle = Chart("c", resources, (), "").bundle()
    [view] = replay(RUNTIME, bundle, at=at, lang=lang).cards
    [sign] = replay(RUNTIME, bundle, at=at, lang=lang, hook="order-sign", drafts=[ivig_draft(at.isoformat())]).cards
    return view, sign


# ---- 1. a restart: patient-view and order-sign judge it on the same IgG, for the same reason -------------------------

def restart_chart(igg_day: str, *, car_t_day: str = "2025-11-03", course: tuple[str, str] = ("2025-11-25", "2025-12-20"),
                  infection: str | None = None) -> tuple[Resource, ...]:
    """CAR-T 2025-11-03 (stop date 2026-05-03), IgG 2.8 g/L on 2025-11-20, IVIG from 2025-11-25 stopped on
    2025-12-20 (the course since T0 ended: a new start is a restart, §4.3), IgG 3.0 g/L taken off substitution on
    `igg_day`; a severe sepsis on `infection` when given."""
    stopped = ivig_order(status="stopped", start=course[0], end=course[1])
    sepsis = (dx((ICD10, "A41.9", "Sepsis, uspecificeret"), infection, rid="sepsis", severity=SEVERE),) \
        if infection else ()
    return (dx(DLBCL, "2025-02-14"), car_t(car_t_day), igg("igg-t0", "2025-11-20", 2.8), stopped,
            igg("igg", igg_day, 3.0), *sepsis)


@pytest.mark.parametrize("igg_day, age", [("2026-02-15", 20), ("2026-02-04", 31), ("2026-01-20", 46)])
def test_a_restart_in_the_window_without_infections_is_refused_on_the_same_igg_by_both_hooks(igg_day: str,
                                                                                           age: int) -> None:
    """§4.3: a restart follows the general criteria even inside the window: IgG below 4 g/L and severe or recurrent
    verified bacterial infections. With none recorded, IgG 3.0 g/L however old leaves the criteria unmet for want of
    infections (clinical rules §3: without them the latest IgG < 4 gives 'criteria not met'), and no IgG is to be
    measured. Patient-view said so on the IgG of 46 days; order-sign, the same day, called it 'no usable IgG within
    30 days' and offered an IgG order: two reasons for one decision."""
    view, sign = hooks(restart_chart(igg_day), date(2026, 3, 7))
    assert code(view) == "no-start-without-infections", plain(view)
    assert code(sign) == "order-does-not-meet-criteria", plain(sign)
    shown = f"IgG 3.0 g/L on {igg_day}" + (f", {age} days old" if age > 30 else "")
    for card in (view, sign):
        assert shown in plain(card), plain(card)
        assert "no severe/recurrent verified bacterial infection" in card["summary"], card["summary"]
        assert "no usable IgG" not in plain(card), plain(card)
        assert not card.get("suggestions"), card.get("suggestions")
    [da] = hooks(restart_chart(igg_day), date(2026, 3, 7), lang="da")[1:]
    assert "ingen brugbar IgG" not in plain(da), plain(da)


def test_a_restart_in_the_window_with_a_severe_infection_and_an_igg_of_46_days_asks_both_hooks_for_an_igg() -> None:
    """The reverse: with a severe sepsis the IgG decides, and inside the window one older than 30 days is no recent
    result (clinical rules §3): patient-view asks for IgG, order-sign names the same want."""
    view, sign = hooks(restart_chart("2026-01-20", infection="2026-02-10"), date(2026, 3, 7))
    assert code(view) == "measure-igg", plain(view)
    assert code(sign) == "order-does-not-meet-criteria", plain(sign)
    assert "no usable IgG for 30 days" in sign["summary"], sign["summary"]
    assert "no severe/recurrent" not in sign["summary"], sign["summary"]


def test_a_restart_after_the_window_without_infections_is_refused_on_an_igg_of_102_days_by_both_hooks() -> None:
    """After the window (CAR-T 2025-05-03, stop date 2025-11-03; IVIG stopped 2025-11-03) the same holds with the
    after-window age: IgG 3.0 g/L 102 days old and no infection: criteria not met for want of infections, both
    hooks."""
    chart = restart_chart("2025-12-20", car_t_day="2025-05-03", course=("2025-06-01", "2025-11-03"))
    view, sign = hooks(chart, date(2026, 4, 1))
    assert code(view) == "no-start-without-infections", plain(view)
    assert code(sign) == "order-does-not-meet-criteria", plain(sign)
    for card in (view, sign):
        assert "IgG 3.0 g/L on 2025-12-20, 102 days old" in plain(card), plain(card)
        assert "no usable IgG" not in plain(card), plain(card)


# ---- 2. a record dated by its month only is named with that month, never its first day ------------------------------

def explanation_page(bundle: dict[str, Any], at: date, lang: str = "en") -> str:
    """The explanation page of the first card of a patient-view answer, as text."""
    import html
    import re
    from datetime import datetime, timezone



    answer = replay(RUNTIME, bundle, lang=lang, at=at)
    stored = pages.stored(answer, RUNTIME)
    now = datetime(at.year, at.month, at.day, 12, tzinfo=timezone.utc)
    return html.unescape(re.sub(r"<[^>]+>", " ", pages.rendered(stored, lang, RUNTIME, now)))


def month_chart() -> tuple[Resource, ...]:
    """Myeloma; a teclistamab dose recorded on hold dated '2025-11' (no day), a dose given on 2025-11-20 (T0), IgG
    3.1 g/L on 2026-01-08."""
    from tests.test_acceptance_lifecycle import MYELOMA, tec_dose
    held = {**tec_dose("2025-11-01", "on-hold"), "effectiveDateTime": "2025-11"}
    return (dx(MYELOMA, "2023-05-02"), held, {**tec_dose("2025-11-20"), "id": "tec-2"}, igg("igg", "2026-01-08", 3.1))


@pytest.mark.parametrize("lang, words", [
    ("en", "The bispecific dose teclistamab in 2025-11 is not recorded as given"),
    ("da", "Den bispecifikke dosis teclistamab i 2025-11 er ikke registreret som givet"),
])
def test_a_dose_dated_by_its_month_is_named_in_that_month_on_the_card_and_the_page(lang: str, words: str) -> None:
    """The held dose's record gives November, not a day: its data note says 'in 2025-11' (before: 'on 2025-11-01', a
    day the record does not give, which a clinician looking it up finds nowhere)."""
    from tests.test_records_left_over import cards
    [card] = cards(month_chart(), date(2026, 1, 12), lang=lang)
    assert code(card) == "start-substitution", code(card)
    assert words in plain(card), plain(card)
    assert "2025-11-01" not in plain(card), plain(card)
    page = explanation_page(Chart("c", month_chart(), (), "").bundle(), date(2026, 1, 12), lang)
    assert words[4:] in page and "2025-11-01" not in page


def test_an_immunoglobulin_dose_an_infection_and_a_car_t_record_dated_by_their_month_are_named_so() -> None:
    """The same for an IVIG dose on hold ('2025-12'), an unconfirmed pneumonia ('2025-12') and a CAR-T infusion
    stopped with nothing given ('2025-11'): each note gives the month as written."""
    from tests.test_acceptance_lifecycle import PNEUMONIA, ivig_dose
    dose = {**ivig_dose("ig-held", "2025-12-01", "on-hold"), "effectiveDateTime": "2025-12"}
    pneumonia = dx(PNEUMONIA, "2025-12", rid="pneu", ver="provisional")
    not_given = {**car_t("2025-11-03", "stopped", rid="cart-ng"), "performedDateTime": "2025-11",
                 "statusReason": {"text": "Ikke givet"}}
    answer = replay(RUNTIME, Chart("c", (dx(DLBCL, "2025-02-14"), car_t("2025-11-20"), not_given, dose, pneumonia,
                                         igg("igg", "2026-01-08", 3.1)), (), "").bundle(), at=date(2026, 1, 12))
    [card] = answer.cards
    # on the start card, the dose not known given is named under the decision (`ig-maybe-on`), its month as written
    assert "” (dated 2025-12; not recorded as given) may be Ig the patient is on" in plain(card), plain(card)
    from cds_service.cards.notes import describe, note_day, one_line
    lines = {n.kind: one_line(n.kind, "en", n.source, n.display, note_day(n)) for n in answer.notes}
    assert "a CAR-T infusion in 2025-11 is recorded as stopped" in lines["car-t-stopped-not-given"]
    assert "(2025-12) is not confirmed" in lines["infection-unconfirmed"]
    assert not any("-01" in describe(n) for n in answer.notes if n.source != "Observation/igg"), \
        [describe(n) for n in answer.notes]


def test_a_record_not_given_dated_by_the_month_of_the_infusion_does_not_stand_before_it() -> None:
    """A CAR-T infusion recorded stopped with nothing given, dated '2025-11', and the infusion given on 2025-11-20: the
    record may be of any day of November, before the infusion or after it (a second bag not given), so nothing places
    it before the infusion. It is named (its note), and no card of its own stands on the days before the infusion as if
    from 2025-11-01 (before: 'CAR-T … not given' from the 1st). One dated '2025-10' lies before it: its card stands."""
    from tests.test_records_left_over import timeline_codes
    not_given = {**car_t("2025-11-03", "stopped", rid="cart-ng"), "performedDateTime": "2025-11",
                 "statusReason": {"text": "Ikke givet"}}
    chart = (dx(DLBCL, "2025-02-14"), car_t("2025-11-20"), not_given, igg("igg", "2026-01-08", 3.1))
    assert timeline_codes(chart, date(2025, 11, 10)) == []
    october = (*chart[:2], {**not_given, "performedDateTime": "2025-10"}, *chart[3:])
    assert timeline_codes(october, date(2025, 11, 10)) == ["therapy-undated"]


# ---- 3. a copy's note names the Danish day, and a copy with no status says so ----------------------------------------

def test_a_copy_written_in_utc_before_midnight_is_named_by_its_danish_day() -> None:
    """An IVIG order sent active (with meta) and stopped (without), both written '2025-12-14T23:30:00Z': 00:30 on 15
    December in Copenhagen, the day the rules count (clinical rules §2; `dates.py`). The note named 2025-12-14, a
    day the order was not written on in Denmark."""
    from tests.test_leftovers_named import copies_chart, order_copies
    from tests.test_records_left_over import cards
    active, stopped = ({**c, "authoredOn": "2025-12-14T23:30:00Z"} for c in order_copies())
    for lang, words in (("en", "An order (2025-12-15) was also sent as stopped"),
                        ("da", "En ordination (2025-12-15) er også sendt som seponeret")):
        [card] = cards(copies_chart(active, stopped), date(2026, 2, 1), lang=lang)
        assert words in plain(card), plain(card)
        assert "2025-12-14" not in plain(card), plain(card)


@pytest.mark.parametrize("lang, words, wrong", [
    ("en", "An order (2025-12-15) was also sent with no status, with nothing saying which copy is the later: check "
           "which is valid", "None"),
    ("da", "En ordination (2025-12-15) er også sendt uden status, uden angivelse af, hvilken kopi der er den seneste: "
           "tjek, hvilken der gælder", "None"),
])
def test_a_copy_sent_with_no_status_is_named_as_having_none(lang: str, words: str, wrong: str) -> None:
    """A copy of the IVIG order with no status at all (FHIR requires one): the note said 'also sent as “None”', a
    word from the program, not the record; it says the copy has no status, and the worklist's 'check' says it too."""
    from tests.test_leftovers_named import copies_chart, order_copies
    from tests.test_records_left_over import cards
    active, stopped = order_copies()
    bare = {k: v for k, v in stopped.items() if k != "status"}
    [card] = cards(copies_chart(active, bare), date(2026, 2, 1), lang=lang)
    assert words in plain(card), plain(card)
    assert wrong not in plain(card), plain(card)
    from cds_service.tools.worklist import evaluate_patient_resources
    bundle = Chart("c", copies_chart(active, bare), (), "").bundle()
    [row] = evaluate_patient_resources([e["resource"] for e in bundle["entry"]], date(2026, 2, 1), RUNTIME, lang=lang)
    assert words[1:] in row.check, row.check


# ---- 4. the worklist marks the record the card doubts, not the IgG ---------------------------------------------------

def worklist(resources: tuple[Resource, ...], at: date, tmp: Any) -> tuple[str, list[list[object]]]:
    """The worklist's table and CSV rows for one chart, exported as NDJSON, as a ward runs it."""
    import json

    from cds_service.tools.worklist import csv_rows, render_table, run_worklist
    from tests.environment import tmp_settings
    export = tmp / "export"
    export.mkdir()
    by_type: dict[str, list[str]] = {}
    for e in Chart("c", resources, (), "").bundle()["entry"]:
        by_type.setdefault(e["resource"]["resourceType"], []).append(json.dumps(e["resource"]))
    for kind, lines in by_type.items():
        (export / f"{kind}.ndjson").write_text("\n".join(lines) + "\n")
    result = run_worklist(export, at, tmp_settings(), jobs=1)
    return render_table(result), list(csv_rows(result))


def test_an_order_sent_with_two_statuses_is_marked_on_the_advice_not_on_the_igg(tmp_path: Any) -> None:
    """An IVIG order sent active and stopped, nothing saying which is the later (the stop due on 2026-05-18, and the
    card asks to check which copy is valid): the IgG 2.8 g/L is nobody's doubt, but the table said '2.8 g/L 2025-12-10 (check which is valid)', sending the
    ward to the laboratory. The mark stands on the advice the order decides (no column shows the order), and the
    CSV's last column 'check' still gives the card's words."""
    from tests.test_leftovers_named import copies_chart, order_copies
    table, rows = worklist(copies_chart(*order_copies()), date(2026, 5, 10), tmp_path)
    line = next(x for x in table.splitlines() if "stop-due-soon" in x)
    assert "stop-due-soon (check which is valid)" in line, line
    assert "2025-12-10 (check which is valid)" not in line, line
    header, row = rows
    assert header[-1] == "check" and "also sent as stopped" in str(row[-1]), row


def test_a_car_t_infusion_sent_also_as_entered_in_error_is_marked_on_t0(tmp_path: Any) -> None:
    """The CAR-T procedure sent as recorded (with meta) and as entered in error (without): the infusion is T0, read
    as recorded, and the card asks which is valid; the mark stands on the T0 it dates, not on the IgG."""
    recorded = {**car_t("2025-11-18"), "meta": {"versionId": "1", "lastUpdated": "2025-11-18T12:00:00+01:00"}}
    error = {**car_t("2025-11-18"), "status": "entered-in-error"}
    table, rows = worklist((dx(DLBCL, "2025-02-14"), recorded, error, igg("igg", "2025-12-10", 2.8)),
                           date(2026, 1, 5), tmp_path)
    line = next(x for x in table.splitlines() if "start-substitution" in x)
    assert "2025-11-18 car-t (check which is valid)" in line, line
    assert "2025-12-10 (check which is valid)" not in line and "start-substitution (check" not in line, line
    assert "also sent as entered in error" in str(rows[1][-1]), rows[1]


# ---- 5. evaluated as of a past day, nothing from after it is named or shown as used ----------------------------------

def later_records_chart() -> tuple[Resource, ...]:
    """CAR-T 2025-11-18, IgG 2.8 g/L on 2025-12-10, IVIG from 2025-12-15 (stop attempt 2026-05-18); recorded later in
    the chart: an IVIG dose on hold on 2026-01-19, an unconfirmed pneumonia on 2026-01-21, IgG 5.5 g/L on 2026-01-20."""
    from tests.test_acceptance_lifecycle import PNEUMONIA, ivig_dose
    return (dx(DLBCL, "2025-02-14"), car_t("2025-11-18"), igg("igg", "2025-12-10", 2.8),
            ivig_order(start="2025-12-15"), ivig_dose("ig-held", "2026-01-19", "on-hold"),
            dx(PNEUMONIA, "2026-01-21", rid="pneu", ver="provisional"), igg("igg-late", "2026-01-20", 5.5))


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_chart_read_as_of_a_past_day_names_no_record_from_after_it(lang: str) -> None:
    """Clinical rules §5: evaluated on 2026-01-12, the service answers as it would have that day; the dose held on
    the 19th and the pneumonia of the 21st had not happened. The card named them ('An immunoglobulin dose on
    2026-01-19 is not recorded as given …; +1 more data note'), asking a clinician in January to check a record of a
    later day. On 2026-01-25 both are named, as they should be."""
    from tests.test_records_left_over import cards
    [card] = cards(later_records_chart(), date(2026, 1, 12), lang=lang)
    assert code(card) == "stop-planned", code(card)
    assert "2026-01-19" not in plain(card) and "2026-01-21" not in plain(card), plain(card)
    assert "data note" not in plain(card) and "datanote" not in plain(card), plain(card)
    answer = replay(RUNTIME, Chart("c", later_records_chart(), (), "").bundle(), at=date(2026, 1, 12))
    assert not [n for n in answer.notes if n.source in ("MedicationAdministration/ig-held", "Condition/pneu")]
    later = replay(RUNTIME, Chart("c", later_records_chart(), (), "").bundle(), at=date(2026, 1, 25))
    assert {n.source for n in later.notes} >= {"MedicationAdministration/ig-held", "Condition/pneu"}


def test_the_server_with_an_evaluation_date_names_no_record_from_after_it() -> None:
    """The same over HTTP, the server's evaluation day set to 2026-01-12 (a clock, as `CDS_EVALUATION_DATE` sets it)."""
    from datetime import datetime, timezone

    import httpx

    from cds_service.http.app import create_app
    from cds_service.http.discovery import PATIENT_VIEW_ID
    from cds_service.tools.replay import request_from_bundle
    from tests.environment import tmp_settings
    from tests.servers import serve_in_thread

    def clock() -> datetime:
        return datetime(2026, 1, 12, 9, 0, tzinfo=timezone.utc)

    body = request_from_bundle(Chart("c", later_records_chart(), (), "").bundle(), "patient-view", None)
    with serve_in_thread(create_app(tmp_settings(), clock=clock)) as base:
        response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=body, timeout=30)
    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    assert "2026-01-19" not in plain(card) and "2026-01-21" not in plain(card), plain(card)


@pytest.mark.parametrize("lang, words", [("en", "not used: dated after the evaluation day 2026-01-12"),
                                         ("da", "ikke brugt: dateret efter vurderingsdagen 2026-01-12")])
def test_the_explanation_page_marks_facts_dated_after_the_evaluation_day_as_not_used(lang: str, words: str) -> None:
    """The page lists every fact the rules were given; evaluated on 2026-01-12, IgG 5.5 g/L of 2026-01-20 was listed
    beside the IgG the advice rests on with no word, as if read. It now says it was not used, and the IgG of
    2025-12-10 stays the one the advice rests on, unmarked."""
    import re
    page = re.sub(r"\s+", " ", explanation_page(Chart("c", later_records_chart(), (), "").bundle(), date(2026, 1, 12),
                                                 lang))
    assert page.count(words) == 1, page
    assert re.search(r"2026-01-20 \S+ 5[.,]5 g/L; " + re.escape(words) + " Observation/igg-late", page), page
    assert re.search(r"2025-12-10 \S+ 2[.,]8 g/L; [^;]* Observation/igg ", page), page


@pytest.mark.parametrize("iggs", [(), (igg("igg", "2025-12-01", 5.0),)], ids=["no-igg", "igg-5.0-of-121-days"])
def test_a_start_after_the_window_with_no_infection_and_no_recent_igg_offers_no_igg_order(iggs: tuple[Resource, ...]
                                                                                         ) -> None:
    """After the window (CAR-T 2025-05-03) with no severe or recurrent infection an IgG is not to be measured
    (clinical rules §3: measure only for a patient with such infections): patient-view gives no card. Order-sign
    called the draft 'no usable IgG for 90 days; no severe/recurrent …' and offered an IgG order, for a patient
    with no IgG at all or only an old one of 5.0 g/L; it is refused for want of infections alone, with no IgG order."""
    chart = (dx(DLBCL, "2025-02-14"), car_t("2025-05-03"), *iggs)
    bundle = Chart("c", chart, (), "").bundle()
    at = date(2026, 4, 1)
    assert not replay(RUNTIME, bundle, at=at).cards
    for lang, want, wrong in (("en", "no severe/recurrent verified bacterial infection", "no usable IgG"),
                              ("da", "ingen svær/tilbagevendende verificeret bakteriel infektion", "ingen brugbar IgG")):
        [sign] = replay(RUNTIME, bundle, at=at, lang=lang, hook="order-sign", drafts=[ivig_draft(at.isoformat())]).cards
        assert code(sign) == "order-does-not-meet-criteria", plain(sign)
        assert want in sign["summary"], sign["summary"]
        assert wrong not in plain(sign), plain(sign)
        assert not sign.get("suggestions"), sign.get("suggestions")


def test_the_explanation_page_does_not_call_an_order_planned_ahead_not_used() -> None:
    """On IVIG from 2025-12-15 to 2026-01-20, and a switch order planned from 2026-01-21 sent with no `authoredOn`:
    the rules read the switch as substitution planned (the stop card, no start card), but the page said of it 'not
    used: dated after the evaluation day 2026-01-12', its planned start taken for the day it was made."""
    import re
    switch = ivig_order(start="2026-01-21", rid="scig")
    switch.pop("authoredOn")
    chart = (dx(DLBCL, "2025-02-14"), car_t("2025-11-18"), igg("igg", "2025-12-10", 2.8),
             ivig_order(start="2025-12-15", end="2026-01-20"), switch)
    page = re.sub(r"\s+", " ", explanation_page(Chart("c", chart, (), "").bundle(), date(2026, 1, 12)))
    assert re.search(r"Immunoglobulin order 2026-01-21 [^;]*; product: IVIG MedicationRequest/scig", page), page
    assert "not used: dated after" not in page, page


def test_an_order_written_after_the_evaluation_day_is_not_read_on_it_though_planned_from_before() -> None:
    """An IVIG order planned from 2025-12-15 but written (`authoredOn`) on 2026-01-20, replayed as of 2026-01-12: on
    that day the order did not exist (clinical rules §5: orders dated after "now" are ignored), yet the card read the
    patient as on substitution since 2025-12-15 ('plan the stop attempt on 2026-05-18') and offered to end an order
    nobody had written. As of 2026-01-12 the start card stands; from the day it was written, the stop card."""
    from tests.test_records_left_over import cards, timeline_codes
    late = {**ivig_order(start="2025-12-15"), "authoredOn": "2026-01-20T09:00:00+01:00"}
    chart = (dx(DLBCL, "2025-02-14"), car_t("2025-11-18"), igg("igg", "2025-12-10", 2.8), late)
    [card] = cards(chart, date(2026, 1, 12))
    assert code(card) == "start-substitution", plain(card)
    assert "IVIG since 2025-12-15" not in plain(card), plain(card)
    assert timeline_codes(chart, date(2026, 1, 12)) == ["start-substitution"]
    [later] = cards(chart, date(2026, 1, 20))
    assert code(later) == "stop-planned", plain(later)
    assert timeline_codes(chart, date(2026, 1, 20)) == ["stop-planned"]


@pytest.mark.parametrize("lang, words", [
    ("en", "infection “Pneumoni, uspecificeret” (2025-12) has no bacterial code or matching positive culture"),
    ("da", "“Pneumoni, uspecificeret” (2025-12)"),
])
def test_an_infection_not_counted_dated_by_its_month_is_named_in_that_month(lang: str, words: str) -> None:
    """A confirmed pneumonia with no organism, onset '2025-12' and no culture: the rules do not count it, and their
    note named it '(2025-12-01)', a day the record does not give, on the explanation page and in the card's notes,
    as the reading's own notes no longer do; it gives the month as written."""
    from tests.test_acceptance_lifecycle import PNEUMONIA
    chart = (dx(DLBCL, "2025-02-14"), car_t("2025-11-18"), igg("igg", "2025-12-10", 2.8),
             dx(PNEUMONIA, "2025-12", rid="pneu"))
    page = explanation_page(Chart("c", chart, (), "").bundle(), date(2026, 1, 12), lang)
    assert words in page, page
    answer = replay(RUNTIME, Chart("c", chart, (), "").bundle(), at=date(2026, 1, 12), lang=lang)
    [note] = [n for n in answer.notes if n.kind == "infection-not-counted"]
    from cds_service.cards.notes import note_day
    assert note_day(note) == "2025-12", note


def test_an_order_after_the_stop_date_drafted_while_the_window_runs_still_offers_the_igg_patient_view_asks_for() -> None:
    """The reverse: CAR-T 2025-11-03, no IgG since, an IVIG draft to start on 2026-05-25 (after the stop date
    2026-05-03), signed on 2026-01-10 with no infection: the window still runs, patient-view asks for an IgG that could
    support a start inside it (§4.1), and order-sign names the missing IgG and offers the same IgG order."""
    chart = (dx(DLBCL, "2025-02-14"), car_t("2025-11-03"))
    bundle = Chart("c", chart, (), "").bundle()
    at = date(2026, 1, 10)
    [view] = replay(RUNTIME, bundle, at=at).cards
    assert code(view) == "measure-igg", plain(view)
    [sign] = replay(RUNTIME, bundle, at=at, hook="order-sign", drafts=[ivig_draft("2026-05-25")]).cards
    assert code(sign) == "order-does-not-meet-criteria", plain(sign)
    assert "no usable IgG" in plain(sign), plain(sign)
    assert [s["label"] for s in sign["suggestions"]] == ["Order serum IgG"], sign.get("suggestions")
