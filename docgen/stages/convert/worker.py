"""One warm LibreOffice worker process: ``uno_worker.py`` and its ``soffice``, as one process group.

The pool (:mod:`.pool`) decides which worker does what; this module only starts a
worker, exchanges JSON lines with it under a timeout, and kills its whole group.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import queue
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from docgen.runner import kill_group

log = logging.getLogger("docgen.convert.pool")


def group_exists(pgid: int) -> bool:
    """Whether any process of the group still runs; zombies waiting for their reaper do not count.

    A killed ``soffice.bin`` is re-parented to the machine's init, which may take a second to reap
    it; ``killpg(pgid, 0)`` would count that zombie as alive and make every shutdown wait for it.
    """
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):  # gone, or the id is someone else's now
        return False
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def worker_env() -> dict[str, str]:
    """Our environment minus what would point the system Python at the venv's packages."""
    env = dict(os.environ)
    for name in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE"):
        env.pop(name, None)
    return env


class WorkerFault(Exception):
    """A worker did not deliver. ``kind``: timeout, died, error, invalid, protocol or start."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail


class WorkerProcess:
    """One running ``uno_worker`` and its LibreOffice, in a process group of their own.

    Two daemon threads drain the worker's stdout (replies, into a queue, so a
    read can time out) and stderr (LibreOffice's chatter, logged at debug level).
    """

    def __init__(self, argv: list[str], *, name: str) -> None:
        self.name = name
        self.pipe_name: str | None = None  # LibreOffice's named pipe, from the ready message
        # start_new_session: worker, soffice and soffice.bin form one group we can kill at once.
        self._proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=worker_env(), start_new_session=True, text=True, encoding="utf-8",
            errors="replace",
        )
        self.pid = self._proc.pid
        self._lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._ids = itertools.count(1)
        for stream, handle in ((self._proc.stdout, self._lines.put), (self._proc.stderr, self._log)):
            threading.Thread(target=self._pump, args=(stream, handle), daemon=True,
                             name=f"{name}-pump").start()

    def _pump(self, stream: IO[str], handle: Callable[[str | None], None]) -> None:
        with contextlib.suppress(OSError, ValueError):
            for line in stream:
                handle(line)
        handle(None)  # end of output: the worker is gone
        stream.close()

    def _log(self, line: str | None) -> None:
        if line and line.strip():
            log.debug("%s pid %d: %s", self.name, self.pid, line.rstrip())

    @property
    def returncode(self) -> int | None:
        return self._proc.poll()

    def alive(self) -> bool:
        return self._proc.poll() is None

    def read_message(self, timeout: float) -> dict[str, Any]:
        """The next JSON line from the worker; WorkerFault on timeout, end of output or garbage."""
        try:
            line = self._lines.get(timeout=max(0.0, timeout))
        except queue.Empty:
            raise WorkerFault("timeout", f"keine Antwort nach {timeout:g} s") from None
        if line is None:
            self.wait(1.0)
            raise WorkerFault(
                "died", f"LibreOffice-Prozess unerwartet beendet (Exit-Code {self.returncode})"
            )
        try:
            message = json.loads(line)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            raise WorkerFault("protocol", f"unverständliche Antwort {line[:80]!r}")
        return message

    def request(self, message: dict[str, str], timeout: float) -> dict[str, Any]:
        """Send one job and wait at most ``timeout`` seconds for its reply."""
        request_id = next(self._ids)
        stdin = self._proc.stdin
        assert stdin is not None
        try:
            stdin.write(json.dumps({"id": request_id, **message}) + "\n")
            stdin.flush()
        except (OSError, ValueError) as exc:  # broken pipe, or closed by close()
            raise WorkerFault("died", "Worker nimmt keine Aufträge mehr an") from exc
        reply = self.read_message(timeout)
        if reply.get("id") != request_id:
            raise WorkerFault("protocol", f"Antwort auf {reply.get('id')} statt {request_id}")
        return reply

    def close_input(self) -> None:
        """End of input: an idle worker quits LibreOffice cleanly and exits."""
        with contextlib.suppress(OSError, ValueError):
            if self._proc.stdin is not None:
                self._proc.stdin.close()

    def wait(self, timeout: float) -> bool:
        try:
            self._proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def kill(self) -> None:
        """Kill the whole process group and wait until it is gone; idempotent."""
        kill_group(self.pid)
        self._proc.wait()
        deadline = time.monotonic() + 5.0
        while group_exists(self.pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        self.close_input()
        if self.pipe_name:  # a killed LibreOffice leaves its socket file behind
            for folder in ("/tmp", "/var/tmp"):
                Path(folder, f"OSL_PIPE_{os.getuid()}_{self.pipe_name}").unlink(missing_ok=True)
