"""Records read the wrong way or not at all (guideline §4.1, §3.4; clinical rules §2, §5, §7): a same-day IgG
correction dated by its day only, a CAR-T infusion recorded stopped and not given, three copies of one resource with
mixed readable dates, a completed CAR-T order with no date, and a chart bsAb named as one but coded under SNOMED CT
with its ATC code. Each chart is told through patient-view in English and Danish, and where the reading changes
through the worklist row, the timeline day and order-sign with an IVIG draft.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest

from cds_service.fhir.prefetch import pool_prefetch
from cds_service.tools.replay import replay
from cds_service.tools.timeline import build_timeline, patient_data
from cds_service.tools.worklist import evaluate_patient_resources
from tests.test_acceptance_lifecycle import (ATC, DLBCL, ME, MYELOMA, RUNTIME, SCT, Chart, car_t, code, dx, igg,
                                             ivig_draft, patient, story_w, text)

Resource = dict[str, Any]
AT = date(2026, 3, 12)
CART_DAY = "2026-01-20"


def cards(resources: tuple[Resource, ...], at: date = AT, lang: str = "en", **kw: Any) -> list[dict[str, Any]]:
    return list(replay(RUNTIME, Chart("c", resources, (), "").bundle(), at=at, lang=lang, **kw).cards)


def plain(card: dict[str, Any]) -> str:
    """A card's text as a clinician reads it (markdown escapes removed)."""
    return text(card).replace("\\", "")


def worklist_codes(resources: tuple[Resource, ...], at: date = AT) -> list[str]:
    b = Chart("c", resources, (), "").bundle()
    return [r.code for r in evaluate_patient_resources([e["resource"] for e in b["entry"]], at, RUNTIME)]


def timeline_codes(resources: tuple[Resource, ...], at: date = AT) -> list[str]:
    data = patient_data(Chart("c", resources, (), "").bundle(), RUNTIME)
    in_force = [s for s in build_timeline(data, RUNTIME, end=at, today=at).changes if s.day <= at]
    return list(in_force[-1].codes) if in_force else []


# ---- 1. a same-day IgG correction dated by its day only --------------------------------------------------------------

ORIGINAL = igg("igg-orig", "2026-03-10", 3.1, effectiveDateTime="2026-03-10T08:15:00+01:00")
CORRECTION = {**igg("igg-corr", "2026-03-10", 4.4, "corrected", effectiveDateTime="2026-03-10")}
CORRECTION.pop("issued")


def correction_chart(*iggs: Resource) -> tuple[Resource, ...]:
    return story_w(cart=car_t(CART_DAY), iggs=iggs)


@pytest.mark.parametrize("order", [(ORIGINAL, CORRECTION), (CORRECTION, ORIGINAL)], ids=["original-first",
                                                                                          "correction-first"])
def test_a_same_day_correction_dated_by_its_day_is_read_over_the_timed_original(order: tuple[Resource, ...]) -> None:
    """The laboratory corrected 3.1 to 4.4 and the EHR sent the correction with the day only: a correction of a result
    of that day cannot predate it, so it is read (IgG 4-6: general criteria, no start on the superseded 3.1), and the
    3.1 not used is named with its value. Before, the timed original won, silently: 'Ig may be started'."""
    chart = correction_chart(*order)
    [card] = cards(chart)
    assert code(card) == "general-criteria-igg-under-6"
    assert "IgG 4.4 g/L" in card["summary"]
    assert "IgG 3.1 g/L, also of 2026-03-10, was not used: a later sample or a correction of that day was read" \
        in plain(card)
    [da] = cards(chart, lang="da")
    assert code(da) == "general-criteria-igg-under-6"
    assert "IgG 3,1 g/L, også fra 2026-03-10, er ikke brugt: en senere prøve eller en rettelse fra samme dag er læst" \
        in plain(da)
    assert worklist_codes(chart) == ["general-criteria-igg-under-6"]
    assert timeline_codes(chart) == ["general-criteria-igg-under-6"]


def test_order_sign_reads_the_correction_and_names_the_original() -> None:
    """An IVIG draft signed that day is judged on the corrected 4.4 (IgG 4-6: the start criterion is not met), with the
    original 3.1 named; before, the draft met the criteria on the superseded 3.1."""
    chart = correction_chart(ORIGINAL, CORRECTION)
    [card] = cards(chart, hook="order-sign", drafts=[ivig_draft("2026-03-12")])
    assert code(card) == "order-does-not-meet-criteria"
    assert "IgG 3.1 g/L, also of 2026-03-10, was not used" in plain(card)


