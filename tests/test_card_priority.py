"""What a crowded card keeps (`render.KEEPS`): a data note on a record the advice rests on before an explanatory
caveat; the vaccination and antibiotic reminder on a card against a start before a caveat; a caveat cut is counted."""

from __future__ import annotations

import copy
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from cds_service.fhir.request import parse_hook_request
from cds_service.pipeline import answer_local
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.answers import of_patient
from cds_service.tools.replay import load_bundle, load_drafts, replay, request_from_bundle
from cql_like_rules.catalogue import REMINDER

FIXTURES = Path(__file__).resolve().parent.parent / "fhir_fixtures"
COPIED = "ivig-order-copied-active-and-stopped-check-which-is-valid"  # an IVIG order sent active and stopped
NO_START = "after-window-provisional-refuted-and-close-pneumonias-no-start"
ALSO_STOPPED = {"en": "was also sent as stopped", "da": "også sendt som"}
CUT = {"en": "1 note not shown here.", "da": "1 note ikke vist her."}
NOTE_COUNTED = {"en": "data note not shown here", "da": "datanote ikke vist her"}
TECLISTAMAB_CAVEAT = {"en": "would open a new high-risk window", "da": "nyt højrisikovindue"}


@lru_cache(maxsize=None)
def answer(chart: str, day: date, lang: str) -> Any:
    bundle = load_bundle(str(FIXTURES / f"{chart}.json"))
    patient = request_from_bundle(bundle)["context"]["patientId"]
    drafts = [of_patient(d, patient) for d in load_drafts([str(FIXTURES / "drafts" / "orders-pt-dk-0001.draft.json")])]
    return replay(load_runtime(Settings()), bundle, hook="order-select", drafts=drafts, lang=lang, at=day)


def not_met(chart: str, day: date, lang: str) -> tuple[dict, object]:
    found = answer(chart, day, lang)
    return next((c, a) for c, a in zip(found.cards, found.advice) if a.code == "order-does-not-meet-criteria")


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_note_on_the_order_the_advice_rests_on_is_spelled_out_not_counted(lang: str) -> None:
    card, advice = not_met(COPIED, date(2026, 2, 5), lang)
    assert "MedicationRequest/mr-ivig-0127" in advice.evidence  # "IVIG since 2025-09-15" rests on it
    assert ALSO_STOPPED[lang] in card["detail"]
    assert NOTE_COUNTED[lang] not in card["detail"]
    assert len(card["detail"]) <= 700


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_caveat_cut_for_it_is_counted_and_stays_on_the_advice(lang: str) -> None:
    card, advice = not_met(COPIED, date(2026, 2, 5), lang)
    assert TECLISTAMAB_CAVEAT[lang] not in card["detail"]
    assert CUT[lang] in card["detail"]
    assert "therapy-drafted-with-it" in advice.caveats  # the explanation (page, trace) still has it


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_card_against_a_start_keeps_the_vaccination_reminder(lang: str) -> None:
    card, _ = not_met(NO_START, date(2024, 9, 2), lang)
    assert REMINDER(lang) in card["detail"]
    assert len(card["detail"]) <= 700


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_spare_caveat_added_where_there_is_room_is_no_caveat_cut(lang: str) -> None:
    """A baseline IgG drafted with elranatamab: the card has room for "An IgG lab order ... is among the draft
    orders", which is added, not counted as cut; it said "-1 more note on the explanation page"."""
    bundle = load_bundle(str(FIXTURES / "rituximab-only-no-index-event.json"))
    drafts = load_drafts([str(FIXTURES / "drafts" / f"{name}.draft.json")
                          for name in ("elranatamab-pt-dk-0022", "igg-lab-pt-dk-0022")])
    found = replay(load_runtime(Settings()), bundle, hook="order-sign", drafts=drafts, lang=lang, at=date(2026, 6, 1))
    [card] = found.cards
    assert {"en": "An IgG lab order (2026-06-01)", "da": "En IgG-rekvisition (2026-06-01)"}[lang] in card["detail"]
    assert not re.search(r"\d+ (more )?(note|noter) (not|ikke|mere|on)", card["detail"])  # nothing cut, none counted
    assert len(card["detail"]) <= 700


