"""Stage 4, assemble: the parts' PDFs and the sign-off page → one bundle.

pikepdf (qpdf) merges the documents in order, gives each a bookmark (with the headings
LibreOffice exported nested below it), page labels and document metadata, lays the
"ENTWURF" watermark over every page of a draft, and restores the PDF/A identification
(XMP and output intent) that a merge drops. qpdf parses and writes in C++: a bundle of a
Vorlage and its Freigabevermerk is assembled in milliseconds (pypdf, used before, spent
about 140 ms of CPU on the same work, a third of the bundle's whole budget).

Before the merge every part is cleaned (see ``sanitize``: embedded files and actions
that reach outside the bundle are removed) and checked for what would break PDF/A
(fonts not embedded, encryption). The bundle claims PDF/A-2b only when every part
passes; otherwise it carries no PDF/A identification, and ``Assembled.pdfa_findings``
says in German which part broke it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import io
import math
import os
import re
import secrets
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pikepdf
from pikepdf import Array, Dictionary, Name, Pdf, Stream, String
from pypdf import PdfReader

from docgen import __version__
from docgen.pdfa import first_visit, part_findings
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


class PartUnreadable(Exception):
    """qpdf could not read a part while merging it; ``detail`` is qpdf's reason, with the file's name only."""

    def __init__(self, entry: BundleEntry, detail: str) -> None:
        super().__init__(f"{entry.pdf.name}: {detail}")
        self.entry = entry
        self.detail = detail


# What qpdf and the merge raise on a part they cannot make sense of (beside pikepdf.PdfError).
_MALFORMED = (TypeError, ValueError, KeyError, AttributeError, IndexError, RecursionError, pikepdf.ForeignObjectError)


@contextlib.contextmanager
def _blamed(entry: BundleEntry) -> Iterator[None]:
    """Whatever goes wrong while ``entry`` is merged is that part's, in words that name it."""
    try:
        yield
    except PartUnreadable:
        raise
    except pikepdf.PdfError as exc:
        raise PartUnreadable(entry, str(exc).replace(str(entry.pdf), entry.pdf.name)) from exc
    except _MALFORMED as exc:
        raise PartUnreadable(entry, f"{type(exc).__name__}: {exc}") from exc


def describe(entry: BundleEntry) -> str:
    """How messages name a part: "Anlage 2 „Plan“", "Hauptdokument „…“", "Freigabevermerk"."""
    if entry.label == entry.title:
        return entry.label
    return f"{entry.label} „{entry.title}“"



def page_count(pdf: Path) -> int:
    """Pages of ``pdf`` counted as the Anlagen check read it (pypdf), so that what it accepted is counted."""
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


def _translucent_state() -> Dictionary:
    return Dictionary(Type=Name.ExtGState, ca=WATERMARK_OPACITY, CA=WATERMARK_OPACITY)


def _wrap(bundle: Pdf, page: Any, opening: Stream, closing: bytes, resources: dict[str, dict[str, Any]]) -> None:
    """Draw ``closing`` after the page's own content, which q … Q keeps from moving it.

    ``resources`` ({"/Font": {"/Fname": font}, …}) are added to the page's resource dictionary.
    """
    own = page.get("/Resources")
    if not isinstance(own, Dictionary):
        own = Dictionary()
        page.Resources = own
    for kind, named in resources.items():
        group = own.get(kind)
        if not isinstance(group, Dictionary):  # missing, or something no viewer could use
            group = Dictionary()
            own[kind] = group
        for name, value in named.items():
            group[name] = value
    contents = page.get("/Contents")
    streams = list(contents) if isinstance(contents, Array) else ([contents] if contents is not None else [])
    page.Contents = Array([opening, *streams, bundle.make_stream(closing)])


