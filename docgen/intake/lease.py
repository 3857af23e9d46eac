"""Leases on jobs: what makes running one job twice harmless when several hosts take jobs.

A message from the broker is only a doorbell; the ledger decides. A job process
that gets a job id first *claims* it: the ledger raises the job's attempt number
and records the process as the lease owner (``host:pid``) until ``now + ttl``.
A heartbeat renews the lease while the job runs. The claim fails while another
live owner holds an unexpired lease, or when the job is finished; a lease held
by a dead process on this very host counts as expired, so a killed job process's
job starts again at once. The attempt number is the fencing token: the publish
goes ahead only while, under the row lock, the job's attempt is still the one we
claimed and the job is not finished (see :meth:`LeaseLedger.fenced`).

This module holds the contract both ledgers keep (:class:`LeaseLedger`), the
SQLite implementation (the embedded default, one host) and the heartbeat.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from docgen.errors import FileAccessError
from docgen.intake.ledger import JobLedger, Ledger, now

log = logging.getLogger("docgen.lease")

OPEN_STATES = ("genommen", "laeuft")


class LedgerUnavailable(FileAccessError):
    """The ledger cannot be reached right now (server restarting, network): try again later."""


def owner_id() -> str:
    """This process as a lease owner: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_is_dead_here(owner: str | None) -> bool:
    """Whether ``owner`` is a process on this host that no longer runs (its lease is void)."""
    if not owner or ":" not in owner:
        return False
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Lease:
    """A job's lease as the ledger holds it."""

    job_id: str
    state: str
    attempt: int
    owner: str | None
    until: float | None  # seconds since the epoch, on the ledger's clock


@dataclass
class Fence:
    """Handed out by :meth:`LeaseLedger.fenced` while the job's row is locked.

    ``ours``: the attempt is still the one claimed and the job is not finished; only
    then may the caller publish and then call :meth:`done` or :meth:`failed` (written in
    the same transaction, when the lock is released).
    """

    ours: bool
    state: str
    outcome: tuple[str, dict[str, Any] | None, int | None, str | None] | None = field(default=None)

    def done(self, outputs: dict[str, Any]) -> None:
        self.outcome = ("fertig", outputs, None, None)

    def failed(self, code: int, message: str) -> None:
        self.outcome = ("fehlgeschlagen", None, code, message)


class LeaseLedger(JobLedger, Protocol):
    """The ledger contract with leases (both SQLite and PostgreSQL keep it; tests/distributed checks both)."""

    def lease(self, job_id: str) -> Lease | None:
        """The job's state, attempt and lease (``None``: unknown job)."""
        ...

    def claim(self, job_id: str, owner: str, ttl: float, steal_from: str | None = None) -> int | None:
        """Start the next attempt as ``owner`` for ``ttl`` seconds; its number, or ``None`` when the job
        is finished or another owner's lease has not expired (``steal_from``: an owner known dead)."""
        ...

    def renew(self, job_id: str, attempt: int, owner: str, ttl: float) -> bool:
        """Extend our lease; ``False`` when it is no longer ours."""
        ...

    def fenced(self, job_id: str, attempt: int) -> contextlib.AbstractContextManager[Fence]:
        """Lock the job's row for a publish by ``attempt`` (see :class:`Fence`)."""
        ...

    def release(self, job_id: str, attempt: int) -> None:
        """Give up our lease at once (this host cannot run the job); the job stays open."""
        ...

    def expired(self, grace: float, unleased: bool = True) -> list[tuple[str, str]]:
        """Open jobs without a live lease (lapsed, or never claimed) last (re)sent more than ``grace``
        seconds ago: (job id, input name); never-claimed ones only with ``unleased``. Marks them as sent
        again now."""
        ...


LEASE_SCHEMA = """
CREATE TABLE IF NOT EXISTS leases (
    id TEXT PRIMARY KEY,
    attempt INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until REAL,
    sent_at REAL
);
"""


