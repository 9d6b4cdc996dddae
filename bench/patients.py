"""Distinct synthetic patients for the load benchmark: every request a chart the service has not seen.

Why: a benchmark that sends one body again and again measures a chart opened for the
hundredth time (every content-keyed cache warm). A user meets a stream of different
patients. So `cohort()` builds many patients from the shipped fixtures' resources (same
Danish codes: ICD-10/SKS diagnoses and procedures, ATC medicines, NPU IgG), each with its own
ids, CPR number, dates and values, deterministically from a seed; and the load generator
(`cycle.lua`) writes a fresh revision number into every resource's `meta.versionId`, the
patient's id and the hook instance of every request it sends, so that no two requests carry
the same bytes even when it cycles through the cohort again.

Three kinds (the advice each patient must get is checked, in process and over HTTP):

- `in-scope`: CAR-T (SKS BOQX1 procedure + ATC CAR-T product order) 30-160 days before the
  evaluation date, IgG since the infusion below 4 g/L within the last 3 weeks
  -> `start-substitution`; ~20 resources (IgG before T0, other labs, other diagnoses).
- `out-of-scope`: rituximab only, no CAR-T or bispecific -> no card; ~20 resources.
- `in-scope-200-igg`: as in-scope with 200 IgG results (a long history).
- `in-scope-300-results`: as in-scope with 300 more everyday results (blood counts, CRP, creatinine, sodium,
  albumin) the rules do not read: an EHR whose FHIR server ignores the prefetch's `code=` sends them all, and
  each is named on the explanation page as seen and not used.
- `after-window-cultures`: CAR-T 8-16 months before, IgG below 4 g/L, two pneumonias coded without
  an organism (DJ189), each with a blood culture the laboratory reported only as Danish free text
  (a few hundred characters: growth, resistance, what was not found) -> `start-meets-general-criteria`;
  the culture-text reader's cost on every request.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import orjson

from cds_service.tools.replay import load_bundle, request_for

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fhir_fixtures"
FHIR_BASE = "https://fhir.sp.regionh.example.dk/api/FHIR/R4"
EVALUATION_DATE = date(2026, 1, 20)

# Written by the load generator with a number unique to the request (see cycle.lua); the
# in-process check writes "0". It stands where a FHIR server's revision counter would.
MARK = "@REV@"

FAMILY = ["Jensen", "Nielsen", "Hansen", "Pedersen", "Andersen", "Christensen", "Larsen", "Sørensen",
          "Rasmussen", "Jørgensen", "Petersen", "Madsen", "Kristensen", "Olsen", "Thomsen", "Poulsen"]
GIVEN = {"male": ["Henrik", "Jens", "Peter", "Lars", "Søren", "Niels", "Mikkel", "Anders"],
         "female": ["Anne", "Kirsten", "Hanne", "Mette", "Lene", "Susanne", "Birgitte", "Ida"]}
CITIES = ["København", "Aarhus", "Odense", "Aalborg", "Roskilde", "Esbjerg", "Hillerød", "Vejle"]
CART_PRODUCTS = [("L01XL03", "axicabtagene ciloleucel", "Yescarta"), ("L01XL04", "tisagenlecleucel", "Kymriah"),
                 ("L01XL08", "lisocabtagene maraleucel", "Breyanzi")]
LYMPHOMAS = [("DC833", "Diffust storcellet B-celle lymfom"), ("DC829", "Follikulært lymfom, uspecificeret"),
             ("DC831", "Mantlecellelymfom")]
# Diagnoses that are neither haematological malignancy nor infection (ICD-10 via SKS).
OTHER_CONDITIONS = [("DI109", "Essentiel hypertension"), ("DE119", "Type 2-diabetes uden komplikationer"),
                    ("DJ449", "Kronisk obstruktiv lungesygdom"), ("DE039", "Hypothyreose"), ("DM179", "Knæartrose"),
                    ("DK219", "Gastro-øsofageal refluks"), ("DF329", "Depressiv enkeltepisode"),
                    ("DN183", "Kronisk nyresygdom stadium 3"), ("DE785", "Hyperlipidæmi"), ("DG473", "Søvnapnø")]
# Laboratory results outside the IgG / M-protein value sets (NPU): (code, display, unit, low, high).
OTHER_RESULTS = [("NPU02319", "B—Hæmoglobin; stofk. = ? mmol/L", "mmol/L", 5.5, 9.5),
                 ("NPU19748", "P—C-reaktivt protein; massek. = ? mg/L", "mg/L", 0.5, 60.0),
                 ("NPU18016", "P—Kreatinin; stofk. = ? µmol/L", "umol/L", 50.0, 160.0),
                 ("NPU02593", "B—Leukocytter; antalk. = ? × 10⁹/L", "10*9/L", 1.0, 12.0),
                 ("NPU03230", "P—Natrium; stofk. = ? mmol/L", "mmol/L", 130.0, 146.0),
                 ("NPU19673", "P—Albumin; massek. = ? g/L", "g/L", 28.0, 48.0)]

KINDS = {"in-scope": ("start-substitution",), "out-of-scope": (), "in-scope-200-igg": ("start-substitution",),
         "in-scope-300-results": ("start-substitution",),
         "after-window-cultures": ("start-meets-general-criteria",)}
# Blood-culture growth as a Danish laboratory writes it: (organism as written, resistance line).
CULTURE_GROWTH = [("Streptococcus pneumoniae", "Penicillin S, Erythromycin S, Cefuroxim S"),
                  ("Escherichia coli", "Ampicillin R, Cefuroxim S, Gentamicin S, Ciprofloxacin S. ESBL negativ"),
                  ("Haemophilus influenzae", "Ampicillin S, Amoxicillin/clavulansyre S. Betalaktamase negativ"),
                  ("Staphylococcus aureus", "Dicloxacillin S, Clindamycin S, Rifampicin S. MRSA ikke påvist"),
                  ("Klebsiella pneumoniae", "Piperacillin/tazobactam S, Meropenem S, Ciprofloxacin S. ESBL negativ")]


@dataclass(frozen=True)
class Chart:
    """One generated patient: the request body (with MARKs), its resource count, the cards it must get."""

    patient_id: str
    body: bytes
    resources: int
    expected_cards: tuple[str, ...]

    def sendable(self, rev: str = "0") -> bytes:
        """The body as the load generator sends it, with `rev` written in place of every MARK."""
        return self.body.replace(MARK.encode(), rev.encode())


def _fixture(name: str) -> dict[str, dict[str, Any]]:
    """A fixture's resources by id."""
    return {e["resource"]["id"]: e["resource"] for e in load_bundle(FIXTURES / f"{name}.json")["entry"]}


