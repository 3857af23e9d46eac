"""Build the shipped Word templates in templates/ from code.

The committed .docx files are what administrators edit in Word; this script is
how they were made, so a clean, reproducible starting point is one command away
(``python tools/build_templates.py``). Every Jinja tag is written as one run, so
no tag is split across Word runs. The templates start from python-docx's default
document, whose style names (Heading 1–3, List Bullet, Table Grid) are the ones
docgen's rich-text blocks use.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

FONT = "Liberation Sans"
ROOT = Path(__file__).resolve().parent.parent
BLACK = RGBColor(0, 0, 0)
GREY = "D9D9D9"


def _set_fonts(rpr: OxmlElement) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in list(fonts.attrib):
        del fonts.attrib[attr]  # theme fonts would win over the named font
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def base_document() -> DocumentObject:
    doc = Document()
    styles_el = doc.styles.element
    defaults = styles_el.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(rpr)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "de-DE")
    for style in doc.styles:
        element = style.element
        style_rpr = element.find(qn("w:rPr"))
        if style_rpr is not None:
            _set_fonts(style_rpr)
    german_hyphenation(doc)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(11)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15
    for level, size in ((1, 13), (2, 11.5), (3, 11)):
        heading = doc.styles[f"Heading {level}"]
        heading.font.size = Pt(size)
        heading.font.bold = True
        heading.font.italic = False
        heading.font.color.rgb = BLACK
        heading.paragraph_format.space_before = Pt(14 if level == 1 else 10)
        heading.paragraph_format.space_after = Pt(4)
        heading.paragraph_format.keep_with_next = True
    _plain_bullets(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.left_margin, section.right_margin = Cm(2.5), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)
    section.header_distance = section.footer_distance = Cm(1)
    return doc


def german_hyphenation(doc: DocumentObject) -> None:
    """Automatic hyphenation (Word: Layout → Silbentrennung → Automatisch) in German.

    The language de-DE on every paragraph and character style, so a style that an
    administrator derives keeps it, and ``w:autoHyphenation`` in the document settings.
    LibreOffice hyphenates with the system's patterns (Debian's hyphen-de); Word with its own.
    """
    for style in doc.styles:
        if style.type not in (WD_STYLE_TYPE.PARAGRAPH, WD_STYLE_TYPE.CHARACTER):
            continue
        rpr = style.element.get_or_add_rPr()
        lang = rpr.find(qn("w:lang"))
        if lang is None:
            lang = OxmlElement("w:lang")
            rpr.append(lang)
        lang.set(qn("w:val"), "de-DE")
    settings = doc.settings.element
    if settings.find(qn("w:autoHyphenation")) is None:
        flag = OxmlElement("w:autoHyphenation")
        flag.set(qn("w:val"), "true")
        # Schema order: autoHyphenation follows defaultTabStop and precedes the character settings.
        tab_stop = settings.find(qn("w:defaultTabStop"))
        if tab_stop is not None:
            tab_stop.addnext(flag)
        else:
            settings.append(flag)


def header_logo(doc: DocumentObject, variable: str = "logo") -> None:
    """The body's logo (``{{ logo }}``, set when the settings or the input name one; its height is
    fixed by the renderer) right-aligned above the header line. Without a logo the three paragraphs
    disappear and the header is as before."""
    header = doc.sections[0].header
    first = header.paragraphs[0]
    first.insert_paragraph_before(f"{{%p if {variable} %}}")
    picture = first.insert_paragraph_before(f"{{{{ {variable} }}}}")
    picture.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    picture.paragraph_format.space_after = Pt(2)
    picture.paragraph_format.line_spacing = 1.0
    first.insert_paragraph_before("{%p endif %}")
    # The taller header would touch the text below it: a small gap after the line, only with a logo.
    header.add_paragraph(f"{{%p if {variable} %}}")
    gap = header.add_paragraph()
    gap.paragraph_format.space_after = Pt(0)
    gap.paragraph_format.line_spacing = 1.0
    gap_run = gap.add_run()
    gap_run.font.size = Pt(6)
    header.add_paragraph("{%p endif %}")


def _plain_bullets(doc: DocumentObject) -> None:
    """Bullets as Unicode characters in the body font instead of Symbol/Wingdings glyphs.

    Symbol and Wingdings are not on a Linux server; with them LibreOffice would embed a
    substitute. The list numbering is shared with docgen's rich-text lists.
    """
    marks = ["•", "–", "▪"]
    numbering = doc.part.numbering_part.element
    for lvl in numbering.iter(qn("w:lvl")):
        fmt = lvl.find(qn("w:numFmt"))
        if fmt is None or fmt.get(qn("w:val")) != "bullet":
            continue
        level = int(lvl.get(qn("w:ilvl")))
        lvl.find(qn("w:lvlText")).set(qn("w:val"), marks[level % len(marks)])
        rpr = lvl.find(qn("w:rPr"))
        if rpr is None:
            rpr = OxmlElement("w:rPr")
            lvl.append(rpr)
        _set_fonts(rpr)


def para(container: object, text: str = "", *, bold: bool = False, size: float | None = None,
         style: str | None = None, align: WD_ALIGN_PARAGRAPH | None = None,
         italic: bool = False, after: float | None = None) -> Paragraph:
    """A paragraph whose text is one run, so Jinja tags stay whole."""
    p: Paragraph = container.add_paragraph(style=style)  # type: ignore[attr-defined]
    if text:
        run = p.add_run(text)
        run.bold = bold or None
        run.italic = italic or None
        if size:
            run.font.size = Pt(size)
    if align is not None:
        p.alignment = align
    if after is not None:
        p.paragraph_format.space_after = Pt(after)
    return p


def field(paragraph: Paragraph, instruction: str, size: float = 9) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice update."""
    def run_with(child: OxmlElement) -> None:
        run = paragraph.add_run()
        run.font.size = Pt(size)
        run._r.append(child)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    run_with(instr)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    placeholder = paragraph.add_run("1")
    placeholder.font.size = Pt(size)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def footer_page_x_of_y(doc: DocumentObject, prefix: str) -> None:
    footer = doc.sections[0].footer
    p = footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for text, instr in ((prefix + " – Seite ", "PAGE"), (" von ", "NUMPAGES")):
        run = p.add_run(text)
        run.font.size = Pt(9)
        field(p, instr)


