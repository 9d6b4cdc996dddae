"""The same chart through every entrance and every way the data arrives: acceptance from an integrator's and a
tester's side.

A clinician reading the guideline (Medicinrådet 2025 §3-§4) expects one answer per chart and day: the advice, its
indicator, the summary with its numbers and dates, and the detail. Which way the EHR delivered the chart is no part of
the guideline, so it must not change a word of what the clinician reads. Every shipped fixture (fhir_fixtures, at its
expect date, and its drafts on order-sign) is answered

(a) over HTTP with the whole chart as prefetch (a real uvicorn server, tests/servers.py);
(b) with no prefetch, the service fetching it from the EHR's FHIR server (tests/fhir_server.py, a real R4 server
    that pages its searches by 20 with absolute `next` links, absolute fullUrls and `meta.versionId`/`lastUpdated`);
(c) with each prefetch key the chart has data for left out (that key fetched, the rest as sent): every key in turn on
    four charts, one key in rotation on the others;
(d) through `replay`, (e) as a worklist row (`evaluate_patient_resources`), (f) as the timeline on that day
    (`build_timeline`; drawn over its whole range up to that day, its last change gives the same advice),

and the cards (advice code, indicator, summary, detail; uuids and links aside) must be the same. The chart is stored
on the one FHIR server under ids of its own (`tagged`), as a server stores what a transaction resolved: `urn:uuid`
references become `Type/id`.

Then the ways real FHIR servers answer a search (CDS Hooks 2.0.1 §Prefetch and §FHIR Resource Access; FHIR R4
§Search): `next` pages, `search.mode` include and outcome entries, `total` absent, relative fullUrls, an `_include`d
Patient, an empty searchset, a prefetch `null` (CDS Hooks: "no data", never re-queried), a key not asked for; and a
fetch that fails part-way (one search answers 500, one never answers): the answer names what could not be read (a
412 naming the key for the first six keys, a data note on the card for the later two), never an answer as if the
data were absent.

Found on the way: a card answered without the microbiology reports (their search failed) led its notes with the
unverified pneumonia and hid "microbiology reports could not be had" among "+1 more data note"; and of two copies of
one result (a search paged while the lab amended it) the older was read, `meta.lastUpdated` and `versionId` being
compared as text.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from cds_service.fhir.fetch import MAX_SEARCH_URL
from cds_service.fhir.prefetch import prefetch_templates
from cds_service.http.app import create_app
from cds_service.http.discovery import ORDER_SIGN_ID, PATIENT_VIEW_ID
from cds_service.runtime import load_runtime
from cds_service.settings import FetchSettings, Settings
from cds_service.tools.replay import load_drafts, replay, request_for
from cds_service.tools.timeline import build_timeline, patient_data
from cds_service.tools.ndjson import patient_of
from cds_service.tools.worklist import evaluate_patient_resources

from .environment import tmp_settings
from .fhir_server import Shape, running_fhir_server, running_shaped_fhir_server
from .fixtures import FIXTURES, Fixture, load_fixtures
from .servers import SettableClock, serve_in_thread

TOKEN = "acc-" + uuid.uuid4().hex
UNHURRIED = FetchSettings(development=True, connect_timeout=2.0, total_timeout=10.0)
RUNTIME = load_runtime(Settings())
KEYS = list(prefetch_templates(RUNTIME.terminology))
ALL = load_fixtures()
DRAFTS = load_drafts([str(p) for p in sorted((FIXTURES / "drafts").glob("*.draft.json"))])
Resource = dict[str, Any]

_RELATIVE = re.compile(r"^([A-Z][A-Za-z]+)/([A-Za-z0-9\-.]{1,64})(/_history/.*)?$")


def tag_of(index: int) -> str:
    return f"a{index:02d}-"


def tagged(fixture: Fixture, tag: str) -> tuple[list[Resource], list[Resource]]:
    """The fixture's Bundle entries with every id and relative reference under `tag` (so the charts of one patient
    id in several fixtures do not meet on the one FHIR server), and the resources as the server stores them
    (`urn:uuid` references resolved to `Type/id`, as a transaction would)."""
    entries = copy.deepcopy(fixture.bundle["entry"])
    by_url = {e["fullUrl"]: f"{e['resource']['resourceType']}/{tag}{e['resource']['id']}"
              for e in entries if isinstance(e.get("fullUrl"), str)}

    def walk(value: Any, resolve: bool) -> Any:
        if isinstance(value, dict):
            out = {}
            for k, v in value.items():
                if k == "reference" and isinstance(v, str):
                    match = _RELATIVE.match(v)
                    if match:
                        v = f"{match.group(1)}/{tag}{match.group(2)}{match.group(3) or ''}"
                    elif resolve and v in by_url:
                        v = by_url[v]
                out[k] = v if k == "reference" else walk(v, resolve)
            return out
        if isinstance(value, list):
            return [walk(v, resolve) for v in value]
        return value

    sent, stored = [], []
    for entry in entries:
        resource = entry["resource"]
        resource["id"] = tag + resource["id"]
        full_url = entry.get("fullUrl")
        if isinstance(full_url, str) and not full_url.startswith("urn:"):
            full_url = f"{full_url.rsplit('/', 1)[0]}/{resource['id']}"
        sent.append({"resource": walk(resource, False), **({"fullUrl": full_url} if full_url else {})})
        stored.append(walk(resource, True))
    return sent, stored


def patient_id_of(entries: list[Resource]) -> str:
    return next(e["resource"]["id"] for e in entries if e["resource"]["resourceType"] == "Patient")


def drafts_for(fixture: Fixture, tag: str) -> list[Resource]:
    """The shipped drafts written for this fixture's patient, as this chart's."""
    patient = next(e["resource"]["id"] for e in fixture.bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    out = []
    for draft in DRAFTS:
        if draft.get("subject", {}).get("reference") == f"Patient/{patient}":
            out.append({**copy.deepcopy(draft), "subject": {"reference": f"Patient/{tag}{patient}"}})
    return out


def seen(cards: list[dict]) -> list[tuple[str, str, str, str]]:
    """What a clinician reads on each card: advice code, indicator, summary, detail."""
    return [(c["source"]["topic"]["code"], c["indicator"], c["summary"], c.get("detail", "")) for c in cards]


# -- the servers: one CDS service, one FHIR server holding every fixture ------------------------------------------------


@pytest.fixture(scope="module")
def charts() -> list[tuple[Fixture, str, list[Resource], list[Resource]]]:
    out = []
    for index, fixture in enumerate(ALL):
        tag = tag_of(index)
        sent, stored = tagged(fixture, tag)
        out.append((fixture, tag, sent, stored))
    return out


@pytest.fixture(scope="module")
def fhir(charts) -> Iterator[str]:
    resources = [r for *_, stored in charts for r in stored]
    with running_fhir_server(resources, bearer_token=TOKEN, in_one_transaction=True) as base:
        yield base


@pytest.fixture(scope="module")
def service() -> Iterator[tuple[str, SettableClock]]:
    clock = SettableClock()
    with serve_in_thread(create_app(tmp_settings(fetch=UNHURRIED), clock=clock, record_cards=False)) as base:
        yield base, clock


def call(base: str, hook: str, patient: str, prefetch: dict | None, fhir_server: str | None,
         drafts: list[Resource] | None = None, lang: str = "en") -> httpx.Response:
    request: dict[str, Any] = {"hook": hook, "hookInstance": str(uuid.uuid4()),
                               "context": {"userId": "Practitioner/x", "patientId": patient}}
    if prefetch is not None:
        request["prefetch"] = prefetch
    if fhir_server is not None:
        request["fhirServer"] = fhir_server
        request["fhirAuthorization"] = {"access_token": TOKEN, "token_type": "Bearer", "expires_in": 300,
                                        "scope": "patient/*.read", "subject": "igsub-cds"}
    if drafts is not None:
        request["context"]["draftOrders"] = {"resourceType": "Bundle", "type": "collection",
                                             "entry": [{"resource": d} for d in drafts]}
    service_id = PATIENT_VIEW_ID if hook == "patient-view" else ORDER_SIGN_ID
    return httpx.post(f"{base}/cds-services/{service_id}", json=request, timeout=30,
                      headers={"Accept-Language": lang})


def cards_of(response: httpx.Response) -> Any:
    if response.status_code != 200:
        return ("status", response.status_code, response.text[:400])
    return seen(response.json()["cards"])


def keys_with_data(prefetch: dict[str, Any]) -> list[str]:
    return [k for k, v in prefetch.items()
            if v is not None and (v.get("resourceType") != "Bundle" or v.get("entry"))]


# -- (a)-(f): every fixture, every entrance -----------------------------------------------------------------------------


def copied(entries: list[Resource]) -> bool:
    """Whether the chart sends one resource (type and id) more than once."""
    ids = [(e["resource"]["resourceType"], e["resource"].get("id")) for e in entries]
    return len(ids) != len(set(ids))


def written_after(entries: list[Resource], day: Any) -> bool:
    """Whether the chart holds an order or medication record written after `day`: called live on that day (the server's
    clock set to it) the record is a date error in the EHR and named on the card; replayed as of that day it did not
    exist yet and is not. The advice, indicator and summary are the same."""
    return any(str(e["resource"].get(f, ""))[:10] > day.isoformat() for e in entries for f in ("authoredOn", "dateAsserted")
               if e["resource"].get(f))


def own(entries: list[Resource], patient: str) -> list[Resource]:
    """The entries a FHIR server's search for the patient returns: those about another patient are not among them."""
    return [e for e in entries if patient_of(e["resource"]) in (patient, None)]


