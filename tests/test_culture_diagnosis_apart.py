"""A positive culture not counted because the infection it could confirm lies outside the culture window says so.

A blood culture growing E. coli on 2025-09-08 and a pneumonia without an organism on 2025-09-20, twelve days later:
neither counted (a culture confirms an infection within `culture_window_days`, 7 by default, of its onset), and the
culture's note said it had "no bacterial infection diagnosis", sending a clinician who knows of the pneumonia to look
for a diagnosis the chart has. It now names the nearest diagnosis it could confirm and says it lies outside the
window; a culture with none keeps its note.
"""

from __future__ import annotations

from datetime import date

import pytest

from cds_service.cards.notes import one_line
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay

from .reading_charts import car_t, chart, culture, igg, infection

RUNTIME = load_runtime(Settings())
AT = date(2026, 3, 1)
GROWTH = culture("2025-09-08", "Vækst af Escherichia coli i 2 af 2 flasker")


def _culture_notes(*records: dict[str, object]) -> list[tuple[str, str]]:
    answer = replay(RUNTIME, chart(car_t("2025-01-10"), igg("2025-10-01", 3.3), GROWTH, *records), at=AT)
    return [(n.kind, n.display) for n in answer.notes if n.source == f"Observation/{GROWTH['id']}"]


def test_a_culture_twelve_days_from_the_pneumonia_names_it() -> None:
    assert _culture_notes(infection("2025-09-20", "DJ189", text="Pneumoni UNS")) == \
        [("culture-diagnosis-apart", "2025-09-20")]


def test_the_nearest_diagnosis_is_named() -> None:
    assert _culture_notes(infection("2025-09-20", "DJ189"), infection("2025-08-30", "DJ189")) == \
        [("culture-diagnosis-apart", "2025-08-30")]


def test_a_culture_with_no_diagnosis_keeps_its_note() -> None:
    assert [kind for kind, _ in _culture_notes()] == ["culture-without-diagnosis"]


def test_a_diagnosis_of_years_before_is_not_named() -> None:
    """Only a diagnosis of the period the card weighs is named: one of 2019 tells the clinician nothing here."""
    assert [kind for kind, _ in _culture_notes(infection("2019-03-01", "DJ189"))] == ["culture-without-diagnosis"]


@pytest.mark.parametrize("lang, said", [
    ("en", "a positive culture (2025-09-08) was not counted: the nearest infection diagnosis it could confirm, dated "
           "2025-09-20, lies outside the culture window"),
    ("da", "en positiv dyrkning (2025-09-08) medregnes ikke: den nærmeste infektionsdiagnose, den kunne bekræfte, fra "
           "2025-09-20, ligger uden for dyrkningsvinduet"),
])
def test_the_note_reads(lang: str, said: str) -> None:
    assert one_line("culture-diagnosis-apart", lang, "Observation/x", "2025-09-20", "2025-09-08") == said
