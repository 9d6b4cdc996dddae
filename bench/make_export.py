"""Write a synthetic FHIR Bulk Data export (NDJSON) for worklist benchmarks and demos.

`python -m bench.make_export N OUTDIR [--seed S] [--at DATE] [--bad-lines K] [--split LINES]`

About 30 resources per patient: everyday labs, problems and medicines for everyone; ~20%
of patients are in scope (haematological malignancy + CAR-T or a B-cell/plasma-cell
bispecific) across the situations the rules distinguish (in window with/without IgG, on
substitution before/near/after the stop date, after the window with/without infections,
children ...). Dates are placed relative to `--at`, so the worklist run on that date
meets every situation. Deterministic for a given seed. Synthetic: no real person's data.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Callable

ATC, NPU, SKS_D, ICD10, SNOMED, SKS = (
    "http://www.whocc.no/atc", "http://npu-terminology.org", "urn:oid:1.2.208.176.2.4.12",
    "http://hl7.org/fhir/sid/icd-10", "http://snomed.info/sct", "urn:oid:1.2.208.176.2.4",
)
TYPES = ("Patient", "Condition", "Observation", "Procedure", "MedicationRequest", "MedicationAdministration")

# Everyday data that the rules must skip without effort (the bulk of any real export).
LABS = [("NPU02319", "B-Haemoglobin", "mmol/L", 5.5, 9.5), ("NPU19748", "P-C-reactive protein", "mg/L", 0.5, 80),
        ("NPU18016", "P-Creatinine", "umol/L", 50, 160), ("NPU02593", "B-Leukocytes", "10*9/L", 1.0, 12.0),
        ("NPU03230", "P-Sodium", "mmol/L", 130, 146), ("NPU03429", "P-Albumin", "g/L", 28, 48)]
PROBLEMS = [("I10", "Essential hypertension"), ("E119", "Type 2 diabetes"), ("J449", "COPD"),
            ("M059", "Rheumatoid arthritis"), ("N183", "Chronic kidney disease, stage 3"), ("F329", "Depression")]
MEDICINES = [("N02BE01", "paracetamol"), ("C09AA05", "ramipril"), ("A10BA02", "metformin"),
             ("C10AA05", "atorvastatin"), ("A02BC01", "omeprazole"), ("L01FA01", "rituximab")]
MALIGNANCIES = [("DC833", "Diffuse large B-cell lymphoma", False), ("DC900", "Multiple myeloma", True),
                ("DC911", "Chronic lymphocytic leukaemia", False), ("DC910", "Acute lymphoblastic leukaemia", False),
                ("DC859", "Non-Hodgkin lymphoma", False)]
BSABS = [("L01FX24", "teclistamab"), ("L01FX27", "epcoritamab"), ("L01FX28", "glofitamab"),
         ("L01FX29", "talquetamab"), ("L01FX32", "elranatamab")]
CART_PRODUCTS = [("L01XL03", "axicabtagene ciloleucel"), ("L01XL05", "ciltacabtagene autoleucel"),
                 ("L01XL08", "lisocabtagene maraleucel")]

# In-scope situations, by weight: (name, weight).
SITUATIONS = [
    ("window-no-igg", 8), ("window-igg-low", 10), ("window-igg-stale-high", 6), ("window-igg-4-6", 6),
    ("window-igg-high", 5), ("ig-stop-planned", 10), ("ig-stop-due-soon", 6), ("ig-stop-overdue", 6),
    ("after-window-infections-low", 6), ("after-window-infections-no-igg", 4), ("after-window-low-no-infections", 10),
    ("ig-before-t0-review", 6), ("ig-after-sepsis-review", 4), ("restart-on-hold", 4), ("child", 3),
    ("after-window-nothing", 6),
]


class Patient:
    """Collects one patient's resources, with ids unique across the export."""

    def __init__(self, pid: str, rnd: random.Random, at: date) -> None:
        self.pid, self.rnd, self.at = pid, rnd, at
        self.out: dict[str, list[dict]] = {t: [] for t in TYPES}
        self.n = 0

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}-{self.pid}-{self.n}"

    def ago(self, days: int) -> date:
        return self.at - timedelta(days=days)

    def subject(self) -> dict:
        return {"reference": f"Patient/{self.pid}"}

    def patient(self, birth: date) -> None:
        self.out["Patient"].append({
            "resourceType": "Patient", "id": self.pid, "active": True, "gender": self.rnd.choice(["female", "male"]),
            "birthDate": birth.isoformat(), "name": [{"family": "Testperson", "given": [f"Synthetic {self.pid}"]}],
        })

    def condition(self, system: str, code: str, display: str, onset: date, *, severe: bool = False,
                  verified: str = "confirmed") -> None:
        resource = {
            "resourceType": "Condition", "id": self._id("cond"),
            "clinicalStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]},
            "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verified}]},
            "code": {"coding": [{"system": system, "code": code, "display": display}], "text": display},
            "subject": self.subject(), "onsetDateTime": onset.isoformat(), "recordedDate": onset.isoformat(),
        }
        if severe:
            resource["severity"] = {"coding": [{"system": SNOMED, "code": "24484000", "display": "Severe"}]}
        self.out["Condition"].append(resource)

    def lab(self, code: str, display: str, value: float, unit: str, when: date, status: str = "final") -> None:
        self.out["Observation"].append({
            "resourceType": "Observation", "id": self._id("obs"), "status": status,
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory"}]}],
            "code": {"coding": [{"system": NPU, "code": code, "display": display}], "text": display},
            "subject": self.subject(), "effectiveDateTime": f"{when.isoformat()}T08:{self.rnd.randint(0, 59):02d}:00+01:00",
            "valueQuantity": {"value": round(value, 1), "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
        })

    def igg(self, value: float, when: date) -> None:
        self.lab("NPU19814", "P-Immunoglobulin G; mass c. = ? g/L", value, "g/L", when)

    def order(self, code: str, display: str, start: date, *, status: str = "active", end: date | None = None) -> None:
        period: dict[str, Any] = {"start": start.isoformat()}
        if end is not None:
            period["end"] = end.isoformat()
        self.out["MedicationRequest"].append({
            "resourceType": "MedicationRequest", "id": self._id("mr"), "status": status, "intent": "order",
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code, "display": display}], "text": display},
            "subject": self.subject(), "authoredOn": (start - timedelta(days=1)).isoformat(),
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": period}}}],
        })

    def administration(self, code: str, display: str, when: date) -> None:
        self.out["MedicationAdministration"].append({
            "resourceType": "MedicationAdministration", "id": self._id("ma"), "status": "completed",
            "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code, "display": display}], "text": display},
            "subject": self.subject(), "effectiveDateTime": f"{when.isoformat()}T10:00:00+01:00",
        })

    def procedure(self, system: str, code: str, display: str, when: date, status: str = "completed") -> None:
        self.out["Procedure"].append({
            "resourceType": "Procedure", "id": self._id("proc"), "status": status,
            "code": {"coding": [{"system": system, "code": code, "display": display}], "text": display},
            "subject": self.subject(), "performedDateTime": f"{when.isoformat()}T11:00:00+01:00",
        })

    def ig(self, start: date, status: str = "active", end: date | None = None) -> None:
        self.order("J06BA02", "immunoglobulins, normal human, for intravascular adm.", start, status=status, end=end)


