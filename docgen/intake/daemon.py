"""``docgen watch``: the hot-folder daemon.

Native file events where they work, polling for network shares (``--poll``),
and a periodic full rescan as a safety net either way, so a missed event delays
a file but never loses it. The daemon owns its inbox for its whole life
(:class:`~docgen.intake.hotfolder.InboxLock`): a second ``watch`` or a ``batch`` on
the same inbox refuses to start (exit 9). Whatever is waiting at start is
processed; jobs a crash left in the work area are finished first. One file that
cannot be taken (its name too long, a rename refused) is reported or skipped,
never blocking the files after it; if a shared folder is replaced by a symlink
while running, no new file is taken until it is a real folder again. Jobs run
concurrently in job processes while the main thread keeps watching.
SIGTERM/SIGINT: stop taking files, let running jobs finish, stop the pool, exit 0.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from types import FrameType

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from docgen.errors import DocgenError
from docgen.intake.hotfolder import (
    Folders,
    InboxLock,
    StabilityTracker,
    candidates,
    ensure_folders,
    has_candidates,
)
from docgen.intake.jobs import Outcome, left_over, take
from docgen.intake.ledger import LEDGER_FILE, JobLedger
from docgen.intake.ledgers import open_ledger
from docgen.intake.procpool import JobProcesses
from docgen.pipeline import sweep_work
from docgen.settings import Settings

log = logging.getLogger("docgen.watch")
__all__ = ["LEDGER_FILE", "Daemon"]


class _Wake(FileSystemEventHandler):
    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def on_any_event(self, event: FileSystemEvent) -> None:
        self.event.set()


class Daemon:
    def __init__(self, settings: Settings, folders: Folders) -> None:
        self.settings = settings
        self.folders = folders
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.tracker = StabilityTracker(settings.stable_seconds)
        self.running: set[Future[Outcome]] = set()

    def _observer(self) -> BaseObserver:
        poll = self.settings.poll
        observer: BaseObserver = PollingObserver(timeout=poll) if poll > 0 else Observer()
        observer.schedule(_Wake(self.wake), str(self.folders.inbox), recursive=False)
        return observer

    def _signal(self, signum: int, frame: FrameType | None) -> None:
        # Said once per stop: a signal that arrives again (held back while the job processes started and
        # then handed on, or sent twice) changes nothing.
        if not self.stop.is_set():
            log.info("Signal %s: nehme keine neuen Dateien mehr an, laufende Aufträge werden beendet", signum)
        self.stop.set()
        self.wake.set()

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._signal)
        signal.signal(signal.SIGINT, self._signal)

    def _check_finished(self) -> bool:
        """Forget finished jobs; False when a job process died and the pool must be replaced."""
        broken = False
        for future in [f for f in self.running if f.done()]:
            self.running.discard(future)
            if isinstance(future.exception(), BrokenProcessPool):
                broken = True
        return not broken

    def _take_ready(self, pool: JobProcesses, ledger: JobLedger) -> None:
        ensure_folders(self.folders)  # a folder replaced by a symlink: take nothing until it is fixed
        # Take no more than the job processes can start (and one waiting per LibreOffice worker), so a
        # stop leaves the rest safely in the inbox.
        free = max(0, pool.capacity + self.settings.worker_count - len(self.running))
        for path in self.tracker.ready(candidates(self.folders.inbox), time.monotonic())[:free]:
            try:
                taken = take(path, self.folders, ledger)
            except (DocgenError, OSError) as exc:
                # This one file cannot be taken now (ledger locked, rename refused): the others go on.
                self.tracker.forget(path.name)
                reason = exc.message if isinstance(exc, DocgenError) else str(exc)
                log.warning("%s: bleibt im Eingang, neuer Versuch später (%s)", path.name, reason)
                continue
            if taken is not None and taken.work_file is not None:
                self._track(pool.submit(taken.work_file, taken.job_id, self.folders))

    def _track(self, future: Future[Outcome]) -> None:
        # A finished job frees a process: the loop wakes to take the next file at once.
        self.running.add(future)
        future.add_done_callback(lambda _: self.wake.set())

    def _next_wait(self) -> float:
        # While files settle, look again soon; otherwise sleep until an event or the next rescan.
        settling = has_candidates(self.folders.inbox)
        tick = self.settings.poll if self.settings.poll > 0 else self.settings.rescan_seconds
        return min(tick, max(0.2, self.settings.stable_seconds / 3)) if settling else tick

    def _resume(self, pool: JobProcesses, ledger: JobLedger, lock: InboxLock) -> None:
        for job_id, work_file in left_over(self.folders, ledger, lock):
            self._track(pool.submit(work_file, job_id, self.folders))

    def run(self) -> int:
        """Own the inbox (exit 9 when another docgen does), then watch it until a signal arrives."""
        with InboxLock(self.folders.inbox, "docgen watch", self.settings.zeitzone) as lock:
            return self._run(lock)

    def _run(self, lock: InboxLock) -> int:
        sweep_work(self.settings)
        ledger = open_ledger(self.settings)
        observer = self._observer()
        mode = f"Abfrage alle {self.settings.poll:g} s" if self.settings.poll > 0 else "Dateiereignisse"
        log.info("docgen watch: Eingang %s, Ausgang %s (%s, Nachschau alle %g s, %d Prozesse)", self.folders.inbox,
                 self.folders.outbox, mode, self.settings.rescan_seconds, self.settings.worker_count)
        pool = JobProcesses(self.settings, prepare=True, offer=True)
        try:
            self._resume(pool, ledger, lock)
            observer.start()
            while not self.stop.is_set():
                if not self._check_finished():
                    log.error("ein Auftragsprozess ist abgestürzt; die Prozesse werden neu gestartet")
                    pool.close()
                    pool = JobProcesses(self.settings, prepare=True, offer=True)
                    self._resume(pool, ledger, lock)
                try:
                    self._take_ready(pool, ledger)
                except (OSError, DocgenError) as exc:
                    # e.g. the network share is gone for a moment: keep running, look again later
                    reason = exc.message if isinstance(exc, DocgenError) else str(exc)
                    log.error("Eingangsordner nicht nutzbar: %s; neuer Versuch in %g s", reason,
                              self.settings.rescan_seconds)
                    self.wake.wait(self.settings.rescan_seconds)
                self.wake.wait(self._next_wait())
                self.wake.clear()
        finally:
            observer.stop()
            observer.join(timeout=10)
            log.info("warte auf %d laufende Aufträge", sum(1 for f in self.running if not f.done()))
            pool.close()
            ledger.close()
        log.info("docgen watch beendet")
        return 0
