"""The myeloma patient's M-protein as the laboratory writes it, the timeline's first days, and the explanation page in
Danish (Medicinrådet 2025 §4.1-§4.3; Bilag C: the clonal IgG is subtracted from total IgG; clinical rules §3 and §7,
paraprotein; §8, what a clinician reads).

Each chart is as a Danish EHR sends it (NPU codes for IgG and the typed M-protein, LOINC 33358-3 for the electrophoresis
M-protein sent as text, NPU02642 immunofixation with its type as text, ATC for the bsAb), evaluated on an explicit day,
and each test says first what a haematologist reading the guideline expects.

Faults held here: an M-protein sent as "M-komponent påvist, ikke kvantificerbar" was quoted on the card as
"M-komponent påvist, ikke…", which hides what was not (the card's own words came only in the summary); the same words
with the analyte as a heading ("M-komponent: påvist, ikke kvantificerbar"), or with another stop between them, were
named as unreadable and the card decided on the total; an IgA, IgM or light-chain M-protein beside the IgG decided on
was left out without a word; the timeline's default range began a month before the first index event, so a bispecific
dose recorded "not given" two months before the first dose given, whose card the EHR showed, was outside it; a Danish
explanation page headed the values behind the card and the rule set's parameters by their technical names only.
"""

from __future__ import annotations

import dataclasses
import html
import json
import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cds_service.tools.timeline import build_timeline, patient_data, render_text

from . import browser
from .fixtures import FIXTURES
from .pages import request_page
from .reading_charts import NPU, draft
from .test_acceptance_myeloma import RUNTIME, ask, code_of, fixation, igg, observation, on_tec, one, spep
from .test_timeline import chromium  # noqa: F401  (the one Chromium fixture)

Resource = dict[str, Any]
FOUND = "M-komponent påvist, ikke kvantificerbar"


def plain(card: dict[str, Any]) -> str:
    return (card["summary"] + "\n" + card.get("detail", "")).replace("\\", "")


# ---- 1a: the M-protein's words quoted whole enough to be recognised -------------------------------------------------

@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_card_quotes_a_found_not_quantified_m_protein_whole(lang: str) -> None:
    """IgG kappa myeloma, electrophoresis "M-komponent påvist, ikke kvantificerbar", total IgG 5.0: polyclonal IgG lies
    below 5.0 by an unknown amount; the card asks for the figure. The fact line subtracting the M-protein quoted it as
    "M-komponent påvist, ikke…", which a reader can take for "not found": it quotes the words whole, as a data note
    quotes EHR text (40 characters), and the summary stays under 140 characters."""
    card = one(on_tec(igg("2026-03-20", 5.0), spep("2026-03-20", text=FOUND), fixation("2026-03-20", "IgG kappa")),
               "2026-03-22", lang)
    assert code_of(card) == "measure-igg"
    assert f"“{FOUND}”" in card["detail"].replace("\\", ""), card["detail"]
    assert "ikke…" not in card["detail"]
    assert len(card["summary"]) < 140
    assert "kvantific" in card["summary"]  # the summary says it was not quantified, in the text or its own words


@pytest.mark.parametrize("lang, summary", [
    ("en", "Ig order does not meet the start criterion: polyclonal IgG <5.0 g/L (total 5.0, M-protein not quantified), "
           "unclear whether < 4 g/L"),
    ("da", "Ig-ordinationen opfylder ikke startkriteriet: polyklonal IgG <5,0 g/L (total 5,0, M-komponent ikke "
           "kvantificeret), uvist om < 4 g/L"),
])
def test_an_order_on_a_found_not_quantified_m_protein_keeps_its_criterion_whole(lang: str, summary: str) -> None:
    """The IgG kappa myeloma with "M-komponent påvist, ikke kvantificerbar" and total IgG 5.0; an IVIG draft in the window:
    polyclonal IgG is below 5.0 by an unknown amount, so whether it is below 4 g/L is unclear and the order does not
    meet the start criterion. With the words quoted whole the summary lost the criterion's end ('… ikke
    kvantificerbar”), uncl…', in Danish all of 'uvist om < 4 g/L'): the summary says 'not quantified' in its own words
    and keeps the criterion whole; the detail quotes the words whole."""
    card = one(on_tec(igg("2026-03-20", 5.0), spep("2026-03-20", text=FOUND), fixation("2026-03-20", "IgG kappa")),
               "2026-03-22", lang, hook="order-select", drafts=[draft("2026-03-23")])
    assert code_of(card) == "order-does-not-meet-criteria"
    assert card["summary"] == summary
    assert f"“{FOUND}”" in plain(card)