def test_every_fixture_gives_the_same_cards_through_every_entrance(charts, fhir, service) -> None:
    """(a)-(f) above. The one intended difference: a resource about another patient that the EHR sent in prefetch is
    named on the card's data notes ("not about this patient; ignored"); the FHIR server's search never returns one.
    So the fetched ways and the worklist (an export holds each patient's lines apart) are held to the prefetch of the
    patient's own resources, and that answer gives the same advice, indicator and summary as the prefetch with the
    other patient's resource."""
    base, clock = service
    differ: dict[str, dict[str, Any]] = {}
    compared = left_out = 0
    for index, (fixture, tag, sent, stored) in enumerate(charts):
        patient = patient_id_of(sent)
        day = fixture.at
        clock.set(day)
        later = written_after(sent, day)
        full = request_for(patient, sent)["prefetch"]
        mine = request_for(patient, own(sent, patient))["prefetch"]
        bundle = {"resourceType": "Bundle", "type": "collection", "entry": sent}
        reference = cards_of(call(base, "patient-view", patient, full, None))
        answers: dict[str, Any] = {"replay": seen(replay(RUNTIME, bundle, at=day).cards)}
        on_day = build_timeline(patient_data(bundle, RUNTIME), RUNTIME, start=day, end=day, today=day)
        answers["timeline"] = seen(on_day.changes[0].cards)
        # drawn over its whole range up to that day, the last change shows the same advice (its own day's counters)
        drawn = build_timeline(patient_data(bundle, RUNTIME), RUNTIME, end=day, today=day).changes[-1]
        answers["timeline range"] = [(c[0], c[1]) for c in seen(drawn.cards)]
        held = reference if mine == full else cards_of(call(base, "patient-view", patient, mine, None))
        if held != reference and [c[:3] for c in held] != [c[:3] for c in reference]:
            differ.setdefault(fixture.name, {})["own resources"] = held
        fetched: dict[str, Any] = {"fetched": cards_of(call(base, "patient-view", patient, None, fhir))}
        # Each key the chart has data for left out in turn: every key on the first four charts, one key (in rotation) on
        # the others, so each key is fetched alone on many charts and the file stays quick.
        keys = keys_with_data(full)
        for key in keys if index < 4 else keys[index % len(keys):][:1]:
            left_out += 1
            fetched[f"without {key}"] = cards_of(call(base, "patient-view", patient,
                                                      {k: v for k, v in mine.items() if k != key}, fhir))
        if copied(sent):
            # one resource sent twice with different statuses (an IVIG order active and stopped): a FHIR server holds
            # one current version of it, so a search cannot return what the EHR sent; the card names the copies only
            # where they are sent (prefetch, a Bundle, an export)
            fetched = {}
        rows = evaluate_patient_resources([r for r in stored if patient_of(r) in (patient, None)], day, RUNTIME)
        fetched["worklist"] = [(r.code, r.indicator, r.summary) for r in rows]
        for way, got in [*answers.items(), *fetched.items()]:
            compared += 1
            want = reference if way in answers else held
            want = [c[:3] for c in want] if way == "worklist" and isinstance(want, list) else want
            want = [c[:2] for c in want] if way == "timeline range" and isinstance(want, list) else want
            if later and way in ("replay", "timeline") and isinstance(want, list) and isinstance(got, list):
                got, want = [c[:3] for c in got], [c[:3] for c in want]
            if got != want:
                differ.setdefault(fixture.name, {})[way] = got
        if not isinstance(reference, list) or sorted(c[0] for c in reference) != sorted(fixture.expected):
            differ.setdefault(fixture.name, {})["expected"] = (fixture.expected, reference)
        for draft in drafts_for(fixture, tag):
            sign = {"prefetch": cards_of(call(base, "order-sign", patient, mine, None, [draft])),
                    "fetched": cards_of(call(base, "order-sign", patient, None, fhir, [draft])),
                    "without one key": cards_of(call(base, "order-sign", patient, {
                        k: v for k, v in mine.items() if k != keys[(index + 1) % len(keys)]}, fhir, [draft])),
                    "replay": seen(replay(RUNTIME, {**bundle, "entry": own(sent, patient)}, "en", "order-sign",
                                          [draft], at=day).cards)}
            for way, got in sign.items():
                compared += 1
                if got != sign["prefetch"]:
                    differ.setdefault(f"{fixture.name}+{draft['id']}", {})[way] = (got, sign["prefetch"])
    # every shipped fixture went through every entrance
    shipped = [p for p in FIXTURES.glob("*.json") if not p.name.endswith(".expect.json")]
    assert len(charts) == len(shipped) >= 95 and left_out > 90 and compared > 500
    assert differ == {}


