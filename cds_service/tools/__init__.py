"""Command-line tools: serve, replay, timeline, worklist, bundle sets, NDJSON exports."""

from ..fhir.prefetch import CPR_SYSTEM  # the Danish civil registration number (DK Core): `worklist`'s default

__all__ = ["CPR_SYSTEM"]
