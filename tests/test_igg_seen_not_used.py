"""Lab results the rules saw and did not use are named, not dropped in silence (clinical rules §7).

An Observation under a code in no value set whose name named nothing the rules read (an IgA, an albumin, a free
light chain, an IgG subclass) left no trace: a tester could not tell it was seen; one named "IgG" alone is a total
IgG under a code not recognised, which the card names.
Each is now a data note the explanation page and `replay` list (`result-not-used`, `igg-subclass`; no card has room
for them). A card with no usable IgG names on the card itself the IgG a clinician sees in the chart and may wonder
about: an IgG subclass (not total IgG), and inside the window the newest IgG taken before T0 (only an IgG since T0
counts there). No decision changes.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cds_service.pipeline import Answer
from cds_service.tools.replay import load_drafts, replay

from .test_acceptance_lifecycle import DLBCL, LAB, LOINC, ME, NPU, RUNTIME, Chart, car_t, dx, igg
from .test_ig_maybe_on_advice import page as explanation_page

AT = date(2026, 1, 20)


def result(rid: str, day: str, system: str, code: str, name: str, value: float, unit: str = "g/L") -> dict[str, Any]:
    """A final laboratory result under `code`, named `name`."""
    return {"resourceType": "Observation", "id": rid, "status": "final", "subject": ME, "category": LAB,
            "code": {"coding": [{"system": system, "code": code, "display": name}], "text": name},
            "effectiveDateTime": f"{day}T08:05:00+01:00",
            "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}}


IGG1_LOINC = result("igg1", "2026-01-10", LOINC, "16026-7", "IgG1 [Mass/volume] in Serum", 2.1)
IGG_SUBKLASSE = result("igg-sub", "2026-01-12", "urn:oid:1.2.208.176.2.1", "DNK35312", "P-IgG-subklasse 2", 0.4)
ALBUMIN = result("alb", "2026-01-10", NPU, "NPU19673", "P-Albumin;massek.", 38.0)
KAPPA = result("flc", "2026-01-11", NPU, "NPU19843", "P-Frie kappa-lette kæder", 4.2, "mg/L")
# total IgG's LOINC 2465-3 with a wrong check digit: in no value set, named a total IgG ("IgG", no other IgG's word)
IGG_TYPO = result("igg-typo", "2026-01-09", LOINC, "2465-4", "IgG [Mass/volume] in Serum or Plasma", 3.3)


def chart(*resources: dict[str, Any]) -> dict[str, Any]:
    """A DLBCL patient, CAR-T on 2025-11-25 (inside the window on `AT`), with `resources`."""
    return Chart("seen-not-used", (dx(DLBCL, "2025-06-01"), car_t("2025-11-25"), *resources), (), "").bundle()


def page(answered: Answer, lang: str) -> str:
    """The first card's explanation page as text."""
    return explanation_page(answered, lang)[1]


def measure_card(answered: Answer) -> dict[str, Any]:
    card = answered.cards[0]
    assert card["source"]["topic"]["code"] == "measure-igg", card["summary"]
    return card


@pytest.mark.parametrize("lang, named", [
    ("en", ["a lab result (2026-01-10), P-Albumin;massek. (NPU19673): 38.0 g/L, has a code in none of the rules' value "
            "sets: not used",
            "a lab result (2026-01-11), P-Frie kappa-lette kæder (NPU19843): 4.2 mg/L, has a code"]),
    ("da", ["et laboratoriesvar (2026-01-10), P-Albumin;massek. (NPU19673): 38.0 g/L, har en kode, der ikke er i "
            "reglernes værdisæt: ikke brugt",
            "et laboratoriesvar (2026-01-11), P-Frie kappa-lette kæder (NPU19843): 4.2 mg/L, har en kode"]),
])
def test_results_in_no_value_set_are_named_on_the_page_not_on_the_card(lang: str, named: list[str]) -> None:
    """An albumin and a free light chain: each named with its name, code, value and day on the explanation page; they
    cannot change the advice, and the card (measure IgG: none usable) names neither."""
    answered = replay(RUNTIME, chart(ALBUMIN, KAPPA), at=AT, lang=lang)
    card = measure_card(answered)
    assert sorted(n.kind for n in answered.notes) == ["result-not-used"] * 2
    text = " ".join(page(answered, lang).split())
    for words in named:
        assert words in text, text
    assert "NPU19673" not in card["detail"] and "NPU19843" not in card["detail"]


@pytest.mark.parametrize("typo", [IGG_TYPO, result("s-igg", "2026-01-09", "urn:x-local", "IGGX", "S-IgG", 3.3)],
                         ids=["mistyped-loinc", "local-code"])