# -- the ways a FHIR server answers a search, and the ways an EHR fills prefetch ----------------------------------------

SHAPE_CHARTS = {  # name: what a clinician reading §4 expects, whichever way the chart arrives
    "cart-in-window-igg-low": "CAR-T in the window, IgG < 4 g/L: Ig may be started, stop on the stop date",
    "cart-home-scig-medication-statement-general-stop-review":
        "home SCIG known only from a MedicationStatement: on Ig, general stop criteria (no start advice)",
    "pneumonia-unspecified-culture-reported-as-diagnostic-report-only":
        "a culture sent only as a DiagnosticReport is read: the infection it verifies counts",
    "teclistamab-ig-on-hold-in-window": "bsAb course, Ig on hold in the window: the card says so",
}


def chart(name: str) -> tuple[Fixture, str, list[Resource], list[Resource]]:
    """A shipped fixture as the EHR sends it (entries) and as its FHIR server stores it (resources)."""
    fixture = next(f for f in ALL if f.name == name)
    sent, stored = tagged(fixture, "s-")
    patient = patient_id_of(sent)
    return fixture, patient, own(sent, patient), [r for r in stored if patient_of(r) in (patient, None)]


def prefetched(base: str, name: str) -> Any:
    fixture, patient, sent, _ = chart(name)
    return cards_of(call(base, "patient-view", patient, request_for(patient, sent)["prefetch"], None))


