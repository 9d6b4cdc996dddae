"""One "not used" note per code and name, not one per result.

A chart with 30 albumin results under a code in no value set had 30 `result-not-used` notes: 30 lines on the
explanation page and in `replay`, 30 entries in every card's `dk.igsub-cds.data-notes` extension, hiding the notes that
matter. The results of one code and name are now one note naming how many, the earliest and newest date and the newest
value; an IgG subclass repeated under one code the same (the card still names the newest subclass).
"""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cds_service.cards.render import NOTES_EXTENSION
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.tools.cli import render_cards
from cds_service.tools.replay import replay, request_from_bundle

from .servers import SettableClock
from .test_acceptance_lifecycle import NPU, RUNTIME
from .test_explain_value_words import served  # noqa: F401 (the service as served, with its card store: a fixture)
from .test_igg_seen_not_used import AT, KAPPA, chart, measure_card, page, result

ALBUMINS = [result(f"alb{i}", day, NPU, "NPU19673", "P-Albumin;massek.", value)
            for i, (day, value) in enumerate([("2026-01-03", 36.0), ("2025-12-01", 35.0), ("2026-01-10", 38.0)])]
# the same IgG subclass under one code, twice; the card names the newest
IGG1 = [result(f"igg1-{i}", day, NPU, "NPU19817", "P-Immunglobulin G1;massek.", value)
        for i, (day, value) in enumerate([("2026-01-12", 2.4), ("2025-12-20", 2.1)])]

COLLAPSED = {
    "en": "3 lab results (2025-12-01 – 2026-01-10), the newest P-Albumin;massek. (NPU19673): 38.0 g/L, have a code in "
          "none of the rules' value sets: not used",
    "da": "3 laboratoriesvar (2025-12-01 – 2026-01-10), det nyeste P-Albumin;massek. (NPU19673): 38.0 g/L, har en kode, "
          "der ikke er i reglernes værdisæt: ikke brugt"}
ONE = {"en": "a lab result (2026-01-11), P-Frie kappa-lette kæder (NPU19843): 4.2 mg/L, has a code",
       "da": "et laboratoriesvar (2026-01-11), P-Frie kappa-lette kæder (NPU19843): 4.2 mg/L, har en kode"}
SUBCLASS = {
    "en": "2 results (2025-12-20 – 2026-01-12) of an IgG subclass, the newest “P-Immunglobulin G1;massek. 2.4 g/L”, "
          "are not total IgG: not used",
    "da": "2 svar (2025-12-20 – 2026-01-12) på en IgG-subklasse, det nyeste “P-Immunglobulin G1;massek. 2.4 g/L”, "
          "er ikke total-IgG: ikke brugt"}


def words(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("lang", ["en", "da"])
def test_results_of_one_code_are_one_note_in_replay_the_card_and_the_page(lang: str) -> None:
    """Three albumins and a kappa: two notes, not four; the albumin's names the count, the dates and the newest
    value, in replay's output, the card's notes extension and the explanation page."""
    answered = replay(RUNTIME, chart(*ALBUMINS, KAPPA), at=AT, lang=lang)
    assert [(n.kind, n.count) for n in answered.notes] == [("result-not-used", 3), ("result-not-used", 1)]
    printed = render_cards(answered.cards, AT.isoformat(), notes=answered.notes, lang=lang)
    assert COLLAPSED[lang][:1].upper() + COLLAPSED[lang][1:] in printed, printed
    assert len([line for line in printed.splitlines() if "NPU19673" in line]) == 1, printed
    extension = measure_card(answered)["extension"][NOTES_EXTENSION]
    albumin = [n for n in extension if "NPU19673" in n["display"]]
    assert [(n["source"], n["count"], n["first"], n["day"]) for n in albumin] == \
        [("Observation/alb2", 3, "2025-12-01", "2026-01-10")]
    assert "Observation/alb0" in albumin[0]["message"] and "Observation/alb1" in albumin[0]["message"]
    text = words(page(answered, lang))
    assert COLLAPSED[lang] in text and ONE[lang] in text, text
    assert "35.0 g/L" not in text and "36.0 g/L" not in text


@pytest.mark.parametrize("lang", ["en", "da"])
def test_an_igg_subclass_repeated_under_one_code_is_one_note_and_the_card_names_the_newest(lang: str) -> None:
    answered = replay(RUNTIME, chart(*IGG1), at=AT, lang=lang)
    assert [(n.kind, n.count) for n in answered.notes] == [("igg-subclass", 2)]
    assert "2.4 g/L" in measure_card(answered)["detail"]
    assert SUBCLASS[lang] in words(page(answered, lang))


def served_page(service: tuple[TestClient, SettableClock], bundle: dict[str, Any], at: date, lang: str) -> str:
    """The explanation page of the chart's first card as the service serves it, as text."""
    client, clock = service
    clock.set(at)
    response = client.post(f"/cds-services/{PATIENT_VIEW_ID}", json=request_from_bundle(bundle),
                           headers={"accept-language": lang})
    assert response.status_code == 200, response.text
    card = response.json()["cards"][0]
    assert len([n for n in card["extension"][NOTES_EXTENSION] if "NPU19673" in n["display"]]) == 1
    opened = client.get(card["links"][0]["url"])
    assert opened.status_code == 200, opened.text
    return words(html.unescape(re.sub(r"<[^>]+>", " ", opened.text)))


@pytest.mark.parametrize("lang", ["en", "da"])
def test_the_served_explanation_page_names_each_code_once_with_its_count(served, lang: str) -> None:  # noqa: F811
    text = served_page(served, chart(*ALBUMINS, KAPPA, *IGG1), AT, lang)
    assert COLLAPSED[lang] in text and ONE[lang] in text and SUBCLASS[lang] in text, text
    assert ("Data not used (3)" if lang == "en" else "Data ikke brugt (3)") in text


def test_only_results_of_the_same_code_and_name_are_one_note() -> None:
    """One code under two names is two notes; results with neither code nor name are not known to be one test, each
    its own note."""
    from .test_facts_from_fhir import build, obs

    renamed = [obs(id=f"r{i}", code=(NPU, "NPU19673")) for i in range(2)]
    for r, name in zip(renamed, ["P-Albumin", "U-Albumin"]):
        r["code"]["text"] = name
    nameless = [{**obs(id=f"n{i}", when=f"2026-01-0{i + 1}"), "code": {}} for i in range(2)]
    notes = build(*renamed, *nameless, *[{**r, "id": f"again-{r['id']}"} for r in renamed]).notes
    assert [(n.kind, n.count) for n in notes] == [("result-not-used", 2), ("result-not-used", 2),
                                                  ("result-not-used", 1), ("result-not-used", 1)]
