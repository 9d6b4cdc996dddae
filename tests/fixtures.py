"""The shipped fixture bundles with their expectations (`NAME.expect.json` sidecars)."""

from __future__ import annotations

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
