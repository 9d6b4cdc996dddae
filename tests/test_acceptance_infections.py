"""Severe or recurrent verified bacterial infections, from the clinician's side (Medicinrådet 2025 §4.1-§4.3).

The criterion decides every start after the window, every restart, and which stop applies to a start inside
it. Each chart is a small bundle shaped the way a Danish hospital EHR sends it (SKS, ICD-10 with and without
the dot, SNOMED CT, a local code beside a standard one; cultures as Observations or DiagnosticReports, coded
or in Danish/English text), replayed at a fixed date; the expected advice was written from the guideline and
clinical-rules §3-§5, §7 before the charts were run. Every chart is also checked in Danish, on the worklist
and on the timeline: the three entrances say the same.

After the window (scenario A): a lymphoma patient, CAR-T 2025-03-10 (stop date 2025-09-10), IgG 3.2 g/L on
2026-02-20, seen 2026-03-01: IgG < 4 with severe or recurrent verified bacterial infections in the 12 months
before meets the general criteria; without them a start is not recommended (§4.3).
In the window (scenario B): CAR-T 2025-11-18 (stop date 2026-05-18; T0 - 3 months = 2025-08-18).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest

from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.ndjson import patient_of
from cds_service.tools.replay import replay
from cds_service.tools.timeline import build_timeline, patient_data
from cds_service.tools.worklist import evaluate_patient_resources

RUNTIME = load_runtime(Settings())
PATIENT = "pt-inf"
SUBJECT = {"reference": f"Patient/{PATIENT}"}
SKS = "urn:oid:1.2.208.176.2.4.12"
ICD = "http://hl7.org/fhir/sid/icd-10"
SCT = "http://snomed.info/sct"
LOINC = "http://loinc.org"
VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CLIN = "http://terminology.hl7.org/CodeSystem/condition-clinical"

MEET = "start-meets-general-criteria"
NOT = "no-start-without-infections"

_ids: dict[str, int] = {}


def _rid(prefix: str) -> str:
    _ids[prefix] = _ids.get(prefix, 0) + 1
    return f"{prefix}-{_ids[prefix]}"


def infection(code: str, onset: str | None = "2026-01-10", system: str = SKS, *, ver: str | None = "confirmed",
              severity: str | None = None, clinical: str | None = None, display: str | None = None,
              rid: str | None = None, **extra: Any) -> dict[str, Any]:
    """A Condition as an EHR sends it; `onset` goes to onsetDateTime unless `extra` dates it otherwise."""
    coding: dict[str, Any] = {"system": system, "code": code}
    if display:
        coding["display"] = display
    c: dict[str, Any] = {"resourceType": "Condition", "id": rid or _rid("inf"), "subject": SUBJECT,
                         "code": {"coding": [coding]}}
    if onset:
        c["onsetDateTime"] = onset
    if ver:
        c["verificationStatus"] = {"coding": [{"system": VER, "code": ver}]}
    if severity:
        c["severity"] = {"coding": [{"system": SCT, "code": severity}]}
    if clinical:
        c["clinicalStatus"] = {"coding": [{"system": CLIN, "code": clinical}]}
    c.update(extra)
    return c


SEVERE = "24484000"
MODERATE = "6736007"


def culture(when: str, organism: str | None = None, text: str | None = None, loinc: str = "600-7",
            interpretation: str | None = None) -> dict[str, Any]:
    o: dict[str, Any] = {"resourceType": "Observation", "id": _rid("cult"), "status": "final", "subject": SUBJECT,
                         "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                                                   "code": "laboratory"}]}],
                         "code": {"coding": [{"system": LOINC, "code": loinc}]}, "effectiveDateTime": when}
    if organism:
        o["valueCodeableConcept"] = {"coding": [{"system": SCT, "code": organism}]}
    if text:
        o["valueString"] = text
    if interpretation:
        o["interpretation"] = [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                                            "code": interpretation}]}]
    return o


def report(when: str, conclusion: str | None = None, organism: str | None = None) -> dict[str, Any]:
    r: dict[str, Any] = {"resourceType": "DiagnosticReport", "id": _rid("rep"), "status": "final", "subject": SUBJECT,
                         "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                                                   "code": "MB"}]}],
                         "code": {"coding": [{"system": LOINC, "code": "600-7"}]}, "effectiveDateTime": when,
                         "issued": when + "T12:00:00+01:00"}
    if conclusion:
        r["conclusion"] = conclusion
    if organism:
        r["conclusionCode"] = [{"coding": [{"system": SCT, "code": organism}]}]
    return r


def igg(when: str, value: float) -> dict[str, Any]:
    return {"resourceType": "Observation", "id": _rid("igg"), "status": "final", "subject": SUBJECT,
            "effectiveDateTime": when, "code": {"coding": [{"system": "http://npu-terminology.org", "code": "NPU19814"}]},
            "valueQuantity": {"value": value, "unit": "g/L", "system": "http://unitsofmeasure.org", "code": "g/L"}}


def ivig(start: str, end: str | None = None, status: str = "active") -> dict[str, Any]:
    bounds = {"start": start, **({"end": end} if end else {})}
    return {"resourceType": "MedicationRequest", "id": _rid("ivig"), "status": status, "intent": "order",
            "subject": SUBJECT, "authoredOn": start,
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "J06BA02"}]},
            "dosageInstruction": [{"timing": {"repeat": {"boundsPeriod": bounds}}}]}


def bundle(t0: str, *resources: dict[str, Any]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": PATIENT, "birthDate": "1958-04-02"}
    lymphoma = infection("DC833", "2024-01-01", rid="dx")
    car_t = {"resourceType": "Procedure", "id": "cart", "status": "completed", "subject": SUBJECT,
             "code": {"coding": [{"system": SCT, "code": "1156961008"}]}, "performedDateTime": t0}
    return {"resourceType": "Bundle", "type": "collection",
            "entry": [{"fullUrl": f"{r['resourceType']}/{r['id']}", "resource": r}
                      for r in (patient, lymphoma, car_t, *resources)]}


@dataclass
class Chart:
    name: str
    resources: tuple[dict[str, Any], ...]
    expected: str | None  # the one card's advice code; None: no card
    at: str = "2026-03-01"
    t0: str = "2025-03-10"
    says: tuple[str, ...] = ()  # in the English summary or detail
    not_in_summary: tuple[str, ...] = ()
    variant: str | None = None
    extra: list[str] = field(default_factory=list)

    def bundle(self) -> dict[str, Any]:
        return bundle(self.t0, *self.resources)


FRESH = igg("2026-02-20", 3.2)


def after(name: str, expected: str, *resources: dict[str, Any], **kw: Any) -> Chart:
    return Chart(name, (FRESH, *resources), expected, **kw)


def pneumonia_j18(onset: str = "2026-01-10", **kw: Any) -> dict[str, Any]:
    return infection("DJ189", onset, display="Pneumoni UNS", **kw)


CHARTS: list[Chart] = [
    # -- coded bacterial infections, one per coding style --------------------------------------------------
    after("sks-dj13-once-neither-severe-nor-recurrent", NOT, infection("DJ13"), says=("2026-01-10",)),
    after("sks-dj13-severity-severe", MEET, infection("DJ13", severity=SEVERE), says=("2026-01-10",)),
    after("sks-da419-sepsis", MEET, infection("DA419"), says=("2026-01-10",)),
    after("icd10-a41.9-with-dot", MEET, infection("A41.9", system=ICD)),
    after("icd10-a419-without-dot", MEET, infection("A419", system=ICD)),
    after("sks-dj151-twice-recurrent", MEET, infection("DJ151", "2025-11-01"), infection("DJ151", "2026-01-10"),
          says=("2025-11-01", "2026-01-10")),
    after("snomed-staph-aureus-sepsis-child-of-bacterial-sepsis", MEET, infection("448417001", system=SCT)),
    after("snomed-pneumococcal-pneumonia-twice", MEET, infection("233607000", "2025-10-01", system=SCT),
          infection("233607000", "2025-12-01", system=SCT)),
    after("snomed-mrsa-infection-severe", MEET, infection("266096002", system=SCT, severity=SEVERE)),
    after("local-code-beside-icd10", MEET,
          {**infection("A41.9", system=ICD), "code": {"coding": [
              {"system": "urn:oid:1.2.208.176.2.4.99.1", "code": "INF-SEP", "display": "Sepsis"},
              {"system": ICD, "code": "A41.9"}]}}),
    after("local-code-only-named-not-counted", NOT,
          {**infection("X"), "code": {"coding": [{"system": "urn:oid:1.2.208.176.2.4.99.1", "code": "INF-SEP",
                                                  "display": "Sepsis"}], "text": "Sepsis"}},
          says=("Sepsis",)),
    # -- viral and fungal: never bacterial -------------------------------------------------------------------
    after("covid-twice-severe", NOT, infection("DU071", "2025-10-01", severity=SEVERE),
          infection("DU071", "2026-01-10", severity=SEVERE)),
    after("candidal-sepsis", NOT, infection("DB377")),
    after("snomed-viral-pneumonia-twice", NOT, infection("75570004", "2025-10-01", system=SCT),
          infection("75570004", "2026-01-10", system=SCT)),
    after("aspergillosis-severe", NOT, infection("DB440", severity=SEVERE)),
    # -- organism unspecified pneumonia and cultures --------------------------------------------------------
    after("j18-alone", NOT, pneumonia_j18(), says=("2026-01-10",)),
    after("j18-blood-culture-e-coli-coded", MEET, pneumonia_j18(), culture("2026-01-12", organism="112283007"),
          says=("2026-01-12",)),
    after("j18-sputum-culture-pneumococcus-once", NOT, pneumonia_j18(),
          culture("2026-01-13", organism="9861002", loinc="6460-0")),
    after("j18-severe-sputum-culture-pneumococcus", MEET, pneumonia_j18(severity=SEVERE),
          culture("2026-01-13", organism="9861002", loinc="6460-0")),
    after("j18-blood-culture-10-days-later", NOT, pneumonia_j18(), culture("2026-01-20", organism="112283007")),
    after("j18-blood-culture-8-days-later", NOT, pneumonia_j18(), culture("2026-01-18", organism="112283007")),
    after("j18-blood-culture-exactly-7-days-later", MEET, pneumonia_j18(), culture("2026-01-17", organism="112283007")),
    after("j18-blood-culture-exactly-7-days-before", MEET, pneumonia_j18(), culture("2026-01-03", organism="112283007")),
    after("j18-urine-culture-e-coli", NOT, pneumonia_j18(), culture("2026-01-11", organism="112283007", loinc="630-4")),
    after("j18-blood-culture-danish-text", MEET, pneumonia_j18(), culture("2026-01-11", text="Vækst af Escherichia coli")),
    after("j18-blood-culture-english-text", MEET, pneumonia_j18(),
          culture("2026-01-11", text="Growth of Klebsiella pneumoniae")),
    after("j18-blood-culture-no-growth", NOT, pneumonia_j18(), culture("2026-01-11", text="Ingen vækst efter 5 døgn")),
    after("j18-blood-culture-cons-one-bottle", NOT, pneumonia_j18(), culture("2026-01-11", organism="116197008")),
    after("j18-blood-culture-s-epidermidis-text-one-bottle", NOT, pneumonia_j18(),
          culture("2026-01-11", text="Staphylococcus epidermidis")),
    after("j18-blood-culture-candida", NOT, pneumonia_j18(), culture("2026-01-11", organism="53326005")),
    after("j18-diagnostic-report-danish-conclusion", MEET, pneumonia_j18(),
          report("2026-01-11", conclusion="Staphylococcus aureus påvist")),
    after("j18-diagnostic-report-conclusion-code", MEET, pneumonia_j18(), report("2026-01-11", organism="112283007")),
    after("j18-blood-culture-positive-interpretation-only", MEET, pneumonia_j18(),
          culture("2026-01-11", interpretation="POS")),
    after("snomed-cap-with-blood-culture", MEET, infection("385093006", system=SCT),
          culture("2026-01-11", organism="9861002")),
    # -- verification and clinical status --------------------------------------------------------------------
    after("sepsis-provisional", NOT, infection("DA419", ver="provisional"), says=("2026-01-10",)),
    after("sepsis-differential", NOT, infection("DA419", ver="differential")),
    after("sepsis-unconfirmed", NOT, infection("DA419", ver="unconfirmed")),
    after("sepsis-refuted", NOT, infection("DA419", ver="refuted")),
    after("sepsis-entered-in-error", NOT, infection("DA419", ver="entered-in-error")),
    after("sepsis-no-verification-status", NOT, infection("DA419", ver=None), says=("2026-01-10",)),
    after("sepsis-resolved", MEET, infection("DA419", clinical="resolved")),
    after("sepsis-inactive", MEET, infection("DA419", clinical="inactive")),
    after("sepsis-remission", MEET, infection("DA419", clinical="remission")),
    # -- onset ------------------------------------------------------------------------------------------------
    after("onset-period", MEET, infection("DA419", None, onsetPeriod={"start": "2026-01-10", "end": "2026-01-20"})),
    after("onset-string-with-recorded-date", MEET, infection("DA419", None, onsetString="januar 2026",
                                                             recordedDate="2026-01-12")),
    after("recorded-date-only", MEET, infection("DA419", None, recordedDate="2026-01-12")),
    after("onset-string-only", NOT, infection("DA419", None, onsetString="i januar"),
          says=("Infection DA419 has no usable date: not counted",)),
    after("no-date-at-all", NOT, infection("DA419", None), says=("Infection DA419 has no usable date: not counted",)),
    after("onset-older-than-12-months", NOT, infection("DA419", "2025-02-20")),
    # -- severe ----------------------------------------------------------------------------------------------
    after("pneumonia-severity-moderate", NOT, infection("DJ159", severity=MODERATE)),
    # a bacterial pneumonia needing admission is severe (clinical-rules §5; tests/test_acceptance_admissions.py)
    after("pneumonia-with-inpatient-admission", MEET, infection("DJ159", rid="pn-adm"),
          {"resourceType": "Encounter", "id": "adm", "status": "finished", "subject": SUBJECT,
           "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
           "period": {"start": "2026-01-10", "end": "2026-01-17"},
           "diagnosis": [{"condition": {"reference": "Condition/pn-adm"}}],
           "reasonCode": [{"coding": [{"system": SKS, "code": "DJ159"}]}]},
          says=("Bacterial pneumonia 2026-01-10, admitted 2026-01-10 to 2026-01-17: severe",)),
    # -- recurrent --------------------------------------------------------------------------------------------
    after("two-episodes-exactly-14-days-apart", MEET, infection("DJ159", "2026-01-10"), infection("DJ159", "2026-01-24")),
    after("two-episodes-13-days-apart", NOT, infection("DJ159", "2026-01-10"), infection("DJ159", "2026-01-23")),
    after("two-different-infections-14-days-apart", MEET, infection("DJ159", "2026-01-10"),
          infection("DN390", "2026-01-24"), culture("2026-01-24", organism="112283007", loinc="630-4")),
    after("first-episode-exactly-12-months-ago-is-outside-the-look-back", NOT, infection("DJ159", "2025-03-01"), infection("DJ159", "2026-02-01")),
    after("first-episode-12-months-and-a-day-ago", NOT, infection("DJ159", "2025-02-28"),
          infection("DJ159", "2026-02-01")),
    after("same-episode-problem-list-and-encounter-diagnosis", NOT,
          infection("DJ159", "2026-01-10", category=[{"coding": [{
              "system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "problem-list-item"}]}]),
          infection("DJ159", "2026-01-12", category=[{"coding": [{
              "system": "http://terminology.hl7.org/CodeSystem/condition-category", "code": "encounter-diagnosis"}]}])),
    after("three-episodes-last-two-qualify", MEET, infection("DJ159", "2024-12-01"), infection("DJ159", "2025-11-01"),
          infection("DJ159", "2026-01-15")),
    after("three-episodes-only-one-in-12-months", NOT, infection("DJ159", "2024-12-01"),
          infection("DJ159", "2025-02-10"), infection("DJ159", "2026-01-15")),
    after("three-episodes-first-two-too-close", MEET, infection("DJ159", "2025-12-01"), infection("DJ159", "2025-12-05"),
          infection("DJ159", "2026-01-15")),
    after("recurrent-one-coded-one-j18-with-culture", MEET, infection("DJ159", "2025-11-01"), pneumonia_j18(),
          culture("2026-01-11", organism="9861002", loinc="6460-0")),
    # -- in the window: which stop applies -------------------------------------------------------------------
    Chart("window-no-ig-sepsis-since-t0-start-names-general-stop", (igg("2026-01-05", 3.0), infection("DA419", "2025-12-20")),
          "start-substitution", at="2026-01-10", t0="2025-11-18", variant="general-stop",
          not_in_summary=("2026-05-18",)),
    Chart("window-ig-after-sepsis-between-t0-minus-3-months-and-start", (
        igg("2026-01-05", 3.0), infection("DA419", "2025-09-01"), ivig("2026-01-10")),
        "general-stop-review", at="2026-03-01", t0="2025-11-18"),
    Chart("window-ig-sepsis-exactly-t0-minus-3-months", (
        igg("2026-01-05", 3.0), infection("DA419", "2025-08-18"), ivig("2026-01-10")),
        "general-stop-review", at="2026-03-01", t0="2025-11-18"),
    Chart("window-ig-sepsis-before-t0-minus-3-months", (
        igg("2026-01-05", 3.0), infection("DA419", "2025-08-17"), ivig("2026-01-10")),
        "stop-planned", at="2026-03-01", t0="2025-11-18"),
    Chart("window-ig-sepsis-on-the-start-day", (
        igg("2026-01-05", 3.0), infection("DA419", "2026-01-10"), ivig("2026-01-10")),
        "general-stop-review", at="2026-03-01", t0="2025-11-18"),
    Chart("window-ig-sepsis-after-start-planned", (
        igg("2026-01-05", 3.0), infection("DA419", "2026-02-01"), ivig("2026-01-10")),
        "stop-planned", at="2026-03-01", t0="2025-11-18"),
    Chart("window-ig-sepsis-after-start-due-names-it", (
        igg("2026-01-05", 3.0), infection("DA419", "2026-02-01"), ivig("2026-01-10")),
        "stop-due-soon", at="2026-05-10", t0="2025-11-18", says=("2026-02-01",)),
    Chart("window-ig-recurrent-before-start", (
        igg("2026-01-05", 3.0), infection("DJ159", "2025-10-01"), infection("DJ159", "2025-12-01"), ivig("2026-01-10")),
        "general-stop-review", at="2026-03-01", t0="2025-11-18"),
    Chart("window-ig-one-nonsevere-before-start", (
        igg("2026-01-05", 3.0), infection("DJ159", "2025-12-01"), ivig("2026-01-10")),
        "stop-planned", at="2026-03-01", t0="2025-11-18"),
    Chart("window-ig-covid-before-start", (
        igg("2026-01-05", 3.0), infection("DU071", "2025-12-01", severity=SEVERE), ivig("2026-01-10")),
        "stop-planned", at="2026-03-01", t0="2025-11-18"),
    Chart("window-ig-provisional-sepsis-before-start", (
        igg("2026-01-05", 3.0), infection("DA419", "2025-12-01", ver="provisional"), ivig("2026-01-10")),
        "stop-planned", at="2026-03-01", t0="2025-11-18"),
    Chart("window-ig-j18-with-blood-culture-before-start", (
        igg("2026-01-05", 3.0), pneumonia_j18("2025-12-01"), culture("2025-12-02", organism="112283007"),
        ivig("2026-01-10")),
        "general-stop-review", at="2026-03-01", t0="2025-11-18"),
    Chart("window-restart-without-infections", (
        igg("2025-12-01", 3.0), ivig("2025-12-05", "2026-01-15", status="completed"), igg("2026-03-01", 3.1)),
        NOT, at="2026-03-05", t0="2025-11-18"),
    Chart("window-restart-with-recurrent-pneumonia", (
        igg("2025-12-01", 3.0), ivig("2025-12-05", "2026-01-15", status="completed"), igg("2026-03-01", 3.1),
        infection("DJ159", "2026-01-20"), infection("DJ159", "2026-02-20")),
        MEET, at="2026-03-05", t0="2025-11-18"),
    # -- more: as-of, abatement, the start that infections came before ------------------------------------------
    after("culture-reported-after-today-not-yet-known", NOT, pneumonia_j18("2026-02-27"),
          culture("2026-03-03", organism="112283007")),
    Chart("culture-reported-after-today-counts-once-known", (FRESH, pneumonia_j18("2026-02-27"),
          culture("2026-03-03", organism="112283007")), MEET, at="2026-03-05"),
    after("infection-dated-after-today", NOT, infection("DA419", "2026-03-10")),
    after("j18-culture-abnormal-flag-only", NOT, pneumonia_j18(), culture("2026-01-11", interpretation="A")),
    after("j18-cons-in-two-blood-culture-sets", NOT, pneumonia_j18(), culture("2026-01-11", organism="116197008"),
          culture("2026-01-11", organism="116197008")),
    after("j18-and-j15-codings-on-one-condition", NOT,
          {**pneumonia_j18(), "code": {"coding": [{"system": SKS, "code": "DJ189"}, {"system": ICD, "code": "J15.9"}]}},
          says=("2026-01-10",)),
    after("same-illness-recoded-before-abatement-is-one-episode", NOT,
          infection("DJ159", "2026-01-01", abatementDateTime="2026-02-01"), infection("DJ159", "2026-01-20")),
    after("another-infection-before-abatement-is-its-own-episode", MEET,
          infection("DJ159", "2026-01-01", abatementDateTime="2026-02-01"), infection("DA490", "2026-01-20")),
    Chart("window-ig-one-before-start-one-after-is-not-recurrent-before-start", (
        igg("2026-01-05", 3.0), infection("DJ159", "2025-12-20"), infection("DJ159", "2026-01-20"), ivig("2026-01-10")),
        "stop-planned", at="2026-03-01", t0="2025-11-18"),
    Chart("window-ig-two-before-start-13-days-apart", (
        igg("2026-01-05", 3.0), infection("DJ159", "2025-12-01"), infection("DJ159", "2025-12-14"), ivig("2026-01-10")),
        "stop-planned", at="2026-03-01", t0="2025-11-18"),
    Chart("started-for-sepsis-stays-general-after-it-leaves-the-12-months", (
        igg("2026-01-05", 3.0), infection("DA419", "2025-09-01"), ivig("2026-01-10")),
        "general-stop-review", at="2026-10-01", t0="2025-11-18"),
    Chart("started-for-recurrent-stays-general-after-they-leave-the-12-months", (
        igg("2026-01-05", 3.0), infection("DJ159", "2025-10-01"), infection("DJ159", "2025-12-01"), ivig("2026-01-10")),
        "general-stop-review", at="2026-12-15", t0="2025-11-18"),
    Chart("started-for-j18-with-culture-stays-general-late", (
        igg("2026-01-05", 3.0), pneumonia_j18("2025-09-01"), culture("2025-09-02", organism="112283007"),
        ivig("2026-01-10")),
        "general-stop-review", at="2026-10-01", t0="2025-11-18"),
]


def _codes(cards: list[dict[str, Any]]) -> list[str]:
    return [str(c["source"]["topic"]["code"]) for c in cards]


@pytest.mark.parametrize("chart", CHARTS, ids=[c.name for c in CHARTS])
def test_patient_view(chart: Chart) -> None:
    b = chart.bundle()
    at = date.fromisoformat(chart.at)
    en = replay(RUNTIME, b, at=at)
    codes = _codes(en.cards)  # type: ignore[arg-type]
    assert codes == ([chart.expected] if chart.expected else []), [c.get("detail") for c in en.cards]  # type: ignore[union-attr]
    da = replay(RUNTIME, b, at=at, lang="da")
    assert _codes(da.cards) == codes  # type: ignore[arg-type]
    if not en.cards:
        return
    [card] = en.cards
    text = str(card["summary"]) + "\n" + str(card["detail"])  # type: ignore[index]
    for words in chart.says:
        assert words in text, text
    for words in chart.not_in_summary:
        assert words not in str(card["summary"]), card["summary"]  # type: ignore[index]
    if chart.variant:
        [advice] = en.advice
        assert advice.variant == chart.variant


@pytest.mark.parametrize("chart", CHARTS, ids=[c.name for c in CHARTS])
def test_worklist_and_timeline_agree(chart: Chart) -> None:
    b = chart.bundle()
    at = date.fromisoformat(chart.at)
    view = _codes(replay(RUNTIME, b, at=at).cards)  # type: ignore[arg-type]
    resources = [e["resource"] for e in b["entry"]]
    rows = evaluate_patient_resources([r for r in resources if patient_of(r) == PATIENT], at, RUNTIME)
    assert sorted(r.code for r in rows) == sorted(view)
    timeline = build_timeline(patient_data(b, RUNTIME), RUNTIME, date(2025, 1, 1), at)
    [state] = [s for s in timeline.changes if s.day <= at][-1:]
    assert _codes(state.cards) == view


AFTER = [c for c in CHARTS if c.expected in (MEET, NOT)]


@pytest.mark.parametrize("chart", AFTER, ids=[c.name for c in AFTER])
def test_an_order_signed_that_day_agrees_with_patient_view(chart: Chart) -> None:
    """§4.3: a start after the window or a restart follows the general criteria, at the order as on the chart: a draft
    immunoglobulin order signed that day meets them exactly when patient-view says a start may be made."""
    draft = ivig(chart.at, status="draft")
    draft["id"] = "draft-ivig"
    answer = replay(RUNTIME, chart.bundle(), hook="order-sign", drafts=[draft], at=date.fromisoformat(chart.at))
    codes = _codes(answer.cards)  # type: ignore[arg-type]
    assert codes == ["order-meets-criteria" if chart.expected == MEET else "order-does-not-meet-criteria"], \
        [c.get("detail") for c in answer.cards]  # type: ignore[union-attr]


@pytest.mark.parametrize(("lang", "says"), [
    ("en", "Infection “Sepsis UNS” has no usable date: not counted; record its onset"),
    ("da", "Infektion “Sepsis UNS” har ingen brugbar dato: medregnes ikke; registrér debutdatoen")])
@pytest.mark.parametrize("dated", [{}, {"onsetString": "i januar"}], ids=["no-date", "onset-in-words"])
def test_a_confirmed_infection_with_no_date_is_named_as_that_infection(lang: str, says: str,
                                                                       dated: dict[str, str]) -> None:
    """Clinical-rules §7: an infection seen and not counted is named, with the reason. A confirmed sepsis (severe by
    definition: with it the general criteria would be met) sent with no usable date cannot be placed in the 12-month
    look-back; the card names it as the sepsis it is and why it was not counted, not as 'a diagnosis with unusable
    data', so the clinician can record its onset."""
    sepsis = infection("DA419", None, display="Sepsis UNS", **dated)
    b = bundle("2025-03-10", FRESH, sepsis)
    [card] = replay(RUNTIME, b, at=date(2026, 3, 1), lang=lang).cards
    assert card["source"]["topic"]["code"] == NOT  # type: ignore[index]
    assert says in str(card["detail"]) and "unusable data" not in str(card["detail"])  # type: ignore[index]
    assert "ubrugelige data" not in str(card["detail"])  # type: ignore[index]


