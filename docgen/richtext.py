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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lxml import etree

from docgen.errors import TemplateProblem

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"

HEADING_STYLE = "Heading {level}"
HEADING_LEVELS = (2, 3, 4)  # every level a document type asks for (Beschlussvorlage 2–3, Sachbericht 2–4)
LIST_STYLE = "List Bullet"
TABLE_STYLE = "Table Grid"

# Tables: columns are as wide as their content asks (or as the block's "breiten" say), over the
# text width; up to NORMAL_COLUMNS columns keep the body font, wider ones get a smaller font and
# narrow cell margins. Columns of numbers are right-aligned. Beyond MAX_COLUMNS
# the text no longer fits readably on an A4 page in portrait (proved by tests/test_richtext.py
# and bench/render_size.py --wide with real LibreOffice): such a table is refused.
NORMAL_COLUMNS = 6
MAX_COLUMNS = 12
MIN_FONT_HALF_POINTS = 14  # 7 pt: the floor for a scaled table
COMPACT_MARGIN = 28  # twips (0.05 cm) left and right in a scaled table's cells
DEFAULT_TEXT_WIDTH = 9355  # twips: A4 portrait with 2.5 cm and 2 cm margins
BODY_HALF_POINTS = 21  # the tables' text: the templates' 11 pt body font, a little tighter in cells
WORD_CAP = 14  # characters: a longer word is hyphenated rather than widening its column

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


# -- inline markup and typography -----------------------------------------------------------------

LINK_COLOR = "0563C1"
LINK_SCHEMES = ("http://", "https://", "mailto:")
NBSP = "\u00a0"
# Inline markup: "**fett**", "*kursiv*", "[Text](https://…)" and "\\*" for a literal star (see
# inline_spans). A star opens emphasis only where a word starts and closes only where one ends, so that
# "Mitarbeiter*innen" stays as it is; bold needs a character other than stars inside, so that a row of
# stars ("**********") is printed as it was typed.
_MARKUP = re.compile(r"[\\*\[]")  # where markup can start
_ESCAPABLE = "*[]\\"
_OPEN_BLOCKED = re.compile(r"[\w*\\]")  # no emphasis opens right after a word character, star or backslash
_BOLD_CLOSE = re.compile(r"\*(?=\*(?![\w*]))(?<=[^\s\\]\*)")  # where "**" can close
_ITALIC_CLOSE = re.compile(r"\*(?![\w*])(?<=[^\s\\*]\*)")  # where "*" can close
_NOT_STAR = re.compile(r"[^\s*]")
_LINK_TEXT_END = re.compile(r"[\]\n]")
_URL_END = re.compile(r"[\s()<>]")
# Amounts, units and section signs keep their number: "1.234,56 €", "12,6 %", "§ 50", "− 307.500 €".
_KEEP_TOGETHER = (
    (re.compile(r"(?<=\d) (?=(?:€|EUR|%|v\. ?H\.|Mio\.|Mrd\.|Tsd\.)(?!\w))"), NBSP),
    (re.compile(r"(?<=§) (?=\d)|(?<=§§) (?=\d)"), NBSP),
    (re.compile(r"(?:(?<=^[−–-])|(?<=\s[−–-])) (?=\d)"), NBSP),
)
_BREAKS = re.compile(r"[ \t\r\n/-]+")  # where a line may break (a no-break space is none)
_NUMERIC = re.compile(
    r"[−+–-]?[ \u00a0]?(?:\d{1,3}(?:[.\u00a0\u202f ]\d{3})+|\d+)(?:,\d+)?"
    r"(?:[ \u00a0]?(?:€|EUR|%|v\. ?H\.|T€|Mio\.[ \u00a0]?€))?"
)


@dataclass(frozen=True)
class Span:
    """A piece of inline text with its look: bold, italic, or a link to ``url``."""

    text: str
    bold: bool = False
    italic: bool = False
    url: str | None = None


