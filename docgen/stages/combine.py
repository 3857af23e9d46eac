"""Main document and sign-off page in one DOCX, so that LibreOffice loads and lays out both at once.

The sign-off page (Freigabevermerk) becomes the last section of the main document. The result
must look exactly like the two documents converted one by one, so only what can be merged
without changing either layout is merged: the sign-off's styles must agree with the main
document's, it must not use numbering, notes or fields whose values depend on the whole
document, and it gets explicit empty headers and footers where it has none (a section without
them would inherit the main document's). A bookmark marks the main document's end: LibreOffice's
worker finds its page, exports the pages up to it and after it as two PDFs and makes the main
document's page count fields ("Seite x von k") show its own pages
(``uno_worker.convert_split``).

Whatever this module does not merge raises :class:`CannotCombine`; the caller then converts the
two documents separately, as before.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from lxml import etree

MAIN_END_BOOKMARK = "docgenHauptdokumentEnde"

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_W = f"{{{_W_NS}}}"
_R = f"{{{_R_NS}}}"
_WP = "{http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing}"
_MC_IGNORABLE = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Ignorable"
_O_RELID = "{urn:schemas-microsoft-com:office:office}relid"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CT_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
_CT = f"{{{_CT_NS}}}"

_RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
_RT_HEADER, _RT_FOOTER, _RT_IMAGE, _RT_HYPERLINK = (_RT + t for t in ("header", "footer", "image", "hyperlink"))
_RT_STYLES, _RT_SETTINGS, _RT_THEME = (_RT + t for t in ("styles", "settings", "theme"))
_WML = "application/vnd.openxmlformats-officedocument.wordprocessingml."
_MAIN_CT = _WML + "document.main+xml"
_HEADER_CT, _FOOTER_CT = _WML + "header+xml", _WML + "footer+xml"
_DOCUMENT = "word/document.xml"
_DOCUMENT_RELS = "word/_rels/document.xml.rels"
# Parts of the main document whose fields and ids belong to the document as a whole.
_STORY_TYPES = {_RT_HEADER, _RT_FOOTER, *(_RT + t for t in ("footnotes", "endnotes", "comments"))}

_HF_TYPES = ("default", "first", "even")
_EMPTY_HEADER = "word/docgen-kopf-leer.xml"
_EMPTY_FOOTER = "word/docgen-fuss-leer.xml"

# What the sign-off must not contain: notes and comments (their parts are not merged), numbering
# (its lists would continue the main document's), embedded documents and objects, tracked changes,
# the legacy page number element.
_REFUSED_TAGS = {f"{_W}{t}": t for t in (
    "footnoteReference", "endnoteReference", "commentReference", "commentRangeStart", "numPr", "altChunk",
    "subDoc", "object", "pict", "ins", "del", "moveFrom", "moveTo", "pgNum")}
# Fields in the sign-off whose values would change inside the combined document: page and section
# numbers and counts, references to pages, tables and indexes that collect the whole document,
# sequence and list numbers that would continue the main document's, STYLEREF (it searches back).
_REFUSED_FIELDS = {"PAGE", "NUMPAGES", "SECTIONPAGES", "PAGEREF", "SECTION", "TOC", "INDEX", "TOA", "SEQ",
                   "STYLEREF", "LISTNUM", "AUTONUM", "AUTONUMLGL", "AUTONUMOUT", "NOTEREF"}
# Settings that do not change a layout (editing state, revision ids, field update prompt).
_NEUTRAL_SETTINGS = {f"{_W}{t}" for t in ("rsids", "proofState", "attachedTemplate", "docVars", "updateFields",
                                          "zoom", "view", "documentProtection", "shapeDefaults",
                                          "hdrShapeDefaults")} | {
    "{http://schemas.microsoft.com/office/word/2010/wordml}docId",
    "{http://schemas.microsoft.com/office/word/2012/wordml}docId",
    "{http://schemas.microsoft.com/office/word/2012/wordml}chartTrackingRefBased"}


class CannotCombine(Exception):
    """The two documents use something this module does not merge; the caller converts them separately."""


@dataclass
class _Rel:
    rel_type: str
    target: str  # the part's name in the package, or the external address
    external: bool


@dataclass
class _Package:
    """A DOCX read into memory: its parts by name, in the archive's order."""

    what: str  # for messages
    parts: dict[str, bytes]
    order: list[str]

    def xml(self, name: str) -> etree._Element:
        data = self.parts.get(name)
        if data is None:
            raise CannotCombine(f"{self.what}: part {name} is missing")
        try:
            return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError as exc:
            raise CannotCombine(f"{self.what}: {name} is not well-formed XML ({exc.msg})") from exc

    def rels(self, part: str) -> dict[str, _Rel]:
        """The relationships of ``part`` by id (none when it has no rels part)."""
        folder, name = posixpath.split(part)
        rels_name = posixpath.join(folder, "_rels", name + ".rels")
        if rels_name not in self.parts:
            return {}
        found: dict[str, _Rel] = {}
        for rel in self.xml(rels_name).iter(f"{_PKG_REL}Relationship"):
            target = str(rel.get("Target", ""))
            external = rel.get("TargetMode") == "External"
            if not external:
                target = _resolve(folder, target)
            found[str(rel.get("Id"))] = _Rel(str(rel.get("Type")), target, external)
        return found


