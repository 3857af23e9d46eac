"""Past one machine: the Celery set-up, the producer (``docgen watch`` with ``broker_url``) and its reconciler.

The broker is a doorbell, the ledger the record. The producer takes files exactly as
the one-machine daemon does (stable, claimed by rename into the work area on the
shared inbox), records each in the ledger and sends one task per job carrying only the
job id, as JSON. Workers on any host run it (:mod:`docgen.intake.remote`).

Messages may be lost (Redis wiped), repeated (a redelivery after the visibility
timeout) or stuck with a dead host; the reconciler in the producer looks at the
ledger every few seconds and sends again every open job whose lease lapsed, and,
while the queue is empty, every job never claimed. Repeats are harmless: the lease
lets one attempt run and the fence lets only the current attempt publish.
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

from docgen.errors import ConfigError, DependencyMissing, DocgenError, extra_hint
from docgen.intake.hotfolder import (
    Folders,
    InboxLock,
    StabilityTracker,
    candidates,
    claim,
    ensure_folders,
    finish_success,
    left_in_work,
    name_problem,
    name_too_long,
    new_job_id,
    refuse_from_inbox,
    short_name,
)
from docgen.intake.lease import LeaseLedger, LedgerUnavailable, SqliteLeaseLedger
from docgen.intake.ledger import LEDGER_FILE
from docgen.intake.ledger_pg import PostgresLedger
from docgen.intake.sharedfs import refuse_network_state_dir
from docgen.settings import Settings

if TYPE_CHECKING:
    from celery import Celery  # type: ignore[import-untyped]

log = logging.getLogger("docgen.producer")

TASK_NAME = "docgen.auftrag"
QUEUE = "docgen"


def celery_config(settings: Settings) -> dict[str, Any]:
    """Celery's settings for docgen (see docs/verteilt.md for why each is set)."""
    visibility = settings.visibility_timeout
    return {
        "broker_url": settings.broker_url,
        "task_serializer": "json", "result_serializer": "json", "accept_content": ["json"],
        "task_acks_late": True,  # acknowledged after the job, so a dead worker's job is delivered again
        "task_reject_on_worker_lost": True,  # a killed job process: back into the queue, not acknowledged
        "task_acks_on_failure_or_timeout": True,  # a failed job is finished, never a requeue loop
        "worker_prefetch_multiplier": 1,  # no job waits reserved behind a long one
        "task_ignore_result": True,  # the outcome lives in the ledger
        "task_default_queue": QUEUE,
        "broker_transport_options": {
            "visibility_timeout": visibility, "global_keyprefix": "docgen:",
            "unacked_restore_interval": max(1, min(10, int(visibility / 4))), "unacked_restore_throttle": 1},
        "broker_connection_retry_on_startup": True,
        "broker_connection_max_retries": None,
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_proc_alive_timeout": 60,
        "worker_max_tasks_per_child": 200,  # each new job process pays a LibreOffice start
        "worker_hijack_root_logger": False,
        "worker_send_task_events": True, "task_send_sent_event": True,  # for Flower, optional
    }


def make_app(settings: Settings) -> Celery:
    # Celery comes with the extra docgen[verteilt]; one machine never needs it, so it is imported here.
    try:
        from celery import Celery
    except ImportError:
        raise DependencyMissing(f"Für broker_url fehlt Celery. {extra_hint('verteilt')}") from None
    app = Celery("docgen", set_as_current=False)
    app.conf.update(celery_config(settings))
    return app


def open_ledger(settings: Settings) -> LeaseLedger:
    """PostgreSQL when ``ledger_url`` is set, else SQLite in the state directory."""
    if settings.ledger_url:
        return PostgresLedger(settings.ledger_url, settings.ledger_timeout)
    return SqliteLeaseLedger(settings.state_dir / LEDGER_FILE, settings.ledger_timeout)


