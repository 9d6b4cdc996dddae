"""The myeloma patient on a bispecific antibody, over the course of the bsAb (Medicinrådet 2025 §4.1-§4.3;
clinical rules §3 and §7, paraprotein).

Most patients on a BCMA or GPRC5D bispecific (teclistamab, elranatamab, talquetamab) have multiple myeloma: in an
IgG myeloma the total IgG carries the M-protein, and the guideline's reviews say so (Bilag C: IgG can be falsely high
because of the paraprotein; the clonal IgG is to be subtracted). The clinician's side: every card that decides on
polyclonal IgG shows the figures it used (the total, the M-protein, the difference, and their dates) so that it can
be checked in ten seconds; no card starts, or refuses, on a total the paraprotein makes meaningless without saying so.

Each chart is as a Danish EHR sends it (NPU codes for IgG and the typed M-protein, LOINC 33358-3 for the electrophoresis
M-protein, NPU02642 immunofixation with its type as text, ATC for the bsAb and the CAR-T product, SKS diagnoses), and
each test says first what a haematologist reading the guideline expects. Part of the round runs through the real
HTTP server (uvicorn on 127.0.0.1), the rest in process (`replay`), always on an explicit evaluation date.

Faults this round found, each held by a test here: a card that subtracted an M-protein measured days or weeks before
the IgG (the policy allows 30 days) showed it without its date, so the clinician could not see that the M-protein,
falling under the bsAb, was three weeks older than the total it was subtracted from; recurrent acute sinusitis (ICD-10
J01), a typical infection of these patients, was read as no infection at all: not counted even with a positive culture,
and not named; an IgG myeloma (by immunofixation) whose M-protein was never measured had no card at all with a total
IgG of 12.0 g/L, and an IVIG draft was refused on that total with no word that it may hide a low polyclonal IgG; an M-protein sent as
"M-komponent påvist, ikke kvantificerbar" was not read (only the text without the analyte was), so the card decided
on the total in the 4-6 band beside a note that no M-protein had been measured with the IgG.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Iterator

import httpx
import pytest

from cds_service.http.app import create_app
from cds_service.http.discovery import ORDER_SELECT_ID, ORDER_SIGN_ID, PATIENT_VIEW_ID
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay, request_from_bundle

from .environment import tmp_settings
from .reading_charts import (LOINC, MYELOMA, NPU, SUBJECT, UCUM, chart, culture, draft, given, igg, infection, rid)
from .servers import SettableClock, serve_in_thread

RUNTIME = load_runtime(Settings())
Resource = dict[str, Any]

TEC, TALQ, CILTA = "L01FX24", "L01FX29", "L01XL05"
STEP_UP = ["2026-01-05", "2026-01-08", "2026-01-11"]  # teclistamab step-up doses (day 1, 4, 7), then weekly


def weekly(start: str, n: int, every: int = 7) -> list[str]:
    first = date.fromisoformat(start)
    return [(first + timedelta(days=every * i)).isoformat() for i in range(n)]


def observation(code: str, when: str, value: float | None = None, *, system: str = LOINC, unit: str = "g/L",
                comparator: str | None = None, text: str | None = None, code_text: str | None = None) -> Resource:
    out: Resource = {"resourceType": "Observation", "id": rid("obs"), "status": "final", "subject": SUBJECT,
                     "effectiveDateTime": when, "code": {"coding": [{"system": system, "code": code}]}}
    if code_text:
        out["code"]["text"] = code_text
    if value is not None:
        q: Resource = {"value": value, "unit": unit, "system": UCUM, "code": unit}
        if comparator:
            q["comparator"] = comparator
        out["valueQuantity"] = q
    if text is not None:
        out["valueString"] = text
    return out


def spep(when: str, value: float | None = None, **kw: Any) -> Resource:
    """Serum protein electrophoresis: the M-protein in g/L, type not in the code (LOINC 33358-3)."""
    return observation("33358-3", when, value, **kw)


def fixation(when: str, text: str) -> Resource:
    """Serum immunofixation (NPU02642), its finding as the laboratory writes it."""
    return observation("NPU02642", when, system=NPU, text=text)


def igg_kappa(when: str, value: float) -> Resource:
    """NPU28638 P-Immunglobulin G(kappa; monoklonalt): an M-protein typed by its code."""
    return observation("NPU28638", when, value, system=NPU)


def tec(*days: str) -> list[Resource]:
    return given(TEC, *days, text="Tecvayli (teclistamab)", prefix="tec")


def on_tec(*extra: Resource | list[Resource]) -> Resource:
    """Teclistamab from 2026-01-05 (step-up, then weekly): T0 2026-01-05, stop date 2026-07-05."""
    return chart(tec(*STEP_UP, *weekly("2026-01-18", 4)), *extra, dx=MYELOMA)


AFTER = ["2025-01-06", "2025-01-09", "2025-01-12", *weekly("2025-01-19", 30)]  # T0 2025-01-06, window ends 2025-07-06


def after_window(*extra: Resource | list[Resource]) -> Resource:
    return chart(tec(*AFTER), *extra, dx=MYELOMA)


def ask(bundle: Resource, at: str, lang: str = "en", hook: str = "patient-view",
        drafts: list[Resource] | None = None) -> list[dict[str, Any]]:
    return replay(RUNTIME, bundle, lang=lang, hook=hook, drafts=drafts, at=date.fromisoformat(at)).cards


def code_of(card: dict[str, Any]) -> str:
    return str(card["source"]["topic"]["code"])


def one(bundle: Resource, at: str, lang: str = "en", **kw: Any) -> dict[str, Any]:
    cards = ask(bundle, at, lang, **kw)
    assert len(cards) == 1, [c["summary"] for c in cards]
    return cards[0]


# ---- IgG-kappa / IgG-lambda myeloma: the M-protein subtracted, with its figures and dates --------------------------

@pytest.mark.parametrize("lang, polyclonal, line", [
    ("en", "Polyclonal IgG 1.8 g/L (total 9.0)",
     "Polyclonal IgG 1.8 g/L on 2026-02-10: total 9.0 g/L − IgG M-protein 7.2 g/L"),
    ("da", "Polyklonal IgG 1,8 g/L (total 9,0)",
     "Polyklonal IgG 1,8 g/L den 2026-02-10: total 9,0 g/L − IgG M-komponent 7,2 g/L"),
])
def test_same_day_igg_kappa_decides_on_polyclonal_igg_and_shows_the_sum(lang: str, polyclonal: str, line: str) -> None:
    """Total IgG 9.0 g/L (normal to the eye) with an M-protein of 7.2 g/L typed IgG kappa by immunofixation the same
    day, five weeks into teclistamab: polyclonal IgG 1.8 g/L, below 4 g/L, so the special start criterion is met (§4.1)
    with the stop at T0 + 6 months. The summary says polyclonal and the total; the detail the subtraction, dated."""
    card = one(on_tec(igg("2026-02-10", 9.0), spep("2026-02-10", 7.2), fixation("2026-02-10", "IgG kappa")),
               "2026-02-12", lang)
    assert code_of(card) == "start-substitution" and card["indicator"] == "info"
    assert card["summary"].startswith(polyclonal) and "2026-07-05" in card["summary"]
    assert f"- {line}\n" in card["detail"]  # the M-protein of the IgG's own day: no second date
    assert "2026-01-05" in card["detail"] and "§4.1" in card["detail"]


@pytest.mark.parametrize("lang, dated", [("en", "7.2 g/L (measured 2026-01-21)"), ("da", "7,2 g/L (målt 2026-01-21)")])
def test_an_m_protein_of_another_day_is_dated_on_the_card(lang: str, dated: str) -> None:
    """The same IgG 9.0 with the M-protein measured 20 days before it (within the 30-day policy): the decision is the
    same, but a clinician checking it must see that the M-protein is not the IgG's own: under the bsAb it falls week
    by week, and an older, larger M-protein makes polyclonal IgG look lower than it is."""
    card = one(on_tec(igg("2026-02-10", 9.0), spep("2026-01-21", 7.2), fixation("2026-01-21", "IgG kappa")),
               "2026-02-12", lang)
    assert code_of(card) == "start-substitution"
    assert dated in card["detail"]


def test_the_total_falls_under_4_as_the_bsab_works_and_the_card_says_which_figures_it_used() -> None:
    """Response: the M-protein falls, and with it the total IgG, to 3.6 g/L; the last M-protein (2.0 g/L) is three
    weeks old. Below 4 either way: the start criterion is met, but is it hypogammaglobulinaemia or response? The card
    shows total, M-protein and its date, so the clinician sees the subtraction rests on a three-week-old figure."""
    card = one(on_tec(igg("2026-03-20", 3.6), igg_kappa("2026-02-27", 2.0)), "2026-03-22")
    assert code_of(card) == "start-substitution"
    assert "Polyclonal IgG 1.6 g/L on 2026-03-20: total 3.6 g/L − IgG M-protein 2.0 g/L (measured 2026-02-27)" \
        in card["detail"]


def test_an_m_protein_beyond_the_policy_days_is_not_subtracted_and_the_card_asks_for_one() -> None:
    """IgG myeloma (immunofixation IgG kappa), total 9.0 g/L, the last M-protein (7.2) 45 days before the IgG: too old
    to subtract. The total cannot decide: a card asks for the M-protein with the IgG, and starts nothing."""
    card = one(on_tec(igg("2026-02-10", 9.0), spep("2025-12-27", 7.2), fixation("2025-12-27", "IgG kappa")),
               "2026-02-12")
    assert (code_of(card), card["indicator"]) == ("paraprotein-type-unknown", "info")
    assert "IgG myeloma" in card["summary"] and "9.0 g/L" in card["summary"] and "measure the M-protein" in card["summary"]
    assert not card.get("suggestions")


@pytest.mark.parametrize("total, code, shown", [
    (4.5, "measure-igg", "Polyclonal IgG >3.5 g/L (total 4.5 g/L, M-protein <1.0 g/L, 2026-03-20)"),
    (3.5, "start-substitution", "Polyclonal IgG <=3.5 g/L (total 3.5)"),
])
def test_an_m_protein_below_the_measuring_range(total: float, code: str, shown: str) -> None:
    """M-protein "<1 g/L" (IgG lambda): polyclonal IgG lies between the total less 1 and the total. Total 4.5: it may
    be on either side of 4, so ask for the figures, no start; total 3.5: below 4 whatever the M-protein, so the start
    criterion is met. Either way the card shows both bounds as reported."""
    card = one(on_tec(igg("2026-03-20", total), spep("2026-03-20", 1.0, comparator="<"),
                      fixation("2026-03-20", "IgG lambda")), "2026-03-22")
    assert code_of(card) == code
    assert card["summary"].startswith(shown)


def test_a_trace_m_protein_is_not_read_as_none() -> None:
    """Electrophoresis "spor" (a trace, not quantified) of an IgG kappa: polyclonal IgG is below the total 5.0 by an
    unknown amount, perhaps below 4: the card asks for the figure and does not put the patient in the 4-6 band."""
    card = one(on_tec(igg("2026-03-20", 5.0), spep("2026-03-20", text="spor"), fixation("2026-03-20", "IgG kappa")),
               "2026-03-22")
    assert code_of(card) == "measure-igg"
    assert "“spor”" in card["summary"] and "5.0 g/L" in card["summary"]


def test_a_trace_named_with_its_analyte_is_read_as_a_trace() -> None:
    """"M-komponent påvist, ikke kvantificerbar" is the same finding as "påvist, ikke kvantificerbar" with the
    analyte named (as "M-komponent ikke påvist" is read as none found): polyclonal IgG lies below the total 5.0 by an
    unknown amount. Not read, the card put the patient in the 4-6 band on the total and said no M-protein was
    measured with the IgG, beside a note that the M-protein of that very day could not be read."""
    card = one(on_tec(igg("2026-03-20", 5.0), spep("2026-03-20", text="M-komponent påvist, ikke kvantificerbar"),
                      fixation("2026-03-20", "IgG kappa")), "2026-03-22")
    assert code_of(card) == "measure-igg"
    assert "“M-komponent påvist, ikke kvantificerbar” not quantified" in card["summary"]


def test_fixation_positive_electrophoresis_zero_shows_the_figures_it_used() -> None:
    """Immunofixation IgG kappa, electrophoresis 0 g/L the same day (an M-protein below what electrophoresis
    measures), total 4.3: the card decides on 4.3 less 0.0 (the 4-6 band). Whether an M-protein found by immunofixation
    but measured as 0 should be read as "not quantified" (polyclonal IgG possibly below 4) is for a haematologist to
    say; what the card must do in any case is show the figures it used, which it does."""
    card = one(on_tec(igg("2026-03-20", 4.3), spep("2026-03-20", 0.0), fixation("2026-03-20", "IgG kappa")),
               "2026-03-22")
    assert code_of(card) == "general-criteria-igg-under-6"
    assert "Polyclonal IgG 4.3 g/L on 2026-03-20: total 4.3 g/L − IgG M-protein 0.0 g/L" in card["detail"]


def _code_text(when: str) -> Resource:
    return spep(when, 7.2, code_text="M-komponent IgG lambda")


def _fixation_concept(when: str) -> Resource:
    out = fixation(when, "")
    del out["valueString"]
    out["valueCodeableConcept"] = {"text": "IgG kappa"}
    return out


@pytest.mark.parametrize("typed", [
    pytest.param(lambda d: [spep(d, 7.2), fixation(d, "IgG-κ")], id="fixation-IgG-κ"),
    pytest.param(lambda d: [spep(d, 7.2), fixation(d, "M-komponent IgG lambda")], id="fixation-m-komponent"),
    pytest.param(lambda d: [spep(d, 7.2), _fixation_concept(d)], id="fixation-concept-text"),
    pytest.param(lambda d: [_code_text(d)], id="m-protein-code-text"),
    pytest.param(lambda d: [observation("NPU28639", d, 7.2, system=NPU)], id="npu-igg-lambda-code"),
])
def test_the_isotype_is_read_wherever_the_laboratory_puts_it(typed: Any) -> None:
    """The M-protein's type in the immunofixation's text ("IgG-κ", "M-komponent IgG lambda"), in a coded value's text,
    in the M-protein result's own code text, or in its NPU code: each makes it an IgG M-protein, subtracted."""
    card = one(on_tec(igg("2026-02-10", 9.0), *typed("2026-02-10")), "2026-02-12")
    assert code_of(card) == "start-substitution"
    assert card["summary"].startswith("Polyclonal IgG 1.8 g/L (total 9.0)")