def test_a_day_alone_beside_a_timed_result_is_named_as_an_order_the_data_do_not_give() -> None:
    """Two final IgGs of one day, one with its time (14:00, 3.1) and one with its day only (4.4): the one with a time is
    read, as before (start criterion met), but which was taken later the data do not say: the 4.4 is named, with the
    request to check which is valid."""
    day_only = {**igg("igg-day", "2026-03-10", 4.4, effectiveDateTime="2026-03-10")}
    day_only.pop("issued")
    chart = correction_chart(day_only, igg("igg-timed", "2026-03-10", 3.1, effectiveDateTime="2026-03-10T14:00:00+01:00"))
    [card] = cards(chart)
    assert code(card) == "start-substitution"
    assert "IgG 4.4 g/L, also of 2026-03-10, was not used: which of that day's results is the later cannot be told; " \
           "check which is valid" in plain(card)
    [da] = cards(chart, lang="da")
    assert "IgG 4,4 g/L, også fra 2026-03-10, er ikke brugt: hvilket af dagens svar der er det seneste, kan ikke " \
           "afgøres" in plain(da)


def test_a_repeat_taken_later_names_the_mornings_result_and_equal_values_say_nothing() -> None:
    """A repeat at 14:00 (3.1) after a morning 4.4: the repeat is read, the morning's value named as superseded; the
    same value sent twice (two copies of one result) is nothing to name."""
    chart = correction_chart(igg("igg-am", "2026-03-10", 4.4, effectiveDateTime="2026-03-10T08:00:00+01:00"),
                             igg("igg-pm", "2026-03-10", 3.1, effectiveDateTime="2026-03-10T14:00:00+01:00"))
    [card] = cards(chart)
    assert code(card) == "start-substitution"
    assert "IgG 4.4 g/L, also of 2026-03-10, was not used: a later sample or a correction" in plain(card)
    same = correction_chart(igg("igg-am", "2026-03-10", 3.1, effectiveDateTime="2026-03-10T08:00:00+01:00"),
                            igg("igg-pm", "2026-03-10", 3.1, effectiveDateTime="2026-03-10T14:00:00+01:00"))
    [card] = cards(same)
    assert "also of 2026-03-10" not in plain(card)


def test_a_correction_dated_by_its_day_does_not_outrank_a_repeat_taken_after_it_was_issued() -> None:
    """The morning's 4.6 was corrected to 4.4 (the correction sent with its day only, issued at 10:00), and a repeat
    taken at 16:00 gave 3.1: the repeat, taken after the correction was issued, is the day's latest word (IgG < 4 g/L
    in the window: Ig may be started), and the correction and the morning's result are named as not used. A
    correction cannot correct a sample not yet taken when it was issued; read as the day's last word whatever its
    `issued`, it said 'general SID criteria apply' on the corrected 4.4 and called the later 3.1 superseded."""
    corrected = {**igg("igg-corr", "2026-03-10", 4.4, "corrected", effectiveDateTime="2026-03-10"),
                 "issued": "2026-03-10T10:00:00+01:00"}
    chart = correction_chart(igg("igg-am", "2026-03-10", 4.6, effectiveDateTime="2026-03-10T08:00:00+01:00",
                                 issued="2026-03-10T09:00:00+01:00"), corrected,
                             igg("igg-pm", "2026-03-10", 3.1, effectiveDateTime="2026-03-10T16:00:00+01:00",
                                 issued="2026-03-10T18:00:00+01:00"))
    [card] = cards(chart)
    assert code(card) == "start-substitution", card["summary"]
    assert "IgG 3.1 g/L" in card["summary"]
    # the corrected 4.4 and the morning's 4.6 it corrected, both of that day: counted on the card
    assert "2 other IgG results of the same day were not used: a later sample or a correction was read" \
        in plain(card), plain(card)
    [da] = cards(chart, lang="da")
    assert code(da) == "start-substitution" and "IgG 3,1 g/L" in da["summary"]
    assert worklist_codes(chart) == ["start-substitution"]
    assert timeline_codes(chart) == ["start-substitution"]
    # issued after the repeat was taken, the correction is the day's last word again
    later = {**corrected, "issued": "2026-03-10T17:00:00+01:00"}
    [card] = cards(correction_chart(chart[2], later, chart[4]))
    assert code(card) == "general-criteria-igg-under-6" and "IgG 4.4 g/L" in card["summary"], card["summary"]


def test_a_correction_dated_by_its_day_beside_two_samples_names_the_later_sample_as_unordered() -> None:
    """Two samples that day (08:00 3.1, a repeat at 12:00 3.3) and a correction to 4.4 sent with its day only and no
    issue time: the correction is read, as the day's last word, but which sample it corrects the data do not say. If
    it corrects the morning's, the repeat's 3.3 is the latest value (IgG < 4 g/L: Ig may be started): the 3.3 is named
    with 'check which is valid', not as superseded; the morning's 3.1 is superseded either way."""
    corrected = {**igg("igg-corr", "2026-03-10", 4.4, "corrected", effectiveDateTime="2026-03-10")}
    corrected.pop("issued")
    chart = correction_chart(igg("igg-am", "2026-03-10", 3.1, effectiveDateTime="2026-03-10T08:00:00+01:00"),
                             igg("igg-noon", "2026-03-10", 3.3, effectiveDateTime="2026-03-10T12:00:00+01:00"),
                             corrected)
    assert_read_with_others_named(chart, "4.4", unordered="3.3", superseded="3.1")


