"""The Celery app of ``docgen worker`` and its one task, ``docgen.auftrag(job_id)``.

Every job process (a Celery pool child) starts its own warm LibreOffice and then
opens the seal and the templates when it starts, in a thread (Celery gives a new
child only a few seconds to come up; a job that comes sooner waits for them),
opens its ledger connections on its first job, and closes them when it ends. The
task only translates: the job itself, its lease and its fenced publish are
``api.run_remote``.
A host whose state directory is full hands the job back to the queue and stops
taking jobs; a ledger that cannot be reached makes the task try again shortly.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import threading
from typing import Any

from celery import Celery, Task  # type: ignore[import-untyped]
from celery.exceptions import Reject  # type: ignore[import-untyped]
from celery.signals import worker_process_init, worker_process_shutdown  # type: ignore[import-untyped]

from docgen import api
from docgen.settings import Settings

log = logging.getLogger("docgen.worker")

LEDGER_RETRY_SECONDS = 3


class _JobProcess:
    """What one pool child keeps between jobs: settings, converter, two ledger connections."""

    def __init__(self) -> None:
        self.settings: Settings | None = None
        self._converter_cm: contextlib.AbstractContextManager[api.Converter] | None = None
        self.converter: api.Converter | None = None
        self.ledger: api.LeaseLedger | None = None
        self.beat: api.LeaseLedger | None = None
        self._opening: threading.Thread | None = None
        self._start_error: BaseException | None = None

    def start(self) -> None:
        """At the child's start: in a thread, its LibreOffice starts and then the seal and the templates
        are opened (not during LibreOffice's start, which they would slow down), so the child is up at
        once and its first job does not wait for them."""
        assert self.settings is not None, "settings are set before the worker starts"
        self._opening = threading.Thread(target=self._open_in_background, daemon=True, name="libreoffice-start")
        self._opening.start()

    def _open_in_background(self) -> None:
        assert self.settings is not None
        try:
            self._open_converter()
        except BaseException as exc:  # handed to the first job, which reports it
            self._start_error = exc
            return
        api.warm_up(self.settings)

    def _open_converter(self) -> None:
        assert self.settings is not None
        if self.converter is None:
            self._converter_cm = api.open_converter(dataclasses.replace(self.settings, workers=1), pooled=True)
            self.converter = self._converter_cm.__enter__()

    def _await_opening(self) -> None:
        """Wait for the start begun by :meth:`start`; its failure is raised once, here (the next job tries
        again)."""
        if self._opening is not None:
            self._opening.join()
            self._opening = None
        error, self._start_error = self._start_error, None
        if error is not None:
            raise error

    def ready(self) -> tuple[Settings, api.Converter, api.LeaseLedger, api.LeaseLedger]:
        assert self.settings is not None, "settings are set before the worker starts"
        self._await_opening()
        self._open_converter()
        assert self.converter is not None
        if self.ledger is None:
            self.ledger = api.open_job_ledger(self.settings)
        if self.beat is None:
            self.beat = api.open_job_ledger(self.settings)
        return self.settings, self.converter, self.ledger, self.beat

    def close(self) -> None:
        with contextlib.suppress(BaseException):  # a LibreOffice still starting is stopped too, not left
            self._await_opening()
        for ledger in (self.ledger, self.beat):
            if ledger is not None:
                with contextlib.suppress(Exception):
                    ledger.close()
        self.ledger = self.beat = None
        if self._converter_cm is not None:
            self._converter_cm.__exit__(None, None, None)
        self._converter_cm = self.converter = None


process = _JobProcess()


@worker_process_init.connect  # type: ignore[untyped-decorator]
def _started(**_: Any) -> None:
    process.start()


@worker_process_shutdown.connect  # type: ignore[untyped-decorator]
def _shutdown(**_: Any) -> None:
    process.close()


def build_app(settings: Settings) -> Celery:
    """The app with docgen's Celery settings and the task registered."""
    process.settings = settings
    app = api.celery_app(settings)

    @app.task(name=api.TASK_NAME, bind=True)  # type: ignore[untyped-decorator]
    def auftrag(self: Task[Any, Any], job_id: str) -> str:
        try:
            current_settings, converter, ledger, beat = process.ready()
            outcome = api.run_remote(job_id, current_settings, converter, ledger, beat)
        except api.HostUnfit as exc:
            log.error("[%s] dieser Rechner nimmt keine Aufträge mehr an: %s", job_id, exc)
            with contextlib.suppress(Exception):
                self.app.control.cancel_consumer(api.QUEUE, destination=[self.request.hostname])
            raise Reject(str(exc), requeue=True) from exc
        except api.LedgerUnavailable as exc:
            log.warning("[%s] %s; neuer Versuch in %d s", job_id, exc.message, LEDGER_RETRY_SECONDS)
            for ledger_conn in (process.ledger, process.beat):
                if ledger_conn is not None:
                    with contextlib.suppress(Exception):
                        ledger_conn.close()
            raise self.retry(countdown=LEDGER_RETRY_SECONDS, max_retries=None) from exc
        return outcome.result

    return app