def background(p: Patient, n_resources: int) -> None:
    """Everyday labs, problems, medicines and a procedure: what the rules must ignore."""
    rnd = p.rnd
    for _ in range(rnd.randint(1, 3)):
        code, display = rnd.choice(PROBLEMS)
        p.condition(ICD10, code, display, p.ago(rnd.randint(200, 4000)))
    for _ in range(rnd.randint(1, 3)):
        code, display = rnd.choice(MEDICINES)
        p.order(code, display, p.ago(rnd.randint(10, 900)), status=rnd.choice(["active", "completed", "stopped"]))
    if rnd.random() < 0.5:
        p.procedure(SNOMED, "73761001", "Colonoscopy", p.ago(rnd.randint(30, 2000)))
    while sum(map(len, p.out.values())) < n_resources:
        code, display, unit, low, high = rnd.choice(LABS)
        p.lab(code, display, rnd.uniform(low, high), unit, p.ago(rnd.randint(0, 720)))


def index_event(p: Patient, t0: date) -> None:
    """A CAR-T infusion (procedure or administration) or a bsAb start on t0."""
    rnd = p.rnd
    kind = rnd.random()
    if kind < 0.4:
        p.procedure(SNOMED, "1156961008", "Chimeric antigen receptor T-cell immunotherapy", t0)
    elif kind < 0.55:
        code, display = rnd.choice(CART_PRODUCTS)
        p.administration(code, display, t0)
    else:
        code, display = rnd.choice(BSABS)
        p.order(code, display, t0)