def _watermark_matrix(mark: tuple[float, float], box: list[float]) -> list[float]:
    """The ENTWURF page's centre on the page's centre, turned by 45°, as large as the page allows."""
    mw, mh = mark
    pw, ph = box[2] - box[0], box[3] - box[1]
    scale = min(pw / mw, ph / mh)
    cos = sin = math.sqrt(0.5) * scale
    return [cos, sin, -sin, cos,
            pw / 2 + box[0] - cos * mw / 2 + sin * mh / 2,
            ph / 2 + box[1] - sin * mw / 2 - cos * mh / 2]


def apply_watermark(bundle: Pdf, source: Pdf, opening: Stream) -> None:
    """Lay the ENTWURF page (of ``source``, open until the bundle is saved) over every page:
    translucent (PDF/A-2 allows it) and marked as an artifact."""
    page = pikepdf.Page(source.pages[0])
    box = [float(v) for v in page.mediabox]
    form = bundle.copy_foreign(page.as_form_xobject())
    if box[0] or box[1]:
        form.Matrix = Array([1, 0, 0, 1, -box[0], -box[1]])
    state = bundle.make_indirect(_translucent_state())
    mark = (box[2] - box[0], box[3] - box[1])
    for target in bundle.pages:
        matrix = " ".join(f"{v:.4f}" for v in _watermark_matrix(mark, [float(v) for v in target.mediabox]))
        drawing = (f"\nQ\n/Artifact <</Type /Pagination /Subtype /Watermark>> BDC\n"
                   f"q {_WATERMARK_STATE} gs {matrix} cm {_WATERMARK_FORM} Do Q\nEMC\n").encode()
        _wrap(bundle, target.obj, opening, drawing,
              {"/ExtGState": {_WATERMARK_STATE: state}, "/XObject": {_WATERMARK_FORM: form}})


_WATERMARK_STATE = "/GSdocgenWZ"
_WATERMARK_FORM = "/XdocgenWZ"


def _number(value: Any, default: int | None = None) -> int | None:
    """``value`` as an integer, or ``default`` when an Anlage put something else where a number belongs."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# -- the structure tree ---------------------------------------------------------------------------

@dataclass
class _TaggedPart:
    """One part's place in the bundle while its structure tree is carried over."""

    entry: BundleEntry
    source: Pdf
    first_page: int  # 0-based index of its first page in the bundle