@pytest.mark.parametrize(("lang", "says"), [
    ("en", "2 verified bacterial infections {dates}, one episode: not severe, not recurrent"),
    ("da", "2 verificerede bakterielle infektioner {dates}, én episode: ikke svær, ikke tilbagevendende")])
@pytest.mark.parametrize(("records", "dates"), [
    ((infection("DJ159", "2026-01-10"), infection("DJ159", "2026-01-23")), "2026-01-10, 2026-01-23"),
    ((infection("DJ159", "2026-01-01", abatementDateTime="2026-02-01"), infection("DJ159", "2026-01-20")),
     "2026-01-01, 2026-01-20")], ids=["13-days-apart", "recorded-again-before-it-abated"])
def test_two_records_of_one_episode_are_not_called_two_infections_without_saying_so(
        lang: str, says: str, records: tuple[dict[str, Any], ...], dates: str) -> None:
    """Clinical-rules §5 [policy]: 'recurrent' = episodes with onsets at least 14 days apart; the same illness coded
    again before it abated is the same episode. A card listing '2 verified bacterial infections' 19 days apart as
    'not recurrent' contradicts itself to the clinician: it says they were one episode."""
    [card] = replay(RUNTIME, bundle("2025-03-10", FRESH, *records), at=date(2026, 3, 1), lang=lang).cards
    assert card["source"]["topic"]["code"] == NOT  # type: ignore[index]
    assert says.format(dates=dates) in str(card["detail"])  # type: ignore[index]