def test_an_m_protein_of_unknown_type_is_not_subtracted_and_the_card_asks_for_its_type() -> None:
    """An M-protein of 7.2 g/L with no type anywhere, total IgG 9.0: if IgG, polyclonal IgG would be 1.8 (a start);
    if IgA or light chain, the total is polyclonal (nothing to do). The card gives both figures, dated, and asks for
    immunofixation; it starts nothing on a guess."""
    card = one(on_tec(igg("2026-02-10", 9.0), spep("2026-02-10", 7.2)), "2026-02-12")
    assert code_of(card) == "paraprotein-type-unknown"
    assert "if IgG, polyclonal IgG is 1.8 g/L" in card["summary"]
    assert "- M-protein 7.2 g/L on 2026-02-10, type unknown" in card["detail"]


def test_igg_myeloma_whose_m_protein_was_never_measured_is_not_judged_on_its_total() -> None:
    """Immunofixation IgG kappa, no M-protein quantity anywhere in the chart, total IgG 12.0 five weeks into
    teclistamab. The total says nothing of polyclonal IgG (an M-protein of 10 would leave 2): the card says that it
    cannot tell and asks for the M-protein. It said nothing at all (the caveat was given only within 2 g/L above a
    threshold)."""
    card = one(on_tec(igg("2026-02-10", 12.0), fixation("2026-02-10", "IgG kappa")), "2026-02-12")
    assert code_of(card) == "paraprotein-type-unknown"
    assert card["summary"] == ("IgG myeloma, total IgG 12.0 g/L (2026-02-10), M-protein not measured with it: "
                               "polyclonal IgG may be < 4 g/L; measure the M-protein")


