"""Main document and sign-off page in one DOCX: the XML rules on real rendered documents, the refusals,
and one real split conversion (main pages as on their own, the sign-off page without footer).

Both documents are rendered from the shipped templates with a logo, so both headers hold a picture
(drawing ids that collide, an image relationship in the sign-off's header to copy).
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from pypdf import PdfReader

from docgen.settings import Koerperschaft, Settings
from docgen.stages.combine import MAIN_END_BOOKMARK, CannotCombine, combine_docx
from docgen.stages.convert import Split
from docgen.stages.convert.pool import LibreOfficePool
from docgen.stages.render import render_docx, render_template
from docgen.stages.validate import validate_file
from tests.conftest import EXAMPLES, SAMPLE_KOERPERSCHAFT, one_worker_pool

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


def _png(path: Path, width: int = 60, height: int = 80) -> Path:
    """A small red PNG (a stand-in Wappen)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xc8\x1e\x1e" * width for _ in range(height))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return path


def _signoff_context() -> dict[str, Any]:
    """What pipeline._signoff hands the sign-off template, for a released Vorlage."""
    return {
        "koerperschaft": SAMPLE_KOERPERSCHAFT, "bezug": "2025/0412", "titel": "Schwerpunkte 2026/2027",
        "freigegeben": True,
        "inhalt": [{"label": "Bestandteil", "titel": "Beschlussvorlage", "seiten": "1–3"},
                   {"label": "Freigabevermerk", "titel": "dieser Vermerk", "seiten": "4"}],
        "mitzeichnungen": [{"name": "A. Kämmerer", "rolle": "Kämmerei", "datum": "2025-10-20"}],
        "unterzeichnung": {"name": "Dr. B. Musterfrau", "funktion": "Dezernentin", "datum": "2025-10-21",
                           "zusatz": ""},
        "eingabe": "beschlussvorlage.json", "sha256": "ab" * 32, "erzeugt": "21.10.2025, 10:00 Uhr",
        "version": "test",
    }


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The example Beschlussvorlage and a sign-off page, both rendered with a logo in the header."""
    folder = tmp_path_factory.mktemp("combine")
    logo = _png(folder / "wappen.png")
    body = Koerperschaft(name=SAMPLE_KOERPERSCHAFT.name, verwaltungsspitze=SAMPLE_KOERPERSCHAFT.verwaltungsspitze,
                         anschrift=SAMPLE_KOERPERSCHAFT.anschrift, logo=str(logo))
    settings = Settings(state_dir=folder / "state", koerperschaft=body)
    main = render_docx(validate_file(EXAMPLES / "beschlussvorlage.json", settings), folder / "vorlage.docx", settings)
    signoff = render_template(settings.template_path("freigabevermerk.docx"), _signoff_context(),
                              folder / "freigabevermerk.docx", "beschlussvorlage.json", logo=logo)
    return main, signoff


@pytest.fixture(scope="module")
def combined(rendered: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    main, signoff = rendered
    out = tmp_path_factory.mktemp("combined") / "gesamt.docx"
    combine_docx(main, signoff, out)
    return out


def _xml(docx: Path, part: str) -> Any:
    with zipfile.ZipFile(docx) as archive:
        return etree.fromstring(archive.read(part))


def _rels(docx: Path, part: str) -> dict[str, Any]:
    folder, name = part.rsplit("/", 1)
    return {r.get("Id"): r for r in _xml(docx, f"{folder}/_rels/{name}.rels").iter(f"{PKG}Relationship")}


def _target(rel: Any, folder: str = "word") -> str:
    return f"{folder}/{rel.get('Target')}"


def _edited(source: Path, out: Path, part: str, change: Callable[[Any], None]) -> Path:
    """A copy of ``source`` with one XML part changed by ``change``."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == part:
                root = etree.fromstring(data)
                change(root)
                data = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            new.writestr(info, data)
    return out


def _last_header(docx: Path) -> str:
    """The default header part of the document's last section."""
    sect = _xml(docx, "word/document.xml").find(f"{W}body")[-1]
    reference = next(r for r in sect.iter(f"{W}headerReference") if r.get(f"{W}type") == "default")
    return _target(_rels(docx, "word/document.xml")[reference.get(f"{R}id")])