DATED = ["culture-reported-after-today-counts-once-known", "three-episodes-last-two-qualify",
         "same-illness-recoded-before-abatement-is-one-episode", "window-ig-sepsis-exactly-t0-minus-3-months",
         "window-restart-with-recurrent-pneumonia"]


@pytest.mark.parametrize("name", DATED)
def test_the_timeline_finds_every_day_the_infections_change_the_advice(name: str) -> None:
    """The timeline evaluates candidate days only: every day an infection, a culture or a look-back edge changes
    the advice (a culture arriving, an episode leaving the 12 months, T0 − 3 months) must be among them; checked
    against an evaluation of every day."""
    from cds_service.tools.timeline import change_days, state_on
    [chart] = [c for c in CHARTS if c.name == name]
    data = patient_data(chart.bundle(), RUNTIME)
    start, end = date(2025, 1, 1), date(2026, 12, 31)
    timeline = build_timeline(data, RUNTIME, start, end)
    days, day = [], start
    while day <= end:
        days.append(state_on(data, RUNTIME, day))
        day = date.fromordinal(day.toordinal() + 1)
    assert [s.day for s in timeline.changes] == change_days(days)


@pytest.mark.parametrize(("lang", "says", "wrong"), [
    ("en", "Infection “Pneumoni UNS” (2026-01-10) has no bacterial code or matching positive culture: not counted",
     "has no bacterial code or positive culture"),
    ("da", "Infektion “Pneumoni UNS” (2026-01-10) har ingen bakteriel kode eller passende positiv dyrkning: medregnes ikke",
     "har ingen bakteriel kode eller positiv dyrkning")])
