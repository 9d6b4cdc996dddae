"""No advice after death in the worklist and the timeline too (clinical-rules §7: "in every hook, in the worklist
and in the timeline after the date of death"). The hooks are proven elsewhere (S-7-DECEASED); these two tools
read the same pipeline, and a pharmacist's worklist that lists a dead patient as 'start substitution' is the
failure a clinician would see.

Fixture: CAR-T 2025-11-10, IgG 2.6 g/L in the window, died 2026-01-16 (deceasedDateTime).
"""

from __future__ import annotations

from datetime import date

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import load_bundle
from cds_service.tools.timeline import build_timeline, patient_data
from cds_service.tools.worklist import run_worklist

from .fixtures import FIXTURES
from .test_worklist import write_export

RUNTIME = load_runtime(Settings())


def test_the_worklist_leaves_out_a_patient_who_has_died(tmp_path):
    where = write_export(["cart-in-window-igg-low", "deceased-patient-no-advice"], tmp_path / "export")
    result = run_worklist(where, date(2026, 1, 20), Settings(), jobs=1)
    assert [r.patient_id for r in result.rows] == ["pt-dk-0001"]
    before = run_worklist(where, date(2026, 1, 15), Settings(), jobs=1)  # alive the day before: listed
    assert "pt-dk-0044" in [r.patient_id for r in before.rows]


def test_the_timeline_shows_advice_until_the_day_of_death_and_none_from_it():
    data = patient_data(load_bundle(FIXTURES / "deceased-patient-no-advice.json"), RUNTIME)
    timeline = build_timeline(data, RUNTIME, today=date(2026, 1, 20))
    last = timeline.changes[-1]
    assert last.day == date(2026, 1, 16) and last.cards == []
    assert any(state.codes and state.day < date(2026, 1, 16) for state in timeline.changes)
    assert [c.kind for c in timeline.reasons[date(2026, 1, 16)]] == ["death"]