def in_scope(p: Patient, situation: str) -> None:
    rnd = p.rnd
    code, display, _myeloma = rnd.choice(MALIGNANCIES)
    p.condition(SKS_D, code, display, p.ago(rnd.randint(400, 3000)))
    days_in = {  # days since T0, by situation
        "window-no-igg": (5, 170), "window-igg-low": (20, 170), "window-igg-stale-high": (60, 170),
        "window-igg-4-6": (20, 170), "window-igg-high": (20, 170), "ig-stop-planned": (40, 150),
        "ig-stop-due-soon": (168, 181), "ig-stop-overdue": (185, 300), "after-window-infections-low": (200, 500),
        "after-window-infections-no-igg": (200, 500), "after-window-low-no-infections": (200, 600),
        "ig-before-t0-review": (20, 400), "ig-after-sepsis-review": (200, 400), "restart-on-hold": (60, 160),
        "child": (20, 300), "after-window-nothing": (200, 700),
    }[situation]
    since = rnd.randint(*days_in)
    t0 = p.ago(since)
    index_event(p, t0)
    fresh = lambda: p.ago(rnd.randint(0, min(25, since)))  # noqa: E731
    if situation == "window-igg-low":
        p.igg(rnd.uniform(1.0, 3.9), fresh())
    elif situation == "window-igg-stale-high":
        p.igg(rnd.uniform(4.2, 5.8), p.ago(rnd.randint(35, since)))
    elif situation == "window-igg-4-6":
        p.igg(rnd.uniform(4.1, 5.9), fresh())
    elif situation == "window-igg-high":
        p.igg(rnd.uniform(6.2, 9.0), fresh())
    elif situation in ("ig-stop-planned", "ig-stop-due-soon", "ig-stop-overdue"):
        start = t0 + timedelta(days=rnd.randint(7, 30))
        p.igg(rnd.uniform(1.5, 3.8), start - timedelta(days=2))
        p.ig(start)
        p.igg(rnd.uniform(5.0, 8.0), p.ago(rnd.randint(1, 20)))
    elif situation == "after-window-infections-low":
        p.condition(ICD10, "J15.9", "Bacterial pneumonia", p.ago(rnd.randint(10, 60)), severe=True)
        p.igg(rnd.uniform(1.5, 3.9), p.ago(rnd.randint(0, 60)))
    elif situation == "after-window-infections-no-igg":
        p.condition(ICD10, "A41.9", "Sepsis", p.ago(rnd.randint(10, 200)))
        if rnd.random() < 0.5:
            p.igg(rnd.uniform(1.5, 3.9), p.ago(rnd.randint(120, since)))
    elif situation == "after-window-low-no-infections":
        p.igg(rnd.uniform(1.5, 3.9), p.ago(rnd.randint(0, since - 10)))
    elif situation == "ig-before-t0-review":
        p.ig(t0 - timedelta(days=rnd.randint(60, 700)))
        p.igg(rnd.uniform(6, 9), p.ago(rnd.randint(1, 30)))
    elif situation == "ig-after-sepsis-review":
        p.condition(ICD10, "A41.9", "Sepsis", t0 + timedelta(days=10))
        p.igg(rnd.uniform(1.5, 3.9), t0 + timedelta(days=12))
        p.ig(t0 + timedelta(days=14))
    elif situation == "restart-on-hold":
        p.igg(rnd.uniform(1.5, 3.9), t0 + timedelta(days=10))
        p.ig(t0 + timedelta(days=14), status="on-hold")
        p.igg(rnd.uniform(2.0, 3.9), p.ago(rnd.randint(0, 20)))
    elif situation == "child":
        p.igg(rnd.uniform(1.5, 5.0), fresh())