def test_igg_myeloma_whose_m_protein_was_measured_long_ago_keeps_the_policy_margin() -> None:
    """The same total 12.0, with an IgG M-protein of 1.5 measured four months before: the M-protein is small; a total
    of 12 cannot hide a polyclonal IgG below 6 by the last figure and the policy's 2 g/L margin: no card."""
    assert ask(on_tec(igg("2026-02-10", 12.0), igg_kappa("2025-10-10", 1.5)), "2026-02-12") == []


@pytest.mark.parametrize("measured", [
    spep("2025-11-01", 1.0, comparator="<"),  # below the measuring range: at most 1.0
    fixation("2025-12-01", "Negativ"),  # immunofixation in remission found none: as "Ikke påvist"
], ids=["bound", "negative-fixation"])
def test_igg_myeloma_whose_m_protein_was_measured_as_small_or_none_keeps_the_policy_margin(measured: Resource) -> None:
    """IgG kappa myeloma (immunofixation 2025-06), then an M-protein below the measuring range ("<1.0 g/L") or a
    negative immunofixation in remission, and total IgG 9.0 months later: the M-protein was measured, and small, as
    with "Ikke påvist"; the policy's 2 g/L margin holds and a total of 9 gives no card. It was read as never measured
    ('polyclonal IgG may be < 4 g/L') at any total. A total of 5.5 keeps the caveat."""
    bundle = on_tec(fixation("2025-06-01", "IgG kappa"), measured, igg("2026-02-10", 9.0))
    assert ask(bundle, "2026-02-12") == []
    card = one(on_tec(fixation("2025-06-01", "IgG kappa"), measured, igg("2026-02-10", 5.5)), "2026-02-12")
    assert "IgG myeloma without an M-protein measured with this IgG" in card["detail"]


