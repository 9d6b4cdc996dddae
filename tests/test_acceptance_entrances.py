"""One chart, every entrance (guideline §4.1-§4.3, §3.4; clinical rules §5 "as of", §7, §8).

The same chart on the same day must give the same advice whichever way it arrives: a patient-view call over HTTP
(prefetch), `replay` of the Bundle (English and Danish, and read as of a later day with `known_on`), the day in force
on the `timeline` (and its HTML page), the `worklist` row, the explanation page the card links to. A tester replays
bundles and compares them with what the EHR showed; a ward runs the worklist every morning; a clinician reads the
timeline. Where two entrances disagree about one patient on one day, someone is misled.

Each story is a chart as a Danish EHR sends it, with the days that matter and the advice a clinician reading the
guideline expects on each, written before the run:

- window-start: DLBCL, CAR-T 2025-11-03, IgG 3.1 g/L 2026-01-08: before the IgG no usable IgG since T0 (measure it,
  §4.1 needs one), then the special start criterion (IgG < 4 in the window, §4.1); from the stop date 2026-05-03 the
  window is over and, with no infections, a start is not recommended on IgG alone (§4.3).
- igg-4-6: the same with IgG 4.8: the general SID criteria for IgG < 6 apply (§4.1, last paragraph); no start.
- igg-normal: IgG 7.5 g/L in the window: nothing to advise.
- after-window-no-infections: CAR-T 2025-03-03, IgG 3.0 g/L 2026-01-05: criteria not met (§4.3).
- after-window-sepsis: the same with a confirmed sepsis 2025-12-10: the general criteria are met (§4.3).
- stop-due / stop-overdue: IVIG from 2025-09-15 after CAR-T 2025-08-04 (stop date 2026-02-04): planned, then due from
  14 days before, overdue from the day after (§4.2).
- restart: IVIG stopped in the window, restarted: the general criteria, no special stop promised (§4.3).
- child: a 12-year-old with CAR-T: individual assessment (§4), never adult thresholds.
- deceased: died 2026-01-16: advice until that day, none from it, in every entrance (clinical rules §7).
- out-of-scope: teclistamab for SLE, no haematological malignancy: no card (§4).
- month-only: CAR-T dated "2025-11": the window cannot be placed: say so and ask for the day.
- same-day-correction / same-day-unordered: two IgGs of one day (clinical rules §5: the latest result).
- car-t-not-given / bsab-not-given: the first record stopped "Ikke givet", the therapy given weeks later.
- igg-pending: an IgG taken and not yet answered: no second order proposed, and not on the worklist as an action.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

from cds_service.http.app import create_app
from cds_service.settings import FetchSettings
from cds_service.tools.replay import replay, request_from_bundle
from cds_service.tools.timeline import build_timeline, patient_data, render_text
from cds_service.tools.timeline_html import render_html
from cds_service.tools.worklist import csv_rows, evaluate_patient_resources, render_table, run_worklist

from .environment import tmp_settings
from .fhir_server import running_fhir_server
from .servers import SettableClock, serve_in_thread
from .test_acceptance_lifecycle import (DLBCL, MYELOMA, RUNTIME, SEPSIS, car_t, dx, igg, ivig_dose,
                                        ivig_order, patient, tec_dose, tec_order)

Resource = dict[str, Any]
PID = "pt-lifecycle"
PATIENT_VIEW = "igsub-patient-view"
SLE = ("urn:oid:1.2.208.176.2.4.12", "DM329", "Systemisk lupus erythematosus")


def code_of(card: dict[str, Any]) -> str:
    return str(card["source"]["topic"]["code"])


def plain(card: dict[str, Any]) -> str:
    return (card["summary"] + "\n" + card.get("detail", "")).replace("\\", "")


@dataclass(frozen=True)
class Story:
    name: str
    resources: tuple[Resource, ...]
    read: str  # the day the chart was read (exported): the timeline reads it as of then
    days: dict[str, tuple[str, ...]]  # day -> the advice codes a clinician expects that day
    says: dict[str, tuple[str, ...]] = field(default_factory=dict)  # day -> words the English card carries
    pt: Resource = field(default_factory=patient)

    def bundle(self, upto: str | None = None) -> Resource:
        """The chart; with `upto`, as the EHR held it that day (records dated later not yet written)."""
        kept = [r for r in (self.pt, *self.resources) if upto is None or (first_day(r) or "") <= upto]
        return {"resourceType": "Bundle", "type": "collection",
                "entry": [{"fullUrl": f"https://fhir.example.dk/R4/{r['resourceType']}/{r['id']}", "resource": r}
                          for r in kept]}


def first_day(r: Resource) -> str | None:
    """The earliest day a record names (when it was written at the earliest); None for the Patient."""
    if r["resourceType"] == "Patient":
        return None
    days = re.findall(r'"(?:effectiveDateTime|performedDateTime|authoredOn|onsetDateTime|recordedDate|start)"'
                      r': "(\d{4}-\d{2}(?:-\d{2})?)', json.dumps(r))
    return min(days) if days else None


# ---- the charts ------------------------------------------------------------------------------------------------------

def ivig(start: str, status: str = "active", end: str | None = None, rid: str = "ivig") -> Resource:
    return ivig_order(status, start=start, end=end, rid=rid)


def child() -> Resource:
    return {**patient("2013-05-02"), "id": PID}


def died(day: str) -> Resource:
    return {**patient(), "deceasedDateTime": f"{day}T04:10:00+01:00"}


NOT_GIVEN_CART = {**car_t("2025-11-03", "stopped", rid="cart-ng"), "statusReason": {"text": "Ikke givet"}}
NOT_GIVEN_TEC = {**tec_dose("2025-10-06", "stopped"), "statusReason": [{"text": "Ikke givet"}]}
DAY_ONLY_IGG = {k: v for k, v in igg("igg-day", "2026-03-10", 4.4, effectiveDateTime="2026-03-10").items()
                if k != "issued"}
CORRECTED_IGG = {k: v for k, v in igg("igg-corr", "2026-03-10", 4.4, "corrected",
                                      effectiveDateTime="2026-03-10").items() if k != "issued"}
PENDING_IGG = {k: v for k, v in igg("igg-wait", "2026-01-20", 0.0, "registered").items() if k != "valueQuantity"}

W = (dx(DLBCL, "2025-02-14"), car_t("2025-11-03"))
A = (dx(DLBCL, "2024-11-20"), car_t("2025-03-03"))
S = (dx(DLBCL, "2025-01-30"), car_t("2025-08-04"), igg("igg", "2025-09-10", 3.2))

STORIES = [
    Story("window-start", (*W, igg("igg", "2026-01-08", 3.1)), "2026-06-10",
          {"2025-12-01": ("measure-igg",), "2026-01-12": ("start-substitution",),
           "2026-05-04": ("no-start-without-infections",)},
          {"2026-01-12": ("3.1 g/L", "2026-05-03")}),
    Story("igg-4-6", (*W, igg("igg", "2026-01-08", 4.8)), "2026-01-12",
          {"2026-01-12": ("general-criteria-igg-under-6",)}, {"2026-01-12": ("4.8 g/L",)}),
    Story("igg-normal", (*W, igg("igg", "2026-01-08", 7.5)), "2026-01-12", {"2026-01-12": ()}),
    Story("after-window-no-infections", (*A, igg("igg", "2026-01-05", 3.0)), "2026-01-12",
          {"2026-01-12": ("no-start-without-infections",)}, {"2026-01-12": ("3.0 g/L",)}),
    Story("after-window-sepsis", (*A, igg("igg", "2026-01-05", 3.0), dx(SEPSIS, "2025-12-10", rid="sepsis")),
          "2026-01-12", {"2025-12-01": (),
                         "2026-01-12": ("start-meets-general-criteria",)}),
    Story("stop-due", (*S, ivig("2025-09-15")), "2026-02-20",
          {"2026-01-10": ("stop-planned",), "2026-01-26": ("stop-due-soon",), "2026-02-04": ("stop-due-soon",),
           "2026-02-05": ("stop-overdue",)},
          {"2026-01-26": ("2026-02-04",)}),
    Story("restart", (*W, igg("igg", "2025-11-20", 3.1), ivig("2025-11-24", "stopped", "2025-12-22"),
                      igg("igg-2", "2026-01-30", 3.4), ivig("2026-02-10", rid="ivig-2")), "2026-02-12",
          {"2026-01-05": ("no-start-without-infections",), "2026-02-12": ("general-stop-review",)}),
    Story("child", (dx(("urn:oid:1.2.208.176.2.4.12", "DC910", "Akut lymfoblastær leukæmi"), "2025-02-14"),
                    car_t("2025-11-03"), igg("igg", "2026-01-08", 3.1)), "2026-01-12",
          {"2026-01-12": ("child-individual-assessment",)}, pt=child()),
    Story("deceased", (*W, igg("igg", "2026-01-08", 3.1)), "2026-01-20",
          {"2026-01-12": ("start-substitution",), "2026-01-16": (), "2026-01-20": ()}, pt=died("2026-01-16")),
    Story("out-of-scope", (dx(SLE, "2024-01-01"), tec_dose("2025-10-06"), igg("igg", "2026-01-08", 3.1)),
          "2026-01-12", {"2026-01-12": ()}),
    Story("month-only", (dx(DLBCL, "2025-02-14"), {**car_t("2025-11-03"), "performedDateTime": "2025-11"},
                         igg("igg", "2026-01-08", 3.1)), "2026-01-12", {"2026-01-12": ("therapy-undated",)}),
    Story("same-day-correction", (*W, igg("igg-orig", "2026-03-10", 3.1,
                                          effectiveDateTime="2026-03-10T08:15:00+01:00"), CORRECTED_IGG),
          "2026-03-12", {"2026-03-12": ("general-criteria-igg-under-6",)},
          {"2026-03-12": ("4.4 g/L", "IgG 3.1 g/L, also of 2026-03-10, was not used")}),
    Story("same-day-unordered", (*W, DAY_ONLY_IGG, igg("igg-timed", "2026-03-10", 3.1,
                                                       effectiveDateTime="2026-03-10T14:00:00+01:00")),
          "2026-03-12", {"2026-03-12": ("start-substitution",)},
          {"2026-03-12": ("3.1 g/L", "IgG 4.4 g/L, also of 2026-03-10, was not used", "check which is valid")}),
    Story("car-t-not-given", (dx(DLBCL, "2025-02-14"), NOT_GIVEN_CART, car_t("2025-12-01"),
                              igg("igg", "2025-12-20", 3.1)), "2026-01-12",
          {"2025-11-15": ("therapy-undated",), "2025-12-05": ("measure-igg",), "2026-01-12": ("start-substitution",)},
          {"2025-11-15": ("recorded as stopped, not given",)}),
    Story("bsab-not-given", (dx(MYELOMA, "2023-05-02"), NOT_GIVEN_TEC, {**tec_dose("2025-12-22"), "id": "tec-dose-2"},
                             igg("igg", "2026-01-05", 3.0)), "2026-01-12",
          {"2025-11-22": ("therapy-undated",), "2026-01-12": ("start-substitution",)},
          {"2025-11-22": ("recorded as stopped, not given",)}),
    Story("igg-pending", (*W, PENDING_IGG), "2026-01-22", {"2026-01-22": ("measure-igg",)},
          {"2026-01-22": ("2026-01-20",)}),
    Story("ivig-doses-stop-due", (*S, *(ivig_dose(f"d{n}", day) for n, day in enumerate(
        ("2025-09-15", "2025-10-13", "2025-11-10", "2025-12-08", "2026-01-05")))), "2026-01-26",
          {"2026-01-26": ("stop-due-soon",)}),
    Story("teclistamab-window", (dx(MYELOMA, "2023-05-02"), tec_dose("2025-10-06"), igg("igg", "2026-01-05", 3.6)),
          "2026-01-12", {"2026-01-12": ("start-substitution",)}, {"2026-01-12": ("3.6 g/L", "2026-04-06")}),
]
CASES = [(s, day) for s in STORIES for day in s.days]
IDS = [f"{s.name}@{day}" for s, day in CASES]
AS_OF = [pytest.param(s, day, id=f"{s.name}@{day}") for s, day in CASES]


def seen(cards: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(code_of(c), c["indicator"], c["summary"]) for c in cards]


# ---- replay, as the EHR held the chart that day and as exported later ------------------------------------------------

@pytest.mark.parametrize(("story", "day"), AS_OF)
def test_replay_gives_what_a_clinician_expects(story: Story, day: str) -> None:
    """The full chart replayed `--at` the day: the advice expected that day, with its numbers and dates."""
    cards = replay(RUNTIME, story.bundle(), at=date.fromisoformat(day)).cards
    assert [code_of(c) for c in cards] == list(story.days[day]), seen(cards)
    for words in story.says.get(day, ()):
        assert words in plain(cards[0]), plain(cards[0])


@pytest.mark.parametrize(("story", "day"), AS_OF)
def test_the_chart_replayed_later_says_what_the_ehr_said_that_day(story: Story, day: str) -> None:
    """What the EHR showed that day (the chart as it stood: records written later not yet there) is what a replay of
    the chart exported later gives `--at` that day (clinical rules §5: "as of" uses only what was known then): the
    tester validating before go-live compares exactly these."""
    at = date.fromisoformat(day)
    then = replay(RUNTIME, story.bundle(upto=day), at=at).cards
    later = replay(RUNTIME, story.bundle(), at=at).cards
    assert seen(later) == seen(then)


@pytest.mark.parametrize(("story", "day"), CASES, ids=IDS)
def test_danish_cards_give_the_same_advice(story: Story, day: str) -> None:
    at = date.fromisoformat(day)
    en = replay(RUNTIME, story.bundle(), at=at).cards
    da = replay(RUNTIME, story.bundle(), at=at, lang="da").cards
    assert [(code_of(c), c["indicator"]) for c in da] == [(code_of(c), c["indicator"]) for c in en]


# ---- the timeline ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("story", "day"), CASES, ids=IDS)
def test_the_timeline_day_in_force_is_the_replay_of_that_day(story: Story, day: str) -> None:
    """The timeline of the chart read on `story.read`: the change in force on the day has the advice codes and
    indicators a replay of that day gives, read the same way (`--known-on`)."""
    at, read = date.fromisoformat(day), date.fromisoformat(story.read)
    timeline = build_timeline(patient_data(story.bundle(), RUNTIME), RUNTIME, today=read)
    in_force = [s for s in timeline.changes if s.day <= at]
    assert in_force, render_text(timeline)
    replayed = replay(RUNTIME, story.bundle(), at=at, known_on=read).cards
    assert [(code_of(c), c["indicator"]) for c in in_force[-1].cards] == \
        [(code_of(c), c["indicator"]) for c in replayed], render_text(timeline)


@pytest.mark.parametrize("story", STORIES, ids=[s.name for s in STORIES])
def test_the_timeline_html_page_draws_every_chart(story: Story) -> None:
    read = date.fromisoformat(story.read)
    timeline = build_timeline(patient_data(story.bundle(), RUNTIME), RUNTIME, today=read)
    page = render_html(timeline, today=read)
    assert page.startswith("<!DOCTYPE html>") or page.lstrip().lower().startswith("<!doctype html>")
    for state in timeline.changes:
        for c in state.cards:
            assert code_of(c) in page


# ---- the worklist ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("story", "day"), CASES, ids=IDS)
def test_the_worklist_row_is_the_card(story: Story, day: str) -> None:
    """Each advice of the day is a worklist row with the card's summary; a card that asks to check which of two
    records is valid says so on its row too."""
    at = date.fromisoformat(day)
    cards = replay(RUNTIME, story.bundle(), at=at).cards
    rows = evaluate_patient_resources([e["resource"] for e in story.bundle()["entry"]], at, RUNTIME)
    assert [(r.code, r.indicator, r.summary) for r in rows] == seen(cards)
    for row, card in zip(rows, cards):
        assert ("check which is valid" in row.check) == ("check which is valid" in plain(card)), (row.check, plain(card))


def test_the_worklist_says_check_which_is_valid_for_a_same_day_igg_choice(tmp_path: Path) -> None:
    """Two IgGs of 2026-03-10 (3.1 with a time, 4.4 with its day only): the card reads 3.1 (start in the window) and
    asks to check which is valid; the ward's list showed '3.1 g/L 2026-03-10' and nothing else, and a start would be
    ordered on a value the card itself doubts. Now the table's IgG cell and the CSV's `check` column say it."""
    story = next(s for s in STORIES if s.name == "same-day-unordered")
    export = tmp_path / "export"
    export.mkdir()
    by_type: dict[str, list[str]] = {}
    for e in story.bundle()["entry"]:
        by_type.setdefault(e["resource"]["resourceType"], []).append(json.dumps(e["resource"]))
    for kind, lines in by_type.items():
        (export / f"{kind}.ndjson").write_text("\n".join(lines) + "\n")
    result = run_worklist(export, date(2026, 3, 12), tmp_settings(), jobs=1)
    [row] = result.rows
    assert row.code == "start-substitution"
    assert "3.1 g/L 2026-03-10 (check which is valid)" in render_table(result)
    header, line = list(csv_rows(result))
    check = line[header.index("check")]
    assert "IgG 4.4 g/L, also of 2026-03-10, was not used" in str(check) and "check which is valid" in str(check)


# ---- over HTTP, and the explanation page the card links to -----------------------------------------------------------

@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, SettableClock]]:
    clock = SettableClock()
    with serve_in_thread(create_app(tmp_settings(), clock=clock)) as base:
        yield base, clock


@pytest.mark.parametrize(("story", "day"), CASES, ids=IDS)
def test_patient_view_over_http_is_the_replay(server: tuple[str, SettableClock], story: Story, day: str) -> None:
    """The EHR's call (prefetch) on that day: 200, the same cards (code, indicator, summary) as the replay; each card's
    link opens its explanation page, which names the advice."""
    base, clock = server
    at = date.fromisoformat(day)
    clock.set(at)
    response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW}", json=request_from_bundle(story.bundle()), timeout=30)
    assert response.status_code == 200, response.text
    cards = response.json()["cards"]
    assert seen(cards) == seen(replay(RUNTIME, story.bundle(), at=at).cards)
    for card in cards:
        page = httpx.get(card["links"][0]["url"], timeout=30)
        assert page.status_code == 200, page.text[:300]
        assert code_of(card) in page.text


# ---- fetched from a FHIR server instead of prefetch -------------------------------------------------------------------

TOKEN = "entrances-" + "0" * 8


def tagged(story: Story, tag: str) -> list[Resource]:
    """The story's resources under ids of their own, so that every story's chart can live on one FHIR server."""
    text = json.dumps([e["resource"] for e in story.bundle()["entry"]]).replace(f'"Patient/{PID}"', f'"Patient/{tag}"')
    out = json.loads(text)
    for r in out:
        r["id"] = tag if r["resourceType"] == "Patient" else f"{tag}-{r['id']}"
    return out  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def fetching() -> Iterator[tuple[str, str, SettableClock]]:
    resources = [r for n, s in enumerate(STORIES) for r in tagged(s, f"ent{n:02d}")]
    clock = SettableClock()
    fetch = FetchSettings(development=True, connect_timeout=2.0, total_timeout=10.0)
    with running_fhir_server(resources, bearer_token=TOKEN, in_one_transaction=True) as fhir, \
            serve_in_thread(create_app(tmp_settings(fetch=fetch), clock=clock, record_cards=False)) as base:
        yield base, fhir, clock


@pytest.mark.parametrize(("story", "day"), CASES, ids=IDS)
def test_patient_view_fetched_from_a_fhir_server_is_the_replay(fetching: tuple[str, str, SettableClock], story: Story,
                                                              day: str) -> None:
    """No prefetch: the service searches the EHR's FHIR server for the patient's records. The same cards."""
    base, fhir, clock = fetching
    tag = f"ent{STORIES.index(story):02d}"
    at = date.fromisoformat(day)
    clock.set(at)
    request = {"hook": "patient-view", "hookInstance": f"00000000-0000-4000-8000-{STORIES.index(story):012d}",
               "fhirServer": fhir, "context": {"userId": "Practitioner/x", "patientId": tag},
               "fhirAuthorization": {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300,
                                     "scope": "patient/*.read", "subject": "igsub-cds"}}
    response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW}", json=request, timeout=60)
    assert response.status_code == 200, response.text
    assert seen(response.json()["cards"]) == seen(replay(RUNTIME, story.bundle(), at=at).cards)


@pytest.mark.parametrize(("name", "first", "given"), [("car-t-not-given", "2025-11-03", "2025-12-01"),
                                                     ("bsab-not-given", "2025-10-06", "2025-12-22")])
def test_the_timeline_shows_the_not_given_card_until_the_therapy_is_given(name: str, first: str, given: str) -> None:
    """The first CAR-T infusion (or bsAb dose) recorded stopped, 'Ikke givet'; given weeks later. From the record's day
    the EHR showed 'Not checked: ... recorded as stopped, not given' (no window can be placed from it), and from the
    day the therapy was given the window runs from that day. The timeline, read after both, showed no advice at all
    before the later day: the days of the card a clinician saw were missing."""
    story = next(s for s in STORIES if s.name == name)
    timeline = build_timeline(patient_data(story.bundle(), RUNTIME), RUNTIME, start=date.fromisoformat(first),
                              end=date.fromisoformat(story.read), today=date.fromisoformat(story.read))
    days = {s.day.isoformat(): s.codes for s in timeline.changes}
    assert days.get(first) == ["therapy-undated"], render_text(timeline)
    assert given in days and "therapy-undated" not in days[given], render_text(timeline)


def test_the_timeline_says_why_the_day_of_a_not_given_record_matters() -> None:
    """The chart as it stood before the re-infusion (the stopped record only): its day is a change, and the reason the
    timeline gives is what the record says, not 'therapy dated with no day' (the record names its day)."""
    story = next(s for s in STORIES if s.name == "car-t-not-given")
    timeline = build_timeline(patient_data(story.bundle(upto="2025-11-20"), RUNTIME), RUNTIME,
                              today=date(2025, 11, 20))
    [state] = [s for s in timeline.changes if s.day == date(2025, 11, 3)]
    assert state.codes == ["therapy-undated"]
    line = next(x for x in render_text(timeline).splitlines() if x.startswith("2025-11-03"))
    assert line.endswith("[therapy recorded as stopped, none given]"), line
    danish = next(x for x in render_text(timeline, "da").splitlines() if x.startswith("2025-11-03"))
    assert "[behandling registreret som afbrudt, intet givet]" in danish, danish


def test_the_worklist_says_check_which_is_valid_for_an_order_sent_with_two_statuses() -> None:
    """The IVIG order sent both active and stopped, nothing saying which copy is the later: the card reads one and asks
    to check which is valid; the worklist row carried no `check`, so the ward's list showed the advice as settled."""
    chart = [patient(), *S, ivig("2025-09-15"), ivig("2025-09-15", "stopped")]
    at = date(2026, 1, 12)
    cards = replay(RUNTIME, {"resourceType": "Bundle", "type": "collection",
                             "entry": [{"resource": r} for r in chart]}, at=at).cards
    assert any("check which is valid" in plain(c) for c in cards), [plain(c) for c in cards]
    rows = evaluate_patient_resources(chart, at, RUNTIME)
    assert rows and all("sent as" in row.check and "check which is valid" in row.check for row in rows), rows