def typography(text: str) -> str:
    """No-break spaces where German typesetting keeps things together (DIN 5008 amounts, §)."""
    for pattern, replacement in _KEEP_TOGETHER:
        text = pattern.sub(replacement, text)
    return text


def inline_spans(text: str, *, bold: bool = False, italic: bool = False, url: str | None = None) -> list[Span]:
    """``**fett**``, ``*kursiv*``, ``[Text](https://…)`` and ``\\*`` → spans (adjacent plain text merged).

    Markup is read from left to right: where several could start, the leftmost wins, and an opening
    ``**`` or ``*`` closes at the first place that can close it. Markup nests (bold inside a link,
    italic inside bold); a link inside a link stays text. The text is read once, in time linear in its
    length however the stars and brackets lie, and nesting is followed without recursion.
    """
    if _MARKUP.search(text) is None:
        return [Span(text, bold, italic, url)] if text else []
    marks = _Marks(text)
    runs: list[tuple[list[str], bool, bool, str | None]] = []  # pieces of one look, joined at the end

    def add(piece: str, b: bool, i: bool, u: str | None) -> None:
        if not piece:
            return
        if runs and runs[-1][1:] == (b, i, u):
            runs[-1][0].append(piece)
        else:
            runs.append(([piece], b, i, u))

    stack = [_Segment(0, len(text), 0, bold, italic, url)]
    while stack:
        seg = stack[-1]
        found = marks.next_in(seg)
        if found is None:
            add(text[seg.pos:seg.end], seg.bold, seg.italic, seg.url)
            stack.pop()
            continue
        kind, at, inner_start, inner_end, after, target = found
        add(text[seg.pos:at], seg.bold, seg.italic, seg.url)
        seg.pos = after
        if kind == "esc":
            add(text[at + 1], seg.bold, seg.italic, seg.url)
        elif kind == "link" and seg.url is not None:  # no link inside a link
            add(text[at:after], seg.bold, seg.italic, seg.url)
        else:
            stack.append(_Segment(inner_start, inner_end, inner_start, seg.bold or kind == "bold",
                                  seg.italic or kind == "italic", target if kind == "link" else seg.url))
    return [Span("".join(pieces), b, i, u) for pieces, b, i, u in runs]


@dataclass
class _Segment:
    """A stretch of the text read with one look: the whole text, or the inside of a piece of markup."""

    start: int
    end: int
    pos: int  # read up to here
    bold: bool
    italic: bool
    url: str | None


