"""A job killed while publishing: the names it reserved in the outbox are freed for its next run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from docgen.pipeline import run_job
from docgen.settings import Settings
from docgen.stages.publish import PUBLISHING_MARK, drop_unfinished, publish_file
from tests.conftest import EXAMPLES, SAMPLE_KOERPERSCHAFT, load_example
from tests.unit.test_pipeline import FakeConverter


class Killed(BaseException):
    """Stands for SIGKILL: no ``except`` in docgen catches it, so nothing is rolled back."""


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_a_folder_naming_the_job_is_freed_others_stay(tmp_path: Path) -> None:
    out = tmp_path / "ausgang"
    out.mkdir()
    (out / "akte").mkdir()
    (out / "akte" / f"{PUBLISHING_MARK}job-1").touch()
    (out / "akte" / "akte.docx").write_bytes(b"halb")
    (out / "akte.receipt.json").write_text("{}", encoding="utf-8")  # published before the crash, no bundle
    (out / "fremd").mkdir()
    (out / "fremd" / f"{PUBLISHING_MARK}job-2").touch()  # another job publishing right now
    elsewhere = tmp_path / "woanders"
    elsewhere.mkdir()
    (elsewhere / f"{PUBLISHING_MARK}job-1").touch()
    (out / "verweis").symlink_to(elsewhere, target_is_directory=True)  # never followed
    assert drop_unfinished(out, "job-1") == ["akte"]
    assert names(out) == ["fremd", "verweis"]
    assert names(out / "fremd") == [f"{PUBLISHING_MARK}job-2"] and names(elsewhere) == [f"{PUBLISHING_MARK}job-1"]


def test_an_empty_reservation_of_the_jobs_name_is_freed(tmp_path: Path) -> None:
    out = tmp_path / "ausgang"
    out.mkdir()
    for folder in ("akte", "akte-v3", "akte-vorlage", "akte-v4", "andere", "akte-v5"):
        (out / folder).mkdir()
    (out / "akte-v4.pdf").write_bytes(b"%PDF-1.7")  # a published bundle whose folder was emptied by hand
    (out / "akte-v5" / "akte-v5.docx").write_bytes(b"docx")  # someone's files: not a bare reservation
    assert drop_unfinished(out, "job-1", ("akte",)) == ["akte", "akte-v3"]
    assert names(out) == ["akte-v4", "akte-v4.pdf", "akte-v5", "akte-vorlage", "andere"]


def test_a_publish_killed_halfway_is_freed_and_the_rerun_keeps_the_name(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "akte.json"
    shutil.copytree(EXAMPLES / "anlagen", tmp_path / "anlagen")
    source.write_text(json.dumps(load_example(), ensure_ascii=False), encoding="utf-8")
    settings = Settings(state_dir=tmp_path / "state", koerperschaft=SAMPLE_KOERPERSCHAFT)
    out = tmp_path / "ausgang"

    def killed_at_the_receipt(path: Path, target: Path) -> Path:
        if target.name.endswith(".receipt.json"):
            raise Killed
        return publish_file(path, target)

    monkeypatch.setattr("docgen.pipeline.publish_file", killed_at_the_receipt)
    with pytest.raises(Killed):
        run_job(source, out, settings, FakeConverter(), job_id="job-1")
    assert names(out) == ["akte"]
    assert names(out / "akte") == [f"{PUBLISHING_MARK}job-1", "akte.docx", "akte.pdf", "freigabevermerk.pdf"]
    assert drop_unfinished(out, "job-2", ("akte",)) == []  # not that job's folder, and not empty
    assert drop_unfinished(out, "job-1", ("akte",)) == ["akte"]
    assert names(out) == []

    monkeypatch.undo()
    result = run_job(source, out, settings, FakeConverter(), job_id="job-1")
    assert result.pdf == out / "akte.pdf" and result.sealed
    assert names(out) == ["akte", "akte.pdf", "akte.receipt.json"]
    assert names(out / "akte") == ["akte.docx", "akte.pdf", "freigabevermerk.pdf"]  # the mark goes last