def test_the_danish_card_against_a_start_keeps_the_caveat_the_english_keeps() -> None:
    """An SCIG drafted on the last day of a teclistamab window, the IgG taken after an Ig order now on hold from an
    unrecorded day: the English card has room for the caveat and the vaccination reminder; the Danish, whose words are
    longer, kept the reminder and cut the caveat ("1 note ikke vist her"): it keeps the caveat, as the English."""
    bundle = load_bundle(str(FIXTURES / "teclistamab-ig-on-hold-in-window.json"))
    patient = request_from_bundle(bundle)["context"]["patientId"]
    drafts = [of_patient(d, patient) for d in load_drafts([str(FIXTURES / "drafts" / "scig-switch-pt-dk-0113.draft.json")])]
    cards = {}
    for lang in ("en", "da"):
        found = replay(load_runtime(Settings()), bundle, hook="order-sign", drafts=drafts, lang=lang,
                       at=date(2026, 3, 31))
        cards[lang] = next(c for c, a in zip(found.cards, found.advice) if a.code == "order-does-not-meet-criteria")
    assert "it may still show infused immunoglobulin (§3.4)" in cards["en"]["detail"]
    assert REMINDER("en") in cards["en"]["detail"]
    assert "den kan stadig vise tilført immunglobulin (§3.4)" in cards["da"]["detail"]
    assert "ikke vist her" not in cards["da"]["detail"] and len(cards["da"]["detail"]) <= 700


OVERDUE = "cart-ig-active-stop-overdue"  # an IVIG course past its stop date, drafted again: three caveats


def crowded(chart: str, day: date, lang: str, linked: bool, *extra: dict[str, Any], birth_date: bool = True) -> str:
    """The detail of the card against an IVIG drafted on `chart` with `extra` records added; `linked`: the card links
    to its explanation page (the service over HTTP), else none (replay, the worklist); not `birth_date`: the Patient
    sent without one."""
    bundle = copy.deepcopy(load_bundle(str(FIXTURES / f"{chart}.json")))
    patient = request_from_bundle(bundle)["context"]["patientId"]
    for entry in bundle["entry"]:
        if entry["resource"]["resourceType"] == "Patient" and not birth_date:
            entry["resource"].pop("birthDate", None)
    bundle["entry"] += [{"resource": {**r, "subject": {"reference": f"Patient/{patient}"}}} for r in extra]
    drafts = [of_patient(d, patient) for d in load_drafts([str(FIXTURES / "drafts" / "orders-pt-dk-0001.draft.json")])]
    request = parse_hook_request(request_from_bundle(bundle, "order-select", drafts), "order-select")
    found = answer_local(request, load_runtime(Settings()), lang=lang, today=day,
                         link=(lambda uuid: f"https://cds.example/explain/{uuid}") if linked else None)
    [card] = [c for c, a in zip(found.cards, found.advice) if a.code == "order-does-not-meet-criteria"]
    assert len(card["detail"]) <= 700
    return str(card["detail"])


def unreadable_igg(n: int) -> dict[str, Any]:
    """An IgG the rules cannot read: a data note of its own kind, counted on a crowded card."""
    return {"resourceType": "Observation", "id": f"igg-unread-{n}", "status": "final",
            "effectiveDateTime": "2026-01-20", "code": {"coding": [{"system": "http://loinc.org", "code": "2465-3"}]},
            "valueString": f"se kommentar {n}"}


def stopped_copy() -> dict[str, Any]:
    """The overdue chart's IVIG order sent again as stopped: a data note on the order the advice rests on, held whole."""
    order = next(e["resource"] for e in load_bundle(str(FIXTURES / f"{OVERDUE}.json"))["entry"]
                 if e["resource"].get("id") == "mr-ivig-0011")
    return {**order, "status": "stopped"}


@pytest.mark.parametrize("lang, says", [("en", "check which is valid. 1 more note on the explanation page.*"),
                                        ("da", "tjek, hvilken der gælder. 1 note mere på begrundelsessiden.*")])