def require_distributed(settings: Settings) -> None:
    """What past one machine needs before anything starts (exit 9 with a German message)."""
    if not settings.broker_url:
        raise ConfigError("broker_url ist nicht gesetzt. docgen worker braucht einen Broker (Redis), z. B. "
                          "broker_url = \"redis://server:6379/0\" oder DOCGEN_BROKER_URL.")
    if not settings.ledger_url:
        raise ConfigError("broker_url ist gesetzt, ledger_url nicht. Mehrere Rechner brauchen ein gemeinsames "
                          "Auftragsbuch: ledger_url = \"postgresql://…\" (oder DOCGEN_LEDGER_URL) eintragen.")
    if settings.seal_cert is None:
        raise ConfigError("broker_url ist gesetzt, aber kein Siegel (seal_cert) eingestellt. Mehrere Rechner "
                          "müssen mit demselben Siegel arbeiten; docgen legt dann kein eigenes Siegel je Rechner "
                          "an. Bitte seal_cert (PKCS#12) und seal_passphrase_file auf allen Rechnern eintragen.")
    refuse_network_state_dir(settings.state_dir)


def send(app: Celery, job_id: str) -> bool:
    """Ring the doorbell for ``job_id``; ``False`` when the broker is away (the reconciler sends later)."""
    from kombu.exceptions import KombuError

    try:
        app.send_task(TASK_NAME, args=[job_id], queue=QUEUE, retry=True,
                      retry_policy={"max_retries": 1, "interval_start": 0.2, "interval_step": 0.5})
    except (KombuError, OSError) as exc:
        log.warning("[%s] Broker nicht erreichbar (%s); der Auftrag wird später gesendet", job_id, exc)
        return False
    return True


def queue_length(app: Celery) -> int | None:
    """Messages waiting in the docgen queue, or ``None`` when the broker cannot say."""
    from kombu.exceptions import ChannelError

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            try:
                return int(conn.default_channel.queue_declare(queue=QUEUE, passive=True).message_count)
            except ChannelError:
                return 0  # no such queue: the broker lost everything (or nobody consumed yet)
    except Exception:  # any other broker trouble: the reconciler just waits for the next round
        return None


class Producer:
    """``docgen watch`` with a broker: take files, record them, send their ids, reconcile."""

    def __init__(self, settings: Settings, folders: Folders, app: Celery | None = None) -> None:
        self.settings = settings
        self.folders = folders
        self.app = app or make_app(settings)
        self.stop = threading.Event()
        self.tracker = StabilityTracker(settings.stable_seconds)
        self.reconcile_every = max(1.0, min(10.0, settings.lease_seconds / 3))
        self._last_reconcile = 0.0

    def _signal(self, signum: int, frame: FrameType | None) -> None:
        log.info("Signal %s: docgen watch (Verteiler) wird beendet", signum)
        self.stop.set()

    def install_signals(self) -> None:
        signal.signal(signal.SIGTERM, self._signal)
        signal.signal(signal.SIGINT, self._signal)

    def run(self) -> int:
        with InboxLock(self.folders.inbox, "docgen watch (Verteiler)", self.settings.zeitzone) as lock:
            ledger = open_ledger(self.settings)
            try:
                self._resume(ledger, lock)
                log.info("docgen watch: Verteiler für %s → %s über %s", self.folders.inbox, self.folders.outbox,
                         _redact(self.settings.broker_url or ""))
                while not self.stop.is_set():
                    self.tick(ledger)
                    self.stop.wait(min(0.5, max(0.1, self.settings.stable_seconds / 3)))
            finally:
                ledger.close()
        log.info("docgen watch (Verteiler) beendet")
        return 0

    def tick(self, ledger: LeaseLedger) -> None:
        try:
            ensure_folders(self.folders)
            for path in self.tracker.ready(candidates(self.folders.inbox), time.monotonic()):
                self._take(path, ledger)
            if time.monotonic() - self._last_reconcile >= self.reconcile_every:
                self._last_reconcile = time.monotonic()
                self.reconcile(ledger)
        except (DocgenError, OSError) as exc:
            log.error("Verteiler: %s; neuer Versuch gleich", exc.message if isinstance(exc, DocgenError) else exc)
            self.stop.wait(1.0)

    def _take(self, path: Path, ledger: LeaseLedger) -> None:
        job_id = new_job_id()
        if name_too_long(path.name):
            error = name_problem(path.name)
            ledger.taken(job_id, short_name(path.name), "")
            ledger.failed(job_id, int(error.exit_code), "\n".join(error.lines()))
            refuse_from_inbox(path, self.folders, error, job_id)
            return
        work_file = claim(path, self.folders, job_id)
        if work_file is None:
            return
        try:
            digest = hashlib.sha256(work_file.read_bytes()).hexdigest()
            ledger.taken(job_id, work_file.name, digest)
        except (DocgenError, OSError):
            os.rename(work_file, path)  # without a ledger row nobody could account for it: hand it back
            work_file.parent.rmdir()
            self.tracker.forget(path.name)
            raise
        log.info("[%s] %s: genommen und gesendet", job_id, work_file.name)
        send(self.app, job_id)

    def reconcile(self, ledger: LeaseLedger) -> list[str]:
        """Send again what the ledger says is open and nobody holds (see the module docstring)."""
        grace = max(2.0, self.settings.lease_seconds)
        waiting = queue_length(self.app)
        try:
            again = ledger.expired(grace, unleased=waiting == 0)
        except LedgerUnavailable as exc:
            log.warning("Abgleich ausgesetzt: %s", exc.message)
            return []
        for job_id, name in again:
            log.info("[%s] %s: keine gültige Lease; Auftrag erneut gesendet", job_id, name)
            send(self.app, job_id)
        return [job_id for job_id, _ in again]

    def _resume(self, ledger: LeaseLedger, lock: InboxLock) -> None:
        """Jobs in the work area the ledger does not know (the producer died in between) are recorded and
        sent; finished ones whose input was not archived yet are archived."""
        for job_id, work_file in left_in_work(self.folders, lock):
            row = ledger.get(job_id)
            if row is None:
                ledger.taken(job_id, work_file.name, hashlib.sha256(work_file.read_bytes()).hexdigest())
                send(self.app, job_id)
            elif row.state == "fertig":
                finish_success(work_file, self.folders)


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    return scheme + sep + rest


