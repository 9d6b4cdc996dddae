"""docs/configuration.md lists exactly the variables `cds_service/settings.py` reads, as its table says."""

from __future__ import annotations

import re

import cds_service.settings as settings_module

from .servers import ROOT

SETTINGS_SOURCE = (ROOT / "cds_service" / "settings.py").read_text(encoding="utf-8")
CONFIGURATION = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
HEADER = "| variable | default | meaning |"


def table_rows(text: str) -> list[str]:
    """The rows of the first table with the variables' header, separator excluded."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == HEADER)
    rows = []
    for line in lines[start + 2:]:
        if not line.strip().startswith("|"):
            break
        rows.append(line.strip())
    return rows


def variables(rows: list[str]) -> list[str]:
    return [re.match(r"\| `([A-Z_]+)`", row).group(1) for row in rows]


def test_configuration_doc_table_is_the_settings_table() -> None:
    assert table_rows(CONFIGURATION) == table_rows(settings_module.__doc__)


def test_every_variable_read_is_in_the_table_and_nothing_else() -> None:
    read = set(re.findall(r'"((?:CDS_[A-Z_]+)|DATABASE_URL)"', SETTINGS_SOURCE))
    listed = variables(table_rows(settings_module.__doc__))
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    assert read == set(listed)
