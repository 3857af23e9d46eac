"""The types every layer shares: a document type, a job and its parts, the render tools.

Plug-ins (``docgen.documents``) and stages (``docgen.stages``) both import from
here and from nothing above them, so neither needs the other to describe its
data. The concrete render tools live in the render stage; plug-ins see only the
:class:`RenderTools` protocol.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from docgen.errors import Problem
from docgen.richtext import BlockXml
from docgen.settings import Koerperschaft, Settings


class RenderTools(Protocol):
    """What a document type's context builder may use while its template is filled."""

    @property
    def settings(self) -> Settings: ...

    @property
    def koerperschaft(self) -> Koerperschaft: ...

    def blocks(self, value: Any, heading_level: int = 2) -> BlockXml:
        """Rich-text blocks (or a plain string) as Word XML in the template's own styles."""
        ...

    def logo(self) -> Any:
        """The body's logo (input before settings) as an image for the header's ``{{ logo }}``, or
        None when neither sets one. A missing or unreadable file raises the German error."""
        ...


@dataclass(frozen=True)
class DocumentType:
    """One dokumentart: its schema, template, domain rules and render context (a plug-in)."""

    name: str  # the dokumentart, e.g. "beschlussvorlage"
    title: str  # shown to users, e.g. "Beschlussvorlage"
    schema_file: str  # file name in schemas/
    template_file: str  # file name in templates/ (or the municipality's templates directory)
    rules: Callable[[Mapping[str, Any], Settings], list[Problem]]
    context: Callable[[Mapping[str, Any], RenderTools], dict[str, Any]]
    # A short label for bundles and receipts, e.g. "Vorlage 2024/0300".
    reference: Callable[[Mapping[str, Any]], str]
    # The example input printed by `docgen example`, relative to examples/.
    example_file: str = ""
    # Bundle metadata: the title (e.g. the Betreff) and the issuing office, if the type has them.
    title_of: Callable[[Mapping[str, Any]], str] | None = None
    office_of: Callable[[Mapping[str, Any]], str] | None = None
    # Documents that belong to this one and go into the same bundle right after it, e.g. the
    # Sachbericht inside a Verwendungsnachweis: (title, data with its own "dokumentart", the JSON
    # path where that data stands in the input, e.g. "/sachbericht", so messages point there).
    parts_of: Callable[[Mapping[str, Any]], list[tuple[str, dict[str, Any], str]]] | None = None
    # The date that makes a job due for `docgen batch --due-before` (next consultation, deadline).
    due_of: Callable[[Mapping[str, Any]], datetime.date | None] | None = None
    # Figures the document type computed, written to the receipt under "berechnung".
    figures: Callable[[Mapping[str, Any]], dict[str, Any]] | None = None


@dataclass(frozen=True)
class Part:
    """One document of the bundle, in bundle order."""

    number: int  # 0 = the main document, 1… = Anlage number, -1… = a part of the main document
    title: str
    json_path: str  # where it stands in the input, e.g. "/anlagen/1"
    document: DocumentType | None = None  # a rendered docgen document …
    data: Mapping[str, Any] | None = None
    pdf_file: Path | None = None  # … or a PDF file given by the user
    warnings: list[Problem] = field(default_factory=list)
    public: bool = True  # False: kept out of the public bundle (personal data)

    @property
    def label(self) -> str:
        if self.number < 0:
            return self.title
        return "Hauptdokument" if self.number == 0 else f"Anlage {self.number}"


@dataclass(frozen=True)
class Job:
    """A validated input: its data, its document type and the warnings found."""

    source: Path
    data: Mapping[str, Any]
    document: DocumentType
    raw: bytes
    warnings: list[Problem] = field(default_factory=list)
    parts: list[Part] = field(default_factory=list)  # main document first, then the Anlagen
