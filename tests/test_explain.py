"""The "Why?" link and the explanation page: real uvicorn, real SQLite and PostgreSQL, real Chromium.

Every card of an issued answer links to `/explain/{uuid}?t=...`; the page shows the
stored snapshot. Tokens are checked (403), snapshots are kept for the retention period
and then deleted (404), and without a link secret an authenticated deployment refuses to
start. What a snapshot holds is tested in test_snapshots.py.
"""

from __future__ import annotations

import copy
import dataclasses

import html
import json
import re
import subprocess
import sys
import time
import uuid as uuids
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa

from cds_service.errors import ConfigError
from cds_service.http.app import create_app
from cds_service.http.discovery import ORDER_SIGN_ID, PATIENT_VIEW_ID
from cds_service.http.explain import LinkSigner
from cds_service.settings import Settings, load_settings
from cds_service.tools import cli
from cds_service.tools.replay import load_bundle, load_drafts, request_from_bundle

from . import browser
from .servers import ROOT, SettableClock, serve_in_thread
from .test_snapshots import snapshot_rows
from .test_timeline import chromium  # noqa: F401  (the one Chromium fixture)

BUNDLE = ROOT / "fhir_fixtures" / "cart-in-window-igg-low.json"  # as of 2026-01-20: start-substitution, IgG 3.2 g/L
AT = date(2026, 1, 20)
SECRET = "explanation-link-test-secret-0123456789"
CPR = "1704611457"  # the fixture patient's identifier: never stored, never shown


@contextmanager
def service(tmp_path: Path, clock: SettableClock | None = None, **overrides: Any) -> Iterator[tuple[str, Any]]:
    settings = replace(Settings(), evaluation_date=AT, data_dir=str(tmp_path / "data"), link_secret=SECRET,
                       **overrides)
    app = create_app(settings, clock=clock or SettableClock(AT))
    with serve_in_thread(app) as base:
        yield base, app


def issue(base: str, lang: str = "en", bundle: dict | None = None) -> dict:
    body = request_from_bundle(bundle or load_bundle(BUNDLE))
    response = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=body, headers={"accept-language": lang},
                          timeout=20)
    assert response.status_code == 200, response.text
    [card] = response.json()["cards"]
    return card


def link_of(card: dict) -> str:
    [link] = card["links"]
    assert link["type"] == "absolute"
    return link["url"]


def with_token(url: str, token: str | None) -> str:
    base = url.split("?", 1)[0]
    return base if token is None else f"{base}?t={token}"


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["t"][0]