@dataclass
class _Output:
    """What the combined package gets beside the main document's (changed) parts."""

    names: set[str]
    changed: dict[str, bytes] = field(default_factory=dict)
    added: dict[str, bytes] = field(default_factory=dict)

    def unique(self, folder: str, stem: str, suffix: str) -> str:
        number = 1
        while (name := f"{folder}/{stem}{number}{suffix}") in self.names:
            number += 1
        self.names.add(name)
        return name

    def add(self, name: str, data: bytes) -> None:
        self.names.add(name)
        self.added[name] = data


def combine_docx(main: Path, signoff: Path, out: Path) -> None:
    """Write ``out``: ``main``'s body, a section break (new page), ``signoff``'s body as the last section."""
    m, s = _read(main, "main document"), _read(signoff, "sign-off")
    for package in (m, s):
        _check_package(package)
    m_rels, s_rels = m.rels(_DOCUMENT), s.rels(_DOCUMENT)
    m_doc, s_doc = m.xml(_DOCUMENT), s.xml(_DOCUMENT)
    _body(m_doc, m.what)
    s_body = _body(s_doc, s.what)
    m_stories = {_DOCUMENT: m_doc} | {r.target: m.xml(r.target) for r in m_rels.values()
                                      if r.rel_type in _STORY_TYPES and not r.external}
    s_parts = _signoff_header_parts(s, s_body, s_rels)
    s_stories = [s_doc, *s_parts.values()]

    # Everything is changed in memory only: ``out`` is written once every check has passed.
    for story in s_stories:
        _check_signoff_story(story)
    _check_same_layout_settings(m, s, m_rels, s_rels)
    output = _Output(set(m.order))
    styles_name = _only(m_rels, _RT_STYLES, m.what)
    styles = _merged_styles(m.xml(styles_name), s.xml(_only(s_rels, _RT_STYLES, s.what)), s_stories)
    output.changed[styles_name] = _part_bytes(styles)

    end_id = _renumber(list(m_stories.values()), s_stories)

    copier = _RelCopier(s, s_rels, m.xml(_DOCUMENT_RELS), m.xml("[Content_Types].xml"),
                        s.xml("[Content_Types].xml"), output, s_parts)
    copier.rewrite(s_body)  # before the move: only the sign-off's ids are rewritten
    s_sect = s_body[-1]
    _finish_signoff_section(s_sect, copier)

    m_doc = _with_namespaces(m_doc, s_doc)
    m_body = _body(m_doc, m.what)
    _end_main_section(m_body, end_id)
    for child in list(s_body):
        m_body.append(child)
    output.changed[_DOCUMENT] = _part_bytes(m_doc)
    output.changed[_DOCUMENT_RELS] = _part_bytes(copier.main_rels)
    output.changed["[Content_Types].xml"] = _part_bytes(copier.main_types)
    out.write_bytes(_zip(m, output))


# -- reading and checking ------------------------------------------------------------------------
def _read(path: Path, what: str) -> _Package:
    try:
        with zipfile.ZipFile(path) as archive:
            order = [info.filename for info in archive.infolist() if not info.is_dir()]
            parts = {name: archive.read(name) for name in order}
    except zipfile.BadZipFile as exc:
        raise CannotCombine(f"{what}: not a ZIP package ({exc})") from exc
    return _Package(what, parts, order)