def test_a_caveat_cut_from_a_card_with_a_link_is_counted_on_its_page(lang: str, says: str) -> None:
    detail = crowded(COPIED, date(2026, 2, 5), lang, True)
    assert says in detail, detail
    assert TECLISTAMAB_CAVEAT[lang] not in detail


SUBSTITUTION_IGNORED = {"en": "The latest IgG (6.8 g/L, 2026-01-20) was taken on substitution and not used (§3.4).",
                        "da": "Seneste IgG (6,8 g/L, 2026-01-20) er taget under substitution og ikke brugt (§3.4)."}
ON_SUBSTITUTION = {"en": "This IgG was taken on substitution: it shows infused immunoglobulin, not recovery (§3.4).",
                   "da": "Denne IgG er taget under substitution: den viser tilført immunglobulin, ikke restitution (§3.4)."}
UNKNOWN_TYPE = {"en": "M-protein 3.0 g/L (2026-01-20) of unknown type: if IgG, polyclonal IgG is 3.8 g/L, which could "
                      "change this decision; immunofixation tells.",
                "da": "M-komponent 3,0 g/L (2026-01-20) af ukendt type: hvis IgG, er polyklonal IgG 3,8 g/L, hvilket "
                      "kan ændre vurderingen; immunfiksation afgør det."}


@pytest.mark.parametrize("lang, linked, says", [
    ("en", False, "2 data notes and 1 note not shown here.*"),
    ("da", False, "2 datanoter og 1 note ikke vist her.*"),
    ("en", True, "2 data notes and 1 note on the explanation page.*"),
    ("da", True, "2 datanoter og 1 note på begrundelsessiden.*"),
])
def test_a_caveat_the_specification_requires_is_never_cut(lang: str, linked: bool, says: str) -> None:
    """The overdue course's order also sent as stopped and an IgG not read: the card cut all three caveats, the one
    saying why the latest IgG (taken on substitution, §3.4) was not used among them; it keeps that one and counts the
    one it cut."""
    detail = crowded(OVERDUE, date(2026, 4, 15), lang, linked, stopped_copy(), unreadable_igg(1))
    assert SUBSTITUTION_IGNORED[lang] in detail, detail
    assert says in detail, detail


def ended_ig_order() -> dict[str, Any]:
    """An earlier IVIG order sent as stopped with no end date: "An Ig order has ended without an end date"."""
    return {"resourceType": "MedicationRequest", "id": "mr-ivig-ended", "status": "stopped", "intent": "order",
            "authoredOn": "2025-11-01",
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]}}


@pytest.mark.parametrize("lang, linked, says", [
    ("en", False, "*2 notes not shown here.*"),
    ("da", False, "*2 noter ikke vist her.*"),
    ("en", True, "*2 more notes on the explanation page.*"),
    ("da", True, "*2 noter mere på begrundelsessiden.*"),
])
def test_caveats_cut_are_counted_in_the_plural(lang: str, linked: bool, says: str) -> None:
    """The overdue course drafted again for a patient sent without a birth date, beside an earlier IVIG order ended
    on no recorded day: four caveats, two cut (the drafted teclistamab's, the order's unknown end), counted as two;
    the one on the IgG taken on substitution (§3.4) and the unknown birth date stay."""
    detail = crowded(OVERDUE, date(2026, 4, 15), lang, linked, ended_ig_order(), birth_date=False)
    assert says in detail, detail
    assert ON_SUBSTITUTION[lang] in detail, detail
    assert {"en": "Birth date unknown", "da": "Fødselsdato ukendt"}[lang] in detail, detail


