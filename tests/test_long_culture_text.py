"""A culture's text of a megabyte is read whole, and answered over HTTP in seconds.

The value sets' words used to be found with one regex that tried every word at every place of the text (34 ms a
kilobyte): a request with a 1 MB culture result held a worker for half a minute, and a few such fields in one 5 MB
body for minutes, while the clinician's chart did not answer. The words are now found in linear time
(tests/test_word_search_identity.py), so the whole text is read, however long: no part of what the laboratory wrote
is left unread.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import httpx

from cds_service.fhir.culture_text import growth_in
from cds_service.runtime import load_runtime
from cds_service.settings import Settings
from cds_service.tools.replay import replay, request_from_bundle

from .servers import serve_subprocess
from .test_culture_contaminant_by_name import CAR_T, PNEUMONIA, blood_culture
from .test_therapy_known_by_name import chart

RUNTIME = load_runtime(Settings())
# A long report: the susceptibility lines of a laboratory, a no-growth statement of its own, then the growth at the end.
LINES = ["Resistensbestemmelse: ampicillin resistent, cefuroxim følsom, meropenem følsom",
         "Candida ikke påvist", "Anaerob flaske: ingen vækst efter 5 døgn", "MRSA screening negativ",
         "Prøven modtaget i laboratoriet, dyrket aerobt og anaerobt"]


def long_report(size: int, last: str) -> str:
    lines, n = [], 0
    while n < size:
        lines.append(LINES[len(lines) % len(LINES)])
        n += len(lines[-1]) + 1
    return "\n".join(lines) + "\n" + last


def test_the_end_of_a_megabyte_text_is_read():
    """A growth named only after a megabyte of other lines is found: nothing of the text is cut off."""
    assert growth_in(RUNTIME.terminology, long_report(1_000_000, "Vækst af Escherichia coli")).grew
    assert not growth_in(RUNTIME.terminology, long_report(1_000_000, "Ingen vækst af E. coli")).grew


def test_a_megabyte_culture_text_is_answered_over_http(tmp_path: Path):
    """`cds-service serve`, patient-view: a blood culture whose 1 MB text ends with "Vækst af Escherichia coli" beside
    a pneumonia after CAR-T; the card says the start criteria are met (the E. coli verifies the infection). The client
    waits at most 60 s, as a guard only (it answers in a few seconds)."""
    text = long_report(1_000_000, "Vækst af Escherichia coli")
    bundle = chart(CAR_T, PNEUMONIA, blood_culture({"valueString": text}))
    [expected] = replay(RUNTIME, bundle, at=date(2026, 1, 10)).cards
    assert expected["source"]["topic"]["code"] == "start-meets-general-criteria"
    body = request_from_bundle(bundle)
    with serve_subprocess({"CDS_DATA_DIR": str(tmp_path / "data"), "CDS_EVALUATION_DATE": "2026-01-10"}) as base:
        with httpx.Client(base_url=base, timeout=60) as client:
            response = client.post("/cds-services/igsub-patient-view", json=body)
    assert response.status_code == 200, response.text[:300]
    [card] = response.json()["cards"]
    assert card["source"]["topic"]["code"] == "start-meets-general-criteria"
    assert card["summary"] == expected["summary"]


def test_a_megabyte_of_short_lines_is_read_in_seconds() -> None:
    """About 120 000 lines: the words of each line were added to a tuple copied at every line, so such a text took
    minutes (a few seconds for each 20 000 lines more, growing). A guard only: it takes a few seconds."""
    text = "\n".join(["MRSA negativ", "Candida ikke påvist"] * 60_000 + ["Vækst af Escherichia coli"])
    started = time.monotonic()
    assert growth_in(RUNTIME.terminology, text).grew
    assert time.monotonic() - started < 60
