"""replay's ways in and out: in process without auth, --print-request, --url with a signed token, --trace;
and compare-rulesets, the impact of a policy change before it goes live."""

from __future__ import annotations

import csv
import dataclasses
import json
import subprocess
import sys
from datetime import date

import pytest

from cds_service.http.app import create_app
from cds_service.settings import load_settings
from cds_service.tools import cli

from .fixtures import FIXTURES
from .servers import ROOT, serve_in_thread

SANDBOX_KEY = ROOT / "tests" / "data" / "cds-hooks-sandbox-ec-private-key.pem"  # tests/data/README.md
SANDBOX = {"CDS_AUTH": "on", "CDS_TRUSTED_ISSUERS_FILE": str(ROOT / "config" / "sandbox-trusted-issuers.json"),
           "CDS_LINK_SECRET": "replay-tools-test-secret-0123456789abcdef"}
LOW = str(FIXTURES / "cart-in-window-igg-low.json")


def test_replay_runs_in_process_even_when_the_environment_asks_for_auth(tmp_path, monkeypatch, capsys):
    """A local tool: CDS_AUTH=on configures the server, not replay."""
    for name, value in SANDBOX.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CDS_DATA_DIR", str(tmp_path))
    assert cli.main(["replay", LOW, "--at", "2026-01-20"]) == 0
    out = capsys.readouterr().out
    assert "[INFO] start-substitution" in out and "3.2 g/L" in out


def test_print_request_prints_the_cds_hooks_request(capsys):
    assert cli.main(["replay", LOW, "--print-request"]) == 0
    request = json.loads(capsys.readouterr().out)
    assert request["hook"] == "patient-view" and request["context"]["patientId"] == "pt-dk-0001"
    assert request["prefetch"]["patient"]["resourceType"] == "Patient"
    assert {"observations", "conditions", "procedures", "medicationRequests"} <= set(request["prefetch"])


def test_trace_shows_the_reasoning_and_notes_show_without_cards(capsys):
    assert cli.main(["replay", LOW, "--at", "2026-01-20", "--trace"]) == 0
    out = capsys.readouterr().out
    assert "How this was decided:" in out and "Latest Usable IgG = " in out and "Observation/obs-igg-0001-b" in out
    wrong = str(FIXTURES / "wrong-patient-observation-dropped.json")
    assert cli.main(["replay", wrong, "--at", "2020-01-01"]) == 0  # before any index event: no card
    out = capsys.readouterr().out
    assert out.startswith("No cards as of 2020-01-01.") and "Data notes (1)" in out and "obs-igg-0029-x" in out


@pytest.fixture(scope="module")
def secured_server(tmp_path_factory):
    settings = dataclasses.replace(load_settings(SANDBOX), evaluation_date=date(2026, 1, 20),
                                   data_dir=str(tmp_path_factory.mktemp("replay-url")))
    with serve_in_thread(create_app(settings)) as base:
        yield base


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cds_service", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_url_sends_to_a_running_service_and_signs_like_a_cds_client(secured_server):
    unsigned = _run("replay", LOW, "--url", secured_server)
    assert unsigned.returncode == 2 and "answered 401" in unsigned.stderr
    signed = _run("replay", LOW, "--url", secured_server, "--sign-key", str(SANDBOX_KEY),
                  "--iss", "https://sandbox.cds-hooks.org", "--kid", "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f", "--json")
    assert signed.returncode == 0, signed.stderr
    [card] = json.loads(signed.stdout)["cards"]
    assert card["source"]["topic"]["code"] == "start-substitution"
    half = _run("replay", LOW, "--sign-key", str(SANDBOX_KEY))
    assert half.returncode == 2 and "--sign-key needs --url and --iss" in half.stderr


def test_compare_rulesets_lists_the_patients_whose_advice_changes(tmp_path, capsys):
    policy = tmp_path / "three-months.json"
    policy.write_text(json.dumps({"window_months": 3}))
    out_csv = tmp_path / "diff.csv"
    assert cli.main(["compare-rulesets", str(FIXTURES), "--at", "2026-03-01", "--policy-b", str(policy),
                     "--csv", str(out_csv)]) == 0
    text = capsys.readouterr().out
    with out_csv.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows and list(rows[0]) == ["bundle", "patient", "advice_a", "advice_b"]
    by_bundle = {r["bundle"]: r for r in rows}
    assert len(by_bundle) == len(rows)  # one row per Bundle: several Bundles hold one patient
    # CAR-T 2025-11-18 with IgG 3.2: inside a 6-month window on 2026-03-01, after a 3-month one.
    assert by_bundle["cart-in-window-igg-low.json"] == {
        "bundle": "cart-in-window-igg-low.json", "patient": "pt-dk-0001", "advice_a": "start-substitution",
        "advice_b": "no-start-without-infections"}
    same_patient = [r["bundle"] for r in rows if r["patient"] == "pt-dk-0011"]
    assert len(same_patient) > 1 and all(b.startswith("cart-ig-active-stop-") for b in same_patient)
    assert all(r["advice_a"] != r["advice_b"] for r in rows)
    bundles = len(list(FIXTURES.glob("*.json"))) - len(list(FIXTURES.glob("*.expect.json")))
    patients = len({r["patient"] for r in rows})
    assert f"2026-03-01: {len(rows)} of {bundles} bundles ({patients} of " in text, text
    assert "cart-ig-active-stop-overdue.json" in text and "pt-dk-0011" in text
    assert cli.main(["compare-rulesets", str(FIXTURES), "--at", "2026-03-01"]) == 0
    assert "0 of" in capsys.readouterr().out  # a rule set against itself changes nothing


