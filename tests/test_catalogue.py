"""The advice catalogue: one place per advice code, both languages, wording built from the parameters."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import date
from pathlib import Path

import pytest

from cds_service.cards.render import SUMMARY_LIMIT, summary, summary_template
from cds_service.cards.values import placeholders
from cds_service.http.discovery import codes_of
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import load_bundle, load_drafts, replay
from cds_service.tools.worklist import ACTION_ORDER
from cql_like_rules import ADVICE_CODES, Parameters
from cql_like_rules.advice import advice
from cql_like_rules.catalogue import (
    CATALOGUE, CAVEATS, FAILING, GENERAL_STOP_REASONS, GUIDELINE_SECTIONS, OVERRIDE_REASONS, PENDING_ACTIONS,
    SUGGESTION_LABELS,
)
from cql_like_rules.orders import ORDER_CODES

from .fixtures import FIXTURES, load_fixtures

ROOT = Path(__file__).resolve().parents[1]
VARIANTS = [(code, variant) for code, kind in CATALOGUE.items() for variant in kind.variants]


def _texts():
    for kind in CATALOGUE.values():
        yield kind.title
        for variant in kind.variants.values():
            yield from (variant.summary, variant.decision, variant.action)
    for family in (OVERRIDE_REASONS, CAVEATS, FAILING, GENERAL_STOP_REASONS, GUIDELINE_SECTIONS, SUGGESTION_LABELS,
                   PENDING_ACTIONS):
        yield from family.values()


def test_every_text_exists_in_both_languages_and_they_differ():
    for text in _texts():
        assert text.en.strip() and text.da.strip()
        # short names (IVIG, CAR-T) may be the same, and a template of placeholders only, whose words are each their own
        words = re.sub(r"\{[^}]*\}", "", text.en)
        assert text.en != text.da or len(text.en) < 12 or not words.strip(), text.en


@pytest.mark.parametrize("text", list(_texts()), ids=lambda t: t.en[:40])
def test_no_number_period_or_threshold_is_written_into_text(text):
    for lang in ("en", "da"):
        words = re.sub(r"\{[^}]*\}", "", text(lang))  # placeholders are filled from the parameters
        assert not re.search(r"\d+\s*(g/L|months?|måned|days?|dag)", words), words
        assert not re.search(r"(?<![§\d.])\b\d{1,2}\b(?![.\d]*§)", words.replace("§4.", "").replace("§3.4", "")), words


def test_the_codes_of_the_product_come_from_the_catalogue():
    assert ADVICE_CODES == tuple(CATALOGUE)
    assert set(ORDER_CODES) == {"order-meets-criteria", "order-does-not-meet-criteria", "plan-igg-monitoring",
                                "child-individual-assessment", "order-not-recognised", "therapy-not-recognised",
                                "therapy-undated", "malignancy-not-recognised"}
    assert set(codes_of("patient-view")) | set(codes_of("order-sign")) == set(CATALOGUE)
    assert list(ACTION_ORDER) == sorted((c for c in CATALOGUE if CATALOGUE[c].worklist_rank),
                                        key=lambda c: CATALOGUE[c].worklist_rank)
    docs = (ROOT / "docs" / "clinical-logic.md").read_text(encoding="utf-8")
    assert [code for code in CATALOGUE if f"`{code}`" not in docs] == []


LONG = {"t0": date(2026, 12, 31), "stop_date": date(2027, 6, 30), "igg_date": date(2026, 12, 31), "igg": 12.34,
        "igg_total": 14.5, "igg_comparator": "<=", "igg_age_days": 365, "days_to_stop": 181, "t0_kind": "car-t",
        "t0_product": "lisocabtagene maraleucel", "episode_start": date(2026, 12, 31), "due_date": date(2027, 12, 31),
        "order_drug": "linvoseltamab", "order_start": date(2027, 1, 31), "order_end": date(2027, 3, 31), "age": 17,
        "stale_days": 90,
        "reason": "paused-for-infusion", "failing": ("no-igg-since-t0",), "today": date(2026, 12, 31),
        "m_protein": 2.5, "m_protein_date": date(2026, 12, 30), "order_looks_like": "car-t-product",
        "order_code": "DK-LOCAL-1234567890", "order_code_system": "urn:oid:1.2.208.176.2.99.123456789", "right_code_system": "ICD10PCS",
        "untyped_m_protein": 12.5, "untyped_m_protein_date": date(2026, 12, 30), "polyclonal_if_igg": 2.25,
        "paraprotein_threshold": 4.0, "therapy_date": date(2026, 12, 31), "unknown_records": 1234,
        "therapy_recorded": "primo december 2026 (epikrise fra OUH)", "last_dose": date(2027, 6, 29),
        "booked_start": date(2027, 7, 1), "therapy_status": "unknown", "criteria_since": date(2025, 12, 31),
        "therapy_reason": "Ikke givet - patient febril, infusion udsat til ny vurdering",
        "session_therapy": "mosunetuzumab", "session_therapy_start": date(2027, 1, 2),
        "session_stop_date": date(2027, 7, 2), "follow_on_drug": "Hizentra",
        "follow_on_start": date(2027, 2, 1), "resume_by": date(2027, 6, 29),
        "m_protein_unread_date": date(2026, 12, 30), "m_protein_unread_why": "code-unknown"}


# The worst cases a summary meets: polyclonal IgG in myeloma (LONG), the total IgG (no polyclonal fallback drops
# days left or T0 to make room), the stop date itself ("(today)"/"(i dag)"), a bispecific's T0.
WORST = {"polyclonal": LONG, "total": {**LONG, "m_protein": None},
         "today": {**LONG, "m_protein": None, "days_to_stop": 0}, "bsab": {**LONG, "m_protein": None, "t0_kind": "bsab"}}
# the criteria each variant of an order that fails can name (inside the window: one IgG criterion)
WORST_FAILING = {"window": [("igg-not-low",), ("igg-stale",), ("igg-4-6",), ("igg-indeterminate",)],
                 "": [("no-igg-since-t0",), ("past-stop-date",)]}
# Where T0 is the reference point of the decision (the window, its stop date, the general stop criteria because of
# when substitution began against T0), the summary names it ("CAR-T 2026-12-31") with the total IgG (§6).
NAMES_T0 = [(code, variant) for code, variant in VARIANTS
            if code in ("order-meets-criteria", "general-stop-review", "stop-due-soon", "stop-overdue", "stop-planned",
                        "start-substitution")
            # a bsAb drafted with the order opens the window its stop counts from: the summary names that therapy
            and variant not in ("general", "continuation-general", "continuation-general-due", "window-new-therapy")]


@pytest.mark.parametrize("code, variant", VARIANTS)
@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("worst", list(WORST))
def test_every_summary_fits_with_long_realistic_values(code, variant, lang, worst):
    for failing in WORST_FAILING.get(variant, [()]) if code == "order-does-not-meet-criteria" else [()]:
        values = {**WORST[worst], **({"failing": failing} if failing else {})}
        if variant in ("indeterminate-m-protein", "m-protein-not-quantified", "m-protein-no-bound"):  # a card about the M-protein has one
            values["m_protein"] = LONG["m_protein"]
        found = advice(code, variant, "test", values=values)
        p = placeholders(found, Parameters(), lang)
        text = summary(found, lang, p)
        assert len(text) < SUMMARY_LIMIT and "…" not in text, (len(text), text)
        assert "?" not in text and "{" not in text, text
        template = summary_template(found, lang, p)  # a bound IgG is not compared again with the threshold
        if worst != "polyclonal" and "{failing}" not in template:
            # whole: no fallback took T0 or the days left out to make it fit (only the polyclonal IgG, which names
            # the total too, and the failing criteria of an order, which fill the room there is, may need one)
            assert text == template.format_map(p), (len(template.format_map(p)), text)


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w+)\}", text))


def test_english_and_danish_say_the_same_numbers_and_dates():
    """Each text names the same values in both languages: a date or threshold in one only is a different card."""
    differing = [(text.en, text.da) for text in _texts() if _placeholders(text.en) != _placeholders(text.da)]
    differing += [(t.en, t.da) for t in (*CAVEATS.values(), *FAILING.values()) if _placeholders(t.en) != _placeholders(t.da)]
    assert differing == []


# Words of the rule engine a clinician does not write in a summary (read in seconds in an order screen, §8): the
# window is named with its dates or as the high-risk window, T0 as the therapy and its date ("after CAR-T 2026-01-05").
JARGON = {"en": [r"\bT0\b", r"(?<!high-risk )\bwindow\b", r"placed against"],
          "da": [r"\bT0\b", r"(?<!højrisiko)\bperioden?\b", r"holdes op mod", r"placeres i forhold"]}


@pytest.mark.parametrize("lang", ["en", "da"])
def test_no_summary_speaks_the_rule_engines_words(lang):
    summaries = [v.summary(lang) for kind in CATALOGUE.values() for v in kind.variants.values()]
    words = [re.sub(r"\{\w+\}", "", s) for s in [*summaries, *(f(lang) for f in FAILING.values())]]
    found = [(s, p) for s in words for p in JARGON[lang] if re.search(p, s)]
    assert found == []


# The longest realistic values a detail meets: LONG, with EHR text that is markup (a product, a drug: escaped in the
# detail, stripped in the summary), three severe infections, a draft order, and three criteria an order fails.
MARKUP = "Ig <b>x</b> [y](z) _w_"
DETAIL_WORST = {**LONG, "order_drug": MARKUP, "t0_product": MARKUP, "episode_product": "Hizentra", "igg_stale": True,
                "order_source": "MedicationRequest/draft-1", "infection_severe": True,
                "infection_dates": ("2026-10-01", "2026-11-15", "2026-12-20"),
                "failing": ("starts-after-stop-date", "no-recent-igg", "no-infections")}


@pytest.fixture(scope="module")
def default_runtime():
    return load_runtime(Settings())


@pytest.mark.parametrize("code, variant", VARIANTS)
@pytest.mark.parametrize("lang", ["en", "da"])
def test_every_detail_keeps_its_decision_facts_and_action_with_long_realistic_values(code, variant, lang,
                                                                                    default_runtime):
    """§8: at most 700 characters, and the catalogue's wording leaves room for what the card rests on — the
    decision, every fact with its date, what to do, the guideline section — never cut off; EHR text inert."""
    from cds_service.cards.render import DETAIL_LIMIT, CardContext, detail, fact_lines

    found = advice(code, variant, "test", values=DETAIL_WORST)
    ctx = CardContext(lang, "p", default_runtime.ruleset, default_runtime.terminology, {}, ())
    p = placeholders(found, default_runtime.ruleset.parameters, lang, markdown=True)
    text = detail(found, ctx, p, True)
    assert len(text) <= DETAIL_LIMIT and not text.endswith("…"), (len(text), text)
    kind = CATALOGUE[code].variant(variant)
    # an M-protein measured on another day than the IgG is dated where that costs no fact (the page dates it always)
    facts = fact_lines(found, lang, p).lines
    if not all(line in text for line in facts):
        facts = fact_lines(found, lang, p, m_protein_dated=False).lines
    for part in (kind.decision(lang).format_map(p), kind.action(lang).format_map(p), *facts,
                 f"Medicinrådet 2025 {found.section}."):
        assert part in text, (part, text)
    assert "?" not in text and "{" not in text, text
    for markup in ("<b>", "[y](z)", "_w_"):
        assert markup not in text, text
    shown = summary(found, lang, placeholders(found, default_runtime.ruleset.parameters, lang))
    # the summary is plain text (CDS Hooks): EHR text as sent, never escaped, within its length
    assert "\\" not in shown and "&lt;" not in shown and len(shown) < 140, shown


@pytest.mark.parametrize("code, variant", NAMES_T0 + [("order-does-not-meet-criteria", "window")])
@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("worst", ["total", "today", "bsab"])
def test_a_summary_names_t0_where_the_decision_counts_from_it(code, variant, lang, worst):
    values = {**WORST[worst], "failing": ("igg-not-low",)}
    found = advice(code, variant, "test", values=values)
    text = summary(found, lang, placeholders(found, Parameters(), lang))
    assert ("CAR-T 2026-12-31" if worst != "bsab" else "bsAb 2026-12-31") in text, text


@pytest.mark.parametrize("failing", [
    ("no-infections",), ("igg-not-low",), ("no-recent-igg", "no-infections"),
    ("starts-after-stop-date", "no-infections"), ("starts-after-stop-date", "igg-4-6", "no-infections"),
    ("starts-after-stop-date", "no-recent-igg", "no-infections"),
])
@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_order_that_fails_names_its_igg_and_whole_criteria_in_the_summary(failing, lang):
    """Several failing criteria: the IgG used, the first criterion whole, and how many more — never a cut word."""
    values = {**LONG, "igg_comparator": "", "failing": failing, "igg_date": date(2026, 11, 30)}
    found = advice("order-does-not-meet-criteria", "", "test", values=values)
    p = placeholders(found, Parameters(), lang)
    text = summary(found, lang, p)
    assert len(text) < SUMMARY_LIMIT and "…" not in text, (len(text), text)
    assert ("IgG 12.3 g/L" if lang == "en" else "IgG 12,3 g/L") in text, text
    if lang == "en" or "starts-after-stop-date" not in failing:  # LONG has an IgG M-protein: named polyclonal
        assert ("polyclonal IgG" if lang == "en" else "polyklonal IgG") in text, text
    first = FAILING[failing[0]](lang).format_map(p)
    assert first in text, text
    shown = [f for f in failing if FAILING[f](lang).format_map(p) in text]
    rest = len(failing) - len(shown)
    more = {"en": f"(+{rest} more)", "da": f"(+{rest} {'mere' if rest == 1 else 'flere'})"}[lang]
    assert text.endswith(more) if rest else "(+" not in text, text
    if len(failing) == 1 and (lang == "en" or failing != ("no-infections",)):
        assert "2026-11-30" in text, text  # one criterion leaves room for the IgG's date
    # (the Danish "no infections" criterion leaves room for "polyklonal IgG" or the date, not both: the value the
    # laboratory did not report is named as polyclonal first)


SITE = Parameters(igg_start_threshold_g_l=5.0, igg_general_threshold_g_l=7.0, window_months=3,
                  stale_days_in_window=21, stale_days_after_window=60, general_stop_after_months=4,
                  general_stop_latest_months=10, general_review_every_months=4)
DEFAULT_WORDS = [r"(?<![\d.,])4 g/L", r"(?<![\d.,])6 g/L", r"\b6 months\b", r"\b6 måneder\b", r"6–12",
                 r"last (30|90) days", r"sidste (30|90) dage", r"older than (30|90)", r"ældre end (30|90)",
                 r"six[- ]month", r"seksmåneders", r"every 6\b", r"\+ 6\b"]
DRAFTS = [FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json", FIXTURES / "drafts" / "teclistamab-pt-dk-0001.draft.json"]


@pytest.fixture(scope="module")
def site_runtime(tmp_path_factory):
    policy = tmp_path_factory.mktemp("policy") / "policy.json"
    policy.write_text(json.dumps(dataclasses.asdict(SITE)))
    return Settings(policy_file=str(policy)), load_runtime(Settings(policy_file=str(policy)))


def assert_no_default_number(text: str, where: str) -> None:
    """No threshold, period or age limit of the default parameters in `text` (measured values aside)."""
    text = re.sub(r"IgG [<>=]*\d+[.,]\d+ g/L", "IgG x", text)  # measured values are not thresholds
    text = re.sub(r"\d+[.,]\d+ g/L", "x", text)
    for pattern in DEFAULT_WORDS:
        found = re.search(pattern, text)
        assert not found, (pattern, where, text[max(0, found.start() - 200):found.end() + 200])


def card_text(card: dict) -> str:
    return " ".join([card["summary"], card["detail"], card["source"]["topic"]["display"],
                     *(s["label"] for s in card.get("suggestions", []))])


def test_under_a_site_policy_no_card_shows_a_default_number(site_runtime):
    _, runtime = site_runtime
    seen = 0
    for fixture in load_fixtures():
        for lang in ("en", "da"):
            for card in replay(runtime, fixture.bundle, lang=lang, at=fixture.at).cards:
                seen += 1
                assert_no_default_number(card_text(card), fixture.name)
    assert seen > 20


def test_under_a_site_policy_no_order_card_shows_a_default_number(site_runtime):
    """Order hooks: an IVIG and a bsAb draft for every fixture's patient."""
    _, runtime = site_runtime
    codes = set()
    for fixture in load_fixtures():
        patient = next(e["resource"]["id"] for e in fixture.bundle["entry"] if e["resource"]["resourceType"] == "Patient")
        drafts = load_drafts([str(d) for d in DRAFTS])
        for draft in drafts:
            draft["subject"] = {"reference": f"Patient/{patient}"}
        for lang in ("en", "da"):
            for card in replay(runtime, fixture.bundle, lang=lang, hook="order-sign", drafts=drafts, at=fixture.at).cards:
                codes.add(card["source"]["topic"]["code"])
                assert_no_default_number(card_text(card), f"{fixture.name} order-sign")
    assert {"order-meets-criteria", "order-does-not-meet-criteria"} <= codes, codes