def _day(d: date, rnd: random.Random, hour: int = 8) -> str:
    return f"{d.isoformat()}T{hour:02d}:{rnd.randrange(60):02d}:00+01:00"


class _Builder:
    """One patient's resources: ids unique in the cohort, the patient's reference everywhere."""

    def __init__(self, n: int, rnd: random.Random) -> None:
        self.rnd = rnd
        self.pid = f"pt-bench-{n:05d}-r{MARK}"
        self.n = n
        self.resources: list[dict[str, Any]] = []

    def add(self, template: dict[str, Any], rid: str, **fields: Any) -> dict[str, Any]:
        r = copy.deepcopy(template)
        r.update(fields)
        r["id"] = f"{rid}-{self.n:05d}"
        r["meta"] = {"versionId": MARK, "lastUpdated": _day(EVALUATION_DATE - timedelta(days=self.rnd.randrange(1, 60)),
                                                               self.rnd), "source": "urn:oid:1.2.208.176.1.1#bench"}
        for key in ("subject", "patient"):
            if key in r:
                r[key] = {"reference": f"Patient/{self.pid}"}
        self.resources.append(r)
        return r

    def patient(self, template: dict[str, Any]) -> None:
        rnd = self.rnd
        gender = rnd.choice(("male", "female"))
        born = date(1945, 1, 1) + timedelta(days=rnd.randrange(365 * 40))
        serial = rnd.randrange(1000, 9999) // 2 * 2 + (1 if gender == "male" else 0)
        r = self.add(template, "x", gender=gender, birthDate=born.isoformat(),
                     name=[{"use": "official", "family": rnd.choice(FAMILY), "given": [rnd.choice(GIVEN[gender])]}],
                     identifier=[{"use": "official", "system": "urn:oid:1.2.208.176.1.2",
                                  "value": f"{born:%d%m%y}{serial:04d}"}],
                     address=[{"city": rnd.choice(CITIES), "country": "DK"}])
        r["id"] = self.pid

    def igg(self, template: dict[str, Any], day: date, value: float, i: int) -> None:
        r = self.add(template, f"obs-igg-{i:03d}", effectiveDateTime=_day(day, self.rnd), issued=_day(day, self.rnd, 14))
        r["valueQuantity"]["value"] = value
        flag = "L" if value < 6.1 else "N"
        r["interpretation"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                                            "code": flag, "display": "Low" if flag == "L" else "Normal"}]}]

    def other_results(self, template: dict[str, Any], count: int) -> None:
        for i in range(count):
            code, display, unit, low, high = self.rnd.choice(OTHER_RESULTS)
            day = EVALUATION_DATE - timedelta(days=self.rnd.randrange(1, 400))
            r = self.add(template, f"obs-lab-{i:03d}", effectiveDateTime=_day(day, self.rnd), issued=_day(day, self.rnd, 14),
                         code={"coding": [{"system": "http://npu-terminology.org", "code": code, "display": display}],
                               "text": display},
                         valueQuantity={"value": round(self.rnd.uniform(low, high), 1), "unit": unit,
                                        "system": "http://unitsofmeasure.org", "code": unit})
            r.pop("referenceRange", None)
            r.pop("interpretation", None)

    def other_conditions(self, template: dict[str, Any], count: int) -> None:
        for i, (code, display) in enumerate(self.rnd.sample(OTHER_CONDITIONS, count)):
            onset = (EVALUATION_DATE - timedelta(days=self.rnd.randrange(200, 6000))).isoformat()
            self.add(template, f"cond-{i:02d}", code={"coding": [{"system": "urn:oid:1.2.208.176.2.4.12", "code": code,
                                                                  "display": display}], "text": display},
                     onsetDateTime=onset, recordedDate=onset)

    def request(self) -> bytes:
        """The patient-view request an EHR sends: searchsets with id, self link and fullUrl."""
        entries = [{"fullUrl": f"{FHIR_BASE}/{r['resourceType']}/{r['id']}", "resource": r} for r in self.resources]
        request = request_for(self.pid, entries)
        for key, value in request["prefetch"].items():
            if isinstance(value, dict) and value.get("resourceType") == "Bundle":
                value["id"] = f"bench-{key}-{self.n:05d}-{MARK}"
                value["meta"] = {"lastUpdated": _day(EVALUATION_DATE, self.rnd, 7)}
                value["link"] = [{"relation": "self", "url": f"{FHIR_BASE}/{key}?patient={self.pid}&_count=1000"}]
        request["hookInstance"] = f"d2e9c3a4-{self.n:04x}-4000-8000-{MARK}"
        request["fhirServer"] = FHIR_BASE
        return orjson.dumps(request)


