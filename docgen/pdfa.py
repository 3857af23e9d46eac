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
from pypdf.generic import StreamObject

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


def _font_name(font: Any) -> str:
    return str(font.get("/BaseFont", "?")).lstrip("/")


def _font_embedded(font: Any) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # glyphs are drawn by the PDF itself
    owner = font
    if font.get("/Subtype") == "/Type0":
        owner = font["/DescendantFonts"][0].get_object()
    descriptor = owner.get("/FontDescriptor")
    descriptor = descriptor.get_object() if descriptor is not None else {}
    return any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def _resource_fonts(resources: Any, seen: set[int]) -> list[Any]:
    """Fonts of a resource dictionary and of the form XObjects and Type3 fonts it uses, recursively."""
    fonts: list[Any] = []
    stack = [resources]
    while stack:
        res = stack.pop()
        res = res.get_object() if res is not None else None
        if res is None or id(res) in seen:
            continue
        seen.add(id(res))
        font_dict = res.get("/Font")
        for ref in (font_dict.get_object().values() if font_dict is not None else []):
            font = ref.get_object()
            fonts.append(font)
            if font.get("/Resources") is not None:
                stack.append(font["/Resources"])
        xobjects = res.get("/XObject")
        for ref in (xobjects.get_object().values() if xobjects is not None else []):
            xobject = ref.get_object()
            if xobject.get("/Subtype") == "/Form" and xobject.get("/Resources") is not None:
                stack.append(xobject["/Resources"])
    return fonts


def _appearance_resources(page: Any) -> list[Any]:
    """Resource dictionaries of the annotations' appearance streams (what a viewer draws for them)."""
    found: list[Any] = []
    annotations = page.get("/Annots")
    for ref in (annotations.get_object() if annotations is not None else []):
        appearance = ref.get_object().get("/AP")
        appearance = appearance.get_object() if appearance is not None else {}
        for state in appearance.values():
            state = state.get_object()
            streams = [state] if isinstance(state, StreamObject) else list(state.values())
            for stream in streams:
                stream = stream.get_object()
                if isinstance(stream, StreamObject) and stream.get("/Resources") is not None:
                    found.append(stream["/Resources"])
    return found


def _unembedded_fonts(reader: PdfReader) -> list[str]:
    """Names of fonts used on any page (contents, form XObjects, annotations) that are not embedded."""
    missing: set[str] = set()
    seen: set[int] = set()
    for page in reader.pages:
        for resources in [page.get("/Resources"), *_appearance_resources(page)]:
            for font in _resource_fonts(resources, seen):
                if not _font_embedded(font):
                    missing.add(_font_name(font))
    return sorted(missing)


def part_findings(reader: PdfReader, where: str) -> list[str]:
    """Why the part read by ``reader`` would keep a bundle from being PDF/A, in German.

    ``where`` names the part (e.g. "Anlage 2 „Plan“"); every sentence starts with it, e.g.
    "Anlage 2 „Plan“: Schrift „Arial“ nicht eingebettet". Empty when nothing was found.
    """
    if reader.is_encrypted:
        return [f"{where}: verschlüsselt"]
    return [f"{where}: Schrift „{name}“ nicht eingebettet" for name in _unembedded_fonts(reader)]


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
        "probleme": _problems(checks, unembedded),
        "hinweis": NOTE,
    }


CHECK_TEXT = {
    "xmp_pdfa_teil_2": "keine PDF/A-2-Kennung in den XMP-Metadaten",
    "xmp_konformitaet_b": "keine Konformitätsstufe B in den XMP-Metadaten",
    "output_intent": "kein Farbprofil (OutputIntent)",
    "nicht_verschluesselt": "verschlüsselt",
    "kein_javascript": "enthält JavaScript",
    "produzent_xmp_gleich_info": "Hersteller (Producer) in XMP und Dokumentinfo verschieden",
    "titel_xmp_gleich_info": "Titel in XMP und Dokumentinfo verschieden",
}


def _problems(checks: dict[str, bool], unembedded: list[str]) -> list[str]:
    problems = [f"Schrift „{name}“ nicht eingebettet" for name in unembedded]
    problems += [text for key, text in CHECK_TEXT.items() if not checks.get(key, True)]
    return problems


def pdfa_warning(check: dict[str, Any], findings: list[str] | None = None) -> str | None:
    """One German sentence for the receipt's warnings when the bundle is not PDF/A-2b, else None.

    ``check`` is :func:`check_pdfa` of the finished bundle; ``findings`` are the parts that
    broke it (``Assembled.pdfa_findings`` from the assemble stage). With findings the
    sentence names them; without, it lists what the bundle check found.
    """
    if check.get("ergebnis") == "bestanden":
        return None
    reasons = findings or check.get("probleme") or []
    return ("Das Paket ist kein PDF/A-2b und wird nicht als PDF/A gekennzeichnet: " + "; ".join(reasons) + "."
            if reasons else "Das Paket besteht die PDF/A-Strukturprüfung nicht.")


def _unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")