def test_compare_rulesets_refuses_unknown_rule_sets_and_inputs(tmp_path, capsys):
    assert cli.main(["compare-rulesets", str(FIXTURES), "--at", "2026-03-01", "--ruleset-b", "nope"]) == 2
    assert "unknown rule set 'nope'" in capsys.readouterr().err
    assert cli.main(["compare-rulesets", str(tmp_path), "--at", "2026-03-01"]) == 2
    assert "no bundles" in capsys.readouterr().err


def test_compare_rulesets_on_an_export_counts_patients(tmp_path, capsys):
    from .test_worklist import write_export

    export = write_export(["cart-in-window-igg-low", "cart-ig-active-stop-overdue"], tmp_path / "export")
    policy = tmp_path / "three-months.json"
    policy.write_text(json.dumps({"window_months": 3}))
    out_csv = tmp_path / "diff.csv"
    assert cli.main(["compare-rulesets", str(export), "--at", "2026-03-01", "--policy-b", str(policy),
                     "--csv", str(out_csv)]) == 0
    assert "2026-03-01: 2 of 2 patients get different advice" in capsys.readouterr().out
    with out_csv.open(newline="") as fh:
        rows = sorted(csv.DictReader(fh), key=lambda r: r["patient"])
    assert [(r["bundle"], r["patient"]) for r in rows] == [("", "pt-dk-0001"), ("", "pt-dk-0011")]


def test_replay_lists_the_data_notes_that_could_change_the_decision_first(capsys):
    """The card shows codes not recognised (one is the Ig order the patient may be on), then IgG and
    infection notes, before other patients' resources; replay's full list follows the same order (the
    bundle sends the other patients' results first)."""
    ranked = str(FIXTURES / "data-notes-that-could-change-the-decision-come-first.json")
    assert cli.main(["replay", ranked, "--at", "2026-01-20"]) == 0
    out = capsys.readouterr().out
    listed = [line for line in out.split("Data notes (10)", 1)[1].splitlines() if line.startswith("  - ")]
    assert len(listed) == 10, listed
    assert "Privigen lokal kode" in listed[0] and "Sepsis caused by Klebsiella" in listed[1], listed  # names an Ig order
    assert all("IgG" in line and "not plausible" in line for line in listed[2:4]), listed  # could change the decision
    assert all("not about Patient/pt-dk-0065" in line for line in listed[-2:]), listed  # could not


def test_replay_names_the_resource_types_the_request_cannot_carry(tmp_path, capsys):
    """A Specimen in a tester's bundle never reaches the service (no prefetch key asks for it): replay says so
    instead of dropping it in silence, and a resource whose resourceType is not a string is named, not a crash.
    An Encounter is sent now (prefetch `encounters`) and is not named."""
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text(encoding="utf-8"))
    bundle["entry"] += [
        {"fullUrl": "Encounter/adm-1", "resource": {"resourceType": "Encounter", "id": "adm-1", "status": "finished",
                                                    "class": {"code": "IMP"}, "subject": {"reference": "Patient/pt-dk-0001"}}},
        {"fullUrl": "Specimen/sp-1", "resource": {"resourceType": "Specimen", "id": "sp-1",
                                                  "subject": {"reference": "Patient/pt-dk-0001"}}},
        {"resource": {"resourceType": ["Observation"], "id": "odd"}},
    ]
    path = tmp_path / "with-encounter.json"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    assert cli.main(["replay", str(path), "--at", "2026-01-20"]) == 0
    out = capsys.readouterr().out
    assert "start-substitution" in out
    assert "Not sent to the service (no prefetch key asks for these types): (no resourceType) ×1, Specimen ×1" in out
    assert cli.main(["replay", str(path), "--at", "2026-01-20", "--lang", "da"]) == 0
    assert "Ikke sendt til tjenesten" in capsys.readouterr().out


