"""The order hook's dates hold on patient-view once the order is signed and begun.

Why: a clinician signs an immunoglobulin (Ig), bispecific (bsAb) or CAR-T order because its order-sign card said
"end it on the stop date 2026-05-18" or "next stop review 2026-07-22". Weeks later the same patient's chart opens
and patient-view speaks. If patient-view then names another stop date, no stop at all, or a review on another day,
the two hooks contradict each other and one of them is wrong (spec §4: the stop date is T0 + 6 months, "due" from 14
days before up to and including it, "overdue" after it; a general review is due on the later of the Ig start + 6
months and the stop date). Per-hook tests cannot see this: each hook may be right on its own day.

How, for each shipped order fixture (a bundle in fhir_fixtures/ and a draft file in fhir_fixtures/drafts/ written for
its patient) whose order card names a date:
1. order-sign on the day the order is drafted (the drafts' authoredOn), read the dates the card's structured values
   name (`Answer.advice[*].values`, the same values the card's wording and its trace are made from);
2. build the chart "as signed and begun": each Ig draft an active order as drafted (authoredOn the draft day, its
   planned dates; an end the card suggests is not taken, so the day after a stop date the stop is overdue), each bsAb
   draft an active order plus the first dose given on its planned start;
3. patient-view on that chart on the day every draft has begun (S) and the day after, on each date the card names,
   and for a stop date the day after it; on each of those days the advice code and its date must be what the card
   promised, and no stop or review card may name a date the order card did not. (A bsAb card saying to measure IgG
   after the first dose, the date from which a start becomes possible, is held to measure-igg on S and S+1.)

Every date comes from the fixtures (authoredOn, planned starts) or from the service's answer about them; never
today's. The case list is explicit, and `test_every_order_fixture_is_a_case_or_excluded_with_a_reason` fails when a
fixture or draft is added without deciding which it is. In-process (`cds_service.tools.replay.replay`), no HTTP.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import load_drafts, replay
from cql_like_rules.advice import Advice
from cql_like_rules.library import add_months

from .fixtures import FIXTURES

RUNTIME = load_runtime(Settings())  # defaults only: no environment, no policy file
PARAMS = RUNTIME.params
DAY = timedelta(days=1)
Resource = dict[str, Any]

IG_ATC = ("J06BA01", "J06BA02")
STOP_CODES = ("stop-planned", "stop-due-soon", "stop-overdue")

# -- the cases --------------------------------------------------------------------------------------------------------

# (chart, draft file): every order fixture whose order-sign card names a date to hold patient-view to
CASES = [
    ("cart-in-window-igg-low", "ivig-pt-dk-0001"),                                  # window: stop date
    ("cart-in-window-igg-low", "orders-pt-dk-0001"),                                # IVIG + teclistamab: general review
    ("cart-in-window-igg-low", "teclistamab-pt-dk-0001"),                           # igg-low: measure after 1st dose
    ("cart-in-window-ivig-booked-13-days-before-stop", "ivig-booked-late-pt-dk-0116"),  # booked late: stop date
    ("cart-start-criterion-met-days-before-stop-date", "ivig-pt-dk-0048"),          # 16 days left: stop date
    ("cart-ig-active-stop-planned-40-days", "ivig-pt-dk-0011"),                     # continuation-window: stop date
    ("cart-after-window-recurrent-pneumonia-fresh-igg", "ivig-pt-dk-0008"),         # general: start + 6 months
    ("cart-home-scig-medication-statement-general-stop-review", "ivig-pt-dk-0001"),  # continuation-general
    ("cart-home-scig-medication-statement-general-stop-review", "ivig-after-stop-date-pt-dk-0001"),
    ("cart-home-scig-medication-statement-general-stop-review", "orders-pt-dk-0001"),  # review moved by teclistamab
    ("cart-home-scig-medication-statement-general-stop-review", "teclistamab-pt-dk-0001"),  # on-substitution
    ("ig-before-t0-continuing-general-review-at-stop-date", "scig-switch-pt-dk-0113"),  # continuation-general
    ("sepsis-then-ig-general-review-due-continuation-drafted", "scig-continuation-pt-dk-0112"),  # review overdue
    ("rituximab-only-no-index-event", "elranatamab-pt-dk-0022"),                    # baseline-low: measure after dose
]

_SAME_CHART = "the same chart as cart-ig-active-stop-planned-40-days (only Bundle.id differs), whose day is the draft's"
_NO_DATE = "the order card promises no date: it says the order does not meet the criteria (facts only: T0, stop date, start)"
EXCLUDED = {
    ("cart-ig-active-stop-due-14-days", "ivig-pt-dk-0011"): _SAME_CHART,
    ("cart-ig-active-stop-due-on-stop-date", "ivig-pt-dk-0011"): _SAME_CHART,
    ("cart-ig-active-stop-overdue", "ivig-pt-dk-0011"): _SAME_CHART,
    ("cart-ig-active-stop-planned-15-days", "ivig-pt-dk-0011"): _SAME_CHART,
    ("cart-in-window-igg-low", "paracetamol-pt-dk-0001"): "no Ig, bsAb or CAR-T order: no order card",
    ("cart-home-scig-medication-statement-general-stop-review", "paracetamol-pt-dk-0001"): "no Ig, bsAb or CAR-T "
    "order: no order card",
    ("cart-after-window-no-infections-old-igg", "igg-lab-pt-dk-0007"): "an IgG lab order (ServiceRequest): no card",
    ("rituximab-only-no-index-event", "igg-lab-pt-dk-0022"): "an IgG lab order (ServiceRequest): no card",
    ("cart-after-window-no-infections-old-igg", "ivig-pt-dk-0007"): _NO_DATE,
    ("cart-in-window-igg-7-5-fresh", "scig-pt-dk-0006"): _NO_DATE,
    ("cart-in-window-igg-low", "ivig-after-stop-date-pt-dk-0001"): _NO_DATE,
    ("ig-in-window-continuation-drafted-on-stop-date", "scig-continuation-pt-dk-0114"): _NO_DATE,
    ("ig-stopped-in-window-restart-without-infections", "ivig-restart-pt-dk-0115"): _NO_DATE,
    ("child-16-tisagenlecleucel-on-ig", "ivig-pt-dk-0020"): "a child: individual assessment, no adult dates (spec §1)",
    ("teclistamab-sle-no-haem-malignancy", "ivig-pt-dk-0032"): "out of scope (no haematological malignancy): no card",
}
# ivig-other-patient.draft.json is written for no fixture's patient (the service refuses it): it pairs with nothing.


def _patient_of(bundle: Resource) -> str:
    return next(e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")


def _order_fixture_pairs() -> set[tuple[str, str]]:
    """Every (chart, draft file) whose draft is written for that chart's patient."""
    written_for: dict[str, list[str]] = {}
    for path in sorted((FIXTURES / "drafts").glob("*.draft.json")):
        for order in load_drafts([str(path)]):
            patient = order.get("subject", {}).get("reference", "").removeprefix("Patient/")
            written_for.setdefault(patient, []).append(path.name.removesuffix(".draft.json"))
    pairs = set()
    for path in sorted(FIXTURES.glob("*.expect.json")):
        chart = path.name.removesuffix(".expect.json")
        pairs |= {(chart, d) for d in written_for.get(_patient_of(_bundle(chart)), [])}
    return pairs


