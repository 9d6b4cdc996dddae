"""A real headless Chromium for tests: dump the DOM, take a screenshot, decode the PNG.

Debian's chromium is installed by `scripts/install-system-packages.sh`, never by a test;
without it the tests that need it skip, saying why (and fail under CI=true). The PNG
decoder is a few lines of zlib so the check needs no imaging library.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars",
]
RUN_TIMEOUT_S = 90


def find_chromium() -> tuple[str | None, str]:
    """(path, "") when chromium is installed, else (None, why not)."""
    path = shutil.which("chromium") or (CHROMIUM if os.path.exists(CHROMIUM) else None)
    if path:
        return path, ""
    return None, "no chromium on PATH or at /usr/bin/chromium (Debian package chromium)"


def _run(chromium: str, args: list[str], profile: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True, timeout=RUN_TIMEOUT_S, text=False,
    )


def dump_dom(chromium: str, page: Path) -> str:
    """The DOM after load (scripts run, SVG parsed)."""
    with tempfile.TemporaryDirectory() as profile:
        done = _run(chromium, ["--dump-dom", page.resolve().as_uri()], profile)
    if done.returncode != 0:
        raise RuntimeError(f"chromium --dump-dom failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return done.stdout.decode("utf-8")


def screenshot(chromium: str, page: Path, out: Path, size: tuple[int, int] = (1280, 1100)) -> Path:
    with tempfile.TemporaryDirectory() as profile:
        done = _run(chromium, [f"--screenshot={out}", f"--window-size={size[0]},{size[1]}", page.resolve().as_uri()], profile)
    if done.returncode != 0 or not out.exists():
        raise RuntimeError(f"chromium --screenshot failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return out


def decode_png(data: bytes) -> tuple[int, int, int, list[bytes]]:
    """(width, height, bytes per pixel, rows) of an 8-bit RGB/RGBA/grey, non-interlaced PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    width, height, depth, colour, _c, _f, interlace = header
    if depth != 8 or interlace != 0 or colour not in (0, 2, 4, 6):
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour}, interlace {interlace})")
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = previous[i]
            c = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, bpp, rows


def ink(rows: list[bytes], bpp: int, step: int = 3) -> tuple[int, int, set[tuple[int, int, int]]]:
    """(sampled pixels, non-white pixels, distinct colours): is anything drawn, in colour?"""
    total = non_white = 0
    colours: set[tuple[int, int, int]] = set()
    for row in rows[::step]:
        for x in range(0, len(row) - bpp + 1, bpp * step):
            px = row[x:x + 3] if bpp >= 3 else row[x:x + 1] * 3
            total += 1
            if min(px) < 235:
                non_white += 1
                colours.add((px[0] // 32, px[1] // 32, px[2] // 32))
    return total, non_white, colours
