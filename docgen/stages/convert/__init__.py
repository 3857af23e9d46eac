"""Stage 3, convert: DOCX → PDF/A-2b through LibreOffice.

The pipeline talks only to the :class:`Converter` interface. Two
implementations exist: a one-shot converter (a fresh ``soffice`` per document,
:mod:`.oneshot`) and a warm pool (:mod:`.pool`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol


class Converter(Protocol):
    """Turns one DOCX file into one PDF/A-2b file.

    ``convert`` writes ``pdf`` (overwriting it), verifies it, and raises
    :class:`docgen.errors.ConversionFailed` (exit 6) when no valid PDF came out. It returns
    the page count the verification read, or None when it did not count them (the caller
    then counts them itself; the pipeline needs them for bundles and results).
    ``close`` ends every LibreOffice process the converter started.
    """

    def convert(self, docx: Path, pdf: Path) -> int | None: ...

    def close(self) -> None: ...


# PDF export filter options: PDF/A-2b, tagged, with bookmarks from headings.
PDF_EXPORT_OPTIONS: dict[str, tuple[str, object]] = {
    "SelectPdfVersion": ("long", 2),
    "UseTaggedPDF": ("boolean", True),
    "ExportBookmarks": ("boolean", True),
    "ExportFormFields": ("boolean", False),
}
