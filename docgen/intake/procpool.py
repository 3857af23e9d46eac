"""Job processes: whole jobs in N×2 processes, their conversions in N warm LibreOffice workers.

Rendering, assembling and sealing are Python work; in threads of one process
they take turns (the GIL), so every job runs in a process of its own. Each job
spends about as long in Python as in LibreOffice, so there are two job processes
per LibreOffice worker: while one waits for its conversion, the other renders,
assembles or seals, and neither the cores nor LibreOffice sit idle. The
LibreOffice workers belong to the parent (one warm pool, :class:`ConversionService`);
a job process sends it the paths of a DOCX and the PDF to write. The parent only
takes files and registers them; the children write their own ledger entries
(SQLite copes with several writers).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import multiprocessing
import os
import secrets
import select
import signal
import socket
import stat
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from multiprocessing.connection import Client, Connection, Listener
from multiprocessing.synchronize import Event as EventType
from multiprocessing.util import Finalize
from pathlib import Path

from docgen import __version__
from docgen.errors import ConversionFailed, DocgenError, InternalJobError, oserror_text
from docgen.intake.hotfolder import Folders
from docgen.intake.jobs import Outcome, process
from docgen.intake.ledger import JobLedger
from docgen.intake.ledgers import open_ledger
from docgen.pipeline import JobResult, run_job, warm_up
from docgen.settings import Settings
from docgen.stages.convert import Converter
from docgen.stages.convert.factory import open_converter
from docgen.stages.convert.pool import LibreOfficePool, PoolClosed

log = logging.getLogger("docgen.intake")

# Job processes per LibreOffice worker: one converts while the other does its Python stages.
PROCESSES_PER_CONVERTER = 2
# And one more in all while CPU cores are left over (fewer LibreOffice workers than cores): a job
# has two conversions (document, Freigabevermerk) with Python work between and after them, so with
# only two per worker LibreOffice sometimes waits for a job. With every core busy it only adds load.
SPARE_PROCESSES = 1
# A preparing job process waits for the parent's LibreOffice at most this many start timeouts.
PREPARE_WAIT_FACTOR = 3
# Seconds the service's stop waits to connect to its own socket to wake its accept thread.
WAKE_TIMEOUT = 2.0
# A running ``docgen watch`` offers its warm LibreOffice to a one-off ``docgen render`` of the same
# installation and user: the socket's name and key in this file of the state_dir, readable by its owner
# only, there as long as the service runs. Seconds such a render waits for the service to answer (its
# accept thread answers at once unless the process is stopped or starved).
OFFER_FILE = "umwandlung.json"
OFFER_TIMEOUT = 5.0
OFFER_MAX_BYTES = 4096  # the file holds about 300 bytes; anything far larger is not one

# The converter and the ledger connection of a job process, made by _start(), and, when it prepares,
# the parent's events "LibreOffice is up" and "the processes are being stopped".
_converter: Converter | None = None
_ledger: JobLedger | None = None
_libreoffice_started: EventType | None = None
_stopping: EventType | None = None


class ConversionService:
    """The parent's warm LibreOffice pool, offered to its job processes over a private socket.

    The socket lives in the abstract namespace (no file, no path length limit) and takes
    only callers that know the random key handed to the job processes at their start.
    One thread per job process converts its requests in turn; the pool is thread-safe.
    """

    def __init__(self, settings: Settings, *, announce_start: bool = False, offer: bool = False) -> None:
        self._stack = ExitStack()
        # Starts LibreOffice in the background; the first conversion waits for it.
        self._converter = self._stack.enter_context(open_converter(settings, pooled=True, wait=False))
        self.authkey = secrets.token_bytes(32)
        self.address = f"\0docgen-umwandlung-{os.getpid()}-{secrets.token_hex(6)}"
        try:
            self._listener = Listener(self.address, family="AF_UNIX", authkey=self.authkey)
        except BaseException:
            self._stack.close()
            raise
        self._closed = threading.Event()
        # With ``announce_start``, for job processes that wait to prepare: ``started`` is set once
        # LibreOffice is up (or its start failed, which the first conversion reports) or when the
        # processes are stopped, and then ``stopping`` too, so that they skip preparing.
        self.events: tuple[EventType, EventType] | None = None
        if announce_start:
            context = multiprocessing.get_context("forkserver")
            self.events = (context.Event(), context.Event())
        threading.Thread(target=self._accept, daemon=True, name="umwandlung").start()
        if self.events is not None:
            threading.Thread(target=self._note_start, args=(self.events[0],), daemon=True,
                             name="umwandlung-start").start()
        self._settings = settings
        self._offer = settings.state_dir / OFFER_FILE if offer else None
        if self._offer is not None:
            self._write_offer(self._offer)

    def _offer_text(self) -> str:
        return json.dumps({"pid": os.getpid(), "adresse": self.address.lstrip("\0"),
                           "schluessel": self.authkey.hex(), "version": __version__,
                           "soffice": self._settings.soffice, "uno_python": self._settings.uno_python})

    def _write_offer(self, path: Path) -> None:
        """Tell one-off renders of this installation where the warm LibreOffice is (owner-only file)."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        try:
            tmp.unlink(missing_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(self._offer_text())
            os.replace(tmp, path)
        except OSError as exc:  # renders then start their own LibreOffice, as without a service
            log.warning("%s nicht schreibbar (%s); docgen render startet weiter eigene LibreOffice-Prozesse",
                        path, oserror_text(exc))
            tmp.unlink(missing_ok=True)
            self._offer = None

    def _withdraw_offer(self) -> None:
        """Remove the offer file, unless another service of this state_dir has written its own since."""
        if self._offer is None:
            return
        with contextlib.suppress(OSError):
            if self._offer.read_text(encoding="utf-8") == self._offer_text():
                self._offer.unlink()

    def _note_start(self, started: EventType) -> None:
        try:
            if isinstance(self._converter, LibreOfficePool):
                self._converter.wait_started()
        finally:
            started.set()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                connection = self._listener.accept()
            except (OSError, EOFError, multiprocessing.AuthenticationError):
                continue  # closing, or a caller without the key
            threading.Thread(target=self._serve, args=(connection,), daemon=True,
                             name="umwandlung-auftrag").start()

    def _serve(self, connection: Connection) -> None:
        with connection:
            while True:
                try:
                    docx, pdf = connection.recv()
                except (EOFError, OSError):
                    return  # the job process ended
                reply: DocgenError | int | None = None  # the error, or the page count the pool verified
                try:
                    reply = self._converter.convert(Path(docx), Path(pdf))
                except DocgenError as exc:
                    reply = exc
                except Exception as exc:  # a bug: the job fails with it, the service goes on
                    log.exception("Umwandlung von %s fehlgeschlagen", docx)
                    reply = InternalJobError(f"{Path(docx).name}: Umwandlung abgebrochen ({type(exc).__name__}).")
                try:
                    connection.send(reply)
                except OSError:
                    return

    def release_waiters(self) -> None:
        """Job processes still waiting for LibreOffice to prepare give up: they are being stopped."""
        if self.events is not None:
            started, stopping = self.events
            stopping.set()
            started.set()

    def close(self) -> None:
        """Stop taking requests and stop LibreOffice; idempotent."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._withdraw_offer()
        # accept() does not notice a closed socket: one last caller wakes it. A bare connection, not an
        # authenticated Client: that one waits for the accept thread's answer, forever if the thread is
        # not in accept(); the thread takes this one for a caller without the key and ends its loop.
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as waker:
            waker.settimeout(WAKE_TIMEOUT)
            waker.connect(self.address)
        self._listener.close()
        self._stack.close()


class ServiceGone(ConversionFailed):
    """The conversion service went away (stopped, restarted, or no answer in time) before it answered.

    ``why``: the reason alone, without the file's name and the advice."""

    def __init__(self, message: str, why: str = "") -> None:
        super().__init__(message)
        self.why = why

    def __reduce__(self) -> tuple[type[ServiceGone], tuple[str, str]]:
        return type(self), (self.message, self.why)


class _RemoteConverter:
    """A job process's :class:`Converter`: the conversion runs in the parent's pool.

    ``reply_timeout``: seconds to wait for each answer (None: as long as it takes; a job process's
    parent answers or is gone, and the job process with it). After a timeout or a lost connection
    the converter raises :class:`ServiceGone` for every further call.
    """

    def __init__(self, address: str, authkey: bytes, reply_timeout: float | None = None) -> None:
        self._connection = Client(address, family="AF_UNIX", authkey=authkey)
        self._lock = threading.Lock()
        self._reply_timeout = reply_timeout
        self._gone: str | None = None

    def convert(self, docx: Path, pdf: Path) -> int | None:
        reply: object = None
        with self._lock:
            if self._gone is None:
                try:  # absolute: the service runs in a working folder of its own
                    self._connection.send((str(docx.absolute()), str(pdf.absolute())))
                    if self._reply_timeout is not None and not self._connection.poll(self._reply_timeout):
                        self._lose(f"der LibreOffice-Dienst von docgen hat nicht binnen {self._reply_timeout:g} s "
                                   "geantwortet")
                    else:
                        reply = self._connection.recv()
                except EOFError:
                    self._lose("der LibreOffice-Dienst von docgen antwortet nicht mehr")
                except OSError as exc:
                    self._lose(f"der LibreOffice-Dienst von docgen antwortet nicht mehr ({oserror_text(exc)})")
            if self._gone is not None:
                raise ServiceGone(f"{docx.name}: {self._gone}. Bitte den Auftrag erneut starten.", self._gone)
        if isinstance(reply, BaseException):
            raise reply
        return reply if isinstance(reply, int) else None

    def _lose(self, why: str) -> None:
        """The connection is of no more use: a late answer would belong to the wrong request."""
        self._gone = why
        with contextlib.suppress(OSError):
            self._connection.close()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._connection.close()


class BorrowedConverter:
    """The warm LibreOffice of a running ``docgen watch``, and an own one should the service go away.

    A service stopped or restarted while it converts for this render (``systemctl restart docgen``),
    or one that does not answer within ``2 × convert_timeout + start_timeout`` (a stopped process),
    costs the render only the start of its own LibreOffice, which takes that conversion and every
    later one (a warning says so); an error of the conversion itself is the render's, as always.
    """

    def __init__(self, remote: _RemoteConverter, settings: Settings, pid: int) -> None:
        self.pid = pid
        self._remote = remote
        self._settings = settings
        self._own_stack = ExitStack()
        self._own: Converter | None = None
        self._lock = threading.Lock()

    def convert(self, docx: Path, pdf: Path) -> int | None:
        if self._own is None:
            try:
                return self._remote.convert(docx, pdf)
            except (ServiceGone, PoolClosed) as exc:
                why = (exc.why if isinstance(exc, ServiceGone)
                       else f"der Dienst docgen watch (PID {self.pid}) wird beendet")
                with self._lock:
                    if self._own is None:
                        log.warning("%s: %s; docgen startet ein eigenes LibreOffice", docx.name, why)
                        self._own = self._own_stack.enter_context(open_converter(self._settings, pooled=True))
        return self._own.convert(docx, pdf)

    def close(self) -> None:
        try:
            self._remote.close()
        finally:
            self._own_stack.close()


def _read_offer(path: Path) -> dict[str, object] | None:
    """The offer file's JSON, if it is a regular file of this user that nobody else may read or write.

    Opened without following a symbolic link and checked on the open file, so that no file swapped in
    between the check and the read is trusted (a reply of the service it names is unpickled).
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
            return None
        try:
            offer = json.loads(handle.read(OFFER_MAX_BYTES).decode("utf-8"))
        except (OSError, ValueError):
            return None
    return offer if isinstance(offer, dict) else None


def reply_timeout_of(settings: Settings) -> float:
    """How long a borrowing render waits for each answer of the service: its pool may try a conversion
    twice, the second time on a worker it starts first."""
    return 2 * settings.convert_timeout + settings.start_timeout


def offered_service(settings: Settings) -> BorrowedConverter | None:
    """Connect to the LibreOffice that a ``docgen watch`` of this state_dir offers (see :data:`OFFER_FILE`).

    None, and the caller starts its own, unless the file is a regular file of this user that only
    they can read (:func:`_read_offer`), written by this version of docgen for the same LibreOffice
    (settings ``soffice`` and ``uno_python``), and the service answers within :data:`OFFER_TIMEOUT`
    seconds (a stale file names a socket that is gone with its process).
    """
    path = settings.state_dir / OFFER_FILE
    offer = _read_offer(path)
    if offer is None or offer.get("version") != __version__ or offer.get("soffice") != settings.soffice \
            or offer.get("uno_python") != settings.uno_python:
        return None
    try:
        pid, address = int(str(offer["pid"])), "\0" + str(offer["adresse"])
        key = bytes.fromhex(str(offer["schluessel"]))
    except (ValueError, KeyError):
        return None
    reply_timeout = reply_timeout_of(settings)
    connected: Future[_RemoteConverter] = Future()

    def connect() -> None:
        try:
            connected.set_result(_RemoteConverter(address, key, reply_timeout))
        except BaseException as exc:  # refused, wrong key, closed while connecting
            connected.set_exception(exc)

    # A stopped (SIGSTOP) service would keep the handshake waiting: the thread is left to it.
    threading.Thread(target=connect, daemon=True, name="umwandlung-angebot").start()
    try:
        remote = connected.result(timeout=OFFER_TIMEOUT)
    except Exception as exc:  # any failure means: start an own LibreOffice
        log.debug("Angebot in %s nicht nutzbar (%s); eigenes LibreOffice", path, exc)
        return None
    return BorrowedConverter(remote, settings, pid)


def _watch_parent(parent: int, stop: Callable[[], None]) -> None:
    """End this job process as soon as the process that started it is gone.

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


def _start(settings: Settings, log_level: int, parent: int, address: str, authkey: bytes,
           events: tuple[EventType, EventType] | None) -> None:
    """Initialise a job process: its line to the parent's LibreOffice pool."""
    global _converter, _libreoffice_started, _stopping
    if events is not None:
        _libreoffice_started, _stopping = events
    # The parent decides about shutdown; a Ctrl-C or SIGTERM to the group must not kill jobs halfway.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("docgen").setLevel(log_level)
    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    converter = _RemoteConverter(address, authkey)
    _converter = converter
    # multiprocessing ends its children without atexit; Finalize runs on that way out.
    Finalize(None, converter.close, exitpriority=10)
    threading.Thread(target=_watch_parent, args=(parent, converter.close), daemon=True,
                     name="eltern-waechter").start()


def _ready(settings: Settings | None) -> int:
    """Submitted once per process at start, so every process starts then, not when the first file
    arrives; with ``settings`` it also opens the seal and the templates (:func:`warm_up`), once the
    parent's LibreOffice is up, so as not to slow its start down."""
    if settings is not None:
        if _libreoffice_started is not None:
            _libreoffice_started.wait(PREPARE_WAIT_FACTOR * settings.start_timeout)
        if _stopping is None or not _stopping.is_set():
            warm_up(settings)
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


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """SIGINT/SIGTERM wait until the block is done, then reach their handler as usual.

    The CLI's handler raises an exception wherever the main thread is; inside the executor's
    start-up that could leave a process half-started, which the executor then never joins.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[signal.Signals] = []
    previous = {sig: signal.signal(sig, lambda signum, _frame: held.append(signal.Signals(signum)))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if held:
            handler = previous[held[0]]
            if callable(handler):
                handler(held[0], None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), held[0])


def job_process_count(converters: int, cores: int) -> int:
    """How many job processes share ``converters`` LibreOffice workers on ``cores`` CPU cores."""
    return converters * PROCESSES_PER_CONVERTER + (SPARE_PROCESSES if converters < cores else 0)


class JobProcesses:
    """``processes`` (default ``settings.worker_count``) warm LibreOffice workers and the job
    processes that share them, :func:`job_process_count` of them (a context manager).

    ``prepare``: every job process opens the seal and the templates (:func:`warm_up`, about 0.3 s CPU
    each) once the LibreOffice workers are up, so the first file a service gets is as fast as the
    next. For a service that waits for files (``watch``); a run that has its files at once leaves it
    off, its first jobs would only wait for it. ``offer``: the LibreOffice workers also serve one-off
    renders of this installation (:func:`offered_service`), for as long as this service runs.
    """

    def __init__(self, settings: Settings, processes: int | None = None, *, prepare: bool = False,
                 offer: bool = False) -> None:
        self.settings = settings
        converters = processes or settings.worker_count
        self.capacity = job_process_count(converters, os.cpu_count() or 1)
        self._service = ConversionService(dataclasses.replace(settings, workers=converters), announce_start=prepare,
                                          offer=offer)
        self._executor: ProcessPoolExecutor | None = None
        try:
            with _signals_held():
                context = multiprocessing.get_context("forkserver")
                self._executor = ProcessPoolExecutor(
                    max_workers=self.capacity, mp_context=context, initializer=_start,
                    initargs=(settings, logging.getLogger("docgen").getEffectiveLevel(), os.getpid(),
                              self._service.address, self._service.authkey, self._service.events))
                # The executor starts a process per submitted job while none is idle: one start job per
                # process starts them all now, in the background, while LibreOffice starts too.
                self._warming = [self._executor.submit(_ready, settings if prepare else None)
                                 for _ in range(self.capacity)]
        except BaseException:  # e.g. SIGTERM while the processes start: none may be left half-started
            self.close(cancel=True)
            raise

    def submit(self, work_file: Path, job_id: str, folders: Folders) -> Future[Outcome]:
        assert self._executor is not None
        return self._executor.submit(_job, work_file, job_id, folders, self.settings)

    def render(self, path: Path, out_dir: Path, *, bundle: bool = True) -> Future[JobResult | DocgenError]:
        """One input file through the whole pipeline in a job process (see ``api.render_many``)."""
        assert self._executor is not None
        return self._executor.submit(_render, path, out_dir, self.settings, bundle)

    def close(self, *, cancel: bool = False) -> None:
        """Let running (and, unless ``cancel``, queued) jobs finish, then stop the processes and
        LibreOffice."""
        try:
            self._service.release_waiters()
            if self._executor is not None:
                self._executor.shutdown(wait=True, cancel_futures=cancel)
        finally:
            self._service.close()

    def __enter__(self) -> JobProcesses:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        # Interrupted (Ctrl-C, SIGTERM): queued jobs are dropped, running ones end, nothing is left.
        self.close(cancel=exc_type is not None)
