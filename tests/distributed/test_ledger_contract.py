"""One contract, two ledgers: SQLite (the embedded default) and PostgreSQL (past one machine)."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from docgen.intake.distributed import open_ledger
from docgen.intake.lease import LeaseLedger, owner_is_dead_here
from docgen.intake.ledger_pg import PostgresLedger
from docgen.settings import Settings
from tests.distributed.conftest import PgServer

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "postgresql"])
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LeaseLedger]:
    if request.param == "sqlite":
        book = open_ledger(Settings(state_dir=tmp_path / "state"))
    else:
        pg: PgServer = request.getfixturevalue("pg_server")
        book = PostgresLedger(pg.url(pg.new_database()), 3.0)
    yield book
    book.close()


def test_rows_as_before(ledger: LeaseLedger) -> None:
    ledger.taken("j1", "a.json", "abc")
    ledger.taken("j2", "b.json", "abc")
    ledger.running("j1")
    ledger.done("j1", {"paket": "/x/a.pdf"})
    ledger.failed("j2", 4, "ungültig")
    row = ledger.get("j1")
    assert row is not None and row.state == "fertig" and row.outputs == {"paket": "/x/a.pdf"}
    assert ledger.get("j2") is not None and ledger.get("j2").error_code == 4  # type: ignore[union-attr]
    assert ledger.get("nix") is None
    assert ledger.counts() == {"fertig": 1, "fehlgeschlagen": 1}
    assert [r.id for r in ledger.recent(10)] == ["j2", "j1"]
    earlier = ledger.earlier_with("abc", "j3")
    assert earlier is not None and earlier.id == "j1"


def test_one_claim_wins_and_the_attempt_fences(ledger: LeaseLedger) -> None:
    ledger.taken("j", "a.json", "h")
    first = ledger.claim("j", "host:1", 30)
    assert first == 1
    assert ledger.claim("j", "host:2", 30) is None  # a live lease
    assert ledger.renew("j", 1, "host:1", 30)
    assert not ledger.renew("j", 1, "host:2", 30)
    with ledger.fenced("j", 2) as fence:
        assert not fence.ours
    with ledger.fenced("j", 1) as fence:
        assert fence.ours
        fence.done({"paket": "p"})
    current = ledger.lease("j")
    assert current is not None and current.state == "fertig" and current.attempt == 1
    assert ledger.claim("j", "host:2", 30) is None  # finished: never again
    assert ledger.expired(0.0) == []


def test_lapsed_lease_is_taken_over_and_the_old_attempt_refused(ledger: LeaseLedger) -> None:
    ledger.taken("j", "a.json", "h")
    assert ledger.claim("j", "host:1", 0.2) == 1
    time.sleep(0.4)
    assert [job for job, _ in ledger.expired(0.0)] == ["j"]
    assert ledger.expired(60.0) == []  # just sent again: not at once once more
    assert ledger.claim("j", "host:2", 30) == 2
    assert not ledger.renew("j", 1, "host:1", 30)
    with ledger.fenced("j", 1) as fence:
        assert not fence.ours  # the paused host may not publish
    with ledger.fenced("j", 2) as fence:
        assert fence.ours
        fence.failed(1, "abgebrochen")
    assert ledger.get("j").state == "fehlgeschlagen"  # type: ignore[union-attr]


def test_a_dead_owner_on_this_host_is_stolen_from(ledger: LeaseLedger) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    import socket

    owner = f"{socket.gethostname()}:{dead.pid}"
    assert owner_is_dead_here(owner)
    ledger.taken("j", "a.json", "h")
    assert ledger.claim("j", owner, 300) == 1
    assert ledger.claim("j", "host:9", 300, steal_from="someone-else:1") is None
    assert ledger.claim("j", "host:9", 300, steal_from=owner) == 2


def test_never_claimed_jobs_are_sent_again_only_when_asked(ledger: LeaseLedger) -> None:
    ledger.taken("j", "a.json", "h")
    time.sleep(0.2)
    assert ledger.expired(0.1, unleased=False) == []
    assert [job for job, _ in ledger.expired(0.1, unleased=True)] == ["j"]
    assert ledger.claim("j", "host:1", 30) == 1
    ledger.release("j", 1)
    assert ledger.claim("j", "host:2", 30) == 2


def test_concurrent_claimers_one_winner(ledger: LeaseLedger, tmp_path: Path,
                                        request: pytest.FixtureRequest) -> None:
    ledger.taken("j", "a.json", "h")
    url = getattr(ledger, "url", None)
    books = [PostgresLedger(url, 3.0) if url else ledger for _ in range(4)]
    wins: list[int | None] = []
    barrier = threading.Barrier(len(books))

    def grab(book: LeaseLedger, n: int) -> None:
        barrier.wait()
        wins.append(book.claim("j", f"host:{n}", 30))

    threads = [threading.Thread(target=grab, args=(b, n)) for n, b in enumerate(books)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(w for w in wins if w is not None) == [1]
    if url:
        for book in books:
            book.close()


def _start_together(url: str, count: int) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []
    books: list[PostgresLedger] = []

    def start() -> None:
        barrier.wait()
        try:
            books.append(PostgresLedger(url, 5.0))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for book in books:
        book.close()
    return errors


def test_hosts_starting_together_on_an_empty_database(request: pytest.FixtureRequest) -> None:
    # Producer and workers started at once each create the table; none may fail with a catalogue clash.
    pg: PgServer = request.getfixturevalue("pg_server")
    for _ in range(3):
        assert _start_together(pg.url(pg.new_database()), 6) == []
