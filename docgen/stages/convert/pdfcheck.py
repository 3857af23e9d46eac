"""Never trust LibreOffice's exit code: check that the PDF exists, opens and has pages."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from docgen.errors import ConversionFailed


def verify_pdf(pdf: Path, source: Path) -> int:
    """Return the page count of ``pdf`` or raise :class:`ConversionFailed`."""
    if not pdf.is_file() or pdf.stat().st_size == 0:
        raise ConversionFailed(
            f"{source.name}: LibreOffice hat kein PDF erzeugt. "
            "Bitte `docgen check` ausführen und die Vorlage prüfen."
        )
    try:
        pages = len(PdfReader(pdf).pages)
    except (PdfReadError, OSError, ValueError) as exc:
        raise ConversionFailed(
            f"{source.name}: das von LibreOffice erzeugte PDF ist beschädigt ({exc})."
        ) from exc
    if pages == 0:
        raise ConversionFailed(f"{source.name}: das erzeugte PDF hat keine Seiten.")
    return pages