def _in_scope(n: int, rnd: random.Random, igg_results: int, t0: date | None = None) -> _Builder:
    fx = _fixture("cart-in-window-igg-low")
    b = _Builder(n, rnd)
    b.patient(fx["pt-dk-0001"])
    t0 = t0 or EVALUATION_DATE - timedelta(days=rnd.randrange(30, 160))
    code, display = rnd.choice(LYMPHOMAS)
    onset = (t0 - timedelta(days=rnd.randrange(150, 900))).isoformat()
    b.add(fx["cond-dlbcl-0001"], "cond-lymphoma", code={"coding": [{"system": "urn:oid:1.2.208.176.2.4.12", "code": code,
                                                                       "display": display}], "text": display},
          onsetDateTime=onset, recordedDate=onset)
    atc, inn, brand = rnd.choice(CART_PRODUCTS)
    mr = b.add(fx["mr-yescarta-0001"], "mr-cart", authoredOn=_day(t0 - timedelta(days=rnd.randrange(20, 60)), rnd, 10),
               medicationCodeableConcept={"coding": [{"system": "http://www.whocc.no/atc", "code": atc, "display": inn}],
                                          "text": f"{brand} ({inn})"})
    mr["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"]["start"] = t0.isoformat()
    proc = b.add(fx["proc-cart-0001"], "proc-cart", performedDateTime=_day(t0, rnd, 11))
    proc["note"] = [{"text": f"Produkt: {brand}"}]
    proc["code"]["text"] = f"CAR-T-celle infusion ({brand})"
    igg = fx["obs-igg-0001-b"]
    # The decisive result: since T0, within the last three weeks, below 4 g/L.
    b.igg(igg, EVALUATION_DATE - timedelta(days=rnd.randrange(1, 21)), round(rnd.uniform(1.0, 3.9), 1), 0)
    # The history: before T0, normal to low-normal values, a week or more apart.
    for i in range(1, igg_results):
        day = t0 - timedelta(days=rnd.randrange(3, 9) * i + rnd.randrange(3))
        b.igg(igg, day, round(rnd.uniform(4.5, 11.0), 1), i)
    return b