# -- the XML rules on real documents -------------------------------------------------------------
def test_main_section_ends_in_its_last_paragraph_with_the_bookmark(rendered: tuple[Path, Path],
                                                                   combined: Path) -> None:
    main_body = _xml(rendered[0], "word/document.xml").find(f"{W}body")
    main_sect = etree.tostring(main_body[-1], method="c14n")
    body = _xml(combined, "word/document.xml").find(f"{W}body")
    marks = [b for b in body.iter(f"{W}bookmarkStart") if b.get(f"{W}name") == MAIN_END_BOOKMARK]
    assert len(marks) == 1
    last = marks[0].getparent()
    assert last.tag == f"{W}p" and body.index(last) == len(main_body) - 2  # main's last paragraph
    assert last[-1].tag == f"{W}bookmarkEnd" and last[-1].get(f"{W}id") == marks[0].get(f"{W}id")
    moved = last.find(f"{W}pPr")[-1]
    assert moved.tag == f"{W}sectPr" and etree.tostring(moved, method="c14n") == main_sect
    assert len(body.findall(f"{W}sectPr")) == 1 and body[-1].tag == f"{W}sectPr"  # the sign-off's, last
    assert "Freigabevermerk" in "".join(body[body.index(last) + 1].itertext())


def test_the_main_footer_keeps_its_fields(rendered: tuple[Path, Path], combined: Path) -> None:
    rels = _rels(combined, "word/document.xml")
    footer = _target(next(r for r in rels.values() if r.get("Type") == RT + "footer"
                          and r.get("Target") == "footer1.xml"))
    # "von y" is the worker's to fill in (uno_worker._count_only_first): a reference to the end bookmark
    # would count right, but LibreOffice exports it as a link.
    assert [t.text for t in _xml(combined, footer).iter(f"{W}instrText")] == [" PAGE ", " NUMPAGES "]
    with zipfile.ZipFile(rendered[0]) as before, zipfile.ZipFile(combined) as after:
        assert before.read("word/footer1.xml") == after.read("word/footer1.xml")


def test_signoff_section_has_its_header_and_explicit_empty_footers(combined: Path) -> None:
    sect = _xml(combined, "word/document.xml").find(f"{W}body")[-1]
    rels = _rels(combined, "word/document.xml")
    refs = {(etree.QName(r).localname, r.get(f"{W}type")): rels[r.get(f"{R}id")]
            for r in sect if r.tag in (f"{W}headerReference", f"{W}footerReference")}
    assert set(refs) == {(kind, t) for kind in ("headerReference", "footerReference")
                         for t in ("default", "first", "even")}
    assert [etree.QName(c).localname for c in sect][:6] == ["headerReference"] * 3 + ["footerReference"] * 3
    assert sect.find(f"{W}type") is None
    header = _xml(combined, _target(refs["headerReference", "default"]))
    assert "Freigabevermerk" in "".join(header.itertext())
    for key in [("headerReference", "first"), ("headerReference", "even"), ("footerReference", "default"),
                ("footerReference", "first"), ("footerReference", "even")]:
        part = _xml(combined, _target(refs[key]))
        assert "".join(part.itertext()) == "" and part.find(f"{W}p") is not None, key
    assert refs["footerReference", "default"].get("Target") not in ("footer1.xml",)


def test_package_parts_relationships_and_content_types_resolve(combined: Path) -> None:
    with zipfile.ZipFile(combined) as archive:
        names = archive.namelist()
        assert archive.infolist()[0].filename == "[Content_Types].xml"
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in archive.infolist())
    types = _xml(combined, "[Content_Types].xml")
    defaults = {d.get("Extension").lower() for d in types.iter(f"{CT}Default")}
    overrides = {o.get("PartName").lstrip("/") for o in types.iter(f"{CT}Override")}
    for name in names:
        assert name in overrides or name.rsplit(".", 1)[-1].lower() in defaults, name
    rels = _rels(combined, "word/document.xml")
    document = _xml(combined, "word/document.xml")
    used = {v for e in document.iter() for k, v in e.attrib.items() if k.startswith(R)}
    assert used <= set(rels)
    for rel in rels.values():
        if rel.get("TargetMode") != "External":
            assert _target(rel).replace("word/../", "") in names, rel.get("Target")
    header = _last_header(combined)
    assert header != "word/header1.xml"
    header_rels = _rels(combined, header)
    image = next(r for r in header_rels.values() if r.get("Type") == RT + "image")
    assert _target(image) in names and _target(image).startswith("word/media/")
    embeds = {e.get(f"{R}embed") for e in _xml(combined, header).iter() if e.get(f"{R}embed")}
    assert embeds and embeds <= set(header_rels)