def myeloma_of_unknown_type() -> tuple[dict[str, Any], ...]:
    """A myeloma diagnosis and an M-protein of unknown type (3.0 g/L) with the overdue chart's IgG 6.8 g/L: if IgG,
    polyclonal IgG is 3.8 g/L (the caveat "could change this decision", §3)."""
    bundle = load_bundle(str(FIXTURES / "myeloma-mprotein-unknown-isotype.json"))
    found = {e["resource"]["id"]: e["resource"] for e in bundle["entry"]}
    m_protein = found["obs-mprot-0033"]
    return ({**found["cond-mm-0033"], "id": "cond-mm-x"},
            {**m_protein, "id": "obs-mprot-x", "effectiveDateTime": "2026-01-20T08:12:00+01:00",
             "issued": "2026-01-20T15:02:00+01:00", "valueQuantity": {**m_protein["valueQuantity"], "value": 3.0}})


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("linked", [False, True])
def test_the_substitution_and_unknown_type_caveats_both_stay_on_a_crowded_card(lang: str, linked: bool) -> None:
    """The IgG used (6.8 g/L) taken on substitution, a myeloma M-protein of unknown type, an order not recognised and
    an IgG not read: the card kept the M-protein caveat and cut "this IgG was taken on substitution" (§3.4); both
    stay, the third caveat is counted."""
    detail = crowded(OVERDUE, date(2026, 4, 15), lang, linked, *myeloma_of_unknown_type(), unrecognised_order(),
                     unreadable_igg(1))
    assert ON_SUBSTITUTION[lang] in detail, detail
    assert UNKNOWN_TYPE[lang] in detail, detail
    assert {"en": "and 1 note ", "da": "og 1 note "}[lang] in detail, detail


@pytest.mark.parametrize("lang, igg", [("en", "- IgG 6.8 g/L on 2026-01-20"), ("da", "- IgG 6,8 g/L den 2026-01-20")])
@pytest.mark.parametrize("linked", [False, True])
def test_the_igg_a_kept_caveat_speaks_of_stays_with_it(lang: str, igg: str, linked: bool) -> None:
    """Months past the stop date, an M-protein of unknown type and an IgG not read: the Danish card kept both required
    caveats and cut the IgG line, so "Denne IgG er taget under substitution" named no IgG on the card (the English kept
    it); the line stays with the caveat, and the M-protein caveat still fits."""
    detail = crowded(OVERDUE, date(2026, 8, 1), lang, linked, *myeloma_of_unknown_type(), unreadable_igg(1))
    assert ON_SUBSTITUTION[lang] in detail, detail
    assert igg in detail, detail
    assert UNKNOWN_TYPE[lang] in detail, detail
    assert {"en": "the stop date 2026-04-14 has passed", "da": "seponeringsdato 2026-04-14 passeret"}[lang] \
        in detail, detail


@pytest.mark.parametrize("lang, linked, says", [
    ("en", False, "check which is valid. 2 data notes and 1 note not shown here.*"),
    ("da", False, "tjek, hvilken der gælder. 2 datanoter og 1 note ikke vist her.*"),
    ("en", True, "check which is valid. 2 data notes and 1 note on the explanation page.*"),
    ("da", True, "tjek, hvilken der gælder. 2 datanoter og 1 note på begrundelsessiden.*"),
])
def test_data_notes_only_counted_and_a_caveat_cut_share_one_count(lang: str, linked: bool, says: str) -> None:
    """Two IgGs not read beside the copied order: counted with the caveat cut, in one sentence, each noun agreeing
    with its number."""
    detail = crowded(COPIED, date(2026, 2, 5), lang, linked, unreadable_igg(1), unreadable_igg(2))
    assert says in detail, detail


def unrecognised_order() -> dict[str, Any]:
    """An order coded only locally, ended in January: a data note ranked before an IgG not read (a code not
    recognised; one still running is named as Ig the patient may be on, `ig-by-name`)."""
    return {"resourceType": "MedicationRequest", "id": "mr-local", "status": "completed", "intent": "order",
            "authoredOn": "2026-01-10", "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {
                "start": "2026-01-10", "end": "2026-01-31"}}}}],
            "medicationCodeableConcept": {"text": "Privigen IVIG", "coding": [{"system": "urn:local", "code": "Z9"}]}}


def second_unrecognised_order() -> dict[str, Any]:
    """Another order coded only locally: two of a kind named by the first ("“Privigen IVIG” and 1 more")."""
    return {**unrecognised_order(), "id": "mr-local-2"}


