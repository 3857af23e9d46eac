"""Benchmark: docgen past one machine (Celery workers, Redis, PostgreSQL) on this host.

Usage::

    .venv/bin/python bench/distributed.py [--only latenz,skalierung,erholung,libreoffice,kills]
        [--n-scaling 30] [--sleep 0.5] [--n-lo 30] [--n-kills 200] [--kill-every 20] [--recoveries 3]

Starts a throw-away Redis and PostgreSQL (as tests/distributed does), a producer and worker
"hosts" (processes, each with its own state directory, sharing one inbox/outbox) and measures
the figures of issue 14, each in its own cluster:

``latenz``
    one file dropped into the idle producer with 2 warm workers, drop → bundle (target ≤ 2.0 s); before
    that, the first file ``FIRST_AFTER_S`` after the workers said they are ready (nothing run yet);
``skalierung``
    dispatch scaling: the job replaced by a sleep of ``--sleep`` s through the fault injection of
    tests/distributed/faulty.py (``DOCGEN_TEST_SCHLAF``; lease, heartbeat, fence and publish stay
    real), ``--n-scaling`` files over 1 worker and over 3 workers, rounds in the order 3, 1, 1, 3 so
    that a change of load on the machine hits both sides alike (target 3 workers ≥ 2.7 × 1 worker);
``erholung``
    recovery after ``kill -9`` of a whole worker (its process group) mid-job: kill → the job's bundle
    in the outbox, next to lease_seconds + job time + 10 s;
``libreoffice``
    real LibreOffice: the same generated Beschlussvorlagen through 2 workers × 1 process and through
    today's one-machine ``docgen watch`` with 2 processes (no broker), batches in the order watch,
    workers, workers, watch (target ≥ 0.9 ×);
``kills``
    ``--n-kills`` Beschlussvorlagen over 3 workers while one worker is killed (kill -9 of its process
    group) every ``--kill-every`` s and restarted: lost, duplicated, and every bundle verified.

The machine's load (``uptime``) is recorded before and after each part. Results are merged into
``bench/results/distributed.{json,md}`` (a part run alone replaces only its own entry).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generate import write_inputs  # noqa: E402

from tests.conftest import EXAMPLES, clean_env  # noqa: E402
from tests.distributed.conftest import Cluster, PgServer, RedisServer  # noqa: E402
from tests.pki import Pki, make_pki  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PARTS = ("latenz", "skalierung", "erholung", "libreoffice", "kills")
LEASE_SECONDS = 6
STABLE_SECONDS = "0.3"


FIRST_AFTER_S = 10.0  # the first file after the workers' start: their LibreOffice has had time to start


def _uptime() -> str:
    done = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def _now() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S %Z")


def _cluster(redis: RedisServer, pg: PgServer, tmp: Path) -> Cluster:
    redis.cli("flushall")
    root = Path(tempfile.mkdtemp(prefix="dgb-", dir=tmp))
    pki = make_pki(root / "pki")
    url = pg.url(pg.new_database())
    for folder in ("eingang", "ausgang"):
        (root / folder).mkdir()
    shutil.copytree(EXAMPLES / "anlagen", root / "eingang" / "anlagen")
    env = {"DOCGEN_BROKER_URL": redis.url, "DOCGEN_LEDGER_URL": url, "DOCGEN_INBOX": str(root / "eingang"),
           "DOCGEN_OUTBOX": str(root / "ausgang"), "DOCGEN_SEAL_CERT": str(pki.seal_p12),
           "DOCGEN_SEAL_PASSPHRASE": pki.passphrase, "DOCGEN_LEASE_SECONDS": str(LEASE_SECONDS),
           "DOCGEN_VISIBILITY_TIMEOUT": "120", "DOCGEN_STABLE_SECONDS": STABLE_SECONDS}
    return Cluster(root, redis, pg, url, env)


def _ready_count(cluster: Cluster, i: int) -> int:
    log = cluster.root / f"worker{i}.log"
    return log.read_text(errors="replace").count(" ready.") if log.exists() else 0


def _start_workers(cluster: Cluster, ids: list[int], **extra: str) -> None:
    """Start workers ``ids`` and wait until Celery says each is ready."""
    before = {i: _ready_count(cluster, i) for i in ids}
    for i in ids:
        cluster.start_worker(i, **extra)
    deadline = time.monotonic() + 90
    while any(_ready_count(cluster, i) <= before[i] for i in ids):
        if time.monotonic() > deadline:
            raise RuntimeError(f"Worker nicht bereit\n{cluster.logs()}")
        time.sleep(0.1)


def _start_producer(cluster: Cluster) -> None:
    """The producer first: it creates the ledger's tables (see the note on concurrent first starts)."""
    cluster.start_producer()
    log = cluster.root / "producer.log"
    deadline = time.monotonic() + 60
    while not (log.exists() and "Verteiler für" in log.read_text(errors="replace")):
        if time.monotonic() > deadline or (cluster.producer is not None and cluster.producer.poll() is not None):
            raise RuntimeError(f"Verteiler startet nicht\n{cluster.logs()}")
        time.sleep(0.1)