def _resolve(folder: str, target: str) -> str:
    """A relationship's internal target as a part name (relative to the source part's folder)."""
    target = unquote(target)
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))


def _check_package(package: _Package) -> None:
    """The main part is word/document.xml, declared as a plain (macro-free) Word document."""
    types = package.xml("[Content_Types].xml")
    declared = {str(o.get("PartName")).lstrip("/"): o.get("ContentType") for o in types.iter(f"{_CT}Override")}
    office = [r for r in package.rels("").values() if r.rel_type == _RT + "officeDocument"]
    if declared.get(_DOCUMENT) != _MAIN_CT or len(office) != 1 or office[0].target != _DOCUMENT:
        raise CannotCombine(f"{package.what}: the main part is not a Word document at {_DOCUMENT}")


def _body(document: etree._Element, what: str) -> etree._Element:
    """The body, checked to end with its last section's properties."""
    body = document.find(f"{_W}body")
    if body is None or len(body) == 0 or body[-1].tag != f"{_W}sectPr":
        raise CannotCombine(f"{what}: the body does not end with its section properties")
    return body


def _only(rels: dict[str, _Rel], rel_type: str, what: str) -> str:
    targets = [r.target for r in rels.values() if r.rel_type == rel_type and not r.external]
    if len(targets) != 1:
        raise CannotCombine(f"{what}: expected one {rel_type.rsplit('/', 1)[-1]} part, found {len(targets)}")
    return targets[0]


def _elements(root: etree._Element) -> Iterator[etree._Element]:
    """The elements below and including ``root`` (no comments or processing instructions)."""
    return root.iter(tag=etree.Element)  # type: ignore[no-any-return]


def _rel_attributes(element: etree._Element) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in element.attrib.items() if str(k).startswith(_R)]


def _signoff_header_parts(s: _Package, body: etree._Element, rels: dict[str, _Rel]) -> dict[str, etree._Element]:
    """The sign-off's header and footer parts by relationship id; the sign-off has one section only."""
    if sum(1 for _ in body.iter(f"{_W}sectPr")) != 1:
        raise CannotCombine("sign-off: more than one section")
    parts: dict[str, etree._Element] = {}
    for element in _elements(body):
        for _attr, rel_id in _rel_attributes(element):
            rel = rels.get(rel_id)
            if rel is not None and rel.rel_type in (_RT_HEADER, _RT_FOOTER) and not rel.external \
                    and rel_id not in parts:
                parts[rel_id] = s.xml(rel.target)
    return parts


def _check_signoff_story(story: etree._Element) -> None:
    """Nothing in the sign-off's body or headers whose result depends on the document around it."""
    for element in _elements(story):
        refused = _REFUSED_TAGS.get(element.tag)
        if refused is not None:
            raise CannotCombine(f"sign-off: uses w:{refused}")
        if element.tag == f"{_W}sdt" and element.find(f"{_W}sdtPr/{_W}dataBinding") is not None:
            raise CannotCombine("sign-off: content control bound to custom XML")
        if element.get(_O_RELID) is not None:
            raise CannotCombine("sign-off: VML object relationship")
    for found in _fields(story):
        words = found.text.replace("=", " ").split()
        if words and words[0].upper() in _REFUSED_FIELDS:
            raise CannotCombine(f"sign-off: field {words[0].upper()} would change its value")


def _canon(element: etree._Element | None) -> bytes:
    """Canonical XML (exclusive: namespaces declared but unused do not count)."""
    return b"" if element is None else bytes(etree.tostring(element, method="c14n", exclusive=True))


def _check_same_layout_settings(m: _Package, s: _Package, m_rels: dict[str, _Rel], s_rels: dict[str, _Rel]) -> None:
    """The sign-off is laid out with the main document's settings and theme: they must be the same."""
    for rel_type, what in ((_RT_SETTINGS, "settings"), (_RT_THEME, "themes")):
        if _layout_children(m, m_rels, rel_type) != _layout_children(s, s_rels, rel_type):
            raise CannotCombine(f"the documents' {what} differ")


