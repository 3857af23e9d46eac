"""A one-off ``docgen render`` uses the warm LibreOffice of a ``docgen watch`` of the same installation.

The daemon writes where its conversion service listens into ``<state_dir>/umwandlung.json``
(owner-only) while it runs; a render of the same state_dir and user converts there instead of
starting LibreOffice itself, and starts its own whenever that file cannot be used.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import secrets
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from docgen import __version__, api
from docgen.intake import procpool
from docgen.intake.procpool import OFFER_FILE, offered_service
from docgen.pipeline import JobResult
from docgen.settings import Settings
from docgen.stages.convert.pool import PoolClosed
from tests.conftest import EXAMPLES, SAMPLE_KOERPERSCHAFT
from tests.test_intake import DaemonProcess, VerboseDaemon, daemons, env_for, hotfolder, wait_until

__all__ = ["daemons", "hotfolder"]  # the fixtures, used by name below

BORROWED = "Umwandlung durch den laufenden Dienst docgen watch"
OWN_START = "LibreOffice-Prozess 0 gestartet"


def _render(folders: dict[str, Path], out: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "docgen", "-v", "render", str(EXAMPLES / "beschlussvorlage.json"),
                           "--out", str(out)], env=env_for(folders, **env), capture_output=True, text=True,
                          timeout=300)


BROKEN_SEAL = "das Siegelzertifikat (PKCS#12) lässt sich nicht öffnen."


@pytest.mark.slow
def test_render_converts_in_the_running_watch_and_alone_once_it_stopped(
        hotfolder: dict[str, Path], daemons: list[DaemonProcess], tmp_path: Path) -> None:
    leftover = hotfolder["state"] / "work" / "job-abgebrochen"  # of a render killed two days ago
    (leftover / "docs").mkdir(parents=True)
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(leftover, (two_days_ago, two_days_ago))
    daemon = VerboseDaemon(hotfolder, DOCGEN_WORKERS="1")
    daemons.append(daemon)
    wait_until(lambda: OWN_START in daemon.output(), 90, "the daemon's LibreOffice")
    assert not leftover.exists()
    assert "1 liegengebliebene Arbeitsordner" in daemon.output()
    offer = hotfolder["state"] / OFFER_FILE
    assert stat.S_IMODE(offer.stat().st_mode) == 0o600
    assert json.loads(offer.read_text(encoding="utf-8"))["pid"] == daemon.proc.pid

    borrowed = _render(hotfolder, tmp_path / "mit-dienst")
    assert borrowed.returncode == 0, borrowed.stderr
    assert f"{BORROWED} (PID {daemon.proc.pid})" in borrowed.stderr
    assert OWN_START not in borrowed.stderr  # no LibreOffice of its own
    bundle = tmp_path / "mit-dienst" / "beschlussvorlage.pdf"
    verified = subprocess.run([sys.executable, "-m", "docgen", "verify", str(bundle)], env=env_for(hotfolder),
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0 and "GÜLTIG" in verified.stdout, verified.stdout + verified.stderr
    assert "Umwandlung von" not in daemon.output()  # the service logged no failure
    # Beside the daemon the seal is opened while the job runs: one that cannot be opened fails the job
    # before anything is published, with the exit code and message a render alone gives (below).
    broken = tmp_path / "kaputt.p12"
    broken.write_bytes(b"kein PKCS#12")
    refused = _render(hotfolder, tmp_path / "kaputt-mit-dienst", DOCGEN_SEAL_CERT=str(broken))
    assert refused.returncode == 9 and BROKEN_SEAL in refused.stderr and BORROWED in refused.stderr, refused.stderr
    assert not (tmp_path / "kaputt-mit-dienst").exists()

    assert daemon.stop() == 0, daemon.output()
    assert not offer.exists()  # withdrawn with the service
    alone = _render(hotfolder, tmp_path / "ohne-dienst")
    assert alone.returncode == 0, alone.stderr
    assert BORROWED not in alone.stderr and OWN_START in alone.stderr
    assert (tmp_path / "ohne-dienst" / "beschlussvorlage.pdf").is_file()
    refused_alone = _render(hotfolder, tmp_path / "kaputt-allein", DOCGEN_SEAL_CERT=str(broken))
    assert refused_alone.returncode == 9 and BROKEN_SEAL in refused_alone.stderr, refused_alone.stderr
    assert not (tmp_path / "kaputt-allein").exists()


# -- when the offer cannot be used: no LibreOffice needed ----------------------------------------

@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    state = tmp_path / "zustand"
    state.mkdir()
    return Settings(state_dir=state)


class _Service:
    """A listener like the daemon's conversion service; ``answer`` False: it never accepts."""

    def __init__(self, *, answer: bool = True) -> None:
        self.key = secrets.token_bytes(32)
        self.name = f"docgen-test-{os.getpid()}-{secrets.token_hex(4)}"
        self.listener = multiprocessing.connection.Listener("\0" + self.name, family="AF_UNIX", authkey=self.key)
        if answer:
            threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        try:
            with self.listener.accept():
                pass
        except (OSError, multiprocessing.AuthenticationError):
            pass  # closed, or a caller with the wrong key

    def offer(self, **changes: object) -> dict[str, object]:
        defaults = Settings()
        return {"pid": os.getpid(), "adresse": self.name, "schluessel": self.key.hex(), "version": __version__,
                "soffice": defaults.soffice, "uno_python": defaults.uno_python, **changes}


