"""A step before the therapy, so coded and so named, is recognised, not "not recognised by its code".

CPT 38225 is the harvest of a CAR-T patient's T cells, weeks before the infusion; the CAR-T procedure value set lists
it among the codes that are not the infusion. A harvest named "CAR-T harvesting ..." was named on every card as a
procedure "not recognised by its code", and the explanation told the site it could add the code locally: a site that
did would date T0, and the stop date, from the harvest. Where the code and the name both give the step, the record is
named on the explanation page only (`step-before-therapy`), and the infusion dates the window. Where they disagree
(a name giving the infusion beside the harvest's code, a bispecific named beside the code of another drug), the
record says two things and its card stays.
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import MYELOMA, car_t, chart, given, igg

RUNTIME = load_runtime(Settings())
CPT = "http://www.ama-assn.org/go/cpt"
HARVEST = car_t("2025-05-05T11:00:00+02:00", text="CAR-T harvesting of blood-derived T lymphocytes", code="38225",
                system=CPT)
INFUSION = car_t("2025-06-10T11:00:00+02:00", text="CAR-T cell administration, autologous", code="38228", system=CPT)
AT = date(2025, 11, 20)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_harvest_so_named_is_no_unrecognised_record_on_the_card(lang: str) -> None:
    answer = replay(RUNTIME, chart(HARVEST, INFUSION, igg("2025-11-10", 3.2)), at=AT, lang=lang)
    [card] = answer.cards
    assert card["source"]["topic"]["code"] == "start-substitution"
    assert "2025-06-10" in card["detail"] and "2025-12-10" in card["detail"], card["detail"]  # T0 the infusion
    assert "harvest" not in card["detail"].lower() and "2025-05-05" not in card["detail"], card["detail"]
    assert [n.kind for n in answer.notes if n.source == f"Procedure/{HARVEST['id']}"] == ["step-before-therapy"]


def test_a_harvest_alone_dates_no_window() -> None:
    answer = replay(RUNTIME, chart(HARVEST, igg("2025-11-10", 3.2)), at=AT, lang="en")
    assert answer.cards == []
    assert [n.kind for n in answer.notes if n.source == f"Procedure/{HARVEST['id']}"] == ["step-before-therapy"]


def test_an_infusion_named_beside_the_harvest_code_keeps_its_card() -> None:
    """The name gives the infusion, the code the harvest: two things at once, for the coding to be corrected."""
    miscoded = car_t("2025-06-10T11:00:00+02:00", text="CAR-T-celleinfusion (Kymriah)", code="38225", system=CPT)
    answer = replay(RUNTIME, chart(miscoded, igg("2025-11-10", 3.2)), at=AT, lang="en")
    assert [c["source"]["topic"]["code"] for c in answer.cards] == ["therapy-not-recognised"]
    assert [n.kind for n in answer.notes if n.source == f"Procedure/{miscoded['id']}"] == ["unrecognised-code"]


@pytest.mark.parametrize("text", ["CAR-T-celleinfusion efter leukaferese", "CAR-T cell administration after harvest"])
def test_a_name_giving_the_infusion_and_a_step_keeps_its_card(text: str) -> None:
    both = car_t("2025-06-10T11:00:00+02:00", text=text, code="38225", system=CPT)
    answer = replay(RUNTIME, chart(both, igg("2025-11-10", 3.2)), at=AT, lang="en")
    assert [c["source"]["topic"]["code"] for c in answer.cards] == ["therapy-not-recognised"]


def test_a_bispecific_named_beside_another_drugs_code_keeps_its_card() -> None:
    doses = given("L01FX31", "2025-09-01", text="Talquetamab (Talvey) 0,4 mg/kg s.c.")
    answer = replay(RUNTIME, chart(doses, igg("2025-11-10", 3.2), dx=MYELOMA), at=AT, lang="en")
    assert [c["source"]["topic"]["code"] for c in answer.cards] == ["therapy-not-recognised"]
    assert [n.kind for n in answer.notes if n.source == f"MedicationAdministration/{doses[0]['id']}"] == \
        ["unrecognised-code"]


def test_a_code_in_no_value_set_is_still_named_as_not_recognised() -> None:
    unknown = car_t("2025-05-05T11:00:00+02:00", text="CAR-T cell infusion, local", code="99999", system=CPT)
    answer = replay(RUNTIME, chart(unknown, INFUSION, igg("2025-11-10", 3.2)), at=AT, lang="en")
    assert [n.kind for n in answer.notes if n.source == f"Procedure/{unknown['id']}"] == ["unrecognised-code"]


def test_a_harvest_named_so_but_coded_as_the_infusion_dates_no_window() -> None:
    """Coded 38228 (the infusion) and named "CAR-T harvesting ...", 21 days before the infusion: it was read as the
    same treatment as the infusion and dated T0 from the harvest, which closed the window three weeks early."""
    harvest = car_t("2025-05-20T11:00:00+02:00", text="CAR-T harvesting of blood-derived T lymphocytes", code="38228",
                    system=CPT)
    answer = replay(RUNTIME, chart(harvest, INFUSION, igg("2025-11-10", 3.2)), at=AT, lang="en")
    [card] = answer.cards
    assert card["source"]["topic"]["code"] == "start-substitution"
    assert "2025-06-10" in card["summary"] and "2025-12-10" in card["summary"], card["summary"]
    assert [n.kind for n in answer.notes if n.source == f"Procedure/{harvest['id']}"] == ["step-coded-as-therapy"]


def test_a_harvest_named_so_but_coded_as_the_infusion_alone_asks_for_its_coding() -> None:
    harvest = car_t("2025-05-20T11:00:00+02:00", text="CAR-T harvesting of blood-derived T lymphocytes", code="38228",
                    system=CPT)
    [card] = replay(RUNTIME, chart(harvest, igg("2025-11-10", 3.2)), at=AT, lang="en").cards
    assert card["source"]["topic"]["code"] == "therapy-not-recognised", card["summary"]