def test_under_a_site_policy_the_timeline_page_shows_no_default_number(site_runtime):
    from cds_service.tools.timeline import build_timeline, patient_data
    from cds_service.tools.timeline_html import render_html

    _, runtime = site_runtime
    for name, at in [("cart-in-window-igg-low", date(2026, 1, 20)),
                     ("cart-ig-active-stop-overdue", date(2026, 2, 23))]:
        data = patient_data(load_bundle(FIXTURES / f"{name}.json"), runtime)
        for lang in ("en", "da"):
            page = render_html(build_timeline(data, runtime, lang=lang, today=at), lang, at)
            assert ("3 months" if lang == "en" else "3 måneder") in page
            assert_no_default_number(re.sub(r"<svg.*?</svg>", "", page, flags=re.S), f"timeline {name} {lang}")


def test_under_a_site_policy_the_explanation_page_shows_no_default_number(site_runtime, tmp_path):
    import httpx

    from cds_service.http.app import create_app
    from cds_service.http.discovery import PATIENT_VIEW_ID
    from cds_service.tools.replay import request_from_bundle

    from .servers import SettableClock, serve_in_thread

    settings, _ = site_runtime
    at = date(2026, 1, 20)
    settings = dataclasses.replace(settings, evaluation_date=at, data_dir=str(tmp_path),
                                   link_secret="site-policy-explanation-test-secret-0123")
    with serve_in_thread(create_app(settings, clock=SettableClock(at))) as base:
        for name in ("cart-in-window-igg-low", "cart-ig-active-stop-overdue"):
            body = request_from_bundle(load_bundle(FIXTURES / f"{name}.json"))
            for lang in ("en", "da"):
                answer = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=body,
                                    headers={"accept-language": lang}, timeout=20)
                assert answer.status_code == 200 and answer.json()["cards"], answer.text
                for card in answer.json()["cards"]:
                    page = httpx.get(card["links"][0]["url"], timeout=60).text
                    assert ("3 months" if lang == "en" else "3 måneder") in page
                    # The page's own text: the plot and the rule set's parameter table hold numbers by design.
                    shown = re.sub(r"<svg.*?</svg>", "", page, flags=re.S)
                    assert_no_default_number(shown, f"explanation {name} {lang} {card['source']['topic']['code']}")