def test_igg_myeloma_found_again_after_a_negative_fixation_is_not_judged_on_its_total() -> None:
    """Negative immunofixation in December, IgG kappa found again in January (relapse), no M-protein quantity: the
    amount is unknown again, and a total of 9.0 may hide a polyclonal IgG below 4."""
    bundle = on_tec(fixation("2025-06-01", "IgG kappa"), fixation("2025-12-01", "Negativ"),
                    fixation("2026-01-20", "IgG kappa"), igg("2026-02-10", 9.0))
    card = one(bundle, "2026-02-12")
    assert card["summary"] == ("IgG myeloma, total IgG 9.0 g/L (2026-02-10), M-protein not measured with it: "
                               "polyclonal IgG may be < 4 g/L; measure the M-protein")


@pytest.mark.parametrize("lang, end", [
    ("en", "stop attempt 2026-07-05 (137 days left)"), ("da", "seponeringsforsøg 2026-07-05 (om 137 dage)")])
def test_a_polyclonal_start_summary_keeps_the_days_left_in_danish_too(lang: str, end: str) -> None:
    """IgG 6.8 with an IgG kappa M-protein 3.5 three weeks before it: polyclonal 3.3, start. The Danish summary with
    "(137 dage tilbage)" is 142 characters, so it dropped the days left the English keeps; said briefer, it fits."""
    card = one(on_tec(igg("2026-02-16", 6.8), observation("NPU28638", "2026-01-26", 3.5, system=NPU)),
               "2026-02-18", lang)
    assert code_of(card) == "start-substitution"
    assert card["summary"].endswith(end) and len(card["summary"]) <= 140, card["summary"]


# ---- IgA and light-chain myeloma: the total IgG is polyclonal (immunoparesis) --------------------------------------

def test_iga_myeloma_total_igg_is_polyclonal_and_decides_as_it_is() -> None:
    """IgA kappa myeloma (NPU28634, 15 g/L): the M-protein is not in the IgG. Total IgG 2.8 (immunoparesis) is the
    polyclonal IgG: the start criterion is met on 2.8; nothing is subtracted and no caveat is given."""
    card = one(on_tec(igg("2026-02-10", 2.8), observation("NPU28634", "2026-02-10", 15.0, system=NPU)), "2026-02-12")
    assert code_of(card) == "start-substitution"
    assert card["summary"].startswith("IgG 2.8 g/L < 4 g/L (2026-02-10)")
    assert "olyclonal" not in card["detail"] and "M-protein 15" not in card["detail"]
    # the IgA M-protein is named as seen and not subtracted (data the rules saw and did not use), not as a figure used
    assert "M-protein IgA 15.0 g/L (2026-02-10) is not IgG: not subtracted" in card["detail"].replace("\\", "")