def assert_read_with_others_named(chart: tuple[Resource, ...], read: str, unordered: str, superseded: str) -> None:
    """IgG `read` decides (4-6 g/L: general criteria); `unordered` is named with 'check which is valid', in English
    and Danish, and `superseded` as superseded."""
    [card] = cards(chart)
    assert code(card) == "general-criteria-igg-under-6" and f"IgG {read} g/L" in card["summary"], card["summary"]
    assert f"IgG {unordered} g/L, also of 2026-03-10, was not used: which of that day's results is the later cannot " \
           "be told; check which is valid" in plain(card), plain(card)
    assert f"IgG {superseded} g/L, also of 2026-03-10, was not used: a later sample or a correction" in plain(card)
    [da] = cards(chart, lang="da")
    assert f"IgG {unordered.replace('.', ',')} g/L, også fra 2026-03-10, er ikke brugt: hvilket af dagens svar der " \
           "er det seneste" in plain(da), plain(da)


# ---- 2. a CAR-T infusion recorded stopped, not given -----------------------------------------------------------------

def administration_not_given(reason: str) -> Resource:
    return {"resourceType": "MedicationAdministration", "id": "cart-dose", "status": "stopped", "subject": ME,
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01XL04",
                                                      "display": "Kymriah (tisagenlecleucel)"}]},
            "effectiveDateTime": "2025-11-03T10:00:00+01:00", "statusReason": [{"text": reason}]}


@pytest.mark.parametrize("record", [
    {**car_t("2025-11-03", "stopped"), "statusReason": {"text": "Ikke givet"}},
    {**car_t("2025-11-03", "stopped"), "statusReason": {"coding": [{"system": SCT, "code": "0",
                                                                    "display": "not administered"}]}},
    administration_not_given("Ikke givet"),
], ids=["procedure-ikke-givet", "procedure-not-administered", "administration-ikke-givet"])
def test_a_car_t_infusion_stopped_and_not_given_gets_a_card_that_says_so(record: Resource) -> None:
    """A CAR-T infusion recorded stopped with a reason read as none given, and nothing else: it does not date T0 (as a
    stopped IVIG dose so recorded is not a dose), but the clinician learns a CAR-T record exists and was not read as
    an infusion, with the reason as sent, and what to do if cells were given. Before: no card at all."""
    chart = (dx(DLBCL, "2025-02-14"), record, igg("igg", "2026-01-08", 3.1))
    at = date(2026, 1, 12)
    [card] = cards(chart, at)
    assert code(card) == "therapy-undated"
    assert "on 2025-11-03 recorded as stopped, not given; correct it if cells were given" in card["summary"]
    assert "read as no cells given" in card["detail"] and "If cells were given, correct the record" in card["detail"]
    assert "no high-risk window (6 months), start or stop criterion applied" in card["detail"]
    [da] = cards(chart, at, lang="da")
    assert "den 2025-11-03 registreret som afbrudt, ikke givet; ret det, hvis der blev givet celler" in da["summary"]
    assert "læst som ingen celler givet" in da["detail"]
    assert worklist_codes(chart, at) == ["therapy-undated"]
    assert timeline_codes(chart, at) == ["therapy-undated"]


@pytest.mark.parametrize("record", [{**car_t("2025-11-03", "stopped"), "statusReason": {"text": "Ikke givet"}}, None],
                         ids=["stopped-not-given", "order-no-date"])
def test_a_child_gets_the_individual_assessment_with_the_same_words(record: Resource | None) -> None:
    """A child (12 at the infusion's day) with the same records: the child variants, individual assessment (§4), saying
    the same of the record, with no '?' for a missing date."""
    chart = (dx(DLBCL, "2025-02-14"), record or car_t_order(), igg("igg", "2026-01-08", 3.1))
    at = date(2026, 1, 12)
    for lang, words in (("en", ("recorded as stopped, not given; child (12 y)", "no date on the order")),
                        ("da", ("registreret som afbrudt, ikke givet; barn (12 år)", "uden dato"))):
        [card] = list(replay(RUNTIME, Chart("c", chart, (), "", pt=patient("2013-06-21")).bundle(), at=at,
                             lang=lang).cards)
        assert code(card) == "therapy-undated"
        assert words[0 if record else 1] in card["summary"] and "?" not in card["summary"], card["summary"]


def not_given_dated(**when: Any) -> Resource:
    record = {**car_t("2025-11-03", "stopped"), "statusReason": {"text": "Ikke givet"}}
    record.pop("performedDateTime")
    return {**record, **when}


@pytest.mark.parametrize("when", [{}, {"performedDateTime": "2025-11"}, {"performedString": "primo november 2025"},
                                  {"performedDateTime": "03-11-2025"}],
                         ids=["no-date", "month-only", "in-words", "unreadable"])
