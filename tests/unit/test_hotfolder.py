"""The hot folder alone: stability, claim/unclaim/finish, long names, symlinked folders, the inbox lock.

Real files in real folders, no LibreOffice, no daemon: each test points at one function.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from docgen.errors import ConfigError, ExitCode, FileAccessError, InvalidInput, Problem
from docgen.intake.hotfolder import (
    LOCK_FILE,
    MAX_NAME_BYTES,
    Folders,
    InboxLock,
    StabilityTracker,
    candidates,
    claim,
    finish_failure,
    finish_success,
    is_candidate,
    left_in_work,
    name_problem,
    name_too_long,
    prepare_folders,
    refuse_from_inbox,
    short_name,
    unclaim,
)
from docgen.intake.jobs import left_over, take
from docgen.intake.ledger import Ledger
from tests.conftest import ROOT


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    return prepare_folders(tmp_path / "eingang", tmp_path / "ausgang", tmp_path / "zustand")


def _drop(folder: Path, name: str | bytes, text: str = '{"dokumentart": "beschlussvorlage"}') -> Path:
    path = Path(os.fsdecode(bytes(folder) + b"/" + name)) if isinstance(name, bytes) else folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _error() -> InvalidInput:
    return InvalidInput("x.json", [Problem("/vorlage/datum", "\"2024-02-30\" ist kein gültiges Datum.", "format")])


def _bytes_of_names(folder: Path) -> list[int]:
    return [len(os.fsencode(p.name)) for p in folder.iterdir()]


# candidates and the stability tracker

def test_candidates_are_plain_json_files(tmp_path: Path) -> None:
    for name in ["a.json", "B.JSON", ".versteckt.json", "~$word.json", "x.json.tmp", "x.json.part", "x.txt"]:
        _drop(tmp_path, name)
    (tmp_path / "ordner.json").mkdir()
    os.mkfifo(tmp_path / "pipe.json")
    (tmp_path / "verweis.json").symlink_to(tmp_path / "a.json")
    assert [p.name for p in candidates(tmp_path)] == ["B.JSON", "a.json"]
    assert not is_candidate(tmp_path / "fehlt.json")
    assert candidates(tmp_path / "fehlt") == []


def test_a_file_is_ready_only_after_the_delay_unchanged(tmp_path: Path) -> None:
    path = _drop(tmp_path, "a.json")
    tracker = StabilityTracker(delay=2.0)
    assert tracker.ready([path], now=100.0) == []
    assert tracker.ready([path], now=101.9) == []
    assert tracker.ready([path], now=102.0) == [path]
    path.write_text('{"dokumentart": "beschlussvorlage", "mehr": 1}', encoding="utf-8")  # written on
    assert tracker.ready([path], now=103.0) == []
    assert tracker.ready([path], now=105.0) == [path]
    tracker.forget("a.json")  # handed back: wait again
    assert tracker.ready([path], now=105.5) == []


def test_empty_or_vanished_files_are_never_ready(tmp_path: Path) -> None:
    empty = tmp_path / "leer.json"
    empty.touch()
    gone = tmp_path / "weg.json"
    tracker = StabilityTracker(delay=0.0)
    assert tracker.ready([empty, gone], now=1.0) == []
    assert tracker.ready([empty, gone], now=100.0) == []


# claim, unclaim, finish

def test_claim_moves_into_a_job_folder_and_unclaim_puts_it_back(folders: Folders) -> None:
    path = _drop(folders.inbox, "a.json")
    work_file = claim(path, folders, "job-1")
    assert work_file == folders.work / "job-1" / "a.json" and work_file.is_file() and not path.exists()
    unclaim(work_file, path)
    assert path.is_file() and list(folders.work.iterdir()) == []


def test_claim_of_a_file_taken_meanwhile_leaves_no_job_folder(folders: Folders) -> None:
    assert claim(folders.inbox / "weg.json", folders, "job-1") is None
    assert list(folders.work.iterdir()) == []


def test_claim_that_fails_leaves_no_job_folder(folders: Folders, tmp_path: Path) -> None:
    path = _drop(folders.inbox, "a.json")
    (folders.work / "job-1").mkdir()  # the job folder cannot be made
    with pytest.raises(FileAccessError):
        claim(path, folders, "job-1")
    assert path.is_file()
    shm = Path("/dev/shm")
    if not shm.is_dir() or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("no second file system for a cross-device rename")
    other = shm / f"docgen-test-{os.getpid()}.json"
    other.write_text("{}", encoding="utf-8")
    try:
        with pytest.raises(FileAccessError) as excinfo:  # the rename itself fails (EXDEV)
            claim(other, folders, "job-2")
        assert excinfo.value.message.startswith(f"{other.name}: konnte nicht übernommen werden (")
        assert excinfo.value.message.endswith("die Datei bleibt im Eingangsordner.")
        assert other.is_file() and not (folders.work / "job-2").exists()
    finally:
        other.unlink()


def test_finish_success_never_overwrites(folders: Folders) -> None:
    for job in ("job-1", "job-2"):
        work_file = claim(_drop(folders.inbox, "a.json"), folders, job)
        assert work_file is not None
        finish_success(work_file, folders)
    names = sorted(p.name for p in folders.processed.iterdir())
    assert len(names) == 2 and "a.json" in names and any(n.startswith("a-2") for n in names)
    assert list(folders.work.iterdir()) == []


def test_finish_failure_writes_german_reports(folders: Folders) -> None:
    work_file = claim(_drop(folders.inbox, "x.json"), folders, "job-1")
    assert work_file is not None
    target = finish_failure(work_file, folders, _error(), "job-1")
    assert target == folders.failed / "x.json"
    text = (folders.failed / "x.fehler.txt").read_text(encoding="utf-8")
    assert text.startswith("docgen konnte „x.json“ nicht verarbeiten (Auftrag job-1).")
    assert 'x.json: /vorlage/datum: "2024-02-30" ist kein gültiges Datum.' in text
    data = json.loads((folders.failed / "x.fehler.json").read_text(encoding="utf-8"))
    assert data["exit_code"] == 4 and data["fehler"][0]["pfad"] == "/vorlage/datum"
    assert list(folders.work.iterdir()) == []


def test_a_245_character_name_gets_its_report(folders: Folders) -> None:
    name = "v" * 240 + ".json"
    assert name_too_long(name)
    target = refuse_from_inbox(_drop(folders.inbox, name), folders, name_problem(name), "job-1")
    assert target.name == short_name(name) and target.is_file()
    assert max(_bytes_of_names(folders.failed)) <= MAX_NAME_BYTES
    stem = target.name.removesuffix(".json")
    text = (folders.failed / f"{stem}.fehler.txt").read_text(encoding="utf-8")
    assert f"docgen konnte „{name}“ nicht verarbeiten" in text
    assert "der Dateiname ist zu lang (245 Byte, erlaubt sind höchstens 200 Byte in UTF-8). Bitte die Datei " \
           "mit einem kürzeren Namen erneut in den Eingangsordner legen." in text
    data = json.loads((folders.failed / f"{stem}.fehler.json").read_text(encoding="utf-8"))
    assert data["exit_code"] == 4 and data["datei"] == name and data["fehler"][0]["code"] == "datei.name_zu_lang"
    assert list(folders.inbox.glob("*.json")) == []


def test_a_legacy_name_that_grows_past_255_bytes(folders: Folders) -> None:
    raw = b"\xe4" * 200 + b".json"  # 205 bytes as Latin-1, 605 bytes once made UTF-8
    path = _drop(folders.inbox, raw)
    assert name_too_long(path.name)
    short = short_name(path.name)
    assert len(short.encode("utf-8")) <= MAX_NAME_BYTES and short.endswith(".json") and "\ufffd" in short
    assert short_name(path.name) == short  # stable
    work_file = claim(path, folders, "job-1")  # even claim copes (the daemon refuses such names before)
    assert work_file is not None and work_file.name == short
    assert finish_failure(work_file, folders, name_problem(raw.decode("latin-1")), "job-1").is_file()
    assert list(folders.work.iterdir()) == []


def test_short_names_stay_apart() -> None:
    assert short_name("a" * 300 + ".json") != short_name("a" * 301 + ".json")
    assert short_name("kurz.json") == "kurz.json"


def test_name_problem_is_exit_4() -> None:
    error = name_problem("x" * 300 + ".json")
    assert error.exit_code == ExitCode.INVALID_INPUT
    assert error.lines()[0].startswith(short_name("x" * 300 + ".json") + ": der Dateiname ist zu lang (305 Byte")


# symlinks as the folders docgen writes into

@pytest.mark.parametrize("which", ["failed", "processed", ".in-arbeit", "ausgang", "eingang"])
def test_prepare_refuses_symlinked_folders(tmp_path: Path, which: str) -> None:
    elsewhere = tmp_path / "woanders"
    elsewhere.mkdir()
    inbox, outbox = tmp_path / "eingang", tmp_path / "ausgang"
    link = tmp_path / which if which in ("ausgang", "eingang") else inbox / which
    link.parent.mkdir(exist_ok=True)
    link.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(ConfigError) as excinfo:
        prepare_folders(inbox, outbox, tmp_path / "zustand")
    assert excinfo.value.exit_code == ExitCode.CONFIG
    assert excinfo.value.message.startswith(f"{link}: ist ein Verweis (Symlink) auf {elsewhere}. docgen schreibt "
                                            "nie durch Verweise")
    assert list(elsewhere.iterdir()) == []


def test_failed_folder_replaced_by_a_symlink_while_running(folders: Folders, tmp_path: Path) -> None:
    elsewhere = tmp_path / "woanders"
    elsewhere.mkdir()
    work_file = claim(_drop(folders.inbox, "x.json"), folders, "job-1")
    assert work_file is not None
    folders.failed.rmdir()
    folders.failed.symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(FileAccessError) as excinfo:
        finish_failure(work_file, folders, _error(), "job-1")
    assert excinfo.value.exit_code == ExitCode.FILE_ACCESS
    assert "ist ein Verweis (Symlink)" in excinfo.value.message
    assert list(elsewhere.iterdir()) == [] and work_file.is_file()  # nothing lost, nothing written through


# the inbox lock

def test_second_lock_on_the_same_inbox_is_refused(folders: Folders) -> None:
    with InboxLock(folders.inbox, "docgen watch") as first:
        assert first.held
        owner = (folders.inbox / LOCK_FILE).read_text(encoding="utf-8")
        assert owner.startswith(f"{socket.gethostname()}:{os.getpid()}\ndocgen watch\nseit ")
        with pytest.raises(ConfigError) as excinfo:
            InboxLock(folders.inbox, "docgen batch").acquire()
        assert excinfo.value.exit_code == ExitCode.CONFIG
        assert excinfo.value.message.startswith(
            f"Eingangsordner {folders.inbox}: wird schon von einem anderen docgen-Prozess bearbeitet "
            f"({socket.gethostname()}:{os.getpid()}, docgen watch, seit ")
        assert "Je Eingangsordner darf nur ein „docgen watch“ oder „docgen batch“ laufen" in excinfo.value.message
    with InboxLock(folders.inbox, "docgen batch") as again:  # released: free again
        assert again.held
    assert not again.held


HOLDER = """
import sys, time
from pathlib import Path
from docgen.intake.hotfolder import InboxLock
lock = InboxLock(Path(sys.argv[1]), "docgen watch").acquire()
print("gesperrt", flush=True)
time.sleep(120)
"""


def test_the_lock_of_another_process_and_its_death(folders: Folders) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(folders.inbox)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "gesperrt"
        with pytest.raises(ConfigError) as excinfo:
            InboxLock(folders.inbox, "docgen batch").acquire()
        assert f"({socket.gethostname()}:{holder.pid}, docgen watch, seit " in excinfo.value.message
        with pytest.raises(RuntimeError):  # no recovery of another owner's jobs
            left_in_work(folders, InboxLock(folders.inbox, "docgen batch"))
    finally:
        holder.send_signal(signal.SIGKILL)  # a crash: the kernel frees the lock, no stale lock file
        holder.wait(timeout=30)
    deadline = time.monotonic() + 10
    while True:
        try:
            lock = InboxLock(folders.inbox, "docgen batch").acquire()
            break
        except ConfigError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    lock.release()


def test_recovery_only_for_the_lock_holder(folders: Folders) -> None:
    work_file = claim(_drop(folders.inbox, "x.json"), folders, "job-1")
    (folders.work / "job-leer").mkdir()
    other = prepare_folders(folders.inbox.parent / "anderer", folders.outbox, folders.state)
    with InboxLock(other.inbox, "docgen watch") as wrong, pytest.raises(RuntimeError):
        left_in_work(folders, wrong)  # a lock on another inbox does not count
    with InboxLock(folders.inbox, "docgen watch") as lock:
        assert left_in_work(folders, lock) == [("job-1", work_file)]
    assert not (folders.work / "job-leer").exists()  # empty job folders are cleared


def test_lock_file_as_symlink_is_refused(folders: Folders, tmp_path: Path) -> None:
    (folders.inbox / LOCK_FILE).symlink_to(tmp_path / "fremd")
    with pytest.raises(ConfigError) as excinfo:
        InboxLock(folders.inbox, "docgen watch").acquire()
    assert "ist ein Verweis (Symlink)" in excinfo.value.message
    assert not (tmp_path / "fremd").exists()


# take and left_over (docgen/intake/jobs.py): the ledger and the folders together

def _ledger(folders: Folders) -> Ledger:
    return Ledger(folders.state / "ledger.sqlite", timeout=0.2)


def test_take_claims_and_registers(folders: Folders) -> None:
    ledger = _ledger(folders)
    taken = take(_drop(folders.inbox, "a.json"), folders, ledger)
    assert taken is not None and taken.refused is None and taken.work_file is not None
    assert taken.work_file.parent == folders.work / taken.job_id
    row = ledger.get(taken.job_id)
    assert row is not None and (row.input_name, row.state) == ("a.json", "genommen")
    assert take(folders.inbox / "weg.json", folders, ledger) is None
    ledger.close()


def test_take_refuses_an_overlong_name_at_once(folders: Folders) -> None:
    ledger = _ledger(folders)
    taken = take(_drop(folders.inbox, b"\xe4" * 150 + b".json"), folders, ledger)
    assert taken is not None and taken.work_file is None and taken.refused is not None
    assert (taken.refused.ok, taken.refused.exit_code) == (False, 4)
    assert taken.refused.message.startswith(f"{taken.refused.name}: der Dateiname ist zu lang (455 Byte")
    row = ledger.get(taken.job_id)
    assert row is not None and (row.state, row.error_code) == ("fehlgeschlagen", 4)
    assert list(folders.work.iterdir()) == [] and candidates(folders.inbox) == []
    ledger.close()


def test_take_hands_the_file_back_when_the_ledger_is_locked(folders: Folders) -> None:
    ledger = _ledger(folders)
    path = _drop(folders.inbox, "a.json")
    other = sqlite3.connect(ledger.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(FileAccessError) as excinfo:
            take(path, folders, ledger)
        assert "Auftragsbuch gesperrt oder defekt" in excinfo.value.message
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert path.is_file() and list(folders.work.iterdir()) == []
    ledger.close()


def test_left_over_recovers_what_it_can(folders: Folders, tmp_path: Path) -> None:
    ledger = _ledger(folders)
    for job, name in (("job-fertig", "fertig.json"), ("job-halb", "halb.json")):
        (folders.work / job).mkdir()
        _drop(folders.work / job, name)
    (folders.outbox / "fertig.pdf").write_bytes(b"%PDF-1.7\n")
    (folders.outbox / "fertig.receipt.json").write_text('{"auftrag": "job-fertig"}', encoding="utf-8")
    (folders.outbox / "halb.receipt.json").write_text('{"auftrag": "job-halb"}', encoding="utf-8")
    (folders.outbox / "halb").mkdir()  # the folder it had begun, naming the job, and an empty -v2 reservation
    (folders.outbox / "halb" / ".docgen-auftrag-job-halb").touch()
    (folders.outbox / "halb-v2").mkdir()
    (folders.outbox / "fremd.receipt.json").write_text("[]", encoding="utf-8")
    elsewhere = tmp_path / "woanders"
    elsewhere.mkdir()
    folders.processed.rmdir()
    folders.processed.symlink_to(elsewhere, target_is_directory=True)  # the published job cannot be archived
    with InboxLock(folders.inbox, "docgen batch") as lock:
        again = left_over(folders, ledger, lock)
    assert again == [("job-halb", folders.work / "job-halb" / "halb.json")]  # the other one still recovered
    assert (folders.work / "job-fertig" / "fertig.json").is_file() and list(elsewhere.iterdir()) == []
    assert sorted(p.name for p in folders.outbox.iterdir()) == ["fertig.pdf", "fertig.receipt.json",
                                                                  "fremd.receipt.json"]
    ledger.close()
