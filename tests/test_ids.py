"""Card and suggestion ids: random version-4 UUIDs, never repeated (feedback is keyed on them)."""

from __future__ import annotations

import uuid

from cds_service.cards.ids import new_uuid


def test_ids_are_canonical_random_uuids_and_never_repeat() -> None:
    seen = set()
    for _ in range(5000):  # many buffer refills (256 ids per buffer)
        text = new_uuid()
        parsed = uuid.UUID(text)
        assert str(parsed) == text  # lower-case, hyphenated, 36 characters
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122
        seen.add(text)
    assert len(seen) == 5000
