"""Advice that invites a start of immunoglobulin beside a record the patient may already be on: the record named as
the caveat `ig-maybe-on` (a crowded card keeps it), and no immunoglobulin order offered (`catalogue.ALREADY_ON`).

A step of the advice, not of its card: the records come as data notes (a local code known only by its name, a
record not placed in time ...) made by the facts, the rules and, on a live call, the pipeline after the rules
(`fhir.unread.orders_written_later`). So it runs once every note is known, in one place (`pipeline.evaluate_facts`,
through which a hook call's chart and a timeline redrawn from stored facts are evaluated), and the advice it returns is what the cards, the
explanation snapshot, the timeline and the worklist read: its values name the record (`ig_maybe_on_source` ...), which
the explanation page lists with the advice. (No trace step: the trace holds the library's definitions only.)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable

from cql_like_rules import Advice, Evaluation
from cql_like_rules.catalogue import ALREADY_ON, IG_ORDER_SUGGESTIONS, invites_start
from cql_like_rules.facts import DataNote

from .cards.notes import note_day, rank


def already_on(advice: Advice, notes: Iterable[DataNote]) -> Advice:
    """The advice beside these notes: on one that invites a start (`invites_start`) beside a note of `ALREADY_ON`,
    the caveat `ig-maybe-on` first, naming the record likeliest to be the course (`notes.rank`, then the latest), and
    no Ig order suggested; any other advice as it is. `ig_maybe_on_check` says what the card then offers: no order
    where one was withheld, a draft to check before it is signed (`order-meets-criteria` still offers its end)."""
    if not invites_start(advice.code, advice.variant, advice.values):
        return advice
    found = maybe_on(notes)
    if not found:
        return advice
    first = found[0]
    kept = tuple(s for s in advice.suggestions if s not in IG_ORDER_SUGGESTIONS)
    # a draft Ig order is checked before it is signed; a therapy's draft (a bsAb) is not the Ig to check
    check = "withheld" if len(kept) < len(advice.suggestions) else "draft" if advice.values.get("order_kind") == "ig" \
        else "check"
    values = {**advice.values, "ig_maybe_on": first.display, "ig_maybe_on_words": first.record_words,
              "ig_maybe_on_type": first.source.split("/", 1)[0], "ig_maybe_on_kind": first.kind,
              "ig_maybe_on_day": note_day(first), "ig_maybe_on_more": len(found) - 1,
              "ig_maybe_on_source": first.source, "ig_maybe_on_check": check}
    return replace(advice, values=values, caveats=("ig-maybe-on", *advice.caveats), suggestions=kept)


def maybe_on(notes: Iterable[DataNote]) -> list[DataNote]:
    """The notes of `ALREADY_ON`, the one a caveat names first (the latest of a kind first: a course's last dose)."""
    return sorted((n for n in notes if n.kind in ALREADY_ON),
                  key=lambda n: (rank(n.kind), -(n.day.toordinal() if n.day else 0)))


def with_already_on(evaluation: Evaluation, notes: Iterable[DataNote]) -> Evaluation:
    """The evaluation with each advice as `already_on` makes it beside every note of the answer."""
    notes = tuple(notes)
    advice = tuple(already_on(a, notes) for a in evaluation.advice)
    if all(new is old for new, old in zip(advice, evaluation.advice)):
        return evaluation
    return replace(evaluation, advice=advice)
