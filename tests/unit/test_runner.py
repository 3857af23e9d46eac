"""The one runner for external programs: argv only, timeout kills the whole group, stderr logged."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from docgen.runner import ProgramTimeout, kill_group, run


def test_output_and_exit_code_come_back() -> None:
    result = run(["sh", "-c", "echo aus; echo fehler >&2; exit 3"], timeout=10)
    assert (result.returncode, result.stdout, result.stderr) == (3, "aus\n", "fehler\n")


def test_argv_is_never_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    result = run(["echo", f"; touch {marker}"], timeout=10)
    assert result.stdout == f"; touch {marker}\n"
    assert not marker.exists()


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "kind.pid"
    start = time.monotonic()
    with pytest.raises(ProgramTimeout, match=r"^sh nach 0.5 s abgebrochen$"):
        run(["sh", "-c", f"sleep 60 & echo $! > {pid_file}; wait"], timeout=0.5)
    assert time.monotonic() - start < 10
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the grandchild outlived the timeout"


def test_children_left_in_the_group_are_killed_after_a_normal_exit(tmp_path: Path) -> None:
    pid_file = tmp_path / "kind.pid"
    run(["sh", "-c", f"sleep 60 >/dev/null 2>&1 & echo $! > {pid_file}"], timeout=10)
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def test_a_missing_program_is_file_not_found() -> None:
    with pytest.raises(FileNotFoundError):
        run(["docgen-gibt-es-nicht"], timeout=5)


def test_stderr_is_logged_under_the_program_name(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="docgen.runner"):
        run(["sh", "-c", "echo Warnung >&2"], timeout=10)
    assert ("docgen.runner", logging.DEBUG, "sh: Warnung") in caplog.record_tuples


def test_kill_group_of_a_finished_group_is_harmless() -> None:
    result = run(["true"], timeout=5)
    assert result.returncode == 0
    kill_group(2**22 - 7)  # no such group: nothing happens


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z" and os.path.exists(f"/proc/{pid}")
