"""mypy strict checks every module of the service and the rules: a module left out of `[tool.mypy] files` would not
be type-checked at all (its errors, a `None` where a date is needed, stay hidden until a user meets them)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MYPY = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]


def _covered(module: Path, entries: list[str]) -> bool:
    relative = module.relative_to(ROOT)
    return any(relative == Path(e) or Path(e) in relative.parents for e in entries)


def test_every_module_of_the_service_and_the_rules_is_type_checked() -> None:
    modules = sorted(p for package in ("cds_service", "cql_like_rules") for p in (ROOT / package).rglob("*.py"))
    assert len(modules) > 50
    left_out = [str(m.relative_to(ROOT)) for m in modules if not _covered(m, MYPY["files"])]
    assert left_out == []


def test_the_check_is_strict_and_no_module_is_excused() -> None:
    assert MYPY["strict"] is True
    assert MYPY.get("follow_imports", "normal") == "normal"
    for override in MYPY.get("overrides", []):
        assert not override.get("ignore_errors"), override["module"]
        assert override.get("strict", True) is not False, override["module"]