@pytest.mark.parametrize("shape", [
    Shape(page_size=1), Shape(page_size=1, relative_next=True, total=False),
    Shape(full_url="relative", include_patient=True, outcome=True, meta=True),
    Shape(page_size=1, full_url=None, total=False, include_patient=True),
], ids=["pages-absolute-next", "pages-relative-next-no-total", "relative-fullurl-include-outcome-meta",
        "one-per-page-no-fullurl"])
def test_each_way_a_fhir_server_answers_a_search_gives_the_same_cards(service, shape) -> None:
    base, clock = service
    paged = 0
    for name, expect in SHAPE_CHARTS.items():
        fixture, patient, sent, stored = chart(name)
        clock.set(fixture.at)
        want = prefetched(base, name)
        assert isinstance(want, list) and sorted(c[0] for c in want) == sorted(fixture.expected), expect
        with running_shaped_fhir_server(stored, shape) as fhir:
            assert cards_of(call(base, "patient-view", patient, None, fhir.base)) == want, (name, expect)
            paged += any("_offset=" in r for r in fhir.requests)  # a later page was asked for
    assert paged >= (3 if shape.page_size < 1000 else 0)


def test_each_way_an_ehr_fills_prefetch_gives_the_same_cards(service) -> None:
    """The EHR's own searchsets, as FHIR servers return them: paged by 2 with only the first page sent (the service
    fetches the key itself), the Patient `_include`d in every search, relative fullUrls, `meta`, an informational
    outcome entry, `total` absent, a key the service did not ask for, and a key the EHR could not fetch
    (OperationOutcome: fetched by the service)."""
    base, clock = service
    name = "cart-in-window-igg-low"
    fixture, patient, sent, stored = chart(name)
    clock.set(fixture.at)
    want = prefetched(base, name)
    prefetch = request_for(patient, sent)["prefetch"]
    patient_resource = prefetch["patient"]
    shaped: dict[str, Any] = {"patient": {**patient_resource, "meta": {"versionId": "7"}}, "labs": {"x": 1}}
    for key, value in prefetch.items():
        if key == "patient":
            continue
        entries = [{**e, "fullUrl": f"{e['resource']['resourceType']}/{e['resource']['id']}"} for e in value["entry"]]
        entries += [{"fullUrl": f"Patient/{patient}", "resource": patient_resource, "search": {"mode": "include"}},
                    {"resource": {"resourceType": "OperationOutcome", "issue": [
                        {"severity": "information", "code": "informational"}]}, "search": {"mode": "outcome"}}]
        shaped[key] = {"resourceType": "Bundle", "type": "searchset", "entry": entries}
    assert cards_of(call(base, "patient-view", patient, shaped, None)) == want
    with running_shaped_fhir_server(stored, Shape(page_size=2)) as fhir:
        paged = copy.deepcopy(shaped)  # the EHR sent only the first page of the IgG results, and could not search conditions
        paged["observations"]["entry"] = paged["observations"]["entry"][:2]
        paged["observations"]["link"] = [{"relation": "next", "url": f"{fhir.base}/Observation?patient={patient}&_offset=2"}]
        paged["conditions"] = {"resourceType": "OperationOutcome",
                               "issue": [{"severity": "error", "code": "timeout", "diagnostics": "timed out"}]}
        assert cards_of(call(base, "patient-view", patient, paged, fhir.base)) == want
        # only the two keys are fetched, the IgG results from their first page on (in shares of the code list, each
        # short enough for a server's request head: `fetch.MAX_SEARCH_URL`)
        asked = [r for r in fhir.requests if "_offset" not in r]
        assert sorted({r.split("?")[0] for r in asked}) == ["Condition", "Observation"]
        assert sum(r.startswith("Condition") for r in asked) == 1


