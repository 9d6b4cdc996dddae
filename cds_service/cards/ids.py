"""Random UUIDs for cards and suggestions, cheaply.

`uuid.uuid4()` makes one `os.urandom` system call per id; a response has several ids and
the service answers thousands of requests a second. Ids are cut from a buffer of
`os.urandom` bytes instead: still from the OS's secure source, one call per 256 ids.
They must stay unguessable, since feedback is accepted for known card ids.
"""

from __future__ import annotations

import os
import threading

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
        chunk = bytearray(_buffer[_offset:_offset + 16])
        _offset += 16
    chunk[6] = (chunk[6] & 0x0F) | 0x40  # version 4
    chunk[8] = (chunk[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = chunk.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"  # as str(uuid.UUID(...)), without the object
