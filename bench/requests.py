"""The three patient-view request bodies the benchmark sends, built from the fixtures.

Built with `cds_service.tools.replay.request_from_bundle`, i.e. exactly as the replay tool and
an EHR would shape them, so the benchmark exercises the real prefetch path. The fixtures
hold 3-8 resources; a real chart holds more, so each is padded with plausible extra
resources (IgG history, unrelated diagnoses) that do not change the advice. `check()`
proves that on every run: a padded request whose cards changed would measure the wrong
thing.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import orjson

from cds_service.tools.replay import load_bundle, request_from_bundle

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fhir_fixtures"

# One evaluation date for the whole run: the in-scope fixture is in its CAR-T window on it
# (T0 2025-11-18), and the out-of-scope fixture is out of scope on any date.
EVALUATION_DATE = "2026-01-20"
SERVICE_PATH = "/cds-services/igsub-patient-view"
FHIR_BASE = "https://fhir.sp.regionh.example.dk/api/FHIR/R4"

# ICD-10 / SKS codes of common diagnoses that are neither haematological malignancy nor
# bacterial infection: they reach the service because Conditions are prefetched unfiltered.
UNRELATED_CONDITIONS = [
    ("DI109", "Essentiel hypertension"),
    ("DE119", "Type 2-diabetes uden komplikationer"),
    ("DJ449", "Kronisk obstruktiv lungesygdom"),
    ("DE039", "Hypothyreose"),
    ("DM179", "Knæartrose"),
    ("DK219", "Gastro-øsofageal refluks"),
    ("DF329", "Depressiv enkeltepisode"),
    ("DN183", "Kronisk nyresygdom stadium 3"),
]


# Common laboratory results outside the IgG/M-protein value sets (NPU codes): the
# Observation prefetch asks for IgG codes only, but an EHR may not apply the filter.
UNRELATED_RESULTS = [
    ("NPU02319", "B—Hæmoglobin; stofk. = ? mmol/L", 8.1, "mmol/L"),
    ("NPU19748", "P—C-reaktivt protein; massek. = ? mg/L", 4.0, "mg/L"),
    ("NPU18016", "P—Kreatinin; stofk. = ? µmol/L", 88.0, "umol/L"),
    ("NPU02593", "B—Leukocytter; antalk. = ? × 10⁹/L", 6.2, "10*9/L"),
]


@dataclass(frozen=True)
class Scenario:
    """One request kind: its name, its body and the card codes the service must return."""

    name: str
    title: str
    body: bytes
    resources: int
    expected_cards: tuple[str, ...]


def _entry(resource: dict) -> dict:
    return {"resource": resource}


def _meta(i: int) -> dict:
    """What an EHR's FHIR server puts on every resource; part of a realistic body size."""
    return {"versionId": str(1 + i % 3), "lastUpdated": f"2025-12-{1 + i % 28:02d}T10:{i % 60:02d}:00+01:00",
            "source": "urn:oid:1.2.208.176.1.1#bench"}


def _conditions(patient_id: str, n: int) -> list[dict]:
    """`n` confirmed, unrelated diagnoses (cheap for the service: no value set matches)."""
    out = []
    for i in range(n):
        code, display = UNRELATED_CONDITIONS[i % len(UNRELATED_CONDITIONS)]
        out.append({
            "resourceType": "Condition",
            "id": f"bench-cond-{i:03d}",
            "meta": _meta(i),
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": "confirmed"}]},
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item"}]}],
            "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4.12", "code": code, "display": display}], "text": display},
            "subject": {"reference": f"Patient/{patient_id}"},
            "onsetDateTime": f"20{10 + i % 14:02d}-0{1 + i % 9}-15",
            "recordedDate": f"20{10 + i % 14:02d}-0{1 + i % 9}-15",
        })
    return out


def _igg_history(template: dict, n: int, last: date, step_days: int) -> list[dict]:
    """`n` earlier IgG results copied from a fixture result, dated `last`, `last - step`, ...

    All are dated before the fixture's latest IgG, so "Latest IgG" and the advice stay the same.
    """
    out = []
    for i in range(n):
        obs = copy.deepcopy(template)
        day = last - timedelta(days=i * step_days)
        obs["id"] = f"bench-igg-{i:03d}"
        obs["meta"] = _meta(i)
        obs["performer"] = [{"display": "Klinisk Biokemisk Afdeling"}]
        obs["specimen"] = {"reference": f"Specimen/bench-spec-{i:03d}"}
        obs["effectiveDateTime"] = f"{day.isoformat()}T08:12:00+01:00"
        obs["issued"] = f"{day.isoformat()}T14:37:00+01:00"
        obs["valueQuantity"]["value"] = round(4.0 + (i * 37 % 40) / 10, 1)
        out.append(obs)
    return out


