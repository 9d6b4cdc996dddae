"""A detail too long for its 700 characters drops lines by a priority; the window's line (the stop date, and on a
restart inside the window "general criteria") is the one a decision inside the window rests on, and no summary
gives it. A Danish restart card on the order hooks (an IVIG draft inside the window after an earlier course since
T0 ended, two notes beside it) lost that line where the English kept it: the Danish facts are longer, and the
facts went from the last. The window's line now goes last of all, joined to the T0 line when that one's turn comes.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from cds_service.cards.render import CardContext, detail
from cds_service.cards.values import placeholders
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.answers import of_patient
from cds_service.tools.replay import load_drafts, replay
from cql_like_rules.advice import advice
from cql_like_rules.catalogue import CATALOGUE
from cql_like_rules.facts import DataNote

RUNTIME = load_runtime(Settings())
FIXTURES = Path(__file__).resolve().parent.parent / "fhir_fixtures"
VARIANTS = [(code, variant) for code, kind in CATALOGUE.items() for variant in kind.variants]
STOP = date(2027, 6, 30)
LONG_NAME = "Ig " + "immunglobulin normal human 100 mg/ml infusionsvæske opløsning " * 2  # 80 characters kept
# The longest realistic values, with EHR text at its longest: a product, a drug, a drafted therapy.
VALUES = {"t0": date(2026, 12, 31), "stop_date": STOP, "igg_date": date(2026, 12, 31), "igg": 12.34,
          "igg_comparator": "<=", "igg_age_days": 365, "igg_stale": True, "days_to_stop": 181, "t0_kind": "bsab",
          "t0_product": LONG_NAME, "episode_start": date(2026, 12, 31), "episode_product": LONG_NAME,
          "due_date": date(2027, 12, 31), "order_drug": LONG_NAME, "order_start": date(2027, 1, 31),
          "order_end": date(2027, 3, 31), "order_source": "MedicationRequest/draft-1", "age": 17, "stale_days": 90,
          "reason": "restart", "failing": ("no-recent-igg", "no-infections"), "today": date(2026, 12, 31),
          "infection_severe": True, "infection_dates": ("2026-10-01", "2026-11-15", "2026-12-20"),
          "infection_episodes": ("2026-10-01", "2026-11-15", "2026-12-20"),
          "restart_in_window": True, "previous_end": date(2026, 11, 30), "session_therapy": LONG_NAME,
          "session_therapy_start": date(2027, 1, 2)}
CAVEATS = ("course-end-unknown", "therapy-drafted-with-it")
NOTES = (DataNote("ig-order-undated", "MedicationRequest/x", "no date", LONG_NAME),
         DataNote("unrecognised-code", "Condition/y", "unknown code", LONG_NAME, date(2026, 12, 1)))


@pytest.mark.parametrize("code, variant", VARIANTS)
@pytest.mark.parametrize("t0_kind", ["car-t", "bsab"])
@pytest.mark.parametrize("crowded", ["alone", "caveats", "caveats-and-notes"])
@pytest.mark.parametrize("previous_end", [date(2026, 11, 30), None])
def test_the_window_and_stop_date_survive_in_danish_wherever_the_english_carries_them(code, variant, t0_kind,
                                                                                      crowded, previous_end):
    values = {**VALUES, "t0_kind": t0_kind, "previous_end": previous_end}
    found = advice(code, variant, "test", values=values, caveats=CAVEATS if crowded != "alone" else ())
    texts = {}
    for lang in ("en", "da"):
        ctx = CardContext(lang, "p", RUNTIME.ruleset, RUNTIME.terminology, {},
                          NOTES if crowded == "caveats-and-notes" else ())
        texts[lang] = detail(found, ctx, placeholders(found, RUNTIME.ruleset.parameters, lang, markdown=True), True)
        assert len(texts[lang]) <= 700 and not texts[lang].endswith("…"), (lang, texts[lang])
    if str(STOP) in texts["en"]:
        assert str(STOP) in texts["da"], texts["da"]
    for english, danish in (("; a restart", "; genopstart"), ("High-risk window", "øjrisikoperiode"),
                            (str(previous_end), str(previous_end))):
        if english in texts["en"] and previous_end is not None:
            assert danish in texts["da"], (english, texts["en"], texts["da"])


def test_the_danish_restart_order_card_keeps_its_window_line():
    """The chart: CAR-T 2025-11-25, an IVIG order since T0 stopped with no end date, IgG 3.5 g/L 90 days old; on
    2026-05-24 an IVIG is drafted with teclistamab. The English card kept "High-risk window 2025-11-25 to 2026-05-25
    (1 day left); a restart: general criteria"; the Danish dropped it (three facts kept: the criteria not met, the
    IgG, T0). The Danish joined it to the T0 line; with the Danish wording no longer than the English, it now keeps the
    same lines and caveats as the English."""
    bundle = json.loads((FIXTURES / "ig-stopped-without-end-date-restart.json").read_text())
    patient = next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    drafts = [of_patient(d, patient) for d in load_drafts([str(FIXTURES / "drafts" / "orders-pt-dk-0001.draft.json")])]
    cards = {lang: next(c for c in replay(RUNTIME, bundle, lang=lang, hook="order-sign", drafts=drafts,
                                          at=date(2026, 5, 24)).cards
                        if c["source"]["topic"]["code"] == "order-does-not-meet-criteria") for lang in ("en", "da")}
    assert "- High-risk window 2025-11-25 to 2026-05-25 (1 day left); a restart: general criteria" \
        in cards["en"]["detail"].splitlines()
    assert "- Højrisikoperiode 2025-11-25 til 2026-05-25 (1 dag tilbage); genopstart: generelle kriterier" \
        in cards["da"]["detail"].splitlines()
    # a card against a start keeps the vaccination reminder before the caveat that only explains the drafted
    # teclistamab (`render.KEEPS`): that caveat is counted, in both languages
    assert "would open a new high-risk window" not in cards["en"]["detail"]
    assert "ville åbne en ny højrisikoperiode fra 2026-05-24" not in cards["da"]["detail"]
    assert "1 note not shown here." in cards["en"]["detail"] and "1 note ikke vist her." in cards["da"]["detail"]
    assert len(cards["da"]["detail"]) <= 700 and cards["da"]["detail"].endswith(
        "§4.1, §4.3. Vaccination og antibiotikaprofylakse er centrale (§4.1).")
