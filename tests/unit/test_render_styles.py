"""Unused styles leave the rendered DOCX; used ones, their bases and the defaults stay.

Word's default template carries about a hundred table styles and dozens of paragraph and character
styles that LibreOffice reads on every load. Dropping the unused ones must never drop one the
document names: in the body, in a header, in a list, as the base, linked or next style of a used
one, or one a field or index applies on its own (a table of contents' "toc 1").
"""

from __future__ import annotations

import copy
import io
import os
import zipfile
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm
from lxml import etree

from docgen.settings import Settings
from docgen.stages.render import _lean_package, render_docx, render_template
from docgen.stages.validate import validate_file
from tests.conftest import EXAMPLES, SAMPLE_KOERPERSCHAFT


def _table_styles(docx: Path) -> set[str]:
    with zipfile.ZipFile(docx) as archive:
        root = etree.fromstring(archive.read("word/styles.xml"))
    return {s.get(qn("w:styleId")) for s in root.iter(qn("w:style")) if s.get(qn("w:type")) == "table"}


def _references(docx: Path) -> set[str]:
    found: set[str] = set()
    with zipfile.ZipFile(docx) as archive:
        for name in archive.namelist():
            if name.startswith("word/") and name.endswith(".xml") and name != "word/styles.xml":
                root = etree.fromstring(archive.read(name))
                found.update(e.get(qn("w:val")) for e in root.iter(qn("w:tblStyle")))
    return found


def _template(path: Path) -> Path:
    """A template with a table in the body, one in the header, and a table style based on another."""
    document = Document()
    styles = document.styles.element
    base = next(s for s in styles.iter(qn("w:style")) if s.get(qn("w:styleId")) == "LightShading-Accent1")
    derived = copy.deepcopy(base)
    derived.set(qn("w:styleId"), "Ratstabelle")
    derived.find(qn("w:name")).set(qn("w:val"), "Ratstabelle")
    derived.find(qn("w:basedOn")).set(qn("w:val"), "LightShading-Accent1")
    styles.append(derived)
    document.add_paragraph("{{ titel }}")
    document.add_table(rows=1, cols=2).style = "Ratstabelle"
    header = document.sections[0].header
    header.add_table(rows=1, cols=1, width=Mm(80)).style = "Light List"
    document.save(str(path))
    return path


def test_unused_table_styles_go_and_used_ones_stay(tmp_path: Path) -> None:
    template = _template(tmp_path / "vorlage.docx")
    before = _table_styles(template)
    out = render_template(template, {"titel": "Haushalt"}, tmp_path / "out.docx", "test")
    after = _table_styles(out)
    assert {"Ratstabelle", "LightShading-Accent1", "LightList", "TableNormal"} <= after
    assert "MediumGrid3-Accent6" in before and "MediumGrid3-Accent6" not in after
    assert len(after) == 4  # the used two, the base of one, the default
    assert _references(out) <= after


def _styles(docx: Path) -> set[str]:
    with zipfile.ZipFile(docx) as archive:
        root = etree.fromstring(archive.read("word/styles.xml"))
    return {s.get(qn("w:styleId")) for s in root.iter(qn("w:style"))}


def test_unused_paragraph_and_character_styles_go(tmp_path: Path) -> None:
    document = Document()
    styles = document.styles
    toc = styles.add_style("toc 1", 1)  # WD_STYLE_TYPE.PARAGRAPH; what LibreOffice's index update applies
    toc.base_style = styles["Body Text 2"]
    own = styles.add_style("Ratsvermerk", 1)
    own.base_style = styles["Body Text 3"]
    own.next_paragraph_style = styles["Quote"]
    document.add_paragraph("{{ titel }}", style="Ratsvermerk")
    document.add_paragraph("Betonung").runs[0].style = "Strong"
    document.sections[0].header.paragraphs[0].style = "Header"
    document.add_paragraph("{{ titel }}", style="Heading 1")
    document.add_paragraph("klein geschrieben")._p.get_or_add_pPr().style = "intensequote"  # Word's ids ignore case
    document.save(str(tmp_path / "vorlage.docx"))
    before = _styles(tmp_path / "vorlage.docx")
    out = render_template(tmp_path / "vorlage.docx", {"titel": "Haushalt"}, tmp_path / "out.docx", "test")
    after = _styles(out)
    kept = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList",  # the defaults
            "Ratsvermerk", "BodyText3", "Quote",  # used, its base and next style
            "Heading1", "Heading1Char", "Header", "HeaderChar", "Strong",  # used, and their linked styles
            "IntenseQuote", "IntenseQuoteChar",
            "BodyText3Char", "QuoteChar",  # linked to kept ones
            "toc1", "BodyText2", "BodyText2Char", "TOCHeading", "Caption",  # applied by fields and indexes
            # named by the list definitions of Word's default template (numbering.xml)
            "ListBullet", "ListBullet2", "ListBullet3", "ListNumber", "ListNumber2", "ListNumber3"}
    gone = {"Title", "TitleChar", "Subtitle", "SubtitleChar", "MacroText", "BodyText",
            "MediumGrid3-Accent6"}
    assert kept | gone <= before
    assert after == kept