def test_a_car_t_stopped_not_given_with_no_day_still_gets_its_card_and_no_invented_day(when: dict[str, str]) -> None:
    """The same stopped, not-given infusion recorded with no date, a month, words or a date no reader takes: no card at
    all (its data note had no card to stand on), or, for the month, 'on 2025-11-01', a day the record never names. The
    card says no day was read, in English and Danish, and names no day."""
    chart = (dx(DLBCL, "2025-02-14"), not_given_dated(**when), igg("igg", "2026-01-08", 3.1))
    at = date(2026, 1, 12)
    [card] = cards(chart, at)
    assert code(card) == "therapy-undated"
    assert "recorded as stopped, not given, no day read; correct it if cells were given" in card["summary"], \
        card["summary"]
    assert "2025-11-01" not in plain(card) and "“Ikke givet”" in plain(card)
    assert "If cells were given, correct the record with the day they were given" in card["detail"]
    [da] = cards(chart, at, lang="da")
    assert "registreret som afbrudt, ikke givet, ingen dag læst; ret det, hvis der blev givet celler" in da["summary"]
    assert worklist_codes(chart, at) == ["therapy-undated"]
    assert timeline_codes(chart, at) == ["therapy-undated"]
    child = Chart("c", chart, (), "", pt=patient("2013-06-21")).bundle()
    [card] = list(replay(RUNTIME, child, at=at).cards)
    assert "recorded as stopped, not given, no day read; child (12 y)" in card["summary"], card["summary"]


def test_a_car_t_stopped_not_given_beside_a_given_infusion_is_only_named() -> None:
    """With an infusion read (T0), the stopped record's own card would be a second card for one situation: its data
    note names it on the card the infusion gives."""
    chart = (dx(DLBCL, "2025-02-14"), car_t("2025-11-03"),
             {**car_t("2025-10-20", "stopped", rid="cart-0"), "statusReason": {"text": "Ikke givet"}},
             igg("igg", "2026-01-08", 3.1))
    [card] = cards(chart, date(2026, 1, 12))
    assert code(card) == "start-substitution"
    assert "recorded as stopped with the reason “Ikke givet”" in plain(card), plain(card)


# ---- 3. three copies of one resource, mixed readable dates ------------------------------------------------------------

COPIES = [
    {"versionId": "2", "lastUpdated": "2026-01-13T10:00:00+01:00"},
    {"versionId": "3", "lastUpdated": "13-01-2026 11:30"},  # not readable as an instant: its version says it is later
    {"lastUpdated": "2026-01-13T09:00:00+01:00"},  # no version
]


@pytest.mark.parametrize("metas", [
    COPIES,
    [{"versionId": "2", "lastUpdated": "2026-01-13T10:00:00+01:00"}, {"versionId": "3", "lastUpdated": "13-01-2026"},
     {"versionId": "1", "lastUpdated": "2026-01-13T11:00:00+01:00"}],
    [{"versionId": "1"}, {"lastUpdated": "2026-01-13t10:00:00z"}, {"versionId": "2", "lastUpdated": "2026-01-13"}],
    [{}, {}, {"versionId": "1"}],
    [{"lastUpdated": "2026-01-13T10:00:00Z"}, {"lastUpdated": "2026-01-13T10:00:00Z"}, {}],
], ids=["version-on-two", "version-on-all", "lower-case-and-partial", "no-meta", "tied"])
def test_the_copy_read_does_not_depend_on_the_order_copies_arrive_in(metas: list[dict[str, str]]) -> None:
    """One IgG sent three times (prefetch, fetched, bundle) with different values: every one of the six orders of
    arrival, split over the prefetch keys or within one Bundle, reads the same copy. Before, a choice made pair by pair
    could go round in a circle (version beats an unreadable date, a readable date beats no version)."""
    copies = [{**igg("igg", "2026-01-08", value), "meta": meta} for value, meta in zip((3.1, 4.4, 5.2), metas)]
    read = set()
    for order in itertools.permutations(copies):
        bundle = {"resourceType": "Bundle", "type": "searchset", "entry": [{"resource": r} for r in order]}
        one = pool_prefetch({"observations": bundle}, ["observations"], "pt-lifecycle", RUNTIME.tz)
        split = pool_prefetch({f"k{i}": r for i, r in enumerate(order)}, ["k0", "k1", "k2"], "pt-lifecycle",
                              RUNTIME.tz)
        [a] = [r for r in one.resources if r.get("id") == "igg"]
        [b] = [r for r in split.resources if r.get("id") == "igg"]
        read.add(a["valueQuantity"]["value"])
        read.add(b["valueQuantity"]["value"])
    assert len(read) == 1, read


def test_three_copies_version_decides_where_a_date_cannot_be_read() -> None:
    """Of the copies in `COPIES` one's `lastUpdated` cannot be read: the versionIds decide, version 3 (a copy with none
    comes first). Pair by pair, version 3 beat version 2, version 2's 10:00 beat the 09:00 copy with no version, and
    that copy's readable date beat version 3's unreadable one: the copy read was the one that arrived in a place."""
    copies = [{**igg("igg", "2026-01-08", value), "meta": meta} for value, meta in zip((3.1, 4.4, 5.2), COPIES)]
    pooled = pool_prefetch({f"k{i}": r for i, r in enumerate(copies)}, ["k0", "k1", "k2"], "pt-lifecycle", RUNTIME.tz)
    [r] = [r for r in pooled.resources if r.get("id") == "igg"]
    assert r["valueQuantity"]["value"] == 4.4