def test_an_untyped_m_protein_in_words_is_quoted_whole_in_the_caveat() -> None:
    """The same words with no type anywhere, total IgG 5.0: the 4-6 band card with the caveat that if the M-protein is
    IgG, polyclonal IgG is below 5.0. The caveat named the M-protein "M-komponent påvist, ikke…"."""
    card = one(on_tec(igg("2026-03-20", 5.0), spep("2026-03-20", text=FOUND)), "2026-03-22")
    assert code_of(card) == "general-criteria-igg-under-6"
    assert f"M-protein “{FOUND}” (2026-03-20) of unknown type" in plain(card), plain(card)


def test_a_text_longer_than_the_card_has_room_for_still_leaves_the_summary_its_words() -> None:
    """A longer text in Danish ("M-komponent påvist, men ikke kvantificerbar", 44 characters): the summary quotes it
    shorter and keeps its own 'not quantified; ask for the figure'; the fact line quotes it up to 40 characters."""
    text = "M-komponent påvist, men ikke kvantificerbar"
    card = one(on_tec(igg("2026-03-20", 5.0), spep("2026-03-20", text=text), fixation("2026-03-20", "IgG kappa")),
               "2026-03-22", "da")
    assert card["summary"].endswith("ikke kvantificeret; bed om tallet"), card["summary"]
    assert len(card["summary"]) < 140
    # cut where the card cuts it, with "…", not mid-word with no sign of a cut ("… men ikke kvantificer”")
    assert "“M-komponent påvist, men ikke…”" in card["detail"].replace("\\", ""), card["detail"]


# ---- 1b: the words read however the laboratory punctuates them ------------------------------------------------------

@pytest.mark.parametrize("text", [
    "M-komponent: påvist, ikke kvantificerbar",
    "M-KOMPONENT: PÅVIST, IKKE KVANTIFICERBAR",
    "M-komponent: Påvist; ikke kvantificerbar.",
    "M-komponent - påvist - ikke kvantificerbar",
    "Påvist (ikke kvantificerbar)",
    "M komponent: påvist men ikke kvantificeret",
    "M-komponent: spor",
])
def test_found_not_quantified_is_read_however_it_is_punctuated(text: str) -> None:
    """"M-komponent: påvist, ikke kvantificerbar" (the analyte as a heading), upper case, a semicolon, dashes or a
    parenthesis: the finding is the one "M-komponent påvist, ikke kvantificerbar" states. Polyclonal IgG lies below the
    total 5.0 by an unknown amount: the card asks for the figure. It was named as unreadable, and the card put the
    patient in the 4-6 band on the total with 'IgG myeloma without an M-protein measured with this IgG'."""
    card = one(on_tec(igg("2026-03-20", 5.0), spep("2026-03-20", text=text), fixation("2026-03-20", "IgG kappa")),
               "2026-03-22")
    assert code_of(card) == "measure-igg", card["summary"]
    assert "could not be read" not in plain(card)


