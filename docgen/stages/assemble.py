"""Stage 4, assemble: the parts' PDFs and the sign-off page → one bundle.

pypdf merges the documents in order, gives each a bookmark (with the headings
LibreOffice exported nested below it), page labels and document metadata, lays
the "ENTWURF" watermark over every page of a draft, and restores the PDF/A
identification (XMP and output intent) that a merge drops.

Before the merge every part is cleaned (see ``sanitize``: embedded files and actions
that reach outside the bundle are removed) and checked for what would break PDF/A
(fonts not embedded, encryption). The bundle claims PDF/A-2b only when every part
passes; otherwise it carries no PDF/A identification, and ``Assembled.pdfa_findings``
says in German which part broke it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import io
import os
import re
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from pypdf import PdfReader, PdfWriter, Transformation
from pypdf.constants import PageLabelStyle
from pypdf.generic import (
    ArrayObject,
    BooleanObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    NullObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from docgen.pdfa import part_findings
from docgen.richtext import clean_text
from docgen.stages.convert import Converter
from docgen.stages.sanitize import Removal, sanitize

WATERMARK_OPACITY = 0.22


@dataclass(frozen=True)
class BundleEntry:
    label: str  # "Hauptdokument", "Anlage 1", "Freigabevermerk"
    title: str
    pdf: Path
    pages: int


@dataclass(frozen=True)
class BundleMeta:
    title: str  # Betreff
    subject: str  # Vorlagen-Nr. or Aktenzeichen
    author: str  # body / leading office
    created: dt.datetime
    creator: str  # "docgen 0.1.0"
    producer: str


@dataclass(frozen=True)
class Assembled:
    """The merged bundle and what the merge found.

    ``removed``: what was stripped from the parts (for the receipt: ``[r.as_dict() for r in
    removed]``, messages ``r.message``). ``pdfa_findings``: German sentences naming the part
    that keeps the bundle from being PDF/A-2b; empty means the bundle claims PDF/A-2b.
    """

    path: Path
    removed: list[Removal]
    pdfa_findings: list[str]
    # Tagging (accessibility, BITV 2.0): True when the bundle has one structure tree that reaches
    # every page of every part that brought tags. ``tagging_findings``: German sentences, e.g. an
    # Anlage without tags (kept as it came) or a page of a part that its tree does not reach.
    tagged: bool = False
    tagging_findings: list[str] = dataclasses.field(default_factory=list)

    @property
    def pdfa(self) -> bool:
        return not self.pdfa_findings


def describe(entry: BundleEntry) -> str:
    """How messages name a part: "Anlage 2 „Plan“", "Hauptdokument „…“", "Freigabevermerk"."""
    if entry.label == entry.title:
        return entry.label
    return f"{entry.label} „{entry.title}“"


def page_count(pdf: Path) -> int:
    return len(PdfReader(pdf).pages)


def page_ranges(entries: list[BundleEntry]) -> list[tuple[int, int]]:
    """1-based first and last page of every entry in the bundle."""
    ranges, first = [], 1
    for entry in entries:
        ranges.append((first, first + entry.pages - 1))
        first += entry.pages
    return ranges


def watermark_page(template: Path, cache_dir: Path, converter: Converter) -> Path:
    """The ENTWURF page as PDF, converted once per template version and cached."""
    digest = hashlib.sha256(template.read_bytes()).hexdigest()[:16]
    cached = cache_dir / f"entwurf-{digest}.pdf"
    if not cached.is_file():
        cache_dir.mkdir(parents=True, exist_ok=True)
        # Job processes may all make it at once: each converts under a name of its own, the last
        # rename wins and every one finds a whole file.
        tmp = cache_dir / f".entwurf-{digest}.{os.getpid()}.{secrets.token_hex(4)}.tmp.pdf"
        try:
            converter.convert(template, tmp)
            tmp.replace(cached)
        finally:
            tmp.unlink(missing_ok=True)
    return cached


def _translucent(page: object, writer: PdfWriter) -> None:
    """Make everything the watermark page paints translucent (PDF/A-2 allows transparency)."""
    resources = page["/Resources"]  # type: ignore[index]
    states = resources.get("/ExtGState")
    if states is None:
        states = DictionaryObject()
        resources[NameObject("/ExtGState")] = states
    states = states.get_object()
    states[NameObject("/GSdocgenWZ")] = DictionaryObject({
        NameObject("/Type"): NameObject("/ExtGState"),
        NameObject("/ca"): FloatObject(WATERMARK_OPACITY),
        NameObject("/CA"): FloatObject(WATERMARK_OPACITY),
    })
    content = page.get_contents()  # type: ignore[attr-defined]
    data = b"/GSdocgenWZ gs\n" + (content.get_data() if content is not None else b"")
    stream = DecodedStreamObject()
    stream.set_data(data)
    page.replace_contents(stream)  # type: ignore[attr-defined]


def apply_watermark(writer: PdfWriter, watermark: Path) -> None:
    source = PdfReader(watermark).pages[0]
    wm_writer = PdfWriter()
    wm_writer.add_page(source)
    mark = wm_writer.pages[0]
    _translucent(mark, wm_writer)
    mw, mh = float(mark.mediabox.width), float(mark.mediabox.height)
    for page in writer.pages:
        pw, ph = float(page.mediabox.width), float(page.mediabox.height)
        scale = min(pw / mw, ph / mh)
        ctm = (Transformation().translate(-mw / 2, -mh / 2).rotate(45).scale(scale, scale)
               .translate(pw / 2 + float(page.mediabox.left), ph / 2 + float(page.mediabox.bottom)))
        page.merge_transformed_page(mark, ctm, over=True)


# -- the structure tree ---------------------------------------------------------------------------

@dataclass
class _TaggedPart:
    """One part's place in the bundle while its structure tree is carried over."""

    entry: BundleEntry
    reader: PdfReader
    first_page: int  # 0-based index of its first page in the bundle