@pytest.mark.parametrize("iga_day", ["2026-02-10", "2026-02-09"])
@pytest.mark.parametrize("lang, summary", [("en", "Polyclonal IgG 2.0 g/L (total 7.0) < 4 g/L (2026-02-10)"),
                                           ("da", "Polyklonal IgG 2,0 g/L (total 7,0) < 4 g/L (2026-02-10)")])
def test_biclonal_myeloma_subtracts_the_igg_m_protein_whichever_lies_nearer(iga_day: str, lang: str,
                                                                            summary: str) -> None:
    """Biclonal myeloma: IgG kappa M-protein 5.0 g/L (NPU28638) on 2026-02-08, IgA M-protein 3.0 g/L (NPU28634) nearer
    the total IgG 7.0 of 2026-02-10. Only the IgG M-protein is in the total: polyclonal IgG 7.0 − 5.0 = 2.0, the start
    criterion is met (§4.1; Bilag C). The rules took the nearer IgA M-protein as the one to set beside the total,
    subtracted nothing and, the total being 7.0, gave no card at all."""
    card = one(on_tec(igg("2026-02-10", 7.0), observation("NPU28638", "2026-02-08", 5.0, system=NPU),
                      observation("NPU28634", iga_day, 3.0, system=NPU)), "2026-02-12", lang)
    assert code_of(card) == "start-substitution"
    assert card["summary"].startswith(summary), card["summary"]
    assert "5.0 g/L" in card["detail"].replace(",", ".") and "2026-02-08" in card["detail"], card["detail"]


def test_iga_myeloma_typed_by_fixation_total_in_the_4_to_6_band() -> None:
    """IgA lambda by immunofixation, electrophoresis M-protein 15 g/L, total IgG 4.5: the 4-6 band, general criteria
    (§4.1, last paragraph); the 15 g/L is not subtracted (it would give a negative 'polyclonal IgG')."""
    card = one(on_tec(igg("2026-02-10", 4.5), spep("2026-02-10", 15.0), fixation("2026-02-10", "IgA lambda")),
               "2026-02-12")
    assert code_of(card) == "general-criteria-igg-under-6"
    assert card["summary"].startswith("IgG 4.5 g/L (2026-02-10)") and "Myeloma" not in card["detail"]


def test_light_chain_myeloma_a_free_light_chain_is_not_an_m_protein_in_g_per_l() -> None:
    """Bence Jones myeloma: free kappa 850 mg/L (NPU19606). A free light chain is not in total IgG and is no M-protein
    quantity to subtract: the total 3.0 decides; the start criterion is met."""
    card = one(on_tec(igg("2026-02-10", 3.0), observation("NPU19606", "2026-02-10", 850.0, system=NPU, unit="mg/L")),
               "2026-02-12")
    assert code_of(card) == "start-substitution"
    assert card["summary"].startswith("IgG 3.0 g/L < 4 g/L")


def test_light_chain_myeloma_typed_by_fixation_needs_no_caveat() -> None:
    """Immunofixation "frie kappa-kæder (Bence Jones)": a light-chain myeloma. Total IgG 4.6 is polyclonal: the 4-6
    band, with no 'if the M-protein is IgG' caveat (it is not)."""
    card = one(on_tec(igg("2026-02-10", 4.6), fixation("2026-02-10", "frie kappa-kæder (Bence Jones)")), "2026-02-12")
    assert code_of(card) == "general-criteria-igg-under-6"
    assert "Myeloma of unknown type" not in card["detail"]


@pytest.mark.parametrize("lang, caveat", [("en", "Myeloma of unknown type"), ("da", "Myelomatose af ukendt type")])
def test_a_light_chain_fixation_that_found_no_complete_m_protein_types_the_myeloma(lang: str, caveat: str) -> None:
    """"Frie kappa lette kæder (Bence Jones kappa); ingen komplet M-komponent" was read as a negative immunofixation
    (its "ingen"), which spares the caveat only for an IgG within 30 days of it: an IgG six weeks later read "Myeloma
    of unknown type ... immunofixation tells" beside the immunofixation that told. A light chain found in a statement
    of its own types the myeloma (not IgG); a text that finds none ("Ingen M-komponent, ingen frie kappa") does not."""
    found = "Frie kappa lette kæder (Bence Jones kappa); ingen komplet M-komponent"
    card = one(on_tec(igg("2026-02-10", 4.4), fixation("2025-12-28", found)), "2026-02-12", lang)
    assert code_of(card) == "general-criteria-igg-under-6"
    assert caveat not in card["detail"], card["detail"]
    card = one(on_tec(igg("2026-02-10", 4.4), fixation("2025-12-28", "Ingen M-komponent, ingen frie kappa")),
               "2026-02-12", lang)
    assert caveat in card["detail"], card["detail"]