def test_a_total_igg_by_name_under_a_code_not_recognised_is_named_on_the_card(typo: dict[str, Any]) -> None:
    """An IgG 3.3 g/L since T0 under a code in no value set, named "IgG [Mass/volume] in Serum or Plasma" or "S-IgG":
    not used, and it could change the decision (the card asks for an IgG), so the card names it as it names one
    called "P-Immunglobulin G" (`unrecognised-code`), not the page alone."""
    answered = replay(RUNTIME, chart(typo), at=AT)
    name = typo["code"]["text"]
    assert [n.kind for n in answered.notes] == ["unrecognised-code"]
    assert name.replace("[", "\\[").replace("]", "\\]") in measure_card(answered)["detail"]


@pytest.mark.parametrize("lang, caveat, note", [
    ("en", "*Note:* “IgG1 \\[Mass/volume\\] in Serum” 2.1 g/L on 2026-01-10 is an IgG subclass, not total IgG: not "
           "used.",
     "“IgG1 [Mass/volume] in Serum 2.1 g/L” (2026-01-10) is an IgG subclass, not total IgG: not used"),
    ("da", "*Bemærk:* “IgG1 \\[Mass/volume\\] in Serum” 2.1 g/L den 2026-01-10 er en IgG-subklasse, ikke total-IgG: "
           "ikke brugt.",
     "“IgG1 [Mass/volume] in Serum 2.1 g/L” (2026-01-10) er en IgG-subklasse, ikke total-IgG: ikke brugt"),
])
def test_a_no_usable_igg_card_names_the_igg_subclass_it_did_not_use(lang: str, caveat: str, note: str) -> None:
    """CAR-T 2025-11-25, no total IgG, an IgG1 2.1 g/L on 2026-01-10 (LOINC, known as a subclass by its name): the
    card still asks for an IgG, and says why the IgG1 in the chart was not it; the page names the result too."""
    answered = replay(RUNTIME, chart(IGG1_LOINC), at=AT, lang=lang)
    card = measure_card(answered)
    assert caveat in card["detail"].splitlines(), card["detail"]
    assert [n.kind for n in answered.notes] == ["igg-subclass"]
    assert note in " ".join(page(answered, lang).split())


def test_the_newest_subclass_is_named_by_name_and_escaped() -> None:
    """Two subclass results, one by the Danish word "subklasse" under a local code: the newest is named, its text
    escaped for the card's markdown."""
    older = result("igg1", "2026-01-05", NPU, "NPU19817", "P-Immunglobulin G1;*massek*", 2.1)
    answered = replay(RUNTIME, chart(older, IGG_SUBKLASSE), at=AT)
    detail = measure_card(answered)["detail"]
    assert "“P-IgG-subklasse 2” 0.4 g/L on 2026-01-12 is an IgG subclass" in detail, detail
    assert "massek" not in detail
    assert sorted(n.kind for n in answered.notes) == ["igg-subclass", "igg-subclass"]


@pytest.mark.parametrize("lang, caveat", [
    ("en", "*Note:* The last IgG (3.2 g/L, 2025-11-01) was taken before the CAR-T infusion on 2025-11-25: not used."),
    ("da", "*Bemærk:* Seneste IgG (3,2 g/L, 2025-11-01) er taget før CAR-T-infusionen 2025-11-25: ikke brugt."),
])
def test_a_no_igg_since_t0_card_names_the_last_igg_before_t0(lang: str, caveat: str) -> None:
    """IgG 4.1 g/L on 2025-09-01 and 3.2 g/L on 2025-11-01, CAR-T on 2025-11-25: inside the window only an IgG since
    T0 counts, so the card asks for one (unchanged) and names the newest before T0 as not used; its "To do" asks for
    the IgG, once."""
    answered = replay(RUNTIME, chart(igg("old", "2025-09-01", 4.1), igg("last", "2025-11-01", 3.2)), at=AT, lang=lang)
    card = measure_card(answered)
    assert [a.variant for a in answered.advice] == ["no-igg-since-t0"]
    assert caveat in card["detail"].splitlines(), card["detail"]
    assert card["detail"].lower().count("measure" if lang == "en" else "mål igg") == 1, card["detail"]
    assert "4.1 g/L" not in card["detail"] and "4,1 g/L" not in card["detail"]
    label = "last IgG before T0, not used" if lang == "en" else "seneste IgG før T0, ikke brugt"
    assert label in page(answered, lang)


def test_an_igg_since_t0_leaves_the_earlier_one_unnamed() -> None:
    """An IgG since T0, however old, is the one the card rests on (stale: measure again): no IgG before T0 is named."""
    answered = replay(RUNTIME, chart(igg("last", "2025-11-01", 3.2), igg("since", "2025-11-30", 5.0)),
                      at=date(2026, 4, 20))
    assert "before the CAR-T infusion" not in answered.cards[0]["detail"]