def test_ids_stay_unique(combined: Path) -> None:
    rels = _rels(combined, "word/document.xml")
    stories = [_xml(combined, "word/document.xml")] + [
        _xml(combined, _target(r)) for r in rels.values() if r.get("Type") in (RT + "header", RT + "footer")]
    drawings = [d.get("id") for story in stories for d in story.iter(f"{WP}docPr")]
    assert len(drawings) >= 2 and len(set(drawings)) == len(drawings)  # both headers hold the logo
    starts = [b.get(f"{W}id") for story in stories for b in story.iter(f"{W}bookmarkStart")]
    assert len(set(starts)) == len(starts)


def test_styles_missing_from_main_are_added(rendered: tuple[Path, Path], tmp_path: Path) -> None:
    def drop_caption(styles: Any) -> None:
        styles.remove(next(s for s in styles.iter(f"{W}style") if s.get(f"{W}styleId") == "Caption"))

    main = _edited(rendered[0], tmp_path / "ohne-caption.docx", "word/styles.xml", drop_caption)
    out = tmp_path / "gesamt.docx"
    combine_docx(main, rendered[1], out)

    def styles_of(docx: Path) -> dict[str, bytes]:
        return {s.get(f"{W}styleId"): etree.tostring(s, method="c14n", exclusive=True)
                for s in _xml(docx, "word/styles.xml").iter(f"{W}style")}

    merged, signoff, before = styles_of(out), styles_of(rendered[1]), styles_of(main)
    assert "Caption" not in before and merged["Caption"] == signoff["Caption"]
    assert set(merged) == set(before) | set(signoff)
    assert all(merged[k] == v for k, v in before.items())


# -- refusals ------------------------------------------------------------------------------------
def _first_paragraph(document: Any) -> Any:
    return document.find(f"{W}body").find(f"{W}p")


def _paragraph_properties(paragraph: Any) -> Any:
    found = paragraph.find(f"{W}pPr")
    if found is None:
        found = etree.Element(f"{W}pPr")
        paragraph.insert(0, found)
    return found


def _other_doc_defaults(styles: Any) -> None:
    etree.SubElement(styles.find(f"{W}docDefaults/{W}rPrDefault/{W}rPr"), f"{W}i")


def _other_heading(styles: Any) -> None:
    heading = next(s for s in styles.iter(f"{W}style") if s.get(f"{W}styleId") == "Heading1")
    etree.SubElement(heading.find(f"{W}rPr"), f"{W}i")


def _numbered(document: Any) -> None:
    numbering = etree.SubElement(_paragraph_properties(_first_paragraph(document)), f"{W}numPr")
    etree.SubElement(numbering, f"{W}ilvl", {f"{W}val": "0"})
    etree.SubElement(numbering, f"{W}numId", {f"{W}val": "1"})


def _list_style(document: Any) -> None:
    properties = _paragraph_properties(_first_paragraph(document))
    properties.insert(0, etree.Element(f"{W}pStyle", {f"{W}val": "ListBullet"}))


def _page_field(document: Any) -> None:
    paragraph = _first_paragraph(document)
    for kind, instruction in (("begin", None), (None, " PAGE "), ("separate", None), ("end", None)):
        run = etree.SubElement(paragraph, f"{W}r")
        if kind:
            etree.SubElement(run, f"{W}fldChar", {f"{W}fldCharType": kind})
        else:
            etree.SubElement(run, f"{W}instrText").text = instruction


