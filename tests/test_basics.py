"""What a new user tries first: `--version`, `--help` on every command, `make run`, the licence."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tomllib
from importlib.metadata import version

import pytest

from cds_service import package_version
from cds_service.tools.cli import build_parser

from .servers import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_version_comes_from_the_package_metadata() -> None:
    done = subprocess.run([sys.executable, "-m", "cds_service", "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stdout == f"cds-service {PYPROJECT['project']['version']}\n"
    assert package_version() == version("igsub-cds") == PYPROJECT["project"]["version"]


def subcommands(parser: argparse.ArgumentParser | None = None, path: str = "") -> dict[str, argparse.ArgumentParser]:
    """Every command, nested ones too ("valuesets expand"), by the words that call it."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in (parser or build_parser())._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                found[f"{path} {name}".strip()] = command
                found.update(subcommands(command, f"{path} {name}"))
    return found


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_every_option_of_every_command_has_help(command: str) -> None:
    done = subprocess.run([sys.executable, "-m", "cds_service", *command.split(), "--help"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith(f"usage: cds-service {command}")
    parser = subcommands()[command]
    assert parser.description, f"`cds-service {command} --help` should say what the command is for"
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue  # a group of subcommands: each is checked on its own
        name = "/".join(action.option_strings) or action.dest
        assert action.help and action.help != argparse.SUPPRESS, f"{command} {name} has no help text"
        shown = " ".join(action.help.split()[:3])  # argparse wraps lines: compare the first words
        assert shown in " ".join(done.stdout.split()), f"{command} {name}: help not shown"


def test_top_level_help_lists_the_exit_codes() -> None:
    text = build_parser().format_help()
    assert "--version" in text and "78" in text and "exit codes" in text


def make_dry_run(*args: str) -> str:
    """The serve command `make run` would run (not run: -n), whatever install steps it would take first."""
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}  # under `make test`
    done = subprocess.run(["make", "-n", "--no-print-directory", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [command] = [line for line in done.stdout.splitlines() if "cds-service serve" in line]
    return command


def test_make_run_listens_where_asked() -> None:
    assert make_dry_run("run").endswith("cds-service serve --host 127.0.0.1 --port 8000")
    assert make_dry_run("run", "PORT=8123", "HOST=0.0.0.0").endswith("cds-service serve --host 0.0.0.0 --port 8123")


def test_licence_text_and_metadata() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text
    assert PYPROJECT["project"]["license"] == "Apache-2.0" and PYPROJECT["project"]["license-files"] == ["LICENSE"]
    from importlib.metadata import metadata

    assert metadata("igsub-cds")["License-Expression"] == "Apache-2.0"


def test_postgresql_driver_is_an_extra_that_make_installs() -> None:
    project = PYPROJECT["project"]
    assert not any(d.startswith("psycopg") for d in project["dependencies"])
    assert any(d.startswith("psycopg[binary]") for d in project["optional-dependencies"]["postgres"])
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert "--extra postgres" in lock and "\npsycopg==" in lock


def test_changelog_has_an_unreleased_section() -> None:
    text = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in text and f"## [{PYPROJECT['project']['version']}]" in text