class _StructureMerge:
    """The parts' structure trees as one tree of the bundle.

    Each part keeps its elements and marked-content ids (they belong to its pages' content
    streams, which the merge copies unchanged). qpdf copies a part's tree after its pages, so
    every ``/Pg`` and ``/Obj`` already points to the bundle's copies of the pages and
    annotations; what changes is each page's ``/StructParents`` key (and each annotation's
    ``/StructParent``), shifted past the keys of the parts before it, with the parent tree
    re-keyed the same way.
    """

    def __init__(self, bundle: Pdf) -> None:
        self.bundle = bundle
        self.kids = Array()
        self.nums = Array()
        self.next_key = 0
        self.role_map = Dictionary()
        self.class_map = Dictionary()
        self.findings: list[str] = []
        self.complete = True
        self.document = bundle.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document,
                                                        Lang=String("de-DE")))

    def add(self, part: _TaggedPart) -> None:
        tree = part.source.Root.get("/StructTreeRoot")
        where = describe(part.entry)
        if not isinstance(tree, Dictionary):
            self.findings.append(f"{where}: ohne Tags (Barrierefreiheit), unverändert übernommen")
            if part.entry.label in ("Hauptdokument", "Freigabevermerk"):
                self.complete = False
            return
        offset = self.next_key
        highest = -1
        targets = [self.bundle.pages[part.first_page + i].obj for i in range(len(part.source.pages))]
        annotations: dict[int, Any] = {}  # the part's own /StructParent key → the annotation on the bundle's page
        for target in targets:
            found: Any = target.get("/Annots")
            annots: Any = found if isinstance(found, Array) else []
            for owner, name in [(target, "/StructParents"),
                                *((a, "/StructParent") for a in annots if isinstance(a, Dictionary))]:
                key = _number(owner.get(name))
                if key is not None:
                    owner[name] = key + offset
                    highest = max(highest, key)
                    if owner is not target:
                        annotations[key] = owner
                elif name in owner:
                    del owner[name]  # not a number: it could only ever point at the wrong element
        if not tree.is_indirect:
            tree = part.source.make_indirect(tree)
        copied = self.bundle.copy_foreign(tree)  # after the pages: references to them map to the copies
        part_elem = self.bundle.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Part, T=String(where),
                                                         P=self.document))
        kids = copied.get("/K")
        part_kids = Array(list(kids) if isinstance(kids, Array) else ([kids] if kids is not None else []))
        for kid in part_kids:
            if isinstance(kid, Dictionary):
                kid.P = part_elem
        part_elem.K = part_kids
        self.kids.append(part_elem)
        self._parent_tree(copied.get("/ParentTree"), offset)
        for source_map, target_map in ((copied.get("/RoleMap"), self.role_map),
                                       (copied.get("/ClassMap"), self.class_map)):
            for name, value in (source_map.items() if isinstance(source_map, Dictionary) else []):
                if name not in target_map:
                    target_map[name] = value
        self.next_key = offset + max(highest + 1, _number(copied.get("/ParentTreeNextKey"), 0) or 0)
        reached = self._walk(part_kids, annotations)
        for index, target in enumerate(targets):
            if target.objgen not in reached:
                self.complete = False
                self.findings.append(f"{where}: Seite {index + 1} wird vom Strukturbaum nicht erreicht")

    def _parent_tree(self, tree: Any, offset: int) -> None:
        """The part's parent tree (already pointing to the copied elements), keys shifted by ``offset``."""
        stack = [tree]
        seen: set[tuple[int, int]] = set()
        while stack:
            node = stack.pop()
            if not isinstance(node, Dictionary) or not first_visit(node, seen):
                continue
            kids = node.get("/Kids")
            stack.extend(reversed(list(kids)) if isinstance(kids, Array) else [])  # in order: keys ascend
            nums: Any = node.get("/Nums")
            nums = nums if isinstance(nums, Array) else []
            for i in range(0, len(nums) - 1, 2):
                key = _number(nums[i])
                if key is not None:
                    self.nums.append(key + offset)
                    self.nums.append(nums[i + 1])

    @staticmethod
    def _walk(kids: Array, annotations: dict[int, Any]) -> set[tuple[int, int]]:
        """Rename each part's own ``Document`` (one Document: the bundle's) to ``Sect``, point each object
        reference at the annotation on the bundle's page, and return the object numbers of the bundle's
        pages that some element's content lies on.

        An object reference can point at a copy of its own: when a part has a form, qpdf brings its pages'
        annotations over anew, and the tree's references then reach copies that lie on no page. The
        annotation's own /StructParent key (the copy still has the part's) finds the one on the page.
        """
        reached: set[tuple[int, int]] = set()
        seen: set[tuple[int, int]] = set()
        on_pages = {annotation.objgen for annotation in annotations.values()}
        stack = list(kids)
        while stack:
            elem = stack.pop()
            if not isinstance(elem, Dictionary) or not first_visit(elem, seen):  # a hostile tree may loop
                continue
            if elem.get("/S") == "/Document":
                elem.S = Name.Sect
            target = elem.get("/Obj")
            if (isinstance(target, Dictionary) and target.objgen not in on_pages
                    and (key := _number(target.get("/StructParent"))) in annotations):
                elem.Obj = annotations[key]
            own = elem.get("/K")
            own_kids = list(own) if isinstance(own, Array) else ([own] if own is not None else [])
            page = elem.get("/Pg")
            if isinstance(page, Dictionary) and (elem.get("/Type") == "/MCR"
                                                 or any(isinstance(k, int) for k in own_kids)):
                reached.add(page.objgen)
            stack.extend(k for k in own_kids if isinstance(k, Dictionary))
        return reached

    def finish(self) -> tuple[bool, list[str]]:
        """Hang the merged tree into the bundle's catalogue; (tagged, findings)."""
        if not self.kids:
            return False, self.findings
        self.document.K = self.kids
        tree = Dictionary(Type=Name.StructTreeRoot, K=Array([self.document]),
                          ParentTree=self.bundle.make_indirect(Dictionary(Nums=self.nums)),
                          ParentTreeNextKey=self.next_key)
        if self.role_map:
            tree.RoleMap = self.role_map
        if self.class_map:
            tree.ClassMap = self.class_map
        tree_ref = self.bundle.make_indirect(tree)
        self.document.P = tree_ref
        self.bundle.Root.StructTreeRoot = tree_ref
        self.bundle.Root.MarkInfo = Dictionary(Marked=True)
        return self.complete, self.findings


