"""Real servers for the tests past one machine: a throw-away Redis on a unix socket, a PostgreSQL
cluster in a temp folder (run as the ``postgres`` user: initdb refuses root), and ``docgen worker``
processes standing in for hosts, each with its own state directory, sharing one inbox and outbox."""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from tests.conftest import EXAMPLES, clean_env, missing_part
from tests.pki import make_pki

FAULTY = Path(__file__).with_name("faulty.py")


def _pg_bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        missing_part(f"PostgreSQL ({name}) nicht installiert")
    return found[-1]


class RedisServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.socket = folder / "r.sock"
        self.proc: subprocess.Popen[bytes] | None = None
        if shutil.which("redis-server") is None:
            missing_part("redis-server nicht installiert")

    @property
    def url(self) -> str:
        return f"redis+socket://{self.socket}"

    def start(self) -> None:
        self.socket.unlink(missing_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
             "--dir", str(self.folder), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--maxmemory-policy", "noeviction"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.cli("ping") == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def cli(self, *args: str) -> str:
        done = subprocess.run(["redis-cli", "-s", str(self.socket), *args], capture_output=True, text=True,
                              timeout=10, check=False)
        return done.stdout.strip()

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def restart(self, *, wipe: bool = False) -> None:
        self.kill()
        if wipe:
            shutil.rmtree(self.folder / "appendonlydir", ignore_errors=True)
        self.start()


class PgServer:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.data = folder / "data"
        subprocess.run(["chown", "-R", "postgres:postgres", str(folder)], check=True)
        subprocess.run(["runuser", "-u", "postgres", "--", _pg_bin("initdb"), "-D", str(self.data), "-U", "docgen",
                        "--auth=trust", "--no-sync"], check=True, capture_output=True)

    def _ctl(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", _pg_bin("pg_ctl"), "-D", str(self.data), *args],
                       check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        self._ctl("-w", "-l", str(self.folder / "pg.log"), "start", "-o",
                  f"-k {self.folder} -c listen_addresses='' -c fsync=off")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "stop")

    def restart(self) -> None:
        self._ctl("-m", "immediate", "-w", "-l", str(self.folder / "pg.log"), "restart", "-o",
                  f"-k {self.folder} -c listen_addresses='' -c fsync=off")

    def url(self, db: str) -> str:
        return f"postgresql://docgen@/{db}?host={self.folder}"

    def new_database(self) -> str:
        name = "t_" + uuid.uuid4().hex[:10]
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return name


@pytest.fixture(scope="session")
def servers_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="dg-", dir="/tmp"))  # unix socket paths must stay short
    os.chmod(root, 0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server(servers_root: Path) -> Iterator[RedisServer]:
    folder = servers_root / "redis"
    folder.mkdir()
    server = RedisServer(folder)
    server.start()
    yield server
    server.kill()


@pytest.fixture(scope="session")
def pg_server(servers_root: Path) -> Iterator[PgServer]:
    folder = servers_root / "pg"
    folder.mkdir()
    server = PgServer(folder)
    server.start()
    yield server
    server.stop()


def soffice_processes(folder: Path) -> list[int]:
    """Running LibreOffice processes whose profile lies in ``folder``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "soffice" in text and str(folder) in text:
            found.append(int(cmdline.parent.name))
    return found


@dataclass
class Cluster:
    """Shared inbox/outbox, one producer, N worker hosts; all children in their own process groups."""

    root: Path
    redis: RedisServer
    pg: PgServer
    ledger_url: str
    env: dict[str, str]
    workers: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    producer: subprocess.Popen[bytes] | None = None
    names: list[str] = field(default_factory=list)

    def lease_owner(self, name: str) -> str | None:
        """The running job's lease owner (``host:pid``), or ``None`` (not running, or no table yet)."""
        try:
            with psycopg.connect(self.ledger_url, autocommit=True, connect_timeout=3) as conn:
                row = conn.execute("SELECT lease_owner FROM jobs WHERE input_name=%s AND state='laeuft'",
                                   (name,)).fetchone()
        except psycopg.Error:
            return None
        return row[0] if row else None

    @property
    def inbox(self) -> Path:
        return self.root / "eingang"

    @property
    def outbox(self) -> Path:
        return self.root / "ausgang"

    def state(self, i: int) -> Path:
        return self.root / f"host{i}"

    def host_env(self, i: int, **extra: str) -> dict[str, str]:
        env = clean_env(self.state(i))
        env.update(self.env)
        env.update(extra)
        return env

    def start_worker(self, i: int, wrapper: list[str] | None = None, **extra: str) -> subprocess.Popen[bytes]:
        self.state(i).mkdir(exist_ok=True)
        log = (self.root / f"worker{i}.log").open("ab")
        argv = [*(wrapper or []), sys.executable, str(FAULTY), "worker", "--concurrency", "1"]
        proc = subprocess.Popen(argv, env=self.host_env(i, **extra), stdout=log, stderr=log, start_new_session=True)
        self.workers[i] = proc
        return proc

    def start_producer(self) -> None:
        self.state(0).mkdir(exist_ok=True)
        log = (self.root / "producer.log").open("ab")
        self.producer = subprocess.Popen([sys.executable, "-m", "docgen", "watch"], env=self.host_env(0),
                                         stdout=log, stderr=log, start_new_session=True)

    def drop(self, name: str, source: Path = EXAMPLES / "beschlussvorlage.json") -> None:
        tmp = self.inbox / f".{name}.tmp"
        shutil.copyfile(source, tmp)
        os.replace(tmp, self.inbox / name)
        self.names.append(name)

    def rows(self) -> list[tuple[str, str, str, int]]:
        """The ledger's rows (none while the server restarts or before the producer made the table)."""
        try:
            with psycopg.connect(self.ledger_url, autocommit=True, connect_timeout=3) as conn:
                return [(r[0], r[1], r[2], int(r[3])) for r in conn.execute(
                    "SELECT id, input_name, state, attempt FROM jobs ORDER BY id").fetchall()]
        except psycopg.Error:
            return []

    def wait_settled(self, timeout: float, check: Callable[[], None] | None = None) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if check is not None:
                check()
            try:
                rows = self.rows()
            except psycopg.Error:
                rows = []
            finished = [r for r in rows if r[2] in ("fertig", "fehlgeschlagen")]
            if len(finished) >= len(self.names) and self._filed() >= len(self.names):
                return
            time.sleep(0.5)
        raise AssertionError(f"nicht fertig nach {timeout} s: {self.rows()}\n{self.logs()}")

    def _filed(self) -> int:
        return sum(1 for d in ("processed", "failed") for p in (self.inbox / d).glob("*.json")
                   if not p.name.endswith(".fehler.json"))

    def logs(self) -> str:
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-3000:]}"
                         for p in sorted(self.root.glob("*.log")))

    def stop_all(self) -> None:
        procs = [*self.workers.values(), *([self.producer] if self.producer else [])]
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGCONT)
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()

    def soffice_left(self) -> list[int]:
        """LibreOffice processes that belong to this cluster (their profile lies in our folders)."""
        deadline = time.monotonic() + 15
        while True:
            left = soffice_processes(self.root)
            if not left or time.monotonic() > deadline:
                return left
            time.sleep(0.5)

    def assert_settled(self, *, failed: set[str] = frozenset()) -> None:  # type: ignore[assignment]
        """Every input in processed/ or failed/, one bundle and one fertig row per processed input."""
        processed = sorted(p.name for p in (self.inbox / "processed").glob("*.json"))
        in_failed = sorted(p.name for p in (self.inbox / "failed").glob("*.json")
                           if not p.name.endswith(".fehler.json"))
        assert sorted(processed + in_failed) == sorted(self.names), (processed, in_failed, self.logs())
        assert set(in_failed) == set(failed), self.logs()
        assert not [p for p in (self.inbox / ".in-arbeit").iterdir()], "Arbeitsordner nicht leer"
        receipts = [json.loads(p.read_text(encoding="utf-8")) for p in self.outbox.glob("*.receipt.json")]
        jobs = [r["auftrag"] for r in receipts]
        assert len(jobs) == len(set(jobs)) == len(processed), (jobs, processed)
        bundles = list(self.outbox.glob("*.pdf"))
        assert len(bundles) == len(processed), sorted(p.name for p in bundles)
        rows = self.rows()
        assert len(rows) == len(self.names), rows
        assert sorted(r[1] for r in rows if r[2] == "fertig") == processed, rows
        assert sorted(r[1] for r in rows if r[2] == "fehlgeschlagen") == in_failed, rows
        assert set(jobs) == {r[0] for r in rows if r[2] == "fertig"}
        assert self.soffice_left() == []


