"""Cards that read oddly or lost a fact, and the FHIR fetch deadline an integrator's first day must survive."""

from __future__ import annotations

import asyncio

import httpx
import respx

from cds_service.fhir.fetch import FhirFetcher
from cds_service.settings import FetchSettings, fetch_settings

BASE = "https://ehr.example.org/fhir"
CONTEXT = {"patientId": "p1", "userId": "Practitioner/dr1"}


# -- the FHIR fetch deadline -------------------------------------------------------------------------------------------


def test_the_default_fetch_deadline_allows_a_real_servers_paged_search() -> None:
    """A fetch is the fallback when the EHR did not prefetch; running out is a 412 and no card. The default was
    0.3 s for all of a request's searches (the test server alone takes ~180 ms): a FHIR server answering each page
    in 0.35 s, a search of two pages, got a 412. Now 2 s, connect 0.5 s."""
    assert fetch_settings({}) == FetchSettings()
    assert FetchSettings().total_timeout == 2.0 and FetchSettings().connect_timeout == 0.5

    async def run() -> dict[str, object]:
        async def page(request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(0.35)
            if request.url.path.endswith("/Patient/p1"):
                return httpx.Response(200, json={"resourceType": "Patient", "id": "p1"})
            second = "page=2" in str(request.url)
            links = [] if second else [{"relation": "next", "url": f"{BASE}/Observation?patient=p1&page=2"}]
            entry = {"resource": {"resourceType": "Observation", "id": "o2" if second else "o1", "status": "final"}}
            return httpx.Response(200, json={"resourceType": "Bundle", "type": "searchset", "link": links,
                                             "entry": [entry]})

        with respx.mock(assert_all_mocked=True) as mock:
            mock.get(url__startswith=BASE).mock(side_effect=page)
            fetcher = FhirFetcher(FetchSettings())
            try:
                return await fetcher.fetch({"patient": "Patient/{{context.patientId}}",
                                            "observations": "Observation?patient={{context.patientId}}"},
                                           CONTEXT, BASE, "token")
            finally:
                await fetcher.aclose()

    result = asyncio.run(run())
    assert [e["resource"]["id"] for e in result["observations"]["entry"]] == ["o1", "o2"]  # type: ignore[index]
