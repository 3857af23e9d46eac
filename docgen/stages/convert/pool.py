"""Stage 3, convert: a pool of warm LibreOffice workers (the daemon's and ``batch``'s converter).

Starting LibreOffice costs seconds, converting a short DOCX in a running one a
fraction of that. So the pool keeps N LibreOffice processes running, each driven
by :mod:`.uno_worker` (run under the system Python, which can import ``uno``)
over JSON lines. As in unoserver: a private profile per worker
(``<state_dir>/lo-profiles/worker-<i>``, held with ``flock`` so that not even a
second docgen process can share it: a shared profile silently loses documents);
one job at a time per worker behind a bounded queue; a hard timeout that kills
the worker's process group (worker, ``soffice``, ``soffice.bin``) and retries
once on a fresh worker; recycling after ``max_jobs_per_worker`` jobs or a crash;
every PDF verified before it is moved into place.
"""

from __future__ import annotations

import atexit
import fcntl
import json
import logging
import os
import queue
import shutil
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from docgen.errors import ConversionFailed, DependencyMissing, FileAccessError, oserror_text
from docgen.settings import Settings
from docgen.stages.convert import PDF_EXPORT_OPTIONS
from docgen.stages.convert.pdfcheck import verify_pdf
from docgen.stages.convert.worker import WorkerFault, WorkerProcess

log = logging.getLogger("docgen.convert.pool")

# A worker fault's kind (``WorkerFault.kind``) as the log says it.
_KIND_TEXT = {"timeout": "Zeitüberschreitung", "died": "Prozess beendet", "error": "Fehler beim Umwandeln",
              "invalid": "unbrauchbare Ausgabe", "protocol": "unverständliche Antwort", "start": "Start fehlgeschlagen"}

SYSTEM_PYTHON = "/usr/bin/python3"
WORKER_SCRIPT = Path(__file__).with_name("uno_worker.py")
INSTALL_HINT = "Installieren: apt-get install python3-uno libreoffice-writer-nogui"

# Extra time, beyond start_timeout, for the worker to report its own start failure.
READY_GRACE = 5.0
# How long close() and recycling let LibreOffice quit on its own before killing it.
STOP_GRACE = 3.0


def filter_data() -> dict[str, object]:
    """The PDF/A export options as plain JSON values for the worker."""
    return {name: value for name, (_type, value) in PDF_EXPORT_OPTIONS.items()}


def write_warmup_docx(path: Path) -> None:
    """A tiny DOCX using what our templates use, so a worker's first real job finds it loaded.

    Above all German automatic hyphenation: LibreOffice reads Debian's German patterns
    (hyph_de_DE.dic, about 1 MB) when a paragraph first needs them, which takes 2–3 s once per
    LibreOffice process. Warming up with a hyphenated German paragraph moves that wait from
    the first file to the start of the worker. Written once; later starts reuse the file.
    """
    if path.is_file():
        return
    from docx import Document  # python-docx; imported here to keep importing the pool cheap
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = Document()
    language = OxmlElement("w:lang")
    language.set(qn("w:val"), "de-DE")
    document.styles["Normal"].element.get_or_add_rPr().append(language)
    hyphenate = OxmlElement("w:autoHyphenation")
    hyphenate.set(qn("w:val"), "true")
    document.settings.element.append(hyphenate)
    document.add_heading("Warmlauf", level=1)
    document.add_paragraph("Lädt Import- und PDF/A-Exportfilter vor: äöüß €. " + " ".join(
        ["Integrationsmaßnahmenverwendungsnachweisprüfung Zuwendungsempfängerin"] * 6))
    document.add_paragraph("Erster Punkt", style="List Bullet")
    document.add_table(rows=2, cols=2).style = "Table Grid"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    document.save(str(tmp))
    os.replace(tmp, path)  # two pools may write it at once; both write the same thing


@dataclass
class _Job:
    docx: Path
    pdf: Path
    future: Future[int] = field(default_factory=Future)


