"""A bacterial pneumonia needing admission is a severe infection (clinical-rules §5 [policy]), from the clinician's side.

Scenario A of test_acceptance_infections (lymphoma, CAR-T 2025-03-10, window closed 2025-09-10, IgG 3.2 g/L on
2026-02-20, seen 2026-03-01): one bacterial pneumonia (SKS DJ159, confirmed) on 2026-01-03 is neither severe nor
recurrent, so a start is not recommended; the same pneumonia with the inpatient stay it was admitted for
(2026-01-03 to 2026-01-11) is severe, and the general start criteria are met. A stay never makes an infection: a
pneumonia recorded only on the stay (as the Danish patient register LPR records a contact's diagnoses) is not
counted, and the card says to record the diagnosis.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from cds_service.http.app import create_app
from cds_service.http.discovery import PATIENT_VIEW_ID
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay, request_from_bundle

from .servers import SettableClock
from .test_acceptance_infections import MEET, NOT, RUNTIME, SKS, SUBJECT, bundle, culture, igg, infection

AT = date(2026, 3, 1)
T0 = "2025-03-10"
ACT = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
ADMITTED = ("Bacterial pneumonia 2026-01-03, admitted 2026-01-03 to 2026-01-11: severe",
            "Bakteriel pneumoni 2026-01-03, indlagt 2026-01-03 til 2026-01-11: svær")
NOT_SENT = ("Whether the bacterial pneumonia “Bakteriel pneumoni UNS” (2026-01-03) needed admission is not known: "
            "admissions not sent",
            "Om den bakterielle pneumoni “Bakteriel pneumoni UNS” (2026-01-03) krævede indlæggelse vides ikke: "
            "indlæggelser er ikke sendt")
RECORD_IT = ("2 admissions for “Bakteriel pneumoni UNS \\(DJ159\\)” with no diagnosis recorded as a Condition: not "
             "counted; record the diagnosis if it applies",
             "2 indlæggelser for “Bakteriel pneumoni UNS \\(DJ159\\)” uden diagnosen registreret som diagnose "
             "(Condition): medregnes ikke; registrér diagnosen, hvis den er rigtig")


def pneumonia(**extra: Any) -> dict[str, Any]:
    return infection("DJ159", "2026-01-03", rid="pneu", display="Bakteriel pneumoni UNS", **extra)


def stay(*, names: str | None = "Condition/pneu", kind: str = "IMP", status: str = "finished", rid: str = "stay",
         start: str = "2026-01-03", end: str = "2026-01-11", **extra: Any) -> dict[str, Any]:
    """An Encounter as a Danish EHR sends an admission: its class, its period, and the diagnosis it was for."""
    e: dict[str, Any] = {"resourceType": "Encounter", "id": rid, "status": status, "subject": SUBJECT,
                         "class": {"system": ACT, "code": kind}, "period": {"start": start, "end": end}}
    if names:
        e["reasonReference"] = [{"reference": names}]
        e["diagnosis"] = [{"condition": {"reference": names}, "rank": 1}]
    e.update(extra)
    return e


def chart(*resources: dict[str, Any]) -> dict[str, Any]:
    return bundle(T0, igg("2026-02-20", 3.2), *resources)


def card_text(b: dict[str, Any], lang: str = "en") -> tuple[str, str]:
    """The one card's advice code and what a clinician reads (summary and detail)."""
    answered = replay(RUNTIME, b, at=AT, lang=lang)
    [card] = answered.cards
    return str(card["source"]["topic"]["code"]), f"{card['summary']}\n{card['detail']}"  # type: ignore[index]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_a_bacterial_pneumonia_with_its_admission_is_severe_and_the_card_says_why(lang: str) -> None:
    code, text = card_text(chart(pneumonia(), stay()), lang)
    assert code == MEET, text
    assert ADMITTED[lang == "da"] in text


def test_the_admission_the_condition_names_is_its_stay() -> None:
    code, text = card_text(chart(pneumonia(encounter={"reference": "Encounter/stay"}), stay(names=None)))
    assert code == MEET and ADMITTED[0] in text, text


def test_a_pneumonia_counted_with_its_culture_and_admitted_is_severe() -> None:
    j18 = infection("DJ189", "2026-01-03", rid="pneu", display="Pneumoni UNS")
    sputum = culture("2026-01-04", organism="3092008", loinc="622-1")  # S. aureus in a sputum culture
    code, text = card_text(chart(j18, sputum, stay()))
    assert code == MEET and "Bacterial pneumonia 2026-01-03, admitted 2026-01-03 to 2026-01-11: severe" in text, text


