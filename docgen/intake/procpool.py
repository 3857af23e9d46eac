"""Job processes: N processes, each with its own warm LibreOffice, each running whole jobs.

Rendering, assembling and sealing are Python work; in threads of one process
they take turns (the GIL), so a second worker added almost nothing. Here every
job process owns one LibreOffice worker and runs jobs from start to finish, so
N processes use N cores. The parent only takes files and registers them; the
children write their own ledger entries (SQLite copes with several writers).
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import select
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing.util import Finalize
from pathlib import Path

from docgen.errors import DocgenError
from docgen.intake.hotfolder import Folders
from docgen.intake.jobs import Outcome, process
from docgen.intake.ledger import JobLedger
from docgen.intake.ledgers import open_ledger
from docgen.pipeline import JobResult, run_job
from docgen.settings import Settings
from docgen.stages.convert import Converter
from docgen.stages.convert.factory import open_converter

log = logging.getLogger("docgen.intake")

# One converter and one ledger connection per job process, made by _start().
_converter: Converter | None = None
_ledger: JobLedger | None = None


def _watch_parent(parent: int, stop: Callable[[], None]) -> None:
    """End this job process (and its LibreOffice) as soon as the process that started it is gone.

    A parent killed by SIGKILL runs no clean-up, and job processes would wait for work forever;
    a pidfd becomes readable when the parent exits, whatever ended it.
    """
    try:
        fd = os.pidfd_open(parent)
    except OSError:  # already gone
        stop()
        os._exit(0)
    select.select([fd], [], [])
    log.debug("Elternprozess %d beendet; Auftragsprozess %d räumt auf", parent, os.getpid())
    stop()
    os._exit(0)


def _start(settings: Settings, log_level: int, parent: int) -> None:
    """Initialise a job process: its own single LibreOffice worker and ledger connection."""
    global _converter, _ledger
    # The parent decides about shutdown; a Ctrl-C or SIGTERM to the group must not kill jobs halfway.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("docgen").setLevel(log_level)
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    context = open_converter(dataclasses.replace(settings, workers=1), pooled=True)
    _converter = context.__enter__()
    # multiprocessing ends its children without atexit; Finalize runs on that way out.
    Finalize(None, context.__exit__, args=(None, None, None), exitpriority=10)
    threading.Thread(target=_watch_parent, args=(parent, lambda: context.__exit__(None, None, None)),
                     daemon=True, name="eltern-waechter").start()


def _ready() -> int:
    """A no-op job: submitted once per process at start, so every process (and its LibreOffice) starts
    then, not when the first file arrives."""
    return os.getpid()


def _job(work_file: Path, job_id: str, folders: Folders, settings: Settings) -> Outcome:
    global _ledger
    assert _converter is not None
    if _ledger is None:
        _ledger = open_ledger(settings)
    return process(work_file, job_id, folders, settings, _converter, _ledger)


def _render(path: Path, out_dir: Path, settings: Settings, bundle: bool) -> JobResult | DocgenError:
    assert _converter is not None
    try:
        return run_job(path, out_dir, settings, _converter, bundle=bundle)
    except DocgenError as exc:
        return exc


class JobProcesses:
    """A pool of ``settings.worker_count`` job processes (a context manager)."""

    def __init__(self, settings: Settings, processes: int | None = None) -> None:
        self.settings = settings
        context = multiprocessing.get_context("forkserver")
        self._executor = ProcessPoolExecutor(
            max_workers=processes or settings.worker_count, mp_context=context, initializer=_start,
            initargs=(settings, logging.getLogger("docgen").getEffectiveLevel(), os.getpid()))
        # The executor starts a process per submitted job while none is idle: one no-op per process
        # starts them all now (each initialiser starts and warms its LibreOffice), in the background.
        self._warming = [self._executor.submit(_ready) for _ in range(processes or settings.worker_count)]

    def submit(self, work_file: Path, job_id: str, folders: Folders) -> Future[Outcome]:
        return self._executor.submit(_job, work_file, job_id, folders, self.settings)

    def render(self, path: Path, out_dir: Path, *, bundle: bool = True) -> Future[JobResult | DocgenError]:
        """One input file through the whole pipeline in a job process (see ``api.render_many``)."""
        return self._executor.submit(_render, path, out_dir, self.settings, bundle)

    def close(self, *, cancel: bool = False) -> None:
        """Let running (and, unless ``cancel``, queued) jobs finish, then stop the processes and
        their LibreOffice."""
        self._executor.shutdown(wait=True, cancel_futures=cancel)

    def __enter__(self) -> JobProcesses:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        # Interrupted (Ctrl-C, SIGTERM): queued jobs are dropped, running ones end, nothing is left.
        self.close(cancel=exc_type is not None)
