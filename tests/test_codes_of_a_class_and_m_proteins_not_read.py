"""Codes hospitals send that say less, or otherwise, than one drug or one result: each read for what it says.

- SKS writes drugs as its main group M followed by the ATC code ("MJ06BA02"): read as that ATC code.
- CAR-T products coded with their ATC codes from before 2022 (L01XX70 axicabtagene, L01XX71 tisagenlecleucel).
- SKS BOHJ19K names every bispecific T-cell engager (tarlatamab's too), not which one: the card asks which drug.
- An M-protein taken with the IgG in a myeloma and not read (its code, its status, its amount): polyclonal IgG may lie
  far below a total of 6 g/L or more, so the card names that result instead of saying nothing.
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cds_service.tools.timeline import build_timeline, patient_data

from .reading_charts import (
    ATC, MYELOMA, NPU, SKS, SUBJECT, car_t, chart, given, igg, m_protein_igg, m_protein_untyped, order, rid,
)

RUNTIME = load_runtime(Settings())
AT = date(2026, 1, 20)
MYELOMA_STORY = (car_t("2025-11-18"), igg("2026-01-12", 8.7))  # in the window, total IgG 8.7: no start by the total


def answer(bundle: dict, lang: str = "en") -> tuple[list[dict], list[str]]:
    got = replay(RUNTIME, bundle, at=AT, lang=lang)
    return got.cards, [n.kind for n in got.notes]


def code(card: dict) -> str:
    return str(card["source"]["topic"]["code"])


# -- SKS's M-form of ATC ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("written", ["MJ06BA02", "mj06ba02", "MJ06BA01"])
def test_an_ig_order_coded_in_sks_m_form_is_the_ig_its_atc_code_names(written: str) -> None:
    """An IVIG order coded SKS "MJ06BA02" (no name) for a patient on it: the stop is planned, as for J06BA02. Before,
    the order was read as no drug and the card invited a start of the Ig the patient was on."""
    on_ig = order(written, "2025-12-01", system=SKS)
    [card] = answer(chart(car_t("2025-11-18"), igg("2025-11-25", 3.2), on_ig))[0]
    assert code(card) == "stop-planned", card["summary"]
    assert "plan the stop attempt on 2026-05-18" in card["summary"]


@pytest.mark.parametrize("written", ["DM00", "M05", "MXYZ"])
def test_an_sks_code_beginning_with_m_that_is_no_atc_code_is_not_read_as_one(written: str) -> None:
    """Only an ATC code's shape after the M is read as ATC: an SKS diagnosis "DM00" (arthritis) or "M05" stays what it
    is, so the start card stands and nothing is taken for immunoglobulin."""
    other = order(written, "2025-12-01", system=SKS)
    cards, _ = answer(chart(car_t("2025-11-18"), igg("2026-01-13", 3.2), other))
    assert [code(c) for c in cards] == ["start-substitution"]


def test_the_embedded_atc_code_keeps_the_group_level_reading() -> None:
    """SKS "MJ06BA" is ATC's group J06BA (level 4): an order of the group is read as the group, as ATC J06BA is."""
    t = RUNTIME.terminology
    assert t.codes_a_drug({"coding": [{"system": SKS, "code": "MJ06BA"}]}) is False
    assert t.codes_a_drug({"coding": [{"system": SKS, "code": "MJ06BA02"}]}) is True
    assert t.lookup("immunoglobulin-substitution", SKS, "MJ06BA02") is not None
    assert t.lookup("immunoglobulin-substitution", SKS, "DM00") is None


# -- CAR-T products under their ATC codes from before 2022 --------------------------------------------------------

@pytest.mark.parametrize("atc, product", [("L01XX70", "axicabtagene ciloleucel"), ("L01XX71", "tisagenlecleucel")])
def test_a_car_t_given_under_its_atc_code_from_before_2022_dates_the_window(atc: str, product: str) -> None:
    """A CAR-T product administration coded only L01XX71 (no name): the infusion that opens the window. Before, no
    card and no note at all."""
    dose = given(atc, "2025-11-18T11:30:00+01:00")
    [card] = answer(chart(igg("2026-01-13", 3.2), dose))[0]
    assert code(card) == "start-substitution"
    assert "after CAR-T 2025-11-18" in card["summary"] and "stop attempt 2026-05-18" in card["summary"]
    assert product in card["detail"] or "CAR-T infusion (T0) 2025-11-18" in card["detail"]


# -- a bispecific coded only by its class --------------------------------------------------------------------------

