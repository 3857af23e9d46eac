"""One job on a worker host, safe to run twice: claim, heartbeat, pipeline, fenced publish, archive.

The task from the broker carries only the job id; the input waits in the shared
work area (``inbox/.in-arbeit/<job>/<name>``) where the producer put it. The job
runs with its outputs staged in this host's state directory; only the publish
into the shared outbox happens under the ledger's row lock, and only while the
attempt we claimed is still the job's current one. So a copy of the task that the
broker redelivers, a worker paused past its lease, or a host that comes back after
another one finished the job, publishes nothing.

After ``max_attempts`` attempts that never ended (a job process killed each time),
the next claim files the input in ``failed/`` with a German report instead of
running it again.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docgen.errors import DocgenError, ExitCode, FileAccessError, InternalJobError, oserror_text
from docgen.intake.hotfolder import Folders, finish_failure, finish_success
from docgen.intake.jobs import receipts_by_job
from docgen.intake.lease import Heartbeat, LeaseLedger, owner_id, owner_is_dead_here
from docgen.intake.ledger import state_word
from docgen.intake.sharedfs import link_checked
from docgen.pipeline import bundle_names, run_job
from docgen.settings import Settings
from docgen.stages.convert import Converter
from docgen.stages.publish import (
    RECEIPT_SUFFIX,
    drop_unfinished,
    mark_publishing,
    open_folder,
    publish_file,
    publishing_done,
    reserve_stem,
    rollback,
    write_into,
)

log = logging.getLogger("docgen.worker")

MIN_FREE_BYTES = 64 * 1024 * 1024  # below this, a host's state directory counts as full
_FIND_SECONDS = 10.0  # NFS may need a moment before a file created on another host is visible


class TooManyAttempts(DocgenError):
    exit_code = ExitCode.INTERNAL


class HostUnfit(Exception):
    """This host cannot run jobs now (its state directory is full): hand the job to another host."""


@dataclass(frozen=True)
class RemoteOutcome:
    job_id: str
    result: str  # fertig, fehlgeschlagen, doppelt, verworfen, unbekannt
    attempt: int = 0
    detail: str = ""


def zustand_text(state: str) -> str:
    """``laeuft`` → ``Zustand: läuft``."""
    return f"Zustand: {state_word(state)}"


def state_dir_fit(settings: Settings) -> str | None:
    """Why this host's state directory cannot take a job (full, not writable), or ``None``."""
    try:
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(settings.state_dir).free
    except OSError as exc:
        return f"Zustandsordner {settings.state_dir} nicht nutzbar ({oserror_text(exc)})"
    if free < MIN_FREE_BYTES:
        return f"Zustandsordner {settings.state_dir} fast voll ({free // 1024} KiB frei)"
    return None


def _work_file(folders: Folders, job_id: str, name: str) -> Path | None:
    path = folders.work / job_id / name
    deadline = time.monotonic() + _FIND_SECONDS
    while not path.is_file():
        if time.monotonic() > deadline:
            return None
        time.sleep(0.5)
    return path