def _out_of_scope(n: int, rnd: random.Random) -> _Builder:
    fx = _fixture("rituximab-only-no-index-event")
    b = _Builder(n, rnd)
    b.patient(fx["pt-dk-0022"])
    start = EVALUATION_DATE - timedelta(days=rnd.randrange(60, 400))
    onset = (start - timedelta(days=rnd.randrange(10, 60))).isoformat()
    b.add(fx["cond-dlbcl-0022"], "cond-lymphoma", onsetDateTime=onset, recordedDate=onset)
    mr = b.add(fx["mr-rituximab-0022"], "mr-rituximab", authoredOn=_day(start - timedelta(days=3), rnd, 10))
    mr["dosageInstruction"][0]["timing"]["repeat"]["boundsPeriod"] = {
        "start": start.isoformat(), "end": (start + timedelta(days=105)).isoformat()}
    igg = fx["obs-igg-0022-a"]
    for i in range(rnd.randrange(2, 5)):
        b.igg(igg, EVALUATION_DATE - timedelta(days=rnd.randrange(2, 30) + 40 * i), round(rnd.uniform(1.5, 9.0), 1), i)
    return b


def _culture_text(rnd: random.Random, day: date) -> str:
    """A blood culture's free-text report: what grew, in how many bottles, its resistance, what did not grow."""
    organism, resistance = rnd.choice(CULTURE_GROWTH)
    bottles = rnd.choice(("1 af 2", "2 af 2", "2 af 4", "3 af 4"))
    hours = rnd.randrange(9, 30)
    return (f"Bloddyrkning, aerob og anaerob flaske, modtaget {day:%d.%m.%Y}. Foreløbigt svar efter {hours} timer: "
            f"Gram-farvning viser bakterier. Endeligt svar: Vækst af {organism} i {bottles} flasker. "
            f"Resistensbestemmelse: {resistance}. Candida ikke påvist. Anaerob dyrkning: ingen yderligere vækst. "
            f"Svaret er telefoneret til afdelingen kl. {rnd.randrange(8, 22):02d}.{rnd.randrange(60):02d}. "
            "Klinisk mikrobiologisk afdeling.")


