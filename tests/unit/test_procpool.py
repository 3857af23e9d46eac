"""How many job processes share the LibreOffice workers, and how their conversion service stops."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from docgen.intake.procpool import ConversionService, job_process_count
from docgen.settings import Settings


def test_two_job_processes_per_worker_when_every_core_has_a_worker() -> None:
    assert job_process_count(2, 2) == 4
    assert job_process_count(4, 4) == 8
    assert job_process_count(3, 2) == 6  # more workers than cores: nothing spare either


def test_one_more_while_cores_are_left_over() -> None:
    # One LibreOffice worker on two cores: a third job process keeps it busy between a job's
    # two conversions (bench: sealed bundles 2.6–3.1 → 3.1–3.3 per second).
    assert job_process_count(1, 2) == 3
    assert job_process_count(2, 8) == 5


def service_threads() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name.startswith("umwandlung")}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    # A LibreOffice per document: the service starts none, these tests are about its socket and threads.
    return Settings(state_dir=tmp_path / "state", converter="einzeln")


def test_a_stop_ends_the_accept_thread(settings: Settings) -> None:
    service = ConversionService(settings)
    assert "umwandlung" in service_threads()
    service.close()
    for thread in threading.enumerate():
        if thread.name == "umwandlung":
            thread.join(timeout=30)
    assert "umwandlung" not in service_threads()


def test_a_stop_does_not_wait_for_an_accept_thread_that_is_not_accepting(
        settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    # Seen once when a SIGTERM hit `docgen batch` during its start: the stop woke the accept thread with
    # an authenticated connection, which waits for the thread's answer; it never came, the stop hung.
    monkeypatch.setattr(ConversionService, "_accept", lambda self: None)
    service = ConversionService(settings)
    stopping = threading.Thread(target=service.close, daemon=True)
    stopping.start()
    stopping.join(timeout=30)
    assert not stopping.is_alive()


def test_only_preparing_job_processes_get_the_start_events(settings: Settings) -> None:
    # batch and render do not prepare their processes: no events, no thread waiting for LibreOffice.
    plain = ConversionService(settings)
    try:
        assert plain.events is None
        assert "umwandlung-start" not in service_threads()
    finally:
        plain.close()
    announcing = ConversionService(settings, announce_start=True)
    try:
        assert announcing.events is not None
        started, stopping = announcing.events
        assert started.wait(timeout=30)  # no pool to wait for: "started" at once
        assert not stopping.is_set()
        announcing.release_waiters()
        assert stopping.is_set()
    finally:
        announcing.close()
