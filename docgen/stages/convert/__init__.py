"""Stage 3, convert: DOCX → PDF/A-2b through LibreOffice.

The pipeline talks only to the :class:`Converter` interface. Two
implementations exist: a one-shot converter (a fresh ``soffice`` per document,
:mod:`.oneshot`) and a warm pool (:mod:`.pool`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable


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


@dataclass(frozen=True)
class Split:
    """A DOCX holding two documents one after the other (:mod:`docgen.stages.combine`).

    ``bookmark`` ends the first; its pages go to the conversion's ``pdf``, the rest to ``pdf``
    here. ``numbers``: page ranges only the layout knows, each marker (text that occurs exactly
    once) replaced by its range before the export: ``[[a0, a1], [b0, b1, b2]]`` means pages
    a0 + a1·k to b0 + b1·k + b2·r ("a–b", or "a" for one page), with k the first document's
    pages and r the second's.
    """

    pdf: Path
    bookmark: str
    numbers: dict[str, list[list[int]]]

    def as_request(self, pdf: Path | None = None) -> dict[str, object]:
        return {"pdf": str(pdf or self.pdf), "bookmark": self.bookmark, "numbers": self.numbers}


@runtime_checkable
class SplitConverter(Protocol):
    """A converter that can also convert one DOCX into two PDFs in one load (the warm pool)."""

    def convert_split(self, docx: Path, pdf: Path, split: Split) -> tuple[int, int] | None:
        """Write ``pdf`` and ``split.pdf``, verified; the page counts of both, or None when the
        document cannot be split that way (then nothing is written: convert the parts one by one)."""
        ...


# PDF export filter options: PDF/A-2b, tagged, with bookmarks from headings.
PDF_EXPORT_OPTIONS: dict[str, tuple[str, object]] = {
    "SelectPdfVersion": ("long", 2),
    "UseTaggedPDF": ("boolean", True),
    "ExportBookmarks": ("boolean", True),
    "ExportFormFields": ("boolean", False),
}