def _booked_ahead(status: str) -> Resource:
    """IVIG written 2026-01-10 to begin 2026-01-14 (a course booked ahead), as the chart holds it with `status`."""
    return {**ivig("2026-01-14", status, "2026-05-03"), "authoredOn": "2026-01-10T11:00:00+01:00"}


@pytest.mark.parametrize("read", ["2026-01-20", "2026-06-10"])
def test_an_order_booked_ahead_and_completed_since_was_booked_on_the_days_before_its_start(read: str) -> None:
    """FHIR does not date a status: replayed from a chart read after the course ran (`completed`), the days between
    its writing and its start are days a course stood booked, as the EHR said then (no start card, no order button
    for a second course). Before, the later export gave the start card with "Order IVIG" on those days."""
    chart = (*W, igg("igg", "2026-01-08", 3.1))
    then = Story("then", (*chart, _booked_ahead("active")), read, {})
    later = Story("later", (*chart, _booked_ahead("completed")), read, {})
    for day, expected in (("2026-01-09", ["start-substitution"]), ("2026-01-12", []), ("2026-01-13", [])):
        at = date.fromisoformat(day)
        assert [code_of(c) for c in replay(RUNTIME, then.bundle(upto=day), at=at).cards] == expected
        assert [code_of(c) for c in replay(RUNTIME, later.bundle(), at=at, known_on=date.fromisoformat(read)).cards] \
            == expected, day
    timeline = build_timeline(patient_data(later.bundle(), RUNTIME), RUNTIME, today=date.fromisoformat(read))
    in_force = [s for s in timeline.changes if s.day <= date(2026, 1, 12)][-1]
    assert [code_of(c) for c in in_force.cards] == [], render_text(timeline)