@pytest.mark.parametrize(("name", "resources"), [
    ("no admission", (pneumonia(),)),
    ("an admission for something else", (pneumonia(), stay(names="Condition/dx"))),
    ("an outpatient visit for the pneumonia", (pneumonia(), stay(kind="AMB"))),
    ("an emergency contact for the pneumonia", (pneumonia(), stay(kind="EMER"))),
    ("a cancelled admission", (pneumonia(), stay(status="cancelled"))),
    ("an admission entered in error", (pneumonia(), stay(status="entered-in-error"))),
    ("an admission for a bacterial infection that is no pneumonia",
     (infection("DA499", "2026-01-03", rid="pneu", display="Bakteriel infektion UNS"), stay())),
])
def test_without_an_admission_for_the_pneumonia_one_pneumonia_is_not_severe(
        name: str, resources: tuple[dict[str, Any], ...]) -> None:
    code, text = card_text(chart(*resources))
    assert code == NOT, (name, text)
    assert "Verified bacterial infection 2026-01-03: not severe, not recurrent" in text, (name, text)
    assert "admitted" not in text and "admissions not sent" not in text, (name, text)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_infections_recorded_only_on_admissions_are_not_counted_and_the_card_says_to_record_them(lang: str) -> None:
    lpr = [stay(names=None, rid=rid, start=start, end=end,
                reasonCode=[{"coding": [{"system": SKS, "code": "DJ159", "display": "Bakteriel pneumoni UNS"}]}])
           for rid, start, end in (("lpr-1", "2025-11-20", "2025-11-27"), ("lpr-2", "2025-12-30", "2026-01-06"))]
    code, text = card_text(chart(*lpr), lang)
    assert code == NOT, text
    assert RECORD_IT[lang == "da"] in text
    assert "kind of record the rules do not read" not in text and "kinds of record" not in text


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    clock = SettableClock(AT)
    settings = replace(Settings(), data_dir=str(tmp_path_factory.mktemp("admissions") / "data"))
    with TestClient(create_app(settings, clock=clock)) as client:
        yield client


def post(client: TestClient, b: dict[str, Any], *, drop_encounters: bool, lang: str = "en") -> dict[str, Any]:
    body = request_from_bundle(b)
    if drop_encounters:  # an EHR set up before the key was announced
        del body["prefetch"]["encounters"]
    response = client.post(f"/cds-services/{PATIENT_VIEW_ID}", json=body, headers={"accept-language": lang})
    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    return card  # type: ignore[no-any-return]


def test_over_http_the_admission_sent_makes_the_pneumonia_severe(http: TestClient) -> None:
    card = post(http, chart(pneumonia(), stay()), drop_encounters=False)
    assert card["source"]["topic"]["code"] == MEET and ADMITTED[0] in card["detail"]


@pytest.mark.parametrize("lang", ["en", "da"])
def test_without_the_encounters_key_a_pneumonia_card_says_its_admission_is_not_known(http: TestClient,
                                                                                      lang: str) -> None:
    card = post(http, chart(pneumonia(), stay()), drop_encounters=True, lang=lang)
    assert card["source"]["topic"]["code"] == NOT
    assert NOT_SENT[lang == "da"] in card["detail"], card["detail"]


@pytest.mark.parametrize("resources", [(), (infection("DJ159", "2026-01-03", severity="24484000"),),
                                       (infection("DN390", "2026-01-03"),)],
                         ids=["no infection", "a pneumonia severe by its coded severity", "no pneumonia"])
def test_without_the_encounters_key_a_card_admission_could_not_change_gets_no_new_note(
        http: TestClient, resources: tuple[dict[str, Any], ...]) -> None:
    sent = post(http, chart(*resources), drop_encounters=False)
    card = post(http, chart(*resources), drop_encounters=True)
    assert card["summary"] == sent["summary"] and card["detail"] == sent["detail"]
    assert "admission" not in card["detail"] and "not sent" not in card["detail"]


def test_a_stay_whose_diagnosis_is_recorded_as_a_condition_but_not_linked_asks_for_nothing() -> None:
    """The same pneumonia recorded as a Condition during the stay, the stay naming it only by its code: the diagnosis
    is recorded, so the card does not ask to record it; not linked by reference, the stay does not make it severe
    (`pneumonia_admission_unlinked_days`, default 0)."""
    lpr = stay(names=None, reasonCode=[{"coding": [{"system": SKS, "code": "DJ159"}]}])
    code, text = card_text(chart(pneumonia(), lpr))
    assert code == NOT, text
    assert "record the diagnosis" not in text and "Verified bacterial infection 2026-01-03: not severe" in text


@pytest.mark.parametrize(("days", "expected"), [(0, NOT), (2, MEET)])
def test_a_site_may_link_a_stay_naming_no_diagnosis_by_its_dates(tmp_path: Path, days: int, expected: str) -> None:
    """`pneumonia_admission_unlinked_days`: a stay naming no diagnosis or reason, begun the day after the onset, is the
    pneumonia's only where the site sets the days; a stay for something else never is."""
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"pneumonia_admission_unlinked_days": days}), encoding="utf-8")
    runtime = load_runtime(Settings(policy_file=str(policy)))
    unnamed = replay(runtime, chart(pneumonia(), stay(names=None, start="2026-01-04")), at=AT)
    other = replay(runtime, chart(pneumonia(), stay(names="Condition/dx", start="2026-01-04")), at=AT)
    assert [str(c["source"]["topic"]["code"]) for c in unnamed.cards] == [expected]  # type: ignore[index]
    assert [str(c["source"]["topic"]["code"]) for c in other.cards] == [NOT]  # type: ignore[index]
