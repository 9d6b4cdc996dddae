"""The tables in docs/clinical-logic.md that come from the code: advice codes and [policy] parameters.

The advice table is read from the advice catalogue and the parameter table from
`cql_like_rules/parameters.py` (its defaults and the comment above each), so the documents
cannot drift from the product. `python -m cds_service.tools.docs_tables --write` rewrites
the tables between their markers; the test suite fails when they are out of date.
"""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path

from cql_like_rules import Parameters
from cql_like_rules.parameters import RANGE
from cql_like_rules.catalogue import CATALOGUE

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "clinical-logic.md"
PARAMETERS_SOURCE = ROOT / "cql_like_rules" / "parameters.py"
MARKERS = {"advice": ("<!-- advice-table:start -->", "<!-- advice-table:end -->"),
           "parameters": ("<!-- parameter-table:start -->", "<!-- parameter-table:end -->")}


def advice_table() -> str:
    from ..cards.values import Placeholders, threshold

    params = Parameters()
    words = Placeholders(threshold=threshold(params.igg_start_threshold_g_l, "en"),
                         general_threshold=threshold(params.igg_general_threshold_g_l, "en"))
    words_da = Placeholders(threshold=threshold(params.igg_start_threshold_g_l, "da"),
                            general_threshold=threshold(params.igg_general_threshold_g_l, "da"))
    rows = ["| advice code | situation (variant) | indicator | section | hooks | worklist rank | title (en / da) |",
            "|---|---|---|---|---|---|---|"]
    for code, kind in CATALOGUE.items():
        for variant in kind.variants:
            situation = kind.variant_doc.get(variant, "") or "—"
            rows.append(
                f"| `{code}` | {situation}{f' (`{variant}`)' if variant else ''} | {kind.indicator_of(variant)}"
                f"{' (information only)' if kind.information_only_of(variant) else ''} | {kind.section_of(variant)} | "
                f"{', '.join(kind.hooks)} | {kind.worklist_rank_of(variant) or '—'} | {kind.title.en.format_map(words)} / "
                f"{kind.title.da.format_map(words_da)} |")
    return "\n".join(rows)


def parameter_comments() -> dict[str, str]:
    """The comment lines above each parameter in parameters.py, joined."""
    comments: dict[str, str] = {}
    pending: list[str] = []
    for line in PARAMETERS_SOURCE.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            pending.append(stripped.lstrip("#").strip())
            continue
        match = re.match(r"(\w+): [^=]+=", stripped)
        if match and pending:
            comments[match.group(1)] = " ".join(pending)
        pending = [] if not stripped.startswith("#") else pending
    return comments


def parameters_table() -> str:
    comments = parameter_comments()
    rows = ["| parameter | default | allowed (a policy file outside it is refused) | what it decides |", "|---|---|---|---|"]
    for field in dataclasses.fields(Parameters):
        default = getattr(Parameters(), field.name)
        text = comments.get(field.name, "").replace("|", "\\|")
        allowed = field.metadata.get(RANGE)
        shown = f"{allowed[0]:g} to {allowed[1]:g}" if allowed else ""
        rows.append(f"| `{field.name}` | `{default}` | {shown} | {text} |")
    return "\n".join(rows)


TABLES = {"advice": advice_table, "parameters": parameters_table}


def render(text: str) -> str:
    """`text` with every table between its markers regenerated."""
    for name, (start, end) in MARKERS.items():
        pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
        if not pattern.search(text):
            raise ValueError(f"{DOC.name}: markers for the {name} table are missing")
        block = f"{start}\n{TABLES[name]()}\n{end}"
        text = pattern.sub(lambda _m: block, text)  # noqa: B023 (called here, in this iteration)
    return text


def main(argv: list[str]) -> int:
    current = DOC.read_text(encoding="utf-8")
    wanted = render(current)
    if "--write" in argv:
        DOC.write_text(wanted, encoding="utf-8")
        return 0
    if wanted != current:
        print(f"{DOC} is out of date: run python -m cds_service.tools.docs_tables --write", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
