"""The Sachbericht template: cover data, Ausgangslage, goals table, Maßnahmen by Handlungsfeld, the rest.

Also holds the small table helpers the Verwendungsnachweis template shares (compact cells,
right-aligned money, full-width group rows, borderless layout tables).
"""

from __future__ import annotations

from build_templates import (
    base_document,
    cell_text,
    control_row,
    footer_page_x_of_y,
    header_line,
    header_logo,
    para,
    set_widths,
    shade,
    signature_block,
)
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor
from docx.table import Table, _Cell, _Row
from docx.text.paragraph import Paragraph

H1 = "Heading 1"
H2 = "Heading 2"
H3 = "Heading 3"
SIZE = 9  # table text
LIGHT = "EDEDED"  # group rows
GREY_TEXT = RGBColor(0x59, 0x59, 0x59)


# --- shared helpers ------------------------------------------------------------------------------


def cell(c: _Cell, text: str, *, bold: bool = False, right: bool = False, size: float = SIZE,
         italic: bool = False) -> Paragraph:
    """Text into the first paragraph of a cell; money right-aligned."""
    cell_text(c, text, bold=bold, size=size)
    p: Paragraph = c.paragraphs[0]
    if italic:
        for run in p.runs:
            run.italic = True
    if right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    return p


def cell_para(c: _Cell, text: str, *, size: float = SIZE, italic: bool = False, bold: bool = False) -> Paragraph:
    """A further paragraph in a cell (for {%p %} tags and second lines)."""
    p = c.add_paragraph()
    p.paragraph_format.space_after = Pt(1)
    run = p.add_run(text)
    run.font.size = Pt(size)
    run.italic = italic or None
    run.bold = bold or None
    return p


def header_row(table: Table, labels: list[str], right_from: int = 99, row: int = 0) -> None:
    """A header row: bold on grey; columns from ``right_from`` on right-aligned."""
    for i, (c, label) in enumerate(zip(table.rows[row].cells, labels, strict=True)):
        cell(c, label, bold=True, right=i >= right_from)
        shade(c)


def no_split(row: _Row) -> None:
    """A row is never broken across two pages."""
    flag = OxmlElement("w:cantSplit")
    flag.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(flag)


def keep_together(table: Table) -> None:
    """Keep a short table on one page: every row holds on to the next one."""
    for row in table.rows[:-1]:
        for c in row.cells:
            for p in c.paragraphs:
                p.paragraph_format.keep_with_next = True


def data_row(table: Table, texts: list[str], right_from: int, *, bold: bool = False,
             fill: str | None = None) -> list[_Cell]:
    row = table.add_row()
    no_split(row)
    cells = row.cells
    for i, (c, text) in enumerate(zip(cells, texts, strict=True)):
        cell(c, text, bold=bold, right=i >= right_from)
        if fill:
            shade(c, fill)
    return list(cells)


def group_row(table: Table, text: str, fill: str = LIGHT) -> None:
    """A row whose cells are merged into one, e.g. for a Handlungsfeld; it stays with the next row."""
    row = table.add_row()
    no_split(row)
    merged = row.cells[0].merge(row.cells[-1])
    cell(merged, text, bold=True).paragraph_format.keep_with_next = True
    shade(merged, fill)


def no_borders(table: Table) -> None:
    """A layout table without any lines."""
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        line = OxmlElement(f"w:{side}")
        line.set(qn("w:val"), "nil")
        borders.append(line)
    tbl_pr.append(borders)


# The children of <w:pPr> that follow <w:pBdr> in schema order, as far as these templates use them.
_AFTER_PBDR = ("w:shd", "w:tabs", "w:spacing", "w:ind", "w:jc", "w:rPr")


def top_rule(p: Paragraph) -> None:
    """A thin line above a paragraph: the line to sign on."""
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for key, value in (("w:val", "single"), ("w:sz", "4"), ("w:space", "1"), ("w:color", "000000")):
        top.set(qn(key), value)
    borders.append(top)
    p._p.get_or_add_pPr().insert_element_before(borders, *_AFTER_PBDR)


def grid(doc: DocumentObject, widths: list[float], header_rows: int = 1) -> Table:
    """A lined table with its (empty) header rows."""
    table = doc.add_table(rows=header_rows, cols=len(widths))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    return table


def finish(table: Table, widths: list[float], header_rows: int = 1) -> None:
    set_widths(table, widths)
    for row in table.rows[:header_rows]:
        tr_pr = row._tr.get_or_add_trPr()
        flag = OxmlElement("w:tblHeader")
        flag.set(qn("w:val"), "true")
        tr_pr.append(flag)


