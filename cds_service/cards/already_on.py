"""A card that invites a start of immunoglobulin beside a record the patient may already be on: the record named as
a caveat that a crowded card keeps, and no immunoglobulin order offered (`catalogue.ALREADY_ON`).

The records come as data notes (a local code known only by its name, a record not placed in time ...), made by the
facts, the rules or, on a live call, the pipeline; so the card reads them from the notes it shows, all of them there.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from cql_like_rules import Advice
from cql_like_rules.catalogue import ALREADY_ON, IG_ORDER_SUGGESTIONS, invites_start
from cql_like_rules.facts import DataNote

from .notes import note_day, rank


def already_on(advice: Advice, notes: Iterable[DataNote]) -> Advice:
    """The advice as its card says it: on a card that invites a start (`invites_start`) beside a note of `ALREADY_ON`,
    the caveat `ig-maybe-on` first, naming the record likeliest to be the course (`notes.rank`, then the latest), and no Ig order
    suggested; any other advice as it is."""
    if not invites_start(advice.code, advice.variant, advice.values):
        return advice
    found = sorted((n for n in notes if n.kind in ALREADY_ON),  # the latest of a kind first: a course's last dose
                   key=lambda n: (rank(n.kind), -(n.day.toordinal() if n.day else 0)))
    if not found:
        return advice
    first = found[0]
    values = {**advice.values, "ig_maybe_on": first.display, "ig_maybe_on_words": first.record_words,
              "ig_maybe_on_type": first.source.split("/", 1)[0], "ig_maybe_on_kind": first.kind, "ig_maybe_on_day": note_day(first),
              "ig_maybe_on_more": len(found) - 1, "ig_maybe_on_source": first.source}
    return replace(advice, values=values, caveats=("ig-maybe-on", *advice.caveats),
                   suggestions=tuple(s for s in advice.suggestions if s not in IG_ORDER_SUGGESTIONS))
