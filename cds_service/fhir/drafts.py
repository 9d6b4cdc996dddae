"""Draft orders to what the order hooks judge: order-select / order-sign's `context.draftOrders`.

A draft immunoglobulin, bsAb or CAR-T product order is read by its planned period as an order on the
chart is (`FactBuilder._planned_period`), but a draft may not be dated yet (it starts when signed), and one
whose code is in no value set, or in a code system the service does not know, is named as not checked
rather than passed over. A draft IgG lab order is read too (`igg_order_drafted`). Never read from the chart.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from cql_like_rules.facts import DataNote, IgGOrderDraft, TherapyOrderDraft
from cql_like_rules.orders import DraftOrder
from cql_like_rules.targets import in_scope_target

from ..errors import DataError
from .dates import PartialDate
from .ig_courses import _only_other_indication, _reasons
from .reading import (
    DRUG_VALUESETS, IGG_DRAFT_STATUSES, NoStartDate, PRODUCT_OF_ROUTE, _codings, _concept_text, _first,
    _reference_display, _texts, do_not_perform, reference_of,
)
from .therapies import _bsab_drug
from .unread import _system_name, _unknown_system_code, _wrong_system_code, ig_codes_disagree, name_in, specific_ig

if TYPE_CHECKING:
    from .facts import FactBuilder


def draft_order(b: FactBuilder, r: Mapping[str, Any]) -> DraftOrder | None:
    """The draft order's kind and planned dates, or None when the guideline has nothing to say."""
    if r.get("resourceType") != "MedicationRequest":
        return None
    sets = b.t.sets_of(b._medication(r))
    ref = reference_of(r)
    kinds = (("ig", "immunoglobulin-substitution"), ("bsab", "bispecific-b-pc"), ("car-t-product", "car-t-product"))
    for kind, valueset in kinds:
        entry = sets.get(valueset)
        if entry is None:
            continue
        if kind in ("car-t-product", "bsab") and not in_scope_target(entry.get("target")):
            return None  # directed at no B-cell or plasma-cell antigen: outside the guideline (§4), no window
        reasons = _reasons(b, r)
        if kind == "ig" and reasons and all(_only_other_indication(b, c) for c in reasons):
            return None  # drafted for ITP, GBS ... (`ig-other-indication`): immunomodulation, outside the guideline
        unread, partial = "", ""
        mark = len(b._notes)  # the notes reading its dates makes are the draft's (`build` starts afresh)
        try:
            start, end, _ = b._open_if_end_unread(r)
        except NoStartDate:
            start, end = None, None  # a draft may not be dated yet: it starts when signed
        except DataError as exc:  # dated, but not usably (an end before its start, a month with no day): judged
            start, end, unread = None, None, str(exc)  # as undated, and said
            partial = exc.value if isinstance(exc, PartialDate) else ""
        drug = PRODUCT_OF_ROUTE.get(str(entry.get("route")), "") if kind == "ig" else \
            _bsab_drug(b, entry, b._medication(r)) if kind == "bsab" else str(entry.get("drug") or "")
        if kind == "ig":  # IVIG coded beside anti-D: judged as IVIG, and named where it can still be caught
            ig_codes_disagree(b, r)
        read_notes = tuple(b._notes[mark:])
        del b._notes[mark:]
        end_unread = next((n.display for n in read_notes if n.kind == "end-unread"), "")
        return DraftOrder(kind, ref, start, end, drug, dates_unread=unread, date_partial=partial,
                          length_unread=b._length_unread(r) if end is None else "", notes=read_notes,
                          end_unread=end_unread)
    return _unrecognised_order(b, r, kinds)


def therapies_drafted(orders: Iterable[DraftOrder]) -> tuple[TherapyOrderDraft, ...]:
    """The bsAb and CAR-T product orders among the draft orders judged (as `draft_order` read them)."""
    return tuple(TherapyOrderDraft(o.source, o.kind, o.drug, o.start) for o in orders
                 if o.kind in ("bsab", "car-t-product"))


def igg_order_drafted(b: FactBuilder, r: Mapping[str, Any]) -> IgGOrderDraft | None:
    """A draft lab order for total serum/plasma IgG (any code of the IgG value set: LOINC, NPU ...),
    status draft or active, with the day it is planned for (else written); None for anything else (a request that
    it not be done, `doNotPerform`, included)."""
    if r.get("resourceType") != "ServiceRequest" or r.get("status") not in IGG_DRAFT_STATUSES or do_not_perform(r):
        return None
    if "igg-serum" not in b.t.sets_of(r.get("code")):
        return None
    when = _first(r, "occurrenceDateTime", "occurrencePeriod.start", "authoredOn")
    try:
        day = b._date(when, allow_partial=True) if isinstance(when, str) else None
    except DataError:
        day = None  # an unreadable date does not make the lab order less drafted
    return IgGOrderDraft(reference_of(r), day)


