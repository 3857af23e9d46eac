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