@pytest.mark.parametrize("text", ["M-komponent: ikke påvist", "M-komponent: Negativ", "IKKE PÅVIST."])
def test_none_found_is_read_however_it_is_punctuated(text: str) -> None:
    """"M-komponent: ikke påvist" beside an IgG kappa myeloma in remission, total IgG 3.2: no M-protein, the total is
    polyclonal; the start criterion is met on 3.2 with the figures shown (total − 0.0). It was named as unreadable."""
    card = one(on_tec(igg("2026-03-20", 3.2), spep("2026-03-20", text=text), fixation("2026-03-20", "IgG kappa")),
               "2026-03-22")
    assert code_of(card) == "start-substitution"
    assert "could not be read" not in plain(card)


@pytest.mark.parametrize("text", ["M-komponent: 7,2 g/L", "M-protein: 7.2 g/L"])
def test_a_figure_under_the_analyte_as_a_heading_is_read_as_the_figure(text: str) -> None:
    """"M-komponent: 7,2 g/L" beside an IgG kappa myeloma, total IgG 9.0: polyclonal IgG is 9.0 − 7.2 = 1.8, the start
    criterion is met (§4.1). The text was named as unreadable, and the card said no M-protein had been measured with the
    IgG ('measure the M-protein') beside the note naming the M-protein of that very day."""
    card = one(on_tec(igg("2026-03-20", 9.0), spep("2026-03-20", text=text), fixation("2026-03-20", "IgG kappa")),
               "2026-03-22")
    assert code_of(card) == "start-substitution"
    assert card["summary"].startswith("Polyclonal IgG 1.8 g/L (total 9.0)"), card["summary"]
    assert f"“{text}”" in plain(card) and "could not be read" not in plain(card)


@pytest.mark.parametrize("text", ["M-komponent: påvist", "IgG kappa påvist, ikke kvantificerbar", "se kommentar"])
def test_other_words_are_still_named_as_not_read(text: str) -> None:
    """Words that do not say both found and not quantified (or only name a type) are not guessed: named, not read."""
    card = one(on_tec(igg("2026-03-20", 5.0), spep("2026-03-20", text=text), fixation("2026-03-20", "IgG kappa")),
               "2026-03-22")
    assert "could not be read as an amount" in plain(card), plain(card)


# ---- 1c: an M-protein of another type, seen and not subtracted, is named ---------------------------------------------

@pytest.mark.parametrize("lang, note", [
    ("en", "M-protein IgA 15.0 g/L (2026-02-10) is not IgG: not subtracted, as only an IgG M-protein is part of total "
           "IgG"),
    ("da", "M-komponent IgA 15,0 g/L (2026-02-10) er ikke IgG: ikke trukket fra, da kun en IgG-M-komponent indgår i "
           "total-IgG"),
])
def test_an_iga_m_protein_beside_the_igg_is_named_as_not_subtracted(lang: str, note: str) -> None:
    """IgA lambda by immunofixation, electrophoresis M-protein 15 g/L, total IgG 4.5 the same day: the 4-6 band on the
    total (an IgA M-protein is not in total IgG, §7). The card said nothing of the 15 g/L, so a clinician could not tell
    whether the rules had seen it; it names it and says why it was not subtracted."""
    card = one(on_tec(igg("2026-02-10", 4.5), spep("2026-02-10", 15.0), fixation("2026-02-10", "IgA lambda")),
               "2026-02-12", lang)
    assert code_of(card) == "general-criteria-igg-under-6"
    assert note in plain(card), plain(card)


@pytest.mark.parametrize("m_protein, shown", [
    (observation("NPU28634", "2026-02-10", 15.0, system=NPU), "IgA 15.0 g/L"),  # typed by its own code
    ([spep("2026-02-10", text="spor"), fixation("2026-02-10", "IgM kappa")], "IgM “spor”"),
    ([spep("2026-02-10", 2.25), fixation("2026-02-10", "frie kappa-kæder")], "light-chain 2.25 g/L"),
], ids=["iga-code", "igm-trace", "light-chain"])
def test_every_m_protein_not_in_total_igg_is_named(m_protein: Resource | list[Resource], shown: str) -> None:
    """Total IgG 2.8 and an IgA (by its NPU code), IgM (a trace, by immunofixation) or light-chain M-protein: the start
    criterion is met on the total; the M-protein is named as not subtracted."""
    card = one(on_tec(igg("2026-02-10", 2.8), m_protein), "2026-02-12")
    assert code_of(card) == "start-substitution"
    assert card["summary"].startswith("IgG 2.8 g/L < 4 g/L")
    assert f"M-protein {shown} (2026-02-10) is not IgG: not subtracted" in plain(card), plain(card)


