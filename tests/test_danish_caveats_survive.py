"""A Danish card near its 700 characters dropped a caveat its English kept: the Danish caveats were longer than the
English (a drafted bispecific that opens a new window, an Ig order ended on an unknown day, infections to weigh at the
stop attempt ...). The Danish wording is now no longer than it must be, so these keep in Danish what the English
carries, with 80-character EHR names, a drafted therapy and two data notes beside them (as
tests/test_window_fact_survives.py builds the cards)."""

from __future__ import annotations

from datetime import date

import pytest

from cql_like_rules.catalogue import CAVEATS as WORDS

from .test_window_fact_survives import CAVEATS, NOTES, RUNTIME, VALUES, CardContext, advice, detail, placeholders

# (code, variant, caveat) whose Danish card lost the caveat where the English kept it, before the Danish was shortened
KEPT = [
    ('general-criteria-igg-under-6', '', 'therapy-drafted-with-it'),
    ('general-stop-review', 'due', 'therapy-drafted-with-it'),
    ('general-stop-review', 'info', 'therapy-drafted-with-it'),
    ('general-stop-review', 'order-ends-earlier', 'therapy-drafted-with-it'),
    ('malignancy-not-recognised', 'no-code', 'course-end-unknown'),
    ('measure-igg', 'indeterminate', 'therapy-drafted-with-it'),
    ('measure-igg', 'infections-no-recent-igg', 'therapy-drafted-with-it'),
    ('measure-igg', 'no-igg-since-t0', 'therapy-drafted-with-it'),
    ('measure-igg', 'stale', 'therapy-drafted-with-it'),
    ('order-meets-criteria', 'continuation-ends-earlier', 'therapy-drafted-with-it'),
    ('order-meets-criteria', 'continuation-general', 'therapy-drafted-with-it'),
    ('order-meets-criteria', 'continuation-general-due', 'therapy-drafted-with-it'),
    ('order-meets-criteria', 'continuation-window', 'therapy-drafted-with-it'),
    ('order-meets-criteria', 'window', 'therapy-drafted-with-it'),
    ('order-meets-criteria', 'window-ends-earlier', 'therapy-drafted-with-it'),
    ('order-meets-criteria', 'window-general-stop', 'therapy-drafted-with-it'),
    ('plan-igg-monitoring', 'car-t-product', 'therapy-drafted-with-it'),
    ('plan-igg-monitoring', 'continues', 'therapy-drafted-with-it'),
    ('stop-due-soon', '', 'therapy-drafted-with-it'),
    ('stop-planned', '', 'therapy-drafted-with-it'),
    ('stop-planned', 'doses', 'therapy-drafted-with-it'),
    ('therapy-undated', 'child', 'therapy-drafted-with-it'),
]


@pytest.mark.parametrize("code, variant, caveat", KEPT)
def test_the_danish_card_keeps_the_caveat_the_english_keeps(code: str, variant: str, caveat: str) -> None:
    for t0_kind in ("car-t", "bsab"):
        for notes in ((), NOTES):
            for previous_end in (date(2026, 11, 30), None):
                values = {**VALUES, "t0_kind": t0_kind, "previous_end": previous_end}
                found = advice(code, variant, "test", values=values, caveats=CAVEATS)
                kept = {}
                for lang in ("en", "da"):
                    ctx = CardContext(lang, "p", RUNTIME.ruleset, RUNTIME.terminology, {}, notes)
                    p = placeholders(found, RUNTIME.ruleset.parameters, lang, markdown=True)
                    text = detail(found, ctx, p, True)
                    assert len(text) <= 700
                    kept[lang] = WORDS[caveat](lang).format_map(p) in text
                assert kept["da"] or not kept["en"], (t0_kind, bool(notes), previous_end)