def note(container: object, text: str, after: float = 6) -> Paragraph:
    p = para(container, text, size=8.5, italic=True, after=after)
    p.runs[0].font.color.rgb = GREY_TEXT
    return p


def fact(doc: DocumentObject, label: str, expression: str, condition: str = "") -> None:
    """A "Label: value" line shown only when the value exists."""
    para(doc, f"{{%p if {condition or expression} %}}")
    p = para(doc, after=0)
    p.add_run(label + ": ").bold = True
    p.add_run("{{ " + expression + " }}")
    para(doc, "{%p endif %}")


# --- the Sachbericht -----------------------------------------------------------------------------


def _kopf(doc: DocumentObject) -> None:
    para(doc, "{{ empfaenger.name }}", bold=True, size=13, after=0)
    para(doc, "{{ empfaenger.abteilung or '' }}", size=10.5, after=18)
    para(doc, "Sachbericht", bold=True, size=20, after=2)
    para(doc, "{{ berichtsart }} für den Berichtszeitraum {{ zeitraum.von|datum }} bis {{ zeitraum.bis|datum }}",
         size=12, after=2)
    para(doc, "{%p if titel %}")
    para(doc, "{{ titel }}", bold=True, size=12, after=2)
    para(doc, "{%p endif %}")
    para(doc, "", after=4)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    rows = [
        ("Zuwendungsempfänger", "{{ empfaenger.name }}{% if empfaenger.abteilung %}, {{ empfaenger.abteilung }}"
                                "{% endif %}{% if empfaenger.zeilen %}, {{ empfaenger.zeilen|join(', ') }}{% endif %}"),
        ("Bewilligungsbehörde", "{{ behoerde.name }}{% if behoerde.abteilung %}, {{ behoerde.abteilung }}{% endif %}"),
        ("Aktenzeichen", "{{ aktenzeichen }}"),
        ("Förderprogramm", "{{ foerderprogramm }}"),
        ("Berichtszeitraum", "{{ zeitraum.von|datum }} bis {{ zeitraum.bis|datum }}"),
        ("Berichtsart", "{{ berichtsart }}"),
    ]
    for label, value in rows:
        cells = table.add_row().cells
        cell(cells[0], label, bold=True, size=10)
        shade(cells[0])
        cell(cells[1], value, size=10)
    control_row(table, "{%tr if empfaenger.kontakt %}")
    cells = table.add_row().cells
    cell(cells[0], "Ansprechperson", bold=True, size=10)
    shade(cells[0])
    cell(cells[1], "{{ empfaenger.kontakt }}", size=10)
    control_row(table, "{%tr endif %}")
    set_widths(table, [4.6, 11.9])


ZIEL_WIDTHS = [4.1, 3.0, 1.7, 1.7, 2.1, 3.9]


def _ziele(doc: DocumentObject) -> None:
    para(doc, "2 Ziele und Zielerreichung", style=H1)
    para(doc, "Ziele insgesamt: {{ zielbilanz.gesamt }} – davon erreicht: {{ zielbilanz.erreicht }}, teilweise "
              "erreicht: {{ zielbilanz.teilweise }}, nicht erreicht: {{ zielbilanz.nicht }}.", after=6)
    table = grid(doc, ZIEL_WIDTHS)
    header_row(table, ["Ziel laut Antrag", "Indikator", "Soll", "Ist", "Bewertung", "Ursache der Abweichung"])
    control_row(table, "{%tr for g in zielgruppen %}")
    group_row(table, "{{ g.handlungsfeld }}")
    control_row(table, "{%tr for z in g.ziele %}")
    cells = data_row(table, ["{{ z.ziel }}", "{{ z.indikator }}", "{{ z.soll }}", "{{ z.ist }}", "{{ z.bewertung }}",
                             "{{ z.abweichungsgrund or '–' }}"], right_from=99)
    cell_para(cells[0], "{%p if z.zieldimension %}")
    cell_para(cells[0], "Zieldimension: {{ z.zieldimension }}", size=8, italic=True)
    cell_para(cells[0], "{%p endif %}")
    control_row(table, "{%tr endfor %}")
    control_row(table, "{%tr endfor %}")
    finish(table, ZIEL_WIDTHS)
    para(doc, "", after=2)
    para(doc, "{%p if abweichungen %}")
    para(doc, "Abweichungen vom Antrag, vom Arbeits- und vom Finanzierungsplan", style=H2)
    para(doc, "{{p abweichungen }}")
    para(doc, "{%p endif %}")


