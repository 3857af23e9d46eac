"""Rich-text blocks → Word sub-documents styled by the template's own styles.

A block list mixes plain strings (paragraphs) with ``{"ueberschrift": …}``,
``{"absatz": …}``, ``{"liste": […]}`` and ``{"tabelle": {"spalten": […],
"zeilen": [[…]]}}``. The sub-document refers to styles by name (Heading 2,
List Bullet, Table Grid …); the shipped templates define them, so headings,
bullets and tables look like the rest of the document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docxtpl.subdoc import Subdoc
from lxml import etree

HEADING_STYLE = "Heading {level}"
LIST_STYLE = "List Bullet"
TABLE_STYLE = "Table Grid"


_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean_text(text: str) -> str:
    """Drop characters XML 1.0 cannot hold (control characters); Word could not open the file."""
    return _XML_ILLEGAL.sub("", text)


def as_blocks(value: Any) -> list[Any]:
    """A plain string is accepted wherever blocks are."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def _paragraphs(sub: Subdoc, text: str) -> None:
    # One JSON string may hold several paragraphs separated by blank lines.
    for part in clean_text(text).replace("\r\n", "\n").split("\n\n"):
        para = sub.add_paragraph()  # Normal: the default paragraph style
        lines = part.split("\n")
        for i, line in enumerate(lines):
            run = para.add_run(line)
            if i < len(lines) - 1:
                run.add_break()


def _table(sub: Subdoc, spec: dict[str, Any]) -> None:
    header: Sequence[str] = spec.get("spalten") or []
    rows: Sequence[Sequence[str]] = spec["zeilen"]
    width = max([len(header), *(len(r) for r in rows)])
    table = sub.add_table(rows=0, cols=width)
    table.style = TABLE_STYLE
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    if header:
        cells = table.add_row().cells
        for i, text in enumerate(header):
            cells[i].text = clean_text(text)
            for run in cells[i].paragraphs[0].runs:
                run.bold = True
            _shade(cells[i])
        _repeat_header(table.rows[0])
    for row in rows:
        cells = table.add_row().cells
        for i, text in enumerate(row):
            cells[i].text = clean_text(text)
    for row in table.rows:
        for cell in row.cells:
            for para in cell.paragraphs:
                para.paragraph_format.space_after = Pt(2)
    sub.add_paragraph()  # breathing room after the table


def _shade(cell: Any, fill: str = "D9D9D9") -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _repeat_header(row: Any) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


class BlockXml:
    """Word XML for one block list, inserted by docxtpl like a sub-document (``{{p name }}``)."""

    def __init__(self, xml: str) -> None:
        self.xml = xml

    def __html__(self) -> str:  # docxtpl inserts objects with __html__ unescaped
        return self.xml

    def __str__(self) -> str:
        return self.xml


def blocks_subdoc(scratch: Subdoc, value: Any, heading_level: int = 2) -> BlockXml:
    """Render ``value`` (blocks or a string) as Word XML, using ``scratch`` as the workbench.

    One scratch sub-document serves a whole render: creating a python-docx document
    per block list costs about 30 ms each, which added up to most of the render time.
    """
    body = scratch.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    _fill(scratch, value, heading_level)
    parts = [etree.tostring(child, encoding="unicode") for child in body if child.tag != qn("w:sectPr")]
    return BlockXml("".join(parts))


def _style_id(sub: Subdoc, name: str) -> str:
    """The style id for a style name, looked up once per scratch document.

    python-docx resolves names on every paragraph by scanning all styles, which was
    a third of the render time.
    """
    cache: dict[str, str] = sub.__dict__.setdefault("_docgen_style_ids", {})
    if name not in cache:
        cache[name] = sub.styles[name].style_id
    return cache[name]


def _styled(sub: Subdoc, text: str, style_name: str) -> None:
    para = sub.add_paragraph(text)
    para._p.style = _style_id(sub, style_name)


def _fill(sub: Subdoc, value: Any, heading_level: int) -> None:
    for block in as_blocks(value):
        if isinstance(block, str):
            _paragraphs(sub, block)
        elif "ueberschrift" in block:
            _styled(sub, clean_text(block["ueberschrift"]), HEADING_STYLE.format(level=heading_level))
        elif "absatz" in block:
            _paragraphs(sub, block["absatz"])
        elif "liste" in block:
            for item in block["liste"]:
                _styled(sub, clean_text(item), LIST_STYLE)
        elif "tabelle" in block:
            _table(sub, block["tabelle"])
