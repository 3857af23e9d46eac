"""Taking a file, running it through the pipeline, and finding jobs a crashed run left behind.

Whatever happens, the input ends in ``processed/`` or in ``failed/`` with a
report, and the ledger says which; one bad file (or a stray file in the outbox)
never stops the caller. When even the report cannot be written (``failed/`` was
replaced by a symlink, the disk is full) the input stays in the work area and is
taken up again by the next run.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docgen.errors import DocgenError, InternalJobError
from docgen.intake.hotfolder import (
    Folders,
    InboxLock,
    claim,
    finish_failure,
    finish_success,
    left_in_work,
    name_problem,
    name_too_long,
    new_job_id,
    refuse_from_inbox,
    safe_name,
    short_name,
    unclaim,
)
from docgen.intake.ledger import JobLedger
from docgen.pipeline import bundle_names, run_job
from docgen.settings import Settings
from docgen.stages.convert import Converter
from docgen.stages.publish import PUBLISHING_MARK, drop_unfinished, publishing_done

log = logging.getLogger("docgen.intake")



@dataclass(frozen=True)
class Outcome:
    job_id: str
    name: str
    dokumentart: str
    ok: bool
    exit_code: int
    message: str
    seconds: float
    bundle: str | None = None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _dokumentart(path: Path) -> str:
    try:
        data = json.loads(path.read_bytes().removeprefix(b"\xef\xbb\xbf"))
        return str(data.get("dokumentart", "?")) if isinstance(data, dict) else "?"
    except (ValueError, OSError, RecursionError):
        return "?"


def _note(action: Callable[..., None], *args: Any) -> None:
    """Write to the ledger; if it is locked or broken, log it and carry on with the job."""
    try:
        action(*args)
    except DocgenError as exc:
        log.error("Auftragsbuch: %s (der Auftrag läuft weiter)", exc.message)


def register(ledger: JobLedger, job_id: str, work_file: Path) -> None:
    digest = _sha256(work_file)
    ledger.taken(job_id, work_file.name, digest)
    earlier = ledger.earlier_with(digest, job_id)
    log.info("[%s] %s: genommen", job_id, work_file.name)
    if earlier is not None:
        log.info("[%s] %s: gleicher Inhalt wie Auftrag %s (%s, fertig %s); es entsteht eine neue Fassung",
                 job_id, work_file.name, earlier.id, earlier.input_name, earlier.finished_at)


@dataclass(frozen=True)
class Taken:
    """What :func:`take` did with one ready file: a job to run, or one already refused."""

    job_id: str
    work_file: Path | None = None  # to be run
    refused: Outcome | None = None  # failed at once (name too long), already in failed/


def take(path: Path, folders: Folders, ledger: JobLedger) -> Taken | None:
    """Take one ready inbox file: claim and register it, or refuse it at once when its name is too long.

    ``None`` when somebody else took it first. Raises :class:`DocgenError` when it
    cannot be taken now (it is then back in the inbox, or never left it).
    """
    job_id = new_job_id()
    if name_too_long(path.name):
        return Taken(job_id, refused=_refuse_name(path, job_id, folders, ledger))
    work_file = claim(path, folders, job_id)
    if work_file is None:
        return None
    try:
        register(ledger, job_id, work_file)
    except (DocgenError, OSError):
        # Without a ledger entry the job could not be accounted for: hand the file back.
        unclaim(work_file, path)
        raise
    return Taken(job_id, work_file=work_file)


def _refuse_name(path: Path, job_id: str, folders: Folders, ledger: JobLedger) -> Outcome:
    start = time.monotonic()
    error = name_problem(path.name)
    shown = safe_name(path.name)
    try:
        digest = _sha256(path)
    except OSError:
        digest = ""
    _note(ledger.taken, job_id, short_name(path.name), digest)
    _note(ledger.failed, job_id, int(error.exit_code), "\n".join(error.lines()))
    target = refuse_from_inbox(path, folders, error, job_id)
    log.warning("[%s] %s: Dateiname zu lang → %s", job_id, shown, target)
    return Outcome(job_id, target.name, _dokumentart(target), False, int(error.exit_code),
                   "\n".join(error.lines()), time.monotonic() - start)


def process(work_file: Path, job_id: str, folders: Folders, settings: Settings, converter: Converter,
            ledger: JobLedger) -> Outcome:
    """Run a taken file; archive it on success, move it to failed/ with reports otherwise."""
    start = time.monotonic()
    name = work_file.name
    art = _dokumentart(work_file)
    _note(ledger.running, job_id)
    log.info("[%s] %s: läuft", job_id, name)
    try:
        result = run_job(work_file, folders.outbox, settings, converter, job_id=job_id, base_dir=folders.inbox,
                         hot_folder=True)
    except DocgenError as exc:
        return _failed(work_file, job_id, folders, ledger, exc, art, start)
    except Exception as exc:  # a bug must not stop the daemon; it is logged with its traceback
        log.exception("[%s] %s: interner Fehler", job_id, name)
        error = InternalJobError(f"{name}: interner Fehler in docgen ({type(exc).__name__}). Bitte melden; "
                                 f"Auftrag {job_id}, Details im Protokoll.")
        return _failed(work_file, job_id, folders, ledger, error, art, start)
    outputs = {"paket": str(result.pdf), "beleg": str(result.receipt), "ordner": str(result.folder),
               "gesiegelt": result.sealed}
    _note(ledger.done, job_id, outputs)
    try:
        archived = finish_success(work_file, folders)
    except (DocgenError, OSError) as exc:
        # The bundle is out; the next run finds the input in the work area and only archives it.
        log.error("[%s] %s: fertig → %s, aber die Eingabe konnte nicht archiviert werden (%s); sie bleibt in "
                  "%s", job_id, name, result.pdf, _reason(exc), work_file.parent)
    else:
        log.info("[%s] %s: fertig → %s (Eingabe archiviert als %s)", job_id, name, result.pdf, archived.name)
    return Outcome(job_id, name, result.dokumentart, True, 0, "", time.monotonic() - start, str(result.pdf))


def _reason(exc: BaseException) -> str:
    return exc.message if isinstance(exc, DocgenError) else str(exc)


def _failed(work_file: Path, job_id: str, folders: Folders, ledger: JobLedger, error: DocgenError, art: str,
            start: float) -> Outcome:
    message = "\n".join(error.lines())
    _note(ledger.failed, job_id, int(error.exit_code), message)
    try:
        target: Path | str = finish_failure(work_file, folders, error, job_id)
    except (DocgenError, OSError) as exc:
        target = f"bleibt in {work_file.parent} (Bericht nicht schreibbar: {_reason(exc)})"
        log.error("[%s] %s: fehlgeschlagen (Exit %d), aber der Fehlerbericht konnte nicht geschrieben werden "
                  "(%s); die Eingabe bleibt im Arbeitsordner und wird beim nächsten Lauf erneut bearbeitet",
                  job_id, work_file.name, int(error.exit_code), _reason(exc))
    reason = error.lines()[0] if error.lines() else error.message  # the first problem; all are in the report
    log.warning("[%s] %s: fehlgeschlagen (Exit %d): %s → %s", job_id, work_file.name, int(error.exit_code),
                reason[:300], target)
    return Outcome(job_id, work_file.name, art, False, int(error.exit_code), message, time.monotonic() - start)


_MAX_RECEIPT_BYTES = 4 * 1024 * 1024


def _receipt_job(receipt: Path) -> str | None:
    """The job id a receipt in the outbox names; ``None`` for anything that is not one of our receipts
    (not a regular file, too big, not UTF-8 JSON, not an object, no text ``auftrag``)."""
    try:
        fd = os.open(receipt, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_RECEIPT_BYTES:
                return None
            data = json.loads(fh.read(_MAX_RECEIPT_BYTES))
    except (OSError, ValueError, RecursionError):
        return None
    job = data.get("auftrag") if isinstance(data, dict) else None
    return job if isinstance(job, str) else None


def receipts_by_job(outbox: Path) -> dict[str, Path]:
    """Every readable receipt in the outbox by the job id it names; stray or broken files are skipped."""
    found: dict[str, Path] = {}
    try:
        receipts = sorted(outbox.glob("*.receipt.json"))
    except OSError:
        return found
    for receipt in receipts:
        job = _receipt_job(receipt)
        if job is not None:
            found.setdefault(job, receipt)
    return found


def _bundle_of(receipt: Path) -> Path | None:
    bundle = receipt.with_name(receipt.name.removesuffix(".receipt.json") + ".pdf")
    try:
        return bundle if stat.S_ISREG(bundle.lstat().st_mode) else None
    except OSError:
        return None


def left_over(folders: Folders, ledger: JobLedger, lock: InboxLock) -> list[tuple[str, Path]]:
    """What a crashed run left in the work area and must run again: (job id, input file).

    Only the holder of the inbox lock may call this (a second instance would
    otherwise take over jobs the first one is running). A job whose bundle was
    already published is only archived, so nothing is published twice; a job that
    published a receipt but no bundle has it removed. A job that cannot be
    recovered now is logged and left for the next run; it never stops the others.
    """
    again = []
    left = left_in_work(folders, lock)
    receipts = receipts_by_job(folders.outbox) if left else {}
    unfinished = _Unfinished.scan(folders.outbox) if left else None
    for job_id, work_file in left:
        try:
            if _recover(job_id, work_file, folders, ledger, receipts.get(job_id), unfinished):
                again.append((job_id, work_file))
        except (DocgenError, OSError) as exc:
            log.error("[%s] %s: nach Unterbrechung nicht wieder aufzunehmen (%s); bleibt im Arbeitsordner",
                      job_id, work_file.name, _reason(exc))
    return again


def _version_bases(stem: str) -> set[str]:
    """Every ``base`` of which ``stem`` is ``base`` itself or a version name ``base-vN``."""
    bases = {stem}
    at = stem.find("-v")
    while at >= 0:
        if stem[at + 2:].isdigit():
            bases.add(stem[:at])
        at = stem.find("-v", at + 1)
    return bases


@dataclass(frozen=True)
class _Unfinished:
    """What :func:`~docgen.stages.publish.drop_unfinished` could free in the outbox, read in one pass.

    ``drop_unfinished`` looks at every folder of the outbox for one job; called for each job a crash
    left, recovery cost jobs × folders. This pass tells which jobs it can find nothing for: no folder
    names the job (a publishing mark) and no folder that is one of the job's names (``base``,
    ``base-vN``) lacks its bundle. Recovery only removes things and never adds or removes a bundle,
    so what this pass rules out stays ruled out; ``None`` (the outbox or a folder not readable) means
    every job is looked at as before.
    """

    marked: frozenset[str]  # job ids a folder names as publishing
    unbundled: frozenset[str]  # bases of folders without a bundle of their name

    @classmethod
    def scan(cls, outbox: Path) -> _Unfinished | None:
        marked: set[str] = set()
        unbundled: set[str] = set()
        try:
            with os.scandir(outbox) as listing:
                entries = list(listing)
            names = {entry.name for entry in entries}
            for entry in entries:
                if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
                    continue
                with os.scandir(entry.path) as inside:
                    marked.update(f.name[len(PUBLISHING_MARK):] for f in inside if f.name.startswith(PUBLISHING_MARK))
                if f"{entry.name}.pdf" not in names:
                    unbundled.update(_version_bases(entry.name))
        except OSError:
            return None
        return cls(frozenset(marked), frozenset(unbundled))

    def may_free(self, job_id: str, bases: tuple[str, ...]) -> bool:
        return job_id in self.marked or any(base in self.unbundled for base in bases)


def _recover(job_id: str, work_file: Path, folders: Folders, ledger: JobLedger, receipt: Path | None,
             unfinished: _Unfinished | None = None) -> bool:
    """Archive a job that was already published (``False``), or prepare it to run again (``True``)."""
    row = ledger.get(job_id)
    bundle = _bundle_of(receipt) if receipt is not None else None
    if bundle is not None or (row is not None and row.state == "fertig"):
        if bundle is not None:
            publishing_done(folders.outbox, bundle.stem, job_id)
        log.info("[%s] %s: war schon veröffentlicht (%s); Eingabe wird archiviert", job_id, work_file.name, bundle)
        if row is None or row.state != "fertig":
            ledger.taken(job_id, work_file.name, _sha256(work_file))
            ledger.done(job_id, {"paket": str(bundle), "nach_absturz": True})
        finish_success(work_file, folders)
        return False
    if receipt is not None:
        _drop_partial(receipt, folders.outbox)
    bases = bundle_names(work_file.name)
    freed_names = (drop_unfinished(folders.outbox, job_id, bases)
                   if unfinished is None or unfinished.may_free(job_id, bases) else [])
    for freed in freed_names:
        log.info("[%s] halb veröffentlichter Ordner %s entfernt; der Name bleibt dem Auftrag", job_id, freed)
    log.info("[%s] %s: nach Unterbrechung erneut bearbeitet", job_id, work_file.name)
    if row is None:
        register(ledger, job_id, work_file)
    return True


def _drop_partial(receipt: Path, outbox: Path) -> None:
    """Remove a receipt and folder an interrupted job published before its bundle."""
    stem = receipt.name.removesuffix(".receipt.json")
    folder = outbox / stem
    if folder.is_dir() and not folder.is_symlink():
        shutil.rmtree(folder, ignore_errors=True)
    receipt.unlink(missing_ok=True)
