"""A worker killed while publishing into the shared outbox: the next attempt frees the name."""

from __future__ import annotations

import json
from pathlib import Path

from docgen.intake.remote import _earlier_publish, transfer
from docgen.stages.publish import PUBLISHING_MARK


def _staged(root: Path, stem: str) -> Path:
    staging = root / "staging"
    (staging / stem).mkdir(parents=True)
    (staging / stem / f"{stem}.docx").write_bytes(b"docx")
    (staging / stem / "freigabevermerk.pdf").write_bytes(b"%PDF-1.7 vermerk")
    receipt = {"status": "freigegeben", "erzeugnisse": {"paket": f"{stem}.pdf", "docx": f"{stem}/{stem}.docx"}}
    (staging / f"{stem}.receipt.json").write_text(json.dumps(receipt), encoding="utf-8")
    pdf = staging / f"{stem}.pdf"
    pdf.write_bytes(b"%PDF-1.7 paket")
    return pdf


def test_a_folder_left_by_a_killed_attempt_is_removed_and_the_name_kept(tmp_path: Path) -> None:
    outbox = tmp_path / "ausgang"
    outbox.mkdir()
    # What attempt 1 left when it was killed after the folder files, before receipt and bundle.
    (outbox / "vorlage").mkdir()
    (outbox / "vorlage" / f"{PUBLISHING_MARK}job-1").touch()
    (outbox / "vorlage" / "vorlage.docx").write_bytes(b"halb")
    # Another job's folder being published right now: not ours, untouched.
    (outbox / "andere").mkdir()
    (outbox / "andere" / f"{PUBLISHING_MARK}job-2").touch()

    assert _earlier_publish("job-1", outbox, "vorlage.json") is None
    assert not (outbox / "vorlage").exists()
    assert (outbox / "andere" / f"{PUBLISHING_MARK}job-2").is_file()

    outputs = transfer(_staged(tmp_path, "vorlage"), outbox, "job-1")
    assert outputs["paket"] == str(outbox / "vorlage.pdf")  # not vorlage-v2.pdf
    assert (outbox / "vorlage.pdf").read_bytes() == b"%PDF-1.7 paket"
    assert sorted(p.name for p in (outbox / "vorlage").iterdir()) == ["freigabevermerk.pdf", "vorlage.docx"]
    assert not list(outbox.glob("vorlage-v*"))


def test_without_the_cleanup_the_retry_would_take_a_new_name(tmp_path: Path) -> None:
    # The control: the leftover folder itself is what pushes a retry to -v2.
    outbox = tmp_path / "ausgang"
    (outbox / "vorlage").mkdir(parents=True)
    (outbox / "vorlage" / f"{PUBLISHING_MARK}job-1").touch()
    outputs = transfer(_staged(tmp_path, "vorlage"), outbox, "job-1")
    assert outputs["paket"] == str(outbox / "vorlage-v2.pdf")


def test_a_finished_earlier_publish_counts_and_loses_its_mark(tmp_path: Path) -> None:
    outbox = tmp_path / "ausgang"
    outbox.mkdir()
    first = transfer(_staged(tmp_path, "vorlage"), outbox, "job-1")
    assert not (outbox / "vorlage" / f"{PUBLISHING_MARK}job-1").exists()
    receipt = json.loads((outbox / "vorlage.receipt.json").read_text(encoding="utf-8"))
    assert receipt["status"] == "freigegeben"
    assert first["paket"] == str(outbox / "vorlage.pdf")