@pytest.mark.parametrize("lang, note", [
    ("en", "M-protein IgA “M-komponent: påvist, ikke kvantificerbar” (2026-02-10) is not IgG: not subtracted"),
    ("da", "M-komponent IgA “M-komponent: påvist, ikke kvantificerbar” (2026-02-10) er ikke IgG: ikke trukket fra"),
])
def test_an_iga_m_protein_in_words_is_quoted_whole_in_its_note(lang: str, note: str) -> None:
    """IgA kappa by immunofixation, electrophoresis "M-komponent: påvist, ikke kvantificerbar", total IgG 2.8: the start
    criterion is met on the total, and the note names the IgA M-protein. The note quoted 'IgA “M-komponent: påvist,
    ikke…' (the type and the quote mark took the room of the words), with no closing quote: the words whole, as the
    card quotes an M-protein's words, and the quote closed."""
    card = one(on_tec(igg("2026-02-10", 2.8), spep("2026-02-10", text="M-komponent: påvist, ikke kvantificerbar"),
                      fixation("2026-02-10", "IgA kappa")), "2026-02-12", lang)
    assert code_of(card) == "start-substitution"
    assert note in plain(card), plain(card)


def test_an_iga_m_protein_in_longer_words_is_cut_inside_its_quote() -> None:
    """Words longer than a card quotes (46 characters, on an IgA-coded result) are cut with '…' inside the quote, which
    is closed, and the day follows."""
    card = one(on_tec(igg("2026-02-10", 2.8), observation("NPU28634", "2026-02-10", system=NPU,
                                                          text="M-komponent: påvist, men ikke kvantificerbar.")),
               "2026-02-12")
    assert re.search(r"M-protein IgA “M-komponent: påvist, men ikke…” \(2026-02-10\) is not IgG", plain(card)), \
        plain(card)


def test_an_igg_m_protein_subtracted_and_one_found_none_are_not_named_so() -> None:
    """An IgG M-protein is subtracted (the card shows it); an IgA M-protein 'Ikke påvist' names nothing: no note."""
    subtracted = one(on_tec(igg("2026-02-10", 9.0), spep("2026-02-10", 7.2), fixation("2026-02-10", "IgG kappa")),
                     "2026-02-12")
    assert "is not IgG" not in plain(subtracted)
    none = one(on_tec(igg("2026-02-10", 3.0), spep("2026-02-10", text="Ikke påvist"), fixation("2026-02-10", "IgA kappa")),
               "2026-02-12")
    assert "is not IgG" not in plain(none)


def test_an_iga_m_protein_far_from_the_igg_is_not_named() -> None:
    """An IgA M-protein of four months before the IgG is not one the rules would have set beside it: no note."""
    assert all("is not IgG" not in plain(c) for c in ask(
        on_tec(igg("2026-02-10", 2.8), observation("NPU28634", "2025-10-01", 15.0, system=NPU)), "2026-02-12"))


# ---- 2: the timeline's default range reaches the first record a card names ------------------------------------------

