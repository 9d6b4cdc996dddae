"""Command-line tools: serve, replay, timeline, worklist, bundle sets, NDJSON exports."""

CPR_SYSTEM = "urn:oid:1.2.208.176.1.2"  # the Danish civil registration number (DK Core): `worklist`'s default