# -- bookmarks ------------------------------------------------------------------------------------

@dataclass
class _Bookmark:
    item: Dictionary
    open: bool
    children: list[_Bookmark]


class _Outline:
    """The bundle's bookmarks: one per part, on its first page, with the part's own nested below."""

    def __init__(self, bundle: Pdf) -> None:
        self.bundle = bundle
        self.top: list[_Bookmark] = []

    def add(self, title: str, first_page: Any, source: Pdf) -> None:
        item = Dictionary(Title=String(title), Dest=Array([first_page, Name.Fit]))
        self.top.append(_Bookmark(item, True, self._copy(source.Root.get("/Outlines"), source, set())))

    def _copy(self, parent: Any, source: Pdf, seen: set[tuple[int, int]]) -> list[_Bookmark]:
        items: list[_Bookmark] = []
        item = parent.get("/First") if isinstance(parent, Dictionary) else None
        while isinstance(item, Dictionary) and item.objgen not in seen:
            seen.add(item.objgen)
            title = item.get("/Title")
            copy = Dictionary(Title=String(str(title) if isinstance(title, String) else ""))
            target = self._destination(item, source)
            if target is not None:
                copy.Dest = target
            colour = item.get("/C")  # colour and style, as the part showed them
            if isinstance(colour, Array) and len(colour) == 3 and all(_number(v) is not None for v in colour):
                copy.C = Array([float(v) for v in colour])
            if (style := _number(item.get("/F"))) is not None:
                copy.F = style
            count = _number(item.get("/Count"), 0) or 0
            items.append(_Bookmark(copy, count >= 0, self._copy(item, source, seen)))
            item = item.get("/Next")
        return items

    def _destination(self, item: Dictionary, source: Pdf) -> Any:
        """The item's target as an explicit destination on the bundle's page (named ones resolved)."""
        target = item.get("/Dest")
        action = item.get("/A")
        if target is None and isinstance(action, Dictionary) and action.get("/S") == "/GoTo":
            target = action.get("/D")
        if isinstance(target, (String, Name)):
            target = _named_destination(source, target)
        if isinstance(target, Dictionary):
            target = target.get("/D")
        if not isinstance(target, Array) or not len(target):
            return None
        return self.bundle.copy_foreign(source.make_indirect(target))

    def finish(self) -> None:
        if not self.top:
            return
        root = self.bundle.make_indirect(Dictionary(Type=Name.Outlines))
        root.Count = self._link(root, self.top)
        self.bundle.Root.Outlines = root

    def _link(self, parent: Any, marks: list[_Bookmark]) -> int:
        """Chain ``marks`` below ``parent``; the number of them a viewer shows (open ones count their own)."""
        refs = [self.bundle.make_indirect(mark.item) for mark in marks]
        shown = 0
        for i, (ref, mark) in enumerate(zip(refs, marks, strict=True)):
            ref.Parent = parent
            if i:
                ref.Prev = refs[i - 1]
            if i + 1 < len(refs):
                ref.Next = refs[i + 1]
            below = self._link(ref, mark.children) if mark.children else 0
            if mark.children:
                ref.Count = below if mark.open else -below
            shown += 1 + (below if mark.open else 0)
        parent.First = refs[0]
        parent.Last = refs[-1]
        return shown


