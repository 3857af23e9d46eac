"""Taking files from ``inbox/`` safely, and putting them where they belong afterwards.

One owner per inbox: ``docgen watch`` and ``docgen batch`` hold :class:`InboxLock`
(an ``flock`` on ``inbox/.docgen.lock``, which names the owner as host:pid) for
their whole run; a second instance on the same inbox refuses to start (exit 9),
and jobs left in the work area are recovered only by the lock's holder.

A file is taken only when it is a regular ``*.json`` file (no symlink, no FIFO),
its name is not one of the ignored patterns, and its size and mtime have stayed
the same for the stability delay. Taking it renames it into a job folder in the
work area ``inbox/.in-arbeit/`` (same file system, so the rename is atomic): a
duplicate event finds nothing left to take. Afterwards the input goes to
``inbox/processed/`` or, with its German error report, to ``inbox/failed/`` —
never overwriting anything there, never through a symlink, and under a name short
enough for every file system (a name too long to be processed is refused at once).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import json
import os
import socket
import stat
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from docgen.errors import ConfigError, DocgenError, FileAccessError, InvalidInput, Problem, oserror_text
from docgen.formatting import zeitpunkt
from docgen.settings import Settings
from docgen.stages.publish import open_folder, symlink_message, write_into

IGNORED_PREFIXES = (".", "~$")
IGNORED_SUFFIXES = (".tmp", ".part", ".filepart", ".crdownload")
WORK_DIR = ".in-arbeit"
LOCK_FILE = ".docgen.lock"
# An input name (UTF-8) may have at most this many bytes: every name derived from it (outbox
# "<stem>-ENTWURF-v2.receipt.json" and its temporary ".….part", "failed/<stem>-<time>-2.fehler.json")
# must stay below the 255 bytes most file systems allow.
MAX_NAME_BYTES = 200
_SHORT_STEM_BYTES = 120
DEFAULT_ZONE = Settings.zeitzone  # the setting's default, for callers that pass none


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

    @property
    def written(self) -> tuple[Path, ...]:
        """The shared folders docgen writes into; none of them may be a symlink."""
        return (self.inbox, self.outbox, self.work, self.processed, self.failed)


def _inside(child: Path, parent: Path) -> bool:
    return child.resolve().is_relative_to(parent.resolve())


def ensure_folders(folders: Folders) -> None:
    """Create missing folders; refuse (exit 9) one that is a symlink or not a folder."""
    for folder in folders.written:
        try:
            info: os.stat_result | None = folder.lstat()
        except FileNotFoundError:
            info = None
        except OSError as exc:
            raise ConfigError(f"{folder}: Ordner nicht lesbar ({oserror_text(exc)}).") from exc
        if info is not None and stat.S_ISLNK(info.st_mode):
            raise ConfigError(f"{folder}: ist ein Verweis (Symlink) auf {os.readlink(folder)}. docgen schreibt nie "
                              "durch Verweise; bitte einen echten Ordner anlegen oder den Zielordner direkt "
                              "einstellen.")
        if info is not None and not stat.S_ISDIR(info.st_mode):
            raise ConfigError(f"{folder}: ist kein Ordner. Bitte die Datei entfernen oder einen anderen Ordner "
                              "einstellen.")
        if info is None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise ConfigError(f"{folder}: Ordner nicht anlegbar ({oserror_text(exc)}).") from exc


def prepare_folders(inbox: Path, outbox: Path, state: Path) -> Folders:
    """Create and check the folders; refuse (exit 9) what would loop, is a symlink or cannot be written."""
    if _inside(outbox, inbox) or _inside(state, inbox):
        which = "outbox" if _inside(outbox, inbox) else "state_dir"
        raise ConfigError(f"{which} liegt im Eingangsordner {inbox}. Bitte einen Ordner außerhalb wählen, "
                          "sonst würden Ergebnisse erneut eingelesen.")
    folders = Folders(inbox, outbox, state)
    ensure_folders(folders)
    try:
        state.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{state}: Ordner nicht anlegbar ({oserror_text(exc)}).") from exc
    for folder in (*folders.written, state):
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ConfigError(f"{folder}: Ordner nicht beschreibbar. Bitte Schreibrechte vergeben.")
    return folders


class InboxLock:
    """One owner per inbox: an exclusive ``flock`` on ``inbox/.docgen.lock`` for a whole watch or batch run.

    The lock file names its holder (``host:pid``, command, since when, in UTC) for the message a
    second instance gets, which shows that time in ``zone`` (the setting ``zeitzone``). The kernel
    releases the lock when the holder dies, even by SIGKILL, so a crash never leaves a stale lock.
    On a local file system this is exact. On NFS (v4, or v3 with lockd) Linux passes ``flock`` to
    the server as a whole-file lock, so instances on different hosts exclude each other too; on an
    NFS mount with ``nolock`` or an SMB mount with ``nobrl`` the lock is only local to the host —
    run only one ``docgen watch`` per shared inbox there.
    """

    def __init__(self, inbox: Path, command: str, zone: str = DEFAULT_ZONE) -> None:
        self.inbox = inbox
        self.path = inbox / LOCK_FILE
        self.command = command
        self.zone = zone
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def owner(self) -> str:
        """Who holds the lock, as written in the lock file (``unbekannt`` when it cannot be read), with
        the time it was taken in :attr:`zone`."""
        try:
            with self.path.open("rb") as fh:
                text = fh.read(1000).decode("utf-8", "replace").strip()
        except OSError:
            text = ""
        lines = [f"seit {zeitpunkt(line[5:], self.zone, sekunden=True)}" if line.startswith("seit ") else line
                 for line in text.splitlines()]
        return ", ".join(lines) or "unbekannt"

    def acquire(self) -> InboxLock:
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise ConfigError(symlink_message(self.path)) from exc
            raise ConfigError(f"{self.path}: Sperrdatei des Eingangsordners nicht anlegbar ({oserror_text(exc)}). "
                              "Bitte Schreibrechte für den Eingangsordner vergeben.") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise ConfigError(
                    f"Eingangsordner {self.inbox}: wird schon von einem anderen docgen-Prozess bearbeitet "
                    f"({self.owner()}). Je Eingangsordner darf nur ein „docgen watch“ oder „docgen batch“ "
                    "laufen; bitte warten, bis er fertig ist, oder ihn beenden.") from exc
            raise ConfigError(f"{self.path}: der Eingangsordner lässt sich nicht sperren ({oserror_text(exc)}). "
                              "Netzlaufwerke bitte mit Sperrunterstützung einhängen (NFS mit lockd, SMB "
                              "ohne „nobrl“).") from exc
        since = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{socket.gethostname()}:{os.getpid()}\n{self.command}\nseit {since}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(self._fd, 0)
        os.close(self._fd)  # closing releases the flock
        self._fd = None

    def __enter__(self) -> InboxLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def _candidate_name(name: str) -> bool:
    """Whether a name may be taken at all (the file itself is not looked at)."""
    lower = name.lower()
    return not name.startswith(IGNORED_PREFIXES) and not lower.endswith(IGNORED_SUFFIXES) and lower.endswith(".json")


def is_candidate(path: Path) -> bool:
    if not _candidate_name(path.name):
        return False
    try:
        info = path.lstat()
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode)  # no symlinks, FIFOs, devices or folders


def candidates(inbox: Path) -> list[Path]:
    """The files that may be taken, sorted by name.

    Names are filtered before anything is sorted or looked at, and sorted as text (the order of the
    paths, since they share the folder): an inbox full of other files costs one pass, not a sort of
    every entry as paths.
    """
    try:
        names = os.listdir(inbox)
    except OSError:
        return []
    return [path for path in (inbox / name for name in sorted(filter(_candidate_name, names)))
            if is_candidate(path)]


def has_candidates(inbox: Path) -> bool:
    """Whether :func:`candidates` would find anything; stops at the first file it finds."""
    try:
        with os.scandir(inbox) as entries:
            return any(_candidate_name(entry.name) and is_candidate(inbox / entry.name) for entry in entries)
    except OSError:
        return False


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
                info = path.lstat()
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


def name_too_long(name: str) -> bool:
    """Whether the input name, once made valid UTF-8, is too long to derive output names from."""
    return len(safe_name(name).encode("utf-8")) > MAX_NAME_BYTES


def short_name(name: str) -> str:
    """``name`` as valid UTF-8, shortened when too long: its start, ``~``, 8 hex digits of its hash."""
    safe = safe_name(name)
    if len(safe.encode("utf-8")) <= MAX_NAME_BYTES:
        return safe
    suffix = Path(safe).suffix if len(Path(safe).suffix.encode("utf-8")) <= 16 else ""
    stem = safe[: len(safe) - len(suffix)].encode("utf-8")[:_SHORT_STEM_BYTES].decode("utf-8", "ignore")
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{stem}~{digest}{suffix}"


def name_problem(name: str) -> InvalidInput:
    """The error for an input whose name is too long (exit 4), naming the file by its shortened name."""
    size = len(safe_name(name).encode("utf-8"))
    return InvalidInput(short_name(name), [Problem(
        "", f"der Dateiname ist zu lang ({size} Byte, erlaubt sind höchstens {MAX_NAME_BYTES} Byte in UTF-8). "
            "Bitte die Datei mit einem kürzeren Namen erneut in den Eingangsordner legen.", "datei.name_zu_lang")])


def claim(path: Path, folders: Folders, job_id: str) -> Path | None:
    """Move ``path`` into its job folder; ``None`` when somebody else took it first.

    Any other failure removes the job folder again (no empty job folders pile up)
    and is raised as :class:`FileAccessError` naming the file.
    """
    name = short_name(path.name)
    with open_folder(folders.work, what="Arbeitsordner") as fd:
        try:
            os.mkdir(job_id, dir_fd=fd)
        except OSError as exc:
            raise FileAccessError(f"{folders.work}: Arbeitsordner nicht beschreibbar ({oserror_text(exc)}).") from exc
        try:
            os.rename(path, f"{job_id}/{name}", dst_dir_fd=fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.rmdir(job_id, dir_fd=fd)
            if isinstance(exc, FileNotFoundError):
                return None
            raise FileAccessError(f"{safe_name(path.name)}: konnte nicht übernommen werden ({oserror_text(exc)}); "
                                  "die Datei bleibt im Eingangsordner.") from exc
    return folders.work / job_id / name


REPORT_SUFFIXES = (".fehler.txt", ".fehler.json")


def unclaim(work_file: Path, original: Path) -> None:
    """Put a taken file back where it was (the job could not be registered)."""
    os.rename(work_file, original)
    _remove_job_dir(work_file.parent)


def _exists(fd: int, name: str) -> bool:
    try:
        os.stat(name, dir_fd=fd, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def _unique(fd: int, folder: Path, name: str, with_reports: bool = False) -> str:
    """A name free in ``folder`` (with its reports): ``name``, else with a time stamp, else numbered."""
    name = short_name(name)
    stem, ext = Path(name).stem, Path(name).suffix
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    for option in [stem, f"{stem}-{stamp}"] + [f"{stem}-{stamp}-{n}" for n in range(2, 1000)]:
        taken = [f"{option}{ext}"] + ([option + s for s in REPORT_SUFFIXES] if with_reports else [])
        if not any(_exists(fd, t) for t in taken):
            return option + ext
    raise FileAccessError(f"{folder}: kein freier Dateiname für {name}.")


def _move_no_overwrite(source: Path, folder: Path, name: str) -> Path:
    with open_folder(folder, what="Ordner") as fd:
        while True:
            target = _unique(fd, folder, name)
            try:
                os.link(source, target, dst_dir_fd=fd)  # fails instead of overwriting, even in a race
            except FileExistsError:
                continue
            except OSError as exc:
                raise FileAccessError(f"{folder / target}: konnte nicht abgelegt werden "
                                      f"({oserror_text(exc)}).") from exc
            source.unlink()
            return folder / target


def finish_success(work_file: Path, folders: Folders) -> Path:
    archived = _move_no_overwrite(work_file, folders.processed, work_file.name)
    _remove_job_dir(work_file.parent)
    return archived


def error_report(name: str, error: DocgenError, job_id: str) -> tuple[str, dict[str, object]]:
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


def _fail_into(source: Path, folders: Folders, error: DocgenError, job_id: str, shown: str) -> Path:
    """Reports first, then the input: a crash in between leaves the input where it was, never reportless."""
    failed = folders.failed
    with open_folder(failed, what="Ordner") as fd:
        name = _unique(fd, failed, source.name, with_reports=True)
        stem = Path(name).stem
        text, data = error_report(shown, error, job_id)
        report = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        write_into(fd, failed, f"{stem}.fehler.json", [report.encode("utf-8")], what="Ordner")
        write_into(fd, failed, f"{stem}.fehler.txt", [text.encode("utf-8")], what="Ordner")
    return _move_no_overwrite(source, failed, name)


def finish_failure(work_file: Path, folders: Folders, error: DocgenError, job_id: str) -> Path:
    """Move the input to ``failed/`` with ``<name>.fehler.txt`` (German) and ``<name>.fehler.json``."""
    target = _fail_into(work_file, folders, error, job_id, work_file.name)
    _remove_job_dir(work_file.parent)
    return target


def refuse_from_inbox(path: Path, folders: Folders, error: DocgenError, job_id: str) -> Path:
    """Move a file that cannot even be taken (its name is too long) from the inbox straight to ``failed/``,
    under its shortened name, with its reports (which give the full name)."""
    return _fail_into(path, folders, error, job_id, safe_name(path.name))


def _remove_job_dir(job_dir: Path) -> None:
    with contextlib.suppress(OSError):
        job_dir.rmdir()


def left_in_work(folders: Folders, lock: InboxLock) -> list[tuple[str, Path]]:
    """Jobs a crashed run left in the work area: (job id, input file). Only for the inbox's lock holder."""
    if not lock.held or lock.inbox != folders.inbox:
        raise RuntimeError("jobs in the work area may only be recovered while holding the inbox lock")
    found = []
    try:
        job_dirs = sorted(p for p in folders.work.iterdir() if p.is_dir() and not p.is_symlink())
    except OSError:
        return []
    for job_dir in job_dirs:
        try:
            files = sorted(f for f in job_dir.iterdir() if stat.S_ISREG(f.lstat().st_mode))
        except OSError:
            continue
        if files:
            found.append((job_dir.name, files[0]))
        else:
            _remove_job_dir(job_dir)
    return found
