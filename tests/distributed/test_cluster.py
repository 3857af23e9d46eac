"""docgen past one machine with the real servers: workers as hosts, faults, nothing lost or twice.

Each test ends with the same check: every input in processed/ or failed/, one bundle and one
``fertig`` row per processed input, no LibreOffice left running.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.distributed.conftest import Cluster, soffice_processes

pytestmark = pytest.mark.slow


def _wait_for(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what}: nicht eingetreten nach {timeout} s")


def _running(cluster: Cluster) -> list[tuple[str, str, str, int]]:
    return [r for r in cluster.rows() if r[2] == "laeuft"]


def test_happy_path_two_hosts(cluster: Cluster) -> None:
    cluster.start_worker(1)
    cluster.start_worker(2)
    cluster.start_producer()
    for n in range(4):
        cluster.drop(f"vorlage-{n}.json")
    cluster.wait_settled(120)
    cluster.stop_all()
    assert all(p.returncode == 0 for p in cluster.workers.values()), cluster.logs()
    cluster.assert_settled()


def test_worker_killed_mid_job(cluster: Cluster) -> None:
    cluster.start_worker(1)
    cluster.start_producer()
    cluster.drop("vorlage-a.json")
    _wait_for(lambda: _running(cluster), 60, "Auftrag läuft")
    os.killpg(cluster.workers[1].pid, signal.SIGKILL)  # the whole host: main process and job process
    cluster.workers[1].wait()
    cluster.start_worker(2)
    cluster.drop("vorlage-b.json")
    cluster.wait_settled(90)
    cluster.stop_all()
    cluster.assert_settled()


def test_job_longer_than_visibility_timeout(cluster: Cluster) -> None:
    cluster.env["DOCGEN_VISIBILITY_TIMEOUT"] = "4"
    cluster.start_worker(1, DOCGEN_TEST_LANGSAM="9")
    cluster.start_worker(2, DOCGEN_TEST_LANGSAM="9")
    cluster.start_producer()
    cluster.drop("langsam.json")
    cluster.wait_settled(90)
    cluster.stop_all()
    cluster.assert_settled()
    logs = cluster.logs()
    assert "doppelte Nachricht verworfen" in logs  # the broker's redelivery met the lease


def test_poison_input_exactly_max_attempts(cluster: Cluster) -> None:
    cluster.start_worker(1)
    cluster.start_producer()
    cluster.drop("gift.json")
    cluster.drop("vorlage.json")
    cluster.wait_settled(120)
    cluster.stop_all()
    cluster.assert_settled(failed={"gift.json"})
    poison = next(r for r in cluster.rows() if r[1] == "gift.json")
    assert poison[3] == 4  # three runs that died, the fourth claim files it
    report = (cluster.inbox / "failed" / "gift.fehler.txt").read_text(encoding="utf-8")
    assert "3-mal begonnen und nie beendet" in report


def test_redis_killed_and_restarted(cluster: Cluster) -> None:
    cluster.start_worker(1)
    cluster.start_producer()
    for n in range(3):
        cluster.drop(f"vorlage-{n}.json")
    _wait_for(lambda: _running(cluster), 60, "Auftrag läuft")
    cluster.redis.kill()
    time.sleep(2)
    cluster.redis.start()
    cluster.wait_settled(120)
    cluster.stop_all()
    cluster.assert_settled()


def test_redis_restarted_empty(cluster: Cluster) -> None:
    cluster.start_producer()
    for n in range(2):
        cluster.drop(f"vorlage-{n}.json")
    _wait_for(lambda: len(cluster.rows()) == 2, 30, "Aufträge genommen")
    cluster.redis.restart(wipe=True)  # the messages are gone; the ledger still knows the jobs
    cluster.start_worker(1)
    cluster.wait_settled(120)
    cluster.stop_all()
    cluster.assert_settled()


def test_postgresql_restarted_mid_run(cluster: Cluster) -> None:
    cluster.start_worker(1)
    cluster.start_producer()
    for n in range(3):
        cluster.drop(f"vorlage-{n}.json")
    _wait_for(lambda: _running(cluster), 60, "Auftrag läuft")
    cluster.pg.restart()
    cluster.wait_settled(120)
    cluster.stop_all()
    cluster.assert_settled()


def test_paused_past_lease_publishes_nothing(cluster: Cluster) -> None:
    cluster.start_worker(1)
    cluster.start_producer()
    cluster.drop("vorlage.json")
    _wait_for(lambda: _running(cluster), 60, "Auftrag läuft")
    os.killpg(cluster.workers[1].pid, signal.SIGSTOP)
    cluster.start_worker(2)
    cluster.wait_settled(90)  # host 2 took over after the lease lapsed and published
    os.killpg(cluster.workers[1].pid, signal.SIGCONT)
    time.sleep(8)  # host 1 finishes its copy; its fence must refuse
    cluster.stop_all()
    cluster.assert_settled()
    rows = cluster.rows()
    assert rows[0][3] == 2


@pytest.mark.skipif(os.geteuid() != 0 or not os.path.exists("/usr/bin/unshare"), reason="braucht root/unshare")
def test_disk_full_on_one_host(cluster: Cluster) -> None:
    state = cluster.state(2)
    state.mkdir()
    # Host 2's state directory: a tiny tmpfs in a private mount namespace, filled up.
    script = (f'mount -t tmpfs -o size=8m tmpfs {state} && dd if=/dev/zero of={state}/voll bs=1M count=7 '
              '2>/dev/null; exec "$@"')
    cluster.start_worker(2, wrapper=["unshare", "-m", "sh", "-c", script, "sh"])
    cluster.start_worker(1)
    cluster.start_producer()
    for n in range(3):
        cluster.drop(f"vorlage-{n}.json")
    cluster.wait_settled(90)
    cluster.stop_all()
    cluster.assert_settled()
    assert "nimmt keine Aufträge mehr an" in (cluster.root / "worker2.log").read_text(errors="replace")


def test_worker_refuses_without_seal(cluster: Cluster) -> None:
    env = cluster.host_env(3)
    env.pop("DOCGEN_SEAL_CERT")
    cluster.state(3).mkdir()
    done = subprocess.run([sys.executable, "-m", "docgen", "worker"], env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 9, done.stderr
    assert "kein Siegel" in done.stderr and "Traceback" not in done.stderr


def _parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rpartition(")")[2].split()[1])


def test_job_process_killed_mid_job(cluster: Cluster) -> None:
    cluster.start_worker(1, DOCGEN_TEST_LANGSAM="6")  # "langsam" inputs run 6 s longer: surely mid-job
    cluster.start_producer()
    cluster.drop("langsam-a.json")
    _wait_for(lambda: cluster.lease_owner("langsam-a.json"), 60, "Auftrag läuft")
    owner = cluster.lease_owner("langsam-a.json")
    assert owner is not None
    job_pid = int(owner.rpartition(":")[2])
    main_pid = cluster.workers[1].pid
    assert job_pid != main_pid and _parent_of(job_pid) == main_pid  # a pool child, not the worker itself
    os.kill(job_pid, signal.SIGKILL)  # only the job process; the worker lives on and forks a new one
    cluster.drop("vorlage-b.json")
    cluster.wait_settled(120)
    assert cluster.workers[1].poll() is None, cluster.logs()  # the same worker finished both
    cluster.stop_all()
    assert cluster.workers[1].returncode == 0, cluster.logs()
    cluster.assert_settled()
    killed = next(r for r in cluster.rows() if r[1] == "langsam-a.json")
    assert killed[3] == 2  # the killed attempt, then one that published


def test_worker_starts_libreoffice_before_its_first_job(cluster: Cluster) -> None:
    cluster.start_worker(1)  # no producer, nothing dropped: no job reaches it
    log = cluster.root / "worker1.log"
    _wait_for(lambda: "LibreOffice-Prozess 0 gestartet" in log.read_text(errors="replace"), 60,
              "LibreOffice des Auftragsprozesses bereit")
    assert soffice_processes(cluster.state(1))
    cluster.stop_all()
    assert cluster.workers[1].returncode == 0, cluster.logs()
    assert cluster.soffice_left() == []


def test_worker_stopped_while_its_libreoffice_starts_leaves_none(cluster: Cluster) -> None:
    cluster.start_worker(1)
    _wait_for(lambda: soffice_processes(cluster.state(1)), 60, "LibreOffice des Auftragsprozesses startet")
    cluster.stop_all()  # at once: LibreOffice is still loading (start and German hyphenation take seconds)
    assert cluster.workers[1].returncode == 0, cluster.logs()
    assert cluster.soffice_left() == []
