"""``docgen batch``: everything waiting in the inbox, once, for cron and systemd timers.

With a due date only the files that are due are taken: Beschlussvorlagen whose
next consultation is on or before it, other documents whose deadline is; the
rest stay in the inbox. Files still being written (changed within the stability
delay) stay too and are taken by the next run. A file whose due date cannot be
read (malformed JSON or Beratungsfolge) counts as due, so it gets its error report.

A batch owns the inbox while it runs, like ``docgen watch``: with a daemon (or
another batch) at work on the same inbox it refuses to start (exit 9).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from concurrent.futures import as_completed
from dataclasses import dataclass, field
from pathlib import Path

from docgen import documents
from docgen.errors import DocgenError
from docgen.intake.hotfolder import Folders, InboxLock, candidates, ensure_folders
from docgen.intake.jobs import Outcome, left_over, take
from docgen.intake.ledger import JobLedger
from docgen.intake.ledgers import open_ledger
from docgen.intake.procpool import JobProcesses
from docgen.pipeline import sweep_work
from docgen.settings import Settings
from docgen.stages.validate import parse_json

log = logging.getLogger("docgen.batch")


@dataclass
class BatchReport:
    outcomes: list[Outcome] = field(default_factory=list)
    not_due: list[tuple[str, str]] = field(default_factory=list)  # (file, why it stays)
    seconds: float = 0.0

    @property
    def failed(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.ok]


def due_date(path: Path) -> tuple[dt.date | None, str]:
    """The date that decides whether ``path`` is due, with a German note; unreadable files are due at once."""
    try:
        data = parse_json(path.read_bytes(), path.name)
    except Exception:  # invalid input: take it now so its author gets the error report
        return dt.date.min, "ungültig, wird sofort verarbeitet (Fehlerbericht)"
    doc = documents.get(data.get("dokumentart", "")) if isinstance(data, dict) else None
    if doc is None:
        return dt.date.min, "ungültig, wird sofort verarbeitet (Fehlerbericht)"
    if doc.due_of is None:
        return None, f"{doc.title} hat keinen Termin"
    try:
        day = doc.due_of(data)
    except Exception:  # any malformed field (a date that is no text, a list that is none): due now
        return dt.date.min, "ungültig, wird sofort verarbeitet (Fehlerbericht)"
    if day is not None and not isinstance(day, dt.date):
        return dt.date.min, "ungültig, wird sofort verarbeitet (Fehlerbericht)"
    return day, f"Termin {day:%d.%m.%Y}" if day else "kein Termin"


def select(folders: Folders, settings: Settings, due_before: dt.date | None,
           report: BatchReport) -> list[Path]:
    now = time.time()
    chosen = []
    for path in candidates(folders.inbox):
        try:
            info = path.stat()
        except OSError:
            continue
        if info.st_size == 0 or now - info.st_mtime < settings.stable_seconds:
            report.not_due.append((path.name, "wird gerade geschrieben; nächster Lauf"))
            continue
        if due_before is not None:
            day, note = due_date(path)
            if day is None or day > due_before:
                report.not_due.append((path.name, f"nicht fällig ({note})"))
                continue
        chosen.append(path)
    return chosen


def run_batch(settings: Settings, folders: Folders, due_before: dt.date | None,
              progress: Callable[[Outcome], None] | None = None) -> BatchReport:
    """Process what is due once, owning the inbox meanwhile (exit 9 when another docgen owns it)."""
    report = BatchReport()
    start = time.monotonic()
    with InboxLock(folders.inbox, "docgen batch", settings.zeitzone) as lock:
        ensure_folders(folders)
        sweep_work(settings)
        chosen = select(folders, settings, due_before, report)
        ledger = open_ledger(settings)
        try:
            taken = left_over(folders, ledger, lock)
            taken += _take_all(chosen, folders, ledger, report, progress)
            if taken:
                _run_all(taken, settings, folders, report, progress)
        finally:
            ledger.close()
    report.seconds = time.monotonic() - start
    return report


def _take_all(chosen: list[Path], folders: Folders, ledger: JobLedger, report: BatchReport,
              progress: Callable[[Outcome], None] | None) -> list[tuple[str, Path]]:
    taken = []
    for path in chosen:
        try:
            job = take(path, folders, ledger)
        except (DocgenError, OSError) as exc:
            reason = exc.message if isinstance(exc, DocgenError) else str(exc)
            report.not_due.append((path.name, f"nicht übernommen ({reason}); nächster Lauf"))
            continue
        if job is None:
            continue
        if job.refused is not None:
            report.outcomes.append(job.refused)
            if progress is not None:
                progress(job.refused)
        elif job.work_file is not None:
            taken.append((job.job_id, job.work_file))
    return taken


def _run_all(taken: list[tuple[str, Path]], settings: Settings, folders: Folders, report: BatchReport,
             progress: Callable[[Outcome], None] | None) -> None:
    with JobProcesses(settings, min(len(taken), settings.worker_count)) as pool:
        futures = {pool.submit(work_file, job_id, folders): (job_id, work_file) for job_id, work_file in taken}
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as exc:  # a job process died or a bug escaped: that job fails, the rest go on
                job_id, work_file = futures[future]
                log.error("[%s] %s: Auftrag abgebrochen (%s); die Eingabe bleibt im Arbeitsordner und wird "
                          "beim nächsten Lauf erneut bearbeitet", job_id, work_file.name, exc)
                outcome = Outcome(job_id, work_file.name, "?", False, 1,
                                  f"{work_file.name}: Auftrag abgebrochen ({type(exc).__name__}); die Eingabe "
                                  "bleibt im Arbeitsordner und wird beim nächsten Lauf erneut bearbeitet.", 0.0)
            report.outcomes.append(outcome)
            if progress is not None:
                progress(outcome)


def count_due(settings: Settings, folders: Folders, due_before: dt.date | None) -> int:
    return len(select(folders, settings, due_before, BatchReport()))
