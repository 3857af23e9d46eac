"""How many job processes share the LibreOffice workers."""

from __future__ import annotations

from docgen.intake.procpool import job_process_count


def test_two_job_processes_per_worker_when_every_core_has_a_worker() -> None:
    assert job_process_count(2, 2) == 4
    assert job_process_count(4, 4) == 8
    assert job_process_count(3, 2) == 6  # more workers than cores: nothing spare either


def test_one_more_while_cores_are_left_over() -> None:
    # One LibreOffice worker on two cores: a third job process keeps it busy between a job's
    # two conversions (bench: sealed bundles 2.6–3.1 → 3.1–3.3 per second).
    assert job_process_count(1, 2) == 3
    assert job_process_count(2, 8) == 5