def test_an_order_stopped_since_is_not_taken_as_booked_before_its_start() -> None:
    # R4: a stopped order was halted "before all of the administrations occurred", perhaps before its start: not known
    # to have stood booked that day, so the start card stays (the clinician sees the stopped order in the EHR)
    later = Story("later", (*W, igg("igg", "2026-01-08", 3.1), _booked_ahead("stopped")), "2026-06-10", {})
    cards = replay(RUNTIME, later.bundle(), at=date(2026, 1, 12), known_on=date(2026, 6, 10)).cards
    assert [code_of(c) for c in cards] == ["start-substitution"]


def test_the_timeline_says_no_stop_date_of_a_later_dose_of_a_course() -> None:
    """Teclistamab from 2025-06-01 (stop date 2025-12-01), a second dose 2025-06-05, an IgG on 2025-12-05: the day's
    reasons said "stop date (window ends)", the second dose's, which is no T0 (the course counts from its first dose)."""
    doses = [{**tec_dose(day), "id": f"tec-{n}"} for n, day in enumerate(("2025-06-01", "2025-06-05"))]
    story = Story("later-dose", (dx(MYELOMA, "2023-05-02"), *doses, igg("igg", "2025-12-05", 3.6)), "2026-02-01", {})
    timeline = build_timeline(patient_data(story.bundle(), RUNTIME), RUNTIME, today=date(2026, 2, 1))
    lines = {x[:10]: x for x in render_text(timeline).splitlines()}
    assert lines["2025-12-05"].endswith("[IgG result]"), lines["2025-12-05"]
    assert "stop date (window ends)" in lines["2025-12-01"], lines["2025-12-01"]  # the course's own stop date
    assert "[index event]" in lines["2025-06-01"] and "2025-06-05" not in lines  # the second dose changes nothing


