"""LibreOffice helpers for the benchmark: memory readings and a bare uno_worker client.

Processes are found through /proc by a path in their command line (the
benchmark's own profile directories), so only our LibreOffice processes are
measured, never someone else's.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

from docgen.stages.convert.pool import SYSTEM_PYTHON, WORKER_SCRIPT, filter_data

MIB = 1024 * 1024


def soffice_bin_pids(marker: str) -> list[int]:
    """Pids of live ``soffice.bin`` processes whose command line contains ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "soffice.bin":
                continue
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue  # ended while we looked
        if marker in cmdline:
            pids.append(int(entry.name))
    return pids


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent on anything but idling and waiting for I/O, since boot (/proc/stat)."""
    fields = Path("/proc/stat").read_text(encoding="ascii").splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(v) for v in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak resident set) of ``pid`` in KiB; empty if it is gone."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except OSError:
        return {}
    return values


class PeakSampler:
    """Records the peak VmHWM of every matching soffice.bin while it runs.

    Short-lived processes (the naive baseline) end before anyone could read
    their status at the end, so a background thread samples every
    ``interval`` seconds; VmHWM only grows, so the last sample is near the peak.
    """

    def __init__(self, marker: str, interval: float = 0.2) -> None:
        self.marker = marker
        self.interval = interval
        self.peaks_kib: dict[int, int] = {}
        self.cpu_seconds = 0.0  # the whole machine's busy CPU time while it ran (idle machine: the stage's)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        for pid in soffice_bin_pids(self.marker):
            hwm = memory_kib(pid).get("VmHWM", 0)
            self.peaks_kib[pid] = max(hwm, self.peaks_kib.get(pid, 0))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> PeakSampler:
        self._busy_at_start = machine_busy_seconds()
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._sample()  # warm processes are still alive: one exact final reading
        self.cpu_seconds = machine_busy_seconds() - self._busy_at_start
        self._stop.set()
        self._thread.join()

    def max_mib(self) -> float:
        return max(self.peaks_kib.values(), default=0) / 1024


class RawWorker:
    """The pool's uno_worker driven directly: no queue, no timeout, no verification."""

    def __init__(self, profile: Path, soffice: str = "soffice") -> None:
        argv = [SYSTEM_PYTHON, str(WORKER_SCRIPT), "--soffice", soffice,
                "--profile", str(profile), "--start-timeout", "60",
                "--filter-data", json.dumps(filter_data())]
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            text=True, start_new_session=True,
        )
        ready = self._read()
        if not ready.get("ready"):
            raise RuntimeError(f"uno_worker did not start: {ready}")
        self._ids = 0

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("uno_worker ended unexpectedly")
        result: dict[str, Any] = json.loads(line)
        return result

    def convert(self, docx: Path, pdf: Path) -> float:
        """Load and export one document; return the seconds it took."""
        assert self.proc.stdin is not None
        self._ids += 1
        began = time.perf_counter()
        self.proc.stdin.write(json.dumps({"id": self._ids, "docx": str(docx),
                                          "pdf": str(pdf)}) + "\n")
        self.proc.stdin.flush()
        reply = self._read()
        if not reply.get("ok"):
            raise RuntimeError(f"{docx.name}: {reply.get('error')}")
        return time.perf_counter() - began

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()  # the worker quits LibreOffice on end of input
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # whatever is left of the group
        self.proc.wait()