def test_myeloma_of_unknown_type_near_a_threshold_carries_the_caveat() -> None:
    """A myeloma diagnosis (DC900) and no M-protein result at all; total IgG 4.8. If the myeloma is IgG, polyclonal
    IgG could be below 4: the 4-6 band card says so and names immunofixation."""
    card = one(on_tec(igg("2026-02-10", 4.8)), "2026-02-12")
    assert code_of(card) == "general-criteria-igg-under-6"
    assert "Myeloma of unknown type" in card["detail"] and "immunofixation" in card["detail"]


# ---- the course of the bsAb: T0, switches, pauses, CAR-T ---------------------------------------------------------

def test_a_switch_from_teclistamab_to_talquetamab_starts_a_new_window() -> None:
    """Teclistamab from 2025-06-02, stopped for progression; talquetamab (GPRC5D) from 2025-10-20. [policy] a new bsAb
    course starts a new high-risk period: T0 2025-10-20, stop date 2026-04-20. IgG 6.5 less an IgG M-protein of 3.9:
    polyclonal 2.6, the start criterion is met."""
    bundle = chart(tec("2025-06-02", "2025-06-05", "2025-06-08", *weekly("2025-06-15", 16)),
                   given(TALQ, "2025-10-20", "2025-10-22", "2025-10-24", *weekly("2025-10-31", 10),
                         text="Talvey (talquetamab)", prefix="talq"),
                   igg("2026-01-08", 6.5), igg_kappa("2026-01-08", 3.9), dx=MYELOMA)
    card = one(bundle, "2026-01-10")
    assert code_of(card) == "start-substitution"
    assert "Start of talquetamab (T0) 2025-10-20" in card["detail"] and "2026-04-20" in card["summary"]
    assert card["summary"].startswith("Polyclonal IgG 2.6 g/L (total 6.5)")


def test_a_bsab_stopped_for_progression_keeps_its_window() -> None:
    """Teclistamab stopped after two months: the six months from its first dose still run (§4.1 counts from the
    start); IgG 3.0 four months in meets the start criterion, stop attempt at T0 + 6 months."""
    bundle = chart(tec("2025-06-02", "2025-06-05", "2025-06-08", *weekly("2025-06-15", 7)), igg("2025-10-13", 3.0),
                   dx=MYELOMA)
    card = one(bundle, "2025-10-15")
    assert code_of(card) == "start-substitution" and "2025-12-02" in card["summary"]


def test_a_bsab_given_in_cycles_with_a_short_pause_is_one_course() -> None:
    """Teclistamab every two weeks with a 60-day pause (under the 90-day course gap): one course from 2025-09-01; on
    2026-03-22 the window has ended, and IgG 2.9 without infections does not meet the general criteria (§4.3)."""
    bundle = chart(tec("2025-09-01", "2025-09-04", "2025-09-07", *weekly("2025-09-14", 8, 14),
                       *weekly("2026-02-20", 4, 14)), igg("2026-03-20", 2.9), dx=MYELOMA)
    card = one(bundle, "2026-03-22")
    assert code_of(card) == "no-start-without-infections"
    assert "Start of teclistamab (T0) 2025-09-01" in card["detail"]


def test_cilta_cel_after_a_bsab_counts_from_the_infusion() -> None:
    """Cilta-cel (BCMA CAR-T) on 2025-12-01 after teclistamab: the most recent index event, T0 = the infusion."""
    bundle = chart(tec("2025-06-02", "2025-06-05", "2025-06-08", *weekly("2025-06-15", 16)),
                   given(CILTA, "2025-12-01", text="Carvykti (ciltacabtagene autoleucel)", prefix="cilta"),
                   igg("2026-01-08", 7.0), igg_kappa("2026-01-08", 4.5), dx=MYELOMA)
    card = one(bundle, "2026-01-10")
    assert code_of(card) == "start-substitution"
    assert "CAR-T infusion (T0) 2025-12-01" in card["detail"] and "2026-06-01" in card["summary"]


def test_a_bsab_after_ide_cel_counts_from_its_first_dose() -> None:
    """Ide-cel (BCMA CAR-T) in March 2025, relapse, teclistamab from 2025-11-03: the bsAb is the most recent index
    event; polyclonal IgG 3.5 (total 5.5 less 2.0) meets the start criterion, stop attempt 2026-05-03."""
    bundle = chart(given("L01XL06", "2025-03-03", text="Abecma (idecabtagene vicleucel)", prefix="idecel"),
                   tec("2025-11-03", "2025-11-06", "2025-11-09", *weekly("2025-11-16", 8)),
                   igg("2026-01-08", 5.5), igg_kappa("2026-01-08", 2.0), dx=MYELOMA)
    card = one(bundle, "2026-01-10")
    assert code_of(card) == "start-substitution"
    assert "Start of teclistamab (T0) 2025-11-03" in card["detail"] and "2026-05-03" in card["summary"]
    assert card["summary"].startswith("Polyclonal IgG 3.5 g/L (total 5.5)")


# ---- infections after the window: the general criteria on polyclonal IgG ----------------------------------------