class _StructureMerge:
    """The parts' structure trees as one tree of the bundle.

    Each part keeps its elements and marked-content ids (they belong to its pages' content
    streams, which the merge copies unchanged); what changes is where they point: ``/Pg`` and
    ``/Obj`` to the bundle's copies of the pages and annotations, and each page's
    ``/StructParents`` (and each annotation's ``/StructParent``) key, shifted past the keys of
    the parts before it, with the parent tree re-keyed the same way.
    """

    def __init__(self, writer: PdfWriter) -> None:
        self.writer = writer
        self.kids = ArrayObject()
        self.nums = ArrayObject()
        self.next_key = 0
        self.role_map = DictionaryObject()
        self.class_map = DictionaryObject()
        self.findings: list[str] = []
        self.complete = True
        self.document = DictionaryObject({NameObject("/Type"): NameObject("/StructElem"),
                                          NameObject("/S"): NameObject("/Document"),
                                          NameObject("/Lang"): TextStringObject("de-DE")})
        self.document_ref = writer._add_object(self.document)

    def add(self, part: _TaggedPart) -> None:
        root: Any = part.reader.trailer["/Root"]
        tree = root.get("/StructTreeRoot")
        where = describe(part.entry)
        if tree is None:
            self.findings.append(f"{where}: ohne Tags (Barrierefreiheit), unverändert übernommen")
            if part.entry.label in ("Hauptdokument", "Freigabevermerk"):
                self.complete = False
            return
        tree = tree.get_object()
        pages: dict[int, Any] = {}  # source page object number → the bundle's page
        annots: dict[int, Any] = {}  # source annotation object number → the bundle's annotation
        offset = self.next_key
        highest = -1
        for index, source in enumerate(part.reader.pages):
            target = self.writer.pages[part.first_page + index]
            if source.indirect_reference is not None:
                pages[source.indirect_reference.idnum] = target.indirect_reference
            if "/StructParents" in source:
                key = int(source["/StructParents"])  # type: ignore[call-overload]
                target[NameObject("/StructParents")] = NumberObject(key + offset)
                highest = max(highest, key)
            self._annotations(source, target, offset, annots)
            highest = max([highest, *self._annotation_keys(source)])
        copies: dict[int, Any] = {}
        kids = tree.get("/K")
        kids = kids.get_object() if kids is not None else ArrayObject()
        part_elem = DictionaryObject({NameObject("/Type"): NameObject("/StructElem"),
                                      NameObject("/S"): NameObject("/Part"),
                                      NameObject("/T"): TextStringObject(where),
                                      NameObject("/P"): self.document_ref})
        part_ref = self.writer._add_object(part_elem)
        part_kids = ArrayObject()
        for kid in (kids if isinstance(kids, list) else [kids]):
            copied = self._copy(kid, part_ref, pages, annots, copies)
            if copied is not None:
                part_kids.append(copied)
        part_elem[NameObject("/K")] = part_kids
        self.kids.append(part_ref)
        self._parent_tree(tree.get("/ParentTree"), offset, copies)
        for source_map, target_map in ((tree.get("/RoleMap"), self.role_map),
                                       (tree.get("/ClassMap"), self.class_map)):
            for name, value in (source_map.get_object().items() if source_map is not None else []):
                if name not in target_map:
                    target_map[NameObject(name)] = value.clone(self.writer)
        self.next_key = offset + max(highest + 1, int(tree.get("/ParentTreeNextKey", 0)))
        reached = self._reached_pages(part_kids)
        for index in range(len(part.reader.pages)):
            page_ref = self.writer.pages[part.first_page + index].indirect_reference
            if page_ref is not None and page_ref.idnum not in reached:
                self.complete = False
                self.findings.append(f"{where}: Seite {index + 1} wird vom Strukturbaum nicht erreicht")

    def _annotations(self, source: Any, target: Any, offset: int, annots: dict[int, Any]) -> None:
        """Shift the annotations' /StructParent and map them to the bundle's copies (same order)."""
        source_list = [a for a in (source.get("/Annots") or []) if a.get_object().get("/StructParent") is not None]
        target_list = [a for a in (target.get("/Annots") or []) if a.get_object().get("/StructParent") is not None]
        for source_ref, target_ref in zip(source_list, target_list, strict=False):
            target_annot = target_ref.get_object()
            target_annot[NameObject("/StructParent")] = NumberObject(int(target_annot["/StructParent"]) + offset)
            if hasattr(source_ref, "idnum"):
                annots[source_ref.idnum] = target_ref

    @staticmethod
    def _annotation_keys(source: Any) -> list[int]:
        return [int(a.get_object()["/StructParent"]) for a in (source.get("/Annots") or [])
                if a.get_object().get("/StructParent") is not None]

    def _copy(self, item: Any, parent: Any, pages: dict[int, Any], annots: dict[int, Any],
              copies: dict[int, Any]) -> Any:
        """A copy of a structure element (or marked-content / object reference) below ``parent``."""
        if isinstance(item, (int, NumberObject)) and not isinstance(item, bool):
            return NumberObject(int(item))  # a marked-content id on the element's page
        ref = item if hasattr(item, "idnum") else None
        if ref is not None and ref.idnum in copies:
            return copies[ref.idnum]
        source = item.get_object()
        if not isinstance(source, DictionaryObject):
            return None
        kind = source.get("/Type")
        copy = DictionaryObject()
        target_ref = self.writer._add_object(copy) if kind not in ("/MCR", "/OBJR") else None
        if ref is not None and target_ref is not None:
            copies[ref.idnum] = target_ref
        for key, value in source.items():
            if key in ("/P", "/K"):
                continue
            if key == "/Pg":
                mapped = pages.get(getattr(value, "idnum", -1))
                if mapped is not None:
                    copy[NameObject("/Pg")] = mapped
            elif key == "/Obj":
                mapped = annots.get(getattr(value, "idnum", -1))
                if mapped is not None:
                    copy[NameObject("/Obj")] = mapped
            elif key == "/S" and value == "/Document":
                copy[NameObject("/S")] = NameObject("/Sect")  # one Document: the bundle's
            else:
                copy[NameObject(key)] = value.clone(self.writer, ignore_fields=["/P", "/Parent"])
        if kind not in ("/MCR", "/OBJR"):
            copy[NameObject("/P")] = parent
            kids = source.get("/K")
            if kids is not None:
                kids = kids.get_object() if hasattr(kids, "get_object") else kids
                own = target_ref if target_ref is not None else parent
                copied = [self._copy(k, own, pages, annots, copies)
                          for k in (kids if isinstance(kids, list) else [kids])]
                copy[NameObject("/K")] = ArrayObject(c for c in copied if c is not None)
        return target_ref if target_ref is not None else copy

    def _parent_tree(self, tree: Any, offset: int, copies: dict[int, Any]) -> None:
        def mapped(value: Any) -> Any:
            return copies.get(getattr(value, "idnum", -1), NullObject())

        stack = [tree.get_object()] if tree is not None else []
        while stack:
            node = stack.pop()
            for kid in node.get("/Kids") or []:
                stack.append(kid.get_object())
            nums = node.get("/Nums") or []
            for i in range(0, len(nums) - 1, 2):
                value = nums[i + 1]
                resolved = value.get_object()
                self.nums.append(NumberObject(int(nums[i]) + offset))
                if isinstance(resolved, list):
                    self.nums.append(self.writer._add_object(ArrayObject(mapped(v) for v in resolved)))
                else:
                    self.nums.append(mapped(value))

    def _reached_pages(self, kids: list[Any]) -> set[int]:
        """Object numbers of the bundle's pages that some element's content lies on."""
        reached: set[int] = set()
        stack = list(kids)
        while stack:
            elem = stack.pop().get_object()
            if not isinstance(elem, DictionaryObject):
                continue
            own_kids = elem.get("/K")
            own_kids = own_kids if isinstance(own_kids, list) else ([own_kids] if own_kids is not None else [])
            page = elem.get("/Pg")
            if page is not None and any(isinstance(k, (int, NumberObject)) for k in own_kids):
                reached.add(page.idnum)
            if elem.get("/Type") == "/MCR" and page is not None:
                reached.add(page.idnum)
            stack.extend(k for k in own_kids if not isinstance(k, (int, NumberObject)))
        return reached

    def finish(self) -> tuple[bool, list[str]]:
        """Hang the merged tree into the bundle's catalogue; (tagged, findings)."""
        if not self.kids:
            return False, self.findings
        self.document[NameObject("/K")] = self.kids
        parent_tree = DictionaryObject({NameObject("/Nums"): self.nums})
        tree = DictionaryObject({
            NameObject("/Type"): NameObject("/StructTreeRoot"),
            NameObject("/K"): ArrayObject([self.document_ref]),
            NameObject("/ParentTree"): self.writer._add_object(parent_tree),
            NameObject("/ParentTreeNextKey"): NumberObject(self.next_key),
        })
        if self.role_map:
            tree[NameObject("/RoleMap")] = self.role_map
        if self.class_map:
            tree[NameObject("/ClassMap")] = self.class_map
        tree_ref = self.writer._add_object(tree)
        self.document[NameObject("/P")] = tree_ref
        root = self.writer.root_object
        root[NameObject("/StructTreeRoot")] = tree_ref
        root[NameObject("/MarkInfo")] = DictionaryObject({NameObject("/Marked"): BooleanObject(True)})
        return self.complete, self.findings