def bohj19k(kind: str, when: str = "2025-11-18", text: str | None = None) -> dict:
    concept: dict = {"coding": [{"system": SKS, "code": "BOHJ19K"}]}
    if text:
        concept["text"] = text
    if kind == "Procedure":
        return {"resourceType": "Procedure", "id": rid("proc"), "status": "completed", "subject": SUBJECT,
                "code": concept, "performedDateTime": when}
    return {"resourceType": "MedicationRequest", "id": rid("mr"), "status": "active", "intent": "order",
            "subject": SUBJECT, "medicationCodeableConcept": concept, "authoredOn": when,
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": when}}}}]}


@pytest.mark.parametrize("kind", ["Procedure", "MedicationRequest"])
@pytest.mark.parametrize("lang, says", [
    ("en", "Not checked: Bispecifikt T-celle-antistof (BOHJ19K), 2025-11-18, is coded as a class of drugs, not one "
           "drug"),
    ("da", "Ikke vurderet: Bispecifikt T-celle-antistof (BOHJ19K), 2025-11-18, er kodet som en lægemiddelklasse, "
           "ikke ét lægemiddel")])
def test_a_bispecific_coded_only_by_its_class_asks_which_drug(kind: str, lang: str, says: str) -> None:
    """SKS BOHJ19K ("bispecific T-cell antibody") holds engagers the guideline does not cover (tarlatamab, DLL3): the
    record opens no window and starts nothing, but the card names it and asks which drug it was. Before, the patient
    with IgG 3.2 got no card at all."""
    cards, notes = answer(chart(igg("2026-01-13", 3.2), bohj19k(kind)), lang)
    [card] = cards
    assert code(card) == "therapy-not-recognised"
    assert card["summary"] == says  # no name sent: the class's own name, from the value set
    assert ("Check which drug was given" if lang == "en" else "Kontrollér, hvilket lægemiddel") in card["detail"]
    assert "class-code" in notes


def test_a_class_code_whose_name_gives_the_class_only_asks_the_same() -> None:
    """The class in words beside the class code ("Bispecifikt antistof") says no more: the same card."""
    cards, _ = answer(chart(igg("2026-01-13", 3.2), bohj19k("Procedure", text="Bispecifikt <b>antistof</b>")))
    assert [code(c) for c in cards] == ["therapy-not-recognised"]
    assert cards[0]["summary"].startswith("Not checked: “Bispecifikt antistof” (BOHJ19K), 2025-11-18, is coded as a "
                                          "class of drugs"), cards[0]["summary"]  # the EHR's words, quoted, escaped


def test_blinatumomab_under_its_own_sks_subcode_is_still_the_index_therapy() -> None:
    """BOHJ19K1 (blinatumomab), a subcode the bispecific list names, is read as that drug, not as the class."""
    proc = bohj19k("Procedure")
    proc["code"]["coding"][0]["code"] = "BOHJ19K1"
    [card] = answer(chart(igg("2026-01-13", 3.2), proc))[0]
    assert code(card) == "start-substitution" and "blinatumomab" in card["detail"]


# -- an M-protein in a myeloma, taken with the IgG and not read -----------------------------------------------------

def m_protein_local(when: str, value: float) -> dict:
    """An IgG M-protein under a laboratory's own code, known by its name only."""
    return {"resourceType": "Observation", "id": rid("mp"), "status": "final", "subject": SUBJECT,
            "effectiveDateTime": when, "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.1.99", "code": "DNK05011"}],
                                                "text": "P-Immunglobulin G(kappa; monoklonalt)"},
            "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}


def m_protein_preliminary(when: str, value: float) -> dict:
    out = m_protein_igg(when, value)
    out["status"] = "preliminary"
    return out


def m_protein_as_words(when: str) -> dict:
    """An M-protein of no stated type (NPU19844) sent as words the rules do not read."""
    out = m_protein_untyped(when, 0.0)
    del out["valueQuantity"]
    out["valueString"] = "se kommentar"
    return out


@pytest.mark.parametrize("m_protein, why", [
    (m_protein_local("2026-01-12", 6.1), "the service does not know its code"),
    (m_protein_preliminary("2026-01-12", 6.1), "not final yet"),
    (m_protein_as_words("2026-01-12"), "“se kommentar”, its amount could not be read")])
