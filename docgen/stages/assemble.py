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
import hashlib
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
        converter.convert(template, cache_dir / f".entwurf-{digest}.tmp.pdf")
        (cache_dir / f".entwurf-{digest}.tmp.pdf").replace(cached)
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


def assemble_bundle(entries: list[BundleEntry], meta: BundleMeta, out: Path, watermark: Path | None) -> Assembled:
    """Clean and merge ``entries`` into ``out`` with bookmarks, page labels and metadata.

    The bundle is identified as PDF/A-2b (XMP and output intent) only when no part breaks it.
    """
    writer = PdfWriter()
    removed: list[Removal] = []
    findings: list[str] = []
    intent = None
    first_page = 0
    for entry in entries:
        reader = PdfReader(entry.pdf)
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
    if watermark is not None:
        apply_watermark(writer, watermark)
    if intent is None and not findings:
        findings.append("Paket: kein Bestandteil bringt ein PDF/A-Farbprofil (OutputIntent) mit")
    _set_metadata(writer, meta, intent if not findings else None)
    with out.open("wb") as fh:
        writer.write(fh)
    return Assembled(out, removed, findings)


def assemble(entries: list[BundleEntry], meta: BundleMeta, out: Path, watermark: Path | None) -> Path:
    """:func:`assemble_bundle`, returning only the path (for callers that do not report findings)."""
    return assemble_bundle(entries, meta, out, watermark).path