# The body and, when it names one, its head ("Kreis Musterland – Der Landrat"; no dash without a head).
HEADER_BODY = ("{{ koerperschaft.name }}{% if koerperschaft.verwaltungsspitze %} – "
               "{{ koerperschaft.verwaltungsspitze }}{% endif %}")


def header_line(doc: DocumentObject, left: str, right: str) -> None:
    header = doc.sections[0].header
    p = header.paragraphs[0]
    # The default Header style has a centre tab first; only a right tab at the margin is wanted.
    doc.styles["Header"].paragraph_format.tab_stops.clear_all()
    p.paragraph_format.tab_stops.add_tab_stop(Cm(16.5), alignment=WD_TAB_ALIGNMENT.RIGHT)
    run = p.add_run(left + "\t" + right)
    run.font.size = Pt(9)
    run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    _bottom_border(p)


def _bottom_border(p: Paragraph) -> None:
    ppr = p._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "4"), ("w:space", "1"), ("w:color", "808080")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    # Word rejects pPr children out of schema order: pBdr comes before shd, tabs, spacing, jc ….
    ppr.insert_element_before(borders, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
                              "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi",
                              "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
                              "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
                              "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle",
                              "w:rPr", "w:sectPr", "w:pPrChange")


def shade(cell: object, fill: str = GREY) -> None:
    tc_pr = cell._tc.get_or_add_tcPr()  # type: ignore[attr-defined]
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    tc_pr.append(shd)


def cell_text(cell: object, text: str, *, bold: bool = False, size: float = 10) -> None:
    p = cell.paragraphs[0]  # type: ignore[attr-defined]
    p.paragraph_format.space_after = Pt(1)
    run = p.add_run(text)
    run.bold = bold or None
    run.font.size = Pt(size)


def control_row(table: Table, tag: str) -> None:
    """A row that holds only a docxtpl {%tr %} tag (it disappears when rendered)."""
    cells = table.add_row().cells
    cell_text(cells[0], tag)


def set_widths(table: Table, widths_cm: list[float]) -> None:
    """Column widths in the grid (LibreOffice reads these) and in every cell (Word does)."""
    table.autofit = False
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), widths_cm, strict=False):
        col.set(qn("w:w"), str(int(Cm(width).twips)))
    for row in table.rows:
        for cell, width in zip(row.cells, widths_cm, strict=False):
            cell.width = Cm(width)


def repeat_header(table: Table) -> None:
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


def signature_block(doc: DocumentObject, date_line: str | None = None, space_before: float = 10) -> None:
    """"Im Auftrag / gez. Name / Funktion" when the input has a freigabe, else the draft note."""
    para(doc, "", after=space_before)
    para(doc, "{%p if freigabe %}")
    if date_line:
        para(doc, date_line, after=8)
    para(doc, "{{ freigabe.unterzeichnung.zusatz }}", after=0)
    para(doc, "gez. {{ freigabe.unterzeichnung.name }}", after=0)
    para(doc, "{{ freigabe.unterzeichnung.funktion }}", after=0)
    para(doc, "{%p else %}")
    para(doc, "Entwurf – noch nicht freigegeben", italic=True)
    para(doc, "{%p endif %}")


def page_break(doc: DocumentObject) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def main() -> int:
    """Build every template: each tools/build_<name>.py with a build() makes templates/<name>.docx."""
    import importlib

    out = ROOT / "templates"
    out.mkdir(exist_ok=True)
    for script in sorted(Path(__file__).resolve().parent.glob("build_*.py")):
        name = script.stem.removeprefix("build_")
        if name == "templates":
            continue
        build = importlib.import_module(script.stem).build
        build().save(str(out / f"{name}.docx"))
        print(f"geschrieben: templates/{name}.docx")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