def test_an_m_protein_taken_with_the_igg_and_not_read_is_named_on_a_card(m_protein: dict, why: str) -> None:
    """Myeloma, in the window, total IgG 8.7 g/L and an M-protein the same day that was not read: if it is 6.1 g/L of
    IgG, polyclonal IgG is 2.6 and a start is due. Before, no card: the note about the M-protein reached no one."""
    [card] = answer(chart(*MYELOMA_STORY, m_protein, dx=MYELOMA))[0]
    assert code(card) == "paraprotein-type-unknown"
    assert card["summary"] == ("Myeloma, total IgG 8.7 g/L (2026-01-12), M-protein of 2026-01-12 not used: "
                               "polyclonal IgG may be < 4 g/L")
    assert f"was not used ({why})" in card["detail"]
    assert "M-protein result on 2026-01-12: not used" in card["detail"]


def test_the_same_card_in_danish() -> None:
    [card] = answer(chart(*MYELOMA_STORY, m_protein_preliminary("2026-01-12", 6.1), dx=MYELOMA), "da")[0]
    assert card["summary"] == ("Myelomatose, total-IgG 8,7 g/L (2026-01-12), M-komponent fra 2026-01-12 ikke brugt: "
                               "polyklonal IgG kan være < 4 g/L")


def test_an_m_protein_read_beside_the_one_not_read_decides() -> None:
    """The final M-protein of the same day, read (IgG, 6.1 g/L), is subtracted: polyclonal IgG 2.6, a start."""
    final = m_protein_igg("2026-01-12", 6.1)
    [card] = answer(chart(*MYELOMA_STORY, m_protein_preliminary("2026-01-12", 6.1), final, dx=MYELOMA))[0]
    assert code(card) == "start-substitution" and "Polyclonal IgG 2.6 g/L (total 8.7)" in card["summary"]


def test_an_m_protein_not_read_long_before_the_igg_changes_nothing() -> None:
    """Taken more than the policy's 30 days from the IgG: not the M-protein of this IgG, no card."""
    cards, notes = answer(chart(*MYELOMA_STORY, m_protein_preliminary("2025-11-20", 6.1), dx=MYELOMA))
    assert cards == [] and "m-protein-not-final" in notes


def test_an_m_protein_not_read_outside_a_myeloma_changes_nothing() -> None:
    """In a lymphoma total IgG is polyclonal IgG: 8.7 g/L starts nothing, whatever the M-protein."""
    cards, _ = answer(chart(*MYELOMA_STORY, m_protein_preliminary("2026-01-12", 6.1)))
    assert cards == []


def test_a_total_below_the_threshold_needs_no_m_protein() -> None:
    """Total IgG 3.2 in a myeloma: a start whatever the M-protein (subtracting it only lowers the IgG)."""
    cards, _ = answer(chart(car_t("2025-11-18"), igg("2026-01-12", 3.2), m_protein_preliminary("2026-01-12", 1.0),
                            dx=MYELOMA))
    assert [code(c) for c in cards] == ["start-substitution"]


def test_between_four_and_six_the_card_names_the_m_protein_not_read() -> None:
    """Total IgG 4.8 in a myeloma in the window: the card for IgG 4-6 says the M-protein result was not used and
    could change the decision, and what to do is to measure IgG and look that result up."""
    cards, _ = answer(chart(car_t("2025-11-18"), igg("2026-01-12", 4.8), m_protein_preliminary("2026-01-12", 1.0),
                            dx=MYELOMA))
    [card] = cards
    assert "The M-protein result of 2026-01-12 was not used (not final yet)" in card["detail"], card["detail"]


def test_npu_code_sets_are_unchanged() -> None:
    """The helper codes above are what the value sets hold (a guard on the charts themselves)."""
    t = RUNTIME.terminology
    assert t.lookup("m-protein", NPU, "NPU28638") is not None and t.lookup("immunoglobulin-substitution", ATC,
                                                                           "J06BA02") is not None


def test_a_class_code_in_a_child_asks_for_an_individual_assessment() -> None:
    """A child (born 2015) with a BOHJ19K record: the child's card, saying the code names a class, not "its name looks
    like" (no name was sent)."""
    [card] = answer(chart(igg("2026-01-13", 3.2), bohj19k("Procedure"), birth="2015-03-01"))[0]
    assert code(card) == "therapy-not-recognised"
    assert card["summary"] == ("Not checked: Bispecifikt T-celle-antistof (BOHJ19K), 2025-11-18, is coded as a class of "
                               "drugs; child (10 y): individual assessment")
    assert "name looks like" not in card["detail"]