def broker_checks(settings: Settings, app_factory: Callable[[Settings], Celery] = make_app
                  ) -> list[tuple[str, str, str, str]]:
    """``docgen check`` past one machine: broker, ledger and the workers seen, as
    (name, status, detail, hint) with status ok / warnung / fehlt."""
    results: list[tuple[str, str, str, str]] = []
    app = app_factory(settings)
    broker = _redact(settings.broker_url or "")
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=3)
        results.append(("Broker", "ok", broker, ""))
        reachable = True
    except Exception as exc:
        results.append(("Broker", "fehlt", f"{broker}: nicht erreichbar ({exc})",
                        "Redis starten bzw. broker_url prüfen (contrib/redis-docgen.conf)."))
        reachable = False
    if settings.ledger_url:
        try:
            ledger = PostgresLedger(settings.ledger_url, min(settings.ledger_timeout, 5.0))
            counts = ledger.counts()
            ledger.close()
            detail = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "leer"
            results.append(("Auftragsbuch", "ok", f"PostgreSQL ({detail})", ""))
        except LedgerUnavailable as exc:
            results.append(("Auftragsbuch", "fehlt", exc.message,
                            "PostgreSQL starten bzw. ledger_url prüfen (contrib/postgresql-docgen.md)."))
    else:
        results.append(("Auftragsbuch", "fehlt", "ledger_url nicht gesetzt",
                        "Mit broker_url ist ein gemeinsames Auftragsbuch nötig: ledger_url = \"postgresql://…\"."))
    if reachable:
        try:
            replies = app.control.inspect(timeout=1.5).ping() or {}
        except Exception:
            replies = {}
        names = sorted(replies)
        results.append(("Worker", "ok" if names else "warnung",
                        ", ".join(names) if names else "keiner antwortet",
                        "" if names else "Auf den Rechnern „docgen worker“ starten (contrib/docgen-worker.service)."))
    if settings.seal_cert is None:
        results.append(("Siegel (verteilt)", "fehlt", "kein seal_cert eingestellt",
                        "Alle Rechner brauchen dasselbe Siegel: seal_cert und seal_passphrase_file eintragen."))
    return results
