"""What the docs show an integrator, held against the code (the commands themselves are run by
tests/test_docs_commands.py, the configuration table by tests/test_docs_configuration.py):

- every `--flag` the docs show after `cds-service COMMAND`, in a code block or an inline span,
  synopses included, is an option of that command's parser;
- every environment variable the docs name is one `cds_service/settings.py` reads, and every
  default the docs give (in any table) is the default the service runs with;
- every JSON example parses, and those that show what the service reads or writes (the card's
  link, the error shape, the feedback body, the trusted-issuers file, a sidecar) have the shape
  the code reads or writes.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

import pytest

import cds_service.settings as settings_module
from cds_service.errors import error_body
from cds_service.http.feedback import parse_feedback
from cds_service.settings import load_issuers_file, load_settings
from cds_service.tools import cli

from .servers import ROOT

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("**/*.md")),
             ROOT / "cql_like_rules" / "valuesets" / "README.md"]
TEXT = {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8") for path in DOCUMENTS}
# Variables the docs name that are not the service's settings: the fuzzing run's size (`make fuzz`).
NOT_SETTINGS = {"CDS_FUZZ_CASES"}
COMMAND = re.compile(r"cds-service\s+([a-z][a-z-]*)((?:\s+[a-z][a-z-]*)?)([^`\n]*)")


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:  # noqa: SLF001 - argparse has no public accessor
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return dict(action.choices)
    return {}


def _options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}  # noqa: SLF001


def documented_options() -> list[tuple[str, str, str]]:
    """(document, command, --flag) for every flag shown after `cds-service COMMAND [SUBCOMMAND]`."""
    found = []
    for name, text in TEXT.items():
        text = re.sub(r"(?<!`)`[^`]+`(?!`)", lambda m: m.group(0).replace("\n", " "), text)  # inline spans, whole
        for line in text.replace("\\\n", " ").splitlines():
            for match in COMMAND.finditer(line):
                command, sub, rest = match.group(1), match.group(2).strip(), match.group(3)
                if command == "valuesets" and sub:
                    command = f"valuesets {sub}"
                else:
                    rest = match.group(2) + rest
                for flag in re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", rest):
                    found.append((name, command, flag))
    return found


def test_every_flag_the_docs_show_is_an_option_of_its_command() -> None:
    parsers = _subparsers(cli.build_parser())
    parsers.update({f"valuesets {k}": v for k, v in _subparsers(parsers["valuesets"]).items()})
    shown = documented_options()
    assert len(shown) > 40, "the docs' commands were not found"
    wrong = sorted({f"{doc}: cds-service {command} {flag}" for doc, command, flag in shown
                    if command in parsers and flag not in _options(parsers[command]) | {"--help"}})
    assert not wrong, "options the docs show that the command does not have:\n" + "\n".join(wrong)
    unknown = sorted({f"{doc}: cds-service {command}" for doc, command, _ in shown if command not in parsers})
    assert not unknown, "commands the docs show that do not exist:\n" + "\n".join(unknown)


def test_the_replay_synopsis_names_every_replay_option() -> None:
    """docs/tools.md's synopsis is where a tester looks up replay's options (signing included)."""
    synopsis = TEXT["docs/tools.md"].split("cds-service replay BUNDLE.json [", 1)[1].split("```", 1)[0]
    replay = _subparsers(cli.build_parser())["replay"]
    missing = sorted(o for o in _options(replay) if o.startswith("--") and o not in synopsis
                     and o not in ("--help", "--expect"))  # --expect: the bundle-set synopsis
    assert not missing


def settings_rows() -> dict[str, str]:
    rows = {}
    for line in (settings_module.__doc__ or "").splitlines():
        found = re.match(r"\| `([A-Z_]+)` \| (.*?) \|", line)
        if found:
            rows[found.group(1)] = found.group(2)
    return rows


def test_every_variable_the_docs_name_is_a_setting() -> None:
    known = set(settings_rows())
    named = {(doc, v) for doc, text in TEXT.items()
             for v in re.findall(r"\b(?:CDS_[A-Z0-9_]*[A-Z0-9]|DATABASE_URL)\b", text)}
    # CDS_AUTH_* and CDS_JWKS_* are families the docs name as a group.
    unknown = sorted(f"{doc}: {v}" for doc, v in named if v not in known | NOT_SETTINGS
                     and not v.endswith("_") and v not in ("CDS_AUTH_", "CDS_JWKS_"))
    assert not unknown, "variables the docs name that settings.py does not read:\n" + "\n".join(unknown)


def _documented_value(default: str) -> str | None:
    """The value a table's default column gives (`5242880`, `10` s, `Europe/Copenhagen`), or None
    for a default that is not a value (none, random, the request's)."""
    found = re.match(r"`([^`]+)`", default.strip()) or re.match(r"([\d.]+)\s*(?:s\b|\(|$)", default.strip())
    return found.group(1) if found else None


def documented_defaults() -> list[tuple[str, str, str]]:
    """(document, variable, value) from every Markdown table row `| \\`VAR\\` | ... default ... |`."""
    found = []
    for doc, text in TEXT.items():
        header: list[str] = []
        for line in text.splitlines():
            if not line.startswith("|"):
                header = []
                continue
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not header:
                header = [c.lower() for c in cells]
                continue
            name = re.fullmatch(r"`([A-Z_]+)`", cells[0])
            if name is None or "default" not in header:
                continue
            value = _documented_value(cells[header.index("default")])
            if value is not None:
                found.append((doc, name.group(1), value))
    return found


def test_every_default_the_docs_give_is_the_one_the_service_runs_with() -> None:
    """Setting a variable to its documented default changes nothing, in every table of every document."""
    defaults = documented_defaults()
    assert len({v for _, v, _ in defaults}) >= 20, "the docs' default columns were not found"
    unset = load_settings({})
    wrong = []
    for doc, variable, value in defaults:
        if variable in NOT_SETTINGS:
            continue
        env = {variable: value}
        if variable == "CDS_AUTH" and value == "on":
            continue  # `on` needs the issuers file; `off` is checked
        if load_settings(env) != unset:
            wrong.append(f"{doc}: {variable} default {value!r}")
    assert not wrong, "defaults the docs give that are not the service's:\n" + "\n".join(wrong)


def json_blocks() -> list[tuple[str, int, str]]:
    blocks = []
    for doc, text in TEXT.items():
        for match in re.finditer(r"^```json\n(.*?)^```", text, re.S | re.M):
            blocks.append((doc, text[:match.start()].count("\n") + 1, match.group(1)))
    return blocks


def _parse(doc: str, line: int, block: str) -> object:
    try:
        return json.loads(block)
    except ValueError:
        try:
            return json.loads("{" + block + "}")  # a fragment: `"links": [...]`
        except ValueError as exc:
            pytest.fail(f"{doc}:{line}: the JSON example does not parse: {exc}")


def test_every_json_example_parses() -> None:
    blocks = json_blocks()
    assert len(blocks) >= 7
    for doc, line, block in blocks:
        _parse(doc, line, block)


def example(doc: str, containing: str) -> object:
    [found] = [_parse(d, n, b) for d, n, b in json_blocks() if d == doc and containing in b]
    return found


def test_error_examples_are_the_services_error_shape() -> None:
    assert example("docs/authentication.md", '"login"') == error_body(401, "unauthorized")
    from cds_service.pipeline import FETCH_HINT, PREFETCH_HINT

    outcome = example("docs/fhir-server.md", '"incomplete"')
    said = outcome["issue"][0]["diagnostics"]  # type: ignore[index]
    assert outcome == error_body(412, said)
    assert said.startswith("could not fetch required data from fhirServer: observations: ") and FETCH_HINT in said
    assert PREFETCH_HINT in " ".join(TEXT["docs/fhir-server.md"].split())


def test_the_card_link_example_has_the_shape_of_a_card_link() -> None:
    from cds_service.cards.render import WHY_LINK

    [link] = example("docs/explanation.md", '"links"')["links"]  # type: ignore[index]
    assert set(link) == {"label", "url", "type"} and link["type"] == "absolute"  # as render.py makes it
    assert link["label"] == WHY_LINK("en") and "Begrundelse" == WHY_LINK("da")
    assert re.fullmatch(r"https://cds\.hospital\.dk/explain/[^?]+\?t=\d+\.\S+", link["url"])


def test_the_feedback_example_is_a_valid_feedback_body() -> None:
    items = parse_feedback(example("docs/feedback.md", '"feedback"'))
    assert [i.outcome for i in items] == ["accepted", "overridden"]


def test_the_trusted_issuers_example_loads(tmp_path: Path) -> None:
    """docs/authentication.md's file, with a JWK Set where its jwks_file says, is accepted as written."""
    document = example("docs/authentication.md", '"issuers"')
    (tmp_path / "keys").mkdir()
    shutil.copy(ROOT / "config" / "sandbox-jwks.json", tmp_path / "keys" / "ehr-jwks.json")
    path = tmp_path / "trusted-issuers.json"
    path.write_text(json.dumps(document))
    issuers = load_issuers_file(path)
    assert set(issuers) == set(document["issuers"])  # type: ignore[index]
    assert issuers["https://ehr.hospital.dk"].tenant == "rh-hematology"
    assert issuers["https://both.example.org"].jku_prefixes == ("https://both.example.org/jwks/",)


def test_the_sidecar_example_is_read_as_an_expectation(tmp_path: Path) -> None:
    from cds_service.tools.bundle_sets import load_expectation

    bundle = tmp_path / "case.json"
    bundle.write_text("{}")
    (tmp_path / "case.expect.json").write_text(json.dumps(example("docs/tools.md", '"expected"')))
    expectation = load_expectation(bundle)
    assert expectation is not None and list(expectation.expected) == ["stop-due-soon"]