def test_every_order_fixture_is_a_case_or_excluded_with_a_reason() -> None:
    listed = set(CASES) | set(EXCLUDED)
    assert not set(CASES) & set(EXCLUDED)
    assert _order_fixture_pairs() == listed


# -- reading the fixtures ---------------------------------------------------------------------------------------------


@cache
def _bundle_text(chart: str) -> str:
    return (FIXTURES / f"{chart}.json").read_text()


def _bundle(chart: str) -> Resource:
    return json.loads(_bundle_text(chart))


def _drafts(name: str) -> list[Resource]:
    return load_drafts([str(FIXTURES / "drafts" / f"{name}.draft.json")])


def _atc(r: Resource) -> str:
    return next((c.get("code", "") for c in (r.get("medicationCodeableConcept") or {}).get("coding", [])), "")


def _kind(r: Resource) -> str | None:
    if r.get("resourceType") != "MedicationRequest":
        return None
    atc = _atc(r)
    return "ig" if atc in IG_ATC else "bsab" if atc.startswith("L01FX") else "car-t" if atc.startswith("L01XL") else None


def _draft_day(drafts: list[Resource]) -> date:
    """The day the order is drafted: the drafts' earliest authoredOn."""
    return min(date.fromisoformat(r["authoredOn"][:10]) for r in drafts if r.get("resourceType") == "MedicationRequest")