def test_the_documented_tables_are_the_catalogue_and_the_parameters():
    from cds_service.tools import docs_tables

    assert docs_tables.main([]) == 0, "run: python -m cds_service.tools.docs_tables --write"


def test_every_caveat_failing_criterion_and_stop_reason_is_one_the_rules_or_cards_can_give():
    """Wording no rule can reach is wording nobody reviews against the rules: a caveat left behind by a change
    ("infections-general-stop") still read as if the service said it."""
    from pathlib import Path

    from cql_like_rules.catalogue import BRIEFER_CAVEATS, CAVEATS, FAILING, GENERAL_STOP_REASONS

    root = Path(__file__).resolve().parent.parent
    code = "".join(p.read_text() for p in [*(root / "cql_like_rules").glob("*.py"), *(root / "cds_service").rglob("*.py")]
                   if p.name != "catalogue.py")
    for table in (CAVEATS, FAILING, GENERAL_STOP_REASONS):
        # a briefer form is said where the caveat it shortens is reached (`render._fitted`)
        assert [key for key in table if f'"{key}"' not in code and key not in BRIEFER_CAVEATS.values()] == []
    assert [key for key in BRIEFER_CAVEATS if f'"{key}"' not in code] == []


def test_the_caveat_sets_a_crowded_card_reads_name_caveats_of_the_catalogue() -> None:
    """`REQUIRED_CAVEATS`, `DECISIVE_CAVEATS` and `THIS_IGG_CAVEATS` name caveats that exist (a misspelt one would let
    a crowded card cut a caveat it must keep), and every caveat that opens on "This IgG" keeps its IgG's fact line."""
    from cql_like_rules.catalogue import CAVEATS, DECISIVE_CAVEATS, REQUIRED_CAVEATS, THIS_IGG_CAVEATS

    assert REQUIRED_CAVEATS | DECISIVE_CAVEATS | THIS_IGG_CAVEATS <= set(CAVEATS)
    assert {c for c, text in CAVEATS.items()
            if text("en").startswith("This IgG") or text("da").startswith("Denne IgG")} == THIS_IGG_CAVEATS