class SqliteLeaseLedger(Ledger):
    """The SQLite ledger with leases (one host: the embedded default), in a table beside ``jobs``."""

    def __init__(self, path: Path, timeout: float = 30.0) -> None:
        super().__init__(path, timeout)
        try:
            self._db.executescript(LEASE_SCHEMA)
        except sqlite3.Error as exc:
            raise FileAccessError(f"{path}: Auftragsbuch (Ledger) nicht nutzbar ({exc}).") from exc

    def taken(self, job_id: str, input_name: str, sha256: str) -> None:
        super().taken(job_id, input_name, sha256)
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO leases (id, sent_at) VALUES (?, ?)", (job_id, time.time()))

    def lease(self, job_id: str) -> Lease | None:
        with self._tx() as db:
            return _sqlite_lease(db, job_id)

    def claim(self, job_id: str, owner: str, ttl: float, steal_from: str | None = None) -> int | None:
        with self._tx() as db:
            current = _sqlite_lease(db, job_id)
            clock = time.time()
            if current is None or current.state not in OPEN_STATES:
                return None
            free = current.until is None or current.until < clock or (
                steal_from is not None and current.owner == steal_from)
            if not free:
                return None
            attempt = current.attempt + 1
            db.execute("UPDATE leases SET attempt=?, lease_owner=?, lease_until=? WHERE id=?",
                       (attempt, owner, clock + ttl, job_id))
            db.execute("UPDATE jobs SET state='laeuft', started_at=? WHERE id=?", (now(), job_id))
            return attempt

    def renew(self, job_id: str, attempt: int, owner: str, ttl: float) -> bool:
        with self._tx() as db:
            cursor = db.execute(
                "UPDATE leases SET lease_until=? WHERE id=? AND attempt=? AND lease_owner=? AND "
                "(SELECT state FROM jobs WHERE jobs.id=leases.id)='laeuft'",
                (time.time() + ttl, job_id, attempt, owner))
            return cursor.rowcount == 1

    @contextlib.contextmanager
    def fenced(self, job_id: str, attempt: int) -> Iterator[Fence]:
        # BEGIN IMMEDIATE takes SQLite's write lock: no claim can slip in while we publish.
        with self._tx() as db:
            current = _sqlite_lease(db, job_id)
            state = current.state if current else "unbekannt"
            fence = Fence(current is not None and current.attempt == attempt and state in OPEN_STATES, state)
            yield fence
            if fence.ours and fence.outcome is not None:
                _sqlite_finish(db, job_id, fence)

    def release(self, job_id: str, attempt: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE leases SET lease_until=NULL, lease_owner=NULL, sent_at=NULL WHERE id=? AND attempt=?",
                       (job_id, attempt))

    def expired(self, grace: float, unleased: bool = True) -> list[tuple[str, str]]:
        clock = time.time()
        lapsed = "leases.lease_until < ?" + (" OR leases.lease_until IS NULL" if unleased else "")
        with self._tx() as db:
            rows = db.execute(
                "SELECT jobs.id, jobs.input_name FROM jobs JOIN leases ON leases.id = jobs.id "
                f"WHERE jobs.state IN ('genommen','laeuft') AND ({lapsed}) AND COALESCE(leases.sent_at, 0) < ?",
                (clock, clock - grace)).fetchall()
            for job_id, _ in rows:
                db.execute("UPDATE leases SET sent_at=? WHERE id=?", (clock, job_id))
        return [(r[0], r[1]) for r in rows]


def _sqlite_lease(db: sqlite3.Connection, job_id: str) -> Lease | None:
    row = db.execute("SELECT jobs.state, COALESCE(leases.attempt, 0), leases.lease_owner, leases.lease_until "
                     "FROM jobs LEFT JOIN leases ON leases.id = jobs.id WHERE jobs.id=?", (job_id,)).fetchone()
    return Lease(job_id, row[0], int(row[1]), row[2], row[3]) if row else None


def _sqlite_finish(db: sqlite3.Connection, job_id: str, fence: Fence) -> None:
    assert fence.outcome is not None
    state, outputs, code, message = fence.outcome
    db.execute("UPDATE jobs SET state=?, finished_at=?, outputs=?, error_code=?, error_message=? WHERE id=?",
               (state, now(), json.dumps(outputs, ensure_ascii=False) if outputs is not None else None, code,
                message, job_id))
    db.execute("UPDATE leases SET lease_until=NULL WHERE id=?", (job_id,))


class Heartbeat:
    """Renews a lease every ``ttl / 3`` seconds in a thread while a job runs (a context manager).

    ``lost`` is set when the ledger says the lease is no longer ours; the fence then refuses the
    publish anyway, so the job may run on. An unreachable ledger is logged and tried again.
    """

    def __init__(self, ledger: LeaseLedger, job_id: str, attempt: int, owner: str, ttl: float) -> None:
        self.ledger, self.job_id, self.attempt, self.owner, self.ttl = ledger, job_id, attempt, owner, ttl
        self.lost = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name=f"herzschlag-{job_id}")

    def _run(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            try:
                if not self.ledger.renew(self.job_id, self.attempt, self.owner, self.ttl):
                    log.warning("[%s] Versuch %d: Lease verloren; das Ergebnis wird nicht veröffentlicht",
                                self.job_id, self.attempt)
                    self.lost.set()
                    return
            except FileAccessError as exc:
                log.warning("[%s] Lease nicht verlängert (%s); neuer Versuch", self.job_id, exc.message)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.ttl)