def _layout_children(package: _Package, rels: dict[str, _Rel], rel_type: str) -> list[bytes]:
    targets = [r.target for r in rels.values() if r.rel_type == rel_type and not r.external]
    if not targets:
        return []
    return [_canon(c) for c in package.xml(targets[0]) if isinstance(c.tag, str) and c.tag not in _NEUTRAL_SETTINGS]


# -- styles --------------------------------------------------------------------------------------
def _is_default(style: etree._Element) -> bool:
    return style.get(f"{_W}default") in ("1", "true", "on")


def _merged_styles(main: etree._Element, signoff: etree._Element, stories: list[etree._Element]) -> etree._Element:
    """Main's styles plus the sign-off's missing ones; shared ones must be the same, used ones free of numbering.

    Rendered documents keep only the styles they use (and rich text's), so the sign-off's may be
    missing from the main document.
    """
    defaults = main.find(f"{_W}docDefaults")
    if _canon(defaults) != _canon(signoff.find(f"{_W}docDefaults")):
        raise CannotCombine("the documents' default formatting (w:docDefaults) differs")
    if defaults is not None and defaults.find(f".//{_W}numPr") is not None:
        raise CannotCombine("the default formatting uses numbering")
    mine = {str(st.get(f"{_W}styleId")): st for st in main.iter(f"{_W}style")}
    theirs = {str(st.get(f"{_W}styleId")): st for st in signoff.iter(f"{_W}style")}
    for style_id in _used_styles(theirs, stories):
        style = theirs.get(style_id)
        if style is None and style_id in mine:
            raise CannotCombine(f"sign-off: uses style {style_id}, which only the main document defines")
        if style is not None and style.find(f".//{_W}numPr") is not None:
            raise CannotCombine(f"sign-off: style {style_id} uses numbering")
    names = {str(st.find(f"{_W}name").get(f"{_W}val")).lower() for st in mine.values()
             if st.find(f"{_W}name") is not None}
    merged = _with_namespaces(main, signoff)
    last = merged.findall(f"{_W}style")
    for style_id, style in theirs.items():
        own = mine.get(style_id)
        if own is not None:
            if _canon(own) != _canon(style):
                raise CannotCombine(f"style {style_id} differs between the documents")
            continue
        name = style.find(f"{_W}name")
        if _is_default(style):
            raise CannotCombine(f"sign-off: its default {style.get(f'{_W}type')} style {style_id} is not main's")
        if name is not None and str(name.get(f"{_W}val")).lower() in names:
            raise CannotCombine(f"sign-off: style {style_id} has the name of another style of the main document")
        if last:
            last[-1].addnext(style)
            last.append(style)
        else:
            merged.append(style)
    return merged


def _used_styles(styles: dict[str, etree._Element], stories: list[etree._Element]) -> set[str]:
    """Styles the sign-off applies: named in its text, the defaults, and what they are based on."""
    used = {style_id for style_id, style in styles.items() if _is_default(style)}
    for story in stories:
        used.update(str(e.get(f"{_W}val")) for e in story.iter(f"{_W}pStyle", f"{_W}rStyle", f"{_W}tblStyle"))
    todo = list(used)
    while todo:
        style = styles.get(todo.pop())
        if style is None:
            continue
        for link in style.iterchildren(f"{_W}basedOn", f"{_W}link"):
            target = str(link.get(f"{_W}val"))
            if target not in used:
                used.add(target)
                todo.append(target)
    return used


# -- fields --------------------------------------------------------------------------------------
@dataclass
class _Field:
    """A field's instruction: the instrText elements of a complex field, or a w:fldSimple."""

    pieces: list[etree._Element]
    simple: etree._Element | None = None
    collecting: bool = True  # a complex field's instruction ends at its separate (or end) mark

    @property
    def text(self) -> str:
        if self.simple is not None:
            return str(self.simple.get(f"{_W}instr", ""))
        return "".join(p.text or "" for p in self.pieces)