@pytest.mark.parametrize("evidence", [culture("2026-01-20", organism="112283007"),
                                      culture("2026-01-11", organism="112283007", loinc="630-4")],
                         ids=["blood-culture-10-days-later", "urine-culture-next-day"])
def test_a_pneumonia_beside_a_culture_that_does_not_fit_it_is_not_said_to_have_no_culture(
        lang: str, says: str, wrong: str, evidence: dict[str, Any]) -> None:
    """Clinical-rules §7: an organism-unspecified pneumonia counts with a positive bacterial culture within 7 days of
    its onset, from blood or the airways. With a positive culture that does not fit (10 days later; a urine culture)
    it is not counted, and the card does not say there was no positive culture, which the next note contradicts."""
    [card] = replay(RUNTIME, bundle("2025-03-10", FRESH, pneumonia_j18(), evidence), at=date(2026, 3, 1),
                    lang=lang).cards
    assert card["source"]["topic"]["code"] == NOT  # type: ignore[index]
    assert wrong not in str(card["detail"])  # type: ignore[index]
    if evidence["code"]["coding"][0]["code"] == "630-4":
        assert says in str(card["detail"])  # type: ignore[index]
    else:  # a blood culture with no diagnosis within 7 days could change the decision: the card's room goes to it,
        # and the pneumonia's note is counted (its words on the page)
        caveat = {"en": "A positive blood culture (2026-01-20) with no infection diagnosis within 7 days",
                  "da": "En positiv bloddyrkning (2026-01-20) uden infektionsdiagnose inden for 7 dage"}[lang]
        assert caveat in str(card["detail"]), card["detail"]  # type: ignore[index]


