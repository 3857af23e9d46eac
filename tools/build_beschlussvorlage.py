"""The Beschlussvorlage template: header block, field table, Beratungsfolge, sections."""

from __future__ import annotations

from build_templates import (
    HEADER_BODY,
    base_document,
    cell_text,
    control_row,
    footer_page_x_of_y,
    header_line,
    header_logo,
    para,
    repeat_header,
    set_widths,
    shade,
    signature_block,
)
from docx.document import Document as DocumentObject
from docx.enum.table import WD_TABLE_ALIGNMENT

H1 = "Heading 1"
H2 = "Heading 2"


def _kopf(doc: DocumentObject) -> None:
    para(doc, "{{ koerperschaft.name }}", bold=True, size=15, after=0)
    para(doc, "{{ koerperschaft.verwaltungsspitze }}", size=11, after=14)
    para(doc, "{{ vorlage.art }}", bold=True, size=18, after=8)
    table = doc.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    rows = [
        ("Vorlagen-Nr.", "{{ vorlage.nummer }}"),
        ("Datum", "{{ vorlage.datum|datum }}"),
        ("Status", "{% if vorlage.oeffentlich %}öffentlich{% else %}nichtöffentlich{% endif %}"),
        ("Federführend", "{{ vorlage.federfuehrend }}"),
    ]
    for label, value in rows:
        cells = table.add_row().cells
        cell_text(cells[0], label, bold=True)
        shade(cells[0])
        cell_text(cells[1], value)
    optional = [
        ("vorlage.beteiligt", "Beteiligt", "{{ vorlage.beteiligt|join(', ') }}"),
        ("vorlage.aktenzeichen", "Aktenzeichen", "{{ vorlage.aktenzeichen }}"),
        ("vorlage.verfasser", "Sachbearbeitung", "{{ vorlage.verfasser }}"),
    ]
    for condition, label, value in optional:
        control_row(table, f"{{%tr if {condition} %}}")
        cells = table.add_row().cells
        cell_text(cells[0], label, bold=True)
        shade(cells[0])
        cell_text(cells[1], value)
        control_row(table, "{%tr endif %}")
    set_widths(table, [4.0, 12.5])
    para(doc, "", after=4)
    para(doc, "Betreff", bold=True, size=10, after=0)
    para(doc, "{{ vorlage.betreff }}", bold=True, size=12.5, after=2)
    para(doc, "{%p if vorlage.betreff_hier %}")
    para(doc, "hier: {{ vorlage.betreff_hier }}", size=11.5, after=2)
    para(doc, "{%p endif %}")
    # Earlier Vorlagen this one refers to, as a RIS prints them ("Bezug").
    para(doc, "{%p for z in vorlage.bezug %}")
    para(doc, "Bezug: Vorlage {{ z.nummer }}{% if z.betreff %} – {{ z.betreff }}{% endif %}", size=10, after=2)
    para(doc, "{%p endfor %}")


def _beratungsfolge(doc: DocumentObject) -> None:
    para(doc, "Beratungsfolge", style=H1)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.LEFT
    for cell, label in zip(table.rows[0].cells, ("Datum", "Gremium", "Zuständigkeit"), strict=True):
        cell_text(cell, label, bold=True)
        shade(cell)
    repeat_header(table)
    control_row(table, "{%tr for b in beratungsfolge %}")
    cells = table.add_row().cells
    cell_text(cells[0], "{{ b.datum|datum if b.datum else 'noch offen' }}")
    cell_text(cells[1], "{{ b.gremium }}{% if b.top %} (TOP {{ b.top }}){% endif %}")
    cell_text(cells[2], "{{ b.zustaendigkeit }}")
    control_row(table, "{%tr endfor %}")
    set_widths(table, [3.0, 9.5, 4.0])


def _abschnitte(doc: DocumentObject) -> None:
    para(doc, "Beschlussvorschlag", style=H1)
    para(doc, "{{p beschlussvorschlag }}")
    para(doc, "Sachlage", style=H1)
    para(doc, "{{p sachlage }}")
    para(doc, "{%p if rechtslage %}")
    para(doc, "Rechtslage", style=H1)
    para(doc, "{{p rechtslage }}")
    para(doc, "{%p endif %}")
    para(doc, "{%p if not vorlage.oeffentlich %}")
    para(doc, "Begründung der Nichtöffentlichkeit", style=H1)
    para(doc, "{{ vorlage.begruendung_nichtoeffentlichkeit }}")
    para(doc, "{%p endif %}")
    para(doc, "Auswirkungen", style=H1)
    para(doc, "{%p for a in auswirkungen %}")
    para(doc, "{{ a.titel }}", style=H2)
    para(doc, "{{p a.inhalt }}")
    para(doc, "{%p endfor %}")


def _unterzeichnung(doc: DocumentObject) -> None:
    signature_block(doc)
    para(doc, "Anlagen", style=H1)
    para(doc, "{%p for a in anlagen %}")
    para(doc, "Anlage {{ a.nr }}: {{ a.titel }}", after=2)
    para(doc, "{%p endfor %}")
    para(doc, "{%p if not anlagen %}")
    para(doc, "keine")
    para(doc, "{%p endif %}")


def build() -> DocumentObject:
    doc = base_document()
    header_line(doc, HEADER_BODY,
                "{{ vorlage.art }} {{ vorlage.nummer }}")
    header_logo(doc)
    footer_page_x_of_y(doc, "Vorlage {{ vorlage.nummer }}")
    _kopf(doc)
    _beratungsfolge(doc)
    _abschnitte(doc)
    _unterzeichnung(doc)
    doc.core_properties.title = "Beschlussvorlage"
    # lint-template and the preflight read the dokumentart from here (Word: Datei → Eigenschaften → Kategorie).
    doc.core_properties.category = "beschlussvorlage"
    doc.core_properties.author = "docgen"
    doc.core_properties.language = "de-DE"
    return doc
