"""The pipeline with a fake converter: stage order, outputs, receipt, bundles — in seconds, no LibreOffice.

The fake converter writes a one-page PDF per DOCX; everything else (validation, rendering, assembling,
sealing with a real local seal, publishing) is the real code.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pypdf import PdfReader, PdfWriter

from docgen import pipeline
from docgen.errors import ConfigError, ConversionFailed, DocgenError, ExitCode
from docgen.pipeline import run_job, sweep_work
from docgen.settings import Koerperschaft, Settings
from docgen.stages import assemble
from tests.conftest import EXAMPLES, SAMPLE_KOERPERSCHAFT, load_example


class FakeConverter:
    """A converter that writes a blank one-page PDF (or fails on demand) and counts its calls."""

    def __init__(self, fail_on: str | None = None) -> None:
        self.calls: list[str] = []
        self.fail_on = fail_on

    def convert(self, docx: Path, pdf: Path) -> None:
        self.calls.append(docx.name)
        if self.fail_on and self.fail_on in docx.name:
            raise ConversionFailed(f"{docx.name}: Umwandlung absichtlich gescheitert (Test).")
        writer = PdfWriter()
        writer.add_blank_page(595, 842)
        with pdf.open("wb") as fh:
            writer.write(fh)

    def close(self) -> None:
        pass


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path / "state", koerperschaft=SAMPLE_KOERPERSCHAFT)


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, dict[str, Any]], Path]:
    shutil.copytree(EXAMPLES / "anlagen", tmp_path / "in" / "anlagen")

    def _write(name: str, data: dict[str, Any]) -> Path:
        path = tmp_path / "in" / name
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return path

    return _write


def _draft() -> dict[str, Any]:
    data = load_example()
    del data["freigabe"]
    return data


def test_draft_bundle_outputs_and_receipt(tmp_path: Path, settings: Settings, write: Callable[..., Path]) -> None:
    converter = FakeConverter()
    result = run_job(write("vorlage.json", _draft()), tmp_path / "out", settings, converter)
    assert result.pdf == tmp_path / "out" / "vorlage-ENTWURF.pdf"
    assert not result.sealed and result.more_bundles == []
    # main document, the Freigabevermerk, the ENTWURF page once (cached), in that order
    assert converter.calls == ["vorlage.docx", "freigabevermerk.docx", "entwurf.docx"]
    receipt = json.loads((tmp_path / "out" / "vorlage-ENTWURF.receipt.json").read_text(encoding="utf-8"))
    assert receipt["status"] == "entwurf"
    assert receipt["erzeugnisse"]["paket"]["datei"] == "vorlage-ENTWURF.pdf"
    assert "ausgaben" not in receipt  # the outputs are "erzeugnisse"; "ausgaben" means expenditure
    assert [c["nr"] for c in receipt["inhalt"]] == ["Hauptdokument", "Anlage 1", "Freigabevermerk"]
    assert sorted(p.name for p in (tmp_path / "out" / "vorlage-ENTWURF").iterdir()) == [
        "freigabevermerk.pdf", "vorlage.docx", "vorlage.pdf"]
    assert len(PdfReader(result.pdf).pages) == result.pages == 1 + 1 + 1  # the example Anlage has one page


def test_non_public_anlage_stays_out_of_the_public_bundle(tmp_path: Path, settings: Settings,
                                                         write: Callable[..., Path]) -> None:
    data = load_example()
    data["anlagen"] = [{**data["anlagen"][0], "oeffentlich": False, "titel": "Teilnehmendenliste"},
                       {"titel": "Zielerreichung", "datei": data["anlagen"][0]["datei"]}]
    result = run_job(write("mit-personen.json", data), tmp_path / "out", settings, FakeConverter())
    assert result.sealed and result.pdf is not None
    public = PdfReader(result.pdf)
    assert result.folder is not None
    internal_path = result.folder / "mit-personen-intern.pdf"
    internal = PdfReader(internal_path)
    assert len(internal.pages) == len(public.pages) + 1  # the withheld one-page Anlage
    top = [item.title for item in public.outline if not isinstance(item, list)]
    assert top[1:] == ["Anlage 2: Zielerreichung", "Freigabevermerk"]  # Anlage 1 withheld, numbers kept
    assert [item.title for item in internal.outline if not isinstance(item, list)][1:] == [
        "Anlage 1: Teilnehmendenliste", "Anlage 2: Zielerreichung", "Freigabevermerk"]
    receipt = json.loads(result.receipt.read_text(encoding="utf-8")) if result.receipt else {}
    assert receipt["erzeugnisse"]["paket"]["art"] == "öffentlich"
    assert receipt["erzeugnisse"]["zurueckgehalten"] == [
        {"nr": "Anlage 1", "titel": "Teilnehmendenliste", "pfad": "/anlagen/0"}]
    assert receipt["erzeugnisse"]["paket_intern"]["datei"] == "mit-personen/mit-personen-intern.pdf"
    assert [c["nr"] for c in receipt["erzeugnisse"]["paket_intern"]["inhalt"]] == [
        "Hauptdokument", "Anlage 1", "Anlage 2", "Freigabevermerk"]
    assert "(intern)" in str(internal.metadata.title) and "(intern)" not in str(public.metadata.title)
    assert result.more_bundles == [f"internes Paket mit allen Anlagen {internal_path} (nicht zur Veröffentlichung)"]


def test_missing_body_stops_before_any_stage(tmp_path: Path, settings: Settings, write: Callable[..., Path]) -> None:
    data = _draft()
    del data["koerperschaft"]
    converter = FakeConverter()
    with pytest.raises(ConfigError) as info:
        run_job(write("ohne.json", data), tmp_path / "out", replace(settings, koerperschaft=Koerperschaft()),
                converter)
    assert info.value.exit_code == ExitCode.CONFIG
    assert info.value.message.startswith("ohne.json: keine Körperschaft angegeben.")
    assert converter.calls == [] and not (tmp_path / "out").exists()


def test_a_failed_conversion_leaves_nothing_in_the_outbox(tmp_path: Path, settings: Settings,
                                                         write: Callable[..., Path]) -> None:
    with pytest.raises(ConversionFailed):
        run_job(write("vorlage.json", _draft()), tmp_path / "out", settings, FakeConverter("freigabevermerk"))
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    assert list((settings.state_dir / "work").iterdir()) == []  # the work directory is cleaned up


def test_no_bundle_gives_exactly_docx_and_pdf(tmp_path: Path, settings: Settings, write: Callable[..., Path]) -> None:
    converter = FakeConverter()
    result = run_job(write("nur.json", _draft()), tmp_path / "out", settings, converter, bundle=False)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["nur.docx", "nur.pdf"]
    assert converter.calls == ["nur.docx"] and result.receipt is None


def test_docx_only_needs_no_converter(tmp_path: Path, settings: Settings, write: Callable[..., Path]) -> None:
    result = run_job(write("wort.json", _draft()), tmp_path / "out", settings, None, docx_only=True)
    assert result.docx == tmp_path / "out" / "wort.docx" and result.pdf is None
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["wort.docx"]


def test_times_are_in_the_configured_zone_not_the_servers(tmp_path: Path, settings: Settings,
                                                          write: Callable[..., Path],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime as dt
    import time as time_module
    from zoneinfo import ZoneInfo

    monkeypatch.setenv("TZ", "UTC")
    time_module.tzset()
    result = run_job(write("zeit.json", _draft()), tmp_path / "out", replace(settings, zeitzone="Europe/Berlin"),
                     FakeConverter())
    assert result.receipt is not None
    created = dt.datetime.fromisoformat(json.loads(result.receipt.read_text(encoding="utf-8"))["erzeugt_am"])
    assert created.utcoffset() == ZoneInfo("Europe/Berlin").utcoffset(created.replace(tzinfo=None))


def test_non_public_parts_inside_a_nested_document_stay_internal(tmp_path: Path, settings: Settings,
                                                                 write: Callable[..., Path]) -> None:
    data = load_example()
    bericht = load_example("sachbericht")
    bericht.pop("koerperschaft", None)
    bericht["anlagen"] = [{"titel": "Teilnahmeliste", "datei": data["anlagen"][0]["datei"], "oeffentlich": False}]
    data["anlagen"] = [{"titel": "Sachbericht", "dokument": bericht}]
    result = run_job(write("verschachtelt.json", data), tmp_path / "out", settings, FakeConverter())
    assert result.receipt is not None
    receipt = json.loads(result.receipt.read_text(encoding="utf-8"))
    assert [w["pfad"] for w in receipt["erzeugnisse"]["zurueckgehalten"]] == ["/anlagen/0/dokument/anlagen/0"]
    public = [c["nr"] for c in receipt["inhalt"]]
    internal = [c["nr"] for c in receipt["erzeugnisse"]["paket_intern"]["inhalt"]]
    assert len(internal) == len(public) + 1
    assert "Teilnahmeliste" not in " ".join(c["titel"] for c in receipt["inhalt"])
    assert "Teilnahmeliste" in " ".join(c["titel"] for c in receipt["erzeugnisse"]["paket_intern"]["inhalt"])


class _CountingConverter(FakeConverter):
    """Like the pool: returns the page count its verification read."""

    def convert(self, docx: Path, pdf: Path) -> int:  # type: ignore[override]
        super().convert(docx, pdf)
        return len(PdfReader(pdf).pages)


def test_the_page_count_a_conversion_verified_is_not_read_again(
        tmp_path: Path, settings: Settings, write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    counted: list[str] = []
    real_count = assemble.page_count

    def page_count(pdf: Path) -> int:
        counted.append(pdf.name)
        return real_count(pdf)

    monkeypatch.setattr(pipeline, "page_count", page_count)
    result = run_job(write("vorlage.json", load_example()), tmp_path / "out", settings, _CountingConverter())
    assert result.sealed and result.pages == 3
    assert counted == ["zielerreichung-2024-2025.pdf"]  # only the Anlage, which no conversion counted
    counted.clear()
    run_job(write("ohne-zaehlung.json", load_example()), tmp_path / "out", settings, FakeConverter())
    assert counted == ["ohne-zaehlung.pdf", "zielerreichung-2024-2025.pdf", "freigabevermerk.pdf"]


@pytest.mark.parametrize(("broken", "exit_code", "message"), [
    ("zielerreichung-2024-2025.pdf", ExitCode.INVALID_INPUT,
     "vorlage.json: /anlagen: Anlage 1 „Übersicht der Schwerpunkte 2024/2025 mit Zielerreichung“: "
     "„zielerreichung-2024-2025.pdf“ lässt sich nicht in das Paket übernehmen (zielerreichung-2024-2025.pdf: "
     "kaputt (Test)). Bitte die PDF-Datei neu erzeugen (z. B. mit „Drucken als PDF“) und erneut beifügen."),
    ("freigabevermerk.pdf", ExitCode.CONVERSION,
     "Freigabevermerk: das von LibreOffice erzeugte PDF lässt sich nicht in das Paket übernehmen "
     "(freigabevermerk.pdf: kaputt (Test)). Bitte `docgen check` ausführen und die Vorlage prüfen."),
])
def test_a_part_qpdf_cannot_read_is_a_german_error_naming_it(
        tmp_path: Path, settings: Settings, write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch,
        broken: str, exit_code: ExitCode, message: str) -> None:
    """Fault injected: qpdf refuses one part (what the Anlagen check, done with pypdf, let through)."""
    real_open = pikepdf.open

    def refusing_open(path: Any, *args: Any, **kwargs: Any) -> Any:
        if Path(path).name == broken:
            raise pikepdf.PdfError(f"{path}: kaputt (Test)")
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(pikepdf, "open", refusing_open)
    with pytest.raises(DocgenError) as caught:
        run_job(write("vorlage.json", load_example()), tmp_path / "out", settings, FakeConverter())
    assert caught.value.exit_code == exit_code
    assert "\n".join(caught.value.lines()) == message
    assert not list((tmp_path / "out").glob("*.pdf"))  # nothing half-made is published


def test_leftover_work_folders_older_than_a_day_are_swept(tmp_path: Path) -> None:
    # A job killed with kill -9 leaves its folder: rendered documents, maybe non-public Anlagen.
    settings = Settings(state_dir=tmp_path / "zustand")
    work = settings.state_dir / "work"
    old, running = work / "job-alt", work / "job-laeuft"
    for folder in (old / "docs", running / "docs", work / "anderes"):
        folder.mkdir(parents=True)
        (folder / "vorlage.pdf").write_bytes(b"%PDF-1.7 vertraulich")
    outside = tmp_path / "woanders"
    outside.mkdir()
    (work / "job-verweis").symlink_to(outside, target_is_directory=True)
    (work / "job-datei").write_text("kein Ordner", encoding="utf-8")
    two_days_ago = time.time() - 2 * 24 * 3600
    for path in (old, work / "anderes", outside, work / "job-datei"):
        os.utime(path, (two_days_ago, two_days_ago))
    os.utime(work / "job-verweis", (two_days_ago, two_days_ago), follow_symlinks=False)
    assert sweep_work(settings) == 1
    assert sorted(p.name for p in work.iterdir()) == ["anderes", "job-datei", "job-laeuft", "job-verweis"]
    assert outside.is_dir()  # a link is never followed
    assert sweep_work(Settings(state_dir=tmp_path / "gibt-es-nicht")) == 0