class _Marks:
    """Where markup can open and close in one text, each found by one search that later ones reuse.

    The text is read from left to right (the insides of markup too, before what follows them), so
    the places asked for only move on, and every search starts where the last one found nothing.
    Inside a piece of markup the text is read as if it were all there is: its first character follows
    nothing and its last is followed by nothing (a closing star at its end closes, whatever comes after
    the piece).
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.bold_close = _Next(_BOLD_CLOSE, text)
        self.italic_close = _Next(_ITALIC_CLOSE, text)
        self.not_star = _Next(_NOT_STAR, text)
        self.link_text_end = _Next(_LINK_TEXT_END, text)
        self.url_ends: dict[int, tuple[int, int] | None] = {}

    def next_in(self, seg: _Segment) -> tuple[str, int, int, int, int, str | None] | None:
        """The next piece of markup in ``seg`` from ``seg.pos``: (kind, where it starts, where its inside
        starts and ends, where it ends, its link target)."""
        text = self.text
        at = seg.pos
        while (found := _MARKUP.search(text, at, seg.end)) is not None:
            at = found.start()
            char = text[at]
            if char == "\\":
                if at + 1 < seg.end and text[at + 1] in _ESCAPABLE:
                    return "esc", at, at + 1, at + 2, at + 2, None
            elif char == "[":
                link = self._link(at, seg.end)
                if link is not None:
                    return link
            elif at == seg.start or _OPEN_BLOCKED.match(text, at - 1) is None:
                emphasis = self._emphasis(at, seg.end)
                if emphasis is not None:
                    return emphasis
            at += 1
        return None

    def _emphasis(self, at: int, end: int) -> tuple[str, int, int, int, int, None] | None:
        text = self.text
        if text.startswith("**", at) and at + 2 < end and not text[at + 2].isspace():
            first = self.not_star.at_or_after(at + 2)  # bold holds something besides stars
            if first is not None and first < end:
                close = self._close(self.bold_close, first + 1, end, 2)
                if close is not None:
                    return "bold", at, at + 2, close, close + 2, None
        if at + 1 < end and not text[at + 1].isspace() and text[at + 1] != "*":
            close = self._close(self.italic_close, at + 2, end, 1)
            if close is not None:
                return "italic", at, at + 1, close, close + 1, None
        return None

    def _close(self, closes: _Next, start: int, end: int, width: int) -> int | None:
        """The first place from ``start`` where ``width`` stars close within ``end``. Before ``end`` the
        text after the stars decides (no word character or star may follow); right at ``end`` nothing follows."""
        close = closes.at_or_after(start)
        if close is not None and close + width < end:
            return close
        last = end - width
        text = self.text
        before = text[last - 1] if last >= 1 else " "
        if (last >= start and text.startswith("*" * width, last) and not before.isspace() and before != "\\"
                and (width == 2 or before != "*")):
            return last
        return None

    def _link(self, at: int, end: int) -> tuple[str, int, int, int, int, str] | None:
        """``[Text](url)`` from ``at``: the text up to the first "]" (no line break, not empty), an
        http, https or mailto address without spaces, parentheses or angle brackets, then ")"."""
        close = self.link_text_end.at_or_after(at + 1)
        if close is None or close == at + 1 or self.text[close] != "]":
            return None
        if close not in self.url_ends:
            self.url_ends[close] = self._url(close)
        found = self.url_ends[close]
        if found is None or found[1] + 1 > end:
            return None
        url_start, url_end = found
        return "link", at, at + 1, close, url_end + 1, self.text[url_start:url_end]

    def _url(self, close: int) -> tuple[int, int] | None:
        text = self.text
        if not text.startswith("(", close + 1):
            return None
        start = close + 2
        scheme = next((s for s in LINK_SCHEMES if text.startswith(s, start)), None)
        if scheme is None:
            return None
        stop = _URL_END.search(text, start + len(scheme))
        if stop is None or stop.start() == start + len(scheme) or text[stop.start()] != ")":
            return None
        return start, stop.start()


class _Next:
    """The first match of ``pattern`` in ``text`` at or after a place, remembering the last answer:
    asked for places that only move on, it reads every character at most once."""

    def __init__(self, pattern: re.Pattern[str], text: str) -> None:
        self.pattern = pattern
        self.text = text
        self.asked = len(text) + 1  # nothing asked yet
        self.found: int | None = None

    def at_or_after(self, start: int) -> int | None:
        # The last answer holds for every place from where it was asked up to what it found.
        if not (self.asked <= start and (self.found is None or start <= self.found)):
            match = self.pattern.search(self.text, start)
            self.asked, self.found = start, (match.start() if match else None)
        return self.found


def is_numeric(text: str) -> bool:
    """Whether a table cell holds a number or an amount ("1.234,56 €", "− 307.500", "12,6 %")."""
    return _NUMERIC.fullmatch(text.strip()) is not None


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")  # German thousands separator


def _text(value: Any) -> str:
    return clean_text(value if isinstance(value, str) else str(value))


class BlockBuilder:
    """Builds the Word XML of block lists for one document, counting against its limits."""

    def __init__(self, style_ids: Mapping[str, str], *, text_width: int = DEFAULT_TEXT_WIDTH,
                 limits: Limits | None = None, deadline: float | None = None,
                 timeout: float | None = None, link: Callable[[str], str] | None = None) -> None:
        self.style_ids = style_ids
        # url → relationship id in the document part (a real hyperlink); without it a link is
        # printed as "Text (url)".
        self.link = link
        self.text_width = text_width
        self.limits = limits or Limits()
        self.deadline = deadline  # time.monotonic() value after which building stops
        self.timeout = timeout  # for the message only
        self.items = 0
        self.rows = 0
        self.cells = 0

    def build(self, value: Any, heading_level: int = 2) -> BlockXml:
        root = etree.Element(_w("blocks"), nsmap={"w": W_NS, "r": R_NS})
        for index, block in enumerate(as_blocks(value)):
            self._clock(f"/{index}")
            path = f"/{index}" if not isinstance(value, str) else ""
            if isinstance(block, str):
                self._paragraphs(root, block, path)
            elif "ueberschrift" in block:
                self._count(1, path + "/ueberschrift")
                self._styled(root, typography(_text(block["ueberschrift"])),
                             self._style(HEADING_STYLE.format(level=heading_level)), markup=False)
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
                runs = self._inline(para, line)
                if i < last:
                    _sub(runs[-1] if runs else _sub(para, "r"), "br")
            if not lines or lines == [""]:
                _sub(para, "r")

    def _styled(self, root: Any, text: str, style_id: str, *, markup: bool = True) -> None:
        para = _sub(root, "p")
        _sub(_sub(para, "pPr"), "pStyle", val=style_id)
        if text and markup:
            self._inline(para, text)
        elif text:
            _add_text(_sub(para, "r"), text)

    def _inline(self, para: Any, text: str, *, bold: bool = False, size: int | None = None) -> list[Any]:
        """Runs for one line of text with its inline markup; returns the runs made."""
        runs = []
        for span in inline_spans(typography(text), bold=bold):
            parent = para
            if span.url is not None and self.link is not None:
                parent = etree.SubElement(para, _w("hyperlink"))
                parent.set(f"{{{R_NS}}}id", self.link(span.url))
                parent.set(_w("history"), "1")
            run = _sub(parent, "r")
            runs.append(run)
            linked = span.url is not None and self.link is not None
            # rPr children in the schema's order: b, i, color, sz, szCs, u
            wanted = [("b", {}) if span.bold else None, ("i", {}) if span.italic else None,
                      ("color", {"val": LINK_COLOR}) if linked else None,
                      ("sz", {"val": str(size)}) if size is not None else None,
                      ("szCs", {"val": str(size)}) if size is not None else None,
                      ("u", {"val": "single"}) if linked else None]
            chosen = [w for w in wanted if w is not None]
            if chosen:
                props = _sub(run, "rPr")
                for tag, attrs in chosen:
                    _sub(props, tag, **attrs)
            shown = span.text
            if span.url is not None and self.link is None and span.url not in span.text:
                shown = f"{span.text} ({span.url})"
            _add_text(run, shown)
        return runs

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
        layout = _Layout.by_content(width, [header, *rows], self.text_width, scaled=width > NORMAL_COLUMNS)
        if spec.get("breiten"):
            layout = self._given_widths(layout, spec["breiten"], width, path)
        numeric = [bool(cells) and all(is_numeric(c) for c in cells)
                   for cells in ([_text(r[c]) for r in rows if c < len(r) and _text(r[c]).strip()]
                                 for c in range(width))]
        table = _sub(root, "tbl")
        self._table_properties(table, layout)
        grid = _sub(table, "tblGrid")
        for col in layout.widths:
            _sub(grid, "gridCol", w=str(col))
        if header:
            tr = _sub(table, "tr")
            _sub(_sub(tr, "trPr"), "tblHeader", val="true")
            self._cells(tr, header, layout, numeric, header=True)
        for i, row in enumerate(rows):
            if i % _CHECK_EVERY == 0:
                self._clock(f"{path}/zeilen/{i}")
            self._cells(_sub(table, "tr"), row, layout, numeric, header=False)
        _sub(root, "p")  # breathing room after the table

    def _given_widths(self, layout: _Layout, shares: Sequence[Any], columns: int, path: str) -> _Layout:
        """The table's own ``breiten`` (relative widths, one per column) over the text width."""
        try:
            values = [float(v) for v in shares]
        except (TypeError, ValueError):
            values = []
        if len(values) != columns or not all(v > 0 and v == v and v != float("inf") for v in values):
            raise BlockProblem(path + "/breiten", f"„breiten“ braucht genau {columns} positive Zahlen (eine je "
                               f"Spalte, relative Breiten wie [1, 3, 1]); angegeben sind {len(list(shares))}.",
                               "tabelle.breiten")
        total = sum(values)
        width = sum(layout.widths)
        return _Layout([max(1, int(width * v / total)) for v in values], layout.font)

    def _table_properties(self, table: Any, layout: _Layout) -> None:
        props = _sub(table, "tblPr")
        _sub(props, "tblStyle", val=self._style(TABLE_STYLE))
        _sub(props, "tblW", type="dxa", w=str(sum(layout.widths)))
        _sub(props, "jc", val="center")
        _sub(props, "tblLayout", type="fixed")
        if layout.font is not None:
            margins = _sub(props, "tblCellMar")
            for side in ("left", "right"):
                _sub(margins, side, w=str(COMPACT_MARGIN), type="dxa")
        _sub(props, "tblLook", firstColumn="1", firstRow="1", lastColumn="0", lastRow="0", noHBand="0",
             noVBand="1", val="04A0")

    def _cells(self, tr: Any, texts: Sequence[Any], layout: _Layout, numeric: Sequence[bool], *,
               header: bool) -> None:
        for col, width in enumerate(layout.widths):
            tc = _sub(tr, "tc")
            props = _sub(tc, "tcPr")
            _sub(props, "tcW", type="dxa", w=str(width))
            if header and col < len(texts):
                _sub(props, "shd", val="clear", color="auto", fill="D9D9D9")
            para = _sub(tc, "p")
            para_props = _sub(para, "pPr")
            _sub(para_props, "spacing", after="40" if layout.font is None else "0")
            if numeric[col]:  # amounts line up at the right edge (DIN 5008)
                _sub(para_props, "jc", val="right")
            if col >= len(texts):
                continue
            lines = _text(texts[col]).replace("\r\n", "\n").split("\n")
            for i, line in enumerate(lines):
                runs = self._inline(para, line, bold=header, size=layout.font)
                if i < len(lines) - 1:
                    _sub(runs[-1] if runs else _sub(para, "r"), "br")