def out_of_scope(p: Patient) -> None:
    """Most patients: nothing of interest; some near misses the rules must not count."""
    rnd = p.rnd
    roll = rnd.random()
    if roll < 0.08:  # haematological malignancy, no CAR-T/bsAb
        code, display, _ = rnd.choice(MALIGNANCIES)
        p.condition(SKS_D, code, display, p.ago(rnd.randint(100, 3000)))
        p.igg(rnd.uniform(2.0, 9.0), p.ago(rnd.randint(0, 300)))
    elif roll < 0.11:  # bsAb for an autoimmune disease: no malignancy, out of scope
        p.condition(ICD10, "M32.9", "Systemic lupus erythematosus", p.ago(rnd.randint(400, 3000)))
        p.order("L01FX24", "teclistamab", p.ago(rnd.randint(10, 200)))
    elif roll < 0.13:  # CAR-T ordered, not infused
        code, display, _ = rnd.choice(MALIGNANCIES)
        p.condition(SKS_D, code, display, p.ago(rnd.randint(100, 3000)))
        p.procedure(SNOMED, "1156961008", "Chimeric antigen receptor T-cell immunotherapy", p.ago(-10), status="preparation")


def make_patient(i: int, rnd: random.Random, at: date) -> Patient:
    p = Patient(f"p{i:07d}", rnd, at)
    situation = rnd.choices([s for s, _ in SITUATIONS], [w for _, w in SITUATIONS])[0] if rnd.random() < 0.2 else None
    age = rnd.randint(8, 16) if situation == "child" else rnd.randint(25, 88)
    p.patient(at - timedelta(days=365 * age + rnd.randint(0, 364)))
    if situation:
        in_scope(p, situation)
    else:
        out_of_scope(p)
    background(p, rnd.randint(26, 34))
    return p


class Writer:
    """Appends to Type.ndjson, or Type.000.ndjson, Type.001.ndjson ... with `split` lines each."""

    def __init__(self, outdir: Path, split: int | None) -> None:
        self.outdir, self.split = outdir, split
        self.handles: dict[str, Any] = {}
        self.counts: dict[str, int] = {}

    def write(self, kind: str, line: str) -> None:
        n = self.counts.get(kind, 0)
        if kind not in self.handles or (self.split and n and n % self.split == 0):
            if kind in self.handles:
                self.handles[kind].close()
            name = f"{kind}.{n // self.split:03d}.ndjson" if self.split else f"{kind}.ndjson"
            self.handles[kind] = open(self.outdir / name, "w", encoding="utf-8")
        self.handles[kind].write(line + "\n")
        self.counts[kind] = n + 1

    def close(self) -> None:
        for fh in self.handles.values():
            fh.close()


def make_export(n: int, outdir: str | Path, seed: int = 2025, at: date = date(2026, 3, 1), bad_lines: int = 0,
                split: int | None = None, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Write the export; returns lines written per resource type."""
    out = Path(outdir)
    out.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    writer = Writer(out, split)
    dumps = lambda r: json.dumps(r, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
    try:
        for i in range(n):
            p = make_patient(i, rnd, at)
            for kind in TYPES:
                for resource in p.out[kind]:
                    writer.write(kind, dumps(resource))
            if progress:
                progress(i)
        for j in range(bad_lines):  # what real exports contain now and then
            if j % 2 == 0:
                writer.write("Observation", '{"resourceType": "Observation", "id": "truncated')
            else:
                writer.write("Observation", dumps({"resourceType": "Observation", "id": f"orphan-{j}", "status": "final",
                                                   "code": {"text": "no subject"}}))
    finally:
        writer.close()
    return dict(writer.counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, help="number of patients")
    parser.add_argument("outdir")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--at", type=date.fromisoformat, default=date(2026, 3, 1), help="dates are placed relative to this day")
    parser.add_argument("--bad-lines", type=int, default=0, help="append this many broken Observation lines")
    parser.add_argument("--split", type=int, default=None, help="lines per file (Type.000.ndjson ...)")
    args = parser.parse_args()
    counts = make_export(args.n, args.outdir, args.seed, args.at, args.bad_lines, args.split)
    print(f"wrote {sum(counts.values())} resources for {args.n} patients to {args.outdir}: "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
