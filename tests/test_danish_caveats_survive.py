"""A Danish card near its 700 characters dropped a caveat its English kept: the Danish wording was longer than the
English (a drafted bispecific that would open a new window, an Ig order ended on an unknown day ...). 85 of 896
crowded placements were lost in Danish only, then 22 of 928 (35 on a card with no explanation page to link to); the
Danish wording is now no longer than it must be, so no card of any advice code and variant loses in Danish a caveat
the English keeps: with 80-character EHR names, a drafted therapy and two data notes beside them (as
tests/test_window_fact_survives.py builds the cards), with and without the explanation page's link. The hook does not
enter the detail (the same text on patient-view and the order hooks)."""

from __future__ import annotations

from datetime import date

import pytest

from cql_like_rules.catalogue import CAVEATS as WORDS

from .test_window_fact_survives import CAVEATS, NOTES, RUNTIME, VALUES, VARIANTS, CardContext, advice, detail, placeholders


@pytest.mark.parametrize("linked", [True, False], ids=["linked", "unlinked"])
@pytest.mark.parametrize("code, variant", VARIANTS)
def test_the_danish_card_keeps_every_caveat_the_english_keeps(code: str, variant: str, linked: bool) -> None:
    lost = []
    for t0_kind in ("car-t", "bsab"):
        for notes in ((), NOTES):
            for previous_end in (date(2026, 11, 30), None):
                values = {**VALUES, "t0_kind": t0_kind, "previous_end": previous_end}
                found = advice(code, variant, "test", values=values, caveats=CAVEATS)
                kept = {}
                for lang in ("en", "da"):
                    ctx = CardContext(lang, "p", RUNTIME.ruleset, RUNTIME.terminology, {}, notes)
                    p = placeholders(found, RUNTIME.ruleset.parameters, lang, markdown=True)
                    text = detail(found, ctx, p, linked)
                    assert len(text) <= 700 and not text.endswith("…"), (lang, text)
                    kept[lang] = {caveat for caveat in CAVEATS if WORDS[caveat](lang).format_map(p) in text}
                lost += [(caveat, t0_kind, bool(notes), previous_end) for caveat in kept["en"] - kept["da"]]
    assert not lost, lost
