"""Last stage, publish: move finished files into place atomically, never through a symlink.

A file is first written under a hidden temporary name in the target folder (same
file system) and then renamed with ``os.replace``, so a reader of ``outbox/``
never sees half a file. Every folder written into is opened with ``O_NOFOLLOW``
and every name is created relative to that open folder, so a symlink planted in
the outbox (as the outbox itself, as a job's folder or as a bundle's name) never
makes docgen write into the place it points to: the job fails with a German
message instead (exit 7).

A sealed bundle is never replaced: a draft may replace only a draft (its receipt
says ``entwurf`` and the PDF carries no signature); otherwise the job takes the
next free version name (``name-v2``).

A job that runs under an id (hot folder, workers) names itself in its reserved
folder by an empty file ``.docgen-auftrag-<id>`` until its bundle is in place, so
whoever takes the job up after a crash can free the name it had reserved
(:func:`drop_unfinished`) instead of publishing under ``name-v2`` beside an orphan.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from docgen.errors import FileAccessError, oserror_text

RECEIPT_SUFFIX = ".receipt.json"
_SIGNATURE_MARK = b"/ByteRange"  # every PDF signature dictionary has one; a draft bundle has none
_MAX_RECEIPT_BYTES = 4 * 1024 * 1024
PUBLISHING_MARK = ".docgen-auftrag-"  # + job id: one create, so the name is there with the file
_NOFOLLOW_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def symlink_message(path: Path) -> str:
    return (f"{path}: ist ein Verweis (Symlink). docgen schreibt nie durch Verweise in andere Ordner; "
            "bitte den Verweis entfernen (oder durch einen echten Ordner ersetzen) und den Auftrag wiederholen.")


@contextlib.contextmanager
def open_folder(folder: Path, *, create: bool = False, what: str = "Ausgabeordner") -> Iterator[int]:
    """An open descriptor of ``folder`` itself, refusing a symlink (exit 7); created first if asked."""
    if create:
        try:
            if not folder.is_symlink():
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FileAccessError(f"{folder}: {what} nicht beschreibbar ({oserror_text(exc)}).") from exc
    try:
        fd = os.open(folder, _NOFOLLOW_DIR)
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR) and folder.is_symlink():
            raise FileAccessError(symlink_message(folder)) from exc
        raise FileAccessError(f"{folder}: {what} nicht beschreibbar ({oserror_text(exc)}).") from exc
    try:
        yield fd
    finally:
        os.close(fd)


def _lstat(name: str, dir_fd: int) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None


def write_into(fd: int, folder: Path, name: str, chunks: Iterable[bytes], what: str = "Ausgabeordner") -> None:
    """Write ``chunks`` to ``name`` in the open folder ``fd`` atomically (temporary name, fsync, replace)."""
    tmp = f".{name}.{secrets.token_hex(4)}.part"
    try:
        out_fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                         dir_fd=fd)
    except OSError as exc:
        raise FileAccessError(f"{folder}: {what} nicht beschreibbar ({oserror_text(exc)}).") from exc
    try:
        with os.fdopen(out_fd, "wb") as out:
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fchmod(out.fileno(), 0o644)  # readable by the readers of the outbox, whatever the umask
            os.fsync(out.fileno())
        os.replace(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)  # replaces a symlink itself, never its target
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=fd)
        raise FileAccessError(f"{folder / name}: konnte nicht geschrieben werden ({oserror_text(exc)}).") from exc


def _chunks(source: Path) -> Iterator[bytes]:
    with source.open("rb") as src:
        while chunk := src.read(1024 * 1024):
            yield chunk


def publish_file(source: Path, target: Path) -> Path:
    """Copy ``source`` to ``target`` atomically (replacing an older ``target``).

    The folder of ``target`` is created if missing and must not be a symlink.
    """
    with open_folder(target.parent, create=True) as fd:
        write_into(fd, target.parent, target.name, _chunks(source))
    return target


def publish_new_file(source: Path, target: Path) -> Path:
    """Like :func:`publish_file`, but never replaces an existing ``target`` (a sealed bundle)."""
    staged = f".{target.name}.neu"
    with open_folder(target.parent, create=True) as fd:
        write_into(fd, target.parent, staged, _chunks(source))
        try:
            # link() fails if target exists (even as a symlink): no silent overwrite, even in a race
            os.link(staged, target.name, src_dir_fd=fd, dst_dir_fd=fd, follow_symlinks=False)
        except FileExistsError:
            raise FileAccessError(f"{target}: existiert bereits und wird nicht überschrieben.") from None
        except OSError as exc:
            raise FileAccessError(f"{target}: konnte nicht geschrieben werden ({oserror_text(exc)}).") from exc
        finally:
            with contextlib.suppress(OSError):
                os.unlink(staged, dir_fd=fd)
    return target


def _read_small(name: str, fd: int) -> bytes | None:
    """A regular file's bytes (no symlink, FIFO or device; at most a few MB), else ``None``."""
    try:
        file_fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=fd)
    except OSError:
        return None
    with os.fdopen(file_fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > _MAX_RECEIPT_BYTES:
            return None
        return fh.read(_MAX_RECEIPT_BYTES + 1)


def _has_signature(name: str, fd: int) -> bool:
    """Whether the PDF ``name`` contains a signature dictionary (read in chunks, any size)."""
    try:
        file_fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=fd)
    except OSError:
        return True  # cannot look: treat as sealed, so it is never replaced
    with os.fdopen(file_fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            return True
        tail = b""
        while chunk := fh.read(1024 * 1024):
            if _SIGNATURE_MARK in tail + chunk:
                return True
            tail = chunk[-len(_SIGNATURE_MARK):]
    return False


def is_replaceable_draft(fd: int, stem: str) -> bool:
    """Whether ``<stem>.pdf`` in the open outbox ``fd`` is a draft that a new draft may replace.

    Only when its receipt (if there is one) is a JSON object with ``status`` ``entwurf`` and the PDF
    itself carries no signature. Anything else — sealed, unreadable, a stray file — is kept.
    """
    receipt_name = stem + RECEIPT_SUFFIX
    if _lstat(receipt_name, fd) is not None:
        raw = _read_small(receipt_name, fd)
        try:
            receipt = json.loads(raw) if raw is not None else None
        except (ValueError, RecursionError):
            receipt = None
        if not isinstance(receipt, dict) or receipt.get("status") != "entwurf":
            return False
    return not _has_signature(stem + ".pdf", fd)


def _refuse_symlinks(fd: int, out_dir: Path, stem: str) -> None:
    for name in (stem, f"{stem}.pdf", stem + RECEIPT_SUFFIX):
        info = _lstat(name, fd)
        if info is not None and stat.S_ISLNK(info.st_mode):
            raise FileAccessError(symlink_message(out_dir / name))


def _try_stem(fd: int, out_dir: Path, stem: str, replace: bool) -> bool:
    """Reserve ``stem`` (its folder is the reservation); ``False`` when it belongs to another job."""
    _refuse_symlinks(fd, out_dir, stem)
    if replace:
        if _lstat(f"{stem}.pdf", fd) is not None and not is_replaceable_draft(fd, stem):
            return False
        with contextlib.suppress(FileExistsError):
            os.mkdir(stem, dir_fd=fd)
        info = _lstat(stem, fd)
        return info is not None and stat.S_ISDIR(info.st_mode)  # not a file of that name
    if _lstat(f"{stem}.pdf", fd) is not None or _lstat(stem + RECEIPT_SUFFIX, fd) is not None:
        return False
    try:
        os.mkdir(stem, dir_fd=fd)  # atomic: two jobs never get the same stem
    except FileExistsError:
        return False
    return True


def reserve_stem(out_dir: Path, name: str, *, replace: bool) -> str:
    """The name for a job's outputs in ``out_dir``: ``name``, else ``name-v2``, ``name-v3`` …

    The job's folder is created as the reservation (mkdir is atomic), so two jobs
    with the same name never share outputs. With ``replace`` (drafts) a name whose
    bundle is a draft is reused and its outputs replaced; a sealed bundle (or any
    bundle that cannot be shown to be a draft) is never replaced. A symlink as the
    outbox, the job's folder, bundle or receipt is refused (exit 7).
    """
    with open_folder(out_dir, create=True) as fd:
        try:
            for version in range(1, 10_000):
                stem = name if version == 1 else f"{name}-v{version}"
                if _try_stem(fd, out_dir, stem, replace):
                    return stem
        except OSError as exc:
            raise FileAccessError(f"{out_dir}: Ausgabeordner nicht beschreibbar ({oserror_text(exc)}).") from exc
    raise FileAccessError(f"{out_dir}: kein freier Name für „{name}“ (bis -v9999 belegt). Bitte aufräumen.")


def mark_publishing(out_dir: Path, stem: str, job_id: str) -> None:
    """Name ``job_id`` in its reserved folder ``stem`` until :func:`publishing_done`."""
    with open_folder(out_dir / stem) as fd:
        try:
            os.close(os.open(PUBLISHING_MARK + job_id,
                             os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644, dir_fd=fd))
        except OSError as exc:
            raise FileAccessError(f"{out_dir / stem}: Ausgabeordner nicht beschreibbar ({oserror_text(exc)}).") from exc


def publishing_done(out_dir: Path, stem: str, job_id: str) -> None:
    """The bundle is in place: the folder no longer names the job as publishing."""
    with contextlib.suppress(OSError, FileAccessError), open_folder(out_dir / stem) as fd:  # no folder: no mark
        os.unlink(PUBLISHING_MARK + job_id, dir_fd=fd)


def _is_free_reservation(fd: int, stem: str) -> bool:
    """An empty folder ``stem`` without bundle or receipt: a reservation nobody wrote into."""
    info = _lstat(stem, fd)
    if info is None or not stat.S_ISDIR(info.st_mode):
        return False
    return _lstat(f"{stem}.pdf", fd) is None and _lstat(stem + RECEIPT_SUFFIX, fd) is None


def _is_version_of(stem: str, base: str) -> bool:
    """``base`` itself or one of its version names ``base-v2``, ``base-v3`` …"""
    return stem == base or (stem.startswith(f"{base}-v") and stem[len(base) + 2:].isdigit())


def drop_unfinished(outbox: Path, job_id: str, bases: tuple[str, ...] = ()) -> list[str]:
    """Free the names an interrupted publish of ``job_id`` reserved in ``outbox``; the names freed.

    A folder naming the job (:data:`PUBLISHING_MARK`) goes with its receipt; a bundle never
    (a sealed one is published last, by ``link``). For each of ``bases`` (the names the job may
    publish under) an *empty* folder ``base`` or ``base-vN`` without bundle or receipt goes too: a
    job killed between reserving its folder and naming itself in it. ``rmdir`` removes only an
    empty folder, so another job's reservation that already names its job is never touched.
    """
    freed: list[str] = []
    with contextlib.suppress(FileAccessError), open_folder(outbox) as fd:
        for entry in os.scandir(fd):
            stem = entry.name
            if entry.is_symlink() or not entry.is_dir(follow_symlinks=False):
                continue
            if _lstat(f"{stem}/{PUBLISHING_MARK}{job_id}", fd) is not None:
                rollback(outbox, stem, draft=False)
                freed.append(stem)
            elif any(_is_version_of(stem, base) for base in bases) and _is_free_reservation(fd, stem):
                with contextlib.suppress(OSError):
                    os.rmdir(stem, dir_fd=fd)
                    freed.append(stem)
    return sorted(freed)


def rollback(out_dir: Path, stem: str, *, draft: bool) -> None:
    """Remove what a failed publish of ``stem`` left: its folder, its receipt and (drafts) its bundle.

    A sealed bundle is never removed here: it is published last, by ``link``, so a
    failure never leaves one. Symlinks are removed as links, never followed.
    """
    with contextlib.suppress(FileAccessError), open_folder(out_dir) as fd:
        info = _lstat(stem, fd)
        if info is not None and stat.S_ISDIR(info.st_mode):
            shutil.rmtree(stem, dir_fd=fd, ignore_errors=True)
        names = [stem + RECEIPT_SUFFIX] + ([f"{stem}.pdf"] if draft else [])
        for name in names:
            with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
                os.unlink(name, dir_fd=fd)
