"""The one way docgen runs external programs.

argv lists (never a shell), a mandatory timeout, the whole process group killed
on timeout (LibreOffice's ``soffice`` wrapper leaves ``soffice.bin`` behind
otherwise), and the child's stderr logged under the program's name.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("docgen.runner")


class ProgramTimeout(Exception):
    """The program did not finish in time and its process group was killed."""


@dataclass(frozen=True)
class Completed:
    returncode: int
    stdout: str
    stderr: str


def kill_group(pgid: int) -> None:
    """Kill a whole process group; a group that is already gone is fine."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Completed:
    """Run ``argv`` in its own process group and wait at most ``timeout`` seconds.

    Raises :class:`FileNotFoundError` when the program does not exist and
    :class:`ProgramTimeout` when it ran too long (after killing its group).
    """
    name = Path(argv[0]).name
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        start_new_session=True,
        text=True,
        errors="replace",
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(proc.pid)
        proc.communicate()
        raise ProgramTimeout(f"{name} nach {timeout:g} s abgebrochen") from None
    except BaseException:
        kill_group(proc.pid)
        proc.wait()
        raise
    # The program may have left children in its group (soffice.bin after the wrapper).
    kill_group(proc.pid)
    for line in stderr.splitlines():
        if line.strip():
            log.debug("%s: %s", name, line)
    return Completed(proc.returncode, stdout, stderr)
