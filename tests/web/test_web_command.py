"""``docgen web`` as IT staff run it: announced when ready, stopped by SIGTERM (systemctl stop) cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import clean_env

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_web_stopped_by_a_signal_ends_cleanly_with_exit_0(tmp_path: Path, sig: signal.Signals) -> None:
    for name in ("inbox", "outbox", "state"):
        (tmp_path / name).mkdir()
    env = clean_env(tmp_path / "state")
    env.update(DOCGEN_INBOX=str(tmp_path / "inbox"), DOCGEN_OUTBOX=str(tmp_path / "outbox"))
    port = _free_port()
    log = tmp_path / "web.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "docgen", "web", "--port", str(port)], env=env,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while "bereit unter" not in log.read_text(encoding="utf-8"):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text(encoding="utf-8")
            time.sleep(0.2)
        # "bereit" is said only once the app has started: the server answers right away
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/gesund", timeout=10) as answer:
            assert answer.status == 200
        server.send_signal(sig)
        code = server.wait(60)
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)
    text = log.read_text(encoding="utf-8")
    assert code == 0, text
    assert "Traceback" not in text and "Interrupted" not in text, text
    assert text.splitlines()[0] == "docgen web: LibreOffice wird gestartet …"
    assert f"docgen web: bereit unter http://127.0.0.1:{port}/" in text
    assert text.rstrip().endswith("docgen web beendet."), text
    deadline = time.monotonic() + 10
    while not _group_gone(server.pid) and time.monotonic() < deadline:  # LibreOffice stopped, not left behind
        time.sleep(0.2)
    assert _group_gone(server.pid)


def _web(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    for name in ("inbox", "outbox", "state"):
        (tmp_path / name).mkdir(exist_ok=True)
    full = clean_env(tmp_path / "state")
    full.update(DOCGEN_INBOX=str(tmp_path / "inbox"), DOCGEN_OUTBOX=str(tmp_path / "outbox"), **env)
    return subprocess.run([sys.executable, "-m", "docgen", "web", *args], env=full, capture_output=True, text=True,
                          timeout=120)


def test_a_port_in_use_is_said_before_libreoffice_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _web(tmp_path, "--port", str(port))
    assert result.returncode == 9, result.stderr
    assert result.stderr == (f"docgen web: 127.0.0.1:{port} ist nicht nutzbar (Adresse schon belegt). Läuft dort "
                             "schon ein anderer Dienst? Bitte web_port oder web_host ändern (oder --port).\n")


def test_without_libreoffice_the_start_is_refused_in_german(tmp_path: Path) -> None:
    result = _web(tmp_path, "--port", str(_free_port()), DOCGEN_SOFFICE=str(tmp_path / "kein-soffice"))
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr and "startup failed" not in result.stderr
    assert result.stderr.startswith(f"LibreOffice ({tmp_path / 'kein-soffice'}) wurde nicht gefunden.")
