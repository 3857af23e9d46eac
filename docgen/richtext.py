"""Rich-text blocks → Word XML styled by the template's own styles.

A block list mixes plain strings (paragraphs) with ``{"ueberschrift": …}``,
``{"absatz": …}``, ``{"liste": […]}`` and ``{"tabelle": {"spalten": […],
"zeilen": [[…]]}}``. The XML refers to styles by id (Heading 2, List Bullet,
Table Grid …, see :func:`required_styles`); the template must define them, so
headings, bullets and tables look like the rest of the document.

The XML is built directly with lxml and appended, one element per paragraph,
row and cell: python-docx's ``add_paragraph`` scans the whole body for the
section properties on every call, which made 100,000 list items take minutes.
A document has limits (items, table cells, columns) and an optional deadline;
data beyond them raises :class:`BlockProblem` with the JSON path *relative to
the block list*, which the render stage turns into an input error.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from docgen.errors import TemplateProblem

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

HEADING_STYLE = "Heading {level}"
HEADING_LEVELS = (2, 3, 4)  # every level a document type asks for (Beschlussvorlage 2–3, Sachbericht 2–4)
LIST_STYLE = "List Bullet"
TABLE_STYLE = "Table Grid"

# Tables: up to NORMAL_COLUMNS columns keep the body font and equal widths; wider ones get a
# smaller font, narrow cell margins, a fixed layout and widths by content. Beyond MAX_COLUMNS
# the text no longer fits readably on an A4 page in portrait (proved by tests/test_richtext.py
# and bench/render_size.py --wide with real LibreOffice): such a table is refused.
NORMAL_COLUMNS = 6
MAX_COLUMNS = 12
MIN_FONT_HALF_POINTS = 14  # 7 pt: the floor for a scaled table
COMPACT_MARGIN = 28  # twips (0.05 cm) left and right in a scaled table's cells
DEFAULT_TEXT_WIDTH = 9355  # twips: A4 portrait with 2.5 cm and 2 cm margins

# python-docx's equal column widths (a 6-inch block), kept so ordinary tables look as before.
_LEGACY_BLOCK_EMU = 5486400
_EMU_PER_TWIP = 635

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_CHECK_EVERY = 512  # items between two looks at the clock


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


def required_styles() -> list[str]:
    """The style names every template that holds rich text must define (checked before any job)."""
    return [HEADING_STYLE.format(level=level) for level in HEADING_LEVELS] + [LIST_STYLE, TABLE_STYLE]


@dataclass(frozen=True)
class Limits:
    """How much rich text one document may hold (all its block lists together)."""

    # LibreOffice sets the bound, not docgen: on 2 shared cores a 2,000-row table (4 columns) takes
    # about 13 s from JSON to PDF/A, 2,400 rows 22 s, 4,000 rows over the default convert_timeout of
    # 30 s; 4,000 list items about 6 s (bench/render_size.py --convert).
    items: int = 10_000  # paragraphs, headings, list items and table rows
    table_rows: int = 2_200  # rows of all tables
    cells: int = 9_000  # cells of all tables
    columns: int = MAX_COLUMNS  # per table


class BlockProblem(Exception):
    """Rich text that cannot be printed within the limits: where (pointer below the block list) and what."""

    def __init__(self, path: str, message: str, code: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message
        self.code = code


class BlockXml:
    """Word XML for one block list, inserted by docxtpl like a sub-document (``{{p name }}``)."""

    def __init__(self, xml: str) -> None:
        self.xml = xml

    def __html__(self) -> str:  # docxtpl inserts objects with __html__ unescaped
        return self.xml

    def __str__(self) -> str:
        return self.xml


def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


def _sub(parent: Any, tag: str, **attrs: str) -> Any:
    element = etree.SubElement(parent, _w(tag))
    for key, value in attrs.items():
        element.set(_w(key), value)
    return element


def _add_text(run: Any, text: str) -> None:
    """Run content as Word writes it: tabs as ``w:tab``, line ends as ``w:br``, the rest as ``w:t``."""
    for piece in re.split(r"([\t\r\n])", text):
        if piece == "\t":
            _sub(run, "tab")
        elif piece in ("\r", "\n"):
            _sub(run, "br")
        elif piece:
            t = _sub(run, "t")
            t.text = piece
            if len(piece.strip()) < len(piece):
                t.set(XML_SPACE, "preserve")


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")  # German thousands separator


def _text(value: Any) -> str:
    return clean_text(value if isinstance(value, str) else str(value))


class BlockBuilder:
    """Builds the Word XML of block lists for one document, counting against its limits."""

    def __init__(self, style_ids: Mapping[str, str], *, text_width: int = DEFAULT_TEXT_WIDTH,
                 limits: Limits | None = None, deadline: float | None = None,
                 timeout: float | None = None) -> None:
        self.style_ids = style_ids
        self.text_width = text_width
        self.limits = limits or Limits()
        self.deadline = deadline  # time.monotonic() value after which building stops
        self.timeout = timeout  # for the message only
        self.items = 0
        self.rows = 0
        self.cells = 0

    def build(self, value: Any, heading_level: int = 2) -> BlockXml:
        root = etree.Element(_w("blocks"), nsmap={"w": W_NS})
        for index, block in enumerate(as_blocks(value)):
            self._clock(f"/{index}")
            path = f"/{index}" if not isinstance(value, str) else ""
            if isinstance(block, str):
                self._paragraphs(root, block, path)
            elif "ueberschrift" in block:
                self._count(1, path + "/ueberschrift")
                self._styled(root, _text(block["ueberschrift"]),
                             self._style(HEADING_STYLE.format(level=heading_level)))
            elif "absatz" in block:
                self._paragraphs(root, block["absatz"], path + "/absatz")
            elif "liste" in block:
                self._list(root, block["liste"], path + "/liste")
            elif "tabelle" in block:
                self._table(root, block["tabelle"], path + "/tabelle")
        xml = etree.tostring(root, encoding="unicode")
        if xml.endswith("/>"):
            return BlockXml("")
        # Strip the wrapper: its namespace declaration would otherwise repeat on every paragraph.
        return BlockXml(xml[xml.index(">") + 1: xml.rindex("</")])

    # -- limits ---------------------------------------------------------------------------

    def _count(self, items: int, path: str) -> None:
        self.items += items
        if self.items > self.limits.items:
            raise BlockProblem(path, f"zu viel Text für ein Dokument: mehr als {_number(self.limits.items)} "
                               "Absätze, Überschriften, Listenpunkte und Tabellenzeilen zusammen (höchstens "
                               f"{_number(self.limits.items)}). Bitte den Inhalt kürzen oder als PDF-Anlage "
                               "beifügen.", "umfang.bloecke")

    def _clock(self, path: str) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            limit = f" {self.timeout:g} s" if self.timeout else ""
            raise BlockProblem(path, f"das Dokument ist zu umfangreich: die Aufbereitung dauerte länger als "
                               f"das Zeitlimit{limit}. Bitte den Inhalt kürzen oder aufteilen.", "umfang.zeit")

    def _style(self, name: str) -> str:
        try:
            return self.style_ids[name]
        except KeyError:
            raise TemplateProblem(
                f"Vorlage: die Formatvorlage „{name}“ fehlt. Bitte die Vorlagen-Verantwortlichen "
                "informieren (die Eingabe ist in Ordnung)."
            ) from None

    # -- blocks ---------------------------------------------------------------------------

    def _paragraphs(self, root: Any, text: str, path: str) -> None:
        # One JSON string may hold several paragraphs separated by blank lines.
        parts = _text(text).replace("\r\n", "\n").split("\n\n")
        self._count(len(parts), path)
        for part in parts:
            para = _sub(root, "p")  # Normal: the default paragraph style
            lines = part.split("\n")
            last = len(lines) - 1
            for i, line in enumerate(lines):
                run = _sub(para, "r")
                _add_text(run, line)
                if i < last:
                    _sub(run, "br")

    def _styled(self, root: Any, text: str, style_id: str) -> None:
        para = _sub(root, "p")
        _sub(_sub(para, "pPr"), "pStyle", val=style_id)
        if text:
            _add_text(_sub(para, "r"), text)

    def _list(self, root: Any, items: Sequence[Any], path: str) -> None:
        self._count(len(items), path)
        style_id = self._style(LIST_STYLE)
        for i, item in enumerate(items):
            if i % _CHECK_EVERY == 0:
                self._clock(f"{path}/{i}")
            self._styled(root, _text(item), style_id)

    def _table(self, root: Any, spec: Mapping[str, Any], path: str) -> None:
        header: Sequence[Any] = spec.get("spalten") or []
        rows: Sequence[Sequence[Any]] = spec.get("zeilen") or []
        width = max([len(header), *(len(r) for r in rows)])
        if width > self.limits.columns:
            raise BlockProblem(path, f"{width} Spalten; höchstens {self.limits.columns} passen lesbar auf eine "
                               "A4-Seite. Bitte die Tabelle aufteilen oder als PDF-Anlage beifügen.",
                               "umfang.spalten")
        self._count(len(rows) + (1 if header else 0), path + "/zeilen")
        self.rows += len(rows) + (1 if header else 0)
        if self.rows > self.limits.table_rows:
            raise BlockProblem(path + "/zeilen", f"zu viele Tabellenzeilen für ein Dokument (höchstens "
                               f"{_number(self.limits.table_rows)} in allen Tabellen zusammen). Bitte die "
                               "Tabelle kürzen oder als PDF-Anlage beifügen.", "umfang.zeilen")
        self.cells += width * (len(rows) + (1 if header else 0))
        if self.cells > self.limits.cells:
            raise BlockProblem(path, f"zu viele Tabellenzellen für ein Dokument (höchstens "
                               f"{_number(self.limits.cells)}). Bitte die Tabelle kürzen oder als PDF-Anlage "
                               "beifügen.", "umfang.zellen")
        if width == 0:
            return
        layout = _Layout.equal(width) if width <= NORMAL_COLUMNS else _Layout.by_content(
            width, [header, *rows], self.text_width)
        table = _sub(root, "tbl")
        self._table_properties(table, layout)
        grid = _sub(table, "tblGrid")
        for col in layout.widths:
            _sub(grid, "gridCol", w=str(col))
        if header:
            tr = _sub(table, "tr")
            _sub(_sub(tr, "trPr"), "tblHeader", val="true")
            self._cells(tr, header, layout, header=True)
        for i, row in enumerate(rows):
            if i % _CHECK_EVERY == 0:
                self._clock(f"{path}/zeilen/{i}")
            self._cells(_sub(table, "tr"), row, layout, header=False)
        _sub(root, "p")  # breathing room after the table

    def _table_properties(self, table: Any, layout: _Layout) -> None:
        props = _sub(table, "tblPr")
        _sub(props, "tblStyle", val=self._style(TABLE_STYLE))
        if layout.font is None:
            _sub(props, "tblW", type="auto", w="0")
            _sub(props, "jc", val="center")
        else:
            _sub(props, "tblW", type="dxa", w=str(sum(layout.widths)))
            _sub(props, "jc", val="center")
            _sub(props, "tblLayout", type="fixed")
            margins = _sub(props, "tblCellMar")
            for side in ("left", "right"):
                _sub(margins, side, w=str(COMPACT_MARGIN), type="dxa")
        _sub(props, "tblLook", firstColumn="1", firstRow="1", lastColumn="0", lastRow="0", noHBand="0",
             noVBand="1", val="04A0")

    def _cells(self, tr: Any, texts: Sequence[Any], layout: _Layout, *, header: bool) -> None:
        for col, width in enumerate(layout.widths):
            tc = _sub(tr, "tc")
            props = _sub(tc, "tcPr")
            _sub(props, "tcW", type="dxa", w=str(width))
            if header and col < len(texts):
                _sub(props, "shd", val="clear", color="auto", fill="D9D9D9")
            para = _sub(tc, "p")
            _sub(_sub(para, "pPr"), "spacing", after="40" if layout.font is None else "0")
            if col >= len(texts):
                continue
            run = _sub(para, "r")
            if header or layout.font is not None:
                run_props = _sub(run, "rPr")
                if header:
                    _sub(run_props, "b")
                if layout.font is not None:
                    _sub(run_props, "sz", val=str(layout.font))
                    _sub(run_props, "szCs", val=str(layout.font))
            _add_text(run, _text(texts[col]))


@dataclass(frozen=True)
class _Layout:
    widths: list[int]  # twips per column
    font: int | None  # half-points; None = the style's font (an ordinary table)

    @classmethod
    def equal(cls, columns: int) -> _Layout:
        twips = round((_LEGACY_BLOCK_EMU // columns) / _EMU_PER_TWIP)
        return cls([twips] * columns, None)

    @classmethod
    def by_content(cls, columns: int, rows: Sequence[Sequence[Any]], text_width: int) -> _Layout:
        """Widths for a wide table: every column gets its longest word, the rest goes by content."""
        font = max(MIN_FONT_HALF_POINTS, 18 - (columns - NORMAL_COLUMNS - 1) // 2 * 2)
        char = font * 10 * 0.56  # twips of an average character (0.56 em) at this size
        words = [1] * columns
        lengths = [1] * columns
        for row in rows:
            for col, value in enumerate(row):
                text = _text(value)
                lengths[col] = max(lengths[col], min(len(text), 40))
                words[col] = max(words[col], min(max((len(w) for w in text.split()), default=1), 16))
        base = [int(w * char) + 2 * COMPACT_MARGIN for w in words]
        room = text_width - sum(base)
        if room <= 0:  # not even the longest words fit: share the width by them (words will break)
            total = sum(base)
            return cls([max(1, text_width * b // total) for b in base], font)
        extra = [max(0, lengths[c] - words[c]) for c in range(columns)]
        spread = sum(extra) or columns
        share = [room * (e if sum(extra) else 1) // spread for e in extra]
        return cls([b + s for b, s in zip(base, share, strict=True)], font)