def test_a_null_prefetch_key_is_no_data_and_not_fetched_again(service) -> None:
    """CDS Hooks 2.0.1 §Prefetch: "If the CDS Client has no data to populate a template prefetch key, the prefetch
    template key MUST have a value of null"; a key the client could not fill is left out (or holds an
    OperationOutcome), and only that is fetched. So `observations: null` says the EHR holds no IgG: the IgG the FHIR
    server holds is not asked for, and the card asks for an IgG to be measured, as on a chart without one."""
    base, clock = service
    name = "cart-in-window-igg-low"
    fixture, patient, sent, stored = chart(name)
    clock.set(fixture.at)
    prefetch = request_for(patient, sent)["prefetch"]
    without_igg = request_for(patient, [e for e in sent if e["resource"]["resourceType"] != "Observation"])["prefetch"]
    want = cards_of(call(base, "patient-view", patient, without_igg, None))
    assert [c[0] for c in want] == ["measure-igg"]
    with running_shaped_fhir_server(stored) as fhir:
        got = cards_of(call(base, "patient-view", patient, {**prefetch, "observations": None}, fhir.base))
        assert got == want and fhir.requests == []


def test_a_null_patient_is_not_fetched_and_the_card_says_age_and_death_were_not_checked(service) -> None:
    """`patient: null` beside a fhirServer: no data (CDS Hooks), so the Patient is not read, and neither the age nor a
    death could be checked. A clinician reads that on the card ('No patient record: age and death not checked'), not
    only 'Birth date unknown', which said nothing of a death: a patient who died read 'Ig may be started'."""
    base, clock = service
    fixture, patient, sent, stored = chart("cart-in-window-igg-low")
    clock.set(fixture.at)
    prefetch = request_for(patient, sent)["prefetch"]
    with running_shaped_fhir_server(stored) as fhir:
        for lang, words in (("en", "*Note:* No patient record: age and death not checked; adult criteria applied."),
                            ("da", "*Bemærk:* Ingen patientregistrering: alder og dødsfald er ikke tjekket; "
                                   "voksenkriterier anvendt.")):
            [(code, _, _, detail)] = cards_of(call(base, "patient-view", patient, {**prefetch, "patient": None},
                                                   fhir.base, lang=lang))
            assert code == "start-substitution" and words in detail, detail
        assert fhir.requests == []
    [(_, _, _, detail)] = cards_of(call(base, "patient-view", patient, prefetch, None))  # the record sent: none of it
    assert "No patient record" not in detail and "Birth date unknown" not in detail


