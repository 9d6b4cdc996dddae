"""What typing the fact builder (mypy strict) found: each a fault of a value a type did not allow."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from cds_service.fhir.facts import FactBuilder
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cql_like_rules.valuesets import load_terminology

TZ = ZoneInfo("Europe/Copenhagen")


def local_infection(tmp_path: Path, organism: str | None) -> FactBuilder:
    """A site's infection-other code (valuesets/README.md: `organism` is `unspecified` or `other`)."""
    local = tmp_path / "local"
    local.mkdir()
    (local / "code-systems.json").write_text(json.dumps({"aliases": {"LOCAL-DX": {"uris": ["urn:oid:1.2.208.999.7"]}}}))
    entry = {"system": "LOCAL-DX", "code": "INF42", "display": "Viral infection", "source": "local diagnosis list"}
    if organism is not None:
        entry["organism"] = organism
    (local / "infection-other.json").write_text(json.dumps({"id": "infection-other", "include": [entry]}))
    return FactBuilder(load_terminology(str(local)), TZ)


def condition() -> dict:
    return {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p"},
            "code": {"coding": [{"system": "urn:oid:1.2.208.999.7", "code": "INF42"}]},
            "verificationStatus": {"coding": [{"code": "confirmed"}]}, "onsetDateTime": "2026-01-10"}


@pytest.mark.parametrize("organism, read", [("viral", "other"), ("Unspecified", "other"), ("", "other"), (None, "other"),
                                            ("other", "other"), ("unspecified", "unspecified")])
def test_an_infection_other_organism_outside_the_readme_is_never_bacterial(tmp_path, organism, read):
    """`organism` reached Infection.organism as any string, and the rules count every infection whose organism is
    neither "other" nor "unspecified" as a verified bacterial one: a site's viral code with `organism: "viral"`
    counted towards the start criteria. Anything but the two words is now read as no organism is: "other"."""
    facts = local_infection(tmp_path, organism).build([condition()]).facts
    [infection] = facts.infections
    assert infection.organism == read
    if read == "other":  # never counted, with or without a culture
        assert load_runtime(Settings()).ruleset.context(facts, date(2026, 2, 1))["Bacterial Infections"] == ()
