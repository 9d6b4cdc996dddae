"""The shipped fixture bundles with their expectations (`NAME.expect.json` sidecars)."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fhir_fixtures"


@dataclass(frozen=True)
class Fixture:
    name: str
    bundle: dict
    at: date
    expected: list[str]
    summary_contains: dict
    detail_contains: dict
    evidence: dict = field(default_factory=dict)


def load_fixtures() -> list[Fixture]:
    out = []
    for sidecar in sorted(FIXTURES.glob("*.expect.json")):
        expect = json.loads(sidecar.read_text())
        bundle_path = sidecar.with_name(sidecar.name.replace(".expect.json", ".json"))
        out.append(Fixture(
            bundle_path.stem, json.loads(bundle_path.read_text()), date.fromisoformat(expect["at"]),
            expect["expected"], expect.get("summary_contains", {}), expect.get("detail_contains", {}),
            expect.get("evidence", {}),
        ))
    return out


def with_entries(bundle: dict, *resources: dict) -> dict:
    """A copy of `bundle` with these resources added as entries (the shipped bundle is left as read)."""
    added = copy.deepcopy(bundle)
    added["entry"] += [{"resource": r} for r in resources]
    return added


def condition(cid: str, onset: str, code: str, display: str, status: str | None,
              system: str = "urn:oid:1.2.208.176.2.4.12", patient: str = "Patient/pt-dk-0007") -> dict:
    """A Condition coded `code` (SKS unless `system` says otherwise), named `display`, with this verificationStatus
    (None: none sent)."""
    resource: dict = {"resourceType": "Condition", "id": cid, "subject": {"reference": patient},
                      "code": {"coding": [{"system": system, "code": code, "display": display}], "text": display},
                      "onsetDateTime": onset}
    if status is not None:
        resource["verificationStatus"] = {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": status}]}
    return resource
