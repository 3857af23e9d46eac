"""The assemble stage without LibreOffice: merge, bookmarks, page labels, metadata, PDF/A identification.

Parts are the project's example Anlage (a LibreOffice PDF/A-2b) and small PDFs made with
pypdf; one of them uses a font that is not embedded, which must keep the bundle from
claiming PDF/A.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject

from docgen.pdfa import check_pdfa, pdfa_warning
from docgen.stages.assemble import BundleEntry, BundleMeta, assemble_bundle, describe, page_count, watermark_page

ROOT = Path(__file__).resolve().parents[2]
PDFA_PART = ROOT / "examples" / "anlagen" / "zielerreichung-2024-2025.pdf"
META = BundleMeta(title="Schwerpunkte 2026/2027", subject="Vorlage 2025/0412", author="Kreis Musterland – A 56",
                  created=dt.datetime(2025, 11, 3, 9, 30, tzinfo=dt.UTC), creator="docgen test",
                  producer="docgen test")


def copies(source: Path, out: Path, times: int) -> Path:
    """``times`` copies of the first page of ``source`` (embedded fonts, no output intent)."""
    writer = PdfWriter()
    for _ in range(times):
        writer.add_page(PdfReader(source).pages[0])
    with out.open("wb") as fh:
        writer.write(fh)
    return out


def unembedded_font_pdf(out: Path, font: str = "Arial") -> Path:
    """One page of text in a TrueType font that is named but not embedded (as Word on Windows may save)."""
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    descriptor = DictionaryObject({
        NameObject("/Type"): NameObject("/FontDescriptor"), NameObject("/FontName"): NameObject(f"/{font}"),
        NameObject("/Flags"): NumberObject(32), NameObject("/ItalicAngle"): NumberObject(0),
        NameObject("/Ascent"): NumberObject(905), NameObject("/Descent"): NumberObject(-212),
        NameObject("/CapHeight"): NumberObject(716), NameObject("/StemV"): NumberObject(80),
        NameObject("/FontBBox"): ArrayObject([NumberObject(v) for v in (-665, -325, 2000, 1040)]),
    })
    font_dict = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/TrueType"),
        NameObject("/BaseFont"): NameObject(f"/{font}"), NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
        NameObject("/FontDescriptor"): writer._add_object(descriptor),
    })
    page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
        {NameObject("/F1"): writer._add_object(font_dict)})})
    content = DecodedStreamObject()
    content.set_data(b"BT /F1 14 Tf 72 760 Td (Lageplan Musterstrasse) Tj ET")
    page[NameObject("/Contents")] = writer._add_object(content)
    with out.open("wb") as fh:
        writer.write(fh)
    return out


def entry(label: str, title: str, pdf: Path) -> BundleEntry:
    return BundleEntry(label, title, pdf, page_count(pdf))


def test_merge_bookmarks_page_labels_and_pdfa(tmp_path: Path) -> None:
    entries = [entry("Hauptdokument", "Beschlussvorlage – Vorlage 2025/0412", PDFA_PART),
               entry("Anlage 1", "Statistik", copies(PDFA_PART, tmp_path / "statistik.pdf", 2)),
               entry("Freigabevermerk", "Freigabevermerk", PDFA_PART)]
    result = assemble_bundle(entries, META, tmp_path / "paket.pdf", None)
    assert result.pdfa and result.pdfa_findings == [] and result.removed == []
    reader = PdfReader(result.path)
    assert len(reader.pages) == 4
    top = [item for item in reader.outline if not isinstance(item, list)]
    assert [item.title for item in top] == ["Beschlussvorlage – Vorlage 2025/0412", "Anlage 1: Statistik",
                                            "Freigabevermerk"]
    assert [reader.get_destination_page_number(item) for item in top] == [0, 1, 3]
    assert list(reader.page_labels) == ["1", "Anlage 1 – 1", "Anlage 1 – 2", "Freigabevermerk – 1"]
    meta = reader.metadata
    assert meta is not None and meta.title == META.title and meta.subject == META.subject
    assert reader.trailer["/Root"]["/Lang"] == "de-DE"
    check = check_pdfa(result.path)
    assert check["ergebnis"] == "bestanden", check
    assert pdfa_warning(check, result.pdfa_findings) is None


def test_anlage_with_unembedded_font_keeps_the_bundle_from_claiming_pdfa(tmp_path: Path) -> None:
    entries = [entry("Hauptdokument", "Vorlage", PDFA_PART),
               entry("Anlage 1", "Statistik", PDFA_PART),
               entry("Anlage 2", "Plan", unembedded_font_pdf(tmp_path / "plan.pdf"))]
    result = assemble_bundle(entries, META, tmp_path / "paket.pdf", None)
    assert not result.pdfa
    assert result.pdfa_findings == ["Anlage 2 „Plan“: Schrift „Arial“ nicht eingebettet"]
    reader = PdfReader(result.path)
    root = reader.trailer["/Root"]
    assert "/OutputIntents" not in root
    assert b"pdfaid" not in root["/Metadata"].get_object().get_data()
    check = check_pdfa(result.path)
    assert check["ergebnis"] == "nicht bestanden"
    assert "Schrift „Arial“ nicht eingebettet" in check["probleme"]
    assert pdfa_warning(check, result.pdfa_findings) == (
        "Das Paket ist kein PDF/A-2b und wird nicht als PDF/A gekennzeichnet: Anlage 2 „Plan“: Schrift „Arial“ "
        "nicht eingebettet.")


def test_parts_are_named_in_german(tmp_path: Path) -> None:
    assert describe(entry("Anlage 2", "Plan", PDFA_PART)) == "Anlage 2 „Plan“"
    assert describe(entry("Freigabevermerk", "Freigabevermerk", PDFA_PART)) == "Freigabevermerk"


class _SlowConverter:
    """Both callers convert before either renames: the race of two job processes making the cached
    ENTWURF page at once, made certain."""

    def __init__(self, callers: int) -> None:
        self.barrier = threading.Barrier(callers)

    def convert(self, docx: Path, pdf: Path) -> None:
        self.barrier.wait(timeout=10)
        pdf.write_bytes(PDFA_PART.read_bytes())

    def close(self) -> None:
        pass


def test_the_entwurf_page_made_by_several_processes_at_once(tmp_path: Path) -> None:
    converter = _SlowConverter(3)
    template = ROOT / "templates" / "entwurf.docx"
    results: list[Path | BaseException] = []

    def make() -> None:
        try:
            results.append(watermark_page(template, tmp_path / "cache", converter))
        except BaseException as exc:
            results.append(exc)

    threads = [threading.Thread(target=make) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 3 and all(isinstance(r, Path) for r in results), results
    assert [p.name for p in (tmp_path / "cache").iterdir()] == [results[0].name]  # type: ignore[union-attr]
    assert results[0].read_bytes() == PDFA_PART.read_bytes()  # type: ignore[union-attr]