@pytest.fixture
def service() -> Iterator[_Service]:
    made = _Service()
    yield made
    made.listener.close()


def _write(settings: Settings, offer: object, mode: int = 0o600) -> Path:
    path = settings.state_dir / OFFER_FILE
    path.write_text(offer if isinstance(offer, str) else json.dumps(offer), encoding="utf-8")
    path.chmod(mode)
    return path


def test_a_valid_offer_connects(settings: Settings, service: _Service) -> None:
    _write(settings, service.offer())
    found = offered_service(settings)
    assert found is not None and found.pid == os.getpid()
    found.close()


def test_no_offer_file_means_an_own_libreoffice(settings: Settings) -> None:
    assert offered_service(settings) is None


@pytest.mark.parametrize("why", ["others can read it", "another version", "another LibreOffice", "not json", "no key",
                                 "a symlink"])
def test_an_unusable_offer_is_ignored(settings: Settings, service: _Service, tmp_path: Path, why: str) -> None:
    if why == "others can read it":
        _write(settings, service.offer(), mode=0o644)
    elif why == "another version":
        _write(settings, service.offer(version="0.0.1"))
    elif why == "another LibreOffice":  # e.g. DOCGEN_SOFFICE set to try a new one: the render must use it
        _write(settings, service.offer(soffice="soffice-neu"))
    elif why == "not json":
        _write(settings, "{kein json")
    elif why == "no key":
        _write(settings, {k: v for k, v in service.offer().items() if k != "schluessel"})
    else:
        target = tmp_path / "woanders.json"
        target.write_text(json.dumps(service.offer()), encoding="utf-8")
        target.chmod(0o600)
        (settings.state_dir / OFFER_FILE).symlink_to(target)
    assert offered_service(settings) is None


def test_a_stale_offer_of_a_killed_daemon_is_ignored(settings: Settings, service: _Service) -> None:
    # The socket went with its process (a name in the abstract namespace leaves nothing behind); the file stayed.
    _write(settings, service.offer(adresse=f"docgen-umwandlung-{secrets.token_hex(6)}"))
    assert offered_service(settings) is None


def test_a_wrong_key_is_refused(settings: Settings, service: _Service) -> None:
    _write(settings, service.offer(schluessel=secrets.token_bytes(32).hex()))
    assert offered_service(settings) is None


def test_a_service_that_does_not_answer_is_given_up(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # A stopped (SIGSTOP) daemon: the connection lands in the socket's queue, the handshake never comes.
    monkeypatch.setattr(procpool, "OFFER_TIMEOUT", 0.5)
    silent = _Service(answer=False)
    try:
        _write(settings, silent.offer())
        assert offered_service(settings) is None
    finally:
        silent.listener.close()


# -- a service that goes away while it converts for the render: the render starts its own LibreOffice ----

class _Faulty(_Service):
    """Takes the connection and the first request, then: closes (a restart), answers that its pool is
    being closed (a stop), or says nothing (a stopped process)."""

    def __init__(self, fault: str) -> None:
        self.fault = fault
        super().__init__(answer=False)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        try:
            with self.listener.accept() as connection:
                docx, _pdf = connection.recv()
                if self.fault == "beendet":
                    connection.send(PoolClosed(f"{Path(docx).name}: nicht umgewandelt, weil der LibreOffice-Pool "
                                               "beendet wurde. Bitte den Auftrag erneut starten."))
                elif self.fault == "stumm":
                    threading.Event().wait(60)
        except (OSError, EOFError):
            pass


@pytest.mark.slow
@pytest.mark.parametrize(("fault", "why"), [
    ("neu gestartet", "der LibreOffice-Dienst von docgen antwortet nicht mehr"),
    ("beendet", f"der Dienst docgen watch (PID {os.getpid()}) wird beendet"),
    ("stumm", "der LibreOffice-Dienst von docgen hat nicht binnen 1 s geantwortet"),
])
def test_a_service_gone_while_converting_costs_only_an_own_libreoffice(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, fault: str,
        why: str) -> None:
    state = tmp_path / "zustand"
    state.mkdir()
    settings = Settings(state_dir=state, koerperschaft=SAMPLE_KOERPERSCHAFT)
    service = _Faulty(fault)
    monkeypatch.setattr(procpool, "reply_timeout_of", lambda _settings: 1.0)
    try:
        _write(settings, service.offer(soffice=settings.soffice, uno_python=settings.uno_python))
        with caplog.at_level(logging.INFO, logger="docgen"):
            (result,) = api.render_files([EXAMPLES / "beschlussvorlage.json"], tmp_path / "aus", settings)
    finally:
        service.listener.close()
    assert isinstance(result, JobResult) and result.sealed, result
    assert result.pdf.is_file()
    messages = [r.getMessage() for r in caplog.records]
    assert f"{BORROWED} (PID {os.getpid()}): kein eigenes LibreOffice" in messages
    assert f"beschlussvorlage.docx: {why}; docgen startet ein eigenes LibreOffice" in messages
    assert any(m.startswith(OWN_START) for m in messages)
