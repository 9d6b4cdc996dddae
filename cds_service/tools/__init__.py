"""Command-line tools: serve, replay, timeline, worklist, bundle sets, NDJSON exports."""