@pytest.mark.parametrize("evidence", [culture("2026-01-12", organism="113861009", loinc="6460-0"),
                                      culture("2026-01-12", text="Mycobacterium tuberculosis påvist", loinc="6460-0"),
                                      culture("2026-01-12", text="Vækst af M. tuberculosis", loinc="6460-0")],
                         ids=["coded", "named", "named-short"])
def test_a_culture_growing_only_mycobacteria_verifies_no_pneumonia(evidence: dict[str, Any]) -> None:
    """Tuberculosis and the other mycobacterial infections are never counted (`infection-other`, bacterial, not
    counted): a sputum culture growing M. tuberculosis made a pneumonia coded J18.9 a verified bacterial pneumonia.
    The organism value set says which organisms those are (`infection_counted: false`), by code and by name; a coded
    one with no display was not known for one at all."""
    second = pneumonia_j18("2025-11-10")
    [card] = replay(RUNTIME, bundle("2025-03-10", FRESH, pneumonia_j18(), evidence, second,
                                    culture("2025-11-11", organism="112283007", loinc="6460-0")), at=date(2026, 3, 1)).cards
    assert card["source"]["topic"]["code"] == NOT, card["summary"]  # one pneumonia verified, not two


def test_a_blood_culture_coded_mycobacterium_tuberculosis_is_no_caveat() -> None:
    [card] = replay(RUNTIME, bundle("2025-03-10", FRESH, culture("2026-01-12", organism="113861009")),
                    at=date(2026, 3, 1)).cards
    assert card["source"]["topic"]["code"] == NOT
    assert "blood culture" not in card["detail"], card["detail"]