def _named_destination(source: Pdf, name: Any) -> Any:
    """A named destination of ``source`` (PDF 1.1 /Dests dictionary or the /Dests name tree), or None."""
    old = source.Root.get("/Dests")
    if isinstance(old, Dictionary) and str(name) in old:
        return old[str(name)]
    names = source.Root.get("/Names")
    tree = names.get("/Dests") if isinstance(names, Dictionary) else None
    if isinstance(tree, Dictionary):
        return pikepdf.NameTree(tree).get(str(name))
    return None


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


# Raise when docgen subsets differently (options, kept tables) without a new version: cached subsets are not reused.
STAMP_CACHE_FORMAT = 1


def _whole_font(data: bytes) -> bool:
    """Whether ``data`` is a TrueType program whose every table lies inside it (a cached file read whole)."""
    if len(data) < 12 or data[:4] not in (b"\x00\x01\x00\x00", b"true"):
        return False
    count = struct.unpack(">H", data[4:6])[0]
    if count == 0 or len(data) < 12 + 16 * count:
        return False
    for i in range(count):
        _tag, _sum, offset, length = struct.unpack(">4sIII", data[12 + 16 * i: 28 + 16 * i])
        if offset + length > len(data):
            return False
    return True


# Characters nearly every mark has ("Anlage 3 zur Vorlage 2026/0412", "Anlage 1 zu Az. 56.10"): always in the
# subset, so that most bundles of an installation need one and the same, kept on disk (_subset).
STAMP_CHARACTERS = "0123456789 ./-–AVaeglnoruz"


@functools.lru_cache(maxsize=16)
def _subset(data: bytes, text: str, cache_dir: Path | None = None) -> bytes:
    """The font program reduced to the glyphs of ``text`` and :data:`STAMP_CHARACTERS` (and .notdef);
    its cmap keeps them reachable.

    With ``cache_dir`` each subset is made once per installation: a new process (a one-off
    ``docgen render``) reads it instead of loading fontTools (about 0.15 s) and subsetting.
    """
    characters = "".join(sorted(set(text) | set(STAMP_CHARACTERS)))
    if cache_dir is None:
        return _subset_of_characters(data, characters)
    # Keyed by what makes the subset: the font, the characters, and how docgen subsets (its version).
    made_by = f"{STAMP_CACHE_FORMAT}\0{__version__}\0".encode()
    digest = hashlib.sha256(made_by + data + b"\0" + characters.encode("utf-8")).hexdigest()[:24]
    cached = cache_dir / f"stempel-{digest}.ttf"
    with contextlib.suppress(OSError):
        kept = cached.read_bytes()
        if _whole_font(kept):  # else (cut short by a crash) it is made again and replaced
            return kept
    subset = _subset_of_characters(data, characters)
    # Job processes may make it at once: each writes a name of its own, a rename puts it in place whole.
    tmp = cache_dir / f".stempel-{digest}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as out:
            out.write(subset)
            out.flush()
            os.fsync(out.fileno())
        tmp.replace(cached)
    except OSError:
        pass  # no cache: the next process subsets again
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return subset


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

    def __init__(self, bundle: Pdf, font: _TrueType, text: str, opening: Stream, cache_dir: Path | None) -> None:
        self.bundle = bundle
        self.font = font
        self.opening = opening
        data = _subset(font.data, text, cache_dir)  # the whole font would add about 200 KB to every bundle
        program = bundle.make_stream(data, Length1=len(data))  # compressed when the bundle is written
        descriptor = bundle.make_indirect(Dictionary(
            Type=Name.FontDescriptor, FontName=Name(f"/{SUBSET_TAG}+LiberationSans"), Flags=32,
            FontBBox=Array(font.bbox), ItalicAngle=0, Ascent=font.ascent, Descent=font.descent,
            CapHeight=font.cap_height, StemV=80, FontFile2=program))
        self.font_ref = bundle.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.TrueType, BaseFont=Name(f"/{SUBSET_TAG}+LiberationSans"),
            FirstChar=32, LastChar=255, Widths=Array(font.widths), Encoding=Name.WinAnsiEncoding,
            FontDescriptor=descriptor))

    def apply(self, page: Any, text: str) -> None:
        encoded = text.encode("cp1252", "replace")
        box = [float(v) for v in pikepdf.Page(page).cropbox]
        x = box[2] - STAMP_MARGIN - self.font.width_of(encoded, STAMP_SIZE)
        y = box[3] - STAMP_MARGIN
        literal = encoded.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
        closing = (b"\nQ\n/Artifact <</Type /Pagination /Subtype /Header>> BDC\nq BT "
                   + _STAMP_FONT_NAME.encode() + f" {STAMP_SIZE:g} Tf {STAMP_GREY:g} g {x:.2f} {y:.2f} Td ".encode()
                   + b"(" + literal + b") Tj ET Q\nEMC\n")
        _wrap(self.bundle, page, self.opening, closing, {"/Font": {_STAMP_FONT_NAME: self.font_ref}})


