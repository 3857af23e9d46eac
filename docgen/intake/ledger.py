"""The ledger: every job the hot folder or batch took, in SQLite in the state directory.

One row per job: input name and SHA-256, state with times, outputs with their
hashes, error code and message. It lets ``docgen status`` answer, recognises the
same content dropped again, and lets a restarted daemon account for every job.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from docgen.errors import FileAccessError

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    input_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    state TEXT NOT NULL,            -- genommen, laeuft, fertig, fehlgeschlagen
    taken_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    outputs TEXT,                   -- JSON
    error_code INTEGER,
    error_message TEXT
);
CREATE INDEX IF NOT EXISTS jobs_sha256 ON jobs (sha256);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
CREATE INDEX IF NOT EXISTS jobs_taken ON jobs (taken_at, id);  -- the latest jobs for status, without a sort
"""

STATES = ("genommen", "laeuft", "fertig", "fehlgeschlagen")
# The states as a reader sees them (the stored names lack umlauts).
STATE_WORDS = {"genommen": "genommen", "laeuft": "läuft", "fertig": "fertig", "fehlgeschlagen": "fehlgeschlagen"}


def state_word(state: str) -> str:
    """``laeuft`` → ``läuft``; an unknown state as it is."""
    return STATE_WORDS.get(state, state)
LEDGER_FILE = "ledger.sqlite"  # in the state directory


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class JobRow:
    id: str
    input_name: str
    sha256: str
    state: str
    taken_at: str
    finished_at: str | None
    outputs: dict[str, Any] | None
    error_code: int | None
    error_message: str | None


class JobLedger(Protocol):
    """What the hot folder, batch and status need of a ledger: SQLite here, PostgreSQL with ``ledger_url``."""

    def taken(self, job_id: str, input_name: str, sha256: str) -> None: ...
    def running(self, job_id: str) -> None: ...
    def done(self, job_id: str, outputs: dict[str, Any]) -> None: ...
    def failed(self, job_id: str, code: int, message: str) -> None: ...
    def get(self, job_id: str) -> JobRow | None: ...
    def earlier_with(self, sha256: str, job_id: str) -> JobRow | None: ...
    def recent(self, limit: int) -> list[JobRow]: ...
    def counts(self) -> dict[str, int]: ...
    def close(self) -> None: ...


class Ledger:
    """Thread-safe access to the ledger file (one connection, one lock; SQLite waits on locks)."""

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=timeout, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.executescript(SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise FileAccessError(f"{path}: Auftragsbuch (Ledger) nicht nutzbar ({exc}).") from exc
        self._lock = threading.Lock()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                yield self._db
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise FileAccessError(f"{self.path}: Auftragsbuch gesperrt oder defekt ({exc}).") from exc

    def close(self) -> None:
        """Close the connection (closing twice is harmless)."""
        with self._lock:
            self._db.close()

    def taken(self, job_id: str, input_name: str, sha256: str) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO jobs (id, input_name, sha256, state, taken_at) VALUES (?,?,?,?,?)",
                       (job_id, input_name, sha256, "genommen", now()))

    def running(self, job_id: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE jobs SET state='laeuft', started_at=? WHERE id=?", (now(), job_id))

    def done(self, job_id: str, outputs: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute("UPDATE jobs SET state='fertig', finished_at=?, outputs=? WHERE id=?",
                       (now(), json.dumps(outputs, ensure_ascii=False), job_id))

    def failed(self, job_id: str, code: int, message: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE jobs SET state='fehlgeschlagen', finished_at=?, error_code=?, error_message=? "
                       "WHERE id=?", (now(), code, message, job_id))

    def get(self, job_id: str) -> JobRow | None:
        rows = self._select("WHERE id=?", (job_id,))
        return rows[0] if rows else None

    def earlier_with(self, sha256: str, job_id: str) -> JobRow | None:
        """The last finished job with the same input content, if any."""
        # "+state": the lookup goes by the content's hash; without it SQLite may pick the state index and
        # walk every finished job on each take (the cost grew with the ledger).
        rows = self._select("WHERE sha256=? AND id<>? AND +state='fertig' ORDER BY finished_at DESC LIMIT 1",
                            (sha256, job_id))
        return rows[0] if rows else None

    def recent(self, limit: int) -> list[JobRow]:
        return self._select("ORDER BY taken_at DESC, id DESC LIMIT ?", (limit,))

    def counts(self) -> dict[str, int]:
        try:
            with self._lock:
                rows = self._db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        except sqlite3.Error as exc:
            raise FileAccessError(f"{self.path}: Auftragsbuch nicht lesbar ({exc}).") from exc
        return {state: count for state, count in rows}

    def _select(self, where: str, params: tuple[Any, ...]) -> list[JobRow]:
        sql = ("SELECT id, input_name, sha256, state, taken_at, finished_at, outputs, error_code, error_message "
               f"FROM jobs {where}")
        try:
            with self._lock:
                rows = self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise FileAccessError(f"{self.path}: Auftragsbuch nicht lesbar ({exc}).") from exc
        return [JobRow(r[0], r[1], r[2], r[3], r[4], r[5], _outputs(r[6]), r[7], r[8]) for r in rows]


def _outputs(text: str | None) -> dict[str, Any] | None:
    """The outputs column; a damaged value reads as none rather than stopping ``status`` or a restart."""
    try:
        value = json.loads(text) if text else None
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
