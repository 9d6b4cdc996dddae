"""Kill switch: stop showing one advice code without a redeploy.

`CDS_DISABLED_ADVICE_FILE` names a JSON list of advice codes, e.g. `["stop-overdue"]`.
The file is stat'ed at most once per second and re-read when its mtime (or size)
changes, so the hot path costs a clock read. Advice with a disabled code is removed
before any card is rendered (the pipeline applies it), and the HTTP layer counts it
(`cds_cards_suppressed_total`). A file that cannot be read
or parsed keeps the previous list (a half-written file must not switch advice back on)
and is retried on the next check; a deleted file switches everything back on.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable

from cql_like_rules import ADVICE_CODES, Advice

log = logging.getLogger("cds_service.killswitch")
CHECK_INTERVAL = 1.0  # seconds between stat() calls


class KillSwitch:
    def __init__(self, path: str | None, on_error: Callable[[], None] = lambda: None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.path = path
        self.on_error = on_error  # counts unreadable files (a metric in the server)
        self.clock = clock
        self.disabled: frozenset[str] = frozenset()
        self._checked = float("-inf")
        self._stamp: tuple[int, int] | None = None
        self.refresh()

    def refresh(self) -> None:
        """Re-read the file if it changed since the last successful read."""
        self._checked = self.clock()
        if not self.path:
            return
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            if self._stamp is not None or self.disabled:
                log.warning("kill-switch file removed: no advice code is disabled")
            self._stamp, self.disabled = None, frozenset()
            return
        except OSError as exc:
            self._failed(f"cannot stat ({exc.strerror})")
            return
        stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        try:
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError) as exc:
            self._failed(f"cannot read ({type(exc).__name__})")
            return
        if not isinstance(data, list) or not all(isinstance(c, str) for c in data):
            self._failed("must hold a JSON list of advice codes")
            return
        unknown = sorted(set(data) - set(ADVICE_CODES))
        if unknown:
            log.warning("kill-switch file names unknown advice codes (typo?): %s", ", ".join(unknown))
        codes = frozenset(data)
        if codes != self.disabled:
            log.warning("kill switch: disabled advice codes now %s", sorted(codes) or "none")
        self._stamp, self.disabled = stamp, codes

    def _failed(self, why: str) -> None:
        self.on_error()
        log.error("kill-switch file %s: %s; keeping the previous list %s", self.path, why, sorted(self.disabled))

    def apply(self, advice: tuple[Advice, ...]) -> tuple[tuple[Advice, ...], list[str]]:
        """(advice to show, codes removed)."""
        if self.path and self.clock() - self._checked >= CHECK_INTERVAL:
            self.refresh()
        if not self.disabled or not advice:
            return advice, []
        kept = tuple(a for a in advice if a.code not in self.disabled)
        return kept, [a.code for a in advice if a.code in self.disabled]