def _stop_workers(cluster: Cluster, ids: list[int]) -> None:
    for i in ids:
        proc = cluster.workers.pop(i)
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=120)


def _wait_bundles(outbox: Path, stems: list[str], timeout: float, poll: float = 0.05) -> float:
    """Wait until every ``stem.pdf`` is in ``outbox``; the moment (monotonic) the last one appeared."""
    missing = set(stems)
    deadline = time.monotonic() + timeout
    while missing:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{len(missing)} von {len(stems)} Paketen fehlen nach {timeout} s")
        missing = {s for s in missing if not (outbox / f"{s}.pdf").exists()}
        if missing:
            time.sleep(poll)
    return time.monotonic()


def _drop_batch(cluster: Cluster, names: list[str], source: Path | None = None,
                sources: dict[str, Path] | None = None) -> float:
    """Drop files into the cluster's inbox as fast as possible; the moment of the first drop."""
    start = time.monotonic()
    for name in names:
        chosen = (sources or {}).get(name) or source or EXAMPLES / "beschlussvorlage.json"
        cluster.drop(name, chosen)
    return start


def _warm(cluster: Cluster, count: int, prefix: str, source: Path | None = None) -> None:
    names = [f"{prefix}-{k}.json" for k in range(count)]
    _drop_batch(cluster, names, source)
    try:
        _wait_bundles(cluster.outbox, [Path(n).stem for n in names], 180)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}\n{cluster.logs()}") from None
    cluster.wait_settled(60)


def _finish(cluster: Cluster) -> None:
    cluster.wait_settled(120)
    cluster.stop_all()
    cluster.assert_settled()  # every input filed, one bundle and one fertig row each, no LibreOffice left


# --- the parts -------------------------------------------------------------------------------------------