def _fields(story: etree._Element) -> list[_Field]:
    """Every field of ``story``, nested ones on their own."""
    found: list[_Field] = []
    stack: list[_Field] = []  # open complex fields, innermost last
    for element in story.iter(f"{_W}fldChar", f"{_W}instrText", f"{_W}fldSimple"):
        if element.tag == f"{_W}fldSimple":
            found.append(_Field([], element))
        elif element.tag == f"{_W}instrText":
            if stack and stack[-1].collecting:
                stack[-1].pieces.append(element)
            else:
                found.append(_Field([element]))  # an instruction outside a field: checked on its own
        else:
            kind = element.get(f"{_W}fldCharType")
            if kind == "begin":
                stack.append(_Field([]))
            elif stack and kind in ("separate", "end"):
                if stack[-1].collecting:
                    stack[-1].collecting = False
                    found.append(stack[-1])
                if kind == "end":
                    stack.pop()
    found.extend(current for current in stack if current.collecting)  # fields never closed
    return found


# -- ids -----------------------------------------------------------------------------------------
def _int_id(element: etree._Element, attribute: str) -> int:
    value = element.get(attribute)
    try:
        return int(str(value))
    except ValueError:
        raise CannotCombine(f"id {value!r} of {etree.QName(element).localname} is not a number") from None


def _renumber(main: list[etree._Element], signoff: list[etree._Element]) -> int:
    """Shift the sign-off's bookmark and drawing ids above the main document's; the end bookmark's id."""
    bookmark_tags = (f"{_W}bookmarkStart", f"{_W}bookmarkEnd")
    ids = {_int_id(b, f"{_W}id") for story in main for b in story.iter(*bookmark_tags)}
    names = {str(b.get(f"{_W}name")).lower() for story in main for b in story.iter(f"{_W}bookmarkStart")}
    if MAIN_END_BOOKMARK.lower() in names:
        raise CannotCombine(f"main document: already has a bookmark {MAIN_END_BOOKMARK}")
    referenced = " ".join([f.text for story in signoff for f in _fields(story)]
                          + [str(h.get(f"{_W}anchor", "")) for story in signoff for h in story.iter(f"{_W}hyperlink")])
    offset = max(ids, default=-1) + 1
    for story in signoff:
        dropped: set[str] = set()
        for start in list(story.iter(f"{_W}bookmarkStart")):
            name = str(start.get(f"{_W}name"))
            if name.lower() == MAIN_END_BOOKMARK.lower():
                raise CannotCombine(f"sign-off: has a bookmark {MAIN_END_BOOKMARK}")
            if name.lower() in names:
                # A hidden bookmark (Word's _GoBack, _Toc…) nothing refers to can go; another would clash.
                if not name.startswith("_") or name.lower() in referenced.lower():
                    raise CannotCombine(f"both documents have a bookmark {name}")
                dropped.add(str(start.get(f"{_W}id")))
        for mark in list(story.iter(*bookmark_tags)):
            if str(mark.get(f"{_W}id")) in dropped:
                mark.getparent().remove(mark)
            else:
                new = _int_id(mark, f"{_W}id") + offset
                mark.set(f"{_W}id", str(new))
                ids.add(new)
    drawing = max((_int_id(d, "id") for story in main for d in story.iter(f"{_WP}docPr")), default=0)
    for story in signoff:
        for d in story.iter(f"{_WP}docPr"):
            d.set("id", str(_int_id(d, "id") + drawing + 1))
    return max(ids, default=-1) + 1


# -- the body ------------------------------------------------------------------------------------
def _with_namespaces(root: etree._Element, other: etree._Element) -> etree._Element:
    """``root``, or a copy of it with children moved, declaring ``other``'s namespaces and ignorables too."""
    nsmap = dict(root.nsmap)
    for prefix, uri in other.nsmap.items():
        if nsmap.setdefault(prefix, uri) != uri:
            raise CannotCombine(f"namespace prefix {prefix} means different things in the documents")
    ignorable = str(root.get(_MC_IGNORABLE, "")).split()
    extra = [p for p in str(other.get(_MC_IGNORABLE, "")).split() if p not in ignorable]
    if nsmap == dict(root.nsmap) and not extra:
        return root
    merged = etree.Element(root.tag, attrib=dict(root.attrib), nsmap=nsmap)
    merged.text = root.text
    merged.extend(list(root))
    if extra:
        merged.set(_MC_IGNORABLE, " ".join(ignorable + extra))
    return merged


