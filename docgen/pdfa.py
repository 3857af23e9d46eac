"""A structural PDF/A-2b check of a finished bundle.

It checks what a merge or a signature could break: the XMP identification
(part 2, conformance B), the output intent with its ICC profile, embedded
fonts on every page, no encryption, no JavaScript, and a title that agrees
between the document information and XMP. It is not a full ISO 19005
validation (such as veraPDF); the receipt says so.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pypdf import PdfReader

NOTE = "Strukturprüfung durch docgen (keine vollständige Validierung nach ISO 19005)"


def _xmp(reader: PdfReader) -> str:
    root: Any = reader.trailer["/Root"]
    meta = root.get("/Metadata")
    if meta is None:
        return ""
    data: bytes = meta.get_object().get_data()
    return data.decode("utf-8", "replace")


def _xmp_value(xmp: str, name: str) -> str | None:
    match = re.search(rf"<{name}>([^<]*)</{name}>", xmp) or re.search(rf'{name}="([^"]*)"', xmp)
    return match.group(1) if match else None


def _unembedded_fonts(reader: PdfReader) -> list[str]:
    missing: set[str] = set()
    for page in reader.pages:
        resources: Any = page.get("/Resources")
        fonts = resources.get_object().get("/Font") if resources is not None else None
        for font_ref in (fonts.get_object().values() if fonts is not None else []):
            font = font_ref.get_object()
            if font.get("/Subtype") == "/Type3":
                continue
            descriptor_owner = font
            if font.get("/Subtype") == "/Type0":
                descriptor_owner = font["/DescendantFonts"][0].get_object()
            descriptor = descriptor_owner.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            if not any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                missing.add(str(font.get("/BaseFont", "?")).lstrip("/"))
    return sorted(missing)


def check_pdfa(pdf: Path) -> dict[str, Any]:
    reader = PdfReader(pdf)
    root: Any = reader.trailer["/Root"]
    xmp = _xmp(reader)
    intents = root.get("/OutputIntents")
    intents = intents.get_object() if intents is not None else []
    has_intent = any(
        i.get_object().get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in i.get_object() for i in intents
    )
    names = root.get("/Names")
    javascript = names is not None and "/JavaScript" in names.get_object()
    info: Any = reader.metadata or {}
    info_title = str(info.get("/Title", ""))
    xmp_title = re.search(r"<dc:title>.*?<rdf:li[^>]*>([^<]*)</rdf:li>", xmp, re.S)
    unembedded = _unembedded_fonts(reader)
    checks = {
        "xmp_pdfa_teil_2": _xmp_value(xmp, "pdfaid:part") == "2",
        "xmp_konformitaet_b": (_xmp_value(xmp, "pdfaid:conformance") or "").upper() == "B",
        "output_intent": has_intent,
        "schriften_eingebettet": not unembedded,
        "nicht_verschluesselt": not reader.is_encrypted,
        "kein_javascript": not javascript,
        "produzent_xmp_gleich_info": _xmp_value(xmp, "pdf:Producer") in (None, str(info.get("/Producer", ""))),
        "titel_xmp_gleich_info": xmp_title is not None and _unescape(xmp_title.group(1)) == info_title,
    }
    return {
        "ergebnis": "bestanden" if all(checks.values()) else "nicht bestanden",
        "pruefungen": checks,
        "nicht_eingebettete_schriften": unembedded,
        "hinweis": NOTE,
    }


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