def test_the_example_keeps_every_table_style_it_names(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", koerperschaft=SAMPLE_KOERPERSCHAFT)
    job = validate_file(EXAMPLES / "verwendungsnachweis.json", settings)
    out = render_docx(job, tmp_path / "vn.docx", settings)
    used = _references(out)
    assert used, "the Verwendungsnachweis has tables"
    assert used <= _table_styles(out)
    with zipfile.ZipFile(out) as archive:
        assert archive.getinfo("word/styles.xml").file_size < 100_000  # was about 360 KB


def test_a_rendered_document_leaves_word_2010s_copy_of_the_styles_out(tmp_path: Path) -> None:
    settings = Settings(state_dir=tmp_path / "state", koerperschaft=SAMPLE_KOERPERSCHAFT)
    template = settings.template_path("beschlussvorlage.docx")
    with zipfile.ZipFile(template) as archive:
        assert "word/stylesWithEffects.xml" in archive.namelist()  # the shipped template has it
    job = validate_file(EXAMPLES / "beschlussvorlage.json", settings)
    out = render_docx(job, tmp_path / "bv.docx", settings)
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        rels = archive.read("word/_rels/document.xml.rels").decode()
        types = archive.read("[Content_Types].xml").decode()
    assert "word/stylesWithEffects.xml" not in names
    assert "stylesWithEffects" not in rels and "stylesWithEffects" not in types
    assert "word/styles.xml" in names and 'Target="styles.xml"' in rels
    assert Document(str(out)).paragraphs  # Word's reader opens it


def _paragraph_styles(package: bytes | Path) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(package) if isinstance(package, bytes) else package) as archive:
        root = etree.fromstring(archive.read("word/styles.xml"))
    return [s.get(qn("w:styleId")) for s in root.iter(qn("w:style")) if s.get(qn("w:type")) != "table"]


def test_renderings_open_the_template_without_unusable_table_styles(tmp_path: Path) -> None:
    template = _template(tmp_path / "vorlage.docx")
    lean = _lean_package(template)
    assert lean is not None
    lean_file = tmp_path / "lean.docx"
    lean_file.write_bytes(lean)
    # the template's own, rich text's "Table Grid", the base of one, the default; nothing else changes
    assert _table_styles(lean_file) == {"Ratstabelle", "LightShading-Accent1", "LightList", "TableGrid",
                                        "TableNormal"}
    assert _paragraph_styles(lean) == _paragraph_styles(template)
    assert _lean_package(template) is lean  # once per process

    # An edited template is read afresh: its new table keeps its style.
    document = Document(str(template))
    document.add_table(rows=1, cols=1).style = "Medium Grid 3 Accent 6"
    document.save(str(template))
    os.utime(template, ns=(1, 1))  # whatever the clock says, the file is another one
    out = render_template(template, {"titel": "Haushalt"}, tmp_path / "out.docx", "test")
    assert "MediumGrid3-Accent6" in _table_styles(out) and _references(out) <= _table_styles(out)


def test_a_table_style_chosen_by_a_placeholder_keeps_them_all(tmp_path: Path) -> None:
    template = _template(tmp_path / "vorlage.docx")
    with zipfile.ZipFile(template) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["word/document.xml"] = parts["word/document.xml"].replace(b'w:val="Ratstabelle"', b'w:val="{{ stil }}"')
    with zipfile.ZipFile(template, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    lean = _lean_package(template)
    assert lean is not None  # Word 2010's style copy is left out all the same
    with zipfile.ZipFile(io.BytesIO(lean)) as archive:
        assert archive.read("word/styles.xml") == parts["word/styles.xml"]  # every style in it
    out = render_template(template, {"titel": "Haushalt", "stil": "MediumGrid3-Accent6"}, tmp_path / "out.docx",
                          "test")
    assert "MediumGrid3-Accent6" in _references(out) and "MediumGrid3-Accent6" in _table_styles(out)