def test_after_the_window_pneumonia_with_a_culture_meets_the_general_criteria_on_polyclonal_igg() -> None:
    """Eight months after teclistamab: total 8.0, IgG M-protein 5.1, polyclonal 2.9; a pneumonia with no organism in
    its code and S. pneumoniae in a blood culture the day before: a verified bacterial infection (§7), severe. The
    general criteria are met (§4.3), with the general stop (6-12 months after the start)."""
    card = one(after_window(igg("2025-09-10", 8.0), igg_kappa("2025-09-10", 5.1),
                            infection("2025-08-20", "DJ189", text="Pneumoni"),
                            culture("2025-08-19", "Streptococcus pneumoniae påvist")), "2025-09-12")
    assert code_of(card) == "start-meets-general-criteria"
    assert card["summary"].startswith("Polyclonal IgG 2.9 g/L (total 8.0)")
    assert "positive blood culture 2025-08-19" in card["detail"]


def test_after_the_window_cmv_and_sinusitis_without_a_culture_are_named_not_counted() -> None:
    """Polyclonal IgG 2.9 after the window; CMV reactivation (viral) and two acute sinusitis episodes (J01, no organism,
    no culture). None is a verified bacterial infection: start not recommended (§4.3). Each is named, not dropped."""
    card = one(after_window(igg("2025-09-10", 8.0), igg_kappa("2025-09-10", 5.1),
                            infection("2025-08-01", "DB259", text="CMV-reaktivering"),
                            infection("2025-06-01", "DJ019", text="Akut sinuitis"),
                            infection("2025-07-15", "DJ019", text="Akut sinuitis")), "2025-09-12")
    assert code_of(card) == "no-start-without-infections"
    assert "CMV-reaktivering" in card["detail"]
    assert "2 infections without a bacterial code or matching positive culture were not counted" in card["detail"]


def test_recurrent_sinusitis_with_positive_cultures_meets_the_general_criteria() -> None:
    """Two acute sinusitis episodes six weeks apart, each with H. influenzae in a respiratory culture: recurrent
    verified bacterial infections. With polyclonal IgG 2.9 after the window the general criteria are met (§4.3)."""
    card = one(after_window(igg("2025-09-10", 8.0), igg_kappa("2025-09-10", 5.1),
                            infection("2025-06-01", "DJ019", text="Akut sinuitis"),
                            culture("2025-06-02", "Haemophilus influenzae", loinc="6463-4"),
                            infection("2025-07-15", "DJ019", text="Akut sinuitis"),
                            culture("2025-07-15", "Haemophilus influenzae", loinc="6463-4")), "2025-09-12")
    assert code_of(card) == "start-meets-general-criteria"
    assert "Recurrent" in card["detail"] or "recurrent" in card["detail"]


# ---- order hooks: IVIG drafted at each stage ----------------------------------------------------------------------

def test_ivig_drafted_in_the_window_on_polyclonal_igg_below_4_meets_the_criterion() -> None:
    """IVIG drafted five weeks into teclistamab, polyclonal IgG 1.8 (total 9.0): the order meets the special start
    criterion; it is to end on the stop date."""
    bundle = on_tec(igg("2026-02-10", 9.0), igg_kappa("2026-02-10", 7.2))
    card = one(bundle, "2026-02-12", hook="order-select", drafts=[draft("2026-02-13")])
    assert code_of(card) == "order-meets-criteria" and card["indicator"] == "info"
    assert "polyclonal IgG 1.8 g/L (total 9.0)" in card["summary"] and "2026-07-05" in card["summary"]


def test_ivig_drafted_on_a_total_that_hides_a_normal_polyclonal_igg_is_refused_with_the_figures() -> None:
    """Total IgG 9.0, IgG M-protein 2.0: polyclonal 7.0 is not below 4: the order does not meet the criterion
    (warning), and the card shows the polyclonal figure it refused on, with the total and the M-protein."""
    bundle = on_tec(igg("2026-02-10", 9.0), igg_kappa("2026-02-10", 2.0))
    card = one(bundle, "2026-02-12", hook="order-select", drafts=[draft("2026-02-13")])
    assert (code_of(card), card["indicator"]) == ("order-does-not-meet-criteria", "warning")
    assert "polyclonal IgG 7.0 g/L" in card["summary"]
    assert "total 9.0 g/L − IgG M-protein 2.0 g/L" in card["detail"]


def test_ivig_drafted_on_an_old_m_protein_dates_it() -> None:
    """The M-protein subtracted is 26 days older than the IgG: the order card dates it, as patient-view does."""
    bundle = on_tec(igg("2026-02-10", 9.0), igg_kappa("2026-01-15", 7.2))
    card = one(bundle, "2026-02-12", hook="order-select", drafts=[draft("2026-02-13")])
    assert code_of(card) == "order-meets-criteria"
    assert "7.2 g/L (measured 2026-01-15)" in card["detail"]