def _massnahmen(doc: DocumentObject) -> None:
    para(doc, "3 Durchgeführte Maßnahmen", style=H1)
    para(doc, "{%p for f in felder %}")
    para(doc, "{{ f.nr }} {{ f.handlungsfeld }}", style=H2)
    para(doc, "{%p for m in f.massnahmen %}")
    para(doc, "{{ m.titel }}", style=H3)
    fact(doc, "Zeitraum", "m.zeitraum")
    fact(doc, "Format", "m.format")
    fact(doc, "Ort", "m.ort")
    fact(doc, "Teilnehmende", "m.teilnehmende", "m.teilnehmende is not none")
    fact(doc, "Zielgruppe", "m.zielgruppe")
    fact(doc, "Kooperationspartner", "m.kooperationspartner")
    fact(doc, "Zieldimension (Strategie 2030)", "m.zieldimension")
    para(doc, "{%p if m.ergebnis %}")
    label = para(doc, "Ergebnis:", bold=True, after=0)
    label.paragraph_format.space_before = Pt(4)
    label.paragraph_format.keep_with_next = True
    para(doc, "{{p m.ergebnis }}")
    para(doc, "{%p endif %}")
    para(doc, "{%p endfor %}")
    para(doc, "{%p endfor %}")


PERSONAL_WIDTHS = [4.6, 1.6, 2.4, 2.4, 5.5]


def _personal(doc: DocumentObject) -> None:
    para(doc, "4 Personal", style=H1)
    para(doc, "{%p if personal %}")
    table = grid(doc, PERSONAL_WIDTHS)
    header_row(table, ["Stellenart", "VZÄ", "besetzt von", "besetzt bis", "Bemerkung"])
    cells = table.rows[0].cells
    cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    control_row(table, "{%tr for p in personal %}")
    cells = data_row(table, ["{{ p.stellenart }}", "{{ p.vzae|zahl }}", "{{ p.von|datum }}", "{{ p.bis|datum }}",
                             "{{ p.bemerkung or '' }}"], right_from=99)
    cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    control_row(table, "{%tr endfor %}")
    cells = data_row(table, ["Insgesamt", "{{ personal_vzae|zahl }}", "", "", ""], right_from=99, bold=True)
    cells[1].paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    finish(table, PERSONAL_WIDTHS)
    keep_together(table)
    note(doc, "VZÄ = Vollzeitäquivalente. Abgeordnete Lehrkräfte werden vom Land gestellt und sind nicht "
              "Teil der Zuwendung.")
    para(doc, "{%p else %}")
    para(doc, "Keine Angaben.")
    para(doc, "{%p endif %}")


def _rest(doc: DocumentObject) -> None:
    para(doc, "5 Kooperationen und Netzwerke", style=H1)
    para(doc, "{%p if kooperationen %}")
    widths = [6.0, 10.5]
    table = grid(doc, widths)
    header_row(table, ["Partner", "Form der Zusammenarbeit"])
    control_row(table, "{%tr for k in kooperationen %}")
    data_row(table, ["{{ k.partner }}", "{{ k.form or '' }}"], right_from=99)
    control_row(table, "{%tr endfor %}")
    finish(table, widths)
    para(doc, "{%p else %}")
    para(doc, "Keine Angaben.")
    para(doc, "{%p endif %}")
    para(doc, "6 Öffentlichkeitsarbeit", style=H1)
    para(doc, "{%p if oeffentlichkeitsarbeit %}")
    para(doc, "{{p oeffentlichkeitsarbeit }}")
    para(doc, "{%p else %}")
    para(doc, "Keine Angaben.")
    para(doc, "{%p endif %}")
    para(doc, "7 Ausblick", style=H1)
    para(doc, "{{p ausblick }}")


def _unterschrift(doc: DocumentObject) -> None:
    signature_block(doc, "{{ datum|datum }}", space_before=12)


def build() -> DocumentObject:
    doc = base_document()
    header_line(doc, "{{ empfaenger.name }}{% if empfaenger.abteilung %} – {{ empfaenger.abteilung }}{% endif %}",
                "Sachbericht, Az. {{ aktenzeichen }}")
    header_logo(doc)
    footer_page_x_of_y(doc, "{{ berichtsart }} {{ zeitraum.von|datum }} – {{ zeitraum.bis|datum }}")
    _kopf(doc)
    para(doc, "1 Ausgangslage", style=H1)
    para(doc, "{{p ausgangslage }}")
    _ziele(doc)
    _massnahmen(doc)
    _personal(doc)
    _rest(doc)
    _unterschrift(doc)
    doc.core_properties.title = "Sachbericht"
    # lint-template and the preflight read the dokumentart from here (Word: Datei → Eigenschaften → Kategorie).
    doc.core_properties.category = "sachbericht"
    doc.core_properties.author = "docgen"
    doc.core_properties.language = "de-DE"
    return doc