@dataclass(frozen=True)
class _Layout:
    widths: list[int]  # twips per column
    font: int | None  # half-points; None = the style's font (an ordinary table)

    @classmethod
    def by_content(cls, columns: int, rows: Sequence[Sequence[Any]], text_width: int, *,
                   scaled: bool) -> _Layout:
        """Widths by content over the text width: every column gets its longest word (up to
        ``WORD_CAP`` characters; longer words are hyphenated), the rest goes by the text's length.

        A wide table (``scaled``) gets a smaller font and narrow cell margins as well.
        """
        font = max(MIN_FONT_HALF_POINTS, 18 - (columns - NORMAL_COLUMNS - 1) // 2 * 2) if scaled else None
        margin = 2 * COMPACT_MARGIN if scaled else 2 * 115  # Word's default cell margins: 0.19 cm each side
        char = (font or BODY_HALF_POINTS) * 10 * 0.56  # twips of an average character (0.56 em)
        words = [1] * columns
        lengths = [1] * columns
        for row in rows:
            for col, value in enumerate(row[:columns]):
                text = typography(_text(value))
                lengths[col] = max(lengths[col], min(len(text), 40))
                words[col] = max(words[col], min(max((len(w) for w in _BREAKS.split(text)), default=1), WORD_CAP))
        base = [int(w * char) + margin for w in words]
        room = text_width - sum(base)
        if room <= 0:  # not even the longest words fit: share the width by them (words will break)
            total = sum(base)
            return cls([max(1, text_width * b // total) for b in base], font)
        extra = [max(0, lengths[c] - words[c]) for c in range(columns)]
        spread = sum(extra) or columns
        share = [room * (e if sum(extra) else 1) // spread for e in extra]
        return cls([b + s for b, s in zip(base, share, strict=True)], font)