def run_remote_job(job_id: str, settings: Settings, folders: Folders, converter: Converter,
                   ledger: LeaseLedger, beat_ledger: LeaseLedger) -> RemoteOutcome:
    """Run job ``job_id`` here if the ledger lets us; see the module docstring."""
    unfit = state_dir_fit(settings)
    if unfit:
        raise HostUnfit(unfit)
    current = ledger.lease(job_id)
    row = ledger.get(job_id)
    if current is None or row is None:
        log.warning("[%s] unbekannter Auftrag; Nachricht verworfen", job_id)
        return RemoteOutcome(job_id, "unbekannt")
    steal = current.owner if owner_is_dead_here(current.owner) else None
    me = owner_id()
    attempt = ledger.claim(job_id, me, settings.lease_seconds, steal)
    if attempt is None:
        log.info("[%s] schon fertig oder anderswo in Arbeit (%s); doppelte Nachricht verworfen", job_id,
                 f"bei {current.owner}" if current.owner else zustand_text(current.state))
        return RemoteOutcome(job_id, "doppelt")
    work_file = _work_file(folders, job_id, row.input_name)
    if work_file is None:
        message = f"{row.input_name}: Eingabedatei im Arbeitsordner nicht gefunden (Auftrag {job_id})."
        with ledger.fenced(job_id, attempt) as fence:
            if fence.ours:
                fence.failed(int(ExitCode.FILE_ACCESS), message)
        log.error("[%s] %s", job_id, message)
        return RemoteOutcome(job_id, "fehlgeschlagen", attempt, message)
    if attempt > settings.max_attempts:
        error: DocgenError = TooManyAttempts(
            f"{row.input_name}: der Auftrag {job_id} wurde {settings.max_attempts}-mal begonnen und nie beendet "
            "(der Auftragsprozess brach jedes Mal ab). Er wird nicht noch einmal versucht. Bitte die Eingabe "
            "prüfen und das Protokoll der Worker ansehen; bleibt der Fehler, bitte melden.")
        return _fail(job_id, attempt, work_file, folders, ledger, error)
    log.info("[%s] %s: läuft (Versuch %d, %s)", job_id, row.input_name, attempt, me)
    staging = settings.state_dir / "ausgang" / f"{job_id}-{attempt}"
    try:
        with Heartbeat(beat_ledger, job_id, attempt, me, settings.lease_seconds):
            staging.mkdir(parents=True, exist_ok=True)
            try:
                result = run_job(work_file, staging, settings, converter, job_id=job_id, base_dir=folders.inbox,
                                 hot_folder=True)
            except DocgenError as exc:
                _check_host(settings, job_id, attempt, ledger, exc)
                return _fail(job_id, attempt, work_file, folders, ledger, exc)
            except Exception as exc:  # a bug must not stop the worker; logged with its traceback
                _check_host(settings, job_id, attempt, ledger, exc)
                log.exception("[%s] %s: interner Fehler", job_id, row.input_name)
                internal = InternalJobError(f"{row.input_name}: interner Fehler in docgen ({type(exc).__name__}). "
                                         f"Bitte melden; Auftrag {job_id}, Details im Protokoll.")
                return _fail(job_id, attempt, work_file, folders, ledger, internal)
            assert result.pdf is not None
            return _publish(job_id, attempt, work_file, result.pdf, folders, ledger)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _check_host(settings: Settings, job_id: str, attempt: int, ledger: LeaseLedger, exc: BaseException) -> None:
    """A failure caused by this host (state directory full) is not the job's fault: hand it on."""
    unfit = state_dir_fit(settings)
    if unfit:
        ledger.release(job_id, attempt)
        log.warning("[%s] abgebrochen: %s; der Auftrag geht an einen anderen Rechner (%s)", job_id, unfit, exc)
        raise HostUnfit(unfit) from exc


def _fail(job_id: str, attempt: int, work_file: Path, folders: Folders, ledger: LeaseLedger,
          error: DocgenError) -> RemoteOutcome:
    message = "\n".join(error.lines())
    with ledger.fenced(job_id, attempt) as fence:
        if not fence.ours:
            log.warning("[%s] Versuch %d nicht mehr gültig (%s); Fehler nicht abgelegt", job_id, attempt,
                        zustand_text(fence.state))
            return RemoteOutcome(job_id, "verworfen", attempt)
        target = finish_failure(work_file, folders, error, job_id)
        fence.failed(int(error.exit_code), message)
    log.warning("[%s] %s: fehlgeschlagen (Exit %d) → %s", job_id, work_file.name, int(error.exit_code), target)
    return RemoteOutcome(job_id, "fehlgeschlagen", attempt, message)


def _publish(job_id: str, attempt: int, work_file: Path, staged_pdf: Path, folders: Folders,
             ledger: LeaseLedger) -> RemoteOutcome:
    with ledger.fenced(job_id, attempt) as fence:
        if not fence.ours:
            log.warning("[%s] Versuch %d: Lease abgelaufen und Auftrag anderswo übernommen (%s); nichts "
                        "veröffentlicht", job_id, attempt, zustand_text(fence.state))
            return RemoteOutcome(job_id, "verworfen", attempt)
        outputs = _earlier_publish(job_id, folders.outbox, work_file.name) if attempt > 1 else None
        if outputs is None:
            outputs = transfer(staged_pdf, folders.outbox, job_id)
        fence.done(outputs)
    try:
        finish_success(work_file, folders)
    except (DocgenError, OSError) as exc:
        log.error("[%s] fertig, aber die Eingabe konnte nicht archiviert werden (%s)", job_id, exc)
    log.info("[%s] %s: fertig → %s", job_id, work_file.name, outputs["paket"])
    return RemoteOutcome(job_id, "fertig", attempt, str(outputs["paket"]))