@pytest.mark.parametrize("metas", [
    [{"versionId": "5"}, {"versionId": "4", "lastUpdated": "2026-01-13T10:00:00Z"}],
    [{"versionId": "5"}, {"versionId": "4", "lastUpdated": "2026-01-13T10:00:00Z"}, {}],
    [{"versionId": "5", "lastUpdated": 20260113}, {"versionId": "4", "lastUpdated": "2026-01-13T10:00:00Z"}],
], ids=["two", "and-a-copy-with-no-meta", "lastupdated-not-text"])
def test_a_later_version_with_no_lastupdated_is_read_over_an_earlier_one_with_it(metas: list[dict[str, Any]]) -> None:
    """Version 5 of an IgG (amended to 4.4) sent with no `lastUpdated` (or one that is no text), version 4 (3.1) with
    one: a missing `lastUpdated` is no time to rank a copy by, as an unreadable one is not, beside a version that says
    which came after. Version 4 was read, in every order of arrival, because a copy with no `lastUpdated` came first."""
    copies = [{**igg("igg", "2026-01-08", value), "meta": meta} for value, meta in zip((4.4, 3.1, 5.2), metas)]
    for order in itertools.permutations(copies):
        pooled = pool_prefetch({f"k{i}": r for i, r in enumerate(order)}, [f"k{i}" for i in range(len(order))],
                               "pt-lifecycle", RUNTIME.tz)
        [r] = [r for r in pooled.resources if r.get("id") == "igg"]
        assert r["valueQuantity"]["value"] == 4.4, [c["meta"] for c in order]


# ---- 4. a completed CAR-T order with no date ---------------------------------------------------------------------------

def car_t_order(**extra: Any) -> Resource:
    return {"resourceType": "MedicationRequest", "id": "cart-order", "status": "completed", "intent": "order",
            "subject": ME, "medicationCodeableConcept": {
                "coding": [{"system": ATC, "code": "L01XL04", "display": "Kymriah"}], "text": "Kymriah (tisagenlecleucel)"},
            **extra}


def test_a_completed_car_t_order_with_no_date_says_so_in_words() -> None:
    """A completed CAR-T order with no date at all, no infusion: the card asked for the infusion, 'ordered for ?'.
    It now says the order has no date, in English and Danish."""
    chart = (dx(DLBCL, "2025-02-14"), car_t_order(), igg("igg", "2026-01-08", 3.1))
    at = date(2026, 1, 12)
    [card] = cards(chart, at)
    assert code(card) == "therapy-undated"
    assert "?" not in card["summary"]
    assert "ordered (order completed, no date on it), but no infusion recorded: record it" in card["summary"]
    [da] = cards(chart, at, lang="da")
    assert "?" not in da["summary"] and "ordineret (afsluttet, uden dato)" in da["summary"]
    dated = (dx(DLBCL, "2025-02-14"), car_t_order(authoredOn="2025-10-20"), igg("igg", "2026-01-08", 3.1))
    [card] = cards(dated, at)
    assert "ordered for 2025-10-20 (order completed)" in card["summary"]


# ---- 5. a chart bsAb named as one, its ATC code sent under SNOMED CT ---------------------------------------------------