# -- the Anlage mark ---------------------------------------------------------------------------------

STAMP_FONT_FILE = "LiberationSans-Regular.ttf"  # the documents' own font (fonts-liberation2)
STAMP_FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path.home() / ".local/share/fonts")
STAMP_SIZE = 7.5  # pt
STAMP_GREY = 0.35
STAMP_MARGIN = 24.0  # pt from the top and the right edge of the page
_STAMP_FONT_NAME = "/FdocgenAnlage"


def stamp_text(label: str, reference: str) -> str:
    """"Anlage 1 zur Vorlage 2025/0412"; "Anlage 2 zu Az. 56.10" for a reference that is no Vorlage."""
    return f"{label} {'zur' if reference.startswith('Vorlage') else 'zu'} {reference}"


SUBSET_TAG = "DGANLG"  # PDF names a font subset "TAG+Name"


def _subset(data: bytes, text: str) -> bytes:
    """The font program reduced to the glyphs of ``text`` (and .notdef); its cmap keeps them reachable."""
    return _subset_of_characters(data, "".join(sorted(set(text))))


# A PDF viewer lays out no text of an embedded font: the layout tables would only cost time to read
# (and the old kern table, which fontTools drops anyway beside a GPOS).
_LAYOUT_TABLES = ("GSUB", "GPOS", "GDEF", "kern")