def test_a_bsab_dose_followed_within_the_course_gap_ends_no_gap() -> None:
    # a dose 4 days after the first: the first dose's gap does not end (the course goes on), only the last one's does
    from cds_service.tools.timeline import facts_of
    from cql_like_rules.timeline import candidates

    doses = [{**tec_dose(day), "id": f"tec-{n}"} for n, day in enumerate(("2025-06-01", "2025-06-05"))]
    story = Story("later-dose", (dx(MYELOMA, "2023-05-02"), *doses), "2026-02-01", {})
    facts = facts_of(patient_data(story.bundle(), RUNTIME), RUNTIME)
    params = RUNTIME.ruleset.parameters
    ends = [c for c in candidates(facts, params, date(2025, 1, 1), date(2026, 12, 31)) if c.kind == "bsab-gap-end"]
    assert [(c.date - date(2025, 6, 5)).days for c in ends] == [params.bsab_course_gap_days + 1], ends


def test_a_bsab_order_running_past_its_last_dose_ends_no_gap_before_its_own_end() -> None:
    # teclistamab ordered 2025-10-06 to 2025-12-31, doses weekly to 2025-12-15: the course gap runs from the order's
    # end, not from the last dose (the timeline said "bsAb course gap ends" a fortnight early)
    from cds_service.tools.timeline import facts_of
    from cql_like_rules.timeline import candidates

    days = ("2025-10-06", "2025-11-03", "2025-12-01", "2025-12-15")
    doses = [{**tec_dose(day), "id": f"tec-{n}"} for n, day in enumerate(days)]
    story = Story("order-covers", (dx(MYELOMA, "2023-05-02"), tec_order("completed", end="2025-12-31"), *doses),
                  "2026-06-01", {})
    facts = facts_of(patient_data(story.bundle(), RUNTIME), RUNTIME)
    params = RUNTIME.ruleset.parameters
    ends = {c.date for c in candidates(facts, params, date(2025, 1, 1), date(2026, 12, 31)) if c.kind == "bsab-gap-end"}
    assert ends == {date(2025, 12, 31) + timedelta(days=params.bsab_course_gap_days + 1)}, ends