def stamp_anlagen(bundle: Pdf, entries: list[BundleEntry], reference: str, opening: Stream,
                  cache_dir: Path | None = None) -> list[str]:
    """Mark every page of every Anlage; German findings when it could not be done. ``cache_dir``: where
    the mark's font subsets are kept (:func:`_subset`)."""
    anlagen = [(i, e) for i, e in enumerate(entries) if re.fullmatch(r"Anlage \d+", e.label)]
    if not anlagen:
        return []
    font_file = _stamp_font_file()
    if font_file is None:
        return [f"Anlagenvermerk fehlt: Schrift {STAMP_FONT_FILE} nicht gefunden (Paket fonts-liberation2)"]
    texts = {index: stamp_text(entry.label, reference) for index, entry in anlagen}
    stamp = _AnlageStamp(bundle, _TrueType.read(font_file), "".join(texts.values()), opening, cache_dir)
    first = [sum(e.pages for e in entries[:i]) for i in range(len(entries))]
    for index, entry in anlagen:
        text = texts[index]
        with _blamed(entry):
            for page in range(first[index], first[index] + entry.pages):
                stamp.apply(bundle.pages[page].obj, text)
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


def _output_intent(source: Pdf) -> Any:
    """The part's PDF/A output intent (GTS_PDFA1 with an ICC profile), if it has one."""
    for intent in source.Root.get("/OutputIntents") or []:
        if isinstance(intent, Dictionary) and intent.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in intent:
            return intent
    return None


def _set_metadata(bundle: Pdf, meta: BundleMeta, intent: Any) -> None:
    """Document information, XMP, language; PDF/A identification and output intent only with ``intent``."""
    meta = dataclasses.replace(meta, title=clean_text(meta.title), subject=clean_text(meta.subject),
                               author=clean_text(meta.author))  # Info and XMP must agree (PDF/A)
    bundle.trailer.Info = bundle.make_indirect(Dictionary(
        Title=String(meta.title), Subject=String(meta.subject), Author=String(meta.author),
        Creator=String(meta.creator), Producer=String(meta.producer),
        CreationDate=String(_pdf_date(meta.created)), ModDate=String(_pdf_date(meta.created))))
    root = bundle.Root
    root.Metadata = bundle.make_stream(xmp_packet(meta, pdfa=intent is not None), Type=Name.Metadata,
                                       Subtype=Name.XML)
    root.Lang = String("de-DE")
    if intent is not None:
        root.OutputIntents = Array([intent])
    root.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    root.PageMode = Name.UseOutlines


def _same_pages(entry: BundleEntry, pages: int) -> None:
    """The bundle's page ranges (and the Freigabevermerk's list) were computed with ``entry.pages``."""
    if pages != entry.pages:
        raise PartUnreadable(entry, f"die Seitenzahl ist nicht eindeutig lesbar: {entry.pages} oder {pages}")


