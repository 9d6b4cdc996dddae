"""A caveat the specification requires on a card (`catalogue.REQUIRED_CAVEATS`) is said on a crowded card, in both
languages, with or without a page to link: here the record the patient may already be on, beside a card that invites
a start (§6-§8: a card prevents a wrong action, a duplicate course ordered from its own suggestion).

A Danish start card (a bsAb window after substitution paused for the infusion, an old IgG with its M-protein, six data
notes, no page to link) cut "“Privigen lokal kode” (ordineret 2026-01-01; ukendt kode) kan være Ig, patienten får"
for three characters, then gave its room back to a caveat not required ("an IgG that old still supports a start").
The record is now named without its day and reason where the whole caveat does not fit (`BRIEFER_CAVEATS`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from cds_service.already_on import already_on
from cds_service.cards.render import DETAIL_LIMIT, CardContext, detail
from cds_service.cards.values import placeholders
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cql_like_rules.advice import advice
from cql_like_rules.catalogue import CATALOGUE, CAVEATS, IG_ORDER_SUGGESTIONS, invites_start
from cql_like_rules.facts import DataNote

# the card as it was met: start-substitution, general stop criteria (substitution paused 11 days before teclistamab)
PAUSED = {"t0": date(2025, 12, 1), "t0_kind": "bsab", "t0_product": "teclistamab",
          "t0_source": "MedicationAdministration/ma2", "stop_date": date(2026, 6, 1), "days_to_stop": 111,
          "today": date(2026, 2, 10), "in_window": True, "stale_days": 30, "igg": 2.2, "igg_comparator": "",
          "igg_date": date(2026, 1, 10), "igg_source": "Observation/o4", "igg_total": 9.0, "igg_age_days": 31,
          "igg_stale": True, "m_protein": 6.8, "m_protein_date": date(2026, 1, 10), "m_protein_source": "Observation/o5",
          "infection_dates": (), "infection_names": (), "infection_severe": False, "infection_cultures": (),
          "reason": "paused-for-infusion", "paused_end": date(2025, 11, 20), "paused_days": 11}
NOTES = (DataNote("igg-implausible", "Observation/o7", "IgG -2 g/L", display="-2", day=date(2026, 1, 12)),
         DataNote("igg-implausible", "Observation/o8", "IgG 80 g/L", display="80", day=date(2026, 1, 13)),
         DataNote("infection-not-counted", "Condition/c9", "not counted",
                  display="Pneumoni UNS med meget lang tekst fra journalen om forløbet og behandlingen",
                  day=date(2025, 12, 20)),
         DataNote("infection-not-counted", "Condition/c12", "not counted", display="Pneumoni UNS 2",
                  day=date(2025, 10, 1)),
         DataNote("infection-not-bacterial", "Condition/c13", "viral", display="COVID-19", day=date(2025, 12, 1)),
         DataNote("ig-by-name", "MedicationRequest/mr19", "known only by its name", display="Privigen lokal kode",
                  day=date(2026, 1, 1), record_words=True))
# ... and the crowds a start card meets besides: an old IgG, the window near its end, both
CROWDS = [(), ("stale-igg-supports-start",), ("stale-igg-supports-start", "late-in-window")]


@pytest.fixture(scope="module")
def runtime():
    return load_runtime(Settings())


def card(runtime, code: str, variant: str, values: dict, caveats: tuple[str, ...], lang: str, linked: bool) -> tuple[str, dict]:
    offered = advice(code, variant, "test", values=values, suggestions=tuple(sorted(IG_ORDER_SUGGESTIONS)))
    found = already_on(replace(offered, caveats=caveats), NOTES)  # the Ig order it offered withheld
    assert "ig-maybe-on" in found.caveats and found.values["ig_maybe_on_check"] == "withheld"
    ctx = CardContext(lang, "p", runtime.ruleset, runtime.terminology, {}, NOTES)
    p = placeholders(found, runtime.ruleset.parameters, lang, markdown=True)
    return detail(found, ctx, p, linked), p


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_crowded_danish_start_card_names_the_record_the_patient_may_be_on(runtime, lang):
    text, p = card(runtime, "start-substitution", "general-stop", PAUSED,
                   ("stale-igg-supports-start", "paraprotein-subtracted"), lang, False)
    decision = CATALOGUE["start-substitution"].variant("general-stop").decision(lang).format_map(p)
    whole = CAVEATS["ig-maybe-on"](lang).format_map(p)
    brief = CAVEATS["ig-maybe-on-brief"](lang).format_map(p)
    said = whole if whole in text else brief
    assert said in text, text
    assert "“Privigen lokal kode”" in said
    # right under the decision, before the facts: read before a start is acted on
    assert text.startswith(f"{decision}\n\n*{'Note' if lang == 'en' else 'Bemærk'}:* {said}"), text
    assert len(text) <= DETAIL_LIMIT
    if lang == "en":  # room for the whole: its day and why it was not read
        assert "(ordered 2026-01-01; code not known)" in text, text


@pytest.mark.parametrize("code, variant", [(code, variant) for code, kind in CATALOGUE.items()
                                           for variant in kind.variants if invites_start(code, variant, PAUSED)])
@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("linked", [True, False], ids=["linked", "no-page"])
def test_every_card_inviting_a_start_names_the_record_however_crowded(runtime, code, variant, lang, linked):
    for values in (PAUSED, {**PAUSED, "reason": None, "paused_end": None, "paused_days": None}):
        for crowd in CROWDS:
            text, p = card(runtime, code, variant, values, crowd, lang, linked)
            said = [CAVEATS[c](lang).format_map(p) for c in ("ig-maybe-on", "ig-maybe-on-brief")]
            assert any(s in text for s in said), (crowd, text)
            assert len(text) <= DETAIL_LIMIT


@pytest.mark.parametrize("lang", ["en", "da"])
def test_where_there_is_room_the_record_is_named_with_its_day(runtime, lang):
    quiet = (NOTES[-1],)
    found = already_on(advice("start-substitution", "", "test", values={**PAUSED, "reason": None,
                                                                        "m_protein": None}), quiet)
    ctx = CardContext(lang, "p", runtime.ruleset, runtime.terminology, {}, quiet)
    p = placeholders(found, runtime.ruleset.parameters, lang, markdown=True)
    text = detail(found, ctx, p, True)
    assert CAVEATS["ig-maybe-on"](lang).format_map(p) in text, text
    assert ("ordered 2026-01-01" if lang == "en" else "ordineret 2026-01-01") in text


# -- the suite-wide check (`conftest.broken_promises`, on every card the suite makes in process) ---------------------------------------


def test_every_card_the_suite_makes_is_checked():
    from cds_service.cards import render

    assert getattr(render.card, "watched", False)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_suite_wide_check_names_what_a_card_broke(runtime, lang):
    from tests.conftest import broken_promises

    text, p = card(runtime, "start-substitution", "general-stop", PAUSED,
                   ("stale-igg-supports-start", "paraprotein-subtracted"), lang, False)
    found = already_on(replace(advice("start-substitution", "general-stop", "test", values=PAUSED,
                                      suggestions=tuple(sorted(IG_ORDER_SUGGESTIONS))),
                               caveats=("stale-igg-supports-start",)), NOTES)
    assert broken_promises(found, lang, p, "IgG 2.2 g/L", text) == []
    said = CAVEATS["ig-maybe-on"](lang).format_map(p)
    brief = CAVEATS["ig-maybe-on-brief"](lang).format_map(p)
    cut = text.replace(said, "").replace(brief, "")
    assert broken_promises(found, lang, p, "x" * 140, cut + "y" * 700) == [
        "summary of 140 characters", f"detail of {len(cut) + 700} characters", "required caveat 'ig-maybe-on' not said"]
