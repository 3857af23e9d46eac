"""The hot-folder daemon and the deadline batch: real daemon process, real files, real LibreOffice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from docgen.intake.procpool import job_process_count
from tests.conftest import EXAMPLES, CliResult

pytestmark = pytest.mark.slow
Run = Callable[..., CliResult]


@pytest.fixture
def hotfolder(tmp_path: Path) -> dict[str, Path]:
    folders = {"inbox": tmp_path / "eingang", "outbox": tmp_path / "ausgang", "state": tmp_path / "zustand"}
    for folder in folders.values():
        folder.mkdir()
    return folders


def env_for(folders: dict[str, Path], **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCGEN_")}
    env.update(DOCGEN_INBOX=str(folders["inbox"]), DOCGEN_OUTBOX=str(folders["outbox"]),
               DOCGEN_STATE_DIR=str(folders["state"]), DOCGEN_STABLE_SECONDS="1", DOCGEN_WORKERS="2",
               DOCGEN_RESCAN_SECONDS="5", DOCGEN_KOERPERSCHAFT_NAME="Kreis Musterland")
    env.update(extra)
    return env


class DaemonProcess:
    OPTIONS: tuple[str, ...] = ()  # docgen's own options, before "watch"

    def __init__(self, folders: dict[str, Path], *args: str, **env: str) -> None:
        self.log = folders["state"].parent / f"watch-{time.monotonic_ns()}.log"
        argv = [sys.executable, "-m", "docgen", *self.OPTIONS, "watch", *args]
        self.proc = subprocess.Popen(argv, env=env_for(folders, **env), stdout=self.log.open("w"),
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self, timeout: float = 60) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def kill_hard(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)  # the daemon and its LibreOffice workers, like a crash
        self.proc.wait(timeout=30)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8")


@pytest.fixture
def daemons() -> Iterator[list[DaemonProcess]]:
    started: list[DaemonProcess] = []
    yield started
    for daemon in started:
        if daemon.proc.poll() is None:
            daemon.kill_hard()


def example_data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / "beschlussvorlage.json").read_text(encoding="utf-8"))
    del data["anlagen"]
    return data


def drop(inbox: Path, name: str, data: Any) -> None:
    """Write like a careful client: a temporary name first, then rename."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    tmp = inbox / f".{name}.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.rename(inbox / name)


def wait_until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for: {what}")


def jsons(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob("*.json") if not p.name.endswith((".receipt.json", ".fehler.json")))


def bundles(outbox: Path) -> list[str]:
    return sorted(p.name for p in outbox.glob("*.pdf"))


def test_thirty_files_at_once(hotfolder: dict[str, Path], daemons: list[DaemonProcess]) -> None:
    inbox, outbox = hotfolder["inbox"], hotfolder["outbox"]
    valid, invalid = [], []
    for i in range(30):
        data = example_data()
        data["vorlage"]["nummer"] = f"2025/{1000 + i}"
        if i % 4 == 0:
            data["beratungsfolge"][0]["datum"] = "2025-13-01"  # a quarter of them invalid
            invalid.append(f"vorlage-{i:02d}.json")
        else:
            valid.append(f"vorlage-{i:02d}.json")
        drop(inbox, f"vorlage-{i:02d}.json", data)
    daemon = DaemonProcess(hotfolder)
    daemons.append(daemon)
    wait_until(lambda: len(jsons(inbox / "processed")) + len(jsons(inbox / "failed")) == 30, 600,
               "all 30 files processed")
    assert daemon.stop() == 0
    assert jsons(inbox / "processed") == valid
    assert jsons(inbox / "failed") == invalid
    assert bundles(outbox) == sorted(n.replace(".json", ".pdf") for n in valid)  # exactly one bundle each
    for name in invalid:
        stem = name.removesuffix(".json")
        report = (inbox / "failed" / f"{stem}.fehler.txt").read_text(encoding="utf-8")
        assert f'{name}: /beratungsfolge/0/datum: "2025-13-01" ist kein gültiges Datum' in report
        machine = json.loads((inbox / "failed" / f"{stem}.fehler.json").read_text(encoding="utf-8"))
        assert machine["exit_code"] == 4 and machine["fehler"][0]["pfad"] == "/beratungsfolge/0/datum"
    assert jsons(inbox) == [] and not list((inbox / ".in-arbeit").iterdir())
    assert "docgen watch beendet" in daemon.output()
    status = subprocess.run([sys.executable, "-m", "docgen", "status"], env=env_for(hotfolder),
                            capture_output=True, text=True, check=True).stdout
    assert "Auftragsbuch: fehlgeschlagen 8, fertig 22" in status


