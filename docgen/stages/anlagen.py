"""The parts of a bundle: the main document, then every entry of ``anlagen``.

An Anlage is either a PDF file (a path relative to the JSON file that must stay
inside its folder tree) or a nested docgen document validated like a top-level
one. Attachment files are checked before any work starts: a valid name inside the
folder, a regular file, a PDF that opens, not encrypted, and without active content
anywhere in it. A missing or unreadable file is a file access error (exit 7), every
other problem invalid input (exit 4).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from docgen.errors import Problem

ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/SubmitForm", "/Rendition"}
NAME_MAX = 255  # bytes per path component on Linux file systems


def resolve(base: Path, relative: str, where: str) -> tuple[Path | None, Problem | None]:
    if "\x00" in relative:
        return None, Problem(where, f"„{relative.replace(chr(0), '␀')}“ ist kein gültiger Dateiname (Nullzeichen).",
                             "anlage.pfad")
    candidate = Path(relative)
    if any(len(part.encode("utf-8", "surrogateescape")) > NAME_MAX for part in candidate.parts):
        return None, Problem(where, f"„{relative[:40]}…“ ist kein gültiger Dateiname (länger als {NAME_MAX} "
                             "Zeichen).", "anlage.pfad")
    if candidate.is_absolute():
        return None, Problem(where, f"„{relative}“ ist ein absoluter Pfad. Anlagen werden relativ zur "
                             "JSON-Datei angegeben, z. B. anlagen/plan.pdf.", "anlage.absolut")
    if ".." in candidate.parts:
        return None, Problem(where, f"„{relative}“ verlässt den Ordner der JSON-Datei („..“). Bitte die "
                             "Anlage in den Ordner der JSON-Datei oder einen Unterordner legen.", "anlage.ausserhalb")
    full = base / candidate
    try:
        resolved = full.resolve(strict=False)
    except (OSError, RuntimeError):
        return None, Problem(where, f"„{relative}“ lässt sich nicht auflösen (Verweisschleife?).", "anlage.pfad")
    if not resolved.is_relative_to(base.resolve()):
        return None, Problem(where, f"„{relative}“ ist ein Verweis (Symlink) auf eine Datei außerhalb des "
                             "Ordners der JSON-Datei. Bitte die Datei selbst ablegen.", "anlage.ausserhalb")
    return full, None


def _active_content(reader: PdfReader) -> str | None:
    """Name the first active content (JavaScript, launch actions, XFA forms) in the PDF, if any.

    Every object reachable from the document catalogue is looked at, not just the usual places
    (open action, page and annotation actions): an action can hang on an outline item or a form
    field, or follow a harmless one through ``/Next``, and a merge carries annotations along.
    """
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer["/Root"]]
    while stack:  # iterative: the object graph can be deep, and it has cycles (/Parent)
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if (item.idnum, item.generation) in seen:
                continue
            seen.add((item.idnum, item.generation))
            item = item.get_object()
        if isinstance(item, DictionaryObject):  # stream dictionaries too; their data is not decoded
            kind = item.get("/S")
            if kind in ACTIVE_ACTIONS:
                return str(kind).lstrip("/")
            if "/JS" in item:
                return "JavaScript"
            if "/XFA" in item:
                return "XFA-Formular"
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return None


def check_pdf(path: Path, relative: str, where: str) -> Problem | None:
    """A problem if ``path`` is not a plain, readable, unencrypted PDF without active content."""
    if not path.is_file():
        return Problem(where, f"„{relative}“ ist keine gewöhnliche Datei (Ordner oder Gerätedatei).",
                       "anlage.keine_datei")
    with path.open("rb") as fh:  # OSError (e.g. no permission) is the caller's: a file access error
        head = fh.read(1024)
    if b"%PDF-" not in head:
        return Problem(where, f"„{relative}“ ist keine PDF-Datei. Bitte die Anlage als PDF speichern.",
                       "anlage.kein_pdf")
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            return Problem(where, f"„{relative}“ ist verschlüsselt oder kennwortgeschützt. Bitte eine "
                           "ungeschützte Fassung beifügen.", "anlage.verschluesselt")
        if len(reader.pages) == 0:
            return Problem(where, f"„{relative}“ hat keine Seiten.", "anlage.leer")
        active = _active_content(reader)
    except Exception as exc:  # pypdf on hostile bytes can fail in any way; the file is refused, never trusted
        return Problem(where, f"„{relative}“ lässt sich nicht als PDF öffnen ({type(exc).__name__}: "
                       f"{str(exc)[:200]}).", "anlage.defekt")
    if active:
        return Problem(where, f"„{relative}“ enthält aktive Inhalte ({active}). Solche PDFs werden aus "
                       "Sicherheitsgründen nicht übernommen; bitte ohne Skripte/Aktionen speichern "
                       "(z. B. „Als PDF/A speichern“).", "anlage.aktive_inhalte")
    return None
