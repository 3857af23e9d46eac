"""The publish stage alone: atomic files, sealed bundles never replaced, never through a symlink (no LibreOffice)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from docgen.errors import ExitCode, FileAccessError
from docgen.stages.publish import (
    is_replaceable_draft,
    open_folder,
    publish_file,
    publish_new_file,
    reserve_stem,
    rollback,
)

SEALED_PDF = b"%PDF-1.7\n1 0 obj << /Type /Sig /ByteRange [0 10 20 30] /Contents <00> >> endobj\n%%EOF\n"
DRAFT_PDF = b"%PDF-1.7\n1 0 obj << /Type /Page >> endobj\n%%EOF\n"


def _source(tmp_path: Path, data: bytes = b"neu") -> Path:
    path = tmp_path / "quelle.bin"
    path.write_bytes(data)
    return path


def _bundle(outbox: Path, stem: str, pdf: bytes, status: str | None) -> None:
    """A published job as the pipeline leaves it: bundle, receipt (unless ``status`` is None), folder."""
    outbox.mkdir(exist_ok=True)
    (outbox / f"{stem}.pdf").write_bytes(pdf)
    (outbox / stem).mkdir(exist_ok=True)
    if status is not None:
        (outbox / f"{stem}.receipt.json").write_text(json.dumps({"status": status}), encoding="utf-8")


def _refused(excinfo: pytest.ExceptionInfo[FileAccessError], path: Path) -> None:
    assert excinfo.value.exit_code == ExitCode.FILE_ACCESS
    assert excinfo.value.message.startswith(f"{path}: ist ein Verweis (Symlink). docgen schreibt nie durch Verweise")


# publish_file / publish_new_file

def test_publish_file_writes_and_replaces_atomically(tmp_path: Path) -> None:
    target = tmp_path / "aus" / "x.pdf"
    assert publish_file(_source(tmp_path, b"eins"), target) == target
    publish_file(_source(tmp_path, b"zwei"), target)
    assert target.read_bytes() == b"zwei"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert sorted(p.name for p in target.parent.iterdir()) == ["x.pdf"]  # no temporary file left


def test_publish_file_replaces_a_symlinked_name_never_its_target(tmp_path: Path) -> None:
    elsewhere = tmp_path / "fremd.pdf"
    elsewhere.write_bytes(b"fremd")
    out = tmp_path / "aus"
    out.mkdir()
    (out / "x.pdf").symlink_to(elsewhere)
    publish_file(_source(tmp_path), out / "x.pdf")
    assert elsewhere.read_bytes() == b"fremd"
    assert not (out / "x.pdf").is_symlink() and (out / "x.pdf").read_bytes() == b"neu"


@pytest.mark.parametrize("new", [False, True], ids=["publish_file", "publish_new_file"])
def test_publish_refuses_a_symlinked_folder(tmp_path: Path, new: bool) -> None:
    elsewhere = tmp_path / "woanders"
    elsewhere.mkdir()
    out = tmp_path / "aus"
    out.mkdir()
    (out / "x").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(FileAccessError) as excinfo:
        (publish_new_file if new else publish_file)(_source(tmp_path), out / "x" / "x.docx")
    _refused(excinfo, out / "x")
    assert list(elsewhere.iterdir()) == []


def test_publish_new_file_never_replaces(tmp_path: Path) -> None:
    out = tmp_path / "aus"
    out.mkdir()
    (out / "x.pdf").write_bytes(b"gesiegelt")
    with pytest.raises(FileAccessError) as excinfo:
        publish_new_file(_source(tmp_path), out / "x.pdf")
    assert excinfo.value.message == f"{out / 'x.pdf'}: existiert bereits und wird nicht überschrieben."
    assert (out / "x.pdf").read_bytes() == b"gesiegelt"
    assert sorted(p.name for p in out.iterdir()) == ["x.pdf"]  # the staged copy is gone


def test_publish_new_file_refuses_a_dangling_symlink(tmp_path: Path) -> None:
    out = tmp_path / "aus"
    out.mkdir()
    (out / "x.pdf").symlink_to(tmp_path / "gibt-es-nicht.pdf")
    with pytest.raises(FileAccessError):
        publish_new_file(_source(tmp_path), out / "x.pdf")
    assert not (tmp_path / "gibt-es-nicht.pdf").exists()


def test_publish_new_file_publishes(tmp_path: Path) -> None:
    out = tmp_path / "aus"
    publish_new_file(_source(tmp_path), out / "x.pdf")
    assert (out / "x.pdf").read_bytes() == b"neu"
    assert sorted(p.name for p in out.iterdir()) == ["x.pdf"]


# reserve_stem

def test_reserve_stem_versions_sealed_bundles(tmp_path: Path) -> None:
    out = tmp_path / "aus"
    assert reserve_stem(out, "x", replace=False) == "x"
    (out / "x.pdf").write_bytes(SEALED_PDF)
    assert reserve_stem(out, "x", replace=False) == "x-v2"
    assert reserve_stem(out, "x", replace=False) == "x-v3"  # the folder x-v2 is the reservation


def test_reserve_stem_skips_a_stray_receipt(tmp_path: Path) -> None:
    out = tmp_path / "aus"
    out.mkdir()
    (out / "x.receipt.json").write_text("[]", encoding="utf-8")
    assert reserve_stem(out, "x", replace=False) == "x-v2"


def test_draft_replaces_a_draft(tmp_path: Path) -> None:
    out = tmp_path / "aus"
    _bundle(out, "x-ENTWURF", DRAFT_PDF, "entwurf")
    assert reserve_stem(out, "x-ENTWURF", replace=True) == "x-ENTWURF"
    _bundle(out, "y-ENTWURF", DRAFT_PDF, None)  # a draft without receipt (receipt lost): still a draft
    assert reserve_stem(out, "y-ENTWURF", replace=True) == "y-ENTWURF"


@pytest.mark.parametrize(("pdf", "status"), [
    (SEALED_PDF, "freigegeben"),  # the sealed bundle of an input called x-ENTWURF.json
    (SEALED_PDF, None),  # sealed, receipt gone: the signature in the PDF decides
    (SEALED_PDF, "entwurf"),  # receipt says draft, but the PDF is signed: kept
    (DRAFT_PDF, "freigegeben"),
    (DRAFT_PDF, "kaputt"),
], ids=["gesiegelt", "gesiegelt-ohne-beleg", "beleg-luegt", "beleg-freigegeben", "beleg-unbekannt"])
def test_draft_never_replaces_a_sealed_bundle(tmp_path: Path, pdf: bytes, status: str | None) -> None:
    out = tmp_path / "aus"
    _bundle(out, "x-ENTWURF", pdf, status)
    assert reserve_stem(out, "x-ENTWURF", replace=True) == "x-ENTWURF-v2"
    assert (out / "x-ENTWURF.pdf").read_bytes() == pdf
    (out / "x-ENTWURF-v2.pdf").write_bytes(DRAFT_PDF)
    assert reserve_stem(out, "x-ENTWURF", replace=True) == "x-ENTWURF-v2"  # the next draft replaces its draft


@pytest.mark.parametrize("receipt", [b"[1, 2]", b"{kein json", b"\xff\xfe{}", b'{"status": 1}', b"[" * 100_000])
def test_malformed_receipt_means_keep(tmp_path: Path, receipt: bytes) -> None:
    out = tmp_path / "aus"
    _bundle(out, "x", DRAFT_PDF, None)
    (out / "x.receipt.json").write_bytes(receipt)
    with open_folder(out) as fd:
        assert not is_replaceable_draft(fd, "x")


def test_fifo_receipt_is_never_read(tmp_path: Path) -> None:
    out = tmp_path / "aus"
    _bundle(out, "x", DRAFT_PDF, None)
    os.mkfifo(out / "x.receipt.json")  # reading it would block for ever
    assert reserve_stem(out, "x", replace=True) == "x-v2"


@pytest.mark.parametrize("replace", [False, True], ids=["gesiegelt", "entwurf"])
@pytest.mark.parametrize("planted", ["x.pdf", "x", "x.receipt.json"])
def test_reserve_stem_refuses_planted_symlinks(tmp_path: Path, planted: str, replace: bool) -> None:
    elsewhere = tmp_path / "woanders"
    elsewhere.mkdir()
    out = tmp_path / "aus"
    out.mkdir()
    (out / planted).symlink_to(elsewhere if planted == "x" else elsewhere / "datei", target_is_directory=True)
    with pytest.raises(FileAccessError) as excinfo:
        reserve_stem(out, "x", replace=replace)
    _refused(excinfo, out / planted)
    assert list(elsewhere.iterdir()) == []


def test_reserve_stem_refuses_a_symlinked_outbox(tmp_path: Path) -> None:
    real = tmp_path / "echt"
    real.mkdir()
    (tmp_path / "aus").symlink_to(real, target_is_directory=True)
    with pytest.raises(FileAccessError) as excinfo:
        reserve_stem(tmp_path / "aus", "x", replace=False)
    _refused(excinfo, tmp_path / "aus")
    assert list(real.iterdir()) == []


# rollback

def test_rollback_removes_a_failed_draft(tmp_path: Path) -> None:
    out = tmp_path / "aus"
    _bundle(out, "x-ENTWURF", DRAFT_PDF, "entwurf")
    (out / "x-ENTWURF" / "x.docx").write_bytes(b"docx")
    (out / "andere.pdf").write_bytes(DRAFT_PDF)
    rollback(out, "x-ENTWURF", draft=True)
    assert sorted(p.name for p in out.iterdir()) == ["andere.pdf"]


def test_rollback_keeps_a_sealed_bundle_and_follows_no_symlink(tmp_path: Path) -> None:
    elsewhere = tmp_path / "woanders"
    elsewhere.mkdir()
    (elsewhere / "wichtig.txt").write_text("bleibt", encoding="utf-8")
    out = tmp_path / "aus"
    out.mkdir()
    (out / "x.pdf").write_bytes(SEALED_PDF)
    (out / "x.receipt.json").write_text("{}", encoding="utf-8")
    (out / "x").symlink_to(elsewhere, target_is_directory=True)
    rollback(out, "x", draft=False)
    assert (out / "x.pdf").read_bytes() == SEALED_PDF
    assert not (out / "x.receipt.json").exists()
    assert (elsewhere / "wichtig.txt").read_text(encoding="utf-8") == "bleibt"


def test_rollback_of_nothing_is_harmless(tmp_path: Path) -> None:
    rollback(tmp_path / "gibt-es-nicht", "x", draft=True)
    rollback(tmp_path, "x", draft=True)