@pytest.fixture
def cluster(redis_server: RedisServer, pg_server: PgServer, tmp_path: Path) -> Iterator[Cluster]:
    redis_server.cli("flushall")
    root = Path(tempfile.mkdtemp(prefix="dgc-", dir="/tmp"))
    pki = make_pki(root / "pki")
    url = pg_server.url(pg_server.new_database())
    env = {"DOCGEN_BROKER_URL": redis_server.url, "DOCGEN_LEDGER_URL": url,
           "DOCGEN_INBOX": str(root / "eingang"), "DOCGEN_OUTBOX": str(root / "ausgang"),
           "DOCGEN_SEAL_CERT": str(pki.seal_p12), "DOCGEN_SEAL_PASSPHRASE": pki.passphrase,
           "DOCGEN_LEASE_SECONDS": "4", "DOCGEN_VISIBILITY_TIMEOUT": "30", "DOCGEN_MAX_ATTEMPTS": "3",
           "DOCGEN_STABLE_SECONDS": "0.3", "DOCGEN_LEDGER_TIMEOUT": "3"}
    for folder in ("eingang", "ausgang"):
        (root / folder).mkdir()
    shutil.copytree(EXAMPLES / "anlagen", root / "eingang" / "anlagen")  # the example's Anlagen, beside it
    cluster = Cluster(root, redis_server, pg_server, url, env)
    try:
        yield cluster
    finally:
        cluster.stop_all()
        shutil.rmtree(root, ignore_errors=True)