def test_a_chart_with_nothing_but_the_patient_gives_no_card_either_way(service) -> None:
    base, clock = service
    fixture, patient, sent, stored = chart("cart-in-window-igg-low")
    alone = [e for e in sent if e["resource"]["resourceType"] == "Patient"]
    assert cards_of(call(base, "patient-view", patient, request_for(patient, alone)["prefetch"], None)) == []
    with running_shaped_fhir_server([e["resource"] for e in alone]) as fhir:
        assert cards_of(call(base, "patient-view", patient, None, fhir.base)) == []
        # every key asked for (a long code list in shares of a search each: `fetch.MAX_SEARCH_URL`), nothing else
        templates = prefetch_templates(RUNTIME.terminology)
        assert {r.split("?")[0] for r in fhir.requests} == {t.split("?")[0].replace("{{context.patientId}}", patient)
                                                            for t in templates.values()}
        assert all(len(r) < MAX_SEARCH_URL for r in fhir.requests)


# -- a fetch that fails part-way ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hasty() -> Iterator[tuple[str, SettableClock]]:
    """The service with a short fetch deadline (1.5 s for all of a request's fetches), for a search that never
    answers."""
    clock = SettableClock()
    fetch = FetchSettings(development=True, connect_timeout=1.0, total_timeout=1.5)
    with serve_in_thread(create_app(tmp_settings(fetch=fetch), clock=clock, record_cards=False),
                         timeout_graceful_shutdown=1) as base:
        yield base, clock


@pytest.mark.parametrize(("failing", "hanging", "said"), [
    ({"Observation": 500}, frozenset(), ["observations: FHIR server answered 500"]),
    ({}, frozenset({"Condition"}), ["conditions: FHIR server did not answer within 1500 ms (CDS_FHIR_TOTAL_TIMEOUT)"]),
    ({"Procedure": 500}, frozenset({"MedicationRequest"}),
     ["procedures: FHIR server answered 500",
      "medicationRequests: FHIR server did not answer within 1500 ms (CDS_FHIR_TOTAL_TIMEOUT)"]),
], ids=["observations-500", "conditions-time-out", "one-500-one-time-out"])
def test_a_required_search_that_fails_is_a_412_naming_it_never_cards_without_its_data(hasty, failing, hanging, said):
    base, clock = hasty
    fixture, patient, sent, stored = chart("cart-in-window-igg-low")
    clock.set(fixture.at)
    with running_shaped_fhir_server(stored, Shape(failing=failing, hanging=hanging)) as fhir:
        response = call(base, "patient-view", patient, None, fhir.base)
    assert response.status_code == 412, response.text
    message = response.json()["issue"][0]["diagnostics"]
    assert all(words in message for words in said) and TOKEN not in message, message