def assert_refused(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["resourceType"] == "OperationOutcome"
    assert "3.2" not in response.text and "<html" not in response.text
    assert response.headers["cache-control"] == "no-store"  # a refusal names a card too: no cache keeps it


# -- the link and the page -------------------------------------------------------------------


def test_a_patient_view_card_links_to_a_page_with_its_basis(tmp_path):
    with service(tmp_path) as (base, app):
        card = issue(base)
        url = link_of(card)
        assert card["links"][0]["label"] == "Why this advice"
        assert url.startswith(f"{base}/explain/{card['uuid']}?t=")
        assert "pt-dk-0001" not in url and CPR not in url  # nothing in the URL names the patient
        page = httpx.get(url, timeout=60)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors *")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "no-referrer"
    text = page.text
    label = app.state.runtime.ruleset.label
    assert label in text and "3.2 g/L" in text and html.escape(card["summary"]) in text
    # Every fact with its date and source, the full reasoning with the library's comments,
    # the guideline paraphrase with the parameters, the timeline.
    assert "Observation/obs-igg-0001-b" in text and "2026-01-13" in text and "Procedure/proc-cart-0001" in text
    assert "Latest Usable IgG" in text and "The most recent relevant IgG a start decision can use" in text
    assert "immunoglobulin may be started at IgG below 4 g/L regardless of infections" in text
    # the timeline twice: drawn for a wide screen and for a side panel below 640 px (one is shown)
    assert text.count("<svg") == 2 and "<!-- start-substitution: Start criterion met in the high-risk window -->" in text
    # Self-contained: nothing to run, nothing to load; the CPR number is not kept.
    for needle in ("<script", "src=", "<link", "<iframe", "<form", "@import", CPR):
        assert needle not in text, needle
    # The SVG refers only to its own parts (glyphs, clip paths).
    assert re.findall(r'href="[^#]', text) == [] and re.findall(r"url\([^#]", text) == []


def test_a_danish_card_has_a_danish_link_and_page(tmp_path):
    with service(tmp_path) as (base, _):
        card = issue(base, "da")
        assert card["links"][0]["label"] == "Begrundelse"
        text = httpx.get(link_of(card), timeout=60).text
    assert '<html lang="da">' in text
    for danish in ("Begrundelse", "Beslutning", "Vejledning", "Fakta (5)", "IgG-svar", "Tidslinje", "Ræsonnement",
                   "Data ikke brugt", "Regelsæt", "IgG 3,2 g/L", "uanset infektioner", "<!-- jan -->", "Mål IgG"):
        assert danish in text, danish
    # (the rule library's definition names and comments are its own, in English, on both pages)
    for english in ("Decision", "Facts (", "Reasoning (", "Guideline<", "Timeline<", ">IgG result<", "<!-- Jan -->"):
        assert english not in text, english


@pytest.mark.parametrize("lang, words", [("en", "IgG reported as &lt;6.0 g/L (2026-01-10): cannot tell whether below 4 g/L"),
                                         ("da", "IgG svaret som &lt;6,0 g/L (2026-01-10): kan ikke afgøre, om den er under "
                                                "4 g/L")])
def test_the_page_names_a_bound_that_cannot_be_placed_with_its_threshold(tmp_path, lang, words):
    bundle = load_bundle(ROOT / "fhir_fixtures" / "igg-reported-below-6-not-placed-in-4-6-band.json")  # as of AT
    with service(tmp_path) as (base, _):
        card = issue(base, lang, bundle)
        text = httpx.get(link_of(card), timeout=60).text
    assert words in text


def test_the_page_renders_in_a_real_browser(tmp_path, chromium):  # noqa: F811
    with service(tmp_path) as (base, _):
        page = httpx.get(link_of(issue(base)), timeout=60)
    assert page.status_code == 200
    saved = tmp_path / "explanation.html"  # the page carries its policy as a meta tag too, so it applies here
    saved.write_text(page.text, encoding="utf-8")
    dom = browser.dump_dom(chromium, saved)
    assert "<svg" in dom and 'id="facts"' in dom and 'id="reasoning"' in dom
    assert "3.2 g/L" in dom and "Observation/obs-igg-0001-b" in dom
    png = browser.screenshot(chromium, saved, tmp_path / "explanation.png", size=(1280, 2400))
    width, height, bpp, rows = browser.decode_png(png.read_bytes())
    total, non_white, colours = browser.ink(rows, bpp)
    assert non_white / total > 0.08, "the page is (nearly) blank"
    assert len(colours) >= 8, "the card, the guideline box and the timeline are in colour"


# -- tokens ----------------------------------------------------------------------------------


def test_links_refuse_altered_foreign_missing_and_expired_tokens(tmp_path):
    clock = SettableClock(AT)
    with service(tmp_path, clock) as (base, _):
        first, second = issue(base), issue(base)
        url, other = link_of(first), link_of(second)
        token = token_of(url)
        expires, mac = token.split(".")
        altered_mac = mac[:-1] + ("A" if mac[-1] != "A" else "B")
        for bad in (f"{expires}.{altered_mac}", f"{int(expires) + 3600}.{mac}", token_of(other), "", "x" * 44,
                    token + "0", None):
            assert_refused(httpx.get(with_token(url, bad), timeout=10), 403)
        assert httpx.get(url, timeout=60).status_code == 200
        assert httpx.get(other, timeout=60).status_code == 200
        clock.set(AT + timedelta(days=1))  # the link was valid for an hour (CDS_LINK_TTL_SECONDS)
        response = httpx.get(url, timeout=10)
        assert_refused(response, 403)
        assert "expired" in response.json()["issue"][0]["diagnostics"]


def test_a_valid_link_to_an_unknown_card_is_404(tmp_path):
    clock = SettableClock(AT)
    with service(tmp_path, clock) as (base, _):
        issue(base)
        signer = LinkSigner(SECRET, 3600, lambda: clock().timestamp())
        unknown = signer.links(base)(str(uuids.uuid4()))
        assert_refused(httpx.get(unknown, timeout=10), 404)


def test_the_link_lives_as_long_as_its_ttl(tmp_path):
    clock = SettableClock(AT)
    with service(tmp_path, clock, link_ttl_seconds=3 * 86400) as (base, _):
        url = link_of(issue(base))
        clock.set(AT + timedelta(days=2))
        assert httpx.get(url, timeout=60).status_code == 200
        clock.set(AT + timedelta(days=3))
        assert_refused(httpx.get(url, timeout=10), 403)


def test_public_base_url_is_the_links_base(tmp_path):
    with service(tmp_path, public_base_url="https://cds.hospital.example/igsub") as (base, _):
        assert link_of(issue(base)).startswith("https://cds.hospital.example/igsub/explain/")


# -- retention -------------------------------------------------------------------------------


def test_retention_zero_stores_nothing_and_links_nothing(tmp_path):
    with service(tmp_path, explain_retention_days=0) as (base, app):
        card = issue(base)
        app.state.store.flush()
    assert "links" not in card
    assert snapshot_rows(tmp_path / "data") == 0


def test_snapshots_are_deleted_after_the_retention_period(tmp_path):
    clock = SettableClock(AT)
    with service(tmp_path, clock, link_ttl_seconds=30 * 86400) as (base, app):
        url = link_of(issue(base))
        assert httpx.get(url, timeout=60).status_code == 200
        assert snapshot_rows(tmp_path / "data") == 1
        clock.set(AT + timedelta(days=7))  # kept seven days (CDS_EXPLAIN_RETENTION_DAYS)
        assert_refused(httpx.get(url, timeout=10), 404)
        assert app.state.store.purge_expired() == 1
        assert snapshot_rows(tmp_path / "data") == 0
        assert_refused(httpx.get(url, timeout=10), 404)


# -- what is not linked ---------------------------------------------------------------------


def test_the_page_of_an_order_card_names_the_igg_lab_order_drafted_with_it(tmp_path):
    """No IgG order suggested beside the elranatamab order because one is drafted: the page shows that fact."""
    at = date(2026, 6, 1)
    settings = replace(Settings(), evaluation_date=at, data_dir=str(tmp_path / "data"), link_secret=SECRET)
    drafts = load_drafts([str(ROOT / "fhir_fixtures" / "drafts" / f"{name}.draft.json")
                          for name in ("elranatamab-pt-dk-0022", "igg-lab-pt-dk-0022")])
    body = request_from_bundle(load_bundle(ROOT / "fhir_fixtures" / "rituximab-only-no-index-event.json"), "order-sign",
                               drafts)
    with serve_in_thread(create_app(settings, clock=SettableClock(at))) as base:
        [card] = httpx.post(f"{base}/cds-services/{ORDER_SIGN_ID}", json=body, timeout=20).json()["cards"]
        page = httpx.get(link_of(card), timeout=60)
    assert page.status_code == 200, page.text
    assert "suggestions" not in card
    assert "IgG lab order drafted (this session)" in page.text and "ServiceRequest/draft-igg-0022" in page.text
    assert "IgG Order Drafted" in page.text


def test_the_page_of_a_therapy_known_only_by_name_names_it_in_danish(tmp_path):
    """Patient-view over HTTP for linvoseltamab under a local code: the card links to a Danish page whose facts
    list the therapy the rules saw but could not place in time."""
    at = date(2026, 1, 2)
    settings = replace(Settings(), evaluation_date=at, data_dir=str(tmp_path / "data"), link_secret=SECRET)
    body = request_from_bundle(load_bundle(ROOT / "fhir_fixtures" / "linvoseltamab-local-code-not-checked.json"),
                               "patient-view", [])
    with serve_in_thread(create_app(settings, clock=SettableClock(at))) as base:
        [card] = httpx.post(f"{base}/cds-services/{PATIENT_VIEW_ID}", json=body, timeout=20,
                            headers={"Accept-Language": "da"}).json()["cards"]
        page = httpx.get(link_of(card), timeout=60)
    assert page.status_code == 200, page.text
    assert card["source"]["topic"]["code"] == "therapy-not-recognised" and card["summary"].startswith("Ikke vurderet")
    assert "Behandling ikke genkendt på sin kode (hedder som en, koden under et andet system" in page.text
    assert "MedicationRequest/mr-linvoseltamab-0067" in page.text and "LOK-448112" in page.text
    assert "ligner: et bispecifikt antistof" in html.unescape(page.text) and "ligner: bsab" not in page.text


def test_replay_makes_no_links(capsys):
    assert cli.main(["replay", str(BUNDLE), "--at", "2026-01-20", "--json"]) == 0
    [card] = json.loads(capsys.readouterr().out)["cards"]
    assert "links" not in card


# -- configuration ---------------------------------------------------------------------------


def test_authentication_without_a_link_secret_refuses_to_start(tmp_path):
    env = {"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(ROOT / "config" / "sandbox-trusted-issuers.json")}
    with pytest.raises(ConfigError, match="CDS_LINK_SECRET"):
        create_app(dataclasses.replace(load_settings(env), data_dir=str(tmp_path)))  # the server needs it ...
    assert load_settings(env).link_secret is None  # ... the local tools, which make no links, do not
    with pytest.raises(ConfigError, match="at least 32"):
        load_settings({**env, "CDS_LINK_SECRET": "short"})
    assert load_settings({**env, "CDS_LINK_SECRET": SECRET}).link_secret == SECRET
    assert load_settings({**env, "CDS_EXPLAIN_RETENTION_DAYS": "0"}).link_secret is None  # no links, no key
    done = subprocess.run([sys.executable, "-m", "cds_service.tools.cli", "serve", "--port", "0"], cwd=ROOT,
                          env={"PATH": "/usr/bin:/bin", "CDS_DATA_DIR": str(tmp_path), **env},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "CDS_LINK_SECRET" in done.stderr


def test_development_without_a_link_secret_warns_once_started(tmp_path, caplog):
    from cds_service.http.explain import EPHEMERAL_KEY_WARNING

    app = create_app(dataclasses.replace(load_settings({}), data_dir=str(tmp_path)))
    assert EPHEMERAL_KEY_WARNING not in caplog.text  # a start refused later stays one line
    with caplog.at_level("WARNING", logger="cds_service"), serve_in_thread(app):
        pass
    assert EPHEMERAL_KEY_WARNING in caplog.text
    caplog.clear()
    with caplog.at_level("WARNING", logger="cds_service"), \
            serve_in_thread(create_app(dataclasses.replace(load_settings({"CDS_LINK_SECRET": SECRET}),
                                                           data_dir=str(tmp_path / "b")))):
        pass
    assert EPHEMERAL_KEY_WARNING not in caplog.text


def test_link_settings_are_checked():
    assert load_settings({}).link_ttl_seconds == 3600 and load_settings({}).explain_retention_days == 7
    assert load_settings({"CDS_LINK_TTL_SECONDS": "600"}).link_ttl_seconds == 600
    for name, value in (("CDS_LINK_TTL_SECONDS", "0"), ("CDS_LINK_TTL_SECONDS", "soon"),
                        ("CDS_EXPLAIN_RETENTION_DAYS", "-1"), ("CDS_EXPLAIN_RETENTION_DAYS", "a week")):
        with pytest.raises(ConfigError, match=name):
            load_settings({name: value})


def test_the_route_is_in_the_openapi_document(tmp_path):
    from .test_openapi import check

    with service(tmp_path) as (base, app):
        doc = app.openapi()
        operation = doc["paths"]["/explain/{card_uuid}"]["get"]
        assert sorted(operation["responses"]) == ["200", "403", "404", "413", "431"]
        assert "text/html" in operation["responses"]["200"]["content"]
        assert [p["name"] for p in operation["parameters"]] == ["card_uuid", "t"]
        url = link_of(issue(base))
        check(doc, "/explain/{card_uuid}", "get", httpx.get(with_token(url, None), timeout=10))
        signer = LinkSigner(SECRET, 3600, lambda: SettableClock(AT)().timestamp())
        check(doc, "/explain/{card_uuid}", "get", httpx.get(signer.links(base)("no-such-card"), timeout=10))


def test_a_link_issued_by_one_instance_opens_at_another_on_postgresql(tmp_path):
    """Instances of one deployment share the database and CDS_LINK_SECRET: any of them serves any card's page."""
    from .pg_server import PostgresUnavailable, running_postgres

    clock = SettableClock(AT)
    try:
        with running_postgres() as url:
            settings = replace(Settings(), evaluation_date=AT, link_secret=SECRET, database_url=url)
            with serve_in_thread(create_app(replace(settings, data_dir=str(tmp_path / "a")), clock=clock)) as a, \
                    serve_in_thread(create_app(replace(settings, data_dir=str(tmp_path / "b")), clock=clock)) as b:
                link = link_of(issue(a))
                deadline = time.monotonic() + 10  # A's writer commits within its flush interval
                while (page := httpx.get(link.replace(a, b), timeout=60)).status_code == 404 \
                        and time.monotonic() < deadline:
                    time.sleep(0.05)
                assert page.status_code == 200 and "3.2 g/L" in page.text
            engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
            try:
                with engine.connect() as connection:
                    stored = connection.execute(sa.text("SELECT payload FROM explanation")).scalar_one()
            finally:
                engine.dispose()
            assert '"evaluation_date":"2026-01-20"' in stored and CPR not in stored
    except PostgresUnavailable as exc:
        pytest.skip(f"no PostgreSQL: {exc}")


def test_the_request_log_names_the_endpoint_not_the_link(tmp_path, capfd):
    with service(tmp_path) as (base, _):
        url = link_of(issue(base))
        assert httpx.get(url, timeout=60).status_code == 200
        assert httpx.get(with_token(url, None), timeout=10).status_code == 403
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines()
             if line.startswith("{") and '"event":"request"' in line]
    explained = [line for line in lines if line["endpoint"] == "explain"]
    assert [line["status"] for line in explained] == [200, 403]
    logged = json.dumps(lines)
    assert token_of(url) not in logged and urlsplit(url).path.rsplit("/", 1)[1] not in logged


def test_the_page_timeline_hides_what_the_kill_switch_hides(tmp_path):
    disabled = tmp_path / "disabled.json"
    disabled.write_text('["measure-igg"]')
    with service(tmp_path) as (base, _):
        shown = httpx.get(link_of(issue(base)), timeout=60).text
    with service(tmp_path / "switched", disabled_advice_file=str(disabled)) as (base, _):
        hidden = httpx.get(link_of(issue(base)), timeout=60).text
    assert "<!-- measure-igg: Measure IgG -->" in shown
    assert "<!-- measure-igg: Measure IgG -->" not in hidden and "<!-- start-substitution: " in hidden


def _noted_bundle() -> dict:
    """The fixture with five things not used: three impossible IgG values, another patient's IgG, an unknown order."""
    bundle = load_bundle(BUNDLE)
    observation = next(e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    for i in range(3):
        bad = copy.deepcopy(observation)
        bad["resource"]["id"], bad["resource"]["valueQuantity"]["value"] = f"neg{i}", -1.0
        bundle["entry"].append(bad)
    other = copy.deepcopy(observation)
    other["resource"]["id"], other["resource"]["subject"] = "other", {"reference": "Patient/someone-else"}
    bundle["entry"].append(other)
    bundle["entry"].append({"resource": {
        "resourceType": "MedicationRequest", "id": "mr-x", "status": "completed", "intent": "order",  # ended
        "subject": observation["resource"]["subject"], "authoredOn": "2026-01-10",
        "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": {"start": "2026-01-10", "end": "2026-01-12"}}}}],
        "medicationCodeableConcept": {"text": "Privigen IVIG", "coding": [{"system": "urn:local", "code": "Z9"}]}}})
    return bundle


