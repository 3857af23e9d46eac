"""Faults of the one-shot converter, injected with a fake soffice: exact exit codes and messages."""

from __future__ import annotations

import os
import stat
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import EXAMPLES, CliResult

Run = Callable[..., CliResult]
# These faults are injected into the one-shot converter (a fake soffice); the warm pool's are in test_pool.py.
ONE_SHOT = {"DOCGEN_CONVERTER": "einzeln"}


def fake_soffice(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "fake-soffice"
    script.write_text("#!/bin/sh\n" + body + "\n", encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def our_processes(marker: str) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if marker in line and "ps -eo" not in line]


def test_hanging_converter_is_killed_with_exit_6(docgen: Run, tmp_path: Path) -> None:
    # Unique sleep durations identify the fake's processes in `ps`.
    seconds = 3000 + (os.getpid() * 7 + time.monotonic_ns()) % 5000
    marker = f"sleep {seconds}"
    # The wrapper starts a child (like soffice starts soffice.bin); both must die.
    script = fake_soffice(tmp_path, f"sleep {seconds} & sleep {seconds}\nwait")
    start = time.monotonic()
    result = docgen("render", EXAMPLES / "beschlussvorlage.json", "--out", tmp_path / "out",
                    env={"DOCGEN_SOFFICE": str(script), "DOCGEN_CONVERT_TIMEOUT": "2", **ONE_SHOT})
    assert result.returncode == 6
    assert ("beschlussvorlage.docx: LibreOffice hat die Umwandlung nicht in 2 s abgeschlossen und wurde "
            "beendet.") in result.stderr
    assert time.monotonic() - start < 60
    assert not our_processes(marker)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_converter_that_writes_nothing_is_exit_6(docgen: Run, tmp_path: Path) -> None:
    script = fake_soffice(tmp_path, "exit 0")
    result = docgen("render", EXAMPLES / "beschlussvorlage.json", "--out", tmp_path / "out",
                    env={"DOCGEN_SOFFICE": str(script), **ONE_SHOT})
    assert result.returncode == 6
    assert "beschlussvorlage.docx: LibreOffice hat kein PDF erzeugt." in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_converter_that_writes_garbage_is_exit_6(docgen: Run, tmp_path: Path) -> None:
    script = fake_soffice(
        tmp_path,
        'for last; do :; done\nout=""\nprev=""\nfor a; do [ "$prev" = "--outdir" ] && out="$a"; prev="$a"; done\n'
        'name=$(basename "$last" .docx)\nprintf "kein pdf" > "$out/$name.pdf"',
    )
    result = docgen("render", EXAMPLES / "beschlussvorlage.json", "--out", tmp_path / "out",
                    env={"DOCGEN_SOFFICE": str(script), **ONE_SHOT})
    assert result.returncode == 6
    assert "beschlussvorlage.docx: das von LibreOffice erzeugte PDF ist beschädigt" in result.stderr


def test_missing_libreoffice_is_exit_3(docgen: Run, tmp_path: Path) -> None:
    result = docgen("render", EXAMPLES / "beschlussvorlage.json", "--out", tmp_path / "out",
                    env={"DOCGEN_SOFFICE": "soffice-gibt-es-nicht", **ONE_SHOT})
    assert result.returncode == 3
    assert "LibreOffice (soffice-gibt-es-nicht) wurde nicht gefunden." in result.stderr
    assert "apt-get install libreoffice-writer-nogui" in result.stderr


def test_check_reports_missing_libreoffice(docgen: Run) -> None:
    result = docgen("check", env={"DOCGEN_SOFFICE": "soffice-gibt-es-nicht"})
    assert result.returncode == 3
    assert "[FEHLT  ] LibreOffice: „soffice-gibt-es-nicht“ nicht gefunden" in result.stdout
    assert "apt-get install --no-install-recommends libreoffice-writer-nogui" in result.stdout


def test_check_all_ok_on_this_machine(docgen: Run) -> None:
    result = docgen("check")
    assert result.returncode == 0, result.stdout
    assert "[OK     ] LibreOffice: LibreOffice 7." in result.stdout
    assert "[OK     ] Schrift Liberation Sans: installiert" in result.stdout


def test_missing_libreoffice_with_the_pool_is_exit_3(docgen: Run, tmp_path: Path) -> None:
    result = docgen("render", EXAMPLES / "beschlussvorlage.json", "--out", tmp_path / "out",
                    env={"DOCGEN_SOFFICE": "soffice-gibt-es-nicht"})
    assert result.returncode == 3, result.stderr
    assert "soffice-gibt-es-nicht" in result.stderr
