"""The ledger alone: one row per job through its states, same content recognised, a locked file reported."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from docgen.errors import ExitCode, FileAccessError
from docgen.intake.ledger import Ledger


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    book = Ledger(tmp_path / "zustand" / "ledger.sqlite", timeout=0.2)
    yield book
    book.close()


def test_a_job_through_its_states(ledger: Ledger) -> None:
    ledger.taken("j1", "a.json", "abc")
    row = ledger.get("j1")
    assert row is not None and (row.input_name, row.sha256, row.state) == ("a.json", "abc", "genommen")
    ledger.running("j1")
    assert ledger.get("j1").state == "laeuft"  # type: ignore[union-attr]
    ledger.done("j1", {"paket": "/aus/a.pdf", "gesiegelt": False})
    row = ledger.get("j1")
    assert row is not None and row.state == "fertig" and row.finished_at is not None
    assert row.outputs == {"paket": "/aus/a.pdf", "gesiegelt": False}
    assert ledger.get("fehlt") is None


def test_a_failed_job_keeps_code_and_german_message(ledger: Ledger) -> None:
    ledger.taken("j1", "b.json", "def")
    ledger.failed("j1", 4, "b.json: /vorlage/datum: ungültig")
    row = ledger.get("j1")
    assert row is not None and (row.state, row.error_code, row.error_message) == (
        "fehlgeschlagen", 4, "b.json: /vorlage/datum: ungültig")
    assert ledger.counts() == {"fehlgeschlagen": 1}


def test_same_content_is_recognised_only_when_finished(ledger: Ledger) -> None:
    ledger.taken("j1", "a.json", "gleich")
    assert ledger.earlier_with("gleich", "j2") is None  # not finished yet
    ledger.done("j1", {})
    ledger.taken("j2", "a-kopie.json", "gleich")
    earlier = ledger.earlier_with("gleich", "j2")
    assert earlier is not None and earlier.id == "j1"
    assert ledger.earlier_with("anders", "j2") is None


def test_recent_and_counts(ledger: Ledger) -> None:
    for i in range(5):
        ledger.taken(f"j{i}", f"{i}.json", str(i))
    ledger.done("j0", {})
    assert [r.id for r in ledger.recent(3)] == ["j4", "j3", "j2"]
    assert ledger.counts() == {"genommen": 4, "fertig": 1}


def test_rows_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite"
    first = Ledger(path)
    first.taken("j1", "a.json", "abc")
    first.close()
    first.close()  # closing twice is harmless
    second = Ledger(path)
    assert second.get("j1") is not None
    second.close()


def test_a_locked_ledger_is_a_file_access_error(ledger: Ledger) -> None:
    other = sqlite3.connect(ledger.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        with pytest.raises(FileAccessError) as excinfo:
            ledger.taken("j1", "a.json", "abc")
        assert excinfo.value.exit_code == ExitCode.FILE_ACCESS
        assert excinfo.value.message.startswith(f"{ledger.path}: Auftragsbuch gesperrt oder defekt (")
    finally:
        other.execute("ROLLBACK")
        other.close()
    ledger.taken("j1", "a.json", "abc")  # usable again once the lock is gone
    assert ledger.get("j1") is not None


def test_an_unusable_ledger_path_is_a_file_access_error(tmp_path: Path) -> None:
    (tmp_path / "ledger.sqlite").mkdir()  # a folder where the file should be
    with pytest.raises(FileAccessError) as excinfo:
        Ledger(tmp_path / "ledger.sqlite")
    assert "Auftragsbuch (Ledger) nicht nutzbar" in excinfo.value.message


def test_a_damaged_outputs_value_reads_as_none(ledger: Ledger) -> None:
    ledger.taken("j1", "a.json", "abc")
    raw = sqlite3.connect(ledger.path, isolation_level=None)
    raw.execute("UPDATE jobs SET outputs='{kaputt' WHERE id='j1'")
    raw.close()
    row = ledger.get("j1")
    assert row is not None and row.outputs is None
