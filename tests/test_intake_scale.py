"""The intake's cost as files and ledger entries pile up: no step may look at everything once per item.

Each test counts operations (calls, SQLite VM steps, path comparisons) instead of timing them, so it
is exact on any machine; no LibreOffice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from functools import partial
from pathlib import Path, PurePath
from typing import Any

import pytest

from docgen.intake import hotfolder, jobs
from docgen.intake.daemon import Daemon
from docgen.intake.hotfolder import Folders, InboxLock, candidates, prepare_folders
from docgen.intake.ledger import Ledger
from docgen.settings import Settings
from docgen.stages import publish
from docgen.stages.publish import PUBLISHING_MARK


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    return prepare_folders(tmp_path / "eingang", tmp_path / "ausgang", tmp_path / "zustand")


def _fill(ledger: Ledger, count: int) -> None:
    """``count`` finished jobs, each with its own content."""
    rows = [(f"2024{i:010d}", f"a{i}.json", f"{i:064x}", "fertig", f"2024-01-01T00:{i % 60:02d}:00+00:00",
             "2024-01-02T00:00:00+00:00") for i in range(count)]
    with ledger._tx() as db:
        db.executemany("INSERT INTO jobs (id, input_name, sha256, state, taken_at, finished_at) "
                       "VALUES (?,?,?,?,?,?)", rows)


def _vm_steps(db: sqlite3.Connection, action: Callable[[], Any]) -> int:
    """SQLite virtual machine steps (in hundreds) that ``action`` takes on ``db``."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0

    db.set_progress_handler(count, 100)
    try:
        action()
    finally:
        db.set_progress_handler(None, 0)
    return steps


@pytest.mark.parametrize("query", ["earlier_with", "recent"])
def test_ledger_lookups_do_not_grow_with_the_ledger(tmp_path: Path, query: str) -> None:
    """Every take asks for an earlier job with the same content, ``status`` for the latest jobs: both
    went through every finished job (SQLite chose the state index; the latest were sorted)."""
    steps = []
    for size in (500, 4000):
        ledger = Ledger(tmp_path / f"ledger-{size}.sqlite")
        _fill(ledger, size)
        lookup: Callable[[], Any] = (partial(ledger.earlier_with, f"{7:064x}", "neu") if query == "earlier_with"
                                     else partial(ledger.recent, 20))
        steps.append(_vm_steps(ledger._db, lookup))
        if query == "earlier_with":
            found = ledger.earlier_with(f"{7:064x}", "neu")
            assert found is not None and found.id == f"2024{7:010d}"
            assert ledger.earlier_with(f"{7:064x}", f"2024{7:010d}") is None
        else:
            latest = ledger.recent(3)
            assert [r.taken_at for r in latest] == ["2024-01-01T00:59:00+00:00"] * 3
            assert [r.id for r in latest] == sorted((r.id for r in latest), reverse=True)
        ledger.close()
    assert steps[1] <= steps[0] + 5, steps  # eight times the jobs, (nearly) the same work


def _leftover(folders: Folders, job: str, name: str) -> Path:
    (folders.work / job).mkdir()
    work_file = folders.work / job / name
    work_file.write_text('{"dokumentart": "beschlussvorlage"}', encoding="utf-8")
    return work_file