def _version(version: str) -> tuple[int, ...]:
    return tuple(int(n) for n in version.split(".") if n.isdigit())


def assemble_bundle(entries: list[BundleEntry], meta: BundleMeta, out: Path, watermark: Path | None, *,
                    anlagen_vermerk: bool = True, cache_dir: Path | None = None) -> Assembled:
    """Clean and merge ``entries`` into ``out`` with bookmarks, page labels and metadata.

    The bundle is identified as PDF/A-2b (XMP and output intent) only when no part breaks it.
    The parts' structure trees become one (``Assembled.tagged``); with ``anlagen_vermerk`` every
    page of an Anlage carries "Anlage n zur <meta.subject>" in its top right margin (its font
    subsets kept in ``cache_dir``, when given).
    """
    bundle = pikepdf.new()
    removed: list[Removal] = []
    findings: list[str] = []
    intent = None
    first_page = 0
    version = "1.4"
    labels = Array()
    outline = _Outline(bundle)
    tagged_parts: list[_TaggedPart] = []
    with contextlib.ExitStack() as opened:  # qpdf reads the parts' stream data while it writes the bundle
        for entry in entries:
            with _blamed(entry):
                source = opened.enter_context(pikepdf.open(entry.pdf))
                _same_pages(entry, len(source.pages))
                where = describe(entry)
                findings += part_findings(source, where)
                removed += sanitize(source, where)  # in memory, before its pages are copied
                if intent is None and (found := _output_intent(source)) is not None:
                    intent = bundle.copy_foreign(source.make_indirect(found))
                version = max(version, source.pdf_version, key=_version)
                # Form fields, the named destinations its links use and its layers come along; its bookmarks
                # are nested below the part's own (``_Outline``).
                bundle.add_pages_from(source, outlines="ignore")
                _same_pages(entry, len(bundle.pages) - first_page)
                tagged_parts.append(_TaggedPart(entry, source, first_page))
                plain = entry.label in (entry.title, "Hauptdokument")
                outline.add(entry.title if plain else f"{entry.label}: {entry.title}",
                            bundle.pages[first_page].obj, source)
                prefix = {"Hauptdokument": ""}.get(entry.label, f"{entry.label} – ")
                label = Dictionary(S=Name.D, St=1)
                if prefix:
                    label.P = String(prefix)
                labels.append(first_page)
                labels.append(label)
                first_page += entry.pages
        bundle.Root.PageLabels = Dictionary(Nums=labels)
        outline.finish()
        # A safety net: whatever the merge brought along that the per-part pass did not see.
        removed += sanitize(bundle, "Paket")
        structure = _StructureMerge(bundle)
        for part in tagged_parts:
            with _blamed(part.entry):
                structure.add(part)
        tagged, tagging_findings = structure.finish()
        opening = bundle.make_stream(b"q\n")  # shared by every page the marks below are drawn on
        if anlagen_vermerk:
            tagging_findings += stamp_anlagen(bundle, entries, meta.subject, opening, cache_dir)
        if watermark is not None:
            apply_watermark(bundle, opened.enter_context(pikepdf.open(watermark)), opening)
        if intent is None and not findings:
            findings.append("Paket: kein Bestandteil bringt ein PDF/A-Farbprofil (OutputIntent) mit")
        _set_metadata(bundle, meta, intent if not findings else None)
        bundle.save(out, fix_metadata_version=False, min_version=version,
                    object_stream_mode=pikepdf.ObjectStreamMode.disable)
    return Assembled(out, removed, findings, tagged, tagging_findings)


def assemble(entries: list[BundleEntry], meta: BundleMeta, out: Path, watermark: Path | None) -> Path:
    """:func:`assemble_bundle`, returning only the path (for callers that do not report findings)."""
    return assemble_bundle(entries, meta, out, watermark).path