def _end_main_section(body: etree._Element, bookmark_id: int) -> None:
    """End the main document's last section in its last paragraph and mark its end with the bookmark."""
    sect = body[-1]
    last = sect.getprevious()
    if last is None or last.tag != f"{_W}p":
        raise CannotCombine("main document: the body does not end with a paragraph")
    properties = last.find(f"{_W}pPr")
    if properties is None:
        properties = etree.Element(f"{_W}pPr")
        last.insert(0, properties)
    if properties.find(f"{_W}sectPr") is not None:
        raise CannotCombine("main document: the last paragraph already ends a section")
    change = properties.find(f"{_W}pPrChange")
    if change is None:
        properties.append(sect)
    else:
        change.addprevious(sect)
    etree.SubElement(last, f"{_W}bookmarkStart", {f"{_W}id": str(bookmark_id), f"{_W}name": MAIN_END_BOOKMARK})
    etree.SubElement(last, f"{_W}bookmarkEnd", {f"{_W}id": str(bookmark_id)})


def _finish_signoff_section(sect: etree._Element, copier: _RelCopier) -> None:
    """A new page with continued numbering; empty headers and footers where the sign-off has none."""
    for kind in sect.findall(f"{_W}type"):
        sect.remove(kind)
    numbering = sect.find(f"{_W}pgNumType")
    if numbering is not None and f"{_W}start" in numbering.attrib:
        del numbering.attrib[f"{_W}start"]
    tags = (f"{_W}headerReference", f"{_W}footerReference")
    references = [r for r in sect if r.tag in tags]
    for tag, kind in zip(tags, ("header", "footer"), strict=True):
        present = {r.get(f"{_W}type", "default") for r in references if r.tag == tag}
        references += [etree.Element(tag, {f"{_W}type": t, f"{_R}id": copier.empty(kind)})
                       for t in _HF_TYPES if t not in present]
    for index, reference in enumerate(references):  # first in a sectPr, as the schema wants
        sect.insert(index, reference)