@pytest.mark.parametrize(("name", "failing", "hanging"), [
    ("cart-home-scig-medication-statement-general-stop-review", {"MedicationStatement": 500}, frozenset()),
    ("pneumonia-unspecified-culture-reported-as-diagnostic-report-only", {}, frozenset({"DiagnosticReport"})),
    ("cart-in-window-igg-low", {"MedicationStatement": 500}, frozenset({"DiagnosticReport"})),
], ids=["statements-500", "reports-time-out", "one-500-one-time-out"])
def test_a_later_search_that_fails_is_named_on_the_card(hasty, name, failing, hanging) -> None:
    """medicationStatements and diagnosticReports (rule set 1.1.1) never cost the card: when their search fails the
    card says, in the clinician's language, that medication records and microbiology reports could not be had, so a
    home SCIG or a culture known only from them was not checked."""
    base, clock = hasty
    fixture, patient, sent, stored = chart(name)
    clock.set(fixture.at)
    with running_shaped_fhir_server(stored, Shape(failing=failing, hanging=hanging)) as fhir:
        for lang, words in (("en", "*Medication records and microbiology reports could not be had: Ig or a therapy "
                                   "given elsewhere, and cultures reported only as reports, were not checked"),
                            ("da", "*Medicinregistreringer og mikrobiologisvar kunne ikke hentes: Ig eller behandling "
                                   "givet andetsteds og dyrkninger, der kun findes som svarrapporter, er ikke tjekket")):
            response = call(base, "patient-view", patient, None, fhir.base, lang=lang)
            assert response.status_code == 200, response.text
            cards = response.json()["cards"]
            # named on the card, never one of the "+1 more" a clinician does not read (these charts hold no record
            # that may be an immunoglobulin, a therapy or an IgG, which would be named before it)
            assert cards and all(words in c["detail"] for c in cards), (lang, [c["detail"] for c in cards])


def test_an_order_card_leads_with_the_records_that_could_not_be_had(hasty) -> None:
    """order-sign of IVIG for the patient whose pneumonia is verified only by a culture report, the FHIR server failing
    the MedicationStatement and DiagnosticReport searches: the order is judged without the culture (not met: no
    verified infection), and the first thing its note line says is that the microbiology reports were not read.
    Before, "+1 more data note" hid it behind the note on the unverified pneumonia."""
    base, clock = hasty
    fixture, patient, sent, stored = chart("pneumonia-unspecified-culture-reported-as-diagnostic-report-only")
    clock.set(fixture.at)
    ivig = {"resourceType": "MedicationRequest", "id": "draft-ivig", "status": "draft", "intent": "order",
            "subject": {"reference": f"Patient/{patient}"}, "authoredOn": fixture.at.isoformat(),
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}],
                                          "text": "Privigen"}}
    want = cards_of(call(base, "order-sign", patient, request_for(patient, sent)["prefetch"], None, [ivig]))
    assert [c[0] for c in want] == ["order-meets-criteria"]
    with running_shaped_fhir_server(stored, Shape(failing={"MedicationStatement": 500, "DiagnosticReport": 500})) as fhir:
        [card] = call(base, "order-sign", patient, None, fhir.base, [ivig]).json()["cards"]
    assert card["source"]["topic"]["code"] == "order-does-not-meet-criteria"
    assert "\n\n*Medication records and microbiology reports could not be had: Ig or a therapy given elsewhere, and " \
           "cultures reported only as reports, were not checked; +1 more data note.*" in card["detail"], card["detail"]


@pytest.mark.parametrize("name", list(SHAPE_CHARTS))
def test_a_danish_card_is_the_same_fetched_as_prefetched_and_replayed(service, name) -> None:
    base, clock = service
    fixture, patient, sent, stored = chart(name)
    clock.set(fixture.at)
    want = cards_of(call(base, "patient-view", patient, request_for(patient, sent)["prefetch"], None, lang="da"))
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": sent}
    assert seen(replay(RUNTIME, bundle, "da", at=fixture.at).cards) == want
    with running_shaped_fhir_server(stored, Shape(page_size=2, full_url="relative", include_patient=True)) as fhir:
        assert cards_of(call(base, "patient-view", patient, None, fhir.base, lang="da")) == want


