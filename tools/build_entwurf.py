"""The watermark page: one A4 page with "ENTWURF", laid diagonally over every page of a draft."""

from __future__ import annotations

from build_templates import base_document
from docx.document import Document as DocumentObject
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Pt, RGBColor


def build() -> DocumentObject:
    doc = base_document()
    para = doc.add_paragraph()
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    para.paragraph_format.space_before = Pt(300)
    run = para.add_run("ENTWURF")
    run.bold = True
    run.font.size = Pt(88)
    run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    doc.core_properties.title = "Wasserzeichen ENTWURF"
    # lint-template and the preflight read the dokumentart from here (Word: Datei → Eigenschaften → Kategorie).
    doc.core_properties.category = "entwurf"
    return doc