@pytest.mark.parametrize("lang, linked, extra, says", [
    ("en", True, (stopped_copy, unreadable_igg), "2 data notes and 1 note on the explanation page.*"),
    ("da", True, (stopped_copy, unreadable_igg), "2 datanoter og 1 note på begrundelsessiden.*"),
    ("en", True, (stopped_copy, unreadable_igg, unreadable_igg), "3 data notes and 1 note on the explanation page.*"),
    ("da", True, (stopped_copy, unreadable_igg, unreadable_igg), "3 datanoter og 1 note på begrundelsessiden.*"),
    ("en", True, (unrecognised_order, unreadable_igg), "not recognised by its code: not used; +1 more data note and 1 "
                                                       "note on the explanation page.*"),
    ("en", True, (unrecognised_order, second_unrecognised_order, unreadable_igg),
     "codes not recognised; +1 more data note and 1 note on the explanation page.*"),
    ("da", True, (unrecognised_order, second_unrecognised_order, unreadable_igg),
     "koder ikke genkendt; +1 datanote mere og 1 note på begrundelsessiden.*"),
    ("en", False, (unrecognised_order, unreadable_igg), "not recognised by its code: not used; +1 more data note and 1 "
                                                        "note not shown here.*"),
    ("en", False, (unrecognised_order, second_unrecognised_order, unreadable_igg),
     "codes not recognised; +1 more data note and 1 note not shown here.*"),
    ("da", False, (unrecognised_order, second_unrecognised_order, unreadable_igg),
     "koder ikke genkendt; +1 datanote mere og 1 note ikke vist her.*"),
])
def test_a_card_counts_its_data_notes_and_caveats_cut_once(lang: str, linked: bool, extra: tuple[Any, ...],
                                                            says: str) -> None:
    """A card that names a data note, counts the others and cut caveats: one count for both, in one sentence; a linked
    card said "+1 more on the explanation page. 3 more notes on the explanation page." (two in a row), and one with no
    page to link (replay, the worklist) "+1 more data note. 1 note not shown here."."""
    made = [make(n) if make is unreadable_igg else make() for n, make in enumerate(extra)]
    detail = crowded(OVERDUE, date(2026, 4, 15), lang, linked, *made)
    assert says in detail, detail
    assert len(re.findall(r"explanation page|begrundelsessiden|not shown here|ikke vist her", detail)) == 1, detail


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_ranked_list_decides_what_is_held(lang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The fitting reads `KEEPS`: with the reminder of a card against a start ranked after the explanatory caveats,
    the crowded card against a start no longer keeps it before them."""
    from cds_service.cards import render

    def detail() -> str:
        bundle = load_bundle(str(FIXTURES / f"{NO_START}.json"))
        patient = request_from_bundle(bundle)["context"]["patientId"]
        drafts = [of_patient(d, patient)
                  for d in load_drafts([str(FIXTURES / "drafts" / "orders-pt-dk-0001.draft.json")])]
        found = replay(load_runtime(Settings()), bundle, hook="order-select", drafts=drafts, lang=lang,
                       at=date(2024, 9, 2))
        return str(next(c for c, a in zip(found.cards, found.advice)
                        if a.code == "order-does-not-meet-criteria")["detail"])

    assert REMINDER(lang) in detail()
    monkeypatch.setattr(render, "KEEPS", tuple(r for r in render.KEEPS if r != "reminder-against") + ("reminder-against",))
    assert REMINDER(lang) not in detail()


@pytest.mark.parametrize("lang, says", [("en", "- Draft order: IVIG from 2026-02-20"),
                                        ("da", "- Ordinationsudkast: IVIG fra 2026-02-20")])
def test_holding_the_reminder_never_costs_a_fact_the_joined_window_line_made_room_for(lang: str, says: str) -> None:
    """A restart drafted inside the window beside a caveat on the latest IgG (taken on substitution): the Danish card
    held the reminder by splitting the T0 and window lines again and lost the draft order's line, the two counted as
    even with the joined line and the draft order; the joined line counts as the two facts it shows."""
    card, _ = not_met("ivig-doses-ended-igg-on-infusions-restart-general-criteria", date(2026, 2, 20), lang)
    assert says in card["detail"], card["detail"]
    assert {"en": "taken on Ig or in its washout and not used (§3.4); IgG ≥ 4 g/L counts from 2026-02-24.",
            "da": "taget under Ig eller i udvaskningen og ikke brugt (§3.4); IgG ≥ 4 g/L tæller fra "
                  "2026-02-24."}[lang] in card["detail"]