def part_latency(redis: RedisServer, pg: PgServer, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    cluster = _cluster(redis, pg, tmp)
    try:
        _start_producer(cluster)
        _start_workers(cluster, [1, 2])
        time.sleep(FIRST_AFTER_S)  # the workers idle after their start, as in the morning
        start = _drop_batch(cluster, ["erster.json"])
        first = _wait_bundles(cluster.outbox, ["erster"], 120, poll=0.01) - start
        _warm(cluster, 2, "aufwaermen")
        seconds = []
        for k in range(args.latency_runs):
            time.sleep(2)  # idle
            start = _drop_batch(cluster, [f"einzeln-{k}.json"])
            seconds.append(_wait_bundles(cluster.outbox, [f"einzeln-{k}"], 60, poll=0.01) - start)
        _finish(cluster)
    finally:
        cluster.stop_all()
    return {"erster_s": round(first, 2),
            "laeufe_s": [round(s, 2) for s in seconds], "median_s": round(sorted(seconds)[len(seconds) // 2], 2),
            "max_s": round(max(seconds), 2), "ziel_s": 2.0, "erfuellt": max(seconds) <= 2.0,
            "hinweis": f"2 warme Worker × 1 Prozess, stable_seconds = {STABLE_SECONDS} (enthalten)"}


def part_scaling(redis: RedisServer, pg: PgServer, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    cluster = _cluster(redis, pg, tmp)
    sleep = {"DOCGEN_TEST_SCHLAF": f"{args.sleep:g}"}
    rounds: list[dict[str, Any]] = []

    def measure(workers: int, label: str) -> None:
        names = [f"{label}-{k:03d}.json" for k in range(args.n_scaling)]
        start = _drop_batch(cluster, names)
        end = _wait_bundles(cluster.outbox, [Path(n).stem for n in names], 60 + 5 * args.n_scaling)
        cluster.wait_settled(60)
        rounds.append({"worker": workers, "dateien": args.n_scaling, "sekunden": round(end - start, 2),
                       "last": os.getloadavg()[0]})

    try:
        _start_producer(cluster)
        _start_workers(cluster, [1, 2, 3], **sleep)
        _warm(cluster, 6, "aufwaermen-a")
        measure(3, "r1-drei")
        _stop_workers(cluster, [2, 3])
        _warm(cluster, 1, "aufwaermen-b")
        measure(1, "r2-einer")
        measure(1, "r3-einer")
        _start_workers(cluster, [2, 3], **sleep)
        _warm(cluster, 6, "aufwaermen-c")
        measure(3, "r4-drei")
        _finish(cluster)
    finally:
        cluster.stop_all()
    one = sum(r["sekunden"] for r in rounds if r["worker"] == 1) / 2
    three = sum(r["sekunden"] for r in rounds if r["worker"] == 3) / 2
    ratio = one / three
    ideal_one = args.n_scaling * args.sleep
    return {"schlaf_s": args.sleep, "dateien": args.n_scaling, "runden": rounds,
            "ein_worker_s": round(one, 2), "drei_worker_s": round(three, 2), "faktor": round(ratio, 2),
            "ziel_faktor": 2.7, "erfuellt": ratio >= 2.7,
            "reiner_schlaf_1_worker_s": round(ideal_one, 1),
            "aufwand_je_auftrag_1_worker_s": round((one - ideal_one) / args.n_scaling, 3),
            "hinweis": "Zeit vom ersten Ablegen bis zum letzten Paket im Ausgang; der Auftrag ist ein Schlaf "
                       "(tests/distributed/faulty.py, DOCGEN_TEST_SCHLAF) mit echter Lease, Herzschlag, Fence "
                       "und Veröffentlichung eines Platzhalter-Pakets; Runden in der Folge 3, 1, 1, 3 Worker"}


def _job_owner_pid(cluster: Cluster, name: str) -> int | None:
    owner = cluster.lease_owner(name)
    return int(owner.rpartition(":")[2]) if owner else None


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])


def part_recovery(redis: RedisServer, pg: PgServer, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    cluster = _cluster(redis, pg, tmp)
    runs: list[dict[str, Any]] = []
    try:
        _start_producer(cluster)
        _start_workers(cluster, [1, 2])
        _warm(cluster, 2, "aufwaermen")
        job_times = []
        for k in range(3):  # one job on a warm, idle cluster: its time drop → bundle
            time.sleep(1)
            start = _drop_batch(cluster, [f"auftragszeit-{k}.json"])
            job_times.append(_wait_bundles(cluster.outbox, [f"auftragszeit-{k}"], 60, poll=0.01) - start)
        job_time = max(job_times)
        for k in range(args.recoveries):
            name = f"erholung-{k}.json"
            _drop_batch(cluster, [name])
            deadline = time.monotonic() + 60
            pid = None
            while pid is None and time.monotonic() < deadline:
                pid = _job_owner_pid(cluster, name)
                time.sleep(0.01)
            if pid is None:
                raise RuntimeError(f"{name} lief nie\n{cluster.logs()}")
            victim = next(i for i, p in cluster.workers.items() if p.pid == _parent_of(pid))
            os.killpg(cluster.workers[victim].pid, signal.SIGKILL)  # the whole worker: main and job process
            killed = time.monotonic()
            cluster.workers[victim].wait()
            recovered = _wait_bundles(cluster.outbox, [Path(name).stem], 180, poll=0.02) - killed
            runs.append({"sekunden": round(recovered, 2), "getoetet": f"worker{victim}"})
            _start_workers(cluster, [victim])
            _warm(cluster, 2, f"aufwaermen-{k}")
        _finish(cluster)
        attempts = {r[1]: r[3] for r in cluster.rows()}
    finally:
        cluster.stop_all()
    worst = max(r["sekunden"] for r in runs)
    bound = LEASE_SECONDS + job_time + 10
    return {"laeufe": runs, "max_s": worst, "lease_s": LEASE_SECONDS, "auftragszeit_s": round(job_time, 2),
            "grenze_s": round(bound, 2), "erfuellt": worst <= bound,
            "versuche": [attempts[f"erholung-{k}.json"] for k in range(args.recoveries)],
            "hinweis": "kill -9 der Prozessgruppe des Workers, sobald das Auftragsbuch den Auftrag als laufend "
                       "zeigt; gemessen bis das Paket im Ausgang liegt (Lease läuft ab, der Abgleich im "
                       "Verteiler sendet neu, der andere Worker übernimmt); Auftragszeit = längste von 3 "
                       "Einzelmessungen Ablegen → Paket"}


def _watch_env(root: Path, pki: Pki) -> dict[str, str]:
    env = clean_env(root / "zustand")
    env.update({"DOCGEN_INBOX": str(root / "eingang"), "DOCGEN_OUTBOX": str(root / "ausgang"),
                "DOCGEN_WORKERS": "2", "DOCGEN_STABLE_SECONDS": STABLE_SECONDS, "DOCGEN_POLL": "0.1",
                "DOCGEN_SEAL_CERT": str(pki.seal_p12), "DOCGEN_SEAL_PASSPHRASE": pki.passphrase})
    return env


class _Watch:
    """Today's one-machine ``docgen watch`` with 2 processes, no broker (as bench/hotfolder.py runs it)."""

    def __init__(self, tmp: Path) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="dgw-", dir=tmp))
        for folder in ("eingang", "ausgang", "zustand"):
            (self.root / folder).mkdir()
        self.pki = make_pki(self.root / "pki")
        self.log = self.root / "watch.log"
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "docgen", "watch"], env=_watch_env(self.root, self.pki),
                                         stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 60
        while "docgen watch:" not in self.log.read_text(errors="replace"):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"docgen watch startet nicht: {self.log.read_text(errors='replace')}")
            time.sleep(0.1)

    @property
    def outbox(self) -> Path:
        return self.root / "ausgang"

    def drop(self, name: str, source: Path) -> None:
        tmp = self.root / "eingang" / f".{name}.tmp"
        shutil.copyfile(source, tmp)
        os.replace(tmp, self.root / "eingang" / name)

    def stop(self) -> int:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
        return self.proc.wait(timeout=120)


