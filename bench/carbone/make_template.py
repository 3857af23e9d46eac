"""Write Carbone's translation of docgen's Beschlussvorlage template (``{d.…}`` tags, ``[i]`` loops).

The layout is docgen's own: its template file is opened (page set-up, styles, header and footer
stay), the body is emptied and rebuilt element by element in the order of docgen's template, each
Jinja construct replaced by Carbone's:

* ``{{ x.y }}`` → ``{d.x.y}``; the ``datum`` filter → ``:formatD(DD.MM.YYYY)``; ``join`` → ``:arrayJoin``;
* ``{%tr for … %}`` rows and ``{%p for … %}`` paragraphs → a row/paragraph with ``[i]`` followed by one
  with ``[i+1]`` (Carbone's loop);
* ``{%tr if … %}`` rows → a loop over the rows that exist (``kopf``), ``{%p if … %}`` →
  ``:showBegin``/``:showEnd`` or a loop over a list of zero or one element;
* rich text (``{{p … }}``: paragraphs, headings, lists, tables) → a loop over its paragraphs and
  one over its table rows; Carbone has no rich-text blocks, so ``carbone_bench.js`` shapes each
  rich-text value into ``absaetze`` and ``zeilen`` before rendering (counted in Carbone's time).

Usage: ``python bench/carbone/make_template.py OUT.docx`` (``bench/run.py`` calls :func:`write`).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "templates" / "beschlussvorlage.docx"


def _loop_paragraphs(doc: DocumentObject, array: str, text: str, style: str = "Normal") -> None:
    """Two paragraphs: Carbone repeats what lies between ``array[i]`` and ``array[i+1]``."""
    doc.add_paragraph(text.replace("@", f"{array}[i]"), style=style)
    doc.add_paragraph(f"{{{array}[i+1]}}", style=style)


def _rich(doc: DocumentObject, field: str) -> None:
    """A rich-text value: its paragraphs, then its table rows (first row = column heads)."""
    _loop_paragraphs(doc, f"d.{field}.absaetze", "{@.t}")
    table = doc.add_table(rows=2, cols=3, style="Table Grid")
    rows = f"d.{field}.zeilen"
    for column, key in enumerate("abc"):
        table.cell(0, column).text = f"{{{rows}[i].{key}}}"
        table.cell(1, column).text = f"{{{rows}[i+1].{key}}}" if column == 0 else ""


def _translate_headers(doc: DocumentObject) -> None:
    """``{{ a.b }}`` in headers and footers → ``{d.a.b}`` (docgen's header names body and Vorlage)."""
    for section in doc.sections:
        for part in (section.header, section.footer):
            for paragraph in part.paragraphs:
                for run in paragraph.runs:
                    if "{{" in run.text:
                        run.text = re.sub(r"\{\{\s*([\w.]+)\s*\}\}", r"{d.\1}", run.text)


def build(source: Path = SOURCE) -> DocumentObject:
    doc = Document(str(source))
    _translate_headers(doc)
    body = doc.element.body
    for child in list(body):
        if not child.tag.endswith("}sectPr"):
            body.remove(child)
    doc.add_paragraph("{d.koerperschaft.name}")
    doc.add_paragraph("{d.koerperschaft.verwaltungsspitze}")
    doc.add_paragraph("{d.vorlage.art}")
    head = doc.add_table(rows=2, cols=2, style="Table Grid")  # the rows that exist, in docgen's order
    head.cell(0, 0).text = "{d.kopf[i].k}"
    head.cell(0, 1).text = "{d.kopf[i].v}"
    head.cell(1, 0).text = "{d.kopf[i+1].k}"
    doc.add_paragraph("")
    doc.add_paragraph("Betreff")
    doc.add_paragraph("{d.vorlage.betreff}")
    doc.add_paragraph("{d.vorlage.betreff_hier:ifEM:hideBegin}hier: {d.vorlage.betreff_hier}"
                      "{d.vorlage.betreff_hier:hideEnd}")
    doc.add_paragraph("Beratungsfolge", style="Heading 1")
    folge = doc.add_table(rows=3, cols=3, style="Table Grid")
    for column, (title, key) in enumerate((("Datum", "datum"), ("Gremium", "gremium"),
                                           ("Zuständigkeit", "zustaendigkeit"))):
        folge.cell(0, column).text = title
        folge.cell(1, column).text = f"{{d.beratungsfolge[i].{key}}}"
    folge.cell(2, 0).text = "{d.beratungsfolge[i+1].datum}"
    doc.add_paragraph("Beschlussvorschlag", style="Heading 1")
    _rich(doc, "beschlussvorschlag")
    doc.add_paragraph("Sachlage", style="Heading 1")
    _rich(doc, "sachlage")
    _loop_paragraphs(doc, "d.rechtslage_titel", "{@.t}", style="Heading 1")  # zero or one heading
    _rich(doc, "rechtslage")
    _loop_paragraphs(doc, "d.nichtoeffentlich", "{@.t}")
    doc.add_paragraph("Auswirkungen", style="Heading 1")
    doc.add_paragraph("{d.auswirkungen[i].titel}", style="Heading 2")  # nested loop: titel, its paragraphs
    doc.add_paragraph("{d.auswirkungen[i].absaetze[j].t}")
    doc.add_paragraph("{d.auswirkungen[i].absaetze[j+1]}")
    doc.add_paragraph("{d.auswirkungen[i+1]}")
    _rich(doc, "auswirkungen_tabellen")  # their table rows
    doc.add_paragraph("")
    _loop_paragraphs(doc, "d.unterzeichnung", "{@.t}")
    doc.add_paragraph("Anlagen", style="Heading 1")
    _loop_paragraphs(doc, "d.anlagen", "Anlage {@.nr}: {@.titel}")
    _loop_paragraphs(doc, "d.keine", "{@.t}")  # "keine" when there is no Anlage
    return doc


def write(out: Path, source: Path = SOURCE) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    build(source).save(str(out))
    return out


if __name__ == "__main__":
    print(write(Path(sys.argv[1])))
