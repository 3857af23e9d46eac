"""Document types are plug-ins: one module per dokumentart in this package.

Each module exposes ``DOCUMENT``, a :class:`DocumentType` naming its schema and
template, its domain rules and how it builds the render context. The pipeline
looks them up by the input's ``dokumentart`` and knows none of them by name, so
a new type is one module, one schema and one template.
"""

from __future__ import annotations

import datetime
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from docgen.errors import Problem

if TYPE_CHECKING:
    from docgen.settings import Settings
    from docgen.stages.render import RenderTools


@dataclass(frozen=True)
class DocumentType:
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


@cache
def registry() -> dict[str, DocumentType]:
    """All document types found in this package, by dokumentart."""
    found: dict[str, DocumentType] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        doc = getattr(module, "DOCUMENT", None)
        if isinstance(doc, DocumentType):
            found[doc.name] = doc
    return dict(sorted(found.items()))


def names() -> list[str]:
    return list(registry())


def get(name: str) -> DocumentType | None:
    return registry().get(name)