def _after_window_cultures(n: int, rnd: random.Random) -> _Builder:
    fx = _fixture("pneumonia-unspecified-positive-blood-culture-general-criteria-met")
    b = _in_scope(n, rnd, rnd.randrange(3, 6), t0=EVALUATION_DATE - timedelta(days=rnd.randrange(250, 480)))
    first = EVALUATION_DATE - timedelta(days=rnd.randrange(120, 300))
    for i, onset in enumerate((first, first + timedelta(days=rnd.randrange(20, 100)))):
        b.add(fx["cond-pneumonia-0053"], f"cond-pneumonia-{i}", onsetDateTime=onset.isoformat(),
              recordedDate=onset.isoformat())
        taken = onset + timedelta(days=rnd.randrange(0, 3))
        culture = b.add(fx["obs-bloodculture-0053"], f"obs-bloodculture-{i}", effectiveDateTime=_day(taken, rnd, 9),
                        issued=_day(taken + timedelta(days=2), rnd, 13), valueString=_culture_text(rnd, taken))
        culture.pop("valueCodeableConcept", None)
    return b


def chart(kind: str, n: int, seed: int = 2026) -> Chart:
    """Patient `n` of a kind's cohort; the same (kind, n, seed) gives the same bytes."""
    rnd = random.Random(f"{seed}:{kind}:{n}")
    if kind == "out-of-scope":
        b = _out_of_scope(n, rnd)
    elif kind == "after-window-cultures":
        b = _after_window_cultures(n, rnd)
    else:
        b = _in_scope(n, rnd, 200 if kind == "in-scope-200-igg" else rnd.randrange(3, 6))
    template = b.resources[0]
    lab_template = next(r for r in b.resources if r["resourceType"] == "Observation")
    cond_template = next(r for r in b.resources if r["resourceType"] == "Condition")
    del template
    total = rnd.randrange(18, 23)  # a chart of about 20 resources: the rest is everyday data
    other = max(0, total - len(b.resources))
    conditions = min(len(OTHER_CONDITIONS), rnd.randrange(other // 3, other // 2 + 1)) if other else 0
    b.other_conditions(cond_template, conditions)
    b.other_results(lab_template, other - conditions + (300 if kind == "in-scope-300-results" else 0))
    return Chart(b.pid, b.request(), len(b.resources), KINDS[kind])


def cohort(kind: str, size: int, seed: int = 2026) -> list[Chart]:
    """`size` distinct patients of one kind."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; one of {', '.join(KINDS)}")
    return [chart(kind, n, seed) for n in range(size)]


def card_codes(response: dict) -> tuple[str, ...]:
    """The advice codes of a CDS Hooks response, in card order."""
    return tuple(c.get("source", {}).get("topic", {}).get("code", "?") for c in response.get("cards", []))


def write_bodies(charts: list[Chart], path: Path) -> Path:
    """One body a line (JSON has no raw newlines), as cycle.lua reads them."""
    path.write_bytes(b"\n".join(c.body for c in charts) + b"\n")
    return path


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.patients write KIND N FILE [--seed S]`, or no arguments for a summary."""
    import argparse

    parser = argparse.ArgumentParser(description="distinct benchmark patients (bench/cycle.lua reads the file)")
    sub = parser.add_subparsers(dest="command")
    w = sub.add_parser("write", help="write N bodies of KIND to FILE, one a line")
    w.add_argument("kind", choices=list(KINDS))
    w.add_argument("n", type=int)
    w.add_argument("file", type=Path)
    w.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    if args.command == "write":
        write_bodies(cohort(args.kind, args.n, args.seed), args.file)
        return
    for kind in KINDS:
        charts = cohort(kind, 5)
        sizes = [len(c.body) for c in charts]
        print(f"{kind:21} resources {[c.resources for c in charts]} body {min(sizes) / 1024:.1f}-{max(sizes) / 1024:.1f} KB"
              f" expects {list(KINDS[kind])}")


if __name__ == "__main__":
    main()