@pytest.mark.parametrize("lang", ["en", "da"])
def test_data_notes_name_items_and_point_to_the_page_only_when_there_is_one(tmp_path, lang):
    from .test_fixtures import RESOURCE_ID

    more_page = {"en": "more on the explanation page", "da": "mere på begrundelsessiden"}[lang]
    with service(tmp_path / "linked") as (base, _):
        linked = issue(base, lang, _noted_bundle())
        page = httpx.get(link_of(linked), timeout=60).text
    with service(tmp_path / "unlinked", explain_retention_days=0) as (base, _):
        unlinked = issue(base, lang, _noted_bundle())
    replayed = replayed_card(lang)
    # Shown first: what could change the decision (an order not recognised whose name is an Ig product, ended: were
    # it running, the start card would name it as Ig the patient may be on; then IgG not used); the other patient's result is the one counted.
    named = {"en": "*An order “Privigen IVIG” (2026-01-10) was not recognised",
             "da": "*En ordination “Privigen IVIG” (2026-01-10) blev ikke genkendt"}
    for card in (linked, unlinked, replayed):
        assert not RESOURCE_ID.search(card["detail"]), card["detail"]  # named by what they are, not by id
        assert named[lang] in card["detail"], card["detail"]
    assert more_page in linked["detail"]
    for card in (unlinked, replayed):  # no page: the count alone
        assert "links" not in card and more_page not in card["detail"], card["detail"]
        assert {"en": "+1 more data note.", "da": "+1 datanote mere."}[lang] in card["detail"], card["detail"]
    assert "MedicationRequest/mr-x" in page and "Observation/other" in page  # the page keeps the references