@dataclass
class _Slot:
    """One place in the pool: a profile directory held by us and the worker using it."""

    index: int
    profile: Path
    lock: IO[str]
    worker: WorkerProcess | None = None
    jobs_done: int = 0
    started: Future[None] = field(default_factory=Future)


class _Closed(Exception):
    """The pool was closed while a job was waiting or running."""


class PoolClosed(ConversionFailed):
    """Not converted because the pool was being closed (its owner stops): another converter may take it."""


def require_libreoffice(settings: Settings, python: str | None) -> None:
    """LibreOffice (and, for the warm workers, the ``python`` that imports ``uno``) must exist (exit 3)."""
    if shutil.which(settings.soffice) is None:
        hint = INSTALL_HINT if python is not None else "Installieren: apt-get install libreoffice-writer-nogui"
        raise DependencyMissing(f"LibreOffice ({settings.soffice}) wurde nicht gefunden. {hint}")
    if python is not None and shutil.which(python) is None:
        raise DependencyMissing(f"Der Python-Interpreter {python} für die LibreOffice-Anbindung (uno) "
                                f"wurde nicht gefunden. {INSTALL_HINT}")


class LibreOfficePool:
    """A :class:`~docgen.stages.convert.Converter` backed by warm LibreOffice workers.

    ``python`` is the interpreter that runs the worker (it must import ``uno``).
    ``worker_argv`` replaces the whole worker command (tests use it to inject
    faults); the pool appends ``--soffice``, ``--profile``, ``--start-timeout``
    and ``--filter-data``. ``max_pending`` bounds the jobs waiting or running;
    further callers block until there is room.

    The constructor starts and warms up every worker and raises if one fails; with
    ``wait=False`` it returns at once while the workers start in the background (a one-off
    ``render`` validates and renders meanwhile), and the first :meth:`convert` waits for them
    and raises a start failure there. Safe to call :meth:`convert` from many threads at once.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        python: str = SYSTEM_PYTHON,
        worker_argv: Sequence[str] | None = None,
        max_pending: int | None = None,
        wait: bool = True,
    ) -> None:
        self.settings = settings
        self._worker_argv = list(worker_argv or [python, str(WORKER_SCRIPT)])
        self._check_dependencies(python, check_python=worker_argv is None)
        self._root = settings.state_dir / "lo-profiles"
        self._warmup = self._root / "warmup" / "warmup-de.docx"
        self._lock = threading.Lock()
        self._closed = False
        self._started = False
        self._live: set[WorkerProcess] = set()
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        count = settings.worker_count
        self._room = threading.BoundedSemaphore(max_pending or 8 * count)
        try:
            self._root.mkdir(parents=True, exist_ok=True)
            write_warmup_docx(self._warmup)
            self._slots = self._claim_slots(count)
        except OSError as exc:
            raise FileAccessError(
                f"{self._root}: Arbeitsordner für LibreOffice nicht anlegbar ({oserror_text(exc)}). "
                "Bitte die Einstellung state_dir und die Schreibrechte prüfen."
            ) from exc
        atexit.register(self.close)  # safety net: never leave LibreOffice behind at exit
        self._threads = [
            threading.Thread(target=self._serve, args=(slot,), name=f"lo-pool-{slot.index}",
                             daemon=True)
            for slot in self._slots
        ]
        for thread in self._threads:
            thread.start()
        if wait:
            self._await_start()

    # -- public interface -------------------------------------------------

    def convert(self, docx: Path, pdf: Path) -> int:
        """Convert ``docx`` to PDF/A-2b at ``pdf`` (overwritten), verified; its page count."""
        if not docx.is_file():
            raise FileAccessError(f"{docx}: DOCX-Datei nicht gefunden; bitte den Pfad prüfen.")
        try:
            pdf.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FileAccessError(
                f"{pdf.parent}: Ausgabeordner nicht anlegbar ({oserror_text(exc)})."
            ) from exc
        if not self._started:
            self._await_start()  # started with wait=False: the first conversion waits for the workers
        job = _Job(docx.resolve(), pdf.resolve())
        with self._room:  # the bounded queue: blocks while max_pending jobs are in flight
            with self._lock:
                if self._closed:
                    raise self._closing_error(docx)
                self._jobs.put(job)
            return job.future.result()

    def wait_started(self) -> bool:
        """Wait until every worker has started: True, or False when a start failed (the next
        :meth:`convert` raises that failure; waiting here changes nothing)."""
        return self._start_failure() is None

    def _start_failure(self) -> BaseException | None:
        """Wait for every worker's start; the first failure, if any."""
        for slot in self._slots:
            try:
                slot.started.result()
            except BaseException as exc:
                return exc
        return None

    def close(self) -> None:
        """Stop every worker and kill its process group; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            workers = list(self._live)
        atexit.unregister(self.close)
        self._fail_queued()
        # Every output was verified when its conversion returned, so nothing is lost by not waiting for
        # LibreOffice's own shutdown (about a second per process, mostly writing its profile): the
        # process groups are killed at once, and the profiles work as before on the next start.
        for worker in workers:
            self._kill(worker)
        for _ in self._threads:
            self._jobs.put(None)
        for thread in self._threads:
            thread.join(timeout=STOP_GRACE + 2)
        with self._lock:
            stragglers = list(self._live)  # started in a race with close()
        for worker in stragglers:
            self._kill(worker)
        for slot in self._slots:
            slot.lock.close()  # releases the flock on the profile
        log.info("LibreOffice-Prozesse beendet")

    def __enter__(self) -> LibreOfficePool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def worker_pids(self) -> list[int | None]:
        """Process id (= process group) of each slot's worker; None while it is being replaced."""
        return [slot.worker.pid if slot.worker else None for slot in self._slots]

    def profile_dirs(self) -> list[Path]:
        """The private LibreOffice profile directory of each slot."""
        return [slot.profile for slot in self._slots]

    # -- start-up ---------------------------------------------------------

    def _check_dependencies(self, python: str, *, check_python: bool) -> None:
        require_libreoffice(self.settings, python if check_python else None)

    def _claim_slots(self, count: int) -> list[_Slot]:
        """Lock ``count`` profile directories; skip those another docgen process holds."""
        slots: list[_Slot] = []
        index = 0
        while len(slots) < count:
            lock = (self._root / f"worker-{index}.lock").open("a")
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                log.info("Profil worker-%d wird von einem anderen Prozess benutzt; es wird übersprungen", index)
            else:
                slots.append(_Slot(index, self._root / f"worker-{index}", lock))
            index += 1
        return slots

    def _await_start(self) -> None:
        failure = self._start_failure()
        if failure is not None:
            self.close()
            raise failure
        self._started = True

    def _spawn(self, slot: _Slot) -> WorkerProcess:
        """Start a worker on ``slot``'s profile; it is killed by close() even while starting."""
        slot.profile.mkdir(parents=True, exist_ok=True)
        # A killed soffice leaves its lock file behind; the flock proves nobody uses the profile.
        (slot.profile / ".lock").unlink(missing_ok=True)
        argv = [
            *self._worker_argv,
            "--soffice", self.settings.soffice,
            "--profile", str(slot.profile),
            "--start-timeout", f"{self.settings.start_timeout:g}",
            "--filter-data", json.dumps(filter_data()),
        ]
        with self._lock:
            if self._closed:
                raise _Closed
            try:
                worker = WorkerProcess(argv, name=f"worker-{slot.index}")
            except OSError as exc:
                raise DependencyMissing(
                    f"{argv[0]} ließ sich nicht starten ({oserror_text(exc)}). {INSTALL_HINT}"
                ) from exc
            self._live.add(worker)
        return worker

    def _kill(self, worker: WorkerProcess) -> None:
        worker.kill()
        with self._lock:
            self._live.discard(worker)

    def _start(self, slot: _Slot) -> WorkerProcess:
        """Start, connect and warm up a worker; raise WorkerFault or DependencyMissing."""
        began = time.monotonic()
        worker = self._spawn(slot)
        limit = self.settings.start_timeout
        try:
            ready = worker.read_message(limit + READY_GRACE)
            if not ready.get("ready"):
                self._raise_not_ready(ready)
            worker.pipe_name = ready.get("pipe")
            warm_pdf = self._warmup.with_name(f"worker-{slot.index}.pdf")
            # The first conversion loads the hyphenation patterns (seconds): part of the start, and a
            # conversion too, so it gets the longer of the two limits.
            limit = max(limit, self.settings.convert_timeout)
            self._convert_once(worker, self._warmup, warm_pdf, timeout=limit)
        except WorkerFault as fault:
            self._kill(worker)
            detail = fault.detail
            if fault.kind == "timeout":
                detail = f"nicht innerhalb von {limit:g} s bereit"
            raise WorkerFault("start", detail) from fault
        except BaseException:
            self._kill(worker)
            raise
        log.info(
            "LibreOffice-Prozess %d gestartet: PID %d, soffice-PID %s, Profil %s, %.1f s",
            slot.index, worker.pid, ready.get("soffice_pid"), slot.profile,
            time.monotonic() - began,
        )
        return worker

    def _raise_not_ready(self, ready: dict[str, Any]) -> None:
        missing = ready.get("missing")
        if missing == "uno":
            raise DependencyMissing(
                f"{self._worker_argv[0]} kann das Python-Modul uno nicht laden. {INSTALL_HINT}"
            )
        if missing == "soffice":
            raise DependencyMissing(
                f"LibreOffice ({self.settings.soffice}) ließ sich nicht starten "
                f"({ready.get('error')}). {INSTALL_HINT}"
            )
        raise WorkerFault("start", str(ready.get("error", "unbekannter Fehler")))

    # -- the work ---------------------------------------------------------

    def _serve(self, slot: _Slot) -> None:
        """The thread that owns ``slot``: start its worker, then take jobs until told to stop."""
        try:
            self._ensure_worker(slot)
        except BaseException as exc:
            slot.started.set_exception(self._as_docgen_error(exc, None))
            return
        slot.started.set_result(None)
        while (job := self._jobs.get()) is not None:
            if not job.future.set_running_or_notify_cancel():
                continue
            try:
                pages = self._run_job(slot, job)
            except BaseException as exc:  # the caller gets every error, even a bug
                job.future.set_exception(self._as_docgen_error(exc, job.docx))
            else:
                job.future.set_result(pages)
        self._discard(slot, "alle Prozesse werden beendet", graceful=True)

    def _run_job(self, slot: _Slot, job: _Job) -> int:
        """Convert on this slot's worker; after a fault, once more on a fresh worker."""
        last: WorkerFault | None = None
        for attempt in (1, 2):
            try:
                worker = self._ensure_worker(slot)
                slot.jobs_done += 1
                return self._convert_once(worker, job.docx, job.pdf)
            except WorkerFault as fault:
                last = fault
                log.warning(
                    "%s: Versuch %d auf LibreOffice-Prozess %d fehlgeschlagen (%s: %s)",
                    job.docx.name, attempt, slot.index, _KIND_TEXT.get(fault.kind, fault.kind), fault.detail,
                )
                self._discard(slot, f"{_KIND_TEXT.get(fault.kind, fault.kind)} bei {job.docx.name}", graceful=False)
                if self._closed:
                    raise _Closed from fault
        assert last is not None
        raise self._failure(job.docx, last)

    def _ensure_worker(self, slot: _Slot) -> WorkerProcess:
        """The slot's worker, replaced first if it died or has done its share of jobs."""
        worker = slot.worker
        if worker is not None and not worker.alive():
            self._discard(slot, f"Prozess unerwartet beendet (Exit-Code {worker.returncode})", graceful=False)
        elif worker is not None and slot.jobs_done >= self.settings.max_jobs_per_worker:
            self._discard(slot, f"planmäßig erneuert nach {slot.jobs_done} Umwandlungen", graceful=True)
        if slot.worker is None:
            slot.worker = self._start(slot)
            slot.jobs_done = 0
        return slot.worker

    def _discard(self, slot: _Slot, reason: str, *, graceful: bool) -> None:
        worker, slot.worker = slot.worker, None
        if worker is None:
            return
        log.info("LibreOffice-Prozess %d (PID %d) beendet: %s", slot.index, worker.pid, reason)
        if graceful:
            worker.close_input()
            worker.wait(STOP_GRACE)
        self._kill(worker)

    def _convert_once(self, worker: WorkerProcess, docx: Path, pdf: Path, *, timeout: float | None = None) -> int:
        """One attempt: export to a temporary name, verify, move into place; return the pages.
        ``timeout`` defaults to the setting ``convert_timeout``."""
        tmp = pdf.with_name(f".{pdf.name}.{worker.pid}.tmp")
        try:
            reply = worker.request(
                {"docx": str(docx), "pdf": str(tmp)}, timeout or self.settings.convert_timeout
            )
            if not reply.get("ok"):
                raise WorkerFault("error", str(reply.get("error", "unbekannter Fehler")))
            try:
                pages = verify_pdf(tmp, docx)
            except ConversionFailed as exc:  # said ok, wrote garbage: a fault like any other
                raise WorkerFault("invalid", exc.message) from exc
            os.replace(tmp, pdf)
            return pages
        finally:
            tmp.unlink(missing_ok=True)

    # -- errors -----------------------------------------------------------

    def _failure(self, docx: Path | None, fault: WorkerFault) -> ConversionFailed:
        """The German message after the second failed attempt, by the kind of the last fault."""
        name = docx.name if docx is not None else "LibreOffice-Pool"
        check = "Bitte prüfen, ob sich die DOCX-Datei in LibreOffice öffnen lässt"
        timeout, start = self.settings.convert_timeout, self.settings.start_timeout
        texts = {
            "timeout": f"{name}: LibreOffice hat die Umwandlung in PDF/A zweimal nicht innerhalb "
            f"von {timeout:g} s abgeschlossen und wurde jeweils beendet. {check}; bei sehr "
            "umfangreichen Dokumenten die Einstellung convert_timeout erhöhen "
            f"(derzeit {timeout:g} s).",
            "start": f"{name}: LibreOffice ließ sich für die Umwandlung nicht starten "
            f"({fault.detail}). Bitte `docgen check` ausführen; auf langsamen Rechnern die "
            f"Einstellung start_timeout erhöhen (derzeit {start:g} s).",
            "invalid": f"{fault.detail} Zwei Versuche sind fehlgeschlagen. {check}.",
        }
        return ConversionFailed(texts.get(fault.kind, (
            f"{name}: die Umwandlung in PDF/A ist zweimal fehlgeschlagen ({fault.detail}). "
            f"{check}, und `docgen check` ausführen."
        )))

    def _closing_error(self, docx: Path | None) -> ConversionFailed:
        name = docx.name if docx is not None else "LibreOffice-Pool"
        return PoolClosed(
            f"{name}: nicht umgewandelt, weil der LibreOffice-Pool beendet wurde. "
            "Bitte den Auftrag erneut starten."
        )

    def _as_docgen_error(self, exc: BaseException, docx: Path | None) -> BaseException:
        if isinstance(exc, _Closed):
            return self._closing_error(docx)
        if isinstance(exc, WorkerFault):
            return self._failure(docx, exc)
        return exc

    def _fail_queued(self) -> None:
        while True:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                return
            if job is not None and job.future.set_running_or_notify_cancel():
                job.future.set_exception(self._closing_error(job.docx))
