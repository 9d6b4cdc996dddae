"""What tests take from their surroundings: a temporary data directory, and system programs.

Tests never write the developer's `./data` (its card store feeds the feedback report that
clinicians read), and never install software: `scripts/install-system-packages.sh` does
that once. A test that needs PostgreSQL or Chromium skips, saying why, on a developer's
machine without them; under `CI=true` that skip is a failure, so CI cannot pass by
quietly testing less.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any, NoReturn

import pytest

from cds_service.settings import Settings

DATA_DIR_VARIABLE = "CDS_DATA_DIR"  # set by tests/conftest.py: per session, then per test


def tmp_settings(**changes: Any) -> Settings:
    """The default `Settings` with the card store in the current test's temporary directory."""
    data_dir = os.environ.get(DATA_DIR_VARIABLE)
    if not data_dir:
        raise RuntimeError("tests/conftest.py did not set CDS_DATA_DIR; run the tests with pytest")
    return dataclasses.replace(Settings(data_dir=data_dir), **changes)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def require_system(what: str, why: str) -> NoReturn:
    """`what` (a system program) is not usable because `why`: skip locally, fail under CI=true."""
    message = f"{what} is needed and not usable: {why} (run scripts/install-system-packages.sh)"
    if in_ci():
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)