def _planned_start(r: Resource, drafted: date) -> date:
    """As the order hooks read it: the dosage's bounds start, never before the draft day; undated, the draft day."""
    for dosage in r.get("dosageInstruction", []):
        start = dosage.get("timing", {}).get("repeat", {}).get("boundsPeriod", {}).get("start")
        if start:
            return max(date.fromisoformat(start[:10]), drafted)
    return drafted


def _signed_and_begun(bundle: Resource, drafts: list[Resource], drafted: date) -> Resource:
    """The chart with the drafts signed on the draft day and begun on their planned start."""
    out = copy.deepcopy(bundle)
    for r in drafts:
        kind = _kind(r)
        if kind is None:
            continue
        assert kind != "car-t", "a CAR-T product order dates no infusion: give the case its infusion day first"
        signed = {**copy.deepcopy(r), "id": f"signed-{r['id']}", "status": "active", "authoredOn": drafted.isoformat()}
        out["entry"].append({"resource": signed})
        if kind == "bsab":  # the first dose given on its planned day: T0 (spec §2)
            out["entry"].append({"resource": {
                "resourceType": "MedicationAdministration", "id": f"dose-{r['id']}", "status": "completed",
                "subject": r["subject"], "medicationCodeableConcept": copy.deepcopy(r["medicationCodeableConcept"]),
                "effectiveDateTime": _planned_start(r, drafted).isoformat()}})
    return out


# -- what the order card promises -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Promise:
    """What patient-view must say from the day every draft has begun: `kind` on `when`.

    stop    a special stop on `when` (stop-planned / stop-due-soon / stop-overdue, values.stop_date == when)
    review  a general stop review on `when` (general-stop-review, values.due_date == when)
    either  a stop attempt on `when`, as a special stop or a general review (plan-igg-monitoring:igg-low beside an
            Ig begun before the first dose: which of the two applies is the Ig's start, not the bsAb card's to say)
    measure measure IgG after the first dose (measure-igg, values.stop_date == when, the window end the card named)
    """

    kind: str
    when: date
    said_by: str  # code:variant of the order card


def _promises(advice: tuple[Advice, ...], drafts: list[Resource], drafted: date) -> list[Promise]:
    ig_drafted = any(_kind(r) == "ig" for r in drafts)
    out: list[Promise] = []
    for a in advice:
        v, said = a.values, f"{a.code}:{a.variant}"
        if a.code == "order-meets-criteria":
            if a.variant in ("window", "window-followed", "continuation-window"):
                out.append(Promise("stop", v["stop_date"], said))  # "end it on the stop date {stop_date}"
            elif a.variant == "window-new-therapy":
                out.append(Promise("stop", v["session_stop_date"], said))  # "once ... begun, end on {session_stop_date}"
            elif a.variant in ("continuation-general", "continuation-general-due"):
                out.append(Promise("review", v["due_date"], said))  # "next stop review {due_date}"
            elif a.variant in ("general", "window-general-stop"):
                # "attempt the stop 6-12 months after the start: {general_stop_from} to ...", as the card dates it
                first = v.get("general_stop_first") or add_months(v["order_start"], PARAMS.general_stop_after_months)
                out.append(Promise("review", first, said))
        elif a.code == "plan-igg-monitoring":
            if a.variant in ("on-substitution", "continues-review"):
                out.append(Promise("review", v["due_date"], said))  # "review a stop on {due_date}"
            elif a.variant == "continues-stop":
                out.append(Promise("stop", v["due_date"], said))  # "attempt the Ig stop on {due_date}"
            elif a.variant == "igg-low" and ig_drafted:  # "Ig may be started now, before the first dose; stop {stop_date}"
                out.append(Promise("either", v["stop_date"], said))
            elif a.variant in ("igg-low", "baseline-low", "new"):  # "once it is given, a start needs an IgG after it"
                out.append(Promise("measure", v["stop_date"], said))
    return out


# -- what patient-view says, and whether it keeps the promise ---------------------------------------------------------