def replayed_card(lang: str) -> dict:
    """One card of `replay --json` (in process: no link) for the noted bundle."""
    import contextlib
    import io
    import tempfile

    with tempfile.TemporaryDirectory() as where:
        path = Path(where) / "noted.json"
        path.write_text(json.dumps(_noted_bundle()))
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert cli.main(["replay", str(path), "--at", "2026-01-20", "--json", "--lang", lang]) == 0
    [card] = json.loads(out.getvalue())["cards"]
    return card


def test_the_page_lists_the_data_notes_that_could_change_the_decision_first(tmp_path):
    """The bundle sends other patients' resources first; the page, like the card, names the IgG and
    infection notes before them."""
    ranked = load_bundle(ROOT / "fhir_fixtures" / "data-notes-that-could-change-the-decision-come-first.json")
    with service(tmp_path) as (base, _):
        page = httpx.get(link_of(issue(base, "en", ranked)), timeout=60).text
    table = page.split('<table id="notes">', 1)[1].split("</table>", 1)[0]
    rows = [html.unescape(row) for row in table.split("<tr>")[2:]]
    assert len(rows) == 10, rows
    assert "Privigen lokal kode" in rows[0] and "not plausible" in rows[2] and "not plausible" in rows[3], rows
    assert all("not about Patient/pt-dk-0065" in row for row in rows[-2:]), rows


