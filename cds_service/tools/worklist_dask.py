"""The worklist on a Dask cluster (`cds-service worklist --dask`): Dask distributes, we do not.

The client indexes the export (offsets only, as for the local run) and submits one task per
chunk of patients. A task reads its patients' lines by byte offset from the export files,
runs `worklist.evaluate_chunk` (the function the local process pool runs, which answers each
patient through `pipeline.answer_local`) and returns only the rows that need action plus
counts. Workers therefore must see the export at the same path as the client (shared
storage) and have the package installed; each worker process loads the runtime once.

`local` starts a `LocalCluster` on this machine (processes, one thread each, listening on
127.0.0.1); any other value is a scheduler address (tcp://host:8786) to connect to.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, Callable

from ..errors import ConfigError, InputError
from ..runtime import Runtime, load_runtime
from ..settings import Settings
from .ndjson import LineReader
from .worklist import Chunk, ChunkResult, evaluate_chunk

LOCAL = "local"
SHARED = "the export directory must be on shared storage, at the same path for the client and every worker"
WAIT_FOR_WORKERS_S = 30.0  # a scheduler with no workers would leave the run waiting for ever


@dataclass(frozen=True)
class ExportFiles:
    """The export as the client saw it: absolute paths, sizes and modification times (workers check them)."""

    paths: tuple[str, ...]
    sizes: tuple[int, ...]
    mtimes: tuple[int, ...]  # whole seconds: shared file systems differ in finer precision

    @classmethod
    def of(cls, files: list[str]) -> ExportFiles:
        paths = tuple(str(Path(f).resolve()) for f in files)
        stats = [os.stat(p) for p in paths]
        return cls(paths, tuple(st.st_size for st in stats), tuple(int(st.st_mtime) for st in stats))


def worker_settings(settings: Settings) -> Settings:
    """Only what `load_runtime` reads, with absolute paths: no secrets (database URL, keys) leave the client."""

    def absolute(p: str | None) -> str | None:
        return str(Path(p).resolve()) if p else p

    return Settings(timezone=settings.timezone, ruleset=settings.ruleset, policy_file=absolute(settings.policy_file),
                    valueset_dir=absolute(settings.valueset_dir),
                    disabled_advice_file=absolute(settings.disabled_advice_file),
                    evaluation_date=settings.evaluation_date)


# -- worker side -----------------------------------------------------------------------------
_LOCK = threading.Lock()
_RUNTIMES: dict[tuple[Any, ...], Runtime] = {}
_READERS: dict[ExportFiles, LineReader] = {}


def _runtime(settings: Settings, ruleset: str) -> Runtime:
    key = (settings.timezone, settings.ruleset, settings.policy_file, settings.valueset_dir,
           settings.disabled_advice_file, settings.evaluation_date)
    runtime = _RUNTIMES.get(key)
    if runtime is None:
        try:
            runtime = _RUNTIMES[key] = load_runtime(settings)
        except ConfigError as exc:  # e.g. the policy file is not at that path on this machine
            raise InputError(f"a Dask worker on {socket.gethostname()} cannot load the configuration: {exc}") from None
    if runtime.ruleset.label != ruleset:  # e.g. a different policy file at the same path
        raise InputError(f"a Dask worker on {socket.gethostname()} runs rule set {runtime.ruleset.label}, the client "
                         f"{ruleset}: every worker needs the same checkout and the same CDS_POLICY_FILE")
    return runtime


def _reader(export: ExportFiles) -> LineReader:
    reader = _READERS.get(export)
    if reader is None:
        for old in _READERS.values():  # a new export: the previous one's files are done with
            old.close()
        _READERS.clear()
        for path, size, mtime in zip(export.paths, export.sizes, export.mtimes):
            try:
                seen = os.stat(path)
            except OSError as exc:
                raise InputError(f"a Dask worker on {socket.gethostname()} cannot read {path} ({exc.strerror}): "
                                 f"{SHARED}") from None
            if (seen.st_size, int(seen.st_mtime)) != (size, mtime):
                raise InputError(f"a Dask worker on {socket.gethostname()} sees another {path} ({seen.st_size} bytes, "
                                 f"modified {int(seen.st_mtime)}; the client: {size}, {mtime}): {SHARED}")
        reader = _READERS[export] = LineReader(list(export.paths))
    return reader


def evaluate_chunk_task(chunk: Chunk, *, export: ExportFiles, settings: Settings, ruleset: str,
                        identifier_system: str, today: date) -> ChunkResult:
    """One Dask task: the runtime and open files are kept per worker process, across tasks and runs."""
    with _LOCK:  # several threads in one worker take turns: the rules are pure Python and the files are shared
        return evaluate_chunk(chunk, today, _runtime(settings, ruleset), _reader(export), identifier_system)


# -- client side -----------------------------------------------------------------------------
class DaskCluster:
    """A Dask client for the run: a LocalCluster it starts (`local`) or a running scheduler."""

    label = "Dask worker(s)"

    def __init__(self, address: str, jobs: int | None = None) -> None:
        self.address = address
        self.jobs = max(1, jobs or os.cpu_count() or 1)
        self.cluster: Any = None
        self.client: Any = None
        self.workers = 0
        self.log_level: int | None = None

    def __enter__(self) -> DaskCluster:
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise InputError("--dask needs Dask: install the [dask] extra (pip install -e '.[dask]' in the checkout)") from None
        log = logging.getLogger("distributed")
        self.log_level = log.level
        # The scheduler of a local cluster runs in this process and narrates at INFO; a remote
        # scheduler's client still says what matters (e.g. version mismatches) as warnings.
        log.setLevel(logging.ERROR if self.address == LOCAL else max(log.getEffectiveLevel(), logging.WARNING))
        try:
            if self.address == LOCAL:
                self.cluster = LocalCluster(n_workers=self.jobs, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                            silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
            else:
                self.client = Client(self.address)  # gives up after Dask's distributed.comm.timeouts.connect
        except (OSError, ValueError) as exc:
            self.close()
            raise InputError(f"cannot reach the Dask scheduler at {self.address}: {exc}") from None
        try:
            self.client.wait_for_workers(1, timeout=WAIT_FOR_WORKERS_S)
        except (OSError, TimeoutError):
            self.close()
            raise InputError(f"the Dask scheduler at {self.address} has no workers "
                             f"(none joined within {WAIT_FOR_WORKERS_S:.0f} s)") from None
        self.workers = len(self.client.nthreads())
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None
        if self.log_level is not None:
            logging.getLogger("distributed").setLevel(self.log_level)
            self.log_level = None

    def evaluate(self, files: list[str], chunks: list[Chunk], today: date, settings: Settings,
                 identifier_system: str, done: Callable[[int], None]) -> list[ChunkResult]:
        """Submit every chunk, follow them as they finish, return the parts in chunk order."""
        from distributed import as_completed

        sent = worker_settings(settings)
        shared = {"export": ExportFiles.of(files), "settings": sent, "ruleset": load_runtime(sent).ruleset.label,
                  "identifier_system": identifier_system, "today": today}
        # One submission per chunk: each carries its own offsets (~25 bytes per line), never one large graph.
        futures = [self.client.submit(evaluate_chunk_task, chunk, pure=False, **shared) for chunk in chunks]
        try:
            for future in as_completed(futures):
                done(self._result(future).patients)
        except BaseException:
            self.client.cancel(futures)  # a failed or interrupted run leaves nothing running on the cluster
            raise
        self.workers = len(self.client.nthreads())  # workers may have joined (or left) meanwhile
        return [self._result(future) for future in futures]

    def _result(self, future: Any) -> ChunkResult:
        """Per-patient errors are inside the result; an exception here is the cluster's or the set-up's."""
        try:
            return future.result()  # type: ignore[no-any-return]
        except (InputError, ConfigError):
            raise
        except Exception as exc:  # e.g. KilledWorker, or the package missing on a worker
            raise InputError(f"the Dask cluster at {self.address} failed a task: {type(exc).__name__}: {exc}") from None
