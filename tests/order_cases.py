"""The acceptance charts x drafts for the order hooks, each with what the guideline says the clinician should see.

T0 is a CAR-T infusion on 2025-11-18 unless told; the stop date (T0 + 6 months) is 2026-05-18.
Expectations are written from the guideline (§4) and docs clinical-rules, not from the service's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .order_charts import (AXI_CEL, EPCORITAMAB, IVIG, PARACETAMOL, SCIG, TECLISTAMAB, chart, draft, igg_lab,
                           order)

STOP = "2026-05-18"


@dataclass
class Case:
    name: str
    what: str  # what the guideline says the clinician should see
    resources: list[dict[str, Any]]
    at: str
    drafts: list[dict[str, Any]]
    expect: list[tuple[str, str]]  # (advice code, indicator) of each card, in any order
    hook: str = "order-sign"
    selections: list[str] | None = None  # order-select: the selected drafts (default: all)
    ends: dict[str, str | None] = field(default_factory=dict)  # draft id -> suggested end (None: no end suggested)
    igg_order: bool | None = None  # a suggestion creates an IgG lab order (None: not checked)
    says: tuple[str, ...] = ()  # words in some card's summary or detail
    never_says: tuple[str, ...] = ()  # words in no card's summary
    extension_offered: bool | None = None  # override reason "short extension" on the does-not-meet card
    status: int = 200
    patient: str | None = None  # the context's patientId (default: the chart's Patient)
    fhir_server: bool = False  # no prefetch: the chart (and Medications) are on the FHIR test server
    on_server: list[dict[str, Any]] = field(default_factory=list)  # more resources only the server holds
    lang: str = "en"


MEETS = ("order-meets-criteria", "info")
NOT_MET = ("order-does-not-meet-criteria", "warning")
PLAN = ("plan-igg-monitoring", "info")
CHILD = ("child-individual-assessment", "info")


def ivig(pid: str, start: str = "2026-01-20", rid: str | None = None, **kw: Any) -> dict[str, Any]:
    return draft(pid, rid or f"draft-ivig-{pid}", kw.pop("medication", IVIG), start, **kw)


def running_ig(pid: str, start: str, end: str | None = None, status: str = "active", rid: str = "") -> dict[str, Any]:
    return order(pid, rid or f"ig-{pid}-{start}", IVIG, start, end=end, status=status)


LOW = (("2026-01-13", 3.2),)


def cases() -> list[Case]:
    c: list[Case] = []
    add = c.append
    # (a) inside the window, IgG < 4: start regardless of infections, to be stopped at T0 + 6 months
    add(Case("a-ivig-low-igg-in-window", "start criterion met; stop attempt on the stop date, offered as the end",
             chart("a1", iggs=LOW), "2026-01-20", [ivig("a1")], [MEETS], ends={"draft-ivig-a1": STOP},
             says=(STOP, "3.2 g/L")))
    add(Case("a-ivig-low-igg-sepsis-since-t0", "met; the general stop criteria apply (infections before its start): "
             "no end on the stop date", chart("a2", iggs=LOW, infections=(("2025-12-20", "sepsis"),)), "2026-01-20",
             [ivig("a2")], [MEETS], ends={"draft-ivig-a2": None}, never_says=(STOP,)))
    add(Case("a-ivig-low-igg-in-window-da", "as a-ivig-low, in Danish", chart("a3", iggs=LOW), "2026-01-20",
             [ivig("a3")], [MEETS], ends={"draft-ivig-a3": STOP}, says=(STOP, "IgG"), lang="da"))
    add(Case("a-late-in-window", "met, but the special criterion ends on the stop date within 30 days",
             chart("a4", iggs=(("2026-04-25", 3.0),)), "2026-05-01", [ivig("a4", "2026-05-01")], [MEETS],
             ends={"draft-ivig-a4": STOP}, says=(STOP,)))
    add(Case("a-igg-below-4-comparator-free-3-99", "3.99 < 4: met", chart("a5", iggs=(("2026-01-13", 3.99),)),
             "2026-01-20", [ivig("a5")], [MEETS]))
    # (b) IgG >= 4
    add(Case("b-igg-4-8", "not met; 4-6 g/L: the general SID criteria for IgG < 6 apply (§4.1 last paragraph)",
             chart("b1", iggs=(("2026-01-13", 4.8),)), "2026-01-20", [ivig("b1")], [NOT_MET], says=("6 g/L",),
             extension_offered=False))
    add(Case("b-igg-exactly-4", "not met (the criterion is < 4)", chart("b2", iggs=(("2026-01-13", 4.0),)),
             "2026-01-20", [ivig("b2")], [NOT_MET]))
    add(Case("b-igg-7-5", "not met", chart("b3", iggs=(("2026-01-13", 7.5),)), "2026-01-20", [ivig("b3")],
             [NOT_MET], igg_order=False))
    # (c) no IgG recent enough (30 days in the window, 90 after it)
    add(Case("c-only-baseline-before-t0", "not met: no IgG since T0; suggest an IgG order",
             chart("c1", iggs=(("2025-10-28", 3.0),)), "2026-01-20", [ivig("c1")], [NOT_MET], igg_order=True))
    add(Case("c-no-igg-at-all", "not met: no IgG; suggest an IgG order", chart("c2"), "2026-01-20", [ivig("c2")],
             [NOT_MET], igg_order=True))
    add(Case("c-stale-low-in-window", "a stale IgG < 4 inside the window still supports the start (its age shown)",
             chart("c3", iggs=(("2025-12-01", 3.0),)), "2026-01-20", [ivig("c3")], [MEETS],
             ends={"draft-ivig-c3": STOP}))
    add(Case("c-stale-above-4-in-window", "not met: a stale IgG >= 4; measure IgG again",
             chart("c4", iggs=(("2025-12-01", 4.5),)), "2026-01-20", [ivig("c4")], [NOT_MET], igg_order=True))
    # (d) after the window: IgG < 4 and severe or recurrent verified bacterial infections
    after = "2026-07-01"
    add(Case("d-after-window-recurrent-pneumonia", "general criteria met",
             chart("d1", iggs=(("2026-06-20", 3.0),), infections=(("2026-03-01", "pneumonia"), ("2026-05-01", "pneumonia"))),
             after, [ivig("d1", after)], [MEETS], never_says=(STOP,)))
    add(Case("d-after-window-sepsis", "general criteria met (a severe infection)",
             chart("d2", iggs=(("2026-06-20", 3.0),), infections=(("2026-06-01", "sepsis"),)), after,
             [ivig("d2", after)], [MEETS]))
    add(Case("d-after-window-no-infections", "not met: IgG alone does not suffice after the window (§4.3)",
             chart("d3", iggs=(("2026-06-20", 3.0),)), after, [ivig("d3", after)], [NOT_MET], igg_order=False,
             extension_offered=False))
    add(Case("d-after-window-infections-old-igg", "not met: no IgG in 90 days; measure it",
             chart("d4", iggs=(("2026-02-01", 3.0),), infections=(("2026-06-01", "sepsis"),)), after,
             [ivig("d4", after)], [NOT_MET], igg_order=True))
    add(Case("d-after-window-igg-5", "not met; the general SID criteria for IgG < 6 are named",
             chart("d5", iggs=(("2026-06-20", 5.0),), infections=(("2026-06-01", "sepsis"),)), after,
             [ivig("d5", after)], [NOT_MET], says=("6 g/L",)))
    # (e) continuing an order around the 6-month stop attempt
    cont = (("2025-11-28", 3.1),)
    add(Case("e-continuation-before-stop", "continuation met; end on the stop date suggested",
             chart("e1", iggs=cont, orders=(running_ig("e1", "2025-12-01"),)), "2026-04-20",
             [ivig("e1", "2026-04-20")], [MEETS], ends={"draft-ivig-e1": STOP}))
    add(Case("e-continuation-days-before-stop", "continuation met; end on the stop date",
             chart("e2", iggs=cont, orders=(running_ig("e2", "2025-12-01"),)), "2026-05-10",
             [ivig("e2", "2026-05-10")], [MEETS], ends={"draft-ivig-e2": STOP}))
    add(Case("e-continuation-after-stop", "not met: the stop attempt is due; a short extension is an override",
             chart("e3", iggs=cont, orders=(running_ig("e3", "2025-12-01"),)), "2026-05-25",
             [ivig("e3", "2026-05-25")], [NOT_MET], extension_offered=True))
    add(Case("e-continuation-starting-after-stop", "drafted before the stop date, starting after it: not met",
             chart("e4", iggs=cont, orders=(running_ig("e4", "2025-12-01"),)), "2026-05-10",
             [ivig("e4", "2026-06-01")], [NOT_MET], extension_offered=True))
    add(Case("e-continuation-ig-before-t0", "on Ig before T0: general stop criteria; continuation met, no stop-date end",
             chart("e5", iggs=(("2025-06-01", 3.0),), orders=(running_ig("e5", "2025-06-10"),)), "2026-01-20",
             [ivig("e5")], [MEETS], ends={"draft-ivig-e5": None}, says=("general SID criteria",)))
    # (f) a restart after a stop follows the general criteria, also inside the window (§4.3)
    stopped = running_ig("f1", "2025-12-01", end="2026-02-01", status="completed")
    # a restart inside the window extends nothing past the stop date: no short extension (§4.2) to offer
    add(Case("f-restart-in-window-no-infections", "not met: a restart needs severe/recurrent infections",
             chart("f1", iggs=(("2025-11-28", 3.1), ("2026-03-20", 3.0)), orders=(stopped,)), "2026-03-25",
             [ivig("f1", "2026-03-25")], [NOT_MET], extension_offered=False))
    stopped2 = running_ig("f2", "2025-12-01", end="2026-02-01", status="completed")
    add(Case("f-restart-in-window-recurrent", "general criteria met; no stop-date end",
             chart("f2", iggs=(("2025-11-28", 3.1), ("2026-03-20", 3.0)), orders=(stopped2,),
                   infections=(("2026-02-20", "pneumonia"), ("2026-03-10", "pneumonia"))), "2026-03-25",
             [ivig("f2", "2026-03-25")], [MEETS], ends={"draft-ivig-f2": None}, never_says=(STOP,)))
    stopped3 = running_ig("f3", "2025-12-01", end=STOP, status="completed")
    add(Case("f-restart-after-stop-no-infections", "not met; antibiotic prophylaxis may be tried",
             chart("f3", iggs=(("2025-11-28", 3.1), ("2026-06-25", 3.5)), orders=(stopped3,)), after,
             [ivig("f3", after)], [NOT_MET]))
    # (g) a child: individual assessment, no adult thresholds
    add(Case("g-child-car-t-ivig", "child: individual assessment, one info card",
             chart("g1", born="2014-02-01", iggs=(("2026-01-13", 5.5),)), "2026-01-20", [ivig("g1")], [CHILD]))
    add(Case("g-child-bsab-order", "child: individual assessment", chart("g2", born="2014-02-01", car_t_on=None),
             "2026-01-20", [draft("g2", "draft-tec-g2", TECLISTAMAB, "2026-01-22")], [CHILD]))
    # (h) SCIG
    add(Case("h-scig-low-igg", "as IVIG: met, end on the stop date", chart("h1", iggs=LOW), "2026-01-20",
             [ivig("h1", medication=SCIG)], [MEETS], ends={"draft-ivig-h1": STOP}))
    add(Case("h-scig-high-igg", "not met", chart("h2", iggs=(("2026-01-13", 8.0),)), "2026-01-20",
             [ivig("h2", medication=SCIG)], [NOT_MET]))
    # (i) a draft for another patient
    add(Case("i-other-patients-draft-beside-own", "own draft judged; the other patient's draft never judged, named",
             chart("i1", iggs=LOW), "2026-01-20", [ivig("i1"), ivig("zz-other", rid="draft-ivig-other")], [MEETS],
             says=("another patient",)))
    add(Case("i-only-other-patients-draft", "a 400 naming it", chart("i2", iggs=LOW), "2026-01-20",
             [ivig("zz-other")], [], status=400))
    # (j) several drafts at once
    add(Case("j-ivig-and-bsab", "IVIG judged (met) and the bsAb gets IgG monitoring advice",
             chart("j1", iggs=LOW), "2026-01-20",
             [ivig("j1"), draft("j1", "draft-tec-j1", TECLISTAMAB, "2026-01-22")], [MEETS, PLAN]))
    add(Case("j-ivig-and-igg-lab-no-igg", "not met for want of IgG; the drafted IgG order is not suggested again",
             chart("j2"), "2026-01-20", [ivig("j2"), igg_lab("j2", "draft-igg-j2", "2026-01-20")], [NOT_MET],
             igg_order=False))
    add(Case("j-two-ig-drafts", "one card per immunoglobulin draft, no card twice for one draft",
             chart("j3", iggs=LOW), "2026-01-20", [ivig("j3"), ivig("j3", rid="draft-scig-j3", medication=SCIG)],
             [MEETS, MEETS]))
    add(Case("j-paracetamol-only", "nothing to say", chart("j4", iggs=LOW), "2026-01-20",
             [draft("j4", "draft-para-j4", PARACETAMOL, "2026-01-20")], []))
    # (k) order-select comments on the selections only; order-sign on every draft
    both = [ivig("k1"), draft("k1", "draft-tec-k1", TECLISTAMAB, "2026-01-22")]
    add(Case("k-select-ivig", "only the selected IVIG", chart("k1", iggs=LOW), "2026-01-20", both, [MEETS],
             hook="order-select", selections=["MedicationRequest/draft-ivig-k1"]))
    add(Case("k-select-bsab", "only the selected bsAb", chart("k1", iggs=LOW), "2026-01-20", both, [PLAN],
             hook="order-select", selections=["MedicationRequest/draft-tec-k1"]))
    add(Case("k-select-paracetamol", "the selection needs no advice", chart("k2", iggs=LOW), "2026-01-20",
             [ivig("k2"), draft("k2", "draft-para-k2", PARACETAMOL, "2026-01-20")], [], hook="order-select",
             selections=["MedicationRequest/draft-para-k2"]))
    add(Case("k-sign-both", "order-sign: every draft", chart("k1", iggs=LOW), "2026-01-20", both, [MEETS, PLAN]))
    # (l) a dose / period in odd units
    add(Case("l-bounds-duration-10-months", "met; 10 months runs past the stop date: end on it",
             chart("l1", iggs=LOW), "2026-01-20",
             [draft("l1", "draft-ivig-l1", IVIG, None, authored="2026-01-20",
                    dosageInstruction=[{"timing": {"repeat": {"boundsDuration": {"value": 10, "unit": "months",
                                                                                  "system": "http://unitsofmeasure.org", "code": "mo"},
                                                              "frequency": 1, "period": 4, "periodUnit": "wk"}},
                                        "doseAndRate": [{"doseQuantity": {"value": 0.4, "unit": "g/kg"}}]}])],
             [MEETS], ends={"draft-ivig-l1": STOP}))
    add(Case("l-bounds-end-before-stop", "met; it already ends before the stop date: no later end offered",
             chart("l2", iggs=LOW), "2026-01-20", [ivig("l2", end="2026-04-01")], [MEETS], ends={"draft-ivig-l2": None}))
    add(Case("l-bounds-duration-8-weeks", "met; 8 weeks end before the stop date",
             chart("l3", iggs=LOW), "2026-01-20",
             [draft("l3", "draft-ivig-l3", IVIG, None, authored="2026-01-20",
                    dosageInstruction=[{"timing": {"repeat": {"boundsDuration": {"value": 8, "unit": "weeks",
                                                                                  "system": "http://unitsofmeasure.org", "code": "wk"} }}}])],
             [MEETS], ends={"draft-ivig-l3": None}))
    add(Case("l-bounds-duration-one-year", "met; a year runs past the stop date: end on it",
             chart("l4", iggs=LOW), "2026-01-20",
             [draft("l4", "draft-ivig-l4", IVIG, None, authored="2026-01-20",
                    dosageInstruction=[{"timing": {"repeat": {"boundsDuration": {"value": 1, "unit": "year",
                                                                                  "system": "http://unitsofmeasure.org", "code": "a"}}},
                                        "doseAndRate": [{"doseQuantity": {"value": 30, "unit": "g",
                                                                          "system": "http://unitsofmeasure.org", "code": "g"}}]}])],
             [MEETS], ends={"draft-ivig-l4": STOP}))
    add(Case("l-bounds-duration-4-hours", "one infusion (bounded to 4 h) ends the day it starts: no later end offered",
             chart("l5", iggs=LOW), "2026-01-20",
             [draft("l5", "draft-ivig-l5", IVIG, "2026-01-20",
                    dosageInstruction=[{"timing": {"repeat": {"boundsDuration": {"value": 4, "unit": "h",
                                                                                  "system": "http://unitsofmeasure.org", "code": "h"}}}}])],
             [MEETS], ends={"draft-ivig-l5": None}))
    add(Case("l-bounds-duration-danish-months", "10 måneder runs past the stop date: end on it",
             chart("l6", iggs=LOW), "2026-01-20",
             [draft("l6", "draft-ivig-l6", IVIG, "2026-01-20",
                    dosageInstruction=[{"timing": {"repeat": {"boundsDuration": {"value": 10, "unit": "måneder"}}}}])],
             [MEETS], ends={"draft-ivig-l6": STOP}))
    add(Case("l-bounds-duration-unreadable", "a length nobody can read is not replaced by a suggested end; it is named",
             chart("l7", iggs=LOW), "2026-01-20",
             [draft("l7", "draft-ivig-l7", IVIG, "2026-01-20",
                    dosageInstruction=[{"timing": {"repeat": {"boundsDuration": {"value": 3, "unit": "kure"}}}}])],
             [MEETS], ends={"draft-ivig-l7": None}, says=("3 kure",)))
    # (m) a bsAb start drafted while on immunoglobulin
    add(Case("m-bsab-start-on-ig", "IgG monitoring; the Ig follows the general stop criteria (on it before T0)",
             chart("m1", car_t_on=None, iggs=(("2026-01-10", 7.0),), orders=(running_ig("m1", "2025-09-01"),)),
             "2026-01-20", [draft("m1", "draft-epc-m1", EPCORITAMAB, "2026-01-25")], [PLAN], igg_order=False,
             says=("general",)))
    add(Case("m-bsab-start-no-igg", "IgG monitoring with a baseline IgG order", chart("m2", car_t_on=None),
             "2026-01-20", [draft("m2", "draft-tec-m2", TECLISTAMAB, "2026-01-25")], [PLAN], igg_order=True))
    add(Case("m-bsab-start-igg-drafted", "IgG monitoring; the drafted IgG order is not suggested again",
             chart("m3", car_t_on=None), "2026-01-20",
             [draft("m3", "draft-tec-m3", TECLISTAMAB, "2026-01-25"), igg_lab("m3", "draft-igg-m3", "2026-01-20")],
             [PLAN], igg_order=False))
    add(Case("m-bsab-step-up-doses-drafted-apart", "one course, one card: the window runs from the first dose; "
             "one IgG order", chart("m4", car_t_on=None), "2026-01-20",
             [draft("m4", f"draft-tec-m4-{n}", TECLISTAMAB, day)
              for n, day in enumerate(("2026-01-26", "2026-01-22", "2026-01-24"))],
             [PLAN], igg_order=True, says=("2026-07-22",)))
    # (n) a CAR-T product ordered while IgG < 4: no infusion yet, so no start criterion yet
    add(Case("n-car-t-ordered-igg-low", "IgG monitoring from the infusion; no start advice before the infusion",
             chart("n1", car_t_on=None, iggs=(("2026-01-10", 3.0),)), "2026-01-20",
             [draft("n1", "draft-axicel-n1", AXI_CEL, "2026-02-15")], [PLAN]))
    # (o) drafts whose status is not draft
    add(Case("o-cancelled-ivig", "a cancelled order is not judged", chart("o1", iggs=LOW), "2026-01-20",
             [ivig("o1", status="cancelled")], []))
    add(Case("o-entered-in-error-ivig", "not judged", chart("o2", iggs=LOW), "2026-01-20",
             [ivig("o2", status="entered-in-error")], []))
    add(Case("o-stopped-ivig-signed", "a discontinued order is not a start: no card, no suggestion to lengthen it",
             chart("o4", iggs=LOW), "2026-01-20", [ivig("o4", status="stopped")], []))
    add(Case("o-cancelled-bsab-beside-ivig", "the cancelled bsAb gets no card and opens no window on the IVIG card",
             chart("o5", iggs=LOW), "2026-01-20",
             [ivig("o5"), draft("o5", "draft-tec-o5", TECLISTAMAB, "2026-01-22", status="cancelled")], [MEETS],
             never_says=("Teclistamab",)))
    add(Case("o-active-ivig-re-signed", "a re-signed active order is judged as on order-sign",
             chart("o3", iggs=(("2026-01-13", 7.0),)), "2026-01-20", [ivig("o3", status="active")], [NOT_MET]))
    # (p) the medication only as a reference
    contained = draft("p1", "draft-ivig-p1", {}, "2026-01-20",
                      contained=[{"resourceType": "Medication", "id": "med", "code": IVIG}],
                      medicationReference={"reference": "#med"})
    add(Case("p-contained-medication", "judged as IVIG", chart("p1", iggs=LOW), "2026-01-20", [contained], [MEETS],
             ends={"draft-ivig-p1": STOP}))
    on_server = draft("p2", "draft-ivig-p2", {}, "2026-01-20", medicationReference={"reference": "Medication/m-ivig-p2"})
    add(Case("p-medication-on-fhir-server", "judged as IVIG, read from fhirServer", chart("p2", iggs=LOW),
             "2026-01-20", [on_server], [MEETS], fhir_server=True,
             on_server=[{"resourceType": "Medication", "id": "m-ivig-p2", "code": IVIG}]))
    add(Case("p-chart-on-fhir-server-not-met", "no prefetch: the chart read from fhirServer; not met (IgG 7.5)",
             chart("p3", iggs=(("2026-01-13", 7.5),)), "2026-01-20", [ivig("p3")], [NOT_MET], fhir_server=True))
    add(Case("p-chart-on-fhir-server-after-window", "no prefetch; after the window with recurrent infections: met",
             chart("p4", iggs=(("2026-06-20", 3.0),), infections=(("2026-03-01", "pneumonia"), ("2026-05-01", "pneumonia"))),
             after, [ivig("p4", after)], [MEETS], fhir_server=True))
    # scope
    add(Case("s-no-malignancy", "out of scope (no haematological malignancy): no card",
             chart("s1", iggs=LOW, malignancy=False), "2026-01-20", [ivig("s1")], []))
    add(Case("s-no-index-event", "no CAR-T/bsAb: this guideline says nothing", chart("s2", car_t_on=None, iggs=LOW),
             "2026-01-20", [ivig("s2")], []))
    dead = chart("s4", iggs=LOW)
    dead[0]["deceasedDateTime"] = "2026-01-15"
    add(Case("s-deceased", "no advice for a patient who has died", dead, "2026-01-20", [ivig("s4")], []))
    add(Case("s-igg-lab-of-another-patient", "another patient's IgG order does not stand in for this patient's",
             chart("s5"), "2026-01-20", [ivig("s5"), igg_lab("zz-other", "draft-igg-other", "2026-01-20")], [NOT_MET],
             igg_order=True, says=("another patient",)))
    add(Case("s-igg-lab-only", "an IgG order needs no advice", chart("s3", iggs=LOW), "2026-01-20",
             [igg_lab("s3", "draft-igg-s3", "2026-01-20")], []))
    return c
