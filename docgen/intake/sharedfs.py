"""Shared storage past one machine: what must stay local, and ``link`` that NFS may misreport.

The state directory (work directories, LibreOffice profiles, the SQLite ledger) is
per host and must be on a local file system: SQLite's WAL and ``flock`` are not
reliable over NFS or SMB. :func:`refuse_network_state_dir` reads the file system
type of the folder from ``/proc/self/mountinfo`` (the mount with the longest
matching mount point) and refuses NFS and SMB/CIFS with exit 9.

On NFS, ``link`` may report failure although the link was made (a retransmitted
request, link(2) "BUGS"): :func:`link_checked` then compares the inodes of source
and target, equal meaning our link did succeed.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

from docgen.errors import ConfigError

NETWORK_FS = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "9p", "fuse.sshfs")
MOUNTINFO = Path("/proc/self/mountinfo")


def _unescape(field: str) -> str:
    # mountinfo escapes space, tab, newline and backslash as octal (\040 …)
    return field.encode().decode("unicode_escape")


def filesystem_type(path: Path, mountinfo: Path = MOUNTINFO) -> str | None:
    """The type of the file system ``path`` lives on, or ``None`` when the mount table is unreadable."""
    target = path.resolve()
    while not target.exists() and target != target.parent:
        target = target.parent
    best: tuple[int, str] | None = None
    try:
        lines = mountinfo.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in lines:
        left, sep, right = line.partition(" - ")
        fields = left.split()
        if not sep or len(fields) < 5:
            continue
        point = Path(_unescape(fields[4]))
        if target == point or target.is_relative_to(point):
            depth = len(point.parts)
            if best is None or depth >= best[0]:
                best = (depth, right.split()[0] if right.split() else "")
    return best[1] if best else None


def refuse_network_state_dir(state_dir: Path, mountinfo: Path = MOUNTINFO) -> None:
    """Exit 9 when the state directory is on a network file system (NFS, SMB/CIFS, …)."""
    kind = filesystem_type(state_dir, mountinfo)
    if kind is not None and (kind in NETWORK_FS or kind.startswith(("nfs", "smb", "cifs"))):
        raise ConfigError(
            f"state_dir {state_dir} liegt auf einem Netzlaufwerk ({kind}). Der Zustandsordner (Arbeitsordner, "
            "LibreOffice-Profile, Auftragsbuch) muss auf jedem Rechner lokal sein; nur Eingang und Ausgang "
            "liegen gemeinsam. Bitte state_dir auf eine lokale Platte legen (z. B. /var/lib/docgen).")


def link_checked(source: str, target: str, *, dir_fd: int) -> None:
    """``os.link(source, target)`` in the open folder ``dir_fd``; a reported failure after which
    ``target`` is nevertheless our file (same inode, as NFS may report) counts as success.
    Raises ``FileExistsError`` when another file has the name, else the ``OSError``."""
    try:
        os.link(source, target, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
    except OSError as exc:
        try:
            ours = os.stat(source, dir_fd=dir_fd, follow_symlinks=False)
            theirs = os.stat(target, dir_fd=dir_fd, follow_symlinks=False)
        except OSError:
            raise exc from None
        if (ours.st_ino, ours.st_dev) == (theirs.st_ino, theirs.st_dev):
            return
        if exc.errno == errno.EEXIST:
            raise FileExistsError(exc.errno, exc.strerror, target) from None
        raise
