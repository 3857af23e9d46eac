"""The ledger on PostgreSQL (setting ``ledger_url``): the record all worker hosts share.

Same rows and the same contract as the SQLite ledger (:class:`docgen.intake.lease.LeaseLedger`),
through psycopg 3 with one connection per process (opened lazily after a fork).
Times of leases come from the server's clock, so hosts with drifting clocks agree on
when a lease expires. The publish fence is ``SELECT … FOR UPDATE`` on the job's row.
A connection lost (server restarted) is opened again once per call; if the server is
still away, :class:`~docgen.intake.lease.LedgerUnavailable` says so and the caller
tries later.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from docgen.errors import DependencyMissing, extra_hint
from docgen.intake.lease import OPEN_STATES, Fence, Lease, LedgerUnavailable
from docgen.intake.ledger import JobRow, now

T = TypeVar("T")


class _OnFirstUse:
    """psycopg comes with the extra docgen[verteilt]; one machine with SQLite never loads it."""

    def __getattr__(self, name: str) -> Any:
        try:
            module = importlib.import_module("psycopg")
        except ImportError:
            raise DependencyMissing(f"Für ledger_url (PostgreSQL) fehlt psycopg. {extra_hint('verteilt')}") from None
        return getattr(module, name)


if TYPE_CHECKING:
    import psycopg
else:
    psycopg = _OnFirstUse()

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    input_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    state TEXT NOT NULL,
    taken_at TEXT NOT NULL,
    started_at TEXT,
    finished_at TEXT,
    outputs TEXT,
    error_code INTEGER,
    error_message TEXT,
    attempt INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT,
    lease_until DOUBLE PRECISION,
    sent_at DOUBLE PRECISION
);
CREATE INDEX IF NOT EXISTS jobs_sha256 ON jobs (sha256);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
CREATE INDEX IF NOT EXISTS jobs_taken ON jobs (taken_at, id);
"""
_CLOCK = "extract(epoch from clock_timestamp())"
_COLUMNS = "id, input_name, sha256, state, taken_at, finished_at, outputs, error_code, error_message"


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    try:
        info = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(ungültige ledger_url)"
    info.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in info.items() if v is not None)


# Any fixed number: workers and producer starting together on an empty database take turns creating the
# table (two CREATE TABLE IF NOT EXISTS at once may still collide on PostgreSQL's catalogue).
_SCHEMA_LOCK = 0x646F6367656E  # "docgen"


def _create_schema(conn: psycopg.Connection[Any]) -> None:
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
        conn.execute(SCHEMA)