@pytest.mark.parametrize("lang, caveat", [
    ("en", "*Note:* NPU19817 2.1 g/L on 2026-01-10 is an IgG subclass, not total IgG: not used."),
    ("da", "*Bemærk:* NPU19817 2.1 g/L den 2026-01-10 er en IgG-subklasse, ikke total-IgG: ikke brugt."),
])
def test_a_subclass_sent_with_its_code_alone_is_named_by_its_code(lang: str, caveat: str) -> None:
    """NPU19817 (P-Immunglobulin G1, excluded from total IgG as a subclass) sent with no text or display."""
    coded = result("igg1", "2026-01-10", NPU, "NPU19817", "", 2.1)
    coded["code"] = {"coding": [{"system": NPU, "code": "NPU19817"}]}
    answered = replay(RUNTIME, chart(coded), at=AT, lang=lang)
    assert caveat in measure_card(answered)["detail"].splitlines()


@pytest.mark.parametrize("lang, caveat", [
    ("en", "*Note:* The last IgG with a result (3.2 g/L, 2025-11-01) was taken before the CAR-T infusion on "
           "2025-11-25: not used."),
    ("da", "*Bemærk:* Seneste IgG med svar (3,2 g/L, 2025-11-01) er taget før CAR-T-infusionen 2025-11-25: ikke "
           "brugt."),
])
def test_the_igg_before_t0_does_not_ask_for_an_igg_already_awaited(lang: str, caveat: str) -> None:
    """An IgG registered on 2026-01-15 awaits its result: the card says to wait for it, and the caveat naming the IgG
    before T0 does not also say "measure IgG now"."""
    answered = replay(RUNTIME, chart(igg("last", "2025-11-01", 3.2), igg("ordered", "2026-01-15", 0.0, "registered")),
                      at=AT, lang=lang)
    detail = measure_card(answered)["detail"]
    assert caveat in detail.splitlines(), detail
    assert "measure IgG now" not in detail and "mål IgG nu" not in detail


@pytest.mark.parametrize("lang, caveat", [
    ("en", "*Note:* The last IgG (3.2 g/L, 2025-11-01) was taken before the CAR-T infusion on 2025-11-25: not used."),
    ("da", "*Bemærk:* Seneste IgG (3,2 g/L, 2025-11-01) er taget før CAR-T-infusionen 2025-11-25: ikke brugt."),
])
def test_an_ig_order_with_no_igg_since_t0_names_the_last_igg_before_t0(lang: str, caveat: str) -> None:
    """An IVIG order drafted on 2026-01-20, no IgG since the CAR-T on 2025-11-25, IgG 3.2 g/L on 2025-11-01: the order
    card (no IgG since T0: measure one) names that IgG as not used, as patient-view's card does."""
    draft = {"resourceType": "MedicationRequest", "id": "draft-ivig", "status": "draft", "intent": "order",
             "subject": ME, "authoredOn": AT.isoformat(),
             "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]}}
    answered = replay(RUNTIME, chart(igg("last", "2025-11-01", 3.2)), lang=lang, hook="order-sign", drafts=[draft],
                      at=AT)
    [card] = answered.cards
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria", card["summary"]
    assert caveat in card["detail"].splitlines(), card["detail"]


@pytest.mark.parametrize("lang, kept", [
    ("en", ["*Note:* Teclistamab, drafted with this order, would open a new high-risk window",
            "Vaccination and antibiotic prophylaxis remain central"]),
    ("da", ["*Bemærk:* Teclistamab i samme udkast", "Vaccination og antibiotikaprofylakse er centrale"]),
])
def test_an_order_card_names_the_igg_before_t0_only_where_room_is_left(lang: str, kept: list[str]) -> None:
    """The shipped chart cart-in-window-igg-low on the CAR-T day, IVIG and teclistamab drafted together: the IVIG
    card's own note (the teclistamab would open a new window) and the reminder keep their place; the last IgG before
    T0 is named only in the room left."""
    root = Path(__file__).resolve().parents[1] / "fhir_fixtures"
    bundle = json.loads((root / "cart-in-window-igg-low.json").read_text(encoding="utf-8"))
    drafts = load_drafts([str(root / "drafts" / "orders-pt-dk-0001.draft.json")])
    answered = replay(RUNTIME, bundle, lang=lang, hook="order-select", drafts=drafts, at=date(2025, 11, 18))
    ivig = [c for c in answered.cards if c["source"]["topic"]["code"] == "order-does-not-meet-criteria"]
    assert ivig, [c["summary"] for c in answered.cards]
    for words in kept:
        assert words in ivig[0]["detail"], ivig[0]["detail"]
