"""Records a hospital sends half-coded, and the "To do" of cards that ask for a measurement (clinical rules §7, §8).

- An Ig order whose Medication was not sent, but whose reference names the drug ("Privigen"), is a course the
  patient may be on: the start card says to check first and offers no second Ig order, as for an order known by its
  name in a CodeableConcept.
- A bispecific named only by its class ("bispecifikt antistof") under an ATC group code (L01FX) is not dropped in
  silence: the therapy-not-recognised card names it and asks for the criteria to be checked by hand. Beside a drug's
  own code the class words name nothing (a bispecific the guideline does not cover).
- An order drafted on an IgG reported as a bound across the threshold ("IgG >3.9") offers the IgG order to measure
  it again, as patient-view does, and its to-do says so first.
- A card that asks for IgG beside a note that the M-protein's type could change the decision asks for
  immunofixation with it.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import MYELOMA, car_t, chart, draft, igg, m_protein_untyped, order

RUNTIME = load_runtime(Settings())


def cards(bundle: dict[str, Any], at: str, lang: str = "en", hook: str = "patient-view",
          drafts: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    return replay(RUNTIME, bundle, lang=lang, at=date.fromisoformat(at), hook=hook, drafts=drafts).cards


def code(card: dict[str, Any]) -> str:
    return str(card["source"]["topic"]["code"])


def privigen_by_reference() -> dict[str, Any]:
    ig = order("J06BA02", "2025-12-01")
    del ig["medicationCodeableConcept"]
    ig["medicationReference"] = {"reference": "Medication/not-sent", "display": "Privigen"}
    return ig


@pytest.mark.parametrize("lang, check, offered", [("en", "check first", "Order IVIG"),
                                                   ("da", "tjek først", "Ordinér IVIG")])
def test_an_ig_order_named_by_its_reference_alone_is_checked_before_a_start(lang: str, check: str,
                                                                             offered: str) -> None:
    bundle = chart(car_t("2025-11-18"), igg("2025-11-28", 3.0), privigen_by_reference())
    [card] = cards(bundle, "2026-01-20", lang)
    assert code(card) == "start-substitution"
    assert "Privigen" in card["detail"] and check in card["detail"]
    assert not any(offered in s["label"] for s in card.get("suggestions", []))
    # the same order without the name is counted as a Medication not sent, and the start card offers the order
    nameless = privigen_by_reference()
    del nameless["medicationReference"]["display"]
    [plain] = cards(chart(car_t("2025-11-18"), igg("2025-11-28", 3.0), nameless), "2026-01-20", lang)
    assert code(plain) == "start-substitution" and "Privigen" not in plain["detail"]
    assert any(offered in s["label"] for s in plain.get("suggestions", []))


@pytest.mark.parametrize("hook", ["patient-view", "order-sign"])
def test_a_bispecific_named_only_by_its_class_is_named_not_dropped(hook: str) -> None:
    bsab = order("L01FX", "2025-11-18", text="bispecifikt antistof")
    if hook == "patient-view":
        found = cards(chart(bsab, igg("2026-01-13", 3.0)), "2026-01-20")
        expected = "therapy-not-recognised"
    else:
        drafted = dict(draft("2026-01-21", atc="L01FX", text="bispecifikt antistof"))
        found = cards(chart(igg("2026-01-13", 3.0)), "2026-01-20", hook=hook, drafts=[drafted])
        expected = "order-not-recognised"
    [card] = found
    assert code(card) == expected
    assert "bispecifikt antistof" in card["summary"] and "L01FX" in card["summary"]
    # the same order named as some other monoclonal antibody is no therapy the guideline covers: no card
    other = order("L01FX", "2025-11-18", text="daratumumab")
    assert cards(chart(other, igg("2026-01-13", 3.0)), "2026-01-20") == []


@pytest.mark.parametrize("atc, text", [("L01FX18", "Rybrevant (amivantamab), bispecifikt antistof"),
                                       ("B02BX06", "Hemlibra (emicizumab), bispecific antibody"),
                                       ("L01FX", "BsAb iht. protokol")])
def test_the_class_words_name_a_bispecific_only_where_no_drug_code_does(atc: str, text: str) -> None:
    """A bispecific outside the guideline (§4: B-cell or plasma-cell directed) coded as itself gets no card; the same
    words under the ATC group only are named."""
    found = cards(chart(order(atc, "2025-11-18", text=text), igg("2026-01-13", 3.0)), "2026-01-20")
    assert [code(c) for c in found] == ([] if len(atc) > 5 else ["therapy-not-recognised"]), found


@pytest.mark.parametrize("lang, lead", [("en", "Measure IgG first"), ("da", "Mål IgG først")])
def test_an_order_on_an_igg_bound_across_the_threshold_offers_the_igg_to_measure_again(lang: str, lead: str) -> None:
    bundle = chart(car_t("2025-12-01"), igg("2026-01-10", 3.9, comparator=">"))
    [card] = cards(bundle, "2026-01-20", lang, hook="order-select", drafts=[dict(draft("2026-01-20"))])
    assert code(card) == "order-does-not-meet-criteria"
    assert [s["label"] for s in card["suggestions"]] and all("IgG" in s["label"] for s in card["suggestions"])
    [todo] = [line.split(":** ", 1)[1] for line in card["detail"].splitlines() if line.startswith("**")]
    assert todo.startswith(lead), todo
    # an IgG below the threshold on the same chart: the draft meets the criterion, and no IgG is offered
    low = chart(car_t("2025-12-01"), igg("2026-01-10", 3.1))
    [met] = cards(low, "2026-01-20", lang, hook="order-select", drafts=[dict(draft("2026-01-20"))])
    assert code(met) == "order-meets-criteria"
    assert not any("IgG" in s["label"] for s in met.get("suggestions", []))


@pytest.mark.parametrize("lang, todo", [("en", "Measure serum IgG now, and order serum immunofixation with it."),
                                        ("da", "Mål IgG i serum nu, og bestil immunfiksation samtidig.")])
def test_a_stale_igg_beside_an_untyped_m_protein_is_measured_with_immunofixation(lang: str, todo: str) -> None:
    bsab = order("L01FX24", "2025-12-01", text="Tecvayli")
    bundle = chart(bsab, igg("2026-01-10", 9.0), m_protein_untyped("2026-01-10", 6.8), dx=MYELOMA)
    [card] = cards(bundle, "2026-05-31", lang)
    assert code(card) == "measure-igg"
    assert todo in card["detail"]
    # with no M-protein doubt (a lymphoma, the same IgG) the to-do asks for IgG alone
    [plain] = cards(chart(bsab, igg("2026-01-10", 9.0)), "2026-05-31", lang)
    assert code(plain) == "measure-igg" and todo not in plain["detail"]
    assert ("Measure serum IgG now." if lang == "en" else "Mål IgG i serum nu.") in plain["detail"]
