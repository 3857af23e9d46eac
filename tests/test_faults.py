"""Faults from outside: a full disk, a read-only folder, a locked ledger. Each is survived."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliResult
from tests.test_intake import DaemonProcess, drop, example_data, jsons, wait_until

pytestmark = pytest.mark.slow
Run = Callable[..., CliResult]
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root (CI runs as root)")


@pytest.fixture
def small_mount(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    mounted: list[Path] = []

    def mount(options: str) -> Path:
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True)
        mounted.append(point)
        return point

    yield mount
    for point in mounted:
        subprocess.run(["umount", "-l", str(point)], check=False)


def _input(tmp_path: Path) -> Path:
    data = example_data()
    path = tmp_path / "vorlage.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@needs_root
def test_disk_full_while_publishing(docgen: Run, tmp_path: Path, small_mount: Callable[[str], Path]) -> None:
    outbox = small_mount("size=160k")
    source = _input(tmp_path)
    before = source.read_bytes()
    result = docgen("render", source, "--out", outbox)
    assert result.returncode == 7, result.stderr
    assert "konnte nicht geschrieben werden (Datenträger voll)" in result.stderr
    assert list(outbox.iterdir()) == []  # nothing half-written, no stray temporary files
    assert source.read_bytes() == before  # the input is untouched


@needs_root
def test_read_only_outbox(docgen: Run, tmp_path: Path, small_mount: Callable[[str], Path]) -> None:
    outbox = small_mount("size=1m,ro")
    result = docgen("render", _input(tmp_path), "--out", outbox)
    assert result.returncode == 7, result.stderr
    assert "Ausgabeordner nicht beschreibbar (Dateisystem nur lesbar)" in result.stderr


@needs_root
def test_daemon_survives_full_outbox(tmp_path: Path, small_mount: Callable[[str], Path]) -> None:
    folders = {"inbox": tmp_path / "eingang", "outbox": small_mount("size=700k"), "state": tmp_path / "zustand"}
    folders["inbox"].mkdir()
    folders["state"].mkdir()
    (folders["outbox"] / "platzhalter").write_bytes(b"\0" * 630_000)  # leaves too little for a bundle
    drop(folders["inbox"], "erste.json", example_data())
    daemon = DaemonProcess(folders)
    try:
        wait_until(lambda: jsons(folders["inbox"] / "failed") == ["erste.json"], 180, "first job failed")
        report = json.loads((folders["inbox"] / "failed" / "erste.fehler.json").read_text(encoding="utf-8"))
        assert report["exit_code"] == 7
        (folders["outbox"] / "platzhalter").unlink()  # space again: the daemon goes on
        drop(folders["inbox"], "zweite.json", example_data())
        wait_until(lambda: jsons(folders["inbox"] / "processed") == ["zweite.json"], 180, "second job done")
        assert sorted(p.name for p in folders["outbox"].iterdir()) == ["zweite", "zweite.pdf",
                                                                       "zweite.receipt.json"]
        assert daemon.stop() == 0
    finally:
        if daemon.proc.poll() is None:
            daemon.kill_hard()


def _hold_lock(ledger: Path, seconds: float) -> subprocess.Popen[bytes]:
    code = ("import sqlite3, sys, time\n"
            "db = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "db.execute('BEGIN EXCLUSIVE')\n"
            "print('gesperrt', flush=True)\n"
            "time.sleep(float(sys.argv[2]))\n")
    proc = subprocess.Popen(["python3", "-c", code, str(ledger), str(seconds)], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().strip() == b"gesperrt"
    return proc


def test_daemon_survives_locked_ledger(tmp_path: Path) -> None:
    folders = {"inbox": tmp_path / "eingang", "outbox": tmp_path / "ausgang", "state": tmp_path / "zustand"}
    for folder in folders.values():
        folder.mkdir()
    ledger = folders["state"] / "ledger.sqlite"
    sqlite3.connect(ledger).execute("CREATE TABLE IF NOT EXISTS probe (x)").connection.commit()
    daemon = DaemonProcess(folders, DOCGEN_LEDGER_TIMEOUT="1")
    try:
        wait_until(lambda: "docgen watch:" in daemon.output(), 60, "daemon started")
        locker = _hold_lock(ledger, 8)
        drop(folders["inbox"], "gesperrt.json", example_data())
        wait_until(lambda: "bleibt im Eingang, neuer Versuch später" in daemon.output(), 60, "file handed back")
        assert jsons(folders["inbox"] / "processed") == [] and jsons(folders["inbox"] / "failed") == []
        locker.wait(timeout=30)
        wait_until(lambda: jsons(folders["inbox"] / "processed") == ["gesperrt.json"], 180, "processed later")
        assert (folders["outbox"] / "gesperrt.pdf").is_file()
        assert daemon.stop() == 0
    finally:
        if daemon.proc.poll() is None:
            daemon.kill_hard()


def test_cli_input_too_large_and_too_deep(docgen: Run, tmp_path: Path) -> None:
    big = tmp_path / "gross.json"
    data: dict[str, Any] = example_data()
    data["sachlage"] = "x" * 6_000_000
    big.write_text(json.dumps(data), encoding="utf-8")
    result = docgen("validate", big)
    assert result.returncode == 4
    assert "gross.json: die Datei ist 6.0 MB groß; erlaubt sind höchstens 5.0 MB" in result.stderr
    deep = tmp_path / "tief.json"
    deep.write_text("[" * 10_000 + "]" * 10_000, encoding="utf-8")
    result = docgen("validate", deep)
    assert result.returncode == 4
    assert "tief.json: die Datei ist zu tief verschachtelt." in result.stderr