def read_of_two_copies(service, older: dict[str, str], later: dict[str, str]) -> None:
    """The IgG of 2026-01-13 sent twice, in either order: 3.2 g/L with `older` as its meta, amended to 5.1 g/L with
    `later`. A clinician expects the amended value: IgG 4 to < 6 g/L in the window, no special criterion, general SID
    criteria (§4.1), never 'Ig may be started' on the value the lab replaced."""
    base, clock = service
    fixture, patient, sent, _ = chart("cart-in-window-igg-low")
    clock.set(fixture.at)
    prefetch = request_for(patient, sent)["prefetch"]
    entries = prefetch["observations"]["entry"]
    [first] = [e for e in entries if e["resource"]["id"].endswith("obs-igg-0001-b")]
    first["resource"]["meta"] = older
    amended = copy.deepcopy(first)
    amended["resource"].update(status="amended", valueQuantity={**first["resource"]["valueQuantity"], "value": 5.1},
                               meta=later)
    entries.append(amended)
    for order in (entries, entries[::-1]):
        prefetch["observations"]["entry"] = order
        got = cards_of(call(base, "patient-view", patient, prefetch, None))
        assert isinstance(got, list), got
        [(code, indicator, summary, _)] = got
        assert (code, indicator) == ("general-criteria-igg-under-6", "info") and "IgG 5.1 g/L" in summary, summary


def test_of_two_copies_of_one_result_the_later_version_is_read(service) -> None:
    """An EHR pages its search by offset while the lab amends a result: the IgG of 2026-01-13 comes twice, version 9
    (3.2 g/L, last updated 10:00 Copenhagen time) and version 10 (amended to 5.1 g/L, last updated 09:30 UTC, half an
    hour later). Before, the copies were ordered by their text ("10:00+01:00" after "09:30Z", "9" after "10"), and
    the card said Ig may be started on 3.2 g/L."""
    read_of_two_copies(service, {"versionId": "9", "lastUpdated": "2026-01-13T10:00:00.000+01:00"},
                       {"versionId": "10", "lastUpdated": "2026-01-13T09:30:00Z"})


@pytest.mark.parametrize(("older", "later"), [
    ('W/"9"', 'W/"10"'),  # the ETag form of the version, sent as the versionId
    ("1.9", "1.10"),
    ("9" * 5000, "1" + "0" * 5000),  # past the digits Python turns into an int
], ids=["weak-etag", "dotted", "5000-digits"])
def test_of_two_copies_the_later_version_is_read_whatever_its_form(service, older: str, later: str) -> None:
    """The two copies carry no `lastUpdated`, only their versions, numbers within text or longer than Python reads as
    a number: the amended value is read, and a version of 5000 digits is no 500."""
    read_of_two_copies(service, {"versionId": older}, {"versionId": later})


def test_of_two_copies_whose_last_updated_python_cannot_read_the_later_is_read(service) -> None:
    """A server writing `lastUpdated` in lower case ('t', 'z'), which Python's reader refuses: the two copies are still
    ordered by that text, as before it was read as an instant (both 'never updated', the first copy sent was read)."""
    read_of_two_copies(service, {"lastUpdated": "2026-01-13t09:00:00z"}, {"lastUpdated": "2026-01-13t10:00:00z"})


@pytest.mark.parametrize(("older", "later"), [
    ({"versionId": "9", "lastUpdated": "2026-01-13T10:00:00+01:00"},
     {"versionId": "10", "lastUpdated": "2026-01-13t10:30:00z"}),
    ({"versionId": "9", "lastUpdated": "2026-01-13t09:00:00z"}, {"versionId": "10", "lastUpdated": "13-01-2026 10:30"}),
], ids=["later-unread", "both-unread-other-forms"])
def test_of_two_copies_one_of_whose_last_updated_cannot_be_read_the_versions_decide(service, older, later) -> None:
    """The amended copy's `lastUpdated` is written in a form Python cannot read ('t', 'z' in lower case; day first): its
    versionId, 10 beside 9, says it is the later. Before, a copy whose lastUpdated did read outranked it (or the texts
    were compared, '13-01-2026 10:30' before '2026-01-13t09:00:00z'), and the card said Ig may be started on the
    3.2 g/L the lab had amended to 5.1."""
    read_of_two_copies(service, older, later)