def test_the_default_timeline_reaches_a_not_given_dose_months_before_the_first_given() -> None:
    """Myeloma; the first teclistamab dose recorded stopped 'Ikke givet' on 2025-10-06, the first dose given on
    2025-12-22, IgG 3.0 on 2026-01-05. From 2025-10-06 the EHR showed 'Not checked: ... recorded as stopped, not given'
    (no window can be placed from it); from 2025-12-22 the window runs. The timeline with its default range began a
    month before the first dose given (2025-11-22), so the card of the weeks before was not on it: it begins a month
    before the record a card names, and shows that card from its day."""
    from .test_acceptance_entrances import STORIES

    story = next(s for s in STORIES if s.name == "bsab-not-given")
    timeline = build_timeline(patient_data(story.bundle(), RUNTIME), RUNTIME, today=date.fromisoformat(story.read))
    assert timeline.start == date(2025, 9, 6), timeline.start
    days = {s.day.isoformat(): s.codes for s in timeline.changes}
    assert days.get("2025-10-06") == ["therapy-undated"], render_text(timeline)
    assert "therapy-undated" not in days.get("2025-12-22", ["therapy-undated"]), render_text(timeline)


def test_the_default_timeline_still_begins_a_month_before_t0_without_an_earlier_card() -> None:
    """The same chart without the record not given: a month before the first dose, as before."""
    from .test_acceptance_entrances import STORIES

    story = next(s for s in STORIES if s.name == "bsab-not-given")
    bundle = story.bundle()
    bundle["entry"] = [e for e in bundle["entry"] if e["resource"].get("status") != "stopped"]
    timeline = build_timeline(patient_data(bundle, RUNTIME), RUNTIME, today=date.fromisoformat(story.read))
    assert timeline.start == date(2025, 11, 22), timeline.start


# ---- 3: the explanation page says the names of the values and parameters in its own language ------------------------

def page_of(bundle: Resource, at: str, lang: str) -> str:
    """The explanation page of the chart's answer on `at`, as the service stores and renders it."""
    from cds_service.tools.replay import request_from_bundle

    return request_page(request_from_bundle(bundle), "patient-view", date.fromisoformat(at), lang, RUNTIME)


def named_rows(page: str) -> list[tuple[str, str]]:
    """(name as shown, technical name) of every named value and parameter on the page."""
    return [(html.unescape(label), key) for label, key in re.findall(
        r'<t[hd]>([^<]*)<br><code class="key">([^<]*)</code></t[hd]>', page)]


@pytest.mark.parametrize("lang, shown", [
    ("da", {"igg_total": "total-IgG", "m_protein": "IgG-M-komponent trukket fra", "m_protein_date": "M-komponentens dato",
            "stop_date": "seponeringsdato (T0 + periode)", "igg_start_threshold_g_l": "IgG-startgrænse",
            "m_protein_max_days_apart": "M-komponent trukket fra inden for"}),
    ("en", {"igg_total": "total IgG", "m_protein_date": "M-protein date", "igg_start_threshold_g_l": "IgG start threshold"}),
])
def test_the_page_names_the_values_and_parameters_in_its_language(lang: str, shown: dict[str, str]) -> None:
    """The explanation page of the IgG kappa card (polyclonal IgG 1.8 = 9.0 − 7.2): on a Danish page the values behind
    the card and the rule set's parameters were headed by their technical names only ('igg_total', 'm_protein_date',
    'igg_start_threshold_g_l'), English to a Danish reader; each is named in the page's language, with the technical
    name (the trace's and the policy file's) below it."""
    bundle = json.loads((FIXTURES / "myeloma-igg-kappa-m-protein-a-week-before-igg-dated-on-card.json").read_text())
    rows = dict((key, label) for label, key in named_rows(page_of(bundle, "2026-02-12", lang)))
    for key, label in shown.items():
        assert rows.get(key) == label, (key, rows.get(key))


def test_every_value_of_the_shipped_charts_and_every_parameter_has_a_name_in_both_languages() -> None:
    """Every value a patient-view card of a shipped chart carries, and every parameter, has a name in English and in
    Danish (a new one without would show its technical name alone on a Danish page)."""
    from cds_service.http.explain_page import PARAMETER_LABELS, VALUE_LABELS
    from cds_service.tools.replay import replay
    from cql_like_rules.parameters import Parameters

    from .fixtures import load_fixtures

    seen = {key for f in load_fixtures() for a in replay(RUNTIME, f.bundle, at=f.at).advice for key in a.values}
    assert not seen - set(VALUE_LABELS), sorted(seen - set(VALUE_LABELS))
    assert not {f.name for f in dataclasses.fields(Parameters)} - set(PARAMETER_LABELS)
    for label in (*VALUE_LABELS.values(), *PARAMETER_LABELS.values()):
        assert label("en") and label("da"), label