def test_the_danish_page_names_the_reasoning_definitions_in_danish(tmp_path):
    """The Danish page's reasoning listed "Start Advice" and "Not on substitution: whether to start or measure": each
    definition is named and described in Danish (`catalogue.DEFINITIONS_DA`), its own name below only as its technical
    name (`<code class="key">`, as the trace and the docs call it)."""
    from cql_like_rules.catalogue import DEFINITIONS_DA
    from cql_like_rules.library import LIBRARY

    with service(tmp_path) as (base, _):
        danish = httpx.get(link_of(issue(base, "da")), timeout=60).text
        english = httpx.get(link_of(issue(base, "en")), timeout=60).text
    shown = re.sub(r'<code class="key">.*?</code>', "", danish)
    evaluated = [name for name, info in LIBRARY.definitions.items() if f"<b>{html.escape(name)}</b>" in english]
    assert len(evaluated) > 20  # the English page lists the library's own names, in bold
    for name in evaluated:
        if DEFINITIONS_DA[name][0] != name:  # "T0" is Danish too
            assert f">{html.escape(name)}<" not in shown, name
        assert html.escape(LIBRARY.definitions[name].comment) not in shown, name
    assert "<b>Råd om start</b>" in danish and "Ikke i substitution: om der skal startes eller måles" in danish
    assert '<code class="key">Start Advice</code>' in danish