class PostgresLedger:
    """The ledger in PostgreSQL (thread-safe: one connection, one lock)."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self.timeout = timeout
        self._lock = threading.RLock()
        self._conn: psycopg.Connection[Any] | None = None
        self._call(_create_schema)

    def _connect(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed or self._conn.broken:
            try:
                self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=max(2, int(self.timeout)))
            except psycopg.OperationalError as exc:
                raise LedgerUnavailable(f"Auftragsbuch (PostgreSQL, {redacted(self.url)}) nicht erreichbar: "
                                        f"{_first_line(exc)}") from exc
            except psycopg.ProgrammingError as exc:
                raise LedgerUnavailable(f"ledger_url ist ungültig: {_first_line(exc)}") from exc
        return self._conn

    def _call(self, action: Callable[[psycopg.Connection[Any]], T]) -> T:
        """Run ``action`` on the connection; a lost connection is opened again once."""
        with self._lock:
            for again in (True, False):
                conn = self._connect()
                try:
                    return action(conn)
                except psycopg.OperationalError as exc:
                    with contextlib.suppress(psycopg.Error):
                        conn.close()
                    if not again:
                        raise LedgerUnavailable(f"Auftragsbuch (PostgreSQL) nicht erreichbar: "
                                                f"{_first_line(exc)}") from exc
                except psycopg.Error as exc:
                    raise LedgerUnavailable(f"Auftragsbuch (PostgreSQL) meldet einen Fehler: "
                                            f"{_first_line(exc)}") from exc
        raise AssertionError("unreachable")

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(psycopg.Error):
                    self._conn.close()
                self._conn = None

    def taken(self, job_id: str, input_name: str, sha256: str) -> None:
        self._call(lambda c: c.execute(
            "INSERT INTO jobs (id, input_name, sha256, state, taken_at, sent_at) "
            f"VALUES (%s, %s, %s, 'genommen', %s, {_CLOCK}) ON CONFLICT (id) DO UPDATE SET "
            "input_name=EXCLUDED.input_name, sha256=EXCLUDED.sha256, state='genommen', taken_at=EXCLUDED.taken_at",
            (job_id, input_name, sha256, now())))

    def running(self, job_id: str) -> None:
        self._call(lambda c: c.execute("UPDATE jobs SET state='laeuft', started_at=%s WHERE id=%s", (now(), job_id)))

    def done(self, job_id: str, outputs: dict[str, Any]) -> None:
        self._call(lambda c: c.execute(
            "UPDATE jobs SET state='fertig', finished_at=%s, outputs=%s, lease_until=NULL WHERE id=%s",
            (now(), json.dumps(outputs, ensure_ascii=False), job_id)))

    def failed(self, job_id: str, code: int, message: str) -> None:
        self._call(lambda c: c.execute(
            "UPDATE jobs SET state='fehlgeschlagen', finished_at=%s, error_code=%s, error_message=%s, "
            "lease_until=NULL WHERE id=%s", (now(), code, message, job_id)))

    def _select(self, where: str, params: tuple[Any, ...]) -> list[JobRow]:
        rows = self._call(lambda c: c.execute(f"SELECT {_COLUMNS} FROM jobs {where}", params).fetchall())
        return [JobRow(r[0], r[1], r[2], r[3], r[4], r[5], _outputs(r[6]), r[7], r[8]) for r in rows]

    def get(self, job_id: str) -> JobRow | None:
        rows = self._select("WHERE id=%s", (job_id,))
        return rows[0] if rows else None

    def earlier_with(self, sha256: str, job_id: str) -> JobRow | None:
        rows = self._select("WHERE sha256=%s AND id<>%s AND state='fertig' ORDER BY finished_at DESC LIMIT 1",
                            (sha256, job_id))
        return rows[0] if rows else None

    def recent(self, limit: int) -> list[JobRow]:
        return self._select("ORDER BY taken_at DESC, id DESC LIMIT %s", (limit,))

    def counts(self) -> dict[str, int]:
        rows = self._call(lambda c: c.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())
        return {str(state): int(count) for state, count in rows}

    def lease(self, job_id: str) -> Lease | None:
        row = self._call(lambda c: c.execute(
            "SELECT state, attempt, lease_owner, lease_until FROM jobs WHERE id=%s", (job_id,)).fetchone())
        return Lease(job_id, row[0], int(row[1]), row[2], row[3]) if row else None

    def claim(self, job_id: str, owner: str, ttl: float, steal_from: str | None = None) -> int | None:
        # One statement: of several concurrent claimers exactly one gets the row.
        row = self._call(lambda c: c.execute(
            f"UPDATE jobs SET attempt=attempt+1, lease_owner=%s, lease_until={_CLOCK} + %s, state='laeuft', "
            f"started_at=%s WHERE id=%s AND state IN ('genommen','laeuft') AND (lease_until IS NULL OR "
            f"lease_until < {_CLOCK} OR lease_owner = %s) RETURNING attempt",
            (owner, ttl, now(), job_id, steal_from or "")).fetchone())
        return int(row[0]) if row else None

    def renew(self, job_id: str, attempt: int, owner: str, ttl: float) -> bool:
        cursor = self._call(lambda c: c.execute(
            f"UPDATE jobs SET lease_until={_CLOCK} + %s WHERE id=%s AND attempt=%s AND lease_owner=%s "
            "AND state='laeuft'", (ttl, job_id, attempt, owner)))
        return cursor.rowcount == 1

    def release(self, job_id: str, attempt: int) -> None:
        self._call(lambda c: c.execute("UPDATE jobs SET lease_until=NULL, lease_owner=NULL, sent_at=NULL "
                                       "WHERE id=%s AND attempt=%s", (job_id, attempt)))

    @contextlib.contextmanager
    def fenced(self, job_id: str, attempt: int) -> Iterator[Fence]:
        with self._lock:
            conn = self._connect()
            try:
                with conn.transaction():
                    row = conn.execute("SELECT attempt, state FROM jobs WHERE id=%s FOR UPDATE", (job_id,)).fetchone()
                    state = str(row[1]) if row else "unbekannt"
                    fence = Fence(row is not None and int(row[0]) == attempt and state in OPEN_STATES, state)
                    yield fence
                    if fence.ours and fence.outcome is not None:
                        new_state, outputs, code, message = fence.outcome
                        conn.execute(
                            "UPDATE jobs SET state=%s, finished_at=%s, outputs=%s, error_code=%s, error_message=%s, "
                            "lease_until=NULL WHERE id=%s",
                            (new_state, now(), json.dumps(outputs, ensure_ascii=False) if outputs is not None
                             else None, code, message, job_id))
            except psycopg.Error as exc:
                with contextlib.suppress(psycopg.Error):
                    conn.close()
                raise LedgerUnavailable(f"Auftragsbuch (PostgreSQL) während der Veröffentlichung nicht erreichbar: "
                                        f"{_first_line(exc)}") from exc

    def expired(self, grace: float, unleased: bool = True) -> list[tuple[str, str]]:
        lapsed = f"lease_until < {_CLOCK}" + (" OR lease_until IS NULL" if unleased else "")
        rows = self._call(lambda c: c.execute(
            f"UPDATE jobs SET sent_at={_CLOCK} WHERE state IN ('genommen','laeuft') AND "
            f"({lapsed}) AND COALESCE(sent_at, 0) < {_CLOCK} - %s RETURNING id, input_name",
            (grace,)).fetchall())
        return [(str(r[0]), str(r[1])) for r in rows]


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _outputs(text: str | None) -> dict[str, Any] | None:
    try:
        value = json.loads(text) if text else None
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None
