"""Who the rules apply to and from when, through all four entrances (guideline §4, §4.1; clinical rules §1, §2, §5, §7).

Every chart of `scope_charts` (children, deceased patients, the diagnosis requirement, the index date T0, patient
identity, "as of" replay) was written from the guideline and the clinical rules before it was run, with what a
clinician should read: the patient-view advice, text the summary must carry, and the advice on an IVIG draft order
signed that day. Each chart is replayed through patient-view (English and Danish), order-sign, the worklist (the
patient's row, and the NDJSON worklist's action rows) and the timeline (the advice in force on the day): the four
entrances must agree.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from cds_service.runtime import Runtime, load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay
from cds_service.tools.timeline import build_timeline, patient_data
from cds_service.tools.worklist import evaluate_patient_resources, run_worklist

from .scope_charts import ALL_CHARTS, Chart, ivig_draft

BY_NAME = {c.name: c for c in ALL_CHARTS}


def test_the_chart_set_is_large_and_named_once():
    assert len(ALL_CHARTS) >= 40 and len(BY_NAME) == len(ALL_CHARTS)


_CONFIGURED: dict[tuple[str, str], tuple[Settings, Runtime]] = {}
DEFAULT = (Settings(), load_runtime(Settings()))


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("site")


def configured(chart: Chart, where: Path) -> tuple[Settings, Runtime]:
    """The settings and runtime of a chart's site: a policy file and local value sets, written once per content."""
    if not chart.policy and not chart.local_valuesets:
        return DEFAULT
    key = (json.dumps(chart.policy, sort_keys=True), json.dumps(chart.local_valuesets, sort_keys=True))
    if key not in _CONFIGURED:
        here = where / f"site-{len(_CONFIGURED)}"
        here.mkdir()
        policy_file = valueset_dir = None
        if chart.policy:
            policy_file = str(here / "policy.json")
            Path(policy_file).write_text(key[0])
        if chart.local_valuesets:
            valueset_dir = str(here / "valuesets")
            Path(valueset_dir).mkdir()
            for name, content in chart.local_valuesets.items():
                (Path(valueset_dir) / name).write_text(json.dumps(content))
        settings = Settings(policy_file=policy_file, valueset_dir=valueset_dir)
        _CONFIGURED[key] = (settings, load_runtime(settings))
    return _CONFIGURED[key]


def codes(cards: list[dict[str, Any]]) -> tuple[str, ...]:
    return tuple(str(c["source"]["topic"]["code"]) for c in cards)


@pytest.mark.parametrize("chart", ALL_CHARTS, ids=[c.name for c in ALL_CHARTS])
def test_the_four_entrances_say_what_the_guideline_asks(chart: Chart, site_dir: Path) -> None:
    _, runtime = configured(chart, site_dir)
    at = date.fromisoformat(chart.at)
    bundle = chart.bundle()

    view = replay(runtime, bundle, at=at)
    assert codes(view.cards) == chart.expected, chart.why
    for text in chart.says:
        assert any(text in str(c["summary"]) for c in view.cards), (text, [c["summary"] for c in view.cards])
    danish = replay(runtime, bundle, at=at, lang="da")
    assert codes(danish.cards) == chart.expected

    order = replay(runtime, bundle, hook="order-sign", drafts=[ivig_draft(chart.at)], at=at)
    assert codes(order.cards) == chart.order, chart.why

    rows = evaluate_patient_resources([e["resource"] for e in bundle["entry"]], at, runtime)
    if not chart.full_urls:  # an NDJSON export has no fullUrl: `urn:uuid` references are a Bundle's alone
        assert tuple(r.code for r in rows) == chart.expected

    timeline = build_timeline(patient_data(bundle, runtime), runtime, today=at)
    in_force = [s for s in timeline.changes if s.day <= at]
    assert (codes(in_force[-1].cards) if in_force else ()) == chart.expected


