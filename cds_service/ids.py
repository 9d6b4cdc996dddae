"""Random UUIDs for cards and suggestions, cheaply.

`uuid.uuid4()` makes one `os.urandom` system call per id; a response has several ids and
the service answers thousands of requests a second. Ids are cut from a buffer of
`os.urandom` bytes instead: still from the OS's secure source, one call per 256 ids.
They must stay unguessable, since feedback is accepted for known card ids.
"""

from __future__ import annotations

import os
import threading
import uuid

_BUFFER_IDS = 256
_lock = threading.Lock()
_buffer = b""
_offset = 0


def new_uuid() -> str:
    """A random (version 4) UUID string."""
    global _buffer, _offset
    with _lock:
        if _offset >= len(_buffer):
            _buffer, _offset = os.urandom(16 * _BUFFER_IDS), 0
        chunk = _buffer[_offset:_offset + 16]
        _offset += 16
    return str(uuid.UUID(bytes=chunk, version=4))