# -- relationships and parts ---------------------------------------------------------------------
class _RelCopier:
    """Copies what the sign-off's relationships point to into the main package, under new names and ids."""

    def __init__(self, signoff: _Package, rels: dict[str, _Rel], main_rels: etree._Element,
                 main_types: etree._Element, signoff_types: etree._Element, output: _Output,
                 parts: dict[str, etree._Element]) -> None:
        self.signoff, self.rels, self.parts, self.output = signoff, rels, parts, output
        self.main_rels, self.main_types = main_rels, main_types
        self.ids = {str(r.get("Id")) for r in main_rels}
        self.defaults = {str(d.get("Extension")).lower() for d in main_types.iter(f"{_CT}Default")}
        self.their_defaults = {str(d.get("Extension")).lower(): str(d.get("ContentType"))
                               for d in signoff_types.iter(f"{_CT}Default")}
        self.their_overrides = {str(o.get("PartName")).lstrip("/"): str(o.get("ContentType"))
                                for o in signoff_types.iter(f"{_CT}Override")}
        self.new_ids: dict[str, str] = {}
        self.media: dict[str, str] = {}  # sign-off part → the name of its copy
        self.empties: dict[str, str] = {}  # "header"/"footer" → the rel id of the empty part

    def rewrite(self, root: etree._Element) -> None:
        """Point every relationship attribute below ``root`` at a new relationship of the main document."""
        for element in _elements(root):
            for attribute, rel_id in _rel_attributes(element):
                element.set(attribute, self._copy(rel_id))

    def empty(self, kind: str) -> str:
        """The relationship id of an empty header or footer part (made on first use)."""
        if kind not in self.empties:
            name, tag, content_type = ((_EMPTY_HEADER, "hdr", _HEADER_CT) if kind == "header"
                                       else (_EMPTY_FOOTER, "ftr", _FOOTER_CT))
            if name in self.output.names:
                raise CannotCombine(f"main document: already has a part {name}")
            root = etree.Element(f"{_W}{tag}", nsmap={"w": _W_NS, "r": _R_NS})
            etree.SubElement(root, f"{_W}p")
            self.output.add(name, _part_bytes(root))
            self._override(name, content_type)
            self.empties[kind] = self._relate(_RT_HEADER if kind == "header" else _RT_FOOTER,
                                              name.removeprefix("word/"))
        return self.empties[kind]

    def _copy(self, rel_id: str) -> str:
        if rel_id not in self.new_ids:
            rel = self.rels.get(rel_id)
            if rel is None:
                raise CannotCombine(f"sign-off: relationship {rel_id} is missing")
            if rel.rel_type in (_RT_HEADER, _RT_FOOTER) and not rel.external:
                target = self._copy_story(rel, self.parts[rel_id])
            elif rel.rel_type == _RT_IMAGE:
                target = rel.target if rel.external else self._copy_media(rel.target)
            elif rel.rel_type == _RT_HYPERLINK and rel.external:
                target = rel.target
            else:
                raise CannotCombine(f"sign-off: relationship of type {rel.rel_type} is not merged")
            self.new_ids[rel_id] = self._relate(rel.rel_type, target, external=rel.external)
        return self.new_ids[rel_id]

    def _relate(self, rel_type: str, target: str, *, external: bool = False) -> str:
        """A new relationship of the main document part; ``target`` relative to word/ or external."""
        number = 1
        while f"rIdDg{number}" in self.ids:
            number += 1
        rel_id = f"rIdDg{number}"
        self.ids.add(rel_id)
        attributes = {"Id": rel_id, "Type": rel_type, "Target": target}
        if external:
            attributes["TargetMode"] = "External"
        etree.SubElement(self.main_rels, f"{_PKG_REL}Relationship", attributes)
        return rel_id

    def _copy_story(self, rel: _Rel, root: etree._Element) -> str:
        """Copy a header or footer part with its relationships (images, links); its new target."""
        kind = "header" if rel.rel_type == _RT_HEADER else "footer"
        name = self.output.unique("word", f"{kind}-freigabe", ".xml")
        rels = etree.Element(f"{_PKG_REL}Relationships", nsmap={None: _PKG_REL[1:-1]})
        for rel_id, own in self.signoff.rels(rel.target).items():
            attributes = {"Id": rel_id, "Type": own.rel_type, "Target": own.target}
            if own.external and own.rel_type in (_RT_IMAGE, _RT_HYPERLINK):
                attributes["TargetMode"] = "External"
            elif own.rel_type == _RT_IMAGE:
                attributes["Target"] = self._copy_media(own.target)
            else:
                raise CannotCombine(f"sign-off: its {kind} has a relationship of type {own.rel_type}")
            etree.SubElement(rels, f"{_PKG_REL}Relationship", attributes)
        self.output.add(name, _part_bytes(root))
        if len(rels):
            self.output.add(f"word/_rels/{name.removeprefix('word/')}.rels", _part_bytes(rels))
        default = _HEADER_CT if kind == "header" else _FOOTER_CT
        self._override(name, self.their_overrides.get(rel.target, default))
        return name.removeprefix("word/")

    def _copy_media(self, part: str) -> str:
        """Copy an image part of the sign-off; its new name relative to word/."""
        if part not in self.media:
            data = self.signoff.parts.get(part)
            if data is None:
                raise CannotCombine(f"sign-off: image {part} is missing")
            extension = posixpath.splitext(part)[1]
            name = self.output.unique("word/media", "freigabe", extension)
            self.output.add(name, data)
            ext = extension.lstrip(".").lower()
            if part in self.their_overrides:
                self._override(name, self.their_overrides[part])
            elif ext not in self.defaults:
                if ext not in self.their_defaults:
                    raise CannotCombine(f"sign-off: no content type for {part}")
                etree.SubElement(self.main_types, f"{_CT}Default",
                                 {"Extension": ext, "ContentType": self.their_defaults[ext]})
                self.defaults.add(ext)
            self.media[part] = name
        return self.media[part].removeprefix("word/")

    def _override(self, name: str, content_type: str) -> None:
        etree.SubElement(self.main_types, f"{_CT}Override", {"PartName": f"/{name}", "ContentType": content_type})


def _part_bytes(root: etree._Element) -> bytes:
    """A package part's XML as Word writes it (declaration, UTF-8, standalone)."""
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def _zip(main: _Package, output: _Output) -> bytes:
    """The combined package: [Content_Types].xml and the package relationships first, new parts last."""
    first = ["[Content_Types].xml", "_rels/.rels"]
    names = first + [n for n in main.order if n not in first] + list(output.added)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            data = output.changed.get(name, output.added.get(name, main.parts.get(name)))
            if data is not None:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, data)
    return buffer.getvalue()
