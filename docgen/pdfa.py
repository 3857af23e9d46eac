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

import pikepdf
from pikepdf import Array, Dictionary, Pdf, Stream

NOTE = "Strukturprüfung durch docgen (keine vollständige Validierung nach ISO 19005)"


def _xmp(pdf: Pdf) -> str:
    meta = pdf.Root.get("/Metadata")
    if not isinstance(meta, Stream):
        return ""
    data: bytes = meta.read_bytes()
    return data.decode("utf-8", "replace")


def _xmp_value(xmp: str, name: str) -> str | None:
    match = re.search(rf"<{name}>([^<]*)</{name}>", xmp) or re.search(rf'{name}="([^"]*)"', xmp)
    return match.group(1) if match else None


def first_visit(obj: Any, seen: set[tuple[int, int]]) -> bool:
    """False when the indirect ``obj`` was met before (object graphs loop); a direct object is met once."""
    if not obj.is_indirect:
        return True
    if obj.objgen in seen:
        return False
    seen.add(obj.objgen)
    return True


def _font_name(font: Any) -> str:
    return str(font.get("/BaseFont", "?")).lstrip("/")


def _font_embedded(font: Any) -> bool:
    if font.get("/Subtype") == "/Type3":
        return True  # glyphs are drawn by the PDF itself
    owner = font
    if font.get("/Subtype") == "/Type0":
        descendants = font.get("/DescendantFonts")
        owner = descendants[0] if isinstance(descendants, Array) and len(descendants) else None
    descriptor = owner.get("/FontDescriptor") if isinstance(owner, Dictionary) else None
    if not isinstance(descriptor, Dictionary):
        return False
    return any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def _resource_fonts(resources: Any, seen: set[tuple[int, int]]) -> list[Any]:
    """Fonts of a resource dictionary and of the form XObjects and Type3 fonts it uses, recursively."""
    fonts: list[Any] = []
    stack = [resources]
    while stack:
        res = stack.pop()
        if not isinstance(res, (Dictionary, Stream)) or not first_visit(res, seen):
            continue
        font_dict = res.get("/Font")
        for font in (font_dict.values() if isinstance(font_dict, Dictionary) else []):
            if not isinstance(font, Dictionary):
                continue  # not a font at all; nothing a viewer could draw with
            fonts.append(font)
            if font.get("/Resources") is not None:
                stack.append(font["/Resources"])
        xobjects = res.get("/XObject")
        for xobject in (xobjects.values() if isinstance(xobjects, Dictionary) else []):
            if (isinstance(xobject, Stream) and xobject.get("/Subtype") == "/Form"
                    and xobject.get("/Resources") is not None):
                stack.append(xobject["/Resources"])
    return fonts


def _appearance_resources(page: Any) -> list[Any]:
    """Resource dictionaries of the annotations' appearance streams (what a viewer draws for them)."""
    found: list[Any] = []
    annotations = page.get("/Annots")
    for annotation in (annotations if isinstance(annotations, Array) else []):
        appearance = annotation.get("/AP") if isinstance(annotation, Dictionary) else None
        for state in (appearance.values() if isinstance(appearance, Dictionary) else []):
            streams = [state] if isinstance(state, Stream) else (
                list(state.values()) if isinstance(state, Dictionary) else [])
            for stream in streams:
                if isinstance(stream, Stream) and stream.get("/Resources") is not None:
                    found.append(stream["/Resources"])
    return found


def _unembedded_fonts(pdf: Pdf) -> list[str]:
    """Names of fonts used on any page (contents, form XObjects, annotations) that are not embedded."""
    missing: set[str] = set()
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        for resources in [page.obj.get("/Resources"), *_appearance_resources(page.obj)]:
            for font in _resource_fonts(resources, seen):
                if not _font_embedded(font):
                    missing.add(_font_name(font))
    return sorted(missing)


def part_findings(pdf: Pdf, where: str) -> list[str]:
    """Why the part opened as ``pdf`` would keep a bundle from being PDF/A, in German.

    ``where`` names the part (e.g. "Anlage 2 „Plan“"); every sentence starts with it, e.g.
    "Anlage 2 „Plan“: Schrift „Arial“ nicht eingebettet". Empty when nothing was found.
    """
    if pdf.is_encrypted:
        return [f"{where}: verschlüsselt"]
    return [f"{where}: Schrift „{name}“ nicht eingebettet" for name in _unembedded_fonts(pdf)]


def check_pdfa(path: Path) -> dict[str, Any]:
    with pikepdf.open(path) as pdf:
        return _check(pdf)


def _check(pdf: Pdf) -> dict[str, Any]:
    root = pdf.Root
    xmp = _xmp(pdf)
    intents: Any = root.get("/OutputIntents") or []
    has_intent = any(i.get("/S") == "/GTS_PDFA1" and "/DestOutputProfile" in i for i in intents)
    names = root.get("/Names")
    javascript = isinstance(names, Dictionary) and "/JavaScript" in names
    info = pdf.trailer.get("/Info")
    info_title = str(info.get("/Title", "")) if isinstance(info, Dictionary) else ""
    info_producer = str(info.get("/Producer", "")) if isinstance(info, Dictionary) else ""
    xmp_title = re.search(r"<dc:title>.*?<rdf:li[^>]*>([^<]*)</rdf:li>", xmp, re.S)
    unembedded = _unembedded_fonts(pdf)
    checks = {
        "xmp_pdfa_teil_2": _xmp_value(xmp, "pdfaid:part") == "2",
        "xmp_konformitaet_b": (_xmp_value(xmp, "pdfaid:conformance") or "").upper() == "B",
        "output_intent": has_intent,
        "schriften_eingebettet": not unembedded,
        "nicht_verschluesselt": not pdf.is_encrypted,
        "kein_javascript": not javascript,
        "produzent_xmp_gleich_info": _xmp_value(xmp, "pdf:Producer") in (None, info_producer),
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