def part_libreoffice(redis: RedisServer, pg: PgServer, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    inputs = write_inputs(tmp / "eingaben", args.n_lo + 2)
    warmup, batch = inputs[:2], inputs[2:]
    cluster = _cluster(redis, pg, tmp)
    watch: _Watch | None = None
    rounds: list[dict[str, Any]] = []

    def on_watch(label: str) -> None:
        assert watch is not None
        start = time.monotonic()
        for path in batch:
            watch.drop(f"{label}-{path.name}", path)
        end = _wait_bundles(watch.outbox, [f"{label}-{p.stem}" for p in batch], 60 + 10 * len(batch))
        rounds.append({"seite": "watch_2_prozesse", "sekunden": round(end - start, 2), "last": os.getloadavg()[0]})

    def on_workers(label: str) -> None:
        names = [f"{label}-{p.name}" for p in batch]
        start = _drop_batch(cluster, names, sources={f"{label}-{p.name}": p for p in batch})
        end = _wait_bundles(cluster.outbox, [Path(n).stem for n in names], 60 + 10 * len(batch))
        cluster.wait_settled(60)
        rounds.append({"seite": "2_worker_x_1", "sekunden": round(end - start, 2), "last": os.getloadavg()[0]})

    try:
        _start_producer(cluster)
        _start_workers(cluster, [1, 2])
        _warm(cluster, 2, "aufwaermen", warmup[0])
        watch = _Watch(tmp)
        for path in warmup:
            watch.drop(f"aufwaermen-{path.name}", path)
        _wait_bundles(watch.outbox, [f"aufwaermen-{p.stem}" for p in warmup], 180)
        steps: list[tuple[Callable[[str], None], str]] = [
            (on_watch, "r1"), (on_workers, "r2"), (on_workers, "r3"), (on_watch, "r4")]
        for step, label in steps:
            time.sleep(2)
            step(label)
        watch_code = watch.stop()
        _finish(cluster)
    finally:
        cluster.stop_all()
        if watch is not None:
            watch.stop()
    if watch_code != 0:
        raise RuntimeError(f"docgen watch endete mit {watch_code}")
    dist = sum(r["sekunden"] for r in rounds if r["seite"] == "2_worker_x_1") / 2
    local = sum(r["sekunden"] for r in rounds if r["seite"] == "watch_2_prozesse") / 2
    ratio = local / dist  # throughput of the workers relative to watch
    return {"dateien_je_runde": len(batch), "runden": rounds, "worker_2x1_s": round(dist, 2),
            "watch_2_s": round(local, 2), "worker_dateien_je_s": round(len(batch) / dist, 2),
            "watch_dateien_je_s": round(len(batch) / local, 2), "faktor": round(ratio, 2), "ziel_faktor": 0.9,
            "erfuellt": ratio >= 0.9,
            "hinweis": "dieselben erzeugten Beschlussvorlagen (bench/generate.py) mit Siegel auf beiden Seiten; "
                       "Faktor = Durchsatz der Worker / Durchsatz von docgen watch; Runden watch, Worker, Worker, "
                       "watch"}


def _verify_all(cluster: Cluster) -> list[list[Any]]:
    """``api.verify`` on every bundle in the outbox, with the workers' settings; the failures."""
    code = ("import json, sys\nfrom pathlib import Path\nfrom docgen import api\n"
            "settings = api.load_settings(None, {})\nbad = []\n"
            "for name in sys.argv[1:]:\n"
            "    verdict = api.verify(Path(name), settings)\n"
            "    if not verdict.ok:\n        bad.append([Path(name).name, verdict.reasons])\n"
            "print(json.dumps(bad))\n")
    bundles = sorted(str(p) for p in cluster.outbox.glob("*.pdf"))
    done = subprocess.run([sys.executable, "-c", code, *bundles], env=cluster.host_env(0), capture_output=True,
                          text=True, check=True, timeout=1800)
    return list(json.loads(done.stdout.strip().splitlines()[-1]))


def part_kills(redis: RedisServer, pg: PgServer, tmp: Path, args: argparse.Namespace) -> dict[str, Any]:
    cluster = _cluster(redis, pg, tmp)
    n = args.n_kills
    try:
        _start_producer(cluster)
        _start_workers(cluster, [1, 2, 3])
        _warm(cluster, 3, "aufwaermen")
        names = [f"vorlage-{i:03d}.json" for i in range(n)]
        start, kills, victim = time.monotonic(), 0, 1
        _drop_batch(cluster, names)
        deadline = start + 120 + 5 * n
        wanted = set(names)
        while time.monotonic() < deadline:  # until the ledger has every file finished (a bundle may be -v2)
            if sum(1 for r in cluster.rows() if r[1] in wanted and r[2] in ("fertig", "fehlgeschlagen")) >= n:
                break
            if time.monotonic() - start > (kills + 1) * args.kill_every:
                os.killpg(cluster.workers[victim].pid, signal.SIGKILL)
                cluster.workers[victim].wait()
                cluster.start_worker(victim)
                kills += 1
                victim = victim % 3 + 1
            time.sleep(0.2)
        seconds = time.monotonic() - start
        cluster.wait_settled(180)
        cluster.stop_all()
        inbox = cluster.inbox
        filed = {p.name for d in ("processed", "failed") for p in (inbox / d).glob("*.json")
                 if not p.name.endswith(".fehler.json")}
        receipts = [json.loads(p.read_text(encoding="utf-8")) for p in cluster.outbox.glob("*.receipt.json")]
        bundles = [p.stem for p in cluster.outbox.glob("*.pdf")]
        per_input = {Path(x).stem: sum(1 for b in bundles if re.fullmatch(rf"{Path(x).stem}(-v\d+)?", b))
                     for x in cluster.names}
        lost = sum(1 for x in cluster.names if x not in filed or per_input[Path(x).stem] == 0)
        duplicated = sum(c - 1 for c in per_input.values() if c > 1) + (
            len(receipts) - len({r["auftrag"] for r in receipts}))
        renamed = sorted(b for b in bundles if f"{b}.json" not in cluster.names)
        orphans = sorted(d.name for d in cluster.outbox.iterdir()
                         if d.is_dir() and not (cluster.outbox / f"{d.name}.receipt.json").exists())
        failures = _verify_all(cluster)
        rows = cluster.rows()
        cluster.assert_settled()
    finally:
        cluster.stop_all()
    rows_main = [r for r in rows if r[1] in set(names)]
    return {"dateien": n, "worker": 3, "kill_alle_s": args.kill_every, "kills": kills,
            "sekunden_bis_letztes_paket": round(seconds, 1), "dateien_je_s": round(n / seconds, 2),
            "verloren": lost, "doppelt": duplicated, "pakete": len(bundles),
            "umbenannt": renamed, "verwaiste_ordner": orphans, "geprueft": len(bundles),
            "pruefung_fehlgeschlagen": len(failures), "fehler": failures[:5],
            "fertig_zeilen": sum(1 for r in rows_main if r[2] == "fertig"),
            "mehrere_versuche": sum(1 for r in rows_main if r[3] > 1),
            "hoechster_versuch": max(r[3] for r in rows_main),
            "erfuellt": lost == 0 and duplicated == 0 and not failures,
            "hinweis": "kill -9 der ganzen Prozessgruppe eines Workers, reihum, sofort neu gestartet; geprüft mit "
                       "api.verify (wie docgen verify) auf jedem Paket im Ausgang (auch den 3 Aufwärm-Paketen); "
                       "umbenannt = Pakete nicht unter dem Namen der Eingabe (-vN), verwaiste_ordner = Ordner im "
                       "Ausgang ohne Beleg (ein Versuch, der mitten in der Veröffentlichung getötet wurde)"}


# What bounds a figure when it misses its target (shown in the report only then).
EXPLANATIONS = {
    "latenz": "Die Leerlauf-Latenz enthält stable_seconds (hier 0,3 s), den Takt des Verteilers (0,1 s), "
              "die Zustellung über Redis, zwei Konvertierungen (Dokument und Freigabevermerk), Zusammenstellen "
              "und Siegeln; auf 2 Kernen unter fremder Last wächst vor allem die Konvertierung. / Idle "
              "latency includes the stability delay, the producer's tick, Redis delivery, two conversions, "
              "assembling and sealing; on 2 loaded cores the conversions grow.",
    "skalierung": "Je Auftrag kommen zum Schlaf Lease, Herzschlag-Thread, Fence (SELECT … FOR UPDATE), "
                  "Veröffentlichung mit fsync und Celery-Quittung hinzu; dieser feste Anteil und die Stabilitätsfrist "
                  "des Verteilers (einmal je Runde) teilen sich nicht durch 3. / Per-job overhead (lease, fence, "
                  "fsync'd publish, ack) and the producer's fixed stability delay do not divide by 3.",
    "erholung": "Die Erholung ist nach unten durch die Lease (lease_seconds) plus den Abgleichtakt des Verteilers "
                "(lease_seconds / 3) begrenzt, dann läuft der Auftrag erneut. / Bounded below by the lease plus the "
                "reconciler's period, then the job runs again.",
    "libreoffice": "Beide Seiten teilen sich dieselben 2 Kerne; die Worker zahlen zusätzlich Redis, PostgreSQL, "
                   "den Verteiler-Prozess und die abgesicherte Veröffentlichung (Staging, Kopie in den Ausgang). "
                   "Mehr als die 2 Kerne kann dieser Rechner nicht zeigen. / Both sides share the same 2 cores; the "
                   "workers also pay for Redis, PostgreSQL, the producer and the staged, fenced publish.",
    "kills": "Siehe fehler/verloren/doppelt im Teil kills. / See the errors in part kills.",
}

# Seen in a run and not visible in the figures of a later one: kept in the report until fixed.
FINDINGS = [
    "Gesamtlauf 2026-11-30 22:30, Teil kills (danach abgebrochen, weil das Messskript auf den Paketnamen wartete): "
    "ein Worker wurde mitten in der Veröffentlichung von vorlage-142 getötet; im Ausgang blieb der Ordner "
    "vorlage-142/ ohne Beleg und ohne Paket, der zweite Versuch veröffentlichte als vorlage-142-v2.pdf. Nichts "
    "verloren, nichts doppelt, aber ein verwaister Teilordner und ein anderer Name (docgen/intake/remote.py: "
    "_earlier_publish erkennt nur einen Beleg, keinen halb übertragenen Ordner). / A worker killed during the "
    "publish left a folder without receipt in the outbox; the retry published under -v2.",
]

RUNNERS: dict[str, Callable[[RedisServer, PgServer, Path, argparse.Namespace], dict[str, Any]]] = {
    "latenz": part_latency, "skalierung": part_scaling, "erholung": part_recovery,
    "libreoffice": part_libreoffice, "kills": part_kills}


# --- report ----------------------------------------------------------------------------------------------


def _yes(ok: bool) -> str:
    return "ja" if ok else "**nein**"


def _markdown(results: dict[str, Any]) -> str:
    lines = ["# bench/distributed.py: docgen auf mehreren Rechnern (Worker als Prozesse auf einem Rechner)", "",
             "Alle Teile: `.venv/bin/python bench/distributed.py`; ein Teil allein: `--only TEIL`. Jeder Teil "
             "nennt unten seinen Befehl, die Zeit und die Last des Rechners (`uptime`) vorher/nachher. "
             f"Rechner: {os.cpu_count()} Kerne.", ""]
    table = ["| Kennzahl | gemessen | Ziel | erfüllt |", "| --- | ---: | ---: | :---: |"]
    lat = results.get("latenz")
    if lat:
        table.append(f"| Leerlauf: Ablegen → Paket (max von {len(lat['laeufe_s'])}) | {lat['max_s']} s "
                     f"(Median {lat['median_s']} s) | ≤ 2,0 s | {_yes(lat['erfuellt'])} |")
        if "erster_s" in lat:
            table.append(f"| Erster Auftrag, {FIRST_AFTER_S:g} s nach dem Start der Worker: Ablegen → Paket | "
                         f"{lat['erster_s']} s | — | — |")
    sca = results.get("skalierung")
    if sca:
        table.append(f"| Verteilung, Auftrag = {sca['schlaf_s']} s Schlaf, {sca['dateien']} Dateien: 3 Worker / "
                     f"1 Worker | {sca['faktor']} × ({sca['ein_worker_s']} s / {sca['drei_worker_s']} s) | ≥ 2,7 × "
                     f"| {_yes(sca['erfuellt'])} |")
    rec = results.get("erholung")
    if rec:
        table.append(f"| Erholung nach kill -9 eines Workers (max von {len(rec['laeufe'])}) | {rec['max_s']} s | "
                     f"≤ {rec['grenze_s']} s (Lease {rec['lease_s']} + Auftrag {rec['auftragszeit_s']} + 10) | "
                     f"{_yes(rec['erfuellt'])} |")
    lo = results.get("libreoffice")
    if lo:
        table.append(f"| Echtes LibreOffice, {lo['dateien_je_runde']} Dateien: 2 Worker × 1 / `docgen watch` mit 2 "
                     f"| {lo['faktor']} × ({lo['worker_dateien_je_s']} / {lo['watch_dateien_je_s']} Dateien/s) | "
                     f"≥ 0,9 × | {_yes(lo['erfuellt'])} |")
    kil = results.get("kills")
    if kil:
        table.append(f"| {kil['dateien']} Vorlagen, 3 Worker, alle {kil['kill_alle_s']:g} s einer getötet "
                     f"({kil['kills']} Kills) | verloren {kil['verloren']}, doppelt {kil['doppelt']}, "
                     f"Prüfung fehlgeschlagen {kil['pruefung_fehlgeschlagen']} von {kil['geprueft']}; umbenannt "
                     f"{len(kil.get('umbenannt', []))}, verwaiste Ordner {len(kil.get('verwaiste_ordner', []))} | "
                     f"0 / 0 / 0 | {_yes(kil['erfuellt'])} |")
    lines += [*table, ""]
    notes = results.get("erklaerungen", {})
    for part in PARTS:
        if part in results and not results[part].get("erfuellt", True) and part in notes:
            lines += [f"**{part} – Ziel verfehlt:** {notes[part]}", ""]
    if FINDINGS:
        lines += ["## Beobachtungen", "", *(f"- {f}" for f in FINDINGS), ""]
    lines += ["## Teile", ""]
    for part in PARTS:
        if part in results:
            entry = results[part]
            lines += [f"### {part}", "", f"`{entry['befehl']}` – {entry['zeit']}", "",
                      f"- Last vorher: `{entry['last_vorher']}`", f"- Last nachher: `{entry['last_nachher']}`", "",
                      "```json", json.dumps({k: v for k, v in entry.items()
                                             if k not in ("befehl", "zeit", "last_vorher", "last_nachher")},
                                            indent=2, ensure_ascii=False), "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(PARTS), help=f"Teile, durch Komma getrennt: {', '.join(PARTS)}")
    parser.add_argument("--latency-runs", type=int, default=5)
    parser.add_argument("--n-scaling", type=int, default=30)
    parser.add_argument("--sleep", type=float, default=0.5)
    parser.add_argument("--recoveries", type=int, default=3)
    parser.add_argument("--n-lo", type=int, default=30)
    parser.add_argument("--n-kills", type=int, default=200)
    parser.add_argument("--kill-every", type=float, default=20.0)
    parser.add_argument("--report", action="store_true", help="nur den Bericht aus distributed.json neu schreiben")
    args = parser.parse_args()
    chosen = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in chosen if p not in PARTS]
    if unknown:
        parser.error(f"unbekannte Teile: {', '.join(unknown)}")
    if args.report:
        results = json.loads((RESULTS / "distributed.json").read_text(encoding="utf-8"))
        results["erklaerungen"] = EXPLANATIONS
        (RESULTS / "distributed.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n",
                                                  encoding="utf-8")
        (RESULTS / "distributed.md").write_text(_markdown(results), encoding="utf-8")
        return
    command = " ".join([".venv/bin/python", "bench/distributed.py", *(shlex.quote(a) for a in sys.argv[1:])])
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: still stop the servers and workers
    tmp = Path(tempfile.mkdtemp(prefix="dgs-", dir="/tmp"))  # unix socket paths must stay short
    os.chmod(tmp, 0o755)
    (tmp / "redis").mkdir()
    (tmp / "pg").mkdir()
    redis, pg = RedisServer(tmp / "redis"), PgServer(tmp / "pg")
    redis.start()
    pg.start()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "distributed.json"
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(results, dict) or "erklaerungen" not in results:
            results = {}  # the old layout
    except (OSError, ValueError):
        results = {}
    results["erklaerungen"] = EXPLANATIONS
    try:
        for part in chosen:
            before, when = _uptime(), _now()
            print(f"== {part} ({when}; {before})", flush=True)
            try:
                entry = RUNNERS[part](redis, pg, tmp, args)
            except Exception as exc:  # one broken part must not hide the others; its error is the result
                entry = {"fehler": f"{type(exc).__name__}: {exc}"[-8000:], "erfuellt": False}
            entry = {"befehl": command, "zeit": when, "last_vorher": before, "last_nachher": _uptime(), **entry}
            results[part] = entry
            print(json.dumps(entry, indent=2, ensure_ascii=False), flush=True)
            path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            (RESULTS / "distributed.md").write_text(_markdown(results), encoding="utf-8")
    finally:
        redis.kill()
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