def test_the_timeline_picture_on_a_360_px_side_panel_is_drawn_for_it() -> None:
    """The explanation page opened in an order screen's side panel, 360 px wide: the timeline was the 11-inch plot
    shrunk to the panel, its text 3-4 px high, unreadable. Below 640 px the page shows a plot drawn for the panel
    instead (its legend wrapped), at most about 400 pt wide, so that its 8-9 pt text is shown near that size; the wide
    plot is shown on a wide screen, as before."""
    bundle = json.loads((FIXTURES / "cart-not-given-then-infused-after-the-infusion.json").read_text())
    page = page_of(bundle, "2026-01-12", "da")
    widths = dict(re.findall(r'<div class="plot (wide|narrow)"><svg[^>]*? width="([\d.]+)pt"', page))
    assert set(widths) == {"wide", "narrow"}, widths
    assert float(widths["narrow"]) <= 400 < 700 <= float(widths["wide"]), widths
    assert ".plot.narrow{display:none}" in page
    assert "@media (max-width:640px){body{margin:.6rem}.plot.wide{display:none}.plot.narrow{display:block}" in page


def test_in_a_real_browser_360_px_wide_the_panel_shows_the_narrow_picture_at_full_width(
        chromium: str, tmp_path: Path) -> None:  # noqa: F811
    """Laid out by Chromium in a panel 360 px wide: the narrow plot fills the panel (its 362 pt drawn at about 340 px,
    text near its size), the wide one takes no room, and nothing sticks out to the right."""
    bundle = json.loads((FIXTURES / "cart-not-given-then-infused-after-the-infusion.json").read_text())
    page = page_of(bundle, "2026-01-12", "da")
    probe = page.replace('<meta http-equiv="Content-Security-Policy"', '<meta name="x-policy-off"')
    probe = probe.replace("</head>", "<style>html{width:360px}</style></head>").replace(
        "</body>", "<script>function w(s){var e=document.querySelector(s);return e?Math.round(e.getBoundingClientRect()"
        ".width):-1}document.body.setAttribute('data-widths',w('.plot.narrow svg')+'|'+w('.plot.wide svg')+'|'"
        "+Math.ceil(document.body.getBoundingClientRect().right));</script></body>")
    saved = tmp_path / "narrow.html"
    saved.write_text(probe, encoding="utf-8")
    # a window below the page's 640 px (headless Chromium's narrowest is 500 px), the page laid out 360 px wide in it
    with tempfile.TemporaryDirectory() as profile:
        done = browser._run(chromium, ["--window-size=500,2000", "--dump-dom", saved.resolve().as_uri()], profile)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    narrow, wide, right = (int(x) for x in re.search(r'data-widths="([^"]*)"', done.stdout.decode("utf-8"))
                            .group(1).split("|"))
    assert 300 <= narrow <= 360 and wide == 0 and right <= 360, (narrow, wide, right)


def test_the_timeline_help_says_where_its_default_range_begins() -> None:
    """`timeline --help` said the default range begins a month before the first index event, which it no longer
    does when a card names an earlier record: a user giving no --from must know the picture may begin earlier."""
    from cds_service.tools.cli import build_parser

    parser = build_parser()
    timeline = next(a for a in parser._subparsers._group_actions[0].choices.values()  # type: ignore[union-attr]
                    if a.prog.endswith(" timeline"))
    shown = " ".join(timeline.format_help().split())
    assert "a month before the first index event, or before an earlier record a card names" in shown, shown