def test_slowly_written_file_is_taken_only_when_complete(hotfolder: dict[str, Path],
                                                        daemons: list[DaemonProcess]) -> None:
    inbox = hotfolder["inbox"]
    daemon = DaemonProcess(hotfolder, "--poll", "0.5", DOCGEN_STABLE_SECONDS="2.5")
    daemons.append(daemon)
    wait_until(lambda: "docgen watch:" in daemon.output(), 60, "daemon started")
    text = json.dumps(example_data(), ensure_ascii=False).encode("utf-8")
    chunks = [text[i:i + len(text) // 5 + 1] for i in range(0, len(text), len(text) // 5 + 1)]
    with (inbox / "langsam.json").open("wb") as fh:  # written in place, as an SMB client does
        for chunk in chunks:
            fh.write(chunk)
            fh.flush()
            time.sleep(1.2)
    wait_until(lambda: jsons(inbox / "processed") + jsons(inbox / "failed") != [], 120, "file processed")
    assert jsons(inbox / "processed") == ["langsam.json"], daemon.output()
    assert jsons(inbox / "failed") == []
    assert daemon.stop() == 0


def test_kill_9_and_restart_accounts_for_every_file_once(hotfolder: dict[str, Path],
                                                         daemons: list[DaemonProcess]) -> None:
    inbox, outbox = hotfolder["inbox"], hotfolder["outbox"]
    names = [f"akte-{i}.json" for i in range(8)]
    for i, name in enumerate(names):
        data = example_data()
        data["vorlage"]["nummer"] = f"2025/{2000 + i}"
        drop(inbox, name, data)
    first = DaemonProcess(hotfolder, DOCGEN_WORKERS="1")
    daemons.append(first)
    wait_until(lambda: len(bundles(outbox)) >= 2, 300, "first bundles")
    first.kill_hard()
    done_before = len(jsons(inbox / "processed"))
    assert done_before < len(names), "the crash came too late to test anything"
    second = DaemonProcess(hotfolder)
    daemons.append(second)
    wait_until(lambda: len(jsons(inbox / "processed")) == len(names), 300, "all files after restart")
    assert second.stop() == 0
    assert jsons(inbox / "processed") == sorted(names)
    assert jsons(inbox / "failed") == []
    assert bundles(outbox) == sorted(n.replace(".json", ".pdf") for n in names)  # none published twice
    assert not list((inbox / ".in-arbeit").iterdir())


def _fault_interpreter(tmp_path: Path) -> Path:
    """A worker interpreter that crashes LibreOffice's worker on documents named "absturz…"."""
    script = tmp_path / "fehler-python"
    script.write_text(
        "#!/usr/bin/python3\n"
        "import importlib.util, os, sys\n"
        "spec = importlib.util.spec_from_file_location('uno_worker', sys.argv[1])\n"
        "mod = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(mod)\n"
        "real = mod.convert\n"
        "def convert(desktop, docx, pdf, filter_data):\n"
        "    if 'absturz' in os.path.basename(docx):\n"
        "        os._exit(9)\n"
        "    return real(desktop, docx, pdf, filter_data)\n"
        "mod.convert = convert\n"
        "sys.exit(mod.main(sys.argv[2:]))\n", encoding="utf-8")
    script.chmod(0o755)
    return script


def test_converter_failure_for_one_job(hotfolder: dict[str, Path], daemons: list[DaemonProcess],
                                       tmp_path: Path) -> None:
    inbox, outbox = hotfolder["inbox"], hotfolder["outbox"]
    drop(inbox, "absturz.json", example_data())
    drop(inbox, "normal.json", example_data())
    daemon = DaemonProcess(hotfolder, DOCGEN_UNO_PYTHON=str(_fault_interpreter(tmp_path)))
    daemons.append(daemon)
    wait_until(lambda: len(jsons(inbox / "processed")) + len(jsons(inbox / "failed")) == 2, 300, "both done")
    assert jsons(inbox / "failed") == ["absturz.json"]
    report = json.loads((inbox / "failed" / "absturz.fehler.json").read_text(encoding="utf-8"))
    assert report["exit_code"] == 6
    assert "absturz.docx" in report["fehler"][0]["meldung"]
    drop(inbox, "danach.json", example_data())  # the daemon goes on
    wait_until(lambda: "danach.json" in jsons(inbox / "processed"), 120, "next job after the failure")
    assert bundles(outbox) == ["danach.pdf", "normal.pdf"]
    assert daemon.stop() == 0


def test_refuses_outbox_inside_inbox(hotfolder: dict[str, Path]) -> None:
    env = env_for(hotfolder, DOCGEN_OUTBOX=str(hotfolder["inbox"] / "aus"))
    result = subprocess.run([sys.executable, "-m", "docgen", "watch"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 9
    assert result.stderr.startswith("outbox") and "liegt im" in result.stderr  # refused by the settings or the intake


def _vorlage(day: str) -> dict[str, Any]:
    data = example_data()
    data["beratungsfolge"] = [{"datum": "2020-01-01", "gremium": "Ausschuss", "zustaendigkeit": "Vorberatung"},
                              {"datum": day, "gremium": "Kreistag", "zustaendigkeit": "Entscheidung"}]
    return data


def test_batch_due_before_and_exit_codes(hotfolder: dict[str, Path]) -> None:
    inbox, outbox = hotfolder["inbox"], hotfolder["outbox"]
    old = time.time() - 60
    files = {"faellig.json": _vorlage("2099-03-01"), "gleicher-tag.json": _vorlage("2099-03-02"),
             "spaeter.json": _vorlage("2099-03-03")}
    for name, data in files.items():
        (inbox / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.utime(inbox / name, (old, old))
    env = env_for(hotfolder)
    result = subprocess.run([sys.executable, "-m", "docgen", "batch", "--due-before", "2099-03-02", "--json"],
                            env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert sorted(a["datei"] for a in summary["auftraege"]) == ["faellig.json", "gleicher-tag.json"]
    assert [e["datei"] for e in summary["im_eingang"]] == ["spaeter.json"]
    assert jsons(inbox) == ["spaeter.json"]
    assert bundles(outbox) == ["faellig.pdf", "gleicher-tag.pdf"]
    (inbox / "kaputt.json").write_text("{", encoding="utf-8")
    os.utime(inbox / "kaputt.json", (old, old))
    result = subprocess.run([sys.executable, "-m", "docgen", "batch"], env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 10, result.stderr
    assert "1 erfolgreich, 1 fehlgeschlagen" in result.stdout
    assert any(line.startswith("kaputt.json ") and "FEHLER (Exit 4)" in line for line in result.stdout.splitlines())
    assert jsons(inbox) == [] and (inbox / "failed" / "kaputt.fehler.txt").is_file()


def test_latin1_file_name_from_an_old_client(hotfolder: dict[str, Path], daemons: list[DaemonProcess]) -> None:
    inbox = hotfolder["inbox"]
    drop(inbox, "staged.json", example_data())
    os.rename(inbox / "staged.json", os.fsdecode(bytes(inbox) + b"/b\xe4r.json"))  # not valid UTF-8
    daemon = DaemonProcess(hotfolder)
    daemons.append(daemon)
    wait_until(lambda: jsons(inbox / "processed") != [], 180, "file processed")
    assert jsons(inbox / "processed") == ["b\ufffdr.json"]
    assert (hotfolder["outbox"] / "b\ufffdr.pdf").is_file()
    assert daemon.stop() == 0


PREPARED = "vorbereitet in"  # the debug line of pipeline.warm_up in a job process


class VerboseDaemon(DaemonProcess):
    OPTIONS = ("-v",)


def test_the_daemon_prepares_every_job_process_at_its_start(hotfolder: dict[str, Path],
                                                             daemons: list[DaemonProcess]) -> None:
    daemon = VerboseDaemon(hotfolder, DOCGEN_WORKERS="1")
    daemons.append(daemon)
    processes = job_process_count(1, os.cpu_count() or 1)
    # Well within the 3 × start_timeout (60 s) a process would wait if LibreOffice's "started" never came.
    wait_until(lambda: daemon.output().count(PREPARED) == processes, 45, "every job process prepared")
    drop(hotfolder["inbox"], "vorlage.json", example_data())
    wait_until(lambda: bundles(hotfolder["outbox"]) == ["vorlage.pdf"], 120, "the bundle")
    assert daemon.stop() == 0, daemon.output()
    assert daemon.output().count(PREPARED) == processes  # once per process, not per job


def test_a_batch_run_leaves_its_job_processes_unprepared(hotfolder: dict[str, Path]) -> None:
    # Its files are there at once: opening seal and templates in every process would only compete
    # with LibreOffice's start (docs/architecture.md, job processes).
    drop(hotfolder["inbox"], "vorlage.json", example_data())
    old = time.time() - 60
    os.utime(hotfolder["inbox"] / "vorlage.json", (old, old))
    result = subprocess.run([sys.executable, "-m", "docgen", "-v", "batch"], env=env_for(hotfolder),
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert bundles(hotfolder["outbox"]) == ["vorlage.pdf"]
    assert PREPARED not in result.stderr


def test_a_daemon_stopped_while_libreoffice_starts_does_not_prepare_first(hotfolder: dict[str, Path],
                                                                          daemons: list[DaemonProcess]) -> None:
    # Its job processes wait for LibreOffice before they prepare; a stop releases them at once
    # instead of letting them wait for the start and then open seal and templates for nothing.
    daemon = VerboseDaemon(hotfolder, DOCGEN_WORKERS="1")
    daemons.append(daemon)
    wait_until(lambda: "docgen watch:" in daemon.output(), 60, "the start message")
    assert daemon.stop() == 0, daemon.output()
    log = daemon.output()
    assert "docgen watch beendet" in log
    # LibreOffice (3–6 s to start) was stopped before it was up, and no process prepared.
    assert "LibreOffice-Prozess 0 gestartet" not in log and PREPARED not in log
