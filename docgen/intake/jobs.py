"""Running one taken file through the pipeline, and finding jobs a crashed run left behind.

Whatever happens, the input ends in ``processed/`` or in ``failed/`` with a
report, and the ledger says which; one bad file never stops the caller.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docgen.errors import DocgenError, ExitCode
from docgen.intake.hotfolder import Folders, finish_failure, finish_success, left_in_work
from docgen.intake.ledger import Ledger
from docgen.pipeline import run_job
from docgen.settings import Settings
from docgen.stages.convert import Converter

log = logging.getLogger("docgen.intake")


class InternalJobError(DocgenError):
    """A bug while processing one file: reported like any failure, the run goes on."""

    exit_code = ExitCode.INTERNAL


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


def register(ledger: Ledger, job_id: str, work_file: Path) -> None:
    digest = _sha256(work_file)
    ledger.taken(job_id, work_file.name, digest)
    earlier = ledger.earlier_with(digest, job_id)
    log.info("[%s] %s: genommen", job_id, work_file.name)
    if earlier is not None:
        log.info("[%s] %s: gleicher Inhalt wie Auftrag %s (%s, fertig %s); es entsteht eine neue Fassung",
                 job_id, work_file.name, earlier.id, earlier.input_name, earlier.finished_at)


def process(work_file: Path, job_id: str, folders: Folders, settings: Settings, converter: Converter,
            ledger: Ledger) -> Outcome:
    """Run a taken file; archive it on success, move it to failed/ with reports otherwise."""
    start = time.monotonic()
    name = work_file.name
    art = _dokumentart(work_file)
    _note(ledger.running, job_id)
    log.info("[%s] %s: läuft", job_id, name)
    try:
        result = run_job(work_file, folders.outbox, settings, converter, job_id=job_id, base_dir=folders.inbox)
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
    archived = finish_success(work_file, folders)
    log.info("[%s] %s: fertig → %s (Eingabe archiviert als %s)", job_id, name, result.pdf, archived.name)
    return Outcome(job_id, name, result.dokumentart, True, 0, "", time.monotonic() - start, str(result.pdf))


def _failed(work_file: Path, job_id: str, folders: Folders, ledger: Ledger, error: DocgenError, art: str,
            start: float) -> Outcome:
    message = "\n".join(error.lines())
    _note(ledger.failed, job_id, int(error.exit_code), message)
    target = finish_failure(work_file, folders, error, job_id)
    log.warning("[%s] %s: fehlgeschlagen (Exit %d) → %s", job_id, work_file.name, int(error.exit_code), target)
    return Outcome(job_id, work_file.name, art, False, int(error.exit_code), message, time.monotonic() - start)


def _published_by(job_id: str, outbox: Path) -> Path | None:
    """The bundle a job already published (its receipt names the job), if any."""
    for receipt in outbox.glob("*.receipt.json"):
        try:
            if json.loads(receipt.read_text(encoding="utf-8")).get("auftrag") == job_id:
                bundle = receipt.with_name(receipt.name.removesuffix(".receipt.json") + ".pdf")
                return bundle if bundle.is_file() else None
        except (OSError, ValueError):
            continue
    return None


def left_over(folders: Folders, ledger: Ledger) -> list[tuple[str, Path]]:
    """What a crashed run left in the work area and must run again: (job id, input file).

    A job whose bundle was already published is only archived, so nothing is
    published twice; a job that published a receipt but no bundle has it removed.
    """
    again = []
    for job_id, work_file in left_in_work(folders):
        row = ledger.get(job_id)
        bundle = _published_by(job_id, folders.outbox)
        if bundle is not None or (row is not None and row.state == "fertig"):
            log.info("[%s] %s: war schon veröffentlicht (%s); Eingabe wird archiviert", job_id, work_file.name,
                     bundle)
            if row is None or row.state != "fertig":
                ledger.taken(job_id, work_file.name, _sha256(work_file))
                ledger.done(job_id, {"paket": str(bundle), "nach_absturz": True})
            finish_success(work_file, folders)
            continue
        _drop_partial(job_id, folders.outbox)
        log.info("[%s] %s: nach Unterbrechung erneut bearbeitet", job_id, work_file.name)
        if row is None:
            register(ledger, job_id, work_file)
        again.append((job_id, work_file))
    return again


def _drop_partial(job_id: str, outbox: Path) -> None:
    """Remove a receipt and folder an interrupted job published before its bundle."""
    for receipt in outbox.glob("*.receipt.json"):
        try:
            if json.loads(receipt.read_text(encoding="utf-8")).get("auftrag") != job_id:
                continue
        except (OSError, ValueError):
            continue
        stem = receipt.name.removesuffix(".receipt.json")
        shutil.rmtree(outbox / stem, ignore_errors=True)
        receipt.unlink(missing_ok=True)
