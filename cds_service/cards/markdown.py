"""Text from the EHR made inert before it goes into a card.

A coding's display, a product name, an id: anything the request carries may hold HTML
(`<img src=x onerror=...>`), a link (`[x](javascript:...)`), an image or markdown control
characters, and EHRs render card details as markdown — some with raw HTML passed through.
`escape` makes such text literal for CommonMark: HTML-significant characters become
entities, every other ASCII punctuation character that markdown could read as markup is
backslash-escaped, control characters and line breaks become spaces (so no new block can
start), and the length is bounded. `plain` is for plain-text fields (summary, labels):
it removes control characters, HTML tags and angle brackets, bounds the length, and leaves
the rest as sent (an EHR that wrongly renders a summary as HTML still gets no tag from
another record).
"""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029\u200b-\u200f\u202a-\u202e\u2066-\u2069]+")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Inline text never starts a line here (newlines are removed), so only what is active inline
# is escaped: emphasis, code, links and images, GFM strikethrough and autolinks (":", "@", ".").
_PUNCTUATION = set("\\`*_{}[]()#+!|~:@.")
# ... but for "." and ":" between two digits ("5.0 g/L", "1.2.208", "12:30"), which start no autolink (GFM's need "www.",
# a scheme or an "@"): a plain-text view of the card shows them as sent, not "5\\.0". A "/" after a "/" is escaped, so
# that no protocol-relative "//10.0.0.1:8080/x" or "//localhost" is one either (linkify-it links those), but for the
# "//" of a scheme, whose ":" is escaped already ("http\\://x" is no link)
_BETWEEN_DIGITS = frozenset(".:")
_TAG = re.compile(r"</?[A-Za-z][^<>]{0,200}>")  # an HTML tag whole, so its name does not stay behind as letters
# An angle bracket but one before a number, a space or "=" (a bound as sent: "IgG <5 g/L", "> 2", "<=0.5"), which no
# HTML renderer reads as the start of a tag: "<5" is text to HTML, "<b" or "</" is not.
_BRACKET = re.compile(r"[<>](?![\d .,=])")
_BARE_NUMBER = re.compile(r"[\d.,^x×*/+–-]*\d[\d.,^x×*/+–-]*|[x×*/+–-]")  # "10", "1,2", "10^6", "x", "-"


def escape(text: object, limit: int = 120) -> str:
    """`text` as literal CommonMark inline text, at most `limit` characters (before escaping)."""
    value = _CONTROL.sub(" ", str(text)).strip()
    value = shorten(value, limit)
    out = []
    for i, ch in enumerate(value):
        if ch in _ENTITIES:
            out.append(_ENTITIES[ch])
        elif _active(value, i, ch):
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _active(value: str, i: int, ch: str) -> bool:
    """Whether `ch`, at `i` in `value`, could be read as markup and is to be escaped (`_PUNCTUATION`, `_BETWEEN_DIGITS`,
    and the second "/" of a "//" that follows no ":")."""
    before, after = value[i - 1:i], value[i + 1:i + 2]
    if ch == "/":
        return before == "/" and value[i - 2:i - 1] != ":"
    if ch in _BETWEEN_DIGITS and before.isdigit() and after.isdigit():
        return False
    return ch in _PUNCTUATION


# What `escape` writes that a markdown reader shows as one character: a backslash before ASCII punctuation (CommonMark
# reads any such pair as the character), and the three HTML entities.
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])|&(amp|lt|gt);")
_ENTITY_CHARS = {entity[1:-1]: ch for ch, entity in _ENTITIES.items()}


def unescape(markdown: str) -> str:
    """`markdown` with its escapes read as a renderer reads them ("0\\.35" is "0.35", "&lt;" is "<"), for a plain-text
    view of a card's detail; its markup (bold, a list) stays as written. One pass: "&amp;lt;" stays "&lt;"."""
    return _ESCAPED.sub(lambda m: m.group(1) or _ENTITY_CHARS[m.group(2)], markdown)


def plain(text: object, limit: int = 60) -> str:
    """`text` for a plain-text field (the summary, a label): as sent, but for control characters and line breaks
    (spaces), HTML tags and angle brackets, and its length. CDS Hooks has the summary shown as plain text, so a code
    the EHR sent ("LOC_47_11", "A*B") reads as sent, not as "LOC4711" (the detail, markdown, escapes it); a tag or
    an angle bracket is removed all the same, against an EHR that renders the summary as HTML, but for one before a
    number, a space or "=" ("<5 mg", ">= 2"), which starts no tag there and is a bound whose meaning it carries."""
    untagged = _BRACKET.sub(" ", _TAG.sub(" ", _CONTROL.sub(" ", str(text))))
    return shorten(re.sub(r" {2,}", " ", untagged).strip(), limit)


def shorten(value: str, limit: int) -> str:
    """At most `limit` characters, cut at a word's end where one lies in the second half, so a
    product name loses its tail ("Immune globulin, human…"), not half a word or a dose: a number left
    without the unit that followed it goes with the tail ("Tecvayli (teclistamab)…", not "… 10…")."""
    if len(value) <= limit:
        return value
    cut = value[: limit - 1]
    space = cut.rfind(" ")
    if space >= limit // 2:
        cut = cut[:space]
        # a number whose unit was cut off reads as a dose it is not ("Tecvayli 10…" for "10 mg/ml"): it goes too
        head, _, last = cut.rpartition(" ")
        while head and _BARE_NUMBER.fullmatch(last):
            cut = head
            head, _, last = cut.rpartition(" ")
    return cut.rstrip(" ,;:-") + "…"