def _earlier_publish(job_id: str, outbox: Path, name: str) -> dict[str, Any] | None:
    """What an earlier attempt published before the ledger heard of it (it died right after):
    its bundle counts; a receipt without a bundle, or a folder it began, is removed."""
    receipt = receipts_by_job(outbox).get(job_id)
    if receipt is not None:
        stem = receipt.name.removesuffix(RECEIPT_SUFFIX)
        bundle = outbox / f"{stem}.pdf"
        if bundle.is_file() and not bundle.is_symlink():
            publishing_done(outbox, stem, job_id)
            return {"paket": str(bundle), "beleg": str(receipt), "ordner": str(outbox / stem),
                    "nach_absturz": True}
        rollback(outbox, stem, draft=True)
    for freed in drop_unfinished(outbox, job_id, bundle_names(name)):
        log.info("[%s] halb veröffentlichter Ordner %s eines früheren Versuchs entfernt", job_id, freed)
    return None


def _renamed(value: Any, old: str, new: str) -> Any:
    """Output names in a receipt moved from stem ``old`` to ``new``."""
    if isinstance(value, dict):
        return {k: _renamed(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_renamed(v, old, new) for v in value]
    if isinstance(value, str) and (value == f"{old}.pdf" or value.startswith(f"{old}/")):
        return new + value[len(old):].replace(f"/{old}", f"/{new}", 1)
    return value


def transfer(staged_pdf: Path, outbox: Path, job_id: str) -> dict[str, Any]:
    """Move a job's staged outputs into the shared outbox: folder files, receipt, bundle last.

    The name is reserved in the outbox as the pipeline does (a sealed bundle is never replaced,
    the next free ``-vN`` is taken); when it differs from the staged one, the receipt's names follow.
    The folder names the job (:func:`~docgen.stages.publish.mark_publishing`) until the bundle is in place.
    """
    staging = staged_pdf.parent
    old = staged_pdf.stem
    receipt = json.loads((staging / f"{old}{RECEIPT_SUFFIX}").read_text(encoding="utf-8"))
    draft = receipt.get("status") == "entwurf"
    stem = reserve_stem(outbox, old, replace=draft)
    if stem != old:
        receipt = _renamed(receipt, old, stem)
    try:
        mark_publishing(outbox, stem, job_id)
        for path in sorted((staging / old).iterdir()):
            name = path.name.replace(old, stem, 1) if path.name.startswith(old) else path.name
            publish_file(path, outbox / stem / name)
        text = json.dumps(receipt, ensure_ascii=False, indent=2, default=str) + "\n"
        with open_folder(outbox) as fd:
            write_into(fd, outbox, f"{stem}{RECEIPT_SUFFIX}", [text.encode("utf-8")])
        if draft:
            publish_file(staged_pdf, outbox / f"{stem}.pdf")
        else:
            _publish_sealed(staged_pdf, outbox, f"{stem}.pdf")
        publishing_done(outbox, stem, job_id)
    except (FileAccessError, OSError) as exc:
        rollback(outbox, stem, draft=draft)
        if isinstance(exc, FileAccessError):
            raise
        raise FileAccessError(f"{outbox}: Ausgabe nicht schreibbar ({oserror_text(exc)}).") from exc
    return {"paket": str(outbox / f"{stem}.pdf"), "beleg": str(outbox / f"{stem}{RECEIPT_SUFFIX}"),
            "ordner": str(outbox / stem), "gesiegelt": not draft}


def _publish_sealed(source: Path, outbox: Path, name: str) -> None:
    """A sealed bundle by ``link`` (never replacing anything), the inode checked as NFS requires."""
    staged = f".{name}.{os.getpid()}.neu"
    with open_folder(outbox) as fd:
        with source.open("rb") as src:
            write_into(fd, outbox, staged, iter(lambda: src.read(1024 * 1024), b""))
        try:
            link_checked(staged, name, dir_fd=fd)
        except FileExistsError:
            raise FileAccessError(f"{outbox / name}: existiert bereits und wird nicht überschrieben.") from None
        finally:
            with contextlib.suppress(OSError):
                os.unlink(staged, dir_fd=fd)