def subset_options() -> Any:
    """fontTools' subsetting options for the Anlagenvermerk's font (all names kept, no layout)."""
    from fontTools import subset

    options = subset.Options()
    options.notdef_outline = True
    options.layout_features = []
    options.drop_tables += [*_LAYOUT_TABLES, "FFTM"]
    options.name_IDs = ["*"]
    options.name_legacy = True
    options.name_languages = ["*"]
    return options


@functools.lru_cache(maxsize=16)
def _subset_of_characters(data: bytes, characters: str) -> bytes:
    """Kept per process: the marks of one body's bundles share their few characters."""
    from fontTools import subset  # only for bundles with Anlagen; loading it costs 0.07 s
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data))
    # The layout tables go before the subsetter sees the font: fontTools 4.6x decompiles GSUB/GPOS on entry even
    # when told to drop them, 0.07 s of 0.08 per subset.
    for tag in _LAYOUT_TABLES:
        if tag in font:
            del font[tag]
    subsetter = subset.Subsetter(subset_options())
    subsetter.populate(text=characters)
    subsetter.subset(font)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@functools.lru_cache(maxsize=1)
def _stamp_font_file() -> Path | None:
    for folder in STAMP_FONT_DIRS:
        if folder.is_dir():
            for found in sorted(folder.rglob(STAMP_FONT_FILE)):
                return found
    return None