def _other_results(template: dict, n: int) -> list[dict]:
    """`n` unrelated laboratory results, shaped like the fixture's IgG result."""
    out = []
    for i in range(n):
        code, display, value, unit = UNRELATED_RESULTS[i % len(UNRELATED_RESULTS)]
        obs = copy.deepcopy(template)
        obs.update(id=f"bench-lab-{i:03d}", meta=_meta(i), performer=[{"display": "Klinisk Biokemisk Afdeling"}])
        obs["code"] = {"coding": [{"system": "http://npu-terminology.org", "code": code, "display": display}], "text": display}
        obs["valueQuantity"] = {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit}
        obs.pop("referenceRange", None)
        out.append(obs)
    return out


def _as_searchsets(request: dict, patient_id: str) -> None:
    """Give the prefetch Bundles what a FHIR server's searchset carries (id, self link, fullUrl)."""
    for key, value in request["prefetch"].items():
        if value.get("resourceType") != "Bundle":
            continue
        kind = value["entry"][0]["resource"]["resourceType"] if value["entry"] else key
        value["id"] = f"bench-{key}"
        value["meta"] = {"lastUpdated": "2026-01-20T07:00:00+01:00"}
        value["link"] = [{"relation": "self", "url": f"{FHIR_BASE}/{kind}?patient={patient_id}&_count=1000"}]
        for entry in value["entry"]:
            r = entry["resource"]
            entry["fullUrl"] = f"{FHIR_BASE}/{r['resourceType']}/{r['id']}"


def _scenario(name: str, title: str, bundle: dict, extra: list[dict], expected: tuple[str, ...]) -> Scenario:
    bundle = copy.deepcopy(bundle)
    bundle["entry"] = list(bundle["entry"]) + [_entry(r) for r in extra]
    request = request_from_bundle(bundle)
    _as_searchsets(request, request["context"]["patientId"])
    request["hookInstance"] = f"bench-{name}"  # stable bodies: same bytes every run
    return Scenario(name, title, orjson.dumps(request), len(bundle["entry"]), expected)


def build() -> list[Scenario]:
    """(a) out of scope, ~20 resources; (b) in scope, ~20 resources; (c) in scope, 200 IgG."""
    out_bundle = load_bundle(FIXTURES / "rituximab-only-no-index-event.json")
    in_bundle = load_bundle(FIXTURES / "cart-in-window-igg-low.json")
    out_pid = next(e["resource"]["id"] for e in out_bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    in_pid = next(e["resource"]["id"] for e in in_bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    igg_template = next(e["resource"] for e in in_bundle["entry"] if e["resource"]["id"] == "obs-igg-0001-a")
    out_obs = next(e["resource"] for e in out_bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    # Fixture's results: 2025-10-28 (before T0) and 2026-01-13 (latest, decides the advice).
    before_latest = date(2026, 1, 12)
    return [
        _scenario("out-of-scope", "(a) out of scope (rituximab only), 20 resources", out_bundle,
                  _other_results(out_obs, 8) + _conditions(out_pid, 8), ()),
        _scenario("in-scope-20", "(b) in scope (CAR-T in window), 20 resources", in_bundle,
                  _igg_history(igg_template, 9, before_latest, 21) + _conditions(in_pid, 5),
                  ("start-substitution",)),
        _scenario("in-scope-200-igg", "(c) in scope, 200 IgG results", in_bundle,
                  _igg_history(igg_template, 198, before_latest, 5) + _conditions(in_pid, 5),
                  ("start-substitution",)),
    ]


def card_codes(response: dict) -> tuple[str, ...]:
    """The advice codes of a CDS Hooks response, in card order."""
    return tuple(c.get("source", {}).get("topic", {}).get("code", "?") for c in response.get("cards", []))


if __name__ == "__main__":
    for s in build():
        print(f"{s.name:18} {s.resources:4d} resources {len(s.body) / 1024:7.1f} KB  expects {list(s.expected_cards)}")