@pytest.mark.parametrize("chart", [c for c in ALL_CHARTS if not c.full_urls], ids=lambda c: c.name)
def test_the_ndjson_worklist_lists_the_patient_only_for_an_action(chart: Chart, site_dir: Path,
                                                                  tmp_path: Path) -> None:
    """The population worklist reads a Bulk Data export (one file per resource type) and lists the actions due."""
    settings, runtime = configured(chart, site_dir)
    at = date.fromisoformat(chart.at)
    export = tmp_path / "export"
    export.mkdir()
    files: dict[str, list[str]] = {}
    for entry in chart.bundle()["entry"]:
        files.setdefault(entry["resource"]["resourceType"], []).append(json.dumps(entry["resource"]))
    for kind, lines in files.items():
        (export / f"{kind}.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    listed = run_worklist(export, at, settings, jobs=1)
    due = [r.code for r in evaluate_patient_resources([e["resource"] for e in chart.bundle()["entry"]], at, runtime)
           if r.action]
    assert [r.code for r in listed.rows] == due
    assert set(due) <= set(chart.expected)


@pytest.mark.parametrize(("lang", "says"), [("en", "not directed at a B-cell or plasma-cell antigen"),
                                            ("da", "ikke rettet mod et B-celle- eller plasmacelleantigen")])
def test_a_car_t_product_with_another_target_is_named_on_the_card_of_the_window_that_counts(
        lang: str, says: str, site_dir: Path) -> None:
    """Clinical rules §1 and §7: the CD7-directed CAR-T opens no window, and what was seen but not counted is named."""
    chart = BY_NAME["target-cd7-after-glofitamab"]
    _, runtime = configured(chart, site_dir)
    [card] = replay(runtime, chart.bundle(), at=date.fromisoformat(chart.at), lang=lang).cards
    assert says in str(card["detail"]) and "anti-CD7 CAR-T" in str(card["detail"])
    assert "2025-10-01" in str(card["summary"])  # T0: the glofitamab start, not the CD7 infusion


@pytest.mark.parametrize(("target", "expected"), [("CD7", ()), ("CD19", ("plan-igg-monitoring",))])
def test_a_draft_car_t_order_gets_a_card_only_when_the_product_is_in_scope(target: str, expected: tuple[str, ...],
                                                                           site_dir: Path) -> None:
    """§4: an order for a CD7-directed CAR-T opens no high-risk window, so no card asks for a baseline IgG before it
    (it said 'CAR-T ordered: the high-risk window starts at the infusion; measure IgG before it')."""
    from .scope_charts import CD7_PRODUCT, ME, bundle, dlbcl, igg

    local = {"car-t-product.json": {**CD7_PRODUCT["car-t-product.json"], "include": [
        {**CD7_PRODUCT["car-t-product.json"]["include"][0], "target": target}]}}
    chart = Chart(f"draft-{target}", "2026-01-20", (), (), (), local_valuesets=local)
    _, runtime = configured(chart, site_dir)
    draft = {"resourceType": "MedicationRequest", "id": "draft-cart", "status": "draft", "intent": "order",
             "subject": ME, "authoredOn": "2026-01-20",
             "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01XL99",
                                                       "display": "anti-CD7 CAR-T"}]}}
    chart_bundle = bundle(dlbcl(), igg("igg-1", "2026-01-13", 8.2))
    for hook in ("order-select", "order-sign"):
        answer = replay(runtime, chart_bundle, hook=hook, drafts=[draft], at=date(2026, 1, 20))
        assert codes(answer.cards) == expected, hook


@pytest.mark.parametrize(("target", "expected"), [("CD33", ()), ("CD20", ("plan-igg-monitoring",))])
def test_a_draft_bispecific_order_gets_a_card_only_when_it_is_in_scope(target: str, expected: tuple[str, ...],
                                                                       site_dir: Path) -> None:
    """§4: bsAb directed at B-cell or plasma-cell antigens; a CD33-directed one opens no window."""
    from .scope_charts import ME, bundle, dlbcl, igg, local_bsab

    chart = Chart(f"draft-bsab-{target}", "2026-01-20", (), (), (), local_valuesets=local_bsab(target))
    _, runtime = configured(chart, site_dir)
    draft = {"resourceType": "MedicationRequest", "id": "draft-bs", "status": "draft", "intent": "order",
             "subject": ME, "authoredOn": "2026-01-20",
             "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01FX99",
                                                       "display": "local bispecific"}]}}
    answer = replay(runtime, bundle(dlbcl(), igg("igg-1", "2026-01-13", 8.2)), hook="order-sign", drafts=[draft],
                    at=date(2026, 1, 20))
    assert codes(answer.cards) == expected


def test_a_bispecific_with_another_target_is_named_on_the_card_of_the_window_that_counts(site_dir: Path) -> None:
    from .scope_charts import GLOF, LOCAL_BSAB_GIVEN, dlbcl, drug_admin, igg, local_bsab

    chart = Chart("bsab-cd33-after-glofitamab", "2026-01-20",
                  (dlbcl(), drug_admin("ma-glof-1", *GLOF, "2025-10-01"), LOCAL_BSAB_GIVEN,
                   igg("igg-1", "2026-01-13", 3.2)), (), (), local_valuesets=local_bsab("CD33"))
    _, runtime = configured(chart, site_dir)
    # named by the site's value set ("drug": the service's configured name, not the record's words): not quoted
    for lang, says in (("en", "bispecific antibody local bispecific is not directed at a B-cell"),
                       ("da", "bispecifikke antistof local bispecific er ikke rettet mod et B-celle")):
        [card] = replay(runtime, chart.bundle(), at=date(2026, 1, 20), lang=lang).cards
        assert "2025-10-01" in str(card["summary"]) and says in str(card["detail"]), card["detail"]