def test_a_name_giving_a_car_t_product_is_read_by_that_name() -> None:
    """BOHJ19K with the name "Kymriah": the name says what it is, read as a CAR-T named but not coded (its card says
    "a CAR-T product"), not as a bispecific of unknown drug."""
    record = bohj19k("Procedure", text="Kymriah")
    cards, notes = answer(chart(igg("2026-01-13", 3.2), record))
    [card] = cards
    assert code(card) == "therapy-not-recognised" and "a CAR-T product" in card["detail"], card["detail"]
    assert "class-code" not in notes


def test_a_name_giving_an_immunoglobulin_is_read_as_one_the_patient_may_be_on() -> None:
    """BOHJ19K with the name "Privigen 10 g" on an order: read as an Ig the patient may be on, as any record so
    named, not as a bispecific."""
    record = bohj19k("MedicationRequest", text="Privigen 10 g")
    cards, notes = answer(chart(*IN_WINDOW_WITH_IGG, record))
    assert "class-code" not in notes and any("“Privigen 10 g”" in c["detail"] for c in cards), cards


IN_WINDOW_WITH_IGG = (car_t("2025-11-18"), igg("2026-01-13", 3.2))


@pytest.mark.parametrize("code_, text", [("NPU28634", None), ("DNK05012", "P-Immunglobulin A(kappa; monoklonalt)")])
def test_an_m_protein_not_read_whose_code_or_name_says_iga_changes_nothing(code_: str, text: str | None) -> None:
    """An IgA M-protein is not in total IgG: not final (code NPU28634, IgA kappa) or under a local code named IgA kappa,
    it cannot hide a low polyclonal IgG, so no card, as before."""
    mp = m_protein_preliminary("2026-01-12", 6.1) if text is None else m_protein_local("2026-01-12", 6.1)
    mp["code"] = {"coding": [{"system": NPU if text is None else "urn:oid:1.2.208.176.2.1.99", "code": code_}],
                  **({"text": text} if text else {})}
    cards, _ = answer(chart(*MYELOMA_STORY, mp, dx=MYELOMA))
    assert cards == []


def test_in_an_igg_myeloma_the_card_asks_for_the_m_protein_with_the_igg_at_any_total() -> None:
    """Immunofixation says IgG kappa; the M-protein taken with a total of 8.7 is not final: the IgG myeloma's card
    (measure the M-protein with the IgG), with the result's own note beside it."""
    ife = {"resourceType": "Observation", "id": rid("ife"), "status": "final", "subject": SUBJECT,
           "effectiveDateTime": "2025-12-01", "code": {"coding": [{"system": "http://loinc.org", "code": "25700-6"}]},
           "valueString": "IgG kappa"}
    cards, notes = answer(chart(*MYELOMA_STORY, ife, m_protein_preliminary("2026-01-12", 6.1), dx=MYELOMA))
    [card] = cards
    assert card["summary"].startswith("IgG myeloma, total IgG 8.7 g/L (2026-01-12), M-protein not measured with it")
    assert "m-protein-not-final" in notes


def test_the_timeline_shows_the_card_from_the_day_of_an_m_protein_not_read_after_the_igg() -> None:
    """An M-protein taken a week after the IgG and not final: patient-view gives the card from that day, and so does
    the timeline (it had no day for such a result and said "no advice" until the next month)."""
    bundle = chart(*MYELOMA_STORY, m_protein_preliminary("2026-01-19", 6.1), dx=MYELOMA)
    assert [code(c) for c in replay(RUNTIME, bundle, at=date(2026, 1, 19)).cards] == ["paraprotein-type-unknown"]
    timeline = build_timeline(patient_data(bundle, RUNTIME), RUNTIME, end=AT, today=AT)
    in_force = [s for s in timeline.changes if s.day <= date(2026, 1, 19)]
    assert in_force[-1].codes == ["paraprotein-type-unknown"] and in_force[-1].day == date(2026, 1, 19)


@pytest.mark.parametrize("text", ["tarlatamab", "Imdelltra 10 mg"])
def test_a_class_code_whose_name_gives_a_drug_outside_the_guideline_is_named_so(text: str) -> None:
    """BOHJ19K named "tarlatamab" (DLL3, small-cell lung cancer): the name says which drug, one the guideline does not
    cover, so no card asks which it was; its note says it is outside the criteria."""
    cards, notes = answer(chart(igg("2026-01-13", 3.2), bohj19k("Procedure", text=text)))
    assert cards == [] and notes == ["bsab-target-out-of-scope"]
