"""`cds-service replay --hook order-sign|order-select --draft ORDER.json` with a tester's hand-written draft.

Over HTTP an EHR sends every draft order with an id (selections and suggestions name it by it). A tester's draft
file often has none, or names its resources only by urn:uuid fullUrls (a transaction Bundle): replay refused it
("must hold a FHIR resource with an id"). Replay now gives such a draft an id of its own, the same on every run, and
says so on stderr; a reference to an entry's fullUrl reads as that entry. A file that holds no resource is refused
naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cds_service.tools import cli

from .fixtures import FIXTURES

CHART = str(FIXTURES / "cart-in-window-igg-low.json")
AT = "2026-01-20"
ORDER_URN = "urn:uuid:5a0c1d2e-3f40-4a5b-8c6d-000000000001"
MEDICATION_URN = "urn:uuid:5a0c1d2e-3f40-4a5b-8c6d-000000000002"


def draft() -> dict:
    return json.loads((FIXTURES / "drafts" / "ivig-pt-dk-0001.draft.json").read_text(encoding="utf-8"))


def run(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: object, hook: str = "order-sign",
        name: str = "my-order.json") -> tuple[int, str, str]:
    path = tmp_path / name
    path.write_text(json.dumps(content), encoding="utf-8")
    code = cli.main(["replay", CHART, "--hook", hook, "--draft", str(path), "--at", AT])
    out, err = capsys.readouterr()
    return code, out, err


def topics(out: str) -> list[str]:
    return [line.split("] ", 1)[1] for line in out.splitlines() if line.startswith("[")]


@pytest.mark.parametrize("hook", ["order-sign", "order-select"])
def test_a_draft_with_no_id_is_judged_under_an_id_of_its_own(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             hook: str) -> None:
    order = draft()
    del order["id"]
    code, out, err = run(tmp_path, capsys, order, hook)
    assert code == 0, err
    assert topics(out) == ["order-meets-criteria"], out
    assert f"--draft {tmp_path / 'my-order.json'}: MedicationRequest (entry 1) has no id: replayed as " \
           "MedicationRequest/my-order-1" in err, err


def test_a_bundle_of_drafts_named_by_urns_reads_its_references(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A draft naming its drug by the urn of a Medication beside it, neither with an id: the drug is read."""
    order = draft()
    del order["id"]
    del order["medicationCodeableConcept"]
    order["medicationReference"] = {"reference": MEDICATION_URN}
    medication = {"resourceType": "Medication", "code": {"coding": [{"system": "http://www.whocc.no/atc",
                                                                     "code": "J06BA02"}], "text": "Privigen"}}
    bundle = {"resourceType": "Bundle", "type": "transaction",
              "entry": [{"fullUrl": ORDER_URN, "resource": order}, {"fullUrl": MEDICATION_URN, "resource": medication}]}
    code, out, err = run(tmp_path, capsys, bundle)
    assert code == 0, err
    assert topics(out) == ["order-meets-criteria"], out
    assert "replayed as MedicationRequest/5a0c1d2e-3f40-4a5b-8c6d-000000000001" in err, err
    assert "replayed as Medication/5a0c1d2e-3f40-4a5b-8c6d-000000000002" in err, err


def test_a_draft_with_an_id_says_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(tmp_path, capsys, draft())
    assert code == 0 and topics(out) == ["order-meets-criteria"] and "no id" not in err, (out, err)


@pytest.mark.parametrize("content, said", [
    ([draft()], "it is not a FHIR resource (no resourceType)"),
    ({"resourceType": "Bundle", "entry": [{"resource": draft()}, {"resource": "x"}]},
     "entry 2 is not a FHIR resource (no resourceType)"),
    ({"resourceType": "Bundle", "entry": []}, "a Bundle with no draft order in it"),
])
def test_a_draft_file_that_holds_no_resource_is_refused_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 content: object, said: str) -> None:
    code, out, err = run(tmp_path, capsys, content)
    assert code == 2, (out, err)
    assert f"--draft {tmp_path / 'my-order.json'}: {said}" in err, err
