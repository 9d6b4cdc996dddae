"""Text from the EHR inside a card's markdown: shown as written, never read as markup.

CDS Hooks clients render a card's `detail` as GitHub-flavoured markdown. A display text,
a resource id or a message that quotes data comes from the EHR, not from us: it must not
add a link, an image, emphasis, strike-through or HTML to a card a clinician acts on, nor
break out of a code span or start a new line. Newlines are collapsed, so nothing from the
data can begin a heading, a list item or a table.
"""

from __future__ import annotations

import re

_ACTIVE = re.compile(r"([\\`*_<>~])")  # emphasis, code, HTML/autolinks, strike-through, and the escape itself


def plain(text: object, limit: int = 160) -> str:
    """One line of literal text: markdown-active characters escaped, `](` broken, at most `limit` characters."""
    line = " ".join(str(text).split())
    if len(line) > limit:
        line = line[: limit - 1] + "…"
    return _ACTIVE.sub(r"\\\1", line).replace("](", "]\\(")


def code(text: object) -> str:
    """Text for inside a `code span`: one line, and no backtick that could end the span."""
    return " ".join(str(text).split()).replace("`", "'")
