"""Last stage, publish: move finished files into place atomically.

A file is first copied under a hidden temporary name in the target folder (same
file system) and then renamed with ``os.replace``, so a reader of ``outbox/``
never sees half a file.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from docgen.errors import FileAccessError


def publish_file(source: Path, target: Path) -> Path:
    """Copy ``source`` to ``target`` atomically (replacing an older ``target``)."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    except OSError as exc:
        raise FileAccessError(f"{target.parent}: Ausgabeordner nicht beschreibbar ({exc.strerror}).") from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, source.open("rb") as src:
            shutil.copyfileobj(src, out)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise FileAccessError(f"{target}: konnte nicht geschrieben werden ({exc.strerror}).") from exc
    return target


def publish_new_file(source: Path, target: Path) -> Path:
    """Like :func:`publish_file`, but never replaces an existing ``target`` (a sealed bundle)."""
    staged = publish_file(source, target.with_name(f".{target.name}.neu"))
    try:
        os.link(staged, target)  # fails if target exists: no silent overwrite, even in a race
    except FileExistsError:
        raise FileAccessError(f"{target}: existiert bereits und wird nicht überschrieben.") from None
    except OSError as exc:
        raise FileAccessError(f"{target}: konnte nicht geschrieben werden ({exc.strerror}).") from exc
    finally:
        with contextlib.suppress(OSError):
            staged.unlink()
    return target


def reserve_stem(out_dir: Path, name: str, *, replace: bool) -> str:
    """The name for a job's outputs in ``out_dir``: ``name``, else ``name-v2``, ``name-v3`` …

    The job's folder is created as the reservation (mkdir is atomic), so two jobs
    with the same name never share outputs. With ``replace`` (drafts) the name is
    reused and older outputs are replaced.
    """
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        if replace:
            (out_dir / name).mkdir(exist_ok=True)
            return name
        version = 1
        while True:
            stem = name if version == 1 else f"{name}-v{version}"
            if not (out_dir / f"{stem}.pdf").exists():
                try:
                    (out_dir / stem).mkdir()
                    return stem
                except FileExistsError:
                    pass
            version += 1
    except OSError as exc:
        raise FileAccessError(f"{out_dir}: Ausgabeordner nicht beschreibbar ({exc.strerror}).") from exc