def tec_under_snomed() -> Resource:
    return {"resourceType": "MedicationRequest", "id": "tec", "status": "active", "intent": "order", "subject": ME,
            "authoredOn": "2025-10-01",
            "medicationCodeableConcept": {"coding": [{"system": SCT, "code": "L01FX24",
                                                      "display": "Tecvayli (teclistamab)"}],
                                          "text": "Tecvayli (teclistamab)"},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2025-10-06"}}}}]}


def test_a_chart_bsab_named_as_one_under_the_wrong_system_asks_for_the_system_to_be_corrected() -> None:
    """Teclistamab ordered on the chart, its ATC code L01FX24 sent under SNOMED CT, its name 'Tecvayli': the card asked
    the CDS team to add the code. The code is ATC's: the record's code system is to be corrected in the EHR, as a
    draft so coded is told."""
    chart = (dx(MYELOMA, "2023-05-02"), tec_under_snomed(), igg("igg", "2026-01-05", 3.1))
    at = date(2026, 1, 12)
    [card] = cards(chart, at)
    assert code(card) == "therapy-not-recognised"
    assert card["summary"] == ("Not checked: “Tecvayli (teclistamab)” (L01FX24), 2025-10-06, has its code under the "
                               "wrong code system")
    assert "add the code" not in card["detail"]
    assert "is a code of ATC" in plain(card)
    assert "Have the code system corrected on the record in the EHR" in card["detail"]
    [da] = cards(chart, at, lang="da")
    assert "har sin kode under det forkerte kodesystem" in da["summary"]
    assert "Få kodesystemet rettet på registreringen i EPJ" in da["detail"]
    assert worklist_codes(chart, at) == ["therapy-not-recognised"]  # a therapy named: on the worklist, as before
    child = Chart("c", chart, (), "", pt=patient("2012-06-21")).bundle()
    [card] = list(replay(RUNTIME, child, at=at).cards)
    assert "has its code under the wrong code system; child (13 y)" in card["summary"], card["summary"]
    assert "have the code system corrected on the record in the EHR" in card["detail"]
    [draft_card] = cards((dx(MYELOMA, "2023-05-02"), igg("igg", "2026-01-05", 3.1)), at, hook="order-select",
                         drafts=[{**tec_under_snomed(), "id": "tec-draft", "status": "draft"}])
    assert "wrong code system" in draft_card["summary"] or "forkerte" in draft_card["summary"]


@pytest.mark.parametrize("record, words", [
    ({**car_t("2025-11-03", "stopped"), "statusReason": {"text": "Ikke givet"}},
     "on 2025-11-03 recorded as stopped, not given"),
    (car_t_order(), "ordered (order completed, no date on it)"),
], ids=["car-t-stopped-not-given", "car-t-order-no-date"])
@pytest.mark.parametrize("hook", ["order-select", "order-sign"])
def test_an_ivig_draft_beside_the_therapy_not_placed_gets_the_same_words(record: Resource, words: str,
                                                                         hook: str) -> None:
    """An IVIG draft while the only CAR-T record is one the rules cannot place: the draft is not judged against the
    criteria, and its card says why as patient-view does (before: no card for the stopped infusion; "ordered for ?"
    for the undated order)."""
    chart = (dx(DLBCL, "2025-02-14"), record, igg("igg", "2026-01-08", 3.1))
    [card] = cards(chart, date(2026, 1, 12), hook=hook, drafts=[ivig_draft("2026-01-12")])
    assert code(card) == "therapy-undated"
    assert words in card["summary"] and "?" not in card["summary"], card["summary"]


# ---- 6. one IgG sent as its original and its correction, and same-day results the data do not order ------------------

def _day_igg(rid: str, value: float, status: str = "final", at: str | None = None, issued: str | None = None) -> Resource:
    r = {**igg(rid, "2026-03-10", value, status, effectiveDateTime=f"2026-03-10{at or ''}")}
    if issued is None:
        r.pop("issued")
    else:
        r["issued"] = f"2026-03-10{issued}"
    return r


@pytest.mark.parametrize("status, meta", [
    ("corrected", None), ("amended", None),
    ("corrected", {"versionId": "1", "lastUpdated": "2026-03-10T09:00:00+01:00"}),
], ids=["corrected", "amended", "original-with-meta"])
def test_an_igg_sent_as_original_and_correction_with_no_meta_is_read_as_corrected(status: str,
                                                                                   meta: dict[str, str] | None) -> None:
    """One IgG (one id) sent twice, the correction with no `meta`: its original (08:00, 3.1 g/L, final; with no `meta`,
    or version 1) and its correction (4.4, sent with its day only). The corrected copy is the laboratory's answer (IgG
    4-6: general criteria), in either order of arrival, on the worklist and for an IVIG draft. Before, the copies were
    told apart by their text alone, or the original's versionId put it after a copy with none, and the original's was
    read: 'Ig may be started' on the superseded 3.1, with nothing on the card to say so."""
    original = _day_igg("igg-x", 3.1, at="T08:00:00+01:00", issued="T09:00:00+01:00")
    if meta:
        original["meta"] = meta
    corrected = _day_igg("igg-x", 4.4, status, issued="T10:00:00+01:00")
    for order in ((original, corrected), (corrected, original)):
        chart = correction_chart(*order)
        [card] = cards(chart)
        assert code(card) == "general-criteria-igg-under-6" and "IgG 4.4 g/L" in card["summary"], card["summary"]
        [da] = cards(chart, lang="da")
        assert code(da) == "general-criteria-igg-under-6" and "IgG 4,4 g/L" in da["summary"], da["summary"]
        assert worklist_codes(chart) == ["general-criteria-igg-under-6"]
        [signed] = cards(chart, hook="order-sign", drafts=[ivig_draft("2026-03-12")])
        assert code(signed) == "order-does-not-meet-criteria", signed["summary"]


def test_a_correction_with_its_time_does_not_call_a_result_of_the_day_alone_superseded() -> None:
    """The 08:00 sample (4.6) corrected to 4.4, the correction sent with its time, and a result of that day sent with
    its day only (3.1): the correction is read, as before, and the 08:00 4.6 it corrects is superseded; but the 3.1 may
    be a repeat taken after it (IgG < 4 g/L: Ig may be started), so it is named with 'check which is valid'. Before,
    the card called the 3.1 'a later sample or a correction of that day was read'."""
    chart = correction_chart(_day_igg("igg-am", 4.6, at="T08:00:00+01:00", issued="T09:00:00+01:00"),
                             _day_igg("igg-day", 3.1),
                             _day_igg("igg-corr", 4.4, "corrected", at="T08:00:00+01:00", issued="T15:00:00+01:00"))
    assert_read_with_others_named(chart, "4.4", unordered="3.1", superseded="4.6")
    # the two alone: which of them is the later the data do not say either
    [card] = cards(correction_chart(chart[3], chart[4]))
    assert "IgG 3.1 g/L, also of 2026-03-10, was not used: which of that day's results is the later" in plain(card)


def test_a_correction_by_its_day_beside_a_corrected_sample_and_a_repeat_names_the_repeat_as_unordered() -> None:
    """A repeat at 12:00 (3.1), the 08:00 sample corrected to 4.6 (with its time) and a correction to 4.4 sent with its
    day only, issued at 14:00: the 4.4 is read as the day's last word (as before), but it may be a second correction
    of the 08:00 sample, and then the 12:00 repeat is the latest value (IgG < 4 g/L): the 3.1 is named with 'check
    which is valid'. Before, the 08:00 sample, sent only as its correction, was not counted, and the 3.1 was called
    superseded."""
    chart = correction_chart(_day_igg("igg-noon", 3.1, at="T12:00:00+01:00", issued="T13:00:00+01:00"),
                             _day_igg("igg-am", 4.6, "corrected", at="T08:00:00+01:00", issued="T15:00:00+01:00"),
                             _day_igg("igg-corr", 4.4, "corrected", issued="T14:00:00+01:00"))
    [card] = cards(chart)
    assert code(card) == "general-criteria-igg-under-6" and "IgG 4.4 g/L" in card["summary"], card["summary"]
    assert "2 other IgG results of the same day were not used: which is the later cannot be told; check which is " \
           "valid" in plain(card), plain(card)


def test_a_correction_issued_before_the_result_of_its_sample_time_is_not_called_superseded() -> None:
    """The 08:00 sample sent as 4.6 (final, issued 09:00) and as a correction to 3.1 issued at 08:30, two resources:
    the data contradict themselves (a correction issued before what it corrects). The later issue is read, as before,
    but the correction, which would mean 'Ig may be started', is named with 'check which is valid', not as
    superseded."""
    chart = correction_chart(_day_igg("igg-am", 4.6, at="T08:00:00+01:00", issued="T09:00:00+01:00"),
                             _day_igg("igg-corr", 3.1, "corrected", at="T08:00:00+01:00", issued="T08:30:00+01:00"))
    [card] = cards(chart)
    assert "IgG 3.1 g/L, also of 2026-03-10, was not used: which of that day's results is the later cannot be told; " \
           "check which is valid" in plain(card), plain(card)


@pytest.mark.parametrize("lang, says", [
    ("en", ("taken (local time): day only, amended or corrected, issued 2026-03-10 10:00, read as at its issue time",
            "taken (local time): 2026-03-10 08:00, issued 2026-03-10 09:00",
            "taken (local time): day only, amended or corrected, issue time not given, read as the day's last result")),
    ("da", ("taget (lokal tid): kun dagen, ændret eller rettet, besvaret 2026-03-10 10:00, læst som på svartidspunktet",
            "taget (lokal tid): 2026-03-10 08:00, besvaret 2026-03-10 09:00",
            "taget (lokal tid): kun dagen, ændret eller rettet, svartidspunkt ikke angivet, læst som dagens sidste svar")),
])
def test_the_explanation_page_says_in_words_when_a_same_day_igg_was_taken(lang: str, says: tuple[str, ...]) -> None:
    """The facts table showed the ordering key itself, "2026-03-10T09:00:00~ 2026-03-10T09:00:00*"; it now says when
    the sample was taken and the result issued, whether it is a revision, and where one sent with its day only is
    read; the times are the site's (08:00 in Copenhagen is the 08:00 on the laboratory's report, not 07:00 UTC), and
    a Danish result is "besvaret", not "udstedt"."""
    from tests.test_explain_fact_labels import facts_rows

    chart = correction_chart(_day_igg("igg-am", 3.1, at="T08:00:00+01:00", issued="T09:00:00+01:00"),
                             _day_igg("igg-corr", 4.4, "corrected", issued="T10:00:00+01:00"),
                             _day_igg("igg-amended", 5.2, "amended"))
    rows = [r[2] for r in facts_rows(Chart("c", chart, (), "").bundle(), AT, lang)]
    for words in says:
        assert any(words in row for row in rows), rows
    assert not any("~" in row or "*" in row for row in rows), rows


@pytest.mark.parametrize("status", ["entered-in-error", "cancelled"])
def test_an_igg_withdrawn_by_a_copy_with_no_meta_is_named_not_dropped_in_silence(status: str) -> None:
    """One IgG (one id) sent as a final 3.1 with meta (version 1) and as withdrawn with no meta, beside an IgG 5.0 a
    month before: the withdrawal is read on its status alone (meta does not place it), so the 3.1 is gone and the 5.0
    is read ('general SID criteria apply'). Before, the card said so with nothing to show that the day's IgG, which
    would mean 'Ig may be started', was sent as a result too; it now names it with 'check which is valid'. A
    withdrawal its meta puts after the released copy is the record's own word: no note."""
    final = _day_igg("igg-x", 3.1, at="T08:00:00+01:00", issued="T09:00:00+01:00")
    final["meta"] = {"versionId": "1", "lastUpdated": "2026-03-10T09:00:00+01:00"}
    withdrawn = {**final, "status": status}
    withdrawn.pop("meta")
    older = igg("igg-old", "2026-02-10", 5.0)
    for order in ((final, withdrawn), (withdrawn, final)):
        chart = correction_chart(older, *order)
        [card] = cards(chart)
        assert code(card) == "general-criteria-igg-under-6" and "IgG 5.0 g/L" in card["summary"], card["summary"]
        assert "A lab result (2026-03-10) was sent both as a result and as withdrawn (entered in error or cancelled): " \
               "read as withdrawn; check which is valid" in plain(card), plain(card)
        [da] = cards(chart, lang="da")
        assert "Et laboratoriesvar (2026-03-10) er sendt både som svar og som trukket tilbage (fejlregistreret eller " \
               "annulleret): læst som trukket tilbage; tjek, hvilket der gælder" in plain(da), plain(da)
        [signed] = cards(chart, hook="order-sign", drafts=[ivig_draft("2026-03-12")])
        assert "read as withdrawn; check which is valid" in plain(signed), plain(signed)
    later = {**withdrawn, "meta": {"versionId": "2", "lastUpdated": "2026-03-10T11:00:00+01:00"}}
    [card] = cards(correction_chart(older, final, later))
    assert code(card) == "general-criteria-igg-under-6" and "withdrawn" not in plain(card), plain(card)


def test_a_car_t_infusion_also_sent_as_entered_in_error_is_read_and_named() -> None:
    """A CAR-T infusion (a Procedure) sent completed with meta and as entered-in-error with none: no status orders a
    procedure's copies, so the completed copy is read, as before ('Ig may be started' after CAR-T), but the start
    rests on an infusion the EHR also withdrew: it is now named with 'check which is valid'. Its meta putting the
    completed copy after the withdrawn one says nothing more: no note."""
    cart = {**car_t(CART_DAY), "meta": {"versionId": "1", "lastUpdated": "2026-01-21T09:00:00+01:00"}}
    error = {**car_t(CART_DAY), "status": "entered-in-error"}
    for order in ((cart, error), (error, cart)):
        chart = (dx(DLBCL, "2025-02-14"), igg("igg", "2026-03-10", 3.1), *order)
        [card] = cards(chart)
        assert code(card) == "start-substitution", card["summary"]
        assert "A procedure (2026-01-20) was also sent as entered in error: read as recorded; check which is " \
               "valid" in plain(card), plain(card)
        [da] = cards(chart, lang="da")
        assert "En procedure (2026-01-20) er også sendt som fejlregistreret: læst som registreret; tjek, hvilket der " \
               "gælder" in plain(da), plain(da)
    earlier = {**error, "meta": {"versionId": "0", "lastUpdated": "2026-01-20T11:00:00+01:00"}}
    [card] = cards((dx(DLBCL, "2025-02-14"), igg("igg", "2026-03-10", 3.1), cart, earlier))
    assert code(card) == "start-substitution" and "entered in error" not in plain(card), plain(card)


def test_a_final_copy_dated_after_its_correction_is_read_and_named() -> None:
    """One IgG sent as amended (4.4, lastUpdated 10:00) and as final (3.1, lastUpdated 11:00): the record's date puts
    the final copy last, and it is read, as before ('Ig may be started' on 3.1); but a laboratory does not take a
    result back from amended to final, so which is valid the data do not say: the card now names it with 'check
    which is valid', where it said nothing of the 4.4."""
    final = _day_igg("igg-x", 3.1, at="T08:00:00+01:00", issued="T09:00:00+01:00")
    final["meta"] = {"lastUpdated": "2026-03-10T11:00:00+01:00"}
    amended = _day_igg("igg-x", 4.4, "amended", at="T08:00:00+01:00", issued="T10:00:00+01:00")
    amended["meta"] = {"lastUpdated": "2026-03-10T10:00:00+01:00"}
    for order in ((final, amended), (amended, final)):
        chart = correction_chart(*order)
        [card] = cards(chart)
        assert code(card) == "start-substitution" and "IgG 3.1 g/L" in card["summary"], card["summary"]
        assert "A lab result (2026-03-10) was also sent as amended or corrected, that copy dated earlier: the later " \
               "final copy was read; check which is valid" in plain(card), plain(card)
        [da] = cards(chart, lang="da")
        assert "Et laboratoriesvar (2026-03-10) er også sendt som ændret eller rettet, den kopi med tidligere dato: " \
               "den senere endelige kopi er læst; tjek, hvilket der gælder" in plain(da), plain(da)
        [signed] = cards(chart, hook="order-sign", drafts=[ivig_draft("2026-03-12")])
        assert "the later final copy was read; check which is valid" in plain(signed), plain(signed)