def _simple_numpages_field(header: Any) -> None:
    etree.SubElement(header.find(f"{W}p"), f"{W}fldSimple", {f"{W}instr": " NUMPAGES \\* MERGEFORMAT "})


@pytest.mark.parametrize(("part", "change", "reason"), [
    ("word/styles.xml", _other_doc_defaults, "docDefaults"),
    ("word/styles.xml", _other_heading, "style Heading1 differs"),
    ("word/document.xml", _numbered, "numPr"),
    ("word/document.xml", _list_style, "style ListBullet uses numbering"),
    ("word/document.xml", _page_field, "field PAGE"),
    ("header", _simple_numpages_field, "field NUMPAGES"),
], ids=["doc-defaults", "same-id-style", "numpr", "numbered-style", "page-field", "numpages-in-header"])
def test_signoff_that_cannot_be_merged_is_refused(rendered: tuple[Path, Path], tmp_path: Path, part: str,
                                                  change: Callable[[Any], None], reason: str) -> None:
    main, signoff = rendered
    part = _last_header(signoff) if part == "header" else part
    changed = _edited(signoff, tmp_path / "freigabe.docx", part, change)
    out = tmp_path / "gesamt.docx"
    with pytest.raises(CannotCombine, match=reason):
        combine_docx(main, changed, out)
    assert not out.exists()


def _table_at_the_end(document: Any) -> None:
    body = document.find(f"{W}body")
    body[-1].addprevious(etree.fromstring(etree.tostring(body.find(f"{W}tbl"))))


def _end_bookmark(document: Any) -> None:
    paragraph = _first_paragraph(document)
    etree.SubElement(paragraph, f"{W}bookmarkStart", {f"{W}id": "7", f"{W}name": MAIN_END_BOOKMARK})
    etree.SubElement(paragraph, f"{W}bookmarkEnd", {f"{W}id": "7"})


@pytest.mark.parametrize(("part", "change", "reason"), [
    ("word/document.xml", _table_at_the_end, "does not end with a paragraph"),
    ("word/document.xml", _end_bookmark, "already has a bookmark"),
], ids=["table-last", "bookmark-taken"])
def test_main_document_that_cannot_be_merged_is_refused(rendered: tuple[Path, Path], tmp_path: Path, part: str,
                                                        change: Callable[[Any], None], reason: str) -> None:
    main, signoff = rendered
    changed = _edited(main, tmp_path / "vorlage.docx", part, change)
    with pytest.raises(CannotCombine, match=reason):
        combine_docx(changed, signoff, tmp_path / "gesamt.docx")


# -- real LibreOffice ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pool(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LibreOfficePool]:
    """One real warm LibreOffice worker, as the pipeline converts with."""
    yield from one_worker_pool(tmp_path_factory)


@pytest.mark.slow
def test_libreoffice_counts_main_pages_alone_and_gives_the_signoff_no_footer(
        rendered: tuple[Path, Path], combined: Path, pool: LibreOfficePool, tmp_path: Path) -> None:
    main_pdf, signoff_pdf, alone = tmp_path / "vorlage.pdf", tmp_path / "freigabe.pdf", tmp_path / "allein.pdf"
    assert pool.convert_split(combined, main_pdf, Split(signoff_pdf, MAIN_END_BOOKMARK, {})) is not None
    pool.convert(rendered[0], alone)

    def texts(pdf: Path) -> list[str]:
        return [" ".join(page.extract_text().split()) for page in PdfReader(pdf).pages]

    pages = texts(main_pdf)
    assert pages == texts(alone)  # the main document as it comes out on its own
    main_pages = len(pages)
    assert main_pages >= 2
    for number, text in enumerate(pages, start=1):
        assert f"Seite {number} von {main_pages}" in text, text[-200:]
    [signoff] = texts(signoff_pdf)
    assert signoff.startswith(f"{SAMPLE_KOERPERSCHAFT.name} Freigabevermerk"), signoff[:200]  # its own header
    assert not re.search(r"Seite \d", signoff) and "Vorlage 2025/0412 –" not in signoff  # no footer
    assert "Freigabevermerk 2025/0412" in signoff