@dataclass(frozen=True)
class _TrueType:
    """What a PDF needs of a TrueType font: its program and the WinAnsi widths (1/1000 em)."""

    data: bytes
    widths: list[int]  # character codes 32…255
    bbox: list[int]
    ascent: int
    descent: int
    cap_height: int

    @classmethod
    @functools.lru_cache(maxsize=2)  # once per process: the cmap walk costs milliseconds per bundle
    def read(cls, path: Path) -> _TrueType:
        data = path.read_bytes()
        tables = {}
        for i in range(struct.unpack(">H", data[4:6])[0]):
            tag, _sum, offset, length = struct.unpack(">4sIII", data[12 + 16 * i: 28 + 16 * i])
            tables[tag.decode("latin-1")] = (offset, length)
        head = tables["head"][0]
        units = struct.unpack(">H", data[head + 18: head + 20])[0]
        bbox = [v * 1000 // units for v in struct.unpack(">hhhh", data[head + 36: head + 44])]
        hhea = tables["hhea"][0]
        ascent, descent = (v * 1000 // units for v in struct.unpack(">hh", data[hhea + 4: hhea + 8]))
        metrics = struct.unpack(">H", data[hhea + 34: hhea + 36])[0]
        hmtx = tables["hmtx"][0]
        advances = [struct.unpack(">H", data[hmtx + 4 * g: hmtx + 4 * g + 2])[0] for g in range(metrics)]
        glyphs = cls._unicode_glyphs(data, tables["cmap"][0])
        widths = []
        for code in range(32, 256):
            char = bytes([code]).decode("cp1252", "replace")
            glyph = glyphs.get(ord(char), 0)
            widths.append(advances[min(glyph, metrics - 1)] * 1000 // units)
        cap = widths[ord("H") - 32] and bbox[3]
        os2 = tables.get("OS/2")
        if os2 is not None and os2[1] >= 90:
            cap = struct.unpack(">h", data[os2[0] + 88: os2[0] + 90])[0] * 1000 // units
        return cls(data, widths, bbox, ascent, descent, cap)

    @staticmethod
    def _unicode_glyphs(data: bytes, cmap: int) -> dict[int, int]:
        """Unicode → glyph from the (3, 1) format-4 subtable."""
        for i in range(struct.unpack(">H", data[cmap + 2: cmap + 4])[0]):
            platform, encoding, offset = struct.unpack(">HHI", data[cmap + 4 + 8 * i: cmap + 12 + 8 * i])
            sub = cmap + offset
            if (platform, encoding) != (3, 1) or struct.unpack(">H", data[sub: sub + 2])[0] != 4:
                continue
            count = struct.unpack(">H", data[sub + 6: sub + 8])[0] // 2
            ends = struct.unpack(f">{count}H", data[sub + 14: sub + 14 + 2 * count])
            base = sub + 16 + 2 * count
            starts = struct.unpack(f">{count}H", data[base: base + 2 * count])
            deltas = struct.unpack(f">{count}h", data[base + 2 * count: base + 4 * count])
            range_base = base + 4 * count
            ranges = struct.unpack(f">{count}H", data[range_base: range_base + 2 * count])
            glyphs: dict[int, int] = {}
            for seg in range(count):
                for code in range(starts[seg], min(ends[seg], 0x2122) + 1):
                    if ranges[seg] == 0:
                        glyphs[code] = (code + deltas[seg]) & 0xFFFF
                    else:
                        at = range_base + 2 * seg + ranges[seg] + 2 * (code - starts[seg])
                        glyph = struct.unpack(">H", data[at: at + 2])[0]
                        glyphs[code] = (glyph + deltas[seg]) & 0xFFFF if glyph else 0
            return glyphs
        return {}

    def width_of(self, text: bytes, size: float) -> float:
        return sum(self.widths[b - 32] if b >= 32 else 0 for b in text) * size / 1000


class _AnlageStamp:
    """"Anlage n zur Vorlage …" in the top right margin of every page of an Anlage.

    Drawn as a new content stream after the page's own (which are wrapped in q … Q so that
    nothing they leave behind moves the mark), in Liberation Sans embedded once per bundle,
    and marked as an artifact so that it stays out of the structure tree.
    """

    def __init__(self, writer: PdfWriter, font: _TrueType, text: str) -> None:
        self.writer = writer
        self.font = font
        data = _subset(font.data, text)  # the whole font would add about 200 KB to every bundle
        program = StreamObject()
        program.set_data(data)  # compressed below
        program[NameObject("/Length1")] = NumberObject(len(data))
        program = program.flate_encode()
        descriptor = DictionaryObject({
            NameObject("/Type"): NameObject("/FontDescriptor"),
            NameObject("/FontName"): NameObject(f"/{SUBSET_TAG}+LiberationSans"),
            NameObject("/Flags"): NumberObject(32),
            NameObject("/FontBBox"): ArrayObject(NumberObject(v) for v in font.bbox),
            NameObject("/ItalicAngle"): NumberObject(0),
            NameObject("/Ascent"): NumberObject(font.ascent),
            NameObject("/Descent"): NumberObject(font.descent),
            NameObject("/CapHeight"): NumberObject(font.cap_height),
            NameObject("/StemV"): NumberObject(80),
            NameObject("/FontFile2"): writer._add_object(program),
        })
        self.font_ref = writer._add_object(DictionaryObject({
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/TrueType"),
            NameObject("/BaseFont"): NameObject(f"/{SUBSET_TAG}+LiberationSans"),
            NameObject("/FirstChar"): NumberObject(32),
            NameObject("/LastChar"): NumberObject(255),
            NameObject("/Widths"): ArrayObject(NumberObject(w) for w in font.widths),
            NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),
            NameObject("/FontDescriptor"): writer._add_object(descriptor),
        }))
        self.opening = self._stream(b"q\n")

    def _stream(self, data: bytes) -> Any:
        stream = DecodedStreamObject()
        stream.set_data(data)
        return self.writer._add_object(stream)

    def apply(self, page: Any, text: str) -> None:
        encoded = text.encode("cp1252", "replace")
        box = page.cropbox
        x = float(box.right) - STAMP_MARGIN - self.font.width_of(encoded, STAMP_SIZE)
        y = float(box.top) - STAMP_MARGIN
        literal = encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        closing = (b"Q\n/Artifact <</Type /Pagination /Subtype /Header>> BDC\nq BT "
                   + _STAMP_FONT_NAME.encode() + f" {STAMP_SIZE:g} Tf {STAMP_GREY:g} g {x:.2f} {y:.2f} Td ".encode()
                   + b"(" + literal + b") Tj ET Q\nEMC\n")
        resources = page.get("/Resources")
        if resources is None:
            resources = DictionaryObject()
            page[NameObject("/Resources")] = resources
        resources = resources.get_object()
        fonts = resources.get("/Font")
        if fonts is None:
            fonts = DictionaryObject()
            resources[NameObject("/Font")] = fonts
        fonts.get_object()[NameObject(_STAMP_FONT_NAME)] = self.font_ref
        contents = page.get("/Contents")
        resolved = contents.get_object() if contents is not None else None
        streams = list(resolved) if isinstance(resolved, list) else ([contents] if contents is not None else [])
        page[NameObject("/Contents")] = ArrayObject([self.opening, *streams, self._stream(closing)])


def stamp_anlagen(writer: PdfWriter, entries: list[BundleEntry], reference: str) -> list[str]:
    """Mark every page of every Anlage; German findings when it could not be done."""
    anlagen = [(i, e) for i, e in enumerate(entries) if re.fullmatch(r"Anlage \d+", e.label)]
    if not anlagen:
        return []
    font_file = _stamp_font_file()
    if font_file is None:
        return [f"Anlagenvermerk fehlt: Schrift {STAMP_FONT_FILE} nicht gefunden (Paket fonts-liberation2)"]
    texts = {index: stamp_text(entry.label, reference) for index, entry in anlagen}
    stamp = _AnlageStamp(writer, _TrueType.read(font_file), "".join(texts.values()))
    first = [sum(e.pages for e in entries[:i]) for i in range(len(entries))]
    for index, entry in anlagen:
        text = texts[index]
        for page in range(first[index], first[index] + entry.pages):
            stamp.apply(writer.pages[page], text)
    return []


def _pdf_date(moment: dt.datetime) -> str:
    return moment.strftime("D:%Y%m%d%H%M%S+00'00'")


def xmp_packet(meta: BundleMeta, pdfa: bool = True) -> bytes:
    stamp = meta.created.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    # XML cannot hold control characters; an input with one must still give well-formed XMP.
    meta = dataclasses.replace(meta, title=clean_text(meta.title), subject=clean_text(meta.subject),
                               author=clean_text(meta.author))

    def alt(value: str) -> str:
        return f'<rdf:Alt><rdf:li xml:lang="x-default">{escape(value)}</rdf:li></rdf:Alt>'

    identification = """
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
   <pdfaid:part>2</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>""" if pdfa else ""
    body = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">{identification}
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
   <dc:format>application/pdf</dc:format>
   <dc:title>{alt(meta.title)}</dc:title>
   <dc:description>{alt(meta.subject)}</dc:description>
   <dc:creator><rdf:Seq><rdf:li>{escape(meta.author)}</rdf:li></rdf:Seq></dc:creator>
   <dc:language><rdf:Bag><rdf:li>de-DE</rdf:li></rdf:Bag></dc:language>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
   <pdf:Producer>{escape(meta.producer)}</pdf:Producer>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
   <xmp:CreatorTool>{escape(meta.creator)}</xmp:CreatorTool>
   <xmp:CreateDate>{stamp}</xmp:CreateDate>
   <xmp:ModifyDate>{stamp}</xmp:ModifyDate>
   <xmp:MetadataDate>{stamp}</xmp:MetadataDate>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return body.encode("utf-8")


def _output_intent(reader: PdfReader) -> Any:
    """The part's PDF/A output intent (GTS_PDFA1 with an ICC profile), if it has one."""
    root: Any = reader.trailer["/Root"]
    intents = root.get("/OutputIntents")
    for intent in (intents.get_object() if intents is not None else []):
        intent = intent.get_object()
        if intent.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in intent:
            return intent
    return None


def _set_metadata(writer: PdfWriter, meta: BundleMeta, intent: Any) -> None:
    """Document information, XMP, language; PDF/A identification and output intent only with ``intent``."""
    meta = dataclasses.replace(meta, title=clean_text(meta.title), subject=clean_text(meta.subject),
                               author=clean_text(meta.author))  # Info and XMP must agree (PDF/A)
    writer.add_metadata({
        "/Title": meta.title, "/Subject": meta.subject, "/Author": meta.author,
        "/Creator": meta.creator, "/Producer": meta.producer,
        "/CreationDate": _pdf_date(meta.created), "/ModDate": _pdf_date(meta.created),
    })
    stream = DecodedStreamObject()
    stream.set_data(xmp_packet(meta, pdfa=intent is not None))
    stream[NameObject("/Type")] = NameObject("/Metadata")
    stream[NameObject("/Subtype")] = NameObject("/XML")
    root = writer.root_object
    root[NameObject("/Metadata")] = writer._add_object(stream)
    root[NameObject("/Lang")] = TextStringObject("de-DE")
    if intent is not None:
        root[NameObject("/OutputIntents")] = ArrayObject([writer._add_object(intent.clone(writer))])
    elif "/OutputIntents" in root:
        del root[NameObject("/OutputIntents")]
    root[NameObject("/ViewerPreferences")] = DictionaryObject(
        {NameObject("/DisplayDocTitle"): BooleanObject(True)})
    root[NameObject("/PageMode")] = NameObject("/UseOutlines")


def assemble_bundle(entries: list[BundleEntry], meta: BundleMeta, out: Path, watermark: Path | None, *,
                    anlagen_vermerk: bool = True) -> Assembled:
    """Clean and merge ``entries`` into ``out`` with bookmarks, page labels and metadata.

    The bundle is identified as PDF/A-2b (XMP and output intent) only when no part breaks it.
    The parts' structure trees become one (``Assembled.tagged``); with ``anlagen_vermerk`` every
    page of an Anlage carries "Anlage n zur <meta.subject>" in its top right margin.
    """
    writer = PdfWriter()
    removed: list[Removal] = []
    findings: list[str] = []
    intent = None
    first_page = 0
    tagged_parts: list[_TaggedPart] = []
    for entry in entries:
        reader = PdfReader(entry.pdf)
        tagged_parts.append(_TaggedPart(entry, reader, first_page))
        where = describe(entry)
        findings += part_findings(reader, where)
        removed += sanitize(reader.trailer["/Root"], where)  # in memory, before append copies the objects
        intent = intent if intent is not None else _output_intent(reader)
        plain = entry.label in (entry.title, "Hauptdokument")
        bookmark = entry.title if plain else f"{entry.label}: {entry.title}"
        writer.append(reader, outline_item=bookmark, import_outline=True)
        last_page = first_page + entry.pages - 1
        prefix = {"Hauptdokument": ""}.get(entry.label, f"{entry.label} – ")
        writer.set_page_label(first_page, last_page, style=PageLabelStyle.DECIMAL, prefix=prefix or None, start=1)
        first_page = last_page + 1
    # A safety net: whatever the merge brought along that the per-part pass did not see.
    removed += sanitize(writer.root_object, "Paket")
    structure = _StructureMerge(writer)
    for part in tagged_parts:
        structure.add(part)
    tagged, tagging_findings = structure.finish()
    if anlagen_vermerk:
        tagging_findings += stamp_anlagen(writer, entries, meta.subject)
    if watermark is not None:
        apply_watermark(writer, watermark)
    if intent is None and not findings:
        findings.append("Paket: kein Bestandteil bringt ein PDF/A-Farbprofil (OutputIntent) mit")
    _set_metadata(writer, meta, intent if not findings else None)
    with out.open("wb") as fh:
        writer.write(fh)
    return Assembled(out, removed, findings, tagged, tagging_findings)


def assemble(entries: list[BundleEntry], meta: BundleMeta, out: Path, watermark: Path | None) -> Path:
    """:func:`assemble_bundle`, returning only the path (for callers that do not report findings)."""
    return assemble_bundle(entries, meta, out, watermark).path
