"""Taking files from ``inbox/`` safely, and putting them where they belong afterwards.

A file is taken only when it is a regular ``*.json`` file (no symlink, no FIFO),
its name is not one of the ignored patterns, and its size and mtime have stayed
the same for the stability delay. Taking it renames it into a job folder in the
work area ``inbox/.in-arbeit/`` (same file system, so the rename is atomic): a
duplicate event or a second daemon finds nothing left to take. Afterwards the
input goes to ``inbox/processed/`` or, with its German error report, to
``inbox/failed/`` — never overwriting anything there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import stat
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from docgen.errors import ConfigError, DocgenError, FileAccessError

IGNORED_PREFIXES = (".", "~$")
IGNORED_SUFFIXES = (".tmp", ".part", ".filepart", ".crdownload")
WORK_DIR = ".in-arbeit"


@dataclass(frozen=True)
class Folders:
    inbox: Path
    outbox: Path
    state: Path

    @property
    def work(self) -> Path:
        return self.inbox / WORK_DIR

    @property
    def processed(self) -> Path:
        return self.inbox / "processed"

    @property
    def failed(self) -> Path:
        return self.inbox / "failed"


def _inside(child: Path, parent: Path) -> bool:
    return child.resolve().is_relative_to(parent.resolve())


def prepare_folders(inbox: Path, outbox: Path, state: Path) -> Folders:
    """Create and check the folders; refuse (exit 9) what would loop or cannot be written."""
    if _inside(outbox, inbox) or _inside(state, inbox):
        which = "outbox" if _inside(outbox, inbox) else "state_dir"
        raise ConfigError(f"{which} liegt im Eingangsordner {inbox}. Bitte einen Ordner außerhalb wählen, "
                          "sonst würden Ergebnisse erneut eingelesen.")
    folders = Folders(inbox, outbox, state)
    for folder in (inbox, outbox, state, folders.work, folders.processed, folders.failed):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"{folder}: Ordner nicht anlegbar ({exc.strerror}).") from exc
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigError(f"{folder}: Ordner nicht beschreibbar. Bitte Schreibrechte vergeben.")
    return folders


def is_candidate(path: Path) -> bool:
    name = path.name
    if name.startswith(IGNORED_PREFIXES) or name.lower().endswith(IGNORED_SUFFIXES):
        return False
    if not name.lower().endswith(".json"):
        return False
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode)  # no symlinks, FIFOs, devices or folders


def candidates(inbox: Path) -> list[Path]:
    try:
        entries = sorted(inbox.iterdir())
    except OSError:
        return []
    return [p for p in entries if is_candidate(p)]


@dataclass
class StabilityTracker:
    """Remembers size and mtime of each candidate; a file is ready after ``delay`` seconds unchanged."""

    delay: float
    _seen: dict[str, tuple[int, int, float]] = field(default_factory=dict)

    def forget(self, name: str) -> None:
        """Start the wait again for ``name`` (it was handed back)."""
        self._seen.pop(name, None)

    def ready(self, paths: list[Path], now: float) -> list[Path]:
        stable, current = [], {}
        for path in paths:
            try:
                info = path.stat()
            except OSError:
                continue
            key = (info.st_size, info.st_mtime_ns)
            previous = self._seen.get(path.name)
            since = previous[2] if previous and previous[:2] == key else now
            current[path.name] = (*key, since)
            if info.st_size > 0 and now - since >= self.delay:
                stable.append(path)
        self._seen = current
        return stable


def new_job_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def safe_name(name: str) -> str:
    """A file name that is valid UTF-8: old SMB clients may write Latin-1 names, which Python holds
    as surrogate escapes that neither SQLite, JSON reports nor LibreOffice accept."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def claim(path: Path, folders: Folders, job_id: str) -> Path | None:
    """Move ``path`` into its job folder; ``None`` when somebody else took it first."""
    job_dir = folders.work / job_id
    job_dir.mkdir(parents=True, exist_ok=False)
    target = job_dir / safe_name(path.name)
    try:
        os.rename(path, target)
    except FileNotFoundError:
        job_dir.rmdir()
        return None
    return target


REPORT_SUFFIXES = (".fehler.txt", ".fehler.json")


def unclaim(work_file: Path, original: Path) -> None:
    """Put a taken file back where it was (the job could not be registered)."""
    os.rename(work_file, original)
    _remove_job_dir(work_file.parent)


def _unique(folder: Path, name: str, with_reports: bool = False) -> str:
    """A name free in ``folder`` (with its reports): ``name``, else with a time stamp, else numbered."""
    stem, ext = Path(name).stem, Path(name).suffix
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for option in [stem, f"{stem}-{stamp}"] + [f"{stem}-{stamp}-{n}" for n in range(2, 1000)]:
        taken = [f"{option}{ext}"] + ([option + s for s in REPORT_SUFFIXES] if with_reports else [])
        if not any((folder / t).exists() for t in taken):
            return option + ext
    raise FileAccessError(f"{folder}: kein freier Dateiname für {name}.")


def _move_no_overwrite(source: Path, folder: Path, name: str) -> Path:
    while True:
        target = folder / _unique(folder, name)
        try:
            os.link(source, target)  # fails instead of overwriting, even in a race
        except FileExistsError:
            continue
        source.unlink()
        return target


def finish_success(work_file: Path, folders: Folders) -> Path:
    archived = _move_no_overwrite(work_file, folders.processed, work_file.name)
    _remove_job_dir(work_file.parent)
    return archived


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def error_report(name: str, error: DocgenError, job_id: str) -> tuple[str, dict[str, object]]:
    from docgen.errors import InvalidInput

    lines = error.lines()
    text = (f"docgen konnte „{name}“ nicht verarbeiten (Auftrag {job_id}).\n\n"
            + "\n".join(f"- {line}" for line in lines)
            + "\n\nWas tun: die genannten Stellen in der Datei korrigieren und die Datei erneut in den "
              "Eingangsordner legen. Fehlercode (Exit-Code): " + str(int(error.exit_code)) + "\n")
    problems = ([p.as_dict() for p in error.problems] if isinstance(error, InvalidInput)
                else [{"pfad": "", "meldung": line, "code": type(error).__name__, "stufe": "error"}
                      for line in lines])
    data = {"datei": name, "auftrag": job_id, "exit_code": int(error.exit_code), "fehler": problems}
    return text, data


def finish_failure(work_file: Path, folders: Folders, error: DocgenError, job_id: str) -> Path:
    """Move the input to ``failed/`` with ``<name>.fehler.txt`` (German) and ``<name>.fehler.json``."""
    name = _unique(folders.failed, work_file.name, with_reports=True)
    stem = Path(name).stem
    text, data = error_report(work_file.name, error, job_id)
    _write_atomic(folders.failed / f"{stem}.fehler.json", json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    _write_atomic(folders.failed / f"{stem}.fehler.txt", text)
    target = _move_no_overwrite(work_file, folders.failed, name)
    _remove_job_dir(work_file.parent)
    return target


def _remove_job_dir(job_dir: Path) -> None:
    with contextlib.suppress(OSError):
        job_dir.rmdir()


def left_in_work(folders: Folders) -> list[tuple[str, Path]]:
    """Jobs a crashed run left in the work area: (job id, input file)."""
    found = []
    for job_dir in sorted(p for p in folders.work.iterdir() if p.is_dir()):
        files = [f for f in job_dir.iterdir() if f.is_file()]
        if files:
            found.append((job_dir.name, files[0]))
        else:
            _remove_job_dir(job_dir)
    return found