def _unrecognised_order(b: FactBuilder, r: Mapping[str, Any], kinds: tuple[tuple[str, str], ...]) -> DraftOrder | None:
    """A draft whose name is an immunoglobulin, bsAb or CAR-T product but whose code is in no value set.

    It is not judged (a name is not a code), but the clinician signing it is told that it was
    not checked, instead of getting no card at all.
    """
    concept = b._medication(r)
    if concept is None and _reference_display(r):  # a Medication not sent, but named (Reference.display)
        concept = {"text": _reference_display(r)}
    text = _texts(concept)
    # codes that disagree (a CAR-T product's and one its set excludes): the draft may be what one of them says, and is
    # named as not checked rather than passed over
    conflicting = b.t.conflicting_sets(concept)
    found = next((vs for _, vs in kinds if vs in conflicting), None) or name_in(b.t, r.get("resourceType"), text, concept)
    looks_like = next((kind for kind, valueset in kinds if valueset == found), None)
    if looks_like == "ig" and specific_ig(b.t, text, concept):  # anti-D, hepatitis B, J06BB: none drafted
        looks_like = None
    wrong = _wrong_system_code(b, r)
    if looks_like is None or wrong is not None and wrong[2][1] in DRUG_VALUESETS:
        # a drug's code under another known system ("Privigen" J06BA02 under SNOMED CT) is for the EHR to correct,
        # not for the CDS team to add: its card says so, whatever the name (`_draft_unknown_system`)
        return _draft_unknown_system(b, r)
    start, end, read_notes, end_unread = _unrecognised_draft_period(b, r)
    coding = next((c for c in _codings(concept) if c.get("code")), None) if isinstance(concept, dict) else None
    code, system = "", ""
    if coding is not None:
        code = str(coding["code"])
        system = _system_name(b, str(coding.get("system") or ""))
    return DraftOrder("unrecognised", reference_of(r), start, end, _concept_text(concept)[:80],
                      looks_like=looks_like, code=code[:40], code_system=system[:100], notes=read_notes,
                      end_unread=end_unread)


def _draft_unknown_system(b: FactBuilder, r: Mapping[str, Any]) -> DraftOrder | None:
    """A draft whose drug is coded only in a code system the service does not know, with no name: it could be an
    immunoglobulin, a bsAb or a CAR-T product, so it is not passed over as "not one of them" but named as not
    checked (`looks_like` "", `code_system` the URI as sent, for the site to add). With its card switched off
    (`unknown_system_draft_card`) it is still named, by the `code-system-unknown` data note a record in the chart
    coded so gets: never passed over in silence. Either way it is named once: the same draft sent in the chart
    too (a MedicationRequest search returns drafts) gets no second note there (`_drafts_named`)."""
    # a drug's code sent under another known system than its own (J06BA02 under SNOMED CT) tells what the draft
    # is, whatever name it has (one that names no drug: "Infusion 10 g") and whatever local code comes before it
    wrong = _wrong_system_code(b, r)
    wrong = wrong if wrong is not None and wrong[2][1] in DRUG_VALUESETS else None
    found = (wrong[0], wrong[1]) if wrong is not None else _unknown_system_code(b, r)
    if found is None:
        return None
    start, end, notes, end_unread = _unrecognised_draft_period(b, r)
    code, system = found
    b._drafts_named.add(reference_of(r))
    if not b.unknown_system_draft_card:
        notes += (DataNote("code-system-unknown", reference_of(r),
                          f"draft order: code {code[:40]!r} in system {(system or '(none)')[:100]!r}, in which the "
                          "service reads no drug, and no name: not checked (its card is switched off, "
                          "unknown_system_draft_card)", f"{code[:20]} ({system[:60] or 'no system'})"),)
    held_under = wrong[2][0] if wrong is not None else ""  # the system whose code it is (ATC)
    name = _concept_text(b._medication(r))[:80] if wrong is not None else ""  # a name that names no drug
    return DraftOrder("unrecognised", reference_of(r), start, end, name, code=code[:40], code_system=system[:100],
                      notes=notes, held_under=held_under, end_unread=end_unread)


def _unrecognised_draft_period(b: FactBuilder, r: Mapping[str, Any]) -> tuple[date | None, date | None,
                                                                      tuple[DataNote, ...], str]:
    """A draft not recognised by its code: (start, end, the notes reading them made, an end not read, as sent).
    An end no reader can take a day from leaves the start read and is named: dropping both dates for it showed the
    draft as starting today ("from 2026-01-20" for one planned from 2026-02-20)."""
    mark = len(b._notes)
    try:
        start, end, _ = b._open_if_end_unread(r, b._dosage_period)
    except DataError:
        start, end = None, None
    notes = tuple(b._notes[mark:])  # the draft's, as a recognised draft's (`draft_order`)
    del b._notes[mark:]
    return start, end, notes, next((n.display for n in notes), "")
