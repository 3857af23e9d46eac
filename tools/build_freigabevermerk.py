"""The sign-off page (Freigabevermerk) that closes every bundle."""

from __future__ import annotations

from build_templates import (
    base_document,
    cell_text,
    control_row,
    header_line,
    header_logo,
    para,
    repeat_header,
    set_widths,
    shade,
)
from docx.document import Document as DocumentObject


def _table(doc: DocumentObject, headers: tuple[str, ...], loop: str, cells: tuple[str, ...],
           widths: list[float]) -> None:
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    for cell, label in zip(table.rows[0].cells, headers, strict=True):
        cell_text(cell, label, bold=True)
        shade(cell)
    repeat_header(table)
    control_row(table, f"{{%tr for {loop} %}}")
    row = table.add_row().cells
    for cell, text in zip(row, cells, strict=True):
        cell_text(cell, text)
    control_row(table, "{%tr endfor %}")
    set_widths(table, widths)


def build() -> DocumentObject:
    doc = base_document()
    header_line(doc, "{{ koerperschaft.name }}", "Freigabevermerk")
    header_logo(doc, "koerperschaft.logo")  # the sign-off page's context knows the body, not "logo"
    para(doc, "Freigabevermerk", bold=True, size=18, after=4)
    para(doc, "{{ bezug }}", bold=True, size=12, after=2)
    para(doc, "{{ titel }}", after=10)
    para(doc, "{%p if freigegeben %}")
    para(doc, "Status: freigegeben und mit dem elektronischen Siegel der Körperschaft versehen.", bold=True)
    para(doc, "{%p else %}")
    para(doc, "Status: ENTWURF – nicht freigegeben, nicht gesiegelt.", bold=True)
    para(doc, "{%p endif %}")
    para(doc, "Inhalt des Dokumentenpakets", style="Heading 1")
    _table(doc, ("Nr.", "Dokument", "Seiten"), "d in inhalt",
           ("{{ d.label }}", "{{ d.titel }}", "{{ d.seiten }}"), [3.2, 10.3, 3.0])
    para(doc, "Mitzeichnungen", style="Heading 1")
    para(doc, "{%p if mitzeichnungen %}")
    _table(doc, ("Rolle", "Name", "Datum"), "m in mitzeichnungen",
           ("{{ m.rolle }}", "{{ m.name }}", "{{ m.datum|datum }}"), [6.0, 7.5, 3.0])
    para(doc, "{%p else %}")
    para(doc, "keine")
    para(doc, "{%p endif %}")
    para(doc, "Unterzeichnung", style="Heading 1")
    para(doc, "{%p if unterzeichnung %}")
    para(doc, "{{ unterzeichnung.zusatz }}", after=0)
    para(doc, "gez. {{ unterzeichnung.name }}", after=0)
    para(doc, "{{ unterzeichnung.funktion }}", after=0)
    para(doc, "am {{ unterzeichnung.datum|datum }}")
    para(doc, "{%p else %}")
    para(doc, "noch nicht unterzeichnet", italic=True)
    para(doc, "{%p endif %}")
    para(doc, "Nachweis der Erzeugung", style="Heading 1")
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for label, value in (
        ("Eingabedatei", "{{ eingabe }}"),
        ("SHA-256 der Eingabe", "{{ sha256 }}"),
        ("Erzeugt am", "{{ erzeugt }}"),
        ("Erzeugt mit", "docgen {{ version }}"),
    ):
        cells = table.add_row().cells
        cell_text(cells[0], label, bold=True, size=9)
        shade(cells[0])
        cell_text(cells[1], value, size=9)
    set_widths(table, [4.5, 12.0])
    doc.core_properties.title = "Freigabevermerk"
    # lint-template and the preflight read the dokumentart from here (Word: Datei → Eigenschaften → Kategorie).
    doc.core_properties.category = "freigabevermerk"
    doc.core_properties.language = "de-DE"
    return doc