def test_a_set_replay_names_what_each_bundle_could_not_send(tmp_path, capsys):
    bundle = json.loads((FIXTURES / "cart-in-window-igg-low.json").read_text(encoding="utf-8"))
    bundle["entry"].append({"resource": {"resourceType": "Specimen", "id": "bc-1", "status": "available"}})
    (tmp_path / "with-report.json").write_text(json.dumps(bundle), encoding="utf-8")
    (tmp_path / "plain.json").write_text((FIXTURES / "cart-in-window-igg-low.json").read_text(encoding="utf-8"))
    assert cli.main(["replay", str(tmp_path), "--at", "2026-01-20"]) == 0
    out = capsys.readouterr().out
    assert out.count("not sent (no prefetch key asks for these types): Specimen ×1") == 1
    assert cli.main(["replay", str(tmp_path), "--at", "2026-01-20", "--json"]) == 0
    results = {r["bundle"].rsplit("/", 1)[-1]: r["unsent"] for r in json.loads(capsys.readouterr().out)["results"]}
    assert results == {"plain.json": {}, "with-report.json": {"Specimen": 1}}


def _journey_chart_read_on(tmp_path, day: str):
    from .test_acceptance_journeys import BY_NAME

    path = tmp_path / "journey.json"
    path.write_text(json.dumps(BY_NAME["cart-special-stop-then-general-restart"].bundle(day)))
    return path


def test_known_on_replays_an_earlier_day_from_a_chart_read_later_as_the_timeline_does(tmp_path, capsys):
    """A chart exported on 2025-08-01 whose IVIG order is 'stopped' with its end 2025-07-15, replayed for 2025-05-20:
    replay read the status as known on 2025-05-20 (stopped early, on an unknown day up to then), so it showed no card,
    where the timeline over the same chart (and the clinician on that day) said 'plan the stop attempt on 2025-07-15'.
    `--known-on 2025-08-01` reads the chart as of its export; without it replay says what it said (the --at day)."""
    from datetime import timedelta

    from cds_service.tools.replay import load_bundle, replay
    from cds_service.tools.timeline import build_timeline, patient_data

    from .test_acceptance_journeys import RUNTIME

    path = _journey_chart_read_on(tmp_path, "2025-08-01")
    read, day = date(2025, 8, 1), date(2025, 5, 20)
    timeline = build_timeline(patient_data(load_bundle(str(path)), RUNTIME), RUNTIME, end=read, today=read)
    said = [s.codes for s in timeline.changes if s.day <= day][-1]
    assert said == ["stop-planned"]
    assert cli.main(["replay", str(path), "--at", "2025-05-20", "--known-on", "2025-08-01", "--json"]) == 0
    cards = json.loads(capsys.readouterr().out)["cards"]
    assert [c["source"]["topic"]["code"] for c in cards] == said and "2025-07-15" in cards[0]["summary"]
    assert cli.main(["replay", str(path), "--at", "2025-05-20", "--known-on", "2025-08-01"]) == 0
    assert "as of 2025-05-20 (the chart as read on 2025-08-01)" in capsys.readouterr().out
    # without it: the chart as read on the --at day, as before (never the real date)
    assert cli.main(["replay", str(path), "--at", "2025-05-20", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cards"] == []
    assert replay(RUNTIME, load_bundle(str(path)), at=day).cards == []
    # the same day given twice is the default; a day before --at projects the chart read then, as the timeline does
    assert cli.main(["replay", str(path), "--at", "2025-05-20", "--known-on", "2025-05-20", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cards"] == []
    later = read + timedelta(days=30)
    projected = replay(RUNTIME, load_bundle(str(path)), at=later, known_on=read)
    assert [c["source"]["topic"]["code"] for c in projected.cards] == \
        [s.codes for s in build_timeline(patient_data(load_bundle(str(path)), RUNTIME), RUNTIME, end=later,
                                         today=read).changes if s.day <= later][-1]


@pytest.mark.parametrize("args, says", [
    (["--at", "2025-05-20", "--known-on", "2025-08-32"], "--known-on '2025-08-32' is not a date (YYYY-MM-DD)"),
    (["--at", "2025-05-20", "--known-on", "yesterday"], "--known-on 'yesterday' is not a date (YYYY-MM-DD)"),
    (["--known-on", "2025-08-01", "--url", "http://127.0.0.1:9"], "--known-on cannot be sent with --url"),
    (["--known-on", "2025-08-01", "--expect"], "--known-on replays one bundle file"),
])
def test_known_on_refuses_what_it_cannot_mean_in_one_line(tmp_path, capsys, args, says):
    path = _journey_chart_read_on(tmp_path, "2025-08-01")
    assert cli.main(["replay", str(path), *args]) == 2
    err = capsys.readouterr().err
    assert says in err and "Traceback" not in err and len(err.splitlines()) == 1
