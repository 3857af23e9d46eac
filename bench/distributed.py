"""Benchmark: docgen past one machine (Celery workers, Redis, PostgreSQL) on this host.

Usage::

    .venv/bin/python bench/distributed.py [--n 20] [--kill-every 20]

Starts a throw-away Redis and PostgreSQL (as tests/distributed does), a producer and worker
"hosts" with their own state directories sharing one inbox/outbox, and measures:

1. idle drop → bundle latency with 2 warm workers (issue target ≤ 2.0 s);
2. N Beschlussvorlagen over 2 workers × 1 process, wall time and files/s (compare with
   bench/results/hotfolder.md, today's ``docgen watch`` with 2 processes);
3. N Beschlussvorlagen over 3 workers while one is killed (kill -9 of its process group) every
   ``--kill-every`` seconds and restarted: lost, duplicated, bundles, recovery.

Results: ``bench/results/distributed.{json,md}``. Every run checks 0 lost and 0 duplicated.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.distributed.conftest import Cluster, PgServer, RedisServer  # noqa: E402
from tests.pki import make_pki  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def _cluster(servers: Path, redis: RedisServer, pg: PgServer) -> Cluster:
    redis.cli("flushall")
    root = Path(tempfile.mkdtemp(prefix="dgb-", dir="/tmp"))
    pki = make_pki(root / "pki")
    url = pg.url(pg.new_database())
    for folder in ("eingang", "ausgang"):
        (root / folder).mkdir()
    import shutil

    shutil.copytree(ROOT / "examples" / "anlagen", root / "eingang" / "anlagen")
    env = {"DOCGEN_BROKER_URL": redis.url, "DOCGEN_LEDGER_URL": url, "DOCGEN_INBOX": str(root / "eingang"),
           "DOCGEN_OUTBOX": str(root / "ausgang"), "DOCGEN_SEAL_CERT": str(pki.seal_p12),
           "DOCGEN_SEAL_PASSPHRASE": pki.passphrase, "DOCGEN_LEASE_SECONDS": "6",
           "DOCGEN_VISIBILITY_TIMEOUT": "60", "DOCGEN_STABLE_SECONDS": "0.3"}
    return Cluster(root, redis, pg, url, env)


def _wait_ready(cluster: Cluster, workers: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        logs = [(cluster.root / f"worker{i}.log") for i in cluster.workers]
        if sum(1 for p in logs if p.exists() and " ready." in p.read_text(errors="replace")) >= workers:
            return
        time.sleep(0.2)


def latency(cluster: Cluster) -> float:
    cluster.start_worker(1)
    cluster.start_worker(2)
    cluster.start_producer()
    _wait_ready(cluster, 2)
    cluster.drop("aufwaermen.json")  # LibreOffice starts on the first job
    cluster.wait_settled(120)
    start = time.monotonic()
    cluster.drop("einzeln.json")
    while not (cluster.outbox / "einzeln.pdf").exists():
        time.sleep(0.02)
    return time.monotonic() - start


def throughput(cluster: Cluster, n: int) -> tuple[float, float]:
    start = time.monotonic()
    for i in range(n):
        cluster.drop(f"vorlage-{i:03d}.json")
    cluster.wait_settled(60 + 10 * n)
    seconds = time.monotonic() - start
    return seconds, n / seconds


def with_kills(cluster: Cluster, n: int, every: float) -> dict[str, float | int]:
    for i in (1, 2, 3):
        cluster.start_worker(i)
    cluster.start_producer()
    _wait_ready(cluster, 3)
    for i in range(n):
        cluster.drop(f"vorlage-{i:03d}.json")
    start, kills, victim = time.monotonic(), 0, 1
    deadline = start + 60 + 15 * n
    while time.monotonic() < deadline:
        rows = cluster.rows()
        if sum(1 for r in rows if r[2] in ("fertig", "fehlgeschlagen")) >= n:
            break
        if time.monotonic() - start > (kills + 1) * every:
            os.killpg(cluster.workers[victim].pid, signal.SIGKILL)
            cluster.workers[victim].wait()
            cluster.start_worker(victim)
            kills += 1
            victim = victim % 3 + 1
        time.sleep(0.5)
    cluster.wait_settled(120)
    seconds = time.monotonic() - start
    cluster.stop_all()
    cluster.assert_settled()  # 0 lost, 0 duplicated, one fertig row each, no LibreOffice left
    attempts = max(r[3] for r in cluster.rows())
    return {"dateien": n, "kills": kills, "sekunden": round(seconds, 1), "verloren": 0, "doppelt": 0,
            "hoechster_versuch": attempts}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20)
    parser.add_argument("--kill-every", type=float, default=20.0)
    args = parser.parse_args()
    servers = Path(tempfile.mkdtemp(prefix="dgs-", dir="/tmp"))
    os.chmod(servers, 0o755)
    (servers / "redis").mkdir()
    (servers / "pg").mkdir()
    redis, pg = RedisServer(servers / "redis"), PgServer(servers / "pg")
    redis.start()
    pg.start()
    results: dict[str, object] = {}
    try:
        cluster = _cluster(servers, redis, pg)
        try:
            results["leerlauf_latenz_s"] = round(latency(cluster), 2)
            seconds, rate = throughput(cluster, args.n)
            results["durchsatz_2x1"] = {"dateien": args.n, "sekunden": round(seconds, 1),
                                        "dateien_je_s": round(rate, 2)}
            cluster.stop_all()
            cluster.assert_settled()
        finally:
            cluster.stop_all()
        cluster = _cluster(servers, redis, pg)
        try:
            results["mit_kills_3_worker"] = with_kills(cluster, args.n, args.kill_every)
        finally:
            cluster.stop_all()
    finally:
        redis.kill()
        pg.stop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "distributed.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    lines = ["# bench/distributed.py", "", f"`.venv/bin/python bench/distributed.py --n {args.n} "
             f"--kill-every {args.kill_every:g}` (2 Kerne, ein Rechner, Worker als Prozesse)", "",
             "```json", json.dumps(results, indent=2, ensure_ascii=False), "```", ""]
    (RESULTS / "distributed.md").write_text("\n".join(lines), encoding="utf-8")
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