def _said(advice: tuple[Advice, ...]) -> list[tuple[str, str, date | None]]:
    """(code, variant, the date it names) of each stop, review and IgG-measurement advice."""
    key = {**{c: "stop_date" for c in STOP_CODES}, "general-stop-review": "due_date", "measure-igg": "stop_date"}
    return [(a.code, a.variant, a.values.get(key[a.code])) for a in advice if a.code in key]


def _expected(p: Promise, day: date) -> set[tuple[str, str | None]]:
    """The (code, variant) patient-view may give on `day` for promise `p` (variant None: any)."""
    if p.kind == "measure":
        return {("measure-igg", None)}
    stop = {("stop-overdue", None)} if day > p.when else \
        {("stop-due-soon", None)} if day >= p.when - timedelta(days=PARAMS.stop_due_soon_days) else {("stop-planned", None)}
    due = p.when <= day < p.when + timedelta(days=PARAMS.general_review_due_days)
    review = {("general-stop-review", "due")} if due else {("general-stop-review", v) for v in ("", "info")}
    return stop if p.kind == "stop" else review if p.kind == "review" else stop | review


def _days(promises: list[Promise], begun: date, drafted: date) -> list[date]:
    days = {begun, begun + DAY}
    for p in promises:
        if p.kind != "measure" and p.when >= drafted:
            days.add(p.when)
            if p.kind == "stop":
                days.add(p.when + DAY)
    return sorted(days)


@dataclass(frozen=True)
class Timeline:
    drafted: date
    begun: date
    order: list[str]
    promises: list[Promise]
    said: dict[date, list[tuple[str, str, date | None]]]
    cards: dict[str, str]  # advice code -> the order cards' summary and detail with that code (English)


@cache
def _timeline(chart: str, draft: str) -> Timeline:
    bundle, drafts = _bundle(chart), _drafts(draft)
    drafted = _draft_day(drafts)
    order = replay(RUNTIME, bundle, hook="order-sign", drafts=copy.deepcopy(drafts), at=drafted)
    promises = _promises(order.advice, drafts, drafted)
    begun = max(_planned_start(r, drafted) for r in drafts if _kind(r))
    chart_then = _signed_and_begun(bundle, drafts, drafted)
    said = {day: _said(replay(RUNTIME, chart_then, at=day).advice) for day in _days(promises, begun, drafted)}
    cards: dict[str, str] = {}
    for card in order.cards:
        code = card["source"]["topic"]["code"]
        cards[code] = cards.get(code, "") + f"{card['summary']}\n{card.get('detail', '')}\n"
    return Timeline(drafted, begun, [f"{a.code}:{a.variant}" for a in order.advice], promises, said, cards)


def _show(said: list[tuple[str, str, date | None]]) -> str:
    return ", ".join(f"{code}{':' + variant if variant else ''} {when}" for code, variant, when in said) or "nothing"


@pytest.mark.parametrize("chart, draft", CASES, ids=[f"{c}+{d}" for c, d in CASES])
def test_patient_view_keeps_the_dates_the_order_card_named(chart: str, draft: str) -> None:
    t = _timeline(chart, draft)
    assert t.promises, f"order-sign on {t.drafted} ({t.order}) names no date to hold patient-view to any more"
    # each date read from the values is one the clinician reads on the order card
    broken = [f"order card {p.said_by}: {p.when} is not in its text" for p in t.promises
              if p.when.isoformat() not in t.cards.get(p.said_by.split(":")[0], "")]
    for day, said in t.said.items():
        for p in t.promises:
            if p.kind == "measure" and day > t.begun + DAY:
                continue
            allowed = _expected(p, day)
            kept = [s for s in said if s[2] == p.when and any(s[0] == c and v in (None, s[1]) for c, v in allowed)]
            if not kept:
                broken.append(f"{day}: {p.said_by} promised {p.kind} {p.when}; patient-view said {_show(said)}")
        named = {p.when for p in t.promises}
        other = [s for s in said if s[0] != "measure-igg" and s[2] not in named]
        if other:
            broken.append(f"{day}: patient-view names a date no order card named ({', '.join(map(str, sorted(named)))}): "
                          f"{_show(other)}")
    assert not broken, (f"\n{chart} + drafts/{draft}: order-sign on {t.drafted} said {t.order}; all begun on {t.begun}\n"
                        + "\n".join(broken))
