"""The library API: the whole of docgen for every front end.

The CLI, the hot-folder service, benchmarks (and later the web app and the
Celery workers) call these functions and nothing below them. Each command of
``docgen`` is one call here that returns data; the front end only formats it.
Functions raise :class:`docgen.errors.DocgenError` subclasses; they never print
or exit. No global state: settings and the converter are passed in.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from docgen import documents
from docgen.check import CheckResult, preflight, run_checks
from docgen.errors import DocgenError, InternalJobError, require_readable_file
from docgen.inputs import dokumentarten, example, read_json, schema, validate, validate_files
from docgen.intake.batch import BatchReport, count_due, run_batch
from docgen.intake.daemon import Daemon
from docgen.intake.distributed import (
    QUEUE,
    TASK_NAME,
    Producer,
    broker_checks,
    make_app,
    open_ledger,
    require_distributed,
)
from docgen.intake.hotfolder import Folders, prepare_folders
from docgen.intake.jobs import Outcome
from docgen.intake.lease import LeaseLedger, LedgerUnavailable
from docgen.intake.procpool import JobProcesses, offered_service
from docgen.intake.remote import HostUnfit, RemoteOutcome, run_remote_job
from docgen.intake.status import StatusReport, read_status
from docgen.lint import Finding, lint
from docgen.lint import shipped_templates as _shipped_templates
from docgen.model import DocumentType, Job
from docgen.oparl import DEFAULT_BASIS_URL, OParlExport, oparl_export
from docgen.pipeline import JobResult, require_body, run_job, sweep_work, warm_up
from docgen.settings import Settings, load_settings
from docgen.stages.convert import Converter
from docgen.stages.convert.factory import open_converter
from docgen.stages.seal import load_seal
from docgen.variablen import Variable, Variablen
from docgen.variablen import variablen as _variablen
from docgen.verify import Verdict, trust_roots, verify_bundle

if TYPE_CHECKING:
    from celery import Celery  # type: ignore[import-untyped]

log = logging.getLogger("docgen")

__all__ = [
    "BatchReport",
    "CheckResult",
    "Finding",
    "JobResult",
    "Outcome",
    "StatusReport",
    "Verdict",
    "batch",
    "check",
    "dokumentarten",
    "example",
    "lint_templates",
    "load_settings",
    "open_converter",
    "read_json",
    "render_file",
    "render_files",
    "render_many",
    "schema",
    "shipped_templates",
    "status",
    "validate",
    "validate_files",
    "verify",
    "watch",
    "web_preflight",
]

RenderOutcome = JobResult | DocgenError


def render_file(
    path: Path,
    out_dir: Path,
    settings: Settings,
    converter: Converter | None = None,
    *,
    docx_only: bool = False,
    bundle: bool = True,
    sealed_by: str | None = None,
) -> JobResult:
    """Render one input file into ``out_dir``: the bundle (default), or with ``bundle=False``
    just ``<name>.docx`` and ``<name>.pdf``, or with ``docx_only`` just ``<name>.docx``.
    ``sealed_by`` names the user who released a signed-off input (recorded in the receipt)."""
    if converter is None and not docx_only:
        with open_converter(settings) as own:
            return run_job(path, out_dir, settings, own, bundle=bundle, sealed_by=sealed_by)
    return run_job(path, out_dir, settings, converter, docx_only=docx_only, bundle=bundle, sealed_by=sealed_by)


def render_many(paths: list[Path], out_dir: Path, settings: Settings, *,
                bundle: bool = True) -> list[RenderOutcome]:
    """Render many files in ``settings.worker_count`` job processes, each with its own warm
    LibreOffice (Python work in threads would take turns under the GIL). Results in input order;
    a failed file gives its error instead of a result."""
    if not paths:
        return []
    results: list[RenderOutcome] = []
    with JobProcesses(settings, min(len(paths), settings.worker_count)) as pool:
        futures = [pool.render(path, out_dir, bundle=bundle) for path in paths]
        for path, future in zip(paths, futures, strict=True):
            try:
                results.append(future.result())
            except BrokenProcessPool:
                results.append(InternalJobError(f"{path.name}: der Auftragsprozess wurde unerwartet beendet. "
                                                "Bitte erneut versuchen; bleibt der Fehler, bitte melden."))
    return results


def render_files(paths: list[Path], out_dir: Path, settings: Settings, *, docx_only: bool = False,
                 bundle: bool = True) -> list[RenderOutcome]:
    """``docgen render``: every input validated first, then the valid ones rendered.

    Invalid inputs are reported before any LibreOffice starts. Before the first stage the
    set-up is checked (templates and their styles, LibreOffice, the seal when an input is
    signed off; for one file while its LibreOffice starts). One file or one worker runs in
    this process with a warm LibreOffice; several files run in job processes (two per
    LibreOffice worker), so the Python work uses every core too.
    Results (or errors) come back in input order.
    """
    checked = [_with_body(item, settings) for item in validate_files(paths, settings)]
    valid = [job for job in checked if isinstance(job, Job)]
    rendered: dict[Path, RenderOutcome] = {}
    if valid:
        sealed = not docx_only and bundle and any("freigabe" in job.data for job in valid)
        check = partial(preflight, settings, converter=not docx_only, seal=sealed,
                        documents=[doc for job in valid for doc in _documents_of(job)])
        files = [job.source for job in valid]
        outcomes: list[RenderOutcome]
        if docx_only:
            check()
            outcomes = [_try(partial(run_job, path, out_dir, settings, None, docx_only=True)) for path in files]
        elif len(files) > 1 and settings.worker_count > 1:
            check()
            outcomes = render_many(files, out_dir, settings, bundle=bundle)
        else:
            with _one_off_converter(settings) as (converter, borrowed):
                # One file: several would each render and convert before a broken seal stops them.
                ahead = sealed and borrowed and len(files) == 1
                check(seal=sealed and not ahead)
                with _seal_opened_ahead(settings, ahead):
                    outcomes = [_try(partial(run_job, path, out_dir, settings, converter, bundle=bundle))
                                for path in files]
        rendered = dict(zip(files, outcomes, strict=True))
    return [rendered[item.source] if isinstance(item, Job) else item for item in checked]


@contextlib.contextmanager
def _one_off_converter(settings: Settings) -> Iterator[tuple[Converter, bool]]:
    """The converter of a render in this process and whether it is borrowed: the warm LibreOffice of a
    ``docgen watch`` that runs for this installation, if it offers one (:func:`offered_service`), else an
    own one.

    An own LibreOffice starts first and in the background (about a second, plus the German hyphenation
    patterns): the checks and the first render run meanwhile.
    """
    offered = offered_service(settings) if settings.converter == "pool" else None
    if offered is None:
        with open_converter(settings, pooled=True, wait=False) as converter:
            yield converter, False
        return
    log.info("Umwandlung durch den laufenden Dienst docgen watch (PID %d): kein eigenes LibreOffice", offered.pid)
    try:
        yield offered, True
    finally:
        offered.close()


@contextlib.contextmanager
def _seal_opened_ahead(settings: Settings, ahead: bool) -> Iterator[None]:
    """With ``ahead``, open the seal in a thread while the job renders and waits for the daemon's LibreOffice.

    Beside a running ``docgen watch`` a render starts no LibreOffice whose start would hide the seal's
    opening (pyHanko's import and the key check, about 0.6 s CPU); in a thread it fills the waits for the
    conversions instead. The seal stage waits for it (``load_seal`` opens one at a time) and takes the opened
    key; a seal that cannot be opened fails the job there, with the same message, before anything is published.
    """
    if not ahead:
        yield
        return

    def open_seal() -> None:
        try:
            load_seal(settings, settings.koerperschaft)
        except Exception as exc:  # the job's own load_seal reports it, in its words and with its exit code
            log.debug("Siegel vorab nicht geöffnet: %s", exc)

    opener = threading.Thread(target=open_seal, daemon=True, name="siegel-vorab")
    opener.start()
    try:
        yield
    finally:
        opener.join()


def _with_body(item: Job | DocgenError, settings: Settings) -> Job | DocgenError:
    """A valid input that names no body (and none is configured) fails before LibreOffice starts."""
    if isinstance(item, Job):
        try:
            require_body(item, settings)
        except DocgenError as exc:
            return exc
    return item


def _documents_of(job: Job) -> list[DocumentType]:
    return [part.document for part in job.parts if part.document is not None]


def _try(action: Callable[[], JobResult]) -> RenderOutcome:
    try:
        return action()
    except DocgenError as exc:
        return exc


def _folders(settings: Settings) -> Folders:
    return prepare_folders(settings.inbox, settings.outbox, settings.state_dir)


def watch(settings: Settings, *, handle_signals: bool = True) -> int:
    """``docgen watch``: run the hot folder until SIGTERM/SIGINT; 0 after a clean stop.

    Refuses to start (exit 9) when the set-up is broken, e.g. a seal that cannot be opened,
    instead of failing every job later.
    """
    if settings.broker_url:
        return _watch_distributed(settings, handle_signals)
    folders = _folders(settings)
    preflight(settings, converter=True, seal=True, documents=documents.registry().values(), service=True)
    daemon = Daemon(settings, folders)
    if handle_signals:
        daemon.install_signals()
    return daemon.run()


def batch(settings: Settings, due_before: dt.date | None = None, *,
          on_start: Callable[[int], None] | None = None,
          on_done: Callable[[Outcome], None] | None = None) -> BatchReport:
    """``docgen batch``: process everything waiting (or due before ``due_before``) once.

    ``on_start`` gets the number of files about to run, ``on_done`` each finished job.
    """
    folders = _folders(settings)
    preflight(settings, converter=True, seal=True, documents=documents.registry().values(), service=True)
    if on_start is not None:
        on_start(count_due(settings, folders, due_before))
    return run_batch(settings, folders, due_before, progress=on_done)


def web_preflight(settings: Settings) -> None:
    """``docgen web``: LibreOffice and the templates must be there before the server starts (exit 3 or 5
    with the German reason, instead of a failed start inside the server); old leftover work folders go
    (:func:`~docgen.pipeline.sweep_work`), as at the start of ``watch`` and ``batch``."""
    preflight(settings, converter=True, seal=False, documents=documents.registry().values())
    sweep_work(settings)


def status(settings: Settings, limit: int = 20) -> StatusReport:
    """``docgen status``: the inbox, the work area and the ledger, plus which set-up was read."""
    return read_status(settings, limit)


def check(settings: Settings) -> list[CheckResult]:
    """``docgen check``: every dependency and setting, each with a hint when something is missing;
    with ``broker_url`` also the broker, the ledger and the workers that answer."""
    results = run_checks(settings)
    return results + _distributed_checks(settings) if settings.broker_url else results


def verify(bundle: Path, settings: Settings) -> Verdict:
    """``docgen verify``: the seal and the receipt of a bundle."""
    return verify_bundle(bundle, trust_roots(settings))


def lint_templates(templates: Iterable[Path], settings: Settings,
                   dokumentart: str | None = None) -> list[tuple[Path, list[Finding]]]:
    """``docgen lint-template``: the findings per template (all shipped ones when none is given).

    A template that is missing, unreadable, a folder or a pipe is exit 7 (FileAccessError) naming it.
    """
    chosen = list(templates) or _shipped_templates()
    for template in chosen:
        require_readable_file(template, "Vorlage", "eine Word-Vorlage (.docx)")
    return [(template, lint(template, settings, dokumentart)) for template in chosen]


def shipped_templates() -> list[Path]:
    """The templates docgen ships (what ``lint-template`` checks when given none)."""
    return _shipped_templates()


# --- past one machine ---
# Celery workers on a Redis broker, the ledger on PostgreSQL (docs/verteilt.md). The worker front end
# (docgen.worker) reaches the distributed machinery in docgen.intake only through these names.

__all__ += ["QUEUE", "TASK_NAME", "Converter", "HostUnfit", "LeaseLedger", "LedgerUnavailable", "RemoteOutcome",
            "celery_app", "open_job_ledger", "run_remote", "warm_up", "worker_preflight"]


def celery_app(settings: Settings) -> Celery:
    """The Celery app with docgen's settings (JSON only, late acks, prefetch 1, visibility timeout)."""
    return make_app(settings)


def worker_preflight(settings: Settings) -> None:
    """``docgen worker``: refuse to start (exit 9) without broker, shared ledger or configured seal, or with
    the state directory on a network share; then the usual service checks (LibreOffice, templates, seal)."""
    require_distributed(settings)
    _folders(settings)
    preflight(settings, converter=True, seal=True, documents=documents.registry().values(), service=True)
    open_ledger(settings).close()


def open_job_ledger(settings: Settings) -> LeaseLedger:
    """The ledger with leases: PostgreSQL with ``ledger_url``, else SQLite in the state directory."""
    return open_ledger(settings)


def run_remote(job_id: str, settings: Settings, converter: Converter, ledger: LeaseLedger,
               beat_ledger: LeaseLedger) -> RemoteOutcome:
    """One job on a worker host: lease, pipeline, fenced publish (raises HostUnfit, LedgerUnavailable)."""
    folders = Folders(settings.inbox, settings.outbox, settings.state_dir)
    return run_remote_job(job_id, settings, folders, converter, ledger, beat_ledger)


def _watch_distributed(settings: Settings, handle_signals: bool) -> int:
    """``docgen watch`` with ``broker_url``: the producer (takes files, records them, sends their ids)."""
    require_distributed(settings)
    folders = _folders(settings)
    producer = Producer(settings, folders, make_app(settings))
    if handle_signals:
        producer.install_signals()
    return producer.run()


def _distributed_checks(settings: Settings) -> list[CheckResult]:
    return [CheckResult(name, status, detail, hint) for name, status, detail, hint in broker_checks(settings)]


# --- Vorlagen-Hilfe und OParl ---
# `docgen variablen ART` (docgen.variablen) and `docgen oparl FILE` (docgen.oparl); see docs/vorlagen-anpassen.md.

__all__ += ["DEFAULT_BASIS_URL", "OParlExport", "Variable", "Variablen", "oparl", "variablen"]


def variablen(dokumentart: str, settings: Settings) -> Variablen:
    """``docgen variablen``: every variable, computed value, filter and required style of a template."""
    return _variablen(dokumentart, settings)


def oparl(path: Path, settings: Settings, *, basis_url: str = DEFAULT_BASIS_URL,
          paket: Path | None = None) -> OParlExport:
    """``docgen oparl``: the Beschlussvorlage in ``path`` as OParl 1.1 Paper, Consultations, Files and
    Organizations; with ``paket`` (the rendered bundle) size and checksum, checked against its receipt."""
    return oparl_export(path, settings, basis_url=basis_url, paket=paket)