def test_ivig_drafted_on_a_total_without_an_m_protein_says_the_total_may_mislead() -> None:
    """IgG myeloma, total 9.0 and the last M-protein more than 30 days before: the draft fails on the total, and the
    card says that polyclonal IgG may be lower and asks for the M-protein (it never refuses on the total silently)."""
    bundle = on_tec(igg("2026-02-10", 9.0), igg_kappa("2025-12-01", 7.2))
    card = one(bundle, "2026-02-12", hook="order-select", drafts=[draft("2026-02-13")])
    assert code_of(card) == "order-does-not-meet-criteria"
    assert "IgG myeloma without an M-protein measured with this IgG" in card["detail"]


def test_ivig_drafted_for_an_igg_myeloma_never_measured_is_not_refused_on_its_total_in_silence() -> None:
    """IgG kappa by immunofixation, no M-protein ever measured, total 12.0: the draft fails on the total (the data
    show nothing lower), and the card says that polyclonal IgG may be lower and asks for the M-protein."""
    bundle = on_tec(igg("2026-02-10", 12.0), fixation("2026-02-10", "IgG kappa"))
    card = one(bundle, "2026-02-12", hook="order-select", drafts=[draft("2026-02-13")])
    assert code_of(card) == "order-does-not-meet-criteria"
    assert "IgG myeloma without an M-protein measured with this IgG" in card["detail"]


def test_ivig_signed_after_the_window_without_infections_is_refused_on_polyclonal_igg() -> None:
    """After the window, polyclonal IgG 2.9 and no infection: the general criteria are not met (§4.3)."""
    bundle = after_window(igg("2025-09-10", 8.0), igg_kappa("2025-09-10", 5.1))
    card = one(bundle, "2025-09-12", hook="order-sign", drafts=[draft("2025-09-13")])
    assert (code_of(card), card["indicator"]) == ("order-does-not-meet-criteria", "warning")
    assert "polyclonal IgG 2.9 g/L (total 8.0)" in card["summary"]


# ---- through the real HTTP server ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, SettableClock]]:
    clock = SettableClock()
    with serve_in_thread(create_app(tmp_settings(), clock=clock)) as base:
        yield base, clock


def call(base: str, bundle: Resource, hook: str = "patient-view", drafts: list[Resource] | None = None,
         lang: str = "en") -> list[dict[str, Any]]:
    service = {"patient-view": PATIENT_VIEW_ID, "order-select": ORDER_SELECT_ID, "order-sign": ORDER_SIGN_ID}[hook]
    response = httpx.post(f"{base}/cds-services/{service}", json=request_from_bundle(bundle, hook, drafts),
                          timeout=30, headers={"Accept-Language": lang})
    assert response.status_code == 200, response.text
    return response.json()["cards"]  # type: ignore[no-any-return]


def test_over_http_the_course_of_an_igg_kappa_myeloma_on_teclistamab(server: tuple[str, SettableClock]) -> None:
    """One IgG-kappa patient over the bsAb course, asked over HTTP on the days a clinician opens the chart:
    - day 36: total 9.0, M-protein 7.2 (20 days old): polyclonal 1.8, start, the M-protein dated;
    - IVIG drafted the next day: the order meets the criterion, to end on 2026-07-05;
    - in Danish: the same card, Danish throughout, with the M-protein's date."""
    base, clock = server
    bundle = on_tec(igg("2026-02-10", 9.0), igg_kappa("2026-01-21", 7.2))
    clock.set(date(2026, 2, 10))
    [start] = call(base, bundle)
    assert start["source"]["topic"]["code"] == "start-substitution"
    assert "total 9.0 g/L − IgG M-protein 7.2 g/L (measured 2026-01-21)" in start["detail"]
    clock.set(date(2026, 2, 11))
    [order] = call(base, bundle, "order-select", [draft("2026-02-12")])
    assert order["source"]["topic"]["code"] == "order-meets-criteria" and "2026-07-05" in order["summary"]
    [da] = call(base, bundle, lang="da")
    assert "total 9,0 g/L − IgG M-komponent 7,2 g/L (målt 2026-01-21)" in da["detail"]
    assert "measured" not in da["detail"]


def test_over_http_a_response_and_then_the_general_criteria(server: tuple[str, SettableClock]) -> None:
    """The same patient later: the M-protein falls to 0.6 and the total to 3.1 (polyclonal 2.5, still a start in the
    window); eight months on, with a culture-verified pneumonia, the general criteria on polyclonal IgG."""
    base, clock = server
    clock.set(date(2026, 3, 22))
    [card] = call(base, on_tec(igg("2026-03-20", 3.1), spep("2026-03-20", 0.6), fixation("2026-03-20", "IgG kappa")))
    assert card["source"]["topic"]["code"] == "start-substitution"
    assert "Polyclonal IgG 2.5 g/L on 2026-03-20: total 3.1 g/L − IgG M-protein 0.6 g/L" in card["detail"]
    assert "measured" not in card["detail"]
    clock.set(date(2025, 9, 12))
    [late] = call(base, after_window(igg("2025-09-10", 8.0), igg_kappa("2025-09-10", 5.1),
                                     infection("2025-08-20", "DJ189", text="Pneumoni"),
                                     culture("2025-08-19", "Streptococcus pneumoniae påvist")))
    assert late["source"]["topic"]["code"] == "start-meets-general-criteria"