def test_recovery_looks_at_the_outbox_once_not_once_per_job(folders: Folders,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash with many jobs in the work area and many bundles in the outbox: each job searched every
    outbox folder for what it might have begun (jobs × folders; 4000 × 4000 took minutes)."""
    ledger = Ledger(folders.state / "ledger.sqlite")
    for i in range(40):
        _leftover(folders, f"job-{i:03d}", f"akte-{i:03d}.json")
        stem = f"alt-{i:03d}"  # published earlier by other jobs, some under the same names
        for name in (stem, f"akte-{i:03d}") if i % 2 else (stem,):
            (folders.outbox / f"{name}.pdf").write_bytes(b"%PDF-1.7\n")
            (folders.outbox / f"{name}.receipt.json").write_text('{"auftrag": "alt"}', encoding="utf-8")
            (folders.outbox / name).mkdir()
            (folders.outbox / name / f"{name}.docx").write_bytes(b"PK")
    _leftover(folders, "job-halb", "halb.json")  # began publishing: its folder names it
    (folders.outbox / "halb").mkdir()
    (folders.outbox / "halb" / f"{PUBLISHING_MARK}job-halb").touch()
    _leftover(folders, "job-leer", "leer.json")  # killed right after reserving an (empty) -v3 name
    (folders.outbox / "leer.pdf").write_bytes(b"%PDF-1.7\n")
    (folders.outbox / "leer").mkdir()
    (folders.outbox / "leer-ENTWURF-v3").mkdir()
    _leftover(folders, "job-v", "x-v2.json")  # a name that itself looks like a version
    (folders.outbox / "x-v2-v7").mkdir()

    searched: list[str] = []
    real = publish.drop_unfinished

    def counting(outbox: Path, job_id: str, bases: tuple[str, ...] = ()) -> list[str]:
        searched.append(job_id)
        return real(outbox, job_id, bases)

    monkeypatch.setattr(jobs, "drop_unfinished", counting)
    with InboxLock(folders.inbox, "docgen batch") as lock:
        again = jobs.left_over(folders, ledger, lock)
    ledger.close()
    assert len(again) == 43
    assert sorted(searched) == ["job-halb", "job-leer", "job-v"]  # only where there was something to free
    left = {p.name for p in folders.outbox.iterdir()}
    assert not {"halb", "leer-ENTWURF-v3", "x-v2-v7"} & left
    assert {"leer", "leer.pdf", "akte-001", "alt-000"} <= left


def test_recovery_falls_back_when_the_outbox_cannot_be_read(folders: Folders,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    ledger = Ledger(folders.state / "ledger.sqlite")
    _leftover(folders, "job-a", "a.json")
    monkeypatch.setattr(jobs._Unfinished, "scan", classmethod(lambda cls, outbox: None))
    searched: list[str] = []

    def counting(outbox: Path, job_id: str, bases: tuple[str, ...] = ()) -> list[str]:
        searched.append(job_id)
        return []

    monkeypatch.setattr(jobs, "drop_unfinished", counting)
    with InboxLock(folders.inbox, "docgen batch") as lock:
        assert len(jobs.left_over(folders, ledger, lock)) == 1
    ledger.close()
    assert searched == ["job-a"]


def test_inbox_scan_sorts_names_not_every_entry_as_a_path(folders: Folders,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of other files (PDFs, partial uploads, subfolders) beside the inputs: the scan, done
    several times per poll, sorted every entry as a path (40,000 entries: 1.2 s)."""
    inbox = folders.inbox
    for i in range(300):
        (inbox / f"scan-{i:04d}.pdf").write_bytes(b"%PDF")
        (inbox / f"upload-{i:04d}.json.part").write_text("{", encoding="utf-8")
        (inbox / f"{i:04d}.json").write_text("{}", encoding="utf-8")
    for name in ("Ordner.json", ".versteckt.json", "~$offen.json", "leer.JSON"):
        (inbox / name).mkdir() if name == "Ordner.json" else (inbox / name).write_text("", encoding="utf-8")
    (inbox / "verweis.json").symlink_to(inbox / "0001.json")
    expected = sorted(p for p in inbox.iterdir() if hotfolder.is_candidate(p))

    compared = 0
    real_lt = PurePath.__lt__

    def counting_lt(self: PurePath, other: PurePath) -> bool:
        nonlocal compared
        compared += 1
        return real_lt(self, other)

    monkeypatch.setattr(PurePath, "__lt__", counting_lt)
    found = candidates(inbox)
    monkeypatch.undo()
    assert found == expected and len(found) == 301 and found[-1].name == "leer.JSON"
    assert compared == 0


def test_the_wait_after_a_poll_stops_at_the_first_waiting_file(folders: Folders,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Whether files are settling was answered by a second full scan of the inbox after every poll."""
    settings = Settings(inbox=folders.inbox, outbox=folders.outbox, state_dir=folders.state)
    daemon = Daemon(settings, folders)
    assert daemon._next_wait() == settings.rescan_seconds
    for i in range(200):
        (folders.inbox / f"{i:04d}.json").write_text("", encoding="utf-8")  # still being written
    looked_at = 0
    real = hotfolder.is_candidate

    def counting(path: Path) -> bool:
        nonlocal looked_at
        looked_at += 1
        return real(path)

    monkeypatch.setattr(hotfolder, "is_candidate", counting)
    assert daemon._next_wait() == min(settings.rescan_seconds, max(0.2, settings.stable_seconds / 3))
    assert looked_at == 1
